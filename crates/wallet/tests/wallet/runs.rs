//! Cases, runs, payment codes and following a run to its verdict.

use chrono::Duration;
use linker_wallet::Clock;
use linker_wallet::{EventKind, ImageFormat, ManualAnswerInput, Product, RunUpdate, WriteState};

use crate::support::{PAY, Setup, upm_pay};

#[tokio::test]
async fn cases_are_grouped_by_product_and_kept_for_offline_use() {
    let mut setup = Setup::new().await;
    let list = setup.wallet.cases().await.unwrap();
    assert!(!list.from_cache, "fresh from the hub");
    let upm = list
        .groups
        .iter()
        .find(|g| g.product == Product::Upm)
        .expect("a UPM group");
    let ids: Vec<&str> = upm.cases.iter().map(|c| c.id.as_str()).collect();
    assert!(
        ids.contains(&"UPM-01") && ids.contains(&"UPM-07"),
        "{ids:?}"
    );
    assert_eq!(upm.not_run, upm.cases.len(), "nothing run yet");
    assert!(
        list.groups.iter().all(|g| g.product != Product::Cashier),
        "only the merchant's products: {:?}",
        list.groups.iter().map(|g| g.product).collect::<Vec<_>>()
    );
    let upm01 = &upm.cases[0];
    assert!(
        upm01.definition.get("sandbox").is_some(),
        "the full definition is kept: {}",
        upm01.definition
    );

    setup.hub.stop().await;
    let offline = setup.wallet.cases().await.unwrap();
    assert!(offline.from_cache, "from the store");
    assert!(
        offline
            .offline_reason
            .as_deref()
            .is_some_and(|r| r.contains("cannot be reached")),
        "{:?}",
        offline.offline_reason
    );
    assert_eq!(
        offline.groups.iter().map(|g| g.cases.len()).sum::<usize>(),
        list.groups.iter().map(|g| g.cases.len()).sum::<usize>(),
        "the same cases offline"
    );
    let case = setup.wallet.case("UPM-01").await.unwrap();
    assert!(
        case.manual.iter().any(|q| q.id == "pos-shows-success"),
        "manual questions offline: {:?}",
        case.manual
    );
}

#[tokio::test]
async fn a_payment_code_rotates_after_the_refresh_interval_and_after_use() {
    let setup = Setup::new().await;
    let wallet = &setup.wallet;
    let error = wallet
        .payment_code(None, ImageFormat::None)
        .await
        .unwrap_err();
    assert_eq!(error.code(), "NO_OPEN_RUN", "{error}");

    let run = wallet
        .start_run("UPM-01", Default::default())
        .await
        .unwrap();
    let first = wallet.payment_code(None, ImageFormat::Both).await.unwrap();
    assert_eq!(first.run_id, run.id);
    assert!(
        first.digits.len() == 24 && first.digits.starts_with("281999"),
        "a TEST_WALLET code: {}",
        first.digits
    );
    assert_eq!(first.seconds_left, 60);
    let barcode = first.barcode.as_ref().unwrap();
    let qr = first.qr.as_ref().unwrap();
    assert!(
        barcode.svg.as_deref().unwrap().starts_with("<svg"),
        "SVG drawn"
    );
    for png in [barcode.png.as_ref().unwrap(), qr.png.as_ref().unwrap()] {
        let decoded = linker_scan::decode(png).unwrap();
        assert_eq!(
            decoded.first().map(|d| d.text.as_str()),
            Some(first.digits.as_str()),
            "the drawn code reads back as its digits"
        );
    }

    setup.clock.advance(Duration::seconds(59));
    let same = wallet.payment_code(None, ImageFormat::None).await.unwrap();
    assert_eq!(same.digits, first.digits, "still fresh at 59 s");
    assert_eq!(same.seconds_left, 1);

    setup.clock.advance(Duration::seconds(1));
    let second = wallet.payment_code(None, ImageFormat::None).await.unwrap();
    assert_ne!(second.digits, first.digits, "replaced at 60 s");
    assert_eq!(second.seconds_left, 60);
    assert_eq!(
        wallet.retired_codes(&run.id).unwrap()[0],
        (first.digits.clone(), "refreshed".to_owned())
    );

    // The POS charges the code: it is single use.
    let answer = setup
        .acqp
        .call(&setup.hub, PAY, &upm_pay("rot-1", &second.digits, "1000"))
        .await;
    assert_eq!(answer["result"]["resultCode"], "SUCCESS", "{answer}");
    wallet.run(&run.id).await.unwrap();
    let third = wallet.payment_code(None, ImageFormat::None).await.unwrap();
    assert_ne!(
        third.digits, second.digits,
        "a used code is replaced at once"
    );
    assert_eq!(
        wallet.retired_codes(&run.id).unwrap()[0],
        (second.digits.clone(), "used".to_owned())
    );
    let events = wallet.run(&run.id).await.unwrap().run.events;
    let shown = events
        .iter()
        .filter(|e| {
            matches!(&e.kind, EventKind::WalletAction { action }
                if matches!(action, linker_wallet::WalletActionKind::ShowPaymentCode { .. }))
        })
        .count();
    assert_eq!(shown, 3, "the hub recorded each code shown: {events:?}");
}

