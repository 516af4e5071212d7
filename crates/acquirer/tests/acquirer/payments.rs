//! Payments through the POS driver: UPM, declines, order codes, entry codes, refunds, cancels.

use std::time::Duration;

use linker_pos_driver::{
    AmountRequest, CancelRequest, DisplayState, ErrorCode, Product, RefundRequest, RunRequest,
};

use crate::support::{World, body, charge, hkd, request_id, response, wait_display};

const WAIT: Duration = Duration::from_secs(10);

#[tokio::test]
async fn a_upm_charge_is_paid_with_a_signed_complete_pay() {
    let world = World::new().await;
    let pos = world.pos(&[]).await;
    let caps = pos.driver.capabilities().await.unwrap();
    for product in [
        Product::Upm,
        Product::OrderCode,
        Product::PrivateOrderCode,
        Product::EntryCode,
        Product::Cashier,
        Product::AutoDebit,
    ] {
        assert!(
            caps.products.contains(&product),
            "capabilities list {product:?}: {caps:?}"
        );
    }
    assert!(caps.display, "display answers from the POS's state");
    assert!(
        caps.account && caps.display_by_payment_request_id,
        "the optional capabilities the reference acquirer offers: {caps:?}"
    );

    let code = world.payment_code().await;
    let started = pos.driver.charge(&charge(&code, "2500")).await.unwrap();
    let shown = wait_display(&pos, &started.pos_payment_id, DisplayState::Paid, WAIT).await;
    assert!(
        shown.text.contains("HKD 25.00"),
        "the screen names the amount: {shown:?}"
    );

    let prid = request_id(&pos, &started.pos_payment_id);
    let pays = world.exchanges_for("pay", &prid).await;
    assert_eq!(pays.len(), 1, "one pay for one sale: {pays:?}");
    let pay = &pays[0];
    assert_eq!(
        pay["signatureVerdict"], "valid",
        "the hub verified the request: {pay}"
    );
    assert_eq!(pay["resultStatus"], "S", "{pay}");
    let sent = body(pay);
    assert_eq!(
        sent["paymentFactor"]["inStorePaymentScenario"], "PaymentCode",
        "{sent}"
    );
    assert_eq!(
        sent["paymentMethod"]["paymentMethodId"],
        code.as_str(),
        "{sent}"
    );
    assert_eq!(
        sent["order"]["merchant"]["store"]["referenceStoreId"], "S01",
        "{sent}"
    );
    assert_eq!(
        sent["paymentAmount"],
        serde_json::json!({"currency": "HKD", "value": "2500"})
    );
}

#[tokio::test]
async fn a_declined_charge_shows_the_reason_and_is_not_retried() {
    let world = World::new().await;
    let pos = world.pos(&[]).await;
    world.force("pay", "USER_BALANCE_NOT_ENOUGH").await;
    let code = world.payment_code().await;
    let started = pos.driver.charge(&charge(&code, "900")).await.unwrap();
    let shown = wait_display(&pos, &started.pos_payment_id, DisplayState::Failed, WAIT).await;
    assert_eq!(
        shown.reason.as_deref(),
        Some("USER_BALANCE_NOT_ENOUGH"),
        "the reason behind the failure: {shown:?}"
    );
    assert!(shown.text.contains("USER_BALANCE_NOT_ENOUGH"), "{shown:?}");
    tokio::time::sleep(Duration::from_millis(800)).await;
    let prid = request_id(&pos, &started.pos_payment_id);
    assert_eq!(
        world.exchanges_for("pay", &prid).await.len(),
        1,
        "F is final: no retry"
    );
    assert!(
        world
            .exchanges_for("inquiryPayment", &prid)
            .await
            .is_empty(),
        "nothing to inquire after an F"
    );
}

