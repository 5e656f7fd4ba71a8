//! Yearly targets (绩效目标): indicator rows, their groups and the weight-sum rule.

use std::collections::HashSet;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::catalog::Catalog;
use crate::decimal::parse_plain_decimal;
use crate::department::{MAX_NAME_CHARS, validate_code, validate_text};
use crate::unit::{MetricKind, Unit};
use crate::violation::Violation;
use crate::written::{ActualReading, TargetReading};

/// Most indicator rows in one target set.
pub const MAX_TARGETS: usize = 500;

/// Longest text as written (a target, a level-2 label), in characters: rule texts printed in
/// the target column run to a few hundred.
pub const MAX_TEXT_CHARS: usize = 1000;

pub use crate::label::{Comparator, Level1, Level2};

/// How a target set's group weights are checked (TABLES.md §3 Weights).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GroupWeightRule {
    /// Each group's rows sum exactly to the group's weight.
    Fixed,
    /// The groups may differ from their weights (real project tables use 40/30/20, 70/20/10,
    /// 90/0/0) as long as every row's weight, with the budget's, adds up to the total (100).
    #[default]
    TotalOnly,
}

/// The weight of each level-1 group, the budget's, and how a target set's weights are checked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GroupWeights {
    /// 产出.
    pub output: Decimal,
    /// 效益.
    pub outcome: Decimal,
    /// 满意度.
    pub satisfaction: Decimal,
    /// Budget execution's weight, which the groups' weights complete to 100.
    #[serde(default = "ten")]
    pub budget: Decimal,
    /// `fixed` or `total_only`. A `[group_weights]` table written without it keeps the rule it
    /// had before the rule existed, `fixed`; without the table, central-2020's `total_only`.
    #[serde(default = "fixed_rule")]
    pub rule: GroupWeightRule,
}

fn fixed_rule() -> GroupWeightRule {
    GroupWeightRule::Fixed
}

fn ten() -> Decimal {
    Decimal::TEN
}

impl Default for GroupWeights {
    /// The framework `central-2020` (财预〔2020〕10号): 产出 50, 效益 30, 满意度 10, budget 10,
    /// checked `total_only`.
    fn default() -> Self {
        Self {
            output: Decimal::from(50),
            outcome: Decimal::from(30),
            satisfaction: Decimal::from(10),
            budget: Decimal::TEN,
            rule: GroupWeightRule::TotalOnly,
        }
    }
}

impl GroupWeights {
    /// The weight of `level` (0 for a group this framework does not have).
    pub fn weight(&self, level: Level1) -> Decimal {
        match level {
            Level1::Output => self.output,
            Level1::Outcome => self.outcome,
            Level1::Satisfaction => self.satisfaction,
            _ => Decimal::ZERO,
        }
    }

    /// The groups with a weight, in report order.
    pub fn groups(&self) -> Vec<Level1> {
        Level1::ALL
            .into_iter()
            .filter(|level| !self.weight(*level).is_zero())
            .collect()
    }

    /// What target rows must fill under these weights: the groups with a weight, budget
    /// execution's weight outside the rows, and the rule.
    pub fn plan(&self) -> WeightPlan {
        WeightPlan {
            framework: String::new(),
            groups: self
                .groups()
                .into_iter()
                .map(|level| (level, self.weight(level)))
                .collect(),
            reserved: self.budget,
            reserved_by: "budget execution".to_owned(),
            rule: self.rule,
            aliases: Vec::new(),
        }
    }
}

/// What a target set's rows must fill under one framework (TABLES.md §3–4): the groups rows
/// may use, each with the weight left to its rows; the weight carried outside the rows (budget
/// execution's, and a framework's computed rows'); how weights are checked; and the labels the
/// framework adds to the common vocabulary (部门决策 → 决策).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WeightPlan {
    /// The framework's name, for messages; empty for the service's own `[group_weights]`.
    pub framework: String,
    /// Each group rows may use and the weight of its rows (points of 100), in report order.
    pub groups: Vec<(Level1, Decimal)>,
    /// Points of 100 weighed outside the rows.
    pub reserved: Decimal,
    /// What `reserved` is, for messages (`budget execution`, `budget execution and computed
    /// rows`).
    pub reserved_by: String,
    /// `fixed` or `total_only`.
    pub rule: GroupWeightRule,
    /// Level-1 labels as written that name a group of this framework, read before the common
    /// vocabulary ([`crate::written::read_level1`]).
    pub aliases: Vec<(String, Level1)>,
}

