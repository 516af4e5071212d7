//! Forced results (iMock): a project forces an API's result code, optionally only for a field
//! value, for a bounded time; the answer is still signed and the request log marks it forced.

use axum::http::StatusCode;
use chrono::Duration;
use linker_hub::Clock;
use serde_json::json;

use crate::support::{INQUIRY, PAY, TestHub, upm_pay};

#[tokio::test]
async fn a_forced_result_answers_until_it_expires_and_is_marked_in_the_log() {
    let hub = TestHub::new();
    let acqp = hub.acqp().await;
    let path = format!("/projects/{}/forced-results", acqp.project.id);
    let (status, forced) = hub
        .admin(
            "POST",
            &path,
            Some(json!({"api": "pay", "resultCode": "RISK_REJECT", "minutes": 30})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{forced}");
    assert_eq!(forced["resultStatus"], "F");

    let code = acqp.payment_code(&hub).await;
    let reply = acqp.call(&hub, PAY, &upm_pay("f-1", &code, "100")).await;
    assert_eq!(
        (reply.status(), reply.code()),
        ("F", "RISK_REJECT"),
        "{}",
        reply.raw
    );
    let inquiry = acqp
        .call(&hub, INQUIRY, &json!({"paymentRequestId": "f-1"}))
        .await;
    assert_eq!(
        inquiry.code(),
        "ORDER_NOT_EXIST",
        "a forced pay creates no payment: {}",
        inquiry.raw
    );
    let (_, log) = hub
        .admin(
            "GET",
            &format!("/projects/{}/exchanges?api=pay", acqp.project.id),
            None,
        )
        .await;
    assert_eq!(log[0]["forced"], true, "{log}");

    hub.clock.advance(Duration::minutes(31));
    let code = acqp.payment_code(&hub).await;
    let reply = acqp.call(&hub, PAY, &upm_pay("f-2", &code, "100")).await;
    assert_eq!(
        reply.code(),
        "SUCCESS",
        "expired after 30 min: {}",
        reply.raw
    );
    let (_, list) = hub.admin("GET", &path, None).await;
    assert_eq!(list[0]["active"], false, "{list}");
}

#[tokio::test]
async fn a_field_condition_narrows_it_and_delete_ends_it() {
    let hub = TestHub::new();
    let acqp = hub.acqp().await;
    let path = format!("/projects/{}/forced-results", acqp.project.id);
    let (_, forced) = hub
        .admin(
            "POST",
            &path,
            Some(json!({"api": "pay", "resultCode": "UNKNOWN_EXCEPTION", "when": {"field": "paymentAmount.value", "value": "999"}})),
        )
        .await;
    let code = acqp.payment_code(&hub).await;
    let other = acqp.call(&hub, PAY, &upm_pay("g-1", &code, "100")).await;
    assert_eq!(
        other.code(),
        "SUCCESS",
        "another amount is not forced: {}",
        other.raw
    );
    let code = acqp.payment_code(&hub).await;
    let hit = acqp.call(&hub, PAY, &upm_pay("g-2", &code, "999")).await;
    assert_eq!(
        (hit.status(), hit.code()),
        ("U", "UNKNOWN_EXCEPTION"),
        "{}",
        hit.raw
    );

    let (status, _) = hub
        .admin(
            "DELETE",
            &format!("{path}/{}", forced["id"].as_str().unwrap()),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let code = acqp.payment_code(&hub).await;
    let after = acqp.call(&hub, PAY, &upm_pay("g-3", &code, "999")).await;
    assert_eq!(after.code(), "SUCCESS", "{}", after.raw);
    let (status, _) = hub.admin("DELETE", &format!("{path}/frc_nope"), None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn bad_forced_results_name_the_field() {
    let hub = TestHub::new();
    let acqp = hub.acqp().await;
    let path = format!("/projects/{}/forced-results", acqp.project.id);
    for (body, field) in [
        (json!({"api": "teleport", "resultCode": "SUCCESS"}), "api"),
        (
            json!({"api": "pay", "resultCode": "NOT_A_CODE"}),
            "resultCode",
        ),
        (
            json!({"api": "pay", "resultCode": "SUCCESS", "minutes": 121}),
            "minutes",
        ),
        (
            json!({"api": "pay", "resultCode": "SUCCESS", "when": {"field": "", "value": "1"}}),
            "when.field",
        ),
    ] {
        let (status, error) = hub.admin("POST", &path, Some(body.clone())).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}: {error}");
        assert!(
            error["message"].as_str().unwrap().starts_with(field),
            "{field}: {error}"
        );
    }
    let _ = hub.clock.now();
}
