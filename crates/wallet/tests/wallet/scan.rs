//! Scanning: payment codes refused, other texts named, EMVCo decoded, order codes resolved by
//! the hub into the payment to confirm.

use linker_wallet::{EventKind, ScanInput, ScanKind, ScanNext, WalletActionKind};

use crate::support::{PAY, Setup, order_code_pay};

/// A valid EMVCo merchant QR (the EMVCo specification's example).
const EMVCO: &str = "00020101021229300012D156000000000510A93FO3230Q31280012D15600000001030812345678520441115802CN5914BEST TRANSPORT6007BEIJING64200002ZH0104最佳运输0202北京540523.7253031565502016233030412340603***0708A60086670902ME91320016A0112233449988770708123456786304A13A";

#[tokio::test]
async fn scanning_tells_payment_codes_links_and_emvco_apart() {
    let setup = Setup::new().await;
    let wallet = &setup.wallet;

    let error = wallet
        .scan(ScanInput::Text("281999000000000000000042"))
        .await
        .unwrap_err();
    assert_eq!(error.code(), "PAYMENT_CODE_SCANNED", "{error}");
    assert!(
        error
            .to_string()
            .contains("shown by a wallet, not scanned by one"),
        "{error}"
    );

    let error = wallet
        .scan(ScanInput::Text("https://example.com/menu"))
        .await
        .unwrap_err();
    assert_eq!(error.code(), "NOT_ALIPAY_CODE", "{error}");
    assert!(
        error.to_string().contains("https://example.com/menu")
            && error.to_string().contains("example.com"),
        "says what was read: {error}"
    );

    let emvco = wallet.scan(ScanInput::Text(EMVCO)).await.unwrap();
    assert_eq!(emvco.kind, ScanKind::EmvcoCode, "{emvco:?}");
    assert_eq!(emvco.next, ScanNext::ShowFields);
    assert!(
        emvco
            .lines
            .iter()
            .any(|l| l.value.contains("BEST TRANSPORT")),
        "the merchant name is shown: {:?}",
        emvco.lines
    );
    assert_eq!(emvco.run_id, None, "no run: decided on the device");

    // In a run the hub classifies and records the scan.
    let run = wallet
        .start_run("MOC-01", Default::default())
        .await
        .unwrap();
    let error = wallet
        .scan(ScanInput::Text("https://example.com/menu"))
        .await
        .unwrap_err();
    assert_eq!(error.code(), "NOT_ALIPAY_CODE", "{error}");
    let emvco = wallet.scan(ScanInput::Text(EMVCO)).await.unwrap();
    assert_eq!(
        (emvco.kind, emvco.run_id.as_deref()),
        (ScanKind::EmvcoCode, Some(run.id.as_str()))
    );
    let error = wallet
        .scan(ScanInput::Text("281999000000000000000042"))
        .await
        .unwrap_err();
    assert_eq!(error.code(), "PAYMENT_CODE_SCANNED", "{error}");
    let events = wallet.run(&run.id).await.unwrap().run.events;
    let scans: Vec<String> = events
        .iter()
        .filter_map(|e| match &e.kind {
            EventKind::WalletAction {
                action: WalletActionKind::Scan { classified, .. },
            } => Some(classified.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(
        scans,
        ["notAlipayPlus", "emvcoCode"],
        "the run records what the hub was asked about (a payment code never leaves the device)"
    );

    let error = wallet
        .scan(ScanInput::ImageBytes(&crate::support::photo()))
        .await
        .unwrap_err();
    assert_eq!(
        error.code(),
        "NOT_ALIPAY_CODE",
        "a QR of plain text: {error}"
    );
    let error = wallet
        .scan(ScanInput::ImageBytes(b"not an image"))
        .await
        .unwrap_err();
    assert_eq!(error.code(), "IMAGE_UNREADABLE", "{error}");
    let blank = vec![255u8; 64 * 64];
    let error = wallet
        .scan(ScanInput::LumaFrame {
            width: 64,
            height: 64,
            pixels: &blank,
        })
        .await
        .unwrap_err();
    assert_eq!(error.code(), "NO_CODE_FOUND", "{error}");
}

#[tokio::test]
async fn an_order_code_scanned_from_a_camera_frame_shows_the_payment_to_confirm() {
    let setup = Setup::new().await;
    let wallet = &setup.wallet;
    let run = wallet
        .start_run("MOC-01", Default::default())
        .await
        .unwrap();
    assert_eq!(run.wallet.as_deref(), Some("TEST_WALLET"), "{run:?}");
    let answer = setup
        .acqp
        .call(&setup.hub, PAY, &order_code_pay("moc-1", "1200"))
        .await;
    let code_value = answer["orderCodeForm"]["codeDetails"][0]["codeValue"]
        .as_str()
        .unwrap_or_else(|| panic!("an order code: {answer}"))
        .to_owned();
    let frame = linker_scan::text_qr(&code_value, &Default::default())
        .unwrap()
        .to_rgba();
    let (width, height) = frame.dimensions();
    let outcome = wallet
        .scan(ScanInput::RgbaFrame {
            width,
            height,
            pixels: frame.as_raw(),
        })
        .await
        .unwrap();
    assert_eq!(outcome.read, code_value);
    assert_eq!(outcome.symbology.as_deref(), Some("qr"));
    assert_eq!(outcome.kind, ScanKind::AlipayOrderCode, "{outcome:?}");
    assert_eq!(outcome.next, ScanNext::Confirm, "{}", outcome.message);
    let payment = outcome.payment.expect("the payment to confirm");
    assert_eq!(payment.merchant_name.as_deref(), Some("Linker Cafe"));
    assert_eq!(payment.amount_text, "HKD 12.00");
    assert_eq!(payment.question(), "Pay HKD 12.00 to Linker Cafe?");
    assert_eq!(payment.exchange_rate, None, "same currency: no rate");

    // The wallet under test travels with the run when it starts: switching it mid-run changes
    // nothing for this run's payment (the hub plays TEST_WALLET here).
    wallet
        .update_settings(linker_wallet::SettingsUpdate {
            wallet: Some("ALIPAY_CN".into()),
            ..Default::default()
        })
        .unwrap();
    let again = wallet.scan(ScanInput::Text(&code_value)).await.unwrap();
    assert_eq!(
        again.payment.and_then(|p| p.exchange_rate),
        None,
        "the run plays the wallet it was started with"
    );

    // A run started with a wallet that holds CNY: the hub's quote for the payment is shown, the
    // same one the ACQP gets in its inquiry.
    let run = wallet
        .start_run("MOC-01", Default::default())
        .await
        .unwrap();
    assert_eq!(run.wallet.as_deref(), Some("ALIPAY_CN"), "{run:?}");
    let answer = setup
        .acqp
        .call(&setup.hub, PAY, &order_code_pay("moc-2", "1200"))
        .await;
    let code_value = answer["orderCodeForm"]["codeDetails"][0]["codeValue"]
        .as_str()
        .unwrap_or_else(|| panic!("an order code: {answer}"))
        .to_owned();
    let scanned = wallet.scan(ScanInput::Text(&code_value)).await.unwrap();
    let rate = scanned
        .payment
        .and_then(|p| p.exchange_rate)
        .expect("an ALIPAY_CN customer paying HKD sees the hub's quote");
    assert_eq!(
        (rate.from.as_str(), rate.to.as_str(), rate.rate.as_str()),
        ("HKD", "CNY", "0.9103"),
        "{rate:?}"
    );
    assert_eq!(
        rate.converted.as_deref(),
        Some("CNY 10.92 (Linker test rate)"),
        "{rate:?}"
    );
    assert_eq!(
        rate.quote_id.as_deref(),
        Some("LINKER-TEST-RATE-HKD-CNY"),
        "{rate:?}"
    );
    let after = wallet.confirm_payment(None).await.unwrap();
    assert!(
        after.events.iter().any(|e| matches!(
            &e.kind,
            EventKind::WalletAction {
                action: WalletActionKind::ConfirmPayment
            }
        )),
        "the confirmation is recorded: {:?}",
        after.events
    );
    assert_eq!(after.id, run.id);
    let inquiry = setup
        .acqp
        .call(
            &setup.hub,
            "/aps/api/v1/payments/inquiryPayment",
            &serde_json::json!({"paymentRequestId": "moc-2"}),
        )
        .await;
    assert_eq!(
        inquiry["customerPayAmount"],
        serde_json::json!({"currency": "CNY", "value": "1092"}),
        "the ACQP is told what the wallet showed: {inquiry}"
    );
    assert_eq!(
        inquiry["paymentQuote"]["quoteId"], "LINKER-TEST-RATE-HKD-CNY",
        "{inquiry}"
    );
    let error = wallet.confirm_payment(None).await.unwrap_err();
    assert_eq!(error.code(), "CONFLICT", "nothing waits any more: {error}");
}

#[tokio::test]
async fn mpc_02_from_the_app_scans_a_code_the_merchant_never_issued_and_passes_on_its_refusal() {
    use linker_wallet::commands;
    use linker_wallet::{CallbackKind, StepEvent};

    use crate::support::PRIVATE_CODE_DOMAIN;

    let setup = Setup::new().await;
    let wallet = &setup.wallet;
    wallet.cases().await.unwrap();
    let mpc02 = commands::case(wallet, "MPC-02").await.unwrap();
    let mpc01 = commands::case(wallet, "MPC-01").await.unwrap();
    assert!(
        mpc02.scans_unissued_code && !mpc01.scans_unissued_code,
        "the catalogue's sandbox (customer scans-unknown-code) decides which case offers the \
         action: MPC-02 {}, MPC-01 {}",
        mpc02.scans_unissued_code,
        mpc01.scans_unissued_code
    );

    // A case whose customer scans the merchant's own code makes none.
    let moc = commands::start_run(wallet, "MOC-01").await.unwrap();
    let refused = commands::scan_unissued_code(wallet, &moc.id)
        .await
        .unwrap_err();
    assert!(
        refused.code == "CONFLICT" && refused.message.contains("never issued"),
        "MOC-01 refuses: {refused:?}"
    );
    // Nor does a project without a private order-code domain.
    let run = commands::start_run(wallet, "MPC-02").await.unwrap();
    let refused = commands::scan_unissued_code(wallet, &run.id)
        .await
        .unwrap_err();
    assert!(
        refused.code == "CONFLICT" && refused.message.contains("private order-code domain"),
        "no domain registered yet: {refused:?}"
    );

    let acqp = setup.acqp.serve_user_initiated_pay(&setup.hub).await;
    let outcome = commands::scan_unissued_code(wallet, &run.id).await.unwrap();
    assert!(
        outcome
            .read
            .starts_with(&format!("https://{PRIVATE_CODE_DOMAIN}/281")),
        "a private order code on the project's domain: {}",
        outcome.read
    );
    assert_eq!(outcome.kind, ScanKind::PrivateOrderCode, "{outcome:?}");
    assert_eq!(outcome.next, ScanNext::UnknownCode, "{outcome:?}");
    assert!(
        outcome.message.contains("ORDER_NOT_EXIST"),
        "the wallet says the order does not exist: {}",
        outcome.message
    );
    let asked = acqp.asked.lock().unwrap().clone();
    assert_eq!(
        asked
            .iter()
            .map(|a| a["codeValue"].clone())
            .collect::<Vec<_>>(),
        [serde_json::Value::from(outcome.read.clone())],
        "the hub asked the ACQP once, about the code the wallet scanned: {asked:?}"
    );

    let detail = commands::run(wallet, &run.id).await.unwrap();
    let scanned = detail.run.events.iter().any(|e| {
        matches!(&e.kind, EventKind::WalletAction { action: WalletActionKind::Scan { code_value, classified } }
            if *code_value == outcome.read && classified == "privateOrderCode")
    });
    assert!(
        scanned,
        "the run records the scan of that code as a private order code: {:?}",
        detail.run.events
    );
    assert!(
        detail.run.events.iter().any(|e| matches!(&e.kind,
            EventKind::HubCallback(cb) if cb.callback == CallbackKind::UserInitiatedPay && cb.is_signed_ack())),
        "the run records the ACQP's signed answer to userInitiatedPay: {:?}",
        detail.run.events
    );
    assert_eq!(
        detail.run.status, "passed",
        "a signed F ORDER_NOT_EXIST passes MPC-02, as in the runner's run: {:?}",
        detail.run.verdict
    );
    assert_eq!(
        detail
            .steps
            .iter()
            .map(|s| (s.done_when, s.done))
            .collect::<Vec<_>>(),
        [(Some(StepEvent::UserInitiatedPayAnswered), true)],
        "the step is ticked by the ACQP's answer"
    );
}
