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
        "open_merchant_site",
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

const PREPARE: &str = "/aps/api/v1/authorizations/prepare";

/// A cashier `pay` (CASHIER_PAYMENT) that sends the customer back to `redirect`.
fn cashier_pay(request_id: &str, redirect: &str) -> Value {
    json!({
        "productCode": "CASHIER_PAYMENT",
        "paymentRequestId": request_id,
        "paymentRedirectUrl": redirect,
        "order": {
            "referenceOrderId": format!("order-{request_id}"),
            "orderDescription": "Two coffees",
            "orderAmount": {"currency": "HKD", "value": "8400"},
            "merchant": {"referenceMerchantId": "M1", "merchantMCC": "5812", "merchantName": "Linker Shop"},
            "env": {"terminalType": "WEB"}
        },
        "paymentAmount": {"currency": "HKD", "value": "8400"},
        "paymentMethod": {"paymentMethodType": "CONNECT_WALLET"},
        "paymentFactor": {"isCashierPayment": "true"},
        "settlementStrategy": {"settlementCurrency": "HKD"}
    })
}

/// The ACQP's `prepare` for the shop `client`, coming back to `redirect`; returns the authUrl.
async fn prepare(acqp: &Acqp, hub: &HubProcess, client: &str, redirect: &str) -> String {
    let prepared = acqp
        .call(
            hub,
            PREPARE,
            &json!({
                "customerBelongsTo": "TEST_WALLET", "authClientId": client,
                "authRedirectUrl": redirect, "scopes": ["AGREEMENT_PAY"], "authState": "state-7"
            }),
        )
        .await;
    prepared["authUrl"]
        .as_str()
        .unwrap_or_else(|| panic!("prepare gives an authUrl: {prepared}"))
        .to_owned()
}

