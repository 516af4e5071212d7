//! Generates the decode test set in `tests/decode-set/`: rendered codes, transformed the ways a
//! camera or a screenshot distorts them, and `manifest.tsv` listing what each image holds.
//!
//! Run: `cargo run -p linker-scan --example gen_decode_set`. Deterministic: same files every run.

use std::error::Error;
use std::fs::File;
use std::io::BufWriter;

use image::codecs::jpeg::JpegEncoder;
use image::{GrayImage, Luma, imageops};
use linker_scan::{
    BarcodeOptions, QrOptions, Symbology, payment_code_barcode, payment_code_qr, text_barcode,
    text_qr,
};

#[path = "../tests/scan/manifest.rs"]
mod manifest;

use manifest::Entry;

/// A TEST_WALLET payment code: 24 digits, `281` + routing `999` + 18 digits.
const PAYMENT: &str = "281999041234567890123456";
/// An odd-length (23-digit) payment code, to exercise the charset C → B switch.
const PAYMENT_ODD: &str = "28199904123456789012345";
const ORDER: &str = "https://global.alipay.com/2810020400931LFH2t2mq1jjJ8zSetyv31VU";
const ENTRY: &str = "http://127.0.0.1:7878/entry/shop-42?terminal=3";
const INVITATION: &str = "https://linker.example/invite/K7QX-2M4P";
const BARCODE_TEXT: &str = "LNK-INV-2026-0042";

/// Images the default engine does not read (see RESULTS.md); the manifest marks them `known-miss`.
const KNOWN_MISSES: [&str; 2] = [
    "barcode-payment-rot30.png",
    "qr-payment-lowcontrast-blur.png",
];

type Result<T> = std::result::Result<T, Box<dyn Error>>;

