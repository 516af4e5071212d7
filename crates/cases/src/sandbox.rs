//! The sandbox's scripted behaviour in a run: what the hub's Alipay+ side answers.
//!
//! Each case names its behaviour in the catalogue (`[case.sandbox]`); the hub turns every
//! decision into a lookup: [`Sandbox::pay_answer`], [`Sandbox::inquiry_answer`],
//! [`Sandbox::cancel_answer`], [`Sandbox::refund_answer`], [`Sandbox::customer_outcome`] and
//! [`Sandbox::notify_plan`]. Everything not scripted follows the protocol (spec sections 3-4):
//! repeats are idempotent, inquiries report the payment's state, refunds stay within the paid
//! amount.
//!
//! In the catalogue a behaviour is either its name (`pay = "succeed"`) or a table with the name
//! under `behaviour` and its parameters (`pay = { behaviour = "decline", code = "..." }`).

use linker_aplus::{ApiResult, ResultCode, ResultStatus};
use serde::de::{DeserializeOwned, Error as _};
use serde::{Deserialize, Deserializer, Serialize};

use crate::record::PaymentState;

/// The scripted behaviour of the hub in one case.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Sandbox {
    /// How `pay` is answered.
    #[serde(default, deserialize_with = "named")]
    pub pay: PayBehaviour,
    /// What the customer does with an order code, entry page or cashier page.
    #[serde(default, deserialize_with = "named")]
    pub customer: CustomerBehaviour,
    /// How notifyPayment is delivered once the payment is final.
    #[serde(default, deserialize_with = "named")]
    pub notify: NotifyBehaviour,
    /// How `refund` is answered.
    #[serde(default, deserialize_with = "named")]
    pub refund: RefundBehaviour,
    /// How `cancelPayment` is answered.
    #[serde(default, deserialize_with = "named")]
    pub cancel: CancelBehaviour,
    /// How often the hub asks the ACQP about a private order code (MPC cases).
    #[serde(default, deserialize_with = "named")]
    pub user_initiated_pay: UserInitiatedPayBehaviour,
    /// What the run starts with before the case proper (RFD-*, CAN-*, NTF-*).
    #[serde(default, deserialize_with = "named_opt")]
    pub prelude: Option<Prelude>,
    /// How long an order code, entry-code payment or cashier page stays payable, in seconds,
    /// unless the `pay` request's `paymentExpiryTime` is sooner.
    #[serde(default = "default_order_expiry_secs")]
    pub order_expiry_secs: u64,
}

fn default_order_expiry_secs() -> u64 {
    120
}

impl Default for Sandbox {
    fn default() -> Self {
        Sandbox {
            pay: PayBehaviour::default(),
            customer: CustomerBehaviour::default(),
            notify: NotifyBehaviour::default(),
            refund: RefundBehaviour::default(),
            cancel: CancelBehaviour::default(),
            user_initiated_pay: UserInitiatedPayBehaviour::default(),
            prelude: None,
            order_expiry_secs: default_order_expiry_secs(),
        }
    }
}

/// How the hub answers `pay`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(tag = "behaviour", rename_all = "kebab-case", deny_unknown_fields)]
pub enum PayBehaviour {
    /// `S SUCCESS` at once; the payment succeeds (UPM-01, and the prelude of RFD/CAN/NTF).
    #[default]
    Succeed,
    /// `F <code>`; the payment fails (UPM-03 with `USER_BALANCE_NOT_ENOUGH`).
    Decline {
        /// The failure code, a known `F` code.
        #[serde(deserialize_with = "failure_code", serialize_with = "code_name")]
        code: ResultCode,
    },
    /// `U PAYMENT_IN_PROCESS` until the customer confirms in the wallet, then the payment
    /// succeeds and is notified (UPM-02).
    AwaitWalletConfirmation,
    /// `U PAYMENT_IN_PROCESS`, and the payment stays in process: inquiries keep answering `U`
    /// until the ACQP cancels (UPM-04).
    NeverConfirm,
    /// The first answer is `U UNKNOWN_EXCEPTION` although the payment succeeded; a repeat or an
    /// inquiry shows `S` (UPM-05).
    UnknownThenSucceed,
    /// `S SUCCESS`, held for `delay_secs` (past any sane client timeout). The payment is in
    /// process meanwhile and succeeds when the answer is sent, unless cancelled first (UPM-06).
    SlowAnswer {
        /// How long the answer is held; 30 s unless the run says otherwise.
        #[serde(default = "default_slow_answer_secs")]
        delay_secs: u64,
    },
    /// `F EXPIRED_CODE`: the wallet showed a code past its validity (UPM-07).
    ExpiredCode,
    /// `U PAYMENT_IN_PROCESS` with the order code or `paymentUrl`: the payment waits for the
    /// customer, as [`Sandbox::customer`] scripts (MOC-*, MEC-01, CSH-*).
    AwaitCustomer,
}

