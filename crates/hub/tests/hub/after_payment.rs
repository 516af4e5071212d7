//! Cases that start with a paid payment of their own: refunds, cancels and notifications, each
//! tested with a correct ACQP (passes) and a broken one (fails, the evidence naming why).

use chrono::Duration;
use linker_hub::Clock;
use serde_json::json;

use crate::support::Wallet;
use crate::support::summary;
use crate::support::{Ack, notify_to};
use crate::support::{Acqp, CANCEL, PAY, REFUND, TestHub, upm_pay};

async fn paid(hub: &TestHub, acqp: &Acqp, wallet: &Wallet, case: &str, id: &str) -> String {
    let run = wallet.start(hub, case).await;
    let code = wallet.code(hub, &run).await;
    let reply = acqp.call(hub, PAY, &upm_pay(id, &code, "1000")).await;
    assert_eq!(reply.code(), "SUCCESS", "{}", reply.raw);
    run
}

fn refund(payment: &str, id: &str, value: &str) -> serde_json::Value {
    json!({"paymentRequestId": payment, "refundRequestId": id, "refundAmount": {"currency": "HKD", "value": value}})
}

#[tokio::test]
async fn rfd_01_full_refund_passes_and_no_refund_fails() {
    let hub = TestHub::new();
    let acqp = hub.acqp().await;
    let wallet = Wallet::sign_in(&hub, &acqp, "M1").await;
    let run = paid(&hub, &acqp, &wallet, "RFD-01", "rfd01-a").await;
    let reply = acqp
        .call(&hub, REFUND, &refund("rfd01-a", "rf-a", "1000"))
        .await;
    assert_eq!(reply.code(), "SUCCESS", "{}", reply.raw);
    let view = wallet
        .answer(&hub, &run, "w1", "pos-shows-refunded", true)
        .await;
    assert_eq!(view["status"], "passed", "{}", summary(&view));

    let run = paid(&hub, &acqp, &wallet, "RFD-01", "rfd01-b").await;
    wallet
        .answer(&hub, &run, "w2", "pos-shows-refunded", true)
        .await;
    hub.clock.advance(Duration::seconds(901));
    let view = wallet.run(&hub, &run).await;
    assert_eq!(view["status"], "failed", "{view}");
    assert!(
        summary(&view).contains("refund-succeeds"),
        "{}",
        summary(&view)
    );
}

#[tokio::test]
async fn rfd_02_partial_refunds_pass_and_a_blind_retry_of_the_refused_one_fails() {
    let hub = TestHub::new();
    let acqp = hub.acqp().await;
    let wallet = Wallet::sign_in(&hub, &acqp, "M1").await;
    let run = paid(&hub, &acqp, &wallet, "RFD-02", "rfd02-a").await;
    assert_eq!(
        acqp.call(&hub, REFUND, &refund("rfd02-a", "p1", "600"))
            .await
            .code(),
        "SUCCESS"
    );
    assert_eq!(
        acqp.call(&hub, REFUND, &refund("rfd02-a", "p2", "400"))
            .await
            .code(),
        "SUCCESS"
    );
    assert_eq!(
        acqp.call(&hub, REFUND, &refund("rfd02-a", "p3", "100"))
            .await
            .code(),
        "REFUND_AMOUNT_EXCEED"
    );
    wallet
        .answer(&hub, &run, "w1", "pos-shows-refund-refused", true)
        .await;
    hub.clock.advance(Duration::seconds(11));
    let view = wallet.run(&hub, &run).await;
    assert_eq!(view["status"], "passed", "{}", summary(&view));

    let run = paid(&hub, &acqp, &wallet, "RFD-02", "rfd02-b").await;
    acqp.call(&hub, REFUND, &refund("rfd02-b", "q1", "600"))
        .await;
    acqp.call(&hub, REFUND, &refund("rfd02-b", "q2", "400"))
        .await;
    acqp.call(&hub, REFUND, &refund("rfd02-b", "q3", "100"))
        .await;
    // Refused, the POS tries again under a new id: the blind retry this case catches.
    acqp.call(&hub, REFUND, &refund("rfd02-b", "q4", "100"))
        .await;
    wallet
        .answer(&hub, &run, "w2", "pos-shows-refund-refused", true)
        .await;
    hub.clock.advance(Duration::seconds(11));
    let view = wallet.run(&hub, &run).await;
    assert_eq!(view["status"], "failed", "{view}");
    assert!(
        summary(&view).contains("partial-refunds-within-limit"),
        "{}",
        summary(&view)
    );
}

#[tokio::test]
async fn rfd_03_an_unknown_refund_retried_with_the_same_id_passes_and_a_new_id_fails() {
    let hub = TestHub::new();
    let acqp = hub.acqp().await;
    let wallet = Wallet::sign_in(&hub, &acqp, "M1").await;
    let run = paid(&hub, &acqp, &wallet, "RFD-03", "rfd03-a").await;
    let first = acqp
        .call(&hub, REFUND, &refund("rfd03-a", "r1", "1000"))
        .await;
    assert_eq!(
        (first.status(), first.code()),
        ("U", "UNKNOWN_EXCEPTION"),
        "{}",
        first.raw
    );
    let retry = acqp
        .call(&hub, REFUND, &refund("rfd03-a", "r1", "1000"))
        .await;
    assert_eq!(
        retry.code(),
        "SUCCESS",
        "the refund was made: {}",
        retry.raw
    );
    let view = wallet
        .answer(&hub, &run, "w1", "pos-shows-refunded", true)
        .await;
    assert_eq!(view["status"], "passed", "{}", summary(&view));

    let run = paid(&hub, &acqp, &wallet, "RFD-03", "rfd03-b").await;
    acqp.call(&hub, REFUND, &refund("rfd03-b", "s1", "1000"))
        .await;
    let other = acqp
        .call(&hub, REFUND, &refund("rfd03-b", "s2", "1000"))
        .await;
    assert_eq!(
        other.code(),
        "REFUND_AMOUNT_EXCEED",
        "a second refund id would refund twice: {}",
        other.raw
    );
    wallet
        .answer(&hub, &run, "w2", "pos-shows-refunded", true)
        .await;
    hub.clock.advance(Duration::seconds(901));
    let view = wallet.run(&hub, &run).await;
    assert_eq!(view["status"], "failed", "{view}");
    assert!(
        summary(&view).contains("refund-retried-with-same-id"),
        "{}",
        summary(&view)
    );
}

