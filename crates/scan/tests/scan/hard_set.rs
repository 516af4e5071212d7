//! The hard decode set: 1280x720 camera frames of payment, order and merchant codes damaged the
//! ways a phone camera and a screen damage them, by category, each picture made from its category
//! and index alone (seeded), so that the benchmark (`gen_hard_set`, `scripts/bench-decode.sh`)
//! and the tests build the same pictures without committing them.

#![allow(
    dead_code,
    reason = "shared by the test binary and the examples; each uses a part"
)]

use image::{GrayImage, Luma, imageops};
use linker_scan::{
    BarcodeOptions, QrOptions, Symbology, payment_code_barcode, payment_code_qr, text_qr,
};

/// Errors while drawing a picture.
pub type Result<T> = std::result::Result<T, Box<dyn std::error::Error>>;
/// A code a picture holds: its symbology and text.
pub type Code = (Symbology, String);

/// Frame width in pixels.
pub const WIDTH: u32 = 1280;
/// Frame height in pixels.
pub const HEIGHT: u32 = 720;
/// Pictures per damage category (`clean` has fewer).
const PER_CATEGORY: usize = 22;
/// Pictures holding no code (false-decode checks), in the category `none`.
const EMPTY: usize = 20;

/// Each category, in the order of the table; `none` holds no code.
pub const CATEGORIES: [&str; 14] = [
    "clean",
    "scaled",
    "rotated",
    "blurred",
    "lowcontrast",
    "noisy",
    "inverted",
    "glare",
    "jpeg",
    "multi",
    "moire",
    "perspective",
    "motionblur",
    "none",
];

/// How many pictures a category has.
pub fn count(category: &str) -> usize {
    match category {
        "clean" => 8,
        "none" => EMPTY,
        _ => PER_CATEGORY,
    }
}

/// Picture `index` of `category`, and its file stem (`<kind>-<index>` or `frame-<index>`).
pub fn picture(category: &str, index: usize) -> Result<(String, Picture)> {
    let c = CATEGORIES
        .iter()
        .position(|&name| name == category)
        .ok_or_else(|| format!("unknown category {category}"))?;
    if category == "none" {
        let mut rng = Rng::new(99_000 + index as u64);
        return Ok((format!("frame-{index:02}"), no_code(&mut rng)));
    }
    let mut rng = Rng::new((c as u64 + 1) * 1000 + index as u64);
    let kind = Kind::ALL[index % Kind::ALL.len()];
    let picture = make(category, kind, &mut rng)?;
    let stem = if category == "multi" {
        format!("frame-{index:02}")
    } else {
        format!("{}-{index:02}", kind.name())
    };
    Ok((stem, picture))
}

/// One generated frame, how it was made and the codes it holds.
pub struct Picture {
    /// The 1280x720 greyscale frame.
    pub frame: GrayImage,
    /// How it was made.
    pub description: String,
    /// The codes it holds.
    pub codes: Vec<Code>,
    /// `Some(quality)` to save as JPEG, `None` for PNG.
    pub jpeg: Option<u8>,
}

/// What a code carries.
#[derive(Clone, Copy)]
enum Kind {
    /// A payment code as a QR code.
    PayQr,
    /// A payment code as Code 128.
    PayBar,
    /// An order code URL as a QR code.
    OrderQr,
    /// A merchant's code: an entry code URL or a static EMVCo merchant QR.
    MerchantQr,
}

impl Kind {
    const ALL: [Self; 4] = [Self::PayQr, Self::PayBar, Self::OrderQr, Self::MerchantQr];

