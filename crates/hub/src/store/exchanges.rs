//! The store's request log (`exchanges`): every Alipay+ call into the hub and every callback out
//! of it, appended, filtered newest first, and bound to runs.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use linker_cases::SignatureVerdict;
use rusqlite::{Connection, params};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::{Db, StoreError, from_json, time_text, to_json};

/// A reply's signature verdict, typed; written (in the request log, in stored attempts, in JSON)
/// as `valid`, `missing` or `invalid: <why>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReplySignature(SignatureVerdict);

impl ReplySignature {
    /// No signature came (or no reply at all).
    pub fn missing() -> ReplySignature {
        ReplySignature(SignatureVerdict::Missing)
    }

    /// Reads the written form back (`valid`, `missing`, `invalid: <why>`); any other text is an
    /// invalid signature with that text as its reason.
    pub fn from_text(text: &str) -> ReplySignature {
        ReplySignature(match text {
            "valid" => SignatureVerdict::Valid,
            "missing" => SignatureVerdict::Missing,
            other => SignatureVerdict::Invalid {
                reason: other.strip_prefix("invalid: ").unwrap_or(other).to_owned(),
            },
        })
    }

    /// The verdict.
    pub fn verdict(&self) -> &SignatureVerdict {
        &self.0
    }

    /// The verdict, owned.
    pub fn into_verdict(self) -> SignatureVerdict {
        self.0
    }

    /// True when the signature verified.
    pub fn is_valid(&self) -> bool {
        self.0.is_valid()
    }
}

impl From<SignatureVerdict> for ReplySignature {
    fn from(verdict: SignatureVerdict) -> ReplySignature {
        ReplySignature(verdict)
    }
}

impl std::fmt::Display for ReplySignature {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.0 {
            SignatureVerdict::Valid => f.write_str("valid"),
            SignatureVerdict::Missing => f.write_str("missing"),
            SignatureVerdict::Invalid { reason } => write!(f, "invalid: {reason}"),
        }
    }
}

impl PartialEq<&str> for ReplySignature {
    fn eq(&self, other: &&str) -> bool {
        match &self.0 {
            SignatureVerdict::Valid => *other == "valid",
            SignatureVerdict::Missing => *other == "missing",
            SignatureVerdict::Invalid { reason } => {
                other.strip_prefix("invalid: ") == Some(reason.as_str())
            }
        }
    }
}

impl Serialize for ReplySignature {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for ReplySignature {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<ReplySignature, D::Error> {
        Ok(ReplySignature::from_text(&String::deserialize(
            deserializer,
        )?))
    }
}

/// What the gateway's signature check said of an inbound call, as the request log writes it:
/// `not checked` (the call was refused before its signature was looked at), or the verdict.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LoggedSignature {
    /// Refused before the signature was checked (unknown Client-Id, wrong method, ...).
    NotChecked,
    /// Checked: `valid`, `missing` or `invalid: <why>`.
    Checked(ReplySignature),
}

impl LoggedSignature {
    /// Reads the written form back.
    pub fn from_text(text: &str) -> LoggedSignature {
        match text {
            "not checked" => LoggedSignature::NotChecked,
            other => LoggedSignature::Checked(ReplySignature::from_text(other)),
        }
    }

    /// The verdict a run's evidence records: one that was not checked counts as not valid.
    pub fn verdict(&self) -> SignatureVerdict {
        match self {
            LoggedSignature::NotChecked => SignatureVerdict::Invalid {
                reason: "not checked".to_owned(),
            },
            LoggedSignature::Checked(signature) => signature.verdict().clone(),
        }
    }
}

impl From<SignatureVerdict> for LoggedSignature {
    fn from(verdict: SignatureVerdict) -> LoggedSignature {
        LoggedSignature::Checked(verdict.into())
    }
}

impl From<ReplySignature> for LoggedSignature {
    fn from(signature: ReplySignature) -> LoggedSignature {
        LoggedSignature::Checked(signature)
    }
}

impl std::fmt::Display for LoggedSignature {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            LoggedSignature::NotChecked => f.write_str("not checked"),
            LoggedSignature::Checked(signature) => signature.fmt(f),
        }
    }
}

impl PartialEq<&str> for LoggedSignature {
    fn eq(&self, other: &&str) -> bool {
        match self {
            LoggedSignature::NotChecked => *other == "not checked",
            LoggedSignature::Checked(signature) => signature == other,
        }
    }
}

impl Serialize for LoggedSignature {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for LoggedSignature {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<LoggedSignature, D::Error> {
        Ok(LoggedSignature::from_text(&String::deserialize(
            deserializer,
        )?))
    }
}

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
    /// What the signature check said: `not checked`, `valid`, `missing`, or `invalid: <why>`.
    pub signature_verdict: LoggedSignature,
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
            signature_verdict: LoggedSignature::from_text(&row.get::<_, String>(9)?),
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
                    exchange.signature_verdict.to_string(),
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn logged_signatures_are_written_and_read_back_as_the_request_log_always_wrote_them() {
        let cases = [
            (LoggedSignature::NotChecked, "not checked"),
            (SignatureVerdict::Valid.into(), "valid"),
            (SignatureVerdict::Missing.into(), "missing"),
            (
                SignatureVerdict::Invalid {
                    reason: "signed over a different body".to_owned(),
                }
                .into(),
                "invalid: signed over a different body",
            ),
        ];
        for (signature, text) in cases {
            assert_eq!(signature.to_string(), text, "written form of {signature:?}");
            assert_eq!(
                LoggedSignature::from_text(text),
                signature,
                "{text:?} read back"
            );
            assert_eq!(
                serde_json::to_value(&signature).unwrap(),
                serde_json::json!(text),
                "JSON of {signature:?}"
            );
        }
        assert_eq!(
            LoggedSignature::NotChecked.verdict(),
            SignatureVerdict::Invalid {
                reason: "not checked".to_owned()
            },
            "an unchecked signature is never evidence of a valid one"
        );
    }
}
