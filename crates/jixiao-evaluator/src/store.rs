//! The evaluator's SQLite file: runs, immutable snapshots, reviewer adjustments, and the
//! schedule's progress. WAL,
//! one writer connection whose transactions begin with `BEGIN IMMEDIATE`, a read pool.

use std::collections::HashMap;
use std::path::Path;
use std::str::FromStr;

use chrono::{DateTime, Utc};
use jixiao_scoring::{Adjustment, Evaluation};
use jixiao_sqlite::{OpenError, PoolOptions, open_pools};
use rust_decimal::Decimal;
use sqlx::sqlite::{SqlitePool, SqliteRow};
use sqlx::{QueryBuilder, Row, Sqlite};

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

/// What can go wrong in the evaluator's storage.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database failed.
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    /// The schema could not be brought up to date.
    #[error("database migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    /// Stored data could not be read back.
    #[error("stored data could not be read: {0}")]
    Corrupt(String),
    /// The data directory could not be prepared.
    #[error("could not prepare {path}: {source}")]
    Io {
        /// The path.
        path: String,
        /// The cause.
        source: std::io::Error,
    },
}

/// Shorthand.
pub type StoreResult<T> = Result<T, StoreError>;

/// What started a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Trigger {
    /// The schedule fired.
    Schedule,
    /// RunEvaluation.
    Manual,
    /// A fire missed while the evaluator was down, made up at start.
    CatchUp,
    /// Another attempt after a failed or interrupted run.
    Retry,
    /// AdjustScore: a new snapshot with a reviewer's adjustment.
    Adjustment,
}

impl Trigger {
    /// As stored.
    pub fn as_str(&self) -> &'static str {
        match self {
            Trigger::Schedule => "schedule",
            Trigger::Manual => "manual",
            Trigger::CatchUp => "catch_up",
            Trigger::Retry => "retry",
            Trigger::Adjustment => "adjustment",
        }
    }
}

impl FromStr for Trigger {
    type Err = StoreError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text {
            "schedule" => Ok(Trigger::Schedule),
            "manual" => Ok(Trigger::Manual),
            "catch_up" => Ok(Trigger::CatchUp),
            "retry" => Ok(Trigger::Retry),
            "adjustment" => Ok(Trigger::Adjustment),
            other => Err(StoreError::Corrupt(format!("trigger {other:?}"))),
        }
    }
}

/// Where a run stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RunStatus {
    /// In progress.
    Running,
    /// Its snapshots are stored.
    Succeeded,
    /// It stored nothing; the error says why.
    Failed,
    /// Cut off by a shutdown or a crash; it stored nothing.
    Interrupted,
}

impl RunStatus {
    /// As stored.
    pub fn as_str(&self) -> &'static str {
        match self {
            RunStatus::Running => "running",
            RunStatus::Succeeded => "succeeded",
            RunStatus::Failed => "failed",
            RunStatus::Interrupted => "interrupted",
        }
    }
}

impl FromStr for RunStatus {
    type Err = StoreError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text {
            "running" => Ok(RunStatus::Running),
            "succeeded" => Ok(RunStatus::Succeeded),
            "failed" => Ok(RunStatus::Failed),
            "interrupted" => Ok(RunStatus::Interrupted),
            other => Err(StoreError::Corrupt(format!("run status {other:?}"))),
        }
    }
}

/// A run as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunRecord {
    /// Id.
    pub id: i64,
    /// Period evaluated.
    pub period: String,
    /// What started it.
    pub trigger: Trigger,
    /// Where it stands.
    pub status: RunStatus,
    /// Attempt number, from 1.
    pub attempt: i32,
    /// Departments asked for (empty: every top-level department).
    pub department_codes: Vec<String>,
    /// Start.
    pub started_at: DateTime<Utc>,
    /// End.
    pub finished_at: Option<DateTime<Utc>>,
    /// Why it failed.
    pub error: String,
    /// New snapshots.
    pub snapshots_created: i32,
    /// Identical snapshots reused.
    pub snapshots_reused: i32,
    /// The departments the run could not score, with the reason; the others got snapshots.
    pub failures: Vec<DepartmentFailure>,
}

