//! Private order codes: the wallet scanned a code on a domain the ACQP registered, so the hub
//! asks the ACQP what it is with `userInitiatedPay` (queued, signed, reply verified, logged and
//! recorded in the run), and turns a valid order into a payment waiting for the customer. When
//! no usable answer comes (the ACQP is down, or the hub stopped mid-call), the queued call is
//! asked again on the project's schedule, and a valid order then still makes the payment.

use chrono::Utc;
use linker_aplus::message::{UserInitiatedPayRequest, UserInitiatedPayResponse};
use linker_aplus::validate::parse_and_validate;
use linker_aplus::{ApiResult, ResultCode, ResultStatus};

use crate::Hub;
use crate::domain::acqp::{AttemptVerdict, ReplySignature, SentCall, judge_reply};
use crate::domain::payments::{DEFAULT_PAYMENT_EXPIRY, Payment, PaymentKey, PaymentStatus};
use crate::domain::projects::Project;
use crate::error::HubError;
use crate::store::deliveries::{Delivery, USER_INITIATED_PAY};

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
        // Queued before it is sent: a crash or an ACQP outage leaves it pending, and the worker
        // asks again on the project's schedule (the order it gets then still makes the payment).
        let mut delivery = self.new_delivery(project, USER_INITIATED_PAY, url, body, Some(run_id));
        let held = self.hold_delivery(&delivery.id);
        self.store.db(|db| db.deliveries().insert(&delivery))?;
        let mut first: Option<UserInitiatedPayResponse> = None;
        let mut problem = None;
        for _ in 1..=calls.max(1) {
            let verdict = self.attempt_delivery(&mut delivery).await?;
            let parsed = verdict
                .reply
                .as_deref()
                .filter(|_| verdict.acknowledged)
                .and_then(|reply| {
                    parse_and_validate::<UserInitiatedPayResponse>(reply.as_bytes()).ok()
                });
            match parsed {
                Some(parsed) if first.is_none() => first = Some(parsed),
                _ => {
                    if problem.is_none() {
                        problem = verdict.problem;
                    }
                }
            }
        }
        drop(held);
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

    /// After the worker attempted a delivery: a userInitiatedPay that finally got a valid order
    /// makes its payment, waiting for the customer in the run (as the scan would have).
    pub(crate) fn after_delivery(
        &self,
        delivery: &Delivery,
        verdict: &AttemptVerdict,
    ) -> Result<(), HubError> {
        if delivery.api != USER_INITIATED_PAY || !verdict.acknowledged {
            return Ok(());
        }
        let Some(run_id) = delivery.run_id.as_deref() else {
            return Ok(());
        };
        let answer = verdict.reply.as_deref().and_then(|reply| {
            parse_and_validate::<UserInitiatedPayResponse>(reply.as_bytes()).ok()
        });
        let (Some(answer), Ok(request)) = (
            answer,
            serde_json::from_str::<UserInitiatedPayRequest>(&delivery.body),
        ) else {
            return Ok(());
        };
        if answer.result.result_status == ResultStatus::Success {
            let project = self.project(&delivery.project_id)?;
            self.payment_for_order(&project, run_id, &answer, &request)?;
        }
        Ok(())
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
pub(crate) fn judge_answer(
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
