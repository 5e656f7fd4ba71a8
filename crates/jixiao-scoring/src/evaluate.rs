//! An evaluation of a subject (a department department-wide, or a project) as of a quarter or
//! the year. This module holds the shapes of an evaluation and the order of the steps; each
//! rule family has its module: `values` (windows, sources, values), `budget`, `rows`,
//! `computed`, `deductions`, `lights`, `flags`, `reported`, `adjust`, and `rules` (the scoring
//! rules budget execution and computed rows share).

use std::collections::{BTreeMap, HashMap};

use jixiao_domain::{Comparator, Level1, Period};
use rust_decimal::{Decimal, RoundingStrategy};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::arith;
use crate::framework::Framework;
use crate::inputs::{Inputs, Point, TargetRow};

mod adjust;
mod budget;
mod computed;
mod deductions;
mod flags;
mod lights;
mod reported;
mod rows;
mod rules;
mod values;

pub use adjust::{Adjustment, AdjustmentOutcome, AdjustmentStatus, BUDGET_ROW, apply_adjustments};
pub use flags::{Flag, FlagCode, MAX_FLAGS_PER_CODE};
pub use lights::Light;
pub use rows::Band;
#[cfg(test)]
use rows::score_row;

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
    /// The execution rate as the table printed it, percent (`budget.execution_rate_reported`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reported_rate: Option<Decimal>,
    /// 全年预计执行数 (`budget.executed_projected`, 万元), a monitoring table's projection.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub projected: Option<Decimal>,
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
    pub band: Option<Band>,
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
    /// The unit's 偏差原因分析及改进措施 with the row's actual (its note), when it gave one.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub note: String,
    /// A computed row's formula (TABLES.md §4); empty for a target set's row.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub formula: String,
    /// The score the rules gave, when a reviewer's adjustment replaced it in `score`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub computed_score: Option<Decimal>,
    /// The row's 得分 as the table printed it, when it was pushed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reported_score: Option<Decimal>,
    /// Why the rules could not judge the row (its target or its actual as written); empty for a
    /// row judged by rule (TABLES.md §0).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub review_reason: String,
    /// Whether such a row has no score yet (no printed 得分, no reviewer's): the total is then
    /// provisional and not graded.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub awaiting_review: bool,
    /// The unit's projection for the year as written (全年预计完成值), from the actual counted.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub projected_text: String,
    /// The unit's word on reaching the target (完成目标可能性), as written.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub likelihood: String,
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
    /// The target set's 年度总体目标 · 预期目标 as written.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub overall_target: String,
    /// The target set's 年度总体目标 · 实际完成情况 as written.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub overall_result: String,
}

/// The total: budget execution and the rows, less the deductions, within [0, 100].
pub(crate) fn total_of(budget: Decimal, rows: Decimal, deductions: Decimal) -> Decimal {
    arith::sub(arith::add(budget, rows), deductions)
        .max(Decimal::ZERO)
        .min(Decimal::from(100))
}

/// Raises `awaiting_review` for the rows still without a score and grades the evaluation when
/// nothing withholds a grade: no row awaits a reviewer, the weights are complete, and the
/// subject has targets (TABLES.md §0). Run after scoring and again after adjustments.
pub(crate) fn settle_review(evaluation: &mut Evaluation, framework: &Framework) {
    evaluation
        .flags
        .retain(|flag| flag.code != FlagCode::AwaitingReview);
    let waiting: Vec<&IndicatorScore> = evaluation
        .indicators
        .iter()
        .filter(|row| row.awaiting_review)
        .collect();
    if !waiting.is_empty() {
        let rows = waiting
            .iter()
            .map(|row| {
                format!(
                    "{} ({}: {})",
                    row.indicator_code, row.name, row.review_reason
                )
            })
            .collect::<Vec<_>>()
            .join("; ");
        let flag = Flag {
            code: FlagCode::AwaitingReview,
            subject: "indicators".to_owned(),
            message: format!(
                "{} rows the rules cannot judge have no printed 得分: the total {} is provisional, computed over the judged rows, and not graded until a reviewer scores them: {rows}",
                waiting.len(),
                show(evaluation.total)
            ),
            figures: vec![("rows".to_owned(), waiting.len().to_string())],
        };
        evaluation.flags.push(flag);
    }
    let withheld = evaluation
        .flags
        .iter()
        .any(|flag| flag.code.withholds_grade());
    evaluation.grade = if withheld {
        String::new()
    } else {
        framework.grade(evaluation.total).to_owned()
    };
}

/// Rounds to 2 decimals, half away from zero.
pub(crate) fn round2(value: Decimal) -> Decimal {
    value.round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero)
}

fn show(value: Decimal) -> String {
    value.normalize().to_string()
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
    flag_counts: BTreeMap<FlagCode, usize>,
    digest: Sha256,
}

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
    // The rules as well as the inputs: a framework changed under the same version scores anew.
    context.digest_line(format!(
        "framework {} {} {}",
        framework.name,
        framework.version,
        framework.content_digest()
    ));
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
    if rows.is_empty() {
        let message = format!(
            "{subject} has no target rows for {}; only budget execution, the framework's computed rows and deductions are scored, and it is not graded",
            as_of.year_number()
        );
        context.flag(
            FlagCode::MissingTargets,
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
    let (budget_reported, reported_total, reported_rate) = context.reported_figures();
    budget.reported_score = budget_reported;
    budget.reported_rate = reported_rate;
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
                code,
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
            FlagCode::FigureOutOfRange,
            department_code,
            "a sum, product or quotient of this department's figures went beyond ±79228162514264337593543950335 (what an exact decimal holds) and was held at that bound; the scores it feeds are at their own bounds: check the figures".to_owned(),
            vec![("bound", Decimal::MAX.to_string())],
        );
    }
    let digest = context.digest.clone().finalize();
    let mut evaluation = Evaluation {
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
        // Graded by `settle_review`: a subject without targets, with incomplete weights or with
        // rows awaiting a reviewer is not (a grade would read as a verdict on what is unknown).
        grade: String::new(),
        flags: context.flags,
        targets_revision: target_set.map_or(0, |set| set.revision),
        input_digest: digest.iter().map(|byte| format!("{byte:02x}")).collect(),
        adjustments: Vec::new(),
        reported_total,
        overall_target: target_set
            .map(|set| set.overall_target.clone())
            .unwrap_or_default(),
        overall_result: target_set
            .map(|set| set.overall_result.clone())
            .unwrap_or_default(),
    };
    settle_review(&mut evaluation, framework);
    evaluation
}

#[cfg(test)]
mod tests;
