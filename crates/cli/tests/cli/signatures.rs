//! `keys generate`, `sign` and `verify` against the known-answer vector and each other.

use std::path::Path;

use predicates::prelude::*;

use crate::{linker, vector};

struct Files {
    dir: tempfile::TempDir,
}

impl Files {
    fn new() -> Files {
        Files {
            dir: tempfile::tempdir().unwrap(),
        }
    }
    fn write(&self, name: &str, bytes: impl AsRef<[u8]>) -> String {
        let path = self.dir.path().join(name);
        std::fs::write(&path, bytes).unwrap();
        path.to_string_lossy().into_owned()
    }
    fn path(&self) -> &Path {
        self.dir.path()
    }
}

fn message_args(part: &serde_json::Value, request: &serde_json::Value, body: &str) -> Vec<String> {
    let time = part
        .get("requestTime")
        .or_else(|| part.get("responseTime"))
        .unwrap();
    vec![
        "--client-id".into(),
        request["clientId"].as_str().unwrap().into(),
        "--time".into(),
        time.as_str().unwrap().into(),
        "--method".into(),
        request["httpMethod"].as_str().unwrap().into(),
        "--path".into(),
        request["path"].as_str().unwrap().into(),
        "--body".into(),
        body.into(),
    ]
}

#[test]
fn sign_reproduces_the_vector_request_and_response_headers() {
    let vector = vector();
    let files = Files::new();
    let key = files.write("key.b64", vector["privateKeyPkcs8Base64"].as_str().unwrap());
    let request = &vector["request"];
    for (name, part) in [("request", request), ("response", &vector["response"])] {
        let body = files.write(&format!("{name}.json"), part["body"].as_str().unwrap());
        let output = linker()
            .args(["sign", "--key", &key, "--json"])
            .args(message_args(part, request, &body))
            .output()
            .unwrap();
        assert!(output.status.success(), "sign failed: {output:?}");
        let answer: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
        assert_eq!(
            answer["signatureHeader"], part["signatureHeader"],
            "the {name} header must match the vector byte for byte"
        );
        assert_eq!(
            answer["contentToSign"], part["contentToSign"],
            "the {name} content to sign"
        );
    }
}

#[test]
fn sign_prints_the_content_and_the_header_for_people() {
    let vector = vector();
    let files = Files::new();
    let key = files.write("key.b64", vector["privateKeyPkcs8Base64"].as_str().unwrap());
    let request = &vector["request"];
    let body = files.write("body.json", request["body"].as_str().unwrap());
    let header = request["signatureHeader"].as_str().unwrap();
    linker()
        .args(["sign", "--key", &key])
        .args(message_args(request, request, &body))
        .assert()
        .success()
        .stdout(predicate::str::contains(format!("Signature: {header}")))
        .stdout(predicate::str::contains(
            "POST /aps/api/v1/payments/pay\nTEST_5X00000000000000.",
        ));
}

#[test]
fn verify_accepts_the_vector_and_rejects_a_one_byte_change_of_the_body() {
    let vector = vector();
    let files = Files::new();
    let public = files.write(
        "public.b64",
        vector["publicKeySpkiBase64"].as_str().unwrap(),
    );
    let request = &vector["request"];
    let original = request["body"].as_str().unwrap();
    let header = request["signatureHeader"].as_str().unwrap();

    let body = files.write("body.json", original);
    linker()
        .args(["verify", "--public-key", &public, "--signature", header])
        .args(message_args(request, request, &body))
        .assert()
        .code(0)
        .stdout(predicate::str::starts_with("valid"));

    let changed = original.replace("\"100\"", "\"101\"");
    assert_eq!(changed.len(), original.len(), "a one-byte change");
    let body = files.write("changed.json", changed);
    linker()
        .args(["verify", "--public-key", &public, "--signature", header])
        .args(message_args(request, request, &body))
        .assert()
        .code(1)
        .stdout(predicate::str::starts_with("invalid"));
}

#[test]
fn verify_explains_a_body_signed_with_other_whitespace() {
    let vector = vector();
    let files = Files::new();
    let public = files.write(
        "public.b64",
        vector["publicKeySpkiBase64"].as_str().unwrap(),
    );
    let request = &vector["request"];
    let compact: serde_json::Value =
        serde_json::from_str(request["body"].as_str().unwrap()).unwrap();
    let pretty = serde_json::to_string_pretty(&compact).unwrap();
    let body = files.write("pretty.json", pretty);
    let output = linker()
        .args(["verify", "--public-key", &public, "--json"])
        .args(["--signature", request["signatureHeader"].as_str().unwrap()])
        .args(message_args(request, request, &body))
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1), "{output:?}");
    let answer: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(
        answer["diagnosis"]["kind"], "bodyWhitespace",
        "diagnosis: {answer}"
    );
}