fn default_slow_answer_secs() -> u64 {
    30
}

/// What the customer does with an order code, entry page or cashier page.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(tag = "behaviour", rename_all = "kebab-case", deny_unknown_fields)]
pub enum CustomerBehaviour {
    /// Scans or opens and pays; the payment succeeds (MOC-01, MPC-01, MEC-01, CSH-01).
    #[default]
    Pays,
    /// Scans or opens, then leaves without paying: the payment stays in process until it
    /// expires or the ACQP cancels it (MOC-02, CSH-02).
    BacksOut,
    /// Scans and pays, but the payment fails with `code` (MOC-03 with
    /// `USER_BALANCE_NOT_ENOUGH`).
    PayFails {
        /// The failure code, a known `F` code.
        #[serde(deserialize_with = "failure_code", serialize_with = "code_name")]
        code: ResultCode,
    },
    /// Scans only after the order's expiry: the wallet is told the code expired, and the
    /// payment fails with reason `expired` at expiry (MOC-05).
    ScansAfterExpiry,
    /// Scans a private order code the ACQP never issued (MPC-02).
    ScansUnknownCode,
}

/// How notifyPayment is delivered once the payment is final.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(tag = "behaviour", rename_all = "kebab-case", deny_unknown_fields)]
pub enum NotifyBehaviour {
    /// One genuine notification, retried on the project's schedule until acked (most cases).
    #[default]
    Deliver,
    /// No notification at all: the ACQP must inquire (MOC-04).
    Withhold,
    /// First a notification with a bad signature, then the genuine one (NTF-01).
    ForgedThenGenuine,
    /// The same genuine notification twice (NTF-02).
    Twice,
}

/// How `refund` is answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(tag = "behaviour", rename_all = "kebab-case", deny_unknown_fields)]
pub enum RefundBehaviour {
    /// By the protocol: `S` while the refunds stay within the paid amount, else
    /// `F REFUND_AMOUNT_EXCEED` (RFD-01, RFD-02).
    #[default]
    Normal,
    /// The run's first refund is processed but answered `U UNKNOWN_EXCEPTION`; a retry with the
    /// same `refundRequestId` answers `S` (RFD-03).
    UnknownOnce,
}

/// How `cancelPayment` is answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(tag = "behaviour", rename_all = "kebab-case", deny_unknown_fields)]
pub enum CancelBehaviour {
    /// By the protocol: `S`, and the payment is cancelled (UPM-04, CAN-01, MOC-02).
    #[default]
    Normal,
    /// The first cancel of a payment is answered `U UNKNOWN_EXCEPTION` and changes nothing;
    /// later ones are normal (CAN-02).
    UnknownOnce,
}

/// How often the hub asks the ACQP about a scanned private order code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(tag = "behaviour", rename_all = "kebab-case", deny_unknown_fields)]
pub enum UserInitiatedPayBehaviour {
    /// One `userInitiatedPay` per scan (MPC-02).
    #[default]
    Once,
    /// The same `userInitiatedPay` twice, as a wallet retry would: the ACQP must return the same
    /// order both times (MPC-01).
    Twice,
}

