//! Every message type reads its wire form and writes it back unchanged.

use linker_aplus::message::*;
use linker_aplus::validate::{Validate, parse_request};
use linker_aplus::{ApiResult, ResultCode, ResultStatus};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

/// Parses `value` as `T`, validates it, writes it back and checks nothing changed.
fn round_trip<T: DeserializeOwned + Serialize + Validate>(name: &str, value: Value) -> T {
    let bytes = serde_json::to_vec(&value).expect("json");
    let message: T = parse_request(&bytes).unwrap_or_else(|e| panic!("{name}: parse: {e}"));
    message
        .validate()
        .unwrap_or_else(|e| panic!("{name}: validate: {e}"));
    let back = serde_json::to_value(&message).expect("serialise");
    assert_eq!(back, value, "{name}: written back unchanged");
    message
}

pub fn merchant_with_store() -> Value {
    json!({
        "referenceMerchantId": "M0001",
        "merchantMCC": "5812",
        "merchantName": "Linker Cafe",
        "merchantAddress": {"region": "JP", "city": "Tokyo"},
        "store": {"referenceStoreId": "S01", "storeName": "Shibuya", "storeMCC": "5812"}
    })
}

pub fn upm_pay() -> Value {
    json!({
        "productCode": "IN_STORE_PAYMENT",
        "paymentRequestId": "pay_test_0001",
        "order": {
            "referenceOrderId": "o1",
            "orderDescription": "Coffee",
            "orderAmount": {"currency": "JPY", "value": "100"},
            "merchant": merchant_with_store(),
            "env": {"storeTerminalId": "T1", "storeTerminalRequestTime": "2020-01-01T12:01:01+08:00"}
        },
        "paymentAmount": {"currency": "JPY", "value": "100"},
        "paymentMethod": {"paymentMethodType": "CONNECT_WALLET", "paymentMethodId": "281999000000000000000042"},
        "paymentFactor": {"isInStorePayment": "true", "inStorePaymentScenario": "PaymentCode"},
        "paymentNotifyUrl": "https://acqp.example/notify",
        "settlementStrategy": {"settlementCurrency": "JPY"}
    })
}

fn with(mut base: Value, pointer: &str, value: Value) -> Value {
    let (parent, key) = pointer.rsplit_once('/').expect("pointer");
    let target = base.pointer_mut(parent).expect("parent exists");
    target[key] = value;
    base
}

#[test]
fn pay_every_scenario() {
    let upm: PayRequest = round_trip("UPM pay", upm_pay());
    assert_eq!(upm.scenario(), PayScenario::PaymentCode);

    let order_code = with(
        upm_pay(),
        "/paymentFactor/inStorePaymentScenario",
        json!("OrderCode"),
    );
    let order_code = with(order_code, "/order/env/userAgent", json!("Mozilla/5.0"));
    let order_code = with(
        order_code,
        "/paymentMethod",
        json!({"paymentMethodType": "CONNECT_WALLET"}),
    );
    let p: PayRequest = round_trip("OrderCode pay", order_code);
    assert_eq!(p.scenario(), PayScenario::OrderCode);

    let entry = with(
        upm_pay(),
        "/paymentFactor/inStorePaymentScenario",
        json!("EntryCode"),
    );
    let entry = with(
        entry,
        "/order/env/userAgent",
        json!("Mozilla/5.0 AlipayConnect"),
    );
    let p: PayRequest = round_trip("EntryCode pay", entry);
    assert_eq!(p.scenario(), PayScenario::EntryCode);

    let cashier = json!({
        "productCode": "CASHIER_PAYMENT",
        "paymentRequestId": "c1",
        "order": {
            "referenceOrderId": "o2",
            "orderDescription": "Shoes",
            "orderAmount": {"currency": "HKD", "value": "50000"},
            "merchant": {"referenceMerchantId": "M2", "merchantMCC": "5661", "merchantName": "Shoe Shop"},
            "env": {"terminalType": "WEB"}
        },
        "paymentAmount": {"currency": "HKD", "value": "50000"},
        "paymentMethod": {"paymentMethodType": "TEST_WALLET"},
        "paymentFactor": {"isCashierPayment": "true"},
        "paymentRedirectUrl": "http://127.0.0.1:9000/done",
        "paymentNotifyUrl": "http://localhost:9000/notify",
        "paymentExpiryTime": "2020-01-01T12:31:01+08:00"
    });
    let p: PayRequest = round_trip("cashier pay", cashier);
    assert_eq!(p.scenario(), PayScenario::Cashier);

    let auto_debit = json!({
        "productCode": "AGREEMENT_PAYMENT",
        "paymentRequestId": "a1",
        "order": {
            "referenceOrderId": "o3",
            "orderDescription": "Subscription",
            "orderAmount": {"currency": "USD", "value": "999"},
            "merchant": {"referenceMerchantId": "M3", "merchantMCC": "4899", "merchantName": "Streamer"}
        },
        "paymentAmount": {"currency": "USD", "value": "999"},
        "paymentMethod": {"paymentMethodType": "TEST_WALLET", "paymentMethodId": "token-abc"},
        "paymentFactor": {"isAgreementPayment": "true"}
    });
    let p: PayRequest = round_trip("auto debit pay", auto_debit);
    assert_eq!(p.scenario(), PayScenario::AutoDebit);
}

