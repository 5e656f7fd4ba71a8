//! Online backup and offline restore of a service's SQLite file.
//!
//! A backup is taken with `VACUUM INTO`, which only reads: one read transaction, so
//! the copy is the database as of one commit, while the service goes on writing (WAL mode lets
//! readers and the writer work side by side). The copy is written under a temporary name,
//! synced, checked with `PRAGMA integrity_check` and only then renamed into place, so that a
//! file with the backup's name is always a whole, checked backup.
//!
//! A restore puts a checked backup in place of a database whose service is stopped.

use std::path::{Path, PathBuf};
use std::time::Duration;

use sqlx::sqlite::{SqliteConnectOptions, SqliteConnection};
use sqlx::{ConnectOptions, Connection};

/// What went wrong in a backup or a restore.
#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    /// A file could not be read, written or moved.
    #[error("{}: {reason}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// Why.
        reason: std::io::Error,
    },
    /// SQLite refused.
    #[error("{}: {reason}", path.display())]
    Database {
        /// The database.
        path: PathBuf,
        /// Why.
        reason: sqlx::Error,
    },
    /// The request cannot be carried out as asked.
    #[error("{0}")]
    Refused(String),
    /// The copy is damaged.
    #[error("{} failed the integrity check: {report}", path.display())]
    Damaged {
        /// The damaged file.
        path: PathBuf,
        /// What SQLite found.
        report: String,
    },
}

/// A finished backup or restore.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BackupReport {
    /// The file written.
    pub path: PathBuf,
    /// Its size in bytes.
    pub bytes: u64,
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> BackupError + '_ {
    move |reason| BackupError::Io {
        path: path.to_owned(),
        reason,
    }
}

fn database(path: &Path) -> impl FnOnce(sqlx::Error) -> BackupError + '_ {
    move |reason| BackupError::Database {
        path: path.to_owned(),
        reason,
    }
}

/// The file beside `path` with `suffix` added to its name.
fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}

async fn open_read_only(path: &Path) -> Result<SqliteConnection, BackupError> {
    open(path, true).await
}

/// Opens an existing database. A read-only connection that is the last one to close leaves a
/// WAL database's `-wal` and `-shm` files behind; a writable one removes them.
async fn open(path: &Path, read_only: bool) -> Result<SqliteConnection, BackupError> {
    if !path.is_file() {
        return Err(BackupError::Refused(format!(
            "{} is not a database file",
            path.display()
        )));
    }
    SqliteConnectOptions::new()
        .filename(path)
        .read_only(read_only)
        .create_if_missing(false)
        .busy_timeout(Duration::from_secs(30))
        .connect()
        .await
        .map_err(database(path))
}

/// Runs `PRAGMA integrity_check` on the file at `path`.
pub async fn check(path: &Path) -> Result<(), BackupError> {
    let mut connection = open_read_only(path).await?;
    let rows: Vec<String> = sqlx::query_scalar("PRAGMA integrity_check")
        .fetch_all(&mut connection)
        .await
        .map_err(database(path))?;
    connection.close().await.map_err(database(path))?;
    if rows == ["ok"] {
        Ok(())
    } else {
        Err(BackupError::Damaged {
            path: path.to_owned(),
            report: rows.join("; "),
        })
    }
}

fn sync_file_and_directory(path: &Path) -> Result<(), BackupError> {
    std::fs::File::open(path)
        .and_then(|file| file.sync_all())
        .map_err(io(path))?;
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::File::open(parent)
            .and_then(|directory| directory.sync_all())
            .map_err(io(parent))?;
    }
    Ok(())
}

/// Copies the database at `source` (live or not) to `destination`, which must not exist.
pub async fn backup(source: &Path, destination: &Path) -> Result<BackupReport, BackupError> {
    if destination.exists() {
        return Err(BackupError::Refused(format!(
            "{} exists; a backup never overwrites a file",
            destination.display()
        )));
    }
    if let Some(parent) = destination.parent().filter(|p| !p.as_os_str().is_empty())
        && !parent.is_dir()
    {
        return Err(BackupError::Refused(format!(
            "the directory {} does not exist",
            parent.display()
        )));
    }
    let partial = with_suffix(destination, ".partial");
    let _ = std::fs::remove_file(&partial);
    let result = async {
        // Writable, though it only reads: when the service is stopped this is the last
        // connection, and it must leave no `-wal` file behind that would block a restore.
        let mut connection = open(source, false).await?;
        let target = partial
            .to_str()
            .ok_or_else(|| BackupError::Refused(format!("{} is not UTF-8", partial.display())))?;
        sqlx::query("VACUUM INTO ?")
            .bind(target)
            .execute(&mut connection)
            .await
            .map_err(database(source))?;
        connection.close().await.map_err(database(source))?;
        sync_file_and_directory(&partial)?;
        check(&partial).await?;
        std::fs::rename(&partial, destination).map_err(io(destination))?;
        sync_file_and_directory(destination)?;
        let bytes = std::fs::metadata(destination)
            .map_err(io(destination))?
            .len();
        Ok(BackupReport {
            path: destination.to_owned(),
            bytes,
        })
    }
    .await;
    if result.is_err() {
        let _ = std::fs::remove_file(&partial);
    }
    result
}

