//! TSP mode's Agent-Token through the real router: in TSP mode a call needs the project's
//! current token in `Agent-Token` (missing, empty, rotated-away and another project's are each
//! refused with a signed `F ACCESS_DENIED` naming the header, and counted as refused in the
//! request log); without TSP mode the header changes nothing; the console's switch and Rotate
//! button are a member's only, with the session's CSRF token from the console's own origin.

use axum::body::Body;
use axum::http::{Request, StatusCode};
use serde_json::{Value, json};

use crate::support::console::Browser;
use crate::support::{Acqp, INQUIRY, PAY, REQUEST_TIME, Reply, TestHub, upm_pay};

/// A request signed by `acqp`, with `agent_token` as its `Agent-Token` header when given.
fn signed(acqp: &Acqp, path: &str, body: &Value, agent_token: Option<&str>) -> Request<Body> {
    let body = body.to_string();
    let signature = acqp
        .signer()
        .sign("POST", path, REQUEST_TIME, body.as_bytes())
        .unwrap()
        .format();
    let mut request = Request::builder()
        .method("POST")
        .uri(path)
        .header("content-type", "application/json; charset=UTF-8")
        .header("client-id", &acqp.client_id)
        .header("request-time", REQUEST_TIME)
        .header("signature", signature);
    if let Some(token) = agent_token {
        request = request.header("Agent-Token", token);
    }
    request.body(Body::from(body)).unwrap()
}

/// Sends `body` to `path` as `acqp` with this `Agent-Token` (the answer's signature checked).
async fn send(
    hub: &TestHub,
    acqp: &Acqp,
    path: &str,
    body: &Value,
    agent_token: Option<&str>,
) -> Reply {
    acqp.send(hub, signed(acqp, path, body, agent_token), path)
        .await
}

