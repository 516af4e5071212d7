//! Every implemented case both ways: a correct ACQP passes, a broken one fails with a reason
//! that names what went wrong.

use linker_aplus::message::Api;
use linker_cases::testing::{
    ACCESS_TOKEN, RecordBuilder as B, Reply, agreement_pay_body, cashier_pay_body,
    entry_code_pay_body, order_code_pay_body, uip_order,
};
use linker_cases::{Outcome, PaymentState, RunRecord, Verdict, WalletActionKind, judge};
use serde_json::json;

use crate::case;

#[track_caller]
fn decided(id: &str, record: &RunRecord, now: f64) -> Verdict {
    let judgement = judge(case(id), record, B::at(now));
    judgement
        .verdict()
        .cloned()
        .unwrap_or_else(|| panic!("{id} still open at {now} s: {:#?}", judgement.checks))
}

#[track_caller]
fn assert_case_passes(id: &str, record: &RunRecord, now: f64) {
    let v = decided(id, record, now);
    assert_eq!(
        v.outcome,
        Outcome::Passed,
        "{id}: {}\n{:#?}",
        v.summary,
        v.checks
    );
}

#[track_caller]
fn assert_case_fails(id: &str, record: &RunRecord, now: f64, summary_contains: &str) {
    let v = decided(id, record, now);
    assert_eq!(
        v.outcome,
        Outcome::Failed,
        "{id}: {}\n{:#?}",
        v.summary,
        v.checks
    );
    assert!(
        v.summary.contains(summary_contains),
        "{id}: summary {:?} should contain {summary_contains:?}",
        v.summary
    );
}

// --- UPM ---

#[test]
fn upm_01() {
    let good = B::new("UPM-01")
        .show_code(0.0)
        .pay(5.0, "pay-1", "S", "SUCCESS")
        .payment(5.0, PaymentState::Succeeded)
        .answer(10.0, "pos-shows-success", true)
        .build();
    assert_case_passes("UPM-01", &good, 11.0);
    let no_store = {
        let mut body = linker_cases::testing::upm_pay_body("pay-1");
        body["order"]["merchant"]
            .as_object_mut()
            .unwrap()
            .remove("store");
        B::new("UPM-01")
            .show_code(0.0)
            .pay_with(5.0, body, "S", "SUCCESS")
            .answer(10.0, "pos-shows-success", true)
            .build()
    };
    assert_case_fails(
        "UPM-01",
        &no_store,
        11.0,
        "upm-pay-fields failed: pay (seq 2) is not a valid UPM pay: order.merchant.store missing",
    );
    let pos_wrong = B::new("UPM-01")
        .show_code(0.0)
        .pay(5.0, "pay-1", "S", "SUCCESS")
        .answer(10.0, "pos-shows-success", false)
        .build();
    assert_case_fails(
        "UPM-01",
        &pos_wrong,
        11.0,
        "manual:pos-shows-success failed",
    );
}

#[test]
fn upm_02() {
    let good = B::new("UPM-02")
        .show_code(0.0)
        .pay(2.0, "pay-1", "U", "PAYMENT_IN_PROCESS")
        .inquiry(5.0, "pay-1", Some(("U", "PAYMENT_IN_PROCESS")))
        .inquiry(8.0, "pay-1", Some(("U", "PAYMENT_IN_PROCESS")))
        .wallet(10.0, WalletActionKind::ConfirmPayment)
        .payment(10.0, PaymentState::Succeeded)
        .notify(10.0, false, Reply::SignedAck)
        .inquiry(11.0, "pay-1", Some(("S", "SUCCESS")))
        .answer(20.0, "pos-shows-success", true)
        .build();
    assert_case_passes("UPM-02", &good, 21.0);
    let hammering = B::new("UPM-02")
        .show_code(0.0)
        .pay(2.0, "pay-1", "U", "PAYMENT_IN_PROCESS")
        .inquiry(2.3, "pay-1", Some(("U", "PAYMENT_IN_PROCESS")))
        .inquiry(2.6, "pay-1", Some(("U", "PAYMENT_IN_PROCESS")))
        .payment(10.0, PaymentState::Succeeded)
        .notify(10.0, false, Reply::SignedAck)
        .inquiry(11.0, "pay-1", Some(("S", "SUCCESS")))
        .answer(20.0, "pos-shows-success", true)
        .build();
    assert_case_fails(
        "UPM-02",
        &hammering,
        21.0,
        "polls-no-faster-than failed: inquiryPayment polled too fast",
    );
    let unacked = B::new("UPM-02")
        .show_code(0.0)
        .pay(2.0, "pay-1", "U", "PAYMENT_IN_PROCESS")
        .inquiry(5.0, "pay-1", Some(("S", "SUCCESS")))
        .payment(5.0, PaymentState::Succeeded)
        .notify(5.0, false, Reply::Http(404))
        .answer(20.0, "pos-shows-success", true)
        .build();
    assert_case_fails(
        "UPM-02",
        &unacked,
        21.0,
        "notify-acked failed: the ACQP answered notifyPayment (seq 5, attempt 1) with HTTP 404",
    );
}

