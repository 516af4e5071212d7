//! Decode time per camera frame: a 1280x720 frame with one code or none, a 1920x1080 frame with
//! none, for each engine.

#![allow(
    missing_docs,
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "benchmark harness"
)]

use criterion::{Criterion, criterion_group, criterion_main};
use image::{GrayImage, Luma, imageops};
use linker_scan::{
    BarcodeOptions, Engine, QrOptions, decode_luma_with, payment_code_barcode, payment_code_qr,
};

const PAYMENT: &str = "281999041234567890123456";

/// A grey gradient frame, like a camera looking at a desk.
fn frame(width: u32, height: u32) -> GrayImage {
    GrayImage::from_fn(width, height, |x, y| {
        Luma([(140 + 70 * x / width + 40 * y / height) as u8])
    })
}

fn bench_decode(c: &mut Criterion) {
    let mut with_qr = frame(1280, 720);
    let qr = payment_code_qr(
        PAYMENT,
        &QrOptions {
            module_px: 6,
            ..QrOptions::default()
        },
    )
    .unwrap();
    imageops::replace(&mut with_qr, &qr.to_luma(), 500, 200);
    let mut with_barcode = frame(1280, 720);
    let bar = payment_code_barcode(PAYMENT, &BarcodeOptions::default()).unwrap();
    imageops::replace(&mut with_barcode, &bar.to_luma(), 350, 250);
    let empty = frame(1920, 1080);
    let empty_720 = frame(1280, 720);

    let mut group = c.benchmark_group("decode");
    for engine in Engine::ALL {
        let name = engine.as_str();
        group.bench_function(format!("{name}/1280x720 one QR"), |b| {
            b.iter(|| decode_luma_with(engine, 1280, 720, with_qr.as_raw()).unwrap())
        });
        group.bench_function(format!("{name}/1280x720 one Code 128"), |b| {
            b.iter(|| decode_luma_with(engine, 1280, 720, with_barcode.as_raw()).unwrap())
        });
        group.bench_function(format!("{name}/1280x720 no code"), |b| {
            b.iter(|| decode_luma_with(engine, 1280, 720, empty_720.as_raw()).unwrap())
        });
        group.bench_function(format!("{name}/1920x1080 no code"), |b| {
            b.iter(|| decode_luma_with(engine, 1920, 1080, empty.as_raw()).unwrap())
        });
    }
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(10);
    targets = bench_decode
}
criterion_main!(benches);
