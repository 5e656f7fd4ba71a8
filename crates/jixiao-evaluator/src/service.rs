//! The EvaluatorService methods.

use std::sync::Arc;

use jixiao::evaluator::v1 as pb;
use jixiao::evaluator::v1::evaluator_service_server::EvaluatorService;
use jixiao_domain::{Period, Violation, validate_code};
use sha2::{Digest, Sha256};
use tonic::{Request, Response, Status};

use crate::convert;
use crate::engine::{Engine, RunRequest};
use crate::error::EvaluatorError;
use crate::store::{AdjustmentInsert, AdjustmentRecord, NewAdjustment, StoreError, Trigger};

const DEFAULT_PAGE_SIZE: u32 = 100;
const MAX_PAGE_SIZE: u32 = 1000;
/// Most bytes of one page of ListRuns, a quarter of what clients accept by default.
const MAX_PAGE_BYTES: usize = 1024 * 1024;
/// Default and largest page of ListPendingReviews, in rows.
const DEFAULT_REVIEW_PAGE: u32 = 50;
const MAX_REVIEW_PAGE: u32 = 200;
/// Most subjects one page of ListPendingReviews reads: a page may end early, with a token to go
/// on from, so that no call parses every snapshot of a large period.
const REVIEW_SUBJECTS_PER_PAGE: u32 = 200;

/// Where a page of ListPendingReviews goes on from: a subject (department, project) and how
/// many of its pending rows were sent already.
type ReviewToken = (String, String, usize);

/// The evaluator service over an engine.
#[derive(Debug, Clone)]
pub struct EvaluatorApi {
    engine: Arc<Engine>,
}

impl EvaluatorApi {
    /// A service running evaluations with `engine`.
    pub fn new(engine: Arc<Engine>) -> Self {
        Self { engine }
    }
}

/// The scope each EvaluatorService method needs.
pub fn scope_of(method: &str) -> Option<jixiao_server::auth::Scope> {
    use jixiao_server::auth::Scope;
    match method {
        "RunEvaluation" | "AdjustScore" => Some(Scope::Admin),
        "GetScore" | "GetSnapshot" | "ListSnapshots" | "ListRuns" | "GetFramework"
        | "ListAdjustments" | "ListPendingReviews" => Some(Scope::Read),
        _ => None,
    }
}

fn invalid(violations: &[Violation]) -> Status {
    EvaluatorError::Invalid(violations.to_vec()).into()
}

fn internal(error: StoreError) -> Status {
    EvaluatorError::Store(error).into()
}

fn failed_precondition(message: String) -> Status {
    EvaluatorError::FailedPrecondition(message).into()
}

fn unavailable(message: String) -> Status {
    EvaluatorError::Unavailable(message).into()
}

fn not_found(message: String) -> Status {
    EvaluatorError::NotFound(message).into()
}

fn task_failed(error: tokio::task::JoinError) -> Status {
    EvaluatorError::Internal(format!("the run task failed: {error}")).into()
}

fn evaluable_period(field: &str, text: &str, violations: &mut Vec<Violation>) -> Option<Period> {
    match text.parse::<Period>() {
        Ok(period) if period.is_evaluable() => Some(period),
        Ok(_) => {
            violations.push(Violation::new(
                field,
                format!("{text:?} is a month; evaluations are as of a quarter (2022-Q2) or a year (2022)"),
            ));
            None
        }
        Err(error) => {
            violations.push(Violation::new(field, error.to_string()));
            None
        }
    }
}

/// Checks a subject (a department, and optionally one of its projects) and an evaluable period
/// as a request names them; the period, unless it is invalid.
fn subject_period(
    department_code: &str,
    project_code: &str,
    period: &str,
    violations: &mut Vec<Violation>,
) -> Option<Period> {
    if let Err(reason) = validate_code(department_code) {
        violations.push(Violation::new("department_code", reason));
    }
    if !project_code.is_empty()
        && let Err(reason) = validate_code(project_code)
    {
        violations.push(Violation::new("project_code", reason));
    }
    evaluable_period("period", period, violations)
}

fn page(page_size: i32, page_token: &str, violations: &mut Vec<Violation>) -> (u32, Option<i64>) {
    let size = match page_size {
        0 => DEFAULT_PAGE_SIZE,
        size if size < 0 => {
            violations.push(Violation::new("page_size", "must not be negative"));
            DEFAULT_PAGE_SIZE
        }
        size => (size as u32).min(MAX_PAGE_SIZE),
    };
    let before = if page_token.is_empty() {
        None
    } else {
        match page_token.parse::<i64>() {
            Ok(id) if id > 0 => Some(id),
            _ => {
                violations.push(Violation::new(
                    "page_token",
                    "is not a token this service returned",
                ));
                None
            }
        }
    };
    (size, before)
}

