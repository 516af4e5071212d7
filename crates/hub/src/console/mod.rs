//! The console: the TSP's Developer Center in the browser, served by the hub under `/console`.
//!
//! Server-rendered pages (askama templates in `templates/console/`, compiled into the hub), plain
//! HTML forms that work without JavaScript, and a little JavaScript (`console.js`) only for the
//! live parts: Test Data and a run's page follow the hub's run signals over Server-Sent Events.
//! Every handler is a thin adapter over the same [`Hub`] methods the admin API uses.
//!
//! Security: console users sign in with email and password ([`crate::domain::console_users`]); the
//! session cookie is HttpOnly and SameSite=Lax, and over HTTPS `Secure` with the `__Host-` prefix
//! (so no other site, nor another port of the same host, can plant it). A signed-in user's forms
//! carry a CSRF token derived from the session token itself ([`session_csrf`]), so a cookie
//! planted by someone else proves nothing; the sign-in and setup forms, before any session, use a
//! double-submit cookie. Every form post must also come from the console's own origin (`Origin`,
//! `Sec-Fetch-Site`). A user of one project gets 404 for every page and export of another.
//!
//! Roles: TSP staff ([`Staff`]) open projects; an ACQP's user ([`AcqpUser`]) opens only its
//! Authorizations page and the authorization URLs sent to it (`authz.rs`); each is refused the
//! other's pages (403).

mod acceptance;
mod accounts;
mod authz;
mod pages;
mod results;
mod tools;

use std::collections::BTreeMap;
use std::sync::Arc;

use askama::Template;
use axum::Router;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;

use crate::Hub;
use crate::domain::console_users::ConsoleUser;
use crate::domain::projects::Project;
use crate::error::HubError;

/// The session cookie's name.
pub const SESSION_COOKIE: &str = "linker_console";
/// The CSRF cookie's name, before sign-in (double submit: the sign-in and setup forms carry the
/// same value in `csrf`).
pub const CSRF_COOKIE: &str = "linker_csrf";

/// The console's routes, to be nested under `/console`.
pub fn router() -> Router<Arc<Hub>> {
    Router::new()
        .route("/static/console.css", get(stylesheet))
        .route("/static/console.js", get(script))
        .merge(pages::routes())
        .merge(acceptance::routes())
        .merge(accounts::routes())
        .merge(authz::routes())
        .merge(results::routes())
        .merge(tools::routes())
        .fallback(not_found)
}

async fn stylesheet() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        include_str!("console.css"),
    )
}

async fn script() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        include_str!("console.js"),
    )
}

async fn not_found() -> PageError {
    PageError::Hub(HubError::NotFound("page".to_owned()))
}

/// Why a console request did not get its page.
#[derive(Debug)]
pub enum PageError {
    /// No valid session: go and sign in.
    SignIn,
    /// The form's CSRF token does not match the cookie.
    Csrf,
    /// The hub refused or failed.
    Hub(HubError),
}

impl From<HubError> for PageError {
    fn from(error: HubError) -> PageError {
        PageError::Hub(error)
    }
}

impl From<askama::Error> for PageError {
    fn from(error: askama::Error) -> PageError {
        PageError::Hub(HubError::Internal(format!("template: {error}")))
    }
}

#[derive(Template)]
#[template(path = "console/error.html")]
struct ErrorPage {
    title: String,
    message: String,
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        let (status, title, message) = match self {
            PageError::SignIn => return Redirect::to("/console/sign-in").into_response(),
            PageError::Csrf => (
                StatusCode::FORBIDDEN,
                "Form expired",
                "This form was not sent from this console session (its security token does not \
                 match). Go back, reload the page and send it again."
                    .to_owned(),
            ),
            PageError::Hub(error) => {
                let status = match &error {
                    HubError::NotFound(_) => StatusCode::NOT_FOUND,
                    HubError::Invalid { .. } => StatusCode::UNPROCESSABLE_ENTITY,
                    HubError::Conflict(_)
                    | HubError::Refused { .. }
                    | HubError::RunOver(_)
                    | HubError::WalletLacksProduct(_) => StatusCode::CONFLICT,
                    HubError::Unauthorized(_) | HubError::Denied { .. } => StatusCode::UNAUTHORIZED,
                    HubError::Forbidden(_) => StatusCode::FORBIDDEN,
                    HubError::TooManyAttempts { .. } | HubError::Limited { .. } => {
                        StatusCode::TOO_MANY_REQUESTS
                    }
                    HubError::Store(_) | HubError::Internal(_) => {
                        tracing::error!(%error, "console failure");
                        StatusCode::INTERNAL_SERVER_ERROR
                    }
                };
                let title = match status {
                    StatusCode::NOT_FOUND => "Not found",
                    StatusCode::INTERNAL_SERVER_ERROR => "Something went wrong",
                    _ => "Refused",
                };
                let message = if status == StatusCode::NOT_FOUND {
                    format!(
                        "{error}: it does not exist, or it belongs to a project you are not a member of."
                    )
                } else {
                    error.to_string()
                };
                (status, title, message)
            }
        };
        let page = ErrorPage {
            title: title.to_owned(),
            message,
        };
        match page.render() {
            Ok(html) => (status, html_headers(), html).into_response(),
            Err(_) => (status, title.to_owned()).into_response(),
        }
    }
}