/// What a run starts with before the case proper.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "behaviour", rename_all = "kebab-case", deny_unknown_fields)]
pub enum Prelude {
    /// The merchant first makes a paid payment of their own (UPM, or an order code when the
    /// merchant has only MPM products); the case's refunds, cancels or notifications concern
    /// that payment (RFD-*, CAN-*, NTF-*).
    PaidPayment,
}

/// A behaviour enum the catalogue names: the kind (for errors) and the known names.
trait Named: DeserializeOwned + Serialize {
    const KIND: &'static str;
    const NAMES: &'static [&'static str];
}

impl Named for PayBehaviour {
    const KIND: &'static str = "pay behaviour";
    const NAMES: &'static [&'static str] = &[
        "succeed",
        "decline",
        "await-wallet-confirmation",
        "never-confirm",
        "unknown-then-succeed",
        "slow-answer",
        "expired-code",
        "await-customer",
    ];
}
impl Named for CustomerBehaviour {
    const KIND: &'static str = "customer behaviour";
    const NAMES: &'static [&'static str] = &[
        "pays",
        "backs-out",
        "pay-fails",
        "scans-after-expiry",
        "scans-unknown-code",
    ];
}
impl Named for NotifyBehaviour {
    const KIND: &'static str = "notify behaviour";
    const NAMES: &'static [&'static str] = &["deliver", "withhold", "forged-then-genuine", "twice"];
}
impl Named for RefundBehaviour {
    const KIND: &'static str = "refund behaviour";
    const NAMES: &'static [&'static str] = &["normal", "unknown-once"];
}
impl Named for CancelBehaviour {
    const KIND: &'static str = "cancel behaviour";
    const NAMES: &'static [&'static str] = &["normal", "unknown-once"];
}
impl Named for UserInitiatedPayBehaviour {
    const KIND: &'static str = "user_initiated_pay behaviour";
    const NAMES: &'static [&'static str] = &["once", "twice"];
}
impl Named for Prelude {
    const KIND: &'static str = "prelude";
    const NAMES: &'static [&'static str] = &["paid-payment"];
}

/// Reads `"name"` or `{ behaviour = "name", ... }`, rejecting unknown names by kind.
fn named<'de, D: Deserializer<'de>, T: Named>(deserializer: D) -> Result<T, D::Error> {
    let value = toml::Value::deserialize(deserializer)?;
    let value = match value {
        toml::Value::String(name) => {
            let mut table = toml::Table::new();
            table.insert("behaviour".to_owned(), toml::Value::String(name));
            toml::Value::Table(table)
        }
        other => other,
    };
    let name = value
        .get("behaviour")
        .and_then(toml::Value::as_str)
        .ok_or_else(|| D::Error::custom(format!("{} needs a `behaviour` name", T::KIND)))?
        .to_owned();
    if !T::NAMES.contains(&name.as_str()) {
        return Err(D::Error::custom(format!(
            "unknown {} {name:?} (known: {})",
            T::KIND,
            T::NAMES.join(", ")
        )));
    }
    let parsed: T = value.clone().try_into().map_err(|e: toml::de::Error| {
        D::Error::custom(format!("{} {name:?}: {}", T::KIND, e.message()))
    })?;
    reject_extra_keys(&value, &parsed)
        .map_err(|key| D::Error::custom(format!("{} {name:?}: unknown field `{key}`", T::KIND)))?;
    Ok(parsed)
}

/// The first key of `input` that `parsed` does not have: serde ignores extra keys next to a
/// unit variant of an internally tagged enum even with `deny_unknown_fields`, so the catalogue
/// compares the input's keys with the parsed value's (which serializes defaults too).
pub(crate) fn reject_extra_keys<T: Serialize>(
    input: &toml::Value,
    parsed: &T,
) -> Result<(), String> {
    let Some(input) = input.as_table() else {
        return Ok(());
    };
    let known = toml::Value::try_from(parsed).map_err(|e| e.to_string())?;
    match input
        .keys()
        .find(|k| known.as_table().is_none_or(|t| !t.contains_key(*k)))
    {
        Some(key) => Err(key.clone()),
        None => Ok(()),
    }
}

