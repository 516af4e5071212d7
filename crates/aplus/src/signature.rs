//! Message signatures, both directions, every message.
//!
//! 1. content = `<METHOD> <PATH>\n<Client-Id>.<Request-Time or Response-Time>.<body>`, PATH
//!    without host (with query), body the exact bytes on the wire;
//! 2. RSASSA-PKCS1-v1_5 with SHA-256 over the content;
//! 3. standard base64, then URL-encoded;
//! 4. header `Signature: algorithm=RSA256,keyVersion=1,signature=<encoded>`.
//!
//! A response is signed over its request's METHOD and PATH with the responder's Client-Id and
//! Response-Time. [`diagnose`] explains a failed verification by trying the usual mistakes.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use chrono::{FixedOffset, SecondsFormat};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, percent_decode_str, utf8_percent_encode};
use serde::Serialize;

use crate::keys::{KeyError, PrivateKey, PublicKey};
use crate::time::{RequestTime, RequestTimeForm};

/// The only algorithm Alipay+ uses.
pub const ALGORITHM_RSA256: &str = "RSA256";

/// Characters escaped in the signature value: everything but `A-Z a-z 0-9 - _ . ~`, so base64's
/// `+`, `/`, `=` become `%2B`, `%2F`, `%3D`.
const SIGNATURE_ESCAPES: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

/// Why signing or verifying failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    /// The `Signature` header could not be read.
    #[error("malformed Signature header: {0}")]
    MalformedHeader(String),
    /// The header names an algorithm other than `RSA256`.
    #[error("unsupported signature algorithm {0:?}; Alipay+ uses RSA256")]
    UnsupportedAlgorithm(String),
    /// The signature value is not base64 after URL-decoding.
    #[error("signature value is not base64 after URL-decoding: {0}")]
    NotBase64(String),
    /// The signature does not match the content and key.
    #[error("signature does not verify against this content and public key")]
    Mismatch,
    /// The key could not be used.
    #[error(transparent)]
    Key(#[from] KeyError),
}

/// Builds the content to sign as a string (for display and for the known-answer vector).
pub fn content_to_sign(
    method: &str,
    path: &str,
    client_id: &str,
    time: &str,
    body: &str,
) -> String {
    format!("{method} {path}\n{client_id}.{time}.{body}")
}

/// Reduces a request target to the path (and query) that is signed: the Python SDK sends the full
/// URL (`http://host:port/aps/api/...`) as the request target; signatures cover the path alone.
pub fn path_for_signing(target: &str) -> &str {
    let lower_starts = |prefix: &str| {
        target
            .get(..prefix.len())
            .is_some_and(|head| head.eq_ignore_ascii_case(prefix))
    };
    let rest = if lower_starts("https://") {
        &target[8..]
    } else if lower_starts("http://") {
        &target[7..]
    } else {
        return target;
    };
    match rest.find(['/', '?']) {
        Some(i) if rest[i..].starts_with('/') => &rest[i..],
        _ => "/",
    }
}

/// Everything a signature covers, borrowed from the message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SignedContent<'a> {
    /// HTTP method, e.g. `POST`.
    pub method: &'a str,
    /// Path with query, without scheme and host, e.g. `/aps/api/v1/payments/pay`.
    pub path: &'a str,
    /// The signer's Client-Id.
    pub client_id: &'a str,
    /// `Request-Time` or `Response-Time` exactly as sent.
    pub time: &'a str,
    /// The body bytes exactly as sent.
    pub body: &'a [u8],
}

impl SignedContent<'_> {
    /// The bytes that are signed.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(
            self.method.len()
                + self.path.len()
                + self.client_id.len()
                + self.time.len()
                + self.body.len()
                + 4,
        );
        out.extend_from_slice(self.method.as_bytes());
        out.push(b' ');
        out.extend_from_slice(self.path.as_bytes());
        out.push(b'\n');
        out.extend_from_slice(self.client_id.as_bytes());
        out.push(b'.');
        out.extend_from_slice(self.time.as_bytes());
        out.push(b'.');
        out.extend_from_slice(self.body);
        out
    }
}

/// The `Signature` header: `algorithm=RSA256,keyVersion=1,signature=<url-encoded base64>`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SignatureHeader {
    /// `RSA256`.
    pub algorithm: String,
    /// The key version, usually `1`.
    pub key_version: String,
    /// The signature in standard base64 (not URL-encoded).
    pub signature: String,
}

