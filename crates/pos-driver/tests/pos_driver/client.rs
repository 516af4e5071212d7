//! The client against small fake drivers: answers, protocol errors, unreachable, not the protocol.

use std::time::Duration;

use axum::Router;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::{get, post};
use linker_aplus::Amount;
use linker_pos_driver::{
    ChargeRequest, DisplayState, ErrorCode, PosDriverClient, PosDriverError, Product,
};

async fn serve(router: Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move {
        axum::serve(listener, router).await.unwrap();
    });
    format!("http://{address}")
}

fn charge() -> ChargeRequest {
    ChargeRequest {
        run_id: "run_1".into(),
        case_id: "UPM-01".into(),
        amount: Amount::parse("HKD", "1000").unwrap(),
        payment_code: "281999123456789012345678".into(),
    }
}

#[tokio::test]
async fn answers_and_errors_are_told_apart() {
    let router = Router::new()
        .route(
            "/pos/v1/capabilities",
            get(|headers: HeaderMap| async move {
                let auth = headers
                    .get("authorization")
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or_default()
                    .to_owned();
                if auth != "Bearer secret" {
                    return (StatusCode::UNAUTHORIZED, "no".to_owned());
                }
                (
                    StatusCode::OK,
                    r#"{"name":"fake","version":"1","products":["UPM"],"currencies":["HKD"],"display":true}"#
                        .to_owned(),
                )
            }),
        )
        .route(
            "/pos/v1/charge",
            post(|| async {
                (
                    StatusCode::NOT_IMPLEMENTED,
                    r#"{"error":{"code":"UNSUPPORTED","message":"no scanner"}}"#,
                )
            }),
        )
        .route(
            "/pos/v1/display",
            get(|query: axum::extract::RawQuery| async move {
                let q = query.0.unwrap_or_default();
                if q == "posPaymentId=pos%201" {
                    (StatusCode::OK, r#"{"state":"partially_refunded","reason":null,"text":"Refunded HKD 1.00"}"#.to_owned())
                } else {
                    (StatusCode::OK, format!("<html>{q}</html>"))
                }
            }),
        )
        .route("/pos/v1/cancel", post(|| async { (StatusCode::INTERNAL_SERVER_ERROR, "boom") }));
    let base = serve(router).await;

    let client = PosDriverClient::new(&format!("{base}/pos/v1/"), Some("secret".into())).unwrap();
    assert_eq!(client.base_url(), base, "a trailing /pos/v1/ is tolerated");
    let caps = client.capabilities().await.unwrap();
    assert_eq!(caps.products, vec![Product::Upm], "{caps:?}");

    let error = client.charge(&charge()).await.unwrap_err();
    assert!(
        matches!(&error, PosDriverError::Driver { status: 501, code: ErrorCode::Unsupported, message } if message == "no scanner"),
        "a protocol error is a Driver error with its code: {error:?}"
    );

    let shown = client.display("pos 1").await.unwrap();
    assert_eq!(
        shown.state,
        DisplayState::PartiallyRefunded,
        "the query is encoded: {shown:?}"
    );
    let error = client.display("other").await.unwrap_err();
    assert!(
        matches!(&error, PosDriverError::NotProtocol { what, .. } if what.contains("HTTP 200") && what.contains("<html>")),
        "HTML is not the protocol, and the error shows it: {error}"
    );
    let error = client
        .cancel(&linker_pos_driver::CancelRequest {
            run_id: "r".into(),
            case_id: "c".into(),
            pos_payment_id: "p".into(),
        })
        .await
        .unwrap_err();
    assert!(
        matches!(&error, PosDriverError::NotProtocol { what, .. } if what.contains("HTTP 500") && what.contains("boom")),
        "{error}"
    );

    let unauthorised = PosDriverClient::new(&base, None).unwrap();
    let error = unauthorised.capabilities().await.unwrap_err();
    assert!(
        matches!(error, PosDriverError::NotProtocol { .. }),
        "{error}"
    );
}

#[tokio::test]
async fn a_closed_port_and_a_silent_driver_are_unreachable() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let address = listener.local_addr().unwrap();
    drop(listener);
    let client = PosDriverClient::new(&format!("http://{address}"), None).unwrap();
    let error = client.capabilities().await.unwrap_err();
    assert!(
        matches!(error, PosDriverError::Unreachable { .. }),
        "refused: {error}"
    );

    let silent = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = silent.local_addr().unwrap();
    tokio::spawn(async move {
        let mut held = Vec::new();
        loop {
            if let Ok((socket, _)) = silent.accept().await {
                held.push(socket);
            }
        }
    });
    let client = PosDriverClient::with_timeout(
        &format!("http://{address}"),
        None,
        Duration::from_millis(300),
    )
    .unwrap();
    let error = client.charge(&charge()).await.unwrap_err();
    assert!(
        matches!(error, PosDriverError::Unreachable { .. }),
        "timeout: {error}"
    );

    assert!(matches!(
        PosDriverClient::new("ftp://x", None),
        Err(PosDriverError::BadBaseUrl(_))
    ));
}

#[tokio::test]
async fn a_v1_driver_without_the_optional_capabilities_still_parses_and_account_is_read() {
    let router = Router::new()
        .route(
            "/pos/v1/capabilities",
            get(|| async {
                r#"{"name":"old","version":"1","products":["UPM"],"currencies":["HKD"],"display":false}"#
            }),
        )
        .route(
            "/pos/v1/account",
            get(|| async { r#"{"linked":false,"text":"Not linked: revoked in the wallet"}"# }),
        );
    let base = serve(router).await;
    let client = PosDriverClient::new(&base, None).unwrap();
    let caps = client.capabilities().await.unwrap();
    assert!(
        !caps.account && !caps.display_by_payment_request_id,
        "absent optional capabilities read as false: {caps:?}"
    );
    let with_both: linker_pos_driver::Capabilities = serde_json::from_str(
        r#"{"name":"new","version":"1","products":["AUTO_DEBIT"],"currencies":["HKD"],"display":true,"account":true,"displayByPaymentRequestId":true}"#,
    )
    .unwrap();
    assert!(
        with_both.account && with_both.display_by_payment_request_id,
        "{with_both:?}"
    );
    let account = client.account().await.unwrap();
    assert!(
        !account.linked && account.text.contains("revoked"),
        "the account answer is read as sent: {account:?}"
    );
}
