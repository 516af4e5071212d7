//! Evidence photos: stored once per wallet id, only PNG or JPEG, only on the merchant's own runs,
//! and named by manual answers.

use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;
use serde_json::json;
use tower::ServiceExt;

use crate::support::TestHub;
use crate::support::Wallet;
use crate::support::wallet::{PNG, put};

#[tokio::test]
async fn a_photo_is_stored_once_per_id_and_named_by_a_manual_answer() {
    let hub = TestHub::new();
    let acqp = hub.acqp().await;
    let wallet = Wallet::sign_in(&hub, &acqp, "M1").await;
    let run = wallet.start(&hub, "UPM-01").await;
    let path = format!("/runs/{run}/attachments/photo-1");

    let (status, stored) = put(&hub, wallet.token(), &path, PNG).await;
    assert_eq!(status, StatusCode::OK, "{stored}");
    assert_eq!(stored["contentType"], "image/png");
    let (status, again) = put(&hub, wallet.token(), &path, PNG).await;
    assert_eq!(
        (status, &again),
        (StatusCode::OK, &stored),
        "a retry changes nothing"
    );
    let (status, error) = put(&hub, wallet.token(), &path, b"\xFF\xD8\xFF\xE0other").await;
    assert_eq!(status, StatusCode::CONFLICT, "{error}");
    let (status, error) = put(
        &hub,
        wallet.token(),
        &format!("/runs/{run}/attachments/p2"),
        b"GIF89a",
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{error}");

    let view = wallet
        .send(&hub, "POST", &format!("/runs/{run}/manual-answers"), Some(json!({"writeId": "w1", "questionId": "pos-shows-success", "answer": true, "attachment": "photo-1"})))
        .await;
    assert_eq!(view.0, StatusCode::OK, "{}", view.1);
    let (status, error) = wallet
        .send(&hub, "POST", &format!("/runs/{run}/manual-answers"), Some(json!({"writeId": "w2", "questionId": "pos-shows-success", "answer": true, "attachment": "missing"})))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{error}");

    let request = Request::builder()
        .uri(format!("/wallet/v1{path}"))
        .header("authorization", format!("Bearer {}", wallet.token()))
        .body(Body::empty())
        .unwrap();
    let response = hub.router().oneshot(request).await.unwrap();
    assert_eq!(response.headers()["content-type"], "image/png");
    assert_eq!(
        response
            .into_body()
            .collect()
            .await
            .unwrap()
            .to_bytes()
            .as_ref(),
        PNG
    );

    let other = Wallet::sign_in(&hub, &acqp, "M2").await;
    let (status, _) = put(&hub, other.token(), &path, PNG).await;
    assert_eq!(
        status,
        StatusCode::NOT_FOUND,
        "not on another merchant's run"
    );
}

#[tokio::test]
async fn a_run_holds_a_bounded_number_of_photos_notes_are_bounded_and_a_closed_run_takes_none() {
    let hub = TestHub::new();
    let acqp = hub.acqp().await;
    let wallet = Wallet::sign_in(&hub, &acqp, "M1").await;
    let run = wallet.start(&hub, "UPM-01").await;
    for n in 0..linker_hub::domain::attachments::MAX_ATTACHMENTS_PER_RUN {
        let (status, error) = put(
            &hub,
            wallet.token(),
            &format!("/runs/{run}/attachments/p{n}"),
            PNG,
        )
        .await;
        assert_eq!(status, StatusCode::OK, "photo {n}: {error}");
    }
    let (status, error) = put(
        &hub,
        wallet.token(),
        &format!("/runs/{run}/attachments/one-more"),
        PNG,
    )
    .await;
    assert_eq!(
        status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "one photo too many: {error}"
    );
    assert!(
        error["message"]
            .as_str()
            .unwrap()
            .contains("at most 20 photos"),
        "{error}"
    );

    let long = "x".repeat(linker_hub::domain::runs::wallet::MAX_NOTE_CHARS + 1);
    let (status, error) = wallet
        .send(&hub, "POST", &format!("/runs/{run}/manual-answers"), Some(json!({"writeId": "w1", "questionId": "pos-shows-success", "answer": true, "note": long})))
        .await;
    assert_eq!(
        status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "a note too long: {error}"
    );

    // Starting another run ends this one: it takes no new photo, but a retry of one it holds
    // still answers (the wallet's outbox may send it again).
    wallet.start(&hub, "UPM-02").await;
    let (status, error) = put(
        &hub,
        wallet.token(),
        &format!("/runs/{run}/attachments/late"),
        PNG,
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT, "{error}");
    assert_eq!(error["code"], "RUN_OVER", "{error}");
    let (status, _) = put(
        &hub,
        wallet.token(),
        &format!("/runs/{run}/attachments/p0"),
        PNG,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "a retry of a photo it holds");
}
