//! Restart safety: SIGKILL the hub in the middle of a run with a notification pending; after the
//! restart nothing acknowledged is lost and the notification is delivered.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use linker_aplus::{KeyPair, PrivateKey, Signer};
use serde_json::{Value, json};

use crate::hub::RunningHub;

/// Answers every POST with an (unsigned) ack and counts the bodies that mention `needle`.
fn notify_endpoint(listener: TcpListener, needle: String) -> Arc<AtomicUsize> {
    let count = Arc::new(AtomicUsize::new(0));
    let seen = count.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let mut reader = BufReader::new(stream);
            let mut length = 0usize;
            let mut line = String::new();
            while reader.read_line(&mut line).is_ok_and(|n| n > 0) {
                if line == "\r\n" {
                    break;
                }
                if let Some(value) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                    length = value.trim().parse().unwrap_or(0);
                }
                line.clear();
            }
            let mut body = vec![0; length];
            let _ = reader.read_exact(&mut body);
            if String::from_utf8_lossy(&body).contains(&needle) {
                seen.fetch_add(1, Ordering::SeqCst);
            }
            let reply = r#"{"result":{"resultCode":"SUCCESS","resultStatus":"S","resultMessage":"success"}}"#;
            let mut stream = reader.into_inner();
            let _ = write!(
                stream,
                "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{reply}",
                reply.len()
            );
        }
    });
    count
}

struct Client {
    http: reqwest::Client,
    runtime: tokio::runtime::Runtime,
}

