//! The desktop camera in the real WebKit window: with WebKit's mock capture device
//! (`LINKER_MOCK_CAMERA=1`) the Camera button starts a stream; with no camera at all (Xvfb has
//! none) it says so plainly instead of failing silently.

use std::time::{Duration, Instant};

use linker_demo::DemoOptions;

use crate::flows::Loop;

/// Presses Camera until the scan's status says something (the run screen redraws as events
/// arrive, and a press on a button being replaced is lost), then returns that status.
async fn press_camera(run: &mut Loop) -> String {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        run.app.click("#scan-camera").await;
        let pressed = Instant::now();
        while pressed.elapsed() < Duration::from_secs(4) {
            if let Ok(status) = run
                .app
                .client
                .find(fantoccini::Locator::Css("#scan-status"))
                .await
                && let Ok(text) = status.text().await
                && !text.is_empty()
            {
                return text;
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        if Instant::now() > deadline {
            run.app
                .fail("pressing Camera never gave the scan a status")
                .await;
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_camera_button_starts_a_stream_from_the_web_views_camera() {
    let mut run = Loop::start_with(
        "camera",
        DemoOptions::default(),
        &[("LINKER_MOCK_CAMERA", "1".to_owned())],
    )
    .await;
    run.sign_in().await;
    run.start_case("MOC-01").await;
    let status = press_camera(&mut run).await;
    run.app.find_within("#camera-slot video#camera", 15).await;
    assert_eq!(
        status, "Point the camera at the code…",
        "the camera is on and the wallet says what to do"
    );
    run.app.screenshot("camera-on").await;
    run.app.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_camera_the_camera_button_says_so() {
    let mut run = Loop::start("no-camera", DemoOptions::default()).await;
    run.sign_in().await;
    run.start_case("MOC-01").await;
    let text = press_camera(&mut run).await;
    assert!(
        text.starts_with("No camera is available"),
        "no camera, said plainly: {text:?}"
    );
    run.app.finish().await;
}
