//! The hub as a client of the ACQP: a body signed with the project's hub key (or, on purpose,
//! with another key), POSTed within [`CALLBACK_TIMEOUT`], logged in the request log, and the
//! reply judged as an ack (HTTP 200, signed with the ACQP's key, `SUCCESS`/`S`). notifyPayment
//! deliveries (the callbacks layer), userInitiatedPay and authNotify all go through here, to a
//! target [`outbound`] admits.

use std::time::{Duration as StdDuration, Instant};

use chrono::{DateTime, Utc};
use linker_aplus::Signer;
use linker_aplus::Verifier;
use linker_aplus::signature::{SignedContent, path_for_signing};
use linker_aplus::time::format_wire_time;
use linker_cases::SignatureVerdict;
use serde::Serialize;

use crate::Hub;
use crate::domain::outbound;
pub use crate::domain::outbound::CALLBACK_TIMEOUT;
use crate::domain::projects::Project;
use crate::domain::request_log::{Direction, Exchange};
use crate::error::HubError;
pub use crate::store::exchanges::ReplySignature;
use linker_aplus::time::beijing;

/// What one attempt found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AttemptVerdict {
    /// The HTTP status, when an answer came.
    pub http_status: Option<u16>,
    /// The reply body.
    pub reply: Option<String>,
    /// Whether the reply's signature verified (shown as `valid`, `missing` or `invalid: <why>`).
    pub reply_signature: ReplySignature,
    /// True for a signed `SUCCESS`/`S` ack.
    pub acknowledged: bool,
    /// Why it is not an ack, in plain words.
    pub problem: Option<String>,
}

/// One signed call from the hub to an ACQP endpoint, and what came back.
#[derive(Debug, Clone)]
pub struct SentCall {
    /// When it was sent (hub clock).
    pub sent_at: DateTime<Utc>,
    /// The path signed over.
    pub path: String,
    /// The headers sent.
    pub request_headers: Vec<(String, String)>,
    /// The body sent.
    pub body: String,
    /// The reply's HTTP status, when one came.
    pub http_status: Option<u16>,
    /// The reply's headers.
    pub response_headers: Vec<(String, String)>,
    /// The reply body, when one came.
    pub reply: Option<String>,
    /// Why no reply came.
    pub error: Option<String>,
    /// How long it took.
    pub latency: StdDuration,
}

/// The most bytes of an ACQP's reply the hub reads: an ack is a few hundred bytes.
pub const MAX_REPLY_BYTES: usize = 64 * 1024;

/// Reads a reply's body, refusing one longer than `cap` bytes (without reading past it).
async fn read_capped(mut response: reqwest::Response, cap: usize) -> Result<String, String> {
    let mut bytes = Vec::new();
    loop {
        match response.chunk().await {
            Ok(Some(chunk)) => {
                if bytes.len() + chunk.len() > cap {
                    return Err(format!(
                        "the reply is longer than {} KB: an Alipay+ answer is a small JSON document",
                        cap / 1024
                    ));
                }
                bytes.extend_from_slice(&chunk);
            }
            Ok(None) => return Ok(String::from_utf8_lossy(&bytes).into_owned()),
            Err(error) => return Err(format!("the reply could not be read: {error}")),
        }
    }
}

/// Takes an ACQP's reply into `sent`: its status and headers, and its body up to
/// [`MAX_REPLY_BYTES`]; a redirect is noted, never followed.
async fn read_response(sent: &mut SentCall, response: reqwest::Response) {
    sent.http_status = Some(response.status().as_u16());
    sent.response_headers = response
        .headers()
        .iter()
        .map(|(n, v)| {
            (
                n.as_str().to_owned(),
                String::from_utf8_lossy(v.as_bytes()).into_owned(),
            )
        })
        .collect();
    if response.status().is_redirection() {
        let to = response
            .headers()
            .get(reqwest::header::LOCATION)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("nowhere")
            .to_owned();
        sent.error = Some(format!(
            "the endpoint redirected (HTTP {}) to {to}: the hub does not follow redirects; register the final URL",
            response.status().as_u16()
        ));
    }
    match read_capped(response, MAX_REPLY_BYTES).await {
        Ok(reply) => sent.reply = Some(reply),
        Err(why) => sent.error = Some(why),
    }
}