fn next_token<T>(items: &[T], size: u32, id: impl Fn(&T) -> i64) -> String {
    if items.len() as u32 == size {
        items
            .last()
            .map(|item| id(item).to_string())
            .unwrap_or_default()
    } else {
        String::new()
    }
}

impl EvaluatorApi {
    /// Checks an adjustment against the latest snapshot of its subject's period (the row
    /// exists, the score is within its weight), takes the computed score it replaces from it,
    /// and records it.
    async fn record_adjustment(
        &self,
        mut new: NewAdjustment,
        subject: &str,
    ) -> Result<AdjustmentRecord, Status> {
        let store = self.engine.store();
        let latest = store
            .latest_snapshot(&new.department_code, &new.project_code, &new.period)
            .await
            .map_err(internal)?
            .ok_or_else(|| {
                failed_precondition(format!(
                    "{subject} has no snapshot for {} yet: run the evaluation first (RunEvaluation), then adjust its scores",
                    new.period
                ))
            })?;
        let stored = store
            .snapshot(latest.id)
            .await
            .map_err(internal)?
            .ok_or_else(|| {
                Status::from(EvaluatorError::Internal(
                    "the latest snapshot vanished".to_owned(),
                ))
            })?;
        let evaluation = &stored.evaluation;
        let code = new.indicator_code.as_str();
        let (computed, weight, _) = evaluation.adjustable(code).ok_or_else(|| {
            let codes: Vec<&str> = evaluation
                .indicators
                .iter()
                .map(|row| row.indicator_code.as_str())
                .collect();
            invalid(&[Violation::new(
                "indicator_code",
                format!(
                    "{code:?} is not a row of snapshot {} ({}; or \"budget\")",
                    latest.id,
                    codes.join(", ")
                ),
            )])
        })?;
        if new.adjusted_score > weight {
            return Err(invalid(&[Violation::new(
                "score",
                format!(
                    "{} is more than the row's weight {}",
                    new.adjusted_score.normalize(),
                    weight.normalize()
                ),
            )]));
        }
        new.computed_score = computed;
        let request_id = new
            .request
            .as_ref()
            .map(|(id, _)| id.clone())
            .unwrap_or_default();
        let record = match store.insert_adjustment(new).await.map_err(internal)? {
            AdjustmentInsert::Created(record) | AdjustmentInsert::Existing(record) => record,
            AdjustmentInsert::RequestIdReused => {
                return Err(EvaluatorError::RequestIdReused(request_id).into());
            }
        };
        tracing::info!(
            adjustment_id = record.adjustment.id,
            department = %record.department_code,
            project = %record.project_code,
            period = %record.period,
            row = %record.adjustment.indicator_code,
            by = %record.adjustment.adjusted_by,
            "score adjusted"
        );
        Ok(record)
    }

    /// Makes the snapshot with a recorded adjustment: a run of the subject's department, like
    /// any other (the computed snapshot stays, and later runs carry the adjustment).
    async fn snapshot_with(
        &self,
        record: AdjustmentRecord,
        period: Period,
        subject: &str,
    ) -> Result<Response<pb::AdjustScoreResponse>, Status> {
        let run_request = RunRequest {
            period,
            department_codes: vec![record.department_code.clone()],
            trigger: Trigger::Adjustment,
            attempt: 1,
            request: None,
        };
        let engine = Arc::clone(&self.engine);
        let id = record.adjustment.id;
        let recorded = |status: Status| {
            Status::new(
                status.code(),
                format!(
                    "adjustment {id} is recorded, but the snapshot with it could not be made now: {}; the next run of {period} applies it",
                    status.message()
                ),
            )
        };
        let report = tokio::spawn(async move { engine.run(run_request).await })
            .await
            .map_err(task_failed)?
            .map_err(|error| recorded(EvaluatorError::from(error).into()))?;
        let snapshot = report
            .snapshots
            .into_iter()
            .find(|summary| {
                summary.department_code == record.department_code
                    && summary.project_code == record.project_code
            })
            .ok_or_else(|| {
                recorded(unavailable(format!(
                    "the run did not score {subject}; its failures are in ListRuns"
                )))
            })?;
        let status = self
            .engine
            .store()
            .snapshot(snapshot.id)
            .await
            .map_err(internal)?
            .and_then(|stored| {
                stored
                    .evaluation
                    .adjustments
                    .iter()
                    .find(|outcome| outcome.adjustment.id == id)
                    .map(|outcome| outcome.status.as_str())
            })
            .unwrap_or("");
        Ok(Response::new(pb::AdjustScoreResponse {
            adjustment: Some(convert::adjustment(record, status)),
            snapshot: Some(convert::summary(snapshot)),
        }))
    }
}

