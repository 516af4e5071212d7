//! Build script: lets tauri-build read `tauri.conf.json` at the workspace root and the
//! capability files under `src-tauri/capabilities/`.

fn main() {
    tauri_build::try_build(
        tauri_build::Attributes::new()
            .capabilities_path_pattern("./src-tauri/capabilities/**/*")
            .app_manifest(tauri_build::AppManifest::new().commands(&["app_info"])),
    )
    .unwrap_or_else(|error| panic!("tauri-build failed: {error:#}"));
}