#[tokio::test]
async fn a_run_is_followed_live_to_its_verdict() {
    let setup = Setup::new().await;
    let wallet = &setup.wallet;
    let run = wallet
        .start_run("UPM-01", Default::default())
        .await
        .unwrap();
    assert!(run.is_open());
    let current = wallet.current_run().await.unwrap().expect("an open run");
    assert_eq!(current.run.id, run.id);
    let code = wallet
        .payment_code(Some(&run.id), ImageFormat::None)
        .await
        .unwrap();

    let mut follower = wallet.follow_run(&run.id);
    let first = follower.next().await.unwrap().unwrap();
    assert!(
        matches!(&first, RunUpdate::Event { event } if event.seq == 1),
        "the backlog first: {first:?}"
    );
    setup
        .acqp
        .call(&setup.hub, PAY, &upm_pay("follow-1", &code.digits, "1000"))
        .await;
    let receipt = wallet
        .answer_manual(
            None,
            ManualAnswerInput::yes("pos-shows-success").with_note("receipt printed"),
        )
        .await
        .unwrap();
    assert_eq!(receipt.state, WriteState::Sent, "{receipt:?}");

    let mut seen = Vec::new();
    let verdict = loop {
        match follower.next().await {
            Some(Ok(RunUpdate::Verdict { verdict })) => break verdict,
            Some(Ok(update)) => seen.push(update),
            Some(Err(error)) => panic!("the follower failed: {error}; saw {seen:?}"),
            None => panic!("ended without a verdict; saw {seen:?}"),
        }
    };
    assert_eq!(
        verdict.outcome,
        linker_wallet::Outcome::Passed,
        "{}",
        verdict.summary
    );
    assert!(
        seen.iter().any(|u| matches!(u, RunUpdate::Event { event }
            if matches!(&event.kind, EventKind::AcqpCall(call) if call.result_code == "SUCCESS"))),
        "the pay came through the stream: {seen:?}"
    );
    assert!(
        follower.next().await.is_none(),
        "the stream ends after the verdict"
    );

    let stored = wallet.history().await.unwrap();
    assert_eq!(stored[0].status, "passed", "history shows it");
    assert!(
        wallet.current_run().await.unwrap().is_none(),
        "no open run now"
    );
    let report = wallet.verdict(&run.id).await.unwrap();
    assert!(
        report
            .checks
            .iter()
            .any(|c| c.check == "manual:pos-shows-success"),
        "{:?}",
        report.checks
    );
    assert!(!report.evidence.is_empty(), "the evidence comes along");
    let cases = wallet.cases().await.unwrap();
    let upm = cases
        .groups
        .iter()
        .find(|g| g.product == Product::Upm)
        .unwrap();
    assert_eq!(upm.passed, 1, "progress counts the pass");
    assert_eq!(
        upm.cases
            .iter()
            .find(|c| c.id == "UPM-01")
            .and_then(|c| c.last.as_ref())
            .map(|l| l.status.as_str()),
        Some("passed")
    );
    let error = wallet
        .answer_manual(Some(&run.id), ManualAnswerInput::no("pos-shows-success"))
        .await
        .unwrap_err();
    assert_eq!(error.code(), "RUN_OVER", "{error}");
}

