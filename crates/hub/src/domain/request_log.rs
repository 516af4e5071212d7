//! The request log: every Alipay+ call into the hub and every callback out of it, with headers,
//! bodies, the signature verdict and the result, as evidence and for the console's log page.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use rusqlite::params;
use serde::{Deserialize, Serialize};

use crate::Hub;
use crate::error::HubError;
use crate::store::{from_json, to_json};

/// Which way a message went.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Direction {
    /// ACQP → hub (an Alipay+ API call).
    Inbound,
    /// Hub → ACQP (a callback).
    Outbound,
}

impl Direction {
    fn as_str(self) -> &'static str {
        match self {
            Direction::Inbound => "inbound",
            Direction::Outbound => "outbound",
        }
    }

    fn parse(text: &str) -> Direction {
        if text == "outbound" {
            Direction::Outbound
        } else {
            Direction::Inbound
        }
    }
}

/// One logged exchange.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Exchange {
    /// Position in the log (increasing).
    pub seq: i64,
    /// The project, when the Client-Id named one.
    pub project_id: Option<String>,
    /// The Client-Id sent.
    pub client_id: Option<String>,
    /// When the request arrived (or was sent).
    pub at: DateTime<Utc>,
    /// Which way.
    pub direction: Direction,
    /// The API name (`pay`, `notifyPayment`, ...) or `unknown`.
    pub api: String,
    /// The request path.
    pub path: String,
    /// Request headers (lowercase names).
    pub request_headers: BTreeMap<String, String>,
    /// The request body as received.
    pub request_body: String,
    /// What the signature check said: `valid`, `missing`, or `invalid: <why>`.
    pub signature_verdict: String,
    /// Response headers (lowercase names).
    pub response_headers: BTreeMap<String, String>,
    /// The response body as sent.
    pub response_body: String,
    /// `result.resultCode` of the answer.
    pub result_code: Option<String>,
    /// `result.resultStatus` of the answer.
    pub result_status: Option<String>,
    /// True when iMock forced the answer.
    pub forced: bool,
    /// How long the hub took to answer, in microseconds.
    pub latency_us: i64,
    /// The test run the exchange belongs to, when it concerns a run's payment.
    #[serde(default)]
    pub run_id: Option<String>,
}

/// What the log is filtered by.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ExchangeFilter {
    /// Only this API.
    pub api: Option<String>,
    /// Only this result code.
    pub result_code: Option<String>,
    /// Only this result status (S, F, U).
    pub result_status: Option<String>,
    /// Only entries whose request or answer body contains this text (a MID, a paymentRequestId).
    pub contains: Option<String>,
    /// Only entries at or after this time (RFC 3339).
    pub since: Option<DateTime<Utc>>,
    /// Only entries at or before this time (RFC 3339).
    pub until: Option<DateTime<Utc>>,
    /// Only entries before this sequence number (paging, newest first).
    pub before: Option<i64>,
    /// Only entries of this test run.
    pub run_id: Option<String>,
    /// Only entries of this merchant's test runs (the hub's merchant id).
    pub merchant_id: Option<String>,
    /// At most this many (default 100, at most 1000).
    pub limit: Option<u32>,
}

impl Hub {
    /// Appends an exchange to the log and returns its sequence number.
    pub fn log_exchange(&self, exchange: &Exchange) -> Result<i64, HubError> {
        Ok(self.store.with(|connection| {
            connection.prepare_cached("INSERT INTO exchanges (project_id, client_id, at, direction, api, path, \
                 request_headers, request_body, signature_verdict, response_headers, response_body, \
                 result_code, result_status, forced, latency_us, run_id) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16)")?.execute(params![
                    exchange.project_id,
                    exchange.client_id,
                    exchange.at.to_rfc3339(),
                    exchange.direction.as_str(),
                    exchange.api,
                    exchange.path,
                    to_json(&exchange.request_headers),
                    exchange.request_body,
                    exchange.signature_verdict,
                    to_json(&exchange.response_headers),
                    exchange.response_body,
                    exchange.result_code,
                    exchange.result_status,
                    exchange.forced,
                    exchange.latency_us,
                    exchange.run_id,
                ],
            )?;
            Ok(connection.last_insert_rowid())
        })?)
    }

