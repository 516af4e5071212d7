//! The run record: everything that happened in one run, as the hub saw it.
//!
//! The hub appends an [`Event`] for every exchange with the ACQP (its calls to the hub and the
//! hub's callbacks to it), every wallet action, every manual answer and every change of the
//! hub's own payment. The record is stored as JSON and shown as evidence, so field names are
//! stable (snake_case) and enums are tagged with `kind`.
//!
//! Time: `Event::at` is when the thing began, on the hub's clock: for an [`AcqpCall`] the
//! arrival of the request (not the answer, which may come much later, as in UPM-06), for a
//! [`HubCallback`] the sending of the request. `seq` is the order in which the hub recorded the
//! events; checks that measure time use `at`.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use linker_aplus::message::Api;
use serde::{Deserialize, Serialize};

/// One run of one case: the events the checks judge.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunRecord {
    /// The hub's id of the run.
    pub run_id: String,
    /// The case being run, e.g. `UPM-04`.
    pub case_id: String,
    /// When the run started; the case's timeout counts from here.
    pub started_at: DateTime<Utc>,
    /// What happened, in the order recorded.
    pub events: Vec<Event>,
}

/// One recorded happening.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Event {
    /// Position in the record, unique within the run; evidence cites it.
    pub seq: u32,
    /// When it began (see the module docs).
    pub at: DateTime<Utc>,
    /// What it was.
    #[serde(flatten)]
    pub kind: EventKind,
}

/// What an event was.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum EventKind {
    /// The ACQP called one of the hub's Alipay+ APIs.
    AcqpCall(AcqpCall),
    /// The hub called one of the ACQP's endpoints.
    HubCallback(HubCallback),
    /// The customer did something in the wallet.
    WalletAction {
        /// The action.
        action: WalletActionKind,
    },
    /// The merchant answered a manual question of the case.
    ManualAnswer(ManualAnswer),
    /// The hub's payment changed state.
    PaymentState(PaymentStateChange),
}

/// A request from the ACQP to the hub and the hub's answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AcqpCall {
    /// Which API was called.
    #[serde(with = "api_name")]
    pub api: Api,
    /// The request headers as received (names in any case).
    pub request_headers: BTreeMap<String, String>,
    /// The request body exactly as received.
    pub request_body: String,
    /// Whether the request's signature verified.
    pub signature: SignatureVerdict,
    /// Why the body broke the protocol (the `PARAM_ILLEGAL` message), if it did.
    pub validation: Option<String>,
    /// The hub's answer body.
    pub response_body: String,
    /// `result.resultCode` of the answer.
    pub result_code: String,
    /// `result.resultStatus` of the answer (`S`, `F`, `U`).
    pub result_status: String,
    /// True when the answer was forced by the case's script or a mock, not by the payment.
    pub forced: bool,
    /// The `paymentRequestId` of the payment this call concerns: from the request, or from the
    /// hub's payment when the request named it by `paymentId` only. Fill both ids whenever the
    /// hub knows the payment: checks match calls to the run's payment by either.
    pub payment_request_id: Option<String>,
    /// The hub's `paymentId` of the payment this call concerns (from the request or the hub's
    /// payment), if any.
    pub payment_id: Option<String>,
}

/// Whether a signature verified.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "verdict", rename_all = "snake_case")]
pub enum SignatureVerdict {
    /// Present and verified.
    Valid,
    /// No `Signature` header.
    Missing,
    /// Present but did not verify.
    Invalid {
        /// The diagnosis, e.g. "signed over a different body".
        reason: String,
    },
}

impl SignatureVerdict {
    /// True for [`SignatureVerdict::Valid`].
    pub fn is_valid(&self) -> bool {
        matches!(self, SignatureVerdict::Valid)
    }

    /// A short description for reasons.
    pub fn describe(&self) -> String {
        match self {
            SignatureVerdict::Valid => "valid".to_owned(),
            SignatureVerdict::Missing => "missing".to_owned(),
            SignatureVerdict::Invalid { reason } => format!("invalid ({reason})"),
        }
    }
}

/// A request from the hub to the ACQP and its reply.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HubCallback {
    /// Which endpoint.
    pub callback: CallbackKind,
    /// 1 for the first delivery of this message, 2 for its first retry, ...
    pub attempt: u32,
    /// True when the hub deliberately sent a bad signature (NTF-01).
    pub forged: bool,
    /// The body the hub sent.
    pub request_body: String,
    /// The HTTP status of the reply, if one came.
    pub http_status: Option<u16>,
    /// The reply body, if one came.
    pub reply_body: Option<String>,
    /// Whether the reply's signature verified.
    pub reply_signature: SignatureVerdict,
    /// True when the reply is what the protocol wants: an `S SUCCESS` ack for a notification; a
    /// well-formed answer for `userInitiatedPay`.
    pub reply_valid: bool,
    /// Why no reply came (timeout, connection refused), if none did.
    pub error: Option<String>,
    /// How long the reply took.
    pub latency_ms: u64,
}