/// A department that a run could not score, and why (its figures never stop the others).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct DepartmentFailure {
    /// The department.
    pub department_code: String,
    /// Why, in words an administrator can act on.
    pub reason: String,
}

/// A snapshot's headline.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SnapshotSummary {
    /// Id.
    pub id: i64,
    /// Department.
    pub department_code: String,
    /// Project evaluated; empty department-wide.
    pub project_code: String,
    /// Period.
    pub period: String,
    /// Total, 2 decimals.
    pub total: String,
    /// Grade.
    pub grade: String,
    /// When made.
    pub evaluated_at: DateTime<Utc>,
    /// Flags.
    pub flag_count: i32,
    /// What started the run that made it.
    pub trigger: Trigger,
    /// In a run's answer: whether this existing snapshot was reused.
    pub reused: bool,
}

/// A snapshot with its full explanation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SnapshotRecord {
    /// Headline.
    pub summary: SnapshotSummary,
    /// The run that made it.
    pub run_id: i64,
    /// Ingestion watermark of its inputs.
    pub input_watermark: i64,
    /// The evaluation.
    pub evaluation: Evaluation,
}

/// How a run start went.
#[derive(Debug)]
pub enum RunStart {
    /// A new run.
    Started(RunRecord),
    /// A run with the same request id and content already exists.
    Existing(RunRecord),
    /// The request id was used for another request.
    RequestIdReused,
}

/// A reviewer's adjustment of a subject's period (TABLES.md §5).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AdjustmentRecord {
    /// Department of the subject.
    pub department_code: String,
    /// Project of the subject; empty department-wide.
    pub project_code: String,
    /// Period.
    pub period: String,
    /// The adjustment as scoring applies it.
    pub adjustment: Adjustment,
}

/// An adjustment to record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewAdjustment {
    /// Department of the subject.
    pub department_code: String,
    /// Project of the subject; empty department-wide.
    pub project_code: String,
    /// Period.
    pub period: String,
    /// The row, or `budget`.
    pub indicator_code: String,
    /// The computed score it is made on.
    pub computed_score: Decimal,
    /// The reviewer's score.
    pub adjusted_score: Decimal,
    /// Why.
    pub reason: String,
    /// Who.
    pub adjusted_by: String,
    /// The client's request id and the digest of its request.
    pub request: Option<(String, String)>,
}

/// How recording an adjustment went.
#[derive(Debug)]
pub enum AdjustmentInsert {
    /// A new adjustment.
    Created(AdjustmentRecord),
    /// One with the same request id and content exists.
    Existing(AdjustmentRecord),
    /// The request id was used for another request.
    RequestIdReused,
}

fn adjustment_from_row(row: &SqliteRow) -> StoreResult<AdjustmentRecord> {
    let decimal = |column: &str| -> StoreResult<Decimal> {
        row.get::<String, _>(column)
            .parse()
            .map_err(|_| StoreError::Corrupt(format!("adjustment {column}")))
    };
    Ok(AdjustmentRecord {
        department_code: row.get("department_code"),
        project_code: row.get("project_code"),
        period: row.get("period"),
        adjustment: Adjustment {
            id: row.get("id"),
            indicator_code: row.get("indicator_code"),
            computed_score: decimal("computed_score")?,
            adjusted_score: decimal("adjusted_score")?,
            reason: row.get("reason"),
            adjusted_by: row.get("adjusted_by"),
            adjusted_at: row.get("adjusted_at"),
        },
    })
}

/// The columns of an adjustment, for `concat!` into static SQL.
macro_rules! adjustment_columns {
    () => {
        "id, department_code, project_code, period, indicator_code, computed_score, \
         adjusted_score, reason, adjusted_by, adjusted_at"
    };
}

