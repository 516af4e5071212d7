//! The online shop's checkout (Cashier Payment): `consultPayment` lists the wallets that can pay,
//! `pay` with CASHIER_PAYMENT sends the customer to the Alipay+ page, and the order's state comes
//! only from Alipay+ (`inquiryPayment`, `notifyPayment`): the customer's return to the
//! `paymentRedirectUrl` triggers an inquiry and is never trusted alone. A waiting order is polled
//! like every other waiting payment and cancelled once it expired unpaid.

use std::sync::Arc;

use linker_aplus::message::{
    Api, CONNECT_WALLET, ConsultPaymentRequest, ConsultPaymentResponse, Env, Order, PayRequest,
    PayResponse, PaymentFactor, PaymentMethod, ProductCode, SettlementStrategy,
};
use linker_aplus::wire::WireBool;
use linker_aplus::{Amount, ResultStatus};
use linker_pos_driver::DisplayState;
use serde::{Deserialize, Serialize};

use super::{Backend, PosError, new_id, parse_time};
use crate::config::Fault;
use crate::gateway::Reply;
use crate::store::{PaymentKind, PosPayment};

/// How long a `consultPayment` answer stands for the checkout of the same amount.
const CONSULT_VALIDITY: chrono::Duration = chrono::Duration::minutes(10);

/// The most of one item a basket may hold.
const MAX_QUANTITY: u32 = 20;

/// One thing the shop sells.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Item {
    /// The id the page sends.
    pub id: &'static str,
    /// Its name.
    pub name: &'static str,
    /// Its price in hundredths of the currency's major unit (HKD 38.00 is 3800).
    pub hundredths: u64,
}

/// What the shop sells.
pub(crate) const CATALOGUE: [Item; 3] = [
    Item {
        id: "flat-white",
        name: "Flat white",
        hundredths: 3800,
    },
    Item {
        id: "croissant",
        name: "Almond croissant",
        hundredths: 2600,
    },
    Item {
        id: "beans",
        name: "House beans, 250 g",
        hundredths: 12000,
    },
];

/// A basket as the checkout page sends it: item id → quantity, and the consult it showed.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Basket {
    /// Quantities by item id.
    #[serde(default)]
    pub items: std::collections::BTreeMap<String, u32>,
    /// The `consultPayment` the page showed for this basket (its "Pay" needs no second one).
    #[serde(default)]
    pub consult_id: Option<String>,
}

/// A wallet the checkout page offers, from `consultPayment`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct WalletOption {
    /// `paymentMethodType`, e.g. `CONNECT_WALLET`.
    pub payment_method_type: String,
    /// The name shown.
    pub name: String,
    /// Whether it can pay now.
    pub enabled: bool,
    /// Whether to show it first.
    pub preferred: bool,
    /// Why it cannot pay, when disabled.
    pub disabled_reason: Option<String>,
    /// Its logo, when Alipay+ gave one.
    pub logo_url: Option<String>,
}

/// What the checkout page shows about the wallets.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Consulted {
    /// Whether `consultPayment` was asked.
    pub asked: bool,
    /// The id the page's "Pay" names this consult by.
    pub consult_id: Option<String>,
    /// The options it answered, preferred first.
    pub options: Vec<WalletOption>,
}

fn wallet_name(payment_method_type: &str) -> String {
    match payment_method_type {
        CONNECT_WALLET => "Alipay+".to_owned(),
        linker_aplus::test_wallet::TEST_WALLET => "Linker test wallet".to_owned(),
        other => other.replace('_', " "),
    }
}

impl Basket {
    /// The basket's total and its description (`2 × Flat white, 1 × Almond croissant`).
    pub(crate) fn total(&self, backend: &Backend) -> Result<(Amount, String), PosError> {
        let digits = u32::from(backend.currency.minor_digits());
        let mut value: u64 = 0;
        let mut lines = Vec::new();
        for (id, quantity) in &self.items {
            let item = CATALOGUE
                .iter()
                .find(|item| item.id == id)
                .ok_or_else(|| PosError::BadRequest(format!("the shop sells no {id:?}")))?;
            if *quantity > MAX_QUANTITY {
                return Err(PosError::BadRequest(format!(
                    "at most {MAX_QUANTITY} of {} per order",
                    item.name
                )));
            }
            if *quantity == 0 {
                continue;
            }
            let unit = item.hundredths * 10u64.pow(digits) / 100;
            value += unit * u64::from(*quantity);
            lines.push(format!("{quantity} × {}", item.name));
        }
        if lines.is_empty() {
            return Err(PosError::BadRequest("the basket is empty".into()));
        }
        let amount = Amount::new(backend.currency, value)
            .map_err(|e| PosError::BadRequest(format!("the basket's total: {e}")))?;
        Ok((amount, lines.join(", ")))
    }
}

