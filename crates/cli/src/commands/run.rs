//! `linker run`: the headless runner. Signs a wallet in as the merchant, runs the selected cases
//! against the ACQP backend under test (the POS acts through `--pos-driver`, or the operator on
//! the terminal), writes the report and exits 0 only when every case passed.
//!
//! `linker run --acceptance --project ID` is sandbox acceptance testing: with the project's API
//! token or the admin token it mints a single-use sign-in for the project's acceptance account
//! (the TSP's own), runs the required cases of the project's products (`--cases` narrows), says
//! where acceptance stands, and with `--acceptance-report FILE` saves the signed acceptance
//! report (HTML, or JSON for a `.json` file).

use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use linker_runner::{ClockControl, NoOperator, Pos, Runner};
use linker_wallet::{SettingsUpdate, Wallet, WalletOptions};

use crate::Outcome;
use crate::admin_client::{AdminArgs, AdminClient};
use crate::commands::running::{RunArgs, TerminalOperator, TerminalProgress};

/// `linker run` arguments.
#[derive(Debug, clap::Args)]
pub struct RunCommand {
    /// The hub's URL.
    #[arg(long, env = "LINKER_HUB", default_value = "http://127.0.0.1:8480")]
    hub: String,
    /// The merchant's credentials: `LOGIN:PASSWORD` (MID or email), or just `LOGIN` with the
    /// password in LINKER_MERCHANT_PASSWORD.
    #[arg(
        long,
        env = "LINKER_MERCHANT",
        hide_env_values = true,
        required_unless_present = "acceptance"
    )]
    merchant: Option<String>,
    /// The merchant's invitation code, for the first sign-in (which sets the password).
    #[arg(long, conflicts_with = "acceptance")]
    invitation: Option<String>,
    /// Sandbox acceptance testing: run the project's required cases as its acceptance account
    /// (needs --project and the project's API token or the admin token).
    #[arg(long, requires = "project")]
    acceptance: bool,
    /// The project (prj_...) whose acceptance runs (with --acceptance).
    #[arg(long)]
    project: Option<String>,
    /// The admin token: with --acceptance, to mint the acceptance account's sign-in; with a
    /// hub on its test clock (`hub serve --test-clock`), to move that clock through the waits.
    #[arg(long, env = "LINKER_ADMIN_TOKEN", hide_env_values = true)]
    token: Option<String>,
    /// The project's API token, lkp_... (with --acceptance).
    #[arg(long, env = "LINKER_PROJECT_TOKEN", hide_env_values = true)]
    project_token: Option<String>,
    /// The acceptance account's MID: the merchant id your backend uses in acceptance runs
    /// (kept when absent; TSP-ACCEPTANCE at first).
    #[arg(long, requires = "acceptance")]
    acceptance_mid: Option<String>,
    /// Save the signed acceptance report here after the runs (HTML; JSON when the name ends
    /// in .json). `linker verify-report FILE` checks it.
    #[arg(long, requires = "acceptance")]
    acceptance_report: Option<PathBuf>,
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

/// How the wallet signs in.
enum SignIn {
    /// A merchant's invitation code and the password it sets.
    Invitation(String, String),
    /// A merchant's login and password.
    Password(String, String),
    /// An acceptance ticket.
    Ticket(String),
}

