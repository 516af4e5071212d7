//! The store's callback deliveries (`deliveries`) and their attempts (`delivery_attempts`): typed
//! rows in and out.

use chrono::{DateTime, Utc};
use rusqlite::{Connection, Row, params};
use serde::Serialize;

use super::{Db, StoreError, optional, time_column, time_text};

/// The `api` of a notifyPayment delivery.
pub const NOTIFY_PAYMENT: &str = "notifyPayment";
/// The `api` of an authNotify delivery.
pub const AUTH_NOTIFY: &str = "authNotify";
/// The `api` of a userInitiatedPay delivery.
pub const USER_INITIATED_PAY: &str = "userInitiatedPay";

/// Where a delivery stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum DeliveryStatus {
    /// Waiting for its next attempt.
    Pending,
    /// The ACQP acknowledged it with a signed S.
    Delivered,
    /// Every attempt of the schedule failed.
    GaveUp,
    /// Sent once on purpose with a wrong signature (a forged notification); never retried.
    SentForged,
}

impl DeliveryStatus {
    /// The stored text.
    pub fn as_str(self) -> &'static str {
        match self {
            DeliveryStatus::Pending => "pending",
            DeliveryStatus::Delivered => "delivered",
            DeliveryStatus::GaveUp => "gaveUp",
            DeliveryStatus::SentForged => "sentForged",
        }
    }

    /// Reads the stored text (anything unknown as pending).
    pub fn parse(text: &str) -> DeliveryStatus {
        match text {
            "delivered" => DeliveryStatus::Delivered,
            "gaveUp" => DeliveryStatus::GaveUp,
            "sentForged" => DeliveryStatus::SentForged,
            _ => DeliveryStatus::Pending,
        }
    }
}

/// One callback to deliver.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Delivery {
    /// The delivery's id.
    pub id: String,
    /// Its project.
    pub project_id: String,
    /// The payment it reports, if any.
    pub payment_id: Option<String>,
    /// `notifyPayment`, `authNotify` or `userInitiatedPay`.
    pub api: String,
    /// Where it goes.
    pub url: String,
    /// The body, fixed at creation: every retry sends the same bytes.
    pub body: String,
    /// True when it is signed with a key that is not the project's (NTF-01).
    pub forged: bool,
    /// Attempts made so far.
    pub attempts: u32,
    /// When the next attempt is due.
    pub next_attempt_at: Option<DateTime<Utc>>,
    /// Where it stands.
    pub status: DeliveryStatus,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// Why the last attempt was not an S ack.
    pub last_error: Option<String>,
    /// The run whose payment it reports, if any.
    pub run_id: Option<String>,
}

/// One attempt of a delivery as stored (its verdict as JSON text).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttemptRow {
    /// 1 for the first attempt, ...
    pub attempt: u32,
    /// When it was sent.
    pub at: DateTime<Utc>,
    /// What it found, as JSON.
    pub verdict: String,
}

/// Operations on deliveries and their attempts (`deliveries`, `delivery_attempts`).
#[derive(Debug, Clone, Copy)]
pub struct Deliveries<'c> {
    connection: &'c Connection,
}

impl<'c> Db<'c> {
    /// Callback deliveries and their attempts (`deliveries`, `delivery_attempts`).
    pub fn deliveries(self) -> Deliveries<'c> {
        Deliveries {
            connection: self.connection,
        }
    }
}

const COLUMNS: &str = "id, project_id, payment_id, api, url, body, forged, attempts, \
    next_attempt_at, status, created_at, last_error, run_id";

fn from_row(row: &Row<'_>) -> rusqlite::Result<Delivery> {
    Ok(Delivery {
        id: row.get(0)?,
        project_id: row.get(1)?,
        payment_id: row.get(2)?,
        api: row.get(3)?,
        url: row.get(4)?,
        body: row.get(5)?,
        forged: row.get(6)?,
        attempts: row.get(7)?,
        next_attempt_at: time_column(8, row.get(8)?)?,
        status: DeliveryStatus::parse(&row.get::<_, String>(9)?),
        created_at: time_column(10, Some(row.get(10)?))?.unwrap_or_default(),
        last_error: row.get(11)?,
        run_id: row.get(12)?,
    })
}

