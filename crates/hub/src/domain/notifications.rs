//! The hub's outbound queue: every call the hub makes to the ACQP on its own (notifyPayment for a
//! payment's outcome, authNotify for an Auto Debit grant or revocation, userInitiatedPay for a
//! scanned private order code) is a delivery row written before it is sent (in the same
//! transaction as the change it reports), with its body fixed at creation so every retry sends
//! the same bytes. [`Hub::attempt_delivery`] sends one attempt, judges the reply by the kind of
//! call, and writes the delivery's new state, the attempt and the run's evidence of it in one
//! transaction. A crash at any instant leaves the row pending, so the callbacks layer's worker
//! sends it again after a restart: at least once, never lost.
//!
//! authNotify and userInitiatedPay are first attempted at once by the request that queued them
//! (the wallet waits for the answer), holding the delivery in [`InFlight`] so the worker does not
//! send it at the same time; the worker retries what is left on the project's schedule.

use std::collections::HashSet;
use std::sync::Mutex;

use chrono::{DateTime, Duration, Utc};
use linker_aplus::message::NotifyPaymentRequest;
use linker_aplus::time::{beijing, format_wire_time};
use linker_aplus::{ApiResult, ResultCode};
use linker_cases::{CallbackKind, EventKind, HubCallback};

use crate::Hub;
use crate::domain::acqp::{AttemptVerdict, ReplySignature, SentCall, judge_reply};
use crate::domain::payments::{Payment, PaymentStatus};
use crate::domain::projects::Project;
use crate::domain::runs::evidence::insert_event;
use crate::error::HubError;
use crate::store::deliveries::{
    AUTH_NOTIFY, AttemptRow, Delivery, DeliveryStatus, NOTIFY_PAYMENT, USER_INITIATED_PAY,
};

/// Deliveries being attempted right now in this process, so the worker and the request that
/// queued one never send it twice at once. A restart forgets them: what was in flight is
/// pending in the store and sent again.
#[derive(Debug, Default)]
pub struct InFlight(Mutex<HashSet<String>>);

impl InFlight {
    /// Holds a delivery until the returned guard is dropped; `None` when it is already held.
    pub(crate) fn hold(&self, id: &str) -> Option<Held<'_>> {
        self.0
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(id.to_owned())
            .then(|| Held {
                set: self,
                id: id.to_owned(),
            })
    }
}

/// A delivery held by one sender (see [`InFlight::hold`]); released when dropped.
#[derive(Debug)]
pub struct Held<'a> {
    set: &'a InFlight,
    id: String,
}

impl Drop for Held<'_> {
    fn drop(&mut self) {
        self.set
            .0
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(&self.id);
    }
}

/// The run evidence kind of a delivery's `api`.
fn callback_kind(api: &str) -> CallbackKind {
    match api {
        AUTH_NOTIFY => CallbackKind::AuthNotify,
        USER_INITIATED_PAY => CallbackKind::UserInitiatedPay,
        _ => CallbackKind::NotifyPayment,
    }
}

/// Judges one attempt by the kind of call: for notifyPayment and authNotify an ack (HTTP 200,
/// signed, `SUCCESS`/`S`); for userInitiatedPay a usable answer (HTTP 200, a valid body, a
/// valid signature, an order or a refusal). Also whether the run's record calls the reply valid.
fn judge(project: &Project, api: &str, sent: &SentCall) -> (AttemptVerdict, bool) {
    let (Some(status), Some(reply)) = (sent.http_status, &sent.reply) else {
        let verdict = AttemptVerdict {
            http_status: None,
            reply: None,
            reply_signature: ReplySignature::missing(),
            acknowledged: false,
            problem: sent.error.clone(),
        };
        return (verdict, false);
    };
    if api == USER_INITIATED_PAY {
        let (valid, _, reply_signature, problem) =
            crate::domain::user_initiated::judge_answer(project, sent);
        let verdict = AttemptVerdict {
            http_status: Some(status),
            reply: Some(reply.clone()),
            reply_signature,
            acknowledged: valid,
            problem,
        };
        return (verdict, valid);
    }
    let verdict = judge_reply(project, &sent.path, status, &sent.response_headers, reply);
    let reply_valid = if api == NOTIFY_PAYMENT {
        // A notification's reply is valid when it is an S SUCCESS ack, whatever its signature.
        status == 200
            && serde_json::from_str::<serde_json::Value>(reply).is_ok_and(|v| {
                v["result"]["resultCode"] == "SUCCESS" && v["result"]["resultStatus"] == "S"
            })
    } else {
        verdict.acknowledged
    };
    (verdict, reply_valid)
}

