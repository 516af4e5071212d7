//! Brute-force limits, in memory: failed attempts (sign-ins, invitation codes, admin-token
//! guesses) counted per key, a login or a client address. After [`FREE_FAILURES`] failures a key
//! must wait, doubling from [`FIRST_WAIT`] up to [`LONGEST_WAIT`]; a success clears its login's
//! count. The map is bounded: at most [`MAX_KEYS`] keys, the stalest dropped first, so no client
//! can make a server hold more. The hub and the web wallet's shell each keep one.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;

use chrono::{DateTime, Duration, Utc};

/// The address of the client behind a request, as the server that accepted it decided (the
/// connection's peer, or the client a trusted proxy forwarded for). The hub's server records it
/// in every request's extensions; any handler it serves (the web wallet's too) reads it there.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientIp(pub IpAddr);

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
