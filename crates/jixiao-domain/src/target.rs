//! Yearly targets (绩效目标): indicator rows, their groups and the weight-sum rule.

use std::collections::{BTreeMap, HashSet};
use std::fmt;
use std::str::FromStr;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::catalog::Catalog;
use crate::decimal::parse_plain_decimal;
use crate::department::{MAX_NAME_CHARS, validate_code, validate_text};
use crate::unit::{MetricKind, Unit};
use crate::violation::Violation;

/// Most indicator rows in one target set.
pub const MAX_TARGETS: usize = 500;

/// The level-1 group of an indicator (一级指标). central-2020 has 产出, 效益 and 满意度; other
/// provinces' frameworks have 投入, 过程, 决策, 管理 and 效果 (TABLES.md §4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Level1 {
    /// 产出.
    Output,
    /// 效益.
    Outcome,
    /// 满意度.
    Satisfaction,
    /// 投入.
    Input,
    /// 过程.
    Process,
    /// 决策 (项目决策, 部门决策).
    Decision,
    /// 管理 (项目管理, 综合管理).
    Management,
    /// 效果 (部门绩效).
    Effect,
}

impl Level1 {
    /// Every group, in report order.
    pub const ALL: [Level1; 8] = [
        Level1::Decision,
        Level1::Input,
        Level1::Process,
        Level1::Management,
        Level1::Output,
        Level1::Outcome,
        Level1::Effect,
        Level1::Satisfaction,
    ];

    /// The groups of central-2020 (财预〔2020〕10号), in report order.
    pub const CENTRAL: [Level1; 3] = [Level1::Output, Level1::Outcome, Level1::Satisfaction];

    /// The code: `output`, `outcome`, `satisfaction`, `input`, `process`, `decision`,
    /// `management` or `effect`.
    pub fn code(&self) -> &'static str {
        match self {
            Level1::Output => "output",
            Level1::Outcome => "outcome",
            Level1::Satisfaction => "satisfaction",
            Level1::Input => "input",
            Level1::Process => "process",
            Level1::Decision => "decision",
            Level1::Management => "management",
            Level1::Effect => "effect",
        }
    }

    /// The Chinese name: 产出, 效益, 满意度, 投入, 过程, 决策, 管理 or 效果.
    pub fn name_zh(&self) -> &'static str {
        match self {
            Level1::Output => "产出",
            Level1::Outcome => "效益",
            Level1::Satisfaction => "满意度",
            Level1::Input => "投入",
            Level1::Process => "过程",
            Level1::Decision => "决策",
            Level1::Management => "管理",
            Level1::Effect => "效果",
        }
    }
}

impl fmt::Display for Level1 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name_zh())
    }
}

impl FromStr for Level1 {
    type Err = String;

    /// A label as published: a code, a Chinese name or an alias ([`crate::written::read_level1`]).
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        crate::written::read_level1(text)
    }
}

/// The level-2 sub-group of an indicator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Level2(&'static str);

const LEVEL2: &[(&str, &str)] = &[
    ("数量", "quantity"),
    ("质量", "quality"),
    ("时效", "timeliness"),
    ("成本", "cost"),
    ("经济", "economic"),
    ("社会", "social"),
    ("生态", "ecological"),
    ("可持续", "sustainability"),
    ("服务对象满意度", "beneficiary_satisfaction"),
];

impl Level2 {
    /// The Chinese name, for example 数量.
    pub fn name_zh(&self) -> &'static str {
        self.0
    }
}

impl FromStr for Level2 {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        LEVEL2
            .iter()
            .find(|(zh, en)| *zh == text || *en == text)
            .map(|(zh, _)| Level2(zh))
            .ok_or_else(|| {
                format!(
                    "{text:?} is not a level-2 group; expected one of 数量, 质量, 时效, 成本, 经济, 社会, 生态, 可持续, 服务对象满意度"
                )
            })
    }
}

impl fmt::Display for Level2 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0)
    }
}

/// How an indicator's actual is compared with its target.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Comparator {
    /// `>=`: higher is better.
    AtLeast,
    /// `<=`: lower is better.
    AtMost,
    /// `=`: reach the target.
    Equal,
    /// `qualitative`: the actual is an attainment percentage.
    Qualitative,
}

impl Comparator {
    /// The text used in the API.
    pub fn as_str(&self) -> &'static str {
        match self {
            Comparator::AtLeast => ">=",
            Comparator::AtMost => "<=",
            Comparator::Equal => "=",
            Comparator::Qualitative => "qualitative",
        }
    }
}

impl fmt::Display for Comparator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Comparator {
    type Err = String;

