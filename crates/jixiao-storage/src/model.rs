//! The records storage takes and gives back. Plain data: no protobuf, no SQL.

use chrono::{DateTime, Utc};
use jixiao_domain::{Period, Target};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// Marks a request as retry-safe: its id, the method, and a digest of its content.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Idempotency {
    /// The client's request id.
    pub request_id: String,
    /// The RPC method, so that an id reused across methods is refused.
    pub method: &'static str,
    /// A digest of the request's content (without the id), in hexadecimal.
    pub digest: String,
}

/// A department to create or update.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewDepartment {
    /// Code.
    pub code: String,
    /// Display name.
    pub name: String,
    /// Parent's code, if a unit.
    pub parent_code: Option<String>,
}

/// A stored department.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DepartmentRecord {
    /// Code.
    pub code: String,
    /// Display name.
    pub name: String,
    /// Parent's code, if a unit.
    pub parent_code: Option<String>,
    /// When it last changed.
    pub updated_at: DateTime<Utc>,
}

/// The answer to an upsert.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DepartmentOutcome {
    /// The department as stored.
    pub department: DepartmentRecord,
    /// Whether it was new.
    pub created: bool,
}

/// A target set (绩效目标) to store as the next revision of its subject-year.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewTargetSet {
    /// The department (部门整体), or the department of the project.
    pub department_code: String,
    /// The project (项目支出) whose targets these are; empty for the department's own.
    pub project_code: String,
    /// Year.
    pub year: i32,
    /// The framework the rows are written for (empty: the evaluator's default).
    pub framework: String,
    /// The rows, validated.
    pub targets: Vec<Target>,
    /// 年度总体目标 · 预期目标 (年初设定目标) as written, optional.
    pub overall_target: String,
    /// 年度总体目标 · 实际完成情况 as written, optional.
    pub overall_result: String,
}

/// A stored target set.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TargetSetRecord {
    /// Department.
    pub department_code: String,
    /// The project (项目支出) whose targets these are; empty for department-wide targets.
    #[serde(default)]
    pub project_code: String,
    /// Year.
    pub year: i32,
    /// Revision, from 1.
    pub revision: i64,
    /// Rows in the order sent.
    pub targets: Vec<Target>,
    /// The scoring framework the set names (TABLES.md §4); empty: the evaluator's default.
    #[serde(default)]
    pub framework: String,
    /// 年度总体目标 · 预期目标 as written.
    #[serde(default)]
    pub overall_target: String,
    /// 年度总体目标 · 实际完成情况 as written.
    #[serde(default)]
    pub overall_result: String,
    /// When this revision was stored.
    pub set_at: DateTime<Utc>,
}

/// The answer to SetTargets.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TargetsOutcome {
    /// The current target set.
    pub target_set: TargetSetRecord,
    /// Whether the targets equalled the current revision, which was kept.
    pub unchanged: bool,
}

/// A validated point to store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewPoint {
    /// Department.
    pub department_code: String,
    /// Metric.
    pub metric_code: String,
    /// Period.
    pub period: Period,
    /// Value in the metric's canonical unit.
    pub value: Decimal,
    /// Value as sent.
    pub value_as_sent: String,
    /// Unit as sent.
    pub unit_as_sent: String,
    /// Project, empty for department-level figures.
    pub project_code: String,
    /// Note.
    pub note: String,
}

/// A batch of points from one source, stored all or nothing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PointBatch {
    /// The upstream system.
    pub source: String,
    /// The points; no two share (department, metric, period, project).
    pub points: Vec<NewPoint>,
    /// The name of the token that pushed them (empty without tokens).
    pub pushed_by: String,
}

/// What a batch did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PushOutcome {
    /// Points new or changed.
    pub stored: i64,
    /// Points equal to their current value.
    pub unchanged: i64,
    /// Stored points that replaced an earlier revision.
    pub revised: i64,
    /// The watermark after the batch.
    pub watermark: i64,
    /// Whether this is the answer to an earlier request with the same request id, which
    /// stored nothing now (not part of the stored answer).
    #[serde(skip)]
    pub replayed: bool,
}

