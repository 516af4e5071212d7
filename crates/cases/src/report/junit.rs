//! JUnit XML, as Jenkins, GitLab, GitHub Actions and every other CI read it: `<testsuites>`,
//! one `<testsuite>` per product, one `<testcase>` per run; `<failure>` for a failed run (the
//! failing checks and their reasons in the body), `<error>` for a broken one, `<skipped>` for a
//! skipped one, and the evidence timeline in `<system-out>`.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use super::{Report, RunReport, outcome_word, product_name};
use crate::catalogue::Product;
use crate::record::{Event, EventKind};
use crate::verdict::Outcome;

/// The report as JUnit XML (redacted), valid against the common `junit-10.xsd` shape.
pub fn to_junit(report: &Report) -> String {
    let report = report.redacted();
    let mut suites: BTreeMap<Product, Vec<&RunReport>> = BTreeMap::new();
    for run in &report.runs {
        suites.entry(run.case.product).or_default().push(run);
    }
    let counts = report.counts();
    let total_time: f64 = report.runs.iter().map(RunReport::duration_secs).sum();
    let mut xml = String::new();
    xml.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(
        xml,
        "<testsuites name=\"{}\" tests=\"{}\" failures=\"{}\" errors=\"{}\" time=\"{}\">",
        attr(&report.title),
        counts.total(),
        counts.failed,
        counts.broken,
        seconds(total_time)
    );
    for (index, (product, runs)) in suites.iter().enumerate() {
        suite(&mut xml, &report, index, *product, runs);
    }
    xml.push_str("</testsuites>\n");
    xml
}

fn suite(xml: &mut String, report: &Report, index: usize, product: Product, runs: &[&RunReport]) {
    let count = |outcome: Outcome| runs.iter().filter(|r| r.outcome == outcome).count();
    let time: f64 = runs.iter().map(|r| r.duration_secs()).sum();
    let timestamp = runs
        .iter()
        .map(|r| r.started_at)
        .min()
        .unwrap_or(report.generated_at);
    let _ = writeln!(
        xml,
        "  <testsuite name=\"{}\" package=\"linker\" id=\"{index}\" tests=\"{}\" failures=\"{}\" errors=\"{}\" skipped=\"{}\" time=\"{}\" timestamp=\"{}\" hostname=\"{}\">",
        attr(product_name(product)),
        runs.len(),
        count(Outcome::Failed),
        count(Outcome::Broken),
        count(Outcome::Skipped),
        seconds(time),
        timestamp.format("%Y-%m-%dT%H:%M:%S"),
        attr(&report.hub_url),
    );
    xml.push_str("    <properties>\n");
    let mut properties = vec![
        ("hub", report.hub_url.clone()),
        ("tool", report.tool_version.clone()),
        ("generatedAt", report.generated_at.to_rfc3339()),
    ];
    if let Some(project) = &report.project {
        properties.push(("project", project.clone()));
    }
    if let Some(merchant) = &report.merchant {
        properties.push(("merchant", merchant.clone()));
    }
    for (name, value) in properties {
        let _ = writeln!(
            xml,
            "      <property name=\"{name}\" value=\"{}\"/>",
            attr(&value)
        );
    }
    xml.push_str("    </properties>\n");
    for run in runs {
        testcase(xml, product, run);
    }
    xml.push_str("  </testsuite>\n");
}

fn testcase(xml: &mut String, product: Product, run: &RunReport) {
    let _ = writeln!(
        xml,
        "    <testcase name=\"{}\" classname=\"linker.{}\" time=\"{}\">",
        attr(&format!("{} {}", run.case.id, run.case.title)),
        attr(product_name(product)),
        seconds(run.duration_secs()),
    );
    let failing: Vec<String> = run
        .checks
        .iter()
        .filter(|c| c.outcome.is_failed())
        .map(|c| format!("- {}: {}", c.check, c.outcome.text()))
        .collect();
    let body = if failing.is_empty() {
        run.summary.clone()
    } else {
        format!("{}\n\nFailing checks:\n{}", run.summary, failing.join("\n"))
    };
    match run.outcome {
        Outcome::Passed => {}
        Outcome::Failed => {
            let _ = writeln!(
                xml,
                "      <failure message=\"{}\" type=\"failed\">{}</failure>",
                attr(&run.summary),
                text(&body)
            );
        }
        Outcome::Broken => {
            let _ = writeln!(
                xml,
                "      <error message=\"{}\" type=\"broken\">{}</error>",
                attr(&run.summary),
                text(&body)
            );
        }
        Outcome::Skipped => {
            let _ = writeln!(xml, "      <skipped message=\"{}\"/>", attr(&run.summary));
        }
    }
    let _ = writeln!(
        xml,
        "      <system-out>{}</system-out>",
        text(&timeline(run))
    );
    xml.push_str("    </testcase>\n");
}