    fn name(self) -> &'static str {
        match self {
            Self::PayQr => "payment-qr",
            Self::PayBar => "payment-code128",
            Self::OrderQr => "order-qr",
            Self::MerchantQr => "merchant-qr",
        }
    }

    /// A fresh code of this kind and its rendering, `module_px` pixels per module.
    fn render(self, rng: &mut Rng, module_px: u32) -> Result<(Code, GrayImage)> {
        let qr_options = QrOptions {
            module_px,
            ..QrOptions::default()
        };
        Ok(match self {
            Self::PayQr => {
                let digits = payment_digits(rng);
                let image = payment_code_qr(&digits, &qr_options)?.to_luma();
                ((Symbology::QrCode, digits), image)
            }
            Self::PayBar => {
                let digits = payment_digits(rng);
                let options = BarcodeOptions {
                    module_px,
                    bar_height_px: 36 * module_px,
                    ..BarcodeOptions::default()
                };
                let image = payment_code_barcode(&digits, &options)?.to_luma();
                ((Symbology::Code128, digits), image)
            }
            Self::OrderQr => {
                let text = format!("https://global.alipay.com/281002040093{}", rng.word(20));
                let image = text_qr(&text, &qr_options)?.to_luma();
                ((Symbology::QrCode, text), image)
            }
            Self::MerchantQr => {
                let text = if rng.below(2) == 0 {
                    format!(
                        "http://127.0.0.1:7070/entry?store=S{}&terminal={}",
                        rng.below(900) + 100,
                        rng.below(9) + 1
                    )
                } else {
                    emvco_merchant(rng)
                };
                let image = text_qr(&text, &qr_options)?.to_luma();
                ((Symbology::QrCode, text), image)
            }
        })
    }
}

/// A TEST_WALLET payment code: `281999` and 18 random digits.
fn payment_digits(rng: &mut Rng) -> String {
    let mut digits = String::from("281999");
    for _ in 0..18 {
        digits.push(char::from(b'0' + rng.below(10) as u8));
    }
    digits
}

/// A static EMVCo merchant QR payload (ASCII fields, CRC16-CCITT as the spec requires).
fn emvco_merchant(rng: &mut Rng) -> String {
    let tlv = |tag: &str, value: &str| format!("{tag}{:02}{value}", value.len());
    let account = format!(
        "{}{}",
        tlv("00", "A000000615"),
        tlv("01", &format!("M{}", rng.below(9_000_000) + 1_000_000))
    );
    let mut payload = [
        tlv("00", "01"),
        tlv("01", "11"),
        tlv("29", &account),
        tlv("52", "5812"),
        tlv("53", "344"),
        tlv("58", "HK"),
        tlv("59", &format!("SHOP {}", rng.word(6))),
        tlv("60", "HONG KONG"),
    ]
    .concat();
    payload.push_str("6304");
    let crc = payload.bytes().fold(0xFFFF_u16, |mut crc, byte| {
        crc ^= u16::from(byte) << 8;
        for _ in 0..8 {
            crc = if crc & 0x8000 != 0 {
                (crc << 1) ^ 0x1021
            } else {
                crc << 1
            };
        }
        crc
    });
    format!("{payload}{crc:04X}")
}

