//! The request log, forced results (iMock) and sending a test notification (iNotify).

use std::sync::Arc;

use askama::Template;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use chrono::{DateTime, NaiveDateTime, Utc};
use linker_aplus::message::Api;

use super::{Errors, FormData, Frame, Page, PageError, Staff, page, pretty, when};
use crate::Hub;
use crate::callbacks::test_notification::{NotificationCheck, TestNotification};
use crate::domain::forced::{FieldMatch, ForcedResult, NewForcedResult};
use crate::domain::merchants::Merchant;
use crate::domain::request_log::{
    Exchange, ExchangeFilter, ExchangeSummary, RejectedCount, RejectedSample,
};
use crate::error::HubError;

/// A row of the log.
struct LogRow {
    seq: i64,
    at: String,
    direction: &'static str,
    api: String,
    result_code: String,
    result_status: String,
    signature: String,
    latency_ms: String,
    run_id: String,
    /// "1.2 KB" and so on: the whole request's size.
    size: String,
}

/// A Client-Id's refused calls, as the log page shows them.
struct RefusedRow {
    client_id: String,
    count: i64,
    first_at: String,
    last_at: String,
    last_code: String,
    last_reason: String,
}

/// A kept sample of a refused call.
struct SampleRow {
    at: String,
    api: String,
    signature: String,
    code: String,
    reason: String,
    headers: String,
    body: String,
    note: String,
}

#[derive(Template)]
#[template(path = "console/requests.html")]
struct RequestsPage {
    frame: Frame,
    rows: Vec<LogRow>,
    query: FormData,
    errors: Errors,
    apis: Vec<&'static str>,
    merchants: Vec<(String, String)>,
    more: String,
    refused: Vec<RefusedRow>,
    samples: Vec<SampleRow>,
}

impl RequestsPage {
    fn selected(&self, field: &str, value: &str) -> &'static str {
        if self.query.get(field) == value {
            "selected"
        } else {
            ""
        }
    }
}

/// Reads a time field of the filter: RFC 3339, or the browser's `YYYY-MM-DDTHH:MM` (UTC).
fn time_field(form: &FormData, field: &str) -> Result<Option<DateTime<Utc>>, HubError> {
    let Some(text) = form.optional(field) else {
        return Ok(None);
    };
    if let Ok(t) = DateTime::parse_from_rfc3339(&text) {
        return Ok(Some(t.with_timezone(&Utc)));
    }
    for format in ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M"] {
        if let Ok(t) = NaiveDateTime::parse_from_str(&text, format) {
            return Ok(Some(t.and_utc()));
        }
    }
    Err(HubError::invalid(
        field,
        format!("{text:?} is not a time: write 2025-01-31T14:30 (UTC)"),
    ))
}

pub(super) async fn requests_page(
    State(hub): State<Arc<Hub>>,
    staff: Staff,
    Path(id): Path<String>,
    RawQuery(query): RawQuery,
) -> Result<Page, PageError> {
    let project = staff.project(&hub, &id)?;
    let query = FormData::parse(query.unwrap_or_default().as_bytes());
    let merchants = hub.merchants(&id)?;
    let (filter, errors) = log_filter(&hub, &id, &query, &merchants)?;
    let exchanges: Vec<ExchangeSummary> = if errors.is_empty() {
        hub.exchange_summaries(&id, &filter)?
    } else {
        Vec::new()
    };
    let more = next_page(&query, &exchanges);
    let mut apis: Vec<&'static str> = Api::HUB_SERVED.iter().map(|a| a.name()).collect();
    apis.extend(["notifyPayment", "userInitiatedPay", "authNotify"]);
    page(&RequestsPage {
        frame: Frame::project(&staff, &project, "requests", "Request log"),
        rows: exchanges.iter().map(log_row).collect(),
        query,
        errors,
        apis,
        merchants: merchants
            .into_iter()
            .map(|m| (m.id, format!("{} ({})", m.name, m.mid)))
            .collect(),
        more,
        refused: hub.refused_counts(&id)?.iter().map(refused_row).collect(),
        samples: hub.refused_samples(&id)?.iter().map(sample_row).collect(),
    })
}

