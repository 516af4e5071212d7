//! Build script: tauri-build reads this app's `tauri.conf.json` and capabilities.

fn main() {
    tauri_build::build();
}
