//! What makes the web wallet installable and reachable from a mail: the manifest, its icons,
//! the service worker, Chromium's own verdict on installing it, and the invitation link.

use std::time::{Duration, Instant};

use serde_json::Value;

use crate::browser::{driver, element, phone_with};
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

#[tokio::test]
async fn a_checkout_or_authorization_link_opens_the_web_wallet_with_the_whole_url() {
    let dir = tempfile::tempdir().unwrap();
    let site = Site::start(dir.path()).await;
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    for path in ["/checkout/pay_2026ABC-12_x", "/authorize/auth_9XY"] {
        let response = client
            .get(format!("{}{path}", site.url))
            .send()
            .await
            .unwrap();
        let location = response
            .headers()
            .get("location")
            .map(|v| v.to_str().unwrap().to_owned());
        let page = format!("{}{path}", site.url);
        let expected: String = page
            .bytes()
            .map(|b| {
                if b.is_ascii_alphanumeric() {
                    (b as char).to_string()
                } else {
                    format!("%{b:02X}")
                }
            })
            .collect();
        assert_eq!(
            (response.status().as_u16(), location),
            (303, Some(format!("/app/#open={expected}"))),
            "{path}, the hub's own page, opens the web wallet with {page} percent-encoded"
        );
    }
    for hostile in [
        "/checkout/%3Cscript%3E",
        "/authorize/a%22b",
        "/checkout/a.b",
    ] {
        let response = client
            .get(format!("{}{hostile}", site.url))
            .send()
            .await
            .unwrap();
        assert_eq!(
            response.status().as_u16(),
            404,
            "{hostile:?} names no page of the hub and is not echoed anywhere"
        );
    }
}

/// A Chrome DevTools Protocol command, sent through chromedriver's
/// `POST /session/{id}/goog/cdp/execute`.
#[derive(Debug)]
struct Cdp {
    cmd: &'static str,
    params: Value,
}

impl fantoccini::wd::WebDriverCompatibleCommand for Cdp {
    fn endpoint(
        &self,
        base_url: &reqwest::Url,
        session_id: Option<&str>,
    ) -> Result<reqwest::Url, <reqwest::Url as std::str::FromStr>::Err> {
        base_url.join(&format!(
            "session/{}/goog/cdp/execute",
            session_id.unwrap_or_default()
        ))
    }

    fn method_and_body(&self, _: &reqwest::Url) -> (reqwest::Method, Option<String>) {
        let body = serde_json::json!({ "cmd": self.cmd, "params": self.params });
        (reqwest::Method::POST, Some(body.to_string()))
    }
}

async fn cdp(client: &fantoccini::Client, cmd: &'static str) -> Value {
    client
        .issue_cmd(Cdp {
            cmd,
            params: serde_json::json!({}),
        })
        .await
        .unwrap_or_else(|e| panic!("chromedriver runs {cmd}: {e}"))
}

#[tokio::test]
async fn chromium_finds_the_web_wallet_installable_on_this_machine() {
    let dir = tempfile::tempdir().unwrap();
    let site = Site::start(dir.path()).await;
    assert!(
        site.url.starts_with("http://127.0.0.1:"),
        "this machine counts as a secure origin, so no certificate is needed: {}",
        site.url
    );
    let driver = driver().await;
    let client = phone_with(&driver, &[]).await;
    client.goto(&format!("{}/app/", site.url)).await.unwrap();
    element(&client, "#sign-in").await;
    let worker = client
        .execute_async(
            "const done = arguments[arguments.length - 1];
             navigator.serviceWorker.ready.then((r) => done(r.active ? r.active.state : null));
             setTimeout(() => done(null), 20000);",
            vec![],
        )
        .await
        .unwrap();
    assert!(
        worker == "activated" || worker == "activating",
        "the app shell's service worker is active: {worker}"
    );

    let manifest = cdp(&client, "Page.getAppManifest").await;
    assert_eq!(
        manifest["url"],
        Value::String(format!("{}/app/manifest.webmanifest", site.url)),
        "Chromium found the manifest the page links: {manifest}"
    );
    assert_eq!(
        manifest["errors"],
        serde_json::json!([]),
        "the manifest parses without errors: {manifest}"
    );
    // Chromium checks installability once the worker controls the page; ask until it answers
    // with no errors, or say what it still objects to.
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let answer = cdp(&client, "Page.getInstallabilityErrors").await;
        let errors = &answer["installabilityErrors"];
        if errors == &serde_json::json!([]) {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "Chromium finds the web wallet installable (Add to Home Screen); it says: {answer}"
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    client.close().await.ok();
}
