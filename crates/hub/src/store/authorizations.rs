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
}

impl AuthorizationStatus {
    /// The stored text, e.g. `prepared`.
    pub fn as_str(self) -> &'static str {
        match self {
            AuthorizationStatus::Prepared => "prepared",
            AuthorizationStatus::Authorized => "authorized",
            AuthorizationStatus::Token => "token",
            AuthorizationStatus::Revoked => "revoked",
        }
    }

    fn parse(text: &str) -> Option<AuthorizationStatus> {
        match text {
            "prepared" => Some(AuthorizationStatus::Prepared),
            "authorized" => Some(AuthorizationStatus::Authorized),
            "token" => Some(AuthorizationStatus::Token),
            "revoked" => Some(AuthorizationStatus::Revoked),
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
    auth_state, status, code_expires_at, customer_id, access_token, token_expires_at \
    FROM authorizations";

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

    /// The customer granted an authorization: its code, customer and code expiry.
    pub fn grant(
        &self,
        id: &str,
        auth_code: &str,
        customer_id: &str,
        code_expires_at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        self.connection
            .prepare_cached(
                "UPDATE authorizations SET status = 'authorized', auth_code = ?2, \
                 customer_id = ?3, code_expires_at = ?4 WHERE id = ?1",
            )?
            .execute(params![
                id,
                auth_code,
                customer_id,
                time_text(code_expires_at)
            ])?;
        Ok(())
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
    pub fn revoke(&self, id: &str) -> Result<(), StoreError> {
        self.connection
            .prepare_cached("UPDATE authorizations SET status = 'revoked' WHERE id = ?1")?
            .execute([id])?;
        Ok(())
    }

    /// Revokes a project's authorizations with this access token; how many there were.
    pub fn revoke_token(&self, project_id: &str, access_token: &str) -> Result<usize, StoreError> {
        Ok(self
            .connection
            .prepare_cached(
                "UPDATE authorizations SET status = 'revoked' \
                 WHERE project_id = ?1 AND access_token = ?2",
            )?
            .execute(params![project_id, access_token])?)
    }
}
