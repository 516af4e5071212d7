//! Runs: one merchant running one case. A run binds the codes its wallet shows, the payments
//! made with them and every exchange that concerns those payments; each is recorded as an
//! [`Event`] of the run's [`RunRecord`], which linker-cases judges into a verdict.
//!
//! A merchant has at most one open run: starting another ends the first as skipped. An open run
//! is judged whenever it is read and by the background sweep, and its verdict is stored once
//! decided.

use chrono::{DateTime, Utc};
use linker_aplus::message::Api;
use linker_cases::{
    CaseDef, Catalogue, CheckResult, Event, EventKind, ManualAnswer, Outcome, RunRecord, Verdict,
    WalletActionKind, judge,
};
use rusqlite::{OptionalExtension, params};
use serde::{Deserialize, Serialize};

use crate::Hub;
use crate::domain::merchants::Merchant;
use crate::domain::payments::IssuedPaymentCode;
use crate::error::HubError;

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
    /// `open`, `passed`, `failed`, `broken` or `skipped`.
    pub status: String,
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

/// Something happened to a run: a new event, or its verdict. Subscribers (the wallet's event
/// stream) reread the run; the signal only says which run changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunSignal {
    /// The run that changed.
    pub run_id: String,
}

/// The request log's signature verdict (`valid`, `missing`, `invalid: <why>`) as evidence.
pub(crate) fn signature_verdict(text: &str) -> linker_cases::SignatureVerdict {
    use linker_cases::SignatureVerdict;
    match text {
        "valid" => SignatureVerdict::Valid,
        "missing" => SignatureVerdict::Missing,
        other => SignatureVerdict::Invalid {
            reason: other.strip_prefix("invalid: ").unwrap_or(other).to_owned(),
        },
    }
}

/// Per-run settings.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RunOptions {
    /// How long UPM-06 holds its `pay` answer (30 s unless set; at most 60), so tests and demos
    /// can shorten the real-time wait.
    pub slow_answer_secs: Option<u64>,
}

/// The built-in catalogue, or an internal error naming what is wrong with it.
pub fn catalogue() -> Result<&'static Catalogue, HubError> {
    Catalogue::builtin().map_err(|error| HubError::Internal(format!("case catalogue: {error}")))
}

fn outcome_status(outcome: Outcome) -> &'static str {
    match outcome {
        Outcome::Passed => "passed",
        Outcome::Failed => "failed",
        Outcome::Broken => "broken",
        Outcome::Skipped => "skipped",
    }
}

fn parse_time(text: &str) -> Result<DateTime<Utc>, HubError> {
    DateTime::parse_from_rfc3339(text)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| HubError::Internal(format!("stored time {text:?}: {e}")))
}

struct RunRow {
    id: String,
    project_id: String,
    merchant_id: String,
    case_id: String,
    status: String,
    started_at: String,
    ended_at: Option<String>,
    verdict: Option<String>,
}

