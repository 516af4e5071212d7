//! The URLs the hub calls back (notifyPayment, userInitiatedPay, authNotify) and the ones a
//! request names for them (`paymentNotifyUrl`, redirect URLs): read by the `url` crate, the same
//! parser the hub's HTTP client dials with, so the host that is checked is the host that is
//! dialled. `http://evil.example\@127.0.0.1/` is `evil.example` here exactly as it is on the
//! wire (a backslash ends the host), and `http://2130706433/` is `127.0.0.1`.

use std::net::IpAddr;

pub use url::{Host, Url};

/// Why a string is not a URL the hub may call.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CallbackUrlError {
    /// Not a URL at all (or a malformed host or port).
    #[error("{0:?} is not an http(s) URL: {1}")]
    NotUrl(String, String),
    /// A scheme other than `http` or `https`.
    #[error("{0:?} is not an http(s) URL")]
    NotHttp(String),
    /// No host to call.
    #[error("{0:?} has no host")]
    NoHost(String),
    /// `user:password@` before the host.
    #[error("{0:?}: user info (user@host) is not accepted in a callback URL")]
    UserInfo(String),
    /// `http://` to a host that is not a loopback address.
    #[error("{0:?}: use https:// (http:// is accepted only for loopback addresses)")]
    PlainHttp(String),
}

/// An `https://` URL, or an `http://` one on a loopback address, with no user info.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallbackUrl(Url);

impl CallbackUrl {
    /// Reads and checks a callback URL (surrounding spaces ignored).
    pub fn parse(text: &str) -> Result<CallbackUrl, CallbackUrlError> {
        let text = text.trim();
        let url = Url::parse(text)
            .map_err(|e| CallbackUrlError::NotUrl(text.to_owned(), e.to_string()))?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(CallbackUrlError::NotHttp(text.to_owned()));
        }
        if url.host().is_none_or(|host| host == Host::Domain("")) {
            return Err(CallbackUrlError::NoHost(text.to_owned()));
        }
        if !url.username().is_empty() || url.password().is_some() {
            return Err(CallbackUrlError::UserInfo(text.to_owned()));
        }
        let url = CallbackUrl(url);
        if url.0.scheme() == "http" && !url.is_loopback() {
            return Err(CallbackUrlError::PlainHttp(text.to_owned()));
        }
        Ok(url)
    }

    /// The parsed URL, as the HTTP client dials it.
    pub fn url(&self) -> &Url {
        &self.0
    }

    /// The host's IP address, when the host is written as one (in any form the parser reads:
    /// `127.0.0.1`, `2130706433`, `0177.0.0.1`, `[::1]`).
    pub fn ip(&self) -> Option<IpAddr> {
        match self.0.host()? {
            Host::Ipv4(ip) => Some(IpAddr::V4(ip)),
            Host::Ipv6(ip) => Some(IpAddr::V6(ip)),
            Host::Domain(_) => None,
        }
    }

    /// The host as the parser reads it (an IPv6 address in brackets).
    pub fn host(&self) -> String {
        self.0.host_str().unwrap_or_default().to_owned()
    }

    /// True for `localhost`, 127.0.0.0/8 and `::1`.
    pub fn is_loopback(&self) -> bool {
        match self.0.host() {
            Some(Host::Domain(name)) => name.eq_ignore_ascii_case("localhost"),
            Some(Host::Ipv4(ip)) => ip.is_loopback(),
            Some(Host::Ipv6(ip)) => ip.is_loopback(),
            None => false,
        }
    }

    /// The path and query that go on the request line, and that a signature covers.
    pub fn path_and_query(&self) -> String {
        match self.0.query() {
            Some(query) => format!("{}?{query}", self.0.path()),
            None => self.0.path().to_owned(),
        }
    }
}

impl std::fmt::Display for CallbackUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.0.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn host_of(text: &str) -> Result<String, CallbackUrlError> {
        CallbackUrl::parse(text).map(|url| url.host())
    }

    #[test]
    fn https_anywhere_and_http_on_loopback_are_accepted_with_the_host_that_is_dialled() {
        for (text, host) in [
            ("https://acqp.example/notify", "acqp.example"),
            ("HTTPS://ACQP.Example:8443/n?x=1", "acqp.example"),
            ("http://127.0.0.1:9000/notify", "127.0.0.1"),
            ("http://localhost/notify", "localhost"),
            ("http://[::1]:8080/n", "[::1]"),
            ("http://[::1]", "[::1]"),
            // A fragment is not sent; the host before it is the one dialled.
            ("http://127.0.0.1#@evil.example", "127.0.0.1"),
            // Decimal, octal and short IPv4 forms are read as the addresses they dial.
            ("http://2130706433/", "127.0.0.1"),
            ("http://0177.0.0.1/", "127.0.0.1"),
            ("http://0x7f.1/", "127.0.0.1"),
            ("https://167772165/", "10.0.0.5"),
            // Over HTTPS the backslash trick is just a URL on evil.example, and is read so.
            ("https://evil.example\\@127.0.0.1/", "evil.example"),
        ] {
            assert_eq!(
                host_of(text).as_deref(),
                Ok(host),
                "{text} is dialled at {host}"
            );
        }
    }

    #[test]
    fn userinfo_other_schemes_and_plain_http_elsewhere_are_refused() {
        for (text, why) in [
            // The backslash ends the host: this dials evil.example, over plain HTTP.
            ("http://evil.example\\@127.0.0.1/", "use https://"),
            ("http://evil.example@127.0.0.1/", "user info"),
            ("https://user:pw@acqp.example/", "user info"),
            ("http://127.0.0.1:80@evil.example/", "user info"),
            ("http://acqp.example/notify", "use https://"),
            ("http://10.0.0.5/", "use https://"),
            ("http://127.0.0.1.evil.example/", "use https://"),
            ("ftp://127.0.0.1/x", "not an http(s) URL"),
            ("file:///etc/passwd", "not an http(s) URL"),
            ("gopher://127.0.0.1:25/", "not an http(s) URL"),
            ("notify", "not an http(s) URL"),
            ("https://a b/", "not an http(s) URL"),
            ("https://a:99999/", "not an http(s) URL"),
        ] {
            let error = CallbackUrl::parse(text).map(|u| u.to_string());
            assert!(
                error.as_ref().is_err_and(|e| e.to_string().contains(why)),
                "{text} must be refused with {why:?}, got {error:?}"
            );
        }
    }

    #[test]
    fn the_signed_path_is_the_path_that_is_sent() {
        let path = |text: &str| CallbackUrl::parse(text).map(|u| u.path_and_query());
        assert_eq!(path("https://h/a/b?x=1#f").as_deref(), Ok("/a/b?x=1"));
        assert_eq!(path("https://h").as_deref(), Ok("/"));
        assert_eq!(path("https://h\\notify").as_deref(), Ok("/notify"));
        assert_eq!(path("https://h/a/../b").as_deref(), Ok("/b"));
    }
}
