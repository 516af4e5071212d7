//! The Alipay+ API as the ACQP backend sees it: one entry point, [`Hub::handle_aplus`], that takes
//! a raw HTTP request and returns the signed answer.
//!
//! Everything wrong gets the protocol's own answer, in this order: unknown Client-Id →
//! `INVALID_CLIENT`; not POST → `METHOD_NOT_SUPPORTED`; unknown path → `INVALID_API`; a body that
//! is not JSON → `MEDIA_TYPE_NOT_ACCEPTABLE` or `PARAM_ILLEGAL`; missing Request-Time →
//! `PARAM_ILLEGAL`; missing or bad signature → `INVALID_SIGNATURE` (with the most likely mistake
//! named); in TSP mode, a missing or wrong `Agent-Token` → `ACCESS_DENIED` naming the header
//! (checked only once the signature verified, so a forger learns nothing about the token); a bad
//! field → `PARAM_ILLEGAL` naming it. Every answer carries `client-id`,
//! `response-time` and, when the Client-Id names a project, a `signature` made with that
//! project's hub key (an unknown Client-Id has no key to sign with). Every verified call is
//! logged in the request log; a call whose signature did not verify, or that TSP mode refused,
//! is counted per Client-Id, with the last few kept as samples.

use std::collections::BTreeMap;
use std::time::Instant;

use linker_aplus::message::Api;
use linker_aplus::signature::{DiagnosisKind, SignedContent, diagnose, path_for_signing};
use linker_aplus::time::{RequestTime, format_wire_time};
use linker_aplus::{ApiResult, ResultCode, ValidationError};

use crate::Hub;
use crate::domain::admin_credential::constant_time_eq;
use crate::domain::agent_token::{AGENT_TOKEN_HEADER, AGENT_TOKEN_PREFIX, AgentTokenCheck};
pub use crate::domain::api_outcome::ApiOutcome;
use crate::domain::projects::Project;
use crate::domain::request_log::{Direction, Exchange, RefusedCall};
use crate::store::exchanges::LoggedSignature;
use linker_cases::SignatureVerdict;

/// An HTTP request as it reached the hub's Alipay+ gateway.
#[derive(Debug, Clone)]
pub struct IncomingCall {
    /// The HTTP method.
    pub method: String,
    /// The request target: a path with query, or an absolute URL (the Python SDK sends one).
    pub target: String,
    /// Header names and values; names are matched case-insensitively.
    pub headers: Vec<(String, String)>,
    /// The body bytes exactly as received.
    pub body: Vec<u8>,
}

impl IncomingCall {
    /// The first value of a header, by case-insensitive name.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_str())
    }
}

/// The hub's answer: always HTTP 200 with a `result`, headers in lowercase.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    /// The HTTP status (200 for every answer that has a `result`).
    pub status: u16,
    /// Response headers, lowercase names.
    pub headers: Vec<(String, String)>,
    /// The JSON body exactly as signed.
    pub body: String,
}

impl Answer {
    /// A header of the answer.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.as_str())
    }
}

/// Verifies the request's signature; `Err` holds the INVALID_SIGNATURE message.
fn check_signature(
    key: &linker_aplus::PublicKey,
    project: &Project,
    call: &IncomingCall,
    path: &str,
    time: &str,
) -> Result<(), String> {
    let Some(header) = call.header("signature") else {
        return Err("the Signature header is missing".to_owned());
    };
    let content = SignedContent {
        method: &call.method,
        path,
        client_id: &project.client_id,
        time,
        body: &call.body,
    };
    let diagnosis = diagnose(key, &content, header);
    if diagnosis.kind == DiagnosisKind::Verified {
        Ok(())
    } else {
        Err(format!(
            "the signature does not verify with the project's ACQP public key: {}",
            diagnosis.explanation
        ))
    }
}

/// What the gateway's checks found out about a call, for the log.
struct CallChecks {
    /// The signature check's verdict.
    signature_verdict: LoggedSignature,
    /// The Agent-Token check's (only made once the signature verified).
    agent_token: AgentTokenCheck,
}

impl CallChecks {
    /// True when the call got past every check: it counts for runs and is logged whole.
    fn admitted(&self) -> bool {
        self.signature_verdict.verdict().is_valid() && self.agent_token.passes()
    }
}

/// One call as the request log records it.
struct LoggedCall<'a> {
    project: Option<&'a Project>,
    call: &'a IncomingCall,
    api: Option<Api>,
    path: String,
    client_id: Option<String>,
    parsed: Option<&'a serde_json::Value>,
    received_at: chrono::DateTime<chrono::Utc>,
    started: Instant,
    checks: CallChecks,
}

