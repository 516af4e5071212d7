//! Starts what an end-to-end test needs: an X display (its own Xvfb, unless `LINKER_E2E_DISPLAY`
//! names one to watch the test on), tauri-driver with WebKitWebDriver, and a WebDriver session on
//! the real app binary. Everything is stopped when the [`App`] is dropped. Every failure names the
//! part that could not start.

use std::io::{BufRead, BufReader};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder, Locator, elements::Element};

/// A running X server started for the test, or the one the environment already names.
struct Display {
    name: String,
    xvfb: Option<Child>,
}

impl Display {
    fn start() -> Display {
        if let Ok(name) = std::env::var("LINKER_E2E_DISPLAY")
            && !name.is_empty()
        {
            return Display { name, xvfb: None };
        }
        let mut child = Command::new("Xvfb")
            .args(["-displayfd", "1", "-screen", "0", "1280x800x24", "-nolisten", "tcp"])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|error| {
                panic!(
                    "display: could not start Xvfb ({error}); install it with `apt-get install xvfb` \
                     or run the suite with scripts/test.sh, which does"
                )
            });
        let stdout = child.stdout.take().expect("Xvfb stdout is piped");
        let mut line = String::new();
        BufReader::new(stdout)
            .read_line(&mut line)
            .unwrap_or_else(|error| panic!("display: Xvfb did not report its display: {error}"));
        let number = line.trim();
        assert!(
            !number.is_empty() && number.chars().all(|c| c.is_ascii_digit()),
            "display: Xvfb exited or printed no display number (read {line:?})"
        );
        Display {
            name: format!(":{number}"),
            xvfb: Some(child),
        }
    }
}

