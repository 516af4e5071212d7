//! `linker project ...`: create, show, update and list projects through the hub's admin API, and
//! rotate a project's sandbox Agent-Token (TSP mode), invite the ACQP to authorize the application (an authorization URL) and list its
//! authorizations.

use std::path::PathBuf;

use anyhow::{Context, Result};
use serde_json::{Map, Value, json};

use super::read_text;
use crate::Outcome;
use crate::admin_client::{AdminArgs, AdminClient};

/// Project commands.
#[derive(Debug, clap::Subcommand)]
pub enum ProjectCommand {
    /// Create a project for an ACQP; prints it as JSON, with the hub's public key and gateway URL.
    Create(CreateArgs),
    /// Show one project as JSON.
    Show {
        #[command(flatten)]
        admin: AdminArgs,
        /// The project's id (prj_...).
        id: String,
    },
    /// Change a project's settings; prints it as JSON.
    Update(UpdateArgs),
    /// List every project as JSON.
    List {
        #[command(flatten)]
        admin: AdminArgs,
    },
    /// Give a project a new sandbox Agent-Token (the old one stops working at once); prints the
    /// project as JSON, with the new `agentToken`.
    RotateAgentToken {
        #[command(flatten)]
        admin: AdminArgs,
        /// The project's id (prj_...).
        id: String,
    },
    /// Generate an authorization URL for the ACQP (once sandbox acceptance has passed); prints
    /// the URL (shown only this once) and its expiry as JSON.
    AuthorizationUrl(AuthorizationUrlArgs),
    /// List the ACQP's authorizations (Active or Inactive, with their Agent-Tokens) and the
    /// authorization URLs, as JSON.
    Authorizations {
        #[command(flatten)]
        admin: AdminArgs,
        /// The project's id (prj_...).
        id: String,
    },
}

/// Arguments of `linker project authorization-url`.
#[derive(Debug, clap::Args)]
pub struct AuthorizationUrlArgs {
    #[command(flatten)]
    admin: AdminArgs,
    /// The project's id (prj_...).
    id: String,
    /// The products to authorize, comma-separated (UPM, ORDER_CODE, PRIVATE_ORDER_CODE,
    /// ENTRY_CODE, CASHIER, AUTO_DEBIT): among those that passed acceptance.
    #[arg(long, value_delimiter = ',', required = true)]
    products: Vec<String>,
    /// The ACQP's organisation name.
    #[arg(long)]
    acqp_name: String,
    /// The email of the ACQP's person who will authorize (only an ACQP account with it can).
    #[arg(long)]
    acqp_email: String,
    /// Also mail the URL to that email (SMTP, or the hub's outbox).
    #[arg(long)]
    mail: bool,
}

/// Arguments of `linker project create`.
#[derive(Debug, clap::Args)]
pub struct CreateArgs {
    #[command(flatten)]
    admin: AdminArgs,
    /// A name people recognise.
    #[arg(long)]
    name: String,
    /// The ACQP's Client-Id.
    #[arg(long)]
    client_id: String,
    /// The ACQP's public key file (base64 SPKI or PEM).
    #[arg(long)]
    acqp_public_key: PathBuf,
    #[command(flatten)]
    settings: Settings,
}

/// Arguments of `linker project update`.
#[derive(Debug, clap::Args)]
pub struct UpdateArgs {
    #[command(flatten)]
    admin: AdminArgs,
    /// The project's id (prj_...).
    id: String,
    /// A new name.
    #[arg(long)]
    name: Option<String>,
    /// A new ACQP public key file.
    #[arg(long)]
    acqp_public_key: Option<PathBuf>,
    /// TSP mode: with true, every Alipay+ call must carry the project's Agent-Token (its
    /// `agentToken`) in the `Agent-Token` header.
    #[arg(long, value_name = "true|false")]
    tsp_mode: Option<bool>,
    #[command(flatten)]
    settings: Settings,
}

