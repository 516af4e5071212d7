use std::collections::BTreeSet;

use linker_acquirer::Fault;
use linker_cases::report::{Report, RunReport};
use linker_demo::{Demo, DemoOptions};
use linker_runner::{ClockControl, PlainProgress, Pos, Runner, RunnerConfig};

/// Runs `cases` against a fresh demo whose acquirer commits `faults`.
pub async fn run(faults: &[Fault], cases: &[&str]) -> Report {
    run_on(start(faults).await, cases).await
}

/// A fresh demo (quick timings, test clock) whose acquirer commits `faults`.
pub async fn start(faults: &[Fault]) -> Demo {
    Demo::start(DemoOptions {
        faults: faults.iter().copied().collect::<BTreeSet<_>>(),
        timing: DemoOptions::quick_timing(),
        test_clock: true,
        ..DemoOptions::default()
    })
    .await
    .expect("the demo starts")
}

/// Runs `cases` with the headless runner against `demo`, then shuts it down.
pub async fn run_on(demo: Demo, cases: &[&str]) -> Report {
    let wallet = demo.wallet().await.expect("the demo wallet signs in");
    let pos = Pos::driver(demo.pos_driver_url(), None)
        .await
        .expect("the reference acquirer's POS driver answers");
    let config = RunnerConfig {
        cases: cases.iter().map(|c| (*c).to_owned()).collect(),
        slow_answer_secs: Some(12),
        // With the quick timings, and the runner moving the clock through what the POS waits
        // out, every correct POS settles within seconds; a broken one (that never shows what a
        // step waits for) is not waited for long.
        settle: std::time::Duration::from_secs(20),
        fast_forward: Some(ClockControl {
            hub_url: demo.hub_url().to_owned(),
            admin_token: demo.admin_token().expect("the demo hub's admin token"),
        }),
        ..RunnerConfig::default()
    };
    let report = Runner::new(&wallet, pos, config, &PlainProgress)
        .run()
        .await
        .expect("the runner runs");
    demo.shutdown().await;
    report
}

/// The one run of `case` in `report`.
pub fn only<'a>(report: &'a Report, case: &str) -> &'a RunReport {
    report
        .runs
        .iter()
        .find(|run| run.case.id == case)
        .unwrap_or_else(|| panic!("no run of {case} in the report: {report:?}"))
}

/// One line per check, for assertion messages.
pub fn describe(run: &RunReport) -> String {
    let checks: Vec<String> = run
        .checks
        .iter()
        .map(|check| format!("{} {:?}", check.check, check.outcome))
        .collect();
    format!(
        "{} {:?}: {}\n  {}",
        run.case.id,
        run.outcome,
        run.summary,
        checks.join("\n  ")
    )
}

/// The reason a named check failed, if it did.
pub fn failure_of(run: &RunReport, check: &str) -> Option<String> {
    run.checks
        .iter()
        .find(|c| c.check == check)
        .and_then(|c| match &c.outcome {
            linker_cases::CheckOutcome::Failed { reason } => Some(reason.clone()),
            _ => None,
        })
}