impl SignatureHeader {
    /// A header for raw signature bytes, `RSA256`, key version 1.
    pub fn from_signature_bytes(signature: &[u8]) -> SignatureHeader {
        SignatureHeader {
            algorithm: ALGORITHM_RSA256.to_owned(),
            key_version: "1".to_owned(),
            signature: STANDARD.encode(signature),
        }
    }

    /// The signature URL-encoded, as it appears in the header.
    pub fn encoded_signature(&self) -> String {
        url_encode(&self.signature)
    }

    /// The header value.
    pub fn format(&self) -> String {
        format!(
            "algorithm={},keyVersion={},signature={}",
            self.algorithm,
            self.key_version,
            self.encoded_signature()
        )
    }

    /// Reads a header value tolerantly: spaces after commas, any key order, any case of key names
    /// and percent-escapes, an un-encoded value, quoted values, unknown keys ignored. A missing
    /// `algorithm` means `RSA256`, a missing `keyVersion` means `1`; a missing `signature` is an
    /// error.
    pub fn parse(header: &str) -> Result<SignatureHeader, SignatureError> {
        let mut algorithm = None;
        let mut key_version = None;
        let mut signature = None;
        for part in header.split(',') {
            let part = part.trim();
            if part.is_empty() {
                continue;
            }
            let Some((key, value)) = part.split_once('=') else {
                return Err(SignatureError::MalformedHeader(format!(
                    "{part:?} is not key=value"
                )));
            };
            let value = value.trim().trim_matches('"');
            match key.trim().to_ascii_lowercase().as_str() {
                "algorithm" => algorithm = Some(value.to_owned()),
                "keyversion" => key_version = Some(value.to_owned()),
                "signature" => {
                    let decoded = percent_decode_str(value)
                        .decode_utf8()
                        .map_err(|_| {
                            SignatureError::MalformedHeader(
                                "signature is not UTF-8 after URL-decoding".to_owned(),
                            )
                        })?
                        .into_owned();
                    signature = Some(decoded);
                }
                _ => {}
            }
        }
        let signature = signature
            .filter(|s| !s.is_empty())
            .ok_or_else(|| SignatureError::MalformedHeader("no signature=... value".to_owned()))?;
        Ok(SignatureHeader {
            algorithm: algorithm.unwrap_or_else(|| ALGORITHM_RSA256.to_owned()),
            key_version: key_version.unwrap_or_else(|| "1".to_owned()),
            signature,
        })
    }

    /// The raw signature bytes.
    pub fn signature_bytes(&self) -> Result<Vec<u8>, SignatureError> {
        STANDARD
            .decode(self.signature.as_bytes())
            .map_err(|e| SignatureError::NotBase64(e.to_string()))
    }
}

impl std::fmt::Display for SignatureHeader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.format())
    }
}

/// URL-encodes a base64 signature (`+`→`%2B`, `/`→`%2F`, `=`→`%3D`).
pub fn url_encode(value: &str) -> String {
    utf8_percent_encode(value, SIGNATURE_ESCAPES).to_string()
}

/// Signs messages as one Client-Id.
#[derive(Debug)]
pub struct Signer {
    client_id: String,
    key: PrivateKey,
}

impl Signer {
    /// A signer for `client_id` with its private key.
    pub fn new(client_id: impl Into<String>, key: PrivateKey) -> Signer {
        Signer {
            client_id: client_id.into(),
            key,
        }
    }

    /// The Client-Id this signer signs as.
    pub fn client_id(&self) -> &str {
        &self.client_id
    }

    /// Signs a request (with its `Request-Time`) or a response (with its `Response-Time`, over the
    /// request's method and path).
    pub fn sign(
        &self,
        method: &str,
        path: &str,
        time: &str,
        body: &[u8],
    ) -> Result<SignatureHeader, SignatureError> {
        let content = SignedContent {
            method,
            path,
            client_id: &self.client_id,
            time,
            body,
        };
        let signature = self.key.sign(&content.to_bytes())?;
        Ok(SignatureHeader::from_signature_bytes(&signature))
    }
}

/// Verifies messages against one public key.
#[derive(Debug, Clone)]
pub struct Verifier {
    key: PublicKey,
}

