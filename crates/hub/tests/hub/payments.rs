//! Payment state behind the API: each rule tested both ways.

use chrono::Duration;
use linker_hub::Clock;
use serde_json::json;

use crate::support::{CANCEL, INQUIRY, PAY, REFUND, TestHub, order_code_pay, upm_pay};

#[tokio::test]
async fn a_payment_code_pays_once_and_a_repeat_with_the_same_id_gets_the_same_answer() {
    let hub = TestHub::new();
    let acqp = hub.acqp().await;
    let code = acqp.payment_code(&hub).await;
    let first = acqp.call(&hub, PAY, &upm_pay("pay-1", &code, "2500")).await;
    assert_eq!(
        (first.status(), first.code()),
        ("S", "SUCCESS"),
        "{}",
        first.raw
    );
    for field in [
        "paymentId",
        "paymentTime",
        "customerId",
        "pspId",
        "acquirerId",
        "walletBrandName",
    ] {
        assert!(first.body[field].is_string(), "{field} in {}", first.raw);
    }
    assert_eq!(
        first.body["paymentAmount"],
        json!({"currency": "HKD", "value": "2500"})
    );
    assert_eq!(first.body["acquirerId"], acqp.project.acquirer_id.as_str());

    let repeat = acqp.call(&hub, PAY, &upm_pay("pay-1", &code, "2500")).await;
    assert_eq!(repeat.code(), "SUCCESS", "{}", repeat.raw);
    assert_eq!(
        repeat.body["paymentId"], first.body["paymentId"],
        "same payment, not a second one"
    );

    let reused = acqp.call(&hub, PAY, &upm_pay("pay-2", &code, "2500")).await;
    assert_eq!(
        (reused.status(), reused.code()),
        ("F", "INVALID_CODE"),
        "{}",
        reused.raw
    );
    assert!(reused.message().contains("already used"), "{}", reused.raw);
}

#[tokio::test]
async fn the_same_request_id_with_a_different_amount_is_repeat_req_inconsistent() {
    let hub = TestHub::new();
    let acqp = hub.acqp().await;
    let code = acqp.payment_code(&hub).await;
    acqp.call(&hub, PAY, &upm_pay("pay-1", &code, "2500")).await;
    let changed = acqp.call(&hub, PAY, &upm_pay("pay-1", &code, "2600")).await;
    assert_eq!(
        (changed.status(), changed.code()),
        ("F", "REPEAT_REQ_INCONSISTENT"),
        "{}",
        changed.raw
    );
    assert!(
        changed.message().contains("paymentAmount"),
        "names what differs: {}",
        changed.raw
    );

    // A change outside the key fields (the order description) is the same request.
    let mut body = upm_pay("pay-1", &code, "2500");
    body["order"]["orderDescription"] = json!("Three coffees");
    let same = acqp.call(&hub, PAY, &body).await;
    assert_eq!(same.code(), "SUCCESS", "{}", same.raw);
}

#[tokio::test]
async fn codes_that_expired_or_were_never_shown_are_refused() {
    let hub = TestHub::new();
    let acqp = hub.acqp().await;
    let code = acqp.payment_code(&hub).await;
    hub.clock.advance(Duration::seconds(61));
    let late = acqp.call(&hub, PAY, &upm_pay("late-1", &code, "100")).await;
    assert_eq!(
        (late.status(), late.code()),
        ("F", "EXPIRED_CODE"),
        "{}",
        late.raw
    );

    let fresh = acqp.payment_code(&hub).await;
    hub.clock.advance(Duration::seconds(59));
    let in_time = acqp
        .call(&hub, PAY, &upm_pay("late-2", &fresh, "100"))
        .await;
    assert_eq!(
        in_time.code(),
        "SUCCESS",
        "59 s after issue is in time: {}",
        in_time.raw
    );

    let unknown = acqp
        .call(
            &hub,
            PAY,
            &upm_pay("unknown-1", "281999123456789012345678", "100"),
        )
        .await;
    assert_eq!(
        (unknown.status(), unknown.code()),
        ("F", "INVALID_CODE"),
        "{}",
        unknown.raw
    );
}

#[tokio::test]
async fn another_projects_payment_code_is_not_accepted() {
    let hub = TestHub::new();
    let mine = hub.acqp().await;
    let theirs = hub.acqp().await;
    let code = theirs.payment_code(&hub).await;
    let reply = mine.call(&hub, PAY, &upm_pay("x-1", &code, "100")).await;
    assert_eq!(reply.code(), "INVALID_CODE", "{}", reply.raw);
}

