//! Real payment state behind the Alipay+ API: payment codes the hub issued, payments with their
//! idempotency on `paymentRequestId`, inquiry, cancel (with its window) and refunds (with their
//! limits and idempotency on `refundRequestId`). Expiry and windows follow the hub's clock.
//!
//! A payment is `IN_PROCESS` (waiting for the customer: order code, entry code, cashier),
//! `SUCCESS`, `FAIL` (with the result code that failed it) or `CANCELLED`. Refunds do not change
//! the status; they add up in `refunded_value`.

use chrono::{DateTime, Duration, NaiveTime, Utc};
use linker_aplus::message::{
    CancelPaymentRequest, CancelPaymentResponse, CodeDetail, CodeValueType, ConsultPaymentRequest,
    ConsultPaymentResponse, InquiryPaymentRequest, InquiryPaymentResponse, OrderCodeForm,
    PayRequest, PayResponse, PayScenario, PaymentOption, RefundRequest, RefundResponse,
};
use linker_aplus::time::format_wire_time;
use linker_aplus::wire::WireBool;
use linker_aplus::{Amount, ApiResult, Currency, ResultCode};
use rusqlite::{Connection, OptionalExtension, Row, params};
use serde::Serialize;

use crate::Hub;
use crate::domain::outcome::Outcome;
use crate::domain::projects::Project;
use crate::error::HubError;
use crate::gateway::beijing;
use crate::store::StoreError;
use crate::store::time_column as parse_time;
use linker_aplus::message::Api;
use linker_cases::sandbox::{PayAttempt, PaymentEffect};
use linker_cases::{CancelBehaviour, NotifyBehaviour, RefundBehaviour};

fn code_value(payment: &Payment) -> &str {
    payment.code_value.as_deref().unwrap_or_default()
}

/// The wallet Linker plays by default, and its `pspId` (defined in linker-aplus).
pub use linker_aplus::test_wallet::{TEST_WALLET, TEST_WALLET_PSP_ID};
/// How long a payment code stays valid.
pub const PAYMENT_CODE_VALIDITY: Duration = Duration::seconds(60);
/// How long an order code, entry-code or cashier payment waits for the customer; a sooner
/// `paymentExpiryTime` from the ACQP wins. Two minutes, as the case catalogue's sandbox assumes,
/// so a run can see the expiry and the ACQP's reaction well within its timeout.
pub const DEFAULT_PAYMENT_EXPIRY: Duration = Duration::minutes(2);
/// How long after payment a refund is accepted.
pub const REFUND_WINDOW: Duration = Duration::days(365);

/// Where a payment stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum PaymentStatus {
    /// Waiting for the customer.
    InProcess,
    /// Paid.
    Success,
    /// Failed; `result_code` says why.
    Fail,
    /// Cancelled by the ACQP.
    Cancelled,
}

impl PaymentStatus {
    fn as_str(self) -> &'static str {
        match self {
            PaymentStatus::InProcess => "IN_PROCESS",
            PaymentStatus::Success => "SUCCESS",
            PaymentStatus::Fail => "FAIL",
            PaymentStatus::Cancelled => "CANCELLED",
        }
    }

    fn parse(text: &str) -> PaymentStatus {
        match text {
            "IN_PROCESS" => PaymentStatus::InProcess,
            "SUCCESS" => PaymentStatus::Success,
            "CANCELLED" => PaymentStatus::Cancelled,
            _ => PaymentStatus::Fail,
        }
    }
}

/// A payment as the hub keeps it.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Payment {
    /// The hub's paymentId.
    pub payment_id: String,
    /// The project it belongs to.
    pub project_id: String,
    /// The ACQP's idempotency key.
    pub payment_request_id: String,
    /// The flow, e.g. `paymentCode`.
    pub scenario: String,
    /// The amount.
    pub amount: Amount,
    /// The key fields of the first request (amount, factor, settlement, method type).
    pub fingerprint: serde_json::Value,
    /// Where it stands.
    pub status: PaymentStatus,
    /// The result code behind the status (`SUCCESS`, `PAYMENT_IN_PROCESS`, a failure code).
    pub result_code: String,
    /// Its message.
    pub result_message: String,
    /// The customer, once known.
    pub customer_id: Option<String>,
    /// The payment code scanned (UPM) or the order code issued (MPM).
    pub code_value: Option<String>,
    /// The URL the wallet opens (entry code, cashier).
    pub payment_url: Option<String>,
    /// The ACQP's paymentNotifyUrl, when it gave one.
    pub notify_url: Option<String>,
    /// When the pay arrived.
    pub created_at: DateTime<Utc>,
    /// When an unpaid payment closes.
    pub expires_at: Option<DateTime<Utc>>,
    /// When it was paid.
    pub paid_at: Option<DateTime<Utc>>,
    /// When it was cancelled or closed.
    pub closed_at: Option<DateTime<Utc>>,
    /// How much has been refunded, in minor units.
    pub refunded_value: u64,
    /// The run it belongs to, if a run's wallet showed the code or scanned the order.
    pub run_id: Option<String>,
}

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

