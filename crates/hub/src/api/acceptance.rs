//! Sandbox acceptance testing over the admin API (`/admin/v1/projects/{id}/acceptance...`, for
//! the admin token or the project's token): the status, a sign-in ticket for the acceptance
//! account, and the signed report; and the wallet's exchange of a ticket for a session
//! (`/wallet/v1/sign-in/ticket`).

use std::sync::Arc;

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use super::extract::{JsonBody, ProjectAuth};
use crate::Hub;
use crate::domain::acceptance::{Acceptance, AcceptanceTicket};
use crate::domain::merchants::Session;
use crate::error::HubError;

/// What `POST .../acceptance/session` takes.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(super) struct TicketRequest {
    /// The acceptance account's MID (kept as it is when absent).
    mid: Option<String>,
}

/// What `POST /wallet/v1/sign-in/ticket` takes.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(super) struct TicketSignIn {
    ticket: String,
}

async fn blocking<T: Send + 'static>(
    hub: Arc<Hub>,
    work: impl FnOnce(&Hub) -> Result<T, HubError> + Send + 'static,
) -> Result<T, HubError> {
    tokio::task::spawn_blocking(move || work(&hub))
        .await
        .map_err(|error| HubError::Internal(error.to_string()))?
}

pub(super) async fn show_acceptance(
    State(hub): State<Arc<Hub>>,
    _: ProjectAuth,
    Path(id): Path<String>,
) -> Result<Json<Acceptance>, HubError> {
    Ok(Json(blocking(hub, move |hub| hub.acceptance(&id)).await?))
}

pub(super) async fn acceptance_ticket(
    State(hub): State<Arc<Hub>>,
    _: ProjectAuth,
    Path(id): Path<String>,
    JsonBody(request): JsonBody<TicketRequest>,
) -> Result<(StatusCode, Json<AcceptanceTicket>), HubError> {
    let ticket = blocking(hub, move |hub| {
        hub.acceptance_ticket(&id, request.mid.as_deref())
    })
    .await?;
    Ok((StatusCode::CREATED, Json(ticket)))
}

pub(super) async fn report_html(
    State(hub): State<Arc<Hub>>,
    _: ProjectAuth,
    Path(id): Path<String>,
) -> Result<Response, HubError> {
    let name = format!("acceptance-{id}.html");
    let report = blocking(hub, move |hub| hub.acceptance_report(&id)).await?;
    Ok(download(
        "text/html; charset=utf-8",
        &name,
        linker_cases::report::acceptance::to_html(&report),
    ))
}

pub(super) async fn report_json(
    State(hub): State<Arc<Hub>>,
    _: ProjectAuth,
    Path(id): Path<String>,
) -> Result<Response, HubError> {
    let name = format!("acceptance-{id}.json");
    let report = blocking(hub, move |hub| hub.acceptance_report(&id)).await?;
    Ok(download(
        "application/json",
        &name,
        linker_cases::report::acceptance::to_json(&report),
    ))
}

/// A file to save, named.
pub(crate) fn download(content_type: &'static str, name: &str, body: String) -> Response {
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

pub(super) async fn wallet_ticket_sign_in(
    State(hub): State<Arc<Hub>>,
    JsonBody(request): JsonBody<TicketSignIn>,
) -> Result<Json<Session>, HubError> {
    Ok(Json(
        blocking(hub, move |hub| hub.sign_in_with_ticket(&request.ticket)).await?,
    ))
}
