//! The Acceptance page: the project's products, the required cases with their latest
//! acceptance run and verdict, the status, a way to start acceptance (the web wallet signed in
//! as the acceptance account with a fresh single-use ticket, or `linker run --acceptance`), and
//! the signed report's downloads.

use std::sync::Arc;

use askama::Template;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::header;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};

use super::{FormData, Frame, Page, PageError, Staff, blocking, page};
use crate::Hub;
use crate::domain::acceptance::{Acceptance, DEFAULT_ACCEPTANCE_MID};
use crate::domain::projects::Project;
use crate::error::HubError;

#[derive(Template)]
#[template(path = "console/acceptance.html")]
struct AcceptancePage {
    frame: Frame,
    acceptance: Acceptance,
    /// Product names of the selection.
    products: Vec<&'static str>,
    fingerprint: String,
    /// The MID the acceptance account has (or will get).
    mid: String,
    /// Why opening the acceptance wallet was refused, if it was.
    refusal: String,
    /// The `linker run --acceptance` command line.
    command: String,
}

impl AcceptancePage {
    fn status_class(&self) -> &'static str {
        match self.acceptance.status {
            crate::domain::acceptance::AcceptanceStatus::Passed => "passed",
            crate::domain::acceptance::AcceptanceStatus::InProgress => "open",
            crate::domain::acceptance::AcceptanceStatus::NotStarted => "",
        }
    }
}

fn acceptance_page_of(
    hub: &Hub,
    staff: &Staff,
    project: &Project,
    refusal: String,
) -> Result<AcceptancePage, HubError> {
    let acceptance = hub.acceptance(&project.id)?;
    let products = acceptance
        .products
        .iter()
        .filter_map(|code| linker_cases::Product::from_code(code))
        .map(linker_cases::Product::name)
        .collect();
    let mid = acceptance
        .account_mid
        .clone()
        .unwrap_or_else(|| DEFAULT_ACCEPTANCE_MID.to_owned());
    Ok(AcceptancePage {
        frame: Frame::project(staff, project, "acceptance", "Sandbox acceptance"),
        fingerprint: hub.hub_key_fingerprint(&project.id)?,
        command: format!(
            "linker run --acceptance --hub {} --project {} --pos-driver <URL> --acceptance-report acceptance.html",
            hub.public_url().trim_end_matches('/'),
            project.id
        ),
        acceptance,
        products,
        mid,
        refusal,
    })
}

pub(super) async fn acceptance_page(
    State(hub): State<Arc<Hub>>,
    staff: Staff,
    Path(id): Path<String>,
) -> Result<Page, PageError> {
    let project = staff.project(&hub, &id)?;
    let view = blocking(&hub, move |hub| {
        acceptance_page_of(hub, &staff, &project, String::new())
    })
    .await?;
    page(&view)
}

/// `POST .../acceptance/wallet`: a fresh single-use ticket, and the web wallet that signs in
/// with it. A refusal (no products, a MID a merchant has) is said on the page.
pub(super) async fn open_wallet(
    State(hub): State<Arc<Hub>>,
    staff: Staff,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, PageError> {
    let project = staff.project(&hub, &id)?;
    let form = FormData::parse(&body);
    staff.check(&form)?;
    let mid = form.optional("mid");
    let minted = {
        let id = id.clone();
        blocking(&hub, move |hub| hub.acceptance_ticket(&id, mid.as_deref())).await
    };
    match minted {
        Ok(ticket) => Ok(Redirect::to(&ticket.web_wallet_path).into_response()),
        Err(error @ (HubError::Conflict(_) | HubError::Invalid { .. })) => {
            let refusal = error.to_string();
            let view = blocking(&hub, move |hub| {
                acceptance_page_of(hub, &staff, &project, refusal)
            })
            .await?;
            Ok(page(&view)?.into_response())
        }
        Err(other) => Err(other.into()),
    }
}

fn download(content_type: &'static str, name: String, body: String) -> Response {
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

pub(super) async fn report_html(
    State(hub): State<Arc<Hub>>,
    staff: Staff,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let project = staff.project(&hub, &id)?;
    let report = blocking(&hub, move |hub| hub.acceptance_report(&project.id)).await?;
    Ok(download(
        "text/html; charset=utf-8",
        format!("acceptance-{id}.html"),
        linker_cases::report::acceptance::to_html(&report),
    ))
}

pub(super) async fn report_json(
    State(hub): State<Arc<Hub>>,
    staff: Staff,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let project = staff.project(&hub, &id)?;
    let report = blocking(&hub, move |hub| hub.acceptance_report(&project.id)).await?;
    Ok(download(
        "application/json",
        format!("acceptance-{id}.json"),
        linker_cases::report::acceptance::to_json(&report),
    ))
}

/// The Acceptance page's routes.
pub(super) fn routes() -> Router<Arc<Hub>> {
    Router::new()
        .route("/projects/{id}/acceptance", get(acceptance_page))
        .route("/projects/{id}/acceptance/wallet", post(open_wallet))
        .route("/projects/{id}/acceptance/report.html", get(report_html))
        .route("/projects/{id}/acceptance/report.json", get(report_json))
}