/// Turns TSP mode on or off through the admin API; returns the project as JSON.
async fn set_tsp_mode(hub: &TestHub, project: &str, on: bool) -> Value {
    let (status, view) = hub
        .admin(
            "PATCH",
            &format!("/projects/{project}"),
            Some(json!({ "tspMode": on })),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{view}");
    assert_eq!(view["tspMode"], json!(on), "{view}");
    view
}

/// Asserts a signed `F ACCESS_DENIED` naming the header and the case, without the token.
fn assert_denied(reply: &Reply, case: &str, secret: &str, what: &str) {
    assert_eq!(
        (reply.status(), reply.code()),
        ("F", "ACCESS_DENIED"),
        "{what}: {}",
        reply.raw
    );
    assert!(
        reply.headers.get("signature").is_some(),
        "{what}: the refusal is signed (and verified with the hub key): {:?}",
        reply.headers
    );
    assert!(
        reply.message().contains("Agent-Token header") && reply.message().contains(case),
        "{what}: the message names the header and says {case:?}: {}",
        reply.raw
    );
    assert!(
        !reply.raw.contains(secret),
        "{what}: the answer never shows the project's token: {}",
        reply.raw
    );
}

#[tokio::test]
async fn in_tsp_mode_only_the_projects_current_agent_token_opens_the_gateway() {
    let hub = TestHub::new();
    let acqp = hub.acqp().await;
    let other = hub.acqp().await;
    let project = acqp.project.id.clone();
    let token = acqp.project.agent_token.clone();
    assert!(
        token.starts_with("agt_") && token.len() == 4 + 64,
        "every project has its own long random Agent-Token: {token}"
    );
    assert_ne!(token, other.project.agent_token, "each project its own");
    assert!(!acqp.project.tsp_mode, "TSP mode is off by default");
    set_tsp_mode(&hub, &project, true).await;
    let code = acqp.payment_code(&hub).await;

    let missing = send(&hub, &acqp, PAY, &upm_pay("t-1", &code, "100"), None).await;
    assert_denied(&missing, "missing", &token, "no Agent-Token header");
    let empty = send(&hub, &acqp, PAY, &upm_pay("t-1", &code, "100"), Some("")).await;
    assert_denied(&empty, "missing", &token, "an empty Agent-Token header");
    let foreign = send(
        &hub,
        &acqp,
        PAY,
        &upm_pay("t-1", &code, "100"),
        Some(&other.project.agent_token),
    )
    .await;
    assert_denied(
        &foreign,
        "not this project's current Agent-Token",
        &token,
        "another project's Agent-Token",
    );

    // Every API the gateway serves is guarded, not only pay.
    let inquiry = send(
        &hub,
        &acqp,
        INQUIRY,
        &json!({"paymentRequestId": "t-1"}),
        None,
    )
    .await;
    assert_denied(&inquiry, "missing", &token, "inquiryPayment without it");

    let accepted = send(
        &hub,
        &acqp,
        PAY,
        &upm_pay("t-1", &code, "100"),
        Some(&token),
    )
    .await;
    assert_eq!(
        accepted.code(),
        "SUCCESS",
        "the refused calls made no payment, and the token opens the gateway: {}",
        accepted.raw
    );

    // Rotated: the old token stops working at once, the new one works.
    let (status, rotated) = hub
        .admin("POST", &format!("/projects/{project}/agent-token"), None)
        .await;
    assert_eq!(status, StatusCode::OK, "{rotated}");
    let new_token = rotated["agentToken"].as_str().unwrap().to_owned();
    assert!(
        new_token.starts_with("agt_") && new_token != token,
        "a new token: {rotated}"
    );
    assert_eq!(rotated["tspMode"], json!(true), "rotation keeps TSP mode");
    let old = send(
        &hub,
        &acqp,
        INQUIRY,
        &json!({"paymentRequestId": "t-1"}),
        Some(&token),
    )
    .await;
    assert_denied(
        &old,
        "not this project's current Agent-Token",
        &new_token,
        "the rotated-away token",
    );
    let new = send(
        &hub,
        &acqp,
        INQUIRY,
        &json!({"paymentRequestId": "t-1"}),
        Some(&new_token),
    )
    .await;
    assert_eq!(new.code(), "SUCCESS", "the new token: {}", new.raw);
}

#[tokio::test]
async fn the_signature_is_checked_before_the_agent_token_so_a_forger_learns_nothing() {
    let hub = TestHub::new();
    let acqp = hub.acqp().await;
    set_tsp_mode(&hub, &acqp.project.id, true).await;
    let body = upm_pay("f-1", "281999000000000000000001", "100").to_string();
    let stranger = linker_aplus::KeyPair::generate().unwrap();
    let forged = linker_aplus::Signer::new(acqp.client_id.clone(), stranger.private)
        .sign("POST", PAY, REQUEST_TIME, body.as_bytes())
        .unwrap()
        .format();
    for token in [
        None,
        Some("agt_guess"),
        Some(acqp.project.agent_token.as_str()),
    ] {
        let request = Request::builder()
            .method("POST")
            .uri(PAY)
            .header("content-type", "application/json; charset=UTF-8")
            .header("client-id", &acqp.client_id)
            .header("request-time", REQUEST_TIME)
            .header("signature", &forged)
            .header("agent-token", token.unwrap_or_default())
            .body(Body::from(body.clone()))
            .unwrap();
        let reply = acqp.send(&hub, request, PAY).await;
        assert_eq!(
            reply.code(),
            "INVALID_SIGNATURE",
            "a forged call hears about its signature only, whatever its token ({token:?}): {}",
            reply.raw
        );
        assert!(!reply.message().contains("Agent-Token"), "{}", reply.raw);
    }
}

#[tokio::test]
async fn without_tsp_mode_the_agent_token_header_changes_nothing_in_the_answer() {
    let hub = TestHub::new();
    let acqp = hub.acqp().await;
    let other = hub.acqp().await;
    let inquiry = json!({"paymentRequestId": "never-paid"});
    let plain = send(&hub, &acqp, INQUIRY, &inquiry, None).await;
    assert_eq!(plain.code(), "ORDER_NOT_EXIST", "{}", plain.raw);
    for token in [
        "",
        "agt_made-up",
        other.project.agent_token.as_str(),
        acqp.project.agent_token.as_str(),
    ] {
        let reply = send(&hub, &acqp, INQUIRY, &inquiry, Some(token)).await;
        assert_eq!(
            (reply.raw.as_str(), reply.headers.get("signature")),
            (plain.raw.as_str(), plain.headers.get("signature")),
            "Agent-Token {token:?} outside TSP mode: the same bytes, the same signature"
        );
    }
    // Turned off again after being on: the header is ignored again.
    set_tsp_mode(&hub, &acqp.project.id, true).await;
    set_tsp_mode(&hub, &acqp.project.id, false).await;
    let reply = send(&hub, &acqp, INQUIRY, &inquiry, None).await;
    assert_eq!(reply.raw, plain.raw, "TSP mode off again");
}

#[tokio::test]
async fn a_refusal_is_counted_as_refused_in_the_request_log_and_the_token_is_not_logged() {
    let hub = TestHub::new();
    let acqp = hub.acqp().await;
    let project = acqp.project.id.clone();
    let token = acqp.project.agent_token.clone();
    set_tsp_mode(&hub, &project, true).await;
    let inquiry = json!({"paymentRequestId": "r-1"});
    send(&hub, &acqp, INQUIRY, &inquiry, None).await;
    send(&hub, &acqp, INQUIRY, &inquiry, Some(&token)).await;

    let (_, log) = hub
        .admin("GET", &format!("/projects/{project}/exchanges"), None)
        .await;
    let log = log.as_array().unwrap();
    assert_eq!(
        log.iter()
            .map(|e| e["resultCode"].as_str().unwrap_or_default())
            .collect::<Vec<_>>(),
        vec!["ORDER_NOT_EXIST"],
        "only the accepted call is logged whole: {log:?}"
    );
    let logged = log[0].to_string();
    assert!(
        !logged.contains(&token) && logged.contains(&format!("agt_…{}", &token[token.len() - 4..])),
        "the accepted call's Agent-Token is kept as a hint, not the token: {logged}"
    );

    let refused = hub.hub.refused_counts(&project).unwrap();
    assert_eq!(
        refused
            .iter()
            .map(|r| (r.client_id.as_str(), r.count, r.last_code.as_str()))
            .collect::<Vec<_>>(),
        vec![(acqp.client_id.as_str(), 1, "ACCESS_DENIED")],
        "the refused call is counted under its Client-Id: {refused:?}"
    );
    assert!(
        refused[0]
            .last_reason
            .contains("Agent-Token header is missing"),
        "with why: {refused:?}"
    );

    // The TSP sees it, and why, on the console's request log.
    let mut browser = Browser::new(&hub);
    browser.bootstrap("tsp@example.com").await;
    let page = browser
        .get(&format!("/console/projects/{project}/requests"))
        .await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.body.contains("ACCESS_DENIED") && page.body.contains("Agent-Token header is missing"),
        "the request log's refused calls show the refusal and its reason: {}",
        page.body
    );
}

