//! One self-contained HTML page for people: the overall status and counts at the top, then every
//! run, failures first (failed and broken runs expanded, skipped and passed ones collapsed), with its case's steps, its checks and why, and its evidence timeline
//! (each message with endpoint, headers, pretty-printed body and signature verdict).
//!
//! No external resources and no script: inline CSS, `<details>` to expand and collapse. Every
//! piece of data goes through [`Page::text`] or [`Page::attr`], which escape it; markup is only
//! ever a `&'static str`, so no run data can become markup.

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};
use serde_json::Value;

use super::{Report, RunReport, outcome_word};
use crate::check::{CheckOutcome, CheckResult};
use crate::record::{
    AcqpCall, CallbackKind, Event, EventKind, HubCallback, PaymentState, SignatureVerdict,
    WalletActionKind,
};
use crate::verdict::Outcome;

/// The report as one self-contained HTML page (redacted).
pub fn to_html(report: &Report) -> String {
    let report = report.redacted();
    let counts = report.counts();
    let status = counts.status();
    let mut page = Page::default();
    page.raw("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n")
        .raw("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n")
        .raw("<title>")
        .text(&format!("{}: {}", status.to_uppercase(), report.title))
        .raw("</title>\n<style>")
        .raw(CSS)
        .raw("</style>\n</head>\n<body>\n");

    // The summary: big status, counts, what the report is about.
    page.raw("<header class=\"top\">\n<div class=\"banner ")
        .raw(status_class(status))
        .raw("\"><span class=\"big\">")
        .text(&status.to_uppercase())
        .raw("</span><span class=\"verdict-line\">")
        .text(&headline(&report))
        .raw("</span></div>\n<h1>")
        .text(&report.title)
        .raw("</h1>\n<div class=\"tiles\">");
    for (class, label, count) in [
        ("passed", "passed", counts.passed),
        ("failed", "failed", counts.failed),
        ("broken", "broken", counts.broken),
        ("skipped", "skipped", counts.skipped),
    ] {
        page.raw("<div class=\"tile ")
            .raw(class)
            .raw(if count == 0 { " zero" } else { "" })
            .raw("\"><span class=\"n\">")
            .text(&count.to_string())
            .raw("</span><span class=\"l\">")
            .raw(label)
            .raw("</span></div>");
    }
    page.raw("</div>\n<dl class=\"meta\">");
    if let Some(project) = &report.project {
        page.meta("Project", project);
    }
    if let Some(merchant) = &report.merchant {
        page.meta("Merchant", merchant);
    }
    page.meta("Hub", &report.hub_url)
        .meta("Generated", &time(report.generated_at))
        .meta("Tool", &report.tool_version)
        .raw("</dl>\n</header>\n<main>\n");

    let runs = report.runs_failures_first();
    if runs.is_empty() {
        page.raw("<p class=\"empty\">This report has no runs.</p>\n");
    } else {
        page.raw("<nav class=\"index\" aria-label=\"Runs\"><h2>Runs</h2>\n<ul>\n");
        for run in &runs {
            page.raw("<li><a")
                .attr("href", &format!("#{}", anchor(run)))
                .raw("><span class=\"badge ")
                .raw(outcome_word(run.outcome))
                .raw("\">")
                .raw(outcome_word(run.outcome))
                .raw("</span> <b>")
                .text(&run.case.id)
                .raw("</b> ")
                .text(&run.case.title)
                .raw("</a><span class=\"why\">")
                .text(&run.summary)
                .raw("</span></li>\n");
        }
        page.raw("</ul></nav>\n");
        for run in &runs {
            run_section(&mut page, run);
        }
    }
    page.raw("</main>\n<footer>")
        .text(&format!(
            "{} · {} · secrets (credentials, tokens, passwords, keys, auth codes) are redacted",
            report.tool_version,
            time(report.generated_at)
        ))
        .raw("</footer>\n</body>\n</html>\n");
    page.out
}

