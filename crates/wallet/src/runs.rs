//! Runs: start a case, the current run, one run with its checks, events and verdict, the
//! history (local and hub), and the customer's decisions on a waiting payment.

use chrono::{DateTime, Utc};
use linker_cases::{CheckResult, Event, Outcome, Step, StepEvent, Verdict};
use reqwest::Method;
use rusqlite::{OptionalExtension, params};
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::client::Body;
use crate::outbox::OutboxEntry;
use crate::store::{json_text, parse_json, parse_time, time_text};
use crate::{Wallet, WalletError};

/// A run as the hub shows it: its checks, its evidence (events) and, once decided, its verdict.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RunView {
    /// The run's id (`run_...`).
    pub id: String,
    /// The case.
    pub case_id: String,
    /// The merchant running it.
    pub merchant_id: String,
    /// The wallet the hub plays in the run, e.g. `GCASH` (absent from hubs older than the
    /// field, which always play `TEST_WALLET`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wallet: Option<String>,
    /// `open`, `passed`, `failed`, `broken` or `skipped`.
    pub status: String,
    /// When it started (hub time).
    pub started_at: DateTime<Utc>,
    /// When it was decided.
    pub ended_at: Option<DateTime<Utc>>,
    /// The verdict, once decided.
    pub verdict: Option<Verdict>,
    /// Every check as it stands (failing first once decided).
    pub checks: Vec<CheckResult>,
    /// The evidence: every event of the run.
    pub events: Vec<Event>,
}

impl RunView {
    /// True while the run takes actions.
    pub fn is_open(&self) -> bool {
        self.status == "open"
    }
}

/// Per-run settings passed to the hub.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RunOptions {
    /// How long UPM-06 holds its `pay` answer (30 s unless set; at most 60).
    pub slow_answer_secs: Option<u64>,
}

/// A run with where the wallet got it from and what it still has to send for it.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RunDetail {
    /// The run.
    pub run: RunView,
    /// When this view came from the hub (wallet time).
    pub fetched_at: DateTime<Utc>,
    /// True when the hub could not be asked and this is the stored view.
    pub from_cache: bool,
    /// Why the hub could not be asked, when it could not.
    pub offline_reason: Option<String>,
    /// This run's writes the hub has not acknowledged yet (or refused).
    pub unsent_writes: Vec<OutboxEntry>,
    /// The case's steps, each done when its event is in the run (empty when the case is not
    /// stored on this device).
    pub steps: Vec<StepProgress>,
}

/// One step of a run's case, and whether the run did it: the event the step names
/// (`done_when`) is among the run's events. A step that names none is never done.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StepProgress {
    /// What to do.
    pub instruction: String,
    /// What should happen.
    pub expected: String,
    /// The event that completes it, if the case names one.
    pub done_when: Option<StepEvent>,
    /// True when that event happened in the run.
    pub done: bool,
}

/// The steps of a case against a run's events: each done exactly when its own event happened
/// (a refund's step is not done by the sale's payment).
pub fn step_progress(steps: &[Step], events: &[Event]) -> Vec<StepProgress> {
    steps
        .iter()
        .map(|step| StepProgress {
            instruction: step.instruction.clone(),
            expected: step.expected.clone(),
            done_when: step.done_when,
            done: step.is_done(events),
        })
        .collect()
}

/// A verdict with its evidence: the checks and the events they cite.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct VerdictReport {
    /// The run.
    pub run_id: String,
    /// The case.
    pub case_id: String,
    /// `open` until decided.
    pub status: String,
    /// The verdict, once decided.
    pub verdict: Option<Verdict>,
    /// Every check (failing first), each citing its evidence by event `seq`.
    pub checks: Vec<CheckResult>,
    /// The events the checks cite.
    pub evidence: Vec<Event>,
    /// True when the hub could not be asked.
    pub from_cache: bool,
}

/// An Auto Debit authorization the customer granted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Granted {
    /// The authorization's id (to revoke it).
    pub id: String,
    /// The code the ACQP exchanges for a token.
    pub auth_code: String,
    /// Where the wallet sends the customer back.
    pub redirect_url: String,
    /// Whether the ACQP acknowledged the authNotify.
    pub notified: bool,
}

/// What an authorization asks, before the customer answers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AuthorizationPrompt {
    /// The authorization's id.
    pub id: String,
    /// Who asks: the merchant's `authClientId`.
    pub client_id: String,
    /// The acquirer's project name.
    pub acquirer: String,
    /// The scopes asked for, e.g. `AGREEMENT_PAY`.
    pub scopes: Vec<String>,
    /// `prepared` (waiting for an answer), `authorized`, `token`, `revoked` or `declined`.
    pub status: String,
}

