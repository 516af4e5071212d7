//! The store's sign-in tickets (`sign_in_tickets`): single-use, short-lived secrets that open a
//! wallet session for a project's acceptance account, stored as their SHA-256.

use chrono::{DateTime, Utc};
use rusqlite::{Connection, params};

use super::{Db, StoreError, optional, time_column, time_text};

/// A ticket as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TicketRow {
    /// Whom it signs in.
    pub merchant_id: String,
    /// When it stops working.
    pub expires_at: DateTime<Utc>,
    /// True once it was used.
    pub used: bool,
}

/// Operations on sign-in tickets (`sign_in_tickets`).
#[derive(Debug, Clone, Copy)]
pub struct SignInTickets<'c> {
    connection: &'c Connection,
}

impl<'c> Db<'c> {
    /// Sign-in tickets (`sign_in_tickets`).
    pub fn sign_in_tickets(self) -> SignInTickets<'c> {
        SignInTickets {
            connection: self.connection,
        }
    }
}

impl SignInTickets<'_> {
    /// Stores a new ticket. On the way, every used or expired ticket is deleted, and the
    /// merchant's oldest live tickets are withdrawn so that it holds at most `keep` live ones
    /// with this one: however often a ticket is minted, the table stays small.
    pub fn insert(
        &self,
        ticket_hash: &str,
        merchant_id: &str,
        expires_at: DateTime<Utc>,
        now: DateTime<Utc>,
        keep: u32,
    ) -> Result<(), StoreError> {
        self.connection
            .prepare_cached(
                "DELETE FROM sign_in_tickets WHERE used_at IS NOT NULL OR expires_at <= ?1",
            )?
            .execute([time_text(now)])?;
        self.connection
            .prepare_cached(
                "DELETE FROM sign_in_tickets WHERE merchant_id = ?1 AND rowid NOT IN \
                 (SELECT rowid FROM sign_in_tickets WHERE merchant_id = ?1 \
                 ORDER BY rowid DESC LIMIT ?2)",
            )?
            .execute(params![merchant_id, keep.saturating_sub(1)])?;
        self.connection
            .prepare_cached(
                "INSERT INTO sign_in_tickets (ticket_hash, merchant_id, expires_at) \
                 VALUES (?1, ?2, ?3)",
            )?
            .execute(params![ticket_hash, merchant_id, time_text(expires_at)])?;
        Ok(())
    }

    /// How many tickets are stored for the merchant (used, expired or live).
    pub fn count(&self, merchant_id: &str) -> Result<u32, StoreError> {
        Ok(self
            .connection
            .prepare_cached("SELECT COUNT(*) FROM sign_in_tickets WHERE merchant_id = ?1")?
            .query_row([merchant_id], |row| row.get(0))?)
    }

    /// The ticket with this hash.
    pub fn get(&self, ticket_hash: &str) -> Result<Option<TicketRow>, StoreError> {
        optional(
            self.connection
                .prepare_cached(
                    "SELECT merchant_id, expires_at, used_at FROM sign_in_tickets \
                     WHERE ticket_hash = ?1",
                )?
                .query_row([ticket_hash], |row| {
                    Ok(TicketRow {
                        merchant_id: row.get(0)?,
                        expires_at: time_column(1, Some(row.get(1)?))?.unwrap_or_default(),
                        used: row.get::<_, Option<String>>(2)?.is_some(),
                    })
                }),
        )
    }

    /// Uses a ticket now; false when it was already used.
    pub fn use_once(&self, ticket_hash: &str, now: DateTime<Utc>) -> Result<bool, StoreError> {
        let changed = self
            .connection
            .prepare_cached(
                "UPDATE sign_in_tickets SET used_at = ?2 WHERE ticket_hash = ?1 AND used_at IS NULL",
            )?
            .execute(params![ticket_hash, time_text(now)])?;
        Ok(changed == 1)
    }
}