impl Hub {
    /// Answers one Alipay+ API call: checks, dispatch, signing, logging.
    pub fn handle_aplus(&self, call: &IncomingCall) -> Answer {
        let started = Instant::now();
        let received_at = self.clock.now();
        let path = path_for_signing(&call.target).to_owned();
        let client_id = call.header("client-id").map(str::to_owned);
        let project = match client_id.as_deref() {
            Some(id) => self.project_by_client_id(id).ok().flatten(),
            None => None,
        };
        let api = Api::from_hub_path(&path);
        // Parsed once for the forced results, the run binding and the payment ids.
        let parsed: Option<serde_json::Value> = serde_json::from_slice(&call.body).ok();
        let mut checks = CallChecks {
            signature_verdict: LoggedSignature::NotChecked,
            agent_token: AgentTokenCheck::NotRequired,
        };

        let outcome = match &project {
            None => ApiOutcome::result(ApiResult::failure(
                ResultCode::InvalidClient,
                match &client_id {
                    Some(id) => format!("Client-Id {id} is not registered on this hub"),
                    None => "the Client-Id header is missing".to_owned(),
                },
            )),
            Some(project) => {
                self.checked_dispatch(project, call, &path, api, parsed.as_ref(), &mut checks)
            }
        };

        let answer = self.signed_answer(
            project.as_deref(),
            call,
            &path,
            client_id.as_deref(),
            &outcome,
        );
        self.log_call(
            LoggedCall {
                project: project.as_deref(),
                call,
                api,
                path,
                client_id,
                parsed: parsed.as_ref(),
                received_at,
                started,
                checks,
            },
            &outcome,
            &answer,
        );
        answer
    }

    /// The answer to a call: the outcome's body with `client-id` and `response-time`, signed
    /// with the project's hub key over the request's method and path (an unknown Client-Id has
    /// no key to sign with).
    fn signed_answer(
        &self,
        project: Option<&Project>,
        call: &IncomingCall,
        path: &str,
        client_id: Option<&str>,
        outcome: &ApiOutcome,
    ) -> Answer {
        let response_time = format_wire_time(&self.clock.now().with_timezone(&beijing()));
        let body = serde_json::to_string(&outcome.body).unwrap_or_else(|_| "{}".to_owned());
        let mut headers = vec![
            (
                "content-type".to_owned(),
                "application/json; charset=UTF-8".to_owned(),
            ),
            (
                "client-id".to_owned(),
                client_id.unwrap_or_default().to_owned(),
            ),
            ("response-time".to_owned(), response_time.clone()),
        ];
        if let Some(project) = project
            && let Ok(keys) = self.project_keys(project)
            && let Ok(signature) =
                keys.signer
                    .sign(&call.method, path, &response_time, body.as_bytes())
        {
            headers.push(("signature".to_owned(), signature.format()));
        }
        Answer {
            status: 200,
            headers,
            body,
        }
    }

    /// Logs an answered call in the request log and, when it concerns a run, records it there
    /// as evidence.
    fn log_call(&self, logged: LoggedCall<'_>, outcome: &ApiOutcome, answer: &Answer) {
        let result = outcome.body.get("result");
        let field = |name: &str| {
            result
                .and_then(|r| r.get(name))
                .and_then(|v| v.as_str())
                .map(str::to_owned)
        };
        let LoggedCall {
            project,
            call,
            api,
            path,
            client_id,
            parsed,
            received_at,
            started,
            checks,
        } = logged;
        // Only a verified call counts for a run: a call anyone could have sent (unsigned, or
        // signed with another key) stays in the request log as rejected and is no evidence; so
        // does a call TSP mode refused for want of the project's Agent-Token.
        let verified = checks.admitted();
        let run_id = match (project, api) {
            (Some(project), Some(api)) if verified => self.bind_run(&project.id, Some(api), parsed),
            _ => None,
        };
        let payment_id = match project {
            Some(project) if verified => self.payment_id_of(&project.id, parsed, &outcome.body),
            _ => None,
        };
        let exchange = Exchange {
            project_id: project.map(|p| p.id.clone()),
            client_id,
            at: received_at,
            direction: Direction::Inbound,
            api: api.map_or("unknown", Api::name).to_owned(),
            path,
            request_headers: logged_headers(project, &call.headers, checks.agent_token),
            request_body: String::from_utf8_lossy(&call.body).into_owned(),
            signature_verdict: checks.signature_verdict,
            response_headers: answer.headers.iter().cloned().collect(),
            response_body: answer.body.clone(),
            result_code: field("resultCode"),
            result_status: field("resultStatus"),
            forced: outcome.forced,
            latency_us: i64::try_from(started.elapsed().as_micros()).unwrap_or(i64::MAX),
            run_id,
            payment_id,
            ..Exchange::default()
        };
        // A call whose signature did not verify (anyone could have sent it, up to the body
        // limit), or that TSP mode refused, is counted, not logged whole: the last few per
        // Client-Id are kept as samples, where the TSP sees why.
        let logged = if verified {
            self.log_exchange(&exchange).map(|_| ())
        } else {
            let reason = field("resultMessage").unwrap_or_default();
            self.count_refused(&RefusedCall {
                exchange: &exchange,
                reason: &reason,
            })
        };
        if let Err(error) = logged {
            tracing::error!(%error, "could not log an exchange");
        }
        if let (Some(project), Some(api), Some(run_id)) = (project, api, &exchange.run_id) {
            let validation = (exchange.result_code.as_deref() == Some("PARAM_ILLEGAL"))
                .then(|| field("resultMessage"))
                .flatten();
            let ids = self.payment_ids(&project.id, parsed, &outcome.body);
            self.record_call(run_id, received_at, api, &exchange, validation, ids);
        }
    }

