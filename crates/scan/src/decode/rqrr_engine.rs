//! The rqrr engine: quirc's QR detector, which finds every QR code in one pass.

use super::{Decoded, Point, Symbology};

/// Every QR code rqrr finds and decodes; grids that fail to decode are skipped.
pub(super) fn decode(width: u32, height: u32, luma: &[u8]) -> Vec<Decoded> {
    let (width, height) = (width as usize, height as usize);
    let mut prepared = rqrr::PreparedImage::prepare_from_greyscale(width, height, |x, y| {
        luma.get(y * width + x).copied().unwrap_or(u8::MAX)
    });
    prepared
        .detect_grids()
        .into_iter()
        .filter_map(|grid| {
            let (_, text) = grid.decode().ok()?;
            let points = grid
                .bounds
                .iter()
                .map(|p| Point {
                    x: p.x as f32,
                    y: p.y as f32,
                })
                .collect();
            Some(Decoded::new(Symbology::QrCode, text, points))
        })
        .collect()
}
