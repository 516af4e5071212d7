//! Validation names the offending field and becomes `F PARAM_ILLEGAL`.

use linker_aplus::message::{PayRequest, UserInitiatedPayRequest};
use linker_aplus::validate::{parse_and_validate, validate_pay};
use linker_aplus::{ResultCode, ResultStatus, ValidationError};
use serde_json::{Value, json};

use super::messages::upm_pay;

fn set(mut v: Value, pointer: &str, value: Value) -> Value {
    let (parent, key) = pointer.rsplit_once('/').expect("pointer");
    v.pointer_mut(parent).expect("parent")[key] = value;
    v
}

fn remove(mut v: Value, pointer: &str) -> Value {
    let (parent, key) = pointer.rsplit_once('/').expect("pointer");
    v.pointer_mut(parent)
        .and_then(Value::as_object_mut)
        .expect("parent object")
        .remove(key);
    v
}

fn pay_error(v: &Value) -> ValidationError {
    validate_pay(&serde_json::to_vec(v).expect("json")).expect_err("must be rejected")
}

#[test]
fn the_good_upm_pay_passes() {
    let p = validate_pay(&serde_json::to_vec(&upm_pay()).expect("json"));
    assert!(p.is_ok(), "baseline: {p:?}");
}

#[test]
fn each_broken_rule_names_its_field() {
    let long_id = "x".repeat(65);
    let cases: Vec<(&str, Value, &str, &str)> = vec![
        (
            "missing id",
            remove(upm_pay(), "/paymentRequestId"),
            "paymentRequestId",
            "missing",
        ),
        (
            "id of 65",
            set(upm_pay(), "/paymentRequestId", json!(long_id)),
            "paymentRequestId",
            "65",
        ),
        (
            "decimal amount",
            set(upm_pay(), "/paymentAmount/value", json!("12.5")),
            "paymentAmount.value",
            "decimal point",
        ),
        (
            "signed amount",
            set(upm_pay(), "/paymentAmount/value", json!("+100")),
            "paymentAmount.value",
            "sign",
        ),
        (
            "JSON bool",
            set(upm_pay(), "/paymentFactor/isInStorePayment", json!(true)),
            "paymentFactor.isInStorePayment",
            "\"true\"",
        ),
        (
            "JSON number amount",
            set(upm_pay(), "/paymentAmount/value", json!(100)),
            "paymentAmount.value",
            "\"100\"",
        ),
        (
            "JSON number id",
            set(upm_pay(), "/order/referenceOrderId", json!(12)),
            "order.referenceOrderId",
            "string",
        ),
        (
            "empty string",
            set(upm_pay(), "/paymentNotifyUrl", json!("")),
            "paymentNotifyUrl",
            "omit",
        ),
        (
            "long description",
            set(upm_pay(), "/order/orderDescription", json!("d".repeat(257))),
            "order.orderDescription",
            "256",
        ),
        (
            "unknown currency",
            set(upm_pay(), "/paymentAmount/currency", json!("XXX")),
            "paymentAmount.currency",
            "unknown currency",
        ),
        (
            "unknown product",
            set(upm_pay(), "/productCode", json!("IN_STORE")),
            "productCode",
            "unknown variant",
        ),
        (
            "unknown scenario",
            set(
                upm_pay(),
                "/paymentFactor/inStorePaymentScenario",
                json!("QR"),
            ),
            "paymentFactor.inStorePaymentScenario",
            "unknown variant",
        ),
        (
            "UPM without store",
            remove(upm_pay(), "/order/merchant/store"),
            "order.merchant.store",
            "missing",
        ),
        (
            "UPM without code",
            remove(upm_pay(), "/paymentMethod/paymentMethodId"),
            "paymentMethod.paymentMethodId",
            "missing",
        ),
        (
            "UPM code not digits",
            set(upm_pay(), "/paymentMethod/paymentMethodId", json!("abc")),
            "paymentMethod.paymentMethodId",
            "digits",
        ),
        (
            "UPM wrong method type",
            set(
                upm_pay(),
                "/paymentMethod/paymentMethodType",
                json!("ALIPAY_CN"),
            ),
            "paymentMethod.paymentMethodType",
            "CONNECT_WALLET",
        ),
        (
            "UPM not in-store",
            set(upm_pay(), "/paymentFactor/isInStorePayment", json!("false")),
            "paymentFactor.isInStorePayment",
            "true",
        ),
        (
            "missing store id",
            remove(upm_pay(), "/order/merchant/store/referenceStoreId"),
            "order.merchant.store.referenceStoreId",
            "missing",
        ),
        (
            "http notify URL",
            set(
                upm_pay(),
                "/paymentNotifyUrl",
                json!("http://acqp.example/notify"),
            ),
            "paymentNotifyUrl",
            "https",
        ),
        (
            "notify URL whose host hides behind a backslash (dialled at evil.example)",
            set(
                upm_pay(),
                "/paymentNotifyUrl",
                json!("http://evil.example\\@127.0.0.1/notify"),
            ),
            "paymentNotifyUrl",
            "https",
        ),
        (
            "notify URL with user info",
            set(
                upm_pay(),
                "/paymentNotifyUrl",
                json!("https://acqp@127.0.0.1/notify"),
            ),
            "paymentNotifyUrl",
            "user info",
        ),
        (
            "bad expiry",
            set(upm_pay(), "/paymentExpiryTime", json!("tomorrow")),
            "paymentExpiryTime",
            "ISO 8601",
        ),
        (
            "OrderCode without userAgent",
            set(
                upm_pay(),
                "/paymentFactor/inStorePaymentScenario",
                json!("OrderCode"),
            ),
            "order.env.userAgent",
            "missing",
        ),
        (
            "EntryCode without store",
            remove(
                set(
                    set(
                        upm_pay(),
                        "/paymentFactor/inStorePaymentScenario",
                        json!("EntryCode"),
                    ),
                    "/order/env/userAgent",
                    json!("UA"),
                ),
                "/order/merchant/store",
            ),
            "order.merchant.store",
            "missing",
        ),
        (
            "EntryCode without userAgent",
            set(
                upm_pay(),
                "/paymentFactor/inStorePaymentScenario",
                json!("EntryCode"),
            ),
            "order.env.userAgent",
            "missing",
        ),
    ];
    for (name, body, field, reason_part) in cases {
        let err = pay_error(&body);
        assert_eq!(err.field, field, "{name}: wrong field in {err}");
        assert!(
            err.reason.contains(reason_part),
            "{name}: reason {:?} should mention {reason_part:?}",
            err.reason
        );
        let api = err.to_api_result();
        assert_eq!(api.result_code, ResultCode::ParamIllegal, "{name}");
        assert_eq!(api.result_status, ResultStatus::Failure, "{name}");
        assert!(
            api.result_message.starts_with(field),
            "{name}: {}",
            api.result_message
        );
    }
}

