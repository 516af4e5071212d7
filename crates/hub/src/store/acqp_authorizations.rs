//! The store's ACQP authorizations (`authorization_urls`, `acqp_authorizations`,
//! `authorization_mail`): typed rows in and out. An authorization URL's token is stored as its
//! SHA-256 only; an authorization's Agent-Token is kept (the TSP is shown it) with its SHA-256,
//! by which the gateway's check finds it. Product lists are stored as JSON arrays.

use chrono::{DateTime, Utc};
use rusqlite::{Connection, Row, params};

use super::invitation_mail::{
    MailChannel, MailStatus, MailTable, channel_and_status, settle_mail, take_lease,
};
use super::{Db, StoreError, optional, time_column, time_text};

/// An authorization URL as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthorizationUrlRow {
    /// The hub's id (`azu_...`).
    pub id: String,
    /// The SHA-256 of the URL's token, hex.
    pub token_hash: String,
    /// The TSP's project.
    pub project_id: String,
    /// The products the ACQP may authorize.
    pub products: Vec<String>,
    /// The ACQP's organisation.
    pub acqp_name: String,
    /// The email of the ACQP's person who may use it (lowercased).
    pub acqp_email: String,
    /// Who generated it (a console user's email, or `admin API`).
    pub created_by: String,
    /// When it was generated.
    pub created_at: DateTime<Utc>,
    /// When it stops working.
    pub expires_at: DateTime<Utc>,
    /// When the ACQP used it to authorize.
    pub used_at: Option<DateTime<Utc>>,
    /// When the TSP revoked it.
    pub revoked_at: Option<DateTime<Utc>>,
    /// True when it was mailed to the ACQP.
    pub mailed: bool,
}

/// An ACQP authorization as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AcqpAuthorizationRow {
    /// The hub's id (`aza_...`).
    pub id: String,
    /// The TSP's project.
    pub project_id: String,
    /// The URL it was made through.
    pub url_id: String,
    /// The ACQP's console user who authorized.
    pub user_id: String,
    /// The ACQP's organisation.
    pub acqp_name: String,
    /// The ACQP's person's email.
    pub acqp_email: String,
    /// The products the URL offered (the scope may change within them).
    pub offered: Vec<String>,
    /// The products authorized now.
    pub products: Vec<String>,
    /// The Agent-Token the TSP sends with it.
    pub agent_token: String,
    /// The SHA-256 of the Agent-Token, hex.
    pub agent_token_hash: String,
    /// True while Active (false: cancelled by the ACQP, Inactive).
    pub active: bool,
    /// When it was authorized.
    pub created_at: DateTime<Utc>,
    /// When it last changed (authorized, cancelled, scope changed).
    pub changed_at: DateTime<Utc>,
}

/// A mail about an authorization as stored (the outbox, as the invitation mail's).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthorizationMailRow {
    /// The mail's id (`mail_...`).
    pub id: String,
    /// The project it concerns.
    pub project_id: String,
    /// Where it goes.
    pub recipient: String,
    /// Its subject.
    pub subject: String,
    /// Its text.
    pub body: String,
    /// How it went out.
    pub channel: MailChannel,
    /// What became of it.
    pub status: MailStatus,
    /// Why delivery failed.
    pub error: Option<String>,
    /// When it was written.
    pub created_at: DateTime<Utc>,
    /// Until when the sender that took it last holds it.
    pub lease_until: Option<DateTime<Utc>>,
    /// How many times a sender took it.
    pub attempts: u32,
}

/// Operations on authorization URLs (`authorization_urls`).
#[derive(Debug, Clone, Copy)]
pub struct AuthorizationUrls<'c> {
    connection: &'c Connection,
}

/// Operations on ACQP authorizations (`acqp_authorizations`).
#[derive(Debug, Clone, Copy)]
pub struct AcqpAuthorizations<'c> {
    connection: &'c Connection,
}

/// Operations on authorization mail (`authorization_mail`).
#[derive(Debug, Clone, Copy)]
pub struct AuthorizationMail<'c> {
    connection: &'c Connection,
}

