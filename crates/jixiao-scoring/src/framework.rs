//! The scoring framework: weights, comparators, grade bands, deductions, light and flag
//! thresholds, and source priorities, read from TOML and validated on load.

use std::collections::BTreeMap;

use jixiao_domain::target::GroupWeightRule;
use jixiao_domain::{Comparator, Level1};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// The framework shipped with the product.
pub const CENTRAL_2020: &str = include_str!("../frameworks/central-2020.toml");

/// Why a framework file was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FrameworkError {
    /// The text is not TOML of the framework's shape.
    #[error("the framework is not valid TOML of the expected shape: {0}")]
    Parse(String),
    /// The framework parsed but breaks a rule; each reason names its key.
    #[error("the framework is invalid: {}", .0.join("; "))]
    Invalid(Vec<String>),
}

/// A validated framework.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Framework {
    /// Name, for example `central-2020`.
    pub name: String,
    /// Version; raise it with every change, since snapshots record it.
    pub version: String,
    /// What the framework is.
    #[serde(default)]
    pub description: String,
    /// Budget execution.
    pub budget: BudgetRule,
    /// How row, budget and deduction scores are rounded: `two_decimals` (the default) or
    /// `whole_points`.
    #[serde(default)]
    pub rounding: Rounding,
    /// Level-1 groups.
    pub groups: Vec<Group>,
    /// How a target set's group weights are checked against `groups` (TABLES.md §3):
    /// `fixed` (the default), each group's rows sum to its weight, else the snapshot says
    /// `target_weights_mismatch`; `total_only`, they may differ as long as they add up, with
    /// the budget's weight, to 100, and the snapshot says `group_weights_adjusted`.
    #[serde(default = "fixed")]
    pub group_weights: GroupWeightRule,
    /// Indicator rules.
    pub indicators: IndicatorRules,
    /// Grade bands, highest first.
    pub grades: Vec<GradeBand>,
    /// Deductions from the total.
    #[serde(default)]
    pub deductions: Vec<DeductionRule>,
    /// Monitoring light thresholds.
    pub lights: LightThresholds,
    /// Flag thresholds.
    pub flags: FlagThresholds,
    /// Source priorities, higher wins.
    #[serde(default)]
    pub source_priorities: BTreeMap<String, i32>,
}

fn fixed() -> GroupWeightRule {
    GroupWeightRule::Fixed
}

/// Budget execution's weight.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BudgetRule {
    /// Weight of budget execution.
    pub weight: Decimal,
    /// The budget the execution rate divides by: `adjusted` (全年预算数, the default) or
    /// `initial` (年初预算数, R05).
    #[serde(default)]
    pub denominator: BudgetDenominator,
    /// How the rate scores (TABLES.md §4): `linear` (min(w, w × rate / t), the default),
    /// `threshold` (full at or above `full_at` percent of progress; below it proportional, or
    /// `points_per_point` off for each percentage point short, floored at 0: R02, R13), `bands`
    /// (the score of the first band whose `min_percent` the progress reaches), or `none` (the
    /// framework judges the budget through its own rows).
    #[serde(default)]
    pub rule: BudgetScoring,
    /// With `threshold`: the progress percentage that earns the full weight.
    #[serde(default)]
    pub full_at: Option<Decimal>,
    /// With `threshold`: points off per percentage point below `full_at` (absent:
    /// proportional, w × progress / full_at).
    #[serde(default)]
    pub points_per_point: Option<Decimal>,
    /// With `bands`: highest first.
    #[serde(default)]
    pub bands: Vec<BudgetBand>,
}

/// The budget the execution rate divides by.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BudgetDenominator {
    /// 全年预算数 (A, `budget.adjusted`).
    #[default]
    Adjusted,
    /// 年初预算数 (I, `budget.initial`).
    Initial,
}

/// How budget execution scores.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BudgetScoring {
    /// min(w, w × rate / t) (`SCORING.md` §3).
    #[default]
    Linear,
    /// Full at or above a progress; below it proportional or points off per point.
    Threshold,
    /// A list of lower bounds and scores.
    Bands,
    /// Not scored (weight 0): the framework's rows judge the budget.
    None,
}

/// A band of budget execution: the score earned from `min_percent` of progress on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BudgetBand {
    /// The lowest progress, in percent, of the band.
    pub min_percent: Decimal,
    /// The score earned.
    pub score: Decimal,
}

/// How scores are rounded before they are summed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Rounding {
    /// 2 decimals, half away from zero (central-2020).
    #[default]
    TwoDecimals,
    /// Whole points, half away from zero (Hebei prints 8.62 as 9).
    WholePoints,
}

