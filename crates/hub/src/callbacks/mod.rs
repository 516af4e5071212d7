//! Delivering the callbacks the domain queued (`crate::domain::notifications`): each signed with
//! the project's hub key, sent with a timeout, the reply verified (signature and body), every
//! attempt logged and recorded in its run, and retried on the project's schedule until an S
//! ack. Deliveries live in the database, so a hub restart resumes them.
//!
//! [`Hub::deliver_due`] sends whatever is due on the hub's clock and returns; the background
//! loop of [`spawn_notifier`] calls it twice a second. Tests call it directly after moving a test
//! clock, so no test waits for a retry.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::Duration as StdDuration;

use chrono::{DateTime, Duration, Utc};

pub mod test_notification;

use crate::Hub;
pub use crate::domain::acqp::{
    AttemptVerdict, CALLBACK_TIMEOUT, ReplySignature, SentCall, judge_reply,
};
pub use crate::domain::notifications::notify_body;
use crate::error::HubError;
use crate::store::StoreError;
use crate::store::deliveries::AttemptRow;
pub use crate::store::deliveries::{Delivery, DeliveryStatus};

/// How many due deliveries one sweep attempts at most.
const DUE_PER_SWEEP: u32 = 64;

/// An attempt's stored verdict (JSON), read leniently: a missing field reads as empty.
fn stored_verdict(text: &str) -> Option<AttemptVerdict> {
    serde_json::from_str::<serde_json::Value>(text)
        .ok()
        .map(|v| AttemptVerdict {
            http_status: v["httpStatus"].as_u64().and_then(|s| u16::try_from(s).ok()),
            reply: v["reply"].as_str().map(str::to_owned),
            reply_signature: ReplySignature::from_text(
                v["replySignature"].as_str().unwrap_or_default(),
            ),
            acknowledged: v["acknowledged"].as_bool().unwrap_or(false),
            problem: v["problem"].as_str().map(str::to_owned),
        })
}

/// Deliveries being attempted right now, so two sweeps never send one twice at once.
#[derive(Debug, Default)]
pub struct InFlight(Mutex<HashSet<String>>);

impl InFlight {
    fn claim(&self, id: &str) -> bool {
        self.0
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(id.to_owned())
    }

    fn release(&self, id: &str) {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).remove(id);
    }
}

impl Hub {
    /// Sends every delivery that is due on the hub's clock, concurrently; returns how many were
    /// attempted.
    pub async fn deliver_due(self: &Arc<Self>) -> Result<usize, HubError> {
        let now = self.clock.now();
        let due = self
            .store
            .db(|db| db.deliveries().due(now, DUE_PER_SWEEP))?;
        let mut tasks = Vec::new();
        for delivery in due {
            if !self.in_flight.claim(&delivery.id) {
                continue;
            }
            let hub = Arc::clone(self);
            tasks.push(tokio::spawn(async move {
                let id = delivery.id.clone();
                let result = hub.attempt(delivery).await;
                hub.in_flight.release(&id);
                result
            }));
        }
        let count = tasks.len();
        for task in tasks {
            match task.await {
                Ok(Ok(())) => {}
                Ok(Err(error)) => {
                    tracing::error!(%error, "a delivery attempt could not be recorded")
                }
                Err(error) => tracing::error!(%error, "a delivery attempt panicked"),
            }
        }
        Ok(count)
    }