/// The evaluator's storage.
#[derive(Debug, Clone)]
pub struct EvaluatorStore {
    writer: SqlitePool,
    readers: SqlitePool,
}

fn now() -> DateTime<Utc> {
    jixiao_sqlite::time::now()
}

fn format_time(time: &DateTime<Utc>) -> String {
    jixiao_sqlite::time::format(time)
}

fn parse_time(text: &str) -> StoreResult<DateTime<Utc>> {
    jixiao_sqlite::time::parse(text).map_err(StoreError::Corrupt)
}

/// The columns of a run, for `concat!` into static SQL.
macro_rules! run_columns {
    () => {
        "id, period, trigger, status, attempt, department_codes, started_at, finished_at, error, \
         snapshots_created, snapshots_reused, failures"
    };
}

/// The columns of a snapshot's headline (table alias `s`), for `concat!` into static SQL.
macro_rules! summary_columns {
    () => {
        "s.id, s.department_code, s.project_code, s.period, s.total, s.grade, s.evaluated_at, \
         s.flag_count, s.trigger"
    };
}

fn record_from_row(row: &SqliteRow) -> StoreResult<SnapshotRecord> {
    let evaluation: String = row.get("evaluation");
    let summary = summary_from_row(row, false)?;
    Ok(SnapshotRecord {
        run_id: row.get("run_id"),
        input_watermark: row.get("input_watermark"),
        evaluation: serde_json::from_str(&evaluation)
            .map_err(|error| StoreError::Corrupt(format!("snapshot {}: {error}", summary.id)))?,
        summary,
    })
}

fn run_from_row(row: &SqliteRow) -> StoreResult<RunRecord> {
    let codes: String = row.get("department_codes");
    Ok(RunRecord {
        id: row.get("id"),
        period: row.get("period"),
        trigger: row.get::<String, _>("trigger").parse()?,
        status: row.get::<String, _>("status").parse()?,
        attempt: row.get("attempt"),
        department_codes: serde_json::from_str(&codes)
            .map_err(|error| StoreError::Corrupt(format!("department codes: {error}")))?,
        started_at: parse_time(row.get("started_at"))?,
        finished_at: row
            .get::<Option<String>, _>("finished_at")
            .map(|text| parse_time(&text))
            .transpose()?,
        error: row.get("error"),
        snapshots_created: row.get("snapshots_created"),
        snapshots_reused: row.get("snapshots_reused"),
        failures: serde_json::from_str(row.get("failures"))
            .map_err(|error| StoreError::Corrupt(format!("run failures: {error}")))?,
    })
}

fn summary_from_row(row: &SqliteRow, reused: bool) -> StoreResult<SnapshotSummary> {
    Ok(SnapshotSummary {
        id: row.get("id"),
        department_code: row.get("department_code"),
        project_code: row.get("project_code"),
        period: row.get("period"),
        total: row.get("total"),
        grade: row.get("grade"),
        evaluated_at: parse_time(row.get("evaluated_at"))?,
        flag_count: row.get("flag_count"),
        trigger: row.get::<String, _>("trigger").parse()?,
        reused,
    })
}

impl EvaluatorStore {
    /// Opens (creating if needed) the database at `path` and brings its schema up to date.
    /// Writes are always durable (`synchronous = FULL`): a snapshot is never lost once answered.
    pub async fn open(path: &Path) -> StoreResult<Self> {
        let options = PoolOptions {
            durable: true,
            ..PoolOptions::default()
        };
        let (writer, readers) = open_pools(path, &options, &MIGRATOR)
            .await
            .map_err(|error| match error {
                OpenError::Database(error) => StoreError::Database(error),
                OpenError::Migrate(error) => StoreError::Migrate(error),
                OpenError::Io { path, source } => StoreError::Io { path, source },
            })?;
        Ok(Self { writer, readers })
    }

