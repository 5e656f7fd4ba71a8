//! Deductions from the total, per occurrence of a metric's value, capped (`SCORING.md` §3).

use rust_decimal::Decimal;

use super::{Context, DeductionScore};
use crate::arith;

impl<'a> Context<'a> {
    pub(super) fn deductions(&mut self) -> Vec<DeductionScore> {
        let framework = self.framework;
        let mut applied = Vec::new();
        for rule in &framework.deductions {
            let Some(value) = self.value(&rule.metric_code) else {
                continue;
            };
            if value.amount <= Decimal::ZERO {
                continue;
            }
            applied.push(DeductionScore {
                metric_code: rule.metric_code.clone(),
                reason: rule.reason.clone(),
                count: value.amount,
                per_unit: rule.per_unit,
                cap: rule.cap,
                amount: framework
                    .rounding
                    .round(arith::mul(rule.per_unit, value.amount).min(rule.cap)),
            });
        }
        applied
    }
}
