//! The HTTPS options `linker hub serve` and `linker demo` share, and what they print about a
//! self-signed certificate (its fingerprint, and how to trust it on a phone).

use std::path::PathBuf;

use linker_hub::server::tls::{SelfSigned, TlsSource};

/// How the hub serves HTTPS (plain HTTP without any of these).
#[derive(Debug, Clone, clap::Args)]
pub struct TlsArgs {
    /// Serve HTTPS with this certificate chain (PEM, leaf first); needs --tls-key.
    #[arg(long, value_name = "FILE", requires = "tls_key")]
    tls_cert: Option<PathBuf>,
    /// The certificate's private key (PEM); needs --tls-cert.
    #[arg(long, value_name = "FILE", requires = "tls_cert")]
    tls_key: Option<PathBuf>,
    /// Serve HTTPS with a self-signed certificate for this machine's names and addresses, made
    /// once and kept in the data folder (for a shop-floor demo; phones must trust it once).
    #[arg(long, conflicts_with_all = ["tls_cert", "tls_key"])]
    tls_self_signed: bool,
}

impl TlsArgs {
    /// Where the certificate comes from, if HTTPS was asked for.
    pub fn source(&self) -> Option<TlsSource> {
        match (&self.tls_cert, &self.tls_key) {
            (Some(cert), Some(key)) => Some(TlsSource::Files {
                cert: cert.clone(),
                key: key.clone(),
            }),
            _ => self.tls_self_signed.then_some(TlsSource::SelfSigned),
        }
    }
}

/// Prints a self-signed certificate's fingerprint and how a phone comes to trust it, its labels
/// padded to `width` as the command's other lines are.
pub fn print_self_signed(made: &SelfSigned, public_url: &str, width: usize) {
    let state = if made.created { "made" } else { "kept" };
    let lines = [
        (
            "certificate:",
            format!("self-signed, {state} {}", made.cert.display()),
        ),
        ("", format!("for {}", made.names.join(", "))),
        ("fingerprint:", format!("SHA-256 {}", made.fingerprint)),
        (
            "on a phone:",
            format!("open {public_url}/app/ and accept the warning once the fingerprint"),
        ),
        (
            "",
            "matches the one above; or, to trust it for good, copy the certificate".into(),
        ),
        (
            "",
            "to the phone and install it (iOS: Settings > General > VPN & Device".into(),
        ),
        (
            "",
            "Management, then About > Certificate Trust Settings; Android: Settings".into(),
        ),
        (
            "",
            "> Security > Encryption & credentials > Install a certificate).".into(),
        ),
    ];
    for (label, text) in lines {
        println!("  {label:<width$}{text}");
    }
}
