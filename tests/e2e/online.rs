//! Cashier Payment and Auto Debit in the real app: a checkout's payment link pasted into the Scan
//! screen, Pay Now, Done (in demo mode the POS window then shows the shop's return page); an
//! authorization link pasted, Authorize, Done (without the demo the app shows the link to copy),
//! the site charging; and ADB-02 unbound in the Authorizations screen, in Chinese. Each case ends
//! Passed.

use std::time::{Duration, Instant};

use linker_demo::DemoOptions;
use serde_json::{Value, json};

use crate::flows::Loop;
use crate::harness::App;

/// Types `text` into the Scan screen's field and scans it. The run screen draws itself again as
/// the run's events arrive (the site's calls join the run while the customer types): a field
/// replaced under the typing is typed into again.
async fn paste_into_scan(app: &mut App, text: &str) {
    let mut typed = Value::Null;
    for _ in 0..5 {
        let field = app.find("#scan-text").await;
        let _ = field.clear().await;
        let _ = field.send_keys(text).await;
        typed = app
            .client
            .execute("return document.querySelector('#scan-text').value;", vec![])
            .await
            .unwrap_or(Value::Null);
        if typed == json!(text) {
            app.click("#scan-go").await;
            return;
        }
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    app.fail(&format!("the Scan field holds {typed}, not {text:?}"))
        .await;
}

/// Evaluates `script` in the app's window until it answers something other than null or false.
async fn wait_in(app: &mut App, script: &str, seconds: u64, what: &str) -> Value {
    let deadline = Instant::now() + Duration::from_secs(seconds);
    loop {
        let value = app
            .client
            .execute(script, vec![])
            .await
            .unwrap_or(Value::Null);
        if !value.is_null() && value != Value::Bool(false) {
            return value;
        }
        if Instant::now() > deadline {
            let text = app.visible_text().await;
            app.fail(&format!(
                "{what} within {seconds} s; the window shows {text:?}"
            ))
            .await;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

/// How many of the run's steps the screen shows ticked, and how many there are.
async fn steps_ticked(app: &mut App) -> Value {
    app.client
        .execute(
            "const s = [...document.querySelectorAll('#steps li')]; \
             return [s.filter((li) => li.dataset.done === 'true').length, s.length];",
            vec![],
        )
        .await
        .unwrap_or(Value::Null)
}

/// The shop links the wallet (the POS driver's `bind`), the customer pastes the authorization
/// link, Authorize, Done; waits until the site exchanged the code for a token (applyToken).
async fn link_wallet(run: &mut Loop, case: &str) {
    let bound = run
        .pos("bind", json!({"runId": run.run_id, "caseId": case}))
        .await;
    let auth_url = bound["authUrl"].as_str().unwrap().to_owned();
    paste_into_scan(&mut run.app, &auth_url).await;
    run.app
        .find_within("#authorization[data-phase='ask']", 20)
        .await;
    let scope = run
        .app
        .text("#authorization-scopes li[data-scope='AGREEMENT_PAY']")
        .await;
    let client = run.app.text("#authorization-client").await;
    if client.is_empty() || !scope.contains("Charge this wallet without asking each time") {
        run.app
            .fail(&format!(
                "the authorization says who asks and for what in words; it shows {client:?}, {scope:?}"
            ))
            .await;
    }
    run.app.screenshot("authorize").await;
    run.app.click("#authorize").await;
    run.app
        .find_within("#authorization-outcome[data-outcome='authorized']", 20)
        .await;
    run.app.click("#authorization-done").await;
    // Without the demo the app has no browser to open: it shows the link to copy.
    run.app
        .find_within("#authorization-returned[data-opened='false']", 20)
        .await;
    let link = run.app.text("#authorization-returned-link").await;
    assert!(
        link.contains("authCode="),
        "the way back to the site, shown to copy, carries the code: {link:?}"
    );
    run.wait_for_event("the site's applyToken", |e| {
        e["kind"] == "acqp_call" && e["api"] == "applyToken"
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn csh_01_in_demo_mode_pay_now_then_done_shows_the_shops_return_page_in_the_pos_window() {
    let data = tempfile::tempdir().unwrap();
    let mut app = App::start_with(
        "csh-01-demo",
        &[("LINKER_WALLET_DATA", data.path().display().to_string())],
    )
    .await;
    app.click("#try-demo").await;
    app.find_within("#case-CSH-01", 90).await;
    app.click("#case-CSH-01").await;
    app.click("#start-run").await;
    let run = app.find_within("#run:not([data-run-id=''])", 20).await;
    let run_id = run.attr("data-run-id").await.unwrap().unwrap_or_default();
    // The demo runs inside the app: its POS driver is where demo_info says.
    let info = app
        .client
        .execute_async(
            "const done = arguments[arguments.length - 1]; \
             window.__TAURI__.core.invoke('demo_info').then(done, (e) => done(null));",
            vec![],
        )
        .await
        .unwrap_or(Value::Null);
    let driver = info["posDriverUrl"].as_str().unwrap_or_default().to_owned();
    if driver.is_empty() {
        app.fail(&format!("demo_info names the POS driver: {info}"))
            .await;
    }
    let http = reqwest::Client::new();
    let capabilities: Value = http
        .get(format!("{driver}/pos/v1/capabilities"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let currency = capabilities["currencies"][0].as_str().unwrap_or("HKD");
    let checkout: Value = http
        .post(format!("{driver}/pos/v1/cashier"))
        .json(&json!({"runId": run_id, "caseId": "CSH-01", "amount": {"currency": currency, "value": "4200"}}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let url = checkout["paymentUrl"]
        .as_str()
        .unwrap_or_else(|| panic!("the site's checkout gives a payment link: {checkout}"))
        .to_owned();
    paste_into_scan(&mut app, &url).await;
    app.find_within("#cashier[data-phase='confirm']", 20).await;
    let amount = app.text("#confirm-amount").await;
    assert!(
        amount.contains("42.00"),
        "the wallet asks for the checkout's amount: {amount:?}"
    );
    app.screenshot("confirm").await;
    app.click("#pay-now").await;
    app.find_within("#cashier-outcome[data-outcome='paid']", 20)
        .await;
    app.screenshot("paid").await;
    app.click("#cashier-done").await;
    app.find_within("#cashier-returned[data-opened='true']", 20)
        .await;
    app.screenshot("returned").await;

    // The POS window shows the paymentRedirectUrl: the shop's return page, paid.
    let main = app.client.window().await.unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut seen = Vec::new();
    let found = 'search: loop {
        for handle in app.client.windows().await.unwrap_or_default() {
            if handle == main {
                continue;
            }
            app.client.switch_to_window(handle).await.unwrap();
            let at = app.client.current_url().await.unwrap();
            let paid = app
                .client
                .execute(
                    "const s = document.querySelector('#state'); return Boolean(s && s.classList.contains('paid'));",
                    vec![],
                )
                .await
                .unwrap_or(Value::Bool(false));
            if at.path().starts_with("/shop/return/") && paid == Value::Bool(true) {
                break 'search true;
            }
            seen.push(at.to_string());
        }
        if Instant::now() > deadline {
            break false;
        }
        tokio::time::sleep(Duration::from_millis(300)).await;
    };
    if !found {
        app.client.switch_to_window(main.clone()).await.unwrap();
        app.fail(&format!(
            "Done should show the shop's return page, paid, in the POS window; the other windows showed {seen:?}"
        ))
        .await;
    }
    app.screenshot("pos-return").await;
    // The POS window opens beside the wallet, not over it (a bare X server, as under
    // `scripts/run.sh` headless, places every window at the top-left corner unless told).
    let pos_at = app.client.get_window_rect().await.unwrap();
    app.client.switch_to_window(main).await.unwrap();
    let wallet_at = app.client.get_window_rect().await.unwrap();
    assert!(
        pos_at.0 >= wallet_at.0 + wallet_at.2,
        "the POS window (x, y, w, h = {pos_at:?}) lies beside the wallet's ({wallet_at:?}), not over it"
    );
    app.click("#answer-yes-site-shows-paid").await;
    let outcome = wait_in(
        &mut app,
        "const v = document.querySelector('#verdict'); return v && v.dataset.outcome;",
        60,
        "CSH-01's verdict",
    )
    .await;
    if outcome != json!("passed") {
        let text = app.visible_text().await;
        app.fail(&format!("CSH-01 should pass, it is {outcome}: {text}"))
            .await;
    }
    assert_eq!(
        steps_ticked(&mut app).await,
        json!([2, 2]),
        "both of CSH-01's steps are ticked"
    );
    app.screenshot("verdict").await;
    app.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn adb_01_authorize_in_the_app_then_the_site_debits_and_the_case_passes() {
    let mut run = Loop::start("adb-01", DemoOptions::default()).await;
    run.sign_in().await;
    run.start_case("ADB-01").await;
    link_wallet(&mut run, "ADB-01").await;
    run.app.screenshot("authorized").await;
    let amount = run.amount(990).await;
    run.pos(
        "debit",
        json!({"runId": run.run_id, "caseId": "ADB-01", "amount": amount}),
    )
    .await;
    run.wait_for_event("the debit's success", |e| {
        e["kind"] == "payment_state" && e["state"] == "succeeded"
    })
    .await;
    run.answer_yes("site-shows-paid").await;
    run.expect_verdict("passed", 60).await;
    let ticked = steps_ticked(&mut run.app).await;
    if ticked != json!([2, 2]) {
        run.app
            .fail(&format!("both of ADB-01's steps are ticked, not {ticked}"))
            .await;
    }
    run.app.screenshot("verdict").await;
    run.app.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn adb_02_unbind_in_the_authorizations_screen_and_the_case_passes() {
    let mut run = Loop::start("adb-02", DemoOptions::default()).await;
    run.sign_in().await;
    let run_id = run.start_case("ADB-02").await;
    link_wallet(&mut run, "ADB-02").await;

    // Settings, in Chinese, then Authorizations: the authorization granted in this run.
    run.app.click("#tab-settings").await;
    run.app.click("#lang-zh-CN").await;
    wait_in(
        &mut run.app,
        "return document.documentElement.lang === 'zh-CN' && document.querySelector('#settings-authorizations');",
        20,
        "the settings in Chinese",
    )
    .await;
    run.app.click("#settings-authorizations").await;
    let id = wait_in(
        &mut run.app,
        &format!(
            "const r = [...document.querySelectorAll('[data-authorization][data-status=active]')].find((r) => r.innerText.includes({})); return r && r.dataset.authorization;",
            json!(run_id)
        ),
        20,
        "the Authorizations screen lists this run's authorization as active",
    )
    .await;
    let row = format!("[data-authorization='{}']", id.as_str().unwrap_or_default());
    run.app.screenshot("authorizations-zh").await;
    run.app.click(&format!("{row} .unbind")).await;
    run.app.find(&format!("{row} .confirm-unbind")).await;
    run.app.screenshot("unbind-confirm-zh").await;
    run.app.click(&format!("{row} .confirm-unbind")).await;
    let told = wait_in(
        &mut run.app,
        "const s = document.querySelector('#authorizations-status'); return s && !s.hidden && s.dataset.notified;",
        20,
        "the screen says whether the merchant was told",
    )
    .await;
    assert_eq!(
        told,
        json!("true"),
        "the reference acquirer acknowledged TOKEN_CANCELED"
    );
    run.app.find(&format!("{row}[data-status='revoked']")).await;
    run.app.screenshot("unbound-zh").await;

    // The site tries to charge again; a site that stopped using the token refuses by itself.
    let amount = run.amount(990).await;
    let _ = reqwest::Client::new()
        .post(format!("{}/pos/v1/debit", run.demo().pos_driver_url()))
        .json(&json!({"runId": run_id, "caseId": "ADB-02", "amount": amount}))
        .send()
        .await;
    let account: Value = reqwest::get(format!("{}/pos/v1/account", run.demo().pos_driver_url()))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        account["linked"],
        json!(false),
        "the shop shows the wallet unlinked: {account}"
    );
    run.app.click("#tab-history").await;
    run.app
        .click(&format!(".history-row[data-run='{run_id}']"))
        .await;
    run.answer_yes("site-shows-unlinked").await;
    run.expect_verdict("passed", 90).await;
    let ticked = steps_ticked(&mut run.app).await;
    if ticked != json!([2, 2]) {
        run.app
            .fail(&format!("both of ADB-02's steps are ticked, not {ticked}"))
            .await;
    }
    run.app.screenshot("verdict-zh").await;
    run.app.finish().await;
}
