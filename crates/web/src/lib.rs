//! linker-web: the Linker wallet's web shell, so a merchant can use the wallet in a phone's
//! browser. It serves the same screens as the desktop app (`ui/`, embedded at build time) under
//! `/app/`, and the same commands (`linker_wallet::commands`) as `POST /app/api/<command>` with
//! the screens' JSON arguments; a run's live events come as Server-Sent Events from
//! `GET /app/api/runs/<run>/events`. GitButler's `but-server` beside `but-api` is the model. It
//! is installable (a web app manifest, icons, and a service worker that caches the app shell),
//! and an invitation mail's link (`/invite/<code>`) opens its sign-in with the code filled in.
//! A sign-in link ([`WebShell::sign_in_link`], `/app/open/<secret>`) opens a wallet already
//! signed in: the demo shows one as a QR code for a phone. The hub's own pages opened as links
//! (a cashier checkout, `/checkout/<id>`, and an Auto Debit authorization, `/authorize/<id>`)
//! open the web wallet with the page (`/app/#open=<URL>`), which the customer answers there.
//! The console's acceptance link (`/app/ticket/<ticket>`) starts a session signed in as the
//! project's acceptance account with the hub's single-use ticket.
//!
//! Each browser session gets a wallet of its own, with its own store in a folder under the data
//! folder, named by a random session cookie (`HttpOnly`, `SameSite=Strict`). A session ends at
//! sign-out or after [`WebConfig::idle`] without a request, and its folder is removed; at most
//! [`WebConfig::max_sessions`] live at once. The wallet always talks to the hub it was given
//! ([`WebConfig::hub_url`]): a browser cannot point it elsewhere, nor call what only a desktop
//! may do (read a file by path, capture the screen), which `linker_wallet::commands::call`
//! refuses.

mod sessions;
mod ui;

use std::collections::HashMap;
use std::convert::Infallible;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use futures_util::Stream;
use linker_base::clock::Clock;
use linker_base::throttle::{ClientIp, Throttle, attempt_keys};
use linker_wallet::ErrorView;
use linker_wallet::commands::{self, Shell, app_error};
use serde_json::{Value, json};

pub use sessions::{SESSION_COOKIE, Sessions};

/// How a web shell runs.
#[derive(Debug, Clone)]
pub struct WebConfig {
    /// Where the sessions' wallets keep their stores (one folder each, removed when it ends).
    pub data_dir: PathBuf,
    /// The hub every session's wallet talks to.
    pub hub_url: String,
    /// The URL people reach the hub at (its public URL): the links the hub issues (a cashier
    /// checkout, an authorization page) start with it. [`WebConfig::new`] makes it `hub_url`.
    pub public_url: String,
    /// How long a session lives without a request.
    pub idle: Duration,
    /// How many sessions may live at once.
    pub max_sessions: usize,
    /// True when the shell is reached over HTTPS (the cookie is then `Secure`).
    pub secure_cookie: bool,
}

impl WebConfig {
    /// A shell for `hub_url` with its sessions under `data_dir`, 30 minutes idle, 256 sessions.
    pub fn new(data_dir: impl Into<PathBuf>, hub_url: impl Into<String>) -> WebConfig {
        let hub_url = hub_url.into();
        WebConfig {
            data_dir: data_dir.into(),
            public_url: hub_url.clone(),
            hub_url,
            idle: Duration::from_secs(30 * 60),
            max_sessions: 256,
            secure_cookie: false,
        }
    }
}

/// Whom the sessions a sign-in link opens are signed in as.
#[derive(Debug, Clone)]
struct SignInGrant {
    login: String,
    password: String,
    project_id: Option<String>,
}

/// The longest wait between two sweeps of idle sessions.
const SWEEP_AT_MOST: Duration = Duration::from_secs(60);

/// The web shell: its sessions and where they point.
#[derive(Debug)]
pub struct WebShell {
    sessions: Sessions,
    /// The hub's public URL, without a trailing slash.
    public_url: String,
    /// Sign-in links by their secret (only the process that runs the shell makes them).
    links: Mutex<HashMap<String, SignInGrant>>,
    /// Failed sign-ins per client address. The hub limits each login itself, but every web
    /// wallet session reaches it from this process, so only the shell sees the phone's address.
    attempts: Throttle,
    clock: Arc<dyn Clock>,
}

