//! Crash consistency: the hub's failure model is SIGKILL at any instant. Each test stops a hub on
//! a real SQLite file between two steps (a request cut off while the hub's call to the ACQP is on
//! the wire, or the ACQP down), opens a new hub on the same file with a moved test clock, runs
//! the worker, and checks the receiver got the message: retried, never lost, and once acknowledged
//! never sent again.

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::Ordering;

use chrono::{DateTime, Duration, TimeZone, Utc};
use linker_cases::CallbackKind;
use linker_hub::callbacks::DeliveryStatus;
use linker_hub::domain::merchants::{MAIL_LEASE, NewMerchant};
use linker_hub::domain::payments::{PaymentKey, PaymentStatus};
use linker_hub::mail::MailRelay;
use linker_hub::{Clock, FixedClock, Hub, Ids, Store};
use serde_json::json;

use crate::private_codes::{ISSUED, serve_orders_on};
use crate::support::smtp::{Mode, Server};
use crate::support::{Ack, Acqp, NotifyEndpoint, TestHub, Wallet};

const PREPARE: &str = "/aps/api/v1/authorizations/prepare";

fn start() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 25, 2, 0, 0).unwrap()
}

/// A hub on the SQLite file `database`, its clock at `at`.
fn open(database: &Path, at: DateTime<Utc>) -> TestHub {
    let clock = Arc::new(FixedClock::at(at));
    let hub = Hub::new(
        Store::open(database).unwrap(),
        clock.clone(),
        Ids::random(),
        "http://127.0.0.1:8480",
    )
    .with_test_clock(true);
    hub.set_admin_token(crate::support::ADMIN_TOKEN).unwrap();
    TestHub {
        hub: Arc::new(hub),
        clock,
    }
}

/// An ACQP that takes the hub's call and never answers: while it holds one, the call is on the
/// wire. Dropping it closes the port.
struct Silent {
    address: std::net::SocketAddr,
    arrived: tokio::sync::mpsc::UnboundedReceiver<()>,
    task: tokio::task::JoinHandle<()>,
}

impl Silent {
    async fn start() -> Silent {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        let (tell, arrived) = tokio::sync::mpsc::unbounded_channel();
        let task = tokio::spawn(async move {
            let mut held = Vec::new();
            // Told on accept: an SMTP client waits for a greeting, an HTTP client sends at once;
            // either way the hub is mid-call.
            while let Ok((socket, _)) = listener.accept().await {
                let _ = tell.send(());
                held.push(socket);
            }
        });
        Silent {
            address,
            arrived,
            task,
        }
    }

    /// Waits until a call has reached it.
    async fn called(&mut self) {
        self.arrived.recv().await.unwrap();
    }

    /// Closes the port (and every call it held).
    async fn stop(self) {
        self.task.abort();
        let _ = self.task.await;
    }
}

/// Drives `request` until the ACQP holds the hub's call, then abandons it: the hub stops between
/// sending and recording, as a SIGKILL would stop it.
async fn cut_off<F: std::future::Future>(request: F, acqp: &mut Silent) {
    tokio::select! {
        _ = request => panic!("the request finished although the ACQP never answered"),
        () = acqp.called() => {}
    }
}

async fn prepare(hub: &TestHub, acqp: &Acqp) -> String {
    let prepared = acqp
        .call(hub, PREPARE, &json!({
            "customerBelongsTo": "TEST_WALLET", "authClientId": "M0001",
            "authRedirectUrl": "https://acqp.example/back", "scopes": ["AGREEMENT_PAY"], "authState": "st-1"
        }))
        .await;
    assert_eq!(prepared.code(), "SUCCESS", "{}", prepared.raw);
    prepared.body["authUrl"].as_str().unwrap().to_owned()
}

/// Changes the ACQP's project settings through the admin API.
async fn set_project(hub: &TestHub, acqp: &Acqp, settings: serde_json::Value) {
    let (status, body) = hub
        .admin(
            "PATCH",
            &format!("/projects/{}", acqp.project.id),
            Some(settings),
        )
        .await;
    assert_eq!(status.as_u16(), 200, "{body}");
}

