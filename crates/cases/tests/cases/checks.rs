//! Every check both ways: a record that passes it and one that fails it (and pending where the
//! record cannot decide yet).

use linker_aplus::message::Api;
use linker_cases::check::protocol_checks;
use linker_cases::testing::{
    PAYMENT_CODE, RecordBuilder as B, Reply, cashier_pay_body, entry_code_pay_body,
    order_code_pay_body, uip_order, upm_pay_body,
};
use linker_cases::{CheckOutcome, SignatureVerdict, WalletActionKind};
use serde_json::json;

use crate::{assert_failed, assert_passed, assert_pending, eval};
use linker_cases::Check;

fn protocol(record: &linker_cases::RunRecord, name: &str) -> linker_cases::CheckResult {
    protocol_checks(record)
        .into_iter()
        .find(|c| c.check == name)
        .unwrap()
}

mod protocol {
    use super::*;

    fn good() -> B {
        B::new("UPM-01").pay(0.0, "pay-1", "S", "SUCCESS").inquiry(
            3.0,
            "pay-1",
            Some(("S", "SUCCESS")),
        )
    }

    #[test]
    fn signed_requests_pass() {
        let r = good().build();
        assert_passed(&protocol(&r, "protocol-signatures"));
        assert_passed(&protocol(&r, "protocol-headers"));
        assert_passed(&protocol(&r, "protocol-fields"));
    }

    #[test]
    fn a_missing_or_invalid_signature_fails() {
        let r = good()
            .edit_call(|c| c.signature = SignatureVerdict::Missing)
            .build();
        assert_failed(
            &protocol(&r, "protocol-signatures"),
            "inquiryPayment (seq 2) signature missing",
        );
        let r = good()
            .edit_call(|c| {
                c.signature = SignatureVerdict::Invalid {
                    reason: "signed over a different body".into(),
                }
            })
            .build();
        assert_failed(
            &protocol(&r, "protocol-signatures"),
            "signed over a different body",
        );
    }

    #[test]
    fn headers_are_case_insensitive_and_accept_epoch_millis() {
        let r = good()
            .edit_call(|c| {
                c.request_headers = [
                    ("client-id", "C"),
                    ("request-time", "1767225600000"),
                    ("signature", "algorithm=RSA256,keyVersion=1,signature=x"),
                    ("content-type", "application/json"),
                ]
                .into_iter()
                .map(|(k, v)| (k.to_owned(), v.to_owned()))
                .collect();
            })
            .build();
        assert_passed(&protocol(&r, "protocol-headers"));
    }

    #[test]
    fn each_missing_or_wrong_header_fails_by_name() {
        for (header, value, expected) in [
            ("Client-Id", None, "header Client-Id missing"),
            ("Request-Time", None, "header Request-Time missing"),
            ("Request-Time", Some("yesterday"), "neither ISO 8601"),
            ("Signature", None, "header Signature missing"),
            ("Content-Type", None, "header Content-Type missing"),
            (
                "Content-Type",
                Some("text/plain"),
                "is not application/json",
            ),
            (
                "Content-Type",
                Some("application/json; charset=ISO-8859-1"),
                "is not UTF-8",
            ),
        ] {
            let r = good()
                .edit_call(|c| match value {
                    None => {
                        c.request_headers.remove(header);
                    }
                    Some(v) => {
                        c.request_headers.insert(header.to_owned(), v.to_owned());
                    }
                })
                .build();
            assert_failed(&protocol(&r, "protocol-headers"), expected);
        }
    }

    #[test]
    fn a_param_illegal_body_fails_with_the_reason() {
        let r = good()
            .edit_call(|c| c.validation = Some("paymentRequestId: missing".into()))
            .build();
        assert_failed(
            &protocol(&r, "protocol-fields"),
            "inquiryPayment (seq 2) rejected with PARAM_ILLEGAL: paymentRequestId: missing",
        );
    }
}

mod pay_fields {
    use super::*;

    #[test]
    fn pay_received_both_ways() {
        let r = B::new("UPM-01").pay(1.0, "pay-1", "S", "SUCCESS").build();
        assert_passed(&eval("UPM-01", &Check::PayReceived, &r, 2.0));
        assert_pending(&eval(
            "UPM-01",
            &Check::PayReceived,
            &B::new("UPM-01").build(),
            2.0,
        ));
    }

    #[test]
    fn upm_fields_pass_for_a_scanned_code() {
        let r = B::new("UPM-01")
            .show_code(0.0)
            .pay(1.0, "pay-1", "S", "SUCCESS")
            .build();
        assert_passed(&eval("UPM-01", &Check::UpmPayFields, &r, 2.0));
    }

    #[test]
    fn upm_fields_fail_naming_each_wrong_field() {
        let mut body = upm_pay_body("pay-1");
        body["paymentMethod"]["paymentMethodType"] = json!("ALIPAY_CN");
        body["order"]["merchant"]
            .as_object_mut()
            .unwrap()
            .remove("store");
        let r = B::new("UPM-01")
            .show_code(0.0)
            .pay_with(1.0, body, "S", "SUCCESS")
            .build();
        let result = eval("UPM-01", &Check::UpmPayFields, &r, 2.0);
        assert_failed(
            &result,
            "paymentMethod.paymentMethodType is \"ALIPAY_CN\", expected \"CONNECT_WALLET\"",
        );
        assert_failed(&result, "order.merchant.store missing");
    }

