//! Order codes: `https://<domain>/<12 digits><opaque token>`, the 12 digits matching
//! `281\d{3}04\d{4}` (digits 4-6 name the acquirer, the last 4 are the issuer's).
//!
//! On an Alipay+ domain it is an Alipay+ order code; on a domain an ACQP registered it is that
//! ACQP's private order code. Order-code values are always `https://` strings.

use serde::Serialize;

use super::url::{HttpUrl, UrlError};

/// Why a string is not an order code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OrderCodeError {
    /// Not a URL.
    #[error(transparent)]
    Url(#[from] UrlError),
    /// `http://` instead of `https://`.
    #[error("order codes are https:// URLs")]
    NotHttps,
    /// The path does not start with 12 digits matching `281\d{3}04\d{4}`.
    #[error("path {0:?} does not start with 12 digits matching 281ddd04dddd")]
    NoPrefix(String),
    /// Nothing, or more than one path segment, after the 12 digits.
    #[error("the 12 digits must be followed by an opaque token in the same path segment")]
    BadToken,
    /// A builder argument has the wrong number of digits.
    #[error("{0} must be {1} digits")]
    BadDigits(&'static str, usize),
}

/// An order-code URL taken apart.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct OrderCode {
    /// The URL as read.
    pub url: String,
    /// The domain (`host` or `host:port`), lowercase.
    pub domain: String,
    /// The 12 digits.
    pub prefix: String,
    /// Digits 4-6: the acquirer, assigned by Alipay+.
    pub acquirer_digits: String,
    /// Digits 9-12: the issuer's.
    pub issuer_digits: String,
    /// What follows the 12 digits.
    pub token: String,
}

/// True when `s` is 12 digits matching `281\d{3}04\d{4}`.
fn is_prefix(s: &str) -> bool {
    s.len() == 12
        && s.bytes().all(|b| b.is_ascii_digit())
        && s.starts_with("281")
        && &s[6..8] == "04"
}

impl OrderCode {
    /// Reads an order-code URL (any domain; which domain it is on is for the classifier).
    pub fn parse(text: &str) -> Result<OrderCode, OrderCodeError> {
        let url = HttpUrl::parse(text)?;
        if !url.is_https() {
            return Err(OrderCodeError::NotHttps);
        }
        let segment = url.path.strip_prefix('/').unwrap_or(&url.path);
        let prefix = segment.get(..12).filter(|p| is_prefix(p));
        let Some(prefix) = prefix else {
            return Err(OrderCodeError::NoPrefix(url.path.clone()));
        };
        let token = &segment[12..];
        if token.is_empty() || token.contains('/') {
            return Err(OrderCodeError::BadToken);
        }
        Ok(OrderCode {
            url: text.to_owned(),
            domain: url.authority(),
            prefix: prefix.to_owned(),
            acquirer_digits: prefix[3..6].to_owned(),
            issuer_digits: prefix[8..12].to_owned(),
            token: token.to_owned(),
        })
    }

    /// Builds `https://<domain>/281<acquirer>04<issuer><token>`.
    pub fn build(
        domain: &str,
        acquirer_digits: &str,
        issuer_digits: &str,
        token: &str,
    ) -> Result<OrderCode, OrderCodeError> {
        let digits = |s: &str, n| s.len() == n && s.bytes().all(|b| b.is_ascii_digit());
        if !digits(acquirer_digits, 3) {
            return Err(OrderCodeError::BadDigits("acquirer digits", 3));
        }
        if !digits(issuer_digits, 4) {
            return Err(OrderCodeError::BadDigits("issuer digits", 4));
        }
        if token.is_empty()
            || !token
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~'))
        {
            return Err(OrderCodeError::BadToken);
        }
        OrderCode::parse(&format!(
            "https://{domain}/281{acquirer_digits}04{issuer_digits}{token}"
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_spec_example() {
        let code =
            OrderCode::parse("https://global.alipay.com/2810020400931LFH2t2mq1jjJ8zSetyv31VU")
                .unwrap();
        assert_eq!(code.prefix, "281002040093");
        assert_eq!(code.acquirer_digits, "002");
        assert_eq!(code.issuer_digits, "0093");
        assert_eq!(code.token, "1LFH2t2mq1jjJ8zSetyv31VU");
        assert_eq!(code.domain, "global.alipay.com");
    }

    #[test]
    fn build_round_trips_and_rejects() {
        let code = OrderCode::build("127.0.0.1:8080", "123", "4567", "tok").unwrap();
        assert_eq!(code.url, "https://127.0.0.1:8080/281123044567tok");
        assert_eq!(OrderCode::parse(&code.url), Ok(code));
        assert_eq!(
            OrderCode::parse("http://global.alipay.com/281002040093x"),
            Err(OrderCodeError::NotHttps)
        );
        assert!(matches!(
            OrderCode::parse("https://global.alipay.com/281002050093x"),
            Err(OrderCodeError::NoPrefix(_))
        ));
        assert_eq!(
            OrderCode::parse("https://global.alipay.com/281002040093"),
            Err(OrderCodeError::BadToken)
        );
    }
}
