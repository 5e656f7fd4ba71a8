//! The administration subcommands: thin clients of the evaluator's gRPC API, printing plain
//! text. Everything they show, grpcurl shows too.

use jixiao::evaluator::v1 as pb;
use jixiao_scoring::FlagCode;

use jixiao_server::tls::ClientTls;
use tonic::transport::Channel;

use crate::endpoint::Endpoint;
use crate::endpoint::{connect, with_causes};
use crate::figures::amount;

fn failed(status: tonic::Status) -> anyhow::Error {
    anyhow::anyhow!("{:?}: {}", status.code(), status.message())
}

fn trigger(value: i32) -> &'static str {
    match pb::RunTrigger::try_from(value) {
        Ok(pb::RunTrigger::Schedule) => "schedule",
        Ok(pb::RunTrigger::Manual) => "manual",
        Ok(pb::RunTrigger::CatchUp) => "catch-up",
        Ok(pb::RunTrigger::Retry) => "retry",
        Ok(pb::RunTrigger::Adjustment) => "adjustment",
        Ok(pb::RunTrigger::Unspecified) | Err(_) => "?",
    }
}

fn status(value: i32) -> &'static str {
    match pb::RunStatus::try_from(value) {
        Ok(pb::RunStatus::Running) => "running",
        Ok(pb::RunStatus::Succeeded) => "succeeded",
        Ok(pb::RunStatus::Failed) => "failed",
        Ok(pb::RunStatus::Interrupted) => "interrupted",
        Ok(pb::RunStatus::Unspecified) | Err(_) => "?",
    }
}

fn light(value: i32) -> &'static str {
    match pb::Light::try_from(value) {
        Ok(pb::Light::Green) => "green",
        Ok(pb::Light::Yellow) => "yellow",
        Ok(pb::Light::Red) => "red",
        Ok(pb::Light::Blue) => "blue",
        Ok(pb::Light::Unspecified) | Err(_) => "-",
    }
}

fn time(timestamp: Option<&prost_types::Timestamp>) -> String {
    timestamp.map_or_else(String::new, ToString::to_string)
}

/// `jixiao evaluate`.
pub async fn evaluate(
    endpoint: &Endpoint,
    period: String,
    departments: Vec<String>,
) -> anyhow::Result<()> {
    let mut client = connect(endpoint).await?;
    let answer = client
        .run_evaluation(pb::RunEvaluationRequest {
            period,
            department_codes: departments,
            request_id: String::new(),
        })
        .await
        .map_err(failed)?
        .into_inner();
    if let Some(run) = &answer.run {
        crate::say!(
            "run {} of {}: {} ({} new snapshots, {} unchanged)",
            run.run_id,
            run.period,
            status(run.status),
            run.snapshots_created,
            run.snapshots_reused
        );
        print_failures(run);
    }
    for snapshot in answer.snapshots {
        crate::say!(
            "{:<24} {:>7} {}  snapshot {}  {} flags{}",
            snapshot.department_code,
            snapshot.total,
            snapshot.grade,
            snapshot.snapshot_id,
            snapshot.flag_count,
            if snapshot.reused { "  (unchanged)" } else { "" }
        );
    }
    Ok(())
}

/// `jixiao score`.
pub async fn score(
    endpoint: &Endpoint,
    department: String,
    period: String,
    project: String,
) -> anyhow::Result<()> {
    let mut client = connect(endpoint).await?;
    let score = client
        .get_score(pb::GetScoreRequest {
            department_code: department,
            period,
            project_code: project,
        })
        .await
        .map_err(failed)?
        .into_inner();
    let subject = if score.project_code.is_empty() {
        score.department_code.clone()
    } else {
        format!("{} project {}", score.department_code, score.project_code)
    };
    crate::say!(
        "{} {}: {} {} (snapshot {}, {} flags, evaluated {})",
        subject,
        score.period,
        score.total,
        grade(&score.grade),
        score.snapshot_id,
        score.flag_count,
        time(score.evaluated_at.as_ref())
    );
    Ok(())
}

