//! The authorization matrix: every wallet, admin and console route, asked by each kind of
//! caller, and the answer of every cell asserted. The routes are read, not listed: the wallet and
//! admin routes from the OpenAPI document (another test holds it equal to the router) and the
//! console's from its source, so a route added later joins the matrix by itself.
//!
//! Callers: nobody; another merchant of the same project; a revoked merchant; the right
//! merchant (wallet) · nobody; a wrong token; a merchant's session; another project's API token;
//! the project's own API token; the admin token (admin) · nobody; a console user
//! asking for a project it is not a member of; the same user in its own project but naming
//! another project's record; the right user (console). Path parameters name real records: the
//! right principal's own, or, for the "other" callers, records that are not theirs.

use std::collections::BTreeMap;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use http_body_util::BodyExt;
use serde_json::{Value, json};
use tower::ServiceExt;

use crate::openapi::{balanced, crate_file, document, first_string, methods_in};
use crate::support::console::{Browser, member};
use crate::support::wallet::{PNG, put};
use crate::support::{ADMIN_TOKEN, INQUIRY, PAY, TestHub, Wallet, upm_pay, wallet_call};

/// Routes anyone may call: signing in (with a password, an invitation or an acceptance ticket,
/// each the credential itself), the health check, the API's own description.
const PUBLIC_API: [&str; 5] = [
    "POST /wallet/v1/sign-in",
    "POST /wallet/v1/sign-in/invitation",
    "POST /wallet/v1/sign-in/ticket",
    "GET /health",
    "GET /openapi.json",
];

/// Console routes anyone may open: the sign-in, the first user's setup, the style and script.
const PUBLIC_CONSOLE: [&str; 6] = [
    "GET /console/setup",
    "POST /console/setup",
    "GET /console/sign-in",
    "POST /console/sign-in",
    "GET /console/static/console.css",
    "GET /console/static/console.js",
];

/// One answer: status, error code (JSON APIs) and redirect target.
#[derive(Debug, Clone)]
struct Seen {
    status: u16,
    code: String,
    location: String,
}

impl std::fmt::Display for Seen {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.status, self.code)?;
        if !self.location.is_empty() {
            write!(f, " -> {}", self.location)?;
        }
        Ok(())
    }
}

/// A JSON API request with an optional bearer token; the body of an event stream is not read.
async fn ask(hub: &TestHub, method: &str, path: &str, token: Option<&str>) -> Seen {
    let mut request = Request::builder().method(method).uri(path);
    if let Some(token) = token {
        request = request.header(header::AUTHORIZATION, format!("Bearer {token}"));
    }
    let body = if method == "GET" || method == "DELETE" {
        Body::empty()
    } else {
        request = request.header(header::CONTENT_TYPE, "application/json");
        Body::from("{}")
    };
    let response = hub
        .router()
        .oneshot(request.body(body).unwrap())
        .await
        .unwrap();
    let status = response.status().as_u16();
    let location = response
        .headers()
        .get(header::LOCATION)
        .map(|l| l.to_str().unwrap_or_default().to_owned())
        .unwrap_or_default();
    let streaming = response
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|kind| kind.as_bytes().starts_with(b"text/event-stream"));
    let code = if streaming {
        String::new()
    } else {
        let bytes = response.into_body().collect().await.unwrap().to_bytes();
        serde_json::from_slice::<Value>(&bytes).unwrap_or_default()["code"]
            .as_str()
            .unwrap_or_default()
            .to_owned()
    };
    Seen {
        status,
        code,
        location,
    }
}

/// The documented operations of one API (`/wallet/v1` or `/admin/v1`): `METHOD path`.
fn documented(prefix: &str) -> Vec<(String, String)> {
    let doc = document();
    let mut found = Vec::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        if !path.starts_with(prefix) {
            continue;
        }
        for method in item.as_object().expect("a path item").keys() {
            if ["get", "post", "put", "patch", "delete"].contains(&method.as_str()) {
                found.push((method.to_uppercase(), path.clone()));
            }
        }
    }
    found
}

