//! The request log: every verified Alipay+ call into the hub and every callback out of it, with
//! headers, bodies (each up to [`BODY_PREFIX`], with the whole body's size and SHA-256), the
//! signature verdict and the result, for the console's log page and as the source of the calls a
//! run claims after the fact. Calls refused before their signature verified are counted per
//! Client-Id with a few samples ([`RejectedCount`]), not logged one by one. Each project keeps
//! its log `request_log_days` days; [`Hub::sweep_request_log`] deletes what is older, except the
//! exchanges of a run still open (a decided run keeps its evidence in its own record).

use chrono::{DateTime, Utc};
use serde::Deserialize;

use crate::Hub;
use crate::error::HubError;
pub use crate::store::exchanges::{BODY_PREFIX, Direction, Exchange, ExchangeSummary};
use crate::store::exchanges::{CLAIMABLE_BODY_LIMIT, ExchangeQuery};
use crate::store::rejected::Refused;
pub use crate::store::rejected::{RejectedCount, RejectedSample};

/// How many exchanges one step of the retention sweep deletes before it lets other work at the
/// store.
const SWEEP_BATCH: u32 = 500;

/// How long refused calls that named no project are remembered.
const UNKNOWN_CLIENT_DAYS: i64 = 7;

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

impl ExchangeFilter {
    /// The store's query for this filter: at most 1000 entries (100 unless set), and an empty
    /// `contains` filters nothing.
    fn query(&self) -> ExchangeQuery<'_> {
        ExchangeQuery {
            api: self.api.as_deref(),
            result_code: self.result_code.as_deref(),
            result_status: self.result_status.as_deref(),
            contains: self.contains.as_deref().filter(|c| !c.is_empty()),
            since: self.since,
            until: self.until,
            before: self.before,
            run_id: self.run_id.as_deref(),
            merchant_id: self.merchant_id.as_deref(),
            limit: self.limit.unwrap_or(100).clamp(1, 1000),
        }
    }
}

/// What the log keeps of a signature header's value when the signature verified (or the hub
/// made it): its parameters, not the 344 characters of RSA output, which were most of a call's
/// stored size and say nothing the verdict does not. A run's own record keeps the whole header.
pub const VERIFIED_SIGNATURE: &str = "(verified; value not kept)";

/// The headers with a signature header's `signature=` value replaced by [`VERIFIED_SIGNATURE`].
fn without_signature(
    headers: &std::collections::BTreeMap<String, String>,
) -> std::collections::BTreeMap<String, String> {
    let mut headers = headers.clone();
    if let Some(value) = headers.get_mut("signature") {
        let kept = value
            .split(',')
            .filter(|part| !part.trim_start().starts_with("signature="))
            .collect::<Vec<_>>()
            .join(",");
        *value = if kept.is_empty() {
            format!("signature={VERIFIED_SIGNATURE}")
        } else {
            format!("{kept},signature={VERIFIED_SIGNATURE}")
        };
    }
    headers
}

/// A call the gateway refused before its signature verified, to be counted.
#[derive(Debug, Clone)]
pub struct RefusedCall<'a> {
    /// What the log would have held of it (its bodies whole).
    pub exchange: &'a Exchange,
    /// Why it was refused (the answer's `resultMessage`).
    pub reason: &'a str,
}

impl Hub {
    /// Appends an exchange to the log and returns its sequence number. Each body is kept up to
    /// [`BODY_PREFIX`], except those of a verified inbound call that joined no run: a run may
    /// still claim it and judge every field, so they are kept up to 64 KB. The value of a
    /// signature that verified, or that the hub made, is not kept (see [`VERIFIED_SIGNATURE`]).
    pub fn log_exchange(&self, exchange: &Exchange) -> Result<i64, HubError> {
        let verified = exchange.signature_verdict.verdict().is_valid();
        let claimable =
            exchange.direction == Direction::Inbound && exchange.run_id.is_none() && verified;
        let limit = if claimable {
            CLAIMABLE_BODY_LIMIT
        } else {
            BODY_PREFIX
        };
        // The hub signs what it sends: its own signature is the request's on a callback and the
        // answer's on an inbound call; the other side's is kept unless it verified.
        let (ours, theirs) = match exchange.direction {
            Direction::Inbound => (&exchange.response_headers, &exchange.request_headers),
            Direction::Outbound => (&exchange.request_headers, &exchange.response_headers),
        };
        let ours = without_signature(ours);
        let theirs = if verified {
            without_signature(theirs)
        } else {
            theirs.clone()
        };
        let (request_headers, response_headers) = match exchange.direction {
            Direction::Inbound => (theirs, ours),
            Direction::Outbound => (ours, theirs),
        };
        let stored = Exchange {
            request_headers,
            response_headers,
            ..exchange.clone()
        };
        Ok(self.store.db(|db| db.exchanges().insert(&stored, limit))?)
    }

