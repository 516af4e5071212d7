//! Evidence: binding what happens to runs. An Alipay+ exchange is bound to its run by the
//! payment code or the payment it names; calls, payment states and callbacks are appended to the
//! run's record as events.

use chrono::{DateTime, Utc};
use linker_aplus::message::Api;
use linker_cases::{Event, EventKind};

use crate::Hub;
use crate::error::HubError;
use crate::store::{Db, StoreError};

/// The text at a path of a JSON body.
fn text_at(body: &serde_json::Value, path: &[&str]) -> Option<String> {
    let mut node = body;
    for key in path {
        node = node.get(key)?;
    }
    node.as_str().map(str::to_owned)
}

/// Appends an event to a run inside the caller's transaction (so the event and what it records
/// are written together); [`Hub::append_event`] for a transaction of its own. The caller signals
/// the run's watchers once the transaction is committed.
pub(crate) fn insert_event(
    db: Db<'_>,
    run_id: &str,
    at: DateTime<Utc>,
    kind: EventKind,
    write_id: Option<&str>,
) -> Result<u32, StoreError> {
    let runs = db.runs();
    if let Some(write_id) = write_id
        && let Some(seq) = runs.event_of_write(run_id, write_id)?
    {
        return Ok(seq);
    }
    let seq = runs.next_event_seq(run_id)?;
    let event = Event { seq, at, kind };
    let text = serde_json::to_string(&event).unwrap_or_default();
    runs.insert_event(run_id, seq, at, &text, write_id)?;
    Ok(seq)
}

impl Hub {
    /// Appends an event to an open run; `write_id` makes a wallet's write idempotent (the same
    /// id again changes nothing and returns the first event's seq).
    pub fn append_event(
        &self,
        run_id: &str,
        at: DateTime<Utc>,
        kind: EventKind,
        write_id: Option<&str>,
    ) -> Result<u32, HubError> {
        Ok(self
            .store
            .transaction(|db| insert_event(db, run_id, at, kind, write_id))
            .inspect(|_| self.signal(run_id))?)
    }

    /// The run a payment code was shown for, if any.
    pub(crate) fn code_run_id(&self, project_id: &str, code: &str) -> Option<String> {
        self.store
            .db(|db| db.runs().of_code(project_id, code))
            .ok()
            .flatten()
    }

    /// Finds the run an Alipay+ exchange belongs to: by the payment code it carries (UPM `pay`),
    /// or by the payment it names (every later call), whatever else is wrong with the request.
    /// `body` is the request body, parsed; `None` when it is not JSON.
    pub fn bind_run(
        &self,
        project_id: &str,
        api: Option<Api>,
        body: Option<&serde_json::Value>,
    ) -> Option<String> {
        let value = body?;
        let text = |path: &[&str]| text_at(value, path);
        let by_code = || -> Option<String> {
            let code = text(&["paymentMethod", "paymentMethodId"])?;
            self.code_run_id(project_id, &code)
        };
        let by_payment = || -> Option<String> {
            let request_id = text(&["paymentRequestId"]);
            let payment_id = text(&["paymentId"]);
            self.store
                .db(|db| {
                    db.runs()
                        .of_payment(project_id, request_id.as_deref(), payment_id.as_deref())
                })
                .ok()
                .flatten()
        };
        // An entry-code pay belongs to the run whose wallet opened the page, even when the
        // hub refused it (so a broken pay fails the run instead of leaving it unheard).
        let by_entry_page = || -> Option<String> {
            (text(&["paymentFactor", "inStorePaymentScenario"]).as_deref() == Some("EntryCode"))
                .then(|| {
                    let mid = text(&["order", "merchant", "referenceMerchantId"]);
                    self.entry_run(project_id, mid.as_deref())
                })
                .flatten()
        };
        // Auto Debit calls belong to the run of the authorization they present.
        let by_grant = || -> Option<String> {
            use crate::store::authorizations::Grant;
            match (text(&["authCode"]), text(&["refreshToken"])) {
                (Some(code), _) => self.grant_run(project_id, Grant::AuthCode(&code)),
                (None, Some(token)) => self.grant_run(project_id, Grant::RefreshToken(&token)),
                (None, None) => None,
            }
        };
        let by_token =
            || -> Option<String> { self.token_run(project_id, &text(&["accessToken"])?) };
        // A cashier checkout's calls belong to the open Cashier run of the merchant they name.
        let by_checkout_merchant = |pointer: &[&str]| -> Option<String> {
            let cashier = api == Some(Api::ConsultPayment)
                || text(&["productCode"]).as_deref() == Some("CASHIER_PAYMENT");
            cashier.then(|| text(pointer)).flatten().and_then(|mid| {
                self.merchant_product_run(project_id, &mid, linker_cases::Product::Cashier)
            })
        };
        match api {
            Some(Api::Pay) => by_payment()
                .or_else(by_code)
                .or_else(by_entry_page)
                .or_else(|| by_checkout_merchant(&["order", "merchant", "referenceMerchantId"])),
            Some(Api::ConsultPayment) => by_checkout_merchant(&["merchant", "referenceMerchantId"]),
            Some(Api::ApplyToken) => by_grant(),
            Some(Api::CancelToken) => by_token(),
            _ => by_payment(),
        }
    }

