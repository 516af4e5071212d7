//! `linker acquirer serve`: the reference acquirer (an ACQP backend, its web POS and the POS
//! driver) for a project on a hub. It reads the project through the admin API, keeps its key in
//! its data folder, and registers its key, callback URLs and domains in the project.

use std::collections::BTreeSet;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::str::FromStr;

use anyhow::{Context, Result};
use linker_acquirer::{Acquirer, AcquirerConfig, Fault, HubAdmin};

use crate::Outcome;
use crate::admin_client::admin_token;

/// `linker acquirer` subcommands.
#[derive(Debug, clap::Subcommand)]
pub enum AcquirerCommand {
    /// Serve the reference acquirer for a hub project.
    Serve(ServeArgs),
}

/// `linker acquirer serve` arguments.
#[derive(Debug, clap::Args)]
pub struct ServeArgs {
    /// The hub project to integrate with.
    #[arg(long)]
    project: String,
    /// The hub's URL.
    #[arg(long, env = "LINKER_HUB", default_value = "http://127.0.0.1:8480")]
    hub: String,
    /// The hub's admin token (to read the project and register the acquirer in it).
    #[arg(long, env = "LINKER_ADMIN_TOKEN", hide_env_values = true)]
    token: Option<String>,
    /// Instead of the admin token, the project's API token (lkp_..., from the console's
    /// project settings): it is all the acquirer needs.
    #[arg(long, env = "LINKER_PROJECT_TOKEN", hide_env_values = true)]
    project_token: Option<String>,
    /// The hub's data folder, to read the admin token from (when the hub runs on this machine).
    #[arg(long)]
    hub_data: Option<PathBuf>,
    /// The acquirer's data folder (its key and its payments).
    #[arg(long)]
    data: PathBuf,
    /// Where to listen.
    #[arg(long, default_value = "127.0.0.1:7070")]
    listen: SocketAddr,
    /// The URL the hub reaches the acquirer at (default http://<listen>).
    #[arg(long)]
    public_url: Option<String>,
    /// Make it misbehave on purpose (repeatable): skip-signature-verification,
    /// unsigned-notify-ack, poll-too-fast, never-cancel, retry-with-changed-body,
    /// lose-user-initiated-pay-idempotency, no-redirect-url, trust-redirect, skip-consult,
    /// skip-apply-token, retry-revoked-token, unlink-locally.
    #[arg(long = "fault", value_name = "NAME")]
    faults: Vec<String>,
    /// Require this bearer token on the POS driver.
    #[arg(long, env = "LINKER_POS_DRIVER_TOKEN", hide_env_values = true)]
    pos_driver_token: Option<String>,
}

/// Runs an `acquirer` subcommand.
pub fn run(command: AcquirerCommand) -> Result<Outcome> {
    match command {
        AcquirerCommand::Serve(args) => serve(args),
    }
}

fn serve(args: ServeArgs) -> Result<Outcome> {
    crate::logging::init();
    let faults = args
        .faults
        .iter()
        .map(|name| {
            Fault::from_str(name).map_err(|error| anyhow::anyhow!("--fault {name}: {error}"))
        })
        .collect::<Result<BTreeSet<Fault>>>()?;
    let hub_url = args.hub.trim_end_matches('/').to_owned();
    let token = match (&args.token, &args.project_token) {
        (None, Some(project_token)) => project_token.trim().to_owned(),
        _ => admin_token(args.token.as_deref(), args.hub_data.as_deref())?,
    };
    let runtime = tokio::runtime::Runtime::new().context("cannot start the async runtime")?;
    runtime.block_on(async {
        let admin = HubAdmin::new(&hub_url, &token);
        let project = admin
            .project(&args.project)
            .await
            .with_context(|| format!("cannot read project {} on {hub_url}", args.project))?;
        let mut config = AcquirerConfig::from_project(&project, &args.data)?;
        config.listen = args.listen;
        config.public_url = args.public_url.clone();
        config.faults = faults;
        config.pos_driver_token = args.pos_driver_token.clone();
        let acquirer = Acquirer::start(config).await?;
        admin
            .register(&args.project, &acquirer)
            .await
            .context("cannot register the acquirer in the project")?;
        println!("Linker reference acquirer for project {}", args.project);
        println!("  POS page:          {}", acquirer.pos_page_url());
        println!("  POS driver:        {}", acquirer.pos_driver_url());
        println!("  notifyPayment:     {}", acquirer.notify_url());
        println!("  userInitiatedPay:  {}", acquirer.user_initiated_pay_url());
        println!("  authNotify:        {}", acquirer.auth_notify_url());
        println!("  entry code:        {}", acquirer.entry_code_url());
        if !acquirer.faults().is_empty() {
            let names: Vec<&str> = acquirer.faults().iter().map(|f| f.name()).collect();
            println!("  faults:            {}", names.join(", "));
        }
        println!("  (key, callback URLs and domains registered in the project)");
        linker_hub::shutdown_signal().await;
        acquirer.shutdown().await;
        println!("Linker reference acquirer stopped.");
        anyhow::Ok(())
    })?;
    Ok(Outcome::Success)
}
