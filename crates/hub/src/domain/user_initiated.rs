//! Private order codes: the wallet scanned a code on a domain the ACQP registered, so the hub
//! asks the ACQP what it is with `userInitiatedPay` (signed, reply verified, logged and recorded
//! in the run), and turns a valid order into a payment waiting for the customer.

use chrono::Utc;
use linker_aplus::message::{UserInitiatedPayRequest, UserInitiatedPayResponse};
use linker_aplus::validate::parse_and_validate;
use linker_aplus::{ApiResult, ResultStatus};
use linker_cases::{CallbackKind, EventKind, HubCallback};

use crate::domain::acqp::ReplySignature;
use rusqlite::params;

use crate::Hub;
use crate::domain::acqp::{SentCall, judge_reply};
use crate::domain::payments::{
    DEFAULT_PAYMENT_EXPIRY, Payment, PaymentKey, PaymentStatus, TEST_WALLET_PSP_ID,
};
use crate::domain::projects::Project;
use crate::error::HubError;

/// What the ACQP said about a private order code.
#[derive(Debug, Clone)]
pub enum PrivateCodeAnswer {
    /// A valid order: the payment now waiting for the customer.
    Order(Payment),
    /// The ACQP refused the code (e.g. `F ORDER_NOT_EXIST`).
    Refused(ApiResult),
    /// No usable answer: why.
    Broken(String),
}

impl Hub {
    /// Asks the ACQP about a scanned private order code (as many times as the run's script says,
    /// with the same body), records each call, and makes the payment from the first valid order.
    pub(crate) async fn ask_about_private_code(
        &self,
        project: &Project,
        run_id: &str,
        code_value: &str,
        calls: u32,
    ) -> Result<PrivateCodeAnswer, HubError> {
        let Some(url) = project.user_initiated_pay_url.clone() else {
            return Ok(PrivateCodeAnswer::Broken(
                "this acquirer registered no userInitiatedPay URL on the hub: set it in the project".to_owned(),
            ));
        };
        let request = UserInitiatedPayRequest {
            acquirer_id: project.acquirer_id.clone(),
            psp_id: TEST_WALLET_PSP_ID.to_owned(),
            code_value: code_value.to_owned(),
            customer_id: Some(format!("2188{}", self.ids.digits(12))),
        };
        let body = serde_json::to_string(&request).unwrap_or_default();
        let mut first: Option<(UserInitiatedPayResponse, SentCall)> = None;
        let mut problem = None;
        for attempt in 1..=calls.max(1) {
            let sent = self.call_acqp(project, &url, &body, false).await?;
            let (valid, parsed, signature, why) = match (sent.http_status, &sent.reply) {
                (Some(status), Some(reply)) => {
                    let verdict =
                        judge_reply(project, &sent.path, status, &sent.response_headers, reply);
                    let parsed = parse_and_validate::<UserInitiatedPayResponse>(reply.as_bytes());
                    let why = match (
                        &parsed,
                        status,
                        verdict.reply_signature.to_string().as_str(),
                    ) {
                        (_, status, _) if status != 200 => {
                            Some(format!("HTTP {status} instead of 200"))
                        }
                        (Err(error), _, _) => Some(format!(
                            "the reply is not a valid userInitiatedPay answer: {}",
                            error.message()
                        )),
                        (Ok(_), _, "valid") => None,
                        (Ok(_), _, other) => Some(format!("the reply's signature is {other}")),
                    };
                    (why.is_none(), parsed.ok(), verdict.reply_signature, why)
                }
                _ => (false, None, ReplySignature::missing(), sent.error.clone()),
            };
            self.log_outbound(
                project,
                "userInitiatedPay",
                &sent,
                &signature,
                false,
                Some(run_id),
            )?;
            let callback = HubCallback {
                callback: CallbackKind::UserInitiatedPay,
                attempt,
                forged: false,
                request_body: body.clone(),
                http_status: sent.http_status,
                reply_body: sent.reply.clone(),
                reply_signature: signature.into_verdict(),
                reply_valid: valid,
                error: if sent.http_status.is_none() {
                    sent.error.clone()
                } else {
                    None
                },
                latency_ms: u64::try_from(sent.latency.as_millis()).unwrap_or(u64::MAX),
            };
            self.append_event(run_id, sent.sent_at, EventKind::HubCallback(callback), None)?;
            match (valid, parsed) {
                (true, Some(parsed)) if first.is_none() => first = Some((parsed, sent)),
                _ => {
                    if problem.is_none() {
                        problem = why;
                    }
                }
            }
        }
        let Some((answer, _)) = first else {
            return Ok(PrivateCodeAnswer::Broken(problem.unwrap_or_else(|| {
                "the acquirer gave no usable answer".to_owned()
            })));
        };
        if answer.result.result_status != ResultStatus::Success {
            return Ok(PrivateCodeAnswer::Refused(answer.result));
        }
        let payment = self.payment_for_order(project, run_id, &answer, &request)?;
        Ok(PrivateCodeAnswer::Order(payment))
    }