/// `jixiao explain`.
pub async fn explain(
    endpoint: &Endpoint,
    target: Vec<String>,
    project: String,
) -> anyhow::Result<()> {
    let mut client = connect(endpoint).await?;
    let snapshot_id = match target.as_slice() {
        [id] => id.clone(),
        [department, period] => {
            client
                .get_score(pb::GetScoreRequest {
                    department_code: department.clone(),
                    period: period.clone(),
                    project_code: project,
                })
                .await
                .map_err(failed)?
                .into_inner()
                .snapshot_id
        }
        _ => anyhow::bail!("explain takes a snapshot id, or a department code and a period"),
    };
    let snapshot = client
        .get_snapshot(pb::GetSnapshotRequest { snapshot_id })
        .await
        .map_err(failed)?
        .into_inner()
        .snapshot
        .ok_or_else(|| anyhow::anyhow!("the evaluator answered without a snapshot"))?;
    crate::output::write(format_args!("{}", render(&snapshot)));
    Ok(())
}

/// `jixiao projects`: the latest snapshot of each project of a department in a year.
pub async fn projects(endpoint: &Endpoint, department: String, year: i32) -> anyhow::Result<()> {
    let mut client = connect(endpoint).await?;
    let mut latest: std::collections::BTreeMap<(String, String), pb::SnapshotSummary> =
        std::collections::BTreeMap::new();
    let mut page_token = String::new();
    loop {
        let page = client
            .list_snapshots(pb::ListSnapshotsRequest {
                department_code: department.clone(),
                year,
                page_size: 1000,
                page_token: page_token.clone(),
                project_code: String::new(),
            })
            .await
            .map_err(failed)?
            .into_inner();
        // Newest first: the first snapshot of a project and period is its latest.
        for summary in page.snapshots {
            if !summary.project_code.is_empty() {
                latest
                    .entry((summary.project_code.clone(), summary.period.clone()))
                    .or_insert(summary);
            }
        }
        if page.next_page_token.is_empty() {
            break;
        }
        page_token = page.next_page_token;
    }
    if latest.is_empty() {
        crate::say!("no project snapshots of {department} in {year}");
    }
    for ((project, period), summary) in latest {
        crate::say!(
            "{project:<24} {period:<8} {:>7} {}  snapshot {}  {} flags",
            summary.total,
            grade(&summary.grade),
            summary.snapshot_id,
            summary.flag_count
        );
    }
    Ok(())
}

/// A grade, or that there is none (`jixiao explain` says why).
fn grade(grade: &str) -> &str {
    if grade.is_empty() {
        "(not graded)"
    } else {
        grade
    }
}

/// A snapshot's grade, or the flags that withhold it.
fn grade_of(snapshot: &pb::Snapshot) -> String {
    if !snapshot.grade.is_empty() {
        return snapshot.grade.clone();
    }
    let reasons: Vec<&str> = snapshot
        .flags
        .iter()
        .filter(|flag| {
            flag.code
                .parse::<FlagCode>()
                .is_ok_and(FlagCode::withholds_grade)
        })
        .map(|flag| flag.code.as_str())
        .collect();
    format!("(not graded: {})", reasons.join(", "))
}

