//! `linker bench hub`, `linker bench wal` and `linker bench growth`: a short run proves each works
//! end to end (`linker bench wrk` needs wrk, which CI lacks: only its refusal without it is
//! tested). The figures themselves are for people to read; no test asserts on timing.

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

/// `linker bench growth`, tiny: two points, two rounds of a few samples; every figure the table
/// prints is in the JSON, and each point was measured once per round.
#[test]
fn a_tiny_growth_benchmark_measures_every_point_in_every_round() {
    let dir = tempfile::tempdir().unwrap();
    let output = linker()
        .args([
            "bench",
            "growth",
            "--at",
            "100,400",
            "--samples",
            "10",
            "--rounds",
            "2",
            "--json",
            "--dir",
        ])
        .arg(dir.path())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "linker bench growth failed: {stderr}\n{stdout}"
    );
    let report: serde_json::Value = serde_json::from_str(&stdout)
        .unwrap_or_else(|error| panic!("the report is not JSON ({error}): {stdout}"));
    let points = report["points"].as_array().unwrap();
    assert_eq!(points.len(), 2, "one row per point: {report}");
    assert!(
        points[1]["exchanges"].as_u64().unwrap() >= 400,
        "the store was filled to the last point: {report}"
    );
    for point in points {
        for kind in ["signedUs", "requestLogUs", "testDataUs"] {
            let figures = &point[kind];
            assert_eq!(
                figures["p99Rounds"].as_array().map(Vec::len),
                Some(2),
                "{kind} has a p99 per round: {report}"
            );
            let signed = if kind == "signedUs" { 2 } else { 1 };
            assert_eq!(
                figures["count"],
                2 * 10 * signed,
                "{kind}: every sample of both rounds counted: {report}"
            );
            assert!(
                figures["p99Median"].as_f64().unwrap() > 0.0
                    && figures["p99Ratio"].as_f64().unwrap() > 0.0,
                "{kind} has a median p99 and its ratio: {report}"
            );
            assert!(
                figures["hubCpuP50"].as_u64().unwrap() > 0,
                "{kind}: the hub's threads' CPU per request is counted (the clients' is not \
                 the hub's): {report}"
            );
        }
    }
    assert!(
        report["hubCpuSpread"].as_f64().unwrap() >= 1.0,
        "the CPU spread is the largest median over the smallest: {report}"
    );
    for kind in ["signedUs", "requestLogUs", "testDataUs"] {
        let p99 = |point: &serde_json::Value| point[kind]["p99"].as_f64().unwrap();
        let ratio = points[1][kind]["p99Ratio"].as_f64().unwrap();
        assert!(
            (ratio - p99(&points[1]) / p99(&points[0])).abs() < 0.01,
            "{kind}: the ratio is the p99 over all of a point's samples to the first point's: \
             {report}"
        );
        let (high, low) = (
            p99(&points[0]).max(p99(&points[1])),
            p99(&points[0]).min(p99(&points[1])),
        );
        assert!(
            report["worstSpread"].as_f64().unwrap() + 0.01 >= high / low,
            "{kind}: the verdict's spread covers this kind's: {report}"
        );
    }
    assert!(report["flat"].is_boolean(), "a verdict: {report}");
    assert!(
        report["worstSpread"].as_f64().unwrap() >= 1.0,
        "the spread is the largest p99 over the smallest: {report}"
    );
    assert_eq!(
        std::fs::read_dir(dir.path()).unwrap().count(),
        0,
        "the data folder and snapshots are deleted at the end"
    );
}