impl Hub {
    /// The case a merchant may run: it exists, can be run, and is for one of its products.
    pub fn case_for(
        &self,
        merchant: &Merchant,
        case_id: &str,
    ) -> Result<&'static CaseDef, HubError> {
        let case = catalogue()?
            .case(case_id)
            .ok_or_else(|| HubError::NotFound(format!("case {case_id}")))?;
        if !case.implemented {
            return Err(HubError::Conflict(format!(
                "{case_id} cannot be run yet on this hub"
            )));
        }
        let product = serde_json::to_value(case.product)
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default();
        if product != "ANY" && !merchant.products.contains(&product) {
            return Err(HubError::Conflict(format!(
                "{case_id} tests {product}, which is not among this merchant's products ({})",
                merchant.products.join(", ")
            )));
        }
        if let Some(assigned) = self.custom_assignment(&merchant.id)?
            && !assigned.iter().any(|id| id == case_id)
        {
            return Err(HubError::Conflict(format!(
                "{case_id} is not among the cases assigned to this merchant"
            )));
        }
        Ok(case)
    }

    /// Starts a run of a case for a merchant; an open run of the same merchant ends as skipped.
    pub fn start_run(&self, merchant: &Merchant, case_id: &str) -> Result<RunView, HubError> {
        self.start_run_with(merchant, case_id, RunOptions::default())
    }

    /// [`Hub::start_run`] with per-run settings.
    pub fn start_run_with(
        &self,
        merchant: &Merchant,
        case_id: &str,
        options: RunOptions,
    ) -> Result<RunView, HubError> {
        if options.slow_answer_secs.is_some_and(|secs| secs > 60) {
            return Err(HubError::invalid("slowAnswerSecs", "at most 60 seconds"));
        }
        let case = self.case_for(merchant, case_id)?;
        let now = self.clock.now();
        let id = self.ids.alphanumeric("run_", 14);
        let open: Vec<String> = self.store.with(|connection| {
            let mut statement = connection
                .prepare_cached("SELECT id FROM runs WHERE merchant_id = ?1 AND status = 'open'")?;
            let rows = statement.query_map([&merchant.id], |row| row.get(0))?;
            Ok(rows.collect::<rusqlite::Result<Vec<String>>>()?)
        })?;
        for previous in open {
            let checks = self.current_checks(&previous).unwrap_or_default();
            let verdict =
                Verdict::skipped(format!("another case ({}) was started", case.id), checks);
            self.store_verdict(&previous, &verdict)?;
        }
        self.store.with(|connection| {
            connection
                .prepare_cached(
                    "INSERT INTO runs (id, project_id, merchant_id, case_id, status, started_at, \
                 slow_answer_secs) VALUES (?1, ?2, ?3, ?4, 'open', ?5, ?6)",
                )?
                .execute(params![
                    id,
                    merchant.project_id,
                    merchant.id,
                    case.id,
                    now.to_rfc3339(),
                    options
                        .slow_answer_secs
                        .and_then(|secs| i64::try_from(secs).ok())
                ])?;
            Ok(())
        })?;
        self.run_view(&id)
    }

    fn run_row(&self, run_id: &str) -> Result<RunRow, HubError> {
        self.store
            .with(|connection| {
                Ok(connection
                    .prepare_cached("SELECT id, project_id, merchant_id, case_id, status, started_at, ended_at, verdict \
                         FROM runs WHERE id = ?1")?
                    .query_row([run_id],
                        |row| {
                            Ok(RunRow {
                                id: row.get(0)?,
                                project_id: row.get(1)?,
                                merchant_id: row.get(2)?,
                                case_id: row.get(3)?,
                                status: row.get(4)?,
                                started_at: row.get(5)?,
                                ended_at: row.get(6)?,
                                verdict: row.get(7)?,
                            })
                        },
                    )
                    .optional()?)
            })?
            .ok_or_else(|| HubError::NotFound(format!("run {run_id}")))
    }

    /// The project a run belongs to.
    pub fn run_project(&self, run_id: &str) -> Result<String, HubError> {
        Ok(self.run_row(run_id)?.project_id)
    }

    /// A run of this merchant (another merchant's run is not found).
    pub fn merchant_run(&self, merchant: &Merchant, run_id: &str) -> Result<RunView, HubError> {
        let row = self.run_row(run_id)?;
        if row.merchant_id != merchant.id {
            return Err(HubError::NotFound(format!("run {run_id}")));
        }
        self.judge_run(run_id)
    }

    /// The merchant's runs, newest first.
    pub fn merchant_runs(&self, merchant: &Merchant) -> Result<Vec<RunView>, HubError> {
        let ids: Vec<String> = self.store.with(|connection| {
            let mut statement = connection.prepare_cached(
                "SELECT id FROM runs WHERE merchant_id = ?1 ORDER BY started_at DESC, id",
            )?;
            let rows = statement.query_map([&merchant.id], |row| row.get(0))?;
            Ok(rows.collect::<rusqlite::Result<Vec<String>>>()?)
        })?;
        ids.iter().map(|id| self.judge_run(id)).collect()
    }

    /// The run's record: its events in order.
    pub fn run_record(&self, run_id: &str) -> Result<RunRecord, HubError> {
        let row = self.run_row(run_id)?;
        let events: Vec<String> = self.store.with(|connection| {
            let mut statement = connection
                .prepare_cached("SELECT event FROM run_events WHERE run_id = ?1 ORDER BY seq")?;
            let rows = statement.query_map([run_id], |row| row.get(0))?;
            Ok(rows.collect::<rusqlite::Result<Vec<String>>>()?)
        })?;
        let events = events
            .iter()
            .map(|text| serde_json::from_str::<Event>(text))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| HubError::Internal(format!("run {run_id}: stored event: {e}")))?;
        Ok(RunRecord {
            run_id: row.id,
            case_id: row.case_id,
            started_at: parse_time(&row.started_at)?,
            events,
        })
    }

    /// Appends an event to an open run; `write_id` makes a wallet's write idempotent (the same
    /// id again changes nothing and returns the first event's seq).
    pub fn append_event(
        &self,
        run_id: &str,
        at: DateTime<Utc>,
        kind: EventKind,
        write_id: Option<&str>,
    ) -> Result<u32, HubError> {
        Ok(self.store.with(|connection| {
            let transaction = connection.transaction()?;
            if let Some(write_id) = write_id {
                let seen: Option<u32> = transaction
                    .prepare_cached("SELECT seq FROM run_events WHERE run_id = ?1 AND write_id = ?2")?
                    .query_row(params![run_id, write_id],
                        |row| row.get(0),
                    )
                    .optional()?;
                if let Some(seq) = seen {
                    return Ok(seq);
                }
            }
            let seq: u32 = transaction.prepare_cached("SELECT COALESCE(MAX(seq), 0) + 1 FROM run_events WHERE run_id = ?1")?.query_row([run_id],
                |row| row.get(0),
            )?;
            let event = Event { seq, at, kind };
            transaction.prepare_cached("INSERT INTO run_events (run_id, seq, at, event, write_id) VALUES (?1, ?2, ?3, ?4, ?5)")?.execute(params![
                    run_id,
                    seq,
                    at.to_rfc3339(),
                    serde_json::to_string(&event).unwrap_or_default(),
                    write_id
                ],
            )?;
            transaction.commit()?;
            Ok(seq)
        })
        .inspect(|_| self.signal(run_id))?)
    }

    fn signal(&self, run_id: &str) {
        // No subscriber is fine: nobody is watching this run.
        let _ = self.signals.send(RunSignal {
            run_id: run_id.to_owned(),
        });
    }

    /// Subscribes to run changes (every run; filter by id).
    pub fn subscribe_runs(&self) -> tokio::sync::broadcast::Receiver<RunSignal> {
        self.signals.subscribe()
    }

    /// A run of this project, judged now (another project's run is not found).
    pub fn project_run(&self, project_id: &str, run_id: &str) -> Result<RunView, HubError> {
        if self.run_project(run_id)? != project_id {
            return Err(HubError::NotFound(format!("run {run_id}")));
        }
        self.judge_run(run_id)
    }

    /// True while an open run's case may hold a `pay` answer (UPM-06 answers late on purpose):
    /// the gateway then answers `pay` on the blocking pool rather than on an async worker. When
    /// in doubt (a store error), true.
    pub fn pay_may_be_held(&self) -> bool {
        let Ok(catalogue) = catalogue() else {
            return true;
        };
        let open: Result<Vec<String>, HubError> = self
            .store
            .with(|connection| {
                let mut statement =
                    connection.prepare_cached("SELECT case_id FROM runs WHERE status = 'open'")?;
                let rows = statement.query_map([], |row| row.get(0))?;
                Ok(rows.collect::<rusqlite::Result<Vec<String>>>()?)
            })
            .map_err(HubError::from);
        match open {
            Ok(cases) => cases.iter().any(|id| {
                catalogue.case(id).is_none_or(|case| {
                    matches!(
                        case.sandbox.pay,
                        linker_cases::PayBehaviour::SlowAnswer { .. }
                    )
                })
            }),
            Err(_) => true,
        }
    }

    /// True when the run exists and is still open.
    pub fn run_is_open(&self, run_id: &str) -> bool {
        self.run_row(run_id).is_ok_and(|row| row.status == "open")
    }

    /// The run a payment code was shown for, if any.
    pub(crate) fn code_run_id(&self, project_id: &str, code: &str) -> Option<String> {
        self.store
            .with(|connection| {
                Ok(connection
                    .prepare_cached(
                        "SELECT run_id FROM payment_codes WHERE code = ?1 AND project_id = ?2",
                    )?
                    .query_row(params![code, project_id], |row| {
                        row.get::<_, Option<String>>(0)
                    })
                    .optional()?)
            })
            .ok()
            .flatten()
            .flatten()
    }

    /// The sandbox script of an open run, with the run's own settings applied.
    pub fn run_sandbox(&self, run_id: &str) -> Option<linker_cases::Sandbox> {
        let case = self.open_run_case(run_id)?;
        let slow: Option<i64> = self
            .store
            .with(|connection| {
                Ok(connection
                    .prepare_cached("SELECT slow_answer_secs FROM runs WHERE id = ?1")?
                    .query_row([run_id], |row| row.get::<_, Option<i64>>(0))
                    .optional()?
                    .flatten())
            })
            .ok()
            .flatten();
        Some(match slow.and_then(|secs| u64::try_from(secs).ok()) {
            Some(secs) => case.sandbox.clone().with_slow_answer_secs(secs),
            None => case.sandbox.clone(),
        })
    }

    /// The case of an open run.
    pub fn open_run_case(&self, run_id: &str) -> Option<&'static CaseDef> {
        let row = self
            .run_row(run_id)
            .ok()
            .filter(|row| row.status == "open")?;
        catalogue().ok()?.case(&row.case_id)
    }

    fn current_checks(&self, run_id: &str) -> Result<Vec<CheckResult>, HubError> {
        let record = self.run_record(run_id)?;
        let case = catalogue()?.case(&record.case_id).ok_or_else(|| {
            HubError::Internal(format!("case {} left the catalogue", record.case_id))
        })?;
        Ok(judge(case, &record, self.clock.now()).checks)
    }

    fn store_verdict(&self, run_id: &str, verdict: &Verdict) -> Result<(), HubError> {
        let now = self.clock.now();
        self.store.with(|connection| {
            connection.prepare_cached("UPDATE runs SET status = ?2, ended_at = ?3, verdict = ?4 WHERE id = ?1 AND status = 'open'")?.execute(params![
                    run_id,
                    outcome_status(verdict.outcome),
                    now.to_rfc3339(),
                    serde_json::to_string(verdict).unwrap_or_default()
                ],
            )?;
            Ok(())
        })?;
        self.signal(run_id);
        Ok(())
    }

    /// Judges an open run now (storing the verdict once decided) and returns it.
    pub fn judge_run(&self, run_id: &str) -> Result<RunView, HubError> {
        let row = self.run_row(run_id)?;
        if row.status == "open" {
            let record = self.run_record(run_id)?;
            let case = catalogue()?.case(&record.case_id).ok_or_else(|| {
                HubError::Internal(format!("case {} left the catalogue", record.case_id))
            })?;
            let judgement = judge(case, &record, self.clock.now());
            if let Some(verdict) = judgement.verdict() {
                self.store_verdict(run_id, verdict)?;
            }
        }
        self.run_view(run_id)
    }

    fn run_view(&self, run_id: &str) -> Result<RunView, HubError> {
        let row = self.run_row(run_id)?;
        let record = self.run_record(run_id)?;
        let verdict: Option<Verdict> = row
            .verdict
            .as_deref()
            .map(serde_json::from_str)
            .transpose()
            .map_err(|e| HubError::Internal(format!("run {run_id}: stored verdict: {e}")))?;
        let checks = match &verdict {
            Some(verdict) => verdict.checks.clone(),
            None => self.current_checks(run_id)?,
        };
        Ok(RunView {
            id: row.id,
            case_id: row.case_id,
            merchant_id: row.merchant_id,
            status: row.status,
            started_at: parse_time(&row.started_at)?,
            ended_at: row.ended_at.as_deref().map(parse_time).transpose()?,
            verdict,
            checks,
            events: record.events,
        })
    }

    /// Judges every open run (the background sweep): decides those past their deadline.
    pub fn sweep_runs(&self) -> Result<usize, HubError> {
        let open: Vec<String> = self.store.with(|connection| {
            let mut statement =
                connection.prepare_cached("SELECT id FROM runs WHERE status = 'open'")?;
            let rows = statement.query_map([], |row| row.get(0))?;
            Ok(rows.collect::<rusqlite::Result<Vec<String>>>()?)
        })?;
        let mut decided = 0;
        for id in open {
            if self.judge_run(&id)?.status != "open" {
                decided += 1;
            }
        }
        Ok(decided)
    }

    /// The wallet shows a payment code for its open run (valid 60 s, single use).
    pub fn show_payment_code(
        &self,
        merchant: &Merchant,
        run_id: &str,
    ) -> Result<IssuedPaymentCode, HubError> {
        self.open_run_of(merchant, run_id)?;
        let issued = self.issue_payment_code(&merchant.project_id, Some(run_id))?;
        self.append_event(
            run_id,
            self.clock.now(),
            EventKind::WalletAction {
                action: WalletActionKind::ShowPaymentCode {
                    code: issued.code.clone(),
                },
            },
            None,
        )?;
        Ok(issued)
    }

    fn open_run_of(&self, merchant: &Merchant, run_id: &str) -> Result<RunRow, HubError> {
        let row = self.run_row(run_id)?;
        if row.merchant_id != merchant.id {
            return Err(HubError::NotFound(format!("run {run_id}")));
        }
        if row.status != "open" {
            return Err(HubError::RunOver(format!(
                "run {run_id} is over ({})",
                row.status
            )));
        }
        Ok(row)
    }

    /// Records the merchant's answer to a manual question; the same `write_id` twice counts once.
    pub fn answer_manual(
        &self,
        merchant: &Merchant,
        run_id: &str,
        write_id: &str,
        answer: ManualAnswer,
    ) -> Result<RunView, HubError> {
        let row = self.run_row(run_id)?;
        if row.merchant_id != merchant.id {
            return Err(HubError::NotFound(format!("run {run_id}")));
        }
        let case = catalogue()?.case(&row.case_id).ok_or_else(|| {
            HubError::Internal(format!("case {} left the catalogue", row.case_id))
        })?;
        if !case.manual.iter().any(|q| q.id == answer.question_id) {
            return Err(HubError::invalid(
                "questionId",
                format!("{} has no question {:?}", case.id, answer.question_id),
            ));
        }
        if let Some(photo) = &answer.attachment
            && !self.has_attachment(merchant, run_id, photo)?
        {
            return Err(HubError::invalid(
                "attachment",
                format!("no photo {photo} was attached to this run: upload it first"),
            ));
        }
        if write_id.trim().is_empty() || write_id.len() > 64 {
            return Err(HubError::invalid(
                "writeId",
                "give the write a unique id of 1 to 64 characters",
            ));
        }
        if row.status != "open" {
            // The same write sent again (its acknowledgement was lost) changes nothing; a new
            // answer to a decided run is refused, so the wallet can say it came too late.
            let seen: bool = self.store.with(|connection| {
                Ok(connection
                    .prepare_cached("SELECT 1 FROM run_events WHERE run_id = ?1 AND write_id = ?2")?
                    .query_row(params![run_id, write_id], |_| Ok(()))
                    .optional()?
                    .is_some())
            })?;
            if seen {
                return self.run_view(run_id);
            }
            return Err(HubError::RunOver(format!(
                "run {run_id} was decided ({}) before this answer arrived",
                row.status
            )));
        }
        self.append_event(
            run_id,
            self.clock.now(),
            EventKind::ManualAnswer(answer),
            Some(write_id),
        )?;
        self.judge_run(run_id)
    }

    /// Finds the run an Alipay+ exchange belongs to: by the payment code it carries (UPM `pay`),
    /// or by the payment it names (every later call), whatever else is wrong with the request.
    /// `body` is the request body, parsed; `None` when it is not JSON.
    pub fn bind_run(
        &self,
        project_id: &str,
        api: Option<Api>,
        body: Option<&serde_json::Value>,
    ) -> Option<String> {
        let value = body?;
        let text = |path: &[&str]| {
            let mut node = value;
            for key in path {
                node = node.get(key)?;
            }
            node.as_str().map(str::to_owned)
        };
        let by_code = || -> Option<String> {
            let code = text(&["paymentMethod", "paymentMethodId"])?;
            self.code_run_id(project_id, &code)
        };
        let by_payment = || -> Option<String> {
            let request_id = text(&["paymentRequestId"]);
            let payment_id = text(&["paymentId"]);
            self.store
                .with(|connection| {
                    Ok(connection
                        .prepare_cached(
                            "SELECT run_id FROM payments WHERE project_id = ?1 AND \
                             (payment_request_id = ?2 OR payment_id = ?3) AND run_id IS NOT NULL",
                        )?
                        .query_row(params![project_id, request_id, payment_id], |row| {
                            row.get::<_, Option<String>>(0)
                        })
                        .optional()?)
                })
                .ok()
                .flatten()
                .flatten()
        };
        // An entry-code pay belongs to the run whose wallet opened the page, even when the
        // hub refused it (so a broken pay fails the run instead of leaving it unheard).
        let by_entry_page = || -> Option<String> {
            (text(&["paymentFactor", "inStorePaymentScenario"]).as_deref() == Some("EntryCode"))
                .then(|| self.entry_run(project_id))
                .flatten()
        };
        match api {
            Some(Api::Pay) => by_payment().or_else(by_code).or_else(by_entry_page),
            _ => by_payment(),
        }
    }
}

