//! Checks: pure functions from a run record to an outcome, with the events that prove it.
//!
//! A check is [`CheckOutcome::Passed`], [`CheckOutcome::Failed`] or, while the record cannot
//! decide it yet, [`CheckOutcome::Pending`] with what it waits for. Every result cites the
//! `seq`s of its evidence. The protocol checks ([`protocol_checks`]) apply to every run; the
//! case checks ([`Check`]) are named in the catalogue in kebab-case, with their parameters.
//!
//! Conventions shared by the checks:
//! - "The payment" is the run's first `pay` by arrival; calls refer to it when their
//!   `paymentRequestId` or `paymentId` matches it.
//! - Time is measured between `Event::at`s (request arrival), never between `seq`s.
//! - A check that asserts something never happens (no retry, no second payment) passes once a
//!   quiet window has elapsed without it, so that the run can end.

mod online;

use std::collections::BTreeSet;

use chrono::{DateTime, Duration, Utc};
use linker_aplus::message::Api;
use linker_aplus::time::{RequestTime, parse_wire_time};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::catalogue::{CaseDef, ManualQuestion};
use crate::record::{AcqpCall, CallbackKind, Event, HubCallback, RunRecord, shorten};

/// What a check concluded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum CheckOutcome {
    /// The ACQP did what the check wants.
    Passed {
        /// What it did, with the evidence in words.
        reason: String,
    },
    /// The ACQP did something wrong, or not in time.
    Failed {
        /// What went wrong.
        reason: String,
    },
    /// Not decidable yet.
    Pending {
        /// What the check waits for.
        waiting_for: String,
    },
}

impl CheckOutcome {
    /// True unless pending.
    pub fn is_decided(&self) -> bool {
        !matches!(self, CheckOutcome::Pending { .. })
    }

    /// True for a failure.
    pub fn is_failed(&self) -> bool {
        matches!(self, CheckOutcome::Failed { .. })
    }

    /// The reason or what it waits for.
    pub fn text(&self) -> &str {
        match self {
            CheckOutcome::Passed { reason } | CheckOutcome::Failed { reason } => reason,
            CheckOutcome::Pending { waiting_for } => waiting_for,
        }
    }
}

/// One check's result in a judgement.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckResult {
    /// The check's name: a catalogue name (`cancels-within`), a protocol check
    /// (`protocol-signatures`) or a manual question (`manual:pos-shows-success`).
    pub check: String,
    /// What it concluded.
    #[serde(flatten)]
    pub outcome: CheckOutcome,
    /// The `seq`s of the events that are its evidence.
    pub evidence: Vec<u32>,
}

/// A case check, with its parameters, as named in the catalogue.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "check", rename_all = "kebab-case", deny_unknown_fields)]
pub enum Check {
    /// The ACQP called `pay`. Passes at the first `pay`; pending before.
    PayReceived,
    /// The first `pay` is a valid UPM pay: accepted by the hub, `productCode`
    /// `IN_STORE_PAYMENT`, scenario `PaymentCode`, `paymentMethodType` `CONNECT_WALLET`,
    /// `paymentMethodId` a payment code the wallet showed in this run (when it showed any), and
    /// `order.merchant.store` present. Fails naming every field that is wrong.
    UpmPayFields,
    /// The first `pay` is a valid order-code pay: accepted, `IN_STORE_PAYMENT`, scenario
    /// `OrderCode`, `order.env.userAgent` present.
    OrderCodePayFields,
    /// The first `pay` is a valid entry-code pay: accepted, `IN_STORE_PAYMENT`, scenario
    /// `EntryCode`, `order.merchant.store` present, and `order.env.userAgent` the wallet's
    /// (containing `AlipayConnect`), which shows the page recognised the wallet.
    EntryPayFields,
    /// The first `pay` is a valid cashier pay: accepted, `CASHIER_PAYMENT`,
    /// `paymentRedirectUrl` present.
    CashierPayFields,
    /// The first `pay` carries a non-empty `order.env.userAgent` (MOC-01).
    UserAgentSent,
    /// Consecutive `inquiryPayment`s for the payment are at least `min_interval_secs` apart
    /// (less a 200 ms allowance for jitter), until the ACQP learns the result (an inquiry that
    /// returns a final `paymentResult`, or an acked notification) or cancels the payment.
    /// Taking the notify without polling passes. Any two polls too close fail, whenever they
    /// happen; polls of other payments are not compared.
    PollsNoFasterThan {
        /// The shortest allowed interval.
        #[serde(default = "two")]
        min_interval_secs: u64,
    },
    /// After the first `pay` answered `F`, no `pay` with the same `paymentRequestId` follows.
    /// Passes `window_secs` after the failure; a new `paymentRequestId` is not a retry.
    NoRetryAfterFailure {
        /// How long to watch for a retry.
        #[serde(default = "ten")]
        window_secs: u64,
    },
    /// A `cancelPayment` for the payment arrives within `secs` of the first `pay`'s arrival.
    /// Fails once the deadline passes without one, or if the only cancel came late.
    CancelsWithin {
        /// The deadline, from the first `pay`.
        #[serde(default = "ninety")]
        secs: u64,
    },
    /// After the first `pay` answered `U`, the ACQP's first resolving act is an
    /// `inquiryPayment` for it or a repeat of `pay` with the same `paymentRequestId` and an
    /// identical body (compared as JSON). Fails on a repeat with a changed body (at any time), a
    /// new `paymentRequestId`, or a cancel before finding the result.
    ResolvesUnknownResult,
    /// After the first `pay` (answered slowly, UPM-06), the ACQP sends an `inquiryPayment` or a
    /// `cancelPayment` for it. Pending until it does.
    InquiresOrCancels,
    /// No `pay` with another `paymentRequestId` follows the first `pay`. Passes `window_secs`
    /// after the first `pay`; fails at the second payment.
    NoSecondPayment {
        /// How long to watch for a second payment.
        #[serde(default = "sixty")]
        window_secs: u64,
    },
    /// The first genuine notifyPayment the ACQP answers over HTTP is answered with a signed
    /// `S SUCCESS` ack. Deliveries that got no reply (timeout, refused) are skipped, since the
    /// hub retries them; pending until one is answered.
    NotifyAcked,
    /// The ACQP learns the payment's result by `inquiryPayment`: an inquiry whose answer
    /// carries a final (`S` or `F`) `paymentResult` (MOC-04, where no notify comes).
    InquiresWhenNotifyLost,
    /// The ACQP polls the unpaid payment and then cancels it, no later than `grace_secs` after
    /// the order expired (the `expireTime` of the answer's order code, else the earlier of the
    /// request's `paymentExpiryTime` and the sandbox's `order_expiry_secs`). A cancel with no
    /// inquiry before it fails, as does no cancel by the deadline.
    CancelsAfterExpiry {
        /// How long after expiry the cancel may come.
        #[serde(default = "sixty")]
        grace_secs: u64,
    },
    /// The ACQP closes the expired order within `grace_secs` of its expiry: it cancels it, or
    /// inquires after expiry and receives the final `F` result (MOC-05).
    ClosesExpiredOrder {
        /// How long after expiry the ACQP may take.
        #[serde(default = "sixty")]
        grace_secs: u64,
    },
    /// The ACQP's first answer to a genuine `userInitiatedPay` is signed, well formed, and
    /// `S` (the code is one it issued).
    UipReplyValid,
    /// Two `userInitiatedPay` for the same `codeValue` get the same order: the same
    /// `paymentRequestId`, `paymentAmount` and `order.referenceOrderId`.
    UipIdempotent,
    /// The ACQP answers `userInitiatedPay` for a code it never issued with a signed
    /// `F ORDER_NOT_EXIST`; anything else fails.
    UipUnknownCodeRejected,
    /// `refund`s answered `S` (distinct `refundRequestId`s) add up to the paid amount (RFD-01):
    /// the first `pay`'s `paymentAmount`, or the private order's when the payment came from a
    /// private order code. Pending until then (a refused refund is not final: the ACQP may fix
    /// it and refund again before the timeout).
    RefundSucceeds,
    /// Two partial refunds answered `S`, then a refund answered `F REFUND_AMOUNT_EXCEED`, after
    /// which no refund with a new `refundRequestId` asks for more than what is left. Passes
    /// `window_secs` after the over-limit answer; a blind retry fails.
    PartialRefundsWithinLimit {
        /// How long to watch for a blind retry.
        #[serde(default = "ten")]
        window_secs: u64,
    },
    /// After the first `refund` answered `U`, the ACQP retries with the same
    /// `refundRequestId` and amount until `S`. A refund with a new id in between fails (it
    /// would refund twice), as does a changed amount.
    RefundRetriedWithSameId,
    /// A `cancelPayment` for the payment is answered `S`.
    CancelSucceeds,
    /// After a `cancelPayment` answered `U` (or `F`), the ACQP cancels again until one is
    /// answered `S`.
    CancelRetriedUntilSuccess,
    /// The ACQP does not ack the forged notifyPayment: any answer but an `S SUCCESS`
    /// (an error status, a failure result, a dropped connection) passes.
    ForgedNotifyRejected,
    /// The first two genuine notifyPayments the ACQP answers are both signed `S SUCCESS` acks.
    DuplicateNotifyAcked,
    /// A cashier checkout's `pay` comes after a successful `consultPayment` (CSH-03).
    ConsultsBeforePay,
    /// The first debit is an `AGREEMENT_PAYMENT` with an access token from `applyToken`.
    AgreementPayFields,
    /// No second debit with a token the customer revoked (after its F answer); passes
    /// `window_secs` after the revocation.
    StopsUsingRevokedToken {
        /// Seconds to watch after the revocation.
        #[serde(default = "ten")]
        window_secs: u64,
    },
    /// The ACQP cancels the token (`cancelToken` S) before its site shows the wallet unlinked
    /// (the answer to the manual question `question`).
    CancelsTokenBeforeUnlinked {
        /// The manual question that says the site unlinked the wallet.
        question: String,
    },
    /// The ACQP calls `api` and gets `S` (used by the Auto Debit and consult cases).
    CallsApi {
        /// The API, as Alipay+ names it (`applyToken`).
        #[serde(with = "crate::record::api_name")]
        api: Api,
    },
}

