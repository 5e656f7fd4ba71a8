//! A department-wide evaluation as of a quarter or the year.

use std::collections::{BTreeMap, HashMap};

use jixiao_domain::target::GroupWeightRule;
use jixiao_domain::{Comparator, Grain, Level1, Period, Temporal};
use rust_decimal::{Decimal, RoundingStrategy};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::arith;
use crate::framework::{
    AtMostRule, BudgetDenominator, BudgetScoring, EqualRule, Framework, OverAchievementRule,
    ValueBand,
};
use crate::inputs::{Inputs, Point, TargetRow};
use rules::ValueRule;

pub use adjust::{Adjustment, AdjustmentOutcome, AdjustmentStatus, BUDGET_ROW, apply_adjustments};

mod adjust;
mod computed;
mod reported;
mod rules;

const EXECUTED: &str = "budget.executed";
const ADJUSTED: &str = "budget.adjusted";
const INITIAL: &str = "budget.initial";
const REPORTED_RATE: &str = "budget.execution_rate_reported";
/// The fund-source lines of each budget column (`jixiao_domain::catalog::FUND_LINES`).
const EXECUTED_LINES: [&str; 5] = [
    "budget.executed.current_appropriation",
    "budget.executed.carryover",
    "budget.executed.special_account",
    "budget.executed.unit_funds",
    "budget.executed.other",
];
const ADJUSTED_LINES: [&str; 5] = [
    "budget.adjusted.current_appropriation",
    "budget.adjusted.carryover",
    "budget.adjusted.special_account",
    "budget.adjusted.unit_funds",
    "budget.adjusted.other",
];
const INITIAL_LINES: [&str; 5] = [
    "budget.initial.current_appropriation",
    "budget.initial.carryover",
    "budget.initial.special_account",
    "budget.initial.unit_funds",
    "budget.initial.other",
];

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

/// The budget execution part of a score.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BudgetScore {
    /// E, executed to date.
    pub executed: Option<Decimal>,
    /// A, the full-year budget.
    pub adjusted: Option<Decimal>,
    /// I, the initial budget.
    pub initial: Option<Decimal>,
    /// 100 × E / A, rounded to 2 decimals.
    pub rate: Option<Decimal>,
    /// rate / t, rounded to 2 decimals.
    pub progress: Option<Decimal>,
    /// The weight of budget execution.
    pub weight: Decimal,
    /// The score earned.
    pub score: Decimal,
    /// The spending light.
    pub light: Light,
    /// The score the rules gave, when a reviewer's adjustment replaced it in `score`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub computed_score: Option<Decimal>,
    /// The budget score as the table printed it (`evaluation.budget_score_reported`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reported_score: Option<Decimal>,
}

/// One target row, explained.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IndicatorScore {
    /// Row code.
    pub indicator_code: String,
    /// Name.
    pub name: String,
    /// Level-1 group.
    pub level1: Level1,
    /// Level-2 sub-group.
    pub level2: String,
    /// Metric of the actual.
    pub metric_code: String,
    /// Comparator.
    pub comparator: Comparator,
    /// Weight.
    pub weight: Decimal,
    /// T, the annual target.
    pub annual_target: Decimal,
    /// T_w, the window's target.
    pub window_target: Decimal,
    /// x, department-wide as of the window.
    pub actual: Option<Decimal>,
    /// Canonical unit of target and actual.
    pub unit: String,
    /// 100 × x / T_w, rounded to 2 decimals.
    pub ratio: Option<Decimal>,
    /// The score earned.
    pub score: Decimal,
    /// 达成, 部分达成 or 未达成, for qualitative rows.
    pub band: Option<String>,
    /// The target light.
    pub light: Light,
    /// The target as written (年度指标值), when it was written.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub target_text: String,
    /// A self-reported row's actual as written, with its period (`50 (2022)`).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub actual_text: String,
    /// How the target and the actual were read (`comparator inferred`, `达成, default 100%`).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub read_as: String,
    /// A computed row's formula (TABLES.md §4); empty for a target set's row.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub formula: String,
    /// The score the rules gave, when a reviewer's adjustment replaced it in `score`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub computed_score: Option<Decimal>,
    /// The row's 得分 as the table printed it, when it was pushed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reported_score: Option<Decimal>,
}

/// What a self-reported row's actual gives (TABLES.md §3).
enum Reported {
    /// A figure, or an attainment percentage on a qualitative row: scored as a metric's value.
    Value(Value),
    /// A verdict on a quantitative row: the weight × the attainment percentage.
    Attainment(Decimal),
    /// Words that state what was done without a verdict: 0, until a verdict or a reviewer.
    NotJudged,
    /// No actual as of the window.
    Missing,
}

/// A deduction applied.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeductionScore {
    /// The metric counted.
    pub metric_code: String,
    /// The reason.
    pub reason: String,
    /// The metric's value as of the window.
    pub count: Decimal,
    /// Per occurrence.
    pub per_unit: Decimal,
    /// At most.
    pub cap: Decimal,
    /// Deducted.
    pub amount: Decimal,
}

/// A consistency or plausibility finding, with the figures that raised it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Flag {
    /// For example `source_conflict`.
    pub code: String,
    /// What it is about: a metric or an indicator code.
    pub subject: String,
    /// The explanation.
    pub message: String,
    /// The figures, by name.
    pub figures: Vec<(String, String)>,
}