#[tokio::test]
async fn a_refund_cases_refund_step_is_not_done_by_the_sales_payment_alone() {
    use linker_wallet::StepEvent;
    use linker_wallet::commands;

    let setup = Setup::new().await;
    let wallet = &setup.wallet;
    wallet.cases().await.unwrap();
    let run = wallet
        .start_run("RFD-01", Default::default())
        .await
        .unwrap();
    let done = |detail: &linker_wallet::RunDetail| -> Vec<(Option<StepEvent>, bool)> {
        detail.steps.iter().map(|s| (s.done_when, s.done)).collect()
    };
    let fresh = commands::run(wallet, &run.id).await.unwrap();
    assert_eq!(
        done(&fresh),
        [
            (Some(StepEvent::PaymentSucceeded), false),
            (Some(StepEvent::PaymentRefunded), false)
        ],
        "nothing is done in a new run: {:?}",
        fresh.steps
    );

    let code = wallet
        .payment_code(Some(&run.id), ImageFormat::None)
        .await
        .unwrap();
    let paid = setup
        .acqp
        .call(
            &setup.hub,
            PAY,
            &upm_pay("rfd-sale-1", &code.digits, "1000"),
        )
        .await;
    assert_eq!(paid["result"]["resultStatus"], "S", "{paid}");
    let sold = commands::run(wallet, &run.id).await.unwrap();
    assert_eq!(
        done(&sold),
        [
            (Some(StepEvent::PaymentSucceeded), true),
            (Some(StepEvent::PaymentRefunded), false)
        ],
        "the sale's step is done and the refund's is not, although the run has a paid payment \
         and {} events: {:?}",
        sold.run.events.len(),
        sold.run.events
    );

    let refunded = setup
        .acqp
        .call(
            &setup.hub,
            "/aps/api/v1/payments/refund",
            &serde_json::json!({
                "paymentRequestId": "rfd-sale-1",
                "refundRequestId": "rfd-refund-1",
                "refundAmount": {"currency": "HKD", "value": "1000"}
            }),
        )
        .await;
    assert_eq!(refunded["result"]["resultStatus"], "S", "{refunded}");
    let after = commands::run(wallet, &run.id).await.unwrap();
    assert_eq!(
        done(&after),
        [
            (Some(StepEvent::PaymentSucceeded), true),
            (Some(StepEvent::PaymentRefunded), true)
        ],
        "the refund's step is done by the refund: {:?}",
        after.run.events
    );
    let json = serde_json::to_value(&after).unwrap();
    assert_eq!(
        json["steps"][1]["doneWhen"], "payment-refunded",
        "the screens get each step's event and whether it is done: {json}"
    );
    assert_eq!(json["steps"][1]["done"], true, "{json}");
}

#[tokio::test]
async fn the_wallet_under_test_of_the_settings_travels_with_each_run_and_the_case_list() {
    let setup = Setup::new().await;
    let wallet = &setup.wallet;
    let choose = |name: &str| {
        wallet
            .update_settings(linker_wallet::SettingsUpdate {
                wallet: Some(name.to_owned()),
                ..Default::default()
            })
            .unwrap()
    };

    // The default: TEST_WALLET, as before.
    let run = wallet
        .start_run("UPM-01", Default::default())
        .await
        .unwrap();
    assert_eq!(run.wallet.as_deref(), Some("TEST_WALLET"), "{run:?}");
    let code = wallet.payment_code(None, ImageFormat::None).await.unwrap();
    assert!(code.digits.starts_with("281999"), "{}", code.digits);

    // GCASH chosen: the next run is GCash's, its codes carry GCash's routing number, and the
    // POS is answered as GCash.
    choose("GCASH");
    let run = wallet
        .start_run("UPM-01", Default::default())
        .await
        .unwrap();
    assert_eq!(run.wallet.as_deref(), Some("GCASH"), "{run:?}");
    let code = wallet.payment_code(None, ImageFormat::None).await.unwrap();
    assert!(
        code.digits.starts_with("281105"),
        "a GCASH code (routing 105): {}",
        code.digits
    );
    let answer = setup
        .acqp
        .call(&setup.hub, PAY, &upm_pay("wut-w", &code.digits, "10000"))
        .await;
    assert_eq!(
        (&answer["pspId"], &answer["walletBrandName"]),
        (
            &serde_json::json!("1022170000000000000"),
            &serde_json::json!("GCash")
        ),
        "{answer}"
    );
    assert_eq!(
        wallet.run(&run.id).await.unwrap().run.wallet.as_deref(),
        Some("GCASH"),
        "the run keeps its wallet"
    );

    // DANA chosen: the case list says which cases it cannot run and why, and the hub refuses
    // to start one.
    choose("DANA");
    let list = wallet.cases().await.unwrap();
    let upm01 = list
        .groups
        .iter()
        .flat_map(|g| &g.cases)
        .find(|c| c.id == "UPM-01")
        .expect("UPM-01 listed");
    assert!(!upm01.runnable, "DANA has no UPM: {upm01:?}");
    assert!(
        upm01
            .not_runnable_reason
            .as_deref()
            .is_some_and(|why| why.contains("DANA") && why.contains("User-presented Mode")),
        "{:?}",
        upm01.not_runnable_reason
    );
    let error = wallet
        .start_run("UPM-01", Default::default())
        .await
        .unwrap_err();
    assert_eq!(error.code(), "WALLET_LACKS_PRODUCT", "{error}");
    assert!(error.to_string().contains("DANA"), "{error}");

    // Back to TEST_WALLET: UPM-01 is runnable again.
    choose("TEST_WALLET");
    let list = wallet.cases().await.unwrap();
    let upm01 = list
        .groups
        .iter()
        .flat_map(|g| &g.cases)
        .find(|c| c.id == "UPM-01")
        .expect("UPM-01 listed");
    assert!(
        upm01.runnable && upm01.not_runnable_reason.is_none(),
        "{upm01:?}"
    );
}