/// "1 of 4 runs failed, 1 broken, 1 skipped" and the like.
fn headline(report: &Report) -> String {
    let counts = report.counts();
    let total = counts.total();
    if total == 0 {
        return "No runs in this report".to_owned();
    }
    let mut parts = Vec::new();
    if counts.failed > 0 {
        parts.push(format!("{} failed", counts.failed));
    }
    if counts.broken > 0 {
        parts.push(format!("{} broken", counts.broken));
    }
    if counts.skipped > 0 {
        parts.push(format!("{} skipped", counts.skipped));
    }
    if counts.passed > 0 {
        parts.push(format!("{} passed", counts.passed));
    }
    format!(
        "{total} run{}: {}",
        if total == 1 { "" } else { "s" },
        parts.join(", ")
    )
}

fn run_section(page: &mut Page, run: &RunReport) {
    let outcome = outcome_word(run.outcome);
    page.raw("<section class=\"run ")
        .raw(outcome)
        .raw("\"")
        .attr("id", &anchor(run))
        .raw(">\n<h2><span class=\"badge ")
        .raw(outcome)
        .raw("\">")
        .raw(outcome)
        .raw("</span> <span class=\"case-id\">")
        .text(&run.case.id)
        .raw("</span> ")
        .text(&run.case.title)
        .raw("</h2>\n<p class=\"summary\">")
        .text(&run.summary)
        .raw("</p>\n<dl class=\"meta\">");
    page.meta("Product", run.case.product.name())
        .meta("Run", &run.run_id)
        .meta("Merchant", &run.merchant_id);
    if let Some(wallet) = &run.wallet {
        page.meta("Wallet", wallet);
    }
    page.meta("Started", &time(run.started_at));
    if let Some(end) = run.ended_at {
        page.meta("Ended", &time(end))
            .meta("Took", &format!("{:.1} s", run.duration_secs()));
    }
    page.raw("</dl>\n<details class=\"body\"")
        .raw(
            if matches!(run.outcome, Outcome::Failed | Outcome::Broken) {
                " open"
            } else {
                ""
            },
        )
        .raw("><summary>Steps, checks and evidence</summary>\n");

    // The case: what the merchant does and what should happen.
    if !run.case.summary.is_empty() {
        page.raw("<p class=\"case-summary\">")
            .text(&run.case.summary)
            .raw("</p>\n");
    }
    if !run.case.steps.is_empty() {
        page.raw("<h3>Steps</h3>\n<ol class=\"steps\">\n");
        for step in &run.case.steps {
            page.raw("<li><p class=\"do\">")
                .text(&step.instruction)
                .raw("</p><p class=\"expect\"><span class=\"label\">Expected</span> ")
                .text(&step.expected)
                .raw("</p></li>\n");
        }
        page.raw("</ol>\n");
    }

    // The checks, failing first, each with why and its evidence.
    page.raw("<h3>Checks</h3>\n");
    if run.checks.is_empty() {
        page.raw("<p class=\"empty\">No checks were evaluated.</p>\n");
    } else {
        page.raw("<ul class=\"checks\">\n");
        for check in &run.checks {
            check_item(page, run, check);
        }
        page.raw("</ul>\n");
    }

    // The evidence: every event, messages expandable.
    let cited: BTreeSet<u32> = run
        .checks
        .iter()
        .filter(|c| c.outcome.is_failed())
        .flat_map(|c| c.evidence.iter().copied())
        .collect();
    page.raw("<h3>Evidence timeline</h3>\n");
    if run.events.is_empty() {
        page.raw(
            "<p class=\"empty\">Nothing was recorded: the hub heard nothing in this run.</p>\n",
        );
    } else {
        page.raw("<ol class=\"timeline\">\n");
        let mut events: Vec<&Event> = run.events.iter().collect();
        events.sort_by_key(|e| (e.at, e.seq));
        for event in events {
            event_item(page, run, event, cited.contains(&event.seq));
        }
        page.raw("</ol>\n");
    }
    page.raw("</details>\n</section>\n");
}

