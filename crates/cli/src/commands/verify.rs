//! `linker verify`: check a Signature header and, when it does not verify, say what most likely
//! differs (body whitespace, host in the path, time format, URL-encoding, wrong key). Given the
//! hub's answer (`--response`) and the request's headers (`--request-headers`), it also names a
//! missing or wrong `Agent-Token`, which a project in TSP mode refuses with `F ACCESS_DENIED`.

use std::path::PathBuf;

use anyhow::{Context, Result};
use linker_aplus::PublicKey;
use linker_aplus::signature::{DiagnosisKind, SignedContent, diagnose_with_hosts};
use serde_json::Value;

use super::{MessageArgs, read_text};
use crate::Outcome;

/// Arguments of `linker verify`.
#[derive(Debug, clap::Args)]
pub struct VerifyArgs {
    /// The signer's public key file: base64 SPKI DER, or PEM.
    #[arg(long)]
    pub public_key: PathBuf,
    #[command(flatten)]
    message: MessageArgs,
    /// The Signature header value (a leading "Signature:" is ignored).
    #[arg(long)]
    signature: String,
    /// Hosts (host or host:port) the signer may have put in the signed path, to check for that.
    #[arg(long = "host")]
    hosts: Vec<String>,
    /// A file holding the hub's answer to the call (its JSON body), to diagnose a refusal
    /// such as `F ACCESS_DENIED` for the `Agent-Token` header (TSP mode).
    #[arg(long, value_name = "FILE")]
    response: Option<PathBuf>,
    /// A file holding the request's headers as sent, one `Name: value` per line (other lines are
    /// skipped), to tell whether it carried an `Agent-Token`.
    #[arg(long, value_name = "FILE")]
    request_headers: Option<PathBuf>,
    /// The project is in TSP mode: a request without an `Agent-Token` header is refused.
    #[arg(long)]
    tsp_mode: bool,
    /// Print the diagnosis as JSON.
    #[arg(long)]
    json: bool,
}

/// Verifies and prints `valid` or `invalid` with the most likely reason.
pub fn run(args: VerifyArgs) -> Result<Outcome> {
    let key_text = read_text(&args.public_key, "public key")?;
    let key = PublicKey::from_base64_or_pem(&key_text)
        .with_context(|| format!("{} is not a usable public key", args.public_key.display()))?;
    let message = &args.message;
    let body = message.load_body()?;
    let header = strip_header_name(&args.signature);
    let content = SignedContent {
        method: &message.method,
        path: &message.path,
        client_id: &message.client_id,
        time: &message.time,
        body: body.as_bytes(),
    };
    let mut hosts: Vec<&str> = vec!["localhost", "127.0.0.1"];
    hosts.extend(args.hosts.iter().map(String::as_str));
    let diagnosis = diagnose_with_hosts(&key, &content, header, &hosts);
    let valid = diagnosis.kind == DiagnosisKind::Verified;
    let refusal = agent_token_refusal(&args)?;
    if args.json {
        let out = serde_json::json!({
            "valid": valid,
            "diagnosis": diagnosis,
            "agentToken": refusal,
        });
        println!("{out}");
    } else {
        if valid {
            println!("valid: {}", diagnosis.explanation);
        } else {
            println!("invalid: {}", diagnosis.explanation);
            if let Some(matching) = &diagnosis.matching_content {
                println!("The signature does verify over this content:");
                println!("----");
                println!("{matching}");
                println!("----");
            }
        }
        if let Some(refusal) = &refusal {
            println!("refused: {refusal}");
        }
    }
    Ok(if valid && refusal.is_none() {
        Outcome::Success
    } else {
        Outcome::Negative
    })
}

/// Reads `--response` and `--request-headers` and says what is wrong with the call's
/// Agent-Token, if anything.
fn agent_token_refusal(args: &VerifyArgs) -> Result<Option<String>> {
    let response = match &args.response {
        Some(path) => {
            let text = read_text(path, "response")?;
            Some(
                serde_json::from_str::<Value>(&text)
                    .with_context(|| format!("{} is not the hub's JSON answer", path.display()))?,
            )
        }
        None => None,
    };
    let headers = match &args.request_headers {
        Some(path) => Some(header_lines(&read_text(path, "request headers")?)),
        None => None,
    };
    Ok(agent_token_problem(
        response.as_ref(),
        headers.as_deref(),
        args.tsp_mode,
    ))
}

/// `Name: value` lines as pairs; lines without a colon (a request line, blank lines) skipped.
fn header_lines(text: &str) -> Vec<(String, String)> {
    text.lines()
        .filter_map(|line| line.split_once(':'))
        .map(|(name, value)| (name.trim().to_owned(), value.trim().to_owned()))
        .filter(|(name, _)| !name.is_empty() && !name.contains(' '))
        .collect()
}

