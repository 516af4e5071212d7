//! A builder of run records, so tests (here and in the hub) read like the run they describe:
//!
//! ```
//! use linker_cases::testing::RecordBuilder;
//! let record = RecordBuilder::new("UPM-04")
//!     .pay(0.0, "pay-1", "U", "PAYMENT_IN_PROCESS")
//!     .inquiry(3.0, "pay-1", Some(("U", "PAYMENT_IN_PROCESS")))
//!     .cancel(60.0, "pay-1", "S", "SUCCESS")
//!     .build();
//! assert_eq!(record.events.len(), 3);
//! ```
//!
//! Times are seconds after the run's start, [`RecordBuilder::t0`]. Every ACQP call is signed
//! and carries the right headers unless a test changes it with [`RecordBuilder::edit_last`].

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, Utc};
use linker_aplus::message::Api;
use linker_aplus::test_wallet::TEST_WALLET_PSP_ID;
use serde_json::{Value, json};

use crate::catalogue::Catalogue;
use crate::record::{
    AcqpCall, CallbackKind, Event, EventKind, HubCallback, ManualAnswer, PaymentState,
    PaymentStateChange, RunRecord, SignatureVerdict, WalletActionKind,
};

/// The payment code the builder's wallet shows.
pub const PAYMENT_CODE: &str = "281999123456789012345678";
/// The paid amount of the builder's payments (JPY, minor units).
pub const AMOUNT: u64 = 1000;
/// The wallet's User-Agent.
pub const WALLET_USER_AGENT: &str = "Mozilla/5.0 AlipayConnect LinkerWallet/0.1 TEST_WALLET";

/// Builds a [`RunRecord`] event by event.
#[derive(Debug, Clone)]
pub struct RecordBuilder {
    record: RunRecord,
}

/// How the ACQP replied to a callback.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reply {
    /// HTTP 200, a signed `S SUCCESS` ack.
    SignedAck,
    /// HTTP 200, an `S SUCCESS` ack without a valid signature.
    UnsignedAck,
    /// HTTP 200 with this result (status, code), signed, not an ack.
    Result(&'static str, &'static str),
    /// This HTTP status with an empty body.
    Http(u16),
    /// No reply: this transport error.
    NoReply(&'static str),
}

impl RecordBuilder {
    /// An empty record of a run of `case_id`, started at [`RecordBuilder::t0`].
    pub fn new(case_id: &str) -> RecordBuilder {
        RecordBuilder {
            record: RunRecord {
                run_id: format!("run-{case_id}"),
                case_id: case_id.to_owned(),
                started_at: RecordBuilder::t0(),
                events: Vec::new(),
            },
        }
    }

    /// The start of every built run: 2026-01-01T00:00:00Z.
    pub fn t0() -> DateTime<Utc> {
        DateTime::from_timestamp(1_767_225_600, 0).unwrap_or_default()
    }

    /// `secs` after [`RecordBuilder::t0`].
    pub fn at(secs: f64) -> DateTime<Utc> {
        RecordBuilder::t0() + Duration::milliseconds((secs * 1000.0).round() as i64)
    }

    /// Appends an event of `kind` at `secs`.
    pub fn event(mut self, secs: f64, kind: EventKind) -> RecordBuilder {
        let seq = u32::try_from(self.record.events.len()).unwrap_or(u32::MAX) + 1;
        self.record.events.push(Event {
            seq,
            at: RecordBuilder::at(secs),
            kind,
        });
        self
    }

    /// Changes the last event (e.g. to break its signature).
    pub fn edit_last(mut self, edit: impl FnOnce(&mut Event)) -> RecordBuilder {
        if let Some(last) = self.record.events.last_mut() {
            edit(last);
        }
        self
    }

    /// Changes the last event's ACQP call.
    pub fn edit_call(self, edit: impl FnOnce(&mut AcqpCall)) -> RecordBuilder {
        self.edit_last(|e| {
            if let EventKind::AcqpCall(call) = &mut e.kind {
                edit(call);
            }
        })
    }

