//! Runs: one merchant running one case. A run binds the codes its wallet shows, the payments
//! made with them and every exchange that concerns those payments; each is recorded as an
//! [`Event`](linker_cases::Event) of the run's [`RunRecord`](linker_cases::RunRecord), which
//! linker-cases judges into a verdict.
//!
//! A merchant has at most one open run: starting another ends the first as skipped. An open run
//! is judged whenever it is read and by the background sweep, and its verdict is stored once
//! decided.
//!
//! By concern: [`lifecycle`] starts and reads runs, [`evidence`] binds exchanges, payments and
//! callbacks to runs as events, [`judging`] decides them, [`wallet`] holds the wallet's actions
//! and [`watching`] tells subscribers which run changed.

pub mod evidence;
pub mod judging;
pub mod lifecycle;
pub mod wallet;
pub mod watching;

use chrono::{DateTime, Utc};
use linker_cases::{Catalogue, CheckResult, Event, Verdict};
use serde::{Deserialize, Serialize};

use crate::error::HubError;

pub use crate::store::runs::RunStatus;
pub use watching::RunSignal;

/// A run as the wallet and the admin API show it.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RunView {
    /// The run's id (`run_...`).
    pub id: String,
    /// The case.
    pub case_id: String,
    /// The merchant running it.
    pub merchant_id: String,
    /// The wallet under test the hub plays in the run, e.g. `GCASH` (`TEST_WALLET` unless the
    /// wallet chose another when it started the run).
    pub wallet: String,
    /// `open`, `passed`, `failed`, `broken` or `skipped`.
    pub status: RunStatus,
    /// When it started.
    pub started_at: DateTime<Utc>,
    /// When it was decided.
    pub ended_at: Option<DateTime<Utc>>,
    /// The verdict, once decided.
    pub verdict: Option<Verdict>,
    /// Every check as it stands now (failing first once decided).
    pub checks: Vec<CheckResult>,
    /// The evidence: every event of the run.
    pub events: Vec<Event>,
}

/// Per-run settings.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RunOptions {
    /// How long UPM-06 holds its `pay` answer (30 s unless set; at most 60), so tests and demos
    /// can shorten the real-time wait.
    pub slow_answer_secs: Option<u64>,
    /// The wallet under test the hub plays for the run's payments, a name of
    /// `linker_aplus::wallets::WALLETS` (case-insensitive); TEST_WALLET when absent.
    pub wallet: Option<String>,
}

/// The built-in catalogue, or an internal error naming what is wrong with it.
pub fn catalogue() -> Result<&'static Catalogue, HubError> {
    Catalogue::builtin().map_err(|error| HubError::Internal(format!("case catalogue: {error}")))
}
