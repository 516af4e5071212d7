//! linker-app: the Linker wallet, a Tauri 2 shell over Linker's library crates.
//!
//! Commands ([`commands`]) are one-liners over linker-wallet; live run events are forwarded by
//! [`live`]; demo mode ([`demo`]) runs linker-demo in-process; the screens live in `ui/`. The
//! same [`register`] function wires the real app and the mock-runtime tests, so both exercise
//! one code path.

pub mod camera;
pub mod commands;
pub mod demo;
pub mod live;
pub mod state;
pub mod timeline;

use tauri::Manager;

pub use state::AppState;
pub use timeline::FIRST_SCREEN_ENV;

/// Adds every command of the wallet to a Tauri builder, and opens the wallet at start unless an
/// [`AppState`] is already managed (tests manage their own).
pub fn register<R: tauri::Runtime>(builder: tauri::Builder<R>) -> tauri::Builder<R> {
    builder
        .setup(|app| {
            timeline::mark("setup");
            timeline::listen(app);
            // Phones scan with the system camera through Tauri's official plugin; desktops
            // use getUserMedia in the web view, which `camera` turns on.
            #[cfg(mobile)]
            app.handle().plugin(tauri_plugin_barcode_scanner::init())?;
            // Desktops: the wallet's window may use the camera (see `camera`).
            if let Some(main) = app.get_webview_window("main") {
                camera::allow_in(&main);
            }
            timeline::mark("camera-wired");
            if app.try_state::<AppState>().is_none() {
                let dir = state::data_dir_from_env(app.path().app_data_dir().ok());
                let hub_url = std::env::var(state::HUB_ENV).ok();
                let opened = AppState::open(&dir, hub_url)
                    .map_err(|error| format!("{}: {}", error.code, error.message))?;
                app.manage(opened);
                timeline::mark("wallet-opened");
            }
            timeline::mark("setup-done");
            Ok(())
        })
        .invoke_handler(tauri::generate_handler![
            commands::app_info,
            commands::session,
            commands::sign_in_with_invitation,
            commands::sign_in,
            commands::sign_out,
            commands::cases,
            commands::case,
            commands::start_run,
            commands::follow_run,
            commands::current_run,
            commands::run,
            commands::history,
            commands::verdict,
            commands::payment_code,
            commands::new_payment_code,
            commands::scan_text,
            commands::scan_image,
            commands::scan_file,
            commands::scan_frame,
            commands::scan_unissued_code,
            commands::read_codes,
            commands::codes_on_screen,
            commands::open_page,
            commands::open_payment_url,
            commands::confirm_payment,
            commands::decline_payment,
            commands::back_out,
            commands::redirected,
            commands::inspect_authorization,
            commands::authorize,
            commands::decline_authorization,
            commands::authorizations,
            commands::revoke_authorization,
            commands::open_merchant_site,
            commands::answer_manual,
            commands::attach_photo,
            commands::sync_status,
            commands::sync_now,
            commands::outbox,
            commands::settings,
            commands::update_settings,
            commands::wallets,
            commands::generate_qr,
            commands::save_qr,
            commands::start_demo,
            commands::demo_info,
            commands::open_pos,
        ])
}

/// Starts the wallet app (desktop `main` and the mobile entry point).
#[cfg_attr(mobile, tauri::mobile_entry_point)]
pub fn run() {
    timeline::mark("run");
    paint_on_cpu();
    let result = register(tauri::Builder::default()).run(tauri::generate_context!());
    if let Err(error) = result {
        eprintln!("linker: the wallet app could not start: {error}");
        std::process::exit(1);
    }
}

/// Has WebKitGTK paint the page's tiles with Skia on the CPU (compositing stays on), unless
/// `WEBKIT_SKIA_ENABLE_CPU_RENDERING` is already set (`0` gives WebKit's GPU painting back).
/// Without a GPU (Xvfb, software GL) WebKit's GPU painting of the welcome screen took 2.7 s from
/// the page's `load` to its first frame, against about 0.2 s on the CPU, where the minimal app's
/// plain page is not slowed (`scripts/bench-app.sh --timeline`, on a loaded machine).
/// Called first in [`run`], before any thread or web process starts, which then inherit it.
fn paint_on_cpu() {
    #[cfg(target_os = "linux")]
    if let Err(error) = webkit2gtk::glib::setenv("WEBKIT_SKIA_ENABLE_CPU_RENDERING", "1", false) {
        eprintln!("linker: could not ask WebKit to paint on the CPU: {error}");
    }
}

#[cfg(test)]
mod tests;
