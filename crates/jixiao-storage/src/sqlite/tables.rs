//! ImportTable: a whole 自评表 — its unit, project, target set, figures and actuals — in one
//! transaction, each step as its own method takes it.

use sqlx::SqliteConnection;

use super::departments;
use super::points::{self, Pending};
use super::requests::{read_sequence, remember, replay};
use super::{actuals, now, projects, targets};
use crate::StoreResult;
use crate::model::{
    Idempotency, NewDepartment, NewProject, NewTable, NewTargetSet, ProjectOutcome, TableOutcome,
};

/// The body of [`crate::IngestStore::import_table`], in the transaction `tx`: nothing of the
/// table is kept unless the caller commits `tx` after every step succeeded.
pub(super) async fn import(
    tx: &mut SqliteConnection,
    table: NewTable,
    idempotency: Option<&Idempotency>,
) -> StoreResult<TableOutcome> {
    if let Some(idempotency) = idempotency
        && let Some(answer) = replay(&mut *tx, idempotency).await?
    {
        return Ok(answer);
    }
    let NewTable {
        department,
        project,
        year,
        framework,
        targets,
        overall_target,
        overall_result,
        points,
        actuals,
    } = table;
    let existing = departments::find(&mut *tx, &department.code).await?;
    let renamed_from = existing
        .as_ref()
        .filter(|existing| !department.name.is_empty() && existing.name != department.name)
        .map(|existing| existing.name.clone());
    let wanted = match existing {
        // The table names the unit; where and under whom it sits is the unit list's to say.
        Some(existing) => NewDepartment {
            name: if department.name.is_empty() {
                existing.name
            } else {
                department.name
            },
            parent_code: existing.parent_code,
            code: department.code,
        },
        None => NewDepartment {
            name: if department.name.is_empty() {
                department.code.clone()
            } else {
                department.name
            },
            ..department
        },
    };
    let department = departments::upsert(&mut *tx, wanted, None).await?;
    let project = match project {
        Some(project) => Some(ensure_project(&mut *tx, project, year).await?),
        None => None,
    };
    let project_code = project
        .as_ref()
        .map(|project| project.project.code.clone())
        .unwrap_or_default();
    let set = NewTargetSet {
        department_code: department.department.code.clone(),
        project_code,
        year,
        framework,
        targets,
        overall_target,
        overall_result,
    };
    let targets = targets::set(&mut *tx, set, None).await?;
    let pending = Pending {
        batch: &points,
        idempotency: None,
    };
    let points = points::write_group(&mut *tx, &[pending])
        .await?
        .pop()
        .expect("one answer per batch")?;
    let pushed_by = pending.batch.pushed_by.clone();
    let actuals = actuals::report(&mut *tx, actuals, &pushed_by, None).await?;
    let outcome = TableOutcome {
        department,
        renamed_from,
        project,
        targets,
        points,
        actuals,
        watermark: read_sequence(&mut *tx).await?,
    };
    if let Some(idempotency) = idempotency {
        remember(&mut *tx, idempotency, &outcome, &now()).await?;
    }
    Ok(outcome)
}

/// The table's project: created for `year` when missing; an existing one of the same unit
/// keeps its fund sources and its name unless the table gives one, its years widened to take
/// `year`. A project of another unit is refused as UpsertProject refuses it.
async fn ensure_project(
    tx: &mut SqliteConnection,
    project: NewProject,
    year: i32,
) -> StoreResult<ProjectOutcome> {
    let wanted = match projects::find(&mut *tx, &project.code).await? {
        Some(existing) if existing.department_code == project.department_code => NewProject {
            name: if project.name.is_empty() {
                existing.name
            } else {
                project.name
            },
            first_year: existing.first_year.min(year),
            last_year: existing.last_year.max(year),
            fund_sources: existing.fund_sources,
            ..project
        },
        _ => NewProject {
            first_year: year,
            last_year: year,
            ..project
        },
    };
    projects::upsert(&mut *tx, wanted, None).await
}
