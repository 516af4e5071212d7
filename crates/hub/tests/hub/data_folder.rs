//! The data folder holds every project's private key: a hub makes it, and the database in it,
//! readable by their owner only, whatever the umask.

#[cfg(unix)]
#[tokio::test]
async fn a_new_data_folder_and_its_database_are_the_owners_alone() {
    use std::os::unix::fs::PermissionsExt as _;

    let parent = tempfile::tempdir().unwrap();
    let data = parent.path().join("hub-data");
    let config = linker_hub::ServeConfig {
        data_dir: data.clone(),
        listen: "127.0.0.1:0".parse().unwrap(),
        public_url: None,
        test_clock: true,
        tls: Some(linker_hub::server::tls::TlsSource::SelfSigned),
    };
    let server = linker_hub::Server::bind(&config).await.unwrap();
    let mode = |path: &std::path::Path| {
        std::fs::metadata(path)
            .unwrap_or_else(|error| panic!("{}: {error}", path.display()))
            .permissions()
            .mode()
            & 0o777
    };
    assert_eq!(mode(&data), 0o700, "the data folder");
    assert_eq!(mode(&data.join("tls")), 0o700, "the certificate's folder");
    for file in [
        "hub.sqlite",
        "hub.sqlite-wal",
        "admin-token",
        "tls/self-signed-key.pem",
    ] {
        let path = data.join(file);
        if path.exists() {
            assert_eq!(
                mode(&path) & 0o077,
                0,
                "{file} is the owner's alone: {:o}",
                mode(&path)
            );
        }
    }
    assert!(data.join("hub.sqlite").exists());
    drop(server);
}