#[test]
fn upm_03_a_declined_payment_handled_correctly_passes() {
    let good = B::new("UPM-03")
        .show_code(0.0)
        .pay(2.0, "pay-1", "F", "USER_BALANCE_NOT_ENOUGH")
        .payment(2.0, PaymentState::Failed)
        .answer(8.0, "pos-shows-failure", true)
        .build();
    assert_case_passes("UPM-03", &good, 12.0);
    let retries = B::new("UPM-03")
        .show_code(0.0)
        .pay(2.0, "pay-1", "F", "USER_BALANCE_NOT_ENOUGH")
        .pay(4.0, "pay-1", "F", "USER_BALANCE_NOT_ENOUGH")
        .answer(8.0, "pos-shows-failure", true)
        .build();
    assert_case_fails(
        "UPM-03",
        &retries,
        12.0,
        "no-retry-after-failure failed: pay retried with the same paymentRequestId pay-1",
    );
}

#[test]
fn upm_04() {
    let good = B::new("UPM-04")
        .show_code(0.0)
        .pay(2.0, "pay-1", "U", "PAYMENT_IN_PROCESS")
        .inquiry(5.0, "pay-1", Some(("U", "PAYMENT_IN_PROCESS")))
        .cancel(62.0, "pay-1", "S", "SUCCESS")
        .payment(62.0, PaymentState::Cancelled)
        .answer(70.0, "pos-shows-not-paid", true)
        .build();
    assert_case_passes("UPM-04", &good, 71.0);
    let never_cancels = B::new("UPM-04")
        .show_code(0.0)
        .pay(2.0, "pay-1", "U", "PAYMENT_IN_PROCESS")
        .inquiry(5.0, "pay-1", Some(("U", "PAYMENT_IN_PROCESS")))
        .answer(70.0, "pos-shows-not-paid", true)
        .build();
    assert!(
        !judge(case("UPM-04"), &never_cancels, B::at(91.0)).is_decided(),
        "open until 90 s after pay"
    );
    assert_case_fails(
        "UPM-04",
        &never_cancels,
        93.0,
        "cancels-within failed: no cancelPayment within 90 s of pay (seq 2",
    );
}

#[test]
fn upm_05() {
    let good = B::new("UPM-05")
        .show_code(0.0)
        .pay(2.0, "pay-1", "U", "UNKNOWN_EXCEPTION")
        .payment(2.0, PaymentState::Succeeded)
        .inquiry(5.0, "pay-1", Some(("S", "SUCCESS")))
        .answer(10.0, "pos-shows-success", true)
        .build();
    assert_case_passes("UPM-05", &good, 62.0);
    let repeats_pay = B::new("UPM-05")
        .show_code(0.0)
        .pay(2.0, "pay-1", "U", "UNKNOWN_EXCEPTION")
        .pay(5.0, "pay-1", "S", "SUCCESS")
        .answer(10.0, "pos-shows-success", true)
        .build();
    assert_case_passes("UPM-05", &repeats_pay, 62.0);
    let changed = {
        let mut body = linker_cases::testing::upm_pay_body("pay-1");
        body["order"]["referenceOrderId"] = json!("order-2");
        B::new("UPM-05")
            .show_code(0.0)
            .pay(2.0, "pay-1", "U", "UNKNOWN_EXCEPTION")
            .pay_with(5.0, body, "F", "REPEAT_REQ_INCONSISTENT")
            .answer(10.0, "pos-shows-success", true)
            .build()
    };
    assert_case_fails(
        "UPM-05",
        &changed,
        62.0,
        "resolves-unknown-result failed: repeated pay with paymentRequestId pay-1 (seq 3) changed the body (order.referenceOrderId differs",
    );
}