/// A stored point revision.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PointRecord {
    /// Department.
    pub department_code: String,
    /// Metric.
    pub metric_code: String,
    /// Period as text.
    pub period: String,
    /// Value in the canonical unit, as stored.
    pub value: String,
    /// Value as sent.
    pub value_as_sent: String,
    /// Unit as sent.
    pub unit_as_sent: String,
    /// Source.
    pub source: String,
    /// Project, empty for department-level figures.
    pub project_code: String,
    /// Note.
    pub note: String,
    /// Revision, from 1.
    pub revision: i64,
    /// Sequence number of the change.
    pub sequence: i64,
    /// When it was stored.
    pub received_at: DateTime<Utc>,
    /// The request id of the push, if any.
    pub request_id: Option<String>,
    /// The name of the token that pushed it (empty without tokens).
    pub pushed_by: String,
    /// Whether this is the current revision.
    pub current: bool,
}

/// A current point as exported: what an evaluation needs, without the audit fields (value and
/// unit as sent, when, by which request and token), which ListMetricPoints has.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExportPoint {
    /// Department.
    pub department_code: String,
    /// Metric.
    pub metric_code: String,
    /// Period as text.
    pub period: String,
    /// Value in the canonical unit, as stored.
    pub value: String,
    /// Source.
    pub source: String,
    /// Project, empty for department-level figures.
    pub project_code: String,
    /// Note.
    pub note: String,
    /// Revision, from 1.
    pub revision: i64,
    /// Sequence number of the change.
    pub sequence: i64,
}

/// Which points to list.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PointFilter {
    /// Only this department.
    pub department_code: Option<String>,
    /// Only this year.
    pub year: Option<i32>,
    /// Only this metric.
    pub metric_code: Option<String>,
    /// Superseded revisions too.
    pub include_history: bool,
}

/// One page of a listing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page<T> {
    /// The items.
    pub items: Vec<T>,
    /// The token of the next page; empty on the last.
    pub next_page_token: String,
}

/// One item of an export.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ExportItem {
    /// A department in scope.
    Department(DepartmentRecord),
    /// The current target set of a department in scope.
    TargetSet(TargetSetRecord),
    /// Current points of departments in scope.
    Points(Vec<ExportPoint>),
    /// Current actuals of self-reported rows of the target sets sent.
    Actuals(Vec<ActualRecord>),
    /// A project of a department in scope.
    Project(ProjectRecord),
    /// The end of the export.
    End {
        /// The watermark of the view read.
        watermark: i64,
        /// Departments sent.
        departments: i64,
        /// Target sets sent.
        target_sets: i64,
        /// Points sent.
        points: i64,
    },
}

/// An actual (实际完成值) of a self-reported target row to store, as written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewActual {
    /// The department whose target set has the row.
    pub department_code: String,
    /// The project whose target set has the row; empty for the department's own.
    pub project_code: String,
    /// The row.
    pub indicator_code: String,
    /// A quarter or the year.
    pub period: jixiao_domain::Period,
    /// The actual as written.
    pub actual_text: String,
    /// 偏差原因分析及改进措施, optional.
    pub note: String,
    /// 全年预计完成值 as written (a monitoring table's projection for the year), optional.
    pub projected_text: String,
    /// 完成目标可能性 as written, optional.
    pub likelihood: String,
}

/// A stored actual of a self-reported row.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActualRecord {
    /// The department whose target set has the row.
    pub department_code: String,
    /// The project whose target set has the row; empty for the department's own.
    #[serde(default)]
    pub project_code: String,
    /// The row.
    pub indicator_code: String,
    /// A quarter or the year, as text.
    pub period: String,
    /// The actual as written.
    pub actual_text: String,
    /// 偏差原因分析及改进措施.
    pub note: String,
    /// 全年预计完成值 as written.
    #[serde(default)]
    pub projected_text: String,
    /// 完成目标可能性 as written.
    #[serde(default)]
    pub likelihood: String,
    /// What was read from it, for example `50 个` or `达成`.
    pub read_as: String,
    /// Revision, from 1.
    pub revision: i64,
    /// Ingestion sequence of the revision.
    pub sequence: i64,
    /// The token that reported it (empty without tokens).
    pub pushed_by: String,
}