/// What to tell the person about the call's Agent-Token: a refusal the hub's answer names
/// (`F ACCESS_DENIED` about the `Agent-Token` header), or a request without the header to a
/// project in TSP mode; `None` when neither.
fn agent_token_problem(
    response: Option<&Value>,
    headers: Option<&[(String, String)]>,
    tsp_mode: bool,
) -> Option<String> {
    const FIX: &str = "Fix: send the header \"Agent-Token: <the value on the project's Settings \
                       page>\" on every Alipay+ call (`linker project show <id>` prints it as \
                       agentToken; after a rotation only the new one works).";
    let sent = headers.map(|headers| {
        headers
            .iter()
            .find(|(name, _)| name.eq_ignore_ascii_case("agent-token"))
            .map(|(_, value)| value.as_str())
            .filter(|value| !value.is_empty())
    });
    let result = response.and_then(|r| r.get("result"));
    let text = |key: &str| result.and_then(|r| r.get(key)).and_then(Value::as_str);
    let message = text("resultMessage").unwrap_or_default();
    if text("resultCode") == Some("ACCESS_DENIED") && message.contains("Agent-Token") {
        let which = match sent {
            Some(None) => " The request carried no Agent-Token header.".to_owned(),
            Some(Some(_)) => " The request carried an Agent-Token, but not the project's \
                               current one (rotated, another project's, or mistyped)."
                .to_owned(),
            None => String::new(),
        };
        return Some(format!(
            "the hub answered F ACCESS_DENIED for the Agent-Token header: the project is in \
             TSP mode (\"{message}\").{which} {FIX}"
        ));
    }
    if tsp_mode && sent == Some(None) {
        return Some(format!(
            "the request has no Agent-Token header, and a project in TSP mode answers such a \
             call F ACCESS_DENIED. {FIX}"
        ));
    }
    None
}

fn strip_header_name(value: &str) -> &str {
    let trimmed = value.trim();
    match trimmed.split_once(':') {
        Some((name, rest)) if name.trim().eq_ignore_ascii_case("signature") => rest.trim(),
        _ => trimmed,
    }
}

#[cfg(test)]
mod tests {
    use super::{agent_token_problem, header_lines, strip_header_name};
    use serde_json::json;

    #[test]
    fn a_refusal_for_the_agent_token_is_named_with_the_fix() {
        let denied = json!({"result": {
            "resultCode": "ACCESS_DENIED",
            "resultStatus": "F",
            "resultMessage": "the Agent-Token header is missing or empty: this project is in TSP mode"
        }});
        let without = header_lines("POST /aps/api/v1/payments/pay HTTP/1.1\nClient-Id: X\n\n");
        let with = header_lines("client-id: X\nagent-token: agt_old\n");
        let said = |headers: Option<&[(String, String)]>| {
            agent_token_problem(Some(&denied), headers, false).unwrap_or_default()
        };
        for (headers, expected) in [
            (None, "missing or empty"),
            (Some(without.as_slice()), "carried no Agent-Token header"),
            (Some(with.as_slice()), "not the project's current one"),
        ] {
            let text = said(headers);
            assert!(
                text.contains("ACCESS_DENIED")
                    && text.contains(expected)
                    && text.contains("Agent-Token: <the value on the project's Settings page>"),
                "{headers:?}: {text}"
            );
        }
    }

    #[test]
    fn a_request_without_the_header_is_named_only_for_a_project_in_tsp_mode() {
        let without = header_lines("Client-Id: X\n");
        let with = header_lines("Agent-Token: agt_1\n");
        let text = agent_token_problem(None, Some(&without), true).unwrap_or_default();
        assert!(
            text.contains("no Agent-Token header") && text.contains("Fix: send the header"),
            "{text}"
        );
        assert_eq!(agent_token_problem(None, Some(&without), false), None);
        assert_eq!(agent_token_problem(None, Some(&with), true), None);
        let other = json!({"result": {"resultCode": "ACCESS_DENIED", "resultStatus": "F",
            "resultMessage": "forced"}});
        assert_eq!(
            agent_token_problem(Some(&other), None, false),
            None,
            "an ACCESS_DENIED about something else is not the Agent-Token's"
        );
    }

    #[test]
    fn a_pasted_header_line_is_accepted() {
        assert_eq!(
            strip_header_name("Signature: algorithm=RSA256,x=1"),
            "algorithm=RSA256,x=1"
        );
        assert_eq!(strip_header_name("  algorithm=RSA256 "), "algorithm=RSA256");
    }
}
