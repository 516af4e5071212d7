//! linker-scan: render QR and Code 128 images of payment and order codes, and decode codes from images.
//!
//! Rendering: [`payment_code_qr`] and [`payment_code_barcode`] draw a payment code (digits) the
//! way a POS scanner expects it; [`text_qr`] draws any text (order code, entry code, invitation
//! link) as a QR code. Each returns a [`RenderedCode`] that becomes PNG bytes, an SVG string or an
//! RGBA image.
//!
//! Decoding: [`decode`] reads PNG or JPEG bytes, [`decode_rgba`] and [`decode_luma`] read raw
//! camera frames; each returns every QR code and Code 128 barcode found, with its position.
//! [`FrameScanner`] reads a camera stream frame by frame, spreading the passes over frames.
//! The engine (ZXing-C++ as a cascade of passes) was chosen by measurement against zbar and
//! ZXing-C++ on a generated set of damaged camera frames (`tests/decode-set/BENCH.md`).
//!
//! This crate knows nothing of the Alipay+ protocol: what a decoded text *means* is decided by
//! the caller (linker-aplus).

mod decode;
mod error;
mod render;

pub use decode::{
    Bounds, Decoded, Engine, FrameScanner, Point, Symbology, decode, decode_luma, decode_luma_with,
    decode_rgba,
};
pub use error::ScanError;
pub use render::{
    BarcodeOptions, ErrorCorrection, QrOptions, RenderedCode, payment_code_barcode,
    payment_code_qr, text_barcode, text_qr,
};