/// Builds one picture of `category` holding a code of `kind`.
fn make(category: &str, kind: Kind, rng: &mut Rng) -> Result<Picture> {
    let mut frame = background(rng);
    let mut jpeg = None;
    let mut codes = Vec::new();
    let t = rng.unit();
    let description = match category {
        "clean" => {
            let (code, image) = kind.render(rng, 4)?;
            let scale = rng.range(1.0, 1.5);
            place(
                &mut frame,
                &image,
                &Pose::centred(rng, &image, scale, 0.0),
                2,
            );
            codes.push(code);
            format!("{}, about {scale:.1} px per module", kind.name())
        }
        "scaled" => {
            let (code, image) = kind.render(rng, 4)?;
            let px = if matches!(kind, Kind::PayBar) {
                0.8 + 1.2 * t
            } else {
                1.0 + 1.5 * t
            };
            place(
                &mut frame,
                &image,
                &Pose::centred(rng, &image, px / 4.0, 0.0),
                4,
            );
            codes.push(code);
            format!("{px:.2} px per module")
        }
        "rotated" => {
            let (code, image) = kind.render(rng, 4)?;
            let degrees = 360.0 * t;
            let scale = rng.range(0.6, 1.0);
            let pose = Pose::centred(rng, &image, scale, degrees);
            place(&mut frame, &image, &pose, 2);
            codes.push(code);
            format!("rotated {degrees:.0} degrees")
        }
        "blurred" => {
            let (code, image) = kind.render(rng, 4)?;
            let scale = rng.range(0.9, 1.3);
            place(
                &mut frame,
                &image,
                &Pose::centred(rng, &image, scale, 0.0),
                2,
            );
            let sigma = 1.0 + 2.5 * t;
            frame = imageops::blur(&frame, sigma);
            codes.push(code);
            format!(
                "Gaussian blur sigma {sigma:.1} at {:.1} px per module",
                4.0 * scale
            )
        }
        "lowcontrast" => {
            let (code, image) = kind.render(rng, 4)?;
            let span = (60.0 - 48.0 * t).round() as u8;
            let dark = 40 + rng.below(140) as u8;
            let image = contrast(&image, dark, dark + span);
            let scale = rng.range(0.9, 1.2);
            place(
                &mut frame,
                &image,
                &Pose::centred(rng, &image, scale, 0.0),
                2,
            );
            add_noise(&mut frame, 2.0, rng);
            codes.push(code);
            format!("dark {dark} on light {}", dark + span)
        }
        "noisy" => {
            let (code, image) = kind.render(rng, 4)?;
            let scale = rng.range(0.9, 1.2);
            place(
                &mut frame,
                &image,
                &Pose::centred(rng, &image, scale, 0.0),
                2,
            );
            let sigma = 15.0 + 45.0 * t;
            add_noise(&mut frame, sigma, rng);
            codes.push(code);
            format!("Gaussian noise sigma {sigma:.0}")
        }
        "inverted" => {
            let (code, mut image) = kind.render(rng, 4)?;
            imageops::invert(&mut image);
            let light = 150 + rng.below(100) as u8;
            let image = contrast(&image, rng.below(40) as u8, light);
            let degrees = rng.range(-20.0, 20.0) * t;
            let scale = rng.range(0.6, 1.2);
            let pose = Pose::centred(rng, &image, scale, degrees);
            place(&mut frame, &image, &pose, 2);
            frame = imageops::blur(&frame, 0.4 + 1.2 * t);
            codes.push(code);
            format!("light on dark (screen in dark mode), up to {light}, tilted {degrees:.0} deg")
        }
        "glare" => {
            let (code, image) = kind.render(rng, 4)?;
            let (scale, degrees) = (rng.range(0.8, 1.2), rng.range(-10.0, 10.0));
            let pose = Pose::centred(rng, &image, scale, degrees);
            place(&mut frame, &image, &pose, 2);
            let strength = 120.0 + 160.0 * t;
            let radius = pose.size() * rng.range(0.12, 0.35);
            let (gx, gy) = pose.point_inside(rng);
            glare(&mut frame, gx, gy, radius, strength);
            add_noise(&mut frame, 3.0, rng);
            codes.push(code);
            format!("glare +{strength:.0} radius {radius:.0} px over the code")
        }
        "jpeg" => {
            let (code, image) = kind.render(rng, 4)?;
            let px = rng.range(1.6, 3.0);
            place(
                &mut frame,
                &image,
                &Pose::centred(rng, &image, px / 4.0, 0.0),
                4,
            );
            add_noise(&mut frame, 3.0, rng);
            let quality = (5.0 + 25.0 * (1.0 - t)).round() as u8;
            jpeg = Some(quality);
            codes.push(code);
            format!("JPEG quality {quality} at {px:.1} px per module")
        }
        "multi" => return multi(frame, rng),
        "moire" => return moire(frame, kind, rng, t),
        "perspective" => {
            let (code, image) = kind.render(rng, 4)?;
            let tilt = 0.15 + 0.45 * t;
            let (scale, degrees) = (rng.range(0.7, 1.1), rng.range(-20.0, 20.0));
            let mut pose = Pose::centred(rng, &image, scale, degrees);
            let side = rng.below(4);
            pose.tilt(tilt, side);
            place(&mut frame, &image, &pose, 2);
            add_noise(&mut frame, 3.0, rng);
            codes.push(code);
            format!("perspective: far side {:.0}% shorter", 100.0 * tilt)
        }
        "motionblur" => {
            let (code, image) = kind.render(rng, 4)?;
            let (scale, degrees) = (rng.range(0.9, 1.3), rng.range(-5.0, 5.0));
            let pose = Pose::centred(rng, &image, scale, degrees);
            place(&mut frame, &image, &pose, 2);
            let length = 3.0 + 15.0 * t;
            let angle = rng.range(0.0, 180.0);
            frame = motion_blur(&frame, length, angle);
            add_noise(&mut frame, 2.0, rng);
            codes.push(code);
            format!("motion blur {length:.0} px at {angle:.0} deg")
        }
        other => return Err(format!("unknown category {other}").into()),
    };
    Ok(Picture {
        frame,
        description: format!("{}: {description}", kind.name()),
        codes,
        jpeg,
    })
}

