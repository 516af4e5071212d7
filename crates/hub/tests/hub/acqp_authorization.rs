//! The ACQP's authorization through the real router: the TSP generates an authorization URL on
//! its project's Authorization tab (or by the admin API), the ACQP opens it signed out, creates
//! its account or signs in there, skips or authorizes; the URL used twice, expired, unknown or
//! revoked; opened by a TSP user or another ACQP; the forms' CSRF and origin; the roles kept
//! apart (an ACQP opens no project page, a TSP no ACQP page); cancel and change of scope, each
//! seen by the TSP and mailed to the project's members.

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use chrono::Duration;
use linker_hub::Clock;
use serde_json::json;

use crate::support::TestHub;
use crate::support::console::{Answer, Browser};

const PASSWORD: &str = "correct horse";
const ACQP_EMAIL: &str = "ops@bank.example";

/// A project whose sandbox acceptance passed (UPM, Order Code, Cashier), whose member Alice (TSP) is
/// signed in.
async fn project_with_tsp(hub: &TestHub) -> (String, Browser<'_>) {
    let acqp = hub.acqp().await;
    crate::support::passed_acceptance(hub, &acqp.project.id, &["UPM", "ORDER_CODE", "CASHIER"])
        .await;
    let mut alice = Browser::new(hub);
    alice.bootstrap("alice@example.com").await;
    (acqp.project.id, alice)
}

/// The path of the authorization URL on a page that shows it.
fn url_path(body: &str) -> String {
    let start = body
        .find("/console/authorize/")
        .unwrap_or_else(|| panic!("an authorization URL on the page: {body}"));
    let token: String = body[start + "/console/authorize/".len()..]
        .chars()
        .take_while(char::is_ascii_hexdigit)
        .collect();
    assert_eq!(token.len(), 64, "a 64-hex token: {token}");
    format!("/console/authorize/{token}")
}

/// Alice generates a URL for `products` on the Authorization tab; its path.
async fn generate(alice: &mut Browser<'_>, project: &str, products: &[&str], mail: bool) -> String {
    let mut fields: Vec<(&str, &str)> = products.iter().map(|p| ("products", *p)).collect();
    fields.extend([("acqpName", "Bank of Examples"), ("acqpEmail", ACQP_EMAIL)]);
    if mail {
        fields.push(("mail", "yes"));
    }
    let page = alice
        .post(
            &format!("/console/projects/{project}/authorization"),
            &fields,
        )
        .await;
    assert_eq!(page.status, StatusCode::OK, "generated: {}", page.body);
    assert!(
        page.body
            .contains("works once, until 2026-12-02 02:00:00 UTC"),
        "expires after 7 days on the hub's clock: {}",
        page.body
    );
    url_path(&page.body)
}

/// An ACQP user signed in, through the standard sign-in form.
async fn acqp_signed_in<'a>(hub: &'a TestHub, email: &str) -> Browser<'a> {
    hub.hub.create_acqp_user(email, PASSWORD).unwrap();
    let mut browser = Browser::new(hub);
    let signed_in = browser.sign_in(email, PASSWORD).await;
    assert_eq!(
        signed_in.location, "/console/authorizations",
        "an ACQP's home is its Authorizations page: {}",
        signed_in.body
    );
    browser
}

/// Ticks the terms and authorizes.
async fn authorize(browser: &mut Browser<'_>, url: &str) -> Answer {
    browser
        .post(url, &[("terms", "accept"), ("action", "authorize")])
        .await
}

/// The subjects and recipients of the project's authorization mail, oldest first.
fn mail(hub: &TestHub, project: &str) -> Vec<(String, String, String)> {
    let mut mail: Vec<_> = hub
        .hub
        .authorization_mail(project)
        .unwrap()
        .into_iter()
        .map(|m| (m.recipient, m.subject, m.status))
        .collect();
    mail.reverse();
    mail
}