fn named_opt<'de, D: Deserializer<'de>, T: Named>(deserializer: D) -> Result<Option<T>, D::Error> {
    named(deserializer).map(Some)
}

/// Reads a result code that must be a known `F` code.
fn failure_code<'de, D: Deserializer<'de>>(deserializer: D) -> Result<ResultCode, D::Error> {
    let text = String::deserialize(deserializer)?;
    let code = ResultCode::parse(&text);
    match code.status() {
        Some(ResultStatus::Failure) => Ok(code),
        Some(status) => Err(D::Error::custom(format!(
            "result code {text:?} has status {status}, a decline needs an F code"
        ))),
        None => Err(D::Error::custom(format!("unknown result code {text:?}"))),
    }
}

fn code_name<S: serde::Serializer>(code: &ResultCode, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(code.as_str())
}

// ---------------------------------------------------------------------------------------------
// Decisions: what the hub does, as lookups.

/// A `pay` the hub must answer, as the hub knows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PayAttempt {
    /// An earlier `pay` with the same `paymentRequestId` in this run, if any.
    pub earlier: Option<EarlierPay>,
    /// True when the payment code in the request is past its validity or already used.
    pub code_expired: bool,
}

/// What became of an earlier `pay` with the same `paymentRequestId`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EarlierPay {
    /// True when the repeat's body is the same as the first's (the idempotency fields agree).
    pub same_body: bool,
    /// The payment's state now.
    pub state: PaymentState,
    /// The payment's failure code, when it failed.
    pub failure: Option<ResultCode>,
}

/// How to answer a `pay`, and what happens to the hub's payment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PayDecision {
    /// Hold the answer this many seconds first.
    pub delay_secs: u64,
    /// The `result` of the answer.
    pub result: ApiResult,
    /// What the hub's payment does.
    pub effect: PaymentEffect,
    /// True when the answer is scripted rather than the payment's state (record as `forced`).
    pub forced: bool,
}

/// What happens to the hub's payment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PaymentEffect {
    /// It succeeds now (after the delay, if any, unless cancelled meanwhile); notify per plan.
    Succeed,
    /// It fails with this code; notify per plan.
    Fail(ResultCode),
    /// It waits in process for the customer's confirmation in the wallet; then
    /// [`Sandbox::customer_outcome`] says what happens.
    AwaitWallet,
    /// It waits in process for the customer (order code, entry page, cashier page) until
    /// [`Sandbox::order_expiry_secs`]; [`Sandbox::customer_outcome`] says what happens.
    AwaitCustomer,
    /// It stays in process until the ACQP cancels it.
    StayOpen,
    /// Nothing changes (a repeat or a rejected request).
    None,
}

/// The hub's payment as an inquiry or repeat sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaymentView {
    /// Its state.
    pub state: PaymentState,
    /// Its failure code, when it failed.
    pub failure: Option<ResultCode>,
}

/// How to answer an `inquiryPayment`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InquiryAnswer {
    /// The `result` (S when the payment exists).
    pub result: ApiResult,
    /// The `paymentResult`, present when `result` is S.
    pub payment_result: Option<ApiResult>,
}

/// A `refund` the hub must answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefundAttempt {
    /// 1 for the run's first refund call, 2 for the next, ...
    pub call_index: u32,
    /// What became of an earlier refund with the same `refundRequestId`, if any.
    pub earlier_with_same_id: Option<RefundOutcome>,
    /// The requested amount, minor units.
    pub amount: u64,
    /// The paid amount of the payment, minor units.
    pub paid: u64,
    /// Already refunded by other `refundRequestId`s, minor units.
    pub refunded: u64,
    /// The payment's state; `None` when the payment does not exist.
    pub payment_state: Option<PaymentState>,
}

/// What became of a refund.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RefundOutcome {
    /// It refunded its amount.
    Refunded,
    /// It was rejected with this code.
    Rejected(ResultCode),
}

/// How to answer a `refund`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefundDecision {
    /// The `result` of the answer.
    pub result: ApiResult,
    /// True when the hub refunds the amount now.
    pub refunds: bool,
    /// True when the answer is scripted rather than the refund's outcome.
    pub forced: bool,
}

