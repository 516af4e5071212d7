//! The wallet's command layer: one function per thing a screen asks for, taking the wallet and
//! typed arguments and answering the view or `{code, message}` ([`ErrorView`]). Every shell calls
//! the same functions: the Tauri app through one-line commands, and a shell that speaks JSON
//! (a web server) through [`call`], which takes a command's name and its arguments as the JSON
//! object the screens send (camelCase keys, as Tauri's `invoke` takes them).
//!
//! What only a desktop can do (capture the screen, open a window, save to a path) stays in its
//! shell; [`call`] answers `UNKNOWN_COMMAND` for it, and [`PORTABLE`] lists what it does serve.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::{
    AuthorizationPrompt, AuthorizationView, CaseEntry, CaseList, Declined, ErrorView, Granted,
    ImageFormat, ManualAnswerInput, OutboxEntry, PaymentCodeView, RunDetail, RunOptions, RunView,
    ScanInput, ScanOutcome, SessionInfo, Settings, SettingsUpdate, SyncReport, SyncStatus,
    VerdictReport, WALLETS, Wallet, WalletError, WalletUnderTest, WriteReceipt,
};

/// What every command answers: the value, or `{code, message}`.
pub type Answer<T> = Result<T, ErrorView>;

/// An error of the command layer itself (not the wallet's), with its stable code.
pub fn app_error(code: &str, message: impl Into<String>) -> ErrorView {
    ErrorView {
        code: code.to_owned(),
        message: message.into(),
    }
}

fn view(error: WalletError) -> ErrorView {
    error.view()
}

/// Decodes a base64 argument, naming it when it is not base64.
fn bytes(field: &str, base64: &str) -> Answer<Vec<u8>> {
    BASE64
        .decode(base64.trim())
        .map_err(|error| app_error("INVALID_INPUT", format!("{field}: not base64 ({error})")))
}

/// Which shell runs the screens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shell {
    /// The desktop app; `demo_requested` when it was started in demo mode.
    Desktop {
        /// True with `--demo` or `LINKER_DEMO=1`.
        demo_requested: bool,
    },
    /// A browser, served by the hub's web shell.
    Web,
}

/// What the About screen and the first screen's footer show.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct AppInfo {
    /// The product name.
    pub name: String,
    /// The version (the workspace version).
    pub version: String,
    /// The wallet Linker plays by default.
    pub default_wallet: String,
    /// The wallet database's schema version.
    pub schema_version: i64,
    /// Where the wallet keeps its data (empty in a browser: a folder on the hub).
    pub data_dir: String,
    /// True when the app was started in demo mode (`--demo`, `LINKER_DEMO=1`).
    pub demo_requested: bool,
    /// `app` or `web`.
    pub shell: String,
}

/// The name, version and shell the screens show.
pub fn app_info(wallet: &Wallet, shell: Shell) -> AppInfo {
    let (data_dir, demo_requested, shell) = match shell {
        Shell::Desktop { demo_requested } => (
            wallet.data_dir().display().to_string(),
            demo_requested,
            "app",
        ),
        Shell::Web => (String::new(), false, "web"),
    };
    AppInfo {
        name: "Linker".to_owned(),
        version: env!("CARGO_PKG_VERSION").to_owned(),
        default_wallet: linker_aplus::test_wallet::TEST_WALLET.to_owned(),
        schema_version: wallet.schema_version().unwrap_or_default(),
        data_dir,
        demo_requested,
        shell: shell.to_owned(),
    }
}

/// The saved session, if any (the first screen skips sign-in when it is active).
pub fn session(wallet: &Wallet) -> Answer<Option<SessionInfo>> {
    wallet.session().map_err(view)
}

/// First sign-in: the invitation code and the password to set.
pub async fn sign_in_with_invitation(
    wallet: &Wallet,
    code: &str,
    password: &str,
) -> Answer<SessionInfo> {
    wallet
        .sign_in_with_invitation(code, password)
        .await
        .map_err(view)
}

/// Later sign-in: MID or email and password.
pub async fn sign_in(
    wallet: &Wallet,
    login: &str,
    password: &str,
    project_id: Option<&str>,
) -> Answer<SessionInfo> {
    wallet
        .sign_in(login, password, project_id)
        .await
        .map_err(view)
}

