//! The demo's project in TSP mode: the reference acquirer sends the project's Agent-Token, so a
//! case passes exactly as without TSP mode, and the hub refused nothing.

use linker_cases::Outcome;
use linker_hub::ProjectUpdate;

use crate::support::{describe, only, run_on, start};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn upm_01_passes_with_the_demo_project_in_tsp_mode() {
    let demo = start(&[]).await;
    let hub = demo.hub().clone();
    let project = demo.project_id().to_owned();
    hub.update_project(
        &project,
        ProjectUpdate {
            tsp_mode: Some(true),
            ..ProjectUpdate::default()
        },
    )
    .unwrap();
    let report = run_on(demo, &["UPM-01"]).await;
    let run = only(&report, "UPM-01");
    assert_eq!(run.outcome, Outcome::Passed, "{}", describe(run));
    assert!(
        hub.refused_counts(&project).unwrap().is_empty(),
        "no call was refused: {:?}",
        hub.refused_counts(&project)
    );
}