#[test]
fn upm_06() {
    let good = B::new("UPM-06")
        .show_code(0.0)
        .pay(2.0, "pay-1", "S", "SUCCESS")
        .inquiry(17.0, "pay-1", Some(("U", "PAYMENT_IN_PROCESS")))
        .inquiry(20.0, "pay-1", Some(("U", "PAYMENT_IN_PROCESS")))
        .payment(32.0, PaymentState::Succeeded)
        .inquiry(33.0, "pay-1", Some(("S", "SUCCESS")))
        .answer(40.0, "pos-no-double-charge", true)
        .build();
    assert_case_passes("UPM-06", &good, 93.0);
    let charges_twice = B::new("UPM-06")
        .show_code(0.0)
        .pay(2.0, "pay-1", "S", "SUCCESS")
        .pay(17.0, "pay-2", "S", "SUCCESS")
        .inquiry(20.0, "pay-2", Some(("S", "SUCCESS")))
        .answer(40.0, "pos-no-double-charge", true)
        .build();
    // It never inquired about or cancelled pay-1 either, so the run stays open until the timeout;
    // the summary names the failure on the evidence before the one that timed out.
    assert!(!judge(case("UPM-06"), &charges_twice, B::at(93.0)).is_decided());
    assert_case_fails(
        "UPM-06",
        &charges_twice,
        300.0,
        "no-second-payment failed: a second payment: pay with paymentRequestId pay-2 (seq 3)",
    );
    assert_case_fails(
        "UPM-06",
        &charges_twice,
        300.0,
        "(and 1 more failing check(s))",
    );
}

#[test]
fn upm_07() {
    let good = B::new("UPM-07")
        .show_code(0.0)
        .pay(2.0, "pay-1", "F", "EXPIRED_CODE")
        .answer(8.0, "pos-asks-for-new-code", true)
        .build();
    assert_case_passes("UPM-07", &good, 13.0);
    let bad = B::new("UPM-07")
        .show_code(0.0)
        .pay(2.0, "pay-1", "F", "EXPIRED_CODE")
        .answer(8.0, "pos-asks-for-new-code", false)
        .build();
    assert_case_fails(
        "UPM-07",
        &bad,
        13.0,
        "manual:pos-asks-for-new-code failed: the merchant answered no to \"Did the POS ask for a new payment code?\"",
    );
}

// --- Order code ---

fn oc_pay(id: &str) -> B {
    B::new(id).pay_with(0.0, order_code_pay_body("oc-1"), "U", "PAYMENT_IN_PROCESS")
}

#[test]
fn moc_01() {
    let good = oc_pay("MOC-01")
        .wallet(
            5.0,
            WalletActionKind::Scan {
                code_value: "https://global.alipay.com/281002040093abc".into(),
                classified: "order_code".into(),
            },
        )
        .wallet(6.0, WalletActionKind::ConfirmPayment)
        .payment(6.0, PaymentState::Succeeded)
        .notify(6.0, false, Reply::SignedAck)
        .answer(10.0, "pos-shows-success", true)
        .build();
    assert_case_passes("MOC-01", &good, 11.0);
    let unsigned = oc_pay("MOC-01")
        .payment(6.0, PaymentState::Succeeded)
        .notify(6.0, false, Reply::UnsignedAck)
        .answer(10.0, "pos-shows-success", true)
        .build();
    assert_case_fails("MOC-01", &unsigned, 11.0, "notify-acked failed");
    assert_case_fails("MOC-01", &unsigned, 11.0, "signature missing");
}

#[test]
fn moc_02() {
    let good = oc_pay("MOC-02")
        .wallet(5.0, WalletActionKind::BackOut)
        .inquiry(3.0, "oc-1", Some(("U", "PAYMENT_IN_PROCESS")))
        .inquiry(6.0, "oc-1", Some(("U", "PAYMENT_IN_PROCESS")))
        .cancel(121.0, "oc-1", "S", "SUCCESS")
        .answer(130.0, "pos-shows-not-paid", true)
        .build();
    assert_case_passes("MOC-02", &good, 131.0);
    let hangs = oc_pay("MOC-02")
        .inquiry(3.0, "oc-1", Some(("U", "PAYMENT_IN_PROCESS")))
        .inquiry(6.0, "oc-1", Some(("U", "PAYMENT_IN_PROCESS")))
        .answer(130.0, "pos-shows-not-paid", true)
        .build();
    // Times out at 420 s; cancels-after-expiry already failed at 181 s, but the polling check
    // is still pending then.
    let v = decided("MOC-02", &hangs, 420.0);
    assert_eq!(v.outcome, Outcome::Failed, "{v:#?}");
    assert!(
        v.checks.iter().any(|c| c.check == "cancels-after-expiry"
            && c.outcome
                .text()
                .contains("no cancelPayment within 60 s after the order expired")),
        "{v:#?}"
    );
}

