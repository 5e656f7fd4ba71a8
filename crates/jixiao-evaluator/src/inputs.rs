//! Reading a year's inputs from the ingestion service's `ExportInputs`, into the scoring
//! crate's [`Inputs`].

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use futures::StreamExt;
use jixiao::ingest::v1 as pb;
use jixiao::ingest::v1::export_inputs_response::Item;
use jixiao::ingest::v1::ingest_service_client::IngestServiceClient;
use jixiao_domain::{Comparator, Level1, MetricKind, Period, Temporal};
use jixiao_scoring::{
    Department, Inputs, MetricInfo, Point, Project, RowActual, TargetRow, TargetSet,
};
use jixiao_server::auth::BearerToken;
use rust_decimal::Decimal;
use tonic::service::interceptor::InterceptedService;
use tonic::transport::Channel;
use tonic::{Code, Status};

/// The ingestion service's client, sending the evaluator's own token.
pub type IngestClient = IngestServiceClient<InterceptedService<Channel, BearerToken>>;

/// Why inputs could not be read.
#[derive(Debug, thiserror::Error)]
pub enum InputsError {
    /// The ingestion service could not be reached or failed.
    #[error("the ingestion service is unavailable: {}", .0.message())]
    Unavailable(Status),
    /// The ingestion service refused the request (for example an unknown department).
    #[error("the ingestion service refused the export: {}", .0.message())]
    Refused(Status),
    /// The export was not what the contract promises.
    #[error("the ingestion service sent a malformed export: {0}")]
    Malformed(String),
}

fn malformed(what: impl Into<String>) -> InputsError {
    InputsError::Malformed(what.into())
}

fn decimal(field: &str, text: &str) -> Result<Decimal, InputsError> {
    text.parse()
        .map_err(|_| malformed(format!("{field} {text:?} is not a decimal")))
}

/// Reads `year`'s inputs for `department_codes` (and their descendants; all when empty).
///
/// The whole read, from connecting to the last item, takes at most `timeout`
/// (`ingest_timeout_seconds`): a frozen or stalled ingestion service fails the run, which the
/// schedule then retries, instead of leaving it running and holding its period's lock.
pub async fn fetch(
    client: &IngestClient,
    year: i32,
    department_codes: &[String],
    timeout: Duration,
) -> Result<(Inputs, ExportCounts), InputsError> {
    tokio::time::timeout(
        timeout,
        fetch_unbounded(client, year, department_codes, timeout),
    )
    .await
    .unwrap_or_else(|_| {
        Err(InputsError::Unavailable(Status::deadline_exceeded(
            format!(
                "reading the inputs took longer than {} s (ingest_timeout_seconds)",
                timeout.as_secs()
            ),
        )))
    })
}

async fn fetch_unbounded(
    client: &IngestClient,
    year: i32,
    department_codes: &[String],
    timeout: Duration,
) -> Result<(Inputs, ExportCounts), InputsError> {
    let mut client = client.clone();
    let mut request = tonic::Request::new(pb::ExportInputsRequest {
        year,
        department_codes: department_codes.to_vec(),
    });
    request.set_timeout(timeout);
    let classify = |status: Status| match status.code() {
        Code::InvalidArgument | Code::NotFound | Code::FailedPrecondition => {
            InputsError::Refused(status)
        }
        _ => InputsError::Unavailable(status),
    };
    let mut stream = client
        .export_inputs(request)
        .await
        .map_err(classify)?
        .into_inner();
    let mut inputs = Inputs::default();
    let mut counts = ExportCounts::default();
    // A year repeats a few thousand codes a million times: each is kept once.
    let mut codes: HashMap<String, Arc<str>> = HashMap::new();
    let mut intern = move |code: String| -> Arc<str> {
        if let Some(shared) = codes.get(&code) {
            return Arc::clone(shared);
        }
        let shared: Arc<str> = Arc::from(code.as_str());
        codes.insert(code, Arc::clone(&shared));
        shared
    };
    let mut ended = false;
    while let Some(message) = stream.next().await {
        let item = message
            .map_err(classify)?
            .item
            .ok_or_else(|| malformed("an export message without an item"))?;
        match item {
            Item::Metric(metric) => {
                let temporal = match metric.temporal.as_str() {
                    "flow" => Temporal::Flow,
                    "stock" => Temporal::Stock,
                    other => return Err(malformed(format!("metric {} is {other:?}", metric.code))),
                };
                inputs.add_metric(
                    metric.code,
                    MetricInfo {
                        temporal,
                        additive: metric.additive,
                        unit: metric.canonical_unit,
                    },
                );
            }
            Item::Department(department) => {
                counts.departments += 1;
                inputs.add_department(Department {
                    code: department.code,
                    name: department.name,
                    parent_code: (!department.parent_code.is_empty())
                        .then_some(department.parent_code),
                });
            }
            Item::Project(project) => {
                counts.projects += 1;
                inputs.add_project(Project {
                    code: project.code,
                    name: project.name,
                    department_code: project.department_code,
                    first_year: project.first_year,
                    last_year: project.last_year,
                });
            }
            Item::TargetSet(target_set) => {
                counts.target_sets += 1;
                let department_code = target_set.department_code.clone();
                let project_code = target_set.project_code.clone();
                let target_set = target_set_from(target_set)?;
                if project_code.is_empty() {
                    inputs.add_target_set(department_code, target_set);
                } else {
                    inputs.add_project_target_set(project_code, target_set);
                }
            }
            Item::Actuals(batch) => {
                for actual in batch.actuals {
                    let period = actual.period.parse::<Period>().map_err(|error| {
                        malformed(format!("actual of {}: {error}", actual.indicator_code))
                    })?;
                    counts.actuals += 1;
                    let row_actual = RowActual {
                        indicator_code: actual.indicator_code,
                        period,
                        actual_text: actual.actual_text,
                        note: actual.note,
                        projected_text: actual.projected_text,
                        likelihood: actual.likelihood,
                        sequence: actual.sequence,
                    };
                    if actual.project_code.is_empty() {
                        inputs.add_row_actual(actual.department_code, row_actual);
                    } else {
                        inputs.add_project_row_actual(actual.project_code, row_actual);
                    }
                }
            }
            Item::Points(batch) => {
                for point in batch.points {
                    counts.points += 1;
                    inputs.add_point(point_from(point, &mut intern)?);
                }
            }
            Item::End(end) => {
                inputs.watermark = end.watermark;
                counts.watermark = end.watermark;
                if end.points != counts.points {
                    return Err(malformed(format!(
                        "the export announced {} points but sent {}",
                        end.points, counts.points
                    )));
                }
                ended = true;
            }
        }
    }
    if !ended {
        return Err(malformed("the export stopped before its end"));
    }
    inputs.finish();
    Ok((inputs, counts))
}

