//! Delivering invitations: by SMTP when the hub has a mail relay (`linker hub serve --smtp
//! smtp://host:port`), otherwise into an outbox the console shows. While a mail is being sent
//! the merchant is `processing`; a delivery that fails marks it `failed` with the reason in its
//! remark. Every invitation mail is kept, so the console can show the outbox, copy the latest
//! invitation link and draw its QR code; revoking a merchant forgets the link.

use std::time::Duration as StdDuration;

use chrono::{DateTime, Utc};
use rusqlite::{OptionalExtension, Row, params};
use serde::Serialize;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

use crate::Hub;
use crate::error::HubError;
use crate::merchants::Invited;
use crate::store::time_column as time_of;

/// How long one SMTP conversation may take.
pub const SMTP_TIMEOUT: StdDuration = StdDuration::from_secs(10);

/// An SMTP server the hub hands invitation mail to (plain SMTP, as a local relay speaks it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MailRelay {
    /// Host name or address.
    pub host: String,
    /// Port (25 unless the URL says).
    pub port: u16,
    /// The sender address (`from` query parameter; `linker-hub@localhost` by default).
    pub from: String,
}

impl MailRelay {
    /// Reads `smtp://host[:port][?from=address]`.
    pub fn parse(url: &str) -> Result<MailRelay, HubError> {
        let bad = |why: &str| HubError::invalid("smtp", format!("{url:?}: {why}"));
        let rest = url
            .trim()
            .strip_prefix("smtp://")
            .ok_or_else(|| bad("use smtp://host:port"))?;
        let (authority, query) = rest.split_once('?').unwrap_or((rest, ""));
        let authority = authority.trim_end_matches('/');
        if authority.is_empty() || authority.contains('@') || authority.contains('/') {
            return Err(bad("use smtp://host:port (no user, no path)"));
        }
        let (host, port) = match authority.rsplit_once(':') {
            Some((host, port)) => (
                host,
                port.parse::<u16>()
                    .map_err(|_| bad("the port is not a number from 1 to 65535"))?,
            ),
            None => (authority, 25),
        };
        if host.is_empty() || port == 0 {
            return Err(bad("name a host and a port"));
        }
        let from = query
            .split('&')
            .find_map(|pair| pair.strip_prefix("from="))
            .filter(|from| from.contains('@'))
            .unwrap_or("linker-hub@localhost")
            .to_owned();
        Ok(MailRelay {
            host: host.trim_matches(['[', ']']).to_owned(),
            port,
            from,
        })
    }
}

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

const COLUMNS: &str =
    "id, merchant_id, recipient, subject, body, link, channel, status, error, created_at";