    #[test]
    fn upm_fields_fail_for_a_code_the_wallet_never_showed() {
        let mut body = upm_pay_body("pay-1");
        body["paymentMethod"]["paymentMethodId"] = json!("281999000000000000000000");
        let r = B::new("UPM-01")
            .show_code(0.0)
            .pay_with(1.0, body, "S", "SUCCESS")
            .build();
        assert_failed(
            &eval("UPM-01", &Check::UpmPayFields, &r, 2.0),
            "is not a payment code the wallet showed",
        );
        assert_ne!(PAYMENT_CODE, "281999000000000000000000");
    }

    #[test]
    fn upm_fields_fail_when_the_hub_rejected_the_body() {
        let r = B::new("UPM-01")
            .pay(1.0, "pay-1", "F", "PARAM_ILLEGAL")
            .edit_call(|c| c.validation = Some("order.merchant.store: missing".into()))
            .build();
        assert_failed(
            &eval("UPM-01", &Check::UpmPayFields, &r, 2.0),
            "the hub rejected it",
        );
    }

    #[test]
    fn order_code_fields_both_ways() {
        let r = B::new("MOC-01")
            .pay_with(0.0, order_code_pay_body("p"), "U", "PAYMENT_IN_PROCESS")
            .build();
        assert_passed(&eval("MOC-01", &Check::OrderCodePayFields, &r, 1.0));
        let r = B::new("MOC-01")
            .pay(0.0, "p", "U", "PAYMENT_IN_PROCESS")
            .build();
        let result = eval("MOC-01", &Check::OrderCodePayFields, &r, 1.0);
        assert_failed(
            &result,
            "inStorePaymentScenario is \"PaymentCode\", expected \"OrderCode\"",
        );
        assert_failed(&result, "order.env.userAgent missing");
    }

    #[test]
    fn user_agent_sent_both_ways() {
        let r = B::new("MOC-01")
            .pay_with(0.0, order_code_pay_body("p"), "U", "PAYMENT_IN_PROCESS")
            .build();
        assert_passed(&eval("MOC-01", &Check::UserAgentSent, &r, 1.0));
        let mut body = order_code_pay_body("p");
        body["order"]["env"]["userAgent"] = json!("  ");
        let r = B::new("MOC-01")
            .pay_with(0.0, body, "U", "PAYMENT_IN_PROCESS")
            .build();
        assert_failed(
            &eval("MOC-01", &Check::UserAgentSent, &r, 1.0),
            "has no order.env.userAgent",
        );
    }

    #[test]
    fn entry_fields_both_ways() {
        let r = B::new("MEC-01")
            .pay_with(0.0, entry_code_pay_body("p"), "U", "PAYMENT_IN_PROCESS")
            .build();
        assert_passed(&eval("MEC-01", &Check::EntryPayFields, &r, 1.0));
        let mut body = entry_code_pay_body("p");
        body["order"]["env"]["userAgent"] = json!("okhttp/4.12");
        let r = B::new("MEC-01")
            .pay_with(0.0, body, "U", "PAYMENT_IN_PROCESS")
            .build();
        assert_failed(
            &eval("MEC-01", &Check::EntryPayFields, &r, 1.0),
            "is not the wallet's (no AlipayConnect)",
        );
    }

    #[test]
    fn cashier_fields_both_ways() {
        let r = B::new("CSH-01")
            .pay_with(0.0, cashier_pay_body("p"), "U", "PAYMENT_IN_PROCESS")
            .build();
        assert_passed(&eval("CSH-01", &Check::CashierPayFields, &r, 1.0));
        let mut body = cashier_pay_body("p");
        body.as_object_mut().unwrap().remove("paymentRedirectUrl");
        let r = B::new("CSH-01")
            .pay_with(0.0, body, "U", "PAYMENT_IN_PROCESS")
            .build();
        assert_failed(
            &eval("CSH-01", &Check::CashierPayFields, &r, 1.0),
            "paymentRedirectUrl missing",
        );
    }
}

mod polling {
    use super::*;

    const POLL: Check = Check::PollsNoFasterThan {
        min_interval_secs: 2,
    };

    #[test]
    fn polling_every_three_seconds_until_the_result_passes() {
        let r = B::new("UPM-02")
            .pay(0.0, "pay-1", "U", "PAYMENT_IN_PROCESS")
            .inquiry(3.0, "pay-1", Some(("U", "PAYMENT_IN_PROCESS")))
            .inquiry(6.0, "pay-1", Some(("U", "PAYMENT_IN_PROCESS")))
            .inquiry(9.0, "pay-1", Some(("S", "SUCCESS")))
            .build();
        let result = eval("UPM-02", &POLL, &r, 10.0);
        assert_passed(&result);
        assert_eq!(result.evidence, vec![2, 3, 4]);
    }

    #[test]
    fn polls_exactly_at_the_interval_less_jitter_pass() {
        let r = B::new("UPM-02")
            .pay(0.0, "pay-1", "U", "PAYMENT_IN_PROCESS")
            .inquiry(1.0, "pay-1", Some(("U", "PAYMENT_IN_PROCESS")))
            .inquiry(2.85, "pay-1", Some(("S", "SUCCESS")))
            .build();
        assert_passed(&eval("UPM-02", &POLL, &r, 10.0));
    }

