//! The store's case assignments, the cases each merchant must run (`assignments`): typed rows in
//! and out.

use chrono::{DateTime, Utc};
use rusqlite::{Connection, params};

use super::{Db, StoreError, from_json, optional, time_text, to_json};

/// Operations on case assignments (`assignments`).
#[derive(Debug, Clone, Copy)]
pub struct Assignments<'c> {
    connection: &'c Connection,
}

impl<'c> Db<'c> {
    /// Case assignments (`assignments`).
    pub fn assignments(self) -> Assignments<'c> {
        Assignments {
            connection: self.connection,
        }
    }
}

impl Assignments<'_> {
    /// The case ids assigned to a merchant by hand, if its list was edited.
    pub fn case_ids(&self, merchant_id: &str) -> Result<Option<Vec<String>>, StoreError> {
        let stored: Option<String> = optional(
            self.connection
                .prepare_cached("SELECT case_ids FROM assignments WHERE merchant_id = ?1")?
                .query_row([merchant_id], |row| row.get(0)),
        )?;
        stored
            .map(|text| from_json(&text, "assignments.case_ids"))
            .transpose()
    }

    /// Replaces a merchant's case list.
    pub fn set(
        &self,
        merchant_id: &str,
        case_ids: &[String],
        updated_at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        self.connection
            .prepare_cached(
                "INSERT INTO assignments (merchant_id, case_ids, updated_at) VALUES (?1, ?2, ?3) \
                 ON CONFLICT (merchant_id) DO UPDATE SET case_ids = excluded.case_ids, \
                 updated_at = excluded.updated_at",
            )?
            .execute(params![
                merchant_id,
                to_json(&case_ids),
                time_text(updated_at)
            ])?;
        Ok(())
    }

    /// Forgets a merchant's edited list (back to the defaults of its products).
    pub fn clear(&self, merchant_id: &str) -> Result<(), StoreError> {
        self.connection
            .prepare_cached("DELETE FROM assignments WHERE merchant_id = ?1")?
            .execute([merchant_id])?;
        Ok(())
    }
}
