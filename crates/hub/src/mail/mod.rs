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
use crate::domain::merchants::Invited;
use crate::error::HubError;
use crate::store::time_column as time_of;

/// How long one SMTP conversation may take.
pub const SMTP_TIMEOUT: StdDuration = StdDuration::from_secs(10);

/// How the hub secures its connection to the SMTP server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SmtpSecurity {
    /// Plain SMTP, as a local relay speaks it (`smtp://`).
    Plain,
    /// Plain, then STARTTLS, which the server must offer (`smtp://...?tls=required`).
    StartTls,
    /// TLS from the first byte (`smtps://`).
    Tls,
}

/// A user name and password for SMTP AUTH; the password never appears in logs or `Debug`.
#[derive(Clone, PartialEq, Eq)]
pub struct SmtpLogin {
    /// The user name.
    pub user: String,
    /// The password.
    pub password: String,
}

impl std::fmt::Debug for SmtpLogin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SmtpLogin")
            .field("user", &self.user)
            .field("password", &"<redacted>")
            .finish()
    }
}

/// An SMTP server the hub hands invitation mail to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MailRelay {
    /// Host name or address.
    pub host: String,
    /// Port (25 for `smtp://`, 465 for `smtps://`, unless the URL says).
    pub port: u16,
    /// The sender address (`from` query parameter; `linker-hub@localhost` by default).
    pub from: String,
    /// Plain, STARTTLS or TLS.
    pub security: SmtpSecurity,
    /// SMTP AUTH credentials (`user:password@` in the URL), sent only over TLS.
    pub login: Option<SmtpLogin>,
    /// A PEM file of extra certificate authorities to trust (`ca=` query parameter), for a relay
    /// whose certificate a private CA signed; the system's roots are trusted as well.
    pub ca_file: Option<std::path::PathBuf>,
}

impl MailRelay {
    /// Reads `smtp://[user:password@]host[:port][?from=address&tls=required&ca=file]` or
    /// `smtps://...`. Credentials need TLS: `smtps://` or `tls=required`.
    pub fn parse(url: &str) -> Result<MailRelay, HubError> {
        let bad = |why: &str| HubError::invalid("smtp", format!("{}: {why}", redact(url)));
        let url = url.trim();
        let (mut security, rest) = if let Some(rest) = url.strip_prefix("smtps://") {
            (SmtpSecurity::Tls, rest)
        } else if let Some(rest) = url.strip_prefix("smtp://") {
            (SmtpSecurity::Plain, rest)
        } else {
            return Err(bad("use smtp://host:port or smtps://host:port"));
        };
        let (authority, query) = rest.split_once('?').unwrap_or((rest, ""));
        let authority = authority.trim_end_matches('/');
        let (userinfo, authority) = match authority.rsplit_once('@') {
            Some((userinfo, authority)) => (Some(userinfo), authority),
            None => (None, authority),
        };
        if authority.is_empty() || authority.contains('/') {
            return Err(bad("use smtp://host:port (no path)"));
        }
        let default_port = if security == SmtpSecurity::Tls {
            465
        } else {
            25
        };
        let (host, port) = match authority.rsplit_once(':') {
            Some((host, port)) => (
                host,
                port.parse::<u16>()
                    .map_err(|_| bad("the port is not a number from 1 to 65535"))?,
            ),
            None => (authority, default_port),
        };
        if host.is_empty() || port == 0 {
            return Err(bad("name a host and a port"));
        }
        let decode = |text: &str| {
            percent_encoding::percent_decode_str(text)
                .decode_utf8()
                .map(|t| t.into_owned())
                .map_err(|_| bad("the user or password is not UTF-8 once decoded"))
        };
        let login = match userinfo {
            None => None,
            Some(userinfo) => {
                let (user, password) = userinfo
                    .split_once(':')
                    .ok_or_else(|| bad("write user:password@host (percent-encode : and @)"))?;
                Some(SmtpLogin {
                    user: decode(user)?,
                    password: decode(password)?,
                })
            }
        };
        let parameter = |name: &str| {
            query
                .split('&')
                .find_map(|pair| pair.strip_prefix(name)?.strip_prefix('='))
        };
        match parameter("tls") {
            None => {}
            Some("required") if security == SmtpSecurity::Plain => {
                security = SmtpSecurity::StartTls;
            }
            Some("required") => {}
            Some(other) => {
                return Err(bad(&format!(
                    "tls={other}: the only value is tls=required (STARTTLS); smtps:// is TLS throughout"
                )));
            }
        }
        if login.is_some() && security == SmtpSecurity::Plain {
            return Err(bad(
                "a password would travel in clear: use smtps:// or add ?tls=required (STARTTLS)",
            ));
        }
        let ca_file = match parameter("ca") {
            Some(path) => {
                let path = std::path::PathBuf::from(decode(path)?);
                if !path.is_file() {
                    return Err(bad(&format!("ca={}: no such file", path.display())));
                }
                Some(path)
            }
            None => None,
        };
        let from = parameter("from")
            .map(decode)
            .transpose()?
            .filter(|from| from.contains('@'))
            .unwrap_or_else(|| "linker-hub@localhost".to_owned());
        Ok(MailRelay {
            host: host.trim_matches(['[', ']']).to_owned(),
            port,
            from,
            security,
            login,
            ca_file,
        })
    }