/// One of the wallet's authorizations.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AuthorizationView {
    /// The authorization's id (to revoke it).
    pub id: String,
    /// Who was authorized: the merchant's `authClientId`.
    pub client_id: String,
    /// The acquirer's project name.
    pub acquirer: String,
    /// The scopes granted.
    pub scopes: Vec<String>,
    /// `authorized`, `token` (active), `revoked` or `declined`.
    pub status: String,
    /// True while the merchant can debit with it.
    pub active: bool,
    /// When the customer answered.
    pub granted_at: Option<DateTime<Utc>>,
    /// When it was revoked or cancelled.
    pub ended_at: Option<DateTime<Utc>>,
    /// The run it was granted in.
    pub run_id: Option<String>,
}

/// A declined authorization: where the wallet sends the customer back.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Declined {
    /// The authorization's id.
    pub id: String,
    /// The merchant's `authRedirectUrl` with `authState`, no code.
    pub redirect_url: String,
}

#[derive(Deserialize)]
struct Revoked {
    notified: bool,
}

fn status_of(outcome: Outcome) -> &'static str {
    match outcome {
        Outcome::Passed => "passed",
        Outcome::Failed => "failed",
        Outcome::Broken => "broken",
        Outcome::Skipped => "skipped",
    }
}

impl Wallet {
    /// Keeps the hub's view of a run.
    pub(crate) fn cache_run(&self, run: &RunView) -> Result<(), WalletError> {
        let now = self.now();
        self.store().with(|c| {
            c.execute(
                "INSERT INTO runs (id, merchant_id, case_id, status, started_at, ended_at, view, fetched_at) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) \
                 ON CONFLICT (id) DO UPDATE SET status = excluded.status, ended_at = excluded.ended_at, \
                 view = excluded.view, fetched_at = excluded.fetched_at",
                params![
                    run.id,
                    run.merchant_id,
                    run.case_id,
                    run.status,
                    time_text(run.started_at),
                    run.ended_at.map(time_text),
                    json_text(run),
                    time_text(now)
                ],
            )
        })?;
        Ok(())
    }

    /// The stored view of a run and when it was fetched.
    pub(crate) fn cached_run(
        &self,
        run_id: &str,
    ) -> Result<Option<(RunView, DateTime<Utc>)>, WalletError> {
        self.store().with(|c| {
            c.query_row(
                "SELECT view, fetched_at FROM runs WHERE id = ?1",
                [run_id],
                |row| {
                    Ok((
                        parse_json(0, &row.get::<_, String>(0)?)?,
                        parse_time(1, &row.get::<_, String>(1)?)?,
                    ))
                },
            )
            .optional()
        })
    }

    /// Adds a streamed event to the stored view (once), or records the verdict.
    pub(crate) fn cache_update(
        &self,
        run_id: &str,
        event: Option<&Event>,
        verdict: Option<&Verdict>,
    ) -> Result<(), WalletError> {
        let Some((mut run, _)) = self.cached_run(run_id)? else {
            return Ok(());
        };
        if let Some(event) = event
            && !run.events.iter().any(|e| e.seq == event.seq)
        {
            run.events.push(event.clone());
        }
        if let Some(verdict) = verdict {
            run.status = status_of(verdict.outcome).to_owned();
            run.checks = verdict.checks.clone();
            run.verdict = Some(verdict.clone());
        }
        self.cache_run(&run)
    }

    /// Starts a run of a case (an open run of this merchant ends as skipped on the hub). The
    /// wallet under test chosen in the settings travels with it: the hub plays that wallet for
    /// the run's payments. `TEST_WALLET`, the default, is not sent, so hubs older than the
    /// choice still start the run.
    pub async fn start_run(
        &self,
        case_id: &str,
        options: RunOptions,
    ) -> Result<RunView, WalletError> {
        let mut body = json!({"caseId": case_id.trim()});
        if let Some(secs) = options.slow_answer_secs {
            body["slowAnswerSecs"] = json!(secs);
        }
        let wallet = self.settings()?.wallet;
        if !wallet.is_test_wallet() {
            body["wallet"] = json!(wallet.name);
        }
        let run: RunView = self.call(Method::POST, "/runs", Body::Json(body)).await?;
        // The hub ended the merchant's other open runs: say so locally until they are refetched.
        self.store().with(|c| {
            c.execute(
                "UPDATE runs SET status = 'skipped' WHERE merchant_id = ?1 AND status = 'open' AND id <> ?2",
                params![run.merchant_id, run.id],
            )
        })?;
        self.cache_run(&run)?;
        Ok(run)
    }

    /// The newest open run stored for the signed-in merchant.
    fn open_run_id(&self) -> Result<Option<String>, WalletError> {
        let merchant = self.merchant_id()?;
        self.store().with(|c| {
            c.query_row(
                "SELECT id FROM runs WHERE merchant_id = ?1 AND status = 'open' \
                 ORDER BY started_at DESC LIMIT 1",
                [merchant],
                |row| row.get(0),
            )
            .optional()
        })
    }

