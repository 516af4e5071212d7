//! What the hub's tests share: a hub on an in-memory store with a fixed clock ([`TestHub`]), a
//! test ACQP written from the spec that signs every request with its own key and verifies every
//! answer with the hub's public key for its project ([`Acqp`]), the request bodies it sends, its
//! notify endpoint ([`notify`]), a signed-in merchant's wallet ([`wallet`]) and a loopback SMTP
//! server ([`smtp`]).

pub mod console;
pub mod notify;
pub mod smtp;
pub mod wallet;

use std::sync::Arc;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use chrono::{TimeZone, Utc};
use http_body_util::BodyExt;
use linker_aplus::signature::SignedContent;
use linker_aplus::{KeyPair, PrivateKey, PublicKey, Signer, Verifier};
use linker_hub::{FixedClock, Hub, Ids, ProjectView, Store};
use serde_json::{Value, json};
use tower::ServiceExt;

pub use notify::{Ack, NotifyEndpoint, notify_to, point_notify_at};
pub use wallet::Wallet;

pub const ADMIN_TOKEN: &str = "test-admin-token";

/// A hub on an in-memory store with a clock standing at a known instant.
pub struct TestHub {
    pub hub: Arc<Hub>,
    pub clock: Arc<FixedClock>,
}

impl TestHub {
    pub fn new() -> TestHub {
        TestHub::with_public_url("http://127.0.0.1:8480")
    }

    /// A hub whose public URL (its links, its cookies' scheme) is `public_url`.
    pub fn with_public_url(public_url: &str) -> TestHub {
        TestHub::with_store(public_url, Store::in_memory().unwrap())
    }

    /// A hub on the given store (e.g. a real file, to measure what it holds).
    pub fn with_store(public_url: &str, store: Store) -> TestHub {
        let clock = Arc::new(FixedClock::at(
            Utc.with_ymd_and_hms(2026, 11, 25, 2, 0, 0).unwrap(),
        ));
        let hub = Hub::new(store, clock.clone(), Ids::seeded(1), public_url).with_test_clock(true);
        hub.set_admin_token(ADMIN_TOKEN).unwrap();
        TestHub {
            hub: Arc::new(hub),
            clock,
        }
    }

    pub fn router(&self) -> axum::Router {
        linker_hub::server::router(self.hub.clone())
    }

    /// An admin API call; returns the status and the JSON body.
    pub async fn admin(
        &self,
        method: &str,
        path: &str,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        self.admin_as(ADMIN_TOKEN, method, path, body).await
    }

    /// An admin API call with `token` as the bearer (a project's API token, say); the status
    /// and the JSON body.
    pub async fn admin_as(
        &self,
        token: &str,
        method: &str,
        path: &str,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let mut request = Request::builder()
            .method(method)
            .uri(format!("/admin/v1{path}"))
            .header("authorization", format!("Bearer {token}"));
        if body.is_some() {
            request = request.header("content-type", "application/json");
        }
        let body = body.map_or_else(Body::empty, |b| Body::from(b.to_string()));
        let response = self
            .router()
            .oneshot(request.body(body).unwrap())
            .await
            .unwrap();
        let status = response.status();
        let bytes = response.into_body().collect().await.unwrap().to_bytes();
        let value = if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&bytes)
                .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into()))
        };
        (status, value)
    }

    /// Creates a project for a new ACQP and returns that ACQP.
    pub async fn acqp(&self) -> Acqp {
        self.acqp_with(json!({})).await
    }

    pub async fn acqp_with(&self, extra: Value) -> Acqp {
        let keys = KeyPair::generate().unwrap();
        let client_id = format!("TEST_{}", rand_suffix());
        let mut body = json!({
            "name": "Test ACQP",
            "clientId": client_id,
            "acqpPublicKey": keys.public.to_base64(),
            "notifyUrl": "http://127.0.0.1:9/notify",
        });
        if let (Some(target), Some(extra)) = (body.as_object_mut(), extra.as_object()) {
            for (key, value) in extra {
                target.insert(key.clone(), value.clone());
            }
        }
        let (status, project) = self.admin("POST", "/projects", Some(body)).await;
        assert_eq!(status, StatusCode::CREATED, "project creation: {project}");
        let project: ProjectView = serde_json::from_value(project).unwrap();
        Acqp {
            key_base64: keys.private.to_base64(),
            client_id,
            hub_key: PublicKey::from_base64_or_pem(&project.hub_public_key).unwrap(),
            project,
        }
    }
}

fn rand_suffix() -> String {
    use std::sync::atomic::{AtomicU32, Ordering};
    static NEXT: AtomicU32 = AtomicU32::new(1);
    format!("{:05}", NEXT.fetch_add(1, Ordering::Relaxed))
}

/// The ACQP side of a project.
pub struct Acqp {
    pub client_id: String,
    pub key_base64: String,
    pub hub_key: PublicKey,
    pub project: ProjectView,
}

