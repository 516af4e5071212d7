//! A small SMTP server on a loopback port, in plain text, with STARTTLS or with TLS from the
//! first byte, and a test certificate (`tests/fixtures/smtp-test-*.pem`, for 127.0.0.1 and
//! localhost, signed by a test-only CA). It records what it received, and every AUTH attempt
//! with whether it came over TLS.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use base64::Engine as _;
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncWrite, AsyncWriteExt, BufReader};
use tokio_rustls::rustls;
use tokio_rustls::rustls::pki_types::pem::PemObject;
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer};

pub const USER: &str = "tsp@acq.example";
pub const PASSWORD: &str = "s3cret:pass";

pub fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

/// How the test server speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Plain first, offers STARTTLS, takes AUTH only over TLS.
    StartTls,
    /// TLS from the first byte.
    Implicit,
    /// Plain only, as a local relay: no STARTTLS on offer, no AUTH needed.
    PlainOnly,
    /// As [`Mode::StartTls`], but offers AUTH LOGIN only (no PLAIN).
    StartTlsLoginOnly,
    /// Plain only, and wants AUTH, which it offers (and takes) in clear.
    PlainWithAuth,
}

impl Mode {
    /// True when the server offers STARTTLS on a plain connection.
    fn offers_starttls(self) -> bool {
        matches!(self, Mode::StartTls | Mode::StartTlsLoginOnly)
    }

    /// The AUTH line of the EHLO reply, if AUTH is on offer.
    fn auth_offer(self, over_tls: bool) -> Option<&'static str> {
        match self {
            Mode::StartTlsLoginOnly if over_tls => Some("250-AUTH LOGIN\r\n"),
            Mode::PlainWithAuth => Some("250-AUTH LOGIN PLAIN\r\n"),
            _ if over_tls => Some("250-AUTH LOGIN PLAIN\r\n"),
            _ => None,
        }
    }
}

/// An AUTH command the server received.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthAttempt {
    /// `PLAIN` or `LOGIN`.
    pub mechanism: String,
    /// Whether it came over TLS.
    pub over_tls: bool,
}

/// What the server received.
#[derive(Debug, Clone)]
pub struct Seen {
    pub recipient: String,
    pub message: String,
    pub user: Option<String>,
    pub over_tls: bool,
}

