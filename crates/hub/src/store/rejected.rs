//! The store's count of refused calls (`rejected_calls`, `rejected_samples`): an inbound call
//! whose signature did not verify (unknown Client-Id, malformed, unsigned, badly signed) is
//! counted per Client-Id, not logged whole, and the last few of each Client-Id are kept as
//! samples so a TSP can see why its calls were refused.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use rusqlite::{Connection, Row, params};
use serde::Serialize;

use super::exchanges::{LoggedSignature, prefix, sha256_hex};
use super::{Db, StoreError, from_json, time_column, time_text, to_json};

/// How many refused calls of each Client-Id are kept as samples.
pub const SAMPLES_PER_CLIENT: u32 = 5;

/// How many unknown Client-Ids (naming no project) are counted one by one; calls from further
/// ones are counted together under [`OTHER_CLIENTS`], without samples. Anyone can send any
/// Client-Id: this bounds what they make the hub keep.
pub const UNKNOWN_CLIENTS: u32 = 1000;

/// The Client-Id under which refused calls are counted once [`UNKNOWN_CLIENTS`] unknown ones
/// are (and calls that sent none).
pub const OTHER_CLIENTS: &str = "(other)";

/// The longest Client-Id counted as sent; longer ones are cut.
const CLIENT_ID_MAX: usize = 64;

/// How much of each header value of a sample is kept, and of how many headers.
const HEADER_VALUE_MAX: usize = 512;
const HEADERS_MAX: usize = 32;

/// How many calls from one Client-Id were refused, and the last reason.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RejectedCount {
    /// The Client-Id sent (cut at 64 characters), or [`OTHER_CLIENTS`].
    pub client_id: String,
    /// The project it names, if any.
    pub project_id: Option<String>,
    /// How many calls were refused.
    pub count: i64,
    /// The first refused call.
    pub first_at: DateTime<Utc>,
    /// The last refused call.
    pub last_at: DateTime<Utc>,
    /// The result code of the last one (`INVALID_SIGNATURE`, `INVALID_CLIENT`, ...).
    pub last_code: String,
    /// Why the last one was refused.
    pub last_reason: String,
}

/// A refused call, as kept in the samples (the body up to the log's prefix).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RejectedSample {
    /// Position among the samples (increasing).
    pub seq: i64,
    /// The Client-Id sent.
    pub client_id: String,
    /// The project it names, if any.
    pub project_id: Option<String>,
    /// When it arrived.
    pub at: DateTime<Utc>,
    /// The API name, or `unknown`.
    pub api: String,
    /// The request path.
    pub path: String,
    /// What the signature check said.
    pub signature_verdict: LoggedSignature,
    /// The result code answered.
    pub result_code: String,
    /// Why it was refused (the answer's `resultMessage`).
    pub reason: String,
    /// Request headers (lowercase names; values cut at 512 bytes, at most 32 of them).
    pub request_headers: BTreeMap<String, String>,
    /// The start of the request body.
    pub request_body: String,
    /// The whole body's size in bytes.
    pub request_size: u64,
    /// The whole body's SHA-256, hex.
    pub request_sha256: String,
}

/// A refused call to count.
#[derive(Debug, Clone)]
pub struct Refused<'a> {
    /// The Client-Id sent, if any.
    pub client_id: Option<&'a str>,
    /// The project it names, if any.
    pub project_id: Option<&'a str>,
    /// When it arrived.
    pub at: DateTime<Utc>,
    /// The API name, or `unknown`.
    pub api: &'a str,
    /// The request path.
    pub path: &'a str,
    /// What the signature check said.
    pub signature_verdict: &'a LoggedSignature,
    /// The result code answered.
    pub result_code: &'a str,
    /// Why.
    pub reason: &'a str,
    /// Request headers (lowercase names).
    pub request_headers: &'a BTreeMap<String, String>,
    /// The whole request body.
    pub request_body: &'a str,
    /// How much of the body a sample keeps.
    pub body_limit: usize,
}

