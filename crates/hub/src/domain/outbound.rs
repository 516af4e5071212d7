//! Where the hub's calls to an ACQP may go. Every target URL is read once, by
//! [`CallbackUrl`] (the `url` crate reqwest dials with), and the parsed URL is what is dialled.
//! A hub put on the internet (`linker hub serve --public`) also refuses targets that are not
//! global addresses (private, loopback, link-local and cloud metadata, CGNAT, unspecified,
//! multicast, documentation, reserved): a host written as an IP address is checked before the
//! call, and a name is checked where the connection is made, by a resolver that drops such
//! addresses from what DNS answers, so a name that rebinds to 127.0.0.1 between the settings
//! page and the call still cannot reach it. The calls never follow a redirect and never go
//! through a proxy in that mode (a proxy would resolve the name itself).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use linker_aplus::callback_url::CallbackUrl;
use reqwest::dns::{Addrs, Name, Resolve, Resolving};

/// How long the hub waits for an ACQP to answer a callback.
pub const CALLBACK_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

/// A target the hub will not call while it runs with `--public`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}", self.explain())]
pub struct Refused {
    /// The host as written in the URL.
    pub host: String,
    /// The address it is (or resolved to).
    pub ip: IpAddr,
    /// What kind of address, e.g. "a private address".
    pub kind: &'static str,
}

impl Refused {
    fn explain(&self) -> String {
        let host = self.host.trim_start_matches('[').trim_end_matches(']');
        let what = if host.parse::<IpAddr>().is_ok() {
            format!("{} is {}", self.ip, self.kind)
        } else {
            format!("{host} resolves to {}, {}", self.ip, self.kind)
        };
        format!("refused: {what}; this hub runs with --public and calls only public addresses")
    }
}

/// The HTTP client for calls to ACQPs, and whether it may call only global addresses.
#[derive(Debug, Clone)]
pub struct Outbound {
    client: reqwest::Client,
    public: bool,
}

impl Outbound {
    /// A client that never follows redirects; with `public`, one that dials only global
    /// addresses and uses no proxy.
    pub fn new(public: bool) -> Outbound {
        let builder = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(CALLBACK_TIMEOUT);
        let builder = if public {
            builder.no_proxy().dns_resolver(GlobalOnly)
        } else {
            builder
        };
        let client = builder.build().unwrap_or_else(|error| {
            tracing::error!(%error, "the outbound HTTP client could not be built as configured");
            reqwest::Client::new()
        });
        Outbound { client, public }
    }

    /// True when only global addresses are called.
    pub fn is_public(&self) -> bool {
        self.public
    }

    /// Reads a target URL and, in public mode, checks a host written as an IP address (such a
    /// host never reaches the resolver). The error says why, for the TSP.
    pub fn target(&self, url: &str) -> Result<CallbackUrl, String> {
        let target = CallbackUrl::parse(url).map_err(|e| format!("refused: {e}"))?;
        if self.public
            && let Some(ip) = target.ip()
            && let Some(kind) = non_global(ip)
        {
            return Err(Refused {
                host: target.host(),
                ip,
                kind,
            }
            .to_string());
        }
        Ok(target)
    }

    /// The client to send with.
    pub fn client(&self) -> &reqwest::Client {
        &self.client
    }
}

/// The public-mode refusal behind a failed request, in the TSP's words, if that is why it failed.
pub fn refusal(error: &reqwest::Error) -> Option<String> {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(error);
    while let Some(error) = source {
        if let Some(refused) = error.downcast_ref::<Refused>() {
            return Some(refused.to_string());
        }
        source = error.source();
    }
    None
}

/// Resolves names as the system does, then keeps only global addresses.
#[derive(Debug, Clone, Copy)]
struct GlobalOnly;

impl Resolve for GlobalOnly {
    fn resolve(&self, name: Name) -> Resolving {
        let host = name.as_str().to_owned();
        Box::pin(async move {
            let found: Vec<SocketAddr> =
                tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            let kept = global_only(&host, found)?;
            let addrs: Addrs = Box::new(kept.into_iter());
            Ok(addrs)
        })
    }
}

