//! `linker hub serve` as a real process on a loopback port, managed with `linker project`, called
//! by a signed request over HTTP, and stopped with SIGTERM.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

use linker_aplus::signature::SignedContent;
use linker_aplus::{KeyPair, PublicKey, Signer, Verifier};

use crate::linker;

/// A `linker hub serve` process.
pub struct RunningHub {
    child: Child,
    /// Its URL.
    pub url: String,
    /// Its data folder.
    pub data: tempfile::TempDir,
}

impl RunningHub {
    fn start() -> RunningHub {
        RunningHub::start_in(tempfile::tempdir().unwrap(), &[])
    }

    /// Starts `linker hub serve` on a free port over `data`, with extra arguments.
    pub fn start_in(data: tempfile::TempDir, extra: &[&str]) -> RunningHub {
        let mut child = Command::new(assert_cmd::cargo::cargo_bin("linker"))
            .args(["hub", "serve", "--listen", "127.0.0.1:0", "--data"])
            .arg(data.path())
            .args(extra)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let mut lines = BufReader::new(stdout).lines();
        let first = lines.next().unwrap().unwrap();
        let url = first
            .strip_prefix("Linker hub listening on ")
            .unwrap_or_else(|| panic!("unexpected first line {first:?}"))
            .to_owned();
        // Keep draining stdout so the hub never blocks on a full pipe.
        std::thread::spawn(move || for _ in lines {});
        RunningHub { child, url, data }
    }

    /// Kills the process outright (SIGKILL) and hands back its data folder.
    pub fn kill(mut self) -> tempfile::TempDir {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let spare = tempfile::tempdir().unwrap();
        std::mem::replace(&mut self.data, spare)
    }

    fn stop(mut self) -> std::process::ExitStatus {
        let pid = self.child.id().to_string();
        Command::new("kill").args(["-TERM", &pid]).status().unwrap();
        self.child.wait().unwrap()
    }
}

impl Drop for RunningHub {
    fn drop(&mut self) {
        let _ = self.child.kill();
    }
}

