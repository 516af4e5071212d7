//! The Tauri commands the wallet's screens call. Each one converts input, calls linker-wallet
//! (or the demo, or the screen reader), and maps the error to the stable `{code, message}` shape.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use linker_wallet::{
    CaseEntry, CaseList, ErrorView, ImageFormat, ManualAnswerInput, OutboxEntry, PaymentCodeView,
    RunDetail, RunView, ScanInput, ScanOutcome, SessionInfo, Settings, SettingsUpdate, SyncReport,
    SyncStatus, VerdictReport, WALLETS, WalletError, WalletUnderTest, WriteReceipt,
};
use serde::Serialize;
use tauri::{AppHandle, Manager, Runtime, State};

use crate::state::AppState;
use crate::{demo, live};

/// What every command answers: the value, or `{code, message}`.
pub type Answer<T> = Result<T, ErrorView>;

fn view(error: WalletError) -> ErrorView {
    error.view()
}

/// An error of the app itself (not the wallet's), with its stable code.
pub fn app_error(code: &str, message: impl Into<String>) -> ErrorView {
    ErrorView {
        code: code.to_owned(),
        message: message.into(),
    }
}

fn bytes(field: &str, base64: &str) -> Answer<Vec<u8>> {
    BASE64
        .decode(base64.trim())
        .map_err(|error| app_error("INVALID_INPUT", format!("{field}: not base64 ({error})")))
}

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
    /// The wallet database's schema version.
    pub schema_version: i64,
    /// Where the wallet keeps its data.
    pub data_dir: String,
    /// True when the app was started in demo mode (`--demo`, `LINKER_DEMO=1`).
    pub demo_requested: bool,
}

/// Returns the app's name and version.
#[tauri::command]
pub fn app_info(state: State<'_, AppState>) -> AppInfo {
    AppInfo {
        name: "Linker".to_owned(),
        version: env!("CARGO_PKG_VERSION").to_owned(),
        default_wallet: linker_aplus::test_wallet::TEST_WALLET.to_owned(),
        schema_version: state.wallet.schema_version().unwrap_or_default(),
        data_dir: state.wallet.data_dir().display().to_string(),
        demo_requested: crate::state::demo_requested(),
    }
}

/// The saved session, if any (the first screen skips sign-in when it is active).
#[tauri::command]
pub fn session(state: State<'_, AppState>) -> Answer<Option<SessionInfo>> {
    state.wallet.session().map_err(view)
}

/// First sign-in: the invitation code and the password to set.
#[tauri::command]
pub async fn sign_in_with_invitation(
    state: State<'_, AppState>,
    code: String,
    password: String,
) -> Answer<SessionInfo> {
    state
        .wallet
        .sign_in_with_invitation(&code, &password)
        .await
        .map_err(view)
}

/// Later sign-in: MID or email and password.
#[tauri::command]
pub async fn sign_in(
    state: State<'_, AppState>,
    login: String,
    password: String,
    project_id: Option<String>,
) -> Answer<SessionInfo> {
    state
        .wallet
        .sign_in(&login, &password, project_id.as_deref())
        .await
        .map_err(view)
}

/// Signs out (the outbox keeps unsent writes).
#[tauri::command]
pub async fn sign_out(state: State<'_, AppState>) -> Answer<()> {
    state.wallet.sign_out().await.map_err(view)
}

/// The assigned cases, grouped by product, with each one's last result.
#[tauri::command]
pub async fn cases(state: State<'_, AppState>) -> Answer<CaseList> {
    state.wallet.cases().await.map_err(view)
}

/// One case: steps, manual questions, last result.
#[tauri::command]
pub async fn case(state: State<'_, AppState>, case_id: String) -> Answer<CaseEntry> {
    state.wallet.case(&case_id).await.map_err(view)
}

/// Starts a run of a case and forwards its live events to the screens (`run-update`).
#[tauri::command]
pub async fn start_run<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, AppState>,
    case_id: String,
) -> Answer<RunView> {
    let run = state
        .wallet
        .start_run(&case_id, Default::default())
        .await
        .map_err(view)?;
    live::follow(&app, &state, &run.id);
    Ok(run)
}

/// Forwards a run's live events to the screens (again, after the app restarted).
#[tauri::command]
pub fn follow_run<R: Runtime>(app: AppHandle<R>, state: State<'_, AppState>, run_id: String) {
    live::follow(&app, &state, &run_id);
}

/// The open run, if any.
#[tauri::command]
pub async fn current_run(state: State<'_, AppState>) -> Answer<Option<RunDetail>> {
    state.wallet.current_run().await.map_err(view)
}

/// One run with its events and unsent writes.
#[tauri::command]
pub async fn run(state: State<'_, AppState>, run_id: String) -> Answer<RunDetail> {
    state.wallet.run(&run_id).await.map_err(view)
}

/// Past runs, newest first.
#[tauri::command]
pub async fn history(state: State<'_, AppState>) -> Answer<Vec<RunView>> {
    state.wallet.history().await.map_err(view)
}

