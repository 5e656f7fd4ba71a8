//! [`IngestStore`] on one SQLite file: WAL, one writer connection whose transactions begin
//! with `BEGIN IMMEDIATE`, and a pool of read-only connections.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use futures::StreamExt;
use futures::stream::BoxStream;
use jixiao_domain::Violation;
use serde::Serialize;
use serde::de::DeserializeOwned;
use sqlx::SqlitePool;
use tokio::sync::{mpsc, oneshot};

use crate::model::{
    ActualsOutcome, DepartmentOutcome, DepartmentRecord, ExportItem, Idempotency, NewActual,
    NewDepartment, NewProject, NewTable, NewTargetSet, Page, PointBatch, PointFilter, PointRecord,
    ProjectOutcome, ProjectRecord, PushOutcome, TableOutcome, TargetSetRecord, TargetsOutcome,
    WriteMode,
};
use crate::{IngestStore, StoreError, StoreResult};

mod actuals;
mod departments;
mod export;
mod points;
mod projects;
mod requests;
mod tables;
mod targets;

use departments::department_exists;
use export::{Exporter, export_view};
use points::{MAX_GROUP_JOBS, PushJob, write_pushes};
use requests::{read_sequence, remember, replay, write_sequence};
use targets::target_set_from_row;

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

/// How the ingestion store is opened and how its exports are bounded.
#[derive(Debug, Clone)]
pub struct StoreOptions {
    /// How the SQLite file is opened (durability, read connections, busy timeout).
    pub pool: jixiao_sqlite::PoolOptions,
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
            pool: jixiao_sqlite::PoolOptions::default(),
            export_stall: Duration::from_secs(30),
            export_max: Duration::from_secs(600),
        }
    }
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

impl SqliteStore {
    /// Opens (creating if needed) the database at `path` and brings its schema up to date.
    pub async fn open(path: &Path, options: &StoreOptions) -> StoreResult<Self> {
        let (writer, readers) = jixiao_sqlite::open_pools(path, &options.pool, &MIGRATOR).await?;
        let (pushes, jobs) = mpsc::channel(MAX_GROUP_JOBS);
        tokio::spawn(write_pushes(writer.clone(), jobs));
        let export_slots = options.pool.read_connections.saturating_sub(1).max(1) as usize;
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

fn now() -> DateTime<Utc> {
    jixiao_sqlite::time::now()
}

fn format_time(time: &DateTime<Utc>) -> String {
    jixiao_sqlite::time::format(time)
}

fn parse_time(text: &str) -> StoreResult<DateTime<Utc>> {
    jixiao_sqlite::time::parse(text).map_err(StoreError::Corrupt)
}

fn invalid(field: impl Into<String>, description: impl Into<String>) -> StoreError {
    StoreError::Invalid(vec![Violation::new(field, description)])
}

fn encode_token<T: Serialize>(key: &T) -> String {
    jixiao_sqlite::token::encode(key)
}

/// Ends the write transaction `tx` as `mode` says: committed, or rolled back after a check.
async fn finish(tx: sqlx::Transaction<'_, sqlx::Sqlite>, mode: WriteMode) -> StoreResult<()> {
    match mode {
        WriteMode::Commit => tx.commit().await?,
        WriteMode::ValidateOnly => tx.rollback().await?,
    }
    Ok(())
}

fn decode_token<T: DeserializeOwned>(token: &str) -> StoreResult<Option<T>> {
    jixiao_sqlite::token::decode(token)
        .map_err(|()| invalid("page_token", "is not a token this service returned"))
}

impl IngestStore for SqliteStore {
    async fn upsert_department(
        &self,
        department: NewDepartment,
        idempotency: Option<Idempotency>,
        mode: WriteMode,
    ) -> StoreResult<DepartmentOutcome> {
        let mut tx = self.writer.begin_with("BEGIN IMMEDIATE").await?;
        let outcome = departments::upsert(&mut tx, department, idempotency.as_ref()).await?;
        finish(tx, mode).await?;
        Ok(outcome)
    }

    async fn list_departments(
        &self,
        page_token: &str,
        page_size: u32,
    ) -> StoreResult<Page<DepartmentRecord>> {
        departments::list(&self.readers, page_token, page_size).await
    }

    async fn set_targets(
        &self,
        set: NewTargetSet,
        idempotency: Option<Idempotency>,
        mode: WriteMode,
    ) -> StoreResult<TargetsOutcome> {
        let mut tx = self.writer.begin_with("BEGIN IMMEDIATE").await?;
        let outcome = targets::set(&mut tx, set, idempotency.as_ref()).await?;
        finish(tx, mode).await?;
        Ok(outcome)
    }

    async fn get_targets(
        &self,
        department_code: &str,
        project_code: &str,
        year: i32,
    ) -> StoreResult<Option<TargetSetRecord>> {
        targets::get(&self.readers, department_code, project_code, year).await
    }

    async fn push_points(
        &self,
        batch: PointBatch,
        idempotency: Option<Idempotency>,
        mode: WriteMode,
    ) -> StoreResult<PushOutcome> {
        if mode == WriteMode::ValidateOnly {
            // A check goes around the group commit: its transaction is rolled back alone.
            let mut tx = self.writer.begin_with("BEGIN IMMEDIATE").await?;
            let pending = points::Pending {
                batch: &batch,
                idempotency: idempotency.as_ref(),
            };
            let outcome = points::write_group(&mut tx, &[pending])
                .await?
                .pop()
                .expect("one answer per batch");
            tx.rollback().await?;
            return outcome;
        }
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
        points::list(&self.readers, filter, page_token, page_size).await
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
        mode: WriteMode,
    ) -> StoreResult<ProjectOutcome> {
        let mut tx = self.writer.begin_with("BEGIN IMMEDIATE").await?;
        let outcome = projects::upsert(&mut tx, project, idempotency.as_ref()).await?;
        finish(tx, mode).await?;
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
        mode: WriteMode,
    ) -> StoreResult<ActualsOutcome> {
        let mut tx = self.writer.begin_with("BEGIN IMMEDIATE").await?;
        let outcome = actuals::report(&mut tx, actuals, &pushed_by, idempotency.as_ref()).await?;
        finish(tx, mode).await?;
        Ok(outcome)
    }

    async fn import_table(
        &self,
        table: NewTable,
        idempotency: Option<Idempotency>,
        mode: WriteMode,
    ) -> StoreResult<TableOutcome> {
        let mut tx = self.writer.begin_with("BEGIN IMMEDIATE").await?;
        let outcome = tables::import(&mut tx, table, idempotency.as_ref()).await?;
        finish(tx, mode).await?;
        Ok(outcome)
    }
}