#[test]
fn a_fresh_hub_a_project_from_the_cli_and_a_signed_call_over_http() {
    let hub = RunningHub::start();
    let token_file = hub.data.path().join("admin-token");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&token_file).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "the admin token is readable by its owner only");
    }

    let keys_dir = tempfile::tempdir().unwrap();
    let keys = KeyPair::generate().unwrap();
    let public = keys_dir.path().join("public.b64");
    std::fs::write(&public, keys.public.to_base64()).unwrap();
    let output = linker()
        .args(["project", "create", "--hub", &hub.url, "--data"])
        .arg(hub.data.path())
        .args([
            "--name",
            "Demo ACQP",
            "--client-id",
            "TEST_CLI_0001",
            "--acqp-public-key",
        ])
        .arg(&public)
        .args([
            "--notify-url",
            "http://127.0.0.1:9/notify",
            "--private-code-domain",
            "pay.acqp.example",
        ])
        .output()
        .unwrap();
    assert!(output.status.success(), "project create: {output:?}");
    let project: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(project["gatewayUrl"], hub.url.as_str(), "{project}");
    assert_eq!(project["privateCodeDomains"][0], "pay.acqp.example");

    let token = std::fs::read_to_string(&token_file).unwrap();
    let output = linker()
        .args([
            "project",
            "list",
            "--hub",
            &hub.url,
            "--token",
            token.trim(),
        ])
        .output()
        .unwrap();
    assert!(output.status.success(), "project list: {output:?}");
    let list: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(list.as_array().unwrap().len(), 1, "{list}");

    let output = linker()
        .args(["project", "list", "--hub", &hub.url, "--token", "wrong"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2), "{output:?}");
    assert!(
        String::from_utf8_lossy(&output.stderr).contains("UNAUTHORIZED"),
        "{output:?}"
    );

    let project_id = project["id"].as_str().unwrap();
    let output = linker()
        .args([
            "merchant",
            "invite",
            "--hub",
            &hub.url,
            "--token",
            token.trim(),
            "--project",
            project_id,
        ])
        .args([
            "--name",
            "Linker Cafe",
            "--mid",
            "M001",
            "--email",
            "cafe@shop.example",
            "--products",
            "UPM,MPM",
        ])
        .output()
        .unwrap();
    assert!(output.status.success(), "merchant invite: {output:?}");
    let invited: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(invited["merchant"]["status"], "inactive", "{invited}");
    assert!(
        invited["invitation"]["code"].as_str().unwrap().len() == 14,
        "{invited}"
    );

    // The import is all or none: one bad row and nothing is created, each bad row named by its
    // line; Excel's byte-order mark and a quoted cell over two lines are read as Excel meant.
    let import = |file: &std::path::Path| {
        linker()
            .args([
                "merchant",
                "import",
                "--hub",
                &hub.url,
                "--token",
                token.trim(),
                "--project",
                project_id,
            ])
            .arg(file)
            .output()
            .unwrap()
    };
    let list = || {
        let output = linker()
            .args([
                "merchant",
                "list",
                "--hub",
                &hub.url,
                "--token",
                token.trim(),
                "--project",
                project_id,
            ])
            .output()
            .unwrap();
        let list: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
        list.as_array()
            .unwrap()
            .iter()
            .map(|m| m["mid"].as_str().unwrap().to_owned())
            .collect::<Vec<_>>()
    };
    let csv = keys_dir.path().join("merchants.csv");
    std::fs::write(
        &csv,
        "name,mid,email,products\nShop Two,M002,two@shop.example,UPM\nShop Dup,M001,x@shop.example,UPM\nShop Odd,M003,odd@shop.example,TELEPORT\n",
    )
    .unwrap();
    let output = import(&csv);
    assert_eq!(
        output.status.code(),
        Some(1),
        "a rejected row makes the exit code 1: {output:?}"
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("2 of 3 rows are wrong, so no merchant was created"),
        "{stderr}"
    );
    assert!(
        stderr.contains("line 3 (M001): mid: M001 is already invited")
            && stderr.contains("line 4 (M003): products")
            && !stderr.contains("line 2"),
        "each bad row by its line, and only those: {stderr}"
    );
    assert_eq!(list(), ["M001"], "the good row M002 was not created either");

    std::fs::write(
        &csv,
        "\u{feff}name,mid,email,products\r\nShop Two,M002,two@shop.example,\"UPM,\r\nMPM\"\r\nShop Three,M003,three@shop.example,UPM\r\n",
    )
    .unwrap();
    let output = import(&csv);
    assert!(output.status.success(), "merchant import: {output:?}");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("line 2 (M002): invited") && stderr.contains("line 4 (M003): invited"),
        "the multi-line cell is one cell, and the next row is on line 4: {stderr}"
    );
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(
        report[0]["invited"]["merchant"]["products"],
        serde_json::json!(["UPM", "ORDER_CODE", "PRIVATE_ORDER_CODE", "ENTRY_CODE"]),
        "both lines of the products cell count: {report}"
    );
    assert_eq!(list(), ["M001", "M002", "M003"]);

    // A signed inquiry over real HTTP; the answer is signed with the project's hub key.
    let path = "/aps/api/v1/payments/inquiryPayment";
    let body = r#"{"paymentRequestId":"nothing-yet"}"#;
    let time = "2026-11-25T10:00:00+08:00";
    let signature = Signer::new("TEST_CLI_0001", keys.private)
        .sign("POST", path, time, body.as_bytes())
        .unwrap()
        .format();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let (headers, answer) = runtime.block_on(async {
        let response = reqwest::Client::new()
            .post(format!("{}{path}", hub.url))
            .header("content-type", "application/json; charset=UTF-8")
            .header("client-id", "TEST_CLI_0001")
            .header("request-time", time)
            .header("signature", signature)
            .body(body)
            .send()
            .await
            .unwrap();
        let headers = response.headers().clone();
        (headers, response.text().await.unwrap())
    });
    assert!(answer.contains("ORDER_NOT_EXIST"), "{answer}");
    let hub_key = PublicKey::from_base64_or_pem(project["hubPublicKey"].as_str().unwrap()).unwrap();
    let content = SignedContent {
        method: "POST",
        path,
        client_id: headers["client-id"].to_str().unwrap(),
        time: headers["response-time"].to_str().unwrap(),
        body: answer.as_bytes(),
    };
    Verifier::new(hub_key)
        .verify_header(&content, headers["signature"].to_str().unwrap())
        .unwrap_or_else(|error| {
            panic!("the hub's answer verifies with its published key: {error}")
        });

    let status = hub.stop();
    assert!(
        status.success(),
        "SIGTERM stops the hub cleanly: {status:?}"
    );
}

