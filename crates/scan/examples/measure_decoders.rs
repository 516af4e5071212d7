//! Measures each decode engine on `tests/decode-set/`: which images it reads and how long it takes,
//! printed as the Markdown tables of `tests/decode-set/RESULTS.md` (wall-clock medians).
//!
//! Run in release: `cargo run -p linker-scan --release --example measure_decoders`.

use std::error::Error;
use std::time::{Duration, Instant};

use linker_scan::{Engine, decode_luma_with};

#[path = "../tests/scan/manifest.rs"]
mod manifest;

/// Timed runs per image and engine; the median is reported.
const RUNS: usize = 5;
const ENGINES: [Engine; Engine::ALL.len()] = Engine::ALL;

fn main() -> Result<(), Box<dyn Error>> {
    let entries = manifest::load()?;
    let mut read_counts = [0usize; ENGINES.len()];
    let mut total_times = [Duration::ZERO; ENGINES.len()];
    let mut codes_total = 0;
    let mut codes_read = [0usize; ENGINES.len()];
    let names: Vec<&str> = ENGINES.iter().map(|e| e.as_str()).collect();
    println!("| image | codes | {} |", names.join(" | "));
    println!("|---|---|{}", "---|".repeat(ENGINES.len()));
    for entry in &entries {
        let luma = image::open(manifest::dir().join(&entry.file))?.into_luma8();
        let (width, height) = luma.dimensions();
        codes_total += entry.expected.len();
        let mut cells = Vec::new();
        for (i, engine) in ENGINES.into_iter().enumerate() {
            let mut times = Vec::new();
            let mut found = Vec::new();
            for _ in 0..RUNS {
                let start = Instant::now();
                found = decode_luma_with(engine, width, height, luma.as_raw())?;
                times.push(start.elapsed());
            }
            times.sort();
            let median = times[RUNS / 2];
            total_times[i] += median;
            let missing = manifest::missing(entry, &found);
            let unexpected = manifest::unexpected(entry, &found);
            codes_read[i] += entry.expected.len() - missing.len();
            let ok = missing.is_empty() && unexpected.is_empty();
            if ok {
                read_counts[i] += 1;
            }
            let verdict = match (missing.len(), unexpected.len()) {
                (0, 0) => "read".to_owned(),
                (m, 0) if m == entry.expected.len() => "**miss**".to_owned(),
                (m, 0) => format!(
                    "**{} of {}**",
                    entry.expected.len() - m,
                    entry.expected.len()
                ),
                (_, u) => format!("**{u} false**"),
            };
            cells.push(format!("{verdict} {:.1} ms", median.as_secs_f64() * 1e3));
        }
        let codes: Vec<_> = entry.expected.iter().map(|(s, _)| s.as_str()).collect();
        let codes = if codes.is_empty() {
            "none".to_owned()
        } else {
            codes.join(" + ")
        };
        println!(
            "| {} ({width}x{height}) | {codes} | {} |",
            entry.file,
            cells.join(" | ")
        );
    }
    println!();
    println!(
        "| engine | images fully read (of {}) | codes read (of {codes_total}) | total median time |",
        entries.len()
    );
    println!("|---|---|---|---|");
    for (i, engine) in ENGINES.into_iter().enumerate() {
        println!(
            "| {} | {} | {} | {:.1} ms |",
            engine.as_str(),
            read_counts[i],
            codes_read[i],
            total_times[i].as_secs_f64() * 1e3
        );
    }
    Ok(())
}