#[tonic::async_trait]
impl EvaluatorService for EvaluatorApi {
    async fn run_evaluation(
        &self,
        request: Request<pb::RunEvaluationRequest>,
    ) -> Result<Response<pb::RunEvaluationResponse>, Status> {
        let principal = jixiao_server::auth::principal(&request)?;
        let pb::RunEvaluationRequest {
            period,
            department_codes,
            request_id,
        } = request.into_inner();
        if department_codes.is_empty() {
            principal.check_department("department_codes", "")?;
        }
        for (index, code) in department_codes.iter().enumerate() {
            principal.check_department(&format!("department_codes[{index}]"), code)?;
        }
        let mut violations = Vec::new();
        let parsed = evaluable_period("period", &period, &mut violations);
        for (index, code) in department_codes.iter().enumerate() {
            if let Err(reason) = validate_code(code) {
                violations.push(Violation::new(format!("department_codes[{index}]"), reason));
            }
        }
        if let Err(reason) = jixiao_domain::department::validate_text(&request_id, false, 128) {
            violations.push(Violation::new("request_id", reason));
        }
        let Some(parsed) = parsed.filter(|_| violations.is_empty()) else {
            return Err(invalid(&violations));
        };
        let digest = {
            use prost::Message;
            let content = pb::RunEvaluationRequest {
                period: period.clone(),
                department_codes: department_codes.clone(),
                request_id: String::new(),
            };
            Sha256::digest(content.encode_to_vec())
                .iter()
                .map(|byte| format!("{byte:02x}"))
                .collect::<String>()
        };
        let run_request = RunRequest {
            period: parsed,
            department_codes,
            trigger: Trigger::Manual,
            attempt: 1,
            request: (!request_id.is_empty()).then(|| (request_id.clone(), digest)),
        };
        // The run goes on in its own task: a client that gives up does not cut it off halfway.
        let engine = Arc::clone(&self.engine);
        let report = tokio::spawn(async move { engine.run(run_request).await })
            .await
            .map_err(task_failed)?;
        let report = report.map_err(EvaluatorError::from)?;
        Ok(Response::new(pb::RunEvaluationResponse {
            run: Some(convert::run(report.run)),
            snapshots: report.snapshots.into_iter().map(convert::summary).collect(),
        }))
    }

    async fn get_score(
        &self,
        request: Request<pb::GetScoreRequest>,
    ) -> Result<Response<pb::GetScoreResponse>, Status> {
        let principal = jixiao_server::auth::principal(&request)?;
        let pb::GetScoreRequest {
            department_code,
            period,
            project_code,
        } = request.into_inner();
        principal.check_department("department_code", &department_code)?;
        let mut violations = Vec::new();
        let parsed = subject_period(&department_code, &project_code, &period, &mut violations);
        let Some(parsed) = parsed.filter(|_| violations.is_empty()) else {
            return Err(invalid(&violations));
        };
        let period = parsed.to_string();
        let latest = self
            .engine
            .store()
            .latest_snapshot(&department_code, &project_code, &period)
            .await
            .map_err(internal)?
            .ok_or_else(|| {
                let subject = if project_code.is_empty() {
                    format!("{department_code:?}")
                } else {
                    format!("project {project_code:?} of {department_code:?}")
                };
                not_found(format!(
                    "no snapshot of {subject} for {period}; run an evaluation first (RunEvaluation)"
                ))
            })?;
        Ok(Response::new(pb::GetScoreResponse {
            total: latest.total,
            grade: latest.grade,
            snapshot_id: latest.id.to_string(),
            evaluated_at: Some(convert::timestamp(&latest.evaluated_at)),
            flag_count: latest.flag_count,
            department_code: latest.department_code,
            period: latest.period,
            project_code: latest.project_code,
        }))
    }

