//! Monitoring lights (双监控, `SCORING.md` §4).

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::Context;

/// A monitoring light (双监控).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Light {
    /// No light: the figure is missing.
    None,
    /// On track.
    Green,
    /// Somewhat behind.
    Yellow,
    /// Far behind.
    Red,
    /// Well ahead of the annual target.
    Blue,
}

impl<'a> Context<'a> {
    pub(super) fn light_for_progress(&self, progress: Decimal) -> Light {
        let lights = &self.framework.lights;
        if progress < lights.red_below {
            Light::Red
        } else if progress < lights.yellow_below {
            Light::Yellow
        } else {
            Light::Green
        }
    }
}