/// A snapshot as text.
pub fn render(snapshot: &pb::Snapshot) -> String {
    use std::fmt::Write;
    let mut out = String::new();
    let subject = if snapshot.project_code.is_empty() {
        format!("{} {}", snapshot.department_code, snapshot.department_name)
    } else {
        format!(
            "{} {} (项目支出 of {} {})",
            snapshot.project_code,
            snapshot.project_name,
            snapshot.department_code,
            snapshot.department_name
        )
    };
    let _ = writeln!(
        out,
        "{subject} — {}: {} {}",
        snapshot.period,
        snapshot.total,
        grade_of(snapshot)
    );
    let _ = writeln!(
        out,
        "snapshot {} (run {}, {}), framework {} v{}, t = {}, inputs at watermark {} (digest {})",
        snapshot.snapshot_id,
        snapshot.run_id,
        trigger(snapshot.trigger),
        snapshot.framework_name,
        snapshot.framework_version,
        snapshot.time_factor,
        snapshot.input_watermark,
        &snapshot.input_digest[..snapshot.input_digest.len().min(12)]
    );
    for (label, text) in [
        ("年度总体目标 · 预期目标", &snapshot.overall_target),
        ("年度总体目标 · 实际完成情况", &snapshot.overall_result),
    ] {
        if !text.is_empty() {
            let _ = writeln!(out, "{label}: {text}");
        }
    }
    if let Some(budget) = &snapshot.budget {
        let _ = writeln!(
            out,
            "budget execution: E {} / A {} (I {}) = {}%, progress {}% [{}] → {} of {}",
            amount(&budget.executed, "wan_yuan"),
            amount(&budget.adjusted, "wan_yuan"),
            amount(&budget.initial, "wan_yuan"),
            or_dash(&budget.rate),
            or_dash(&budget.progress),
            light(budget.light),
            budget.score,
            budget.weight
        );
        if !budget.projected.is_empty() {
            let _ = writeln!(
                out,
                "      projected for the year (全年预计执行数): {}",
                amount(&budget.projected, "wan_yuan")
            );
        }
        if !budget.computed_score.is_empty() {
            let _ = writeln!(
                out,
                "      adjusted by a reviewer: computed {}",
                budget.computed_score
            );
        }
    }
    let _ = writeln!(out, "indicators ({}):", snapshot.indicator_total);
    for row in &snapshot.indicators {
        if !row.review_reason.is_empty() {
            // Nothing was read to compare: the texts and the reason follow.
            let _ = writeln!(
                out,
                "  {} {} [{}/{}] not judged by rule → {} of {}",
                row.indicator_code, row.name, row.level1, row.level2, row.score, row.weight,
            );
        } else {
            let _ = writeln!(
                out,
                "  {} {} [{}/{}] {} {} {} (window {}), actual {} → {} of {} [{}]{}",
                row.indicator_code,
                row.name,
                row.level1,
                row.level2,
                row.metric_code,
                row.comparator,
                amount(&row.annual_target, &row.unit),
                amount(&row.window_target, &row.unit),
                amount(&row.actual, &row.unit),
                row.score,
                row.weight,
                light(row.light),
                if row.band.is_empty() {
                    String::new()
                } else {
                    format!(" {}", row.band)
                }
            );
        }
        // The target and actual as written, and how they were read.
        let adjusted = if row.computed_score.is_empty() {
            String::new()
        } else {
            format!("computed {}", row.computed_score)
        };
        // A monitoring table's projection for the year, with the unit's word on it.
        let projected = match (row.projected_text.is_empty(), row.likelihood.is_empty()) {
            (true, true) => String::new(),
            (false, true) => row.projected_text.clone(),
            (true, false) => format!("- (完成目标可能性: {})", row.likelihood),
            (false, false) => format!(
                "{} (完成目标可能性: {})",
                row.projected_text, row.likelihood
            ),
        };
        // A row the rules could not judge: why, and what it scores until a reviewer does.
        let review = match (row.review_reason.is_empty(), row.awaiting_review) {
            (true, _) => String::new(),
            (false, true) => format!(
                "{} — no printed 得分: no score until a reviewer adjusts it (jixiao adjust)",
                row.review_reason
            ),
            (false, false) if row.computed_score.is_empty() => format!(
                "{} — the printed 得分 counts until a reviewer adjusts it (jixiao adjust)",
                row.review_reason
            ),
            (false, false) => format!("{} — scored by a reviewer", row.review_reason),
        };
        for (label, text) in [
            ("target as written", &row.target_text),
            ("actual as written", &row.actual_text),
            ("read as", &row.read_as),
            ("formula", &row.formula),
            ("score as printed", &row.reported_score),
            ("for a reviewer", &review),
            ("projected for the year", &projected),
            ("adjusted by a reviewer", &adjusted),
        ] {
            if !text.is_empty() {
                let _ = writeln!(out, "      {label}: {text}");
            }
        }
    }
    let _ = writeln!(out, "deductions ({}):", snapshot.deduction_total);
    for rule in &snapshot.deductions {
        let _ = writeln!(
            out,
            "  −{} {} ({} × {}, at most {})",
            rule.amount, rule.reason, rule.count, rule.per_unit, rule.cap
        );
    }
    if !snapshot.adjustments.is_empty() {
        let _ = writeln!(out, "adjustments ({}):", snapshot.adjustments.len());
        for adjustment in &snapshot.adjustments {
            let _ = writeln!(out, "  {}", describe_adjustment(adjustment));
        }
    }
    let _ = writeln!(out, "flags ({}):", snapshot.flags.len());
    for flag in &snapshot.flags {
        let figures: Vec<String> = flag
            .figures
            .iter()
            .map(|figure| format!("{}={}", figure.name, figure.value))
            .collect();
        let _ = writeln!(
            out,
            "  {}: {} [{}]",
            flag.code,
            flag.message,
            figures.join(", ")
        );
    }
    out
}

