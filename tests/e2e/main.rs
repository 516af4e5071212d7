//! End-to-end tests of the Linker wallet: the real app in a real WebKit window, driven over
//! WebDriver (tauri-driver + WebKitWebDriver) under Xvfb, against a real hub and the reference
//! acquirer started in the test process (linker-demo).
//!
//! One test binary with a module per flow; `harness` starts the display, the driver and the app
//! session, and fails with a message naming whichever of them could not be started; `flows`
//! holds the steps the wallet tests share.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

mod camera;
mod cases;
mod first_screen;
mod flows;
mod harness;
mod offline;
mod online;