/// Operations on the refused calls.
#[derive(Debug, Clone, Copy)]
pub struct Rejected<'c> {
    connection: &'c Connection,
}

impl<'c> Db<'c> {
    /// The refused calls (`rejected_calls`, `rejected_samples`).
    pub fn rejected(self) -> Rejected<'c> {
        Rejected {
            connection: self.connection,
        }
    }
}

fn count_row(row: &Row<'_>) -> rusqlite::Result<RejectedCount> {
    Ok(RejectedCount {
        client_id: row.get(0)?,
        project_id: row.get(1)?,
        count: row.get(2)?,
        first_at: time_column(3, Some(row.get(3)?))?.unwrap_or_default(),
        last_at: time_column(4, Some(row.get(4)?))?.unwrap_or_default(),
        last_code: row.get(5)?,
        last_reason: row.get(6)?,
    })
}

impl Rejected<'_> {
    /// Counts a refused call under its Client-Id (or [`OTHER_CLIENTS`]) and keeps it as a
    /// sample, dropping that Client-Id's older samples beyond [`SAMPLES_PER_CLIENT`].
    pub fn record(&self, refused: &Refused<'_>) -> Result<(), StoreError> {
        let client_id = self.counted_as(refused)?;
        self.connection
            .prepare_cached(
                "INSERT INTO rejected_calls (client_id, project_id, count, first_at, last_at, \
                 last_code, last_reason) VALUES (?1, ?2, 1, ?3, ?3, ?4, ?5) \
                 ON CONFLICT (client_id) DO UPDATE SET count = count + 1, last_at = ?3, \
                 last_code = ?4, last_reason = ?5, project_id = ?2",
            )?
            .execute(params![
                client_id,
                refused.project_id,
                time_text(refused.at),
                refused.result_code,
                prefix(refused.reason, 1024),
            ])?;
        if client_id == OTHER_CLIENTS {
            return Ok(());
        }
        let headers: BTreeMap<&str, &str> = refused
            .request_headers
            .iter()
            .take(HEADERS_MAX)
            .map(|(name, value)| (prefix(name, 64), prefix(value, HEADER_VALUE_MAX)))
            .collect();
        self.connection
            .prepare_cached(
                "INSERT INTO rejected_samples (client_id, project_id, at, api, path, \
                 signature_verdict, result_code, reason, request_headers, request_body, \
                 request_size, request_sha256) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
            )?
            .execute(params![
                client_id,
                refused.project_id,
                time_text(refused.at),
                prefix(refused.api, 64),
                prefix(refused.path, 256),
                refused.signature_verdict.to_string(),
                refused.result_code,
                prefix(refused.reason, 1024),
                to_json(&headers),
                prefix(refused.request_body, refused.body_limit),
                i64::try_from(refused.request_body.len()).unwrap_or(i64::MAX),
                sha256_hex(refused.request_body),
            ])?;
        self.connection
            .prepare_cached(
                "DELETE FROM rejected_samples WHERE client_id = ?1 AND seq <= (SELECT seq \
                 FROM rejected_samples WHERE client_id = ?1 ORDER BY seq DESC LIMIT 1 OFFSET ?2)",
            )?
            .execute(params![client_id, SAMPLES_PER_CLIENT])?;
        Ok(())
    }

    /// The Client-Id a refused call is counted under: its own (cut), unless it names no
    /// project, sent none, or [`UNKNOWN_CLIENTS`] unknown ones are already counted.
    fn counted_as(&self, refused: &Refused<'_>) -> Result<String, StoreError> {
        let Some(sent) = refused.client_id.filter(|id| !id.is_empty()) else {
            return Ok(OTHER_CLIENTS.to_owned());
        };
        let client_id = prefix(sent, CLIENT_ID_MAX).to_owned();
        if refused.project_id.is_some() {
            return Ok(client_id);
        }
        let (known, unknown): (bool, i64) = self
            .connection
            .prepare_cached(
                "SELECT EXISTS (SELECT 1 FROM rejected_calls WHERE client_id = ?1), \
                 (SELECT COUNT(*) FROM rejected_calls WHERE project_id IS NULL)",
            )?
            .query_row(params![client_id], |row| Ok((row.get(0)?, row.get(1)?)))?;
        Ok(if known || unknown < i64::from(UNKNOWN_CLIENTS) {
            client_id
        } else {
            OTHER_CLIENTS.to_owned()
        })
    }

    /// The counts of a project's Client-Id(s), most recent first.
    pub fn counts_of_project(&self, project_id: &str) -> Result<Vec<RejectedCount>, StoreError> {
        let mut statement = self.connection.prepare_cached(
            "SELECT client_id, project_id, count, first_at, last_at, last_code, last_reason \
             FROM rejected_calls WHERE project_id = ?1 ORDER BY last_at DESC",
        )?;
        let rows = statement.query_map(params![project_id], count_row)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// The count of one Client-Id (as counted), if any call from it was refused.
    pub fn count_of_client(&self, client_id: &str) -> Result<Option<RejectedCount>, StoreError> {
        let mut statement = self.connection.prepare_cached(
            "SELECT client_id, project_id, count, first_at, last_at, last_code, last_reason \
             FROM rejected_calls WHERE client_id = ?1",
        )?;
        let mut rows = statement.query_map(params![client_id], count_row)?;
        Ok(rows.next().transpose()?)
    }

    /// A project's samples, newest first.
    pub fn samples_of_project(&self, project_id: &str) -> Result<Vec<RejectedSample>, StoreError> {
        let mut statement = self.connection.prepare_cached(
            "SELECT seq, client_id, project_id, at, api, path, signature_verdict, result_code, \
             reason, request_headers, request_body, request_size, request_sha256 \
             FROM rejected_samples WHERE project_id = ?1 ORDER BY seq DESC",
        )?;
        let rows = statement.query_map(params![project_id], |row| {
            Ok((
                RejectedSample {
                    seq: row.get(0)?,
                    client_id: row.get(1)?,
                    project_id: row.get(2)?,
                    at: time_column(3, Some(row.get(3)?))?.unwrap_or_default(),
                    api: row.get(4)?,
                    path: row.get(5)?,
                    signature_verdict: LoggedSignature::from_text(&row.get::<_, String>(6)?),
                    result_code: row.get(7)?,
                    reason: row.get(8)?,
                    request_headers: BTreeMap::new(),
                    request_body: row.get(10)?,
                    request_size: row.get(11)?,
                    request_sha256: row.get(12)?,
                },
                row.get::<_, String>(9)?,
            ))
        })?;
        rows.map(|row| {
            let (sample, headers) = row?;
            Ok(RejectedSample {
                request_headers: from_json(&headers, "rejected_samples.request_headers")?,
                ..sample
            })
        })
        .collect()
    }

    /// Forgets a project's refused calls last seen before `cutoff` (counts and samples), as
    /// its log's retention says; returns how many samples went.
    pub fn delete_older(
        &self,
        project_id: &str,
        cutoff: DateTime<Utc>,
    ) -> Result<usize, StoreError> {
        let cutoff = time_text(cutoff);
        self.connection
            .prepare_cached("DELETE FROM rejected_calls WHERE project_id = ?1 AND last_at < ?2")?
            .execute(params![project_id, cutoff])?;
        Ok(self
            .connection
            .prepare_cached("DELETE FROM rejected_samples WHERE project_id = ?1 AND at < ?2")?
            .execute(params![project_id, cutoff])?)
    }

    /// Forgets the refused calls that named no project, last seen before `cutoff`.
    pub fn delete_unknown_older(&self, cutoff: DateTime<Utc>) -> Result<usize, StoreError> {
        let cutoff = time_text(cutoff);
        self.connection
            .prepare_cached("DELETE FROM rejected_calls WHERE project_id IS NULL AND last_at < ?1")?
            .execute(params![cutoff])?;
        Ok(self
            .connection
            .prepare_cached("DELETE FROM rejected_samples WHERE project_id IS NULL AND at < ?1")?
            .execute(params![cutoff])?)
    }
}