impl WeightPlan {
    /// The weight of `level`'s rows, or `None` when rows may not use that group.
    pub fn weight(&self, level: Level1) -> Option<Decimal> {
        self.groups
            .iter()
            .find(|(group, _)| *group == level)
            .map(|(_, weight)| *weight)
    }

    /// Reads a level-1 label: the framework's aliases first, then the common vocabulary.
    ///
    /// # Errors
    /// The reader's reason when the label is neither.
    pub fn read_level1(&self, label: &str) -> Result<Level1, String> {
        let trimmed = label.trim();
        self.aliases
            .iter()
            .find(|(alias, _)| alias == trimmed)
            .map(|(_, level)| *level)
            .map_or_else(|| trimmed.parse(), Ok)
    }

    /// The groups and their weights, for messages (`central-2020: 产出 50, 效益 30, 满意度 10`).
    pub fn describe(&self) -> String {
        let groups = self
            .groups
            .iter()
            .map(|(level, weight)| format!("{} {}", level.name_zh(), weight.normalize()))
            .collect::<Vec<_>>()
            .join(", ");
        if self.framework.is_empty() {
            groups
        } else {
            format!("{}: {groups}", self.framework)
        }
    }
}

/// A target row as sent, before validation. Either its comparator, target value and unit are
/// given one by one, or its target as written (`target_text`, 年度指标值) is read
/// ([`crate::written::read_target`]); the explicit fields then only fill what the text leaves
/// out.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TargetInput {
    /// Identifies the row within the set.
    pub indicator_code: String,
    /// Display name (三级指标).
    pub name: String,
    /// The level-1 label as written (产出, 产出指标, output, 项目决策 …).
    pub level1: String,
    /// The level-2 label as written (数量, 数量指标, 社会效益指标, or any other label).
    pub level2: String,
    /// The catalog metric whose value is the actual; empty for a self-reported row, whose
    /// actual is reported for the row itself.
    pub metric_code: String,
    /// `>=`, `<=`, `=`, `qualitative`, or any spelling of them (≧, 大于等于 …); optional with a
    /// `target_text`.
    pub comparator: String,
    /// The annual target, a plain decimal; optional for qualitative rows (default 100).
    pub target_value: String,
    /// The unit of `target_value`; optional for qualitative rows (default percent).
    pub unit: String,
    /// The row's weight (分值), a plain decimal in points.
    pub weight: String,
    /// The target as written (年度指标值): `≥50个`, `≤90万元`, `90%-100%`, `效果明显`.
    pub target_text: String,
    /// 指标性质 as written: 正向 (higher is better) or 反向 (lower is better); it decides the
    /// comparator of a target written without one.
    pub direction: String,
    /// The row's 得分 as the table printed it (optional; points, a plain decimal in [0, 100]).
    pub reported_score: String,
}