    /// Records an adjustment, unless its request id was seen: then the stored one (same
    /// content) or [`AdjustmentInsert::RequestIdReused`].
    pub async fn insert_adjustment(&self, new: NewAdjustment) -> StoreResult<AdjustmentInsert> {
        let mut tx = self.writer.begin_with("BEGIN IMMEDIATE").await?;
        if let Some((request_id, digest)) = &new.request {
            let existing = sqlx::query(concat!(
                "SELECT ",
                adjustment_columns!(),
                ", request_digest FROM adjustments WHERE request_id = ?"
            ))
            .bind(request_id)
            .fetch_optional(&mut *tx)
            .await?;
            if let Some(row) = existing {
                let stored: Option<String> = row.get("request_digest");
                return Ok(if stored.as_deref() == Some(digest.as_str()) {
                    AdjustmentInsert::Existing(adjustment_from_row(&row)?)
                } else {
                    AdjustmentInsert::RequestIdReused
                });
            }
        }
        let row = sqlx::query(concat!(
            "INSERT INTO adjustments (department_code, project_code, period, indicator_code, \
               computed_score, adjusted_score, reason, adjusted_by, adjusted_at, request_id, \
               request_digest) \
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING ",
            adjustment_columns!()
        ))
        .bind(&new.department_code)
        .bind(&new.project_code)
        .bind(&new.period)
        .bind(&new.indicator_code)
        .bind(new.computed_score.to_string())
        .bind(new.adjusted_score.to_string())
        .bind(&new.reason)
        .bind(&new.adjusted_by)
        .bind(format_time(&now()))
        .bind(new.request.as_ref().map(|(id, _)| id))
        .bind(new.request.as_ref().map(|(_, digest)| digest))
        .fetch_one(&mut *tx)
        .await?;
        let record = adjustment_from_row(&row)?;
        tx.commit().await?;
        Ok(AdjustmentInsert::Created(record))
    }

    /// The adjustment recorded under a request id, with the digest of its request.
    pub async fn adjustment_by_request(
        &self,
        request_id: &str,
    ) -> StoreResult<Option<(AdjustmentRecord, String)>> {
        let row = sqlx::query(concat!(
            "SELECT ",
            adjustment_columns!(),
            ", request_digest FROM adjustments WHERE request_id = ?"
        ))
        .bind(request_id)
        .fetch_optional(&self.readers)
        .await?;
        row.map(|row| {
            let digest: Option<String> = row.get("request_digest");
            Ok((adjustment_from_row(&row)?, digest.unwrap_or_default()))
        })
        .transpose()
    }

    /// The adjustments of a subject's period, oldest first.
    pub async fn adjustments(
        &self,
        department_code: &str,
        project_code: &str,
        period: &str,
    ) -> StoreResult<Vec<AdjustmentRecord>> {
        let rows = sqlx::query(concat!(
            "SELECT ",
            adjustment_columns!(),
            " FROM adjustments WHERE period = ? AND department_code = ? AND project_code = ? \
             ORDER BY id"
        ))
        .bind(period)
        .bind(department_code)
        .bind(project_code)
        .fetch_all(&self.readers)
        .await?;
        rows.iter().map(adjustment_from_row).collect()
    }

    /// Every adjustment of a period, by subject (department, project), oldest first.
    pub async fn adjustments_of_period(
        &self,
        period: &str,
    ) -> StoreResult<HashMap<(String, String), Vec<Adjustment>>> {
        let rows = sqlx::query(concat!(
            "SELECT ",
            adjustment_columns!(),
            " FROM adjustments WHERE period = ? ORDER BY id"
        ))
        .bind(period)
        .fetch_all(&self.readers)
        .await?;
        let mut by_subject: HashMap<(String, String), Vec<Adjustment>> = HashMap::new();
        for row in &rows {
            let record = adjustment_from_row(row)?;
            by_subject
                .entry((record.department_code, record.project_code))
                .or_default()
                .push(record.adjustment);
        }
        Ok(by_subject)
    }

