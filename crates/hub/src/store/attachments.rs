//! The store's evidence photos (`attachments`): typed rows in and out.

use chrono::{DateTime, Utc};
use rusqlite::{Connection, params};

use super::{Db, StoreError, optional, time_text};

/// A photo to store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewAttachment<'a> {
    /// The wallet's id for it.
    pub id: &'a str,
    /// The merchant who attached it.
    pub merchant_id: &'a str,
    /// The run it belongs to.
    pub run_id: &'a str,
    /// `image/png` or `image/jpeg`.
    pub content_type: &'a str,
    /// The photo.
    pub bytes: &'a [u8],
    /// SHA-256 of the bytes, hex.
    pub sha256: &'a str,
    /// When it was attached.
    pub created_at: DateTime<Utc>,
}

/// Operations on evidence photos (`attachments`).
#[derive(Debug, Clone, Copy)]
pub struct Attachments<'c> {
    connection: &'c Connection,
}

impl<'c> Db<'c> {
    /// Evidence photos (`attachments`).
    pub fn attachments(self) -> Attachments<'c> {
        Attachments {
            connection: self.connection,
        }
    }
}

impl Attachments<'_> {
    /// The run and SHA-256 of the merchant's attachment `id`, if there is one.
    pub fn find(
        &self,
        merchant_id: &str,
        id: &str,
    ) -> Result<Option<(String, String)>, StoreError> {
        optional(
            self.connection
                .prepare_cached(
                    "SELECT run_id, sha256 FROM attachments WHERE id = ?1 AND merchant_id = ?2",
                )?
                .query_row(params![id, merchant_id], |row| {
                    Ok((row.get(0)?, row.get(1)?))
                }),
        )
    }

    /// Stores a new photo.
    pub fn insert(&self, attachment: &NewAttachment<'_>) -> Result<(), StoreError> {
        self.connection
            .prepare_cached(
                "INSERT INTO attachments (id, merchant_id, run_id, content_type, bytes, sha256, \
                 created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            )?
            .execute(params![
                attachment.id,
                attachment.merchant_id,
                attachment.run_id,
                attachment.content_type,
                attachment.bytes,
                attachment.sha256,
                time_text(attachment.created_at),
            ])?;
        Ok(())
    }

    /// The type and bytes of the merchant's photo `id` of a run, if there is one.
    pub fn content(
        &self,
        merchant_id: &str,
        run_id: &str,
        id: &str,
    ) -> Result<Option<(String, Vec<u8>)>, StoreError> {
        optional(
            self.connection
                .prepare_cached(
                    "SELECT content_type, bytes FROM attachments \
                     WHERE id = ?1 AND merchant_id = ?2 AND run_id = ?3",
                )?
                .query_row(params![id, merchant_id, run_id], |row| {
                    Ok((row.get(0)?, row.get(1)?))
                }),
        )
    }

    /// How many photos a run holds, and their bytes in all.
    pub fn usage(&self, merchant_id: &str, run_id: &str) -> Result<(usize, usize), StoreError> {
        let (count, bytes): (i64, i64) = self
            .connection
            .prepare_cached(
                "SELECT COUNT(*), COALESCE(SUM(LENGTH(bytes)), 0) FROM attachments \
                 WHERE merchant_id = ?1 AND run_id = ?2",
            )?
            .query_row(params![merchant_id, run_id], |row| {
                Ok((row.get(0)?, row.get(1)?))
            })?;
        Ok((
            usize::try_from(count).unwrap_or(usize::MAX),
            usize::try_from(bytes).unwrap_or(usize::MAX),
        ))
    }

    /// True when the merchant attached `id` to the run.
    pub fn exists(&self, merchant_id: &str, run_id: &str, id: &str) -> Result<bool, StoreError> {
        Ok(optional(
            self.connection
                .prepare_cached(
                    "SELECT 1 FROM attachments WHERE id = ?1 AND merchant_id = ?2 AND run_id = ?3",
                )?
                .query_row(params![id, merchant_id, run_id], |_| Ok(())),
        )?
        .is_some())
    }
}
