//! Reports of a set of runs: JUnit XML for CI, JSON for machines, one self-contained HTML page
//! for people. [`acceptance`]: the signed sandbox acceptance report and its verification.
//!
//! The headless runner (`linker run ... --report junit|json|html`) and the hub's console build a
//! [`Report`] from the runs they know and render it with [`to_junit`], [`to_json`] or
//! [`to_html`]. Every renderer works on [`Report::redacted`], so secrets (credentials in
//! headers, tokens, passwords, keys and auth codes in bodies, URLs and texts) never reach a
//! report. Pure functions: no I/O.
//!
//! ```
//! use linker_cases::report::{Report, to_html, to_json, to_junit};
//! use linker_cases::testing::sample_report;
//! use linker_cases::Catalogue;
//!
//! let report: Report = sample_report(Catalogue::builtin().expect("built-in catalogue"));
//! assert!(to_junit(&report).contains("<testsuites"));
//! assert!(to_json(&report).contains("\"runs\""));
//! assert!(to_html(&report).starts_with("<!DOCTYPE html>"));
//! ```

pub mod acceptance;
mod html;
mod junit;
mod redact;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::catalogue::{CaseDef, ManualQuestion, Product, Step};
use crate::check::CheckResult;
use crate::record::{Event, RunRecord};
use crate::verdict::{Outcome, Verdict};

pub use html::to_html;
pub use junit::to_junit;
pub use redact::{REDACTED, is_secret_header, is_secret_name, redact_json, redact_text};

/// A report of a set of runs, the input of every renderer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Report {
    /// The report's title, e.g. "Linker run of UPM cases".
    pub title: String,
    /// When the report was made.
    pub generated_at: DateTime<Utc>,
    /// The hub the runs ran on.
    pub hub_url: String,
    /// The project (TSP / ACQP) the runs concern, if known.
    pub project: Option<String>,
    /// The merchant the runs concern, when they are all one merchant's.
    pub merchant: Option<String>,
    /// The version of the tool that made the report, e.g. `linker 0.1.0`.
    pub tool_version: String,
    /// The runs, in the order they ran.
    pub runs: Vec<RunReport>,
}

/// One run in a report: the case, the verdict and all its evidence.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RunReport {
    /// The case that ran.
    pub case: ReportCase,
    /// The hub's id of the run.
    pub run_id: String,
    /// The merchant that ran it.
    pub merchant_id: String,
    /// The wallet the hub played in the run, e.g. `GCASH` (absent: not recorded, as in runs
    /// from hubs older than the choice, which always played `TEST_WALLET`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wallet: Option<String>,
    /// When the run started.
    pub started_at: DateTime<Utc>,
    /// When it was decided, if it was.
    pub ended_at: Option<DateTime<Utc>>,
    /// Passed, failed, broken or skipped.
    pub outcome: Outcome,
    /// The verdict's one sentence.
    pub summary: String,
    /// Every check, failing first.
    pub checks: Vec<CheckResult>,
    /// Every event of the run, the evidence.
    pub events: Vec<Event>,
    /// Wall-clock milliseconds the headless runner spent on the case, from starting the run to
    /// its verdict (absent when no runner drove it). Unlike `endedAt - startedAt`, which is on
    /// the hub's clock, it does not count time a test clock skipped.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub elapsed_ms: Option<u64>,
}

/// What a report says about a case: enough to read the run without the catalogue.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ReportCase {
    /// E.g. `UPM-04`.
    pub id: String,
    /// The product it tests.
    pub product: Product,
    /// Its short title.
    pub title: String,
    /// What it tests and why (may be empty).
    #[serde(default)]
    pub summary: String,
    /// What the merchant does, step by step.
    #[serde(default)]
    pub steps: Vec<Step>,
    /// The questions the merchant answers.
    #[serde(default)]
    pub manual: Vec<ManualQuestion>,
}

impl From<&CaseDef> for ReportCase {
    fn from(case: &CaseDef) -> ReportCase {
        ReportCase {
            id: case.id.clone(),
            product: case.product,
            title: case.title.clone(),
            summary: case.summary.trim().to_owned(),
            steps: case.steps.clone(),
            manual: case.manual.clone(),
        }
    }
}

impl RunReport {
    /// A decided run of `case`: its record, merchant, end time and verdict.
    pub fn new(
        case: &CaseDef,
        record: &RunRecord,
        merchant_id: &str,
        ended_at: Option<DateTime<Utc>>,
        verdict: &Verdict,
    ) -> RunReport {
        RunReport {
            case: ReportCase::from(case),
            run_id: record.run_id.clone(),
            merchant_id: merchant_id.to_owned(),
            wallet: None,
            started_at: record.started_at,
            ended_at,
            outcome: verdict.outcome,
            summary: verdict.summary.clone(),
            checks: verdict.checks.clone(),
            events: record.events.clone(),
            elapsed_ms: None,
        }
    }

    /// The run, naming the wallet the hub played in it.
    pub fn with_wallet(mut self, wallet: Option<String>) -> RunReport {
        self.wallet = wallet;
        self
    }

    /// How long the run took, in seconds (0 when it has no end).
    pub fn duration_secs(&self) -> f64 {
        self.ended_at
            .map(|end| (end - self.started_at).num_milliseconds().max(0) as f64 / 1000.0)
            .unwrap_or(0.0)
    }

    /// The run with every secret replaced by [`REDACTED`].
    pub fn redacted(&self) -> RunReport {
        redact::run(self)
    }
}

/// How many runs ended each way.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Counts {
    /// Runs that passed.
    pub passed: usize,
    /// Runs that failed.
    pub failed: usize,
    /// Runs that could not be judged.
    pub broken: usize,
    /// Runs that were not judged.
    pub skipped: usize,
}

