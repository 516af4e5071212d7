//! Decoding codes from images: every QR code and Code 128 barcode in a picture or camera frame.
//!
//! The engine is ZXing-C++ (the `zxing-cpp` crate, built from its bundled C++ sources). The
//! default, [`Engine::ZxingCascade`], runs it as a cascade of passes; it was chosen by measurement
//! against zbar and ZXing-C++ itself on a generated set of a few hundred damaged camera frames
//! (`tests/decode-set/BENCH.md`), where it reads at least what the better of the two reads in
//! every category, with no wrong or false decode. rxing and rqrr, the engines before it, read
//! less on that set and on `tests/decode-set/` (`RESULTS.md`) and were dropped.

mod frames;
mod zxing_engine;

use std::fmt;
use std::io::Cursor;
use std::panic::{AssertUnwindSafe, catch_unwind};

use image::{ImageReader, Limits};

use crate::ScanError;

pub use frames::FrameScanner;

/// Largest image side accepted by [`decode`], in pixels.
const MAX_IMAGE_SIDE: u32 = 10_000;
/// Largest allocation [`decode`] allows while reading an image, in bytes.
const MAX_IMAGE_ALLOC: u64 = 256 * 1024 * 1024;

/// The kind of code: the two Linker draws and reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Symbology {
    /// A QR code (ISO/IEC 18004).
    QrCode,
    /// A Code 128 linear barcode (ISO/IEC 15417).
    Code128,
}

impl Symbology {
    /// A stable lowercase name: `qr` or `code128`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::QrCode => "qr",
            Self::Code128 => "code128",
        }
    }
}

impl fmt::Display for Symbology {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::QrCode => "QR code",
            Self::Code128 => "Code 128",
        })
    }
}

/// A point in image pixel coordinates (origin top left).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Point {
    /// Pixels from the left edge.
    pub x: f32,
    /// Pixels from the top edge.
    pub y: f32,
}

/// An axis-aligned box around a decoded code, in pixels.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Bounds {
    /// Left edge.
    pub left: f32,
    /// Top edge.
    pub top: f32,
    /// Right edge.
    pub right: f32,
    /// Bottom edge.
    pub bottom: f32,
}

impl Bounds {
    /// The smallest box holding every point (all zero when there are none).
    pub fn around(points: &[Point]) -> Self {
        let Some(first) = points.first() else {
            return Self {
                left: 0.0,
                top: 0.0,
                right: 0.0,
                bottom: 0.0,
            };
        };
        points.iter().fold(
            Self {
                left: first.x,
                top: first.y,
                right: first.x,
                bottom: first.y,
            },
            |b, p| Self {
                left: b.left.min(p.x),
                top: b.top.min(p.y),
                right: b.right.max(p.x),
                bottom: b.bottom.max(p.y),
            },
        )
    }

    /// Centre of the box.
    pub fn centre(&self) -> Point {
        Point {
            x: (self.left + self.right) / 2.0,
            y: (self.top + self.bottom) / 2.0,
        }
    }
}

/// One code found in an image.
#[derive(Debug, Clone, PartialEq)]
pub struct Decoded {
    /// QR code or Code 128.
    pub symbology: Symbology,
    /// The text the code carries.
    pub text: String,
    /// Where the decoder located it: the four corners (top left, top right, bottom right, bottom
    /// left, as ZXing-C++ reports them; for Code 128 the ends of the scan lines that read it).
    pub points: Vec<Point>,
    /// The box around `points`.
    pub bounds: Bounds,
}

impl Decoded {
    fn new(symbology: Symbology, text: String, points: Vec<Point>) -> Self {
        let bounds = Bounds::around(&points);
        Self {
            symbology,
            text,
            points,
            bounds,
        }
    }
}

/// How the decoder reads the image.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Engine {
    /// ZXing-C++ once, with the library's own defaults: the fastest, reads less.
    Zxing,
    /// ZXing-C++ as a cascade of passes (the inverted frame, barcodes stretched wider, the frame
    /// with glare flattened), each run when the ones before it missed (the default, chosen by
    /// measurement).
    #[default]
    ZxingCascade,
}