#[tokio::test]
async fn an_acqp_creates_its_account_through_the_url_and_authorizes_once() {
    let hub = TestHub::new();
    let (project, mut alice) = project_with_tsp(&hub).await;
    let url = generate(&mut alice, &project, &["UPM", "ORDER_CODE"], true).await;
    assert_eq!(
        mail(&hub, &project),
        [(
            ACQP_EMAIL.to_owned(),
            "Test ACQP asks Bank of Examples to authorize its application".to_owned(),
            "outbox".to_owned()
        )],
        "the URL was mailed to the ACQP (no SMTP relay: the outbox)"
    );

    // Signed out: the offer, and (no account yet) the form that creates the ACQP's account.
    let mut acqp = Browser::new(&hub);
    let offer = acqp.get(&url).await;
    assert_eq!(offer.status, StatusCode::OK, "{}", offer.body);
    for shown in [
        "Authorize Test ACQP",
        "Bank of Examples",
        "User-presented Mode",
        "Create your ACQP account",
    ] {
        assert!(offer.body.contains(shown), "{shown:?} on: {}", offer.body);
    }
    let short = acqp
        .post(&format!("{url}/account"), &[("password", "short")])
        .await;
    assert_eq!(
        short.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        short.body
    );
    assert!(short.body.contains("at least"), "{}", short.body);
    let created = acqp
        .post(&format!("{url}/account"), &[("password", PASSWORD)])
        .await;
    assert_eq!(
        (created.status, created.location.as_str()),
        (StatusCode::SEE_OTHER, url.as_str()),
        "the account is made and signed in, back to the URL: {}",
        created.body
    );

    // Signed in: the terms; without ticking them nothing happens.
    let review = acqp.get(&url).await;
    assert!(
        review.status == StatusCode::OK && review.body.contains("I accept the terms"),
        "{} {}",
        review.status,
        review.body
    );
    let unticked = acqp.post(&url, &[("action", "authorize")]).await;
    assert_eq!(
        unticked.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        unticked.body
    );
    assert!(
        unticked.body.contains("accept the terms to authorize"),
        "{}",
        unticked.body
    );
    assert!(
        hub.hub
            .project_authorizations(&project)
            .unwrap()
            .authorizations
            .is_empty(),
        "nothing authorized without the terms"
    );

    let done = authorize(&mut acqp, &url).await;
    assert_eq!(done.status, StatusCode::OK, "{}", done.body);
    assert!(
        done.body.contains("<h1>Authorized</h1>")
            && done.body.contains("href=\"/console/authorizations\""),
        "the result links to the Authorizations page: {}",
        done.body
    );
    let listed = hub.hub.project_authorizations(&project).unwrap();
    let authorization = &listed.authorizations[0];
    assert_eq!(
        (authorization.status, authorization.products.clone()),
        ("ACTIVE", vec!["UPM".to_owned(), "ORDER_CODE".to_owned()]),
        "{authorization:?}"
    );
    assert!(
        authorization.agent_token.starts_with("agt_"),
        "{authorization:?}"
    );
    assert_eq!(listed.urls[0].status, "USED", "{:?}", listed.urls);
    assert!(
        hub.hub
            .active_authorization_token(&project, &authorization.agent_token)
            .unwrap(),
        "the Agent-Token of an Active authorization is accepted for its project"
    );
    let other = hub.acqp().await;
    assert!(
        !hub.hub
            .active_authorization_token(&other.project.id, &authorization.agent_token)
            .unwrap(),
        "and for no other project"
    );
    let sent = mail(&hub, &project);
    assert_eq!(
        sent.last().map(|m| (m.0.as_str(), m.1.as_str())),
        Some((
            "alice@example.com",
            "Bank of Examples authorized UPM, ORDER_CODE for Test ACQP"
        )),
        "the project's member is mailed: {sent:?}"
    );

    // The TSP sees it Active, with the Agent-Token to use.
    let tab = alice
        .get(&format!("/console/projects/{project}/authorization"))
        .await;
    assert!(
        tab.body.contains(">Active<") && tab.body.contains(&authorization.agent_token),
        "{}",
        tab.body
    );

    // The URL works once.
    for again in [acqp.get(&url).await, authorize(&mut acqp, &url).await] {
        assert_eq!(again.status, StatusCode::CONFLICT, "{}", again.body);
        assert!(again.body.contains("already used"), "{}", again.body);
    }
    assert_eq!(
        hub.hub
            .project_authorizations(&project)
            .unwrap()
            .authorizations
            .len(),
        1,
        "one authorization for one URL"
    );
}

#[tokio::test]
async fn an_acqp_with_an_account_signs_in_there_skips_and_comes_back_by_the_same_url() {
    let hub = TestHub::new();
    let (project, mut alice) = project_with_tsp(&hub).await;
    let url = generate(&mut alice, &project, &["UPM"], false).await;
    assert!(mail(&hub, &project).is_empty(), "not mailed unless asked");
    hub.hub.create_acqp_user(ACQP_EMAIL, PASSWORD).unwrap();

    let mut acqp = Browser::new(&hub);
    let offer = acqp.get(&url).await;
    assert!(
        offer.body.contains("Sign in to review and authorize")
            && !offer.body.contains("Create your ACQP account"),
        "an account exists: sign in: {}",
        offer.body
    );
    let wrong = acqp
        .post(
            &format!("{url}/sign-in"),
            &[("password", "not the password")],
        )
        .await;
    assert_eq!(
        wrong.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        wrong.body
    );
    assert!(
        wrong.body.contains("wrong email or password"),
        "{}",
        wrong.body
    );
    let signed_in = acqp
        .post(&format!("{url}/sign-in"), &[("password", PASSWORD)])
        .await;
    assert_eq!(signed_in.location, url, "{}", signed_in.body);

    let skipped = acqp.post(&url, &[("action", "skip")]).await;
    assert_eq!(skipped.location, "/console/authorizations?skipped=1");
    let page = acqp.get(&skipped.location).await;
    assert!(
        page.body.contains("Skipped: nothing was authorized"),
        "{}",
        page.body
    );
    assert!(
        hub.hub
            .project_authorizations(&project)
            .unwrap()
            .authorizations
            .is_empty(),
        "skipping authorizes nothing"
    );

    // Days later (the session long over), by the same URL: sign in there again.
    hub.clock.advance(Duration::days(6));
    let back = acqp.get(&url).await;
    assert!(
        back.status == StatusCode::OK && back.body.contains("Sign in to review and authorize"),
        "{} {}",
        back.status,
        back.body
    );
    // The page's form carries the sign-in's token (the stale session's cookie proves nothing).
    acqp.cookies.remove("linker_console");
    let signed_in = acqp
        .post(&format!("{url}/sign-in"), &[("password", PASSWORD)])
        .await;
    assert_eq!(signed_in.location, url, "{}", signed_in.body);
    let done = authorize(&mut acqp, &url).await;
    assert_eq!(done.status, StatusCode::OK, "{}", done.body);
    let list = acqp.get("/console/authorizations").await;
    assert!(
        list.body.contains("Test ACQP") && list.body.contains(">Active<"),
        "{}",
        list.body
    );
}