async fn point_auth_notify_at(hub: &TestHub, acqp: &Acqp, url: &str) {
    set_project(hub, acqp, json!({"authNotifyUrl": url})).await;
}

#[tokio::test]
async fn an_auth_notify_cut_off_by_a_crash_is_sent_after_the_restart_and_acknowledged_once() {
    let dir = tempfile::tempdir().unwrap();
    let database = dir.path().join("hub.sqlite");
    let first = open(&database, start());
    let acqp = first.acqp().await;
    let mut silent = Silent::start().await;
    let address = silent.address.to_string();
    point_auth_notify_at(&first, &acqp, &format!("http://{address}/notify")).await;
    let wallet = Wallet::sign_in(&first, &acqp, "M1").await;
    let auth_url = prepare(&first, &acqp).await;
    cut_off(
        wallet.send(
            &first,
            "POST",
            "/authorizations",
            Some(json!({"authUrl": auth_url})),
        ),
        &mut silent,
    )
    .await;
    drop(first);
    silent.stop().await;

    let second = open(&database, start() + Duration::seconds(5));
    let queued = second.hub.deliveries(&acqp.project.id).unwrap();
    assert_eq!(
        queued.len(),
        1,
        "the grant's authNotify is queued: {queued:?}"
    );
    assert_eq!(
        (queued[0].api.as_str(), queued[0].status, queued[0].attempts),
        ("authNotify", DeliveryStatus::Pending, 0),
        "the cut-off attempt left it pending, unrecorded: {:?}",
        queued[0]
    );
    let endpoint = NotifyEndpoint::start_on(&acqp, Ack::Signed, &address).await;
    assert_eq!(
        second.hub.deliver_due().await.unwrap(),
        1,
        "sent after the restart"
    );
    assert_eq!(
        endpoint.count(),
        1,
        "the ACQP got it once after the restart"
    );
    let received = endpoint.received.lock().unwrap()[0].clone();
    assert_eq!(
        received.body["authorizationNotifyType"], "AUTHCODE_CREATED",
        "{:?}",
        received.body
    );
    assert!(
        received.signature_valid,
        "signed with the project's hub key"
    );
    let delivery = second.hub.delivery(&queued[0].id).unwrap();
    assert_eq!(
        (delivery.status, delivery.attempts),
        (DeliveryStatus::Delivered, 1),
        "{delivery:?}"
    );
    second.clock.advance(Duration::hours(2));
    assert_eq!(second.hub.deliver_due().await.unwrap(), 0);
    assert_eq!(
        endpoint.count(),
        1,
        "an acknowledged authNotify is never sent again"
    );
}

#[tokio::test]
async fn an_acqp_down_at_a_grant_gets_the_auth_notify_on_the_retry_schedule_with_each_attempt_kept()
{
    let hub = TestHub::new();
    let acqp = hub.acqp().await;
    let address = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .to_string();
    point_auth_notify_at(&hub, &acqp, &format!("http://{address}/notify")).await;
    let wallet = Wallet::sign_in(&hub, &acqp, "M1").await;
    let auth_url = prepare(&hub, &acqp).await;
    let (status, granted) = wallet
        .send(
            &hub,
            "POST",
            "/authorizations",
            Some(json!({"authUrl": auth_url})),
        )
        .await;
    assert_eq!(status.as_u16(), 200, "the grant stands: {granted}");
    assert_eq!(granted["notified"], false, "{granted}");
    let delivery = hub.hub.deliveries(&acqp.project.id).unwrap().remove(0);
    assert_eq!(delivery.status, DeliveryStatus::Pending, "{delivery:?}");
    assert!(
        delivery
            .last_error
            .as_deref()
            .is_some_and(|e| e.contains("cannot connect")),
        "{delivery:?}"
    );
    assert_eq!(
        hub.hub.deliver_due().await.unwrap(),
        0,
        "not due before 4 s"
    );

    let endpoint = NotifyEndpoint::start_on(&acqp, Ack::Signed, &address).await;
    hub.clock.advance(Duration::seconds(4));
    assert_eq!(hub.hub.deliver_due().await.unwrap(), 1);
    assert_eq!(endpoint.count(), 1);
    let attempts = hub.hub.delivery_attempts(&delivery.id).unwrap();
    let outcomes: Vec<_> = attempts
        .iter()
        .map(|(n, _, v)| (*n, v.acknowledged))
        .collect();
    assert_eq!(outcomes, vec![(1, false), (2, true)], "{attempts:?}");
    hub.clock.advance(Duration::hours(2));
    assert_eq!(hub.hub.deliver_due().await.unwrap(), 0);
    assert_eq!(endpoint.count(), 1, "delivered once, never again");
}

