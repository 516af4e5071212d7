//! Integration tests of linker-cases: every check both ways, every case both ways, timeouts.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

mod case_runs;
mod checks;
mod props;
mod reports;
mod verdicts;

use linker_cases::check::CheckResult;
use linker_cases::testing::RecordBuilder;
use linker_cases::{CaseDef, Catalogue, Check, CheckOutcome, RunRecord};

/// The built-in case `id`.
pub fn case(id: &str) -> &'static CaseDef {
    Catalogue::builtin()
        .unwrap()
        .case(id)
        .unwrap_or_else(|| panic!("no case {id}"))
}

/// Evaluates `check` (in the context of case `id`) at `now` seconds after the start.
pub fn eval(id: &str, check: &Check, record: &RunRecord, now: f64) -> CheckResult {
    check.evaluate(case(id), record, RecordBuilder::at(now))
}

#[track_caller]
pub fn assert_passed(result: &CheckResult) {
    assert!(
        matches!(result.outcome, CheckOutcome::Passed { .. }),
        "expected {} to pass, got {:?}",
        result.check,
        result
    );
}

#[track_caller]
pub fn assert_failed(result: &CheckResult, reason_contains: &str) {
    match &result.outcome {
        CheckOutcome::Failed { reason } => assert!(
            reason.contains(reason_contains),
            "{} failed for another reason: {reason:?}, expected it to contain {reason_contains:?}",
            result.check
        ),
        other => panic!(
            "expected {} to fail with {reason_contains:?}, got {other:?} (evidence {:?})",
            result.check, result.evidence
        ),
    }
}

#[track_caller]
pub fn assert_pending(result: &CheckResult) {
    assert!(
        matches!(result.outcome, CheckOutcome::Pending { .. }),
        "expected {} to be pending, got {:?}",
        result.check,
        result
    );
}