impl Hub {
    /// Records a run payment's new state as an event of its run (when it has an open one).
    pub fn record_payment_state(&self, payment: &crate::domain::payments::Payment) {
        use crate::domain::payments::PaymentStatus;
        use linker_cases::{PaymentState, PaymentStateChange};
        let Some(run_id) = payment.run_id.as_deref() else {
            return;
        };
        if !self.run_is_open(run_id) {
            return;
        }
        let state = match payment.status {
            PaymentStatus::InProcess => PaymentState::InProcess,
            PaymentStatus::Success
                if payment.refunded_value >= payment.amount.value()
                    && payment.refunded_value > 0 =>
            {
                PaymentState::Refunded
            }
            PaymentStatus::Success if payment.refunded_value > 0 => PaymentState::PartiallyRefunded,
            PaymentStatus::Success => PaymentState::Succeeded,
            PaymentStatus::Fail => PaymentState::Failed,
            PaymentStatus::Cancelled => PaymentState::Cancelled,
        };
        let reason =
            (payment.status == PaymentStatus::Fail).then(|| payment.result_code.to_string());
        let event = EventKind::PaymentState(PaymentStateChange {
            payment_id: payment.payment_id.clone(),
            state,
            reason,
        });
        if let Err(error) = self.append_event(run_id, self.clock.now(), event, None) {
            tracing::error!(%error, run_id, "could not record a payment state");
        }
    }

