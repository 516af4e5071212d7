//! The web wallet in headless Chromium at phone size (390 x 844, touch, a phone's user agent):
//! the screens load from /app/, talk to the hub over HTTP instead of Tauri's IPC, sign in with an
//! invitation and list the merchant's cases; desktop-only controls are hidden. Screenshots go to
//! `target/web-screenshots/`.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder, Locator};

use crate::support::{PASSWORD, Site};

const CHROMIUM: &str = "/usr/bin/chromium";
const CHROMEDRIVER: &str = "/usr/bin/chromedriver";

/// chromedriver on a free port, ended when dropped.
pub struct Driver {
    child: std::process::Child,
    url: String,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub async fn driver() -> Driver {
    assert!(
        std::path::Path::new(CHROMIUM).exists() && std::path::Path::new(CHROMEDRIVER).exists(),
        "the web wallet's browser test needs Debian's chromium and chromium-driver"
    );
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let child = std::process::Command::new(CHROMEDRIVER)
        .arg(format!("--port={port}"))
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("chromedriver starts");
    let deadline = Instant::now() + Duration::from_secs(20);
    while tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .is_err()
    {
        assert!(
            Instant::now() < deadline,
            "chromedriver did not listen within 20 s"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    Driver {
        child,
        url: format!("http://127.0.0.1:{port}"),
    }
}

/// A phone-sized Chromium: mobile emulation with touch and a phone's user agent.
async fn phone(driver: &Driver) -> Client {
    phone_with(driver, &[]).await
}

/// A phone-sized Chromium with more command-line switches (a fake camera, say).
pub async fn phone_with(driver: &Driver, extra: &[String]) -> Client {
    let mut args: Vec<String> = [
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-background-networking",
        "--no-first-run",
    ]
    .map(str::to_owned)
    .to_vec();
    args.extend(extra.iter().cloned());
    let mut caps = serde_json::Map::new();
    caps.insert(
        "goog:chromeOptions".to_owned(),
        serde_json::json!({
            "binary": CHROMIUM,
            "args": args,
            "mobileEmulation": {
                "deviceMetrics": { "width": 390, "height": 844, "pixelRatio": 3.0, "touch": true },
                "userAgent": "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Mobile Safari/537.36"
            }
        }),
    );
    ClientBuilder::rustls()
        .expect("a TLS setup")
        .capabilities(caps)
        .connect(&driver.url)
        .await
        .expect("a Chromium session")
}

/// A desktop-sized Chromium (1366 x 900), for the hub's console.
pub async fn desktop_with(driver: &Driver, extra: &[String]) -> Client {
    let mut args: Vec<String> = [
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-background-networking",
        "--no-first-run",
        "--window-size=1366,900",
    ]
    .map(str::to_owned)
    .to_vec();
    args.extend(extra.iter().cloned());
    let mut caps = serde_json::Map::new();
    caps.insert(
        "goog:chromeOptions".to_owned(),
        serde_json::json!({ "binary": CHROMIUM, "args": args }),
    );
    ClientBuilder::rustls()
        .expect("a TLS setup")
        .capabilities(caps)
        .connect(&driver.url)
        .await
        .expect("a Chromium session")
}

pub fn screenshots() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target/web-screenshots");
    std::fs::create_dir_all(&dir).unwrap();
    dir.canonicalize().unwrap()
}

/// Writes what the browser shows to `target/web-screenshots/<name>.png`; returns the PNG.
pub async fn shot(client: &Client, name: &str) -> Vec<u8> {
    let png = client.screenshot().await.expect("a screenshot");
    std::fs::write(screenshots().join(format!("{name}.png")), &png).unwrap();
    png
}

/// The page is no wider than the phone (390 px): nothing scrolls sideways.
pub async fn assert_fits_the_phone(client: &Client, what: &str) {
    let width = client
        .execute("return document.documentElement.scrollWidth", vec![])
        .await
        .unwrap();
    assert!(
        width.as_u64().is_some_and(|w| w <= 390),
        "{what}: no horizontal scrolling at 390 px, but the page is {width} px wide"
    );
}

pub async fn element(client: &Client, css: &str) -> fantoccini::elements::Element {
    client
        .wait()
        .at_most(Duration::from_secs(30))
        .for_element(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("{css}: {e}"))
}

/// Taps `css`, looking it up again when the run screen replaced it between the lookup and the
/// tap (it redraws itself as the run's events arrive).
pub async fn tap(client: &Client, css: &str) {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let error = match element(client, css).await.click().await {
            Ok(()) => return,
            Err(error) => error,
        };
        assert!(
            Instant::now() < deadline,
            "{css} could not be tapped within 30 s: {error}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The text of `css` once it is on the screen, read in one step in the page (a screen that
/// redraws itself cannot replace it between a lookup and the read).
pub async fn text_of(client: &Client, css: &str) -> String {
    let text = wait_for(
        client,
        &format!(
            "const e = document.querySelector({}); return e && e.textContent;",
            serde_json::json!(css)
        ),
        30,
        &format!("{css} is shown"),
    )
    .await;
    text.as_str().unwrap_or_default().to_owned()
}

/// Types `text` into the field `css`, looking it up again when the screen replaced it between
/// the lookup and the typing (screens render again once their data arrives).
pub async fn type_into(client: &Client, css: &str, text: &str) {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let field = element(client, css).await;
        let typed = field.clear().await.and(field.send_keys(text).await);
        if typed.is_ok() && field.prop("value").await.ok().flatten().as_deref() == Some(text) {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "{text:?} could not be typed into {css} within 30 s: {typed:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Scrolls the page so that `css` is in the middle of the screen (for a screenshot of it).
pub async fn scroll_to(client: &Client, css: &str) {
    element(client, css).await;
    client
        .execute(
            "document.querySelector(arguments[0]).scrollIntoView({block: 'center'});",
            vec![serde_json::json!(css)],
        )
        .await
        .unwrap();
}

/// Evaluates `script` (a function body that returns a value) until it returns something other
/// than null or false, for at most `seconds`; returns that. `what` and the last value say what
/// did not happen.
pub async fn wait_for(
    client: &Client,
    script: &str,
    seconds: u64,
    what: &str,
) -> serde_json::Value {
    let deadline = Instant::now() + Duration::from_secs(seconds);
    loop {
        let value = client
            .execute(script, vec![])
            .await
            .unwrap_or(serde_json::Value::Null);
        if !value.is_null() && value != serde_json::Value::Bool(false) {
            return value;
        }
        assert!(
            Instant::now() < deadline,
            "{what} within {seconds} s (the page's {} says {value})",
            client
                .current_url()
                .await
                .map(|url| url.to_string())
                .unwrap_or_default()
        );
        tokio::time::sleep(Duration::from_millis(150)).await;
    }
}

/// The run open on the phone's run screen: its id, once the hub gave it one.
pub async fn run_id(client: &Client, case: &str) -> String {
    let id = wait_for(
        client,
        "const run = document.querySelector('#run'); return run && run.dataset.runId || null;",
        30,
        &format!("{case}'s run starts"),
    )
    .await;
    id.as_str().unwrap().to_owned()
}

#[tokio::test]
async fn a_merchant_signs_in_on_a_phone_and_sees_its_cases() {
    let dir = tempfile::tempdir().unwrap();
    let site = Site::start(dir.path()).await;
    let code = site.invite("P100", &["UPM"]).await;
    let driver = driver().await;
    let client = phone(&driver).await;

    client.goto(&format!("{}/app/", site.url)).await.unwrap();
    element(&client, "#sign-in").await;
    shot(&client, "welcome").await;
    let demo_shown = client
        .execute(
            "return getComputedStyle(document.querySelector('#try-demo')).display !== 'none'",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(
        demo_shown,
        serde_json::json!(false),
        "the desktop demo is not offered in a browser"
    );

    element(&client, "#sign-in").await.click().await.unwrap();
    element(&client, "#invitation-code").await;

    // The invitation mail's link opens the sign-in with the code filled in. The time from the
    // link to the case list is printed (a figure for the notes, never an assertion).
    let opened = Instant::now();
    client
        .goto(&format!("{}/invite/{code}", site.url))
        .await
        .unwrap();
    let field = element(&client, "#invitation-code").await;
    let deadline = Instant::now() + Duration::from_secs(10);
    while field.prop("value").await.unwrap().as_deref() != Some(code.as_str()) {
        assert!(
            Instant::now() < deadline,
            "the invitation link fills in {code}; the field holds {:?}",
            field.prop("value").await.unwrap()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    element(&client, "#new-password")
        .await
        .send_keys(PASSWORD)
        .await
        .unwrap();
    shot(&client, "sign-in").await;
    element(&client, "#submit-invitation")
        .await
        .click()
        .await
        .unwrap();

    let cases = element(&client, "[data-screen=cases]").await;
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut text = cases.text().await.unwrap_or_default();
    while !text.contains("UPM-01") {
        assert!(
            Instant::now() < deadline,
            "the cases screen lists UPM-01 within 30 s; it shows: {text:?}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
        text = cases.text().await.unwrap_or_default();
    }
    eprintln!(
        "web wallet: invitation link to the first case list in {} ms (typing included)",
        opened.elapsed().as_millis()
    );
    shot(&client, "cases").await;
    assert_fits_the_phone(&client, "the cases").await;
    assert_eq!(
        site.shell.sessions().count(),
        1,
        "the phone's browser has one web wallet session"
    );
    let worker = client
        .execute_async(
            "const done = arguments[arguments.length - 1];
             navigator.serviceWorker.ready.then((r) => done(r.active ? r.scope : null));
             setTimeout(() => done(null), 10000);",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(
        worker,
        serde_json::json!(format!("{}/app/", site.url)),
        "the service worker that caches the app shell is active for /app/"
    );
    client.close().await.ok();
}