fn two() -> u64 {
    2
}
fn ten() -> u64 {
    10
}
fn sixty() -> u64 {
    60
}
fn ninety() -> u64 {
    90
}

impl Check {
    /// Every check name the catalogue may use.
    pub const NAMES: &'static [&'static str] = &[
        "pay-received",
        "upm-pay-fields",
        "order-code-pay-fields",
        "entry-pay-fields",
        "cashier-pay-fields",
        "user-agent-sent",
        "polls-no-faster-than",
        "no-retry-after-failure",
        "cancels-within",
        "resolves-unknown-result",
        "inquires-or-cancels",
        "no-second-payment",
        "notify-acked",
        "inquires-when-notify-lost",
        "cancels-after-expiry",
        "closes-expired-order",
        "uip-reply-valid",
        "uip-idempotent",
        "uip-unknown-code-rejected",
        "refund-succeeds",
        "partial-refunds-within-limit",
        "refund-retried-with-same-id",
        "cancel-succeeds",
        "cancel-retried-until-success",
        "forged-notify-rejected",
        "duplicate-notify-acked",
        "consults-before-pay",
        "agreement-pay-fields",
        "stops-using-revoked-token",
        "cancels-token-before-unlinked",
        "calls-api",
    ];

    /// The check's catalogue name.
    pub fn name(&self) -> &'static str {
        match self {
            Check::PayReceived => "pay-received",
            Check::UpmPayFields => "upm-pay-fields",
            Check::OrderCodePayFields => "order-code-pay-fields",
            Check::EntryPayFields => "entry-pay-fields",
            Check::CashierPayFields => "cashier-pay-fields",
            Check::UserAgentSent => "user-agent-sent",
            Check::PollsNoFasterThan { .. } => "polls-no-faster-than",
            Check::NoRetryAfterFailure { .. } => "no-retry-after-failure",
            Check::CancelsWithin { .. } => "cancels-within",
            Check::ResolvesUnknownResult => "resolves-unknown-result",
            Check::InquiresOrCancels => "inquires-or-cancels",
            Check::NoSecondPayment { .. } => "no-second-payment",
            Check::NotifyAcked => "notify-acked",
            Check::InquiresWhenNotifyLost => "inquires-when-notify-lost",
            Check::CancelsAfterExpiry { .. } => "cancels-after-expiry",
            Check::ClosesExpiredOrder { .. } => "closes-expired-order",
            Check::UipReplyValid => "uip-reply-valid",
            Check::UipIdempotent => "uip-idempotent",
            Check::UipUnknownCodeRejected => "uip-unknown-code-rejected",
            Check::RefundSucceeds => "refund-succeeds",
            Check::PartialRefundsWithinLimit { .. } => "partial-refunds-within-limit",
            Check::RefundRetriedWithSameId => "refund-retried-with-same-id",
            Check::CancelSucceeds => "cancel-succeeds",
            Check::CancelRetriedUntilSuccess => "cancel-retried-until-success",
            Check::ForgedNotifyRejected => "forged-notify-rejected",
            Check::DuplicateNotifyAcked => "duplicate-notify-acked",
            Check::ConsultsBeforePay => "consults-before-pay",
            Check::AgreementPayFields => "agreement-pay-fields",
            Check::StopsUsingRevokedToken { .. } => "stops-using-revoked-token",
            Check::CancelsTokenBeforeUnlinked { .. } => "cancels-token-before-unlinked",
            Check::CallsApi { .. } => "calls-api",
        }
    }

    /// Judges the record at `now` (`case` supplies the sandbox, e.g. the order expiry).
    pub fn evaluate(&self, case: &CaseDef, record: &RunRecord, now: DateTime<Utc>) -> CheckResult {
        let ctx = Ctx { case, record, now };
        let (outcome, evidence) = match self {
            Check::PayReceived => pay_received(&ctx),
            Check::UpmPayFields => pay_fields(&ctx, Scenario::Upm),
            Check::OrderCodePayFields => pay_fields(&ctx, Scenario::OrderCode),
            Check::EntryPayFields => pay_fields(&ctx, Scenario::EntryCode),
            Check::CashierPayFields => pay_fields(&ctx, Scenario::Cashier),
            Check::UserAgentSent => user_agent_sent(&ctx),
            Check::PollsNoFasterThan { min_interval_secs } => polls(&ctx, *min_interval_secs),
            Check::NoRetryAfterFailure { window_secs } => {
                no_retry_after_failure(&ctx, *window_secs)
            }
            Check::CancelsWithin { secs } => cancels_within(&ctx, *secs),
            Check::ResolvesUnknownResult => resolves_unknown_result(&ctx),
            Check::InquiresOrCancels => inquires_or_cancels(&ctx),
            Check::NoSecondPayment { window_secs } => no_second_payment(&ctx, *window_secs),
            Check::NotifyAcked => notify_acked(&ctx),
            Check::InquiresWhenNotifyLost => inquires_when_notify_lost(&ctx),
            Check::CancelsAfterExpiry { grace_secs } => cancels_after_expiry(&ctx, *grace_secs),
            Check::ClosesExpiredOrder { grace_secs } => closes_expired_order(&ctx, *grace_secs),
            Check::UipReplyValid => uip_reply_valid(&ctx),
            Check::UipIdempotent => uip_idempotent(&ctx),
            Check::UipUnknownCodeRejected => uip_unknown_code_rejected(&ctx),
            Check::RefundSucceeds => refund_succeeds(&ctx),
            Check::PartialRefundsWithinLimit { window_secs } => partial_refunds(&ctx, *window_secs),
            Check::RefundRetriedWithSameId => refund_retried_with_same_id(&ctx),
            Check::CancelSucceeds => cancel_succeeds(&ctx),
            Check::CancelRetriedUntilSuccess => cancel_retried(&ctx),
            Check::ForgedNotifyRejected => forged_notify_rejected(&ctx),
            Check::DuplicateNotifyAcked => duplicate_notify_acked(&ctx),
            Check::ConsultsBeforePay => online::consults_before_pay(&ctx),
            Check::AgreementPayFields => online::agreement_pay_fields(&ctx),
            Check::StopsUsingRevokedToken { window_secs } => {
                online::stops_using_revoked_token(&ctx, *window_secs)
            }
            Check::CancelsTokenBeforeUnlinked { question } => {
                online::cancels_token_before_unlinked(&ctx, question)
            }
            Check::CallsApi { api } => calls_api(&ctx, *api),
        };
        CheckResult {
            check: self.name().to_owned(),
            outcome,
            evidence,
        }
    }
}

struct Ctx<'a> {
    case: &'a CaseDef,
    record: &'a RunRecord,
    now: DateTime<Utc>,
}

type Found = (CheckOutcome, Vec<u32>);