fn check_item(page: &mut Page, run: &RunReport, check: &CheckResult) {
    let (class, mark, word) = match &check.outcome {
        CheckOutcome::Passed { .. } => ("pass", "✓", "passed"),
        CheckOutcome::Failed { .. } => ("fail", "✗", "failed"),
        CheckOutcome::Pending { .. } => ("wait", "…", "pending"),
    };
    page.raw("<li class=\"check ")
        .raw(class)
        .raw("\"><span class=\"mark\" aria-hidden=\"true\">")
        .raw(mark)
        .raw("</span><div><div class=\"name\"><code>")
        .text(&check.check)
        .raw("</code> <span class=\"word\">")
        .raw(word)
        .raw("</span></div>");
    if let Some(id) = check.check.strip_prefix("manual:")
        && let Some(question) = run.case.manual.iter().find(|q| q.id == id)
        && !check.outcome.text().contains(&question.question)
    {
        page.raw("<div class=\"question\">")
            .text(&format!(
                "{} (expected: {})",
                question.question,
                question.expected.as_str()
            ))
            .raw("</div>");
    }
    page.raw("<div class=\"reason\">")
        .text(check.outcome.text())
        .raw("</div>");
    if !check.evidence.is_empty() {
        page.raw("<div class=\"cites\">Evidence:");
        for seq in &check.evidence {
            page.raw(" <a")
                .attr("href", &format!("#{}", event_anchor(run, *seq)))
                .raw(">#")
                .text(&seq.to_string())
                .raw("</a>");
        }
        page.raw("</div>");
    }
    page.raw("</div></li>\n");
}

fn event_item(page: &mut Page, run: &RunReport, event: &Event, cited: bool) {
    let offset = (event.at - run.started_at).num_milliseconds() as f64 / 1000.0;
    page.raw("<li class=\"event")
        .raw(if cited { " cited" } else { "" })
        .raw("\"")
        .attr("id", &event_anchor(run, event.seq))
        .raw(">");
    let head = |page: &mut Page| {
        page.raw("<span class=\"seq\">#")
            .text(&event.seq.to_string())
            .raw("</span><span class=\"t\">+")
            .text(&format!("{offset:.1} s"))
            .raw("</span>");
    };
    match &event.kind {
        EventKind::AcqpCall(call) => {
            page.raw("<details")
                .raw(if cited { " open" } else { "" })
                .raw("><summary>");
            head(page);
            page.raw("<span class=\"dir\">ACQP → hub</span><b class=\"api\">")
                .text(call.api.name())
                .raw("</b>");
            result_chip(page, &call.result_status, &call.result_code);
            signature_chip(page, &call.signature);
            if call.forced {
                page.raw("<span class=\"chip\">forced</span>");
            }
            page.raw("</summary>\n");
            acqp_call(page, call);
            page.raw("</details>");
        }
        EventKind::HubCallback(callback) => {
            page.raw("<details")
                .raw(if cited { " open" } else { "" })
                .raw("><summary>");
            head(page);
            page.raw("<span class=\"dir\">hub → ACQP</span><b class=\"api\">")
                .raw(callback_name(callback.callback))
                .raw("</b>");
            match callback.http_status {
                Some(status) => {
                    page.raw("<span class=\"chip")
                        .raw(if callback.reply_valid { " ok" } else { " bad" })
                        .raw("\">HTTP ")
                        .text(&status.to_string())
                        .raw("</span>");
                    signature_chip(page, &callback.reply_signature);
                }
                None => {
                    page.raw("<span class=\"chip bad\">no reply</span>");
                }
            }
            page.raw("</summary>\n");
            hub_callback(page, callback);
            page.raw("</details>");
        }
        EventKind::WalletAction { action } => {
            head(page);
            page.raw("<span class=\"dir\">wallet</span><span class=\"what\">")
                .text(&wallet_action_text(action))
                .raw("</span>");
        }
        EventKind::ManualAnswer(answer) => {
            head(page);
            page.raw("<span class=\"dir\">merchant</span><span class=\"what\">")
                .text(&format!(
                    "answered {}: {}",
                    answer.question_id,
                    if answer.answer { "yes" } else { "no" }
                ));
            if let Some(note) = &answer.note {
                page.text(&format!(" ({note})"));
            }
            if let Some(attachment) = &answer.attachment {
                page.text(&format!(", attachment {attachment}"));
            }
            page.raw("</span>");
        }
        EventKind::PaymentState(change) => {
            head(page);
            page.raw("<span class=\"dir\">hub</span><span class=\"what\">")
                .text(&format!(
                    "payment {} is {}",
                    change.payment_id,
                    payment_state_name(change.state)
                ));
            if let Some(reason) = &change.reason {
                page.text(&format!(" ({reason})"));
            }
            page.raw("</span>");
        }
    }
    page.raw("</li>\n");
}

