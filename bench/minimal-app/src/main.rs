//! A minimal Tauri app (one static page) that sets the floor for the wallet app's start
//! benchmark: with `LINKER_FIRST_SCREEN=1` it prints `linker-first-screen <unix ns>` on stderr
//! when its page reports its first screen drawn, exactly as `linker-app` does.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

use tauri::{Listener, Manager};

/// Now, in nanoseconds since the Unix epoch.
fn unix_nanos() -> u128 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|elapsed| elapsed.as_nanos())
        .unwrap_or_default()
}

/// Prints `linker-mark <name> <unix ns>` when LINKER_FIRST_SCREEN=1 (as linker-app does).
fn mark(name: &str) {
    if std::env::var("LINKER_FIRST_SCREEN").is_ok_and(|value| value == "1") {
        eprintln!("linker-mark {name} {}", unix_nanos());
    }
}

fn main() {
    mark("run");
    let result = tauri::Builder::default()
        .setup(|app| {
            // LINKER_MINIMAL_LIGHT=1: WebKit's accelerated compositing and WebGL off, so the
            // benchmark also shows the floor without them (under Xvfb they go through software GL).
            #[cfg(target_os = "linux")]
            if std::env::var("LINKER_MINIMAL_LIGHT").is_ok_and(|value| value == "1")
                && let Some(window) = app.get_webview_window("main")
            {
                window.with_webview(|webview| {
                    use webkit2gtk::{HardwareAccelerationPolicy, SettingsExt, WebViewExt};
                    if let Some(settings) = WebViewExt::settings(&webview.inner()) {
                        settings
                            .set_hardware_acceleration_policy(HardwareAccelerationPolicy::Never);
                        settings.set_enable_webgl(false);
                    }
                })?;
            }
            // The same reports as linker-app's (src-tauri/src/timeline.rs), so the benchmark
            // reads both timelines alike.
            if std::env::var("LINKER_FIRST_SCREEN").is_ok_and(|value| value == "1") {
                mark("setup");
                app.listen_any("first-screen-drawn", |event| {
                    let heard = unix_nanos();
                    eprintln!("linker-page-marks {}", event.payload());
                    eprintln!("linker-first-screen {heard}");
                });
            }
            Ok(())
        })
        .run(tauri::generate_context!());
    if let Err(error) = result {
        eprintln!("minimal app: could not start: {error}");
        std::process::exit(1);
    }
}
