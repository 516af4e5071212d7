//! Auto Debit end to end: prepare, the customer grants in the wallet (authNotify
//! AUTHCODE_CREATED), applyToken, pay with the token, cancelToken; and a revocation in the wallet
//! (TOKEN_CANCELED) that makes the token fail.

use serde_json::json;

use crate::support::Wallet;
use crate::support::{Ack, NotifyEndpoint};
use crate::support::{Acqp, PAY, TestHub, agreement_pay};

const PREPARE: &str = "/aps/api/v1/authorizations/prepare";
const APPLY: &str = "/aps/api/v1/authorizations/applyToken";
const CANCEL_TOKEN: &str = "/aps/api/v1/authorizations/cancelToken";

/// An Auto Debit authorization the merchant granted in its wallet, and the access token the
/// ACQP got for it: (authorization id, access token).
pub(crate) async fn authorized(hub: &TestHub, acqp: &Acqp, wallet: &Wallet) -> (String, String) {
    let prepared = acqp
        .call(hub, PREPARE, &json!({
            "customerBelongsTo": "TEST_WALLET", "authClientId": "M0001",
            "authRedirectUrl": "https://acqp.example/back", "scopes": ["AGREEMENT_PAY"], "authState": "st-1"
        }))
        .await;
    assert_eq!(prepared.code(), "SUCCESS", "{}", prepared.raw);
    let auth_url = prepared.body["authUrl"].as_str().unwrap().to_owned();
    let (status, granted) = wallet
        .send(
            hub,
            "POST",
            "/authorizations",
            Some(json!({"authUrl": auth_url})),
        )
        .await;
    assert_eq!(status.as_u16(), 200, "{granted}");
    assert!(
        granted["redirectUrl"]
            .as_str()
            .unwrap()
            .contains("authState=st-1"),
        "{granted}"
    );
    let code = granted["authCode"].as_str().unwrap().to_owned();
    let token = acqp
        .call(
            hub,
            APPLY,
            &json!({"grantType": "AUTHORIZATION_CODE", "authCode": code}),
        )
        .await;
    assert_eq!(token.code(), "SUCCESS", "{}", token.raw);
    let again = acqp
        .call(
            hub,
            APPLY,
            &json!({"grantType": "AUTHORIZATION_CODE", "authCode": code}),
        )
        .await;
    assert_eq!(
        again.code(),
        "INVALID_CODE",
        "a code is exchanged once: {}",
        again.raw
    );
    (
        granted["id"].as_str().unwrap().to_owned(),
        token.body["accessToken"].as_str().unwrap().to_owned(),
    )
}

#[tokio::test]
async fn authorize_notify_apply_debit_and_unbind() {
    let hub = TestHub::new();
    let acqp = hub.acqp().await;
    let endpoint = NotifyEndpoint::start(&acqp, Ack::Signed).await;
    hub.admin(
        "PATCH",
        &format!("/projects/{}", acqp.project.id),
        Some(json!({"authNotifyUrl": endpoint.url})),
    )
    .await;
    let wallet = Wallet::sign_in(&hub, &acqp, "M1").await;
    let (_, token) = authorized(&hub, &acqp, &wallet).await;
    let received = endpoint.received.lock().unwrap().clone();
    assert_eq!(received.len(), 1, "authNotify AUTHCODE_CREATED was sent");
    assert_eq!(
        received[0].body["authorizationNotifyType"],
        "AUTHCODE_CREATED"
    );
    assert!(
        received[0].signature_valid,
        "signed with the project's hub key"
    );

    let paid = acqp.call(&hub, PAY, &agreement_pay("ad-1", &token)).await;
    assert_eq!(paid.code(), "SUCCESS", "{}", paid.raw);
    let unbound = acqp
        .call(&hub, CANCEL_TOKEN, &json!({"accessToken": token}))
        .await;
    assert_eq!(unbound.code(), "SUCCESS", "{}", unbound.raw);
    let refused = acqp.call(&hub, PAY, &agreement_pay("ad-2", &token)).await;
    assert_eq!(refused.code(), "INVALID_ACCESS_TOKEN", "{}", refused.raw);
}

