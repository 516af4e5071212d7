//! The store's invitation mail and its delivery (`invitation_mail`): typed rows in and out. The
//! table is an outbox: a mail is written `queued`, taken by one sender at a time under a lease,
//! and settled once (sent, outbox or failed).

use chrono::{DateTime, Utc};
use rusqlite::{Connection, Row, params};

use super::{Db, StoreError, optional, time_column, time_text};

/// How an invitation mail went out (the `channel` column).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MailChannel {
    /// Handed to the SMTP relay.
    Smtp,
    /// Kept in the outbox the console shows.
    Outbox,
}

/// What became of an invitation mail (the `status` column).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MailStatus {
    /// Written with its invitation, not yet handed to the relay or the outbox.
    Queued,
    /// The SMTP relay accepted it.
    Sent,
    /// It waits in the outbox.
    Outbox,
    /// The SMTP relay could not take it.
    Failed,
}

impl MailChannel {
    /// The stored (and shown) name: `smtp` or `outbox`.
    pub fn as_str(self) -> &'static str {
        match self {
            MailChannel::Smtp => "smtp",
            MailChannel::Outbox => "outbox",
        }
    }

    /// Reads a stored name.
    pub fn parse(text: &str) -> Option<MailChannel> {
        [MailChannel::Smtp, MailChannel::Outbox]
            .into_iter()
            .find(|channel| channel.as_str() == text)
    }
}

impl MailStatus {
    /// The stored (and shown) name: `queued`, `sent`, `outbox` or `failed`.
    pub fn as_str(self) -> &'static str {
        match self {
            MailStatus::Queued => "queued",
            MailStatus::Sent => "sent",
            MailStatus::Outbox => "outbox",
            MailStatus::Failed => "failed",
        }
    }

    /// Reads a stored name.
    pub fn parse(text: &str) -> Option<MailStatus> {
        [
            MailStatus::Queued,
            MailStatus::Sent,
            MailStatus::Outbox,
            MailStatus::Failed,
        ]
        .into_iter()
        .find(|status| status.as_str() == text)
    }
}

/// An invitation mail as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MailRow {
    /// The mail's id (`mail_...`).
    pub id: String,
    /// The merchant invited.
    pub merchant_id: String,
    /// Where it goes.
    pub recipient: String,
    /// Its subject.
    pub subject: String,
    /// Its text.
    pub body: String,
    /// The invitation link it carries, until the merchant is revoked.
    pub link: Option<String>,
    /// How it went out.
    pub channel: MailChannel,
    /// What became of it.
    pub status: MailStatus,
    /// Why delivery failed.
    pub error: Option<String>,
    /// When it was written.
    pub created_at: DateTime<Utc>,
    /// Until when the sender that took it last holds it (a queued mail whose lease ran out is
    /// taken again).
    pub lease_until: Option<DateTime<Utc>>,
    /// How many times a sender took it.
    pub attempts: u32,
}

/// Operations on invitation mail (`invitation_mail`).
#[derive(Debug, Clone, Copy)]
pub struct InvitationMail<'c> {
    connection: &'c Connection,
}

impl<'c> Db<'c> {
    /// Invitation mail (`invitation_mail`).
    pub fn invitation_mail(self) -> InvitationMail<'c> {
        InvitationMail {
            connection: self.connection,
        }
    }
}

const COLUMNS: &str = "id, merchant_id, recipient, subject, body, link, channel, status, error, \
    created_at, lease_until, attempts";

/// A mail row's channel and status, in columns `at` and `at + 1` (shared by the mail tables).
pub(super) fn channel_and_status(
    row: &Row<'_>,
    at: usize,
) -> rusqlite::Result<(MailChannel, MailStatus)> {
    let unknown = |index: usize, text: String| {
        rusqlite::Error::FromSqlConversionFailure(
            index,
            rusqlite::types::Type::Text,
            format!("unknown value {text:?}").into(),
        )
    };
    let channel: String = row.get(at)?;
    let status: String = row.get(at + 1)?;
    Ok((
        MailChannel::parse(&channel).ok_or_else(|| unknown(at, channel))?,
        MailStatus::parse(&status).ok_or_else(|| unknown(at + 1, status))?,
    ))
}

fn from_row(row: &Row<'_>) -> rusqlite::Result<MailRow> {
    let (channel, status) = channel_and_status(row, 6)?;
    Ok(MailRow {
        id: row.get(0)?,
        merchant_id: row.get(1)?,
        recipient: row.get(2)?,
        subject: row.get(3)?,
        body: row.get(4)?,
        link: row.get(5)?,
        channel,
        status,
        error: row.get(8)?,
        created_at: time_column(9, Some(row.get(9)?))?.unwrap_or_default(),
        lease_until: time_column(10, row.get(10)?)?,
        attempts: row.get(11)?,
    })
}