#[tokio::test]
async fn a_user_initiated_pay_cut_off_by_a_crash_is_asked_again_and_its_order_joins_the_run() {
    let dir = tempfile::tempdir().unwrap();
    let database = dir.path().join("hub.sqlite");
    let first = open(&database, start());
    let acqp = first.acqp().await;
    let mut silent = Silent::start().await;
    let address = silent.address.to_string();
    set_project(
        &first,
        &acqp,
        json!({
            "userInitiatedPayUrl": format!("http://{address}/user-initiated-pay"),
            "privateCodeDomains": ["pay.acqp.example"]
        }),
    )
    .await;
    let wallet = Wallet::sign_in(&first, &acqp, "M1").await;
    let run = wallet.start(&first, "MPC-01").await;
    cut_off(
        wallet.send(
            &first,
            "POST",
            &format!("/runs/{run}/scan"),
            Some(json!({"codeValue": ISSUED})),
        ),
        &mut silent,
    )
    .await;
    drop(first);
    silent.stop().await;

    let second = open(&database, start() + Duration::seconds(5));
    let orders = serve_orders_on(&second, &acqp, false, &address).await;
    assert_eq!(second.hub.deliver_due().await.unwrap(), 1, "asked again");
    assert_eq!(
        orders.calls.load(Ordering::SeqCst),
        1,
        "once after the restart"
    );
    let payment = second
        .hub
        .payment(&acqp.project.id, PaymentKey::RequestId("uip-order-1"))
        .unwrap()
        .expect("the order the retry got made the payment");
    assert_eq!(payment.status, PaymentStatus::InProcess, "{payment:?}");
    assert_eq!(payment.run_id.as_deref(), Some(run.as_str()), "{payment:?}");
    let record = second.hub.run_record(&run).unwrap();
    let asked = record.callbacks_of(CallbackKind::UserInitiatedPay);
    assert_eq!(
        asked.len(),
        1,
        "the run shows the attempt: {:?}",
        record.events
    );
    assert!(asked[0].1.reply_valid, "{:?}", asked[0].1);
    second.clock.advance(Duration::hours(2));
    assert_eq!(second.hub.deliver_due().await.unwrap(), 0);
    assert_eq!(
        orders.calls.load(Ordering::SeqCst),
        1,
        "a usable answer ends it"
    );
}

/// A plain relay on `address`, as a local relay would be.
fn relay(address: impl std::fmt::Display) -> Option<MailRelay> {
    Some(MailRelay::parse(&format!("smtp://{address}?from=tsp@example.com")).unwrap())
}