    /// Counts a refused call under its Client-Id, keeping it as one of that Client-Id's last
    /// few samples (its body up to [`BODY_PREFIX`]).
    pub fn count_refused(&self, refused: &RefusedCall<'_>) -> Result<(), HubError> {
        let exchange = refused.exchange;
        let refused = Refused {
            client_id: exchange.client_id.as_deref(),
            project_id: exchange.project_id.as_deref(),
            at: exchange.at,
            api: &exchange.api,
            path: &exchange.path,
            signature_verdict: &exchange.signature_verdict,
            result_code: exchange.result_code.as_deref().unwrap_or_default(),
            reason: refused.reason,
            request_headers: &exchange.request_headers,
            request_body: &exchange.request_body,
            body_limit: BODY_PREFIX,
        };
        Ok(self.store.db(|db| db.rejected().record(&refused))?)
    }

    /// How many calls from a project's Client-Id were refused, and why the last was.
    pub fn refused_counts(&self, project_id: &str) -> Result<Vec<RejectedCount>, HubError> {
        Ok(self
            .store
            .db(|db| db.rejected().counts_of_project(project_id))?)
    }

    /// How many calls sent with this Client-Id were refused (it may name no project).
    pub fn refused_count_of_client(
        &self,
        client_id: &str,
    ) -> Result<Option<RejectedCount>, HubError> {
        Ok(self
            .store
            .db(|db| db.rejected().count_of_client(client_id))?)
    }

    /// The last few refused calls of a project's Client-Id, newest first.
    pub fn refused_samples(&self, project_id: &str) -> Result<Vec<RejectedSample>, HubError> {
        Ok(self
            .store
            .db(|db| db.rejected().samples_of_project(project_id))?)
    }

    /// A project's log as a list shows it (no headers, no bodies), newest first.
    pub fn exchange_summaries(
        &self,
        project_id: &str,
        filter: &ExchangeFilter,
    ) -> Result<Vec<ExchangeSummary>, HubError> {
        let query = filter.query();
        Ok(self
            .store
            .db(|db| db.exchanges().summaries(project_id, &query))?)
    }

    /// One exchange of a project, whole as the log kept it.
    pub fn exchange(&self, project_id: &str, seq: i64) -> Result<Exchange, HubError> {
        self.store
            .db(|db| db.exchanges().get(project_id, seq))?
            .ok_or_else(|| HubError::NotFound(format!("exchange {seq}")))
    }

    /// The inbound exchanges of a project that concern a payment, oldest first (by index).
    pub fn payment_exchanges(
        &self,
        project_id: &str,
        payment_id: &str,
    ) -> Result<Vec<Exchange>, HubError> {
        Ok(self
            .store
            .db(|db| db.exchanges().of_payment(project_id, payment_id))?)
    }

    /// How SQLite finds a payment's exchanges, one line per step of its plan (to show, and
    /// test, that it goes through the `exchanges_by_payment` index).
    pub fn payment_exchanges_plan(&self) -> Result<Vec<String>, HubError> {
        Ok(self.store.db(|db| db.exchanges().payment_query_plan())?)
    }

    /// Deletes what each project's request log keeps no longer (exchanges, refused-call counts
    /// and samples older than its `request_log_days`, on the hub's clock), and refused calls
    /// that named no project after 7 days; returns how many exchanges went. An exchange of a
    /// run still open stays until the run is decided (a decided run's evidence is in its own
    /// record, not in the log). Deletes in batches, letting other work at the store between.
    pub fn sweep_request_log(&self) -> Result<usize, HubError> {
        let now = self.clock.now();
        let mut deleted = 0;
        for project in self.projects()? {
            let cutoff = now - chrono::Duration::days(i64::from(project.request_log_days));
            loop {
                let gone = self.store.db(|db| {
                    db.exchanges()
                        .delete_older(&project.id, cutoff, SWEEP_BATCH)
                })?;
                deleted += gone;
                if gone < SWEEP_BATCH as usize {
                    break;
                }
            }
            self.store
                .db(|db| db.rejected().delete_older(&project.id, cutoff))?;
        }
        let cutoff = now - chrono::Duration::days(UNKNOWN_CLIENT_DAYS);
        self.store
            .db(|db| db.rejected().delete_unknown_older(cutoff))?;
        Ok(deleted)
    }

    /// A project's log, newest first.
    pub fn exchanges(
        &self,
        project_id: &str,
        filter: &ExchangeFilter,
    ) -> Result<Vec<Exchange>, HubError> {
        let query = filter.query();
        Ok(self
            .store
            .db(|db| db.exchanges().of_project(project_id, &query))?)
    }

    /// Marks logged exchanges as belonging to a run (an order paid before its wallet scanned it).
    pub(crate) fn bind_exchanges(&self, seqs: &[i64], run_id: &str) -> Result<(), HubError> {
        Ok(self.store.transaction(|db| {
            let exchanges = db.exchanges();
            seqs.iter()
                .try_for_each(|seq| exchanges.set_run(*seq, run_id))
        })?)
    }
}
