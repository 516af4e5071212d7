//! The store's request log (`exchanges`): every verified Alipay+ call into the hub and every
//! callback out of it, appended, filtered newest first, bound to runs, found by payment, and
//! deleted when older than the project keeps them. Each body is kept up to a limit the caller
//! gives ([`BODY_PREFIX`] unless a run may still claim the call), with the whole body's size and
//! SHA-256. An exchange's headers and bodies are stored packed into one blob (`store/packed.rs`);
//! rows written before schema 19 keep them as text.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use linker_cases::SignatureVerdict;
use rusqlite::{Connection, params};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::{Db, StoreError, from_json, packed, time_text, to_json};

/// How much of a body the request log keeps: its first 4 KB (cut at a character boundary), with
/// the whole body's size and SHA-256.
pub const BODY_PREFIX: usize = 4 * 1024;

/// How much of its bodies a verified inbound call that joined no run keeps: a run may claim it
/// later (an order paid before its wallet scanned it, a checkout's consults, an authorization's
/// `prepare`) and judge every field of it, and Alipay+ messages are far smaller than this.
pub const CLAIMABLE_BODY_LIMIT: usize = 64 * 1024;

/// The longest prefix of `text` of at most `limit` bytes that ends at a character boundary.
pub fn prefix(text: &str, limit: usize) -> &str {
    if text.len() <= limit {
        return text;
    }
    let mut end = limit;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

/// The SHA-256 of a body longer than `limit` (which the log cuts), else nothing.
fn hash_if_cut(body: &str, limit: usize) -> Option<String> {
    (body.len() > limit).then(|| sha256_hex(body))
}

/// The SHA-256 of a body, in lowercase hex.
pub fn sha256_hex(body: &str) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(body.as_bytes()))
}

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
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum LoggedSignature {
    /// Refused before the signature was checked (unknown Client-Id, wrong method, ...).
    #[default]
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
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Direction {
    /// ACQP → hub (an Alipay+ API call).
    #[default]
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

/// One logged exchange. Written whole; read back, each body is what the log kept of it (see
/// `request_size` and `request_sha256` for the whole body).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
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
    /// The request body as received (read back: the part the log kept).
    pub request_body: String,
    /// What the signature check said: `not checked`, `valid`, `missing`, or `invalid: <why>`.
    pub signature_verdict: LoggedSignature,
    /// Response headers (lowercase names).
    pub response_headers: BTreeMap<String, String>,
    /// The response body as sent (read back: the part the log kept).
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
    /// The hub's id of the payment the exchange concerns, when it names one (indexed).
    #[serde(default)]
    pub payment_id: Option<String>,
    /// The whole request body's size in bytes (read back; ignored when written).
    #[serde(default)]
    pub request_size: u64,
    /// The whole request body's SHA-256, hex (read back; stored only for a cut body, computed
    /// for a whole one).
    #[serde(default)]
    pub request_sha256: Option<String>,
    /// The whole response body's size in bytes (read back; ignored when written).
    #[serde(default)]
    pub response_size: u64,
    /// The whole response body's SHA-256, hex (read back, as `request_sha256`).
    #[serde(default)]
    pub response_sha256: Option<String>,
}

impl Exchange {
    /// True when the log kept only the start of the request body.
    pub fn request_truncated(&self) -> bool {
        (self.request_body.len() as u64) < self.request_size
    }

    /// True when the log kept only the start of the response body.
    pub fn response_truncated(&self) -> bool {
        (self.response_body.len() as u64) < self.response_size
    }
}

/// One exchange as a list shows it: everything but headers and bodies (which a list never
/// loads), with the bodies' sizes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ExchangeSummary {
    /// Position in the log.
    pub seq: i64,
    /// When the request arrived (or was sent).
    pub at: DateTime<Utc>,
    /// Which way.
    pub direction: Direction,
    /// The API name.
    pub api: String,
    /// The request path.
    pub path: String,
    /// What the signature check said.
    pub signature_verdict: LoggedSignature,
    /// `result.resultCode` of the answer.
    pub result_code: Option<String>,
    /// `result.resultStatus` of the answer.
    pub result_status: Option<String>,
    /// True when iMock forced the answer.
    pub forced: bool,
    /// How long the hub took to answer, in microseconds.
    pub latency_us: i64,
    /// The run it belongs to.
    pub run_id: Option<String>,
    /// The whole request body's size in bytes.
    pub request_size: u64,
    /// The whole response body's size in bytes.
    pub response_size: u64,
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
    /// Headers and bodies packed (rows written since schema 19), else `None` and the text
    /// columns hold them.
    packed: Option<Vec<u8>>,
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
            payment_id: row.get(17)?,
            request_size: row.get(18)?,
            request_sha256: row.get(19)?,
            response_size: row.get(20)?,
            response_sha256: row.get(21)?,
        },
        at: row.get(3)?,
        request_headers: row.get(7)?,
        response_headers: row.get(10)?,
        packed: row.get(22)?,
    })
}