#[test]
fn moc_03_a_failed_payment_acked_passes() {
    let good = oc_pay("MOC-03")
        .payment(6.0, PaymentState::Failed)
        .notify(6.0, false, Reply::SignedAck)
        .answer(10.0, "pos-shows-failure", true)
        .build();
    assert_case_passes("MOC-03", &good, 11.0);
    let rejects_failure = oc_pay("MOC-03")
        .payment(6.0, PaymentState::Failed)
        .notify(6.0, false, Reply::Result("F", "PROCESS_FAIL"))
        .answer(10.0, "pos-shows-failure", true)
        .build();
    assert_case_fails("MOC-03", &rejects_failure, 11.0, "notify-acked failed");
}

#[test]
fn moc_04() {
    let good = oc_pay("MOC-04")
        .inquiry(3.0, "oc-1", Some(("U", "PAYMENT_IN_PROCESS")))
        .payment(5.0, PaymentState::Succeeded)
        .inquiry(6.0, "oc-1", Some(("S", "SUCCESS")))
        .answer(10.0, "pos-shows-success", true)
        .build();
    assert_case_passes("MOC-04", &good, 11.0);
    let waits_for_notify = oc_pay("MOC-04")
        .payment(5.0, PaymentState::Succeeded)
        .answer(10.0, "pos-shows-success", true)
        .build();
    assert!(!judge(case("MOC-04"), &waits_for_notify, B::at(100.0)).is_decided());
    assert_case_fails("MOC-04", &waits_for_notify, 300.0, "timed out waiting for");
    let v = decided("MOC-04", &waits_for_notify, 300.0);
    assert!(
        v.checks
            .iter()
            .any(|c| c.check == "inquires-when-notify-lost"
                && c.outcome.text().starts_with(
                    "timed out waiting for an inquiryPayment that returns the final result"
                )),
        "{v:#?}"
    );
}

#[test]
fn moc_05() {
    let good = oc_pay("MOC-05")
        .wallet(
            70.0,
            WalletActionKind::Scan {
                code_value: "https://global.alipay.com/281002040093abc".into(),
                classified: "order_code".into(),
            },
        )
        .payment(60.0, PaymentState::Failed)
        .inquiry(63.0, "oc-1", Some(("F", "ORDER_IS_CLOSED")))
        .answer(75.0, "wallet-says-expired", true)
        .answer(76.0, "pos-shows-not-paid", true)
        .build();
    assert_case_passes("MOC-05", &good, 77.0);
    let leaves_open = oc_pay("MOC-05")
        .payment(60.0, PaymentState::Failed)
        .answer(75.0, "wallet-says-expired", true)
        .answer(76.0, "pos-shows-not-paid", true)
        .build();
    assert_case_fails(
        "MOC-05",
        &leaves_open,
        121.0,
        "closes-expired-order failed: the ACQP neither cancelled nor inquired the expired order within 60 s",
    );
}

// --- Private order code and entry code ---

#[test]
fn mpc_01() {
    let code = "https://acq.example/281000040001tok";
    let good = B::new("MPC-01")
        .uip(
            1.0,
            code,
            Reply::Result("S", "SUCCESS"),
            uip_order("o-1", 500),
        )
        .uip(
            3.0,
            code,
            Reply::Result("S", "SUCCESS"),
            uip_order("o-1", 500),
        )
        .payment(6.0, PaymentState::Succeeded)
        .notify(6.0, false, Reply::SignedAck)
        .answer(10.0, "pos-shows-success", true)
        .build();
    assert_case_passes("MPC-01", &good, 11.0);
    let new_order_each_time = B::new("MPC-01")
        .uip(
            1.0,
            code,
            Reply::Result("S", "SUCCESS"),
            uip_order("o-1", 500),
        )
        .uip(
            3.0,
            code,
            Reply::Result("S", "SUCCESS"),
            uip_order("o-2", 500),
        )
        .payment(6.0, PaymentState::Succeeded)
        .notify(6.0, false, Reply::SignedAck)
        .answer(10.0, "pos-shows-success", true)
        .build();
    assert_case_fails(
        "MPC-01",
        &new_order_each_time,
        11.0,
        "uip-idempotent failed: the same codeValue got a different order: paymentRequestId",
    );
}