impl Drop for Display {
    fn drop(&mut self) {
        if let Some(child) = self.xvfb.as_mut() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// tauri-driver, listening on a free loopback port.
struct Driver {
    port: u16,
    child: Child,
}

impl Driver {
    fn start(display: &Display, env: &[(&str, String)]) -> Driver {
        let binary = find_tauri_driver();
        let webkit = which("WebKitWebDriver").unwrap_or_else(|| {
            panic!(
                "driver: WebKitWebDriver is not on PATH; install it with \
                 `apt-get install webkit2gtk-driver` or run scripts/test.sh"
            )
        });
        let port = free_port();
        let native_port = free_port();
        let mut command = Command::new(&binary);
        command
            .args([
                "--port",
                &port.to_string(),
                "--native-port",
                &native_port.to_string(),
            ])
            .arg("--native-driver")
            .arg(&webkit)
            .env("DISPLAY", &display.name)
            .envs(env.iter().map(|(name, value)| (*name, value.as_str())))
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        // A process group of its own: WebKitWebDriver and the app it starts end with it.
        #[cfg(unix)]
        std::os::unix::process::CommandExt::process_group(&mut command, 0);
        let child = command.spawn().unwrap_or_else(|error| {
            panic!("driver: could not start {}: {error}", binary.display())
        });
        Driver { port, child }
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        // The whole group: tauri-driver, WebKitWebDriver and the app, pass or fail.
        #[cfg(unix)]
        let _ = Command::new("kill")
            .args(["-KILL", "--", &format!("-{}", self.child.id())])
            .status();
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A WebDriver session on the real Linker wallet binary, plus what keeps it alive.
pub struct App {
    /// The WebDriver client driving the app's main window.
    pub client: Client,
    shots: PathBuf,
    name: String,
    taken: Vec<PathBuf>,
    // Dropped after the client: the driver before the display, then the app's own storage.
    _driver: Driver,
    _display: Display,
    _storage: tempfile::TempDir,
}

impl App {
    /// Starts the display, the driver and the app, with environment variables for the app
    /// (`LINKER_HUB_URL`, `LINKER_WALLET_DATA`: tauri-driver passes its environment down);
    /// `name` names this test's screenshots.
    pub async fn start_with(name: &str, env: &[(&str, String)]) -> App {
        let display = Display::start();
        // The web view's own storage (local storage: the language chosen) in a folder of this
        // test's, not the user's data folder: tests running side by side, or after one another,
        // never see each other's choices.
        let storage = tempfile::tempdir().expect("a folder for the web view's storage");
        let mut env_with_storage = vec![
            (
                "XDG_DATA_HOME",
                storage.path().join("data").display().to_string(),
            ),
            (
                "XDG_CACHE_HOME",
                storage.path().join("cache").display().to_string(),
            ),
        ];
        env_with_storage.extend(env.iter().cloned());
        let driver = Driver::start(&display, &env_with_storage);
        let application = env!("CARGO_BIN_EXE_linker-app");
        assert!(
            Path::new(application).exists(),
            "app: the app binary {application} does not exist; build it with `cargo build`"
        );
        let capabilities = serde_json::json!({
            "browserName": "wry",
            "tauri:options": { "application": application },
        });
        let capabilities = match capabilities {
            serde_json::Value::Object(map) => map,
            _ => unreachable!("capabilities are an object"),
        };
        let url = format!("http://127.0.0.1:{}", driver.port);
        let deadline = Instant::now() + Duration::from_secs(30);
        let client = loop {
            let attempt = ClientBuilder::rustls()
                .expect("rustls client builds")
                .capabilities(capabilities.clone())
                .connect(&url)
                .await;
            match attempt {
                Ok(client) => break client,
                Err(error) if Instant::now() < deadline => {
                    let _ = error;
                    tokio::time::sleep(Duration::from_millis(250)).await;
                }
                Err(error) => panic!(
                    "app: no WebDriver session on {application} via tauri-driver at {url} within 30 s \
                     (display {}): {error}",
                    display.name
                ),
            }
        };
        let shots = Path::new(env!("CARGO_TARGET_TMPDIR"))
            .parent()
            .expect("target/tmp has a parent")
            .join("e2e-screenshots");
        std::fs::create_dir_all(&shots).expect("screenshot folder can be created");
        App {
            client,
            shots,
            name: name.to_owned(),
            taken: Vec::new(),
            _driver: driver,
            _display: display,
            _storage: storage,
        }
    }

    /// Saves a screenshot of the window as `<test>-<step>.png` and returns its path.
    pub async fn screenshot(&mut self, step: &str) -> PathBuf {
        // Let WebKit paint the latest DOM changes first: two animation frames.
        let _ = self
            .client
            .execute_async(
                "const done = arguments[0]; \
                 requestAnimationFrame(() => requestAnimationFrame(() => done(true)));",
                vec![],
            )
            .await;
        let png = self
            .client
            .screenshot()
            .await
            .expect("the window can be captured");
        let path = self.shots.join(format!("{}-{step}.png", self.name));
        std::fs::write(&path, png).expect("the screenshot can be written");
        self.taken.push(path.clone());
        path
    }

    /// Waits up to 10 s for the element; on failure saves a screenshot and names it.
    pub async fn find(&mut self, css: &str) -> Element {
        self.find_within(css, 10).await
    }

    /// Waits up to `seconds` for the element; on failure saves a screenshot and names it.
    pub async fn find_within(&mut self, css: &str, seconds: u64) -> Element {
        // The screens re-render as events arrive: a stale or missing element is looked for
        // again until the deadline.
        let deadline = Instant::now() + Duration::from_secs(seconds);
        let found = loop {
            match self.client.find(Locator::Css(css)).await {
                Ok(element) => break Ok(element),
                Err(error) if Instant::now() >= deadline => break Err(error),
                Err(_) => tokio::time::sleep(Duration::from_millis(200)).await,
            }
        };
        match found {
            Ok(element) => element,
            Err(error) => {
                let shot = self.screenshot("failure").await;
                let text = self.visible_text().await;
                panic!(
                    "no element {css} within {seconds} s ({error}); the screen shows: {text:?}; \
                     screenshot: {}",
                    shot.display()
                )
            }
        }
    }

    /// Clicks the element (waiting up to 10 s for it), scrolling it into view first.
    pub async fn click(&mut self, css: &str) {
        // A screen may re-render between finding and clicking: find it again, a few times.
        let mut last = String::new();
        for _ in 0..5 {
            let element = self.find(css).await;
            let _ = self
                .client
                .execute(
                    "arguments[0].scrollIntoView({block: 'center'})",
                    vec![serde_json::to_value(&element).unwrap_or_default()],
                )
                .await;
            match element.click().await {
                Ok(()) => return,
                Err(error) => last = error.to_string(),
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        self.fail(&format!("cannot click {css}: {last}")).await;
    }

    /// Types `text` into the element (waiting up to 10 s for it).
    pub async fn type_into(&mut self, css: &str, text: &str) {
        let element = self.find(css).await;
        let _ = element.clear().await;
        if let Err(error) = element.send_keys(text).await {
            self.fail(&format!("cannot type into {css}: {error}")).await;
        }
    }

    /// The text of the element (waiting up to 10 s for it).
    pub async fn text(&mut self, css: &str) -> String {
        self.read(css, "e.innerText").await
    }

    /// An attribute of the element (waiting up to 10 s for it).
    pub async fn attr(&mut self, css: &str, name: &str) -> String {
        self.read(css, &format!("e.getAttribute({name:?})")).await
    }

    /// Evaluates `expression` on the element `e` in one script (a re-render cannot make the
    /// element stale between finding and reading), waiting up to 10 s for a non-empty value.
    async fn read(&mut self, css: &str, expression: &str) -> String {
        let script = format!(
            "const e = document.querySelector({css:?}); return e ? String({expression} ?? '') : null;"
        );
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if let Ok(serde_json::Value::String(value)) = self.client.execute(&script, vec![]).await
                && !value.is_empty()
            {
                return value;
            }
            if Instant::now() > deadline {
                let text = self.visible_text().await;
                self.fail(&format!(
                    "nothing to read at {css} within 10 s; the screen shows {text:?}"
                ))
                .await;
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    /// The text the window shows, for failure messages.
    pub async fn visible_text(&mut self) -> String {
        match self
            .client
            .execute("return document.body.innerText", vec![])
            .await
        {
            Ok(serde_json::Value::String(text)) => text.chars().take(1500).collect(),
            _ => String::new(),
        }
    }

    /// Fails the test with a screenshot of the current window in the message.
    pub async fn fail(&mut self, message: &str) -> ! {
        let shot = self.screenshot("failure").await;
        panic!("{message}; screenshot: {}", shot.display())
    }

    /// Ends the session (closing the app) and returns the screenshots taken.
    pub async fn finish(self) -> Vec<PathBuf> {
        let App { client, taken, .. } = self;
        client.close().await.expect("the WebDriver session closes");
        taken
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .map(|address| address.port())
        .unwrap_or_else(|error| panic!("driver: no free loopback port: {error}"))
}

fn which(program: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(program))
        .find(|candidate| candidate.is_file())
}

fn find_tauri_driver() -> PathBuf {
    if let Some(found) = which("tauri-driver") {
        return found;
    }
    let cargo_home = std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".cargo")));
    if let Some(candidate) = cargo_home.map(|home| home.join("bin/tauri-driver"))
        && candidate.is_file()
    {
        return candidate;
    }
    panic!(
        "driver: tauri-driver is not installed; install it with \
         `cargo install --locked tauri-driver@2.1.0` or run scripts/test.sh"
    )
}