#[tokio::test]
async fn an_expired_unknown_or_revoked_url_is_refused_with_a_clear_page() {
    let hub = TestHub::new();
    let (project, mut alice) = project_with_tsp(&hub).await;
    let expiring = generate(&mut alice, &project, &["UPM"], false).await;
    let revoked = generate(&mut alice, &project, &["UPM"], false).await;
    let mut acqp = acqp_signed_in(&hub, ACQP_EMAIL).await;

    let urls = hub.hub.project_authorizations(&project).unwrap().urls;
    let revoke = alice
        .post(
            &format!(
                "/console/projects/{project}/authorization/urls/{}/revoke",
                urls[0].id
            ),
            &[],
        )
        .await;
    assert!(revoke.body.contains("revoked"), "{}", revoke.body);
    let refused = acqp.get(&revoked).await;
    assert_eq!(refused.status, StatusCode::CONFLICT, "{}", refused.body);
    assert!(
        refused.body.contains("revoked by the TSP"),
        "{}",
        refused.body
    );

    hub.clock.advance(Duration::days(7));
    let mut acqp = Browser::new(&hub);
    acqp.sign_in(ACQP_EMAIL, PASSWORD).await;
    for answer in [
        acqp.get(&expiring).await,
        authorize(&mut acqp, &expiring).await,
    ] {
        assert_eq!(answer.status, StatusCode::CONFLICT, "{}", answer.body);
        assert!(answer.body.contains("expired"), "{}", answer.body);
    }
    let listed = hub.hub.project_authorizations(&project).unwrap();
    assert!(listed.authorizations.is_empty(), "{listed:?}");
    assert_eq!(
        listed.urls.iter().map(|u| u.status).collect::<Vec<_>>(),
        ["REVOKED", "EXPIRED"],
        "the TSP sees what became of each URL"
    );

    for unknown in [
        format!("/console/authorize/{}", "0".repeat(64)),
        "/console/authorize/nothex".to_owned(),
        "/console/authorize/%20".to_owned(),
    ] {
        let answer = acqp.get(&unknown).await;
        assert_eq!(
            answer.status,
            StatusCode::CONFLICT,
            "{unknown}: {}",
            answer.body
        );
        assert!(
            answer.body.contains("not known"),
            "{unknown}: {}",
            answer.body
        );
    }
}

#[tokio::test]
async fn the_url_refuses_a_tsp_user_and_another_acqp() {
    let hub = TestHub::new();
    let (project, mut alice) = project_with_tsp(&hub).await;
    let url = generate(&mut alice, &project, &["UPM"], false).await;

    // The TSP who made it cannot use it.
    for answer in [alice.get(&url).await, authorize(&mut alice, &url).await] {
        assert_eq!(answer.status, StatusCode::FORBIDDEN, "{}", answer.body);
        assert!(
            answer.body.contains("TSP staff cannot use it"),
            "{}",
            answer.body
        );
    }
    // Nor an ACQP's user whose email is not the URL's, signed in or signing in there.
    let mut mallory = acqp_signed_in(&hub, "mallory@other.example").await;
    for answer in [
        mallory.get(&url).await,
        authorize(&mut mallory, &url).await,
        mallory.post(&url, &[("action", "skip")]).await,
    ] {
        assert_eq!(answer.status, StatusCode::FORBIDDEN, "{}", answer.body);
        assert!(
            answer.body.contains("only ops@bank.example can use it"),
            "{}",
            answer.body
        );
    }
    assert!(
        hub.hub
            .project_authorizations(&project)
            .unwrap()
            .authorizations
            .is_empty(),
        "nothing was authorized"
    );
    // The URL still works for its ACQP.
    let mut acqp = acqp_signed_in(&hub, ACQP_EMAIL).await;
    assert_eq!(authorize(&mut acqp, &url).await.status, StatusCode::OK);
}

/// A form post with a chosen CSRF token and extra headers.
async fn post_with(
    browser: &mut Browser<'_>,
    path: &str,
    csrf: &str,
    fields: &str,
    headers: &[(&str, &str)],
) -> Answer {
    let mut request = Request::builder()
        .method("POST")
        .uri(path)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    browser
        .send(request, Body::from(format!("csrf={csrf}&{fields}")))
        .await
}

