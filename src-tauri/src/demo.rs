//! Demo mode: the hub, the demo project and merchant and the reference acquirer, started inside
//! the app (`linker_demo::Demo`), the wallet signed in as the demo merchant, and the acquirer's
//! POS page in a second window so both sides of a case fit on one screen.

use linker_demo::{Demo, DemoOptions};
use linker_wallet::{ErrorView, SettingsUpdate};
use serde::Serialize;
use tauri::{AppHandle, Emitter, Manager, Runtime, WebviewUrl, WebviewWindowBuilder};

use crate::commands::app_error;
use crate::state::AppState;

/// The POS window's label.
pub const POS_WINDOW: &str = "pos";
/// The merchant-page window's label (entry codes).
pub const PAGE_WINDOW: &str = "merchant-page";
/// The event sent when the merchant page led to a payment page.
pub const PAYMENT_URL_EVENT: &str = "payment-url";

/// Where the demo's parts are.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct DemoInfo {
    /// The hub.
    pub hub_url: String,
    /// The reference acquirer's POS page.
    pub pos_page_url: String,
    /// The reference acquirer's POS driver.
    pub pos_driver_url: String,
    /// The demo merchant's MID.
    pub merchant_mid: String,
    /// Where the demo keeps its data.
    pub data_dir: String,
}

fn describe(demo: &Demo) -> DemoInfo {
    DemoInfo {
        hub_url: demo.hub_url().to_owned(),
        pos_page_url: demo.pos_page_url(),
        pos_driver_url: demo.pos_driver_url().to_owned(),
        merchant_mid: demo.merchant().mid.clone(),
        data_dir: demo.data_dir().display().to_string(),
    }
}

/// Starts the demo (once), points the wallet at its hub, signs it in and opens the POS window.
pub async fn start<R: Runtime>(
    app: &AppHandle<R>,
    state: &AppState,
) -> Result<DemoInfo, ErrorView> {
    let mut running = state.demo.lock().await;
    if running.is_none() {
        let options = DemoOptions {
            data_dir: Some(state.demo_dir()),
            ..DemoOptions::default()
        };
        let demo = Demo::start(options)
            .await
            .map_err(|error| app_error("DEMO_FAILED", error.to_string()))?;
        *running = Some(demo);
    }
    let Some(demo) = running.as_ref() else {
        return Err(app_error("DEMO_FAILED", "the demo stopped while starting"));
    };
    if state.wallet.settings().map_err(|e| e.view())?.hub_url != demo.hub_url() {
        state
            .wallet
            .update_settings(SettingsUpdate {
                hub_url: Some(demo.hub_url().to_owned()),
                ..SettingsUpdate::default()
            })
            .map_err(|error| error.view())?;
    }
    demo.sign_in(&state.wallet)
        .await
        .map_err(|error| app_error("DEMO_FAILED", error.to_string()))?;
    let info = describe(demo);
    pos_window(app, &info.pos_page_url)?;
    Ok(info)
}

/// The running demo, if any.
pub async fn info(state: &AppState) -> Option<DemoInfo> {
    state.demo.lock().await.as_ref().map(describe)
}

/// Opens (or shows again) the POS window of the running demo.
pub async fn open_pos<R: Runtime>(app: &AppHandle<R>, state: &AppState) -> Result<(), ErrorView> {
    let url = info(state)
        .await
        .map(|info| info.pos_page_url)
        .ok_or_else(|| app_error("NO_DEMO", "the demo is not running"))?;
    pos_window(app, &url)
}

