//! Private order codes: the wallet scans a code on the ACQP's own domain, the hub asks the ACQP
//! with userInitiatedPay (twice in MPC-01, as a wallet retry would), and the customer pays.

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Bytes;
use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use axum::routing::post;
use chrono::Duration;
use linker_aplus::{PrivateKey, Signer};
use linker_hub::Clock;
use serde_json::{Value, json};

use crate::support::Wallet;
use crate::support::summary;
use crate::support::{Ack, notify_to};
use crate::support::{Acqp, TestHub};

pub(crate) const ISSUED: &str = "https://pay.acqp.example/281002040093PrivateToken01";

#[derive(Clone)]
pub(crate) struct Orders {
    client_id: String,
    key_base64: String,
    /// True: a new paymentRequestId on every call (idempotency lost).
    forgetful: bool,
    pub(crate) calls: Arc<AtomicU32>,
    seen: Arc<Mutex<Vec<Value>>>,
}

async fn user_initiated_pay(
    axum::extract::State(orders): axum::extract::State<Orders>,
    _headers: HeaderMap,
    body: Bytes,
) -> impl IntoResponse {
    let request: Value = serde_json::from_slice(&body).unwrap_or_default();
    orders.seen.lock().unwrap().push(request.clone());
    let n = orders.calls.fetch_add(1, Ordering::SeqCst);
    let reply = if request["codeValue"] == ISSUED {
        let id = if orders.forgetful { format!("uip-order-{n}") } else { "uip-order-1".to_owned() };
        json!({
            "result": {"resultCode": "SUCCESS", "resultStatus": "S", "resultMessage": "success"},
            "codeType": "ORDER_CODE",
            "paymentRequestId": id,
            "order": {
                "referenceOrderId": format!("ref-{id}"),
                "orderDescription": "Noodles",
                "orderAmount": {"currency": "HKD", "value": "6800"},
                "merchant": {"referenceMerchantId": "M0001", "merchantMCC": "5812", "merchantName": "Noodle Bar"}
            },
            "paymentAmount": {"currency": "HKD", "value": "6800"},
            "paymentFactor": {"isInStorePayment": "true", "inStorePaymentScenario": "OrderCode"}
        })
    } else {
        json!({"result": {"resultCode": "ORDER_NOT_EXIST", "resultStatus": "F", "resultMessage": "no such order"}})
    }
    .to_string();
    let time = "2026-11-25T10:00:01+08:00";
    let key = PrivateKey::from_base64_or_pem(&orders.key_base64).unwrap();
    let signature = Signer::new(orders.client_id.clone(), key)
        .sign("POST", "/user-initiated-pay", time, reply.as_bytes())
        .unwrap()
        .format();
    let mut response = (StatusCode::OK, reply).into_response();
    response
        .headers_mut()
        .insert("response-time", time.parse().unwrap());
    response
        .headers_mut()
        .insert("client-id", orders.client_id.parse().unwrap());
    response
        .headers_mut()
        .insert("signature", signature.parse().unwrap());
    response
}

async fn serve_orders(hub: &TestHub, acqp: &Acqp, forgetful: bool) -> Orders {
    serve_orders_on(hub, acqp, forgetful, "127.0.0.1:0").await
}