/// Runs `linker run`.
pub fn run(command: RunCommand) -> Result<Outcome> {
    let acceptance = match (&command.acceptance, &command.project) {
        (true, Some(project)) => Some((
            AdminClient::new(&AdminArgs::new(
                &command.hub,
                command.token.clone(),
                command.project_token.clone(),
            ))?,
            project.clone(),
        )),
        _ => None,
    };
    let sign_in = match &acceptance {
        Some((client, project)) => {
            let mut body = serde_json::Map::new();
            if let Some(mid) = &command.acceptance_mid {
                body.insert("mid".to_owned(), serde_json::json!(mid));
            }
            let ticket = client
                .send(
                    "POST",
                    &format!("/projects/{project}/acceptance/session"),
                    Some(serde_json::Value::Object(body)),
                )
                .with_context(|| format!("cannot start acceptance for project {project}"))?;
            eprintln!(
                "acceptance: signed in as the acceptance account (MID {}), required cases: {}",
                ticket["merchant"]["mid"].as_str().unwrap_or_default(),
                ticket["caseIds"]
                    .as_array()
                    .map(|ids| ids
                        .iter()
                        .filter_map(|id| id.as_str())
                        .collect::<Vec<_>>()
                        .join(", "))
                    .unwrap_or_default()
            );
            SignIn::Ticket(ticket["ticket"].as_str().unwrap_or_default().to_owned())
        }
        None => {
            let (login, password) = credentials(command.merchant.as_deref().unwrap_or_default())?;
            match &command.invitation {
                Some(code) => SignIn::Invitation(code.clone(), password),
                None => SignIn::Password(login, password),
            }
        }
    };
    let clock = test_clock(&command, acceptance.as_ref().map(|(client, _)| client));
    let outcome = run_cases(&command, sign_in, clock)?;
    match &acceptance {
        Some((client, project)) => acceptance_after(&command, client, project, outcome),
        None => Ok(outcome),
    }
}

/// After acceptance runs: where acceptance stands, and the signed report when asked.
fn acceptance_after(
    command: &RunCommand,
    client: &AdminClient,
    project: &str,
    outcome: Outcome,
) -> Result<Outcome> {
    let status = client.send("GET", &format!("/projects/{project}/acceptance"), None)?;
    eprintln!(
        "acceptance: {} ({} of {} required cases passed): {}",
        status["status"].as_str().unwrap_or_default(),
        status["passed"],
        status["cases"].as_array().map_or(0, Vec::len),
        status["message"].as_str().unwrap_or_default()
    );
    if let Some(path) = &command.acceptance_report {
        let json = path
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("json"));
        let format = if json { "json" } else { "html" };
        let report = client.get_text(&format!("/projects/{project}/acceptance/report.{format}"))?;
        std::fs::write(path, &report)
            .with_context(|| format!("cannot write the acceptance report to {}", path.display()))?;
        let verified = linker_cases::report::acceptance::verify(report.as_bytes())
            .context("the hub's acceptance report does not verify")?;
        eprintln!(
            "acceptance report written to {} (hub key fingerprint {})",
            path.display(),
            verified.fingerprint
        );
    }
    Ok(outcome)
}

/// Signs the wallet in, runs the selected cases and reports them.
fn run_cases(
    command: &RunCommand,
    sign_in: SignIn,
    clock: Option<ClockControl>,
) -> Result<Outcome> {
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
        match &sign_in {
            SignIn::Invitation(code, password) => wallet
                .sign_in_with_invitation(code, password)
                .await
                .context("cannot sign in with the invitation")?,
            SignIn::Password(login, password) => wallet
                .sign_in(login, password, None)
                .await
                .with_context(|| format!("cannot sign in as {login}"))?,
            SignIn::Ticket(ticket) => wallet
                .sign_in_with_ticket(ticket)
                .await
                .context("cannot sign in as the acceptance account")?,
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
        let mut config = command.run.config()?;
        if let Some(clock) = clock {
            eprintln!("the hub runs on its test clock: the runner moves it through the waits");
            // On the test clock a correct sale settles within seconds of hub time.
            config.settle = Duration::from_secs(60);
            config.fast_forward = Some(clock);
        }
        let report = Runner::new(&wallet, pos, config, &progress).run().await?;
        command.run.finish(&report)
    })
}

/// With the admin token (`--token`) and a hub on its test clock (`hub serve --test-clock`),
/// the runner moves that clock through what the POS waits out, as `linker demo --run` does, so
/// a case's timeouts and retries take seconds, not minutes. `None` otherwise: real time.
fn test_clock(command: &RunCommand, acceptance: Option<&AdminClient>) -> Option<ClockControl> {
    let token = command.token.as_deref()?.trim().to_owned();
    let own;
    let client = match acceptance {
        Some(client) => client,
        None => {
            own =
                AdminClient::new(&AdminArgs::new(&command.hub, Some(token.clone()), None)).ok()?;
            &own
        }
    };
    let clock = client.send("GET", "/clock", None).ok()?;
    (clock["adjustable"] == serde_json::json!(true)).then(|| ClockControl {
        hub_url: command.hub.clone(),
        admin_token: token,
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
