//! The hub's storage: one SQLite file (WAL), ordered migrations applied in one transaction, and a
//! schema version check that refuses a database written by a newer build (the opening and
//! migrating are `linker_base::sqlite`'s; the schema, the lock file and the checkpointer, which
//! keeps the WAL bounded ([`wal`]), are the hub's).
//!
//! The connection is one, behind a mutex. A use of it from an async worker of a multi-thread
//! runtime runs in `tokio::task::block_in_place`, so a request that waits for the store (or runs
//! a slow query) hands its worker's other tasks to another thread: `/health` and every route
//! that needs no storage keep answering while the store is busy. Inside
//! [`Store::inline_when_free`] (the Alipay+ gateway's short calls) a use runs inline when the
//! connection is free and hands over only when it must wait.

pub mod acqp_authorizations;
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
mod packed;
pub mod payments;
pub mod project_tokens;
pub mod projects;
pub mod rejected;
pub mod runs;
pub mod sign_in_tickets;
pub mod wal;

use std::path::Path;
use std::sync::{Arc, Mutex, MutexGuard};

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
    connection: Arc<Mutex<Connection>>,
    /// How many uses wait for the connection (see [`Store::waiting_for_test`]).
    waiting: std::sync::atomic::AtomicUsize,
    /// Keeps the WAL bounded, moving it into the database on its own connection and thread;
    /// `None` in memory.
    wal: Option<wal::Wal>,
    /// Held (locked) for the store's life, so a second hub on the same data folder is refused.
    _lock: Option<std::fs::File>,
}

impl Store {
    /// Opens (creating if needed) the database file and brings its schema up to date.
    pub fn open(path: &Path) -> Result<Store, StoreError> {
        Store::open_with(path, wal::WalBudget::default())
    }

    /// [`Store::open`] with the WAL kept within `budget`.
    pub(crate) fn open_with(path: &Path, budget: wal::WalBudget) -> Result<Store, StoreError> {
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
        let mut store = Store::prepare(Connection::open(path)?, Some(budget))?;
        store.wal = Some(wal::Wal::start(
            path,
            Connection::open(path)?,
            Arc::clone(&store.connection),
            budget,
        )?);
        store._lock = Some(lock);
        Ok(store)
    }

    /// An in-memory database, for tests.
    pub fn in_memory() -> Result<Store, StoreError> {
        Store::prepare(Connection::open_in_memory()?, None)
    }

    /// `budget` is `Some` for a file, whose WAL a checkpointer keeps within it.
    fn prepare(
        mut connection: Connection,
        budget: Option<wal::WalBudget>,
    ) -> Result<Store, StoreError> {
        // WAL keeps readers off writers' backs; NORMAL is durable across a process crash (the
        // hub's failure model: SIGKILL), which is what "nothing acknowledged is lost" needs.
        // With NORMAL a commit never waits for the disk; only a checkpoint does (it syncs the
        // WAL and the database). Checkpoints therefore run on their own connection and thread
        // (`Checkpointer`), not inside a request's transaction while every other request waits
        // for the connection: on a 2-core machine that stall alone idled an eighth of the CPU
        // under load (`linker bench hub`). It also keeps the log bounded ([`wal`]).
        let pragmas = sqlite::Pragmas {
            synchronous: sqlite::Synchronous::Normal,
            busy_timeout: std::time::Duration::from_secs(5),
            auto_checkpoint: budget.is_none(),
        };
        sqlite::prepare(&mut connection, pragmas, MIGRATIONS)?;
        exchanges::register_functions(&connection)?;
        // Hot statements are prepared once (`prepare_cached`); room for all of them.
        connection.set_prepared_statement_cache_capacity(256);
        Ok(Store {
            connection: Arc::new(Mutex::new(connection)),
            waiting: std::sync::atomic::AtomicUsize::new(0),
            wal: None,
            _lock: None,
        })
    }

    /// Runs `f` with the raw connection (the store's own tests only).
    #[cfg(test)]
    fn with<T>(
        &self,
        f: impl FnOnce(&mut Connection) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        self.use_connection(f)
    }

    /// Runs `f` holding the connection; past the WAL's hard bound, then waits (not holding it)
    /// for the checkpointer to empty the log. On an async worker of a multi-thread runtime this
    /// runs in `block_in_place`: waiting for the mutex (behind a slow query, a log restart) and
    /// the query itself then hold up this request alone, never the other tasks of the worker
    /// (`/health` among them). Elsewhere (a blocking thread, a current-thread runtime, no
    /// runtime) it runs as it is.
    fn use_connection<T>(&self, f: impl FnOnce(&mut Connection) -> T) -> T {
        if !on_multi_thread_runtime() {
            return self.use_held(self.lock(), f);
        }
        if INLINE_WHEN_FREE.get()
            && let Ok(connection) = self.connection.try_lock()
        {
            return self.use_held(connection, f);
        }
        tokio::task::block_in_place(|| self.use_held(self.lock(), f))
    }