#[tokio::test]
async fn bad_requests_and_unknown_payments_get_protocol_errors() {
    let world = World::new().await;
    let pos = world.pos(&[]).await;
    let error = pos
        .driver
        .charge(&charge("12345", "100"))
        .await
        .unwrap_err();
    assert_eq!(
        error.code(),
        Some(ErrorCode::BadRequest),
        "not a payment code: {error}"
    );
    let mut jpy = charge("281999123456789012345678", "100");
    jpy.amount = linker_aplus::Amount::parse("JPY", "100").unwrap();
    let error = pos.driver.charge(&jpy).await.unwrap_err();
    assert_eq!(
        error.code(),
        Some(ErrorCode::BadRequest),
        "wrong currency: {error}"
    );
    let error = pos.driver.display("pos_nope").await.unwrap_err();
    assert_eq!(error.code(), Some(ErrorCode::NotFound), "{error}");
    let error = pos
        .driver
        .cashier(&AmountRequest {
            run_id: "r".into(),
            case_id: "CSH-01".into(),
            amount: linker_aplus::Amount::parse("JPY", "100").unwrap(),
        })
        .await
        .unwrap_err();
    assert_eq!(
        error.code(),
        Some(ErrorCode::BadRequest),
        "an online order in the wrong currency: {error}"
    );
    let error = pos
        .driver
        .debit(&AmountRequest {
            run_id: "r".into(),
            case_id: "ADB-01".into(),
            amount: hkd("100"),
        })
        .await
        .unwrap_err();
    assert_eq!(
        error.code(),
        Some(ErrorCode::BadRequest),
        "a debit when no wallet was ever linked: {error}"
    );
    assert!(world.exchanges("pay").await.is_empty(), "no pay was sent");
}

#[tokio::test]
async fn an_order_code_is_shown_polled_and_cancelled_after_expiry() {
    let world = World::new().await;
    let pos = world.pos(&[]).await;
    let shown = pos
        .driver
        .order_code(&AmountRequest {
            run_id: "r".into(),
            case_id: "MOC-02".into(),
            amount: hkd("4200"),
        })
        .await
        .unwrap();
    assert!(
        shown.code_value.starts_with("https://"),
        "an order-code URL: {shown:?}"
    );
    let expire = shown.expire_time.clone().expect("the hub's expireTime");
    let display = pos.driver.display(&shown.pos_payment_id).await.unwrap();
    assert_eq!(display.state, DisplayState::Waiting, "{display:?}");

    let prid = request_id(&pos, &shown.pos_payment_id);
    let pay = body(&world.exchanges_for("pay", &prid).await[0]);
    assert_eq!(
        pay["paymentFactor"]["inStorePaymentScenario"], "OrderCode",
        "{pay}"
    );
    assert!(
        pay["order"]["env"]["userAgent"].is_string(),
        "env.userAgent sent: {pay}"
    );
    assert!(pay["paymentExpiryTime"].is_string(), "{pay}");

    let display = wait_display(&pos, &shown.pos_payment_id, DisplayState::Cancelled, WAIT).await;
    assert_eq!(display.reason.as_deref(), Some("EXPIRED"), "{display:?}");
    let inquiries = world.exchanges_for("inquiryPayment", &prid).await;
    assert!(
        inquiries.len() >= 2,
        "it polled while the code was up: {}",
        inquiries.len()
    );
    let cancels = world.exchanges_for("cancelPayment", &prid).await;
    assert_eq!(cancels.len(), 1, "one cancel closes the order: {cancels:?}");
    let expire = chrono::DateTime::parse_from_rfc3339(&expire).unwrap();
    let cancelled_at =
        chrono::DateTime::parse_from_rfc3339(cancels[0]["at"].as_str().unwrap()).unwrap();
    assert!(
        cancelled_at >= expire,
        "cancelled after expiry ({cancelled_at} >= {expire})"
    );
}