impl Deliveries<'_> {
    /// Stores a new delivery.
    pub fn insert(&self, delivery: &Delivery) -> Result<(), StoreError> {
        self.connection
            .prepare_cached(&format!(
                "INSERT INTO deliveries ({COLUMNS}) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)"
            ))?
            .execute(params![
                delivery.id,
                delivery.project_id,
                delivery.payment_id,
                delivery.api,
                delivery.url,
                delivery.body,
                delivery.forged,
                delivery.attempts,
                delivery.next_attempt_at.map(time_text),
                delivery.status.as_str(),
                time_text(delivery.created_at),
                delivery.last_error,
                delivery.run_id,
            ])?;
        Ok(())
    }

    /// A project's deliveries, newest first.
    pub fn of_project(&self, project_id: &str) -> Result<Vec<Delivery>, StoreError> {
        let mut statement = self.connection.prepare_cached(&format!(
            "SELECT {COLUMNS} FROM deliveries WHERE project_id = ?1 ORDER BY created_at DESC, id"
        ))?;
        let rows = statement.query_map([project_id], from_row)?;
        Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
    }

    /// One delivery.
    pub fn get(&self, id: &str) -> Result<Option<Delivery>, StoreError> {
        optional(
            self.connection
                .prepare_cached(&format!("SELECT {COLUMNS} FROM deliveries WHERE id = ?1"))?
                .query_row([id], from_row),
        )
    }

    /// The pending deliveries due at `now`, soonest first, at most `limit`.
    pub fn due(&self, now: DateTime<Utc>, limit: u32) -> Result<Vec<Delivery>, StoreError> {
        let mut statement = self.connection.prepare_cached(&format!(
            "SELECT {COLUMNS} FROM deliveries WHERE status = 'pending' AND next_attempt_at <= ?1 \
             ORDER BY next_attempt_at LIMIT ?2"
        ))?;
        let rows = statement.query_map(params![time_text(now), limit], from_row)?;
        Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
    }

    /// Stores where a delivery stands after an attempt.
    pub fn update_after_attempt(
        &self,
        id: &str,
        attempts: u32,
        status: DeliveryStatus,
        next_attempt_at: Option<DateTime<Utc>>,
        last_error: Option<&str>,
    ) -> Result<(), StoreError> {
        self.connection
            .prepare_cached(
                "UPDATE deliveries SET attempts = ?2, status = ?3, next_attempt_at = ?4, \
                 last_error = ?5 WHERE id = ?1",
            )?
            .execute(params![
                id,
                attempts,
                status.as_str(),
                next_attempt_at.map(time_text),
                last_error,
            ])?;
        Ok(())
    }

    /// Stores one attempt of a delivery, its verdict as JSON.
    pub fn insert_attempt(
        &self,
        delivery_id: &str,
        attempt: &AttemptRow,
    ) -> Result<(), StoreError> {
        self.connection
            .prepare_cached(
                "INSERT INTO delivery_attempts (delivery_id, attempt, at, verdict) \
                 VALUES (?1, ?2, ?3, ?4)",
            )?
            .execute(params![
                delivery_id,
                attempt.attempt,
                time_text(attempt.at),
                attempt.verdict,
            ])?;
        Ok(())
    }

    /// Every attempt of a delivery, oldest first.
    pub fn attempts(&self, delivery_id: &str) -> Result<Vec<AttemptRow>, StoreError> {
        let mut statement = self.connection.prepare_cached(
            "SELECT attempt, at, verdict FROM delivery_attempts WHERE delivery_id = ?1 \
             ORDER BY attempt",
        )?;
        let rows = statement.query_map([delivery_id], |row| {
            Ok(AttemptRow {
                attempt: row.get(0)?,
                at: time_column(1, Some(row.get(1)?))?.unwrap_or_default(),
                verdict: row.get(2)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
    }
}
