//! `linker bench hub` and `linker bench wal`: a short run proves each works end to end (`linker
//! bench wrk` needs wrk, which CI lacks: only its refusal without it is tested). The figures
//! themselves are for people to read; no test asserts on timing.

use crate::linker;

#[test]
fn a_short_hub_benchmark_reports_its_figures_as_json() {
    let output = linker()
        .args(["bench", "hub", "--clients", "2", "--seconds", "1", "--json"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "linker bench hub failed: {stderr}\n{stdout}"
    );
    let report: serde_json::Value = serde_json::from_str(&stdout)
        .unwrap_or_else(|error| panic!("the report is not JSON ({error}): {stdout}"));

    for field in [
        "/rsa/signUs",
        "/rsa/verifyUs",
        "/throughputOpsPerSec",
        "/latencyUs/p50",
        "/latencyUs/p99",
        "/boundOpsPerSec",
        "/ratio",
    ] {
        let value = report.pointer(field).and_then(serde_json::Value::as_f64);
        assert!(
            value.is_some_and(|v| v.is_finite() && v >= 0.0),
            "{field} is a number: {report}"
        );
    }
    assert!(
        report["rsa"]["signUs"].as_f64().unwrap() > 0.0,
        "signing takes time: {report}"
    );
    assert_eq!(report["clients"], 2);
    assert_eq!(report["seconds"], 1);
    assert!(report["optimized"].is_boolean(), "{report}");
    let ops = report["ops"].as_u64().unwrap();
    assert!(
        ops > 0,
        "some signed calls were answered and verified: {report}"
    );
    assert_eq!(
        ops,
        report["payOps"].as_u64().unwrap() + report["inquiryOps"].as_u64().unwrap(),
        "ops are pay and inquiry calls: {report}"
    );
    assert_eq!(report["errors"], 0, "no call failed: {report}");
}

/// `linker bench wal`: a hub process under load for two seconds, killed, started again.
#[test]
fn a_short_wal_benchmark_kills_and_restarts_its_hub_and_reports_as_json() {
    let output = linker()
        .args(["bench", "wal", "--clients", "2", "--seconds", "2", "--json"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "linker bench wal failed: {stderr}\n{stdout}"
    );
    let report: serde_json::Value = serde_json::from_str(&stdout)
        .unwrap_or_else(|error| panic!("the report is not JSON ({error}): {stdout}"));
    assert!(
        report["ops"].as_u64().unwrap() > 0,
        "some signed calls were answered: {report}"
    );
    assert_eq!(
        report["errors"], 0,
        "no call failed before the kill: {report}"
    );
    assert!(
        report["walMb"]["largest"].as_f64().unwrap() > 0.0,
        "the load wrote to the WAL: {report}"
    );
    assert!(
        report["restartAfterKillMs"].as_f64().unwrap() > 0.0,
        "the hub was started again after the kill: {report}"
    );
}

/// `linker bench wrk` needs the load generator wrk; without it on the PATH it says how to get it
/// before starting anything (CI has no wrk, so the benchmark itself is not run here).
#[test]
fn the_wrk_benchmark_says_how_to_install_wrk_when_it_is_missing() {
    let empty = tempfile::tempdir().unwrap();
    let output = linker()
        .args(["bench", "wrk", "--json"])
        .env("PATH", empty.path())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        !output.status.success() && stderr.contains("apt-get install wrk"),
        "without wrk the benchmark fails and names the package: status {}, stderr {stderr}, \
         stdout {stdout}",
        output.status
    );
}
