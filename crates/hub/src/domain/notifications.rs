//! notifyPayment queued for a payment's outcome: the body (fixed at creation, so every retry
//! sends the same bytes) and the delivery row. Sending it is the callbacks layer's work.

use chrono::Duration;
use linker_aplus::message::NotifyPaymentRequest;
use linker_aplus::time::{beijing, format_wire_time};
use linker_aplus::{ApiResult, ResultCode};

use crate::Hub;
use crate::domain::payments::{Payment, PaymentStatus};
use crate::domain::projects::Project;
use crate::error::HubError;
use crate::store::deliveries::{Delivery, DeliveryStatus};

/// The notifyPayment body for a payment that reached its outcome, from the wallet the hub plays
/// for it.
pub fn notify_body(project: &Project, payment: &Payment) -> String {
    let success = payment.status == PaymentStatus::Success;
    let wallet = payment.played_wallet();
    let payment_result = if success {
        ApiResult::success()
    } else {
        ApiResult::failure(
            ResultCode::parse(payment.result_code.as_str()),
            payment.result_message.clone(),
        )
    };
    let request = NotifyPaymentRequest {
        acquirer_id: project.acquirer_id.clone(),
        psp_id: wallet.psp_id.to_owned(),
        payment_result,
        payment_request_id: payment.payment_request_id.clone(),
        payment_id: payment.payment_id.clone(),
        payment_amount: payment.amount,
        payment_time: if success {
            payment
                .paid_at
                .map(|t| format_wire_time(&t.with_timezone(&beijing())))
        } else {
            None
        },
        customer_id: payment.customer_id.clone(),
        wallet_brand_name: Some(wallet.brand_name.to_owned()),
    };
    serde_json::to_string(&request).unwrap_or_default()
}

impl Hub {
    /// Queues notifyPayment for a payment's outcome; `forged` sends it once with a wrong
    /// signature instead. Returns the delivery, or `None` when there is nowhere to send it.
    pub fn enqueue_notify(
        &self,
        project: &Project,
        payment: &Payment,
        forged: bool,
        after_secs: u64,
    ) -> Result<Option<Delivery>, HubError> {
        let Some(url) = payment
            .notify_url
            .clone()
            .or_else(|| project.notify_url.clone())
        else {
            return Ok(None);
        };
        let now = self.clock.now() + Duration::seconds(i64::try_from(after_secs).unwrap_or(0));
        let delivery = Delivery {
            run_id: payment.run_id.clone(),
            id: self.ids.alphanumeric("dlv_", 16),
            project_id: project.id.clone(),
            payment_id: Some(payment.payment_id.clone()),
            api: "notifyPayment".to_owned(),
            url,
            body: notify_body(project, payment),
            forged,
            attempts: 0,
            next_attempt_at: Some(now),
            status: DeliveryStatus::Pending,
            created_at: now,
            last_error: None,
        };
        self.store.db(|db| db.deliveries().insert(&delivery))?;
        Ok(Some(delivery))
    }

    /// A project's deliveries, newest first.
    pub fn deliveries(&self, project_id: &str) -> Result<Vec<Delivery>, HubError> {
        Ok(self.store.db(|db| db.deliveries().of_project(project_id))?)
    }

    /// One delivery.
    pub fn delivery(&self, id: &str) -> Result<Delivery, HubError> {
        self.store
            .db(|db| db.deliveries().get(id))?
            .ok_or_else(|| HubError::NotFound(format!("delivery {id}")))
    }
}
