//! PushMetrics and StreamMetrics: the group commit of point batches, and ListMetricPoints' rows.

use std::collections::{BTreeSet, HashMap};
use std::str::FromStr;

use jixiao_domain::Violation;
use rust_decimal::Decimal;
use sqlx::sqlite::{SqlitePool, SqliteRow};
use sqlx::{QueryBuilder, Row, Sqlite, SqliteConnection};
use tokio::sync::mpsc;
use tokio::sync::oneshot;

use super::requests::{read_sequence, write_sequence};
use super::{
    MAX_ANSWER_BYTES, MAX_VIOLATIONS, ROWS_PER_STATEMENT, approximate_size, decode_token,
    encode_token, format_time, now, parse_time,
};
use crate::model::{
    Idempotency, NewPoint, Page, PointBatch, PointFilter, PointRecord, PushOutcome,
};
use crate::{StoreError, StoreResult};

/// A batch of points waiting for the writer, and where its answer goes.
#[derive(Debug)]
pub(super) struct PushJob {
    pub(super) batch: PointBatch,
    pub(super) idempotency: Option<Idempotency>,
    pub(super) reply: oneshot::Sender<StoreResult<PushOutcome>>,
}

/// Most batches and points committed together.
pub(super) const MAX_GROUP_JOBS: usize = 256;

pub(super) const MAX_GROUP_POINTS: usize = 100_000;

/// The writer of point batches: it takes every batch waiting and commits them together in one
/// transaction, each inside its own savepoint, so that concurrent pushes share one commit (one
/// fsync) while each stays all or nothing and a refused batch does not affect the others.
pub(super) async fn write_pushes(writer: SqlitePool, mut jobs: mpsc::Receiver<PushJob>) {
    while let Some(first) = jobs.recv().await {
        let mut points = first.batch.points.len();
        let mut group = vec![first];
        while group.len() < MAX_GROUP_JOBS && points < MAX_GROUP_POINTS {
            match jobs.try_recv() {
                Ok(job) => {
                    points += job.batch.points.len();
                    group.push(job);
                }
                Err(_) => break,
            }
        }
        // A client that gave up (a deadline, a disconnect) has nothing stored.
        group.retain(|job| !job.reply.is_closed());
        if group.is_empty() {
            continue;
        }
        match commit_group(&writer, &group).await {
            Ok(results) => {
                for (job, result) in group.into_iter().zip(results) {
                    let _ = job.reply.send(result);
                }
            }
            Err(error) => {
                tracing::error!(error = %error, batches = group.len(), "committing a group of pushes failed");
                for job in group {
                    let _ = job.reply.send(Err(StoreError::Commit(error.to_string())));
                }
            }
        }
    }
}

/// The key of a point in the current values: (year, department, metric, period, project,
/// source).
pub(super) type CurrentKey = (i32, String, String, String, String, String);

/// Commits a group of batches in one transaction (see [`write_group`]).
pub(super) async fn commit_group(
    writer: &SqlitePool,
    group: &[PushJob],
) -> StoreResult<Vec<StoreResult<PushOutcome>>> {
    let mut tx = writer.begin_with("BEGIN IMMEDIATE").await?;
    let pending: Vec<Pending<'_>> = group
        .iter()
        .map(|job| Pending {
            batch: &job.batch,
            idempotency: job.idempotency.as_ref(),
        })
        .collect();
    let results = write_group(&mut tx, &pending).await?;
    tx.commit().await?;
    Ok(results)
}

/// A batch of points to write, and the request id it answers.
#[derive(Debug, Clone, Copy)]
pub(super) struct Pending<'a> {
    pub(super) batch: &'a PointBatch,
    pub(super) idempotency: Option<&'a Idempotency>,
}