fn main() -> Result<()> {
    let mut set = Set::default();
    let qr = |text: &str, module_px: u32| -> Result<GrayImage> {
        let options = QrOptions {
            module_px,
            ..QrOptions::default()
        };
        Ok(text_qr(text, &options)?.to_luma())
    };
    let pay_qr = |module_px: u32| -> Result<GrayImage> {
        let options = QrOptions {
            module_px,
            ..QrOptions::default()
        };
        Ok(payment_code_qr(PAYMENT, &options)?.to_luma())
    };
    let pay_bar = |module_px: u32| -> Result<GrayImage> {
        let options = BarcodeOptions {
            module_px,
            bar_height_px: 40 * module_px,
            ..BarcodeOptions::default()
        };
        Ok(payment_code_barcode(PAYMENT, &options)?.to_luma())
    };
    let q = |text: &str| (Symbology::QrCode, text.to_owned());
    let b = |text: &str| (Symbology::Code128, text.to_owned());

    // Clean renders at the default options.
    let default_qr = payment_code_qr(PAYMENT, &QrOptions::default())?;
    set.png(
        "qr-payment-clean",
        "payment code QR, default options",
        &default_qr.to_luma(),
        &[q(PAYMENT)],
    )?;
    set.png(
        "qr-order-clean",
        "order code URL QR, default options",
        &qr(ORDER, 8)?,
        &[q(ORDER)],
    )?;
    let default_bar = payment_code_barcode(PAYMENT, &BarcodeOptions::default())?;
    set.png(
        "barcode-payment-clean",
        "payment code Code 128 (charset C), default options",
        &default_bar.to_luma(),
        &[b(PAYMENT)],
    )?;
    let odd = payment_code_barcode(PAYMENT_ODD, &BarcodeOptions::default())?;
    set.png(
        "barcode-payment-odd",
        "23-digit code: charset C then B for the last digit",
        &odd.to_luma(),
        &[b(PAYMENT_ODD)],
    )?;
    let text = text_barcode(BARCODE_TEXT, &BarcodeOptions::default())?;
    set.png(
        "barcode-text",
        "text Code 128 (charset B)",
        &text.to_luma(),
        &[b(BARCODE_TEXT)],
    )?;

    // Rotation.
    for degrees in [7.0, 30.0, 90.0] {
        let name = format!("qr-payment-rot{degrees}");
        set.png(
            &name,
            &format!("payment QR rotated {degrees} degrees"),
            &rotate(&pay_qr(6)?, degrees),
            &[q(PAYMENT)],
        )?;
        let name = format!("barcode-payment-rot{degrees}");
        set.png(
            &name,
            &format!("payment barcode rotated {degrees} degrees"),
            &rotate(&pay_bar(3)?, degrees),
            &[b(PAYMENT)],
        )?;
    }

    // Scaled down: small modules.
    set.png(
        "qr-order-small",
        "order QR scaled to 1.4 px per module",
        &scale(&qr(ORDER, 4)?, 0.35),
        &[q(ORDER)],
    )?;
    set.png(
        "qr-payment-tiny",
        "payment QR scaled to 1.0 px per module",
        &scale(&pay_qr(4)?, 0.25),
        &[q(PAYMENT)],
    )?;
    set.png(
        "barcode-payment-small",
        "payment barcode scaled to 1.5 px per module",
        &scale(&pay_bar(3)?, 0.5),
        &[b(PAYMENT)],
    )?;
    set.png(
        "barcode-payment-tiny",
        "payment barcode scaled to 1.0 px per module",
        &scale(&pay_bar(3)?, 1.0 / 3.0),
        &[b(PAYMENT)],
    )?;

    // Blur.
    set.png(
        "qr-payment-blur",
        "payment QR (6 px modules), Gaussian blur sigma 2.5",
        &imageops::blur(&pay_qr(6)?, 2.5),
        &[q(PAYMENT)],
    )?;
    set.png(
        "barcode-payment-blur",
        "payment barcode (3 px modules), Gaussian blur sigma 1.5",
        &imageops::blur(&pay_bar(3)?, 1.5),
        &[b(PAYMENT)],
    )?;

    // Low contrast.
    set.png(
        "qr-payment-lowcontrast",
        "payment QR, dark 120 on light 160",
        &contrast(&pay_qr(6)?, 120, 160),
        &[q(PAYMENT)],
    )?;
    set.png(
        "barcode-payment-lowcontrast",
        "payment barcode, dark 120 on light 160",
        &contrast(&pay_bar(3)?, 120, 160),
        &[b(PAYMENT)],
    )?;
    set.png(
        "qr-payment-lowcontrast-blur",
        "payment QR, dark 100 on light 150, blur sigma 1.5, noise +-20",
        &noise(
            &imageops::blur(&contrast(&pay_qr(5)?, 100, 150), 1.5),
            20,
            7,
        ),
        &[q(PAYMENT)],
    )?;

    // Noise.
    set.png(
        "qr-order-noisy",
        "order QR, uniform noise +-70",
        &noise(&qr(ORDER, 6)?, 70, 1),
        &[q(ORDER)],
    )?;
    set.png(
        "barcode-payment-noisy",
        "payment barcode, uniform noise +-70",
        &noise(&pay_bar(3)?, 70, 2),
        &[b(PAYMENT)],
    )?;

    // Several codes in a 1280x720 frame, like a wallet screen photographed or screenshotted.
    let mut wallet = background(1280, 720, 3);
    paste(&mut wallet, &pay_qr(6)?, 120, 120);
    paste(&mut wallet, &pay_bar(3)?, 620, 250);
    set.png(
        "frame-qr-and-barcode",
        "1280x720: payment QR and payment barcode side by side",
        &wallet,
        &[q(PAYMENT), b(PAYMENT)],
    )?;
    set.jpeg(
        "frame-qr-and-barcode-q25",
        "the same frame, JPEG quality 25",
        &wallet,
        25,
        &[q(PAYMENT), b(PAYMENT)],
    )?;

    let mut two = background(1280, 720, 4);
    paste(&mut two, &qr(ORDER, 6)?, 80, 150);
    paste(&mut two, &qr(ENTRY, 6)?, 700, 180);
    set.png(
        "frame-two-qrs",
        "1280x720: order QR and entry QR",
        &two,
        &[q(ORDER), q(ENTRY)],
    )?;

    let mut corner = background(1280, 720, 5);
    paste(&mut corner, &qr(INVITATION, 3)?, 1120, 560);
    set.png(
        "frame-small-qr-corner",
        "1280x720: invitation QR, 3 px modules, bottom right",
        &corner,
        &[q(INVITATION)],
    )?;

    let mut photo = background(1280, 720, 6);
    let tilted = rotate(&contrast(&pay_qr(5)?, 40, 200), 12.0);
    paste(&mut photo, &tilted, 500, 200);
    let photo = noise(&imageops::blur(&photo, 1.2), 20, 8);
    set.jpeg(
        "frame-qr-photo",
        "1280x720: payment QR tilted 12 deg, contrast 40/200, blur 1.2, noise +-20, JPEG q40",
        &photo,
        40,
        &[q(PAYMENT)],
    )?;

    let mut photo = background(1280, 720, 9);
    paste(
        &mut photo,
        &rotate(&contrast(&pay_bar(3)?, 40, 200), 4.0),
        350,
        250,
    );
    let photo = noise(&imageops::blur(&photo, 1.0), 15, 10);
    set.jpeg(
        "frame-barcode-photo",
        "1280x720: payment barcode tilted 4 deg, contrast 40/200, blur 1.0, noise +-15, JPEG q40",
        &photo,
        40,
        &[b(PAYMENT)],
    )?;

    let empty = noise(&background(1920, 1080, 11), 10, 12);
    set.jpeg(
        "frame-empty-1920",
        "1920x1080 camera frame with no code (gradient, boxes, noise)",
        &empty,
        60,
        &[],
    )?;

    set.write_manifest()
}