impl Hub {
    /// POSTs a body to an ACQP endpoint, signed with the project's hub key (or, `forged`, with
    /// a key that is not it), within [`CALLBACK_TIMEOUT`]. The URL is read once (see
    /// [`crate::domain::outbound`]) and that reading is both signed over and dialled; a target
    /// the hub refuses is not called, and the refusal is the call's error.
    pub(crate) async fn call_acqp(
        &self,
        project: &Project,
        url: &str,
        body: &str,
        forged: bool,
    ) -> Result<SentCall, HubError> {
        let outbound = self.outbound();
        let target = outbound.target(url);
        let sent_at = self.clock.now();
        let path = match &target {
            Ok(target) => target.path_and_query(),
            Err(_) => path_for_signing(url).to_owned(),
        };
        let request_headers = self.signed_headers(project, &path, &sent_at, body, forged)?;
        let started = Instant::now();
        let mut sent = SentCall {
            sent_at,
            path,
            request_headers,
            body: body.to_owned(),
            http_status: None,
            response_headers: Vec::new(),
            reply: None,
            error: None,
            latency: StdDuration::ZERO,
        };
        let target = match target {
            Ok(target) => target,
            Err(refused) => {
                sent.error = Some(refused);
                return Ok(sent);
            }
        };
        let mut request = outbound
            .client()
            .post(target.url().clone())
            .timeout(CALLBACK_TIMEOUT);
        for (name, value) in &sent.request_headers {
            request = request.header(name, value);
        }
        match request.body(body.to_owned()).send().await {
            Err(error) => {
                sent.error = Some(if let Some(refused) = outbound::refusal(&error) {
                    refused
                } else if error.is_timeout() {
                    format!("no answer within {} s", CALLBACK_TIMEOUT.as_secs())
                } else if error.is_connect() {
                    format!("cannot connect to {url}")
                } else {
                    format!("the request failed: {error}")
                });
            }
            Ok(response) => read_response(&mut sent, response).await,
        }
        sent.latency = started.elapsed();
        Ok(sent)
    }

    /// The headers of a signed call: Content-Type, Client-Id, Request-Time and Signature.
    fn signed_headers(
        &self,
        project: &Project,
        path: &str,
        sent_at: &DateTime<Utc>,
        body: &str,
        forged: bool,
    ) -> Result<Vec<(String, String)>, HubError> {
        let request_time = format_wire_time(&sent_at.with_timezone(&beijing()));
        let signature = if forged {
            Signer::new(project.client_id.clone(), self.forgery_key()?).sign(
                "POST",
                path,
                &request_time,
                body.as_bytes(),
            )
        } else {
            self.project_keys(project)?
                .signer
                .sign("POST", path, &request_time, body.as_bytes())
        }
        .map_err(|e| HubError::Internal(format!("cannot sign a callback: {e}")))?
        .format();
        Ok(vec![
            (
                "content-type".to_owned(),
                "application/json; charset=UTF-8".to_owned(),
            ),
            ("client-id".to_owned(), project.client_id.clone()),
            ("request-time".to_owned(), request_time),
            ("signature".to_owned(), signature),
        ])
    }

    /// A key that is not the project's hub key, for callbacks signed wrongly on purpose.
    fn forgery_key(&self) -> Result<linker_aplus::PrivateKey, HubError> {
        let mut slot = self.forgery.lock().unwrap_or_else(|p| p.into_inner());
        if slot.is_none() {
            let pair = linker_aplus::KeyPair::generate()
                .map_err(|e| HubError::Internal(format!("cannot make a forgery key: {e}")))?;
            *slot = Some(pair.private.to_base64());
        }
        let text = slot.clone().unwrap_or_default();
        linker_aplus::PrivateKey::from_base64_or_pem(&text)
            .map_err(|e| HubError::Internal(format!("forgery key: {e}")))
    }

    /// Logs a call to the ACQP in the request log.
    pub(crate) fn log_outbound(
        &self,
        project: &Project,
        api: &str,
        sent: &SentCall,
        reply_signature: &ReplySignature,
        forced: bool,
        run_id: Option<&str>,
    ) -> Result<(), HubError> {
        let reply_json: Option<serde_json::Value> = sent
            .reply
            .as_deref()
            .and_then(|r| serde_json::from_str(r).ok());
        let field = |name: &str| {
            reply_json
                .as_ref()
                .and_then(|v| v.get("result"))
                .and_then(|r| r.get(name))
                .and_then(|v| v.as_str())
                .map(str::to_owned)
        };
        self.log_exchange(&Exchange {
            seq: 0,
            project_id: Some(project.id.clone()),
            client_id: Some(project.client_id.clone()),
            at: sent.sent_at,
            direction: Direction::Outbound,
            api: api.to_owned(),
            path: sent.path.clone(),
            request_headers: sent.request_headers.iter().cloned().collect(),
            request_body: sent.body.clone(),
            signature_verdict: reply_signature.clone().into(),
            response_headers: sent
                .response_headers
                .iter()
                .map(|(n, v)| (n.to_ascii_lowercase(), v.clone()))
                .collect(),
            response_body: sent.reply.clone().unwrap_or_default(),
            result_code: field("resultCode"),
            result_status: field("resultStatus"),
            forced,
            latency_us: i64::try_from(sent.latency.as_micros()).unwrap_or(i64::MAX),
            run_id: run_id.map(str::to_owned),
            ..Exchange::default()
        })?;
        Ok(())
    }
}

