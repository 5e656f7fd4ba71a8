//! [`IngestStore`] on one SQLite file: WAL, one writer connection whose transactions begin
//! with `BEGIN IMMEDIATE`, and a pool of read-only connections.

use std::collections::{BTreeSet, HashMap, VecDeque};
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, SecondsFormat, SubsecRound, Utc};
use futures::StreamExt;
use futures::stream::BoxStream;
use jixiao_domain::{Target, Violation};
use rust_decimal::Decimal;
use serde::Serialize;
use serde::de::DeserializeOwned;
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteRow,
    SqliteSynchronous,
};
use sqlx::{QueryBuilder, Row, Sqlite, SqliteConnection};
use tokio::sync::{mpsc, oneshot};

use crate::model::{
    ActualsOutcome, DepartmentOutcome, DepartmentRecord, ExportItem, ExportPoint, Idempotency,
    NewActual, NewDepartment, NewProject, Page, PointBatch, PointFilter, PointRecord,
    ProjectOutcome, ProjectRecord, PushOutcome, TargetSetRecord, TargetsOutcome,
};
use crate::{IngestStore, StoreError, StoreResult};

mod actuals;
mod projects;

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

/// Rows per multi-row statement: well under SQLite's limit of bound parameters, and large
/// enough that the per-statement cost of the driver is paid rarely.
const ROWS_PER_STATEMENT: usize = 500;
/// Points per item of an export, at most.
const EXPORT_BATCH: usize = 1000;
/// Bytes of one page of ListMetricPoints or one item of an export, at most, as estimated by
/// [`approximate_size`]: a quarter of the 4 MiB that grpcurl and tonic clients accept by
/// default, so that every answer fits whatever the notes hold (AIP-158 lets a page hold
/// fewer items than asked for; its `next_page_token` goes on from the last one sent).
pub const MAX_ANSWER_BYTES: usize = 1024 * 1024;

/// An upper estimate of the protobuf size of a point with these texts: their bytes plus room
/// for the tags, lengths and numbers of its fields.
fn approximate_size(texts: &[&str]) -> usize {
    texts.iter().map(|text| text.len() + 4).sum::<usize>() + 64
}
const MAX_VIOLATIONS: usize = Violation::MAX_LISTED;

/// How the SQLite file is opened.
#[derive(Debug, Clone)]
pub struct StoreOptions {
    /// `synchronous = FULL` (an acknowledged write survives a power loss) rather than `NORMAL`
    /// (it survives a crash of the process).
    pub durable: bool,
    /// Read-only connections in the read pool.
    pub read_connections: u32,
    /// How long a connection waits for a lock before failing.
    pub busy_timeout: Duration,
    /// How long an export waits for its reader to take the next item before it is cut off,
    /// which ends its read transaction, frees its connection and lets the WAL be checkpointed;
    /// also how long an export waits for a free export slot.
    pub export_stall: Duration,
    /// How long one export may read in all, however steadily its reader takes items.
    pub export_max: Duration,
}

impl Default for StoreOptions {
    fn default() -> Self {
        Self {
            durable: true,
            read_connections: 4,
            busy_timeout: Duration::from_secs(10),
            export_stall: Duration::from_secs(30),
            export_max: Duration::from_secs(600),
        }
    }
}

/// Opens a SQLite file the way every jixiao store does: created if missing (with its
/// directory), WAL, a busy timeout, foreign keys; one writer connection, on which `migrator`
/// brings the schema up to date, and a pool of read-only connections.
pub async fn open_pools(
    path: &Path,
    options: &StoreOptions,
    migrator: &sqlx::migrate::Migrator,
) -> StoreResult<(SqlitePool, SqlitePool)> {
    if let Some(parent) = path
        .parent()
        .filter(|parent| !parent.as_os_str().is_empty())
    {
        std::fs::create_dir_all(parent).map_err(|source| StoreError::Io {
            path: parent.display().to_string(),
            source,
        })?;
    }
    let connect = SqliteConnectOptions::new()
        .filename(path)
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(if options.durable {
            SqliteSynchronous::Full
        } else {
            SqliteSynchronous::Normal
        })
        .busy_timeout(options.busy_timeout)
        .foreign_keys(true);
    let writer = SqlitePoolOptions::new()
        .max_connections(1)
        .min_connections(1)
        .idle_timeout(None)
        .max_lifetime(None)
        .connect_with(connect.clone())
        .await?;
    migrator.run(&writer).await?;
    let readers = SqlitePoolOptions::new()
        .max_connections(options.read_connections.max(1))
        .connect_with(connect.read_only(true))
        .await?;
    Ok((writer, readers))
}

