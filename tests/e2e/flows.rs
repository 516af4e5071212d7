//! What the wallet tests share: a real demo (hub, project, merchant, reference acquirer) in the
//! test process, the app started against it, signing in through the screens, starting a case,
//! and the POS driver calls that play the merchant's side.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use linker_demo::{Demo, DemoOptions};
use serde_json::{Value, json};

use crate::harness::App;

/// A demo and the app talking to it, each with its own temporary folder.
pub struct Loop {
    /// The app under test.
    pub app: App,
    /// The demo it talks to (`None` while stopped for an offline test).
    pub demo: Option<Demo>,
    /// The demo's data folder (kept so a stopped hub can come back on the same data).
    pub demo_dir: tempfile::TempDir,
    /// The app's data folder.
    pub _wallet_dir: tempfile::TempDir,
    /// The run being driven.
    pub run_id: String,
}

impl Loop {
    /// Starts a demo with `options` (its data folder is set here) and the app against its hub.
    pub async fn start(name: &str, options: DemoOptions) -> Loop {
        Loop::start_with(name, options, &[]).await
    }

    /// As [`Loop::start`], with more environment variables for the app.
    pub async fn start_with(
        name: &str,
        mut options: DemoOptions,
        extra: &[(&str, String)],
    ) -> Loop {
        let demo_dir = tempfile::tempdir().unwrap();
        options.data_dir = Some(demo_dir.path().to_path_buf());
        let demo = Demo::start(options)
            .await
            .unwrap_or_else(|error| panic!("demo: could not start: {error}"));
        let wallet_dir = tempfile::tempdir().unwrap();
        let mut env = vec![
            ("LINKER_HUB_URL", demo.hub_url().to_owned()),
            (
                "LINKER_WALLET_DATA",
                wallet_dir.path().display().to_string(),
            ),
        ];
        env.extend(extra.iter().cloned());
        let app = App::start_with(name, &env).await;
        Loop {
            app,
            demo: Some(demo),
            demo_dir,
            _wallet_dir: wallet_dir,
            run_id: String::new(),
        }
    }

    /// The running demo.
    pub fn demo(&self) -> &Demo {
        self.demo.as_ref().expect("the demo runs")
    }

    /// Signs in through the screens with the demo merchant's invitation code and a new password.
    pub async fn sign_in(&mut self) {
        let merchant = self.demo().merchant().clone();
        self.app.click("#sign-in").await;
        self.app
            .type_into("#invitation-code", &merchant.invitation_code)
            .await;
        self.app
            .type_into("#new-password", &merchant.password)
            .await;
        self.app.screenshot("sign-in").await;
        self.app.click("#submit-invitation").await;
        self.app.find_within(".case-row", 20).await;
    }

    /// Opens a case from the Cases screen and starts it; returns the run id the screen shows.
    pub async fn start_case(&mut self, case_id: &str) -> String {
        self.app.click(&format!("#case-{case_id}")).await;
        self.app.click("#start-run").await;
        let run = self.app.find_within("#run:not([data-run-id=''])", 20).await;
        let run_id = run.attr("data-run-id").await.unwrap().unwrap_or_default();
        assert!(!run_id.is_empty(), "the run screen names its run");
        self.run_id = run_id.clone();
        run_id
    }

    /// The payment code digits the Pay screen shows.
    pub async fn shown_digits(&mut self) -> String {
        let digits = self.app.attr("#pay-digits", "data-digits").await;
        if digits.len() < 16 || !digits.bytes().all(|b| b.is_ascii_digit()) {
            self.app
                .fail(&format!(
                    "the Pay screen shows {digits:?}, not payment code digits"
                ))
                .await;
        }
        digits
    }