    /// How many snapshots are stored.
    pub async fn count_snapshots(&self) -> StoreResult<i64> {
        Ok(sqlx::query_scalar("SELECT COUNT(*) FROM snapshots")
            .fetch_one(&self.readers)
            .await?)
    }

    /// Closes the pools.
    pub async fn close(&self) {
        self.readers.close().await;
        self.writer.close().await;
    }

    /// Records a new running run; with a request id, answers an earlier run of the same
    /// request instead, or refuses an id used for another request.
    pub async fn start_run(
        &self,
        period: &str,
        trigger: Trigger,
        attempt: i32,
        department_codes: &[String],
        request: Option<(&str, &str)>,
    ) -> StoreResult<RunStart> {
        let mut tx = self.writer.begin_with("BEGIN IMMEDIATE").await?;
        if let Some((request_id, digest)) = request {
            let existing = sqlx::query(concat!(
                "SELECT ",
                run_columns!(),
                ", request_digest FROM runs WHERE request_id = ?"
            ))
            .bind(request_id)
            .fetch_optional(&mut *tx)
            .await?;
            if let Some(row) = existing {
                let stored_digest: Option<String> = row.get("request_digest");
                return Ok(if stored_digest.as_deref() == Some(digest) {
                    RunStart::Existing(run_from_row(&row)?)
                } else {
                    RunStart::RequestIdReused
                });
            }
        }
        let started_at = now();
        let codes = serde_json::to_string(department_codes).expect("codes serialize");
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO runs (period, trigger, status, attempt, department_codes, started_at, \
               request_id, request_digest) \
             VALUES (?, ?, 'running', ?, ?, ?, ?, ?) RETURNING id",
        )
        .bind(period)
        .bind(trigger.as_str())
        .bind(attempt)
        .bind(&codes)
        .bind(format_time(&started_at))
        .bind(request.map(|(request_id, _)| request_id))
        .bind(request.map(|(_, digest)| digest))
        .fetch_one(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(RunStart::Started(RunRecord {
            id,
            period: period.to_owned(),
            trigger,
            status: RunStatus::Running,
            attempt,
            department_codes: department_codes.to_vec(),
            started_at,
            finished_at: None,
            error: String::new(),
            snapshots_created: 0,
            snapshots_reused: 0,
            failures: Vec::new(),
        }))
    }