    #[test]
    fn polling_faster_fails_with_both_polls_as_evidence() {
        let r = B::new("UPM-02")
            .pay(0.0, "pay-1", "U", "PAYMENT_IN_PROCESS")
            .inquiry(1.0, "pay-1", Some(("U", "PAYMENT_IN_PROCESS")))
            .inquiry(1.5, "pay-1", Some(("U", "PAYMENT_IN_PROCESS")))
            .inquiry(5.0, "pay-1", Some(("S", "SUCCESS")))
            .build();
        let result = eval("UPM-02", &POLL, &r, 10.0);
        assert_failed(
            &result,
            "seq 2 and seq 3 were 0.5 s apart, faster than every 2 s",
        );
        assert_eq!(result.evidence, vec![2, 3]);
    }

    #[test]
    fn polls_of_different_payments_are_not_compared() {
        let r = B::new("UPM-02")
            .pay(0.0, "pay-1", "U", "PAYMENT_IN_PROCESS")
            .inquiry(1.0, "other", Some(("U", "PAYMENT_IN_PROCESS")))
            .inquiry(1.1, "pay-1", Some(("U", "PAYMENT_IN_PROCESS")))
            .inquiry(4.0, "pay-1", Some(("S", "SUCCESS")))
            .build();
        assert_passed(&eval("UPM-02", &POLL, &r, 10.0));
    }

    #[test]
    fn taking_the_notify_without_polling_passes() {
        let r = B::new("UPM-02")
            .pay(0.0, "pay-1", "U", "PAYMENT_IN_PROCESS")
            .notify(12.0, false, Reply::SignedAck)
            .build();
        assert_passed(&eval("UPM-02", &POLL, &r, 13.0));
    }

    #[test]
    fn no_result_yet_is_pending() {
        let r = B::new("UPM-02")
            .pay(0.0, "pay-1", "U", "PAYMENT_IN_PROCESS")
            .inquiry(3.0, "pay-1", Some(("U", "PAYMENT_IN_PROCESS")))
            .build();
        assert_pending(&eval("UPM-02", &POLL, &r, 4.0));
    }

    #[test]
    fn polling_then_cancelling_passes() {
        let r = B::new("MOC-02")
            .pay(0.0, "pay-1", "U", "PAYMENT_IN_PROCESS")
            .inquiry(3.0, "pay-1", Some(("U", "PAYMENT_IN_PROCESS")))
            .cancel(60.0, "pay-1", "S", "SUCCESS")
            .build();
        assert_passed(&eval("MOC-02", &POLL, &r, 61.0));
    }
}

mod upm_failures {
    use super::*;

    const NO_RETRY: Check = Check::NoRetryAfterFailure { window_secs: 10 };

    #[test]
    fn no_retry_passes_after_the_window() {
        let r = B::new("UPM-03")
            .pay(0.0, "pay-1", "F", "USER_BALANCE_NOT_ENOUGH")
            .build();
        assert_pending(&eval("UPM-03", &NO_RETRY, &r, 5.0));
        assert_passed(&eval("UPM-03", &NO_RETRY, &r, 10.0));
    }

    #[test]
    fn a_new_payment_request_id_is_not_a_retry() {
        let r = B::new("UPM-03")
            .pay(0.0, "pay-1", "F", "USER_BALANCE_NOT_ENOUGH")
            .pay(5.0, "pay-2", "F", "EXPIRED_CODE")
            .build();
        assert_passed(&eval("UPM-03", &NO_RETRY, &r, 11.0));
    }

    #[test]
    fn retrying_the_failed_id_fails() {
        let r = B::new("UPM-03")
            .pay(0.0, "pay-1", "F", "USER_BALANCE_NOT_ENOUGH")
            .pay(2.0, "pay-1", "F", "USER_BALANCE_NOT_ENOUGH")
            .build();
        let result = eval("UPM-03", &NO_RETRY, &r, 3.0);
        assert_failed(
            &result,
            "pay retried with the same paymentRequestId pay-1 (seq 2) after F USER_BALANCE_NOT_ENOUGH (seq 1)",
        );
        assert_eq!(result.evidence, vec![1, 2]);
    }

    const CANCEL_90: Check = Check::CancelsWithin { secs: 90 };

    #[test]
    fn cancel_within_90_s_passes() {
        let r = B::new("UPM-04")
            .pay(0.0, "pay-1", "U", "PAYMENT_IN_PROCESS")
            .cancel(89.0, "pay-1", "S", "SUCCESS")
            .build();
        assert_passed(&eval("UPM-04", &CANCEL_90, &r, 90.0));
    }

    #[test]
    fn no_cancel_fails_after_90_s_and_is_pending_before() {
        let r = B::new("UPM-04")
            .pay(0.0, "pay-1", "U", "PAYMENT_IN_PROCESS")
            .inquiry(3.0, "pay-1", Some(("U", "PAYMENT_IN_PROCESS")))
            .build();
        assert_pending(&eval("UPM-04", &CANCEL_90, &r, 89.0));
        assert_failed(
            &eval("UPM-04", &CANCEL_90, &r, 91.0),
            "no cancelPayment within 90 s of pay",
        );
    }

    #[test]
    fn a_late_cancel_fails() {
        let r = B::new("UPM-04")
            .pay(0.0, "pay-1", "U", "PAYMENT_IN_PROCESS")
            .cancel(120.0, "pay-1", "S", "SUCCESS")
            .build();
        assert_failed(
            &eval("UPM-04", &CANCEL_90, &r, 121.0),
            "came 120 s after pay (seq 1), later than 90 s",
        );
    }