    /// Appends an ACQP call of `api` with `body`, answered `status code` with `response`.
    pub fn call(
        self,
        secs: f64,
        api: Api,
        body: Value,
        status: &str,
        code: &str,
        response: Value,
    ) -> RecordBuilder {
        let payment_request_id = body
            .get("paymentRequestId")
            .and_then(Value::as_str)
            .map(str::to_owned);
        let payment_id = payment_request_id.as_ref().map(|id| format!("hub-{id}"));
        let mut response = response;
        if let Value::Object(map) = &mut response {
            map.insert(
                "result".into(),
                json!({"resultCode": code, "resultStatus": status, "resultMessage": code}),
            );
        }
        self.event(
            secs,
            EventKind::AcqpCall(AcqpCall {
                api,
                request_headers: signed_headers(),
                request_body: body.to_string(),
                signature: SignatureVerdict::Valid,
                validation: None,
                response_body: response.to_string(),
                result_code: code.to_owned(),
                result_status: status.to_owned(),
                forced: false,
                payment_request_id,
                payment_id,
            }),
        )
    }

    /// A UPM `pay` for [`PAYMENT_CODE`] and [`AMOUNT`] JPY.
    pub fn pay(self, secs: f64, id: &str, status: &str, code: &str) -> RecordBuilder {
        self.pay_with(secs, upm_pay_body(id), status, code)
    }

    /// A `pay` with the given body.
    pub fn pay_with(self, secs: f64, body: Value, status: &str, code: &str) -> RecordBuilder {
        self.call(secs, Api::Pay, body, status, code, json!({}))
    }

    /// An `inquiryPayment` by `paymentRequestId`, answered `S` with `payment_result`
    /// (status, code), or `F ORDER_NOT_EXIST` when `None`.
    pub fn inquiry(
        self,
        secs: f64,
        id: &str,
        payment_result: Option<(&str, &str)>,
    ) -> RecordBuilder {
        let body = json!({ "paymentRequestId": id });
        match payment_result {
            Some((status, code)) => self.call(
                secs,
                Api::InquiryPayment,
                body,
                "S",
                "SUCCESS",
                json!({"paymentResult": {"resultCode": code, "resultStatus": status, "resultMessage": code}, "paymentRequestId": id}),
            ),
            None => self.call(
                secs,
                Api::InquiryPayment,
                body,
                "F",
                "ORDER_NOT_EXIST",
                json!({}),
            ),
        }
    }

    /// A `cancelPayment` by `paymentRequestId`.
    pub fn cancel(self, secs: f64, id: &str, status: &str, code: &str) -> RecordBuilder {
        self.call(
            secs,
            Api::CancelPayment,
            json!({ "paymentRequestId": id }),
            status,
            code,
            json!({}),
        )
    }

    /// A `refund` of `amount` JPY of payment `id`.
    pub fn refund(
        self,
        secs: f64,
        id: &str,
        refund_id: &str,
        amount: u64,
        status: &str,
        code: &str,
    ) -> RecordBuilder {
        self.call(
            secs,
            Api::Refund,
            json!({
                "paymentRequestId": id,
                "refundRequestId": refund_id,
                "refundAmount": {"currency": "JPY", "value": amount.to_string()},
                "refundReason": "test",
            }),
            status,
            code,
            json!({}),
        )
    }