impl RawExchange {
    fn decode(mut self) -> Result<Exchange, StoreError> {
        if let Some(blob) = self.packed.take() {
            let mut texts = packed::unpack(&blob, 4)?.into_iter();
            let mut next = || texts.next().unwrap_or_default();
            self.request_headers = next();
            self.exchange.request_body = next();
            self.response_headers = next();
            self.exchange.response_body = next();
        }
        let whole_hash = |body: &str, size: u64, stored: Option<String>| {
            stored.or_else(|| (body.len() as u64 == size).then(|| sha256_hex(body)))
        };
        let exchange = self.exchange;
        Ok(Exchange {
            request_sha256: whole_hash(
                &exchange.request_body,
                exchange.request_size,
                exchange.request_sha256.clone(),
            ),
            response_sha256: whole_hash(
                &exchange.response_body,
                exchange.response_size,
                exchange.response_sha256.clone(),
            ),
            at: DateTime::parse_from_rfc3339(&self.at)
                .map(|t| t.with_timezone(&Utc))
                .map_err(|e| StoreError::Corrupt(format!("exchanges.at: {e}")))?,
            request_headers: from_json(&self.request_headers, "exchanges.request_headers")?,
            response_headers: from_json(&self.response_headers, "exchanges.response_headers")?,
            ..exchange
        })
    }
}

