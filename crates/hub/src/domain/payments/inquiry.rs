//! `inquiryPayment`, `cancelPayment` (with its window) and `consultPayment`.

use chrono::{DateTime, Utc};
use linker_aplus::message::{
    Api, CancelPaymentRequest, CancelPaymentResponse, ConsultPaymentRequest,
    ConsultPaymentResponse, InquiryPaymentRequest, InquiryPaymentResponse, PaymentOption,
};
use linker_aplus::time::format_wire_time;
use linker_aplus::wire::WireBool;
use linker_aplus::{ApiResult, ResultCode};
use linker_cases::CancelBehaviour;

use super::{
    Payment, PaymentKey, PaymentStatus, TEST_WALLET, TEST_WALLET_PSP_ID, cancel_deadline, internal,
    wire_quote,
};
use crate::Hub;
use crate::domain::api_outcome::ApiOutcome;
use crate::domain::projects::Project;
use crate::error::HubError;
use crate::store::Db;
use linker_aplus::time::beijing;

/// The inquiry answer for a payment, from the wallet the hub plays for it.
fn inquiry_response(project: &Project, payment: &Payment) -> InquiryPaymentResponse {
    let success = payment.status == PaymentStatus::Success;
    let wallet = payment.played_wallet();
    let quote = payment.customer_quote().filter(|_| success);
    InquiryPaymentResponse {
        result: ApiResult::success(),
        payment_result: Some(payment.result()),
        payment_request_id: Some(payment.payment_request_id.clone()),
        payment_id: Some(payment.payment_id.clone()),
        payment_amount: Some(payment.amount),
        payment_time: if success {
            Payment::wire_time(payment.paid_at)
        } else {
            None
        },
        psp_id: Some(wallet.psp_id.to_owned()),
        acquirer_id: Some(project.acquirer_id.clone()),
        customer_id: if success {
            payment.customer_id.clone()
        } else {
            None
        },
        wallet_brand_name: if success {
            Some(wallet.brand_name.to_owned())
        } else {
            None
        },
        transactions: None,
        customer_pay_amount: quote.map(|quote| quote.customer_amount),
        payment_quote: quote.as_ref().map(wire_quote),
    }
}

/// Cancels the payment if it may be (inside the cancel's transaction), and the answer.
fn cancel_in(
    db: Db<'_>,
    project_id: &str,
    key: PaymentKey<'_>,
    now: DateTime<Utc>,
) -> Result<ApiResult, HubError> {
    let Some(payment) = key.find_settled(db, project_id, now)? else {
        return Ok(ApiResult::failure(
            ResultCode::OrderNotExist,
            "no payment with that id on this project",
        ));
    };
    if payment.status == PaymentStatus::Cancelled {
        return Ok(ApiResult::success());
    }
    let deadline = cancel_deadline(payment.created_at);
    if now > deadline {
        return Ok(ApiResult::failure(
            ResultCode::ProcessFail,
            format!(
                "the cancel window closed at {} (00:15 UTC+8 the day after the payment); refund instead",
                format_wire_time(&deadline.with_timezone(&beijing()))
            ),
        ));
    }
    if payment.refunded_value > 0 {
        return Ok(ApiResult::failure(
            ResultCode::ProcessFail,
            "the payment has refunds: cancel takes the full amount only; refund the rest",
        ));
    }
    db.payments().cancel(&payment.payment_id, now)?;
    Ok(ApiResult::success())
}

impl Hub {
    /// `inquiryPayment`: the payment's current result.
    pub fn inquire(&self, project: &Project, request: &InquiryPaymentRequest) -> ApiOutcome {
        let key = match PaymentKey::from_request(
            request.payment_request_id.as_ref(),
            request.payment_id.as_ref(),
        ) {
            Ok(key) => key,
            Err(refusal) => return refusal,
        };
        let payment = match self.payment(&project.id, key) {
            Ok(Some(payment)) => payment,
            Ok(None) => {
                return ApiOutcome::result(ApiResult::failure(
                    ResultCode::OrderNotExist,
                    "no payment with that id on this project",
                ));
            }
            Err(error) => return internal(error),
        };
        ApiOutcome::of(&inquiry_response(project, &payment))
    }

    /// `cancelPayment`: closes the payment, whatever its status, until 00:15 (UTC+8) of the
    /// next day; idempotent; a payment with refunds cannot be cancelled.
    pub fn cancel(&self, project: &Project, request: &CancelPaymentRequest) -> ApiOutcome {
        let key = match PaymentKey::from_request(
            request.payment_request_id.as_ref(),
            request.payment_id.as_ref(),
        ) {
            Ok(key) => key,
            Err(refusal) => return refusal,
        };
        let now = self.clock.now();
        // The wallet the hub plays for the payment (TEST_WALLET for an unknown one).
        let psp_id = self
            .payment(&project.id, key)
            .ok()
            .flatten()
            .map_or(TEST_WALLET_PSP_ID, |payment| payment.played_wallet().psp_id);
        let scripted = self.run_script(&project.id, key, Api::CancelPayment);
        if let Some((case, earlier_calls)) = &scripted
            && case.sandbox.cancel == CancelBehaviour::UnknownOnce
            && *earlier_calls == 0
        {
            // CAN-02: the first cancel is answered U and changes nothing; the ACQP must retry.
            let mut outcome = ApiOutcome::of(&CancelPaymentResponse {
                result: ApiResult::unknown(
                    ResultCode::UnknownException,
                    "the cancel is being processed; retry until S",
                ),
                psp_id: Some(psp_id.to_owned()),
                acquirer_id: Some(project.acquirer_id.clone()),
            });
            outcome.forced = true;
            return outcome;
        }
        let result = self
            .store
            .transaction(|db| cancel_in(db, &project.id, key, now));
        if result.as_ref().is_ok_and(ApiResult::is_success)
            && let Ok(Some(payment)) = self.payment(&project.id, key)
        {
            self.record_payment_state(&payment);
        }
        match result {
            Ok(result) => ApiOutcome::of(&CancelPaymentResponse {
                result,
                psp_id: Some(psp_id.to_owned()),
                acquirer_id: Some(project.acquirer_id.clone()),
            }),
            Err(error) => internal(error),
        }
    }

    /// `consultPayment`: the wallets that can pay this amount, TEST_WALLET preferred.
    pub fn consult(&self, _project: &Project, _request: &ConsultPaymentRequest) -> ApiOutcome {
        let option = |name: &str, preferred: bool| PaymentOption {
            payment_method_type: name.to_owned(),
            enabled: WireBool::from(true),
            preferred: Some(WireBool::from(preferred)),
            disabled_reason: None,
            logo: None,
            payment_method_region: None,
            supported_features: None,
        };
        ApiOutcome::of(&ConsultPaymentResponse {
            result: ApiResult::success(),
            payment_options: vec![option("CONNECT_WALLET", true), option(TEST_WALLET, false)],
        })
    }
}
