//! The run's Server-Sent Events stream: the backlog first, then each event as it is recorded,
//! then the verdict, then the end.

use std::time::Duration;

use axum::body::Body;
use axum::http::Request;
use http_body_util::BodyExt;
use tower::ServiceExt;

use crate::support::Wallet;
use crate::support::{PAY, TestHub, upm_pay};

/// Reads frames until `needle` has arrived (or fails after 10 s with what did arrive).
async fn read_until(body: &mut Body, seen: &mut String, needle: &str) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while !seen.contains(needle) {
        let frame = tokio::time::timeout_at(deadline, body.frame())
            .await
            .unwrap_or_else(|_| panic!("no {needle:?} within 10 s; the stream said: {seen}"));
        match frame {
            Some(Ok(frame)) => {
                if let Ok(data) = frame.into_data() {
                    seen.push_str(&String::from_utf8_lossy(&data));
                }
            }
            _ => panic!("the stream ended before {needle:?}; it said: {seen}"),
        }
    }
}

#[tokio::test]
async fn a_run_streams_its_events_as_they_happen_then_its_verdict() {
    let hub = TestHub::new();
    let acqp = hub.acqp().await;
    let wallet = Wallet::sign_in(&hub, &acqp, "M1").await;
    let run = wallet.start(&hub, "UPM-01").await;
    let code = wallet.code(&hub, &run).await;

    let request = Request::builder()
        .uri(format!("/wallet/v1/runs/{run}/events"))
        .header("authorization", format!("Bearer {}", wallet.token()))
        .body(Body::empty())
        .unwrap();
    let response = hub.router().oneshot(request).await.unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "text/event-stream");
    let mut body = response.into_body();
    let mut seen = String::new();
    read_until(&mut body, &mut seen, "show_payment_code").await;
    assert!(
        seen.contains("id: 1"),
        "events carry their seq as id: {seen}"
    );

    acqp.call(&hub, PAY, &upm_pay("sse-1", &code, "100")).await;
    read_until(&mut body, &mut seen, "\"api\":\"pay\"").await;

    wallet
        .answer(&hub, &run, "w1", "pos-shows-success", true)
        .await;
    read_until(&mut body, &mut seen, "event: verdict").await;
    assert!(seen.contains("\"outcome\":\"passed\""), "{seen}");
    let end = tokio::time::timeout(Duration::from_secs(10), body.frame())
        .await
        .unwrap();
    assert!(end.is_none(), "the stream ends after the verdict");
}

#[tokio::test]
async fn a_reconnect_with_last_event_id_gets_only_what_it_missed() {
    let hub = TestHub::new();
    let acqp = hub.acqp().await;
    let wallet = Wallet::sign_in(&hub, &acqp, "M1").await;
    let run = wallet.start(&hub, "UPM-01").await;
    let code = wallet.code(&hub, &run).await;
    acqp.call(&hub, PAY, &upm_pay("sse-2", &code, "100")).await;

    let request = Request::builder()
        .uri(format!("/wallet/v1/runs/{run}/events"))
        .header("authorization", format!("Bearer {}", wallet.token()))
        .header("last-event-id", "1")
        .body(Body::empty())
        .unwrap();
    let mut body = hub.router().oneshot(request).await.unwrap().into_body();
    let mut seen = String::new();
    read_until(&mut body, &mut seen, "\"api\":\"pay\"").await;
    assert!(
        !seen.contains("show_payment_code"),
        "event 1 was seen already: {seen}"
    );

    let other = Wallet::sign_in(&hub, &acqp, "M2").await;
    let request = Request::builder()
        .uri(format!("/wallet/v1/runs/{run}/events"))
        .header("authorization", format!("Bearer {}", other.token()))
        .body(Body::empty())
        .unwrap();
    assert_eq!(
        hub.router().oneshot(request).await.unwrap().status(),
        404,
        "another merchant's run"
    );
}

#[tokio::test]
async fn a_merchant_holds_a_bounded_number_of_live_streams_and_a_closed_one_frees_its_place() {
    let hub = TestHub::new();
    let acqp = hub.acqp().await;
    let wallet = Wallet::sign_in(&hub, &acqp, "M1").await;
    let run = wallet.start(&hub, "UPM-01").await;
    let open = || async {
        let request = Request::builder()
            .uri(format!("/wallet/v1/runs/{run}/events"))
            .header("authorization", format!("Bearer {}", wallet.token()))
            .body(Body::empty())
            .unwrap();
        hub.router().oneshot(request).await.unwrap()
    };
    let mut held = Vec::new();
    for n in 0..linker_hub::domain::runs::watching::MAX_STREAMS_PER_MERCHANT {
        let response = open().await;
        assert_eq!(response.status(), 200, "stream {n}");
        held.push(response);
    }
    let refused = open().await;
    assert_eq!(refused.status(), 409, "one stream too many");
    drop(held.pop());
    let again = open().await;
    assert_eq!(again.status(), 200, "a closed stream frees its place");
    // Another merchant is not held up by the first one's streams.
    let other = Wallet::sign_in(&hub, &acqp, "M2").await;
    let other_run = other.start(&hub, "UPM-01").await;
    let request = Request::builder()
        .uri(format!("/wallet/v1/runs/{other_run}/events"))
        .header("authorization", format!("Bearer {}", other.token()))
        .body(Body::empty())
        .unwrap();
    assert_eq!(hub.router().oneshot(request).await.unwrap().status(), 200);
}
