//! The wallet under test, for real: the wallet chosen in the app travels with each run, and the
//! hub plays it for the run's payments (pspId, walletBrandName, customer ids, payment codes with
//! Linker's routing number, the customer-side amount and quote at Linker's test rates) in every
//! answer and notification. A TEST_WALLET run is answered exactly as before; a case needing a
//! product the wallet lacks is refused, and an unknown wallet is refused.

use axum::http::StatusCode;
use chrono::Duration;
use linker_aplus::code::PaymentCode;
use linker_aplus::wallets;
use linker_hub::Clock;
use serde_json::{Value, json};

use crate::support::{Ack, INQUIRY, PAY, REFUND, TestHub, Wallet, notify_to, upm_pay};
use crate::support::{CANCEL, order_code_pay};

/// Starts a run of `case`, with `wallet` in the body when given; the run's view.
async fn start(hub: &TestHub, wallet: &Wallet, case: &str, chosen: Option<&str>) -> Value {
    let mut body = json!({"caseId": case});
    if let Some(chosen) = chosen {
        body["wallet"] = json!(chosen);
    }
    let (status, run) = wallet.send(hub, "POST", "/runs", Some(body)).await;
    assert_eq!(status, StatusCode::CREATED, "{run}");
    run
}

/// What the ACQP saw of one UPM-02 payment (pay U, the wallet confirms, notifyPayment, then
/// inquiryPayment) and one UPM-01 payment (pay S, refund, cancel) in runs of `chosen`.
struct Seen {
    run: Value,
    code: String,
    pay_in_process: Value,
    notification: Value,
    inquiry: Value,
    pay_success: Value,
    refund: Value,
    cancel: Value,
}

async fn play(chosen: Option<&str>) -> Seen {
    let hub = TestHub::new();
    let acqp = hub.acqp().await;
    let endpoint = notify_to(&hub, &acqp, Ack::Signed).await;
    let wallet = Wallet::sign_in(&hub, &acqp, "M1").await;

    let run = start(&hub, &wallet, "UPM-02", chosen).await;
    let id = run["id"].as_str().unwrap().to_owned();
    let code = wallet.code(&hub, &id).await;
    let pay_in_process = acqp
        .call(&hub, PAY, &upm_pay("wut-a", &code, "10000"))
        .await;
    assert_eq!(
        pay_in_process.code(),
        "PAYMENT_IN_PROCESS",
        "{}",
        pay_in_process.raw
    );
    hub.clock.advance(Duration::seconds(3));
    let (status, view) = wallet
        .send(&hub, "POST", &format!("/runs/{id}/confirm"), None)
        .await;
    assert_eq!(status, StatusCode::OK, "{view}");
    hub.hub.deliver_due().await.unwrap();
    let received = endpoint.received.lock().unwrap().clone();
    assert_eq!(
        received.len(),
        1,
        "one notifyPayment after the confirmation"
    );
    assert!(received[0].signature_valid, "signed by the hub");
    let inquiry = acqp
        .call(&hub, INQUIRY, &json!({"paymentRequestId": "wut-a"}))
        .await;

    let other = start(&hub, &wallet, "UPM-01", chosen).await;
    let other = other["id"].as_str().unwrap().to_owned();
    let paid_code = wallet.code(&hub, &other).await;
    let pay_success = acqp
        .call(&hub, PAY, &upm_pay("wut-b", &paid_code, "10000"))
        .await;
    assert_eq!(pay_success.code(), "SUCCESS", "{}", pay_success.raw);
    let refund = acqp
        .call(
            &hub,
            REFUND,
            &json!({"paymentRequestId": "wut-b", "refundRequestId": "wut-r",
                    "refundAmount": {"currency": "HKD", "value": "100"}}),
        )
        .await;
    let cancel = acqp
        .call(&hub, CANCEL, &json!({"paymentRequestId": "wut-a"}))
        .await;
    Seen {
        run,
        code,
        pay_in_process: pay_in_process.body,
        notification: received[0].body.clone(),
        inquiry: inquiry.body,
        pay_success: pay_success.body,
        refund: refund.body,
        cancel: cancel.body,
    }
}