/// Settings shared by create and update.
#[derive(Debug, clap::Args)]
struct Settings {
    /// Where the hub sends notifyPayment ("" clears it).
    #[arg(long)]
    notify_url: Option<String>,
    /// Where the hub sends userInitiatedPay ("" clears it).
    #[arg(long)]
    user_initiated_pay_url: Option<String>,
    /// Where the hub sends authNotify ("" clears it).
    #[arg(long)]
    auth_notify_url: Option<String>,
    /// A host the ACQP serves entry-code pages on (repeat for more).
    #[arg(long = "entry-code-domain")]
    entry_code_domains: Vec<String>,
    /// A host the ACQP issues private order codes on (repeat for more).
    #[arg(long = "private-code-domain")]
    private_code_domains: Vec<String>,
    /// Notification retry schedule in seconds, e.g. 0,4,30,60.
    #[arg(long, value_delimiter = ',')]
    notify_retry_schedule: Option<Vec<u64>>,
    /// The application's products, e.g. UPM,ORDER_CODE (MPM: the three merchant-presented
    /// ones; "" selects none): sandbox acceptance runs their required cases.
    #[arg(long, value_delimiter = ',')]
    products: Option<Vec<String>>,
}

impl Settings {
    fn into_json(self, body: &mut Map<String, Value>) {
        let mut put = |key: &str, value: Value| {
            body.insert(key.to_owned(), value);
        };
        if let Some(url) = self.notify_url {
            put("notifyUrl", json!(url));
        }
        if let Some(url) = self.user_initiated_pay_url {
            put("userInitiatedPayUrl", json!(url));
        }
        if let Some(url) = self.auth_notify_url {
            put("authNotifyUrl", json!(url));
        }
        if !self.entry_code_domains.is_empty() {
            put("entryCodeDomains", json!(self.entry_code_domains));
        }
        if !self.private_code_domains.is_empty() {
            put("privateCodeDomains", json!(self.private_code_domains));
        }
        if let Some(schedule) = self.notify_retry_schedule {
            put("notifyRetrySchedule", json!(schedule));
        }
        if let Some(products) = self.products {
            put("products", json!(products));
        }
    }
}

/// Runs a `project` subcommand.
pub fn run(command: ProjectCommand) -> Result<Outcome> {
    let answer = match command {
        ProjectCommand::Create(args) => {
            let key = read_text(&args.acqp_public_key, "ACQP public key")?;
            let mut body = Map::new();
            body.insert("name".into(), json!(args.name));
            body.insert("clientId".into(), json!(args.client_id));
            body.insert("acqpPublicKey".into(), json!(key.trim()));
            args.settings.into_json(&mut body);
            AdminClient::new(&args.admin)?.send("POST", "/projects", Some(Value::Object(body)))?
        }
        ProjectCommand::Show { admin, id } => {
            AdminClient::new(&admin)?.send("GET", &format!("/projects/{id}"), None)?
        }
        ProjectCommand::Update(args) => {
            let mut body = Map::new();
            if let Some(name) = args.name {
                body.insert("name".into(), json!(name));
            }
            if let Some(path) = &args.acqp_public_key {
                let key = read_text(path, "ACQP public key")?;
                body.insert("acqpPublicKey".into(), json!(key.trim()));
            }
            if let Some(tsp_mode) = args.tsp_mode {
                body.insert("tspMode".into(), json!(tsp_mode));
            }
            args.settings.into_json(&mut body);
            AdminClient::new(&args.admin)?.send(
                "PATCH",
                &format!("/projects/{}", args.id),
                Some(Value::Object(body)),
            )?
        }
        ProjectCommand::List { admin } => {
            AdminClient::new(&admin)?.send("GET", "/projects", None)?
        }
        ProjectCommand::RotateAgentToken { admin, id } => {
            AdminClient::new(&admin)?.send("POST", &format!("/projects/{id}/agent-token"), None)?
        }
        ProjectCommand::AuthorizationUrl(args) => AdminClient::new(&args.admin)?.send(
            "POST",
            &format!("/projects/{}/authorization-urls", args.id),
            Some(json!({
                "products": args.products,
                "acqpName": args.acqp_name,
                "acqpEmail": args.acqp_email,
                "mail": args.mail,
            })),
        )?,
        ProjectCommand::Authorizations { admin, id } => AdminClient::new(&admin)?.send(
            "GET",
            &format!("/projects/{id}/authorizations"),
            None,
        )?,
    };
    println!(
        "{}",
        serde_json::to_string_pretty(&answer).context("cannot print the answer")?
    );
    Ok(Outcome::Success)
}
