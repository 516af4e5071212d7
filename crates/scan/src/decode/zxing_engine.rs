//! The ZXing-C++ engine: the zxing-cpp library (built from the crate's bundled C++ sources) run
//! as a cascade of passes, each reaching codes the ones before it miss, chosen by measurement on
//! the generated hard set (`tests/decode-set/BENCH.md`).

use std::collections::HashSet;

use zxingcpp::{BarcodeFormat, Binarizer, ImageFormat, ImageView};

use super::{Decoded, Point, Symbology};

/// Radius in pixels of the neighbourhood whose mean the flattened frame subtracts.
const FLAT_RADIUS: usize = 12;
/// Contrast gain of the flattened frame.
const FLAT_GAIN: i32 = 4;

/// One ZXing-C++ reading of a frame: which symbologies, and how hard to look.
#[derive(Debug, Clone, Copy)]
pub(super) struct Pass {
    /// Look for QR codes.
    pub(super) qr: bool,
    /// Look for Code 128 barcodes.
    pub(super) code128: bool,
    /// Let ZXing-C++ also try the frame inverted when it finds nothing (its own `tryInvert`,
    /// which reads light-on-dark QR codes but not barcodes).
    pub(super) invert: bool,
    /// Also scan the frame turned 90 degrees (vertical barcodes).
    pub(super) rotate: bool,
    /// Also read the frame downscaled (finds codes with large modules, blurred ones).
    pub(super) downscale: bool,
    /// Scan lines that must agree on a barcode (ZXing-C++ asks for 2; 1 reads tilted and small
    /// barcodes, and Code 128's check symbol still guards against misreads).
    pub(super) min_lines: i32,
}

impl Pass {
    /// ZXing-C++'s own defaults (try harder, rotate, invert, downscale, two agreeing lines).
    pub(super) const LIBRARY_DEFAULT: Self = Self {
        qr: true,
        code128: true,
        invert: true,
        rotate: true,
        downscale: true,
        min_lines: 2,
    };

    /// The first pass of the cascade: both symbologies, any orientation, one agreeing line.
    const MAIN: Self = Self {
        invert: false,
        min_lines: 1,
        ..Self::LIBRARY_DEFAULT
    };
}

/// ZXing-C++ once with its library defaults.
pub(super) fn decode_once(width: u32, height: u32, luma: &[u8]) -> Vec<Decoded> {
    read(width, height, luma, Pass::LIBRARY_DEFAULT)
}

/// The cascade (Linker's default engine):
///
/// 1. both symbologies on the frame ([`Pass::MAIN`]);
/// 2. if nothing was found, both on the inverted frame, upright and at full size only
///    (light-on-dark QR codes and barcodes: ZXing-C++'s own inversion misses barcodes);
/// 3. always, Code 128 on the frame stretched to twice its width, upright (barcodes with bars
///    under 2 px, tilted ones, and the second barcode of a frame: more samples across each bar);
/// 4. if still nothing, QR codes on the frame with its local mean removed and its contrast raised
///    (glare and uneven light that leave the code too faint for the binarizer).
pub(super) fn decode_cascade(width: u32, height: u32, luma: &[u8]) -> Vec<Decoded> {
    let mut found = main_pass(width, height, luma);
    if found.is_empty() {
        found = inverted_pass(width, height, luma);
    }
    found.extend(stretched_code128_pass(width, height, luma));
    if found.is_empty() {
        found = flattened_qr_pass(width, height, luma);
    }
    distinct(found)
}

/// Keeps the first of each (symbology, text).
pub(super) fn distinct(mut found: Vec<Decoded>) -> Vec<Decoded> {
    let mut seen = HashSet::new();
    found.retain(|d| seen.insert((d.symbology, d.text.clone())));
    found
}

/// Cascade pass 1: both symbologies on the frame ([`Pass::MAIN`]).
pub(super) fn main_pass(width: u32, height: u32, luma: &[u8]) -> Vec<Decoded> {
    read(width, height, luma, Pass::MAIN)
}

/// The main pass without its second reading of the frame turned 90 degrees (the camera stream's
/// every-frame pass; [`turned_code128_pass`] takes its turn in the rotation instead).
pub(super) fn upright_main_pass(width: u32, height: u32, luma: &[u8]) -> Vec<Decoded> {
    let upright = Pass {
        rotate: false,
        ..Pass::MAIN
    };
    read(width, height, luma, upright)
}

/// Code 128 on the frame turned 90 degrees (transposed: vertical barcodes), upright, at full
/// size; the positions are given back in the frame's coordinates.
pub(super) fn turned_code128_pass(width: u32, height: u32, luma: &[u8]) -> Vec<Decoded> {
    let (w, h) = (width as usize, height as usize);
    let mut turned = vec![0u8; luma.len()];
    for (y, row) in luma.chunks_exact(w).enumerate() {
        for (x, &value) in row.iter().enumerate() {
            turned[x * h + y] = value;
        }
    }
    let barcodes = Pass {
        qr: false,
        rotate: false,
        downscale: false,
        ..Pass::MAIN
    };
    let mut found = read(height, width, &turned, barcodes);
    for code in &mut found {
        for point in &mut code.points {
            *point = Point {
                x: point.y,
                y: point.x,
            };
        }
        code.bounds = super::Bounds::around(&code.points);
    }
    found
}