/// A small SMTP server on a loopback port; it refuses recipients whose address starts with
/// `refuse` (550), and outside [`Mode::PlainOnly`] wants AUTH before MAIL FROM.
pub struct Server {
    pub address: std::net::SocketAddr,
    seen: Arc<Mutex<Vec<Seen>>>,
    auths: Arc<Mutex<Vec<AuthAttempt>>>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Server {
    fn drop(&mut self) {
        self.task.abort();
    }
}

fn acceptor() -> tokio_rustls::TlsAcceptor {
    let certs: Vec<CertificateDer<'static>> =
        CertificateDer::pem_file_iter(fixture("smtp-test-server.pem"))
            .unwrap()
            .map(Result::unwrap)
            .collect();
    let key = PrivateKeyDer::from_pem_file(fixture("smtp-test-server.key")).unwrap();
    let config = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::aws_lc_rs::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_no_client_auth()
    .with_single_cert(certs, key)
    .unwrap();
    tokio_rustls::TlsAcceptor::from(Arc::new(config))
}

/// One SMTP session on `stream`; returns the connection when the client asked for STARTTLS.
async fn session<S: AsyncRead + AsyncWrite + Unpin>(
    mut stream: BufReader<S>,
    mode: Mode,
    over_tls: bool,
    record: &Record,
) -> Option<S> {
    let mut user: Option<String> = None;
    let mut recipient = String::new();
    loop {
        let mut line = String::new();
        if stream.read_line(&mut line).await.unwrap_or(0) == 0 {
            return None;
        }
        let command = line.trim_end().to_owned();
        let upper = command.to_ascii_uppercase();
        let reply: String = if upper.starts_with("EHLO") {
            let mut reply = "250-smtp.test\r\n".to_owned();
            if mode.offers_starttls() && !over_tls {
                reply.push_str("250-STARTTLS\r\n");
            }
            reply.push_str(mode.auth_offer(over_tls).unwrap_or_default());
            reply.push_str("250 8BITMIME\r\n");
            reply
        } else if upper == "STARTTLS" && mode.offers_starttls() && !over_tls {
            stream.write_all(b"220 ready to start TLS\r\n").await.ok()?;
            stream.flush().await.ok()?;
            return Some(stream.into_inner());
        } else if let Some(auth) = upper.strip_prefix("AUTH ") {
            let mechanism = auth.split_whitespace().next().unwrap_or_default();
            record.auths.lock().unwrap().push(AuthAttempt {
                mechanism: mechanism.to_owned(),
                over_tls,
            });
            let offered = mode
                .auth_offer(over_tls)
                .is_some_and(|offer| offer.contains(mechanism));
            let credentials = match mechanism {
                "PLAIN" => command.get(11..).map(|token| {
                    let decoded = base64::engine::general_purpose::STANDARD
                        .decode(token)
                        .unwrap_or_default();
                    let parts: Vec<String> = decoded
                        .split(|b| *b == 0)
                        .map(|part| String::from_utf8_lossy(part).into_owned())
                        .collect();
                    (parts.get(1).cloned(), parts.get(2).cloned())
                }),
                "LOGIN" => Some((
                    challenge(&mut stream, "Username:").await,
                    challenge(&mut stream, "Password:").await,
                )),
                _ => None,
            };
            if offered && credentials == Some((Some(USER.to_owned()), Some(PASSWORD.to_owned()))) {
                user = Some(USER.to_owned());
                "235 2.7.0 authenticated\r\n".to_owned()
            } else {
                "535 5.7.8 authentication credentials invalid\r\n".to_owned()
            }
        } else if upper.starts_with("MAIL FROM") {
            if user.is_none() && mode != Mode::PlainOnly {
                "530 5.7.0 authentication required\r\n".to_owned()
            } else {
                "250 ok\r\n".to_owned()
            }
        } else if upper.starts_with("RCPT TO") {
            recipient = command[8..].trim_matches(['<', '>', ' ']).to_owned();
            if recipient.starts_with("refuse") {
                "550 5.1.1 no such mailbox\r\n".to_owned()
            } else {
                "250 ok\r\n".to_owned()
            }
        } else if upper == "DATA" {
            stream.write_all(b"354 go ahead\r\n").await.ok()?;
            let mut message = String::new();
            loop {
                let mut line = String::new();
                if stream.read_line(&mut line).await.unwrap_or(0) == 0 {
                    return None;
                }
                if line == ".\r\n" {
                    break;
                }
                message.push_str(&line);
            }
            record.seen.lock().unwrap().push(Seen {
                recipient: recipient.clone(),
                message,
                user: user.clone(),
                over_tls,
            });
            "250 queued\r\n".to_owned()
        } else if upper == "QUIT" {
            stream.write_all(b"221 bye\r\n").await.ok()?;
            return None;
        } else {
            "502 5.5.1 not implemented\r\n".to_owned()
        };
        stream.write_all(reply.as_bytes()).await.ok()?;
        stream.flush().await.ok()?;
    }
}

/// Sends an AUTH LOGIN challenge (`334` and the prompt in base64); returns the decoded answer.
async fn challenge<S: AsyncRead + AsyncWrite + Unpin>(
    stream: &mut BufReader<S>,
    prompt: &str,
) -> Option<String> {
    let prompt = base64::engine::general_purpose::STANDARD.encode(prompt);
    stream
        .write_all(format!("334 {prompt}\r\n").as_bytes())
        .await
        .ok()?;
    stream.flush().await.ok()?;
    let mut line = String::new();
    stream.read_line(&mut line).await.ok()?;
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(line.trim_end())
        .ok()?;
    String::from_utf8(decoded).ok()
}

/// What the server keeps: mail received and AUTH attempts.
#[derive(Default)]
struct Record {
    seen: Arc<Mutex<Vec<Seen>>>,
    auths: Arc<Mutex<Vec<AuthAttempt>>>,
}

impl Server {
    pub async fn start(mode: Mode) -> Server {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        let record = Arc::new(Record::default());
        let (seen, auths) = (record.seen.clone(), record.auths.clone());
        let task = tokio::spawn(async move {
            while let Ok((tcp, _)) = listener.accept().await {
                let record = record.clone();
                tokio::spawn(async move {
                    let acceptor = acceptor();
                    if mode == Mode::Implicit {
                        let Ok(mut tls) = acceptor.accept(tcp).await else {
                            return;
                        };
                        if tls.write_all(b"220 smtp.test ESMTP\r\n").await.is_err() {
                            return;
                        }
                        let _ = tls.flush().await;
                        session(BufReader::new(tls), mode, true, &record).await;
                        return;
                    }
                    let mut tcp = tcp;
                    if tcp.write_all(b"220 smtp.test ESMTP\r\n").await.is_err() {
                        return;
                    }
                    if let Some(tcp) = session(BufReader::new(tcp), mode, false, &record).await
                        && let Ok(tls) = acceptor.accept(tcp).await
                    {
                        session(BufReader::new(tls), mode, true, &record).await;
                    }
                });
            }
        });
        Server {
            address,
            seen,
            auths,
            task,
        }
    }

    pub fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }

    /// Every AUTH command received, in order.
    pub fn auths(&self) -> Vec<AuthAttempt> {
        self.auths.lock().unwrap().clone()
    }
}