/// How to answer a `cancelPayment`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CancelDecision {
    /// The `result` of the answer.
    pub result: ApiResult,
    /// True when the hub cancels the payment now.
    pub cancels: bool,
    /// True when the answer is scripted.
    pub forced: bool,
}

/// One scripted delivery of notifyPayment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NotifyDelivery {
    /// Seconds after the payment became final.
    pub after_secs: u64,
    /// True for a deliberately bad signature; a forged delivery is never retried.
    pub forged: bool,
}

impl Sandbox {
    /// How to answer a `pay`. A repeat with the same `paymentRequestId` answers the payment's
    /// state (or `F REPEAT_REQ_INCONSISTENT` if its body changed); an expired or used payment
    /// code answers `F EXPIRED_CODE`; otherwise the case's [`PayBehaviour`] decides.
    pub fn pay_answer(&self, attempt: &PayAttempt) -> PayDecision {
        let plain = |result: ApiResult, effect: PaymentEffect| PayDecision {
            delay_secs: 0,
            result,
            effect,
            forced: false,
        };
        if let Some(earlier) = &attempt.earlier {
            if !earlier.same_body {
                return plain(
                    ApiResult::from_code(ResultCode::RepeatReqInconsistent),
                    PaymentEffect::None,
                );
            }
            let view = PaymentView {
                state: earlier.state,
                failure: earlier.failure.clone(),
            };
            return plain(state_result(&view), PaymentEffect::None);
        }
        if attempt.code_expired {
            return plain(
                ApiResult::from_code(ResultCode::ExpiredCode),
                PaymentEffect::Fail(ResultCode::ExpiredCode),
            );
        }
        match &self.pay {
            PayBehaviour::Succeed => plain(ApiResult::success(), PaymentEffect::Succeed),
            PayBehaviour::Decline { code } => PayDecision {
                forced: true,
                ..plain(
                    ApiResult::from_code(code.clone()),
                    PaymentEffect::Fail(code.clone()),
                )
            },
            PayBehaviour::AwaitWalletConfirmation => plain(
                ApiResult::from_code(ResultCode::PaymentInProcess),
                PaymentEffect::AwaitWallet,
            ),
            PayBehaviour::NeverConfirm => plain(
                ApiResult::from_code(ResultCode::PaymentInProcess),
                PaymentEffect::StayOpen,
            ),
            PayBehaviour::UnknownThenSucceed => PayDecision {
                forced: true,
                ..plain(
                    ApiResult::from_code(ResultCode::UnknownException),
                    PaymentEffect::Succeed,
                )
            },
            PayBehaviour::SlowAnswer { delay_secs } => PayDecision {
                delay_secs: *delay_secs,
                ..plain(ApiResult::success(), PaymentEffect::Succeed)
            },
            PayBehaviour::ExpiredCode => plain(
                ApiResult::from_code(ResultCode::ExpiredCode),
                PaymentEffect::Fail(ResultCode::ExpiredCode),
            ),
            PayBehaviour::AwaitCustomer => plain(
                ApiResult::from_code(ResultCode::PaymentInProcess),
                PaymentEffect::AwaitCustomer,
            ),
        }
    }

    /// The same sandbox with UPM-06's slow answer held `delay_secs` instead (runs may shorten
    /// it); other behaviours are unchanged.
    pub fn with_slow_answer_secs(mut self, delay_secs: u64) -> Sandbox {
        if let PayBehaviour::SlowAnswer { delay_secs: d } = &mut self.pay {
            *d = delay_secs;
        }
        self
    }

    /// How to answer an `inquiryPayment` about `payment` (`None`: no such payment, answered
    /// `F ORDER_NOT_EXIST`). Inquiries are never scripted: they tell the payment's state.
    pub fn inquiry_answer(&self, payment: Option<&PaymentView>) -> InquiryAnswer {
        match payment {
            None => InquiryAnswer {
                result: ApiResult::from_code(ResultCode::OrderNotExist),
                payment_result: None,
            },
            Some(view) => InquiryAnswer {
                result: ApiResult::success(),
                payment_result: Some(state_result(view)),
            },
        }
    }

