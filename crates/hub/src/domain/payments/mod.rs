//! Real payment state behind the Alipay+ API: payment codes the hub issued, payments with their
//! idempotency on `paymentRequestId`, inquiry, cancel (with its window) and refunds (with their
//! limits and idempotency on `refundRequestId`). Expiry and windows follow the hub's clock.
//!
//! A payment is `IN_PROCESS` (waiting for the customer: order code, entry code, cashier),
//! `SUCCESS`, `FAIL` (with the result code that failed it) or `CANCELLED`. Refunds do not change
//! the status; they add up in `refunded_value`.
//!
//! By concern: `codes` (payment codes the hub issues), `pay` (one file per scenario),
//! `inquiry` (inquiry, cancel, consult), `refund`, `settlement` (the customer's side ends a
//! waiting payment).

mod codes;
mod inquiry;
mod pay;
mod refund;
mod settlement;

use chrono::{DateTime, Duration, NaiveTime, Utc};
use linker_aplus::fx::FxQuote;
use linker_aplus::message::{Api, CodeDetail, CodeValueType, OrderCodeForm, PayResponse, Quote};
use linker_aplus::time::format_wire_time;
use linker_aplus::wallets::{self, WalletUnderTest};
use linker_aplus::{ApiResult, ResultCode};
use serde::Serialize;

use crate::Hub;
use crate::domain::api_outcome::ApiOutcome;
use crate::domain::projects::Project;
use crate::error::HubError;
use crate::store::{Db, StoreError};
use linker_aplus::time::beijing;

/// A payment as the hub keeps it, and where it stands (the store's rows).
pub use crate::store::payments::{Payment, PaymentStatus};
/// The wallet Linker plays by default, and its `pspId` (defined in linker-aplus).
pub use linker_aplus::test_wallet::{TEST_WALLET, TEST_WALLET_PSP_ID};

/// The wallet under test with this stored name; `None` (rows from before the choice, runs
/// without one) and unknown names are TEST_WALLET.
pub fn played_wallet(name: Option<&str>) -> &'static WalletUnderTest {
    name.and_then(wallets::find)
        .unwrap_or_else(wallets::test_wallet)
}

/// The `paymentQuote` the hub gives for a quote at Linker's fixed test rate: its id names the
/// rate as Linker's (`LINKER-TEST-RATE-HKD-PHP`), and it has no validity window (the rates never
/// change).
pub fn wire_quote(quote: &FxQuote) -> Quote {
    Quote {
        quote_id: Some(format!(
            "LINKER-TEST-RATE-{}-{}",
            quote.rate.from.code(),
            quote.rate.to.code()
        )),
        quote_currency_pair: Some(quote.rate.currency_pair()),
        quote_price: Some(quote.rate.price()),
        quote_start_time: None,
        quote_expiry_time: None,
    }
}
pub use settlement::Settlement;

/// How long a payment code stays valid.
pub const PAYMENT_CODE_VALIDITY: Duration = Duration::seconds(60);
/// How long an order code, entry-code or cashier payment waits for the customer; a sooner
/// `paymentExpiryTime` from the ACQP wins. Two minutes, as the case catalogue's sandbox assumes,
/// so a run can see the expiry and the ACQP's reaction well within its timeout.
pub const DEFAULT_PAYMENT_EXPIRY: Duration = Duration::minutes(2);
/// How long after payment a refund is accepted.
pub const REFUND_WINDOW: Duration = Duration::days(365);

/// A payment code the hub issued for a wallet to show.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct IssuedPaymentCode {
    /// The digits.
    pub code: String,
    /// The customer it pays for.
    pub customer_id: String,
    /// The run it belongs to, if any.
    pub run_id: Option<String>,
    /// When it stops being accepted.
    pub expires_at: DateTime<Utc>,
}

/// How a payment is looked up: by the ACQP's request id or the hub's payment id.
#[derive(Debug, Clone, Copy)]
pub enum PaymentKey<'a> {
    /// `paymentRequestId`.
    RequestId(&'a str),
    /// `paymentId`.
    PaymentId(&'a str),
}

impl<'a> PaymentKey<'a> {
    /// The key a request names, or the PARAM_ILLEGAL answer when it names neither id.
    fn from_request(
        payment_request_id: Option<&'a String>,
        payment_id: Option<&'a String>,
    ) -> Result<PaymentKey<'a>, ApiOutcome> {
        PaymentKey::from_ids(payment_request_id, payment_id).ok_or_else(|| {
            ApiOutcome::result(ApiResult::param_illegal(
                "paymentRequestId or paymentId: give one of them",
            ))
        })
    }

    fn from_ids(
        payment_request_id: Option<&'a String>,
        payment_id: Option<&'a String>,
    ) -> Option<PaymentKey<'a>> {
        match (payment_id, payment_request_id) {
            (Some(id), _) => Some(PaymentKey::PaymentId(id)),
            (None, Some(id)) => Some(PaymentKey::RequestId(id)),
            (None, None) => None,
        }
    }

    /// The project's payment with this key, as stored (expiry not applied).
    fn find(self, db: Db<'_>, project_id: &str) -> Result<Option<Payment>, StoreError> {
        match self {
            PaymentKey::RequestId(id) => db.payments().by_request_id(project_id, id),
            PaymentKey::PaymentId(id) => db.payments().by_id(project_id, id),
        }
    }

    /// The project's payment with this key, with expiry applied.
    fn find_settled(
        self,
        db: Db<'_>,
        project_id: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<Payment>, StoreError> {
        self.find(db, project_id)?
            .map(|payment| settle_expiry(db, payment, now))
            .transpose()
    }
}

