//! Following a run live: the hub's Server-Sent Events stream at
//! `/wallet/v1/runs/{run}/events`, read as a watcher ([`RunFollower::next`]) or a
//! `futures` stream ([`RunFollower::into_stream`]). A dropped connection is reopened with
//! `Last-Event-ID`, so nothing is missed or repeated; after too many failures in a row the
//! follower ends with the error. Every event also updates the run stored on the device.

use std::collections::VecDeque;

use linker_cases::{Event, Verdict};
use reqwest::Method;
use serde::Serialize;

use crate::client::{Body, CallError};
use crate::runs::path_part;
use crate::{Wallet, WalletError};

/// Something that happened to a followed run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase", tag = "type")]
pub enum RunUpdate {
    /// A new event of the run (evidence).
    Event {
        /// The event.
        event: Event,
    },
    /// The verdict: the last update of a run.
    Verdict {
        /// The verdict.
        verdict: Verdict,
    },
    /// The connection dropped; the follower is reconnecting (attempt `attempt`).
    Reconnecting {
        /// Failures in a row so far.
        attempt: u32,
        /// Why, in plain words.
        reason: String,
    },
}

/// A live view of one run's events; ends after the verdict.
#[derive(Debug)]
pub struct RunFollower {
    wallet: Wallet,
    run_id: String,
    last_seq: Option<u32>,
    response: Option<reqwest::Response>,
    buffer: String,
    ready: VecDeque<RunUpdate>,
    failures: u32,
    finished: bool,
}

/// One parsed SSE message.
#[derive(Debug, Default, PartialEq, Eq)]
struct Message {
    event: String,
    data: String,
}

/// Takes every complete message (ended by a blank line) off the front of `buffer`.
fn take_messages(buffer: &mut String) -> Vec<Message> {
    let mut messages = Vec::new();
    loop {
        let normalised_end = buffer
            .find("\n\n")
            .map(|i| (i, 2))
            .into_iter()
            .chain(buffer.find("\r\n\r\n").map(|i| (i, 4)))
            .min_by_key(|(i, _)| *i);
        let Some((end, skip)) = normalised_end else {
            return messages;
        };
        let block: String = buffer.drain(..end + skip).collect();
        let mut message = Message::default();
        let mut data: Vec<&str> = Vec::new();
        for line in block.lines() {
            if line.starts_with(':') || line.is_empty() {
                continue;
            }
            let (field, value) = line.split_once(':').unwrap_or((line, ""));
            let value = value.strip_prefix(' ').unwrap_or(value);
            match field {
                "event" => message.event = value.to_owned(),
                "data" => data.push(value),
                _ => {}
            }
        }
        if !data.is_empty() {
            message.data = data.join("\n");
            messages.push(message);
        }
    }
}

impl Wallet {
    /// Follows a run's events live (every event so far first, then each new one, then the
    /// verdict).
    pub fn follow_run(&self, run_id: &str) -> RunFollower {
        RunFollower {
            wallet: self.clone(),
            run_id: path_part(run_id),
            last_seq: None,
            response: None,
            buffer: String::new(),
            ready: VecDeque::new(),
            failures: 0,
            finished: false,
        }
    }
}

impl RunFollower {
    /// The run followed.
    pub fn run_id(&self) -> &str {
        &self.run_id
    }

    /// The next update; `None` once the verdict has been given (or the follower gave up, after
    /// returning the error).
    pub async fn next(&mut self) -> Option<Result<RunUpdate, WalletError>> {
        loop {
            if let Some(update) = self.ready.pop_front() {
                return Some(Ok(update));
            }
            if self.finished {
                return None;
            }
            if self.response.is_none()
                && let Err(error) = self.connect().await
            {
                return self.failed(error).await;
            }
            let Some(response) = self.response.as_mut() else {
                continue;
            };
            match response.chunk().await {
                Ok(Some(bytes)) => {
                    self.failures = 0;
                    self.buffer.push_str(&String::from_utf8_lossy(&bytes));
                    if let Err(error) = self.parse() {
                        self.finished = true;
                        return Some(Err(error));
                    }
                }
                Ok(None) => {
                    self.response = None;
                    if !self.finished {
                        let error = WalletError::HubUnreachable {
                            url: self.hub_url(),
                            reason: "the event stream ended before the verdict".to_owned(),
                        };
                        return self.failed(error).await;
                    }
                }
                Err(error) => {
                    self.response = None;
                    let error = WalletError::HubUnreachable {
                        url: self.hub_url(),
                        reason: format!("the event stream broke: {error}"),
                    };
                    return self.failed(error).await;
                }
            }
        }
    }