#[test]
fn mpc_02() {
    let good = B::new("MPC-02")
        .uip(
            1.0,
            "https://acq.example/281000040001zzz",
            Reply::Result("F", "ORDER_NOT_EXIST"),
            json!({}),
        )
        .build();
    assert_case_passes("MPC-02", &good, 2.0);
    let accepts = B::new("MPC-02")
        .uip(
            1.0,
            "https://acq.example/281000040001zzz",
            Reply::Result("S", "SUCCESS"),
            uip_order("o-9", 100),
        )
        .build();
    assert_case_fails(
        "MPC-02",
        &accepts,
        2.0,
        "uip-unknown-code-rejected failed: answered S SUCCESS (seq 1) with an order for a code it never issued",
    );
}

#[test]
fn mec_01() {
    let good = B::new("MEC-01")
        .wallet(
            0.0,
            WalletActionKind::OpenEntryCode {
                url: "https://m.example/entry/1".into(),
            },
        )
        .pay_with(5.0, entry_code_pay_body("ec-1"), "U", "PAYMENT_IN_PROCESS")
        .payment(8.0, PaymentState::Succeeded)
        .notify(8.0, false, Reply::SignedAck)
        .answer(12.0, "merchant-records-payment", true)
        .build();
    assert_case_passes("MEC-01", &good, 13.0);
    let mut body = entry_code_pay_body("ec-1");
    body["paymentFactor"]["inStorePaymentScenario"] = json!("OrderCode");
    let wrong_scenario = B::new("MEC-01")
        .pay_with(5.0, body, "U", "PAYMENT_IN_PROCESS")
        .payment(8.0, PaymentState::Succeeded)
        .notify(8.0, false, Reply::SignedAck)
        .answer(12.0, "merchant-records-payment", true)
        .build();
    assert_case_fails(
        "MEC-01",
        &wrong_scenario,
        13.0,
        "entry-pay-fields failed: pay (seq 1) is not a valid entry-code pay: paymentFactor.inStorePaymentScenario is \"OrderCode\", expected \"EntryCode\"",
    );
}

// --- Refund, cancel, notification ---

fn prelude(id: &str) -> B {
    B::new(id)
        .show_code(0.0)
        .pay(2.0, "pay-1", "S", "SUCCESS")
        .payment(2.0, PaymentState::Succeeded)
}

#[test]
fn rfd_01() {
    let good = prelude("RFD-01")
        .refund(30.0, "pay-1", "r-1", 1000, "S", "SUCCESS")
        .answer(40.0, "pos-shows-refunded", true)
        .build();
    assert_case_passes("RFD-01", &good, 41.0);
    let bad = prelude("RFD-01")
        .refund(30.0, "pay-1", "r-1", 1000, "F", "PARAM_ILLEGAL")
        .edit_call(|c| c.validation = Some("refundAmount.value: not an integer".into()))
        .answer(40.0, "pos-shows-refunded", false)
        .build();
    assert_case_fails(
        "RFD-01",
        &bad,
        900.0,
        "protocol-fields failed: refund (seq 4) rejected with PARAM_ILLEGAL: refundAmount.value: not an integer",
    );
}

#[test]
fn rfd_02() {
    let good = prelude("RFD-02")
        .refund(30.0, "pay-1", "r-1", 300, "S", "SUCCESS")
        .refund(40.0, "pay-1", "r-2", 300, "S", "SUCCESS")
        .refund(50.0, "pay-1", "r-3", 500, "F", "REFUND_AMOUNT_EXCEED")
        .answer(55.0, "pos-shows-refund-refused", true)
        .build();
    assert_case_passes("RFD-02", &good, 61.0);
    let blind = prelude("RFD-02")
        .refund(30.0, "pay-1", "r-1", 300, "S", "SUCCESS")
        .refund(40.0, "pay-1", "r-2", 300, "S", "SUCCESS")
        .refund(50.0, "pay-1", "r-3", 500, "F", "REFUND_AMOUNT_EXCEED")
        .refund(51.0, "pay-1", "r-4", 500, "F", "REFUND_AMOUNT_EXCEED")
        .answer(55.0, "pos-shows-refund-refused", true)
        .build();
    assert_case_fails(
        "RFD-02",
        &blind,
        61.0,
        "partial-refunds-within-limit failed: after F REFUND_AMOUNT_EXCEED (seq 6) the ACQP retried blindly with a new refundRequestId r-4",
    );
}

