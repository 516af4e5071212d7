//! Test Data (the merchant x case matrix, progress, live updates), a run's page (steps, checks,
//! evidence timeline) and the exports (CSV, JSON, JUnit XML, a run's HTML report).

use std::collections::BTreeMap;
use std::sync::Arc;

use askama::Template;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::header;
use axum::response::sse::{Event as SseEvent, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use linker_cases::report::{Report, RunReport, to_html, to_json, to_junit};
use linker_cases::{CaseDef, CheckOutcome, EventKind, Product, SignatureVerdict, WalletActionKind};

use super::{Frame, Page, PageError, Staff, blocking, page, pretty, when};
use crate::Hub;
use crate::domain::assignments::case_product;
use crate::domain::merchants::Merchant;
use crate::domain::projects::Project;
use crate::domain::runs::{RunView, catalogue};
use crate::error::HubError;
use crate::import::{Cells, write_csv};

/// A run as the matrix needs it.
#[derive(Debug, Clone)]
struct RunLine {
    id: String,
    merchant_id: String,
    case_id: String,
    status: String,
    started_at: String,
    /// The wallet under test the hub played.
    wallet: String,
}

/// The latest run of each (merchant, case), newest first, as stored (found by index, so the
/// pages that show them do not slow down as a project's runs accumulate).
fn latest_run_lines(hub: &Hub, project_id: &str) -> Result<Vec<RunLine>, HubError> {
    let runs = hub.latest_project_runs(project_id)?;
    Ok(runs
        .into_iter()
        .map(|run| RunLine {
            id: run.id,
            merchant_id: run.merchant_id,
            case_id: run.case_id,
            status: run.status.to_string(),
            started_at: run.started_at.to_rfc3339(),
            wallet: crate::domain::payments::played_wallet(run.wallet.as_deref())
                .name
                .to_owned(),
        })
        .collect())
}

/// The latest run of each (merchant, case), open runs judged now.
fn latest_runs(
    hub: &Hub,
    project_id: &str,
) -> Result<BTreeMap<(String, String), RunLine>, HubError> {
    let mut latest: BTreeMap<(String, String), RunLine> = BTreeMap::new();
    for mut run in latest_run_lines(hub, project_id)? {
        let key = (run.merchant_id.clone(), run.case_id.clone());
        if latest.contains_key(&key) {
            continue;
        }
        if run.status == "open" {
            run.status = hub.judge_run(&run.id)?.status.to_string();
        }
        latest.insert(key, run);
    }
    Ok(latest)
}

/// One cell of the matrix.
struct Cell {
    status: String,
    label: String,
    href: String,
}

/// One merchant's row.
struct MatrixRow {
    merchant: Merchant,
    cells: Vec<Cell>,
    passed: usize,
    assigned: usize,
    percent: usize,
}

/// Progress of one product across merchants.
struct ProductProgress {
    /// The product's name.
    product: &'static str,
    passed: usize,
    assigned: usize,
    percent: usize,
}

#[derive(Template)]
#[template(path = "console/test_data.html")]
struct TestDataPage {
    frame: Frame,
    cases: Vec<(String, String)>,
    rows: Vec<MatrixRow>,
    products: Vec<ProductProgress>,
    recent: Vec<(String, String, String, String, String, String)>,
}

fn percent(passed: usize, assigned: usize) -> usize {
    (passed * 100).checked_div(assigned).unwrap_or(0)
}

fn status_label(status: &str) -> &'static str {
    match status {
        "passed" => "Passed",
        "failed" => "Failed",
        "broken" => "Broken",
        "skipped" => "Skipped",
        "open" => "Running",
        _ => "Not run",
    }
}