fn or_dash(text: &str) -> &str {
    if text.is_empty() { "-" } else { text }
}

/// `jixiao runs`.
pub async fn runs(endpoint: &Endpoint, limit: i32) -> anyhow::Result<()> {
    let mut client = connect(endpoint).await?;
    let runs = client
        .list_runs(pb::ListRunsRequest {
            page_size: limit,
            page_token: String::new(),
        })
        .await
        .map_err(failed)?
        .into_inner()
        .runs;
    for run in runs {
        crate::say!(
            "run {:>5}  {:<8} {:<9} {:<11} attempt {}  {}  +{} ={}  {}",
            run.run_id,
            run.period,
            trigger(run.trigger),
            status(run.status),
            run.attempt,
            time(run.started_at.as_ref()),
            run.snapshots_created,
            run.snapshots_reused,
            run.error
        );
        print_failures(&run);
    }
    Ok(())
}

/// The departments a run could not score, one line each.
fn print_failures(run: &pb::Run) {
    for failure in &run.failures {
        crate::say!(
            "  not scored: {}: {}",
            failure.department_code,
            failure.reason
        );
    }
}

/// Asks the server at `url` for the health of `service`; fails unless it is SERVING.
pub async fn health(url: &str, service: &str, tls: &ClientTls) -> anyhow::Result<()> {
    use tonic_health::pb::health_check_response::ServingStatus;
    use tonic_health::pb::{HealthCheckRequest, health_client::HealthClient};
    let target = Channel::from_shared(url.to_owned())
        .map_err(|error| anyhow::anyhow!("{url:?} is not a URL: {error}"))?
        .connect_timeout(std::time::Duration::from_secs(5))
        .timeout(std::time::Duration::from_secs(10));
    let channel = tls
        .apply(target, "--ca-file/--cert-file/--key-file")?
        .connect()
        .await
        .map_err(|error| anyhow::anyhow!("cannot reach {url}: {}", with_causes(&error)))?;
    let answer = HealthClient::new(channel)
        .check(HealthCheckRequest {
            service: service.to_owned(),
        })
        .await
        .map_err(failed)?
        .into_inner();
    let status = ServingStatus::try_from(answer.status).unwrap_or(ServingStatus::Unknown);
    let name = if service.is_empty() {
        "server"
    } else {
        service
    };
    crate::say!("{name}: {}", status.as_str_name());
    if status == ServingStatus::Serving {
        Ok(())
    } else {
        anyhow::bail!("{name} is {}", status.as_str_name())
    }
}

/// One line of an adjustment: id, row, scores, status, who, when and why.
fn describe_adjustment(adjustment: &pb::Adjustment) -> String {
    format!(
        "#{} {}: {} → {} [{}] by {} at {}: {}",
        adjustment.adjustment_id,
        adjustment.indicator_code,
        adjustment.computed_score,
        adjustment.adjusted_score,
        or_dash(&adjustment.status),
        or_dash(&adjustment.adjusted_by),
        time(adjustment.adjusted_at.as_ref()),
        adjustment.reason
    )
}

/// What `jixiao adjust` asks for.
#[derive(Debug, Clone)]
pub struct AdjustArgs {
    /// Department code (of the project's department for a project).
    pub department: String,
    /// A quarter or a year.
    pub period: String,
    /// The row's indicator code, or `budget`.
    pub row: String,
    /// The reviewer's score, points.
    pub score: String,
    /// Why.
    pub reason: String,
    /// A project of the department; empty: department-wide.
    pub project: String,
}