    /// `>=`, `<=`, `=`, `qualitative`, or any spelling of [`crate::written::COMPARATOR_PREFIXES`]
    /// (≧, ﹦, 大于等于, 不超过, …) and 定性.
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let written = crate::written::normalize(text);
        match written.as_str() {
            "qualitative" | "定性" => return Ok(Comparator::Qualitative),
            _ => {}
        }
        crate::written::COMPARATOR_PREFIXES
            .iter()
            .find(|(word, _)| *word == written)
            .map(|(_, comparator)| *comparator)
            .ok_or_else(|| {
                format!(
                    "{text:?} is not a comparator; expected \">=\", \"<=\", \"=\" or \"qualitative\" (or ≥, ≤, ≧, ≦, ﹦, 大于等于, 小于等于, 等于, …)"
                )
            })
    }
}

/// The weight of each level-1 group; the weights of a target set's rows in a group must sum
/// exactly to it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GroupWeights {
    /// 产出.
    pub output: Decimal,
    /// 效益.
    pub outcome: Decimal,
    /// 满意度.
    pub satisfaction: Decimal,
}

impl Default for GroupWeights {
    /// The framework `central-2020` (财预〔2020〕10号): 产出 50, 效益 30, 满意度 10.
    fn default() -> Self {
        Self {
            output: Decimal::from(50),
            outcome: Decimal::from(30),
            satisfaction: Decimal::from(10),
        }
    }
}

impl GroupWeights {
    /// The weight of `level`.
    pub fn weight(&self, level: Level1) -> Decimal {
        match level {
            Level1::Output => self.output,
            Level1::Outcome => self.outcome,
            Level1::Satisfaction => self.satisfaction,
            _ => Decimal::ZERO,
        }
    }
}

/// A target row as sent, before validation.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TargetInput {
    /// Identifies the row within the set.
    pub indicator_code: String,
    /// Display name.
    pub name: String,
    /// 产出, 效益 or 满意度 (or their English codes).
    pub level1: String,
    /// 数量, 质量, … (or their English codes).
    pub level2: String,
    /// The metric whose value is the actual.
    pub metric_code: String,
    /// `>=`, `<=`, `=` or `qualitative`.
    pub comparator: String,
    /// The annual target, a plain decimal; optional for qualitative rows (default 100).
    pub target_value: String,
    /// The unit of `target_value`; optional for qualitative rows (default percent).
    pub unit: String,
    /// The row's weight, a plain decimal.
    pub weight: String,
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
    /// Level-2 sub-group, as its Chinese name.
    pub level2: String,
    /// The metric whose value is the actual.
    pub metric_code: String,
    /// How the actual is compared.
    pub comparator: Comparator,
    /// The annual target as sent.
    pub target_value: Decimal,
    /// The unit code of `target_value` as sent.
    pub unit: String,
    /// The annual target in the metric's canonical unit.
    pub target_canonical: Decimal,
    /// The row's weight.
    pub weight: Decimal,
}

