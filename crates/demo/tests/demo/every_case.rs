//! `linker demo --run`'s promise: the reference acquirer passes every implemented case.

use linker_cases::Outcome;

use crate::support::{describe, run};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_reference_acquirer_passes_every_implemented_case() {
    let report = run(&[], &[]).await;
    let expected = [
        "UPM-01", "UPM-02", "UPM-03", "UPM-04", "UPM-05", "UPM-06", "UPM-07", "MOC-01", "MOC-02",
        "MOC-03", "MOC-04", "MOC-05", "MPC-01", "MPC-02", "MEC-01", "CSH-01", "CSH-02", "CSH-03",
        "ADB-01", "ADB-02", "ADB-03", "RFD-01", "RFD-02", "RFD-03", "CAN-01", "CAN-02", "NTF-01",
        "NTF-02",
    ];
    let ran: Vec<&str> = report.runs.iter().map(|r| r.case.id.as_str()).collect();
    assert_eq!(
        ran, expected,
        "every implemented case runs, in catalogue order"
    );
    let not_passed: Vec<String> = report
        .runs
        .iter()
        .filter(|r| r.outcome != Outcome::Passed)
        .map(describe)
        .collect();
    assert!(
        not_passed.is_empty(),
        "every case passes with the reference acquirer:\n{}",
        not_passed.join("\n")
    );
    // A passed run did every step: the app's checklist ticks each one by its event.
    let unticked: Vec<String> = report
        .runs
        .iter()
        .flat_map(|run| {
            run.case
                .steps
                .iter()
                .enumerate()
                .filter(|(_, step)| !step.is_done(&run.events))
                .map(|(i, step)| {
                    let kinds: Vec<String> = run
                        .events
                        .iter()
                        .map(|e| {
                            serde_json::to_value(&e.kind)
                                .map(|v| v.to_string())
                                .unwrap_or_default()
                                .chars()
                                .take(120)
                                .collect()
                        })
                        .collect();
                    format!(
                        "{} step {} (done_when {:?}) is not done; the run's events:\n    {}",
                        run.case.id,
                        i + 1,
                        step.done_when.map(|e| e.name()),
                        kinds.join("\n    ")
                    )
                })
                .collect::<Vec<_>>()
        })
        .collect();
    assert!(
        unticked.is_empty(),
        "every step of a passed run is ticked by its event:\n{}",
        unticked.join("\n")
    );
}