    /// The payment behind a private order (the same order scanned again finds the same one).
    fn payment_for_order(
        &self,
        project: &Project,
        run_id: &str,
        answer: &UserInitiatedPayResponse,
        request: &UserInitiatedPayRequest,
    ) -> Result<Payment, HubError> {
        let request_id = answer.payment_request_id.clone().unwrap_or_default();
        if let Some(existing) = self.payment(&project.id, PaymentKey::RequestId(&request_id))? {
            return Ok(existing);
        }
        let Some(amount) = answer.payment_amount else {
            return Err(HubError::Internal(
                "a validated order has an amount".to_owned(),
            ));
        };
        let now = self.clock.now();
        let expires = answer
            .payment_expiry_time
            .as_deref()
            .and_then(|t| linker_aplus::time::parse_wire_time(t).ok())
            .map_or(now + DEFAULT_PAYMENT_EXPIRY, |t| {
                t.with_timezone(&Utc).min(now + DEFAULT_PAYMENT_EXPIRY)
            });
        let payment_id = format!(
            "{}{}",
            now.with_timezone(&crate::gateway::beijing())
                .format("%Y%m%d"),
            self.ids.digits(16)
        );
        let fingerprint = serde_json::json!({
            "paymentAmount": amount,
            "paymentFactor": answer.payment_factor,
            "settlementStrategy": answer.settlement_strategy,
            "paymentMethodType": "CONNECT_WALLET",
        });
        let body = serde_json::json!({ "order": answer.order, "codeValue": request.code_value })
            .to_string();
        self.store.with(|connection| {
            connection.prepare_cached("INSERT INTO payments (payment_id, project_id, payment_request_id, scenario, currency, value, \
                 fingerprint, request_body, status, result_code, result_message, customer_id, code_value, \
                 notify_url, created_at, expires_at, refunded_value, run_id) \
                 VALUES (?1, ?2, ?3, 'privateOrderCode', ?4, ?5, ?6, ?7, 'IN_PROCESS', 'PAYMENT_IN_PROCESS', \
                 'waiting for the customer', ?8, ?9, ?10, ?11, ?12, 0, ?13)")?.execute(params![
                    payment_id,
                    project.id,
                    request_id,
                    amount.currency().code(),
                    i64::try_from(amount.value()).unwrap_or(i64::MAX),
                    fingerprint.to_string(),
                    body,
                    request.customer_id,
                    request.code_value,
                    answer.payment_notify_url,
                    now.to_rfc3339(),
                    expires.to_rfc3339(),
                    run_id,
                ],
            )?;
            Ok(())
        })?;
        let payment = self
            .payment(&project.id, PaymentKey::PaymentId(&payment_id))?
            .ok_or_else(|| HubError::Internal(format!("payment {payment_id} vanished")))?;
        debug_assert_eq!(payment.status, PaymentStatus::InProcess);
        self.record_payment_state(&payment);
        Ok(payment)
    }
}