    #[test]
    fn cancelling_another_payment_does_not_count() {
        let r = B::new("UPM-04")
            .pay(0.0, "pay-1", "U", "PAYMENT_IN_PROCESS")
            .cancel(10.0, "pay-0", "S", "SUCCESS")
            .build();
        assert_failed(
            &eval("UPM-04", &CANCEL_90, &r, 100.0),
            "no cancelPayment within 90 s",
        );
    }
}

mod unknown_result {
    use super::*;

    const RESOLVES: Check = Check::ResolvesUnknownResult;

    fn u_pay() -> B {
        B::new("UPM-05").pay(0.0, "pay-1", "U", "UNKNOWN_EXCEPTION")
    }

    #[test]
    fn inquiring_passes() {
        let r = u_pay()
            .inquiry(2.0, "pay-1", Some(("S", "SUCCESS")))
            .build();
        assert_passed(&eval("UPM-05", &RESOLVES, &r, 3.0));
    }

    #[test]
    fn repeating_the_identical_pay_passes_whatever_the_key_order() {
        let body = upm_pay_body("pay-1");
        // Same JSON, keys written in another order.
        let reordered: serde_json::Map<String, serde_json::Value> = body
            .as_object()
            .unwrap()
            .clone()
            .into_iter()
            .rev()
            .collect();
        let r = u_pay()
            .pay_with(2.0, serde_json::Value::Object(reordered), "S", "SUCCESS")
            .build();
        assert_passed(&eval("UPM-05", &RESOLVES, &r, 3.0));
    }

    #[test]
    fn repeating_with_a_changed_body_fails_naming_the_field() {
        let mut body = upm_pay_body("pay-1");
        body["paymentAmount"]["value"] = json!("1001");
        let r = u_pay()
            .inquiry(2.0, "pay-1", Some(("S", "SUCCESS")))
            .pay_with(3.0, body, "F", "REPEAT_REQ_INCONSISTENT")
            .build();
        assert_failed(
            &eval("UPM-05", &RESOLVES, &r, 4.0),
            "changed the body (paymentAmount.value differs from seq 1)",
        );
    }

    #[test]
    fn a_new_payment_instead_fails() {
        let r = u_pay().pay(2.0, "pay-2", "S", "SUCCESS").build();
        assert_failed(
            &eval("UPM-05", &RESOLVES, &r, 3.0),
            "started a new payment (paymentRequestId pay-2, seq 2)",
        );
    }

    #[test]
    fn cancelling_blind_fails() {
        let r = u_pay().cancel(2.0, "pay-1", "S", "SUCCESS").build();
        assert_failed(
            &eval("UPM-05", &RESOLVES, &r, 3.0),
            "cancelled (seq 2) without finding the result",
        );
    }

    #[test]
    fn nothing_yet_is_pending() {
        assert_pending(&eval("UPM-05", &RESOLVES, &u_pay().build(), 3.0));
    }
}

mod slow_answer {
    use super::*;

    #[test]
    fn inquires_or_cancels_both_ways() {
        let base = B::new("UPM-06").pay(0.0, "pay-1", "S", "SUCCESS");
        let r = base
            .clone()
            .inquiry(15.0, "pay-1", Some(("U", "PAYMENT_IN_PROCESS")))
            .build();
        assert_passed(&eval("UPM-06", &Check::InquiresOrCancels, &r, 16.0));
        let r = base.clone().cancel(15.0, "pay-1", "S", "SUCCESS").build();
        assert_passed(&eval("UPM-06", &Check::InquiresOrCancels, &r, 16.0));
        let r = base.build();
        assert_pending(&eval("UPM-06", &Check::InquiresOrCancels, &r, 16.0));
    }

    const ONE: Check = Check::NoSecondPayment { window_secs: 90 };

    #[test]
    fn no_second_payment_passes_after_the_window() {
        let r = B::new("UPM-06")
            .pay(0.0, "pay-1", "S", "SUCCESS")
            .inquiry(15.0, "pay-1", Some(("U", "PAYMENT_IN_PROCESS")))
            .build();
        assert_pending(&eval("UPM-06", &ONE, &r, 60.0));
        assert_passed(&eval("UPM-06", &ONE, &r, 90.0));
    }

    #[test]
    fn a_second_payment_fails() {
        let r = B::new("UPM-06")
            .pay(0.0, "pay-1", "S", "SUCCESS")
            .pay(16.0, "pay-2", "S", "SUCCESS")
            .build();
        assert_failed(
            &eval("UPM-06", &ONE, &r, 17.0),
            "a second payment: pay with paymentRequestId pay-2 (seq 2) after pay-1 (seq 1)",
        );
    }
}

mod notifications {
    use super::*;

    #[test]
    fn a_signed_ack_passes() {
        let r = B::new("MOC-01")
            .notify(5.0, false, Reply::SignedAck)
            .build();
        assert_passed(&eval("MOC-01", &Check::NotifyAcked, &r, 6.0));
    }

    #[test]
    fn an_unsigned_ack_fails() {
        let r = B::new("MOC-01")
            .notify(5.0, false, Reply::UnsignedAck)
            .build();
        assert_failed(
            &eval("MOC-01", &Check::NotifyAcked, &r, 6.0),
            "signature missing",
        );
    }

    #[test]
    fn an_error_reply_fails() {
        let r = B::new("MOC-01")
            .notify(5.0, false, Reply::Http(500))
            .build();
        assert_failed(&eval("MOC-01", &Check::NotifyAcked, &r, 6.0), "HTTP 500");
        let r = B::new("MOC-01")
            .notify(5.0, false, Reply::Result("F", "PROCESS_FAIL"))
            .build();
        assert_failed(
            &eval("MOC-01", &Check::NotifyAcked, &r, 6.0),
            "not a valid reply",
        );
    }