    /// The relay as `linker hub serve` reports it: scheme, host, port, no password.
    pub fn describe(&self) -> String {
        let scheme = match self.security {
            SmtpSecurity::Tls => "smtps",
            SmtpSecurity::Plain | SmtpSecurity::StartTls => "smtp",
        };
        let user = self
            .login
            .as_ref()
            .map(|login| format!("{}@", login.user))
            .unwrap_or_default();
        let starttls = if self.security == SmtpSecurity::StartTls {
            " (STARTTLS)"
        } else {
            ""
        };
        format!("{scheme}://{user}{}:{}{starttls}", self.host, self.port)
    }
}

/// An SMTP URL with its password blanked, for error messages.
fn redact(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let (authority, tail) = match rest.find(['/', '?']) {
        Some(i) => rest.split_at(i),
        None => (rest, ""),
    };
    match authority.rsplit_once('@') {
        Some((userinfo, host)) => {
            let user = userinfo.split_once(':').map_or(userinfo, |(user, _)| user);
            format!("{scheme}://{user}:***@{host}{tail}")
        }
        None => url.to_owned(),
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

/// One SMTP conversation: EHLO, STARTTLS and AUTH when the relay asks for them, MAIL FROM,
/// RCPT TO, DATA, QUIT; the error says which step the server refused, or that it could not be
/// reached.
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
        let message = message(relay, to, subject, body);
        match relay.security {
            SmtpSecurity::Tls => {
                let mut tls = BufReader::new(tls_handshake(relay, stream).await?);
                expect(&mut tls, "the greeting", &[220]).await?;
                let offer = step(&mut tls, "EHLO linker-hub\r\n", "EHLO", &[250]).await?;
                deliver(&mut tls, relay, &offer, to, &message).await
            }
            SmtpSecurity::Plain | SmtpSecurity::StartTls => {
                let mut plain = BufReader::new(stream);
                expect(&mut plain, "the greeting", &[220]).await?;
                let offer = step(&mut plain, "EHLO linker-hub\r\n", "EHLO", &[250]).await?;
                if relay.security == SmtpSecurity::Plain {
                    return deliver(&mut plain, relay, &offer, to, &message).await;
                }
                if !offers(&offer, "STARTTLS") {
                    return Err(format!(
                        "the SMTP server {}:{} does not offer STARTTLS, which the relay URL requires",
                        relay.host, relay.port
                    ));
                }
                step(&mut plain, "STARTTLS\r\n", "STARTTLS", &[220]).await?;
                let mut tls = BufReader::new(tls_handshake(relay, plain.into_inner()).await?);
                let offer = step(&mut tls, "EHLO linker-hub\r\n", "EHLO", &[250]).await?;
                deliver(&mut tls, relay, &offer, to, &message).await
            }
        }
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

/// The mail as DATA carries it: headers, the body with leading dots doubled, the final dot.
fn message(relay: &MailRelay, to: &str, subject: &str, body: &str) -> String {
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
    message
}

/// True when an EHLO reply lists the extension (`STARTTLS`, `AUTH PLAIN LOGIN`, ...).
fn offers(ehlo: &str, extension: &str) -> bool {
    ehlo.split('\n').any(|line| {
        line.get(4..)
            .unwrap_or_default()
            .to_ascii_uppercase()
            .split_whitespace()
            .next()
            == Some(extension)
    })
}

/// The AUTH mechanisms an EHLO reply lists.
fn auth_mechanisms(ehlo: &str) -> Vec<String> {
    ehlo.split('\n')
        .filter_map(|line| {
            let words: Vec<String> = line
                .get(4..)?
                .split_whitespace()
                .map(str::to_ascii_uppercase)
                .collect();
            (words.first().map(String::as_str) == Some("AUTH")).then(|| words[1..].to_vec())
        })
        .flatten()
        .collect()
}

/// TLS over the connection, checking the server's certificate against the system's roots and
/// the relay's `ca=` file.
async fn tls_handshake(
    relay: &MailRelay,
    stream: tokio::net::TcpStream,
) -> Result<tokio_rustls::client::TlsStream<tokio::net::TcpStream>, String> {
    use tokio_rustls::rustls;
    use tokio_rustls::rustls::pki_types::pem::PemObject;
    use tokio_rustls::rustls::pki_types::{CertificateDer, ServerName};

    let mut roots = rustls::RootCertStore::empty();
    for certificate in rustls_native_certs::load_native_certs().certs {
        // A system certificate rustls cannot use is skipped, as browsers do.
        let _ = roots.add(certificate);
    }
    if let Some(path) = &relay.ca_file {
        let certificates = CertificateDer::pem_file_iter(path)
            .map_err(|e| format!("cannot read the CA file {}: {e}", path.display()))?;
        for certificate in certificates {
            let certificate = certificate
                .map_err(|e| format!("the CA file {} is not PEM: {e}", path.display()))?;
            roots.add(certificate).map_err(|e| {
                format!(
                    "the CA file {} holds a bad certificate: {e}",
                    path.display()
                )
            })?;
        }
    }
    let config = rustls::ClientConfig::builder_with_provider(std::sync::Arc::new(
        rustls::crypto::aws_lc_rs::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .map_err(|e| format!("TLS set-up failed: {e}"))?
    .with_root_certificates(roots)
    .with_no_client_auth();
    let name = ServerName::try_from(relay.host.clone())
        .map_err(|e| format!("{} is not a host name TLS can check: {e}", relay.host))?;
    tokio_rustls::TlsConnector::from(std::sync::Arc::new(config))
        .connect(name, stream)
        .await
        .map_err(|e| {
            format!(
                "the TLS handshake with the SMTP server {}:{} failed: {e}",
                relay.host, relay.port
            )
        })
}

/// AUTH when the relay has a login, then the mail itself.
async fn deliver<S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin>(
    stream: &mut BufReader<S>,
    relay: &MailRelay,
    offer: &str,
    to: &str,
    message: &str,
) -> Result<(), String> {
    use base64::Engine as _;
    let encode = |text: &str| base64::engine::general_purpose::STANDARD.encode(text);
    if let Some(login) = &relay.login {
        let mechanisms = auth_mechanisms(offer);
        if mechanisms.iter().any(|m| m == "PLAIN") {
            let token = encode(&format!("\0{}\0{}", login.user, login.password));
            step(stream, &format!("AUTH PLAIN {token}\r\n"), "AUTH", &[235]).await?;
        } else if mechanisms.iter().any(|m| m == "LOGIN") {
            step(stream, "AUTH LOGIN\r\n", "AUTH", &[334]).await?;
            step(
                stream,
                &format!("{}\r\n", encode(&login.user)),
                "AUTH (user)",
                &[334],
            )
            .await?;
            step(
                stream,
                &format!("{}\r\n", encode(&login.password)),
                "AUTH (password)",
                &[235],
            )
            .await?;
        } else {
            return Err(format!(
                "the SMTP server {}:{} offers no AUTH PLAIN or LOGIN for the relay URL's user",
                relay.host, relay.port
            ));
        }
    }
    step(
        stream,
        &format!("MAIL FROM:<{}>\r\n", relay.from),
        "MAIL FROM",
        &[250],
    )
    .await?;
    step(
        stream,
        &format!("RCPT TO:<{to}>\r\n"),
        "RCPT TO",
        &[250, 251],
    )
    .await?;
    step(stream, "DATA\r\n", "DATA", &[354]).await?;
    step(stream, message, "the message", &[250]).await?;
    let _ = stream.write_all(b"QUIT\r\n").await;
    let _ = stream.flush().await;
    Ok(())
}

/// Sends one SMTP command and checks the reply's code; returns the reply.
async fn step<S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin>(
    stream: &mut BufReader<S>,
    command: &str,
    what: &str,
    codes: &[u16],
) -> Result<String, String> {
    stream
        .write_all(command.as_bytes())
        .await
        .map_err(|e| format!("the SMTP connection broke at {what}: {e}"))?;
    stream
        .flush()
        .await
        .map_err(|e| format!("the SMTP connection broke at {what}: {e}"))?;
    expect(stream, what, codes).await
}

/// Reads one (possibly multi-line) SMTP reply and checks its code; returns its lines.
async fn expect<R: tokio::io::AsyncBufRead + Unpin>(
    read: &mut R,
    what: &str,
    codes: &[u16],
) -> Result<String, String> {
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
        text.push('\n');
        if line.len() < 4 || line.as_bytes().get(3) != Some(&b'-') {
            break;
        }
    }
    let code: u16 = text.get(..3).and_then(|c| c.parse().ok()).unwrap_or(0);
    if codes.contains(&code) {
        Ok(text)
    } else {
        Err(format!(
            "the SMTP server refused {what}: {}",
            text.trim().replace('\n', " ")
        ))
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
                from: "tsp@example.com".to_owned(),
                security: SmtpSecurity::Plain,
                login: None,
                ca_file: None,
            }
        );
        assert_eq!(MailRelay::parse("smtp://mail.local").unwrap().port, 25);
        for bad in [
            "http://x:25",
            "smtp://",
            "smtp://h:notaport",
            "smtp://u@h:25",
            "smtp://u:p@h:25",
            "smtp://h:25?tls=maybe",
            "smtps://h?ca=/nonexistent/ca.pem",
        ] {
            assert!(MailRelay::parse(bad).is_err(), "{bad} should be refused");
        }
    }

    #[test]
    fn tls_and_credentials_are_read_and_the_password_never_shown() {
        let relay =
            MailRelay::parse("smtp://tsp%40acq.example:s3cr%3At@mail.acq.example:587?tls=required")
                .unwrap();
        assert_eq!(relay.security, SmtpSecurity::StartTls);
        assert_eq!(relay.port, 587);
        let login = relay.login.clone().unwrap();
        assert_eq!(
            (login.user.as_str(), login.password.as_str()),
            ("tsp@acq.example", "s3cr:t")
        );
        for shown in [relay.describe(), format!("{relay:?}")] {
            assert!(!shown.contains("s3cr"), "the password leaks: {shown}");
        }
        let implicit = MailRelay::parse("smtps://u:p@mail.acq.example").unwrap();
        assert_eq!((implicit.security, implicit.port), (SmtpSecurity::Tls, 465));
        let error = MailRelay::parse("smtp://u:hunter2@h:25")
            .unwrap_err()
            .to_string();
        assert!(
            error.contains("in clear") && !error.contains("hunter2"),
            "refused without showing the password: {error}"
        );
    }

    #[test]
    fn ehlo_replies_are_read_for_starttls_and_auth() {
        let ehlo = "250-mail.example\n250-STARTTLS\n250-AUTH LOGIN PLAIN\n250 8BITMIME\n";
        assert!(offers(ehlo, "STARTTLS"));
        assert!(!offers("250-mail.example\n250 8BITMIME\n", "STARTTLS"));
        assert_eq!(auth_mechanisms(ehlo), ["LOGIN", "PLAIN"]);
        assert!(auth_mechanisms("250 mail.example\n").is_empty());
    }
}
