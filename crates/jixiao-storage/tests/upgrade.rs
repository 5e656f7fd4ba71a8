//! Upgrades: a store migrates its schema when it opens, and a binary that does not know a
//! migration already applied to the file (an older release after an upgrade) refuses to open it
//! instead of writing to a schema it does not understand.

use jixiao_storage::{SqliteStore, StoreError, StoreOptions};
use sqlx::ConnectOptions;
use sqlx::sqlite::SqliteConnectOptions;

#[tokio::test]
async fn a_database_migrated_by_a_newer_release_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ingest.sqlite");
    let store = SqliteStore::open(&path, &StoreOptions::default())
        .await
        .unwrap();
    store.close().await;
    // Opening again is a no-op migration.
    SqliteStore::open(&path, &StoreOptions::default())
        .await
        .unwrap()
        .close()
        .await;

    // A newer release's migration, applied to the file.
    let mut connection = SqliteConnectOptions::new()
        .filename(&path)
        .connect()
        .await
        .unwrap();
    sqlx::query(
        "INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time)
         VALUES (99990101000000, 'from a newer release', 1, x'00', 0)",
    )
    .execute(&mut connection)
    .await
    .unwrap();
    drop(connection);

    let error = SqliteStore::open(&path, &StoreOptions::default())
        .await
        .unwrap_err();
    assert!(matches!(error, StoreError::Migrate(_)), "{error}");
    assert!(error.to_string().contains("99990101000000"), "{error}");
}
