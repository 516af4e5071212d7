//! Auto Debit authorization: prepare, applyToken, cancelToken, authNotify.

use serde::{Deserialize, Serialize};

use crate::result::ApiResult;

/// `prepare` request: start an authorization; the answer carries the URL for the wallet.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PrepareRequest {
    /// The wallet the customer uses, e.g. `TEST_WALLET`.
    pub customer_belongs_to: String,
    /// The merchant's id for the authorization.
    pub auth_client_id: String,
    /// Where the wallet returns the customer.
    pub auth_redirect_url: String,
    /// What is authorized, e.g. `AGREEMENT_PAY`.
    pub scopes: Vec<String>,
    /// Opaque state echoed back to the redirect.
    pub auth_state: String,
    /// `APP`, `WAP`, `WEB`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub terminal_type: Option<String>,
    /// `IOS`, `ANDROID`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub os_type: Option<String>,
}

/// `prepare` response.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PrepareResponse {
    /// The outcome.
    pub result: ApiResult,
    /// The authorization page for the wallet.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auth_url: Option<String>,
    /// A scheme URL opening the wallet app.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scheme_url: Option<String>,
    /// An app link opening the wallet app.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub applink_url: Option<String>,
}

/// `grantType` of applyToken.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum GrantType {
    /// Exchange an auth code for a token.
    AuthorizationCode,
    /// Refresh a token.
    RefreshToken,
}

/// `applyToken` request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ApplyTokenRequest {
    /// Auth code or refresh.
    pub grant_type: GrantType,
    /// The wallet the customer uses.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub customer_belongs_to: Option<String>,
    /// The auth code (grant `AUTHORIZATION_CODE`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auth_code: Option<String>,
    /// The refresh token (grant `REFRESH_TOKEN`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refresh_token: Option<String>,
}

/// `applyToken` response.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ApplyTokenResponse {
    /// The outcome.
    pub result: ApiResult,
    /// The access token for `pay` (`paymentMethodId`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub access_token: Option<String>,
    /// When the access token expires.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub access_token_expiry_time: Option<String>,
    /// The refresh token.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refresh_token: Option<String>,
    /// When the refresh token expires.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refresh_token_expiry_time: Option<String>,
    /// The customer at the wallet.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub customer_id: Option<String>,
}

/// `cancelToken` request: the merchant unbinds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CancelTokenRequest {
    /// The token to revoke.
    pub access_token: String,
}

/// `cancelToken` response.
pub type CancelTokenResponse = super::common::ResultOnly;

/// `authorizationNotifyType` of authNotify.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum AuthorizationNotifyType {
    /// The customer authorized; `authCode` is present.
    AuthcodeCreated,
    /// A token was created.
    TokenCreated,
    /// The customer revoked the token in the wallet.
    TokenCanceled,
}

/// `authNotify` request, Alipay+ → ACQP.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AuthNotifyRequest {
    /// What happened.
    pub authorization_notify_type: AuthorizationNotifyType,
    /// The merchant's id for the authorization.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auth_client_id: Option<String>,
    /// The state given to prepare.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auth_state: Option<String>,
    /// The auth code (AUTHCODE_CREATED).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auth_code: Option<String>,
    /// The access token concerned (TOKEN_CREATED, TOKEN_CANCELED).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub access_token: Option<String>,
    /// The wallet's id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub psp_id: Option<String>,
    /// The acquirer id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub acquirer_id: Option<String>,
    /// The customer at the wallet.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub customer_id: Option<String>,
    /// Why (e.g. for TOKEN_CANCELED).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}