#[tokio::test]
async fn projects_made_before_tsp_mode_get_their_own_agent_token_when_the_hub_starts() {
    let parent = tempfile::tempdir().unwrap();
    let config = linker_hub::ServeConfig {
        data_dir: parent.path().join("hub-data"),
        listen: "127.0.0.1:0".parse().unwrap(),
        public_url: None,
        test_clock: true,
        tls: None,
    };
    let server = linker_hub::Server::bind(&config).await.unwrap();
    let ids: Vec<String> = (0..2)
        .map(|n| {
            let key = linker_aplus::KeyPair::generate()
                .unwrap()
                .public
                .to_base64();
            let new = linker_hub::NewProject {
                name: format!("Old {n}"),
                client_id: format!("OLD_{n}"),
                acqp_public_key: key,
                ..linker_hub::NewProject::default()
            };
            server.hub.create_project(new).unwrap().id
        })
        .collect();
    drop(server);
    // As migration 20 leaves the projects that existed before it.
    rusqlite::Connection::open(linker_hub::database_path(&config.data_dir))
        .unwrap()
        .execute("UPDATE projects SET agent_token = NULL", [])
        .unwrap();

    let server = linker_hub::Server::bind(&config).await.unwrap();
    let tokens: Vec<String> = ids
        .iter()
        .map(|id| {
            server
                .hub
                .project(id)
                .unwrap()
                .agent_token
                .unwrap_or_default()
        })
        .collect();
    assert!(
        tokens
            .iter()
            .all(|t| t.starts_with("agt_") && t.len() == 68)
            && tokens[0] != tokens[1],
        "each project got a long random token of its own when the hub started: {tokens:?}"
    );
    assert_eq!(
        server.hub.issue_missing_agent_tokens().unwrap(),
        0,
        "once given, a token stays"
    );
}

