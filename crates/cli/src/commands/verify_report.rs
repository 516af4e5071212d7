//! `linker verify-report FILE`: checks a signed sandbox acceptance report (the .html or the
//! .json the hub's console, admin API or `linker run --acceptance --acceptance-report` gave):
//! the signature verifies with the embedded key, and the file is byte for byte what the signed
//! content renders to, so an edit anywhere fails. It prints the signing key's fingerprint to
//! compare with the one the hub's console shows, or checks it against `--fingerprint`.
//! Exit 0 verified, 1 not verified (the reason on stderr), 2 the file cannot be read.

use std::path::PathBuf;

use anyhow::{Context, Result};
use linker_cases::report::acceptance::verify;

use crate::Outcome;

/// Arguments of `linker verify-report`.
#[derive(Debug, clap::Args)]
pub struct VerifyReportArgs {
    /// The report: acceptance-<project>.html or .json.
    pub file: PathBuf,
    /// The hub key fingerprint the report must be signed with (SHA-256 hex, as the console's
    /// Acceptance page shows it; colons and case are ignored).
    #[arg(long)]
    pub fingerprint: Option<String>,
}

/// Verifies the report and prints what it says.
pub fn run(args: VerifyReportArgs) -> Result<Outcome> {
    let bytes = std::fs::read(&args.file)
        .with_context(|| format!("cannot read the report {}", args.file.display()))?;
    let verified = match verify(&bytes) {
        Ok(verified) => verified,
        Err(error) => {
            eprintln!("NOT VERIFIED: {}: {error}", args.file.display());
            return Ok(Outcome::Negative);
        }
    };
    let payload = &verified.payload;
    if let Some(expected) = &args.fingerprint {
        let expected: String = expected
            .chars()
            .filter(char::is_ascii_hexdigit)
            .collect::<String>()
            .to_ascii_lowercase();
        if expected != verified.fingerprint {
            eprintln!(
                "NOT VERIFIED: {}: signed with the key {}, not the expected {expected}",
                args.file.display(),
                verified.fingerprint
            );
            return Ok(Outcome::Negative);
        }
    }
    println!("verified: the signature holds and the file is exactly the signed content");
    println!("hub key fingerprint (SHA-256): {}", verified.fingerprint);
    if args.fingerprint.is_none() {
        println!("  compare it with the one the hub's console shows on the Acceptance page");
    }
    println!(
        "project: {} ({}), Client-Id {}, products {}",
        payload.project.name,
        payload.project.id,
        payload.project.client_id,
        payload.project.products.join(", ")
    );
    println!(
        "acceptance: {} ({}), generated {} by {}",
        payload.status, payload.status_message, payload.generated_at, payload.hub_url
    );
    for case in &payload.cases {
        println!("  {} {}: {}", case.case_id, case.title, case.status);
    }
    Ok(Outcome::Success)
}
