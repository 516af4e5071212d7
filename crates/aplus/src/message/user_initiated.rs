//! userInitiatedPay: Alipay+ asks the ACQP what a scanned private order code is.

use serde::{Deserialize, Serialize};

use super::common::{Order, PaymentFactor, SettlementStrategy};
use crate::amount::Amount;
use crate::result::ApiResult;

/// `userInitiatedPay` request, Alipay+ → ACQP.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UserInitiatedPayRequest {
    /// The acquirer id.
    pub acquirer_id: String,
    /// The wallet's id.
    pub psp_id: String,
    /// The scanned code (at most 512 characters); the idempotency key.
    pub code_value: String,
    /// The customer at the wallet.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub customer_id: Option<String>,
}

/// `codeType` in a userInitiatedPay answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum CodeType {
    /// A dynamic code for one order.
    OrderCode,
    /// A static store code.
    StoreCode,
}

/// `userInitiatedPay` response, ACQP → Alipay+: the order behind the code.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UserInitiatedPayResponse {
    /// The outcome (`F ORDER_NOT_EXIST` for a code the ACQP never issued).
    pub result: ApiResult,
    /// Order code or store code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code_type: Option<CodeType>,
    /// The ACQP's payment id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payment_request_id: Option<String>,
    /// The order.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub order: Option<Order>,
    /// The amount to pay.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payment_amount: Option<Amount>,
    /// Payment flags.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payment_factor: Option<PaymentFactor>,
    /// Where to notify.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payment_notify_url: Option<String>,
    /// When the order expires.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payment_expiry_time: Option<String>,
    /// Settlement currency.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub settlement_strategy: Option<SettlementStrategy>,
}
