//! `linker verify`: check a Signature header and, when it does not verify, say what most likely
//! differs (body whitespace, host in the path, time format, URL-encoding, wrong key).

use std::path::PathBuf;

use anyhow::{Context, Result};
use linker_aplus::PublicKey;
use linker_aplus::signature::{DiagnosisKind, SignedContent, diagnose_with_hosts};

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
    if args.json {
        let out = serde_json::json!({ "valid": valid, "diagnosis": diagnosis });
        println!("{out}");
    } else if valid {
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
    Ok(if valid {
        Outcome::Success
    } else {
        Outcome::Negative
    })
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
    use super::strip_header_name;

    #[test]
    fn a_pasted_header_line_is_accepted() {
        assert_eq!(
            strip_header_name("Signature: algorithm=RSA256,x=1"),
            "algorithm=RSA256,x=1"
        );
        assert_eq!(strip_header_name("  algorithm=RSA256 "), "algorithm=RSA256");
    }
}
