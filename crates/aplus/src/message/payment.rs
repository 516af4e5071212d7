//! pay, inquiryPayment, cancelPayment, refund, consultPayment and notifyPayment.

use serde::{Deserialize, Serialize};

use super::common::{
    Env, InStorePaymentScenario, Merchant, Order, OrderCodeForm, PaymentFactor, PaymentMethod,
    ProductCode, Quote, SettlementStrategy, Transaction,
};
use crate::amount::Amount;
use crate::result::ApiResult;
use crate::wire::WireBool;

/// `pay` request, ACQP → Alipay+, for every scenario (UPM, order code, entry code, cashier, Auto
/// Debit).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PayRequest {
    /// The product.
    pub product_code: ProductCode,
    /// The ACQP's idempotency key (at most 64 characters).
    pub payment_request_id: String,
    /// The order.
    pub order: Order,
    /// The amount to pay.
    pub payment_amount: Amount,
    /// How the customer pays.
    pub payment_method: PaymentMethod,
    /// In-store / cashier / agreement flags and the in-store scenario.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payment_factor: Option<PaymentFactor>,
    /// When an unpaid payment expires.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payment_expiry_time: Option<String>,
    /// Where Alipay+ sends notifyPayment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payment_notify_url: Option<String>,
    /// Where the customer returns after a cashier payment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payment_redirect_url: Option<String>,
    /// Settlement currency.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub settlement_strategy: Option<SettlementStrategy>,
    /// The customer's region, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_region: Option<String>,
}

/// Which flow a pay request belongs to, from its product code and payment factor.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum PayScenario {
    /// UPM: the POS scanned a payment code.
    PaymentCode,
    /// MPM: an Alipay+ order code.
    OrderCode,
    /// MPM: an entry code.
    EntryCode,
    /// In-store without a (known) scenario.
    InStoreUnspecified,
    /// Online checkout.
    Cashier,
    /// Auto Debit with an access token.
    AutoDebit,
}

impl PayRequest {
    /// The flow this request belongs to.
    pub fn scenario(&self) -> PayScenario {
        match self.product_code {
            ProductCode::CashierPayment => PayScenario::Cashier,
            ProductCode::AgreementPayment => PayScenario::AutoDebit,
            ProductCode::InStorePayment => match self
                .payment_factor
                .as_ref()
                .and_then(|f| f.in_store_payment_scenario)
            {
                Some(InStorePaymentScenario::PaymentCode) => PayScenario::PaymentCode,
                Some(InStorePaymentScenario::OrderCode) => PayScenario::OrderCode,
                Some(InStorePaymentScenario::EntryCode) => PayScenario::EntryCode,
                None => PayScenario::InStoreUnspecified,
            },
        }
    }

    /// `order.env`, if present.
    pub fn env(&self) -> Option<&Env> {
        self.order.env.as_ref()
    }
}

/// `pay` response, Alipay+ → ACQP.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PayResponse {
    /// The outcome (`U PAYMENT_IN_PROCESS` while waiting for the customer).
    pub result: ApiResult,
    /// The acquirer id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub acquirer_id: Option<String>,
    /// The wallet's id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub psp_id: Option<String>,
    /// Alipay+'s payment id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payment_id: Option<String>,
    /// When the payment succeeded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payment_time: Option<String>,
    /// The amount paid.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payment_amount: Option<Amount>,
    /// The customer at the wallet.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub customer_id: Option<String>,
    /// The wallet's brand, e.g. `TEST_WALLET`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wallet_brand_name: Option<String>,
    /// The order code to show (OrderCode scenario).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub order_code_form: Option<OrderCodeForm>,
    /// Where to send the customer (entry code, cashier).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payment_url: Option<String>,
    /// What the customer pays in their wallet's currency, when it differs from the order's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub customer_pay_amount: Option<Amount>,
    /// The exchange rate behind `customerPayAmount`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payment_quote: Option<Quote>,
}

impl PayResponse {
    /// A response carrying only a result (failures, errors).
    pub fn from_result(result: ApiResult) -> PayResponse {
        PayResponse {
            result,
            acquirer_id: None,
            psp_id: None,
            payment_id: None,
            payment_time: None,
            payment_amount: None,
            customer_id: None,
            wallet_brand_name: None,
            order_code_form: None,
            payment_url: None,
            customer_pay_amount: None,
            payment_quote: None,
        }
    }
}

/// `inquiryPayment` request: by `paymentRequestId` or `paymentId`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct InquiryPaymentRequest {
    /// The ACQP's id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payment_request_id: Option<String>,
    /// Alipay+'s id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payment_id: Option<String>,
}

