//! Conversions from the evaluator's records to its protobuf messages. Records are destructured
//! without `..`, so that a new field breaks the build until it is shown.

use chrono::{DateTime, Utc};
use jixiao::evaluator::v1 as pb;
use jixiao_scoring::{
    Adjustment, BudgetScore, DeductionScore, Evaluation, Flag, Framework, IndicatorScore, Light,
};
use rust_decimal::Decimal;

use crate::store::{
    AdjustmentRecord, RunRecord, RunStatus, SnapshotRecord, SnapshotSummary, Trigger,
};

/// A protobuf timestamp.
pub fn timestamp(time: &DateTime<Utc>) -> prost_types::Timestamp {
    prost_types::Timestamp {
        seconds: time.timestamp(),
        nanos: time.timestamp_subsec_nanos() as i32,
    }
}

/// Two decimals, as scores and percentages are shown.
fn two(value: Decimal) -> String {
    format!("{value:.2}")
}

fn optional(value: Option<Decimal>, show: fn(Decimal) -> String) -> String {
    value.map(show).unwrap_or_default()
}

fn plain(value: Decimal) -> String {
    value.normalize().to_string()
}

/// The trigger as sent.
pub fn trigger(trigger: Trigger) -> pb::RunTrigger {
    match trigger {
        Trigger::Schedule => pb::RunTrigger::Schedule,
        Trigger::Manual => pb::RunTrigger::Manual,
        Trigger::CatchUp => pb::RunTrigger::CatchUp,
        Trigger::Retry => pb::RunTrigger::Retry,
        Trigger::Adjustment => pb::RunTrigger::Adjustment,
    }
}

fn status(status: RunStatus) -> pb::RunStatus {
    match status {
        RunStatus::Running => pb::RunStatus::Running,
        RunStatus::Succeeded => pb::RunStatus::Succeeded,
        RunStatus::Failed => pb::RunStatus::Failed,
        RunStatus::Interrupted => pb::RunStatus::Interrupted,
    }
}

fn light(light: Light) -> pb::Light {
    match light {
        Light::None => pb::Light::Unspecified,
        Light::Green => pb::Light::Green,
        Light::Yellow => pb::Light::Yellow,
        Light::Red => pb::Light::Red,
        Light::Blue => pb::Light::Blue,
    }
}

/// A run as sent.
pub fn run(record: RunRecord) -> pb::Run {
    let RunRecord {
        id,
        period,
        trigger: run_trigger,
        status: run_status,
        attempt,
        department_codes,
        started_at,
        finished_at,
        error,
        snapshots_created,
        snapshots_reused,
        failures,
    } = record;
    pb::Run {
        run_id: id.to_string(),
        period,
        trigger: trigger(run_trigger).into(),
        status: status(run_status).into(),
        started_at: Some(timestamp(&started_at)),
        finished_at: finished_at.as_ref().map(timestamp),
        error,
        attempt,
        department_codes,
        snapshots_created,
        snapshots_reused,
        failures: failures
            .into_iter()
            .map(|failure| pb::DepartmentFailure {
                department_code: failure.department_code,
                reason: failure.reason,
            })
            .collect(),
    }
}

/// A snapshot's headline as sent.
pub fn summary(record: SnapshotSummary) -> pb::SnapshotSummary {
    let SnapshotSummary {
        id,
        department_code,
        project_code,
        period,
        total,
        grade,
        evaluated_at,
        flag_count,
        trigger: snapshot_trigger,
        reused,
    } = record;
    pb::SnapshotSummary {
        snapshot_id: id.to_string(),
        department_code,
        period,
        total,
        grade,
        evaluated_at: Some(timestamp(&evaluated_at)),
        flag_count,
        reused,
        trigger: trigger(snapshot_trigger).into(),
        project_code,
    }
}

