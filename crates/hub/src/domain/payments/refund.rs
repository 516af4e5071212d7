//! `refund`: partial refunds while their sum stays within the paid amount, within a year of
//! payment; idempotent on `refundRequestId`; a run's script may answer the first one U (RFD-03).

use chrono::{DateTime, Utc};
use linker_aplus::message::{Api, RefundRequest, RefundResponse};
use linker_aplus::{Amount, ApiResult, ResultCode};
use linker_cases::RefundBehaviour;

use super::{
    Payment, PaymentKey, PaymentStatus, REFUND_WINDOW, TEST_WALLET_PSP_ID, internal, status_text,
};
use crate::Hub;
use crate::domain::api_outcome::ApiOutcome;
use crate::domain::projects::Project;
use crate::error::HubError;
use crate::store::payments::{RefundRow, StoredAmount};
use crate::store::{Db, StoreError};
use linker_aplus::time::beijing;

/// What the refund's transaction answers: the result, and for a refund made now its id and time.
struct RefundAnswer {
    result: ApiResult,
    refund_id: Option<String>,
    at: Option<DateTime<Utc>>,
}

impl RefundAnswer {
    fn result(result: ApiResult) -> RefundAnswer {
        RefundAnswer {
            result,
            refund_id: None,
            at: None,
        }
    }
}

/// The answer to a repeated `refundRequestId`: the first answer, or REPEAT_REQ_INCONSISTENT when
/// the amount changed.
fn repeat_answer(previous: RefundRow, request: &RefundRequest) -> RefundAnswer {
    let StoredAmount { currency, value } = &previous.amount;
    let same = *currency == request.refund_amount.currency().code()
        && u64::try_from(*value).ok() == Some(request.refund_amount.value());
    if !same {
        return RefundAnswer::result(ApiResult::failure(
            ResultCode::RepeatReqInconsistent,
            format!(
                "refundRequestId {} was already used for {currency} {value} (minor units)",
                request.refund_request_id
            ),
        ));
    }
    if previous.succeeded {
        RefundAnswer {
            result: ApiResult::success(),
            refund_id: Some(previous.refund_id),
            at: None,
        }
    } else {
        RefundAnswer::result(ApiResult::failure(
            previous.result_code,
            previous.result_message,
        ))
    }
}

/// Why the payment cannot be refunded this amount now, if it cannot.
fn refusal(
    payment: &Payment,
    request: &RefundRequest,
    now: DateTime<Utc>,
) -> Option<(ResultCode, String)> {
    let asked = request.refund_amount;
    if payment.status != PaymentStatus::Success {
        Some((
            ResultCode::OrderStatusInvalid,
            format!(
                "the payment is {} and cannot be refunded",
                status_text(payment.status)
            ),
        ))
    } else if asked.currency() != payment.amount.currency() {
        Some((
            ResultCode::ParamIllegal,
            format!(
                "refundAmount.currency: the payment is in {}",
                payment.amount.currency().code()
            ),
        ))
    } else if asked.is_zero() {
        Some((
            ResultCode::ParamIllegal,
            "refundAmount.value: must be more than 0".to_owned(),
        ))
    } else if payment
        .paid_at
        .is_some_and(|paid| now > paid + REFUND_WINDOW)
    {
        Some((
            ResultCode::RefundWindowExceed,
            "refunds are accepted for one year after payment".to_owned(),
        ))
    } else if payment.refunded_value.saturating_add(asked.value()) > payment.amount.value() {
        let left = payment
            .amount
            .value()
            .saturating_sub(payment.refunded_value);
        let left = Amount::new(payment.amount.currency(), left)
            .map_or_else(|_| left.to_string(), |a| a.to_string());
        Some((
            ResultCode::RefundAmountExceed,
            format!(
                "refunds would exceed the paid {}: at most {left} is left to refund",
                payment.amount
            ),
        ))
    } else {
        None
    }
}

/// What a refund names: its project, request, payment key, new id and time.
struct Asked<'a> {
    project_id: &'a str,
    request: &'a RefundRequest,
    key: PaymentKey<'a>,
    refund_id: &'a str,
    now: DateTime<Utc>,
}