/// A department-wide evaluation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Evaluation {
    /// Department evaluated, or the department of the project evaluated.
    pub department_code: String,
    /// Its name.
    pub department_name: String,
    /// The project evaluated (项目支出); empty for a department-wide evaluation (部门整体).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub project_code: String,
    /// The project's name.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub project_name: String,
    /// The as-of period.
    pub period: String,
    /// Framework name.
    pub framework_name: String,
    /// Framework version.
    pub framework_version: String,
    /// t = m / 12.
    pub time_factor: Decimal,
    /// Budget execution.
    pub budget: BudgetScore,
    /// Indicator rows.
    pub indicators: Vec<IndicatorScore>,
    /// Σ indicator scores.
    pub indicator_total: Decimal,
    /// Deductions.
    pub deductions: Vec<DeductionScore>,
    /// Σ deductions.
    pub deduction_total: Decimal,
    /// The total, in [0, 100].
    pub total: Decimal,
    /// The grade.
    pub grade: String,
    /// Flags.
    pub flags: Vec<Flag>,
    /// Revision of the target set used (0 without one).
    pub targets_revision: i64,
    /// SHA-256 of the inputs that counted, hexadecimal; with adjustments, of the inputs and
    /// the adjustments.
    pub input_digest: String,
    /// The subject's adjustments for the period and what became of each (TABLES.md §5).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub adjustments: Vec<AdjustmentOutcome>,
    /// The table's own 总分 (`evaluation.total_reported`), when it was pushed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reported_total: Option<Decimal>,
}

/// The total: budget execution and the rows, less the deductions, within [0, 100].
pub(crate) fn total_of(budget: Decimal, rows: Decimal, deductions: Decimal) -> Decimal {
    arith::sub(arith::add(budget, rows), deductions)
        .max(Decimal::ZERO)
        .min(Decimal::from(100))
}

/// Rounds to 2 decimals, half away from zero.
pub(crate) fn round2(value: Decimal) -> Decimal {
    value.round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero)
}

fn show(value: Decimal) -> String {
    value.normalize().to_string()
}

/// Why a numeric actual cannot count for a row measured in `unit_code`: its own unit is of
/// another kind (a target revised from 个 to 万元 after `50个` was reported).
fn kind_mismatch(
    reading: &jixiao_domain::written::ActualReading,
    unit_code: &str,
) -> Option<String> {
    use jixiao_domain::written::ActualReading;
    let quantity = match reading {
        ActualReading::Quantity(quantity) | ActualReading::Bound { quantity, .. } => quantity,
        _ => return None,
    };
    let written = quantity.unit?;
    let expected = jixiao_domain::Unit::by_code(unit_code)?;
    (written.kind != expected.kind).then(|| {
        format!(
            "the actual is in {} ({}), but the row now measures {}: report it again",
            quantity.unit_word, written.kind, expected.kind
        )
    })
}

/// An amount in 万元 as a report prints it: 2 decimals and the unit (816.10 万元).
fn money(value: Decimal) -> String {
    figure(value, "wan_yuan")
}

/// A figure in the unit `unit_code` as a report prints it: the unit's Chinese name, and money
/// with 2 decimals (`816.1` 万元 is `816.10 万元`, 487 `count` is `487 个`, 94.4 `percent` is
/// `94.4%`); an unknown or empty code prints the figure alone.
fn figure(value: Decimal, unit_code: &str) -> String {
    match jixiao_domain::Unit::by_code(unit_code) {
        Some(unit) if unit.kind == jixiao_domain::MetricKind::Money => {
            format!("{:.2} {}", round2(value), unit.name_zh())
        }
        Some(unit) if unit.name_zh() == "%" => format!("{}%", show(value)),
        Some(unit) => format!("{} {}", show(value), unit.name_zh()),
        None => show(value),
    }
}

fn percent(value: Decimal) -> String {
    format!("{:.2}", round2(value))
}

/// A resolved figure: one value per (department, metric, period), sources reconciled.
#[derive(Debug, Clone)]
struct Figure<'a> {
    period: Period,
    value: Decimal,
    point: &'a Point,
}

/// A metric's value for one department, with whether a point counted in it carries a note.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Value {
    amount: Decimal,
    noted: bool,
}

struct Context<'a> {
    framework: &'a Framework,
    inputs: &'a Inputs,
    as_of: Period,
    window_end: u8,
    whole_year: bool,
    t: Decimal,
    scope: Vec<&'a str>,
    /// The project evaluated; `None` department-wide.
    project: Option<&'a str>,
    /// (department, metric) → figures of that department's own points, by period.
    figures: HashMap<(&'a str, &'a str), Vec<Figure<'a>>>,
    /// metric → department-wide value, computed once so that its flags are raised once.
    values: HashMap<&'a str, Option<Value>>,
    flags: Vec<Flag>,
    /// How many flags of each code were raised, listed or not.
    flag_counts: BTreeMap<String, usize>,
    digest: Sha256,
}

/// Most flags of one code a snapshot lists (a large tree can raise a `source_conflict` per
/// figure); past it, one last flag of that code counts the rest, so that a snapshot stays
/// far below the 4 MiB a client accepts by default.
pub const MAX_FLAGS_PER_CODE: usize = 50;

/// Evaluates `department_code` department-wide as of `as_of` (a quarter or a year).
///
/// # Panics
/// When `as_of` is a month: callers check [`Period::is_evaluable`] first.
pub fn evaluate(
    framework: &Framework,
    inputs: &Inputs,
    department_code: &str,
    as_of: Period,
) -> Evaluation {
    evaluate_subject(framework, inputs, department_code, None, as_of)
}

