//! Pictures of the generated hard set (`hard_set.rs`, the set `scripts/bench-decode.sh` measures)
//! that the default engine must read exactly: a few per category where ZXing-C++ on its own
//! misses (inverted barcodes, barcodes under 2 px a bar, glare, several codes in a frame, moire,
//! perspective, low contrast), and every code-free frame, which must yield nothing.

use linker_scan::{Decoded, Engine, decode_luma, decode_luma_with};

use crate::hard_set;

/// Decodes picture `index` of `category` with the default engine; `Err` describes a miss or a
/// code the picture does not hold.
fn read_exactly(category: &str, index: usize) -> Result<(), String> {
    let (stem, picture) = hard_set::picture(category, index).map_err(|e| e.to_string())?;
    let frame = &picture.frame;
    let found = decode_luma(frame.width(), frame.height(), frame.as_raw())
        .map_err(|e| format!("{category}/{stem}: {e}"))?;
    let texts = |codes: &[Decoded]| -> Vec<(String, String)> {
        let mut list: Vec<_> = codes
            .iter()
            .map(|d| (d.symbology.as_str().to_owned(), d.text.clone()))
            .collect();
        list.sort();
        list
    };
    let mut expected: Vec<_> = picture
        .codes
        .iter()
        .map(|(s, t)| (s.as_str().to_owned(), t.clone()))
        .collect();
    expected.sort();
    let found = texts(&found);
    if found == expected {
        Ok(())
    } else {
        Err(format!(
            "{category}/{stem} ({}): expected {expected:?}, found {found:?}",
            picture.description
        ))
    }
}

fn assert_all_read(pictures: &[(&str, usize)]) {
    let failures: Vec<String> = pictures
        .iter()
        .filter_map(|&(category, index)| read_exactly(category, index).err())
        .collect();
    assert!(
        failures.is_empty(),
        "{} of {} pictures not read exactly:\n{}",
        failures.len(),
        pictures.len(),
        failures.join("\n")
    );
}

#[test]
fn inverted_codes_read_light_on_dark_qr_codes_and_barcodes() {
    // 0: payment QR, 1: payment Code 128, 2: order QR, 13: Code 128 tilted.
    assert_all_read(&[
        ("inverted", 0),
        ("inverted", 1),
        ("inverted", 2),
        ("inverted", 13),
    ]);
}

#[test]
fn small_low_contrast_and_tilted_barcodes_read() {
    assert_all_read(&[
        ("scaled", 5),
        ("scaled", 9),
        ("lowcontrast", 21),
        ("perspective", 9),
        ("moire", 13),
    ]);
}

#[test]
fn glare_and_faint_qr_codes_read() {
    assert_all_read(&[
        ("glare", 4),
        ("glare", 16),
        ("lowcontrast", 6),
        ("lowcontrast", 11),
        ("perspective", 14),
    ]);
}

#[test]
fn every_code_in_a_frame_of_several_reads() {
    assert_all_read(&[("multi", 2), ("multi", 4), ("multi", 8), ("multi", 20)]);
}

#[test]
fn frames_without_a_code_yield_nothing_with_any_engine() {
    // Stripes like bars, module grids with finder-like squares, text, noise: no false decode
    // (the first 10 of the set's 20; the benchmark checks all).
    let mut false_reads = Vec::new();
    for index in 0..10 {
        let (stem, picture) = hard_set::picture("none", index).unwrap();
        let frame = &picture.frame;
        for engine in Engine::ALL {
            let found =
                decode_luma_with(engine, frame.width(), frame.height(), frame.as_raw()).unwrap();
            if !found.is_empty() {
                false_reads.push(format!(
                    "{stem} ({}) with {}: {found:?}",
                    picture.description,
                    engine.as_str()
                ));
            }
        }
    }
    assert!(
        false_reads.is_empty(),
        "false decodes:\n{}",
        false_reads.join("\n")
    );
}
