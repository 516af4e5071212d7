//! A test ACQP's notify endpoint on a loopback port: it verifies the hub's signature, records
//! what it received and acknowledges the way a test asks ([`Ack`]).

use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Bytes;
use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use axum::routing::post;
use linker_aplus::signature::SignedContent;
use linker_aplus::{PrivateKey, PublicKey, Signer, Verifier};
use serde_json::json;

use super::{Acqp, TestHub};

/// How the test ACQP answers notifications.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ack {
    /// A signed SUCCESS/S ack, after verifying the hub's signature (a forged one gets F).
    Signed,
    /// SUCCESS/S without a signature.
    Unsigned,
    /// A signed SUCCESS/S ack without checking the hub's signature first (a forged one too).
    Unverified,
}

/// What the ACQP received.
#[derive(Debug, Clone)]
pub struct Received {
    pub body: serde_json::Value,
    pub signature_valid: bool,
}

#[derive(Clone)]
struct Endpoint {
    ack: Ack,
    client_id: String,
    key_base64: String,
    hub_key: Arc<Mutex<Option<PublicKey>>>,
    received: Arc<Mutex<Vec<Received>>>,
}

/// A test ACQP's notify endpoint, on a loopback port.
pub struct NotifyEndpoint {
    pub url: String,
    hub_key: Arc<Mutex<Option<PublicKey>>>,
    pub received: Arc<Mutex<Vec<Received>>>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for NotifyEndpoint {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn notify(
    axum::extract::State(endpoint): axum::extract::State<Endpoint>,
    headers: HeaderMap,
    body: Bytes,
) -> impl IntoResponse {
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned()
    };
    let hub_key = endpoint
        .hub_key
        .lock()
        .unwrap()
        .clone()
        .expect("hub key set before notifications");
    let content = SignedContent {
        method: "POST",
        path: "/notify",
        client_id: &header("client-id"),
        time: &header("request-time"),
        body: &body,
    };
    let signature_valid = Verifier::new(hub_key)
        .verify_header(&content, &header("signature"))
        .is_ok();
    endpoint.received.lock().unwrap().push(Received {
        body: serde_json::from_slice(&body).unwrap_or_default(),
        signature_valid,
    });
    let reply = if signature_valid || endpoint.ack == Ack::Unverified {
        json!({"result": {"resultCode": "SUCCESS", "resultStatus": "S", "resultMessage": "success"}})
    } else {
        json!({"result": {"resultCode": "INVALID_SIGNATURE", "resultStatus": "F", "resultMessage": "bad signature"}})
    }
    .to_string();
    let time = "2026-11-25T10:00:01+08:00";
    let mut response = (StatusCode::OK, reply.clone()).into_response();
    response
        .headers_mut()
        .insert("response-time", time.parse().unwrap());
    response
        .headers_mut()
        .insert("client-id", endpoint.client_id.parse().unwrap());
    if endpoint.ack != Ack::Unsigned {
        let key = PrivateKey::from_base64_or_pem(&endpoint.key_base64).unwrap();
        let signature = Signer::new(endpoint.client_id.clone(), key)
            .sign("POST", "/notify", time, reply.as_bytes())
            .unwrap()
            .format();
        response
            .headers_mut()
            .insert("signature", signature.parse().unwrap());
    }
    response
}

impl NotifyEndpoint {
    pub async fn start(acqp: &Acqp, ack: Ack) -> NotifyEndpoint {
        Self::start_on(acqp, ack, "127.0.0.1:0").await
    }

    pub async fn start_on(acqp: &Acqp, ack: Ack, address: &str) -> NotifyEndpoint {
        let hub_key = Arc::new(Mutex::new(Some(acqp.hub_key.clone())));
        let received = Arc::new(Mutex::new(Vec::new()));
        let endpoint = Endpoint {
            ack,
            client_id: acqp.client_id.clone(),
            key_base64: acqp.key_base64.clone(),
            hub_key: hub_key.clone(),
            received: received.clone(),
        };
        let app = Router::new()
            .route("/notify", post(notify))
            .with_state(endpoint);
        let listener = tokio::net::TcpListener::bind(address).await.unwrap();
        let url = format!("http://{}/notify", listener.local_addr().unwrap());
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        NotifyEndpoint {
            url,
            hub_key,
            received,
            task,
        }
    }

    pub fn count(&self) -> usize {
        self.received.lock().unwrap().len()
    }

    pub fn set_hub_key(&self, key: PublicKey) {
        *self.hub_key.lock().unwrap() = Some(key);
    }
}

/// Points the project's notify URL at `url`.
pub async fn point_notify_at(hub: &TestHub, acqp: &Acqp, url: &str) {
    let (status, body) = hub
        .admin(
            "PATCH",
            &format!("/projects/{}", acqp.project.id),
            Some(json!({"notifyUrl": url})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
}

/// Starts a notify endpoint answering with `ack` and points the project's notify URL at it.
pub async fn notify_to(hub: &TestHub, acqp: &Acqp, ack: Ack) -> NotifyEndpoint {
    let endpoint = NotifyEndpoint::start(acqp, ack).await;
    point_notify_at(hub, acqp, &endpoint.url).await;
    endpoint
}