#[tokio::test]
async fn an_order_code_waits_for_the_customer_and_closes_at_expiry() {
    let hub = TestHub::new();
    let acqp = hub.acqp().await;
    let reply = acqp.call(&hub, PAY, &order_code_pay("oc-1", "4200")).await;
    assert_eq!(
        (reply.status(), reply.code()),
        ("U", "PAYMENT_IN_PROCESS"),
        "{}",
        reply.raw
    );
    let code = reply.body["orderCodeForm"]["codeDetails"][0]["codeValue"]
        .as_str()
        .unwrap();
    let parsed = linker_aplus::code::order_code::OrderCode::parse(code)
        .unwrap_or_else(|error| panic!("{code} is an order-code URL: {error}"));
    assert_eq!(parsed.domain, "127.0.0.1:8480", "on the hub's host");
    assert!(
        reply.body["orderCodeForm"]["expireTime"].is_string(),
        "{}",
        reply.raw
    );

    let inquiry = acqp
        .call(&hub, INQUIRY, &json!({"paymentRequestId": "oc-1"}))
        .await;
    assert_eq!(inquiry.code(), "SUCCESS");
    assert_eq!(
        inquiry.body["paymentResult"]["resultStatus"], "U",
        "{}",
        inquiry.raw
    );

    hub.clock.advance(Duration::minutes(10));
    let inquiry = acqp
        .call(&hub, INQUIRY, &json!({"paymentRequestId": "oc-1"}))
        .await;
    assert_eq!(
        inquiry.body["paymentResult"]["resultCode"], "ORDER_IS_CLOSED",
        "{}",
        inquiry.raw
    );
    assert_eq!(
        inquiry.body["paymentResult"]["resultStatus"], "F",
        "{}",
        inquiry.raw
    );
}

#[tokio::test]
async fn inquiry_needs_an_id_and_answers_order_not_exist_for_a_stranger() {
    let hub = TestHub::new();
    let acqp = hub.acqp().await;
    let reply = acqp.call(&hub, INQUIRY, &json!({})).await;
    assert_eq!(reply.code(), "PARAM_ILLEGAL", "{}", reply.raw);
    let reply = acqp
        .call(&hub, INQUIRY, &json!({"paymentId": "nope"}))
        .await;
    assert_eq!(
        (reply.status(), reply.code()),
        ("F", "ORDER_NOT_EXIST"),
        "{}",
        reply.raw
    );
}

#[tokio::test]
async fn cancel_is_idempotent_and_closes_at_00_15_utc8_the_next_day() {
    let hub = TestHub::new();
    let acqp = hub.acqp().await;
    // The test clock starts at 2026-11-25 10:00 UTC+8.
    let code = acqp.payment_code(&hub).await;
    acqp.call(&hub, PAY, &upm_pay("c-1", &code, "100")).await;
    let cancel = acqp
        .call(&hub, CANCEL, &json!({"paymentRequestId": "c-1"}))
        .await;
    assert_eq!(
        (cancel.status(), cancel.code()),
        ("S", "SUCCESS"),
        "{}",
        cancel.raw
    );
    let again = acqp
        .call(&hub, CANCEL, &json!({"paymentRequestId": "c-1"}))
        .await;
    assert_eq!(again.code(), "SUCCESS", "idempotent: {}", again.raw);
    let inquiry = acqp
        .call(&hub, INQUIRY, &json!({"paymentRequestId": "c-1"}))
        .await;
    assert_eq!(
        inquiry.body["paymentResult"]["resultStatus"], "F",
        "cancelled: {}",
        inquiry.raw
    );

    let code = acqp.payment_code(&hub).await;
    acqp.call(&hub, PAY, &upm_pay("c-2", &code, "100")).await;
    // 14:14 later is 00:14 UTC+8 the next day: still in the window.
    hub.clock.advance(Duration::minutes(14 * 60 + 14));
    let in_window = acqp
        .call(&hub, CANCEL, &json!({"paymentRequestId": "c-2"}))
        .await;
    assert_eq!(
        in_window.code(),
        "SUCCESS",
        "00:14 is in the window: {}",
        in_window.raw
    );

    let code = acqp.payment_code(&hub).await;
    let paid = acqp.call(&hub, PAY, &upm_pay("c-3", &code, "100")).await;
    assert_eq!(paid.code(), "SUCCESS", "{}", paid.raw);
    // Created at 00:14 on the 26th: its window runs to 00:15 on the 27th.
    hub.clock
        .advance(Duration::hours(24) + Duration::minutes(2));
    let late = acqp
        .call(&hub, CANCEL, &json!({"paymentRequestId": "c-3"}))
        .await;
    assert_eq!(
        (late.status(), late.code()),
        ("F", "PROCESS_FAIL"),
        "{}",
        late.raw
    );
    assert!(late.message().contains("refund instead"), "{}", late.raw);

    let missing = acqp
        .call(&hub, CANCEL, &json!({"paymentRequestId": "nope"}))
        .await;
    assert_eq!(missing.code(), "ORDER_NOT_EXIST", "{}", missing.raw);
}

