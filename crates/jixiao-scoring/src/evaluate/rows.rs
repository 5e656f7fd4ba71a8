//! Target rows: the weights' check, the actual as of the window (a metric's value or a
//! self-reported actual as written) and the row's score by its comparator (`SCORING.md` §3,
//! TABLES.md §3).

use jixiao_domain::target::{GroupWeightRule, WeightPlan};
use jixiao_domain::{Comparator, Grain, Level1, MetricKind, Temporal};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::{Context, FlagCode, IndicatorScore, Light, Value, figure, percent, round2, show};
use crate::arith;
use crate::framework::{AtMostRule, EqualRule, OverAchievementRule};
use crate::inputs::{RowActual, TargetRow};

/// The band of a qualitative row (`SCORING.md` §3; the framework's `qualitative_achieved` and
/// `qualitative_partly_achieved`). Stored and sent as the Chinese word.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Band {
    /// 达成: at or above `qualitative_achieved`.
    #[serde(rename = "达成")]
    Achieved,
    /// 部分达成: at or above `qualitative_partly_achieved`.
    #[serde(rename = "部分达成")]
    PartlyAchieved,
    /// 未达成: below.
    #[serde(rename = "未达成")]
    NotAchieved,
}

impl Band {
    /// 达成, 部分达成 or 未达成.
    pub fn as_str(&self) -> &'static str {
        match self {
            Band::Achieved => "达成",
            Band::PartlyAchieved => "部分达成",
            Band::NotAchieved => "未达成",
        }
    }
}

/// What a self-reported row's actual gives (TABLES.md §3).
pub(super) enum Reported {
    /// A figure, or an attainment percentage on a qualitative row: scored as a metric's value.
    Value(Value),
    /// A verdict on a quantitative row: the weight × the attainment percentage.
    Attainment(Decimal),
    /// What the rules cannot judge (a statement without a verdict, units that cannot be
    /// compared, a text they cannot read), with the reason: for a reviewer (TABLES.md §0).
    Review(String),
    /// No actual as of the window.
    Missing,
}

impl<'a> Context<'a> {
    /// Flags the rows of groups the framework does not have, once per group as written
    /// (`group_not_in_framework`): they are scored by the framework's default row rules.
    fn check_groups(&mut self, rows: &[TargetRow]) {
        let mut seen = std::collections::BTreeSet::new();
        for row in rows {
            if self
                .framework
                .groups
                .iter()
                .any(|group| group.code == row.level1)
            {
                continue;
            }
            let label = if row.level1 == Level1::Other {
                row.level1_text.clone()
            } else {
                row.level1.name_zh().to_owned()
            };
            if !seen.insert(label.clone()) {
                continue;
            }
            let shown = if label.is_empty() {
                "(no 一级指标: a flat table)".to_owned()
            } else {
                label.clone()
            };
            let count = rows
                .iter()
                .filter(|other| other.level1 == row.level1 && other.level1_text == row.level1_text)
                .count();
            let message = format!(
                "{count} rows of the group {shown}, which {} does not have, are scored by its default row rules",
                self.framework.name
            );
            self.flag(
                FlagCode::GroupNotInFramework,
                if label.is_empty() { "other" } else { &label },
                message,
                vec![("group", label.clone()), ("rows", count.to_string())],
            );
        }
    }

    /// Flags a set whose weights cannot make the total (`weights_incomplete`): rows without a
    /// weight, or row weights that with the budget's do not add up to 100. Its rows are judged;
    /// the subject is not graded (TABLES.md §0).
    fn check_complete(&mut self, rows: &[TargetRow], plan: &WeightPlan) {
        let missing: Vec<&str> = rows
            .iter()
            .filter(|row| row.weight_missing)
            .map(|row| row.indicator_code.as_str())
            .collect();
        let rows_total = arith::sum(rows.iter().map(|row| row.weight));
        let total = arith::add(rows_total, plan.reserved);
        if missing.is_empty() && total == Decimal::ONE_HUNDRED {
            return;
        }
        let message = if missing.is_empty() {
            format!(
                "the rows weigh {} and {} weighs {}: {} in all, not 100; the rows are judged, the subject is not graded",
                show(rows_total),
                plan.reserved_by,
                show(plan.reserved),
                show(total)
            )
        } else {
            format!(
                "{} rows have no 分值 ({}); the rows are judged, the subject is not graded",
                missing.len(),
                missing.join(", ")
            )
        };
        self.flag(
            FlagCode::WeightsIncomplete,
            "targets",
            message,
            vec![
                ("rows_total", show(rows_total)),
                ("reserved", show(plan.reserved)),
                ("total", show(total)),
                ("rows_without_weight", missing.len().to_string()),
            ],
        );
    }