fn passed(reason: impl Into<String>, evidence: Vec<u32>) -> Found {
    (
        CheckOutcome::Passed {
            reason: reason.into(),
        },
        evidence,
    )
}

fn failed(reason: impl Into<String>, evidence: Vec<u32>) -> Found {
    (
        CheckOutcome::Failed {
            reason: reason.into(),
        },
        evidence,
    )
}

fn pending(waiting_for: impl Into<String>, evidence: Vec<u32>) -> Found {
    (
        CheckOutcome::Pending {
            waiting_for: waiting_for.into(),
        },
        evidence,
    )
}

// ---------------------------------------------------------------------------------------------
// Helpers over the record.

type Call<'a> = (&'a Event, &'a AcqpCall);

/// Which payment a call is about.
struct PaymentRef {
    payment_request_id: Option<String>,
    payment_id: Option<String>,
}

impl PaymentRef {
    fn of(call: &AcqpCall) -> PaymentRef {
        PaymentRef {
            payment_request_id: call.payment_request_id.clone(),
            payment_id: call.payment_id.clone(),
        }
    }

    fn matches(&self, call: &AcqpCall) -> bool {
        let same =
            |a: &Option<String>, b: &Option<String>| matches!((a, b), (Some(a), Some(b)) if a == b);
        same(&self.payment_request_id, &call.payment_request_id)
            || same(&self.payment_id, &call.payment_id)
    }

    fn describe(&self) -> String {
        match (&self.payment_request_id, &self.payment_id) {
            (Some(id), _) => format!("paymentRequestId {id}"),
            (None, Some(id)) => format!("paymentId {id}"),
            (None, None) => "the payment".to_owned(),
        }
    }
}

fn first_pay<'a>(ctx: &Ctx<'a>) -> Option<Call<'a>> {
    ctx.record.calls_of(Api::Pay).into_iter().next()
}

/// Calls of `api` about the payment of `pay`, arriving after it.
fn calls_about<'a>(ctx: &Ctx<'a>, api: Api, pay: Call<'a>) -> Vec<Call<'a>> {
    let target = PaymentRef::of(pay.1);
    ctx.record
        .calls_of(api)
        .into_iter()
        .filter(|(e, c)| e.seq != pay.0.seq && target.matches(c) && e.at >= pay.0.at)
        .collect()
}

fn json(text: &str) -> Option<Value> {
    serde_json::from_str(text).ok()
}

fn str_at<'v>(value: &'v Value, pointer: &str) -> Option<&'v str> {
    value.pointer(pointer).and_then(Value::as_str)
}

/// `paymentResult.resultStatus` of an inquiry's answer.
fn payment_result(call: &AcqpCall) -> Option<(String, String)> {
    let body = json(&call.response_body)?;
    let status = str_at(&body, "/paymentResult/resultStatus")?.to_owned();
    let code = str_at(&body, "/paymentResult/resultCode")
        .unwrap_or("")
        .to_owned();
    Some((status, code))
}

fn is_final_status(status: &str) -> bool {
    status == "S" || status == "F"
}

fn secs_between(from: DateTime<Utc>, to: DateTime<Utc>) -> f64 {
    (to - from).num_milliseconds() as f64 / 1000.0
}

/// `at` plus `secs`, saturating at the end of time (never panics).
pub(crate) fn at_plus(at: DateTime<Utc>, secs: u64) -> DateTime<Utc> {
    i64::try_from(secs)
        .ok()
        .and_then(Duration::try_seconds)
        .and_then(|d| at.checked_add_signed(d))
        .unwrap_or(DateTime::<Utc>::MAX_UTC)
}

fn clock(at: DateTime<Utc>) -> String {
    at.format("%H:%M:%S").to_string()
}

fn genuine_notifies<'a>(ctx: &Ctx<'a>) -> Vec<(&'a Event, &'a HubCallback)> {
    ctx.record
        .callbacks_of(CallbackKind::NotifyPayment)
        .into_iter()
        .filter(|(_, cb)| !cb.forged)
        .collect()
}

fn acked_genuine_notify<'a>(ctx: &Ctx<'a>) -> Option<&'a Event> {
    genuine_notifies(ctx)
        .into_iter()
        .find(|(_, cb)| cb.is_signed_ack())
        .map(|(e, _)| e)
}

/// The first JSON path where `a` and `b` differ.
fn first_difference(a: &Value, b: &Value, path: &str) -> Option<String> {
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            let keys: BTreeSet<&String> = x.keys().chain(y.keys()).collect();
            keys.into_iter().find_map(|k| {
                let sub = if path.is_empty() {
                    k.clone()
                } else {
                    format!("{path}.{k}")
                };
                match (x.get(k), y.get(k)) {
                    (Some(u), Some(v)) => first_difference(u, v, &sub),
                    _ => Some(sub),
                }
            })
        }
        (Value::Array(x), Value::Array(y)) if x.len() == y.len() => x
            .iter()
            .zip(y)
            .enumerate()
            .find_map(|(i, (u, v))| first_difference(u, v, &format!("{path}[{i}]"))),
        _ if a == b => None,
        _ => Some(if path.is_empty() {
            "the body".to_owned()
        } else {
            path.to_owned()
        }),
    }
}

// ---------------------------------------------------------------------------------------------
// Protocol checks.

/// The protocol checks every run applies, over every ACQP request:
/// - `protocol-signatures`: every request signed and verifiable (fails on a missing or
///   invalid `Signature`, naming the call);
/// - `protocol-headers`: `Client-Id`, `Request-Time` (ISO 8601 or epoch milliseconds),
///   `Signature` and `Content-Type` JSON (any charset given must be UTF-8) on every request,
///   names compared case-insensitively;
/// - `protocol-fields`: every body accepted by the hub's validation (string-typed values,
///   integer minor-unit amounts, id lengths, the scenario's required fields).
///
/// Each passes while every request so far is right (vacuously with none: a silent ACQP is
/// judged by the timeout), and fails at the first wrong one.
pub fn protocol_checks(record: &RunRecord) -> Vec<CheckResult> {
    let calls: Vec<Call<'_>> = {
        let mut calls: Vec<_> = record.calls().collect();
        calls.sort_by_key(|(e, _)| e.seq);
        calls
    };
    let all: Vec<u32> = calls.iter().map(|(e, _)| e.seq).collect();
    let n = calls.len();
    let result = |check: &str, found: Found| CheckResult {
        check: check.to_owned(),
        outcome: found.0,
        evidence: found.1,
    };

    let signatures = calls
        .iter()
        .find(|(_, c)| !c.signature.is_valid())
        .map(|(e, c)| {
            failed(
                format!(
                    "{} (seq {}) signature {}",
                    c.api.name(),
                    e.seq,
                    c.signature.describe()
                ),
                vec![e.seq],
            )
        })
        .unwrap_or_else(|| {
            passed(
                format!("all {n} ACQP requests signed and verified"),
                all.clone(),
            )
        });

    let headers = calls
        .iter()
        .find_map(|(e, c)| {
            header_problem(c).map(|p| {
                failed(
                    format!("{} (seq {}): {p}", c.api.name(), e.seq),
                    vec![e.seq],
                )
            })
        })
        .unwrap_or_else(|| {
            passed(
                format!("all {n} ACQP requests carry Client-Id, Request-Time, Signature and a JSON Content-Type"),
                all.clone(),
            )
        });

    let fields = calls
        .iter()
        .find_map(|(e, c)| {
            c.validation.as_ref().map(|v| {
                failed(
                    format!(
                        "{} (seq {}) rejected with PARAM_ILLEGAL: {v}",
                        c.api.name(),
                        e.seq
                    ),
                    vec![e.seq],
                )
            })
        })
        .unwrap_or_else(|| passed(format!("all {n} ACQP request bodies valid"), all));

    vec![
        result("protocol-signatures", signatures),
        result("protocol-headers", headers),
        result("protocol-fields", fields),
    ]
}

