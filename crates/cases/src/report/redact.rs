//! Secrets out of reports: credential headers, and every field or parameter whose name says it
//! holds a token, password, secret, private key or auth code, in JSON bodies (recursively),
//! URLs, form bodies and free text.

use serde_json::Value;

use super::RunReport;
use crate::check::{CheckOutcome, CheckResult};
use crate::record::{Event, EventKind, WalletActionKind};

/// What a secret is replaced with.
pub const REDACTED: &str = "[REDACTED]";

/// Parts of a name (lowercase, letters and digits only) that mark its value secret.
const SECRET_PARTS: &[&str] = &[
    "token",
    "password",
    "passwd",
    "secret",
    "privatekey",
    "accesstoken",
    "authcode",
    "apikey",
];

/// Headers whose values are credentials.
const SECRET_HEADERS: &[&str] = &[
    "authorization",
    "proxy-authorization",
    "cookie",
    "set-cookie",
];

/// True when a field or parameter called `name` holds a secret (case-insensitive, ignoring
/// `_` and `-`, so `accessToken`, `access_token` and `PRIVATE-KEY` all do).
pub fn is_secret_name(name: &str) -> bool {
    let folded: String = name
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_lowercase())
        .collect();
    SECRET_PARTS.iter().any(|part| folded.contains(part))
}

/// True when the header `name` carries a credential: `Authorization`, `Cookie`, `Set-Cookie`
/// (any case), or a name that [`is_secret_name`] (e.g. `X-Auth-Token`).
pub fn is_secret_header(name: &str) -> bool {
    let lower = name.trim().to_ascii_lowercase();
    SECRET_HEADERS.contains(&lower.as_str()) || is_secret_name(&lower)
}

/// `value` with the value of every secret field replaced by [`REDACTED`], recursively; string
/// values are redacted as text too (a URL's `authCode=...`, embedded JSON).
pub fn redact_json(value: &Value) -> Value {
    match value {
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(key, value)| {
                    let value = if is_secret_name(key) {
                        Value::String(REDACTED.to_owned())
                    } else {
                        redact_json(value)
                    };
                    (key.clone(), value)
                })
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.iter().map(redact_json).collect()),
        Value::String(text) => Value::String(redact_text(text)),
        other => other.clone(),
    }
}

/// A message body with its secrets redacted: structurally when it is JSON (kept byte for byte
/// when it holds none), as text otherwise.
pub fn redact_body(body: &str) -> String {
    match serde_json::from_str::<Value>(body) {
        Ok(value) => {
            let redacted = redact_json(&value);
            if redacted == value {
                body.to_owned()
            } else {
                serde_json::to_string(&redacted).unwrap_or_else(|_| REDACTED.to_owned())
            }
        }
        Err(_) => redact_text(body),
    }
}

/// `text` with the value after every secret name replaced by [`REDACTED`], for the shapes
/// secrets take in text: `"accessToken":"..."` (also escaped inside a JSON string),
/// `authCode=...` in a URL or form, `password: ...`.
pub fn redact_text(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut copied = 0;
    let mut i = 0;
    while i < bytes.len() {
        if !is_name_byte(bytes[i]) {
            i += 1;
            continue;
        }
        let start = i;
        while i < bytes.len() && is_name_byte(bytes[i]) {
            i += 1;
        }
        if !is_secret_name(&text[start..i]) {
            continue;
        }
        if let Some((value_start, value_end)) = value_after(bytes, i) {
            out.push_str(&text[copied..value_start]);
            out.push_str(REDACTED);
            copied = value_end;
            i = value_end;
        }
    }
    out.push_str(&text[copied..]);
    out
}

/// `scheme://user:password@host/...` without the user and password.
pub(crate) fn url_credentials(url: &str) -> String {
    let Some(scheme_end) = url.find("://") else {
        return url.to_owned();
    };
    let authority_start = scheme_end + 3;
    let rest = &url[authority_start..];
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    match rest[..authority_end].rfind('@') {
        Some(at) => format!("{}{REDACTED}{}", &url[..authority_start], &rest[at..]),
        None => url.to_owned(),
    }
}

fn is_name_byte(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || byte == b'_' || byte == b'-'
}

