//! The hub's storage: one SQLite file (WAL), ordered migrations applied in one transaction, and a
//! schema version check that refuses a database written by a newer build (the opening and
//! migrating are `linker_base::sqlite`'s; the schema, the lock file and the checkpointer are
//! the hub's).

pub mod admin;
pub mod assignments;
pub mod attachments;
pub mod authorizations;
pub mod console;
pub mod deliveries;
pub mod exchanges;
pub mod forced;
pub mod invitation_mail;
pub mod merchants;
mod migrations;
pub mod payments;
pub mod projects;
pub mod rejected;
pub mod runs;

use std::path::Path;
use std::sync::{Mutex, MutexGuard};

use linker_base::sqlite;
use rusqlite::{Connection, OptionalExtension};

use migrations::MIGRATIONS;

/// What can go wrong opening or using the store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// SQLite failed.
    #[error("database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
    /// The database was written by a newer build of Linker.
    #[error(
        "the database has schema version {found}, newer than this build understands ({supported}); \
         use a newer Linker or another data folder"
    )]
    NewerSchema {
        /// The version found in the file.
        found: i64,
        /// The newest version this build knows.
        supported: i64,
    },
    /// A stored JSON column could not be read back.
    #[error("stored data is corrupt: {0}")]
    Corrupt(String),
    /// The data folder's lock could not be taken (another hub uses it).
    #[error("cannot lock the database: {0}")]
    Lock(String),
    /// The database file could not be created.
    #[error("{0}")]
    Create(String),
    /// The checkpoint thread could not be started.
    #[error("cannot start the checkpoint thread: {0}")]
    Thread(String),
}

/// Every table's operations over one connection or one open transaction (see [`Store::db`] and
/// [`Store::transaction`]): `db.payments()`, `db.runs()`, ... Each table or aggregate has a file
/// of its own under `store/`, with typed rows in and out; nothing outside `store/` writes SQL.
#[derive(Debug, Clone, Copy)]
pub struct Db<'c> {
    connection: &'c Connection,
}

/// The newest schema version this build writes.
pub const SCHEMA_VERSION: i64 = sqlite::schema_version(MIGRATIONS);

/// The hub's database.
#[derive(Debug)]
pub struct Store {
    connection: Mutex<Connection>,
    /// Moves the WAL into the database on its own connection and thread; `None` in memory.
    checkpointer: Option<Checkpointer>,
    /// Held (locked) for the store's life, so a second hub on the same data folder is refused.
    _lock: Option<std::fs::File>,
}

/// How often the checkpointer moves committed pages from the WAL into the database file.
const CHECKPOINT_INTERVAL: std::time::Duration = std::time::Duration::from_millis(500);

impl Store {
    /// Opens (creating if needed) the database file and brings its schema up to date.
    pub fn open(path: &Path) -> Result<Store, StoreError> {
        let mut lock_path = path.as_os_str().to_owned();
        lock_path.push(".lock");
        let lock_path = std::path::PathBuf::from(lock_path);
        linker_base::private::create_file(&lock_path)
            .map_err(|error| StoreError::Lock(format!("{}: {error}", lock_path.display())))?;
        let lock = std::fs::OpenOptions::new()
            .write(true)
            .open(&lock_path)
            .map_err(|error| StoreError::Lock(format!("{}: {error}", lock_path.display())))?;
        if let Err(error) = lock.try_lock() {
            return Err(StoreError::Lock(format!(
                "{} is in use by another hub ({error}); stop it or use another data folder",
                path.display()
            )));
        }
        // Every project's private key lives here: the owner's alone (SQLite gives the -wal and
        // -shm files the database's permissions).
        linker_base::private::create_file(path)
            .map_err(|error| StoreError::Create(format!("{}: {error}", path.display())))?;
        let mut store = Store::prepare(Connection::open(path)?, true)?;
        store.checkpointer = Some(Checkpointer::start(Connection::open(path)?)?);
        store._lock = Some(lock);
        Ok(store)
    }

    /// An in-memory database, for tests.
    pub fn in_memory() -> Result<Store, StoreError> {
        Store::prepare(Connection::open_in_memory()?, false)
    }

