//! The customer's side ends a payment that was waiting for it (paid or declined in the wallet),
//! and the ACQP is notified.

use chrono::{DateTime, Utc};
use linker_aplus::ResultCode;

use super::{Payment, PaymentKey, PaymentStatus, status_text};
use crate::Hub;
use crate::domain::projects::Project;
use crate::error::HubError;
use crate::store::{Db, StoreError};

/// How the customer's side ends a payment that was waiting for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Settlement {
    /// The customer paid.
    Paid {
        /// Who paid.
        customer_id: String,
    },
    /// The payment failed on the wallet's side (e.g. USER_BALANCE_NOT_ENOUGH).
    Declined {
        /// The failure code.
        code: ResultCode,
        /// Its message.
        message: String,
    },
}

/// Ends the waiting payment (inside the settlement's transaction); a payment no longer waiting
/// is refused with the reason (an `Ok` refusal, so that closing an expired payment commits).
fn settle_in(
    db: Db<'_>,
    project_id: &str,
    payment_id: &str,
    settlement: Settlement,
    now: DateTime<Utc>,
) -> Result<Result<Payment, HubError>, StoreError> {
    let Some(mut payment) = PaymentKey::PaymentId(payment_id).find_settled(db, project_id, now)?
    else {
        return Ok(Err(HubError::NotFound(format!("payment {payment_id}"))));
    };
    if payment.status != PaymentStatus::InProcess {
        return Ok(Err(HubError::Conflict(format!(
            "payment {payment_id} is no longer waiting for the customer ({}: {})",
            status_text(payment.status),
            payment.result_code
        ))));
    }
    match settlement {
        Settlement::Paid { customer_id } => payment.succeed(Some(customer_id), now),
        Settlement::Declined { code, message } => payment.fail(code, message, now),
    }
    db.payments().record_outcome(&payment)?;
    Ok(Ok(payment))
}

impl Hub {
    /// Ends a payment that was waiting for the customer, and queues its notifyPayment. A payment
    /// that is no longer waiting (paid, failed, cancelled, expired) is refused with the reason.
    pub fn settle_payment(
        &self,
        project: &Project,
        payment_id: &str,
        settlement: Settlement,
    ) -> Result<Payment, HubError> {
        let now = self.clock.now();
        let payment = self
            .store
            .transaction(|db| settle_in(db, &project.id, payment_id, settlement, now))??;
        self.record_payment_state(&payment);
        let plan = payment
            .run_id
            .as_deref()
            .and_then(|run| self.open_run_case(run))
            .map(|case| case.sandbox.notify_plan());
        match plan {
            None => {
                self.enqueue_notify(project, &payment, false, 0)?;
            }
            Some(plan) => {
                for delivery in plan {
                    self.enqueue_notify(project, &payment, delivery.forged, delivery.after_secs)?;
                }
            }
        }
        Ok(payment)
    }
}