/// Evaluates the project `project_code` (项目支出) as of `as_of`: its own target set, its own
/// budget figures and metric points (points of its department carrying its code), its own
/// actuals (TABLES.md §2). A project not in the inputs is evaluated with nothing.
///
/// # Panics
/// When `as_of` is a month: callers check [`Period::is_evaluable`] first.
pub fn evaluate_project(
    framework: &Framework,
    inputs: &Inputs,
    project_code: &str,
    as_of: Period,
) -> Evaluation {
    let department_code = inputs
        .project(project_code)
        .map(|project| project.department_code.clone())
        .unwrap_or_default();
    evaluate_subject(
        framework,
        inputs,
        &department_code,
        Some(project_code),
        as_of,
    )
}

fn evaluate_subject(
    framework: &Framework,
    inputs: &Inputs,
    department_code: &str,
    project_code: Option<&str>,
    as_of: Period,
) -> Evaluation {
    assert!(
        as_of.is_evaluable(),
        "evaluations are as of a quarter or a year"
    );
    arith::reset();
    let window_end = as_of.end_month();
    let mut context = Context {
        framework,
        inputs,
        as_of,
        window_end,
        whole_year: window_end == 12,
        t: Decimal::from(window_end) / Decimal::from(12),
        // A project's figures are its department's own points with its code; a department's
        // are its and its units' points without one (SCORING.md §2).
        scope: match project_code {
            Some(_) => vec![department_code],
            None => inputs.scope(department_code),
        },
        project: project_code,
        figures: HashMap::new(),
        values: HashMap::new(),
        flags: Vec::new(),
        flag_counts: BTreeMap::new(),
        digest: Sha256::new(),
    };
    context.digest_header(department_code);
    if let Some(project) = project_code {
        let name = inputs
            .project(project)
            .map(|project| project.name.as_str())
            .unwrap_or_default();
        context.digest_line(format!("project {project} {name}"));
    }
    context.resolve_sources();

    let mut budget = context.budget();
    let target_set = match project_code {
        Some(project) => inputs.project_target_set(project),
        None => inputs.target_set(department_code),
    };
    let subject = project_code.unwrap_or(department_code);
    let rows: &[TargetRow] = target_set.map_or(&[], |set| set.targets.as_slice());
    context.digest_targets(target_set.map_or(0, |set| set.revision), rows);
    if target_set.is_none() {
        let message = format!(
            "{subject} has no targets for {}; only budget execution and deductions are scored, and it is not graded",
            as_of.year_number()
        );
        context.flag(
            "missing_targets",
            subject,
            message,
            vec![("year", as_of.year_number().to_string())],
        );
    }
    context.check_weights(rows);
    let mut indicators: Vec<IndicatorScore> =
        rows.iter().map(|row| context.indicator(row)).collect();
    indicators.extend(framework.computed.iter().map(|row| context.computed(row)));
    let indicator_total = arith::sum(indicators.iter().map(|row| row.score));
    let deductions = context.deductions();
    let deduction_total = arith::sum(deductions.iter().map(|rule| rule.amount));
    let total = total_of(budget.score, indicator_total, deduction_total);
    context.budget_flags(&budget, indicator_total);
    let (budget_reported, reported_total) = context.reported_figures();
    budget.reported_score = budget_reported;
    let reported = reported::flags(
        &budget,
        &indicators,
        total,
        reported_total,
        framework.flags.reported_score_tolerance,
    );
    for flag in reported {
        context.push_flag(flag);
    }
    for (code, count) in std::mem::take(&mut context.flag_counts) {
        if count > MAX_FLAGS_PER_CODE {
            let more = count - MAX_FLAGS_PER_CODE;
            context.flags.push(Flag {
                code: code.clone(),
                subject: "flags".to_owned(),
                message: format!("{more} more {code} flags of this evaluation are not listed"),
                figures: vec![
                    ("not_listed".to_owned(), more.to_string()),
                    ("raised".to_owned(), count.to_string()),
                ],
            });
        }
    }
    if arith::saturated() {
        context.flag(
            "figure_out_of_range",
            department_code,
            "a sum, product or quotient of this department's figures went beyond ±79228162514264337593543950335 (what an exact decimal holds) and was held at that bound; the scores it feeds are at their own bounds: check the figures".to_owned(),
            vec![("bound", Decimal::MAX.to_string())],
        );
    }
    // A subject without targets for the year is not graded (TABLES.md §2 / issue: a grade
    // of budget and deductions alone would read as a verdict on its performance).
    let grade = if target_set.is_some() {
        framework.grade(total).to_owned()
    } else {
        String::new()
    };
    let digest = context.digest.clone().finalize();
    Evaluation {
        department_code: department_code.to_owned(),
        department_name: inputs
            .department(department_code)
            .map(|department| department.name.clone())
            .unwrap_or_default(),
        project_code: project_code.unwrap_or_default().to_owned(),
        project_name: project_code
            .and_then(|project| inputs.project(project))
            .map(|project| project.name.clone())
            .unwrap_or_default(),
        period: as_of.to_string(),
        framework_name: framework.name.clone(),
        framework_version: framework.version.clone(),
        time_factor: context.t,
        budget,
        indicators,
        indicator_total,
        deductions,
        deduction_total,
        total,
        grade,
        flags: context.flags,
        targets_revision: target_set.map_or(0, |set| set.revision),
        input_digest: digest.iter().map(|byte| format!("{byte:02x}")).collect(),
        adjustments: Vec::new(),
        reported_total,
    }
}