/// Puts the backup at `backup` in place of the database at `database`, whose service must be
/// stopped. The backup is checked first; the database it replaces, if any, is kept beside it
/// as `<database>.before-restore` (an earlier one is replaced).
pub async fn restore(backup: &Path, database: &Path) -> Result<BackupReport, BackupError> {
    check(backup).await?;
    let wal = with_suffix(database, "-wal");
    let shm = with_suffix(database, "-shm");
    if wal.exists() || shm.exists() {
        return Err(BackupError::Refused(format!(
            "{} looks in use ({} or {} exists): stop its service first; if it crashed, start and stop it once so that it recovers, then restore",
            database.display(),
            wal.display(),
            shm.display()
        )));
    }
    if let Some(parent) = database.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent).map_err(io(parent))?;
    }
    let incoming = with_suffix(database, ".restoring");
    std::fs::copy(backup, &incoming).map_err(io(&incoming))?;
    sync_file_and_directory(&incoming)?;
    if database.exists() {
        let kept = with_suffix(database, ".before-restore");
        std::fs::rename(database, &kept).map_err(io(&kept))?;
    }
    std::fs::rename(&incoming, database).map_err(io(database))?;
    sync_file_and_directory(database)?;
    let bytes = std::fs::metadata(database).map_err(io(database))?.len();
    Ok(BackupReport {
        path: database.to_owned(),
        bytes,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn database_with_rows(path: &Path, rows: i64) {
        let mut connection = SqliteConnectOptions::new()
            .filename(path)
            .create_if_missing(true)
            .journal_mode(sqlx::sqlite::SqliteJournalMode::Wal)
            .connect()
            .await
            .unwrap();
        sqlx::query("CREATE TABLE t (n INTEGER PRIMARY KEY)")
            .execute(&mut connection)
            .await
            .unwrap();
        for n in 0..rows {
            sqlx::query("INSERT INTO t VALUES (?)")
                .bind(n)
                .execute(&mut connection)
                .await
                .unwrap();
        }
        connection.close().await.unwrap();
    }

    async fn count(path: &Path) -> i64 {
        let mut connection = open_read_only(path).await.unwrap();
        sqlx::query_scalar("SELECT COUNT(*) FROM t")
            .fetch_one(&mut connection)
            .await
            .unwrap()
    }

    #[tokio::test]
    async fn a_backup_never_overwrites_and_a_restore_keeps_the_replaced_file() {
        let dir = tempfile::tempdir().unwrap();
        let source = dir.path().join("a.sqlite");
        database_with_rows(&source, 3).await;
        let copy = dir.path().join("copy.sqlite");
        let report = backup(&source, &copy).await.unwrap();
        assert!(report.bytes > 0);
        assert_eq!(count(&copy).await, 3);
        let again = backup(&source, &copy).await.unwrap_err();
        assert!(again.to_string().contains("never overwrites"), "{again}");
        assert!(!with_suffix(&copy, ".partial").exists());

        let nowhere = backup(&source, &dir.path().join("no/such/dir.sqlite"))
            .await
            .unwrap_err();
        assert!(nowhere.to_string().contains("does not exist"), "{nowhere}");
        let missing = backup(&dir.path().join("none.sqlite"), &dir.path().join("x"))
            .await
            .unwrap_err();
        assert!(
            missing.to_string().contains("is not a database file"),
            "{missing}"
        );

        let target = dir.path().join("restored/b.sqlite");
        std::fs::create_dir(dir.path().join("restored")).unwrap();
        database_with_rows(&target, 1).await;
        restore(&copy, &target).await.unwrap();
        assert_eq!(count(&target).await, 3);
        assert_eq!(count(&with_suffix(&target, ".before-restore")).await, 1);
    }

    #[tokio::test]
    async fn a_damaged_backup_is_not_restored_and_a_database_in_use_is_not_replaced() {
        let dir = tempfile::tempdir().unwrap();
        let damaged = dir.path().join("damaged.sqlite");
        std::fs::write(&damaged, b"not a database at all, just bytes").unwrap();
        let target = dir.path().join("target.sqlite");
        let error = restore(&damaged, &target).await.unwrap_err();
        assert!(!target.exists(), "{error}");

        let good = dir.path().join("good.sqlite");
        database_with_rows(&good, 2).await;
        database_with_rows(&target, 1).await;
        std::fs::write(with_suffix(&target, "-wal"), b"").unwrap();
        let error = restore(&good, &target).await.unwrap_err();
        assert!(error.to_string().contains("stop its service"), "{error}");
        assert_eq!(count(&target).await, 1);
    }
}