#[test]
fn pay_responses() {
    let order_code = json!({
        "result": {"resultCode": "PAYMENT_IN_PROCESS", "resultStatus": "U", "resultMessage": "waiting"},
        "acquirerId": "1022999000000000000",
        "pspId": "1022999000000000001",
        "paymentId": "20200101000001",
        "paymentAmount": {"currency": "JPY", "value": "100"},
        "orderCodeForm": {
            "expireTime": "2020-01-01T12:31:01+08:00",
            "codeDetails": [
                {"codeValueType": "QRCODE", "codeValue": "https://global.alipay.com/2810020400931LFH2t", "displayType": "BIGIMAGE"},
                {"codeValueType": "BARCODE", "codeValue": "2810020400931"}
            ]
        }
    });
    let r: PayResponse = round_trip("order code pay response", order_code);
    assert_eq!(r.result.result_code, ResultCode::PaymentInProcess);
    assert_eq!(r.order_code_form.expect("form").code_details.len(), 2);

    let cashier = json!({
        "result": {"resultCode": "PAYMENT_IN_PROCESS", "resultStatus": "U", "resultMessage": "waiting"},
        "paymentId": "20200101000002",
        "paymentUrl": "http://127.0.0.1:7070/cashier/20200101000002"
    });
    let r: PayResponse = round_trip("cashier pay response", cashier);
    assert!(r.payment_url.is_some());

    let paid = json!({
        "result": {"resultCode": "SUCCESS", "resultStatus": "S", "resultMessage": "success"},
        "acquirerId": "1022999000000000000",
        "pspId": "1022999000000000001",
        "paymentId": "20200101000003",
        "paymentTime": "2020-01-01T12:01:05+08:00",
        "paymentAmount": {"currency": "JPY", "value": "100"},
        "customerId": "C1",
        "walletBrandName": "TEST_WALLET"
    });
    let _: PayResponse = round_trip("UPM pay response", paid);
    let failure = PayResponse::from_result(ApiResult::from_code(ResultCode::UserBalanceNotEnough));
    assert_eq!(
        serde_json::to_value(&failure).expect("json")["result"]["resultStatus"],
        "F",
        "from_result keeps the code's status"
    );
}

