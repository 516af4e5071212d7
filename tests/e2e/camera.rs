//! The desktop camera in the real WebKit window: with WebKit's mock capture device
//! (`LINKER_MOCK_CAMERA=1`) the Camera button starts a stream; with no camera at all (Xvfb has
//! none) it says so plainly instead of failing silently.

use linker_demo::DemoOptions;

use crate::flows::Loop;

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
    run.app.click("#scan-camera").await;
    run.app.find_within("#camera-slot video#camera", 15).await;
    let status = run.app.text("#scan-status").await;
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
    run.app.click("#scan-camera").await;
    let status = run.app.find_within("#scan-status", 15).await;
    let text = status.text().await.unwrap_or_default();
    assert!(
        text.starts_with("No camera is available"),
        "no camera, said plainly: {text:?}"
    );
    run.app.finish().await;
}
