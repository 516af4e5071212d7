//! Sandbox acceptance testing: the project's products and their required cases, the acceptance
//! account and who may sign in as it, acceptance runs kept out of Test Data, the status moving
//! to PASSED only after the last required case passed in real runs (hub, reference acquirer and
//! headless runner), and the signed report.

use std::time::Duration;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use linker_cases::report::acceptance::{AcceptanceReportError, verify};
use linker_cases::{Catalogue, Product};
use linker_demo::{Demo, DemoOptions};
use linker_hub::Clock as _;
use linker_runner::{ClockControl, PlainProgress, Pos, Runner, RunnerConfig};
use serde_json::{Value, json};

use crate::support::console::Browser;
use crate::support::{TestHub, Wallet, wallet_call};

fn case_ids(acceptance: &Value) -> Vec<String> {
    acceptance["cases"]
        .as_array()
        .unwrap_or_else(|| panic!("cases: {acceptance}"))
        .iter()
        .map(|c| c["caseId"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn each_product_requires_its_catalogue_cases_and_products_are_checked() {
    let hub = TestHub::new();
    let project = hub.acqp().await.project.id;
    let acceptance = format!("/projects/{project}/acceptance");
    let (status, none) = hub.admin("GET", &acceptance, None).await;
    assert_eq!(status, StatusCode::OK, "{none}");
    assert_eq!(
        (none["status"].as_str(), case_ids(&none).len()),
        (Some("NOT_STARTED"), 0),
        "no product: nothing required: {none}"
    );
    assert!(
        none["message"].as_str().unwrap().contains("Settings"),
        "says where to choose the products: {none}"
    );
    let (status, refused) = hub
        .admin(
            "PATCH",
            &format!("/projects/{project}"),
            Some(json!({"products": ["UPM", "TELEPORT"]})),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{refused}");
    assert!(
        refused["message"]
            .as_str()
            .is_some_and(|m| m.starts_with("products: ") && m.contains("TELEPORT")),
        "names the field and the value: {refused}"
    );

    let catalogue = Catalogue::builtin().unwrap();
    for product in Product::ALL.into_iter().filter(|p| *p != Product::Any) {
        let (status, view) = hub
            .admin(
                "PATCH",
                &format!("/projects/{project}"),
                Some(json!({"products": [product.code()]})),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{view}");
        assert_eq!(view["products"], json!([product.code()]));
        let (_, list) = hub.admin("GET", &acceptance, None).await;
        let expected: Vec<String> = catalogue
            .required_cases(&[product])
            .iter()
            .map(|c| c.id.clone())
            .collect();
        assert_eq!(case_ids(&list), expected, "{}: {list}", product.code());
        assert!(
            expected.iter().any(|id| id.starts_with("RFD"))
                && expected
                    .iter()
                    .any(|id| catalogue.case(id).unwrap().product == product),
            "{}: its own cases and refund: {expected:?}",
            product.code()
        );
        assert_eq!(list["status"], "NOT_STARTED", "{list}");
    }
    let (_, view) = hub
        .admin(
            "PATCH",
            &format!("/projects/{project}"),
            Some(json!({"products": ["mpm", "upm"]})),
        )
        .await;
    assert_eq!(
        view["products"],
        json!(["UPM", "ORDER_CODE", "PRIVATE_ORDER_CODE", "ENTRY_CODE"]),
        "MPM stands for the three merchant-presented products, case-insensitive"
    );
}

/// The token shown once on the settings page.
fn shown_token(page: &str) -> String {
    let start = page.find("<pre id=\"fresh-token\">").unwrap() + "<pre id=\"fresh-token\">".len();
    page[start..start + page[start..].find("</pre>").unwrap()].to_owned()
}

async fn ticket_sign_in(hub: &TestHub, ticket: &str) -> (StatusCode, Value) {
    wallet_call(
        hub,
        "POST",
        "/sign-in/ticket",
        None,
        Some(json!({"ticket": ticket})),
    )
    .await
}

/// How many sign-in tickets the store holds for the merchant.
fn stored_tickets(hub: &TestHub, merchant: &str) -> u32 {
    hub.hub
        .store_for_test()
        .db(|db| db.sign_in_tickets().count(merchant))
        .unwrap()
}

#[tokio::test]
async fn an_account_holds_at_most_ten_live_tickets_and_used_or_expired_ones_are_deleted() {
    let hub = TestHub::new();
    let project = hub.acqp().await.project.id;
    hub.admin(
        "PATCH",
        &format!("/projects/{project}"),
        Some(json!({"products": ["UPM"], "tspMode": true})),
    )
    .await;
    let session = format!("/projects/{project}/acceptance/session");
    let mut tickets = Vec::new();
    let mut account = String::new();
    for _ in 0..10 {
        let (status, minted) = hub.admin("POST", &session, Some(json!({}))).await;
        assert_eq!(status, StatusCode::CREATED, "{minted}");
        account = minted["merchant"]["id"].as_str().unwrap().to_owned();
        tickets.push(minted["ticket"].as_str().unwrap().to_owned());
    }
    assert_eq!(stored_tickets(&hub, &account), 10, "ten live tickets kept");
    // Below the bound every ticket works: the first of the ten signs in.
    let (status, first) = ticket_sign_in(&hub, &tickets[0]).await;
    assert_eq!(
        status,
        StatusCode::OK,
        "the first of ten live tickets: {first}"
    );

    // An eleventh and a twelfth: the used one is deleted, then the oldest live one withdrawn.
    for _ in 0..2 {
        let (status, minted) = hub.admin("POST", &session, Some(json!({}))).await;
        assert_eq!(
            status,
            StatusCode::CREATED,
            "minting never stops working: {minted}"
        );
        tickets.push(minted["ticket"].as_str().unwrap().to_owned());
    }
    assert_eq!(
        stored_tickets(&hub, &account),
        10,
        "at most ten, however often minted"
    );
    let (status, withdrawn) = ticket_sign_in(&hub, &tickets[1]).await;
    assert_eq!(
        (status, withdrawn["code"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("TICKET_INVALID")),
        "the oldest live ticket was withdrawn by the twelfth: {withdrawn}"
    );
    for ticket in [&tickets[2], &tickets[11]] {
        let (status, body) = ticket_sign_in(&hub, ticket).await;
        assert_eq!(status, StatusCode::OK, "the ten newest still work: {body}");
    }

    // Once they expire, the next mint deletes them all: one row, the fresh ticket.
    hub.clock.advance(chrono::Duration::minutes(10));
    let (status, fresh) = hub.admin("POST", &session, Some(json!({}))).await;
    assert_eq!(status, StatusCode::CREATED, "{fresh}");
    assert_eq!(
        stored_tickets(&hub, &account),
        1,
        "used and expired tickets are deleted on the next mint"
    );
}

#[tokio::test]
async fn only_the_project_mints_an_acceptance_sign_in_and_a_ticket_opens_once_for_ten_minutes() {
    let hub = TestHub::new();
    let mine = hub.acqp().await.project.id;
    let theirs = hub.acqp().await.project.id;
    let bare = hub.acqp().await.project.id;
    for project in [&mine, &theirs] {
        hub.admin(
            "PATCH",
            &format!("/projects/{project}"),
            Some(json!({"products": ["UPM"], "tspMode": true})),
        )
        .await;
    }
    let session = format!("/projects/{mine}/acceptance/session");
    let mut alice = Browser::new(&hub);
    alice.bootstrap("alice@example.com").await;
    let their_token = shown_token(
        &alice
            .post(&format!("/console/projects/{theirs}/token"), &[])
            .await
            .body,
    );
    let my_token = shown_token(
        &alice
            .post(&format!("/console/projects/{mine}/token"), &[])
            .await
            .body,
    );

    // Nobody, a wrong token and another project's token are refused; the project's own works.
    for (token, expected) in [
        ("", (StatusCode::UNAUTHORIZED, "UNAUTHORIZED")),
        ("lkp_wrong", (StatusCode::UNAUTHORIZED, "UNAUTHORIZED")),
        (their_token.as_str(), (StatusCode::FORBIDDEN, "FORBIDDEN")),
    ] {
        let (status, body) = hub.admin_as(token, "POST", &session, Some(json!({}))).await;
        assert_eq!(
            (status, body["code"].as_str().unwrap_or_default()),
            expected,
            "minting with {token:?}: {body}"
        );
    }
    let (status, minted) = hub
        .admin_as(&my_token, "POST", &session, Some(json!({})))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{minted}");
    assert_eq!(minted["merchant"]["mid"], "TSP-ACCEPTANCE", "{minted}");
    let ticket = minted["ticket"].as_str().unwrap().to_owned();
    let (status, signed_in) = ticket_sign_in(&hub, &ticket).await;
    assert_eq!(status, StatusCode::OK, "{signed_in}");
    assert_eq!(signed_in["merchant"]["mid"], "TSP-ACCEPTANCE");
    let (status, again) = ticket_sign_in(&hub, &ticket).await;
    assert_eq!(
        (status, again["code"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("TICKET_INVALID")),
        "a ticket opens once: {again}"
    );
    let (_, late) = hub.admin("POST", &session, Some(json!({}))).await;
    hub.clock.advance(chrono::Duration::minutes(10));
    let (status, expired) = ticket_sign_in(&hub, late["ticket"].as_str().unwrap()).await;
    assert_eq!(
        (status, expired["code"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("TICKET_INVALID")),
        "a ticket lasts 10 minutes: {expired}"
    );

    // The acceptance account is the TSP's own: not listed, not revocable, not re-invited.
    let account = minted["merchant"]["id"].as_str().unwrap();
    let (_, merchants) = hub
        .admin("GET", &format!("/projects/{mine}/merchants"), None)
        .await;
    assert!(
        !merchants.to_string().contains("TSP-ACCEPTANCE"),
        "not among the merchants: {merchants}"
    );
    for action in ["revoke", "resend"] {
        let (status, body) = hub
            .admin(
                "POST",
                &format!("/projects/{mine}/merchants/{account}/{action}"),
                None,
            )
            .await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{action}: {body}");
    }
    // Its MID stays taken: inviting or importing a merchant with it is refused, not a crash.
    let (status, body) = hub
        .admin(
            "POST",
            &format!("/projects/{mine}/merchants"),
            Some(json!({"name": "Shop", "mid": "TSP-ACCEPTANCE", "email": "s@shop.example", "products": ["UPM"]})),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "invite: {body}");
    let request = Request::builder()
        .method("POST")
        .uri(format!("/admin/v1/projects/{mine}/merchants/import"))
        .header(
            header::AUTHORIZATION,
            format!("Bearer {}", crate::support::ADMIN_TOKEN),
        )
        .header(header::CONTENT_TYPE, "text/csv")
        .body(Body::from(
            "name,mid,email,products\nShop,TSP-ACCEPTANCE,s@shop.example,UPM\n",
        ))
        .unwrap();
    let response = tower::ServiceExt::oneshot(hub.router(), request)
        .await
        .unwrap();
    assert_eq!(
        response.status(),
        StatusCode::UNPROCESSABLE_ENTITY,
        "import: the row is refused"
    );
    let page = alice
        .get(&format!("/console/projects/{mine}/merchants"))
        .await;
    assert!(
        page.status == StatusCode::OK && !page.body.contains("TSP-ACCEPTANCE"),
        "the Test Accounts page does not list it"
    );

    // In the console: a member opens the acceptance wallet; a non-member and a form without
    // the CSRF token cannot.
    let opened = alice
        .post(
            &format!("/console/projects/{mine}/acceptance/wallet"),
            &[("mid", "TSP-ACCEPTANCE")],
        )
        .await;
    assert_eq!(opened.status, StatusCode::SEE_OTHER, "{}", opened.body);
    let console_ticket = opened
        .location
        .strip_prefix("/app/ticket/")
        .unwrap_or_else(|| panic!("to the web wallet: {}", opened.location))
        .to_owned();
    let (status, _) = ticket_sign_in(&hub, &console_ticket).await;
    assert_eq!(status, StatusCode::OK, "the console's ticket signs in");
    let refused = alice
        .post(
            &format!("/console/projects/{bare}/acceptance/wallet"),
            &[("mid", "TSP-ACCEPTANCE")],
        )
        .await;
    assert!(
        refused.status == StatusCode::OK
            && refused.location.is_empty()
            && refused
                .body
                .contains("choose the application&#39;s products in Settings first"),
        "no products: the page says what to do, no ticket: {} {}",
        refused.status,
        refused.body
    );
    let forged = alice
        .send(
            Request::builder()
                .method("POST")
                .uri(format!("/console/projects/{mine}/acceptance/wallet"))
                .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded"),
            Body::from("mid=X"),
        )
        .await;
    assert!(
        forged.location.is_empty() && forged.status.is_client_error(),
        "no CSRF token, no ticket: {} {}",
        forged.status,
        forged.body
    );
    alice
        .post(
            &format!("/console/projects/{theirs}/members"),
            &[
                ("memberEmail", "bob@example.com"),
                ("memberPassword", "correct horse battery"),
            ],
        )
        .await;
    let mut bob = Browser::new(&hub);
    bob.sign_in("bob@example.com", "correct horse battery")
        .await;
    for path in ["acceptance", "acceptance/report.html"] {
        let page = bob.get(&format!("/console/projects/{mine}/{path}")).await;
        assert_eq!(page.status, StatusCode::NOT_FOUND, "bob on {path}");
    }
    let refused = bob
        .post(
            &format!("/console/projects/{mine}/acceptance/wallet"),
            &[("mid", "B")],
        )
        .await;
    assert_eq!(
        refused.status,
        StatusCode::NOT_FOUND,
        "another project's member mints nothing: {}",
        refused.location
    );
    let own = bob
        .get(&format!("/console/projects/{theirs}/acceptance"))
        .await;
    assert_eq!(own.status, StatusCode::OK, "bob's own project");
}

#[tokio::test]
async fn acceptance_runs_stay_out_of_test_data_and_its_exports() {
    let hub = TestHub::new();
    let acqp = hub.acqp().await;
    let project = acqp.project.id.clone();
    hub.admin(
        "PATCH",
        &format!("/projects/{project}"),
        Some(json!({"products": ["UPM"], "tspMode": true})),
    )
    .await;
    let merchant = Wallet::sign_in(&hub, &acqp, "M1").await;
    let merchant_run = merchant.start(&hub, "UPM-01").await;
    let (_, minted) = hub
        .admin(
            "POST",
            &format!("/projects/{project}/acceptance/session"),
            Some(json!({"mid": "ACC-7"})),
        )
        .await;
    let (_, session) = ticket_sign_in(&hub, minted["ticket"].as_str().unwrap()).await;
    let token = session["token"].as_str().unwrap();
    let (status, cases) = wallet_call(&hub, "GET", "/cases", Some(token), None).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        cases.to_string().contains("UPM-05") && !cases.to_string().contains("UPM-04"),
        "the acceptance account is assigned the required cases: {cases}"
    );
    let (status, run) = wallet_call(
        &hub,
        "POST",
        "/runs",
        Some(token),
        Some(json!({"caseId": "UPM-01"})),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{run}");
    let acceptance_run = run["id"].as_str().unwrap();

    let mut alice = Browser::new(&hub);
    alice.bootstrap("alice@example.com").await;
    let base = format!("/console/projects/{project}");
    let test_data = alice.get(&format!("{base}/test-data")).await;
    assert!(
        test_data.body.contains(&merchant_run) && !test_data.body.contains(acceptance_run),
        "Test Data shows the merchant's run, not the acceptance run"
    );
    assert!(
        !test_data.body.contains("ACC-7"),
        "nor the acceptance account"
    );
    for export in [
        "exports/test-data.csv",
        "exports/test-data.json",
        "exports/test-data.junit.xml",
    ] {
        let file = alice.get(&format!("{base}/{export}")).await;
        assert_eq!(file.status, StatusCode::OK, "{export}");
        assert!(
            !file.body.contains(acceptance_run) && !file.body.contains("ACC-7"),
            "{export} leaves the acceptance run out: {}",
            file.body
        );
    }
    let csv = alice.get(&format!("{base}/exports/test-data.csv")).await;
    assert!(csv.body.contains(&merchant_run), "{}", csv.body);

    let (_, status) = hub
        .admin("GET", &format!("/projects/{project}/acceptance"), None)
        .await;
    assert_eq!(status["status"], "IN_PROGRESS", "{status}");
    assert_eq!(status["accountMid"], "ACC-7");
    assert_eq!(status["cases"][0]["latest"]["runId"], acceptance_run);
    let page = alice.get(&format!("{base}/acceptance")).await;
    assert!(
        page.body.contains(acceptance_run) && page.body.contains("In progress"),
        "the Acceptance page shows the run and the status"
    );
}

/// An admin API call to a running hub.
async fn admin(
    http: &reqwest::Client,
    demo: &Demo,
    method: reqwest::Method,
    path: &str,
    body: Option<Value>,
) -> (u16, String) {
    let mut request = http
        .request(method, format!("{}/admin/v1{path}", demo.hub_url()))
        .bearer_auth(demo.admin_token().unwrap());
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    (status, response.text().await.unwrap())
}

async fn status_of(http: &reqwest::Client, demo: &Demo) -> Value {
    let (status, text) = admin(
        http,
        demo,
        reqwest::Method::GET,
        &format!("/projects/{}/acceptance", demo.project_id()),
        None,
    )
    .await;
    assert_eq!(status, 200, "{text}");
    serde_json::from_str(&text).unwrap()
}

/// Flips one byte at the first place `marker` is found (plus `skip`).
fn flipped(text: &str, marker: &str, skip: usize) -> Vec<u8> {
    let at = text
        .find(marker)
        .unwrap_or_else(|| panic!("{marker} in the report"))
        + skip;
    let mut bytes = text.as_bytes().to_vec();
    bytes[at] ^= 0x01;
    bytes
}

#[tokio::test]
async fn acceptance_passes_only_after_the_last_required_case_and_a_later_failure_takes_it_back() {
    let demo = Demo::start(DemoOptions {
        timing: DemoOptions::quick_timing(),
        test_clock: true,
        ..DemoOptions::default()
    })
    .await
    .expect("the demo starts");
    let http = reqwest::Client::new();
    let project = demo.project_id().to_owned();
    admin(
        &http,
        &demo,
        reqwest::Method::PATCH,
        &format!("/projects/{project}"),
        Some(json!({"products": ["UPM"]})),
    )
    .await;
    // Acceptance runs with the Agent-Token: not outside TSP mode.
    let (status, refused) = admin(
        &http,
        &demo,
        reqwest::Method::POST,
        &format!("/projects/{project}/acceptance/session"),
        Some(json!({})),
    )
    .await;
    assert!(
        status == 409 && refused.contains("TSP mode"),
        "no acceptance sign-in outside TSP mode: {status} {refused}"
    );
    admin(
        &http,
        &demo,
        reqwest::Method::PATCH,
        &format!("/projects/{project}"),
        Some(json!({"tspMode": true})),
    )
    .await;
    let before = status_of(&http, &demo).await;
    assert_eq!(before["status"], "NOT_STARTED", "{before}");
    let required = case_ids(&before);
    assert_eq!(
        required,
        ["UPM-01", "UPM-03", "UPM-05", "RFD-01", "CAN-01", "NTF-01"]
    );

    let (status, minted) = admin(
        &http,
        &demo,
        reqwest::Method::POST,
        &format!("/projects/{project}/acceptance/session"),
        Some(json!({})),
    )
    .await;
    assert_eq!(status, 201, "{minted}");
    let minted: Value = serde_json::from_str(&minted).unwrap();
    let folder = tempfile::tempdir().unwrap();
    let wallet = linker_wallet::Wallet::open(
        folder.path(),
        linker_wallet::WalletOptions::default().with_hub_url(demo.hub_url().to_owned()),
    )
    .unwrap();
    wallet
        .sign_in_with_ticket(minted["ticket"].as_str().unwrap())
        .await
        .expect("the ticket signs the wallet in");

    for (i, case) in required.iter().enumerate() {
        let pos = Pos::driver(demo.pos_driver_url(), None).await.unwrap();
        let config = RunnerConfig {
            cases: vec![case.clone()],
            settle: Duration::from_secs(60),
            fast_forward: Some(ClockControl {
                hub_url: demo.hub_url().to_owned(),
                admin_token: demo.admin_token().unwrap(),
            }),
            ..RunnerConfig::default()
        };
        let report = Runner::new(&wallet, pos, config, &PlainProgress)
            .run()
            .await
            .expect("the runner runs");
        assert_eq!(
            report.counts().passed,
            1,
            "{case} passes against the reference acquirer: {:?}",
            report.runs.first().map(|r| &r.summary)
        );
        let now = status_of(&http, &demo).await;
        let expected = if i + 1 == required.len() {
            "PASSED"
        } else {
            "IN_PROGRESS"
        };
        assert_eq!(
            (now["status"].as_str(), now["passed"].as_u64()),
            (Some(expected), Some(i as u64 + 1)),
            "after {case}: {now}"
        );
    }

    // TSP mode turned off: acceptance no longer stands (the calls need not carry the
    // Agent-Token any more), and stands again once it is back on.
    for (on, expected) in [(false, "IN_PROGRESS"), (true, "PASSED")] {
        admin(
            &http,
            &demo,
            reqwest::Method::PATCH,
            &format!("/projects/{project}"),
            Some(json!({ "tspMode": on })),
        )
        .await;
        let now = status_of(&http, &demo).await;
        assert_eq!(now["status"], expected, "TSP mode {on}: {now}");
        if !on {
            assert!(
                now["message"]
                    .as_str()
                    .unwrap_or_default()
                    .contains("TSP mode"),
                "says why: {now}"
            );
        }
    }

    // The report verifies, names the hub key's fingerprint, and any edit fails.
    for format in ["html", "json"] {
        let (status, text) = admin(
            &http,
            &demo,
            reqwest::Method::GET,
            &format!("/projects/{project}/acceptance/report.{format}"),
            None,
        )
        .await;
        assert_eq!(status, 200, "{text}");
        let verified = verify(text.as_bytes()).unwrap_or_else(|e| panic!("{format}: {e}"));
        assert_eq!(verified.payload.status, "PASSED");
        assert_eq!(
            verified.fingerprint,
            demo.hub().hub_key_fingerprint(&project).unwrap()
        );
        assert_eq!(verified.payload.evidence.runs.len(), required.len());
        let mut edits = vec![
            (
                "the signed status",
                flipped(&text, "\"status\":\"PASSED\"", 11),
            ),
            ("the signature", flipped(&text, "\"signature\":\"", 20)),
            ("the embedded key", flipped(&text, "\"publicKey\":\"", 40)),
        ];
        if format == "html" {
            edits.push((
                "the visible page",
                flipped(&text, "Sandbox acceptance report", 3),
            ));
            edits.push((
                "a visible verdict",
                flipped(&text, "<span class=\"badge passed\">passed", 30),
            ));
        }
        for (what, bytes) in edits {
            let error = verify(&bytes).expect_err(what);
            assert!(
                matches!(
                    error,
                    AcceptanceReportError::BadSignature
                        | AcceptanceReportError::Edited { .. }
                        | AcceptanceReportError::NotAReport(_)
                        | AcceptanceReportError::BadKey(_)
                        | AcceptanceReportError::KeyMismatch { .. }
                ),
                "{format}, {what}: {error}"
            );
        }
    }

    // A later acceptance run of a required case that fails takes the pass back.
    let (_, minted) = admin(
        &http,
        &demo,
        reqwest::Method::POST,
        &format!("/projects/{project}/acceptance/session"),
        Some(json!({})),
    )
    .await;
    let minted: Value = serde_json::from_str(&minted).unwrap();
    let session: Value = http
        .post(format!("{}/wallet/v1/sign-in/ticket", demo.hub_url()))
        .json(&json!({"ticket": minted["ticket"]}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let run: Value = http
        .post(format!("{}/wallet/v1/runs", demo.hub_url()))
        .bearer_auth(session["token"].as_str().unwrap())
        .json(&json!({"caseId": "UPM-01"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    admin(
        &http,
        &demo,
        reqwest::Method::POST,
        "/clock/advance",
        Some(json!({"seconds": 3600})),
    )
    .await;
    let after = status_of(&http, &demo).await;
    assert_eq!(after["status"], "IN_PROGRESS", "{after}");
    assert_eq!(after["cases"][0]["latest"]["runId"], run["id"], "{after}");
    assert_ne!(after["cases"][0]["latest"]["status"], "passed", "{after}");
    demo.shutdown().await;
}
