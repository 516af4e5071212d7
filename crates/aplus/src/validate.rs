//! Reading request bodies and checking them, with errors that name the offending field.
//!
//! [`parse_request`] turns raw bytes into a message type: invalid JSON, a number or boolean where
//! the wire wants a string, a missing required field or an unknown enum value each become a
//! [`ValidationError`] whose `field` is the JSON path (`order.merchant.store`). The
//! [`Validate`] trait then checks the semantic rules: id lengths, text limits, scenario-specific
//! required fields. A `ValidationError` becomes the protocol's `F PARAM_ILLEGAL` answer with
//! [`ValidationError::to_api_result`].

use serde::de::DeserializeOwned;

use crate::callback_url::CallbackUrl;
use crate::code::payment_code::PaymentCode;
use crate::message::{
    ApplyTokenRequest, ApplyTokenResponse, AuthNotifyRequest, AuthorizationNotifyType,
    CONNECT_WALLET, CancelPaymentRequest, CancelPaymentResponse, CancelTokenRequest, CodeDetail,
    ConsultPaymentRequest, ConsultPaymentResponse, GrantType, InquiryPaymentRequest,
    InquiryPaymentResponse, NotifyPaymentRequest, Order, PayRequest, PayResponse, PayScenario,
    PrepareRequest, PrepareResponse, RefundRequest, RefundResponse, ResultOnly,
    UserInitiatedPayRequest, UserInitiatedPayResponse,
};
use crate::result::{ApiResult, ResultStatus};
use crate::time::parse_wire_time;
use crate::wire::check_string_convention;

/// Longest id (`paymentRequestId`, `refundRequestId`, `paymentId`, `acquirerId`, `pspId`,
/// `customerId`).
pub const MAX_ID_LEN: usize = 64;
/// Longest `orderDescription`.
pub const MAX_ORDER_DESCRIPTION_LEN: usize = 256;
/// Longest `codeValue`.
pub const MAX_CODE_VALUE_LEN: usize = 512;

/// A request that breaks the protocol, naming the field and the rule.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, serde::Serialize)]
#[error("{}", self.message())]
pub struct ValidationError {
    /// JSON path of the offending field, e.g. `order.merchant.store`; empty for the whole body.
    pub field: String,
    /// What is wrong, e.g. `missing`.
    pub reason: String,
}

impl ValidationError {
    /// An error about `field`.
    pub fn new(field: impl Into<String>, reason: impl Into<String>) -> ValidationError {
        ValidationError {
            field: field.into(),
            reason: reason.into(),
        }
    }

    /// A required field is absent.
    pub fn missing(field: impl Into<String>) -> ValidationError {
        ValidationError::new(field, "missing")
    }

    /// `field: reason`, or the reason alone for the whole body.
    pub fn message(&self) -> String {
        if self.field.is_empty() {
            self.reason.clone()
        } else {
            format!("{}: {}", self.field, self.reason)
        }
    }

    /// The protocol answer: `F PARAM_ILLEGAL` with this error as the message.
    pub fn to_api_result(&self) -> ApiResult {
        ApiResult::param_illegal(self.message())
    }
}

/// Semantic rules of a message, beyond what its type enforces.
pub trait Validate {
    /// Checks the rules; the first broken one is returned.
    fn validate(&self) -> Result<(), ValidationError>;
}

/// Parses a request (or response) body into `T`, reporting where it breaks the protocol.
pub fn parse_request<T: DeserializeOwned>(body: &[u8]) -> Result<T, ValidationError> {
    let text = std::str::from_utf8(body)
        .map_err(|e| ValidationError::new("", format!("body is not UTF-8: {e}")))?;
    let value: serde_json::Value = serde_json::from_str(text)
        .map_err(|e| ValidationError::new("", format!("body is not valid JSON: {e}")))?;
    parse_value(value)
}