impl<'c> Db<'c> {
    /// Authorization URLs (`authorization_urls`).
    pub fn authorization_urls(self) -> AuthorizationUrls<'c> {
        AuthorizationUrls {
            connection: self.connection,
        }
    }

    /// ACQP authorizations (`acqp_authorizations`).
    pub fn acqp_authorizations(self) -> AcqpAuthorizations<'c> {
        AcqpAuthorizations {
            connection: self.connection,
        }
    }

    /// Authorization mail (`authorization_mail`).
    pub fn authorization_mail(self) -> AuthorizationMail<'c> {
        AuthorizationMail {
            connection: self.connection,
        }
    }
}

fn list_text(items: &[String]) -> String {
    serde_json::to_string(items).unwrap_or_else(|_| "[]".to_owned())
}

fn list_column(index: usize, text: String) -> rusqlite::Result<Vec<String>> {
    serde_json::from_str(&text).map_err(|e| {
        rusqlite::Error::FromSqlConversionFailure(index, rusqlite::types::Type::Text, e.into())
    })
}

const URL_COLUMNS: &str = "id, token_hash, project_id, products, acqp_name, acqp_email, \
    created_by, created_at, expires_at, used_at, revoked_at, mailed";

fn url_row(row: &Row<'_>) -> rusqlite::Result<AuthorizationUrlRow> {
    Ok(AuthorizationUrlRow {
        id: row.get(0)?,
        token_hash: row.get(1)?,
        project_id: row.get(2)?,
        products: list_column(3, row.get(3)?)?,
        acqp_name: row.get(4)?,
        acqp_email: row.get(5)?,
        created_by: row.get(6)?,
        created_at: time_column(7, Some(row.get(7)?))?.unwrap_or_default(),
        expires_at: time_column(8, Some(row.get(8)?))?.unwrap_or_default(),
        used_at: time_column(9, row.get(9)?)?,
        revoked_at: time_column(10, row.get(10)?)?,
        mailed: row.get(11)?,
    })
}

