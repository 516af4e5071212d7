//! The Tauri commands the wallet's screens call: one-line wrappers over linker-wallet's command
//! layer (`linker_wallet::commands`, which the web shell shares), and the desktop's own commands
//! (the demo, its windows, the screen reader, saving a file).

use linker_wallet::{
    AuthorizationPrompt, AuthorizationView, CaseEntry, CaseList, Declined, Granted,
    ManualAnswerInput, OutboxEntry, PaymentCodeView, RunDetail, RunView, ScanOutcome, SessionInfo,
    Settings, SettingsUpdate, SyncReport, SyncStatus, VerdictReport, WalletUnderTest, WriteReceipt,
};
use tauri::{AppHandle, Manager, Runtime, State};

use crate::state::AppState;
use crate::{demo, live};

use linker_wallet::commands;
pub use linker_wallet::commands::{Answer, AppInfo, GeneratedCode, Shell, app_error};

/// Returns the app's name and version.
#[tauri::command]
pub fn app_info(state: State<'_, AppState>) -> AppInfo {
    static SEEN: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);
    crate::timeline::mark_once(&SEEN, "command:app_info");
    commands::app_info(
        &state.wallet,
        Shell::Desktop {
            demo_requested: crate::state::demo_requested(),
        },
    )
}

/// The saved session, if any (the first screen skips sign-in when it is active).
#[tauri::command]
pub fn session(state: State<'_, AppState>) -> Answer<Option<SessionInfo>> {
    commands::session(&state.wallet)
}

/// First sign-in: the invitation code and the password to set.
#[tauri::command]
pub async fn sign_in_with_invitation(
    state: State<'_, AppState>,
    code: String,
    password: String,
) -> Answer<SessionInfo> {
    commands::sign_in_with_invitation(&state.wallet, &code, &password).await
}

/// Later sign-in: MID or email and password.
#[tauri::command]
pub async fn sign_in(
    state: State<'_, AppState>,
    login: String,
    password: String,
    project_id: Option<String>,
) -> Answer<SessionInfo> {
    commands::sign_in(&state.wallet, &login, &password, project_id.as_deref()).await
}

/// Signs out (the outbox keeps unsent writes).
#[tauri::command]
pub async fn sign_out(state: State<'_, AppState>) -> Answer<()> {
    commands::sign_out(&state.wallet).await
}

/// The assigned cases, grouped by product, with each one's last result.
#[tauri::command]
pub async fn cases(state: State<'_, AppState>) -> Answer<CaseList> {
    commands::cases(&state.wallet).await
}

/// One case: steps, manual questions, last result.
#[tauri::command]
pub async fn case(state: State<'_, AppState>, case_id: String) -> Answer<CaseEntry> {
    commands::case(&state.wallet, &case_id).await
}

/// Starts a run of a case and forwards its live events to the screens (`run-update`).
#[tauri::command]
pub async fn start_run<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, AppState>,
    case_id: String,
) -> Answer<RunView> {
    let run = commands::start_run(&state.wallet, &case_id).await?;
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
    commands::current_run(&state.wallet).await
}

/// One run with its events and unsent writes.
#[tauri::command]
pub async fn run(state: State<'_, AppState>, run_id: String) -> Answer<RunDetail> {
    commands::run(&state.wallet, &run_id).await
}

/// Past runs, newest first.
#[tauri::command]
pub async fn history(state: State<'_, AppState>) -> Answer<Vec<RunView>> {
    commands::history(&state.wallet).await
}

/// A run's verdict with its checks and evidence.
#[tauri::command]
pub async fn verdict(state: State<'_, AppState>, run_id: String) -> Answer<VerdictReport> {
    commands::verdict(&state.wallet, &run_id).await
}

/// The payment code to show (barcode + QR as SVG), fresh or the one still being shown.
#[tauri::command]
pub async fn payment_code(state: State<'_, AppState>, run_id: String) -> Answer<PaymentCodeView> {
    commands::payment_code(&state.wallet, &run_id).await
}

/// A new payment code now (the customer tapped refresh).
#[tauri::command]
pub async fn new_payment_code(
    state: State<'_, AppState>,
    run_id: String,
) -> Answer<PaymentCodeView> {
    commands::new_payment_code(&state.wallet, &run_id).await
}

/// Scans typed or pasted text.
#[tauri::command]
pub async fn scan_text(state: State<'_, AppState>, text: String) -> Answer<ScanOutcome> {
    commands::scan_text(&state.wallet, &text).await
}

/// Makes a private order code the merchant never issued and scans it (a run of MPC-02).
#[tauri::command]
pub async fn scan_unissued_code(state: State<'_, AppState>, run_id: String) -> Answer<ScanOutcome> {
    commands::scan_unissued_code(&state.wallet, &run_id).await
}

/// Scans an image (PNG or JPEG, base64): an opened, dropped or pasted picture.
#[tauri::command]
pub async fn scan_image(state: State<'_, AppState>, image: String) -> Answer<ScanOutcome> {
    commands::scan_image(&state.wallet, &image).await
}

/// Scans an image file by its path.
#[tauri::command]
pub async fn scan_file(state: State<'_, AppState>, path: String) -> Answer<ScanOutcome> {
    commands::scan_file(&state.wallet, &path).await
}

