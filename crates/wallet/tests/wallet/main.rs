//! linker-wallet against a real hub on a loopback port, with real SQLite files in temp folders.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

mod commands;
mod offline;
mod runs;
mod scan;
mod session;
mod support;
