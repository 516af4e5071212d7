//! `linker demo --run` and `linker run` as a user runs them: real processes, a real hub and the
//! reference acquirer on loopback, the exit code, and reports a CI and a person can read.

use std::path::Path;
use std::process::Command;

use linker_demo::{Demo, DemoOptions};

use crate::linker;

fn junit_schema() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../cases/tests/junit.xsd")
}

fn have(program: &str) -> bool {
    let found = Command::new(program).arg("--version").output().is_ok();
    if !found {
        eprintln!(
            "SKIPPED part of the test: {program} is not installed (scripts/setup.sh installs it)"
        );
    }
    found
}

#[test]
fn demo_run_passes_its_cases_and_writes_a_junit_report_that_validates() {
    let dir = tempfile::tempdir().unwrap();
    let report = dir.path().join("report.xml");
    let output = linker()
        .args([
            "demo",
            "--run",
            "--cases",
            "UPM-01,MOC-01,MEC-01",
            "--report",
            "junit",
        ])
        .arg("--out")
        .arg(&report)
        .timeout(std::time::Duration::from_secs(300))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(
        output.status.code(),
        Some(0),
        "every case passes with the reference acquirer:\n{stdout}\n{stderr}"
    );
    assert!(
        stdout.contains("POS driver:"),
        "the demo says where its parts are:\n{stdout}"
    );
    assert!(
        stderr.contains("3 cases: 3 passed, 0 failed, 0 broken, 0 skipped"),
        "{stderr}"
    );
    let xml = std::fs::read_to_string(&report).unwrap();
    assert!(xml.contains("MEC-01"), "{xml}");
    if have("xmllint") {
        let check = Command::new("xmllint")
            .arg("--noout")
            .arg("--schema")
            .arg(junit_schema())
            .arg(&report)
            .output()
            .unwrap();
        assert!(
            check.status.success(),
            "the JUnit report validates: {}\n{xml}",
            String::from_utf8_lossy(&check.stderr)
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn run_exits_1_when_a_case_fails_and_its_html_report_says_why() {
    let demo = Demo::start(DemoOptions {
        faults: [linker_acquirer::Fault::UnsignedNotifyAck].into(),
        timing: DemoOptions::quick_timing(),
        ..DemoOptions::default()
    })
    .await
    .unwrap();
    // The first sign-in (with the invitation) sets the password `linker run` then uses.
    drop(demo.wallet().await.unwrap());
    let merchant = demo.merchant().clone();
    let dir = tempfile::tempdir().unwrap();
    let report = dir.path().join("report.html");
    let mut command = linker();
    command
        .args([
            "run",
            "--hub",
            demo.hub_url(),
            "--pos-driver",
            demo.pos_driver_url(),
        ])
        .args(["--cases", "MOC-01", "--report", "html", "--out"])
        .arg(&report)
        .env(
            "LINKER_MERCHANT",
            format!("{}:{}", merchant.mid, merchant.password),
        )
        .timeout(std::time::Duration::from_secs(300));
    let output = tokio::task::spawn_blocking(move || command.output().unwrap())
        .await
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(
        output.status.code(),
        Some(1),
        "a failed case exits 1:\n{stderr}"
    );
    assert!(stderr.contains("MOC-01 FAILED"), "{stderr}");
    let html = std::fs::read_to_string(&report).unwrap();
    assert!(
        html.contains("notify-acked"),
        "the report names the failing check"
    );
    assert!(
        !html.contains(&merchant.password),
        "the merchant's password never appears in a report"
    );
    if have("chromium") {
        let shots = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/report-screenshots");
        std::fs::create_dir_all(&shots).unwrap();
        let dom = Command::new("chromium")
            .args(["--headless", "--disable-gpu", "--no-sandbox", "--dump-dom"])
            .arg(format!("file://{}", report.display()))
            .output()
            .unwrap();
        let dom = String::from_utf8_lossy(&dom.stdout);
        assert!(dom.contains("MOC-01"), "Chromium renders the report: {dom}");
        let _ = Command::new("chromium")
            .args([
                "--headless",
                "--disable-gpu",
                "--no-sandbox",
                "--window-size=1280,1600",
            ])
            .arg(format!(
                "--screenshot={}",
                shots.join("linker-run-report.png").display()
            ))
            .arg(format!("file://{}", report.display()))
            .output();
    }
    demo.shutdown().await;
}

/// `linker hub serve`, `linker project create` and `linker acquirer serve`, as processes.
struct Processes {
    hub: crate::hub::RunningHub,
    project: serde_json::Value,
    acquirer: std::process::Child,
    driver: String,
    _acquirer_data: tempfile::TempDir,
    _keys: tempfile::TempDir,
}

impl Drop for Processes {
    fn drop(&mut self) {
        let _ = self.acquirer.kill();
        let _ = self.acquirer.wait();
    }
}

impl Processes {
    fn start() -> Processes {
        Processes::start_with(&[])
    }

    /// The processes, with extra arguments for `linker hub serve` (e.g. `--test-clock`).
    fn start_with(hub_args: &[&str]) -> Processes {
        use std::io::{BufRead, BufReader};
        use std::process::Stdio;

        let hub = crate::hub::RunningHub::start_in(tempfile::tempdir().unwrap(), hub_args);
        let keys = linker_aplus::KeyPair::generate().unwrap();
        let keys_dir = tempfile::tempdir().unwrap();
        let public = keys_dir.path().join("public.b64");
        std::fs::write(&public, keys.public.to_base64()).unwrap();
        let output = linker()
            .args(["project", "create", "--hub", &hub.url, "--data"])
            .arg(hub.data.path())
            .args([
                "--name",
                "Acquirer",
                "--client-id",
                "TEST_ACQ_SERVE",
                "--acqp-public-key",
            ])
            .arg(&public)
            .output()
            .unwrap();
        assert!(output.status.success(), "project create: {output:?}");
        let project: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
        let project_id = project["id"].as_str().unwrap().to_owned();

        let acquirer_data = tempfile::tempdir().unwrap();
        let mut acquirer = Command::new(assert_cmd::cargo::cargo_bin("linker"))
            .args([
                "acquirer",
                "serve",
                "--hub",
                &hub.url,
                "--project",
                &project_id,
            ])
            .arg("--hub-data")
            .arg(hub.data.path())
            .arg("--data")
            .arg(acquirer_data.path())
            .args(["--listen", "127.0.0.1:0"])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let stdout = acquirer.stdout.take().unwrap();
        let mut lines = BufReader::new(stdout).lines();
        let mut printed = Vec::new();
        let driver = loop {
            let line = lines
                .next()
                .unwrap_or_else(|| {
                    panic!("the acquirer stopped before saying where it is: {printed:?}")
                })
                .unwrap();
            printed.push(line.clone());
            if let Some(url) = line.trim().strip_prefix("POS driver:") {
                break url.trim().to_owned();
            }
        };
        std::thread::spawn(move || for _ in lines {});
        Processes {
            hub,
            project,
            acquirer,
            driver,
            _acquirer_data: acquirer_data,
            _keys: keys_dir,
        }
    }

    fn project_id(&self) -> &str {
        self.project["id"].as_str().unwrap()
    }
}

#[test]
fn acquirer_serve_registers_itself_in_the_project_and_answers_as_a_pos_driver() {
    let processes = Processes::start();
    let driver = processes.driver.clone();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let capabilities: serde_json::Value = runtime.block_on(async {
        reqwest::get(format!("{driver}/pos/v1/capabilities"))
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    });
    assert_eq!(capabilities["version"], "1", "{capabilities}");
    assert!(
        capabilities["products"]
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p == "UPM"),
        "{capabilities}"
    );

    let hub = &processes.hub;
    let output = linker()
        .args([
            "project",
            "show",
            processes.project_id(),
            "--hub",
            &hub.url,
            "--data",
        ])
        .arg(hub.data.path())
        .output()
        .unwrap();
    assert!(output.status.success(), "project show: {output:?}");
    let now: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert!(
        now["notifyUrl"]
            .as_str()
            .unwrap_or_default()
            .starts_with(&driver),
        "the acquirer registered its notify URL: {now}"
    );
    assert_ne!(
        now["acqpPublicKey"], processes.project["acqpPublicKey"],
        "and its own key, kept in its data folder"
    );
    assert!(
        processes
            ._acquirer_data
            .path()
            .join("acqp-private-key.pem")
            .exists(),
        "the key is in the data folder"
    );
}

/// The whole chain as separate processes, as an ACQP's CI would run it: `linker hub serve`,
/// `linker project create`, `linker merchant invite`, `linker acquirer serve`, and `linker run`
/// signing in with the invitation. The cases whose verdicts need no long real-time window.
#[test]
fn every_part_as_its_own_process_runs_cases_to_passed_verdicts() {
    let processes = Processes::start();
    let hub = &processes.hub;
    let output = linker()
        .args(["merchant", "invite", "--hub", &hub.url, "--data"])
        .arg(hub.data.path())
        .args(["--project", processes.project_id()])
        .args([
            "--name",
            "Linker Cafe",
            "--mid",
            "M-CI-1",
            "--email",
            "ci@shop.example",
        ])
        .args(["--products", "UPM,ORDER_CODE,PRIVATE_ORDER_CODE,ENTRY_CODE"])
        .output()
        .unwrap();
    assert!(output.status.success(), "merchant invite: {output:?}");
    let invited: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let code = invited["invitation"]["code"].as_str().unwrap().to_owned();
    let cases = "UPM-01,UPM-02,MOC-01,MOC-03,MPC-01,MPC-02,MEC-01,RFD-01,CAN-01,NTF-02";
    let output = linker()
        .args(["run", "--hub", &hub.url, "--invitation", &code])
        .args(["--pos-driver", &processes.driver, "--cases", cases])
        .args(["--report", "json"])
        .env("LINKER_MERCHANT", "M-CI-1:a long enough password")
        .timeout(std::time::Duration::from_secs(400))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(
        output.status.code(),
        Some(0),
        "every case passes:\n{stderr}"
    );
    assert!(
        stderr.contains("10 cases: 10 passed, 0 failed, 0 broken, 0 skipped"),
        "{stderr}"
    );
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(
        report["runs"].as_array().unwrap().len(),
        10,
        "the JSON report has every run"
    );
}

/// Sandbox acceptance from the command line, as a TSP's CI runs it: `linker project update
/// --products`, `linker run --acceptance` (narrowed to the cases whose verdicts need no long
/// real-time window) saving the signed report, and `linker verify-report` on it: exit 0 when it
/// verifies, 1 when a byte was edited or the key is not the pinned one, 2 when there is no file.
#[test]
fn run_acceptance_saves_a_signed_report_that_verify_report_checks() {
    // On the hub's test clock, which `linker run` moves through the waits with the admin token.
    let processes = Processes::start_with(&["--test-clock"]);
    let hub = &processes.hub;
    let project = processes.project_id();
    let output = linker()
        .args(["project", "update", project, "--hub", &hub.url, "--data"])
        .arg(hub.data.path())
        .args(["--products", "UPM", "--tsp-mode", "true"])
        .output()
        .unwrap();
    assert!(output.status.success(), "project update: {output:?}");
    let updated: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(updated["products"], serde_json::json!(["UPM"]), "{updated}");

    let token = std::fs::read_to_string(hub.data.path().join("admin-token")).unwrap();
    let refused = linker()
        .args([
            "run",
            "--acceptance",
            "--project",
            project,
            "--hub",
            &hub.url,
        ])
        .args(["--project-token", "lkp_not-this-one"])
        .env_remove("LINKER_ADMIN_TOKEN")
        .output()
        .unwrap();
    assert_eq!(refused.status.code(), Some(2), "a wrong token: {refused:?}");
    assert!(
        String::from_utf8_lossy(&refused.stderr).contains("UNAUTHORIZED"),
        "{refused:?}"
    );

    let folder = tempfile::tempdir().unwrap();
    let report = folder.path().join("acceptance.html");
    let output = linker()
        .args([
            "run",
            "--acceptance",
            "--project",
            project,
            "--hub",
            &hub.url,
        ])
        .args(["--pos-driver", &processes.driver])
        .args(["--acceptance-mid", "ACC-CI"])
        .arg("--acceptance-report")
        .arg(&report)
        .env("LINKER_ADMIN_TOKEN", token.trim())
        .timeout(std::time::Duration::from_secs(400))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "every run passes:\n{stderr}");
    assert!(
        stderr.contains("MID ACC-CI")
            && stderr.contains("6 cases: 6 passed")
            && stderr.contains("acceptance: PASSED"),
        "says where acceptance stands: {stderr}"
    );

    // Acceptance passed: the TSP invites the ACQP to authorize, from the CLI too.
    let admin = |args: &[&str]| {
        linker()
            .args(args)
            .args(["--hub", &hub.url, "--data"])
            .arg(hub.data.path())
            .env_remove("LINKER_ADMIN_TOKEN")
            .output()
            .unwrap()
    };
    let output = admin(&[
        "project",
        "authorization-url",
        project,
        "--products",
        "UPM",
        "--acqp-name",
        "Bank of Examples",
        "--acqp-email",
        "ops@bank.example",
    ]);
    assert!(output.status.success(), "authorization-url: {output:?}");
    let generated: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert!(
        generated["url"]
            .as_str()
            .is_some_and(|url| url.starts_with(&format!("{}/console/authorize/", hub.url))),
        "{generated}"
    );
    let output = admin(&["project", "authorizations", project]);
    assert!(output.status.success(), "authorizations: {output:?}");
    let listed: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(
        (
            listed["urls"][0]["status"].as_str(),
            listed["urls"][0]["products"].clone()
        ),
        (Some("PENDING"), serde_json::json!(["UPM"])),
        "{listed}"
    );

    let fingerprint = linker_aplus::PublicKey::from_base64_or_pem(
        processes.project["hubPublicKey"].as_str().unwrap(),
    )
    .unwrap()
    .fingerprint();
    let verified = linker().arg("verify-report").arg(&report).output().unwrap();
    let stdout = String::from_utf8_lossy(&verified.stdout);
    assert_eq!(verified.status.code(), Some(0), "{verified:?}");
    assert!(
        stdout.contains(&fingerprint) && stdout.contains("UPM-01 Payment succeeds: passed"),
        "prints the hub key's fingerprint and the verdicts: {stdout}"
    );
    let pinned = linker()
        .arg("verify-report")
        .arg(&report)
        .args(["--fingerprint", &fingerprint.to_uppercase()])
        .output()
        .unwrap();
    assert_eq!(pinned.status.code(), Some(0), "{pinned:?}");
    let other = linker()
        .arg("verify-report")
        .arg(&report)
        .args(["--fingerprint", &"0".repeat(64)])
        .output()
        .unwrap();
    assert_eq!(other.status.code(), Some(1), "another key: {other:?}");

    let text = std::fs::read_to_string(&report).unwrap();
    for marker in ["Sandbox acceptance report", "\"signature\":\"", "UPM-01"] {
        let at = text.find(marker).unwrap() + marker.len() - 1;
        let mut bytes = text.clone().into_bytes();
        bytes[at] ^= 0x01;
        let edited = folder.path().join("edited.html");
        std::fs::write(&edited, bytes).unwrap();
        let output = linker().arg("verify-report").arg(&edited).output().unwrap();
        assert_eq!(
            output.status.code(),
            Some(1),
            "edited at {marker}: {output:?}"
        );
        assert!(
            String::from_utf8_lossy(&output.stderr).contains("NOT VERIFIED"),
            "{output:?}"
        );
    }
    let missing = linker()
        .arg("verify-report")
        .arg(folder.path().join("nope.html"))
        .output()
        .unwrap();
    assert_eq!(missing.status.code(), Some(2), "{missing:?}");
}