    /// The run to act in: the one named, or the open one ([`WalletError::NoOpenRun`] if none).
    pub(crate) async fn resolve_run(&self, run_id: Option<&str>) -> Result<String, WalletError> {
        if let Some(id) = run_id.map(str::trim).filter(|id| !id.is_empty()) {
            return Ok(id.to_owned());
        }
        if let Some(id) = self.open_run_id()? {
            return Ok(id);
        }
        // Nothing stored (a new device, say): the hub knows.
        match self.history().await {
            Ok(_) | Err(WalletError::HubUnreachable { .. }) => {}
            Err(other) => return Err(other),
        }
        self.open_run_id()?.ok_or(WalletError::NoOpenRun)
    }

    /// The current (open) run, refreshed from the hub when it can be reached; `None` when the
    /// merchant has no open run.
    pub async fn current_run(&self) -> Result<Option<RunDetail>, WalletError> {
        let id = match self.resolve_run(None).await {
            Ok(id) => id,
            Err(WalletError::NoOpenRun) => return Ok(None),
            Err(other) => return Err(other),
        };
        let detail = self.run(&id).await?;
        Ok(detail.run.is_open().then_some(detail))
    }

    /// One run, from the hub (judged now if open), or the stored view when the hub cannot be
    /// reached; with this run's unsent writes.
    pub async fn run(&self, run_id: &str) -> Result<RunDetail, WalletError> {
        let fetched: Result<RunView, WalletError> = self
            .call(
                Method::GET,
                &format!("/runs/{}", path_part(run_id)),
                Body::Empty,
            )
            .await;
        let unsent_writes = self.unsent_writes(Some(run_id))?;
        match fetched {
            Ok(run) => {
                self.cache_run(&run)?;
                Ok(RunDetail {
                    steps: self.steps_of(&run)?,
                    run,
                    fetched_at: self.now(),
                    from_cache: false,
                    offline_reason: None,
                    unsent_writes,
                })
            }
            Err(error @ WalletError::HubUnreachable { .. }) => match self.cached_run(run_id)? {
                Some((run, fetched_at)) => Ok(RunDetail {
                    steps: self.steps_of(&run)?,
                    run,
                    fetched_at,
                    from_cache: true,
                    offline_reason: Some(error.to_string()),
                    unsent_writes,
                }),
                None => Err(WalletError::NotCached {
                    what: format!("run {run_id}"),
                    reason: error.to_string(),
                }),
            },
            Err(other) => Err(other),
        }
    }

    /// The steps of a run's case (as stored on this device) against the run's events.
    fn steps_of(&self, run: &RunView) -> Result<Vec<StepProgress>, WalletError> {
        Ok(self
            .stored_case(&run.case_id)?
            .map(|case| step_progress(&case.steps, &run.events))
            .unwrap_or_default())
    }

    /// Every run of the merchant, newest first: the hub's list merged into the store when the
    /// hub can be reached, the stored runs otherwise.
    pub async fn history(&self) -> Result<Vec<RunView>, WalletError> {
        let merchant = self.merchant_id()?;
        match self
            .call::<Vec<RunView>>(Method::GET, "/runs", Body::Empty)
            .await
        {
            Ok(runs) => {
                for run in &runs {
                    self.cache_run(run)?;
                }
            }
            Err(WalletError::HubUnreachable { url, reason }) => {
                tracing::info!(url, reason, "history from the local store only");
            }
            Err(other) => return Err(other),
        }
        self.stored_runs(&merchant)
    }

    /// The stored runs of a merchant, newest first.
    pub(crate) fn stored_runs(&self, merchant_id: &str) -> Result<Vec<RunView>, WalletError> {
        self.store().with(|c| {
            let mut statement = c.prepare(
                "SELECT view FROM runs WHERE merchant_id = ?1 ORDER BY started_at DESC, id",
            )?;
            let rows = statement.query_map([merchant_id], |row| {
                parse_json::<RunView>(0, &row.get::<_, String>(0)?)
            })?;
            rows.collect()
        })
    }

    /// The run's verdict with its evidence (the checks and the events they cite).
    pub async fn verdict(&self, run_id: &str) -> Result<VerdictReport, WalletError> {
        let detail = self.run(run_id).await?;
        let run = detail.run;
        let cited: std::collections::BTreeSet<u32> = run
            .checks
            .iter()
            .flat_map(|c| c.evidence.iter().copied())
            .collect();
        Ok(VerdictReport {
            run_id: run.id,
            case_id: run.case_id,
            status: run.status,
            verdict: run.verdict,
            checks: run.checks,
            evidence: run
                .events
                .into_iter()
                .filter(|e| cited.contains(&e.seq))
                .collect(),
            from_cache: detail.from_cache,
        })
    }

