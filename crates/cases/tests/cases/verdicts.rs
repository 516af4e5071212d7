//! Judging: timeouts both ways, skipped cases, summaries and ordering.

use linker_cases::testing::{RecordBuilder as B, Reply};
use linker_cases::verdict::deadline;
use linker_cases::{JudgementState, Outcome, PaymentState, judge};

use crate::case;

#[test]
fn a_silent_acqp_is_broken_at_the_timeout_and_open_before() {
    let record = B::new("UPM-01").show_code(0.0).build();
    let open = judge(case("UPM-01"), &record, B::at(299.0));
    assert_eq!(open.state, JudgementState::Open, "{open:#?}");
    let j = judge(case("UPM-01"), &record, B::at(300.0));
    let v = j.verdict().unwrap();
    assert_eq!(v.outcome, Outcome::Broken, "{v:#?}");
    assert!(
        v.summary
            .contains("No call from the ACQP within the timeout (300 s)"),
        "{}",
        v.summary
    );
}

#[test]
fn callbacks_that_got_no_reply_do_not_count_as_the_acqp_being_heard() {
    let record = B::new("MPC-02")
        .uip(
            1.0,
            "code",
            Reply::NoReply("connection refused"),
            serde_json::json!({}),
        )
        .build();
    let v = judge(case("MPC-02"), &record, B::at(180.0))
        .verdict()
        .cloned()
        .unwrap();
    assert_eq!(v.outcome, Outcome::Broken, "{v:#?}");
}

#[test]
fn an_acqp_that_called_but_stalled_fails_with_timed_out_checks() {
    let record = B::new("UPM-01")
        .show_code(0.0)
        .pay(2.0, "pay-1", "S", "SUCCESS")
        .build();
    assert_eq!(
        judge(case("UPM-01"), &record, B::at(100.0)).state,
        JudgementState::Open
    );
    let v = judge(case("UPM-01"), &record, B::at(300.0))
        .verdict()
        .cloned()
        .unwrap();
    assert_eq!(v.outcome, Outcome::Failed, "{v:#?}");
    assert_eq!(
        v.summary,
        "manual:pos-shows-success failed: timed out waiting for the merchant's answer to \"Did the POS show the payment as successful?\""
    );
}

#[test]
fn the_deadline_is_start_plus_timeout() {
    let record = B::new("RFD-01").build();
    assert_eq!(deadline(case("RFD-01"), &record), B::at(900.0));
}

#[test]
fn a_successful_payment_whose_notify_was_never_acked_fails() {
    let record = B::new("MOC-01")
        .pay_with(
            0.0,
            linker_cases::testing::order_code_pay_body("p"),
            "U",
            "PAYMENT_IN_PROCESS",
        )
        .payment(5.0, PaymentState::Succeeded)
        .notify(5.0, false, Reply::NoReply("timeout"))
        .notify(9.0, false, Reply::NoReply("timeout"))
        .answer(10.0, "pos-shows-success", true)
        .build();
    let v = judge(case("MOC-01"), &record, B::at(300.0))
        .verdict()
        .cloned()
        .unwrap();
    assert_eq!(v.outcome, Outcome::Failed, "{v:#?}");
    assert!(v.summary.starts_with("notify-acked failed: timed out waiting for a reply to notifyPayment (2 deliveries unanswered, last: no reply (timeout))"), "{}", v.summary);
}

#[test]
fn failing_checks_come_first_and_the_summary_counts_the_rest() {
    let mut body = linker_cases::testing::upm_pay_body("pay-1");
    body["paymentMethod"]["paymentMethodType"] = serde_json::json!("X");
    let record = B::new("UPM-01")
        .pay_with(2.0, body, "S", "SUCCESS")
        .answer(5.0, "pos-shows-success", false)
        .build();
    let v = judge(case("UPM-01"), &record, B::at(6.0))
        .verdict()
        .cloned()
        .unwrap();
    assert_eq!(v.outcome, Outcome::Failed);
    assert!(
        v.checks[0].outcome.is_failed() && v.checks[1].outcome.is_failed(),
        "{v:#?}"
    );
    assert!(!v.checks[2].outcome.is_failed(), "{v:#?}");
    assert!(
        v.summary.starts_with("upm-pay-fields failed:")
            && v.summary.ends_with("(and 1 more failing check(s))"),
        "{}",
        v.summary
    );
}

#[test]
fn every_check_carries_evidence_when_decided_from_events() {
    let record = B::new("UPM-01")
        .show_code(0.0)
        .pay(2.0, "pay-1", "S", "SUCCESS")
        .answer(5.0, "pos-shows-success", true)
        .build();
    let j = judge(case("UPM-01"), &record, B::at(6.0));
    assert_eq!(j.verdict().unwrap().outcome, Outcome::Passed);
    for c in &j.checks {
        assert!(!c.evidence.is_empty(), "{} has no evidence: {c:?}", c.check);
    }
    let names: Vec<&str> = j.checks.iter().map(|c| c.check.as_str()).collect();
    assert_eq!(
        names,
        [
            "protocol-signatures",
            "protocol-headers",
            "protocol-fields",
            "pay-received",
            "upm-pay-fields",
            "manual:pos-shows-success"
        ]
    );
}

#[test]
fn a_case_listed_but_not_implemented_is_skipped() {
    let catalogue = linker_cases::Catalogue::parse(
        "cashier.toml",
        r#"
[[case]]
id = "CSH-09"
product = "CASHIER"
title = "Listed only"
summary = "S"
timeout = 60
implemented = false
[[case.steps]]
instruction = "Do it."
expected = "It works."
"#,
    )
    .unwrap();
    let listed = catalogue.case("CSH-09").unwrap();
    let v = judge(listed, &B::new("CSH-09").build(), B::at(0.0))
        .verdict()
        .cloned()
        .unwrap();
    assert_eq!(v.outcome, Outcome::Skipped);
    assert!(v.summary.contains("not implemented"), "{}", v.summary);
}

#[test]
fn judgements_serialize_with_stable_names() {
    let record = B::new("UPM-01").build();
    let j = judge(case("UPM-01"), &record, B::at(300.0));
    let json = serde_json::to_value(&j).unwrap();
    assert_eq!(json["state"]["state"], "decided", "{json}");
    assert_eq!(json["state"]["outcome"], "broken", "{json}");
    assert_eq!(json["checks"][0]["check"], "protocol-signatures", "{json}");
}