fn acqp_call(page: &mut Page, call: &AcqpCall) {
    page.raw("<div class=\"msg\">\n<p class=\"endpoint\"><code>POST ")
        .text(call.api.hub_path().unwrap_or(call.api.name()))
        .raw("</code></p>\n");
    page.raw("<p class=\"sigline\">Request signature: ")
        .text(&call.signature.describe())
        .raw("</p>\n");
    if let Some(validation) = &call.validation {
        page.raw("<p class=\"invalid\">Request rejected: ")
            .text(validation)
            .raw("</p>\n");
    }
    if !call.request_headers.is_empty() {
        page.raw("<h4>Request headers</h4>\n<table class=\"headers\">");
        for (name, value) in &call.request_headers {
            page.raw("<tr><th>")
                .text(name)
                .raw("</th><td>")
                .text(value)
                .raw("</td></tr>");
        }
        page.raw("</table>\n");
    }
    page.raw("<h4>Request body</h4>\n");
    body(page, &call.request_body);
    page.raw("<h4>Hub's answer: ")
        .text(&format!("{} {}", call.result_status, call.result_code))
        .raw("</h4>\n");
    body(page, &call.response_body);
    page.raw("</div>\n");
}

fn hub_callback(page: &mut Page, callback: &HubCallback) {
    page.raw("<div class=\"msg\">\n<p class=\"endpoint\"><code>POST ")
        .text(&format!(
            "<the ACQP's {} URL>",
            callback_name(callback.callback)
        ))
        .raw("</code></p>\n<p class=\"sigline\">")
        .text(&format!(
            "Attempt {}{}, {} ms. Hub's request signature: {}. Reply signature: {}.",
            callback.attempt,
            if callback.forged {
                " (deliberately forged signature)"
            } else {
                ""
            },
            callback.latency_ms,
            if callback.forged { "forged" } else { "valid" },
            callback.reply_signature.describe()
        ))
        .raw("</p>\n");
    if let Some(error) = &callback.error {
        page.raw("<p class=\"invalid\">No reply: ")
            .text(error)
            .raw("</p>\n");
    }
    page.raw("<h4>Request body</h4>\n");
    body(page, &callback.request_body);
    if let Some(status) = callback.http_status {
        page.raw("<h4>ACQP's reply: HTTP ")
            .text(&status.to_string())
            .raw(if callback.reply_valid {
                ", a valid reply"
            } else {
                ", not a valid reply"
            })
            .raw("</h4>\n");
        body(page, callback.reply_body.as_deref().unwrap_or(""));
    }
    page.raw("</div>\n");
}

/// A body, pretty-printed when it is JSON.
fn body(page: &mut Page, text: &str) {
    if text.trim().is_empty() {
        page.raw("<p class=\"empty\">(empty)</p>\n");
        return;
    }
    let pretty = serde_json::from_str::<Value>(text)
        .ok()
        .and_then(|value| serde_json::to_string_pretty(&value).ok())
        .unwrap_or_else(|| text.to_owned());
    page.raw("<pre>").text(&pretty).raw("</pre>\n");
}