/// Where a delivery stands after attempt number `attempts`: delivered (and it stays so, however
/// a deliberate repeat goes), sent once when forged, else due again on the project's schedule
/// (counted from its creation) until the schedule runs out.
fn after_attempt(
    project: &Project,
    delivery: &Delivery,
    verdict: &AttemptVerdict,
    sent_at: DateTime<Utc>,
    attempts: u32,
) -> (DeliveryStatus, Option<DateTime<Utc>>) {
    if delivery.forged {
        (DeliveryStatus::SentForged, None)
    } else if verdict.acknowledged || delivery.status == DeliveryStatus::Delivered {
        (DeliveryStatus::Delivered, None)
    } else {
        match project.notify_retry_schedule.get(attempts as usize) {
            Some(&delay) => {
                let due = delivery.created_at
                    + Duration::seconds(i64::try_from(delay).unwrap_or(i64::MAX / 2));
                (DeliveryStatus::Pending, Some(due.max(sent_at)))
            }
            None => (DeliveryStatus::GaveUp, None),
        }
    }
}

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
        let due = self.clock.now() + Duration::seconds(i64::try_from(after_secs).unwrap_or(0));
        let mut delivery = self.new_delivery(
            project,
            NOTIFY_PAYMENT,
            url,
            notify_body(project, payment),
            payment.run_id.as_deref(),
        );
        delivery.payment_id = Some(payment.payment_id.clone());
        delivery.forged = forged;
        delivery.next_attempt_at = Some(due);
        delivery.created_at = due;
        self.store.db(|db| db.deliveries().insert(&delivery))?;
        Ok(Some(delivery))
    }

    /// A new delivery of `api` to `url`, due now, not yet stored (the caller writes it in the
    /// transaction of the change it reports).
    pub(crate) fn new_delivery(
        &self,
        project: &Project,
        api: &str,
        url: String,
        body: String,
        run_id: Option<&str>,
    ) -> Delivery {
        let now = self.clock.now();
        Delivery {
            run_id: run_id.map(str::to_owned),
            id: self.ids.alphanumeric("dlv_", 16),
            project_id: project.id.clone(),
            payment_id: None,
            api: api.to_owned(),
            url,
            body,
            forged: false,
            attempts: 0,
            next_attempt_at: Some(now),
            status: DeliveryStatus::Pending,
            created_at: now,
            last_error: None,
        }
    }

    /// Holds a delivery against a second sender in this process (`None`: someone holds it).
    pub(crate) fn hold_delivery(&self, id: &str) -> Option<Held<'_>> {
        self.in_flight.hold(id)
    }

    /// Sends one attempt of a delivery (the caller holds it), logs it in the request log, and
    /// writes its outcome in one transaction: the delivery's new state, the attempt row and,
    /// while its run is open, the run's evidence of the call. `delivery` is updated to match.
    /// Returns the attempt's verdict.
    pub(crate) async fn attempt_delivery(
        &self,
        delivery: &mut Delivery,
    ) -> Result<AttemptVerdict, HubError> {
        let project = self.project(&delivery.project_id)?;
        let sent = self
            .call_acqp(&project, &delivery.url, &delivery.body, delivery.forged)
            .await?;
        let (verdict, reply_valid) = judge(&project, &delivery.api, &sent);
        self.log_outbound(
            &project,
            &delivery.api,
            &sent,
            &verdict.reply_signature,
            delivery.forged,
            delivery.run_id.as_deref(),
        )?;
        let attempts = delivery.attempts + 1;
        let (status, next) = after_attempt(&project, delivery, &verdict, sent.sent_at, attempts);
        let attempt = AttemptRow {
            attempt: attempts,
            at: sent.sent_at,
            verdict: serde_json::to_string(&verdict).unwrap_or_default(),
        };
        let run = delivery
            .run_id
            .clone()
            .filter(|run_id| self.run_is_open(run_id));
        let event = run.as_ref().map(|_| {
            EventKind::HubCallback(callback_evidence(
                delivery,
                attempts,
                &sent,
                &verdict,
                reply_valid,
            ))
        });
        self.store.transaction(|db| {
            let deliveries = db.deliveries();
            deliveries.update_after_attempt(
                &delivery.id,
                attempts,
                status,
                next,
                verdict.problem.as_deref(),
            )?;
            deliveries.insert_attempt(&delivery.id, &attempt)?;
            if let (Some(run_id), Some(event)) = (&run, event) {
                insert_event(db, run_id, sent.sent_at, event, None)?;
            }
            Ok::<_, HubError>(())
        })?;
        if let Some(run_id) = &run {
            self.signal(run_id);
        }
        delivery.attempts = attempts;
        delivery.status = status;
        delivery.next_attempt_at = next;
        delivery.last_error = verdict.problem.clone();
        Ok(verdict)
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

/// The run's record of one attempt of a delivery.
fn callback_evidence(
    delivery: &Delivery,
    attempt: u32,
    sent: &SentCall,
    verdict: &AttemptVerdict,
    reply_valid: bool,
) -> HubCallback {
    HubCallback {
        callback: callback_kind(&delivery.api),
        attempt,
        forged: delivery.forged,
        request_body: delivery.body.clone(),
        http_status: sent.http_status,
        reply_body: sent.reply.clone(),
        reply_signature: verdict.reply_signature.verdict().clone(),
        reply_valid,
        error: if sent.http_status.is_none() {
            sent.error.clone()
        } else {
            None
        },
        latency_ms: u64::try_from(sent.latency.as_millis()).unwrap_or(u64::MAX),
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use chrono::TimeZone;

    use super::*;
    use crate::domain::projects::NewProject;
    use crate::{FixedClock, Ids, Store};

    /// A hub on a store in memory with one project whose ACQP listens nowhere.
    fn hub_and_project() -> (Hub, Project) {
        let clock = Arc::new(FixedClock::at(
            Utc.with_ymd_and_hms(2026, 11, 25, 2, 0, 0).unwrap(),
        ));
        let hub = Hub::new(
            Store::in_memory().unwrap(),
            clock,
            Ids::seeded(7),
            "http://127.0.0.1:8480",
        );
        let keys = linker_aplus::KeyPair::generate().unwrap();
        let project = hub
            .create_project(NewProject {
                name: "Crash".to_owned(),
                client_id: "CRASH_1".to_owned(),
                acqp_public_key: keys.public.to_base64(),
                ..NewProject::default()
            })
            .unwrap();
        (hub, project)
    }

    /// A refused port: the attempt gets no answer, quickly.
    fn nowhere() -> String {
        let address = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap();
        format!("http://{address}/notify")
    }

    #[tokio::test]
    async fn an_attempt_whose_record_fails_half_way_leaves_the_delivery_as_it_was() {
        let (hub, project) = hub_and_project();
        let mut delivery = hub.new_delivery(&project, AUTH_NOTIFY, nowhere(), "{}".into(), None);
        hub.store
            .db(|db| db.deliveries().insert(&delivery))
            .unwrap();
        // An attempt row 1 already there: the attempt's second write (its row) fails after its
        // first (the delivery's new state) succeeded.
        let clash = AttemptRow {
            attempt: 1,
            at: hub.clock.now(),
            verdict: "{}".to_owned(),
        };
        hub.store
            .db(|db| db.deliveries().insert_attempt(&delivery.id, &clash))
            .unwrap();
        let before = hub
            .store
            .db(|db| db.deliveries().get(&delivery.id))
            .unwrap();
        let failed = hub.attempt_delivery(&mut delivery).await;
        assert!(
            failed.is_err(),
            "the clash fails the attempt's record: {failed:?}"
        );
        let after = hub
            .store
            .db(|db| db.deliveries().get(&delivery.id))
            .unwrap();
        assert_eq!(
            format!("{after:?}"),
            format!("{before:?}"),
            "the delivery's update was rolled back with its attempt row"
        );
        assert_eq!(
            hub.store
                .db(|db| db.deliveries().attempts(&delivery.id))
                .unwrap(),
            vec![clash],
            "no attempt row of the failed record"
        );
    }

    #[tokio::test]
    async fn an_attempt_writes_the_delivery_and_its_attempt_row_together() {
        let (hub, project) = hub_and_project();
        let mut delivery = hub.new_delivery(&project, AUTH_NOTIFY, nowhere(), "{}".into(), None);
        hub.store
            .db(|db| db.deliveries().insert(&delivery))
            .unwrap();
        let verdict = hub.attempt_delivery(&mut delivery).await.unwrap();
        assert!(!verdict.acknowledged, "nobody listens: {verdict:?}");
        let stored = hub
            .store
            .db(|db| db.deliveries().get(&delivery.id))
            .unwrap()
            .unwrap();
        assert_eq!(
            (stored.attempts, stored.status),
            (1, DeliveryStatus::Pending),
            "retried later: {stored:?}"
        );
        let rows = hub
            .store
            .db(|db| db.deliveries().attempts(&delivery.id))
            .unwrap();
        assert_eq!(rows.len(), 1, "{rows:?}");
    }
}
