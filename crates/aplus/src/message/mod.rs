//! Serde types for every Alipay+ request, response and callback Linker speaks.
//!
//! Field names are camelCase as on the wire; optional fields are `Option` and omitted when
//! absent. Amounts are [`Amount`](crate::Amount), booleans are [`WireBool`](crate::wire::WireBool),
//! results are [`ApiResult`](crate::ApiResult). Unknown fields are ignored; unknown enum values
//! are errors that name the field.
//!
//! - [`common`]: order, merchant, store, env, payment method and factor, order code form.
//! - [`payment`]: pay, inquiryPayment, cancelPayment, refund, consultPayment, notifyPayment.
//! - [`user_initiated`]: userInitiatedPay (private order codes).
//! - [`authorization`]: prepare, applyToken, cancelToken, authNotify (Auto Debit).

pub mod authorization;
pub mod common;
pub mod payment;
pub mod user_initiated;

pub use authorization::*;
pub use common::*;
pub use payment::*;
pub use user_initiated::*;

use serde::Serialize;

/// The Alipay+ APIs, with the path each is served at.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum Api {
    /// `pay`, ACQP → Alipay+.
    Pay,
    /// `consultPayment`, ACQP → Alipay+.
    ConsultPayment,
    /// `inquiryPayment`, ACQP → Alipay+.
    InquiryPayment,
    /// `cancelPayment`, ACQP → Alipay+.
    CancelPayment,
    /// `refund`, ACQP → Alipay+.
    Refund,
    /// `prepare`, ACQP → Alipay+.
    Prepare,
    /// `applyToken`, ACQP → Alipay+.
    ApplyToken,
    /// `cancelToken`, ACQP → Alipay+.
    CancelToken,
    /// `notifyPayment`, Alipay+ → ACQP (URL is a project setting).
    NotifyPayment,
    /// `userInitiatedPay`, Alipay+ → ACQP (URL is a project setting).
    UserInitiatedPay,
    /// `authNotify`, Alipay+ → ACQP (URL is a project setting).
    AuthNotify,
}

impl Api {
    /// The APIs the hub serves, ACQP → Alipay+.
    pub const HUB_SERVED: [Api; 8] = [
        Api::Pay,
        Api::ConsultPayment,
        Api::InquiryPayment,
        Api::CancelPayment,
        Api::Refund,
        Api::Prepare,
        Api::ApplyToken,
        Api::CancelToken,
    ];

    /// The API name as Alipay+ writes it, e.g. `inquiryPayment`.
    pub fn name(self) -> &'static str {
        match self {
            Api::Pay => "pay",
            Api::ConsultPayment => "consultPayment",
            Api::InquiryPayment => "inquiryPayment",
            Api::CancelPayment => "cancelPayment",
            Api::Refund => "refund",
            Api::Prepare => "prepare",
            Api::ApplyToken => "applyToken",
            Api::CancelToken => "cancelToken",
            Api::NotifyPayment => "notifyPayment",
            Api::UserInitiatedPay => "userInitiatedPay",
            Api::AuthNotify => "authNotify",
        }
    }

    /// The hub's path for an API it serves (`None` for callbacks, whose URLs are settings).
    pub fn hub_path(self) -> Option<&'static str> {
        Some(match self {
            Api::Pay => "/aps/api/v1/payments/pay",
            Api::ConsultPayment => "/aps/api/v1/payments/consultPayment",
            Api::InquiryPayment => "/aps/api/v1/payments/inquiryPayment",
            Api::CancelPayment => "/aps/api/v1/payments/cancelPayment",
            Api::Refund => "/aps/api/v1/payments/refund",
            Api::Prepare => "/aps/api/v1/authorizations/prepare",
            Api::ApplyToken => "/aps/api/v1/authorizations/applyToken",
            Api::CancelToken => "/aps/api/v1/authorizations/cancelToken",
            Api::NotifyPayment | Api::UserInitiatedPay | Api::AuthNotify => return None,
        })
    }

    /// The hub-served API at `path` (query ignored), if any.
    pub fn from_hub_path(path: &str) -> Option<Api> {
        let path = path.split('?').next().unwrap_or(path);
        Api::HUB_SERVED
            .into_iter()
            .find(|api| api.hub_path() == Some(path))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hub_paths_round_trip() {
        for api in Api::HUB_SERVED {
            let path = api.hub_path().expect("hub-served API has a path");
            assert_eq!(Api::from_hub_path(path), Some(api), "{path}");
        }
        assert_eq!(
            Api::from_hub_path("/aps/api/v1/payments/pay?x=1"),
            Some(Api::Pay)
        );
        assert_eq!(Api::from_hub_path("/nope"), None);
    }
}
