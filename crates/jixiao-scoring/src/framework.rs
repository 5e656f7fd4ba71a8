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
    /// Computed rows (TABLES.md §4): rows whose actual is a formula over metrics, scored by
    /// the framework itself beside a target set's rows.
    #[serde(default)]
    pub computed: Vec<ComputedRow>,
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

/// A level-1 group (一级指标).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Group {
    /// `output`, `outcome`, `satisfaction`, `input`, `process`, `decision`, `management` or
    /// `effect`.
    pub code: Level1,
    /// Display name.
    pub name: String,
    /// Weight, points of 100: the group's rows and its computed rows together.
    pub weight: Decimal,
    /// Labels as written that name this group in this framework's tables, beside the common
    /// ones (部门决策, 综合管理, 部门绩效 …).
    #[serde(default)]
    pub aliases: Vec<String>,
}

/// A computed row (TABLES.md §4): its actual is a formula over metrics as of the window
/// (预算调整率 = |A − I| / I × 100), scored by a rule. The formula is parsed at load and every
/// metric it reads must be in the catalog.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ComputedRow {
    /// Row code in snapshots, for example `budget_adjustment_rate`.
    pub code: String,
    /// Name (三级指标), for example 预算调整率.
    pub name: String,
    /// The level-1 group it counts in.
    pub group: Level1,
    /// Level-2 label (二级指标), for example 预算执行.
    #[serde(default)]
    pub level2: String,
    /// Weight, points of 100.
    pub weight: Decimal,
    /// The formula ([`crate::Formula`]); percentages are written `* 100`.
    pub formula: crate::formula::Formula,
    /// Unit of the formula's value, for explanations: `percent` (the default) or a unit code.
    #[serde(default = "percent_unit")]
    pub unit: String,
    /// How the value scores: `bands`, `points_off`, `proportional` or `value`.
    pub rule: ComputedRule,
    /// With `bands`: the first band whose bounds hold gives the score; none: 0.
    #[serde(default)]
    pub bands: Vec<ValueBand>,
    /// With `points_off`: the limit (full score up to it); with `proportional`: the value that
    /// earns the full weight.
    #[serde(default)]
    pub limit: Option<Decimal>,
    /// With `points_off`: points off per unit of the value beyond the limit (per percentage
    /// point for a percentage), floored at 0.
    #[serde(default)]
    pub per_point: Option<Decimal>,
    /// With `points_off`: `above` (the default; values above the limit cost points) or
    /// `below`. With `proportional` the same: `above` (a ≤ row) scores min(w, w × limit / x),
    /// `below` (a ≥ row) min(w, w × x / limit).
    #[serde(default)]
    pub direction: Direction,
    /// What the row scores when a divisor of the formula is 0: `zero` or `full`. Required when
    /// the formula divides.
    #[serde(default)]
    pub when_undefined: Option<WhenUndefined>,
}

fn percent_unit() -> String {
    "percent".to_owned()
}

/// How a computed row's value scores.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ComputedRule {
    /// Step bands (R14: 预算调整率 0 / ≤10% / ≤20% / ≤30% → 3, 2, 1, 0.5, else 0).
    Bands,
    /// The weight, less `per_point` per point beyond `limit`, floored at 0 (R04: 在职人员控制率
    /// ≤ 100% gets 5, 0.5 off per point above).
    PointsOff,
    /// With `direction = "above"` (the default: values above the limit cost points)
    /// min(w, w × limit / x); with `"below"` min(w, w × x / limit).
    Proportional,
    /// The value is the score, held within [0, weight] (R12: 编制准确 =
    /// (1 − 10 × 调剂 / 年初预算) × 10).
    Value,
}

/// Which side of the limit costs points.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    /// Values above the limit cost points (≤ rows).
    #[default]
    Above,
    /// Values below the limit cost points (≥ rows).
    Below,
}

/// What a computed row scores when its formula divides by 0.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WhenUndefined {
    /// 0, with the flag `computed_row_undefined`.
    Zero,
    /// The full weight, with the flag `computed_row_undefined` (nothing to judge: no 三公经费
    /// last year and none this year).
    Full,
}

/// A band of a computed row: the score when the value lies within its bounds (both inclusive;
/// an absent bound is open).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ValueBand {
    /// The lowest value of the band.
    #[serde(default)]
    pub at_least: Option<Decimal>,
    /// The highest value of the band.
    #[serde(default)]
    pub at_most: Option<Decimal>,
    /// The score earned.
    pub score: Decimal,
}

impl ValueBand {
    /// Whether `value` lies within the band.
    pub fn holds(&self, value: Decimal) -> bool {
        self.at_least.is_none_or(|low| value >= low)
            && self.at_most.is_none_or(|high| value <= high)
    }
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

