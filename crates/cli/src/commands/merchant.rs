//! `linker merchant ...`: the project's test accounts (invite one, import many, list).

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use serde_json::{Value, json};

use crate::Outcome;
use crate::admin_client::{AdminArgs, AdminClient, Refused};

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
    /// Invite every row of a CSV file or Excel workbook (columns name, mid, email, products), all
    /// or none: when a row is wrong, nothing is created and each wrong row is named by its line
    /// (exit code 1).
    Import {
        #[command(flatten)]
        admin: AdminArgs,
        /// The project's id (prj_...).
        #[arg(long)]
        project: String,
        /// The CSV file (UTF-8) or Excel workbook (.xlsx).
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
        } => import(&admin, &project, &file)?,
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

/// `merchant import`: sends the file to the hub, which creates every row or none.
fn import(admin: &AdminArgs, project: &str, file: &Path) -> Result<(Value, Outcome)> {
    let bytes = std::fs::read(file)
        .with_context(|| format!("cannot read the merchant file {}", file.display()))?;
    let is_xlsx = file
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("xlsx"));
    let content_type = if is_xlsx {
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    } else {
        "text/csv; charset=utf-8"
    };
    let client = AdminClient::new(admin)?;
    let path = format!("/projects/{project}/merchants/import");
    match client.send_file(&path, content_type, bytes) {
        Ok(answer) => {
            for row in answer.as_array().into_iter().flatten() {
                eprintln!(
                    "line {} ({}): invited, code {}",
                    row["line"].as_u64().unwrap_or(0),
                    row["mid"].as_str().unwrap_or("?"),
                    row["invited"]["invitation"]["code"].as_str().unwrap_or("?")
                );
            }
            Ok((answer, Outcome::Success))
        }
        // A file the hub refused (bad rows, not a sheet, ...): nothing was created; the message
        // names each bad row by its line, one per line.
        Err(error) => match error.downcast::<Refused>() {
            Ok(refused) if refused.code == "INVALID_INPUT" => {
                eprintln!("nothing was imported: {}", refused.message);
                let answer = json!({"code": refused.code, "message": refused.message});
                Ok((answer, Outcome::Negative))
            }
            Ok(refused) => Err(refused.into()),
            Err(error) => Err(error),
        },
    }
}
