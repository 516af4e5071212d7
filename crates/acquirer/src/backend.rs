//! The ACQP backend: what the POS page, the POS driver and the entry-code page all call. It talks
//! to the hub as the Alipay+ spec guides: signs every request, trusts only verified answers, polls
//! politely, cancels what it gives up on, retries cancels and refunds with the same ids, and
//! answers callbacks idempotently. Faults switch single behaviours off on purpose.
//!
//! The online shop's side lives in two child modules: [`cashier`] (checkout with
//! `consultPayment` and a CASHIER_PAYMENT `pay`, the customer's return) and [`auto_debit`]
//! (link a wallet with `prepare`/`applyToken`, debit with its token, unlink with `cancelToken`).

mod auto_debit;
mod cashier;

pub(crate) use cashier::{Basket, CATALOGUE};

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, Utc};
use linker_aplus::code::PaymentCode;
use linker_aplus::code::order_code::OrderCode;
use linker_aplus::message::{
    Api, CONNECT_WALLET, CancelPaymentRequest, CancelPaymentResponse, CodeType, Env,
    InStorePaymentScenario, InquiryPaymentRequest, InquiryPaymentResponse, Merchant,
    NotifyPaymentRequest, Order, PayRequest, PayResponse, PaymentFactor, PaymentMethod,
    ProductCode, RefundRequest, RefundResponse, SettlementStrategy, Store as AplusStore,
    UserInitiatedPayRequest, UserInitiatedPayResponse,
};
use linker_aplus::time::format_wire_time;
use linker_aplus::wire::WireBool;
use linker_aplus::{Amount, ApiResult, Currency, ResultCode, ResultStatus};
use linker_pos_driver::DisplayState;
use rand::Rng;
use rand::distr::Alphanumeric;

use crate::AcquirerError;
use crate::config::{Fault, MerchantIdentity, Timing};
use crate::gateway::{Gateway, HasResult, Reply};
use crate::store::{PaymentKind, PosPayment, Store};

/// Why the POS could not do what it was asked.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PosError {
    /// The request is malformed.
    #[error("{0}")]
    BadRequest(String),
    /// No such payment.
    #[error("{0}")]
    NotFound(String),
    /// The POS cannot do this.
    #[error("{0}")]
    Unsupported(String),
    /// The backend failed.
    #[error("{0}")]
    Backend(String),
}

impl From<AcquirerError> for PosError {
    fn from(error: AcquirerError) -> PosError {
        PosError::Backend(error.to_string())
    }
}

/// Where the acquirer's callbacks and pages are.
#[derive(Debug, Clone)]
pub(crate) struct Urls {
    pub notify: String,
    pub entry_code: String,
    /// The acquirer's base URL (the shop's return pages are under it).
    pub base: String,
}

/// The backend.
pub(crate) struct Backend {
    pub store: Store,
    pub gateway: Gateway,
    pub merchant: MerchantIdentity,
    pub currency: Currency,
    pub timing: Timing,
    pub faults: BTreeSet<Fault>,
    pub urls: Urls,
    pub private_code_domain: String,
    pub private_code_digits: String,
    pub clock: Arc<dyn crate::config::Clock>,
    tasks: Mutex<Vec<tokio::task::AbortHandle>>,
    /// The checkout page's recent `consultPayment`s by id, with the amount and when: the page's
    /// "Pay" names the one it showed and needs no second one.
    consults: Mutex<std::collections::HashMap<String, (Amount, DateTime<Utc>)>>,
}

impl std::fmt::Debug for Backend {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Backend")
            .field("faults", &self.faults)
            .finish_non_exhaustive()
    }
}

/// A random id with a prefix, e.g. `pos_` + 16 characters.
pub(crate) fn new_id(prefix: &str, len: usize) -> String {
    let random: String = rand::rng()
        .sample_iter(&Alphanumeric)
        .take(len)
        .map(char::from)
        .collect();
    format!("{prefix}{random}")
}

fn random_digits(n: usize) -> String {
    let mut rng = rand::rng();
    (0..n)
        .map(|_| char::from(b'0' + rng.random_range(0..10u8)))
        .collect()
}

