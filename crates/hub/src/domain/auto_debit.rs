//! Auto Debit: `prepare` opens an authorization the wallet can grant; granting it sends the ACQP
//! `authNotify` (AUTHCODE_CREATED); `applyToken` turns the code (or a refresh token) into an
//! access token; `pay` with `AGREEMENT_PAYMENT` debits with it; `cancelToken` (the merchant) or a
//! revocation in the wallet (TOKEN_CANCELED) ends it.

use chrono::{DateTime, Duration, Utc};
use linker_aplus::message::{
    ApplyTokenRequest, ApplyTokenResponse, AuthNotifyRequest, AuthorizationNotifyType,
    CancelTokenRequest, GrantType, PrepareRequest, PrepareResponse, ResultOnly,
};
use linker_aplus::time::format_wire_time;
use linker_aplus::{ApiResult, ResultCode};
use rusqlite::{OptionalExtension, params};
use serde::Serialize;

use crate::Hub;
use crate::domain::merchants::Merchant;
use crate::domain::outcome::Outcome;
use crate::domain::payments::TEST_WALLET_PSP_ID;
use crate::domain::projects::Project;
use crate::error::HubError;
use crate::gateway::beijing;

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

/// An authorization found by code or refresh token: id, status, code expiry, customer.
type TokenRow = (String, String, Option<String>, Option<String>);

fn wire(time: DateTime<Utc>) -> String {
    format_wire_time(&time.with_timezone(&beijing()))
}

impl Hub {
    /// `prepare`: an authorization waiting for the customer, and the URL the wallet opens.
    pub fn prepare(&self, project: &Project, request: &PrepareRequest) -> Outcome {
        let id = self.ids.alphanumeric("auth_", 16);
        let now = self.clock.now();
        let stored = self.store.with(|connection| {
            connection.prepare_cached(
                "INSERT INTO authorizations (id, project_id, auth_client_id, auth_redirect_url, auth_state, \
                 scopes, status, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, 'prepared', ?7)",
            )?
            .execute(params![
                id,
                project.id,
                request.auth_client_id,
                request.auth_redirect_url,
                request.auth_state,
                serde_json::to_string(&request.scopes).unwrap_or_default(),
                now.to_rfc3339()
            ])?;
            Ok(())
        });
        if let Err(error) = stored {
            tracing::error!(%error, "could not store an authorization");
            return Outcome::result(ApiResult::unknown(
                ResultCode::UnknownException,
                "retry prepare",
            ));
        }
        Outcome::of(&PrepareResponse {
            result: ApiResult::success(),
            auth_url: Some(format!(
                "{}/authorize/{id}",
                self.public_url.trim_end_matches('/')
            )),
            scheme_url: None,
            applink_url: None,
        })
    }

