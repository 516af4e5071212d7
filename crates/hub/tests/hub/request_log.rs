//! The request log kept bounded: bodies cut to a prefix with their size and SHA-256, refused
//! calls counted per Client-Id instead of logged whole, a retention per project enforced by the
//! sweep, and a payment's exchanges found through an index.

use axum::body::Body;
use axum::http::{Request, StatusCode};
use chrono::Duration;
use linker_hub::Clock;
use linker_hub::domain::request_log::{BODY_PREFIX, ExchangeFilter, VERIFIED_SIGNATURE};
use linker_hub::store::exchanges::CLAIMABLE_BODY_LIMIT;
use linker_hub::store::rejected::SAMPLES_PER_CLIENT;
use serde_json::json;
use sha2::Digest;

use crate::support::{INQUIRY, PAY, REQUEST_TIME, TestHub, upm_pay};

fn unsigned(client_id: &str, body: &str) -> Request<Body> {
    Request::builder()
        .method("POST")
        .uri(PAY)
        .header("content-type", "application/json; charset=UTF-8")
        .header("client-id", client_id)
        .header("request-time", REQUEST_TIME)
        .body(Body::from(body.to_owned()))
        .unwrap()
}

fn sha256(text: &str) -> String {
    hex::encode(sha2::Sha256::digest(text.as_bytes()))
}

#[tokio::test]
async fn a_body_over_the_limit_is_kept_as_its_start_with_its_whole_size_and_sha256() {
    let hub = TestHub::new();
    let acqp = hub.acqp().await;
    let code = acqp.payment_code(&hub).await;
    let mut body = upm_pay("big-1", &code, "100");
    body["order"]["padding"] = json!("x".repeat(100_000));
    let sent = body.to_string();
    acqp.call(&hub, PAY, &body).await;
    let small = upm_pay("small-1", &acqp.payment_code(&hub).await, "100");
    acqp.call(&hub, PAY, &small).await;

    let log = hub
        .hub
        .exchanges(&acqp.project.id, &ExchangeFilter::default())
        .unwrap();
    assert_eq!(log.len(), 2, "both verified calls are logged: {log:?}");
    let (whole, cut) = (&log[0], &log[1]);
    assert_eq!(
        (cut.request_body.len(), cut.request_size),
        (CLAIMABLE_BODY_LIMIT, sent.len() as u64),
        "a verified call no run holds yet keeps its first 64 KB and its whole size"
    );
    assert!(
        sent.starts_with(&cut.request_body) && cut.request_truncated(),
        "the kept part is the start of what was sent"
    );
    assert_eq!(
        cut.request_sha256.as_deref(),
        Some(sha256(&sent).as_str()),
        "the hash is the whole body's"
    );
    assert!(
        !whole.request_truncated() && !whole.response_truncated(),
        "a body under the limit is kept whole: {} of {} bytes",
        whole.request_body.len(),
        whole.request_size
    );
    assert_eq!(whole.request_body, small.to_string());
    for (side, headers) in [
        ("request", &whole.request_headers),
        ("answer", &whole.response_headers),
    ] {
        let signature = &headers["signature"];
        assert!(
            signature.starts_with("algorithm=RSA256,keyVersion=1,")
                && signature.ends_with(VERIFIED_SIGNATURE),
            "a verified (or the hub's own) signature is kept as its parameters: {side} {signature}"
        );
    }
    assert_eq!(
        whole.response_sha256.as_deref(),
        Some(sha256(&whole.response_body).as_str())
    );

    // A refused call is kept (as a sample) up to the log's prefix only.
    let refused = format!("{{\"padding\":\"{}\"}}", "y".repeat(10_000));
    acqp.send(&hub, unsigned(&acqp.client_id, &refused), PAY)
        .await;
    let samples = hub.hub.refused_samples(&acqp.project.id).unwrap();
    assert_eq!(
        (samples[0].request_body.len(), samples[0].request_size),
        (BODY_PREFIX, refused.len() as u64),
        "a refused call's sample keeps 4 KB of its {} bytes",
        refused.len()
    );
    assert_eq!(samples[0].request_sha256, sha256(&refused));
    assert_eq!(
        samples[0].request_headers.get("signature"),
        None,
        "an unsigned call's sample has no signature header"
    );
}