/// A snapshot with its explanation, as sent.
pub fn snapshot(record: SnapshotRecord) -> pb::Snapshot {
    let SnapshotRecord {
        summary,
        run_id,
        input_watermark,
        evaluation,
    } = record;
    let Evaluation {
        department_code,
        department_name,
        project_code,
        project_name,
        period,
        framework_name,
        framework_version,
        time_factor,
        budget,
        indicators,
        indicator_total,
        deductions,
        deduction_total,
        total,
        grade,
        flags,
        targets_revision,
        input_digest,
        adjustments,
        reported_total,
        overall_target,
        overall_result,
    } = evaluation;
    pb::Snapshot {
        snapshot_id: summary.id.to_string(),
        department_code,
        department_name,
        period,
        framework_name,
        framework_version,
        input_watermark,
        input_digest,
        trigger: trigger(summary.trigger).into(),
        run_id: run_id.to_string(),
        evaluated_at: Some(timestamp(&summary.evaluated_at)),
        time_factor: plain(time_factor),
        total: two(total),
        grade,
        budget: Some(budget_score(budget)),
        indicators: indicators.into_iter().map(indicator).collect(),
        deductions: deductions.into_iter().map(deduction).collect(),
        flags: flags.into_iter().map(flag).collect(),
        indicator_total: two(indicator_total),
        deduction_total: two(deduction_total),
        targets_revision,
        adjustments: adjustments
            .into_iter()
            .map(|outcome| {
                adjustment(
                    AdjustmentRecord {
                        department_code: summary.department_code.clone(),
                        project_code: summary.project_code.clone(),
                        period: summary.period.clone(),
                        adjustment: outcome.adjustment,
                    },
                    outcome.status.as_str(),
                )
            })
            .collect(),
        project_code,
        project_name,
        reported_total: optional(reported_total, plain),
        overall_target,
        overall_result,
    }
}

/// An adjustment as sent, with its status (`applied`, `stale`, `superseded`, or empty when
/// no snapshot has it yet).
pub fn adjustment(record: AdjustmentRecord, status: &str) -> pb::Adjustment {
    let AdjustmentRecord {
        department_code,
        project_code,
        period,
        adjustment,
    } = record;
    let Adjustment {
        id,
        indicator_code,
        computed_score,
        adjusted_score,
        reason,
        adjusted_by,
        adjusted_at,
    } = adjustment;
    pb::Adjustment {
        adjustment_id: id.to_string(),
        department_code,
        project_code,
        period,
        indicator_code,
        computed_score: two(computed_score),
        adjusted_score: two(adjusted_score),
        reason,
        adjusted_by,
        adjusted_at: jixiao_sqlite::time::parse(&adjusted_at)
            .ok()
            .map(|time| timestamp(&time)),
        status: status.to_owned(),
    }
}

fn budget_score(budget: BudgetScore) -> pb::BudgetExecution {
    let BudgetScore {
        executed,
        adjusted,
        initial,
        rate,
        progress,
        weight,
        score,
        light: budget_light,
        computed_score,
        reported_score,
        reported_rate,
        projected,
    } = budget;
    pb::BudgetExecution {
        executed: optional(executed, plain),
        adjusted: optional(adjusted, plain),
        initial: optional(initial, plain),
        rate: optional(rate, two),
        progress: optional(progress, two),
        weight: plain(weight),
        score: two(score),
        light: light(budget_light).into(),
        computed_score: optional(computed_score, two),
        reported_score: optional(reported_score, plain),
        reported_rate: optional(reported_rate, plain),
        projected: optional(projected, plain),
    }
}

/// The rows of a snapshot a reviewer has to score (the rules could not judge them and no
/// adjustment replaced their score), in the order of the snapshot's rows.
pub fn pending_reviews(record: &SnapshotRecord) -> Vec<pb::PendingReview> {
    let evaluation = &record.evaluation;
    evaluation
        .indicators
        .iter()
        .filter(|row| !row.review_reason.is_empty() && row.computed_score.is_none())
        .map(|row| {
            let shown = indicator(row.clone());
            pb::PendingReview {
                snapshot_id: record.summary.id.to_string(),
                department_code: evaluation.department_code.clone(),
                department_name: evaluation.department_name.clone(),
                project_code: evaluation.project_code.clone(),
                project_name: evaluation.project_name.clone(),
                period: evaluation.period.clone(),
                indicator_code: shown.indicator_code,
                name: shown.name,
                level1: shown.level1,
                level2: shown.level2,
                target_text: shown.target_text,
                actual_text: shown.actual_text,
                weight: shown.weight,
                reported_score: shown.reported_score,
                score: shown.score,
                review_reason: shown.review_reason,
                awaiting_review: shown.awaiting_review,
            }
        })
        .collect()
}