/// What ReportActuals stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActualsOutcome {
    /// Actuals new to their row and period.
    pub stored: i64,
    /// Actuals that replaced another one.
    pub revised: i64,
    /// Actuals equal to the current one.
    pub unchanged: i64,
    /// The watermark after the request.
    pub watermark: i64,
    /// The actuals as stored.
    pub actuals: Vec<ActualRecord>,
}

/// A project (项目支出) of a department to create or update.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewProject {
    /// Code, unique among all projects (budget systems give each project one).
    pub code: String,
    /// Name, for example 用地报批技术服务及供后监管工作经费.
    pub name: String,
    /// The department it belongs to.
    pub department_code: String,
    /// First year it runs.
    pub first_year: i32,
    /// Last year it runs.
    pub last_year: i32,
    /// Its fund sources (本年财政拨款, 上年结转资金, 其他资金 …), optional.
    pub fund_sources: Vec<String>,
}

/// A stored project.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProjectRecord {
    /// Code.
    pub code: String,
    /// Name.
    pub name: String,
    /// The department it belongs to.
    pub department_code: String,
    /// First year it runs.
    pub first_year: i32,
    /// Last year it runs.
    pub last_year: i32,
    /// Its fund sources.
    pub fund_sources: Vec<String>,
    /// When it was last changed.
    pub updated_at: DateTime<Utc>,
}

/// The answer to UpsertProject.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProjectOutcome {
    /// The project as stored.
    pub project: ProjectRecord,
    /// Whether it was new.
    pub created: bool,
}

/// Whether a write is stored or only checked (AIP-163 `validate_only`): a check runs every
/// step of the write in a transaction that is then rolled back, so that it refuses exactly
/// what the write refuses and answers what the write would have stored.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum WriteMode {
    /// Store the write.
    #[default]
    Commit,
    /// Run every check and roll back.
    ValidateOnly,
}

/// One 自评表 as a whole (ImportTable): its unit, its project, its target set, its budget
/// figures and printed scores, and its actuals, stored in one transaction or not at all.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewTable {
    /// The unit (单位). Created when missing; an existing one keeps its parent, and its name
    /// unless `name` is non-empty and differs (the table names it otherwise).
    pub department: NewDepartment,
    /// The project (项目支出) of a project table: created when missing; an existing one keeps
    /// its fund sources, its years widened to take `year`, renamed when the table names it
    /// otherwise.
    pub project: Option<NewProject>,
    /// The year (年度) of the table.
    pub year: i32,
    /// The framework the rows are written for (empty: the evaluator's default).
    pub framework: String,
    /// The rows (绩效指标), validated.
    pub targets: Vec<Target>,
    /// 年度总体目标 · 预期目标 as written, optional.
    pub overall_target: String,
    /// 年度总体目标 · 实际完成情况 as written, optional.
    pub overall_result: String,
    /// The budget figures (万元, percent) and printed scores, all of this table's subject.
    pub points: PointBatch,
    /// The actuals (实际完成值) of the rows, as written.
    pub actuals: Vec<NewActual>,
}

/// What ImportTable stored (or, validating only, would store).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TableOutcome {
    /// The unit as stored, and whether it was created.
    pub department: DepartmentOutcome,
    /// The unit's name before the table renamed it, when it did.
    pub renamed_from: Option<String>,
    /// The project as stored, and whether it was created, for a project table.
    pub project: Option<ProjectOutcome>,
    /// The target set.
    pub targets: TargetsOutcome,
    /// The budget figures and printed scores.
    pub points: PushOutcome,
    /// The actuals.
    pub actuals: ActualsOutcome,
    /// The watermark after the table.
    pub watermark: i64,
}
