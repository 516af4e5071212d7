//! A small reader for `http://` and `https://` URLs: scheme, host, port, path, query.

use std::net::IpAddr;

use serde::Serialize;

/// Why a string is not an HTTP(S) URL.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UrlError {
    /// Does not start with `http://` or `https://`.
    #[error("not an http:// or https:// URL")]
    NotHttp,
    /// The host is empty or has characters a host cannot have.
    #[error("invalid host {0:?}")]
    InvalidHost(String),
    /// The port is not a number from 1 to 65535.
    #[error("invalid port {0:?}")]
    InvalidPort(String),
    /// `user:password@` is not accepted in codes.
    #[error("user info (user@host) is not accepted")]
    UserInfo,
}

/// An HTTP(S) URL taken apart.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct HttpUrl {
    /// `http` or `https`, lowercase.
    pub scheme: String,
    /// The host, lowercase (IPv6 without brackets).
    pub host: String,
    /// The explicit port, if any.
    pub port: Option<u16>,
    /// The path, `/` when empty.
    pub path: String,
    /// The query without `?`, if any.
    pub query: Option<String>,
}

impl HttpUrl {
    /// Takes a URL apart; the scheme and host are case-insensitive.
    pub fn parse(text: &str) -> Result<HttpUrl, UrlError> {
        let (scheme, rest) = if starts_with_ignore_case(text, "https://") {
            ("https", &text[8..])
        } else if starts_with_ignore_case(text, "http://") {
            ("http", &text[7..])
        } else {
            return Err(UrlError::NotHttp);
        };
        let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
        let (authority, tail) = rest.split_at(end);
        if authority.contains('@') {
            return Err(UrlError::UserInfo);
        }
        let (host, port) = split_host_port(authority)?;
        let tail = tail.split('#').next().unwrap_or("");
        let (path, query) = match tail.split_once('?') {
            Some((path, query)) => (path, Some(query.to_owned())),
            None => (tail, None),
        };
        Ok(HttpUrl {
            scheme: scheme.to_owned(),
            host,
            port,
            path: if path.is_empty() {
                "/".to_owned()
            } else {
                path.to_owned()
            },
            query,
        })
    }

    /// True for `https`.
    pub fn is_https(&self) -> bool {
        self.scheme == "https"
    }

    /// True for `localhost` and loopback IP addresses (127.0.0.0/8, ::1).
    pub fn is_loopback(&self) -> bool {
        self.host == "localhost" || self.host.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
    }

    /// `host` or `host:port` as written (IPv6 in brackets).
    pub fn authority(&self) -> String {
        let host = if self.host.contains(':') {
            format!("[{}]", self.host)
        } else {
            self.host.clone()
        };
        match self.port {
            Some(port) => format!("{host}:{port}"),
            None => host,
        }
    }

    /// True when this URL is on `domain` (`host` or `host:port`, case-insensitive). A domain
    /// without a port matches any port.
    pub fn is_on(&self, domain: &str) -> bool {
        let Ok((host, port)) = split_host_port(domain.trim()) else {
            return false;
        };
        host == self.host && (port.is_none() || port == self.port)
    }
}

fn starts_with_ignore_case(text: &str, prefix: &str) -> bool {
    text.get(..prefix.len())
        .is_some_and(|head| head.eq_ignore_ascii_case(prefix))
}

/// Splits `host[:port]` (or `[v6][:port]`), lowercasing the host.
fn split_host_port(authority: &str) -> Result<(String, Option<u16>), UrlError> {
    let (host, port) = if let Some(rest) = authority.strip_prefix('[') {
        let (host, after) = rest
            .split_once(']')
            .ok_or_else(|| UrlError::InvalidHost(authority.to_owned()))?;
        if host.parse::<std::net::Ipv6Addr>().is_err() {
            return Err(UrlError::InvalidHost(authority.to_owned()));
        }
        let port = match after {
            "" => None,
            p => Some(
                p.strip_prefix(':')
                    .ok_or_else(|| UrlError::InvalidHost(authority.to_owned()))?,
            ),
        };
        (host, port)
    } else {
        match authority.rsplit_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (authority, None),
        }
    };
    let valid_host = !host.is_empty()
        && host
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | ':' | '_'));
    if !valid_host {
        return Err(UrlError::InvalidHost(host.to_owned()));
    }
    let port = match port {
        None => None,
        Some(p) => Some(
            p.parse::<u16>()
                .ok()
                .filter(|p| *p != 0)
                .ok_or_else(|| UrlError::InvalidPort(p.to_owned()))?,
        ),
    };
    Ok((host.to_ascii_lowercase(), port))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_parts() {
        let u = HttpUrl::parse("HTTPS://Global.Alipay.com:8443/a/b?x=1#f").unwrap();
        assert_eq!(u.scheme, "https");
        assert_eq!(u.host, "global.alipay.com");
        assert_eq!(u.port, Some(8443));
        assert_eq!(u.path, "/a/b");
        assert_eq!(u.query.as_deref(), Some("x=1"));
        assert!(
            u.is_on("global.alipay.com"),
            "no port in the domain matches any port"
        );
        assert!(u.is_on("GLOBAL.alipay.com:8443"));
        assert!(!u.is_on("global.alipay.com:443"));
    }

    #[test]
    fn loopback_and_errors() {
        assert!(
            HttpUrl::parse("http://127.0.0.1:8080/")
                .unwrap()
                .is_loopback()
        );
        assert!(HttpUrl::parse("http://[::1]:80/x").unwrap().is_loopback());
        assert!(HttpUrl::parse("http://localhost").unwrap().is_loopback());
        assert!(!HttpUrl::parse("http://10.0.0.1").unwrap().is_loopback());
        assert_eq!(HttpUrl::parse("ftp://x"), Err(UrlError::NotHttp));
        assert!(matches!(
            HttpUrl::parse("https://a b/"),
            Err(UrlError::InvalidHost(_))
        ));
        assert!(matches!(
            HttpUrl::parse("https://a:99999/"),
            Err(UrlError::InvalidPort(_))
        ));
        assert_eq!(HttpUrl::parse("https://u@h/"), Err(UrlError::UserInfo));
    }
}
