//! HTTPS (`ServeConfig::tls`): the hub answers over TLS with the given certificate, refuses plain
//! HTTP on that port, and a client that connects and never handshakes holds up no one else.

use std::path::PathBuf;
use std::time::Duration;

use linker_hub::server::tls::TlsSource;
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
        tls: None,
    }
}

#[tokio::test]
async fn the_hub_serves_https_with_its_certificate_and_a_silent_client_blocks_no_one() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = loopback(dir.path());
    config.tls = Some(TlsSource::Files {
        cert: fixture("smtp-test-server.pem"),
        key: fixture("smtp-test-server.key"),
    });
    let server = Server::bind(&config).await.unwrap();
    let port = server.address.port();
    assert_eq!(server.local_url(), format!("https://127.0.0.1:{port}"));
    assert_eq!(
        server.hub.public_url(),
        format!("https://127.0.0.1:{port}"),
        "over HTTPS the hub's own links are https"
    );
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

/// Why a hub with these certificate files does not start.
async fn refusal(dir: &std::path::Path, cert: &str, key: &str) -> String {
    let mut config = loopback(dir);
    config.tls = Some(TlsSource::Files {
        cert: fixture(cert),
        key: fixture(key),
    });
    match Server::bind(&config).await {
        Ok(_) => panic!("a hub with {cert} and {key} started"),
        Err(error) => error.to_string(),
    }
}

#[tokio::test]
async fn a_key_that_does_not_match_or_a_missing_file_is_refused_naming_the_problem() {
    let dir = tempfile::tempdir().unwrap();
    let missing = refusal(dir.path(), "no-such.pem", "smtp-test-server.key").await;
    assert!(
        missing.contains("no-such.pem"),
        "the file is named: {missing}"
    );
    let not_a_cert = refusal(dir.path(), "smtp-test-server.key", "smtp-test-server.key").await;
    assert!(
        not_a_cert.contains("no certificate"),
        "a key file given as the certificate: {not_a_cert}"
    );
}

#[tokio::test]
async fn a_self_signed_hub_makes_a_certificate_for_its_names_and_keeps_it_across_starts() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = loopback(dir.path());
    config.tls = Some(TlsSource::SelfSigned);
    let server = Server::bind(&config).await.unwrap();
    let port = server.address.port();
    let made = server.self_signed.clone().expect("the certificate it made");
    assert!(made.created, "the first start makes the certificate");
    for name in ["localhost", "127.0.0.1"] {
        assert!(
            made.names.iter().any(|n| n == name),
            "the certificate is for {name}: {:?}",
            made.names
        );
    }
    assert_eq!(made.fingerprint.len(), 32 * 3 - 1, "{}", made.fingerprint);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(&made.key).unwrap().permissions().mode();
        assert_eq!(mode & 0o077, 0, "only the owner may read the key: {mode:o}");
    }
    assert_eq!(server.hub.public_url(), format!("https://127.0.0.1:{port}"));
    let stop = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(server.run(async move {
        let _ = stop.1.await;
    }));

    // A client that trusts exactly this certificate reaches the hub by name and by address.
    let pem = std::fs::read(&made.cert).unwrap();
    let client = reqwest::Client::builder()
        .add_root_certificate(reqwest::Certificate::from_pem(&pem).unwrap())
        .timeout(Duration::from_secs(5))
        .build()
        .unwrap();
    for host in ["localhost", "127.0.0.1"] {
        let answer = client
            .get(format!("https://{host}:{port}/health"))
            .send()
            .await
            .unwrap_or_else(|error| panic!("https://{host}: {error:?}"));
        assert_eq!(answer.text().await.unwrap(), "ok");
    }
    let _ = stop.0.send(());
    task.await.unwrap().unwrap();

    // The next start keeps it, so a phone that trusted it once still does.
    let again = Server::bind(&config).await.unwrap();
    let kept = again.self_signed.clone().unwrap();
    assert!(!kept.created, "a restart keeps the certificate");
    assert_eq!(kept.fingerprint, made.fingerprint);
    drop(again);

    // Another name (here a public URL's host) gets a new one.
    config.public_url = Some("https://hub.shop.example:8443".to_owned());
    let moved = Server::bind(&config).await.unwrap();
    let remade = moved.self_signed.clone().unwrap();
    assert!(remade.created && remade.fingerprint != made.fingerprint);
    assert!(remade.names.iter().any(|n| n == "hub.shop.example"));
    assert_eq!(moved.hub.public_url(), "https://hub.shop.example:8443");
}