#[tokio::test]
async fn can_01_and_can_02_pass_when_cancel_is_retried_until_s_and_fail_when_it_is_not() {
    let hub = TestHub::new();
    let acqp = hub.acqp().await;
    let wallet = Wallet::sign_in(&hub, &acqp, "M1").await;
    let run = paid(&hub, &acqp, &wallet, "CAN-01", "can01-a").await;
    assert_eq!(
        acqp.call(&hub, CANCEL, &json!({"paymentRequestId": "can01-a"}))
            .await
            .code(),
        "SUCCESS"
    );
    let view = wallet
        .answer(&hub, &run, "w1", "pos-shows-cancelled", true)
        .await;
    assert_eq!(view["status"], "passed", "{}", summary(&view));

    let run = paid(&hub, &acqp, &wallet, "CAN-02", "can02-a").await;
    let first = acqp
        .call(&hub, CANCEL, &json!({"paymentRequestId": "can02-a"}))
        .await;
    assert_eq!(
        (first.status(), first.code()),
        ("U", "UNKNOWN_EXCEPTION"),
        "{}",
        first.raw
    );
    let second = acqp
        .call(&hub, CANCEL, &json!({"paymentRequestId": "can02-a"}))
        .await;
    assert_eq!(second.code(), "SUCCESS", "{}", second.raw);
    let view = wallet
        .answer(&hub, &run, "w2", "pos-shows-cancelled", true)
        .await;
    assert_eq!(view["status"], "passed", "{}", summary(&view));

    let run = paid(&hub, &acqp, &wallet, "CAN-02", "can02-b").await;
    acqp.call(&hub, CANCEL, &json!({"paymentRequestId": "can02-b"}))
        .await;
    wallet
        .answer(&hub, &run, "w3", "pos-shows-cancelled", true)
        .await;
    hub.clock.advance(Duration::seconds(901));
    let view = wallet.run(&hub, &run).await;
    assert_eq!(
        view["status"], "failed",
        "an ACQP that gives up after U fails: {view}"
    );
    assert!(
        summary(&view).contains("cancel-retried-until-success"),
        "{}",
        summary(&view)
    );
}

#[tokio::test]
async fn ntf_01_passes_an_acqp_that_rejects_the_forged_notification_and_fails_one_that_acks_it() {
    let hub = TestHub::new();
    let acqp = hub.acqp().await;
    let verifying = notify_to(&hub, &acqp, Ack::Signed).await;
    let wallet = Wallet::sign_in(&hub, &acqp, "M1").await;
    let run = paid(&hub, &acqp, &wallet, "NTF-01", "ntf01-a").await;
    hub.hub.deliver_due().await.unwrap();
    hub.clock.advance(Duration::seconds(5));
    hub.hub.deliver_due().await.unwrap();
    assert_eq!(verifying.count(), 2, "the forged one, then the genuine one");
    let view = wallet.run(&hub, &run).await;
    assert_eq!(view["status"], "passed", "{}", summary(&view));

    // An ACQP that skips verification acks the forged notification too.
    let _trusting = notify_to(&hub, &acqp, Ack::Unverified).await;
    let run = paid(&hub, &acqp, &wallet, "NTF-01", "ntf01-b").await;
    hub.hub.deliver_due().await.unwrap();
    hub.clock.advance(Duration::seconds(5));
    hub.hub.deliver_due().await.unwrap();
    let view = wallet.run(&hub, &run).await;
    assert_eq!(view["status"], "failed", "{view}");
    assert!(
        summary(&view).contains("forged-notify-rejected"),
        "{}",
        summary(&view)
    );
}

#[tokio::test]
async fn ntf_02_passes_when_both_copies_are_acked() {
    let hub = TestHub::new();
    let acqp = hub.acqp().await;
    let endpoint = notify_to(&hub, &acqp, Ack::Signed).await;
    let wallet = Wallet::sign_in(&hub, &acqp, "M1").await;
    let run = paid(&hub, &acqp, &wallet, "NTF-02", "ntf02-a").await;
    hub.hub.deliver_due().await.unwrap();
    hub.clock.advance(Duration::seconds(5));
    hub.hub.deliver_due().await.unwrap();
    assert_eq!(endpoint.count(), 2);
    let view = wallet
        .answer(&hub, &run, "w1", "pos-records-one-payment", true)
        .await;
    assert_eq!(view["status"], "passed", "{}", summary(&view));

    let _unsigned = notify_to(&hub, &acqp, Ack::Unsigned).await;
    let run = paid(&hub, &acqp, &wallet, "NTF-02", "ntf02-b").await;
    hub.hub.deliver_due().await.unwrap();
    hub.clock.advance(Duration::seconds(5));
    hub.hub.deliver_due().await.unwrap();
    wallet
        .answer(&hub, &run, "w2", "pos-records-one-payment", true)
        .await;
    hub.clock.advance(Duration::seconds(301));
    let view = wallet.run(&hub, &run).await;
    assert_eq!(
        view["status"], "failed",
        "unsigned acks are not acks: {view}"
    );
}
