//! The messages of the POS driver protocol v1: one type per request and answer, camelCase on the
//! wire, amounts in the Alipay+ shape `{"currency": "HKD", "value": "1234"}`.

use linker_aplus::Amount;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// The JSON shape of an Alipay+ amount, for the schemas (the Rust type is [`Amount`]).
#[derive(JsonSchema)]
#[allow(dead_code)]
pub(crate) struct AmountShape {
    /// ISO 4217 alpha-3 currency code, e.g. `HKD`.
    #[schemars(regex(pattern = r"^[A-Z]{3}$"))]
    currency: String,
    /// The amount in minor units, as a string of digits (HKD 12.34 is `"1234"`).
    #[schemars(regex(pattern = r"^[0-9]+$"))]
    value: String,
}

/// A product a POS can handle (capabilities).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Product {
    /// User-presented Mode: the POS charges the wallet's payment code (`charge`).
    Upm,
    /// Alipay+ order code shown by the POS (`order-code`).
    OrderCode,
    /// The ACQP's own private order code shown by the POS (`private-order-code`).
    PrivateOrderCode,
    /// The merchant's static entry code (`entry-code`).
    EntryCode,
    /// Online checkout (`cashier`).
    Cashier,
    /// Auto Debit (`bind`, `debit`, `unbind`).
    AutoDebit,
}

/// `GET /pos/v1/capabilities`: what this POS driver can do.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Capabilities {
    /// The driver's name, e.g. `linker-acquirer`.
    pub name: String,
    /// The protocol version the driver speaks: `"1"`.
    pub version: String,
    /// The products the POS supports; anything else answers `UNSUPPORTED`.
    pub products: Vec<Product>,
    /// The currencies the POS takes (ISO 4217 alpha-3).
    pub currencies: Vec<String>,
    /// True when `GET /pos/v1/display` tells what the terminal shows.
    pub display: bool,
    /// True when `GET /pos/v1/account` tells whether an Auto Debit wallet is linked. Optional:
    /// absent (a driver written before it) means false.
    #[serde(default)]
    pub account: bool,
    /// True when `display` also finds a sale by `paymentRequestId` (the id the backend sent to
    /// Alipay+). Optional: absent means false.
    #[serde(default)]
    pub display_by_payment_request_id: bool,
}

/// `POST /pos/v1/charge`: scan the customer's payment code and charge it (UPM).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ChargeRequest {
    /// Linker's run, for logs and correlation.
    pub run_id: String,
    /// The case being run, for logs only: the POS must not change its behaviour by case.
    pub case_id: String,
    /// The sale's amount.
    #[schemars(with = "AmountShape")]
    pub amount: Amount,
    /// The payment code's digits as the scanner read them.
    pub payment_code: String,
}

/// The answer to `charge` and `debit`: the POS's id for the payment it started.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct PaymentAnswer {
    /// The POS's id for this payment, used by `refund`, `cancel` and `display`.
    pub pos_payment_id: String,
}

/// A request that carries only an amount: `order-code`, `private-order-code`, `cashier`, `debit`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AmountRequest {
    /// Linker's run, for logs and correlation.
    pub run_id: String,
    /// The case being run, for logs only.
    pub case_id: String,
    /// The sale's amount.
    #[schemars(with = "AmountShape")]
    pub amount: Amount,
}

/// A request that carries only the run: `entry-code`, `bind`, `unbind`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RunRequest {
    /// Linker's run, for logs and correlation.
    pub run_id: String,
    /// The case being run, for logs only.
    pub case_id: String,
}

/// The answer to `order-code`: the Alipay+ order code the POS now shows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct OrderCodeAnswer {
    /// The POS's id for this payment.
    pub pos_payment_id: String,
    /// The order code's text (an `https://` URL), as shown in the QR code.
    pub code_value: String,
    /// When the code stops being payable (ISO 8601 with offset), when Alipay+ said.
    pub expire_time: Option<String>,
}

/// The answer to `private-order-code`: the ACQP's own order code the POS now shows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct PrivateOrderCodeAnswer {
    /// The POS's id for this payment.
    pub pos_payment_id: String,
    /// The private order code's text (an `https://` URL on the ACQP's registered domain).
    pub code_value: String,
}

/// The answer to `entry-code`: the merchant's static entry code.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct EntryCodeAnswer {
    /// The entry code's text: the URL of the merchant's amount-entry page.
    pub code_value: String,
}

