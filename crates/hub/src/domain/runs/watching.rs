//! Watching runs: a broadcast signal naming the run that changed (a new event, its verdict), for
//! the wallet's event stream and the console's live pages.

use crate::Hub;

/// Something happened to a run: a new event, or its verdict. Subscribers (the wallet's event
/// stream) reread the run; the signal only says which run changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunSignal {
    /// The run that changed.
    pub run_id: String,
}

impl Hub {
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