/// Returns the customer to a merchant's page (a cashier `paymentRedirectUrl`, an Auto Debit
/// `authRedirectUrl`). In demo mode the merchant's site is the reference acquirer's, so the POS
/// window shows it (opened again if it was closed): true. Without the demo the app has no browser
/// of its own to hand the page to: false, and the screens show the link to copy.
pub async fn open_merchant_site<R: Runtime>(
    app: &AppHandle<R>,
    state: &AppState,
    url: &str,
) -> Result<bool, ErrorView> {
    let parsed: tauri::Url = url
        .trim()
        .parse()
        .map_err(|error| app_error("INVALID_INPUT", format!("{url}: {error}")))?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err(app_error(
            "INVALID_INPUT",
            format!("{url}: not a web page (http or https)"),
        ));
    }
    if info(state).await.is_none() {
        return Ok(false);
    }
    if let Some(window) = app.get_webview_window(POS_WINDOW) {
        window.navigate(parsed).map_err(|error| {
            app_error(
                "OPEN_PAGE",
                format!("cannot open {url} in the POS window: {error}"),
            )
        })?;
        let _ = window.show();
        return Ok(true);
    }
    pos_window(app, parsed.as_str())?;
    Ok(true)
}

/// The wallet window's width in `tauri.conf.json`, in logical pixels.
const WALLET_WIDTH: f64 = 400.0;

fn pos_window<R: Runtime>(app: &AppHandle<R>, url: &str) -> Result<(), ErrorView> {
    if let Some(window) = app.get_webview_window(POS_WINDOW) {
        let _ = window.show();
        let _ = window.set_focus();
        return Ok(());
    }
    let url = url
        .parse()
        .map_err(|error| app_error("DEMO_FAILED", format!("the POS URL {url}: {error}")))?;
    let mut builder = WebviewWindowBuilder::new(app, POS_WINDOW, WebviewUrl::External(url))
        .title("Linker reference POS (demo acquirer)")
        .inner_size(420.0, 820.0)
        .min_inner_size(340.0, 480.0)
        .focused(false);
    // Beside the wallet, so both fit on one screen. A window not yet drawn reports a zero size
    // (seen under a bare X server): then its configured width stands in.
    let beside = app.get_webview_window("main").and_then(|main| {
        let (position, size, scale) = (
            main.outer_position().ok()?,
            main.outer_size().ok()?,
            main.scale_factor().ok()?,
        );
        let width = match f64::from(size.width) / scale {
            drawn if drawn >= 1.0 => drawn,
            _ => WALLET_WIDTH,
        };
        Some(tauri::LogicalPosition::new(
            f64::from(position.x) / scale + width + 12.0,
            f64::from(position.y) / scale,
        ))
    });
    if let Some(at) = beside {
        builder = builder.position(at.x, at.y);
    }
    let window = builder.build().map_err(|error| {
        app_error(
            "DEMO_FAILED",
            format!("cannot open the POS window: {error}"),
        )
    })?;
    // Some window managers (and a bare X server) place a new window themselves: move it once
    // it is shown, so the two windows never cover each other.
    if let Some(at) = beside {
        let _ = window.set_position(at);
    }
    Ok(())
}

/// Opens a merchant's page (an entry code) in a wallet web view with the wallet's User-Agent;
/// when the page sends the customer elsewhere (its payment page), the screens get a
/// `payment-url` event with that URL and the page closes.
pub fn open_page<R: Runtime>(
    app: &AppHandle<R>,
    url: &str,
    user_agent: &str,
) -> Result<(), ErrorView> {
    if let Some(window) = app.get_webview_window(PAGE_WINDOW) {
        let _ = window.close();
    }
    let parsed: tauri::Url = url
        .parse()
        .map_err(|error| app_error("INVALID_INPUT", format!("{url}: {error}")))?;
    let origin = parsed.origin();
    let handle = app.clone();
    WebviewWindowBuilder::new(app, PAGE_WINDOW, WebviewUrl::External(parsed))
        .title("Merchant page")
        .inner_size(400.0, 700.0)
        .user_agent(user_agent)
        .on_navigation(move |next| {
            if next.origin() == origin {
                return true;
            }
            let _ = handle.emit(PAYMENT_URL_EVENT, next.as_str());
            if let Some(window) = handle.get_webview_window(PAGE_WINDOW) {
                let _ = window.close();
            }
            false
        })
        .build()
        .map(|_| ())
        .map_err(|error| app_error("OPEN_PAGE", format!("cannot open {url}: {error}")))
}