    /// The hub's id of the payment a verified call concerns, for the request log's index: the
    /// `paymentId` the request or the answer names, else the payment of the request's
    /// `paymentRequestId`.
    fn payment_id_of(
        &self,
        project_id: &str,
        request: Option<&serde_json::Value>,
        answer: &serde_json::Value,
    ) -> Option<String> {
        let text = |v: &serde_json::Value, key: &str| {
            v.get(key).and_then(|x| x.as_str()).map(str::to_owned)
        };
        if let Some(id) = request
            .and_then(|r| text(r, "paymentId"))
            .or_else(|| text(answer, "paymentId"))
        {
            return Some(id);
        }
        let request_id = request.and_then(|r| text(r, "paymentRequestId"))?;
        self.payment(
            project_id,
            crate::domain::payments::PaymentKey::RequestId(&request_id),
        )
        .ok()
        .flatten()
        .map(|payment| payment.payment_id)
    }

    fn checked_dispatch(
        &self,
        project: &Project,
        call: &IncomingCall,
        path: &str,
        api: Option<Api>,
        parsed: Option<&serde_json::Value>,
        checks: &mut CallChecks,
    ) -> ApiOutcome {
        if !call.method.eq_ignore_ascii_case("POST") {
            return ApiOutcome::result(ApiResult::failure(
                ResultCode::MethodNotSupported,
                format!(
                    "{} is not supported: every Alipay+ API takes POST",
                    call.method
                ),
            ));
        }
        let Some(api) = api else {
            return ApiOutcome::result(ApiResult::failure(
                ResultCode::InvalidApi,
                format!("{path} is not an Alipay+ API served by this hub"),
            ));
        };
        if let Some(content_type) = call.header("content-type")
            && !content_type
                .to_ascii_lowercase()
                .starts_with("application/json")
        {
            return ApiOutcome::result(ApiResult::failure(
                ResultCode::MediaTypeNotAcceptable,
                format!("Content-Type {content_type:?}: send application/json; charset=UTF-8"),
            ));
        }
        let Some(time) = call.header("request-time") else {
            return ApiOutcome::result(ApiResult::param_illegal("Request-Time header: missing"));
        };
        if let Err(error) = RequestTime::parse(time) {
            return ApiOutcome::result(ApiResult::param_illegal(format!(
                "Request-Time header: {error}; send ISO 8601 with an offset or epoch milliseconds"
            )));
        }
        let verified = match self.project_keys(project) {
            Ok(keys) => check_signature(&keys.acqp, project, call, path, time),
            Err(error) => Err(error.to_string()),
        };
        match verified {
            Ok(()) => checks.signature_verdict = SignatureVerdict::Valid.into(),
            Err(reason) => {
                checks.signature_verdict = if call.header("signature").is_none() {
                    SignatureVerdict::Missing
                } else {
                    SignatureVerdict::Invalid {
                        reason: reason.clone(),
                    }
                }
                .into();
                return ApiOutcome::result(ApiResult::failure(
                    ResultCode::InvalidSignature,
                    reason,
                ));
            }
        }
        // Only now that the signature verified: a forger learns nothing about the token.
        checks.agent_token = self.agent_token_check(project, call.header(AGENT_TOKEN_HEADER));
        if let Some(refusal) = checks.agent_token.refusal() {
            return ApiOutcome::result(ApiResult::failure(ResultCode::AccessDenied, refusal));
        }
        if std::str::from_utf8(&call.body).is_err() {
            return ApiOutcome::result(ApiResult::param_illegal("the body is not UTF-8"));
        }
        if let Some(result) = self.forced_answer(&project.id, api, parsed) {
            return ApiOutcome {
                body: serde_json::json!({ "result": result }),
                forced: true,
            };
        }
        match self.dispatch(project, api, &call.body) {
            Ok(outcome) => outcome,
            Err(error) => ApiOutcome::result(error.to_api_result()),
        }
    }

