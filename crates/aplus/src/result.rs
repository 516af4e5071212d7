//! Result codes and the `result` object every answer carries.
//!
//! Every response has `result: {resultCode, resultStatus, resultMessage}`: `S` success, `F`
//! failure (final), `U` unknown (inquire or retry). HTTP status is 200 whenever there is a result.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// The outcome class of a result: success, final failure, or unknown.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ResultStatus {
    /// `S`: success.
    #[serde(rename = "S")]
    Success,
    /// `F`: failure, final.
    #[serde(rename = "F")]
    Failure,
    /// `U`: unknown; inquire or retry.
    #[serde(rename = "U")]
    Unknown,
}

impl ResultStatus {
    /// The one-letter wire form.
    pub fn as_str(self) -> &'static str {
        match self {
            ResultStatus::Success => "S",
            ResultStatus::Failure => "F",
            ResultStatus::Unknown => "U",
        }
    }
}

impl fmt::Display for ResultStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

macro_rules! result_codes {
    ($( $(#[$doc:meta])* $variant:ident = $wire:literal, $status:ident, $message:literal; )*) => {
        /// A `resultCode`. Codes Linker does not know are kept verbatim in [`ResultCode::Other`].
        #[derive(Debug, Clone, PartialEq, Eq, Hash)]
        pub enum ResultCode {
            $( $(#[$doc])* $variant, )*
            /// A code not in the spec's tables, kept as received.
            Other(String),
        }

        impl ResultCode {
            /// Every known code (without [`ResultCode::Other`]).
            pub const KNOWN: &'static [ResultCode] = &[$(ResultCode::$variant,)*];

            /// The wire string, e.g. `"PARAM_ILLEGAL"`.
            pub fn as_str(&self) -> &str {
                match self {
                    $( ResultCode::$variant => $wire, )*
                    ResultCode::Other(code) => code,
                }
            }

            /// The status the spec gives this code; `None` for an unknown code.
            pub fn status(&self) -> Option<ResultStatus> {
                match self {
                    $( ResultCode::$variant => Some(ResultStatus::$status), )*
                    ResultCode::Other(_) => None,
                }
            }

            /// A default human message for the code.
            pub fn default_message(&self) -> &str {
                match self {
                    $( ResultCode::$variant => $message, )*
                    ResultCode::Other(code) => code,
                }
            }

            /// Parses a wire string; an unknown code becomes [`ResultCode::Other`].
            pub fn parse(code: &str) -> ResultCode {
                match code {
                    $( $wire => ResultCode::$variant, )*
                    other => ResultCode::Other(other.to_owned()),
                }
            }
        }
    };
}

result_codes! {
    // Common.
    /// The call succeeded.
    Success = "SUCCESS", Success, "success";
    /// An unknown error; the outcome is not known.
    UnknownException = "UNKNOWN_EXCEPTION", Unknown, "An API call failed for an unknown reason";
    /// Too many requests.
    RequestTrafficExceedLimit = "REQUEST_TRAFFIC_EXCEED_LIMIT", Unknown, "The request traffic exceeds the limit";
    /// Processing failed.
    ProcessFail = "PROCESS_FAIL", Failure, "A general business failure occurred";
    /// A parameter is missing or malformed.
    ParamIllegal = "PARAM_ILLEGAL", Failure, "Illegal parameters";
    /// The HTTP method is not supported.
    MethodNotSupported = "METHOD_NOT_SUPPORTED", Failure, "The server does not implement the requested HTTP method";
    /// The media type is not acceptable.
    MediaTypeNotAcceptable = "MEDIA_TYPE_NOT_ACCEPTABLE", Failure, "The server does not implement the media type that is acceptable to the client";
    /// The API does not exist.
    InvalidApi = "INVALID_API", Failure, "The called API is invalid or not active";
    /// The client id is unknown.
    InvalidClient = "INVALID_CLIENT", Failure, "The client is invalid";
    /// The signature did not verify.
    InvalidSignature = "INVALID_SIGNATURE", Failure, "The signature is invalid";
    /// No key is registered for the client.
    KeyNotFound = "KEY_NOT_FOUND", Failure, "The key is not found";
    /// Access denied.
    AccessDenied = "ACCESS_DENIED", Failure, "Access is denied";
    /// A repeated request differs from the first one.
    RepeatReqInconsistent = "REPEAT_REQ_INCONSISTENT", Failure, "The repeated request is inconsistent with the original one";
    /// The order does not exist.
    OrderNotExist = "ORDER_NOT_EXIST", Failure, "The order does not exist";
    // Payment.
    /// The payment waits for the customer.
    PaymentInProcess = "PAYMENT_IN_PROCESS", Unknown, "The payment is being processed";
    /// The user's balance is not enough.
    UserBalanceNotEnough = "USER_BALANCE_NOT_ENOUGH", Failure, "The user balance is not enough";
    /// The order is closed.
    OrderIsClosed = "ORDER_IS_CLOSED", Failure, "The order is closed";
    /// The user's limit is exceeded.
    UserAmountExceedLimit = "USER_AMOUNT_EXCEED_LIMIT", Failure, "The payment amount exceeds the user's limit";
    /// The payment amount exceeds the limit.
    PaymentAmountExceedLimit = "PAYMENT_AMOUNT_EXCEED_LIMIT", Failure, "The payment amount exceeds the limit";
    /// Too many payments.
    PaymentCountExceedLimit = "PAYMENT_COUNT_EXCEED_LIMIT", Failure, "The number of payments exceeds the limit";
    /// The user does not exist.
    UserNotExist = "USER_NOT_EXIST", Failure, "The user does not exist";
    /// The user's account is abnormal.
    UserStatusAbnormal = "USER_STATUS_ABNORMAL", Failure, "The user status is abnormal";
    /// The user's KYC is insufficient.
    UserKycNotQualified = "USER_KYC_NOT_QUALIFIED", Failure, "The user is not KYC qualified";
    /// The user's verification failed.
    UserPaymentVerificationFailed = "USER_PAYMENT_VERIFICATION_FAILED", Failure, "The user failed payment verification";
    /// The merchant is not registered.
    MerchantNotRegistered = "MERCHANT_NOT_REGISTERED", Failure, "The merchant is not registered";
    /// The merchant's KYB is insufficient.
    MerchantKybNotQualified = "MERCHANT_KYB_NOT_QUALIFIED", Failure, "The merchant is not KYB qualified";
    /// Rejected by risk control.
    RiskReject = "RISK_REJECT", Failure, "The payment is rejected by risk control";
    /// The currency is not supported.
    CurrencyNotSupport = "CURRENCY_NOT_SUPPORT", Failure, "The currency is not supported";
    /// The business is not supported.
    BusinessNotSupport = "BUSINESS_NOT_SUPPORT", Failure, "The business is not supported";
    /// The contract is invalid.
    InvalidContract = "INVALID_CONTRACT", Failure, "The contract is invalid";
    /// The payment method is unavailable.
    UnavailablePaymentMethod = "UNAVAILABLE_PAYMENT_METHOD", Failure, "The payment method is unavailable";
    /// The access token is invalid.
    InvalidAccessToken = "INVALID_ACCESS_TOKEN", Failure, "The access token is invalid";
    /// The access token expired.
    ExpiredAccessToken = "EXPIRED_ACCESS_TOKEN", Failure, "The access token has expired";
    /// The code expired.
    ExpiredCode = "EXPIRED_CODE", Failure, "The payment code has expired";
    /// The code is invalid.
    InvalidCode = "INVALID_CODE", Failure, "The payment code is invalid";
    // Refund.
    /// The refunds would exceed the paid amount.
    RefundAmountExceed = "REFUND_AMOUNT_EXCEED", Failure, "The total refund amount exceeds the payment amount";
    /// The refund window has passed.
    RefundWindowExceed = "REFUND_WINDOW_EXCEED", Failure, "The refund window has passed";
    /// The order's status does not allow this.
    OrderStatusInvalid = "ORDER_STATUS_INVALID", Failure, "The order status is invalid";
    /// The refund is in process.
    RefundInProcess = "REFUND_IN_PROCESS", Unknown, "The refund is being processed";
}

impl fmt::Display for ResultCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for ResultCode {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for ResultCode {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let code = String::deserialize(deserializer)?;
        Ok(ResultCode::parse(&code))
    }
}

/// The `result` (or `paymentResult`) object: `{resultCode, resultStatus, resultMessage}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ApiResult {
    /// The code, e.g. `SUCCESS`.
    pub result_code: ResultCode,
    /// `S`, `F` or `U`.
    pub result_status: ResultStatus,
    /// A human message; absent reads as empty, and empty is not written (the wire omits an
    /// absent field rather than sending `""`, which Linker refuses).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub result_message: String,
}

impl ApiResult {
    /// `SUCCESS` / `S` / `success`: also the exact acknowledgement of a notification.
    pub fn success() -> ApiResult {
        ApiResult::from_code(ResultCode::Success)
    }

    /// A final failure with the given code and message.
    pub fn failure(code: ResultCode, message: impl Into<String>) -> ApiResult {
        ApiResult {
            result_code: code,
            result_status: ResultStatus::Failure,
            result_message: message.into(),
        }
    }

    /// An unknown outcome (`U`) with the given code and message.
    pub fn unknown(code: ResultCode, message: impl Into<String>) -> ApiResult {
        ApiResult {
            result_code: code,
            result_status: ResultStatus::Unknown,
            result_message: message.into(),
        }
    }

    /// The code with its spec status and default message (an unknown code gets `U`).
    pub fn from_code(code: ResultCode) -> ApiResult {
        let status = code.status().unwrap_or(ResultStatus::Unknown);
        ApiResult {
            result_message: code.default_message().to_owned(),
            result_code: code,
            result_status: status,
        }
    }

    /// `PARAM_ILLEGAL` / `F` with the message, e.g. `"paymentRequestId: missing"`.
    pub fn param_illegal(message: impl Into<String>) -> ApiResult {
        ApiResult::failure(ResultCode::ParamIllegal, message)
    }

    /// True for status `S`.
    pub fn is_success(&self) -> bool {
        self.result_status == ResultStatus::Success
    }

    /// True when a known code is sent with a status other than the spec's (e.g. `SUCCESS`/`F`).
    pub fn is_inconsistent(&self) -> bool {
        self.result_code
            .status()
            .is_some_and(|status| status != self.result_status)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_known_code_round_trips_and_has_a_status() {
        for code in ResultCode::KNOWN {
            assert_eq!(&ResultCode::parse(code.as_str()), code, "{code}");
            assert!(code.status().is_some(), "{code} has a status");
            assert!(!code.default_message().is_empty(), "{code} has a message");
        }
        assert_eq!(
            ResultCode::KNOWN.len(),
            39,
            "14 common + 21 payment + 4 refund"
        );
    }

    #[test]
    fn statuses_follow_the_spec() {
        assert_eq!(
            ResultCode::PaymentInProcess.status(),
            Some(ResultStatus::Unknown)
        );
        assert_eq!(
            ResultCode::RequestTrafficExceedLimit.status(),
            Some(ResultStatus::Unknown)
        );
        assert_eq!(
            ResultCode::ParamIllegal.status(),
            Some(ResultStatus::Failure)
        );
        assert_eq!(
            ResultCode::RefundInProcess.status(),
            Some(ResultStatus::Unknown)
        );
    }

    #[test]
    fn unknown_code_is_preserved() {
        let r: ApiResult = serde_json::from_str(
            r#"{"resultCode":"SOMETHING_NEW","resultStatus":"F","resultMessage":"x"}"#,
        )
        .unwrap();
        assert_eq!(r.result_code, ResultCode::Other("SOMETHING_NEW".into()));
        assert_eq!(
            r.result_status,
            ResultStatus::Failure,
            "status carried from the wire"
        );
        assert!(!r.is_inconsistent());
    }

    #[test]
    fn success_ack_is_exact() {
        assert_eq!(
            serde_json::to_string(&ApiResult::success()).unwrap(),
            r#"{"resultCode":"SUCCESS","resultStatus":"S","resultMessage":"success"}"#
        );
        let f = ApiResult::failure(ResultCode::ParamIllegal, "paymentRequestId: missing");
        assert_eq!(f.result_status, ResultStatus::Failure);
        assert!(ApiResult::unknown(ResultCode::Success, "odd").is_inconsistent());
    }
}
