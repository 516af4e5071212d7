//! Invitation mail to SMTP servers that want TLS and a login: STARTTLS and smtps, AUTH PLAIN and
//! LOGIN (over TLS only, unless `auth=clear`), a certificate from a private CA (`ca=`), an RFC
//! 2047 Subject for a project named in Chinese and emoji, and each way it can go wrong named in
//! the merchant's remark, against the loopback SMTP server of `support/smtp.rs`.

use axum::http::StatusCode;
use serde_json::json;

use crate::support::TestHub;
use linker_hub::mail::MailRelay;

use crate::support::smtp::{AuthAttempt, Mode, PASSWORD, Server, USER, fixture};

/// Invites a merchant through the admin API with `relay` set; returns the merchant as answered.
async fn invite(hub: &TestHub, relay: &str, mid: &str) -> serde_json::Value {
    let relay = MailRelay::parse(relay).unwrap_or_else(|e| panic!("{relay}: {e}"));
    invite_through(hub, relay, mid, "Test ACQP").await
}

/// Invites a merchant of a new project named `project` through `relay`.
async fn invite_through(
    hub: &TestHub,
    relay: MailRelay,
    mid: &str,
    project: &str,
) -> serde_json::Value {
    hub.hub.set_mail_relay(Some(relay));
    let acqp = hub
        .acqp_with(json!({"clientId": format!("SMTP_{mid}"), "name": project}))
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
        server.auths(),
        [AuthAttempt {
            mechanism: "PLAIN".to_owned(),
            over_tls: true
        }],
        "one AUTH PLAIN, after STARTTLS"
    );
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
    let implicit = Server::start(Mode::Implicit).await;
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
        (
            format!(
                "smtp://{}@127.0.0.1:{}?tls=required&ca={}",
                login(),
                starttls.address.port(),
                fixture("smtp-test-server.key").display()
            ),
            "holds no PEM certificate",
            "F4",
        ),
        (
            format!("smtps://{}@localhost:{}", login(), implicit.address.port()),
            "TLS handshake",
            "F5",
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
        starttls.seen().is_empty() && plain_only.seen().is_empty() && implicit.seen().is_empty(),
        "nothing was delivered"
    );
    assert!(
        plain_only.auths().is_empty() && implicit.auths().is_empty(),
        "no password offered to a server whose TLS failed: {:?}",
        implicit.auths()
    );
}

#[tokio::test]
async fn auth_login_is_used_when_the_relay_offers_no_plain() {
    let server = Server::start(Mode::StartTlsLoginOnly).await;
    let hub = TestHub::new();
    let relay = format!(
        "smtp://{}@localhost:{}?tls=required&ca={}",
        login(),
        server.address.port(),
        fixture("smtp-test-ca.pem").display()
    );
    let merchant = invite(&hub, &relay, "L1").await;
    assert_eq!(merchant["status"], "inactive", "delivered: {merchant}");
    assert_eq!(
        server.auths(),
        [AuthAttempt {
            mechanism: "LOGIN".to_owned(),
            over_tls: true
        }],
        "AUTH LOGIN, over TLS"
    );
    let seen = server.seen();
    assert!(
        seen.len() == 1 && seen[0].user.as_deref() == Some(USER),
        "delivered as the user: {seen:?}"
    );
}

