//! Code 128 barcodes: a payment code in the compact digit-pair charset C, other text in charset B.

use barcoders::sym::code128::Code128;

use super::{RenderedCode, check_digits, check_module_px, check_quiet_zone};
use crate::{ScanError, Symbology};

/// Longest text accepted in a barcode: beyond this, handheld scanners and screens struggle.
pub const MAX_BARCODE_CHARS: usize = 80;
/// Largest bar height accepted, in pixels.
const MAX_BAR_HEIGHT_PX: u32 = 2000;

/// `barcoders` syntax: start in (or switch to) charset B / charset C.
const CHARSET_B: char = '\u{0181}';
const CHARSET_C: char = '\u{0106}';

/// How to draw a Code 128 barcode.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BarcodeOptions {
    /// Width of the narrowest bar in pixels (default 3).
    pub module_px: u32,
    /// Height of the bars in pixels (default 120).
    pub bar_height_px: u32,
    /// Light margin left and right in modules (default 10, the Code 128 minimum), also used above
    /// and below.
    pub quiet_zone_modules: u32,
}

impl Default for BarcodeOptions {
    fn default() -> Self {
        Self {
            module_px: 3,
            bar_height_px: 120,
            quiet_zone_modules: 10,
        }
    }
}

/// Draws a payment code (ASCII digits only) as Code 128: charset C (two digits per symbol), and
/// for an odd length the last digit in charset B.
pub fn payment_code_barcode(
    digits: &str,
    options: &BarcodeOptions,
) -> Result<RenderedCode, ScanError> {
    check_digits(digits)?;
    text_barcode(digits, options)
}

/// Draws printable ASCII text as Code 128: charset C when it is all digits, charset B otherwise.
pub fn text_barcode(text: &str, options: &BarcodeOptions) -> Result<RenderedCode, ScanError> {
    check_module_px("module size", options.module_px)?;
    check_quiet_zone(options.quiet_zone_modules)?;
    if !(1..=MAX_BAR_HEIGHT_PX).contains(&options.bar_height_px) {
        return Err(ScanError::BadOption(format!(
            "bar height must be 1..={MAX_BAR_HEIGHT_PX} pixels, got {}",
            options.bar_height_px
        )));
    }
    let modules = encode(text)?;
    let columns = u32::try_from(modules.len())
        .map_err(|_| ScanError::BadOption("barcode too wide".to_owned()))?;
    let quiet_px = options.quiet_zone_modules * options.module_px;
    Ok(RenderedCode {
        symbology: Symbology::Code128,
        columns,
        rows: 1,
        dark: modules.into_iter().map(|m| m == 1).collect(),
        module_width_px: options.module_px,
        module_height_px: options.bar_height_px,
        quiet_x_px: quiet_px,
        quiet_y_px: quiet_px,
    })
}

/// The bar/space modules (1 = bar) of `text`, start, check and stop symbols included.
fn encode(text: &str) -> Result<Vec<u8>, ScanError> {
    if text.is_empty() {
        return Err(ScanError::EmptyText);
    }
    if let Some((position, character)) = text
        .chars()
        .enumerate()
        .find(|(_, c)| !(' '..='~').contains(c))
    {
        return Err(ScanError::NotBarcodeText {
            character,
            position,
        });
    }
    let length = text.len();
    if length > MAX_BARCODE_CHARS {
        return Err(ScanError::TooLongForBarcode {
            length,
            max: MAX_BARCODE_CHARS,
        });
    }
    let tagged = charset_tagged(text);
    // Printable ASCII always encodes; an error here is reported, never a panic.
    let code =
        Code128::new(&tagged).map_err(|error| ScanError::BarcodeEncoding(format!("{error:?}")))?;
    Ok(code.encode())
}

/// `text` with the `barcoders` charset markers: all digits → charset C, an odd last digit
/// switched to charset B; anything else → charset B throughout.
fn charset_tagged(text: &str) -> String {
    let all_digits = text.bytes().all(|b| b.is_ascii_digit());
    match (all_digits, text.len()) {
        (true, 1) => format!("{CHARSET_B}{text}"),
        (true, n) if n % 2 == 0 => format!("{CHARSET_C}{text}"),
        (true, n) => {
            let (pairs, last) = text.split_at(n - 1);
            format!("{CHARSET_C}{pairs}{CHARSET_B}{last}")
        }
        (false, _) => format!("{CHARSET_B}{text}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digits_use_charset_c_and_odd_tail_switches_to_b() {
        assert_eq!(charset_tagged("1234"), "\u{0106}1234");
        assert_eq!(charset_tagged("12345"), "\u{0106}1234\u{0181}5");
        assert_eq!(charset_tagged("7"), "\u{0181}7");
        assert_eq!(charset_tagged("AB-12"), "\u{0181}AB-12");
    }

    #[test]
    fn charset_c_is_more_compact_than_b_for_digits() {
        let digits = "281999123456789012345678";
        let c = encode(digits).map(|m| m.len());
        let b = Code128::new(format!("{CHARSET_B}{digits}")).map(|code| code.encode().len());
        // start 11 + 12 pairs * 11 + check 11 + stop 13 = 167 modules in charset C.
        assert_eq!(c, Ok(167), "charset C modules for 24 digits");
        assert!(b.is_ok_and(|b| b > 167), "charset B should be wider than C");
    }
}