    /// Runs `f` on the held connection, then keeps the WAL within its bounds (see
    /// [`Store::use_connection`]).
    fn use_held<T>(
        &self,
        mut connection: MutexGuard<'_, Connection>,
        f: impl FnOnce(&mut Connection) -> T,
    ) -> T {
        let value = f(&mut connection);
        let full = self
            .wal
            .as_ref()
            .is_some_and(|wal| wal.after_use(&connection));
        drop(connection);
        if full && let Some(wal) = &self.wal {
            // Waiting for the checkpointer is waiting: never on an async worker.
            if on_multi_thread_runtime() {
                tokio::task::block_in_place(|| wal.wait_for_room());
            } else {
                wal.wait_for_room();
            }
        }
        value
    }

    /// Runs `f` with this thread's uses of the store made inline whenever the connection is
    /// free: for work made of short, indexed statements (an Alipay+ call), where handing the
    /// async worker's other tasks to another thread at each use would cost more than the use.
    /// A use that finds the connection taken (behind a slow query, a log restart) still waits
    /// in `block_in_place`, holding up only its own request.
    pub fn inline_when_free<T>(f: impl FnOnce() -> T) -> T {
        struct Restore(bool);
        impl Drop for Restore {
            fn drop(&mut self) {
                INLINE_WHEN_FREE.set(self.0);
            }
        }
        let _restore = Restore(INLINE_WHEN_FREE.replace(true));
        f()
    }

    /// Runs `f` over the tables outside a transaction: each statement commits on its own.
    /// Keep `f` short: it holds the database.
    pub fn db<T, E: From<StoreError>>(
        &self,
        f: impl FnOnce(Db<'_>) -> Result<T, E>,
    ) -> Result<T, E> {
        self.use_connection(|connection| {
            f(Db {
                connection: &*connection,
            })
        })
    }

    /// Runs `f` in one transaction, committed when `f` returns `Ok` and rolled back otherwise.
    /// `f` gets the same [`Db`] operations as [`Store::db`].
    pub fn transaction<T, E: From<StoreError>>(
        &self,
        f: impl FnOnce(Db<'_>) -> Result<T, E>,
    ) -> Result<T, E> {
        self.use_connection(|connection| {
            let transaction = connection.transaction().map_err(StoreError::from)?;
            let value = f(Db {
                connection: &transaction,
            })?;
            transaction.commit().map_err(StoreError::from)?;
            Ok(value)
        })
    }

    fn lock(&self) -> MutexGuard<'_, Connection> {
        match self.connection.try_lock() {
            Ok(connection) => connection,
            Err(std::sync::TryLockError::Poisoned(poisoned)) => poisoned.into_inner(),
            Err(std::sync::TryLockError::WouldBlock) => {
                self.waiting
                    .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                let connection = self
                    .connection
                    .lock()
                    .unwrap_or_else(|poisoned| poisoned.into_inner());
                self.waiting
                    .fetch_sub(1, std::sync::atomic::Ordering::Relaxed);
                connection
            }
        }
    }

    /// How many uses of the store wait for the connection right now (for tests).
    #[doc(hidden)]
    pub fn waiting_for_test(&self) -> usize {
        self.waiting.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// The schema version of the open database.
    pub fn schema_version(&self) -> Result<i64, StoreError> {
        Ok(self.use_connection(|connection| sqlite::user_version(connection))?)
    }

    /// Holds the connection until the hold is dropped, as a slow query would: for tests that
    /// show what waits for the store and what does not.
    #[doc(hidden)]
    pub fn hold_for_test(&self) -> StoreHold<'_> {
        StoreHold(self.lock())
    }
}

/// The connection held by [`Store::hold_for_test`], until dropped.
#[doc(hidden)]
pub struct StoreHold<'s>(#[allow(dead_code)] MutexGuard<'s, Connection>);

impl std::fmt::Debug for StoreHold<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("StoreHold")
    }
}

thread_local! {
    /// Set by [`Store::inline_when_free`] for the work it runs on this thread.
    static INLINE_WHEN_FREE: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// True on a thread of a multi-thread tokio runtime (a worker, a blocking thread, or inside its
/// `block_on`), where `block_in_place` may be called (on a current-thread runtime it panics).
fn on_multi_thread_runtime() -> bool {
    tokio::runtime::Handle::try_current()
        .is_ok_and(|handle| handle.runtime_flavor() == tokio::runtime::RuntimeFlavor::MultiThread)
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
        self.wal.take();
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
