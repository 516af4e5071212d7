//! Robustness: bad input gives an error or no codes, never a panic.

use linker_scan::{ScanError, decode, decode_luma, decode_rgba};
use proptest::prelude::*;

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..2048)) {
        let result = decode(&bytes);
        prop_assert!(matches!(&result, Ok(found) if found.is_empty()) || result.is_err(), "{result:?}");
    }

    #[test]
    fn png_and_jpeg_headers_with_junk_never_panic(
        jpeg in any::<bool>(),
        tail in proptest::collection::vec(any::<u8>(), 0..1024),
    ) {
        let mut bytes = if jpeg { vec![0xFF, 0xD8, 0xFF, 0xE0] } else { b"\x89PNG\r\n\x1a\n".to_vec() };
        bytes.extend(tail);
        let result = decode(&bytes);
        prop_assert!(matches!(&result, Ok(found) if found.is_empty()) || result.is_err(), "{result:?}");
    }

    #[test]
    fn arbitrary_frames_never_panic(width in 0u32..96, height in 0u32..96, seed in any::<u8>()) {
        let luma: Vec<u8> = (0..width * height).map(|i| (i as u8).wrapping_mul(seed) ^ seed).collect();
        prop_assert!(decode_luma(width, height, &luma).is_ok(), "{width}x{height} frame");
    }
}

#[test]
fn a_truncated_png_is_an_unreadable_image() {
    let png = linker_scan::text_qr("hello", &linker_scan::QrOptions::default())
        .unwrap()
        .to_png()
        .unwrap();
    let error = decode(&png[..png.len() / 2]).unwrap_err();
    assert_eq!(error.code(), "unreadable_image", "{error}");
}

#[test]
fn a_frame_buffer_of_the_wrong_size_is_refused() {
    let error = decode_rgba(10, 10, &[0; 399]).unwrap_err();
    assert_eq!(
        error,
        ScanError::FrameSize {
            width: 10,
            height: 10,
            expected: 400,
            actual: 399
        },
        "{error}"
    );
    assert_eq!(
        decode_luma(0, 0, &[]),
        Ok(Vec::new()),
        "an empty frame holds no code"
    );
}

#[test]
fn a_blank_frame_holds_no_code() {
    let white = vec![255u8; 640 * 480];
    assert_eq!(decode_luma(640, 480, &white), Ok(Vec::new()), "white frame");
    let rgba_transparent = vec![0u8; 64 * 64 * 4];
    assert_eq!(
        decode_rgba(64, 64, &rgba_transparent),
        Ok(Vec::new()),
        "transparent frame"
    );
}