#[tokio::test]
async fn refused_calls_are_counted_per_client_id_with_the_last_few_kept_not_logged_whole() {
    let hub = TestHub::new();
    let acqp = hub.acqp().await;
    let body = upm_pay("r-1", "281999000000000000000001", "100").to_string();
    for _ in 0..7 {
        let reply = acqp.send(&hub, unsigned(&acqp.client_id, &body), PAY).await;
        assert_eq!(reply.code(), "INVALID_SIGNATURE", "{}", reply.raw);
    }
    let forged = linker_aplus::Signer::new(
        acqp.client_id.clone(),
        linker_aplus::KeyPair::generate().unwrap().private,
    )
    .sign("POST", PAY, REQUEST_TIME, body.as_bytes())
    .unwrap()
    .format();
    let mut request = unsigned(&acqp.client_id, &body);
    request
        .headers_mut()
        .insert("signature", forged.parse().unwrap());
    acqp.send(&hub, request, PAY).await;
    acqp.send(&hub, unsigned("NOBODY-KNOWN", "{}"), PAY).await;
    // And one accepted call, which is logged.
    let code = acqp.payment_code(&hub).await;
    let ok = acqp.call(&hub, PAY, &upm_pay("ok-1", &code, "100")).await;
    assert_eq!(ok.code(), "SUCCESS", "{}", ok.raw);

    let log = hub
        .hub
        .exchanges(&acqp.project.id, &ExchangeFilter::default())
        .unwrap();
    assert_eq!(
        log.iter().map(|e| e.api.as_str()).collect::<Vec<_>>(),
        vec!["pay"],
        "only the verified call is in the log: {log:?}"
    );
    assert_eq!(log[0].signature_verdict, "valid");
    let counts = hub.hub.refused_counts(&acqp.project.id).unwrap();
    assert_eq!(counts.len(), 1, "{counts:?}");
    assert_eq!(
        (counts[0].count, counts[0].last_code.as_str()),
        (8, "INVALID_SIGNATURE"),
        "7 unsigned and 1 forged, counted: {counts:?}"
    );
    assert!(
        counts[0].last_reason.contains("signature"),
        "the last reason is kept: {}",
        counts[0].last_reason
    );
    let samples = hub.hub.refused_samples(&acqp.project.id).unwrap();
    assert_eq!(
        samples.len(),
        SAMPLES_PER_CLIENT as usize,
        "only the last few are kept: {samples:?}"
    );
    assert!(
        samples[0]
            .signature_verdict
            .to_string()
            .starts_with("invalid"),
        "newest first, the forged one: {:?}",
        samples[0].signature_verdict
    );
    assert_eq!(samples[1].signature_verdict, "missing");
    let unknown = hub
        .hub
        .refused_count_of_client("NOBODY-KNOWN")
        .unwrap()
        .expect("an unknown Client-Id is counted too");
    assert_eq!(
        (
            unknown.count,
            unknown.project_id.as_deref(),
            unknown.last_code.as_str()
        ),
        (1, None, "INVALID_CLIENT")
    );
}

