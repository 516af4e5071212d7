//! The commands through Tauri's mock runtime (no display): every command the screens call is
//! registered, takes its arguments by the names the screens use, and answers `{code, message}`
//! on failure. The wallet lives in a temporary folder; the demo's hub runs on loopback.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use serde_json::{Value, json};
use tauri::test::{
    INVOKE_KEY, MockRuntime, get_ipc_response, mock_builder, mock_context, noop_assets,
};
use tauri::webview::InvokeRequest;
use tauri::{App, WebviewWindow};

use crate::AppState;

struct Mock {
    _app: App<MockRuntime>,
    window: WebviewWindow<MockRuntime>,
    _dir: tempfile::TempDir,
}

fn mock(hub_url: Option<String>) -> Mock {
    let dir = tempfile::tempdir().unwrap();
    let state = AppState::open(dir.path(), hub_url).expect("the wallet opens");
    let app = crate::register(mock_builder())
        .manage(state)
        .build(mock_context(noop_assets()))
        .expect("the mock app builds");
    let window = tauri::WebviewWindowBuilder::new(&app, "main", Default::default())
        .build()
        .expect("the mock window builds");
    Mock {
        _app: app,
        window,
        _dir: dir,
    }
}

impl Mock {
    fn invoke(&self, command: &str, args: Value) -> Result<Value, Value> {
        get_ipc_response(
            &self.window,
            InvokeRequest {
                cmd: command.into(),
                callback: tauri::ipc::CallbackFn(0),
                error: tauri::ipc::CallbackFn(1),
                url: "tauri://localhost".parse().expect("a valid url"),
                body: tauri::ipc::InvokeBody::Json(args),
                headers: Default::default(),
                invoke_key: INVOKE_KEY.to_string(),
            },
        )
        .map(|body| body.deserialize::<Value>().expect("JSON body"))
    }

    fn ok(&self, command: &str, args: Value) -> Value {
        self.invoke(command, args.clone())
            .unwrap_or_else(|error| panic!("{command} {args} failed: {error}"))
    }

    fn err(&self, command: &str, args: Value) -> Value {
        match self.invoke(command, args.clone()) {
            Ok(value) => panic!("{command} {args} should fail, answered {value}"),
            Err(error) => error,
        }
    }
}

#[test]
fn app_info_is_wired_and_reports_the_version() {
    let app = mock(None);
    let info = app.ok("app_info", json!({}));
    assert_eq!(info["name"], "Linker", "app_info answered {info}");
    assert_eq!(
        info["version"],
        env!("CARGO_PKG_VERSION"),
        "app_info answered {info}"
    );
    assert_eq!(
        info["defaultWallet"], "TEST_WALLET",
        "app_info answered {info}"
    );
    assert!(
        info["schemaVersion"].as_i64().unwrap_or(0) > 0,
        "app_info answered {info}"
    );
}

#[test]
fn an_unknown_command_is_refused() {
    let app = mock(None);
    let answer = app.invoke("no_such_command", json!({}));
    assert!(
        answer.is_err(),
        "an unregistered command must fail, got {answer:?}"
    );
}

#[test]
fn settings_are_read_and_changed_and_bad_values_come_back_as_code_and_message() {
    let app = mock(Some("http://127.0.0.1:9".into()));
    let settings = app.ok("settings", json!({}));
    assert_eq!(
        settings["hubUrl"], "http://127.0.0.1:9",
        "the LINKER_HUB_URL override: {settings}"
    );
    let changed = app.ok(
        "update_settings",
        json!({"update": {"language": "zh-CN", "wallet": "ALIPAY_HK", "codeRefreshSecs": 30}}),
    );
    assert_eq!(changed["language"], "zh-CN", "{changed}");
    assert_eq!(changed["wallet"]["name"], "ALIPAY_HK", "{changed}");
    assert_eq!(changed["codeRefreshSecs"], 30, "{changed}");
    let error = app.err("update_settings", json!({"update": {"codeRefreshSecs": 1}}));
    assert_eq!(error["code"], "INVALID_SETTING", "{error}");
    assert!(
        error["message"].as_str().is_some_and(|m| !m.is_empty()),
        "{error}"
    );
    let wallets = app.ok("wallets", json!({}));
    assert_eq!(wallets.as_array().map(Vec::len), Some(8), "{wallets}");
}

#[test]
fn an_unreachable_hub_and_bad_input_are_errors_in_plain_words() {
    let app = mock(Some("http://127.0.0.1:9".into()));
    let error = app.err(
        "sign_in_with_invitation",
        json!({"code": "K7QH-3MXP-9TRW", "password": "a long password"}),
    );
    assert_eq!(error["code"], "HUB_UNREACHABLE", "{error}");
    let error = app.err("scan_image", json!({"image": "%%% not base64"}));
    assert_eq!(error["code"], "INVALID_INPUT", "{error}");
    let error = app.err("scan_text", json!({}));
    assert!(
        error.is_string() || error.is_object(),
        "a missing argument is refused: {error}"
    );
    let session = app.ok("session", json!({}));
    assert!(session.is_null(), "no session before signing in: {session}");
    let status = app.ok("sync_status", json!({}));
    assert_eq!(status["pending"], 0, "{status}");
}

