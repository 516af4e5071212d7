//! Order-code cases: the POS's ACQP asks for an order code, the wallet scans it (binding the
//! payment and its exchanges to the run), and the customer pays, fails, backs out or scans late.

use chrono::Duration;
use linker_hub::Clock;
use serde_json::{Value, json};

use crate::support::Wallet;
use crate::support::summary;
use crate::support::{Ack, notify_to};
use crate::support::{Acqp, CANCEL, INQUIRY, PAY, TestHub, order_code_pay};

async fn order(hub: &TestHub, acqp: &Acqp, id: &str) -> String {
    let reply = acqp.call(hub, PAY, &order_code_pay(id, "4200")).await;
    assert_eq!(reply.code(), "PAYMENT_IN_PROCESS", "{}", reply.raw);
    reply.body["orderCodeForm"]["codeDetails"][0]["codeValue"]
        .as_str()
        .unwrap()
        .to_owned()
}

async fn scan(hub: &TestHub, wallet: &Wallet, run: &str, code: &str) -> Value {
    let (status, result) = wallet
        .send(
            hub,
            "POST",
            &format!("/runs/{run}/scan"),
            Some(json!({"codeValue": code})),
        )
        .await;
    assert_eq!(status.as_u16(), 200, "{result}");
    result
}

#[tokio::test]
async fn moc_01_a_scanned_and_paid_order_passes_when_the_notify_is_acked() {
    let hub = TestHub::new();
    let acqp = hub.acqp().await;
    let endpoint = notify_to(&hub, &acqp, Ack::Signed).await;
    let wallet = Wallet::sign_in(&hub, &acqp, "M1").await;
    let run = wallet.start(&hub, "MOC-01").await;
    let code = order(&hub, &acqp, "moc01-a").await;

    let scanned = scan(&hub, &wallet, &run, &code).await;
    assert_eq!(scanned["next"], "confirm", "{scanned}");
    assert_eq!(scanned["payment"]["amountText"], "HKD 42.00");
    assert_eq!(scanned["payment"]["merchantName"], "Linker Cafe");
    let (status, _) = wallet
        .send(&hub, "POST", &format!("/runs/{run}/confirm"), None)
        .await;
    assert_eq!(status.as_u16(), 200);
    hub.hub.deliver_due().await.unwrap();
    assert_eq!(endpoint.count(), 1);
    let view = wallet
        .answer(&hub, &run, "w1", "pos-shows-success", true)
        .await;
    assert_eq!(view["status"], "passed", "{}", summary(&view));
    let pay_events = view["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["api"] == "pay")
        .count();
    assert_eq!(pay_events, 1, "the pay made before the scan joined the run");
}

#[tokio::test]
async fn moc_01_fails_when_the_acqp_never_acks_the_notify_properly() {
    let hub = TestHub::new();
    let acqp = hub.acqp().await;
    notify_to(&hub, &acqp, Ack::Unsigned).await;
    let wallet = Wallet::sign_in(&hub, &acqp, "M1").await;
    let run = wallet.start(&hub, "MOC-01").await;
    let code = order(&hub, &acqp, "moc01-b").await;
    scan(&hub, &wallet, &run, &code).await;
    wallet
        .send(&hub, "POST", &format!("/runs/{run}/confirm"), None)
        .await;
    hub.hub.deliver_due().await.unwrap();
    wallet
        .answer(&hub, &run, "w1", "pos-shows-success", true)
        .await;
    hub.clock.advance(Duration::seconds(301));
    let view = wallet.run(&hub, &run).await;
    assert_eq!(view["status"], "failed", "{view}");
    assert!(
        summary(&view).contains("notify-acked"),
        "{}",
        summary(&view)
    );
}

#[tokio::test]
async fn moc_02_backed_out_passes_polling_then_cancelling_and_fails_never_cancelling() {
    let hub = TestHub::new();
    let acqp = hub.acqp().await;
    let wallet = Wallet::sign_in(&hub, &acqp, "M1").await;
    for (id, cancels) in [("moc02-a", true), ("moc02-b", false)] {
        let run = wallet.start(&hub, "MOC-02").await;
        let code = order(&hub, &acqp, id).await;
        assert_eq!(scan(&hub, &wallet, &run, &code).await["next"], "confirm");
        let (status, _) = wallet
            .send(&hub, "POST", &format!("/runs/{run}/back-out"), None)
            .await;
        assert_eq!(status.as_u16(), 200);
        for _ in 0..41 {
            hub.clock.advance(Duration::seconds(3));
            acqp.call(&hub, INQUIRY, &json!({"paymentRequestId": id}))
                .await;
        }
        if cancels {
            let cancel = acqp
                .call(&hub, CANCEL, &json!({"paymentRequestId": id}))
                .await;
            assert_eq!(cancel.code(), "SUCCESS", "{}", cancel.raw);
        }
        wallet
            .answer(&hub, &run, "w1", "pos-shows-not-paid", true)
            .await;
        hub.clock.advance(Duration::seconds(421));
        let view = wallet.run(&hub, &run).await;
        if cancels {
            assert_eq!(view["status"], "passed", "{}", summary(&view));
        } else {
            assert_eq!(view["status"], "failed", "{view}");
            assert!(
                summary(&view).contains("cancels-after-expiry"),
                "{}",
                summary(&view)
            );
        }
    }
}

#[tokio::test]
async fn moc_04_a_withheld_notify_passes_an_acqp_that_inquires_and_fails_one_that_waits() {
    let hub = TestHub::new();
    let acqp = hub.acqp().await;
    let endpoint = notify_to(&hub, &acqp, Ack::Signed).await;
    let wallet = Wallet::sign_in(&hub, &acqp, "M1").await;
    for (id, inquires) in [("moc04-a", true), ("moc04-b", false)] {
        let run = wallet.start(&hub, "MOC-04").await;
        let code = order(&hub, &acqp, id).await;
        scan(&hub, &wallet, &run, &code).await;
        wallet
            .send(&hub, "POST", &format!("/runs/{run}/confirm"), None)
            .await;
        hub.hub.deliver_due().await.unwrap();
        if inquires {
            hub.clock.advance(Duration::seconds(3));
            let inquiry = acqp
                .call(&hub, INQUIRY, &json!({"paymentRequestId": id}))
                .await;
            assert_eq!(
                inquiry.body["paymentResult"]["resultCode"], "SUCCESS",
                "{}",
                inquiry.raw
            );
        }
        wallet
            .answer(&hub, &run, "w1", "pos-shows-success", true)
            .await;
        hub.clock.advance(Duration::seconds(301));
        let view = wallet.run(&hub, &run).await;
        if inquires {
            assert_eq!(view["status"], "passed", "{}", summary(&view));
        } else {
            assert_eq!(view["status"], "failed", "{view}");
            let lost = view["checks"]
                .as_array()
                .unwrap()
                .iter()
                .find(|c| c["check"] == "inquires-when-notify-lost")
                .cloned()
                .unwrap_or_default();
            assert_eq!(
                lost["outcome"], "failed",
                "the check names the missing inquiry: {lost}"
            );
        }
    }
    assert_eq!(endpoint.count(), 0, "MOC-04 withholds the notification");
}

#[tokio::test]
async fn moc_05_the_wallet_says_expired_and_an_acqp_that_learns_the_order_closed_passes() {
    let hub = TestHub::new();
    let acqp = hub.acqp().await;
    let wallet = Wallet::sign_in(&hub, &acqp, "M1").await;
    let run = wallet.start(&hub, "MOC-05").await;
    let code = order(&hub, &acqp, "moc05-a").await;
    let scanned = scan(&hub, &wallet, &run, &code).await;
    assert_eq!(scanned["next"], "expired", "{scanned}");
    wallet
        .answer(&hub, &run, "w1", "wallet-says-expired", true)
        .await;
    wallet
        .answer(&hub, &run, "w2", "pos-shows-not-paid", true)
        .await;
    hub.clock.advance(Duration::seconds(121));
    let inquiry = acqp
        .call(&hub, INQUIRY, &json!({"paymentRequestId": "moc05-a"}))
        .await;
    assert_eq!(
        inquiry.body["paymentResult"]["resultCode"], "ORDER_IS_CLOSED",
        "{}",
        inquiry.raw
    );
    let view = wallet.run(&hub, &run).await;
    assert_eq!(view["status"], "passed", "{}", summary(&view));
}

#[tokio::test]
async fn scanning_what_is_not_an_order_code_says_what_it_is() {
    let hub = TestHub::new();
    let acqp = hub.acqp().await;
    let wallet = Wallet::sign_in(&hub, &acqp, "M1").await;
    let run = wallet.start(&hub, "MOC-01").await;
    let scanned = scan(&hub, &wallet, &run, "281999123456789012345678").await;
    assert_eq!(scanned["next"], "notForWallet");
    assert!(
        scanned["message"]
            .as_str()
            .unwrap()
            .contains("payment code"),
        "{scanned}"
    );
    let scanned = scan(
        &hub,
        &wallet,
        &run,
        "https://127.0.0.1:8480/281188040001doesnotexist",
    )
    .await;
    assert_eq!(scanned["next"], "unknownCode", "{scanned}");
    let _ = hub.clock.now();
}

#[tokio::test]
async fn moc_03_a_failed_payment_passes_when_its_notify_is_acked_and_fails_when_not() {
    let hub = TestHub::new();
    let acqp = hub.acqp().await;
    let wallet = Wallet::sign_in(&hub, &acqp, "M1").await;
    for (id, ack) in [("moc03-a", Ack::Signed), ("moc03-b", Ack::Unsigned)] {
        let endpoint = notify_to(&hub, &acqp, ack).await;
        let run = wallet.start(&hub, "MOC-03").await;
        let code = order(&hub, &acqp, id).await;
        scan(&hub, &wallet, &run, &code).await;
        wallet
            .send(&hub, "POST", &format!("/runs/{run}/confirm"), None)
            .await;
        hub.hub.deliver_due().await.unwrap();
        let sent = endpoint.received.lock().unwrap().clone();
        assert_eq!(
            sent[0].body["paymentResult"]["resultCode"], "USER_BALANCE_NOT_ENOUGH",
            "{:?}",
            sent[0].body
        );
        wallet
            .answer(&hub, &run, "w1", "pos-shows-failure", true)
            .await;
        hub.clock.advance(Duration::seconds(301));
        let view = wallet.run(&hub, &run).await;
        if ack == Ack::Signed {
            assert_eq!(view["status"], "passed", "{}", summary(&view));
        } else {
            assert_eq!(view["status"], "failed", "{view}");
            assert!(
                summary(&view).contains("notify-acked"),
                "{}",
                summary(&view)
            );
        }
    }
}

#[tokio::test]
async fn a_code_scanned_after_its_expiry_says_expired_even_once_the_acqp_cancelled_it() {
    let hub = TestHub::new();
    let acqp = hub.acqp().await;
    let wallet = Wallet::sign_in(&hub, &acqp, "M1").await;
    let run = wallet.start(&hub, "MOC-01").await;
    let code = order(&hub, &acqp, "late-a").await;
    // The order's two minutes pass; the ACQP closes it, as it should.
    hub.clock.advance(Duration::seconds(125));
    let cancel = acqp
        .call(&hub, CANCEL, &json!({"paymentRequestId": "late-a"}))
        .await;
    assert_eq!(cancel.status(), "S", "{}", cancel.raw);
    let scanned = scan(&hub, &wallet, &run, &code).await;
    assert_eq!(
        scanned["next"], "expired",
        "a late scan says the code expired, not that the order is unknown: {scanned}"
    );
    // Before its expiry the same kind of code is paid as usual.
    let fresh = order(&hub, &acqp, "late-b").await;
    let scanned = scan(&hub, &wallet, &run, &fresh).await;
    assert_eq!(scanned["next"], "confirm", "{scanned}");
}
