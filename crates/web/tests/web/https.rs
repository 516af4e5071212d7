//! The shop floor over HTTPS: `linker demo` with its self-signed certificate, a phone whose
//! browser trusts exactly that certificate, and the real reference acquirer. The phone opens the
//! demo's signed-in link, runs MOC-01 with its camera on the POS's order code and UPM-01 with the
//! POS reading its payment code off the phone's screen, answers the questions as the merchant
//! would, and sees Passed twice; the console then shows both verdicts in Test Data.

use std::path::Path;
use std::time::{Duration, Instant};

use fantoccini::Client;
use linker_demo::{Demo, DemoOptions};
use linker_hub::server::tls::TlsSource;
use serde_json::json;

use crate::browser::{
    assert_fits_the_phone, desktop_with, driver, element, phone_with, run_id, scroll_to, shot, tap,
    text_of, wait_for,
};
use crate::support::{Pos, blank_video, certificate_der, qr_video, spki_pin};

/// Every sale of this test: 12.34 in the POS's currency.
const AMOUNT_MAJOR: &str = "12.34";
const AMOUNT_MINOR: &str = "1234";

/// Answers "Did the POS show the payment as successful?" with yes (the test looked at the POS
/// first), then waits for the verdict and returns its outcome and summary.
async fn answer_yes_and_wait_for_the_verdict(client: &Client, case: &str) -> (String, String) {
    element(client, "#answer-yes-pos-shows-success").await;
    scroll_to(client, "#checks").await;
    shot(client, &format!("https-{case}-question")).await;
    tap(client, "#answer-yes-pos-shows-success").await;
    let verdict = wait_for(
        client,
        "const v = document.querySelector('#verdict');
         return v && [v.dataset.outcome, document.querySelector('#verdict-summary').textContent];",
        60,
        &format!("{case}'s verdict is shown"),
    )
    .await;
    scroll_to(client, "#verdict").await;
    shot(client, &format!("https-{case}-verdict")).await;
    assert_fits_the_phone(client, &format!("{case}'s verdict")).await;
    (
        verdict[0].as_str().unwrap().to_owned(),
        verdict[1].as_str().unwrap().to_owned(),
    )
}