/// Decides whether an ACQP's reply to a callback is a valid ack: HTTP 200, signed with the
/// project's ACQP key over the callback's path, `result` SUCCESS / S.
pub fn judge_reply(
    project: &Project,
    path: &str,
    http_status: u16,
    headers: &[(String, String)],
    body: &str,
) -> AttemptVerdict {
    let header = |name: &str| {
        headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    };
    let reply_signature = ReplySignature::from(reply_signature_verdict(
        project,
        path,
        header("signature"),
        header("response-time"),
        header("client-id"),
        body,
    ));
    let result: Option<(String, String)> = serde_json::from_str::<serde_json::Value>(body)
        .ok()
        .and_then(|v| {
            let result = v.get("result")?;
            Some((
                result.get("resultCode")?.as_str()?.to_owned(),
                result.get("resultStatus")?.as_str()?.to_owned(),
            ))
        });
    let problem = if http_status != 200 {
        Some(format!("HTTP {http_status} instead of 200"))
    } else {
        match &result {
            None => Some("the reply has no result {resultCode, resultStatus}".to_owned()),
            Some((code, status)) if code != "SUCCESS" || status != "S" => {
                Some(format!("the reply is {code}/{status}, not SUCCESS/S"))
            }
            Some(_) if !reply_signature.is_valid() => Some(format!(
                "the ack is not signed correctly ({reply_signature}): Alipay+ retries unsigned acks"
            )),
            Some(_) => None,
        }
    };
    AttemptVerdict {
        http_status: Some(http_status),
        reply: Some(body.to_owned()),
        acknowledged: problem.is_none(),
        reply_signature,
        problem,
    }
}

/// Whether a reply's signature verifies with the project's ACQP key over the callback's path.
fn reply_signature_verdict(
    project: &Project,
    path: &str,
    signature: Option<&str>,
    time: Option<&str>,
    client_id: Option<&str>,
    body: &str,
) -> SignatureVerdict {
    let (signature, time) = match (signature, time) {
        (None, _) => return SignatureVerdict::Missing,
        (Some(_), None) => {
            return SignatureVerdict::Invalid {
                reason: "the Response-Time header is missing".to_owned(),
            };
        }
        (Some(signature), Some(time)) => (signature, time),
    };
    let client_id = client_id.unwrap_or(&project.client_id);
    let verified = project
        .acqp_key()
        .map_err(|e| e.to_string())
        .and_then(|key| {
            let content = SignedContent {
                method: "POST",
                path,
                client_id,
                time,
                body: body.as_bytes(),
            };
            Verifier::new(key)
                .verify_header(&content, signature)
                .map_err(|e| e.to_string())
        });
    match verified {
        Ok(()) => SignatureVerdict::Valid,
        Err(reason) => SignatureVerdict::Invalid { reason },
    }
}

#[cfg(test)]
mod tests {
    use linker_cases::SignatureVerdict;

    use super::ReplySignature;

    #[test]
    fn a_reply_signature_is_written_and_read_as_the_request_log_writes_it() {
        let invalid = ReplySignature::from(SignatureVerdict::Invalid {
            reason: "signed over a different body".to_owned(),
        });
        for (signature, text) in [
            (ReplySignature::from(SignatureVerdict::Valid), "valid"),
            (ReplySignature::missing(), "missing"),
            (invalid, "invalid: signed over a different body"),
        ] {
            assert_eq!(signature.to_string(), text);
            assert!(signature == text);
            assert_eq!(ReplySignature::from_text(text), signature);
            assert_eq!(
                serde_json::to_string(&signature).ok(),
                Some(format!("{text:?}"))
            );
        }
        assert!(ReplySignature::missing() != "valid");
    }
}