/// Closes an unpaid payment whose time ran out (ORDER_IS_CLOSED), and returns it as it now is.
fn settle_expiry(
    db: Db<'_>,
    mut payment: Payment,
    now: DateTime<Utc>,
) -> Result<Payment, StoreError> {
    if payment.status == PaymentStatus::InProcess && payment.expires_at.is_some_and(|at| now >= at)
    {
        payment.status = PaymentStatus::Fail;
        payment.result_code = ResultCode::OrderIsClosed;
        payment.result_message = "the customer did not pay before the payment expired".to_owned();
        payment.closed_at = payment.expires_at;
        db.payments().close(&payment)?;
    }
    Ok(payment)
}

/// The end of the cancel window: 00:15 (UTC+8) of the day after the payment was created.
pub fn cancel_deadline(created_at: DateTime<Utc>) -> DateTime<Utc> {
    let local = created_at.with_timezone(&beijing());
    let next_day = local.date_naive() + Duration::days(1);
    let quarter_past = NaiveTime::from_hms_opt(0, 15, 0).unwrap_or_default();
    next_day
        .and_time(quarter_past)
        .and_local_timezone(beijing())
        .single()
        .map_or(created_at + Duration::days(1), |deadline| {
            deadline.with_timezone(&Utc)
        })
}

/// A status for people, e.g. `in process`.
fn status_text(status: PaymentStatus) -> String {
    status.as_str().to_ascii_lowercase().replace('_', " ")
}

impl Payment {
    /// The wallet the hub plays for this payment.
    pub fn played_wallet(&self) -> &'static WalletUnderTest {
        played_wallet(self.wallet.as_deref())
    }

    /// What the customer pays at Linker's test rate, when the wallet holds another currency
    /// than the payment's.
    pub fn customer_quote(&self) -> Option<FxQuote> {
        let currency = self.played_wallet().currency?;
        linker_aplus::fx::quote(&self.amount, currency)
    }

    fn result(&self) -> ApiResult {
        match self.status {
            PaymentStatus::Success => ApiResult::success(),
            PaymentStatus::InProcess => {
                ApiResult::unknown(self.result_code.clone(), self.result_message.clone())
            }
            PaymentStatus::Fail => {
                ApiResult::failure(self.result_code.clone(), self.result_message.clone())
            }
            PaymentStatus::Cancelled => {
                ApiResult::failure(ResultCode::OrderIsClosed, "the payment was cancelled")
            }
        }
    }

    /// Paid by `customer` at `now`.
    fn succeed(&mut self, customer: Option<String>, now: DateTime<Utc>) {
        self.status = PaymentStatus::Success;
        self.result_code = ResultCode::Success;
        self.result_message = "success".to_owned();
        self.customer_id = customer;
        self.paid_at = Some(now);
    }

    /// Failed with `code` at `now`.
    fn fail(&mut self, code: ResultCode, message: String, now: DateTime<Utc>) {
        self.status = PaymentStatus::Fail;
        self.result_code = code;
        self.result_message = message;
        self.closed_at = Some(now);
    }

    fn wire_time(time: Option<DateTime<Utc>>) -> Option<String> {
        time.map(|t| format_wire_time(&t.with_timezone(&beijing())))
    }

    fn pay_response(&self, project: &Project) -> PayResponse {
        let wallet = self.played_wallet();
        let mut response = PayResponse::from_result(self.result());
        response.payment_id = Some(self.payment_id.clone());
        response.acquirer_id = Some(project.acquirer_id.clone());
        response.psp_id = Some(wallet.psp_id.to_owned());
        response.payment_amount = Some(self.amount);
        if self.status == PaymentStatus::Success {
            response.payment_time = Payment::wire_time(self.paid_at);
            response.customer_id = self.customer_id.clone();
            response.wallet_brand_name = Some(wallet.brand_name.to_owned());
            if let Some(quote) = self.customer_quote() {
                response.customer_pay_amount = Some(quote.customer_amount);
                response.payment_quote = Some(wire_quote(&quote));
            }
        }
        if self.status == PaymentStatus::InProcess {
            if self.scenario == "orderCode" {
                response.order_code_form = self.code_value.as_ref().map(|code| OrderCodeForm {
                    expire_time: Payment::wire_time(self.expires_at),
                    code_details: vec![CodeDetail {
                        code_value_type: CodeValueType::Qrcode,
                        code_value: code.clone(),
                        display_type: Some("SMALLIMAGE".to_owned()),
                    }],
                });
            }
            response.payment_url = self.payment_url.clone();
        }
        response
    }
}

impl Hub {
    /// For a payment of an open run: its case and how many calls of `api` concerning the run's
    /// payments the run has recorded so far (for scripts like "the first cancel answers U").
    fn run_script(
        &self,
        project_id: &str,
        key: PaymentKey<'_>,
        api: Api,
    ) -> Option<(&'static linker_cases::CaseDef, usize)> {
        let payment = self.payment(project_id, key).ok().flatten()?;
        let run_id = payment.run_id?;
        let case = self.open_run_case(&run_id)?;
        let record = self.run_record(&run_id).ok()?;
        Some((case, record.calls_of(api).len()))
    }

    /// A payment of a project, with expiry applied.
    pub fn payment(
        &self,
        project_id: &str,
        key: PaymentKey<'_>,
    ) -> Result<Option<Payment>, HubError> {
        let now = self.clock.now();
        Ok(self.store.db(|db| key.find_settled(db, project_id, now))?)
    }
}

/// The answer when the hub itself failed: U, retry.
fn internal(error: HubError) -> ApiOutcome {
    tracing::error!(%error, "an Alipay+ call failed inside the hub");
    ApiOutcome::result(ApiResult::unknown(
        ResultCode::UnknownException,
        "the hub failed to process the request; retry with the same ids",
    ))
}
