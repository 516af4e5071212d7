//! Behind a reverse proxy every client reaches the hub from the proxy's address: with
//! `--trusted-proxy` the sign-in limits count the address the proxy forwards for, and without it
//! a client's own `X-Forwarded-For` is ignored (or it could pick a fresh address per guess).

use linker_hub::domain::throttle::TrustedProxies;
use serde_json::{Value, json};

/// A hub on a loopback port (the server records each connection's peer), trusting `proxies`.
async fn hub_behind(proxies: &[&str]) -> (String, tempfile::TempDir) {
    let data = tempfile::tempdir().unwrap();
    let config = crate::support::loopback_config(data.path());
    let server = linker_hub::Server::bind(&config).await.unwrap();
    server
        .hub
        .trust_proxies(TrustedProxies::parse(proxies).unwrap());
    let url = server.local_url();
    tokio::spawn(server.run(std::future::pending()));
    (url, data)
}

/// A wrong sign-in for `login` forwarded for `client`: the status and the error's code.
async fn guess(url: &str, login: &str, client: &str) -> (u16, String) {
    let response = reqwest::Client::new()
        .post(format!("{url}/wallet/v1/sign-in"))
        .header("X-Forwarded-For", client)
        .json(&json!({"login": login, "password": "not the password"}))
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    let body: Value = response.json().await.unwrap_or_default();
    (status, body["code"].as_str().unwrap_or_default().to_owned())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_trusted_proxys_forwarded_address_is_limited_and_an_untrusted_header_is_ignored() {
    let (url, _data) = hub_behind(&["127.0.0.1"]).await;
    for n in 1..=5 {
        let answer = guess(&url, &format!("M-SPRAY-{n}"), "6.6.6.6, 198.51.100.7").await;
        assert_eq!(
            answer,
            (401, "WRONG_CREDENTIALS".to_owned()),
            "guess {n} from 198.51.100.7 (each at a new login) is answered"
        );
    }
    assert_eq!(
        guess(&url, "M-SPRAY-6", "6.6.6.6, 198.51.100.7").await,
        (429, "TOO_MANY_ATTEMPTS".to_owned()),
        "the sixth guess from the address the proxy forwarded for waits, whatever login it tries"
    );
    assert_eq!(
        guess(&url, "M-SPRAY-7", "6.6.6.6, 198.51.100.8").await,
        (401, "WRONG_CREDENTIALS".to_owned()),
        "another client behind the same proxy is not held up"
    );

    // Without --trusted-proxy the same header counts for nothing: every guess reaches the hub
    // from loopback, which per-address limits leave alone (logins are still limited).
    let (url, _data) = hub_behind(&[]).await;
    for n in 1..=7 {
        assert_eq!(
            guess(&url, &format!("M-OTHER-{n}"), "198.51.100.7").await,
            (401, "WRONG_CREDENTIALS".to_owned()),
            "guess {n}: an untrusted X-Forwarded-For is not an address to limit (or to evade)"
        );
    }
}
