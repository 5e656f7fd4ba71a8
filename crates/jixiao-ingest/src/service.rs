//! The IngestService methods: validate at the edge, store through [`IngestStore`], answer.

use std::pin::Pin;
use std::sync::Arc;

use futures::{Stream, StreamExt};
use jixiao::ingest::v1 as pb;
use jixiao::ingest::v1::ingest_service_server::IngestService;
use jixiao_domain::Target;
use jixiao_domain::target::validate_targets;
use jixiao_domain::{Catalog, GroupWeights, Violation, validate_code};
use jixiao_server::auth::{self, Principal};
use jixiao_storage::{
    ExportItem, Idempotency, IngestStore, NewDepartment, NewTable, NewTargetSet, PointBatch,
    PointFilter, PushOutcome, StoreError, WriteMode,
};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tonic::{Request, Response, Status, Streaming};
use tracing::{info, warn};

use crate::config::Limits;
use crate::convert::{self, Violations};
use crate::error::IngestError;
use crate::metrics::{IngestMetrics, Refusal};

/// The ingestion service over a store.
#[derive(Debug)]
pub struct IngestApi<S> {
    store: S,
    catalog: Arc<Catalog>,
    group_weights: GroupWeights,
    frameworks: jixiao_scoring::Frameworks,
    limits: Limits,
    requests: Arc<Semaphore>,
    streams: Arc<Semaphore>,
    metrics: IngestMetrics,
}

impl<S: IngestStore> IngestApi<S> {
    /// A service storing into `store`, validating against `catalog`, and target sets against
    /// `group_weights` or the framework they name among `frameworks`. Points stored and
    /// refused are counted into `metrics`.
    pub fn new(
        store: S,
        catalog: Catalog,
        group_weights: GroupWeights,
        frameworks: jixiao_scoring::Frameworks,
        limits: Limits,
        metrics: IngestMetrics,
    ) -> Self {
        Self {
            metrics,
            store,
            catalog: Arc::new(catalog),
            group_weights,
            frameworks,
            requests: Arc::new(Semaphore::new(limits.max_concurrent_requests.max(1))),
            streams: Arc::new(Semaphore::new(limits.max_concurrent_streams.max(1))),
            limits,
        }
    }

    /// Admits a request, or refuses it when `limits.max_concurrent_requests` are in flight.
    fn admit(&self) -> Result<OwnedSemaphorePermit, Status> {
        Arc::clone(&self.requests).try_acquire_owned().map_err(|_| {
            Status::resource_exhausted(format!(
                "more than {} requests are in flight (limits.max_concurrent_requests); retry with backoff",
                self.limits.max_concurrent_requests
            ))
        })
    }

    /// Admits a stream, or refuses it when `limits.max_concurrent_streams` are open.
    fn admit_stream(&self) -> Result<OwnedSemaphorePermit, Status> {
        Arc::clone(&self.streams).try_acquire_owned().map_err(|_| {
            Status::resource_exhausted(format!(
                "more than {} streams are open (limits.max_concurrent_streams); retry with backoff",
                self.limits.max_concurrent_streams
            ))
        })
    }

    fn idempotency(request_id: &str, method: &'static str, digest: String) -> Option<Idempotency> {
        (!request_id.is_empty()).then(|| Idempotency {
            request_id: request_id.to_owned(),
            method,
            digest,
        })
    }