impl HubCallback {
    /// True when the ACQP answered over HTTP at all.
    pub fn answered(&self) -> bool {
        self.http_status.is_some()
    }

    /// True for a signed, valid reply: the acknowledgement a notification wants.
    pub fn is_signed_ack(&self) -> bool {
        self.answered() && self.reply_valid && self.reply_signature.is_valid()
    }

    /// Why the reply is not a signed valid ack, for reasons.
    pub fn describe_reply(&self) -> String {
        match (self.http_status, &self.error) {
            (None, Some(error)) => format!("no reply ({error})"),
            (None, None) => "no reply".to_owned(),
            (Some(status), _) => {
                let body = self.reply_body.as_deref().unwrap_or("");
                format!(
                    "HTTP {status}, {}, signature {}, body {}",
                    if self.reply_valid {
                        "valid reply"
                    } else {
                        "not a valid reply"
                    },
                    self.reply_signature.describe(),
                    shorten(body, 160)
                )
            }
        }
    }
}

/// Which ACQP endpoint the hub called.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CallbackKind {
    /// `notifyPayment`.
    NotifyPayment,
    /// `userInitiatedPay`.
    UserInitiatedPay,
    /// `authNotify`.
    AuthNotify,
}

/// What the customer did in the wallet.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum WalletActionKind {
    /// The wallet showed a payment code (UPM).
    ShowPaymentCode {
        /// The code's digits.
        code: String,
    },
    /// The wallet scanned a code.
    Scan {
        /// What was read.
        code_value: String,
        /// What the wallet decided it is (e.g. `order_code`, `private_order_code`).
        classified: String,
    },
    /// The customer confirmed the payment.
    ConfirmPayment,
    /// The customer declined the payment.
    DeclinePayment,
    /// The customer left the payment page without paying.
    BackOut,
    /// The wallet opened an entry-code page.
    OpenEntryCode {
        /// The page's URL.
        url: String,
    },
    /// The wallet opened a cashier `paymentUrl`.
    OpenPaymentUrl {
        /// The URL.
        url: String,
    },
    /// The wallet was sent back to the merchant (cashier `paymentRedirectUrl`).
    Redirected {
        /// Where to.
        url: String,
    },
    /// The customer authorized Auto Debit.
    Authorize,
    /// The customer revoked an Auto Debit authorization.
    RevokeAuthorization,
    /// The customer declined an Auto Debit authorization.
    DeclineAuthorization,
}

/// The merchant's answer to a manual question.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ManualAnswer {
    /// The question's id in the case.
    pub question_id: String,
    /// Yes (`true`) or no.
    pub answer: bool,
    /// The merchant's note.
    pub note: Option<String>,
    /// An attachment id (e.g. a photo of the POS screen).
    pub attachment: Option<String>,
}

/// The hub's payment entered a state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PaymentStateChange {
    /// The hub's `paymentId`.
    pub payment_id: String,
    /// The new state.
    pub state: PaymentState,
    /// Why, e.g. `USER_BALANCE_NOT_ENOUGH` or `expired`.
    pub reason: Option<String>,
}

/// States of the hub's payment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PaymentState {
    /// Created, nothing decided.
    Created,
    /// Waiting for the customer.
    InProcess,
    /// Paid.
    Succeeded,
    /// Failed (declined, expired).
    Failed,
    /// Cancelled by the ACQP.
    Cancelled,
    /// Refunded in full.
    Refunded,
    /// Refunded in part.
    PartiallyRefunded,
}

impl PaymentState {
    /// True once the payment's outcome is decided (everything but created and in process).
    pub fn is_final(self) -> bool {
        !matches!(self, PaymentState::Created | PaymentState::InProcess)
    }
}

/// Serde for [`Api`] by its Alipay+ name (`inquiryPayment`), both ways.
pub mod api_name {
    use linker_aplus::message::Api;
    use serde::{Deserialize, Deserializer, Serializer};

    /// Every API, hub-served and callbacks.
    pub const ALL: [Api; 11] = [
        Api::Pay,
        Api::ConsultPayment,
        Api::InquiryPayment,
        Api::CancelPayment,
        Api::Refund,
        Api::Prepare,
        Api::ApplyToken,
        Api::CancelToken,
        Api::NotifyPayment,
        Api::UserInitiatedPay,
        Api::AuthNotify,
    ];