/// Makes (or refuses, or repeats) the refund inside its transaction.
fn refund_in(db: Db<'_>, asked: &Asked<'_>) -> Result<RefundAnswer, StoreError> {
    let request = asked.request;
    let previous = db
        .payments()
        .refund_by_request_id(asked.project_id, &request.refund_request_id)?;
    if let Some(previous) = previous {
        return Ok(repeat_answer(previous, request));
    }
    let Some(payment) = asked.key.find_settled(db, asked.project_id, asked.now)? else {
        return Ok(RefundAnswer::result(ApiResult::failure(
            ResultCode::OrderNotExist,
            "no payment with that id on this project",
        )));
    };
    let verdict = refusal(&payment, request, asked.now);
    // A refusal for a wrong currency or zero amount is not remembered: the same id may be sent
    // again corrected.
    if let Some((code @ ResultCode::ParamIllegal, message)) = verdict {
        return Ok(RefundAnswer::result(ApiResult::failure(code, message)));
    }
    let result = match &verdict {
        Some((code, message)) => ApiResult::failure(code.clone(), message.clone()),
        None => ApiResult::success(),
    };
    db.payments().insert_refund(&RefundRow {
        refund_id: asked.refund_id.to_owned(),
        project_id: asked.project_id.to_owned(),
        refund_request_id: request.refund_request_id.clone(),
        payment_id: payment.payment_id.clone(),
        amount: StoredAmount {
            currency: request.refund_amount.currency().code().to_owned(),
            value: i64::try_from(request.refund_amount.value()).unwrap_or(i64::MAX),
        },
        succeeded: verdict.is_none(),
        result_code: result.result_code.clone(),
        result_message: result.result_message.clone(),
        created_at: asked.now,
    })?;
    Ok(if verdict.is_none() {
        RefundAnswer {
            result,
            refund_id: Some(asked.refund_id.to_owned()),
            at: Some(asked.now),
        }
    } else {
        RefundAnswer::result(result)
    })
}

/// RFD-03: the refund is made, but the first answer is U; a retry with the same
/// `refundRequestId` answers S.
fn unknown_once(project: &Project, psp_id: &str) -> ApiOutcome {
    let mut outcome = ApiOutcome::of(&RefundResponse {
        result: ApiResult::unknown(
            ResultCode::UnknownException,
            "the refund result is unknown; retry with the same refundRequestId",
        ),
        refund_id: None,
        refund_time: None,
        refund_amount: None,
        psp_id: Some(psp_id.to_owned()),
        acquirer_id: Some(project.acquirer_id.clone()),
    });
    outcome.forced = true;
    outcome
}

/// The refund answer for the ACQP.
fn refund_response(
    project: &Project,
    psp_id: &str,
    request: &RefundRequest,
    answer: RefundAnswer,
    now: DateTime<Utc>,
) -> RefundResponse {
    let success = answer.result.is_success();
    RefundResponse {
        result: answer.result,
        refund_id: answer.refund_id,
        refund_time: if success {
            Payment::wire_time(Some(answer.at.unwrap_or(now)))
        } else {
            None
        },
        refund_amount: if success {
            Some(request.refund_amount)
        } else {
            None
        },
        psp_id: Some(psp_id.to_owned()),
        acquirer_id: Some(project.acquirer_id.clone()),
    }
}

impl Hub {
    /// `refund`: partial refunds while their sum stays within the paid amount, within a year of
    /// payment; idempotent on `refundRequestId`.
    pub fn refund(&self, project: &Project, request: &RefundRequest) -> ApiOutcome {
        let key = match PaymentKey::from_request(
            request.payment_request_id.as_ref(),
            request.payment_id.as_ref(),
        ) {
            Ok(key) => key,
            Err(refusal) => return refusal,
        };
        let now = self.clock.now();
        let refund_id = format!(
            "{}{}",
            now.with_timezone(&beijing()).format("%Y%m%d"),
            self.ids.digits(16)
        );
        let asked = Asked {
            project_id: &project.id,
            request,
            key,
            refund_id: &refund_id,
            now,
        };
        let answer = self.store.transaction(|db| refund_in(db, &asked));
        let scripted = self.run_script(&project.id, key, Api::Refund);
        let payment = self.payment(&project.id, key).ok().flatten();
        if answer
            .as_ref()
            .is_ok_and(|a| a.refund_id.is_some() && a.at.is_some())
            && let Some(payment) = &payment
        {
            self.record_payment_state(payment);
        }
        // The wallet the hub plays for the payment (TEST_WALLET for an unknown one).
        let psp_id = payment
            .as_ref()
            .map_or(TEST_WALLET_PSP_ID, |payment| payment.played_wallet().psp_id);
        let answer = match answer {
            Ok(answer) => answer,
            Err(error) => return internal(HubError::from(error)),
        };
        if let Some((case, earlier_calls)) = &scripted
            && case.sandbox.refund == RefundBehaviour::UnknownOnce
            && *earlier_calls == 0
            && answer.result.is_success()
        {
            return unknown_once(project, psp_id);
        }
        ApiOutcome::of(&refund_response(project, psp_id, request, answer, now))
    }
}