impl<'a> Context<'a> {
    fn flag(&mut self, code: &str, subject: &str, message: String, figures: Vec<(&str, String)>) {
        self.push_flag(Flag {
            code: code.to_owned(),
            subject: subject.to_owned(),
            message,
            figures: figures
                .into_iter()
                .map(|(name, value)| (name.to_owned(), value))
                .collect(),
        });
    }

    /// Lists a flag, unless [`MAX_FLAGS_PER_CODE`] of its code are listed; counts it either way.
    fn push_flag(&mut self, flag: Flag) {
        let count = self.flag_counts.entry(flag.code.clone()).or_default();
        *count += 1;
        if *count <= MAX_FLAGS_PER_CODE {
            self.flags.push(flag);
        }
    }

    fn digest_line(&mut self, line: String) {
        self.digest.update(line.as_bytes());
        self.digest.update(b"\n");
    }

    fn digest_header(&mut self, department_code: &str) {
        self.digest_line(format!("as_of {} department {department_code}", self.as_of));
        let scope = self.scope.clone();
        for code in scope {
            if let Some(department) = self.inputs.department(code) {
                let line = format!(
                    "scope {} {} {}",
                    department.code,
                    department.parent_code.as_deref().unwrap_or("-"),
                    department.name
                );
                self.digest_line(line);
            }
        }
    }

    fn digest_targets(&mut self, revision: i64, rows: &[TargetRow]) {
        self.digest_line(format!("targets {revision}"));
        for row in rows {
            let line = format!(
                "target {} {} {} {} {} {} {} {} {}",
                row.indicator_code,
                row.level1.code(),
                row.level2,
                row.metric_code,
                row.comparator,
                show(row.target),
                row.unit,
                show(row.weight),
                row.name
            );
            self.digest_line(line);
        }
    }

    /// Keeps the points that count (the year's, without a project, starting inside the window)
    /// and reconciles sources: for each (department, metric, period) the highest priority wins,
    /// then the one received last; differing values raise `source_conflict`.
    fn resolve_sources(&mut self) {
        let inputs = self.inputs;
        let scope = self.scope.clone();
        for code in scope {
            let points = inputs.points(code);
            let mut index = 0;
            while index < points.len() {
                // Points are ordered by metric, period, project, source: a group is a run.
                let first = &points[index];
                let mut end = index + 1;
                while end < points.len()
                    && points[end].metric_code == first.metric_code
                    && points[end].period == first.period
                    && points[end].project_code == first.project_code
                {
                    end += 1;
                }
                let group = &points[index..end];
                index = end;
                let subject_point = match self.project {
                    Some(project) => &*first.project_code == project,
                    None => first.project_code.is_empty(),
                };
                if !subject_point || !self.counts_in_window(first) {
                    continue;
                }
                for point in group {
                    let line = format!(
                        "point {} {} {} {} {} {} {}",
                        point.department_code,
                        point.metric_code,
                        point.period,
                        point.source,
                        show(point.value),
                        point.sequence,
                        point.note
                    );
                    self.digest_line(line);
                }
                let framework = self.framework;
                let winner = group
                    .iter()
                    .max_by_key(|point| (framework.priority(&point.source), point.sequence))
                    .expect("a group has a point");
                if group.iter().any(|point| point.value != winner.value) {
                    let mut figures: Vec<(&str, String)> = group
                        .iter()
                        .map(|point| (&*point.source, show(point.value)))
                        .collect();
                    figures.push(("department", code.to_owned()));
                    figures.push(("period", first.period.to_string()));
                    figures.push(("counted", winner.source.to_string()));
                    // Say which rule decided: a higher priority than every other source that
                    // reported another value, or, among sources of equal priority, arrival.
                    let priority = framework.priority(&winner.source);
                    let outranked = group
                        .iter()
                        .filter(|point| point.value != winner.value)
                        .all(|point| framework.priority(&point.source) < priority);
                    let rule = if outranked {
                        "the highest priority among them"
                    } else {
                        "received last among sources of equal priority"
                    };
                    let message = format!(
                        "{} of {code} for {}: sources report different values; {} counts (priority {priority}, {rule})",
                        first.metric_code, first.period, winner.source,
                    );
                    self.flag("source_conflict", &first.metric_code, message, figures);
                }
                self.figures
                    .entry((code, &*first.metric_code))
                    .or_default()
                    .push(Figure {
                        period: first.period,
                        value: winner.value,
                        point: winner,
                    });
            }
        }
    }

    /// Whether a point can count in the window: the year's; for a flow, a month or quarter
    /// inside the window, or the year point in the whole-year window; for a stock, a period
    /// starting inside the window.
    fn counts_in_window(&self, point: &Point) -> bool {
        let period = point.period;
        if period.year_number() != self.as_of.year_number() {
            return false;
        }
        match self
            .inputs
            .metric(&point.metric_code)
            .map(|info| info.temporal)
        {
            Some(Temporal::Flow) => {
                period.end_month() <= self.window_end
                    && (period.grain() != Grain::Year || self.whole_year)
            }
            Some(Temporal::Stock) | None => period.start_month() <= self.window_end,
        }
    }