    /// Stores a run's evaluations and marks it succeeded, in one transaction: an evaluation
    /// identical to its department-period's latest snapshot (same framework and input digest)
    /// reuses it. Returns `None`, storing nothing, when the run is no longer running (it was
    /// recorded as interrupted by a shutdown).
    pub async fn finish_run(
        &self,
        run: &RunRecord,
        evaluations: &[Evaluation],
        failures: &[DepartmentFailure],
        input_watermark: i64,
    ) -> StoreResult<Option<(RunRecord, Vec<SnapshotSummary>)>> {
        let mut tx = self.writer.begin_with("BEGIN IMMEDIATE").await?;
        let status: Option<String> = sqlx::query_scalar("SELECT status FROM runs WHERE id = ?")
            .bind(run.id)
            .fetch_optional(&mut *tx)
            .await?;
        if status.as_deref() != Some(RunStatus::Running.as_str()) {
            return Ok(None);
        }
        let evaluated_at = now();
        let mut summaries = Vec::with_capacity(evaluations.len());
        for evaluation in evaluations {
            let latest = sqlx::query(concat!(
                "SELECT ",
                summary_columns!(),
                ", s.framework_name, s.framework_version, s.input_digest \
                 FROM snapshots s WHERE s.department_code = ? AND s.project_code = ? \
                 AND s.period = ? ORDER BY s.id DESC LIMIT 1"
            ))
            .bind(&evaluation.department_code)
            .bind(&evaluation.project_code)
            .bind(&evaluation.period)
            .fetch_optional(&mut *tx)
            .await?;
            let same = latest.filter(|row| {
                row.get::<String, _>("framework_name") == evaluation.framework_name
                    && row.get::<String, _>("framework_version") == evaluation.framework_version
                    && row.get::<String, _>("input_digest") == evaluation.input_digest
            });
            let summary = match same {
                Some(row) => summary_from_row(&row, true)?,
                None => {
                    let total = format!("{:.2}", evaluation.total);
                    let flag_count = evaluation.flags.len() as i32;
                    let year: i32 = evaluation.period[..4].parse().unwrap_or_default();
                    let id: i64 = sqlx::query_scalar(
                        "INSERT INTO snapshots (department_code, project_code, period, year, \
                           framework_name, framework_version, input_watermark, input_digest, \
                           trigger, run_id, evaluated_at, total, grade, flag_count, evaluation) \
                         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
                    )
                    .bind(&evaluation.department_code)
                    .bind(&evaluation.project_code)
                    .bind(&evaluation.period)
                    .bind(year)
                    .bind(&evaluation.framework_name)
                    .bind(&evaluation.framework_version)
                    .bind(input_watermark)
                    .bind(&evaluation.input_digest)
                    .bind(run.trigger.as_str())
                    .bind(run.id)
                    .bind(format_time(&evaluated_at))
                    .bind(&total)
                    .bind(&evaluation.grade)
                    .bind(flag_count)
                    .bind(serde_json::to_string(evaluation).expect("evaluations serialize"))
                    .fetch_one(&mut *tx)
                    .await?;
                    SnapshotSummary {
                        id,
                        department_code: evaluation.department_code.clone(),
                        project_code: evaluation.project_code.clone(),
                        period: evaluation.period.clone(),
                        total,
                        grade: evaluation.grade.clone(),
                        evaluated_at,
                        flag_count,
                        trigger: run.trigger,
                        reused: false,
                    }
                }
            };
            sqlx::query("INSERT OR IGNORE INTO run_snapshots (run_id, snapshot_id, reused) VALUES (?, ?, ?)")
                .bind(run.id)
                .bind(summary.id)
                .bind(summary.reused)
                .execute(&mut *tx)
                .await?;
            summaries.push(summary);
        }
        let created = summaries.iter().filter(|summary| !summary.reused).count() as i32;
        let reused = summaries.len() as i32 - created;
        sqlx::query(
            "UPDATE runs SET status = 'succeeded', finished_at = ?, snapshots_created = ?, \
               snapshots_reused = ?, failures = ? WHERE id = ?",
        )
        .bind(format_time(&evaluated_at))
        .bind(created)
        .bind(reused)
        .bind(serde_json::to_string(failures).expect("failures serialize"))
        .bind(run.id)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        let finished = RunRecord {
            status: RunStatus::Succeeded,
            finished_at: Some(evaluated_at),
            snapshots_created: created,
            snapshots_reused: reused,
            failures: failures.to_vec(),
            ..run.clone()
        };
        Ok(Some((finished, summaries)))
    }

    /// Marks a running run failed or interrupted, with the reason. Does nothing to a run that
    /// already ended.
    pub async fn end_run(&self, run_id: i64, status: RunStatus, error: &str) -> StoreResult<()> {
        sqlx::query(
            "UPDATE runs SET status = ?, error = ?, finished_at = ? WHERE id = ? AND status = 'running'",
        )
        .bind(status.as_str())
        .bind(error)
        .bind(format_time(&now()))
        .bind(run_id)
        .execute(&self.writer)
        .await?;
        Ok(())
    }

    /// Marks every running run interrupted (at start, after a crash), returning them.
    pub async fn interrupt_running(&self, error: &str) -> StoreResult<Vec<RunRecord>> {
        let rows = sqlx::query(concat!(
            "UPDATE runs SET status = 'interrupted', error = ?, finished_at = ? \
             WHERE status = 'running' RETURNING ",
            run_columns!()
        ))
        .bind(error)
        .bind(format_time(&now()))
        .fetch_all(&self.writer)
        .await?;
        rows.iter().map(run_from_row).collect()
    }

