//! The store's payment codes, payments and refunds (`payment_codes`, `payments`, `refunds`): typed rows in and out.
//! Also the two questions the payment flows ask of `runs` (the run an entry-code `pay` joins, and
//! marking that a run's wallet opened an entry-code page): they are part of the payment flow and
//! read or write only the entry-code column, so they live here rather than in `store/runs.rs`.

use chrono::{DateTime, Utc};
use linker_aplus::{Amount, Currency, ResultCode};
use rusqlite::{Connection, Row, params};
use serde::Serialize;

use super::{Db, StoreError, optional, time_column, time_text, to_json};

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
    /// The stored (and wire) text, e.g. `IN_PROCESS`.
    pub fn as_str(self) -> &'static str {
        match self {
            PaymentStatus::InProcess => "IN_PROCESS",
            PaymentStatus::Success => "SUCCESS",
            PaymentStatus::Fail => "FAIL",
            PaymentStatus::Cancelled => "CANCELLED",
        }
    }

    /// Reads the stored text; anything unknown is a failure.
    pub fn parse(text: &str) -> PaymentStatus {
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
    pub result_code: ResultCode,
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
    /// The wallet under test the hub plays for it (its run's, or for a payment waiting for its
    /// customer the merchant's open run's); `None` is TEST_WALLET.
    pub wallet: Option<String>,
}

/// A payment code as issued, for storing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewPaymentCode<'a> {
    /// The digits.
    pub code: &'a str,
    /// Its project.
    pub project_id: &'a str,
    /// The run it was shown for, if any.
    pub run_id: Option<&'a str>,
    /// The customer it pays for.
    pub customer_id: &'a str,
    /// When it was issued.
    pub issued_at: DateTime<Utc>,
    /// When it stops being accepted.
    pub expires_at: DateTime<Utc>,
}

/// An issued payment code as stored, when a pay presents it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaymentCodeRow {
    /// The customer it pays for.
    pub customer_id: String,
    /// When it stops being accepted.
    pub expires_at: DateTime<Utc>,
    /// When a payment used it, if one did.
    pub used_at: Option<DateTime<Utc>>,
    /// The run it was shown for, if any.
    pub run_id: Option<String>,
}

/// A refund as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefundRow {
    /// The hub's refundId.
    pub refund_id: String,
    /// Its project.
    pub project_id: String,
    /// The ACQP's idempotency key.
    pub refund_request_id: String,
    /// The payment refunded.
    pub payment_id: String,
    /// The amount asked for.
    pub amount: StoredAmount,
    /// `SUCCESS` or `FAIL`.
    pub succeeded: bool,
    /// The answer's result code.
    pub result_code: ResultCode,
    /// The answer's message.
    pub result_message: String,
    /// When it was asked for.
    pub created_at: DateTime<Utc>,
}

/// An amount as stored in a refund: the currency code and minor units, kept as written (a refund
/// with an unknown stored currency must still be compared and reported, not refused).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredAmount {
    /// The ISO currency code.
    pub currency: String,
    /// The minor units.
    pub value: i64,
}

/// Operations on payment codes, payments and refunds.
#[derive(Debug, Clone, Copy)]
pub struct Payments<'c> {
    connection: &'c Connection,
}

impl<'c> Db<'c> {
    /// Payment codes, payments and refunds (`payment_codes`, `payments`, `refunds`).
    pub fn payments(self) -> Payments<'c> {
        Payments {
            connection: self.connection,
        }
    }
}

const SELECT_PAYMENT: &str = "SELECT payment_id, project_id, payment_request_id, scenario, currency, \
    value, fingerprint, status, result_code, result_message, customer_id, code_value, payment_url, \
    notify_url, created_at, expires_at, paid_at, closed_at, refunded_value, run_id, wallet FROM payments";

fn conversion(
    index: usize,
    error: impl std::error::Error + Send + Sync + 'static,
) -> rusqlite::Error {
    rusqlite::Error::FromSqlConversionFailure(index, rusqlite::types::Type::Text, Box::new(error))
}