/// Like [`parse_request`] for an already parsed JSON value.
pub fn parse_value<T: DeserializeOwned>(value: serde_json::Value) -> Result<T, ValidationError> {
    if !value.is_object() {
        return Err(ValidationError::new("", "body must be a JSON object"));
    }
    check_string_convention(&value).map_err(|v| ValidationError::new(v.field, v.reason))?;
    serde_path_to_error::deserialize(value).map_err(|e| {
        let path = e.path().to_string();
        let path = if path == "." { String::new() } else { path };
        let message = e.inner().to_string();
        if let Some(name) = message
            .strip_prefix("missing field `")
            .and_then(|rest| rest.split('`').next())
        {
            let field = if path.is_empty() {
                name.to_owned()
            } else {
                format!("{path}.{name}")
            };
            return ValidationError::missing(field);
        }
        ValidationError::new(path, message)
    })
}

/// Parses and validates in one step.
pub fn parse_and_validate<T: DeserializeOwned + Validate>(
    body: &[u8],
) -> Result<T, ValidationError> {
    let message: T = parse_request(body)?;
    message.validate()?;
    Ok(message)
}

/// Parses and validates a `pay` request.
pub fn validate_pay(body: &[u8]) -> Result<PayRequest, ValidationError> {
    parse_and_validate(body)
}

fn check_len(field: &str, value: &str, max: usize) -> Result<(), ValidationError> {
    if value.is_empty() {
        return Err(ValidationError::new(
            field,
            "empty; omit an absent field instead",
        ));
    }
    let len = value.chars().count();
    if len > max {
        return Err(ValidationError::new(
            field,
            format!("{len} characters, longer than the limit of {max}"),
        ));
    }
    Ok(())
}

fn check_id(field: &str, value: &str) -> Result<(), ValidationError> {
    check_len(field, value, MAX_ID_LEN)
}

fn check_opt_id(field: &str, value: Option<&String>) -> Result<(), ValidationError> {
    value.map_or(Ok(()), |v| check_id(field, v))
}

fn require<'a, T>(field: &str, value: Option<&'a T>) -> Result<&'a T, ValidationError> {
    value.ok_or_else(|| ValidationError::missing(field))
}

fn check_time(field: &str, value: Option<&String>) -> Result<(), ValidationError> {
    match value {
        Some(v) => parse_wire_time(v).map(|_| ()).map_err(|_| {
            ValidationError::new(
                field,
                format!("{v:?} is not ISO 8601 with an offset, e.g. 2020-01-01T12:01:01+08:00"),
            )
        }),
        None => Ok(()),
    }
}

/// Callback URLs must be HTTPS (HTTP accepted on loopback addresses), without user info, as
/// [`CallbackUrl`] reads them (the parser the hub dials with).
fn check_callback_url(field: &str, value: Option<&String>) -> Result<(), ValidationError> {
    let Some(url) = value else { return Ok(()) };
    CallbackUrl::parse(url)
        .map(|_| ())
        .map_err(|e| ValidationError::new(field, e.to_string()))
}

/// A known result code must travel with its own status (`SUCCESS` with `S`, ...).
fn check_result(field: &str, result: &ApiResult) -> Result<(), ValidationError> {
    if result.is_inconsistent() {
        return Err(ValidationError::new(
            format!("{field}.resultStatus"),
            format!(
                "{} does not go with resultCode {}",
                result.result_status, result.result_code
            ),
        ));
    }
    Ok(())
}

fn check_one_of_ids(
    request_id: Option<&String>,
    payment_id: Option<&String>,
) -> Result<(), ValidationError> {
    if request_id.is_none() && payment_id.is_none() {
        return Err(ValidationError::new(
            "paymentRequestId",
            "missing: give paymentRequestId or paymentId",
        ));
    }
    check_opt_id("paymentRequestId", request_id)?;
    check_opt_id("paymentId", payment_id)
}

fn check_order(order: &Order) -> Result<(), ValidationError> {
    check_len(
        "order.referenceOrderId",
        &order.reference_order_id,
        MAX_ID_LEN,
    )?;
    check_len(
        "order.orderDescription",
        &order.order_description,
        MAX_ORDER_DESCRIPTION_LEN,
    )?;
    check_len(
        "order.merchant.referenceMerchantId",
        &order.merchant.reference_merchant_id,
        MAX_ID_LEN,
    )?;
    if let Some(store) = &order.merchant.store {
        check_len(
            "order.merchant.store.referenceStoreId",
            &store.reference_store_id,
            MAX_ID_LEN,
        )?;
    }
    Ok(())
}

