//! The merchant's side of the wallet API: a signed-in [`Wallet`] that starts runs, shows codes
//! and answers questions, and the raw upload of an evidence photo.

use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;
use serde_json::{Value, json};
use tower::ServiceExt;

use super::{Acqp, TestHub, wallet_call as call};

/// A signed-in merchant of a project.
pub struct Wallet {
    token: String,
}

impl Wallet {
    /// The session token.
    pub fn token(&self) -> &str {
        &self.token
    }

    pub async fn sign_in(hub: &TestHub, acqp: &Acqp, mid: &str) -> Wallet {
        Wallet::sign_in_with(hub, acqp, mid, &["UPM", "MPM"]).await
    }

    /// Invites a merchant with `products` and signs its wallet in.
    pub async fn sign_in_with(hub: &TestHub, acqp: &Acqp, mid: &str, products: &[&str]) -> Wallet {
        Wallet::sign_in_named(
            hub,
            acqp,
            "Cafe",
            mid,
            &format!("{mid}@shop.example"),
            products,
        )
        .await
    }

    /// Invites a merchant named `name` and signs its wallet in.
    pub async fn sign_in_named(
        hub: &TestHub,
        acqp: &Acqp,
        name: &str,
        mid: &str,
        email: &str,
        products: &[&str],
    ) -> Wallet {
        let (status, invited) = hub
            .admin(
                "POST",
                &format!("/projects/{}/merchants", acqp.project.id),
                Some(json!({"name": name, "mid": mid, "email": email, "products": products})),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{invited}");
        let code = invited["invitation"]["code"].as_str().unwrap();
        let (status, session) = call(
            hub,
            "POST",
            "/sign-in/invitation",
            None,
            Some(json!({"invitationCode": code, "password": "long enough"})),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{session}");
        Wallet {
            token: session["token"].as_str().unwrap().to_owned(),
        }
    }

    pub async fn send(
        &self,
        hub: &TestHub,
        method: &str,
        path: &str,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        call(hub, method, path, Some(&self.token), body).await
    }

    pub async fn start(&self, hub: &TestHub, case: &str) -> String {
        let (status, run) = self
            .send(hub, "POST", "/runs", Some(json!({"caseId": case})))
            .await;
        assert_eq!(status, StatusCode::CREATED, "{run}");
        assert_eq!(run["status"], "open");
        run["id"].as_str().unwrap().to_owned()
    }

    pub async fn code(&self, hub: &TestHub, run: &str) -> String {
        let (status, code) = self
            .send(hub, "POST", &format!("/runs/{run}/payment-code"), None)
            .await;
        assert_eq!(status, StatusCode::CREATED, "{code}");
        code["code"].as_str().unwrap().to_owned()
    }

    pub async fn answer(
        &self,
        hub: &TestHub,
        run: &str,
        write: &str,
        question: &str,
        yes: bool,
    ) -> Value {
        let (status, view) = self
            .send(
                hub,
                "POST",
                &format!("/runs/{run}/manual-answers"),
                Some(json!({"writeId": write, "questionId": question, "answer": yes})),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{view}");
        view
    }

    pub async fn run(&self, hub: &TestHub, run: &str) -> Value {
        let (status, view) = self.send(hub, "GET", &format!("/runs/{run}"), None).await;
        assert_eq!(status, StatusCode::OK, "{view}");
        view
    }
}

/// The first bytes of a PNG file: enough for the hub to take it as a photo.
pub const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR-not-a-real-image-but-png-magic";

/// PUTs raw bytes to a wallet path.
pub async fn put(hub: &TestHub, token: &str, path: &str, bytes: &[u8]) -> (StatusCode, Value) {
    let request = Request::builder()
        .method("PUT")
        .uri(format!("/wallet/v1{path}"))
        .header("authorization", format!("Bearer {token}"))
        .header("content-type", "image/png")
        .body(Body::from(bytes.to_vec()))
        .unwrap();
    let response = hub.router().oneshot(request).await.unwrap();
    let status = response.status();
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    (
        status,
        serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    )
}