/// The global addresses among those `host` resolved to; none left is a [`Refused`] naming the
/// first address dropped. Nothing resolved at all is `Ok(vec![])` (the connect fails as usual).
pub fn global_only(host: &str, found: Vec<SocketAddr>) -> Result<Vec<SocketAddr>, Refused> {
    let mut refused = None;
    let mut kept = Vec::with_capacity(found.len());
    for address in found {
        match non_global(address.ip()) {
            None => kept.push(address),
            Some(kind) => {
                refused.get_or_insert(Refused {
                    host: host.to_owned(),
                    ip: address.ip(),
                    kind,
                });
            }
        }
    }
    match refused {
        Some(refused) if kept.is_empty() => Err(refused),
        _ => Ok(kept),
    }
}

/// What kind of non-global address `ip` is, or `None` for a global (public) one.
pub fn non_global(ip: IpAddr) -> Option<&'static str> {
    match ip {
        IpAddr::V4(ip) => non_global_v4(ip),
        IpAddr::V6(ip) => non_global_v6(ip),
    }
}

fn non_global_v4(ip: Ipv4Addr) -> Option<&'static str> {
    let [a, b, c, _] = ip.octets();
    Some(match (a, b, c) {
        (0, _, _) => "an unspecified address (0.0.0.0/8)",
        (127, _, _) => "a loopback address",
        (10, _, _) | (192, 168, _) => "a private address",
        (172, 16..=31, _) => "a private address",
        (169, 254, _) => "a link-local address (where cloud metadata answers)",
        (100, 64..=127, _) => "a shared address (CGNAT, 100.64.0.0/10)",
        (192, 0, 0) => "an IETF protocol address (192.0.0.0/24)",
        (192, 0, 2) | (198, 51, 100) | (203, 0, 113) => "a documentation address",
        (198, 18..=19, _) => "a benchmarking address (198.18.0.0/15)",
        (224..=239, _, _) => "a multicast address",
        (240..=255, _, _) => "a reserved address",
        _ => return None,
    })
}

