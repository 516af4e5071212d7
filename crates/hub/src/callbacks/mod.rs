//! Delivering the calls the domain queued (`crate::domain::notifications`: notifyPayment,
//! authNotify, userInitiatedPay): each signed with the project's hub key, sent with a timeout,
//! the reply verified (signature and body), every attempt logged and recorded in its run, and
//! retried on the project's schedule until the ACQP acknowledges (or, for userInitiatedPay,
//! answers usably). Deliveries live in the database, so a hub restart resumes them.
//!
//! [`Hub::deliver_due`] sends whatever is due on the hub's clock and returns; the background
//! loop of [`spawn_notifier`] calls it twice a second. Tests call it directly after moving a test
//! clock, so no test waits for a retry.

use std::sync::Arc;
use std::time::Duration as StdDuration;

use chrono::{DateTime, Utc};

pub mod test_notification;

use crate::Hub;
pub use crate::domain::acqp::{
    AttemptVerdict, CALLBACK_TIMEOUT, ReplySignature, SentCall, judge_reply,
};
pub use crate::domain::notifications::notify_body;
use crate::error::HubError;
use crate::store::StoreError;
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

impl Hub {
    /// Sends every delivery that is due on the hub's clock, concurrently; returns how many were
    /// attempted. A delivery another sender holds is left to it, and one that changed since the
    /// sweep read it (another sender attempted it meanwhile) waits for its next turn.
    pub async fn deliver_due(self: &Arc<Self>) -> Result<usize, HubError> {
        let now = self.clock.now();
        let due = self
            .store
            .db(|db| db.deliveries().due(now, DUE_PER_SWEEP))?;
        let mut tasks = Vec::new();
        for delivery in due {
            let hub = Arc::clone(self);
            tasks.push(tokio::spawn(async move {
                let Some(_held) = hub.hold_delivery(&delivery.id) else {
                    return Ok(false);
                };
                let fresh = hub.store.db(|db| db.deliveries().get(&delivery.id))?;
                let Some(mut fresh) = fresh.filter(|fresh| {
                    fresh.status == DeliveryStatus::Pending
                        && fresh.next_attempt_at.is_some_and(|at| at <= now)
                }) else {
                    return Ok(false);
                };
                let verdict = hub.attempt_delivery(&mut fresh).await?;
                hub.after_delivery(&fresh, &verdict)?;
                Ok::<_, HubError>(true)
            }));
        }
        let mut count = 0;
        for task in tasks {
            match task.await {
                Ok(Ok(attempted)) => count += usize::from(attempted),
                Ok(Err(error)) => {
                    tracing::error!(%error, "a delivery attempt could not be recorded")
                }
                Err(error) => tracing::error!(%error, "a delivery attempt panicked"),
            }
        }
        Ok(count)
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
}

/// Runs [`Hub::deliver_due`], then the sweep that judges overdue runs, twice a second until the
/// hub closes (a delivery cut off by the shutdown is still queued and goes out after a restart).
pub fn spawn_notifier(hub: Arc<Hub>) -> tokio::task::JoinHandle<()> {
    let every = StdDuration::from_millis(500);
    crate::domain::background::spawn_periodic(
        hub,
        "the notifier sweep",
        every,
        every,
        |hub| async move {
            hub.deliver_due().await?;
            // Inline, not on a blocking task: a shutdown that drops this round must not leave
            // a sweep running that holds the hub (the store's calls keep the workers free).
            hub.sweep_runs().map(|_| ())
        },
    )
}
