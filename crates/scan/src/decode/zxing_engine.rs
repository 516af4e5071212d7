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
    /// ZXing-C++'s `tryHarder`: every row scanned for barcodes, every third for QR finder
    /// patterns (without it, 32 rows of a frame and every fifth row of a 720-row frame).
    pub(super) try_harder: bool,
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
        try_harder: true,
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

/// Buffers the passes that transform the frame write into, kept from frame to frame by a camera
/// stream's scanner (a frame's worth of bytes each time, and no page faults to pay for them).
#[derive(Debug, Clone, Default)]
pub(super) struct Scratch {
    /// The transformed frame (inverted, stretched, flattened or turned).
    image: Vec<u8>,
    /// A frame at half its height ([`halved_rows`]).
    half: Vec<u8>,
    /// Column sums of the flattened frame's window.
    columns: Vec<u32>,
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
    let scratch = &mut Scratch::default();
    let mut found = main_pass(width, height, luma);
    if found.is_empty() {
        found = inverted_pass(width, height, luma, scratch);
    }
    found.extend(stretched_code128_pass(width, height, luma, scratch));
    if found.is_empty() {
        found = flattened_qr_pass(width, height, luma, scratch);
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

/// The camera stream's every-frame pass: the main pass upright only ([`turned_code128_pass`]
/// takes its turn in the rotation instead), QR codes with the library's quicker finder search,
/// and Code 128 (if `code128`) on [`halved_rows`]: measured on the hard set, a noisy frame costs
/// about two thirds of the cascade's main pass, and the stream reads exactly the same codes.
pub(super) fn camera_main_pass(
    width: u32,
    height: u32,
    luma: &[u8],
    code128: bool,
    scratch: &mut Scratch,
) -> Vec<Decoded> {
    let upright = Pass {
        rotate: false,
        ..Pass::MAIN
    };
    camera_pass(width, height, luma, upright, code128, &mut scratch.half)
}

/// QR codes on `luma` by `pass` without ZXing-C++'s `tryHarder` (its finder search then looks at
/// every fifth row of a 720-row frame instead of every third), and Code 128 (if `code128`) by
/// `pass` on [`halved_rows`] of `luma` (`half` is its buffer), positions in `luma`'s coordinates.
fn camera_pass(
    width: u32,
    height: u32,
    luma: &[u8],
    pass: Pass,
    code128: bool,
    half: &mut Vec<u8>,
) -> Vec<Decoded> {
    let quick_qr = Pass {
        code128: false,
        try_harder: false,
        ..pass
    };
    let mut found = read(width, height, luma, quick_qr);
    if !code128 {
        return found;
    }
    let barcodes = Pass { qr: false, ..pass };
    if height < 2 {
        found.extend(read(width, height, luma, barcodes));
        return found;
    }
    halved_rows(width, luma, half);
    let mut bars = read(width, height / 2, half, barcodes);
    for code in &mut bars {
        for point in &mut code.points {
            point.y *= 2.0;
        }
        code.bounds = super::Bounds::around(&code.points);
    }
    found.extend(bars);
    found
}

/// The frame at half its height, each row the mean of two (an odd last row dropped), into `out`:
/// a barcode's bars run down the frame, so its scan lines lose nothing but half their noise, and
/// ZXing-C++ (which scans every row of a frame when trying harder) has half the rows to scan.
fn halved_rows(width: u32, luma: &[u8], out: &mut Vec<u8>) {
    let width = width as usize;
    out.clear();
    out.reserve(luma.len() / 2);
    for pair in luma.chunks_exact(2 * width) {
        let (upper, lower) = pair.split_at(width);
        out.extend(
            upper
                .iter()
                .zip(lower)
                .map(|(&a, &b)| (u16::from(a) + u16::from(b)).div_ceil(2) as u8),
        );
    }
}

/// Code 128 on the frame turned 90 degrees (transposed: vertical barcodes), upright, at full
/// size; the positions are given back in the frame's coordinates.
pub(super) fn turned_code128_pass(
    width: u32,
    height: u32,
    luma: &[u8],
    scratch: &mut Scratch,
) -> Vec<Decoded> {
    let (w, h) = (width as usize, height as usize);
    let turned = &mut scratch.image;
    turned.clear();
    turned.resize(luma.len(), 0);
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
    let mut found = read(height, width, turned, barcodes);
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
pub(super) fn inverted_pass(
    width: u32,
    height: u32,
    luma: &[u8],
    scratch: &mut Scratch,
) -> Vec<Decoded> {
    let inverted = &mut scratch.image;
    inverted.clear();
    inverted.extend(luma.iter().map(|v| u8::MAX - v));
    let upright = Pass {
        rotate: false,
        downscale: false,
        ..Pass::MAIN
    };
    read(width, height, inverted, upright)
}

/// The camera stream's [`inverted_pass`]: the inverted frame read as by [`camera_main_pass`],
/// without downscaling (the same codes on the hard set, in about two thirds of the time).
pub(super) fn camera_inverted_pass(
    width: u32,
    height: u32,
    luma: &[u8],
    scratch: &mut Scratch,
) -> Vec<Decoded> {
    let Scratch { image, half, .. } = scratch;
    image.clear();
    image.extend(luma.iter().map(|v| u8::MAX - v));
    let upright = Pass {
        rotate: false,
        downscale: false,
        ..Pass::MAIN
    };
    camera_pass(width, height, image, upright, true, half)
}

/// Cascade pass 3: Code 128 on the frame stretched to twice its width, upright; the positions
/// are given back in the frame's coordinates.
pub(super) fn stretched_code128_pass(
    width: u32,
    height: u32,
    luma: &[u8],
    scratch: &mut Scratch,
) -> Vec<Decoded> {
    stretch_twice_as_wide(width, luma, &mut scratch.image);
    let barcodes = Pass {
        qr: false,
        rotate: false,
        downscale: false,
        ..Pass::MAIN
    };
    let mut wide = read(width * 2, height, &scratch.image, barcodes);
    for code in &mut wide {
        for point in &mut code.points {
            point.x /= 2.0;
        }
        code.bounds = super::Bounds::around(&code.points);
    }
    wide
}

/// Cascade pass 4: QR codes on the frame with its local mean removed and its contrast raised.
pub(super) fn flattened_qr_pass(
    width: u32,
    height: u32,
    luma: &[u8],
    scratch: &mut Scratch,
) -> Vec<Decoded> {
    let Scratch { image, columns, .. } = scratch;
    flatten_into(width as usize, height as usize, luma, columns, image);
    let qr_only = Pass {
        code128: false,
        downscale: false,
        ..Pass::MAIN
    };
    read(width, height, image, qr_only)
}

/// Every code one ZXing-C++ pass reads; any library error is empty.
fn read(width: u32, height: u32, luma: &[u8], pass: Pass) -> Vec<Decoded> {
    let Ok(view) = ImageView::from_slice(luma, width, height, ImageFormat::Lum) else {
        return Vec::new();
    };
    // QR codes proper (models 1 and 2), not the whole QR family: looking for Micro QR and rMQR
    // codes around every finder-like square, which none of Linker's codes are, was a third of
    // a pass's time on a noisy frame.
    let formats: Vec<BarcodeFormat> = [
        (pass.qr, BarcodeFormat::QRCodeModel1),
        (pass.qr, BarcodeFormat::QRCodeModel2),
        (pass.code128, BarcodeFormat::Code128),
    ]
    .into_iter()
    .filter_map(|(on, format)| on.then_some(format))
    .collect();
    let reader = zxingcpp::read()
        .formats(formats)
        .binarizer(Binarizer::LocalAverage)
        .try_harder(pass.try_harder)
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

/// The frame at twice its width, each new pixel the mean of its two neighbours, into `out`.
fn stretch_twice_as_wide(width: u32, luma: &[u8], out: &mut Vec<u8>) {
    let width = width as usize;
    out.clear();
    out.reserve(luma.len() * 2);
    for row in luma.chunks_exact(width) {
        for (x, &here) in row.iter().enumerate() {
            let next = row.get(x + 1).copied().unwrap_or(here);
            out.push(here);
            out.push(((u16::from(here) + u16::from(next)) / 2) as u8);
        }
    }
}

/// Each pixel minus the mean of its (2 * [`FLAT_RADIUS`] + 1)² neighbourhood (cut at the frame's
/// edges), times [`FLAT_GAIN`], around mid-grey: glare and shading gone, faint modules made strong.
/// Written into `out`; `columns` is scratch space for the window's column sums.
///
/// One pass down the frame: the sums of each column over the window's rows are kept up to date
/// row by row and slid along each row, and the mean is a multiplication ([`reciprocal`]), so a
/// pixel costs a few additions (a summed-area table of the frame, 3.7 MB, and a division per
/// pixel took several times longer).
fn flatten_into(
    width: usize,
    height: usize,
    luma: &[u8],
    columns: &mut Vec<u32>,
    out: &mut Vec<u8>,
) {
    const SPAN: usize = 2 * FLAT_RADIUS + 1;
    out.clear();
    out.resize(luma.len(), 0);
    columns.clear();
    columns.resize(width, 0);
    if width == 0 {
        return;
    }
    let added = |columns: &mut [u32], y: usize, sign_add: bool| {
        let row = &luma[y * width..(y + 1) * width];
        for (sum, &value) in columns.iter_mut().zip(row) {
            if sign_add {
                *sum += u32::from(value);
            } else {
                *sum -= u32::from(value);
            }
        }
    };
    // Column sums over the rows [0, FLAT_RADIUS): row y adds row y + FLAT_RADIUS and drops row
    // y - FLAT_RADIUS - 1.
    for y in 0..FLAT_RADIUS.min(height) {
        added(columns, y, true);
    }
    let mut reciprocals = [0u64; SPAN + 1];
    // (d * FLAT_GAIN + 128) clamped to a byte, for each difference d from the mean, -255..=255:
    // a table, as noise sends many pixels past either end and a branch would mispredict.
    let gained: [u8; 511] =
        std::array::from_fn(|i| ((i as i32 - 255) * FLAT_GAIN + 128).clamp(0, 255) as u8);
    for (y, (row, out_row)) in luma
        .chunks_exact(width)
        .zip(out.chunks_exact_mut(width))
        .enumerate()
    {
        if y + FLAT_RADIUS < height {
            added(columns, y + FLAT_RADIUS, true);
        }
        if y > FLAT_RADIUS {
            added(columns, y - FLAT_RADIUS - 1, false);
        }
        let rows = (y + FLAT_RADIUS + 1).min(height) - y.saturating_sub(FLAT_RADIUS);
        for (cols, slot) in reciprocals.iter_mut().enumerate().skip(1) {
            *slot = reciprocal(cols * rows);
        }
        // value - mean, offset by 255 so that it indexes the table.
        let flat = |value: u8, sum: u32, cols: usize| {
            let mean = ((u64::from(sum) * reciprocals[cols]) >> 32) as usize;
            gained[usize::from(value) + 255 - mean.min(255)]
        };
        // The edges, where the window is cut (all of a row narrower than the window), then the
        // middle, where each step adds the column entering it and drops the one leaving it.
        let window = |x: usize| x.saturating_sub(FLAT_RADIUS)..(x + FLAT_RADIUS + 1).min(width);
        for x in (0..=FLAT_RADIUS.min(width - 1))
            .chain((width - FLAT_RADIUS.min(width)).max(FLAT_RADIUS + 1)..width)
        {
            let cols = window(x);
            let sum: u32 = columns[cols.clone()].iter().sum();
            out_row[x] = flat(row[x], sum, cols.len());
        }
        if width > SPAN {
            // The window of x = FLAT_RADIUS, moved on one column a step.
            let mut sum: u32 = columns[..SPAN].iter().sum();
            let middle = FLAT_RADIUS + 1..width - FLAT_RADIUS;
            let entering = &columns[SPAN..];
            let leaving = &columns[..width - SPAN];
            for (((&value, out), &enter), &leave) in row[middle.clone()]
                .iter()
                .zip(&mut out_row[middle])
                .zip(entering)
                .zip(leaving)
            {
                sum = sum + enter - leave;
                *out = flat(value, sum, SPAN);
            }
        }
    }
}

/// The multiplier that divides a window's sum by its `area`: with `m = 2³² / area + 1`,
/// `sum * m >> 32` is `sum / area` rounded down, exactly, while the sum is at most 255 per pixel
/// and `255 * area² < 2³²` (any window of [`flatten_into`], at most 25 x 25 pixels).
fn reciprocal(area: usize) -> u64 {
    (1u64 << 32) / area.max(1) as u64 + 1
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The flattened frame the first way it was written (a summed-area table and a division per
    /// pixel), which the measured reads of `tests/decode-set/BENCH.md` came from.
    fn flatten_reference(width: usize, height: usize, luma: &[u8]) -> Vec<u8> {
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

    #[test]
    fn the_sliding_flatten_gives_the_summed_area_tables_frame_exactly() {
        // Frames narrower, as wide as and wider than the window, and noisy content (a simple
        // xorshift), so every kind of edge and every window area is met.
        let mut state = 0x9e37_79b9_u32;
        for (width, height) in [(1, 1), (7, 3), (25, 25), (26, 40), (97, 61), (160, 90)] {
            let luma: Vec<u8> = (0..width * height)
                .map(|i| {
                    state ^= state << 13;
                    state ^= state >> 17;
                    state ^= state << 5;
                    if i % 11 == 0 {
                        255
                    } else {
                        (state >> 24) as u8
                    }
                })
                .collect();
            let (mut columns, mut out) = (Vec::new(), Vec::new());
            flatten_into(width, height, &luma, &mut columns, &mut out);
            let reference = flatten_reference(width, height, &luma);
            let first_difference = out.iter().zip(&reference).position(|(a, b)| a != b);
            assert!(
                out.len() == reference.len() && first_difference.is_none(),
                "{width}x{height}: {} pixels vs {}, first differing at {first_difference:?}",
                out.len(),
                reference.len()
            );
        }
    }

    #[test]
    fn the_mean_by_multiplication_is_the_integer_division_for_every_window() {
        // Every area a window can have: up to 25 columns times up to 25 rows.
        let mut areas: Vec<usize> = (1..=25)
            .flat_map(|c| (1..=25).map(move |r| c * r))
            .collect();
        areas.sort_unstable();
        areas.dedup();
        for area in areas {
            for sum in 0..=255 * area as u32 {
                assert_eq!(
                    ((u64::from(sum) * reciprocal(area)) >> 32) as u32,
                    sum / area as u32,
                    "sum {sum} over {area} pixels"
                );
            }
        }
    }
}