#[test]
fn rfd_03() {
    let good = prelude("RFD-03")
        .refund(30.0, "pay-1", "r-1", 1000, "U", "UNKNOWN_EXCEPTION")
        .refund(35.0, "pay-1", "r-1", 1000, "S", "SUCCESS")
        .answer(40.0, "pos-shows-refunded", true)
        .build();
    assert_case_passes("RFD-03", &good, 41.0);
    let double = prelude("RFD-03")
        .refund(30.0, "pay-1", "r-1", 1000, "U", "UNKNOWN_EXCEPTION")
        .refund(35.0, "pay-1", "r-2", 1000, "F", "ORDER_STATUS_INVALID")
        .answer(40.0, "pos-shows-refunded", true)
        .build();
    assert_case_fails(
        "RFD-03",
        &double,
        41.0,
        "refund-retried-with-same-id failed: after U (seq 4) the ACQP sent a new refundRequestId r-2",
    );
}

#[test]
fn can_01() {
    let good = prelude("CAN-01")
        .cancel(30.0, "pay-1", "S", "SUCCESS")
        .answer(40.0, "pos-shows-cancelled", true)
        .build();
    assert_case_passes("CAN-01", &good, 41.0);
    let unsigned = prelude("CAN-01")
        .cancel(30.0, "pay-1", "F", "INVALID_SIGNATURE")
        .edit_call(|c| {
            c.signature = linker_cases::SignatureVerdict::Invalid {
                reason: "wrong key".into(),
            }
        })
        .answer(40.0, "pos-shows-cancelled", false)
        .build();
    assert_case_fails(
        "CAN-01",
        &unsigned,
        900.0,
        "cancelPayment (seq 4) signature invalid (wrong key)",
    );
}

#[test]
fn can_02() {
    let good = prelude("CAN-02")
        .cancel(30.0, "pay-1", "U", "UNKNOWN_EXCEPTION")
        .cancel(33.0, "pay-1", "S", "SUCCESS")
        .answer(40.0, "pos-shows-cancelled", true)
        .build();
    assert_case_passes("CAN-02", &good, 41.0);
    let gives_up = prelude("CAN-02")
        .cancel(30.0, "pay-1", "U", "UNKNOWN_EXCEPTION")
        .answer(40.0, "pos-shows-cancelled", true)
        .build();
    assert_case_fails(
        "CAN-02",
        &gives_up,
        900.0,
        "cancel-retried-until-success failed: timed out waiting for a retry of cancelPayment after U UNKNOWN_EXCEPTION (seq 4)",
    );
}

#[test]
fn ntf_01() {
    let good = prelude("NTF-01")
        .notify(2.0, true, Reply::Result("F", "INVALID_SIGNATURE"))
        .notify(7.0, false, Reply::SignedAck)
        .build();
    assert_case_passes("NTF-01", &good, 8.0);
    let trusting = prelude("NTF-01")
        .notify(2.0, true, Reply::SignedAck)
        .notify(7.0, false, Reply::SignedAck)
        .build();
    assert_case_fails(
        "NTF-01",
        &trusting,
        8.0,
        "forged-notify-rejected failed: the ACQP acked the forged notifyPayment (seq 4)",
    );
}

#[test]
fn ntf_02() {
    let good = prelude("NTF-02")
        .notify(2.0, false, Reply::SignedAck)
        .notify(7.0, false, Reply::SignedAck)
        .answer(20.0, "pos-records-one-payment", true)
        .build();
    assert_case_passes("NTF-02", &good, 21.0);
    let double_booked = prelude("NTF-02")
        .notify(2.0, false, Reply::SignedAck)
        .notify(7.0, false, Reply::SignedAck)
        .answer(20.0, "pos-records-one-payment", false)
        .build();
    assert_case_fails(
        "NTF-02",
        &double_booked,
        21.0,
        "manual:pos-records-one-payment failed",
    );
}