fn parse_time(text: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(text)
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

/// How a wait for a payment's outcome ended.
enum Watch {
    /// Settled by the watcher (paid or failed).
    Settled,
    /// Settled or taken over elsewhere (notification, cancel from the POS).
    Stopped,
    /// The deadline passed with the outcome unknown.
    Deadline,
}

impl Backend {
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn new(
        store: Store,
        gateway: Gateway,
        merchant: MerchantIdentity,
        currency: Currency,
        timing: Timing,
        faults: BTreeSet<Fault>,
        urls: Urls,
        private_code_domain: String,
        private_code_digits: String,
        clock: Arc<dyn crate::config::Clock>,
    ) -> Backend {
        Backend {
            store,
            gateway,
            merchant,
            currency,
            timing,
            faults,
            urls,
            private_code_domain,
            private_code_digits,
            clock,
            tasks: Mutex::new(Vec::new()),
            consults: Mutex::new(std::collections::HashMap::new()),
        }
    }

    fn wire_time_in(&self, duration: Duration) -> String {
        let later = self.clock.now() + chrono::Duration::from_std(duration).unwrap_or_default();
        format_wire_time(&later)
    }

    fn until(&self, at: DateTime<Utc>) -> Duration {
        (at - self.clock.now()).to_std().unwrap_or_default()
    }

    /// Waits `duration` on the acquirer's clock: a plain sleep on real time; on a clock that
    /// can be moved forward (a demo's test clock) it wakes as soon as the clock has passed the
    /// end, so a hub that skips a wait skips the acquirer's polls and retries with it, each
    /// still at least `duration` after the last on that clock.
    pub(crate) async fn pause(&self, duration: Duration) {
        crate::pause::pause(self.clock.as_ref(), duration).await;
    }

    /// Alipay+ accepted a sale but its answer lacks `what`: the POS shows the sale as failed.
    fn answer_lacks(
        &self,
        payment: &PosPayment,
        result: &linker_aplus::ApiResult,
        what: &str,
    ) -> PosError {
        let message = format!("Alipay+ answered without {what}");
        let _ = self.store.settle(
            &payment.pos_payment_id,
            DisplayState::Failed,
            Some(result.result_code.as_str()),
            &message,
            None,
        );
        PosError::Backend(message)
    }

    pub(crate) fn has(&self, fault: Fault) -> bool {
        self.faults.contains(&fault)
    }

    fn spawn(self: &Arc<Self>, work: impl std::future::Future<Output = ()> + Send + 'static) {
        let handle = tokio::spawn(work).abort_handle();
        if let Ok(mut tasks) = self.tasks.lock() {
            tasks.retain(|t| !t.is_finished());
            tasks.push(handle);
        }
    }

    /// Stops every background task (polls, retries).
    pub(crate) fn abort_tasks(&self) {
        if let Ok(mut tasks) = self.tasks.lock() {
            for task in tasks.drain(..) {
                task.abort();
            }
        }
    }

    fn check_amount(&self, amount: &Amount) -> Result<(), PosError> {
        if amount.currency() != self.currency {
            return Err(PosError::BadRequest(format!(
                "this POS sells in {}, not {}",
                self.currency.code(),
                amount.currency().code()
            )));
        }
        if amount.is_zero() {
            return Err(PosError::BadRequest("the amount must be above zero".into()));
        }
        Ok(())
    }

    fn merchant(&self, with_store: bool) -> Merchant {
        Merchant {
            reference_merchant_id: self.merchant.reference_merchant_id.clone(),
            merchant_mcc: self.merchant.mcc.clone(),
            merchant_name: self.merchant.name.clone(),
            merchant_display_name: None,
            merchant_address: None,
            merchant_register_date: None,
            store: with_store.then(|| AplusStore {
                reference_store_id: self.merchant.store_id.clone(),
                store_name: self.merchant.store_name.clone(),
                store_mcc: self.merchant.mcc.clone(),
                store_display_name: None,
                store_terminal_id: Some("POS-01".to_owned()),
                store_operator_id: None,
                store_address: None,
                store_phone_no: None,
            }),
        }
    }

    fn order(&self, payment: &PosPayment, env: Option<Env>) -> Order {
        Order {
            reference_order_id: payment.pos_payment_id.clone(),
            order_description: format!("Sale at {}", self.merchant.store_name),
            order_amount: payment.amount,
            merchant: self.merchant(true),
            env,
        }
    }

    fn pay_request(
        &self,
        payment: &PosPayment,
        scenario: InStorePaymentScenario,
        method_id: Option<String>,
        env: Option<Env>,
        expiry: Option<String>,
    ) -> PayRequest {
        PayRequest {
            product_code: ProductCode::InStorePayment,
            payment_request_id: payment.payment_request_id.clone(),
            order: self.order(payment, env),
            payment_amount: payment.amount,
            payment_method: PaymentMethod {
                payment_method_type: CONNECT_WALLET.to_owned(),
                payment_method_id: method_id,
                customer_id: None,
            },
            payment_factor: Some(PaymentFactor {
                is_in_store_payment: Some(WireBool::from(true)),
                is_cashier_payment: None,
                is_agreement_payment: None,
                in_store_payment_scenario: Some(scenario),
            }),
            payment_expiry_time: expiry,
            payment_notify_url: Some(self.urls.notify.clone()),
            payment_redirect_url: None,
            settlement_strategy: Some(SettlementStrategy {
                settlement_currency: Some(self.currency),
            }),
            user_region: None,
        }
    }

    fn pos_env(&self) -> Env {
        Env {
            terminal_type: Some("APP".to_owned()),
            user_agent: Some("LinkerAcquirerPOS/1.0".to_owned()),
            store_terminal_id: Some("POS-01".to_owned()),
            store_terminal_request_time: Some(format_wire_time(&self.clock.now())),
            ..Env::default()
        }
    }

    fn not_found(pos_payment_id: &str) -> PosError {
        PosError::NotFound(format!("no payment {pos_payment_id} on this POS"))
    }

    /// A payment by the POS's id.
    pub(crate) fn payment(&self, pos_payment_id: &str) -> Result<PosPayment, PosError> {
        self.store
            .payment(pos_payment_id)?
            .ok_or_else(|| Backend::not_found(pos_payment_id))
    }

    /// A payment by the `paymentRequestId` the backend sent to Alipay+.
    pub(crate) fn payment_by_request_id(&self, request_id: &str) -> Result<PosPayment, PosError> {
        self.store
            .payment_by_request_id(request_id)?
            .ok_or_else(|| Backend::not_found(request_id))
    }

    // ---- UPM ----

    /// Charges a scanned payment code; the outcome follows in the background.
    pub(crate) fn charge(
        self: &Arc<Self>,
        amount: Amount,
        payment_code: &str,
        run: Option<(&str, &str)>,
    ) -> Result<PosPayment, PosError> {
        self.check_amount(&amount)?;
        let code: String = payment_code
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect();
        PaymentCode::parse(&code)
            .map_err(|e| PosError::BadRequest(format!("{code:?} is not a payment code: {e}")))?;
        let payment = self.store.insert_payment(
            &new_id("pos_", 16),
            &new_id("acq", 29),
            PaymentKind::Upm,
            amount,
            "Charging the customer's payment code…",
            run.map(|r| r.0),
            run.map(|r| r.1),
        )?;
        let backend = Arc::clone(self);
        let started = payment.clone();
        self.spawn(async move { backend.run_upm(started, code).await });
        Ok(payment)
    }

    async fn run_upm(self: Arc<Self>, payment: PosPayment, code: String) {
        let request = self.pay_request(
            &payment,
            InStorePaymentScenario::PaymentCode,
            Some(code),
            Some(self.pos_env()),
            None,
        );
        let reply: Reply<PayResponse> = self.gateway.call(Api::Pay, &request).await;
        let mut doubt = match reply {
            Reply::Answered(answer) => match answer.result.result_status {
                ResultStatus::Success => {
                    self.mark_paid(&payment, answer.payment_id.as_deref());
                    return;
                }
                ResultStatus::Failure => {
                    self.mark_failed(&payment, &answer.result);
                    return;
                }
                ResultStatus::Unknown => answer.result.result_code.as_str().to_owned(),
            },
            Reply::Unknown(why) => self.in_doubt(&payment, &why),
        };
        if self.has(Fault::RetryWithChangedBody) {
            let mut changed = request.clone();
            changed.order.order_description =
                format!("{} (retry)", changed.order.order_description);
            if let Some(env) = changed.order.env.as_mut() {
                env.store_terminal_request_time = Some(format_wire_time(&self.clock.now()));
            }
            if let Reply::Answered(answer) = self
                .gateway
                .call::<_, PayResponse>(Api::Pay, &changed)
                .await
            {
                match answer.result.result_status {
                    ResultStatus::Success => {
                        self.mark_paid(&payment, answer.payment_id.as_deref());
                        return;
                    }
                    ResultStatus::Failure => {
                        self.mark_failed(&payment, &answer.result);
                        return;
                    }
                    ResultStatus::Unknown => doubt = answer.result.result_code.as_str().to_owned(),
                }
            }
        }
        let _ = self.store.set_message(
            &payment.pos_payment_id,
            "Waiting for the customer to confirm in the wallet…",
        );
        let deadline =
            self.clock.now() + chrono::Duration::from_std(self.timing.poll_for).unwrap_or_default();
        if let Watch::Deadline = self.watch(&payment, deadline).await {
            self.give_up(&payment, &doubt).await;
        }
    }

    fn mark_paid(&self, payment: &PosPayment, payment_id: Option<&str>) {
        let text = format!("Paid {}", payment.amount);
        if let Err(error) = self.store.settle(
            &payment.pos_payment_id,
            DisplayState::Paid,
            None,
            &text,
            payment_id,
        ) {
            tracing::error!(%error, "recording a paid payment");
        }
    }

    /// Alipay+ never answered the `pay` that started `payment`: the POS shows it failed with
    /// `shown`, the payment is cancelled in the background (retried until S), and the error for
    /// the POS says why.
    pub(crate) fn unanswered(
        self: &Arc<Self>,
        payment: &PosPayment,
        why: &str,
        shown: String,
    ) -> PosError {
        let _ = self.store.settle(
            &payment.pos_payment_id,
            DisplayState::Failed,
            Some("UNKNOWN"),
            &shown,
            None,
        );
        let backend = Arc::clone(self);
        let target = payment.clone();
        self.spawn(async move {
            let _ = backend.cancel_with_retries(&target).await;
        });
        PosError::Backend(format!("Alipay+ did not answer: {why}"))
    }

    /// Alipay+ gave no clear answer to a payment's `pay`: the POS says it is checking, and the
    /// doubt to resolve is `UNKNOWN`.
    pub(crate) fn in_doubt(&self, payment: &PosPayment, why: &str) -> String {
        let _ = self.store.set_message(
            &payment.pos_payment_id,
            &format!("No clear answer yet ({why}); checking…"),
        );
        "UNKNOWN".to_owned()
    }

    fn mark_failed(&self, payment: &PosPayment, result: &ApiResult) {
        if let Err(error) = self.store.settle(
            &payment.pos_payment_id,
            DisplayState::Failed,
            Some(result.result_code.as_str()),
            &result.result_message,
            None,
        ) {
            tracing::error!(%error, "recording a failed payment");
        }
    }

    /// Polls `inquiryPayment` until the payment settles, someone else takes over, or `deadline`.
    async fn watch(&self, payment: &PosPayment, deadline: DateTime<Utc>) -> Watch {
        let interval = if self.has(Fault::PollTooFast) {
            self.timing.fast_poll_interval
        } else {
            self.timing.poll_interval
        };
        loop {
            self.pause(interval).await;
            let current = match self.store.payment(&payment.pos_payment_id) {
                Ok(Some(current)) => current,
                _ => return Watch::Stopped,
            };
            if current.state != DisplayState::Waiting || current.busy.is_some() {
                return Watch::Stopped;
            }
            if self.clock.now() >= deadline {
                return Watch::Deadline;
            }
            if self.inquire(&current).await {
                return Watch::Settled;
            }
        }
    }

    /// One `inquiryPayment`; settles the payment when Alipay+ knows its outcome (true then).
    async fn inquire(&self, current: &PosPayment) -> bool {
        let inquiry = InquiryPaymentRequest {
            payment_request_id: Some(current.payment_request_id.clone()),
            payment_id: None,
        };
        let reply: Reply<InquiryPaymentResponse> =
            self.gateway.call(Api::InquiryPayment, &inquiry).await;
        let Reply::Answered(answer) = reply else {
            return false;
        };
        if !answer.result.is_success() {
            return false;
        }
        let Some(outcome) = answer.payment_result else {
            return false;
        };
        match outcome.result_status {
            ResultStatus::Success => {
                self.mark_paid(current, answer.payment_id.as_deref());
                true
            }
            // ORDER_IS_CLOSED: Alipay+ closed it unpaid (its expiry passed, or it was
            // cancelled). The watcher closes it with its own cancelPayment at its deadline, so
            // such an order ends cancelled once the cancel succeeded, never failed on a guess.
            ResultStatus::Failure
                if !matches!(
                    outcome.result_code,
                    ResultCode::OrderNotExist | ResultCode::OrderIsClosed
                ) =>
            {
                self.mark_failed(current, &outcome);
                true
            }
            _ => false,
        }
    }

    /// The outcome stayed unknown until the deadline: cancel (unless told never to).
    async fn give_up(&self, payment: &PosPayment, doubt: &str) {
        if self.has(Fault::NeverCancel) {
            let _ = self.store.settle(
                &payment.pos_payment_id,
                DisplayState::Failed,
                Some(doubt),
                "Gave up waiting; the payment was not cancelled",
                None,
            );
            return;
        }
        let _ = self.store.set_busy(
            &payment.pos_payment_id,
            Some("cancelling"),
            "Not confirmed in time: cancelling…",
        );
        match self.cancel_with_retries(payment).await {
            Ok(()) => {
                let _ = self.store.set_state(
                    &payment.pos_payment_id,
                    DisplayState::Cancelled,
                    Some(doubt),
                    "Not paid: not confirmed in time, so the payment was cancelled",
                );
            }
            Err(why) => {
                let _ = self.store.set_busy(
                    &payment.pos_payment_id,
                    None,
                    &format!("Outcome unknown and the cancel did not go through ({why}); call the acquirer"),
                );
            }
        }
    }

    /// `cancelPayment` with the same paymentRequestId until S, bounded; ORDER_NOT_EXIST means
    /// there is nothing to cancel.
    async fn cancel_with_retries(&self, payment: &PosPayment) -> Result<(), String> {
        let request = CancelPaymentRequest {
            payment_request_id: Some(payment.payment_request_id.clone()),
            payment_id: None,
        };
        let mut last = String::from("no attempt");
        for attempt in 0..self.timing.retry_attempts.max(1) {
            if attempt > 0 {
                self.pause(self.timing.retry_interval).await;
            }
            let reply: Reply<CancelPaymentResponse> =
                self.gateway.call(Api::CancelPayment, &request).await;
            match reply {
                Reply::Answered(answer) => match answer.result().result_status {
                    ResultStatus::Success => return Ok(()),
                    ResultStatus::Failure
                        if answer.result.result_code == ResultCode::OrderNotExist =>
                    {
                        return Ok(());
                    }
                    ResultStatus::Failure => {
                        return Err(format!(
                            "{}: {}",
                            answer.result.result_code, answer.result.result_message
                        ));
                    }
                    ResultStatus::Unknown => {
                        last = answer.result.result_code.as_str().to_owned();
                    }
                },
                Reply::Unknown(why) => last = why,
            }
        }
        Err(last)
    }

    // ---- Cancel and refund from the POS ----

    /// Voids a payment; the cancel runs (and is retried) in the background.
    pub(crate) fn cancel(self: &Arc<Self>, pos_payment_id: &str) -> Result<PosPayment, PosError> {
        let payment = self.payment(pos_payment_id)?;
        match payment.state {
            DisplayState::Cancelled => return Ok(payment),
            DisplayState::Waiting | DisplayState::Paid => {}
            other => {
                return Err(PosError::BadRequest(format!(
                    "a {} payment cannot be cancelled (refund it instead)",
                    other.as_str()
                )));
            }
        }
        if payment.busy.is_some() {
            return Ok(payment);
        }
        self.store
            .set_busy(pos_payment_id, Some("cancelling"), "Cancelling…")?;
        let backend = Arc::clone(self);
        let target = payment.clone();
        self.spawn(async move {
            match backend.cancel_with_retries(&target).await {
                Ok(()) => {
                    let _ = backend.store.set_state(
                        &target.pos_payment_id,
                        DisplayState::Cancelled,
                        None,
                        "Cancelled: not paid",
                    );
                }
                Err(why) => {
                    let _ = backend.store.set_busy(
                        &target.pos_payment_id,
                        None,
                        &format!("Cancel failed: {why}"),
                    );
                }
            }
        });
        self.payment(pos_payment_id)
    }

    /// Refunds all or part of a paid payment; the refund runs (and is retried with the same
    /// refundRequestId) in the background. Returns the refund's POS id.
    pub(crate) fn refund(
        self: &Arc<Self>,
        pos_payment_id: &str,
        amount: Amount,
    ) -> Result<String, PosError> {
        self.check_amount(&amount)?;
        let payment = self.payment(pos_payment_id)?;
        if !matches!(
            payment.state,
            DisplayState::Paid | DisplayState::PartiallyRefunded
        ) {
            return Err(PosError::BadRequest(format!(
                "only a paid payment can be refunded; this one is {}",
                payment.state.as_str()
            )));
        }
        let pos_refund_id = new_id("ref_", 16);
        let refund_request_id = new_id("rfd", 29);
        self.store.insert_refund(
            &pos_refund_id,
            &refund_request_id,
            pos_payment_id,
            amount.value(),
        )?;
        self.store
            .set_message(pos_payment_id, &format!("Refunding {amount}…"))?;
        let backend = Arc::clone(self);
        let refund_id = pos_refund_id.clone();
        self.spawn(async move {
            backend
                .run_refund(payment, refund_id, refund_request_id, amount)
                .await;
        });
        Ok(pos_refund_id)
    }

    async fn run_refund(
        &self,
        payment: PosPayment,
        pos_refund_id: String,
        refund_request_id: String,
        amount: Amount,
    ) {
        let request = RefundRequest {
            payment_request_id: Some(payment.payment_request_id.clone()),
            payment_id: None,
            refund_request_id,
            refund_amount: amount,
            refund_reason: Some("Refund at the POS".to_owned()),
        };
        let mut last = String::from("no attempt");
        let mut outcome: Option<Result<Option<String>, ApiResult>> = None;
        for attempt in 0..self.timing.retry_attempts.max(1) {
            if attempt > 0 {
                self.pause(self.timing.retry_interval).await;
            }
            match self
                .gateway
                .call::<_, RefundResponse>(Api::Refund, &request)
                .await
            {
                Reply::Answered(answer) => match answer.result.result_status {
                    ResultStatus::Success => {
                        outcome = Some(Ok(answer.refund_id.clone()));
                        break;
                    }
                    ResultStatus::Failure => {
                        outcome = Some(Err(answer.result.clone()));
                        break;
                    }
                    ResultStatus::Unknown => last = answer.result.result_code.as_str().to_owned(),
                },
                Reply::Unknown(why) => last = why,
            }
        }
        let id = &payment.pos_payment_id;
        match outcome {
            Some(Ok(refund_id)) => {
                let _ = self
                    .store
                    .finish_refund(&pos_refund_id, true, None, refund_id.as_deref());
                if let Ok(Some(now)) = self.store.payment(id) {
                    let full = now.refunded_value >= now.amount.value();
                    let (state, text) = if full {
                        (DisplayState::Refunded, format!("Refunded {}", now.amount))
                    } else {
                        (
                            DisplayState::PartiallyRefunded,
                            format!(
                                "Refunded {amount}; {} refunded of {}",
                                minor(now.amount, now.refunded_value),
                                now.amount
                            ),
                        )
                    };
                    let _ = self.store.set_state(id, state, None, &text);
                }
            }
            Some(Err(result)) => {
                let _ = self.store.finish_refund(
                    &pos_refund_id,
                    false,
                    Some(result.result_code.as_str()),
                    None,
                );
                let _ = self.store.set_message(
                    id,
                    &format!(
                        "Refund of {amount} refused: {} ({})",
                        result.result_code, result.result_message
                    ),
                );
            }
            None => {
                let _ = self.store.set_message(
                    id,
                    &format!("Refund of {amount} not confirmed ({last}); it stays pending"),
                );
            }
        }
    }

    // ---- Order codes ----

    /// Asks Alipay+ for an order code and shows it; polling and expiry follow in the background.
    pub(crate) async fn order_code(
        self: &Arc<Self>,
        amount: Amount,
        run: Option<(&str, &str)>,
    ) -> Result<PosPayment, PosError> {
        self.check_amount(&amount)?;
        let payment = self.store.insert_payment(
            &new_id("pos_", 16),
            &new_id("acq", 29),
            PaymentKind::OrderCode,
            amount,
            "Asking Alipay+ for an order code…",
            run.map(|r| r.0),
            run.map(|r| r.1),
        )?;
        let request = self.pay_request(
            &payment,
            InStorePaymentScenario::OrderCode,
            None,
            Some(self.pos_env()),
            Some(self.wire_time_in(self.timing.order_validity)),
        );
        let reply: Reply<PayResponse> = self.gateway.call(Api::Pay, &request).await;
        let answer = match reply {
            Reply::Answered(answer) => answer,
            Reply::Unknown(why) => {
                let _ = self.store.settle(
                    &payment.pos_payment_id,
                    DisplayState::Failed,
                    Some("UNKNOWN"),
                    &format!("No order code: {why}"),
                    None,
                );
                let backend = Arc::clone(self);
                let target = payment.clone();
                self.spawn(async move {
                    let _ = backend.cancel_with_retries(&target).await;
                });
                return Err(PosError::Backend(format!(
                    "Alipay+ gave no order code: {why}"
                )));
            }
        };
        if answer.result.result_status == ResultStatus::Failure {
            self.mark_failed(&payment, &answer.result);
            return Err(PosError::Backend(format!(
                "Alipay+ refused the order code: {} {}",
                answer.result.result_code, answer.result.result_message
            )));
        }
        let form = answer.order_code_form.as_ref();
        let code = form
            .and_then(|f| f.code_details.first())
            .map(|d| d.code_value.clone());
        let expire = form.and_then(|f| f.expire_time.clone());
        let Some(code) = code else {
            return Err(self.answer_lacks(&payment, &answer.result, "an order code"));
        };
        self.store.set_code(
            &payment.pos_payment_id,
            Some(&code),
            expire.as_deref(),
            answer.payment_id.as_deref(),
        )?;
        if answer.result.is_success() {
            self.mark_paid(&payment, answer.payment_id.as_deref());
        } else {
            self.store.set_message(
                &payment.pos_payment_id,
                "Waiting for the customer to scan and pay…",
            )?;
            let deadline = expire.as_deref().and_then(parse_time).unwrap_or_else(|| {
                self.clock.now()
                    + chrono::Duration::from_std(self.timing.order_validity).unwrap_or_default()
            });
            let backend = Arc::clone(self);
            let watched = payment.clone();
            self.spawn(async move { backend.watch_until_expiry(watched, deadline).await });
        }
        self.payment(&payment.pos_payment_id)
    }

    /// Polls until the code's expiry, then closes the order with a cancel.
    async fn watch_until_expiry(self: Arc<Self>, payment: PosPayment, expiry: DateTime<Utc>) {
        if let Watch::Deadline = self.watch(&payment, expiry).await {
            self.give_up(&payment, "EXPIRED").await;
        }
    }

    // ---- Private order codes ----

    /// Issues a private order code for the amount; Alipay+ will ask about it with
    /// userInitiatedPay.
    pub(crate) fn private_order_code(
        self: &Arc<Self>,
        amount: Amount,
        run: Option<(&str, &str)>,
    ) -> Result<PosPayment, PosError> {
        self.check_amount(&amount)?;
        let token = new_id("", 16);
        let code = OrderCode::build(
            &self.private_code_domain,
            &self.private_code_digits,
            &random_digits(4),
            &token,
        )
        .map_err(|e| PosError::Backend(format!("cannot build a private order code: {e}")))?;
        let payment = self.store.insert_payment(
            &new_id("pos_", 16),
            &new_id("acq", 29),
            PaymentKind::PrivateOrderCode,
            amount,
            "Waiting for the customer to scan…",
            run.map(|r| r.0),
            run.map(|r| r.1),
        )?;
        let expires = self.clock.now()
            + chrono::Duration::from_std(self.timing.private_code_validity).unwrap_or_default();
        let expire_text = format_wire_time(&expires);
        self.store
            .insert_private_code(&code.url, &payment.pos_payment_id, &expire_text)?;
        self.store.set_code(
            &payment.pos_payment_id,
            Some(&code.url),
            Some(&expire_text),
            None,
        )?;
        let backend = Arc::clone(self);
        let watched = payment.clone();
        self.spawn(async move { backend.watch_private_code(watched, expires).await });
        self.payment(&payment.pos_payment_id)
    }

    /// Until the first userInitiatedPay nobody knows the code; from then on, poll like an order
    /// code until expiry.
    async fn watch_private_code(self: Arc<Self>, payment: PosPayment, expiry: DateTime<Utc>) {
        loop {
            let asked = self
                .store
                .private_code_of(&payment.pos_payment_id)
                .ok()
                .flatten()
                .is_some_and(|c| c.asked > 0);
            if asked {
                let current = self.store.payment(&payment.pos_payment_id).ok().flatten();
                let watched = current.unwrap_or(payment);
                if let Watch::Deadline = self.watch(&watched, expiry).await {
                    self.give_up(&watched, "EXPIRED").await;
                }
                return;
            }
            if self.clock.now() >= expiry {
                let _ = self.store.settle(
                    &payment.pos_payment_id,
                    DisplayState::Cancelled,
                    Some("EXPIRED"),
                    "The code expired unscanned: not paid",
                    None,
                );
                return;
            }
            self.pause(
                self.timing
                    .poll_interval
                    .min(self.until(expiry))
                    .max(Duration::from_millis(50)),
            )
            .await;
        }
    }

    /// Answers userInitiatedPay: the order behind a code this POS issued, the same order for the
    /// same code within its validity, ORDER_NOT_EXIST otherwise.
    pub(crate) fn user_initiated_pay(
        &self,
        request: &UserInitiatedPayRequest,
    ) -> UserInitiatedPayResponse {
        let refuse = |message: &str| {
            let mut answer = empty_uip(ApiResult::failure(ResultCode::OrderNotExist, message));
            answer.code_type = None;
            answer
        };
        let code = match self.store.ask_private_code(request.code_value.trim()) {
            Ok(Some(code)) => code,
            Ok(None) => return refuse("this acquirer never issued this code"),
            Err(error) => {
                return empty_uip(ApiResult::unknown(
                    ResultCode::UnknownException,
                    format!("the acquirer's store failed: {error}"),
                ));
            }
        };
        if parse_time(&code.expires_at).is_some_and(|at| self.clock.now() >= at) {
            return refuse("this code has expired");
        }
        let Ok(Some(mut payment)) = self.store.payment(&code.pos_payment_id) else {
            return refuse("this code's order is gone");
        };
        if payment.state != DisplayState::Waiting {
            return refuse("this code's order is closed");
        }
        if code.asked > 1 && self.has(Fault::LoseUserInitiatedPayIdempotency) {
            let fresh = new_id("acq", 29);
            if self
                .store
                .set_request_id(&payment.pos_payment_id, &fresh)
                .is_ok()
            {
                payment.payment_request_id = fresh;
            }
        }
        let _ = self.store.set_message(
            &payment.pos_payment_id,
            "The customer scanned the code; waiting for payment…",
        );
        UserInitiatedPayResponse {
            result: ApiResult::success(),
            code_type: Some(CodeType::OrderCode),
            payment_request_id: Some(payment.payment_request_id.clone()),
            order: Some(self.order(&payment, None)),
            payment_amount: Some(payment.amount),
            payment_factor: Some(PaymentFactor {
                is_in_store_payment: Some(WireBool::from(true)),
                is_cashier_payment: None,
                is_agreement_payment: None,
                in_store_payment_scenario: Some(InStorePaymentScenario::OrderCode),
            }),
            payment_notify_url: Some(self.urls.notify.clone()),
            payment_expiry_time: Some(code.expires_at.clone()),
            settlement_strategy: Some(SettlementStrategy {
                settlement_currency: Some(self.currency),
            }),
        }
    }

    // ---- Entry code ----

    /// The wallet submitted an amount on the entry-code page: `pay` (EntryCode) with the wallet's
    /// User-Agent; returns the paymentUrl to redirect to.
    pub(crate) async fn entry_pay(
        self: &Arc<Self>,
        amount: Amount,
        user_agent: &str,
    ) -> Result<(PosPayment, String), PosError> {
        self.check_amount(&amount)?;
        let payment = self.store.insert_payment(
            &new_id("pos_", 16),
            &new_id("acq", 29),
            PaymentKind::EntryCode,
            amount,
            "The customer is paying on the entry-code page…",
            None,
            None,
        )?;
        let env = Env {
            terminal_type: Some("WAP".to_owned()),
            user_agent: Some(user_agent.to_owned()),
            ..Env::default()
        };
        let request = self.pay_request(
            &payment,
            InStorePaymentScenario::EntryCode,
            None,
            Some(env),
            Some(self.wire_time_in(self.timing.order_validity)),
        );
        let answer = match self
            .gateway
            .call::<_, PayResponse>(Api::Pay, &request)
            .await
        {
            Reply::Answered(answer) => answer,
            Reply::Unknown(why) => return Err(self.unanswered(&payment, &why, why.clone())),
        };
        if answer.result.result_status == ResultStatus::Failure {
            self.mark_failed(&payment, &answer.result);
            return Err(PosError::Backend(format!(
                "Alipay+ refused the payment: {} {}",
                answer.result.result_code, answer.result.result_message
            )));
        }
        let Some(url) = answer.payment_url.clone() else {
            return Err(self.answer_lacks(&payment, &answer.result, "a paymentUrl"));
        };
        self.store.set_code(
            &payment.pos_payment_id,
            None,
            None,
            answer.payment_id.as_deref(),
        )?;
        if answer.result.is_success() {
            self.mark_paid(&payment, answer.payment_id.as_deref());
        } else {
            let deadline = self.clock.now()
                + chrono::Duration::from_std(self.timing.order_validity).unwrap_or_default();
            let backend = Arc::clone(self);
            let watched = payment.clone();
            self.spawn(async move { backend.watch_until_expiry(watched, deadline).await });
        }
        Ok((self.payment(&payment.pos_payment_id)?, url))
    }

    // ---- Notifications ----

    /// Records a verified notifyPayment once and applies it to the payment it reports.
    pub(crate) fn take_notification(
        &self,
        notification: &NotifyPaymentRequest,
        body: &str,
    ) -> Result<(), AcquirerError> {
        let result = &notification.payment_result;
        let first = self.store.record_notification(
            &notification.payment_request_id,
            &notification.payment_id,
            result.result_status.as_str(),
            result.result_code.as_str(),
            body,
        )?;
        if !first {
            return Ok(());
        }
        let Some(payment) = self
            .store
            .payment_by_request_id(&notification.payment_request_id)?
        else {
            tracing::warn!(payment_request_id = %notification.payment_request_id, "notification for a payment this POS does not know");
            return Ok(());
        };
        match result.result_status {
            ResultStatus::Success => {
                self.store.settle(
                    &payment.pos_payment_id,
                    DisplayState::Paid,
                    None,
                    &format!("Paid {}", payment.amount),
                    Some(&notification.payment_id),
                )?;
            }
            ResultStatus::Failure => {
                self.store.settle(
                    &payment.pos_payment_id,
                    DisplayState::Failed,
                    Some(result.result_code.as_str()),
                    &result.result_message,
                    Some(&notification.payment_id),
                )?;
            }
            ResultStatus::Unknown => {}
        }
        Ok(())
    }

    /// Resumes watching payments left waiting by an earlier run of the acquirer, and the
    /// `applyToken` or `cancelToken` it left under way.
    pub(crate) fn resume(self: &Arc<Self>) -> Result<(), AcquirerError> {
        self.resume_bindings()?;
        for payment in self.store.waiting_payments()? {
            let backend = Arc::clone(self);
            if payment.busy.is_some() {
                let _ = self
                    .store
                    .set_busy(&payment.pos_payment_id, None, &payment.message);
            }
            let expiry = payment
                .expire_time
                .as_deref()
                .and_then(parse_time)
                .unwrap_or_else(|| {
                    self.clock.now()
                        + chrono::Duration::from_std(self.timing.poll_for).unwrap_or_default()
                });
            match payment.kind {
                PaymentKind::PrivateOrderCode => {
                    self.spawn(async move { backend.watch_private_code(payment, expiry).await });
                }
                _ => {
                    self.spawn(async move { backend.watch_until_expiry(payment, expiry).await });
                }
            }
        }
        Ok(())
    }
}

fn minor(amount: Amount, value: u64) -> String {
    Amount::new(amount.currency(), value).map_or_else(|_| value.to_string(), |a| a.to_string())
}

fn empty_uip(result: ApiResult) -> UserInitiatedPayResponse {
    UserInitiatedPayResponse {
        result,
        code_type: None,
        payment_request_id: None,
        order: None,
        payment_amount: None,
        payment_factor: None,
        payment_notify_url: None,
        payment_expiry_time: None,
        settlement_strategy: None,
    }
}
