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
