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

/// The reverse proxies whose `X-Forwarded-For` the hub believes (`linker hub serve
/// --trusted-proxy`): addresses or CIDR blocks. Empty by default, so a client cannot choose the
/// address its attempts count against by sending the header itself.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrustedProxies(Vec<(IpAddr, u8)>);

impl TrustedProxies {
    /// Reads `10.0.0.1`, `10.0.0.0/8`, `::1` or `fd00::/8` items; names the first bad one.
    pub fn parse<S: AsRef<str>>(items: &[S]) -> Result<TrustedProxies, String> {
        let mut blocks = Vec::new();
        for item in items {
            let item = item.as_ref().trim();
            let (address, bits) = match item.split_once('/') {
                Some((address, bits)) => (address, Some(bits)),
                None => (item, None),
            };
            let address: IpAddr = address.parse().map_err(|_| {
                format!("{item:?} is not an IP address or a CIDR block such as 10.0.0.0/8")
            })?;
            let longest = if address.is_ipv4() { 32 } else { 128 };
            let bits = match bits {
                None => longest,
                Some(bits) => bits
                    .parse::<u8>()
                    .ok()
                    .filter(|bits| *bits <= longest)
                    .ok_or_else(|| format!("{item:?}: the prefix length is 0 to {longest}"))?,
            };
            blocks.push((address, bits));
        }
        Ok(TrustedProxies(blocks))
    }

    /// True when `ip` is one of the proxies.
    pub fn contains(&self, ip: IpAddr) -> bool {
        let ip = canonical(ip);
        self.0
            .iter()
            .any(|(block, bits)| match (canonical(*block), ip) {
                (IpAddr::V4(block), IpAddr::V4(ip)) => {
                    let mask = u32::MAX.checked_shl(32 - u32::from(*bits)).unwrap_or(0);
                    u32::from(block) & mask == u32::from(ip) & mask
                }
                (IpAddr::V6(block), IpAddr::V6(ip)) => {
                    let mask = u128::MAX.checked_shl(128 - u32::from(*bits)).unwrap_or(0);
                    u128::from(block) & mask == u128::from(ip) & mask
                }
                _ => false,
            })
    }

    /// The client behind `peer`: `peer` itself unless it is a trusted proxy; then the nearest
    /// address in `X-Forwarded-For` (read from the right, each proxy appends the address it
    /// saw) that is not a trusted proxy. What a client writes further left is never believed.
    pub fn client(&self, peer: IpAddr, forwarded_for: &[&str]) -> IpAddr {
        if !self.contains(peer) {
            return peer;
        }
        let hops = forwarded_for
            .iter()
            .flat_map(|header| header.split(','))
            .map(str::trim)
            .rev();
        for hop in hops {
            let Some(ip) = parse_hop(hop) else {
                return peer;
            };
            if !self.contains(ip) {
                return ip;
            }
        }
        peer
    }
}

/// An IPv4 address written as IPv6 (`::ffff:10.0.0.1`) is the IPv4 address.
fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        IpAddr::V4(_) => ip,
    }
}

/// One `X-Forwarded-For` entry: `1.2.3.4`, `1.2.3.4:5678`, `2001:db8::1` or `[2001:db8::1]:80`.
fn parse_hop(hop: &str) -> Option<IpAddr> {
    if let Ok(ip) = hop.parse::<IpAddr>() {
        return Some(canonical(ip));
    }
    hop.parse::<std::net::SocketAddr>()
        .ok()
        .map(|address| canonical(address.ip()))
}

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
    /// Believes `X-Forwarded-For` from these proxies from now on (`--trusted-proxy`).
    pub fn trust_proxies(&self, proxies: TrustedProxies) {
        *self
            .trusted_proxies
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner()) = proxies;
    }

    /// The address of the client behind a request: the connection's peer, or, when the peer is
    /// a trusted proxy, the client it forwarded for. `None` when the server recorded no peer
    /// (requests made in-process).
    pub fn client_address(
        &self,
        peer: Option<&Peer>,
        headers: &axum::http::HeaderMap,
    ) -> Option<IpAddr> {
        let peer = peer?.0.ip();
        let forwarded: Vec<&str> = headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|value| value.to_str().ok())
            .collect();
        Some(
            self.trusted_proxies
                .read()
                .unwrap_or_else(|poisoned| poisoned.into_inner())
                .client(peer, &forwarded),
        )
    }

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
    fn a_forwarded_address_is_believed_only_from_a_trusted_proxy_and_only_its_own_hop() {
        let ip = |text: &str| text.parse::<IpAddr>().unwrap_or(IpAddr::from([0, 0, 0, 0]));
        let none = TrustedProxies::default();
        assert_eq!(
            none.client(ip("203.0.113.9"), &["198.51.100.1"]),
            ip("203.0.113.9"),
            "without --trusted-proxy the header is ignored: a client cannot pick its address"
        );
        let proxies = TrustedProxies::parse(&["127.0.0.1", "10.0.0.0/8"]).unwrap_or_default();
        assert_eq!(
            proxies.client(ip("127.0.0.1"), &["6.6.6.6, 198.51.100.7"]),
            ip("198.51.100.7"),
            "the proxy's own hop (rightmost) is the client; what the client wrote left of it is not"
        );
        assert_eq!(
            proxies.client(ip("127.0.0.1"), &["198.51.100.7", "10.1.2.3"]),
            ip("198.51.100.7"),
            "a chain of trusted proxies (two headers) is walked through"
        );
        assert_eq!(
            proxies.client(ip("203.0.113.9"), &["198.51.100.7"]),
            ip("203.0.113.9"),
            "a peer that is not a trusted proxy is the client, whatever it forwards"
        );
        assert_eq!(
            proxies.client(ip("::ffff:127.0.0.1"), &["[2001:db8::5]:443"]),
            ip("2001:db8::5"),
            "IPv4-mapped peers and bracketed hops with ports are understood"
        );
        assert_eq!(
            proxies.client(ip("127.0.0.1"), &["not-an-address"]),
            ip("127.0.0.1"),
            "an unreadable hop leaves the proxy's own address"
        );
        assert!(
            TrustedProxies::parse(&["10.0.0.0/33"]).is_err()
                && TrustedProxies::parse(&["proxy.local"]).is_err(),
            "bad items are refused"
        );
        assert!(proxies.contains(ip("10.200.0.1")) && !proxies.contains(ip("11.0.0.1")));
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