    fn dispatch(
        &self,
        project: &Project,
        api: Api,
        body: &[u8],
    ) -> Result<ApiOutcome, ValidationError> {
        use linker_aplus::validate::parse_and_validate;
        Ok(match api {
            Api::Pay => self.pay(project, linker_aplus::validate::validate_pay(body)?),
            Api::InquiryPayment => self.inquire(project, &parse_and_validate(body)?),
            Api::CancelPayment => self.cancel(project, &parse_and_validate(body)?),
            Api::Refund => self.refund(project, &parse_and_validate(body)?),
            Api::ConsultPayment => self.consult(project, &parse_and_validate(body)?),
            Api::Prepare => self.prepare(project, &parse_and_validate(body)?),
            Api::ApplyToken => self.apply_token(project, &parse_and_validate(body)?),
            Api::CancelToken => self.cancel_token(project, &parse_and_validate(body)?),
            Api::NotifyPayment | Api::UserInitiatedPay | Api::AuthNotify => {
                ApiOutcome::result(ApiResult::failure(
                    ResultCode::InvalidApi,
                    format!("{} is sent by Alipay+, not to it", api.name()),
                ))
            }
        })
    }
}

impl Hub {
    /// The (paymentRequestId, paymentId) a call concerns: from the request and the answer, and
    /// completed from the hub's payment when it knows it.
    fn payment_ids(
        &self,
        project_id: &str,
        request: Option<&serde_json::Value>,
        answer: &serde_json::Value,
    ) -> (Option<String>, Option<String>) {
        let text = |v: &serde_json::Value, key: &str| {
            v.get(key).and_then(|x| x.as_str()).map(str::to_owned)
        };
        let request_id = request.and_then(|r| text(r, "paymentRequestId"));
        let payment_id = request
            .and_then(|r| text(r, "paymentId"))
            .or_else(|| text(answer, "paymentId"));
        let known = match (&request_id, &payment_id) {
            (_, Some(id)) => self
                .payment(
                    project_id,
                    crate::domain::payments::PaymentKey::PaymentId(id),
                )
                .ok()
                .flatten(),
            (Some(id), None) => self
                .payment(
                    project_id,
                    crate::domain::payments::PaymentKey::RequestId(id),
                )
                .ok()
                .flatten(),
            (None, None) => None,
        };
        match known {
            Some(payment) => (Some(payment.payment_request_id), Some(payment.payment_id)),
            None => (request_id, payment_id),
        }
    }
}

/// UTC+8, the offset Alipay+ writes its times in (defined in linker-aplus).
pub use linker_aplus::time::{BEIJING, beijing};

/// The request's headers as the log keeps them: lowercase names, and an `Agent-Token` (a
/// credential: the project's sandbox token, an ACQP authorization's, or one TSP mode refused,
/// which may be another project's) only as a hint of its end and what it was taken for.
fn logged_headers(
    project: Option<&Project>,
    headers: &[(String, String)],
    check: AgentTokenCheck,
) -> BTreeMap<String, String> {
    let current = project.and_then(|p| p.agent_token.as_deref());
    headers
        .iter()
        .map(|(name, value)| {
            let name = name.to_ascii_lowercase();
            if !name.eq_ignore_ascii_case(AGENT_TOKEN_HEADER) {
                return (name, value.clone());
            }
            let sent = value.trim();
            let what = if current.is_some_and(|current| constant_time_eq(sent, current)) {
                "this project's Agent-Token"
            } else if check == AgentTokenCheck::Authorized {
                "an ACQP authorization's Agent-Token"
            } else {
                "not accepted"
            };
            let tail = sent
                .char_indices()
                .rev()
                .nth(3)
                .map_or("", |(at, _)| &sent[at..]);
            let prefix = if sent.starts_with(AGENT_TOKEN_PREFIX) {
                AGENT_TOKEN_PREFIX
            } else {
                ""
            };
            let hint = if sent.len() > 8 {
                format!("{prefix}…{tail} ({what})")
            } else {
                format!("… ({what})")
            };
            (name, hint)
        })
        .collect()
}