    /// Runs to redo at start: each period and department list whose latest run was
    /// interrupted (by a crash or a shutdown), or was a scheduled run that failed, with no
    /// success since.
    pub async fn runs_to_redo(&self) -> StoreResult<Vec<(String, Vec<String>)>> {
        let rows = sqlx::query(
            "SELECT r.period, r.department_codes FROM runs r \
             WHERE (r.status = 'interrupted' OR (r.status = 'failed' AND r.trigger != 'manual')) \
               AND r.id = (SELECT MAX(id) FROM runs x WHERE x.period = r.period \
                             AND x.department_codes = r.department_codes) \
               AND NOT EXISTS (SELECT 1 FROM runs s WHERE s.period = r.period \
                                 AND s.status = 'succeeded' AND s.id > r.id) \
             ORDER BY r.id",
        )
        .fetch_all(&self.readers)
        .await?;
        rows.iter()
            .map(|row| {
                let codes: String = row.get("department_codes");
                let codes: Vec<String> = serde_json::from_str(&codes)
                    .map_err(|error| StoreError::Corrupt(format!("department codes: {error}")))?;
                Ok((row.get("period"), codes))
            })
            .collect()
    }

    /// A run.
    pub async fn run(&self, run_id: i64) -> StoreResult<Option<RunRecord>> {
        sqlx::query(concat!(
            "SELECT ",
            run_columns!(),
            " FROM runs WHERE id = ?"
        ))
        .bind(run_id)
        .fetch_optional(&self.readers)
        .await?
        .map(|row| run_from_row(&row))
        .transpose()
    }

    /// The snapshots that answered a run.
    pub async fn run_snapshots(&self, run_id: i64) -> StoreResult<Vec<SnapshotSummary>> {
        let rows = sqlx::query(concat!(
            "SELECT ",
            summary_columns!(),
            ", r.reused FROM run_snapshots r \
             JOIN snapshots s ON s.id = r.snapshot_id WHERE r.run_id = ? ORDER BY s.department_code"
        ))
        .bind(run_id)
        .fetch_all(&self.readers)
        .await?;
        rows.iter()
            .map(|row| summary_from_row(row, row.get("reused")))
            .collect()
    }

    /// Runs, newest first, before `before_id` when given.
    pub async fn list_runs(
        &self,
        before_id: Option<i64>,
        limit: u32,
    ) -> StoreResult<Vec<RunRecord>> {
        let rows = sqlx::query(concat!(
            "SELECT ",
            run_columns!(),
            " FROM runs WHERE ? IS NULL OR id < ? ORDER BY id DESC LIMIT ?"
        ))
        .bind(before_id)
        .bind(before_id)
        .bind(i64::from(limit))
        .fetch_all(&self.readers)
        .await?;
        rows.iter().map(run_from_row).collect()
    }

    /// The latest snapshot of a department and period.
    pub async fn latest_snapshot(
        &self,
        department_code: &str,
        project_code: &str,
        period: &str,
    ) -> StoreResult<Option<SnapshotSummary>> {
        sqlx::query(concat!(
            "SELECT ",
            summary_columns!(),
            " FROM snapshots s WHERE s.department_code = ? AND s.project_code = ? \
             AND s.period = ? ORDER BY s.id DESC LIMIT 1"
        ))
        .bind(department_code)
        .bind(project_code)
        .bind(period)
        .fetch_optional(&self.readers)
        .await?
        .map(|row| summary_from_row(&row, false))
        .transpose()
    }