#[test]
fn a_hub_that_cannot_listen_says_why_with_exit_code_2() {
    let first = RunningHub::start();
    let address = first.url.trim_start_matches("http://").to_owned();
    let data = tempfile::tempdir().unwrap();
    let output = linker()
        .args(["hub", "serve", "--listen", &address, "--data"])
        .arg(data.path())
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2), "{output:?}");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("cannot listen on"), "{stderr}");
    drop(first);
}

#[test]
fn a_project_token_from_the_environment_runs_that_projects_commands_only() {
    let hub = RunningHub::start();
    let create = |client_id: &str| {
        let keys = KeyPair::generate().unwrap();
        let public = hub.data.path().join(format!("{client_id}.b64"));
        std::fs::write(&public, keys.public.to_base64()).unwrap();
        let output = linker()
            .args(["project", "create", "--hub", &hub.url, "--data"])
            .arg(hub.data.path())
            .args([
                "--name",
                "CI",
                "--client-id",
                client_id,
                "--acqp-public-key",
            ])
            .arg(&public)
            .output()
            .unwrap();
        assert!(output.status.success(), "project create: {output:?}");
        let project: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
        project["id"].as_str().unwrap().to_owned()
    };
    let (mine, theirs) = (create("TEST_CI_0001"), create("TEST_CI_0002"));

    // A member makes the project's token (as the console's settings do), while the hub is down.
    let data = hub.kill();
    let token = {
        let store =
            linker_hub::Store::open(&linker_hub::server::database_path(data.path())).unwrap();
        let hub = linker_hub::Hub::new(
            store,
            std::sync::Arc::new(linker_hub::SystemClock),
            linker_hub::Ids::random(),
            "http://127.0.0.1:8480",
        );
        let member = hub
            .create_console_user(
                "ci@example.com",
                "correct horse",
                std::slice::from_ref(&mine),
            )
            .unwrap();
        hub.rotate_project_token(&member, &mine).unwrap().token
    };
    let hub = RunningHub::start_in(data, &[]);
    let run = |args: &[&str]| {
        linker()
            .args(args)
            .args(["--hub", &hub.url])
            .env_remove("LINKER_ADMIN_TOKEN")
            .env("LINKER_PROJECT_TOKEN", &token)
            .output()
            .unwrap()
    };

    let output = run(&["merchant", "list", "--project", &mine]);
    assert!(
        output.status.success(),
        "its project's merchants: {output:?}"
    );
    let output = run(&["project", "show", &mine]);
    assert!(output.status.success(), "its project: {output:?}");
    for (what, output) in [
        (
            "another project",
            run(&["merchant", "list", "--project", &theirs]),
        ),
        ("the hub-wide list", run(&["project", "list"])),
    ] {
        assert_eq!(output.status.code(), Some(2), "{what}: {output:?}");
        assert!(
            String::from_utf8_lossy(&output.stderr).contains("403 FORBIDDEN"),
            "{what} is refused, saying why: {output:?}"
        );
    }
}