    /// The customer grants the authorization behind `auth_url` in the wallet.
    pub async fn grant(&self, merchant: &Merchant, auth_url: &str) -> Result<Granted, HubError> {
        let id = auth_url
            .trim()
            .rsplit('/')
            .next()
            .unwrap_or_default()
            .to_owned();
        let found: Option<(String, String, String, String, String)> = self.store.with(|connection| {
            Ok(connection
                .prepare_cached(
                    "SELECT project_id, status, auth_client_id, auth_redirect_url, auth_state FROM authorizations WHERE id = ?1",
                )?
                .query_row([&id], |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?, row.get(4)?)))
                .optional()?)
        })?;
        let Some((project_id, status, client, redirect, state)) = found else {
            return Err(HubError::NotFound(format!("authorization {id}")));
        };
        if project_id != merchant.project_id {
            return Err(HubError::NotFound(format!("authorization {id}")));
        }
        if status != "prepared" {
            return Err(HubError::Conflict(format!(
                "authorization {id} is already {status}"
            )));
        }
        let code = self.ids.alphanumeric("", 32);
        let customer = format!("2188{}", self.ids.digits(12));
        let now = self.clock.now();
        self.store.with(|connection| {
            connection
                .prepare_cached(
                    "UPDATE authorizations SET status = 'authorized', auth_code = ?2, customer_id = ?3, \
                     code_expires_at = ?4 WHERE id = ?1",
                )?
                .execute(params![id, code, customer, (now + AUTH_CODE_VALIDITY).to_rfc3339()])?;
            Ok(())
        })?;
        let project = self.project(&project_id)?;
        let notified = self
            .auth_notify(
                &project,
                AuthNotifyRequest {
                    authorization_notify_type: AuthorizationNotifyType::AuthcodeCreated,
                    auth_client_id: Some(client),
                    auth_state: Some(state.clone()),
                    auth_code: Some(code.clone()),
                    access_token: None,
                    psp_id: Some(TEST_WALLET_PSP_ID.to_owned()),
                    acquirer_id: Some(project.acquirer_id.clone()),
                    customer_id: Some(customer),
                    reason: None,
                },
            )
            .await?;
        let separator = if redirect.contains('?') { '&' } else { '?' };
        Ok(Granted {
            redirect_url: format!("{redirect}{separator}authCode={code}&authState={state}"),
            id,
            auth_code: code,
            notified,
        })
    }

    /// The customer revokes an authorization in the wallet: its token stops working and the ACQP
    /// is told (TOKEN_CANCELED).
    pub async fn revoke(&self, merchant: &Merchant, id: &str) -> Result<bool, HubError> {
        let found: Option<(String, Option<String>, String)> = self.store.with(|connection| {
            Ok(connection
                .prepare_cached(
                    "SELECT project_id, access_token, status FROM authorizations WHERE id = ?1",
                )?
                .query_row([id], |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)))
                .optional()?)
        })?;
        let Some((project_id, token, status)) = found.filter(|(p, _, _)| *p == merchant.project_id)
        else {
            return Err(HubError::NotFound(format!("authorization {id}")));
        };
        if status == "revoked" {
            return Ok(true);
        }
        self.store.with(|connection| {
            connection
                .prepare_cached("UPDATE authorizations SET status = 'revoked' WHERE id = ?1")?
                .execute([id])?;
            Ok(())
        })?;
        let project = self.project(&project_id)?;
        self.auth_notify(
            &project,
            AuthNotifyRequest {
                authorization_notify_type: AuthorizationNotifyType::TokenCanceled,
                auth_client_id: None,
                auth_state: None,
                auth_code: None,
                access_token: token,
                psp_id: Some(TEST_WALLET_PSP_ID.to_owned()),
                acquirer_id: Some(project.acquirer_id.clone()),
                customer_id: None,
                reason: Some("the customer revoked the authorization in the wallet".to_owned()),
            },
        )
        .await
    }

    async fn auth_notify(
        &self,
        project: &Project,
        request: AuthNotifyRequest,
    ) -> Result<bool, HubError> {
        let Some(url) = project.auth_notify_url.clone() else {
            return Ok(false);
        };
        let body = serde_json::to_string(&request).unwrap_or_default();
        let sent = self.call_acqp(project, &url, &body, false).await?;
        let verdict = match (sent.http_status, &sent.reply) {
            (Some(status), Some(reply)) => Some(crate::domain::acqp::judge_reply(
                project,
                &sent.path,
                status,
                &sent.response_headers,
                reply,
            )),
            _ => None,
        };
        let signature = verdict
            .as_ref()
            .map_or(crate::domain::acqp::ReplySignature::missing(), |v| {
                v.reply_signature.clone()
            });
        self.log_outbound(project, "authNotify", &sent, &signature, false, None)?;
        Ok(verdict.is_some_and(|v| v.acknowledged))
    }

    /// `applyToken`: an access token for an authorization code (once) or a refresh token.
    pub fn apply_token(&self, project: &Project, request: &ApplyTokenRequest) -> Outcome {
        let now = self.clock.now();
        let (column, value) = match (
            request.grant_type,
            &request.auth_code,
            &request.refresh_token,
        ) {
            (GrantType::AuthorizationCode, Some(code), _) => ("auth_code", code.clone()),
            (GrantType::RefreshToken, _, Some(token)) => ("refresh_token", token.clone()),
            (GrantType::AuthorizationCode, None, _) => {
                return Outcome::result(ApiResult::param_illegal(
                    "authCode: missing for grantType AUTHORIZATION_CODE",
                ));
            }
            (GrantType::RefreshToken, _, None) => {
                return Outcome::result(ApiResult::param_illegal(
                    "refreshToken: missing for grantType REFRESH_TOKEN",
                ));
            }
        };
        let found: Result<Option<TokenRow>, _> = self.store.with(|connection| {
            Ok(connection
                .prepare_cached(&format!(
                    "SELECT id, status, code_expires_at, customer_id FROM authorizations WHERE project_id = ?1 AND {column} = ?2"
                ))?
                .query_row(params![project.id, value], |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?)))
                .optional()?)
        });
        let (id, status, code_expires, customer) = match found {
            Ok(Some(found)) => found,
            Ok(None) => {
                let code = if column == "auth_code" {
                    ResultCode::InvalidCode
                } else {
                    ResultCode::InvalidAccessToken
                };
                return Outcome::result(ApiResult::failure(
                    code,
                    format!("no such {column} on this project"),
                ));
            }
            Err(error) => {
                tracing::error!(%error, "applyToken lookup failed");
                return Outcome::result(ApiResult::unknown(
                    ResultCode::UnknownException,
                    "retry applyToken",
                ));
            }
        };
        if status == "revoked" {
            return Outcome::result(ApiResult::failure(
                ResultCode::InvalidAccessToken,
                "the customer revoked this authorization",
            ));
        }
        if column == "auth_code" {
            if status != "authorized" {
                return Outcome::result(ApiResult::failure(
                    ResultCode::InvalidCode,
                    "this authCode was already exchanged",
                ));
            }
            let expired = code_expires
                .and_then(|t| DateTime::parse_from_rfc3339(&t).ok())
                .is_some_and(|t| now >= t.with_timezone(&Utc));
            if expired {
                return Outcome::result(ApiResult::failure(
                    ResultCode::ExpiredCode,
                    "the authCode expired",
                ));
            }
        }
        let access = self.ids.alphanumeric("", 40);
        let refresh = self.ids.alphanumeric("", 40);
        let expires = now + ACCESS_TOKEN_VALIDITY;
        let stored = self.store.with(|connection| {
            connection
                .prepare_cached(
                    "UPDATE authorizations SET status = 'token', access_token = ?2, refresh_token = ?3, \
                     token_expires_at = ?4 WHERE id = ?1",
                )?
                .execute(params![id, access, refresh, expires.to_rfc3339()])?;
            Ok(())
        });
        if stored.is_err() {
            return Outcome::result(ApiResult::unknown(
                ResultCode::UnknownException,
                "retry applyToken",
            ));
        }
        Outcome::of(&ApplyTokenResponse {
            result: ApiResult::success(),
            access_token: Some(access),
            access_token_expiry_time: Some(wire(expires)),
            refresh_token: Some(refresh),
            refresh_token_expiry_time: Some(wire(expires + Duration::days(30))),
            customer_id: customer,
        })
    }

    /// `cancelToken`: the merchant unbinds; idempotent.
    pub fn cancel_token(&self, project: &Project, request: &CancelTokenRequest) -> Outcome {
        let changed = self.store.with(|connection| {
            Ok(connection
                .prepare_cached(
                    "UPDATE authorizations SET status = 'revoked' WHERE project_id = ?1 AND access_token = ?2",
                )?
                .execute(params![project.id, request.access_token])?)
        });
        match changed {
            Ok(0) => Outcome::result(ApiResult::failure(
                ResultCode::InvalidAccessToken,
                "no such accessToken on this project",
            )),
            Ok(_) => Outcome::of(&ResultOnly {
                result: ApiResult::success(),
            }),
            Err(error) => {
                tracing::error!(%error, "cancelToken failed");
                Outcome::result(ApiResult::unknown(
                    ResultCode::UnknownException,
                    "retry cancelToken",
                ))
            }
        }
    }
}