impl WebShell {
    /// A web shell on the given clock (the sessions' idle time is measured on it).
    pub fn new(config: WebConfig, clock: Arc<dyn Clock>) -> WebShell {
        WebShell {
            public_url: config.public_url.trim_end_matches('/').to_owned(),
            sessions: Sessions::new(config, clock.clone()),
            links: Mutex::new(HashMap::new()),
            attempts: Throttle::default(),
            clock,
        }
    }

    /// The live sessions.
    pub fn sessions(&self) -> &Sessions {
        &self.sessions
    }

    /// A link (`/app/open/<secret>`, a path on the shell's host) whose every opening starts a
    /// session of its own, signed in with these credentials: the demo shows it as a QR code so
    /// that a phone opens the demo merchant's wallet at once. Nothing over HTTP makes one, and
    /// it lives as long as this shell.
    pub fn sign_in_link(&self, login: &str, password: &str, project_id: Option<&str>) -> String {
        let secret = sessions::random_id();
        self.links
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .insert(
                secret.clone(),
                SignInGrant {
                    login: login.to_owned(),
                    password: password.to_owned(),
                    project_id: project_id.map(str::to_owned),
                },
            );
        format!("/app/open/{secret}")
    }

    /// Ends idle sessions on a timer as well as on requests (a quiet shell still removes its
    /// sessions' folders): every quarter of the idle time, at most every minute. The task ends
    /// once the shell is dropped.
    pub fn spawn_sweeper(shell: &Arc<WebShell>) -> tokio::task::JoinHandle<()> {
        let period = (shell.sessions.idle() / 4).clamp(Duration::from_secs(1), SWEEP_AT_MOST);
        let shell = Arc::downgrade(shell);
        tokio::spawn(async move {
            let mut ticks = tokio::time::interval(period);
            ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                ticks.tick().await;
                let Some(shell) = shell.upgrade() else {
                    return;
                };
                let ended = shell.sessions.sweep();
                if ended > 0 {
                    tracing::info!(ended, "idle web wallet sessions ended");
                }
            }
        })
    }

    fn grant(&self, secret: &str) -> Option<SignInGrant> {
        self.links
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .get(secret)
            .cloned()
    }
}

/// The web shell's routes: `/app/` (the screens) and `/app/api/...` (the commands).
pub fn router(shell: Arc<WebShell>) -> Router {
    Router::new()
        .route("/app", get(redirect_to_app))
        .route("/app/", get(ui::index))
        .route("/app/sw.js", get(ui::service_worker))
        .route("/invite/{code}", get(invitation_link))
        .route("/checkout/{id}", get(hub_page_link))
        .route("/authorize/{id}", get(hub_page_link))
        .route("/app/open/{secret}", get(sign_in_link))
        .route("/app/ticket/{ticket}", get(ticket_link))
        .route("/app/api/{command}", post(command))
        .route("/app/api/runs/{run}/events", get(run_events))
        .route("/app/{*path}", get(ui::file))
        .with_state(shell)
}

/// `GET /invite/<code>`, the link of an invitation mail: the web wallet's sign-in with the code
/// filled in (in the fragment, which the browser keeps to itself).
async fn invitation_link(Path(code): Path<String>) -> Response {
    let plausible = !code.is_empty()
        && code.len() <= 64
        && code.chars().all(|c| c.is_ascii_alphanumeric() || c == '-');
    if !plausible {
        return (StatusCode::NOT_FOUND, "not an invitation").into_response();
    }
    (
        StatusCode::SEE_OTHER,
        [(header::LOCATION, format!("/app/#invite={code}"))],
    )
        .into_response()
}