/// Where the value of a `name` ending at `i` is: after an optional closing quote (plain or
/// escaped), `:` or `=`, and an optional opening quote. `None` when no value follows.
fn value_after(bytes: &[u8], mut i: usize) -> Option<(usize, usize)> {
    let at = |j: usize| bytes.get(j).copied();
    if at(i) == Some(b'\\') && at(i + 1) == Some(b'"') {
        i += 2;
    } else if matches!(at(i), Some(b'"' | b'\'')) {
        i += 1;
    }
    while at(i) == Some(b' ') {
        i += 1;
    }
    if !matches!(at(i), Some(b':' | b'=')) {
        return None;
    }
    i += 1;
    while at(i) == Some(b' ') {
        i += 1;
    }
    let (start, end) = if at(i) == Some(b'\\') && at(i + 1) == Some(b'"') {
        // A quoted value inside an escaped JSON string: up to the next backslash.
        let start = i + 2;
        let len = bytes[start..].iter().position(|&b| b == b'\\');
        (start, start + len.unwrap_or(bytes.len() - start))
    } else if let Some(quote @ (b'"' | b'\'')) = at(i) {
        let start = i + 1;
        let mut j = start;
        while j < bytes.len() && bytes[j] != quote {
            j += if bytes[j] == b'\\' { 2 } else { 1 };
        }
        (start, j.min(bytes.len()))
    } else {
        let len = bytes[i..].iter().position(|&b| {
            b.is_ascii_whitespace()
                || matches!(
                    b,
                    b'&' | b',' | b'}' | b']' | b';' | b'"' | b'\'' | b'\\' | b'{' | b'['
                )
        });
        (i, i + len.unwrap_or(bytes.len() - i))
    };
    (end > start).then_some((start, end))
}

/// A run with every secret redacted.
pub(super) fn run(run: &RunReport) -> RunReport {
    RunReport {
        case: run.case.clone(),
        run_id: run.run_id.clone(),
        merchant_id: run.merchant_id.clone(),
        wallet: run.wallet.clone(),
        started_at: run.started_at,
        ended_at: run.ended_at,
        outcome: run.outcome,
        summary: redact_text(&run.summary),
        checks: run.checks.iter().map(check).collect(),
        events: run.events.iter().map(event).collect(),
        elapsed_ms: run.elapsed_ms,
    }
}

fn check(result: &CheckResult) -> CheckResult {
    let outcome = match &result.outcome {
        CheckOutcome::Passed { reason } => CheckOutcome::Passed {
            reason: redact_text(reason),
        },
        CheckOutcome::Failed { reason } => CheckOutcome::Failed {
            reason: redact_text(reason),
        },
        CheckOutcome::Pending { waiting_for } => CheckOutcome::Pending {
            waiting_for: redact_text(waiting_for),
        },
    };
    CheckResult {
        check: result.check.clone(),
        outcome,
        evidence: result.evidence.clone(),
    }
}

fn event(event: &Event) -> Event {
    let kind = match &event.kind {
        EventKind::AcqpCall(call) => {
            let mut call = call.clone();
            for (name, value) in call.request_headers.iter_mut() {
                *value = if is_secret_header(name) {
                    REDACTED.to_owned()
                } else {
                    redact_text(value)
                };
            }
            call.request_body = redact_body(&call.request_body);
            call.response_body = redact_body(&call.response_body);
            call.validation = call.validation.as_deref().map(redact_text);
            EventKind::AcqpCall(call)
        }
        EventKind::HubCallback(callback) => {
            let mut callback = callback.clone();
            callback.request_body = redact_body(&callback.request_body);
            callback.reply_body = callback.reply_body.as_deref().map(redact_body);
            callback.error = callback.error.as_deref().map(redact_text);
            EventKind::HubCallback(callback)
        }
        EventKind::WalletAction { action } => EventKind::WalletAction {
            action: wallet_action(action),
        },
        EventKind::ManualAnswer(answer) => {
            let mut answer = answer.clone();
            answer.note = answer.note.as_deref().map(redact_text);
            EventKind::ManualAnswer(answer)
        }
        EventKind::PaymentState(change) => {
            let mut change = change.clone();
            change.reason = change.reason.as_deref().map(redact_text);
            EventKind::PaymentState(change)
        }
    };
    Event {
        seq: event.seq,
        at: event.at,
        kind,
    }
}