    async fn get_snapshot(
        &self,
        request: Request<pb::GetSnapshotRequest>,
    ) -> Result<Response<pb::GetSnapshotResponse>, Status> {
        let principal = jixiao_server::auth::principal(&request)?;
        let pb::GetSnapshotRequest { snapshot_id } = request.into_inner();

        let id = snapshot_id.parse::<i64>().map_err(|_| {
            invalid(&[Violation::new(
                "snapshot_id",
                format!("{snapshot_id:?} is not a snapshot id (a number, as GetScore and ListSnapshots give)"),
            )])
        })?;
        let record = self
            .engine
            .store()
            .snapshot(id)
            .await
            .map_err(internal)?
            .ok_or_else(|| not_found(format!("no snapshot {id}")))?;
        principal.check_department("snapshot_id", &record.summary.department_code)?;
        Ok(Response::new(pb::GetSnapshotResponse {
            snapshot: Some(convert::snapshot(record)),
        }))
    }

    async fn list_snapshots(
        &self,
        request: Request<pb::ListSnapshotsRequest>,
    ) -> Result<Response<pb::ListSnapshotsResponse>, Status> {
        let principal = jixiao_server::auth::principal(&request)?;
        let pb::ListSnapshotsRequest {
            department_code,
            year,
            page_size,
            page_token,
            project_code,
        } = request.into_inner();
        principal.check_department("department_code", &department_code)?;
        let mut violations = Vec::new();
        let (size, before) = page(page_size, &page_token, &mut violations);
        if year != 0
            && let Err(error) = Period::year(year)
        {
            violations.push(Violation::new("year", error.to_string()));
        }
        if !violations.is_empty() {
            return Err(invalid(&violations));
        }
        let snapshots = self
            .engine
            .store()
            .list_snapshots(
                (!department_code.is_empty()).then_some(department_code.as_str()),
                (!project_code.is_empty()).then_some(project_code.as_str()),
                (year != 0).then_some(year),
                before,
                size,
            )
            .await
            .map_err(internal)?;
        let next_page_token = next_token(&snapshots, size, |summary| summary.id);
        Ok(Response::new(pb::ListSnapshotsResponse {
            snapshots: snapshots.into_iter().map(convert::summary).collect(),
            next_page_token,
        }))
    }

    async fn list_runs(
        &self,
        request: Request<pb::ListRunsRequest>,
    ) -> Result<Response<pb::ListRunsResponse>, Status> {
        let pb::ListRunsRequest {
            page_size,
            page_token,
        } = request.into_inner();
        let mut violations = Vec::new();
        let (size, before) = page(page_size, &page_token, &mut violations);
        if !violations.is_empty() {
            return Err(invalid(&violations));
        }
        let runs = self
            .engine
            .store()
            .list_runs(before, size)
            .await
            .map_err(internal)?;
        let mut next_page_token = next_token(&runs, size, |run| run.id);
        // A page holds at most MAX_PAGE_BYTES (a run lists up to 50 failed departments), so
        // that it fits a client's default 4 MiB; AIP-158 lets it hold fewer than asked.
        let mut bytes = 0;
        let mut sent = Vec::with_capacity(runs.len());
        for record in runs {
            let id = record.id;
            let run = convert::run(record);
            bytes += prost::Message::encoded_len(&run);
            if bytes > MAX_PAGE_BYTES && !sent.is_empty() {
                next_page_token = sent
                    .last()
                    .map(|(id, _): &(i64, pb::Run)| id.to_string())
                    .unwrap_or_default();
                break;
            }
            sent.push((id, run));
        }
        Ok(Response::new(pb::ListRunsResponse {
            runs: sent.into_iter().map(|(_, run)| run).collect(),
            next_page_token,
        }))
    }

    async fn get_framework(
        &self,
        request: Request<pb::GetFrameworkRequest>,
    ) -> Result<Response<pb::GetFrameworkResponse>, Status> {
        let pb::GetFrameworkRequest { name } = request.into_inner();
        let frameworks = self
            .engine
            .framework()
            .load()
            .map_err(|reason| failed_precondition(format!("invalid framework: {reason}")))?;
        let name = name.trim();
        let loaded = if name.is_empty() {
            frameworks.default_department()
        } else {
            frameworks.get(name).ok_or_else(|| {
                invalid(&[Violation::new(
                    "name",
                    format!(
                        "no framework is named {name:?}; loaded: {}",
                        frameworks.names().join(", ")
                    ),
                )])
            })?
        };
        let summaries = frameworks
            .iter()
            .map(|other| {
                let mut default_for = Vec::new();
                if other.framework.name == frameworks.default_department().framework.name {
                    default_for.push("department".to_owned());
                }
                if other.framework.name == frameworks.default_project().framework.name {
                    default_for.push("project".to_owned());
                }
                pb::FrameworkSummary {
                    name: other.framework.name.clone(),
                    version: other.framework.version.clone(),
                    description: other.framework.description.clone(),
                    origin: other.origin.clone(),
                    default_for,
                }
            })
            .collect();
        Ok(Response::new(pb::GetFrameworkResponse {
            framework: Some(convert::framework(&loaded.framework)),
            source: loaded.source.clone(),
            frameworks: summaries,
        }))
    }