/// The Test Data matrix: a row per merchant (a cell per case column, its latest run), and each
/// product's (passed, assigned) count.
fn matrix(
    project_id: &str,
    assigned: Vec<(Merchant, Vec<&'static CaseDef>)>,
    columns: &[&'static CaseDef],
    latest: &BTreeMap<(String, String), RunLine>,
) -> (Vec<MatrixRow>, BTreeMap<Product, (usize, usize)>) {
    let mut by_product: BTreeMap<Product, (usize, usize)> = BTreeMap::new();
    let mut rows = Vec::new();
    for (merchant, cases) in assigned {
        let mut passed = 0;
        let cells = columns
            .iter()
            .map(|case| {
                let is_assigned = cases.iter().any(|c| c.id == case.id);
                let run = latest.get(&(merchant.id.clone(), case.id.clone()));
                if is_assigned {
                    let entry = by_product.entry(case.product).or_default();
                    entry.1 += 1;
                    if run.is_some_and(|r| r.status == "passed") {
                        entry.0 += 1;
                        passed += 1;
                    }
                }
                match run {
                    Some(run) => Cell {
                        status: run.status.clone(),
                        label: status_label(&run.status).to_owned(),
                        href: format!("/console/projects/{}/runs/{}", project_id, run.id),
                    },
                    None => Cell {
                        status: if is_assigned { "none" } else { "unassigned" }.to_owned(),
                        label: if is_assigned { "·" } else { "" }.to_owned(),
                        href: String::new(),
                    },
                }
            })
            .collect();
        rows.push(MatrixRow {
            percent: percent(passed, cases.len()),
            assigned: cases.len(),
            passed,
            cells,
            merchant,
        });
    }
    (rows, by_product)
}

fn test_data(hub: &Hub, staff: &Staff, project: &Project) -> Result<TestDataPage, HubError> {
    let merchants = hub.merchants(&project.id)?;
    let latest = latest_runs(hub, &project.id)?;
    let mut assigned: Vec<(Merchant, Vec<&'static CaseDef>)> = Vec::new();
    for merchant in merchants {
        let cases = hub.assigned_cases(&merchant)?;
        assigned.push((merchant, cases));
    }
    let columns: Vec<&'static CaseDef> = catalogue()?
        .cases()
        .iter()
        .filter(|case| {
            assigned
                .iter()
                .any(|(_, cases)| cases.iter().any(|c| c.id == case.id))
        })
        .collect();
    let (rows, by_product) = matrix(&project.id, assigned, &columns, &latest);
    let names: BTreeMap<String, String> = rows
        .iter()
        .map(|r| (r.merchant.id.clone(), r.merchant.name.clone()))
        .collect();
    let mut recent: Vec<&RunLine> = latest.values().collect();
    recent.sort_by(|a, b| b.started_at.cmp(&a.started_at));
    Ok(TestDataPage {
        frame: Frame::project(staff, project, "test-data", "Test Data"),
        cases: columns
            .iter()
            .map(|c| (c.id.clone(), c.title.clone()))
            .collect(),
        rows,
        products: by_product
            .into_iter()
            .map(|(product, (passed, assigned))| ProductProgress {
                percent: percent(passed, assigned),
                product: product.name(),
                passed,
                assigned,
            })
            .collect(),
        recent: recent
            .into_iter()
            .take(10)
            .map(|r| {
                (
                    format!("/console/projects/{}/runs/{}", project.id, r.id),
                    r.case_id.clone(),
                    names.get(&r.merchant_id).cloned().unwrap_or_default(),
                    r.wallet.clone(),
                    r.status.clone(),
                    r.started_at.clone(),
                )
            })
            .collect(),
    })
}

pub(super) async fn test_data_page(
    State(hub): State<Arc<Hub>>,
    staff: Staff,
    Path(id): Path<String>,
) -> Result<Page, PageError> {
    let project = staff.project(&hub, &id)?;
    let data = blocking(&hub, move |hub| test_data(hub, &staff, &project)).await?;
    page(&data)
}

/// `run-changed` events, one per change of a run of the project (its id as data), until the
/// hub shuts down.
pub(super) async fn live(
    State(hub): State<Arc<Hub>>,
    staff: Staff,
    Path(id): Path<String>,
) -> Result<
    Sse<impl futures_util::Stream<Item = Result<SseEvent, std::convert::Infallible>>>,
    PageError,
> {
    staff.project(&hub, &id)?;
    let signals = hub.subscribe_runs();
    let closing = hub.closing();
    let stream = futures_util::stream::unfold(
        (hub, id, signals, closing),
        |(hub, id, mut signals, mut closing)| async move {
            loop {
                if *closing.borrow() {
                    return None;
                }
                let signal = tokio::select! {
                    signal = signals.recv() => signal,
                    _ = closing.wait_for(|closing| *closing) => return None,
                };
                let run_id = match signal {
                    Ok(signal) => signal.run_id,
                    Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => String::new(),
                    Err(tokio::sync::broadcast::error::RecvError::Closed) => return None,
                };
                if run_id.is_empty() || hub.run_project(&run_id).is_ok_and(|p| p == id) {
                    let event = SseEvent::default().event("run-changed").data(run_id);
                    return Some((Ok(event), (hub, id, signals, closing)));
                }
            }
        },
    );
    Ok(Sse::new(stream).keep_alive(KeepAlive::default()))
}

/// A run of this project (another project's run is not found).
fn project_run(hub: &Hub, project: &Project, run_id: &str) -> Result<RunView, HubError> {
    hub.project_run(&project.id, run_id)
}

/// One entry of the evidence timeline.
struct TimelineItem {
    seq: u32,
    at: String,
    class: &'static str,
    title: String,
    badge: (String, String),
    facts: Vec<(String, String)>,
    blocks: Vec<(String, String)>,
    photo: String,
}

fn signature_badge(verdict: &SignatureVerdict) -> (String, String) {
    match verdict {
        SignatureVerdict::Valid => ("valid".to_owned(), "signature valid".to_owned()),
        SignatureVerdict::Missing => ("invalid".to_owned(), "signature missing".to_owned()),
        SignatureVerdict::Invalid { reason } => {
            ("invalid".to_owned(), format!("signature invalid: {reason}"))
        }
    }
}

fn headers_text(headers: &BTreeMap<String, String>) -> String {
    headers
        .iter()
        .map(|(name, value)| {
            let value = if linker_cases::report::is_secret_header(name) {
                linker_cases::report::REDACTED
            } else {
                value
            };
            format!("{name}: {value}")
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn wallet_action(action: &WalletActionKind) -> (String, Vec<(String, String)>) {
    let fact = |k: &str, v: &str| vec![(k.to_owned(), v.to_owned())];
    match action {
        WalletActionKind::ShowPaymentCode { code } => {
            ("Showed a payment code".to_owned(), fact("code", code))
        }
        WalletActionKind::Scan {
            code_value,
            classified,
        } => (
            format!("Scanned a code ({classified})"),
            fact("code value", code_value),
        ),
        WalletActionKind::ConfirmPayment => ("Confirmed the payment".to_owned(), Vec::new()),
        WalletActionKind::DeclinePayment => ("Declined the payment".to_owned(), Vec::new()),
        WalletActionKind::BackOut => ("Left without paying".to_owned(), Vec::new()),
        WalletActionKind::OpenEntryCode { url } => {
            ("Opened an entry-code page".to_owned(), fact("url", url))
        }
        WalletActionKind::OpenPaymentUrl { url } => {
            ("Opened the payment URL".to_owned(), fact("url", url))
        }
        WalletActionKind::Redirected { url } => {
            ("Was sent back to the merchant".to_owned(), fact("url", url))
        }
        WalletActionKind::Authorize => ("Authorized Auto Debit".to_owned(), Vec::new()),
        WalletActionKind::RevokeAuthorization => {
            ("Revoked the authorization".to_owned(), Vec::new())
        }
        WalletActionKind::DeclineAuthorization => {
            ("Declined the authorization".to_owned(), Vec::new())
        }
    }
}

fn timeline(project_id: &str, view: &RunView, case: &CaseDef) -> Vec<TimelineItem> {
    view.events
        .iter()
        .map(|event| {
            let mut item = TimelineItem {
                seq: event.seq,
                at: when(&event.at),
                class: "",
                title: String::new(),
                badge: (String::new(), String::new()),
                facts: Vec::new(),
                blocks: Vec::new(),
                photo: String::new(),
            };
            match &event.kind {
                EventKind::AcqpCall(call) => acqp_call_item(&mut item, call),
                EventKind::HubCallback(callback) => callback_item(&mut item, callback),
                EventKind::WalletAction { action } => {
                    item.class = "wallet";
                    let (title, facts) = wallet_action(action);
                    item.title = format!("Wallet: {title}");
                    item.facts = facts;
                }
                EventKind::ManualAnswer(answer) => {
                    manual_answer_item(&mut item, answer, case, project_id, &view.id);
                }
                EventKind::PaymentState(change) => payment_state_item(&mut item, change),
            }
            item
        })
        .collect()
}

/// A call the ACQP made: its answer, signature verdict, headers and bodies.
fn acqp_call_item(item: &mut TimelineItem, call: &linker_cases::AcqpCall) {
    item.class = "acqp";
    item.title = format!("ACQP → hub: {}", call.api.name());
    item.badge = signature_badge(&call.signature);
    item.facts.push((
        "answer".to_owned(),
        format!(
            "{} / {}{}",
            call.result_code,
            call.result_status,
            if call.forced { " (forced)" } else { "" }
        ),
    ));
    if let Some(problem) = &call.validation {
        item.facts
            .push(("invalid body".to_owned(), problem.clone()));
    }
    item.blocks.push((
        "Request headers".to_owned(),
        headers_text(&call.request_headers),
    ));
    item.blocks.push((
        "Request body".to_owned(),
        pretty(&linker_cases::report::redact_text(&call.request_body)),
    ));
    item.blocks
        .push(("Answer body".to_owned(), pretty(&call.response_body)));
}

/// A callback the hub made: the ack verdict, the reply and its latency.
fn callback_item(item: &mut TimelineItem, callback: &linker_cases::HubCallback) {
    item.class = "callback";
    item.title = format!(
        "hub → ACQP: {} (attempt {}{})",
        serde_json::to_value(callback.callback)
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default(),
        callback.attempt,
        if callback.forged {
            ", forged signature"
        } else {
            ""
        }
    );
    item.badge = if callback.is_signed_ack() {
        ("valid".to_owned(), "signed ack".to_owned())
    } else {
        ("invalid".to_owned(), "no valid ack".to_owned())
    };
    item.facts
        .push(("reply".to_owned(), callback.describe_reply()));
    item.facts
        .push(("latency".to_owned(), format!("{} ms", callback.latency_ms)));
    item.blocks
        .push(("Body sent".to_owned(), pretty(&callback.request_body)));
    if let Some(reply) = &callback.reply_body {
        item.blocks.push(("Reply".to_owned(), pretty(reply)));
    }
}

/// The merchant's answer to a manual question, with its note and photo.
fn manual_answer_item(
    item: &mut TimelineItem,
    answer: &linker_cases::ManualAnswer,
    case: &CaseDef,
    project_id: &str,
    run_id: &str,
) {
    item.class = "manual";
    let question = case
        .manual
        .iter()
        .find(|q| q.id == answer.question_id)
        .map(|q| q.question.clone())
        .unwrap_or_else(|| answer.question_id.clone());
    item.title = format!("Merchant answered: {question}");
    item.badge = if answer.answer {
        ("passed".to_owned(), "yes".to_owned())
    } else {
        ("failed".to_owned(), "no".to_owned())
    };
    if let Some(note) = &answer.note {
        item.facts.push(("note".to_owned(), note.clone()));
    }
    if let Some(attachment) = &answer.attachment {
        item.photo = format!(
            "/console/projects/{project_id}/runs/{}/attachments/{attachment}",
            run_id
        );
    }
}

/// A payment's change of state.
fn payment_state_item(item: &mut TimelineItem, change: &linker_cases::PaymentStateChange) {
    item.title = format!(
        "Payment {}: {}",
        change.payment_id,
        serde_json::to_value(change.state)
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default()
    );
    if let Some(reason) = &change.reason {
        item.facts.push(("reason".to_owned(), reason.clone()));
    }
}

/// A check's line on the run page.
struct CheckLine {
    check: String,
    status: &'static str,
    text: String,
    evidence: String,
}

#[derive(Template)]
#[template(path = "console/run.html")]
struct RunPage {
    frame: Frame,
    view: RunView,
    case: &'static CaseDef,
    merchant: Merchant,
    /// The wallet under test the hub played, e.g. `GCASH (GCash, pspId 1022170000000000000)`.
    wallet: String,
    summary: String,
    checks: Vec<CheckLine>,
    timeline: Vec<TimelineItem>,
    started: String,
    ended: String,
}

pub(super) async fn run_page(
    State(hub): State<Arc<Hub>>,
    staff: Staff,
    Path((id, run)): Path<(String, String)>,
) -> Result<Page, PageError> {
    let project = staff.project(&hub, &id)?;
    let view = project_run(&hub, &project, &run)?;
    let case = catalogue()?
        .case(&view.case_id)
        .ok_or_else(|| HubError::Internal(format!("case {} left the catalogue", view.case_id)))?;
    let merchant = hub.merchant(&view.merchant_id)?;
    let checks = view
        .checks
        .iter()
        .map(|check| CheckLine {
            check: check.check.clone(),
            status: match &check.outcome {
                CheckOutcome::Passed { .. } => "passed",
                CheckOutcome::Failed { .. } => "failed",
                CheckOutcome::Pending { .. } => "pending",
            },
            text: check.outcome.text().to_owned(),
            evidence: check
                .evidence
                .iter()
                .map(|s| format!("#{s}"))
                .collect::<Vec<_>>()
                .join(" "),
        })
        .collect();
    page(&RunPage {
        frame: Frame::project(
            &staff,
            &project,
            "test-data",
            &format!("{} run", view.case_id),
        ),
        summary: view
            .verdict
            .as_ref()
            .map(|v| v.summary.clone())
            .unwrap_or_else(|| {
                "Running: the verdict comes when the checks are decided.".to_owned()
            }),
        timeline: timeline(&project.id, &view, case),
        wallet: {
            let wallet = crate::domain::payments::played_wallet(Some(&view.wallet));
            format!(
                "{} ({}, pspId {})",
                wallet.name, wallet.brand_name, wallet.psp_id
            )
        },
        started: when(&view.started_at),
        ended: view.ended_at.as_ref().map(when).unwrap_or_default(),
        checks,
        case,
        merchant,
        view,
    })
}

pub(super) async fn run_attachment(
    State(hub): State<Arc<Hub>>,
    staff: Staff,
    Path((id, run, attachment)): Path<(String, String, String)>,
) -> Result<Response, PageError> {
    let project = staff.project(&hub, &id)?;
    let view = project_run(&hub, &project, &run)?;
    let merchant = hub.merchant(&view.merchant_id)?;
    let (content_type, bytes) = hub.attachment(&merchant, &run, &attachment)?;
    Ok(([(header::CONTENT_TYPE, content_type)], bytes).into_response())
}

/// A report of decided runs.
fn report_of(
    hub: &Hub,
    project: &Project,
    run_ids: &[String],
    title: String,
) -> Result<Report, HubError> {
    let mut runs = Vec::new();
    let mut merchant = None;
    for id in run_ids {
        let view = hub.judge_run(id)?;
        let Some(verdict) = &view.verdict else {
            continue;
        };
        let case = catalogue()?.case(&view.case_id).ok_or_else(|| {
            HubError::Internal(format!("case {} left the catalogue", view.case_id))
        })?;
        let record = hub.run_record(id)?;
        runs.push(
            RunReport::new(case, &record, &view.merchant_id, view.ended_at, verdict)
                .with_wallet(Some(view.wallet.clone())),
        );
        merchant = Some(view.merchant_id.clone());
    }
    runs.sort_by_key(|r| r.started_at);
    let single_merchant = runs
        .iter()
        .all(|r| Some(&r.merchant_id) == merchant.as_ref())
        .then_some(merchant)
        .flatten();
    Ok(Report {
        title,
        generated_at: hub.now(),
        hub_url: hub.public_url().to_owned(),
        project: Some(format!("{} ({})", project.name, project.client_id)),
        merchant: single_merchant,
        tool_version: format!("linker-hub {}", env!("CARGO_PKG_VERSION")),
        runs,
    })
}

fn latest_ids(hub: &Hub, project: &Project) -> Result<Vec<String>, HubError> {
    Ok(latest_runs(hub, &project.id)?
        .into_values()
        .map(|r| r.id)
        .collect())
}

fn file(content_type: &'static str, name: String, body: String) -> Response {
    (
        [
            (header::CONTENT_TYPE, content_type.to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            ),
        ],
        body,
    )
        .into_response()
}

pub(super) async fn export_csv(
    State(hub): State<Arc<Hub>>,
    staff: Staff,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let project = staff.project(&hub, &id)?;
    let csv = blocking(&hub, move |hub| {
        let merchants: BTreeMap<String, Merchant> = hub
            .merchants(&project.id)?
            .into_iter()
            .map(|m| (m.id.clone(), m))
            .collect();
        let header = [
            "merchant",
            "mid",
            "case",
            "product",
            "title",
            "status",
            "run",
            "started_at",
            "ended_at",
            "summary",
            "wallet",
        ]
        .map(str::to_owned);
        let mut lines: Vec<RunLine> = latest_runs(hub, &project.id)?.into_values().collect();
        lines.sort_by(|a, b| (&a.merchant_id, &a.case_id).cmp(&(&b.merchant_id, &b.case_id)));
        let mut rows = vec![header];
        for line in lines {
            let view = hub.judge_run(&line.id)?;
            let merchant = merchants.get(&view.merchant_id);
            let case = catalogue()?.case(&view.case_id);
            rows.push([
                merchant.map(|m| m.name.clone()).unwrap_or_default(),
                merchant.map(|m| m.mid.clone()).unwrap_or_default(),
                view.case_id.clone(),
                case.map(case_product).unwrap_or_default(),
                case.map(|c| c.title.clone()).unwrap_or_default(),
                view.status.to_string(),
                view.id.clone(),
                view.started_at.to_rfc3339(),
                view.ended_at.map(|t| t.to_rfc3339()).unwrap_or_default(),
                view.verdict.map(|v| v.summary).unwrap_or_default(),
                view.wallet.clone(),
            ]);
        }
        // Names, MIDs and verdicts come from merchants and POS answers: a spreadsheet must
        // not run them as formulas.
        write_csv(rows, Cells::Neutralised)
    })
    .await?;
    Ok(file(
        "text/csv; charset=utf-8",
        format!("test-data-{id}.csv"),
        csv,
    ))
}

async fn project_report(hub: &Arc<Hub>, project: Project) -> Result<Report, HubError> {
    blocking(hub, move |hub| {
        let ids = latest_ids(hub, &project)?;
        report_of(
            hub,
            &project,
            &ids,
            format!("Test Data of {}", project.name),
        )
    })
    .await
}

pub(super) async fn export_json(
    State(hub): State<Arc<Hub>>,
    staff: Staff,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let project = staff.project(&hub, &id)?;
    let report = project_report(&hub, project).await?;
    Ok(file(
        "application/json",
        format!("test-data-{id}.json"),
        to_json(&report),
    ))
}

pub(super) async fn export_junit(
    State(hub): State<Arc<Hub>>,
    staff: Staff,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let project = staff.project(&hub, &id)?;
    let report = project_report(&hub, project).await?;
    Ok(file(
        "application/xml; charset=utf-8",
        format!("test-data-{id}.junit.xml"),
        to_junit(&report),
    ))
}

pub(super) async fn run_report(
    State(hub): State<Arc<Hub>>,
    staff: Staff,
    Path((id, run)): Path<(String, String)>,
) -> Result<Response, PageError> {
    let project = staff.project(&hub, &id)?;
    project_run(&hub, &project, &run)?;
    let report = {
        let run = run.clone();
        blocking(&hub, move |hub| {
            let title = format!("Linker run {run}");
            report_of(hub, &project, std::slice::from_ref(&run), title)
        })
        .await?
    };
    if report.runs.is_empty() {
        return Err(HubError::Conflict(format!(
            "run {run} is not decided yet: its report comes with its verdict"
        ))
        .into());
    }
    Ok(file(
        "text/html; charset=utf-8",
        format!("{run}.html"),
        to_html(&report),
    ))
}

/// The console's routes for Test Data, live updates, exports and runs.
pub(super) fn routes() -> Router<Arc<Hub>> {
    Router::new()
        .route("/projects/{id}/test-data", get(test_data_page))
        .route("/projects/{id}/live", get(live))
        .route("/projects/{id}/exports/test-data.csv", get(export_csv))
        .route("/projects/{id}/exports/test-data.json", get(export_json))
        .route(
            "/projects/{id}/exports/test-data.junit.xml",
            get(export_junit),
        )
        .route("/projects/{id}/runs/{run}", get(run_page))
        .route("/projects/{id}/runs/{run}/report.html", get(run_report))
        .route(
            "/projects/{id}/runs/{run}/attachments/{attachment}",
            get(run_attachment),
        )
}