/// What is wrong with a request's headers, if anything.
pub fn header_problem(call: &AcqpCall) -> Option<String> {
    let get = |name: &str| {
        call.request_headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.trim())
    };
    match get("Client-Id") {
        None => return Some("header Client-Id missing".to_owned()),
        Some("") => return Some("header Client-Id empty".to_owned()),
        Some(_) => {}
    }
    match get("Request-Time") {
        None => return Some("header Request-Time missing".to_owned()),
        Some(t) => {
            if RequestTime::parse(t).is_err() {
                return Some(format!(
                    "header Request-Time {t:?} is neither ISO 8601 with an offset nor epoch milliseconds"
                ));
            }
        }
    }
    match get("Signature") {
        None => return Some("header Signature missing".to_owned()),
        Some("") => return Some("header Signature empty".to_owned()),
        Some(_) => {}
    }
    match get("Content-Type") {
        None => Some("header Content-Type missing".to_owned()),
        Some(ct) => {
            let mut parts = ct.split(';').map(str::trim);
            let media = parts.next().unwrap_or("");
            if !media.eq_ignore_ascii_case("application/json") {
                return Some(format!(
                    "header Content-Type {ct:?} is not application/json"
                ));
            }
            for param in parts {
                if let Some((k, v)) = param.split_once('=')
                    && k.trim().eq_ignore_ascii_case("charset")
                {
                    let v = v.trim().trim_matches('"');
                    if !v.eq_ignore_ascii_case("utf-8") && !v.eq_ignore_ascii_case("utf8") {
                        return Some(format!("header Content-Type charset {v:?} is not UTF-8"));
                    }
                }
            }
            None
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Pay checks.

fn pay_received(ctx: &Ctx<'_>) -> Found {
    match first_pay(ctx) {
        Some((e, c)) => passed(
            format!(
                "pay received (seq {}), answered {} {}",
                e.seq, c.result_status, c.result_code
            ),
            vec![e.seq],
        ),
        None => pending("a pay from the ACQP", vec![]),
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Scenario {
    Upm,
    OrderCode,
    EntryCode,
    Cashier,
}

fn pay_fields(ctx: &Ctx<'_>, scenario: Scenario) -> Found {
    let Some((e, c)) = first_pay(ctx) else {
        return pending("a pay from the ACQP", vec![]);
    };
    let mut problems = Vec::new();
    if let Some(v) = &c.validation {
        problems.push(format!("the hub rejected it: {v}"));
    }
    let Some(body) = json(&c.request_body) else {
        return failed(format!("pay (seq {}) body is not JSON", e.seq), vec![e.seq]);
    };
    let expect = |problems: &mut Vec<String>, pointer: &str, label: &str, want: &str| match str_at(
        &body, pointer,
    ) {
        Some(v) if v == want => {}
        Some(v) => problems.push(format!("{label} is {v:?}, expected {want:?}")),
        None => problems.push(format!("{label} missing, expected {want:?}")),
    };
    let present = |problems: &mut Vec<String>, pointer: &str, label: &str| match body
        .pointer(pointer)
    {
        None | Some(Value::Null) => problems.push(format!("{label} missing")),
        Some(Value::String(s)) if s.trim().is_empty() => problems.push(format!("{label} empty")),
        Some(_) => {}
    };
    let scenario_ptr = "/paymentFactor/inStorePaymentScenario";
    let scenario_label = "paymentFactor.inStorePaymentScenario";
    let what = match scenario {
        Scenario::Upm => {
            expect(
                &mut problems,
                "/productCode",
                "productCode",
                "IN_STORE_PAYMENT",
            );
            expect(&mut problems, scenario_ptr, scenario_label, "PaymentCode");
            expect(
                &mut problems,
                "/paymentMethod/paymentMethodType",
                "paymentMethod.paymentMethodType",
                "CONNECT_WALLET",
            );
            present(
                &mut problems,
                "/order/merchant/store",
                "order.merchant.store",
            );
            let shown: Vec<&str> = ctx
                .record
                .wallet_actions()
                .filter_map(|(_, a)| match a {
                    crate::record::WalletActionKind::ShowPaymentCode { code } => {
                        Some(code.as_str())
                    }
                    _ => None,
                })
                .collect();
            match str_at(&body, "/paymentMethod/paymentMethodId") {
                None => problems.push(
                    "paymentMethod.paymentMethodId missing (the scanned payment code)".to_owned(),
                ),
                Some(id) if !shown.is_empty() && !shown.contains(&id) => problems.push(format!(
                    "paymentMethod.paymentMethodId {id:?} is not a payment code the wallet showed"
                )),
                Some(_) => {}
            }
            "UPM"
        }
        Scenario::OrderCode => {
            expect(
                &mut problems,
                "/productCode",
                "productCode",
                "IN_STORE_PAYMENT",
            );
            expect(&mut problems, scenario_ptr, scenario_label, "OrderCode");
            present(&mut problems, "/order/env/userAgent", "order.env.userAgent");
            "order-code"
        }
        Scenario::EntryCode => {
            expect(
                &mut problems,
                "/productCode",
                "productCode",
                "IN_STORE_PAYMENT",
            );
            expect(&mut problems, scenario_ptr, scenario_label, "EntryCode");
            present(
                &mut problems,
                "/order/merchant/store",
                "order.merchant.store",
            );
            match str_at(&body, "/order/env/userAgent") {
                None => problems.push("order.env.userAgent missing".to_owned()),
                Some(ua) if !ua.contains("AlipayConnect") => problems.push(format!(
                    "order.env.userAgent {ua:?} is not the wallet's (no AlipayConnect): pass on the User-Agent the page received"
                )),
                Some(_) => {}
            }
            "entry-code"
        }
        Scenario::Cashier => {
            expect(
                &mut problems,
                "/productCode",
                "productCode",
                "CASHIER_PAYMENT",
            );
            present(&mut problems, "/paymentRedirectUrl", "paymentRedirectUrl");
            "cashier"
        }
    };
    if problems.is_empty() {
        passed(
            format!("pay (seq {}) has the {what} fields", e.seq),
            vec![e.seq],
        )
    } else {
        failed(
            format!(
                "pay (seq {}) is not a valid {what} pay: {}",
                e.seq,
                problems.join("; ")
            ),
            vec![e.seq],
        )
    }
}

fn user_agent_sent(ctx: &Ctx<'_>) -> Found {
    let Some((e, c)) = first_pay(ctx) else {
        return pending("a pay from the ACQP", vec![]);
    };
    match json(&c.request_body)
        .as_ref()
        .and_then(|b| str_at(b, "/order/env/userAgent").map(str::to_owned))
    {
        Some(ua) if !ua.trim().is_empty() => passed(
            format!("pay (seq {}) sends order.env.userAgent {ua:?}", e.seq),
            vec![e.seq],
        ),
        _ => failed(
            format!(
                "pay (seq {}) has no order.env.userAgent, which an order-code pay requires",
                e.seq
            ),
            vec![e.seq],
        ),
    }
}

/// The allowance for network jitter between two polls.
const POLL_JITTER_MS: i64 = 200;

fn polls(ctx: &Ctx<'_>, min_interval_secs: u64) -> Found {
    let Some(pay) = first_pay(ctx) else {
        return pending("a pay from the ACQP", vec![]);
    };
    let inquiries = calls_about(ctx, Api::InquiryPayment, pay);
    let min_ms = i64::try_from(min_interval_secs.saturating_mul(1000)).unwrap_or(i64::MAX);
    for pair in inquiries.windows(2) {
        let (a, b) = (pair[0].0, pair[1].0);
        let gap = (b.at - a.at).num_milliseconds();
        if gap < min_ms - POLL_JITTER_MS {
            return failed(
                format!(
                    "inquiryPayment polled too fast: seq {} and seq {} were {:.1} s apart, faster than every {min_interval_secs} s",
                    a.seq,
                    b.seq,
                    gap as f64 / 1000.0
                ),
                vec![a.seq, b.seq],
            );
        }
    }
    let polled: Vec<u32> = inquiries.iter().map(|(e, _)| e.seq).collect();
    if let Some((e, c)) = inquiries
        .iter()
        .find(|(_, c)| payment_result(c).is_some_and(|(s, _)| is_final_status(&s)))
    {
        let (status, code) = payment_result(c).unwrap_or_default();
        return passed(
            format!(
                "polled inquiryPayment {} time(s), never faster than every {min_interval_secs} s, until seq {} returned {status} {code}",
                polled.len(),
                e.seq
            ),
            polled,
        );
    }
    if let Some(e) = acked_genuine_notify(ctx) {
        let mut evidence = polled.clone();
        evidence.push(e.seq);
        return passed(
            format!(
                "took the notification (acked at seq {}) after {} poll(s), none faster than every {min_interval_secs} s",
                e.seq,
                polled.len()
            ),
            evidence,
        );
    }
    if let Some((e, _)) = calls_about(ctx, Api::CancelPayment, pay).first() {
        let mut evidence = polled.clone();
        evidence.push(e.seq);
        return passed(
            format!(
                "polled inquiryPayment {} time(s), never faster than every {min_interval_secs} s, then cancelled (seq {})",
                polled.len(),
                e.seq
            ),
            evidence,
        );
    }
    pending(
        "the ACQP to learn the result (by inquiryPayment or the notification) or to cancel",
        polled,
    )
}

fn no_retry_after_failure(ctx: &Ctx<'_>, window_secs: u64) -> Found {
    let pays = ctx.record.calls_of(Api::Pay);
    let Some((fe, fc)) = pays.iter().find(|(_, c)| c.result_status == "F").copied() else {
        return pending(
            "a pay answered F",
            pays.iter().map(|(e, _)| e.seq).collect(),
        );
    };
    let id = fc.payment_request_id.clone().unwrap_or_default();
    if let Some((re, _)) = pays.iter().find(|(e, c)| {
        e.seq != fe.seq && e.at >= fe.at && c.payment_request_id.as_deref() == Some(id.as_str())
    }) {
        return failed(
            format!(
                "pay retried with the same paymentRequestId {id} (seq {}) after F {} (seq {}): a failed payment is final",
                re.seq, fc.result_code, fe.seq
            ),
            vec![fe.seq, re.seq],
        );
    }
    let until = at_plus(fe.at, window_secs);
    if ctx.now >= until {
        passed(
            format!(
                "no retry of paymentRequestId {id} in the {window_secs} s after F {} (seq {})",
                fc.result_code, fe.seq
            ),
            vec![fe.seq],
        )
    } else {
        pending(
            format!(
                "{window_secs} s without a retry of paymentRequestId {id} (until {})",
                clock(until)
            ),
            vec![fe.seq],
        )
    }
}

fn cancels_within(ctx: &Ctx<'_>, secs: u64) -> Found {
    let Some(pay) = first_pay(ctx) else {
        return pending("a pay from the ACQP", vec![]);
    };
    let deadline = at_plus(pay.0.at, secs);
    let target = PaymentRef::of(pay.1);
    let cancels = calls_about(ctx, Api::CancelPayment, pay);
    if let Some((e, _)) = cancels.first() {
        let after = secs_between(pay.0.at, e.at);
        return if e.at <= deadline {
            passed(
                format!(
                    "cancelPayment (seq {}) {after:.0} s after pay (seq {})",
                    e.seq, pay.0.seq
                ),
                vec![pay.0.seq, e.seq],
            )
        } else {
            failed(
                format!(
                    "cancelPayment (seq {}) came {after:.0} s after pay (seq {}), later than {secs} s",
                    e.seq, pay.0.seq
                ),
                vec![pay.0.seq, e.seq],
            )
        };
    }
    if ctx.now > deadline {
        failed(
            format!(
                "no cancelPayment within {secs} s of pay (seq {}, {})",
                pay.0.seq,
                target.describe()
            ),
            vec![pay.0.seq],
        )
    } else {
        pending(
            format!(
                "a cancelPayment within {secs} s of pay (until {})",
                clock(deadline)
            ),
            vec![pay.0.seq],
        )
    }
}

fn resolves_unknown_result(ctx: &Ctx<'_>) -> Found {
    let Some(pay) = first_pay(ctx) else {
        return pending("a pay from the ACQP", vec![]);
    };
    let (pe, pc) = pay;
    if pc.result_status != "U" {
        return pending("a pay answered U", vec![pe.seq]);
    }
    let id = pc.payment_request_id.clone().unwrap_or_default();
    let first_body = json(&pc.request_body);
    let mut later: Vec<Call<'_>> = ctx
        .record
        .calls()
        .filter(|(e, _)| e.seq != pe.seq && e.at >= pe.at)
        .collect();
    later.sort_by_key(|(e, _)| (e.at, e.seq));
    let target = PaymentRef::of(pc);
    // A changed repeat fails whenever it comes.
    for (e, c) in &later {
        if c.api == Api::Pay && c.payment_request_id.as_deref() == Some(id.as_str()) {
            let body = json(&c.request_body);
            let diff = match (&first_body, &body) {
                (Some(a), Some(b)) => first_difference(a, b, ""),
                _ if pc.request_body == c.request_body => None,
                _ => Some("the body".to_owned()),
            };
            if let Some(path) = diff {
                return failed(
                    format!(
                        "repeated pay with paymentRequestId {id} (seq {}) changed the body ({path} differs from seq {}): a repeat must be identical",
                        e.seq, pe.seq
                    ),
                    vec![pe.seq, e.seq],
                );
            }
        }
    }
    for (e, c) in &later {
        match c.api {
            Api::InquiryPayment if target.matches(c) => {
                return passed(
                    format!(
                        "after U {} (seq {}) the ACQP inquired (seq {})",
                        pc.result_code, pe.seq, e.seq
                    ),
                    vec![pe.seq, e.seq],
                );
            }
            Api::Pay if c.payment_request_id.as_deref() == Some(id.as_str()) => {
                return passed(
                    format!(
                        "after U {} (seq {}) the ACQP repeated pay with the same paymentRequestId and an identical body (seq {})",
                        pc.result_code, pe.seq, e.seq
                    ),
                    vec![pe.seq, e.seq],
                );
            }
            Api::Pay => {
                return failed(
                    format!(
                        "after U {} (seq {}) the ACQP started a new payment (paymentRequestId {}, seq {}) instead of resolving {id}",
                        pc.result_code,
                        pe.seq,
                        c.payment_request_id.as_deref().unwrap_or("none"),
                        e.seq
                    ),
                    vec![pe.seq, e.seq],
                );
            }
            Api::CancelPayment if target.matches(c) => {
                return failed(
                    format!(
                        "after U {} (seq {}) the ACQP cancelled (seq {}) without finding the result first",
                        pc.result_code, pe.seq, e.seq
                    ),
                    vec![pe.seq, e.seq],
                );
            }
            _ => {}
        }
    }
    pending(
        format!("an inquiryPayment or a repeated pay for paymentRequestId {id}"),
        vec![pe.seq],
    )
}

fn inquires_or_cancels(ctx: &Ctx<'_>) -> Found {
    let Some(pay) = first_pay(ctx) else {
        return pending("a pay from the ACQP", vec![]);
    };
    let mut acts = calls_about(ctx, Api::InquiryPayment, pay);
    acts.extend(calls_about(ctx, Api::CancelPayment, pay));
    acts.sort_by_key(|(e, _)| (e.at, e.seq));
    match acts.first() {
        Some((e, c)) => passed(
            format!(
                "{} (seq {}) {:.0} s after the unanswered pay (seq {})",
                c.api.name(),
                e.seq,
                secs_between(pay.0.at, e.at),
                pay.0.seq
            ),
            vec![pay.0.seq, e.seq],
        ),
        None => pending(
            format!(
                "an inquiryPayment or cancelPayment for {}",
                PaymentRef::of(pay.1).describe()
            ),
            vec![pay.0.seq],
        ),
    }
}

fn no_second_payment(ctx: &Ctx<'_>, window_secs: u64) -> Found {
    let Some((pe, pc)) = first_pay(ctx) else {
        return pending("a pay from the ACQP", vec![]);
    };
    let id = pc.payment_request_id.as_deref();
    if let Some((e, c)) = ctx
        .record
        .calls_of(Api::Pay)
        .into_iter()
        .find(|(e, c)| e.seq != pe.seq && c.payment_request_id.as_deref() != id)
    {
        return failed(
            format!(
                "a second payment: pay with paymentRequestId {} (seq {}) after {} (seq {})",
                c.payment_request_id.as_deref().unwrap_or("none"),
                e.seq,
                id.unwrap_or("none"),
                pe.seq
            ),
            vec![pe.seq, e.seq],
        );
    }
    let until = at_plus(pe.at, window_secs);
    if ctx.now >= until {
        passed(
            format!(
                "no second payment in the {window_secs} s after pay (seq {})",
                pe.seq
            ),
            vec![pe.seq],
        )
    } else {
        pending(
            format!(
                "{window_secs} s without a second payment (until {})",
                clock(until)
            ),
            vec![pe.seq],
        )
    }
}

fn inquires_when_notify_lost(ctx: &Ctx<'_>) -> Found {
    let inquiries = ctx.record.calls_of(Api::InquiryPayment);
    if let Some((e, c)) = inquiries
        .iter()
        .find(|(_, c)| payment_result(c).is_some_and(|(s, _)| is_final_status(&s)))
    {
        let (status, code) = payment_result(c).unwrap_or_default();
        return passed(
            format!(
                "found the result with inquiryPayment (seq {}): {status} {code}",
                e.seq
            ),
            vec![e.seq],
        );
    }
    let polled: Vec<u32> = inquiries.iter().map(|(e, _)| e.seq).collect();
    pending(
        format!(
            "an inquiryPayment that returns the final result ({} inquiries so far)",
            polled.len()
        ),
        polled,
    )
}

/// When the run's order expires (see [`Check::CancelsAfterExpiry`]).
fn order_expiry(ctx: &Ctx<'_>, pay: Call<'_>) -> DateTime<Utc> {
    let (pe, pc) = pay;
    let from_answer = json(&pc.response_body).and_then(|b| {
        str_at(&b, "/orderCodeForm/expireTime").and_then(|t| parse_wire_time(t).ok())
    });
    if let Some(t) = from_answer {
        return t.with_timezone(&Utc);
    }
    let sandbox = at_plus(pe.at, ctx.case.sandbox.order_expiry_secs);
    let requested = json(&pc.request_body)
        .and_then(|b| str_at(&b, "/paymentExpiryTime").and_then(|t| parse_wire_time(t).ok()));
    match requested {
        Some(t) => sandbox.min(t.with_timezone(&Utc)),
        None => sandbox,
    }
}

fn cancels_after_expiry(ctx: &Ctx<'_>, grace_secs: u64) -> Found {
    let Some(pay) = first_pay(ctx) else {
        return pending("a pay from the ACQP", vec![]);
    };
    let expiry = order_expiry(ctx, pay);
    let deadline = at_plus(expiry, grace_secs);
    let inquiries = calls_about(ctx, Api::InquiryPayment, pay);
    let cancels = calls_about(ctx, Api::CancelPayment, pay);
    if let Some((ce, _)) = cancels.first() {
        let polls: Vec<u32> = inquiries
            .iter()
            .filter(|(e, _)| e.at <= ce.at && e.seq != ce.seq)
            .map(|(e, _)| e.seq)
            .collect();
        let mut evidence = vec![pay.0.seq];
        evidence.extend(&polls);
        evidence.push(ce.seq);
        if polls.is_empty() {
            return failed(
                format!(
                    "cancelled (seq {}) without ever polling inquiryPayment: poll the payment first",
                    ce.seq
                ),
                evidence,
            );
        }
        if ce.at > deadline {
            return failed(
                format!(
                    "cancelPayment (seq {}) came {:.0} s after the order expired at {}, later than {grace_secs} s",
                    ce.seq,
                    secs_between(expiry, ce.at),
                    clock(expiry)
                ),
                evidence,
            );
        }
        return passed(
            format!(
                "polled {} time(s), then cancelled (seq {}); the order expired at {}",
                polls.len(),
                ce.seq,
                clock(expiry)
            ),
            evidence,
        );
    }
    let mut evidence = vec![pay.0.seq];
    evidence.extend(inquiries.iter().map(|(e, _)| e.seq));
    if ctx.now > deadline {
        failed(
            format!(
                "no cancelPayment within {grace_secs} s after the order expired at {} ({} poll(s))",
                clock(expiry),
                inquiries.len()
            ),
            evidence,
        )
    } else {
        pending(
            format!(
                "polling, then a cancelPayment once the order expires at {} (until {})",
                clock(expiry),
                clock(deadline)
            ),
            evidence,
        )
    }
}

fn closes_expired_order(ctx: &Ctx<'_>, grace_secs: u64) -> Found {
    let Some(pay) = first_pay(ctx) else {
        return pending("a pay from the ACQP", vec![]);
    };
    let expiry = order_expiry(ctx, pay);
    let deadline = at_plus(expiry, grace_secs);
    if let Some((e, _)) = calls_about(ctx, Api::CancelPayment, pay).first() {
        return passed(
            format!("closed the order with cancelPayment (seq {})", e.seq),
            vec![pay.0.seq, e.seq],
        );
    }
    if let Some((e, c)) = calls_about(ctx, Api::InquiryPayment, pay)
        .into_iter()
        .find(|(e, c)| e.at >= expiry && payment_result(c).is_some_and(|(s, _)| s == "F"))
    {
        let (_, code) = payment_result(c).unwrap_or_default();
        return passed(
            format!(
                "learned the order was closed: inquiryPayment (seq {}) returned F {code}",
                e.seq
            ),
            vec![pay.0.seq, e.seq],
        );
    }
    if ctx.now > deadline {
        failed(
            format!(
                "the ACQP neither cancelled nor inquired the expired order within {grace_secs} s after it expired at {}",
                clock(expiry)
            ),
            vec![pay.0.seq],
        )
    } else {
        pending(
            format!(
                "a cancelPayment or an inquiry after the order expires at {} (until {})",
                clock(expiry),
                clock(deadline)
            ),
            vec![pay.0.seq],
        )
    }
}

// ---------------------------------------------------------------------------------------------
// Callback checks.

fn notify_acked(ctx: &Ctx<'_>) -> Found {
    let notifies = genuine_notifies(ctx);
    if notifies.is_empty() {
        return pending(
            "the hub's notifyPayment (sent once the payment is final)",
            vec![],
        );
    }
    match notifies.iter().find(|(_, cb)| cb.answered()) {
        Some((e, cb)) if cb.is_signed_ack() => passed(
            format!(
                "acked notifyPayment (seq {}, attempt {}) with a signed S SUCCESS",
                e.seq, cb.attempt
            ),
            vec![e.seq],
        ),
        Some((e, cb)) => failed(
            format!(
                "the ACQP answered notifyPayment (seq {}, attempt {}) with {}; it must reply a signed S SUCCESS",
                e.seq,
                cb.attempt,
                cb.describe_reply()
            ),
            vec![e.seq],
        ),
        None => pending(
            format!(
                "a reply to notifyPayment ({} deliveries unanswered, last: {})",
                notifies.len(),
                notifies
                    .last()
                    .map(|(_, cb)| cb.describe_reply())
                    .unwrap_or_default()
            ),
            notifies.iter().map(|(e, _)| e.seq).collect(),
        ),
    }
}

fn forged_notify_rejected(ctx: &Ctx<'_>) -> Found {
    let forged = ctx
        .record
        .callbacks_of(CallbackKind::NotifyPayment)
        .into_iter()
        .find(|(_, cb)| cb.forged);
    match forged {
        None => pending("the hub's forged notifyPayment", vec![]),
        Some((e, cb)) if cb.answered() && cb.reply_valid => failed(
            format!(
                "the ACQP acked the forged notifyPayment (seq {}) with S SUCCESS: it did not verify the signature",
                e.seq
            ),
            vec![e.seq],
        ),
        Some((e, cb)) => passed(
            format!(
                "rejected the forged notifyPayment (seq {}): {}",
                e.seq,
                cb.describe_reply()
            ),
            vec![e.seq],
        ),
    }
}

fn duplicate_notify_acked(ctx: &Ctx<'_>) -> Found {
    let answered: Vec<_> = genuine_notifies(ctx)
        .into_iter()
        .filter(|(_, cb)| cb.answered())
        .take(2)
        .collect();
    if let Some((e, cb)) = answered.iter().find(|(_, cb)| !cb.is_signed_ack()) {
        return failed(
            format!(
                "the ACQP answered a duplicate-bearing notifyPayment (seq {}) with {}; every delivery must be acked",
                e.seq,
                cb.describe_reply()
            ),
            answered.iter().map(|(e, _)| e.seq).collect(),
        );
    }
    let seqs: Vec<u32> = answered.iter().map(|(e, _)| e.seq).collect();
    if answered.len() == 2 {
        passed(
            format!(
                "acked both deliveries of the notification (seq {} and {})",
                seqs[0], seqs[1]
            ),
            seqs,
        )
    } else {
        pending(
            format!(
                "replies to both notifyPayment deliveries ({} so far)",
                answered.len()
            ),
            seqs,
        )
    }
}

fn genuine_uips<'a>(ctx: &Ctx<'a>) -> Vec<(&'a Event, &'a HubCallback)> {
    ctx.record
        .callbacks_of(CallbackKind::UserInitiatedPay)
        .into_iter()
        .filter(|(_, cb)| !cb.forged)
        .collect()
}

fn reply_result(cb: &HubCallback) -> Option<(String, String)> {
    let body = json(cb.reply_body.as_deref()?)?;
    Some((
        str_at(&body, "/result/resultStatus")?.to_owned(),
        str_at(&body, "/result/resultCode").unwrap_or("").to_owned(),
    ))
}

fn uip_reply_valid(ctx: &Ctx<'_>) -> Found {
    let uips = genuine_uips(ctx);
    let Some((e, cb)) = uips.iter().find(|(_, cb)| cb.answered()) else {
        return pending(
            format!("a reply to userInitiatedPay ({} unanswered)", uips.len()),
            uips.iter().map(|(e, _)| e.seq).collect(),
        );
    };
    let result = reply_result(cb);
    let problem = if result.is_none() {
        Some(format!("it is not a valid reply: {}", cb.describe_reply()))
    } else if !cb.reply_signature.is_valid() {
        Some(format!(
            "its signature is {}",
            cb.reply_signature.describe()
        ))
    } else if let Some((status, code)) = result.as_ref().filter(|(s, _)| s != "S") {
        Some(format!("it answered {status} {code} to a code it issued"))
    } else if !cb.reply_valid {
        Some(format!("it is not a valid order: {}", cb.describe_reply()))
    } else {
        None
    };
    match problem {
        None => passed(
            format!(
                "userInitiatedPay (seq {}) answered with a signed, valid order",
                e.seq
            ),
            vec![e.seq],
        ),
        Some(p) => failed(
            format!(
                "the reply to userInitiatedPay (seq {}) is wrong: {p}",
                e.seq
            ),
            vec![e.seq],
        ),
    }
}

fn uip_idempotent(ctx: &Ctx<'_>) -> Found {
    let answered: Vec<_> = genuine_uips(ctx)
        .into_iter()
        .filter(|(_, cb)| cb.answered())
        .collect();
    let code_of = |cb: &HubCallback| {
        json(&cb.request_body).and_then(|b| str_at(&b, "/codeValue").map(str::to_owned))
    };
    for (i, (e1, cb1)) in answered.iter().enumerate() {
        let Some(code) = code_of(cb1) else { continue };
        let Some((e2, cb2)) = answered[i + 1..]
            .iter()
            .find(|(_, cb)| code_of(cb).as_deref() == Some(code.as_str()))
        else {
            continue;
        };
        let evidence = vec![e1.seq, e2.seq];
        let (Some(r1), Some(r2)) = (
            cb1.reply_body.as_deref().and_then(json),
            cb2.reply_body.as_deref().and_then(json),
        ) else {
            return failed(
                format!("a reply to userInitiatedPay for codeValue {code} is not JSON"),
                evidence,
            );
        };
        for (pointer, label) in [
            ("/result/resultStatus", "result.resultStatus"),
            ("/paymentRequestId", "paymentRequestId"),
            ("/paymentAmount", "paymentAmount"),
            ("/order/referenceOrderId", "order.referenceOrderId"),
        ] {
            let (a, b) = (r1.pointer(pointer), r2.pointer(pointer));
            if a != b {
                let show = |v: Option<&Value>| v.map(Value::to_string).unwrap_or("absent".into());
                return failed(
                    format!(
                        "the same codeValue got a different order: {label} {} (seq {}) then {} (seq {})",
                        show(a),
                        e1.seq,
                        show(b),
                        e2.seq
                    ),
                    evidence,
                );
            }
        }
        return passed(
            format!(
                "both userInitiatedPay for the same codeValue (seq {} and {}) got the same order",
                e1.seq, e2.seq
            ),
            evidence,
        );
    }
    pending(
        "two replies to userInitiatedPay for the same codeValue",
        answered.iter().map(|(e, _)| e.seq).collect(),
    )
}

fn uip_unknown_code_rejected(ctx: &Ctx<'_>) -> Found {
    let uips = genuine_uips(ctx);
    let Some((e, cb)) = uips.iter().find(|(_, cb)| cb.answered()) else {
        return pending("a reply to userInitiatedPay for the unknown code", vec![]);
    };
    let evidence = vec![e.seq];
    match reply_result(cb) {
        Some((s, c)) if s == "F" && c == "ORDER_NOT_EXIST" => {
            if cb.reply_signature.is_valid() {
                passed(
                    format!(
                        "answered the unknown code with a signed F ORDER_NOT_EXIST (seq {})",
                        e.seq
                    ),
                    evidence,
                )
            } else {
                failed(
                    format!(
                        "answered F ORDER_NOT_EXIST (seq {}) but the reply's signature is {}",
                        e.seq,
                        cb.reply_signature.describe()
                    ),
                    evidence,
                )
            }
        }
        Some((s, c)) if s == "S" => failed(
            format!(
                "answered S {c} (seq {}) with an order for a code it never issued",
                e.seq
            ),
            evidence,
        ),
        Some((s, c)) => failed(
            format!(
                "answered {s} {c} (seq {}), expected F ORDER_NOT_EXIST",
                e.seq
            ),
            evidence,
        ),
        None => failed(
            format!(
                "the reply (seq {}) has no result: {}, expected F ORDER_NOT_EXIST",
                e.seq,
                cb.describe_reply()
            ),
            evidence,
        ),
    }
}

// ---------------------------------------------------------------------------------------------
// Refund and cancel checks.

struct Refund<'a> {
    event: &'a Event,
    call: &'a AcqpCall,
    id: Option<String>,
    amount: Option<u64>,
}

fn refunds<'a>(ctx: &Ctx<'a>) -> Vec<Refund<'a>> {
    ctx.record
        .calls_of(Api::Refund)
        .into_iter()
        .map(|(event, call)| {
            let body = json(&call.request_body);
            let id = body
                .as_ref()
                .and_then(|b| str_at(b, "/refundRequestId").map(str::to_owned));
            let amount = body
                .as_ref()
                .and_then(|b| str_at(b, "/refundAmount/value").and_then(|v| v.parse().ok()));
            Refund {
                event,
                call,
                id,
                amount,
            }
        })
        .collect()
}

