//! Judging a run: every check over the record, then a verdict once they are all decided or the
//! case's timeout has passed.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::catalogue::CaseDef;
use crate::check::{CheckOutcome, CheckResult, at_plus, manual_check, protocol_checks, timed_out};
use crate::record::RunRecord;

/// The end of a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// Every check passed.
    Passed,
    /// A check failed.
    Failed,
    /// The run could not be judged: the ACQP was never heard from, or the hub failed.
    Broken,
    /// The run was not judged: not implemented, or ended by another run.
    Skipped,
}

/// A decided run: the outcome, one sentence, and every check (failing first).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Verdict {
    /// Passed, failed, broken or skipped.
    pub outcome: Outcome,
    /// One sentence; names the first failing check.
    pub summary: String,
    /// Every check result, failing ones first.
    pub checks: Vec<CheckResult>,
}

impl Verdict {
    /// A skipped run (e.g. the merchant started another), with its checks as they stood.
    pub fn skipped(reason: impl Into<String>, mut checks: Vec<CheckResult>) -> Verdict {
        sort_failing_first(&mut checks);
        Verdict {
            outcome: Outcome::Skipped,
            summary: reason.into(),
            checks,
        }
    }

    /// A broken run (e.g. the hub failed), with its checks as they stood.
    pub fn broken(reason: impl Into<String>, mut checks: Vec<CheckResult>) -> Verdict {
        sort_failing_first(&mut checks);
        Verdict {
            outcome: Outcome::Broken,
            summary: reason.into(),
            checks,
        }
    }
}

/// Whether the run is still open.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum JudgementState {
    /// Some check is pending and the timeout has not passed.
    Open,
    /// The run is over.
    Decided(Verdict),
}

/// The state of a run's checks at one instant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Judgement {
    /// Open, or decided with a verdict.
    pub state: JudgementState,
    /// Every check at this instant, in catalogue order (protocol checks first, manual last).
    pub checks: Vec<CheckResult>,
}

impl Judgement {
    /// The verdict, when decided.
    pub fn verdict(&self) -> Option<&Verdict> {
        match &self.state {
            JudgementState::Open => None,
            JudgementState::Decided(v) => Some(v),
        }
    }

    /// True once decided.
    pub fn is_decided(&self) -> bool {
        self.verdict().is_some()
    }
}

/// When the run times out: its start plus the case's timeout.
pub fn deadline(case: &CaseDef, record: &RunRecord) -> DateTime<Utc> {
    at_plus(record.started_at, case.timeout_secs)
}

/// Every check of `case` over `record` at `now`, without deciding.
pub fn evaluate(case: &CaseDef, record: &RunRecord, now: DateTime<Utc>) -> Vec<CheckResult> {
    let mut checks = protocol_checks(record);
    checks.extend(case.checks.iter().map(|c| c.evaluate(case, record, now)));
    checks.extend(case.manual.iter().map(|q| manual_check(q, record)));
    checks
}

/// Judges a run at `now`.
///
/// - A case not implemented is [`Outcome::Skipped`].
/// - When every check is decided: [`Outcome::Failed`] if any failed, else
///   [`Outcome::Passed`].
/// - Otherwise, once `now >= started_at + timeout`: [`Outcome::Broken`] if the ACQP was never
///   heard from (no call to the hub, no HTTP reply to a callback); else every pending check
///   fails with "timed out waiting for ...", and the run is [`Outcome::Failed`].
/// - Otherwise the run is [`JudgementState::Open`].
pub fn judge(case: &CaseDef, record: &RunRecord, now: DateTime<Utc>) -> Judgement {
    let checks = evaluate(case, record, now);
    if !case.implemented {
        let verdict = Verdict::skipped(
            format!(
                "{} is not implemented yet: it can be listed but not run",
                case.id
            ),
            checks.clone(),
        );
        return Judgement {
            state: JudgementState::Decided(verdict),
            checks,
        };
    }
    if checks.iter().all(|c| c.outcome.is_decided()) {
        let verdict = decide(checks.clone());
        return Judgement {
            state: JudgementState::Decided(verdict),
            checks,
        };
    }
    if now < deadline(case, record) {
        return Judgement {
            state: JudgementState::Open,
            checks,
        };
    }
    if !record.acqp_was_heard() {
        let verdict = Verdict::broken(
            format!(
                "No call from the ACQP within the timeout ({} s): check the ACQP's Alipay+ gateway URL and that it is running.",
                case.timeout_secs
            ),
            checks.clone(),
        );
        return Judgement {
            state: JudgementState::Decided(verdict),
            checks,
        };
    }
    let timed: Vec<CheckResult> = checks
        .iter()
        .cloned()
        .map(|c| match timed_out(&c) {
            Some(reason) => CheckResult {
                outcome: CheckOutcome::Failed { reason },
                ..c
            },
            None => c,
        })
        .collect();
    // Checks that failed on the evidence come before those that merely timed out.
    let mut ordered: Vec<(bool, CheckResult)> = checks
        .iter()
        .map(|c| !c.outcome.is_decided())
        .zip(timed.iter().cloned())
        .collect();
    ordered.sort_by_key(|(was_pending, c)| (!c.outcome.is_failed(), *was_pending));
    Judgement {
        state: JudgementState::Decided(decide(ordered.into_iter().map(|(_, c)| c).collect())),
        checks: timed,
    }
}

/// The verdict over decided checks, keeping the given order among the failing ones.
fn decide(mut checks: Vec<CheckResult>) -> Verdict {
    sort_failing_first(&mut checks);
    let failures = checks.iter().filter(|c| c.outcome.is_failed()).count();
    match checks.first().filter(|c| c.outcome.is_failed()) {
        Some(first) => Verdict {
            outcome: Outcome::Failed,
            summary: format!(
                "{} failed: {}{}",
                first.check,
                first.outcome.text(),
                if failures > 1 {
                    format!(" (and {} more failing check(s))", failures - 1)
                } else {
                    String::new()
                }
            ),
            checks,
        },
        None => Verdict {
            outcome: Outcome::Passed,
            summary: format!("All {} checks passed.", checks.len()),
            checks,
        },
    }
}

fn sort_failing_first(checks: &mut [CheckResult]) {
    checks.sort_by_key(|c| !c.outcome.is_failed());
}