impl AuthorizationUrls<'_> {
    /// Stores a new URL.
    pub fn insert(&self, url: &AuthorizationUrlRow) -> Result<(), StoreError> {
        self.connection
            .prepare_cached(&format!(
                "INSERT INTO authorization_urls ({URL_COLUMNS}, seq) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, \
                 (SELECT COALESCE(MAX(seq), 0) + 1 FROM authorization_urls))"
            ))?
            .execute(params![
                url.id,
                url.token_hash,
                url.project_id,
                list_text(&url.products),
                url.acqp_name,
                url.acqp_email,
                url.created_by,
                time_text(url.created_at),
                time_text(url.expires_at),
                url.used_at.map(time_text),
                url.revoked_at.map(time_text),
                url.mailed,
            ])?;
        Ok(())
    }

    /// How many of the project's URLs are pending at `now` (unused, unrevoked, unexpired).
    pub fn pending(&self, project_id: &str, now: DateTime<Utc>) -> Result<u32, StoreError> {
        Ok(self
            .connection
            .prepare_cached(
                "SELECT COUNT(*) FROM authorization_urls WHERE project_id = ?1 \
                 AND used_at IS NULL AND revoked_at IS NULL AND expires_at > ?2",
            )?
            .query_row(params![project_id, time_text(now)], |row| row.get(0))?)
    }

    /// When each of the project's URLs generated after `since` was made, and whether it was
    /// mailed, oldest first.
    pub fn made_since(
        &self,
        project_id: &str,
        since: DateTime<Utc>,
    ) -> Result<Vec<(DateTime<Utc>, bool)>, StoreError> {
        let mut statement = self.connection.prepare_cached(
            "SELECT created_at, mailed FROM authorization_urls WHERE project_id = ?1 \
             AND created_at > ?2 ORDER BY created_at",
        )?;
        let rows = statement.query_map(params![project_id, time_text(since)], |row| {
            Ok((
                time_column(0, Some(row.get(0)?))?.unwrap_or_default(),
                row.get(1)?,
            ))
        })?;
        Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
    }

    /// The URL whose token has this hash.
    pub fn by_token_hash(&self, hash: &str) -> Result<Option<AuthorizationUrlRow>, StoreError> {
        optional(
            self.connection
                .prepare_cached(&format!(
                    "SELECT {URL_COLUMNS} FROM authorization_urls WHERE token_hash = ?1"
                ))?
                .query_row([hash], url_row),
        )
    }

    /// One URL by id.
    pub fn get(&self, id: &str) -> Result<Option<AuthorizationUrlRow>, StoreError> {
        optional(
            self.connection
                .prepare_cached(&format!(
                    "SELECT {URL_COLUMNS} FROM authorization_urls WHERE id = ?1"
                ))?
                .query_row([id], url_row),
        )
    }

    /// A project's URLs, newest first.
    pub fn of_project(&self, project_id: &str) -> Result<Vec<AuthorizationUrlRow>, StoreError> {
        let mut statement = self.connection.prepare_cached(&format!(
            "SELECT {URL_COLUMNS} FROM authorization_urls WHERE project_id = ?1 ORDER BY seq DESC"
        ))?;
        let rows = statement.query_map([project_id], url_row)?;
        Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
    }

    /// Deletes the URLs generated before `cutoff` that were never used (revoked or expired by
    /// now): an authorization keeps the URL it was made through. How many went.
    pub fn delete_stale(
        &self,
        cutoff: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<usize, StoreError> {
        Ok(self
            .connection
            .prepare_cached(
                "DELETE FROM authorization_urls WHERE used_at IS NULL AND created_at < ?1 \
                 AND (revoked_at IS NOT NULL OR expires_at <= ?2)",
            )?
            .execute([time_text(cutoff), time_text(now)])?)
    }

    /// Marks a URL used now; false when it was already used, revoked or expired.
    pub fn mark_used(&self, id: &str, now: DateTime<Utc>) -> Result<bool, StoreError> {
        let changed = self
            .connection
            .prepare_cached(
                "UPDATE authorization_urls SET used_at = ?2 \
                 WHERE id = ?1 AND used_at IS NULL AND revoked_at IS NULL AND expires_at > ?2",
            )?
            .execute(params![id, time_text(now)])?;
        Ok(changed == 1)
    }

    /// Revokes a project's unused URL now; false when there is none such.
    pub fn revoke(
        &self,
        project_id: &str,
        id: &str,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let changed = self
            .connection
            .prepare_cached(
                "UPDATE authorization_urls SET revoked_at = ?3 \
                 WHERE project_id = ?1 AND id = ?2 AND used_at IS NULL AND revoked_at IS NULL",
            )?
            .execute(params![project_id, id, time_text(now)])?;
        Ok(changed == 1)
    }
}

const AUTHORIZATION_COLUMNS: &str = "id, project_id, url_id, user_id, acqp_name, acqp_email, \
    offered, products, agent_token, agent_token_hash, status, created_at, changed_at";

fn authorization_row(row: &Row<'_>) -> rusqlite::Result<AcqpAuthorizationRow> {
    Ok(AcqpAuthorizationRow {
        id: row.get(0)?,
        project_id: row.get(1)?,
        url_id: row.get(2)?,
        user_id: row.get(3)?,
        acqp_name: row.get(4)?,
        acqp_email: row.get(5)?,
        offered: list_column(6, row.get(6)?)?,
        products: list_column(7, row.get(7)?)?,
        agent_token: row.get(8)?,
        agent_token_hash: row.get(9)?,
        active: row.get::<_, String>(10)? == "ACTIVE",
        created_at: time_column(11, Some(row.get(11)?))?.unwrap_or_default(),
        changed_at: time_column(12, Some(row.get(12)?))?.unwrap_or_default(),
    })
}

fn status_text(active: bool) -> &'static str {
    if active { "ACTIVE" } else { "INACTIVE" }
}