    pub(super) fn check_weights(&mut self, rows: &[TargetRow]) {
        if rows.is_empty() {
            return;
        }
        let plan = self.framework.weight_plan();
        self.check_groups(rows);
        self.check_complete(rows, &plan);
        let sums: Vec<(Level1, Decimal, Decimal)> = Level1::ALL
            .into_iter()
            .map(|level| {
                let sum = arith::sum(
                    rows.iter()
                        .filter(|row| row.level1 == level)
                        .map(|row| row.weight),
                );
                let expected = arith::sub(
                    self.framework.group_weight(level),
                    self.framework.computed_weight(level),
                );
                (level, sum, expected)
            })
            .filter(|(_, sum, expected)| !sum.is_zero() || !expected.is_zero())
            .collect();
        if sums.iter().all(|(_, sum, expected)| sum == expected) {
            return;
        }
        let rows_total = arith::sum(sums.iter().map(|(_, sum, _)| *sum));
        let reserved = plan.reserved;
        let total = arith::add(rows_total, reserved);
        if self.framework.group_weights == GroupWeightRule::TotalOnly
            && total == Decimal::ONE_HUNDRED
        {
            let each: Vec<String> = sums
                .iter()
                .map(|(level, sum, expected)| {
                    format!(
                        "{} {} (framework {})",
                        level.name_zh(),
                        show(*sum),
                        show(*expected)
                    )
                })
                .collect();
            let message = format!(
                "the target set weighs its groups {}; with the {} points of {} they make 100, so the set's own weights count",
                each.join(", "),
                show(reserved),
                plan.reserved_by
            );
            let mut figures: Vec<(&str, String)> = sums
                .iter()
                .map(|(level, sum, _)| (level.code(), show(*sum)))
                .collect();
            figures.push(("budget", show(self.framework.budget.weight)));
            self.flag(FlagCode::GroupWeightsAdjusted, "targets", message, figures);
            return;
        }
        for (level, sum, expected) in sums {
            if sum != expected {
                let message = format!(
                    "the target weights of group {} sum to {}, but this framework gives it {}",
                    level.name_zh(),
                    show(sum),
                    show(expected)
                );
                self.flag(
                    FlagCode::TargetWeightsMismatch,
                    level.code(),
                    message,
                    vec![("sum", show(sum)), ("framework_weight", show(expected))],
                );
            }
        }
    }

