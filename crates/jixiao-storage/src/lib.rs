//! Storage of the ingestion service.
//!
//! [`IngestStore`] is what the service needs from storage; [`SqliteStore`] implements it on
//! one SQLite file. A PostgreSQL backend would be a second implementation of the trait: the
//! service is generic over it and never sees SQL.
//!
//! Invariants every implementation keeps:
//! - a write is all or nothing: a refused or failed request leaves nothing behind;
//! - a write in [`WriteMode::ValidateOnly`] runs every check of the write and stores nothing;
//! - a request with a request id that was already answered gets the first answer back and
//!   changes nothing; the same id with other content is refused;
//! - every change to the inputs takes the next number of one sequence, whose last committed
//!   value is the watermark; a point equal to its current value takes none.

mod model;
mod sqlite;

use std::future::Future;

use futures::stream::BoxStream;

pub use model::{
    ActualRecord, ActualsOutcome, DepartmentOutcome, DepartmentRecord, ExportItem, ExportPoint,
    Idempotency, NewActual, NewDepartment, NewPoint, NewProject, NewTable, NewTargetSet, Page,
    PointBatch, PointFilter, PointRecord, ProjectOutcome, ProjectRecord, PushOutcome, TableOutcome,
    TargetSetRecord, TargetsOutcome, WriteMode,
};
pub use sqlite::{SqliteStore, StoreOptions};

use jixiao_domain::Violation;

/// What can go wrong in storage.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The request refers to something that does not exist or would break an invariant.
    #[error("{}", Violation::join(.0))]
    Invalid(Vec<Violation>),
    /// The request id was used before for a request with other content.
    #[error("request id {request_id:?} was already used by a different request ({method})")]
    RequestIdReused {
        /// The reused id.
        request_id: String,
        /// The method that first used it.
        method: String,
    },
    /// The thing asked for does not exist.
    #[error("{0}")]
    NotFound(String),
    /// The database failed.
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    /// The schema could not be brought up to date.
    #[error("database migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    /// An export's reader took nothing for the stall bound; the export was cut off.
    #[error(
        "the export was cut off: its reader took nothing for {seconds} s (limits.export_stall_seconds), and a stalled export would hold a database snapshot and a connection; read the stream as it comes, then retry"
    )]
    ExportStalled {
        /// The bound, in seconds.
        seconds: u64,
    },
    /// An export read for longer than its bound, however steadily its reader took items.
    #[error(
        "the export was cut off after {seconds} s (limits.connection.request_timeout_seconds): an export holds a database snapshot for as long as it reads; export fewer departments at a time, or read faster"
    )]
    ExportTooLong {
        /// The bound, in seconds.
        seconds: u64,
    },
    /// Every export slot stayed busy for the stall bound.
    #[error(
        "all {slots} export slots stayed busy for {seconds} s (exports use every read connection but one); retry with backoff"
    )]
    ExportBusy {
        /// Exports that may read at once.
        slots: usize,
        /// How long the export waited, in seconds.
        seconds: u64,
    },
    /// Stored data could not be read back.
    #[error("stored data could not be read: {0}")]
    Corrupt(String),
    /// A group of writes could not be committed (the database failed for all of them).
    #[error("the write could not be committed: {0}")]
    Commit(String),
    /// The data directory could not be prepared.
    #[error("could not prepare {path}: {source}")]
    Io {
        /// The path involved.
        path: String,
        /// The cause.
        source: std::io::Error,
    },
}

impl From<jixiao_sqlite::OpenError> for StoreError {
    fn from(error: jixiao_sqlite::OpenError) -> Self {
        match error {
            jixiao_sqlite::OpenError::Io { path, source } => StoreError::Io { path, source },
            jixiao_sqlite::OpenError::Database(error) => StoreError::Database(error),
            jixiao_sqlite::OpenError::Migrate(error) => StoreError::Migrate(error),
        }
    }
}