impl Verifier {
    /// A verifier for the signer's public key.
    pub fn new(key: PublicKey) -> Verifier {
        Verifier { key }
    }

    /// Verifies a parsed header against the content.
    pub fn verify(
        &self,
        content: &SignedContent<'_>,
        header: &SignatureHeader,
    ) -> Result<(), SignatureError> {
        if !header.algorithm.eq_ignore_ascii_case(ALGORITHM_RSA256) {
            return Err(SignatureError::UnsupportedAlgorithm(
                header.algorithm.clone(),
            ));
        }
        let signature = header.signature_bytes()?;
        if self.key.verify(&content.to_bytes(), &signature) {
            Ok(())
        } else {
            Err(SignatureError::Mismatch)
        }
    }

    /// Parses the `Signature` header value and verifies it against the content.
    pub fn verify_header(
        &self,
        content: &SignedContent<'_>,
        header: &str,
    ) -> Result<(), SignatureError> {
        self.verify(content, &SignatureHeader::parse(header)?)
    }
}

/// What most likely went wrong when a signature does not verify.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum DiagnosisKind {
    /// The signature verifies as given.
    Verified,
    /// The header could not be read at all.
    MalformedHeader,
    /// The signer signed the body with different whitespace than it sent.
    BodyWhitespace,
    /// One side included scheme and host in the signed path, the other did not.
    PathHost,
    /// The signer signed the time in a different form (ISO 8601 vs epoch ms) than it sent.
    TimeFormat,
    /// The signer signed the method in a different case.
    MethodCase,
    /// The signature value was URL-encoded twice, or its `+` were turned into spaces.
    SignatureEncoding,
    /// Nothing likely verifies: another key signed it, or the client id or content differ.
    WrongKeyOrContent,
}

/// The result of [`diagnose`]: a kind and a sentence for a person.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Diagnosis {
    /// What most likely differs.
    pub kind: DiagnosisKind,
    /// A human sentence saying what differs and what to do.
    pub explanation: String,
    /// The content that did verify, when a variant matched.
    pub matching_content: Option<String>,
}

/// Explains why `header` does not verify over `content` with `public_key`, trying the usual
/// mistakes: body whitespace, host in the path, time format, double URL-encoding, method case.
pub fn diagnose(public_key: &PublicKey, content: &SignedContent<'_>, header: &str) -> Diagnosis {
    diagnose_with_hosts(public_key, content, header, &["localhost", "127.0.0.1"])
}

/// Like [`diagnose`], also trying the path prefixed with `http://<host>` and `https://<host>` for
/// each given host (with port, e.g. `127.0.0.1:8080`).
pub fn diagnose_with_hosts(
    public_key: &PublicKey,
    content: &SignedContent<'_>,
    header: &str,
    hosts: &[&str],
) -> Diagnosis {
    let parsed = match SignatureHeader::parse(header) {
        Ok(parsed) => parsed,
        Err(e) => {
            return Diagnosis {
                kind: DiagnosisKind::MalformedHeader,
                explanation: format!(
                    "The Signature header cannot be read ({e}); expected \
                     algorithm=RSA256,keyVersion=1,signature=<URL-encoded base64>."
                ),
                matching_content: None,
            };
        }
    };
    let verifies = |c: &SignedContent<'_>, sig: &[u8]| public_key.verify(&c.to_bytes(), sig);
    let found = |kind, explanation: String, c: &SignedContent<'_>| Diagnosis {
        kind,
        explanation,
        matching_content: Some(String::from_utf8_lossy(&c.to_bytes()).into_owned()),
    };

    let primary = parsed.signature_bytes().ok();
    if let Some(sig) = &primary
        && verifies(content, sig)
    {
        let note = if parsed.algorithm.eq_ignore_ascii_case(ALGORITHM_RSA256) {
            String::new()
        } else {
            format!(
                " (but the header says algorithm={}, not RSA256)",
                parsed.algorithm
            )
        };
        return found(
            DiagnosisKind::Verified,
            format!("The signature verifies{note}."),
            content,
        );
    }

    // The signature value itself.
    let twice = percent_decode_str(&parsed.signature).decode_utf8_lossy();
    if twice != parsed.signature
        && let Ok(sig) = STANDARD.decode(twice.as_bytes())
        && verifies(content, &sig)
    {
        return found(
            DiagnosisKind::SignatureEncoding,
            "The signature value was URL-encoded twice (e.g. %252B): encode the base64 \
             signature once."
                .to_owned(),
            content,
        );
    }
    if parsed.signature.contains(' ') {
        let repaired = parsed.signature.replace(' ', "+");
        if let Ok(sig) = STANDARD.decode(repaired.as_bytes())
            && verifies(content, &sig)
        {
            return found(
                DiagnosisKind::SignatureEncoding,
                "The signature's '+' characters arrived as spaces: the value was sent without \
                 URL-encoding and form-decoded, or decoded with '+' as space. URL-encode it \
                 (+ → %2B) when sending."
                    .to_owned(),
                content,
            );
        }
    }

    let Some(sig) = primary else {
        return Diagnosis {
            kind: DiagnosisKind::MalformedHeader,
            explanation: format!(
                "The signature value {:?} is not standard base64 after URL-decoding.",
                parsed.signature
            ),
            matching_content: None,
        };
    };

    for (kind, explanation, variant) in variants(content, hosts) {
        let c = SignedContent {
            method: &variant.method,
            path: &variant.path,
            client_id: content.client_id,
            time: &variant.time,
            body: &variant.body,
        };
        if verifies(&c, &sig) {
            return found(kind, explanation, &c);
        }
    }

    Diagnosis {
        kind: DiagnosisKind::WrongKeyOrContent,
        explanation: format!(
            "No likely variant verifies (body whitespace, host in path, time format, URL-encoding, \
             method case). Most likely the message was signed with a different private key than \
             the one matching this public key (keyVersion={}; check which key was uploaded), or \
             the Client-Id {:?} or the content differ.",
            parsed.key_version, content.client_id
        ),
        matching_content: None,
    }
}

