//! The wallet runs cases against a real hub and the reference acquirer on loopback: the test
//! plays the cashier through the POS driver, and the merchant through the app's screens.

use linker_acquirer::Fault;
use linker_demo::DemoOptions;
use serde_json::json;

use crate::flows::Loop;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn upm_01_signed_in_by_invitation_the_pos_takes_the_code_and_the_case_passes() {
    let mut run = Loop::start("upm-01", DemoOptions::default()).await;
    run.sign_in().await;
    run.app.screenshot("cases").await;
    run.start_case("UPM-01").await;
    let digits = run.shown_digits().await;
    run.app.screenshot("pay").await;
    run.charge("UPM-01", &digits).await;
    run.wait_for_event("the ACQP's pay", |e| e["kind"] == "acqp_call")
        .await;
    run.answer_yes("pos-shows-success").await;
    run.expect_verdict("passed", 40).await;
    run.app.find("#steps li[data-done='true']:last-child").await;
    run.app.screenshot("verdict").await;

    run.app.click("#tab-history").await;
    let row = run
        .app
        .text(&format!(".history-row[data-run='{}']", run.run_id))
        .await;
    assert!(row.contains("UPM-01"), "history lists the run: {row:?}");
    run.app.screenshot("history").await;
    run.app.click("#tab-settings").await;
    run.app.find("#sync-now").await;
    run.app.screenshot("settings").await;
    run.app.click("#tab-generate").await;
    run.app.type_into("#generate-text", &digits).await;
    run.app.click("#generate-go").await;
    run.app.find("#generate-image").await;
    run.app.screenshot("generate").await;
    run.app.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn moc_01_the_wallet_scans_the_order_code_from_an_image_file_and_the_case_passes() {
    let mut run = Loop::start("moc-01", DemoOptions::default()).await;
    run.sign_in().await;
    let run_id = run.start_case("MOC-01").await;
    let amount = run.amount(880).await;
    let order = run
        .pos(
            "order-code",
            json!({"runId": run_id, "caseId": "MOC-01", "amount": amount}),
        )
        .await;
    let code = order["codeValue"].as_str().unwrap().to_owned();
    let png = linker_scan::text_qr(&code, &linker_scan::QrOptions::default())
        .and_then(|qr| qr.to_png())
        .unwrap();
    let file = run.scratch().join("order-code.png");
    std::fs::write(&file, png).unwrap();
    run.app.screenshot("scan").await;
    // The image file as a person opens it: the file picker's input takes the path.
    let input = run.app.find("#scan-file-input").await;
    if input.send_keys(&file.display().to_string()).await.is_err() {
        // WebKitWebDriver without file uploads: the typed path opens the same file.
        run.app
            .type_into("#scan-text", &file.display().to_string())
            .await;
        run.app.click("#scan-go").await;
    }
    run.app.find_within("#confirm #pay-now", 20).await;
    run.app.screenshot("confirm").await;
    run.app.click("#pay-now").await;
    run.wait_for_event("the wallet's confirmation", |e| {
        e["kind"] == "wallet_action" && e["action"]["action"] == "confirm_payment"
    })
    .await;
    run.answer_yes("pos-shows-success").await;
    run.expect_verdict("passed", 60).await;
    run.app.screenshot("verdict").await;
    run.app.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn upm_03_a_declined_payment_handled_by_the_acquirer_passes() {
    let options = DemoOptions {
        test_clock: true,
        ..DemoOptions::default()
    };
    let mut run = Loop::start("upm-03", options).await;
    run.sign_in().await;
    run.start_case("UPM-03").await;
    let digits = run.shown_digits().await;
    run.charge("UPM-03", &digits).await;
    run.wait_for_event("the declined pay", |e| e["kind"] == "acqp_call")
        .await;
    run.answer_yes("pos-shows-failure").await;
    // No retry within the 10 s window: move the hub's clock past it instead of waiting.
    run.advance_hub(15);
    let text = run.expect_verdict("passed", 40).await;
    assert!(!text.is_empty(), "the verdict explains itself");
    run.app.screenshot("verdict").await;
    run.app.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn upm_04_an_acquirer_that_never_cancels_fails_on_the_missing_cancel() {
    let options = DemoOptions {
        test_clock: true,
        timing: DemoOptions::quick_timing(),
        faults: [Fault::NeverCancel].into_iter().collect(),
        ..DemoOptions::default()
    };
    let mut run = Loop::start("upm-04", options).await;
    run.sign_in().await;
    run.start_case("UPM-04").await;
    let digits = run.shown_digits().await;
    run.charge("UPM-04", &digits).await;
    run.wait_for_event("the pay", |e| e["kind"] == "acqp_call")
        .await;
    run.answer_yes("pos-shows-not-paid").await;
    // The cancel must come within 90 s of the pay: move the hub past that window.
    run.advance_hub(100);
    let text = run.expect_verdict("failed", 60).await;
    let failing = run.app.text("#verdict .check[data-outcome='failed']").await;
    if !failing.contains("cancels-within") || !text.to_lowercase().contains("cancel") {
        run.app
            .fail(&format!(
                "the failing check should name the missing cancel; first failing: {failing:?}; verdict: {text}"
            ))
            .await;
    }
    // Its evidence opens to the exchanges (the pay and its answer, with the signature verdict).
    run.app
        .click("#verdict .check[data-outcome='failed'] .evidence summary")
        .await;
    run.app.screenshot("verdict").await;
    run.app.finish().await;
}
