//! Handing a mail (an invitation, or a mail about an ACQP's authorization) to the relay with `lettre`: the message built by its builder
//! (addresses checked, the Subject RFC 2047 encoded, a header value with CR or LF encoded rather
//! than let through, the body in a transfer encoding SMTP carries), then one conversation
//! (EHLO, STARTTLS, AUTH PLAIN or LOGIN, MAIL FROM, RCPT TO, DATA, QUIT) under a timeout, over
//! plain TCP or rustls checked against the system's roots and the relay's own CA file. AUTH goes
//! only over TLS unless the relay URL allows it in clear (`auth=clear`).

use std::time::Duration as StdDuration;

use lettre::message::header::ContentType;
use lettre::message::{Mailbox, Message};
use lettre::transport::smtp::authentication::{Credentials, Mechanism};
use lettre::transport::smtp::client::{
    AsyncSmtpConnection, Certificate, CertificateStore, TlsParameters,
};
use lettre::transport::smtp::commands::{Data, Mail, Rcpt};
use lettre::transport::smtp::extension::{ClientId, MailBodyParameter, MailParameter};

use super::relay::{MailRelay, SmtpSecurity};
use crate::store::acqp_authorizations::AuthorizationMailRow;
use crate::store::invitation_mail::MailRow;

/// What the relay is handed of a stored mail (an invitation's or an authorization's).
#[derive(Debug, Clone, Copy)]
pub(super) struct Letter<'a> {
    /// The mail's id (its Message-ID).
    pub id: &'a str,
    /// Where it goes.
    pub recipient: &'a str,
    /// Its subject.
    pub subject: &'a str,
    /// Its text.
    pub body: &'a str,
    /// When it was written (its Date).
    pub created_at: chrono::DateTime<chrono::Utc>,
}

impl<'a> From<&'a MailRow> for Letter<'a> {
    fn from(mail: &'a MailRow) -> Letter<'a> {
        Letter {
            id: &mail.id,
            recipient: &mail.recipient,
            subject: &mail.subject,
            body: &mail.body,
            created_at: mail.created_at,
        }
    }
}

impl<'a> From<&'a AuthorizationMailRow> for Letter<'a> {
    fn from(mail: &'a AuthorizationMailRow) -> Letter<'a> {
        Letter {
            id: &mail.id,
            recipient: &mail.recipient,
            subject: &mail.subject,
            body: &mail.body,
            created_at: mail.created_at,
        }
    }
}

/// How long one SMTP conversation may take.
pub const SMTP_TIMEOUT: StdDuration = StdDuration::from_secs(10);

/// The name the hub gives in EHLO.
const HELLO: &str = "linker-hub";

/// The AUTH mechanisms the hub uses, in order of preference.
const MECHANISMS: [Mechanism; 2] = [Mechanism::Plain, Mechanism::Login];

