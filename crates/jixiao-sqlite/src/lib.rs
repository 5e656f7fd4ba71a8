//! What both jixiao services share of SQLite:
//!
//! - [`open_pools`]: a database file opened the way every jixiao store opens one (created with
//!   its directory, WAL, a busy timeout, foreign keys; one writer connection on which the
//!   migrations run, and a pool of read-only connections);
//! - [`time`]: how instants are stored (RFC 3339, microseconds, UTC);
//! - [`token`]: page tokens (the hexadecimal of the JSON of the last key returned);
//! - [`backup`]: online backup and offline restore of a service's file.

pub mod backup;

use std::path::Path;
use std::time::Duration;

use sqlx::SqlitePool;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};

/// How a SQLite file is opened.
#[derive(Debug, Clone)]
pub struct PoolOptions {
    /// `synchronous = FULL` (an acknowledged write survives a power loss) rather than `NORMAL`
    /// (it survives a crash of the process).
    pub durable: bool,
    /// Read-only connections in the read pool.
    pub read_connections: u32,
    /// How long a connection waits for a lock before failing.
    pub busy_timeout: Duration,
}

impl Default for PoolOptions {
    fn default() -> Self {
        Self {
            durable: true,
            read_connections: 4,
            busy_timeout: Duration::from_secs(10),
        }
    }
}

/// Why a database could not be opened.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    /// Its directory could not be made.
    #[error("could not prepare {path}: {source}")]
    Io {
        /// The directory.
        path: String,
        /// Why.
        source: std::io::Error,
    },
    /// SQLite refused.
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    /// The schema could not be brought up to date (or is newer than this binary knows).
    #[error("database migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
}

/// Opens the SQLite file at `path`: created if missing (with its directory), WAL, a busy
/// timeout, foreign keys; one writer connection, on which `migrator` brings the schema up to
/// date, and a pool of read-only connections. Returns (writer, readers).
///
/// # Errors
///
/// [`OpenError`]: the directory, the file, or the migrations.
pub async fn open_pools(
    path: &Path,
    options: &PoolOptions,
    migrator: &sqlx::migrate::Migrator,
) -> Result<(SqlitePool, SqlitePool), OpenError> {
    refuse_unpoolable(path)?;
    if let Some(parent) = path
        .parent()
        .filter(|parent| !parent.as_os_str().is_empty())
    {
        std::fs::create_dir_all(parent).map_err(|source| OpenError::Io {
            path: parent.display().to_string(),
            source,
        })?;
    }
    let connect = SqliteConnectOptions::new()
        .filename(path)
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(if options.durable {
            SqliteSynchronous::Full
        } else {
            SqliteSynchronous::Normal
        })
        .busy_timeout(options.busy_timeout)
        .foreign_keys(true);
    let writer = SqlitePoolOptions::new()
        .max_connections(1)
        .min_connections(1)
        .idle_timeout(None)
        .max_lifetime(None)
        .connect_with(connect.clone())
        .await?;
    migrator.run(&writer).await?;
    let readers = SqlitePoolOptions::new()
        .max_connections(options.read_connections.max(1))
        .connect_with(connect.read_only(true))
        .await?;
    Ok((writer, readers))
}

/// Refuses a database name a pool cannot share: an in-memory database (`:memory:`, a URI with
/// `mode=memory`) gives every connection its own empty database, so writes would vanish and
/// reads fail; a URI (`file:…`) is not a file name this opener passes on as one.
fn refuse_unpoolable(path: &Path) -> Result<(), OpenError> {
    let text = path.to_string_lossy();
    let name = path
        .file_name()
        .map(|name| name.to_string_lossy())
        .unwrap_or_default();
    let reason = if name == ":memory:" || text.contains("mode=memory") {
        "an in-memory database gives each connection of the pool its own empty database: name a file (database_file)"
    } else if name.starts_with("file:") || text.starts_with("file:") {
        "a URI is not a file name: name the file itself (database_file)"
    } else {
        return Ok(());
    };
    Err(OpenError::Io {
        path: text.into_owned(),
        source: std::io::Error::new(std::io::ErrorKind::InvalidInput, reason),
    })
}

/// How instants are stored: RFC 3339 text in UTC, to the microsecond.
pub mod time {
    use chrono::{DateTime, SecondsFormat, SubsecRound, Utc};

    /// Now, to the microsecond: what is stored, so that an answer and a later read agree.
    pub fn now() -> DateTime<Utc> {
        Utc::now().trunc_subsecs(6)
    }

    /// An instant as stored.
    pub fn format(time: &DateTime<Utc>) -> String {
        time.to_rfc3339_opts(SecondsFormat::Micros, true)
    }

    /// An instant read back.
    ///
    /// # Errors
    ///
    /// The text and why it is not an RFC 3339 instant.
    pub fn parse(text: &str) -> Result<DateTime<Utc>, String> {
        DateTime::parse_from_rfc3339(text)
            .map(|time| time.with_timezone(&Utc))
            .map_err(|error| format!("timestamp {text:?}: {error}"))
    }
}

/// Page tokens: the hexadecimal of the JSON of the last key returned (opaque to clients).
pub mod token {
    use serde::Serialize;
    use serde::de::DeserializeOwned;

    /// Longest token accepted, in characters.
    const MAX_TOKEN_LEN: usize = 4096;

    /// Encodes the last key of a page.
    pub fn encode<T: Serialize>(key: &T) -> String {
        let json = serde_json::to_vec(key).expect("keys serialize");
        json.iter().map(|byte| format!("{byte:02x}")).collect()
    }

    /// Decodes a token: `Ok(None)` for the empty token (the first page), `Err(())` for a text
    /// this service never returned.
    #[allow(clippy::result_unit_err)]
    pub fn decode<T: DeserializeOwned>(token: &str) -> Result<Option<T>, ()> {
        if token.is_empty() {
            return Ok(None);
        }
        if !token.len().is_multiple_of(2) || token.len() > MAX_TOKEN_LEN {
            return Err(());
        }
        let bytes = (0..token.len())
            .step_by(2)
            .map(|index| u8::from_str_radix(&token[index..index + 2], 16))
            .collect::<Result<Vec<u8>, _>>()
            .map_err(|_| ())?;
        serde_json::from_slice(&bytes).map(Some).map_err(|_| ())
    }

    #[cfg(test)]
    mod tests {
        #[test]
        fn a_token_decodes_to_the_key_it_encodes_and_nothing_else_decodes() {
            let key = ("2022".to_owned(), 7i64);
            assert_eq!(super::decode(&super::encode(&key)), Ok(Some(key)));
            assert_eq!(super::decode::<(String, i64)>(""), Ok(None));
            for bad in ["zz", "abc", "7b7d7d", &"00".repeat(3000)] {
                assert_eq!(super::decode::<(String, i64)>(bad), Err(()), "{bad}");
            }
        }
    }
}
