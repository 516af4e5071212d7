//! Auto Debit: `prepare` opens an authorization the wallet can grant; granting it sends the ACQP
//! `authNotify` (AUTHCODE_CREATED, queued with the grant and retried until acknowledged); `applyToken` turns the code (or a refresh token) into an
//! access token; `pay` with `AGREEMENT_PAYMENT` debits with it; `cancelToken` (the merchant) or a
//! revocation in the wallet (TOKEN_CANCELED) ends it. `wallet.rs` is the wallet's side: what an
//! authorization URL asks, granting, declining, the wallet's list, revoking, and the run each
//! authorization's exchanges belong to.

mod wallet;

pub use wallet::{AuthorizationPrompt, AuthorizationView, Declined};

use chrono::{DateTime, Duration, Utc};
use linker_aplus::message::{
    ApplyTokenRequest, ApplyTokenResponse, AuthNotifyRequest, CancelTokenRequest, GrantType,
    PrepareRequest, PrepareResponse, ResultOnly,
};
use linker_aplus::time::format_wire_time;
use linker_aplus::{ApiResult, ResultCode};
use serde::Serialize;

use crate::Hub;
use crate::domain::api_outcome::ApiOutcome;
use crate::domain::notifications::Held;
use crate::domain::projects::Project;
use crate::error::HubError;
use crate::store::authorizations::{
    AuthorizationRow, AuthorizationStatus, Grant, NewAuthorization,
};
use crate::store::deliveries::{AUTH_NOTIFY, Delivery};
use crate::store::{Db, StoreError};
use linker_aplus::time::beijing;

/// How long an access token lasts.
pub const ACCESS_TOKEN_VALIDITY: Duration = Duration::days(30);
/// How long an authorization code can be exchanged.
pub const AUTH_CODE_VALIDITY: Duration = Duration::minutes(10);

/// What the wallet is told after granting an authorization.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Granted {
    /// The authorization's id.
    pub id: String,
    /// The code the ACQP exchanges for a token.
    pub auth_code: String,
    /// Where the wallet sends the customer back (the ACQP's URL with authCode and authState).
    pub redirect_url: String,
    /// Whether the ACQP acknowledged the authNotify (a signed S ack).
    pub notified: bool,
}

fn wire(time: DateTime<Utc>) -> String {
    format_wire_time(&time.with_timezone(&beijing()))
}

impl Hub {
    /// `prepare`: an authorization waiting for the customer, and the URL the wallet opens.
    pub fn prepare(&self, project: &Project, request: &PrepareRequest) -> ApiOutcome {
        let id = self.ids.alphanumeric("auth_", 16);
        let now = self.clock.now();
        let stored = self.store.db(|db| {
            db.authorizations().insert(&NewAuthorization {
                id: &id,
                project_id: &project.id,
                auth_client_id: &request.auth_client_id,
                auth_redirect_url: &request.auth_redirect_url,
                auth_state: &request.auth_state,
                scopes: &request.scopes,
                created_at: now,
            })
        });
        if let Err(error) = stored {
            tracing::error!(%error, "could not store an authorization");
            return ApiOutcome::result(ApiResult::unknown(
                ResultCode::UnknownException,
                "retry prepare",
            ));
        }
        ApiOutcome::of(&PrepareResponse {
            result: ApiResult::success(),
            auth_url: Some(format!(
                "{}/authorize/{id}",
                self.public_url.trim_end_matches('/')
            )),
            scheme_url: None,
            applink_url: None,
        })
    }

    /// An `authNotify` for the project, to queue in the transaction of the change it reports;
    /// `None` when the project registered no authNotify URL.
    pub(crate) fn auth_notify_delivery(
        &self,
        project: &Project,
        request: &AuthNotifyRequest,
        run_id: Option<&str>,
    ) -> Option<Delivery> {
        let url = project.auth_notify_url.clone()?;
        let body = serde_json::to_string(request).unwrap_or_default();
        Some(self.new_delivery(project, AUTH_NOTIFY, url, body, run_id))
    }

    /// Sends a queued `authNotify` once now (logged, and recorded in its run while open); true
    /// when the ACQP acknowledged it (a signed S). Otherwise the worker sends it again on the
    /// project's schedule. `held` is the hold taken before it was queued (`None`: another
    /// sender has it, and this one leaves it to them).
    pub(crate) async fn send_auth_notify(
        &self,
        queued: Option<Delivery>,
        held: Option<Held<'_>>,
    ) -> Result<bool, HubError> {
        let (Some(mut delivery), Some(_held)) = (queued, held) else {
            return Ok(false);
        };
        Ok(self.attempt_delivery(&mut delivery).await?.acknowledged)
    }

    /// `applyToken`: an access token for an authorization code (once) or a refresh token.
    pub fn apply_token(&self, project: &Project, request: &ApplyTokenRequest) -> ApiOutcome {
        let now = self.clock.now();
        let grant = match grant_of(request) {
            Ok(grant) => grant,
            Err(refusal) => return refusal,
        };
        let found = self
            .store
            .db(|db| db.authorizations().by_grant(&project.id, grant));
        let authorization = match found {
            Ok(Some(found)) => found,
            Ok(None) => {
                let (code, column) = match grant {
                    Grant::AuthCode(_) => (ResultCode::InvalidCode, "auth_code"),
                    Grant::RefreshToken(_) => (ResultCode::InvalidAccessToken, "refresh_token"),
                };
                return ApiOutcome::result(ApiResult::failure(
                    code,
                    format!("no such {column} on this project"),
                ));
            }
            Err(error) => {
                tracing::error!(%error, "applyToken lookup failed");
                return ApiOutcome::result(ApiResult::unknown(
                    ResultCode::UnknownException,
                    "retry applyToken",
                ));
            }
        };
        if let Some(refusal) = grant_refusal(&authorization, grant, now) {
            return ApiOutcome::result(refusal);
        }
        self.issue_tokens(&authorization, now)
    }