/// Presses Camera until the wallet has read the code (the confirm card names the merchant) or
/// says why not: a press can land on a button the run screen was replacing.
async fn scan_with_the_camera(client: &Client) -> String {
    let deadline = Instant::now() + Duration::from_secs(40);
    let mut pressed_at = None;
    loop {
        let state = client
            .execute(
                "const m = document.querySelector('#confirm-merchant');
                 const s = document.querySelector('#scan-status');
                 return [m && m.textContent, s && s.textContent, Boolean(document.querySelector('#camera'))];",
                vec![],
            )
            .await
            .unwrap();
        if let Some(merchant) = state[0].as_str() {
            return merchant.to_owned();
        }
        assert!(
            Instant::now() < deadline,
            "the camera reads the POS's order code within 40 s; the scan says {}",
            state[1]
        );
        let camera_on = state[2] == json!(true);
        let waited = pressed_at.is_some_and(|at: Instant| at.elapsed() > Duration::from_secs(3));
        if pressed_at.is_none() || (!camera_on && waited) {
            tap(client, "#scan-camera").await;
            pressed_at = Some(Instant::now());
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_phone_over_https_passes_moc_01_and_upm_01_with_the_reference_acquirer_and_the_console_shows_both()
 {
    let demo = Demo::start(DemoOptions {
        tls: Some(TlsSource::SelfSigned),
        test_clock: false,
        timing: DemoOptions::quick_timing(),
        ..DemoOptions::default()
    })
    .await
    .expect("the demo starts over HTTPS");
    let public = demo.public_url().to_owned();
    assert!(public.starts_with("https://"), "phones use HTTPS: {public}");
    let certificate = demo.self_signed().expect("a self-signed certificate");
    let der = certificate_der(&certificate.cert);
    assert_eq!(
        linker_hub::server::tls::fingerprint(&der),
        certificate.fingerprint,
        "the certificate read from {} is the one the hub serves",
        certificate.cert.display()
    );
    // The phone trusts this certificate's key and nothing else: no --ignore-certificate-errors.
    let trust = format!("--ignore-certificate-errors-spki-list={}", spki_pin(&der));
    let link = demo.web_wallet_link().await.expect("a signed-in link");
    let pos = Pos::new(demo.pos_driver_url());
    let currency = pos.get("/pos/v1/capabilities").await["currencies"][0]
        .as_str()
        .expect("the POS sells in a currency")
        .to_owned();

    // Chromium's fake camera takes its video file at start, but opens it only when a page
    // starts the camera. The order code exists only once MOC-01's run has started on the
    // phone (the POS is asked for it with the run's id, as the runner does), so the camera
    // starts on a blank video and the test puts the POS's code in the same file before the
    // customer presses Camera: one browser, one web session, the run the hub knows.
    let dir = tempfile::tempdir().unwrap();
    let video = dir.path().join("pos-screen.y4m");
    blank_video(&video);
    let driver = driver().await;
    let phone = phone_with(
        &driver,
        &[
            trust.clone(),
            "--use-fake-device-for-media-stream".to_owned(),
            "--use-fake-ui-for-media-stream".to_owned(),
            format!("--use-file-for-fake-video-capture={}", video.display()),
        ],
    )
    .await;

    phone.goto(&link).await.unwrap();
    element(&phone, "#case-MOC-01").await;
    let landed = phone.current_url().await.unwrap().to_string();
    assert!(
        landed.starts_with(&format!("{public}/app/")),
        "the link lands on the web wallet over HTTPS, signed in: {landed}"
    );
    shot(&phone, "https-cases").await;
    assert_fits_the_phone(&phone, "the case list over HTTPS").await;

    moc_01(&phone, &pos, &currency, &video).await;
    upm_01(&phone, &pos).await;
    phone.close().await.ok();

    // The TSP's console, on a desktop, trusting the same certificate.
    let console = desktop_with(&driver, std::slice::from_ref(&trust)).await;
    console.goto(&format!("{public}/console")).await.unwrap();
    let admin_token = demo.admin_token().expect("the demo's admin token");
    for (field, text) in [
        ("#adminToken", admin_token.as_str()),
        ("#email", "tsp@example.com"),
        ("#password", "correct horse battery"),
    ] {
        element(&console, field)
            .await
            .send_keys(text)
            .await
            .unwrap();
    }
    tap(&console, "form button").await;
    wait_for(
        &console,
        "const h = document.querySelector('h1'); return h && h.textContent === 'Your projects';",
        30,
        "the console signs the admin in and lists the projects",
    )
    .await;
    console
        .goto(&format!(
            "{public}/console/projects/{}/test-data",
            demo.project_id()
        ))
        .await
        .unwrap();
    let verdicts = wait_for(
        &console,
        "const all = [...document.querySelectorAll('#recent tr')]
           .map((tr) => [...tr.cells].map((td) => td.textContent.trim()));
         if (!all.length) return false;
         const verdict = all[0].indexOf('Verdict');
         const rows = all.slice(1);
         const seen = (id) => rows.some((r) => r[0] === id && r[verdict] === 'passed');
         return seen('MOC-01') && seen('UPM-01') ? rows : false;",
        30,
        "Test Data lists MOC-01 and UPM-01 as passed",
    )
    .await;
    shot(&console, "https-console-test-data").await;
    let rows: Vec<Vec<String>> = serde_json::from_value(verdicts).unwrap();
    for case in ["MOC-01", "UPM-01"] {
        let row = rows.iter().find(|row| row[0] == case).unwrap();
        assert!(
            row[1].contains("(demo)"),
            "{case} was run by the demo merchant, the one the link signed in: {row:?}"
        );
    }
    console.close().await.ok();
    drop(driver);
    demo.shutdown().await;
}

/// MOC-01 as a merchant and a customer do it: the run starts on the phone, the POS shows an
/// order code for it, the phone's camera reads it, the customer pays, the POS shows paid and the
/// merchant says so.
async fn moc_01(phone: &Client, pos: &Pos, currency: &str, video: &Path) {
    tap(phone, "#case-MOC-01").await;
    tap(phone, "#start-run").await;
    let run = run_id(phone, "MOC-01").await;
    let order = pos
        .post(
            "/pos/v1/order-code",
            json!({
                "runId": run,
                "caseId": "MOC-01",
                "amount": {"currency": currency, "value": AMOUNT_MINOR},
            })
            .to_string()
            .into(),
            "application/json",
        )
        .await;
    let code = order["codeValue"].as_str().expect("an order code");
    let sale = order["posPaymentId"].as_str().expect("the POS's sale id");
    qr_video(code, video);

    element(phone, "#scan-camera").await;
    shot(phone, "https-MOC-01-scan").await;
    let merchant = scan_with_the_camera(phone).await;
    let amount = text_of(phone, "#confirm-amount").await;
    assert!(
        !merchant.is_empty() && amount.contains(AMOUNT_MAJOR),
        "the camera read the order code and the wallet shows whom and what the customer pays: \
         {merchant:?}, {amount:?}"
    );
    shot(phone, "https-MOC-01-confirm").await;
    tap(phone, "#pay-now").await;
    pos.wait_until_paid(&format!("/pos/v1/display?posPaymentId={sale}"), |a| a)
        .await;
    let (outcome, summary) = answer_yes_and_wait_for_the_verdict(phone, "MOC-01").await;
    assert_eq!(
        outcome, "passed",
        "MOC-01 against the reference acquirer: {summary}"
    );
}

/// UPM-01 as a cashier does it: the phone shows its payment code, the POS reads it off a picture
/// of the phone's screen and charges it, shows paid, and the merchant says so.
async fn upm_01(phone: &Client, pos: &Pos) {
    tap(phone, "#run-back").await;
    tap(phone, "#case-UPM-01").await;
    tap(phone, "#start-run").await;
    run_id(phone, "UPM-01").await;
    let digits = wait_for(
        phone,
        "const d = document.querySelector('#pay-digits'); return d && d.dataset.digits;",
        30,
        "UPM-01 shows a payment code",
    )
    .await;
    let digits = digits.as_str().unwrap().to_owned();
    let picture = shot(phone, "https-UPM-01-pay").await;
    assert_fits_the_phone(phone, "the payment code").await;

    let read = pos
        .post("/pos/api/decode", picture.into(), "image/png")
        .await;
    let codes: Vec<String> = serde_json::from_value(read["codes"].clone()).unwrap();
    let code = codes
        .iter()
        .find(|code| code.len() >= 10 && code.chars().all(|c| c.is_ascii_digit()))
        .unwrap_or_else(|| {
            panic!("the POS reads a payment code off the phone's screen: {codes:?}")
        });
    assert_eq!(
        *code, digits,
        "the POS read the code the phone shows (it read {codes:?})"
    );
    let charged = pos
        .post(
            "/pos/api/charge",
            json!({"amount": AMOUNT_MAJOR, "paymentCode": code})
                .to_string()
                .into(),
            "application/json",
        )
        .await;
    let sale = charged["payment"]["posPaymentId"]
        .as_str()
        .unwrap_or_else(|| panic!("the POS started a sale: {charged}"));
    pos.wait_until_paid(&format!("/pos/api/payments/{sale}"), |a| &a["display"])
        .await;
    let (outcome, summary) = answer_yes_and_wait_for_the_verdict(phone, "UPM-01").await;
    assert_eq!(
        outcome, "passed",
        "UPM-01 against the reference acquirer: {summary}"
    );
}
