//! `linker demo`: a hub, a demo project, a merchant with every implemented case and the
//! reference acquirer, all on loopback; prints where each part is, and with `--run` runs every
//! case headless through the acquirer's POS driver and prints the report's summary.

use std::collections::BTreeSet;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::str::FromStr;

use anyhow::{Context, Result};
use linker_acquirer::Fault;
use linker_demo::{Demo, DemoOptions};
use linker_runner::{Pos, Runner};

use crate::Outcome;
use crate::commands::running::{RunArgs, TerminalProgress};

/// `linker demo` arguments.
#[derive(Debug, clap::Args)]
pub struct DemoCommand {
    /// Where hub, acquirer and wallet keep their data (a temporary folder when absent; give one
    /// to keep the demo between starts).
    #[arg(long)]
    data: Option<PathBuf>,
    /// The hub's listen address.
    #[arg(long, default_value = "127.0.0.1:0")]
    hub_listen: SocketAddr,
    /// The reference acquirer's listen address.
    #[arg(long, default_value = "127.0.0.1:0")]
    acquirer_listen: SocketAddr,
    /// Make the reference acquirer misbehave (repeatable): skip-signature-verification,
    /// unsigned-notify-ack, poll-too-fast, never-cancel, retry-with-changed-body,
    /// lose-user-initiated-pay-idempotency.
    #[arg(long = "fault", value_name = "NAME")]
    faults: Vec<String>,
    /// Run every case headless (or those of --cases) and exit with the result.
    #[arg(long)]
    run: bool,
    /// With --run: wait out every window in real time, with the acquirer's full timings (60 s
    /// of polling, 120 s order codes), instead of moving the demo hub's test clock through
    /// the waits. Slower (about ten minutes), and closer to a real integration.
    #[arg(long)]
    real_time: bool,
    #[command(flatten)]
    options: RunArgs,
}

/// Runs `linker demo`.
pub fn run(command: DemoCommand) -> Result<Outcome> {
    crate::logging::init();
    let faults = command
        .faults
        .iter()
        .map(|name| {
            Fault::from_str(name).map_err(|error| anyhow::anyhow!("--fault {name}: {error}"))
        })
        .collect::<Result<BTreeSet<Fault>>>()?;
    let runtime = tokio::runtime::Runtime::new().context("cannot start the async runtime")?;
    runtime.block_on(async {
        let demo = Demo::start(DemoOptions {
            data_dir: command.data.clone(),
            hub_listen: command.hub_listen,
            acquirer_listen: command.acquirer_listen,
            faults,
            timing: if command.run && !command.real_time {
                DemoOptions::quick_timing()
            } else {
                linker_acquirer::Timing::default()
            },
            test_clock: command.run && !command.real_time,
        })
        .await
        .context("cannot start the demo")?;
        print_where(&demo);
        let outcome = if command.run {
            let wallet = demo
                .wallet()
                .await
                .context("cannot sign the demo wallet in")?;
            let pos = Pos::driver(demo.pos_driver_url(), None).await?;
            let mut config = command.options.config()?;
            // The reference acquirer gives up on a call after 10 s; hold UPM-06's answer just
            // past that rather than the full 30 s.
            config.slow_answer_secs = config.slow_answer_secs.or(Some(12));
            if !command.real_time {
                // The quick timings settle every correct sale within seconds.
                config.settle = std::time::Duration::from_secs(60);
                config.fast_forward = Some(linker_runner::ClockControl {
                    hub_url: demo.hub_url().to_owned(),
                    admin_token: demo.admin_token()?,
                });
            }
            let progress = TerminalProgress::new();
            let report = Runner::new(&wallet, pos, config, &progress).run().await?;
            command.options.finish(&report)?
        } else {
            println!("\nPress Ctrl-C to stop.");
            linker_hub::shutdown_signal().await;
            Outcome::Success
        };
        demo.shutdown().await;
        anyhow::Ok(outcome)
    })
}

fn print_where(demo: &Demo) {
    let merchant = demo.merchant();
    let acquirer = demo.acquirer();
    println!("Linker demo");
    println!("  hub:              {}", demo.hub_url());
    println!("  POS page:         {}", demo.pos_page_url());
    println!("  POS driver:       {}", demo.pos_driver_url());
    println!("  entry code:       {}", acquirer.entry_code_url());
    println!("  project:          {}", demo.project_id());
    println!(
        "  wallet sign-in:   {} / {} (first time: invitation {})",
        merchant.mid, merchant.password, merchant.invitation_code
    );
    println!("  admin token:      {}", demo.admin_token_path().display());
    if !acquirer.faults().is_empty() {
        let names: Vec<&str> = acquirer.faults().iter().map(|f| f.name()).collect();
        println!("  acquirer faults:  {}", names.join(", "));
    }
    println!("  data folder:      {}", demo.data_dir().display());
}