impl AcqpAuthorizations<'_> {
    /// Stores a new authorization.
    pub fn insert(&self, row: &AcqpAuthorizationRow) -> Result<(), StoreError> {
        self.connection
            .prepare_cached(&format!(
                "INSERT INTO acqp_authorizations ({AUTHORIZATION_COLUMNS}, seq) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, \
                 (SELECT COALESCE(MAX(seq), 0) + 1 FROM acqp_authorizations))"
            ))?
            .execute(params![
                row.id,
                row.project_id,
                row.url_id,
                row.user_id,
                row.acqp_name,
                row.acqp_email,
                list_text(&row.offered),
                list_text(&row.products),
                row.agent_token,
                row.agent_token_hash,
                status_text(row.active),
                time_text(row.created_at),
                time_text(row.changed_at),
            ])?;
        Ok(())
    }

    /// One authorization by id.
    pub fn get(&self, id: &str) -> Result<Option<AcqpAuthorizationRow>, StoreError> {
        optional(
            self.connection
                .prepare_cached(&format!(
                    "SELECT {AUTHORIZATION_COLUMNS} FROM acqp_authorizations WHERE id = ?1"
                ))?
                .query_row([id], authorization_row),
        )
    }

    /// A project's authorizations, newest first.
    pub fn of_project(&self, project_id: &str) -> Result<Vec<AcqpAuthorizationRow>, StoreError> {
        let mut statement = self.connection.prepare_cached(&format!(
            "SELECT {AUTHORIZATION_COLUMNS} FROM acqp_authorizations WHERE project_id = ?1 \
             ORDER BY seq DESC"
        ))?;
        let rows = statement.query_map([project_id], authorization_row)?;
        Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
    }

    /// An ACQP user's authorizations, newest first.
    pub fn of_user(&self, user_id: &str) -> Result<Vec<AcqpAuthorizationRow>, StoreError> {
        let mut statement = self.connection.prepare_cached(&format!(
            "SELECT {AUTHORIZATION_COLUMNS} FROM acqp_authorizations WHERE user_id = ?1 \
             ORDER BY seq DESC"
        ))?;
        let rows = statement.query_map([user_id], authorization_row)?;
        Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
    }

    /// True when an Active authorization of the project has an Agent-Token with this hash.
    pub fn active_token(&self, project_id: &str, token_hash: &str) -> Result<bool, StoreError> {
        Ok(self
            .connection
            .prepare_cached(
                "SELECT EXISTS (SELECT 1 FROM acqp_authorizations WHERE agent_token_hash = ?2 \
                 AND project_id = ?1 AND status = 'ACTIVE')",
            )?
            .query_row(params![project_id, token_hash], |row| row.get(0))?)
    }

    /// Counts a change notice of the authorization against its hourly allowance: true (and
    /// counted) when fewer than `per_hour` were mailed in the hour that began with the first of
    /// them, or that hour is over (a new hour begins now); false when the allowance is used up.
    pub fn take_notice(
        &self,
        id: &str,
        now: DateTime<Utc>,
        per_hour: u32,
    ) -> Result<bool, StoreError> {
        let hour_ago = time_text(now - chrono::Duration::hours(1));
        let changed = self
            .connection
            .prepare_cached(
                "UPDATE acqp_authorizations SET \
                 notices = CASE WHEN notices_since IS NULL OR notices_since <= ?2 THEN 1 \
                   ELSE notices + 1 END, \
                 notices_since = CASE WHEN notices_since IS NULL OR notices_since <= ?2 THEN ?3 \
                   ELSE notices_since END \
                 WHERE id = ?1 AND (notices_since IS NULL OR notices_since <= ?2 OR notices < ?4)",
            )?
            .execute(params![id, hour_ago, time_text(now), per_hour])?;
        Ok(changed == 1)
    }

    /// Sets an authorization's status and products, changed now.
    pub fn update(
        &self,
        id: &str,
        active: bool,
        products: &[String],
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        self.connection
            .prepare_cached(
                "UPDATE acqp_authorizations SET status = ?2, products = ?3, changed_at = ?4 \
                 WHERE id = ?1",
            )?
            .execute(params![
                id,
                status_text(active),
                list_text(products),
                time_text(now)
            ])?;
        Ok(())
    }
}

