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

/// A database name a pool cannot share (in memory, a URI) is refused at open, with the reason.
#[tokio::test]
async fn an_in_memory_database_is_refused_at_open() {
    let dir = tempfile::tempdir().unwrap();
    for name in [":memory:", "file:ingest.sqlite?mode=memory&cache=shared"] {
        let error = SqliteStore::open(&dir.path().join(name), &StoreOptions::default())
            .await
            .unwrap_err();
        assert!(
            error.to_string().contains("database_file"),
            "{name}: {error}"
        );
    }
    let error = SqliteStore::open(std::path::Path::new(":memory:"), &StoreOptions::default())
        .await
        .unwrap_err();
    assert!(error.to_string().contains("in-memory"), "{error}");
}

/// The migrations are pinned to LF (`.gitattributes`): a copy with CRLF line endings, as a
/// checkout on Windows would make, has other checksums, and a database migrated by the LF
/// files refuses it rather than taking it for the same schema.
#[tokio::test]
async fn migrations_are_lf_and_a_crlf_copy_is_refused_by_the_checksum() {
    let migrations = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations");
    let crlf = tempfile::tempdir().unwrap();
    for entry in std::fs::read_dir(&migrations).unwrap() {
        let entry = entry.unwrap();
        let text = std::fs::read_to_string(entry.path()).unwrap();
        assert!(!text.contains('\r'), "{} has CR", entry.path().display());
        std::fs::write(
            crlf.path().join(entry.file_name()),
            text.replace('\n', "\r\n"),
        )
        .unwrap();
    }
    let attributes = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../.gitattributes"),
    )
    .unwrap();
    assert!(attributes.contains("*.sql text eol=lf"), "{attributes}");

    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ingest.sqlite");
    SqliteStore::open(&path, &StoreOptions::default())
        .await
        .unwrap()
        .close()
        .await;
    let migrator = sqlx::migrate::Migrator::new(crlf.path()).await.unwrap();
    let pool = sqlx::SqlitePool::connect_with(SqliteConnectOptions::new().filename(&path))
        .await
        .unwrap();
    let error = migrator.run(&pool).await.unwrap_err();
    assert!(
        matches!(error, sqlx::migrate::MigrateError::VersionMismatch(_)),
        "{error}"
    );
}