impl InvitationMail<'_> {
    /// Keeps a project's invitation mail.
    pub fn insert(&self, project_id: &str, mail: &MailRow) -> Result<(), StoreError> {
        self.connection
            .prepare_cached(&format!(
                "INSERT INTO invitation_mail (project_id, {COLUMNS}, seq) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, \
                 (SELECT COALESCE(MAX(seq), 0) + 1 FROM invitation_mail))"
            ))?
            .execute(params![
                project_id,
                mail.id,
                mail.merchant_id,
                mail.recipient,
                mail.subject,
                mail.body,
                mail.link,
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
    pub fn get(&self, id: &str) -> Result<Option<MailRow>, StoreError> {
        optional(
            self.connection
                .prepare_cached(&format!(
                    "SELECT {COLUMNS} FROM invitation_mail WHERE id = ?1"
                ))?
                .query_row([id], from_row),
        )
    }

    /// Queued mail whose lease ran out at `now`, oldest first, at most `limit`.
    pub fn unleased(&self, now: DateTime<Utc>, limit: u32) -> Result<Vec<MailRow>, StoreError> {
        let mut statement = self.connection.prepare_cached(&format!(
            "SELECT {COLUMNS} FROM invitation_mail WHERE status = 'queued' \
             AND (lease_until IS NULL OR lease_until <= ?1) ORDER BY created_at, seq LIMIT ?2"
        ))?;
        let rows = statement.query_map(params![time_text(now), limit], from_row)?;
        Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
    }

    /// Takes a queued mail for one sender until `lease_until`: false when it is no longer
    /// queued, or when `only_unleased` and another sender's lease still runs at `now`.
    pub fn take(
        &self,
        id: &str,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
        only_unleased: bool,
    ) -> Result<bool, StoreError> {
        take_lease(
            self.connection,
            MailTable::Invitation,
            id,
            (now, lease_until),
            only_unleased,
        )
    }

    /// Records what became of a queued mail (sent, in the outbox, or failed with why); false
    /// when it was no longer queued.
    pub fn settle(
        &self,
        id: &str,
        channel: MailChannel,
        status: MailStatus,
        error: Option<&str>,
    ) -> Result<bool, StoreError> {
        settle_mail(
            self.connection,
            MailTable::Invitation,
            id,
            (channel, status),
            error,
        )
    }

    /// Withdraws a merchant's queued mail (its invitation was replaced or revoked): failed,
    /// with why, and never sent.
    pub fn withdraw_queued(&self, merchant_id: &str, why: &str) -> Result<(), StoreError> {
        self.connection
            .prepare_cached(
                "UPDATE invitation_mail SET status = 'failed', error = ?2, lease_until = NULL \
                 WHERE merchant_id = ?1 AND status = 'queued'",
            )?
            .execute(params![merchant_id, why])?;
        Ok(())
    }

    /// A project's invitation mail, newest first.
    ///
    /// Mail written at the same instant (a test clock) is ordered by `seq`, the order it was
    /// written in.
    pub fn of_project(&self, project_id: &str) -> Result<Vec<MailRow>, StoreError> {
        let mut statement = self.connection.prepare_cached(&format!(
            "SELECT {COLUMNS} FROM invitation_mail WHERE project_id = ?1 \
             ORDER BY created_at DESC, seq DESC"
        ))?;
        let rows = statement.query_map([project_id], from_row)?;
        Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
    }

    /// The link of a merchant's latest invitation mail, unless its invitation was revoked or
    /// used (ties in time broken by `seq`, as in [`InvitationMail::of_project`]).
    pub fn latest_link(&self, merchant_id: &str) -> Result<Option<String>, StoreError> {
        Ok(optional(
            self.connection
                .prepare_cached(
                    "SELECT m.link FROM invitation_mail m JOIN merchants r ON r.id = m.merchant_id \
                     WHERE m.merchant_id = ?1 AND r.invitation_hash IS NOT NULL \
                     AND r.invitation_used_at IS NULL \
                     ORDER BY m.created_at DESC, m.seq DESC LIMIT 1",
                )?
                .query_row([merchant_id], |row| row.get::<_, Option<String>>(0)),
        )?
        .flatten())
    }

    /// Forgets the invitation links of a merchant's mail (its access was revoked).
    pub fn forget_links(&self, merchant_id: &str) -> Result<(), StoreError> {
        self.connection
            .prepare_cached("UPDATE invitation_mail SET link = NULL WHERE merchant_id = ?1")?
            .execute([merchant_id])?;
        Ok(())
    }
}

/// The tables of queued mail, which share how a mail is leased and settled.
#[derive(Debug, Clone, Copy)]
pub(super) enum MailTable {
    /// `invitation_mail`: merchants' invitations.
    Invitation,
    /// `authorization_mail`: the ACQP's authorization URL and the TSP's notices of changes.
    Authorization,
}

impl MailTable {
    /// The table's name (a constant: never from input).
    fn name(self) -> &'static str {
        match self {
            MailTable::Invitation => "invitation_mail",
            MailTable::Authorization => "authorization_mail",
        }
    }
}

/// Takes a queued mail of `table` for one sender until `lease_until` (`times` is `(now,
/// lease_until)`): false when it is no longer queued, or when `only_unleased` and another
/// sender's lease still runs at `now`.
pub(super) fn take_lease(
    connection: &Connection,
    table: MailTable,
    id: &str,
    (now, lease_until): (DateTime<Utc>, DateTime<Utc>),
    only_unleased: bool,
) -> Result<bool, StoreError> {
    let changed = connection
        .prepare_cached(&format!(
            "UPDATE {} SET lease_until = ?3, attempts = attempts + 1 \
             WHERE id = ?1 AND status = 'queued' \
             AND (?4 = 0 OR lease_until IS NULL OR lease_until <= ?2)",
            table.name()
        ))?
        .execute(params![
            id,
            time_text(now),
            time_text(lease_until),
            only_unleased
        ])?;
    Ok(changed == 1)
}

/// Records what became of a queued mail of `table` (`outcome`: the channel and the status,
/// with `error` when it failed); false when it was no longer queued.
pub(super) fn settle_mail(
    connection: &Connection,
    table: MailTable,
    id: &str,
    (channel, status): (MailChannel, MailStatus),
    error: Option<&str>,
) -> Result<bool, StoreError> {
    let changed = connection
        .prepare_cached(&format!(
            "UPDATE {} SET channel = ?2, status = ?3, error = ?4, lease_until = NULL \
             WHERE id = ?1 AND status = 'queued'",
            table.name()
        ))?
        .execute(params![id, channel.as_str(), status.as_str(), error])?;
    Ok(changed == 1)
}
