//! What one client can make the hub hold or send about the ACQP's authorization, through the
//! real router, each bound both ways: pending authorization URLs per project, URLs generated and
//! mailed per project per hour and day, and the change notices one authorization mails an hour.
//! The clock is moved, never waited for.

use axum::body::Body;
use axum::http::{Request, StatusCode};
use chrono::Duration;
use http_body_util::BodyExt as _;
use linker_hub::Clock as _;
use serde_json::{Value, json};
use tower::ServiceExt as _;

use crate::support::console::Browser;
use crate::support::{ADMIN_TOKEN, TestHub};

const PASSWORD: &str = "correct horse";
const ACQP_EMAIL: &str = "ops@bank.example";

/// A project whose sandbox acceptance passed (UPM, Cashier), whose member Alice is signed in.
async fn project_with_tsp(hub: &TestHub) -> (String, Browser<'_>) {
    let acqp = hub.acqp().await;
    crate::support::passed_acceptance(hub, &acqp.project.id, &["UPM", "CASHIER"]).await;
    let mut alice = Browser::new(hub);
    alice.bootstrap("alice@example.com").await;
    (acqp.project.id, alice)
}

/// A URL for UPM to the ACQP, mailed or not: see [`hub_generate`].
async fn generate(hub: &TestHub, project: &str, mail: bool) -> (StatusCode, Option<String>, Value) {
    let body = json!({
        "products": ["UPM"],
        "acqpName": "Bank of Examples",
        "acqpEmail": ACQP_EMAIL,
        "mail": mail,
    });
    hub_generate(hub, project, body).await
}

/// `POST /admin/v1/projects/{id}/authorization-urls`: the status, the `Retry-After` header and
/// the body.
async fn hub_generate(
    hub: &TestHub,
    project: &str,
    body: Value,
) -> (StatusCode, Option<String>, Value) {
    let request = Request::builder()
        .method("POST")
        .uri(format!("/admin/v1/projects/{project}/authorization-urls"))
        .header("authorization", format!("Bearer {ADMIN_TOKEN}"))
        .header("content-type", "application/json")
        .body(Body::from(body.to_string()))
        .unwrap();
    let response = hub.router().oneshot(request).await.unwrap();
    let status = response.status();
    let retry_after = response
        .headers()
        .get("retry-after")
        .map(|v| v.to_str().unwrap().to_owned());
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    (status, retry_after, serde_json::from_slice(&bytes).unwrap())
}

/// Generates a URL that must be accepted, then revokes it (so only the rate bounds count).
async fn generate_and_revoke(hub: &TestHub, project: &str, mail: bool) {
    let (status, _, body) = generate(hub, project, mail).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let id = body["authorizationUrl"]["id"].as_str().unwrap();
    hub.hub.revoke_authorization_url(project, id).unwrap();
}

fn pending(hub: &TestHub, project: &str) -> Vec<String> {
    hub.hub
        .project_authorizations(project)
        .unwrap()
        .urls
        .into_iter()
        .filter(|u| u.status == "PENDING")
        .map(|u| u.id)
        .collect()
}

#[tokio::test]
async fn a_project_holds_at_most_twenty_pending_urls_until_one_is_revoked_or_expires() {
    let hub = TestHub::new();
    let (project, mut alice) = project_with_tsp(&hub).await;
    for n in 1..=20 {
        let (status, _, body) = generate(&hub, &project, false).await;
        assert_eq!(status, StatusCode::CREATED, "pending URL {n} of 20: {body}");
    }
    let (status, _, refused) = generate(&hub, &project, false).await;
    assert_eq!(
        (status, refused["code"].as_str()),
        (StatusCode::CONFLICT, Some("TOO_MANY_PENDING_URLS")),
        "the 21st pending URL: {refused}"
    );
    assert!(
        refused["message"]
            .as_str()
            .is_some_and(|m| m.contains("20 pending") && m.contains("revoke one first")),
        "{refused}"
    );

    // The console says so on its form, keeping what was typed.
    let tab = format!("/console/projects/{project}/authorization");
    let page = alice
        .post(
            &tab,
            &[
                ("products", "UPM"),
                ("acqpName", "Harbour Bank"),
                ("acqpEmail", "pay@harbour.example"),
            ],
        )
        .await;
    assert_eq!(page.status, StatusCode::CONFLICT, "{}", page.body);
    assert!(
        page.body.contains("revoke one first") && page.body.contains("value=\"Harbour Bank\""),
        "the reason on the form, as typed: {}",
        page.body
    );
    assert_eq!(pending(&hub, &project).len(), 20, "nothing more was made");

    // Revoking one (in the console) makes room for one.
    let first = pending(&hub, &project)[0].clone();
    let revoked = alice.post(&format!("{tab}/urls/{first}/revoke"), &[]).await;
    assert_eq!(revoked.status, StatusCode::OK, "{}", revoked.body);
    let (status, _, body) = generate(&hub, &project, false).await;
    assert_eq!(status, StatusCode::CREATED, "room after a revoke: {body}");
    let (status, _, body) = generate(&hub, &project, false).await;
    assert_eq!(status, StatusCode::CONFLICT, "and only for one: {body}");

    // Expired URLs are no longer pending.
    hub.clock.advance(Duration::days(7));
    let (status, _, body) = generate(&hub, &project, false).await;
    assert_eq!(
        status,
        StatusCode::CREATED,
        "room once they expired: {body}"
    );
}