/// A validated target row.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Target {
    /// Identifies the row within the set.
    pub indicator_code: String,
    /// Display name.
    pub name: String,
    /// Level-1 group.
    pub level1: Level1,
    /// Level-2 sub-group: its Chinese name when it is a known one, else the label as written.
    pub level2: String,
    /// The metric whose value is the actual; empty for a self-reported row.
    pub metric_code: String,
    /// How the actual is compared.
    pub comparator: Comparator,
    /// The annual target as sent (for a range, its low end).
    pub target_value: Decimal,
    /// The unit code of `target_value` as sent.
    pub unit: String,
    /// The annual target in the canonical unit of its kind.
    pub target_canonical: Decimal,
    /// The row's weight, in points.
    pub weight: Decimal,
    /// The target as written (年度指标值), empty when it was sent field by field.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub target_text: String,
    /// The level-1 label as written, when it differs from the group's name.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub level1_text: String,
    /// The level-2 label as written, when it differs from `level2`.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub level2_text: String,
    /// Whether no comparator was written and it was inferred (from 正向/反向, or 成本 → `<=`).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub comparator_inferred: bool,
    /// For a range (`90%-100%`): the high end, as sent and in the canonical unit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target_high: Option<(Decimal, Decimal)>,
    /// For a self-reported row: the kind its target and actuals measure.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<MetricKind>,
    /// The unit as written (人次, 宗, %), kept for display; empty when sent as a code.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub unit_word: String,
    /// The row's 得分 as the table printed it (TABLES.md §5), in points.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reported_score: Option<Decimal>,
    /// Why the rules cannot judge the target as written (comparator `review`), for a reviewer
    /// (TABLES.md §0); empty for a row the rules judge.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub review_reason: String,
    /// How the target text was read beyond its plain form (a number among words, several
    /// numbers read as words), for the explanation.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub read_note: String,
    /// The reading a text OCR may have garbled looks intended to have (`1O0%` → `100%`),
    /// flagged `text_suspect`, never applied.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub suspect: String,
    /// Whether the table printed no 分值 for the row: its weight is 0 and the subject is not
    /// graded (`weights_incomplete`).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub weight_missing: bool,
}

impl Target {
    /// Whether the row's actual is reported for the row itself rather than read from a metric.
    pub fn is_self_reported(&self) -> bool {
        self.metric_code.is_empty()
    }
}

/// What one row's target fields say, once read./// What one row's target fields say, once read.
struct ReadTarget {
    comparator: Comparator,
    inferred: bool,
    value: Decimal,
    unit: &'static Unit,
    unit_word: String,
    high: Option<Decimal>,
    review_reason: String,
    /// How the text was read beyond its plain form ([`crate::written::target_note`]).
    read_note: String,
}

impl ReadTarget {
    fn qualitative(inferred: bool) -> Self {
        Self {
            comparator: Comparator::Qualitative,
            inferred,
            value: Decimal::ONE_HUNDRED,
            unit: MetricKind::Percent.canonical_unit(),
            unit_word: String::new(),
            high: None,
            review_reason: String::new(),
            read_note: String::new(),
        }
    }
}

/// The unit of a row's target: the metric's kind decides for a metric-bound row (an API
/// contract: a unit of another kind is refused); a self-reported row takes any word, known
/// units converted and others kept as written (TABLES.md §0).
fn unit_for(
    input: &TargetInput,
    kind: Option<MetricKind>,
    word: &str,
    field_error: &mut dyn FnMut(&str, String),
) -> Option<(&'static Unit, String)> {
    let (name, word) = if word.is_empty() {
        let given = crate::written::units::fold_unit(&crate::written::normalize(&input.unit));
        (given.clone(), given)
    } else {
        (word.to_owned(), word.to_owned())
    };
    match (kind, name.is_empty()) {
        (Some(kind), true) => Some((kind.canonical_unit(), String::new())),
        (Some(kind), false) => Unit::for_kind(kind, &name)
            .map(|unit| (unit, word))
            .map_err(|error| field_error("unit", error.to_string()))
            .ok(),
        (None, true) => Some((MetricKind::Count.canonical_unit(), String::new())),
        (None, false) => Some(
            Unit::named(&name)
                .map(|unit| (unit, word.clone()))
                .unwrap_or((MetricKind::AsWritten.canonical_unit(), word)),
        ),
    }
}