fn result_chip(page: &mut Page, status: &str, code: &str) {
    let class = match status {
        "S" => " ok",
        "F" => " bad",
        "U" => " warn",
        _ => "",
    };
    page.raw("<span class=\"chip")
        .raw(class)
        .raw("\">")
        .text(&format!("{status} {code}"))
        .raw("</span>");
}

fn signature_chip(page: &mut Page, signature: &SignatureVerdict) {
    let (class, text) = match signature {
        SignatureVerdict::Valid => (" ok", "signature valid".to_owned()),
        SignatureVerdict::Missing => (" warn", "signature missing".to_owned()),
        SignatureVerdict::Invalid { reason } => (" bad", format!("signature invalid: {reason}")),
    };
    page.raw("<span class=\"chip sig")
        .raw(class)
        .raw("\">")
        .text(&text)
        .raw("</span>");
}

/// The Alipay+ name of a callback.
pub(super) fn callback_name(kind: CallbackKind) -> &'static str {
    match kind {
        CallbackKind::NotifyPayment => "notifyPayment",
        CallbackKind::UserInitiatedPay => "userInitiatedPay",
        CallbackKind::AuthNotify => "authNotify",
    }
}

/// A payment state in words.
pub(super) fn payment_state_name(state: PaymentState) -> &'static str {
    match state {
        PaymentState::Created => "created",
        PaymentState::InProcess => "in process",
        PaymentState::Succeeded => "succeeded",
        PaymentState::Failed => "failed",
        PaymentState::Cancelled => "cancelled",
        PaymentState::Refunded => "refunded",
        PaymentState::PartiallyRefunded => "partially refunded",
    }
}

/// A wallet action in words.
pub(super) fn wallet_action_text(action: &WalletActionKind) -> String {
    match action {
        WalletActionKind::ShowPaymentCode { code } => format!("showed payment code {code}"),
        WalletActionKind::Scan {
            code_value,
            classified,
        } => format!("scanned {code_value} ({classified})"),
        WalletActionKind::ConfirmPayment => "customer confirmed the payment".to_owned(),
        WalletActionKind::DeclinePayment => "customer declined the payment".to_owned(),
        WalletActionKind::BackOut => "customer left the payment page".to_owned(),
        WalletActionKind::OpenEntryCode { url } => format!("opened entry-code page {url}"),
        WalletActionKind::OpenPaymentUrl { url } => format!("opened payment URL {url}"),
        WalletActionKind::Redirected { url } => format!("sent back to the merchant at {url}"),
        WalletActionKind::Authorize => "customer authorized Auto Debit".to_owned(),
        WalletActionKind::RevokeAuthorization => {
            "customer revoked the Auto Debit authorization".to_owned()
        }
        WalletActionKind::DeclineAuthorization => {
            "customer declined the Auto Debit authorization".to_owned()
        }
    }
}

fn status_class(status: &str) -> &'static str {
    match status {
        "passed" => "passed",
        "failed" => "failed",
        "broken" => "broken",
        _ => "skipped",
    }
}

fn anchor(run: &RunReport) -> String {
    format!("run-{}", run.run_id)
}

fn event_anchor(run: &RunReport, seq: u32) -> String {
    format!("run-{}-e{seq}", run.run_id)
}

fn time(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%d %H:%M:%S UTC").to_string()
}

/// An HTML page being written: markup only as `&'static str`, data only escaped.
#[derive(Default)]
struct Page {
    out: String,
}

impl Page {
    /// Appends markup written in this file.
    fn raw(&mut self, markup: &'static str) -> &mut Page {
        self.out.push_str(markup);
        self
    }

    /// Appends text, escaped.
    fn text(&mut self, text: &str) -> &mut Page {
        escape_into(&mut self.out, text);
        self
    }

    /// Appends ` name="value"`, the value escaped.
    fn attr(&mut self, name: &'static str, value: &str) -> &mut Page {
        self.out.push(' ');
        self.out.push_str(name);
        self.out.push_str("=\"");
        escape_into(&mut self.out, value);
        self.out.push('"');
        self
    }