/// Cascade pass 2: both symbologies on the inverted frame, upright and at full size only.
pub(super) fn inverted_pass(width: u32, height: u32, luma: &[u8]) -> Vec<Decoded> {
    let inverted: Vec<u8> = luma.iter().map(|v| u8::MAX - v).collect();
    let upright = Pass {
        rotate: false,
        downscale: false,
        ..Pass::MAIN
    };
    read(width, height, &inverted, upright)
}

/// Cascade pass 3: Code 128 on the frame stretched to twice its width, upright; the positions
/// are given back in the frame's coordinates.
pub(super) fn stretched_code128_pass(width: u32, height: u32, luma: &[u8]) -> Vec<Decoded> {
    let stretched = stretch_twice_as_wide(width, luma);
    let barcodes = Pass {
        qr: false,
        rotate: false,
        downscale: false,
        ..Pass::MAIN
    };
    let mut wide = read(width * 2, height, &stretched, barcodes);
    for code in &mut wide {
        for point in &mut code.points {
            point.x /= 2.0;
        }
        code.bounds = super::Bounds::around(&code.points);
    }
    wide
}

/// Cascade pass 4: QR codes on the frame with its local mean removed and its contrast raised.
pub(super) fn flattened_qr_pass(width: u32, height: u32, luma: &[u8]) -> Vec<Decoded> {
    let flat = flatten(width as usize, height as usize, luma);
    let qr_only = Pass {
        code128: false,
        downscale: false,
        ..Pass::MAIN
    };
    read(width, height, &flat, qr_only)
}

/// Every code one ZXing-C++ pass reads; any library error is empty.
fn read(width: u32, height: u32, luma: &[u8], pass: Pass) -> Vec<Decoded> {
    let Ok(view) = ImageView::from_slice(luma, width, height, ImageFormat::Lum) else {
        return Vec::new();
    };
    let formats: Vec<BarcodeFormat> = [
        (pass.qr, BarcodeFormat::QRCode),
        (pass.code128, BarcodeFormat::Code128),
    ]
    .into_iter()
    .filter_map(|(on, format)| on.then_some(format))
    .collect();
    let reader = zxingcpp::read()
        .formats(formats)
        .binarizer(Binarizer::LocalAverage)
        .try_harder(true)
        .try_rotate(pass.rotate)
        .try_invert(pass.invert)
        .try_downscale(pass.downscale)
        .min_line_count(pass.min_lines);
    let Ok(barcodes) = reader.from(view) else {
        return Vec::new();
    };
    barcodes
        .iter()
        .filter(|barcode| barcode.is_valid())
        .filter_map(|barcode| {
            let symbology = match barcode.symbology() {
                BarcodeFormat::QRCode => Symbology::QrCode,
                BarcodeFormat::Code128 => Symbology::Code128,
                _ => return None,
            };
            let p = barcode.position();
            let points = [p.top_left, p.top_right, p.bottom_right, p.bottom_left]
                .map(|c| Point {
                    x: c.x as f32,
                    y: c.y as f32,
                })
                .to_vec();
            Some(Decoded::new(symbology, barcode.text(), points))
        })
        .collect()
}

/// The frame at twice its width, each new pixel the mean of its two neighbours.
fn stretch_twice_as_wide(width: u32, luma: &[u8]) -> Vec<u8> {
    let width = width as usize;
    let mut out = Vec::with_capacity(luma.len() * 2);
    for row in luma.chunks_exact(width) {
        for (x, &here) in row.iter().enumerate() {
            let next = row.get(x + 1).copied().unwrap_or(here);
            out.push(here);
            out.push(((u16::from(here) + u16::from(next)) / 2) as u8);
        }
    }
    out
}

/// Each pixel minus the mean of its (2 * [`FLAT_RADIUS`] + 1)² neighbourhood, times
/// [`FLAT_GAIN`], around mid-grey: glare and shading gone, faint modules made strong.
fn flatten(width: usize, height: usize, luma: &[u8]) -> Vec<u8> {
    // Summed-area table with a zero first row and column.
    let stride = width + 1;
    let mut sums = vec![0u32; stride * (height + 1)];
    for y in 0..height {
        let mut row_sum = 0u32;
        for x in 0..width {
            row_sum += u32::from(luma[y * width + x]);
            sums[(y + 1) * stride + x + 1] = sums[y * stride + x + 1] + row_sum;
        }
    }
    let mut out = Vec::with_capacity(luma.len());
    for y in 0..height {
        let (top, bottom) = (
            y.saturating_sub(FLAT_RADIUS),
            (y + FLAT_RADIUS + 1).min(height),
        );
        for x in 0..width {
            let (left, right) = (
                x.saturating_sub(FLAT_RADIUS),
                (x + FLAT_RADIUS + 1).min(width),
            );
            let sum = sums[bottom * stride + right] + sums[top * stride + left]
                - sums[top * stride + right]
                - sums[bottom * stride + left];
            let area = ((right - left) * (bottom - top)) as u32;
            let mean = (sum / area) as i32;
            let value = (i32::from(luma[y * width + x]) - mean) * FLAT_GAIN + 128;
            out.push(value.clamp(0, 255) as u8);
        }
    }
    out
}