fn html_headers() -> [(header::HeaderName, &'static str); 3] {
    [
        (header::CONTENT_TYPE, "text/html; charset=utf-8"),
        (header::CACHE_CONTROL, "no-store"),
        (header::X_FRAME_OPTIONS, "DENY"),
    ]
}

/// A rendered page.
pub struct Page(pub String);

impl IntoResponse for Page {
    fn into_response(self) -> Response {
        (html_headers(), self.0).into_response()
    }
}

/// Renders a template into a page.
pub fn page(template: &impl Template) -> Result<Page, PageError> {
    Ok(Page(template.render()?))
}

/// True when the console is reached over HTTPS (its cookies are then `Secure`, `__Host-`).
fn secure(hub: &Hub) -> bool {
    hub.public_url().starts_with("https://")
}

/// A console cookie's name: `__Host-<base>` over HTTPS, `<base>` otherwise.
pub fn cookie_name(hub: &Hub, base: &str) -> String {
    if secure(hub) {
        format!("__Host-{base}")
    } else {
        base.to_owned()
    }
}

/// The value of one of the console's cookies in the request.
pub fn console_cookie<'a>(hub: &Hub, headers: &'a HeaderMap, base: &str) -> Option<&'a str> {
    cookie(headers, &cookie_name(hub, base))
}

/// The CSRF token of a signed-in session: derived from its token, so only the holder of the
/// session cookie can know it (a planted CSRF cookie proves nothing).
pub fn session_csrf(session_token: &str) -> String {
    use sha2::Digest as _;
    let digest = sha2::Sha256::digest(format!("linker-console-csrf:{session_token}"));
    hex::encode(digest)
}

/// Refuses a form post that did not come from the console's own origin: a browser's
/// `Sec-Fetch-Site` other than `same-origin` (or `none`, typed by the user), or an `Origin` that
/// is neither the hub's public origin nor the one the request was addressed to.
pub fn check_origin(hub: &Hub, headers: &HeaderMap) -> Result<(), PageError> {
    let text = |name: header::HeaderName| headers.get(name).and_then(|v| v.to_str().ok());
    if let Some(site) = text(header::HeaderName::from_static("sec-fetch-site"))
        && !matches!(site, "same-origin" | "none")
    {
        return Err(PageError::Csrf);
    }
    let Some(origin) = text(header::ORIGIN) else {
        return Ok(());
    };
    let public = hub.public_url();
    let scheme = public
        .split_once("://")
        .map_or("http", |(scheme, _)| scheme);
    let public_origin = public
        .split_once("://")
        .map(|(scheme, rest)| format!("{scheme}://{}", rest.split('/').next().unwrap_or(rest)))
        .unwrap_or_default();
    let addressed = text(header::HOST).map(|host| format!("{scheme}://{host}"));
    if origin == public_origin || addressed.as_deref() == Some(origin) {
        Ok(())
    } else {
        Err(PageError::Csrf)
    }
}

/// The value of a cookie in the request.
pub fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(n, _)| *n == name)
        .map(|(_, v)| v)
        .filter(|v| !v.is_empty())
}

/// A `Set-Cookie` value for one of the console's cookies: scoped to `/console` over HTTP; over
/// HTTPS `Secure` with the `__Host-` prefix (which requires `Path=/`).
pub fn set_cookie(hub: &Hub, base: &str, value: &str, same_site: &str) -> HeaderValue {
    let max_age = if value.is_empty() { "; Max-Age=0" } else { "" };
    let name = cookie_name(hub, base);
    let scope = if secure(hub) {
        "Path=/; Secure"
    } else {
        "Path=/console"
    };
    HeaderValue::from_str(&format!(
        "{name}={value}; {scope}; HttpOnly; SameSite={same_site}{max_age}"
    ))
    .unwrap_or_else(|_| HeaderValue::from_static(""))
}

/// A signed-in console user and the CSRF token its forms carry.
#[derive(Debug, Clone)]
pub struct Staff {
    /// Who.
    pub user: ConsoleUser,
    /// The CSRF token its forms carry ([`session_csrf`] of its session).
    pub csrf: String,
}