/// Two to four codes of mixed kinds in one frame, one per quarter.
fn multi(mut frame: GrayImage, rng: &mut Rng) -> Result<Picture> {
    let count = 2 + rng.below(3) as usize;
    let mut codes = Vec::new();
    let mut names = Vec::new();
    for quarter in 0..count {
        let kind = Kind::ALL[rng.below(4) as usize];
        let (code, image) = kind.render(rng, 4)?;
        let (cx, cy) = (
            (quarter % 2) as f32 * 640.0 + 320.0,
            (quarter / 2) as f32 * 360.0 + 180.0,
        );
        let fit = 300.0 / image.width().max(image.height()) as f32;
        let scale = fit.min(rng.range(0.5, 1.0));
        let pose = Pose::at(
            &image,
            cx + rng.range(-20.0, 20.0),
            cy + rng.range(-10.0, 10.0),
            scale,
            rng.range(-15.0, 15.0),
        );
        place(&mut frame, &image, &pose, 2);
        codes.push(code);
        names.push(kind.name());
    }
    add_noise(&mut frame, 3.0, rng);
    Ok(Picture {
        frame,
        description: format!("{count} codes: {}", names.join(", ")),
        codes,
        jpeg: None,
    })
}

/// A code shown on a screen and photographed: the screen's pixel grid beats against the camera's
/// (moire), with the screen's reduced contrast, a slight tilt and lens blur.
fn moire(mut frame: GrayImage, kind: Kind, rng: &mut Rng, t: f32) -> Result<Picture> {
    let (code, image) = kind.render(rng, 1)?;
    let screen_px = 5 + rng.below(4) as u32;
    let (dark, light) = (30 + rng.below(30) as u8, 190 + rng.below(50) as u8);
    let gap = 0.35 + 0.4 * t;
    // Each screen pixel is 3x3 samples; the last row and column are the dark grid between pixels.
    let screen = GrayImage::from_fn(
        image.width() * screen_px * 3,
        image.height() * screen_px * 3,
        |x, y| {
            let module = image.get_pixel(x / (screen_px * 3), y / (screen_px * 3))[0];
            let lit = f32::from(dark) + f32::from(light - dark) * f32::from(module) / 255.0;
            let grid = if x % 3 == 2 || y % 3 == 2 {
                1.0 - gap
            } else {
                1.0
            };
            Luma([(lit * grid).round() as u8])
        },
    );
    let (wanted, degrees) = (rng.range(1.05, 1.9), rng.range(-8.0, 8.0));
    let mut pose = Pose::centred(rng, &screen, wanted / 3.0, degrees);
    let camera_px_per_screen_px = pose.scale * 3.0;
    let (tilt, side) = (rng.range(0.0, 0.2), rng.below(4));
    pose.tilt(tilt, side);
    place(&mut frame, &screen, &pose, 1);
    frame = imageops::blur(&frame, 0.5);
    add_noise(&mut frame, 4.0, rng);
    Ok(Picture {
        frame,
        description: format!(
            "{}: photographed screen, {:.1} px per module, pixel grid {:.0}% dark",
            kind.name(),
            camera_px_per_screen_px * screen_px as f32,
            100.0 * gap
        ),
        codes: vec![code],
        jpeg: None,
    })
}

/// A frame with no code: background, stripes like bars, random module grids with and without
/// finder-like squares, for false-decode checks.
fn no_code(rng: &mut Rng) -> Picture {
    let mut frame = background(rng);
    let mut parts = Vec::new();
    for _ in 0..3 {
        let (x0, y0) = (rng.below(1000) as u32, rng.below(480) as u32);
        match rng.below(3) {
            0 => {
                // Bars of random widths, like a barcode with no valid symbols.
                let mut x = x0;
                let module = 1 + rng.below(3) as u32;
                while x < (x0 + 260).min(WIDTH) {
                    let width = module * (1 + rng.below(4) as u32);
                    if rng.below(2) == 0 {
                        fill(&mut frame, x, y0, width, 120, 20);
                    }
                    x += width;
                }
                parts.push("stripes");
            }
            1 => {
                // A grid of random modules with three finder-like squares: a QR with no data.
                let module = 3 + rng.below(4) as u32;
                fill(&mut frame, x0, y0, 29 * module, 29 * module, 255);
                for my in 0..25 {
                    for mx in 0..25 {
                        if rng.below(2) == 0 {
                            fill(
                                &mut frame,
                                x0 + (2 + mx) * module,
                                y0 + (2 + my) * module,
                                module,
                                module,
                                0,
                            );
                        }
                    }
                }
                for (fx, fy) in [(2, 2), (20, 2), (2, 20)] {
                    finder(&mut frame, x0 + fx * module, y0 + fy * module, module);
                }
                parts.push("fake QR");
            }
            _ => {
                // A checkerboard-like block of text lines.
                for line in 0..6 {
                    let mut x = x0;
                    while x < (x0 + 240).min(WIDTH) {
                        let word = 8 + rng.below(40) as u32;
                        fill(&mut frame, x, y0 + line * 18, word, 10, 40);
                        x += word + 8;
                    }
                }
                parts.push("text");
            }
        }
    }
    add_noise(&mut frame, 3.0 + 10.0 * rng.unit(), rng);
    Picture {
        frame,
        description: format!("no code: {}", parts.join(", ")),
        codes: Vec::new(),
        jpeg: (rng.below(2) == 0).then_some(60),
    }
}

