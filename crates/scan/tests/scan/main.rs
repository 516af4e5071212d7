//! The linker-scan integration tests: rendering, the decode test set, pictures of the generated
//! hard set, the camera-stream scanner, robustness on bad input.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests fail loudly")]

mod decode_set;
mod frames;
mod hard;
mod hard_set;
mod manifest;
mod render;
mod robustness;