fn wallet_action(action: &WalletActionKind) -> WalletActionKind {
    match action {
        WalletActionKind::Scan {
            code_value,
            classified,
        } => WalletActionKind::Scan {
            code_value: redact_text(code_value),
            classified: classified.clone(),
        },
        WalletActionKind::OpenEntryCode { url } => WalletActionKind::OpenEntryCode {
            url: redact_text(url),
        },
        WalletActionKind::OpenPaymentUrl { url } => WalletActionKind::OpenPaymentUrl {
            url: redact_text(url),
        },
        WalletActionKind::Redirected { url } => WalletActionKind::Redirected {
            url: redact_text(url),
        },
        other => other.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn secret_names() {
        for name in [
            "accessToken",
            "ACCESS_TOKEN",
            "refreshToken",
            "password",
            "clientSecret",
            "privateKey",
            "private_key",
            "authCode",
            "auth-code",
        ] {
            assert!(is_secret_name(name), "{name} should be secret");
        }
        for name in ["paymentRequestId", "codeValue", "authUrl", "signature"] {
            assert!(!is_secret_name(name), "{name} should not be secret");
        }
        for name in ["Authorization", "cookie", "SET-COOKIE", "X-Auth-Token"] {
            assert!(is_secret_header(name), "{name} should be a secret header");
        }
        assert!(!is_secret_header("Signature"));
        assert!(!is_secret_header("Client-Id"));
    }

    #[test]
    fn json_is_redacted_recursively_and_keeps_the_rest() {
        let body = json!({
            "accessToken": "tok-1",
            "nested": {"list": [{"Password": "pw"}, {"ok": "visible"}], "privateKey": {"k": 1}},
            "redirect": "https://m.example/back?authCode=ac-1&state=2",
            "paymentRequestId": "pay-1"
        });
        let redacted = redact_json(&body);
        let text = redacted.to_string();
        for secret in ["tok-1", "\"pw\"", "ac-1", "\"k\""] {
            assert!(!text.contains(secret), "{secret} left in {text}");
        }
        assert_eq!(redacted["paymentRequestId"], "pay-1", "{text}");
        assert_eq!(redacted["nested"]["list"][1]["ok"], "visible", "{text}");
        assert_eq!(
            redacted["redirect"], "https://m.example/back?authCode=[REDACTED]&state=2",
            "{text}"
        );
    }

    #[test]
    fn bodies_without_secrets_are_kept_byte_for_byte() {
        let body = r#"{ "b":1,  "a":"x" }"#;
        assert_eq!(redact_body(body), body);
        assert_eq!(
            redact_body("not json, token=abc"),
            "not json, token=[REDACTED]"
        );
    }

    #[test]
    fn text_shapes() {
        let cases = [
            (
                r#"{"accessToken":"abc","x":1}"#,
                r#"{"accessToken":"[REDACTED]","x":1}"#,
            ),
            (
                r#"{"accessToken": "a\"bc"}"#,
                r#"{"accessToken": "[REDACTED]"}"#,
            ),
            (
                r#"body {\"password\":\"hunter2\"}"#,
                r#"body {\"password\":\"[REDACTED]\"}"#,
            ),
            ("x?authCode=zz&y=1", "x?authCode=[REDACTED]&y=1"),
            ("password: hunter2 next", "password: [REDACTED] next"),
            ("no cancelToken within 90 s", "no cancelToken within 90 s"),
            ("token", "token"),
            ("tokén=ü1 ok", "tokén=ü1 ok"),
            ("secret=é€", "secret=[REDACTED]"),
        ];
        for (input, expected) in cases {
            assert_eq!(redact_text(input), expected, "input {input:?}");
        }
    }

    #[test]
    fn url_credentials_are_removed() {
        assert_eq!(
            url_credentials("http://admin:pw@127.0.0.1:8080/x"),
            "http://[REDACTED]@127.0.0.1:8080/x"
        );
        assert_eq!(
            url_credentials("http://127.0.0.1/a@b"),
            "http://127.0.0.1/a@b"
        );
        assert_eq!(url_credentials("not a url"), "not a url");
    }
}