/// A row sent field by field (comparator, target value, unit), without a target text.
fn read_fields(
    input: &TargetInput,
    kind: Option<MetricKind>,
    explicit: Option<Comparator>,
    field_error: &mut dyn FnMut(&str, String),
) -> Option<ReadTarget> {
    let Some(comparator) = explicit else {
        field_error(
            "comparator",
            "is empty; give a comparator (>=, <=, =, qualitative) or the target as written in target_text".to_owned(),
        );
        return None;
    };
    let qualitative = comparator == Comparator::Qualitative;
    let value_text = match (qualitative, input.target_value.trim()) {
        (true, "") => "100",
        (_, value) => value,
    };
    let value = match parse_plain_decimal(value_text) {
        Ok(value) if value < Decimal::ZERO => {
            field_error("target_value", "must not be negative".to_owned());
            return None;
        }
        Ok(value) => value,
        Err(error) => {
            field_error("target_value", error.to_string());
            return None;
        }
    };
    let (unit, unit_word) = if qualitative && input.unit.trim().is_empty() {
        (MetricKind::Percent.canonical_unit(), String::new())
    } else {
        unit_for(input, kind, "", field_error)?
    };
    Some(ReadTarget {
        comparator,
        inferred: false,
        value,
        unit,
        unit_word,
        high: None,
        review_reason: String::new(),
        read_note: String::new(),
    })
}

/// Reads a row's target: its text as written when it has one (never refused for its words,
/// TABLES.md §0), else its fields. `year` is the set's, for a deadline without a year.
fn read_row_target(
    input: &TargetInput,
    kind: Option<MetricKind>,
    level2: &str,
    year: i32,
    field_error: &mut dyn FnMut(&str, String),
) -> Option<ReadTarget> {
    let direction = crate::written::read_direction(&input.direction);
    let explicit = if input.comparator.trim().is_empty() {
        None
    } else {
        Some(
            input
                .comparator
                .parse::<Comparator>()
                .map_err(|reason| field_error("comparator", reason))
                .ok()?,
        )
    };
    if input.target_text.trim().is_empty()
        && explicit.is_none()
        && input.target_value.trim().is_empty()
    {
        return Some(ReadTarget::qualitative(true));
    }
    if input.target_text.trim().is_empty() {
        return read_fields(input, kind, explicit, field_error);
    }
    let reading = crate::written::read_target(&input.target_text, direction, level2);
    let read_note = crate::written::target_note(&input.target_text, &reading);
    let read = match reading {
        TargetReading::Qualitative => Some(ReadTarget::qualitative(explicit.is_none())),
        TargetReading::NotJudged { reason } => Some(ReadTarget {
            comparator: Comparator::Review,
            inferred: false,
            value: Decimal::ZERO,
            unit: MetricKind::AsWritten.canonical_unit(),
            unit_word: String::new(),
            high: None,
            review_reason: reason,
            read_note: String::new(),
        }),
        TargetReading::Deadline(date) => Some(ReadTarget {
            comparator: Comparator::Deadline,
            inferred: false,
            value: date.ordinal(year, 31),
            unit: MetricKind::Date.canonical_unit(),
            unit_word: date.to_string(),
            high: None,
            review_reason: String::new(),
            read_note: String::new(),
        }),
        TargetReading::Range { low, high } => {
            let (unit, unit_word) = unit_for(input, kind, &low.unit_word, field_error)?;
            Some(ReadTarget {
                comparator: Comparator::Range,
                inferred: false,
                value: low.value,
                unit,
                unit_word,
                high: Some(high.value),
                review_reason: String::new(),
                read_note: String::new(),
            })
        }
        TargetReading::Quantity {
            comparator,
            inferred,
            quantity,
        } => {
            let comparator = match (explicit, inferred) {
                (Some(explicit), true) => explicit,
                (Some(explicit), false) if explicit != comparator => {
                    field_error(
                        "comparator",
                        format!(
                            "{} disagrees with the target as written {:?}, which says {comparator}",
                            input.comparator, input.target_text
                        ),
                    );
                    return None;
                }
                _ => comparator,
            };
            let (unit, unit_word) = unit_for(input, kind, &quantity.unit_word, field_error)?;
            Some(ReadTarget {
                comparator,
                inferred: inferred && explicit.is_none(),
                value: quantity.value,
                unit,
                unit_word,
                high: None,
                review_reason: String::new(),
                read_note: String::new(),
            })
        }
    };
    read.map(|read| ReadTarget { read_note, ..read })
}

