//! `pay`: creates the payment (or answers a repeat with the same `paymentRequestId`), one file
//! per scenario: `payment_code` (UPM), `order_code` (MPM), `cashier` (entry code and cashier
//! pages), `agreement` (Auto Debit).

mod agreement;
mod cashier;
mod order_code;
mod payment_code;

use chrono::{DateTime, Utc};
use linker_aplus::code::PaymentCode;
use linker_aplus::message::{PayRequest, PayResponse, PayScenario};
use linker_aplus::{ApiResult, ResultCode};
use linker_cases::NotifyBehaviour;

use super::{DEFAULT_PAYMENT_EXPIRY, Payment, PaymentKey, PaymentStatus, internal};
use crate::Hub;
use crate::domain::api_outcome::ApiOutcome;
use crate::domain::projects::Project;
use crate::error::HubError;
use crate::store::{Db, StoreError};
use linker_aplus::time::beijing;

/// What is made or looked up before the pay's transaction (the store is not re-entrant).
struct Prepared {
    /// The new payment's id.
    payment_id: String,
    /// The token an order code ends with.
    order_token: String,
    /// For an entry-code pay: the run whose wallet opened the page.
    entry_run: Option<String>,
    /// For a payment-code pay: the open run the code was shown for, with its script.
    code_run: Option<(String, linker_cases::Sandbox)>,
    /// For an Auto Debit pay: the open run of the authorization behind its token.
    token_run: Option<String>,
    /// The wallet of the open run of the merchant the pay names, if any: the wallet a payment
    /// that joins no run yet is played by (an order code waits for that run's wallet to scan).
    merchant_wallet: Option<String>,
}

/// What a run's script decided about the pay answer.
#[derive(Debug, Default)]
struct Script {
    /// The answer to give instead, and whether it is a scripted (forced) one.
    answer: Option<(ApiResult, bool)>,
    /// Hold the answer this many seconds (UPM-06).
    hold: Option<u64>,
}

/// What the pay's transaction did.
enum Created {
    /// A payment with this `paymentRequestId` exists.
    Repeat(Payment),
    /// A new payment, with its run's script.
    New(Payment, Script),
}

/// A pay's answer: the response, whether it was forced by a script, and the payment it created.
type PayAnswer = (PayResponse, bool, Option<Payment>);

/// The part of a pay request that must not change between retries with the same
/// `paymentRequestId` (spec: amount, factor, settlement strategy, payment method type).
fn fingerprint(request: &PayRequest) -> serde_json::Value {
    serde_json::json!({
        "paymentAmount": request.payment_amount,
        "paymentFactor": request.payment_factor,
        "settlementStrategy": request.settlement_strategy,
        "paymentMethodType": request.payment_method.payment_method_type,
    })
}

fn scenario_name(scenario: PayScenario) -> &'static str {
    match scenario {
        PayScenario::PaymentCode => "paymentCode",
        PayScenario::OrderCode => "orderCode",
        PayScenario::EntryCode => "entryCode",
        PayScenario::InStoreUnspecified => "inStore",
        PayScenario::Cashier => "cashier",
        PayScenario::AutoDebit => "autoDebit",
    }
}

fn differing_fields(old: &serde_json::Value, new: &serde_json::Value) -> String {
    let names: Vec<&str> = [
        "paymentAmount",
        "paymentFactor",
        "settlementStrategy",
        "paymentMethodType",
    ]
    .into_iter()
    .filter(|name| old.get(name) != new.get(name))
    .collect();
    if names.is_empty() {
        "body".to_owned()
    } else {
        names.join(", ")
    }
}

/// The new payment a pay makes, waiting for the customer until its scenario decides.
fn new_payment(
    project: &Project,
    request: &PayRequest,
    payment_id: String,
    fingerprint: serde_json::Value,
    now: DateTime<Utc>,
) -> Payment {
    Payment {
        payment_id,
        project_id: project.id.clone(),
        payment_request_id: request.payment_request_id.clone(),
        scenario: scenario_name(request.scenario()).to_owned(),
        amount: request.payment_amount,
        fingerprint,
        status: PaymentStatus::InProcess,
        result_code: ResultCode::PaymentInProcess,
        result_message: "waiting for the customer".to_owned(),
        customer_id: None,
        code_value: None,
        payment_url: None,
        notify_url: request.payment_notify_url.clone(),
        created_at: now,
        expires_at: None,
        paid_at: None,
        closed_at: None,
        refunded_value: 0,
        run_id: None,
        wallet: None,
    }
}