    #[test]
    fn no_reply_is_pending_until_a_retry_is_acked() {
        let r = B::new("MOC-01")
            .notify(5.0, false, Reply::NoReply("connection refused"))
            .build();
        let result = eval("MOC-01", &Check::NotifyAcked, &r, 6.0);
        assert_pending(&result);
        assert!(
            result.outcome.text().contains("connection refused"),
            "{result:?}"
        );
        let r = B::new("MOC-01")
            .notify(5.0, false, Reply::NoReply("connection refused"))
            .notify(9.0, false, Reply::SignedAck)
            .build();
        assert_passed(&eval("MOC-01", &Check::NotifyAcked, &r, 10.0));
    }

    #[test]
    fn a_forged_notify_is_not_the_one_acked() {
        let r = B::new("NTF-01").notify(5.0, true, Reply::SignedAck).build();
        assert_pending(&eval("NTF-01", &Check::NotifyAcked, &r, 6.0));
    }

    #[test]
    fn forged_rejected_both_ways() {
        for reply in [
            Reply::Http(401),
            Reply::Result("F", "INVALID_SIGNATURE"),
            Reply::NoReply("connection reset"),
        ] {
            let r = B::new("NTF-01").notify(5.0, true, reply.clone()).build();
            assert_passed(&eval("NTF-01", &Check::ForgedNotifyRejected, &r, 6.0));
        }
        for reply in [Reply::SignedAck, Reply::UnsignedAck] {
            let r = B::new("NTF-01").notify(5.0, true, reply).build();
            assert_failed(
                &eval("NTF-01", &Check::ForgedNotifyRejected, &r, 6.0),
                "acked the forged notifyPayment (seq 1)",
            );
        }
        assert_pending(&eval(
            "NTF-01",
            &Check::ForgedNotifyRejected,
            &B::new("NTF-01").build(),
            6.0,
        ));
    }

    #[test]
    fn duplicate_acked_both_ways() {
        let r = B::new("NTF-02")
            .notify(5.0, false, Reply::SignedAck)
            .notify(10.0, false, Reply::SignedAck)
            .build();
        assert_passed(&eval("NTF-02", &Check::DuplicateNotifyAcked, &r, 11.0));
        let r = B::new("NTF-02")
            .notify(5.0, false, Reply::SignedAck)
            .notify(10.0, false, Reply::Result("F", "REPEAT_REQ_INCONSISTENT"))
            .build();
        assert_failed(
            &eval("NTF-02", &Check::DuplicateNotifyAcked, &r, 11.0),
            "(seq 2)",
        );
        let r = B::new("NTF-02")
            .notify(5.0, false, Reply::SignedAck)
            .build();
        assert_pending(&eval("NTF-02", &Check::DuplicateNotifyAcked, &r, 6.0));
    }

    #[test]
    fn inquires_when_notify_lost_both_ways() {
        let r = B::new("MOC-04")
            .pay_with(0.0, order_code_pay_body("p"), "U", "PAYMENT_IN_PROCESS")
            .inquiry(3.0, "p", Some(("U", "PAYMENT_IN_PROCESS")))
            .inquiry(6.0, "p", Some(("S", "SUCCESS")))
            .build();
        assert_passed(&eval("MOC-04", &Check::InquiresWhenNotifyLost, &r, 7.0));
        let r = B::new("MOC-04")
            .pay_with(0.0, order_code_pay_body("p"), "U", "PAYMENT_IN_PROCESS")
            .inquiry(3.0, "p", Some(("U", "PAYMENT_IN_PROCESS")))
            .build();
        assert_pending(&eval("MOC-04", &Check::InquiresWhenNotifyLost, &r, 7.0));
    }
}

mod expiry {
    use super::*;

    const CANCELS: Check = Check::CancelsAfterExpiry { grace_secs: 60 };
    const CLOSES: Check = Check::ClosesExpiredOrder { grace_secs: 60 };

    fn order_pay() -> B {
        // MOC-02's sandbox: the order expires 120 s after pay.
        B::new("MOC-02").pay_with(0.0, order_code_pay_body("p"), "U", "PAYMENT_IN_PROCESS")
    }

    #[test]
    fn polling_then_cancelling_after_expiry_passes() {
        let r = order_pay()
            .inquiry(3.0, "p", Some(("U", "PAYMENT_IN_PROCESS")))
            .inquiry(6.0, "p", Some(("U", "PAYMENT_IN_PROCESS")))
            .cancel(125.0, "p", "S", "SUCCESS")
            .build();
        assert_passed(&eval("MOC-02", &CANCELS, &r, 126.0));
    }

    #[test]
    fn the_expire_time_in_the_answer_wins() {
        let r = order_pay()
            .edit_call(|c| {
                c.response_body = json!({"result": {"resultCode": "PAYMENT_IN_PROCESS", "resultStatus": "U"},
                    "orderCodeForm": {"expireTime": "2026-01-01T09:00:30+09:00", "codeDetails": []}})
                .to_string()
            })
            .inquiry(3.0, "p", Some(("U", "PAYMENT_IN_PROCESS")))
            .build();
        // Expires at 30 s: past 90 s without a cancel fails.
        assert_failed(
            &eval("MOC-02", &CANCELS, &r, 91.0),
            "no cancelPayment within 60 s after the order expired at 00:00:30",
        );
    }