fn non_global_v6(ip: Ipv6Addr) -> Option<&'static str> {
    if let Some(v4) = ip.to_ipv4_mapped() {
        return non_global_v4(v4);
    }
    let s = ip.segments();
    let embedded = |high: u16, low: u16| {
        let [a, b] = high.to_be_bytes();
        let [c, d] = low.to_be_bytes();
        Ipv4Addr::new(a, b, c, d)
    };
    Some(match s {
        [0, 0, 0, 0, 0, 0, 0, 0] => "an unspecified address",
        [0, 0, 0, 0, 0, 0, 0, 1] => "a loopback address",
        // NAT64 (64:ff9b::/96) and 6to4 (2002::/16) reach the IPv4 address inside them.
        [0x64, 0xff9b, 0, 0, 0, 0, high, low] => return non_global_v4(embedded(high, low)),
        [0x2002, high, low, ..] => return non_global_v4(embedded(high, low)),
        [0x2001, 0xdb8, ..] => "a documentation address",
        [0x2001, 0, ..] => "a Teredo tunnel address",
        [first, ..] if first & 0xfe00 == 0xfc00 => "a private address (fc00::/7)",
        [first, ..] if first & 0xffc0 == 0xfe80 => "a link-local address",
        [first, ..] if first & 0xffc0 == 0xfec0 => "a site-local address",
        [first, ..] if first & 0xff00 == 0xff00 => "a multicast address",
        [first, ..] if first & 0xe000 != 0x2000 => "a reserved address",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    #[test]
    fn global_addresses_pass() {
        for text in [
            "8.8.8.8",
            "1.1.1.1",
            "93.184.216.34",
            "100.63.255.255",
            "100.128.0.1",
            "172.32.0.1",
            "169.253.1.1",
            "2606:4700:4700::1111",
            "2001:4860:4860::8888",
            "64:ff9b::808:808",
            "2002:808:808::1",
            "::ffff:8.8.8.8",
        ] {
            assert_eq!(non_global(ip(text)), None, "{text} is a public address");
        }
    }

    #[test]
    fn private_loopback_link_local_and_other_non_global_addresses_are_named() {
        for (text, kind) in [
            ("127.0.0.1", "loopback"),
            ("127.255.0.9", "loopback"),
            ("10.0.0.5", "private"),
            ("172.16.0.1", "private"),
            ("172.31.255.255", "private"),
            ("192.168.1.1", "private"),
            ("169.254.169.254", "link-local"),
            ("100.64.0.1", "CGNAT"),
            ("100.127.255.254", "CGNAT"),
            ("0.0.0.0", "unspecified"),
            ("0.1.2.3", "unspecified"),
            ("192.0.2.1", "documentation"),
            ("198.18.0.1", "benchmarking"),
            ("224.0.0.1", "multicast"),
            ("255.255.255.255", "reserved"),
            ("::1", "loopback"),
            ("::", "unspecified"),
            ("::ffff:127.0.0.1", "loopback"),
            ("::ffff:169.254.169.254", "link-local"),
            ("fc00::1", "private"),
            ("fd12:3456::1", "private"),
            ("fe80::1", "link-local"),
            ("ff02::1", "multicast"),
            ("2001:db8::1", "documentation"),
            ("64:ff9b::a00:5", "private"),
            ("2002:7f00:1::1", "loopback"),
            ("::127.0.0.1", "reserved"),
        ] {
            let found = non_global(ip(text));
            assert!(
                found.is_some_and(|k| k.contains(kind)),
                "{text} must be refused as {kind}, got {found:?}"
            );
        }
    }

    #[test]
    fn the_resolver_keeps_global_addresses_and_refuses_a_name_with_none() {
        let at = |text: &str| SocketAddr::new(ip(text), 0);
        assert_eq!(
            global_only(
                "acqp.example",
                vec![at("93.184.216.34"), at("2606:4700::1")]
            ),
            Ok(vec![at("93.184.216.34"), at("2606:4700::1")]),
            "global addresses are all kept"
        );
        assert_eq!(
            global_only("mixed.example", vec![at("10.0.0.5"), at("93.184.216.34")]),
            Ok(vec![at("93.184.216.34")]),
            "a private address among public ones is dropped, never dialled"
        );
        let refused = global_only("localhost", vec![at("::1"), at("127.0.0.1")]);
        assert_eq!(
            refused.as_ref().map_err(ToString::to_string),
            Err(
                "refused: localhost resolves to ::1, a loopback address; this hub runs \
                 with --public and calls only public addresses"
                    .to_owned()
            ),
        );
    }

    #[test]
    fn in_public_mode_an_ip_literal_is_checked_before_the_call() {
        let public = Outbound::new(true);
        let local = Outbound::new(false);
        for url in [
            "http://127.0.0.1:9/notify",
            "http://2130706433/",
            "http://0177.0.0.1/",
            "http://[::1]/",
            "https://10.0.0.5/notify",
            "https://167772165/",
            "https://169.254.169.254/latest/meta-data/",
            "https://[::ffff:127.0.0.1]/",
            "https://[fd00::1]/",
            "https://100.64.0.1/",
        ] {
            let refused = public.target(url);
            assert!(
                refused
                    .as_ref()
                    .is_err_and(|why| why.starts_with("refused: ") && why.contains("--public")),
                "{url} must be refused in public mode, got {refused:?}"
            );
        }
        assert_eq!(
            public.target("https://10.0.0.5/n").err().as_deref(),
            Some(
                "refused: 10.0.0.5 is a private address; this hub runs with --public and \
                 calls only public addresses"
            )
        );
        for url in [
            "http://127.0.0.1:9/notify",
            "http://[::1]/",
            "http://2130706433/",
        ] {
            assert!(
                local.target(url).is_ok(),
                "{url} is called by a loopback hub"
            );
        }
        for url in ["https://93.184.216.34/n", "https://acqp.example/n"] {
            assert!(
                public.target(url).is_ok(),
                "{url} may be called in public mode"
            );
        }
        assert!(
            public
                .target("http://evil.example\\@127.0.0.1/")
                .is_err_and(|why| why.contains("use https://")),
            "the backslash trick is read as evil.example over plain HTTP, in either mode"
        );
    }
}
