//! QR codes: a payment code or any text (order code, entry code, invitation link).

use qrcode::{Color, EcLevel, QrCode};

use super::{RenderedCode, check_digits, check_module_px, check_quiet_zone};
use crate::{ScanError, Symbology};

/// QR error correction level: how much of the code may be damaged and still read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ErrorCorrection {
    /// About 7% recoverable; the smallest code.
    Low,
    /// About 15% recoverable; the usual choice for screens.
    #[default]
    Medium,
    /// About 25% recoverable.
    Quartile,
    /// About 30% recoverable; the largest code.
    High,
}

impl From<ErrorCorrection> for EcLevel {
    fn from(level: ErrorCorrection) -> Self {
        match level {
            ErrorCorrection::Low => EcLevel::L,
            ErrorCorrection::Medium => EcLevel::M,
            ErrorCorrection::Quartile => EcLevel::Q,
            ErrorCorrection::High => EcLevel::H,
        }
    }
}

/// How to draw a QR code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QrOptions {
    /// Side of one module in pixels (default 8).
    pub module_px: u32,
    /// Light border around the code in modules (default 4, what ISO 18004 requires).
    pub quiet_zone_modules: u32,
    /// Error correction level (default medium).
    pub error_correction: ErrorCorrection,
}

impl Default for QrOptions {
    fn default() -> Self {
        Self {
            module_px: 8,
            quiet_zone_modules: 4,
            error_correction: ErrorCorrection::Medium,
        }
    }
}

/// Draws a payment code (ASCII digits only) as a QR code; digits use the compact numeric mode.
pub fn payment_code_qr(digits: &str, options: &QrOptions) -> Result<RenderedCode, ScanError> {
    check_digits(digits)?;
    text_qr(digits, options)
}

/// Draws any non-empty text (an order code URL, an entry code URL, an invitation link) as a QR code.
pub fn text_qr(text: &str, options: &QrOptions) -> Result<RenderedCode, ScanError> {
    if text.is_empty() {
        return Err(ScanError::EmptyText);
    }
    check_module_px("module size", options.module_px)?;
    check_quiet_zone(options.quiet_zone_modules)?;
    let code = QrCode::with_error_correction_level(text, options.error_correction.into())
        .map_err(|error| ScanError::TooLongForQr(error.to_string()))?;
    let side = u32::try_from(code.width())
        .map_err(|_| ScanError::TooLongForQr("the code is too wide".to_owned()))?;
    let dark = code
        .to_colors()
        .into_iter()
        .map(|c| c == Color::Dark)
        .collect();
    let quiet_px = options.quiet_zone_modules * options.module_px;
    Ok(RenderedCode {
        symbology: Symbology::QrCode,
        columns: side,
        rows: side,
        dark,
        module_width_px: options.module_px,
        module_height_px: options.module_px,
        quiet_x_px: quiet_px,
        quiet_y_px: quiet_px,
    })
}