/// Asks a running hub to send a test notification to `url` ("check my setup"); its answer.
fn check_my_setup(hub: &RunningHub, url: &str) -> serde_json::Value {
    let keys_dir = tempfile::tempdir().unwrap();
    let public = keys_dir.path().join("public.b64");
    std::fs::write(&public, KeyPair::generate().unwrap().public.to_base64()).unwrap();
    let output = linker()
        .args(["project", "create", "--hub", &hub.url, "--data"])
        .arg(hub.data.path())
        .args(["--name", "Public ACQP", "--client-id", "TEST_CLI_PUBLIC"])
        .arg("--acqp-public-key")
        .arg(&public)
        .output()
        .unwrap();
    assert!(output.status.success(), "project create: {output:?}");
    let project: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let token = std::fs::read_to_string(hub.data.path().join("admin-token")).unwrap();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        reqwest::Client::new()
            .post(format!(
                "{}/admin/v1/projects/{}/test-notifications",
                hub.url,
                project["id"].as_str().unwrap()
            ))
            .bearer_auth(token.trim())
            .json(&serde_json::json!({"url": url}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    })
}

#[test]
fn with_public_the_hub_calls_no_loopback_acqp_and_without_it_does() {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    // An "ACQP" on loopback that counts connections and closes each at once.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/notify", listener.local_addr().unwrap());
    let connections = Arc::new(AtomicUsize::new(0));
    let counted = connections.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            counted.fetch_add(1, Ordering::SeqCst);
            drop(stream);
        }
    });

    let public = RunningHub::start_in(tempfile::tempdir().unwrap(), &["--public"]);
    let check = check_my_setup(&public, &url);
    let problem = check["verdict"]["problem"].as_str().unwrap_or_default();
    assert!(
        problem
            .starts_with("refused: 127.0.0.1 is a loopback address; this hub runs with --public"),
        "{check}"
    );
    assert_eq!(
        connections.load(Ordering::SeqCst),
        0,
        "nothing dialled: {check}"
    );

    let local = RunningHub::start();
    let check = check_my_setup(&local, &url);
    assert_eq!(
        connections.load(Ordering::SeqCst),
        1,
        "without --public the loopback ACQP is dialled: {check}"
    );
}

#[test]
fn the_cli_refuses_an_acqp_authorization_url_before_acceptance_and_lists_none() {
    let hub = RunningHub::start();
    let keys_dir = tempfile::tempdir().unwrap();
    let public = keys_dir.path().join("public.b64");
    std::fs::write(&public, KeyPair::generate().unwrap().public.to_base64()).unwrap();
    let run = |args: &[&str]| {
        linker()
            .args(args)
            .args(["--hub", &hub.url, "--data"])
            .arg(hub.data.path())
            .env_remove("LINKER_ADMIN_TOKEN")
            .output()
            .unwrap()
    };
    let output = run(&[
        "project",
        "create",
        "--name",
        "Demo TSP",
        "--client-id",
        "TEST_CLI_AUTHZ",
        "--acqp-public-key",
        public.to_str().unwrap(),
        "--products",
        "UPM",
    ]);
    assert!(output.status.success(), "project create: {output:?}");
    let project: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let id = project["id"].as_str().unwrap();

    // No acceptance run yet: refused, saying why (the passed path is in runner.rs, after a
    // real `linker run --acceptance`).
    let output = run(&[
        "project",
        "authorization-url",
        id,
        "--products",
        "UPM",
        "--acqp-name",
        "Bank of Examples",
        "--acqp-email",
        "ops@bank.example",
        "--mail",
    ]);
    assert_eq!(output.status.code(), Some(2), "{output:?}");
    assert!(
        String::from_utf8_lossy(&output.stderr).contains("ACCEPTANCE_NOT_PASSED"),
        "{output:?}"
    );

    let output = run(&["project", "authorizations", id]);
    assert!(output.status.success(), "authorizations: {output:?}");
    let listed: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(
        (listed["authorizations"].clone(), listed["urls"].clone()),
        (serde_json::json!([]), serde_json::json!([])),
        "{listed}"
    );
}
