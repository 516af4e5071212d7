//! Brute-force limits: failed sign-ins and invitation codes counted per login and per client
//! address, in memory. After [`FREE_FAILURES`] failures a key must wait, doubling from
//! [`FIRST_WAIT`] up to [`LONGEST_WAIT`]; a success clears its login's count. The map is
//! bounded: at most [`MAX_KEYS`] keys, the stalest dropped first, so no client can make the hub
//! hold more.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;

use chrono::{DateTime, Duration, Utc};

use crate::Hub;
use crate::error::HubError;

/// How many password hashes (argon2, memory-hard) the hub computes at once: what requests
/// without a credential can make it do is bounded.
pub const PASSWORD_WORK_AT_ONCE: usize = 2;

/// The client's address as the server saw it (`ConnectInfo<Peer>`, recorded by `Server::run`
/// over HTTP and HTTPS); the handlers that limit attempts read it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Peer(pub std::net::SocketAddr);

/// Failures a key may make before it must wait.
pub const FREE_FAILURES: u32 = 5;
/// The first wait after the free failures.
pub const FIRST_WAIT: Duration = Duration::seconds(30);
/// The longest wait.
pub const LONGEST_WAIT: Duration = Duration::minutes(15);
/// How long a key's failures are remembered without a new one.
const FORGET_AFTER: Duration = Duration::hours(1);
/// The most keys remembered at once.
pub const MAX_KEYS: usize = 10_000;

#[derive(Debug, Clone, Copy)]
struct Entry {
    failures: u32,
    last: DateTime<Utc>,
    blocked_until: Option<DateTime<Utc>>,
}

/// Failed attempts by key (`login:<...>`, `address:<ip>`, ...).
#[derive(Debug, Default)]
pub struct Throttle {
    entries: Mutex<HashMap<String, Entry>>,
}

impl Throttle {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Entry>> {
        self.entries
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// How many whole seconds the longest-waiting of `keys` must still wait, if any must.
    pub fn wait(&self, keys: &[String], now: DateTime<Utc>) -> Option<i64> {
        let entries = self.lock();
        keys.iter()
            .filter_map(|key| entries.get(key)?.blocked_until)
            .filter(|until| *until > now)
            .map(|until| ((until - now).num_milliseconds() + 999) / 1000)
            .max()
    }

    /// Counts a failure for each of `keys`.
    pub fn failed(&self, keys: &[String], now: DateTime<Utc>) {
        let mut entries = self.lock();
        entries.retain(|_, entry| now - entry.last < FORGET_AFTER);
        for key in keys {
            if !entries.contains_key(key) && entries.len() >= MAX_KEYS {
                let stalest = entries
                    .iter()
                    .min_by_key(|(_, entry)| entry.last)
                    .map(|(key, _)| key.clone());
                if let Some(stalest) = stalest {
                    entries.remove(&stalest);
                }
            }
            let entry = entries.entry(key.clone()).or_insert(Entry {
                failures: 0,
                last: now,
                blocked_until: None,
            });
            entry.failures += 1;
            entry.last = now;
            if entry.failures >= FREE_FAILURES {
                let doublings = (entry.failures - FREE_FAILURES).min(10);
                let wait = (FIRST_WAIT * 2i32.pow(doublings)).min(LONGEST_WAIT);
                entry.blocked_until = Some(now + wait);
            }
        }
    }

    /// Forgets the failures of `key` (its owner got in).
    pub fn succeeded(&self, key: &str) {
        self.lock().remove(key);
    }

    /// How many keys are remembered now.
    pub fn len(&self) -> usize {
        self.lock().len()
    }

    /// True when no key is remembered.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// The keys an attempt counts against: the login (when there is one) and the client's address
/// (when it is not loopback: everything on this machine, the web wallet's sessions included,
/// reaches the hub from there, so one address would stand for all of them).
pub fn attempt_keys(kind: &str, login: Option<&str>, client: Option<IpAddr>) -> Vec<String> {
    let mut keys = Vec::new();
    if let Some(login) = login
        .map(|l| l.trim().to_lowercase())
        .filter(|l| !l.is_empty())
    {
        keys.push(format!("{kind}:{login}"));
    }
    if let Some(ip) = client.filter(|ip| !ip.is_loopback()) {
        keys.push(format!("address:{ip}"));
    }
    keys
}

impl Hub {
    /// Refuses an attempt while any of its keys must wait.
    pub(crate) fn check_attempt(&self, keys: &[String]) -> Result<(), HubError> {
        match self.throttle.wait(keys, self.clock.now()) {
            Some(retry_after) => Err(HubError::TooManyAttempts { retry_after }),
            None => Ok(()),
        }
    }

    /// Counts a failed attempt against its keys.
    pub(crate) fn attempt_failed(&self, keys: &[String]) {
        self.throttle.failed(keys, self.clock.now());
    }

    /// Clears a login's failures once its owner got in.
    pub(crate) fn attempt_succeeded(&self, keys: &[String]) {
        if let Some(login) = keys.first().filter(|key| !key.starts_with("address:")) {
            self.throttle.succeeded(login);
        }
    }

    /// A turn at password hashing (argon2): at most [`PASSWORD_WORK_AT_ONCE`] at once,
    /// so requests without a credential cannot make the hub do more.
    pub async fn password_turn(&self) -> Result<tokio::sync::OwnedSemaphorePermit, HubError> {
        self.password_work
            .clone()
            .acquire_owned()
            .await
            .map_err(|error| HubError::Internal(error.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone as _;

    use super::*;

    fn at(secs: i64) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0)
            .single()
            .unwrap_or_default()
            + Duration::seconds(secs)
    }

    #[test]
    fn five_failures_are_free_then_the_wait_doubles_up_to_fifteen_minutes() {
        let throttle = Throttle::default();
        let key = vec!["login:m1".to_owned()];
        for n in 0..4 {
            throttle.failed(&key, at(n));
            assert_eq!(throttle.wait(&key, at(n)), None, "failure {}", n + 1);
        }
        throttle.failed(&key, at(4));
        assert_eq!(
            throttle.wait(&key, at(4)),
            Some(30),
            "the 5th failure: 30 s"
        );
        assert_eq!(throttle.wait(&key, at(34)), None, "over after 30 s");
        throttle.failed(&key, at(40));
        assert_eq!(throttle.wait(&key, at(40)), Some(60), "then 60 s");
        for n in 0..20 {
            throttle.failed(&key, at(100 + n));
        }
        assert_eq!(
            throttle.wait(&key, at(119)),
            Some(15 * 60),
            "never more than 15 min"
        );
        throttle.succeeded("login:m1");
        assert_eq!(throttle.wait(&key, at(120)), None, "a success clears it");
    }

    #[test]
    fn the_map_never_holds_more_than_its_bound() {
        let throttle = Throttle::default();
        for n in 0..(MAX_KEYS + 50) {
            throttle.failed(&[format!("address:{n}")], at(0));
        }
        assert_eq!(throttle.len(), MAX_KEYS);
    }
}
