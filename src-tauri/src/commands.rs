//! The Tauri commands the wallet's screens call. Each one converts input, calls a library, and
//! maps the error to the stable `{code, message}` shape.

use serde::Serialize;

/// What the About screen and the first screen's footer show.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct AppInfo {
    /// The product name.
    pub name: String,
    /// The app's version (the workspace version).
    pub version: String,
    /// The wallet Linker plays by default.
    pub default_wallet: String,
}

/// Returns the app's name and version.
#[tauri::command]
pub fn app_info() -> AppInfo {
    AppInfo {
        name: "Linker".to_owned(),
        version: env!("CARGO_PKG_VERSION").to_owned(),
        default_wallet: "TEST_WALLET".to_owned(),
    }
}