impl Client {
    fn send(
        &self,
        method: &str,
        url: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> (u16, Value) {
        self.runtime.block_on(async {
            let mut request = self.http.request(method.parse().unwrap(), url);
            if let Some(token) = token {
                request = request.bearer_auth(token);
            }
            if let Some(body) = body {
                request = request.json(&body);
            }
            let response = request.send().await.unwrap();
            let status = response.status().as_u16();
            (status, response.json().await.unwrap_or(Value::Null))
        })
    }

    fn signed(&self, url: &str, path: &str, client_id: &str, key: &str, body: &Value) -> Value {
        let body = body.to_string();
        let time = "2026-11-25T10:00:00+08:00";
        let signature = Signer::new(client_id, PrivateKey::from_base64_or_pem(key).unwrap())
            .sign("POST", path, time, body.as_bytes())
            .unwrap()
            .format();
        self.runtime.block_on(async {
            self.http
                .post(format!("{url}{path}"))
                .header("content-type", "application/json; charset=UTF-8")
                .header("client-id", client_id)
                .header("request-time", time)
                .header("signature", signature)
                .body(body)
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap()
        })
    }
}

#[test]
fn a_sigkilled_hub_loses_nothing_acknowledged_and_delivers_the_pending_notify_after_restart() {
    let client = Client {
        http: reqwest::Client::new(),
        runtime: tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap(),
    };
    let hub = RunningHub::start_in(tempfile::tempdir().unwrap(), &["--test-clock"]);
    let token = std::fs::read_to_string(hub.data.path().join("admin-token"))
        .unwrap()
        .trim()
        .to_owned();
    // Reserve a port for the ACQP's notify endpoint, and leave it closed for now.
    let notify_port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();

    let keys = KeyPair::generate().unwrap();
    let key = keys.private.to_base64();
    let (status, project) = client.send(
        "POST",
        &format!("{}/admin/v1/projects", hub.url),
        Some(&token),
        Some(json!({"name": "Restart", "clientId": "RESTART_1", "acqpPublicKey": keys.public.to_base64(),
                    "notifyUrl": format!("http://127.0.0.1:{notify_port}/notify")})),
    );
    assert_eq!(status, 201, "{project}");
    let project_id = project["id"].as_str().unwrap();
    let (_, invited) = client.send(
        "POST",
        &format!("{}/admin/v1/projects/{project_id}/merchants", hub.url),
        Some(&token),
        Some(json!({"name": "Cafe", "mid": "M1", "email": "m1@shop.example", "products": ["UPM"]})),
    );
    let (_, session) = client.send(
        "POST",
        &format!("{}/wallet/v1/sign-in/invitation", hub.url),
        None,
        Some(json!({"invitationCode": invited["invitation"]["code"], "password": "long enough"})),
    );
    let wallet = session["token"].as_str().unwrap().to_owned();
    let (_, run) = client.send(
        "POST",
        &format!("{}/wallet/v1/runs", hub.url),
        Some(&wallet),
        Some(json!({"caseId": "UPM-02"})),
    );
    let run = run["id"].as_str().unwrap().to_owned();
    let (_, code) = client.send(
        "POST",
        &format!("{}/wallet/v1/runs/{run}/payment-code", hub.url),
        Some(&wallet),
        None,
    );
    let pay = json!({
        "productCode": "IN_STORE_PAYMENT", "paymentRequestId": "restart-1",
        "order": {"referenceOrderId": "o-1", "orderDescription": "Tea", "orderAmount": {"currency": "HKD", "value": "900"},
                  "merchant": {"referenceMerchantId": "M1", "merchantMCC": "5812", "merchantName": "Cafe",
                               "store": {"referenceStoreId": "S1", "storeName": "Main", "storeMCC": "5812"}}},
        "paymentAmount": {"currency": "HKD", "value": "900"},
        "paymentMethod": {"paymentMethodType": "CONNECT_WALLET", "paymentMethodId": code["code"]},
        "paymentFactor": {"isInStorePayment": "true", "inStorePaymentScenario": "PaymentCode"}
    });
    let answer = client.signed(
        &hub.url,
        "/aps/api/v1/payments/pay",
        "RESTART_1",
        &key,
        &pay,
    );
    assert_eq!(
        answer["result"]["resultCode"], "PAYMENT_IN_PROCESS",
        "{answer}"
    );
    let (status, confirmed) = client.send(
        "POST",
        &format!("{}/wallet/v1/runs/{run}/confirm", hub.url),
        Some(&wallet),
        None,
    );
    assert_eq!(status, 200, "{confirmed}");

    // Killed outright while the notification waits for its endpoint.
    let data = hub.kill();
    let hub = RunningHub::start_in(data, &["--test-clock"]);
    let received = notify_endpoint(
        TcpListener::bind(("127.0.0.1", notify_port)).unwrap(),
        "restart-1".to_owned(),
    );
    // The retry is due 4 s after the first attempt on the hub's clock: move the clock, not the test.
    client.send(
        "POST",
        &format!("{}/admin/v1/clock/advance", hub.url),
        Some(&token),
        Some(json!({"seconds": 10})),
    );
    let deadline = Instant::now() + Duration::from_secs(15);
    while received.load(Ordering::SeqCst) == 0 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(100));
    }
    assert!(
        received.load(Ordering::SeqCst) >= 1,
        "the pending notifyPayment was delivered after the restart"
    );

    // Everything acknowledged before the kill is there: the session, the run and its evidence.
    let (status, view) = client.send(
        "GET",
        &format!("{}/wallet/v1/runs/{run}", hub.url),
        Some(&wallet),
        None,
    );
    assert_eq!(status, 200, "the session survived the restart: {view}");
    let kinds: Vec<String> = view["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            format!(
                "{}:{}",
                e["kind"].as_str().unwrap_or(""),
                e["api"]
                    .as_str()
                    .or(e["action"]["action"].as_str())
                    .unwrap_or("")
            )
        })
        .collect();
    for expected in [
        "wallet_action:show_payment_code",
        "acqp_call:pay",
        "wallet_action:confirm_payment",
        "hub_callback:",
    ] {
        assert!(
            kinds.iter().any(|k| k.starts_with(expected)),
            "{expected} is in the record after the restart: {kinds:?}"
        );
    }
    let inquiry = client.signed(
        &hub.url,
        "/aps/api/v1/payments/inquiryPayment",
        "RESTART_1",
        &key,
        &json!({"paymentRequestId": "restart-1"}),
    );
    assert_eq!(
        inquiry["paymentResult"]["resultCode"], "SUCCESS",
        "the payment's outcome survived: {inquiry}"
    );
}
