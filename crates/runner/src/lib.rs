//! linker-runner: the headless runner. It runs a merchant's assigned cases one after another
//! through linker-wallet (the customer's side), asks the POS to act over the POS driver protocol
//! (or guides an operator at a terminal when there is no driver), answers the manual questions
//! from what the POS shows, waits for the hub's verdicts and returns them as a
//! [`linker_cases::report::Report`] (JUnit XML, JSON or HTML).
//!
//! ```no_run
//! # async fn demo(wallet: linker_wallet::Wallet) -> Result<(), linker_runner::RunnerError> {
//! use linker_runner::{Pos, Runner, RunnerConfig, PlainProgress};
//!
//! let pos = Pos::driver("http://127.0.0.1:7070", None).await?;
//! let config = RunnerConfig { cases: vec!["UPM-01".into(), "MOC-*".into()], ..Default::default() };
//! let report = Runner::new(&wallet, pos, config, &PlainProgress).run().await?;
//! println!("{}", linker_cases::report::to_junit(&report));
//! # Ok(()) }
//! ```

#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used))]

mod drive;
pub mod pos;
mod web_view;

use std::time::Duration;

use chrono::Utc;
use linker_aplus::Amount;
use linker_cases::Outcome;
use linker_cases::report::{Report, ReportCase, RunReport};
use linker_wallet::{CaseEntry, ManualAnswerInput, RunOptions, RunView, Wallet, WalletError};

pub use pos::{NoOperator, Operator, Pos};

/// Why the runner could not run at all (a case that cannot be driven is reported as broken,
/// not as an error).
#[derive(Debug, thiserror::Error)]
pub enum RunnerError {
    /// The wallet failed (not signed in, hub unreachable, ...).
    #[error(transparent)]
    Wallet(#[from] WalletError),
    /// The POS driver could not be reached or answered nonsense.
    #[error(transparent)]
    Pos(linker_pos_driver::PosDriverError),
    /// The selection matches no case assigned to the merchant.
    #[error("no assigned case matches {0}; the merchant's runnable cases are: {1}")]
    NoCases(String, String),
    /// The amount given is not valid.
    #[error("bad amount: {0}")]
    BadAmount(String),
}

/// What to run and how.
#[derive(Debug, Clone)]
pub struct RunnerConfig {
    /// Case ids or patterns with a trailing `*` (`UPM-01`, `MOC-*`); empty means every runnable
    /// assigned case.
    pub cases: Vec<String>,
    /// The amount of each sale; by default 12.34 (RFD-02: 200.00) in the POS's currency
    /// (HKD when it names none).
    pub amount: Option<Amount>,
    /// How long UPM-06's `pay` answer is held (the hub's default, 30 s, when `None`).
    pub slow_answer_secs: Option<u64>,
    /// How long to wait for the POS to reach the state a step expects.
    pub settle: Duration,
    /// Extra time to wait for the hub's verdict past the case's own timeout.
    pub verdict_grace: Duration,
    /// Move a test-clock hub's clock forward instead of waiting out the windows a verdict
    /// waits for (demos and tests; see [`ClockControl`]).
    pub fast_forward: Option<ClockControl>,
}

/// The admin side of a hub started with `--test-clock`: once a case's actions are done and its
/// questions answered, the runner moves the hub's clock forward through the windows the checks
/// still watch (no second payment within 60 s, ...) instead of waiting them out. Only for hubs
/// the runner's operator owns: time skipped is time in which a misbehaving ACQP is not watched.
#[derive(Debug, Clone)]
pub struct ClockControl {
    /// The hub's URL.
    pub hub_url: String,
    /// Its admin token.
    pub admin_token: String,
}

impl ClockControl {
    /// The hub's time now.
    pub(crate) async fn now(&self) -> Result<chrono::DateTime<Utc>, String> {
        let url = format!("{}/admin/v1/clock", self.hub_url.trim_end_matches('/'));
        let answer: serde_json::Value = reqwest::Client::new()
            .get(&url)
            .bearer_auth(&self.admin_token)
            .timeout(Duration::from_secs(10))
            .send()
            .await
            .and_then(reqwest::Response::error_for_status)
            .map_err(|error| format!("cannot read the hub's clock ({url}): {error}"))?
            .json()
            .await
            .map_err(|error| format!("the hub's clock answer is not JSON: {error}"))?;
        answer
            .get("now")
            .and_then(serde_json::Value::as_str)
            .and_then(|text| chrono::DateTime::parse_from_rfc3339(text).ok())
            .map(|at| at.with_timezone(&Utc))
            .ok_or_else(|| format!("the hub's clock answer has no time: {answer}"))
    }

