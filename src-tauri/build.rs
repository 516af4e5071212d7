//! Build script: lets tauri-build read `tauri.conf.json` at the workspace root and the
//! capability files under `src-tauri/capabilities/`.

/// Every command of the app (the capability file allows each one).
const COMMANDS: &[&str] = &[
    "app_info",
    "session",
    "sign_in_with_invitation",
    "sign_in",
    "sign_out",
    "cases",
    "case",
    "start_run",
    "follow_run",
    "current_run",
    "run",
    "history",
    "verdict",
    "payment_code",
    "new_payment_code",
    "scan_text",
    "scan_image",
    "scan_file",
    "scan_frame",
    "scan_unissued_code",
    "read_codes",
    "codes_on_screen",
    "open_page",
    "open_payment_url",
    "confirm_payment",
    "decline_payment",
    "back_out",
    "redirected",
    "inspect_authorization",
    "authorize",
    "decline_authorization",
    "authorizations",
    "revoke_authorization",
    "open_merchant_site",
    "answer_manual",
    "attach_photo",
    "sync_status",
    "sync_now",
    "outbox",
    "settings",
    "update_settings",
    "wallets",
    "generate_qr",
    "save_qr",
    "start_demo",
    "demo_info",
    "open_pos",
];

fn main() {
    tauri_build::try_build(
        tauri_build::Attributes::new()
            .capabilities_path_pattern("./src-tauri/capabilities/**/*")
            .app_manifest(tauri_build::AppManifest::new().commands(COMMANDS)),
    )
    .unwrap_or_else(|error| panic!("tauri-build failed: {error:#}"));
}