/// The paid amount of the run's payment, minor units, and its currency: from the first `pay`,
/// or, for a private order code (no `pay`), from the first order the ACQP returned to
/// `userInitiatedPay`.
fn paid_amount(ctx: &Ctx<'_>) -> Option<(u64, String)> {
    let body = match first_pay(ctx) {
        Some((_, pay)) => json(&pay.request_body)?,
        None => genuine_uips(ctx)
            .into_iter()
            .filter_map(|(_, cb)| cb.reply_body.as_deref().and_then(json))
            .find(|b| str_at(b, "/result/resultStatus") == Some("S"))?,
    };
    let value = str_at(&body, "/paymentAmount/value")?.parse().ok()?;
    let currency = str_at(&body, "/paymentAmount/currency")
        .unwrap_or("")
        .to_owned();
    Some((value, currency))
}

fn refund_succeeds(ctx: &Ctx<'_>) -> Found {
    let all = refunds(ctx);
    let mut seen = BTreeSet::new();
    let mut total = 0u64;
    let mut evidence = Vec::new();
    for r in all.iter().filter(|r| r.call.result_status == "S") {
        if seen.insert(r.id.clone()) {
            total = total.saturating_add(r.amount.unwrap_or(0));
            evidence.push(r.event.seq);
        }
    }
    let Some((paid, currency)) = paid_amount(ctx) else {
        return pending("the paid payment to refund (a pay first)", evidence);
    };
    if total >= paid && total > 0 {
        passed(
            format!("refunded {total} of {paid} {currency} (seq {evidence:?}), answered S"),
            evidence,
        )
    } else if total > 0 {
        pending(
            format!(
                "refunds answered S up to the paid amount (refunded {total} of {paid} {currency})"
            ),
            evidence,
        )
    } else {
        pending(
            "a refund answered S",
            all.iter().map(|r| r.event.seq).collect(),
        )
    }
}

