//! The Alipay+ gateway's answers to everything wrong, each signed when the Client-Id names a
//! project, and the request log that records them.

use axum::body::Body;
use axum::http::Request;
use linker_aplus::Signer;
use serde_json::json;

use crate::support::{PAY, REQUEST_TIME, TestHub, upm_pay};

fn request(path: &str, client_id: &str, signature: Option<String>, body: &str) -> Request<Body> {
    let mut builder = Request::builder()
        .method("POST")
        .uri(path)
        .header("content-type", "application/json; charset=UTF-8")
        .header("client-id", client_id)
        .header("request-time", REQUEST_TIME);
    if let Some(signature) = signature {
        builder = builder.header("signature", signature);
    }
    builder.body(Body::from(body.to_owned())).unwrap()
}

#[tokio::test]
async fn an_unknown_client_id_is_invalid_client() {
    let hub = TestHub::new();
    let acqp = hub.acqp().await;
    let reply = acqp
        .send(&hub, request(PAY, "NOBODY", None, "{}"), PAY)
        .await;
    assert_eq!(
        (reply.status(), reply.code()),
        ("F", "INVALID_CLIENT"),
        "{}",
        reply.raw
    );
    assert!(reply.message().contains("NOBODY"), "{}", reply.raw);
    assert!(
        reply.headers.get("response-time").is_some(),
        "every answer carries Response-Time"
    );
}

#[tokio::test]
async fn a_missing_or_wrong_signature_is_invalid_signature_and_the_answer_is_still_signed() {
    let hub = TestHub::new();
    let acqp = hub.acqp().await;
    let body = upm_pay("r1", "281999000000000000000001", "100").to_string();

    let reply = acqp
        .send(&hub, request(PAY, &acqp.client_id, None, &body), PAY)
        .await;
    assert_eq!(reply.code(), "INVALID_SIGNATURE", "{}", reply.raw);
    assert!(
        reply.headers.get("signature").is_some(),
        "errors are signed too"
    );

    // Signed by another key.
    let stranger = linker_aplus::KeyPair::generate().unwrap();
    let forged = Signer::new(acqp.client_id.clone(), stranger.private)
        .sign("POST", PAY, REQUEST_TIME, body.as_bytes())
        .unwrap()
        .format();
    let reply = acqp
        .send(
            &hub,
            request(PAY, &acqp.client_id, Some(forged), &body),
            PAY,
        )
        .await;
    assert_eq!(reply.code(), "INVALID_SIGNATURE", "{}", reply.raw);

    // Signed over pretty-printed JSON but sent compact: the answer names the mistake.
    let pretty =
        serde_json::to_string_pretty(&upm_pay("r1", "281999000000000000000001", "100")).unwrap();
    let signed_pretty = acqp
        .signer()
        .sign("POST", PAY, REQUEST_TIME, pretty.as_bytes())
        .unwrap()
        .format();
    let reply = acqp
        .send(
            &hub,
            request(PAY, &acqp.client_id, Some(signed_pretty), &body),
            PAY,
        )
        .await;
    assert_eq!(reply.code(), "INVALID_SIGNATURE", "{}", reply.raw);
    assert!(
        reply.message().contains("pretty-printed"),
        "names the cause: {}",
        reply.raw
    );
}

#[tokio::test]
async fn wrong_method_unknown_path_and_bad_fields_get_their_protocol_codes() {
    let hub = TestHub::new();
    let acqp = hub.acqp().await;

    let get = Request::builder()
        .method("GET")
        .uri(PAY)
        .header("client-id", &acqp.client_id)
        .body(Body::empty())
        .unwrap();
    let reply = acqp.send(&hub, get, PAY).await;
    assert_eq!(reply.code(), "METHOD_NOT_SUPPORTED", "{}", reply.raw);

    let reply = acqp
        .call(&hub, "/aps/api/v1/payments/teleport", &json!({}))
        .await;
    assert_eq!(reply.code(), "INVALID_API", "{}", reply.raw);

    let mut body = upm_pay("r1", "281999000000000000000001", "100");
    body["paymentAmount"]["value"] = json!("12.5");
    let reply = acqp.call(&hub, PAY, &body).await;
    assert_eq!(reply.code(), "PARAM_ILLEGAL", "{}", reply.raw);
    assert!(
        reply.message().contains("paymentAmount.value"),
        "names the field: {}",
        reply.raw
    );

    let mut body = upm_pay("r2", "281999000000000000000001", "100");
    body["paymentFactor"]["isInStorePayment"] = json!(true);
    let reply = acqp.call(&hub, PAY, &body).await;
    assert_eq!(reply.code(), "PARAM_ILLEGAL", "{}", reply.raw);
    assert!(
        reply.message().contains("isInStorePayment"),
        "names the field: {}",
        reply.raw
    );

    let mut body = upm_pay("r3", "281999000000000000000001", "100");
    body.as_object_mut().unwrap().remove("paymentRequestId");
    let reply = acqp.call(&hub, PAY, &body).await;
    assert_eq!(reply.code(), "PARAM_ILLEGAL", "{}", reply.raw);
    assert!(
        reply.message().contains("paymentRequestId"),
        "names the field: {}",
        reply.raw
    );

    let raw = Request::builder()
        .method("POST")
        .uri(PAY)
        .header("content-type", "text/plain")
        .header("client-id", &acqp.client_id)
        .header("request-time", REQUEST_TIME)
        .body(Body::from("hello"))
        .unwrap();
    let reply = acqp.send(&hub, raw, PAY).await;
    assert_eq!(reply.code(), "MEDIA_TYPE_NOT_ACCEPTABLE", "{}", reply.raw);
}