/// Writes a group of batches in the transaction `tx` with a fixed number of statements,
/// whatever the number of batches: earlier answers of request ids and the departments are
/// looked up for all batches at once; batches that are refused (an unknown department, a
/// reused request id) get their error and store nothing; the others are decided in order in
/// memory (a batch sees the batches before it in the group) and written with multi-row
/// statements.
pub(super) async fn write_group(
    tx: &mut SqliteConnection,
    group: &[Pending<'_>],
) -> StoreResult<Vec<StoreResult<PushOutcome>>> {
    let at = now();
    let received_at = format_time(&at);

    // Earlier answers of the request ids in the group.
    let request_ids: BTreeSet<&str> = group
        .iter()
        .filter_map(|job| job.idempotency)
        .map(|idempotency| idempotency.request_id.as_str())
        .collect();
    let mut answered: HashMap<String, StoredAnswer> = HashMap::new();
    for chunk in request_ids
        .iter()
        .copied()
        .collect::<Vec<_>>()
        .chunks(ROWS_PER_STATEMENT)
    {
        let mut query = QueryBuilder::<Sqlite>::new(
            "SELECT request_id, method, digest, response FROM requests WHERE request_id IN (",
        );
        let mut separated = query.separated(", ");
        for request_id in chunk {
            separated.push_bind(request_id.to_string());
        }
        query.push(")");
        for row in query.build().fetch_all(&mut *tx).await? {
            answered.insert(
                row.get(0),
                StoredAnswer {
                    method: row.get(1),
                    digest: row.get(2),
                    response: row.get(3),
                },
            );
        }
    }

    // Every department of every batch must exist.
    let codes: BTreeSet<&str> = group
        .iter()
        .flat_map(|job| job.batch.points.iter())
        .map(|point| point.department_code.as_str())
        .collect();
    let mut missing: BTreeSet<String> = BTreeSet::new();
    for chunk in codes
        .iter()
        .copied()
        .collect::<Vec<_>>()
        .chunks(ROWS_PER_STATEMENT)
    {
        let mut query = QueryBuilder::<Sqlite>::new("WITH batch (code) AS (");
        query.push_values(chunk, |mut row, code| {
            row.push_bind(code.to_string());
        });
        query.push(
            ") SELECT batch.code FROM batch LEFT JOIN departments d ON d.code = batch.code \
             WHERE d.code IS NULL",
        );
        let rows: Vec<String> = query.build_query_scalar().fetch_all(&mut *tx).await?;
        missing.extend(rows);
    }

    // Decide what each batch is: an earlier answer, a refusal, or work to do.
    let mut decisions: Vec<Decision> = Vec::with_capacity(group.len());
    // A request id accepted earlier in this group: a retry answers as that batch will.
    let mut accepted_ids: HashMap<&str, usize> = HashMap::new();
    for (index, job) in group.iter().enumerate() {
        if let Some(idempotency) = job.idempotency
            && let Some(&first) = accepted_ids.get(idempotency.request_id.as_str())
        {
            let original = group[first].idempotency.expect("it has an id");
            decisions.push(
                if original.method == idempotency.method && original.digest == idempotency.digest {
                    Decision::RetryOf(first)
                } else {
                    Decision::Answered(Err(StoreError::RequestIdReused {
                        request_id: idempotency.request_id.clone(),
                        method: original.method.to_owned(),
                    }))
                },
            );
            continue;
        }
        if let Some(idempotency) = job.idempotency
            && let Some(earlier) = answered.get(&idempotency.request_id)
        {
            decisions.push(Decision::Answered(
                if earlier.method == idempotency.method && earlier.digest == idempotency.digest {
                    serde_json::from_str(&earlier.response)
                        .map(|outcome| PushOutcome {
                            replayed: true,
                            ..outcome
                        })
                        .map_err(|error| StoreError::Corrupt(format!("stored answer: {error}")))
                } else {
                    Err(StoreError::RequestIdReused {
                        request_id: idempotency.request_id.clone(),
                        method: earlier.method.clone(),
                    })
                },
            ));
            continue;
        }
        if let Some(refusal) = unknown_departments(job.batch, &missing) {
            decisions.push(Decision::Answered(Err(refusal)));
            continue;
        }
        decisions.push(Decision::Accepted);
        if let Some(idempotency) = job.idempotency {
            accepted_ids.insert(idempotency.request_id.as_str(), index);
        }
    }
    let accepted: Vec<usize> = decisions
        .iter()
        .enumerate()
        .filter(|(_, decision)| matches!(decision, Decision::Accepted))
        .map(|(index, _)| index)
        .collect();

    // The current value of every point of the accepted batches.
    let mut current: HashMap<CurrentKey, CurrentValue> = HashMap::new();
    let keys: Vec<CurrentKey> = accepted
        .iter()
        .flat_map(|&index| {
            let job = &group[index];
            job.batch.points.iter().map(move |point| {
                (
                    point.period.year_number(),
                    point.department_code.clone(),
                    point.metric_code.clone(),
                    point.period.to_string(),
                    point.project_code.clone(),
                    job.batch.source.clone(),
                )
            })
        })
        .collect();
    for chunk in keys.chunks(ROWS_PER_STATEMENT) {
        let mut query = QueryBuilder::<Sqlite>::new(
            "WITH batch (year, department_code, metric_code, period, project_code, source) AS (",
        );
        query.push_values(chunk, |mut row, key| {
            row.push_bind(key.0)
                .push_bind(key.1.clone())
                .push_bind(key.2.clone())
                .push_bind(key.3.clone())
                .push_bind(key.4.clone())
                .push_bind(key.5.clone());
        });
        query.push(
            ") SELECT c.year, c.department_code, c.metric_code, c.period, c.project_code, c.source, \
               c.value, c.note, c.revision FROM batch \
             JOIN current_points c ON c.year = batch.year \
               AND c.department_code = batch.department_code \
               AND c.metric_code = batch.metric_code AND c.period = batch.period \
               AND c.project_code = batch.project_code AND c.source = batch.source",
        );
        for row in query.build().fetch_all(&mut *tx).await? {
            let value: String = row.get(6);
            let value = Decimal::from_str(&value)
                .map_err(|error| StoreError::Corrupt(format!("stored value {value:?}: {error}")))?;
            current.insert(
                (
                    row.get(0),
                    row.get(1),
                    row.get(2),
                    row.get(3),
                    row.get(4),
                    row.get(5),
                ),
                CurrentValue {
                    value,
                    note: row.get(7),
                    revision: row.get(8),
                },
            );
        }
    }

    // Decide every point in order, each batch seeing the batches before it.
    let mut sequence = read_sequence(&mut *tx).await?;
    let first_sequence = sequence;
    let mut changes: Vec<Change<'_>> = Vec::new();
    let mut remembered = Vec::new();
    let mut outcomes: HashMap<usize, PushOutcome> = HashMap::new();
    for &index in &accepted {
        let job = &group[index];
        let mut outcome = PushOutcome::default();
        for point in &job.batch.points {
            let key: CurrentKey = (
                point.period.year_number(),
                point.department_code.clone(),
                point.metric_code.clone(),
                point.period.to_string(),
                point.project_code.clone(),
                job.batch.source.clone(),
            );
            let revision = match current.get(&key) {
                Some(stored) if stored.value == point.value && stored.note == point.note => {
                    outcome.unchanged += 1;
                    continue;
                }
                Some(stored) => {
                    outcome.revised += 1;
                    stored.revision + 1
                }
                None => 1,
            };
            sequence += 1;
            outcome.stored += 1;
            current.insert(
                key,
                CurrentValue {
                    value: point.value,
                    note: point.note.clone(),
                    revision,
                },
            );
            changes.push(Change {
                job,
                point,
                revision,
                sequence,
            });
        }
        outcome.watermark = sequence;
        if let Some(idempotency) = job.idempotency {
            remembered.push((idempotency, outcome));
        }
        outcomes.insert(index, outcome);
    }

    for table in ["current_points", "point_revisions"] {
        for chunk in changes.chunks(ROWS_PER_STATEMENT) {
            let mut query =
                QueryBuilder::<Sqlite>::new(format!("INSERT INTO {table} ({POINT_COLUMNS}) "));
            query.push_values(chunk, |mut row, change| {
                let Change {
                    job,
                    point,
                    revision,
                    sequence,
                } = change;
                row.push_bind(point.period.year_number())
                    .push_bind(point.department_code.clone())
                    .push_bind(point.metric_code.clone())
                    .push_bind(point.period.to_string())
                    .push_bind(point.project_code.clone())
                    .push_bind(job.batch.source.clone())
                    .push_bind(point.value.to_string())
                    .push_bind(point.value_as_sent.clone())
                    .push_bind(point.unit_as_sent.clone())
                    .push_bind(point.note.clone())
                    .push_bind(*revision)
                    .push_bind(*sequence)
                    .push_bind(received_at.clone())
                    .push_bind(
                        job.idempotency
                            .map(|idempotency| idempotency.request_id.clone()),
                    )
                    .push_bind(job.batch.pushed_by.clone());
            });
            if table == "current_points" {
                query.push(
                    " ON CONFLICT (year, department_code, metric_code, period, project_code, source) \
                     DO UPDATE SET value = excluded.value, value_as_sent = excluded.value_as_sent, \
                       unit_as_sent = excluded.unit_as_sent, note = excluded.note, \
                       revision = excluded.revision, sequence = excluded.sequence, \
                       received_at = excluded.received_at, request_id = excluded.request_id, \
                       pushed_by = excluded.pushed_by",
                );
            }
            query.build().execute(&mut *tx).await?;
        }
    }
    for chunk in remembered.chunks(ROWS_PER_STATEMENT) {
        let mut query = QueryBuilder::<Sqlite>::new(
            "INSERT INTO requests (request_id, method, digest, response, created_at) ",
        );
        query.push_values(chunk, |mut row, (idempotency, outcome)| {
            row.push_bind(idempotency.request_id.clone())
                .push_bind(idempotency.method)
                .push_bind(idempotency.digest.clone())
                .push_bind(serde_json::to_string(outcome).expect("answers serialize"))
                .push_bind(received_at.clone());
        });
        query.build().execute(&mut *tx).await?;
    }
    if sequence != first_sequence {
        write_sequence(&mut *tx, sequence).await?;
    }
    Ok(decisions
        .into_iter()
        .enumerate()
        .map(|(index, decision)| match decision {
            Decision::Answered(answer) => answer,
            Decision::Accepted => Ok(outcomes[&index]),
            Decision::RetryOf(first) => Ok(PushOutcome {
                replayed: true,
                ..outcomes[&first]
            }),
        })
        .collect())
}

/// An earlier answer to a request id, as the requests table keeps it.
struct StoredAnswer {
    method: String,
    digest: String,
    response: String,
}

/// A point's current value, as `current_points` holds it.
struct CurrentValue {
    value: Decimal,
    note: String,
    revision: i64,
}

/// What the group commit decided for one batch of its group.
enum Decision {
    /// Answered without writing: an earlier answer to its request id, or a refusal.
    Answered(StoreResult<PushOutcome>),
    /// A retry of the accepted batch at this index of the group, which answers for it.
    RetryOf(usize),
    /// Written in this transaction.
    Accepted,
}

/// A point revision the group writes.
struct Change<'a> {
    job: &'a Pending<'a>,
    point: &'a NewPoint,
    revision: i64,
    sequence: i64,
}