#[tokio::test]
async fn a_json_shell_pays_a_cashier_checkout_and_returns_the_customer_to_the_merchant() {
    let hub_dir = tempfile::tempdir().unwrap();
    let wallet_dir = tempfile::tempdir().unwrap();
    let hub = HubProcess::start(hub_dir.path()).await;
    let acqp = Acqp::create(&hub).await;
    let code = acqp.invite_for(&hub, "M320", &["CASHIER"]).await;
    let (wallet, _clock) = wallet(wallet_dir.path(), &hub.url);
    commands::call(
        &wallet,
        "sign_in_with_invitation",
        json!({"code": code, "password": PASSWORD}),
    )
    .await
    .unwrap();
    // The cases, kept on the device: the run's steps are judged against them.
    commands::call(&wallet, "cases", json!({})).await.unwrap();
    let run = commands::call(&wallet, "start_run", json!({"caseId": "CSH-01"}))
        .await
        .unwrap();
    let run_id = run["id"].as_str().unwrap().to_owned();
    let redirect = "https://shop.example/shop/return/order-1";
    let paid = acqp
        .call(
            &hub,
            "/aps/api/v1/payments/pay",
            &cashier_pay("csh-1", redirect),
        )
        .await;
    let payment_url = paid["paymentUrl"]
        .as_str()
        .unwrap_or_else(|| panic!("a cashier pay gives a paymentUrl: {paid}"));

    let opened = commands::call(&wallet, "scan_text", json!({"text": payment_url}))
        .await
        .unwrap();
    assert_eq!(
        (&opened["next"]["action"], &opened["kind"]),
        (&json!("confirm"), &json!("paymentPage")),
        "the checkout's URL opens the payment to confirm: {opened}"
    );
    assert_eq!(
        (
            &opened["payment"]["productCode"],
            &opened["payment"]["redirectUrl"]
        ),
        (&json!("CASHIER_PAYMENT"), &json!(redirect)),
        "the confirmation knows it is a cashier payment and where Done returns: {opened}"
    );
    commands::call(&wallet, "confirm_payment", json!({"runId": run_id}))
        .await
        .unwrap();

    let missing = commands::call(&wallet, "redirected", json!({"runId": run_id}))
        .await
        .unwrap_err();
    assert_eq!(
        (missing.code.as_str(), missing.message.contains("url")),
        ("INVALID_INPUT", true),
        "redirected without the URL names it: {missing:?}"
    );
    let returned = commands::call(
        &wallet,
        "redirected",
        json!({"runId": run_id, "url": redirect}),
    )
    .await
    .unwrap();
    let recorded: Vec<&Value> = returned["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["action"]["action"] == "redirected")
        .collect();
    assert_eq!(
        recorded
            .iter()
            .map(|e| e["action"]["url"].as_str().unwrap_or_default())
            .collect::<Vec<_>>(),
        vec![redirect],
        "the run records once where the wallet returned the customer: {returned}"
    );
    let detail = commands::call(&wallet, "run", json!({"runId": run_id}))
        .await
        .unwrap();
    let done: Vec<(&Value, &Value)> = detail["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| (&s["doneWhen"], &s["done"]))
        .collect();
    assert_eq!(
        done,
        vec![
            (&json!("payment-url-opened"), &json!(true)),
            (&json!("redirected-to-merchant"), &json!(true))
        ],
        "both of CSH-01's steps are ticked by the wallet's own events: {}",
        detail["steps"]
    );
}

#[tokio::test]
async fn a_json_shell_inspects_authorizes_lists_unbinds_and_declines_auto_debit() {
    let hub_dir = tempfile::tempdir().unwrap();
    let wallet_dir = tempfile::tempdir().unwrap();
    let hub = HubProcess::start(hub_dir.path()).await;
    let acqp = Acqp::create(&hub).await;
    let code = acqp.invite_for(&hub, "M330", &["AUTO_DEBIT"]).await;
    let (wallet, _clock) = wallet(wallet_dir.path(), &hub.url);
    commands::call(
        &wallet,
        "sign_in_with_invitation",
        json!({"code": code, "password": PASSWORD}),
    )
    .await
    .unwrap();
    let run = commands::call(&wallet, "start_run", json!({"caseId": "ADB-02"}))
        .await
        .unwrap();
    let run_id = run["id"].as_str().unwrap().to_owned();
    let auth_url = prepare(&acqp, &hub, "SHOP-7", "https://shop.example/account/return").await;

    let scanned = commands::call(&wallet, "scan_text", json!({"text": auth_url}))
        .await
        .unwrap();
    assert_eq!(
        (&scanned["kind"], &scanned["next"]),
        (
            &json!("authorizationPage"),
            &json!({"action": "authorize", "url": auth_url})
        ),
        "scanning the authUrl asks to authorize it: {scanned}"
    );
    let asked = commands::call(&wallet, "inspect_authorization", json!({"url": auth_url}))
        .await
        .unwrap();
    assert_eq!(
        (&asked["clientId"], &asked["scopes"], &asked["status"]),
        (
            &json!("SHOP-7"),
            &json!(["AGREEMENT_PAY"]),
            &json!("prepared")
        ),
        "the prompt says who asks and for what, not answered yet: {asked}"
    );

    let granted = commands::call(
        &wallet,
        "authorize",
        json!({"url": auth_url, "runId": run_id}),
    )
    .await
    .unwrap();
    let back = granted["redirectUrl"].as_str().unwrap_or_default();
    assert!(
        back.starts_with("https://shop.example/account/return?authCode=")
            && back.ends_with("&authState=state-7"),
        "Authorize returns the customer with the code and the state: {granted}"
    );
    let again = commands::call(&wallet, "authorize", json!({"url": auth_url}))
        .await
        .unwrap_err();
    assert_eq!(
        again.code, "CONFLICT",
        "an authorization is granted once: {again:?}"
    );

    let listed = commands::call(&wallet, "authorizations", Value::Null)
        .await
        .unwrap();
    assert_eq!(
        listed
            .as_array()
            .unwrap()
            .iter()
            .map(|a| (&a["id"], &a["clientId"], &a["active"], &a["runId"]))
            .collect::<Vec<_>>(),
        vec![(
            &granted["id"],
            &json!("SHOP-7"),
            &json!(true),
            &json!(run_id)
        )],
        "the Authorizations screen lists the granted one as active, in its run: {listed}"
    );

    let missing = commands::call(&wallet, "revoke_authorization", json!({}))
        .await
        .unwrap_err();
    assert!(
        missing.code == "INVALID_INPUT" && missing.message.contains("authorizationId"),
        "Unbind without an id names the argument: {missing:?}"
    );
    let told = commands::call(
        &wallet,
        "revoke_authorization",
        json!({"authorizationId": granted["id"]}),
    )
    .await
    .unwrap();
    assert_eq!(
        told,
        json!(false),
        "the project has no authNotify URL, so the merchant did not acknowledge the unbinding"
    );
    let listed = commands::call(&wallet, "authorizations", json!({}))
        .await
        .unwrap();
    assert_eq!(
        (&listed[0]["status"], &listed[0]["active"]),
        (&json!("revoked"), &json!(false)),
        "after Unbind the authorization is revoked: {listed}"
    );
    let detail = commands::call(&wallet, "run", json!({"runId": run_id}))
        .await
        .unwrap();
    assert!(
        detail["run"]["events"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["action"]["action"] == "revoke_authorization"),
        "the revocation is evidence in the run it was granted in: {}",
        detail["run"]["events"]
    );

    let second = prepare(&acqp, &hub, "SHOP-8", "https://shop.example/back").await;
    let declined = commands::call(
        &wallet,
        "decline_authorization",
        json!({"url": second, "runId": run_id}),
    )
    .await
    .unwrap();
    assert_eq!(
        declined["redirectUrl"], "https://shop.example/back?authState=state-7",
        "Decline returns the customer with the state and no code: {declined}"
    );
    let after = commands::call(&wallet, "inspect_authorization", json!({"url": second}))
        .await
        .unwrap();
    assert_eq!(after["status"], "declined", "{after}");
}
