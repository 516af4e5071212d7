//! The admin API (`/admin/v1/...`): projects (and their Agent-Token), merchants, assignments,
//! forced results, the request log, deliveries, runs and the test clock, for a holder of the
//! admin token. A project's own routes (`/projects/{id}...`, [`ProjectAuth`]) also take that
//! project's token, for CI; the hub-wide ones (create and list projects, the clock,
//! [`AdminAuth`]) do not.

use std::sync::Arc;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, Uri};
use serde::{Deserialize, Serialize};

use super::extract::{AdminAuth, JsonBody, ProjectAuth, json_body};
use crate::Hub;
use crate::domain::acqp_authorizations::{
    GeneratedUrl, NewAuthorizationUrl, ProjectAuthorizations,
};
use crate::domain::merchants::{Invited, Merchant, NewMerchant};
use crate::domain::payments::IssuedPaymentCode;
use crate::domain::projects::{NewProject, ProjectUpdate, ProjectView};
use crate::domain::request_log::{Exchange, ExchangeFilter};
use crate::domain::runs::RunView;
use crate::error::HubError;
use crate::import::ImportRow;

pub(super) async fn list_projects(
    State(hub): State<Arc<Hub>>,
    _: AdminAuth,
) -> Result<Json<Vec<ProjectView>>, HubError> {
    let projects = hub.projects()?;
    Ok(Json(
        projects.iter().map(|p| p.view(hub.public_url())).collect(),
    ))
}

pub(super) async fn create_project(
    State(hub): State<Arc<Hub>>,
    _: AdminAuth,
    JsonBody(new): JsonBody<NewProject>,
) -> Result<(StatusCode, Json<ProjectView>), HubError> {
    let project = tokio::task::spawn_blocking({
        let hub = hub.clone();
        move || hub.create_project(new)
    })
    .await
    .map_err(|error| HubError::Internal(error.to_string()))??;
    Ok((StatusCode::CREATED, Json(project.view(hub.public_url()))))
}

pub(super) async fn show_project(
    State(hub): State<Arc<Hub>>,
    _: ProjectAuth,
    Path(id): Path<String>,
) -> Result<Json<ProjectView>, HubError> {
    Ok(Json(hub.project(&id)?.view(hub.public_url())))
}

pub(super) async fn update_project(
    State(hub): State<Arc<Hub>>,
    _: ProjectAuth,
    Path(id): Path<String>,
    JsonBody(update): JsonBody<ProjectUpdate>,
) -> Result<Json<ProjectView>, HubError> {
    Ok(Json(
        hub.update_project(&id, update)?.view(hub.public_url()),
    ))
}

