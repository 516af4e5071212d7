//! Invitation mail as an outbox: the mail is composed and written `queued` in the same
//! transaction as the invitation it carries (the code exists in clear only in it), so a crash at
//! any instant leaves either no invitation or an invitation with its mail waiting. The request
//! that queued it holds a lease of [`MAIL_LEASE`] and sends it at once (the mail layer); a mail
//! still queued when its lease runs out (the hub stopped mid-send) is taken and sent again by
//! the mail layer's sweep: at least once. A mail whose invitation was replaced or revoked before
//! it went is withdrawn, never sent.

use chrono::{DateTime, Duration, Utc};

use super::Invited;
use crate::Hub;
use crate::domain::projects::Project;
use crate::store::invitation_mail::{MailChannel, MailRow, MailStatus};

/// How long one sender holds a queued invitation mail before another may send it: well over
/// the SMTP conversation's time limit, so a live sender is never doubled.
pub const MAIL_LEASE: Duration = Duration::minutes(2);

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
    /// The queued mail of a fresh invitation, leased to the request making it; the caller writes
    /// it with the invitation.
    pub(crate) fn queued_mail(
        &self,
        project: &Project,
        invited: &Invited,
        now: DateTime<Utc>,
    ) -> MailRow {
        let (subject, body) = compose(project, invited);
        MailRow {
            id: invited.mail_id.clone(),
            merchant_id: invited.merchant.id.clone(),
            recipient: invited.merchant.email.clone(),
            subject,
            body,
            link: Some(invited.invitation.link.clone()),
            // Where it goes is decided when it is sent (the relay may change meanwhile).
            channel: MailChannel::Outbox,
            status: MailStatus::Queued,
            error: None,
            created_at: now,
            lease_until: Some(now + MAIL_LEASE),
            attempts: 0,
        }
    }
}