/// Checks an access token inside a pay's transaction: the customer, or the failure to answer.
pub(crate) fn token_customer(
    connection: &rusqlite::Connection,
    project_id: &str,
    token: &str,
    now: DateTime<Utc>,
) -> rusqlite::Result<Result<String, (ResultCode, String)>> {
    let found: Option<(String, Option<String>, Option<String>)> = connection
        .prepare_cached(
            "SELECT status, token_expires_at, customer_id FROM authorizations WHERE project_id = ?1 AND access_token = ?2",
        )?
        .query_row(params![project_id, token], |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)))
        .optional()?;
    Ok(match found {
        None => Err((
            ResultCode::InvalidAccessToken,
            "no such access token on this project".to_owned(),
        )),
        Some((status, _, _)) if status == "revoked" => Err((
            ResultCode::InvalidAccessToken,
            "the authorization behind this token was revoked".to_owned(),
        )),
        Some((_, expires, _))
            if expires
                .as_deref()
                .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
                .is_some_and(|t| now >= t.with_timezone(&Utc)) =>
        {
            Err((
                ResultCode::ExpiredAccessToken,
                "the access token expired: refresh it with applyToken".to_owned(),
            ))
        }
        Some((_, _, customer)) => Ok(customer.unwrap_or_default()),
    })
}
