//! Invitation mail to SMTP servers that want TLS and a login: STARTTLS and smtps, AUTH PLAIN,
//! a certificate from a private CA (`ca=`), and each way it can go wrong named in the merchant's
//! remark, against the loopback SMTP server of `support/smtp.rs`.

use axum::http::StatusCode;
use serde_json::json;

use crate::support::TestHub;
use crate::support::smtp::{Mode, PASSWORD, Server, USER, fixture};

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