#[test]
fn inquiry_cancel_refund() {
    let _: InquiryPaymentRequest = round_trip("inquiry", json!({"paymentRequestId": "p1"}));
    let r: InquiryPaymentResponse = round_trip(
        "inquiry response",
        json!({
            "result": {"resultCode": "SUCCESS", "resultStatus": "S", "resultMessage": "success"},
            "paymentResult": {"resultCode": "SUCCESS", "resultStatus": "S", "resultMessage": "success"},
            "paymentRequestId": "p1",
            "paymentId": "20200101000003",
            "paymentAmount": {"currency": "JPY", "value": "100"},
            "paymentTime": "2020-01-01T12:01:05+08:00",
            "pspId": "1022999000000000001",
            "transactions": [{
                "transactionResult": {"resultCode": "SUCCESS", "resultStatus": "S", "resultMessage": "success"},
                "transactionId": "r1",
                "transactionType": "REFUND",
                "transactionAmount": {"currency": "JPY", "value": "50"},
                "transactionRequestId": "rr1"
            }]
        }),
    );
    assert_eq!(
        r.payment_result.expect("paymentResult").result_status,
        ResultStatus::Success
    );
    let _: CancelPaymentRequest = round_trip("cancel", json!({"paymentId": "20200101000003"}));
    let _: CancelPaymentResponse = round_trip(
        "cancel response",
        json!({"result": {"resultCode": "SUCCESS", "resultStatus": "S", "resultMessage": "success"},
               "pspId": "1022999000000000001", "acquirerId": "1022999000000000000"}),
    );
    let _: RefundRequest = round_trip(
        "refund",
        json!({"paymentId": "20200101000003", "refundRequestId": "rr1",
               "refundAmount": {"currency": "JPY", "value": "50"}, "refundReason": "changed mind"}),
    );
    let _: RefundResponse = round_trip(
        "refund response",
        json!({"result": {"resultCode": "SUCCESS", "resultStatus": "S", "resultMessage": "success"},
               "refundId": "r1", "refundTime": "2020-01-02T10:00:00+08:00",
               "refundAmount": {"currency": "JPY", "value": "50"}}),
    );
}

#[test]
fn consult_and_notify() {
    let _: ConsultPaymentRequest = round_trip(
        "consult",
        json!({"productCode": "CASHIER_PAYMENT", "paymentAmount": {"currency": "HKD", "value": "100"},
               "userRegion": "HK", "paymentFactor": {"isCashierPayment": "true"}}),
    );
    let r: ConsultPaymentResponse = round_trip(
        "consult response",
        json!({"result": {"resultCode": "SUCCESS", "resultStatus": "S", "resultMessage": "success"},
        "paymentOptions": [
            {"paymentMethodType": "TEST_WALLET", "enabled": "true", "preferred": "true",
             "logo": {"logoName": "TEST_WALLET", "logoUrl": "http://127.0.0.1:7070/logo.png"},
             "paymentMethodRegion": ["JP", "HK"], "supportedFeatures": ["CASHIER_PAYMENT"]},
            {"paymentMethodType": "GCASH", "enabled": "false", "disabledReason": "region"}
        ]}),
    );
    assert!(bool::from(r.payment_options[0].enabled));
    assert!(!bool::from(r.payment_options[1].enabled));

    let _: NotifyPaymentRequest = round_trip(
        "notify",
        json!({"acquirerId": "1022999000000000000", "pspId": "1022999000000000001",
               "paymentResult": {"resultCode": "USER_BALANCE_NOT_ENOUGH", "resultStatus": "F", "resultMessage": "no money"},
               "paymentRequestId": "p1", "paymentId": "20200101000003",
               "paymentAmount": {"currency": "JPY", "value": "100"},
               "paymentTime": "2020-01-01T12:01:05+08:00", "customerId": "C1", "walletBrandName": "TEST_WALLET"}),
    );
    let ack = serde_json::to_string(&NotifyAck::success()).expect("json");
    assert_eq!(
        ack, r#"{"result":{"resultCode":"SUCCESS","resultStatus":"S","resultMessage":"success"}}"#,
        "the ack is exactly the spec's"
    );
}

