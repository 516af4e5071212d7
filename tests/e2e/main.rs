//! End-to-end tests of the Linker wallet: the real app in a real WebKit window, driven over
//! WebDriver (tauri-driver + WebKitWebDriver) under Xvfb.
//!
//! One test binary with a module per flow; `harness` starts the display, the driver and the app
//! session, and fails with a message naming whichever of them could not be started.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

mod first_screen;
mod harness;