#[test]
fn verify_explains_an_epoch_time_signed_as_iso() {
    let vector = vector();
    let files = Files::new();
    let public = files.write(
        "public.b64",
        vector["publicKeySpkiBase64"].as_str().unwrap(),
    );
    let request = &vector["request"];
    let body = files.write("body.json", request["body"].as_str().unwrap());
    // 2019-05-28T12:12:12+08:00 as epoch milliseconds: the header says one form, the signer used
    // the other.
    let output = linker()
        .args(["verify", "--public-key", &public, "--json"])
        .args(["--signature", request["signatureHeader"].as_str().unwrap()])
        .args([
            "--client-id",
            "TEST_5X00000000000000",
            "--time",
            "1559016732000",
        ])
        .args(["--path", "/aps/api/v1/payments/pay", "--body", &body])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1), "{output:?}");
    let answer: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(
        answer["diagnosis"]["kind"], "timeFormat",
        "diagnosis: {answer}"
    );
}

#[test]
fn generated_keys_sign_and_verify_each_other() {
    let files = Files::new();
    let out = files.path().join("keys");
    linker()
        .args(["keys", "generate", "--out"])
        .arg(&out)
        .assert()
        .success();
    let private = out.join("private-key.b64");
    let public = out.join("public-key.b64");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&private).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "the private key is readable by its owner only");
    }
    linker()
        .args(["keys", "generate", "--out"])
        .arg(&out)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--force"));

    let body = files.write("body.json", r#"{"paymentRequestId":"r1"}"#);
    let time = "2026-11-25T10:00:00+08:00";
    let signed = linker()
        .args(["sign", "--json", "--key"])
        .arg(&private)
        .args([
            "--client-id",
            "C1",
            "--time",
            time,
            "--path",
            "/p",
            "--body",
            &body,
        ])
        .output()
        .unwrap();
    assert!(signed.status.success(), "{signed:?}");
    let answer: serde_json::Value = serde_json::from_slice(&signed.stdout).unwrap();
    let header = answer["signatureHeader"].as_str().unwrap();
    linker()
        .args(["verify", "--public-key"])
        .arg(&public)
        .args([
            "--client-id",
            "C1",
            "--time",
            time,
            "--path",
            "/p",
            "--body",
            &body,
        ])
        .args(["--signature", &format!("Signature: {header}")])
        .assert()
        .code(0);
}

#[test]
fn bad_input_is_one_line_and_exit_code_2() {
    let vector = vector();
    let files = Files::new();
    let key = files.write("key.b64", vector["privateKeyPkcs8Base64"].as_str().unwrap());
    let bad_key = files.write("bad.b64", "this is not a key");
    let body = files.write("body.json", "{}");
    let latin1 = files.write("latin1.json", b"{\"name\":\"caf\xe9\"}");
    let missing = files
        .path()
        .join("missing.json")
        .to_string_lossy()
        .into_owned();
    let base = [
        "--client-id",
        "C",
        "--time",
        "2019-05-28T12:12:12+08:00",
        "--path",
        "/p",
    ];

    let cases: Vec<(Vec<&str>, &str)> = vec![
        (
            vec!["--key", &key, "--body", &missing],
            "cannot read the body file",
        ),
        (
            vec!["--key", &bad_key, "--body", &body],
            "is not a usable private key",
        ),
        (vec!["--key", &key, "--body", &latin1], "is not UTF-8"),
    ];
    for (args, expected) in cases {
        let output = linker()
            .arg("sign")
            .args(base)
            .args(&args)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "sign {args:?}: {stderr}");
        assert!(
            stderr.contains(expected),
            "sign {args:?} should say {expected:?}: {stderr}"
        );
        assert_eq!(
            stderr.trim_end().lines().count(),
            1,
            "one line, no backtrace: {stderr}"
        );
        assert!(!stderr.contains("panicked"), "{stderr}");
    }
    let output = linker()
        .args([
            "sign",
            "--key",
            &key,
            "--client-id",
            "C",
            "--time",
            "yesterday",
        ])
        .args(["--path", "/p", "--body", &body])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2), "{output:?}");
    assert!(
        String::from_utf8_lossy(&output.stderr).contains("--time"),
        "{output:?}"
    );
}