/// A row's weight (分值): empty is a missing weight (0, the subject not graded); otherwise a
/// plain decimal in points, 0 to 100.
fn read_weight(text: &str, field_error: &mut dyn FnMut(&str, String)) -> Option<(Decimal, bool)> {
    if text.trim().is_empty() {
        return Some((Decimal::ZERO, true));
    }
    match parse_plain_decimal(text) {
        Ok(weight) if weight < Decimal::ZERO => {
            field_error("weight", "must not be negative".to_owned());
            None
        }
        Ok(weight) if weight > Decimal::ONE_HUNDRED => {
            field_error(
                "weight",
                format!(
                    "{text} is more than 100: a row's weight is its share, in points, of the 100-point total"
                ),
            );
            None
        }
        Ok(weight) => Some((weight, false)),
        Err(error) => {
            field_error("weight", error.to_string());
            None
        }
    }
}

/// A row's printed 得分: empty, or a plain decimal of a 100-point table.
fn read_reported_score(
    text: &str,
    field_error: &mut dyn FnMut(&str, String),
) -> Option<Option<Decimal>> {
    match text.trim() {
        "" => Some(None),
        text => match parse_plain_decimal(text) {
            Ok(score) if score >= Decimal::ZERO && score <= Decimal::ONE_HUNDRED => {
                Some(Some(score))
            }
            Ok(_) => {
                field_error(
                    "reported_score",
                    format!("{text} is not a score of a 100-point table (0 to 100)"),
                );
                None
            }
            Err(error) => {
                field_error("reported_score", error.to_string());
                None
            }
        },
    }
}

/// The catalog metric a row names, if any; an unknown code is refused (the API names metrics
/// by code: a wrong one is a broken request, not a word of a table).
fn metric_of<'c>(
    input: &TargetInput,
    catalog: &'c Catalog,
    field_error: &mut dyn FnMut(&str, String),
) -> Result<Option<&'c crate::catalog::MetricDef>, ()> {
    if input.metric_code.trim().is_empty() {
        return Ok(None);
    }
    match catalog.get(&input.metric_code) {
        Some(metric) => Ok(Some(metric)),
        None => {
            field_error(
                "metric_code",
                format!(
                    "unknown metric {:?}; see ListMetricDefinitions, or leave it empty for a row whose actual is reported for the row itself",
                    input.metric_code
                ),
            );
            Err(())
        }
    }
}

/// The level-1 group of a label: the framework's aliases, then the common vocabulary; any
/// other label (or none, a flat table) is [`Level1::Other`], kept as written (TABLES.md §0).
fn group_of(label: &str, plan: &WeightPlan) -> Level1 {
    if label.trim().is_empty() {
        return Level1::Other;
    }
    plan.read_level1(label).unwrap_or(Level1::Other)
}

/// Validates a target set of the year `year` against the catalog and the framework's groups
/// (`plan`, for its aliases). Reading is total (TABLES.md §0): no row is refused for its words
/// (labels, units, comparators, dates), nor a set for its weights or for having no rows; the
/// evaluator judges what the rules can and flags the rest (`weights_incomplete`,
/// `group_not_in_framework`, `awaiting_review`).
///
/// # Errors
///
/// Every violation of what is broken as data: more than [`MAX_TARGETS`] rows, codes that are
/// not codes or appear twice, an empty name, texts over [`MAX_TEXT_CHARS`], an unknown metric,
/// a weight or printed score that is not a plain decimal in range, a field-by-field target
/// without a comparator or value, a unit of another kind than a bound metric's.
pub fn validate_targets(
    inputs: &[TargetInput],
    catalog: &Catalog,
    plan: &WeightPlan,
    year: i32,
) -> Result<Vec<Target>, Vec<Violation>> {
    if inputs.len() > MAX_TARGETS {
        return Err(vec![Violation::new(
            "targets",
            format!(
                "has {} rows; at most {MAX_TARGETS} are accepted",
                inputs.len()
            ),
        )]);
    }
    let mut violations = Vec::new();
    let mut targets = Vec::with_capacity(inputs.len());
    let mut seen_codes = HashSet::new();
    for (index, input) in inputs.iter().enumerate() {
        let mut field_error = |field: &str, reason: String| {
            violations.push(Violation::new(format!("targets[{index}].{field}"), reason));
        };
        if let Err(reason) = validate_code(&input.indicator_code) {
            field_error("indicator_code", reason);
        } else if !seen_codes.insert(input.indicator_code.as_str()) {
            field_error(
                "indicator_code",
                format!("{:?} appears twice in the set", input.indicator_code),
            );
        }
        if let Some(target) = validate_row(input, catalog, plan, year, &mut field_error) {
            targets.push(target);
        }
    }
    if violations.is_empty() {
        Ok(targets)
    } else {
        Err(violations)
    }
}

