//! Judging any sequence of events never panics, and decided stays decided past the timeout.

use linker_aplus::message::Api;
use linker_cases::testing::{RecordBuilder as B, Reply, upm_pay_body};
use linker_cases::{Catalogue, PaymentState, WalletActionKind, judge};
use proptest::prelude::*;
use serde_json::json;

#[derive(Debug, Clone)]
enum Step {
    Pay(u8, u8),
    Inquiry(u8, u8),
    Cancel(u8, u8),
    Refund(u8, u8, u16, u8),
    Notify(bool, u8),
    Uip(u8, u8),
    Wallet(u8),
    Answer(u8, bool),
    Payment(u8),
    Garbage(u8),
}

const STATUSES: [(&str, &str); 5] = [
    ("S", "SUCCESS"),
    ("U", "UNKNOWN_EXCEPTION"),
    ("U", "PAYMENT_IN_PROCESS"),
    ("F", "REFUND_AMOUNT_EXCEED"),
    ("F", "ORDER_NOT_EXIST"),
];

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        (0u8..3, 0u8..5).prop_map(|(a, b)| Step::Pay(a, b)),
        (0u8..3, 0u8..5).prop_map(|(a, b)| Step::Inquiry(a, b)),
        (0u8..3, 0u8..5).prop_map(|(a, b)| Step::Cancel(a, b)),
        (0u8..3, 0u8..3, 0u16..1500, 0u8..5).prop_map(|(a, b, c, d)| Step::Refund(a, b, c, d)),
        (any::<bool>(), 0u8..5).prop_map(|(a, b)| Step::Notify(a, b)),
        (0u8..2, 0u8..5).prop_map(|(a, b)| Step::Uip(a, b)),
        (0u8..4).prop_map(Step::Wallet),
        (0u8..4, any::<bool>()).prop_map(|(a, b)| Step::Answer(a, b)),
        (0u8..7).prop_map(Step::Payment),
        (0u8..4).prop_map(Step::Garbage),
    ]
}

fn reply(n: u8) -> Reply {
    match n {
        0 => Reply::SignedAck,
        1 => Reply::UnsignedAck,
        2 => Reply::Result("F", "ORDER_NOT_EXIST"),
        3 => Reply::Http(500),
        _ => Reply::NoReply("timeout"),
    }
}

fn build(steps: &[(u16, Step)]) -> linker_cases::RunRecord {
    let mut b = B::new("ANY");
    let mut t = 0.0;
    for (dt, s) in steps {
        t += f64::from(*dt) / 10.0;
        let id = |n: u8| format!("pay-{n}");
        b = match s.clone() {
            Step::Pay(n, r) => b.pay(t, &id(n), STATUSES[r as usize].0, STATUSES[r as usize].1),
            Step::Inquiry(n, r) => b.inquiry(t, &id(n), (r < 4).then_some(STATUSES[r as usize])),
            Step::Cancel(n, r) => {
                b.cancel(t, &id(n), STATUSES[r as usize].0, STATUSES[r as usize].1)
            }
            Step::Refund(n, k, amount, r) => b.refund(
                t,
                &id(n),
                &format!("r-{k}"),
                u64::from(amount),
                STATUSES[r as usize].0,
                STATUSES[r as usize].1,
            ),
            Step::Notify(forged, r) => b.notify(t, forged, reply(r)),
            Step::Uip(n, r) => b.uip(
                t,
                &format!("code-{n}"),
                reply(r),
                json!({"paymentRequestId": format!("o-{r}")}),
            ),
            Step::Wallet(n) => b.wallet(
                t,
                match n {
                    0 => WalletActionKind::ConfirmPayment,
                    1 => WalletActionKind::BackOut,
                    2 => WalletActionKind::ShowPaymentCode { code: "1".into() },
                    _ => WalletActionKind::DeclinePayment,
                },
            ),
            Step::Answer(n, yes) => b.answer(
                t,
                [
                    "pos-shows-success",
                    "pos-shows-failure",
                    "pos-shows-not-paid",
                    "x",
                ][n as usize],
                yes,
            ),
            Step::Payment(n) => b.payment(
                t,
                [
                    PaymentState::Created,
                    PaymentState::InProcess,
                    PaymentState::Succeeded,
                    PaymentState::Failed,
                    PaymentState::Cancelled,
                    PaymentState::Refunded,
                    PaymentState::PartiallyRefunded,
                ][n as usize],
            ),
            Step::Garbage(n) => b
                .call(
                    t,
                    [
                        Api::Pay,
                        Api::InquiryPayment,
                        Api::Refund,
                        Api::CancelPayment,
                    ][n as usize],
                    json!("not an object"),
                    "X",
                    "",
                    json!(null),
                )
                .edit_call(|c| {
                    c.request_body = "{{{".into();
                    c.response_body = "[".into();
                    c.request_headers.clear();
                }),
        };
    }
    let _ = upm_pay_body("x");
    b.build()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn judging_any_events_never_panics(steps in proptest::collection::vec((0u16..400, step()), 0..25), now in 0u32..2000) {
        let record = build(&steps);
        for case in Catalogue::builtin().unwrap().cases() {
            let j = judge(case, &record, B::at(f64::from(now)));
            // Past the timeout every implemented case is decided.
            if case.implemented && f64::from(now) >= case.timeout_secs as f64 {
                prop_assert!(j.is_decided(), "{} open at {now}: {:?}", case.id, j.checks);
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(100))]

    #[test]
    fn judging_events_at_any_time_never_panics(
        steps in proptest::collection::vec((0u16..400, step()), 0..15),
        times in proptest::collection::vec(-8_000_000_000_000i64..8_000_000_000_000, 15),
        now in -8_000_000_000_000i64..8_000_000_000_000,
    ) {
        let mut record = build(&steps);
        for (event, t) in record.events.iter_mut().zip(&times) {
            event.at = chrono::DateTime::from_timestamp(*t, 0).unwrap_or_default();
        }
        record.started_at = chrono::DateTime::from_timestamp(times[0], 0).unwrap_or_default();
        let now = chrono::DateTime::from_timestamp(now, 0).unwrap_or_default();
        for case in Catalogue::builtin().unwrap().cases() {
            let _ = judge(case, &record, now);
        }
    }
}