    /// Checks the rows of a target set for `year` against the framework they name (empty: the
    /// service's own group weights): what is broken as data goes into `violations` (naming
    /// `framework` or `targets[i].<field>`); words, groups and weights never do (TABLES.md §0).
    /// Gives the framework's name as stored, with the rows as validated.
    fn check_targets(
        &self,
        framework: &str,
        year: i32,
        targets: Vec<pb::Target>,
        violations: &mut Violations,
    ) -> (String, Vec<Target>) {
        let inputs: Vec<_> = targets.into_iter().map(convert::target_input).collect();
        let framework = framework.trim().to_owned();
        let named = self
            .frameworks
            .get(&framework)
            .map(|loaded| &loaded.framework);
        let plan = match named {
            _ if framework.is_empty() => self.group_weights.plan(),
            Some(named) => named.weight_plan(),
            None => {
                // The rows cannot be checked against a framework that is not known.
                violations.push(
                    "framework",
                    format!(
                        "no framework is named {framework:?}; this service knows {}",
                        self.frameworks.names().join(", ")
                    ),
                );
                return (framework, Vec::new());
            }
        };
        // Codes a reviewer's adjustment names: budget execution's and the computed rows'.
        let reserved: Vec<&str> = std::iter::once(jixiao_scoring::BUDGET_ROW)
            .chain(
                named
                    .into_iter()
                    .flat_map(|framework| framework.computed.iter().map(|row| row.code.as_str())),
            )
            .collect();
        for (index, input) in inputs.iter().enumerate() {
            if reserved.contains(&input.indicator_code.as_str()) {
                violations.push(
                    format!("targets[{index}].indicator_code"),
                    format!(
                        "{:?} names budget execution or a computed row of the framework; give the row another code",
                        input.indicator_code
                    ),
                );
            }
        }
        match validate_targets(&inputs, &self.catalog, &plan, year) {
            Ok(validated) => (framework, validated),
            Err(target_violations) => {
                violations.extend(target_violations);
                (framework, Vec::new())
            }
        }
    }

    /// Validates an ImportTable request into the table the store takes: every part checked
    /// as its own method checks it, with the field paths of the request (`department.name`,
    /// `targets[3].weight`, `points[0].value`, `actuals[2].note`), and every point and actual
    /// of the table's own subject.
    fn table(
        &self,
        principal: &Principal,
        request: pb::ImportTableRequest,
        violations: &mut Violations,
    ) -> NewTable {
        let pb::ImportTableRequest {
            request_id,
            validate_only: _,
            department,
            project,
            year,
            framework,
            targets,
            source,
            mut points,
            mut actuals,
            overall_target,
            overall_result,
        } = request;
        convert::check_request_id(&request_id, violations);
        convert::check_overall(&overall_target, &overall_result, violations);
        convert::check_year("year", year, violations);
        // An empty name keeps the unit's name (or, for a new unit, takes its code); it is
        // checked as that name would be.
        let named = department
            .as_ref()
            .is_some_and(|unit| !unit.name.is_empty());
        let department = department.map(|mut unit| {
            if unit.name.is_empty() {
                unit.name.clone_from(&unit.code);
            }
            unit
        });
        let mut department = match convert::new_department(department) {
            Ok(department) => department,
            Err(refused) => {
                violations.extend(refused);
                NewDepartment {
                    code: String::new(),
                    name: String::new(),
                    parent_code: None,
                }
            }
        };
        if !named {
            department.name.clear();
        }
        let project = project.map(|mut project| {
            if project.department_code.is_empty() {
                project.department_code.clone_from(&department.code);
            }
            if project.first_year == 0 && project.last_year == 0 {
                (project.first_year, project.last_year) = (year, year);
            }
            if project.name.is_empty() {
                project.name.clone_from(&project.code);
            }
            convert::new_project(Some(project), violations)
        });
        if let Some(project) = &project
            && project.department_code != department.code
        {
            violations.push(
                "project.department_code",
                format!(
                    "{:?} is not the table's unit {:?}",
                    project.department_code, department.code
                ),
            );
        }
        let project_code = project
            .as_ref()
            .map(|project| project.code.clone())
            .unwrap_or_default();
        let (framework, targets) = self.check_targets(&framework, year, targets, violations);
        for point in &mut points {
            if point.department_code.is_empty() {
                point.department_code.clone_from(&department.code);
            }
            if point.project_code.is_empty() {
                point.project_code.clone_from(&project_code);
            }
        }
        for actual in &mut actuals {
            if actual.department_code.is_empty() {
                actual.department_code.clone_from(&department.code);
            }
            if actual.project_code.is_empty() {
                actual.project_code.clone_from(&project_code);
            }
        }
        for (list, subjects) in [
            (
                "points",
                points
                    .iter()
                    .map(|point| (&point.department_code, &point.project_code))
                    .collect::<Vec<_>>(),
            ),
            (
                "actuals",
                actuals
                    .iter()
                    .map(|actual| (&actual.department_code, &actual.project_code))
                    .collect(),
            ),
        ] {
            for (index, (unit, project)) in subjects.into_iter().enumerate() {
                if *unit != department.code || *project != project_code {
                    violations.push(
                        format!("{list}[{index}].department_code"),
                        format!(
                            "names {unit:?}{}; every part of a table is the table's own subject",
                            if project.is_empty() {
                                String::new()
                            } else {
                                format!(" project {project:?}")
                            }
                        ),
                    );
                }
            }
        }
        // A table may have no figures (a form without its budget block) and no actuals (a
        // form filled before the year's end): only the lists it has are checked.
        let points = if points.is_empty() {
            Vec::new()
        } else {
            convert::new_points(
                points,
                &self.catalog,
                self.limits.max_points_per_request,
                violations,
            )
        };
        let actuals = if actuals.is_empty() {
            Vec::new()
        } else {
            convert::new_actuals(actuals, self.limits.max_points_per_request, violations)
        };
        NewTable {
            department,
            project,
            year,
            framework,
            targets,
            overall_target,
            overall_result,
            points: PointBatch {
                source: if source.is_empty() {
                    "import".to_owned()
                } else {
                    source
                },
                points,
                pushed_by: principal.name.clone(),
            },
            actuals,
        }
    }