fn refused_row(count: &RejectedCount) -> RefusedRow {
    RefusedRow {
        client_id: count.client_id.clone(),
        count: count.count,
        first_at: when(&count.first_at),
        last_at: when(&count.last_at),
        last_code: count.last_code.clone(),
        last_reason: count.last_reason.clone(),
    }
}

fn sample_row(sample: &RejectedSample) -> SampleRow {
    SampleRow {
        at: when(&sample.at),
        api: sample.api.clone(),
        signature: sample.signature_verdict.to_string(),
        code: sample.result_code.clone(),
        reason: sample.reason.clone(),
        headers: header_lines(&sample.request_headers),
        body: pretty(&sample.request_body),
        note: cut_note(
            sample.request_body.len(),
            sample.request_size,
            Some(&sample.request_sha256),
        ),
    }
}

/// "truncated, N bytes, sha256 …" when the log kept only the start of a body, else "".
fn cut_note(kept: usize, size: u64, sha256: Option<&String>) -> String {
    if (kept as u64) >= size {
        return String::new();
    }
    format!(
        "truncated: the first {kept} of {size} bytes shown, sha256 {}",
        sha256.map_or("unknown", String::as_str)
    )
}

/// A size for people: bytes, KB or MB.
fn size_text(bytes: u64) -> String {
    match bytes {
        0..1024 => format!("{bytes} B"),
        1024..1_048_576 => format!("{:.1} KB", bytes as f64 / 1024.0),
        _ => format!("{:.1} MB", bytes as f64 / 1_048_576.0),
    }
}

#[derive(Template)]
#[template(path = "console/request.html")]
struct RequestPage {
    frame: Frame,
    exchange: Exchange,
    at: String,
    request_headers: String,
    request_body: String,
    response_headers: String,
    response_body: String,
    request_note: String,
    response_note: String,
}

fn header_lines(headers: &std::collections::BTreeMap<String, String>) -> String {
    headers
        .iter()
        .map(|(n, v)| format!("{n}: {v}"))
        .collect::<Vec<_>>()
        .join("\n")
}

pub(super) async fn request_page(
    State(hub): State<Arc<Hub>>,
    staff: Staff,
    Path((id, seq)): Path<(String, i64)>,
) -> Result<Page, PageError> {
    let project = staff.project(&hub, &id)?;
    let exchange: Exchange = hub.exchange(&id, seq)?;
    page(&RequestPage {
        frame: Frame::project(
            &staff,
            &project,
            "requests",
            &format!("{} #{seq}", exchange.api),
        ),
        at: when(&exchange.at),
        request_headers: header_lines(&exchange.request_headers),
        request_body: pretty(&exchange.request_body),
        response_headers: header_lines(&exchange.response_headers),
        response_body: pretty(&exchange.response_body),
        request_note: cut_note(
            exchange.request_body.len(),
            exchange.request_size,
            exchange.request_sha256.as_ref(),
        ),
        response_note: cut_note(
            exchange.response_body.len(),
            exchange.response_size,
            exchange.response_sha256.as_ref(),
        ),
        exchange,
    })
}

#[derive(Template)]
#[template(path = "console/forced.html")]
struct ForcedPage {
    frame: Frame,
    forced: Vec<ForcedResult>,
    apis: Vec<&'static str>,
    form: FormData,
    errors: Errors,
}

impl ForcedPage {
    fn selected(&self, api: &str) -> &'static str {
        if self.form.get("api") == api {
            "selected"
        } else {
            ""
        }
    }
}

fn forced_page_of(
    hub: &Hub,
    staff: &Staff,
    project: &crate::domain::projects::Project,
    notice: &str,
) -> Result<ForcedPage, PageError> {
    Ok(ForcedPage {
        frame: Frame::project(staff, project, "forced", "Forced results").notice(notice),
        forced: hub.forced_results(&project.id)?,
        apis: Api::HUB_SERVED.iter().map(|a| a.name()).collect(),
        form: FormData(vec![("minutes".to_owned(), "30".to_owned())]),
        errors: Errors::default(),
    })
}

pub(super) async fn forced_page(
    State(hub): State<Arc<Hub>>,
    staff: Staff,
    Path(id): Path<String>,
) -> Result<Page, PageError> {
    let project = staff.project(&hub, &id)?;
    page(&forced_page_of(&hub, &staff, &project, "")?)
}