/// `GET /checkout/<id>` (a cashier `paymentUrl`) and `GET /authorize/<id>` (an Auto Debit
/// `authUrl`), the hub's own pages opened as links (tapped, or scanned with a phone's camera
/// app): the web wallet, which opens the page (`#open=<the whole URL>`) in the merchant's run.
/// The hub serves nothing else at these paths: the wallet is where the customer pays or answers.
async fn hub_page_link(State(shell): State<Arc<WebShell>>, uri: axum::http::Uri) -> Response {
    let path = uri.path();
    let id = path.rsplit('/').next().unwrap_or_default();
    let plausible = !id.is_empty()
        && id.len() <= 128
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if !plausible {
        return (StatusCode::NOT_FOUND, "not a page of this hub").into_response();
    }
    let page = format!("{}{path}", shell.public_url);
    let encoded = percent_encoding::utf8_percent_encode(&page, percent_encoding::NON_ALPHANUMERIC);
    (
        StatusCode::SEE_OTHER,
        [(header::LOCATION, format!("/app/#open={encoded}"))],
    )
        .into_response()
}

/// `GET /app/open/<secret>`, a sign-in link: a new session signed in as the link says, then the
/// wallet. An unknown or stale link opens the wallet's sign-in instead.
async fn sign_in_link(State(shell): State<Arc<WebShell>>, Path(secret): Path<String>) -> Response {
    let to_app = |cookie: Option<String>| {
        let mut response = (StatusCode::SEE_OTHER, [(header::LOCATION, "/app/")]).into_response();
        if let Some(value) = cookie.and_then(|cookie| HeaderValue::from_str(&cookie).ok()) {
            response.headers_mut().insert(header::SET_COOKIE, value);
        }
        response
    };
    let Some(grant) = sessions::plausible_id(&secret)
        .then(|| shell.grant(&secret))
        .flatten()
    else {
        return to_app(None);
    };
    let (session, cookie) = match shell.sessions.start() {
        Ok(started) => started,
        Err(error) => return error_response(error),
    };
    let signed_in = session
        .wallet
        .sign_in(&grant.login, &grant.password, grant.project_id.as_deref())
        .await;
    match signed_in {
        Ok(_) => to_app(Some(cookie)),
        Err(error) => {
            shell.sessions.end(&session.id);
            error_response(error.view())
        }
    }
}

/// `GET /app/ticket/<ticket>`, the link the console's Acceptance page opens: a new session
/// signed in as the project's acceptance account with the hub's single-use ticket, then the
/// wallet. A used or stale ticket answers the hub's words (the page says to open a new one).
async fn ticket_link(State(shell): State<Arc<WebShell>>, Path(ticket): Path<String>) -> Response {
    let plausible = !ticket.is_empty()
        && ticket.len() <= 128
        && ticket
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if !plausible {
        return (StatusCode::NOT_FOUND, "not a sign-in link").into_response();
    }
    let (session, cookie) = match shell.sessions.start() {
        Ok(started) => started,
        Err(error) => return error_response(error),
    };
    match session.wallet.sign_in_with_ticket(&ticket).await {
        Ok(_) => {
            let mut response =
                (StatusCode::SEE_OTHER, [(header::LOCATION, "/app/")]).into_response();
            if let Ok(value) = HeaderValue::from_str(&cookie) {
                response.headers_mut().insert(header::SET_COOKIE, value);
            }
            response
        }
        Err(error) => {
            shell.sessions.end(&session.id);
            error_response(error.view())
        }
    }
}

async fn redirect_to_app() -> Response {
    (
        StatusCode::PERMANENT_REDIRECT,
        [(header::LOCATION, "/app/")],
    )
        .into_response()
}

/// An error answer: the status for its code, and `{code, message}`.
fn error_response(error: ErrorView) -> Response {
    let status = match error.code.as_str() {
        "INVALID_INPUT" | "UNKNOWN_COMMAND" | "NOT_IN_BROWSER" => StatusCode::BAD_REQUEST,
        "TOO_MANY_SESSIONS" => StatusCode::SERVICE_UNAVAILABLE,
        "TOO_MANY_ATTEMPTS" => StatusCode::TOO_MANY_REQUESTS,
        "NOT_SIGNED_IN" | "SESSION_EXPIRED" | "SESSION_REVOKED" | "WRONG_CREDENTIALS"
        | "ACCESS_REVOKED" => StatusCode::UNAUTHORIZED,
        "INTERNAL" | "STORAGE" => StatusCode::INTERNAL_SERVER_ERROR,
        // Everything else is the wallet's answer about the hub or the input: the screens read
        // the code, as they do from the desktop app.
        _ => StatusCode::UNPROCESSABLE_ENTITY,
    };
    (status, axum::Json(error)).into_response()
}