/// A run's verdict with its checks and evidence.
#[tauri::command]
pub async fn verdict(state: State<'_, AppState>, run_id: String) -> Answer<VerdictReport> {
    state.wallet.verdict(&run_id).await.map_err(view)
}

/// The payment code to show (barcode + QR as SVG), fresh or the one still being shown.
#[tauri::command]
pub async fn payment_code(state: State<'_, AppState>, run_id: String) -> Answer<PaymentCodeView> {
    state
        .wallet
        .payment_code(Some(&run_id), ImageFormat::Svg)
        .await
        .map_err(view)
}

/// A new payment code now (the customer tapped refresh).
#[tauri::command]
pub async fn new_payment_code(
    state: State<'_, AppState>,
    run_id: String,
) -> Answer<PaymentCodeView> {
    state
        .wallet
        .new_payment_code(Some(&run_id), ImageFormat::Svg)
        .await
        .map_err(view)
}

/// Scans typed or pasted text.
#[tauri::command]
pub async fn scan_text(state: State<'_, AppState>, text: String) -> Answer<ScanOutcome> {
    state
        .wallet
        .scan(ScanInput::Text(&text))
        .await
        .map_err(view)
}

/// Scans an image (PNG or JPEG, base64): an opened, dropped or pasted picture.
#[tauri::command]
pub async fn scan_image(state: State<'_, AppState>, image: String) -> Answer<ScanOutcome> {
    let image = bytes("image", &image)?;
    state
        .wallet
        .scan(ScanInput::ImageBytes(&image))
        .await
        .map_err(view)
}

/// Scans an image file by its path.
#[tauri::command]
pub async fn scan_file(state: State<'_, AppState>, path: String) -> Answer<ScanOutcome> {
    let path = std::path::PathBuf::from(path.trim());
    state
        .wallet
        .scan(ScanInput::ImageFile(&path))
        .await
        .map_err(view)
}

/// Scans one camera frame (raw RGBA, base64).
#[tauri::command]
pub async fn scan_frame(
    state: State<'_, AppState>,
    width: u32,
    height: u32,
    rgba: String,
) -> Answer<ScanOutcome> {
    let pixels = bytes("rgba", &rgba)?;
    state
        .wallet
        .scan(ScanInput::RgbaFrame {
            width,
            height,
            pixels: &pixels,
        })
        .await
        .map_err(view)
}

/// Every code in an image (PNG or JPEG, base64), without interpreting it: the invitation QR.
#[tauri::command]
pub fn read_codes(image: String) -> Answer<Vec<String>> {
    let image = bytes("image", &image)?;
    let codes = linker_scan::decode(&image)
        .map_err(|error| app_error("IMAGE_UNREADABLE", error.to_string()))?;
    if codes.is_empty() {
        return Err(app_error(
            "NO_CODE_FOUND",
            "no QR code or barcode in the image",
        ));
    }
    Ok(codes.into_iter().map(|code| code.text).collect())
}

/// Every code visible on the screen (the POS window beside the wallet); the screen then scans
/// the one the merchant means with [`scan_text`].
#[tauri::command]
pub async fn codes_on_screen() -> Answer<Vec<String>> {
    tauri::async_runtime::spawn_blocking(linker_acquirer::screen::codes_on_screen)
        .await
        .map_err(|error| app_error("SCREEN_CAPTURE", error.to_string()))?
        .map_err(|error| {
            let code = match error {
                linker_acquirer::screen::ScreenError::NoCode => "NO_CODE_FOUND",
                linker_acquirer::screen::ScreenError::NoTool { .. }
                | linker_acquirer::screen::ScreenError::NoDisplay => "NO_SCREEN_CAPTURE",
                linker_acquirer::screen::ScreenError::Failed(_) => "SCREEN_CAPTURE",
            };
            app_error(code, error.to_string())
        })
}

/// Opens a merchant page (entry code) in a wallet web view; see [`crate::demo::open_page`].
#[tauri::command]
pub async fn open_page<R: Runtime>(
    app: AppHandle<R>,
    url: String,
    user_agent: String,
) -> Answer<()> {
    demo::open_page(&app, &url, &user_agent)
}

/// The web view reached a payment page: bind it to the run and say what to confirm.
#[tauri::command]
pub async fn open_payment_url(
    state: State<'_, AppState>,
    run_id: Option<String>,
    url: String,
) -> Answer<ScanOutcome> {
    state
        .wallet
        .open_payment_url(run_id.as_deref(), &url)
        .await
        .map_err(view)
}

/// Pay Now.
#[tauri::command]
pub async fn confirm_payment(state: State<'_, AppState>, run_id: String) -> Answer<RunView> {
    state
        .wallet
        .confirm_payment(Some(&run_id))
        .await
        .map_err(view)
}

