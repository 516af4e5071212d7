//! `linker sign`: sign a message as an ACQP (or the hub) would, showing exactly what was signed.

use std::path::PathBuf;

use anyhow::{Context, Result};
use linker_aplus::signature::SignedContent;
use linker_aplus::{PrivateKey, Signer};

use super::{MessageArgs, read_text};
use crate::Outcome;

/// Arguments of `linker sign`.
#[derive(Debug, clap::Args)]
pub struct SignArgs {
    /// The private key file: base64 PKCS#8 DER, or PEM.
    #[arg(long)]
    pub key: PathBuf,
    #[command(flatten)]
    message: MessageArgs,
    /// Print JSON ({contentToSign, signatureHeader}) instead of text.
    #[arg(long)]
    json: bool,
}

/// Signs the message and prints the content and the header.
pub fn run(args: SignArgs) -> Result<Outcome> {
    let key_text = read_text(&args.key, "private key")?;
    let key = PrivateKey::from_base64_or_pem(&key_text)
        .with_context(|| format!("{} is not a usable private key", args.key.display()))?;
    let message = &args.message;
    let body = message.load_body()?;
    let content = SignedContent {
        method: &message.method,
        path: &message.path,
        client_id: &message.client_id,
        time: &message.time,
        body: body.as_bytes(),
    };
    let header = Signer::new(message.client_id.clone(), key)
        .sign(
            &message.method,
            &message.path,
            &message.time,
            body.as_bytes(),
        )
        .context("signing failed")?
        .format();
    let content_text = String::from_utf8_lossy(&content.to_bytes()).into_owned();
    if args.json {
        let out = serde_json::json!({ "contentToSign": content_text, "signatureHeader": header });
        println!("{out}");
    } else {
        println!("Content signed (between the lines):");
        println!("----");
        println!("{content_text}");
        println!("----");
        println!("Signature: {header}");
    }
    Ok(Outcome::Success)
}