    /// Validates and stores one batch of points (a PushMetrics request or a stream message)
    /// for `principal`, and counts the points stored or refused.
    async fn push(
        &self,
        principal: &Principal,
        request_id: String,
        source: String,
        points: Vec<pb::MetricPoint>,
        method: &'static str,
        mode: WriteMode,
    ) -> Result<PushOutcome, IngestError> {
        let count = points.len();
        let result = self
            .validate_and_store(principal, request_id, source, points, method, mode)
            .await;
        match &result {
            // A retry answered from the request log, or a check, wrote nothing now.
            Ok(outcome) if outcome.replayed || mode == WriteMode::ValidateOnly => {}
            Ok(outcome) => self
                .metrics
                .stored(outcome.stored as u64, outcome.unchanged as u64),
            Err(error) => self.metrics.refused(count, error),
        }
        result
    }

    async fn validate_and_store(
        &self,
        principal: &Principal,
        request_id: String,
        source: String,
        points: Vec<pb::MetricPoint>,
        method: &'static str,
        mode: WriteMode,
    ) -> Result<PushOutcome, IngestError> {
        // Only a request that can be retried needs the digest of its content.
        let digest = if request_id.is_empty() {
            String::new()
        } else {
            convert::digest(&pb::PushMetricsRequest {
                request_id: String::new(),
                source: source.clone(),
                points: points.clone(),
                validate_only: false,
            })
        };
        let mut violations = Violations::default();
        convert::check_request_id(&request_id, &mut violations);
        if let Err(reason) = validate_code(&source) {
            violations.push(
                "source",
                format!("{reason} (name the upstream system, for example budget)"),
            );
        }
        let points = convert::new_points(
            points,
            &self.catalog,
            self.limits.max_points_per_request,
            &mut violations,
        );
        let points = violations.into_result(points)?;
        check_may_push(
            principal,
            "points",
            points.iter().map(|point| point.department_code.as_str()),
        )?;
        let count = points.len();
        let outcome = self
            .store
            .push_points(
                PointBatch {
                    source,
                    points,
                    pushed_by: principal.name.clone(),
                },
                Self::idempotency(&request_id, method, digest),
                mode,
            )
            .await?;
        info!(
            points = count,
            validate_only = mode == WriteMode::ValidateOnly,
            stored = outcome.stored,
            unchanged = outcome.unchanged,
            revised = outcome.revised,
            watermark = outcome.watermark,
            "points pushed"
        );
        Ok(outcome)
    }
}

/// Counts a stream's points when it ends, however it ends.
struct StreamSize<'a> {
    metrics: &'a IngestMetrics,
    points: usize,
}

