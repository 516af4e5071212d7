//! The `linker` binary as a user runs it: real files, real processes, exit codes and output.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

mod bench;
mod code;
mod hub;
mod phone;
mod restart;
mod runner;
mod signatures;
mod tsp_mode;

use std::path::PathBuf;

use assert_cmd::Command;

/// The `linker` binary under test.
pub fn linker() -> Command {
    Command::cargo_bin("linker").expect("the linker binary is built")
}

/// The known-answer vector shared with the rest of the project.
pub fn vector() -> serde_json::Value {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../spec/signature-vector.json");
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|error| panic!("the signature vector at {}: {error}", path.display()));
    serde_json::from_str(&text).expect("the vector is JSON")
}
