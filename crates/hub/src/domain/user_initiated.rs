//! Private order codes: the wallet scanned a code on a domain the ACQP registered, so the hub
//! asks the ACQP what it is with `userInitiatedPay` (signed, reply verified, logged and recorded
//! in the run), and turns a valid order into a payment waiting for the customer.

use chrono::Utc;
use linker_aplus::message::{UserInitiatedPayRequest, UserInitiatedPayResponse};
use linker_aplus::validate::parse_and_validate;
use linker_aplus::{ApiResult, ResultCode, ResultStatus};
use linker_cases::{CallbackKind, EventKind, HubCallback};

use crate::domain::acqp::ReplySignature;

use crate::Hub;
use crate::domain::acqp::{SentCall, judge_reply};
use crate::domain::payments::{DEFAULT_PAYMENT_EXPIRY, Payment, PaymentKey, PaymentStatus};
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
        let wallet = self.run_wallet(Some(run_id));
        let request = UserInitiatedPayRequest {
            acquirer_id: project.acquirer_id.clone(),
            psp_id: wallet.psp_id.to_owned(),
            code_value: code_value.to_owned(),
            customer_id: Some(self.customer_id(wallet)),
        };
        let body = serde_json::to_string(&request).unwrap_or_default();
        let mut first: Option<UserInitiatedPayResponse> = None;
        let mut problem = None;
        for attempt in 1..=calls.max(1) {
            let (parsed, why) = self.ask_once(project, run_id, &url, &body, attempt).await?;
            match parsed {
                Some(parsed) if first.is_none() => first = Some(parsed),
                _ => {
                    if problem.is_none() {
                        problem = why;
                    }
                }
            }
        }
        let Some(answer) = first else {
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

    /// One `userInitiatedPay` call, logged and recorded in the run: the answer when it is valid
    /// (HTTP 200, a valid body, a valid signature), and otherwise why not.
    async fn ask_once(
        &self,
        project: &Project,
        run_id: &str,
        url: &str,
        body: &str,
        attempt: u32,
    ) -> Result<(Option<UserInitiatedPayResponse>, Option<String>), HubError> {
        let sent = self.call_acqp(project, url, body, false).await?;
        let (valid, parsed, signature, why) = judge_answer(project, &sent);
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
            request_body: body.to_owned(),
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
        Ok((parsed.filter(|_| valid), why))
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
            now.with_timezone(&linker_aplus::time::beijing())
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
        let payment = Payment {
            payment_id: payment_id.clone(),
            project_id: project.id.clone(),
            payment_request_id: request_id,
            scenario: "privateOrderCode".to_owned(),
            amount,
            fingerprint,
            status: PaymentStatus::InProcess,
            result_code: ResultCode::PaymentInProcess,
            result_message: "waiting for the customer".to_owned(),
            customer_id: request.customer_id.clone(),
            code_value: Some(request.code_value.clone()),
            payment_url: None,
            notify_url: answer.payment_notify_url.clone(),
            created_at: now,
            expires_at: Some(expires),
            paid_at: None,
            closed_at: None,
            refunded_value: 0,
            run_id: Some(run_id.to_owned()),
            wallet: self.store.db(|db| db.runs().wallet(run_id))?,
        };
        self.store.db(|db| db.payments().insert(&payment, &body))?;
        let payment = self
            .payment(&project.id, PaymentKey::PaymentId(&payment_id))?
            .ok_or_else(|| HubError::Internal(format!("payment {payment_id} vanished")))?;
        debug_assert_eq!(payment.status, PaymentStatus::InProcess);
        self.record_payment_state(&payment);
        Ok(payment)
    }
}

/// Judges a `userInitiatedPay` reply: whether it is usable, the parsed answer, the reply's
/// signature verdict, and why it is not usable.
fn judge_answer(
    project: &Project,
    sent: &SentCall,
) -> (
    bool,
    Option<UserInitiatedPayResponse>,
    ReplySignature,
    Option<String>,
) {
    match (sent.http_status, &sent.reply) {
        (Some(status), Some(reply)) => {
            let verdict = judge_reply(project, &sent.path, status, &sent.response_headers, reply);
            let parsed = parse_and_validate::<UserInitiatedPayResponse>(reply.as_bytes());
            let why = match (
                &parsed,
                status,
                verdict.reply_signature.to_string().as_str(),
            ) {
                (_, status, _) if status != 200 => Some(format!("HTTP {status} instead of 200")),
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
    }
}
