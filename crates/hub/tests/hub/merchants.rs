//! Test accounts: invitations, first sign-in with a password, later sign-ins, sessions that
//! expire when idle, imports that create every row or none.

use axum::body::Body;
use axum::http::{Request, StatusCode};
use chrono::Duration;
use http_body_util::BodyExt;
use linker_hub::Clock;
use serde_json::{Value, json};
use tower::ServiceExt;

use crate::support::TestHub;
use crate::support::wallet_call as wallet;

async fn invite(hub: &TestHub, project: &str, mid: &str) -> Value {
    let (status, invited) = hub
        .admin(
            "POST",
            &format!("/projects/{project}/merchants"),
            Some(json!({"name": "Linker Cafe", "mid": mid, "email": format!("{mid}@shop.example"), "products": ["UPM", "MPM"]})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{invited}");
    invited
}

#[tokio::test]
async fn an_invitation_signs_in_once_sets_the_password_and_activates_the_merchant() {
    let hub = TestHub::new();
    let acqp = hub.acqp().await;
    let invited = invite(&hub, &acqp.project.id, "M001").await;
    assert_eq!(invited["merchant"]["status"], "inactive");
    assert_eq!(
        invited["merchant"]["products"],
        json!(["UPM", "ORDER_CODE", "PRIVATE_ORDER_CODE", "ENTRY_CODE"]),
        "MPM expands"
    );
    let code = invited["invitation"]["code"].as_str().unwrap();
    assert!(
        invited["invitation"]["link"]
            .as_str()
            .unwrap()
            .ends_with(code)
    );

    let (status, error) = wallet(
        &hub,
        "POST",
        "/sign-in/invitation",
        None,
        Some(json!({"invitationCode": code, "password": "short"})),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{error}");
    assert!(
        error["message"].as_str().unwrap().contains("password"),
        "{error}"
    );

    // Typed in lowercase without dashes: still the same code.
    let typed = code.replace('-', "").to_lowercase();
    let (status, session) = wallet(
        &hub,
        "POST",
        "/sign-in/invitation",
        None,
        Some(json!({"invitationCode": typed, "password": "correct horse"})),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{session}");
    assert_eq!(session["merchant"]["status"], "active");
    let token = session["token"].as_str().unwrap();
    let (status, me) = wallet(&hub, "GET", "/me", Some(token), None).await;
    assert_eq!((status, me["mid"].as_str()), (StatusCode::OK, Some("M001")));

    let (status, error) = wallet(
        &hub,
        "POST",
        "/sign-in/invitation",
        None,
        Some(json!({"invitationCode": code, "password": "another pass"})),
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(
        error["message"].as_str().unwrap().contains("already used"),
        "{error}"
    );

    for login in ["M001", "m001@shop.example", "M001@Shop.Example"] {
        let (status, again) = wallet(
            &hub,
            "POST",
            "/sign-in",
            None,
            Some(json!({"login": login, "password": "correct horse"})),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{login}: {again}");
    }
    let (status, error) = wallet(
        &hub,
        "POST",
        "/sign-in",
        None,
        Some(json!({"login": "M001", "password": "wrong horse"})),
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(error["code"], "WRONG_CREDENTIALS", "{error}");
}

#[tokio::test]
async fn wrong_and_expired_invitations_say_so() {
    let hub = TestHub::new();
    let acqp = hub.acqp().await;
    let invited = invite(&hub, &acqp.project.id, "M002").await;
    let (status, error) = wallet(
        &hub,
        "POST",
        "/sign-in/invitation",
        None,
        Some(json!({"invitationCode": "AAAA-BBBB-CCCC", "password": "long enough"})),
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(error["code"], "INVITATION_INVALID", "{error}");
    assert!(
        error["message"].as_str().unwrap().contains("not valid"),
        "{error}"
    );
    hub.clock.advance(Duration::days(15));
    let code = invited["invitation"]["code"].as_str().unwrap();
    let (status, error) = wallet(
        &hub,
        "POST",
        "/sign-in/invitation",
        None,
        Some(json!({"invitationCode": code, "password": "long enough"})),
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(error["code"], "INVITATION_EXPIRED", "{error}");
    assert!(
        error["message"].as_str().unwrap().contains("expired"),
        "{error}"
    );

    let (_, resent) = hub
        .admin(
            "POST",
            &format!(
                "/projects/{}/merchants/{}/resend",
                acqp.project.id,
                invited["merchant"]["id"].as_str().unwrap()
            ),
            None,
        )
        .await;
    let fresh = resent["invitation"]["code"].as_str().unwrap();
    let (status, _) = wallet(
        &hub,
        "POST",
        "/sign-in/invitation",
        None,
        Some(json!({"invitationCode": fresh, "password": "long enough"})),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "a resent invitation works");
    let (status, error) = wallet(
        &hub,
        "POST",
        "/sign-in/invitation",
        None,
        Some(json!({"invitationCode": fresh, "password": "long enough"})),
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        error["code"], "INVITATION_USED",
        "an invitation works once: {error}"
    );
}

#[tokio::test]
async fn sessions_expire_after_30_idle_minutes_and_sign_out_revokes_them() {
    let hub = TestHub::new();
    let acqp = hub.acqp().await;
    let invited = invite(&hub, &acqp.project.id, "M003").await;
    let code = invited["invitation"]["code"].as_str().unwrap();
    let (_, session) = wallet(
        &hub,
        "POST",
        "/sign-in/invitation",
        None,
        Some(json!({"invitationCode": code, "password": "long enough"})),
    )
    .await;
    let token = session["token"].as_str().unwrap().to_owned();

    hub.clock.advance(Duration::minutes(29));
    assert_eq!(
        wallet(&hub, "GET", "/me", Some(&token), None).await.0,
        StatusCode::OK,
        "29 min idle is fine"
    );
    hub.clock.advance(Duration::minutes(29));
    assert_eq!(
        wallet(&hub, "GET", "/me", Some(&token), None).await.0,
        StatusCode::OK,
        "use resets the idle timer"
    );
    hub.clock.advance(Duration::minutes(30));
    let (status, error) = wallet(&hub, "GET", "/me", Some(&token), None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(error["code"], "SESSION_EXPIRED", "{error}");
    assert!(
        error["message"].as_str().unwrap().contains("expired"),
        "{error}"
    );

    let (_, session) = wallet(
        &hub,
        "POST",
        "/sign-in",
        None,
        Some(json!({"login": "M003", "password": "long enough"})),
    )
    .await;
    let token = session["token"].as_str().unwrap().to_owned();
    assert_eq!(
        wallet(&hub, "POST", "/sign-out", Some(&token), None)
            .await
            .0,
        StatusCode::NO_CONTENT
    );
    let (status, error) = wallet(&hub, "GET", "/me", Some(&token), None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(error["code"], "SESSION_REVOKED", "{error}");
    let _ = hub.clock.now();
}

/// POSTs a merchant file to the admin API's import; the status and the JSON answer.
pub async fn import_sheet(
    hub: &TestHub,
    project: &str,
    file: impl Into<Body>,
) -> (StatusCode, Value) {
    let request = Request::builder()
        .method("POST")
        .uri(format!("/admin/v1/projects/{project}/merchants/import"))
        .header(
            "authorization",
            format!("Bearer {}", crate::support::ADMIN_TOKEN),
        )
        .body(file.into())
        .unwrap();
    let response = hub.router().oneshot(request).await.unwrap();
    let status = response.status();
    let body = response.into_body().collect().await.unwrap().to_bytes();
    (status, serde_json::from_slice(&body).unwrap())
}

#[tokio::test]
async fn an_import_creates_every_row_or_none_and_names_each_bad_row_by_its_line() {
    let hub = TestHub::new();
    let acqp = hub.acqp().await;
    let project = acqp.project.id.as_str();
    let good = "name,mid,email,products\n\
                Cafe One,M100,one@shop.example,UPM\n\
                \"Cafe, Two\",M101,two@shop.example,\"UPM,MPM\"\n";
    let bad = format!(
        "{good}Cafe Dup,M100,dup@shop.example,UPM\n\
         Cafe Bad,M102,not-an-email,UPM\n\
         Cafe Odd,M103,odd@shop.example,TELEPORT\n"
    );
    let (status, error) = import_sheet(&hub, project, bad).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{error}");
    assert_eq!(error["code"], "INVALID_INPUT", "{error}");
    let message = error["message"].as_str().unwrap();
    let lines: Vec<&str> = message.lines().collect();
    assert_eq!(
        lines[0],
        "file: 3 of 5 rows are wrong, so no merchant was created; fix them and import the file again:",
        "{message}"
    );
    assert!(
        lines[1].starts_with("line 4 (M100): mid: M100 appears twice")
            && lines[2].starts_with("line 5 (M102): email")
            && lines[3].starts_with("line 6 (M103): products")
            && lines[3].contains("TELEPORT")
            && lines.len() == 4,
        "each bad row by its line, and only those: {message}"
    );
    let (_, merchants) = hub
        .admin("GET", &format!("/projects/{project}/merchants"), None)
        .await;
    assert_eq!(
        merchants.as_array().unwrap().len(),
        0,
        "the good rows were not created either: {merchants}"
    );

    let (status, report) = import_sheet(&hub, project, good).await;
    assert_eq!(status, StatusCode::OK, "{report}");
    let rows = report.as_array().unwrap();
    let created: Vec<(u64, &str)> = rows
        .iter()
        .map(|r| (r["line"].as_u64().unwrap(), r["mid"].as_str().unwrap()))
        .collect();
    assert_eq!(created, [(2, "M100"), (3, "M101")], "{report}");
    assert_eq!(rows[1]["invited"]["merchant"]["name"], "Cafe, Two");
    assert!(
        rows[1]["invited"]["invitation"]["code"].is_string(),
        "{report}"
    );
    let (_, merchants) = hub
        .admin("GET", &format!("/projects/{project}/merchants"), None)
        .await;
    assert_eq!(merchants.as_array().unwrap().len(), 2);

    let (status, error) = hub
        .admin(
            "POST",
            &format!("/projects/{}/merchants", acqp.project.id),
            Some(json!({"name": "X", "mid": "M9", "email": "x@shop.example", "products": []})),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{error}");
}

#[tokio::test]
async fn a_revoked_merchant_cannot_sign_back_in_any_way_until_invited_again() {
    let hub = TestHub::new();
    let acqp = hub.acqp().await;
    let invited = invite(&hub, &acqp.project.id, "M009").await;
    let merchant_id = invited["merchant"]["id"].as_str().unwrap().to_owned();
    let code = invited["invitation"]["code"].as_str().unwrap().to_owned();
    let (_, session) = wallet(
        &hub,
        "POST",
        "/sign-in/invitation",
        None,
        Some(json!({"invitationCode": code, "password": "long enough"})),
    )
    .await;
    let token = session["token"].as_str().unwrap().to_owned();
    let revoke = format!(
        "/projects/{}/merchants/{merchant_id}/revoke",
        acqp.project.id
    );
    let (status, _) = hub.admin("POST", &revoke, None).await;
    assert!(status.is_success(), "revoked: {status}");

    let (_, listed) = hub
        .admin(
            "GET",
            &format!("/projects/{}/merchants", acqp.project.id),
            None,
        )
        .await;
    let row = listed
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["id"] == merchant_id.as_str())
        .unwrap();
    assert_eq!(row["status"], "revoked", "the list says Revoked: {row}");

    let (status, error) = wallet(&hub, "GET", "/me", Some(&token), None).await;
    assert_eq!(
        status,
        StatusCode::UNAUTHORIZED,
        "the open session ends: {error}"
    );
    let (status, error) = wallet(
        &hub,
        "POST",
        "/sign-in",
        None,
        Some(json!({"login": "M009", "password": "long enough"})),
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{error}");
    assert_eq!(
        error["code"], "ACCESS_REVOKED",
        "the password no longer opens it: {error}"
    );
    let (status, error) = wallet(
        &hub,
        "POST",
        "/sign-in",
        None,
        Some(json!({"login": "M009", "password": "a wrong guess"})),
    )
    .await;
    assert_eq!(
        (status, error["code"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("WRONG_CREDENTIALS")),
        "a stranger without the password learns nothing of the revocation: {error}"
    );
    let (status, error) = wallet(
        &hub,
        "POST",
        "/sign-in/invitation",
        None,
        Some(json!({"invitationCode": code, "password": "another long one"})),
    )
    .await;
    assert_eq!(
        status,
        StatusCode::UNAUTHORIZED,
        "the old invitation is dead: {error}"
    );

    // Invited again: a new password through the new invitation, and the old one is gone.
    let (status, again) = hub
        .admin(
            "POST",
            &format!(
                "/projects/{}/merchants/{merchant_id}/resend",
                acqp.project.id
            ),
            None,
        )
        .await;
    assert!(status.is_success(), "{status} {again}");
    let new_code = again["invitation"]["code"].as_str().unwrap();
    let (status, session) = wallet(
        &hub,
        "POST",
        "/sign-in/invitation",
        None,
        Some(json!({"invitationCode": new_code, "password": "a brand new one"})),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{session}");
    let (status, error) = wallet(
        &hub,
        "POST",
        "/sign-in",
        None,
        Some(json!({"login": "M009", "password": "long enough"})),
    )
    .await;
    assert_eq!(
        (status, error["code"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("WRONG_CREDENTIALS")),
        "the password from before the revocation stays dead: {error}"
    );
}

#[tokio::test]
async fn wrong_passwords_for_a_login_are_limited_and_say_how_long_to_wait() {
    let hub = TestHub::new();
    let acqp = hub.acqp().await;
    let invited = invite(&hub, &acqp.project.id, "M010").await;
    let code = invited["invitation"]["code"].as_str().unwrap();
    wallet(
        &hub,
        "POST",
        "/sign-in/invitation",
        None,
        Some(json!({"invitationCode": code, "password": "long enough"})),
    )
    .await;
    let attempt = |password: &'static str| {
        let hub = &hub;
        async move {
            wallet(
                hub,
                "POST",
                "/sign-in",
                None,
                Some(json!({"login": "M010", "password": password})),
            )
            .await
        }
    };
    for n in 1..=4 {
        let (status, error) = attempt("a wrong guess").await;
        assert_eq!(
            (status, error["code"].as_str()),
            (StatusCode::UNAUTHORIZED, Some("WRONG_CREDENTIALS")),
            "guess {n}: {error}"
        );
    }
    let (status, _) = attempt("a wrong guess").await;
    assert_eq!(
        status,
        StatusCode::UNAUTHORIZED,
        "the 5th guess is still an answer"
    );
    let (status, error) = attempt("long enough").await;
    assert_eq!(
        (status, error["code"].as_str()),
        (StatusCode::TOO_MANY_REQUESTS, Some("TOO_MANY_ATTEMPTS")),
        "after 5 wrong guesses even the right password waits: {error}"
    );
    assert!(
        error["message"]
            .as_str()
            .unwrap()
            .contains("try again in 30 s"),
        "{error}"
    );
    hub.clock.advance(Duration::seconds(31));
    let (status, session) = attempt("long enough").await;
    assert_eq!(
        status,
        StatusCode::OK,
        "after the wait the owner gets in: {session}"
    );
    let (status, _) = attempt("a wrong guess").await;
    assert_eq!(
        status,
        StatusCode::UNAUTHORIZED,
        "getting in cleared the count: a new wrong guess is just wrong"
    );
    // An unknown login is limited the same way (and costs the same work).
    for _ in 0..5 {
        wallet(
            &hub,
            "POST",
            "/sign-in",
            None,
            Some(json!({"login": "nobody", "password": "x"})),
        )
        .await;
    }
    let (status, _) = wallet(
        &hub,
        "POST",
        "/sign-in",
        None,
        Some(json!({"login": "nobody", "password": "x"})),
    )
    .await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
}

#[tokio::test]
async fn names_with_line_breaks_are_refused_so_no_header_can_be_smuggled_into_a_mail() {
    let hub = TestHub::new();
    let acqp = hub.acqp().await;
    for (field, name, mid) in [
        ("name", "Cafe\r\nBcc: someone@evil.example", "M020"),
        ("mid", "Cafe", "M021\nX"),
        ("name", "Cafe\u{7}", "M022"),
    ] {
        let (status, error) = hub
            .admin(
                "POST",
                &format!("/projects/{}/merchants", acqp.project.id),
                Some(json!({"name": name, "mid": mid, "email": "a@shop.example", "products": ["UPM"]})),
            )
            .await;
        assert_eq!(
            status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{name:?}/{mid:?}: {error}"
        );
        assert!(
            error["message"]
                .as_str()
                .unwrap()
                .starts_with(&format!("{field}:")),
            "the field is named: {error}"
        );
    }
    let (status, error) = hub
        .admin(
            "PATCH",
            &format!("/projects/{}", acqp.project.id),
            Some(json!({"name": "Linker\r\nSubject: free money"})),
        )
        .await;
    assert_eq!(
        status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "a project's name too: {error}"
    );
}
