//! The hub's HTTP surface: [`router`] builds the axum app (so tests drive it with
//! `tower::ServiceExt::oneshot`, no socket needed) from thin handlers over [`Hub`] methods.
//!
//! - `/aps/...`: the Alipay+ API ([`Hub::handle_aplus`]), answered with HTTP 200 and a signed
//!   `result` whatever happens;
//! - `/admin/v1/...`: the admin JSON API, bearer-token protected, errors as `{code, message}`;
//! - `/console/...`: the web console's pages ([`crate::console`]);
//! - `/health`: liveness.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, delete, get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};

use crate::Hub;
use crate::domain::merchants::{ImportRow, Invited, Merchant, NewMerchant, Session};
use crate::domain::payments::IssuedPaymentCode;
use crate::domain::projects::{NewProject, ProjectUpdate, ProjectView};
use crate::domain::request_log::{Exchange, ExchangeFilter};
use crate::domain::runs::RunView;
use crate::error::HubError;
use crate::gateway::IncomingCall;
use linker_aplus::message::Api;
use linker_aplus::signature::path_for_signing;

/// The biggest request body the hub reads (Alipay+ messages are a few KB; photos up to 5 MB).
pub const MAX_BODY_BYTES: usize = 6 * 1024 * 1024;

/// The whole hub as an axum router.
pub fn router(hub: Arc<Hub>) -> Router {
    let admin = Router::new()
        .route("/projects", get(list_projects).post(create_project))
        .route("/projects/{id}", get(show_project).patch(update_project))
        .route("/projects/{id}/payment-codes", post(issue_payment_code))
        .route("/projects/{id}/exchanges", get(list_exchanges))
        .route("/projects/{id}/deliveries", get(list_deliveries))
        .route(
            "/projects/{id}/merchants",
            get(list_merchants).post(invite_merchant),
        )
        .route("/projects/{id}/merchants/import", post(import_merchants))
        .route(
            "/projects/{id}/forced-results",
            get(list_forced).post(create_forced),
        )
        .route(
            "/projects/{id}/forced-results/{forced}",
            delete(delete_forced),
        )
        .route(
            "/projects/{id}/merchants/{merchant}/resend",
            post(resend_invitation),
        )
        .route(
            "/projects/{id}/merchants/{merchant}/revoke",
            post(revoke_merchant),
        )
        .route(
            "/projects/{id}/merchants/{merchant}/assignment",
            get(show_assignment).put(replace_assignment),
        )
        .route("/projects/{id}/test-notifications", post(test_notification))
        .route("/projects/{id}/runs/{run}", get(show_run))
        .route("/clock", get(show_clock))
        .route("/clock/advance", post(advance_clock))
        .fallback(admin_not_found);
    let wallet = Router::new()
        .route("/sign-in/invitation", post(wallet_sign_in_invitation))
        .route("/sign-in", post(wallet_sign_in))
        .route("/sign-out", post(wallet_sign_out))
        .route("/me", get(wallet_me))
        .route("/cases", get(wallet_cases))
        .route("/authorizations", post(wallet_grant))
        .route(
            "/authorizations/{authorization}/revoke",
            post(wallet_revoke),
        )
        .route("/runs", get(wallet_runs).post(wallet_start_run))
        .route("/runs/{run}", get(wallet_run))
        .route("/runs/{run}/events", get(wallet_run_events))
        .route("/runs/{run}/payment-code", post(wallet_payment_code))
        .route("/runs/{run}/confirm", post(wallet_confirm))
        .route("/runs/{run}/scan", post(wallet_scan))
        .route("/runs/{run}/back-out", post(wallet_back_out))
        .route("/runs/{run}/open-url", post(wallet_open_url))
        .route(
            "/runs/{run}/attachments/{attachment}",
            get(wallet_get_attachment).put(wallet_put_attachment),
        )
        .route("/runs/{run}/decline", post(wallet_decline))
        .route("/runs/{run}/manual-answers", post(wallet_manual_answer))
        .fallback(admin_not_found);
    Router::new()
        .route("/aps/{*rest}", any(aplus_gateway))
        .nest("/wallet/v1", wallet)
        .route("/health", get(health))
        .route("/openapi.json", get(openapi))
        .nest("/admin/v1", admin)
        .nest("/console", crate::console::router())
        .layer(axum::extract::DefaultBodyLimit::max(MAX_BODY_BYTES))
        .with_state(hub)
}