/// The refusal of a batch naming unknown departments, if it names any.
pub(super) fn unknown_departments(
    batch: &PointBatch,
    missing: &BTreeSet<String>,
) -> Option<StoreError> {
    let offending: Vec<usize> = batch
        .points
        .iter()
        .enumerate()
        .filter(|(_, point)| missing.contains(&point.department_code))
        .map(|(index, _)| index)
        .collect();
    if offending.is_empty() {
        return None;
    }
    let mut violations: Vec<Violation> = offending
        .iter()
        .take(MAX_VIOLATIONS)
        .map(|&index| {
            Violation::new(
                format!("points[{index}].department_code"),
                format!(
                    "unknown department {:?}; upsert it first",
                    batch.points[index].department_code
                ),
            )
        })
        .collect();
    if offending.len() > MAX_VIOLATIONS {
        violations.push(Violation::new(
            "points",
            format!(
                "{} more points name unknown departments",
                offending.len() - MAX_VIOLATIONS
            ),
        ));
    }
    Some(StoreError::Invalid(violations))
}

pub(super) fn point_from_row(row: &SqliteRow, current: bool) -> StoreResult<PointRecord> {
    Ok(PointRecord {
        department_code: row.get("department_code"),
        metric_code: row.get("metric_code"),
        period: row.get("period"),
        value: row.get("value"),
        value_as_sent: row.get("value_as_sent"),
        unit_as_sent: row.get("unit_as_sent"),
        source: row.get("source"),
        project_code: row.get("project_code"),
        note: row.get("note"),
        revision: row.get("revision"),
        sequence: row.get("sequence"),
        received_at: parse_time(row.get("received_at"))?,
        request_id: row.get("request_id"),
        pushed_by: row.get("pushed_by"),
        current,
    })
}

