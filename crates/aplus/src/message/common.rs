//! Structures shared by several messages.

use serde::{Deserialize, Serialize};

use crate::amount::{Amount, Currency};
use crate::result::ApiResult;
use crate::wire::WireBool;

/// `productCode`: which Alipay+ product a payment belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ProductCode {
    /// In-store: UPM payment code, order code, entry code.
    InStorePayment,
    /// Online checkout.
    CashierPayment,
    /// Auto Debit with an access token.
    AgreementPayment,
}

/// `paymentFactor.inStorePaymentScenario`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum InStorePaymentScenario {
    /// UPM: the POS scanned the wallet's payment code.
    PaymentCode,
    /// MPM: Alipay+ issues an order code for the POS to show.
    OrderCode,
    /// MPM: the wallet opened the merchant's entry-code page.
    EntryCode,
}

/// `order`: what is being bought, from whom.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Order {
    /// The merchant's order id.
    pub reference_order_id: String,
    /// What is bought (at most 256 characters).
    pub order_description: String,
    /// The order amount.
    pub order_amount: Amount,
    /// The merchant.
    pub merchant: Merchant,
    /// The environment the payment happens in.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub env: Option<Env>,
}

/// `order.merchant`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Merchant {
    /// The merchant id at the acquirer (MID).
    pub reference_merchant_id: String,
    /// Merchant category code.
    #[serde(rename = "merchantMCC")]
    pub merchant_mcc: String,
    /// The merchant's legal name.
    pub merchant_name: String,
    /// The name shown to customers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub merchant_display_name: Option<String>,
    /// Where the merchant is registered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub merchant_address: Option<Address>,
    /// Registration date.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub merchant_register_date: Option<String>,
    /// The store (required for UPM and entry code).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub store: Option<Store>,
}

/// An address.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Address {
    /// ISO 3166 alpha-2 region, e.g. `JP`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    /// State or province.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<String>,
    /// City.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub city: Option<String>,
    /// First address line.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address1: Option<String>,
    /// Second address line.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address2: Option<String>,
    /// Postal code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub zip_code: Option<String>,
}

/// `order.merchant.store`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Store {
    /// The store id at the acquirer.
    pub reference_store_id: String,
    /// The store's name.
    pub store_name: String,
    /// Store category code.
    #[serde(rename = "storeMCC")]
    pub store_mcc: String,
    /// The name shown to customers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub store_display_name: Option<String>,
    /// Terminal id in the store.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub store_terminal_id: Option<String>,
    /// Operator (cashier) id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub store_operator_id: Option<String>,
    /// The store's address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub store_address: Option<Address>,
    /// The store's phone number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub store_phone_no: Option<String>,
}

/// `order.env`: where and on what the payment happens.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Env {
    /// `APP`, `WAP`, `WEB`, `MINI_APP`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub terminal_type: Option<String>,
    /// `IOS`, `ANDROID`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub os_type: Option<String>,
    /// The customer's User-Agent (required for order code and entry code).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_agent: Option<String>,
    /// Device token.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub device_token_id: Option<String>,
    /// Customer's IP.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_ip: Option<String>,
    /// Cookie id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cookie_id: Option<String>,
    /// The POS terminal id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub store_terminal_id: Option<String>,
    /// When the POS made the request.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub store_terminal_request_time: Option<String>,
    /// Free-form extension.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub extend_info: Option<String>,
}

/// `paymentMethod`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PaymentMethod {
    /// `CONNECT_WALLET` for UPM, or a wallet name.
    pub payment_method_type: String,
    /// The scanned payment code (UPM) or the access token (Auto Debit).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payment_method_id: Option<String>,
    /// The customer at the wallet.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub customer_id: Option<String>,
}

/// The `paymentMethodType` of a UPM payment.
pub const CONNECT_WALLET: &str = "CONNECT_WALLET";

/// `paymentFactor`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PaymentFactor {
    /// `"true"` for in-store payments.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_in_store_payment: Option<WireBool>,
    /// `"true"` for cashier payments.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_cashier_payment: Option<WireBool>,
    /// `"true"` for Auto Debit payments.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_agreement_payment: Option<WireBool>,
    /// PaymentCode, OrderCode or EntryCode.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub in_store_payment_scenario: Option<InStorePaymentScenario>,
}

/// `settlementStrategy`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SettlementStrategy {
    /// The currency the merchant is settled in.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub settlement_currency: Option<Currency>,
}

/// `orderCodeForm`: the order code Alipay+ issues in an `OrderCode` pay response.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OrderCodeForm {
    /// When the code stops being payable.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expire_time: Option<String>,
    /// The code in one or more presentations.
    pub code_details: Vec<CodeDetail>,
}

/// One presentation of an order code.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CodeDetail {
    /// QR code or barcode.
    pub code_value_type: CodeValueType,
    /// The code's value (at most 512 characters).
    pub code_value: String,
    /// How to show it, e.g. `BIGIMAGE`, `SMALLIMAGE`, `TEXT`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display_type: Option<String>,
}

/// `codeValueType`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum CodeValueType {
    /// A QR code.
    Qrcode,
    /// A one-dimensional barcode.
    Barcode,
}

/// A foreign-exchange quote (Alipay+'s `Quote` model): the rate at which one currency of a
/// payment becomes another.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Quote {
    /// The quote's id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quote_id: Option<String>,
    /// The currencies, e.g. `HKD/PHP`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quote_currency_pair: Option<String>,
    /// Units of the second currency per unit of the first, e.g. `7.1795`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quote_price: Option<String>,
    /// When the quote became valid.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quote_start_time: Option<String>,
    /// When it stops being valid.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quote_expiry_time: Option<String>,
}

/// One entry of `transactions` in an inquiryPayment response (refunds, cancels).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Transaction {
    /// The transaction's own result.
    pub transaction_result: ApiResult,
    /// Alipay+ id of the transaction.
    pub transaction_id: String,
    /// `REFUND`, `CANCEL`, ...
    pub transaction_type: String,
    /// `SUCCESS`, `FAIL`, `PROCESSING`, ...
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transaction_status: Option<String>,
    /// Amount of the transaction.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transaction_amount: Option<Amount>,
    /// The ACQP's request id (e.g. the `refundRequestId`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transaction_request_id: Option<String>,
    /// When it happened.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transaction_time: Option<String>,
}

/// An answer that carries only `result`: the notification acknowledgement, cancelToken's answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ResultOnly {
    /// The result.
    pub result: ApiResult,
}

/// The acknowledgement an ACQP sends for a notifyPayment or authNotify.
pub type NotifyAck = ResultOnly;

impl ResultOnly {
    /// `{"result":{"resultCode":"SUCCESS","resultStatus":"S","resultMessage":"success"}}`.
    pub fn success() -> ResultOnly {
        ResultOnly {
            result: ApiResult::success(),
        }
    }
}
