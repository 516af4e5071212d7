//! The command layer as a shell that speaks JSON calls it (`commands::call`): the same answers
//! as the wallet's methods, arguments named as the screens send them, and `{code, message}` for a
//! wrong argument, an unknown command or a desktop-only one.

use linker_wallet::commands::{self, PORTABLE};
use serde_json::{Value, json};

use crate::support::{Acqp, HubProcess, PASSWORD, wallet};

#[tokio::test]
async fn a_json_shell_signs_in_lists_cases_and_starts_a_run_through_call() {
    let hub_dir = tempfile::tempdir().unwrap();
    let wallet_dir = tempfile::tempdir().unwrap();
    let hub = HubProcess::start(hub_dir.path()).await;
    let acqp = Acqp::create(&hub).await;
    let code = acqp.invite(&hub, "M310").await;
    let (wallet, _clock) = wallet(wallet_dir.path(), &hub.url);

    let none = commands::call(&wallet, "session", Value::Null)
        .await
        .unwrap();
    assert_eq!(none, Value::Null, "no session before signing in: {none}");

    let session = commands::call(
        &wallet,
        "sign_in_with_invitation",
        json!({"code": code, "password": PASSWORD}),
    )
    .await
    .unwrap();
    assert_eq!(session["merchant"]["mid"], "M310", "{session}");

    let cases = commands::call(&wallet, "cases", json!({})).await.unwrap();
    let direct = serde_json::to_value(wallet.cases().await.unwrap()).unwrap();
    assert_eq!(
        cases, direct,
        "call answers what the wallet's method answers"
    );

    let run = commands::call(&wallet, "start_run", json!({"caseId": "UPM-01"}))
        .await
        .unwrap();
    assert_eq!(run["caseId"], "UPM-01", "{run}");
    let run_id = run["id"].as_str().unwrap().to_owned();
    let code = commands::call(&wallet, "payment_code", json!({"runId": run_id}))
        .await
        .unwrap();
    assert_eq!(
        code["runId"],
        run_id.as_str(),
        "the code is the run's: {code}"
    );
    assert!(
        code["digits"].as_str().is_some_and(|d| d.len() >= 18),
        "a payment code's digits to show: {code}"
    );

    let refused = commands::call(&wallet, "case", json!({"caseId": "NOPE-99"}))
        .await
        .unwrap_err();
    assert!(
        !refused.code.is_empty() && refused.code != "INVALID_INPUT",
        "an unknown case is the wallet's own error, not an argument error: {refused:?}"
    );
}

#[tokio::test]
async fn wrong_arguments_unknown_and_desktop_only_commands_answer_code_and_message() {
    let hub_dir = tempfile::tempdir().unwrap();
    let wallet_dir = tempfile::tempdir().unwrap();
    let hub = HubProcess::start(hub_dir.path()).await;
    let (wallet, _clock) = wallet(wallet_dir.path(), &hub.url);

    let missing = commands::call(&wallet, "run", json!({})).await.unwrap_err();
    assert_eq!(missing.code, "INVALID_INPUT", "{missing:?}");
    assert!(
        missing.message.contains("runId"),
        "the missing argument is named: {missing:?}"
    );

    let extra = commands::call(&wallet, "cases", json!({"surprise": 1}))
        .await
        .unwrap_err();
    assert_eq!(extra.code, "INVALID_INPUT", "{extra:?}");
    assert!(extra.message.contains("surprise"), "{extra:?}");

    let bad_image = commands::call(&wallet, "scan_image", json!({"image": "%%% not base64"}))
        .await
        .unwrap_err();
    assert_eq!(bad_image.code, "INVALID_INPUT", "{bad_image:?}");
    assert!(bad_image.message.contains("image"), "{bad_image:?}");

    for desktop_only in [
        "scan_file",
        "codes_on_screen",
        "save_qr",
        "start_demo",
        "open_pos",
    ] {
        assert!(
            !PORTABLE.contains(&desktop_only),
            "{desktop_only} is desktop-only"
        );
        let error = commands::call(&wallet, desktop_only, json!({"path": "/etc/passwd"}))
            .await
            .unwrap_err();
        assert_eq!(
            error.code, "UNKNOWN_COMMAND",
            "a JSON shell never reads a server path or the server's screen: {error:?}"
        );
    }

    let qr = commands::call(&wallet, "generate_qr", json!({"text": "hello"}))
        .await
        .unwrap();
    assert_eq!(qr["text"], "hello", "{qr}");
    let wallets = commands::call(&wallet, "wallets", Value::Null)
        .await
        .unwrap();
    assert!(
        wallets.as_array().is_some_and(|w| !w.is_empty()),
        "the wallets under test: {wallets}"
    );
}

#[tokio::test]
async fn every_portable_command_is_one_call_serves() {
    let hub_dir = tempfile::tempdir().unwrap();
    let wallet_dir = tempfile::tempdir().unwrap();
    let hub = HubProcess::start(hub_dir.path()).await;
    let (wallet, _clock) = wallet(wallet_dir.path(), &hub.url);
    for command in PORTABLE {
        if command == "sign_out" {
            continue;
        }
        let answer = commands::call(&wallet, command, json!({})).await;
        assert!(
            answer
                .as_ref()
                .err()
                .is_none_or(|error| error.code != "UNKNOWN_COMMAND"),
            "{command} is listed as portable, so call must serve it: {answer:?}"
        );
    }
}