    /// Issues an authorization's access and refresh tokens, and answers them.
    fn issue_tokens(&self, authorization: &AuthorizationRow, now: DateTime<Utc>) -> ApiOutcome {
        let access = self.ids.alphanumeric("", 40);
        let refresh = self.ids.alphanumeric("", 40);
        let expires = now + ACCESS_TOKEN_VALIDITY;
        let stored = self.store.db(|db| {
            db.authorizations()
                .issue_token(&authorization.id, &access, &refresh, expires)
        });
        if stored.is_err() {
            return ApiOutcome::result(ApiResult::unknown(
                ResultCode::UnknownException,
                "retry applyToken",
            ));
        }
        ApiOutcome::of(&ApplyTokenResponse {
            result: ApiResult::success(),
            access_token: Some(access),
            access_token_expiry_time: Some(wire(expires)),
            refresh_token: Some(refresh),
            refresh_token_expiry_time: Some(wire(expires + Duration::days(30))),
            customer_id: authorization.customer_id.clone(),
        })
    }

    /// `cancelToken`: the merchant unbinds; idempotent.
    pub fn cancel_token(&self, project: &Project, request: &CancelTokenRequest) -> ApiOutcome {
        let now = self.clock.now();
        let changed = self.store.db(|db| {
            db.authorizations()
                .revoke_token(&project.id, &request.access_token, now)
        });
        match changed {
            Ok(0) => ApiOutcome::result(ApiResult::failure(
                ResultCode::InvalidAccessToken,
                "no such accessToken on this project",
            )),
            Ok(_) => ApiOutcome::of(&ResultOnly {
                result: ApiResult::success(),
            }),
            Err(error) => {
                tracing::error!(%error, "cancelToken failed");
                ApiOutcome::result(ApiResult::unknown(
                    ResultCode::UnknownException,
                    "retry cancelToken",
                ))
            }
        }
    }
}

/// What an `applyToken` presents, or the PARAM_ILLEGAL answer when its grant type's field is
/// missing.
fn grant_of(request: &ApplyTokenRequest) -> Result<Grant<'_>, ApiOutcome> {
    match (
        request.grant_type,
        &request.auth_code,
        &request.refresh_token,
    ) {
        (GrantType::AuthorizationCode, Some(code), _) => Ok(Grant::AuthCode(code)),
        (GrantType::RefreshToken, _, Some(token)) => Ok(Grant::RefreshToken(token)),
        (GrantType::AuthorizationCode, None, _) => Err(ApiOutcome::result(
            ApiResult::param_illegal("authCode: missing for grantType AUTHORIZATION_CODE"),
        )),
        (GrantType::RefreshToken, _, None) => Err(ApiOutcome::result(ApiResult::param_illegal(
            "refreshToken: missing for grantType REFRESH_TOKEN",
        ))),
    }
}

/// Why an authorization cannot give tokens for this grant now, if it cannot.
fn grant_refusal(
    authorization: &AuthorizationRow,
    grant: Grant<'_>,
    now: DateTime<Utc>,
) -> Option<ApiResult> {
    if authorization.status == AuthorizationStatus::Revoked {
        return Some(ApiResult::failure(
            ResultCode::InvalidAccessToken,
            "the customer revoked this authorization",
        ));
    }
    if let Grant::AuthCode(_) = grant {
        if authorization.status != AuthorizationStatus::Authorized {
            return Some(ApiResult::failure(
                ResultCode::InvalidCode,
                "this authCode was already exchanged",
            ));
        }
        if authorization.code_expires_at.is_some_and(|t| now >= t) {
            return Some(ApiResult::failure(
                ResultCode::ExpiredCode,
                "the authCode expired",
            ));
        }
    }
    None
}

/// Checks an access token inside a pay's transaction: the customer, or the failure to answer.
pub(crate) fn token_customer(
    db: Db<'_>,
    project_id: &str,
    token: &str,
    now: DateTime<Utc>,
) -> Result<Result<String, (ResultCode, String)>, StoreError> {
    let found = db.authorizations().by_access_token(project_id, token)?;
    Ok(match found {
        None => Err((
            ResultCode::InvalidAccessToken,
            "no such access token on this project".to_owned(),
        )),
        Some(found) if found.status == AuthorizationStatus::Revoked => Err((
            ResultCode::InvalidAccessToken,
            "the authorization behind this token was revoked".to_owned(),
        )),
        Some(found) if found.token_expires_at.is_some_and(|t| now >= t) => Err((
            ResultCode::ExpiredAccessToken,
            "the access token expired: refresh it with applyToken".to_owned(),
        )),
        Some(found) => Ok(found.customer_id.unwrap_or_default()),
    })
}
