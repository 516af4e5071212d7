//! The first screen: the brand, the two ways in, and demo mode: "Try the demo" starts the hub,
//! the demo merchant and the reference acquirer inside the app, signs in, and opens the POS in a
//! second window.

use std::time::{Duration, Instant};

use crate::harness::App;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn first_screen_shows_the_brand_and_try_the_demo_opens_the_pos_beside_the_wallet() {
    let data = tempfile::tempdir().unwrap();
    let mut app = App::start_with(
        "first-screen",
        &[("LINKER_WALLET_DATA", data.path().display().to_string())],
    )
    .await;

    let title = app.text("h1.brand-name").await;
    assert_eq!(title, "Linker", "the first screen's heading");
    let sign_in = app.text("#sign-in").await;
    assert_eq!(
        sign_in, "Sign in with your invitation",
        "the sign-in button's label"
    );
    let demo = app.text("#try-demo").await;
    assert_eq!(demo, "Try the demo", "the demo button's label");

    let width = app
        .client
        .execute("return document.documentElement.clientWidth", vec![])
        .await
        .unwrap();
    let width = width.as_u64().unwrap_or(0);
    if !(300..=480).contains(&width) {
        app.fail(&format!(
            "the window should be phone-sized (about 400 px wide), it is {width} px"
        ))
        .await;
    }
    let version = app.text("#version").await;
    assert!(
        version.contains(env!("CARGO_PKG_VERSION")),
        "the footer shows the app version through the app_info command, it shows {version:?}"
    );
    app.screenshot("welcome").await;

    app.click("#try-demo").await;
    app.find_within(".case-row", 60).await;
    let banner = app.text("#demo-banner").await;
    assert!(banner.contains("Demo"), "the demo banner: {banner:?}");
    app.screenshot("demo-cases").await;

    let deadline = Instant::now() + Duration::from_secs(20);
    let windows = loop {
        let windows = app.client.windows().await.unwrap_or_default();
        if windows.len() >= 2 || Instant::now() > deadline {
            break windows;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    };
    if windows.len() < 2 {
        app.fail(&format!(
            "demo mode should open the POS in a second window, there are {} windows",
            windows.len()
        ))
        .await;
    }
    let main = app.client.window().await.unwrap();
    for handle in windows.into_iter().filter(|w| *w != main) {
        app.client.switch_to_window(handle).await.unwrap();
        let url = app.client.current_url().await.unwrap();
        if url.path() == "/pos" {
            let pos = app.text("#fromScreen").await;
            assert_eq!(
                pos, "Scan from screen",
                "the POS page takes codes from the screen"
            );
            app.screenshot("demo-pos").await;
        }
    }
    app.client.switch_to_window(main).await.unwrap();
    let shots = app.finish().await;
    eprintln!("screenshots: {shots:?}");
}