    /// A self-reported row's latest actual as of the window: of the latest period (a quarter,
    /// or the year) that ends at or before the window's end; on the same end, the year's.
    pub(super) fn latest_actual(&self, row: &TargetRow) -> Option<&'a RowActual> {
        let root = self.scope[0];
        let year = self.as_of.year_number();
        let window_end = self.window_end;
        let actuals = match self.project {
            Some(project) => self.inputs.project_row_actuals(project),
            None => self.inputs.row_actuals(root),
        };
        actuals
            .iter()
            .filter(|actual| {
                actual.indicator_code == row.indicator_code
                    && actual.period.year_number() == year
                    && actual.period.end_month() <= window_end
            })
            // On the same end (Q4 and the year), the year's figure is the self-evaluation's.
            .max_by_key(|actual| {
                (
                    actual.period.end_month(),
                    actual.period.grain() == Grain::Year,
                    actual.sequence,
                )
            })
    }

    /// The actual of a self-reported row as of the window: the reported actual of the latest
    /// period (a quarter, or the year) that ends at or before the window's end, read as
    /// written; with the text and what was read, for the explanation.
    /// The latest actual of a self-reported row as of the window, counted in the input digest,
    /// with its text and period for the explanation (`50 (2022)`).
    fn counted_actual(&mut self, row: &TargetRow) -> Option<(&'a RowActual, String)> {
        let actual = self.latest_actual(row)?;
        self.digest_line(format!(
            "actual {} {} {} {} {}",
            row.indicator_code, actual.period, actual.sequence, actual.actual_text, actual.note
        ));
        if !actual.projected_text.is_empty() || !actual.likelihood.is_empty() {
            self.digest_line(format!(
                "projection {} {} {}",
                row.indicator_code, actual.projected_text, actual.likelihood
            ));
        }
        Some((
            actual,
            format!("{} ({})", actual.actual_text, actual.period),
        ))
    }

    pub(super) fn reported(&mut self, row: &TargetRow) -> (Reported, String, String) {
        let Some((actual, text)) = self.counted_actual(row) else {
            return (Reported::Missing, String::new(), String::new());
        };
        let noted = !actual.note.is_empty();
        let reading = jixiao_domain::written::read_actual(&actual.actual_text, &row.target_text);
        use jixiao_domain::written::{ActualReading, Verdict};
        let verdicts = &self.framework.indicators.verdicts;
        let indicators = &self.framework.indicators;
        // The band of each verdict: 达成 [80, 100], 部分达成 [60, 80), 未达成 [0, 60) in
        // central-2020; an attainment written outside its verdict's band is held at its edge.
        let band = |verdict: Verdict| match verdict {
            Verdict::Achieved => (indicators.qualitative_achieved, Decimal::ONE_HUNDRED),
            Verdict::PartlyAchieved => (
                indicators.qualitative_partly_achieved,
                arith::sub(indicators.qualitative_achieved, Decimal::new(1, 2)),
            ),
            Verdict::NotAchieved => (
                Decimal::ZERO,
                arith::sub(indicators.qualitative_partly_achieved, Decimal::new(1, 2)),
            ),
        };
        let attainment_of = |verdict: Verdict, attainment: Option<Decimal>| match attainment {
            Some(written) => {
                let (low, high) = band(verdict);
                let attainment = written.max(low).min(high);
                if attainment == written {
                    (attainment, format!("{verdict} {}%", show(attainment)))
                } else {
                    (
                        attainment,
                        format!(
                            "{verdict} {}%, outside the band of {verdict} ({}–{}%): held at {}%",
                            show(written),
                            show(low),
                            show(high),
                            show(attainment)
                        ),
                    )
                }
            }
            None => {
                let default = match verdict {
                    Verdict::Achieved => verdicts.achieved,
                    Verdict::PartlyAchieved => verdicts.partly_achieved,
                    Verdict::NotAchieved => verdicts.not_achieved,
                };
                (
                    default,
                    format!("{verdict}, the framework's default {}%", show(default)),
                )
            }
        };
        let qualitative = row.comparator == Comparator::Qualitative;
        match reading {
            ActualReading::Verdict {
                verdict,
                attainment,
            } => {
                let (attainment, read_as) = attainment_of(verdict, attainment);
                if qualitative {
                    let value = Value {
                        amount: attainment,
                        noted,
                    };
                    (Reported::Value(value), text, read_as)
                } else {
                    (Reported::Attainment(attainment), text, read_as)
                }
            }
            ActualReading::SameAsTarget => {
                let (attainment, read_as) = attainment_of(Verdict::Achieved, None);
                let read_as = format!("the target's own words: {read_as}");
                if qualitative {
                    let value = Value {
                        amount: attainment,
                        noted,
                    };
                    (Reported::Value(value), text, read_as)
                } else {
                    (Reported::Attainment(attainment), text, read_as)
                }
            }
            ActualReading::Statement => {
                let reason = "the actual states what was done without a verdict".to_owned();
                (Reported::Review(reason), text, String::new())
            }
            ActualReading::NotRead { reason } => (Reported::Review(reason), text, String::new()),
            ActualReading::Date(date) if row.comparator == Comparator::Deadline => {
                let amount = date.ordinal(self.as_of.year_number(), 1);
                let value = Value { amount, noted };
                (Reported::Value(value), text, format!("the date {date}"))
            }
            ActualReading::Date(date) => {
                let reason =
                    format!("the actual is the date {date}, but the target is no deadline");
                (Reported::Review(reason), text, String::new())
            }
            _ if row.comparator == Comparator::Deadline => {
                let reason = "the target is a deadline, but the actual is no date".to_owned();
                (Reported::Review(reason), text, String::new())
            }
            reading @ (ActualReading::Quantity(_)
            | ActualReading::QuantityInWords(_)
            | ActualReading::Bound { .. }
            | ActualReading::Nothing) => {
                // A bare number is in the unit the target was written in (50 against ≥50厘米
                // is 50 厘米); the value is then canonical, in the row's unit. A unit kept as
                // written compares by its word (TABLES.md §0).
                let written_in = written_in(row);
                let unit = if qualitative {
                    "percent"
                } else {
                    row.unit.as_str()
                };
                let amount = match jixiao_domain::written::actual_value(&reading, written_in) {
                    Ok(amount) => amount,
                    Err(reason) => return (Reported::Review(reason), text, String::new()),
                };
                let mut read_as = figure(amount, unit);
                if unit == "as_written" {
                    read_as = format!("{} {}", show(amount), row.unit_word);
                }
                if let ActualReading::QuantityInWords(_) = &reading {
                    read_as = format!("{read_as}, the number among the words");
                }
                if let ActualReading::Bound { comparator, .. } = &reading {
                    read_as = format!("the bound {comparator} {read_as} copied from the target");
                    let message = format!(
                        "{} ({}): the actual {:?} copies a bound of the target rather than a figure; the bound counts",
                        row.indicator_code, row.name, text
                    );
                    self.flag(
                        FlagCode::ActualIsBound,
                        &row.indicator_code,
                        message,
                        vec![("bound", show(amount))],
                    );
                }
                if matches!(reading, ActualReading::Nothing) {
                    read_as = format!("无: {read_as}");
                }
                (Reported::Value(Value { amount, noted }), text, read_as)
            }
        }
    }

    /// A row the rules cannot judge (TABLES.md §0): the unit's printed 得分 counts, marked
    /// `score_as_printed`; without one the row has no score and awaits a reviewer.
    fn for_review(&mut self, scored: &mut IndicatorScore, row: &TargetRow, reason: String) {
        scored.review_reason.clone_from(&reason);
        scored.light = Light::None;
        match row.reported_score {
            Some(printed) => {
                scored.score = printed;
                let message = format!(
                    "{} ({}): the rules cannot judge the row ({reason}); the unit's printed 得分 {} counts until a reviewer adjusts it",
                    row.indicator_code,
                    row.name,
                    show(printed)
                );
                self.flag(
                    FlagCode::ScoreAsPrinted,
                    &row.indicator_code,
                    message,
                    vec![("printed", show(printed)), ("reason", reason)],
                );
            }
            None => {
                scored.score = Decimal::ZERO;
                scored.awaiting_review = true;
            }
        }
    }

    /// Shows a monitoring table's projection for the year (全年预计完成值) and its likelihood
    /// with the row, and flags `projected_shortfall` when the projection, read as an actual of
    /// the row, does not reach the year's target (TABLES.md §7). A projection the rules cannot
    /// compare (words, a date, another unit) is shown and not judged.
    fn check_projection(&mut self, row: &TargetRow, scored: &mut IndicatorScore) {
        let Some(actual) = self.latest_actual(row) else {
            return;
        };
        scored.projected_text.clone_from(&actual.projected_text);
        scored.likelihood.clone_from(&actual.likelihood);
        if actual.projected_text.is_empty() {
            return;
        }
        let reading = jixiao_domain::written::read_actual(&actual.projected_text, &row.target_text);
        let Ok(projected) = jixiao_domain::written::actual_value(&reading, written_in(row)) else {
            return;
        };
        let short = match row.comparator {
            Comparator::AtLeast => projected < row.target,
            Comparator::AtMost => projected > row.target,
            Comparator::Equal => projected != row.target,
            Comparator::Range => {
                projected < row.target || row.target_high.is_some_and(|high| projected > high)
            }
            Comparator::Qualitative | Comparator::Deadline | Comparator::Review => false,
        };
        if short {
            let message = format!(
                "{} ({}): the unit projects {:?} for the year against the target {} {}{}",
                row.indicator_code,
                row.name,
                actual.projected_text,
                row.comparator,
                show(row.target),
                if actual.likelihood.is_empty() {
                    String::new()
                } else {
                    format!(" (完成目标可能性: {})", actual.likelihood)
                }
            );
            self.flag(
                FlagCode::ProjectedShortfall,
                &row.indicator_code,
                message,
                vec![
                    ("projected", show(projected)),
                    ("target", show(row.target)),
                    ("likelihood", actual.likelihood.clone()),
                ],
            );
        }
    }

    /// Scores one row of the target set (SCORING.md §3): its window target, what was reported
    /// (a metric's value, a self-reported actual read as written, or a row for a reviewer),
    /// the score, the light and the flags.
    pub(super) fn indicator(&mut self, row: &'a TargetRow) -> IndicatorScore {
        let temporal = self
            .inputs
            .metric(&row.metric_code)
            .map(|info| info.temporal);
        let (window_target, window_high) = self.window_targets(row, temporal);
        let (reported, actual_text, read_as) = self.row_reported(row);
        let value = match &reported {
            Reported::Value(value) => Some(*value),
            _ => None,
        };
        let mut scored = self.unscored(row, window_target, value, actual_text, read_as);
        if row.metric_code.is_empty() {
            self.check_projection(row, &mut scored);
        }
        self.check_target_text(row);
        match reported {
            Reported::Attainment(attainment) => {
                self.score_attainment(row, &mut scored, attainment);
                return scored;
            }
            Reported::Review(reason) => {
                self.for_review(&mut scored, row, reason);
                return scored;
            }
            Reported::Missing | Reported::Value(_) => {}
        }
        let Some(value) = value else {
            self.flag_missing(row);
            return scored;
        };
        let x = value.amount;
        if !window_target.is_zero() && row.comparator != Comparator::Qualitative {
            scored.ratio = Some(round2(arith::mul(
                arith::div(x, window_target),
                Decimal::ONE_HUNDRED,
            )));
        }
        scored.score = self.score_value(row, x, window_target, window_high);
        scored.light = self.light_of(&mut scored, row, x, (window_target, window_high), temporal);
        if !value.noted {
            self.check_over_achievement(row, x, window_target);
        }
        scored
    }

    /// The row's target for the window and the high end of a range: scaled by t for flow
    /// metrics and self-reported rows of a kind that accumulates (SCORING.md §3).
    fn window_targets(
        &self,
        row: &TargetRow,
        temporal: Option<Temporal>,
    ) -> (Decimal, Option<Decimal>) {
        let scales = match (temporal, row.kind) {
            (Some(temporal), _) => temporal == Temporal::Flow,
            // A unit kept as written (组, 万人次) counts things that accumulate over the year
            // unless it is per something (元/人*月), which is a level.
            (None, Some(MetricKind::AsWritten)) => !row.unit_word.contains('/'),
            (None, Some(kind)) => kind.accumulates(),
            (None, None) => false,
        } && row.comparator != Comparator::Qualitative;
        let window = |target: Decimal| {
            if scales {
                arith::mul(target, self.t)
            } else {
                target
            }
        };
        (window(row.target), row.target_high.map(window))
    }

    /// What was reported for the row, with the actual's text and what was read of it: for a
    /// row the rules cannot judge the actual shown as written and nothing read; a
    /// self-reported actual read as written; a metric's value.
    fn row_reported(&mut self, row: &'a TargetRow) -> (Reported, String, String) {
        let (reported, actual_text, read_as) = if row.comparator == Comparator::Review {
            let text = self
                .counted_actual(row)
                .map(|(_, text)| text)
                .unwrap_or_default();
            (
                Reported::Review(row.review_reason.clone()),
                text,
                String::new(),
            )
        } else if row.metric_code.is_empty() {
            self.reported(row)
        } else {
            let value = self.value(&row.metric_code);
            (
                value.map_or(Reported::Missing, Reported::Value),
                String::new(),
                String::new(),
            )
        };
        (reported, actual_text, with_reading_notes(row, read_as))
    }

    /// The row's explanation before it is scored: 0 points, no light.
    fn unscored(
        &self,
        row: &TargetRow,
        window_target: Decimal,
        value: Option<Value>,
        actual_text: String,
        read_as: String,
    ) -> IndicatorScore {
        IndicatorScore {
            indicator_code: row.indicator_code.clone(),
            name: row.name.clone(),
            level1: row.level1,
            level2: row.level2.clone(),
            metric_code: row.metric_code.clone(),
            comparator: row.comparator,
            weight: row.weight,
            annual_target: row.target,
            window_target,
            actual: value.map(|value| value.amount),
            unit: row.unit.clone(),
            ratio: None,
            score: Decimal::ZERO,
            band: None,
            light: Light::None,
            target_text: row.target_text.clone(),
            actual_text,
            read_as,
            note: if row.metric_code.is_empty() {
                self.latest_actual(row)
                    .map(|actual| actual.note.clone())
                    .unwrap_or_default()
            } else {
                String::new()
            },
            formula: String::new(),
            computed_score: None,
            reported_score: row.reported_score,
            review_reason: String::new(),
            awaiting_review: false,
            projected_text: String::new(),
            likelihood: String::new(),
        }
    }

    /// Flags a target text OCR may have garbled (`text_suspect`) and a comparator the
    /// framework does not allow (`comparator_not_allowed`).
    fn check_target_text(&mut self, row: &TargetRow) {
        if !row.suspect.is_empty() {
            let message = format!(
                "{} ({}): the target {:?} looks garbled, as OCR prints digits; it is read as written, and may have been meant as {:?}",
                row.indicator_code, row.name, row.target_text, row.suspect
            );
            self.flag(
                FlagCode::TextSuspect,
                &row.indicator_code,
                message,
                vec![("intended", row.suspect.clone())],
            );
        }
        if !self.framework.allows(row.comparator) {
            let message = format!(
                "{}: the comparator {} is not among this framework's comparators",
                row.indicator_code, row.comparator
            );
            self.flag(
                FlagCode::ComparatorNotAllowed,
                &row.indicator_code,
                message,
                vec![("comparator", row.comparator.to_string())],
            );
        }
    }

    /// A verdict written as the actual of a quantitative row: its attainment of the weight
    /// (`verdict_on_quantitative_row`).
    fn score_attainment(
        &mut self,
        row: &TargetRow,
        scored: &mut IndicatorScore,
        attainment: Decimal,
    ) {
        let w = row.weight;
        scored.score = self.framework.rounding.round(
            arith::div(
                arith::mul(w, attainment.max(Decimal::ZERO).min(Decimal::ONE_HUNDRED)),
                Decimal::ONE_HUNDRED,
            )
            .min(w),
        );
        scored.light = self.light_for_progress(attainment);
        let message = format!(
            "{} ({}): the actual {:?} is a verdict on a quantitative target; it counts as {}% of the weight",
            row.indicator_code,
            row.name,
            scored.actual_text,
            show(attainment)
        );
        self.flag(
            FlagCode::VerdictOnQuantitativeRow,
            &row.indicator_code,
            message,
            vec![("attainment_percent", show(attainment))],
        );
    }

    /// A row without an actual as of the window scores 0 (`missing_actual`).
    fn flag_missing(&mut self, row: &TargetRow) {
        let what = if row.metric_code.is_empty() {
            "no actual is reported for the row".to_owned()
        } else {
            format!("{} has no value", row.metric_code)
        };
        let message = format!(
            "{} ({}): {what} as of {}; the row scores 0",
            row.indicator_code, row.name, self.as_of
        );
        self.flag(
            FlagCode::MissingActual,
            &row.indicator_code,
            message,
            vec![("metric", row.metric_code.clone())],
        );
    }

    /// The score of the actual `x` against the window's target, by the row's comparator and
    /// the framework's rules (exact `=`, over-achievement as missed), within [0, weight].
    fn score_value(
        &self,
        row: &TargetRow,
        x: Decimal,
        window_target: Decimal,
        window_high: Option<Decimal>,
    ) -> Decimal {
        let w = row.weight;
        let indicator_rules = &self.framework.indicators;
        let raw =
            if row.comparator == Comparator::Equal && indicator_rules.equal == EqualRule::Exact {
                if x == window_target { w } else { Decimal::ZERO }
            } else {
                score_row(
                    row.comparator,
                    indicator_rules.at_most,
                    w,
                    x,
                    window_target,
                    window_high,
                )
            };
        let missed_by_over_achievement = indicator_rules.over_achievement
            == OverAchievementRule::Missed
            && matches!(row.comparator, Comparator::AtLeast | Comparator::Equal)
            && window_target > Decimal::ZERO
            && x >= arith::mul(self.framework.flags.over_achievement_ratio, window_target);
        let raw = if missed_by_over_achievement {
            Decimal::ZERO
        } else {
            raw
        };
        self.framework.rounding.round(raw.max(Decimal::ZERO).min(w))
    }

    /// The row's monitoring light (SCORING.md §4), and a qualitative row's band.
    fn light_of(
        &self,
        scored: &mut IndicatorScore,
        row: &TargetRow,
        x: Decimal,
        (window_target, window_high): (Decimal, Option<Decimal>),
        temporal: Option<Temporal>,
    ) -> Light {
        let lights = &self.framework.lights;
        let hundred = Decimal::ONE_HUNDRED;
        match row.comparator {
            Comparator::Qualitative => {
                let indicators = &self.framework.indicators;
                let (band, light) = if x >= indicators.qualitative_achieved {
                    (Band::Achieved, Light::Green)
                } else if x >= indicators.qualitative_partly_achieved {
                    (Band::PartlyAchieved, Light::Yellow)
                } else {
                    (Band::NotAchieved, Light::Red)
                };
                scored.band = Some(band);
                light
            }
            _ if row.target.is_zero() => {
                if scored.score == row.weight {
                    Light::Green
                } else {
                    Light::Red
                }
            }
            Comparator::AtLeast | Comparator::Equal => {
                if temporal == Some(Temporal::Flow) && x.is_zero() {
                    Light::Red
                } else if x >= arith::mul(lights.blue_at_ratio, row.target) {
                    Light::Blue
                } else {
                    self.light_for_progress(arith::mul(arith::div(x, window_target), hundred))
                }
            }
            Comparator::AtMost | Comparator::Deadline => {
                if x <= window_target {
                    Light::Green
                } else {
                    Light::Red
                }
            }
            Comparator::Range => {
                if x < window_target {
                    self.light_for_progress(arith::mul(arith::div(x, window_target), hundred))
                } else if x > window_high.unwrap_or(window_target) {
                    Light::Red
                } else {
                    Light::Green
                }
            }
            Comparator::Review => Light::None,
        }
    }

    /// Flags an actual far above its target that no note explains (`over_achievement`).
    fn check_over_achievement(&mut self, row: &TargetRow, x: Decimal, window_target: Decimal) {
        let hundred = Decimal::ONE_HUNDRED;
        if !(matches!(row.comparator, Comparator::AtLeast | Comparator::Equal)
            && window_target > Decimal::ZERO
            && x >= arith::mul(self.framework.flags.over_achievement_ratio, window_target))
        {
            return;
        }
        let ratio = percent(arith::mul(arith::div(x, window_target), hundred));
        let message = format!(
            "{} ({}): the actual {} is {ratio}% of the window's target {}, and no point counted in it explains why (a note)",
            row.indicator_code,
            row.name,
            figure(x, &row.unit),
            figure(window_target, &row.unit),
        );
        self.flag(
            FlagCode::OverAchievement,
            &row.indicator_code,
            message,
            vec![
                ("actual", show(x)),
                ("window_target", show(window_target)),
                ("ratio_percent", ratio),
            ],
        );
    }
}