#[test]
fn the_cancel_deadline_is_00_15_beijing_time_the_next_day() {
    use chrono::{TimeZone, Utc};
    let created = Utc.with_ymd_and_hms(2026, 11, 25, 15, 59, 0).unwrap(); // 23:59 UTC+8
    let deadline = linker_hub::domain::payments::cancel_deadline(created);
    assert_eq!(
        deadline,
        Utc.with_ymd_and_hms(2026, 11, 25, 16, 15, 0).unwrap(),
        "00:15 UTC+8 on the 26th"
    );
    let created = Utc.with_ymd_and_hms(2026, 11, 25, 16, 1, 0).unwrap(); // 00:01 UTC+8 on the 26th
    let deadline = linker_hub::domain::payments::cancel_deadline(created);
    assert_eq!(
        deadline,
        Utc.with_ymd_and_hms(2026, 11, 26, 16, 15, 0).unwrap(),
        "00:15 UTC+8 on the 27th"
    );
}

#[tokio::test]
async fn partial_refunds_add_up_to_the_paid_amount_and_no_further() {
    let hub = TestHub::new();
    let acqp = hub.acqp().await;
    let code = acqp.payment_code(&hub).await;
    acqp.call(&hub, PAY, &upm_pay("r-1", &code, "1000")).await;
    let refund = |id: &str, value: &str| {
        json!({
            "paymentRequestId": "r-1",
            "refundRequestId": id,
            "refundAmount": {"currency": "HKD", "value": value},
        })
    };
    let first = acqp.call(&hub, REFUND, &refund("rf-1", "400")).await;
    assert_eq!(first.code(), "SUCCESS", "{}", first.raw);
    assert!(
        first.body["refundId"].is_string() && first.body["refundTime"].is_string(),
        "{}",
        first.raw
    );
    let second = acqp.call(&hub, REFUND, &refund("rf-2", "600")).await;
    assert_eq!(second.code(), "SUCCESS", "400 + 600 = 1000: {}", second.raw);
    let third = acqp.call(&hub, REFUND, &refund("rf-3", "1")).await;
    assert_eq!(
        (third.status(), third.code()),
        ("F", "REFUND_AMOUNT_EXCEED"),
        "{}",
        third.raw
    );

    let repeat = acqp.call(&hub, REFUND, &refund("rf-1", "400")).await;
    assert_eq!(
        repeat.code(),
        "SUCCESS",
        "same id, same answer: {}",
        repeat.raw
    );
    assert_eq!(
        repeat.body["refundId"], first.body["refundId"],
        "no second refund"
    );
    let changed = acqp.call(&hub, REFUND, &refund("rf-1", "300")).await;
    assert_eq!(changed.code(), "REPEAT_REQ_INCONSISTENT", "{}", changed.raw);

    let cancel = acqp
        .call(&hub, CANCEL, &json!({"paymentRequestId": "r-1"}))
        .await;
    assert_eq!(
        cancel.code(),
        "PROCESS_FAIL",
        "a refunded payment is not cancelled: {}",
        cancel.raw
    );
}

#[tokio::test]
async fn refunds_need_a_paid_payment_in_its_currency_within_a_year() {
    let hub = TestHub::new();
    let acqp = hub.acqp().await;
    let open = acqp.call(&hub, PAY, &order_code_pay("open-1", "500")).await;
    assert_eq!(open.code(), "PAYMENT_IN_PROCESS");
    let refund = |payment: &str, id: &str, currency: &str| {
        json!({
            "paymentRequestId": payment,
            "refundRequestId": id,
            "refundAmount": {"currency": currency, "value": "100"},
        })
    };
    let unpaid = acqp
        .call(&hub, REFUND, &refund("open-1", "u-1", "HKD"))
        .await;
    assert_eq!(unpaid.code(), "ORDER_STATUS_INVALID", "{}", unpaid.raw);

    let code = acqp.payment_code(&hub).await;
    acqp.call(&hub, PAY, &upm_pay("paid-1", &code, "500")).await;
    let wrong = acqp
        .call(&hub, REFUND, &refund("paid-1", "w-1", "USD"))
        .await;
    assert_eq!(wrong.code(), "PARAM_ILLEGAL", "{}", wrong.raw);
    let corrected = acqp
        .call(&hub, REFUND, &refund("paid-1", "w-1", "HKD"))
        .await;
    assert_eq!(
        corrected.code(),
        "SUCCESS",
        "a refused field error does not burn the id: {}",
        corrected.raw
    );

    hub.clock.advance(Duration::days(366));
    let late = acqp
        .call(&hub, REFUND, &refund("paid-1", "late-1", "HKD"))
        .await;
    assert_eq!(late.code(), "REFUND_WINDOW_EXCEED", "{}", late.raw);
    let _ = hub.clock.now();
}