    /// Records an Alipay+ call as an event of its run.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn record_call(
        &self,
        run_id: &str,
        at: DateTime<Utc>,
        api: Api,
        exchange: &crate::domain::request_log::Exchange,
        validation: Option<String>,
        ids: (Option<String>, Option<String>),
    ) {
        use linker_cases::AcqpCall;
        if !self.run_is_open(run_id) {
            return;
        }
        let signature = signature_verdict(&exchange.signature_verdict);
        let call = AcqpCall {
            api,
            request_headers: exchange.request_headers.clone(),
            request_body: exchange.request_body.clone(),
            signature,
            validation,
            response_body: exchange.response_body.clone(),
            result_code: exchange.result_code.clone().unwrap_or_default(),
            result_status: exchange.result_status.clone().unwrap_or_default(),
            forced: exchange.forced,
            payment_request_id: ids.0,
            payment_id: ids.1,
        };
        if let Err(error) = self.append_event(run_id, at, EventKind::AcqpCall(call), None) {
            tracing::error!(%error, run_id, "could not record a call");
        }
    }

    /// The customer confirms (or declines) the payment waiting in the wallet for its run.
    pub fn wallet_decides(
        &self,
        merchant: &Merchant,
        run_id: &str,
        confirm: bool,
    ) -> Result<RunView, HubError> {
        use crate::domain::payments::{PaymentStatus, Settlement};
        self.open_run_of(merchant, run_id)?;
        let case = self
            .open_run_case(run_id)
            .ok_or_else(|| HubError::RunOver(format!("run {run_id} is over")))?;
        let waiting: Option<String> = self.store.with(|connection| {
            Ok(connection
                .prepare_cached("SELECT payment_id FROM payments WHERE run_id = ?1 AND status = ?2 ORDER BY created_at DESC")?
                .query_row(params![run_id, "IN_PROCESS"],
                    |row| row.get(0),
                )
                .optional()?)
        })?;
        let Some(payment_id) = waiting else {
            return Err(HubError::Conflict(
                "no payment of this run is waiting for the customer: the POS has not charged the code yet".to_owned(),
            ));
        };
        let action = if confirm {
            WalletActionKind::ConfirmPayment
        } else {
            WalletActionKind::DeclinePayment
        };
        self.append_event(
            run_id,
            self.clock.now(),
            EventKind::WalletAction { action },
            None,
        )?;
        let project = self.project(&merchant.project_id)?;
        let settlement = if !confirm {
            Settlement::Declined {
                code: linker_aplus::ResultCode::UserPaymentVerificationFailed,
                message: "the customer declined the payment in the wallet".to_owned(),
            }
        } else {
            match case.sandbox.customer_outcome() {
                linker_cases::sandbox::PaymentEffect::Fail(code) => {
                    let message = code.default_message().to_owned();
                    Settlement::Declined { code, message }
                }
                _ => Settlement::Paid {
                    customer_id: format!("2188{}", self.ids.digits(12)),
                },
            }
        };
        let payment = self.settle_payment(&project, &payment_id, settlement)?;
        debug_assert!(payment.status != PaymentStatus::InProcess);
        self.judge_run(run_id)
    }
}