impl Rounding {
    /// `value` rounded by this rule.
    pub fn round(&self, value: Decimal) -> Decimal {
        let places = match self {
            Rounding::TwoDecimals => 2,
            Rounding::WholePoints => 0,
        };
        value.round_dp_with_strategy(places, rust_decimal::RoundingStrategy::MidpointAwayFromZero)
    }
}

/// A level-1 group.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Group {
    /// `output`, `outcome` or `satisfaction`.
    pub code: Level1,
    /// Display name.
    pub name: String,
    /// Weight.
    pub weight: Decimal,
}

/// Which comparators rows may use, and the bands of qualitative rows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IndicatorRules {
    /// Allowed comparators, as written in targets.
    pub comparators: Vec<String>,
    /// 达成 at or above this attainment percentage.
    pub qualitative_achieved: Decimal,
    /// 部分达成 at or above this attainment percentage.
    pub qualitative_partly_achieved: Decimal,
    /// The attainment percentage a verdict counts for when the actual gives none
    /// (TABLES.md §3; central-2020: 达成 100, 部分达成 70, 未达成 30).
    #[serde(default)]
    pub verdicts: VerdictDefaults,
    /// How a `<=` row above its target scores: `linear_to_zero_at_2t` (`SCORING.md` §3, the
    /// default), or `ratio`, w × T / x (R01, Hubei's R10).
    #[serde(default)]
    pub at_most: AtMostRule,
    /// How a `=` row scores: `at_least` (like `>=`, the default) or `exact` (the weight only
    /// when the actual equals the target, else 0).
    #[serde(default)]
    pub equal: EqualRule,
    /// What over-achievement does: `flag` (raise `over_achievement`, the default) or `missed`
    /// (a `>=` or `=` row at or beyond `flags.over_achievement_ratio` × T_w scores 0, as
    /// Sichuan's 部门整体 rule counts a quantity exceeded by more than 30% as missed, R12).
    #[serde(default)]
    pub over_achievement: OverAchievementRule,
}

/// How a `=` row scores.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EqualRule {
    /// Like `>=`.
    #[default]
    AtLeast,
    /// The weight only when the actual equals the target.
    Exact,
}

/// What over-achievement does to a row.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OverAchievementRule {
    /// Only the flag `over_achievement`.
    #[default]
    Flag,
    /// The row scores 0 at or beyond the ratio.
    Missed,
}

/// How a `<=` row whose actual is above its target scores.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AtMostRule {
    /// w × (1 − (x − T) / T), 0 from 2T on (`SCORING.md` §3).
    #[default]
    LinearToZeroAt2t,
    /// w × T / x, capped at w (R01; Hubei's template footnotes, R10).
    Ratio,
}

/// The attainment percentage of each verdict written without one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VerdictDefaults {
    /// 达成.
    pub achieved: Decimal,
    /// 部分达成.
    pub partly_achieved: Decimal,
    /// 未达成.
    pub not_achieved: Decimal,
}

impl Default for VerdictDefaults {
    fn default() -> Self {
        Self {
            achieved: Decimal::ONE_HUNDRED,
            partly_achieved: Decimal::from(70),
            not_achieved: Decimal::from(30),
        }
    }
}

/// A grade and the lowest total that earns it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GradeBand {
    /// The grade, for example 优.
    pub grade: String,
    /// The lowest total of the band.
    pub min_total: Decimal,
}

/// A deduction per occurrence of a metric's value, up to a cap.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeductionRule {
    /// The metric counted.
    pub metric_code: String,
    /// Deducted per occurrence.
    pub per_unit: Decimal,
    /// The largest deduction.
    pub cap: Decimal,
    /// The reason shown.
    pub reason: String,
}

/// Light thresholds, progress in percent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LightThresholds {
    /// Red below this progress.
    pub red_below: Decimal,
    /// Yellow below this progress (and at or above `red_below`).
    pub yellow_below: Decimal,
    /// Blue at or above this multiple of the annual target.
    pub blue_at_ratio: Decimal,
}

/// Flag thresholds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FlagThresholds {
    /// Percentage points allowed between the reported and the computed execution rate.
    pub reported_rate_tolerance: Decimal,
    /// Multiple of the window's target from which an un-noted actual is flagged.
    pub over_achievement_ratio: Decimal,
    /// Margin of outputs ahead of spending.
    pub outputs_ahead_margin: Decimal,
    /// Unspent share of the budget flagged in a yearly snapshot.
    pub large_unspent_ratio: Decimal,
    /// Budget adjustment share flagged.
    pub large_adjustment_ratio: Decimal,
    /// Points allowed between a reported score (a total, `evaluation.total_reported`) and the
    /// computed one, once the computed one is rounded to the decimals the reported one was
    /// written with.
    #[serde(default = "hundredth")]
    pub reported_score_tolerance: Decimal,
}

