//! `linker run`: the headless runner. Signs a wallet in as the merchant, runs the selected cases
//! against the ACQP backend under test (the POS acts through `--pos-driver`, or the operator on
//! the terminal), writes the report and exits 0 only when every case passed.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use linker_runner::{NoOperator, Pos, Runner};
use linker_wallet::{SettingsUpdate, Wallet, WalletOptions};

use crate::Outcome;
use crate::commands::running::{RunArgs, TerminalOperator, TerminalProgress};

/// `linker run` arguments.
#[derive(Debug, clap::Args)]
pub struct RunCommand {
    /// The hub's URL.
    #[arg(long, env = "LINKER_HUB", default_value = "http://127.0.0.1:8480")]
    hub: String,
    /// The merchant's credentials: `LOGIN:PASSWORD` (MID or email), or just `LOGIN` with the
    /// password in LINKER_MERCHANT_PASSWORD.
    #[arg(long, env = "LINKER_MERCHANT", hide_env_values = true)]
    merchant: String,
    /// The merchant's invitation code, for the first sign-in (which sets the password).
    #[arg(long)]
    invitation: Option<String>,
    /// The ACQP's POS driver (POS driver protocol v1), e.g. http://127.0.0.1:7070. Without it,
    /// the runner asks the operator on the terminal.
    #[arg(long)]
    pos_driver: Option<String>,
    /// Bearer token for the POS driver.
    #[arg(long, env = "LINKER_POS_DRIVER_TOKEN", hide_env_values = true)]
    pos_driver_token: Option<String>,
    /// The wallet's data folder (a temporary one when absent).
    #[arg(long)]
    data: Option<PathBuf>,
    /// How long the operator has to act or answer, in seconds.
    #[arg(long, default_value_t = 300)]
    operator_timeout: u64,
    #[command(flatten)]
    run: RunArgs,
}

/// Runs `linker run`.
pub fn run(command: RunCommand) -> Result<Outcome> {
    let (login, password) = credentials(&command.merchant)?;
    let runtime = tokio::runtime::Runtime::new().context("cannot start the async runtime")?;
    runtime.block_on(async {
        let temp;
        let data = match &command.data {
            Some(dir) => dir.clone(),
            None => {
                temp = tempfile::tempdir().context("cannot make a temporary wallet folder")?;
                temp.path().to_owned()
            }
        };
        let wallet = Wallet::open(
            &data,
            WalletOptions::default().with_hub_url(command.hub.clone()),
        )
        .with_context(|| format!("cannot open the wallet in {}", data.display()))?;
        wallet.update_settings(SettingsUpdate {
            hub_url: Some(command.hub.clone()),
            ..SettingsUpdate::default()
        })?;
        match &command.invitation {
            Some(code) => wallet
                .sign_in_with_invitation(code, &password)
                .await
                .context("cannot sign in with the invitation")?,
            None => wallet
                .sign_in(&login, &password, None)
                .await
                .with_context(|| format!("cannot sign in as {login}"))?,
        };
        let pos = match &command.pos_driver {
            Some(url) => Pos::driver(url, command.pos_driver_token.clone())
                .await
                .with_context(|| format!("cannot use the POS driver at {url}"))?,
            None => {
                match TerminalOperator::if_terminal(Duration::from_secs(command.operator_timeout)) {
                    Some(operator) => Pos::Operator(Box::new(operator)),
                    None => Pos::Operator(Box::new(NoOperator)),
                }
            }
        };
        let progress = TerminalProgress::new();
        let report = Runner::new(&wallet, pos, command.run.config()?, &progress)
            .run()
            .await?;
        command.run.finish(&report)
    })
}

/// `LOGIN:PASSWORD`, or `LOGIN` with LINKER_MERCHANT_PASSWORD.
fn credentials(text: &str) -> Result<(String, String)> {
    if let Some((login, password)) = text.split_once(':')
        && !login.trim().is_empty()
        && !password.is_empty()
    {
        return Ok((login.trim().to_owned(), password.to_owned()));
    }
    match std::env::var("LINKER_MERCHANT_PASSWORD") {
        Ok(password) if !password.is_empty() => Ok((text.trim().to_owned(), password)),
        _ => bail!(
            "--merchant needs a password: write LOGIN:PASSWORD, or set LINKER_MERCHANT_PASSWORD"
        ),
    }
}
