//! Projects (项目支出): each a subject of its own within its department.

use std::collections::BTreeSet;

use sqlx::sqlite::SqliteRow;
use sqlx::{Row, SqliteConnection};

use super::{
    Exporter, decode_token, department_exists, encode_token, format_time, invalid, now, parse_time,
    read_sequence, remember, replay, write_sequence,
};
use crate::model::{Idempotency, NewProject, Page, ProjectOutcome, ProjectRecord};
use crate::{ExportItem, StoreError, StoreResult};

/// The columns of a project, for `concat!` into static SQL.
macro_rules! columns {
    () => {
        "code, name, department_code, first_year, last_year, fund_sources, updated_at"
    };
}

fn from_row(row: &SqliteRow) -> StoreResult<ProjectRecord> {
    let fund_sources: String = row.get("fund_sources");
    Ok(ProjectRecord {
        code: row.get("code"),
        name: row.get("name"),
        department_code: row.get("department_code"),
        first_year: row.get("first_year"),
        last_year: row.get("last_year"),
        fund_sources: serde_json::from_str(&fund_sources)
            .map_err(|error| StoreError::Corrupt(format!("project fund sources: {error}")))?,
        updated_at: parse_time(row.get("updated_at"))?,
    })
}

pub(super) async fn find(
    connection: &mut SqliteConnection,
    code: &str,
) -> StoreResult<Option<ProjectRecord>> {
    sqlx::query(concat!(
        "SELECT ",
        columns!(),
        " FROM projects WHERE code = ?"
    ))
    .bind(code)
    .fetch_optional(&mut *connection)
    .await?
    .map(|row| from_row(&row))
    .transpose()
}

/// Checks that `project_code` is a project of `department_code` that runs in `year`.
pub(super) async fn check_project(
    connection: &mut SqliteConnection,
    department_code: &str,
    project_code: &str,
    year: i32,
) -> StoreResult<()> {
    match find(connection, project_code).await? {
        None => Err(invalid(
            "project_code",
            format!("unknown project {project_code:?}; upsert it first (UpsertProject)"),
        )),
        Some(project) if project.department_code != department_code => Err(invalid(
            "project_code",
            format!(
                "project {project_code:?} belongs to {:?}, not {department_code:?}",
                project.department_code
            ),
        )),
        Some(project) if !(project.first_year..=project.last_year).contains(&year) => Err(invalid(
            "year",
            format!(
                "project {project_code:?} runs from {} to {}, not in {year}",
                project.first_year, project.last_year
            ),
        )),
        Some(_) => Ok(()),
    }
}

/// UpsertProject in the transaction `tx`.
pub(super) async fn upsert(
    tx: &mut SqliteConnection,
    project: NewProject,
    idempotency: Option<&Idempotency>,
) -> StoreResult<ProjectOutcome> {
    if let Some(idempotency) = idempotency
        && let Some(answer) = replay(&mut *tx, idempotency).await?
    {
        return Ok(answer);
    }
    if !department_exists(&mut *tx, &project.department_code).await? {
        return Err(invalid(
            "project.department_code",
            format!(
                "unknown department {:?}; upsert it first",
                project.department_code
            ),
        ));
    }
    let existing = find(&mut *tx, &project.code).await?;
    if let Some(existing) = &existing
        && existing.department_code != project.department_code
    {
        return Err(invalid(
            "project.department_code",
            format!(
                "project {:?} belongs to {:?}; a project never moves to another department (give it a new code)",
                project.code, existing.department_code
            ),
        ));
    }
    let at = now();
    let outcome = match existing {
        Some(existing)
            if existing.name == project.name
                && existing.first_year == project.first_year
                && existing.last_year == project.last_year
                && existing.fund_sources == project.fund_sources =>
        {
            ProjectOutcome {
                project: existing,
                created: false,
            }
        }
        existing => {
            let sequence = read_sequence(&mut *tx).await? + 1;
            sqlx::query(
                "INSERT INTO projects (code, name, department_code, first_year, last_year, \
                   fund_sources, sequence, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?) \
                 ON CONFLICT (code) DO UPDATE SET name = excluded.name, \
                   first_year = excluded.first_year, last_year = excluded.last_year, \
                   fund_sources = excluded.fund_sources, sequence = excluded.sequence, \
                   updated_at = excluded.updated_at",
            )
            .bind(&project.code)
            .bind(&project.name)
            .bind(&project.department_code)
            .bind(project.first_year)
            .bind(project.last_year)
            .bind(serde_json::to_string(&project.fund_sources).expect("names serialize"))
            .bind(sequence)
            .bind(format_time(&at))
            .execute(&mut *tx)
            .await?;
            write_sequence(&mut *tx, sequence).await?;
            ProjectOutcome {
                created: existing.is_none(),
                project: ProjectRecord {
                    code: project.code,
                    name: project.name,
                    department_code: project.department_code,
                    first_year: project.first_year,
                    last_year: project.last_year,
                    fund_sources: project.fund_sources,
                    updated_at: at,
                },
            }
        }
    };
    if let Some(idempotency) = idempotency {
        remember(&mut *tx, idempotency, &outcome, &at).await?;
    }
    Ok(outcome)
}

/// ListProjects: ordered by code, of one department when given.
pub(super) async fn list(
    connection: &mut SqliteConnection,
    department_code: Option<String>,
    page_token: &str,
    page_size: u32,
) -> StoreResult<Page<ProjectRecord>> {
    let after: Option<String> = decode_token(page_token)?;
    let rows = sqlx::query(concat!(
        "SELECT ",
        columns!(),
        " FROM projects WHERE (? IS NULL OR department_code = ?) \
         AND (? IS NULL OR code > ?) ORDER BY code LIMIT ?"
    ))
    .bind(&department_code)
    .bind(&department_code)
    .bind(&after)
    .bind(&after)
    .bind(i64::from(page_size) + 1)
    .fetch_all(&mut *connection)
    .await?;
    let mut items = rows.iter().map(from_row).collect::<StoreResult<Vec<_>>>()?;
    let next_page_token = if items.len() > page_size as usize {
        items.truncate(page_size as usize);
        items
            .last()
            .map(|last| encode_token(&last.code))
            .unwrap_or_default()
    } else {
        String::new()
    };
    Ok(Page {
        items,
        next_page_token,
    })
}

/// Sends the projects of the departments in scope; `Ok(false)` when the reader is gone.
pub(super) async fn export(
    tx: &mut SqliteConnection,
    wanted: &BTreeSet<&str>,
    sender: &Exporter<'_>,
) -> StoreResult<bool> {
    let rows = sqlx::query(concat!(
        "SELECT ",
        columns!(),
        " FROM projects ORDER BY code"
    ))
    .fetch_all(&mut *tx)
    .await?;
    for row in &rows {
        let project = from_row(row)?;
        if wanted.contains(project.department_code.as_str())
            && !sender.send(ExportItem::Project(project)).await?
        {
            return Ok(false);
        }
    }
    Ok(true)
}
