//! A POS driver written to the protocol's first form: no optional capabilities, and `display`
//! by `posPaymentId` only. Behind a correct ACQP it can never make a case fail: where it cannot
//! tell what the POS shows, the case is broken with the driver's own words, and the runner does
//! not keep asking a question the driver refused.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{Method, StatusCode};
use axum::response::{IntoResponse, Response};
use linker_cases::Outcome;
use linker_demo::{Demo, DemoOptions};
use linker_runner::{ClockControl, PlainProgress, Pos, Runner, RunnerConfig};

struct Proxy {
    upstream: String,
    refused: AtomicUsize,
}

async fn forward(
    State(proxy): State<Arc<Proxy>>,
    method: Method,
    Path(action): Path<String>,
    RawQuery(query): RawQuery,
    body: Bytes,
) -> Response {
    let query = query.map(|q| format!("?{q}")).unwrap_or_default();
    if action == "display" && query.contains("paymentRequestId") {
        proxy.refused.fetch_add(1, Ordering::SeqCst);
        return (
            StatusCode::BAD_REQUEST,
            axum::Json(serde_json::json!({"error": {"code": "BAD_REQUEST", "message": "give posPaymentId"}})),
        )
            .into_response();
    }
    let url = format!("{}/pos/v1/{action}{query}", proxy.upstream);
    let client = reqwest::Client::new();
    let answer = if method == Method::GET {
        client.get(&url).send().await
    } else {
        client
            .post(&url)
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
    }
    .expect("the reference driver answers");
    let status = StatusCode::from_u16(answer.status().as_u16()).expect("a status");
    let mut json: serde_json::Value = answer.json().await.expect("JSON");
    if action == "capabilities"
        && let Some(fields) = json.as_object_mut()
    {
        // The first form of v1 knew nothing of these.
        fields.remove("displayByPaymentRequestId");
        fields.remove("account");
    }
    (status, axum::Json(json)).into_response()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_first_form_driver_that_cannot_tell_leaves_mec_01_broken_not_failed() {
    let demo = Demo::start(DemoOptions {
        timing: DemoOptions::quick_timing(),
        test_clock: true,
        ..DemoOptions::default()
    })
    .await
    .expect("the demo starts");
    let proxy = Arc::new(Proxy {
        upstream: demo.pos_driver_url().trim_end_matches('/').to_owned(),
        refused: AtomicUsize::new(0),
    });
    let app = axum::Router::new()
        .route("/pos/v1/{action}", axum::routing::any(forward))
        .with_state(proxy.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });

    let wallet = demo.wallet().await.expect("the demo wallet signs in");
    let pos = Pos::driver(&url, None)
        .await
        .expect("the old driver answers");
    let config = RunnerConfig {
        cases: vec!["MEC-01".to_owned()],
        settle: std::time::Duration::from_secs(20),
        fast_forward: Some(ClockControl {
            hub_url: demo.hub_url().to_owned(),
            admin_token: demo.admin_token().unwrap(),
        }),
        ..RunnerConfig::default()
    };
    let report = Runner::new(&wallet, pos, config, &PlainProgress)
        .run()
        .await
        .expect("the runner runs");
    demo.shutdown().await;
    let run = &report.runs[0];
    assert_eq!(
        run.outcome,
        Outcome::Broken,
        "a driver that cannot tell is never the ACQP's failure: {} {:?}",
        run.summary,
        run.checks
    );
    assert!(
        run.summary.contains("displayByPaymentRequestId"),
        "the case says why, in the driver's terms: {}",
        run.summary
    );
    assert_eq!(
        proxy.refused.load(Ordering::SeqCst),
        0,
        "the runner does not ask a form of display the driver did not announce"
    );
}
