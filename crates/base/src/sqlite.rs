//! Opening a SQLite database the one way Linker does: WAL (readers never wait for the writer),
//! foreign keys on, a busy timeout, and the schema brought up to date by ordered migrations in
//! one transaction. The schema version is SQLite's `user_version`: the number of migrations
//! applied. A database written by a newer build (a higher version) is refused, never touched.

use std::path::Path;
use std::time::Duration;

use rusqlite::Connection;
use rusqlite::config::DbConfig;

/// Why a database could not be opened or brought up to date.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    /// The database file could not be created.
    #[error("cannot create the database {path}: {source}")]
    Create {
        /// The file.
        path: std::path::PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// SQLite failed.
    #[error("database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
    /// The database was written by a newer build, whose schema this one does not know.
    #[error(
        "the database has schema version {found}, newer than this build understands ({supported})"
    )]
    NewerSchema {
        /// The version found in the file.
        found: i64,
        /// The newest version this build knows.
        supported: i64,
    },
}

/// How far a commit waits for the disk (`PRAGMA synchronous`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Synchronous {
    /// With WAL, durable across a process crash; a commit never waits for the disk, only a
    /// checkpoint does.
    Normal,
    /// Also durable across a power loss: every commit syncs the WAL.
    Full,
}

/// The connection settings applied before migrating (WAL and foreign keys are always on).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pragmas {
    /// `PRAGMA synchronous`.
    pub synchronous: Synchronous,
    /// How long a statement waits for another connection's lock before failing.
    pub busy_timeout: Duration,
    /// False turns SQLite's automatic checkpoints off, for a caller that checkpoints the WAL on
    /// its own connection.
    pub auto_checkpoint: bool,
}

impl Default for Pragmas {
    /// NORMAL, a 5 s busy timeout, automatic checkpoints.
    fn default() -> Pragmas {
        Pragmas {
            synchronous: Synchronous::Normal,
            busy_timeout: Duration::from_secs(5),
            auto_checkpoint: true,
        }
    }
}

/// The schema version a list of migrations brings a database to (their number).
pub const fn schema_version(migrations: &[&str]) -> i64 {
    migrations.len() as i64
}

/// Opens (creating if needed) the database file at `path`, applies `pragmas` and the
/// `migrations` it has not had yet. Migration `i` brings the schema from version `i` to `i + 1`.
pub fn open_and_migrate(
    path: &Path,
    pragmas: Pragmas,
    migrations: &[&str],
) -> Result<Connection, OpenError> {
    // SQLite gives the -wal and -shm files the database file's permissions.
    crate::private::create_file(path).map_err(|source| OpenError::Create {
        path: path.to_owned(),
        source,
    })?;
    let mut connection = Connection::open(path)?;
    prepare(&mut connection, pragmas, migrations)?;
    Ok(connection)
}

/// Applies `pragmas` to an open connection, then [`migrate`]s it.
pub fn prepare(
    connection: &mut Connection,
    pragmas: Pragmas,
    migrations: &[&str],
) -> Result<(), OpenError> {
    connection.busy_timeout(pragmas.busy_timeout)?;
    // Plans never depend on bound values (the query planner stability guarantee). Without it,
    // SQLite marks a statement to be compiled again at every bind of a parameter whose value it
    // looked at while planning (a `?N IS NULL OR ...` filter checked against a partial index):
    // the request log page spent a sixth of its CPU recompiling its query (issue 15).
    connection.set_db_config(DbConfig::SQLITE_DBCONFIG_ENABLE_QPSG, true)?;
    connection.pragma_update(None, "journal_mode", "WAL")?;
    let synchronous = match pragmas.synchronous {
        Synchronous::Normal => "NORMAL",
        Synchronous::Full => "FULL",
    };
    connection.pragma_update(None, "synchronous", synchronous)?;
    connection.pragma_update(None, "foreign_keys", "ON")?;
    if !pragmas.auto_checkpoint {
        connection.pragma_update(None, "wal_autocheckpoint", 0)?;
    }
    migrate(connection, migrations)
}

