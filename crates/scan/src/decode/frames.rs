//! Camera streams: [`FrameScanner`] spreads the cascade of [`super::Engine::ZxingCascade`] over
//! consecutive frames, so that each frame costs about two ZXing-C++ passes instead of up to four.
//!
//! A still image gets one chance and the whole cascade (`decode`); a camera shows the same code
//! many times a second, so a frame runs the main pass (upright only) plus the next of four extra
//! passes in turn: the cascade's other three and the main pass's reading of the frame turned 90
//! degrees. A code held before the camera for [`FrameScanner::ROTATION`] frames has met every
//! pass of the cascade. The camera's passes are cheaper versions of the cascade's where that
//! reads the same codes on the hard set: QR codes with ZXing-C++'s quicker finder search, Code
//! 128 on the frame at half its height (two rows averaged into one), and no main-pass Code 128
//! on the frame that runs the stretched Code 128 pass; their buffers persist from frame to frame.
//! Measured on the hard set in `tests/decode-set/BENCH.md`: the stream reads there what the
//! cascade reads, at about half its CPU per frame and under 10 ms for a 1280x720 frame.

use super::{Decoded, ScanError, check_frame_size, guarded, rgba_to_luma, zxing_engine};

/// The passes of the cascade a frame may add to the main pass, in turn.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Extra {
    /// Code 128 on the frame stretched twice as wide (small, tilted and second barcodes).
    Stretched,
    /// Both symbologies on the inverted frame, when the main pass found nothing.
    Inverted,
    /// QR codes on the flattened frame (glare, faint codes), when the main pass found nothing.
    Flattened,
    /// Code 128 on the frame turned 90 degrees (vertical barcodes), when nothing was found: the
    /// main pass on every frame reads the frame upright only.
    Turned,
}

/// The order of the extra passes (the stretched barcode pass first: the cascade always runs it).
const TURNS: [Extra; FrameScanner::ROTATION] = [
    Extra::Stretched,
    Extra::Inverted,
    Extra::Flattened,
    Extra::Turned,
];

/// Reads codes from a camera stream, one frame at a time, with a per-frame budget: the main
/// ZXing-C++ pass on every frame, plus one of the cascade's other passes in rotation.
#[derive(Debug, Clone, Default)]
pub struct FrameScanner {
    /// Index into [`TURNS`] of the next frame's extra pass.
    turn: usize,
    /// The extra passes' buffers, reused from frame to frame.
    scratch: zxing_engine::Scratch,
}

impl FrameScanner {
    /// Consecutive frames over which every pass of the cascade has run once.
    pub const ROTATION: usize = 4;

    /// A scanner whose next frame runs the first extra pass.
    pub fn new() -> Self {
        Self::default()
    }

    /// Every code this raw 8-bit greyscale frame shows (1 byte per pixel, row-major, no padding)
    /// to the main pass and this frame's extra pass.
    pub fn scan_luma(
        &mut self,
        width: u32,
        height: u32,
        luma: &[u8],
    ) -> Result<Vec<Decoded>, ScanError> {
        check_frame_size(width, height, 1, luma.len())?;
        let extra = TURNS[self.turn % TURNS.len()];
        self.turn = (self.turn + 1) % TURNS.len();
        if width == 0 || height == 0 {
            return Ok(Vec::new());
        }
        let scratch = &mut self.scratch;
        guarded("frame scanner", || {
            // The stretched pass is this frame's Code 128 reading: the main pass of the other
            // frames of the rotation reads Code 128, so a held code loses nothing.
            let code128 = extra != Extra::Stretched;
            let mut found = zxing_engine::camera_main_pass(width, height, luma, code128, scratch);
            match extra {
                Extra::Stretched => {
                    found.extend(zxing_engine::stretched_code128_pass(
                        width, height, luma, scratch,
                    ));
                }
                Extra::Inverted if found.is_empty() => {
                    found = zxing_engine::camera_inverted_pass(width, height, luma, scratch);
                }
                Extra::Flattened if found.is_empty() => {
                    found = zxing_engine::flattened_qr_pass(width, height, luma, scratch);
                }
                Extra::Turned if found.is_empty() => {
                    found = zxing_engine::turned_code128_pass(width, height, luma, scratch);
                }
                Extra::Inverted | Extra::Flattened | Extra::Turned => {}
            }
            zxing_engine::distinct(found)
        })
    }

    /// [`Self::scan_luma`] for a raw RGBA frame (4 bytes per pixel, row-major, no padding);
    /// transparent pixels count as white.
    pub fn scan_rgba(
        &mut self,
        width: u32,
        height: u32,
        rgba: &[u8],
    ) -> Result<Vec<Decoded>, ScanError> {
        check_frame_size(width, height, 4, rgba.len())?;
        self.scan_luma(width, height, &rgba_to_luma(rgba))
    }
}