/// `jixiao adjust`: records a reviewer's score (scope admin) and prints the new snapshot's
/// score.
pub async fn adjust(endpoint: &Endpoint, args: AdjustArgs) -> anyhow::Result<()> {
    let mut client = connect(endpoint).await?;
    let answer = client
        .adjust_score(pb::AdjustScoreRequest {
            department_code: args.department,
            project_code: args.project,
            period: args.period,
            indicator_code: args.row,
            score: args.score,
            reason: args.reason,
            request_id: String::new(),
        })
        .await
        .map_err(failed)?
        .into_inner();
    if let Some(adjustment) = &answer.adjustment {
        crate::say!("adjustment {}", describe_adjustment(adjustment));
    }
    if let Some(snapshot) = &answer.snapshot {
        crate::say!(
            "snapshot {}: {} {}",
            snapshot.snapshot_id,
            snapshot.total,
            grade(&snapshot.grade)
        );
    }
    Ok(())
}

/// `jixiao reviews`: every row awaiting a reviewer in `period` (of `department` when not
/// empty), page after page, a subject's rows together.
pub async fn reviews(
    endpoint: &Endpoint,
    period: String,
    department: String,
) -> anyhow::Result<()> {
    let mut client = connect(endpoint).await?;
    let mut page_token = String::new();
    let mut count = 0;
    loop {
        let page = client
            .list_pending_reviews(pb::ListPendingReviewsRequest {
                period: period.clone(),
                department_code: department.clone(),
                page_size: 200,
                page_token,
            })
            .await
            .map_err(failed)?
            .into_inner();
        for review in &page.reviews {
            count += 1;
            let subject = if review.project_code.is_empty() {
                format!("{} {}", review.department_code, review.department_name)
            } else {
                format!(
                    "{} {} ({} {})",
                    review.project_code,
                    review.project_name,
                    review.department_code,
                    review.department_name
                )
            };
            let score = if review.awaiting_review {
                format!(
                    "no score yet, weight {} (the total is provisional)",
                    review.weight
                )
            } else {
                format!(
                    "counts the printed {} of {}",
                    review.reported_score, review.weight
                )
            };
            crate::say!(
                "{subject} {} {} [{}/{}]: {score}",
                review.indicator_code,
                review.name,
                review.level1,
                review.level2
            );
            crate::say!("      target as written: {}", or_dash(&review.target_text));
            crate::say!("      actual as written: {}", or_dash(&review.actual_text));
            crate::say!("      why: {}", review.review_reason);
        }
        if page.next_page_token.is_empty() {
            break;
        }
        page_token = page.next_page_token;
    }
    crate::say!(
        "{count} rows await a reviewer in {period}{}",
        if count > 0 {
            "; score each with jixiao adjust DEPARTMENT PERIOD ROW SCORE --reason … [--project CODE]"
        } else {
            ""
        }
    );
    Ok(())
}

/// `jixiao adjustments`: the adjustments of a subject's period, oldest first.
pub async fn adjustments(
    endpoint: &Endpoint,
    department: String,
    period: String,
    project: String,
) -> anyhow::Result<()> {
    let mut client = connect(endpoint).await?;
    let answer = client
        .list_adjustments(pb::ListAdjustmentsRequest {
            department_code: department,
            project_code: project,
            period,
        })
        .await
        .map_err(failed)?
        .into_inner();
    if answer.adjustments.is_empty() {
        crate::say!("no adjustments");
    }
    for adjustment in &answer.adjustments {
        crate::say!("{}", describe_adjustment(adjustment));
    }
    Ok(())
}

/// `jixiao frameworks`: every framework the evaluator loads, with the defaults.
pub async fn frameworks(endpoint: &Endpoint) -> anyhow::Result<()> {
    let mut client = connect(endpoint).await?;
    let answer = client
        .get_framework(pb::GetFrameworkRequest {
            name: String::new(),
        })
        .await
        .map_err(failed)?
        .into_inner();
    for framework in &answer.frameworks {
        let defaults = if framework.default_for.is_empty() {
            String::new()
        } else {
            format!(" (default for {})", framework.default_for.join(", "))
        };
        crate::say!(
            "{} v{}{defaults} [{}]: {}",
            framework.name,
            framework.version,
            framework.origin,
            framework.description
        );
    }
    Ok(())
}
