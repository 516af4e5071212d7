//! Watching runs: a broadcast signal naming the run that changed (a new event, its verdict), for
//! the wallet's event stream and the console's live pages.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use crate::Hub;
use crate::error::HubError;

/// The most live event streams one merchant may hold open at once (a wallet needs one; a few
/// tabs or a reconnect overlapping the old stream need a few more).
pub const MAX_STREAMS_PER_MERCHANT: usize = 8;

/// Live event streams by merchant.
#[derive(Debug, Default)]
pub struct StreamCounts(Arc<Mutex<HashMap<String, usize>>>);

/// One live stream, counted until it is dropped.
#[derive(Debug)]
pub struct StreamTicket {
    counts: Arc<Mutex<HashMap<String, usize>>>,
    merchant_id: String,
}

impl Drop for StreamTicket {
    fn drop(&mut self) {
        let mut counts = self
            .counts
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some(count) = counts.get_mut(&self.merchant_id) {
            *count = count.saturating_sub(1);
            if *count == 0 {
                counts.remove(&self.merchant_id);
            }
        }
    }
}

/// Something happened to a run: a new event, or its verdict. Subscribers (the wallet's event
/// stream) reread the run; the signal only says which run changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunSignal {
    /// The run that changed.
    pub run_id: String,
}

impl Hub {
    /// A ticket for one more live event stream of `merchant_id`, refused past
    /// [`MAX_STREAMS_PER_MERCHANT`] (so no client can make the hub hold streams without end).
    pub fn stream_ticket(&self, merchant_id: &str) -> Result<StreamTicket, HubError> {
        let counts = self.streams.0.clone();
        let mut held = counts
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let count = held.entry(merchant_id.to_owned()).or_insert(0);
        if *count >= MAX_STREAMS_PER_MERCHANT {
            return Err(HubError::Conflict(format!(
                "this merchant already has {MAX_STREAMS_PER_MERCHANT} live event streams open: close one (another tab or device) first"
            )));
        }
        *count += 1;
        drop(held);
        Ok(StreamTicket {
            counts,
            merchant_id: merchant_id.to_owned(),
        })
    }

    /// Tells subscribers that a run changed.
    pub(crate) fn signal(&self, run_id: &str) {
        // No subscriber is fine: nobody is watching this run.
        let _ = self.signals.send(RunSignal {
            run_id: run_id.to_owned(),
        });
    }

    /// Subscribes to run changes (every run; filter by id).
    pub fn subscribe_runs(&self) -> tokio::sync::broadcast::Receiver<RunSignal> {
        self.signals.subscribe()
    }
}
