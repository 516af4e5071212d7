//! Rendering: sizes, quiet zones, SVG shape, errors, and that every rendered code decodes back.

use linker_scan::{
    BarcodeOptions, QrOptions, ScanError, Symbology, decode, decode_rgba, payment_code_barcode,
    payment_code_qr, text_barcode, text_qr,
};

const PAYMENT: &str = "281999041234567890123456";
const ORDER: &str = "https://global.alipay.com/2810020400931LFH2t2mq1jjJ8zSetyv31VU";

fn read_back(png: &[u8]) -> Vec<(Symbology, String)> {
    decode(png)
        .unwrap()
        .into_iter()
        .map(|d| (d.symbology, d.text))
        .collect()
}

#[test]
fn payment_qr_has_a_four_module_quiet_zone_and_reads_back() {
    let code = payment_code_qr(PAYMENT, &QrOptions::default()).unwrap();
    let modules = code.modules_wide();
    assert_eq!(
        code.width_px(),
        (modules + 8) * 8,
        "{modules} modules + 2x4 quiet, 8 px each"
    );
    let luma = code.to_luma();
    let quiet_is_white =
        (0..32).all(|i| luma.get_pixel(i, i)[0] == 255 && luma.get_pixel(i, 31)[0] == 255);
    assert!(quiet_is_white, "the first 32 px (4 modules) must be white");
    assert_eq!(
        luma.get_pixel(32, 32)[0],
        0,
        "the finder pattern starts right after the quiet zone"
    );
    let found = read_back(&code.to_png().unwrap());
    assert_eq!(
        found,
        vec![(Symbology::QrCode, PAYMENT.to_owned())],
        "decoded from the PNG"
    );
}

#[test]
fn payment_barcode_uses_charset_c_with_a_ten_module_quiet_zone_and_reads_back() {
    let code = payment_code_barcode(PAYMENT, &BarcodeOptions::default()).unwrap();
    // Charset C: start + 12 digit pairs + check = 14 symbols of 11 modules, stop 13.
    assert_eq!(code.modules_wide(), 14 * 11 + 13, "24 digits in charset C");
    assert_eq!(
        (code.width_px(), code.height_px()),
        ((167 + 20) * 3, 120 + 60),
        "3 px modules, 120 px bars, 10-module quiet zone"
    );
    let luma = code.to_luma();
    assert!(
        (0..30).all(|x| luma.get_pixel(x, 90)[0] == 255),
        "left quiet zone is 30 px of white"
    );
    assert_eq!(
        luma.get_pixel(30, 90)[0],
        0,
        "the start symbol begins with a bar"
    );
    let found = read_back(&code.to_png().unwrap());
    assert_eq!(
        found,
        vec![(Symbology::Code128, PAYMENT.to_owned())],
        "decoded from the PNG"
    );
}

#[test]
fn odd_length_digits_and_text_barcodes_read_back() {
    for text in ["28199904123456789012345", "7", "LNK-INV-2026-0042", "a b~c"] {
        let code = text_barcode(text, &BarcodeOptions::default()).unwrap();
        let found = read_back(&code.to_png().unwrap());
        assert_eq!(
            found,
            vec![(Symbology::Code128, text.to_owned())],
            "barcode of {text:?}"
        );
    }
}

#[test]
fn url_qr_reads_back_from_rgba() {
    let options = QrOptions {
        module_px: 4,
        quiet_zone_modules: 4,
        ..QrOptions::default()
    };
    let rgba = text_qr(ORDER, &options).unwrap().to_rgba();
    let found = decode_rgba(rgba.width(), rgba.height(), rgba.as_raw()).unwrap();
    let texts: Vec<_> = found
        .iter()
        .map(|d| (d.symbology, d.text.as_str()))
        .collect();
    assert_eq!(
        texts,
        vec![(Symbology::QrCode, ORDER)],
        "decoded from the RGBA image"
    );
}