#[tokio::test]
async fn refunds_are_tracked_and_retried_with_the_same_id_on_unknown() {
    let world = World::new().await;
    let pos = world.pos(&[]).await;
    let code = world.payment_code().await;
    let paid = pos.driver.charge(&charge(&code, "1000")).await.unwrap();
    let id = paid.pos_payment_id.clone();
    wait_display(&pos, &id, DisplayState::Paid, WAIT).await;

    let forced = world.force("refund", "UNKNOWN_EXCEPTION").await;
    let refund = |value: &str| RefundRequest {
        run_id: "r".into(),
        case_id: "RFD-03".into(),
        pos_payment_id: id.clone(),
        amount: hkd(value),
    };
    pos.driver.refund(&refund("300")).await.unwrap();
    let prid = request_id(&pos, &id);
    world
        .wait_for_exchanges("two refund attempts", "refund", &prid, 2, WAIT)
        .await;
    world.unforce(&forced).await;
    let shown = wait_display(&pos, &id, DisplayState::PartiallyRefunded, WAIT).await;
    let attempts = world.exchanges_for("refund", &prid).await;
    let ids: std::collections::BTreeSet<String> = attempts
        .iter()
        .map(|e| body(e)["refundRequestId"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(
        ids.len(),
        1,
        "every attempt used one refundRequestId: {ids:?}"
    );
    assert_eq!(
        attempts.last().unwrap()["resultStatus"],
        "S",
        "the retries end in S"
    );
    assert!(shown.text.contains("HKD 3.00"), "{shown:?}");
    assert_eq!(shown.reason, None, "nothing was refused yet: {shown:?}");

    // More than is left: Alipay+ refuses it and the terminal says why (RFD-02).
    pos.driver.refund(&refund("800")).await.unwrap();
    crate::support::eventually("the refused refund on the display", WAIT, || async {
        let shown = pos.driver.display(&id).await.map_err(|e| e.to_string())?;
        if shown.reason.as_deref() == Some("REFUND_AMOUNT_EXCEED")
            && shown.state == DisplayState::PartiallyRefunded
        {
            Ok(())
        } else {
            Err(format!("{shown:?}"))
        }
    })
    .await;

    pos.driver.refund(&refund("700")).await.unwrap();
    let shown = wait_display(&pos, &id, DisplayState::Refunded, WAIT).await;
    assert_eq!(
        shown.reason, None,
        "the last refund went through: {shown:?}"
    );
    let refunds = pos.acquirer.refunds(&id).unwrap();
    assert_eq!(
        refunds
            .iter()
            .map(|r| (r.value, r.state.as_str()))
            .collect::<Vec<_>>(),
        vec![(300, "succeeded"), (800, "failed"), (700, "succeeded")],
        "every refund recorded, the refused one as failed"
    );
    let error = pos.driver.refund(&refund("100")).await.unwrap_err();
    assert_eq!(
        error.code(),
        Some(ErrorCode::BadRequest),
        "nothing left to refund: {error}"
    );
}

#[tokio::test]
async fn a_cancel_is_retried_with_the_same_id_until_it_succeeds() {
    let world = World::new().await;
    let pos = world.pos(&[]).await;
    let code = world.payment_code().await;
    let paid = pos.driver.charge(&charge(&code, "1500")).await.unwrap();
    let id = paid.pos_payment_id.clone();
    wait_display(&pos, &id, DisplayState::Paid, WAIT).await;
    let prid = request_id(&pos, &id);

    let forced = world.force("cancelPayment", "UNKNOWN_EXCEPTION").await;
    pos.driver
        .cancel(&CancelRequest {
            run_id: "r".into(),
            case_id: "CAN-02".into(),
            pos_payment_id: id.clone(),
        })
        .await
        .unwrap();
    world
        .wait_for_exchanges("two cancel attempts", "cancelPayment", &prid, 2, WAIT)
        .await;
    assert_eq!(
        pos.driver.display(&id).await.unwrap().state,
        DisplayState::Paid,
        "not cancelled until a cancel succeeds"
    );
    world.unforce(&forced).await;
    wait_display(&pos, &id, DisplayState::Cancelled, WAIT).await;
    let cancels = world.exchanges_for("cancelPayment", &prid).await;
    assert!(
        cancels
            .iter()
            .all(|c| body(c)["paymentRequestId"] == prid.as_str()),
        "same id each time"
    );
    assert_eq!(
        cancels.last().unwrap()["resultStatus"],
        "S",
        "{:?}",
        response(cancels.last().unwrap())
    );
}

#[tokio::test]
async fn the_entry_code_page_recognises_the_wallet_and_redirects_to_the_payment_url() {
    let world = World::new().await;
    let pos = world.pos(&[]).await;
    let entry = pos
        .driver
        .entry_code(&RunRequest {
            run_id: "r".into(),
            case_id: "MEC-01".into(),
        })
        .await
        .unwrap();
    assert_eq!(entry.code_value, pos.acquirer.entry_code_url());
    let browser = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let plain = browser
        .get(&entry.code_value)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        !plain.contains("<form"),
        "a plain browser gets no form: {plain}"
    );
    let ua = "Mozilla/5.0 AlipayConnect LinkerWallet/0.1 TEST_WALLET";
    let page = browser
        .get(&entry.code_value)
        .header("user-agent", ua)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("<form"),
        "the wallet gets the amount form: {page}"
    );
    let answer = browser
        .post(&entry.code_value)
        .header("user-agent", ua)
        .header("content-type", "application/x-www-form-urlencoded")
        .body("amount=12.30")
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status().as_u16(), 303, "redirected");
    let location = answer.headers()["location"].to_str().unwrap().to_owned();
    let pays = world.exchanges("pay").await;
    let pay = pays.last().unwrap();
    let sent = body(pay);
    assert_eq!(
        sent["paymentFactor"]["inStorePaymentScenario"], "EntryCode",
        "{sent}"
    );
    assert_eq!(
        sent["order"]["env"]["userAgent"], ua,
        "the wallet's UA is passed on: {sent}"
    );
    assert_eq!(sent["paymentAmount"]["value"], "1230", "{sent}");
    assert_eq!(
        response(pay)["paymentUrl"],
        location.as_str(),
        "redirect to the paymentUrl"
    );
}

