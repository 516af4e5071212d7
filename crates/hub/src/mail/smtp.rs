//! The SMTP client that hands an invitation mail to the relay: one conversation (EHLO,
//! STARTTLS, AUTH PLAIN or LOGIN, MAIL FROM, RCPT TO, DATA, QUIT) under a timeout, over plain
//! TCP or TLS checked against the system's roots and the relay's own CA file.

use std::time::Duration as StdDuration;

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

use super::relay::{MailRelay, SmtpSecurity};

/// How long one SMTP conversation may take.
pub const SMTP_TIMEOUT: StdDuration = StdDuration::from_secs(10);

/// One SMTP conversation: EHLO, STARTTLS and AUTH when the relay asks for them, MAIL FROM,
/// RCPT TO, DATA, QUIT; the error says which step the server refused, or that it could not be
/// reached.
pub(super) async fn send_smtp(
    relay: &MailRelay,
    to: &str,
    subject: &str,
    body: &str,
) -> Result<(), String> {
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
    fn ehlo_replies_are_read_for_starttls_and_auth() {
        let ehlo = "250-mail.example\n250-STARTTLS\n250-AUTH LOGIN PLAIN\n250 8BITMIME\n";
        assert!(offers(ehlo, "STARTTLS"));
        assert!(!offers("250-mail.example\n250 8BITMIME\n", "STARTTLS"));
        assert_eq!(auth_mechanisms(ehlo), ["LOGIN", "PLAIN"]);
        assert!(auth_mechanisms("250 mail.example\n").is_empty());
    }
}
