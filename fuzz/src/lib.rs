//! linker-fuzz: fuzz targets for everything Linker reads from outside. Each target is a function
//! from arbitrary bytes that must never panic, and that checks what must hold of what it accepts
//! (a parsed message writes back and reads again unchanged, ...): a broken property panics, which
//! the fuzzer reports as a crash.
//!
//! The AFL++ harnesses in `src/bin/` (feature `afl`) feed these functions; `tests/corpus.rs`
//! replays every seed and every past crash (`corpus/<target>/`, `regressions/<target>/`) through
//! them on each test run. How to run a target: README, "Fuzzing".

use linker_aplus::code::{DomainRegistry, classify as classify_code};
use linker_aplus::message::{
    ApplyTokenRequest, ApplyTokenResponse, AuthNotifyRequest, CancelPaymentRequest,
    CancelPaymentResponse, CancelTokenRequest, ConsultPaymentRequest, ConsultPaymentResponse,
    InquiryPaymentRequest, InquiryPaymentResponse, NotifyPaymentRequest, PayRequest, PayResponse,
    PrepareRequest, PrepareResponse, RefundRequest, RefundResponse, ResultOnly,
    UserInitiatedPayRequest, UserInitiatedPayResponse,
};
use linker_aplus::signature::{SignatureHeader, SignedContent, diagnose_with_hosts};
use linker_aplus::validate::{Validate, parse_and_validate, parse_value};
use linker_aplus::{PublicKey, Verifier};
use serde::Serialize;
use serde::de::DeserializeOwned;

/// A fuzz target: bytes in, a panic when something is wrong.
pub type Target = fn(&[u8]);

/// Every target by name; the name is also its corpus folder (`corpus/<name>/`).
pub const TARGETS: [(&str, Target); 5] = [
    ("classify", classify),
    ("signature", signature),
    ("aplus_body", aplus_body),
    ("merchant_sheet", merchant_sheet),
    ("pos_driver", pos_driver),
];

/// The code classifier, as the wallet's scan and `linker code inspect` call it, with a registry
/// that knows a hub, a private order-code domain and an entry-code domain.
pub fn classify(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let registry = DomainRegistry {
        alipay_domains: vec!["127.0.0.1:7070".to_owned()],
        private_order_code_domains: vec!["pay.acqp.example".to_owned()],
        entry_code_domains: vec!["entry.acqp.example".to_owned(), "localhost".to_owned()],
    };
    let classification = classify_code(text, &registry);
    // What the wallet API answers with.
    let json = serde_json::to_string(&classification);
    assert!(json.is_ok(), "a classification serialises: {json:?}");
}

/// The test key of `spec/signature-vector.json`, whose signatures the corpus carries.
const VECTOR_PUBLIC_KEY: &str = "MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAqaTeeFzjANAtgAqnNjpWiPa0mNi7fye0s3nkpuUjnGqNQ/GVMGtJcZaw1d8d8ynSboi0v6QuBCFXXNttPcHr6vXQatgMQcUe0wv8MvtTrITxS0QCVXCmQDFZcMrWRzc+QwOVBQs7kghPoIXrI7d+vx8PM/SzWC/sIDnI1T2/SrALrXVyAz33tlOL1YOykT+Lw8h01phlsWEUlNE50HFGnSxrKcL0lFGXQHaDDa+tr9mQ/DMUEkAOeqY8MwthZ+iIluLQ5XzTKwqhkoezl1RYg41hgwnR1JqJN/PnzGJAYLZzukG/lnt9GK4KCw3ulZOcvxn6duKCxOHFnCTfZTKNCwIDAQAB";

/// The `Signature` header as the hub's gateway reads it: parsed, decoded, verified and, when it
/// does not verify, diagnosed. The input is the header value (any bytes, as HTTP allows).
pub fn signature(data: &[u8]) {
    let header = String::from_utf8_lossy(data);
    let Ok(key) = PublicKey::from_base64_or_pem(VECTOR_PUBLIC_KEY) else {
        panic!("the vector's public key reads");
    };
    let body = br#"{"paymentRequestId":"pay_test_0001","paymentAmount":{"currency":"JPY","value":"100"},"paymentFactor":{"isInStorePayment":"true","inStorePaymentScenario":"PaymentCode"}}"#;
    let content = SignedContent {
        method: "POST",
        path: "/aps/api/v1/payments/pay",
        client_id: "TEST_5X00000000000000",
        time: "2019-05-28T12:12:12+08:00",
        body,
    };
    let verified = Verifier::new(key.clone()).verify_header(&content, &header);
    let diagnosis = diagnose_with_hosts(&key, &content, &header, &["127.0.0.1:7070"]);
    assert!(
        verified.is_err() || diagnosis.matching_content.is_some(),
        "a header that verifies is diagnosed as verifying: {diagnosis:?}"
    );
    if let Ok(parsed) = SignatureHeader::parse(&header)
        && let Ok(bytes) = parsed.signature_bytes()
    {
        // What the hub writes back reads as the same signature.
        let again = SignatureHeader::parse(&parsed.format()).and_then(|h| h.signature_bytes());
        assert_eq!(
            again.as_ref().ok(),
            Some(&bytes),
            "{header:?} formats as {:?}, which reads back differently: {again:?}",
            parsed.format()
        );
    }
}