#[tokio::test]
async fn a_gcash_run_is_answered_and_notified_as_gcash_with_its_code_customers_and_a_php_quote() {
    let gcash = wallets::find("GCASH").unwrap();
    let seen = play(Some("gcash")).await;
    assert_eq!(
        seen.run["wallet"], "GCASH",
        "the run names its wallet: {}",
        seen.run
    );

    let code = PaymentCode::parse(&seen.code).unwrap();
    assert!(
        seen.code.starts_with("281105") && seen.code.len() == 24,
        "281 + GCASH's routing 105 + 18 digits: {}",
        seen.code
    );
    assert_eq!(
        code.linker_wallet().map(|w| w.name),
        Some("GCASH"),
        "the code maps back to its wallet: {}",
        seen.code
    );

    for (what, answer) in [
        ("pay (U)", &seen.pay_in_process),
        ("notifyPayment", &seen.notification),
        ("inquiryPayment", &seen.inquiry),
        ("pay (S)", &seen.pay_success),
        ("refund", &seen.refund),
        ("cancelPayment", &seen.cancel),
    ] {
        assert_eq!(
            answer["pspId"], gcash.psp_id,
            "{what} carries GCash's pspId: {answer}"
        );
    }
    for (what, answer) in [
        ("notifyPayment", &seen.notification),
        ("inquiryPayment", &seen.inquiry),
        ("pay (S)", &seen.pay_success),
    ] {
        assert_eq!(
            answer["walletBrandName"], "GCash",
            "{what} names GCash's brand: {answer}"
        );
        let customer = answer["customerId"].as_str().unwrap_or_default();
        assert!(
            customer.starts_with("2105") && customer.len() == 16,
            "{what}: a GCash customer id (2105 + 12 digits): {answer}"
        );
    }
    // An HKD 100.00 order paid from a PHP wallet: PHP 717.95 at Linker's test rate 7.1795.
    for (what, answer) in [
        ("inquiryPayment", &seen.inquiry),
        ("pay (S)", &seen.pay_success),
    ] {
        assert_eq!(
            answer["paymentAmount"],
            json!({"currency": "HKD", "value": "10000"}),
            "{what}: the order's amount stays the ACQP's: {answer}"
        );
        assert_eq!(
            answer["customerPayAmount"],
            json!({"currency": "PHP", "value": "71795"}),
            "{what}: the customer's side in PHP: {answer}"
        );
        assert_eq!(
            answer["paymentQuote"],
            json!({"quoteId": "LINKER-TEST-RATE-HKD-PHP", "quoteCurrencyPair": "HKD/PHP",
                   "quotePrice": "7.1795"}),
            "{what}: the quote, named as Linker's test rate: {answer}"
        );
    }
    assert!(
        seen.pay_in_process.get("customerPayAmount").is_none(),
        "nothing is paid yet while in process: {}",
        seen.pay_in_process
    );
}

#[tokio::test]
async fn a_test_wallet_run_is_answered_and_notified_exactly_as_before() {
    for chosen in [None, Some("TEST_WALLET")] {
        let seen = play(chosen).await;
        assert_eq!(
            seen.run["wallet"], "TEST_WALLET",
            "{chosen:?}: {}",
            seen.run
        );
        assert!(
            seen.code.starts_with("281999"),
            "{chosen:?}: a TEST_WALLET code: {}",
            seen.code
        );
        for (what, answer) in [
            ("pay (U)", &seen.pay_in_process),
            ("notifyPayment", &seen.notification),
            ("inquiryPayment", &seen.inquiry),
            ("pay (S)", &seen.pay_success),
            ("refund", &seen.refund),
            ("cancelPayment", &seen.cancel),
        ] {
            assert_eq!(
                answer["pspId"], "1022999000000000001",
                "{chosen:?} {what}: TEST_WALLET's pspId: {answer}"
            );
            assert!(
                answer.get("customerPayAmount").is_none() && answer.get("paymentQuote").is_none(),
                "{chosen:?} {what}: no quote, the customer pays in the order's currency: {answer}"
            );
        }
        for (what, answer) in [
            ("notifyPayment", &seen.notification),
            ("inquiryPayment", &seen.inquiry),
            ("pay (S)", &seen.pay_success),
        ] {
            assert_eq!(
                answer["walletBrandName"], "TEST_WALLET",
                "{chosen:?} {what}: {answer}"
            );
            assert!(
                answer["customerId"]
                    .as_str()
                    .is_some_and(|c| c.starts_with("2188")),
                "{chosen:?} {what}: a TEST_WALLET customer: {answer}"
            );
        }
    }
}