fn indicator(row: IndicatorScore) -> pb::IndicatorScore {
    let IndicatorScore {
        indicator_code,
        name,
        level1,
        level2,
        metric_code,
        comparator,
        weight,
        annual_target,
        window_target,
        actual,
        unit,
        ratio,
        score,
        band,
        light: row_light,
        target_text,
        actual_text,
        read_as,
        note,
        formula,
        computed_score,
        reported_score,
        review_reason,
        awaiting_review,
        projected_text,
        likelihood,
    } = row;
    pb::IndicatorScore {
        indicator_code,
        name,
        level1: level1.name_zh().to_owned(),
        level2,
        metric_code,
        comparator: comparator.as_str().to_owned(),
        weight: plain(weight),
        annual_target: plain(annual_target),
        window_target: plain(window_target),
        actual: optional(actual, plain),
        unit,
        ratio: optional(ratio, two),
        score: two(score),
        band: band
            .map(|band| band.as_str().to_owned())
            .unwrap_or_default(),
        light: light(row_light).into(),
        target_text,
        actual_text,
        read_as,
        note,
        formula,
        computed_score: optional(computed_score, two),
        reported_score: optional(reported_score, plain),
        review_reason,
        awaiting_review,
        projected_text,
        likelihood,
    }
}

fn deduction(rule: DeductionScore) -> pb::Deduction {
    let DeductionScore {
        metric_code,
        reason,
        count,
        per_unit,
        cap,
        amount,
    } = rule;
    pb::Deduction {
        metric_code,
        reason,
        count: plain(count),
        per_unit: plain(per_unit),
        cap: plain(cap),
        amount: two(amount),
    }
}

fn flag(flag: Flag) -> pb::Flag {
    let Flag {
        code,
        subject,
        message,
        figures,
    } = flag;
    pb::Flag {
        code: code.as_str().to_owned(),
        subject,
        message,
        figures: figures
            .into_iter()
            .map(|(name, value)| pb::Figure { name, value })
            .collect(),
    }
}

/// The framework as sent.
pub fn framework(framework: &Framework) -> pb::Framework {
    let figures = |pairs: Vec<(&str, Decimal)>| -> Vec<pb::Figure> {
        pairs
            .into_iter()
            .map(|(name, value)| pb::Figure {
                name: name.to_owned(),
                value: plain(value),
            })
            .collect()
    };
    let thresholds = &framework.flags;
    let lights = &framework.lights;
    pb::Framework {
        name: framework.name.clone(),
        version: framework.version.clone(),
        budget_weight: plain(framework.budget.weight),
        groups: framework
            .groups
            .iter()
            .map(|group| pb::Group {
                code: group.code.code().to_owned(),
                name: group.name.clone(),
                weight: plain(group.weight),
                aliases: group.aliases.clone(),
            })
            .collect(),
        grade_bands: framework
            .grades
            .iter()
            .map(|band| pb::GradeBand {
                grade: band.grade.clone(),
                min_total: plain(band.min_total),
            })
            .collect(),
        deductions: framework
            .deductions
            .iter()
            .map(|rule| pb::DeductionRule {
                metric_code: rule.metric_code.clone(),
                per_unit: plain(rule.per_unit),
                cap: plain(rule.cap),
                reason: rule.reason.clone(),
            })
            .collect(),
        source_priorities: framework
            .source_priorities
            .iter()
            .map(|(source, priority)| pb::SourcePriority {
                source: source.clone(),
                priority: *priority,
            })
            .collect(),
        flag_thresholds: figures(vec![
            (
                "reported_rate_tolerance",
                thresholds.reported_rate_tolerance,
            ),
            ("over_achievement_ratio", thresholds.over_achievement_ratio),
            ("outputs_ahead_margin", thresholds.outputs_ahead_margin),
            ("large_unspent_ratio", thresholds.large_unspent_ratio),
            ("large_adjustment_ratio", thresholds.large_adjustment_ratio),
        ]),
        light_thresholds: figures(vec![
            ("red_below", lights.red_below),
            ("yellow_below", lights.yellow_below),
            ("blue_at_ratio", lights.blue_at_ratio),
        ]),
        description: framework.description.clone(),
        computed_rows: framework
            .computed
            .iter()
            .map(|row| pb::ComputedRow {
                code: row.code.clone(),
                name: row.name.clone(),
                group: row.group.code().to_owned(),
                weight: plain(row.weight),
                formula: row.formula.to_string(),
                rule: serde_plain(&row.rule),
            })
            .collect(),
        group_weights: serde_plain(&framework.group_weights),
    }
}

/// A unit enum's serde name (`points_off`, `total_only`).
fn serde_plain<T: serde::Serialize>(value: &T) -> String {
    serde_json::to_value(value)
        .ok()
        .and_then(|value| value.as_str().map(str::to_owned))
        .unwrap_or_default()
}