/// Every console route, read from the console's source: `METHOD /console/...`.
fn console_routes() -> Vec<(String, String)> {
    let mut found = Vec::new();
    for file in ["mod", "pages", "accounts", "results", "tools", "acceptance"] {
        let source = crate_file(&format!("src/console/{file}.rs"));
        for (at, _) in source.match_indices(".route(") {
            let args = balanced(&source, at + ".route".len());
            let path = first_string(args);
            for method in methods_in(args) {
                let path = format!("/console{path}");
                let path = path.strip_suffix('/').unwrap_or(&path).to_owned();
                found.push((method.to_uppercase(), path));
            }
        }
    }
    assert!(
        found.len() > 30,
        "the scan of src/console found too few routes: {found:?}"
    );
    found
}

/// Fills `{name}` parameters from `values`.
fn fill(path: &str, values: &BTreeMap<&str, String>) -> String {
    let mut path = path.to_owned();
    for (name, value) in values {
        path = path.replace(&format!("{{{name}}}"), value);
    }
    assert!(
        !path.contains('{'),
        "{path}: a parameter the matrix has no record for; add one to the fixture"
    );
    path
}

/// The records each caller's paths name, and the console user (a member of project 1 only).
struct Fixture<'h> {
    user: Browser<'h>,
    /// The right merchant's session, and another merchant's of the same project.
    right: Wallet,
    other: Wallet,
    /// A merchant whose access was revoked after it signed in (its session and password).
    revoked: Wallet,
    /// The right merchant's records: run, photo, authorization.
    wallet_records: BTreeMap<&'static str, String>,
    /// Project 1's records (the console user is its member), and project 2's.
    mine: BTreeMap<&'static str, String>,
    theirs: BTreeMap<&'static str, String>,
}

async fn project_records(
    hub: &TestHub,
    acqp: &crate::support::Acqp,
    wallet: &Wallet,
    mid: &str,
) -> BTreeMap<&'static str, String> {
    let project = acqp.project.id.clone();
    let run = wallet.start(hub, "UPM-01").await;
    let code = wallet.code(hub, &run).await;
    acqp.call(hub, PAY, &upm_pay(&format!("{mid}-pay"), &code, "100"))
        .await;
    acqp.call(
        hub,
        INQUIRY,
        &json!({"paymentRequestId": format!("{mid}-pay")}),
    )
    .await;
    let (_, forced) = hub
        .admin(
            "POST",
            &format!("/projects/{project}/forced-results"),
            Some(json!({"api": "refund", "resultCode": "RISK_REJECT", "minutes": 30})),
        )
        .await;
    // A merchant invited and not yet signed in: its invitation can be shown, resent, revoked.
    let (_, invited) = hub
        .admin(
            "POST",
            &format!("/projects/{project}/merchants"),
            Some(json!({"name": "Invited", "mid": format!("{mid}-INV"), "email": "inv@shop.example", "products": ["UPM"]})),
        )
        .await;
    let merchant = invited["merchant"]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("an invited merchant: {invited}"))
        .to_owned();
    let (_, exchanges) = hub
        .admin("GET", &format!("/projects/{project}/exchanges"), None)
        .await;
    let seq = exchanges
        .as_array()
        .and_then(|all| all.first())
        .map(|e| e["seq"].to_string())
        .unwrap_or_else(|| panic!("an exchange of {project}: {exchanges}"));
    BTreeMap::from([
        ("id", project),
        ("run", run),
        ("merchant", merchant),
        (
            "forced",
            forced["id"].as_str().unwrap_or_default().to_owned(),
        ),
        ("seq", seq),
        ("attachment", "photo-1".to_owned()),
    ])
}