/// An error as every JSON API of the hub answers it.
#[derive(Debug, Serialize, Deserialize)]
pub struct ErrorBody {
    /// The stable code.
    pub code: String,
    /// What went wrong, for people.
    pub message: String,
}

impl IntoResponse for HubError {
    fn into_response(self) -> Response {
        let status = match &self {
            HubError::NotFound(_) => StatusCode::NOT_FOUND,
            HubError::Invalid { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            HubError::Conflict(_) => StatusCode::CONFLICT,
            HubError::Unauthorized(_) | HubError::Denied { .. } => StatusCode::UNAUTHORIZED,
            HubError::RunOver(_) => StatusCode::CONFLICT,
            HubError::Store(_) | HubError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        };
        if status == StatusCode::INTERNAL_SERVER_ERROR {
            tracing::error!(error = %self, "admin API failure");
        }
        let body = ErrorBody {
            code: self.code().to_owned(),
            message: self.to_string(),
        };
        (status, Json(body)).into_response()
    }
}

async fn health() -> &'static str {
    "ok"
}

/// The OpenAPI document of the admin and wallet APIs (and the gateway, at a high level).
async fn openapi() -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "application/json")],
        include_str!("../../api/openapi.json"),
    )
}

async fn aplus_gateway(
    State(hub): State<Arc<Hub>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let call = IncomingCall {
        method: method.to_string(),
        target: uri.to_string(),
        headers: headers
            .iter()
            .map(|(name, value)| {
                (
                    name.as_str().to_owned(),
                    String::from_utf8_lossy(value.as_bytes()).into_owned(),
                )
            })
            .collect(),
        body: body.to_vec(),
    };
    // Most calls take about a millisecond of CPU (one RSA signature, one verify, a few SQLite
    // statements): answering them on this worker saves two thread hand-offs per call, which
    // `linker bench hub` measured at about 5 % of the CPU a call costs. A `pay` may be held for
    // seconds while a UPM-06 run is open (it answers late on purpose): then it goes to the
    // blocking pool.
    let answer = if Api::from_hub_path(path_for_signing(&call.target)) == Some(Api::Pay)
        && hub.pay_may_be_held()
    {
        match tokio::task::spawn_blocking(move || hub.handle_aplus(&call)).await {
            Ok(answer) => answer,
            Err(error) => {
                tracing::error!(%error, "the Alipay+ handler panicked");
                return (StatusCode::INTERNAL_SERVER_ERROR, "internal error").into_response();
            }
        }
    } else {
        hub.handle_aplus(&call)
    };
    let mut response = (StatusCode::OK, answer.body).into_response();
    for (name, value) in answer.headers {
        if let (Ok(name), Ok(value)) = (
            header::HeaderName::try_from(name),
            header::HeaderValue::try_from(value),
        ) {
            response.headers_mut().insert(name, value);
        }
    }
    response
}

/// Checks the admin bearer token.
fn admin(hub: &Hub, headers: &HeaderMap) -> Result<(), HubError> {
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.strip_prefix("Bearer "))
        .ok_or_else(|| {
            HubError::Unauthorized(
                "send the admin token as Authorization: Bearer <token>".to_owned(),
            )
        })?;
    hub.check_admin_token(token)
}

/// Reads a JSON body into `T`, turning serde's complaint into a field error.
fn json_body<T: serde::de::DeserializeOwned>(body: &Bytes) -> Result<T, HubError> {
    let mut deserializer = serde_json::Deserializer::from_slice(body);
    serde_path_to_error::deserialize(&mut deserializer).map_err(|error| {
        let path = error.path().to_string();
        let field = if path == "." { "body".to_owned() } else { path };
        HubError::Invalid {
            field,
            message: error.into_inner().to_string(),
        }
    })
}