#[tokio::test]
async fn every_authorization_form_needs_its_csrf_token_and_the_consoles_origin() {
    let hub = TestHub::new();
    let (project, mut alice) = project_with_tsp(&hub).await;
    let url = generate(&mut alice, &project, &["UPM"], false).await;

    // Signed out: the account and sign-in forms carry the double-submit cookie's value.
    let mut anonymous = Browser::new(&hub);
    anonymous.get(&url).await;
    let csrf = anonymous.csrf();
    for (csrf, headers) in [
        ("", vec![]),
        ("forged", vec![]),
        (csrf.as_str(), vec![("origin", "https://evil.example")]),
        (csrf.as_str(), vec![("sec-fetch-site", "cross-site")]),
    ] {
        let answer = post_with(
            &mut anonymous,
            &format!("{url}/account"),
            csrf,
            "password=correct+horse",
            &headers,
        )
        .await;
        assert_eq!(
            answer.status,
            StatusCode::FORBIDDEN,
            "{headers:?}: {}",
            answer.body
        );
    }
    assert!(
        !hub.hub.console_account_exists(ACQP_EMAIL).unwrap(),
        "no account was made by a forged form"
    );

    // Signed in: Authorize, cancel, change of scope, generate.
    let mut acqp = acqp_signed_in(&hub, ACQP_EMAIL).await;
    let token = acqp.csrf();
    for (csrf, headers) in [
        ("", vec![]),
        ("forged", vec![]),
        (token.as_str(), vec![("origin", "http://127.0.0.1:9999")]),
        (token.as_str(), vec![("sec-fetch-site", "same-site")]),
    ] {
        let answer = post_with(
            &mut acqp,
            &url,
            csrf,
            "terms=accept&action=authorize",
            &headers,
        )
        .await;
        assert_eq!(
            answer.status,
            StatusCode::FORBIDDEN,
            "{headers:?}: {}",
            answer.body
        );
    }
    assert!(
        hub.hub
            .project_authorizations(&project)
            .unwrap()
            .authorizations
            .is_empty()
    );
    assert_eq!(authorize(&mut acqp, &url).await.status, StatusCode::OK);
    let id = hub
        .hub
        .project_authorizations(&project)
        .unwrap()
        .authorizations[0]
        .id
        .clone();
    for path in [
        format!("/console/authorizations/{id}/cancel"),
        format!("/console/authorizations/{id}/scope"),
    ] {
        let answer = post_with(&mut acqp, &path, "forged", "products=UPM", &[]).await;
        assert_eq!(
            answer.status,
            StatusCode::FORBIDDEN,
            "{path}: {}",
            answer.body
        );
    }
    let generate_path = format!("/console/projects/{project}/authorization");
    let answer = post_with(
        &mut alice,
        &generate_path,
        "forged",
        "products=UPM&acqpName=X&acqpEmail=x%40y.example",
        &[],
    )
    .await;
    assert_eq!(answer.status, StatusCode::FORBIDDEN, "{}", answer.body);
    assert_eq!(
        hub.hub.project_authorizations(&project).unwrap().urls.len(),
        1,
        "no URL from a forged form"
    );
    assert!(
        hub.hub
            .project_authorizations(&project)
            .unwrap()
            .authorizations[0]
            .is_active()
    );
}

#[tokio::test]
async fn an_acqp_opens_no_project_page_and_a_tsp_no_acqp_page() {
    let hub = TestHub::new();
    let (project, mut alice) = project_with_tsp(&hub).await;
    let mut acqp = acqp_signed_in(&hub, ACQP_EMAIL).await;

    let mut paths: Vec<String> = linker_hub::console::TABS
        .iter()
        .map(|(_, path, _)| format!("/console/projects/{project}/{path}"))
        .collect();
    paths.extend([
        "/console/projects".to_owned(),
        format!("/console/projects/{project}"),
        format!("/console/projects/{project}/runs"),
        format!("/console/projects/{project}/exports/test-data.junit.xml"),
    ]);
    for path in &paths {
        let answer = acqp.get(path).await;
        assert!(
            matches!(answer.status, StatusCode::FORBIDDEN | StatusCode::NOT_FOUND),
            "an ACQP's user on {path}: {} {}",
            answer.status,
            answer.body
        );
        assert!(
            !answer.body.contains("Test ACQP"),
            "{path} shows nothing of the project"
        );
    }
    for (path, fields) in [
        (
            format!("/console/projects/{project}/members"),
            vec![
                ("memberEmail", "eve@example.com"),
                ("memberPassword", PASSWORD),
            ],
        ),
        (
            format!("/console/projects/{project}/authorization"),
            vec![
                ("products", "UPM"),
                ("acqpName", "X"),
                ("acqpEmail", ACQP_EMAIL),
            ],
        ),
        ("/console/projects".to_owned(), vec![("name", "Mine")]),
        (format!("/console/projects/{project}/token"), vec![]),
    ] {
        let answer = acqp.post(&path, &fields).await;
        assert!(
            matches!(answer.status, StatusCode::FORBIDDEN | StatusCode::NOT_FOUND),
            "an ACQP's post to {path}: {} {}",
            answer.status,
            answer.body
        );
    }
    assert!(
        hub.hub
            .project_authorizations(&project)
            .unwrap()
            .urls
            .is_empty()
    );
    assert_eq!(
        hub.hub.console_members(&project).unwrap().len(),
        1,
        "no member added by the ACQP"
    );
    // An ACQP's account cannot be made a member either.
    let added = alice
        .post(
            &format!("/console/projects/{project}/members"),
            &[("memberEmail", ACQP_EMAIL)],
        )
        .await;
    assert!(
        added.body.contains("cannot be members of a project"),
        "{}",
        added.body
    );
    assert_eq!(hub.hub.console_members(&project).unwrap().len(), 1);
    // The console's home sends each to its own.
    assert_eq!(
        acqp.get("/console").await.location,
        "/console/authorizations"
    );
    assert_eq!(alice.get("/console").await.location, "/console/projects");

    // A TSP user opens no ACQP page.
    let answer = alice.get("/console/authorizations").await;
    assert_eq!(answer.status, StatusCode::FORBIDDEN, "{}", answer.body);
    for path in [
        "/console/authorizations/aza_x/cancel",
        "/console/authorizations/aza_x/scope",
    ] {
        let answer = alice.post(path, &[("products", "UPM")]).await;
        assert_eq!(
            answer.status,
            StatusCode::FORBIDDEN,
            "{path}: {}",
            answer.body
        );
    }
    // Both may sign out.
    let out = acqp.post("/console/sign-out", &[]).await;
    assert_eq!(out.location, "/console/sign-in", "{}", out.body);
}