    /// A snapshot with its explanation.
    pub async fn snapshot(&self, id: i64) -> StoreResult<Option<SnapshotRecord>> {
        sqlx::query(concat!(
            "SELECT ",
            summary_columns!(),
            ", s.run_id, s.input_watermark, s.evaluation \
             FROM snapshots s WHERE s.id = ?"
        ))
        .bind(id)
        .fetch_optional(&self.readers)
        .await?
        .map(|row| record_from_row(&row))
        .transpose()
    }

    /// The latest snapshot of each subject of `period`, with its explanation, ordered by
    /// (department, project) from the subject `from` on (itself included), at most `limit`; of
    /// one department (its own and its projects') when `department_code` is given.
    pub async fn latest_of_period(
        &self,
        period: &str,
        department_code: Option<&str>,
        from: Option<(&str, &str)>,
        limit: u32,
    ) -> StoreResult<Vec<SnapshotRecord>> {
        let (from_department, from_project) = from.unwrap_or(("", ""));
        let rows = sqlx::query(concat!(
            "SELECT ",
            summary_columns!(),
            ", s.run_id, s.input_watermark, s.evaluation \
             FROM snapshots s \
             WHERE s.period = ?1 AND (?2 IS NULL OR s.department_code = ?2) \
               AND (s.department_code, s.project_code) >= (?3, ?4) \
               AND s.id = (SELECT MAX(t.id) FROM snapshots t \
                 WHERE t.department_code = s.department_code \
                   AND t.project_code = s.project_code AND t.period = s.period) \
             ORDER BY s.department_code, s.project_code LIMIT ?5"
        ))
        .bind(period)
        .bind(department_code)
        .bind(from_department)
        .bind(from_project)
        .bind(i64::from(limit))
        .fetch_all(&self.readers)
        .await?;
        rows.iter().map(record_from_row).collect()
    }

    /// Snapshot summaries, newest first, filtered, before `before_id` when given.
    pub async fn list_snapshots(
        &self,
        department_code: Option<&str>,
        project_code: Option<&str>,
        year: Option<i32>,
        before_id: Option<i64>,
        limit: u32,
    ) -> StoreResult<Vec<SnapshotSummary>> {
        let mut query = QueryBuilder::<Sqlite>::new(concat!(
            "SELECT ",
            summary_columns!(),
            " FROM snapshots s WHERE 1 = 1"
        ));
        if let Some(code) = department_code {
            query
                .push(" AND s.department_code = ")
                .push_bind(code.to_owned());
        }
        if let Some(code) = project_code {
            query
                .push(" AND s.project_code = ")
                .push_bind(code.to_owned());
        }
        if let Some(year) = year {
            query.push(" AND s.year = ").push_bind(year);
        }
        if let Some(before) = before_id {
            query.push(" AND s.id < ").push_bind(before);
        }
        query
            .push(" ORDER BY s.id DESC LIMIT ")
            .push_bind(i64::from(limit));
        let rows = query.build().fetch_all(&self.readers).await?;
        rows.iter()
            .map(|row| summary_from_row(row, false))
            .collect()
    }

    /// The last fire of a schedule that was handled.
    pub async fn last_fire(&self, schedule: &str) -> StoreResult<Option<DateTime<Utc>>> {
        let text: Option<String> =
            sqlx::query_scalar("SELECT last_fire_at FROM schedule_state WHERE schedule = ?")
                .bind(schedule)
                .fetch_optional(&self.readers)
                .await?;
        text.map(|text| parse_time(&text)).transpose()
    }

    /// Records that a schedule's fire at `at` was handled (never moving backwards).
    pub async fn set_last_fire(&self, schedule: &str, at: DateTime<Utc>) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO schedule_state (schedule, last_fire_at) VALUES (?, ?) \
             ON CONFLICT (schedule) DO UPDATE SET last_fire_at = excluded.last_fire_at \
             WHERE excluded.last_fire_at > schedule_state.last_fire_at",
        )
        .bind(schedule)
        .bind(format_time(&at))
        .execute(&self.writer)
        .await?;
        Ok(())
    }
}