    /// A metric's value for one department alone, as of the window.
    fn own_value(&mut self, code: &'a str, metric: &'a str, temporal: Temporal) -> Option<Value> {
        let figures = self.figures.get(&(code, metric))?.clone();
        match temporal {
            Temporal::Stock => figures
                .iter()
                .max_by_key(|figure| {
                    (
                        figure.period.start_month(),
                        std::cmp::Reverse(figure.period.grain()),
                    )
                })
                .map(|figure| Value {
                    amount: figure.value,
                    noted: !figure.point.note.is_empty(),
                }),
            Temporal::Flow => {
                let mut window: Option<Value> = None;
                let add = |total: &mut Option<Value>, value: Value| {
                    let sum = total.get_or_insert(Value {
                        amount: Decimal::ZERO,
                        noted: false,
                    });
                    sum.amount = arith::add(sum.amount, value.amount);
                    sum.noted |= value.noted;
                };
                for quarter in 1..=(self.window_end / 3) {
                    let quarter_figure = figures
                        .iter()
                        .find(|figure| figure.period.quarter_number() == Some(quarter));
                    let months: Vec<&Figure<'_>> = figures
                        .iter()
                        .filter(|figure| {
                            figure.period.grain() == Grain::Month
                                && figure.period.containing_quarter() == Some(quarter)
                        })
                        .collect();
                    let month_sum = (!months.is_empty()).then(|| Value {
                        amount: arith::sum(months.iter().map(|figure| figure.value)),
                        noted: months.iter().any(|figure| !figure.point.note.is_empty()),
                    });
                    let quarter_value = match (quarter_figure, month_sum) {
                        (Some(figure), month_sum) => {
                            if let Some(month_sum) = month_sum
                                && month_sum.amount != figure.value
                            {
                                self.mismatch(
                                    code,
                                    metric,
                                    figure.period,
                                    figure.value,
                                    month_sum.amount,
                                    "months",
                                );
                            }
                            Some(Value {
                                amount: figure.value,
                                noted: !figure.point.note.is_empty(),
                            })
                        }
                        (None, month_sum) => month_sum,
                    };
                    if let Some(value) = quarter_value {
                        add(&mut window, value);
                    }
                }
                if self.whole_year
                    && let Some(year) = figures
                        .iter()
                        .find(|figure| figure.period.grain() == Grain::Year)
                {
                    if let Some(sum) = window
                        && sum.amount != year.value
                    {
                        self.mismatch(
                            code,
                            metric,
                            year.period,
                            year.value,
                            sum.amount,
                            "quarters and months",
                        );
                    }
                    return Some(Value {
                        amount: year.value,
                        noted: !year.point.note.is_empty(),
                    });
                }
                window
            }
        }
    }

    fn mismatch(
        &mut self,
        code: &str,
        metric: &str,
        period: Period,
        coarse: Decimal,
        sum: Decimal,
        finer: &str,
    ) {
        let unit = self
            .inputs
            .metric(metric)
            .map(|info| info.unit.clone())
            .unwrap_or_default();
        let message = format!(
            "{metric} of {code}: the {period} figure {} differs from the sum of its {finer}, {}; the {period} figure counts",
            figure(coarse, &unit),
            figure(sum, &unit)
        );
        self.flag(
            "subperiod_sum_mismatch",
            metric,
            message,
            vec![
                ("department", code.to_owned()),
                ("period", period.to_string()),
                ("coarse_value", show(coarse)),
                ("finer_sum", show(sum)),
            ],
        );
    }

    /// A metric's department-wide value as of the window: summed over the scope when additive,
    /// the department's own otherwise. `None` when no point counts.
    fn value(&mut self, metric: &'a str) -> Option<Value> {
        if let Some(value) = self.values.get(metric) {
            return *value;
        }
        let value = self.compute_value(metric);
        self.values.insert(metric, value);
        value
    }

    fn compute_value(&mut self, metric: &'a str) -> Option<Value> {
        let info = self.inputs.metric(metric)?;
        let scope = self.scope.clone();
        if !info.additive {
            return self.own_value(scope[0], metric, info.temporal);
        }
        let mut total: Option<Value> = None;
        for code in scope {
            if let Some(value) = self.own_value(code, metric, info.temporal) {
                let sum = total.get_or_insert(Value {
                    amount: Decimal::ZERO,
                    noted: false,
                });
                sum.amount = arith::add(sum.amount, value.amount);
                sum.noted |= value.noted;
            }
        }
        total
    }

    fn light_for_progress(&self, progress: Decimal) -> Light {
        let lights = &self.framework.lights;
        if progress < lights.red_below {
            Light::Red
        } else if progress < lights.yellow_below {
            Light::Yellow
        } else {
            Light::Green
        }
    }