fn check_code_details(field: &str, details: &[CodeDetail]) -> Result<(), ValidationError> {
    for (i, detail) in details.iter().enumerate() {
        check_len(
            &format!("{field}[{i}].codeValue"),
            &detail.code_value,
            MAX_CODE_VALUE_LEN,
        )?;
    }
    Ok(())
}

impl Validate for PayRequest {
    fn validate(&self) -> Result<(), ValidationError> {
        check_id("paymentRequestId", &self.payment_request_id)?;
        check_order(&self.order)?;
        check_opt_id(
            "paymentMethod.customerId",
            self.payment_method.customer_id.as_ref(),
        )?;
        check_time("paymentExpiryTime", self.payment_expiry_time.as_ref())?;
        check_callback_url("paymentNotifyUrl", self.payment_notify_url.as_ref())?;
        check_callback_url("paymentRedirectUrl", self.payment_redirect_url.as_ref())?;
        let user_agent = || {
            require(
                "order.env.userAgent",
                self.order
                    .env
                    .as_ref()
                    .and_then(|env| env.user_agent.as_ref()),
            )
        };
        let store = || require("order.merchant.store", self.order.merchant.store.as_ref());
        let scenario = self.scenario();
        if matches!(
            scenario,
            PayScenario::PaymentCode
                | PayScenario::OrderCode
                | PayScenario::EntryCode
                | PayScenario::InStoreUnspecified
        ) {
            let factor = require("paymentFactor", self.payment_factor.as_ref())?;
            if factor.is_in_store_payment.map(bool::from) != Some(true) {
                return Err(ValidationError::new(
                    "paymentFactor.isInStorePayment",
                    "must be \"true\" for productCode IN_STORE_PAYMENT",
                ));
            }
            require(
                "paymentFactor.inStorePaymentScenario",
                factor.in_store_payment_scenario.as_ref(),
            )?;
        }
        match scenario {
            PayScenario::PaymentCode => {
                if self.payment_method.payment_method_type != CONNECT_WALLET {
                    return Err(ValidationError::new(
                        "paymentMethod.paymentMethodType",
                        format!(
                            "must be {CONNECT_WALLET} for a payment code, not {:?}",
                            self.payment_method.payment_method_type
                        ),
                    ));
                }
                let code = require(
                    "paymentMethod.paymentMethodId",
                    self.payment_method.payment_method_id.as_ref(),
                )?;
                PaymentCode::parse(code).map_err(|e| {
                    ValidationError::new("paymentMethod.paymentMethodId", e.to_string())
                })?;
                store()?;
            }
            PayScenario::OrderCode => {
                user_agent()?;
            }
            PayScenario::EntryCode => {
                store()?;
                user_agent()?;
            }
            PayScenario::Cashier => {
                require("paymentRedirectUrl", self.payment_redirect_url.as_ref())?;
            }
            PayScenario::AutoDebit => {
                require(
                    "paymentMethod.paymentMethodId",
                    self.payment_method.payment_method_id.as_ref(),
                )?;
            }
            PayScenario::InStoreUnspecified => {}
        }
        Ok(())
    }
}

impl Validate for PayResponse {
    fn validate(&self) -> Result<(), ValidationError> {
        check_result("result", &self.result)?;
        check_opt_id("paymentId", self.payment_id.as_ref())?;
        check_opt_id("acquirerId", self.acquirer_id.as_ref())?;
        check_opt_id("pspId", self.psp_id.as_ref())?;
        check_opt_id("customerId", self.customer_id.as_ref())?;
        check_time("paymentTime", self.payment_time.as_ref())?;
        if let Some(form) = &self.order_code_form {
            check_time("orderCodeForm.expireTime", form.expire_time.as_ref())?;
            check_code_details("orderCodeForm.codeDetails", &form.code_details)?;
        }
        Ok(())
    }
}

impl Validate for InquiryPaymentRequest {
    fn validate(&self) -> Result<(), ValidationError> {
        check_one_of_ids(self.payment_request_id.as_ref(), self.payment_id.as_ref())
    }
}