/// What came back from the gateway, its signature already checked.
#[derive(Debug)]
pub struct Reply {
    pub body: Value,
    pub raw: String,
    pub headers: axum::http::HeaderMap,
}

impl Reply {
    pub fn code(&self) -> &str {
        self.body["result"]["resultCode"]
            .as_str()
            .unwrap_or_default()
    }
    pub fn status(&self) -> &str {
        self.body["result"]["resultStatus"]
            .as_str()
            .unwrap_or_default()
    }
    pub fn message(&self) -> &str {
        self.body["result"]["resultMessage"]
            .as_str()
            .unwrap_or_default()
    }
}

pub const REQUEST_TIME: &str = "2026-11-25T10:00:00+08:00";

impl Acqp {
    /// Signs as this ACQP.
    pub fn signer(&self) -> Signer {
        Signer::new(
            self.client_id.clone(),
            PrivateKey::from_base64_or_pem(&self.key_base64).unwrap(),
        )
    }

    /// Signs and sends a request to an Alipay+ path; checks the answer's signature.
    pub async fn call(&self, hub: &TestHub, path: &str, body: &Value) -> Reply {
        let body = body.to_string();
        let signature = self
            .signer()
            .sign("POST", path, REQUEST_TIME, body.as_bytes())
            .unwrap()
            .format();
        let request = Request::builder()
            .method("POST")
            .uri(path)
            .header("content-type", "application/json; charset=UTF-8")
            .header("client-id", &self.client_id)
            .header("request-time", REQUEST_TIME)
            .header("signature", signature)
            .body(Body::from(body))
            .unwrap();
        self.send(hub, request, path).await
    }

    /// Sends a request as built and verifies the answer's signature when one is present.
    pub async fn send(&self, hub: &TestHub, request: Request<Body>, path: &str) -> Reply {
        let method = request.method().to_string();
        let response = hub.router().oneshot(request).await.unwrap();
        assert_eq!(
            response.status(),
            StatusCode::OK,
            "every Alipay+ answer is HTTP 200"
        );
        let headers = response.headers().clone();
        let raw = String::from_utf8(
            response
                .into_body()
                .collect()
                .await
                .unwrap()
                .to_bytes()
                .to_vec(),
        )
        .unwrap();
        if let Some(signature) = headers.get("signature") {
            let time = headers.get("response-time").unwrap().to_str().unwrap();
            let client_id = headers.get("client-id").unwrap().to_str().unwrap();
            let content = SignedContent {
                method: &method,
                path,
                client_id,
                time,
                body: raw.as_bytes(),
            };
            Verifier::new(self.hub_key.clone())
                .verify_header(&content, signature.to_str().unwrap())
                .unwrap_or_else(|error| {
                    panic!("the hub's answer must verify: {error}; body {raw}")
                });
        }
        Reply {
            body: serde_json::from_str(&raw).unwrap(),
            raw,
            headers,
        }
    }