async fn list_projects(
    State(hub): State<Arc<Hub>>,
    headers: HeaderMap,
) -> Result<Json<Vec<ProjectView>>, HubError> {
    admin(&hub, &headers)?;
    let projects = hub.projects()?;
    Ok(Json(
        projects.iter().map(|p| p.view(hub.public_url())).collect(),
    ))
}

async fn create_project(
    State(hub): State<Arc<Hub>>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<(StatusCode, Json<ProjectView>), HubError> {
    admin(&hub, &headers)?;
    let new: NewProject = json_body(&body)?;
    let project = tokio::task::spawn_blocking({
        let hub = hub.clone();
        move || hub.create_project(new)
    })
    .await
    .map_err(|error| HubError::Internal(error.to_string()))??;
    Ok((StatusCode::CREATED, Json(project.view(hub.public_url()))))
}

async fn show_project(
    State(hub): State<Arc<Hub>>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Json<ProjectView>, HubError> {
    admin(&hub, &headers)?;
    Ok(Json(hub.project(&id)?.view(hub.public_url())))
}

async fn update_project(
    State(hub): State<Arc<Hub>>,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Json<ProjectView>, HubError> {
    admin(&hub, &headers)?;
    let update: ProjectUpdate = json_body(&body)?;
    Ok(Json(
        hub.update_project(&id, update)?.view(hub.public_url()),
    ))
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct IssueCode {
    run_id: Option<String>,
}

async fn issue_payment_code(
    State(hub): State<Arc<Hub>>,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<(StatusCode, Json<IssuedPaymentCode>), HubError> {
    admin(&hub, &headers)?;
    let request: IssueCode = if body.is_empty() {
        IssueCode::default()
    } else {
        json_body(&body)?
    };
    let issued = hub.issue_payment_code(&id, request.run_id.as_deref())?;
    Ok((StatusCode::CREATED, Json(issued)))
}

async fn list_exchanges(
    State(hub): State<Arc<Hub>>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Query(filter): Query<ExchangeFilter>,
) -> Result<Json<Vec<Exchange>>, HubError> {
    admin(&hub, &headers)?;
    hub.project(&id)?;
    Ok(Json(hub.exchanges(&id, &filter)?))
}

async fn list_deliveries(
    State(hub): State<Arc<Hub>>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Json<Vec<crate::callbacks::Delivery>>, HubError> {
    admin(&hub, &headers)?;
    hub.project(&id)?;
    Ok(Json(hub.deliveries(&id)?))
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ClockView {
    now: String,
    adjustable: bool,
}

async fn show_clock(
    State(hub): State<Arc<Hub>>,
    headers: HeaderMap,
) -> Result<Json<ClockView>, HubError> {
    admin(&hub, &headers)?;
    Ok(Json(ClockView {
        now: hub.now().to_rfc3339(),
        adjustable: hub.has_test_clock(),
    }))
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct Advance {
    seconds: i64,
}

async fn advance_clock(
    State(hub): State<Arc<Hub>>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<ClockView>, HubError> {
    admin(&hub, &headers)?;
    let advance: Advance = json_body(&body)?;
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

async fn admin_not_found(uri: Uri) -> HubError {
    HubError::NotFound(format!("API path {}", uri.path()))
}

async fn list_merchants(
    State(hub): State<Arc<Hub>>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Json<Vec<Merchant>>, HubError> {
    admin(&hub, &headers)?;
    hub.project(&id)?;
    Ok(Json(hub.merchants(&id)?))
}

async fn invite_merchant(
    State(hub): State<Arc<Hub>>,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<(StatusCode, Json<Invited>), HubError> {
    admin(&hub, &headers)?;
    let new: NewMerchant = json_body(&body)?;
    let mut invited = hub.invite_merchant(&id, new)?;
    delivered(&hub, &mut invited).await?;
    Ok((StatusCode::CREATED, Json(invited)))
}

async fn import_merchants(
    State(hub): State<Arc<Hub>>,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Json<Vec<ImportRow>>, HubError> {
    admin(&hub, &headers)?;
    let text = std::str::from_utf8(&body).map_err(|_| {
        HubError::invalid(
            "file",
            "the file is not UTF-8 text (save the sheet as CSV UTF-8)",
        )
    })?;
    let hub2 = hub.clone();
    let text = text.to_owned();
    let report = tokio::task::spawn_blocking(move || hub2.import_merchants(&id, &text))
        .await
        .map_err(|error| HubError::Internal(error.to_string()))??;
    let mut report = report;
    for row in &mut report {
        if let Some(invited) = row.invited.as_mut() {
            delivered(&hub, invited).await?;
        }
    }
    Ok(Json(report))
}

/// Delivers an invitation (SMTP or the console's outbox) and refreshes the merchant's status.
async fn delivered(hub: &Hub, invited: &mut Invited) -> Result<(), HubError> {
    hub.deliver_invitation(invited).await?;
    invited.merchant = hub.merchant(&invited.merchant.id)?;
    Ok(())
}

async fn list_forced(
    State(hub): State<Arc<Hub>>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Json<Vec<crate::domain::forced::ForcedResult>>, HubError> {
    admin(&hub, &headers)?;
    hub.project(&id)?;
    Ok(Json(hub.forced_results(&id)?))
}

async fn create_forced(
    State(hub): State<Arc<Hub>>,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<(StatusCode, Json<crate::domain::forced::ForcedResult>), HubError> {
    admin(&hub, &headers)?;
    let new: crate::domain::forced::NewForcedResult = json_body(&body)?;
    Ok((StatusCode::CREATED, Json(hub.force_result(&id, new)?)))
}

async fn delete_forced(
    State(hub): State<Arc<Hub>>,
    headers: HeaderMap,
    Path((id, forced)): Path<(String, String)>,
) -> Result<StatusCode, HubError> {
    admin(&hub, &headers)?;
    hub.unforce_result(&id, &forced)?;
    Ok(StatusCode::NO_CONTENT)
}

async fn resend_invitation(
    State(hub): State<Arc<Hub>>,
    headers: HeaderMap,
    Path((id, merchant)): Path<(String, String)>,
) -> Result<Json<Invited>, HubError> {
    admin(&hub, &headers)?;
    let mut invited = hub.resend_invitation(&id, &merchant)?;
    delivered(&hub, &mut invited).await?;
    Ok(Json(invited))
}

async fn revoke_merchant(
    State(hub): State<Arc<Hub>>,
    headers: HeaderMap,
    Path((id, merchant)): Path<(String, String)>,
) -> Result<Json<Merchant>, HubError> {
    admin(&hub, &headers)?;
    hub.revoke_merchant(&id, &merchant)?;
    Ok(Json(hub.merchant(&merchant)?))
}

async fn show_assignment(
    State(hub): State<Arc<Hub>>,
    headers: HeaderMap,
    Path((id, merchant)): Path<(String, String)>,
) -> Result<Json<crate::domain::assignments::Assignment>, HubError> {
    admin(&hub, &headers)?;
    Ok(Json(hub.assignment(&id, &merchant)?))
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct AssignmentUpdate {
    /// The cases to assign; `null` goes back to the defaults of the merchant's products.
    case_ids: Option<Vec<String>>,
}

async fn replace_assignment(
    State(hub): State<Arc<Hub>>,
    headers: HeaderMap,
    Path((id, merchant)): Path<(String, String)>,
    body: Bytes,
) -> Result<Json<crate::domain::assignments::Assignment>, HubError> {
    admin(&hub, &headers)?;
    let update: AssignmentUpdate = json_body(&body)?;
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
struct TestNotificationRequest {
    url: Option<String>,
    #[serde(default = "yes")]
    success: bool,
    amount: Option<crate::callbacks::test_notification::TestAmount>,
}

fn yes() -> bool {
    true
}

async fn test_notification(
    State(hub): State<Arc<Hub>>,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Json<crate::callbacks::test_notification::NotificationCheck>, HubError> {
    admin(&hub, &headers)?;
    let request: TestNotificationRequest = json_body(&body)?;
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

async fn show_run(
    State(hub): State<Arc<Hub>>,
    headers: HeaderMap,
    Path((id, run)): Path<(String, String)>,
) -> Result<Json<RunView>, HubError> {
    admin(&hub, &headers)?;
    let view = tokio::task::spawn_blocking(move || hub.project_run(&id, &run))
        .await
        .map_err(|error| HubError::Internal(format!("the run's judge failed: {error}")))??;
    Ok(Json(view))
}

/// The wallet's bearer token, checked.
fn wallet(hub: &Hub, headers: &HeaderMap) -> Result<(Merchant, String), HubError> {
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.strip_prefix("Bearer "))
        .ok_or_else(|| HubError::denied("NOT_SIGNED_IN", "not signed in"))?;
    Ok((hub.authenticate(token)?, token.to_owned()))
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct InvitationSignIn {
    invitation_code: String,
    password: String,
}

async fn wallet_sign_in_invitation(
    State(hub): State<Arc<Hub>>,
    body: Bytes,
) -> Result<Json<Session>, HubError> {
    let request: InvitationSignIn = json_body(&body)?;
    let session = tokio::task::spawn_blocking(move || {
        hub.sign_in_with_invitation(&request.invitation_code, &request.password)
    })
    .await
    .map_err(|error| HubError::Internal(error.to_string()))??;
    Ok(Json(session))
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct PasswordSignIn {
    login: String,
    password: String,
    project_id: Option<String>,
}

async fn wallet_sign_in(
    State(hub): State<Arc<Hub>>,
    body: Bytes,
) -> Result<Json<Session>, HubError> {
    let request: PasswordSignIn = json_body(&body)?;
    let session = tokio::task::spawn_blocking(move || {
        hub.sign_in(
            &request.login,
            &request.password,
            request.project_id.as_deref(),
        )
    })
    .await
    .map_err(|error| HubError::Internal(error.to_string()))??;
    Ok(Json(session))
}

async fn wallet_sign_out(
    State(hub): State<Arc<Hub>>,
    headers: HeaderMap,
) -> Result<StatusCode, HubError> {
    let (_, token) = wallet(&hub, &headers)?;
    hub.sign_out(&token)?;
    Ok(StatusCode::NO_CONTENT)
}

/// A case as a merchant sees it: its definition and whether it can be run.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct AssignedCase {
    #[serde(flatten)]
    case: &'static linker_cases::CaseDef,
    runnable: bool,
}

async fn wallet_cases(
    State(hub): State<Arc<Hub>>,
    headers: HeaderMap,
) -> Result<Json<Vec<AssignedCase>>, HubError> {
    let (merchant, _) = wallet(&hub, &headers)?;
    let cases = hub
        .assigned_cases(&merchant)?
        .into_iter()
        .map(|case| AssignedCase {
            case,
            runnable: case.implemented,
        })
        .collect();
    Ok(Json(cases))
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct StartRun {
    case_id: String,
    slow_answer_secs: Option<u64>,
}

async fn wallet_start_run(
    State(hub): State<Arc<Hub>>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<(StatusCode, Json<RunView>), HubError> {
    let (merchant, _) = wallet(&hub, &headers)?;
    let request: StartRun = json_body(&body)?;
    Ok((
        StatusCode::CREATED,
        Json(hub.start_run_with(
            &merchant,
            &request.case_id,
            crate::domain::runs::RunOptions {
                slow_answer_secs: request.slow_answer_secs,
            },
        )?),
    ))
}

async fn wallet_runs(
    State(hub): State<Arc<Hub>>,
    headers: HeaderMap,
) -> Result<Json<Vec<RunView>>, HubError> {
    let (merchant, _) = wallet(&hub, &headers)?;
    Ok(Json(hub.merchant_runs(&merchant)?))
}

async fn wallet_run(
    State(hub): State<Arc<Hub>>,
    headers: HeaderMap,
    Path(run): Path<String>,
) -> Result<Json<RunView>, HubError> {
    let (merchant, _) = wallet(&hub, &headers)?;
    Ok(Json(hub.merchant_run(&merchant, &run)?))
}

/// The run's events as Server-Sent Events: every event after `Last-Event-ID` (all of them on
/// first connect), then each new one as it is recorded, then the verdict (`event: verdict`),
/// after which the stream ends. Event ids are the record's `seq`.
async fn wallet_run_events(
    State(hub): State<Arc<Hub>>,
    headers: HeaderMap,
    Path(run): Path<String>,
) -> Result<
    axum::response::sse::Sse<
        impl futures_util::Stream<Item = Result<axum::response::sse::Event, std::convert::Infallible>>,
    >,
    HubError,
> {
    use axum::response::sse::{Event, KeepAlive, Sse};
    let (merchant, _) = wallet(&hub, &headers)?;
    hub.merchant_run(&merchant, &run)?;
    let last_seen: u32 = headers
        .get("last-event-id")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0);
    struct Follow {
        hub: Arc<Hub>,
        run: String,
        last_seen: u32,
        backlog: std::collections::VecDeque<Event>,
        signals: tokio::sync::broadcast::Receiver<crate::domain::runs::RunSignal>,
        closing: tokio::sync::watch::Receiver<bool>,
        finished: bool,
    }
    let signals = hub.subscribe_runs();
    let closing = hub.closing();
    let start = Follow {
        hub,
        run,
        last_seen,
        backlog: Default::default(),
        signals,
        closing,
        finished: false,
    };
    let stream = futures_util::stream::unfold(start, |mut follow| async move {
        loop {
            if let Some(event) = follow.backlog.pop_front() {
                return Some((Ok(event), follow));
            }
            if follow.finished || *follow.closing.borrow() {
                return None;
            }
            let hub = follow.hub.clone();
            let run = follow.run.clone();
            let view = tokio::task::spawn_blocking(move || hub.judge_run(&run)).await;
            let Ok(Ok(view)) = view else { return None };
            let seen = follow.last_seen;
            for event in view.events.iter().filter(|e| e.seq > seen) {
                follow.last_seen = event.seq;
                let data = serde_json::to_string(event).unwrap_or_default();
                follow.backlog.push_back(
                    Event::default()
                        .id(event.seq.to_string())
                        .event("run-event")
                        .data(data),
                );
            }
            if let Some(verdict) = &view.verdict {
                let data = serde_json::to_string(verdict).unwrap_or_default();
                follow
                    .backlog
                    .push_back(Event::default().event("verdict").data(data));
                follow.finished = true;
                continue;
            }
            if !follow.backlog.is_empty() {
                continue;
            }
            loop {
                let signal = tokio::select! {
                    signal = follow.signals.recv() => signal,
                    // The server is shutting down: end the stream so the shutdown can finish.
                    _ = follow.closing.wait_for(|closing| *closing) => return None,
                };
                match signal {
                    Ok(signal) if signal.run_id == follow.run => break,
                    Ok(_) => {}
                    Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => break,
                    Err(tokio::sync::broadcast::error::RecvError::Closed) => return None,
                }
            }
        }
    });
    Ok(Sse::new(stream).keep_alive(KeepAlive::default()))
}

async fn wallet_payment_code(
    State(hub): State<Arc<Hub>>,
    headers: HeaderMap,
    Path(run): Path<String>,
) -> Result<(StatusCode, Json<IssuedPaymentCode>), HubError> {
    let (merchant, _) = wallet(&hub, &headers)?;
    Ok((
        StatusCode::CREATED,
        Json(hub.show_payment_code(&merchant, &run)?),
    ))
}

async fn wallet_confirm(
    State(hub): State<Arc<Hub>>,
    headers: HeaderMap,
    Path(run): Path<String>,
) -> Result<Json<RunView>, HubError> {
    let (merchant, _) = wallet(&hub, &headers)?;
    Ok(Json(hub.wallet_decides(&merchant, &run, true)?))
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct ScanRequest {
    code_value: String,
}

async fn wallet_scan(
    State(hub): State<Arc<Hub>>,
    headers: HeaderMap,
    Path(run): Path<String>,
    body: Bytes,
) -> Result<Json<crate::domain::scanning::ScanResult>, HubError> {
    let (merchant, _) = wallet(&hub, &headers)?;
    let request: ScanRequest = json_body(&body)?;
    if request.code_value.trim().is_empty() || request.code_value.len() > 512 {
        return Err(HubError::invalid(
            "codeValue",
            "give the scanned text, 1 to 512 characters",
        ));
    }
    Ok(Json(hub.scan(&merchant, &run, &request.code_value).await?))
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct OpenUrlRequest {
    url: String,
}

async fn wallet_open_url(
    State(hub): State<Arc<Hub>>,
    headers: HeaderMap,
    Path(run): Path<String>,
    body: Bytes,
) -> Result<Json<crate::domain::scanning::ScanResult>, HubError> {
    let (merchant, _) = wallet(&hub, &headers)?;
    let request: OpenUrlRequest = json_body(&body)?;
    if request.url.trim().is_empty() || request.url.len() > 2048 {
        return Err(HubError::invalid(
            "url",
            "give the opened URL, 1 to 2048 characters",
        ));
    }
    Ok(Json(hub.open_payment_url(&merchant, &run, &request.url)?))
}

async fn wallet_put_attachment(
    State(hub): State<Arc<Hub>>,
    headers: HeaderMap,
    Path((run, attachment)): Path<(String, String)>,
    body: Bytes,
) -> Result<Json<crate::domain::attachments::Attachment>, HubError> {
    let (merchant, _) = wallet(&hub, &headers)?;
    Ok(Json(hub.attach(&merchant, &run, &attachment, &body)?))
}

async fn wallet_get_attachment(
    State(hub): State<Arc<Hub>>,
    headers: HeaderMap,
    Path((run, attachment)): Path<(String, String)>,
) -> Result<Response, HubError> {
    let (merchant, _) = wallet(&hub, &headers)?;
    let (content_type, bytes) = hub.attachment(&merchant, &run, &attachment)?;
    Ok(([(header::CONTENT_TYPE, content_type)], bytes).into_response())
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct GrantRequest {
    auth_url: String,
}

async fn wallet_grant(
    State(hub): State<Arc<Hub>>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<crate::domain::auto_debit::Granted>, HubError> {
    let (merchant, _) = wallet(&hub, &headers)?;
    let request: GrantRequest = json_body(&body)?;
    Ok(Json(hub.grant(&merchant, &request.auth_url).await?))
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct Revoked {
    notified: bool,
}

async fn wallet_revoke(
    State(hub): State<Arc<Hub>>,
    headers: HeaderMap,
    Path(authorization): Path<String>,
) -> Result<Json<Revoked>, HubError> {
    let (merchant, _) = wallet(&hub, &headers)?;
    Ok(Json(Revoked {
        notified: hub.revoke(&merchant, &authorization).await?,
    }))
}

async fn wallet_back_out(
    State(hub): State<Arc<Hub>>,
    headers: HeaderMap,
    Path(run): Path<String>,
) -> Result<Json<RunView>, HubError> {
    let (merchant, _) = wallet(&hub, &headers)?;
    Ok(Json(hub.back_out(&merchant, &run)?))
}

async fn wallet_decline(
    State(hub): State<Arc<Hub>>,
    headers: HeaderMap,
    Path(run): Path<String>,
) -> Result<Json<RunView>, HubError> {
    let (merchant, _) = wallet(&hub, &headers)?;
    Ok(Json(hub.wallet_decides(&merchant, &run, false)?))
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct ManualAnswerRequest {
    write_id: String,
    question_id: String,
    answer: bool,
    note: Option<String>,
    attachment: Option<String>,
}

async fn wallet_manual_answer(
    State(hub): State<Arc<Hub>>,
    headers: HeaderMap,
    Path(run): Path<String>,
    body: Bytes,
) -> Result<Json<RunView>, HubError> {
    let (merchant, _) = wallet(&hub, &headers)?;
    let request: ManualAnswerRequest = json_body(&body)?;
    let answer = linker_cases::ManualAnswer {
        question_id: request.question_id,
        answer: request.answer,
        note: request.note,
        attachment: request.attachment,
    };
    Ok(Json(hub.answer_manual(
        &merchant,
        &run,
        &request.write_id,
        answer,
    )?))
}

async fn wallet_me(
    State(hub): State<Arc<Hub>>,
    headers: HeaderMap,
) -> Result<Json<Merchant>, HubError> {
    Ok(Json(wallet(&hub, &headers)?.0))
}