fn minor_units(value: u64) -> i64 {
    i64::try_from(value).unwrap_or(i64::MAX)
}

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
        result_code: ResultCode::parse(&row.get::<_, String>(8)?),
        result_message: row.get(9)?,
        customer_id: row.get(10)?,
        code_value: row.get(11)?,
        payment_url: row.get(12)?,
        notify_url: row.get(13)?,
        created_at: time_column(14, Some(row.get(14)?))?.unwrap_or_default(),
        expires_at: time_column(15, row.get(15)?)?,
        paid_at: time_column(16, row.get(16)?)?,
        closed_at: time_column(17, row.get(17)?)?,
        refunded_value: u64::try_from(refunded).unwrap_or(0),
        run_id: row.get(19)?,
        wallet: row.get(20)?,
    })
}

/// Payment codes.
impl Payments<'_> {
    /// Stores a newly issued payment code.
    pub fn insert_code(&self, code: &NewPaymentCode<'_>) -> Result<(), StoreError> {
        self.connection
            .prepare_cached(
                "INSERT INTO payment_codes (code, project_id, run_id, customer_id, issued_at, \
                 expires_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            )?
            .execute(params![
                code.code,
                code.project_id,
                code.run_id,
                code.customer_id,
                time_text(code.issued_at),
                time_text(code.expires_at)
            ])?;
        Ok(())
    }

    /// A payment code the project issued, if it did.
    pub fn code(&self, project_id: &str, code: &str) -> Result<Option<PaymentCodeRow>, StoreError> {
        let mut statement = self.connection.prepare_cached(
            "SELECT customer_id, expires_at, used_at, run_id FROM payment_codes \
             WHERE code = ?1 AND project_id = ?2",
        )?;
        optional(statement.query_row(params![code, project_id], |row| {
            Ok(PaymentCodeRow {
                customer_id: row.get(0)?,
                expires_at: time_column(1, Some(row.get(1)?))?.unwrap_or_default(),
                used_at: time_column(2, row.get(2)?)?,
                run_id: row.get(3)?,
            })
        }))
    }

    /// Marks a payment code used by a payment.
    pub fn use_code(
        &self,
        code: &str,
        at: DateTime<Utc>,
        payment_id: &str,
    ) -> Result<(), StoreError> {
        self.connection
            .prepare_cached(
                "UPDATE payment_codes SET used_at = ?2, payment_id = ?3 WHERE code = ?1",
            )?
            .execute(params![code, time_text(at), payment_id])?;
        Ok(())
    }
}