#[test]
fn param_illegal_message_format() {
    let err = pay_error(&remove(upm_pay(), "/paymentRequestId"));
    assert_eq!(
        err.to_api_result().result_message,
        "paymentRequestId: missing"
    );
}

#[test]
fn whole_body_errors() {
    for (body, reason) in [
        (&b"not json"[..], "not valid JSON"),
        (&b"[]"[..], "JSON object"),
        (&b"\xff\xfe"[..], "UTF-8"),
    ] {
        let err = validate_pay(body).expect_err("rejected");
        assert_eq!(err.field, "", "{err}");
        assert!(err.reason.contains(reason), "{err}");
    }
}

#[test]
fn code_value_limit() {
    let body = json!({"acquirerId": "a", "pspId": "p", "codeValue": "c".repeat(513)});
    let err =
        parse_and_validate::<UserInitiatedPayRequest>(&serde_json::to_vec(&body).expect("json"))
            .expect_err("too long");
    assert_eq!(err.field, "codeValue");
    assert!(err.reason.contains("512"), "{err}");
}

#[test]
fn typed_pay_has_the_scanned_code() {
    let p: PayRequest =
        validate_pay(&serde_json::to_vec(&upm_pay()).expect("json")).expect("valid");
    assert_eq!(
        p.payment_method.payment_method_id.as_deref(),
        Some("281999000000000000000042")
    );
}