#[test]
fn every_implemented_case_has_a_test_here() {
    let tested = [
        "UPM-01", "UPM-02", "UPM-03", "UPM-04", "UPM-05", "UPM-06", "UPM-07", "MOC-01", "MOC-02",
        "MOC-03", "MOC-04", "MOC-05", "MPC-01", "MPC-02", "MEC-01", "RFD-01", "RFD-02", "RFD-03",
        "CAN-01", "CAN-02", "NTF-01", "NTF-02", "CSH-01", "CSH-02", "CSH-03", "ADB-01", "ADB-02",
        "ADB-03",
    ];
    let implemented: Vec<&str> = linker_cases::Catalogue::builtin()
        .unwrap()
        .cases()
        .iter()
        .filter(|c| c.implemented)
        .map(|c| c.id.as_str())
        .collect();
    assert_eq!(implemented, tested);
}

/// A cashier checkout the wallet opened: consult, pay (waiting for the customer), the open.
fn checkout(id: &str, body: serde_json::Value) -> B {
    B::new(id)
        .call(
            1.0,
            Api::ConsultPayment,
            json!({"paymentAmount": {"currency": "JPY", "value": "1000"}}),
            "S",
            "SUCCESS",
            json!({"paymentOptions": []}),
        )
        .pay_with(2.0, body, "U", "PAYMENT_IN_PROCESS")
        .wallet(
            3.0,
            WalletActionKind::OpenPaymentUrl {
                url: "https://hub.example/checkout/1".into(),
            },
        )
}

#[test]
fn csh_01() {
    let good = checkout("CSH-01", cashier_pay_body("cs-1"))
        .wallet(4.0, WalletActionKind::ConfirmPayment)
        .payment(4.0, PaymentState::Succeeded)
        .notify(4.0, false, Reply::SignedAck)
        .wallet(
            5.0,
            WalletActionKind::Redirected {
                url: "https://merchant.example/done".into(),
            },
        )
        .answer(10.0, "site-shows-paid", true)
        .build();
    assert_case_passes("CSH-01", &good, 11.0);
    let mut body = cashier_pay_body("cs-1");
    body.as_object_mut().unwrap().remove("paymentRedirectUrl");
    let nowhere_to_return = checkout("CSH-01", body)
        .wallet(4.0, WalletActionKind::ConfirmPayment)
        .payment(4.0, PaymentState::Succeeded)
        .notify(4.0, false, Reply::SignedAck)
        .answer(10.0, "site-shows-paid", true)
        .build();
    assert_case_fails(
        "CSH-01",
        &nowhere_to_return,
        11.0,
        "cashier-pay-fields failed: pay (seq 2) is not a valid cashier pay: paymentRedirectUrl missing",
    );
}

#[test]
fn csh_02() {
    let good = checkout("CSH-02", cashier_pay_body("cs-1"))
        .wallet(4.0, WalletActionKind::BackOut)
        .inquiry(5.0, "cs-1", Some(("U", "PAYMENT_IN_PROCESS")))
        .inquiry(8.0, "cs-1", Some(("U", "PAYMENT_IN_PROCESS")))
        .cancel(303.0, "cs-1", "S", "SUCCESS")
        .answer(310.0, "site-shows-not-paid", true)
        .build();
    assert_case_passes("CSH-02", &good, 311.0);
    // A site that trusts the return shows the order paid though nobody paid.
    let trusting = checkout("CSH-02", cashier_pay_body("cs-1"))
        .wallet(4.0, WalletActionKind::BackOut)
        .inquiry(5.0, "cs-1", Some(("U", "PAYMENT_IN_PROCESS")))
        .cancel(303.0, "cs-1", "S", "SUCCESS")
        .answer(310.0, "site-shows-not-paid", false)
        .build();
    assert_case_fails(
        "CSH-02",
        &trusting,
        311.0,
        "manual:site-shows-not-paid failed",
    );
}

#[test]
fn csh_03() {
    let good = checkout("CSH-03", cashier_pay_body("cs-1"))
        .wallet(4.0, WalletActionKind::ConfirmPayment)
        .payment(4.0, PaymentState::Succeeded)
        .notify(4.0, false, Reply::SignedAck)
        .build();
    assert_case_passes("CSH-03", &good, 5.0);
    let no_consult = B::new("CSH-03")
        .pay_with(2.0, cashier_pay_body("cs-1"), "U", "PAYMENT_IN_PROCESS")
        .wallet(
            3.0,
            WalletActionKind::OpenPaymentUrl {
                url: "https://hub.example/checkout/1".into(),
            },
        )
        .build();
    // The calls-api check waits for a consult until the case's timeout; the verdict then.
    assert_case_fails(
        "CSH-03",
        &no_consult,
        601.0,
        "consults-before-pay failed: the checkout paid (seq 1) without a successful consultPayment before it",
    );
}

