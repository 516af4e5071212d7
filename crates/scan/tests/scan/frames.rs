//! The camera stream: a [`FrameScanner`] shown a picture of the hard set (`hard_set.rs`) for
//! [`FrameScanner::ROTATION`] consecutive frames reads what the full cascade reads (pictures that
//! need the inverted, stretched or flattened pass), and never reads a code a frame does not hold.

use linker_scan::{Decoded, FrameScanner, ScanError};

use crate::hard_set;

/// Every (symbology, text) read in `ROTATION` frames of one picture, sorted, and on which frame
/// (0-based) the last new code came.
fn read_over_rotation(
    scanner: &mut FrameScanner,
    frame: &image::GrayImage,
    rgba: bool,
) -> (Vec<(String, String)>, usize) {
    let mut found: Vec<(String, String)> = Vec::new();
    let mut last_new = 0;
    for n in 0..FrameScanner::ROTATION {
        let codes: Vec<Decoded> = if rgba {
            let pixels: Vec<u8> = frame
                .as_raw()
                .iter()
                .flat_map(|&v| [v, v, v, 255])
                .collect();
            scanner.scan_rgba(frame.width(), frame.height(), &pixels)
        } else {
            scanner.scan_luma(frame.width(), frame.height(), frame.as_raw())
        }
        .unwrap();
        for code in codes {
            let key = (code.symbology.as_str().to_owned(), code.text);
            if !found.contains(&key) {
                found.push(key);
                last_new = n;
            }
        }
    }
    found.sort();
    (found, last_new)
}

fn assert_streams_read(pictures: &[(&str, usize)], rgba: bool) {
    let mut failures = Vec::new();
    for &(category, index) in pictures {
        let (stem, picture) = hard_set::picture(category, index).unwrap();
        let mut expected: Vec<(String, String)> = picture
            .codes
            .iter()
            .map(|(s, t)| (s.as_str().to_owned(), t.clone()))
            .collect();
        expected.sort();
        let (found, frame) = read_over_rotation(&mut FrameScanner::new(), &picture.frame, rgba);
        if found != expected {
            failures.push(format!(
                "{category}/{stem} ({}): expected {expected:?} within {} frames, found {found:?} \
                 (last new code on frame {frame})",
                picture.description,
                FrameScanner::ROTATION
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} camera streams not read exactly:\n{}",
        failures.len(),
        pictures.len(),
        failures.join("\n")
    );
}

#[test]
fn a_frame_scanner_reads_inverted_small_and_glare_codes_within_one_rotation() {
    // Inverted QR and Code 128 (the inverted pass), barcodes under 2 px a bar and tilted (the
    // stretched pass), glare and faint QR codes (the flattened pass), several codes in a frame.
    assert_streams_read(
        &[
            ("inverted", 0),
            ("inverted", 1),
            ("inverted", 13),
            ("scaled", 5),
            ("scaled", 9),
            ("perspective", 9),
            ("glare", 4),
            ("glare", 16),
            ("lowcontrast", 6),
            ("multi", 4),
        ],
        false,
    );
}

#[test]
fn a_frame_scanner_reads_rgba_frames_like_luma_frames() {
    assert_streams_read(&[("inverted", 1), ("glare", 4)], true);
}

#[test]
fn a_frame_scanner_reads_nothing_in_frames_without_a_code() {
    // One scanner for all of them, as for a camera; each frame meets every pass of the rotation.
    let mut scanner = FrameScanner::new();
    let mut false_reads = Vec::new();
    for index in 0..10 {
        let (stem, picture) = hard_set::picture("none", index).unwrap();
        let (found, _) = read_over_rotation(&mut scanner, &picture.frame, false);
        if !found.is_empty() {
            false_reads.push(format!("{stem} ({}): {found:?}", picture.description));
        }
    }
    assert!(
        false_reads.is_empty(),
        "false decodes from the camera stream:\n{}",
        false_reads.join("\n")
    );
}

#[test]
fn a_frame_scanner_refuses_a_frame_of_the_wrong_size() {
    let error = FrameScanner::new().scan_luma(4, 4, &[0; 15]).unwrap_err();
    assert!(
        matches!(
            error,
            ScanError::FrameSize {
                expected: 16,
                actual: 15,
                ..
            }
        ),
        "a 15-byte 4x4 luma frame gave {error:?}"
    );
}