impl Backend {
    /// The acquirer's page the customer returns to after paying an order.
    pub(crate) fn return_url(&self, pos_payment_id: &str) -> String {
        format!("{}/shop/return/{pos_payment_id}", self.urls.base)
    }

    fn web_env(&self, user_agent: Option<&str>) -> Env {
        Env {
            terminal_type: Some("WEB".to_owned()),
            user_agent: Some(
                user_agent
                    .filter(|ua| !ua.trim().is_empty())
                    .unwrap_or("LinkerAcquirerShop/1.0")
                    .to_owned(),
            ),
            ..Env::default()
        }
    }

    fn cashier_factor() -> PaymentFactor {
        PaymentFactor {
            is_in_store_payment: None,
            is_cashier_payment: Some(WireBool::from(true)),
            is_agreement_payment: None,
            in_store_payment_scenario: None,
        }
    }

    /// Asks `consultPayment` which wallets can pay `amount` online (not under
    /// [`Fault::SkipConsult`], which shows no options and asks nothing).
    pub(crate) async fn consult(
        &self,
        amount: Amount,
        user_agent: Option<&str>,
    ) -> Result<Consulted, PosError> {
        self.check_amount(&amount)?;
        if self.has(Fault::SkipConsult) {
            return Ok(Consulted {
                asked: false,
                consult_id: None,
                options: Vec::new(),
            });
        }
        let request = ConsultPaymentRequest {
            product_code: Some(ProductCode::CashierPayment),
            payment_amount: amount,
            user_region: None,
            payment_factor: Some(Backend::cashier_factor()),
            merchant: Some(self.merchant(false)),
            env: Some(self.web_env(user_agent)),
            settlement_strategy: Some(SettlementStrategy {
                settlement_currency: Some(self.currency),
            }),
        };
        let answer = match self
            .gateway
            .call::<_, ConsultPaymentResponse>(Api::ConsultPayment, &request)
            .await
        {
            Reply::Answered(answer) => answer,
            Reply::Unknown(why) => {
                return Err(PosError::Backend(format!(
                    "Alipay+ did not say which wallets can pay: {why}"
                )));
            }
        };
        if !answer.result.is_success() {
            return Err(PosError::Backend(format!(
                "consultPayment answered {} {}",
                answer.result.result_code, answer.result.result_message
            )));
        }
        let consult_id = new_id("cst_", 16);
        if let Ok(mut consults) = self.consults.lock() {
            let now = self.clock.now();
            consults.retain(|_, (_, at)| now - *at < CONSULT_VALIDITY);
            consults.insert(consult_id.clone(), (amount, now));
        }
        let mut options: Vec<WalletOption> = answer
            .payment_options
            .iter()
            .map(|option| WalletOption {
                payment_method_type: option.payment_method_type.clone(),
                name: wallet_name(&option.payment_method_type),
                enabled: bool::from(option.enabled),
                preferred: option.preferred.is_some_and(bool::from),
                disabled_reason: option.disabled_reason.clone(),
                logo_url: option.logo.as_ref().and_then(|logo| logo.logo_url.clone()),
            })
            .collect();
        options.sort_by_key(|option| !option.preferred);
        Ok(Consulted {
            asked: true,
            consult_id: Some(consult_id),
            options,
        })
    }

    /// Whether the checkout page's consult `consult_id` was for this amount, recently; it is
    /// used up either way.
    fn take_consult(&self, consult_id: Option<&str>, amount: Amount) -> bool {
        let Some(consult_id) = consult_id else {
            return false;
        };
        let now = self.clock.now();
        self.consults.lock().is_ok_and(|mut consults| {
            consults
                .remove(consult_id)
                .is_some_and(|(asked, at)| asked == amount && now - at < CONSULT_VALIDITY)
        })
    }