    #[test]
    fn never_cancelling_fails_after_grace() {
        let r = order_pay()
            .inquiry(3.0, "p", Some(("U", "PAYMENT_IN_PROCESS")))
            .build();
        assert_pending(&eval("MOC-02", &CANCELS, &r, 170.0));
        assert_failed(
            &eval("MOC-02", &CANCELS, &r, 181.0),
            "no cancelPayment within 60 s after the order expired",
        );
    }

    #[test]
    fn cancelling_without_polling_fails() {
        let r = order_pay().cancel(121.0, "p", "S", "SUCCESS").build();
        assert_failed(&eval("MOC-02", &CANCELS, &r, 122.0), "without ever polling");
    }

    #[test]
    fn cancelling_too_late_fails() {
        let r = order_pay()
            .inquiry(3.0, "p", Some(("U", "PAYMENT_IN_PROCESS")))
            .cancel(200.0, "p", "S", "SUCCESS")
            .build();
        assert_failed(
            &eval("MOC-02", &CANCELS, &r, 201.0),
            "80 s after the order expired",
        );
    }

    fn expired_pay() -> B {
        // MOC-05's sandbox: the order expires 60 s after pay.
        B::new("MOC-05").pay_with(0.0, order_code_pay_body("p"), "U", "PAYMENT_IN_PROCESS")
    }

    #[test]
    fn closing_by_cancel_or_by_inquiry_passes() {
        let r = expired_pay().cancel(65.0, "p", "S", "SUCCESS").build();
        assert_passed(&eval("MOC-05", &CLOSES, &r, 66.0));
        let r = expired_pay()
            .inquiry(62.0, "p", Some(("F", "ORDER_IS_CLOSED")))
            .build();
        assert_passed(&eval("MOC-05", &CLOSES, &r, 63.0));
    }

    #[test]
    fn leaving_the_order_open_fails() {
        let r = expired_pay()
            .inquiry(30.0, "p", Some(("U", "PAYMENT_IN_PROCESS")))
            .build();
        assert_pending(&eval("MOC-05", &CLOSES, &r, 100.0));
        assert_failed(
            &eval("MOC-05", &CLOSES, &r, 121.0),
            "neither cancelled nor inquired the expired order",
        );
    }
}

mod private_order_code {
    use super::*;

    fn order(id: &str) -> serde_json::Value {
        uip_order(id, 500)
    }

    #[test]
    fn reply_valid_both_ways() {
        let r = B::new("MPC-01")
            .uip(
                1.0,
                "https://acq.example/281000040001abc",
                Reply::Result("S", "SUCCESS"),
                order("o-1"),
            )
            .build();
        assert_passed(&eval("MPC-01", &Check::UipReplyValid, &r, 2.0));
        let r = B::new("MPC-01")
            .uip(1.0, "code", Reply::UnsignedAck, order("o-1"))
            .build();
        assert_failed(
            &eval("MPC-01", &Check::UipReplyValid, &r, 2.0),
            "signature is missing",
        );
        let r = B::new("MPC-01")
            .uip(
                1.0,
                "code",
                Reply::Result("F", "ORDER_NOT_EXIST"),
                json!({}),
            )
            .build();
        assert_failed(
            &eval("MPC-01", &Check::UipReplyValid, &r, 2.0),
            "answered F ORDER_NOT_EXIST to a code it issued",
        );
        let r = B::new("MPC-01")
            .uip(1.0, "code", Reply::Http(500), json!({}))
            .build();
        assert_failed(&eval("MPC-01", &Check::UipReplyValid, &r, 2.0), "HTTP 500");
    }

    #[test]
    fn idempotent_both_ways() {
        let r = B::new("MPC-01")
            .uip(1.0, "code-1", Reply::Result("S", "SUCCESS"), order("o-1"))
            .uip(3.0, "code-1", Reply::Result("S", "SUCCESS"), order("o-1"))
            .build();
        assert_passed(&eval("MPC-01", &Check::UipIdempotent, &r, 4.0));
        let r = B::new("MPC-01")
            .uip(1.0, "code-1", Reply::Result("S", "SUCCESS"), order("o-1"))
            .uip(3.0, "code-1", Reply::Result("S", "SUCCESS"), order("o-2"))
            .build();
        assert_failed(
            &eval("MPC-01", &Check::UipIdempotent, &r, 4.0),
            "the same codeValue got a different order: paymentRequestId \"o-1\" (seq 1) then \"o-2\" (seq 2)",
        );
        let r = B::new("MPC-01")
            .uip(1.0, "code-1", Reply::Result("S", "SUCCESS"), order("o-1"))
            .uip(3.0, "code-2", Reply::Result("S", "SUCCESS"), order("o-2"))
            .build();
        assert_pending(&eval("MPC-01", &Check::UipIdempotent, &r, 4.0));
    }