#[tokio::test]
async fn payments_and_the_key_survive_a_restart() {
    let world = World::new().await;
    let pos = world.pos(&[]).await;
    let key_path = linker_acquirer::config::key_path(pos.dir.path());
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&key_path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "the private key is private: {mode:o}");
    }
    let public = pos.acquirer.public_key_pem().to_owned();
    let code = world.payment_code().await;
    let paid = pos.driver.charge(&charge(&code, "700")).await.unwrap();
    wait_display(&pos, &paid.pos_payment_id, DisplayState::Paid, WAIT).await;
    let dir = pos.dir;
    pos.acquirer.shutdown().await;

    let again = world.pos_in(dir, &[]).await;
    assert_eq!(
        again.acquirer.public_key_pem(),
        public,
        "the same key after a restart"
    );
    let shown = again.driver.display(&paid.pos_payment_id).await.unwrap();
    assert_eq!(
        shown.state,
        DisplayState::Paid,
        "the payment survived: {shown:?}"
    );
}

#[tokio::test]
async fn a_pay_answered_too_late_times_out_and_is_resolved_by_inquiry_without_a_second_pay() {
    let world = World::new().await;
    let pos = world.pos(&[]).await;
    let wallet = world.wallet("M1").await;
    let (status, run) = wallet
        .send(
            &world,
            "POST",
            "/runs",
            Some(serde_json::json!({"caseId": "UPM-06", "slowAnswerSecs": 4})),
        )
        .await;
    assert_eq!(status, 201, "{run}");
    let run = run["id"].as_str().unwrap().to_owned();
    let code = wallet.code(&world, &run).await;
    let mut request = charge(&code, "6600");
    request.run_id = run.clone();
    let started = pos.driver.charge(&request).await.unwrap();
    let prid = request_id(&pos, &started.pos_payment_id);
    world
        .wait_for_exchanges(
            "an inquiry after the timeout",
            "inquiryPayment",
            &prid,
            1,
            WAIT,
        )
        .await;
    let shown = pos.driver.display(&started.pos_payment_id).await.unwrap();
    assert_ne!(
        shown.state,
        DisplayState::Paid,
        "not paid on a timeout alone: {shown:?}"
    );
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(
        world.exchanges_for("pay", &prid).await.len(),
        1,
        "no second pay for the sale"
    );
    let (outcome, reason) = wallet.check(&world, &run, "inquires-or-cancels").await;
    assert_eq!(outcome, "passed", "{reason}");
}