fn hundredth() -> Decimal {
    Decimal::new(1, 2)
}

impl Default for Framework {
    fn default() -> Self {
        Self::central_2020()
    }
}

impl Framework {
    /// The shipped framework `central-2020`.
    pub fn central_2020() -> Self {
        Self::from_toml(CENTRAL_2020).expect("the shipped framework is valid")
    }

    /// Parses and validates a framework.
    pub fn from_toml(text: &str) -> Result<Self, FrameworkError> {
        let framework: Framework =
            toml::from_str(text).map_err(|error| FrameworkError::Parse(error.to_string()))?;
        framework.validate()?;
        Ok(framework)
    }

    fn validate(&self) -> Result<(), FrameworkError> {
        let mut problems = Vec::new();
        let hundred = Decimal::from(100);
        if self.name.trim().is_empty() {
            problems.push("name is required".to_owned());
        }
        if self.version.trim().is_empty() {
            problems.push("version is required".to_owned());
        }
        if self.budget.weight < Decimal::ZERO {
            problems.push("budget.weight must not be negative".to_owned());
        }
        for level in Level1::CENTRAL {
            match self
                .groups
                .iter()
                .filter(|group| group.code == level)
                .count()
            {
                1 => {}
                0 => problems.push(format!(
                    "groups: group {} ({}) is missing",
                    level.code(),
                    level.name_zh()
                )),
                _ => problems.push(format!(
                    "groups: group {} appears more than once",
                    level.code()
                )),
            }
        }
        for group in &self.groups {
            if group.weight < Decimal::ZERO {
                problems.push(format!(
                    "groups.{}.weight must not be negative",
                    group.code.code()
                ));
            }
        }
        for group in &self.groups {
            if group.weight > hundred {
                problems.push(format!(
                    "groups.{}.weight must be at most 100",
                    group.code.code()
                ));
            }
        }
        if self.budget.weight > hundred {
            problems.push("budget.weight must be at most 100".to_owned());
        }
        match self.budget.rule {
            BudgetScoring::Threshold
                if self.budget.full_at.is_none_or(|full| full <= Decimal::ZERO) =>
            {
                problems
                    .push("budget.full_at: a threshold rule needs a positive full_at".to_owned());
            }
            BudgetScoring::Bands if self.budget.bands.is_empty() => {
                problems.push("budget.bands: a bands rule needs at least one band".to_owned());
            }
            BudgetScoring::None if !self.budget.weight.is_zero() => {
                problems.push("budget.weight must be 0 when budget.rule = \"none\"".to_owned());
            }
            _ => {}
        }
        for (index, band) in self.budget.bands.iter().enumerate() {
            if band.score < Decimal::ZERO || band.score > self.budget.weight {
                problems.push(format!(
                    "budget.bands[{index}].score must lie in [0, budget.weight]"
                ));
            }
        }
        // Saturating: a framework with weights too large for a decimal is refused, not a panic.
        let total = crate::arith::add(self.budget.weight, self.groups_total());
        if total != hundred {
            problems.push(format!(
                "budget.weight and the group weights sum to {}, not 100",
                total.normalize()
            ));
        }
        if self.indicators.comparators.is_empty() {
            problems.push("indicators.comparators must name at least one comparator".to_owned());
        }
        for comparator in &self.indicators.comparators {
            if let Err(reason) = comparator.parse::<Comparator>() {
                problems.push(format!("indicators.comparators: {reason}"));
            }
        }
        let achieved = self.indicators.qualitative_achieved;
        let partly = self.indicators.qualitative_partly_achieved;
        if !(Decimal::ZERO <= partly && partly <= achieved && achieved <= hundred) {
            problems.push(
                "indicators: 0 ≤ qualitative_partly_achieved ≤ qualitative_achieved ≤ 100 must hold"
                    .to_owned(),
            );
        }
        if self.grades.is_empty() {
            problems.push("grades: at least one band is required".to_owned());
        }
        for pair in self.grades.windows(2) {
            if pair[0].min_total <= pair[1].min_total {
                problems.push(format!(
                    "grades: bands must go from the highest down, but {} ({}) is not above {} ({})",
                    pair[0].grade, pair[0].min_total, pair[1].grade, pair[1].min_total
                ));
            }
        }
        if let Some(last) = self.grades.last()
            && last.min_total != Decimal::ZERO
        {
            problems.push(format!(
                "grades: the last band ({}) must start at 0 so that every total has a grade",
                last.grade
            ));
        }
        for band in &self.grades {
            if band.grade.trim().is_empty() {
                problems.push("grades: every band needs a grade".to_owned());
            }
        }
        for (index, rule) in self.deductions.iter().enumerate() {
            if rule.per_unit <= Decimal::ZERO {
                problems.push(format!("deductions[{index}].per_unit must be above 0"));
            }
            if rule.cap < Decimal::ZERO {
                problems.push(format!("deductions[{index}].cap must not be negative"));
            }
            if rule.reason.trim().is_empty() {
                problems.push(format!("deductions[{index}].reason is required"));
            }
        }
        let lights = &self.lights;
        if !(Decimal::ZERO <= lights.red_below && lights.red_below <= lights.yellow_below) {
            problems.push("lights: 0 ≤ red_below ≤ yellow_below must hold".to_owned());
        }
        if lights.blue_at_ratio <= Decimal::ONE {
            problems.push("lights.blue_at_ratio must be above 1".to_owned());
        }
        let flags = &self.flags;
        for (key, value) in [
            ("reported_rate_tolerance", flags.reported_rate_tolerance),
            ("outputs_ahead_margin", flags.outputs_ahead_margin),
            ("large_unspent_ratio", flags.large_unspent_ratio),
            ("large_adjustment_ratio", flags.large_adjustment_ratio),
        ] {
            if value < Decimal::ZERO {
                problems.push(format!("flags.{key} must not be negative"));
            }
        }
        if flags.over_achievement_ratio <= Decimal::ONE {
            problems.push("flags.over_achievement_ratio must be above 1".to_owned());
        }
        if problems.is_empty() {
            Ok(())
        } else {
            Err(FrameworkError::Invalid(problems))
        }
    }