/// The images written so far, for the manifest.
#[derive(Default)]
struct Set {
    entries: Vec<Entry>,
}

impl Set {
    fn png(
        &mut self,
        name: &str,
        description: &str,
        image: &GrayImage,
        codes: &[(Symbology, String)],
    ) -> Result<()> {
        let file = format!("{name}.png");
        image.save(manifest::dir().join(&file))?;
        self.record(file, description, codes);
        Ok(())
    }

    fn jpeg(
        &mut self,
        name: &str,
        description: &str,
        image: &GrayImage,
        quality: u8,
        codes: &[(Symbology, String)],
    ) -> Result<()> {
        let file = format!("{name}.jpg");
        let out = BufWriter::new(File::create(manifest::dir().join(&file))?);
        image.write_with_encoder(JpegEncoder::new_with_quality(out, quality))?;
        self.record(file, description, codes);
        Ok(())
    }

    fn record(&mut self, file: String, description: &str, codes: &[(Symbology, String)]) {
        println!("{file}");
        let expect_read = !KNOWN_MISSES.contains(&file.as_str());
        self.entries.push(Entry {
            file,
            expect_read,
            description: description.to_owned(),
            expected: codes.to_vec(),
        });
    }

    fn write_manifest(&self) -> Result<()> {
        let mut text = String::from(
            "# Generated by `cargo run -p linker-scan --example gen_decode_set`.\n\
             # file\tstatus (reads | known-miss)\tdescription\tcodes (qr:<text> | code128:<text>)...\n",
        );
        for entry in &self.entries {
            text.push_str(&manifest::format_line(entry));
            text.push('\n');
        }
        std::fs::write(manifest::dir().join("manifest.tsv"), text)?;
        Ok(())
    }
}