impl Engine {
    /// Every engine, for measurement.
    pub const ALL: [Self; 2] = [Self::Zxing, Self::ZxingCascade];

    /// A stable lowercase name for reports.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Zxing => "zxing",
            Self::ZxingCascade => "zxing-cascade",
        }
    }
}

/// Decodes every code in a PNG or JPEG image. No code found is `Ok` with an empty list.
pub fn decode(image_bytes: &[u8]) -> Result<Vec<Decoded>, ScanError> {
    let unreadable = |error: image::ImageError| ScanError::UnreadableImage(error.to_string());
    let mut reader = ImageReader::new(Cursor::new(image_bytes))
        .with_guessed_format()
        .map_err(|error| ScanError::UnreadableImage(error.to_string()))?;
    let mut limits = Limits::default();
    limits.max_image_width = Some(MAX_IMAGE_SIDE);
    limits.max_image_height = Some(MAX_IMAGE_SIDE);
    limits.max_alloc = Some(MAX_IMAGE_ALLOC);
    reader.limits(limits);
    let luma = reader.decode().map_err(unreadable)?.into_luma8();
    let (width, height) = luma.dimensions();
    decode_luma(width, height, luma.as_raw())
}

/// Decodes every code in a raw RGBA frame (4 bytes per pixel, row-major, no padding); transparent
/// pixels count as white.
pub fn decode_rgba(width: u32, height: u32, rgba: &[u8]) -> Result<Vec<Decoded>, ScanError> {
    check_frame_size(width, height, 4, rgba.len())?;
    decode_luma(width, height, &rgba_to_luma(rgba))
}

/// The grey of each RGBA pixel, composited over white (transparent pixels count as white).
fn rgba_to_luma(rgba: &[u8]) -> Vec<u8> {
    rgba.chunks_exact(4)
        .map(|p| {
            let [r, g, b, a] = [p[0], p[1], p[2], p[3]].map(u32::from);
            let grey = (299 * r + 587 * g + 114 * b) / 1000;
            // Composite over white: full alpha keeps the grey, zero alpha gives white.
            let over_white = (grey * a + 255 * (255 - a)) / 255;
            u8::try_from(over_white).unwrap_or(u8::MAX)
        })
        .collect()
}

/// Decodes every code in a raw 8-bit greyscale frame (1 byte per pixel, row-major, no padding).
pub fn decode_luma(width: u32, height: u32, luma: &[u8]) -> Result<Vec<Decoded>, ScanError> {
    decode_luma_with(Engine::default(), width, height, luma)
}

/// [`decode_luma`] with a chosen [`Engine`] (for measurement and comparison).
pub fn decode_luma_with(
    engine: Engine,
    width: u32,
    height: u32,
    luma: &[u8],
) -> Result<Vec<Decoded>, ScanError> {
    check_frame_size(width, height, 1, luma.len())?;
    if width == 0 || height == 0 {
        return Ok(Vec::new());
    }
    guarded(engine.as_str(), || match engine {
        Engine::Zxing => zxing_engine::decode_once(width, height, luma),
        Engine::ZxingCascade => zxing_engine::decode_cascade(width, height, luma),
    })
}

/// Runs a decoder: the decoders are third-party code run on untrusted pixels, so a panic inside
/// one becomes an error here instead of bringing down the app.
fn guarded(name: &str, decode: impl FnOnce() -> Vec<Decoded>) -> Result<Vec<Decoded>, ScanError> {
    catch_unwind(AssertUnwindSafe(decode)).map_err(|panic| {
        let message = panic
            .downcast_ref::<&str>()
            .map(|s| (*s).to_owned())
            .or_else(|| panic.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "panic".to_owned());
        ScanError::DecoderFault(format!("{name} panicked: {message}"))
    })
}

fn check_frame_size(
    width: u32,
    height: u32,
    bytes_per_pixel: u64,
    actual: usize,
) -> Result<(), ScanError> {
    let expected = u64::from(width) * u64::from(height) * bytes_per_pixel;
    if u64::try_from(actual).ok() == Some(expected) {
        Ok(())
    } else {
        Err(ScanError::FrameSize {
            width,
            height,
            expected,
            actual,
        })
    }
}