fn from_row(row: &Row<'_>) -> rusqlite::Result<InvitationMail> {
    Ok(InvitationMail {
        id: row.get(0)?,
        merchant_id: row.get(1)?,
        recipient: row.get(2)?,
        subject: row.get(3)?,
        body: row.get(4)?,
        link: row.get(5)?,
        channel: row.get(6)?,
        status: row.get(7)?,
        error: row.get(8)?,
        created_at: time_of(9, Some(row.get(9)?))?.unwrap_or_default(),
    })
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
        let relay = self.mail_relay();
        let mut mail = InvitationMail {
            id: self.ids.alphanumeric("mail_", 12),
            merchant_id: merchant.id.clone(),
            recipient: merchant.email.clone(),
            subject,
            body,
            link: Some(invited.invitation.link.clone()),
            channel: if relay.is_some() { "smtp" } else { "outbox" }.to_owned(),
            status: "outbox".to_owned(),
            error: None,
            created_at: self.clock.now(),
        };
        if let Some(relay) = relay {
            self.set_merchant_status(&merchant.id, "processing", None)?;
            match send_smtp(&relay, &mail.recipient, &mail.subject, &mail.body).await {
                Ok(()) => mail.status = "sent".to_owned(),
                Err(why) => {
                    mail.status = "failed".to_owned();
                    mail.error = Some(why);
                }
            }
        }
        self.store.with(|connection| {
            connection.prepare_cached(&format!("INSERT INTO invitation_mail (project_id, {COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)"))?.execute(params![
                    project.id,
                    mail.id,
                    mail.merchant_id,
                    mail.recipient,
                    mail.subject,
                    mail.body,
                    mail.link,
                    mail.channel,
                    mail.status,
                    mail.error,
                    mail.created_at.to_rfc3339(),
                ],
            )?;
            Ok(())
        })?;
        match &mail.error {
            Some(why) => self.set_merchant_status(
                &merchant.id,
                "failed",
                Some(&format!(
                    "the invitation could not be delivered to {}: {why}",
                    mail.recipient
                )),
            )?,
            None => self.store.with(|connection| {
                connection.prepare_cached("UPDATE merchants SET status = CASE WHEN password_hash IS NULL THEN 'inactive' \
                     ELSE 'active' END, remark = NULL WHERE id = ?1 AND status IN ('processing', 'failed')")?.execute([&merchant.id],
                )?;
                Ok(())
            })?,
        }
        Ok(mail)
    }

    fn set_merchant_status(
        &self,
        merchant_id: &str,
        status: &str,
        remark: Option<&str>,
    ) -> Result<(), HubError> {
        self.store.with(|connection| {
            connection
                .prepare_cached("UPDATE merchants SET status = ?2, remark = ?3 WHERE id = ?1")?
                .execute(params![merchant_id, status, remark])?;
            Ok(())
        })?;
        Ok(())
    }

    /// A project's invitation mail, newest first.
    pub fn invitation_mail(&self, project_id: &str) -> Result<Vec<InvitationMail>, HubError> {
        Ok(self.store.with(|connection| {
            let mut statement = connection.prepare_cached(&format!(
                "SELECT {COLUMNS} FROM invitation_mail WHERE project_id = ?1 ORDER BY created_at DESC, rowid DESC"
            ))?;
            let rows = statement.query_map([project_id], from_row)?;
            Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
        })?)
    }

    /// The link of a merchant's latest invitation, unless it was revoked or used.
    pub fn latest_invitation_link(&self, merchant_id: &str) -> Result<Option<String>, HubError> {
        Ok(self.store.with(|connection| {
            Ok(connection
                .prepare_cached("SELECT m.link FROM invitation_mail m JOIN merchants r ON r.id = m.merchant_id \
                     WHERE m.merchant_id = ?1 AND r.invitation_hash IS NOT NULL \
                     AND r.invitation_used_at IS NULL ORDER BY m.created_at DESC, m.rowid DESC LIMIT 1")?
                .query_row([merchant_id],
                    |row| row.get::<_, Option<String>>(0),
                )
                .optional()?
                .flatten())
        })?)
    }

    /// Revokes a merchant's access: its invitation stops working, its wallet sessions end and
    /// its stored invitation links are forgotten. A new invitation (resend) restores access.
    pub fn revoke_merchant(&self, project_id: &str, merchant_id: &str) -> Result<(), HubError> {
        let merchant = self.merchant(merchant_id)?;
        if merchant.project_id != project_id {
            return Err(HubError::NotFound(format!("merchant {merchant_id}")));
        }
        let now = self.clock.now();
        self.store.with(|connection| {
            let transaction = connection.transaction()?;
            transaction.prepare_cached("UPDATE merchants SET invitation_hash = NULL, invitation_expires_at = NULL, \
                 remark = ?2 WHERE id = ?1")?.execute(params![
                    merchant_id,
                    format!("access revoked on {}", now.format("%Y-%m-%d %H:%M UTC"))
                ],
            )?;
            transaction.prepare_cached("UPDATE sessions SET revoked_at = ?2 WHERE merchant_id = ?1 AND revoked_at IS NULL")?.execute(params![merchant_id, now.to_rfc3339()],
            )?;
            transaction.prepare_cached("UPDATE invitation_mail SET link = NULL WHERE merchant_id = ?1")?.execute([merchant_id],
            )?;
            transaction.commit()?;
            Ok(())
        })?;
        Ok(())
    }
}