impl Validate for CancelPaymentRequest {
    fn validate(&self) -> Result<(), ValidationError> {
        check_one_of_ids(self.payment_request_id.as_ref(), self.payment_id.as_ref())
    }
}

impl Validate for RefundRequest {
    fn validate(&self) -> Result<(), ValidationError> {
        check_one_of_ids(self.payment_request_id.as_ref(), self.payment_id.as_ref())?;
        check_id("refundRequestId", &self.refund_request_id)?;
        if self.refund_amount.is_zero() {
            return Err(ValidationError::new(
                "refundAmount.value",
                "must be greater than 0",
            ));
        }
        Ok(())
    }
}

impl Validate for ConsultPaymentRequest {
    fn validate(&self) -> Result<(), ValidationError> {
        if let Some(region) = &self.user_region
            && (region.len() != 2 || !region.bytes().all(|b| b.is_ascii_uppercase()))
        {
            return Err(ValidationError::new(
                "userRegion",
                format!("{region:?} is not an ISO 3166 alpha-2 code such as \"JP\""),
            ));
        }
        Ok(())
    }
}

impl Validate for NotifyPaymentRequest {
    fn validate(&self) -> Result<(), ValidationError> {
        check_id("acquirerId", &self.acquirer_id)?;
        check_id("pspId", &self.psp_id)?;
        check_id("paymentRequestId", &self.payment_request_id)?;
        check_id("paymentId", &self.payment_id)?;
        check_opt_id("customerId", self.customer_id.as_ref())?;
        check_time("paymentTime", self.payment_time.as_ref())?;
        if self.payment_result.result_status == ResultStatus::Unknown {
            return Err(ValidationError::new(
                "paymentResult.resultStatus",
                "a notification carries a final result, S or F, never U",
            ));
        }
        Ok(())
    }
}

impl Validate for ResultOnly {
    fn validate(&self) -> Result<(), ValidationError> {
        check_result("result", &self.result)
    }
}

impl Validate for InquiryPaymentResponse {
    fn validate(&self) -> Result<(), ValidationError> {
        check_result("result", &self.result)?;
        if let Some(payment_result) = &self.payment_result {
            check_result("paymentResult", payment_result)?;
        } else if self.result.result_status == ResultStatus::Success {
            return Err(ValidationError::missing("paymentResult"));
        }
        check_opt_id("paymentRequestId", self.payment_request_id.as_ref())?;
        check_opt_id("paymentId", self.payment_id.as_ref())?;
        check_opt_id("pspId", self.psp_id.as_ref())?;
        check_opt_id("acquirerId", self.acquirer_id.as_ref())?;
        check_opt_id("customerId", self.customer_id.as_ref())?;
        check_time("paymentTime", self.payment_time.as_ref())
    }
}

impl Validate for CancelPaymentResponse {
    fn validate(&self) -> Result<(), ValidationError> {
        check_result("result", &self.result)?;
        check_opt_id("pspId", self.psp_id.as_ref())?;
        check_opt_id("acquirerId", self.acquirer_id.as_ref())
    }
}

impl Validate for RefundResponse {
    fn validate(&self) -> Result<(), ValidationError> {
        check_result("result", &self.result)?;
        check_opt_id("refundId", self.refund_id.as_ref())?;
        check_opt_id("pspId", self.psp_id.as_ref())?;
        check_opt_id("acquirerId", self.acquirer_id.as_ref())?;
        check_time("refundTime", self.refund_time.as_ref())
    }
}

impl Validate for ConsultPaymentResponse {
    fn validate(&self) -> Result<(), ValidationError> {
        check_result("result", &self.result)
    }
}

impl Validate for PrepareResponse {
    fn validate(&self) -> Result<(), ValidationError> {
        check_result("result", &self.result)?;
        if self.result.result_status == ResultStatus::Success {
            require("authUrl", self.auth_url.as_ref())?;
        }
        Ok(())
    }
}