/// Payments.
impl Payments<'_> {
    /// A project's payment by the ACQP's `paymentRequestId`.
    pub fn by_request_id(
        &self,
        project_id: &str,
        payment_request_id: &str,
    ) -> Result<Option<Payment>, StoreError> {
        let mut statement = self.connection.prepare_cached(&format!(
            "{SELECT_PAYMENT} WHERE project_id = ?1 AND payment_request_id = ?2"
        ))?;
        optional(statement.query_row(params![project_id, payment_request_id], payment_from_row))
    }

    /// A project's payment by the hub's `paymentId`.
    pub fn by_id(&self, project_id: &str, payment_id: &str) -> Result<Option<Payment>, StoreError> {
        let mut statement = self.connection.prepare_cached(&format!(
            "{SELECT_PAYMENT} WHERE project_id = ?1 AND payment_id = ?2"
        ))?;
        optional(statement.query_row(params![project_id, payment_id], payment_from_row))
    }

    /// The id of a project's payment with this code value (an order code the hub issued).
    pub fn id_by_code_value(
        &self,
        project_id: &str,
        code_value: &str,
    ) -> Result<Option<String>, StoreError> {
        let mut statement = self.connection.prepare_cached(
            "SELECT payment_id FROM payments WHERE project_id = ?1 AND code_value = ?2",
        )?;
        optional(statement.query_row(params![project_id, code_value], |row| row.get(0)))
    }

    /// The id of a project's payment with this payment URL (entry code, cashier).
    pub fn id_by_payment_url(
        &self,
        project_id: &str,
        payment_url: &str,
    ) -> Result<Option<String>, StoreError> {
        let mut statement = self.connection.prepare_cached(
            "SELECT payment_id FROM payments WHERE project_id = ?1 AND payment_url = ?2",
        )?;
        optional(statement.query_row(params![project_id, payment_url], |row| row.get(0)))
    }

    /// The body a payment was created from, as much as the wallet's prompt reads (the pay
    /// request's, since schema 19 only its product code, order description, merchant name and
    /// redirect URL; or the private order).
    pub fn request_body(&self, payment_id: &str) -> Result<Option<String>, StoreError> {
        let mut statement = self
            .connection
            .prepare_cached("SELECT request_body FROM payments WHERE payment_id = ?1")?;
        optional(statement.query_row([payment_id], |row| row.get(0)))
    }

    /// Stores a new payment with the body it was created from.
    pub fn insert(&self, payment: &Payment, request_body: &str) -> Result<(), StoreError> {
        self.connection
            .prepare_cached(
                "INSERT INTO payments (payment_id, project_id, payment_request_id, scenario, \
                 currency, value, fingerprint, status, result_code, result_message, customer_id, \
                 code_value, payment_url, notify_url, created_at, expires_at, paid_at, closed_at, \
                 refunded_value, request_body, run_id, wallet) VALUES (?1, ?2, ?3, ?4, ?5, ?6, \
                 ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22)",
            )?
            .execute(params![
                payment.payment_id,
                payment.project_id,
                payment.payment_request_id,
                payment.scenario,
                payment.amount.currency().code(),
                minor_units(payment.amount.value()),
                to_json(&payment.fingerprint),
                payment.status.as_str(),
                payment.result_code.as_str(),
                payment.result_message,
                payment.customer_id,
                payment.code_value,
                payment.payment_url,
                payment.notify_url,
                time_text(payment.created_at),
                payment.expires_at.map(time_text),
                payment.paid_at.map(time_text),
                payment.closed_at.map(time_text),
                minor_units(payment.refunded_value),
                request_body,
                payment.run_id,
                payment.wallet,
            ])?;
        Ok(())
    }

    /// Writes a closed payment's status, result and closing time.
    pub fn close(&self, payment: &Payment) -> Result<(), StoreError> {
        self.connection
            .prepare_cached(
                "UPDATE payments SET status = ?2, result_code = ?3, result_message = ?4, \
                 closed_at = ?5 WHERE payment_id = ?1",
            )?
            .execute(params![
                payment.payment_id,
                payment.status.as_str(),
                payment.result_code.as_str(),
                payment.result_message,
                payment.closed_at.map(time_text)
            ])?;
        Ok(())
    }

    /// Writes how the customer's side ended a payment: status, result, customer and times.
    pub fn record_outcome(&self, payment: &Payment) -> Result<(), StoreError> {
        self.connection
            .prepare_cached(
                "UPDATE payments SET status = ?2, result_code = ?3, result_message = ?4, \
                 customer_id = ?5, paid_at = ?6, closed_at = ?7 WHERE payment_id = ?1",
            )?
            .execute(params![
                payment.payment_id,
                payment.status.as_str(),
                payment.result_code.as_str(),
                payment.result_message,
                payment.customer_id,
                payment.paid_at.map(time_text),
                payment.closed_at.map(time_text),
            ])?;
        Ok(())
    }

    /// Succeeds a payment at `at` if it is still in process (a held answer going out).
    pub fn succeed_if_in_process(
        &self,
        payment_id: &str,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        self.connection
            .prepare_cached(
                "UPDATE payments SET status = 'SUCCESS', result_code = 'SUCCESS', \
                 result_message = 'success', paid_at = ?2 \
                 WHERE payment_id = ?1 AND status = 'IN_PROCESS'",
            )?
            .execute(params![payment_id, time_text(at)])?;
        Ok(())
    }

    /// Cancels a payment at `at`.
    pub fn cancel(&self, payment_id: &str, at: DateTime<Utc>) -> Result<(), StoreError> {
        self.connection
            .prepare_cached(
                "UPDATE payments SET status = 'CANCELLED', closed_at = ?2 WHERE payment_id = ?1",
            )?
            .execute(params![payment_id, time_text(at)])?;
        Ok(())
    }

    /// Binds a payment to a run, unless it is bound already; it is played by the run's wallet
    /// from then on.
    pub fn bind_run(&self, payment_id: &str, run_id: &str) -> Result<(), StoreError> {
        self.connection
            .prepare_cached(
                "UPDATE payments SET run_id = ?2, wallet = (SELECT wallet FROM runs WHERE id = ?2) \
                 WHERE payment_id = ?1 AND run_id IS NULL",
            )?
            .execute(params![payment_id, run_id])?;
        Ok(())
    }
}