/// The answers to a sign-in that count as a failed attempt (a guess at a password or a code).
const FAILED_SIGN_IN: [&str; 3] = ["WRONG_CREDENTIALS", "INVITATION_INVALID", "INVITATION_USED"];

/// `POST /app/api/<command>` with the command's JSON arguments.
async fn command(
    State(shell): State<Arc<WebShell>>,
    Path(command): Path<String>,
    client: Option<axum::Extension<ClientIp>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    // A JSON body only: a cross-site form cannot send one without the browser asking first.
    let json_body = headers
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.starts_with("application/json"));
    if !json_body && !body.is_empty() {
        return error_response(app_error(
            "INVALID_INPUT",
            "send the arguments as application/json",
        ));
    }
    let args: Value = if body.is_empty() {
        Value::Null
    } else {
        match serde_json::from_slice(&body) {
            Ok(args) => args,
            Err(error) => {
                return error_response(app_error("INVALID_INPUT", format!("body: {error}")));
            }
        }
    };
    // Sign-ins count against the phone's address: five wrong ones free, then a doubling wait.
    let signing_in = matches!(command.as_str(), "sign_in" | "sign_in_with_invitation");
    let keys = attempt_keys("web", None, client.filter(|_| signing_in).map(|c| c.0.0));
    if let Some(wait) = shell.attempts.wait(&keys, shell.clock.now()) {
        return error_response(app_error(
            "TOO_MANY_ATTEMPTS",
            format!("too many failed sign-ins from this address: try again in {wait} s"),
        ));
    }
    let (session, new_cookie) = match shell.sessions.for_request(&headers) {
        Ok(found) => found,
        Err(error) => return error_response(error),
    };
    let answer = match command.as_str() {
        "app_info" => serde_json::to_value(commands::app_info(&session.wallet, Shell::Web))
            .map_err(|error| app_error("INTERNAL", error.to_string())),
        "demo_info" => Ok(Value::Null),
        _ => commands::call(&session.wallet, &command, args).await,
    };
    if let Err(error) = &answer
        && FAILED_SIGN_IN.contains(&error.code.as_str())
    {
        shell.attempts.failed(&keys, shell.clock.now());
    }
    if command == "sign_out" && answer.is_ok() {
        shell.sessions.end(&session.id);
    }
    let mut response = match answer {
        Ok(value) => axum::Json(value).into_response(),
        Err(error) => error_response(error),
    };
    if let Some(cookie) = new_cookie
        && let Ok(value) = HeaderValue::from_str(&cookie)
    {
        response.headers_mut().insert(header::SET_COOKIE, value);
    }
    response
}

/// `GET /app/api/runs/<run>/events`: the run's updates as `run-update` events, the same payload
/// the desktop app emits (`{runId, update, error, ended}`), until the verdict.
async fn run_events(
    State(shell): State<Arc<WebShell>>,
    Path(run): Path<String>,
    headers: HeaderMap,
) -> Response {
    let session = match shell.sessions.existing(&headers) {
        Some(session) => session,
        None => {
            return error_response(app_error("NOT_SIGNED_IN", "no web wallet session"));
        }
    };
    Sse::new(updates(session.wallet.clone(), run))
        .keep_alive(KeepAlive::default())
        .into_response()
}

fn updates(
    wallet: Arc<linker_wallet::Wallet>,
    run: String,
) -> impl Stream<Item = Result<Event, Infallible>> {
    let follower = wallet.follow_run(&run);
    futures_util::stream::unfold(
        (follower, run, false),
        |(mut follower, run, ended)| async move {
            if ended {
                return None;
            }
            let (payload, ended) = match follower.next().await {
                Some(Ok(update)) => (
                    json!({"runId": run, "update": update, "ended": false}),
                    false,
                ),
                Some(Err(error)) => (
                    json!({"runId": run, "error": error.view(), "ended": false}),
                    false,
                ),
                None => (json!({"runId": run, "ended": true}), true),
            };
            let event = Event::default()
                .event("run-update")
                .data(payload.to_string());
            Some((Ok(event), (follower, run, ended)))
        },
    )
}