impl Validate for ApplyTokenResponse {
    fn validate(&self) -> Result<(), ValidationError> {
        check_result("result", &self.result)?;
        if self.result.result_status == ResultStatus::Success {
            require("accessToken", self.access_token.as_ref())?;
        }
        check_time(
            "accessTokenExpiryTime",
            self.access_token_expiry_time.as_ref(),
        )?;
        check_time(
            "refreshTokenExpiryTime",
            self.refresh_token_expiry_time.as_ref(),
        )?;
        check_opt_id("customerId", self.customer_id.as_ref())
    }
}

impl Validate for UserInitiatedPayRequest {
    fn validate(&self) -> Result<(), ValidationError> {
        check_id("acquirerId", &self.acquirer_id)?;
        check_id("pspId", &self.psp_id)?;
        check_len("codeValue", &self.code_value, MAX_CODE_VALUE_LEN)?;
        check_opt_id("customerId", self.customer_id.as_ref())
    }
}

impl Validate for UserInitiatedPayResponse {
    fn validate(&self) -> Result<(), ValidationError> {
        check_result("result", &self.result)?;
        if self.result.result_status != ResultStatus::Success {
            return Ok(());
        }
        require("codeType", self.code_type.as_ref())?;
        let id = require("paymentRequestId", self.payment_request_id.as_ref())?;
        check_id("paymentRequestId", id)?;
        check_order(require("order", self.order.as_ref())?)?;
        require("paymentAmount", self.payment_amount.as_ref())?;
        check_callback_url("paymentNotifyUrl", self.payment_notify_url.as_ref())?;
        check_time("paymentExpiryTime", self.payment_expiry_time.as_ref())
    }
}

impl Validate for PrepareRequest {
    fn validate(&self) -> Result<(), ValidationError> {
        if self.scopes.is_empty() {
            return Err(ValidationError::new(
                "scopes",
                "at least one scope, e.g. AGREEMENT_PAY",
            ));
        }
        check_callback_url("authRedirectUrl", Some(&self.auth_redirect_url))
    }
}

impl Validate for ApplyTokenRequest {
    fn validate(&self) -> Result<(), ValidationError> {
        match self.grant_type {
            GrantType::AuthorizationCode => {
                require("authCode", self.auth_code.as_ref()).map(|_| ())
            }
            GrantType::RefreshToken => {
                require("refreshToken", self.refresh_token.as_ref()).map(|_| ())
            }
        }
    }
}

impl Validate for CancelTokenRequest {
    fn validate(&self) -> Result<(), ValidationError> {
        check_len("accessToken", &self.access_token, MAX_CODE_VALUE_LEN)
    }
}

impl Validate for AuthNotifyRequest {
    fn validate(&self) -> Result<(), ValidationError> {
        match self.authorization_notify_type {
            AuthorizationNotifyType::AuthcodeCreated => {
                require("authCode", self.auth_code.as_ref()).map(|_| ())
            }
            AuthorizationNotifyType::TokenCreated | AuthorizationNotifyType::TokenCanceled => {
                require("accessToken", self.access_token.as_ref()).map(|_| ())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_field_names_the_full_path() {
        let err = parse_request::<InquiryPaymentRequest>(b"[1]").unwrap_err();
        assert_eq!(err.field, "", "{err}");
        let err = parse_request::<RefundRequest>(
            br#"{"paymentId":"p","refundAmount":{"currency":"JPY","value":"1"}}"#,
        )
        .unwrap_err();
        assert_eq!(err.message(), "refundRequestId: missing");
        assert_eq!(
            err.to_api_result().result_message,
            "refundRequestId: missing",
            "PARAM_ILLEGAL message"
        );
    }

    #[test]
    fn inquiry_needs_an_id() {
        let req: InquiryPaymentRequest = parse_request(b"{}").unwrap();
        assert_eq!(req.validate().unwrap_err().field, "paymentRequestId");
        let long = format!(r#"{{"paymentId":"{}"}}"#, "x".repeat(65));
        let req: InquiryPaymentRequest = parse_request(long.as_bytes()).unwrap();
        let err = req.validate().unwrap_err();
        assert_eq!(err.field, "paymentId");
        assert!(err.reason.contains("65"), "{err}");
    }
}
