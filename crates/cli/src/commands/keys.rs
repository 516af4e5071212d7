//! `linker keys generate`: a fresh RSA-2048 key pair in the formats Alipay+ uses.

use std::path::PathBuf;

use anyhow::{Context, Result, bail};
use linker_aplus::KeyPair;

use crate::Outcome;

/// File name of the private key (base64 PKCS#8 DER).
pub const PRIVATE_KEY_FILE: &str = "private-key.b64";
/// File name of the public key (base64 X.509 SubjectPublicKeyInfo DER).
pub const PUBLIC_KEY_FILE: &str = "public-key.b64";

/// Key management.
#[derive(Debug, clap::Subcommand)]
pub enum KeysCommand {
    /// Write a new private key (PKCS#8, base64) and its public key (SPKI, base64) into a folder.
    Generate {
        /// The folder to write private-key.b64 and public-key.b64 into (created if missing).
        #[arg(long)]
        out: PathBuf,
        /// Replace keys already in the folder.
        #[arg(long)]
        force: bool,
    },
}

/// Runs a `keys` subcommand.
pub fn run(command: KeysCommand) -> Result<Outcome> {
    match command {
        KeysCommand::Generate { out, force } => generate(out, force),
    }
}

fn generate(out: PathBuf, force: bool) -> Result<Outcome> {
    let private_path = out.join(PRIVATE_KEY_FILE);
    let public_path = out.join(PUBLIC_KEY_FILE);
    if !force && (private_path.exists() || public_path.exists()) {
        bail!(
            "{} already holds keys; pass --force to replace them",
            out.display()
        );
    }
    std::fs::create_dir_all(&out)
        .with_context(|| format!("cannot create the folder {}", out.display()))?;
    let pair = KeyPair::generate().context("cannot generate an RSA-2048 key pair")?;
    write_private(&private_path, &format!("{}\n", pair.private.to_base64()))?;
    let public = pair.public.to_base64();
    std::fs::write(&public_path, format!("{public}\n"))
        .with_context(|| format!("cannot write {}", public_path.display()))?;
    println!("private key (PKCS#8, base64): {}", private_path.display());
    println!("public key (SPKI, base64):    {}", public_path.display());
    println!();
    println!("Upload the public key to your project; keep the private key secret.");
    Ok(Outcome::Success)
}

#[cfg(unix)]
fn write_private(path: &std::path::Path, text: &str) -> Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)
        .with_context(|| format!("cannot write {}", path.display()))?;
    file.write_all(text.as_bytes())
        .with_context(|| format!("cannot write {}", path.display()))
}

#[cfg(not(unix))]
fn write_private(path: &std::path::Path, text: &str) -> Result<()> {
    std::fs::write(path, text).with_context(|| format!("cannot write {}", path.display()))
}