impl Staff {
    /// Checks a form's CSRF token.
    pub fn check(&self, form: &FormData) -> Result<(), PageError> {
        if crate::domain::admin_credential::constant_time_eq(form.get("csrf"), &self.csrf) {
            Ok(())
        } else {
            Err(PageError::Csrf)
        }
    }

    /// The project if this user is a member (else not found).
    pub fn project(&self, hub: &Hub, id: &str) -> Result<Project, PageError> {
        Ok(hub.console_project(&self.user, id)?)
    }
}

/// The signed-in user of the request, whatever its role (origin checked on a form post).
async fn session_staff(parts: &Parts, hub: &Arc<Hub>) -> Result<Staff, PageError> {
    let token = console_cookie(hub, &parts.headers, SESSION_COOKIE).ok_or(PageError::SignIn)?;
    let user = hub.console_user(token).map_err(|error| match error {
        HubError::Denied { .. } => PageError::SignIn,
        other => PageError::Hub(other),
    })?;
    if parts.method != axum::http::Method::GET && parts.method != axum::http::Method::HEAD {
        check_origin(hub, &parts.headers)?;
    }
    Ok(Staff {
        user,
        csrf: session_csrf(token),
    })
}

/// The TSP's staff only: an ACQP's user is refused every project page (and the project list).
impl FromRequestParts<Arc<Hub>> for Staff {
    type Rejection = PageError;

    async fn from_request_parts(parts: &mut Parts, hub: &Arc<Hub>) -> Result<Staff, PageError> {
        let staff = session_staff(parts, hub).await?;
        if staff.user.is_acqp() {
            return Err(PageError::Hub(HubError::Forbidden(
                "this page is for the TSP's staff: an ACQP's account opens its Authorizations \
                 page (/console/authorizations)"
                    .to_owned(),
            )));
        }
        Ok(staff)
    }
}

/// Any signed-in console user, TSP staff or ACQP (signing out, the authorization URL).
#[derive(Debug, Clone)]
pub struct Signed(pub Staff);

impl FromRequestParts<Arc<Hub>> for Signed {
    type Rejection = PageError;

    async fn from_request_parts(parts: &mut Parts, hub: &Arc<Hub>) -> Result<Signed, PageError> {
        Ok(Signed(session_staff(parts, hub).await?))
    }
}

/// An ACQP's signed-in user only: TSP staff are refused the ACQP's pages.
#[derive(Debug, Clone)]
pub struct AcqpUser(pub Staff);

impl FromRequestParts<Arc<Hub>> for AcqpUser {
    type Rejection = PageError;

    async fn from_request_parts(parts: &mut Parts, hub: &Arc<Hub>) -> Result<AcqpUser, PageError> {
        let staff = session_staff(parts, hub).await?;
        if !staff.user.is_acqp() {
            return Err(PageError::Hub(HubError::Forbidden(
                "this page is for an ACQP's account: TSP staff see the ACQPs' authorizations on \
                 their project's Authorization tab"
                    .to_owned(),
            )));
        }
        Ok(AcqpUser(staff))
    }
}

/// Where a user goes after signing in: the project list for TSP staff, the Authorizations page
/// for an ACQP.
pub fn home_of(user: &ConsoleUser) -> &'static str {
    if user.is_acqp() {
        "/console/authorizations"
    } else {
        "/console/projects"
    }
}

/// A URL-encoded form body: every field, repeated ones kept in order.
#[derive(Debug, Clone, Default)]
pub struct FormData(pub Vec<(String, String)>);

impl FormData {
    /// Parses `application/x-www-form-urlencoded`.
    pub fn parse(body: &[u8]) -> FormData {
        let decode = |text: &str| {
            let text = text.replace('+', " ");
            percent_encoding::percent_decode_str(&text)
                .decode_utf8_lossy()
                .into_owned()
        };
        FormData(
            String::from_utf8_lossy(body)
                .split('&')
                .filter(|pair| !pair.is_empty())
                .map(|pair| {
                    let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
                    (decode(name), decode(value))
                })
                .collect(),
        )
    }

    /// The first value of a field ("" when absent).
    pub fn get(&self, name: &str) -> &str {
        self.0
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
            .unwrap_or("")
    }

    /// The value of a field, `None` when absent or blank.
    pub fn optional(&self, name: &str) -> Option<String> {
        Some(self.get(name).trim().to_owned()).filter(|v| !v.is_empty())
    }

    /// Every value of a repeated field.
    pub fn all(&self, name: &str) -> Vec<String> {
        self.0
            .iter()
            .filter(|(n, _)| n == name)
            .map(|(_, v)| v.clone())
            .collect()
    }
}

/// Field errors of a form, shown next to their fields.
#[derive(Debug, Clone, Default)]
pub struct Errors(pub BTreeMap<String, String>);