struct Variant {
    method: String,
    path: String,
    time: String,
    body: Vec<u8>,
}

fn variants(content: &SignedContent<'_>, hosts: &[&str]) -> Vec<(DiagnosisKind, String, Variant)> {
    let base = || Variant {
        method: content.method.to_owned(),
        path: content.path.to_owned(),
        time: content.time.to_owned(),
        body: content.body.to_vec(),
    };
    let mut out = Vec::new();

    // Body whitespace.
    if let Ok(json) = serde_json::from_slice::<serde_json::Value>(content.body) {
        let forms: [(&str, Option<String>); 2] = [
            ("compact", serde_json::to_string(&json).ok()),
            ("pretty-printed", serde_json::to_string_pretty(&json).ok()),
        ];
        for (label, form) in forms {
            if let Some(form) = form.filter(|f| f.as_bytes() != content.body) {
                out.push((
                    DiagnosisKind::BodyWhitespace,
                    format!(
                        "The signature matches the body re-serialised {label}: the signer signed \
                         different bytes from those it sent. Sign the exact body bytes on the wire."
                    ),
                    Variant {
                        body: form.into_bytes(),
                        ..base()
                    },
                ));
            }
        }
    }
    let text = String::from_utf8_lossy(content.body);
    let trimmed = text.trim();
    let body_forms: [(&str, String); 3] = [
        ("without surrounding whitespace", trimmed.to_owned()),
        ("with a trailing newline", format!("{trimmed}\n")),
        ("with CRLF line endings", text.replace('\n', "\r\n")),
    ];
    for (label, form) in body_forms {
        if form.as_bytes() != content.body {
            out.push((
                DiagnosisKind::BodyWhitespace,
                format!(
                    "The signature matches the body {label}: the signer signed different bytes \
                     from those it sent. Sign the exact body bytes on the wire."
                ),
                Variant {
                    body: form.into_bytes(),
                    ..base()
                },
            ));
        }
    }

    // Host in the path.
    let stripped = path_for_signing(content.path);
    if stripped != content.path {
        out.push((
            DiagnosisKind::PathHost,
            format!(
                "The signature matches the path {stripped:?} without scheme and host: sign and \
                 verify over the path alone, even when the request target is a full URL."
            ),
            Variant {
                path: stripped.to_owned(),
                ..base()
            },
        ));
    } else {
        for host in hosts {
            for scheme in ["http", "https"] {
                let full = format!("{scheme}://{host}{}", content.path);
                out.push((
                    DiagnosisKind::PathHost,
                    format!(
                        "The signature matches the path with scheme and host ({full:?}): the \
                         signer included the host. Sign over the path alone."
                    ),
                    Variant {
                        path: full,
                        ..base()
                    },
                ));
            }
        }
    }

    // Method case.
    for method in [
        content.method.to_ascii_uppercase(),
        content.method.to_ascii_lowercase(),
    ] {
        if method != content.method {
            out.push((
                DiagnosisKind::MethodCase,
                format!("The signature matches method {method:?}: sign the method as sent."),
                Variant { method, ..base() },
            ));
        }
    }

    // Time format.
    for time in time_variants(content.time) {
        out.push((
            DiagnosisKind::TimeFormat,
            format!(
                "The signature matches the time written as {time:?} while the header says {:?}: \
                 the signer signed another form of the same instant. Sign the time header value \
                 exactly as sent.",
                content.time
            ),
            Variant { time, ..base() },
        ));
    }
    out
}

