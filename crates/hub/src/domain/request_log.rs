//! The request log: every Alipay+ call into the hub and every callback out of it, with headers,
//! bodies, the signature verdict and the result, as evidence and for the console's log page.

use chrono::{DateTime, Utc};
use serde::Deserialize;

use crate::Hub;
use crate::error::HubError;
use crate::store::exchanges::ExchangeQuery;
pub use crate::store::exchanges::{Direction, Exchange};

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

impl Hub {
    /// Appends an exchange to the log and returns its sequence number.
    pub fn log_exchange(&self, exchange: &Exchange) -> Result<i64, HubError> {
        Ok(self.store.db(|db| db.exchanges().insert(exchange))?)
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
