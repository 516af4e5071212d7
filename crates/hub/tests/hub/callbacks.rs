//! notifyPayment to a real ACQP endpoint on loopback: signed, verified, acknowledged, retried on
//! the project's schedule (by moving the clock, never by sleeping), resumed after a restart.

use std::sync::Arc;

use chrono::Duration;
use linker_hub::callbacks::DeliveryStatus;
use linker_hub::domain::payments::{PaymentKey, Settlement};
use linker_hub::{Clock, FixedClock, Hub, Ids, Store};
use serde_json::json;

use crate::support::{Ack, Acqp, NotifyEndpoint, PAY, TestHub, order_code_pay, point_notify_at};

async fn open_order(hub: &TestHub, acqp: &Acqp, id: &str) -> String {
    let reply = acqp.call(hub, PAY, &order_code_pay(id, "4200")).await;
    assert_eq!(reply.code(), "PAYMENT_IN_PROCESS", "{}", reply.raw);
    reply.body["paymentId"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn a_paid_order_is_notified_signed_and_a_signed_ack_ends_it() {
    let hub = TestHub::new();
    let acqp = hub.acqp().await;
    let endpoint = NotifyEndpoint::start(&acqp, Ack::Signed).await;
    point_notify_at(&hub, &acqp, &endpoint.url).await;
    let payment_id = open_order(&hub, &acqp, "n-1").await;
    let project = hub.hub.project(&acqp.project.id).unwrap();
    hub.hub
        .settle_payment(
            &project,
            &payment_id,
            Settlement::Paid {
                customer_id: "2188000000000001".into(),
            },
        )
        .unwrap();

    assert_eq!(
        hub.hub.deliver_due().await.unwrap(),
        1,
        "one notification due at once"
    );
    let received = endpoint.received.lock().unwrap().clone();
    assert_eq!(received.len(), 1);
    assert!(
        received[0].signature_valid,
        "the hub signs notifications with the project's key"
    );
    assert_eq!(
        received[0].body["paymentResult"]["resultStatus"], "S",
        "{:?}",
        received[0].body
    );
    assert_eq!(received[0].body["paymentId"], payment_id.as_str());
    assert_eq!(received[0].body["paymentAmount"]["value"], "4200");

    let deliveries = hub.hub.deliveries(&acqp.project.id).unwrap();
    assert_eq!(
        deliveries[0].status,
        DeliveryStatus::Delivered,
        "{deliveries:?}"
    );
    hub.clock.advance(Duration::hours(2));
    assert_eq!(
        hub.hub.deliver_due().await.unwrap(),
        0,
        "nothing more to send"
    );

    let inquiry = acqp
        .call(
            &hub,
            crate::support::INQUIRY,
            &json!({"paymentId": payment_id}),
        )
        .await;
    assert_eq!(
        inquiry.body["paymentResult"]["resultCode"], "SUCCESS",
        "{}",
        inquiry.raw
    );
    let log = hub
        .hub
        .exchanges(&acqp.project.id, &Default::default())
        .unwrap();
    let outbound = log
        .iter()
        .find(|e| e.api == "notifyPayment")
        .expect("the notify is in the request log");
    assert_eq!(
        outbound.signature_verdict, "valid",
        "the ACQP's ack signature was checked"
    );
}

#[tokio::test]
async fn an_unsigned_ack_is_retried_on_the_schedule_then_given_up() {
    let hub = TestHub::new();
    let acqp = hub.acqp().await;
    let endpoint = NotifyEndpoint::start(&acqp, Ack::Unsigned).await;
    point_notify_at(&hub, &acqp, &endpoint.url).await;
    let payment_id = open_order(&hub, &acqp, "n-2").await;
    let project = hub.hub.project(&acqp.project.id).unwrap();
    hub.hub
        .settle_payment(
            &project,
            &payment_id,
            Settlement::Declined {
                code: linker_aplus::ResultCode::UserBalanceNotEnough,
                message: "balance too low".into(),
            },
        )
        .unwrap();

    hub.hub.deliver_due().await.unwrap();
    assert_eq!(endpoint.count(), 1);
    assert_eq!(
        endpoint.received.lock().unwrap()[0].body["paymentResult"]["resultCode"],
        "USER_BALANCE_NOT_ENOUGH"
    );
    let delivery = &hub.hub.deliveries(&acqp.project.id).unwrap()[0];
    assert_eq!(
        delivery.status,
        DeliveryStatus::Pending,
        "an unsigned ack is not an ack"
    );
    assert!(
        delivery
            .last_error
            .as_deref()
            .unwrap_or_default()
            .contains("not signed"),
        "{delivery:?}"
    );

    hub.clock.advance(Duration::seconds(3));
    assert_eq!(
        hub.hub.deliver_due().await.unwrap(),
        0,
        "the second attempt is due at 4 s, not 3 s"
    );
    hub.clock.advance(Duration::seconds(1));
    assert_eq!(hub.hub.deliver_due().await.unwrap(), 1, "due at 4 s");
    // The rest of the default schedule: 30 s, 1 min, 5 min, 10 min, 1 h.
    for step in [26, 30, 240, 300, 3000] {
        hub.clock.advance(Duration::seconds(step));
        assert_eq!(
            hub.hub.deliver_due().await.unwrap(),
            1,
            "an attempt after {step} s more"
        );
    }
    assert_eq!(endpoint.count(), 7, "seven attempts in all");
    let delivery = &hub.hub.deliveries(&acqp.project.id).unwrap()[0];
    assert_eq!(delivery.status, DeliveryStatus::GaveUp, "{delivery:?}");
    let attempts = hub.hub.delivery_attempts(&delivery.id).unwrap();
    assert_eq!(attempts.len(), 7);
    assert!(
        attempts
            .iter()
            .all(|(_, _, verdict)| verdict.reply_signature == "missing"),
        "{attempts:?}"
    );
    let bodies: std::collections::HashSet<String> = endpoint
        .received
        .lock()
        .unwrap()
        .iter()
        .map(|r| r.body.to_string())
        .collect();
    assert_eq!(bodies.len(), 1, "every retry sends the same body");
}

#[tokio::test]
async fn a_forged_notification_is_sent_once_and_a_verifying_acqp_rejects_it() {
    let hub = TestHub::new();
    let acqp = hub.acqp().await;
    let endpoint = NotifyEndpoint::start(&acqp, Ack::Signed).await;
    point_notify_at(&hub, &acqp, &endpoint.url).await;
    let payment_id = open_order(&hub, &acqp, "n-3").await;
    let project = hub.hub.project(&acqp.project.id).unwrap();
    let payment = hub
        .hub
        .payment(&project.id, PaymentKey::PaymentId(&payment_id))
        .unwrap()
        .unwrap();
    hub.hub.enqueue_notify(&project, &payment, true, 0).unwrap();
    hub.hub.deliver_due().await.unwrap();
    let received = endpoint.received.lock().unwrap().clone();
    assert_eq!(received.len(), 1);
    assert!(
        !received[0].signature_valid,
        "the forged one does not verify with the hub's key"
    );
    let delivery = &hub.hub.deliveries(&acqp.project.id).unwrap()[0];
    assert_eq!(
        delivery.status,
        DeliveryStatus::SentForged,
        "never retried: {delivery:?}"
    );
    hub.clock.advance(Duration::hours(2));
    assert_eq!(hub.hub.deliver_due().await.unwrap(), 0);
}

#[tokio::test]
async fn pending_notifications_survive_a_restart_and_are_delivered_after_it() {
    let dir = tempfile::tempdir().unwrap();
    let database = dir.path().join("hub.sqlite");
    let start = chrono::TimeZone::with_ymd_and_hms(&chrono::Utc, 2026, 11, 25, 2, 0, 0).unwrap();
    let open = |clock: Arc<FixedClock>| {
        let hub = Hub::new(
            Store::open(&database).unwrap(),
            clock,
            Ids::random(),
            "http://127.0.0.1:8480",
        )
        .with_test_clock(true);
        hub.set_admin_token(crate::support::ADMIN_TOKEN).unwrap();
        Arc::new(hub)
    };
    let clock = Arc::new(FixedClock::at(start));
    let first = TestHub {
        hub: open(clock.clone()),
        clock: clock.clone(),
    };
    let acqp = first.acqp().await;
    // Reserve a port, then let it go: nothing listens there yet.
    let address = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    point_notify_at(&first, &acqp, &format!("http://{address}/notify")).await;
    let payment_id = open_order(&first, &acqp, "n-4").await;
    let project = first.hub.project(&acqp.project.id).unwrap();
    first
        .hub
        .settle_payment(
            &project,
            &payment_id,
            Settlement::Paid {
                customer_id: "c".into(),
            },
        )
        .unwrap();
    first.hub.deliver_due().await.unwrap();
    let delivery = first.hub.deliveries(&project.id).unwrap().remove(0);
    assert_eq!(delivery.status, DeliveryStatus::Pending);
    assert!(
        delivery
            .last_error
            .as_deref()
            .unwrap_or_default()
            .contains("cannot connect"),
        "{delivery:?}"
    );
    drop(first);

    // The hub comes back (same database), and so does the ACQP.
    let clock = Arc::new(FixedClock::at(start + Duration::seconds(5)));
    let second = TestHub {
        hub: open(clock.clone()),
        clock,
    };
    let endpoint = NotifyEndpoint::start_on(&acqp, Ack::Signed, &address.to_string()).await;
    endpoint.set_hub_key(acqp.hub_key.clone());
    assert_eq!(
        second.hub.deliver_due().await.unwrap(),
        1,
        "the retry due at 4 s is sent after the restart"
    );
    assert_eq!(endpoint.count(), 1);
    assert_eq!(
        second.hub.delivery(&delivery.id).unwrap().status,
        DeliveryStatus::Delivered
    );
    let _ = second.clock.now();
}

/// Serves `app` on a free loopback port; its base URL.
async fn serve(app: axum::Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    url
}

#[tokio::test]
async fn the_hub_follows_no_redirect_and_reads_no_giant_reply_from_an_acqp_endpoint() {
    use std::sync::atomic::{AtomicUsize, Ordering};

    let hub = TestHub::new();
    let acqp = hub.acqp().await;
    let hits = Arc::new(AtomicUsize::new(0));
    let counted = hits.clone();
    let trap = serve(axum::Router::new().route(
        "/elsewhere",
        axum::routing::any(move || {
            let counted = counted.clone();
            async move {
                counted.fetch_add(1, Ordering::SeqCst);
                "{}"
            }
        }),
    ))
    .await;
    let target = format!("{trap}/elsewhere");
    let redirecting = serve(axum::Router::new().route(
        "/notify",
        axum::routing::post(move || {
            let target = target.clone();
            async move { axum::response::Redirect::temporary(&target) }
        }),
    ))
    .await;
    let giant = serve(axum::Router::new().route(
        "/notify",
        axum::routing::post(|| async { "x".repeat(1024 * 1024) }),
    ))
    .await;

    let notify = format!("/projects/{}/test-notifications", acqp.project.id);
    let (status, check) = hub
        .admin(
            "POST",
            &notify,
            Some(json!({"url": format!("{redirecting}/notify")})),
        )
        .await;
    assert_eq!(status.as_u16(), 200, "{check}");
    assert_eq!(check["verdict"]["acknowledged"], false, "{check}");
    assert_eq!(
        hits.load(Ordering::SeqCst),
        0,
        "the redirect's target never hears from the hub: {check}"
    );

    let (_, check) = hub
        .admin(
            "POST",
            &notify,
            Some(json!({"url": format!("{giant}/notify")})),
        )
        .await;
    assert_eq!(check["verdict"]["acknowledged"], false, "{check}");
    assert!(
        check.to_string().contains("longer than 64 KB"),
        "a reply past the cap is refused, saying so: {check}"
    );
}
