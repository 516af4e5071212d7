//! Rendering codes: a payment code as a QR code or a Code 128 barcode, any text as a QR code.
//!
//! Both symbologies become a [`RenderedCode`]: a grid of dark and light modules with its quiet
//! zone and pixel size, which turns into PNG bytes, an SVG string or an RGBA image.

mod barcode;
mod qr;

use std::io::Cursor;

use image::{GrayImage, Luma, Rgba, RgbaImage};

use crate::{ScanError, Symbology};

pub use barcode::{BarcodeOptions, payment_code_barcode, text_barcode};
pub use qr::{ErrorCorrection, QrOptions, payment_code_qr, text_qr};

/// Largest module size accepted, in pixels (keeps images to a sane size).
const MAX_MODULE_PX: u32 = 64;
/// Largest quiet zone accepted, in modules.
const MAX_QUIET_ZONE_MODULES: u32 = 64;

/// A code ready to draw: dark and light modules, their size in pixels and the quiet zone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RenderedCode {
    symbology: Symbology,
    /// Modules per row, quiet zone excluded.
    columns: u32,
    /// Rows of modules (1 for a barcode).
    rows: u32,
    /// Row-major, `true` = dark.
    dark: Vec<bool>,
    module_width_px: u32,
    module_height_px: u32,
    quiet_x_px: u32,
    quiet_y_px: u32,
}

impl RenderedCode {
    /// The symbology drawn.
    pub fn symbology(&self) -> Symbology {
        self.symbology
    }

    /// Width of the whole image in pixels, quiet zone included.
    pub fn width_px(&self) -> u32 {
        self.columns * self.module_width_px + 2 * self.quiet_x_px
    }

    /// Height of the whole image in pixels, quiet zone included.
    pub fn height_px(&self) -> u32 {
        self.rows * self.module_height_px + 2 * self.quiet_y_px
    }

    /// Width of the code in modules, quiet zone excluded.
    pub fn modules_wide(&self) -> u32 {
        self.columns
    }

    /// The code as a greyscale image: black modules on white.
    pub fn to_luma(&self) -> GrayImage {
        GrayImage::from_fn(self.width_px(), self.height_px(), |x, y| {
            Luma([if self.is_dark_at(x, y) { 0 } else { 255 }])
        })
    }

    /// The code as an opaque RGBA image (black on white), for composing into a larger picture.
    pub fn to_rgba(&self) -> RgbaImage {
        RgbaImage::from_fn(self.width_px(), self.height_px(), |x, y| {
            if self.is_dark_at(x, y) {
                Rgba([0, 0, 0, 255])
            } else {
                Rgba([255, 255, 255, 255])
            }
        })
    }

    /// The code as PNG bytes (8-bit greyscale).
    pub fn to_png(&self) -> Result<Vec<u8>, ScanError> {
        let mut bytes = Vec::new();
        self.to_luma()
            .write_to(&mut Cursor::new(&mut bytes), image::ImageFormat::Png)
            .map_err(|error| ScanError::PngEncoding(error.to_string()))?;
        Ok(bytes)
    }

    /// The code as a standalone SVG document: one path of dark rectangles on a white background.
    pub fn to_svg(&self) -> String {
        let (width, height) = (self.width_px(), self.height_px());
        let mut path = String::new();
        for row in 0..self.rows {
            let mut column = 0;
            while column < self.columns {
                if !self.is_dark_module(column, row) {
                    column += 1;
                    continue;
                }
                let start = column;
                while column < self.columns && self.is_dark_module(column, row) {
                    column += 1;
                }
                let x = self.quiet_x_px + start * self.module_width_px;
                let y = self.quiet_y_px + row * self.module_height_px;
                let run = (column - start) * self.module_width_px;
                path.push_str(&format!(
                    "M{x} {y}h{run}v{h}h-{run}z",
                    h = self.module_height_px
                ));
            }
        }
        format!(
            concat!(
                r#"<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" "#,
                r#"viewBox="0 0 {w} {h}" shape-rendering="crispEdges">"#,
                r##"<rect width="{w}" height="{h}" fill="#fff"/>"##,
                r##"<path fill="#000" d="{path}"/></svg>"##
            ),
            w = width,
            h = height,
            path = path
        )
    }

    /// The code as text for a dark terminal: two module rows per line in half blocks, a light
    /// module drawn as a block and a dark one left as the dark background, with a 2-module quiet
    /// zone. A phone's camera reads it off the screen.
    pub fn to_terminal_text(&self) -> String {
        const QUIET: i64 = 2;
        let (columns, rows) = (i64::from(self.columns), i64::from(self.rows));
        let dark = |column: i64, row: i64| {
            u32::try_from(column)
                .ok()
                .zip(u32::try_from(row).ok())
                .is_some_and(|(c, r)| {
                    c < self.columns && r < self.rows && self.is_dark_module(c, r)
                })
        };
        let mut text = String::new();
        let mut row = -QUIET;
        while row < rows + QUIET {
            for column in -QUIET..columns + QUIET {
                // A light module is drawn (a block), a dark one left blank.
                text.push(match (!dark(column, row), !dark(column, row + 1)) {
                    (true, true) => '█',
                    (true, false) => '▀',
                    (false, true) => '▄',
                    (false, false) => ' ',
                });
            }
            text.push('\n');
            row += 2;
        }
        text
    }

    fn is_dark_module(&self, column: u32, row: u32) -> bool {
        let index = row as usize * self.columns as usize + column as usize;
        self.dark.get(index).copied().unwrap_or(false)
    }

    fn is_dark_at(&self, x: u32, y: u32) -> bool {
        let (Some(x), Some(y)) = (
            x.checked_sub(self.quiet_x_px),
            y.checked_sub(self.quiet_y_px),
        ) else {
            return false;
        };
        let (column, row) = (x / self.module_width_px, y / self.module_height_px);
        column < self.columns && row < self.rows && self.is_dark_module(column, row)
    }
}

fn check_module_px(name: &str, value: u32) -> Result<(), ScanError> {
    if (1..=MAX_MODULE_PX).contains(&value) {
        Ok(())
    } else {
        Err(ScanError::BadOption(format!(
            "{name} must be 1..={MAX_MODULE_PX} pixels, got {value}"
        )))
    }
}

fn check_quiet_zone(value: u32) -> Result<(), ScanError> {
    if value <= MAX_QUIET_ZONE_MODULES {
        Ok(())
    } else {
        Err(ScanError::BadOption(format!(
            "quiet zone must be at most {MAX_QUIET_ZONE_MODULES} modules, got {value}"
        )))
    }
}

/// Rejects anything but ASCII digits, naming the first offender.
fn check_digits(digits: &str) -> Result<(), ScanError> {
    if digits.is_empty() {
        return Err(ScanError::EmptyText);
    }
    match digits
        .chars()
        .enumerate()
        .find(|(_, c)| !c.is_ascii_digit())
    {
        Some((position, character)) => Err(ScanError::NotDigits {
            character,
            position,
        }),
        None => Ok(()),
    }
}