impl Exchanges<'_> {
    /// Appends an exchange (its `seq`, sizes and hashes are ignored), keeping at most
    /// `body_limit` bytes of each body with the whole body's size and, when the body is cut, its
    /// SHA-256 (a whole body's is computed when read), and returns the sequence number it got.
    /// Headers and kept bodies are stored packed into one blob.
    pub fn insert(&self, exchange: &Exchange, body_limit: usize) -> Result<i64, StoreError> {
        let size = |body: &str| i64::try_from(body.len()).unwrap_or(i64::MAX);
        let blob = packed::pack(&[
            &to_json(&exchange.request_headers),
            prefix(&exchange.request_body, body_limit),
            &to_json(&exchange.response_headers),
            prefix(&exchange.response_body, body_limit),
        ]);
        Ok(self
            .connection
            .prepare_cached(
                "INSERT INTO exchanges (project_id, client_id, at, direction, api, path, \
                 request_headers, request_body, signature_verdict, response_headers, \
                 response_body, result_code, result_status, forced, latency_us, run_id, \
                 payment_id, request_size, request_sha256, response_size, response_sha256, \
                 packed) VALUES (?1, ?2, ?3, ?4, ?5, ?6, '', '', ?7, '', '', ?8, ?9, ?10, ?11, \
                 ?12, ?13, ?14, ?15, ?16, ?17, ?18) RETURNING seq",
            )?
            .query_row(
                params![
                    exchange.project_id,
                    exchange.client_id,
                    time_text(exchange.at),
                    exchange.direction.as_str(),
                    exchange.api,
                    exchange.path,
                    exchange.signature_verdict.to_string(),
                    exchange.result_code,
                    exchange.result_status,
                    exchange.forced,
                    exchange.latency_us,
                    exchange.run_id,
                    exchange.payment_id,
                    size(&exchange.request_body),
                    hash_if_cut(&exchange.request_body, body_limit),
                    size(&exchange.response_body),
                    hash_if_cut(&exchange.response_body, body_limit),
                    blob,
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
        let mut statement = self
            .connection
            .prepare_cached(&format!("SELECT {COLUMNS} FROM exchanges {FILTER}"))?;
        let rows = statement.query_map(filter_params(project_id, query), raw_exchange)?;
        rows.map(|row| row?.decode()).collect()
    }

    /// A project's exchanges that match the query, newest first, without headers or bodies.
    pub fn summaries(
        &self,
        project_id: &str,
        query: &ExchangeQuery<'_>,
    ) -> Result<Vec<ExchangeSummary>, StoreError> {
        let mut statement = self.connection.prepare_cached(&summaries_sql())?;
        let rows = statement.query_map(filter_params(project_id, query), |row| {
            Ok((
                row.get::<_, String>(1)?,
                ExchangeSummary {
                    seq: row.get(0)?,
                    at: DateTime::<Utc>::default(),
                    direction: Direction::parse(&row.get::<_, String>(2)?),
                    api: row.get(3)?,
                    path: row.get(4)?,
                    signature_verdict: LoggedSignature::from_text(&row.get::<_, String>(5)?),
                    result_code: row.get(6)?,
                    result_status: row.get(7)?,
                    forced: row.get(8)?,
                    latency_us: row.get(9)?,
                    run_id: row.get(10)?,
                    request_size: row.get(11)?,
                    response_size: row.get(12)?,
                },
            ))
        })?;
        rows.map(|row| {
            let (at, summary) = row?;
            Ok(ExchangeSummary {
                at: parse_at(&at)?,
                ..summary
            })
        })
        .collect()
    }

    /// One exchange of a project, by its sequence number.
    pub fn get(&self, project_id: &str, seq: i64) -> Result<Option<Exchange>, StoreError> {
        let mut statement = self.connection.prepare_cached(&format!(
            "SELECT {COLUMNS} FROM exchanges WHERE project_id = ?1 AND seq = ?2"
        ))?;
        let mut rows = statement.query_map(params![project_id, seq], raw_exchange)?;
        rows.next().map(|row| row?.decode()).transpose()
    }

    /// The inbound exchanges of a project that concern a payment, oldest first (through the
    /// `exchanges_by_payment` index, never reading other rows' bodies).
    pub fn of_payment(
        &self,
        project_id: &str,
        payment_id: &str,
    ) -> Result<Vec<Exchange>, StoreError> {
        let mut statement = self.connection.prepare_cached(&format!(
            "SELECT {COLUMNS} FROM exchanges WHERE project_id = ?1 AND payment_id = ?2 \
             AND direction = 'inbound' ORDER BY seq"
        ))?;
        let rows = statement.query_map(params![project_id, payment_id], raw_exchange)?;
        rows.map(|row| row?.decode()).collect()
    }

    /// Deletes, oldest first and at most `batch` at a time, a project's exchanges logged before
    /// `cutoff`, except those of a run still open; returns how many went. The walk follows the
    /// log's order and stops at the first exchange not older than `cutoff`.
    pub fn delete_older(
        &self,
        project_id: &str,
        cutoff: DateTime<Utc>,
        batch: u32,
    ) -> Result<usize, StoreError> {
        Ok(self
            .connection
            .prepare_cached(
                "DELETE FROM exchanges WHERE seq IN (SELECT seq FROM exchanges \
                 WHERE project_id = ?1 AND at < ?2 AND seq < COALESCE((SELECT MIN(seq) \
                 FROM exchanges WHERE project_id = ?1 AND at >= ?2), 9223372036854775807) \
                 AND (run_id IS NULL OR run_id NOT IN (SELECT id FROM runs WHERE status = 'open')) \
                 ORDER BY seq LIMIT ?3)",
            )?
            .execute(params![project_id, time_text(cutoff), batch])?)
    }

    /// The query plan SQLite picks for [`Exchanges::of_payment`] (for the test that the index
    /// is used), one line per step.
    pub fn payment_query_plan(&self) -> Result<Vec<String>, StoreError> {
        let mut statement = self.connection.prepare(&format!(
            "EXPLAIN QUERY PLAN SELECT {COLUMNS} FROM exchanges WHERE project_id = ?1 \
             AND payment_id = ?2 AND direction = 'inbound' ORDER BY seq"
        ))?;
        let rows = statement.query_map(params!["p", "x"], |row| row.get::<_, String>(3))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Marks a logged exchange as belonging to a run.
    pub fn set_run(&self, seq: i64, run_id: &str) -> Result<(), StoreError> {
        self.connection
            .prepare_cached("UPDATE exchanges SET run_id = ?2 WHERE seq = ?1")?
            .execute(params![seq, run_id])?;
        Ok(())
    }
}

/// The columns [`raw_exchange`] reads, in its order.
const COLUMNS: &str = "seq, project_id, client_id, at, direction, api, path, request_headers, \
    request_body, signature_verdict, response_headers, response_body, result_code, \
    result_status, forced, latency_us, run_id, payment_id, COALESCE(request_size, \
    length(CAST(request_body AS BLOB))), request_sha256, COALESCE(response_size, \
    length(CAST(response_body AS BLOB))), response_sha256, packed";

/// The filter of [`ExchangeQuery`], over [`filter_params`].
const FILTER: &str = "WHERE project_id = ?1 AND (?2 IS NULL OR api = ?2) \
    AND (?3 IS NULL OR result_code = ?3) AND (?4 IS NULL OR result_status = ?4) \
    AND (?5 IS NULL OR seq < ?5) \
    AND (?7 IS NULL OR exchange_bodies_contain(packed, request_body, response_body, ?7)) \
    AND (?8 IS NULL OR at >= ?8) AND (?9 IS NULL OR at <= ?9) \
    AND (?10 IS NULL OR run_id = ?10) \
    AND (?11 IS NULL OR run_id IN (SELECT id FROM runs WHERE merchant_id = ?11)) \
    ORDER BY seq DESC LIMIT ?6";

/// The request log page's query ([`Exchanges::summaries`]).
fn summaries_sql() -> String {
    format!(
        "SELECT seq, at, direction, api, path, signature_verdict, result_code, \
         result_status, forced, latency_us, run_id, COALESCE(request_size, 0), \
         COALESCE(response_size, 0) FROM exchanges {FILTER}"
    )
}

fn filter_params<'a>(
    project_id: &'a str,
    query: &'a ExchangeQuery<'a>,
) -> impl rusqlite::Params + 'a {
    (
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
    )
}

/// Registers `exchange_bodies_contain(packed, request_body, response_body, text)` on a
/// connection: true when either body of an exchange (packed or, for rows written before schema
/// 19, as text) contains `text` (the log's `contains` filter).
pub(super) fn register_functions(connection: &Connection) -> Result<(), StoreError> {
    use rusqlite::functions::FunctionFlags;
    connection.create_scalar_function(
        "exchange_bodies_contain",
        4,
        FunctionFlags::SQLITE_UTF8 | FunctionFlags::SQLITE_DETERMINISTIC,
        |context| {
            let needle: String = context.get(3)?;
            if let Some(blob) = context.get::<Option<Vec<u8>>>(0)? {
                let texts = packed::unpack(&blob, 4)
                    .map_err(|e| rusqlite::Error::UserFunctionError(Box::new(e)))?;
                let has = |i: usize| texts.get(i).is_some_and(|text| text.contains(&needle));
                return Ok(has(1) || has(3));
            }
            let request: String = context.get(1)?;
            let response: String = context.get(2)?;
            Ok(request.contains(&needle) || response.contains(&needle))
        },
    )?;
    Ok(())
}

fn parse_at(at: &str) -> Result<DateTime<Utc>, StoreError> {
    DateTime::parse_from_rfc3339(at)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| StoreError::Corrupt(format!("exchanges.at: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A database at schema 18 (before bodies were packed) with project `p` and one logged
    /// `pay` kept as text.
    fn schema_18_database(path: &std::path::Path) {
        let mut connection = Connection::open(path).unwrap();
        linker_base::sqlite::migrate(&mut connection, &super::super::migrations::MIGRATIONS[..18])
            .unwrap();
        connection
            .execute(
                "INSERT INTO projects (id, name, client_id, acquirer_id, acqp_public_key, \
                 hub_private_key, hub_public_key, entry_code_domains, private_code_domains, \
                 notify_retry_schedule, created_at, updated_at) \
                 VALUES ('p', '', 'C', '', '', '', '', '', '', '', '', '')",
                [],
            )
            .unwrap();
        connection
            .execute(
                "INSERT INTO exchanges (project_id, client_id, at, direction, api, path, \
                 request_headers, request_body, signature_verdict, response_headers, \
                 response_body, forced, latency_us, payment_id, request_size, response_size) \
                 VALUES ('p', 'C', '2026-11-25T02:00:00+00:00', 'inbound', 'pay', '/pay', \
                 '{\"client-id\":\"C\"}', '{\"paymentRequestId\":\"old-1\"}', 'valid', \
                 '{}', '{\"paymentId\":\"P1\"}', 0, 5, 'P1', 29, 17)",
                [],
            )
            .unwrap();
    }

    #[test]
    fn the_request_log_page_walks_the_projects_index_newest_first_without_sorting_or_scanning() {
        let store = super::super::Store::in_memory().unwrap();
        let plan: Vec<String> = store
            .with(|c| {
                let mut statement = c.prepare(&format!(
                    "EXPLAIN QUERY PLAN SELECT seq, at FROM exchanges {FILTER}"
                ))?;
                let query = ExchangeQuery {
                    limit: 100,
                    ..ExchangeQuery::default()
                };
                let rows = statement
                    .query_map(filter_params("p", &query), |row| row.get::<_, String>(3))?;
                Ok(rows.collect::<Result<_, _>>()?)
            })
            .unwrap();
        assert!(
            plan.iter()
                .any(|step| step.contains("USING INDEX exchanges_by_project (project_id=?)")),
            "a page of the log is read through exchanges_by_project: {plan:?}"
        );
        assert!(
            !plan
                .iter()
                .any(|step| step.starts_with("SCAN exchanges") || step.contains("TEMP B-TREE")),
            "never a scan of the log nor a sort of it, whatever its size: {plan:?}"
        );
    }

    #[test]
    fn the_request_log_page_query_is_compiled_once_not_at_every_page() {
        let store = super::super::Store::in_memory().unwrap();
        let query = ExchangeQuery {
            limit: 51,
            ..ExchangeQuery::default()
        };
        for _ in 0..3 {
            store
                .db(|db| db.exchanges().summaries("p", &query))
                .unwrap();
        }
        let reprepared = store
            .with(|c| {
                Ok(c.prepare_cached(&summaries_sql())?
                    .get_status(rusqlite::StatementStatus::RePrepare))
            })
            .unwrap();
        assert_eq!(
            reprepared, 0,
            "SQLite recompiled the page's query {reprepared} times in 3 pages (a plan that \
             depends on the bound values is compiled again at every bind)"
        );
    }

    #[test]
    fn a_log_written_before_bodies_were_packed_reads_back_and_is_searched_beside_packed_rows() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("hub.sqlite");
        schema_18_database(&path);
        let store = super::super::Store::open(&path).unwrap();
        let new = Exchange {
            project_id: Some("p".to_owned()),
            at: DateTime::parse_from_rfc3339("2026-11-25T02:00:01+00:00")
                .unwrap()
                .with_timezone(&Utc),
            api: "inquiryPayment".to_owned(),
            request_headers: BTreeMap::from([("client-id".to_owned(), "C".to_owned())]),
            request_body: r#"{"paymentRequestId":"old-1"}"#.to_owned(),
            response_body: r#"{"paymentId":"P1","x":"new"}"#.to_owned(),
            payment_id: Some("P1".to_owned()),
            ..Exchange::default()
        };
        store
            .db(|db| db.exchanges().insert(&new, BODY_PREFIX))
            .unwrap();
        let found = store.db(|db| db.exchanges().of_payment("p", "P1")).unwrap();
        let bodies: Vec<_> = found
            .iter()
            .map(|e| (e.request_body.as_str(), e.response_body.as_str()))
            .collect();
        assert_eq!(
            bodies,
            vec![
                (r#"{"paymentRequestId":"old-1"}"#, r#"{"paymentId":"P1"}"#),
                (
                    r#"{"paymentRequestId":"old-1"}"#,
                    r#"{"paymentId":"P1","x":"new"}"#
                ),
            ],
            "the text row and the packed row read back whole: {found:?}"
        );
        assert_eq!(
            found[1].request_headers, new.request_headers,
            "packed headers"
        );
        let search = |text| {
            let query = ExchangeQuery {
                contains: Some(text),
                limit: 10,
                ..ExchangeQuery::default()
            };
            store
                .db(|db| db.exchanges().summaries("p", &query))
                .unwrap()
                .iter()
                .map(|e| e.api.clone())
                .collect::<Vec<_>>()
        };
        assert_eq!(
            search("old-1"),
            ["inquiryPayment", "pay"],
            "both rows' bodies searched"
        );
        assert_eq!(search("new"), ["inquiryPayment"], "a packed body searched");
        assert!(search("client-id").is_empty(), "headers are not searched");
    }

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