impl Drop for StreamSize<'_> {
    fn drop(&mut self) {
        self.metrics.stream_ended(self.points);
    }
}

/// Refuses the request when the token may not push for every department it names: the first
/// few offending items of `list` (`points[3] (BY)`).
fn check_may_push<'a>(
    principal: &auth::Principal,
    list: &str,
    departments: impl Iterator<Item = &'a str>,
) -> Result<(), IngestError> {
    let denied: Vec<String> = departments
        .enumerate()
        .filter(|(_, code)| !principal.may_push_for(code))
        .take(5)
        .map(|(index, code)| format!("{list}[{index}] ({code})"))
        .collect();
    if denied.is_empty() {
        return Ok(());
    }
    Err(IngestError::PermissionDenied(format!(
        "token {:?} may push only for departments starting with {}; refused: {}",
        principal.name,
        principal.departments().join(", "),
        denied.join(", ")
    )))
}

/// The write mode a request's `validate_only` asks for (AIP-163).
fn write_mode(validate_only: bool) -> WriteMode {
    if validate_only {
        WriteMode::ValidateOnly
    } else {
        WriteMode::Commit
    }
}

/// The scope each IngestService method needs.
pub fn scope_of(method: &str) -> Option<auth::Scope> {
    match method {
        "UpsertDepartment" | "SetTargets" | "UpsertProject" | "ImportTable" => {
            Some(auth::Scope::Admin)
        }
        "PushMetrics" | "StreamMetrics" | "ReportActuals" => Some(auth::Scope::Push),
        "ListDepartments"
        | "GetTargets"
        | "ListMetricPoints"
        | "ListMetricDefinitions"
        | "ExportInputs"
        | "ListProjects" => Some(auth::Scope::Read),
        _ => None,
    }
}

type ExportStream = Pin<Box<dyn Stream<Item = Result<pb::ExportInputsResponse, Status>> + Send>>;

#[tonic::async_trait]
impl<S: IngestStore> IngestService for IngestApi<S> {
    async fn upsert_department(
        &self,
        request: Request<pb::UpsertDepartmentRequest>,
    ) -> Result<Response<pb::UpsertDepartmentResponse>, Status> {
        let _permit = self.admit()?;
        let principal = auth::principal(&request)?;
        let pb::UpsertDepartmentRequest {
            department,
            request_id,
            validate_only,
        } = request.into_inner();
        if let Some(unit) = &department {
            principal.check_department("department.code", &unit.code)?;
        }
        let digest = convert::digest(&pb::UpsertDepartmentRequest {
            department: department.clone(),
            request_id: String::new(),
            validate_only: false,
        });
        let mut violations = Violations::default();
        convert::check_request_id(&request_id, &mut violations);
        let new_department = convert::new_department(department);
        let new_department = match (new_department, violations.into_result(())) {
            (Ok(department), Ok(())) => department,
            (Err(mut first), Err(second)) => {
                first.extend(second);
                return Err(IngestError::Invalid(first).into());
            }
            (Err(violations), _) | (_, Err(violations)) => {
                return Err(IngestError::Invalid(violations).into());
            }
        };
        let outcome = self
            .store
            .upsert_department(
                new_department,
                Self::idempotency(&request_id, "UpsertDepartment", digest),
                write_mode(validate_only),
            )
            .await
            .map_err(IngestError::from)?;
        info!(code = %outcome.department.code, created = outcome.created, "department upserted");
        Ok(Response::new(pb::UpsertDepartmentResponse {
            department: Some(convert::department(outcome.department)),
            created: outcome.created,
        }))
    }

    async fn list_departments(
        &self,
        request: Request<pb::ListDepartmentsRequest>,
    ) -> Result<Response<pb::ListDepartmentsResponse>, Status> {
        let _permit = self.admit()?;
        let pb::ListDepartmentsRequest {
            page_size,
            page_token,
        } = request.into_inner();
        let mut violations = Violations::default();
        let page_size = convert::page_size(page_size, &mut violations);
        violations.into_result(()).map_err(IngestError::Invalid)?;
        let page = self
            .store
            .list_departments(&page_token, page_size)
            .await
            .map_err(IngestError::from)?;
        Ok(Response::new(pb::ListDepartmentsResponse {
            departments: page.items.into_iter().map(convert::department).collect(),
            next_page_token: page.next_page_token,
        }))
    }

