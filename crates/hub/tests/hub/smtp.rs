//! Invitation mail to SMTP servers that want TLS and a login: STARTTLS and smtps, AUTH PLAIN,
//! a certificate from a private CA (`ca=`), and each way it can go wrong named in the merchant's
//! remark. The server is a small SMTP implementation on a loopback port with a test certificate
//! (`tests/fixtures/smtp-test-*.pem`, for 127.0.0.1 and localhost, signed by a test-only CA).

use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use axum::http::StatusCode;
use base64::Engine as _;
use serde_json::json;
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncWrite, AsyncWriteExt, BufReader};
use tokio_rustls::rustls;
use tokio_rustls::rustls::pki_types::pem::PemObject;
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer};

use crate::support::TestHub;

const USER: &str = "tsp@acq.example";
const PASSWORD: &str = "s3cret:pass";

fn fixture(name: &str) -> PathBuf {
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
    seen: &Mutex<Vec<Seen>>,
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
            if mode == Mode::StartTls && !over_tls {
                reply.push_str("250-STARTTLS\r\n");
            }
            if over_tls {
                reply.push_str("250-AUTH LOGIN PLAIN\r\n");
            }
            reply.push_str("250 8BITMIME\r\n");
            reply
        } else if upper == "STARTTLS" && mode == Mode::StartTls && !over_tls {
            stream.write_all(b"220 ready to start TLS\r\n").await.ok()?;
            stream.flush().await.ok()?;
            return Some(stream.into_inner());
        } else if let Some(token) = command.strip_prefix("AUTH PLAIN ") {
            let decoded = base64::engine::general_purpose::STANDARD
                .decode(token)
                .unwrap_or_default();
            let parts: Vec<&[u8]> = decoded.split(|b| *b == 0).collect();
            if over_tls
                && parts.len() == 3
                && parts[1] == USER.as_bytes()
                && parts[2] == PASSWORD.as_bytes()
            {
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
            seen.lock().unwrap().push(Seen {
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

impl Server {
    pub async fn start(mode: Mode) -> Server {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let kept = seen.clone();
        let task = tokio::spawn(async move {
            while let Ok((tcp, _)) = listener.accept().await {
                let seen = kept.clone();
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
                        session(BufReader::new(tls), mode, true, &seen).await;
                        return;
                    }
                    let mut tcp = tcp;
                    if tcp.write_all(b"220 smtp.test ESMTP\r\n").await.is_err() {
                        return;
                    }
                    if let Some(tcp) = session(BufReader::new(tcp), mode, false, &seen).await
                        && let Ok(tls) = acceptor.accept(tcp).await
                    {
                        session(BufReader::new(tls), mode, true, &seen).await;
                    }
                });
            }
        });
        Server {
            address,
            seen,
            task,
        }
    }

    pub fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }
}

/// Invites a merchant through the admin API with `relay` set; returns the merchant as answered.
async fn invite(hub: &TestHub, relay: &str, mid: &str) -> serde_json::Value {
    hub.hub.set_mail_relay(Some(
        linker_hub::mail::MailRelay::parse(relay).unwrap_or_else(|e| panic!("{relay}: {e}")),
    ));
    let acqp = hub
        .acqp_with(json!({"clientId": format!("SMTP_{mid}")}))
        .await;
    let (status, invited) = hub
        .admin(
            "POST",
            &format!("/projects/{}/merchants", acqp.project.id),
            Some(json!({"name": "Shop", "mid": mid, "email": format!("{mid}@shop.example"), "products": ["UPM"]})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{invited}");
    invited["merchant"].clone()
}

fn login() -> String {
    format!(
        "{}:{}",
        percent_encoding::utf8_percent_encode(USER, percent_encoding::NON_ALPHANUMERIC),
        percent_encoding::utf8_percent_encode(PASSWORD, percent_encoding::NON_ALPHANUMERIC)
    )
}

#[tokio::test]
async fn starttls_with_a_login_delivers_over_tls_to_a_relay_a_private_ca_signed() {
    let server = Server::start(Mode::StartTls).await;
    let hub = TestHub::new();
    let ca = fixture("smtp-test-ca.pem");
    let relay = format!(
        "smtp://{}@127.0.0.1:{}?tls=required&from=tsp@acq.example&ca={}",
        login(),
        server.address.port(),
        ca.display()
    );
    let merchant = invite(&hub, &relay, "T1").await;
    assert_eq!(merchant["status"], "inactive", "delivered: {merchant}");
    let seen = server.seen();
    assert_eq!(seen.len(), 1, "{seen:?}");
    assert!(seen[0].over_tls, "the mail went over TLS");
    assert_eq!(seen[0].user.as_deref(), Some(USER), "after AUTH PLAIN");
    assert_eq!(
        seen[0].recipient, "t1@shop.example",
        "emails are kept lowercase"
    );
    assert!(
        seen[0].message.contains("invitation code: "),
        "{}",
        seen[0].message
    );
}

#[tokio::test]
async fn smtps_delivers_over_tls_from_the_first_byte() {
    let server = Server::start(Mode::Implicit).await;
    let hub = TestHub::new();
    let relay = format!(
        "smtps://{}@localhost:{}?ca={}",
        login(),
        server.address.port(),
        fixture("smtp-test-ca.pem").display()
    );
    let merchant = invite(&hub, &relay, "T2").await;
    assert_eq!(merchant["status"], "inactive", "{merchant}");
    let seen = server.seen();
    assert!(
        seen.len() == 1 && seen[0].over_tls && seen[0].user.is_some(),
        "{seen:?}"
    );
}

#[tokio::test]
async fn each_way_tls_or_the_login_fails_marks_the_merchant_failed_and_says_why() {
    let starttls = Server::start(Mode::StartTls).await;
    let plain_only = Server::start(Mode::PlainOnly).await;
    let ca = fixture("smtp-test-ca.pem");
    let cases = [
        (
            format!(
                "smtp://{USER_ENC}:wrong@127.0.0.1:{}?tls=required&ca={}",
                starttls.address.port(),
                ca.display(),
                USER_ENC =
                    percent_encoding::utf8_percent_encode(USER, percent_encoding::NON_ALPHANUMERIC)
            ),
            "refused AUTH",
            "F1",
        ),
        (
            format!(
                "smtp://{}@127.0.0.1:{}?tls=required",
                login(),
                starttls.address.port()
            ),
            "TLS handshake",
            "F2",
        ),
        (
            format!(
                "smtp://{}@127.0.0.1:{}?tls=required&ca={}",
                login(),
                plain_only.address.port(),
                ca.display()
            ),
            "does not offer STARTTLS",
            "F3",
        ),
    ];
    let hub = TestHub::new();
    for (relay, why, mid) in cases {
        let merchant = invite(&hub, &relay, mid).await;
        assert_eq!(merchant["status"], "failed", "{relay}: {merchant}");
        let remark = merchant["remark"].as_str().unwrap_or_default();
        assert!(
            remark.contains(why),
            "{relay}: the remark should say {why:?}: {remark}"
        );
        assert!(
            !remark.contains(PASSWORD) && !remark.contains("wrong"),
            "no password in a remark: {remark}"
        );
    }
    assert!(
        starttls.seen().is_empty() && plain_only.seen().is_empty(),
        "nothing was delivered"
    );
}