#[tokio::test]
async fn a_project_generates_at_most_a_hundred_urls_a_day() {
    let hub = TestHub::new();
    let (project, _alice) = project_with_tsp(&hub).await;
    for _ in 0..99 {
        generate_and_revoke(&hub, &project, false).await;
    }
    hub.clock.advance(Duration::hours(1));
    generate_and_revoke(&hub, &project, false).await;
    let (status, retry_after, refused) = generate(&hub, &project, false).await;
    assert_eq!(
        (status, refused["code"].as_str()),
        (
            StatusCode::TOO_MANY_REQUESTS,
            Some("AUTHORIZATION_URL_LIMIT")
        ),
        "the 101st URL in 24 hours: {refused}"
    );
    assert_eq!(
        retry_after.as_deref(),
        Some("82800"),
        "room again once the first 99 are a day old, 23 hours on: {refused}"
    );
    assert!(
        refused["message"].as_str().is_some_and(|m| m
            .contains("100 authorization URLs in the last 24 hours")
            && m.contains("1380 minutes")),
        "{refused}"
    );
    hub.clock.advance(Duration::hours(23));
    let (status, _, body) = generate(&hub, &project, false).await;
    assert_eq!(status, StatusCode::CREATED, "a day on: {body}");
}

#[tokio::test]
async fn a_project_mails_at_most_ten_urls_an_hour_and_fifty_a_day() {
    let hub = TestHub::new();
    let (project, mut alice) = project_with_tsp(&hub).await;
    let outbox = |hub: &TestHub| hub.hub.authorization_mail(&project).unwrap().len();
    for _ in 0..10 {
        generate_and_revoke(&hub, &project, true).await;
    }
    assert_eq!(outbox(&hub), 10, "ten mailed in the hour");
    let (status, retry_after, refused) = generate(&hub, &project, true).await;
    assert_eq!(
        (status, refused["code"].as_str()),
        (
            StatusCode::TOO_MANY_REQUESTS,
            Some("AUTHORIZATION_MAIL_LIMIT")
        ),
        "the 11th mailed in an hour: {refused}"
    );
    assert_eq!(retry_after.as_deref(), Some("3600"), "{refused}");
    assert!(
        refused["message"]
            .as_str()
            .is_some_and(|m| m.contains("10 authorization URLs in the last hour")
                && m.contains("without mailing it")),
        "{refused}"
    );
    assert_eq!(outbox(&hub), 10, "nothing more was mailed");
    assert_eq!(pending(&hub, &project).len(), 0, "nor made");
    // Without mail it works; the console tells the same on its form.
    generate_and_revoke(&hub, &project, false).await;
    let page = alice
        .post(
            &format!("/console/projects/{project}/authorization"),
            &[
                ("products", "UPM"),
                ("acqpName", "Harbour Bank"),
                ("acqpEmail", "pay@harbour.example"),
                ("mail", "yes"),
            ],
        )
        .await;
    assert_eq!(page.status, StatusCode::TOO_MANY_REQUESTS, "{}", page.body);
    assert!(
        page.body.contains("without mailing it"),
        "the reason on the form: {}",
        page.body
    );

    // Hour by hour up to fifty in a day; the 51st waits for the first hour to be a day old.
    for _ in 0..4 {
        hub.clock.advance(Duration::hours(1));
        for _ in 0..10 {
            generate_and_revoke(&hub, &project, true).await;
        }
    }
    assert_eq!(outbox(&hub), 50);
    hub.clock.advance(Duration::hours(1));
    let (status, retry_after, refused) = generate(&hub, &project, true).await;
    assert_eq!(
        (status, refused["code"].as_str()),
        (
            StatusCode::TOO_MANY_REQUESTS,
            Some("AUTHORIZATION_MAIL_LIMIT")
        ),
        "the 51st mailed in 24 hours: {refused}"
    );
    assert_eq!(retry_after.as_deref(), Some(&*(19 * 3600).to_string()));
    assert!(
        refused["message"]
            .as_str()
            .is_some_and(|m| m.contains("50 authorization URLs in the last 24 hours")),
        "{refused}"
    );
    hub.clock.advance(Duration::hours(19));
    let (status, _, body) = generate(&hub, &project, true).await;
    assert_eq!(status, StatusCode::CREATED, "a day on: {body}");
    assert_eq!(outbox(&hub), 51);
}

