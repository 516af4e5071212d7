//! Signed calls to the hub's Alipay+ gateway, with the project's `Agent-Token` when it is known;
//! every answer's signature is verified before it is believed. An answer that does not verify, a timeout or a broken connection is an unknown
//! result, never a success or a failure. The timeout is on the acquirer's clock (see
//! [`crate::pause`]).

use std::time::Duration;

use linker_aplus::message::Api;
use linker_aplus::signature::{SignedContent, path_for_signing};
use linker_aplus::time::format_wire_time;
use linker_aplus::{ApiResult, Signer, Verifier};
use serde::Serialize;
use serde::de::DeserializeOwned;

/// What a call to the hub gave.
#[derive(Debug, Clone)]
pub enum Reply<T> {
    /// A signed, verified, parsed answer.
    Answered(T),
    /// No answer to trust: why (timeout, connection, bad signature, unparsable).
    Unknown(String),
}

/// Something with a `result`.
pub trait HasResult {
    /// The answer's `result`.
    fn result(&self) -> &ApiResult;
}

macro_rules! has_result {
    ($($t:ty),*) => {$(
        impl HasResult for $t {
            fn result(&self) -> &ApiResult {
                &self.result
            }
        }
    )*};
}

has_result!(
    linker_aplus::message::PayResponse,
    linker_aplus::message::InquiryPaymentResponse,
    linker_aplus::message::CancelPaymentResponse,
    linker_aplus::message::RefundResponse,
    linker_aplus::message::ConsultPaymentResponse,
    linker_aplus::message::PrepareResponse,
    linker_aplus::message::ApplyTokenResponse,
    linker_aplus::message::ResultOnly
);

/// The signed client of the hub's gateway.
#[derive(Debug)]
pub struct Gateway {
    base: String,
    signer: Signer,
    verifier: Verifier,
    http: reqwest::Client,
    timeout: Duration,
    clock: std::sync::Arc<dyn crate::config::Clock>,
    agent_token: std::sync::RwLock<Option<String>>,
}

fn header<'a>(headers: &'a reqwest::header::HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

impl Gateway {
    /// A gateway client for `base` (no trailing slash), signing as `signer`.
    pub fn new(
        base: &str,
        signer: Signer,
        verifier: Verifier,
        timeout: Duration,
        clock: std::sync::Arc<dyn crate::config::Clock>,
    ) -> Gateway {
        let http = reqwest::Client::builder()
            .timeout(timeout)
            .build()
            .unwrap_or_default();
        Gateway {
            base: base.trim_end_matches('/').to_owned(),
            signer,
            verifier,
            http,
            timeout,
            clock,
            agent_token: std::sync::RwLock::new(None),
        }
    }

    /// Sends `token` as the `Agent-Token` header of every call from now on (`None`: no header).
    pub fn set_agent_token(&self, token: Option<String>) {
        *self
            .agent_token
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner()) = token;
    }

    fn agent_token(&self) -> Option<String> {
        self.agent_token
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .clone()
    }

    /// Signs and sends one request, verifies and parses the answer.
    pub async fn call<Req: Serialize, Resp: DeserializeOwned + HasResult>(
        &self,
        api: Api,
        request: &Req,
    ) -> Reply<Resp> {
        let Some(api_path) = api.hub_path() else {
            return Reply::Unknown(format!("{} is not an API the hub serves", api.name()));
        };
        let url = format!("{}{api_path}", self.base);
        let path = path_for_signing(&url).to_owned();
        let body = match serde_json::to_string(request) {
            Ok(body) => body,
            Err(e) => return Reply::Unknown(format!("the request could not be written: {e}")),
        };
        let time = format_wire_time(&self.clock.now());
        let signature = match self.signer.sign("POST", &path, &time, body.as_bytes()) {
            Ok(signature) => signature.format(),
            Err(e) => return Reply::Unknown(format!("the request could not be signed: {e}")),
        };
        let mut sending = self
            .http
            .post(&url)
            .header("content-type", "application/json; charset=UTF-8")
            .header("client-id", self.signer.client_id())
            .header("request-time", &time)
            .header("signature", signature);
        if let Some(token) = self.agent_token() {
            sending = sending.header("agent-token", token);
        }
        let sending = sending.body(body).send();
        // The client's own timeout is real time; on a test clock that is moved forward the
        // call also times out once the clock has passed it (UPM-06 in the demo).
        let sent = tokio::select! {
            sent = sending => sent,
            () = crate::pause::pause(self.clock.as_ref(), self.timeout) => {
                return Reply::Unknown(format!(
                    "{} timed out: no answer within {} s",
                    api.name(),
                    self.timeout.as_secs_f64()
                ));
            }
        };
        let response = match sent {
            Ok(response) => response,
            Err(e) if e.is_timeout() => {
                return Reply::Unknown(format!("{} timed out: {e}", api.name()));
            }
            Err(e) => return Reply::Unknown(format!("{} failed: {e}", api.name())),
        };
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let bytes = match response.bytes().await {
            Ok(bytes) => bytes,
            Err(e) => return Reply::Unknown(format!("{} answer not read: {e}", api.name())),
        };
        if status != 200 {
            return Reply::Unknown(format!("{} answered HTTP {status}", api.name()));
        }
        let (Some(signature), Some(time), Some(client_id)) = (
            header(&headers, "signature"),
            header(&headers, "response-time"),
            header(&headers, "client-id"),
        ) else {
            return Reply::Unknown(format!(
                "{} answer is not signed (signature, response-time, client-id headers)",
                api.name()
            ));
        };
        let content = SignedContent {
            method: "POST",
            path: &path,
            client_id,
            time,
            body: &bytes,
        };
        if let Err(e) = self.verifier.verify_header(&content, signature) {
            return Reply::Unknown(format!(
                "{} answer's signature does not verify ({e}): not trusted",
                api.name()
            ));
        }
        match serde_json::from_slice::<Resp>(&bytes) {
            Ok(parsed) => Reply::Answered(parsed),
            Err(e) => Reply::Unknown(format!("{} answer not understood: {e}", api.name())),
        }
    }
}
