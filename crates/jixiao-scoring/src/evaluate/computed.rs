//! Computed rows (TABLES.md §4): a framework row whose actual is a formula over metrics as of
//! the window, scored by bands, points off per point beyond a limit, in proportion, or as the
//! value itself.

use jixiao_domain::Comparator;
use rust_decimal::Decimal;

use super::rules::ValueRule;
use super::{Context, FlagCode, IndicatorScore, Light, figure, round2, show};
use crate::arith;
use crate::formula::Undefined;
use crate::framework::{ComputedRow, ComputedRule, Direction, WhenUndefined};

impl<'a> Context<'a> {
    /// Scores one computed row of the framework.
    pub(super) fn computed(&mut self, row: &'a ComputedRow) -> IndicatorScore {
        self.digest_line(format!(
            "computed {} {} {}",
            row.code,
            show(row.weight),
            row.formula
        ));
        let metrics = row.formula.metrics();
        let mut values = std::collections::HashMap::new();
        for metric in metrics {
            let value = self.value(metric).map(|value| value.amount);
            values.insert(metric, value);
        }
        let result = row
            .formula
            .evaluate(&mut |metric| values.get(metric).copied().flatten());
        let (comparator, target) = match (row.rule, row.direction) {
            (ComputedRule::Bands, _) => (Comparator::Qualitative, Decimal::ZERO),
            (ComputedRule::Value, _) => (Comparator::AtLeast, row.weight),
            (_, Direction::Above) => (Comparator::AtMost, row.limit.unwrap_or_default()),
            (_, Direction::Below) => (Comparator::AtLeast, row.limit.unwrap_or_default()),
        };
        let mut scored = IndicatorScore {
            indicator_code: row.code.clone(),
            name: row.name.clone(),
            level1: row.group,
            level2: row.level2.clone(),
            metric_code: String::new(),
            comparator,
            weight: row.weight,
            annual_target: target,
            window_target: target,
            actual: None,
            unit: row.unit.clone(),
            ratio: None,
            score: Decimal::ZERO,
            band: None,
            light: Light::None,
            target_text: describe(row),
            actual_text: String::new(),
            read_as: String::new(),
            note: String::new(),
            formula: row.formula.to_string(),
            computed_score: None,
            reported_score: None,
            review_reason: String::new(),
            awaiting_review: false,
            projected_text: String::new(),
            likelihood: String::new(),
        };
        match result {
            Ok(value) => {
                let value = round2(value);
                scored.actual = Some(value);
                let rule = match row.rule {
                    ComputedRule::Bands => ValueRule::Bands(&row.bands),
                    ComputedRule::PointsOff => ValueRule::PointsOff {
                        limit: row.limit.unwrap_or_default(),
                        per_point: row.per_point.unwrap_or_default(),
                        above: row.direction == Direction::Above,
                    },
                    ComputedRule::Proportional => ValueRule::Proportional {
                        limit: row.limit.unwrap_or(Decimal::ONE_HUNDRED),
                        inverse: row.direction == Direction::Above,
                    },
                    ComputedRule::Value => ValueRule::Value,
                };
                scored.score = self.framework.rounding.round(rule.score(row.weight, value));
                scored.read_as =
                    format!("computed: {} = {}", row.formula, figure(value, &row.unit));
            }
            Err(Undefined::Missing(metric)) => {
                scored.read_as = format!("computed: {} has no value", metric);
                let message = format!(
                    "{} ({}): the formula {} needs {metric}, which has no value as of the window; the row scores 0",
                    row.code, row.name, row.formula
                );
                self.flag(
                    FlagCode::MissingActual,
                    &row.code,
                    message,
                    vec![("metric_code", metric.clone())],
                );
            }
            Err(Undefined::DivisionByZero) => {
                let full = row.when_undefined == Some(WhenUndefined::Full);
                scored.score = if full { row.weight } else { Decimal::ZERO };
                scored.read_as = format!("computed: {} divides by 0", row.formula);
                let message = format!(
                    "{} ({}): a divisor of {} is 0; the framework scores the row {}",
                    row.code,
                    row.name,
                    row.formula,
                    if full { "in full" } else { "0" }
                );
                self.flag(
                    FlagCode::ComputedRowUndefined,
                    &row.code,
                    message,
                    vec![("score", show(scored.score))],
                );
            }
        }
        scored.light = light(scored.actual, scored.score, row.weight);
        if let Some(actual) = scored.actual {
            scored.ratio = (!target.is_zero())
                .then(|| round2(arith::mul(arith::div(actual, target), Decimal::ONE_HUNDRED)));
        }
        scored
    }
}

/// A computed row's light: green at full score, red at 0, yellow between; none without a value.
pub(super) fn light(actual: Option<Decimal>, score: Decimal, weight: Decimal) -> Light {
    match actual {
        Some(_) if score >= weight => Light::Green,
        Some(_) if score.is_zero() => Light::Red,
        Some(_) => Light::Yellow,
        None => Light::None,
    }
}

/// The rule in words, as a scoring table prints it (`≤ 100: 5; 0.5 off per point above`).
fn describe(row: &ComputedRow) -> String {
    let limit = row.limit.map(show).unwrap_or_default();
    match row.rule {
        ComputedRule::Bands => row
            .bands
            .iter()
            .map(|band| {
                let bounds = match (band.at_least, band.at_most) {
                    (Some(low), Some(high)) if low == high => format!("= {}", show(low)),
                    (Some(low), Some(high)) => format!("{}–{}", show(low), show(high)),
                    (Some(low), None) => format!("≥ {}", show(low)),
                    (None, Some(high)) => format!("≤ {}", show(high)),
                    (None, None) => "otherwise".to_owned(),
                };
                format!("{bounds}: {}", show(band.score))
            })
            .collect::<Vec<_>>()
            .join("; "),
        ComputedRule::PointsOff => format!(
            "{} {limit}: {}; {} off per point {}",
            if row.direction == Direction::Above {
                "≤"
            } else {
                "≥"
            },
            show(row.weight),
            row.per_point.map(show).unwrap_or_default(),
            if row.direction == Direction::Above {
                "above"
            } else {
                "below"
            }
        ),
        ComputedRule::Proportional => format!(
            "{} {limit}: {}, in proportion otherwise",
            if row.direction == Direction::Above {
                "≤"
            } else {
                "≥"
            },
            show(row.weight)
        ),
        ComputedRule::Value => format!("the value is the score, within 0–{}", show(row.weight)),
    }
}
