//! The store's Auto Debit authorizations and tokens (`authorizations`): typed rows in and out.

use chrono::{DateTime, Utc};
use rusqlite::{Connection, Row, params};

use super::{Db, StoreError, optional, time_column, time_text, to_json};

/// Where an authorization stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthorizationStatus {
    /// Prepared, waiting for the customer to grant it.
    Prepared,
    /// Granted: an authorization code waits to be exchanged.
    Authorized,
    /// Exchanged for an access token.
    Token,
    /// Revoked by the customer or cancelled by the merchant.
    Revoked,
    /// The customer declined it in the wallet.
    Declined,
}

impl AuthorizationStatus {
    /// The stored text, e.g. `prepared`.
    pub fn as_str(self) -> &'static str {
        match self {
            AuthorizationStatus::Prepared => "prepared",
            AuthorizationStatus::Authorized => "authorized",
            AuthorizationStatus::Token => "token",
            AuthorizationStatus::Revoked => "revoked",
            AuthorizationStatus::Declined => "declined",
        }
    }

    fn parse(text: &str) -> Option<AuthorizationStatus> {
        match text {
            "prepared" => Some(AuthorizationStatus::Prepared),
            "authorized" => Some(AuthorizationStatus::Authorized),
            "token" => Some(AuthorizationStatus::Token),
            "revoked" => Some(AuthorizationStatus::Revoked),
            "declined" => Some(AuthorizationStatus::Declined),
            _ => None,
        }
    }
}

/// A new authorization from `prepare`, for storing.
#[derive(Debug, Clone)]
pub struct NewAuthorization<'a, S> {
    /// Its id (`auth_...`).
    pub id: &'a str,
    /// Its project.
    pub project_id: &'a str,
    /// The ACQP's client id.
    pub auth_client_id: &'a str,
    /// Where the wallet sends the customer back.
    pub auth_redirect_url: &'a str,
    /// The ACQP's state, echoed back.
    pub auth_state: &'a str,
    /// The scopes asked for (stored as JSON).
    pub scopes: &'a S,
    /// When it was prepared.
    pub created_at: DateTime<Utc>,
}

/// An authorization as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthorizationRow {
    /// Its id.
    pub id: String,
    /// Its project.
    pub project_id: String,
    /// The ACQP's client id.
    pub auth_client_id: String,
    /// Where the wallet sends the customer back.
    pub auth_redirect_url: String,
    /// The ACQP's state.
    pub auth_state: String,
    /// Where it stands.
    pub status: AuthorizationStatus,
    /// When its authorization code stops being exchangeable.
    pub code_expires_at: Option<DateTime<Utc>>,
    /// The customer who granted it.
    pub customer_id: Option<String>,
    /// Its access token, once issued.
    pub access_token: Option<String>,
    /// When the access token expires.
    pub token_expires_at: Option<DateTime<Utc>>,
    /// The scopes asked for.
    pub scopes: Vec<String>,
    /// The merchant whose wallet granted (or declined) it.
    pub merchant_id: Option<String>,
    /// The run it was granted in; its later exchanges join that run.
    pub run_id: Option<String>,
    /// When it was granted or declined.
    pub granted_at: Option<DateTime<Utc>>,
    /// When it was revoked or cancelled.
    pub ended_at: Option<DateTime<Utc>>,
}

/// The customer's answer to an authorization, for storing.
#[derive(Debug, Clone, Copy)]
pub struct Answer<'a> {
    /// The merchant whose wallet answered.
    pub merchant_id: &'a str,
    /// The run it answered in, if any.
    pub run_id: Option<&'a str>,
    /// When.
    pub at: DateTime<Utc>,
}

/// What an `applyToken` presents.
#[derive(Debug, Clone, Copy)]
pub enum Grant<'a> {
    /// An authorization code.
    AuthCode(&'a str),
    /// A refresh token.
    RefreshToken(&'a str),
}

/// Operations on authorizations (`authorizations`).
#[derive(Debug, Clone, Copy)]
pub struct Authorizations<'c> {
    connection: &'c Connection,
}

impl<'c> Db<'c> {
    /// Auto Debit authorizations and tokens (`authorizations`).
    pub fn authorizations(self) -> Authorizations<'c> {
        Authorizations {
            connection: self.connection,
        }
    }
}

const SELECT_AUTHORIZATION: &str = "SELECT id, project_id, auth_client_id, auth_redirect_url, \
    auth_state, status, code_expires_at, customer_id, access_token, token_expires_at, scopes, \
    merchant_id, run_id, granted_at, ended_at FROM authorizations";

fn authorization_from_row(row: &Row<'_>) -> rusqlite::Result<AuthorizationRow> {
    let status: String = row.get(5)?;
    let status = AuthorizationStatus::parse(&status).ok_or_else(|| {
        rusqlite::Error::FromSqlConversionFailure(
            5,
            rusqlite::types::Type::Text,
            format!("unknown authorization status {status:?}").into(),
        )
    })?;
    Ok(AuthorizationRow {
        id: row.get(0)?,
        project_id: row.get(1)?,
        auth_client_id: row.get(2)?,
        auth_redirect_url: row.get(3)?,
        auth_state: row.get(4)?,
        status,
        code_expires_at: time_column(6, row.get(6)?)?,
        customer_id: row.get(7)?,
        access_token: row.get(8)?,
        token_expires_at: time_column(9, row.get(9)?)?,
        scopes: serde_json::from_str(&row.get::<_, String>(10)?).unwrap_or_default(),
        merchant_id: row.get(11)?,
        run_id: row.get(12)?,
        granted_at: time_column(13, row.get(13)?)?,
        ended_at: time_column(14, row.get(14)?)?,
    })
}