/// The answer to `cashier`: an online checkout sent to Alipay+.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct CashierAnswer {
    /// The POS's id for this payment.
    pub pos_payment_id: String,
    /// Where the customer is sent to pay.
    pub payment_url: String,
}

/// The answer to `bind`: an Auto Debit authorization to open in the wallet.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct BindAnswer {
    /// The wallet's authorization page.
    pub auth_url: String,
}

/// The answer to `account`: whether the shop's customer has an Alipay+ wallet linked for Auto
/// Debit, as the merchant's site shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct AccountAnswer {
    /// True while the site holds a usable access token (linked); false otherwise.
    pub linked: bool,
    /// The words the site's account page shows, e.g. why the wallet is no longer linked.
    pub text: String,
}

/// `POST /pos/v1/refund`: refund all or part of a payment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RefundRequest {
    /// Linker's run, for logs and correlation.
    pub run_id: String,
    /// The case being run, for logs only.
    pub case_id: String,
    /// The payment to refund, as the POS named it.
    pub pos_payment_id: String,
    /// How much to refund.
    #[schemars(with = "AmountShape")]
    pub amount: Amount,
}

/// The answer to `refund`: the POS's id for the refund it started.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct RefundAnswer {
    /// The POS's id for this refund.
    pub pos_refund_id: String,
}

/// `POST /pos/v1/cancel`: void a payment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CancelRequest {
    /// Linker's run, for logs and correlation.
    pub run_id: String,
    /// The case being run, for logs only.
    pub case_id: String,
    /// The payment to cancel, as the POS named it.
    pub pos_payment_id: String,
}

/// The empty answer `{}` of `cancel` and `unbind`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct EmptyAnswer {}

/// What the terminal shows for a payment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum DisplayState {
    /// Waiting for the customer or for the payment's outcome.
    Waiting,
    /// Paid.
    Paid,
    /// Not paid: declined, failed or given up on.
    Failed,
    /// Voided (cancelled); not paid.
    Cancelled,
    /// Paid, then refunded in full.
    Refunded,
    /// Paid, then refunded in part.
    PartiallyRefunded,
}

impl DisplayState {
    /// The wire name, e.g. `partially_refunded`.
    pub fn as_str(self) -> &'static str {
        match self {
            DisplayState::Waiting => "waiting",
            DisplayState::Paid => "paid",
            DisplayState::Failed => "failed",
            DisplayState::Cancelled => "cancelled",
            DisplayState::Refunded => "refunded",
            DisplayState::PartiallyRefunded => "partially_refunded",
        }
    }
}

/// `GET /pos/v1/display?posPaymentId=...`: what the terminal shows now for a payment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct DisplayAnswer {
    /// The payment's state as the terminal shows it.
    pub state: DisplayState,
    /// The result code behind a failure (e.g. `USER_BALANCE_NOT_ENOUGH`), `null` otherwise.
    pub reason: Option<String>,
    /// The words on the screen.
    pub text: String,
}

/// The code of a POS driver error.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ErrorCode {
    /// The POS cannot do this (HTTP 501).
    Unsupported,
    /// The request is malformed (HTTP 400).
    BadRequest,
    /// Unknown `posPaymentId` (HTTP 404).
    NotFound,
    /// The ACQP backend failed (HTTP 502).
    BackendError,
}

impl ErrorCode {
    /// The wire name, e.g. `NOT_FOUND`.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::Unsupported => "UNSUPPORTED",
            ErrorCode::BadRequest => "BAD_REQUEST",
            ErrorCode::NotFound => "NOT_FOUND",
            ErrorCode::BackendError => "BACKEND_ERROR",
        }
    }

    /// The HTTP status a driver answers this error with.
    pub fn http_status(self) -> u16 {
        match self {
            ErrorCode::Unsupported => 501,
            ErrorCode::BadRequest => 400,
            ErrorCode::NotFound => 404,
            ErrorCode::BackendError => 502,
        }
    }
}

impl std::fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The body of every failure: `{"error": {"code", "message"}}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct ErrorBody {
    /// The error.
    pub error: ErrorDetail,
}

/// The `error` object of an [`ErrorBody`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct ErrorDetail {
    /// What kind of failure.
    pub code: ErrorCode,
    /// What went wrong, in words for the operator.
    pub message: String,
}

impl ErrorBody {
    /// An error body with this code and message.
    pub fn new(code: ErrorCode, message: impl Into<String>) -> ErrorBody {
        ErrorBody {
            error: ErrorDetail {
                code,
                message: message.into(),
            },
        }
    }
}