/// The wallet a payment code's Linker routing number names (`281105...` is GCASH's), for a
/// payment-code pay; `None` for TEST_WALLET's codes and for codes of no wallet Linker plays.
fn code_wallet(payment: &Payment) -> Option<String> {
    if payment.scenario != scenario_name(PayScenario::PaymentCode) {
        return None;
    }
    let code = PaymentCode::parse(payment.code_value.as_deref()?).ok()?;
    code.linker_wallet()
        .filter(|wallet| !wallet.is_test_wallet())
        .map(|wallet| wallet.name.to_owned())
}

/// How long a payment waits for the customer: the default, or the ACQP's sooner expiry.
fn waiting_until(request: &PayRequest, now: DateTime<Utc>) -> DateTime<Utc> {
    request
        .payment_expiry_time
        .as_deref()
        .and_then(|t| linker_aplus::time::parse_wire_time(t).ok())
        .map_or(now + DEFAULT_PAYMENT_EXPIRY, |t| {
            t.with_timezone(&Utc).min(now + DEFAULT_PAYMENT_EXPIRY)
        })
}

/// The answer to a repeated `paymentRequestId`: the payment as it is, or REPEAT_REQ_INCONSISTENT
/// when the key fields changed.
fn repeat_answer(
    project: &Project,
    request: &PayRequest,
    existing: &Payment,
    new_fingerprint: &serde_json::Value,
) -> PayResponse {
    if existing.fingerprint != *new_fingerprint {
        let differs = differing_fields(&existing.fingerprint, new_fingerprint);
        return PayResponse::from_result(ApiResult::failure(
            ResultCode::RepeatReqInconsistent,
            format!(
                "paymentRequestId {} was already used with a different {differs}",
                request.payment_request_id
            ),
        ));
    }
    existing.pay_response(project)
}

impl Hub {
    /// `pay`: creates the payment (or answers a repeat with the same id), by scenario.
    pub fn pay(&self, project: &Project, request: PayRequest) -> ApiOutcome {
        match self.pay_inner(project, request) {
            Ok((response, forced, created)) => {
                if let Some(payment) = created.filter(|p| p.run_id.is_some()) {
                    if let Some(run_id) = payment.run_id.as_deref()
                        && let Err(error) = self.replay_checkout_consults(&payment, run_id)
                    {
                        tracing::error!(%error, run_id, "could not bring a checkout's consults into its run");
                    }
                    self.record_payment_state(&payment);
                    self.notify_scripted_at_pay(project, &payment);
                }
                let mut outcome = ApiOutcome::of(&response);
                outcome.forced = forced;
                outcome
            }
            Err(error) => internal(error),
        }
    }

    fn pay_inner(&self, project: &Project, request: PayRequest) -> Result<PayAnswer, HubError> {
        let now = self.clock.now();
        let new_fingerprint = fingerprint(&request);
        // What the wallet's prompt shows of the pay (see `scanning.rs`), not the whole request:
        // the request log keeps that (issue 15: at most 1 KB stored per signed call).
        let body = serde_json::json!({
            "productCode": request.product_code,
            "order": {
                "orderDescription": request.order.order_description,
                "merchant": {"merchantName": request.order.merchant.merchant_name},
            },
            "paymentRedirectUrl": request.payment_redirect_url,
        })
        .to_string();
        let prepared = self.prepare_pay(project, &request, now);
        let created = self.store.transaction(|db| {
            let key = PaymentKey::RequestId(&request.payment_request_id);
            if let Some(existing) = key.find_settled(db, &project.id, now)? {
                return Ok::<_, HubError>(Created::Repeat(existing));
            }
            let mut payment = new_payment(
                project,
                &request,
                prepared.payment_id.clone(),
                new_fingerprint.clone(),
                now,
            );
            let script =
                self.apply_scenario(db, project, &request, &prepared, &mut payment, now)?;
            // The hub plays the run's wallet; a payment of no run, the wallet its payment code's
            // routing number names, else the wallet of its merchant's open run.
            payment.wallet = match payment.run_id.as_deref() {
                Some(run) => db.runs().wallet(run)?,
                None => code_wallet(&payment).or_else(|| prepared.merchant_wallet.clone()),
            };
            db.payments().insert(&payment, &body)?;
            Ok(Created::New(payment, script))
        })?;
        match created {
            Created::Repeat(existing) => Ok((
                repeat_answer(project, &request, &existing, &new_fingerprint),
                false,
                None,
            )),
            Created::New(payment, script) => self.new_payment_answer(project, payment, script),
        }
    }