    /// Moves the hub's clock forward by `seconds`.
    pub(crate) async fn advance(&self, seconds: u64) -> Result<(), String> {
        let url = format!(
            "{}/admin/v1/clock/advance",
            self.hub_url.trim_end_matches('/')
        );
        let answer = reqwest::Client::new()
            .post(&url)
            .bearer_auth(&self.admin_token)
            .json(&serde_json::json!({ "seconds": seconds }))
            .timeout(Duration::from_secs(10))
            .send()
            .await
            .map_err(|error| format!("cannot move the hub's clock ({url}): {error}"))?;
        if answer.status().is_success() {
            Ok(())
        } else {
            let status = answer.status();
            let text = answer.text().await.unwrap_or_default();
            Err(format!(
                "the hub refused to move its clock (HTTP {status}): {text}"
            ))
        }
    }
}

impl Default for RunnerConfig {
    fn default() -> RunnerConfig {
        RunnerConfig {
            cases: Vec::new(),
            amount: None,
            slow_answer_secs: None,
            settle: Duration::from_secs(200),
            verdict_grace: Duration::from_secs(30),
            fast_forward: None,
        }
    }
}

/// Where the runner reports progress: a progress bar on a terminal, plain lines in CI.
pub trait Progress: Send + Sync {
    /// Case `index` (from 1) of `total` starts.
    fn case_started(&self, index: usize, total: usize, case: &CaseEntry);
    /// Something happened in a case.
    fn note(&self, case_id: &str, text: &str);
    /// Case `index` of `total` ended.
    fn case_finished(&self, index: usize, total: usize, run: &RunReport);
}

/// Progress as plain lines on standard error.
#[derive(Debug, Clone, Copy, Default)]
pub struct PlainProgress;

impl Progress for PlainProgress {
    fn case_started(&self, index: usize, total: usize, case: &CaseEntry) {
        eprintln!("[{index}/{total}] {} {}", case.id, case.title);
    }
    fn note(&self, case_id: &str, text: &str) {
        eprintln!("        {case_id}: {text}");
    }
    fn case_finished(&self, index: usize, total: usize, run: &RunReport) {
        eprintln!(
            "[{index}/{total}] {} {}{}: {}",
            run.case.id,
            linker_cases::report::outcome_word(run.outcome).to_uppercase(),
            elapsed_text(run),
            run.summary
        );
    }
}

/// How long the runner spent on a run, for a progress line: ` (1.2 s)`, or nothing.
pub fn elapsed_text(run: &RunReport) -> String {
    run.elapsed_ms
        .map(|ms| format!(" ({:.1} s)", ms as f64 / 1000.0))
        .unwrap_or_default()
}

/// No progress at all.
#[derive(Debug, Clone, Copy, Default)]
pub struct QuietProgress;

impl Progress for QuietProgress {
    fn case_started(&self, _: usize, _: usize, _: &CaseEntry) {}
    fn note(&self, _: &str, _: &str) {}
    fn case_finished(&self, _: usize, _: usize, _: &RunReport) {}
}

/// Runs cases for one signed-in wallet.
pub struct Runner<'a> {
    wallet: &'a Wallet,
    pos: Pos,
    config: RunnerConfig,
    progress: &'a dyn Progress,
}