    fn prepare(
        mut connection: Connection,
        checkpoint_elsewhere: bool,
    ) -> Result<Store, StoreError> {
        // WAL keeps readers off writers' backs; NORMAL is durable across a process crash (the
        // hub's failure model: SIGKILL), which is what "nothing acknowledged is lost" needs.
        // With NORMAL a commit never waits for the disk; only a checkpoint does (it syncs the
        // WAL and the database). Checkpoints therefore run on their own connection and thread
        // (`Checkpointer`), not inside a request's transaction while every other request waits
        // for the connection: on a 2-core machine that stall alone idled an eighth of the CPU
        // under load (`linker bench hub`).
        let pragmas = sqlite::Pragmas {
            synchronous: sqlite::Synchronous::Normal,
            busy_timeout: std::time::Duration::from_secs(5),
            auto_checkpoint: !checkpoint_elsewhere,
        };
        sqlite::prepare(&mut connection, pragmas, MIGRATIONS)?;
        // Hot statements are prepared once (`prepare_cached`); room for all of them.
        connection.set_prepared_statement_cache_capacity(256);
        Ok(Store {
            connection: Mutex::new(connection),
            checkpointer: None,
            _lock: None,
        })
    }

    /// Runs `f` with the raw connection (the store's own tests only).
    #[cfg(test)]
    fn with<T>(
        &self,
        f: impl FnOnce(&mut Connection) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        f(&mut self.lock())
    }