#[tokio::test]
async fn an_order_code_waiting_in_a_gcash_run_is_gcashs_from_the_pay_and_the_scan_shows_the_quote()
{
    let hub = TestHub::new();
    let acqp = hub.acqp().await;
    let wallet = Wallet::sign_in(&hub, &acqp, "M0001").await;
    let run = start(&hub, &wallet, "MOC-01", Some("GCASH")).await;
    let run = run["id"].as_str().unwrap().to_owned();
    let reply = acqp
        .call(&hub, PAY, &order_code_pay("wut-oc", "4200"))
        .await;
    assert_eq!(reply.code(), "PAYMENT_IN_PROCESS", "{}", reply.raw);
    assert_eq!(
        reply.body["pspId"], "1022170000000000000",
        "the merchant's open run plays GCash, already in the pay's answer: {}",
        reply.raw
    );
    let code = reply.body["orderCodeForm"]["codeDetails"][0]["codeValue"]
        .as_str()
        .unwrap()
        .to_owned();
    let (status, scanned) = wallet
        .send(
            &hub,
            "POST",
            &format!("/runs/{run}/scan"),
            Some(json!({"codeValue": code})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{scanned}");
    assert_eq!(
        scanned["payment"]["exchangeRate"],
        json!({"from": "HKD", "to": "PHP", "rate": "7.1795",
               "converted": "PHP 301.54 (Linker test rate)",
               "customerAmount": {"currency": "PHP", "value": "30154"},
               "quoteId": "LINKER-TEST-RATE-HKD-PHP"}),
        "the confirmation shows the hub's quote: {scanned}"
    );
    wallet
        .send(&hub, "POST", &format!("/runs/{run}/confirm"), None)
        .await;
    let inquiry = acqp
        .call(&hub, INQUIRY, &json!({"paymentRequestId": "wut-oc"}))
        .await;
    assert_eq!(
        inquiry.body["customerPayAmount"], scanned["payment"]["exchangeRate"]["customerAmount"],
        "the ACQP and the wallet see the same customer amount: {}",
        inquiry.raw
    );

    // A TEST_WALLET run's order: no rate on the confirmation.
    let run = start(&hub, &wallet, "MOC-01", None).await;
    let run = run["id"].as_str().unwrap().to_owned();
    let reply = acqp
        .call(&hub, PAY, &order_code_pay("wut-oc-2", "4200"))
        .await;
    assert_eq!(reply.body["pspId"], "1022999000000000001", "{}", reply.raw);
    let code = reply.body["orderCodeForm"]["codeDetails"][0]["codeValue"]
        .as_str()
        .unwrap()
        .to_owned();
    let (_, scanned) = wallet
        .send(
            &hub,
            "POST",
            &format!("/runs/{run}/scan"),
            Some(json!({"codeValue": code})),
        )
        .await;
    assert_eq!(
        scanned["payment"]["exchangeRate"],
        Value::Null,
        "same currency, no rate: {scanned}"
    );
}

#[tokio::test]
async fn dana_refuses_upm_01_naming_the_wallet_and_the_product_and_lists_it_as_not_runnable() {
    let hub = TestHub::new();
    let acqp = hub.acqp().await;
    let wallet = Wallet::sign_in_with(&hub, &acqp, "M1", &["UPM", "MPM", "CASHIER"]).await;

    let (status, refused) = wallet
        .send(
            &hub,
            "POST",
            "/runs",
            Some(json!({"caseId": "UPM-01", "wallet": "DANA"})),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{refused}");
    assert_eq!(refused["code"], "WALLET_LACKS_PRODUCT", "{refused}");
    let message = refused["message"].as_str().unwrap_or_default();
    assert!(
        message.contains("DANA")
            && message.contains("User-presented Mode")
            && message.contains("UPM-01"),
        "names the wallet, the product and the case: {message}"
    );
    let (_, runs) = wallet.send(&hub, "GET", "/runs", None).await;
    assert_eq!(runs, json!([]), "nothing was started");

    // The same case with a wallet that has UPM starts; a DANA case of a product it has, too.
    let run = start(&hub, &wallet, "UPM-01", Some("GCASH")).await;
    assert_eq!(run["status"], "open", "{run}");
    let run = start(&hub, &wallet, "CSH-01", Some("DANA")).await;
    assert_eq!(run["wallet"], "DANA", "{run}");
    let id = run["id"].as_str().unwrap();
    let (status, refused) = wallet
        .send(&hub, "POST", &format!("/runs/{id}/payment-code"), None)
        .await;
    assert_eq!(
        (status, refused["code"].as_str()),
        (StatusCode::CONFLICT, Some("WALLET_LACKS_PRODUCT")),
        "DANA shows no payment code: {refused}"
    );

    // The case list marks what the wallet under test cannot run, and why.
    let listed = |cases: &Value, id: &str| -> Value {
        cases
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["id"] == id)
            .cloned()
            .unwrap_or_else(|| panic!("{id} listed: {cases}"))
    };
    let (status, dana) = wallet.send(&hub, "GET", "/cases?wallet=DANA", None).await;
    assert_eq!(status, StatusCode::OK, "{dana}");
    let upm = listed(&dana, "UPM-01");
    assert_eq!(upm["runnable"], false, "{upm}");
    assert!(
        upm["notRunnableReason"]
            .as_str()
            .is_some_and(|why| why.contains("DANA") && why.contains("User-presented Mode")),
        "{upm}"
    );
    let cashier = listed(&dana, "CSH-01");
    assert_eq!(
        cashier["runnable"], true,
        "DANA has Cashier Payment: {cashier}"
    );
    assert!(cashier.get("notRunnableReason").is_none(), "{cashier}");
    let (_, default) = wallet.send(&hub, "GET", "/cases", None).await;
    let upm = listed(&default, "UPM-01");
    assert_eq!(upm["runnable"], true, "TEST_WALLET runs UPM-01: {upm}");
    assert!(upm.get("notRunnableReason").is_none(), "{upm}");
}

#[tokio::test]
async fn an_unknown_wallet_is_refused_naming_the_field_and_the_known_wallets() {
    let hub = TestHub::new();
    let acqp = hub.acqp().await;
    let wallet = Wallet::sign_in(&hub, &acqp, "M1").await;
    let (status, refused) = wallet
        .send(
            &hub,
            "POST",
            "/runs",
            Some(json!({"caseId": "UPM-01", "wallet": "PAYPAL"})),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{refused}");
    assert_eq!(refused["code"], "INVALID_INPUT", "{refused}");
    let message = refused["message"].as_str().unwrap_or_default();
    assert!(
        message.starts_with("wallet: ") && message.contains("PAYPAL") && message.contains("GCASH"),
        "names the field, the wallet and the choices: {message}"
    );
    let (_, runs) = wallet.send(&hub, "GET", "/runs", None).await;
    assert_eq!(runs, json!([]), "nothing was started");
    let (status, refused) = wallet.send(&hub, "GET", "/cases?wallet=PAYPAL", None).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{refused}");
    let run = start(&hub, &wallet, "UPM-01", Some("kakaopay")).await;
    assert_eq!(run["wallet"], "KAKAOPAY", "a known name in any case: {run}");
}

#[tokio::test]
async fn a_code_charged_after_its_run_ended_is_still_answered_by_the_wallet_its_routing_names() {
    let hub = TestHub::new();
    let acqp = hub.acqp().await;
    let wallet = Wallet::sign_in(&hub, &acqp, "M1").await;
    let run = start(&hub, &wallet, "UPM-01", Some("TRUEMONEY")).await;
    let code = wallet.code(&hub, run["id"].as_str().unwrap()).await;
    assert!(
        code.starts_with("281103"),
        "TRUEMONEY's routing 103: {code}"
    );
    // Another case starts: the TRUEMONEY run ends as skipped, its code is still valid.
    start(&hub, &wallet, "UPM-01", None).await;
    let reply = acqp
        .call(&hub, PAY, &upm_pay("wut-late", &code, "10000"))
        .await;
    assert_eq!(reply.code(), "SUCCESS", "{}", reply.raw);
    assert_eq!(
        (&reply.body["pspId"], &reply.body["walletBrandName"]),
        (&json!("1022167000000000001"), &json!("TrueMoney")),
        "the code's routing number names its wallet: {}",
        reply.raw
    );
    assert_eq!(
        reply.body["customerPayAmount"],
        json!({"currency": "THB", "value": "45513"}),
        "HKD 100.00 at Linker's 4.5513 THB per HKD: {}",
        reply.raw
    );
    // A TEST_WALLET code of no run: TEST_WALLET, as always.
    let plain = acqp.payment_code(&hub).await;
    let reply = acqp
        .call(&hub, PAY, &upm_pay("wut-plain", &plain, "10000"))
        .await;
    assert_eq!(reply.body["pspId"], "1022999000000000001", "{}", reply.raw);
}