const MAIL_COLUMNS: &str = "id, project_id, recipient, subject, body, channel, status, error, \
    created_at, lease_until, attempts";

fn mail_row(row: &Row<'_>) -> rusqlite::Result<AuthorizationMailRow> {
    let (channel, status) = channel_and_status(row, 5)?;
    Ok(AuthorizationMailRow {
        id: row.get(0)?,
        project_id: row.get(1)?,
        recipient: row.get(2)?,
        subject: row.get(3)?,
        body: row.get(4)?,
        channel,
        status,
        error: row.get(7)?,
        created_at: time_column(8, Some(row.get(8)?))?.unwrap_or_default(),
        lease_until: time_column(9, row.get(9)?)?,
        attempts: row.get(10)?,
    })
}

impl AuthorizationMail<'_> {
    /// Keeps a mail.
    pub fn insert(&self, mail: &AuthorizationMailRow) -> Result<(), StoreError> {
        self.connection
            .prepare_cached(&format!(
                "INSERT INTO authorization_mail ({MAIL_COLUMNS}, seq) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, \
                 (SELECT COALESCE(MAX(seq), 0) + 1 FROM authorization_mail))"
            ))?
            .execute(params![
                mail.id,
                mail.project_id,
                mail.recipient,
                mail.subject,
                mail.body,
                mail.channel.as_str(),
                mail.status.as_str(),
                mail.error,
                time_text(mail.created_at),
                mail.lease_until.map(time_text),
                mail.attempts,
            ])?;
        Ok(())
    }

    /// One mail.
    pub fn get(&self, id: &str) -> Result<Option<AuthorizationMailRow>, StoreError> {
        optional(
            self.connection
                .prepare_cached(&format!(
                    "SELECT {MAIL_COLUMNS} FROM authorization_mail WHERE id = ?1"
                ))?
                .query_row([id], mail_row),
        )
    }

    /// Queued mail whose lease ran out at `now`, oldest first, at most `limit`.
    pub fn unleased(
        &self,
        now: DateTime<Utc>,
        limit: u32,
    ) -> Result<Vec<AuthorizationMailRow>, StoreError> {
        let mut statement = self.connection.prepare_cached(&format!(
            "SELECT {MAIL_COLUMNS} FROM authorization_mail WHERE status = 'queued' \
             AND (lease_until IS NULL OR lease_until <= ?1) ORDER BY seq LIMIT ?2"
        ))?;
        let rows = statement.query_map(params![time_text(now), limit], mail_row)?;
        Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
    }

    /// Takes a queued mail for one sender until `lease_until` (see the invitation mail's
    /// `take`): false when it is no longer queued or another sender's lease still runs.
    pub fn take(
        &self,
        id: &str,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
        only_unleased: bool,
    ) -> Result<bool, StoreError> {
        take_lease(
            self.connection,
            MailTable::Authorization,
            id,
            (now, lease_until),
            only_unleased,
        )
    }

    /// Records what became of a queued mail; false when it was no longer queued.
    pub fn settle(
        &self,
        id: &str,
        channel: MailChannel,
        status: MailStatus,
        error: Option<&str>,
    ) -> Result<bool, StoreError> {
        settle_mail(
            self.connection,
            MailTable::Authorization,
            id,
            (channel, status),
            error,
        )
    }

    /// Deletes the mail written before `cutoff` that is no longer queued. How many went.
    pub fn delete_settled(&self, cutoff: DateTime<Utc>) -> Result<usize, StoreError> {
        Ok(self
            .connection
            .prepare_cached(
                "DELETE FROM authorization_mail WHERE status <> 'queued' AND created_at < ?1",
            )?
            .execute([time_text(cutoff)])?)
    }

    /// A project's authorization mail, newest first.
    pub fn of_project(&self, project_id: &str) -> Result<Vec<AuthorizationMailRow>, StoreError> {
        let mut statement = self.connection.prepare_cached(&format!(
            "SELECT {MAIL_COLUMNS} FROM authorization_mail WHERE project_id = ?1 ORDER BY seq DESC"
        ))?;
        let rows = statement.query_map([project_id], mail_row)?;
        Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
    }
}
