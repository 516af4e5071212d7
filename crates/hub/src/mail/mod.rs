//! Delivering invitations: by SMTP (through `lettre`, see `smtp.rs`) when the hub has a mail relay (`linker hub serve --smtp
//! smtp://host:port`), otherwise into an outbox the console shows. Each mail was queued with its
//! invitation (`domain/merchants/outbox.rs`); the request that queued it sends it at once, and
//! [`spawn_mailer`]'s sweep sends again one whose sender stopped (its lease ran out). While a
//! mail is being sent the merchant is `processing`; a delivery that fails marks it `failed` with
//! the reason in its remark (not retried: the TSP resends). Every invitation mail is kept, so the console can show the outbox, copy the latest
//! invitation link and draw its QR code; revoking a merchant forgets the link.
//!
//! The mail about ACQP authorizations (`domain/acqp_authorizations.rs`: an authorization URL to
//! the ACQP, a change to the project's members) is an outbox of its own, sent the same way
//! ([`Hub::deliver_authorization_mail`], and by the same sweep); it has no merchant to mark.

pub mod relay;
pub mod smtp;

use chrono::{DateTime, Utc};
use serde::Serialize;

use std::sync::Arc;
use std::time::Duration as StdDuration;

use crate::Hub;
use crate::domain::merchants::{Invited, MAIL_LEASE};
use crate::error::HubError;
use crate::store::StoreError;
use crate::store::acqp_authorizations::AuthorizationMailRow;
use crate::store::invitation_mail::{MailChannel, MailRow, MailStatus};
use crate::store::merchants::MerchantStatus;

/// How many queued mails one sweep takes at most.
const QUEUED_PER_SWEEP: u32 = 16;

/// Runs [`Hub::send_queued_mail`] every five seconds until the hub closes (a mail cut off by
/// the shutdown keeps its lease and is sent again once it runs out).
pub fn spawn_mailer(hub: Arc<Hub>) -> tokio::task::JoinHandle<()> {
    let every = StdDuration::from_secs(5);
    crate::domain::background::spawn_periodic(
        hub,
        "the invitation mail sweep",
        every,
        every,
        |hub| async move { hub.send_queued_mail().await.map(|_| ()) },
    )
}

pub use relay::{MailRelay, SmtpLogin, SmtpSecurity};
pub use smtp::SMTP_TIMEOUT;

/// An invitation mail, as the console's outbox shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct InvitationMail {
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
    /// `smtp` or `outbox`.
    pub channel: String,
    /// `queued`, `sent`, `outbox` or `failed`.
    pub status: String,
    /// Why delivery failed.
    pub error: Option<String>,
    /// When it was written.
    pub created_at: DateTime<Utc>,
}

impl From<MailRow> for InvitationMail {
    fn from(row: MailRow) -> InvitationMail {
        InvitationMail {
            id: row.id,
            merchant_id: row.merchant_id,
            recipient: row.recipient,
            subject: row.subject,
            body: row.body,
            link: row.link,
            channel: row.channel.as_str().to_owned(),
            status: row.status.as_str().to_owned(),
            error: row.error,
            created_at: row.created_at,
        }
    }
}

impl Hub {
    /// Sets (or clears) the SMTP relay invitations are sent through.
    pub fn set_mail_relay(&self, relay: Option<MailRelay>) {
        *self.mail_relay.lock().unwrap_or_else(|p| p.into_inner()) = relay;
    }