    /// A notifyPayment (genuine or forged) and the ACQP's reply.
    pub fn notify(self, secs: f64, forged: bool, reply: Reply) -> RecordBuilder {
        let attempt = 1 + u32::try_from(
            self.record
                .events
                .iter()
                .filter(|e| matches!(&e.kind, EventKind::HubCallback(cb) if cb.callback == CallbackKind::NotifyPayment && cb.forged == forged))
                .count(),
        )
        .unwrap_or(0);
        let body = json!({"paymentRequestId": "pay-1", "paymentResult": {"resultCode": "SUCCESS", "resultStatus": "S", "resultMessage": "success"}});
        let ack = json!({"result": {"resultCode": "SUCCESS", "resultStatus": "S", "resultMessage": "success"}});
        self.callback(
            secs,
            CallbackKind::NotifyPayment,
            attempt,
            forged,
            body,
            reply,
            ack,
        )
    }

    /// An `authNotify` of `notify_type` (e.g. `TOKEN_CANCELED`), acknowledged with a signed S.
    pub fn auth_notify(self, secs: f64, notify_type: &str) -> RecordBuilder {
        let body = json!({"authorizationNotifyType": notify_type, "accessToken": ACCESS_TOKEN});
        let ack = json!({"result": {"resultCode": "SUCCESS", "resultStatus": "S", "resultMessage": "success"}});
        self.callback(
            secs,
            CallbackKind::AuthNotify,
            1,
            false,
            body,
            Reply::SignedAck,
            ack,
        )
    }

    /// A userInitiatedPay for `code_value`, and the ACQP's reply body (signed unless the
    /// reply says otherwise).
    pub fn uip(
        self,
        secs: f64,
        code_value: &str,
        reply: Reply,
        reply_body: Value,
    ) -> RecordBuilder {
        let body = json!({"acquirerId": "1022000000000000001", "pspId": TEST_WALLET_PSP_ID, "codeValue": code_value});
        self.callback(
            secs,
            CallbackKind::UserInitiatedPay,
            1,
            false,
            body,
            reply,
            reply_body,
        )
    }

    #[allow(clippy::too_many_arguments)]
    fn callback(
        self,
        secs: f64,
        callback: CallbackKind,
        attempt: u32,
        forged: bool,
        body: Value,
        reply: Reply,
        ok_body: Value,
    ) -> RecordBuilder {
        let mut ok_body = ok_body;
        if let Value::Object(map) = &mut ok_body {
            map.entry("result").or_insert_with(
                || json!({"resultCode": "SUCCESS", "resultStatus": "S", "resultMessage": "success"}),
            );
        }
        let (http_status, reply_body, reply_signature, reply_valid, error) = match reply {
            Reply::SignedAck => (
                Some(200),
                Some(ok_body.to_string()),
                SignatureVerdict::Valid,
                true,
                None,
            ),
            Reply::UnsignedAck => (
                Some(200),
                Some(ok_body.to_string()),
                SignatureVerdict::Missing,
                true,
                None,
            ),
            Reply::Result(status, code) => {
                let mut reply = ok_body;
                if let Value::Object(map) = &mut reply {
                    map.insert(
                        "result".into(),
                        json!({"resultCode": code, "resultStatus": status, "resultMessage": code}),
                    );
                }
                let valid = callback == CallbackKind::UserInitiatedPay && status == "S";
                (
                    Some(200),
                    Some(reply.to_string()),
                    SignatureVerdict::Valid,
                    valid,
                    None,
                )
            }
            Reply::Http(status) => (
                Some(status),
                Some(String::new()),
                SignatureVerdict::Missing,
                false,
                None,
            ),
            Reply::NoReply(error) => (
                None,
                None,
                SignatureVerdict::Missing,
                false,
                Some(error.to_owned()),
            ),
        };
        self.event(
            secs,
            EventKind::HubCallback(HubCallback {
                callback,
                attempt,
                forged,
                request_body: body.to_string(),
                http_status,
                reply_body,
                reply_signature,
                reply_valid,
                error,
                latency_ms: 20,
            }),
        )
    }

    /// A wallet action.
    pub fn wallet(self, secs: f64, action: WalletActionKind) -> RecordBuilder {
        self.event(secs, EventKind::WalletAction { action })
    }