#[test]
fn user_initiated_pay() {
    let _: UserInitiatedPayRequest = round_trip(
        "userInitiatedPay",
        json!({"acquirerId": "1022999000000000000", "pspId": "1022999000000000001",
               "codeValue": "https://pay.acqp.example/2810020400931abc", "customerId": "C1"}),
    );
    let _: UserInitiatedPayResponse = round_trip(
        "userInitiatedPay response",
        json!({
            "result": {"resultCode": "SUCCESS", "resultStatus": "S", "resultMessage": "success"},
            "codeType": "ORDER_CODE",
            "paymentRequestId": "p9",
            "order": {"referenceOrderId": "o9", "orderDescription": "Tea",
                      "orderAmount": {"currency": "JPY", "value": "300"},
                      "merchant": merchant_with_store()},
            "paymentAmount": {"currency": "JPY", "value": "300"},
            "paymentFactor": {"isInStorePayment": "true", "inStorePaymentScenario": "OrderCode"},
            "paymentNotifyUrl": "https://acqp.example/notify",
            "paymentExpiryTime": "2020-01-01T12:31:01+08:00",
            "settlementStrategy": {"settlementCurrency": "JPY"}
        }),
    );
    let _: UserInitiatedPayResponse = round_trip(
        "userInitiatedPay unknown code",
        json!({"result": {"resultCode": "ORDER_NOT_EXIST", "resultStatus": "F", "resultMessage": "no such code"}}),
    );
}

#[test]
fn auto_debit_authorization() {
    let _: PrepareRequest = round_trip(
        "prepare",
        json!({"customerBelongsTo": "TEST_WALLET", "authClientId": "M3",
               "authRedirectUrl": "https://merchant.example/auth", "scopes": ["AGREEMENT_PAY"],
               "authState": "st1", "terminalType": "APP", "osType": "ANDROID"}),
    );
    let _: PrepareResponse = round_trip(
        "prepare response",
        json!({"result": {"resultCode": "SUCCESS", "resultStatus": "S", "resultMessage": "success"},
               "authUrl": "http://127.0.0.1:7070/auth/xyz"}),
    );
    let _: ApplyTokenRequest = round_trip(
        "applyToken",
        json!({"grantType": "AUTHORIZATION_CODE", "customerBelongsTo": "TEST_WALLET", "authCode": "ac1"}),
    );
    let _: ApplyTokenResponse = round_trip(
        "applyToken response",
        json!({"result": {"resultCode": "SUCCESS", "resultStatus": "S", "resultMessage": "success"},
               "accessToken": "token-abc", "accessTokenExpiryTime": "2021-01-01T00:00:00+08:00",
               "refreshToken": "refresh-abc", "customerId": "C1"}),
    );
    let _: CancelTokenRequest = round_trip("cancelToken", json!({"accessToken": "token-abc"}));
    let _: CancelTokenResponse = round_trip(
        "cancelToken response",
        json!({"result": {"resultCode": "SUCCESS", "resultStatus": "S", "resultMessage": "success"}}),
    );
    let _: AuthNotifyRequest = round_trip(
        "authNotify",
        json!({"authorizationNotifyType": "TOKEN_CANCELED", "accessToken": "token-abc",
               "authClientId": "M3", "reason": "user unbound"}),
    );
}

/// Found by fuzzing (`fuzz/regressions/aplus_body/`): a result without `resultMessage` was read
/// as an empty message and written back as `"resultMessage": ""`, a body Linker itself refuses.
#[test]
fn a_result_without_a_message_writes_back_without_one() {
    let body = br#"{"result":{"resultCode":"SUCCESS","resultStatus":"S"},"customerId":"C1"}"#;
    let answer: PayResponse = parse_request(body).expect("a result may omit resultMessage");
    let written = serde_json::to_value(&answer).expect("json");
    assert_eq!(
        written,
        json!({"result": {"resultCode": "SUCCESS", "resultStatus": "S"}, "customerId": "C1"}),
        "no empty resultMessage is invented"
    );
    let again: Result<PayResponse, _> = parse_request(written.to_string().as_bytes());
    assert_eq!(again, Ok(answer), "what Linker writes, Linker reads back");

    let with_message = ApiResult::from_code(ResultCode::Success);
    let written = serde_json::to_value(&with_message).expect("json");
    assert_eq!(
        written["resultMessage"], "success",
        "a message that is there is still written: {written}"
    );
}