/// A row's unrounded score: weight `w`, actual `x`, the window's target `target` (for a
/// range, its low end, and `high` its high end).
pub(crate) fn score_row(
    comparator: Comparator,
    at_most: AtMostRule,
    w: Decimal,
    x: Decimal,
    target: Decimal,
    high: Option<Decimal>,
) -> Decimal {
    match comparator {
        // TABLES.md §3: full weight inside; below, as `>=` the low end; above, as `<=` the high
        // end.
        Comparator::Range => {
            let high = high.unwrap_or(target);
            if x < target {
                score_row(Comparator::AtLeast, at_most, w, x, target, None)
            } else if x > high {
                score_row(Comparator::AtMost, at_most, w, x, high, None)
            } else {
                w
            }
        }
        Comparator::AtLeast => {
            if x >= target || target.is_zero() {
                w
            } else {
                arith::mul(w, arith::div(x, target))
            }
        }
        Comparator::Equal => {
            if target.is_zero() {
                if x <= Decimal::ZERO { w } else { Decimal::ZERO }
            } else if x >= target {
                w
            } else {
                arith::mul(w, arith::div(x, target))
            }
        }
        Comparator::AtMost => {
            if target.is_zero() {
                if x <= Decimal::ZERO { w } else { Decimal::ZERO }
            } else if x <= target {
                w
            } else if at_most == AtMostRule::Ratio {
                arith::mul(w, arith::div(target, x))
            } else if arith::sub(x, target) < target {
                // Linear to 0 at twice the target, written without 2 × target (which can
                // overflow).
                arith::mul(
                    w,
                    arith::sub(Decimal::ONE, arith::div(arith::sub(x, target), target)),
                )
            } else {
                Decimal::ZERO
            }
        }
        Comparator::Qualitative => {
            let hundred = Decimal::from(100);
            arith::div(arith::mul(w, x.max(Decimal::ZERO).min(hundred)), hundred)
        }
        // A date not later than the deadline (both `YYYYMMDD`) meets it; a later one does not.
        Comparator::Deadline => {
            if x <= target {
                w
            } else {
                Decimal::ZERO
            }
        }
        // Never scored by rule: the printed 得分 or a reviewer's (TABLES.md §0).
        Comparator::Review => Decimal::ZERO,
    }
}

/// The unit a bare number of a row's actual is in: the unit the target was written in (50
/// against ≥50厘米 is 50 厘米), percent for a qualitative row, the word of a unit kept as written.
fn written_in(row: &TargetRow) -> &str {
    if row.comparator == Comparator::Qualitative {
        "percent"
    } else if row.unit == "as_written" {
        row.unit_word.as_str()
    } else if row.unit_as_sent.is_empty() {
        row.unit.as_str()
    } else {
        row.unit_as_sent.as_str()
    }
}

/// What was read of a row's actual, after what was noted in reading its target and an
/// inferred comparator.
fn with_reading_notes(row: &TargetRow, read_as: String) -> String {
    let mut read_as = read_as;
    if !row.read_note.is_empty() {
        read_as = if read_as.is_empty() {
            row.read_note.clone()
        } else {
            format!("{}; {read_as}", row.read_note)
        };
    }
    if row.comparator_inferred {
        let inferred = format!("comparator {} inferred", row.comparator);
        read_as = if read_as.is_empty() {
            inferred
        } else {
            format!("{inferred}; {read_as}")
        };
    }
    read_as
}
