//! Offline: the hub stops mid-run, the merchant answers a manual check anyway, the answer waits
//! on the device (pending), and once the hub is back on the same data and port it arrives
//! exactly once (synced).

use std::net::SocketAddr;

use linker_demo::{Demo, DemoOptions};

use crate::flows::Loop;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_answer_given_offline_reaches_the_hub_once_when_it_is_back() {
    let mut run = Loop::start("offline", DemoOptions::default()).await;
    run.sign_in().await;
    let run_id = run.start_case("UPM-01").await;
    let digits = run.shown_digits().await;
    run.charge("UPM-01", &digits).await;
    run.wait_for_event("the ACQP's pay", |e| e["kind"] == "acqp_call")
        .await;

    let hub_address: SocketAddr = run
        .demo()
        .hub_url()
        .trim_start_matches("http://")
        .parse()
        .unwrap();
    run.demo.take().unwrap().shutdown().await;

    run.app.click("#answer-yes-pos-shows-success").await;
    run.app
        .find_within("#answer-state-pos-shows-success[data-state='pending']", 20)
        .await;
    run.app.screenshot("pending").await;

    let demo = Demo::start(DemoOptions {
        data_dir: Some(run.demo_dir.path().to_path_buf()),
        hub_listen: hub_address,
        ..DemoOptions::default()
    })
    .await
    .unwrap_or_else(|error| panic!("the hub could not come back on {hub_address}: {error}"));
    run.demo = Some(demo);

    run.app
        .find_within("#answer-state-pos-shows-success[data-state='synced']", 40)
        .await;
    run.app.screenshot("synced").await;
    // Let any further sync attempts happen, then count what the hub holds.
    run.expect_verdict("passed", 40).await;
    let record = run.demo().hub().run_record(&run_id).unwrap();
    let answers: Vec<_> = serde_json::to_value(&record.events)
        .unwrap()
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"] == "manual_answer" && e["question_id"] == "pos-shows-success")
        .cloned()
        .collect();
    assert_eq!(
        answers.len(),
        1,
        "the answer given offline arrived exactly once: {answers:?}"
    );
    run.app.screenshot("verdict").await;
    run.app.finish().await;
}
