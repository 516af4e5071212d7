//! The store's per-project API tokens (`project_tokens`, one row per project at most): typed rows
//! in and out. Only the token's SHA-256 is stored, with a hint of its end for people.

use chrono::{DateTime, Utc};
use rusqlite::{Connection, params};

use super::{Db, StoreError, optional, time_column, time_text};

/// A project's API token as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProjectTokenRow {
    /// The project it opens.
    pub project_id: String,
    /// The SHA-256 of the token, hex.
    pub token_hash: String,
    /// How the console names it (`lkp_…1a2b`).
    pub hint: String,
    /// The email of the console user who created it.
    pub created_by: String,
    /// When it was created.
    pub created_at: DateTime<Utc>,
}

/// Operations on project tokens (`project_tokens`).
#[derive(Debug, Clone, Copy)]
pub struct ProjectTokens<'c> {
    connection: &'c Connection,
}

impl<'c> Db<'c> {
    /// Per-project API tokens (`project_tokens`).
    pub fn project_tokens(self) -> ProjectTokens<'c> {
        ProjectTokens {
            connection: self.connection,
        }
    }
}

impl ProjectTokens<'_> {
    /// Stores a project's token, replacing the one it had.
    pub fn replace(&self, row: &ProjectTokenRow) -> Result<(), StoreError> {
        self.connection
            .prepare_cached(
                "INSERT INTO project_tokens (project_id, token_hash, hint, created_by, created_at) \
                 VALUES (?1, ?2, ?3, ?4, ?5) \
                 ON CONFLICT (project_id) DO UPDATE SET token_hash = excluded.token_hash, \
                 hint = excluded.hint, created_by = excluded.created_by, \
                 created_at = excluded.created_at",
            )?
            .execute(params![
                row.project_id,
                row.token_hash,
                row.hint,
                row.created_by,
                time_text(row.created_at)
            ])?;
        Ok(())
    }

    /// The project's token, if it has one.
    pub fn get(&self, project_id: &str) -> Result<Option<ProjectTokenRow>, StoreError> {
        optional(
            self.connection
                .prepare_cached(
                    "SELECT project_id, token_hash, hint, created_by, created_at \
                     FROM project_tokens WHERE project_id = ?1",
                )?
                .query_row([project_id], |row| {
                    Ok(ProjectTokenRow {
                        project_id: row.get(0)?,
                        token_hash: row.get(1)?,
                        hint: row.get(2)?,
                        created_by: row.get(3)?,
                        created_at: time_column(4, Some(row.get(4)?))?.unwrap_or_default(),
                    })
                }),
        )
    }

    /// The project a token hash opens, if any.
    pub fn project_of(&self, token_hash: &str) -> Result<Option<String>, StoreError> {
        optional(
            self.connection
                .prepare_cached("SELECT project_id FROM project_tokens WHERE token_hash = ?1")?
                .query_row([token_hash], |row| row.get(0)),
        )
    }

    /// Deletes the project's token; false when it had none.
    pub fn delete(&self, project_id: &str) -> Result<bool, StoreError> {
        let deleted = self
            .connection
            .prepare_cached("DELETE FROM project_tokens WHERE project_id = ?1")?
            .execute([project_id])?;
        Ok(deleted > 0)
    }
}
