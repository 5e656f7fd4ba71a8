//! Departments: UpsertDepartment and ListDepartments, and their rows.

use sqlx::sqlite::{SqlitePool, SqliteRow};
use sqlx::{Row, SqliteConnection};

use super::requests::{read_sequence, remember, replay, write_sequence};
use super::{decode_token, encode_token, format_time, invalid, now, parse_time};
use crate::StoreResult;
use crate::model::{DepartmentOutcome, DepartmentRecord, Idempotency, NewDepartment, Page};

pub(super) fn department_from_row(row: &SqliteRow) -> StoreResult<DepartmentRecord> {
    Ok(DepartmentRecord {
        code: row.get("code"),
        name: row.get("name"),
        parent_code: row.get("parent_code"),
        updated_at: parse_time(row.get("updated_at"))?,
    })
}

pub(super) async fn department_exists(
    connection: &mut SqliteConnection,
    code: &str,
) -> StoreResult<bool> {
    Ok(sqlx::query("SELECT 1 FROM departments WHERE code = ?")
        .bind(code)
        .fetch_optional(&mut *connection)
        .await?
        .is_some())
}

/// The department with this code, if any.
pub(super) async fn find(
    connection: &mut SqliteConnection,
    code: &str,
) -> StoreResult<Option<DepartmentRecord>> {
    sqlx::query("SELECT code, name, parent_code, updated_at FROM departments WHERE code = ?")
        .bind(code)
        .fetch_optional(&mut *connection)
        .await?
        .map(|row| department_from_row(&row))
        .transpose()
}

/// The body of [`crate::IngestStore::upsert_department`], in the transaction `tx`.
pub(super) async fn upsert(
    tx: &mut SqliteConnection,
    department: NewDepartment,
    idempotency: Option<&Idempotency>,
) -> StoreResult<DepartmentOutcome> {
    if let Some(idempotency) = idempotency
        && let Some(answer) = replay(&mut *tx, idempotency).await?
    {
        return Ok(answer);
    }
    if let Some(parent) = &department.parent_code {
        if !department_exists(&mut *tx, parent).await? {
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
    let existing = find(&mut *tx, &department.code).await?;
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
            let sequence = read_sequence(&mut *tx).await? + 1;
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
            write_sequence(&mut *tx, sequence).await?;
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
    if let Some(idempotency) = idempotency {
        remember(&mut *tx, idempotency, &outcome, &at).await?;
    }
    Ok(outcome)
}

/// The body of [`crate::IngestStore::list_departments`].
pub(super) async fn list(
    readers: &SqlitePool,
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
    .fetch_all(readers)
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