fn partial_refunds(ctx: &Ctx<'_>, window_secs: u64) -> Found {
    let all = refunds(ctx);
    let paid = paid_amount(ctx).map(|(p, _)| p);
    let mut succeeded: Vec<&Refund<'_>> = Vec::new();
    let mut over: Option<&Refund<'_>> = None;
    for r in &all {
        if r.call.result_status == "S" {
            if !succeeded.iter().any(|s| s.id == r.id) {
                succeeded.push(r);
            }
        } else if r.call.result_code == "REFUND_AMOUNT_EXCEED" && succeeded.len() >= 2 {
            over = Some(r);
            break;
        }
    }
    let refunded: u64 = succeeded
        .iter()
        .fold(0, |sum, r| sum.saturating_add(r.amount.unwrap_or(0)));
    let mut evidence: Vec<u32> = succeeded.iter().map(|r| r.event.seq).collect();
    let Some(x) = over else {
        return pending(
            format!(
                "two partial refunds answered S, then one over the limit answered F REFUND_AMOUNT_EXCEED ({} answered S so far)",
                succeeded.len()
            ),
            evidence,
        );
    };
    evidence.push(x.event.seq);
    let remaining = paid.unwrap_or(refunded).saturating_sub(refunded);
    // Ordered by arrival, ties (calls within one clock tick) by record order.
    let order = |r: &Refund<'_>| (r.event.at, r.event.seq);
    let seen_ids: Vec<&Option<String>> = all
        .iter()
        .filter(|r| order(r) <= order(x))
        .map(|r| &r.id)
        .collect();
    if let Some(blind) = all.iter().find(|r| {
        order(r) > order(x)
            && !seen_ids.contains(&&r.id)
            && r.amount.unwrap_or(u64::MAX) > remaining
    }) {
        evidence.push(blind.event.seq);
        return failed(
            format!(
                "after F REFUND_AMOUNT_EXCEED (seq {}) the ACQP retried blindly with a new refundRequestId {} for {} (seq {}), more than the {remaining} left",
                x.event.seq,
                blind.id.as_deref().unwrap_or("none"),
                blind.amount.map(|a| a.to_string()).unwrap_or("?".into()),
                blind.event.seq
            ),
            evidence,
        );
    }
    let until = at_plus(x.event.at, window_secs);
    if ctx.now >= until {
        passed(
            format!(
                "{} partial refunds answered S ({refunded} refunded), the over-limit one (seq {}) answered F REFUND_AMOUNT_EXCEED and was not retried",
                succeeded.len(),
                x.event.seq
            ),
            evidence,
        )
    } else {
        pending(
            format!(
                "{window_secs} s without a blind retry of the over-limit refund (until {})",
                clock(until)
            ),
            evidence,
        )
    }
}