#[tokio::test]
async fn an_acqp_changing_its_scope_in_a_loop_mails_five_notices_an_hour_and_each_change_applies() {
    let hub = TestHub::new();
    let (project, _alice) = project_with_tsp(&hub).await;
    let (status, _, generated) = hub_generate(
        &hub,
        &project,
        json!({"products": ["UPM", "CASHIER"], "acqpName": "Bank", "acqpEmail": ACQP_EMAIL}),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{generated}");
    let url = generated["url"].as_str().unwrap();
    let path = &url[url.find("/console/").unwrap()..];
    hub.hub.create_acqp_user(ACQP_EMAIL, PASSWORD).unwrap();
    let mut acqp = Browser::new(&hub);
    acqp.sign_in(ACQP_EMAIL, PASSWORD).await;
    let authorized = acqp
        .post(path, &[("terms", "accept"), ("action", "authorize")])
        .await;
    assert_eq!(authorized.status, StatusCode::OK, "{}", authorized.body);
    let scope_of = |hub: &TestHub| {
        hub.hub
            .project_authorizations(&project)
            .unwrap()
            .authorizations[0]
            .products
            .clone()
    };
    let id = hub
        .hub
        .project_authorizations(&project)
        .unwrap()
        .authorizations[0]
        .id
        .clone();
    let scope = format!("/console/authorizations/{id}/scope");
    let notices = |hub: &TestHub| {
        hub.hub
            .authorization_mail(&project)
            .unwrap()
            .iter()
            .filter(|m| !m.subject.contains(" authorized "))
            .count()
    };

    // Toggling between UPM and Cashier: five changes, five notices to the one member.
    let toggle = ["UPM", "CASHIER"];
    for n in 0..5 {
        let page = acqp.post(&scope, &[("products", toggle[n % 2])]).await;
        assert_eq!(page.status, StatusCode::OK, "{}", page.body);
        assert!(
            page.body.contains("the TSP was told"),
            "change {n}: {}",
            page.body
        );
    }
    assert_eq!(notices(&hub), 5);
    // The sixth within the hour: applied, not mailed, and the page says so.
    let page = acqp.post(&scope, &[("products", "CASHIER")]).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(
        page.body.contains("was not mailed: at most 5 changes"),
        "{}",
        page.body
    );
    assert_eq!(scope_of(&hub), ["CASHIER"], "the sixth change applied");
    assert_eq!(notices(&hub), 5, "no sixth notice within the hour");

    // An hour after the first notice, changes are mailed again.
    hub.clock.advance(Duration::hours(1));
    let cancelled = acqp
        .post(&format!("/console/authorizations/{id}/cancel"), &[])
        .await;
    assert_eq!(cancelled.status, StatusCode::OK, "{}", cancelled.body);
    assert!(
        cancelled.body.contains("the TSP was told"),
        "{}",
        cancelled.body
    );
    assert_eq!(notices(&hub), 6, "the cancel was mailed");
}

#[tokio::test]
async fn oversized_or_multi_line_fields_are_refused_and_a_long_search_is_cut() {
    let hub = TestHub::new();
    let (project, _alice) = project_with_tsp(&hub).await;
    let long_name = "B".repeat(101);
    for (bad, starts) in [
        (
            json!({"products": vec!["UPM"; 21], "acqpName": "Bank", "acqpEmail": ACQP_EMAIL}),
            "products: at most 20 products",
        ),
        (
            json!({"products": ["UPM"], "acqpName": long_name, "acqpEmail": ACQP_EMAIL}),
            "acqpName: give the ACQP's organisation name (1 to 100 characters",
        ),
        (
            json!({"products": ["UPM"], "acqpName": "Bank\r\nBcc: x@evil.example", "acqpEmail": ACQP_EMAIL}),
            "acqpName: give the ACQP's organisation name (1 to 100 characters, on one line)",
        ),
    ] {
        let (status, _, body) = hub_generate(&hub, &project, bad.clone()).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{bad}: {body}");
        assert!(
            body["message"]
                .as_str()
                .is_some_and(|m| m.starts_with(starts)),
            "{bad}: {body}"
        );
    }
    // At the bounds: twenty entries (the same product, kept once) and a 100-character name.
    let (status, _, body) = hub_generate(
        &hub,
        &project,
        json!({"products": vec!["UPM"; 20], "acqpName": "B".repeat(100), "acqpEmail": ACQP_EMAIL}),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(
        body["authorizationUrl"]["products"],
        json!(["UPM"]),
        "{body}"
    );

    // The ACQP's search: a 5000-character query answers, looking for its first 100 only.
    hub.hub.create_acqp_user(ACQP_EMAIL, PASSWORD).unwrap();
    let mut acqp = Browser::new(&hub);
    acqp.sign_in(ACQP_EMAIL, PASSWORD).await;
    let page = acqp
        .get(&format!("/console/authorizations?q={}", "a".repeat(5000)))
        .await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(
        page.body
            .contains(&format!("value=\"{}\"", "a".repeat(100))),
        "the search shown is its first 100 characters: {}",
        &page.body[..page.body.len().min(3000)]
    );
    assert!(!page.body.contains(&"a".repeat(101)));
}

#[tokio::test]
async fn the_sweep_deletes_unused_urls_and_sent_mail_after_thirty_days_and_keeps_used_urls() {
    let hub = TestHub::new();
    let (project, _alice) = project_with_tsp(&hub).await;
    generate_and_revoke(&hub, &project, true).await;
    let (status, _, expiring) = generate(&hub, &project, false).await;
    assert_eq!(status, StatusCode::CREATED, "{expiring}");
    let (_, _, used) = generate(&hub, &project, false).await;
    let url = used["url"].as_str().unwrap();
    hub.hub.create_acqp_user(ACQP_EMAIL, PASSWORD).unwrap();
    let mut acqp = Browser::new(&hub);
    acqp.sign_in(ACQP_EMAIL, PASSWORD).await;
    let authorized = acqp
        .post(
            &url[url.find("/console/").unwrap()..],
            &[("terms", "accept"), ("action", "authorize")],
        )
        .await;
    assert_eq!(authorized.status, StatusCode::OK, "{}", authorized.body);
    let listed = |hub: &TestHub| {
        let urls = hub.hub.project_authorizations(&project).unwrap().urls;
        let mail = hub.hub.authorization_mail(&project).unwrap();
        (urls.len(), mail.len())
    };
    assert_eq!(listed(&hub), (3, 2), "3 URLs; the URL mail and the notice");

    // Below the bound, 29 days on: nothing goes.
    hub.clock.advance(Duration::days(29));
    assert_eq!(hub.hub.sweep_authorizations().unwrap(), 0);
    assert_eq!(listed(&hub), (3, 2));

    // 30 days on: the revoked and the expired URL and both mails go; the used URL stays, and
    // so does the authorization made through it.
    hub.clock.advance(Duration::days(1) + Duration::seconds(1));
    let swept = hub.hub.sweep_authorizations().unwrap();
    assert_eq!(
        swept,
        4,
        "{:?} {:?}",
        listed(&hub),
        hub.hub.authorization_mail(&project).unwrap()
    );
    let (status, after) = hub
        .admin("GET", &format!("/projects/{project}/authorizations"), None)
        .await;
    assert_eq!(status, StatusCode::OK, "{after}");
    assert_eq!(after["urls"].as_array().unwrap().len(), 1, "{after}");
    assert_eq!(after["urls"][0]["status"], "USED", "{after}");
    assert_eq!(after["authorizations"][0]["status"], "ACTIVE", "{after}");
    assert_eq!(listed(&hub), (1, 0));
}