pub(super) async fn create_forced(
    State(hub): State<Arc<Hub>>,
    staff: Staff,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, PageError> {
    let project = staff.project(&hub, &id)?;
    let form = FormData::parse(&body);
    staff.check(&form)?;
    let minutes = match form.optional("minutes") {
        None => Ok(None),
        Some(m) => m
            .parse::<i64>()
            .map(Some)
            .map_err(|_| HubError::invalid("minutes", format!("{m:?} is not a number of minutes"))),
    };
    let when = match (form.optional("field"), form.optional("value")) {
        (Some(field), Some(value)) => Ok(Some(FieldMatch { field, value })),
        (None, None) => Ok(None),
        (Some(_), None) => Err(HubError::invalid(
            "value",
            "give the value the field must have",
        )),
        (None, Some(_)) => Err(HubError::invalid(
            "field",
            "name the field the value is for",
        )),
    };
    let result = minutes.and_then(|minutes| {
        when.and_then(|when| {
            hub.force_result(
                &id,
                NewForcedResult {
                    api: form.get("api").to_owned(),
                    result_code: form.get("resultCode").trim().to_owned(),
                    result_message: form.optional("resultMessage"),
                    when,
                    minutes,
                },
            )
        })
    });
    match result {
        Ok(forced) => Ok(page(&forced_page_of(
            &hub,
            &staff,
            &project,
            &format!(
                "{} now answers {} until {}.",
                forced.api,
                forced.result_code,
                when_utc(&forced.expires_at)
            ),
        )?)?
        .into_response()),
        Err(error) => {
            let mut forced = forced_page_of(&hub, &staff, &project, "")?;
            forced.errors = Errors::from_hub(
                error,
                &["api", "resultCode", "minutes", "field", "value"],
                "resultCode",
            )?;
            if let Some(message) = forced.errors.0.remove("when.field") {
                forced.errors.0.insert("field".to_owned(), message);
            }
            forced.form = form;
            Ok(page(&forced)?.into_response())
        }
    }
}

fn when_utc(time: &DateTime<Utc>) -> String {
    when(time)
}

pub(super) async fn delete_forced(
    State(hub): State<Arc<Hub>>,
    staff: Staff,
    Path((id, forced)): Path<(String, String)>,
    body: Bytes,
) -> Result<Page, PageError> {
    let project = staff.project(&hub, &id)?;
    staff.check(&FormData::parse(&body))?;
    hub.unforce_result(&id, &forced)?;
    page(&forced_page_of(
        &hub,
        &staff,
        &project,
        "Forced result removed.",
    )?)
}

#[derive(Template)]
#[template(path = "console/notify.html")]
struct NotifyPage {
    frame: Frame,
    notify_url: String,
    form: FormData,
    errors: Errors,
    check: Option<NotificationCheck>,
}

impl NotifyPage {
    fn lines(headers: &[(String, String)]) -> String {
        headers
            .iter()
            .map(|(n, v)| format!("{n}: {v}"))
            .collect::<Vec<_>>()
            .join("\n")
    }
}

pub(super) async fn notify_page(
    State(hub): State<Arc<Hub>>,
    staff: Staff,
    Path(id): Path<String>,
) -> Result<Page, PageError> {
    let project = staff.project(&hub, &id)?;
    page(&NotifyPage {
        frame: Frame::project(&staff, &project, "notify", "Send notification"),
        notify_url: project.notify_url.clone().unwrap_or_default(),
        form: FormData(vec![
            ("outcome".to_owned(), "success".to_owned()),
            ("currency".to_owned(), "HKD".to_owned()),
            ("value".to_owned(), "1000".to_owned()),
        ]),
        errors: Errors::default(),
        check: None,
    })
}

pub(super) async fn send_notify(
    State(hub): State<Arc<Hub>>,
    staff: Staff,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Page, PageError> {
    let project = staff.project(&hub, &id)?;
    let form = FormData::parse(&body);
    staff.check(&form)?;
    let test = TestNotification {
        url: form.optional("url"),
        success: form.get("outcome") != "failure",
        amount: Some((
            form.get("currency").to_owned(),
            form.get("value").to_owned(),
        )),
    };
    let mut notify = NotifyPage {
        frame: Frame::project(&staff, &project, "notify", "Send notification"),
        notify_url: project.notify_url.clone().unwrap_or_default(),
        form: form.clone(),
        errors: Errors::default(),
        check: None,
    };
    match hub.send_test_notification(&id, test).await {
        Ok(check) => notify.check = Some(check),
        Err(error) => {
            notify.errors = Errors::from_hub(error, &["url", "amount"], "url")?;
        }
    }
    page(&notify)
}

/// The request log's filter from the page's query, with an error next to each wrong field.
fn log_filter(
    hub: &Hub,
    id: &str,
    query: &FormData,
    merchants: &[Merchant],
) -> Result<(ExchangeFilter, Errors), PageError> {
    let mut errors = Errors::default();
    let mut filter = ExchangeFilter {
        api: query.optional("api"),
        result_code: query.optional("resultCode").map(|c| c.to_ascii_uppercase()),
        result_status: query.optional("resultStatus"),
        before: query.optional("before").and_then(|b| b.parse().ok()),
        limit: Some(100),
        ..ExchangeFilter::default()
    };
    for (field, slot) in [("since", &mut filter.since), ("until", &mut filter.until)] {
        match time_field(query, field) {
            Ok(time) => *slot = time,
            Err(HubError::Invalid { field, message }) => {
                errors.0.insert(field, message);
            }
            Err(other) => return Err(other.into()),
        }
    }
    if let Some(merchant) = query.optional("merchant") {
        if merchants.iter().any(|m| m.id == merchant) {
            filter.merchant_id = Some(merchant);
        } else {
            errors
                .0
                .insert("merchant".to_owned(), "no such merchant".to_owned());
        }
    }
    if let Some(run) = query.optional("run") {
        match hub.run_project(&run) {
            Ok(project_id) if project_id == id => filter.run_id = Some(run),
            Ok(_) | Err(HubError::NotFound(_)) => {
                errors.0.insert(
                    "run".to_owned(),
                    format!("run {run} not found in this project"),
                );
            }
            Err(other) => return Err(other.into()),
        }
    }
    Ok((filter, errors))
}

/// The query of the next page of the log (older exchanges), or nothing when this page is the last.
fn next_page(query: &FormData, exchanges: &[ExchangeSummary]) -> String {
    match exchanges.last() {
        Some(last) if exchanges.len() == 100 => {
            let mut next = query.clone();
            next.0.retain(|(n, _)| n != "before");
            next.0.push(("before".to_owned(), last.seq.to_string()));
            next.0
                .iter()
                .map(|(n, v)| {
                    format!(
                        "{n}={}",
                        percent_encoding::utf8_percent_encode(
                            v,
                            percent_encoding::NON_ALPHANUMERIC
                        )
                    )
                })
                .collect::<Vec<_>>()
                .join("&")
        }
        _ => String::new(),
    }
}

/// One exchange as a row of the log.
fn log_row(e: &ExchangeSummary) -> LogRow {
    LogRow {
        seq: e.seq,
        at: when(&e.at),
        direction: match e.direction {
            crate::domain::request_log::Direction::Inbound => "ACQP → hub",
            crate::domain::request_log::Direction::Outbound => "hub → ACQP",
        },
        api: e.api.clone(),
        result_code: e.result_code.clone().unwrap_or_default(),
        result_status: e.result_status.clone().unwrap_or_default(),
        signature: e.signature_verdict.to_string(),
        latency_ms: format!("{:.1}", e.latency_us as f64 / 1000.0),
        run_id: e.run_id.clone().unwrap_or_default(),
        size: size_text(e.request_size),
    }
}

/// The console's routes for the request log, forced results (iMock) and test notifications (iNotify).
pub(super) fn routes() -> Router<Arc<Hub>> {
    Router::new()
        .route("/projects/{id}/requests", get(requests_page))
        .route("/projects/{id}/requests/{seq}", get(request_page))
        .route(
            "/projects/{id}/forced",
            get(forced_page).post(create_forced),
        )
        .route("/projects/{id}/forced/{forced}/delete", post(delete_forced))
        .route("/projects/{id}/notify", get(notify_page).post(send_notify))
}
