//! A project's API token for CI, through the real router on a real SQLite file: created in the
//! console and shown once, it opens its own project's admin routes and nothing else, is stored
//! only hashed, and stops working when rotated or revoked.

use std::path::Path;
use std::sync::Arc;

use axum::http::StatusCode;
use chrono::{TimeZone, Utc};
use linker_hub::{FixedClock, Hub, Ids, Store};
use serde_json::{Value, json};

use crate::support::console::Browser;
use crate::support::{ADMIN_TOKEN, TestHub};

/// A hub whose store is the file `dir/hub.db`.
fn hub_on_disk(dir: &Path) -> TestHub {
    let clock = Arc::new(FixedClock::at(
        Utc.with_ymd_and_hms(2026, 11, 25, 2, 0, 0).unwrap(),
    ));
    let hub = Hub::new(
        Store::open(&dir.join("hub.db")).unwrap(),
        clock.clone(),
        Ids::seeded(7),
        "http://127.0.0.1:8480",
    );
    hub.set_admin_token(ADMIN_TOKEN).unwrap();
    TestHub {
        hub: Arc::new(hub),
        clock,
    }
}

/// The token shown once on the settings page.
fn shown_token(page: &str) -> String {
    let at = page
        .find("<pre id=\"fresh-token\">")
        .unwrap_or_else(|| panic!("the new token is shown: {page}"));
    let rest = &page[at + "<pre id=\"fresh-token\">".len()..];
    let token = rest[..rest.find("</pre>").unwrap()].to_owned();
    assert!(
        token.starts_with("lkp_") && token.len() == 4 + 64,
        "a recognisable, long random token: {token}"
    );
    token
}

/// Every project-scoped read a CI pipeline makes, for `project`.
fn project_reads(project: &str) -> Vec<String> {
    [
        "",
        "/merchants",
        "/exchanges",
        "/deliveries",
        "/forced-results",
    ]
    .iter()
    .map(|tail| format!("/projects/{project}{tail}"))
    .collect()
}

fn refused(status: StatusCode, body: &Value, expected: (StatusCode, &str), what: &str) {
    assert_eq!(
        (status, body["code"].as_str().unwrap_or_default()),
        (expected.0, expected.1),
        "{what}: {body}"
    );
    assert!(
        body["message"].as_str().is_some_and(|m| !m.is_empty()),
        "{what} says why: {body}"
    );
}

#[tokio::test]
async fn a_project_token_opens_its_projects_routes_only_and_is_stored_hashed() {
    let dir = tempfile::tempdir().unwrap();
    let hub = hub_on_disk(dir.path());
    let mine = hub.acqp().await.project.id;
    let theirs = hub.acqp().await.project.id;
    let mut browser = Browser::new(&hub);
    browser.bootstrap("ci-owner@example.com").await;
    let created = browser
        .post(&format!("/console/projects/{mine}/token"), &[])
        .await;
    assert_eq!(created.status, StatusCode::OK, "{}", created.body);
    let token = shown_token(&created.body);
    let settings = browser
        .get(&format!("/console/projects/{mine}/settings"))
        .await;
    assert!(
        !settings.body.contains(&token) && settings.body.contains(&token[token.len() - 4..]),
        "afterwards the page shows a hint, never the token: {}",
        settings.body
    );

    // Its own project's routes: reads, an invitation, an import, a run that does not exist.
    for path in project_reads(&mine) {
        let (status, body) = hub.admin_as(&token, "GET", &path, None).await;
        assert_eq!(status, StatusCode::OK, "GET {path}: {body}");
    }
    let (status, body) = hub.admin_as(&token,
        "POST",
        &format!("/projects/{mine}/merchants"),
        Some(json!({"name": "CI shop", "mid": "CI-1", "email": "ci@shop.example", "products": ["UPM"]})),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "invite: {body}");
    let (status, body) = hub
        .admin_as(
            &token,
            "GET",
            &format!("/projects/{mine}/runs/run_nope"),
            None,
        )
        .await;
    refused(
        status,
        &body,
        (StatusCode::NOT_FOUND, "NOT_FOUND"),
        "no such run",
    );

    // Another project's routes: forbidden, and nothing happens there.
    for path in project_reads(&theirs) {
        let (status, body) = hub.admin_as(&token, "GET", &path, None).await;
        refused(status, &body, (StatusCode::FORBIDDEN, "FORBIDDEN"), &path);
    }
    let (status, body) = hub.admin_as(&token,
        "POST",
        &format!("/projects/{theirs}/merchants"),
        Some(json!({"name": "Intruder", "mid": "X-1", "email": "x@shop.example", "products": ["UPM"]})),
    )
    .await;
    refused(
        status,
        &body,
        (StatusCode::FORBIDDEN, "FORBIDDEN"),
        "invite",
    );
    assert!(
        hub.hub.merchants(&theirs).unwrap().is_empty(),
        "nobody invited"
    );

    // The hub-wide routes stay the admin token's.
    for (method, path, body) in [
        ("GET", "/projects", None),
        ("POST", "/projects", Some(json!({"name": "x"}))),
        ("GET", "/clock", None),
        ("POST", "/clock/advance", Some(json!({"seconds": 1}))),
    ] {
        let (status, answer) = hub.admin_as(&token, method, path, body).await;
        refused(
            status,
            &answer,
            (StatusCode::FORBIDDEN, "FORBIDDEN"),
            &format!("{method} {path}"),
        );
    }
    assert_eq!(hub.hub.projects().unwrap().len(), 2, "no project created");
    let (status, _) = hub.admin_as(ADMIN_TOKEN, "GET", "/projects", None).await;
    assert_eq!(status, StatusCode::OK, "the admin token still opens them");

    // A made-up token of the right shape is no one's.
    let forged = format!("lkp_{}", "0".repeat(64));
    let (status, body) = hub
        .admin_as(&forged, "GET", &format!("/projects/{mine}"), None)
        .await;
    refused(
        status,
        &body,
        (StatusCode::UNAUTHORIZED, "UNAUTHORIZED"),
        "forged",
    );

    // On disk: the hash, never the token.
    let hash = linker_hub::domain::admin_credential::token_hash(&token);
    let mut stored = Vec::new();
    for name in ["hub.db", "hub.db-wal"] {
        if let Ok(bytes) = std::fs::read(dir.path().join(name)) {
            stored.extend(bytes);
        }
    }
    let stored = String::from_utf8_lossy(&stored);
    assert!(
        stored.contains(&hash),
        "the token's hash is in the database files"
    );
    assert!(
        !stored.contains(&token) && !stored.contains(&token[4..]),
        "the raw token is in no database file"
    );
}