/// Validates a target set against the catalog and the group weights. On failure, every
/// violation is returned, each naming `targets[i].field`.
pub fn validate_targets(
    inputs: &[TargetInput],
    catalog: &Catalog,
    group_weights: &GroupWeights,
) -> Result<Vec<Target>, Vec<Violation>> {
    let mut violations = Vec::new();
    if inputs.is_empty() {
        violations.push(Violation::new("targets", "at least one target is required"));
    }
    if inputs.len() > MAX_TARGETS {
        violations.push(Violation::new(
            "targets",
            format!(
                "has {} rows; at most {MAX_TARGETS} are accepted",
                inputs.len()
            ),
        ));
        return Err(violations);
    }
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
        if let Err(reason) = validate_text(&input.name, true, MAX_NAME_CHARS) {
            field_error("name", reason);
        }
        let level1 = input
            .level1
            .parse::<Level1>()
            .map_err(|reason| field_error("level1", reason))
            .ok();
        let level2 = input
            .level2
            .parse::<Level2>()
            .map_err(|reason| field_error("level2", reason))
            .ok();
        let comparator = input
            .comparator
            .parse::<Comparator>()
            .map_err(|reason| field_error("comparator", reason))
            .ok();
        let metric = match catalog.get(&input.metric_code) {
            Some(metric) => Some(metric),
            None => {
                field_error(
                    "metric_code",
                    format!(
                        "unknown metric {:?}; see ListMetricDefinitions",
                        input.metric_code
                    ),
                );
                None
            }
        };
        let weight = match parse_plain_decimal(&input.weight) {
            Ok(weight) if weight < Decimal::ZERO => {
                field_error("weight", "must not be negative".to_owned());
                None
            }
            Ok(weight) if weight > Decimal::ONE_HUNDRED => {
                field_error(
                    "weight",
                    format!(
                        "{} is more than 100: a row's weight is its share, in points, of the 100-point total",
                        input.weight
                    ),
                );
                None
            }
            Ok(weight) => Some(weight),
            Err(error) => {
                field_error("weight", error.to_string());
                None
            }
        };
        let qualitative = comparator == Some(Comparator::Qualitative);
        let (value_text, unit_text) = match (
            qualitative,
            input.target_value.as_str(),
            input.unit.as_str(),
        ) {
            (true, "", unit) => ("100", if unit.is_empty() { "percent" } else { unit }),
            (true, value, "") => (value, "percent"),
            (_, value, unit) => (value, unit),
        };
        let target_value = match parse_plain_decimal(value_text) {
            Ok(value) if value < Decimal::ZERO => {
                field_error("target_value", "must not be negative".to_owned());
                None
            }
            Ok(value) => Some(value),
            Err(error) => {
                field_error("target_value", error.to_string());
                None
            }
        };
        let mut unit = None;
        if let Some(metric) = metric {
            if qualitative && metric.kind != MetricKind::Percent {
                field_error(
                    "metric_code",
                    format!(
                        "a qualitative row needs a percent metric (its actual is an attainment percentage), but {} is {}",
                        metric.code, metric.kind
                    ),
                );
            }
            match Unit::for_kind(metric.kind, unit_text) {
                Ok(found) => unit = Some(found),
                Err(error) => field_error("unit", error.to_string()),
            }
        }
        let mut target_canonical = None;
        if let (Some(unit), Some(value)) = (unit, target_value) {
            target_canonical = unit.to_canonical(value);
            if target_canonical.is_none() {
                field_error("target_value", crate::not_held_exactly(value_text, unit));
            }
        }
        if let (
            Some(level1),
            Some(level2),
            Some(comparator),
            Some(metric),
            Some(weight),
            Some(target_value),
            Some(unit),
            Some(target_canonical),
        ) = (
            level1,
            level2,
            comparator,
            metric,
            weight,
            target_value,
            unit,
            target_canonical,
        ) {
            targets.push(Target {
                indicator_code: input.indicator_code.clone(),
                name: input.name.clone(),
                level1,
                level2: level2.name_zh().to_owned(),
                metric_code: metric.code.clone(),
                comparator,
                target_value,
                unit: unit.code.to_owned(),
                target_canonical,
                weight,
            });
        }
    }
    if violations.is_empty() {
        let mut sums: BTreeMap<Level1, Decimal> = Level1::ALL
            .iter()
            .map(|level| (*level, Decimal::ZERO))
            .collect();
        for target in &targets {
            *sums.entry(target.level1).or_default() += target.weight;
        }
        for (level, sum) in sums {
            let expected = group_weights.weight(level);
            if sum != expected {
                violations.push(Violation::new(
                    "targets.weight",
                    format!(
                        "the weights of group {} ({}) sum to {}, but the framework gives that group {}",
                        level.name_zh(),
                        level.code(),
                        sum.normalize(),
                        expected.normalize()
                    ),
                ));
            }
        }
    }
    if violations.is_empty() {
        Ok(targets)
    } else {
        Err(violations)
    }
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
        let targets =
            validate_targets(&inputs, &Catalog::starter(), &GroupWeights::default()).unwrap();
        assert_eq!(targets.len(), 4);
        assert_eq!(targets[1].level1, Level1::Output);
        assert_eq!(targets[0].unit, "count");
    }

    #[test]
    fn names_each_group_whose_weights_do_not_sum() {
        let inputs = vec![
            row("O1", "产出", "40"),
            row("E1", "效益", "30"),
            satisfaction_row(),
        ];
        let violations =
            validate_targets(&inputs, &Catalog::starter(), &GroupWeights::default()).unwrap_err();
        assert_eq!(violations.len(), 1);
        assert!(
            violations[0].description.contains("sum to 40"),
            "{}",
            violations[0]
        );
        assert!(
            violations[0].description.contains("产出"),
            "{}",
            violations[0]
        );
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
            &GroupWeights::default(),
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
        };
        let targets = validate_targets(
            &[row("O1", "产出", "50"), qualitative, satisfaction_row()],
            &Catalog::starter(),
            &GroupWeights::default(),
        )
        .unwrap();
        assert_eq!(targets[1].target_canonical, Decimal::from(100));
    }
}