    /// Checks out an online order: `consultPayment` first (unless the page's consult
    /// `consult_id` was for this amount), then `pay` with CASHIER_PAYMENT. Returns the order with
    /// its `paymentUrl`; polling and the cancel of an abandoned order follow in the background.
    pub(crate) async fn checkout(
        self: &Arc<Self>,
        amount: Amount,
        description: &str,
        consult_id: Option<&str>,
        user_agent: Option<&str>,
        run: Option<(&str, &str)>,
    ) -> Result<PosPayment, PosError> {
        self.check_amount(&amount)?;
        if !self.has(Fault::SkipConsult) && !self.take_consult(consult_id, amount) {
            let consulted = self.consult(amount, user_agent).await?;
            if !consulted.options.iter().any(|option| option.enabled) {
                return Err(PosError::BadRequest(
                    "no Alipay+ wallet can pay this order (consultPayment)".into(),
                ));
            }
        }
        let payment = self.store.insert_payment(
            &new_id("pos_", 16),
            &new_id("acq", 29),
            PaymentKind::Cashier,
            amount,
            "Sending the order to Alipay+…",
            run.map(|r| r.0),
            run.map(|r| r.1),
        )?;
        self.store
            .set_order_details(&payment.pos_payment_id, None, Some(description))?;
        // Whole seconds, as the wire carries it: the watcher's deadline is Alipay+'s expiry.
        let expiry_text = linker_aplus::time::format_wire_time(
            &(self.clock.now()
                + chrono::Duration::from_std(self.timing.order_validity).unwrap_or_default()),
        );
        let expiry = parse_time(&expiry_text).unwrap_or_else(|| self.clock.now());
        let request = PayRequest {
            product_code: ProductCode::CashierPayment,
            payment_request_id: payment.payment_request_id.clone(),
            order: Order {
                reference_order_id: payment.pos_payment_id.clone(),
                order_description: description.to_owned(),
                order_amount: amount,
                merchant: self.merchant(false),
                env: Some(self.web_env(user_agent)),
            },
            payment_amount: amount,
            payment_method: PaymentMethod {
                payment_method_type: CONNECT_WALLET.to_owned(),
                payment_method_id: None,
                customer_id: None,
            },
            payment_factor: Some(Backend::cashier_factor()),
            payment_expiry_time: Some(expiry_text.clone()),
            payment_notify_url: Some(self.urls.notify.clone()),
            payment_redirect_url: (!self.has(Fault::NoRedirectUrl))
                .then(|| self.return_url(&payment.pos_payment_id)),
            settlement_strategy: Some(SettlementStrategy {
                settlement_currency: Some(self.currency),
            }),
            user_region: None,
        };
        let answer = match self
            .gateway
            .call::<_, PayResponse>(Api::Pay, &request)
            .await
        {
            Reply::Answered(answer) => answer,
            Reply::Unknown(why) => {
                return Err(self.unanswered(&payment, &why, format!("No payment page: {why}")));
            }
        };
        if answer.result.result_status == ResultStatus::Failure {
            self.mark_failed(&payment, &answer.result);
            return Err(PosError::Backend(format!(
                "Alipay+ refused the order: {} {}",
                answer.result.result_code, answer.result.result_message
            )));
        }
        if answer.result.is_success() {
            self.mark_paid(&payment, answer.payment_id.as_deref());
            return self.payment(&payment.pos_payment_id);
        }
        let Some(url) = answer.payment_url.clone() else {
            return Err(self.answer_lacks(&payment, &answer.result, "a paymentUrl"));
        };
        self.store.set_code(
            &payment.pos_payment_id,
            None,
            Some(&expiry_text),
            answer.payment_id.as_deref(),
        )?;
        self.store
            .set_order_details(&payment.pos_payment_id, Some(&url), None)?;
        self.store.set_message(
            &payment.pos_payment_id,
            "Waiting for the customer to pay on the Alipay+ page…",
        )?;
        let backend = Arc::clone(self);
        let watched = payment.clone();
        self.spawn(async move { backend.watch_until_expiry(watched, expiry).await });
        self.payment(&payment.pos_payment_id)
    }

    /// The customer came back to the shop's return page: ask Alipay+ how the order stands (one
    /// `inquiryPayment`); the return itself proves nothing. Under [`Fault::TrustRedirect`] the
    /// order is marked paid instead.
    pub(crate) async fn customer_returned(
        &self,
        pos_payment_id: &str,
    ) -> Result<PosPayment, PosError> {
        let payment = self.payment(pos_payment_id)?;
        if payment.kind != PaymentKind::Cashier {
            return Err(Backend::not_found(pos_payment_id));
        }
        if payment.state != DisplayState::Waiting || payment.busy.is_some() {
            return Ok(payment);
        }
        if self.has(Fault::TrustRedirect) {
            self.store.settle(
                pos_payment_id,
                DisplayState::Paid,
                None,
                "Paid (the customer came back to the shop)",
                None,
            )?;
            return self.payment(pos_payment_id);
        }
        let expired = payment
            .expire_time
            .as_deref()
            .and_then(parse_time)
            .is_some_and(|at| self.clock.now() >= at);
        if !self.inquire(&payment).await && !expired {
            self.store.set_message(
                pos_payment_id,
                "Back from the payment page; Alipay+ has not confirmed the payment yet",
            )?;
        }
        self.payment(pos_payment_id)
    }
}