impl<'a> Runner<'a> {
    /// A runner over a signed-in wallet and a POS.
    pub fn new(
        wallet: &'a Wallet,
        pos: Pos,
        config: RunnerConfig,
        progress: &'a dyn Progress,
    ) -> Runner<'a> {
        Runner {
            wallet,
            pos,
            config,
            progress,
        }
    }

    /// The assigned, runnable cases the selection picks, in catalogue order.
    pub async fn selected_cases(&self) -> Result<Vec<CaseEntry>, RunnerError> {
        let list = self.wallet.cases().await?;
        let runnable: Vec<CaseEntry> = list
            .groups
            .into_iter()
            .flat_map(|group| group.cases)
            .filter(|case| case.runnable)
            .collect();
        let picked: Vec<CaseEntry> = runnable
            .iter()
            .filter(|case| selects(&self.config.cases, &case.id))
            .cloned()
            .collect();
        if picked.is_empty() {
            return Err(RunnerError::NoCases(
                if self.config.cases.is_empty() {
                    "(every case)".to_owned()
                } else {
                    self.config.cases.join(",")
                },
                runnable
                    .iter()
                    .map(|case| case.id.as_str())
                    .collect::<Vec<_>>()
                    .join(", "),
            ));
        }
        Ok(picked)
    }

    /// Runs the selected cases one after another and reports every verdict.
    pub async fn run(&self) -> Result<Report, RunnerError> {
        let cases = self.selected_cases().await?;
        let merchant = self.wallet.session()?.map(|session| session.merchant);
        let mut runs = Vec::with_capacity(cases.len());
        for (index, case) in cases.iter().enumerate() {
            self.progress.case_started(index + 1, cases.len(), case);
            let began = std::time::Instant::now();
            let mut run = self.run_case(case).await?;
            run.elapsed_ms = Some(u64::try_from(began.elapsed().as_millis()).unwrap_or(u64::MAX));
            self.progress.case_finished(index + 1, cases.len(), &run);
            runs.push(run);
        }
        let settings = self.wallet.settings()?;
        Ok(Report {
            title: "Linker run".to_owned(),
            generated_at: Utc::now(),
            hub_url: settings.hub_url,
            project: merchant.as_ref().map(|m| m.project_id.clone()),
            merchant: merchant.as_ref().map(|m| format!("{} ({})", m.name, m.mid)),
            tool_version: format!("linker {}", env!("CARGO_PKG_VERSION")),
            runs,
        })
    }

    fn amount_for(&self, case: &CaseEntry) -> Result<Amount, RunnerError> {
        if let Some(amount) = self.config.amount {
            let big_enough = case.id != "RFD-02" || amount.value() >= 10_000;
            if big_enough {
                return Ok(amount);
            }
        }
        let currency = self.pos.currency().unwrap_or("HKD");
        let major = if case.id == "RFD-02" { 200 } else { 12 };
        let text = format!("{currency} {major}.34");
        text.parse::<Amount>()
            .or_else(|_| format!("{currency} {major}").parse::<Amount>())
            .map_err(|error| RunnerError::BadAmount(format!("{text}: {error}")))
    }

    /// Runs one case to its verdict; failures to drive it become a broken report.
    async fn run_case(&self, case: &CaseEntry) -> Result<RunReport, RunnerError> {
        let amount = self.amount_for(case)?;
        let run = self
            .wallet
            .start_run(
                &case.id,
                RunOptions {
                    slow_answer_secs: self.config.slow_answer_secs,
                },
            )
            .await?;
        let started = tokio::time::Instant::now();
        let mut driver = drive::CaseRun {
            wallet: self.wallet,
            pos: &self.pos,
            progress: self.progress,
            case,
            run_id: run.id.clone(),
            amount,
            sale: None,
            scan_said_expired: None,
            payment_request_id: None,
            order_expires: None,
            clock: self.config.fast_forward.as_ref(),
            settle: self.config.settle,
        };
        if let Err(reason) = driver.drive().await {
            self.progress.note(&case.id, &reason);
            let view = self.wallet.run(&run.id).await.map(|d| d.run).unwrap_or(run);
            return Ok(report_of(
                case,
                &view,
                Some(format!("the runner could not drive the case: {reason}")),
            ));
        }
        for question in &case.manual {
            match driver.answer(&question.id, &question.question).await {
                Ok((yes, note)) => {
                    self.progress.note(
                        &case.id,
                        &format!(
                            "{}: {} ({note})",
                            question.id,
                            if yes { "yes" } else { "no" }
                        ),
                    );
                    let input = if yes {
                        ManualAnswerInput::yes(&question.id)
                    } else {
                        ManualAnswerInput::no(&question.id)
                    }
                    .with_note(&note);
                    self.wallet.answer_manual(Some(&run.id), input).await?;
                }
                // Linker's side cannot tell what the POS shows: the case is broken with the
                // driver's words, never failed for the ACQP (the run stays open for an answer
                // in the app).
                Err(reason) => {
                    self.progress.note(&case.id, &reason);
                    let view = self.wallet.run(&run.id).await.map(|d| d.run).unwrap_or(run);
                    return Ok(report_of(case, &view, Some(reason)));
                }
            }
        }
        let deadline =
            started + Duration::from_secs(case.timeout_secs.max(1)) + self.config.verdict_grace;
        let view = self.wait_for_verdict(case, &run.id, deadline).await?;
        let note = view.is_open().then(|| {
            format!(
                "the hub had not decided the run {} s after it started",
                started.elapsed().as_secs()
            )
        });
        Ok(report_of(case, &view, note))
    }

    async fn wait_for_verdict(
        &self,
        case: &CaseEntry,
        run_id: &str,
        deadline: tokio::time::Instant,
    ) -> Result<RunView, RunnerError> {
        let waiting_since = tokio::time::Instant::now();
        let mut skipped = 0;
        loop {
            // Answers queued while the hub was briefly away go out before we ask again.
            if self.wallet.sync_status()?.pending > 0 {
                let _ = self.wallet.sync_now().await;
            }
            let view = self.wallet.run(run_id).await?.run;
            if !view.is_open() || tokio::time::Instant::now() >= deadline {
                return Ok(view);
            }
            // Everything the case does is done; what is left is a window on the hub's clock.
            if let Some(clock) = &self.config.fast_forward
                && waiting_since.elapsed() >= FAST_FORWARD_AFTER
                && skipped < case.timeout_secs
            {
                let step = if skipped < SHORTEST_WINDOW {
                    FAST_FORWARD_STEP
                } else {
                    FAST_FORWARD_LONG_STEP
                };
                match clock.advance(step).await {
                    Ok(()) => {
                        if skipped == 0 {
                            self.progress
                                .note(&case.id, "moving the hub's test clock through the wait");
                        }
                        skipped += step;
                    }
                    Err(reason) => self.progress.note(&case.id, &reason),
                }
            }
            tokio::time::sleep(if self.config.fast_forward.is_some() {
                drive::FAST_POLL
            } else {
                drive::POLL
            })
            .await;
        }
    }
}