    /// The weight of a level-1 group.
    pub fn group_weight(&self, level: Level1) -> Decimal {
        self.groups
            .iter()
            .find(|group| group.code == level)
            .map_or(Decimal::ZERO, |group| group.weight)
    }

    /// The sum of the group weights (90 in central-2020).
    pub fn groups_total(&self) -> Decimal {
        crate::arith::sum(self.groups.iter().map(|group| group.weight))
    }

    /// The grade of a total.
    pub fn grade(&self, total: Decimal) -> &str {
        self.grades
            .iter()
            .find(|band| total >= band.min_total)
            .or(self.grades.last())
            .map_or("", |band| band.grade.as_str())
    }

    /// Whether rows may use `comparator`.
    pub fn allows(&self, comparator: Comparator) -> bool {
        self.indicators
            .comparators
            .iter()
            .any(|allowed| allowed.parse::<Comparator>() == Ok(comparator))
    }

    /// The priority of a source (0 when not configured).
    pub fn priority(&self, source: &str) -> i32 {
        self.source_priorities.get(source).copied().unwrap_or(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_framework_is_valid_and_sums_to_100() {
        let framework = Framework::central_2020();
        assert_eq!(framework.name, "central-2020");
        assert_eq!(framework.groups_total(), Decimal::from(90));
        assert_eq!(framework.grade(Decimal::from(90)), "优");
        assert_eq!(framework.grade("89.99".parse().unwrap()), "良");
        assert_eq!(framework.grade(Decimal::from(60)), "中");
        assert_eq!(framework.grade("59.99".parse().unwrap()), "差");
        assert_eq!(framework.grade(Decimal::ZERO), "差");
    }

    #[test]
    fn grade_bands_are_data() {
        let text = CENTRAL_2020.replace("min_total = \"90\"", "min_total = \"85\"");
        let framework = Framework::from_toml(&text).unwrap();
        assert_eq!(framework.grade(Decimal::from(86)), "优");
    }

    #[test]
    fn an_invalid_framework_names_each_problem() {
        let text = CENTRAL_2020
            .replace(
                "weight = \"10\"\n\n# Level-1",
                "weight = \"15\"\n\n# Level-1",
            )
            .replace("min_total = \"0\"", "min_total = \"10\"")
            .replace("per_unit = \"0.5\"", "per_unit = \"0\"");
        let error = Framework::from_toml(&text).unwrap_err();
        let text = error.to_string();
        assert!(text.contains("sum to 105, not 100"), "{text}");
        assert!(text.contains("must start at 0"), "{text}");
        assert!(text.contains("deductions[0].per_unit"), "{text}");
    }

    #[test]
    fn unknown_keys_and_bad_shapes_are_refused() {
        let error = Framework::from_toml(&format!("surprise = 1\n{CENTRAL_2020}")).unwrap_err();
        assert!(matches!(error, FrameworkError::Parse(_)));
        let error = Framework::from_toml("name = 3").unwrap_err();
        assert!(matches!(error, FrameworkError::Parse(_)));
        let error =
            Framework::from_toml(&CENTRAL_2020.replace("\"range\"]", "\"~\"]")).unwrap_err();
        assert!(error.to_string().contains("is not a comparator"), "{error}");
    }
}