    async fn attempt(&self, delivery: Delivery) -> Result<(), HubError> {
        let project = self.project(&delivery.project_id)?;
        let sent = self
            .call_acqp(&project, &delivery.url, &delivery.body, delivery.forged)
            .await?;
        let verdict = match (sent.http_status, &sent.reply) {
            (Some(status), Some(body)) => {
                judge_reply(&project, &sent.path, status, &sent.response_headers, body)
            }
            _ => AttemptVerdict {
                http_status: None,
                reply: None,
                reply_signature: ReplySignature::missing(),
                acknowledged: false,
                problem: sent.error.clone(),
            },
        };
        self.log_outbound(
            &project,
            &delivery.api,
            &sent,
            &verdict.reply_signature,
            delivery.forged,
            delivery.run_id.as_deref(),
        )?;
        let (sent_at, latency) = (sent.sent_at, sent.latency);

        let attempts = delivery.attempts + 1;
        if let Some(run_id) = delivery.run_id.as_deref() {
            self.record_callback(run_id, sent_at, &delivery, attempts, &verdict, latency);
        }
        let (status, next) = if delivery.forged {
            (DeliveryStatus::SentForged, None)
        } else if verdict.acknowledged {
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
        };
        let attempt = AttemptRow {
            attempt: attempts,
            at: sent_at,
            verdict: serde_json::to_string(&verdict).unwrap_or_default(),
        };
        self.store.transaction(|db| {
            let deliveries = db.deliveries();
            deliveries.update_after_attempt(
                &delivery.id,
                attempts,
                status,
                next,
                verdict.problem.as_deref(),
            )?;
            deliveries.insert_attempt(&delivery.id, &attempt)
        })?;
        Ok(())
    }

    /// Every attempt of a delivery, oldest first.
    pub fn delivery_attempts(
        &self,
        delivery_id: &str,
    ) -> Result<Vec<(u32, DateTime<Utc>, AttemptVerdict)>, HubError> {
        let rows = self.store.db(|db| db.deliveries().attempts(delivery_id))?;
        let mut out = Vec::new();
        for row in rows {
            let verdict = stored_verdict(&row.verdict)
                .ok_or_else(|| StoreError::Corrupt("delivery_attempts.verdict".to_owned()))?;
            out.push((row.attempt, row.at, verdict));
        }
        Ok(out)
    }

    fn record_callback(
        &self,
        run_id: &str,
        at: DateTime<Utc>,
        delivery: &Delivery,
        attempt: u32,
        verdict: &AttemptVerdict,
        latency: StdDuration,
    ) {
        use linker_cases::{CallbackKind, EventKind, HubCallback};
        if !self.run_is_open(run_id) {
            return;
        }
        let reply_signature = verdict.reply_signature.verdict().clone();
        // A notification's reply is valid when it is an S SUCCESS ack, whatever its signature.
        let reply_valid = verdict.reply.as_deref().is_some_and(|reply| {
            serde_json::from_str::<serde_json::Value>(reply).is_ok_and(|v| {
                v["result"]["resultCode"] == "SUCCESS" && v["result"]["resultStatus"] == "S"
            })
        }) && verdict.http_status == Some(200);
        let callback = HubCallback {
            callback: CallbackKind::NotifyPayment,
            attempt,
            forged: delivery.forged,
            request_body: delivery.body.clone(),
            http_status: verdict.http_status,
            reply_body: verdict.reply.clone(),
            reply_signature,
            reply_valid,
            error: if verdict.http_status.is_none() {
                verdict.problem.clone()
            } else {
                None
            },
            latency_ms: u64::try_from(latency.as_millis()).unwrap_or(u64::MAX),
        };
        if let Err(error) = self.append_event(run_id, at, EventKind::HubCallback(callback), None) {
            tracing::error!(%error, run_id, "could not record a callback");
        }
    }
}

/// Runs [`Hub::deliver_due`] twice a second until the hub is dropped.
pub fn spawn_notifier(hub: Arc<Hub>) -> tokio::task::JoinHandle<()> {
    let weak = Arc::downgrade(&hub);
    drop(hub);
    tokio::spawn(async move {
        let mut ticker = tokio::time::interval(StdDuration::from_millis(500));
        loop {
            ticker.tick().await;
            let Some(hub) = weak.upgrade() else { break };
            if let Err(error) = hub.deliver_due().await {
                tracing::error!(%error, "the notifier sweep failed");
            }
            let judge = Arc::clone(&hub);
            match tokio::task::spawn_blocking(move || judge.sweep_runs()).await {
                Ok(Err(error)) => tracing::error!(%error, "the run sweep failed"),
                Err(error) => tracing::error!(%error, "the run sweep panicked"),
                Ok(Ok(_)) => {}
            }
        }
    })
}