/// One row of [`validate_targets`], its code already checked.
fn validate_row(
    input: &TargetInput,
    catalog: &Catalog,
    plan: &WeightPlan,
    year: i32,
    field_error: &mut dyn FnMut(&str, String),
) -> Option<Target> {
    let mut valid = true;
    if let Err(reason) = validate_text(&input.name, true, MAX_NAME_CHARS) {
        field_error("name", reason);
        valid = false;
    }
    for (field, text) in [
        ("target_text", &input.target_text),
        ("level1", &input.level1),
        ("level2", &input.level2),
    ] {
        if let Err(reason) = validate_text(text, false, MAX_TEXT_CHARS) {
            field_error(field, reason);
            valid = false;
        }
    }
    let level1 = group_of(&input.level1, plan);
    let level2 = crate::written::read_level2(&input.level2);
    let metric = metric_of(input, catalog, field_error).ok()?;
    let read = read_row_target(
        input,
        metric.map(|metric| metric.kind),
        &level2,
        year,
        field_error,
    );
    if let (Some(metric), Some(read)) = (metric, &read) {
        let wrong = match read.comparator {
            Comparator::Qualitative => metric.kind != MetricKind::Percent,
            Comparator::Deadline | Comparator::Review => true,
            _ => false,
        };
        if wrong {
            field_error(
                "metric_code",
                format!(
                    "a row bound to the metric {} ({}) needs a figure it can compare; its target reads as {}",
                    metric.code, metric.kind, read.comparator
                ),
            );
            valid = false;
        }
    }
    let weight = read_weight(&input.weight, field_error);
    let reported_score = read_reported_score(&input.reported_score, field_error);
    let read = read?;
    let written = if input.target_text.is_empty() {
        read.value.to_string()
    } else {
        input.target_text.clone()
    };
    let value_field = if input.target_text.trim().is_empty() {
        "target_value"
    } else {
        "target_text"
    };
    let canonical = read.unit.to_canonical(read.value);
    if canonical.is_none() {
        field_error(value_field, crate::not_held_exactly(&written, read.unit));
    }
    let high = match read.high {
        Some(value) => match read.unit.to_canonical(value) {
            Some(value_canonical) => Some(Some((value, value_canonical))),
            None => {
                field_error(value_field, crate::not_held_exactly(&written, read.unit));
                None
            }
        },
        None => Some(None),
    };
    let ((weight, weight_missing), reported_score, target_canonical, high) =
        (weight?, reported_score?, canonical?, high?);
    if !valid {
        return None;
    }
    let level1_text = input.level1.trim();
    let level2_text = input.level2.trim();
    Some(Target {
        indicator_code: input.indicator_code.clone(),
        name: input.name.clone(),
        level1,
        level2: level2.clone(),
        metric_code: input.metric_code.trim().to_owned(),
        comparator: read.comparator,
        target_value: read.value,
        unit: read.unit.code.to_owned(),
        target_canonical,
        weight,
        target_text: input.target_text.trim().to_owned(),
        level1_text: if level1_text == level1.name_zh() || level1_text == level1.code() {
            String::new()
        } else {
            level1_text.to_owned()
        },
        level2_text: if level2_text == level2 {
            String::new()
        } else {
            level2_text.to_owned()
        },
        comparator_inferred: read.inferred,
        target_high: high,
        kind: metric.is_none().then_some(read.unit.kind),
        unit_word: read.unit_word,
        reported_score,
        review_reason: read.review_reason,
        read_note: read.read_note,
        suspect: crate::written::suspect_reading(&input.target_text).unwrap_or_default(),
        weight_missing,
    })
}

