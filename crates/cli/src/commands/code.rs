//! `linker code inspect`: what a scanned code is, field by field, from text or from an image.

use std::path::PathBuf;

use anyhow::{Context, Result, bail};
use linker_aplus::code::classify::{Classification, DomainRegistry, classify};

use crate::Outcome;

/// Code tools.
#[derive(Debug, clap::Subcommand)]
pub enum CodeCommand {
    /// Classify a code (typed, or read from an image) and explain each of its fields.
    Inspect(InspectArgs),
}

/// Arguments of `linker code inspect`.
#[derive(Debug, clap::Args)]
pub struct InspectArgs {
    /// The code's text: payment code digits, an order-code URL, an EMVCo payload...
    #[arg(required_unless_present = "image", conflicts_with = "image")]
    value: Option<String>,
    /// A PNG or JPEG picture holding one or more QR codes or Code 128 barcodes.
    #[arg(long)]
    image: Option<PathBuf>,
    /// An extra Alipay+ order-code domain (e.g. the hub's host).
    #[arg(long = "alipay-domain")]
    alipay_domains: Vec<String>,
    /// A domain an ACQP registered for private order codes.
    #[arg(long = "private-domain")]
    private_domains: Vec<String>,
    /// A domain an ACQP registered for entry codes.
    #[arg(long = "entry-domain")]
    entry_domains: Vec<String>,
    /// Print JSON instead of text.
    #[arg(long)]
    json: bool,
}

/// Runs a `code` subcommand.
pub fn run(command: CodeCommand) -> Result<Outcome> {
    match command {
        CodeCommand::Inspect(args) => inspect(args),
    }
}

fn inspect(args: InspectArgs) -> Result<Outcome> {
    let registry = DomainRegistry {
        alipay_domains: args.alipay_domains,
        private_order_code_domains: args.private_domains,
        entry_code_domains: args.entry_domains,
    };
    let texts: Vec<String> = match (&args.value, &args.image) {
        (Some(value), _) => vec![value.clone()],
        (None, Some(path)) => {
            let bytes = std::fs::read(path)
                .with_context(|| format!("cannot read the image file {}", path.display()))?;
            let found = linker_scan::decode(&bytes).with_context(|| {
                format!("cannot read {} as a PNG or JPEG picture", path.display())
            })?;
            if found.is_empty() {
                bail!("no QR code or Code 128 barcode found in {}", path.display());
            }
            found.into_iter().map(|decoded| decoded.text).collect()
        }
        (None, None) => bail!("give a code's text or --image FILE"),
    };
    let classifications: Vec<Classification> =
        texts.iter().map(|text| classify(text, &registry)).collect();
    if args.json {
        let out = serde_json::to_string_pretty(&classifications)
            .context("cannot serialise the classification")?;
        println!("{out}");
    } else {
        for (index, classification) in classifications.iter().enumerate() {
            if index > 0 {
                println!();
            }
            print_classification(classification);
        }
    }
    Ok(Outcome::Success)
}

fn print_classification(classification: &Classification) {
    println!("Read:    {}", classification.input);
    println!("What:    {}", classification.summary);
    let width = classification
        .lines
        .iter()
        .map(|line| line.label.chars().count())
        .max()
        .unwrap_or(0);
    for line in &classification.lines {
        println!("  {:<width$}  {}", line.label, line.value);
        if !line.explanation.is_empty() {
            println!("  {:<width$}  └ {}", "", line.explanation);
        }
    }
}