#[tokio::test]
async fn a_member_switches_tsp_mode_and_rotates_the_agent_token_in_the_console() {
    let hub = TestHub::new();
    let acqp = hub.acqp().await;
    let project = acqp.project.id.clone();
    let token = acqp.project.agent_token.clone();
    let mut browser = Browser::new(&hub);
    browser.bootstrap("tsp@example.com").await;
    let settings = format!("/console/projects/{project}/settings");

    let page = browser.get(&settings).await;
    assert!(
        page.body.contains("Sandbox resources")
            && page
                .body
                .contains(&format!("<pre id=\"agent-token\">{token}</pre>"))
            && page.body.contains("data-copy=\"#agent-token\"")
            && page.body.contains("data-confirm=")
            && page.body.contains("Turn on"),
        "Settings shows the Agent-Token to copy, Rotate with a confirmation, and the switch: {}",
        page.body
    );

    let on = browser
        .post(
            &format!("/console/projects/{project}/tsp-mode"),
            &[("tspMode", "on")],
        )
        .await;
    assert_eq!(on.status, StatusCode::OK, "{}", on.body);
    assert!(
        on.body.contains("TSP mode is on") && on.body.contains("Turn off"),
        "{}",
        on.body
    );
    assert!(hub.hub.project(&project).unwrap().tsp_mode);
    let bad = browser
        .post(
            &format!("/console/projects/{project}/tsp-mode"),
            &[("tspMode", "maybe")],
        )
        .await;
    assert_eq!(
        bad.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "a value that is neither on nor off is refused with a message, not a 500: {}",
        bad.body
    );
    assert!(bad.body.contains("on or off"), "{}", bad.body);

    let rotated = browser
        .post(&format!("/console/projects/{project}/agent-token"), &[])
        .await;
    assert_eq!(rotated.status, StatusCode::OK, "{}", rotated.body);
    let new_token = hub.hub.project(&project).unwrap().agent_token.unwrap();
    assert!(
        new_token != token
            && rotated.body.contains(&new_token)
            && rotated.body.contains("no longer works"),
        "the page shows the new token and says the old one is over: {}",
        rotated.body
    );

    // Without the session's CSRF token, or from another origin: refused, nothing changes.
    let mut forged = Browser::new(&hub);
    forged.cookies = browser.cookies.clone();
    let csrf = browser.csrf();
    for (action, body) in [("tsp-mode", "tspMode=off"), ("agent-token", "")] {
        let path = format!("/console/projects/{project}/{action}");
        let planted = forged
            .send(
                Request::builder()
                    .method("POST")
                    .uri(&path)
                    .header("content-type", "application/x-www-form-urlencoded"),
                Body::from(format!("csrf=planted&{body}")),
            )
            .await;
        assert_eq!(
            planted.status,
            StatusCode::FORBIDDEN,
            "{action} without CSRF"
        );
        let cross = forged
            .send(
                Request::builder()
                    .method("POST")
                    .uri(&path)
                    .header("origin", "https://evil.example")
                    .header("content-type", "application/x-www-form-urlencoded"),
                Body::from(format!("csrf={csrf}&{body}")),
            )
            .await;
        assert_eq!(
            cross.status,
            StatusCode::FORBIDDEN,
            "{action} from another origin"
        );
    }

    // A console user who is not a member of the project: not found, nothing changes.
    let theirs = hub.acqp().await.project.id;
    hub.hub
        .create_console_user(
            "outsider@example.com",
            "correct horse",
            std::slice::from_ref(&theirs),
        )
        .unwrap();
    let mut outsider = Browser::new(&hub);
    outsider
        .sign_in("outsider@example.com", "correct horse")
        .await;
    for (action, fields) in [
        ("tsp-mode", vec![("tspMode", "off")]),
        ("agent-token", vec![]),
    ] {
        let answer = outsider
            .post(&format!("/console/projects/{project}/{action}"), &fields)
            .await;
        assert_eq!(
            answer.status,
            StatusCode::NOT_FOUND,
            "{action}: {}",
            answer.body
        );
    }
    let after = hub.hub.project(&project).unwrap();
    assert!(
        after.tsp_mode && after.agent_token.as_deref() == Some(new_token.as_str()),
        "the refused posts changed nothing"
    );
}