/// Shorthand for storage results.
pub type StoreResult<T> = Result<T, StoreError>;

/// What the ingestion service needs from storage.
pub trait IngestStore: Send + Sync + 'static {
    /// Creates or updates a department; refuses a missing parent or a cycle.
    fn upsert_department(
        &self,
        department: NewDepartment,
        idempotency: Option<Idempotency>,
        mode: WriteMode,
    ) -> impl Future<Output = StoreResult<DepartmentOutcome>> + Send;

    /// Lists departments ordered by code, from the page token on.
    fn list_departments(
        &self,
        page_token: &str,
        page_size: u32,
    ) -> impl Future<Output = StoreResult<Page<DepartmentRecord>>> + Send;

    /// Stores a new revision of a subject-year's targets (the department's own, or with a
    /// `project_code` one of its projects'), naming the framework they are written for (empty:
    /// the evaluator's default), unless rows and framework equal the current revision's.
    fn set_targets(
        &self,
        set: NewTargetSet,
        idempotency: Option<Idempotency>,
        mode: WriteMode,
    ) -> impl Future<Output = StoreResult<TargetsOutcome>> + Send;

    /// The current target set of a subject-year, if any.
    fn get_targets(
        &self,
        department_code: &str,
        project_code: &str,
        year: i32,
    ) -> impl Future<Output = StoreResult<Option<TargetSetRecord>>> + Send;

    /// Stores a batch of points atomically; refuses unknown departments.
    fn push_points(
        &self,
        batch: PointBatch,
        idempotency: Option<Idempotency>,
        mode: WriteMode,
    ) -> impl Future<Output = StoreResult<PushOutcome>> + Send;

    /// Lists points matching the filter, from the page token on.
    fn list_points(
        &self,
        filter: PointFilter,
        page_token: &str,
        page_size: u32,
    ) -> impl Future<Output = StoreResult<Page<PointRecord>>> + Send;

    /// Streams a year's inputs from one consistent read view: departments in scope (parents
    /// first), their current target sets, the current points, then the end with the watermark.
    /// An empty `department_codes` means every department; otherwise those departments and all
    /// their descendants.
    fn export(
        &self,
        year: i32,
        department_codes: Vec<String>,
    ) -> BoxStream<'static, StoreResult<ExportItem>>;

    /// Creates or updates a project of an existing department; refuses moving a project to
    /// another department, and years outside 2000..=2100 or in the wrong order.
    fn upsert_project(
        &self,
        project: NewProject,
        idempotency: Option<Idempotency>,
        mode: WriteMode,
    ) -> impl Future<Output = StoreResult<ProjectOutcome>> + Send;

    /// Lists projects ordered by code (of one department when given), from the page token on.
    fn list_projects(
        &self,
        department_code: Option<String>,
        page_token: &str,
        page_size: u32,
    ) -> impl Future<Output = StoreResult<Page<ProjectRecord>>> + Send;

    /// The last committed value of the change sequence.
    fn watermark(&self) -> impl Future<Output = StoreResult<i64>> + Send;

    /// Stores the actuals of self-reported target rows, all or none: each must name a row
    /// without a metric in its department's current target set for the period's year, and
    /// read as an actual of that row ([`jixiao_domain::written::read_actual`]). An actual equal
    /// to the current one stores nothing; another one becomes the next revision.
    fn report_actuals(
        &self,
        actuals: Vec<NewActual>,
        pushed_by: String,
        idempotency: Option<Idempotency>,
        mode: WriteMode,
    ) -> impl Future<Output = StoreResult<ActualsOutcome>> + Send;

    /// Stores a whole 自评表 in one transaction (see [`NewTable`]): the unit, the project,
    /// the target set, the figures and the actuals, each step as its own method would, or
    /// nothing when any step refuses.
    fn import_table(
        &self,
        table: NewTable,
        idempotency: Option<Idempotency>,
        mode: WriteMode,
    ) -> impl Future<Output = StoreResult<TableOutcome>> + Send;
}