/// Signs out (the outbox keeps unsent writes).
pub async fn sign_out(wallet: &Wallet) -> Answer<()> {
    wallet.sign_out().await.map_err(view)
}

/// The assigned cases, grouped by product, with each one's last result.
pub async fn cases(wallet: &Wallet) -> Answer<CaseList> {
    wallet.cases().await.map_err(view)
}

/// One case: steps, manual questions, last result.
pub async fn case(wallet: &Wallet, case_id: &str) -> Answer<CaseEntry> {
    wallet.case(case_id).await.map_err(view)
}

/// Starts a run of a case (the shell then follows its live events).
pub async fn start_run(wallet: &Wallet, case_id: &str) -> Answer<RunView> {
    wallet
        .start_run(case_id, RunOptions::default())
        .await
        .map_err(view)
}

/// The open run, if any.
pub async fn current_run(wallet: &Wallet) -> Answer<Option<RunDetail>> {
    wallet.current_run().await.map_err(view)
}

/// One run with its events and unsent writes.
pub async fn run(wallet: &Wallet, run_id: &str) -> Answer<RunDetail> {
    wallet.run(run_id).await.map_err(view)
}

/// Past runs, newest first.
pub async fn history(wallet: &Wallet) -> Answer<Vec<RunView>> {
    wallet.history().await.map_err(view)
}

/// A run's verdict with its checks and evidence.
pub async fn verdict(wallet: &Wallet, run_id: &str) -> Answer<VerdictReport> {
    wallet.verdict(run_id).await.map_err(view)
}

/// The payment code to show (barcode + QR as SVG), fresh or the one still being shown.
pub async fn payment_code(wallet: &Wallet, run_id: &str) -> Answer<PaymentCodeView> {
    wallet
        .payment_code(Some(run_id), ImageFormat::Svg)
        .await
        .map_err(view)
}

/// A new payment code now (the customer tapped refresh).
pub async fn new_payment_code(wallet: &Wallet, run_id: &str) -> Answer<PaymentCodeView> {
    wallet
        .new_payment_code(Some(run_id), ImageFormat::Svg)
        .await
        .map_err(view)
}

/// Scans typed or pasted text.
pub async fn scan_text(wallet: &Wallet, text: &str) -> Answer<ScanOutcome> {
    wallet.scan(ScanInput::Text(text)).await.map_err(view)
}

/// Scans an image (PNG or JPEG, base64): an opened, dropped or pasted picture.
pub async fn scan_image(wallet: &Wallet, image: &str) -> Answer<ScanOutcome> {
    let image = bytes("image", image)?;
    wallet
        .scan(ScanInput::ImageBytes(&image))
        .await
        .map_err(view)
}

/// Scans an image file by its path (a desktop shell's own files only).
pub async fn scan_file(wallet: &Wallet, path: &str) -> Answer<ScanOutcome> {
    let path = std::path::PathBuf::from(path.trim());
    wallet.scan(ScanInput::ImageFile(&path)).await.map_err(view)
}

/// Scans one camera frame (raw RGBA, base64).
pub async fn scan_frame(
    wallet: &Wallet,
    width: u32,
    height: u32,
    rgba: &str,
) -> Answer<ScanOutcome> {
    let pixels = bytes("rgba", rgba)?;
    wallet
        .scan(ScanInput::RgbaFrame {
            width,
            height,
            pixels: &pixels,
        })
        .await
        .map_err(view)
}