impl Counts {
    /// Every run counted.
    pub fn total(&self) -> usize {
        self.passed + self.failed + self.broken + self.skipped
    }

    /// The report's overall status: failed if any run failed, else broken if any broke, else
    /// passed if any passed, else skipped (or "no runs").
    pub fn status(&self) -> &'static str {
        if self.failed > 0 {
            "failed"
        } else if self.broken > 0 {
            "broken"
        } else if self.passed > 0 {
            "passed"
        } else if self.skipped > 0 {
            "skipped"
        } else {
            "no runs"
        }
    }
}

impl Report {
    /// Counts of the runs by outcome.
    pub fn counts(&self) -> Counts {
        let mut counts = Counts::default();
        for run in &self.runs {
            match run.outcome {
                Outcome::Passed => counts.passed += 1,
                Outcome::Failed => counts.failed += 1,
                Outcome::Broken => counts.broken += 1,
                Outcome::Skipped => counts.skipped += 1,
            }
        }
        counts
    }

    /// The report with every secret replaced by [`REDACTED`]; every renderer uses this.
    pub fn redacted(&self) -> Report {
        Report {
            title: redact_text(&self.title),
            generated_at: self.generated_at,
            hub_url: redact::url_credentials(&redact_text(&self.hub_url)),
            project: self.project.as_deref().map(redact_text),
            merchant: self.merchant.as_deref().map(redact_text),
            tool_version: self.tool_version.clone(),
            runs: self.runs.iter().map(RunReport::redacted).collect(),
        }
    }

    /// The runs failures first (failed, broken, skipped, passed), keeping their order otherwise.
    pub fn runs_failures_first(&self) -> Vec<&RunReport> {
        let mut runs: Vec<&RunReport> = self.runs.iter().collect();
        runs.sort_by_key(|run| outcome_rank(run.outcome));
        runs
    }
}

/// The sort rank of an outcome in a report: failed first, passed last.
pub fn outcome_rank(outcome: Outcome) -> u8 {
    match outcome {
        Outcome::Failed => 0,
        Outcome::Broken => 1,
        Outcome::Skipped => 2,
        Outcome::Passed => 3,
    }
}

/// The outcome as a word: `passed`, `failed`, `broken`, `skipped`.
pub fn outcome_word(outcome: Outcome) -> &'static str {
    match outcome {
        Outcome::Passed => "passed",
        Outcome::Failed => "failed",
        Outcome::Broken => "broken",
        Outcome::Skipped => "skipped",
    }
}

/// The product as the catalogue writes it (`UPM`, `ORDER_CODE`, ...): [`Product::code`].
pub fn product_name(product: Product) -> &'static str {
    product.code()
}

/// The report as pretty JSON (redacted): `serde_json` of [`Report`], every exchange included.
pub fn to_json(report: &Report) -> String {
    serde_json::to_string_pretty(&report.redacted()).unwrap_or_else(|error| {
        // Unreachable for these types (string keys only); still a JSON answer, never a panic.
        serde_json::json!({ "error": format!("report could not be serialized: {error}") })
            .to_string()
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Catalogue;
    use crate::testing::sample_report;

    #[test]
    fn counts_and_status() {
        let report = sample_report(Catalogue::builtin().unwrap());
        let counts = report.counts();
        assert_eq!(
            (counts.passed, counts.failed, counts.broken, counts.skipped),
            (1, 1, 1, 1),
            "{counts:?}"
        );
        assert_eq!(counts.status(), "failed", "{counts:?}");
        assert_eq!(Counts::default().status(), "no runs");
        let order: Vec<Outcome> = report
            .runs_failures_first()
            .iter()
            .map(|r| r.outcome)
            .collect();
        assert_eq!(
            order,
            [
                Outcome::Failed,
                Outcome::Broken,
                Outcome::Skipped,
                Outcome::Passed
            ],
            "failures first"
        );
    }

    #[test]
    fn product_codes_match_serde_and_read_back() {
        for product in Product::ALL {
            let json = serde_json::to_value(product).unwrap();
            assert_eq!(json, product_name(product), "{product:?}");
            assert_eq!(
                Product::from_code(product.code()),
                Some(product),
                "{product:?} reads back from its code {}",
                product.code()
            );
            assert_ne!(
                product.name(),
                product.code(),
                "{product:?} has a name for people, not its enum"
            );
        }
        assert_eq!(Product::OrderCode.name(), "Order Code");
        assert_eq!(Product::from_code("MPM"), None, "MPM is no single product");
    }

    #[test]
    fn json_round_trips_to_the_redacted_report() {
        let report = sample_report(Catalogue::builtin().unwrap());
        let json = to_json(&report);
        let back: Report = serde_json::from_str(&json).unwrap();
        assert_eq!(back, report.redacted(), "{json}");
        let value: serde_json::Value = serde_json::from_str(&json).unwrap();
        assert!(value["generatedAt"].is_string(), "camelCase keys: {value}");
        assert_eq!(value["runs"][0]["case"]["id"], "UPM-01", "{value}");
        assert!(
            json.contains("\n  \"title\""),
            "pretty-printed: {}",
            &json[..80.min(json.len())]
        );
    }

    #[test]
    fn duration_is_end_minus_start() {
        let report = sample_report(Catalogue::builtin().unwrap());
        let run = &report.runs[0];
        assert!(run.duration_secs() > 0.0, "{:?}", run.ended_at);
        let mut open = run.clone();
        open.ended_at = None;
        assert_eq!(open.duration_secs(), 0.0);
    }
}