    /// The wallet shows [`PAYMENT_CODE`].
    pub fn show_code(self, secs: f64) -> RecordBuilder {
        self.wallet(
            secs,
            WalletActionKind::ShowPaymentCode {
                code: PAYMENT_CODE.to_owned(),
            },
        )
    }

    /// The merchant answers question `id`.
    pub fn answer(self, secs: f64, id: &str, answer: bool) -> RecordBuilder {
        self.event(
            secs,
            EventKind::ManualAnswer(ManualAnswer {
                question_id: id.to_owned(),
                answer,
                note: None,
                attachment: None,
            }),
        )
    }

    /// The hub's payment `hub-pay-1` enters `state`.
    pub fn payment(self, secs: f64, state: PaymentState) -> RecordBuilder {
        self.event(
            secs,
            EventKind::PaymentState(PaymentStateChange {
                payment_id: "hub-pay-1".to_owned(),
                state,
                reason: None,
            }),
        )
    }

    /// The record.
    pub fn build(self) -> RunRecord {
        self.record
    }
}

/// Headers of a correctly signed request.
pub fn signed_headers() -> BTreeMap<String, String> {
    [
        ("Client-Id", "SANDBOX_5X00000000000000"),
        ("Request-Time", "2026-01-01T08:00:00+08:00"),
        (
            "Signature",
            "algorithm=RSA256,keyVersion=1,signature=abc%3D",
        ),
        ("Content-Type", "application/json; charset=UTF-8"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect()
}

/// A valid UPM `pay` body for [`PAYMENT_CODE`].
pub fn upm_pay_body(id: &str) -> Value {
    json!({
        "productCode": "IN_STORE_PAYMENT",
        "paymentRequestId": id,
        "order": {
            "referenceOrderId": format!("order-{id}"),
            "orderDescription": "Coffee",
            "orderAmount": {"currency": "JPY", "value": AMOUNT.to_string()},
            "merchant": {
                "referenceMerchantId": "M0001",
                "merchantMCC": "5812",
                "merchantName": "Cafe",
                "store": {"referenceStoreId": "S01", "storeName": "Cafe Shibuya", "storeMCC": "5812"}
            }
        },
        "paymentAmount": {"currency": "JPY", "value": AMOUNT.to_string()},
        "paymentMethod": {"paymentMethodType": "CONNECT_WALLET", "paymentMethodId": PAYMENT_CODE},
        "paymentFactor": {"isInStorePayment": "true", "inStorePaymentScenario": "PaymentCode"}
    })
}

/// A valid order-code `pay` body.
pub fn order_code_pay_body(id: &str) -> Value {
    let mut body = upm_pay_body(id);
    body["paymentMethod"] = json!({"paymentMethodType": "CONNECT_WALLET"});
    body["paymentFactor"]["inStorePaymentScenario"] = json!("OrderCode");
    body["order"]["env"] = json!({"terminalType": "APP", "userAgent": "PosApp/1.0"});
    body
}

/// A valid entry-code `pay` body (with the wallet's User-Agent).
pub fn entry_code_pay_body(id: &str) -> Value {
    let mut body = order_code_pay_body(id);
    body["paymentFactor"]["inStorePaymentScenario"] = json!("EntryCode");
    body["order"]["env"]["userAgent"] = json!(WALLET_USER_AGENT);
    body
}

/// The access token the Auto Debit records use.
pub const ACCESS_TOKEN: &str = "tok-access-1";

/// A valid Auto Debit `pay` body debiting with `token`.
pub fn agreement_pay_body(id: &str, token: &str) -> Value {
    let mut body = upm_pay_body(id);
    body["productCode"] = json!("AGREEMENT_PAYMENT");
    body["paymentMethod"] =
        json!({"paymentMethodType": "CONNECT_WALLET", "paymentMethodId": token});
    body["paymentFactor"] = json!({"isAgreementPayment": "true"});
    body
}

/// A valid cashier `pay` body.
pub fn cashier_pay_body(id: &str) -> Value {
    let mut body = upm_pay_body(id);
    body["productCode"] = json!("CASHIER_PAYMENT");
    body["paymentMethod"] = json!({"paymentMethodType": "CONNECT_WALLET"});
    body["paymentFactor"] = json!({"isCashierPayment": "true"});
    body["paymentRedirectUrl"] = json!("https://merchant.example/done");
    body
}

/// The ACQP's valid `userInitiatedPay` answer for an order.
pub fn uip_order(payment_request_id: &str, amount: u64) -> Value {
    json!({
        "codeType": "ORDER_CODE",
        "paymentRequestId": payment_request_id,
        "order": {"referenceOrderId": format!("order-{payment_request_id}"), "orderDescription": "Tea",
                  "orderAmount": {"currency": "JPY", "value": amount.to_string()},
                  "merchant": {"referenceMerchantId": "M0001", "merchantMCC": "5812", "merchantName": "Cafe"}},
        "paymentAmount": {"currency": "JPY", "value": amount.to_string()},
        "paymentFactor": {"isInStorePayment": "true", "inStorePaymentScenario": "OrderCode"}
    })
}

/// A report of four realistic runs from `catalogue`'s cases: UPM-01 passed, UPM-04 failed (no
/// cancel within 90 s), MOC-01 broken (the ACQP never called) and CSH-01 skipped (ended when
/// the merchant started another run). Runs whose case the catalogue lacks are left out.
pub fn sample_report(catalogue: &Catalogue) -> crate::report::Report {
    use crate::report::{Report, RunReport};
    let merchant = "mer_cafe_shibuya";
    let runs = [
        (
            "UPM-01",
            RecordBuilder::new("UPM-01")
                .show_code(1.0)
                .pay(4.2, "pay-1", "S", "SUCCESS")
                .payment(4.2, PaymentState::Succeeded)
                .answer(20.5, "pos-shows-success", true)
                .build(),
            20.5,
        ),
        (
            "UPM-04",
            RecordBuilder::new("UPM-04")
                .show_code(1.0)
                .pay(3.0, "pay-1", "U", "PAYMENT_IN_PROCESS")
                .payment(3.0, PaymentState::InProcess)
                .inquiry(8.0, "pay-1", Some(("U", "PAYMENT_IN_PROCESS")))
                .inquiry(13.0, "pay-1", Some(("U", "PAYMENT_IN_PROCESS")))
                .inquiry(18.0, "pay-1", Some(("U", "PAYMENT_IN_PROCESS")))
                .answer(200.0, "pos-shows-not-paid", false)
                .build(),
            300.0,
        ),
        ("MOC-01", RecordBuilder::new("MOC-01").build(), 300.0),
        ("CSH-01", RecordBuilder::new("CSH-01").build(), 0.0),
    ];
    let runs = runs
        .into_iter()
        .filter_map(|(id, record, end)| {
            let case = catalogue.case(id)?;
            let mut record = record;
            record.run_id = format!("run_{}", id.replace('-', "").to_lowercase());
            let verdict = if id == "CSH-01" {
                // The merchant started another run before this one was judged.
                crate::Verdict::skipped("ended when the merchant started another run", vec![])
            } else {
                crate::verdict::judge(case, &record, RecordBuilder::at(end))
                    .verdict()?
                    .clone()
            };
            Some(RunReport::new(
                case,
                &record,
                merchant,
                Some(RecordBuilder::at(end)),
                &verdict,
            ))
        })
        .collect();
    Report {
        title: "Linker integration test report".to_owned(),
        generated_at: RecordBuilder::at(400.0),
        hub_url: "http://127.0.0.1:7180".to_owned(),
        project: Some("Demo ACQP (SANDBOX_5X00000000000000)".to_owned()),
        merchant: Some(merchant.to_owned()),
        tool_version: "linker 0.1.0".to_owned(),
        runs,
    }
}
