//! Request ids (idempotent retries) and the change sequence (the ingestion watermark).

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde::de::DeserializeOwned;
use sqlx::{Row, SqliteConnection};

use super::format_time;
use crate::model::Idempotency;
use crate::{StoreError, StoreResult};

/// Looks up an earlier answer to the same request id: the answer when the content matches,
/// an error when it does not, nothing when the id is new.
pub(super) async fn replay<T: DeserializeOwned>(
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

pub(super) async fn remember<T: Serialize>(
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

pub(super) async fn read_sequence(connection: &mut SqliteConnection) -> StoreResult<i64> {
    Ok(
        sqlx::query_scalar("SELECT value FROM meta WHERE key = 'sequence'")
            .fetch_one(&mut *connection)
            .await?,
    )
}

pub(super) async fn write_sequence(
    connection: &mut SqliteConnection,
    sequence: i64,
) -> StoreResult<()> {
    sqlx::query("UPDATE meta SET value = ? WHERE key = 'sequence'")
        .bind(sequence)
        .execute(&mut *connection)
        .await?;
    Ok(())
}
