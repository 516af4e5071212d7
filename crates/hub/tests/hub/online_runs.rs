//! Cashier and Auto Debit runs: what binds a checkout's and an authorization's exchanges to the
//! run of the wallet that opened them, and the verdicts both ways.

use linker_hub::Clock;
use serde_json::{Value, json};

use crate::support::{Ack, Acqp, PAY, TestHub, Wallet, agreement_pay, notify_to, summary};

const CONSULT: &str = "/aps/api/v1/payments/consultPayment";
const PREPARE: &str = "/aps/api/v1/authorizations/prepare";
const APPLY: &str = "/aps/api/v1/authorizations/applyToken";
const CANCEL_TOKEN: &str = "/aps/api/v1/authorizations/cancelToken";

fn cashier_pay(id: &str, redirect: Option<&str>) -> Value {
    let mut body = json!({
        "productCode": "CASHIER_PAYMENT",
        "paymentRequestId": id,
        "order": {
            "referenceOrderId": format!("order-{id}"),
            "orderDescription": "Two coffees",
            "orderAmount": {"currency": "HKD", "value": "8400"},
            "merchant": {"referenceMerchantId": "M1", "merchantMCC": "5812", "merchantName": "Linker Shop"},
            "env": {"terminalType": "WEB"}
        },
        "paymentAmount": {"currency": "HKD", "value": "8400"},
        "paymentMethod": {"paymentMethodType": "CONNECT_WALLET"},
        "paymentFactor": {"isCashierPayment": "true"},
        "settlementStrategy": {"settlementCurrency": "HKD"}
    });
    if let Some(url) = redirect {
        body["paymentRedirectUrl"] = json!(url);
    }
    body
}

