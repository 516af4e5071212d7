//! `linker hub serve`: run the hub (emulated Developer Center + Alipay+ sandbox).

use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::{Context, Result};
use linker_hub::{ServeConfig, Server, shutdown_signal};

use crate::Outcome;
use crate::commands::tls::{TlsArgs, print_self_signed};

/// Hub commands.
#[derive(Debug, clap::Subcommand)]
pub enum HubCommand {
    /// Serve the hub: the Alipay+ API for ACQP backends and the admin API.
    Serve(ServeArgs),
}

/// Arguments of `linker hub serve`.
#[derive(Debug, clap::Args)]
pub struct ServeArgs {
    /// The data folder (SQLite database and admin token); created if missing.
    #[arg(long)]
    data: PathBuf,
    /// Address to listen on. Loopback by default: only this machine can reach the hub.
    #[arg(long, default_value = "127.0.0.1:8480")]
    listen: SocketAddr,
    /// The URL ACQP backends and wallets reach the hub at, when it differs from http://<listen>.
    #[arg(long)]
    public_url: Option<String>,
    /// Run on a clock the admin API can move forward (POST /admin/v1/clock/advance), for tests.
    #[arg(long)]
    test_clock: bool,
    /// Mail invitations through this SMTP server: smtp://host:port for a local relay,
    /// smtp://user:password@host:587?tls=required (STARTTLS) or smtps://user:password@host:465,
    /// plus &from=address and &ca=file.pem (a private CA). A login goes only over TLS unless
    /// ?auth=clear (a relay on a network you trust). Without it, invitations go to the outbox
    /// the console shows. Prefer LINKER_SMTP_URL for a URL with a password.
    #[arg(
        long,
        value_name = "URL",
        env = "LINKER_SMTP_URL",
        hide_env_values = true
    )]
    smtp: Option<String>,
    #[command(flatten)]
    tls: TlsArgs,
    /// For a hub on the internet: call ACQP endpoints (notifications, userInitiatedPay,
    /// authNotify, "check my setup") only at public addresses. Loopback, private (10/8,
    /// 172.16/12, 192.168/16, fc00::/7), link-local (169.254/16, cloud metadata, fe80::/10),
    /// CGNAT (100.64/10), unspecified and other non-global targets are refused, checked when the
    /// connection is made, and no proxy is used. Off by default: the hub calls ACQPs on loopback.
    #[arg(long)]
    public: bool,
    /// Do not serve the web wallet at /app/ (the wallet's screens for a phone's browser).
    #[arg(long)]
    no_web_wallet: bool,
    /// A reverse proxy in front of the hub (an address or a CIDR block; repeat for several):
    /// the sign-in limits then count the client address it appends to X-Forwarded-For instead
    /// of the proxy's own. Without it the header is ignored.
    #[arg(long = "trusted-proxy", value_name = "ADDRESS[/BITS]")]
    trusted_proxies: Vec<String>,
}

/// Runs a `hub` subcommand.
pub fn run(command: HubCommand) -> Result<Outcome> {
    match command {
        HubCommand::Serve(args) => serve(args),
    }
}

fn serve(args: ServeArgs) -> Result<Outcome> {
    crate::logging::init();
    let runtime = tokio::runtime::Runtime::new().context("cannot start the async runtime")?;
    runtime.block_on(async {
        let config = ServeConfig {
            data_dir: args.data.clone(),
            listen: args.listen,
            public_url: args.public_url.clone(),
            test_clock: args.test_clock,
            tls: args.tls.source(),
        };
        let relay = args
            .smtp
            .as_deref()
            .map(linker_hub::mail::MailRelay::parse)
            .transpose()?;
        let proxies = linker_hub::domain::throttle::TrustedProxies::parse(&args.trusted_proxies)
            .map_err(|why| anyhow::anyhow!("--trusted-proxy: {why}"))?;
        let mut server = Server::bind(&config).await?;
        server.hub.set_mail_relay(relay.clone());
        server.hub.trust_proxies(proxies);
        server.hub.set_public_targets(args.public);
        if !args.no_web_wallet {
            let mut web =
                linker_web::WebConfig::new(args.data.join("web-sessions"), server.internal_url());
            // Reached over HTTPS (here, or at a proxy in front): the session cookie is Secure.
            web.secure_cookie = server.hub.public_url().starts_with("https://");
            web.public_url = server.hub.public_url().to_owned();
            let shell = std::sync::Arc::new(linker_web::WebShell::new(web, server.hub.clock()));
            linker_web::WebShell::spawn_sweeper(&shell);
            server = server.mount(linker_web::router(shell));
        }
        println!(
            "Linker hub listening on {}://{}",
            if args.tls.source().is_some() {
                "https"
            } else {
                "http"
            },
            server.address
        );
        println!("  gateway URL:  {}", server.hub.public_url());
        if let Some(made) = &server.self_signed {
            print_self_signed(made, server.hub.public_url(), 14);
        }
        println!("  data folder:  {}", args.data.display());
        match &server.new_admin_token {
            Some(path) => println!(
                "  admin token:  created, written to {} (mode 0600)",
                path.display()
            ),
            None => println!(
                "  admin token:  in {}",
                linker_hub::admin_token_path(&args.data).display()
            ),
        }
        match &relay {
            Some(relay) => println!("  invitations:  mailed via {}", relay.describe()),
            None => println!("  invitations:  console outbox (no --smtp)"),
        }
        println!("  console:      {}/console", server.hub.public_url());
        if !args.no_web_wallet {
            println!("  web wallet:   {}/app/", server.hub.public_url());
        }
        if args.public {
            println!("  ACQP calls:   public addresses only (--public)");
        }
        if args.test_clock {
            println!("  clock:        test clock (POST /admin/v1/clock/advance moves it)");
        }
        server.run(shutdown_signal()).await?;
        println!("Linker hub stopped.");
        anyhow::Ok(())
    })?;
    Ok(Outcome::Success)
}