/// The run in plain text: verdict, checks, and one line per event.
fn timeline(run: &RunReport) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "Run {} of {} ({}) by merchant {}{}: {}",
        run.run_id,
        run.case.id,
        run.case.title,
        run.merchant_id,
        run.wallet
            .as_deref()
            .map(|wallet| format!(" with wallet {wallet}"))
            .unwrap_or_default(),
        outcome_word(run.outcome)
    );
    let _ = writeln!(out, "{}", run.summary);
    out.push_str("\nChecks:\n");
    for check in &run.checks {
        let mark = match &check.outcome {
            crate::CheckOutcome::Passed { .. } => "PASS",
            crate::CheckOutcome::Failed { .. } => "FAIL",
            crate::CheckOutcome::Pending { .. } => "WAIT",
        };
        let _ = writeln!(
            out,
            "  [{mark}] {}: {}{}",
            check.check,
            check.outcome.text(),
            evidence_list(&check.evidence)
        );
    }
    out.push_str("\nEvidence:\n");
    for event in &run.events {
        let _ = writeln!(
            out,
            "  #{} +{:.1}s {}",
            event.seq,
            (event.at - run.started_at).num_milliseconds() as f64 / 1000.0,
            event_line(event)
        );
    }
    out
}

fn evidence_list(seqs: &[u32]) -> String {
    if seqs.is_empty() {
        String::new()
    } else {
        let list: Vec<String> = seqs.iter().map(|s| format!("#{s}")).collect();
        format!(" (evidence {})", list.join(", "))
    }
}

/// One line about an event, for text reports.
pub(super) fn event_line(event: &Event) -> String {
    match &event.kind {
        EventKind::AcqpCall(call) => format!(
            "ACQP -> hub {}: {} {}, signature {}{}",
            call.api.name(),
            call.result_status,
            call.result_code,
            call.signature.describe(),
            call.validation
                .as_deref()
                .map(|v| format!(", invalid request: {v}"))
                .unwrap_or_default()
        ),
        EventKind::HubCallback(callback) => format!(
            "hub -> ACQP {} (attempt {}{}): {}",
            super::html::callback_name(callback.callback),
            callback.attempt,
            if callback.forged {
                ", forged signature"
            } else {
                ""
            },
            callback.describe_reply()
        ),
        EventKind::WalletAction { action } => {
            format!("wallet: {}", super::html::wallet_action_text(action))
        }
        EventKind::ManualAnswer(answer) => format!(
            "merchant answered {}: {}{}",
            answer.question_id,
            if answer.answer { "yes" } else { "no" },
            answer
                .note
                .as_deref()
                .map(|n| format!(" ({n})"))
                .unwrap_or_default()
        ),
        EventKind::PaymentState(change) => format!(
            "payment {} is {}{}",
            change.payment_id,
            super::html::payment_state_name(change.state),
            change
                .reason
                .as_deref()
                .map(|r| format!(" ({r})"))
                .unwrap_or_default()
        ),
    }
}

/// Seconds with millisecond precision, as JUnit's `time` wants (`12.345`).
fn seconds(secs: f64) -> String {
    format!("{:.3}", secs.max(0.0))
}

/// Text content: escaped, and without the characters XML 1.0 cannot hold.
fn text(value: &str) -> String {
    escape(value, false)
}

/// An attribute value: escaped, quotes and line breaks too.
fn attr(value: &str) -> String {
    escape(value, true)
}

fn escape(value: &str, attribute: bool) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' if attribute => out.push_str("&quot;"),
            '\'' if attribute => out.push_str("&apos;"),
            '\n' if attribute => out.push_str("&#10;"),
            '\r' => out.push_str("&#13;"),
            '\t' if attribute => out.push_str("&#9;"),
            c if is_xml_char(c) => out.push(c),
            _ => out.push('\u{FFFD}'),
        }
    }
    out
}

/// True for the characters XML 1.0 allows in a document.
fn is_xml_char(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Catalogue;
    use crate::testing::sample_report;

    #[test]
    fn escapes_markup_quotes_and_control_characters() {
        assert_eq!(attr("a<b>&\"c'\nd"), "a&lt;b&gt;&amp;&quot;c&apos;&#10;d");
        assert_eq!(text("x\u{0}y\u{1b}z\n"), "x\u{FFFD}y\u{FFFD}z\n");
        assert_eq!(text("]]>"), "]]&gt;");
    }

    #[test]
    fn one_suite_per_product_one_case_per_run() {
        let xml = to_junit(&sample_report(Catalogue::builtin().unwrap()));
        assert_eq!(xml.matches("<testsuite ").count(), 3, "{xml}");
        assert_eq!(xml.matches("<testcase ").count(), 4, "{xml}");
        assert_eq!(xml.matches("<failure ").count(), 1, "{xml}");
        assert_eq!(xml.matches("<error ").count(), 1, "{xml}");
        assert_eq!(xml.matches("<skipped ").count(), 1, "{xml}");
        assert!(
            xml.contains("tests=\"4\" failures=\"1\" errors=\"1\""),
            "totals on <testsuites>: {xml}"
        );
        assert!(
            xml.contains("cancels-within: no cancelPayment within 90 s of pay"),
            "failing check and reason in the failure body: {xml}"
        );
    }

    #[test]
    fn time_is_seconds() {
        assert_eq!(seconds(1.5), "1.500");
        assert_eq!(seconds(-2.0), "0.000");
    }
}