    /// The open run of a product's case for the merchant whose MID is `mid` (the ACQP's
    /// `referenceMerchantId`): where an online checkout's calls belong before any wallet opened
    /// its page. Matched by the merchant, never by project alone.
    pub(crate) fn merchant_product_run(
        &self,
        project_id: &str,
        mid: &str,
        product: linker_cases::Product,
    ) -> Option<String> {
        let merchant = self
            .store
            .db(|db| db.merchants().by_mid(project_id, mid))
            .ok()
            .flatten()?;
        let open = self
            .store
            .db(|db| db.runs().open_of_merchant(&merchant.id))
            .ok()?;
        open.into_iter().find(|run| {
            self.open_run_case(run)
                .is_some_and(|case| case.product == product)
        })
    }

    /// Records a run payment's new state as an event of its run (when it has an open one).
    pub fn record_payment_state(&self, payment: &crate::domain::payments::Payment) {
        use crate::domain::payments::PaymentStatus;
        use linker_cases::{PaymentState, PaymentStateChange};
        let Some(run_id) = payment.run_id.as_deref() else {
            return;
        };
        if !self.run_is_open(run_id) {
            return;
        }
        let state = match payment.status {
            PaymentStatus::InProcess => PaymentState::InProcess,
            PaymentStatus::Success
                if payment.refunded_value >= payment.amount.value()
                    && payment.refunded_value > 0 =>
            {
                PaymentState::Refunded
            }
            PaymentStatus::Success if payment.refunded_value > 0 => PaymentState::PartiallyRefunded,
            PaymentStatus::Success => PaymentState::Succeeded,
            PaymentStatus::Fail => PaymentState::Failed,
            PaymentStatus::Cancelled => PaymentState::Cancelled,
        };
        let reason =
            (payment.status == PaymentStatus::Fail).then(|| payment.result_code.to_string());
        let event = EventKind::PaymentState(PaymentStateChange {
            payment_id: payment.payment_id.clone(),
            state,
            reason,
        });
        if let Err(error) = self.append_event(run_id, self.clock.now(), event, None) {
            tracing::error!(%error, run_id, "could not record a payment state");
        }
    }

    /// Records an Alipay+ call as an event of its run.
    pub(crate) fn record_call(
        &self,
        run_id: &str,
        at: DateTime<Utc>,
        api: Api,
        exchange: &crate::domain::request_log::Exchange,
        validation: Option<String>,
        ids: (Option<String>, Option<String>),
    ) {
        use linker_cases::AcqpCall;
        if !self.run_is_open(run_id) {
            return;
        }
        let signature = exchange.signature_verdict.verdict();
        let call = AcqpCall {
            api,
            request_headers: exchange.request_headers.clone(),
            request_body: exchange.request_body.clone(),
            signature,
            validation,
            response_body: exchange.response_body.clone(),
            result_code: exchange.result_code.clone().unwrap_or_default(),
            result_status: exchange.result_status.clone().unwrap_or_default(),
            forced: exchange.forced,
            payment_request_id: ids.0,
            payment_id: ids.1,
        };
        if let Err(error) = self.append_event(run_id, at, EventKind::AcqpCall(call), None) {
            tracing::error!(%error, run_id, "could not record a call");
        }
    }
}
