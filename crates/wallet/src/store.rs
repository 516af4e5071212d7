//! The wallet's local store: one SQLite file (WAL), ordered migrations applied in one
//! transaction, and a refusal to open a database written by a newer build (all three done by
//! `linker_base::sqlite`).
//!
//! Tables: `settings` (key/value), `session` (one row: hub URL, token, merchant), `cases`
//! (assigned cases with full definitions, per merchant), `runs` (each run's last known view),
//! `payment_codes` (codes shown, when, and why they were retired), `outbox` (every write the hub
//! has not acknowledged, with its write id, attempts and last error) and `sync_state`.

use std::path::Path;
use std::sync::{Mutex, MutexGuard};

use chrono::{DateTime, Utc};
use linker_base::sqlite;
use rusqlite::Connection;

use crate::error::WalletError;

/// The schema version this build writes.
pub const SCHEMA_VERSION: i64 = sqlite::schema_version(MIGRATIONS);

/// Each migration brings the schema from version `index` to `index + 1`.
const MIGRATIONS: &[&str] = &[r#"
    CREATE TABLE settings (
        key     TEXT PRIMARY KEY,
        value   TEXT NOT NULL
    );
    CREATE TABLE session (
        id                      INTEGER PRIMARY KEY CHECK (id = 1),
        hub_url                 TEXT NOT NULL,
        token                   TEXT,
        merchant                TEXT NOT NULL,
        idle_timeout_seconds    INTEGER NOT NULL,
        signed_in_at            TEXT NOT NULL,
        ended_reason            TEXT
    );
    CREATE TABLE cases (
        merchant_id     TEXT NOT NULL,
        case_id         TEXT NOT NULL,
        position        INTEGER NOT NULL,
        product         TEXT NOT NULL,
        runnable        INTEGER NOT NULL,
        definition      TEXT NOT NULL,
        fetched_at      TEXT NOT NULL,
        PRIMARY KEY (merchant_id, case_id)
    );
    CREATE TABLE runs (
        id              TEXT PRIMARY KEY,
        merchant_id     TEXT NOT NULL,
        case_id         TEXT NOT NULL,
        status          TEXT NOT NULL,
        started_at      TEXT NOT NULL,
        ended_at        TEXT,
        view            TEXT NOT NULL,
        fetched_at      TEXT NOT NULL
    );
    CREATE INDEX runs_by_merchant ON runs (merchant_id, started_at);
    CREATE TABLE payment_codes (
        code            TEXT PRIMARY KEY,
        run_id          TEXT NOT NULL,
        shown_at        TEXT NOT NULL,
        hub_expires_at  TEXT NOT NULL,
        retired_at      TEXT,
        retired_reason  TEXT
    );
    CREATE INDEX payment_codes_by_run ON payment_codes (run_id, shown_at);
    CREATE TABLE outbox (
        seq             INTEGER PRIMARY KEY AUTOINCREMENT,
        write_id        TEXT NOT NULL UNIQUE,
        merchant_id     TEXT NOT NULL,
        run_id          TEXT NOT NULL,
        kind            TEXT NOT NULL,
        body            TEXT NOT NULL,
        bytes           BLOB,
        state           TEXT NOT NULL,
        attempts        INTEGER NOT NULL DEFAULT 0,
        created_at      TEXT NOT NULL,
        next_attempt_at TEXT NOT NULL,
        last_attempt_at TEXT,
        last_error      TEXT,
        done_at         TEXT
    );
    CREATE INDEX outbox_by_state ON outbox (state, seq);
    CREATE TABLE sync_state (
        id              INTEGER PRIMARY KEY CHECK (id = 1),
        last_success_at TEXT,
        last_attempt_at TEXT,
        last_error      TEXT
    );
    INSERT INTO sync_state (id) VALUES (1);
"#];

/// The open database.
#[derive(Debug)]
pub(crate) struct Store {
    connection: Mutex<Connection>,
}

impl Store {
    /// Opens (creating or migrating) the database file.
    pub(crate) fn open(path: &Path) -> Result<Store, WalletError> {
        let connection = sqlite::open_and_migrate(path, sqlite::Pragmas::default(), MIGRATIONS)?;
        Ok(Store {
            connection: Mutex::new(connection),
        })
    }

    /// Runs `f` with the connection. Keep `f` short and never await inside it.
    pub(crate) fn with<T>(
        &self,
        f: impl FnOnce(&mut Connection) -> rusqlite::Result<T>,
    ) -> Result<T, WalletError> {
        Ok(f(&mut self.lock())?)
    }

    fn lock(&self) -> MutexGuard<'_, Connection> {
        self.connection
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The schema version of the open database.
    pub(crate) fn schema_version(&self) -> Result<i64, WalletError> {
        self.with(|c| sqlite::user_version(c))
    }
}

/// A time as stored (RFC 3339, UTC).
pub(crate) fn time_text(time: DateTime<Utc>) -> String {
    time.to_rfc3339()
}

/// Reads a stored time; a bad value is a conversion error of column `index`.
pub(crate) fn parse_time(index: usize, text: &str) -> rusqlite::Result<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(text)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| {
            rusqlite::Error::FromSqlConversionFailure(index, rusqlite::types::Type::Text, e.into())
        })
}

/// Reads a stored JSON column; corruption is a conversion error of column `index`.
pub(crate) fn parse_json<T: serde::de::DeserializeOwned>(
    index: usize,
    text: &str,
) -> rusqlite::Result<T> {
    serde_json::from_str(text).map_err(|e| {
        rusqlite::Error::FromSqlConversionFailure(index, rusqlite::types::Type::Text, e.into())
    })
}

/// A value as a JSON column.
pub(crate) fn json_text<T: serde::Serialize>(value: &T) -> String {
    serde_json::to_string(value).unwrap_or_else(|_| "null".to_owned())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn a_new_database_gets_the_schema_in_wal_mode_and_reopens() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("wallet.sqlite");
        let store = Store::open(&path).unwrap();
        assert_eq!(store.schema_version().unwrap(), SCHEMA_VERSION);
        let mode: String = store
            .with(|c| c.pragma_query_value(None, "journal_mode", |row| row.get(0)))
            .unwrap();
        assert_eq!(mode, "wal");
        drop(store);
        let store = Store::open(&path).unwrap();
        assert_eq!(
            store.schema_version().unwrap(),
            SCHEMA_VERSION,
            "reopening changes nothing"
        );
    }

    #[test]
    fn a_database_from_a_newer_build_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("wallet.sqlite");
        Connection::open(&path)
            .unwrap()
            .pragma_update(None, "user_version", SCHEMA_VERSION + 1)
            .unwrap();
        let error = Store::open(&path).unwrap_err();
        assert_eq!(error.code(), "NEWER_SCHEMA", "{error}");
        assert!(
            error.to_string().contains("newer than this build"),
            "{error}"
        );
    }
}
