//! Measures Linker's decode engines on a generated set (`gen_hard_set`): for each picture and
//! engine, the codes found and the median CPU time of the decoding thread over the luma decode
//! (image loading excluded; other processes loading the machine do not count), one JSON object
//! per line, for `scripts/bench_decode.py` to tabulate beside zbar and ZXing-C++.
//!
//! `frames` measures the camera stream instead of an engine: each picture is shown as
//! `FrameScanner::ROTATION` consecutive frames to a fresh `FrameScanner`; the codes are those read
//! in any of the frames, and `frame_cpu_ms` holds each frame's median CPU time.
//!
//! Run: `cargo run -p linker-scan --release --example measure_hard_set -- DIR [ENGINE...]`
//! (engines by name, e.g. `zxing zxing-cascade frames`, or `default`, which is also the default).

use std::error::Error;
use std::path::PathBuf;
use std::time::Instant;

use cpu_time::ThreadTime;
use linker_scan::{Decoded, Engine, FrameScanner, decode_luma_with};

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
    let engines: Vec<Option<Engine>> = if names.is_empty() {
        vec![Some(Engine::default())]
    } else {
        names
            .iter()
            .map(|name| match name.as_str() {
                "default" => Ok(Some(Engine::default())),
                "frames" => Ok(None),
                _ => Engine::ALL
                    .into_iter()
                    .find(|e| e.as_str() == name)
                    .map(Some)
                    .ok_or_else(|| format!("unknown engine {name}")),
            })
            .collect::<Result<_, _>>()?
    };
    for entry in manifest::load_from(&dir)? {
        let luma = image::open(dir.join(&entry.file))?.into_luma8();
        let (width, height) = luma.dimensions();
        for &engine in &engines {
            let Some(engine) = engine else {
                let (found, frame_cpu) = measure_stream(width, height, luma.as_raw())?;
                let frames: Vec<String> = frame_cpu.iter().map(|ms| format!("{ms:.3}")).collect();
                println!(
                    "{{\"file\":{},\"tool\":\"linker:frames\",\"found\":[{}],\"cpu_ms\":{:.3},\"frame_cpu_ms\":[{}]}}",
                    json(&entry.file),
                    codes(&found),
                    median(&mut frame_cpu.clone()),
                    frames.join(",")
                );
                continue;
            };
            let mut cpu = Vec::new();
            let mut wall = Vec::new();
            let mut found = Vec::new();
            for _ in 0..RUNS {
                let (cpu_start, start) = (ThreadTime::now(), Instant::now());
                found = decode_luma_with(engine, width, height, luma.as_raw())?;
                wall.push(start.elapsed().as_secs_f64() * 1e3);
                cpu.push(cpu_start.elapsed().as_secs_f64() * 1e3);
            }
            println!(
                "{{\"file\":{},\"tool\":{},\"found\":[{}],\"cpu_ms\":{:.3},\"wall_ms\":{:.3}}}",
                json(&entry.file),
                json(&format!("linker:{}", engine.as_str())),
                codes(&found),
                median(&mut cpu),
                median(&mut wall)
            );
        }
    }
    Ok(())
}

/// The picture as `FrameScanner::ROTATION` consecutive frames to a fresh scanner, [`RUNS`]
/// times: every code read in any frame, and each frame's median CPU ms.
fn measure_stream(
    width: u32,
    height: u32,
    luma: &[u8],
) -> Result<(Vec<Decoded>, Vec<f64>), Box<dyn Error>> {
    let mut per_frame = vec![Vec::new(); FrameScanner::ROTATION];
    let mut found: Vec<Decoded> = Vec::new();
    for _ in 0..RUNS {
        let mut scanner = FrameScanner::new();
        found.clear();
        for times in &mut per_frame {
            let cpu_start = ThreadTime::now();
            let frame = scanner.scan_luma(width, height, luma)?;
            times.push(cpu_start.elapsed().as_secs_f64() * 1e3);
            for code in frame {
                if !found
                    .iter()
                    .any(|d| d.symbology == code.symbology && d.text == code.text)
                {
                    found.push(code);
                }
            }
        }
    }
    Ok((
        found,
        per_frame.iter_mut().map(|times| median(times)).collect(),
    ))
}

/// The codes as a JSON array body of `[symbology, text]` pairs.
fn codes(found: &[Decoded]) -> String {
    found
        .iter()
        .map(|d| format!("[{},{}]", json(d.symbology.as_str()), json(&d.text)))
        .collect::<Vec<_>>()
        .join(",")
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