/// Cancel on the confirmation.
#[tauri::command]
pub async fn decline_payment(state: State<'_, AppState>, run_id: String) -> Answer<RunView> {
    state
        .wallet
        .decline_payment(Some(&run_id))
        .await
        .map_err(view)
}

/// Leave the payment page without paying.
#[tauri::command]
pub async fn back_out(state: State<'_, AppState>, run_id: String) -> Answer<RunView> {
    state.wallet.back_out(Some(&run_id)).await.map_err(view)
}

/// Answers a manual question (kept in the outbox first: works offline).
#[tauri::command]
pub async fn answer_manual(
    state: State<'_, AppState>,
    run_id: String,
    answer: ManualAnswerInput,
) -> Answer<WriteReceipt> {
    state
        .wallet
        .answer_manual(Some(&run_id), answer)
        .await
        .map_err(view)
}

/// Attaches a photo (PNG or JPEG, base64) to a run; a manual answer names it by `writeId`.
#[tauri::command]
pub async fn attach_photo(
    state: State<'_, AppState>,
    run_id: String,
    image: String,
) -> Answer<WriteReceipt> {
    let image = bytes("image", &image)?;
    state
        .wallet
        .attach_photo(Some(&run_id), &image)
        .await
        .map_err(view)
}

/// How many writes wait for the hub, and the last sync.
#[tauri::command]
pub fn sync_status(state: State<'_, AppState>) -> Answer<SyncStatus> {
    state.wallet.sync_status().map_err(view)
}

/// Sends every waiting write now.
#[tauri::command]
pub async fn sync_now(state: State<'_, AppState>) -> Answer<SyncReport> {
    state.wallet.sync_now().await.map_err(view)
}

/// Every write of the outbox (sent and waiting).
#[tauri::command]
pub fn outbox(state: State<'_, AppState>) -> Answer<Vec<OutboxEntry>> {
    state.wallet.outbox().map_err(view)
}

/// The settings.
#[tauri::command]
pub fn settings(state: State<'_, AppState>) -> Answer<Settings> {
    state.wallet.settings().map_err(view)
}

/// Changes settings (each field given is checked).
#[tauri::command]
pub fn update_settings(state: State<'_, AppState>, update: SettingsUpdate) -> Answer<Settings> {
    state.wallet.update_settings(update).map_err(view)
}

/// The wallets a merchant can test against.
#[tauri::command]
pub fn wallets() -> Vec<WalletUnderTest> {
    WALLETS.to_vec()
}

/// A QR code for any text, as SVG and base64 PNG.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct GeneratedCode {
    /// The text the code carries.
    pub text: String,
    /// The SVG picture.
    pub svg: String,
    /// The PNG picture, base64.
    pub png: String,
}

/// Makes a QR code for any text (payment code, order code, entry-code URL).
#[tauri::command]
pub fn generate_qr(text: String) -> Answer<GeneratedCode> {
    let code = linker_scan::text_qr(&text, &linker_scan::QrOptions::default())
        .map_err(|error| app_error("INVALID_INPUT", error.to_string()))?;
    let png = code
        .to_png()
        .map_err(|error| app_error("INVALID_INPUT", error.to_string()))?;
    Ok(GeneratedCode {
        svg: code.to_svg(),
        png: BASE64.encode(png),
        text,
    })
}

/// Saves a QR code for `text` as a PNG in the downloads folder (or the wallet's data folder) and
/// returns its path.
#[tauri::command]
pub fn save_qr<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, AppState>,
    text: String,
) -> Answer<String> {
    let png = linker_scan::text_qr(&text, &linker_scan::QrOptions::default())
        .and_then(|code| code.to_png())
        .map_err(|error| app_error("INVALID_INPUT", error.to_string()))?;
    let folder = app
        .path()
        .download_dir()
        .ok()
        .filter(|dir| dir.is_dir())
        .unwrap_or_else(|| state.wallet.data_dir().to_path_buf());
    let stamp = state.wallet.now().format("%Y%m%d-%H%M%S");
    let path = folder.join(format!("linker-qr-{stamp}.png"));
    std::fs::write(&path, png).map_err(|error| {
        app_error(
            "STORAGE",
            format!("cannot write {}: {error}", path.display()),
        )
    })?;
    Ok(path.display().to_string())
}

/// Starts the demo in this process, signs the wallet in and opens the POS window.
#[tauri::command]
pub async fn start_demo<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, AppState>,
) -> Answer<demo::DemoInfo> {
    demo::start(&app, &state).await
}

/// The running demo's addresses, if a demo runs.
#[tauri::command]
pub async fn demo_info(state: State<'_, AppState>) -> Answer<Option<demo::DemoInfo>> {
    Ok(demo::info(&state).await)
}

/// Opens (or focuses) the demo's POS window.
#[tauri::command]
pub async fn open_pos<R: Runtime>(app: AppHandle<R>, state: State<'_, AppState>) -> Answer<()> {
    demo::open_pos(&app, &state).await
}