#[tokio::test]
async fn the_sweep_deletes_what_is_older_than_the_projects_retention_and_keeps_the_rest() {
    let hub = TestHub::new();
    let acqp = hub.acqp().await;
    let (status, view) = hub
        .admin(
            "PATCH",
            &format!("/projects/{}", acqp.project.id),
            Some(json!({"requestLogDays": 2})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{view}");
    assert_eq!(view["requestLogDays"], 2, "{view}");
    let code = acqp.payment_code(&hub).await;
    acqp.call(&hub, PAY, &upm_pay("old-1", &code, "100")).await;
    acqp.send(&hub, unsigned(&acqp.client_id, "{}"), PAY).await;

    hub.clock.advance(Duration::days(3));
    let code = acqp.payment_code(&hub).await;
    acqp.call(&hub, PAY, &upm_pay("new-1", &code, "100")).await;
    let deleted = hub.hub.sweep_request_log().unwrap();

    let log = hub
        .hub
        .exchanges(&acqp.project.id, &ExchangeFilter::default())
        .unwrap();
    assert_eq!(deleted, 1, "the call of 3 days ago went");
    assert_eq!(
        log.iter()
            .map(|e| e.request_body.contains("new-1"))
            .collect::<Vec<_>>(),
        vec![true],
        "the new call stays: {log:?}"
    );
    assert!(
        hub.hub.refused_counts(&acqp.project.id).unwrap().is_empty()
            && hub
                .hub
                .refused_samples(&acqp.project.id)
                .unwrap()
                .is_empty(),
        "refused calls last seen 3 days ago are forgotten too"
    );
    assert_eq!(
        hub.hub.sweep_request_log().unwrap(),
        0,
        "a second sweep finds nothing more"
    );
}

#[tokio::test]
async fn the_sweep_keeps_the_exchanges_of_a_run_still_open() {
    let hub = TestHub::new();
    let acqp = hub.acqp().await;
    let wallet = crate::support::Wallet::sign_in(&hub, &acqp, "M0001").await;
    let run = wallet.start(&hub, "UPM-01").await;
    let code = wallet.code(&hub, &run).await;
    acqp.call(&hub, PAY, &upm_pay("in-run", &code, "1000"))
        .await;
    hub.hub
        .update_project(
            &acqp.project.id,
            linker_hub::ProjectUpdate {
                request_log_days: Some(1),
                ..Default::default()
            },
        )
        .unwrap();
    hub.clock.advance(Duration::days(2));
    assert_eq!(
        hub.hub.sweep_request_log().unwrap(),
        0,
        "the open run's pay stays"
    );
    let log = hub
        .hub
        .exchanges(&acqp.project.id, &ExchangeFilter::default())
        .unwrap();
    assert_eq!(log[0].run_id.as_deref(), Some(run.as_str()), "{log:?}");
    // Once the run is decided (its evidence is in its own record), the pay goes.
    let view = hub.hub.judge_run(&run).unwrap();
    assert_ne!(
        view.status,
        linker_hub::domain::runs::RunStatus::Open,
        "{view:?}"
    );
    assert_eq!(hub.hub.sweep_request_log().unwrap(), 1);
}

#[tokio::test]
async fn the_retention_is_1_to_3650_days_and_anything_else_is_refused_with_a_code() {
    let hub = TestHub::new();
    let acqp = hub.acqp().await;
    assert_eq!(acqp.project.request_log_days, 30, "the default");
    let path = format!("/projects/{}", acqp.project.id);
    for bad in [json!(0), json!(3651), json!(-1), json!("ten")] {
        let (status, error) = hub
            .admin("PATCH", &path, Some(json!({"requestLogDays": bad})))
            .await;
        assert!(status.is_client_error(), "{bad}: {status} {error}");
        assert!(
            error["code"] == "INVALID_INPUT" && error["message"].is_string(),
            "{{code, message}} for {bad}: {error}"
        );
    }
    let (_, error) = hub
        .admin("PATCH", &path, Some(json!({"requestLogDays": 0})))
        .await;
    assert!(
        error["message"]
            .as_str()
            .unwrap()
            .contains("requestLogDays"),
        "names the field: {error}"
    );
    assert_eq!(
        hub.hub.project(&acqp.project.id).unwrap().request_log_days,
        30,
        "nothing changed"
    );
    let (status, view) = hub
        .admin("PATCH", &path, Some(json!({"requestLogDays": 3650})))
        .await;
    assert_eq!(
        (status, &view["requestLogDays"]),
        (StatusCode::OK, &json!(3650))
    );
}

#[tokio::test]
async fn a_payments_exchanges_are_found_through_the_index_without_reading_other_bodies() {
    let hub = TestHub::new();
    let acqp = hub.acqp().await;
    let code = acqp.payment_code(&hub).await;
    let pay = acqp.call(&hub, PAY, &upm_pay("idx-1", &code, "100")).await;
    let payment_id = pay.body["paymentId"].as_str().unwrap().to_owned();
    let other = acqp.payment_code(&hub).await;
    acqp.call(&hub, PAY, &upm_pay("idx-2", &other, "100")).await;
    // An inquiry naming only the paymentRequestId finds the payment too.
    acqp.call(&hub, INQUIRY, &json!({"paymentRequestId": "idx-1"}))
        .await;

    let found = hub
        .hub
        .payment_exchanges(&acqp.project.id, &payment_id)
        .unwrap();
    assert_eq!(
        found.iter().map(|e| e.api.as_str()).collect::<Vec<_>>(),
        vec!["pay", "inquiryPayment"],
        "the payment's pay and inquiry, oldest first: {found:?}"
    );
    let plan = hub.hub.payment_exchanges_plan().unwrap();
    assert!(
        plan.iter()
            .any(|step| step.contains("USING INDEX exchanges_by_payment")),
        "the lookup goes through the index: {plan:?}"
    );
    assert!(
        !plan.iter().any(|step| step.starts_with("SCAN")),
        "and scans nothing: {plan:?}"
    );
}

/// What the store holds per signed call (issue 15's goal: at most 1 KB with the log's
/// defaults), measured on a real file after pay + inquiryPayment pairs, as `linker bench hub`
/// sends them.
#[tokio::test]
async fn bytes_stored_per_signed_call() {
    let folder = tempfile::tempdir().unwrap();
    let path = folder.path().join("hub.db");
    let hub = TestHub::with_store(
        "http://127.0.0.1:8480",
        linker_hub::Store::open(&path).unwrap(),
    );
    let acqp = hub.acqp().await;
    let size = || {
        let connection = rusqlite::Connection::open(&path).unwrap();
        let pages: i64 = connection
            .query_row("PRAGMA page_count", [], |row| row.get(0))
            .unwrap();
        let page_size: i64 = connection
            .query_row("PRAGMA page_size", [], |row| row.get(0))
            .unwrap();
        pages * page_size
    };
    let before = size();
    let pairs = 200;
    for i in 0..pairs {
        let code = acqp.payment_code(&hub).await;
        let reply = acqp
            .call(&hub, PAY, &upm_pay(&format!("b{i}"), &code, "100"))
            .await;
        assert_eq!(reply.status(), "S", "{}", reply.raw);
        let reply = acqp
            .call(&hub, INQUIRY, &json!({"paymentRequestId": format!("b{i}")}))
            .await;
        assert_eq!(reply.status(), "S", "{}", reply.raw);
    }
    drop(hub);
    let after = size();
    let per_call = (after - before) as f64 / f64::from(2 * pairs);
    println!("bytes per signed call: {per_call:.0} ({before} → {after} bytes, {pairs} pairs)");
    // Measured: 2765 bytes before the log was bounded (every body and both 344-character
    // signatures kept), 2150 after; 860 since an exchange's headers and bodies are packed
    // against a dictionary (~160 bytes for a pay, ~100 for an inquiry) and a payment keeps only
    // what the wallet's prompt shows of its pay. The rest is the payment rows (fingerprint,
    // ids, times), the payment codes and the indexes.
    assert!(
        per_call <= 1024.0,
        "{per_call:.0} bytes per signed call ({before} → {after} bytes for {pairs} pairs)"
    );
}
