//! Delivering invitations: by SMTP (through `lettre`, see `smtp.rs`) when the hub has a mail
//! relay (`linker hub serve --smtp smtp://host:port`), otherwise into an outbox the console shows. While a mail is being sent
//! the merchant is `processing`; a delivery that fails marks it `failed` with the reason in its
//! remark. Every invitation mail is kept, so the console can show the outbox, copy the latest
//! invitation link and draw its QR code; revoking a merchant forgets the link.

pub mod relay;
pub mod smtp;

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::Hub;
use crate::domain::merchants::Invited;
use crate::domain::projects::Project;
use crate::error::HubError;
use crate::store::invitation_mail::{MailChannel, MailRow, MailStatus};
use crate::store::merchants::MerchantStatus;

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
    /// `sent`, `outbox` or `failed`.
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

/// The invitation mail's subject and text.
fn compose(project: &Project, invited: &Invited) -> (String, String) {
    let merchant = &invited.merchant;
    let subject = format!("Your Linker test account for {}", project.name);
    let body = format!(
        "Hello {name},\r\n\r\n{project} invites you to test your payment integration with the \
         Linker wallet.\r\n\r\nInstall the Linker wallet, then sign in with this invitation:\r\n\r\n\
         \x20 invitation code: {code}\r\n  or open: {link}\r\n\r\nYour login is your MID ({mid}) \
         or this email; the first sign-in sets your password.\r\nThe invitation works until \
         {expires}.\r\n",
        name = merchant.name,
        project = project.name,
        code = invited.invitation.code,
        link = invited.invitation.link,
        mid = merchant.mid,
        expires = invited.invitation.expires_at.format("%Y-%m-%d %H:%M UTC"),
    );
    (subject, body)
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

    /// Delivers a fresh invitation: by SMTP when a relay is set (the merchant is `processing`
    /// meanwhile, `failed` with the reason if it cannot be delivered), else into the outbox.
    pub async fn deliver_invitation(&self, invited: &Invited) -> Result<InvitationMail, HubError> {
        let project = self.project(&invited.merchant.project_id)?;
        let merchant = &invited.merchant;
        let (subject, body) = compose(&project, invited);
        let relay = self.mail_relay();
        let mut mail = MailRow {
            id: self.ids.alphanumeric("mail_", 12),
            merchant_id: merchant.id.clone(),
            recipient: merchant.email.clone(),
            subject,
            body,
            link: Some(invited.invitation.link.clone()),
            channel: if relay.is_some() {
                MailChannel::Smtp
            } else {
                MailChannel::Outbox
            },
            status: MailStatus::Outbox,
            error: None,
            created_at: self.clock.now(),
        };
        if let Some(relay) = relay {
            self.set_merchant_status(&merchant.id, MerchantStatus::Processing, None)?;
            match smtp::send_smtp(&relay, &mail).await {
                Ok(()) => mail.status = MailStatus::Sent,
                Err(why) => {
                    mail.status = MailStatus::Failed;
                    mail.error = Some(why);
                }
            }
        }
        self.store
            .db(|db| db.invitation_mail().insert(&project.id, &mail))?;
        match &mail.error {
            Some(why) => self.set_merchant_status(
                &merchant.id,
                MerchantStatus::Failed,
                Some(&format!(
                    "the invitation could not be delivered to {}: {why}",
                    mail.recipient
                )),
            )?,
            None => self.settle_merchant_status(&merchant.id)?,
        }
        Ok(mail.into())
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