/// What an export carried.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ExportCounts {
    /// Departments.
    pub departments: i64,
    /// Target sets.
    pub target_sets: i64,
    /// Points.
    pub points: i64,
    /// Actuals of self-reported rows.
    pub actuals: i64,
    /// Projects.
    pub projects: i64,
    /// The watermark of the view read.
    pub watermark: i64,
}

fn target_set_from(target_set: pb::TargetSet) -> Result<TargetSet, InputsError> {
    let pb::TargetSet {
        department_code: _,
        year: _,
        revision,
        targets,
        set_at: _,
        project_code: _,
        framework,
        overall_target,
        overall_result,
    } = target_set;
    let targets = targets
        .into_iter()
        .map(|target| {
            let pb::Target {
                indicator_code,
                name,
                level1,
                level2,
                metric_code,
                comparator,
                target_value: _,
                unit: unit_as_sent,
                weight,
                target_value_canonical,
                canonical_unit,
                target_text,
                direction: _,
                comparator_inferred,
                target_value_high: _,
                target_value_high_canonical,
                measure_kind,
                unit_as_written,
                level1_as_written,
                level2_as_written: _,
                reported_score,
                review_reason,
                read_note,
                suspect_reading,
                weight_missing,
            } = target;
            let reported_score = if reported_score.is_empty() {
                None
            } else {
                Some(decimal("reported_score", &reported_score)?)
            };
            let kind =
                if measure_kind.is_empty() {
                    None
                } else {
                    Some(measure_kind.parse::<MetricKind>().map_err(|reason| {
                        malformed(format!("target {indicator_code}: {reason}"))
                    })?)
                };
            let target_high = if target_value_high_canonical.is_empty() {
                None
            } else {
                Some(decimal(
                    "target_value_high_canonical",
                    &target_value_high_canonical,
                )?)
            };
            Ok(TargetRow {
                level1: level1
                    .parse::<Level1>()
                    .map_err(|reason| malformed(format!("target {indicator_code}: {reason}")))?,
                comparator: comparator
                    .parse::<Comparator>()
                    .map_err(|reason| malformed(format!("target {indicator_code}: {reason}")))?,
                target: decimal("target_value_canonical", &target_value_canonical)?,
                weight: decimal("weight", &weight)?,
                indicator_code,
                name,
                level2,
                metric_code,
                unit: canonical_unit,
                target_high,
                kind,
                target_text,
                comparator_inferred,
                unit_as_sent,
                reported_score,
                unit_word: unit_as_written,
                level1_text: level1_as_written,
                review_reason,
                read_note,
                suspect: suspect_reading,
                weight_missing,
            })
        })
        .collect::<Result<Vec<_>, InputsError>>()?;
    Ok(TargetSet {
        revision,
        targets,
        framework,
        overall_target,
        overall_result,
    })
}

fn point_from(
    point: pb::StoredMetricPoint,
    intern: &mut impl FnMut(String) -> Arc<str>,
) -> Result<Point, InputsError> {
    let pb::StoredMetricPoint {
        department_code,
        metric_code,
        period,
        value,
        canonical_unit: _,
        value_as_sent: _,
        unit_as_sent: _,
        source,
        project_code,
        note,
        revision: _,
        sequence,
        received_at: _,
        request_id: _,
        current: _,
        pushed_by: _,
    } = point;
    Ok(Point {
        period: period
            .parse::<Period>()
            .map_err(|error| malformed(error.to_string()))?,
        value: decimal("value", &value)?,
        department_code: intern(department_code),
        metric_code: intern(metric_code),
        source: intern(source),
        project_code: intern(project_code),
        note,
        sequence,
    })
}
