//! The rxing engine: ZXing's multi-format reader, run repeatedly over the regions around each
//! code found, so that several codes in one picture are all read.

use std::collections::HashSet;

use rxing::common::HybridBinarizer;
use rxing::multi::{GenericMultipleBarcodeReader, MultipleBarcodeReader};
use rxing::{BarcodeFormat, BinaryBitmap, DecodeHints, Luma8Source, MultiUseMultiFormatReader};

use super::{Decoded, Point, Symbology};

/// Every QR code and Code 128 barcode rxing finds; nothing found (or any rxing error) is empty.
pub(super) fn decode(width: u32, height: u32, luma: &[u8]) -> Vec<Decoded> {
    let Ok(source) = Luma8Source::new_with_slice(luma, width, height) else {
        return Vec::new();
    };
    let hints = DecodeHints {
        TryHarder: Some(true),
        PossibleFormats: Some(HashSet::from([
            BarcodeFormat::QR_CODE,
            BarcodeFormat::CODE_128,
        ])),
        ..DecodeHints::default()
    };
    let mut reader = GenericMultipleBarcodeReader::new(MultiUseMultiFormatReader::default());
    let mut bitmap = BinaryBitmap::new(HybridBinarizer::new(source));
    let Ok(results) = reader.decode_multiple_with_hints(&mut bitmap, &hints) else {
        return Vec::new();
    };
    results
        .iter()
        .filter_map(|result| {
            let symbology = match result.getBarcodeFormat() {
                BarcodeFormat::QR_CODE => Symbology::QrCode,
                BarcodeFormat::CODE_128 => Symbology::Code128,
                _ => return None,
            };
            let points = result
                .getPoints()
                .iter()
                .map(|p| Point { x: p.x, y: p.y })
                .collect();
            Some(Decoded::new(symbology, result.getText().to_owned(), points))
        })
        .collect()
}