fn apis(view: &Value) -> Vec<String> {
    view["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["api"].as_str().map(str::to_owned))
        .collect()
}

async fn checkout(hub: &TestHub, acqp: &Acqp, id: &str, consult: bool) -> String {
    if consult {
        let consulted = acqp
            .call(hub, CONSULT, &json!({"paymentAmount": {"currency": "HKD", "value": "8400"}, "paymentFactor": {"isCashierPayment": "true"}}))
            .await;
        assert_eq!(consulted.code(), "SUCCESS", "{}", consulted.raw);
    }
    let paid = acqp
        .call(
            hub,
            PAY,
            &cashier_pay(id, Some("https://acqp.example/shop/return/1")),
        )
        .await;
    assert_eq!(paid.code(), "PAYMENT_IN_PROCESS", "{}", paid.raw);
    paid.body["paymentUrl"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn csh_01_the_wallet_scans_the_checkout_pays_returns_and_the_run_passes() {
    let hub = TestHub::new();
    let acqp = hub.acqp().await;
    let endpoint = notify_to(&hub, &acqp, Ack::Signed).await;
    let wallet = Wallet::sign_in_with(&hub, &acqp, "M1", &["CASHIER"]).await;
    let run = wallet.start(&hub, "CSH-01").await;
    let url = checkout(&hub, &acqp, "csh-1", true).await;

    let (status, scanned) = wallet
        .send(
            &hub,
            "POST",
            &format!("/runs/{run}/scan"),
            Some(json!({"codeValue": url})),
        )
        .await;
    assert_eq!(status.as_u16(), 200, "{scanned}");
    assert_eq!(
        scanned["next"], "confirm",
        "scanning the checkout's QR opens it: {scanned}"
    );
    assert_eq!(scanned["payment"]["productCode"], "CASHIER_PAYMENT");
    assert_eq!(
        scanned["payment"]["redirectUrl"], "https://acqp.example/shop/return/1",
        "Done returns to the ACQP's paymentRedirectUrl: {scanned}"
    );
    wallet
        .send(&hub, "POST", &format!("/runs/{run}/confirm"), None)
        .await;
    hub.hub.deliver_due().await.unwrap();
    assert_eq!(endpoint.count(), 1, "the success is notified");
    let (status, _) = wallet
        .send(
            &hub,
            "POST",
            &format!("/runs/{run}/redirected"),
            Some(json!({"url": "https://acqp.example/shop/return/1"})),
        )
        .await;
    assert_eq!(status.as_u16(), 200);
    let view = wallet
        .answer(&hub, &run, "w1", "site-shows-paid", true)
        .await;
    assert_eq!(view["status"], "passed", "{}", summary(&view));
    assert_eq!(
        apis(&view)[..2],
        ["consultPayment".to_owned(), "pay".to_owned()],
        "the consult and the pay made before the wallet opened the page joined the run"
    );
    assert!(
        view["events"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["action"]["action"] == "redirected"),
        "the return is evidence"
    );
}

#[tokio::test]
async fn csh_01_fails_when_the_pay_gives_no_redirect_url() {
    let hub = TestHub::new();
    let acqp = hub.acqp().await;
    notify_to(&hub, &acqp, Ack::Signed).await;
    let wallet = Wallet::sign_in_with(&hub, &acqp, "M1", &["CASHIER"]).await;
    let run = wallet.start(&hub, "CSH-01").await;
    let paid = acqp.call(&hub, PAY, &cashier_pay("csh-2", None)).await;
    let url = paid.body["paymentUrl"].as_str().map(str::to_owned);
    if let Some(url) = url {
        wallet
            .send(
                &hub,
                "POST",
                &format!("/runs/{run}/scan"),
                Some(json!({"codeValue": url})),
            )
            .await;
        wallet
            .send(&hub, "POST", &format!("/runs/{run}/confirm"), None)
            .await;
        hub.hub.deliver_due().await.unwrap();
    }
    wallet
        .answer(&hub, &run, "w1", "site-shows-paid", true)
        .await;
    // The other checks pass; the run ends failed at its timeout.
    hub.clock.advance(chrono::Duration::seconds(601));
    let view = wallet.run(&hub, &run).await;
    assert_eq!(view["status"], "failed", "{}", summary(&view));
    assert!(
        summary(&view).contains("paymentRedirectUrl"),
        "the verdict names the missing field: {}",
        summary(&view)
    );
}

#[tokio::test]
async fn csh_03_without_a_consult_before_the_pay_fails() {
    let hub = TestHub::new();
    let acqp = hub.acqp().await;
    notify_to(&hub, &acqp, Ack::Signed).await;
    let wallet = Wallet::sign_in_with(&hub, &acqp, "M1", &["CASHIER"]).await;
    let run = wallet.start(&hub, "CSH-03").await;
    let url = checkout(&hub, &acqp, "csh-3", false).await;
    wallet
        .send(
            &hub,
            "POST",
            &format!("/runs/{run}/scan"),
            Some(json!({"codeValue": url})),
        )
        .await;
    wallet
        .send(&hub, "POST", &format!("/runs/{run}/confirm"), None)
        .await;
    hub.hub.deliver_due().await.unwrap();
    hub.clock.advance(chrono::Duration::seconds(601));
    let view = wallet.run(&hub, &run).await;
    assert_eq!(view["status"], "failed", "{}", summary(&view));
    assert!(
        summary(&view).contains("consults-before-pay"),
        "{}",
        summary(&view)
    );
}

/// The ACQP prepares; the wallet opens the authUrl and authorizes in `run`.
async fn authorize(hub: &TestHub, acqp: &Acqp, wallet: &Wallet, run: &str) -> (Value, String) {
    let prepared = acqp
        .call(hub, PREPARE, &json!({
            "customerBelongsTo": "TEST_WALLET", "authClientId": "SHOP-1",
            "authRedirectUrl": "https://acqp.example/shop/account/return", "scopes": ["AGREEMENT_PAY"], "authState": "s1"
        }))
        .await;
    let auth_url = prepared.body["authUrl"].as_str().unwrap().to_owned();
    let (_, scanned) = wallet
        .send(
            hub,
            "POST",
            &format!("/runs/{run}/scan"),
            Some(json!({"codeValue": auth_url})),
        )
        .await;
    assert_eq!(
        scanned["next"], "authorize",
        "scanning the authUrl asks to authorize: {scanned}"
    );
    let (status, asked) = wallet
        .send(
            hub,
            "POST",
            "/authorizations/inspect",
            Some(json!({"authUrl": auth_url})),
        )
        .await;
    assert_eq!(status.as_u16(), 200, "{asked}");
    assert_eq!(asked["clientId"], "SHOP-1");
    assert_eq!(asked["scopes"], json!(["AGREEMENT_PAY"]));
    let (status, granted) = wallet
        .send(
            hub,
            "POST",
            "/authorizations",
            Some(json!({"authUrl": auth_url, "runId": run})),
        )
        .await;
    assert_eq!(status.as_u16(), 200, "{granted}");
    (granted, auth_url)
}

async fn token(hub: &TestHub, acqp: &Acqp, code: &str) -> String {
    let applied = acqp
        .call(
            hub,
            APPLY,
            &json!({"grantType": "AUTHORIZATION_CODE", "authCode": code}),
        )
        .await;
    assert_eq!(applied.code(), "SUCCESS", "{}", applied.raw);
    applied.body["accessToken"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn adb_01_every_exchange_of_the_authorization_joins_the_run_and_it_passes() {
    let hub = TestHub::new();
    let acqp = hub.acqp().await;
    let wallet = Wallet::sign_in_with(&hub, &acqp, "M1", &["AUTO_DEBIT"]).await;
    let run = wallet.start(&hub, "ADB-01").await;
    let (granted, _) = authorize(&hub, &acqp, &wallet, &run).await;
    let token = token(&hub, &acqp, granted["authCode"].as_str().unwrap()).await;
    let paid = acqp.call(&hub, PAY, &agreement_pay("ad-1", &token)).await;
    assert_eq!(paid.code(), "SUCCESS", "{}", paid.raw);
    let view = wallet
        .answer(&hub, &run, "w1", "site-shows-paid", true)
        .await;
    assert_eq!(view["status"], "passed", "{}", summary(&view));
    assert_eq!(apis(&view), ["prepare", "applyToken", "pay"], "{view}");

    let (_, listed) = wallet.send(&hub, "GET", "/authorizations", None).await;
    assert_eq!(
        listed[0]["id"], granted["id"],
        "the wallet lists what it authorized: {listed}"
    );
    assert_eq!(listed[0]["active"], true);
    assert_eq!(listed[0]["runId"], run.as_str());
}

#[tokio::test]
async fn adb_01_fails_when_the_acqp_debits_with_the_authorization_code() {
    let hub = TestHub::new();
    let acqp = hub.acqp().await;
    let wallet = Wallet::sign_in_with(&hub, &acqp, "M1", &["AUTO_DEBIT"]).await;
    let run = wallet.start(&hub, "ADB-01").await;
    let (granted, _) = authorize(&hub, &acqp, &wallet, &run).await;
    let code = granted["authCode"].as_str().unwrap();
    let refused = acqp.call(&hub, PAY, &agreement_pay("ad-2", code)).await;
    assert_eq!(refused.code(), "INVALID_ACCESS_TOKEN", "{}", refused.raw);
    wallet
        .answer(&hub, &run, "w1", "site-shows-paid", false)
        .await;
    hub.clock.advance(chrono::Duration::seconds(601));
    let view = wallet.run(&hub, &run).await;
    assert_eq!(view["status"], "failed", "{}", summary(&view));
    let text = view.to_string();
    assert!(
        text.contains("never exchanged the authorization code with applyToken"),
        "the evidence says why: {}",
        view["checks"]
    );
}

#[tokio::test]
async fn adb_02_a_revocation_in_a_later_run_joins_that_run_and_a_second_debit_fails_it() {
    let hub = TestHub::new();
    let acqp = hub.acqp().await;
    let endpoint = crate::support::NotifyEndpoint::start(&acqp, Ack::Signed).await;
    hub.admin(
        "PATCH",
        &format!("/projects/{}", acqp.project.id),
        Some(json!({"authNotifyUrl": endpoint.url})),
    )
    .await;
    let wallet = Wallet::sign_in_with(&hub, &acqp, "M1", &["AUTO_DEBIT"]).await;
    let first = wallet.start(&hub, "ADB-01").await;
    let (granted, _) = authorize(&hub, &acqp, &wallet, &first).await;
    let token = token(&hub, &acqp, granted["authCode"].as_str().unwrap()).await;

    // The merchant starts ADB-02 (ending ADB-01) and unbinds in the Authorizations screen.
    let run = wallet.start(&hub, "ADB-02").await;
    let id = granted["id"].as_str().unwrap();
    let other = Wallet::sign_in_with(&hub, &acqp, "M2", &["AUTO_DEBIT"]).await;
    let (status, _) = other
        .send(&hub, "POST", &format!("/authorizations/{id}/revoke"), None)
        .await;
    assert_eq!(
        status.as_u16(),
        404,
        "another merchant's wallet cannot revoke it"
    );
    let (status, revoked) = wallet
        .send(&hub, "POST", &format!("/authorizations/{id}/revoke"), None)
        .await;
    assert_eq!(status.as_u16(), 200, "{revoked}");
    let first_debit = acqp.call(&hub, PAY, &agreement_pay("ad-3", &token)).await;
    assert_eq!(first_debit.code(), "INVALID_ACCESS_TOKEN");
    let again = acqp.call(&hub, PAY, &agreement_pay("ad-4", &token)).await;
    assert_eq!(again.code(), "INVALID_ACCESS_TOKEN");
    wallet
        .answer(&hub, &run, "w1", "site-shows-unlinked", true)
        .await;
    hub.clock.advance(chrono::Duration::seconds(11));
    let view = wallet.run(&hub, &run).await;
    assert_eq!(view["status"], "failed", "{}", summary(&view));
    assert!(
        summary(&view).contains("debited again"),
        "{}",
        summary(&view)
    );
    let events = view["events"].as_array().unwrap();
    assert!(
        events
            .iter()
            .any(|e| e["action"]["action"] == "revoke_authorization")
            && events.iter().any(|e| e["callback"] == "auth_notify"),
        "the revocation and its TOKEN_CANCELED are in the ADB-02 run: {view}"
    );
}

#[tokio::test]
async fn adb_03_passes_with_cancel_token_and_fails_without() {
    for cancels in [true, false] {
        let hub = TestHub::new();
        let acqp = hub.acqp().await;
        let wallet = Wallet::sign_in_with(&hub, &acqp, "M1", &["AUTO_DEBIT"]).await;
        let run = wallet.start(&hub, "ADB-03").await;
        let (granted, _) = authorize(&hub, &acqp, &wallet, &run).await;
        let token = token(&hub, &acqp, granted["authCode"].as_str().unwrap()).await;
        if cancels {
            let unbound = acqp
                .call(&hub, CANCEL_TOKEN, &json!({"accessToken": token}))
                .await;
            assert_eq!(unbound.code(), "SUCCESS");
        }
        wallet
            .answer(&hub, &run, "w1", "site-shows-unlinked", true)
            .await;
        hub.clock.advance(chrono::Duration::seconds(601));
        let view = wallet.run(&hub, &run).await;
        let expected = if cancels { "passed" } else { "failed" };
        assert_eq!(
            view["status"],
            expected,
            "cancelToken called: {cancels}: {}",
            summary(&view)
        );
    }
}

#[tokio::test]
async fn declining_records_the_answer_and_sends_nothing_to_the_acqp() {
    let hub = TestHub::new();
    let acqp = hub.acqp().await;
    let wallet = Wallet::sign_in_with(&hub, &acqp, "M1", &["AUTO_DEBIT"]).await;
    let run = wallet.start(&hub, "ADB-01").await;
    let prepared = acqp
        .call(&hub, PREPARE, &json!({
            "customerBelongsTo": "TEST_WALLET", "authClientId": "SHOP-1",
            "authRedirectUrl": "https://acqp.example/back", "scopes": ["AGREEMENT_PAY"], "authState": "s9"
        }))
        .await;
    let auth_url = prepared.body["authUrl"].as_str().unwrap();
    let (status, declined) = wallet
        .send(
            &hub,
            "POST",
            "/authorizations/decline",
            Some(json!({"authUrl": auth_url, "runId": run})),
        )
        .await;
    assert_eq!(status.as_u16(), 200, "{declined}");
    assert_eq!(
        declined["redirectUrl"],
        "https://acqp.example/back?authState=s9"
    );
    let (status, _) = wallet
        .send(
            &hub,
            "POST",
            "/authorizations",
            Some(json!({"authUrl": auth_url})),
        )
        .await;
    assert_eq!(
        status.as_u16(),
        409,
        "a declined authorization cannot be granted after"
    );
    let view = wallet.run(&hub, &run).await;
    assert!(view.to_string().contains("decline_authorization"), "{view}");
}