/// Rotates by `degrees` (counter-clockwise) on a canvas grown to fit, bilinear, white outside.
fn rotate(image: &GrayImage, degrees: f32) -> GrayImage {
    let (w, h) = (image.width() as f32, image.height() as f32);
    let (sin, cos) = degrees.to_radians().sin_cos();
    let new_w = (w * cos.abs() + h * sin.abs()).ceil();
    let new_h = (w * sin.abs() + h * cos.abs()).ceil();
    GrayImage::from_fn(new_w as u32, new_h as u32, |x, y| {
        let dx = x as f32 + 0.5 - new_w / 2.0;
        let dy = y as f32 + 0.5 - new_h / 2.0;
        let sx = cos * dx - sin * dy + w / 2.0 - 0.5;
        let sy = sin * dx + cos * dy + h / 2.0 - 0.5;
        Luma([bilinear(image, sx, sy)])
    })
}

fn bilinear(image: &GrayImage, x: f32, y: f32) -> u8 {
    let at = |x: i64, y: i64| -> f32 {
        if x < 0 || y < 0 || x >= i64::from(image.width()) || y >= i64::from(image.height()) {
            255.0
        } else {
            f32::from(image.get_pixel(x as u32, y as u32)[0])
        }
    };
    let (x0, y0) = (x.floor(), y.floor());
    let (fx, fy) = (x - x0, y - y0);
    let (x0, y0) = (x0 as i64, y0 as i64);
    let top = at(x0, y0) * (1.0 - fx) + at(x0 + 1, y0) * fx;
    let bottom = at(x0, y0 + 1) * (1.0 - fx) + at(x0 + 1, y0 + 1) * fx;
    (top * (1.0 - fy) + bottom * fy).round().clamp(0.0, 255.0) as u8
}

fn scale(image: &GrayImage, factor: f32) -> GrayImage {
    let w = (image.width() as f32 * factor).round() as u32;
    let h = (image.height() as f32 * factor).round() as u32;
    imageops::resize(image, w, h, imageops::FilterType::Triangle)
}

/// Maps black to `dark` and white to `light`.
fn contrast(image: &GrayImage, dark: u8, light: u8) -> GrayImage {
    let (dark, light) = (f32::from(dark), f32::from(light));
    let mut out = image.clone();
    for p in out.pixels_mut() {
        p[0] = (dark + (light - dark) * f32::from(p[0]) / 255.0).round() as u8;
    }
    out
}

/// Adds uniform noise in `-amplitude..=amplitude` from a seeded xorshift generator.
fn noise(image: &GrayImage, amplitude: i32, seed: u64) -> GrayImage {
    let mut random = XorShift(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1);
    let mut out = image.clone();
    for p in out.pixels_mut() {
        let delta = random.below(2 * amplitude as u64 + 1) as i32 - amplitude;
        p[0] = (i32::from(p[0]) + delta).clamp(0, 255) as u8;
    }
    out
}

/// A camera-like background: a soft diagonal gradient with a few grey boxes (no code).
fn background(width: u32, height: u32, seed: u64) -> GrayImage {
    let mut random = XorShift(seed.wrapping_mul(0x2545_F491_4F6C_DD1D) | 1);
    let mut image = GrayImage::from_fn(width, height, |x, y| {
        Luma([(150 + 60 * x / width + 40 * y / height) as u8])
    });
    for _ in 0..6 {
        let (bw, bh) = (40 + random.below(200) as u32, 20 + random.below(120) as u32);
        let (bx, by) = (
            random.below(u64::from(width - bw)) as u32,
            random.below(u64::from(height - bh)) as u32,
        );
        let grey = 60 + random.below(120) as u8;
        for y in by..by + bh {
            for x in bx..bx + bw {
                image.put_pixel(x, y, Luma([grey]));
            }
        }
    }
    image
}

fn paste(frame: &mut GrayImage, code: &GrayImage, x: i64, y: i64) {
    imageops::replace(frame, code, x, y);
}

struct XorShift(u64);

impl XorShift {
    fn below(&mut self, bound: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % bound.max(1)
    }
}
