//! What the app holds while it runs: the wallet (one per data folder), the demo when one was
//! started, and the runs whose events are being forwarded to the screens.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use linker_demo::Demo;
use linker_wallet::{ErrorView, SettingsUpdate, Wallet, WalletOptions};

/// Names the wallet's data folder (tests point it at a temporary folder).
pub const DATA_ENV: &str = "LINKER_WALLET_DATA";
/// Names the hub the wallet talks to, overriding the saved setting at start.
pub const HUB_ENV: &str = "LINKER_HUB_URL";
/// Set to `1` to start in demo mode (as `--demo` does).
pub const DEMO_ENV: &str = "LINKER_DEMO";

/// The app's state, managed by Tauri.
pub struct AppState {
    /// The wallet every command calls.
    pub wallet: Wallet,
    /// The in-process demo (hub, project, merchant, reference acquirer), once started.
    pub demo: tokio::sync::Mutex<Option<Demo>>,
    /// Runs whose events are being forwarded to the screens (one forwarder per run).
    pub followed: Mutex<HashSet<String>>,
}

impl AppState {
    /// Opens the wallet in `data_dir`; `hub_url`, when given, replaces the saved hub URL.
    pub fn open(data_dir: &Path, hub_url: Option<String>) -> Result<AppState, ErrorView> {
        let wallet = Wallet::open(data_dir.join("wallet"), WalletOptions::default())
            .map_err(|error| error.view())?;
        if let Some(url) = hub_url.filter(|url| !url.trim().is_empty()) {
            wallet
                .update_settings(SettingsUpdate {
                    hub_url: Some(url),
                    ..SettingsUpdate::default()
                })
                .map_err(|error| error.view())?;
        }
        Ok(AppState {
            wallet,
            demo: tokio::sync::Mutex::new(None),
            followed: Mutex::new(HashSet::new()),
        })
    }

    /// The folder the demo keeps its hub, acquirer and merchant in: beside the wallet's.
    pub fn demo_dir(&self) -> PathBuf {
        self.wallet
            .data_dir()
            .parent()
            .map(|parent| parent.join("demo"))
            .unwrap_or_else(|| self.wallet.data_dir().join("demo"))
    }

    /// Marks `run_id` as followed; false when it already was.
    pub fn start_following(&self, run_id: &str) -> bool {
        match self.followed.lock() {
            Ok(mut followed) => followed.insert(run_id.to_owned()),
            Err(_) => false,
        }
    }

    /// Forgets that `run_id` is followed (its stream ended).
    pub fn stop_following(&self, run_id: &str) {
        if let Ok(mut followed) = self.followed.lock() {
            followed.remove(run_id);
        }
    }
}

/// The data folder: `LINKER_WALLET_DATA` when set, else the platform's app data folder.
pub fn data_dir_from_env(app_data_dir: Option<PathBuf>) -> PathBuf {
    match std::env::var_os(DATA_ENV) {
        Some(dir) if !dir.is_empty() => PathBuf::from(dir),
        _ => app_data_dir.unwrap_or_else(|| std::env::temp_dir().join("linker-wallet")),
    }
}

/// True when the app was asked to start in demo mode (`--demo` or `LINKER_DEMO=1`).
pub fn demo_requested() -> bool {
    std::env::args().any(|arg| arg == "--demo")
        || std::env::var(DEMO_ENV).is_ok_and(|value| value == "1" || value == "true")
}