    /// Turns the follower into a `futures` stream of the same updates.
    pub fn into_stream(
        self,
    ) -> impl futures_util::Stream<Item = Result<RunUpdate, WalletError>> + Send {
        futures_util::stream::unfold(self, |mut follower| async move {
            follower.next().await.map(|item| (item, follower))
        })
    }

    fn hub_url(&self) -> String {
        self.wallet
            .auth()
            .map(|a| a.hub_url)
            .or_else(|_| self.wallet.settings().map(|s| s.hub_url))
            .unwrap_or_default()
    }

    /// Counts a failure: reconnecting (after a pause) while under the limit, the error after.
    async fn failed(&mut self, error: WalletError) -> Option<Result<RunUpdate, WalletError>> {
        let retryable = error.is_unreachable() || matches!(error, WalletError::Hub { .. });
        self.failures += 1;
        if !retryable || self.failures > self.wallet.inner.options.max_reconnects {
            self.finished = true;
            return Some(Err(error));
        }
        let pause = self.wallet.inner.options.reconnect_delay * self.failures;
        if !pause.is_zero() {
            tokio::time::sleep(pause).await;
        }
        Some(Ok(RunUpdate::Reconnecting {
            attempt: self.failures,
            reason: error.to_string(),
        }))
    }

    async fn connect(&mut self) -> Result<(), WalletError> {
        let auth = self.wallet.auth()?;
        let response = self
            .wallet
            .client()
            .send(
                &auth.hub_url,
                Method::GET,
                &format!("/runs/{}/events", self.run_id),
                Some(&auth.token),
                Body::Empty,
                Some(self.last_seq),
            )
            .await
            .map_err(|error: CallError| self.wallet.authed_error(error))?;
        self.buffer.clear();
        self.response = Some(response);
        Ok(())
    }

    fn parse(&mut self) -> Result<(), WalletError> {
        for message in take_messages(&mut self.buffer) {
            match message.event.as_str() {
                "run-event" => {
                    let event: Event =
                        serde_json::from_str(&message.data).map_err(|e| WalletError::Hub {
                            status: 200,
                            code: "BAD_ANSWER".to_owned(),
                            message: format!("a run event could not be read: {e}"),
                        })?;
                    if self.last_seq.is_some_and(|seen| event.seq <= seen) {
                        continue;
                    }
                    self.last_seq = Some(event.seq);
                    self.wallet.cache_update(&self.run_id, Some(&event), None)?;
                    self.ready.push_back(RunUpdate::Event { event });
                }
                "verdict" => {
                    let verdict: Verdict =
                        serde_json::from_str(&message.data).map_err(|e| WalletError::Hub {
                            status: 200,
                            code: "BAD_ANSWER".to_owned(),
                            message: format!("the verdict could not be read: {e}"),
                        })?;
                    self.wallet
                        .cache_update(&self.run_id, None, Some(&verdict))?;
                    self.ready.push_back(RunUpdate::Verdict { verdict });
                    self.finished = true;
                    self.response = None;
                }
                _ => {}
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_are_cut_at_blank_lines_and_comments_skipped() {
        let mut buffer = String::from(
            ": keep-alive\n\nid: 1\nevent: run-event\ndata: {\"a\":1}\n\nevent: verdict\r\ndata: x\r\n\r\nevent: run-event\ndata: part",
        );
        let messages = take_messages(&mut buffer);
        assert_eq!(
            messages,
            vec![
                Message {
                    event: "run-event".into(),
                    data: "{\"a\":1}".into()
                },
                Message {
                    event: "verdict".into(),
                    data: "x".into()
                }
            ]
        );
        assert_eq!(
            buffer, "event: run-event\ndata: part",
            "the incomplete message waits"
        );
    }
}