    /// Runs `f` over the tables outside a transaction: each statement commits on its own.
    /// Keep `f` short: it holds the database.
    pub fn db<T, E: From<StoreError>>(
        &self,
        f: impl FnOnce(Db<'_>) -> Result<T, E>,
    ) -> Result<T, E> {
        let connection = self.lock();
        f(Db {
            connection: &connection,
        })
    }

    /// Runs `f` in one transaction, committed when `f` returns `Ok` and rolled back otherwise.
    /// `f` gets the same [`Db`] operations as [`Store::db`].
    pub fn transaction<T, E: From<StoreError>>(
        &self,
        f: impl FnOnce(Db<'_>) -> Result<T, E>,
    ) -> Result<T, E> {
        let mut connection = self.lock();
        let transaction = connection.transaction().map_err(StoreError::from)?;
        let value = f(Db {
            connection: &transaction,
        })?;
        transaction.commit().map_err(StoreError::from)?;
        Ok(value)
    }

    fn lock(&self) -> MutexGuard<'_, Connection> {
        self.connection
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The schema version of the open database.
    pub fn schema_version(&self) -> Result<i64, StoreError> {
        Ok(sqlite::user_version(&self.lock())?)
    }
}

impl From<sqlite::OpenError> for StoreError {
    fn from(error: sqlite::OpenError) -> StoreError {
        match error {
            sqlite::OpenError::Sqlite(error) => StoreError::Sqlite(error),
            create @ sqlite::OpenError::Create { .. } => StoreError::Create(create.to_string()),
            sqlite::OpenError::NewerSchema { found, supported } => {
                StoreError::NewerSchema { found, supported }
            }
        }
    }
}

/// Reads a JSON column into a value, reporting corruption instead of panicking.
pub fn from_json<T: serde::de::DeserializeOwned>(
    text: &str,
    column: &str,
) -> Result<T, StoreError> {
    serde_json::from_str(text).map_err(|error| StoreError::Corrupt(format!("{column}: {error}")))
}

/// Writes a value as a JSON column.
pub fn to_json<T: serde::Serialize>(value: &T) -> String {
    serde_json::to_string(value).unwrap_or_else(|_| "null".to_owned())
}

/// Writes a time column: RFC 3339, as every time column is stored (and compared as text).
pub fn time_text(time: chrono::DateTime<chrono::Utc>) -> String {
    time.to_rfc3339()
}

/// Reads an RFC 3339 time column (NULL as `None`), reporting a bad value as a conversion error
/// of column `index`.
pub fn time_column(
    index: usize,
    text: Option<String>,
) -> rusqlite::Result<Option<chrono::DateTime<chrono::Utc>>> {
    text.map(|t| {
        chrono::DateTime::parse_from_rfc3339(&t)
            .map(|t| t.with_timezone(&chrono::Utc))
            .map_err(|e| {
                rusqlite::Error::FromSqlConversionFailure(
                    index,
                    rusqlite::types::Type::Text,
                    e.into(),
                )
            })
    })
    .transpose()
}

/// Runs a query expected to return at most one row.
pub fn optional<T>(result: rusqlite::Result<T>) -> Result<Option<T>, StoreError> {
    Ok(result.optional()?)
}

impl Drop for Store {
    fn drop(&mut self) {
        // Stop the checkpointer first, so the main connection closes last and folds the WAL
        // into the database file.
        self.checkpointer.take();
    }
}

/// A thread that checkpoints the WAL every [`CHECKPOINT_INTERVAL`] on its own connection.
/// A PASSIVE checkpoint never blocks the writer, so requests go on while it syncs.
#[derive(Debug)]
struct Checkpointer {
    stop: Option<std::sync::mpsc::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Checkpointer {
    fn start(connection: Connection) -> Result<Checkpointer, StoreError> {
        connection.busy_timeout(std::time::Duration::from_secs(5))?;
        let (stop, stopped) = std::sync::mpsc::channel::<()>();
        let thread = std::thread::Builder::new()
            .name("hub-checkpoint".to_owned())
            .spawn(move || {
                while let Err(std::sync::mpsc::RecvTimeoutError::Timeout) =
                    stopped.recv_timeout(CHECKPOINT_INTERVAL)
                {
                    let result =
                        connection.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |row| {
                            row.get::<_, i64>(0)
                        });
                    if let Err(error) = result {
                        tracing::warn!(%error, "WAL checkpoint failed; the next one retries");
                    }
                }
            })
            .map_err(|error| StoreError::Thread(error.to_string()))?;
        Ok(Checkpointer {
            stop: Some(stop),
            thread: Some(thread),
        })
    }
}

impl Drop for Checkpointer {
    fn drop(&mut self) {
        self.stop.take();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn a_new_database_gets_the_current_schema_and_reopens() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("hub.sqlite");
        let store = Store::open(&path).unwrap();
        assert_eq!(store.schema_version().unwrap(), SCHEMA_VERSION);
        drop(store);
        let store = Store::open(&path).unwrap();
        assert_eq!(
            store.schema_version().unwrap(),
            SCHEMA_VERSION,
            "reopening changes nothing"
        );
        let mode: String = store
            .with(|c| Ok(c.pragma_query_value(None, "journal_mode", |row| row.get(0))?))
            .unwrap();
        assert_eq!(mode, "wal");
    }

    #[test]
    fn a_second_store_on_the_same_file_is_refused_until_the_first_closes() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("hub.sqlite");
        let first = Store::open(&path).unwrap();
        first
            .with(|c| Ok(c.execute_batch("CREATE TABLE t (x); INSERT INTO t VALUES (7);")?))
            .unwrap();
        let error = Store::open(&path).unwrap_err();
        assert!(
            matches!(&error, StoreError::Lock(message) if message.contains("in use by another hub")),
            "a second hub on the same folder must be refused, got {error}"
        );
        drop(first);
        let second = Store::open(&path).unwrap();
        let x: i64 = second
            .with(|c| Ok(c.query_row("SELECT x FROM t", [], |row| row.get(0))?))
            .unwrap();
        assert_eq!(x, 7, "the first store's commit is there after it closed");
        drop(second);
        assert!(
            !dir.path().join("hub.sqlite-wal").exists(),
            "closing folds the WAL into the database file"
        );
    }

    #[test]
    fn a_database_from_a_newer_build_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("hub.sqlite");
        {
            let connection = Connection::open(&path).unwrap();
            connection
                .pragma_update(None, "user_version", SCHEMA_VERSION + 1)
                .unwrap();
        }
        let error = Store::open(&path).unwrap_err();
        assert!(
            matches!(error, StoreError::NewerSchema { found, .. } if found == SCHEMA_VERSION + 1),
            "expected NewerSchema, got {error}"
        );
    }
}