/// Sends `mail` through `relay`; the error says which step the server refused, or that it could
/// not be reached, and never holds the password.
pub(super) async fn send_smtp(relay: &MailRelay, mail: Letter<'_>) -> Result<(), String> {
    let message = message(relay, mail)?;
    let formatted = message.formatted();
    let conversation = conversation(relay, message.envelope(), &formatted);
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

/// The mail as the relay receives it: From the relay's sender, To the recipient, the Subject
/// encoded as RFC 2047 asks, Date and Message-ID from the stored mail, a UTF-8 text body.
fn message(relay: &MailRelay, mail: Letter<'_>) -> Result<Message, String> {
    let from = relay
        .from
        .parse()
        .map_err(|e| format!("the sender {:?} is not a mail address ({e})", relay.from))?;
    let to = mail.recipient.parse().map_err(|e| {
        format!(
            "the recipient {:?} is not a mail address ({e})",
            mail.recipient
        )
    })?;
    Message::builder()
        .from(Mailbox::new(Some("Linker hub".to_owned()), from))
        .to(Mailbox::new(None, to))
        .subject(mail.subject)
        .date(mail.created_at.into())
        .message_id(Some(format!("<{}@{HELLO}>", mail.id)))
        .header(ContentType::TEXT_PLAIN)
        .body(mail.body.to_owned())
        .map_err(|e| format!("the mail cannot be written: {e}"))
}

/// One SMTP conversation with the relay, each refusal named by its step.
async fn conversation(
    relay: &MailRelay,
    envelope: &lettre::address::Envelope,
    message: &[u8],
) -> Result<(), String> {
    let hello = ClientId::Domain(HELLO.to_owned());
    let tls = match relay.security {
        SmtpSecurity::Plain => None,
        SmtpSecurity::StartTls | SmtpSecurity::Tls => Some(tls_parameters(relay)?),
    };
    let implicit = tls.clone().filter(|_| relay.security == SmtpSecurity::Tls);
    let mut connection = AsyncSmtpConnection::connect_tokio1(
        (relay.host.as_str(), relay.port),
        Some(SMTP_TIMEOUT),
        &hello,
        implicit,
        None,
    )
    .await
    .map_err(|e| connect_error(relay, &e))?;
    if let (SmtpSecurity::StartTls, Some(tls)) = (relay.security, tls) {
        if !connection.can_starttls() {
            return Err(format!(
                "the SMTP server {}:{} does not offer STARTTLS, which the relay URL requires",
                relay.host, relay.port
            ));
        }
        connection
            .starttls(tls, &hello)
            .await
            .map_err(|e| handshake_error(relay, &e, "STARTTLS"))?;
    }
    if let Some(login) = &relay.login {
        if !connection.is_encrypted() && !relay.clear_auth {
            return Err(format!(
                "the password for the SMTP server {}:{} would travel in clear: use smtps:// or \
                 ?tls=required, or allow it with ?auth=clear",
                relay.host, relay.port
            ));
        }
        if connection
            .server_info()
            .get_auth_mechanism(&MECHANISMS)
            .is_none()
        {
            return Err(format!(
                "the SMTP server {}:{} offers no AUTH PLAIN or LOGIN for the relay URL's user",
                relay.host, relay.port
            ));
        }
        let credentials = Credentials::new(login.user.clone(), login.password.clone());
        connection
            .auth(&MECHANISMS, &credentials)
            .await
            .map_err(|e| format!("the SMTP server refused AUTH: {e}"))?;
    }
    if let Err(why) = deliver(&mut connection, envelope, message).await {
        connection.abort().await;
        return Err(why);
    }
    // The mail is queued; a server that drops the line at QUIT has it all the same.
    let _ = connection.quit().await;
    Ok(())
}

/// MAIL FROM, RCPT TO, DATA and the message, as lettre's `send` does them, with the refused
/// step named.
async fn deliver(
    connection: &mut AsyncSmtpConnection,
    envelope: &lettre::address::Envelope,
    message: &[u8],
) -> Result<(), String> {
    let refused = |step: &str| {
        let step = step.to_owned();
        move |e: lettre::transport::smtp::Error| format!("the SMTP server refused {step}: {e}")
    };
    let mut parameters = Vec::new();
    let mut addresses = envelope.to().iter().chain(envelope.from());
    if addresses.any(|address: &lettre::Address| !AsRef::<str>::as_ref(address).is_ascii()) {
        parameters.push(MailParameter::SmtpUtfEight);
    }
    if !message.is_ascii() {
        parameters.push(MailParameter::Body(MailBodyParameter::EightBitMime));
    }
    let from = Mail::new(envelope.from().cloned(), parameters);
    connection
        .command(from)
        .await
        .map_err(refused("MAIL FROM"))?;
    for to in envelope.to() {
        connection
            .command(Rcpt::new(to.clone(), Vec::new()))
            .await
            .map_err(refused(&format!("RCPT TO <{to}>")))?;
    }
    connection.command(Data).await.map_err(refused("DATA"))?;
    connection
        .message(message)
        .await
        .map_err(refused("the message"))?;
    Ok(())
}

/// True when `error` is TLS failing (a certificate not trusted, a handshake refused), which
/// lettre reports as a connection error wrapping rustls's.
fn is_tls_failure(error: &lettre::transport::smtp::Error) -> bool {
    let mut cause: Option<&(dyn std::error::Error + 'static)> = Some(error);
    while let Some(current) = cause {
        let inner = current
            .downcast_ref::<std::io::Error>()
            .and_then(std::io::Error::get_ref)
            .map(|inner| inner as &(dyn std::error::Error + 'static));
        if current.is::<tokio_rustls::rustls::Error>()
            || inner.is_some_and(|inner| inner.is::<tokio_rustls::rustls::Error>())
        {
            return true;
        }
        cause = current.source();
    }
    error.is_tls()
}

/// Why the connection (TCP, TLS from the first byte for smtps, greeting, EHLO) failed.
fn connect_error(relay: &MailRelay, error: &lettre::transport::smtp::Error) -> String {
    if is_tls_failure(error) {
        handshake_error(relay, error, "TLS")
    } else if error.is_permanent() || error.is_transient() || error.is_response() {
        format!(
            "the SMTP server {}:{} refused the greeting or EHLO: {error}",
            relay.host, relay.port
        )
    } else {
        format!(
            "cannot connect to the SMTP server {}:{} ({error})",
            relay.host, relay.port
        )
    }
}

/// Why STARTTLS or the TLS handshake failed.
fn handshake_error(
    relay: &MailRelay,
    error: &lettre::transport::smtp::Error,
    step: &str,
) -> String {
    if is_tls_failure(error) {
        format!(
            "the TLS handshake with the SMTP server {}:{} failed: {error}",
            relay.host, relay.port
        )
    } else {
        format!("the SMTP server refused {step}: {error}")
    }
}

/// TLS checked against the system's roots and the relay's `ca=` file, for the relay's host.
fn tls_parameters(relay: &MailRelay) -> Result<TlsParameters, String> {
    let mut builder =
        TlsParameters::builder(relay.host.clone()).certificate_store(CertificateStore::Default);
    if let Some(path) = &relay.ca_file {
        let pem = std::fs::read(path)
            .map_err(|e| format!("cannot read the CA file {}: {e}", path.display()))?;
        let certificate = Certificate::from_pem(&pem)
            .ok()
            .filter(|_| String::from_utf8_lossy(&pem).contains("-----BEGIN CERTIFICATE-----"))
            .ok_or_else(|| format!("the CA file {} holds no PEM certificate", path.display()))?;
        builder = builder.add_root_certificate(certificate);
    }
    builder
        .build_rustls()
        .map_err(|e| format!("TLS set-up for the SMTP server {} failed: {e}", relay.host))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::invitation_mail::{MailChannel, MailStatus};

    fn relay(from: &str) -> MailRelay {
        MailRelay {
            host: "127.0.0.1".to_owned(),
            port: 25,
            from: from.to_owned(),
            security: SmtpSecurity::Plain,
            login: None,
            ca_file: None,
            clear_auth: false,
        }
    }

    fn mail(recipient: &str, subject: &str) -> MailRow {
        MailRow {
            id: "mail_test".to_owned(),
            merchant_id: "mer_test".to_owned(),
            recipient: recipient.to_owned(),
            subject: subject.to_owned(),
            body: "Hello,\r\n\r\n.a line with a dot\r\n".to_owned(),
            link: None,
            channel: MailChannel::Smtp,
            status: MailStatus::Outbox,
            error: None,
            created_at: chrono::DateTime::from_timestamp(1_700_000_000, 0).unwrap_or_default(),
            lease_until: None,
            attempts: 0,
        }
    }

    /// The header lines of a formatted message, folded lines joined back.
    fn headers(message: &Message) -> Vec<String> {
        let text = String::from_utf8_lossy(&message.formatted()).into_owned();
        let head = text.split("\r\n\r\n").next().unwrap_or_default().to_owned();
        let mut lines: Vec<String> = Vec::new();
        for line in head.split("\r\n") {
            match lines.last_mut() {
                Some(last) if line.starts_with([' ', '\t']) => last.push_str(line),
                _ => lines.push(line.to_owned()),
            }
        }
        lines
    }

    #[test]
    fn a_cr_or_lf_in_the_subject_is_encoded_and_cannot_start_a_header() {
        let message = message(
            &relay("tsp@acq.example"),
            (&mail(
                "shop@example.com",
                "Hi\r\nBcc: evil@attacker.example\r\n\r\nbody",
            ))
                .into(),
        )
        .unwrap();
        let headers = headers(&message);
        assert!(
            !headers
                .iter()
                .any(|h| h.to_ascii_lowercase().starts_with("bcc")),
            "no Bcc header was injected: {headers:?}"
        );
        let subject = headers.iter().find(|h| h.starts_with("Subject: ")).unwrap();
        assert!(
            subject.contains("=?utf-8?b?") && !subject.contains("evil"),
            "the subject is one encoded header: {subject}"
        );
        assert_eq!(message.envelope().to().len(), 1, "one recipient only");
    }

    #[test]
    fn a_cr_or_lf_in_an_address_is_refused_before_connecting() {
        for (from, to) in [
            (
                "tsp@acq.example\r\nBcc: evil@attacker.example",
                "shop@example.com",
            ),
            (
                "tsp@acq.example",
                "shop@example.com\r\nBcc: evil@attacker.example",
            ),
            (
                "tsp@acq.example",
                "shop@example.com>\r\nRCPT TO:<evil@attacker.example",
            ),
        ] {
            let refused = message(&relay(from), (&mail(to, "Hello")).into());
            assert!(
                refused
                    .as_ref()
                    .is_err_and(|e| e.contains("not a mail address")),
                "{from:?} -> {to:?} should be refused: {:?}",
                refused.map(|m| m.formatted())
            );
        }
    }

    #[test]
    fn an_ascii_mail_reads_plainly_with_date_and_id_from_the_stored_mail() {
        let message = message(
            &relay("tsp@acq.example"),
            (&mail("shop@example.com", "Hello")).into(),
        )
        .unwrap();
        let text = String::from_utf8_lossy(&message.formatted()).into_owned();
        for expected in [
            "From: \"Linker hub\" <tsp@acq.example>\r\n",
            "Subject: Hello\r\n",
            "Message-ID: <mail_test@linker-hub>\r\n",
            "Date: Tue, 14 Nov 2023 22:13:20 +0000\r\n",
            "Content-Transfer-Encoding: 7bit\r\n",
        ] {
            assert!(text.contains(expected), "{expected:?} in {text}");
        }
    }
}
