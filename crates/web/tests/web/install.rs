//! What makes the web wallet installable and reachable from a mail: the manifest, its icons,
//! the service worker, and the invitation link.

use serde_json::Value;

use crate::support::{Browser, Site};

/// The width and height a PNG's header says.
fn png_size(bytes: &[u8]) -> Option<(u32, u32)> {
    let header = bytes.get(..24)?;
    if &header[1..4] != b"PNG" {
        return None;
    }
    let number = |at: usize| {
        u32::from_be_bytes([header[at], header[at + 1], header[at + 2], header[at + 3]])
    };
    Some((number(16), number(20)))
}

#[tokio::test]
async fn the_manifest_names_the_app_and_its_icons_are_the_sizes_it_says() {
    let dir = tempfile::tempdir().unwrap();
    let site = Site::start(dir.path()).await;
    let browser = Browser::new(&site);
    let (status, kind, text) = browser.get("/app/manifest.webmanifest").await;
    assert_eq!(status, 200);
    assert!(kind.starts_with("application/manifest+json"), "{kind}");
    let manifest: Value = serde_json::from_str(&text).expect("the manifest is JSON");
    assert_eq!(
        manifest["display"], "standalone",
        "opens full screen: {manifest}"
    );
    assert_eq!(manifest["start_url"], "./", "{manifest}");
    assert!(
        manifest["name"]
            .as_str()
            .is_some_and(|n| n.contains("Linker")),
        "{manifest}"
    );
    let icons = manifest["icons"].as_array().expect("icons");
    for wanted in ["192x192", "512x512"] {
        let icon = icons
            .iter()
            .find(|icon| icon["sizes"] == wanted)
            .unwrap_or_else(|| panic!("a {wanted} icon: {manifest}"));
        let src = icon["src"].as_str().unwrap();
        let bytes = reqwest::get(format!("{}/app/{src}", site.url))
            .await
            .unwrap()
            .bytes()
            .await
            .unwrap();
        let (width, height) = png_size(&bytes).unwrap_or_else(|| panic!("{src} is a PNG"));
        assert_eq!(
            format!("{width}x{height}"),
            wanted,
            "{src} is the size the manifest says"
        );
    }
    let (status, kind, worker) = browser.get("/app/sw.js").await;
    assert_eq!(status, 200);
    assert!(kind.starts_with("text/javascript"), "{kind}");
    for file in [
        "index.html",
        "main.js",
        "lib/shell.js",
        "styles.css",
        "manifest.webmanifest",
    ] {
        assert!(
            worker.contains(&format!("\"{file}\"")),
            "the app shell includes {file}"
        );
    }
    assert!(
        worker.contains("/api/"),
        "commands are never served from the cache"
    );
}

#[tokio::test]
async fn an_invitation_link_opens_the_web_wallet_with_its_code_and_nothing_else_passes() {
    let dir = tempfile::tempdir().unwrap();
    let site = Site::start(dir.path()).await;
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let response = client
        .get(format!("{}/invite/K7QH-3MXP-9TRW", site.url))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 303);
    assert_eq!(
        response.headers()["location"].to_str().unwrap(),
        "/app/#invite=K7QH-3MXP-9TRW"
    );
    for hostile in ["%3Cscript%3E", "a%22b", "x".repeat(65).as_str()] {
        let response = client
            .get(format!("{}/invite/{hostile}", site.url))
            .send()
            .await
            .unwrap();
        assert_eq!(
            response.status().as_u16(),
            404,
            "{hostile:?} is not an invitation code and is not echoed anywhere"
        );
    }
}