/// Refunds.
impl Payments<'_> {
    /// A project's refund by the ACQP's `refundRequestId`.
    pub fn refund_by_request_id(
        &self,
        project_id: &str,
        refund_request_id: &str,
    ) -> Result<Option<RefundRow>, StoreError> {
        let mut statement = self.connection.prepare_cached(
            "SELECT refund_id, project_id, refund_request_id, payment_id, currency, value, status, \
             result_code, result_message, created_at FROM refunds \
             WHERE project_id = ?1 AND refund_request_id = ?2",
        )?;
        optional(
            statement.query_row(params![project_id, refund_request_id], |row| {
                Ok(RefundRow {
                    refund_id: row.get(0)?,
                    project_id: row.get(1)?,
                    refund_request_id: row.get(2)?,
                    payment_id: row.get(3)?,
                    amount: StoredAmount {
                        currency: row.get(4)?,
                        value: row.get(5)?,
                    },
                    succeeded: row.get::<_, String>(6)? == "SUCCESS",
                    result_code: ResultCode::parse(&row.get::<_, String>(7)?),
                    result_message: row.get(8)?,
                    created_at: time_column(9, Some(row.get(9)?))?.unwrap_or_default(),
                })
            }),
        )
    }

    /// Stores a refund; a successful one adds its amount to the payment's refunded value.
    pub fn insert_refund(&self, refund: &RefundRow) -> Result<(), StoreError> {
        self.connection
            .prepare_cached(
                "INSERT INTO refunds (refund_id, project_id, refund_request_id, payment_id, \
                 currency, value, status, result_code, result_message, created_at) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
            )?
            .execute(params![
                refund.refund_id,
                refund.project_id,
                refund.refund_request_id,
                refund.payment_id,
                refund.amount.currency,
                refund.amount.value,
                if refund.succeeded { "SUCCESS" } else { "FAIL" },
                refund.result_code.as_str(),
                refund.result_message,
                time_text(refund.created_at),
            ])?;
        if refund.succeeded {
            self.connection
                .prepare_cached(
                    "UPDATE payments SET refunded_value = refunded_value + ?2 \
                     WHERE payment_id = ?1",
                )?
                .execute(params![refund.payment_id, refund.amount.value])?;
        }
        Ok(())
    }
}

/// The entry-code side of runs (see the file's header for why it lives here).
impl Payments<'_> {
    /// The open run of this project (of that merchant, when given) whose wallet opened an
    /// entry-code page most recently and has no payment yet.
    pub fn open_entry_run(
        &self,
        project_id: &str,
        merchant_id: Option<&str>,
    ) -> Result<Option<String>, StoreError> {
        let mut statement = self.connection.prepare_cached(
            "SELECT id FROM runs WHERE project_id = ?1 AND status = 'open' \
             AND (?2 IS NULL OR merchant_id = ?2) \
             AND entry_opened_at IS NOT NULL \
             AND NOT EXISTS (SELECT 1 FROM payments WHERE payments.run_id = runs.id) \
             ORDER BY entry_opened_at DESC LIMIT 1",
        )?;
        optional(statement.query_row(params![project_id, merchant_id], |row| row.get(0)))
    }

    /// Records that a run's wallet opened an entry-code page at `at`.
    pub fn mark_entry_opened(&self, run_id: &str, at: DateTime<Utc>) -> Result<(), StoreError> {
        self.connection
            .prepare_cached("UPDATE runs SET entry_opened_at = ?2 WHERE id = ?1")?
            .execute(params![run_id, time_text(at)])?;
        Ok(())
    }
}
