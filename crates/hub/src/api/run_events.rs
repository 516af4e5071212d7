//! A run's events as a stream of Server-Sent Events: every event after the last one the wallet
//! saw, then each new one as it is recorded (woken by the hub's run signals), then the verdict,
//! after which the stream ends; it also ends when the server shuts down.

use std::collections::VecDeque;
use std::convert::Infallible;
use std::sync::Arc;

use axum::response::sse::Event;
use futures_util::Stream;
use tokio::sync::broadcast::error::RecvError;

use crate::Hub;
use crate::domain::runs::RunSignal;

/// Where one wallet's stream of a run stands.
struct Follow {
    hub: Arc<Hub>,
    run: String,
    last_seen: u32,
    backlog: VecDeque<Event>,
    signals: tokio::sync::broadcast::Receiver<RunSignal>,
    closing: tokio::sync::watch::Receiver<bool>,
    finished: bool,
    /// Counts this stream against its merchant's until it ends.
    _ticket: crate::domain::runs::watching::StreamTicket,
}

/// The run's events after `last_seen`, then the live ones, then the verdict.
pub(super) fn follow(
    hub: Arc<Hub>,
    run: String,
    last_seen: u32,
    ticket: crate::domain::runs::watching::StreamTicket,
) -> impl Stream<Item = Result<Event, Infallible>> {
    let start = Follow {
        _ticket: ticket,
        signals: hub.subscribe_runs(),
        closing: hub.closing(),
        hub,
        run,
        last_seen,
        backlog: VecDeque::new(),
        finished: false,
    };
    futures_util::stream::unfold(start, |mut follow| async move {
        loop {
            if let Some(event) = follow.backlog.pop_front() {
                return Some((Ok(event), follow));
            }
            if follow.finished || *follow.closing.borrow() {
                return None;
            }
            if !follow.catch_up().await? && !follow.wait_for_news().await {
                return None;
            }
        }
    })
}

impl Follow {
    /// Judges the run and queues what the wallet has not seen; `Some(true)` when something was
    /// queued (or the verdict came), `None` when the run cannot be read.
    async fn catch_up(&mut self) -> Option<bool> {
        let hub = self.hub.clone();
        let run = self.run.clone();
        let view = tokio::task::spawn_blocking(move || hub.judge_run(&run)).await;
        let Ok(Ok(view)) = view else { return None };
        let seen = self.last_seen;
        for event in view.events.iter().filter(|e| e.seq > seen) {
            self.last_seen = event.seq;
            let data = serde_json::to_string(event).unwrap_or_default();
            self.backlog.push_back(
                Event::default()
                    .id(event.seq.to_string())
                    .event("run-event")
                    .data(data),
            );
        }
        if let Some(verdict) = &view.verdict {
            let data = serde_json::to_string(verdict).unwrap_or_default();
            self.backlog
                .push_back(Event::default().event("verdict").data(data));
            self.finished = true;
            return Some(true);
        }
        Some(!self.backlog.is_empty())
    }

    /// Waits until this run may have news; false when the stream should end.
    async fn wait_for_news(&mut self) -> bool {
        loop {
            let signal = tokio::select! {
                signal = self.signals.recv() => signal,
                // The server is shutting down: end the stream so the shutdown can finish.
                _ = self.closing.wait_for(|closing| *closing) => return false,
            };
            match signal {
                Ok(signal) if signal.run_id == self.run => return true,
                Ok(_) => {}
                Err(RecvError::Lagged(_)) => return true,
                Err(RecvError::Closed) => return false,
            }
        }
    }
}