/// A QR finder pattern (7x7 modules) at the given pixel position.
fn finder(frame: &mut GrayImage, x: u32, y: u32, module: u32) {
    fill(frame, x, y, 7 * module, 7 * module, 0);
    fill(frame, x + module, y + module, 5 * module, 5 * module, 255);
    fill(
        frame,
        x + 2 * module,
        y + 2 * module,
        3 * module,
        3 * module,
        0,
    );
}

fn fill(frame: &mut GrayImage, x: u32, y: u32, width: u32, height: u32, grey: u8) {
    for yy in y..(y + height).min(HEIGHT) {
        for xx in x..(x + width).min(WIDTH) {
            frame.put_pixel(xx, yy, Luma([grey]));
        }
    }
}

/// A camera-like background: an uneven diagonal gradient with a few grey boxes (no code).
fn background(rng: &mut Rng) -> GrayImage {
    let (base, dx, dy) = (
        110.0 + rng.range(0.0, 60.0),
        rng.range(-50.0, 60.0),
        rng.range(-40.0, 40.0),
    );
    let mut image = GrayImage::from_fn(WIDTH, HEIGHT, |x, y| {
        let v = base + dx * x as f32 / WIDTH as f32 + dy * y as f32 / HEIGHT as f32;
        Luma([v.clamp(0.0, 255.0) as u8])
    });
    for _ in 0..5 {
        let (w, h) = (40 + rng.below(200) as u32, 20 + rng.below(120) as u32);
        let (x, y) = (
            rng.below(u64::from(WIDTH - w)) as u32,
            rng.below(u64::from(HEIGHT - h)) as u32,
        );
        let grey = 60 + rng.below(150) as u8;
        fill(&mut image, x, y, w, h, grey);
    }
    image
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

/// Adds Gaussian noise of standard deviation `sigma` to every pixel.
fn add_noise(frame: &mut GrayImage, sigma: f32, rng: &mut Rng) {
    for p in frame.pixels_mut() {
        p[0] = (f32::from(p[0]) + sigma * rng.gauss())
            .round()
            .clamp(0.0, 255.0) as u8;
    }
}

/// Brightens a round spot (Gaussian profile), saturating at white: a reflection of a lamp.
fn glare(frame: &mut GrayImage, cx: f32, cy: f32, radius: f32, strength: f32) {
    for (x, y, p) in frame.enumerate_pixels_mut() {
        let d2 = (x as f32 - cx).powi(2) + (y as f32 - cy).powi(2);
        let add = strength * (-d2 / (2.0 * radius * radius)).exp();
        if add > 0.5 {
            p[0] = (f32::from(p[0]) + add).min(255.0) as u8;
        }
    }
}

/// Averages `length` pixels along the direction `degrees`: a camera moving while exposing.
fn motion_blur(frame: &GrayImage, length: f32, degrees: f32) -> GrayImage {
    let (sin, cos) = degrees.to_radians().sin_cos();
    let steps = length.ceil() as i32;
    GrayImage::from_fn(WIDTH, HEIGHT, |x, y| {
        let mut sum = 0.0;
        for s in 0..=steps {
            let d = length * (s as f32 / steps as f32 - 0.5);
            sum += bilinear(frame, x as f32 + d * cos, y as f32 + d * sin).unwrap_or(128.0);
        }
        Luma([(sum / (steps + 1) as f32).round() as u8])
    })
}

fn bilinear(image: &GrayImage, x: f32, y: f32) -> Option<f32> {
    let (w, h) = (image.width() as f32, image.height() as f32);
    let x = x.clamp(0.0, w - 1.0);
    let y = y.clamp(0.0, h - 1.0);
    let (x0, y0) = (x.floor(), y.floor());
    let (fx, fy) = (x - x0, y - y0);
    let (x0, y0) = (x0 as u32, y0 as u32);
    let (x1, y1) = (
        (x0 + 1).min(image.width() - 1),
        (y0 + 1).min(image.height() - 1),
    );
    let at = |x: u32, y: u32| f32::from(image.get_pixel(x, y)[0]);
    let top = at(x0, y0) * (1.0 - fx) + at(x1, y0) * fx;
    let bottom = at(x0, y1) * (1.0 - fx) + at(x1, y1) * fx;
    Some(top * (1.0 - fy) + bottom * fy)
}

/// Where a code lands in the frame: the frame positions of its four corners (top left, top
/// right, bottom right, bottom left).
struct Pose {
    corners: [(f32, f32); 4],
    /// Frame pixels per image pixel (before any tilt).
    scale: f32,
}

impl Pose {
    /// Scaled by `scale`, rotated by `degrees` about its centre, centred at (`cx`, `cy`).
    fn at(image: &GrayImage, cx: f32, cy: f32, scale: f32, degrees: f32) -> Self {
        let (hw, hh) = (
            image.width() as f32 * scale / 2.0,
            image.height() as f32 * scale / 2.0,
        );
        let (sin, cos) = degrees.to_radians().sin_cos();
        let corners = [(-hw, -hh), (hw, -hh), (hw, hh), (-hw, hh)]
            .map(|(x, y)| (cx + x * cos - y * sin, cy + x * sin + y * cos));
        Self { corners, scale }
    }

    /// Like [`Pose::at`] at a random place where the whole code fits in the frame (shrunk if it
    /// would not fit at all).
    fn centred(rng: &mut Rng, image: &GrayImage, scale: f32, degrees: f32) -> Self {
        let diagonal = (image.width() as f32).hypot(image.height() as f32);
        let scale = scale
            .min(0.95 * HEIGHT as f32 / diagonal)
            .min(0.95 * WIDTH as f32 / image.width() as f32);
        let reach = diagonal * scale / 2.0;
        let reach_x = reach.min(WIDTH as f32 / 2.0);
        let reach_y = reach.min(HEIGHT as f32 / 2.0);
        let cx = rng.range(reach_x, WIDTH as f32 - reach_x);
        let cy = rng.range(reach_y, HEIGHT as f32 - reach_y);
        Self::at(image, cx, cy, scale, degrees)
    }

    /// Shortens one side (0 top, 1 right, 2 bottom, 3 left) by `amount`: seen at an angle.
    fn tilt(&mut self, amount: f32, side: u64) {
        let side = side as usize % 4;
        let (a, b) = (side, (side + 1) % 4);
        let (pa, pb) = (self.corners[a], self.corners[b]);
        let mid = ((pa.0 + pb.0) / 2.0, (pa.1 + pb.1) / 2.0);
        let k = 1.0 - amount;
        self.corners[a] = (mid.0 + (pa.0 - mid.0) * k, mid.1 + (pa.1 - mid.1) * k);
        self.corners[b] = (mid.0 + (pb.0 - mid.0) * k, mid.1 + (pb.1 - mid.1) * k);
    }

    /// Length of the top edge in frame pixels.
    fn size(&self) -> f32 {
        let (a, b) = (self.corners[0], self.corners[1]);
        (b.0 - a.0).hypot(b.1 - a.1)
    }

    /// A random point inside the code (mixing its corners).
    fn point_inside(&self, rng: &mut Rng) -> (f32, f32) {
        let (u, v) = (rng.range(0.2, 0.8), rng.range(0.2, 0.8));
        let [a, b, c, d] = self.corners;
        let top = (a.0 + (b.0 - a.0) * u, a.1 + (b.1 - a.1) * u);
        let bottom = (d.0 + (c.0 - d.0) * u, d.1 + (c.1 - d.1) * u);
        (
            top.0 + (bottom.0 - top.0) * v,
            top.1 + (bottom.1 - top.1) * v,
        )
    }
}

/// Draws `image` into `frame` at `pose` (a projective map), averaging `ss` x `ss` samples per
/// frame pixel (1 = point sampling, which aliases like a camera sensor).
fn place(frame: &mut GrayImage, image: &GrayImage, pose: &Pose, ss: u32) {
    let (w, h) = (image.width() as f32, image.height() as f32);
    let source = [(0.0, 0.0), (w, 0.0), (w, h), (0.0, h)];
    // Frame position -> image position.
    let Some(map) = homography(&pose.corners, &source) else {
        return;
    };
    let xs = pose.corners.map(|c| c.0);
    let ys = pose.corners.map(|c| c.1);
    let left = xs.iter().fold(f32::MAX, |a, &b| a.min(b)).floor().max(0.0) as u32;
    let right = xs
        .iter()
        .fold(f32::MIN, |a, &b| a.max(b))
        .ceil()
        .min(WIDTH as f32) as u32;
    let top = ys.iter().fold(f32::MAX, |a, &b| a.min(b)).floor().max(0.0) as u32;
    let bottom = ys
        .iter()
        .fold(f32::MIN, |a, &b| a.max(b))
        .ceil()
        .min(HEIGHT as f32) as u32;
    for y in top..bottom {
        for x in left..right {
            let under = f32::from(frame.get_pixel(x, y)[0]);
            let mut sum = 0.0;
            for sy in 0..ss {
                for sx in 0..ss {
                    let fx = x as f32 + (sx as f32 + 0.5) / ss as f32;
                    let fy = y as f32 + (sy as f32 + 0.5) / ss as f32;
                    let z = map[6] * fx + map[7] * fy + 1.0;
                    let u = (map[0] * fx + map[1] * fy + map[2]) / z;
                    let v = (map[3] * fx + map[4] * fy + map[5]) / z;
                    sum += if (0.0..w).contains(&u) && (0.0..h).contains(&v) {
                        let px = image.get_pixel(u as u32, v as u32)[0];
                        f32::from(px)
                    } else {
                        under
                    };
                }
            }
            frame.put_pixel(x, y, Luma([(sum / (ss * ss) as f32).round() as u8]));
        }
    }
}

/// The projective map taking each `from` point to the matching `to` point: the 8 coefficients
/// (h33 = 1), or `None` when the points are degenerate.
fn homography(from: &[(f32, f32); 4], to: &[(f32, f32); 4]) -> Option<[f32; 8]> {
    let mut m = [[0.0_f64; 9]; 8];
    for i in 0..4 {
        let (x, y) = (f64::from(from[i].0), f64::from(from[i].1));
        let (u, v) = (f64::from(to[i].0), f64::from(to[i].1));
        m[2 * i] = [x, y, 1.0, 0.0, 0.0, 0.0, -u * x, -u * y, u];
        m[2 * i + 1] = [0.0, 0.0, 0.0, x, y, 1.0, -v * x, -v * y, v];
    }
    for col in 0..8 {
        let pivot = (col..8).max_by(|&a, &b| m[a][col].abs().total_cmp(&m[b][col].abs()))?;
        if m[pivot][col].abs() < 1e-12 {
            return None;
        }
        m.swap(col, pivot);
        for row in 0..8 {
            if row != col {
                let f = m[row][col] / m[col][col];
                let pivot_row = m[col];
                for (value, pivot) in m[row].iter_mut().zip(pivot_row).skip(col) {
                    *value -= f * pivot;
                }
            }
        }
    }
    let mut h = [0.0_f32; 8];
    for (i, value) in h.iter_mut().enumerate() {
        *value = (m[i][8] / m[i][i]) as f32;
    }
    Some(h)
}

/// A seeded xorshift generator: the same pictures every run.
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Self {
        let mut rng = Self(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1);
        for _ in 0..4 {
            rng.next();
        }
        rng
    }

    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, bound: u64) -> u64 {
        self.next() % bound.max(1)
    }

    /// Uniform in `[0, 1)`.
    fn unit(&mut self) -> f32 {
        (self.next() >> 40) as f32 / (1u64 << 24) as f32
    }

    fn range(&mut self, low: f32, high: f32) -> f32 {
        low + (high - low) * self.unit()
    }

    /// Standard normal (Box-Muller).
    fn gauss(&mut self) -> f32 {
        let u = self.unit().max(1e-7);
        let v = self.unit();
        (-2.0 * u.ln()).sqrt() * (std::f32::consts::TAU * v).cos()
    }

    fn word(&mut self, len: usize) -> String {
        const ALPHABET: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789";
        (0..len)
            .map(|_| char::from(ALPHABET[self.below(ALPHABET.len() as u64) as usize]))
            .collect()
    }
}