#[test]
fn svg_draws_one_rectangle_per_bar_run() {
    let code = payment_code_barcode(PAYMENT, &BarcodeOptions::default()).unwrap();
    let svg = code.to_svg();
    assert!(
        svg.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"561\" height=\"180\""),
        "svg header: {}",
        &svg[..120]
    );
    // 14 symbols of 3 bars each, and a stop pattern of 4 bars.
    assert_eq!(
        svg.matches('M').count(),
        14 * 3 + 4,
        "bar rectangles in {svg}"
    );
    assert!(
        svg.contains("M30 30h"),
        "the first bar starts after the 30 px quiet zone: {}",
        &svg[..300]
    );
}

#[test]
fn render_rejects_bad_input_with_a_named_error() {
    let qr = QrOptions::default();
    let bar = BarcodeOptions::default();
    let cases: Vec<(&str, ScanError, &str)> = vec![
        (
            "digits with a letter",
            payment_code_qr("28199a", &qr).unwrap_err(),
            "not_digits",
        ),
        (
            "empty payment code",
            payment_code_barcode("", &bar).unwrap_err(),
            "empty_text",
        ),
        ("empty QR text", text_qr("", &qr).unwrap_err(), "empty_text"),
        (
            "non-ASCII barcode",
            text_barcode("Zahlung für", &bar).unwrap_err(),
            "not_barcode_text",
        ),
        (
            "81-char barcode",
            text_barcode(&"1".repeat(81), &bar).unwrap_err(),
            "too_long_for_barcode",
        ),
        (
            "5000-char QR",
            text_qr(&"x".repeat(5000), &qr).unwrap_err(),
            "too_long_for_qr",
        ),
        (
            "zero module",
            text_qr("x", &QrOptions { module_px: 0, ..qr }).unwrap_err(),
            "bad_option",
        ),
        (
            "zero bar height",
            text_barcode(
                "x",
                &BarcodeOptions {
                    bar_height_px: 0,
                    ..bar
                },
            )
            .unwrap_err(),
            "bad_option",
        ),
    ];
    for (what, error, code) in cases {
        assert_eq!(error.code(), code, "{what}: {error}");
    }
    assert_eq!(
        payment_code_qr("28199a", &qr).unwrap_err(),
        ScanError::NotDigits {
            character: 'a',
            position: 5
        },
        "the first non-digit is named"
    );
    assert_eq!(
        text_barcode("Zahlung für", &bar).unwrap_err(),
        ScanError::NotBarcodeText {
            character: 'ü',
            position: 9
        },
        "the first non-ASCII character is named"
    );
}

#[test]
fn a_qr_code_printed_to_a_dark_terminal_reads_back_as_the_same_text() {
    let link = "https://192.168.1.20:8443/app/open/k3PpQ2wX9vT4mZ7rB1nC5dF8gH6jL0sA";
    let code = linker_scan::text_qr(link, &linker_scan::QrOptions::default()).unwrap();
    let text = code.to_terminal_text();
    // Draw the text as a dark terminal shows it: a block is light, a space dark, and each
    // character two module rows high.
    let lines: Vec<Vec<char>> = text.lines().map(|line| line.chars().collect()).collect();
    let (width, height) = (lines[0].len() as u32, lines.len() as u32 * 2);
    assert!(
        lines.iter().all(|line| line.len() == lines[0].len()),
        "{text}"
    );
    let scale = 6u32;
    let picture = image::GrayImage::from_fn(width * scale, height * scale, |x, y| {
        let (column, row) = ((x / scale) as usize, (y / scale) as usize);
        let light = match lines[row / 2][column] {
            '█' => true,
            '▀' => row % 2 == 0,
            '▄' => row % 2 == 1,
            _ => false,
        };
        image::Luma([if light { 255 } else { 0 }])
    });
    let found =
        linker_scan::decode_luma(picture.width(), picture.height(), picture.as_raw()).unwrap();
    assert_eq!(
        found.iter().map(|d| d.text.as_str()).collect::<Vec<_>>(),
        vec![link],
        "the terminal's QR code reads back as the link"
    );
}