impl Authorizations<'_> {
    /// Stores a prepared authorization.
    pub fn insert<S: serde::Serialize>(
        &self,
        new: &NewAuthorization<'_, S>,
    ) -> Result<(), StoreError> {
        self.connection
            .prepare_cached(
                "INSERT INTO authorizations (id, project_id, auth_client_id, auth_redirect_url, \
                 auth_state, scopes, status, created_at) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, 'prepared', ?7)",
            )?
            .execute(params![
                new.id,
                new.project_id,
                new.auth_client_id,
                new.auth_redirect_url,
                new.auth_state,
                to_json(new.scopes),
                time_text(new.created_at)
            ])?;
        Ok(())
    }

    /// An authorization by id, whatever its project.
    pub fn by_id(&self, id: &str) -> Result<Option<AuthorizationRow>, StoreError> {
        let mut statement = self
            .connection
            .prepare_cached(&format!("{SELECT_AUTHORIZATION} WHERE id = ?1"))?;
        optional(statement.query_row([id], authorization_from_row))
    }

    /// A project's authorization by the code or refresh token an `applyToken` presents.
    pub fn by_grant(
        &self,
        project_id: &str,
        grant: Grant<'_>,
    ) -> Result<Option<AuthorizationRow>, StoreError> {
        let (column, value) = match grant {
            Grant::AuthCode(code) => ("auth_code", code),
            Grant::RefreshToken(token) => ("refresh_token", token),
        };
        let mut statement = self.connection.prepare_cached(&format!(
            "{SELECT_AUTHORIZATION} WHERE project_id = ?1 AND {column} = ?2"
        ))?;
        optional(statement.query_row(params![project_id, value], authorization_from_row))
    }

    /// A project's authorization by its access token.
    pub fn by_access_token(
        &self,
        project_id: &str,
        access_token: &str,
    ) -> Result<Option<AuthorizationRow>, StoreError> {
        let mut statement = self.connection.prepare_cached(&format!(
            "{SELECT_AUTHORIZATION} WHERE project_id = ?1 AND access_token = ?2"
        ))?;
        optional(statement.query_row(params![project_id, access_token], authorization_from_row))
    }

    /// The customer granted an authorization: its code, customer and code expiry, and who
    /// granted it in which run. Only a prepared one changes; true when it did.
    pub fn grant(
        &self,
        id: &str,
        auth_code: &str,
        customer_id: &str,
        code_expires_at: DateTime<Utc>,
        answer: Answer<'_>,
    ) -> Result<bool, StoreError> {
        Ok(self
            .connection
            .prepare_cached(
                "UPDATE authorizations SET status = 'authorized', auth_code = ?2, \
                 customer_id = ?3, code_expires_at = ?4, merchant_id = ?5, run_id = ?6, \
                 granted_at = ?7 WHERE id = ?1 AND status = 'prepared'",
            )?
            .execute(params![
                id,
                auth_code,
                customer_id,
                time_text(code_expires_at),
                answer.merchant_id,
                answer.run_id,
                time_text(answer.at)
            ])?
            == 1)
    }

    /// The customer declined a prepared authorization; true when it was still prepared.
    pub fn decline(&self, id: &str, answer: Answer<'_>) -> Result<bool, StoreError> {
        Ok(self
            .connection
            .prepare_cached(
                "UPDATE authorizations SET status = 'declined', merchant_id = ?2, run_id = ?3, \
                 granted_at = ?4 WHERE id = ?1 AND status = 'prepared'",
            )?
            .execute(params![
                id,
                answer.merchant_id,
                answer.run_id,
                time_text(answer.at)
            ])?
            == 1)
    }

    /// Moves an authorization to another run (its merchant's open one, once its own is over).
    pub fn adopt(&self, id: &str, run_id: &str) -> Result<(), StoreError> {
        self.connection
            .prepare_cached("UPDATE authorizations SET run_id = ?2 WHERE id = ?1")?
            .execute(params![id, run_id])?;
        Ok(())
    }

    /// A merchant's wallet's authorizations (granted or declined), newest first.
    pub fn of_merchant(&self, merchant_id: &str) -> Result<Vec<AuthorizationRow>, StoreError> {
        let mut statement = self.connection.prepare_cached(&format!(
            "{SELECT_AUTHORIZATION} WHERE merchant_id = ?1 ORDER BY granted_at DESC, id DESC LIMIT 200"
        ))?;
        let rows = statement.query_map([merchant_id], authorization_from_row)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Issues an authorization's tokens.
    pub fn issue_token(
        &self,
        id: &str,
        access_token: &str,
        refresh_token: &str,
        expires_at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        self.connection
            .prepare_cached(
                "UPDATE authorizations SET status = 'token', access_token = ?2, \
                 refresh_token = ?3, token_expires_at = ?4 WHERE id = ?1",
            )?
            .execute(params![
                id,
                access_token,
                refresh_token,
                time_text(expires_at)
            ])?;
        Ok(())
    }

    /// Revokes an authorization by id.
    pub fn revoke(&self, id: &str, at: DateTime<Utc>) -> Result<(), StoreError> {
        self.connection
            .prepare_cached(
                "UPDATE authorizations SET status = 'revoked', ended_at = ?2 WHERE id = ?1",
            )?
            .execute(params![id, time_text(at)])?;
        Ok(())
    }

    /// Revokes a project's authorizations with this access token; how many there were.
    pub fn revoke_token(
        &self,
        project_id: &str,
        access_token: &str,
        at: DateTime<Utc>,
    ) -> Result<usize, StoreError> {
        Ok(self
            .connection
            .prepare_cached(
                "UPDATE authorizations SET status = 'revoked', ended_at = ?3 \
                 WHERE project_id = ?1 AND access_token = ?2",
            )?
            .execute(params![project_id, access_token, time_text(at)])?)
    }
}