    #[test]
    fn unknown_code_rejected_both_ways() {
        let r = B::new("MPC-02")
            .uip(
                1.0,
                "code-x",
                Reply::Result("F", "ORDER_NOT_EXIST"),
                json!({}),
            )
            .build();
        assert_passed(&eval("MPC-02", &Check::UipUnknownCodeRejected, &r, 2.0));
        let r = B::new("MPC-02")
            .uip(1.0, "code-x", Reply::Result("S", "SUCCESS"), order("o-9"))
            .build();
        assert_failed(
            &eval("MPC-02", &Check::UipUnknownCodeRejected, &r, 2.0),
            "with an order for a code it never issued",
        );
        let r = B::new("MPC-02")
            .uip(1.0, "code-x", Reply::Result("F", "PROCESS_FAIL"), json!({}))
            .build();
        assert_failed(
            &eval("MPC-02", &Check::UipUnknownCodeRejected, &r, 2.0),
            "expected F ORDER_NOT_EXIST",
        );
        let r = B::new("MPC-02")
            .uip(
                1.0,
                "code-x",
                Reply::Result("F", "ORDER_NOT_EXIST"),
                json!({}),
            )
            .edit_last(|e| {
                if let linker_cases::EventKind::HubCallback(cb) = &mut e.kind {
                    cb.reply_signature = SignatureVerdict::Missing;
                }
            })
            .build();
        assert_failed(
            &eval("MPC-02", &Check::UipUnknownCodeRejected, &r, 2.0),
            "signature is missing",
        );
    }
}

mod refunds {
    use super::*;

    fn paid() -> B {
        B::new("RFD-01").pay(0.0, "pay-1", "S", "SUCCESS")
    }

    #[test]
    fn full_refund_both_ways() {
        let r = paid()
            .refund(10.0, "pay-1", "r-1", 1000, "S", "SUCCESS")
            .build();
        assert_passed(&eval("RFD-01", &Check::RefundSucceeds, &r, 11.0));
        let r = paid()
            .refund(10.0, "pay-1", "r-1", 400, "S", "SUCCESS")
            .build();
        let result = eval("RFD-01", &Check::RefundSucceeds, &r, 11.0);
        assert_pending(&result);
        assert!(
            result.outcome.text().contains("refunded 400 of 1000"),
            "{result:?}"
        );
        let r = paid()
            .refund(10.0, "pay-1", "r-1", 1000, "F", "PARAM_ILLEGAL")
            .build();
        assert_pending(&eval("RFD-01", &Check::RefundSucceeds, &r, 11.0));
    }

    #[test]
    fn full_refund_of_a_private_order_code_payment_uses_the_order_amount() {
        let r = B::new("RFD-01")
            .uip(
                1.0,
                "code",
                Reply::Result("S", "SUCCESS"),
                uip_order("o-1", 500),
            )
            .refund(10.0, "o-1", "r-1", 500, "S", "SUCCESS")
            .build();
        assert_passed(&eval("RFD-01", &Check::RefundSucceeds, &r, 11.0));
    }

    const PARTIAL: Check = Check::PartialRefundsWithinLimit { window_secs: 10 };

    fn two_partials_then_over() -> B {
        B::new("RFD-02")
            .pay(0.0, "pay-1", "S", "SUCCESS")
            .refund(10.0, "pay-1", "r-1", 300, "S", "SUCCESS")
            .refund(20.0, "pay-1", "r-2", 300, "S", "SUCCESS")
            .refund(30.0, "pay-1", "r-3", 500, "F", "REFUND_AMOUNT_EXCEED")
    }

    #[test]
    fn partial_refunds_handled_pass_after_the_window() {
        let r = two_partials_then_over().build();
        assert_pending(&eval("RFD-02", &PARTIAL, &r, 35.0));
        assert_passed(&eval("RFD-02", &PARTIAL, &r, 40.0));
    }

    #[test]
    fn retrying_the_same_refund_id_or_refunding_what_is_left_is_fine() {
        let r = two_partials_then_over()
            .refund(32.0, "pay-1", "r-3", 500, "F", "REFUND_AMOUNT_EXCEED")
            .refund(35.0, "pay-1", "r-4", 400, "S", "SUCCESS")
            .build();
        assert_passed(&eval("RFD-02", &PARTIAL, &r, 45.0));
    }

    #[test]
    fn a_blind_retry_with_a_new_id_fails() {
        let r = two_partials_then_over()
            .refund(31.0, "pay-1", "r-3-retry", 500, "F", "REFUND_AMOUNT_EXCEED")
            .build();
        assert_failed(
            &eval("RFD-02", &PARTIAL, &r, 45.0),
            "retried blindly with a new refundRequestId r-3-retry for 500 (seq 5), more than the 400 left",
        );
    }

    #[test]
    fn a_blind_retry_in_the_same_clock_tick_still_fails() {
        // Calls within one tick share `at`: record order decides what came after.
        let r = two_partials_then_over()
            .refund(30.0, "pay-1", "r-3-retry", 500, "F", "REFUND_AMOUNT_EXCEED")
            .build();
        assert_failed(
            &eval("RFD-02", &PARTIAL, &r, 45.0),
            "retried blindly with a new refundRequestId r-3-retry",
        );
    }

    #[test]
    fn without_the_over_limit_refund_it_is_pending() {
        let r = B::new("RFD-02")
            .pay(0.0, "pay-1", "S", "SUCCESS")
            .refund(10.0, "pay-1", "r-1", 300, "S", "SUCCESS")
            .build();
        assert_pending(&eval("RFD-02", &PARTIAL, &r, 100.0));
    }

    fn unknown_refund() -> B {
        B::new("RFD-03").pay(0.0, "pay-1", "S", "SUCCESS").refund(
            10.0,
            "pay-1",
            "r-1",
            1000,
            "U",
            "UNKNOWN_EXCEPTION",
        )
    }

    #[test]
    fn retrying_the_same_refund_id_until_s_passes() {
        let r = unknown_refund()
            .refund(15.0, "pay-1", "r-1", 1000, "U", "UNKNOWN_EXCEPTION")
            .refund(20.0, "pay-1", "r-1", 1000, "S", "SUCCESS")
            .build();
        assert_passed(&eval("RFD-03", &Check::RefundRetriedWithSameId, &r, 21.0));
    }