/// Other spellings of the same instant: epoch ms / seconds for an ISO time, ISO in every whole-hour
/// offset for an epoch time.
fn time_variants(time: &str) -> Vec<String> {
    let Ok(parsed) = RequestTime::parse(time) else {
        return Vec::new();
    };
    let instant = parsed.instant;
    let mut out = vec![
        instant.timestamp_millis().to_string(),
        instant.timestamp().to_string(),
    ];
    let mut push_iso = |offset: FixedOffset| {
        let local = instant.with_timezone(&offset);
        out.push(local.to_rfc3339_opts(SecondsFormat::Secs, false));
        out.push(local.to_rfc3339_opts(SecondsFormat::Millis, false));
        if offset.local_minus_utc() == 0 {
            out.push(local.to_rfc3339_opts(SecondsFormat::Secs, true));
            out.push(local.to_rfc3339_opts(SecondsFormat::Millis, true));
        }
    };
    if parsed.form == RequestTimeForm::EpochMillis {
        for hours in -12..=14 {
            if let Some(offset) = FixedOffset::east_opt(hours * 3600) {
                push_iso(offset);
            }
        }
    } else {
        push_iso(*instant.offset());
        if let Some(utc) = FixedOffset::east_opt(0) {
            push_iso(utc);
        }
    }
    out.retain(|t| t != time);
    out.dedup();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_has_one_space_one_lf_two_dots() {
        assert_eq!(
            content_to_sign("POST", "/a", "C", "T", "{}"),
            "POST /a\nC.T.{}"
        );
        let c = SignedContent {
            method: "POST",
            path: "/a",
            client_id: "C",
            time: "T",
            body: b"{}",
        };
        assert_eq!(c.to_bytes(), b"POST /a\nC.T.{}".to_vec());
    }

    #[test]
    fn path_for_signing_strips_scheme_and_host() {
        assert_eq!(
            path_for_signing("http://h:8080/aps/api/v1/payments/pay"),
            "/aps/api/v1/payments/pay"
        );
        assert_eq!(path_for_signing("HTTPS://h/x?y=1"), "/x?y=1");
        assert_eq!(path_for_signing("/x"), "/x");
        assert_eq!(path_for_signing("http://h"), "/");
    }

    #[test]
    fn header_parse_is_tolerant() {
        let h =
            SignatureHeader::parse("signature=ab%2bc%3d, keyVersion=2 ,algorithm=RSA256,extra=1")
                .unwrap();
        assert_eq!(h.signature, "ab+c=", "lowercase escapes decode");
        assert_eq!(h.key_version, "2");
        let h = SignatureHeader::parse("algorithm=RSA256,keyVersion=1,signature=ab+c/d==").unwrap();
        assert_eq!(h.signature, "ab+c/d==", "un-encoded value taken as is");
        assert!(matches!(
            SignatureHeader::parse("algorithm=RSA256,keyVersion=1"),
            Err(SignatureError::MalformedHeader(_))
        ));
        assert!(SignatureHeader::parse("").is_err());
    }

    #[test]
    fn header_format_encodes_base64_specials() {
        let h = SignatureHeader {
            algorithm: "RSA256".into(),
            key_version: "1".into(),
            signature: "a+b/c=".into(),
        };
        assert_eq!(
            h.format(),
            "algorithm=RSA256,keyVersion=1,signature=a%2Bb%2Fc%3D"
        );
    }
}
