//! Target sets: SetTargets and GetTargets, and their rows.

use jixiao_domain::Target;
use sqlx::Row;
use sqlx::SqliteConnection;
use sqlx::sqlite::{SqlitePool, SqliteRow};

use super::departments::department_exists;
use super::requests::{read_sequence, remember, replay, write_sequence};
use super::{format_time, invalid, now, parse_time, projects};
use crate::model::{Idempotency, NewTargetSet, TargetSetRecord, TargetsOutcome};
use crate::{StoreError, StoreResult};

pub(super) fn target_set_from_row(row: &SqliteRow) -> StoreResult<TargetSetRecord> {
    let targets: String = row.get("targets");
    let targets: Vec<Target> = serde_json::from_str(&targets)
        .map_err(|error| StoreError::Corrupt(format!("target set: {error}")))?;
    Ok(TargetSetRecord {
        department_code: row.get("department_code"),
        project_code: row.get("project_code"),
        year: row.get("year"),
        revision: row.get("revision"),
        targets,
        framework: row.get("framework"),
        overall_target: row.get("overall_target"),
        overall_result: row.get("overall_result"),
        set_at: parse_time(row.get("set_at"))?,
    })
}

/// The body of [`crate::IngestStore::set_targets`], in the transaction `tx`.
pub(super) async fn set(
    tx: &mut SqliteConnection,
    set: NewTargetSet,
    idempotency: Option<&Idempotency>,
) -> StoreResult<TargetsOutcome> {
    let NewTargetSet {
        department_code,
        project_code,
        year,
        framework,
        targets,
        overall_target,
        overall_result,
    } = set;
    if let Some(idempotency) = idempotency
        && let Some(answer) = replay(&mut *tx, idempotency).await?
    {
        return Ok(answer);
    }
    if !department_exists(&mut *tx, &department_code).await? {
        return Err(invalid(
            "department_code",
            format!("unknown department {department_code:?}; upsert it first"),
        ));
    }
    if !project_code.is_empty() {
        projects::check_project(&mut *tx, &department_code, &project_code, year).await?;
    }
    let current = sqlx::query(
        "SELECT department_code, project_code, year, revision, targets, set_at, framework, \
                overall_target, overall_result \
         FROM target_sets \
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
        Some(current)
            if current.targets == targets
                && current.framework == framework
                && current.overall_target == overall_target
                && current.overall_result == overall_result =>
        {
            TargetsOutcome {
                target_set: current,
                unchanged: true,
            }
        }
        current => {
            let revision = current.map_or(1, |current| current.revision + 1);
            let sequence = read_sequence(&mut *tx).await? + 1;
            sqlx::query(
                "INSERT INTO target_sets \
                 (department_code, project_code, year, revision, targets, sequence, set_at, \
                  request_id, framework, overall_target, overall_result) \
                 VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            )
            .bind(&department_code)
            .bind(&project_code)
            .bind(year)
            .bind(revision)
            .bind(serde_json::to_string(&targets).expect("targets serialize"))
            .bind(sequence)
            .bind(format_time(&at))
            .bind(idempotency.map(|idempotency| &idempotency.request_id))
            .bind(&framework)
            .bind(&overall_target)
            .bind(&overall_result)
            .execute(&mut *tx)
            .await?;
            write_sequence(&mut *tx, sequence).await?;
            TargetsOutcome {
                target_set: TargetSetRecord {
                    department_code,
                    project_code,
                    year,
                    revision,
                    targets,
                    framework,
                    overall_target,
                    overall_result,
                    set_at: at,
                },
                unchanged: false,
            }
        }
    };
    if let Some(idempotency) = idempotency {
        remember(&mut *tx, idempotency, &outcome, &at).await?;
    }
    Ok(outcome)
}

/// The body of [`crate::IngestStore::get_targets`].
pub(super) async fn get(
    readers: &SqlitePool,
    department_code: &str,
    project_code: &str,
    year: i32,
) -> StoreResult<Option<TargetSetRecord>> {
    sqlx::query(
        "SELECT department_code, project_code, year, revision, targets, set_at, framework, \
                overall_target, overall_result \
         FROM target_sets \
         WHERE department_code = ? AND project_code = ? AND year = ? \
         ORDER BY revision DESC LIMIT 1",
    )
    .bind(department_code)
    .bind(project_code)
    .bind(year)
    .fetch_optional(readers)
    .await?
    .map(|row| target_set_from_row(&row))
    .transpose()
}