/// The test ACQP's userInitiatedPay endpoint on `address` (a port that was the ACQP's before a
/// restart, say), and the project pointed at it.
pub(crate) async fn serve_orders_on(
    hub: &TestHub,
    acqp: &Acqp,
    forgetful: bool,
    address: &str,
) -> Orders {
    let orders = Orders {
        client_id: acqp.client_id.clone(),
        key_base64: acqp.key_base64.clone(),
        forgetful,
        calls: Arc::new(AtomicU32::new(0)),
        seen: Arc::new(Mutex::new(Vec::new())),
    };
    let app = Router::new()
        .route("/user-initiated-pay", post(user_initiated_pay))
        .with_state(orders.clone());
    let listener = tokio::net::TcpListener::bind(address).await.unwrap();
    let url = format!(
        "http://{}/user-initiated-pay",
        listener.local_addr().unwrap()
    );
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    let (status, body) = hub
        .admin(
            "PATCH",
            &format!("/projects/{}", acqp.project.id),
            Some(json!({"userInitiatedPayUrl": url, "privateCodeDomains": ["pay.acqp.example"]})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    orders
}

#[tokio::test]
async fn mpc_01_passes_an_acqp_that_answers_the_same_order_twice_and_fails_one_that_does_not() {
    let hub = TestHub::new();
    let acqp = hub.acqp().await;
    let endpoint = notify_to(&hub, &acqp, Ack::Signed).await;
    let wallet = Wallet::sign_in(&hub, &acqp, "M1").await;

    let orders = serve_orders(&hub, &acqp, false).await;
    let run = wallet.start(&hub, "MPC-01").await;
    let (status, scanned) = wallet
        .send(
            &hub,
            "POST",
            &format!("/runs/{run}/scan"),
            Some(json!({"codeValue": ISSUED})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{scanned}");
    assert_eq!(scanned["next"], "confirm", "{scanned}");
    assert_eq!(scanned["payment"]["amountText"], "HKD 68.00");
    assert_eq!(scanned["payment"]["merchantName"], "Noodle Bar");
    assert_eq!(
        orders.calls.load(Ordering::SeqCst),
        2,
        "asked twice, as a wallet retry would"
    );
    let seen = orders.seen.lock().unwrap().clone();
    assert_eq!(seen[0], seen[1], "the same request both times");
    assert_eq!(seen[0]["acquirerId"], acqp.project.acquirer_id.as_str());
    wallet
        .send(&hub, "POST", &format!("/runs/{run}/confirm"), None)
        .await;
    hub.hub.deliver_due().await.unwrap();
    assert_eq!(endpoint.count(), 1, "the paid order is notified");
    let view = wallet
        .answer(&hub, &run, "w1", "pos-shows-success", true)
        .await;
    assert_eq!(view["status"], "passed", "{}", summary(&view));

    let forgetful = serve_orders(&hub, &acqp, true).await;
    let run = wallet.start(&hub, "MPC-01").await;
    wallet
        .send(
            &hub,
            "POST",
            &format!("/runs/{run}/scan"),
            Some(json!({"codeValue": ISSUED})),
        )
        .await;
    assert_eq!(forgetful.calls.load(Ordering::SeqCst), 2);
    wallet
        .send(&hub, "POST", &format!("/runs/{run}/confirm"), None)
        .await;
    hub.hub.deliver_due().await.unwrap();
    wallet
        .answer(&hub, &run, "w2", "pos-shows-success", true)
        .await;
    hub.clock.advance(Duration::seconds(301));
    let view = wallet.run(&hub, &run).await;
    assert_eq!(view["status"], "failed", "{view}");
    assert!(
        summary(&view).contains("uip-idempotent"),
        "{}",
        summary(&view)
    );
}

#[tokio::test]
async fn mpc_02_passes_an_acqp_that_refuses_a_code_it_never_issued() {
    let hub = TestHub::new();
    let acqp = hub.acqp().await;
    let wallet = Wallet::sign_in(&hub, &acqp, "M1").await;
    serve_orders(&hub, &acqp, false).await;
    let run = wallet.start(&hub, "MPC-02").await;
    let (_, scanned) = wallet
        .send(
            &hub,
            "POST",
            &format!("/runs/{run}/scan"),
            Some(json!({"codeValue": "https://pay.acqp.example/281002040093NeverIssued99"})),
        )
        .await;
    assert_eq!(scanned["next"], "unknownCode", "{scanned}");
    assert!(
        scanned["message"]
            .as_str()
            .unwrap()
            .contains("ORDER_NOT_EXIST"),
        "{scanned}"
    );
    let view = wallet.run(&hub, &run).await;
    assert_eq!(view["status"], "passed", "{}", summary(&view));
    let _ = hub.clock.now();
}

#[tokio::test]
async fn a_private_code_without_a_registered_url_says_what_to_set() {
    let hub = TestHub::new();
    let acqp = hub.acqp().await;
    hub.admin(
        "PATCH",
        &format!("/projects/{}", acqp.project.id),
        Some(json!({"privateCodeDomains": ["pay.acqp.example"]})),
    )
    .await;
    let wallet = Wallet::sign_in(&hub, &acqp, "M1").await;
    let run = wallet.start(&hub, "MPC-01").await;
    let (_, scanned) = wallet
        .send(
            &hub,
            "POST",
            &format!("/runs/{run}/scan"),
            Some(json!({"codeValue": ISSUED})),
        )
        .await;
    assert_eq!(scanned["next"], "unknownCode");
    assert!(
        scanned["message"]
            .as_str()
            .unwrap()
            .contains("userInitiatedPay URL"),
        "{scanned}"
    );
}

#[tokio::test]
async fn a_tng_run_asks_the_acqp_about_a_private_code_as_tng_and_a_test_wallet_run_as_before() {
    for (chosen, psp_id, prefix, rate) in [
        (
            json!("TNG"),
            "1022171000000000001",
            "2104",
            json!({"from": "HKD", "to": "MYR", "rate": "0.6026",
                   "converted": "MYR 40.98 (Linker test rate)",
                   "customerAmount": {"currency": "MYR", "value": "4098"},
                   "quoteId": "LINKER-TEST-RATE-HKD-MYR"}),
        ),
        (json!(null), "1022999000000000001", "2188", Value::Null),
    ] {
        // A hub of its own each time: the test ACQP answers the code with the same order.
        let hub = TestHub::new();
        let acqp = hub.acqp().await;
        let endpoint = notify_to(&hub, &acqp, Ack::Signed).await;
        let wallet = Wallet::sign_in(&hub, &acqp, "M1").await;
        let orders = serve_orders(&hub, &acqp, false).await;
        let (status, run) = wallet
            .send(
                &hub,
                "POST",
                "/runs",
                Some(json!({"caseId": "MPC-01", "wallet": chosen})),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{run}");
        let run = run["id"].as_str().unwrap().to_owned();
        let (_, scanned) = wallet
            .send(
                &hub,
                "POST",
                &format!("/runs/{run}/scan"),
                Some(json!({"codeValue": ISSUED})),
            )
            .await;
        assert_eq!(
            scanned["payment"]["exchangeRate"], rate,
            "{chosen}: the confirmation's rate: {scanned}"
        );
        let seen = orders.seen.lock().unwrap().clone();
        assert_eq!(
            seen[0]["pspId"], psp_id,
            "{chosen}: userInitiatedPay comes from the run's wallet: {seen:?}"
        );
        assert!(
            seen[0]["customerId"]
                .as_str()
                .is_some_and(|c| c.starts_with(prefix)),
            "{chosen}: a customer of the run's wallet: {seen:?}"
        );
        wallet
            .send(&hub, "POST", &format!("/runs/{run}/confirm"), None)
            .await;
        hub.hub.deliver_due().await.unwrap();
        let notified = endpoint.received.lock().unwrap().last().cloned().unwrap();
        assert_eq!(
            notified.body["pspId"], psp_id,
            "{chosen}: notifyPayment from the run's wallet: {}",
            notified.body
        );
    }
}