    /// A project's log, newest first.
    pub fn exchanges(
        &self,
        project_id: &str,
        filter: &ExchangeFilter,
    ) -> Result<Vec<Exchange>, HubError> {
        let limit = filter.limit.unwrap_or(100).clamp(1, 1000);
        Ok(self.store.with(|connection| {
            let mut statement = connection.prepare_cached(
                "SELECT seq, project_id, client_id, at, direction, api, path, request_headers, \
                 request_body, signature_verdict, response_headers, response_body, result_code, \
                 result_status, forced, latency_us, run_id FROM exchanges \
                 WHERE project_id = ?1 AND (?2 IS NULL OR api = ?2) \
                 AND (?3 IS NULL OR result_code = ?3) AND (?4 IS NULL OR result_status = ?4) \
                 AND (?5 IS NULL OR seq < ?5) \
                 AND (?7 IS NULL OR instr(request_body, ?7) > 0 OR instr(response_body, ?7) > 0) \
                 AND (?8 IS NULL OR at >= ?8) AND (?9 IS NULL OR at <= ?9) \
                 AND (?10 IS NULL OR run_id = ?10) \
                 AND (?11 IS NULL OR run_id IN (SELECT id FROM runs WHERE merchant_id = ?11)) \
                 ORDER BY seq DESC LIMIT ?6",
            )?;
            let rows = statement.query_map(
                params![
                    project_id,
                    filter.api,
                    filter.result_code,
                    filter.result_status,
                    filter.before,
                    limit,
                    filter.contains.as_deref().filter(|c| !c.is_empty()),
                    filter.since.map(|t| t.to_rfc3339()),
                    filter.until.map(|t| t.to_rfc3339()),
                    filter.run_id,
                    filter.merchant_id,
                ],
                |row| {
                    Ok((
                        row.get::<_, i64>(0)?,
                        row.get::<_, Option<String>>(1)?,
                        row.get::<_, Option<String>>(2)?,
                        row.get::<_, String>(3)?,
                        row.get::<_, String>(4)?,
                        row.get::<_, String>(5)?,
                        row.get::<_, String>(6)?,
                        row.get::<_, String>(7)?,
                        row.get::<_, String>(8)?,
                        row.get::<_, String>(9)?,
                        row.get::<_, String>(10)?,
                        row.get::<_, String>(11)?,
                        row.get::<_, Option<String>>(12)?,
                        row.get::<_, Option<String>>(13)?,
                        row.get::<_, bool>(14)?,
                        row.get::<_, i64>(15)?,
                        row.get::<_, Option<String>>(16)?,
                    ))
                },
            )?;
            let mut out = Vec::new();
            for row in rows {
                let row = row?;
                out.push(Exchange {
                    seq: row.0,
                    project_id: row.1,
                    client_id: row.2,
                    at: DateTime::parse_from_rfc3339(&row.3)
                        .map(|t| t.with_timezone(&Utc))
                        .map_err(|e| {
                            crate::store::StoreError::Corrupt(format!("exchanges.at: {e}"))
                        })?,
                    direction: Direction::parse(&row.4),
                    api: row.5,
                    path: row.6,
                    request_headers: from_json(&row.7, "exchanges.request_headers")?,
                    request_body: row.8,
                    signature_verdict: row.9,
                    response_headers: from_json(&row.10, "exchanges.response_headers")?,
                    response_body: row.11,
                    result_code: row.12,
                    result_status: row.13,
                    forced: row.14,
                    latency_us: row.15,
                    run_id: row.16,
                });
            }
            Ok(out)
        })?)
    }

    /// Marks logged exchanges as belonging to a run (an order paid before its wallet scanned it).
    pub(crate) fn bind_exchanges(&self, seqs: &[i64], run_id: &str) -> Result<(), HubError> {
        Ok(self.store.with(|connection| {
            let transaction = connection.transaction()?;
            for seq in seqs {
                transaction
                    .prepare_cached("UPDATE exchanges SET run_id = ?2 WHERE seq = ?1")?
                    .execute(params![seq, run_id])?;
            }
            transaction.commit()?;
            Ok(())
        })?)
    }
}
