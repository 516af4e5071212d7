//! Brute-force limits on the hub: failed sign-ins, invitation codes and admin-token guesses
//! counted per login and per client address ([`linker_base::throttle`] keeps the counts), who
//! the client is behind a trusted reverse proxy, and how much password hashing requests without
//! a credential can start.

use std::net::IpAddr;

pub use linker_base::throttle::{
    ClientIp, FIRST_WAIT, FREE_FAILURES, LONGEST_WAIT, MAX_KEYS, Throttle, attempt_keys,
};

use crate::Hub;
use crate::error::HubError;

/// How many password hashes (argon2, memory-hard) the hub computes at once: what requests
/// without a credential can make it do is bounded.
pub const PASSWORD_WORK_AT_ONCE: usize = 2;

/// The client's address as the server saw it (`ConnectInfo<Peer>`, recorded by `Server::run`
/// over HTTP and HTTPS); the handlers that limit attempts read it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Peer(pub std::net::SocketAddr);

/// The client's address as a handler's argument (for the sign-in and setup limits): the
/// [`ClientIp`] the server recorded (the peer, or behind a trusted proxy the client it forwarded
/// for), `None` for a router driven without a socket, as in tests. The wallet API and the
/// console share it.
#[derive(Debug, Clone, Copy)]
pub struct ClientAddress(pub Option<IpAddr>);

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for ClientAddress {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        _: &S,
    ) -> Result<Self, Self::Rejection> {
        Ok(ClientAddress(
            parts.extensions.get::<ClientIp>().map(|client| client.0),
        ))
    }
}

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
    use super::*;

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
}