fn time_text(time: DateTime<Utc>) -> String {
    time.to_rfc3339()
}

fn conversion(
    index: usize,
    error: impl std::error::Error + Send + Sync + 'static,
) -> rusqlite::Error {
    rusqlite::Error::FromSqlConversionFailure(index, rusqlite::types::Type::Text, Box::new(error))
}

const PAYMENT_COLUMNS: &str = "payment_id, project_id, payment_request_id, scenario, currency, \
    value, fingerprint, status, result_code, result_message, customer_id, code_value, payment_url, \
    notify_url, created_at, expires_at, paid_at, closed_at, refunded_value";

const SELECT_PAYMENT: &str = "SELECT payment_id, project_id, payment_request_id, scenario, currency, \
    value, fingerprint, status, result_code, result_message, customer_id, code_value, payment_url, \
    notify_url, created_at, expires_at, paid_at, closed_at, refunded_value, run_id FROM payments";

fn payment_from_row(row: &Row<'_>) -> rusqlite::Result<Payment> {
    let currency: String = row.get(4)?;
    let currency = Currency::from_code(&currency).map_err(|e| conversion(4, e))?;
    let value: i64 = row.get(5)?;
    let amount =
        Amount::new(currency, u64::try_from(value).unwrap_or(0)).map_err(|e| conversion(5, e))?;
    let fingerprint: String = row.get(6)?;
    let refunded: i64 = row.get(18)?;
    Ok(Payment {
        payment_id: row.get(0)?,
        project_id: row.get(1)?,
        payment_request_id: row.get(2)?,
        scenario: row.get(3)?,
        amount,
        fingerprint: serde_json::from_str(&fingerprint).map_err(|e| conversion(6, e))?,
        status: PaymentStatus::parse(&row.get::<_, String>(7)?),
        result_code: row.get(8)?,
        result_message: row.get(9)?,
        customer_id: row.get(10)?,
        code_value: row.get(11)?,
        payment_url: row.get(12)?,
        notify_url: row.get(13)?,
        created_at: parse_time(14, Some(row.get(14)?))?.unwrap_or_default(),
        expires_at: parse_time(15, row.get(15)?)?,
        paid_at: parse_time(16, row.get(16)?)?,
        closed_at: parse_time(17, row.get(17)?)?,
        refunded_value: u64::try_from(refunded).unwrap_or(0),
        run_id: row.get(19)?,
    })
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
    ) -> Result<PaymentKey<'a>, Outcome> {
        PaymentKey::from_ids(payment_request_id, payment_id).ok_or_else(|| {
            Outcome::result(ApiResult::param_illegal(
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
}

fn find_payment(
    connection: &Connection,
    project_id: &str,
    key: PaymentKey<'_>,
) -> rusqlite::Result<Option<Payment>> {
    let (column, value) = match key {
        PaymentKey::RequestId(id) => ("payment_request_id", id),
        PaymentKey::PaymentId(id) => ("payment_id", id),
    };
    connection
        .prepare_cached(&format!(
            "{SELECT_PAYMENT} WHERE project_id = ?1 AND {column} = ?2"
        ))?
        .query_row(params![project_id, value], payment_from_row)
        .optional()
}

/// Closes an unpaid payment whose time ran out (ORDER_IS_CLOSED), and returns it as it now is.
fn settle_expiry(
    connection: &Connection,
    mut payment: Payment,
    now: DateTime<Utc>,
) -> rusqlite::Result<Payment> {
    if payment.status == PaymentStatus::InProcess && payment.expires_at.is_some_and(|at| now >= at)
    {
        payment.status = PaymentStatus::Fail;
        payment.result_code = ResultCode::OrderIsClosed.as_str().to_owned();
        payment.result_message = "the customer did not pay before the payment expired".to_owned();
        payment.closed_at = payment.expires_at;
        connection.prepare_cached("UPDATE payments SET status = ?2, result_code = ?3, result_message = ?4, closed_at = ?5 \
             WHERE payment_id = ?1")?.execute(params![
                payment.payment_id,
                payment.status.as_str(),
                payment.result_code,
                payment.result_message,
                payment.closed_at.map(time_text)
            ],
        )?;
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

impl Payment {
    fn result(&self) -> ApiResult {
        let code = ResultCode::parse(&self.result_code);
        match self.status {
            PaymentStatus::Success => ApiResult::success(),
            PaymentStatus::InProcess => ApiResult::unknown(code, self.result_message.clone()),
            PaymentStatus::Fail => ApiResult::failure(code, self.result_message.clone()),
            PaymentStatus::Cancelled => {
                ApiResult::failure(ResultCode::OrderIsClosed, "the payment was cancelled")
            }
        }
    }

    fn wire_time(time: Option<DateTime<Utc>>) -> Option<String> {
        time.map(|t| format_wire_time(&t.with_timezone(&beijing())))
    }

    fn pay_response(&self, project: &Project) -> PayResponse {
        let mut response = PayResponse::from_result(self.result());
        response.payment_id = Some(self.payment_id.clone());
        response.acquirer_id = Some(project.acquirer_id.clone());
        response.psp_id = Some(TEST_WALLET_PSP_ID.to_owned());
        response.payment_amount = Some(self.amount);
        if self.status == PaymentStatus::Success {
            response.payment_time = Payment::wire_time(self.paid_at);
            response.customer_id = self.customer_id.clone();
            response.wallet_brand_name = Some(TEST_WALLET.to_owned());
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

    /// The open run a payment code was shown for, with its sandbox script (per-run settings
    /// applied).
    fn code_run(&self, project_id: &str, code: &str) -> Option<(String, linker_cases::Sandbox)> {
        let run = self.code_run_id(project_id, code)?;
        let sandbox = self.run_sandbox(&run)?;
        Some((run, sandbox))
    }

    /// Issues a payment code for a wallet to show: valid for 60 s, single use.
    pub fn issue_payment_code(
        &self,
        project_id: &str,
        run_id: Option<&str>,
    ) -> Result<IssuedPaymentCode, HubError> {
        self.project(project_id)?;
        let now = self.clock.now();
        let serial: u64 = self.ids.digits(18).parse().unwrap_or(0);
        let issued = IssuedPaymentCode {
            code: linker_aplus::code::payment_code::PaymentCode::test_wallet(serial).digits,
            customer_id: format!("2188{}", self.ids.digits(12)),
            run_id: run_id.map(str::to_owned),
            expires_at: now + PAYMENT_CODE_VALIDITY,
        };
        self.store.with(|connection| {
            connection.prepare_cached("INSERT INTO payment_codes (code, project_id, run_id, customer_id, issued_at, expires_at) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)")?.execute(params![
                    issued.code,
                    project_id,
                    issued.run_id,
                    issued.customer_id,
                    time_text(now),
                    time_text(issued.expires_at)
                ],
            )?;
            Ok(())
        })?;
        Ok(issued)
    }

    /// A payment of a project, with expiry applied.
    pub fn payment(
        &self,
        project_id: &str,
        key: PaymentKey<'_>,
    ) -> Result<Option<Payment>, HubError> {
        let now = self.clock.now();
        Ok(self.store.with(|connection| {
            let found = find_payment(connection, project_id, key)?;
            Ok(found
                .map(|p| settle_expiry(connection, p, now))
                .transpose()?)
        })?)
    }

    /// `pay`: creates the payment (or answers a repeat with the same id), by scenario.
    pub fn pay(&self, project: &Project, request: PayRequest) -> Outcome {
        match self.pay_inner(project, request) {
            Ok((response, forced, created)) => {
                if let Some(payment) = created.filter(|p| p.run_id.is_some()) {
                    self.record_payment_state(&payment);
                    self.notify_scripted_at_pay(project, &payment);
                }
                let mut outcome = Outcome::of(&response);
                outcome.forced = forced;
                outcome
            }
            Err(error) => internal(error),
        }
    }

    fn pay_inner(
        &self,
        project: &Project,
        request: PayRequest,
    ) -> Result<(PayResponse, bool, Option<Payment>), HubError> {
        let now = self.clock.now();
        let scenario = request.scenario();
        let new_fingerprint = fingerprint(&request);
        let body = serde_json::to_string(&request).unwrap_or_default();
        let payment_id = format!(
            "{}{}",
            now.with_timezone(&beijing()).format("%Y%m%d"),
            self.ids.digits(16)
        );
        let order_token = self.ids.alphanumeric("", 20);
        let public_url = self.public_url.clone();
        let mut answer: Option<(ApiResult, bool)> = None;
        let mut hold: Option<u64> = None;
        let entry_run = match scenario {
            PayScenario::EntryCode => self.entry_run(&project.id),
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
        let outcome = self.store.with(|connection| {
            let transaction = connection.transaction()?;
            if let Some(existing) =
                find_payment(&transaction, &project.id, PaymentKey::RequestId(&request.payment_request_id))?
            {
                let existing = settle_expiry(&transaction, existing, now)?;
                transaction.commit()?;
                if existing.fingerprint != new_fingerprint {
                    let differs = differing_fields(&existing.fingerprint, &new_fingerprint);
                    return Ok((
                        PayResponse::from_result(ApiResult::failure(
                            ResultCode::RepeatReqInconsistent,
                            format!(
                                "paymentRequestId {} was already used with a different {differs}",
                                request.payment_request_id
                            ),
                        )),
                        false,
                        None,
                    ));
                }
                return Ok((existing.pay_response(project), false, None));
            }

            let mut payment = Payment {
                payment_id: payment_id.clone(),
                project_id: project.id.clone(),
                payment_request_id: request.payment_request_id.clone(),
                scenario: scenario_name(scenario).to_owned(),
                amount: request.payment_amount,
                fingerprint: new_fingerprint.clone(),
                status: PaymentStatus::InProcess,
                result_code: ResultCode::PaymentInProcess.as_str().to_owned(),
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
            };
            let waiting_until = request
                .payment_expiry_time
                .as_deref()
                .and_then(|t| linker_aplus::time::parse_wire_time(t).ok())
                .map_or(now + DEFAULT_PAYMENT_EXPIRY, |t| {
                    t.with_timezone(&Utc).min(now + DEFAULT_PAYMENT_EXPIRY)
                });
            let fail = |payment: &mut Payment, code: ResultCode, message: String| {
                payment.status = PaymentStatus::Fail;
                payment.result_code = code.as_str().to_owned();
                payment.result_message = message;
                payment.closed_at = Some(now);
            };
            match scenario {
                PayScenario::PaymentCode => {
                    let code = request.payment_method.payment_method_id.clone().unwrap_or_default();
                    payment.code_value = Some(code.clone());
                    let issued: Option<(String, String, Option<String>, Option<String>)> = transaction
                        .prepare_cached("SELECT customer_id, expires_at, used_at, run_id FROM payment_codes \
                             WHERE code = ?1 AND project_id = ?2")?
                        .query_row(params![code, project.id],
                            |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?)),
                        )
                        .optional()?;
                    // The run was looked up before the transaction (the store is not re-entrant).
                    let run_case = issued
                        .as_ref()
                        .and_then(|(_, _, _, run)| run.as_deref())
                        .and_then(|run| code_run.as_ref().filter(|(id, _)| id == run).cloned());
                    let (customer, expired, used) = match &issued {
                        None => (None, false, false),
                        Some((customer, expires, used, _)) => {
                            let expires = parse_time(1, Some(expires.clone()))?.unwrap_or(now);
                            (Some(customer.clone()), now >= expires, used.is_some())
                        }
                    };
                    let mut effect = match (&issued, used, expired) {
                        (None, _, _) => PaymentEffect::Fail(ResultCode::InvalidCode),
                        (Some(_), true, _) => PaymentEffect::Fail(ResultCode::InvalidCode),
                        (Some(_), false, true) => PaymentEffect::Fail(ResultCode::ExpiredCode),
                        (Some(_), false, false) => PaymentEffect::Succeed,
                    };
                    if let Some((run_id, sandbox)) = &run_case {
                        // The run's script decides, as the real wallet's user would.
                        payment.run_id = Some(run_id.clone());
                        let decision = sandbox.pay_answer(&PayAttempt {
                            earlier: None,
                            code_expired: expired || used,
                        });
                        effect = decision.effect.clone();
                        if decision.delay_secs > 0 && effect == PaymentEffect::Succeed {
                            // UPM-06: in process while the answer is held; it succeeds when the
                            // answer goes out, unless the ACQP cancels it meanwhile.
                            effect = PaymentEffect::StayOpen;
                            hold = Some(decision.delay_secs);
                        }
                        answer = Some((decision.result.clone(), decision.forced));
                    }
                    match effect {
                        PaymentEffect::Fail(code) => {
                            let message = match code {
                                ResultCode::InvalidCode if issued.is_none() => {
                                    format!("payment code {code_text} was not shown by a wallet of this project", code_text = code_value(&payment))
                                }
                                ResultCode::InvalidCode if used => {
                                    format!("payment code {} was already used: a code pays once", code_value(&payment))
                                }
                                ResultCode::ExpiredCode => {
                                    format!("payment code {} is past its 60 s validity: ask the customer to refresh it", code_value(&payment))
                                }
                                _ => code.default_message().to_owned(),
                            };
                            fail(&mut payment, code, message);
                        }
                        PaymentEffect::Succeed => {
                            transaction.prepare_cached("UPDATE payment_codes SET used_at = ?2, payment_id = ?3 WHERE code = ?1")?.execute(params![code, time_text(now), payment.payment_id],
                            )?;
                            payment.status = PaymentStatus::Success;
                            payment.result_code = ResultCode::Success.as_str().to_owned();
                            payment.result_message = "success".to_owned();
                            payment.customer_id = customer;
                            payment.paid_at = Some(now);
                        }
                        PaymentEffect::AwaitWallet
                        | PaymentEffect::StayOpen
                        | PaymentEffect::AwaitCustomer
                        | PaymentEffect::None => {
                            transaction.prepare_cached("UPDATE payment_codes SET used_at = ?2, payment_id = ?3 WHERE code = ?1")?.execute(params![code, time_text(now), payment.payment_id],
                            )?;
                            payment.customer_id = customer;
                            payment.result_message = "waiting for the customer to confirm in the wallet".to_owned();
                        }
                    }
                }
                PayScenario::OrderCode => {
                    let digits = project.acquirer_id.get(project.acquirer_id.len().saturating_sub(3)..).unwrap_or("000");
                    let host = public_url
                        .split_once("://")
                        .map_or(public_url.as_str(), |(_, rest)| rest)
                        .trim_end_matches('/');
                    payment.code_value =
                        Some(format!("https://{host}/281{digits}040001{order_token}"));
                    payment.expires_at = Some(waiting_until);
                }
                PayScenario::EntryCode | PayScenario::Cashier => {
                    // An entry-code pay joins the run whose wallet opened the page.
                    payment.run_id = entry_run.clone();
                    payment.payment_url = Some(format!(
                        "{}/checkout/{}",
                        public_url.trim_end_matches('/'),
                        payment.payment_id
                    ));
                    payment.expires_at = Some(waiting_until);
                }
                PayScenario::AutoDebit => {
                    let token = request.payment_method.payment_method_id.clone().unwrap_or_default();
                    match crate::domain::auto_debit::token_customer(&transaction, &project.id, &token, now)? {
                        Ok(customer) => {
                            payment.status = PaymentStatus::Success;
                            payment.result_code = ResultCode::Success.as_str().to_owned();
                            payment.result_message = "success".to_owned();
                            payment.customer_id = Some(customer);
                            payment.paid_at = Some(now);
                        }
                        Err((code, message)) => fail(&mut payment, code, message),
                    }
                }
                PayScenario::InStoreUnspecified => fail(
                    &mut payment,
                    ResultCode::ParamIllegal,
                    "paymentFactor.inStorePaymentScenario: missing".to_owned(),
                ),
            }
            transaction.prepare_cached(&format!(
                    "INSERT INTO payments ({PAYMENT_COLUMNS}, request_body, run_id) VALUES \
                     (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21)"
                ))?.execute(params![
                    payment.payment_id,
                    payment.project_id,
                    payment.payment_request_id,
                    payment.scenario,
                    payment.amount.currency().code(),
                    i64::try_from(payment.amount.value()).unwrap_or(i64::MAX),
                    serde_json::to_string(&payment.fingerprint).unwrap_or_default(),
                    payment.status.as_str(),
                    payment.result_code,
                    payment.result_message,
                    payment.customer_id,
                    payment.code_value,
                    payment.payment_url,
                    payment.notify_url,
                    time_text(payment.created_at),
                    payment.expires_at.map(time_text),
                    payment.paid_at.map(time_text),
                    payment.closed_at.map(time_text),
                    0i64,
                    body,
                    payment.run_id,
                ],
            )?;
            transaction.commit()?;
            if hold.is_some() {
                return Ok((PayResponse::from_result(ApiResult::success()), false, Some(payment)));
            }
            let mut response = payment.pay_response(project);
            let mut forced = false;
            if let Some((result, scripted)) = answer {
                if !result.is_success() && payment.status == PaymentStatus::Success {
                    // A scripted unknown answer for a payment that did succeed (UPM-05).
                    response = PayResponse::from_result(result);
                } else {
                    response.result = result;
                }
                forced = scripted;
            }
            Ok((response, forced, Some(payment)))
        })?;
        match (hold, &outcome.2) {
            (Some(delay), Some(payment)) => {
                let payment = payment.clone();
                Ok((
                    self.held_answer(project, &payment, delay)?,
                    true,
                    Some(payment),
                ))
            }
            _ => Ok(outcome),
        }
    }

    /// UPM-06: holds the answer `delay` seconds of real time (the protocol's client timeout is
    /// real time), then succeeds the payment unless it was cancelled meanwhile, and answers with
    /// its state.
    fn held_answer(
        &self,
        project: &Project,
        payment: &Payment,
        delay: u64,
    ) -> Result<PayResponse, HubError> {
        std::thread::sleep(std::time::Duration::from_secs(delay));
        let now = self.clock.now();
        self.store.with(|connection| {
            connection.prepare_cached("UPDATE payments SET status = 'SUCCESS', result_code = 'SUCCESS', result_message = 'success', \
                 paid_at = ?2 WHERE payment_id = ?1 AND status = 'IN_PROCESS'")?.execute(params![payment.payment_id, time_text(now)],
            )?;
            Ok(())
        })?;
        let current = self
            .payment(&project.id, PaymentKey::PaymentId(&payment.payment_id))?
            .ok_or_else(|| {
                HubError::Internal(format!("payment {} vanished", payment.payment_id))
            })?;
        if current.status == PaymentStatus::Success {
            self.record_payment_state(&current);
        }
        Ok(current.pay_response(project))
    }

    /// `inquiryPayment`: the payment's current result.
    pub fn inquire(&self, project: &Project, request: &InquiryPaymentRequest) -> Outcome {
        let key = match PaymentKey::from_request(
            request.payment_request_id.as_ref(),
            request.payment_id.as_ref(),
        ) {
            Ok(key) => key,
            Err(refusal) => return refusal,
        };
        let payment = match self.payment(&project.id, key) {
            Ok(Some(payment)) => payment,
            Ok(None) => {
                return Outcome::result(ApiResult::failure(
                    ResultCode::OrderNotExist,
                    "no payment with that id on this project",
                ));
            }
            Err(error) => return internal(error),
        };
        let success = payment.status == PaymentStatus::Success;
        Outcome::of(&InquiryPaymentResponse {
            result: ApiResult::success(),
            payment_result: Some(payment.result()),
            payment_request_id: Some(payment.payment_request_id.clone()),
            payment_id: Some(payment.payment_id.clone()),
            payment_amount: Some(payment.amount),
            payment_time: if success {
                Payment::wire_time(payment.paid_at)
            } else {
                None
            },
            psp_id: Some(TEST_WALLET_PSP_ID.to_owned()),
            acquirer_id: Some(project.acquirer_id.clone()),
            customer_id: if success {
                payment.customer_id.clone()
            } else {
                None
            },
            wallet_brand_name: if success {
                Some(TEST_WALLET.to_owned())
            } else {
                None
            },
            transactions: None,
        })
    }

    /// `cancelPayment`: closes the payment, whatever its status, until 00:15 (UTC+8) of the
    /// next day; idempotent; a payment with refunds cannot be cancelled.
    pub fn cancel(&self, project: &Project, request: &CancelPaymentRequest) -> Outcome {
        let key = match PaymentKey::from_request(
            request.payment_request_id.as_ref(),
            request.payment_id.as_ref(),
        ) {
            Ok(key) => key,
            Err(refusal) => return refusal,
        };
        let now = self.clock.now();
        let scripted = self.run_script(&project.id, key, Api::CancelPayment);
        if let Some((case, earlier_calls)) = &scripted
            && case.sandbox.cancel == CancelBehaviour::UnknownOnce
            && *earlier_calls == 0
        {
            // CAN-02: the first cancel is answered U and changes nothing; the ACQP must retry.
            let mut outcome = Outcome::of(&CancelPaymentResponse {
                result: ApiResult::unknown(
                    ResultCode::UnknownException,
                    "the cancel is being processed; retry until S",
                ),
                psp_id: Some(TEST_WALLET_PSP_ID.to_owned()),
                acquirer_id: Some(project.acquirer_id.clone()),
            });
            outcome.forced = true;
            return outcome;
        }
        let result = self.store.with(|connection| {
            let transaction = connection.transaction()?;
            let Some(payment) = find_payment(&transaction, &project.id, key)? else {
                return Ok(ApiResult::failure(ResultCode::OrderNotExist, "no payment with that id on this project"));
            };
            let payment = settle_expiry(&transaction, payment, now)?;
            if payment.status == PaymentStatus::Cancelled {
                transaction.commit()?;
                return Ok(ApiResult::success());
            }
            let deadline = cancel_deadline(payment.created_at);
            if now > deadline {
                transaction.commit()?;
                return Ok(ApiResult::failure(
                    ResultCode::ProcessFail,
                    format!(
                        "the cancel window closed at {} (00:15 UTC+8 the day after the payment); refund instead",
                        format_wire_time(&deadline.with_timezone(&beijing()))
                    ),
                ));
            }
            if payment.refunded_value > 0 {
                transaction.commit()?;
                return Ok(ApiResult::failure(
                    ResultCode::ProcessFail,
                    "the payment has refunds: cancel takes the full amount only; refund the rest",
                ));
            }
            transaction.prepare_cached("UPDATE payments SET status = 'CANCELLED', closed_at = ?2 WHERE payment_id = ?1")?.execute(params![payment.payment_id, time_text(now)],
            )?;
            transaction.commit()?;
            Ok(ApiResult::success())
        });
        if result.as_ref().is_ok_and(ApiResult::is_success)
            && let Ok(Some(payment)) = self.payment(&project.id, key)
        {
            self.record_payment_state(&payment);
        }
        match result {
            Ok(result) => Outcome::of(&CancelPaymentResponse {
                result,
                psp_id: Some(TEST_WALLET_PSP_ID.to_owned()),
                acquirer_id: Some(project.acquirer_id.clone()),
            }),
            Err(error) => internal(error.into()),
        }
    }

    /// `refund`: partial refunds while their sum stays within the paid amount, within a year of
    /// payment; idempotent on `refundRequestId`.
    pub fn refund(&self, project: &Project, request: &RefundRequest) -> Outcome {
        let key = match PaymentKey::from_request(
            request.payment_request_id.as_ref(),
            request.payment_id.as_ref(),
        ) {
            Ok(key) => key,
            Err(refusal) => return refusal,
        };
        let now = self.clock.now();
        let refund_id = format!(
            "{}{}",
            now.with_timezone(&beijing()).format("%Y%m%d"),
            self.ids.digits(16)
        );
        let answer = self.store.with(|connection| {
            let transaction = connection.transaction()?;
            let previous: Option<(String, String, i64, String, String, String)> = transaction
                .prepare_cached("SELECT refund_id, currency, value, status, result_code, result_message FROM refunds \
                     WHERE project_id = ?1 AND refund_request_id = ?2")?
                .query_row(params![project.id, request.refund_request_id],
                    |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?, row.get(4)?, row.get(5)?)),
                )
                .optional()?;
            if let Some((id, currency, value, status, code, message)) = previous {
                transaction.commit()?;
                let same = currency == request.refund_amount.currency().code()
                    && u64::try_from(value).ok() == Some(request.refund_amount.value());
                if !same {
                    return Ok(RefundAnswer::result(ApiResult::failure(
                        ResultCode::RepeatReqInconsistent,
                        format!(
                            "refundRequestId {} was already used for {currency} {value} (minor units)",
                            request.refund_request_id
                        ),
                    )));
                }
                return Ok(if status == "SUCCESS" {
                    RefundAnswer { result: ApiResult::success(), refund_id: Some(id), at: None }
                } else {
                    RefundAnswer::result(ApiResult::failure(ResultCode::parse(&code), message))
                });
            }
            let Some(payment) = find_payment(&transaction, &project.id, key)? else {
                return Ok(RefundAnswer::result(ApiResult::failure(
                    ResultCode::OrderNotExist,
                    "no payment with that id on this project",
                )));
            };
            let payment = settle_expiry(&transaction, payment, now)?;
            let refused = |code: ResultCode, message: String| -> Result<RefundAnswer, StoreError> {
                Ok(RefundAnswer::result(ApiResult::failure(code, message)))
            };
            let verdict = if payment.status != PaymentStatus::Success {
                Some((ResultCode::OrderStatusInvalid, format!(
                    "the payment is {} and cannot be refunded",
                    payment.status.as_str().to_ascii_lowercase().replace('_', " ")
                )))
            } else if request.refund_amount.currency() != payment.amount.currency() {
                Some((ResultCode::ParamIllegal, format!(
                    "refundAmount.currency: the payment is in {}",
                    payment.amount.currency().code()
                )))
            } else if request.refund_amount.is_zero() {
                Some((ResultCode::ParamIllegal, "refundAmount.value: must be more than 0".to_owned()))
            } else if payment.paid_at.is_some_and(|paid| now > paid + REFUND_WINDOW) {
                Some((ResultCode::RefundWindowExceed, "refunds are accepted for one year after payment".to_owned()))
            } else if payment.refunded_value.saturating_add(request.refund_amount.value()) > payment.amount.value() {
                let left = payment.amount.value().saturating_sub(payment.refunded_value);
                let left = Amount::new(payment.amount.currency(), left).map_or_else(|_| left.to_string(), |a| a.to_string());
                Some((ResultCode::RefundAmountExceed, format!(
                    "refunds would exceed the paid {}: at most {left} is left to refund",
                    payment.amount
                )))
            } else {
                None
            };
            let (status, result) = match &verdict {
                Some((code, message)) => ("FAIL", ApiResult::failure(code.clone(), message.clone())),
                None => ("SUCCESS", ApiResult::success()),
            };
            // A refusal for a wrong currency or zero amount is not remembered: the same id may be
            // sent again corrected.
            if matches!(&verdict, Some((ResultCode::ParamIllegal, _))) {
                let (code, message) = verdict.unwrap_or((ResultCode::ParamIllegal, String::new()));
                return refused(code, message);
            }
            transaction.prepare_cached("INSERT INTO refunds (refund_id, project_id, refund_request_id, payment_id, currency, \
                 value, status, result_code, result_message, created_at) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)")?.execute(params![
                    refund_id,
                    project.id,
                    request.refund_request_id,
                    payment.payment_id,
                    request.refund_amount.currency().code(),
                    i64::try_from(request.refund_amount.value()).unwrap_or(i64::MAX),
                    status,
                    result.result_code.as_str(),
                    result.result_message,
                    time_text(now),
                ],
            )?;
            if verdict.is_none() {
                transaction.prepare_cached("UPDATE payments SET refunded_value = refunded_value + ?2 WHERE payment_id = ?1")?.execute(params![payment.payment_id, i64::try_from(request.refund_amount.value()).unwrap_or(i64::MAX)],
                )?;
            }
            transaction.commit()?;
            Ok(if verdict.is_none() {
                RefundAnswer { result, refund_id: Some(refund_id.clone()), at: Some(now) }
            } else {
                RefundAnswer::result(result)
            })
        });
        let scripted = self.run_script(&project.id, key, Api::Refund);
        if answer
            .as_ref()
            .is_ok_and(|a| a.refund_id.is_some() && a.at.is_some())
            && let Ok(Some(payment)) = self.payment(&project.id, key)
        {
            self.record_payment_state(&payment);
        }
        match answer {
            Ok(answer) => {
                if let Some((case, earlier_calls)) = &scripted
                    && case.sandbox.refund == RefundBehaviour::UnknownOnce
                    && *earlier_calls == 0
                    && answer.result.is_success()
                {
                    // RFD-03: the refund is made, but the first answer is U; a retry with the
                    // same refundRequestId answers S.
                    let mut outcome = Outcome::of(&RefundResponse {
                        result: ApiResult::unknown(
                            ResultCode::UnknownException,
                            "the refund result is unknown; retry with the same refundRequestId",
                        ),
                        refund_id: None,
                        refund_time: None,
                        refund_amount: None,
                        psp_id: Some(TEST_WALLET_PSP_ID.to_owned()),
                        acquirer_id: Some(project.acquirer_id.clone()),
                    });
                    outcome.forced = true;
                    return outcome;
                }
                let success = answer.result.is_success();
                Outcome::of(&RefundResponse {
                    result: answer.result,
                    refund_id: answer.refund_id,
                    refund_time: if success {
                        Payment::wire_time(Some(answer.at.unwrap_or(now)))
                    } else {
                        None
                    },
                    refund_amount: if success {
                        Some(request.refund_amount)
                    } else {
                        None
                    },
                    psp_id: Some(TEST_WALLET_PSP_ID.to_owned()),
                    acquirer_id: Some(project.acquirer_id.clone()),
                })
            }
            Err(error) => internal(error.into()),
        }
    }

    /// `consultPayment`: the wallets that can pay this amount, TEST_WALLET preferred.
    pub fn consult(&self, _project: &Project, _request: &ConsultPaymentRequest) -> Outcome {
        let option = |name: &str, preferred: bool| PaymentOption {
            payment_method_type: name.to_owned(),
            enabled: WireBool::from(true),
            preferred: Some(WireBool::from(preferred)),
            disabled_reason: None,
            logo: None,
            payment_method_region: None,
            supported_features: None,
        };
        Outcome::of(&ConsultPaymentResponse {
            result: ApiResult::success(),
            payment_options: vec![option("CONNECT_WALLET", true), option(TEST_WALLET, false)],
        })
    }
}

struct RefundAnswer {
    result: ApiResult,
    refund_id: Option<String>,
    at: Option<DateTime<Utc>>,
}

impl RefundAnswer {
    fn result(result: ApiResult) -> RefundAnswer {
        RefundAnswer {
            result,
            refund_id: None,
            at: None,
        }
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

fn internal(error: HubError) -> Outcome {
    tracing::error!(%error, "an Alipay+ call failed inside the hub");
    Outcome::result(ApiResult::unknown(
        ResultCode::UnknownException,
        "the hub failed to process the request; retry with the same ids",
    ))
}

impl Hub {
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

/// How the customer's side ends a payment that was waiting for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Settlement {
    /// The customer paid.
    Paid {
        /// Who paid.
        customer_id: String,
    },
    /// The payment failed on the wallet's side (e.g. USER_BALANCE_NOT_ENOUGH).
    Declined {
        /// The failure code.
        code: ResultCode,
        /// Its message.
        message: String,
    },
}

impl Hub {
    /// Ends a payment that was waiting for the customer, and queues its notifyPayment. A payment
    /// that is no longer waiting (paid, failed, cancelled, expired) is refused with the reason.
    pub fn settle_payment(
        &self,
        project: &Project,
        payment_id: &str,
        settlement: Settlement,
    ) -> Result<Payment, HubError> {
        let now = self.clock.now();
        let payment = self.store.with(|connection| {
            let transaction = connection.transaction()?;
            let Some(payment) =
                find_payment(&transaction, &project.id, PaymentKey::PaymentId(payment_id))?
            else {
                return Ok(Err(HubError::NotFound(format!("payment {payment_id}"))));
            };
            let mut payment = settle_expiry(&transaction, payment, now)?;
            if payment.status != PaymentStatus::InProcess {
                transaction.commit()?;
                return Ok(Err(HubError::Conflict(format!(
                    "payment {payment_id} is no longer waiting for the customer ({}: {})",
                    payment
                        .status
                        .as_str()
                        .to_ascii_lowercase()
                        .replace('_', " "),
                    payment.result_code
                ))));
            }
            match settlement {
                Settlement::Paid { customer_id } => {
                    payment.status = PaymentStatus::Success;
                    payment.result_code = ResultCode::Success.as_str().to_owned();
                    payment.result_message = "success".to_owned();
                    payment.customer_id = Some(customer_id);
                    payment.paid_at = Some(now);
                }
                Settlement::Declined { code, message } => {
                    payment.status = PaymentStatus::Fail;
                    payment.result_code = code.as_str().to_owned();
                    payment.result_message = message;
                    payment.closed_at = Some(now);
                }
            }
            transaction
                .prepare_cached(
                    "UPDATE payments SET status = ?2, result_code = ?3, result_message = ?4, \
                 customer_id = ?5, paid_at = ?6, closed_at = ?7 WHERE payment_id = ?1",
                )?
                .execute(params![
                    payment.payment_id,
                    payment.status.as_str(),
                    payment.result_code,
                    payment.result_message,
                    payment.customer_id,
                    payment.paid_at.map(time_text),
                    payment.closed_at.map(time_text),
                ])?;
            transaction.commit()?;
            Ok(Ok(payment))
        })??;
        self.record_payment_state(&payment);
        let plan = payment
            .run_id
            .as_deref()
            .and_then(|run| self.open_run_case(run))
            .map(|case| case.sandbox.notify_plan());
        match plan {
            None => {
                self.enqueue_notify(project, &payment, false, 0)?;
            }
            Some(plan) => {
                for delivery in plan {
                    self.enqueue_notify(project, &payment, delivery.forged, delivery.after_secs)?;
                }
            }
        }
        Ok(payment)
    }
}
