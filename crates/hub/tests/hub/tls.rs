//! HTTPS (`Server::with_tls`): the hub answers over TLS with the given certificate, refuses plain
//! HTTP on that port, and a client that connects and never handshakes holds up no one else.

use std::path::PathBuf;
use std::time::Duration;

use linker_hub::{ServeConfig, Server};

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

/// A hub on a free loopback port with its data in `dir`.
fn loopback(dir: &std::path::Path) -> ServeConfig {
    ServeConfig {
        data_dir: dir.to_path_buf(),
        listen: "127.0.0.1:0".parse().unwrap(),
        public_url: None,
        test_clock: true,
    }
}

#[tokio::test]
async fn the_hub_serves_https_with_its_certificate_and_a_silent_client_blocks_no_one() {
    let dir = tempfile::tempdir().unwrap();
    let config = loopback(dir.path());
    let server = Server::bind(&config)
        .await
        .unwrap()
        .with_tls(
            &fixture("smtp-test-server.pem"),
            &fixture("smtp-test-server.key"),
        )
        .unwrap();
    let port = server.address.port();
    assert_eq!(server.local_url(), format!("https://127.0.0.1:{port}"));
    tokio::spawn(server.run(std::future::pending()));

    // A client that opens a connection and says nothing.
    let _silent = tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .unwrap();

    let ca = std::fs::read(fixture("smtp-test-ca.pem")).unwrap();
    let client = reqwest::Client::builder()
        .add_root_certificate(reqwest::Certificate::from_pem(&ca).unwrap())
        .timeout(Duration::from_secs(5))
        .build()
        .unwrap();
    let response = client
        .get(format!("https://localhost:{port}/health"))
        .send()
        .await
        .expect("an HTTPS answer while another client sits silent");
    assert_eq!(response.text().await.unwrap(), "ok");

    let plain = reqwest::Client::builder()
        .timeout(Duration::from_secs(5))
        .build()
        .unwrap()
        .get(format!("http://127.0.0.1:{port}/health"))
        .send()
        .await;
    assert!(
        plain.is_err() || plain.is_ok_and(|r| !r.status().is_success()),
        "plain HTTP is not served on the HTTPS port"
    );

    let untrusted = reqwest::Client::builder()
        .timeout(Duration::from_secs(5))
        .build()
        .unwrap()
        .get(format!("https://localhost:{port}/health"))
        .send()
        .await;
    assert!(
        untrusted.is_err(),
        "a client that does not trust the certificate's CA is refused"
    );
}

#[tokio::test]
async fn a_key_that_does_not_match_or_a_missing_file_is_refused_naming_the_problem() {
    let dir = tempfile::tempdir().unwrap();
    let config = loopback(dir.path());
    let missing = Server::bind(&config)
        .await
        .unwrap()
        .with_tls(&fixture("no-such.pem"), &fixture("smtp-test-server.key"))
        .map(|_| ())
        .unwrap_err()
        .to_string();
    assert!(
        missing.contains("no-such.pem"),
        "the file is named: {missing}"
    );
    let not_a_cert = Server::bind(&config)
        .await
        .unwrap()
        .with_tls(
            &fixture("smtp-test-server.key"),
            &fixture("smtp-test-server.key"),
        )
        .map(|_| ())
        .unwrap_err()
        .to_string();
    assert!(
        not_a_cert.contains("no certificate"),
        "a key file given as the certificate: {not_a_cert}"
    );
}