/// The customer authorized in the wallet and the ACQP exchanged the code for a token.
fn linked(id: &str) -> B {
    B::new(id)
        .call(
            1.0,
            Api::Prepare,
            json!({"authClientId": "M1", "scopes": ["AGREEMENT_PAY"]}),
            "S",
            "SUCCESS",
            json!({"authUrl": "https://hub.example/authorize/a1"}),
        )
        .wallet(2.0, WalletActionKind::Authorize)
        .auth_notify(2.0, "AUTHCODE_CREATED")
        .call(
            3.0,
            Api::ApplyToken,
            json!({"grantType": "AUTHORIZATION_CODE", "authCode": "code-1"}),
            "S",
            "SUCCESS",
            json!({"accessToken": ACCESS_TOKEN}),
        )
}

#[test]
fn adb_01() {
    let good = linked("ADB-01")
        .pay_with(
            5.0,
            agreement_pay_body("ad-1", ACCESS_TOKEN),
            "S",
            "SUCCESS",
        )
        .payment(5.0, PaymentState::Succeeded)
        .answer(8.0, "site-shows-paid", true)
        .build();
    assert_case_passes("ADB-01", &good, 9.0);
    // Debiting with the authorization code itself, never calling applyToken.
    let no_token = B::new("ADB-01")
        .call(
            1.0,
            Api::Prepare,
            json!({"authClientId": "M1", "scopes": ["AGREEMENT_PAY"]}),
            "S",
            "SUCCESS",
            json!({"authUrl": "https://hub.example/authorize/a1"}),
        )
        .wallet(2.0, WalletActionKind::Authorize)
        .auth_notify(2.0, "AUTHCODE_CREATED")
        .pay_with(
            5.0,
            agreement_pay_body("ad-1", "code-1"),
            "F",
            "INVALID_ACCESS_TOKEN",
        )
        .answer(8.0, "site-shows-paid", false)
        .build();
    assert_case_fails(
        "ADB-01",
        &no_token,
        601.0,
        "agreement-pay-fields failed: pay (seq 4) is not a valid Auto Debit: paymentMethod.paymentMethodId \"code-1\" is not an access token: the ACQP never exchanged the authorization code with applyToken before debiting",
    );
}

#[test]
fn adb_02() {
    let revoked = || {
        linked("ADB-02")
            .wallet(5.0, WalletActionKind::RevokeAuthorization)
            .auth_notify(5.0, "TOKEN_CANCELED")
    };
    let good = revoked()
        .pay_with(
            8.0,
            agreement_pay_body("ad-2", ACCESS_TOKEN),
            "F",
            "INVALID_ACCESS_TOKEN",
        )
        .answer(12.0, "site-shows-unlinked", true)
        .build();
    assert_case_passes("ADB-02", &good, 16.0);
    let quietly = revoked().answer(12.0, "site-shows-unlinked", true).build();
    assert_case_passes("ADB-02", &quietly, 16.0);
    let retries = revoked()
        .pay_with(
            8.0,
            agreement_pay_body("ad-2", ACCESS_TOKEN),
            "F",
            "INVALID_ACCESS_TOKEN",
        )
        .pay_with(
            9.0,
            agreement_pay_body("ad-3", ACCESS_TOKEN),
            "F",
            "INVALID_ACCESS_TOKEN",
        )
        .answer(12.0, "site-shows-unlinked", false)
        .build();
    assert_case_fails(
        "ADB-02",
        &retries,
        16.0,
        "stops-using-revoked-token failed: debited again (seq 8) after Alipay+ answered F INVALID_ACCESS_TOKEN (seq 7)",
    );
}

#[test]
fn adb_03() {
    let good = linked("ADB-03")
        .call(
            5.0,
            Api::CancelToken,
            json!({"accessToken": ACCESS_TOKEN}),
            "S",
            "SUCCESS",
            json!({}),
        )
        .answer(8.0, "site-shows-unlinked", true)
        .build();
    assert_case_passes("ADB-03", &good, 9.0);
    let locally = linked("ADB-03")
        .answer(8.0, "site-shows-unlinked", true)
        .build();
    assert_case_fails(
        "ADB-03",
        &locally,
        601.0,
        "cancels-token-before-unlinked failed: the site shows the wallet unlinked but never called cancelToken",
    );
}
