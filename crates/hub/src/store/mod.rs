//! The hub's storage: one SQLite file (WAL), ordered migrations applied in one transaction, and a
//! schema version check that refuses a database written by a newer build (the opening and
//! migrating are `linker_base::sqlite`'s; the schema, the lock file and the checkpointer are
//! the hub's).

use std::path::Path;
use std::sync::{Mutex, MutexGuard};

use linker_base::sqlite;
use rusqlite::{Connection, OptionalExtension};

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
    /// The checkpoint thread could not be started.
    #[error("cannot start the checkpoint thread: {0}")]
    Thread(String),
}

/// Each migration brings the schema from version `index` to `index + 1`.
const MIGRATIONS: &[&str] = &[
    // 1: the admin credential and projects.
    r#"
    CREATE TABLE admin_credential (
        id          INTEGER PRIMARY KEY CHECK (id = 1),
        token_hash  TEXT NOT NULL,
        created_at  TEXT NOT NULL
    );
    CREATE TABLE projects (
        id                      TEXT PRIMARY KEY,
        name                    TEXT NOT NULL,
        client_id               TEXT NOT NULL UNIQUE,
        acquirer_id             TEXT NOT NULL,
        acqp_public_key         TEXT NOT NULL,
        hub_private_key         TEXT NOT NULL,
        hub_public_key          TEXT NOT NULL,
        notify_url              TEXT,
        user_initiated_pay_url  TEXT,
        auth_notify_url         TEXT,
        entry_code_domains      TEXT NOT NULL,
        private_code_domains    TEXT NOT NULL,
        notify_retry_schedule   TEXT NOT NULL,
        created_at              TEXT NOT NULL,
        updated_at              TEXT NOT NULL
    );
    CREATE TABLE exchanges (
        seq                 INTEGER PRIMARY KEY AUTOINCREMENT,
        project_id          TEXT REFERENCES projects(id),
        client_id           TEXT,
        at                  TEXT NOT NULL,
        direction           TEXT NOT NULL,
        api                 TEXT NOT NULL,
        path                TEXT NOT NULL,
        request_headers     TEXT NOT NULL,
        request_body        TEXT NOT NULL,
        signature_verdict   TEXT NOT NULL,
        response_headers    TEXT NOT NULL,
        response_body       TEXT NOT NULL,
        result_code         TEXT,
        result_status       TEXT,
        forced              INTEGER NOT NULL DEFAULT 0,
        latency_us          INTEGER NOT NULL
    );
    CREATE INDEX exchanges_by_project ON exchanges (project_id, seq);
    "#,
    // 2: payment codes, payments and refunds.
    r#"
    CREATE TABLE payment_codes (
        code            TEXT PRIMARY KEY,
        project_id      TEXT NOT NULL REFERENCES projects(id),
        run_id          TEXT,
        customer_id     TEXT NOT NULL,
        issued_at       TEXT NOT NULL,
        expires_at      TEXT NOT NULL,
        used_at         TEXT,
        payment_id      TEXT
    );
    CREATE TABLE payments (
        payment_id          TEXT PRIMARY KEY,
        project_id          TEXT NOT NULL REFERENCES projects(id),
        payment_request_id  TEXT NOT NULL,
        scenario            TEXT NOT NULL,
        currency            TEXT NOT NULL,
        value               INTEGER NOT NULL,
        fingerprint         TEXT NOT NULL,
        request_body        TEXT NOT NULL,
        status              TEXT NOT NULL,
        result_code         TEXT NOT NULL,
        result_message      TEXT NOT NULL,
        customer_id         TEXT,
        code_value          TEXT,
        payment_url         TEXT,
        notify_url          TEXT,
        created_at          TEXT NOT NULL,
        expires_at          TEXT,
        paid_at             TEXT,
        closed_at           TEXT,
        refunded_value      INTEGER NOT NULL DEFAULT 0,
        UNIQUE (project_id, payment_request_id)
    );
    CREATE INDEX payments_by_code ON payments (code_value);
    CREATE TABLE refunds (
        refund_id           TEXT PRIMARY KEY,
        project_id          TEXT NOT NULL REFERENCES projects(id),
        refund_request_id   TEXT NOT NULL,
        payment_id          TEXT NOT NULL REFERENCES payments(payment_id),
        currency            TEXT NOT NULL,
        value               INTEGER NOT NULL,
        status              TEXT NOT NULL,
        result_code         TEXT NOT NULL,
        result_message      TEXT NOT NULL,
        created_at          TEXT NOT NULL,
        UNIQUE (project_id, refund_request_id)
    );
    "#,
    // 3: callbacks to deliver, and every attempt.
    r#"
    CREATE TABLE deliveries (
        id                  TEXT PRIMARY KEY,
        project_id          TEXT NOT NULL REFERENCES projects(id),
        payment_id          TEXT,
        api                 TEXT NOT NULL,
        url                 TEXT NOT NULL,
        body                TEXT NOT NULL,
        forged              INTEGER NOT NULL,
        attempts            INTEGER NOT NULL,
        next_attempt_at     TEXT,
        status              TEXT NOT NULL,
        created_at          TEXT NOT NULL,
        last_error          TEXT
    );
    CREATE INDEX deliveries_due ON deliveries (status, next_attempt_at);
    CREATE TABLE delivery_attempts (
        delivery_id     TEXT NOT NULL REFERENCES deliveries(id),
        attempt         INTEGER NOT NULL,
        at              TEXT NOT NULL,
        verdict         TEXT NOT NULL,
        PRIMARY KEY (delivery_id, attempt)
    );
    "#,
    // 4: merchants (test accounts) and wallet sessions.
    r#"
    CREATE TABLE merchants (
        id                      TEXT PRIMARY KEY,
        project_id              TEXT NOT NULL REFERENCES projects(id),
        name                    TEXT NOT NULL,
        mid                     TEXT NOT NULL,
        email                   TEXT NOT NULL,
        products                TEXT NOT NULL,
        status                  TEXT NOT NULL,
        remark                  TEXT,
        created_at              TEXT NOT NULL,
        last_active_at          TEXT,
        password_hash           TEXT,
        invitation_hash         TEXT,
        invitation_expires_at   TEXT,
        invitation_used_at      TEXT,
        UNIQUE (project_id, mid),
        UNIQUE (project_id, email)
    );
    CREATE INDEX merchants_by_invitation ON merchants (invitation_hash);
    CREATE TABLE sessions (
        token_hash      TEXT PRIMARY KEY,
        merchant_id     TEXT NOT NULL REFERENCES merchants(id),
        created_at      TEXT NOT NULL,
        last_used_at    TEXT NOT NULL,
        revoked_at      TEXT
    );
    "#,
    // 5: runs and their events; payments and deliveries know their run.
    r#"
    ALTER TABLE payments ADD COLUMN run_id TEXT;
    ALTER TABLE deliveries ADD COLUMN run_id TEXT;
    CREATE TABLE runs (
        id              TEXT PRIMARY KEY,
        project_id      TEXT NOT NULL REFERENCES projects(id),
        merchant_id     TEXT NOT NULL REFERENCES merchants(id),
        case_id         TEXT NOT NULL,
        status          TEXT NOT NULL,
        started_at      TEXT NOT NULL,
        ended_at        TEXT,
        verdict         TEXT
    );
    CREATE INDEX runs_by_merchant ON runs (merchant_id, started_at);
    CREATE TABLE run_events (
        run_id      TEXT NOT NULL REFERENCES runs(id),
        seq         INTEGER NOT NULL,
        at          TEXT NOT NULL,
        event       TEXT NOT NULL,
        write_id    TEXT,
        PRIMARY KEY (run_id, seq)
    );
    CREATE UNIQUE INDEX run_events_by_write ON run_events (run_id, write_id) WHERE write_id IS NOT NULL;
    "#,
    // 6: per-run settings.
    r#"
    ALTER TABLE runs ADD COLUMN slow_answer_secs INTEGER;
    "#,
    // 7: a run whose wallet opened an entry-code page waits for that page's pay.
    r#"
    ALTER TABLE runs ADD COLUMN entry_opened_at TEXT;
    "#,
    // 8: forced results (iMock).
    r#"
    CREATE TABLE forced_results (
        id              TEXT PRIMARY KEY,
        project_id      TEXT NOT NULL REFERENCES projects(id),
        api             TEXT NOT NULL,
        result_code     TEXT NOT NULL,
        result_message  TEXT NOT NULL,
        field           TEXT,
        value           TEXT,
        created_at      TEXT NOT NULL,
        expires_at      TEXT NOT NULL
    );
    "#,
    // 9: evidence photos.
    r#"
    CREATE TABLE attachments (
        id              TEXT NOT NULL,
        merchant_id     TEXT NOT NULL REFERENCES merchants(id),
        run_id          TEXT NOT NULL REFERENCES runs(id),
        content_type    TEXT NOT NULL,
        bytes           BLOB NOT NULL,
        sha256          TEXT NOT NULL,
        created_at      TEXT NOT NULL,
        PRIMARY KEY (merchant_id, id)
    );
    "#,
    // 10: Auto Debit authorizations and tokens.
    r#"
    CREATE TABLE authorizations (
        id                  TEXT PRIMARY KEY,
        project_id          TEXT NOT NULL REFERENCES projects(id),
        auth_client_id      TEXT NOT NULL,
        auth_redirect_url   TEXT NOT NULL,
        auth_state          TEXT NOT NULL,
        scopes              TEXT NOT NULL,
        status              TEXT NOT NULL,
        auth_code           TEXT,
        code_expires_at     TEXT,
        customer_id         TEXT,
        access_token        TEXT,
        refresh_token       TEXT,
        token_expires_at    TEXT,
        created_at          TEXT NOT NULL
    );
    CREATE INDEX authorizations_by_token ON authorizations (project_id, access_token);
    CREATE INDEX authorizations_by_code ON authorizations (project_id, auth_code);
    "#,
    // 11: the console: its users and their sessions, case assignments, invitation mail.
    r#"
    CREATE TABLE console_users (
        id              TEXT PRIMARY KEY,
        email           TEXT NOT NULL UNIQUE,
        password_hash   TEXT NOT NULL,
        created_at      TEXT NOT NULL
    );
    CREATE TABLE console_members (
        user_id     TEXT NOT NULL REFERENCES console_users(id),
        project_id  TEXT NOT NULL REFERENCES projects(id),
        PRIMARY KEY (user_id, project_id)
    );
    CREATE TABLE console_sessions (
        token_hash      TEXT PRIMARY KEY,
        user_id         TEXT NOT NULL REFERENCES console_users(id),
        created_at      TEXT NOT NULL,
        last_used_at    TEXT NOT NULL,
        revoked_at      TEXT
    );
    CREATE TABLE assignments (
        merchant_id     TEXT PRIMARY KEY REFERENCES merchants(id),
        case_ids        TEXT NOT NULL,
        updated_at      TEXT NOT NULL
    );
    CREATE TABLE invitation_mail (
        id              TEXT PRIMARY KEY,
        project_id      TEXT NOT NULL REFERENCES projects(id),
        merchant_id     TEXT NOT NULL REFERENCES merchants(id),
        recipient       TEXT NOT NULL,
        subject         TEXT NOT NULL,
        body            TEXT NOT NULL,
        link            TEXT,
        channel         TEXT NOT NULL,
        status          TEXT NOT NULL,
        error           TEXT,
        created_at      TEXT NOT NULL
    );
    CREATE INDEX invitation_mail_by_merchant ON invitation_mail (merchant_id, created_at);
    "#,
    // 12: the request log knows the run each exchange belongs to (the console filters by run and
    // by merchant on it). No index of its own: the log is read per project, newest first, and
    // another index would cost every gateway call a write.
    // The open runs, which every `pay` looks at (a UPM-06 run may hold its answer).
    r#"
    ALTER TABLE exchanges ADD COLUMN run_id TEXT;
    CREATE INDEX runs_open ON runs (case_id) WHERE status = 'open';
    "#,
];

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
        let lock = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&lock_path)
            .map_err(|error| StoreError::Lock(format!("{}: {error}", lock_path.display())))?;
        if let Err(error) = lock.try_lock() {
            return Err(StoreError::Lock(format!(
                "{} is in use by another hub ({error}); stop it or use another data folder",
                path.display()
            )));
        }
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

    /// Runs `f` with the connection. Keep `f` short: it holds the database.
    pub fn with<T>(
        &self,
        f: impl FnOnce(&mut Connection) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        f(&mut self.lock())
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