#[tokio::test]
async fn no_password_goes_in_clear_unless_the_relay_url_allows_it() {
    let server = Server::start(Mode::PlainWithAuth).await;
    let hub = TestHub::new();
    let clear = format!("smtp://{}@127.0.0.1:{}", login(), server.address.port());
    let refused = MailRelay::parse(&clear).map(|relay| relay.describe());
    assert!(
        refused
            .as_ref()
            .is_err_and(|e| e.to_string().contains("in clear")),
        "a login over plain SMTP is refused when the URL is read: {refused:?}"
    );

    // A relay set up in code without `clear_auth`: refused at send, before any AUTH.
    let mut relay = MailRelay::parse(&format!("{clear}?auth=clear")).unwrap();
    relay.clear_auth = false;
    let merchant = invite_through(&hub, relay, "C1", "Test ACQP").await;
    assert_eq!(merchant["status"], "failed", "{merchant}");
    let remark = merchant["remark"].as_str().unwrap_or_default();
    assert!(
        remark.contains("would travel in clear") && !remark.contains(PASSWORD),
        "the remark says why, without the password: {remark}"
    );
    assert!(
        server.auths().is_empty() && server.seen().is_empty(),
        "no AUTH was sent and nothing delivered: {:?}",
        server.auths()
    );

    // Allowed explicitly: the login goes in clear and the mail is delivered.
    let merchant = invite(&hub, &format!("{clear}?auth=clear"), "C2").await;
    assert_eq!(merchant["status"], "inactive", "delivered: {merchant}");
    assert_eq!(
        server.auths(),
        [AuthAttempt {
            mechanism: "PLAIN".to_owned(),
            over_tls: false
        }],
        "one AUTH PLAIN in clear, as the URL allowed"
    );
    assert_eq!(server.seen().len(), 1, "{:?}", server.seen());
}

/// The header `name` of a raw message, folded lines joined back.
fn header(message: &str, name: &str) -> String {
    let head = message.split("\r\n\r\n").next().unwrap_or_default();
    let unfolded = head.replace("\r\n ", " ").replace("\r\n\t", " ");
    unfolded
        .split("\r\n")
        .find_map(|line| line.strip_prefix(name)?.strip_prefix(": "))
        .unwrap_or_else(|| panic!("no {name} header in {message}"))
        .to_owned()
}

/// A header value with RFC 2047 `=?utf-8?b?...?=` words decoded (the space between two
/// encoded words ignored, as the RFC says).
fn decode_rfc2047(value: &str) -> String {
    use base64::Engine as _;
    let mut text = String::new();
    let mut previous_encoded = None;
    for word in value.split(' ') {
        let encoded = word
            .strip_prefix("=?utf-8?b?")
            .or_else(|| word.strip_prefix("=?UTF-8?B?"))
            .and_then(|word| word.strip_suffix("?="));
        if previous_encoded.is_some() && !(previous_encoded == Some(true) && encoded.is_some()) {
            text.push(' ');
        }
        match encoded {
            Some(base64) => {
                let bytes = base64::engine::general_purpose::STANDARD
                    .decode(base64)
                    .unwrap_or_else(|e| panic!("{word}: {e}"));
                text.push_str(&String::from_utf8(bytes).unwrap());
            }
            None => text.push_str(word),
        }
        previous_encoded = Some(encoded.is_some());
    }
    text
}

#[tokio::test]
async fn a_chinese_and_emoji_project_name_goes_out_in_an_rfc_2047_subject() {
    let server = Server::start(Mode::PlainOnly).await;
    let hub = TestHub::new();
    let name = "杭州咖啡店 ☕ Café 🍰";
    let relay = MailRelay::parse(&format!("smtp://127.0.0.1:{}", server.address.port())).unwrap();
    let merchant = invite_through(&hub, relay, "U1", name).await;
    assert_eq!(merchant["status"], "inactive", "delivered: {merchant}");
    let seen = server.seen();
    assert_eq!(seen.len(), 1, "{seen:?}");
    let message = &seen[0].message;
    assert!(message.is_ascii(), "the whole mail is 7-bit: {message}");
    let subject = header(message, "Subject");
    assert!(
        subject.contains("=?utf-8?b?"),
        "the subject is encoded: {subject}"
    );
    assert_eq!(
        decode_rfc2047(&subject),
        format!("Your Linker test account for {name}"),
        "and reads back whole: {subject}"
    );
    let encoding = header(message, "Content-Transfer-Encoding");
    assert!(
        ["quoted-printable", "base64"].contains(&encoding.as_str())
            && header(message, "Content-Type").contains("charset=utf-8"),
        "the body is UTF-8 in a 7-bit transfer encoding: {encoding}"
    );
}