    /// The ids and runs a pay needs, made or looked up before its transaction.
    fn prepare_pay(&self, project: &Project, request: &PayRequest, now: DateTime<Utc>) -> Prepared {
        let payment_id = format!(
            "{}{}",
            now.with_timezone(&beijing()).format("%Y%m%d"),
            self.ids.digits(16)
        );
        let order_token = self.ids.alphanumeric("", 20);
        let scenario = request.scenario();
        let entry_run = match scenario {
            PayScenario::EntryCode => self.entry_run(
                &project.id,
                Some(&request.order.merchant.reference_merchant_id),
            ),
            // A checkout joins its merchant's open Cashier run now; else the run whose wallet
            // opens its page.
            PayScenario::Cashier => self.merchant_product_run(
                &project.id,
                &request.order.merchant.reference_merchant_id,
                linker_cases::Product::Cashier,
            ),
            _ => None,
        };
        let code_run = match scenario {
            PayScenario::PaymentCode => request
                .payment_method
                .payment_method_id
                .as_deref()
                .and_then(|code| self.code_run(&project.id, code)),
            _ => None,
        };
        // An Auto Debit payment joins the run of the authorization behind its token.
        let token_run = match scenario {
            PayScenario::AutoDebit => request
                .payment_method
                .payment_method_id
                .as_deref()
                .and_then(|token| self.token_run(&project.id, token)),
            _ => None,
        };
        let merchant_wallet =
            self.merchant_open_wallet(&project.id, &request.order.merchant.reference_merchant_id);
        Prepared {
            payment_id,
            order_token,
            entry_run,
            code_run,
            token_run,
            merchant_wallet,
        }
    }

    /// Decides a new payment by its scenario (inside the pay's transaction).
    fn apply_scenario(
        &self,
        db: Db<'_>,
        project: &Project,
        request: &PayRequest,
        prepared: &Prepared,
        payment: &mut Payment,
        now: DateTime<Utc>,
    ) -> Result<Script, StoreError> {
        let method_id = || {
            request
                .payment_method
                .payment_method_id
                .clone()
                .unwrap_or_default()
        };
        match request.scenario() {
            PayScenario::PaymentCode => {
                let code_run = prepared.code_run.as_ref();
                return payment_code::pay_with_code(db, payment, &method_id(), code_run, now);
            }
            PayScenario::OrderCode => order_code::issue_order_code(
                payment,
                &project.acquirer_id,
                &self.public_url,
                &prepared.order_token,
                waiting_until(request, now),
            ),
            PayScenario::EntryCode | PayScenario::Cashier => cashier::open_payment_page(
                payment,
                prepared.entry_run.clone(),
                &self.public_url,
                waiting_until(request, now),
            ),
            PayScenario::AutoDebit => {
                payment.run_id = prepared.token_run.clone();
                agreement::debit(db, payment, &project.id, &method_id(), now)?;
            }
            PayScenario::InStoreUnspecified => payment.fail(
                ResultCode::ParamIllegal,
                "paymentFactor.inStorePaymentScenario: missing".to_owned(),
                now,
            ),
        }
        Ok(Script::default())
    }

    /// The answer for a payment a pay created, with its run's script applied.
    fn new_payment_answer(
        &self,
        project: &Project,
        payment: Payment,
        script: Script,
    ) -> Result<PayAnswer, HubError> {
        if let Some(delay) = script.hold {
            return Ok((
                self.held_answer(project, &payment, delay)?,
                true,
                Some(payment),
            ));
        }
        let mut response = payment.pay_response(project);
        let mut forced = false;
        if let Some((result, scripted)) = script.answer {
            if !result.is_success() && payment.status == PaymentStatus::Success {
                // A scripted unknown answer for a payment that did succeed (UPM-05).
                response = PayResponse::from_result(result);
            } else {
                response.result = result;
            }
            forced = scripted;
        }
        Ok((response, forced, Some(payment)))
    }

    /// NTF-*: a run payment that is final at `pay` is notified when the case scripts its
    /// notifications (forged then genuine, or twice). Other final-at-pay payments are not
    /// notified: the pay answer carried the outcome.
    fn notify_scripted_at_pay(&self, project: &Project, payment: &Payment) {
        if payment.status == PaymentStatus::InProcess {
            return;
        }
        let Some(case) = payment
            .run_id
            .as_deref()
            .and_then(|run| self.open_run_case(run))
        else {
            return;
        };
        if !matches!(
            case.sandbox.notify,
            NotifyBehaviour::ForgedThenGenuine | NotifyBehaviour::Twice
        ) {
            return;
        }
        for delivery in case.sandbox.notify_plan() {
            if let Err(error) =
                self.enqueue_notify(project, payment, delivery.forged, delivery.after_secs)
            {
                tracing::error!(%error, "could not queue a scripted notification");
            }
        }
    }
}