    /// Calls one POS driver action and returns its answer.
    pub async fn pos(&self, action: &str, body: Value) -> Value {
        let url = format!("{}/pos/v1/{action}", self.demo().pos_driver_url());
        let answer = reqwest::Client::new()
            .post(&url)
            .json(&body)
            .send()
            .await
            .unwrap_or_else(|error| panic!("POS driver {url}: {error}"));
        let status = answer.status();
        let value: Value = answer.json().await.unwrap_or(Value::Null);
        assert!(
            status.is_success(),
            "POS driver {action} answered {status}: {value}"
        );
        value
    }

    /// An amount in the POS's currency.
    pub async fn amount(&self, minor: u64) -> Value {
        let url = format!("{}/pos/v1/capabilities", self.demo().pos_driver_url());
        let capabilities: Value = reqwest::get(&url).await.unwrap().json().await.unwrap();
        let currency = capabilities["currencies"][0]
            .as_str()
            .unwrap_or("HKD")
            .to_owned();
        json!({"currency": currency, "value": minor.to_string()})
    }

    /// The POS charges `digits` for `case_id` (the cashier scanned the wallet's code).
    pub async fn charge(&self, case_id: &str, digits: &str) -> Value {
        let amount = self.amount(1250).await;
        self.pos(
            "charge",
            json!({"runId": self.run_id, "caseId": case_id, "amount": amount, "paymentCode": digits}),
        )
        .await
    }

    /// Waits until the hub's record of the run holds an event for which `wanted` is true.
    pub async fn wait_for_event(&mut self, what: &str, wanted: impl Fn(&Value) -> bool) {
        let deadline = Instant::now() + Duration::from_secs(40);
        loop {
            let record = self.demo().hub().run_record(&self.run_id).unwrap();
            let events = serde_json::to_value(&record.events).unwrap();
            if events
                .as_array()
                .is_some_and(|list| list.iter().any(&wanted))
            {
                return;
            }
            if Instant::now() > deadline {
                self.app
                    .fail(&format!(
                        "the hub never recorded {what}; its record: {events}"
                    ))
                    .await;
            }
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
    }

    /// Answers a manual question by tapping Yes.
    pub async fn answer_yes(&mut self, question: &str) {
        self.app.click(&format!("#answer-yes-{question}")).await;
        self.app.find(&format!("#answer-state-{question}")).await;
    }

    /// Waits for the verdict and returns its outcome and text (read in one script, so a
    /// re-render between two reads cannot make them stale).
    pub async fn verdict(&mut self, seconds: u64) -> (String, String) {
        let deadline = Instant::now() + Duration::from_secs(seconds);
        loop {
            let read = self
                .app
                .client
                .execute(
                    "const v = document.querySelector('#verdict'); \
                     return v ? [v.dataset.outcome, v.innerText] : null;",
                    vec![],
                )
                .await;
            if let Ok(Value::Array(pair)) = read {
                let text = |i: usize| pair.get(i).and_then(Value::as_str).unwrap_or("").to_owned();
                return (text(0), text(1));
            }
            if Instant::now() > deadline {
                let text = self.app.visible_text().await;
                self.app
                    .fail(&format!(
                        "no verdict within {seconds} s; the screen shows {text:?}"
                    ))
                    .await;
            }
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
    }

    /// Fails unless the verdict is `expected`, with the screen's words and a screenshot.
    pub async fn expect_verdict(&mut self, expected: &str, seconds: u64) -> String {
        let (outcome, text) = self.verdict(seconds).await;
        if outcome != expected {
            self.app
                .fail(&format!(
                    "the verdict is {outcome}, expected {expected}: {text}"
                ))
                .await;
        }
        text
    }

    /// Moves the hub's test clock forward.
    pub fn advance_hub(&self, seconds: i64) {
        assert!(
            self.demo()
                .hub()
                .advance_clock(chrono::Duration::seconds(seconds)),
            "the demo hub runs on a test clock"
        );
    }

    /// The folder for files the test hands to the app.
    pub fn scratch(&self) -> PathBuf {
        self.demo_dir.path().to_path_buf()
    }
}