    /// How to answer the `nth` (1-based) `cancelPayment` of a payment in `state` (`None`: no
    /// such payment, `F ORDER_NOT_EXIST`).
    pub fn cancel_answer(&self, nth: u32, state: Option<PaymentState>) -> CancelDecision {
        let Some(state) = state else {
            return CancelDecision {
                result: ApiResult::from_code(ResultCode::OrderNotExist),
                cancels: false,
                forced: false,
            };
        };
        if self.cancel == CancelBehaviour::UnknownOnce && nth == 1 {
            return CancelDecision {
                result: ApiResult::from_code(ResultCode::UnknownException),
                cancels: false,
                forced: true,
            };
        }
        if matches!(
            state,
            PaymentState::Refunded | PaymentState::PartiallyRefunded
        ) {
            return CancelDecision {
                result: ApiResult::from_code(ResultCode::OrderStatusInvalid),
                cancels: false,
                forced: false,
            };
        }
        CancelDecision {
            result: ApiResult::success(),
            cancels: state != PaymentState::Cancelled,
            forced: false,
        }
    }

    /// How to answer a `refund`: a repeat of a `refundRequestId` answers as the first did
    /// (a refund processed under RFD-03's `U` answers `S`); a new one is refunded while the
    /// total stays within the paid amount.
    pub fn refund_answer(&self, attempt: &RefundAttempt) -> RefundDecision {
        let decided = |result: ApiResult, refunds: bool| RefundDecision {
            result,
            refunds,
            forced: false,
        };
        match &attempt.earlier_with_same_id {
            Some(RefundOutcome::Refunded) => return decided(ApiResult::success(), false),
            Some(RefundOutcome::Rejected(code)) => {
                return decided(ApiResult::from_code(code.clone()), false);
            }
            None => {}
        }
        let refundable = matches!(
            attempt.payment_state,
            Some(PaymentState::Succeeded | PaymentState::PartiallyRefunded)
        );
        match attempt.payment_state {
            None => return decided(ApiResult::from_code(ResultCode::OrderNotExist), false),
            Some(_) if !refundable => {
                return decided(ApiResult::from_code(ResultCode::OrderStatusInvalid), false);
            }
            Some(_) => {}
        }
        if attempt.amount == 0 || attempt.refunded.saturating_add(attempt.amount) > attempt.paid {
            return decided(ApiResult::from_code(ResultCode::RefundAmountExceed), false);
        }
        if self.refund == RefundBehaviour::UnknownOnce && attempt.call_index == 1 {
            return RefundDecision {
                result: ApiResult::from_code(ResultCode::UnknownException),
                refunds: true,
                forced: true,
            };
        }
        decided(ApiResult::success(), true)
    }

    /// What happens when the customer acts: confirms a UPM payment in the wallet, or pays an
    /// order code, entry-code or cashier payment. [`PaymentEffect::None`] when the customer
    /// does not pay (backs out, scans too late).
    pub fn customer_outcome(&self) -> PaymentEffect {
        match &self.customer {
            CustomerBehaviour::Pays => PaymentEffect::Succeed,
            CustomerBehaviour::PayFails { code } => PaymentEffect::Fail(code.clone()),
            CustomerBehaviour::BacksOut
            | CustomerBehaviour::ScansAfterExpiry
            | CustomerBehaviour::ScansUnknownCode => PaymentEffect::None,
        }
    }

    /// The notifyPayment deliveries once the payment is final. Genuine deliveries that are not
    /// acked are retried on the project's schedule; forged ones are sent once.
    pub fn notify_plan(&self) -> Vec<NotifyDelivery> {
        let genuine = |after_secs| NotifyDelivery {
            after_secs,
            forged: false,
        };
        match self.notify {
            NotifyBehaviour::Deliver => vec![genuine(0)],
            NotifyBehaviour::Withhold => Vec::new(),
            NotifyBehaviour::ForgedThenGenuine => vec![
                NotifyDelivery {
                    after_secs: 0,
                    forged: true,
                },
                genuine(5),
            ],
            NotifyBehaviour::Twice => vec![genuine(0), genuine(5)],
        }
    }