#[tokio::test]
async fn a_rotated_or_revoked_project_token_stops_working_and_only_members_manage_it() {
    let hub = TestHub::new();
    let project = hub.acqp().await.project.id;
    let path = format!("/projects/{project}/merchants");
    let mut browser = Browser::new(&hub);
    browser.bootstrap("ci-owner@example.com").await;
    let first = shown_token(
        &browser
            .post(&format!("/console/projects/{project}/token"), &[])
            .await
            .body,
    );
    assert_eq!(
        hub.admin_as(&first, "GET", &path, None).await.0,
        StatusCode::OK
    );

    let rotated = browser
        .post(&format!("/console/projects/{project}/token"), &[])
        .await;
    assert!(
        rotated.body.contains("replaces the old one"),
        "{}",
        rotated.body
    );
    let second = shown_token(&rotated.body);
    assert_ne!(first, second, "a new token");
    let (status, body) = hub.admin_as(&first, "GET", &path, None).await;
    refused(
        status,
        &body,
        (StatusCode::UNAUTHORIZED, "UNAUTHORIZED"),
        "the rotated-out token",
    );
    assert_eq!(
        hub.admin_as(&second, "GET", &path, None).await.0,
        StatusCode::OK,
        "the new token works"
    );

    // Someone who is not a member of the project can neither rotate nor revoke its token.
    let other = hub.acqp().await.project.id;
    hub.hub
        .create_console_user(
            "outsider@example.com",
            "correct horse",
            std::slice::from_ref(&other),
        )
        .unwrap();
    let mut outsider = Browser::new(&hub);
    outsider
        .sign_in("outsider@example.com", "correct horse")
        .await;
    for action in ["token", "token/revoke"] {
        let answer = outsider
            .post(&format!("/console/projects/{project}/{action}"), &[])
            .await;
        assert_eq!(
            answer.status,
            StatusCode::NOT_FOUND,
            "{action}: {}",
            answer.body
        );
    }
    assert_eq!(
        hub.admin_as(&second, "GET", &path, None).await.0,
        StatusCode::OK,
        "the outsider changed nothing"
    );

    let revoked = browser
        .post(&format!("/console/projects/{project}/token/revoke"), &[])
        .await;
    assert!(
        revoked.body.contains("revoked") && revoked.body.contains("Create a token"),
        "{}",
        revoked.body
    );
    let (status, body) = hub.admin_as(&second, "GET", &path, None).await;
    refused(
        status,
        &body,
        (StatusCode::UNAUTHORIZED, "UNAUTHORIZED"),
        "the revoked token",
    );
}
