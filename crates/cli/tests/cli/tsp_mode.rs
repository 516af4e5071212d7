//! TSP mode from the command line, against `linker hub serve` as a process: `linker project
//! update --tsp-mode true`, a signed call without the Agent-Token refused over HTTP,
//! `linker verify --response` naming the missing header and the fix, and `linker project
//! rotate-agent-token`.

use linker_aplus::{KeyPair, Signer};

use crate::hub::RunningHub;
use crate::linker;

/// Runs `linker` with `args` against `hub` (its data folder holds the admin token); the JSON
/// it prints.
fn project_command(hub: &RunningHub, args: &[&str]) -> serde_json::Value {
    let output = linker()
        .args(["project"])
        .args(args)
        .args(["--hub", &hub.url, "--data"])
        .arg(hub.data.path())
        .output()
        .unwrap();
    assert!(output.status.success(), "project {args:?}: {output:?}");
    serde_json::from_slice(&output.stdout).unwrap()
}

#[test]
fn tsp_mode_from_the_cli_and_verify_naming_a_missing_agent_token() {
    let hub = RunningHub::start_in(tempfile::tempdir().unwrap(), &[]);
    let files = tempfile::tempdir().unwrap();
    let keys = KeyPair::generate().unwrap();
    let public = files.path().join("public.b64");
    std::fs::write(&public, keys.public.to_base64()).unwrap();
    std::fs::write(files.path().join("private.b64"), keys.private.to_base64()).unwrap();
    let public_text = public.to_string_lossy().into_owned();
    let project = project_command(
        &hub,
        &[
            "create",
            "--name",
            "TSP",
            "--client-id",
            "TEST_TSP_0001",
            "--acqp-public-key",
            &public_text,
        ],
    );
    let id = project["id"].as_str().unwrap().to_owned();
    assert_eq!(project["tspMode"], false, "{project}");

    let on = project_command(&hub, &["update", &id, "--tsp-mode", "true"]);
    assert_eq!(on["tspMode"], true, "{on}");
    let token = on["agentToken"].as_str().unwrap().to_owned();

    // A signed inquiry without the Agent-Token, over real HTTP.
    let path = "/aps/api/v1/payments/inquiryPayment";
    let body = r#"{"paymentRequestId":"nothing-yet"}"#;
    let time = "2026-11-25T10:00:00+08:00";
    let signature = Signer::new("TEST_TSP_0001", keys.private)
        .sign("POST", path, time, body.as_bytes())
        .unwrap()
        .format();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let answer = runtime.block_on(async {
        reqwest::Client::new()
            .post(format!("{}{path}", hub.url))
            .header("content-type", "application/json; charset=UTF-8")
            .header("client-id", "TEST_TSP_0001")
            .header("request-time", time)
            .header("signature", &signature)
            .body(body)
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap()
    });
    assert!(answer.contains("ACCESS_DENIED"), "{answer}");
    let write = |name: &str, text: &str| {
        let path = files.path().join(name);
        std::fs::write(&path, text).unwrap();
        path.to_string_lossy().into_owned()
    };
    let answer_file = write("answer.json", &answer);
    let body_file = write("body.json", body);
    let headers_file = write(
        "headers.txt",
        "POST /aps/api/v1/payments/inquiryPayment HTTP/1.1\nClient-Id: TEST_TSP_0001\n",
    );
    let output = linker()
        .args(["verify", "--public-key", &public_text])
        .args([
            "--client-id",
            "TEST_TSP_0001",
            "--time",
            time,
            "--path",
            path,
        ])
        .args(["--body", &body_file, "--signature", &signature])
        .args([
            "--response",
            &answer_file,
            "--request-headers",
            &headers_file,
        ])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(
        output.status.code(),
        Some(1),
        "a refused call is a negative answer: {output:?}"
    );
    assert!(
        stdout.contains("valid:")
            && stdout.contains("refused: the hub answered F ACCESS_DENIED for the Agent-Token")
            && stdout.contains("carried no Agent-Token header")
            && stdout.contains("Agent-Token: <the value on the project's Settings page>")
            && !stdout.contains(&token),
        "verify says the signature is fine, the Agent-Token is missing, and how to fix it: {stdout}"
    );

    let rotated = project_command(&hub, &["rotate-agent-token", &id]);
    let new_token = rotated["agentToken"].as_str().unwrap();
    assert!(
        new_token.starts_with("agt_") && new_token != token,
        "a new token: {rotated}"
    );
}
