//! The hub's HTTP surface: [`router`] builds the axum app (so tests drive it with
//! `tower::ServiceExt::oneshot`, no socket needed) from thin handlers over [`Hub`] methods.
//!
//! - `/aps/...`: the Alipay+ API ([`Hub::handle_aplus`]), answered with HTTP 200 and a signed
//!   `result` whatever happens;
//! - `/admin/v1/...`: the admin JSON API, bearer-token protected, errors as `{code, message}`;
//! - `/health`: liveness.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};

use crate::Hub;
use crate::aplus::IncomingCall;
use crate::error::HubError;
use crate::exchange::{Exchange, ExchangeFilter};
use crate::payments::IssuedPaymentCode;
use crate::project::{NewProject, ProjectUpdate, ProjectView};

/// The biggest request body the hub reads (Alipay+ messages are a few KB).
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

/// The whole hub as an axum router.
pub fn router(hub: Arc<Hub>) -> Router {
    let admin = Router::new()
        .route("/projects", get(list_projects).post(create_project))
        .route("/projects/{id}", get(show_project).patch(update_project))
        .route("/projects/{id}/payment-codes", post(issue_payment_code))
        .route("/projects/{id}/exchanges", get(list_exchanges))
        .route("/projects/{id}/deliveries", get(list_deliveries))
        .route("/clock", get(show_clock))
        .route("/clock/advance", post(advance_clock))
        .fallback(admin_not_found);
    Router::new()
        .route("/aps/{*rest}", any(aplus_gateway))
        .route("/health", get(health))
        .nest("/admin/v1", admin)
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
            HubError::Unauthorized(_) => StatusCode::UNAUTHORIZED,
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
    // Signing is CPU work: keep it off the async workers' hot path.
    let answer = match tokio::task::spawn_blocking(move || hub.handle_aplus(&call)).await {
        Ok(answer) => answer,
        Err(error) => {
            tracing::error!(%error, "the Alipay+ handler panicked");
            return (StatusCode::INTERNAL_SERVER_ERROR, "internal error").into_response();
        }
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
) -> Result<Json<Vec<crate::notifier::Delivery>>, HubError> {
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
    HubError::NotFound(format!("admin API path {}", uri.path()))
}
