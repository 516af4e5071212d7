//! The demo for a phone: over HTTPS with a self-signed certificate, a link that opens the demo
//! merchant's web wallet signed in, shown on the POS page too; everything in the process still
//! reaches the hub on loopback.

use linker_demo::{Demo, DemoOptions};
use linker_hub::server::tls::TlsSource;

#[tokio::test]
async fn a_phone_opens_the_demo_wallet_signed_in_over_https_from_the_link_the_pos_shows() {
    let demo = Demo::start(DemoOptions {
        tls: Some(TlsSource::SelfSigned),
        ..DemoOptions::default()
    })
    .await
    .expect("the demo starts over HTTPS");
    assert!(
        demo.public_url().starts_with("https://127.0.0.1:"),
        "phones reach the hub over HTTPS: {}",
        demo.public_url()
    );
    assert!(
        demo.hub_url().starts_with("http://127.0.0.1:"),
        "the process reaches it on loopback, plain: {}",
        demo.hub_url()
    );
    let made = demo.self_signed().expect("the certificate the hub made");
    let link = demo.web_wallet_link().await.expect("the wallet's link");
    assert!(
        link.starts_with(&format!("{}/app/open/", demo.public_url())),
        "{link}"
    );

    let state: serde_json::Value =
        reqwest::get(format!("{}/pos/api/state", demo.acquirer().base_url()))
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
    assert_eq!(
        state["walletLink"],
        link.as_str(),
        "the POS page shows the same link"
    );

    // A phone that trusts the certificate opens the link: a session, signed in.
    let pem = std::fs::read(&made.cert).unwrap();
    let phone = reqwest::Client::builder()
        .add_root_certificate(reqwest::Certificate::from_pem(&pem).unwrap())
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let opened = phone.get(&link).send().await.expect("the link over HTTPS");
    assert_eq!(opened.status().as_u16(), 303);
    let set = opened.headers()["set-cookie"].to_str().unwrap().to_owned();
    assert!(
        set.contains("; Secure"),
        "over HTTPS the cookie is Secure: {set}"
    );
    let cookie = set.split(';').next().unwrap().to_owned();
    let session: serde_json::Value = phone
        .post(format!("{}/app/api/session", demo.public_url()))
        .header("cookie", &cookie)
        .header("content-type", "application/json")
        .body("{}")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        session["merchant"]["mid"],
        demo.merchant().mid.as_str(),
        "the phone's wallet is the demo merchant's: {session}"
    );
    demo.shutdown().await;
}