    async fn set_targets(
        &self,
        request: Request<pb::SetTargetsRequest>,
    ) -> Result<Response<pb::SetTargetsResponse>, Status> {
        let _permit = self.admit()?;
        let principal = auth::principal(&request)?;
        let pb::SetTargetsRequest {
            department_code,
            year,
            targets,
            request_id,
            project_code,
            framework,
            validate_only,
            overall_target,
            overall_result,
        } = request.into_inner();
        principal.check_department("department_code", &department_code)?;
        let digest = convert::digest(&pb::SetTargetsRequest {
            department_code: department_code.clone(),
            year,
            targets: targets.clone(),
            request_id: String::new(),
            project_code: project_code.clone(),
            framework: framework.clone(),
            validate_only: false,
            overall_target: overall_target.clone(),
            overall_result: overall_result.clone(),
        });
        let mut violations = Violations::default();
        convert::check_overall(&overall_target, &overall_result, &mut violations);
        convert::check_request_id(&request_id, &mut violations);
        if let Err(reason) = validate_code(&department_code) {
            violations.push("department_code", reason);
        }
        convert::check_optional_code("project_code", &project_code, &mut violations);
        convert::check_year("year", year, &mut violations);
        let (framework, validated) = self.check_targets(&framework, year, targets, &mut violations);
        let validated = violations
            .into_result(validated)
            .map_err(IngestError::Invalid)?;
        let outcome = self
            .store
            .set_targets(
                NewTargetSet {
                    department_code,
                    project_code,
                    year,
                    framework,
                    targets: validated,
                    overall_target,
                    overall_result,
                },
                Self::idempotency(&request_id, "SetTargets", digest),
                write_mode(validate_only),
            )
            .await
            .map_err(IngestError::from)?;
        info!(
            department = %outcome.target_set.department_code,
            year = outcome.target_set.year,
            revision = outcome.target_set.revision,
            unchanged = outcome.unchanged,
            validate_only,
            "targets set"
        );
        Ok(Response::new(pb::SetTargetsResponse {
            target_set: Some(convert::target_set(outcome.target_set, &self.catalog)),
            unchanged: outcome.unchanged,
        }))
    }

    async fn get_targets(
        &self,
        request: Request<pb::GetTargetsRequest>,
    ) -> Result<Response<pb::GetTargetsResponse>, Status> {
        let _permit = self.admit()?;
        let principal = auth::principal(&request)?;
        let pb::GetTargetsRequest {
            department_code,
            year,
            project_code,
        } = request.into_inner();
        principal.check_department("department_code", &department_code)?;
        let mut violations = Violations::default();
        if let Err(reason) = validate_code(&department_code) {
            violations.push("department_code", reason);
        }
        convert::check_optional_code("project_code", &project_code, &mut violations);
        convert::check_year("year", year, &mut violations);
        violations.into_result(()).map_err(IngestError::Invalid)?;
        let target_set = self
            .store
            .get_targets(&department_code, &project_code, year)
            .await
            .map_err(IngestError::from)?
            .ok_or_else(|| {
                let subject = if project_code.is_empty() {
                    format!("department {department_code:?}")
                } else {
                    format!("project {project_code:?} of {department_code:?}")
                };
                IngestError::Store(StoreError::NotFound(format!(
                    "no targets for {subject} in {year}"
                )))
            })?;
        Ok(Response::new(pb::GetTargetsResponse {
            target_set: Some(convert::target_set(target_set, &self.catalog)),
        }))
    }

    async fn push_metrics(
        &self,
        request: Request<pb::PushMetricsRequest>,
    ) -> Result<Response<pb::PushMetricsResponse>, Status> {
        let _permit = self.admit()?;
        let principal = auth::principal(&request)?;
        let pb::PushMetricsRequest {
            request_id,
            source,
            points,
            validate_only,
        } = request.into_inner();
        let outcome = self
            .push(
                &principal,
                request_id,
                source,
                points,
                "PushMetrics",
                write_mode(validate_only),
            )
            .await?;
        Ok(Response::new(convert::push_response(outcome)))
    }

