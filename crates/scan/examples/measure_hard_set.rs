//! Measures Linker's decode engines on a generated set (`gen_hard_set`): for each picture and
//! engine, the codes found and the median CPU time of the decoding thread over the luma decode
//! (image loading excluded; other processes loading the machine do not count), one JSON object
//! per line, for `scripts/bench_decode.py` to tabulate beside zbar and ZXing-C++.
//!
//! Run: `cargo run -p linker-scan --release --example measure_hard_set -- DIR [ENGINE...]`
//! (engines by name, e.g. `zxing zxing-cascade`, or `default`, which is also the default).

use std::error::Error;
use std::path::PathBuf;
use std::time::Instant;

use cpu_time::ThreadTime;
use linker_scan::{Engine, decode_luma_with};

#[path = "../tests/scan/manifest.rs"]
mod manifest;

/// Timed runs per picture and engine; the median is reported.
const RUNS: usize = 3;

fn main() -> Result<(), Box<dyn Error>> {
    let mut args = std::env::args().skip(1);
    let dir = PathBuf::from(
        args.next()
            .ok_or("usage: measure_hard_set DIR [ENGINE...]")?,
    );
    let names: Vec<String> = args.collect();
    let engines: Vec<Engine> = if names.is_empty() {
        vec![Engine::default()]
    } else {
        names
            .iter()
            .map(|name| {
                if name == "default" {
                    return Ok(Engine::default());
                }
                Engine::ALL
                    .into_iter()
                    .find(|e| e.as_str() == name)
                    .ok_or_else(|| format!("unknown engine {name}"))
            })
            .collect::<Result<_, _>>()?
    };
    for entry in manifest::load_from(&dir)? {
        let luma = image::open(dir.join(&entry.file))?.into_luma8();
        let (width, height) = luma.dimensions();
        for &engine in &engines {
            let mut cpu = Vec::new();
            let mut wall = Vec::new();
            let mut found = Vec::new();
            for _ in 0..RUNS {
                let (cpu_start, start) = (ThreadTime::now(), Instant::now());
                found = decode_luma_with(engine, width, height, luma.as_raw())?;
                wall.push(start.elapsed().as_secs_f64() * 1e3);
                cpu.push(cpu_start.elapsed().as_secs_f64() * 1e3);
            }
            let codes: Vec<String> = found
                .iter()
                .map(|d| format!("[{},{}]", json(d.symbology.as_str()), json(&d.text)))
                .collect();
            println!(
                "{{\"file\":{},\"tool\":{},\"found\":[{}],\"cpu_ms\":{:.3},\"wall_ms\":{:.3}}}",
                json(&entry.file),
                json(&format!("linker:{}", engine.as_str())),
                codes.join(","),
                median(&mut cpu),
                median(&mut wall)
            );
        }
    }
    Ok(())
}

fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    values.get(values.len() / 2).copied().unwrap_or(0.0)
}

/// A JSON string literal.
fn json(text: &str) -> String {
    let mut out = String::from("\"");
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}