    #[test]
    fn retrying_with_a_new_refund_id_fails() {
        let r = unknown_refund()
            .refund(15.0, "pay-1", "r-2", 1000, "F", "ORDER_STATUS_INVALID")
            .build();
        assert_failed(
            &eval("RFD-03", &Check::RefundRetriedWithSameId, &r, 21.0),
            "sent a new refundRequestId r-2 (seq 3) instead of retrying r-1",
        );
    }

    #[test]
    fn retrying_with_a_changed_amount_fails() {
        let r = unknown_refund()
            .refund(15.0, "pay-1", "r-1", 900, "S", "SUCCESS")
            .build();
        assert_failed(
            &eval("RFD-03", &Check::RefundRetriedWithSameId, &r, 21.0),
            "changed refundAmount",
        );
    }

    #[test]
    fn not_retrying_is_pending() {
        assert_pending(&eval(
            "RFD-03",
            &Check::RefundRetriedWithSameId,
            &unknown_refund().build(),
            100.0,
        ));
    }
}

mod cancels {
    use super::*;

    #[test]
    fn cancel_succeeds_both_ways() {
        let r = B::new("CAN-01")
            .pay(0.0, "pay-1", "S", "SUCCESS")
            .cancel(10.0, "pay-1", "S", "SUCCESS")
            .build();
        assert_passed(&eval("CAN-01", &Check::CancelSucceeds, &r, 11.0));
        let r = B::new("CAN-01")
            .pay(0.0, "pay-1", "S", "SUCCESS")
            .cancel(10.0, "pay-1", "F", "PARAM_ILLEGAL")
            .build();
        assert_pending(&eval("CAN-01", &Check::CancelSucceeds, &r, 11.0));
    }

    #[test]
    fn cancel_retried_both_ways() {
        let base = B::new("CAN-02").pay(0.0, "pay-1", "S", "SUCCESS").cancel(
            10.0,
            "pay-1",
            "U",
            "UNKNOWN_EXCEPTION",
        );
        let r = base.clone().cancel(13.0, "pay-1", "S", "SUCCESS").build();
        let result = eval("CAN-02", &Check::CancelRetriedUntilSuccess, &r, 14.0);
        assert_passed(&result);
        assert_eq!(result.evidence, vec![2, 3]);
        let r = base.build();
        let result = eval("CAN-02", &Check::CancelRetriedUntilSuccess, &r, 14.0);
        assert_pending(&result);
        assert!(
            result
                .outcome
                .text()
                .contains("a retry of cancelPayment after U UNKNOWN_EXCEPTION (seq 2)"),
            "{result:?}"
        );
    }
}

mod manual_and_misc {
    use super::*;
    use linker_cases::check::manual_check;

    #[test]
    fn manual_questions_three_ways() {
        let q = &crate::case("UPM-01").manual[0];
        let r = B::new("UPM-01").build();
        assert_pending(&manual_check(q, &r));
        let r = B::new("UPM-01")
            .answer(5.0, "pos-shows-success", true)
            .build();
        let result = manual_check(q, &r);
        assert_passed(&result);
        assert_eq!(result.check, "manual:pos-shows-success");
        let r = B::new("UPM-01")
            .answer(5.0, "pos-shows-success", false)
            .build();
        assert_failed(
            &manual_check(q, &r),
            "the merchant answered no to \"Did the POS show the payment as successful?\", expected yes",
        );
    }

    #[test]
    fn the_latest_manual_answer_counts() {
        let q = &crate::case("UPM-01").manual[0];
        let r = B::new("UPM-01")
            .answer(5.0, "pos-shows-success", false)
            .answer(6.0, "pos-shows-success", true)
            .build();
        assert_passed(&manual_check(q, &r));
    }

    #[test]
    fn calls_api_both_ways() {
        let check = Check::CallsApi {
            api: Api::CancelToken,
        };
        let r = B::new("ADB-03")
            .call(
                1.0,
                Api::CancelToken,
                json!({"accessToken": "t"}),
                "S",
                "SUCCESS",
                json!({}),
            )
            .build();
        assert_passed(&eval("ADB-03", &check, &r, 2.0));
        let r = B::new("ADB-03")
            .call(
                1.0,
                Api::CancelToken,
                json!({"accessToken": "t"}),
                "F",
                "INVALID_ACCESS_TOKEN",
                json!({}),
            )
            .build();
        assert_pending(&eval("ADB-03", &check, &r, 2.0));
    }

    #[test]
    fn wallet_actions_round_trip_through_json() {
        let r = B::new("MEC-01")
            .wallet(
                0.0,
                WalletActionKind::OpenEntryCode {
                    url: "https://m.example/pay".into(),
                },
            )
            .build();
        let json = serde_json::to_string(&r).unwrap();
        assert!(json.contains("\"action\":\"open_entry_code\""), "{json}");
        let back: linker_cases::RunRecord = serde_json::from_str(&json).unwrap();
        assert_eq!(back, r);
    }

    #[test]
    fn outcomes_serialize_with_stable_names() {
        let outcome = CheckOutcome::Pending {
            waiting_for: "x".into(),
        };
        assert_eq!(
            serde_json::to_value(&outcome).unwrap(),
            json!({"outcome": "pending", "waiting_for": "x"})
        );
    }
}