/// Scans one camera frame (raw RGBA, base64).
#[tauri::command]
pub async fn scan_frame(
    state: State<'_, AppState>,
    width: u32,
    height: u32,
    rgba: String,
) -> Answer<ScanOutcome> {
    commands::scan_frame(&state.wallet, width, height, &rgba).await
}

/// Every code in an image (PNG or JPEG, base64), without interpreting it: the invitation QR.
#[tauri::command]
pub fn read_codes(image: String) -> Answer<Vec<String>> {
    commands::read_codes(&image)
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
    commands::open_payment_url(&state.wallet, run_id.as_deref(), &url).await
}

/// Pay Now.
#[tauri::command]
pub async fn confirm_payment(state: State<'_, AppState>, run_id: String) -> Answer<RunView> {
    commands::confirm_payment(&state.wallet, &run_id).await
}

/// Cancel on the confirmation.
#[tauri::command]
pub async fn decline_payment(state: State<'_, AppState>, run_id: String) -> Answer<RunView> {
    commands::decline_payment(&state.wallet, &run_id).await
}

/// Leave the payment page without paying.
#[tauri::command]
pub async fn back_out(state: State<'_, AppState>, run_id: String) -> Answer<RunView> {
    commands::back_out(&state.wallet, &run_id).await
}

/// Done (or leaving) on a cashier payment: the wallet returned the customer to the merchant.
#[tauri::command]
pub async fn redirected(
    state: State<'_, AppState>,
    run_id: String,
    url: String,
) -> Answer<RunView> {
    commands::redirected(&state.wallet, &run_id, &url).await
}

/// What an Auto Debit authorization URL asks, before the customer answers.
#[tauri::command]
pub async fn inspect_authorization(
    state: State<'_, AppState>,
    url: String,
) -> Answer<AuthorizationPrompt> {
    commands::inspect_authorization(&state.wallet, &url).await
}

/// Authorize: grants an Auto Debit authorization, in the run when one is named.
#[tauri::command]
pub async fn authorize(
    state: State<'_, AppState>,
    url: String,
    run_id: Option<String>,
) -> Answer<Granted> {
    commands::authorize(&state.wallet, &url, run_id.as_deref()).await
}

/// Decline: refuses an Auto Debit authorization, in the run when one is named.
#[tauri::command]
pub async fn decline_authorization(
    state: State<'_, AppState>,
    url: String,
    run_id: Option<String>,
) -> Answer<Declined> {
    commands::decline_authorization(&state.wallet, &url, run_id.as_deref()).await
}

/// The wallet's Auto Debit authorizations, newest first.
#[tauri::command]
pub async fn authorizations(state: State<'_, AppState>) -> Answer<Vec<AuthorizationView>> {
    commands::authorizations(&state.wallet).await
}

/// Unbind: revokes an authorization; true when the merchant acknowledged the notice.
#[tauri::command]
pub async fn revoke_authorization(
    state: State<'_, AppState>,
    authorization_id: String,
) -> Answer<bool> {
    commands::revoke_authorization(&state.wallet, &authorization_id).await
}

/// Returns the customer to a merchant's page (a cashier `paymentRedirectUrl`, an Auto Debit
/// `authRedirectUrl`); see [`crate::demo::open_merchant_site`].
#[tauri::command]
pub async fn open_merchant_site<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, AppState>,
    url: String,
) -> Answer<bool> {
    demo::open_merchant_site(&app, &state, &url).await
}

/// Answers a manual question (kept in the outbox first: works offline).
#[tauri::command]
pub async fn answer_manual(
    state: State<'_, AppState>,
    run_id: String,
    answer: ManualAnswerInput,
) -> Answer<WriteReceipt> {
    commands::answer_manual(&state.wallet, &run_id, answer).await
}

/// Attaches a photo (PNG or JPEG, base64) to a run; a manual answer names it by `writeId`.
#[tauri::command]
pub async fn attach_photo(
    state: State<'_, AppState>,
    run_id: String,
    image: String,
) -> Answer<WriteReceipt> {
    commands::attach_photo(&state.wallet, &run_id, &image).await
}

/// How many writes wait for the hub, and the last sync.
#[tauri::command]
pub fn sync_status(state: State<'_, AppState>) -> Answer<SyncStatus> {
    commands::sync_status(&state.wallet)
}

/// Sends every waiting write now.
#[tauri::command]
pub async fn sync_now(state: State<'_, AppState>) -> Answer<SyncReport> {
    commands::sync_now(&state.wallet).await
}

/// Every write of the outbox (sent and waiting).
#[tauri::command]
pub fn outbox(state: State<'_, AppState>) -> Answer<Vec<OutboxEntry>> {
    commands::outbox(&state.wallet)
}

/// The settings.
#[tauri::command]
pub fn settings(state: State<'_, AppState>) -> Answer<Settings> {
    commands::settings(&state.wallet)
}

/// Changes settings (each field given is checked).
#[tauri::command]
pub fn update_settings(state: State<'_, AppState>, update: SettingsUpdate) -> Answer<Settings> {
    commands::update_settings(&state.wallet, update)
}

/// The wallets a merchant can test against.
#[tauri::command]
pub fn wallets() -> Vec<WalletUnderTest> {
    commands::wallets()
}

/// Makes a QR code for any text (payment code, order code, entry-code URL).
#[tauri::command]
pub fn generate_qr(text: String) -> Answer<GeneratedCode> {
    commands::generate_qr(&text)
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