/// `inquiryPayment` response.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct InquiryPaymentResponse {
    /// Whether the inquiry itself worked.
    pub result: ApiResult,
    /// The payment's outcome (present when `result` is S).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payment_result: Option<ApiResult>,
    /// The ACQP's id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payment_request_id: Option<String>,
    /// Alipay+'s id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payment_id: Option<String>,
    /// The amount.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payment_amount: Option<Amount>,
    /// When it was paid.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payment_time: Option<String>,
    /// The wallet's id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub psp_id: Option<String>,
    /// The acquirer id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub acquirer_id: Option<String>,
    /// The customer at the wallet.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub customer_id: Option<String>,
    /// The wallet's brand.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wallet_brand_name: Option<String>,
    /// Refunds and cancels on this payment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transactions: Option<Vec<Transaction>>,
    /// What the customer pays in their wallet's currency, when it differs from the order's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub customer_pay_amount: Option<Amount>,
    /// The exchange rate behind `customerPayAmount`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payment_quote: Option<Quote>,
}

/// `cancelPayment` request: by `paymentRequestId` or `paymentId`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CancelPaymentRequest {
    /// The ACQP's id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payment_request_id: Option<String>,
    /// Alipay+'s id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payment_id: Option<String>,
}

/// `cancelPayment` response.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CancelPaymentResponse {
    /// The outcome; on F or U the ACQP retries until S.
    pub result: ApiResult,
    /// The wallet's id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub psp_id: Option<String>,
    /// The acquirer id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub acquirer_id: Option<String>,
}

/// `refund` request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RefundRequest {
    /// The ACQP's payment id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payment_request_id: Option<String>,
    /// Alipay+'s payment id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payment_id: Option<String>,
    /// The refund's idempotency key.
    pub refund_request_id: String,
    /// How much to refund.
    pub refund_amount: Amount,
    /// Why.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refund_reason: Option<String>,
}

/// `refund` response.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RefundResponse {
    /// The outcome.
    pub result: ApiResult,
    /// Alipay+'s refund id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refund_id: Option<String>,
    /// When the refund succeeded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refund_time: Option<String>,
    /// The amount refunded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refund_amount: Option<Amount>,
    /// The wallet's id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub psp_id: Option<String>,
    /// The acquirer id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub acquirer_id: Option<String>,
}

/// `consultPayment` request: which wallets can pay this amount here.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ConsultPaymentRequest {
    /// The product.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub product_code: Option<ProductCode>,
    /// The amount to pay.
    pub payment_amount: Amount,
    /// The customer's region.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_region: Option<String>,
    /// Payment flags.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payment_factor: Option<PaymentFactor>,
    /// The merchant.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub merchant: Option<Merchant>,
    /// The customer's environment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub env: Option<Env>,
    /// Settlement currency.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub settlement_strategy: Option<SettlementStrategy>,
}

/// `consultPayment` response.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ConsultPaymentResponse {
    /// The outcome.
    pub result: ApiResult,
    /// One option per wallet.
    #[serde(default)]
    pub payment_options: Vec<PaymentOption>,
}

/// One wallet the customer may pay with.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PaymentOption {
    /// The wallet, e.g. `TEST_WALLET`, `ALIPAY_HK`.
    pub payment_method_type: String,
    /// Whether it can be used now.
    pub enabled: WireBool,
    /// Whether to show it first.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub preferred: Option<WireBool>,
    /// Why it is disabled.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disabled_reason: Option<String>,
    /// The wallet's logo.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub logo: Option<Logo>,
    /// Regions the wallet serves.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payment_method_region: Option<Vec<String>>,
    /// Features it supports, e.g. `CASHIER_PAYMENT`, `AGREEMENT_PAYMENT`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub supported_features: Option<Vec<String>>,
}

/// A wallet logo.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Logo {
    /// The logo's name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub logo_name: Option<String>,
    /// Where to fetch it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub logo_url: Option<String>,
}

/// `notifyPayment` request, Alipay+ → ACQP: the final outcome of a payment (S or F, never U).
/// The ACQP answers [`NotifyAck`](super::NotifyAck) whatever the outcome.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NotifyPaymentRequest {
    /// The acquirer id.
    pub acquirer_id: String,
    /// The wallet's id.
    pub psp_id: String,
    /// The payment's outcome.
    pub payment_result: ApiResult,
    /// The ACQP's id.
    pub payment_request_id: String,
    /// Alipay+'s id.
    pub payment_id: String,
    /// The amount.
    pub payment_amount: Amount,
    /// When it was paid.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payment_time: Option<String>,
    /// The customer at the wallet.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub customer_id: Option<String>,
    /// The wallet's brand.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wallet_brand_name: Option<String>,
}
