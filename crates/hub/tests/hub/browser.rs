//! The console end to end in headless Chromium (Debian's `/usr/bin/chromium`, driven by
//! `/usr/bin/chromedriver` over WebDriver): sign in with the admin token, create a project,
//! import a spreadsheet of merchants, watch a run of the demo's merchant (the headless runner
//! against the reference acquirer) appear live in Test Data, open its evidence, export JUnit;
//! and sandbox acceptance from Settings to Passed and the signed report.
//! Screenshots go to `target/console-screenshots/`.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder, Locator};
use linker_demo::{DEMO_PROJECT, Demo, DemoOptions};
use linker_runner::{ClockControl, PlainProgress, Pos, Runner, RunnerConfig};

const CHROMIUM: &str = "/usr/bin/chromium";
const CHROMEDRIVER: &str = "/usr/bin/chromedriver";

fn screenshots() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target/console-screenshots");
    std::fs::create_dir_all(&dir).unwrap();
    dir.canonicalize().unwrap()
}

async fn shot(client: &Client, name: &str) -> PathBuf {
    let png = client.screenshot().await.expect("a screenshot");
    let path = screenshots().join(format!("{name}.png"));
    std::fs::write(&path, png).unwrap();
    path
}

/// chromedriver on a free port, ended when dropped.
struct Driver {
    child: std::process::Child,
    url: String,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn driver() -> Driver {
    assert!(
        std::path::Path::new(CHROMIUM).exists() && std::path::Path::new(CHROMEDRIVER).exists(),
        "the console's browser test needs Debian's chromium and chromium-driver ({CHROMIUM}, {CHROMEDRIVER})"
    );
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let child = std::process::Command::new(CHROMEDRIVER)
        .arg(format!("--port={port}"))
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("chromedriver starts");
    let deadline = Instant::now() + Duration::from_secs(20);
    while tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .is_err()
    {
        assert!(
            Instant::now() < deadline,
            "chromedriver did not listen on {port} within 20 s"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    Driver {
        child,
        url: format!("http://127.0.0.1:{port}"),
    }
}

async fn browser(driver: &Driver) -> Client {
    let mut caps = serde_json::Map::new();
    caps.insert(
        "goog:chromeOptions".to_owned(),
        serde_json::json!({
            "binary": CHROMIUM,
            "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1366,900"]
        }),
    );
    ClientBuilder::rustls()
        .expect("a TLS setup")
        .capabilities(caps)
        .connect(&driver.url)
        .await
        .expect("a Chromium session")
}

/// The element, waiting for it: a click that submits a form returns before the next page is
/// there, so every lookup waits (up to 30 s) instead of racing the navigation.
async fn element(client: &Client, css: &str) -> fantoccini::elements::Element {
    client
        .wait()
        .at_most(Duration::from_secs(30))
        .for_element(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("{css}: {e}"))
}

async fn fill(client: &Client, css: &str, text: &str) {
    let field = element(client, css).await;
    field.clear().await.ok();
    field.send_keys(text).await.unwrap();
}

/// Clicks a link or a form's button and waits until the next page replaced this one (every
/// click of this test navigates), so the next lookup reads the new page, not the old one.
async fn click(client: &Client, css: &str) {
    let old_page = element(client, "html").await;
    element(client, css).await.click().await.unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    while old_page.tag_name().await.is_ok() {
        assert!(
            Instant::now() < deadline,
            "no new page within 30 s after clicking {css}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn text_of(client: &Client, css: &str) -> String {
    element(client, css).await.text().await.unwrap()
}

#[tokio::test]
async fn a_tsp_signs_in_imports_merchants_and_watches_a_run_arrive_in_test_data() {
    let demo = quick_demo().await;
    let hub = demo.hub_url().to_owned();
    let admin_token = demo.admin_token().expect("the demo's admin token");
    let driver = driver().await;
    let client = browser(&driver).await;

    // Sign in: the first user, made with the admin token.
    client.goto(&format!("{hub}/console")).await.unwrap();
    assert!(
        client
            .current_url()
            .await
            .unwrap()
            .path()
            .ends_with("/console/setup"),
        "no user yet: the setup page"
    );
    fill(&client, "#adminToken", &admin_token).await;
    fill(&client, "#email", "tsp@example.com").await;
    fill(&client, "#password", "correct horse battery").await;
    click(&client, "form button").await;
    let heading = text_of(&client, "h1").await;
    assert_eq!(heading, "Your projects", "signed in");
    shot(&client, "01-projects").await;

    // Create a project, with a key that does not parse first.
    fill(&client, "#name", "Acme Pay").await;
    fill(&client, "#clientId", "ACME_TEST_CLIENT").await;
    fill(&client, "#acqpPublicKey", "not a key").await;
    click(&client, "form[action='/console/projects'] button").await;
    let refusal = text_of(&client, "textarea#acqpPublicKey ~ .field-error").await;
    assert!(!refusal.is_empty(), "the key's problem is said next to it");
    shot(&client, "02-project-bad-key").await;
    let key = linker_aplus::KeyPair::generate()
        .unwrap()
        .public
        .to_base64();
    fill(&client, "#acqpPublicKey", &key).await;
    click(&client, "form[action='/console/projects'] button").await;
    assert_eq!(
        text_of(&client, "h1").await,
        "Project settings",
        "the new project's settings"
    );
    shot(&client, "03-settings").await;

    // Import the spreadsheet template (two merchants) through the preview.
    click(&client, "nav.tabs a[href$='/merchants']").await;
    let sheet = screenshots().join("merchants.xlsx");
    std::fs::write(&sheet, linker_hub::import::template_xlsx().unwrap()).unwrap();
    client
        .find(Locator::Css("input#file"))
        .await
        .unwrap()
        .send_keys(sheet.to_str().unwrap())
        .await
        .unwrap();
    click(&client, "form[action$='/merchants/import'] button").await;
    let preview = text_of(&client, "#preview").await;
    assert!(
        preview.contains("Kowloon Books"),
        "the preview lists the rows: {preview}"
    );
    shot(&client, "04-import-preview").await;
    click(&client, "form[action$='/import/confirm'] button").await;
    let merchants = text_of(&client, "#merchants").await;
    assert!(
        merchants.contains("Harbour Tea House") && merchants.contains("Inactive"),
        "{merchants}"
    );
    shot(&client, "05-test-accounts").await;

    // The demo project's Test Data, watched while the runner runs a case.
    client
        .goto(&format!(
            "{hub}/console/projects/{}/test-data",
            demo.project_id()
        ))
        .await
        .unwrap();
    let wallet = demo.wallet().await.expect("the demo wallet signs in");
    let pos = Pos::driver(demo.pos_driver_url(), None)
        .await
        .expect("the POS driver");
    let config = RunnerConfig {
        cases: vec!["UPM-01".to_owned()],
        settle: Duration::from_secs(45),
        fast_forward: Some(ClockControl {
            hub_url: hub.clone(),
            admin_token: admin_token.clone(),
        }),
        ..RunnerConfig::default()
    };
    let run = async {
        Runner::new(&wallet, pos, config, &PlainProgress)
            .run()
            .await
            .expect("the runner runs")
    };
    let watch = async {
        // No reload: the page updates itself from the hub's run signals.
        let deadline = Instant::now() + Duration::from_secs(180);
        loop {
            let found = client
                .find_all(Locator::Css("#matrix a .badge.passed"))
                .await
                .unwrap_or_default();
            if !found.is_empty() {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "no passed run appeared in Test Data within 180 s"
            );
            tokio::time::sleep(Duration::from_millis(300)).await;
        }
    };
    let (report, ()) = tokio::join!(run, watch);
    assert_eq!(report.runs.len(), 1, "{report:?}");
    // The README's picture (docs/images/console-test-data.png) is a copy of this one.
    shot(&client, "06-test-data").await;

    // Its evidence.
    click(&client, "#matrix a .badge.passed").await;
    assert_eq!(text_of(&client, "#run-status").await, "passed");
    let checks = text_of(&client, "#checks").await;
    assert!(checks.contains("passed"), "{checks}");
    let timeline = text_of(&client, "#timeline").await;
    assert!(
        timeline.contains("ACQP → hub: pay") && timeline.contains("signature valid"),
        "{timeline}"
    );
    shot(&client, "07-run").await;
    for details in client
        .find_all(Locator::Css("#timeline details"))
        .await
        .unwrap()
        .into_iter()
        .take(3)
    {
        details.click().await.ok();
    }
    shot(&client, "08-run-evidence").await;

    // A tablet held upright: the run and Test Data fit its width (wide tables scroll in their
    // own box, the page itself never sideways).
    client.set_window_size(768, 1024).await.unwrap();
    for (page, name) in [
        (
            client.current_url().await.unwrap().to_string(),
            "09-run-tablet",
        ),
        (
            format!("{hub}/console/projects/{}/test-data", demo.project_id()),
            "10-test-data-tablet",
        ),
        (
            format!("{hub}/console/projects/{}/requests", demo.project_id()),
            "11-request-log-tablet",
        ),
    ] {
        client.goto(&page).await.unwrap();
        element(&client, "main").await;
        let fits = client
            .execute(
                "return [document.documentElement.scrollWidth, window.innerWidth];",
                vec![],
            )
            .await
            .unwrap();
        let (scroll, inner) = (fits[0].as_u64().unwrap(), fits[1].as_u64().unwrap());
        let path = shot(&client, name).await;
        assert!(
            scroll <= inner,
            "{page} is {scroll} px wide in a {inner} px tablet window ({})",
            path.display()
        );
    }
    client.set_window_size(1366, 900).await.unwrap();

    // Export JUnit.
    client
        .goto(&format!(
            "{hub}/console/projects/{}/exports/test-data.junit.xml",
            demo.project_id()
        ))
        .await
        .ok();
    let junit = reqwest_junit(&client, &hub, demo.project_id()).await;
    assert!(
        junit.contains("<testsuites") && junit.contains("UPM-01"),
        "{junit}"
    );

    client.close().await.ok();
    drop(driver);
    demo.shutdown().await;
}

/// The JUnit export as the signed-in browser gets it (a download has no page to read, so the
/// page fetches it with its own cookies).
async fn reqwest_junit(client: &Client, hub: &str, project: &str) -> String {
    client
        .goto(&format!("{hub}/console/projects/{project}/test-data"))
        .await
        .unwrap();
    let value = client
        .execute_async(
            "const done = arguments[arguments.length - 1];\
             fetch(document.querySelector('#export-junit').href).then(r => r.text()).then(done, e => done(String(e)));",
            vec![],
        )
        .await
        .unwrap();
    value.as_str().unwrap_or_default().to_owned()
}

/// The Settings page's sandbox resources in Chromium: TSP mode switched on, and a Rotate that
/// asks first (dismissed: nothing changes; accepted: a new Agent-Token); a call with the old
/// token then shows as refused on the request log. Screenshots `tsp-01-settings-tsp-mode-on`,
/// `tsp-02-agent-token-rotated` and `tsp-03-request-log-refused`.
#[tokio::test]
async fn a_tsp_turns_tsp_mode_on_and_rotates_the_agent_token_only_after_confirming() {
    let data = tempfile::tempdir().unwrap();
    let server = linker_hub::Server::bind(&linker_hub::ServeConfig {
        data_dir: data.path().to_owned(),
        listen: "127.0.0.1:0".parse().unwrap(),
        public_url: None,
        test_clock: false,
        tls: None,
    })
    .await
    .unwrap();
    let admin_token = "browser-tsp-admin-token";
    server.hub.set_admin_token(admin_token).unwrap();
    let hub = server.hub.clone();
    let url = server.local_url();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let serving = tokio::spawn(server.run(async move {
        let _ = stopped.await;
    }));
    let acqp = linker_aplus::KeyPair::generate().unwrap();
    let project = hub
        .create_project(linker_hub::NewProject {
            name: "Acme TSP".to_owned(),
            client_id: "ACME_TSP".to_owned(),
            acqp_public_key: acqp.public.to_base64(),
            ..linker_hub::NewProject::default()
        })
        .unwrap();
    let first_token = project.agent_token.clone().unwrap();
    let driver = driver().await;
    let client = browser(&driver).await;

    client.goto(&format!("{url}/console/setup")).await.unwrap();
    fill(&client, "#adminToken", admin_token).await;
    fill(&client, "#email", "tsp@example.com").await;
    fill(&client, "#password", "correct horse battery").await;
    click(&client, "form button").await;
    client
        .goto(&format!("{url}/console/projects/{}/settings", project.id))
        .await
        .unwrap();
    assert_eq!(text_of(&client, "#agent-token").await, first_token);
    click(&client, "#tsp-mode button").await;
    let mode = text_of(&client, "#tsp-mode").await;
    assert!(
        mode.starts_with("On"),
        "the switch says TSP mode is on: {mode}"
    );
    let path = shot(&client, "tsp-01-settings-tsp-mode-on").await;
    assert!(
        hub.project(&project.id).unwrap().tsp_mode,
        "{}",
        path.display()
    );

    // Rotate asks first: dismissed, nothing is sent.
    let rotate = "form[action$='/agent-token'] button";
    element(&client, rotate).await.click().await.unwrap();
    let question = client.get_alert_text().await.unwrap();
    assert!(
        question.contains("stops working"),
        "the confirmation says what rotating does: {question}"
    );
    client.dismiss_alert().await.unwrap();
    assert_eq!(
        hub.project(&project.id).unwrap().agent_token.as_deref(),
        Some(first_token.as_str()),
        "dismissed: the token stays"
    );

    // Accepted: a new token, shown on the page.
    let old_page = element(&client, "html").await;
    element(&client, rotate).await.click().await.unwrap();
    client.accept_alert().await.unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    while old_page.tag_name().await.is_ok() {
        assert!(Instant::now() < deadline, "no new page after Rotate");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let shown = text_of(&client, "#agent-token").await;
    let path = shot(&client, "tsp-02-agent-token-rotated").await;
    assert!(
        shown.starts_with("agt_")
            && shown != first_token
            && hub.project(&project.id).unwrap().agent_token.as_deref() == Some(shown.as_str()),
        "the page shows the new token ({})",
        path.display()
    );

    // The ACQP backend still sends the old token: refused, and the request log says why.
    let path = "/aps/api/v1/payments/inquiryPayment";
    let body = r#"{"paymentRequestId":"after-rotation"}"#;
    let time = "2026-11-25T10:00:00+08:00";
    let signature = linker_aplus::Signer::new("ACME_TSP", acqp.private)
        .sign("POST", path, time, body.as_bytes())
        .unwrap()
        .format();
    let answer = reqwest::Client::new()
        .post(format!("{url}{path}"))
        .header("content-type", "application/json; charset=UTF-8")
        .header("client-id", "ACME_TSP")
        .header("request-time", time)
        .header("signature", signature)
        .header("agent-token", &first_token)
        .body(body)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(answer.contains("ACCESS_DENIED"), "{answer}");
    client
        .goto(&format!("{url}/console/projects/{}/requests", project.id))
        .await
        .unwrap();
    let refused = text_of(&client, "#refused-counts").await;
    let path = shot(&client, "tsp-03-request-log-refused").await;
    assert!(
        refused.contains("ACCESS_DENIED") && refused.contains("Agent-Token"),
        "the refused call and why ({}): {refused}",
        path.display()
    );

    client.close().await.ok();
    drop(driver);
    let _ = stop.send(());
    serving.await.ok();
}

/// Sandbox acceptance in the console: the TSP ticks the application's product in Settings,
/// sees the Acceptance page Not started, opens the acceptance wallet (the web wallet, signed in
/// as the acceptance account), runs the required cases (the headless runner, as that account),
/// sees Passed, and downloads the signed report, which verifies.
#[tokio::test]
async fn a_tsp_runs_acceptance_to_passed_and_downloads_a_report_that_verifies() {
    let demo = quick_demo().await;
    let hub = demo.hub_url().to_owned();
    let project = demo.project_id().to_owned();
    let admin_token = demo.admin_token().expect("the demo's admin token");
    let driver = driver().await;
    let client = browser(&driver).await;
    first_user(&client, &hub, &admin_token).await;

    // Settings: tick UPM, save.
    client
        .goto(&format!("{hub}/console/projects/{project}/settings"))
        .await
        .unwrap();
    element(&client, "input[name=products][value=UPM]")
        .await
        .click()
        .await
        .unwrap();
    click(&client, "form[action$='/settings'] button").await;
    // Acceptance runs with the Agent-Token: TSP mode on (the demo's acquirer sends the token).
    click(&client, "#tsp-mode button").await;
    let ticked = element(&client, "input[name=products][value=UPM]")
        .await
        .prop("checked")
        .await
        .unwrap();
    assert_eq!(ticked.as_deref(), Some("true"), "UPM is saved as selected");
    client
        .execute(
            "document.querySelector('#products').scrollIntoView({block: 'center'});",
            vec![],
        )
        .await
        .ok();
    shot(&client, "acceptance-01-settings-products").await;

    // The Acceptance tab: not started, six required cases.
    click(&client, "nav.tabs a[href$='/acceptance']").await;
    let status = text_of(&client, "#acceptance-status").await;
    assert!(status.contains("Not started"), "{status}");
    let rows = client
        .find_all(Locator::Css("#required tr"))
        .await
        .unwrap()
        .len();
    assert_eq!(rows, 7, "a header and the six required cases of UPM");
    shot(&client, "acceptance-02-not-started").await;

    // Open the acceptance wallet: the web wallet, signed in as the acceptance account.
    click(&client, "form[action$='/acceptance/wallet'] button").await;
    let url = client.current_url().await.unwrap();
    assert!(url.path().starts_with("/app"), "the web wallet: {url}");
    tokio::time::sleep(Duration::from_secs(2)).await;
    shot(&client, "acceptance-03-web-wallet").await;

    // The required cases, run as the acceptance account.
    run_acceptance(&demo, 6).await;

    client
        .goto(&format!("{hub}/console/projects/{project}/acceptance"))
        .await
        .unwrap();
    let status = text_of(&client, "#acceptance-status").await;
    assert!(status.contains("Passed"), "{status}");
    shot(&client, "acceptance-04-passed").await;

    // The report, fetched by the signed-in page, verifies with the fingerprint shown.
    let fingerprint = text_of(&client, "#fingerprint").await;
    let html = client
        .execute_async(
            "const done = arguments[arguments.length - 1];\
             fetch(document.querySelector('#report-html').href).then(r => r.text()).then(done, e => done(String(e)));",
            vec![],
        )
        .await
        .unwrap();
    let verified = linker_cases::report::acceptance::verify(html.as_str().unwrap().as_bytes())
        .expect("the downloaded report verifies");
    assert_eq!(verified.fingerprint, fingerprint.trim());
    assert_eq!(verified.payload.status, "PASSED");
    let path = screenshots().join("acceptance-report.html");
    std::fs::write(&path, html.as_str().unwrap()).unwrap();
    client
        .goto(&format!("file://{}", path.display()))
        .await
        .unwrap();
    shot(&client, "acceptance-05-report").await;

    client.close().await.ok();
    drop(driver);
    demo.shutdown().await;
}

/// The demo (a hub on its test clock, the reference acquirer, its POS driver) with quick
/// timings, as the browser tests that run cases use it.
async fn quick_demo() -> Demo {
    Demo::start(DemoOptions {
        timing: DemoOptions::quick_timing(),
        test_clock: true,
        ..DemoOptions::default()
    })
    .await
    .expect("the demo starts")
}

/// Makes the console's first user (`tsp@example.com`) with the hub's admin token, signed in.
async fn first_user(client: &Client, hub: &str, admin_token: &str) {
    client.goto(&format!("{hub}/console")).await.unwrap();
    fill(client, "#adminToken", admin_token.trim()).await;
    fill(client, "#email", "tsp@example.com").await;
    fill(client, "#password", "correct horse battery").await;
    click(client, "form button").await;
}

/// Runs the project's required cases as its acceptance account (the headless runner, the TSP
/// playing the customer through the wallet core, the demo's reference acquirer and POS driver)
/// and checks that all `required` passed.
async fn run_acceptance(demo: &Demo, required: usize) {
    let hub = demo.hub_url().to_owned();
    let ticket = demo
        .hub()
        .acceptance_ticket(demo.project_id(), None)
        .expect("a ticket");
    let folder = tempfile::tempdir().unwrap();
    let wallet = linker_wallet::Wallet::open(
        folder.path(),
        linker_wallet::WalletOptions::default().with_hub_url(hub.clone()),
    )
    .unwrap();
    wallet.sign_in_with_ticket(&ticket.ticket).await.unwrap();
    let pos = Pos::driver(demo.pos_driver_url(), None).await.unwrap();
    let config = RunnerConfig {
        settle: Duration::from_secs(60),
        fast_forward: Some(ClockControl {
            hub_url: hub,
            admin_token: demo.admin_token().expect("the demo's admin token"),
        }),
        ..RunnerConfig::default()
    };
    let report = Runner::new(&wallet, pos, config, &PlainProgress)
        .run()
        .await
        .expect("the runner runs");
    assert_eq!(
        (report.counts().passed, report.runs.len()),
        (required, required),
        "every required case passes against the reference acquirer: {:?}",
        report.counts()
    );
}

/// The text of the authorizations table on the TSP's Authorization tab, reloaded.
async fn tsp_authorizations(client: &Client, tab: &str) -> String {
    client.goto(tab).await.unwrap();
    text_of(client, "#authorizations").await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tsp_invites_an_acqp_which_authorizes_then_cancels_and_the_tsp_sees_each_state() {
    let demo = quick_demo().await;
    let hub = demo.hub_url().to_owned();
    let project = demo.project_id().to_owned();
    let admin_token = demo.admin_token().expect("the demo's admin token");
    let driver = driver().await;
    let tsp = browser(&driver).await;
    let acqp = browser(&driver).await;

    // The TSP: its first user; the application's products (UPM, Order Code) in Settings.
    first_user(&tsp, &hub, &admin_token).await;
    tsp.goto(&format!("{hub}/console/projects/{project}/settings"))
        .await
        .unwrap();
    for product in ["UPM", "ORDER_CODE"] {
        element(&tsp, &format!("input[name=products][value={product}]"))
            .await
            .click()
            .await
            .unwrap();
    }
    click(&tsp, "form[action$='/settings'] button").await;
    click(&tsp, "#tsp-mode button").await;

    // Before acceptance the Authorization tab generates nothing and says why.
    click(&tsp, "nav.tabs a[href$='/authorization']").await;
    let before = text_of(&tsp, "#acceptance-not-passed").await;
    assert!(
        before.contains("has not passed yet")
            && tsp.find(Locator::Css("#generate button")).await.is_err(),
        "no authorization URL before acceptance: {before}"
    );
    shot(&tsp, "authz-00-before-acceptance").await;

    // Acceptance: the nine required cases of UPM and Order Code, run as the TSP; Passed.
    run_acceptance(&demo, 9).await;
    tsp.goto(&format!("{hub}/console/projects/{project}/acceptance"))
        .await
        .unwrap();
    let status = text_of(&tsp, "#acceptance-status").await;
    assert!(status.contains("Passed"), "{status}");
    click(&tsp, "nav.tabs a[href$='/authorization']").await;
    let tab = tsp.current_url().await.unwrap().to_string();
    assert_eq!(text_of(&tsp, "h1").await, "ACQP authorization");

    // Generate without an ACQP email first: the problem is said next to the field.
    element(&tsp, "#generate input[value='UPM']")
        .await
        .click()
        .await
        .unwrap();
    element(&tsp, "#generate input[value='ORDER_CODE']")
        .await
        .click()
        .await
        .unwrap();
    fill(&tsp, "#acqpName", "Bank of Examples").await;
    click(&tsp, "#generate button").await;
    let refusal = text_of(&tsp, "#acqpEmail ~ .field-error").await;
    assert!(refusal.contains("email"), "{refusal}");
    shot(&tsp, "authz-01-generate-refused").await;
    fill(&tsp, "#acqpEmail", "ops@bank.example").await;
    element(&tsp, "#generate input[name='mail']")
        .await
        .click()
        .await
        .unwrap();
    click(&tsp, "#generate button").await;
    let url = text_of(&tsp, "#authorization-url").await;
    assert!(
        url.starts_with(&format!("{hub}/console/authorize/")),
        "{url}"
    );
    let mail = text_of(&tsp, "#authorization-mail").await;
    assert!(
        mail.contains("ops@bank.example"),
        "mailed (the outbox): {mail}"
    );
    shot(&tsp, "authz-02-url-generated").await;

    // The ACQP opens it signed out and creates its account there.
    acqp.goto(&url).await.unwrap();
    assert!(
        text_of(&acqp, "#account-form")
            .await
            .contains("Create your ACQP account"),
        "no account yet"
    );
    shot(&acqp, "authz-03-create-account").await;
    fill(&acqp, "#password", "correct horse battery").await;
    click(&acqp, "#account-form button").await;
    assert!(text_of(&acqp, "#terms").await.contains("By authorizing"));
    shot(&acqp, "authz-04-review").await;
    click(&acqp, "#authorize").await;
    assert!(
        text_of(&acqp, "#terms-error")
            .await
            .contains("accept the terms"),
        "the terms unticked: said next to them"
    );
    shot(&acqp, "authz-05-terms-missing").await;
    element(&acqp, "#accept-terms").await.click().await.unwrap();
    click(&acqp, "#authorize").await;
    assert_eq!(text_of(&acqp, "h1").await, "Authorized");
    shot(&acqp, "authz-06-authorized").await;
    click(&acqp, "#to-authorizations").await;
    let listed = text_of(&acqp, "#authorizations").await;
    assert!(
        listed.contains(DEMO_PROJECT) && listed.contains("Active"),
        "{listed}"
    );
    shot(&acqp, "authz-07-acqp-authorizations").await;

    // It narrows the scope to UPM.
    element(&acqp, "#authorizations details summary")
        .await
        .click()
        .await
        .unwrap();
    element(&acqp, "form[action$='/scope'] input[value='ORDER_CODE']")
        .await
        .click()
        .await
        .unwrap();
    shot(&acqp, "authz-07b-change-scope").await;
    click(&acqp, "form[action$='/scope'] button").await;
    let notice = text_of(&acqp, ".notice").await;
    assert!(notice.contains("is now User-presented Mode"), "{notice}");

    // The TSP sees it Active, with its Agent-Token.
    let seen = tsp_authorizations(&tsp, &tab).await;
    assert!(
        seen.contains("Bank of Examples")
            && seen.contains("Active")
            && seen.contains("agt_")
            && !seen.contains("Order Code"),
        "{seen}"
    );
    shot(&tsp, "authz-08-tsp-sees-active").await;

    // The ACQP cancels (confirming), and the TSP sees it Inactive.
    let old_page = element(&acqp, "html").await;
    element(&acqp, "form[action$='/cancel'] button")
        .await
        .click()
        .await
        .unwrap();
    acqp.accept_alert().await.expect("a confirmation was asked");
    let deadline = Instant::now() + Duration::from_secs(30);
    while old_page.tag_name().await.is_ok() {
        assert!(Instant::now() < deadline, "no page after cancelling");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let listed = text_of(&acqp, "#authorizations").await;
    assert!(listed.contains("Inactive"), "{listed}");
    shot(&acqp, "authz-09-acqp-cancelled").await;
    let seen = tsp_authorizations(&tsp, &tab).await;
    assert!(seen.contains("Inactive"), "{seen}");
    shot(&tsp, "authz-10-tsp-sees-inactive").await;

    // The URL was used: opening it again says so.
    acqp.goto(&url).await.unwrap();
    let refusal = text_of(&acqp, "main").await;
    assert!(refusal.contains("already used"), "{refusal}");
    shot(&acqp, "authz-11-url-used-again").await;

    // On a tablet held upright, both pages fit its width (tables scroll in their own box).
    for (client, page, name) in [
        (&tsp, tab.clone(), "authz-12-tsp-tab-tablet"),
        (
            &acqp,
            format!("{hub}/console/authorizations"),
            "authz-13-acqp-authorizations-tablet",
        ),
    ] {
        client.set_window_size(768, 1024).await.unwrap();
        client.goto(&page).await.unwrap();
        element(client, "main").await;
        let fits = client
            .execute(
                "return [document.documentElement.scrollWidth, window.innerWidth];",
                vec![],
            )
            .await
            .unwrap();
        let (scroll, inner) = (fits[0].as_u64().unwrap(), fits[1].as_u64().unwrap());
        let path = shot(client, name).await;
        assert!(
            scroll <= inner,
            "{page} is {scroll} px wide in a {inner} px tablet window ({})",
            path.display()
        );
    }

    tsp.close().await.ok();
    acqp.close().await.ok();
    drop(driver);
    demo.shutdown().await;
}