    /// How many `userInitiatedPay` calls the hub makes for one scanned private order code.
    pub fn user_initiated_pay_calls(&self) -> u32 {
        match self.user_initiated_pay {
            UserInitiatedPayBehaviour::Once => 1,
            UserInitiatedPayBehaviour::Twice => 2,
        }
    }
}

/// The `paymentResult` that tells a payment's state.
pub fn state_result(view: &PaymentView) -> ApiResult {
    match view.state {
        PaymentState::Created | PaymentState::InProcess => {
            ApiResult::from_code(ResultCode::PaymentInProcess)
        }
        PaymentState::Succeeded | PaymentState::Refunded | PaymentState::PartiallyRefunded => {
            ApiResult::success()
        }
        PaymentState::Failed => {
            ApiResult::from_code(view.failure.clone().unwrap_or(ResultCode::ProcessFail))
        }
        PaymentState::Cancelled => ApiResult::from_code(ResultCode::OrderIsClosed),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    fn parse(text: &str) -> Result<Sandbox, String> {
        toml::from_str::<Sandbox>(text).map_err(|e| e.message().to_owned())
    }

    #[test]
    fn behaviours_read_as_names_or_tables() {
        let sandbox = parse(
            r#"
            pay = { behaviour = "decline", code = "USER_BALANCE_NOT_ENOUGH" }
            notify = "twice"
            prelude = "paid-payment"
            "#,
        )
        .unwrap();
        assert_eq!(
            sandbox.pay,
            PayBehaviour::Decline {
                code: ResultCode::UserBalanceNotEnough
            }
        );
        assert_eq!(sandbox.notify, NotifyBehaviour::Twice);
        assert_eq!(sandbox.prelude, Some(Prelude::PaidPayment));
        assert_eq!(sandbox.cancel, CancelBehaviour::Normal);
        let slow = parse(r#"pay = "slow-answer""#).unwrap();
        assert_eq!(slow.pay, PayBehaviour::SlowAnswer { delay_secs: 30 });
        assert_eq!(
            slow.with_slow_answer_secs(2).pay,
            PayBehaviour::SlowAnswer { delay_secs: 2 }
        );
    }

    #[test]
    fn unknown_behaviours_keys_and_codes_are_errors() {
        let e = parse(r#"pay = "succeeds""#).unwrap_err();
        assert!(e.contains(r#"unknown pay behaviour "succeeds""#), "{e}");
        let e = parse(r#"notifications = "twice""#).unwrap_err();
        assert!(e.contains("unknown field `notifications`"), "{e}");
        let e = parse(r#"pay = { behaviour = "decline", code = "NOPE" }"#).unwrap_err();
        assert!(e.contains(r#"unknown result code "NOPE""#), "{e}");
        let e = parse(r#"pay = { behaviour = "decline", code = "SUCCESS" }"#).unwrap_err();
        assert!(e.contains("needs an F code"), "{e}");
        let e = parse(r#"pay = { behaviour = "succeed", delay_secs = 3 }"#).unwrap_err();
        assert!(e.contains("delay_secs"), "{e}");
    }

    fn first() -> PayAttempt {
        PayAttempt {
            earlier: None,
            code_expired: false,
        }
    }

    #[test]
    fn pay_answers_follow_the_script_and_idempotency() {
        let sandbox = |pay| Sandbox {
            pay,
            ..Sandbox::default()
        };
        let d = sandbox(PayBehaviour::UnknownThenSucceed).pay_answer(&first());
        assert_eq!(d.result.result_code, ResultCode::UnknownException);
        assert_eq!(d.effect, PaymentEffect::Succeed);
        let repeat = PayAttempt {
            earlier: Some(EarlierPay {
                same_body: true,
                state: PaymentState::Succeeded,
                failure: None,
            }),
            code_expired: false,
        };
        let d = sandbox(PayBehaviour::UnknownThenSucceed).pay_answer(&repeat);
        assert_eq!(d.result.result_status, ResultStatus::Success, "{d:?}");
        let changed = PayAttempt {
            earlier: Some(EarlierPay {
                same_body: false,
                state: PaymentState::Succeeded,
                failure: None,
            }),
            code_expired: false,
        };
        let d = sandbox(PayBehaviour::Succeed).pay_answer(&changed);
        assert_eq!(d.result.result_code, ResultCode::RepeatReqInconsistent);
        let d = sandbox(PayBehaviour::NeverConfirm).pay_answer(&first());
        assert_eq!(d.result.result_code, ResultCode::PaymentInProcess);
        assert_eq!(d.effect, PaymentEffect::StayOpen);
        let d = sandbox(PayBehaviour::SlowAnswer { delay_secs: 30 }).pay_answer(&first());
        assert_eq!((d.delay_secs, d.effect), (30, PaymentEffect::Succeed));
        let d = sandbox(PayBehaviour::Succeed).pay_answer(&PayAttempt {
            earlier: None,
            code_expired: true,
        });
        assert_eq!(d.result.result_code, ResultCode::ExpiredCode);
    }

    #[test]
    fn inquiry_tells_the_state() {
        let s = Sandbox::default();
        let a = s.inquiry_answer(Some(&PaymentView {
            state: PaymentState::InProcess,
            failure: None,
        }));
        assert_eq!(
            a.payment_result.unwrap().result_code,
            ResultCode::PaymentInProcess
        );
        let a = s.inquiry_answer(None);
        assert_eq!(a.result.result_code, ResultCode::OrderNotExist);
        assert!(a.payment_result.is_none());
    }

    #[test]
    fn refund_and_cancel_scripts() {
        let s = Sandbox {
            refund: RefundBehaviour::UnknownOnce,
            cancel: CancelBehaviour::UnknownOnce,
            ..Sandbox::default()
        };
        let attempt = RefundAttempt {
            call_index: 1,
            earlier_with_same_id: None,
            amount: 1000,
            paid: 1000,
            refunded: 0,
            payment_state: Some(PaymentState::Succeeded),
        };
        let d = s.refund_answer(&attempt);
        assert_eq!(d.result.result_code, ResultCode::UnknownException);
        assert!(d.refunds, "RFD-03's U refund is processed");
        let retry = RefundAttempt {
            call_index: 2,
            earlier_with_same_id: Some(RefundOutcome::Refunded),
            payment_state: Some(PaymentState::Refunded),
            ..attempt.clone()
        };
        let d = s.refund_answer(&retry);
        assert!(d.result.is_success() && !d.refunds, "{d:?}");
        let new_id = RefundAttempt {
            call_index: 2,
            refunded: 1000,
            payment_state: Some(PaymentState::Refunded),
            ..attempt.clone()
        };
        let d = s.refund_answer(&new_id);
        assert_eq!(d.result.result_code, ResultCode::OrderStatusInvalid);
        let over = RefundAttempt {
            call_index: 3,
            amount: 400,
            refunded: 700,
            payment_state: Some(PaymentState::PartiallyRefunded),
            ..attempt
        };
        let d = Sandbox::default().refund_answer(&over);
        assert_eq!(d.result.result_code, ResultCode::RefundAmountExceed);

        let d = s.cancel_answer(1, Some(PaymentState::Succeeded));
        assert_eq!(d.result.result_code, ResultCode::UnknownException);
        assert!(!d.cancels);
        let d = s.cancel_answer(2, Some(PaymentState::Succeeded));
        assert!(d.result.is_success() && d.cancels, "{d:?}");
    }

    #[test]
    fn notify_plans() {
        let plan = |notify| {
            Sandbox {
                notify,
                ..Sandbox::default()
            }
            .notify_plan()
        };
        assert_eq!(plan(NotifyBehaviour::Withhold), vec![]);
        assert_eq!(plan(NotifyBehaviour::Deliver).len(), 1);
        let forged = plan(NotifyBehaviour::ForgedThenGenuine);
        assert!(forged[0].forged && !forged[1].forged, "{forged:?}");
        assert!(plan(NotifyBehaviour::Twice).iter().all(|d| !d.forged));
    }
}