    /// Appends one `<dt>`/`<dd>` pair.
    fn meta(&mut self, label: &'static str, value: &str) -> &mut Page {
        self.raw("<div><dt>")
            .raw(label)
            .raw("</dt><dd>")
            .text(value)
            .raw("</dd></div>")
    }
}

/// Escapes `&`, `<`, `>`, `"` and `'`; drops control characters HTML does not allow.
fn escape_into(out: &mut String, text: &str) {
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            '\n' | '\t' | '\r' => out.push(c),
            c if c.is_control() => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
}

const CSS: &str = r#"
:root{--pass:#1a7f37;--pass-bg:#dafbe1;--fail:#cf222e;--fail-bg:#ffebe9;--broken:#9a6700;--broken-bg:#fff8c5;--skip:#57606a;--skip-bg:#eaeef2;--line:#d0d7de;--muted:#57606a;--bg:#f6f8fa;--fg:#1f2328}
*{box-sizing:border-box}
body{margin:0;font:15px/1.5 -apple-system,BlinkMacSystemFont,"Segoe UI",Roboto,"Noto Sans","Helvetica Neue",Arial,sans-serif;color:var(--fg);background:var(--bg)}
header.top,main,footer{max-width:1040px;margin:0 auto;padding:0 16px}
header.top{padding-top:16px}
h1{font-size:1.25rem;margin:14px 0 10px}
h2{font-size:1.15rem;margin:0 0 6px;line-height:1.35}
h3{font-size:.95rem;margin:18px 0 8px;text-transform:uppercase;letter-spacing:.04em;color:var(--muted)}
h4{font-size:.85rem;margin:12px 0 4px;color:var(--muted)}
code,pre{font:13px/1.45 ui-monospace,SFMono-Regular,Menlo,Consolas,"Liberation Mono",monospace}
.banner{display:flex;flex-wrap:wrap;align-items:baseline;gap:6px 16px;padding:18px 20px;border-radius:10px;color:#fff}
.banner .big{font-size:2.2rem;font-weight:800;letter-spacing:.06em;line-height:1}
.banner .verdict-line{font-size:1.05rem;font-weight:600}
.banner.passed{background:var(--pass)}.banner.failed{background:var(--fail)}.banner.broken{background:var(--broken)}.banner.skipped{background:var(--skip)}
.tiles{display:grid;grid-template-columns:repeat(4,1fr);gap:10px;margin:12px 0}
.tile{background:#fff;border:1px solid var(--line);border-left-width:6px;border-radius:8px;padding:10px 12px;display:flex;align-items:baseline;gap:8px}
.tile .n{font-size:1.8rem;font-weight:800;line-height:1}
.tile .l{color:var(--muted);font-weight:600}
.tile.passed{border-left-color:var(--pass)}.tile.passed .n{color:var(--pass)}
.tile.failed{border-left-color:var(--fail)}.tile.failed .n{color:var(--fail)}
.tile.broken{border-left-color:var(--broken)}.tile.broken .n{color:var(--broken)}
.tile.skipped{border-left-color:var(--skip)}.tile.skipped .n{color:var(--skip)}
.tile.zero{opacity:.55}
dl.meta{display:flex;flex-wrap:wrap;gap:4px 22px;margin:8px 0;color:var(--muted);font-size:.88rem}
dl.meta div{display:flex;gap:6px;min-width:0}
dl.meta dt{font-weight:600}dl.meta dd{margin:0;color:var(--fg);overflow-wrap:anywhere}
.badge{display:inline-block;padding:2px 8px;border-radius:999px;font-size:.75rem;font-weight:700;text-transform:uppercase;letter-spacing:.05em;vertical-align:2px;color:#fff}
.badge.passed{background:var(--pass)}.badge.failed{background:var(--fail)}.badge.broken{background:var(--broken)}.badge.skipped{background:var(--skip)}
nav.index{background:#fff;border:1px solid var(--line);border-radius:10px;padding:12px 16px;margin:12px 0}
nav.index ul{list-style:none;margin:0;padding:0}
nav.index li{padding:6px 0;border-top:1px solid var(--line);display:flex;flex-wrap:wrap;gap:2px 12px}
nav.index li:first-child{border-top:0}
nav.index a{color:inherit;text-decoration:none}nav.index a:hover b{text-decoration:underline}
.why{color:var(--muted);font-size:.88rem;overflow-wrap:anywhere}
section.run{background:#fff;border:1px solid var(--line);border-left:6px solid var(--skip);border-radius:10px;padding:14px 16px;margin:14px 0}
section.run.passed{border-left-color:var(--pass)}section.run.failed{border-left-color:var(--fail)}section.run.broken{border-left-color:var(--broken)}
.case-id{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace}
p.summary{margin:4px 0 6px;font-weight:600;overflow-wrap:anywhere}
section.run.failed p.summary{color:var(--fail)}section.run.broken p.summary{color:var(--broken)}
details.body>summary{cursor:pointer;color:#0969da;font-weight:600;margin:6px 0}
.case-summary{color:var(--muted);margin:6px 0}
ol.steps{margin:0;padding-left:22px}
ol.steps li{margin:6px 0}
ol.steps p{margin:0}
.expect{color:var(--muted)}
.label{display:inline-block;font-size:.72rem;font-weight:700;text-transform:uppercase;background:var(--bg);border:1px solid var(--line);border-radius:4px;padding:0 5px;margin-right:4px;color:var(--muted)}
ul.checks{list-style:none;margin:0;padding:0}
li.check{display:flex;gap:10px;padding:8px 10px;border-radius:8px;margin:4px 0;background:var(--bg)}
li.check.fail{background:var(--fail-bg)}li.check.pass{background:var(--pass-bg)}li.check.wait{background:var(--broken-bg)}
li.check .mark{font-weight:800;font-size:1.1rem;line-height:1.3;width:1.1em;text-align:center;flex:none}
li.check.fail .mark,li.check.fail .word{color:var(--fail)}li.check.pass .mark,li.check.pass .word{color:var(--pass)}li.check.wait .mark,li.check.wait .word{color:var(--broken)}
li.check>div{min-width:0}
li.check .word{font-size:.78rem;font-weight:700;text-transform:uppercase}
li.check .question{font-style:italic}
.reason{overflow-wrap:anywhere}
.cites{font-size:.85rem;color:var(--muted)}
ol.timeline{list-style:none;margin:0;padding:0;border-left:2px solid var(--line)}
li.event{position:relative;padding:5px 0 5px 14px;overflow-wrap:anywhere}
li.event::before{content:"";position:absolute;left:-6px;top:12px;width:10px;height:10px;border-radius:50%;background:var(--line)}
li.event.cited::before{background:var(--fail)}
li.event:target{background:#fff8c5}
li.event summary{cursor:pointer}
.seq{font-family:ui-monospace,monospace;color:var(--muted);margin-right:6px}
.t{font-family:ui-monospace,monospace;color:var(--muted);margin-right:8px}
.dir{font-size:.78rem;font-weight:700;text-transform:uppercase;color:var(--muted);margin-right:6px}
.api{margin-right:6px}
.chip{display:inline-block;font-size:.8rem;padding:0 7px;border-radius:999px;border:1px solid var(--line);background:var(--bg);margin:2px 4px 2px 0;white-space:nowrap}
.chip.ok{color:var(--pass);border-color:var(--pass);background:var(--pass-bg)}
.chip.bad{color:var(--fail);border-color:var(--fail);background:var(--fail-bg)}
.chip.warn{color:var(--broken);border-color:#d4a72c;background:var(--broken-bg)}
.msg{margin:6px 0 10px;padding:8px 12px;border:1px solid var(--line);border-radius:8px;background:#fff}
.endpoint{margin:0 0 4px}.sigline{margin:0;color:var(--muted);font-size:.88rem}
.invalid{color:var(--fail);font-weight:600;margin:4px 0}
table.headers{border-collapse:collapse;width:100%;table-layout:fixed;font-size:.85rem}
table.headers th,table.headers td{border-top:1px solid var(--line);padding:3px 6px;text-align:left;vertical-align:top;overflow-wrap:anywhere}
table.headers th{width:32%;font-weight:600;color:var(--muted)}
table.headers td{font-family:ui-monospace,monospace}
pre{margin:0;padding:8px 10px;background:var(--bg);border:1px solid var(--line);border-radius:6px;white-space:pre-wrap;overflow-wrap:anywhere;max-height:32em;overflow:auto}
.empty{color:var(--muted);font-style:italic}
footer{color:var(--muted);font-size:.8rem;padding:12px 16px 28px}
@media (max-width:600px){
 body{font-size:14px}
 .banner{padding:14px}
 .banner .big{font-size:1.7rem}
 .tiles{grid-template-columns:repeat(2,1fr)}
 header.top,main,footer{padding:0 10px}
 section.run{padding:12px 10px}
 table.headers th{width:40%}
}
"#;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Catalogue;
    use crate::testing::sample_report;

    #[test]
    fn escapes_everything() {
        let mut page = Page::default();
        page.text("<script>alert('x')</script> & \"q\"\u{7}")
            .attr("title", "\"><img src=x>");
        assert_eq!(
            page.out,
            "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;q&quot;\u{FFFD} title=\"&quot;&gt;&lt;img src=x&gt;\""
        );
    }

    #[test]
    fn data_cannot_become_markup() {
        let mut report = sample_report(Catalogue::builtin().unwrap());
        report.title = "<b>bold</b>".to_owned();
        report.runs[0].summary = "</section><script>alert(1)</script>".to_owned();
        report.runs[0].run_id = "\" onmouseover=\"x".to_owned();
        let html = to_html(&report);
        assert!(!html.contains("<script"), "script tag leaked: {html}");
        assert!(!html.contains("<b>bold"), "title markup leaked");
        assert!(
            !html.contains("\" onmouseover"),
            "attribute broken out of: {html}"
        );
        assert!(html.contains("&lt;/section&gt;&lt;script&gt;"), "escaped");
    }

    #[test]
    fn summary_first_then_failures_first() {
        let html = to_html(&sample_report(Catalogue::builtin().unwrap()));
        let position = |needle: &str| {
            html.find(needle)
                .unwrap_or_else(|| panic!("{needle:?} not in the page"))
        };
        assert!(
            html.contains("<span class=\"big\">FAILED</span>"),
            "big status"
        );
        assert!(html.contains("4 runs: 1 failed, 1 broken, 1 skipped, 1 passed"));
        let failed = position("id=\"run-run_upm04\"");
        let broken = position("id=\"run-run_moc01\"");
        let skipped = position("id=\"run-run_csh01\"");
        let passed = position("id=\"run-run_upm01\"");
        assert!(
            position("class=\"tiles\"") < failed
                && failed < broken
                && broken < skipped
                && skipped < passed,
            "summary, then failed, broken, skipped, passed: {failed} {broken} {skipped} {passed}"
        );
    }

    #[test]
    fn self_contained() {
        let html = to_html(&sample_report(Catalogue::builtin().unwrap()));
        for external in ["<link", "<script", "src=", "@import", "url("] {
            assert!(
                !html.contains(external),
                "external resource {external:?} in the page"
            );
        }
    }

    #[test]
    fn evidence_shows_endpoint_headers_pretty_body_and_signature() {
        let html = to_html(&sample_report(Catalogue::builtin().unwrap()));
        assert!(html.contains("POST /aps/api/v1/payments/pay"), "endpoint");
        assert!(html.contains("<th>Client-Id</th>"), "headers");
        assert!(
            html.contains("&quot;productCode&quot;: &quot;IN_STORE_PAYMENT&quot;"),
            "pretty-printed body"
        );
        assert!(html.contains("signature valid"), "signature verdict");
        assert!(
            html.contains("Did the POS end with the sale shown as not paid (cancelled)?"),
            "manual question text next to its check"
        );
    }
}