/// Applies the migrations the database has not had yet, all in one transaction, and records the
/// new version; refuses a database whose version is higher than `migrations` reach.
pub fn migrate(connection: &mut Connection, migrations: &[&str]) -> Result<(), OpenError> {
    let supported = schema_version(migrations);
    let found = user_version(connection)?;
    if found > supported {
        return Err(OpenError::NewerSchema { found, supported });
    }
    let transaction = connection.transaction()?;
    // A negative version was never written by Linker: treated as an empty database.
    for migration in migrations.iter().skip(usize::try_from(found).unwrap_or(0)) {
        transaction.execute_batch(migration)?;
    }
    transaction.pragma_update(None, "user_version", supported)?;
    transaction.commit()?;
    Ok(())
}

/// The schema version recorded in an open database (`PRAGMA user_version`).
pub fn user_version(connection: &Connection) -> rusqlite::Result<i64> {
    connection.pragma_query_value(None, "user_version", |row| row.get(0))
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIGRATIONS: &[&str] = &[
        "CREATE TABLE a (x INTEGER NOT NULL);",
        "CREATE TABLE b (a INTEGER NOT NULL REFERENCES a(rowid)); INSERT INTO a VALUES (1);",
    ];

    fn count(connection: &Connection, table: &str) -> i64 {
        connection
            .query_row(&format!("SELECT count(*) FROM {table}"), [], |row| {
                row.get(0)
            })
            .unwrap()
    }

    #[test]
    fn a_new_database_gets_every_migration_in_wal_mode_and_reopens_unchanged() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.sqlite");
        let connection = open_and_migrate(&path, Pragmas::default(), MIGRATIONS).unwrap();
        assert_eq!(user_version(&connection).unwrap(), 2);
        let mode: String = connection
            .pragma_query_value(None, "journal_mode", |row| row.get(0))
            .unwrap();
        assert_eq!(mode, "wal");
        let foreign_keys: i64 = connection
            .pragma_query_value(None, "foreign_keys", |row| row.get(0))
            .unwrap();
        assert_eq!(foreign_keys, 1);
        let synchronous: i64 = connection
            .pragma_query_value(None, "synchronous", |row| row.get(0))
            .unwrap();
        assert_eq!(synchronous, 1, "NORMAL");
        drop(connection);
        let connection = open_and_migrate(&path, Pragmas::default(), MIGRATIONS).unwrap();
        assert_eq!(count(&connection, "a"), 1, "no migration ran twice");
    }

    #[test]
    fn only_the_missing_migrations_run() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.sqlite");
        drop(open_and_migrate(&path, Pragmas::default(), &MIGRATIONS[..1]).unwrap());
        let connection = open_and_migrate(&path, Pragmas::default(), MIGRATIONS).unwrap();
        assert_eq!(user_version(&connection).unwrap(), 2);
        assert_eq!(count(&connection, "a"), 1);
    }

    #[test]
    fn a_failing_migration_leaves_the_database_as_it_was() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.sqlite");
        let broken = [MIGRATIONS[0], MIGRATIONS[1], "NOT SQL"];
        let error = open_and_migrate(&path, Pragmas::default(), &broken).unwrap_err();
        assert!(matches!(error, OpenError::Sqlite(_)), "{error}");
        let connection = Connection::open(&path).unwrap();
        assert_eq!(user_version(&connection).unwrap(), 0);
        let tables: i64 = connection
            .query_row("SELECT count(*) FROM sqlite_master", [], |row| row.get(0))
            .unwrap();
        assert_eq!(tables, 0, "one transaction: nothing of it stays");
    }

    #[test]
    fn a_database_from_a_newer_build_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.sqlite");
        Connection::open(&path)
            .unwrap()
            .pragma_update(None, "user_version", 3)
            .unwrap();
        let error = open_and_migrate(&path, Pragmas::default(), MIGRATIONS).unwrap_err();
        assert!(
            matches!(
                error,
                OpenError::NewerSchema {
                    found: 3,
                    supported: 2
                }
            ),
            "{error}"
        );
    }

    #[test]
    fn the_pragmas_are_applied() {
        let mut connection = Connection::open_in_memory().unwrap();
        let pragmas = Pragmas {
            synchronous: Synchronous::Full,
            busy_timeout: Duration::from_secs(1),
            auto_checkpoint: false,
        };
        prepare(&mut connection, pragmas, MIGRATIONS).unwrap();
        let synchronous: i64 = connection
            .pragma_query_value(None, "synchronous", |row| row.get(0))
            .unwrap();
        assert_eq!(synchronous, 2, "FULL");
        let auto: i64 = connection
            .pragma_query_value(None, "wal_autocheckpoint", |row| row.get(0))
            .unwrap();
        assert_eq!(auto, 0);
    }
}