/// How long the runner waits in real time for a verdict before moving a test clock: time for
/// what is already under way (a notification, an acknowledgement) to arrive. The acquirer's
/// own polls and retries wait on the same clock, so moving it does not outrun them.
const FAST_FORWARD_AFTER: Duration = Duration::from_millis(500);
/// How far it moves the clock at each look at the run (every [`drive::FAST_POLL`]): half the
/// shortest window a check watches, so a retry the acquirer makes when the clock moves still
/// lands in it.
const FAST_FORWARD_STEP: u64 = 5;
/// The shortest window a check watches (`no-retry-after-failure`, ...), in seconds; each
/// starts while the case is driven, so once this much is skipped they have all closed.
const SHORTEST_WINDOW: u64 = 10;
/// The step after that, through the longer windows (60 s and 90 s of UPM-05 and UPM-06).
const FAST_FORWARD_LONG_STEP: u64 = 15;

/// Whether `patterns` (empty = all) pick `case_id`.
pub fn selects(patterns: &[String], case_id: &str) -> bool {
    patterns.is_empty()
        || patterns.iter().any(|pattern| {
            let pattern = pattern.trim();
            match pattern.strip_suffix('*') {
                Some(prefix) => case_id.starts_with(prefix),
                None => pattern.eq_ignore_ascii_case(case_id),
            }
        })
}

/// A run as a report entry; `broken` overrides an open run's (missing) verdict.
fn report_of(case: &CaseEntry, view: &RunView, broken: Option<String>) -> RunReport {
    let (outcome, summary, checks) = match (&view.verdict, broken) {
        (Some(verdict), _) => (
            verdict.outcome,
            verdict.summary.clone(),
            verdict.checks.clone(),
        ),
        // The runner could not go on; when a check has already failed, the ACQP broke the case
        // (e.g. its backend refused to start the checkout after Alipay+ rejected its pay):
        // that is a failure with its evidence, not Linker's inability to judge.
        (None, Some(reason)) => match view
            .checks
            .iter()
            .find(|c| matches!(c.outcome, linker_cases::CheckOutcome::Failed { .. }))
        {
            Some(failed) => (
                Outcome::Failed,
                format!(
                    "{} failed: {} (then {reason})",
                    failed.check,
                    failed.outcome.text()
                ),
                view.checks.clone(),
            ),
            None => (Outcome::Broken, reason, view.checks.clone()),
        },
        (None, None) => (
            Outcome::Broken,
            "the run ended without a verdict".to_owned(),
            view.checks.clone(),
        ),
    };
    RunReport {
        case: ReportCase {
            id: case.id.clone(),
            product: case.product,
            title: case.title.clone(),
            summary: case.summary.trim().to_owned(),
            steps: case.steps.clone(),
            manual: case.manual.clone(),
        },
        run_id: view.id.clone(),
        merchant_id: view.merchant_id.clone(),
        wallet: view.wallet.clone(),
        started_at: view.started_at,
        ended_at: view.ended_at,
        outcome,
        summary,
        checks,
        events: view.events.clone(),
        elapsed_ms: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_pick_ids_and_prefixes() {
        let patterns = vec!["UPM-01".to_owned(), "MOC-*".to_owned()];
        assert!(selects(&patterns, "UPM-01"));
        assert!(selects(&patterns, "MOC-05"));
        assert!(!selects(&patterns, "UPM-02"), "UPM-02 is not selected");
        assert!(selects(&[], "RFD-01"), "no pattern selects everything");
        assert!(selects(&["upm-01".to_owned()], "UPM-01"));
    }
}