fn refund_retried_with_same_id(ctx: &Ctx<'_>) -> Found {
    let all = refunds(ctx);
    let Some((i, first)) = all
        .iter()
        .enumerate()
        .find(|(_, r)| r.call.result_status == "U")
    else {
        return pending(
            "a refund answered U",
            all.iter().map(|r| r.event.seq).collect(),
        );
    };
    let id = first.id.clone();
    let mut evidence = vec![first.event.seq];
    for r in &all[i + 1..] {
        evidence.push(r.event.seq);
        if r.id != id {
            return failed(
                format!(
                    "after U (seq {}) the ACQP sent a new refundRequestId {} (seq {}) instead of retrying {}: that would refund twice",
                    first.event.seq,
                    r.id.as_deref().unwrap_or("none"),
                    r.event.seq,
                    id.as_deref().unwrap_or("none")
                ),
                evidence,
            );
        }
        if r.amount != first.amount {
            return failed(
                format!(
                    "the retry of refundRequestId {} (seq {}) changed refundAmount",
                    id.as_deref().unwrap_or("none"),
                    r.event.seq
                ),
                evidence,
            );
        }
        if r.call.result_status == "S" {
            return passed(
                format!(
                    "retried refundRequestId {} until S (seq {})",
                    id.as_deref().unwrap_or("none"),
                    r.event.seq
                ),
                evidence,
            );
        }
    }
    pending(
        format!(
            "a retry of refundRequestId {} answered S",
            id.as_deref().unwrap_or("none")
        ),
        evidence,
    )
}