#[test]
fn the_cashier_and_auto_debit_commands_are_registered_with_the_screens_argument_names() {
    let app = mock(Some("http://127.0.0.1:9".into()));
    // Signed out: each answers the wallet's own error, so each is registered and its arguments
    // (by the names ui/lib/shell.js sends) were read.
    for (command, args) in [
        (
            "redirected",
            json!({"runId": "run_1", "url": "https://shop.example/return/1"}),
        ),
        (
            "inspect_authorization",
            json!({"url": "http://127.0.0.1:9/authorize/auth_1"}),
        ),
        (
            "authorize",
            json!({"url": "http://127.0.0.1:9/authorize/auth_1", "runId": "run_1"}),
        ),
        (
            "decline_authorization",
            json!({"url": "http://127.0.0.1:9/authorize/auth_1"}),
        ),
        ("authorizations", json!({})),
        ("revoke_authorization", json!({"authorizationId": "auth_1"})),
    ] {
        let error = app.err(command, args);
        assert_eq!(
            error["code"], "NOT_SIGNED_IN",
            "{command} runs the wallet's command and needs a session: {error}"
        );
    }
    // Without the demo the app has nothing to show the merchant's page in: the screens show the
    // link instead. Only web pages are opened.
    let opened = app.ok(
        "open_merchant_site",
        json!({"url": "https://shop.example/shop/return/1"}),
    );
    assert_eq!(opened, json!(false), "no demo, no POS window: {opened}");
    let error = app.err("open_merchant_site", json!({"url": "file:///etc/passwd"}));
    assert_eq!(error["code"], "INVALID_INPUT", "{error}");
}

#[test]
fn generate_qr_makes_a_code_the_scanner_reads_back() {
    use base64::Engine as _;
    let app = mock(None);
    let code = app.ok(
        "generate_qr",
        json!({"text": "https://example.com/order/42"}),
    );
    assert!(
        code["svg"].as_str().is_some_and(|s| s.contains("<svg")),
        "{code}"
    );
    let png = base64::engine::general_purpose::STANDARD
        .decode(code["png"].as_str().unwrap())
        .unwrap();
    let read = linker_scan::decode(&png).unwrap();
    assert_eq!(
        read.first().map(|d| d.text.as_str()),
        Some("https://example.com/order/42")
    );
}

#[test]
fn a_demo_merchant_signs_in_sees_its_cases_and_gets_a_payment_code() {
    let demo = tauri::async_runtime::block_on(linker_demo::Demo::start(
        linker_demo::DemoOptions::default(),
    ))
    .expect("the demo starts");
    let app = mock(Some(demo.hub_url().to_owned()));
    let merchant = demo.merchant().clone();
    let session = app.ok(
        "sign_in_with_invitation",
        json!({"code": merchant.invitation_code, "password": merchant.password}),
    );
    assert_eq!(session["merchant"]["mid"], merchant.mid, "{session}");
    let again = app.err(
        "sign_in_with_invitation",
        json!({"code": merchant.invitation_code, "password": merchant.password}),
    );
    assert_eq!(again["code"], "INVITATION_USED", "{again}");

    let cases = app.ok("cases", json!({}));
    let products: Vec<&str> = cases["groups"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|g| g["product"].as_str())
        .collect();
    assert!(
        products.contains(&"UPM"),
        "the demo merchant has UPM cases: {products:?}"
    );

    let run = app.ok("start_run", json!({"caseId": "UPM-01"}));
    let run_id = run["id"].as_str().unwrap().to_owned();
    let code = app.ok("payment_code", json!({"runId": run_id}));
    let digits = code["digits"].as_str().unwrap();
    assert!(
        digits.len() >= 16 && digits.bytes().all(|b| b.is_ascii_digit()),
        "{code}"
    );
    assert!(
        code["qr"]["svg"]
            .as_str()
            .is_some_and(|s| s.contains("<svg")),
        "{code}"
    );
    let error = app.err("scan_text", json!({"text": digits}));
    assert_eq!(error["code"], "PAYMENT_CODE_SCANNED", "{error}");
    let receipt = app.ok(
        "answer_manual",
        json!({"runId": run_id, "answer": {"questionId": "pos-shows-success", "answer": true}}),
    );
    assert_eq!(receipt["state"], "sent", "{receipt}");
    let history = app.ok("history", json!({}));
    assert!(
        history
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["id"] == run_id.as_str()),
        "the run is in the history: {history}"
    );
    tauri::async_runtime::block_on(demo.shutdown());
}