impl<'h> Fixture<'h> {
    async fn new(hub: &'h TestHub) -> Fixture<'h> {
        let acqp = hub.acqp().await;
        let right = Wallet::sign_in(hub, &acqp, "M-RIGHT").await;
        let other = Wallet::sign_in(hub, &acqp, "M-OTHER").await;
        let revoked = Wallet::sign_in(hub, &acqp, "M-REVOKED").await;
        let mine = project_records(hub, &acqp, &right, "M-RIGHT").await;
        let photo_path = format!("/runs/{}/attachments/photo-1", mine["run"]);
        let (status, photo) = put(hub, right.token(), &photo_path, PNG).await;
        assert_eq!(
            status,
            StatusCode::OK,
            "the right merchant's photo: {photo}"
        );
        // The first console user is a member of the projects that exist when it is set up:
        // project 1 only.
        let mut user = Browser::new(hub);
        user.bootstrap("tsp@example.com").await;
        let theirs_acqp = hub.acqp().await;
        let stranger = Wallet::sign_in(hub, &theirs_acqp, "M-THEIRS").await;
        let mut theirs = project_records(hub, &theirs_acqp, &stranger, "M-THEIRS").await;
        let mut mine = mine;
        let me = member(hub, &mine["id"], "tsp@example.com");
        mine.insert("user", me.id);
        let carol = hub
            .hub
            .create_console_user(
                "carol@example.com",
                "correct horse",
                &[theirs["id"].clone()],
            )
            .unwrap();
        theirs.insert("user", carol.id);
        let (_, merchants) = hub
            .admin("GET", &format!("/projects/{}/merchants", mine["id"]), None)
            .await;
        let revoked_id = merchants
            .as_array()
            .and_then(|all| all.iter().find(|m| m["mid"] == "M-REVOKED"))
            .and_then(|m| m["id"].as_str())
            .unwrap_or_default()
            .to_owned();
        let (status, _) = hub
            .admin(
                "POST",
                &format!("/projects/{}/merchants/{revoked_id}/revoke", mine["id"]),
                None,
            )
            .await;
        assert!(status.is_success(), "M-REVOKED is revoked: {status}");
        let mut wallet_records = BTreeMap::from([
            ("run", mine["run"].clone()),
            ("attachment", "photo-1".to_owned()),
        ]);
        wallet_records.insert(
            "authorization",
            crate::auto_debit::authorized(hub, &acqp, &right).await.0,
        );
        Fixture {
            user,
            right,
            other,
            revoked,
            wallet_records,
            mine,
            theirs,
        }
    }
}

/// A console page or form (an empty one, with the session's CSRF token), as the browser sends it.
async fn open(browser: &mut Browser<'_>, method: &str, url: &str) -> Seen {
    let answer = if method == "GET" {
        browser.get(url).await
    } else {
        // A form the route cannot read (its forms are multipart) is asked again as multipart.
        let answer = browser.post(url, &[]).await;
        if answer.status == StatusCode::BAD_REQUEST {
            browser.upload(url, &[], None).await
        } else {
            answer
        }
    };
    Seen {
        status: answer.status.as_u16(),
        code: String::new(),
        location: answer.location,
    }
}

/// Routes that end the caller's session, asked last.
fn ends_session(path: &str) -> bool {
    path.ends_with("/sign-out") || path.ends_with("/sign-out/everywhere")
}

/// The cells that did not answer as they must, one line each.
#[derive(Default)]
struct Wrong(Vec<String>);

impl Wrong {
    fn check(&mut self, route: &str, caller: &str, seen: &Seen, must: &str, ok: bool) {
        if !ok {
            self.0
                .push(format!("{route} × {caller}: got {seen}, must be {must}"));
        }
    }
}

/// Neither "who are you" nor "not yours": the caller got through to the route's own rules.
fn through(seen: &Seen) -> bool {
    ![401, 403, 404].contains(&seen.status) && !seen.location.ends_with("/console/sign-in")
}

#[tokio::test]
async fn every_route_answers_each_kind_of_caller_as_it_must() {
    let hub = &TestHub::new();
    let mut f = Fixture::new(hub).await;
    let mut wrong = Wrong::default();
    let mut cells = 0usize;

    // The wallet API. Routes that name a record are "not found" to another merchant; the
    // others answer it about its own records. The right merchant's sign-out comes last.
    let mut wallet_routes = documented("/wallet/v1");
    wallet_routes
        .sort_by_key(|(method, path)| (path.ends_with("/sign-out"), path.clone(), method.clone()));
    for (method, path) in &wallet_routes {
        let route = format!("{method} {path}");
        if PUBLIC_API.contains(&route.as_str()) {
            continue;
        }
        let url = fill(path, &f.wallet_records);
        let names_a_record = path.contains('{');
        let nobody = ask(hub, method, &url, None).await;
        wrong.check(&route, "nobody", &nobody, "401", nobody.status == 401);
        let revoked = ask(hub, method, &url, Some(f.revoked.token())).await;
        wrong.check(
            &route,
            "a revoked merchant",
            &revoked,
            "401 SESSION_REVOKED",
            revoked.status == 401 && revoked.code == "SESSION_REVOKED",
        );
        if path.ends_with("/sign-out") {
            cells += 2;
            continue; // another merchant's sign-out ends its own session: no record is named
        }
        let other = ask(hub, method, &url, Some(f.other.token())).await;
        if names_a_record {
            wrong.check(
                &route,
                "another merchant",
                &other,
                "404",
                other.status == 404,
            );
        } else {
            wrong.check(
                &route,
                "another merchant (its own records)",
                &other,
                "through",
                through(&other),
            );
        }
        let right = ask(hub, method, &url, Some(f.right.token())).await;
        wrong.check(
            &route,
            "the right merchant",
            &right,
            "through",
            through(&right),
        );
        cells += 4;
    }
    // What another merchant lists holds none of the right merchant's records.
    for list in ["/runs", "/authorizations"] {
        let (_, listed) = wallet_call(hub, "GET", list, Some(f.other.token()), None).await;
        for record in f.wallet_records.values() {
            assert!(
                !listed.to_string().contains(record.as_str()),
                "another merchant's {list} shows the right merchant's {record}: {listed}"
            );
        }
    }
    let signed_out = ask(hub, "POST", "/wallet/v1/sign-out", Some(f.right.token())).await;
    wrong.check(
        "POST /wallet/v1/sign-out",
        "the right merchant",
        &signed_out,
        "through",
        through(&signed_out),
    );
    let after = ask(hub, "GET", "/wallet/v1/me", Some(f.right.token())).await;
    wrong.check(
        "GET /wallet/v1/me after sign-out",
        "the signed-out merchant",
        &after,
        "401",
        after.status == 401,
    );
    cells += 2;

    // The console: a member of project 1 only (the first user, set up before project 2).
    let user = &mut f.user;
    let mut nobody = Browser::new(hub);
    let mut routes = console_routes();
    routes.sort_by_key(|(method, path)| (ends_session(path), path.clone(), method.clone()));
    for (method, path) in &routes {
        let route = format!("{method} {path}");
        if PUBLIC_CONSOLE.contains(&route.as_str()) {
            continue;
        }
        let url = fill(path, &f.mine);
        let seen = open(&mut nobody, method, &url).await;
        wrong.check(
            &route,
            "nobody",
            &seen,
            "sign-in (303) or 403",
            seen.location.ends_with("/console/sign-in") || seen.status == 403,
        );
        cells += 1;
        if path.contains("/projects/{id}") {
            let seen = open(user, method, &fill(path, &f.theirs)).await;
            wrong.check(
                &route,
                "a user of another project",
                &seen,
                "404",
                seen.status == 404,
            );
            cells += 1;
            if path.matches('{').count() > 1 {
                let mut crossed = f.theirs.clone();
                crossed.insert("id", f.mine["id"].clone());
                let seen = open(user, method, &fill(path, &crossed)).await;
                wrong.check(
                    &route,
                    "the user, another project's record",
                    &seen,
                    "404",
                    seen.status == 404,
                );
                cells += 1;
            }
        }
        let seen = open(user, method, &url).await;
        if ends_session(path) {
            let after = open(user, "GET", "/console/projects").await;
            wrong.check(
                &route,
                "the user signing out",
                &after,
                "signed out: the next page is the sign-in",
                after.location.ends_with("/console/sign-in"),
            );
        } else {
            wrong.check(
                &route,
                "the project's user",
                &seen,
                "through",
                through(&seen),
            );
        }
        cells += 1;
    }

    // The admin API (after the console, whose invitation page needs the invitation the admin's
    // revoke ends): the admin token, or a project's API token for that project's routes.
    // Another project's records through this project's path are not found.
    // A project's API token for CI opens that project's routes and nothing else.
    let token_of = |project: &str, email: &str| {
        hub.hub
            .rotate_project_token(&member(hub, project, email), project)
            .unwrap()
            .token
    };
    let my_token = token_of(&f.mine["id"], "tsp@example.com");
    let their_token = token_of(&f.theirs["id"], "carol@example.com");
    for (method, path) in documented("/admin/v1") {
        let route = format!("{method} {path}");
        let url = fill(&path, &f.mine);
        if path.starts_with("/admin/v1/projects/{id}") {
            let foreign = ask(hub, &method, &url, Some(&their_token)).await;
            wrong.check(
                &route,
                "another project's API token",
                &foreign,
                "403 FORBIDDEN",
                foreign.status == 403 && foreign.code == "FORBIDDEN",
            );
            cells += 1;
            // Reading with the project's own token (a write would be undone by the admin's
            // write below, which asks the same record).
            if method == "GET" {
                let own = ask(hub, &method, &url, Some(&my_token)).await;
                wrong.check(
                    &route,
                    "the project's API token",
                    &own,
                    "through",
                    through(&own),
                );
                cells += 1;
            }
        } else {
            let scoped = ask(hub, &method, &url, Some(&my_token)).await;
            wrong.check(
                &route,
                "a project's API token on a hub-wide route",
                &scoped,
                "403 FORBIDDEN",
                scoped.status == 403 && scoped.code == "FORBIDDEN",
            );
            cells += 1;
        }
        let nobody = ask(hub, &method, &url, None).await;
        wrong.check(&route, "nobody", &nobody, "401", nobody.status == 401);
        let guess = ask(hub, &method, &url, Some("not-the-admin-token")).await;
        wrong.check(&route, "a wrong token", &guess, "401", guess.status == 401);
        let merchant = ask(hub, &method, &url, Some(f.other.token())).await;
        wrong.check(
            &route,
            "a merchant's session",
            &merchant,
            "401",
            merchant.status == 401,
        );
        cells += 3;
        if path.matches('{').count() > 1 {
            let mut crossed = f.theirs.clone();
            crossed.insert("id", f.mine["id"].clone());
            let url = fill(&path, &crossed);
            let seen = ask(hub, &method, &url, Some(ADMIN_TOKEN)).await;
            wrong.check(
                &route,
                "the admin, another project's record",
                &seen,
                "404",
                seen.status == 404,
            );
            cells += 1;
        }
        let right = ask(hub, &method, &url, Some(ADMIN_TOKEN)).await;
        wrong.check(
            &route,
            "the admin token",
            &right,
            "through",
            through(&right),
        );
        cells += 1;
    }

    assert!(
        wrong.0.is_empty(),
        "{} of {cells} cells answered wrongly:\n{}",
        wrong.0.len(),
        wrong.0.join("\n")
    );
    eprintln!("authorization matrix: {cells} cells, every one as it must be");
}
