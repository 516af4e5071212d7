//! The decode test set: every image in `tests/decode-set/` decodes to the codes its manifest lists.

use linker_scan::{Symbology, decode, decode_luma};

use crate::manifest;

#[test]
fn every_image_of_the_decode_set_reads_as_its_manifest_says() {
    let entries = manifest::load().unwrap();
    assert!(entries.len() >= 25, "the set has {} images", entries.len());
    let mut failures = Vec::new();
    let mut read = 0;
    for entry in &entries {
        let bytes = std::fs::read(manifest::dir().join(&entry.file)).unwrap();
        let found = match decode(&bytes) {
            Ok(found) => found,
            Err(error) => {
                failures.push(format!("{}: error {error}", entry.file));
                continue;
            }
        };
        let missing = manifest::missing(entry, &found);
        let unexpected = manifest::unexpected(entry, &found);
        if !unexpected.is_empty() || (entry.expect_read && !missing.is_empty()) {
            let found: Vec<_> = found
                .iter()
                .map(|d| format!("{}:{}", d.symbology.as_str(), d.text))
                .collect();
            failures.push(format!(
                "{} ({}): missing {missing:?}, unexpected {unexpected:?}, found {found:?}",
                entry.file, entry.description
            ));
        }
        if missing.is_empty() {
            read += 1;
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} images read; failures:\n{}",
        read,
        entries.len(),
        failures.join("\n")
    );
}

#[test]
fn positions_point_at_each_code_in_a_frame() {
    let image = image::open(manifest::dir().join("frame-qr-and-barcode.png"))
        .unwrap()
        .into_luma8();
    let found = decode_luma(image.width(), image.height(), image.as_raw()).unwrap();
    // The generator pastes the QR (232 px) at (120, 120) and the barcode (561x240) at (620, 250).
    let qr = found
        .iter()
        .find(|d| d.symbology == Symbology::QrCode)
        .unwrap();
    let bar = found
        .iter()
        .find(|d| d.symbology == Symbology::Code128)
        .unwrap();
    let (qc, bc) = (qr.bounds.centre(), bar.bounds.centre());
    assert!(
        (120.0..352.0).contains(&qc.x) && (120.0..352.0).contains(&qc.y),
        "QR centre {qc:?} in its pasted square; {qr:?}"
    );
    assert!(
        (620.0..1181.0).contains(&bc.x) && (250.0..490.0).contains(&bc.y),
        "barcode centre {bc:?} in its pasted box; {bar:?}"
    );
    assert!(
        qr.points.len() >= 3,
        "a QR is located by at least 3 points: {:?}",
        qr.points
    );
}