#[tokio::test]
async fn the_acqp_changes_the_scope_and_cancels_and_the_tsp_sees_and_is_mailed_each_change() {
    let hub = TestHub::new();
    let (project, mut alice) = project_with_tsp(&hub).await;
    // Bob is the project's other member: both are mailed.
    alice
        .post(
            &format!("/console/projects/{project}/members"),
            &[
                ("memberEmail", "bob@example.com"),
                ("memberPassword", PASSWORD),
            ],
        )
        .await;
    let url = generate(
        &mut alice,
        &project,
        &["UPM", "ORDER_CODE", "CASHIER"],
        false,
    )
    .await;
    let mut acqp = acqp_signed_in(&hub, ACQP_EMAIL).await;
    assert_eq!(authorize(&mut acqp, &url).await.status, StatusCode::OK);
    let id = hub
        .hub
        .project_authorizations(&project)
        .unwrap()
        .authorizations[0]
        .id
        .clone();
    let token = hub
        .hub
        .project_authorizations(&project)
        .unwrap()
        .authorizations[0]
        .agent_token
        .clone();
    let scope_path = format!("/console/authorizations/{id}/scope");
    let cancel_path = format!("/console/authorizations/{id}/cancel");

    // The scope: within what the URL offered, at least one.
    let none = acqp.post(&scope_path, &[]).await;
    assert_eq!(
        none.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        none.body
    );
    assert!(
        none.body.contains("choose at least one product"),
        "{}",
        none.body
    );
    let outside = acqp.post(&scope_path, &[("products", "AUTO_DEBIT")]).await;
    assert_eq!(
        outside.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        outside.body
    );
    assert!(
        outside.body.contains("cannot be authorized here"),
        "{}",
        outside.body
    );
    let changed = acqp
        .post(&scope_path, &[("products", "CASHIER"), ("products", "UPM")])
        .await;
    assert_eq!(changed.status, StatusCode::OK, "{}", changed.body);
    assert!(
        changed.body.contains("The scope of Test ACQP"),
        "{}",
        changed.body
    );
    let seen = &hub
        .hub
        .project_authorizations(&project)
        .unwrap()
        .authorizations[0];
    assert_eq!(seen.products, ["UPM", "CASHIER"], "{seen:?}");
    assert_eq!(seen.offered_products, ["UPM", "ORDER_CODE", "CASHIER"]);

    // Another ACQP can neither change nor cancel it.
    let mut mallory = acqp_signed_in(&hub, "mallory@other.example").await;
    for path in [&scope_path, &cancel_path] {
        let answer = mallory.post(path, &[("products", "UPM")]).await;
        assert_eq!(
            answer.status,
            StatusCode::NOT_FOUND,
            "{path}: {}",
            answer.body
        );
    }
    assert!(
        !mallory
            .get("/console/authorizations")
            .await
            .body
            .contains("Test ACQP"),
        "nor see it"
    );

    // Cancel: Inactive, the token no longer works, the TSP sees it.
    let cancelled = acqp.post(&cancel_path, &[]).await;
    assert_eq!(cancelled.status, StatusCode::OK, "{}", cancelled.body);
    assert!(
        cancelled.body.contains("is cancelled (Inactive)"),
        "{}",
        cancelled.body
    );
    assert!(
        !hub.hub
            .active_authorization_token(&project, &token)
            .unwrap()
    );
    let tab = alice
        .get(&format!("/console/projects/{project}/authorization"))
        .await;
    assert!(tab.body.contains(">Inactive<"), "{}", tab.body);
    let again = acqp.post(&cancel_path, &[]).await;
    assert_eq!(again.status, StatusCode::CONFLICT, "{}", again.body);
    let late = acqp.post(&scope_path, &[("products", "UPM")]).await;
    assert_eq!(late.status, StatusCode::CONFLICT, "{}", late.body);

    // Each change was mailed to both members.
    let subjects: Vec<(String, String)> = mail(&hub, &project)
        .into_iter()
        .map(|(to, subject, _)| (to, subject))
        .collect();
    let expected: Vec<(String, String)> = [
        "Bank of Examples authorized UPM, ORDER_CODE, CASHIER for Test ACQP",
        "Bank of Examples changed the scope for Test ACQP",
        "Bank of Examples cancelled the authorization for Test ACQP",
    ]
    .iter()
    .flat_map(|subject| {
        ["alice@example.com", "bob@example.com"].map(|to| (to.to_owned(), (*subject).to_owned()))
    })
    .collect();
    assert_eq!(subjects, expected);
}

