//! Where the hub's calls may go: a target URL is read by one parser (the one the HTTP client
//! dials with), and with `--public` no loopback, private or link-local address is called, not
//! even through a name that resolves to one. Real notify endpoints on loopback ports.

use chrono::Duration;
use linker_hub::Clock;
use linker_hub::callbacks::DeliveryStatus;
use linker_hub::domain::payments::Settlement;
use serde_json::{Value, json};

use crate::support::{Ack, Acqp, NotifyEndpoint, PAY, TestHub, order_code_pay, point_notify_at};

/// Opens an order and settles it paid, which queues a notifyPayment.
async fn paid_order(hub: &TestHub, acqp: &Acqp, id: &str) {
    let reply = acqp.call(hub, PAY, &order_code_pay(id, "4200")).await;
    assert_eq!(reply.code(), "PAYMENT_IN_PROCESS", "{}", reply.raw);
    let payment_id = reply.body["paymentId"].as_str().unwrap().to_owned();
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
}

async fn set_notify_url(hub: &TestHub, acqp: &Acqp, url: &str) -> (u16, Value) {
    let (status, body) = hub
        .admin(
            "PATCH",
            &format!("/projects/{}", acqp.project.id),
            Some(json!({"notifyUrl": url})),
        )
        .await;
    (status.as_u16(), body)
}

async fn test_notification(hub: &TestHub, acqp: &Acqp, url: &str) -> (u16, Value) {
    let (status, body) = hub
        .admin(
            "POST",
            &format!("/projects/{}/test-notifications", acqp.project.id),
            Some(json!({"url": url})),
        )
        .await;
    (status.as_u16(), body)
}

#[tokio::test]
async fn a_url_whose_host_the_parsers_disagree_on_is_refused_and_loopback_spellings_are_read_as_dialled()
 {
    let hub = TestHub::new();
    let acqp = hub.acqp().await;
    let saved = hub.hub.project(&acqp.project.id).unwrap().notify_url;
    for url in [
        // Judged 127.0.0.1 by splitting at '@'; dialled at evil.example (a backslash ends the host).
        "http://evil.example\\@127.0.0.1/notify",
        "http://evil.example@127.0.0.1/notify",
        "https://acqp:secret@acqp.example/notify",
        "http://127.0.0.1.evil.example/notify",
        "gopher://127.0.0.1:25/",
    ] {
        let (status, body) = set_notify_url(&hub, &acqp, url).await;
        assert_eq!(status, 422, "{url} is refused as a notify URL: {body}");
        assert!(
            body["message"]
                .as_str()
                .unwrap_or_default()
                .starts_with("notifyUrl: "),
            "{url}: the answer names the field: {body}"
        );
        let (status, body) = test_notification(&hub, &acqp, url).await;
        assert_eq!(
            status, 422,
            "{url} is not called by a test notification: {body}"
        );
    }
    assert_eq!(
        hub.hub.project(&acqp.project.id).unwrap().notify_url,
        saved,
        "none of them was saved"
    );

    let endpoint = NotifyEndpoint::start(&acqp, Ack::Signed).await;
    let port = endpoint
        .url
        .rsplit(':')
        .next()
        .unwrap()
        .split('/')
        .next()
        .unwrap();
    for url in [
        format!("http://2130706433:{port}/notify"),
        format!("http://0177.0.0.1:{port}/notify"),
        format!("http://127.0.0.1:{port}/notify#@evil.example"),
    ] {
        let (status, body) = set_notify_url(&hub, &acqp, &url).await;
        assert_eq!(status, 200, "{url} is a loopback address: {body}");
        let before = endpoint.count();
        let (status, check) = test_notification(&hub, &acqp, &url).await;
        assert_eq!(status, 200, "{check}");
        assert_eq!(
            (endpoint.count(), check["verdict"]["acknowledged"].clone()),
            (before + 1, json!(true)),
            "{url} is dialled at the loopback address it was judged to be: {check}"
        );
    }
}

#[tokio::test]
async fn with_public_targets_a_loopback_notify_url_is_refused_and_the_refusal_recorded() {
    let hub = TestHub::new();
    let acqp = hub.acqp().await;
    let endpoint = NotifyEndpoint::start(&acqp, Ack::Signed).await;
    point_notify_at(&hub, &acqp, &endpoint.url).await;

    // The loopback default: the notification is dialled and acknowledged.
    assert!(!hub.hub.has_public_targets(), "off unless asked for");
    paid_order(&hub, &acqp, "pub-1").await;
    assert_eq!(hub.hub.deliver_due().await.unwrap(), 1);
    assert_eq!(endpoint.count(), 1, "a loopback hub calls a loopback ACQP");

    hub.hub.set_public_targets(true);
    paid_order(&hub, &acqp, "pub-2").await;
    assert_eq!(hub.hub.deliver_due().await.unwrap(), 1, "one attempt made");
    assert_eq!(
        endpoint.count(),
        1,
        "the endpoint never heard the second one"
    );
    let deliveries = hub.hub.deliveries(&acqp.project.id).unwrap();
    let refused = deliveries
        .iter()
        .find(|d| d.status != DeliveryStatus::Delivered)
        .unwrap();
    let expected = "refused: 127.0.0.1 is a loopback address; this hub runs with --public";
    assert_eq!(
        refused.status,
        DeliveryStatus::Pending,
        "retried like any failure"
    );
    assert!(
        refused
            .last_error
            .as_deref()
            .unwrap_or_default()
            .starts_with(expected),
        "the delivery says why: {refused:?}"
    );
    let attempts = hub.hub.delivery_attempts(&refused.id).unwrap();
    assert!(
        attempts[0]
            .2
            .problem
            .as_deref()
            .unwrap_or_default()
            .starts_with(expected),
        "the attempt says why: {attempts:?}"
    );
    let (_, check) = test_notification(&hub, &acqp, &endpoint.url).await;
    assert!(
        check["verdict"]["problem"]
            .as_str()
            .unwrap_or_default()
            .starts_with(expected),
        "check my setup says why: {check}"
    );

    // Turned off again, the retry goes through.
    hub.hub.set_public_targets(false);
    hub.clock.advance(Duration::seconds(4));
    assert_eq!(hub.hub.deliver_due().await.unwrap(), 1);
    assert_eq!(endpoint.count(), 2, "dialled once the hub is local again");
}

#[tokio::test]
async fn with_public_targets_a_name_that_resolves_to_loopback_is_refused_at_connect_time() {
    let hub = TestHub::new();
    let acqp = hub.acqp().await;
    let endpoint = NotifyEndpoint::start(&acqp, Ack::Signed).await;
    let by_name = endpoint.url.replace("127.0.0.1", "localhost");
    assert!(by_name.starts_with("http://localhost:"), "{by_name}");

    let (_, check) = test_notification(&hub, &acqp, &by_name).await;
    assert_eq!(
        (endpoint.count(), check["verdict"]["acknowledged"].clone()),
        (1, json!(true)),
        "without --public, localhost is called: {check}"
    );

    hub.hub.set_public_targets(true);
    let (status, check) = test_notification(&hub, &acqp, &by_name).await;
    assert_eq!(status, 200, "{check}");
    let problem = check["verdict"]["problem"].as_str().unwrap_or_default();
    assert!(
        problem.starts_with("refused: localhost resolves to ")
            && problem.contains("a loopback address; this hub runs with --public"),
        "the name passed the URL check and was refused where it was resolved: {check}"
    );
    assert_eq!(endpoint.count(), 1, "the endpoint never heard from the hub");
}