fn run_cancels<'a>(ctx: &Ctx<'a>) -> Vec<Call<'a>> {
    match first_pay(ctx) {
        Some(pay) => calls_about(ctx, Api::CancelPayment, pay),
        None => ctx.record.calls_of(Api::CancelPayment),
    }
}

fn cancel_succeeds(ctx: &Ctx<'_>) -> Found {
    let cancels = run_cancels(ctx);
    match cancels.iter().find(|(_, c)| c.result_status == "S") {
        Some((e, _)) => passed(
            format!("cancelPayment (seq {}) answered S", e.seq),
            vec![e.seq],
        ),
        None => pending(
            "a cancelPayment of the paid payment answered S",
            cancels.iter().map(|(e, _)| e.seq).collect(),
        ),
    }
}

fn cancel_retried(ctx: &Ctx<'_>) -> Found {
    let cancels = run_cancels(ctx);
    let seqs: Vec<u32> = cancels.iter().map(|(e, _)| e.seq).collect();
    let Some(i) = cancels.iter().position(|(_, c)| c.result_status != "S") else {
        return pending("a cancelPayment answered U", seqs);
    };
    match cancels[i + 1..]
        .iter()
        .find(|(_, c)| c.result_status == "S")
    {
        Some((e, _)) => passed(
            format!(
                "after {} {} (seq {}) the ACQP retried cancelPayment until S (seq {})",
                cancels[i].1.result_status, cancels[i].1.result_code, cancels[i].0.seq, e.seq
            ),
            seqs,
        ),
        None => pending(
            format!(
                "a retry of cancelPayment after {} {} (seq {})",
                cancels[i].1.result_status, cancels[i].1.result_code, cancels[i].0.seq
            ),
            seqs,
        ),
    }
}

fn calls_api(ctx: &Ctx<'_>, api: Api) -> Found {
    let calls = ctx.record.calls_of(api);
    match calls.iter().find(|(_, c)| c.result_status == "S") {
        Some((e, _)) => passed(
            format!("{} (seq {}) answered S", api.name(), e.seq),
            vec![e.seq],
        ),
        None => pending(
            format!(
                "a {} answered S ({} call(s) so far)",
                api.name(),
                calls.len()
            ),
            calls.iter().map(|(e, _)| e.seq).collect(),
        ),
    }
}

// ---------------------------------------------------------------------------------------------
// Manual questions.

/// A manual question as a check: pending until answered; passed when the latest answer is
/// the expected one; failed, with the question, when it is not.
pub fn manual_check(question: &ManualQuestion, record: &RunRecord) -> CheckResult {
    let (outcome, evidence) = match record.manual_answer(&question.id) {
        None => pending(
            format!("the merchant's answer to {:?}", question.question),
            vec![],
        ),
        Some((e, a)) => {
            let said = if a.answer { "yes" } else { "no" };
            let note = a
                .note
                .as_deref()
                .map(|n| format!(" (note: {})", shorten(n, 200)))
                .unwrap_or_default();
            if a.answer == question.expected.as_bool() {
                passed(
                    format!(
                        "the merchant answered {said} to {:?}{note}",
                        question.question
                    ),
                    vec![e.seq],
                )
            } else {
                failed(
                    format!(
                        "the merchant answered {said} to {:?}, expected {}{note}",
                        question.question,
                        question.expected.as_str()
                    ),
                    vec![e.seq],
                )
            }
        }
    };
    CheckResult {
        check: format!("manual:{}", question.id),
        outcome,
        evidence,
    }
}

/// The failure reason of a check still pending at the timeout.
pub(crate) fn timed_out(result: &CheckResult) -> Option<String> {
    match &result.outcome {
        CheckOutcome::Pending { waiting_for } => {
            Some(format!("timed out waiting for {waiting_for}"))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;
    use serde_json::json;

    #[test]
    fn first_difference_names_the_path() {
        let a = json!({"a": {"b": "1", "c": ["x", "y"]}, "d": "2"});
        assert_eq!(first_difference(&a, &a.clone(), ""), None);
        let b = json!({"d": "2", "a": {"c": ["x", "y"], "b": "1"}});
        assert_eq!(
            first_difference(&a, &b, ""),
            None,
            "key order does not matter"
        );
        let c = json!({"a": {"b": "1", "c": ["x", "z"]}, "d": "2"});
        assert_eq!(first_difference(&a, &c, "").as_deref(), Some("a.c[1]"));
        let d = json!({"a": {"b": "1", "c": ["x", "y"]}});
        assert_eq!(first_difference(&a, &d, "").as_deref(), Some("d"));
    }

    #[test]
    fn secs_and_deadlines() {
        let t = DateTime::from_timestamp(0, 0).unwrap();
        assert_eq!(secs_between(t, at_plus(t, 90)), 90.0);
        assert_eq!(at_plus(t, u64::MAX), DateTime::<Utc>::MAX_UTC);
        assert_eq!(
            at_plus(DateTime::<Utc>::MAX_UTC, 5),
            DateTime::<Utc>::MAX_UTC
        );
    }
}
