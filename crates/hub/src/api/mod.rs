//! The hub's HTTP surface: [`router`] builds the axum app (so tests drive it with
//! `tower::ServiceExt::oneshot`, no socket needed) from thin handlers over [`Hub`] methods.
//!
//! - `/aps/...`: the Alipay+ API ([`Hub::handle_aplus`]), answered with HTTP 200 and a signed
//!   `result` whatever happens ([`gateway`]);
//! - `/admin/v1/...`: the admin JSON API, bearer-token protected ([`admin`]);
//! - `/wallet/v1/...`: the wallet's JSON API, for a signed-in merchant ([`wallet`]);
//! - `/health`: liveness.
//!
//! Handlers take the admin credential, the wallet session and JSON bodies as extractors
//! ([`extract`]), whose rejections are the same `{code, message}` errors as every other
//! ([`error`]: the one mapping from [`HubError`] to an HTTP status).

mod acceptance;
mod admin;
pub mod error;
pub mod extract;
mod gateway;
mod run_events;
mod wallet;

use std::sync::Arc;

use axum::Router;
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::{any, delete, get, post};

use crate::Hub;
#[cfg(doc)]
use crate::error::HubError;
pub use error::ErrorBody;

/// The biggest request body the hub reads (Alipay+ messages are a few KB; photos up to 5 MB).
pub const MAX_BODY_BYTES: usize = 6 * 1024 * 1024;

/// The hub's JSON APIs and the Alipay+ gateway as an axum router (the server adds the console).
pub fn router(hub: Arc<Hub>) -> Router {
    Router::new()
        .route("/aps/{*rest}", any(gateway::aplus_gateway))
        .nest("/wallet/v1", wallet_routes())
        .route("/health", get(health))
        .route("/openapi.json", get(openapi))
        .nest("/admin/v1", admin_routes())
        .layer(axum::extract::DefaultBodyLimit::max(MAX_BODY_BYTES))
        .with_state(hub)
}

/// The admin API's routes (under `/admin/v1`).
fn admin_routes() -> Router<Arc<Hub>> {
    Router::new()
        .route(
            "/projects",
            get(admin::list_projects).post(admin::create_project),
        )
        .route(
            "/projects/{id}",
            get(admin::show_project).patch(admin::update_project),
        )
        .route(
            "/projects/{id}/agent-token",
            post(admin::rotate_agent_token),
        )
        .route(
            "/projects/{id}/payment-codes",
            post(admin::issue_payment_code),
        )
        .route("/projects/{id}/exchanges", get(admin::list_exchanges))
        .route("/projects/{id}/deliveries", get(admin::list_deliveries))
        .route(
            "/projects/{id}/merchants",
            get(admin::list_merchants).post(admin::invite_merchant),
        )
        .route(
            "/projects/{id}/merchants/import",
            post(admin::import_merchants),
        )
        .route(
            "/projects/{id}/forced-results",
            get(admin::list_forced).post(admin::create_forced),
        )
        .route(
            "/projects/{id}/forced-results/{forced}",
            delete(admin::delete_forced),
        )
        .route(
            "/projects/{id}/merchants/{merchant}/resend",
            post(admin::resend_invitation),
        )
        .route(
            "/projects/{id}/merchants/{merchant}/revoke",
            post(admin::revoke_merchant),
        )
        .route(
            "/projects/{id}/merchants/{merchant}/assignment",
            get(admin::show_assignment).put(admin::replace_assignment),
        )
        .route(
            "/projects/{id}/test-notifications",
            post(admin::test_notification),
        )
        .route("/projects/{id}/runs/{run}", get(admin::show_run))
        .route(
            "/projects/{id}/acceptance",
            get(acceptance::show_acceptance),
        )
        .route(
            "/projects/{id}/acceptance/session",
            post(acceptance::acceptance_ticket),
        )
        .route(
            "/projects/{id}/acceptance/report.html",
            get(acceptance::report_html),
        )
        .route(
            "/projects/{id}/acceptance/report.json",
            get(acceptance::report_json),
        )
        .route(
            "/projects/{id}/authorization-urls",
            post(admin::create_authorization_url),
        )
        .route(
            "/projects/{id}/authorizations",
            get(admin::list_authorizations),
        )
        .route("/clock", get(admin::show_clock))
        .route("/clock/advance", post(admin::advance_clock))
        .fallback(admin::admin_not_found)
}

/// The wallet API's routes (under `/wallet/v1`).
fn wallet_routes() -> Router<Arc<Hub>> {
    Router::new()
        .route(
            "/sign-in/invitation",
            post(wallet::wallet_sign_in_invitation),
        )
        .route("/sign-in", post(wallet::wallet_sign_in))
        .route("/sign-in/ticket", post(acceptance::wallet_ticket_sign_in))
        .route("/sign-out", post(wallet::wallet_sign_out))
        .route("/me", get(wallet::wallet_me))
        .route("/cases", get(wallet::wallet_cases))
        .route(
            "/authorizations",
            get(wallet::wallet_list_authorizations).post(wallet::wallet_grant),
        )
        .route(
            "/authorizations/inspect",
            post(wallet::wallet_inspect_authorization),
        )
        .route(
            "/authorizations/decline",
            post(wallet::wallet_decline_authorization),
        )
        .route(
            "/authorizations/{authorization}/revoke",
            post(wallet::wallet_revoke),
        )
        .route(
            "/runs",
            get(wallet::wallet_runs).post(wallet::wallet_start_run),
        )
        .route("/runs/{run}", get(wallet::wallet_run))
        .route("/runs/{run}/events", get(wallet::wallet_run_events))
        .route(
            "/runs/{run}/payment-code",
            post(wallet::wallet_payment_code),
        )
        .route("/runs/{run}/confirm", post(wallet::wallet_confirm))
        .route("/runs/{run}/scan", post(wallet::wallet_scan))
        .route(
            "/runs/{run}/unissued-code",
            post(wallet::wallet_unissued_code),
        )
        .route("/runs/{run}/back-out", post(wallet::wallet_back_out))
        .route("/runs/{run}/open-url", post(wallet::wallet_open_url))
        .route("/runs/{run}/redirected", post(wallet::wallet_redirected))
        .route(
            "/runs/{run}/attachments/{attachment}",
            get(wallet::wallet_get_attachment).put(wallet::wallet_put_attachment),
        )
        .route("/runs/{run}/decline", post(wallet::wallet_decline))
        .route(
            "/runs/{run}/manual-answers",
            post(wallet::wallet_manual_answer),
        )
        .fallback(admin::admin_not_found)
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
