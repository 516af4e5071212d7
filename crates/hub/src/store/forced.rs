//! The store's forced results (`forced_results`): typed rows in and out.

use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension, params};

use super::{Db, StoreError, time_column, time_text};

/// A forced result as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ForcedRow {
    /// Its id (`frc_...`).
    pub id: String,
    /// Its project.
    pub project_id: String,
    /// The API it applies to.
    pub api: String,
    /// The result code to answer.
    pub result_code: String,
    /// The message to answer.
    pub result_message: String,
    /// Only when this request field ...
    pub field: Option<String>,
    /// ... has this value.
    pub value: Option<String>,
    /// When it was set.
    pub created_at: DateTime<Utc>,
    /// When it stops applying.
    pub expires_at: DateTime<Utc>,
}

/// Operations on forced results (`forced_results`).
#[derive(Debug, Clone, Copy)]
pub struct Forced<'c> {
    connection: &'c Connection,
}

impl<'c> Db<'c> {
    /// Forced results (`forced_results`).
    pub fn forced(self) -> Forced<'c> {
        Forced {
            connection: self.connection,
        }
    }
}

impl Forced<'_> {
    /// Stores a new forced result.
    pub fn insert(&self, row: &ForcedRow) -> Result<(), StoreError> {
        self.connection
            .prepare_cached(
                "INSERT INTO forced_results (id, project_id, api, result_code, result_message, \
                 field, value, created_at, expires_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
            )?
            .execute(params![
                row.id,
                row.project_id,
                row.api,
                row.result_code,
                row.result_message,
                row.field,
                row.value,
                time_text(row.created_at),
                time_text(row.expires_at),
            ])?;
        Ok(())
    }

    /// A project's forced results, newest first.
    pub fn of_project(&self, project_id: &str) -> Result<Vec<ForcedRow>, StoreError> {
        let mut statement = self.connection.prepare_cached(
            "SELECT id, project_id, api, result_code, result_message, field, value, created_at, \
             expires_at FROM forced_results WHERE project_id = ?1 ORDER BY created_at DESC, id",
        )?;
        let rows = statement.query_map([project_id], |row| {
            Ok(ForcedRow {
                id: row.get(0)?,
                project_id: row.get(1)?,
                api: row.get(2)?,
                result_code: row.get(3)?,
                result_message: row.get(4)?,
                field: row.get(5)?,
                value: row.get(6)?,
                created_at: time_column(7, Some(row.get(7)?))?.unwrap_or_default(),
                expires_at: time_column(8, Some(row.get(8)?))?.unwrap_or_default(),
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
    }

    /// Makes a project's forced result expire at `now`; false when it is unknown or already over.
    pub fn expire(
        &self,
        project_id: &str,
        id: &str,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let changed = self
            .connection
            .prepare_cached(
                "UPDATE forced_results SET expires_at = ?3 \
                 WHERE id = ?1 AND project_id = ?2 AND expires_at > ?3",
            )?
            .execute(params![id, project_id, time_text(now)])?;
        Ok(changed > 0)
    }

    /// True when the project has a forced result with this id, over or not.
    pub fn exists(&self, project_id: &str, id: &str) -> Result<bool, StoreError> {
        Ok(self
            .connection
            .prepare_cached("SELECT 1 FROM forced_results WHERE id = ?1 AND project_id = ?2")?
            .query_row(params![id, project_id], |_| Ok(()))
            .optional()?
            .is_some())
    }
}