    async fn adjust_score(
        &self,
        request: Request<pb::AdjustScoreRequest>,
    ) -> Result<Response<pb::AdjustScoreResponse>, Status> {
        let principal = jixiao_server::auth::principal(&request)?;
        let adjusted_by = principal.name.clone();
        let request = request.into_inner();
        principal.check_department("department_code", &request.department_code)?;
        let digest = {
            use prost::Message;
            let content = pb::AdjustScoreRequest {
                request_id: String::new(),
                ..request.clone()
            };
            Sha256::digest(content.encode_to_vec())
                .iter()
                .map(|byte| format!("{byte:02x}"))
                .collect::<String>()
        };
        let pb::AdjustScoreRequest {
            department_code,
            project_code,
            period,
            indicator_code,
            score,
            reason,
            request_id,
        } = request;
        let mut violations = Vec::new();
        let parsed = subject_period(&department_code, &project_code, &period, &mut violations);
        if indicator_code.trim().is_empty() {
            violations.push(Violation::new(
                "indicator_code",
                "name the row (its indicator code) or \"budget\" for budget execution",
            ));
        }
        let adjusted = match jixiao_domain::parse_plain_decimal(&score) {
            Ok(value) if value < rust_decimal::Decimal::ZERO => {
                violations.push(Violation::new("score", "must not be negative"));
                None
            }
            Ok(value) if value.normalize().scale() > 2 => {
                violations.push(Violation::new(
                    "score",
                    format!("{score} has more than 2 decimals; scores are kept to 2"),
                ));
                None
            }
            Ok(value) => Some(value),
            Err(error) => {
                violations.push(Violation::new("score", error.to_string()));
                None
            }
        };
        if let Err(problem) = jixiao_domain::department::validate_text(&reason, true, 1000) {
            violations.push(Violation::new("reason", problem));
        }
        if let Err(problem) = jixiao_domain::department::validate_text(&request_id, false, 128) {
            violations.push(Violation::new("request_id", problem));
        }
        let (Some(parsed), Some(adjusted)) = (parsed, adjusted) else {
            return Err(invalid(&violations));
        };
        if !violations.is_empty() {
            return Err(invalid(&violations));
        }
        let period = parsed.to_string();
        let store = self.engine.store();
        let subject = if project_code.is_empty() {
            department_code.clone()
        } else {
            format!("project {project_code}")
        };
        // A retry answers with what the first request recorded, whatever the snapshots say now.
        let replayed = if request_id.is_empty() {
            None
        } else {
            match store
                .adjustment_by_request(&request_id)
                .await
                .map_err(internal)?
            {
                Some((record, stored)) if stored == digest => Some(record),
                Some(_) => return Err(EvaluatorError::RequestIdReused(request_id).into()),
                None => None,
            }
        };
        let record = match replayed {
            Some(record) => record,
            None => {
                self.record_adjustment(
                    NewAdjustment {
                        department_code: department_code.clone(),
                        project_code: project_code.clone(),
                        period: period.clone(),
                        indicator_code,
                        computed_score: rust_decimal::Decimal::ZERO,
                        adjusted_score: adjusted,
                        reason: reason.trim().to_owned(),
                        adjusted_by,
                        request: (!request_id.is_empty()).then(|| (request_id.clone(), digest)),
                    },
                    &subject,
                )
                .await?
            }
        };
        self.snapshot_with(record, parsed, &subject).await
    }