/// Parses `body` as `T` the way the gateway does and, when it is accepted, checks it writes back
/// as a body that is accepted again and reads as the same message.
fn accepted_round_trips<T>(name: &str, body: &[u8])
where
    T: DeserializeOwned + Serialize + Validate + PartialEq + std::fmt::Debug,
{
    let Ok(message) = parse_and_validate::<T>(body) else {
        return;
    };
    let written = serde_json::to_value(&message);
    let again = written
        .as_ref()
        .ok()
        .map(|v| parse_value::<T>(v.clone()).and_then(|m| m.validate().map(|()| m)));
    assert!(
        matches!(&again, Some(Ok(m)) if *m == message),
        "{name}: accepted {message:?}, written back as {written:?}, read again as {again:?}"
    );
}

/// Every Alipay+ body Linker parses: the requests the hub's gateway takes (pay, inquiryPayment,
/// cancelPayment, refund, consultPayment, prepare, applyToken, cancelToken), the answers and
/// notifications it reads from an ACQP or the acquirer reads from the hub (notifyPayment,
/// authorization notify, userInitiatedPay, every response).
pub fn aplus_body(data: &[u8]) {
    accepted_round_trips::<PayRequest>("pay", data);
    accepted_round_trips::<InquiryPaymentRequest>("inquiryPayment", data);
    accepted_round_trips::<CancelPaymentRequest>("cancelPayment", data);
    accepted_round_trips::<RefundRequest>("refund", data);
    accepted_round_trips::<ConsultPaymentRequest>("consultPayment", data);
    accepted_round_trips::<PrepareRequest>("prepare", data);
    accepted_round_trips::<ApplyTokenRequest>("applyToken", data);
    accepted_round_trips::<CancelTokenRequest>("cancelToken", data);
    accepted_round_trips::<NotifyPaymentRequest>("notifyPayment", data);
    accepted_round_trips::<AuthNotifyRequest>("notifyAuthorization", data);
    accepted_round_trips::<UserInitiatedPayRequest>("userInitiatedPay", data);
    accepted_round_trips::<PayResponse>("pay answer", data);
    accepted_round_trips::<InquiryPaymentResponse>("inquiryPayment answer", data);
    accepted_round_trips::<CancelPaymentResponse>("cancelPayment answer", data);
    accepted_round_trips::<RefundResponse>("refund answer", data);
    accepted_round_trips::<ConsultPaymentResponse>("consultPayment answer", data);
    accepted_round_trips::<PrepareResponse>("prepare answer", data);
    accepted_round_trips::<ApplyTokenResponse>("applyToken answer", data);
    accepted_round_trips::<UserInitiatedPayResponse>("userInitiatedPay answer", data);
    accepted_round_trips::<ResultOnly>("notify ack", data);
}

/// The console's merchant import: `read_merchant_sheet` on an upload named `.xlsx` when it is a
/// zip, `.csv` otherwise; every row it accepts has a name and a MID.
pub fn merchant_sheet(data: &[u8]) {
    let name = if data.starts_with(b"PK") {
        "merchants.xlsx"
    } else {
        "merchants.csv"
    };
    if let Ok(rows) = linker_hub::import::read_merchant_sheet(name, data) {
        for row in rows {
            assert!(
                row.line >= 2,
                "a merchant row comes after the header: {row:?}"
            );
        }
    }
}

/// Reads `data` as a POS driver message `T` (as the reference acquirer reads requests and the
/// runner's client reads answers); one that reads writes back and reads again unchanged.
fn pos_round_trips<T>(name: &str, data: &[u8])
where
    T: DeserializeOwned + Serialize + PartialEq + std::fmt::Debug,
{
    let Ok(message) = serde_json::from_slice::<T>(data) else {
        return;
    };
    let written = serde_json::to_vec(&message);
    let again = written
        .as_ref()
        .ok()
        .map(|bytes| serde_json::from_slice::<T>(bytes));
    assert!(
        matches!(&again, Some(Ok(m)) if *m == message),
        "{name}: read {message:?}, read again as {again:?}"
    );
}

/// Every message of the POS driver protocol, request and answer.
pub fn pos_driver(data: &[u8]) {
    use linker_pos_driver as pos;
    pos_round_trips::<pos::Capabilities>("capabilities", data);
    pos_round_trips::<pos::ChargeRequest>("charge", data);
    pos_round_trips::<pos::PaymentAnswer>("payment answer", data);
    pos_round_trips::<pos::AmountRequest>("amount request", data);
    pos_round_trips::<pos::RunRequest>("run request", data);
    pos_round_trips::<pos::OrderCodeAnswer>("order-code answer", data);
    pos_round_trips::<pos::PrivateOrderCodeAnswer>("private-order-code answer", data);
    pos_round_trips::<pos::EntryCodeAnswer>("entry-code answer", data);
    pos_round_trips::<pos::CashierAnswer>("cashier answer", data);
    pos_round_trips::<pos::BindAnswer>("bind answer", data);
    pos_round_trips::<pos::AccountAnswer>("account answer", data);
    pos_round_trips::<pos::RefundRequest>("refund", data);
    pos_round_trips::<pos::RefundAnswer>("refund answer", data);
    pos_round_trips::<pos::CancelRequest>("cancel", data);
    pos_round_trips::<pos::EmptyAnswer>("empty answer", data);
    pos_round_trips::<pos::DisplayAnswer>("display answer", data);
    pos_round_trips::<pos::ErrorBody>("error", data);
}
