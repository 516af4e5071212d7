//! The wallet API's real answers against the document: sign-in and sign-out, cases, runs of
//! UPM-01 (manual answer), MOC-01 (scan, back out, attachments, open a URL), MPC-02 (a code the
//! merchant never issued) and UPM-02 (confirm, decline), the run's event stream, and
//! authorizations.

use axum::body::Body;
use axum::http::{Request, StatusCode};
use serde_json::{Value, json};

use super::schema::{Conformance, raw};
use super::upm_02_confirmed_and_declined;
use crate::support::{PAY, TestHub, Wallet, order_code_pay, upm_pay, wallet_call};

#[tokio::test]
async fn real_wallet_answers_match_the_documented_schemas() {
    let hub = TestHub::new();
    let mut c = Conformance::new();

    // A merchant invited, then sent a new invitation: the first code no longer signs in.
    let acqp = hub.acqp().await;
    let project = acqp.project.id.clone();
    let (status, invited) = hub
        .admin(
            "POST",
            &format!("/projects/{project}/merchants"),
            Some(json!({"name": "Cafe", "mid": "D1", "email": "d1@shop.example", "products": ["UPM"]})),
        )
        .await;
    c.check(
        "POST",
        "/admin/v1/projects/{id}/merchants",
        status,
        &invited,
    );
    let merchant = invited["merchant"]["id"].as_str().unwrap().to_owned();
    let (status, body) = hub
        .admin(
            "POST",
            &format!("/projects/{project}/merchants/{merchant}/resend"),
            None,
        )
        .await;
    c.check(
        "POST",
        "/admin/v1/projects/{id}/merchants/{merchant}/resend",
        status,
        &body,
    );

    // Wallet: sign in, cases, runs of UPM-01 (manual answer) and UPM-02 (confirm, decline).
    let code = invited["invitation"]["code"].as_str().unwrap();
    let request = Request::builder()
        .method("POST")
        .uri("/wallet/v1/sign-in/invitation")
        .body(Body::from(
            json!({"invitationCode": code, "password": "long enough"}).to_string(),
        ))
        .unwrap();
    let (status, body) = raw(&hub, request).await;
    assert_eq!(
        status,
        StatusCode::UNAUTHORIZED,
        "the resend replaced the code: {body}"
    );
    c.check("POST", "/wallet/v1/sign-in/invitation", status, &body);
    let request = Request::builder()
        .method("POST")
        .uri("/wallet/v1/sign-in")
        .body(Body::from(
            json!({"login": "D1", "password": "long enough"}).to_string(),
        ))
        .unwrap();
    let (status, body) = raw(&hub, request).await;
    c.check("POST", "/wallet/v1/sign-in", status, &body);
    let (_, products) = hub
        .admin(
            "PATCH",
            &format!("/projects/{}", acqp.project.id),
            Some(json!({"products": ["UPM"], "tspMode": true})),
        )
        .await;
    let (_, minted) = hub
        .admin(
            "POST",
            &format!("/projects/{}/acceptance/session", acqp.project.id),
            Some(json!({})),
        )
        .await;
    let ticket = minted["ticket"]
        .as_str()
        .unwrap_or_else(|| panic!("{products} {minted}"));
    for ticket in [ticket, ticket, "tkt_nope"] {
        let request = Request::builder()
            .method("POST")
            .uri("/wallet/v1/sign-in/ticket")
            .body(Body::from(json!({"ticket": ticket}).to_string()))
            .unwrap();
        let (status, body) = raw(&hub, request).await;
        c.check("POST", "/wallet/v1/sign-in/ticket", status, &body);
    }
    // The rest plays an ACQP that sends no Agent-Token: TSP mode off again.
    hub.admin(
        "PATCH",
        &format!("/projects/{}", acqp.project.id),
        Some(json!({"tspMode": false})),
    )
    .await;

    let wallet = Wallet::sign_in(&hub, &acqp, "D9").await;
    let (status, body) = wallet.send(&hub, "GET", "/me", None).await;
    c.check("GET", "/wallet/v1/me", status, &body);
    let (status, cases) = wallet.send(&hub, "GET", "/cases", None).await;
    c.check("GET", "/wallet/v1/cases", status, &cases);
    let (status, body) = wallet
        .send(&hub, "POST", "/runs", Some(json!({"caseId": "NOPE-99"})))
        .await;
    c.check("POST", "/wallet/v1/runs", status, &body);

    let (status, run) = wallet
        .send(&hub, "POST", "/runs", Some(json!({"caseId": "UPM-01"})))
        .await;
    c.check("POST", "/wallet/v1/runs", status, &run);
    let run = run["id"].as_str().unwrap().to_owned();
    let (status, issued) = wallet
        .send(&hub, "POST", &format!("/runs/{run}/payment-code"), None)
        .await;
    c.check(
        "POST",
        "/wallet/v1/runs/{run}/payment-code",
        status,
        &issued,
    );
    let reply = acqp
        .call(
            &hub,
            PAY,
            &upm_pay("docs-1", issued["code"].as_str().unwrap(), "1000"),
        )
        .await;
    assert_eq!(reply.code(), "SUCCESS", "{}", reply.raw);
    hub.hub.deliver_due().await.unwrap();
    let (status, body) = wallet
        .send(&hub, "POST", &format!("/runs/{run}/confirm"), None)
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "nothing waits: {body}");
    c.check("POST", "/wallet/v1/runs/{run}/confirm", status, &body);
    let (status, body) = wallet
        .send(
            &hub,
            "POST",
            &format!("/runs/{run}/manual-answers"),
            Some(json!({"writeId": "w-1", "questionId": "pos-shows-success", "answer": true, "note": "ok"})),
        )
        .await;
    c.check(
        "POST",
        "/wallet/v1/runs/{run}/manual-answers",
        status,
        &body,
    );
    let (status, body) = wallet
        .send(&hub, "GET", &format!("/runs/{run}"), None)
        .await;
    assert_ne!(body["verdict"], Value::Null, "decided: {body}");
    c.check("GET", "/wallet/v1/runs/{run}", status, &body);
    c.check_event_stream(&hub, wallet.token(), &run).await;
    let (status, body) = wallet
        .send(&hub, "GET", "/runs/run_nope/events", None)
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    c.check("GET", "/wallet/v1/runs/{run}/events", status, &body);

    // An order code: the wallet scans it, then leaves without paying.
    let (status, run) = wallet
        .send(&hub, "POST", "/runs", Some(json!({"caseId": "MOC-01"})))
        .await;
    c.check("POST", "/wallet/v1/runs", status, &run);
    let run = run["id"].as_str().unwrap().to_owned();
    let reply = acqp
        .call(&hub, PAY, &order_code_pay("docs-4", "4200"))
        .await;
    let order = reply.body["orderCodeForm"]["codeDetails"][0]["codeValue"]
        .as_str()
        .unwrap_or_else(|| panic!("an order code: {}", reply.raw))
        .to_owned();
    for text in [order.as_str(), "hello", ""] {
        let (status, body) = wallet
            .send(
                &hub,
                "POST",
                &format!("/runs/{run}/scan"),
                Some(json!({"codeValue": text})),
            )
            .await;
        c.check("POST", "/wallet/v1/runs/{run}/scan", status, &body);
        if text == order {
            assert_eq!(body["next"], "confirm", "{body}");
        }
    }
    let (status, body) = wallet
        .send(&hub, "POST", &format!("/runs/{run}/unissued-code"), None)
        .await;
    assert_eq!(
        status,
        StatusCode::CONFLICT,
        "MOC-01 scans the POS's code: {body}"
    );
    c.check("POST", "/wallet/v1/runs/{run}/unissued-code", status, &body);
    let (status, body) = wallet
        .send(&hub, "POST", &format!("/runs/{run}/back-out"), None)
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    c.check("POST", "/wallet/v1/runs/{run}/back-out", status, &body);
    for (id, bytes) in [
        ("docs-photo", crate::support::wallet::PNG),
        ("docs-photo", &b"\xFF\xD8\xFF other"[..]),
        ("docs-bad", &b"GIF89a"[..]),
    ] {
        let (status, body) = crate::support::wallet::put(
            &hub,
            wallet.token(),
            &format!("/runs/{run}/attachments/{id}"),
            bytes,
        )
        .await;
        c.check(
            "PUT",
            "/wallet/v1/runs/{run}/attachments/{attachment}",
            status,
            &body,
        );
    }
    for id in ["docs-photo", "none"] {
        let (status, body) = wallet
            .send(&hub, "GET", &format!("/runs/{run}/attachments/{id}"), None)
            .await;
        c.check(
            "GET",
            "/wallet/v1/runs/{run}/attachments/{attachment}",
            status,
            &body,
        );
    }
    let (status, body) = wallet
        .send(
            &hub,
            "POST",
            "/authorizations",
            Some(json!({"authUrl": "http://127.0.0.1:8480/authorize/auth_none"})),
        )
        .await;
    c.check("POST", "/wallet/v1/authorizations", status, &body);
    let prepared = acqp
        .call(&hub, "/aps/api/v1/authorizations/prepare", &json!({
            "customerBelongsTo": "TEST_WALLET", "authClientId": "M1", "authRedirectUrl": "https://acqp.example/back",
            "scopes": ["AGREEMENT_PAY"], "authState": "s"
        }))
        .await;
    let (status, body) = wallet
        .send(
            &hub,
            "POST",
            "/authorizations/inspect",
            Some(json!({"authUrl": prepared.body["authUrl"]})),
        )
        .await;
    c.check("POST", "/wallet/v1/authorizations/inspect", status, &body);
    let (status, body) = wallet
        .send(
            &hub,
            "POST",
            "/authorizations",
            Some(json!({"authUrl": prepared.body["authUrl"]})),
        )
        .await;
    c.check("POST", "/wallet/v1/authorizations", status, &body);
    let (status, listed) = wallet.send(&hub, "GET", "/authorizations", None).await;
    c.check("GET", "/wallet/v1/authorizations", status, &listed);
    let declining = acqp
        .call(&hub, "/aps/api/v1/authorizations/prepare", &json!({
            "customerBelongsTo": "TEST_WALLET", "authClientId": "M1", "authRedirectUrl": "https://acqp.example/back",
            "scopes": ["AGREEMENT_PAY"], "authState": "s2"
        }))
        .await;
    for url in [declining.body["authUrl"].clone(), json!("")] {
        let (status, declined) = wallet
            .send(
                &hub,
                "POST",
                "/authorizations/decline",
                Some(json!({"authUrl": url})),
            )
            .await;
        c.check(
            "POST",
            "/wallet/v1/authorizations/decline",
            status,
            &declined,
        );
    }
    for url in ["https://acqp.example/shop/return/1", ""] {
        let (status, body) = wallet
            .send(
                &hub,
                "POST",
                &format!("/runs/{run}/redirected"),
                Some(json!({"url": url})),
            )
            .await;
        c.check("POST", "/wallet/v1/runs/{run}/redirected", status, &body);
    }
    for id in [body["id"].as_str().unwrap_or("auth_none"), "auth_none"] {
        let (status, body) = wallet
            .send(&hub, "POST", &format!("/authorizations/{id}/revoke"), None)
            .await;
        c.check(
            "POST",
            "/wallet/v1/authorizations/{authorization}/revoke",
            status,
            &body,
        );
    }
    for url in ["http://127.0.0.1:8480/checkout/none", ""] {
        let (status, body) = wallet
            .send(
                &hub,
                "POST",
                &format!("/runs/{run}/open-url"),
                Some(json!({"url": url})),
            )
            .await;
        c.check("POST", "/wallet/v1/runs/{run}/open-url", status, &body);
    }

    // MPC-02: a code the merchant never issued, once the project registers its domain.
    let (status, run) = wallet
        .send(&hub, "POST", "/runs", Some(json!({"caseId": "MPC-02"})))
        .await;
    c.check("POST", "/wallet/v1/runs", status, &run);
    let run = run["id"].as_str().unwrap().to_owned();
    let (status, body) = hub
        .admin(
            "PATCH",
            &format!("/projects/{project}"),
            Some(json!({"privateCodeDomains": ["pay.acqp.example"]})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    for id in [run.as_str(), "run_nope"] {
        let (status, body) = wallet
            .send(&hub, "POST", &format!("/runs/{id}/unissued-code"), None)
            .await;
        c.check("POST", "/wallet/v1/runs/{run}/unissued-code", status, &body);
    }

    upm_02_confirmed_and_declined(&mut c, &hub, &acqp, &wallet).await;
    let (status, body) = wallet.send(&hub, "GET", "/runs", None).await;
    c.check("GET", "/wallet/v1/runs", status, &body);

    // Sign-in once more to sign out, then the token is refused.
    let (status, session) = wallet_call(
        &hub,
        "POST",
        "/sign-in",
        None,
        Some(json!({"login": "D9", "password": "long enough"})),
    )
    .await;
    c.check("POST", "/wallet/v1/sign-in", status, &session);
    let token = session["token"].as_str().unwrap().to_owned();
    let (status, body) = wallet_call(&hub, "POST", "/sign-out", Some(&token), None).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    c.check("POST", "/wallet/v1/sign-out", status, &body);
    let (status, body) = wallet_call(&hub, "GET", "/me", Some(&token), None).await;
    c.check("GET", "/wallet/v1/me", status, &body);

    c.finish("/wallet/");
}