    async fn run_action(&self, run_id: Option<&str>, action: &str) -> Result<RunView, WalletError> {
        let id = self.resolve_run(run_id).await?;
        let result: Result<RunView, WalletError> = self
            .call(
                Method::POST,
                &format!("/runs/{}/{action}", path_part(&id)),
                Body::Empty,
            )
            .await;
        let run = self.over_if_decided(&id, result)?;
        self.cache_run(&run)?;
        Ok(run)
    }

    /// Turns the hub's "run is over" conflict into [`WalletError::RunOver`].
    pub(crate) fn over_if_decided<T>(
        &self,
        run_id: &str,
        result: Result<T, WalletError>,
    ) -> Result<T, WalletError> {
        match result {
            Err(WalletError::Conflict(message)) if message.contains("is over") => {
                let status = message
                    .rsplit_once('(')
                    .map(|(_, s)| s.trim_end_matches(')').to_owned())
                    .unwrap_or_else(|| "decided".to_owned());
                if let Ok(Some((mut run, _))) = self.cached_run(run_id)
                    && run.is_open()
                {
                    run.status = status.clone();
                    let _ = self.cache_run(&run);
                }
                Err(WalletError::RunOver {
                    run_id: run_id.to_owned(),
                    status,
                })
            }
            other => other,
        }
    }

    /// The customer confirms the payment waiting in the wallet ("Pay Now").
    pub async fn confirm_payment(&self, run_id: Option<&str>) -> Result<RunView, WalletError> {
        self.run_action(run_id, "confirm").await
    }

    /// The customer declines the payment waiting in the wallet.
    pub async fn decline_payment(&self, run_id: Option<&str>) -> Result<RunView, WalletError> {
        self.run_action(run_id, "decline").await
    }

    /// The customer leaves the payment page without paying.
    pub async fn back_out(&self, run_id: Option<&str>) -> Result<RunView, WalletError> {
        self.run_action(run_id, "back-out").await
    }

    /// The wallet returned the customer to the merchant (a cashier payment's
    /// `paymentRedirectUrl`, after Done or leaving): recorded in the run as evidence.
    pub async fn redirected(
        &self,
        run_id: Option<&str>,
        url: &str,
    ) -> Result<RunView, WalletError> {
        let run_id = self.resolve_run(run_id).await?;
        self.call(
            Method::POST,
            &format!("/runs/{}/redirected", path_part(&run_id)),
            Body::Json(json!({"url": url.trim()})),
        )
        .await
    }

    /// What an Auto Debit authorization (`authUrl` from the ACQP's `prepare`) asks, before the
    /// customer answers.
    pub async fn inspect_authorization(
        &self,
        auth_url: &str,
    ) -> Result<AuthorizationPrompt, WalletError> {
        self.call(
            Method::POST,
            "/authorizations/inspect",
            Body::Json(json!({"authUrl": auth_url.trim()})),
        )
        .await
    }

    /// The customer agrees to an Auto Debit authorization (`authUrl` from the ACQP's `prepare`),
    /// in `run_id` when given (the run's record then holds the authorization's exchanges).
    pub async fn authorize(
        &self,
        auth_url: &str,
        run_id: Option<&str>,
    ) -> Result<Granted, WalletError> {
        self.call(
            Method::POST,
            "/authorizations",
            Body::Json(json!({"authUrl": auth_url.trim(), "runId": run_id})),
        )
        .await
    }

    /// The customer declines an Auto Debit authorization; answers where to send them back.
    pub async fn decline_authorization(
        &self,
        auth_url: &str,
        run_id: Option<&str>,
    ) -> Result<Declined, WalletError> {
        self.call(
            Method::POST,
            "/authorizations/decline",
            Body::Json(json!({"authUrl": auth_url.trim(), "runId": run_id})),
        )
        .await
    }

    /// The wallet's Auto Debit authorizations, newest first (the Authorizations screen).
    pub async fn authorizations(&self) -> Result<Vec<AuthorizationView>, WalletError> {
        self.call(Method::GET, "/authorizations", Body::Empty).await
    }

    /// The customer revokes an Auto Debit authorization; true when the ACQP acknowledged the
    /// TOKEN_CANCELED notification.
    pub async fn revoke_authorization(&self, authorization_id: &str) -> Result<bool, WalletError> {
        let revoked: Revoked = self
            .call(
                Method::POST,
                &format!("/authorizations/{}/revoke", path_part(authorization_id)),
                Body::Empty,
            )
            .await?;
        Ok(revoked.notified)
    }
}

/// An id made safe as one path segment (ids are `[A-Za-z0-9_-]`; anything else is dropped).
pub(crate) fn path_part(id: &str) -> String {
    id.trim()
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
        .collect()
}