#[tokio::test]
async fn an_absolute_request_target_is_signed_over_the_path_alone() {
    let hub = TestHub::new();
    let acqp = hub.acqp().await;
    let code = acqp.payment_code(&hub).await;
    let body = upm_pay("abs-1", &code, "100").to_string();
    let signature = acqp
        .signer()
        .sign("POST", PAY, REQUEST_TIME, body.as_bytes())
        .unwrap()
        .format();
    let request = Request::builder()
        .method("POST")
        .uri(format!("http://127.0.0.1:8480{PAY}"))
        .header("content-type", "application/json")
        .header("client-id", &acqp.client_id)
        .header("request-time", REQUEST_TIME)
        .header("signature", signature)
        .body(Body::from(body))
        .unwrap();
    let reply = acqp.send(&hub, request, PAY).await;
    assert_eq!(reply.code(), "SUCCESS", "{}", reply.raw);
}

#[tokio::test]
async fn epoch_millisecond_request_times_are_accepted() {
    let hub = TestHub::new();
    let acqp = hub.acqp().await;
    let code = acqp.payment_code(&hub).await;
    let body = upm_pay("epoch-1", &code, "100").to_string();
    let time = "1795658400000";
    let signature = acqp
        .signer()
        .sign("POST", PAY, time, body.as_bytes())
        .unwrap()
        .format();
    let request = Request::builder()
        .method("POST")
        .uri(PAY)
        .header("content-type", "application/json")
        .header("Client-Id", &acqp.client_id)
        .header("Request-Time", time)
        .header("Signature", signature)
        .body(Body::from(body))
        .unwrap();
    let reply = acqp.send(&hub, request, PAY).await;
    assert_eq!(reply.code(), "SUCCESS", "{}", reply.raw);
}

#[tokio::test]
async fn answers_use_lowercase_header_names_the_python_sdk_looks_up() {
    let hub = TestHub::new();
    let acqp = hub.acqp().await;
    let request = Request::builder()
        .method("POST")
        .uri(PAY)
        .header("client-id", &acqp.client_id)
        .body(Body::from("{}"))
        .unwrap();
    let response = tower::ServiceExt::oneshot(hub.router(), request)
        .await
        .unwrap();
    let names: Vec<&str> = response
        .headers()
        .keys()
        .map(|name| name.as_str())
        .collect();
    for expected in ["client-id", "response-time", "signature"] {
        assert!(
            names.contains(&expected),
            "{expected} missing from {names:?}"
        );
    }
}

#[tokio::test]
async fn every_verified_call_is_logged_and_a_refused_one_is_counted() {
    let hub = TestHub::new();
    let acqp = hub.acqp().await;
    let code = acqp.payment_code(&hub).await;
    acqp.call(&hub, PAY, &upm_pay("log-1", &code, "100")).await;
    let body = upm_pay("log-2", &code, "100").to_string();
    acqp.send(&hub, request(PAY, &acqp.client_id, None, &body), PAY)
        .await;

    let (_, log) = hub
        .admin(
            "GET",
            &format!("/projects/{}/exchanges", acqp.project.id),
            None,
        )
        .await;
    let log = log.as_array().unwrap();
    assert_eq!(log.len(), 1, "only the verified call is logged: {log:?}");
    assert_eq!(log[0]["signatureVerdict"], "valid", "{}", log[0]);
    assert_eq!(log[0]["api"], "pay");
    assert_eq!(log[0]["resultCode"], "SUCCESS");
    let refused = hub.hub.refused_counts(&acqp.project.id).unwrap();
    assert_eq!(
        refused
            .iter()
            .map(|r| (r.client_id.as_str(), r.count, r.last_code.as_str()))
            .collect::<Vec<_>>(),
        vec![(acqp.client_id.as_str(), 1, "INVALID_SIGNATURE")],
        "the unsigned call is counted under its Client-Id: {refused:?}"
    );

    let (_, filtered) = hub
        .admin(
            "GET",
            &format!(
                "/projects/{}/exchanges?resultCode=INVALID_SIGNATURE",
                acqp.project.id
            ),
            None,
        )
        .await;
    assert_eq!(
        filtered.as_array().unwrap().len(),
        0,
        "filter by result code: {filtered}"
    );
}

#[tokio::test]
async fn a_new_acqp_key_takes_effect_at_once_and_the_old_one_stops_working() {
    let hub = TestHub::new();
    let mut acqp = hub.acqp().await;
    let code = acqp.payment_code(&hub).await;
    assert_eq!(
        acqp.call(&hub, PAY, &upm_pay("k-1", &code, "100"))
            .await
            .code(),
        "SUCCESS"
    );

    let fresh = linker_aplus::KeyPair::generate().unwrap();
    let (status, _) = hub
        .admin(
            "PATCH",
            &format!("/projects/{}", acqp.project.id),
            Some(json!({"acqpPublicKey": fresh.public.to_base64()})),
        )
        .await;
    assert_eq!(status, axum::http::StatusCode::OK);
    let code = acqp.payment_code(&hub).await;
    let old = acqp.call(&hub, PAY, &upm_pay("k-2", &code, "100")).await;
    assert_eq!(
        old.code(),
        "INVALID_SIGNATURE",
        "the replaced key no longer verifies: {}",
        old.raw
    );
    acqp.key_base64 = fresh.private.to_base64();
    let new = acqp.call(&hub, PAY, &upm_pay("k-3", &code, "100")).await;
    assert_eq!(new.code(), "SUCCESS", "{}", new.raw);
}