    /// A digest of the framework's content as parsed (SHA-256 of its canonical TOML,
    /// hexadecimal): two files that parse to the same rules have the same digest, and any
    /// change to a rule changes it, whatever its `version` says (a snapshot is reused only
    /// under the same digest).
    pub fn content_digest(&self) -> String {
        use sha2::{Digest, Sha256};
        // Written back from the parsed rules, so that comments and layout do not count.
        let canonical = toml::to_string(self).unwrap_or_else(|error| format!("{self:?} {error}"));
        Sha256::digest(canonical.as_bytes())
            .iter()
            .take(16)
            .map(|byte| format!("{byte:02x}"))
            .collect()
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
        if self.groups.is_empty() {
            problems.push("groups: at least one group is required".to_owned());
        }
        for level in Level1::ALL {
            if self
                .groups
                .iter()
                .filter(|group| group.code == level)
                .count()
                > 1
            {
                problems.push(format!(
                    "groups: group {} appears more than once",
                    level.code()
                ));
            }
        }
        let mut aliases = std::collections::HashSet::new();
        for group in &self.groups {
            for alias in &group.aliases {
                if alias.trim().is_empty() || !aliases.insert(alias.trim()) {
                    problems.push(format!(
                        "groups.{}.aliases: {alias:?} is empty or names two groups",
                        group.code.code()
                    ));
                }
            }
        }
        self.validate_computed(&mut problems);
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

    fn validate_computed(&self, problems: &mut Vec<String>) {
        let catalog = jixiao_domain::Catalog::starter();
        let mut codes = std::collections::HashSet::new();
        for (index, row) in self.computed.iter().enumerate() {
            let key = format!("computed[{index}]");
            if jixiao_domain::validate_code(&row.code).is_err() || !codes.insert(row.code.as_str())
            {
                problems.push(format!(
                    "{key}.code: {:?} is not a code or appears twice",
                    row.code
                ));
            }
            if row.name.trim().is_empty() {
                problems.push(format!("{key}.name is required"));
            }
            let group_weight = self
                .groups
                .iter()
                .find(|group| group.code == row.group)
                .map(|group| group.weight);
            match group_weight {
                None => problems.push(format!(
                    "{key}.group: {} is not a group of this framework",
                    row.group.code()
                )),
                Some(weight) if row.weight > weight => problems.push(format!(
                    "{key}.weight: {} is more than its group's {}",
                    row.weight.normalize(),
                    weight.normalize()
                )),
                Some(_) => {}
            }
            if row.weight <= Decimal::ZERO {
                problems.push(format!("{key}.weight must be above 0"));
            }
            for metric in row.formula.metrics() {
                if catalog.get(metric).is_none() {
                    problems.push(format!(
                        "{key}.formula: {metric} is not a metric of the catalog"
                    ));
                }
            }
            if row.formula.divides() && row.when_undefined.is_none() {
                problems.push(format!(
                    "{key}.when_undefined: the formula divides, so say what the row scores when a divisor is 0 (\"zero\" or \"full\")"
                ));
            }
            match row.rule {
                ComputedRule::Bands if row.bands.is_empty() => {
                    problems.push(format!("{key}.bands: a bands rule needs at least one band"));
                }
                ComputedRule::PointsOff
                    if row.limit.is_none() || row.per_point.is_none_or(|p| p <= Decimal::ZERO) =>
                {
                    problems.push(format!(
                        "{key}: a points_off rule needs limit and a positive per_point"
                    ));
                }
                ComputedRule::Proportional if row.limit.is_none_or(|l| l <= Decimal::ZERO) => {
                    problems.push(format!(
                        "{key}.limit: a proportional rule needs a positive limit"
                    ));
                }
                _ => {}
            }
            for (band_index, band) in row.bands.iter().enumerate() {
                if band.score < Decimal::ZERO || band.score > row.weight {
                    problems.push(format!(
                        "{key}.bands[{band_index}].score must lie in [0, weight]"
                    ));
                }
                if let (Some(low), Some(high)) = (band.at_least, band.at_most)
                    && low > high
                {
                    problems.push(format!(
                        "{key}.bands[{band_index}]: at_least is above at_most"
                    ));
                }
            }
        }
        for group in &self.groups {
            let computed = self.computed_weight(group.code);
            if computed > group.weight {
                problems.push(format!(
                    "groups.{}: its computed rows weigh {}, more than the group's {}",
                    group.code.code(),
                    computed.normalize(),
                    group.weight.normalize()
                ));
            }
        }
    }

    /// The weight of `level`'s computed rows.
    pub fn computed_weight(&self, level: Level1) -> Decimal {
        crate::arith::sum(
            self.computed
                .iter()
                .filter(|row| row.group == level)
                .map(|row| row.weight),
        )
    }

    /// What a target set's rows must fill under this framework: each group's weight less its
    /// computed rows', and budget execution's and the computed rows' weight outside the rows.
    pub fn weight_plan(&self) -> jixiao_domain::WeightPlan {
        let computed = crate::arith::sum(self.computed.iter().map(|row| row.weight));
        jixiao_domain::WeightPlan {
            framework: self.name.clone(),
            groups: self
                .groups
                .iter()
                .map(|group| {
                    (
                        group.code,
                        crate::arith::sub(group.weight, self.computed_weight(group.code)),
                    )
                })
                .collect(),
            reserved: crate::arith::add(self.budget.weight, computed),
            reserved_by: if self.computed.is_empty() {
                "budget execution".to_owned()
            } else {
                "budget execution and the computed rows".to_owned()
            },
            rule: self.group_weights,
            aliases: self
                .groups
                .iter()
                .flat_map(|group| {
                    group
                        .aliases
                        .iter()
                        .map(|alias| (alias.trim().to_owned(), group.code))
                })
                .collect(),
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
        // A deadline and a row for a reviewer are readings of a text, not a province's rule.
        if matches!(comparator, Comparator::Deadline | Comparator::Review) {
            return true;
        }
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