#[tokio::test]
async fn the_acqp_searches_its_authorizations_by_application_or_product() {
    let hub = TestHub::new();
    let (project, mut alice) = project_with_tsp(&hub).await;
    let first = generate(&mut alice, &project, &["UPM"], false).await;
    let other = hub.acqp_with(json!({"name": "Harbour Pay"})).await;
    crate::support::passed_acceptance(&hub, &other.project.id, &["CASHIER"]).await;
    hub.hub
        .add_console_member(&other.project.id, "alice@example.com", None)
        .unwrap();
    let second = generate(&mut alice, &other.project.id, &["CASHIER"], false).await;
    let mut acqp = acqp_signed_in(&hub, ACQP_EMAIL).await;
    authorize(&mut acqp, &first).await;
    authorize(&mut acqp, &second).await;

    for (search, shown, hidden) in [
        ("harbour", "Harbour Pay", "Test ACQP"),
        ("upm", "Test ACQP", "Harbour Pay"),
        ("Cashier", "Harbour Pay", "Test ACQP"),
    ] {
        let page = acqp
            .get(&format!("/console/authorizations?q={search}"))
            .await;
        assert!(
            page.body.contains(shown) && !page.body.contains(&format!("<td>{hidden}</td>")),
            "{search}: {}",
            page.body
        );
    }
    let none = acqp.get("/console/authorizations?q=nothing").await;
    assert!(
        none.body.contains("No authorization matches"),
        "{}",
        none.body
    );
}