    async fn stream_metrics(
        &self,
        request: Request<Streaming<pb::StreamMetricsRequest>>,
    ) -> Result<Response<pb::StreamMetricsResponse>, Status> {
        let _permit = self.admit()?;
        let _stream_permit = self.admit_stream()?;
        let principal = auth::principal(&request)?;
        let mut stream = request.into_inner();
        let mut total = pb::StreamMetricsResponse::default();
        let mut points_in_stream = StreamSize {
            metrics: &self.metrics,
            points: 0,
        };
        loop {
            let message = match stream.message().await {
                Ok(Some(message)) => message,
                Ok(None) => break,
                Err(status) => {
                    warn!(
                        committed_messages = total.messages,
                        committed_points = total.stored + total.unchanged,
                        error = %status.message(),
                        "metrics stream broke; the messages before it stay committed"
                    );
                    return Err(status);
                }
            };
            let pb::StreamMetricsRequest {
                request_id,
                source,
                points,
            } = message;
            let index = total.messages;
            points_in_stream.points += points.len();
            if points_in_stream.points > self.limits.max_points_per_stream {
                self.metrics.refused_for(points.len(), Refusal::OverLimit);
                warn!(
                    committed_messages = total.messages,
                    "metrics stream over its limit; the messages before it stay committed"
                );
                return Err(Status::resource_exhausted(format!(
                    "messages[{index}] takes the stream over {} points (limits.max_points_per_stream); the {index} messages before it were committed; send the rest in another stream",
                    self.limits.max_points_per_stream
                )));
            }
            match self
                .push(
                    &principal,
                    request_id,
                    source,
                    points,
                    "StreamMetrics",
                    WriteMode::Commit,
                )
                .await
            {
                Ok(outcome) => {
                    total.stored += outcome.stored;
                    total.unchanged += outcome.unchanged;
                    total.revised += outcome.revised;
                    total.watermark = outcome.watermark;
                    total.messages += 1;
                }
                Err(error) => {
                    warn!(
                        committed_messages = total.messages,
                        refused_message = index,
                        error = %error,
                        "metrics stream refused a message; the messages before it stay committed"
                    );
                    return Err(error.in_stream_message(index).into());
                }
            }
        }
        if total.messages == 0 {
            return Err(IngestError::Invalid(vec![Violation::new(
                "messages",
                "the stream carried no messages",
            )])
            .into());
        }
        info!(
            messages = total.messages,
            stored = total.stored,
            unchanged = total.unchanged,
            "metrics stream committed"
        );
        Ok(Response::new(total))
    }

    async fn list_metric_points(
        &self,
        request: Request<pb::ListMetricPointsRequest>,
    ) -> Result<Response<pb::ListMetricPointsResponse>, Status> {
        let _permit = self.admit()?;
        let pb::ListMetricPointsRequest {
            department_code,
            year,
            metric_code,
            page_size,
            page_token,
            include_history,
        } = request.into_inner();
        let mut violations = Violations::default();
        let page_size = convert::page_size(page_size, &mut violations);
        if year != 0 {
            convert::check_year("year", year, &mut violations);
        }
        if !metric_code.is_empty() && self.catalog.get(&metric_code).is_none() {
            violations.push(
                "metric_code",
                format!("unknown metric {metric_code:?}; see ListMetricDefinitions"),
            );
        }
        violations.into_result(()).map_err(IngestError::Invalid)?;
        let filter = PointFilter {
            department_code: (!department_code.is_empty()).then_some(department_code),
            year: (year != 0).then_some(year),
            metric_code: (!metric_code.is_empty()).then_some(metric_code),
            include_history,
        };
        let page = self
            .store
            .list_points(filter, &page_token, page_size)
            .await
            .map_err(IngestError::from)?;
        Ok(Response::new(pb::ListMetricPointsResponse {
            points: page
                .items
                .into_iter()
                .map(|point| convert::stored_point(point, &self.catalog))
                .collect(),
            next_page_token: page.next_page_token,
        }))
    }

