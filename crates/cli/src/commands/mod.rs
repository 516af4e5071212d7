//! One module per subcommand, and the file reading they share.

pub mod acquirer;
pub mod bench;
pub mod code;
pub mod demo;
pub mod hub;
pub mod keys;
pub mod merchant;
pub mod project;
pub mod run;
pub mod running;
pub mod sign;
pub mod tls;
pub mod verify;
pub mod verify_report;

use std::path::Path;

use anyhow::{Context, Result};

/// Reads a whole file as UTF-8 text, naming the file and what it was for in any error.
pub fn read_text(path: &Path, what: &str) -> Result<String> {
    let bytes = std::fs::read(path)
        .with_context(|| format!("cannot read the {what} file {}", path.display()))?;
    String::from_utf8(bytes).map_err(|error| {
        anyhow::anyhow!(
            "the {what} file {} is not UTF-8 (first bad byte at offset {}); Alipay+ messages are UTF-8",
            path.display(),
            error.utf8_error().valid_up_to()
        )
    })
}

/// The message parts both `sign` and `verify` take.
#[derive(Debug, clap::Args)]
pub struct MessageArgs {
    /// The signer's Client-Id (the ACQP's for requests, the hub's answer carries the same one).
    #[arg(long)]
    pub client_id: String,
    /// Request-Time or Response-Time exactly as sent: ISO 8601 with offset, or epoch milliseconds.
    #[arg(long)]
    pub time: String,
    /// HTTP method.
    #[arg(long, default_value = "POST")]
    pub method: String,
    /// The request path, without scheme and host, e.g. /aps/api/v1/payments/pay.
    #[arg(long)]
    pub path: String,
    /// A file holding the body exactly as sent on the wire.
    #[arg(long)]
    pub body: std::path::PathBuf,
}

impl MessageArgs {
    /// Checks the time is one of the two accepted forms and reads the body.
    pub fn load_body(&self) -> Result<String> {
        linker_aplus::time::RequestTime::parse(&self.time).map_err(|error| {
            anyhow::anyhow!(
                "--time {:?} is neither ISO 8601 with an offset (2019-05-28T12:12:12+08:00) nor \
                 epoch milliseconds (1559016732000): {error}",
                self.time
            )
        })?;
        read_text(&self.body, "body")
    }
}