/// Every code in an image (PNG or JPEG, base64), without interpreting it: the invitation QR.
pub fn read_codes(image: &str) -> Answer<Vec<String>> {
    let image = bytes("image", image)?;
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

/// Makes a private order code the merchant never issued and scans it (a run of MPC-02).
pub async fn scan_unissued_code(wallet: &Wallet, run_id: &str) -> Answer<ScanOutcome> {
    wallet.scan_unissued_code(Some(run_id)).await.map_err(view)
}

/// A merchant page reached a payment page: bind it to the run and say what to confirm.
pub async fn open_payment_url(
    wallet: &Wallet,
    run_id: Option<&str>,
    url: &str,
) -> Answer<ScanOutcome> {
    wallet.open_payment_url(run_id, url).await.map_err(view)
}

/// Pay Now.
pub async fn confirm_payment(wallet: &Wallet, run_id: &str) -> Answer<RunView> {
    wallet.confirm_payment(Some(run_id)).await.map_err(view)
}

/// Cancel on the confirmation.
pub async fn decline_payment(wallet: &Wallet, run_id: &str) -> Answer<RunView> {
    wallet.decline_payment(Some(run_id)).await.map_err(view)
}

/// Leave the payment page without paying.
pub async fn back_out(wallet: &Wallet, run_id: &str) -> Answer<RunView> {
    wallet.back_out(Some(run_id)).await.map_err(view)
}

/// Done (or leaving) on a cashier payment: the wallet returned the customer to the merchant's
/// `paymentRedirectUrl`, recorded in the run.
pub async fn redirected(wallet: &Wallet, run_id: &str, url: &str) -> Answer<RunView> {
    wallet.redirected(Some(run_id), url).await.map_err(view)
}

/// What an Auto Debit authorization URL asks (who, which scopes), before the customer answers.
pub async fn inspect_authorization(wallet: &Wallet, url: &str) -> Answer<AuthorizationPrompt> {
    wallet.inspect_authorization(url).await.map_err(view)
}

/// Authorize: the customer grants an Auto Debit authorization, in the run when one is named.
pub async fn authorize(wallet: &Wallet, url: &str, run_id: Option<&str>) -> Answer<Granted> {
    wallet.authorize(url, run_id).await.map_err(view)
}

/// Decline: the customer refuses an Auto Debit authorization, in the run when one is named.
pub async fn decline_authorization(
    wallet: &Wallet,
    url: &str,
    run_id: Option<&str>,
) -> Answer<Declined> {
    wallet
        .decline_authorization(url, run_id)
        .await
        .map_err(view)
}

/// The wallet's Auto Debit authorizations, newest first (the Authorizations screen).
pub async fn authorizations(wallet: &Wallet) -> Answer<Vec<AuthorizationView>> {
    wallet.authorizations().await.map_err(view)
}

/// Unbind: revokes an authorization; true when the merchant acknowledged the notice.
pub async fn revoke_authorization(wallet: &Wallet, authorization_id: &str) -> Answer<bool> {
    wallet
        .revoke_authorization(authorization_id)
        .await
        .map_err(view)
}

/// Answers a manual question (kept in the outbox first: works offline).
pub async fn answer_manual(
    wallet: &Wallet,
    run_id: &str,
    answer: ManualAnswerInput,
) -> Answer<WriteReceipt> {
    wallet
        .answer_manual(Some(run_id), answer)
        .await
        .map_err(view)
}

/// Attaches a photo (PNG or JPEG, base64) to a run; a manual answer names it by `writeId`.
pub async fn attach_photo(wallet: &Wallet, run_id: &str, image: &str) -> Answer<WriteReceipt> {
    let image = bytes("image", image)?;
    wallet
        .attach_photo(Some(run_id), &image)
        .await
        .map_err(view)
}

/// How many writes wait for the hub, and the last sync.
pub fn sync_status(wallet: &Wallet) -> Answer<SyncStatus> {
    wallet.sync_status().map_err(view)
}

/// Sends every waiting write now.
pub async fn sync_now(wallet: &Wallet) -> Answer<SyncReport> {
    wallet.sync_now().await.map_err(view)
}

/// Every write of the outbox (sent and waiting).
pub fn outbox(wallet: &Wallet) -> Answer<Vec<OutboxEntry>> {
    wallet.outbox().map_err(view)
}

/// The settings.
pub fn settings(wallet: &Wallet) -> Answer<Settings> {
    wallet.settings().map_err(view)
}

/// Changes settings (each field given is checked).
pub fn update_settings(wallet: &Wallet, update: SettingsUpdate) -> Answer<Settings> {
    wallet.update_settings(update).map_err(view)
}

/// The wallets a merchant can test against.
pub fn wallets() -> Vec<WalletUnderTest> {
    WALLETS.to_vec()
}

/// A QR code for any text, as SVG and base64 PNG.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
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
pub fn generate_qr(text: &str) -> Answer<GeneratedCode> {
    let code = linker_scan::text_qr(text, &linker_scan::QrOptions::default())
        .map_err(|error| app_error("INVALID_INPUT", error.to_string()))?;
    let png = code
        .to_png()
        .map_err(|error| app_error("INVALID_INPUT", error.to_string()))?;
    Ok(GeneratedCode {
        svg: code.to_svg(),
        png: BASE64.encode(png),
        text: text.to_owned(),
    })
}

/// The commands [`call`] serves: everything a screen needs that does not depend on a desktop.
pub const PORTABLE: [&str; 37] = [
    "session",
    "sign_in_with_invitation",
    "sign_in",
    "sign_out",
    "cases",
    "case",
    "start_run",
    "current_run",
    "run",
    "history",
    "verdict",
    "payment_code",
    "new_payment_code",
    "scan_text",
    "scan_image",
    "scan_frame",
    "scan_unissued_code",
    "read_codes",
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
    "answer_manual",
    "attach_photo",
    "sync_status",
    "sync_now",
    "outbox",
    "settings",
    "update_settings",
    "wallets",
    "generate_qr",
];

/// Arguments of the commands, as the screens send them (camelCase keys).
mod args {
    use serde::Deserialize;

    use crate::{ManualAnswerInput, SettingsUpdate};

    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase", deny_unknown_fields)]
    pub struct None {}

    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase", deny_unknown_fields)]
    pub struct Invitation {
        pub code: String,
        pub password: String,
    }

    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase", deny_unknown_fields)]
    pub struct Password {
        pub login: String,
        pub password: String,
        pub project_id: Option<String>,
    }

    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase", deny_unknown_fields)]
    pub struct Case {
        pub case_id: String,
    }

    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase", deny_unknown_fields)]
    pub struct Run {
        pub run_id: String,
    }

    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase", deny_unknown_fields)]
    pub struct Text {
        pub text: String,
    }

    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase", deny_unknown_fields)]
    pub struct Image {
        pub image: String,
    }

    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase", deny_unknown_fields)]
    pub struct Frame {
        pub width: u32,
        pub height: u32,
        pub rgba: String,
    }

    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase", deny_unknown_fields)]
    pub struct UrlInRun {
        pub run_id: Option<String>,
        pub url: String,
    }

    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase", deny_unknown_fields)]
    pub struct Redirect {
        pub run_id: String,
        pub url: String,
    }

    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase", deny_unknown_fields)]
    pub struct Url {
        pub url: String,
    }

    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase", deny_unknown_fields)]
    pub struct Authorization {
        pub authorization_id: String,
    }

    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase", deny_unknown_fields)]
    pub struct Manual {
        pub run_id: String,
        pub answer: ManualAnswerInput,
    }

    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase", deny_unknown_fields)]
    pub struct Photo {
        pub run_id: String,
        pub image: String,
    }

    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase", deny_unknown_fields)]
    pub struct Update {
        pub update: SettingsUpdate,
    }
}

/// Reads a command's arguments; a missing or wrong one is `INVALID_INPUT` naming it.
fn parse<T: DeserializeOwned>(command: &str, args: Value) -> Answer<T> {
    let args = if args.is_null() {
        Value::Object(serde_json::Map::new())
    } else {
        args
    };
    serde_json::from_value(args)
        .map_err(|error| app_error("INVALID_INPUT", format!("{command}: {error}")))
}

/// The answer as JSON.
fn json<T: Serialize>(answer: Answer<T>) -> Answer<Value> {
    answer.and_then(|value| {
        serde_json::to_value(value).map_err(|error| app_error("INTERNAL", error.to_string()))
    })
}

/// Runs a command by name with its arguments as JSON (the object the screens send), for a shell
/// that speaks JSON. A command that is not in [`PORTABLE`] is `UNKNOWN_COMMAND`.
pub async fn call(wallet: &Wallet, command: &str, args: Value) -> Answer<Value> {
    match command {
        "session" | "cases" | "current_run" | "history" | "sign_out" | "sync_status"
        | "sync_now" | "outbox" | "settings" | "wallets" | "authorizations" => {
            parse::<args::None>(command, args)?;
            call_without_arguments(wallet, command).await
        }
        "case" | "start_run" => {
            let a: args::Case = parse(command, args)?;
            match command {
                "case" => json(case(wallet, &a.case_id).await),
                _ => json(start_run(wallet, &a.case_id).await),
            }
        }
        "run" | "verdict" | "payment_code" | "new_payment_code" | "scan_unissued_code"
        | "confirm_payment" | "decline_payment" | "back_out" => {
            let a: args::Run = parse(command, args)?;
            call_on_run(wallet, command, &a.run_id).await
        }
        _ => call_with_input(wallet, command, args).await,
    }
}

async fn call_without_arguments(wallet: &Wallet, command: &str) -> Answer<Value> {
    match command {
        "session" => json(session(wallet)),
        "cases" => json(cases(wallet).await),
        "current_run" => json(current_run(wallet).await),
        "history" => json(history(wallet).await),
        "sign_out" => json(sign_out(wallet).await),
        "sync_status" => json(sync_status(wallet)),
        "sync_now" => json(sync_now(wallet).await),
        "outbox" => json(outbox(wallet)),
        "settings" => json(settings(wallet)),
        "authorizations" => json(authorizations(wallet).await),
        _ => json(Ok(wallets())),
    }
}

async fn call_on_run(wallet: &Wallet, command: &str, run_id: &str) -> Answer<Value> {
    match command {
        "run" => json(run(wallet, run_id).await),
        "verdict" => json(verdict(wallet, run_id).await),
        "payment_code" => json(payment_code(wallet, run_id).await),
        "new_payment_code" => json(new_payment_code(wallet, run_id).await),
        "scan_unissued_code" => json(scan_unissued_code(wallet, run_id).await),
        "confirm_payment" => json(confirm_payment(wallet, run_id).await),
        "decline_payment" => json(decline_payment(wallet, run_id).await),
        _ => json(back_out(wallet, run_id).await),
    }
}

async fn call_with_input(wallet: &Wallet, command: &str, args: Value) -> Answer<Value> {
    match command {
        "sign_in_with_invitation" => {
            let a: args::Invitation = parse(command, args)?;
            json(sign_in_with_invitation(wallet, &a.code, &a.password).await)
        }
        "sign_in" => {
            let a: args::Password = parse(command, args)?;
            json(sign_in(wallet, &a.login, &a.password, a.project_id.as_deref()).await)
        }
        "scan_text" => json(scan_text(wallet, &parse::<args::Text>(command, args)?.text).await),
        "scan_image" => json(scan_image(wallet, &parse::<args::Image>(command, args)?.image).await),
        "scan_frame" => {
            let a: args::Frame = parse(command, args)?;
            json(scan_frame(wallet, a.width, a.height, &a.rgba).await)
        }
        "read_codes" => json(read_codes(&parse::<args::Image>(command, args)?.image)),
        "open_payment_url" => {
            let a: args::UrlInRun = parse(command, args)?;
            json(open_payment_url(wallet, a.run_id.as_deref(), &a.url).await)
        }
        "redirected" => {
            let a: args::Redirect = parse(command, args)?;
            json(redirected(wallet, &a.run_id, &a.url).await)
        }
        "inspect_authorization"
        | "authorize"
        | "decline_authorization"
        | "revoke_authorization" => call_on_authorization(wallet, command, args).await,
        "answer_manual" => {
            let a: args::Manual = parse(command, args)?;
            json(answer_manual(wallet, &a.run_id, a.answer).await)
        }
        "attach_photo" => {
            let a: args::Photo = parse(command, args)?;
            json(attach_photo(wallet, &a.run_id, &a.image).await)
        }
        "update_settings" => json(update_settings(
            wallet,
            parse::<args::Update>(command, args)?.update,
        )),
        "generate_qr" => json(generate_qr(&parse::<args::Text>(command, args)?.text)),
        other => Err(app_error(
            "UNKNOWN_COMMAND",
            format!("{other} is not a command this shell serves"),
        )),
    }
}

async fn call_on_authorization(wallet: &Wallet, command: &str, args: Value) -> Answer<Value> {
    match command {
        "inspect_authorization" => {
            json(inspect_authorization(wallet, &parse::<args::Url>(command, args)?.url).await)
        }
        "revoke_authorization" => {
            let a: args::Authorization = parse(command, args)?;
            json(revoke_authorization(wallet, &a.authorization_id).await)
        }
        _ => {
            let a: args::UrlInRun = parse(command, args)?;
            let run_id = a.run_id.as_deref();
            match command {
                "authorize" => json(authorize(wallet, &a.url, run_id).await),
                _ => json(decline_authorization(wallet, &a.url, run_id).await),
            }
        }
    }
}
