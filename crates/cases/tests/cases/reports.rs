//! Reports: JUnit XML valid against the common schema (xmllint), no secret in any output, the
//! HTML page rendered in headless Chromium (with screenshots to look at), and every format
//! compared with its committed snapshot.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use linker_aplus::message::Api;
use linker_cases::report::{Report, RunReport, to_html, to_json, to_junit};
use linker_cases::testing::{RecordBuilder, sample_report, upm_pay_body};
use linker_cases::{Catalogue, EventKind, ManualAnswer, Verdict, WalletActionKind, judge};
use serde_json::json;

use crate::case;

fn sample() -> Report {
    sample_report(Catalogue::builtin().unwrap())
}

/// True when `program` runs (`--version`); prints why a test is skipped when not.
fn available(program: &str, package: &str) -> bool {
    match Command::new(program).arg("--version").output() {
        Ok(output) if output.status.success() => true,
        _ => {
            eprintln!(
                "SKIPPED: `{program}` is not installed (Debian package {package}; scripts/setup.sh installs it)"
            );
            false
        }
    }
}

fn xsd() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/junit.xsd")
}

fn xmllint(xml: &str) -> Output {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("report.xml");
    std::fs::write(&file, xml).unwrap();
    Command::new("xmllint")
        .arg("--noout")
        .arg("--schema")
        .arg(xsd())
        .arg(&file)
        .output()
        .unwrap()
}

/// A report whose every text tries to break the XML: markup, quotes, control characters,
/// `]]>`, non-ASCII.
fn hostile() -> Report {
    let mut report = sample();
    report.title = "<Linker> & \"co\" 'quoted' ]]> \u{1} 日本語".to_owned();
    for run in &mut report.runs {
        run.summary = format!("{} <b>&amp;</b> \"x\"\n\u{0}next line ]]>", run.summary);
        run.case.title = format!("{} <&>\u{1b}", run.case.title);
    }
    report
}

