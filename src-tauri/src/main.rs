//! The Linker wallet's desktop entry point.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

fn main() {
    linker_app::run();
}