#[tokio::test]
async fn an_invitation_mail_cut_off_by_a_crash_is_sent_once_its_lease_runs_out() {
    let dir = tempfile::tempdir().unwrap();
    let database = dir.path().join("hub.sqlite");
    let first = open(&database, start());
    let acqp = first.acqp().await;
    let mut silent = Silent::start().await;
    first.hub.set_mail_relay(relay(silent.address));
    cut_off(
        first.admin(
            "POST",
            &format!("/projects/{}/merchants", acqp.project.id),
            Some(json!({"name": "Shop", "mid": "C1", "email": "c1@shop.example", "products": ["UPM"]})),
        ),
        &mut silent,
    )
    .await;
    drop(first);
    silent.stop().await;

    let second = open(&database, start() + Duration::seconds(5));
    let merchant = second.hub.merchants(&acqp.project.id).unwrap().remove(0);
    assert_eq!(merchant.status, "processing", "{merchant:?}");
    let mail = second.hub.invitation_mail(&acqp.project.id).unwrap();
    assert_eq!(mail.len(), 1, "written with the invitation: {mail:?}");
    assert_eq!(mail[0].status, "queued", "{mail:?}");
    let sink = Server::start(Mode::PlainOnly).await;
    second.hub.set_mail_relay(relay(sink.address));
    assert_eq!(
        second.hub.send_queued_mail().await.unwrap(),
        0,
        "the stopped sender's lease still runs"
    );
    assert!(sink.seen().is_empty(), "{:?}", sink.seen());

    second.clock.advance(MAIL_LEASE);
    assert_eq!(second.hub.send_queued_mail().await.unwrap(), 1);
    let seen = sink.seen();
    assert_eq!(seen.len(), 1, "{seen:?}");
    assert_eq!(seen[0].recipient, "c1@shop.example");
    let link = mail[0].link.clone().unwrap();
    assert!(
        seen[0].message.contains(&link),
        "carries {link}: {}",
        seen[0].message
    );
    let merchant = second.hub.merchant(&merchant.id).unwrap();
    assert_eq!(
        merchant.status, "inactive",
        "no longer processing: {merchant:?}"
    );
    let mail = second.hub.invitation_mail(&acqp.project.id).unwrap();
    assert_eq!(
        (mail[0].status.as_str(), mail[0].channel.as_str()),
        ("sent", "smtp")
    );

    second.clock.advance(Duration::hours(1));
    assert_eq!(second.hub.send_queued_mail().await.unwrap(), 0);
    assert_eq!(sink.seen().len(), 1, "a sent mail is never sent again");
}

#[tokio::test]
async fn a_queued_invitation_mail_of_a_revoked_or_reinvited_merchant_is_never_sent() {
    let hub = TestHub::new();
    let acqp = hub.acqp().await;
    let sink = Server::start(Mode::PlainOnly).await;
    hub.hub.set_mail_relay(relay(sink.address));
    let invite = |mid: &str| NewMerchant {
        name: "Shop".to_owned(),
        mid: mid.to_owned(),
        email: format!("{mid}@shop.example").to_lowercase(),
        products: vec!["UPM".to_owned()],
    };
    // Invited, their mail queued, and no sender left (as after a crash before sending).
    let revoked = hub
        .hub
        .invite_merchant(&acqp.project.id, invite("R1"))
        .unwrap();
    let reinvited = hub
        .hub
        .invite_merchant(&acqp.project.id, invite("R2"))
        .unwrap();
    hub.hub
        .revoke_merchant(&acqp.project.id, &revoked.merchant.id)
        .unwrap();
    let fresh = hub
        .hub
        .resend_invitation(&acqp.project.id, &reinvited.merchant.id)
        .unwrap();

    hub.clock.advance(MAIL_LEASE);
    assert_eq!(
        hub.hub.send_queued_mail().await.unwrap(),
        1,
        "only the new invitation"
    );
    let seen = sink.seen();
    assert_eq!(seen.len(), 1, "{seen:?}");
    assert_eq!(seen[0].recipient, "r2@shop.example");
    assert!(
        seen[0].message.contains(&fresh.invitation.code)
            && !seen[0].message.contains(&reinvited.invitation.code),
        "the new code, not the replaced one: {}",
        seen[0].message
    );
    let mail = hub.hub.invitation_mail(&acqp.project.id).unwrap();
    let of = |id: &str| {
        mail.iter()
            .find(|m| m.id == id)
            .map(|m| (m.status.clone(), m.error.clone().unwrap_or_default()))
            .unwrap()
    };
    let (status, why) = of(&revoked.mail_id);
    assert!(
        status == "failed" && why.contains("revoked"),
        "{status}: {why}"
    );
    let (status, why) = of(&reinvited.mail_id);
    assert!(
        status == "failed" && why.contains("replaced"),
        "{status}: {why}"
    );
    assert_eq!(of(&fresh.mail_id).0, "sent");
}
