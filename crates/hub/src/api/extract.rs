//! Extractors for what the JSON APIs' handlers need before they run: the admin credential (or,
//! on a project's routes, that project's token), the wallet's session, and JSON bodies. Every rejection is a [`HubError`] (so it answers as the
//! same `{code, message}` as any other error), but for a body axum cannot read at all.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, RawPathParams, Request};
use axum::http::request::Parts;
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Response};

use crate::Hub;
use crate::domain::merchants::Merchant;
use crate::domain::project_tokens::is_project_token;
use crate::error::HubError;

/// The request carries the admin token (`Authorization: Bearer <token>`). A project token is
/// refused here with `FORBIDDEN`: these routes are the whole hub's.
#[derive(Debug, Clone, Copy)]
pub struct AdminAuth;

impl FromRequestParts<Arc<Hub>> for AdminAuth {
    type Rejection = HubError;

    async fn from_request_parts(parts: &mut Parts, hub: &Arc<Hub>) -> Result<Self, HubError> {
        let token = bearer(&parts.headers)?;
        if is_project_token(token) {
            return Err(HubError::Forbidden(
                "a project token opens only its project's routes (/admin/v1/projects/{id}/...); \
                 this one is the whole hub's and needs the admin token"
                    .to_owned(),
            ));
        }
        hub.check_admin_token(token)?;
        Ok(AdminAuth)
    }
}

/// The request may act on the project its path names (`/projects/{id}/...`): it carries the
/// admin token, or that project's own token (`lkp_...`, [`crate::domain::project_tokens`]).
#[derive(Debug, Clone, Copy)]
pub struct ProjectAuth;

impl FromRequestParts<Arc<Hub>> for ProjectAuth {
    type Rejection = HubError;

    async fn from_request_parts(parts: &mut Parts, hub: &Arc<Hub>) -> Result<Self, HubError> {
        let token = bearer(&parts.headers)?.to_owned();
        if !is_project_token(&token) {
            hub.check_admin_token(&token)?;
            return Ok(ProjectAuth);
        }
        let params = RawPathParams::from_request_parts(parts, hub)
            .await
            .map_err(|error| HubError::Internal(format!("project route: {error}")))?;
        let project = params
            .iter()
            .find(|(name, _)| *name == "id")
            .map(|(_, value)| value.to_owned())
            .ok_or_else(|| HubError::Internal("a project route without {id}".to_owned()))?;
        hub.check_project_token(&token, &project)?;
        Ok(ProjectAuth)
    }
}

/// A signed-in merchant's wallet session (`Authorization: Bearer <token>`).
#[derive(Debug, Clone)]
pub struct WalletSession {
    /// The merchant it belongs to.
    pub merchant: Merchant,
    /// The session token, as sent.
    pub token: String,
}

impl FromRequestParts<Arc<Hub>> for WalletSession {
    type Rejection = HubError;

    async fn from_request_parts(parts: &mut Parts, hub: &Arc<Hub>) -> Result<Self, HubError> {
        let token = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.strip_prefix("Bearer "))
            .ok_or_else(|| HubError::denied("NOT_SIGNED_IN", "not signed in"))?;
        Ok(WalletSession {
            merchant: hub.authenticate(token)?,
            token: token.to_owned(),
        })
    }
}

/// A signed-in merchant and the run its path names (`{run}`), which must be the merchant's own:
/// another merchant's run is not found before anything the request sends is read, so a body
/// error never tells a stranger that the run exists.
#[derive(Debug, Clone)]
pub struct MerchantRun {
    /// The merchant signed in.
    pub merchant: Merchant,
    /// The run's id.
    pub run: String,
}

impl FromRequestParts<Arc<Hub>> for MerchantRun {
    type Rejection = HubError;

    async fn from_request_parts(parts: &mut Parts, hub: &Arc<Hub>) -> Result<Self, HubError> {
        let WalletSession { merchant, .. } = WalletSession::from_request_parts(parts, hub).await?;
        let axum::extract::Path(params) = axum::extract::Path::<
            std::collections::HashMap<String, String>,
        >::from_request_parts(parts, hub)
        .await
        .map_err(|_| HubError::NotFound("run".to_owned()))?;
        let run = params
            .get("run")
            .cloned()
            .ok_or_else(|| HubError::NotFound("run".to_owned()))?;
        hub.check_run_owner(&merchant, &run)?;
        Ok(MerchantRun { merchant, run })
    }
}

/// A JSON body read into `T`; a wrong one is a field error naming the field.
#[derive(Debug, Clone)]
pub struct JsonBody<T>(pub T);

impl<T: serde::de::DeserializeOwned> FromRequest<Arc<Hub>> for JsonBody<T> {
    /// A body that cannot be read at all (over [`super::MAX_BODY_BYTES`], say) keeps axum's own
    /// answer; one that is not the JSON expected is a field error.
    type Rejection = Response;

    async fn from_request(request: Request, hub: &Arc<Hub>) -> Result<Self, Response> {
        let body = Bytes::from_request(request, hub)
            .await
            .map_err(IntoResponse::into_response)?;
        json_body(&body)
            .map(JsonBody)
            .map_err(IntoResponse::into_response)
    }
}

/// The bearer token of an admin API request.
fn bearer(headers: &HeaderMap) -> Result<&str, HubError> {
    headers
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.strip_prefix("Bearer "))
        .ok_or_else(|| {
            HubError::Unauthorized(
                "send the admin token (or, on a project's routes, its project token) as \
                 Authorization: Bearer <token>"
                    .to_owned(),
            )
        })
}

/// Reads a JSON body into `T`, turning serde's complaint into a field error.
pub fn json_body<T: serde::de::DeserializeOwned>(body: &Bytes) -> Result<T, HubError> {
    let mut deserializer = serde_json::Deserializer::from_slice(body);
    serde_path_to_error::deserialize(&mut deserializer).map_err(|error| {
        let path = error.path().to_string();
        let field = if path == "." { "body".to_owned() } else { path };
        HubError::Invalid {
            field,
            message: error.into_inner().to_string(),
        }
    })
}