/// The key of a point in a page token.
pub(super) type PointKey = (i32, String, String, String, String, String, i64);

pub(super) const POINT_COLUMNS: &str = "year, department_code, metric_code, period, project_code, source, \
    value, value_as_sent, unit_as_sent, note, revision, sequence, received_at, request_id, pushed_by";

/// The body of [`crate::IngestStore::list_points`].
pub(super) async fn list(
    readers: &SqlitePool,
    filter: PointFilter,
    page_token: &str,
    page_size: u32,
) -> StoreResult<Page<PointRecord>> {
    let after: Option<PointKey> = decode_token(page_token)?;
    let table = if filter.include_history {
        "point_revisions"
    } else {
        "current_points"
    };
    let mut query = QueryBuilder::<Sqlite>::new(format!("SELECT {POINT_COLUMNS}"));
    if filter.include_history {
        query.push(
            ", revision = (SELECT c.revision FROM current_points c WHERE c.year = p.year \
               AND c.department_code = p.department_code AND c.metric_code = p.metric_code \
               AND c.period = p.period AND c.project_code = p.project_code \
               AND c.source = p.source) AS current",
        );
    } else {
        query.push(", 1 AS current");
    }
    query.push(format!(" FROM {table} p WHERE 1 = 1"));
    if let Some(year) = filter.year {
        query.push(" AND year = ").push_bind(year);
    }
    if let Some(department_code) = &filter.department_code {
        query
            .push(" AND department_code = ")
            .push_bind(department_code.clone());
    }
    if let Some(metric_code) = &filter.metric_code {
        query
            .push(" AND metric_code = ")
            .push_bind(metric_code.clone());
    }
    if let Some((year, department, metric, period, project, source, revision)) = after {
        query
            .push(
                " AND (year, department_code, metric_code, period, project_code, source, revision) > (",
            )
            .push_bind(year)
            .push(", ")
            .push_bind(department)
            .push(", ")
            .push_bind(metric)
            .push(", ")
            .push_bind(period)
            .push(", ")
            .push_bind(project)
            .push(", ")
            .push_bind(source)
            .push(", ")
            .push_bind(revision)
            .push(")");
    }
    query
        .push(
            " ORDER BY year, department_code, metric_code, period, project_code, source, revision LIMIT ",
        )
        .push_bind(i64::from(page_size) + 1);
    let rows = query.build().fetch_all(readers).await?;
    let mut items = rows
        .iter()
        .map(|row| {
            let current: bool = row.get("current");
            point_from_row(row, current)
        })
        .collect::<StoreResult<Vec<_>>>()?;
    let mut bytes = 0;
    let within_budget = items
        .iter()
        .position(|item| {
            bytes += approximate_size(&[
                &item.department_code,
                &item.metric_code,
                &item.period,
                &item.value,
                &item.value_as_sent,
                &item.unit_as_sent,
                &item.source,
                &item.project_code,
                &item.note,
                item.request_id.as_deref().unwrap_or_default(),
                &item.pushed_by,
            ]);
            bytes > MAX_ANSWER_BYTES
        })
        .unwrap_or(items.len())
        .max(1);
    let kept = within_budget.min(page_size as usize);
    let next_page_token = if items.len() > kept {
        items.truncate(kept);
        let last = items.last().expect("page_size is at least 1");
        let key: PointKey = (
            last.period[..4].parse().unwrap_or_default(),
            last.department_code.clone(),
            last.metric_code.clone(),
            last.period.clone(),
            last.project_code.clone(),
            last.source.clone(),
            last.revision,
        );
        encode_token(&key)
    } else {
        String::new()
    };
    Ok(Page {
        items,
        next_page_token,
    })
}