#[tokio::test]
async fn a_payment_the_customer_confirms_later_is_found_by_polling() {
    let world = World::new().await;
    let mut timing = crate::support::timing();
    timing.poll_for = Duration::from_secs(20);
    let pos = world
        .pos_with(tempfile::tempdir().unwrap(), &[], timing)
        .await;
    let wallet = world.wallet("M1").await;
    let run = wallet.start(&world, "UPM-02").await;
    let code = wallet.code(&world, &run).await;
    let mut request = charge(&code, "90000");
    request.run_id = run.clone();
    let started = pos.driver.charge(&request).await.unwrap();
    let prid = request_id(&pos, &started.pos_payment_id);
    world
        .wait_for_exchanges("polling", "inquiryPayment", &prid, 1, WAIT)
        .await;
    let shown = pos.driver.display(&started.pos_payment_id).await.unwrap();
    assert_eq!(
        shown.state,
        DisplayState::Waiting,
        "waiting for the customer: {shown:?}"
    );
    let (status, view) = wallet
        .send(&world, "POST", &format!("/runs/{run}/confirm"), None)
        .await;
    assert_eq!(status, 200, "{view}");
    wait_display(&pos, &started.pos_payment_id, DisplayState::Paid, WAIT).await;
    assert!(
        world.exchanges_for("cancelPayment", &prid).await.is_empty(),
        "a confirmed payment is not cancelled"
    );
    crate::support::eventually("the notification acked", WAIT, || async {
        let all = world.deliveries().await;
        if all.iter().any(|d| d["status"] == "delivered") {
            Ok(())
        } else {
            Err(format!("{all:?}"))
        }
    })
    .await;
    assert_eq!(
        pos.acquirer.notification_count(&prid).unwrap(),
        1,
        "the notification recorded"
    );
}

#[tokio::test]
async fn the_pos_page_reads_a_code_image_and_charges_it() {
    let world = World::new().await;
    let pos = world.pos(&[]).await;
    let http = reqwest::Client::new();
    let base = pos.acquirer.base_url().to_owned();
    let page = http
        .get(pos.acquirer.pos_page_url())
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("Charge payment code") && page.contains("max-width:400px"),
        "{page}"
    );

    let code = world.payment_code().await;
    let png = linker_scan::payment_code_qr(&code, &linker_scan::QrOptions::default())
        .unwrap()
        .to_png()
        .unwrap();
    let decoded: serde_json::Value = http
        .post(format!("{base}/pos/api/decode"))
        .body(png)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        decoded["codes"][0],
        code.as_str(),
        "the uploaded image is read: {decoded}"
    );

    let charged: serde_json::Value = http
        .post(format!("{base}/pos/api/charge"))
        .json(&serde_json::json!({"amount": "8.80", "paymentCode": code}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let id = charged["payment"]["posPaymentId"]
        .as_str()
        .unwrap()
        .to_owned();
    wait_display(&pos, &id, DisplayState::Paid, WAIT).await;
    let state: serde_json::Value = http
        .get(format!("{base}/pos/api/state"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        state["payments"][0]["payment"]["posPaymentId"],
        id.as_str(),
        "listed: {state}"
    );
    assert_eq!(state["payments"][0]["display"]["state"], "paid", "{state}");
    let qr = http
        .get(format!(
            "{base}/pos/api/qr.png?text=https%3A%2F%2Fexample.test%2Fx"
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(qr.headers()["content-type"], "image/png");
}