/// One plain SMTP conversation: EHLO, MAIL FROM, RCPT TO, DATA, QUIT; the error says which step
/// the server refused, or that it could not be reached.
async fn send_smtp(relay: &MailRelay, to: &str, subject: &str, body: &str) -> Result<(), String> {
    let conversation = async {
        let stream = tokio::net::TcpStream::connect((relay.host.as_str(), relay.port))
            .await
            .map_err(|e| {
                format!(
                    "cannot connect to the SMTP server {}:{} ({e})",
                    relay.host, relay.port
                )
            })?;
        let (read, mut write) = stream.into_split();
        let mut read = BufReader::new(read);
        expect(&mut read, "the greeting", &[220]).await?;
        step(
            &mut write,
            &mut read,
            "EHLO linker-hub\r\n".to_owned(),
            "EHLO",
            &[250],
        )
        .await?;
        step(
            &mut write,
            &mut read,
            format!("MAIL FROM:<{}>\r\n", relay.from),
            "MAIL FROM",
            &[250],
        )
        .await?;
        step(
            &mut write,
            &mut read,
            format!("RCPT TO:<{to}>\r\n"),
            "RCPT TO",
            &[250, 251],
        )
        .await?;
        step(&mut write, &mut read, "DATA\r\n".to_owned(), "DATA", &[354]).await?;
        let mut message = format!(
            "From: Linker hub <{}>\r\nTo: <{to}>\r\nSubject: {subject}\r\nMIME-Version: 1.0\r\n\
             Content-Type: text/plain; charset=utf-8\r\n\r\n",
            relay.from
        );
        for line in body.split("\r\n") {
            if line.starts_with('.') {
                message.push('.');
            }
            message.push_str(line);
            message.push_str("\r\n");
        }
        message.push_str(".\r\n");
        step(&mut write, &mut read, message, "the message", &[250]).await?;
        let _ = write.write_all(b"QUIT\r\n").await;
        Ok(())
    };
    match tokio::time::timeout(SMTP_TIMEOUT, conversation).await {
        Ok(result) => result,
        Err(_) => Err(format!(
            "the SMTP server {}:{} did not answer within {} s",
            relay.host,
            relay.port,
            SMTP_TIMEOUT.as_secs()
        )),
    }
}

/// Sends one SMTP command and checks the reply's code.
async fn step<R: tokio::io::AsyncBufRead + Unpin>(
    write: &mut tokio::net::tcp::OwnedWriteHalf,
    read: &mut R,
    command: String,
    what: &str,
    codes: &[u16],
) -> Result<(), String> {
    write
        .write_all(command.as_bytes())
        .await
        .map_err(|e| format!("the SMTP connection broke at {what}: {e}"))?;
    expect(read, what, codes).await
}

/// Reads one (possibly multi-line) SMTP reply and checks its code.
async fn expect<R: tokio::io::AsyncBufRead + Unpin>(
    read: &mut R,
    what: &str,
    codes: &[u16],
) -> Result<(), String> {
    let mut text = String::new();
    loop {
        let mut line = String::new();
        let n = read
            .read_line(&mut line)
            .await
            .map_err(|e| format!("the SMTP connection broke at {what}: {e}"))?;
        if n == 0 {
            return Err(format!("the SMTP server closed the connection at {what}"));
        }
        text.push_str(line.trim_end());
        text.push(' ');
        if line.len() < 4 || line.as_bytes().get(3) != Some(&b'-') {
            break;
        }
    }
    let code: u16 = text.get(..3).and_then(|c| c.parse().ok()).unwrap_or(0);
    if codes.contains(&code) {
        Ok(())
    } else {
        Err(format!("the SMTP server refused {what}: {}", text.trim()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relay_urls_are_read_and_bad_ones_named() {
        let relay = MailRelay::parse("smtp://127.0.0.1:2525?from=tsp@example.com").unwrap();
        assert_eq!(
            relay,
            MailRelay {
                host: "127.0.0.1".to_owned(),
                port: 2525,
                from: "tsp@example.com".to_owned()
            }
        );
        assert_eq!(MailRelay::parse("smtp://mail.local").unwrap().port, 25);
        for bad in [
            "http://x:25",
            "smtp://",
            "smtp://h:notaport",
            "smtp://u@h:25",
        ] {
            assert!(MailRelay::parse(bad).is_err(), "{bad} should be refused");
        }
    }
}