    /// A budget figure as a 自评表's budget block gives it: the 年度资金总额 line, or, when that
    /// line is 0 or empty while fund-source lines have figures, their sum, flagged
    /// `budget_total_missing` (TABLES.md §5; cases F01, F02).
    fn budget_figure(&mut self, total: &'static str, lines: &[&'static str]) -> Option<Decimal> {
        let stated = self.value(total).map(|value| value.amount);
        if stated.is_some_and(|value| !value.is_zero()) {
            return stated;
        }
        let parts: Vec<(&str, Decimal)> = lines
            .iter()
            .filter_map(|code| self.value(code).map(|value| (*code, value.amount)))
            .collect();
        let sum = arith::sum(parts.iter().map(|(_, value)| *value));
        if parts.is_empty() || sum.is_zero() {
            return stated;
        }
        let written = stated.map_or("empty".to_owned(), |_| "0".to_owned());
        let message = format!(
            "the total line of {total} is {written}, while its fund-source lines sum to {}: the sum counts",
            money(sum)
        );
        let mut figures: Vec<(&str, String)> = parts
            .iter()
            .map(|(code, value)| (*code, show(*value)))
            .collect();
        figures.push(("sum", show(sum)));
        self.flag("budget_total_missing", total, message, figures);
        Some(sum)
    }

    fn budget(&mut self) -> BudgetScore {
        let weight = self.framework.budget.weight;
        let executed = self.budget_figure(EXECUTED, &EXECUTED_LINES);
        let adjusted = self.budget_figure(ADJUSTED, &ADJUSTED_LINES);
        let initial = self.budget_figure(INITIAL, &INITIAL_LINES);
        let mut budget = BudgetScore {
            executed,
            adjusted,
            initial,
            rate: None,
            progress: None,
            weight,
            score: Decimal::ZERO,
            light: Light::None,
            computed_score: None,
            reported_score: None,
        };
        if self.framework.budget.rule == BudgetScoring::None {
            // The framework judges the budget through its own rows (R14): no score, no flags.
            return budget;
        }
        match (executed, adjusted) {
            (_, None) => self.flag(
                "missing_budget",
                ADJUSTED,
                "the full-year budget A (budget.adjusted) has no value; budget execution scores 0"
                    .to_owned(),
                vec![("executed", executed.map(show).unwrap_or_default())],
            ),
            (_, Some(adjusted)) if adjusted.is_zero() => self.flag(
                "missing_budget",
                ADJUSTED,
                "the full-year budget A (budget.adjusted) is 0; budget execution scores 0"
                    .to_owned(),
                vec![("adjusted", show(adjusted))],
            ),
            (None, Some(adjusted)) => self.flag(
                "missing_budget",
                EXECUTED,
                "executed expenditure E (budget.executed) has no value; budget execution scores 0"
                    .to_owned(),
                vec![("adjusted", show(adjusted))],
            ),
            (Some(executed), Some(adjusted)) => {
                let hundred = Decimal::ONE_HUNDRED;
                let rule = &self.framework.budget;
                let denominator = match rule.denominator {
                    BudgetDenominator::Adjusted => Some(adjusted),
                    BudgetDenominator::Initial => initial.filter(|initial| !initial.is_zero()),
                };
                let Some(denominator) = denominator else {
                    self.flag(
                        "missing_budget",
                        INITIAL,
                        "the initial budget I (budget.initial), which this framework divides by, has no value or is 0; budget execution scores 0".to_owned(),
                        vec![("executed", show(executed))],
                    );
                    return budget;
                };
                let rate = arith::div(executed, denominator);
                let progress = arith::div(rate, self.t);
                let percent_progress = arith::mul(progress, hundred);
                budget.rate = Some(round2(arith::mul(rate, hundred)));
                budget.progress = Some(round2(percent_progress));
                // Budget execution is a computed row judged on time progress (TABLES.md §4):
                // its rule is one of the rules computed rows use.
                let bands: Vec<ValueBand> = rule
                    .bands
                    .iter()
                    .map(|band| ValueBand {
                        at_least: Some(band.min_percent),
                        at_most: None,
                        score: band.score,
                    })
                    .collect();
                let value_rule = match rule.rule {
                    BudgetScoring::Linear => ValueRule::Proportional {
                        limit: hundred,
                        inverse: false,
                    },
                    BudgetScoring::Threshold => ValueRule::Threshold {
                        full_at: rule.full_at.unwrap_or(hundred),
                        per_point: rule.points_per_point,
                    },
                    BudgetScoring::Bands => ValueRule::Bands(&bands),
                    BudgetScoring::None => ValueRule::Value,
                };
                let raw = if rule.rule == BudgetScoring::None {
                    Decimal::ZERO
                } else {
                    value_rule.score(weight, percent_progress)
                };
                budget.score = self.framework.rounding.round(raw);
                budget.light = self.light_for_progress(percent_progress);
            }
        }
        budget
    }

    fn check_weights(&mut self, rows: &[TargetRow]) {
        if rows.is_empty() {
            return;
        }
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
        let reserved = self.framework.weight_plan().reserved;
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
                self.framework.weight_plan().reserved_by
            );
            let mut figures: Vec<(&str, String)> = sums
                .iter()
                .map(|(level, sum, _)| (level.code(), show(*sum)))
                .collect();
            figures.push(("budget", show(self.framework.budget.weight)));
            self.flag("group_weights_adjusted", "targets", message, figures);
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
                    "target_weights_mismatch",
                    level.code(),
                    message,
                    vec![("sum", show(sum)), ("framework_weight", show(expected))],
                );
            }
        }
    }

    /// The actual of a self-reported row as of the window: the reported actual of the latest
    /// period (a quarter, or the year) that ends at or before the window's end, read as
    /// written; with the text and what was read, for the explanation.
    fn reported(&mut self, row: &TargetRow) -> (Reported, String, String) {
        let root = self.scope[0];
        let year = self.as_of.year_number();
        let window_end = self.window_end;
        let actuals = match self.project {
            Some(project) => self.inputs.project_row_actuals(project),
            None => self.inputs.row_actuals(root),
        };
        let latest = actuals
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
            });
        let Some(actual) = latest else {
            return (Reported::Missing, String::new(), String::new());
        };
        self.digest_line(format!(
            "actual {} {} {} {} {}",
            row.indicator_code, actual.period, actual.sequence, actual.actual_text, actual.note
        ));
        let text = format!("{} ({})", actual.actual_text, actual.period);
        let noted = !actual.note.is_empty();
        let reading =
            match jixiao_domain::written::read_actual(&actual.actual_text, &row.target_text) {
                Ok(reading) => reading,
                // The ingestion service read it when it was reported; a reader that changed since
                // may not: the row is then not judged, and says why.
                Err(reason) => return (Reported::NotJudged, text, reason),
            };
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
            ActualReading::Statement => (
                Reported::NotJudged,
                text,
                "a statement without a verdict".to_owned(),
            ),
            reading @ (ActualReading::Quantity(_)
            | ActualReading::Bound { .. }
            | ActualReading::Nothing) => {
                // A bare number is in the unit the target was written in (50 against ≥50厘米
                // is 50 厘米); the value is then canonical, in the row's unit.
                let written_in = if qualitative {
                    "percent"
                } else if row.unit_as_sent.is_empty() {
                    row.unit.as_str()
                } else {
                    row.unit_as_sent.as_str()
                };
                let unit = if qualitative {
                    "percent"
                } else {
                    row.unit.as_str()
                };
                if let Some(reason) = kind_mismatch(&reading, unit) {
                    return (Reported::NotJudged, text, reason);
                }
                let Some(amount) = jixiao_domain::written::actual_value(&reading, written_in)
                else {
                    return (
                        Reported::NotJudged,
                        text,
                        "a figure a decimal cannot hold exactly".to_owned(),
                    );
                };
                let mut read_as = figure(amount, unit);
                if let ActualReading::Bound { comparator, .. } = &reading {
                    read_as = format!("the bound {comparator} {read_as} copied from the target");
                    let message = format!(
                        "{} ({}): the actual {:?} copies a bound of the target rather than a figure; the bound counts",
                        row.indicator_code, row.name, text
                    );
                    self.flag(
                        "actual_is_bound",
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

    fn indicator(&mut self, row: &'a TargetRow) -> IndicatorScore {
        let temporal = self
            .inputs
            .metric(&row.metric_code)
            .map(|info| info.temporal);
        // Flow metrics, and self-reported rows of a kind that accumulates, scale by t.
        let scales = match (temporal, row.kind) {
            (Some(temporal), _) => temporal == Temporal::Flow,
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
        let window_target = window(row.target);
        let window_high = row.target_high.map(window);
        let (reported, actual_text, read_as) = if row.metric_code.is_empty() {
            self.reported(row)
        } else {
            let value = self.value(&row.metric_code);
            (
                value.map_or(Reported::Missing, Reported::Value),
                String::new(),
                String::new(),
            )
        };
        let value = match &reported {
            Reported::Value(value) => Some(*value),
            _ => None,
        };
        let mut read_as = read_as;
        if row.comparator_inferred {
            let inferred = format!("comparator {} inferred", row.comparator);
            read_as = if read_as.is_empty() {
                inferred
            } else {
                format!("{inferred}; {read_as}")
            };
        }
        let mut scored = IndicatorScore {
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
            formula: String::new(),
            computed_score: None,
            reported_score: row.reported_score,
        };
        if !self.framework.allows(row.comparator) {
            let message = format!(
                "{}: the comparator {} is not among this framework's comparators",
                row.indicator_code, row.comparator
            );
            self.flag(
                "comparator_not_allowed",
                &row.indicator_code,
                message,
                vec![("comparator", row.comparator.to_string())],
            );
        }
        match reported {
            Reported::Attainment(attainment) => {
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
                    "verdict_on_quantitative_row",
                    &row.indicator_code,
                    message,
                    vec![("attainment_percent", show(attainment))],
                );
                return scored;
            }
            Reported::NotJudged => {
                let message = format!(
                    "{} ({}): the actual {:?} states what was done without a verdict; the row scores 0 until a verdict is reported",
                    row.indicator_code, row.name, scored.actual_text
                );
                self.flag(
                    "actual_not_judged",
                    &row.indicator_code,
                    message,
                    vec![("actual", scored.actual_text.clone())],
                );
                return scored;
            }
            Reported::Missing | Reported::Value(_) => {}
        }
        let Some(value) = value else {
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
                "missing_actual",
                &row.indicator_code,
                message,
                vec![("metric", row.metric_code.clone())],
            );
            return scored;
        };
        let x = value.amount;
        let w = row.weight;
        if !window_target.is_zero() && row.comparator != Comparator::Qualitative {
            scored.ratio = Some(round2(arith::mul(
                arith::div(x, window_target),
                Decimal::ONE_HUNDRED,
            )));
        }
        let raw = score_row(
            row.comparator,
            self.framework.indicators.at_most,
            w,
            x,
            window_target,
            window_high,
        );
        let indicator_rules = &self.framework.indicators;
        let raw =
            if row.comparator == Comparator::Equal && indicator_rules.equal == EqualRule::Exact {
                if x == window_target { w } else { Decimal::ZERO }
            } else {
                raw
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
        scored.score = self.framework.rounding.round(raw.max(Decimal::ZERO).min(w));
        let lights = &self.framework.lights;
        let hundred = Decimal::from(100);
        scored.light = match row.comparator {
            Comparator::Qualitative => {
                let indicators = &self.framework.indicators;
                let (band, light) = if x >= indicators.qualitative_achieved {
                    ("达成", Light::Green)
                } else if x >= indicators.qualitative_partly_achieved {
                    ("部分达成", Light::Yellow)
                } else {
                    ("未达成", Light::Red)
                };
                scored.band = Some(band.to_owned());
                light
            }
            _ if row.target.is_zero() => {
                if scored.score == w {
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
            Comparator::AtMost => {
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
        };
        if matches!(row.comparator, Comparator::AtLeast | Comparator::Equal)
            && window_target > Decimal::ZERO
            && x >= arith::mul(self.framework.flags.over_achievement_ratio, window_target)
            && !value.noted
        {
            let message = format!(
                "{} ({}): the actual {} is {}% of the window's target {}, and no point counted in it explains why (a note)",
                row.indicator_code,
                row.name,
                figure(x, &row.unit),
                percent(arith::mul(arith::div(x, window_target), hundred)),
                figure(window_target, &row.unit),
            );
            self.flag(
                "over_achievement",
                &row.indicator_code,
                message,
                vec![
                    ("actual", show(x)),
                    ("window_target", show(window_target)),
                    (
                        "ratio_percent",
                        percent(arith::mul(arith::div(x, window_target), hundred)),
                    ),
                ],
            );
        }
        scored
    }

    fn deductions(&mut self) -> Vec<DeductionScore> {
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

    /// The flags that compare budget figures: reported rate, unspent, adjustment, and outputs
    /// ahead of spending.
    fn budget_flags(&mut self, budget: &BudgetScore, indicator_total: Decimal) {
        let thresholds = self.framework.flags.clone();
        let hundred = Decimal::from(100);
        if let (Some(executed), Some(adjusted)) = (budget.executed, budget.adjusted)
            && !adjusted.is_zero()
        {
            let computed = arith::mul(arith::div(executed, adjusted), hundred);
            let as_of = self.as_of;
            let root = self.scope[0];
            let reported = self
                .figures
                .get(&(root, REPORTED_RATE))
                .and_then(|figures| figures.iter().find(|figure| figure.period == as_of))
                .map(|figure| figure.value);
            if let Some(reported) = reported {
                // Compared at the precision it was written with (TABLES.md §5): 89.7% printed
                // against a computed 89.715% is right; 31.00% against 31.08% is a slip.
                let at_precision = computed.round_dp_with_strategy(
                    reported.scale(),
                    RoundingStrategy::MidpointAwayFromZero,
                );
                let difference = arith::sub(reported, at_precision).abs();
                if difference > thresholds.reported_rate_tolerance {
                    let message = format!(
                        "the reported execution rate {}% differs from the computed 100 × E / A = {}% by {} percentage points",
                        show(reported),
                        percent(computed),
                        percent(difference)
                    );
                    self.flag(
                        "reported_rate_mismatch",
                        REPORTED_RATE,
                        message,
                        vec![
                            ("reported_percent", show(reported)),
                            ("computed_percent", percent(computed)),
                            ("difference_points", percent(difference)),
                            ("executed", show(executed)),
                            ("adjusted", show(adjusted)),
                        ],
                    );
                }
            }
            if self.as_of.grain() == Grain::Year {
                let unspent = arith::sub(Decimal::ONE, arith::div(executed, adjusted));
                if unspent > thresholds.large_unspent_ratio {
                    let message = format!(
                        "{}% of the full-year budget is unspent ({} of {})",
                        percent(arith::mul(unspent, hundred)),
                        money(arith::sub(adjusted, executed)),
                        money(adjusted)
                    );
                    self.flag(
                        "large_unspent",
                        EXECUTED,
                        message,
                        vec![
                            ("unspent_percent", percent(arith::mul(unspent, hundred))),
                            ("executed", show(executed)),
                            ("adjusted", show(adjusted)),
                        ],
                    );
                }
            }
        }
        if let (Some(adjusted), Some(initial)) = (budget.adjusted, budget.initial)
            && !initial.is_zero()
        {
            let adjustment = arith::div(arith::sub(adjusted, initial).abs(), initial);
            if adjustment > thresholds.large_adjustment_ratio {
                let message = format!(
                    "the budget was adjusted by {}% from the initial {} to {}",
                    percent(arith::mul(adjustment, hundred)),
                    money(initial),
                    money(adjusted)
                );
                self.flag(
                    "large_adjustment",
                    ADJUSTED,
                    message,
                    vec![
                        (
                            "adjustment_percent",
                            percent(arith::mul(adjustment, hundred)),
                        ),
                        ("initial", show(initial)),
                        ("adjusted", show(adjusted)),
                    ],
                );
            }
        }
        let groups_total = self.framework.groups_total();
        let budget_weight = self.framework.budget.weight;
        if !groups_total.is_zero() && !budget_weight.is_zero() {
            let outputs = arith::div(indicator_total, groups_total);
            let spending = arith::div(budget.score, budget_weight);
            if arith::sub(outputs, spending) > arith::mul(thresholds.outputs_ahead_margin, outputs)
            {
                let message = format!(
                    "indicators earned {}% of their points while budget execution earned {}%: outputs are ahead of spending",
                    percent(arith::mul(outputs, hundred)),
                    percent(arith::mul(spending, hundred))
                );
                self.flag(
                    "outputs_ahead_of_spending",
                    EXECUTED,
                    message,
                    vec![
                        ("indicator_total", show(indicator_total)),
                        ("budget_score", show(budget.score)),
                        (
                            "indicator_share_percent",
                            percent(arith::mul(outputs, hundred)),
                        ),
                        (
                            "budget_share_percent",
                            percent(arith::mul(spending, hundred)),
                        ),
                    ],
                );
            }
        }
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
    }
}

#[cfg(test)]
mod tests;