/// Gives the project a new sandbox Agent-Token (the old one stops working) and returns the
/// project with it.
pub(super) async fn rotate_agent_token(
    State(hub): State<Arc<Hub>>,
    _: ProjectAuth,
    Path(id): Path<String>,
) -> Result<Json<ProjectView>, HubError> {
    Ok(Json(hub.rotate_agent_token(&id)?.view(hub.public_url())))
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(super) struct IssueCode {
    run_id: Option<String>,
}

pub(super) async fn issue_payment_code(
    State(hub): State<Arc<Hub>>,
    _: ProjectAuth,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<(StatusCode, Json<IssuedPaymentCode>), HubError> {
    let request: IssueCode = if body.is_empty() {
        IssueCode::default()
    } else {
        json_body(&body)?
    };
    let issued = hub.issue_payment_code(&id, request.run_id.as_deref())?;
    Ok((StatusCode::CREATED, Json(issued)))
}

pub(super) async fn list_exchanges(
    State(hub): State<Arc<Hub>>,
    _: ProjectAuth,
    Path(id): Path<String>,
    Query(filter): Query<ExchangeFilter>,
) -> Result<Json<Vec<Exchange>>, HubError> {
    hub.project(&id)?;
    Ok(Json(hub.exchanges(&id, &filter)?))
}

pub(super) async fn list_deliveries(
    State(hub): State<Arc<Hub>>,
    _: ProjectAuth,
    Path(id): Path<String>,
) -> Result<Json<Vec<crate::callbacks::Delivery>>, HubError> {
    hub.project(&id)?;
    Ok(Json(hub.deliveries(&id)?))
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct ClockView {
    now: String,
    adjustable: bool,
}

pub(super) async fn show_clock(
    State(hub): State<Arc<Hub>>,
    _: AdminAuth,
) -> Result<Json<ClockView>, HubError> {
    Ok(Json(ClockView {
        now: hub.now().to_rfc3339(),
        adjustable: hub.has_test_clock(),
    }))
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(super) struct Advance {
    seconds: i64,
}

pub(super) async fn advance_clock(
    State(hub): State<Arc<Hub>>,
    _: AdminAuth,
    JsonBody(advance): JsonBody<Advance>,
) -> Result<Json<ClockView>, HubError> {
    if advance.seconds < 0 {
        return Err(HubError::invalid("seconds", "the clock only moves forward"));
    }
    if !hub.advance_clock(chrono::Duration::seconds(advance.seconds)) {
        return Err(HubError::Conflict(
            "this hub runs on real time; start it with --test-clock to move its clock".to_owned(),
        ));
    }
    Ok(Json(ClockView {
        now: hub.now().to_rfc3339(),
        adjustable: true,
    }))
}

pub(super) async fn admin_not_found(uri: Uri) -> HubError {
    HubError::NotFound(format!("API path {}", uri.path()))
}

pub(super) async fn list_merchants(
    State(hub): State<Arc<Hub>>,
    _: ProjectAuth,
    Path(id): Path<String>,
) -> Result<Json<Vec<Merchant>>, HubError> {
    hub.project(&id)?;
    Ok(Json(hub.merchants(&id)?))
}

pub(super) async fn invite_merchant(
    State(hub): State<Arc<Hub>>,
    _: ProjectAuth,
    Path(id): Path<String>,
    JsonBody(new): JsonBody<NewMerchant>,
) -> Result<(StatusCode, Json<Invited>), HubError> {
    let mut invited = hub.invite_merchant(&id, new)?;
    delivered(&hub, &mut invited).await?;
    Ok((StatusCode::CREATED, Json(invited)))
}

pub(super) async fn import_merchants(
    State(hub): State<Arc<Hub>>,
    _: ProjectAuth,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Json<Vec<ImportRow>>, HubError> {
    // Reading a sheet (and unpacking a workbook) is CPU work: off the async workers.
    let hub2 = hub.clone();
    let mut report =
        tokio::task::spawn_blocking(move || hub2.import_merchant_sheet(&id, "", &body))
            .await
            .map_err(|error| HubError::Internal(error.to_string()))??;
    for row in &mut report {
        delivered(&hub, &mut row.invited).await?;
    }
    Ok(Json(report))
}

/// Delivers an invitation (SMTP or the console's outbox) and refreshes the merchant's status.
pub(super) async fn delivered(hub: &Hub, invited: &mut Invited) -> Result<(), HubError> {
    hub.deliver_invitation(invited).await?;
    invited.merchant = hub.merchant(&invited.merchant.id)?;
    Ok(())
}

pub(super) async fn list_forced(
    State(hub): State<Arc<Hub>>,
    _: ProjectAuth,
    Path(id): Path<String>,
) -> Result<Json<Vec<crate::domain::forced::ForcedResult>>, HubError> {
    hub.project(&id)?;
    Ok(Json(hub.forced_results(&id)?))
}

pub(super) async fn create_forced(
    State(hub): State<Arc<Hub>>,
    _: ProjectAuth,
    Path(id): Path<String>,
    JsonBody(new): JsonBody<crate::domain::forced::NewForcedResult>,
) -> Result<(StatusCode, Json<crate::domain::forced::ForcedResult>), HubError> {
    Ok((StatusCode::CREATED, Json(hub.force_result(&id, new)?)))
}

pub(super) async fn delete_forced(
    State(hub): State<Arc<Hub>>,
    _: ProjectAuth,
    Path((id, forced)): Path<(String, String)>,
) -> Result<StatusCode, HubError> {
    hub.unforce_result(&id, &forced)?;
    Ok(StatusCode::NO_CONTENT)
}

pub(super) async fn resend_invitation(
    State(hub): State<Arc<Hub>>,
    _: ProjectAuth,
    Path((id, merchant)): Path<(String, String)>,
) -> Result<Json<Invited>, HubError> {
    let mut invited = hub.resend_invitation(&id, &merchant)?;
    delivered(&hub, &mut invited).await?;
    Ok(Json(invited))
}

pub(super) async fn revoke_merchant(
    State(hub): State<Arc<Hub>>,
    _: ProjectAuth,
    Path((id, merchant)): Path<(String, String)>,
) -> Result<Json<Merchant>, HubError> {
    hub.revoke_merchant(&id, &merchant)?;
    Ok(Json(hub.merchant(&merchant)?))
}

pub(super) async fn show_assignment(
    State(hub): State<Arc<Hub>>,
    _: ProjectAuth,
    Path((id, merchant)): Path<(String, String)>,
) -> Result<Json<crate::domain::assignments::Assignment>, HubError> {
    Ok(Json(hub.assignment(&id, &merchant)?))
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(super) struct AssignmentUpdate {
    /// The cases to assign; `null` goes back to the defaults of the merchant's products.
    case_ids: Option<Vec<String>>,
}

pub(super) async fn replace_assignment(
    State(hub): State<Arc<Hub>>,
    _: ProjectAuth,
    Path((id, merchant)): Path<(String, String)>,
    JsonBody(update): JsonBody<AssignmentUpdate>,
) -> Result<Json<crate::domain::assignments::Assignment>, HubError> {
    if update.case_ids.as_ref().is_some_and(Vec::is_empty) {
        return Err(HubError::invalid(
            "caseIds",
            "assign at least one case, or send null for the defaults",
        ));
    }
    hub.assign_cases(
        &id,
        std::slice::from_ref(&merchant),
        update.case_ids.as_deref(),
    )?;
    Ok(Json(hub.assignment(&id, &merchant)?))
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(super) struct TestNotificationRequest {
    url: Option<String>,
    #[serde(default = "yes")]
    success: bool,
    amount: Option<crate::callbacks::test_notification::TestAmount>,
}

fn yes() -> bool {
    true
}

pub(super) async fn test_notification(
    State(hub): State<Arc<Hub>>,
    _: ProjectAuth,
    Path(id): Path<String>,
    JsonBody(request): JsonBody<TestNotificationRequest>,
) -> Result<Json<crate::callbacks::test_notification::NotificationCheck>, HubError> {
    let check = hub
        .send_test_notification(
            &id,
            crate::callbacks::test_notification::TestNotification {
                url: request.url,
                success: request.success,
                amount: request.amount.map(|a| (a.currency, a.value)),
            },
        )
        .await?;
    Ok(Json(check))
}

pub(super) async fn show_run(
    State(hub): State<Arc<Hub>>,
    _: ProjectAuth,
    Path((id, run)): Path<(String, String)>,
) -> Result<Json<RunView>, HubError> {
    let view = tokio::task::spawn_blocking(move || hub.project_run(&id, &run))
        .await
        .map_err(|error| HubError::Internal(format!("the run's judge failed: {error}")))??;
    Ok(Json(view))
}

/// Generates an ACQP authorization URL for the project (sandbox acceptance must have passed);
/// mailed to the ACQP when `mail` is true.
pub(super) async fn create_authorization_url(
    State(hub): State<Arc<Hub>>,
    _: ProjectAuth,
    Path(id): Path<String>,
    JsonBody(new): JsonBody<NewAuthorizationUrl>,
) -> Result<(StatusCode, Json<GeneratedUrl>), HubError> {
    let generated = hub.generate_authorization_url(&id, "admin API", &new)?;
    hub.deliver_authorization_mail(&generated.mail_ids).await?;
    Ok((StatusCode::CREATED, Json(generated)))
}

/// The project's ACQP authorizations (with their Agent-Tokens) and authorization URLs.
pub(super) async fn list_authorizations(
    State(hub): State<Arc<Hub>>,
    _: ProjectAuth,
    Path(id): Path<String>,
) -> Result<Json<ProjectAuthorizations>, HubError> {
    Ok(Json(hub.project_authorizations(&id)?))
}