    async fn list_adjustments(
        &self,
        request: Request<pb::ListAdjustmentsRequest>,
    ) -> Result<Response<pb::ListAdjustmentsResponse>, Status> {
        let principal = jixiao_server::auth::principal(&request)?;
        let pb::ListAdjustmentsRequest {
            department_code,
            project_code,
            period,
        } = request.into_inner();
        principal.check_department("department_code", &department_code)?;
        let mut violations = Vec::new();
        let parsed = subject_period(&department_code, &project_code, &period, &mut violations);
        let Some(parsed) = parsed.filter(|_| violations.is_empty()) else {
            return Err(invalid(&violations));
        };
        let period = parsed.to_string();
        let store = self.engine.store();
        let records = store
            .adjustments(&department_code, &project_code, &period)
            .await
            .map_err(internal)?;
        let statuses: std::collections::HashMap<i64, &'static str> = match store
            .latest_snapshot(&department_code, &project_code, &period)
            .await
            .map_err(internal)?
        {
            Some(latest) => store
                .snapshot(latest.id)
                .await
                .map_err(internal)?
                .map(|stored| {
                    stored
                        .evaluation
                        .adjustments
                        .iter()
                        .map(|outcome| (outcome.adjustment.id, outcome.status.as_str()))
                        .collect()
                })
                .unwrap_or_default(),
            None => Default::default(),
        };
        Ok(Response::new(pb::ListAdjustmentsResponse {
            adjustments: records
                .into_iter()
                .map(|record| {
                    let status = statuses.get(&record.adjustment.id).copied().unwrap_or("");
                    convert::adjustment(record, status)
                })
                .collect(),
        }))
    }

    async fn list_pending_reviews(
        &self,
        request: Request<pb::ListPendingReviewsRequest>,
    ) -> Result<Response<pb::ListPendingReviewsResponse>, Status> {
        let principal = jixiao_server::auth::principal(&request)?;
        let pb::ListPendingReviewsRequest {
            period,
            department_code,
            page_size,
            page_token,
        } = request.into_inner();
        principal.check_department("department_code", &department_code)?;
        let mut violations = Vec::new();
        let period = match period.parse::<Period>() {
            Ok(period) => Some(period.to_string()),
            Err(error) => {
                violations.push(Violation::new("period", error.to_string()));
                None
            }
        };
        if !department_code.is_empty()
            && let Err(reason) = validate_code(&department_code)
        {
            violations.push(Violation::new("department_code", reason));
        }
        let size = match page_size {
            0 => DEFAULT_REVIEW_PAGE,
            size if size < 0 => {
                violations.push(Violation::new("page_size", "must not be negative"));
                DEFAULT_REVIEW_PAGE
            }
            size => (size as u32).min(MAX_REVIEW_PAGE),
        } as usize;
        let token: Option<ReviewToken> =
            jixiao_sqlite::token::decode(&page_token).unwrap_or_else(|()| {
                violations.push(Violation::new(
                    "page_token",
                    "is not a token this service returned",
                ));
                None
            });
        let Some(period) = period.filter(|_| violations.is_empty()) else {
            return Err(invalid(&violations));
        };
        let (from, mut skip) = match &token {
            Some((department, project, sent)) => {
                (Some((department.as_str(), project.as_str())), *sent)
            }
            None => (None, 0),
        };
        let records = self
            .engine
            .store()
            .latest_of_period(
                &period,
                (!department_code.is_empty()).then_some(department_code.as_str()),
                from,
                REVIEW_SUBJECTS_PER_PAGE,
            )
            .await
            .map_err(internal)?;
        let mut reviews = Vec::new();
        let mut bytes = 0;
        // Where the next page starts: inside a subject when this page filled up there, after
        // the last subject read when the read stopped at its limit, nowhere at the end.
        let mut next: Option<ReviewToken> = None;
        let mut last_read: Option<ReviewToken> = None;
        'subjects: for record in &records {
            let (department, project) = (
                &record.summary.department_code,
                &record.summary.project_code,
            );
            let pending = convert::pending_reviews(record);
            let count = pending.len();
            for (sent, review) in pending.into_iter().enumerate().skip(skip) {
                if reviews.len() == size || (bytes > MAX_PAGE_BYTES && !reviews.is_empty()) {
                    next = Some((department.clone(), project.clone(), sent));
                    break 'subjects;
                }
                bytes += prost::Message::encoded_len(&review);
                reviews.push(review);
            }
            skip = 0;
            last_read = Some((department.clone(), project.clone(), count));
        }
        if next.is_none() && records.len() == REVIEW_SUBJECTS_PER_PAGE as usize {
            // The last subject read is read again with all its rows skipped.
            next = last_read;
        }
        Ok(Response::new(pb::ListPendingReviewsResponse {
            reviews,
            next_page_token: next
                .map(|token| jixiao_sqlite::token::encode(&token))
                .unwrap_or_default(),
        }))
    }
}