#[tokio::test]
async fn only_the_projects_own_credentials_rotate_its_agent_token_over_the_admin_api() {
    let hub = TestHub::new();
    let acqp = hub.acqp().await;
    let other = hub.acqp().await;
    let path = format!("/projects/{}/agent-token", acqp.project.id);
    let (status, body) = hub.admin_as("wrong", "POST", &path, None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    // Another project's API token.
    let other_token = hub
        .hub
        .create_console_user(
            "ci@example.com",
            "correct horse",
            std::slice::from_ref(&other.project.id),
        )
        .and_then(|user| hub.hub.rotate_project_token(&user, &other.project.id))
        .unwrap()
        .token;
    let (status, body) = hub.admin_as(&other_token, "POST", &path, None).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    let (status, body) = hub
        .admin("POST", "/projects/prj_nobody/agent-token", None)
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    assert_eq!(
        hub.hub
            .project(&acqp.project.id)
            .unwrap()
            .agent_token
            .as_deref(),
        Some(acqp.project.agent_token.as_str()),
        "unchanged"
    );
}

#[tokio::test]
async fn a_run_whose_calls_lacked_the_agent_token_is_broken_and_says_so() {
    let hub = TestHub::new();
    let acqp = hub.acqp().await;
    set_tsp_mode(&hub, &acqp.project.id, true).await;
    let wallet = crate::support::Wallet::sign_in(&hub, &acqp, "M1").await;
    let run = wallet.start(&hub, "UPM-01").await;
    let code = wallet.code(&hub, &run).await;
    let reply = send(&hub, &acqp, PAY, &upm_pay("tsp-run-1", &code, "1000"), None).await;
    assert_eq!(reply.code(), "ACCESS_DENIED", "{}", reply.raw);
    wallet
        .answer(&hub, &run, "w-1", "pos-shows-success", true)
        .await;
    linker_hub::Clock::advance(hub.clock.as_ref(), chrono::Duration::seconds(301));
    let view = wallet.run(&hub, &run).await;
    let said = crate::support::summary(&view);
    assert_eq!(view["status"], "broken", "{view}");
    assert!(
        said.contains("refused 1 call(s)") && said.contains("Agent-Token"),
        "the verdict says the pay was refused for want of the Agent-Token: {said}"
    );
    assert!(
        !said.contains("signature did not verify"),
        "it was signed: {said}"
    );
}