/// Reads `text` as the actual of the self-reported row `target` (TABLES.md §3), with a short
/// account of what was read (`50 个`, `the bound ≥ 95%`, `达成`, or why the rules cannot judge
/// it). Never fails: an actual is stored as written whatever its words (TABLES.md §0).
pub fn read_row_actual(text: &str, target: &Target) -> (ActualReading, String) {
    let reading = crate::written::read_actual(text, &target.target_text);
    let target_word = if target.unit_word.is_empty() {
        target.unit.clone()
    } else {
        target.unit_word.clone()
    };
    let figure = |quantity: &crate::written::Quantity| {
        let shown = if quantity.unit_word.is_empty() {
            target.unit_word.clone()
        } else {
            quantity.unit_word.clone()
        };
        match target.comparator {
            Comparator::Qualitative => format!("{} {shown}", quantity.value),
            _ => match crate::written::actual_value(&reading, &target_word) {
                Ok(_) => format!("{} {shown}", quantity.value),
                Err(reason) => format!("not judged: {reason}"),
            },
        }
    };
    let read_as = match &reading {
        ActualReading::Quantity(quantity) => figure(quantity),
        ActualReading::QuantityInWords(quantity) => {
            format!("{} (the number among its words)", figure(quantity))
        }
        ActualReading::Bound {
            comparator,
            quantity,
        } => format!(
            "the bound {comparator} {} (actual_is_bound)",
            figure(quantity)
        ),
        ActualReading::Date(date) => format!("the date {date}"),
        ActualReading::Nothing => "无: 0".to_owned(),
        ActualReading::Verdict {
            verdict,
            attainment: Some(attainment),
        } => format!("{verdict} {attainment}%"),
        ActualReading::Verdict {
            verdict,
            attainment: None,
        } => format!("{verdict}, the framework's default attainment"),
        ActualReading::SameAsTarget => "the target's own words: 达成".to_owned(),
        ActualReading::Statement => "a statement without a verdict: for a reviewer".to_owned(),
        ActualReading::NotRead { reason } => format!("not judged: {reason}"),
    };
    (reading, read_as)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(code: &str, level1: &str, weight: &str) -> TargetInput {
        TargetInput {
            indicator_code: code.into(),
            name: format!("指标 {code}"),
            level1: level1.into(),
            level2: "数量".into(),
            metric_code: "land.supervision.inspected".into(),
            comparator: ">=".into(),
            target_value: "480".into(),
            unit: "宗".into(),
            weight: weight.into(),
            ..TargetInput::default()
        }
    }

    fn satisfaction_row() -> TargetInput {
        TargetInput {
            indicator_code: "S1".into(),
            name: "服务对象满意度".into(),
            level1: "满意度".into(),
            level2: "服务对象满意度".into(),
            metric_code: "satisfaction.rate".into(),
            comparator: ">=".into(),
            target_value: "90".into(),
            unit: "%".into(),
            weight: "10".into(),
            ..TargetInput::default()
        }
    }

    #[test]
    fn accepts_a_set_whose_groups_sum_to_the_framework() {
        let inputs = vec![
            row("O1", "产出", "30"),
            row("O2", "output", "20"),
            row("E1", "效益", "30"),
            satisfaction_row(),
        ];
        let targets = validate_targets(
            &inputs,
            &Catalog::starter(),
            &GroupWeights::default().plan(),
            2022,
        )
        .unwrap();
        assert_eq!(targets.len(), 4);
        assert_eq!(targets[1].level1, Level1::Output);
        assert_eq!(targets[0].unit, "count");
    }

    #[test]
    fn weights_that_do_not_add_up_groups_it_does_not_know_and_no_rows_are_stored() {
        // TABLES.md §0: the evaluator flags them (weights_incomplete, group_not_in_framework).
        let mut unnamed = row("X1", "", "");
        unnamed.metric_code = String::new();
        unnamed.target_text = "≥12种".into();
        let inputs = vec![
            row("O1", "产出", "40"),
            row("E1", "制度指标", "30"),
            row("I1", "投入", "5"),
            unnamed,
        ];
        let targets = validate_targets(
            &inputs,
            &Catalog::starter(),
            &GroupWeights::default().plan(),
            2022,
        )
        .unwrap();
        assert_eq!(targets[1].level1, Level1::Other);
        assert_eq!(targets[1].level1_text, "制度指标");
        assert_eq!(targets[2].level1, Level1::Input);
        assert_eq!(targets[3].level1, Level1::Other);
        assert!(targets[3].weight_missing);
        assert_eq!(targets[3].unit, "as_written");
        assert_eq!(targets[3].unit_word, "种");
        assert_eq!(targets[3].kind, Some(MetricKind::AsWritten));
        let none = validate_targets(
            &[],
            &Catalog::starter(),
            &GroupWeights::default().plan(),
            2022,
        );
        assert_eq!(none, Ok(Vec::new()));
    }

    #[test]
    fn deadlines_and_texts_the_rules_cannot_judge_are_stored_with_their_reading() {
        let text = |code: &str, target: &str| TargetInput {
            indicator_code: code.into(),
            name: format!("指标 {code}"),
            level1: "产出".into(),
            level2: "时效".into(),
            target_text: target.into(),
            weight: "10".into(),
            ..TargetInput::default()
        };
        let targets = validate_targets(
            &[
                text("T1", "9月前"),
                text("T2", "2022年13月"),
                text("T3", "达到预计值 2100"),
                text("T4", "295%"),
            ],
            &Catalog::starter(),
            &GroupWeights::default().plan(),
            2023,
        )
        .unwrap();
        assert_eq!(targets[0].comparator, Comparator::Deadline);
        assert_eq!(targets[0].target_canonical, Decimal::from(20230930));
        assert_eq!(targets[1].comparator, Comparator::Review);
        assert!(targets[1].review_reason.contains("month 13"));
        assert_eq!(targets[2].comparator, Comparator::AtLeast);
        assert!(targets[2].read_note.contains("2100"));
        assert_eq!(targets[3].suspect, "≥95%");
    }

    #[test]
    fn names_the_row_and_field_of_each_bad_value() {
        let mut bad_unit = row("O1", "产出", "50");
        bad_unit.unit = "公顷".into();
        let mut bad_weight = row("E1", "效益", "1e1");
        bad_weight.comparator = "!=".into();
        let violations = validate_targets(
            &[bad_unit, bad_weight, satisfaction_row()],
            &Catalog::starter(),
            &GroupWeights::default().plan(),
            2022,
        )
        .unwrap_err();
        let fields: Vec<&str> = violations.iter().map(|v| v.field.as_str()).collect();
        assert_eq!(
            fields,
            [
                "targets[0].unit",
                "targets[1].comparator",
                "targets[1].weight"
            ]
        );
    }

    #[test]
    fn a_qualitative_row_defaults_to_a_target_of_100_percent() {
        let qualitative = TargetInput {
            indicator_code: "E1".into(),
            name: "重点工作完成情况".into(),
            level1: "效益".into(),
            level2: "社会".into(),
            metric_code: "work.attainment".into(),
            comparator: "qualitative".into(),
            target_value: String::new(),
            unit: String::new(),
            weight: "30".into(),
            ..TargetInput::default()
        };
        let targets = validate_targets(
            &[row("O1", "产出", "50"), qualitative, satisfaction_row()],
            &Catalog::starter(),
            &GroupWeights::default().plan(),
            2022,
        )
        .unwrap();
        assert_eq!(targets[1].target_canonical, Decimal::from(100));
    }
}