#[tokio::test]
async fn the_admin_api_generates_and_lists_and_a_non_member_tsp_can_do_neither() {
    let hub = TestHub::new();
    let (project, _alice) = project_with_tsp(&hub).await;
    let path = format!("/projects/{project}/authorization-urls");
    let (status, body) = hub
        .admin(
            "POST",
            &path,
            Some(json!({"products": ["UPM"], "acqpName": "Bank", "acqpEmail": ACQP_EMAIL})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert!(
        body["url"]
            .as_str()
            .is_some_and(|u| u.starts_with("http://127.0.0.1:8480/console/authorize/")),
        "{body}"
    );
    assert_eq!(body["expiresAt"], "2026-12-02T02:00:00Z", "{body}");
    for (bad, field) in [
        (
            json!({"products": [], "acqpName": "Bank", "acqpEmail": ACQP_EMAIL}),
            "products",
        ),
        (
            json!({"products": ["ANY"], "acqpName": "Bank", "acqpEmail": ACQP_EMAIL}),
            "products",
        ),
        (
            json!({"products": ["UPM"], "acqpName": " ", "acqpEmail": ACQP_EMAIL}),
            "acqpName",
        ),
        (
            json!({"products": ["UPM"], "acqpName": "Bank", "acqpEmail": "nope"}),
            "acqpEmail",
        ),
        (
            json!({"products": ["UPM"], "acqpName": "Bank", "acqpEmail": "alice@example.com"}),
            "acqpEmail: alice@example.com is a TSP staff account",
        ),
    ] {
        let (status, body) = hub.admin("POST", &path, Some(bad.clone())).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{bad}: {body}");
        assert!(
            body["message"]
                .as_str()
                .is_some_and(|m| m.starts_with(field)),
            "{bad}: {body}"
        );
    }
    let (status, listed) = hub
        .admin("GET", &format!("/projects/{project}/authorizations"), None)
        .await;
    assert_eq!(status, StatusCode::OK, "{listed}");
    assert_eq!(listed["urls"][0]["status"], "PENDING", "{listed}");
    assert_eq!(listed["authorizations"], json!([]), "{listed}");

    // A TSP user of another project: not found, both ways.
    let other = hub.acqp().await;
    hub.hub
        .create_console_user(
            "carol@example.com",
            PASSWORD,
            std::slice::from_ref(&other.project.id),
        )
        .unwrap();
    let mut carol = Browser::new(&hub);
    carol.sign_in("carol@example.com", PASSWORD).await;
    let tab = carol
        .get(&format!("/console/projects/{project}/authorization"))
        .await;
    assert_eq!(tab.status, StatusCode::NOT_FOUND, "{}", tab.body);
    let generated = carol
        .post(
            &format!("/console/projects/{project}/authorization"),
            &[
                ("products", "UPM"),
                ("acqpName", "X"),
                ("acqpEmail", ACQP_EMAIL),
            ],
        )
        .await;
    assert_eq!(
        generated.status,
        StatusCode::NOT_FOUND,
        "{}",
        generated.body
    );
    let url = hub.hub.project_authorizations(&project).unwrap().urls[0]
        .id
        .clone();
    let revoked = carol
        .post(
            &format!("/console/projects/{project}/authorization/urls/{url}/revoke"),
            &[],
        )
        .await;
    assert_eq!(revoked.status, StatusCode::NOT_FOUND, "{}", revoked.body);
    assert_eq!(
        hub.hub.project_authorizations(&project).unwrap().urls.len(),
        1,
        "carol made and revoked nothing"
    );
    assert_eq!(
        hub.hub.project_authorizations(&project).unwrap().urls[0].status,
        "PENDING"
    );
}

#[tokio::test]
async fn with_a_relay_the_authorization_mail_goes_by_smtp_and_a_failure_is_recorded() {
    use crate::support::smtp::{Mode, Server};

    let server = Server::start(Mode::PlainOnly).await;
    let hub = TestHub::new();
    let (project, _alice) = project_with_tsp(&hub).await;
    let relay = format!("smtp://127.0.0.1:{}", server.address.port());
    hub.hub
        .set_mail_relay(Some(linker_hub::mail::MailRelay::parse(&relay).unwrap()));
    let new =
        json!({"products": ["UPM"], "acqpName": "Bank", "acqpEmail": ACQP_EMAIL, "mail": true});
    let (status, body) = hub
        .admin(
            "POST",
            &format!("/projects/{project}/authorization-urls"),
            Some(new.clone()),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let seen = server.seen();
    assert_eq!(seen.len(), 1, "{seen:?}");
    assert_eq!(seen[0].recipient, ACQP_EMAIL);
    let url = body["url"].as_str().unwrap();
    // Quoted-printable breaks long lines with a soft `=` at the end.
    assert!(
        seen[0].message.replace("=\r\n", "").contains(url),
        "the mail carries the URL {url}: {}",
        seen[0].message
    );
    assert_eq!(mail(&hub, &project)[0].2, "sent");

    // A relay that is not there: the mail is failed with why, the URL still made.
    hub.hub.set_mail_relay(Some(
        linker_hub::mail::MailRelay::parse("smtp://127.0.0.1:9").unwrap(),
    ));
    let (status, body) = hub
        .admin(
            "POST",
            &format!("/projects/{project}/authorization-urls"),
            Some(new),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let failed = &hub.hub.authorization_mail(&project).unwrap()[0];
    assert_eq!(failed.status, "failed", "{failed:?}");
    assert!(
        failed
            .error
            .as_deref()
            .is_some_and(|e| e.contains("127.0.0.1:9")),
        "{failed:?}"
    );
}

#[tokio::test]
async fn a_queued_authorization_mail_whose_sender_stopped_is_sent_by_the_sweep_once_its_lease_ran_out()
 {
    let hub = TestHub::new();
    let (project, _alice) = project_with_tsp(&hub).await;
    // Queued as a request would, but never sent by it (the hub stopped mid-request).
    let generated = hub
        .hub
        .generate_authorization_url(
            &project,
            "admin API",
            &linker_hub::domain::acqp_authorizations::NewAuthorizationUrl {
                products: vec!["UPM".to_owned()],
                acqp_name: "Bank".to_owned(),
                acqp_email: ACQP_EMAIL.to_owned(),
                mail: true,
            },
        )
        .unwrap();
    assert_eq!(generated.mail_ids.len(), 1);
    assert_eq!(
        hub.hub.send_queued_mail().await.unwrap(),
        0,
        "its lease runs"
    );
    assert_eq!(mail(&hub, &project)[0].2, "queued");
    hub.clock.advance(Duration::minutes(3));
    assert_eq!(hub.hub.send_queued_mail().await.unwrap(), 1, "taken once");
    assert_eq!(mail(&hub, &project)[0].2, "outbox");
    assert_eq!(
        hub.hub.send_queued_mail().await.unwrap(),
        0,
        "and only once"
    );
}

#[tokio::test]
async fn no_authorization_url_until_sandbox_acceptance_has_passed() {
    let hub = TestHub::new();
    let acqp = hub.acqp().await;
    let project = acqp.project.id.clone();
    let mut alice = Browser::new(&hub);
    alice.bootstrap("alice@example.com").await;
    let path = format!("/projects/{project}/authorization-urls");
    let request = json!({"products": ["UPM"], "acqpName": "Bank", "acqpEmail": ACQP_EMAIL});
    let tab = format!("/console/projects/{project}/authorization");
    let form = [
        ("products", "UPM"),
        ("acqpName", "Bank of Examples"),
        ("acqpEmail", ACQP_EMAIL),
    ];

    // No products, then products but no acceptance run: refused over the API and the console,
    // and nothing is generated.
    for products in [json!([]), json!(["UPM"])] {
        hub.admin(
            "PATCH",
            &format!("/projects/{project}"),
            Some(json!({ "products": products })),
        )
        .await;
        let (status, body) = hub.admin("POST", &path, Some(request.clone())).await;
        assert_eq!(
            (status, body["code"].as_str()),
            (StatusCode::CONFLICT, Some("ACCEPTANCE_NOT_PASSED")),
            "products {products}: {body}"
        );
        let page = alice.post(&tab, &form).await;
        assert!(
            !page.body.contains("/console/authorize/"),
            "products {products}: no URL on the tab: {}",
            page.body
        );
        let shown = alice.get(&tab).await;
        assert!(
            shown.body.contains("acceptance"),
            "the tab says acceptance comes first: {}",
            shown.body
        );
    }
    let (_, listed) = hub
        .admin("GET", &format!("/projects/{project}/authorizations"), None)
        .await;
    assert_eq!(listed["urls"], json!([]), "nothing generated: {listed}");

    // Acceptance passed: the same request makes a URL.
    crate::support::passed_acceptance(&hub, &project, &["UPM"]).await;
    let (status, body) = hub.admin("POST", &path, Some(request.clone())).await;
    assert_eq!(status, StatusCode::CREATED, "after acceptance: {body}");

    // A product added to the application after acceptance is not accepted yet: the status
    // falls back and no URL is made, for it or any other product, until its cases pass.
    hub.admin(
        "PATCH",
        &format!("/projects/{project}"),
        Some(json!({ "products": ["UPM", "CASHIER"] })),
    )
    .await;
    let (status, body) = hub.admin("POST", &path, Some(request)).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::CONFLICT, Some("ACCEPTANCE_NOT_PASSED")),
        "a new product reopens acceptance: {body}"
    );
}

/// An inquiry signed by `acqp`, with `agent_token` in `Agent-Token`.
fn inquiry_with_token(acqp: &crate::support::Acqp, agent_token: &str) -> Request<Body> {
    let path = crate::support::INQUIRY;
    let body = json!({"paymentRequestId": "r-authz"}).to_string();
    let signature = acqp
        .signer()
        .sign("POST", path, crate::support::REQUEST_TIME, body.as_bytes())
        .unwrap()
        .format();
    Request::builder()
        .method("POST")
        .uri(path)
        .header("content-type", "application/json; charset=UTF-8")
        .header("client-id", &acqp.client_id)
        .header("request-time", crate::support::REQUEST_TIME)
        .header("signature", signature)
        .header("Agent-Token", agent_token)
        .body(Body::from(body))
        .unwrap()
}

#[tokio::test]
async fn in_tsp_mode_an_active_authorizations_agent_token_opens_the_gateway_until_cancelled() {
    let hub = TestHub::new();
    let acqp = hub.acqp().await;
    let project = acqp.project.id.clone();
    crate::support::passed_acceptance(&hub, &project, &["UPM"]).await;
    let mut alice = Browser::new(&hub);
    alice.bootstrap("alice@example.com").await;
    let url = generate(&mut alice, &project, &["UPM"], false).await;
    let mut bank = acqp_signed_in(&hub, ACQP_EMAIL).await;
    authorize(&mut bank, &url).await;
    let authorization = hub
        .hub
        .project_authorizations(&project)
        .unwrap()
        .authorizations[0]
        .clone();
    let token = authorization.agent_token.clone();
    assert!(
        token.starts_with("agt_") && token != acqp.project.agent_token,
        "the authorization has its own Agent-Token: {token}"
    );
    let (status, view) = hub
        .admin(
            "PATCH",
            &format!("/projects/{project}"),
            Some(json!({ "tspMode": true })),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{view}");

    // Active: the call goes through (to the hub's answer about the unknown payment), and the
    // request log keeps only a hint of the token, saying what it was taken for.
    let path = crate::support::INQUIRY;
    let active = acqp
        .send(&hub, inquiry_with_token(&acqp, &token), path)
        .await;
    assert_eq!(
        active.code(),
        "ORDER_NOT_EXIST",
        "an Active authorization's token is accepted: {}",
        active.raw
    );
    let (_, log) = hub
        .admin("GET", &format!("/projects/{project}/exchanges"), None)
        .await;
    let logged = log.to_string();
    assert!(
        !logged.contains(&token) && logged.contains("an ACQP authorization's Agent-Token"),
        "the token is kept as a hint only: {logged}"
    );

    // Another project's authorization token opens nothing here.
    let other = hub.acqp().await;
    let (status, _) = hub
        .admin(
            "PATCH",
            &format!("/projects/{}", other.project.id),
            Some(json!({ "tspMode": true })),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let foreign = other
        .send(&hub, inquiry_with_token(&other, &token), path)
        .await;
    assert_eq!(
        (foreign.status(), foreign.code()),
        ("F", "ACCESS_DENIED"),
        "another project's authorization token: {}",
        foreign.raw
    );

    // Cancelled by the ACQP: Inactive, and its token is refused, signed, naming the header.
    let cancelled = bank
        .post(
            &format!("/console/authorizations/{}/cancel", authorization.id),
            &[],
        )
        .await;
    assert!(
        cancelled.status.is_redirection() || cancelled.status == StatusCode::OK,
        "cancelled: {} {}",
        cancelled.status,
        cancelled.body
    );
    assert!(
        !hub.hub
            .project_authorizations(&project)
            .unwrap()
            .authorizations[0]
            .is_active(),
        "Inactive after the cancel"
    );
    let refused = acqp
        .send(&hub, inquiry_with_token(&acqp, &token), path)
        .await;
    assert_eq!(
        (refused.status(), refused.code()),
        ("F", "ACCESS_DENIED"),
        "a cancelled authorization's token is refused: {}",
        refused.raw
    );
    assert!(
        refused.message().contains("Agent-Token header")
            && refused.message().contains("Active ACQP authorization"),
        "the refusal names the header and why: {}",
        refused.raw
    );
}
