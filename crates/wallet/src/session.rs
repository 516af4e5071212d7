//! The session: the first sign-in with an invitation code (which sets the password), later
//! sign-ins with MID or email and password, sign-out. The session is kept in the local store; a
//! hub that no longer accepts it (idle too long, signed out) ends it with
//! [`WalletError::SessionExpired`].

use chrono::{DateTime, Utc};
use reqwest::Method;
use rusqlite::{OptionalExtension, params};
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::client::{Body, CallError};
use crate::store::{json_text, parse_json, parse_time, time_text};
use crate::{Wallet, WalletError};

/// The signed-in merchant, as the hub describes it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Merchant {
    /// The hub's id (`mer_...`).
    pub id: String,
    /// Its project.
    pub project_id: String,
    /// Name.
    pub name: String,
    /// Merchant id at the acquirer.
    pub mid: String,
    /// Email.
    pub email: String,
    /// The products it tests (`UPM`, `ORDER_CODE`, ...).
    pub products: Vec<String>,
    /// `inactive`, `processing`, `active` or `failed`.
    #[serde(default)]
    pub status: String,
}

/// The session as the app shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SessionInfo {
    /// Who is signed in (or was, when `active` is false).
    pub merchant: Merchant,
    /// The hub it was opened on.
    pub hub_url: String,
    /// When.
    pub signed_in_at: DateTime<Utc>,
    /// The hub's idle timeout, in seconds.
    pub idle_timeout_seconds: i64,
    /// False once the hub refused the session or the merchant signed out.
    pub active: bool,
    /// Why it ended, when it did.
    pub ended_reason: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct HubSession {
    token: String,
    merchant: Merchant,
    idle_timeout_seconds: i64,
}

/// What an authenticated call needs.
#[derive(Debug, Clone)]
pub(crate) struct Auth {
    pub(crate) hub_url: String,
    pub(crate) token: String,
    pub(crate) merchant_id: String,
}

impl Wallet {
    /// The first sign-in: the invitation code the acquirer sent and the password to set (at
    /// least 8 characters). Wrong, expired and used codes each give their own error.
    pub async fn sign_in_with_invitation(
        &self,
        invitation_code: &str,
        password: &str,
    ) -> Result<SessionInfo, WalletError> {
        let hub_url = self.settings()?.hub_url;
        let answer = self
            .client()
            .json::<HubSession>(
                &hub_url,
                Method::POST,
                "/sign-in/invitation",
                None,
                Body::Json(json!({"invitationCode": invitation_code.trim(), "password": password})),
            )
            .await
            .map_err(|error| match error {
                CallError::Refused {
                    status: 401,
                    code,
                    message,
                } => match code.as_str() {
                    "INVITATION_USED" => WalletError::InvitationUsed,
                    "INVITATION_EXPIRED" => WalletError::InvitationExpired { detail: message },
                    "INVITATION_INVALID" => WalletError::InvitationInvalid,
                    // A hub from before the codes: tell the cases apart by the words.
                    _ if message.contains("already used") => WalletError::InvitationUsed,
                    _ if message.contains("expired") => {
                        WalletError::InvitationExpired { detail: message }
                    }
                    _ => WalletError::InvitationInvalid,
                },
                other => other.into(),
            })?;
        self.keep_session(&hub_url, answer)
    }

    /// A later sign-in with MID or email and password; `project_id` settles a login that opens
    /// several projects.
    pub async fn sign_in(
        &self,
        login: &str,
        password: &str,
        project_id: Option<&str>,
    ) -> Result<SessionInfo, WalletError> {
        let hub_url = self.settings()?.hub_url;
        let mut body = json!({"login": login.trim(), "password": password});
        if let Some(project) = project_id {
            body["projectId"] = json!(project);
        }
        let answer = self
            .client()
            .json::<HubSession>(&hub_url, Method::POST, "/sign-in", None, Body::Json(body))
            .await
            .map_err(|error| match error {
                CallError::Refused {
                    status: 401,
                    code,
                    message,
                } if code == "ACCESS_REVOKED" => WalletError::AccessRevoked { message },
                CallError::Refused { status: 401, .. } => WalletError::WrongCredentials,
                other => other.into(),
            })?;
        self.keep_session(&hub_url, answer)
    }

    /// Signs in as a project's acceptance account (the TSP's own) with a single-use ticket the
    /// TSP minted (the console's Acceptance page, or `linker run --acceptance`). An unknown,
    /// used or expired ticket is [`WalletError::SessionExpired`], with the hub's words.
    pub async fn sign_in_with_ticket(&self, ticket: &str) -> Result<SessionInfo, WalletError> {
        let hub_url = self.settings()?.hub_url;
        let answer = self
            .client()
            .json::<HubSession>(
                &hub_url,
                Method::POST,
                "/sign-in/ticket",
                None,
                Body::Json(json!({"ticket": ticket.trim()})),
            )
            .await?;
        self.keep_session(&hub_url, answer)
    }

