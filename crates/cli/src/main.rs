//! linker: the command line of Linker.
//!
//! It serves the hub and the reference acquirer, manages projects and merchants, runs cases
//! headless (`run`) and the whole loop on one machine (`demo`), and holds what an ACQP developer
//! reaches for when the sandbox says INVALID_SIGNATURE: generate keys, sign a message, verify one
//! (and say what most likely differs), and inspect a scanned code. Each subcommand is a thin
//! shell over the library crates.
//!
//! Exit codes: 0 success; 1 a negative answer (`verify` found the signature invalid,
//! `verify-report` the report edited or signed by another key); 2 bad input
//! (a missing file, a malformed key, a non-UTF-8 body), reported as one line on stderr.

mod admin_client;
mod commands;
mod logging;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// mimalloc: the hub allocates many small buffers per call (HTTP, JSON, SQL); `linker bench hub`
/// measures less CPU per call with it than with the system allocator.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Debug, Parser)]
#[command(name = "linker", version, propagate_version = true)]
#[command(about = "Linker: tools for testing an Alipay+ acquirer (ACQP) integration.")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Generate RSA-2048 key pairs for signing Alipay+ messages.
    #[command(subcommand)]
    Keys(commands::keys::KeysCommand),
    /// Sign an Alipay+ message and print the content signed and the Signature header.
    Sign(commands::sign::SignArgs),
    /// Verify an Alipay+ message's Signature header, and say what most likely differs if invalid.
    Verify(commands::verify::VerifyArgs),
    /// Check a signed sandbox acceptance report (.html or .json) and print its key fingerprint.
    VerifyReport(commands::verify_report::VerifyReportArgs),
    /// Inspect a scanned code: what it is and what each field means.
    #[command(subcommand)]
    Code(commands::code::CodeCommand),
    /// Run the hub: the emulated Alipay+ Developer Center and sandbox.
    #[command(subcommand)]
    Hub(commands::hub::HubCommand),
    /// Manage projects on a hub (through its admin API).
    #[command(subcommand)]
    Project(commands::project::ProjectCommand),
    /// Manage a project's merchant test accounts (invitations).
    #[command(subcommand)]
    Merchant(commands::merchant::MerchantCommand),
    /// Run the reference acquirer (an ACQP backend, its POS page and POS driver) for a project.
    #[command(subcommand)]
    Acquirer(commands::acquirer::AcquirerCommand),
    /// Run cases headless against the ACQP backend under test, and report the verdicts.
    Run(commands::run::RunCommand),
    /// Start a hub, a demo project and merchant, and the reference acquirer; --run runs every case.
    Demo(commands::demo::DemoCommand),
    /// Measure the hub: signed-call throughput and latency next to the bound RSA sets.
    #[command(subcommand)]
    Bench(commands::bench::BenchCommand),
}

/// How a command ended, when it did not fail on bad input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// The command did what was asked and the answer is positive.
    Success,
    /// The command ran, and the answer is negative (e.g. an invalid signature).
    Negative,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Keys(command) => commands::keys::run(command),
        Command::Sign(args) => commands::sign::run(args),
        Command::Verify(args) => commands::verify::run(args),
        Command::VerifyReport(args) => commands::verify_report::run(args),
        Command::Code(command) => commands::code::run(command),
        Command::Hub(command) => commands::hub::run(command),
        Command::Project(command) => commands::project::run(command),
        Command::Merchant(command) => commands::merchant::run(command),
        Command::Bench(command) => commands::bench::run(command),
        Command::Acquirer(command) => commands::acquirer::run(command),
        Command::Run(command) => commands::run::run(command),
        Command::Demo(command) => commands::demo::run(command),
    };
    match result {
        Ok(Outcome::Success) => ExitCode::SUCCESS,
        Ok(Outcome::Negative) => ExitCode::from(1),
        Err(error) => {
            eprintln!("linker: error: {error:#}");
            ExitCode::from(2)
        }
    }
}