impl Errors {
    /// The error of a field, "" when none.
    pub fn of(&self, field: &str) -> &str {
        self.0.get(field).map(String::as_str).unwrap_or("")
    }

    /// True when there is none.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// One error.
    pub fn one(field: &str, message: impl Into<String>) -> Errors {
        Errors(BTreeMap::from([(field.to_owned(), message.into())]))
    }

    /// A hub refusal as a field error (`field` when it names none of the form's fields);
    /// other errors pass through.
    pub fn from_hub(error: HubError, fields: &[&str], fallback: &str) -> Result<Errors, PageError> {
        match error {
            HubError::Invalid { field, message } => {
                let field = if fields.contains(&field.as_str()) {
                    field
                } else {
                    fallback.to_owned()
                };
                Ok(Errors::one(&field, message))
            }
            HubError::Conflict(message) => Ok(Errors::one(fallback, message)),
            other => Err(PageError::Hub(other)),
        }
    }
}

/// The frame around every project page: title, navigation, the user, the CSRF token.
#[derive(Debug, Clone)]
pub struct Frame {
    /// The page's title.
    pub title: String,
    /// The project, when the page is one of its pages.
    pub project_id: String,
    /// The project's name.
    pub project_name: String,
    /// Which tab is current.
    pub tab: &'static str,
    /// The user's email.
    pub email: String,
    /// The CSRF token for forms.
    pub csrf: String,
    /// A notice at the top of the page (after a successful action).
    pub notice: String,
}

/// The console's tabs: (tab id, path under the project, label).
pub const TABS: [(&str, &str, &str); 9] = [
    ("test-data", "test-data", "Test Data"),
    ("acceptance", "acceptance", "Acceptance"),
    ("authorization", "authorization", "Authorization"),
    ("merchants", "merchants", "Test Accounts"),
    ("assignments", "assignments", "Assignments"),
    ("requests", "requests", "Request log"),
    ("forced", "forced", "Forced results"),
    ("notify", "notify", "Send notification"),
    ("settings", "settings", "Settings"),
];

impl Frame {
    /// The frame of a project page.
    pub fn project(staff: &Staff, project: &Project, tab: &'static str, title: &str) -> Frame {
        Frame {
            title: title.to_owned(),
            project_id: project.id.clone(),
            project_name: project.name.clone(),
            tab,
            email: staff.user.email.clone(),
            csrf: staff.csrf.clone(),
            notice: String::new(),
        }
    }

    /// The frame of a page outside projects.
    pub fn plain(staff: &Staff, title: &str) -> Frame {
        Frame {
            title: title.to_owned(),
            project_id: String::new(),
            project_name: String::new(),
            tab: "",
            email: staff.user.email.clone(),
            csrf: staff.csrf.clone(),
            notice: String::new(),
        }
    }

    /// With a notice.
    pub fn notice(mut self, notice: &str) -> Frame {
        self.notice = notice.to_owned();
        self
    }

    /// The tabs as (href, label, class: `current` for this page's).
    pub fn tabs(&self) -> Vec<(String, &'static str, &'static str)> {
        TABS.iter()
            .map(|(id, path, label)| {
                (
                    format!("/console/projects/{}/{path}", self.project_id),
                    *label,
                    if *id == self.tab { "current" } else { "" },
                )
            })
            .collect()
    }
}

/// Runs blocking hub work (password hashing, key generation, big reads) off the async workers.
pub async fn blocking<T: Send + 'static>(
    hub: &Arc<Hub>,
    work: impl FnOnce(&Hub) -> Result<T, HubError> + Send + 'static,
) -> Result<T, HubError> {
    let hub = hub.clone();
    tokio::task::spawn_blocking(move || work(&hub))
        .await
        .map_err(|error| HubError::Internal(error.to_string()))?
}

/// A time as the console shows it.
pub fn when(time: &chrono::DateTime<chrono::Utc>) -> String {
    time.format("%Y-%m-%d %H:%M:%S UTC").to_string()
}

/// A product's English name for people (`ORDER_CODE` → `Order Code`); a code that names no
/// product is shown as it is. Exports that machines read keep the code.
pub fn product_label(code: &str) -> String {
    linker_cases::Product::from_code(code).map_or_else(|| code.to_owned(), |p| p.name().to_owned())
}

/// A merchant's products by name, joined with commas.
pub fn product_labels(codes: &[String]) -> String {
    codes
        .iter()
        .map(|code| product_label(code))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Pretty-prints a JSON text (returns it unchanged when it is not JSON).
pub fn pretty(text: &str) -> String {
    serde_json::from_str::<serde_json::Value>(text)
        .ok()
        .and_then(|v| serde_json::to_string_pretty(&v).ok())
        .unwrap_or_else(|| text.to_owned())
}