    fn keep_session(&self, hub_url: &str, session: HubSession) -> Result<SessionInfo, WalletError> {
        let now = self.now();
        self.store().with(|c| {
            c.execute(
                "INSERT INTO session (id, hub_url, token, merchant, idle_timeout_seconds, signed_in_at, ended_reason) \
                 VALUES (1, ?1, ?2, ?3, ?4, ?5, NULL) \
                 ON CONFLICT (id) DO UPDATE SET hub_url = excluded.hub_url, token = excluded.token, \
                 merchant = excluded.merchant, idle_timeout_seconds = excluded.idle_timeout_seconds, \
                 signed_in_at = excluded.signed_in_at, ended_reason = NULL",
                params![
                    hub_url,
                    session.token,
                    json_text(&session.merchant),
                    session.idle_timeout_seconds,
                    time_text(now)
                ],
            )
        })?;
        Ok(SessionInfo {
            merchant: session.merchant,
            hub_url: hub_url.to_owned(),
            signed_in_at: now,
            idle_timeout_seconds: session.idle_timeout_seconds,
            active: true,
            ended_reason: None,
        })
    }

    /// The session as stored: the merchant signed in (or last signed in), whether it is active.
    pub fn session(&self) -> Result<Option<SessionInfo>, WalletError> {
        self.store().with(|c| {
            c.query_row(
                "SELECT merchant, hub_url, signed_in_at, idle_timeout_seconds, token, ended_reason \
                 FROM session WHERE id = 1",
                [],
                |row| {
                    Ok(SessionInfo {
                        merchant: parse_json(0, &row.get::<_, String>(0)?)?,
                        hub_url: row.get(1)?,
                        signed_in_at: parse_time(2, &row.get::<_, String>(2)?)?,
                        idle_timeout_seconds: row.get(3)?,
                        active: row.get::<_, Option<String>>(4)?.is_some(),
                        ended_reason: row.get(5)?,
                    })
                },
            )
            .optional()
        })
    }

    /// Signs out: the hub revokes the token (when it can be reached) and the wallet forgets it.
    /// Writes not yet synced stay in the outbox and go out after the same merchant signs in.
    pub async fn sign_out(&self) -> Result<(), WalletError> {
        if let Ok(auth) = self.auth() {
            let result = self
                .client()
                .empty(&auth.hub_url, Method::POST, "/sign-out", Some(&auth.token))
                .await;
            if let Err(error) = result {
                tracing::info!(error = ?error, "sign-out not confirmed by the hub; forgetting the token anyway");
            }
        }
        self.end_session_locally("signed out")
    }

    /// Forgets the token, keeping who it was and why it ended.
    pub(crate) fn end_session_locally(&self, reason: &str) -> Result<(), WalletError> {
        self.store().with(|c| {
            c.execute(
                "UPDATE session SET token = NULL, ended_reason = ?1 WHERE id = 1 AND token IS NOT NULL",
                [reason],
            )
        })?;
        Ok(())
    }

    /// The token and hub of the active session.
    pub(crate) fn auth(&self) -> Result<Auth, WalletError> {
        let row: Option<(String, Option<String>, String, Option<String>)> =
            self.store().with(|c| {
                c.query_row(
                    "SELECT hub_url, token, merchant, ended_reason FROM session WHERE id = 1",
                    [],
                    |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?)),
                )
                .optional()
            })?;
        let Some((hub_url, token, merchant, ended)) = row else {
            return Err(WalletError::NotSignedIn);
        };
        match token {
            Some(token) => {
                let merchant: Merchant = serde_json::from_str(&merchant)
                    .map_err(|e| WalletError::Storage(format!("stored merchant: {e}")))?;
                Ok(Auth {
                    hub_url,
                    token,
                    merchant_id: merchant.id,
                })
            }
            None => match ended.as_deref() {
                Some("signed out") | None => Err(WalletError::NotSignedIn),
                Some(reason) => Err(WalletError::SessionExpired {
                    reason: reason.to_owned(),
                }),
            },
        }
    }

    /// The merchant id of the stored session (active or not): whose cached data to show.
    pub(crate) fn merchant_id(&self) -> Result<String, WalletError> {
        self.session()?
            .map(|s| s.merchant.id)
            .ok_or(WalletError::NotSignedIn)
    }

    /// Maps a failed authenticated call; a 401 ends the session here too.
    pub(crate) fn authed_error(&self, error: CallError) -> WalletError {
        if let CallError::Refused {
            status: 401,
            message,
            ..
        } = &error
            && let Err(store) = self.end_session_locally(message)
        {
            return store;
        }
        error.into()
    }

    /// An authenticated JSON call.
    pub(crate) async fn call<T: serde::de::DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        body: Body<'_>,
    ) -> Result<T, WalletError> {
        let auth = self.auth()?;
        self.client()
            .json(&auth.hub_url, method, path, Some(&auth.token), body)
            .await
            .map_err(|error| self.authed_error(error))
    }

    /// The signed-in merchant, as the hub sees it now (refreshes the session's idle timer).
    pub async fn me(&self) -> Result<Merchant, WalletError> {
        let merchant: Merchant = self.call(Method::GET, "/me", Body::Empty).await?;
        self.store().with(|c| {
            c.execute(
                "UPDATE session SET merchant = ?1 WHERE id = 1",
                [json_text(&merchant)],
            )
        })?;
        Ok(merchant)
    }
}