    async fn list_metric_definitions(
        &self,
        request: Request<pb::ListMetricDefinitionsRequest>,
    ) -> Result<Response<pb::ListMetricDefinitionsResponse>, Status> {
        let _permit = self.admit()?;
        let pb::ListMetricDefinitionsRequest {} = request.into_inner();
        Ok(Response::new(pb::ListMetricDefinitionsResponse {
            metrics: self
                .catalog
                .iter()
                .map(convert::metric_definition)
                .collect(),
        }))
    }

    async fn upsert_project(
        &self,
        request: Request<pb::UpsertProjectRequest>,
    ) -> Result<Response<pb::UpsertProjectResponse>, Status> {
        let _permit = self.admit()?;
        let principal = auth::principal(&request)?;
        let pb::UpsertProjectRequest {
            project,
            request_id,
            validate_only,
        } = request.into_inner();
        if let Some(project) = &project {
            principal.check_department("project.department_code", &project.department_code)?;
        }
        let digest = convert::digest(&pb::UpsertProjectRequest {
            project: project.clone(),
            request_id: String::new(),
            validate_only: false,
        });
        let mut violations = Violations::default();
        convert::check_request_id(&request_id, &mut violations);
        let project = convert::new_project(project, &mut violations);
        let project = violations
            .into_result(project)
            .map_err(IngestError::Invalid)?;
        let outcome = self
            .store
            .upsert_project(
                project,
                Self::idempotency(&request_id, "UpsertProject", digest),
                write_mode(validate_only),
            )
            .await
            .map_err(IngestError::from)?;
        info!(code = %outcome.project.code, department = %outcome.project.department_code, created = outcome.created, "project upserted");
        Ok(Response::new(pb::UpsertProjectResponse {
            project: Some(convert::project(outcome.project)),
            created: outcome.created,
        }))
    }

    async fn list_projects(
        &self,
        request: Request<pb::ListProjectsRequest>,
    ) -> Result<Response<pb::ListProjectsResponse>, Status> {
        let _permit = self.admit()?;
        let pb::ListProjectsRequest {
            department_code,
            page_size,
            page_token,
        } = request.into_inner();
        let mut violations = Violations::default();
        let page_size = convert::page_size(page_size, &mut violations);
        convert::check_optional_code("department_code", &department_code, &mut violations);
        violations.into_result(()).map_err(IngestError::Invalid)?;
        let page = self
            .store
            .list_projects(
                (!department_code.is_empty()).then_some(department_code),
                &page_token,
                page_size,
            )
            .await
            .map_err(IngestError::from)?;
        Ok(Response::new(pb::ListProjectsResponse {
            projects: page.items.into_iter().map(convert::project).collect(),
            next_page_token: page.next_page_token,
        }))
    }

    async fn report_actuals(
        &self,
        request: Request<pb::ReportActualsRequest>,
    ) -> Result<Response<pb::ReportActualsResponse>, Status> {
        let _permit = self.admit()?;
        let principal = auth::principal(&request)?;
        let pb::ReportActualsRequest {
            request_id,
            actuals,
            validate_only,
        } = request.into_inner();
        let digest = convert::digest(&pb::ReportActualsRequest {
            request_id: String::new(),
            actuals: actuals.clone(),
            validate_only: false,
        });
        let mut violations = Violations::default();
        convert::check_request_id(&request_id, &mut violations);
        let actuals =
            convert::new_actuals(actuals, self.limits.max_points_per_request, &mut violations);
        let actuals = violations
            .into_result(actuals)
            .map_err(IngestError::Invalid)?;
        check_may_push(
            &principal,
            "actuals",
            actuals.iter().map(|actual| actual.department_code.as_str()),
        )?;
        let outcome = self
            .store
            .report_actuals(
                actuals,
                principal.name.clone(),
                Self::idempotency(&request_id, "ReportActuals", digest),
                write_mode(validate_only),
            )
            .await
            .map_err(IngestError::from)?;
        info!(
            stored = outcome.stored,
            revised = outcome.revised,
            unchanged = outcome.unchanged,
            "actuals reported"
        );
        Ok(Response::new(convert::actuals_response(outcome)))
    }

