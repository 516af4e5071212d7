//! The first screen: the brand, the two ways in, and an honest answer when a way is not there yet.

use crate::harness::App;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn first_screen_shows_the_brand_and_both_ways_in() {
    let mut app = App::start("first-screen").await;

    let title = app.find("h1.brand-name").await.text().await.unwrap();
    assert_eq!(title, "Linker", "the first screen's heading");

    let sign_in = app.find("#sign-in").await.text().await.unwrap();
    assert_eq!(
        sign_in, "Sign in with your invitation",
        "the sign-in button's label"
    );
    let demo = app.find("#try-demo").await;
    assert_eq!(
        demo.text().await.unwrap(),
        "Try the demo",
        "the demo button's label"
    );

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

    app.screenshot("welcome").await;
    demo.click().await.unwrap();
    let notice = app
        .find("#notice:not([hidden])")
        .await
        .text()
        .await
        .unwrap();
    if !notice.contains("demo") {
        app.fail(&format!(
            "clicking Try the demo should explain its state, it showed {notice:?}"
        ))
        .await;
    }
    let version = app.find("#version").await.text().await.unwrap();
    assert!(
        version.contains(env!("CARGO_PKG_VERSION")),
        "the footer shows the app version through the app_info command, it shows {version:?}"
    );
    let shot = app.screenshot("after-demo-click").await;
    let shots = app.finish().await;
    assert!(shot.exists(), "screenshot saved at {}", shot.display());
    eprintln!("screenshots: {shots:?}");
}