    /// Issues a payment code as a wallet of this project would show it.
    pub async fn payment_code(&self, hub: &TestHub) -> String {
        let (status, code) = hub
            .admin(
                "POST",
                &format!("/projects/{}/payment-codes", self.project.id),
                None,
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{code}");
        code["code"].as_str().unwrap().to_owned()
    }
}

pub const PAY: &str = "/aps/api/v1/payments/pay";
pub const INQUIRY: &str = "/aps/api/v1/payments/inquiryPayment";
pub const CANCEL: &str = "/aps/api/v1/payments/cancelPayment";
pub const REFUND: &str = "/aps/api/v1/payments/refund";

/// An Auto Debit `pay` debiting HKD 99.00 with `token`.
pub fn agreement_pay(id: &str, token: &str) -> Value {
    json!({
        "productCode": "AGREEMENT_PAYMENT",
        "paymentRequestId": id,
        "order": {
            "referenceOrderId": format!("order-{id}"),
            "orderDescription": "Monthly plan",
            "orderAmount": {"currency": "HKD", "value": "9900"},
            "merchant": {"referenceMerchantId": "M0001", "merchantMCC": "5968", "merchantName": "Linker Plans"}
        },
        "paymentAmount": {"currency": "HKD", "value": "9900"},
        "paymentMethod": {"paymentMethodType": "CONNECT_WALLET", "paymentMethodId": token},
        "paymentFactor": {"isAgreementPayment": "true"}
    })
}

/// A valid UPM pay body.
pub fn upm_pay(request_id: &str, code: &str, value: &str) -> Value {
    json!({
        "productCode": "IN_STORE_PAYMENT",
        "paymentRequestId": request_id,
        "order": {
            "referenceOrderId": format!("order-{request_id}"),
            "orderDescription": "Two coffees",
            "orderAmount": {"currency": "HKD", "value": value},
            "merchant": {
                "referenceMerchantId": "M0001",
                "merchantMCC": "5812",
                "merchantName": "Linker Cafe",
                "store": {"referenceStoreId": "S01", "storeName": "Central", "storeMCC": "5812"}
            }
        },
        "paymentAmount": {"currency": "HKD", "value": value},
        "paymentMethod": {"paymentMethodType": "CONNECT_WALLET", "paymentMethodId": code},
        "paymentFactor": {"isInStorePayment": "true", "inStorePaymentScenario": "PaymentCode"}
    })
}

/// A valid order-code pay body.
pub fn order_code_pay(request_id: &str, value: &str) -> Value {
    json!({
        "productCode": "IN_STORE_PAYMENT",
        "paymentRequestId": request_id,
        "order": {
            "referenceOrderId": format!("order-{request_id}"),
            "orderDescription": "Lunch",
            "orderAmount": {"currency": "HKD", "value": value},
            "merchant": {"referenceMerchantId": "M0001", "merchantMCC": "5812", "merchantName": "Linker Cafe"},
            "env": {"userAgent": "POS/1.0"}
        },
        "paymentAmount": {"currency": "HKD", "value": value},
        "paymentMethod": {"paymentMethodType": "CONNECT_WALLET"},
        "paymentFactor": {"isInStorePayment": "true", "inStorePaymentScenario": "OrderCode"}
    })
}

/// A decided run's one-sentence verdict ("" while open).
pub fn summary(view: &Value) -> String {
    view["verdict"]["summary"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

/// A plain-HTTP hub on a free loopback port with a test clock, its data in `data`.
pub fn loopback_config(data: &std::path::Path) -> linker_hub::ServeConfig {
    linker_hub::ServeConfig {
        data_dir: data.to_path_buf(),
        listen: "127.0.0.1:0".parse().unwrap(),
        public_url: None,
        test_clock: true,
        tls: None,
    }
}

/// A wallet API call with an optional session token; returns the status and the JSON body.
pub async fn wallet_call(
    hub: &TestHub,
    method: &str,
    path: &str,
    token: Option<&str>,
    body: Option<Value>,
) -> (StatusCode, Value) {
    let mut request = Request::builder()
        .method(method)
        .uri(format!("/wallet/v1{path}"));
    if let Some(token) = token {
        request = request.header("authorization", format!("Bearer {token}"));
    }
    let body = body.map_or_else(Body::empty, |b| Body::from(b.to_string()));
    let response = hub
        .router()
        .oneshot(request.body(body).unwrap())
        .await
        .unwrap();
    let status = response.status();
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    (
        status,
        serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    )
}

/// Lays down a passed sandbox acceptance for `project` as a fixture, for the tests of what
/// follows acceptance (the ACQP's authorization): the products are set and the acceptance
/// account made through the admin API, then a passed run of every required case is written
/// through the store's typed tables. That real runs make acceptance pass is tested in
/// `acceptance.rs` and in the browser test.
pub async fn passed_acceptance(hub: &TestHub, project: &str, products: &[&str]) {
    let (status, body) = hub
        .admin(
            "PATCH",
            &format!("/projects/{project}"),
            Some(json!({ "products": products, "tspMode": true })),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "products set: {body}");
    let (status, body) = hub
        .admin(
            "POST",
            &format!("/projects/{project}/acceptance/session"),
            Some(json!({})),
        )
        .await;
    assert_eq!(
        status,
        StatusCode::CREATED,
        "acceptance account made: {body}"
    );
    let (_, acceptance) = hub
        .admin("GET", &format!("/projects/{project}/acceptance"), None)
        .await;
    let store = hub.hub.store_for_test();
    let account = store
        .db(|db| db.merchants().acceptance_of(project))
        .map_err(|e: linker_hub::StoreError| e)
        .unwrap()
        .expect("the acceptance account exists");
    let now = linker_hub::Clock::now(hub.clock.as_ref());
    let verdict = linker_cases::Verdict {
        outcome: linker_cases::Outcome::Passed,
        summary: "Passed (fixture).".to_owned(),
        checks: Vec::new(),
    };
    let verdict = serde_json::to_string(&verdict).unwrap();
    for (i, case) in acceptance["cases"].as_array().unwrap().iter().enumerate() {
        let id = format!("run_fixture_{project}_{i:02}");
        let case_id = case["caseId"].as_str().unwrap();
        store
            .transaction(|db| {
                db.runs().insert(&linker_hub::store::runs::NewRun {
                    id: &id,
                    project_id: project,
                    merchant_id: &account.id,
                    case_id,
                    started_at: now,
                    slow_answer_secs: None,
                    wallet: "TEST_WALLET",
                })?;
                db.runs().decide(
                    &id,
                    linker_hub::store::runs::RunStatus::Passed,
                    now,
                    &verdict,
                )
            })
            .map_err(|e: linker_hub::StoreError| e)
            .unwrap();
    }
    let (_, after) = hub
        .admin("GET", &format!("/projects/{project}/acceptance"), None)
        .await;
    assert_eq!(
        after["status"], "PASSED",
        "the fixture passes acceptance: {after}"
    );
}