    /// The SMTP relay, if one is set.
    pub fn mail_relay(&self) -> Option<MailRelay> {
        self.mail_relay
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// Delivers a fresh invitation's queued mail (see [`Invited::mail_id`]): by SMTP when a
    /// relay is set (the merchant is `processing` meanwhile, `failed` with the reason if it
    /// cannot be delivered), else into the outbox. The request that queued it holds its lease.
    pub async fn deliver_invitation(&self, invited: &Invited) -> Result<InvitationMail, HubError> {
        let id = &invited.mail_id;
        let mail = self.store.db(|db| db.invitation_mail().get(id))?;
        let mail = mail.ok_or_else(|| HubError::NotFound(format!("invitation mail {id}")))?;
        Ok(self.send_queued(mail, false).await?.into())
    }

    /// Sends every queued invitation mail whose lease ran out (its sender stopped before it
    /// recorded the outcome: a crash, a restart); returns how many it took. The background
    /// loop of [`spawn_mailer`] calls it; tests call it after moving a test clock.
    pub async fn send_queued_mail(&self) -> Result<usize, HubError> {
        let now = self.clock.now();
        let queued = self
            .store
            .db(|db| db.invitation_mail().unleased(now, QUEUED_PER_SWEEP))?;
        let mut taken = 0;
        for mail in queued {
            let before = mail.attempts;
            let after = self.send_queued(mail, true).await?;
            taken += usize::from(after.attempts > before);
        }
        let queued = self
            .store
            .db(|db| db.authorization_mail().unleased(now, QUEUED_PER_SWEEP))?;
        for mail in queued {
            let before = mail.attempts;
            let after = self.send_authorization_mail(mail, true).await?;
            taken += usize::from(after.attempts > before);
        }
        Ok(taken)
    }

    /// Delivers the authorization mail just queued (ids from `domain/acqp_authorizations.rs`),
    /// whose lease the request holds: by SMTP when a relay is set, else into the outbox. A
    /// failure is recorded on the mail (the TSP's Authorization tab shows it).
    pub async fn deliver_authorization_mail(&self, ids: &[String]) -> Result<(), HubError> {
        for id in ids {
            let mail = self.store.db(|db| db.authorization_mail().get(id))?;
            let mail =
                mail.ok_or_else(|| HubError::NotFound(format!("authorization mail {id}")))?;
            self.send_authorization_mail(mail, false).await?;
        }
        Ok(())
    }

    /// Takes a queued authorization mail under a fresh lease, sends it and records the outcome.
    async fn send_authorization_mail(
        &self,
        mail: AuthorizationMailRow,
        only_unleased: bool,
    ) -> Result<AuthorizationMailRow, HubError> {
        let now = self.clock.now();
        let relay = self.mail_relay();
        let taken = self.store.db(|db| {
            db.authorization_mail()
                .take(&mail.id, now, now + MAIL_LEASE, only_unleased)
        })?;
        if taken {
            let (channel, status, error) = send(relay.as_ref(), (&mail).into()).await;
            self.store.db(|db| {
                db.authorization_mail()
                    .settle(&mail.id, channel, status, error.as_deref())
            })?;
        }
        self.store
            .db(|db| db.authorization_mail().get(&mail.id))?
            .ok_or_else(|| HubError::NotFound(format!("authorization mail {}", mail.id)))
    }

    /// Takes a queued mail (under a fresh lease; `only_unleased`: unless another sender's lease
    /// still runs), sends it, and records the outcome with the merchant's status in one
    /// transaction. Returns the mail as it stands after.
    async fn send_queued(&self, mail: MailRow, only_unleased: bool) -> Result<MailRow, HubError> {
        let now = self.clock.now();
        let relay = self.mail_relay();
        let merchant_id = mail.merchant_id.clone();
        let taken = self.store.transaction(|db| {
            let taken =
                db.invitation_mail()
                    .take(&mail.id, now, now + MAIL_LEASE, only_unleased)?;
            if taken && relay.is_some() {
                db.merchants()
                    .set_status(&merchant_id, MerchantStatus::Processing, None)?;
            }
            Ok::<_, StoreError>(taken)
        })?;
        if !taken {
            return self.mail_row(&mail.id);
        }
        let (channel, status, error) = send(relay.as_ref(), (&mail).into()).await;
        self.store.transaction(|db| {
            if !db
                .invitation_mail()
                .settle(&mail.id, channel, status, error.as_deref())?
            {
                return Ok(());
            }
            match &error {
                Some(why) => db.merchants().set_status(
                    &merchant_id,
                    MerchantStatus::Failed,
                    Some(&format!(
                        "the invitation could not be delivered to {}: {why}",
                        mail.recipient
                    )),
                ),
                None => db.merchants().settle_status(&merchant_id),
            }
        })?;
        self.mail_row(&mail.id)
    }

    /// One invitation mail as stored.
    fn mail_row(&self, id: &str) -> Result<MailRow, HubError> {
        self.store
            .db(|db| db.invitation_mail().get(id))?
            .ok_or_else(|| HubError::NotFound(format!("invitation mail {id}")))
    }

    /// A project's invitation mail, newest first.
    pub fn invitation_mail(&self, project_id: &str) -> Result<Vec<InvitationMail>, HubError> {
        let rows = self
            .store
            .db(|db| db.invitation_mail().of_project(project_id))?;
        Ok(rows.into_iter().map(InvitationMail::from).collect())
    }

    /// The link of a merchant's latest invitation, unless it was revoked or used.
    pub fn latest_invitation_link(&self, merchant_id: &str) -> Result<Option<String>, HubError> {
        Ok(self
            .store
            .db(|db| db.invitation_mail().latest_link(merchant_id))?)
    }
}

/// Sends a taken mail over the relay (SMTP), or into the outbox without one; what became of it:
/// the channel, the status, and why it failed.
async fn send(
    relay: Option<&MailRelay>,
    letter: smtp::Letter<'_>,
) -> (MailChannel, MailStatus, Option<String>) {
    match relay {
        None => (MailChannel::Outbox, MailStatus::Outbox, None),
        Some(relay) => match smtp::send_smtp(relay, letter).await {
            Ok(()) => (MailChannel::Smtp, MailStatus::Sent, None),
            Err(why) => (MailChannel::Smtp, MailStatus::Failed, Some(why)),
        },
    }
}
