//! The phone's camera in the web wallet: Chromium's fake camera plays a video of the POS's order
//! code (a Y4M file the test makes from the code the ACQP got), the wallet reads it from the
//! camera's frames and shows the payment to confirm, then pays.

use std::time::{Duration, Instant};

use crate::browser::{assert_fits_the_phone, driver, element, phone_with, shot, tap, text_of};
use crate::support::{PASSWORD, Site, qr_video};

#[tokio::test]
async fn the_phone_camera_reads_the_pos_order_code_and_the_customer_pays() {
    let dir = tempfile::tempdir().unwrap();
    let site = Site::start(dir.path()).await;
    let invitation = site.invite("C100", &["ORDER_CODE"]).await;
    let order = site.order_code("camera-1").await;
    let video = dir.path().join("pos-order-code.y4m");
    qr_video(&order, &video);
    let driver = driver().await;
    let client = phone_with(
        &driver,
        &[
            "--use-fake-device-for-media-stream".to_owned(),
            "--use-fake-ui-for-media-stream".to_owned(),
            format!("--use-file-for-fake-video-capture={}", video.display()),
        ],
    )
    .await;

    client
        .goto(&format!("{}/invite/{invitation}", site.url))
        .await
        .unwrap();
    let field = element(&client, "#invitation-code").await;
    let deadline = Instant::now() + Duration::from_secs(10);
    while field.prop("value").await.unwrap().as_deref() != Some(invitation.as_str()) {
        assert!(
            Instant::now() < deadline,
            "the invitation link fills in the code"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    element(&client, "#new-password")
        .await
        .send_keys(PASSWORD)
        .await
        .unwrap();
    tap(&client, "#submit-invitation").await;
    tap(&client, "#case-MOC-01").await;
    tap(&client, "#start-run").await;
    tap(&client, "#scan-camera").await;
    shot(&client, "camera").await;

    assert_eq!(
        text_of(&client, "#confirm-merchant").await,
        "Linker Cafe",
        "the camera read the POS's order code and the wallet shows whom the customer pays"
    );
    let amount = text_of(&client, "#confirm-amount").await;
    assert!(amount.contains("42.00"), "the order's amount: {amount}");
    shot(&client, "confirm").await;
    assert_fits_the_phone(&client, "a long order-code URL in the scan's status wraps").await;
    assert_eq!(
        site.payment_status("camera-1").await,
        "PAYMENT_IN_PROCESS",
        "until the customer pays, the ACQP's inquiry says in process"
    );
    tap(&client, "#pay-now").await;
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let status = site.payment_status("camera-1").await;
        if status == "SUCCESS" {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "after Pay Now the ACQP's inquiry says SUCCESS; it says {status:?}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    shot(&client, "paid").await;
    client.close().await.ok();
}
