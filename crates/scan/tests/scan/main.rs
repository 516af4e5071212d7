//! The linker-scan integration tests: rendering, the decode test set, robustness on bad input.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests fail loudly")]

mod decode_set;
mod manifest;
mod render;
mod robustness;