    async fn import_table(
        &self,
        request: Request<pb::ImportTableRequest>,
    ) -> Result<Response<pb::ImportTableResponse>, Status> {
        let _permit = self.admit()?;
        let principal = auth::principal(&request)?;
        let request = request.into_inner();
        let mode = write_mode(request.validate_only);
        let digest = convert::digest(&pb::ImportTableRequest {
            request_id: String::new(),
            validate_only: false,
            ..request.clone()
        });
        let request_id = request.request_id.clone();
        let mut violations = Violations::default();
        let table = self.table(&principal, request, &mut violations);
        let table = violations
            .into_result(table)
            .map_err(IngestError::Invalid)?;
        principal.check_department("department.code", &table.department.code)?;
        let outcome = self
            .store
            .import_table(
                table,
                Self::idempotency(&request_id, "ImportTable", digest),
                mode,
            )
            .await
            .map_err(IngestError::from)?;
        info!(
            department = %outcome.department.department.code,
            project = outcome.project.as_ref().map_or("", |project| project.project.code.as_str()),
            revision = outcome.targets.target_set.revision,
            figures = outcome.points.stored,
            actuals = outcome.actuals.stored,
            validate_only = mode == WriteMode::ValidateOnly,
            "table imported"
        );
        Ok(Response::new(convert::table_outcome(
            outcome,
            mode == WriteMode::ValidateOnly,
            &self.catalog,
        )))
    }

    type ExportInputsStream = ExportStream;

    async fn export_inputs(
        &self,
        request: Request<pb::ExportInputsRequest>,
    ) -> Result<Response<Self::ExportInputsStream>, Status> {
        let stream_permit = self.admit_stream()?;
        let pb::ExportInputsRequest {
            year,
            department_codes,
        } = request.into_inner();
        let mut violations = Violations::default();
        convert::check_year("year", year, &mut violations);
        for (index, code) in department_codes.iter().enumerate() {
            if let Err(reason) = validate_code(code) {
                violations.push(format!("department_codes[{index}]"), reason);
            }
        }
        violations.into_result(()).map_err(IngestError::Invalid)?;
        info!(year, departments = department_codes.len(), "export started");
        let metrics: Vec<Result<pb::ExportInputsResponse, Status>> = self
            .catalog
            .iter()
            .map(|metric| {
                Ok(pb::ExportInputsResponse {
                    item: Some(pb::export_inputs_response::Item::Metric(
                        convert::metric_definition(metric),
                    )),
                })
            })
            .collect();
        let catalog = Arc::clone(&self.catalog);
        let items = self.store.export(year, department_codes).map(move |item| {
            use pb::export_inputs_response::Item;
            // The stream holds its permit until it is dropped.
            let _held = &stream_permit;
            let item = match item.map_err(|error| Status::from(IngestError::from(error)))? {
                ExportItem::Department(department) => {
                    Item::Department(convert::department(department))
                }
                ExportItem::TargetSet(target_set) => {
                    Item::TargetSet(convert::target_set(target_set, &catalog))
                }
                ExportItem::Points(points) => Item::Points(pb::MetricPointBatch {
                    points: points.into_iter().map(convert::exported_point).collect(),
                }),
                ExportItem::Project(project) => Item::Project(convert::project(project)),
                ExportItem::Actuals(actuals) => Item::Actuals(pb::RowActualBatch {
                    actuals: actuals.into_iter().map(convert::row_actual).collect(),
                }),
                ExportItem::End {
                    watermark,
                    departments,
                    target_sets,
                    points,
                } => {
                    info!(
                        watermark,
                        departments, target_sets, points, "export finished"
                    );
                    Item::End(pb::ExportEnd {
                        watermark,
                        departments,
                        target_sets,
                        points,
                    })
                }
            };
            Ok(pb::ExportInputsResponse { item: Some(item) })
        });
        Ok(Response::new(Box::pin(
            futures::stream::iter(metrics).chain(items),
        )))
    }
}
