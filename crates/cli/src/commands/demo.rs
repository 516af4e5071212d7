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
use crate::commands::tls::{TlsArgs, print_self_signed};

/// `linker demo` arguments.
#[derive(Debug, clap::Args)]
pub struct DemoCommand {
    /// Where hub, acquirer and wallet keep their data (a temporary folder when absent; give one
    /// to keep the demo between starts).
    #[arg(long)]
    data: Option<PathBuf>,
    /// The hub's listen address. Loopback by default; give a LAN address (or 0.0.0.0:PORT) to
    /// demonstrate with a phone as the customer, with --tls-self-signed for its camera.
    #[arg(long, visible_alias = "listen", default_value = "127.0.0.1:0")]
    hub_listen: SocketAddr,
    /// The URL phones reach the hub at, when not the listen address (or, on every address,
    /// this machine's LAN address).
    #[arg(long)]
    public_url: Option<String>,
    #[command(flatten)]
    tls: TlsArgs,
    /// The reference acquirer's listen address.
    #[arg(long, default_value = "127.0.0.1:0")]
    acquirer_listen: SocketAddr,
    /// Make the reference acquirer misbehave (repeatable): skip-signature-verification,
    /// unsigned-notify-ack, poll-too-fast, never-cancel, retry-with-changed-body,
    /// lose-user-initiated-pay-idempotency, no-redirect-url, trust-redirect, skip-consult,
    /// skip-apply-token, retry-revoked-token, unlink-locally.
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
            public_url: command.public_url.clone(),
            tls: command.tls.source(),
        })
        .await
        .context("cannot start the demo")?;
        print_where(&demo);
        if !command.run {
            print_phone(&demo, command.hub_listen).await?;
        }
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
    if demo.public_url() != demo.hub_url() {
        println!("  hub for phones:   {}", demo.public_url());
    }
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

/// Prints the web wallet's link, signed in as the demo merchant, and, when phones can reach the
/// hub, the same link as a QR code to scan (the POS page shows it too).
async fn print_phone(demo: &Demo, listen: SocketAddr) -> Result<()> {
    let link = demo
        .web_wallet_link()
        .await
        .context("cannot make the web wallet's link")?;
    if let Some(made) = demo.self_signed() {
        print_self_signed(made, demo.public_url(), 18);
    }
    println!("  web wallet:       {link}");
    println!("                    (opens the demo merchant's wallet, signed in)");
    if listen.ip().is_loopback() {
        println!(
            "  a phone:          listen where it can reach the hub, e.g. --listen 0.0.0.0:8443 --tls-self-signed"
        );
        return Ok(());
    }
    let code = linker_scan::text_qr(&link, &linker_scan::QrOptions::default())
        .context("cannot draw the link as a QR code")?;
    println!("\nScan with the phone's camera to open the wallet (the POS page shows it too):\n");
    print!("{}", code.to_terminal_text());
    Ok(())
}
