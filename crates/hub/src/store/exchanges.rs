//! The store's request log (`exchanges`): every Alipay+ call into the hub and every callback out
//! of it, appended, filtered newest first, and bound to runs.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use rusqlite::{Connection, params};
use serde::{Deserialize, Serialize};

use super::{Db, StoreError, from_json, time_text, to_json};

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
    /// The stored text.
    pub fn as_str(self) -> &'static str {
        match self {
            Direction::Inbound => "inbound",
            Direction::Outbound => "outbound",
        }
    }

    /// Reads the stored text (anything but `outbound` as inbound).
    pub fn parse(text: &str) -> Direction {
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

/// Which exchanges of a project to read; `None` fields do not filter.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ExchangeQuery<'a> {
    /// Only this API.
    pub api: Option<&'a str>,
    /// Only this result code.
    pub result_code: Option<&'a str>,
    /// Only this result status.
    pub result_status: Option<&'a str>,
    /// Only entries whose request or answer body contains this (non-empty) text.
    pub contains: Option<&'a str>,
    /// Only entries at or after this time.
    pub since: Option<DateTime<Utc>>,
    /// Only entries at or before this time.
    pub until: Option<DateTime<Utc>>,
    /// Only entries before this sequence number.
    pub before: Option<i64>,
    /// Only entries of this run.
    pub run_id: Option<&'a str>,
    /// Only entries of this merchant's runs.
    pub merchant_id: Option<&'a str>,
    /// At most this many.
    pub limit: u32,
}

/// Operations on the request log (`exchanges`).
#[derive(Debug, Clone, Copy)]
pub struct Exchanges<'c> {
    connection: &'c Connection,
}

impl<'c> Db<'c> {
    /// The request log (`exchanges`).
    pub fn exchanges(self) -> Exchanges<'c> {
        Exchanges {
            connection: self.connection,
        }
    }
}

/// An exchange as read, before its JSON and time columns are decoded.
struct RawExchange {
    exchange: Exchange,
    at: String,
    request_headers: String,
    response_headers: String,
}

fn raw_exchange(row: &rusqlite::Row<'_>) -> rusqlite::Result<RawExchange> {
    Ok(RawExchange {
        exchange: Exchange {
            seq: row.get(0)?,
            project_id: row.get(1)?,
            client_id: row.get(2)?,
            at: DateTime::<Utc>::default(),
            direction: Direction::parse(&row.get::<_, String>(4)?),
            api: row.get(5)?,
            path: row.get(6)?,
            request_headers: BTreeMap::new(),
            request_body: row.get(8)?,
            signature_verdict: row.get(9)?,
            response_headers: BTreeMap::new(),
            response_body: row.get(11)?,
            result_code: row.get(12)?,
            result_status: row.get(13)?,
            forced: row.get(14)?,
            latency_us: row.get(15)?,
            run_id: row.get(16)?,
        },
        at: row.get(3)?,
        request_headers: row.get(7)?,
        response_headers: row.get(10)?,
    })
}

impl RawExchange {
    fn decode(self) -> Result<Exchange, StoreError> {
        Ok(Exchange {
            at: DateTime::parse_from_rfc3339(&self.at)
                .map(|t| t.with_timezone(&Utc))
                .map_err(|e| StoreError::Corrupt(format!("exchanges.at: {e}")))?,
            request_headers: from_json(&self.request_headers, "exchanges.request_headers")?,
            response_headers: from_json(&self.response_headers, "exchanges.response_headers")?,
            ..self.exchange
        })
    }
}

impl Exchanges<'_> {
    /// Appends an exchange (its `seq` is ignored) and returns the sequence number it got.
    pub fn insert(&self, exchange: &Exchange) -> Result<i64, StoreError> {
        Ok(self
            .connection
            .prepare_cached(
                "INSERT INTO exchanges (project_id, client_id, at, direction, api, path, \
                 request_headers, request_body, signature_verdict, response_headers, \
                 response_body, result_code, result_status, forced, latency_us, run_id) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16) \
                 RETURNING seq",
            )?
            .query_row(
                params![
                    exchange.project_id,
                    exchange.client_id,
                    time_text(exchange.at),
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
                |row| row.get(0),
            )?)
    }

    /// A project's exchanges that match the query, newest first.
    pub fn of_project(
        &self,
        project_id: &str,
        query: &ExchangeQuery<'_>,
    ) -> Result<Vec<Exchange>, StoreError> {
        let mut statement = self.connection.prepare_cached(
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
                query.api,
                query.result_code,
                query.result_status,
                query.before,
                query.limit,
                query.contains,
                query.since.map(time_text),
                query.until.map(time_text),
                query.run_id,
                query.merchant_id,
            ],
            raw_exchange,
        )?;
        rows.map(|row| row?.decode()).collect()
    }

    /// Marks a logged exchange as belonging to a run.
    pub fn set_run(&self, seq: i64, run_id: &str) -> Result<(), StoreError> {
        self.connection
            .prepare_cached("UPDATE exchanges SET run_id = ?2 WHERE seq = ?1")?
            .execute(params![seq, run_id])?;
        Ok(())
    }
}
