//! The store's admin credential (`admin_credential`): typed rows in and out.

use chrono::{DateTime, Utc};
use rusqlite::{Connection, params};

use super::{Db, StoreError, optional, time_text};

/// Operations on the admin credential (`admin_credential`, one row at most).
#[derive(Debug, Clone, Copy)]
pub struct AdminCredential<'c> {
    connection: &'c Connection,
}

impl<'c> Db<'c> {
    /// The admin credential (`admin_credential`).
    pub fn admin_credential(self) -> AdminCredential<'c> {
        AdminCredential {
            connection: self.connection,
        }
    }
}

impl AdminCredential<'_> {
    /// The stored hash of the admin token, if there is one.
    pub fn token_hash(&self) -> Result<Option<String>, StoreError> {
        optional(
            self.connection
                .prepare_cached("SELECT token_hash FROM admin_credential WHERE id = 1")?
                .query_row([], |row| row.get(0)),
        )
    }

    /// Stores the first admin credential (fails if one exists).
    pub fn insert(&self, token_hash: &str, created_at: DateTime<Utc>) -> Result<(), StoreError> {
        self.connection
            .prepare_cached(
                "INSERT INTO admin_credential (id, token_hash, created_at) VALUES (1, ?1, ?2)",
            )?
            .execute(params![token_hash, time_text(created_at)])?;
        Ok(())
    }

    /// Stores the admin credential, replacing the token hash of an existing one.
    pub fn replace(&self, token_hash: &str, created_at: DateTime<Utc>) -> Result<(), StoreError> {
        self.connection
            .prepare_cached(
                "INSERT INTO admin_credential (id, token_hash, created_at) VALUES (1, ?1, ?2) \
                 ON CONFLICT (id) DO UPDATE SET token_hash = excluded.token_hash",
            )?
            .execute(params![token_hash, time_text(created_at)])?;
        Ok(())
    }
}