#[tokio::test]
async fn a_revocation_in_the_wallet_notifies_and_ends_the_token() {
    let hub = TestHub::new();
    let acqp = hub.acqp().await;
    let endpoint = NotifyEndpoint::start(&acqp, Ack::Signed).await;
    hub.admin(
        "PATCH",
        &format!("/projects/{}", acqp.project.id),
        Some(json!({"authNotifyUrl": endpoint.url})),
    )
    .await;
    let wallet = Wallet::sign_in(&hub, &acqp, "M1").await;
    let (id, token) = authorized(&hub, &acqp, &wallet).await;
    let (status, revoked) = wallet
        .send(&hub, "POST", &format!("/authorizations/{id}/revoke"), None)
        .await;
    assert_eq!(status.as_u16(), 200, "{revoked}");
    assert_eq!(revoked["notified"], true, "{revoked}");
    let last = endpoint.received.lock().unwrap().last().cloned().unwrap();
    assert_eq!(last.body["authorizationNotifyType"], "TOKEN_CANCELED");
    let refused = acqp.call(&hub, PAY, &agreement_pay("ad-3", &token)).await;
    assert_eq!(refused.code(), "INVALID_ACCESS_TOKEN", "{}", refused.raw);
    let unknown = acqp
        .call(&hub, PAY, &agreement_pay("ad-4", "no-such-token"))
        .await;
    assert_eq!(unknown.code(), "INVALID_ACCESS_TOKEN");
    let other = Wallet::sign_in(&hub, &acqp, "M2").await;
    let (status, _) = other
        .send(&hub, "POST", "/authorizations/auth_nope/revoke", None)
        .await;
    assert_eq!(status.as_u16(), 404);
}

#[tokio::test]
async fn a_dana_run_grants_notifies_and_debits_as_dana_and_revokes_as_dana() {
    let hub = TestHub::new();
    let acqp = hub.acqp().await;
    let endpoint = NotifyEndpoint::start(&acqp, Ack::Signed).await;
    hub.admin(
        "PATCH",
        &format!("/projects/{}", acqp.project.id),
        Some(json!({"authNotifyUrl": endpoint.url})),
    )
    .await;
    let wallet = Wallet::sign_in_with(&hub, &acqp, "M1", &["AUTO_DEBIT"]).await;
    let (status, run) = wallet
        .send(
            &hub,
            "POST",
            "/runs",
            Some(json!({"caseId": "ADB-01", "wallet": "DANA"})),
        )
        .await;
    assert_eq!(status.as_u16(), 201, "DANA has Auto Debit: {run}");
    let run = run["id"].as_str().unwrap().to_owned();
    let prepared = acqp
        .call(&hub, PREPARE, &json!({
            "customerBelongsTo": "DANA", "authClientId": "M0001",
            "authRedirectUrl": "https://acqp.example/back", "scopes": ["AGREEMENT_PAY"], "authState": "st-9"
        }))
        .await;
    let auth_url = prepared.body["authUrl"].as_str().unwrap().to_owned();
    let (status, granted) = wallet
        .send(
            &hub,
            "POST",
            "/authorizations",
            Some(json!({"authUrl": auth_url, "runId": run})),
        )
        .await;
    assert_eq!(status.as_u16(), 200, "{granted}");
    let notified = endpoint.received.lock().unwrap().last().cloned().unwrap();
    assert_eq!(
        notified.body["pspId"], "1022166000000000001",
        "authNotify AUTHCODE_CREATED comes from DANA: {}",
        notified.body
    );
    assert!(
        notified.body["customerId"]
            .as_str()
            .is_some_and(|c| c.starts_with("2106")),
        "a DANA customer: {}",
        notified.body
    );
    let token = acqp
        .call(
            &hub,
            APPLY,
            &json!({"grantType": "AUTHORIZATION_CODE", "authCode": granted["authCode"]}),
        )
        .await;
    let token = token.body["accessToken"].as_str().unwrap().to_owned();
    let paid = acqp.call(&hub, PAY, &agreement_pay("ad-d", &token)).await;
    assert_eq!(paid.code(), "SUCCESS", "{}", paid.raw);
    assert_eq!(
        (&paid.body["pspId"], &paid.body["walletBrandName"]),
        (&json!("1022166000000000001"), &json!("DANA")),
        "{}",
        paid.raw
    );
    assert_eq!(
        paid.body["customerPayAmount"],
        json!({"currency": "IDR", "value": "19800000"}),
        "HKD 99.00 at Linker's test rate 2000 IDR per HKD: {}",
        paid.raw
    );
    let (_, revoked) = wallet
        .send(
            &hub,
            "POST",
            &format!("/authorizations/{}/revoke", granted["id"].as_str().unwrap()),
            None,
        )
        .await;
    assert_eq!(revoked["notified"], true, "{revoked}");
    let last = endpoint.received.lock().unwrap().last().cloned().unwrap();
    assert_eq!(
        (&last.body["authorizationNotifyType"], &last.body["pspId"]),
        (&json!("TOKEN_CANCELED"), &json!("1022166000000000001")),
        "the revocation comes from the wallet that granted it: {}",
        last.body
    );
}