#[test]
fn junit_is_valid_against_the_common_schema() {
    if !available("xmllint", "libxml2-utils") {
        return;
    }
    for (name, report) in [("sample", sample()), ("hostile", hostile())] {
        let xml = to_junit(&report);
        let output = xmllint(&xml);
        assert!(
            output.status.success(),
            "{name} report does not validate: {}\n{xml}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    // An empty report too.
    let mut empty = sample();
    empty.runs.clear();
    let xml = to_junit(&empty);
    let output = xmllint(&xml);
    assert!(
        output.status.success(),
        "empty report: {}\n{xml}",
        String::from_utf8_lossy(&output.stderr)
    );
}

#[test]
fn the_schema_rejects_what_ci_would_reject() {
    if !available("xmllint", "libxml2-utils") {
        return;
    }
    // Proof the schema checks something: a suite without counts, a failure outside a case,
    // a time that is not a number.
    for bad in [
        r#"<testsuites><testsuite name="x"><testcase name="a"/></testsuite></testsuites>"#,
        r#"<testsuites><testsuite name="x" tests="1" failures="0" errors="0"><failure/></testsuite></testsuites>"#,
        r#"<testsuites><testsuite name="x" tests="1" failures="0" errors="0"><testcase name="a" time="1,5s"/></testsuite></testsuites>"#,
    ] {
        let output = xmllint(bad);
        assert!(
            !output.status.success(),
            "schema accepted an invalid report: {bad}"
        );
    }
}

#[test]
fn junit_names_each_outcome_the_ci_way() {
    let xml = to_junit(&sample());
    let case_block = |id: &str| {
        let start = xml
            .find(&format!("<testcase name=\"{id} "))
            .unwrap_or_else(|| panic!("no testcase {id} in {xml}"));
        let end = start + xml[start..].find("</testcase>").unwrap();
        xml[start..end].to_owned()
    };
    let failed = case_block("UPM-04");
    assert!(
        failed.contains(
            "<failure message=\"cancels-within failed: no cancelPayment within 90 s of pay"
        ),
        "failed run is a <failure> with the summary as message: {failed}"
    );
    assert!(
        failed.contains("- cancels-within: no cancelPayment within 90 s of pay")
            && failed.contains("- manual:pos-shows-not-paid:"),
        "every failing check and its reason in the body: {failed}"
    );
    assert!(
        failed.contains("time=\"300.000\""),
        "time in seconds: {failed}"
    );
    let broken = case_block("MOC-01");
    assert!(
        broken.contains("<error message=\"No call from the ACQP within the timeout"),
        "broken run is an <error>: {broken}"
    );
    let skipped = case_block("CSH-01");
    assert!(
        skipped.contains("<skipped message=\"ended when the merchant started another run"),
        "skipped run is <skipped>: {skipped}"
    );
    let passed = case_block("UPM-01");
    assert!(
        !passed.contains("<failure") && !passed.contains("<error") && !passed.contains("<skipped"),
        "passed run has no problem element: {passed}"
    );
    assert!(
        passed.contains("ACQP -&gt; hub pay: S SUCCESS, signature valid"),
        "evidence timeline in system-out: {passed}"
    );
}

#[test]
fn json_carries_every_exchange_as_evidence() {
    let report = sample();
    let json: serde_json::Value = serde_json::from_str(&to_json(&report)).unwrap();
    let runs = json["runs"].as_array().unwrap();
    assert_eq!(runs.len(), 4, "{json}");
    for (run, original) in runs.iter().zip(&report.runs) {
        let events = run["events"].as_array().unwrap();
        assert_eq!(
            events.len(),
            original.events.len(),
            "every event of {} in the JSON: {run}",
            original.run_id
        );
    }
    let failed = &runs[1];
    assert_eq!(failed["outcome"], "failed", "{failed}");
    assert_eq!(failed["events"][1]["kind"], "acqp_call", "{failed}");
    assert_eq!(failed["events"][1]["api"], "pay", "{failed}");
    assert!(
        failed["events"][1]["request_body"]
            .as_str()
            .unwrap()
            .contains("\"paymentRequestId\":\"pay-1\""),
        "request body as evidence: {failed}"
    );
    assert_eq!(
        failed["events"][1]["request_headers"]["Client-Id"], "SANDBOX_5X00000000000000",
        "headers as evidence: {failed}"
    );
}

#[test]
fn every_format_names_the_wallet_a_run_played_and_none_when_it_was_not_recorded() {
    let mut report = sample();
    let run = report.runs[0].clone();
    report.runs[0] = run.clone().with_wallet(Some("GCASH".to_owned()));
    let junit = to_junit(&report);
    let json = to_json(&report);
    let html = to_html(&report);
    assert!(
        junit.contains("with wallet GCASH"),
        "JUnit names it: {junit}"
    );
    assert!(
        json.contains("\"wallet\": \"GCASH\""),
        "JSON names it: {json}"
    );
    assert!(
        html.contains("<dt>Wallet</dt><dd>GCASH</dd>"),
        "HTML names it: {html}"
    );
    let plain = sample();
    assert!(
        !to_junit(&plain).contains("with wallet") && !to_json(&plain).contains("\"wallet\""),
        "a run without a recorded wallet says nothing of one"
    );
}

// Snapshots of every format (tests/cases/snapshots/), so that a change to a report is reviewed
// as a diff. The sample report has fixed times, run ids and hub URL, so nothing needs scrubbing.
// `cargo insta review` (or INSTA_UPDATE=always) accepts a change; with CI=true a difference
// fails and nothing is written.

#[test]
fn junit_matches_its_snapshot() {
    insta::assert_snapshot!("junit_sample", to_junit(&sample()));
    insta::assert_snapshot!("junit_hostile", to_junit(&hostile()));
}

#[test]
fn json_matches_its_snapshot() {
    insta::assert_snapshot!("json_sample", to_json(&sample()));
    insta::assert_snapshot!("json_redacted", to_json(&secret_report().0));
}

#[test]
fn html_matches_its_snapshot() {
    insta::assert_snapshot!("html_sample", to_html(&sample()));
}

/// A UPM-01 run full of secrets, in every place a secret can hide.
fn secret_report() -> (Report, Vec<&'static str>) {
    let secrets = vec![
        "Bearer-SEKRIT-1",
        "session=SEKRIT-2",
        "SEKRIT-3-set-cookie",
        "SEKRIT-4-access",
        "SEKRIT-5-password",
        "SEKRIT-6-client-secret",
        "SEKRIT-7-private-key",
        "SEKRIT-8-authcode",
        "SEKRIT-9-refresh",
        "SEKRIT-10-note",
        "SEKRIT-11-hubpass",
        "SEKRIT-12-reason",
        "SEKRIT-13-callback",
    ];
    let mut pay = upm_pay_body("pay-1");
    pay["extendInfo"] = json!({
        "accessToken": "SEKRIT-4-access",
        "credentials": [{"PASSWORD": "SEKRIT-5-password"}, {"client_secret": "SEKRIT-6-client-secret"}],
        "privateKey": {"pem": "SEKRIT-7-private-key"},
        "redirect": "https://merchant.example/back?authCode=SEKRIT-8-authcode&state=1"
    });
    let record = RecordBuilder::new("UPM-01")
        .show_code(1.0)
        .pay_with(4.0, pay, "S", "SUCCESS")
        .edit_call(|call| {
            call.request_headers
                .insert("Authorization".into(), "Bearer-SEKRIT-1".into());
            call.request_headers
                .insert("cookie".into(), "session=SEKRIT-2".into());
            call.request_headers
                .insert("Set-Cookie".into(), "SEKRIT-3-set-cookie".into());
            call.response_body =
                json!({"result": {"resultCode": "SUCCESS", "resultStatus": "S"}, "refreshToken": "SEKRIT-9-refresh"})
                    .to_string();
        })
        .wallet(
            5.0,
            WalletActionKind::Redirected {
                url: "https://merchant.example/done?authCode=SEKRIT-8-authcode".into(),
            },
        )
        .event(
            20.0,
            EventKind::ManualAnswer(ManualAnswer {
                question_id: "pos-shows-success".into(),
                answer: true,
                note: Some("the cashier typed password=SEKRIT-10-note".into()),
                attachment: None,
            }),
        )
        .call(
            21.0,
            Api::ApplyToken,
            json!({"authCode": "SEKRIT-8-authcode"}),
            "S",
            "SUCCESS",
            json!({"accessToken": "SEKRIT-4-access", "accessTokenExpiryTime": "2026-02-01T00:00:00Z"}),
        )
        .notify(22.0, false, linker_cases::testing::Reply::SignedAck)
        .edit_last(|event| {
            if let EventKind::HubCallback(callback) = &mut event.kind {
                callback.reply_body = Some(
                    r#"{"result":{"resultStatus":"S"},"token":"SEKRIT-13-callback"}"#.into(),
                );
                callback.error = Some("upstream said secret=SEKRIT-13-callback".into());
            }
        })
        .build();
    let case = case("UPM-01");
    let judgement = judge(case, &record, RecordBuilder::at(30.0));
    let mut verdict: Verdict = judgement
        .verdict()
        .cloned()
        .unwrap_or_else(|| Verdict::broken("not decided", judgement.checks.clone()));
    if let Some(check) = verdict.checks.first_mut() {
        check.outcome = linker_cases::CheckOutcome::Failed {
            reason: r#"reply body {"accessToken":"SEKRIT-12-reason"} (cut…"#.into(),
        };
    }
    let mut report = sample();
    report.hub_url = "http://admin:SEKRIT-11-hubpass@127.0.0.1:7180".into();
    report.runs.push(RunReport::new(
        case,
        &record,
        "mer_cafe_shibuya",
        Some(RecordBuilder::at(30.0)),
        &verdict,
    ));
    (report, secrets)
}

#[test]
fn secrets_never_appear_in_any_report() {
    let (report, secrets) = secret_report();
    // The secrets really are in the input.
    let raw = serde_json::to_string(&report).unwrap();
    for secret in &secrets {
        assert!(raw.contains(secret), "test input lacks {secret}");
    }
    for (format, output) in [
        ("junit", to_junit(&report)),
        ("json", to_json(&report)),
        ("html", to_html(&report)),
    ] {
        let leaked: Vec<&&str> = secrets.iter().filter(|s| output.contains(**s)).collect();
        assert!(
            leaked.is_empty(),
            "{format} report leaks {leaked:?}:\n{output}"
        );
        assert!(
            output.contains("[REDACTED]"),
            "{format} report marks what it redacted"
        );
    }
    // What is not secret stays: the evidence is still evidence.
    let json = to_json(&report);
    for kept in [
        "\"paymentRequestId\\\":\\\"pay-1\\\"",
        "SANDBOX_5X00000000000000",
        "accessTokenExpiryTime",
        "state=1",
        "127.0.0.1:7180",
    ] {
        assert!(
            json.contains(kept),
            "{kept} should survive redaction:\n{json}"
        );
    }
}

/// The workspace's target directory, where screenshots go.
fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target"))
}

fn chromium(args: &[&str], page: &Path) -> Output {
    let profile = tempfile::tempdir().unwrap();
    Command::new("timeout")
        .arg("120")
        .arg("chromium")
        .args([
            "--headless",
            "--disable-gpu",
            "--no-sandbox",
            "--no-first-run",
            "--hide-scrollbars",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .args(args)
        .arg(format!("file://{}", page.display()))
        .output()
        .unwrap()
}

#[test]
fn html_renders_in_headless_chromium() {
    if !Path::new("/usr/bin/chromium").exists() {
        eprintln!(
            "SKIPPED: /usr/bin/chromium is not installed (Debian package chromium; scripts/setup.sh installs it)"
        );
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let page = dir.path().join("report.html");
    std::fs::write(&page, to_html(&sample())).unwrap();

    let output = chromium(&["--dump-dom"], &page);
    let dom = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "chromium failed ({}): {}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    for expected in [
        "4 runs: 1 failed, 1 broken, 1 skipped, 1 passed",
        "<span class=\"big\">FAILED</span>",
        "cancels-within failed: no cancelPayment within 90 s of pay",
    ] {
        assert!(
            dom.contains(expected),
            "rendered DOM lacks {expected:?}:\n{dom}"
        );
    }

    let shots = target_dir().join("report-screenshots");
    std::fs::create_dir_all(&shots).unwrap();
    std::fs::copy(&page, shots.join("report.html")).unwrap();
    for (name, size) in [("report.png", "1280,2000"), ("report-400.png", "400,2000")] {
        let file = shots.join(name);
        let _ = std::fs::remove_file(&file);
        let output = chromium(
            &[
                &format!("--screenshot={}", file.display()),
                &format!("--window-size={size}"),
            ],
            &page,
        );
        let size_on_disk = std::fs::metadata(&file).map(|m| m.len()).unwrap_or(0);
        assert!(
            size_on_disk > 10_000,
            "screenshot {} not written ({size_on_disk} bytes; chromium {}: {})",
            file.display(),
            output.status,
            String::from_utf8_lossy(&output.stderr)
        );
    }
}
