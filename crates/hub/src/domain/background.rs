//! The hub's periodic background work (notifications due, queued invitation mail, the request
//! log's retention): one loop shape for all of it. A loop holds the hub only while it works, so
//! a dropped hub ends it, and it ends between two rounds, or by dropping a round at an await,
//! once the server starts shutting down; a round therefore never leaves work running (a
//! blocking task, say) that would hold the hub, and its store's lock, after the server returns.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use crate::Hub;
use crate::error::HubError;

/// Runs `round` every `every`, the first time `first` after now, until the hub closes or is
/// dropped; a failed round is logged as `what` and the next one comes as usual. `round` must
/// not hand work to a blocking task (the store's own calls are fine: they never detach).
pub fn spawn_periodic<Round, Done>(
    hub: Arc<Hub>,
    what: &'static str,
    first: Duration,
    every: Duration,
    round: Round,
) -> tokio::task::JoinHandle<()>
where
    Round: Fn(Arc<Hub>) -> Done + Send + 'static,
    Done: Future<Output = Result<(), HubError>> + Send,
{
    let weak = Arc::downgrade(&hub);
    let mut closing = hub.closing();
    drop(hub);
    tokio::spawn(async move {
        let mut ticker = tokio::time::interval_at(tokio::time::Instant::now() + first, every);
        loop {
            tokio::select! {
                _ = ticker.tick() => {}
                _ = closing.wait_for(|closed| *closed) => break,
            }
            let Some(hub) = weak.upgrade() else { break };
            tokio::select! {
                done = round(hub) => if let Err(error) = done {
                    tracing::error!(%error, "{what} failed");
                },
                _ = closing.wait_for(|closed| *closed) => break,
            }
        }
    })
}