/// The SQLite implementation of [`IngestStore`]. Cloning shares the pools and the writer.
#[derive(Debug, Clone)]
pub struct SqliteStore {
    writer: SqlitePool,
    readers: SqlitePool,
    path: PathBuf,
    pushes: mpsc::Sender<PushJob>,
    /// Exports reading at once: one read connection fewer than the pool has, so that a plain
    /// read always finds one, however many exports are open.
    export_slots: Arc<tokio::sync::Semaphore>,
    export_slot_count: usize,
    export_stall: Duration,
    export_max: Duration,
}

/// A batch of points waiting for the writer, and where its answer goes.
#[derive(Debug)]
struct PushJob {
    batch: PointBatch,
    idempotency: Option<Idempotency>,
    reply: oneshot::Sender<StoreResult<PushOutcome>>,
}

/// Most batches and points committed together.
const MAX_GROUP_JOBS: usize = 256;
const MAX_GROUP_POINTS: usize = 100_000;

/// The writer of point batches: it takes every batch waiting and commits them together in one
/// transaction, each inside its own savepoint, so that concurrent pushes share one commit (one
/// fsync) while each stays all or nothing and a refused batch does not affect the others.
async fn write_pushes(writer: SqlitePool, mut jobs: mpsc::Receiver<PushJob>) {
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
type CurrentKey = (i32, String, String, String, String, String);

/// Commits a group of batches in one transaction with a fixed number of statements, whatever
/// the number of batches: earlier answers of request ids and the departments are looked up for
/// all batches at once; batches that are refused (an unknown department, a reused request id)
/// get their error and store nothing; the others are decided in order in memory (a batch sees
/// the batches before it in the group) and written with multi-row statements.
async fn commit_group(
    writer: &SqlitePool,
    group: &[PushJob],
) -> StoreResult<Vec<StoreResult<PushOutcome>>> {
    let mut tx = writer.begin_with("BEGIN IMMEDIATE").await?;
    let at = now();
    let received_at = format_time(&at);

    // Earlier answers of the request ids in the group.
    let request_ids: BTreeSet<&str> = group
        .iter()
        .filter_map(|job| job.idempotency.as_ref())
        .map(|idempotency| idempotency.request_id.as_str())
        .collect();
    let mut answered: HashMap<String, (String, String, String)> = HashMap::new();
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
            answered.insert(row.get(0), (row.get(1), row.get(2), row.get(3)));
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
    let mut results: Vec<Option<StoreResult<PushOutcome>>> = Vec::with_capacity(group.len());
    let mut accepted = Vec::new();
    // A request id accepted earlier in this group: a retry answers as that batch will.
    let mut accepted_ids: HashMap<&str, usize> = HashMap::new();
    let mut retries: Vec<(usize, usize)> = Vec::new();
    for (index, job) in group.iter().enumerate() {
        if let Some(idempotency) = &job.idempotency
            && let Some(&first) = accepted_ids.get(idempotency.request_id.as_str())
        {
            let original = group[first].idempotency.as_ref().expect("it has an id");
            if original.method == idempotency.method && original.digest == idempotency.digest {
                retries.push((index, first));
                results.push(None);
            } else {
                results.push(Some(Err(StoreError::RequestIdReused {
                    request_id: idempotency.request_id.clone(),
                    method: original.method.to_owned(),
                })));
            }
            continue;
        }
        if let Some(idempotency) = &job.idempotency
            && let Some((method, digest, response)) = answered.get(&idempotency.request_id)
        {
            results.push(Some(
                if method == idempotency.method && *digest == idempotency.digest {
                    serde_json::from_str(response)
                        .map(|outcome| PushOutcome {
                            replayed: true,
                            ..outcome
                        })
                        .map_err(|error| StoreError::Corrupt(format!("stored answer: {error}")))
                } else {
                    Err(StoreError::RequestIdReused {
                        request_id: idempotency.request_id.clone(),
                        method: method.clone(),
                    })
                },
            ));
            continue;
        }
        if let Some(refusal) = unknown_departments(&job.batch, &missing) {
            results.push(Some(Err(refusal)));
            continue;
        }
        results.push(None);
        accepted.push(index);
        if let Some(idempotency) = &job.idempotency {
            accepted_ids.insert(idempotency.request_id.as_str(), index);
        }
    }

    // The current value of every point of the accepted batches.
    let mut current: HashMap<CurrentKey, (Decimal, String, i64)> = HashMap::new();
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
                (value, row.get(7), row.get(8)),
            );
        }
    }

    // Decide every point in order, each batch seeing the batches before it.
    let mut sequence = read_sequence(&mut tx).await?;
    let first_sequence = sequence;
    // (batch index, point, revision, sequence) of every point that changes.
    let mut changes = Vec::new();
    let mut remembered = Vec::new();
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
                Some((value, note, _)) if *value == point.value && *note == point.note => {
                    outcome.unchanged += 1;
                    continue;
                }
                Some((_, _, revision)) => {
                    outcome.revised += 1;
                    revision + 1
                }
                None => 1,
            };
            sequence += 1;
            outcome.stored += 1;
            current.insert(key, (point.value, point.note.clone(), revision));
            changes.push((index, point, revision, sequence));
        }
        outcome.watermark = sequence;
        if let Some(idempotency) = &job.idempotency {
            remembered.push((idempotency, outcome));
        }
        results[index] = Some(Ok(outcome));
    }
    for (retry, first) in retries {
        if let Some(Ok(outcome)) = results[first] {
            results[retry] = Some(Ok(PushOutcome {
                replayed: true,
                ..outcome
            }));
        }
    }

    for table in ["current_points", "point_revisions"] {
        for chunk in changes.chunks(ROWS_PER_STATEMENT) {
            let mut query =
                QueryBuilder::<Sqlite>::new(format!("INSERT INTO {table} ({POINT_COLUMNS}) "));
            query.push_values(chunk, |mut row, (index, point, revision, sequence)| {
                let job = &group[*index];
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
                            .as_ref()
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
        write_sequence(&mut tx, sequence).await?;
    }
    tx.commit().await?;
    Ok(results
        .into_iter()
        .map(|result| result.expect("every batch was decided"))
        .collect())
}

/// The refusal of a batch naming unknown departments, if it names any.
fn unknown_departments(batch: &PointBatch, missing: &BTreeSet<String>) -> Option<StoreError> {
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

impl SqliteStore {
    /// Opens (creating if needed) the database at `path` and brings its schema up to date.
    pub async fn open(path: &Path, options: &StoreOptions) -> StoreResult<Self> {
        let (writer, readers) = open_pools(path, options, &MIGRATOR).await?;
        let (pushes, jobs) = mpsc::channel(MAX_GROUP_JOBS);
        tokio::spawn(write_pushes(writer.clone(), jobs));
        let export_slots = options.read_connections.saturating_sub(1).max(1) as usize;
        Ok(Self {
            writer,
            readers,
            path: path.to_owned(),
            pushes,
            export_slots: Arc::new(tokio::sync::Semaphore::new(export_slots)),
            export_slot_count: export_slots,
            export_stall: options.export_stall,
            export_max: options.export_max,
        })
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Closes both pools, checkpointing the WAL.
    pub async fn close(&self) {
        self.readers.close().await;
        self.writer.close().await;
    }
}

/// Now, to the microsecond: what is stored, so that an answer and a later read agree.
fn now() -> DateTime<Utc> {
    Utc::now().trunc_subsecs(6)
}

fn format_time(time: &DateTime<Utc>) -> String {
    time.to_rfc3339_opts(SecondsFormat::Micros, true)
}

fn parse_time(text: &str) -> StoreResult<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(text)
        .map(|time| time.with_timezone(&Utc))
        .map_err(|error| StoreError::Corrupt(format!("timestamp {text:?}: {error}")))
}

fn invalid(field: impl Into<String>, description: impl Into<String>) -> StoreError {
    StoreError::Invalid(vec![Violation::new(field, description)])
}

/// Encodes a page token: the hexadecimal of the JSON of the last key returned.
fn encode_token<T: Serialize>(key: &T) -> String {
    let json = serde_json::to_vec(key).expect("keys serialize");
    json.iter().map(|byte| format!("{byte:02x}")).collect()
}

fn decode_token<T: DeserializeOwned>(token: &str) -> StoreResult<Option<T>> {
    if token.is_empty() {
        return Ok(None);
    }
    let refuse = || invalid("page_token", "is not a token this service returned");
    if !token.len().is_multiple_of(2) || token.len() > 4096 {
        return Err(refuse());
    }
    let bytes = (0..token.len())
        .step_by(2)
        .map(|index| u8::from_str_radix(&token[index..index + 2], 16))
        .collect::<Result<Vec<u8>, _>>()
        .map_err(|_| refuse())?;
    serde_json::from_slice(&bytes)
        .map(Some)
        .map_err(|_| refuse())
}

/// Looks up an earlier answer to the same request id: the answer when the content matches,
/// an error when it does not, nothing when the id is new.
async fn replay<T: DeserializeOwned>(
    connection: &mut SqliteConnection,
    idempotency: &Idempotency,
) -> StoreResult<Option<T>> {
    let row = sqlx::query("SELECT method, digest, response FROM requests WHERE request_id = ?")
        .bind(&idempotency.request_id)
        .fetch_optional(&mut *connection)
        .await?;
    let Some(row) = row else { return Ok(None) };
    let method: String = row.get(0);
    let digest: String = row.get(1);
    if method != idempotency.method || digest != idempotency.digest {
        return Err(StoreError::RequestIdReused {
            request_id: idempotency.request_id.clone(),
            method,
        });
    }
    let response: String = row.get(2);
    serde_json::from_str(&response)
        .map(Some)
        .map_err(|error| StoreError::Corrupt(format!("stored answer: {error}")))
}

async fn remember<T: Serialize>(
    connection: &mut SqliteConnection,
    idempotency: &Idempotency,
    response: &T,
    at: &DateTime<Utc>,
) -> StoreResult<()> {
    let response = serde_json::to_string(response).expect("answers serialize");
    sqlx::query(
        "INSERT INTO requests (request_id, method, digest, response, created_at) VALUES (?, ?, ?, ?, ?)",
    )
    .bind(&idempotency.request_id)
    .bind(idempotency.method)
    .bind(&idempotency.digest)
    .bind(response)
    .bind(format_time(at))
    .execute(&mut *connection)
    .await?;
    Ok(())
}

async fn read_sequence(connection: &mut SqliteConnection) -> StoreResult<i64> {
    Ok(
        sqlx::query_scalar("SELECT value FROM meta WHERE key = 'sequence'")
            .fetch_one(&mut *connection)
            .await?,
    )
}

async fn write_sequence(connection: &mut SqliteConnection, sequence: i64) -> StoreResult<()> {
    sqlx::query("UPDATE meta SET value = ? WHERE key = 'sequence'")
        .bind(sequence)
        .execute(&mut *connection)
        .await?;
    Ok(())
}

fn department_from_row(row: &SqliteRow) -> StoreResult<DepartmentRecord> {
    Ok(DepartmentRecord {
        code: row.get("code"),
        name: row.get("name"),
        parent_code: row.get("parent_code"),
        updated_at: parse_time(row.get("updated_at"))?,
    })
}

fn target_set_from_row(row: &SqliteRow) -> StoreResult<TargetSetRecord> {
    let targets: String = row.get("targets");
    let targets: Vec<Target> = serde_json::from_str(&targets)
        .map_err(|error| StoreError::Corrupt(format!("target set: {error}")))?;
    Ok(TargetSetRecord {
        department_code: row.get("department_code"),
        project_code: row.get("project_code"),
        year: row.get("year"),
        revision: row.get("revision"),
        targets,
        set_at: parse_time(row.get("set_at"))?,
    })
}

fn point_from_row(row: &SqliteRow, current: bool) -> StoreResult<PointRecord> {
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

async fn department_exists(connection: &mut SqliteConnection, code: &str) -> StoreResult<bool> {
    Ok(sqlx::query("SELECT 1 FROM departments WHERE code = ?")
        .bind(code)
        .fetch_optional(&mut *connection)
        .await?
        .is_some())
}

/// The key of a point in a page token.
type PointKey = (i32, String, String, String, String, String, i64);

const POINT_COLUMNS: &str = "year, department_code, metric_code, period, project_code, source, \
    value, value_as_sent, unit_as_sent, note, revision, sequence, received_at, request_id, pushed_by";

impl IngestStore for SqliteStore {
    async fn upsert_department(
        &self,
        department: NewDepartment,
        idempotency: Option<Idempotency>,
    ) -> StoreResult<DepartmentOutcome> {
        let mut tx = self.writer.begin_with("BEGIN IMMEDIATE").await?;
        if let Some(idempotency) = &idempotency
            && let Some(answer) = replay(&mut tx, idempotency).await?
        {
            return Ok(answer);
        }
        if let Some(parent) = &department.parent_code {
            if !department_exists(&mut tx, parent).await? {
                return Err(invalid(
                    "department.parent_code",
                    format!("unknown department {parent:?}; upsert the parent first"),
                ));
            }
            // The parent's chain of ancestors, nearest first; the department may not be on it.
            let ancestors: Vec<String> = sqlx::query_scalar(
                "WITH RECURSIVE ancestors (code, depth) AS ( \
                   SELECT ?, 0 \
                   UNION ALL \
                   SELECT d.parent_code, a.depth + 1 FROM departments d \
                   JOIN ancestors a ON d.code = a.code \
                   WHERE d.parent_code IS NOT NULL AND a.depth < 10000) \
                 SELECT code FROM ancestors ORDER BY depth",
            )
            .bind(parent)
            .fetch_all(&mut *tx)
            .await?;
            if let Some(position) = ancestors.iter().position(|code| *code == department.code) {
                let mut cycle = vec![department.code.clone()];
                cycle.extend(ancestors[..=position].iter().cloned());
                return Err(invalid(
                    "department.parent_code",
                    format!(
                        "making {parent:?} the parent of {:?} would make a cycle: {}",
                        department.code,
                        cycle.join(" → ")
                    ),
                ));
            }
        }
        let existing = sqlx::query(
            "SELECT code, name, parent_code, updated_at FROM departments WHERE code = ?",
        )
        .bind(&department.code)
        .fetch_optional(&mut *tx)
        .await?
        .map(|row| department_from_row(&row))
        .transpose()?;
        let at = now();
        let outcome = match existing {
            Some(existing)
                if existing.name == department.name
                    && existing.parent_code == department.parent_code =>
            {
                DepartmentOutcome {
                    department: existing,
                    created: false,
                }
            }
            existing => {
                let sequence = read_sequence(&mut tx).await? + 1;
                sqlx::query(
                    "INSERT INTO departments (code, name, parent_code, sequence, updated_at) \
                     VALUES (?, ?, ?, ?, ?) \
                     ON CONFLICT (code) DO UPDATE SET name = excluded.name, \
                       parent_code = excluded.parent_code, sequence = excluded.sequence, \
                       updated_at = excluded.updated_at",
                )
                .bind(&department.code)
                .bind(&department.name)
                .bind(&department.parent_code)
                .bind(sequence)
                .bind(format_time(&at))
                .execute(&mut *tx)
                .await?;
                write_sequence(&mut tx, sequence).await?;
                DepartmentOutcome {
                    department: DepartmentRecord {
                        code: department.code,
                        name: department.name,
                        parent_code: department.parent_code,
                        updated_at: at,
                    },
                    created: existing.is_none(),
                }
            }
        };
        if let Some(idempotency) = &idempotency {
            remember(&mut tx, idempotency, &outcome, &at).await?;
        }
        tx.commit().await?;
        Ok(outcome)
    }

    async fn list_departments(
        &self,
        page_token: &str,
        page_size: u32,
    ) -> StoreResult<Page<DepartmentRecord>> {
        let after: Option<String> = decode_token(page_token)?;
        let rows = sqlx::query(
            "SELECT code, name, parent_code, updated_at FROM departments \
             WHERE ? IS NULL OR code > ? ORDER BY code LIMIT ?",
        )
        .bind(&after)
        .bind(&after)
        .bind(i64::from(page_size) + 1)
        .fetch_all(&self.readers)
        .await?;
        let mut items = rows
            .iter()
            .map(department_from_row)
            .collect::<StoreResult<Vec<_>>>()?;
        let next_page_token = if items.len() > page_size as usize {
            items.truncate(page_size as usize);
            encode_token(&items.last().map(|department| &department.code))
        } else {
            String::new()
        };
        Ok(Page {
            items,
            next_page_token,
        })
    }

    async fn set_targets(
        &self,
        department_code: String,
        project_code: String,
        year: i32,
        targets: Vec<Target>,
        idempotency: Option<Idempotency>,
    ) -> StoreResult<TargetsOutcome> {
        let mut tx = self.writer.begin_with("BEGIN IMMEDIATE").await?;
        if let Some(idempotency) = &idempotency
            && let Some(answer) = replay(&mut tx, idempotency).await?
        {
            return Ok(answer);
        }
        if !department_exists(&mut tx, &department_code).await? {
            return Err(invalid(
                "department_code",
                format!("unknown department {department_code:?}; upsert it first"),
            ));
        }
        if !project_code.is_empty() {
            projects::check_project(&mut tx, &department_code, &project_code, year).await?;
        }
        let current = sqlx::query(
            "SELECT department_code, project_code, year, revision, targets, set_at FROM target_sets \
             WHERE department_code = ? AND project_code = ? AND year = ? \
             ORDER BY revision DESC LIMIT 1",
        )
        .bind(&department_code)
        .bind(&project_code)
        .bind(year)
        .fetch_optional(&mut *tx)
        .await?
        .map(|row| target_set_from_row(&row))
        .transpose()?;
        let at = now();
        let outcome = match current {
            Some(current) if current.targets == targets => TargetsOutcome {
                target_set: current,
                unchanged: true,
            },
            current => {
                let revision = current.map_or(1, |current| current.revision + 1);
                let sequence = read_sequence(&mut tx).await? + 1;
                sqlx::query(
                    "INSERT INTO target_sets \
                     (department_code, project_code, year, revision, targets, sequence, set_at, \
                      request_id) \
                     VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                )
                .bind(&department_code)
                .bind(&project_code)
                .bind(year)
                .bind(revision)
                .bind(serde_json::to_string(&targets).expect("targets serialize"))
                .bind(sequence)
                .bind(format_time(&at))
                .bind(
                    idempotency
                        .as_ref()
                        .map(|idempotency| &idempotency.request_id),
                )
                .execute(&mut *tx)
                .await?;
                write_sequence(&mut tx, sequence).await?;
                TargetsOutcome {
                    target_set: TargetSetRecord {
                        department_code,
                        project_code,
                        year,
                        revision,
                        targets,
                        set_at: at,
                    },
                    unchanged: false,
                }
            }
        };
        if let Some(idempotency) = &idempotency {
            remember(&mut tx, idempotency, &outcome, &at).await?;
        }
        tx.commit().await?;
        Ok(outcome)
    }

    async fn get_targets(
        &self,
        department_code: &str,
        project_code: &str,
        year: i32,
    ) -> StoreResult<Option<TargetSetRecord>> {
        sqlx::query(
            "SELECT department_code, project_code, year, revision, targets, set_at FROM target_sets \
             WHERE department_code = ? AND project_code = ? AND year = ? \
             ORDER BY revision DESC LIMIT 1",
        )
        .bind(department_code)
        .bind(project_code)
        .bind(year)
        .fetch_optional(&self.readers)
        .await?
        .map(|row| target_set_from_row(&row))
        .transpose()
    }

    async fn push_points(
        &self,
        batch: PointBatch,
        idempotency: Option<Idempotency>,
    ) -> StoreResult<PushOutcome> {
        let (reply, answer) = oneshot::channel();
        self.pushes
            .send(PushJob {
                batch,
                idempotency,
                reply,
            })
            .await
            .map_err(|_| StoreError::Commit("the writer has stopped".to_owned()))?;
        answer
            .await
            .map_err(|_| StoreError::Commit("the writer has stopped".to_owned()))?
    }

    async fn list_points(
        &self,
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
        let rows = query.build().fetch_all(&self.readers).await?;
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

    fn export(
        &self,
        year: i32,
        department_codes: Vec<String>,
    ) -> BoxStream<'static, StoreResult<ExportItem>> {
        let (sender, receiver) = mpsc::channel(4);
        let readers = self.readers.clone();
        let slots = Arc::clone(&self.export_slots);
        let slots_total = self.export_slot_count;
        let writer = self.writer.clone();
        let (stall, max) = (self.export_stall, self.export_max);
        tokio::spawn(async move {
            let result = match tokio::time::timeout(stall, slots.acquire_owned()).await {
                Ok(Ok(slot)) => {
                    let exporter = Exporter {
                        sender: &sender,
                        stall,
                        deadline: tokio::time::Instant::now() + max,
                        max,
                    };
                    let result = export_view(&readers, year, department_codes, &exporter).await;
                    drop(slot);
                    // The read transaction has ended: let the WAL be copied back now rather
                    // than at the next write. PASSIVE never waits for anyone; it runs on the
                    // writer, since a read-only connection cannot write the database file.
                    if let Err(error) = sqlx::query("PRAGMA wal_checkpoint(PASSIVE)")
                        .execute(&writer)
                        .await
                    {
                        tracing::warn!(error = %error, "checkpointing the WAL after an export failed");
                    }
                    result
                }
                Ok(Err(_)) => Ok(()),
                Err(_) => Err(StoreError::ExportBusy {
                    slots: slots_total,
                    seconds: stall.as_secs(),
                }),
            };
            if let Err(error) = result {
                // The receiver may be gone already; then nobody is left to tell.
                let _ = sender.send(Err(error)).await;
            }
        });
        tokio_stream::wrappers::ReceiverStream::new(receiver).boxed()
    }

    async fn watermark(&self) -> StoreResult<i64> {
        let mut connection = self.readers.acquire().await?;
        read_sequence(&mut connection).await
    }

    async fn upsert_project(
        &self,
        project: NewProject,
        idempotency: Option<Idempotency>,
    ) -> StoreResult<ProjectOutcome> {
        let mut tx = self.writer.begin_with("BEGIN IMMEDIATE").await?;
        let outcome = projects::upsert(&mut tx, project, idempotency.as_ref()).await?;
        tx.commit().await?;
        Ok(outcome)
    }

    async fn list_projects(
        &self,
        department_code: Option<String>,
        page_token: &str,
        page_size: u32,
    ) -> StoreResult<Page<ProjectRecord>> {
        let mut connection = self.readers.acquire().await?;
        projects::list(&mut connection, department_code, page_token, page_size).await
    }

    async fn report_actuals(
        &self,
        actuals: Vec<NewActual>,
        pushed_by: String,
        idempotency: Option<Idempotency>,
    ) -> StoreResult<ActualsOutcome> {
        let mut tx = self.writer.begin_with("BEGIN IMMEDIATE").await?;
        let outcome = actuals::report(&mut tx, actuals, &pushed_by, idempotency.as_ref()).await?;
        tx.commit().await?;
        Ok(outcome)
    }
}

/// Reads the export inside one read transaction, so that every item comes from the same view
/// of the database, and sends the items as they are read. Stops early when the receiver is gone.
async fn export_view(
    readers: &SqlitePool,
    year: i32,
    department_codes: Vec<String>,
    sender: &Exporter<'_>,
) -> StoreResult<()> {
    let mut tx = readers.begin().await?;
    // The first read fixes the transaction's view of the WAL.
    let watermark = read_sequence(&mut tx).await?;

    let rows =
        sqlx::query("SELECT code, name, parent_code, updated_at FROM departments ORDER BY code")
            .fetch_all(&mut *tx)
            .await?;
    let departments = rows
        .iter()
        .map(department_from_row)
        .collect::<StoreResult<Vec<_>>>()?;
    let mut unknown = Vec::new();
    let in_scope = scope(&departments, &department_codes, &mut unknown);
    if !unknown.is_empty() {
        return Err(StoreError::Invalid(
            unknown
                .into_iter()
                .map(|code| {
                    Violation::new("department_codes", format!("unknown department {code:?}"))
                })
                .collect(),
        ));
    }
    let mut counts = (0i64, 0i64, 0i64);
    for department in &in_scope {
        counts.0 += 1;
        if !sender
            .send(ExportItem::Department((*department).clone()))
            .await?
        {
            return Ok(());
        }
    }
    let wanted: BTreeSet<&str> = in_scope
        .iter()
        .map(|department| department.code.as_str())
        .collect();

    let rows = sqlx::query(
        "SELECT t.department_code, t.project_code, t.year, t.revision, t.targets, t.set_at \
         FROM target_sets t \
         WHERE t.year = ? AND t.revision = (SELECT MAX(revision) FROM target_sets u \
           WHERE u.department_code = t.department_code AND u.project_code = t.project_code \
           AND u.year = t.year) \
         ORDER BY t.department_code, t.project_code",
    )
    .bind(year)
    .fetch_all(&mut *tx)
    .await?;
    if !projects::export(&mut tx, &wanted, sender).await? {
        return Ok(());
    }
    let mut with_target_sets = BTreeSet::new();
    for row in &rows {
        let target_set = target_set_from_row(row)?;
        if !wanted.contains(target_set.department_code.as_str()) {
            continue;
        }
        counts.1 += 1;
        with_target_sets.insert((
            target_set.department_code.clone(),
            target_set.project_code.clone(),
        ));
        if !sender.send(ExportItem::TargetSet(target_set)).await? {
            return Ok(());
        }
    }
    if !actuals::export(&mut tx, year, &with_target_sets, sender).await? {
        return Ok(());
    }

    let mut batch = Vec::with_capacity(EXPORT_BATCH);
    let mut batch_bytes = 0;
    {
        // One row per department, its points packed into one text value: sqlx's SQLite driver
        // pays about a microsecond per column value and more per row, so a year of a million
        // points crosses it as a few thousand rows. Fields are joined by the unit separator and
        // points by the record separator; codes, sources and notes never hold either, since
        // validation refuses control characters.
        let mut rows = sqlx::query_as::<_, (String, String)>(
            "SELECT department_code, group_concat( \
               metric_code || char(31) || period || char(31) || project_code || char(31) || \
               source || char(31) || value || char(31) || revision || char(31) || \
               sequence || char(31) || note, \
               char(30) ORDER BY metric_code, period, project_code, source) \
             FROM current_points WHERE year = ? \
             GROUP BY department_code ORDER BY department_code",
        )
        .bind(year)
        .fetch(&mut *tx);
        while let Some(row) = rows.next().await {
            let (department_code, packed) = row?;
            if !wanted.contains(department_code.as_str()) {
                continue;
            }
            for point in packed.split('\u{1e}') {
                let point = unpack_point(&department_code, point)?;
                let size = approximate_size(&[
                    &point.department_code,
                    &point.metric_code,
                    &point.period,
                    &point.project_code,
                    &point.source,
                    &point.value,
                    &point.note,
                ]);
                if !batch.is_empty() && batch_bytes + size > MAX_ANSWER_BYTES {
                    counts.2 += batch.len() as i64;
                    let full = std::mem::replace(&mut batch, Vec::with_capacity(EXPORT_BATCH));
                    batch_bytes = 0;
                    if !sender.send(ExportItem::Points(full)).await? {
                        return Ok(());
                    }
                }
                batch_bytes += size;
                batch.push(point);
                if batch.len() == EXPORT_BATCH {
                    counts.2 += batch.len() as i64;
                    let full = std::mem::replace(&mut batch, Vec::with_capacity(EXPORT_BATCH));
                    batch_bytes = 0;
                    if !sender.send(ExportItem::Points(full)).await? {
                        return Ok(());
                    }
                }
            }
        }
    }
    if !batch.is_empty() {
        counts.2 += batch.len() as i64;
        if !sender.send(ExportItem::Points(batch)).await? {
            return Ok(());
        }
    }
    tx.rollback().await?;
    sender
        .send(ExportItem::End {
            watermark,
            departments: counts.0,
            target_sets: counts.1,
            points: counts.2,
        })
        .await?;
    Ok(())
}

/// Where an export's items go, how long the reader may leave one untaken, and until when the
/// export may read at all.
struct Exporter<'a> {
    sender: &'a mpsc::Sender<StoreResult<ExportItem>>,
    stall: Duration,
    deadline: tokio::time::Instant,
    max: Duration,
}

impl Exporter<'_> {
    /// Sends `item`: `Ok(false)` when the reader is gone; [`StoreError::ExportStalled`] when it
    /// took nothing for the stall bound, [`StoreError::ExportTooLong`] when the export reached
    /// its deadline (the caller then ends its read transaction).
    async fn send(&self, item: ExportItem) -> StoreResult<bool> {
        let now = tokio::time::Instant::now();
        let too_long = || StoreError::ExportTooLong {
            seconds: self.max.as_secs(),
        };
        if now >= self.deadline {
            return Err(too_long());
        }
        let wait = self.stall.min(self.deadline - now);
        match tokio::time::timeout(wait, self.sender.send(Ok(item))).await {
            Ok(Ok(())) => Ok(true),
            Ok(Err(_)) => Ok(false),
            Err(_) if wait < self.stall => Err(too_long()),
            Err(_) => Err(StoreError::ExportStalled {
                seconds: self.stall.as_secs(),
            }),
        }
    }
}

/// A point of `department_code` packed by the export's query: its fields joined by the unit
/// separator, the note last.
fn unpack_point(department_code: &str, packed: &str) -> StoreResult<ExportPoint> {
    let corrupt = || StoreError::Corrupt(format!("packed point {packed:?} of {department_code}"));
    let mut fields = packed.splitn(8, '\u{1f}');
    let mut next = || fields.next().ok_or_else(corrupt);
    Ok(ExportPoint {
        department_code: department_code.to_owned(),
        metric_code: next()?.to_owned(),
        period: next()?.to_owned(),
        project_code: next()?.to_owned(),
        source: next()?.to_owned(),
        value: next()?.to_owned(),
        revision: next()?.parse().map_err(|_| corrupt())?,
        sequence: next()?.parse().map_err(|_| corrupt())?,
        note: next()?.to_owned(),
    })
}

/// The departments in scope, parents before children: all of them when `roots` is empty,
/// else the roots and all their descendants. Unknown roots are reported in `unknown`.
fn scope<'a>(
    departments: &'a [DepartmentRecord],
    roots: &[String],
    unknown: &mut Vec<String>,
) -> Vec<&'a DepartmentRecord> {
    let mut children: HashMap<Option<&str>, Vec<&DepartmentRecord>> = HashMap::new();
    for department in departments {
        children
            .entry(department.parent_code.as_deref())
            .or_default()
            .push(department);
    }
    let by_code: HashMap<&str, &DepartmentRecord> = departments
        .iter()
        .map(|department| (department.code.as_str(), department))
        .collect();
    let mut queue: VecDeque<&DepartmentRecord> = VecDeque::new();
    if roots.is_empty() {
        queue.extend(children.get(&None).into_iter().flatten());
    } else {
        let mut seen = BTreeSet::new();
        for root in roots {
            match by_code.get(root.as_str()) {
                Some(department) if seen.insert(root.as_str()) => queue.push_back(department),
                Some(_) => {}
                None => unknown.push(root.clone()),
            }
        }
    }
    // Breadth first from the roots: every parent is sent before its children.
    let mut ordered = Vec::new();
    let mut visited = BTreeSet::new();
    while let Some(department) = queue.pop_front() {
        if !visited.insert(department.code.as_str()) {
            continue;
        }
        ordered.push(department);
        if let Some(children) = children.get(&Some(department.code.as_str())) {
            queue.extend(children.iter().copied());
        }
    }
    ordered
}