    /// The API named `name` (as Alipay+ writes it).
    pub fn parse(name: &str) -> Option<Api> {
        ALL.into_iter().find(|api| api.name() == name)
    }

    /// Writes the name.
    pub fn serialize<S: Serializer>(api: &Api, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(api.name())
    }

    /// Reads a name.
    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Api, D::Error> {
        let name = String::deserialize(deserializer)?;
        parse(&name).ok_or_else(|| serde::de::Error::custom(format!("unknown API {name:?}")))
    }
}

impl RunRecord {
    /// The ACQP's calls to the hub, with their events.
    pub fn calls(&self) -> impl Iterator<Item = (&Event, &AcqpCall)> {
        self.events.iter().filter_map(|e| match &e.kind {
            EventKind::AcqpCall(call) => Some((e, call)),
            _ => None,
        })
    }

    /// The ACQP's calls of one API, ordered by arrival.
    pub fn calls_of(&self, api: Api) -> Vec<(&Event, &AcqpCall)> {
        let mut calls: Vec<_> = self.calls().filter(|(_, c)| c.api == api).collect();
        calls.sort_by_key(|(e, _)| (e.at, e.seq));
        calls
    }

    /// The hub's callbacks of one kind, in the order recorded.
    pub fn callbacks_of(&self, kind: CallbackKind) -> Vec<(&Event, &HubCallback)> {
        let mut callbacks: Vec<_> = self
            .events
            .iter()
            .filter_map(|e| match &e.kind {
                EventKind::HubCallback(cb) if cb.callback == kind => Some((e, cb)),
                _ => None,
            })
            .collect();
        callbacks.sort_by_key(|(e, _)| (e.at, e.seq));
        callbacks
    }

    /// The latest answer to the manual question `id`.
    pub fn manual_answer(&self, id: &str) -> Option<(&Event, &ManualAnswer)> {
        self.events
            .iter()
            .filter_map(|e| match &e.kind {
                EventKind::ManualAnswer(a) if a.question_id == id => Some((e, a)),
                _ => None,
            })
            .max_by_key(|(e, _)| e.seq)
    }

    /// The wallet's actions, in the order recorded.
    pub fn wallet_actions(&self) -> impl Iterator<Item = (&Event, &WalletActionKind)> {
        self.events.iter().filter_map(|e| match &e.kind {
            EventKind::WalletAction { action } => Some((e, action)),
            _ => None,
        })
    }

    /// The first time the hub's payments entered `state`.
    pub fn first_payment_state(
        &self,
        state: PaymentState,
    ) -> Option<(&Event, &PaymentStateChange)> {
        self.events
            .iter()
            .filter_map(|e| match &e.kind {
                EventKind::PaymentState(p) if p.state == state => Some((e, p)),
                _ => None,
            })
            .min_by_key(|(e, _)| (e.at, e.seq))
    }

    /// True when the ACQP showed any sign of life: a call to the hub, or an HTTP reply to a
    /// callback.
    pub fn acqp_was_heard(&self) -> bool {
        self.events.iter().any(|e| match &e.kind {
            EventKind::AcqpCall(_) => true,
            EventKind::HubCallback(cb) => cb.answered(),
            _ => false,
        })
    }
}

/// Cuts `text` to at most `max` characters, marking the cut.
pub(crate) fn shorten(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        text.to_owned()
    } else {
        let cut: String = text.chars().take(max).collect();
        format!("{cut}…")
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    #[test]
    fn api_names_round_trip() {
        for api in api_name::ALL {
            assert_eq!(api_name::parse(api.name()), Some(api), "{}", api.name());
        }
        assert_eq!(api_name::parse("payy"), None);
    }

    #[test]
    fn event_json_is_tagged_and_round_trips() {
        let event = Event {
            seq: 3,
            at: DateTime::from_timestamp(1_700_000_000, 0).unwrap(),
            kind: EventKind::ManualAnswer(ManualAnswer {
                question_id: "pos-shows-success".into(),
                answer: true,
                note: None,
                attachment: Some("att-1".into()),
            }),
        };
        let json = serde_json::to_value(&event).unwrap();
        assert_eq!(json["kind"], "manual_answer", "{json}");
        assert_eq!(json["question_id"], "pos-shows-success", "{json}");
        let back: Event = serde_json::from_value(json.clone()).unwrap();
        assert_eq!(back, event, "{json}");
    }
}
