//! `linker merchant ...`: the project's test accounts (invite one, import many, list).

use std::path::PathBuf;

use anyhow::{Context, Result};
use serde_json::json;

use super::read_text;
use crate::Outcome;
use crate::admin_client::{AdminArgs, AdminClient};

/// Merchant (test account) commands.
#[derive(Debug, clap::Subcommand)]
pub enum MerchantCommand {
    /// Invite one merchant; prints the merchant and its invitation (code, link, expiry).
    Invite {
        #[command(flatten)]
        admin: AdminArgs,
        /// The project's id (prj_...).
        #[arg(long)]
        project: String,
        /// The merchant's name.
        #[arg(long)]
        name: String,
        /// Its merchant id (MID).
        #[arg(long)]
        mid: String,
        /// Where the invitation goes.
        #[arg(long)]
        email: String,
        /// Products: UPM, ORDER_CODE, PRIVATE_ORDER_CODE, ENTRY_CODE, CASHIER, AUTO_DEBIT, or MPM
        /// for the three merchant-presented kinds; comma-separated.
        #[arg(long)]
        products: String,
    },
    /// Invite every row of a CSV file (columns name, mid, email, products) and report each row.
    Import {
        #[command(flatten)]
        admin: AdminArgs,
        /// The project's id (prj_...).
        #[arg(long)]
        project: String,
        /// The CSV file.
        file: PathBuf,
    },
    /// List the project's merchants with their status.
    List {
        #[command(flatten)]
        admin: AdminArgs,
        /// The project's id (prj_...).
        #[arg(long)]
        project: String,
    },
}

/// Runs a `merchant` subcommand.
pub fn run(command: MerchantCommand) -> Result<Outcome> {
    let (answer, outcome) = match command {
        MerchantCommand::Invite {
            admin,
            project,
            name,
            mid,
            email,
            products,
        } => {
            let body = json!({"name": name, "mid": mid, "email": email, "products": [products]});
            let answer = AdminClient::new(&admin)?.send(
                "POST",
                &format!("/projects/{project}/merchants"),
                Some(body),
            )?;
            (answer, Outcome::Success)
        }
        MerchantCommand::Import {
            admin,
            project,
            file,
        } => {
            let text = read_text(&file, "CSV")?;
            let client = AdminClient::new(&admin)?;
            let answer =
                client.send_text(&format!("/projects/{project}/merchants/import"), text)?;
            let rejected = answer.as_array().map_or(0, |rows| {
                rows.iter().filter(|row| row["error"].is_string()).count()
            });
            for row in answer.as_array().into_iter().flatten() {
                let line = row["line"].as_u64().unwrap_or(0);
                let mid = row["mid"].as_str().unwrap_or("?");
                match row["error"].as_str() {
                    Some(error) => eprintln!("line {line} ({mid}): rejected: {error}"),
                    None => eprintln!(
                        "line {line} ({mid}): invited, code {}",
                        row["invited"]["invitation"]["code"].as_str().unwrap_or("?")
                    ),
                }
            }
            (
                answer,
                if rejected == 0 {
                    Outcome::Success
                } else {
                    Outcome::Negative
                },
            )
        }
        MerchantCommand::List { admin, project } => {
            let answer = AdminClient::new(&admin)?.send(
                "GET",
                &format!("/projects/{project}/merchants"),
                None,
            )?;
            (answer, Outcome::Success)
        }
    };
    println!(
        "{}",
        serde_json::to_string_pretty(&answer).context("cannot print the answer")?
    );
    Ok(outcome)
}
