//! Signing in, the first user, the project list and a project's settings.

use std::sync::Arc;

use askama::Template;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Multipart, Path, State};
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};

use super::{
    CSRF_COOKIE, Errors, FormData, Frame, Page, PageError, SESSION_COOKIE, Signed, Staff, blocking,
    check_origin, console_cookie, home_of, page, set_cookie,
};
use crate::Hub;
use crate::callbacks::test_notification::{NotificationCheck, TestNotification};
use crate::domain::project_tokens::ProjectToken;
use crate::domain::projects::{NewProject, Project, ProjectUpdate, ProjectView};
use crate::domain::throttle::ClientAddress;
use crate::error::HubError;

/// A form that may carry files: its fields, and each file as (field, file name, bytes).
pub struct Upload {
    /// The text fields.
    pub form: FormData,
    /// The files.
    pub files: Vec<(String, String, Vec<u8>)>,
}

impl Upload {
    /// Reads a `multipart/form-data` body.
    pub async fn read(mut multipart: Multipart) -> Result<Upload, PageError> {
        let mut upload = Upload {
            form: FormData::default(),
            files: Vec::new(),
        };
        loop {
            let field = multipart
                .next_field()
                .await
                .map_err(|e| HubError::invalid("file", format!("the upload broke off: {e}")))?;
            let Some(field) = field else { break };
            let name = field.name().unwrap_or_default().to_owned();
            let file_name = field.file_name().map(str::to_owned);
            let bytes = field
                .bytes()
                .await
                .map_err(|e| HubError::invalid("file", format!("the upload broke off: {e}")))?;
            match file_name {
                Some(file_name) => upload.files.push((name, file_name, bytes.to_vec())),
                None => upload
                    .form
                    .0
                    .push((name, String::from_utf8_lossy(&bytes).into_owned())),
            }
        }
        Ok(upload)
    }

    /// The non-empty file sent as `field`, if any.
    pub fn file(&self, field: &str) -> Option<(&str, &[u8])> {
        self.files
            .iter()
            .find(|(name, file_name, bytes)| {
                name == field && !(file_name.is_empty() && bytes.is_empty())
            })
            .map(|(_, file_name, bytes)| (file_name.as_str(), bytes.as_slice()))
    }
}

/// A fresh random token for the CSRF cookie.
fn new_csrf(hub: &Hub) -> String {
    hub.ids.secret()
}

pub(super) async fn home(State(hub): State<Arc<Hub>>, headers: HeaderMap) -> Response {
    let user =
        console_cookie(&hub, &headers, SESSION_COOKIE).and_then(|t| hub.console_user(t).ok());
    if let Some(user) = user {
        Redirect::to(home_of(&user)).into_response()
    } else if hub.has_console_users().unwrap_or(true) {
        Redirect::to("/console/sign-in").into_response()
    } else {
        Redirect::to("/console/setup").into_response()
    }
}

#[derive(Template)]
#[template(path = "console/sign_in.html")]
struct SignInPage {
    frame: Frame,
    email: String,
    errors: Errors,
    first_user: bool,
}

pub(super) fn anonymous_frame(title: &str, csrf: &str) -> Frame {
    Frame {
        title: title.to_owned(),
        project_id: String::new(),
        project_name: String::new(),
        tab: "",
        email: String::new(),
        csrf: csrf.to_owned(),
        notice: String::new(),
    }
}

/// A page for someone not signed in, with a CSRF cookie set when there was none.
pub(super) fn anonymous(
    hub: &Hub,
    headers: &HeaderMap,
    render: impl FnOnce(&str) -> Result<Page, PageError>,
) -> Result<Response, PageError> {
    match console_cookie(hub, headers, CSRF_COOKIE) {
        Some(csrf) => Ok(render(csrf)?.into_response()),
        None => {
            let csrf = new_csrf(hub);
            let mut response = render(&csrf)?.into_response();
            response.headers_mut().append(
                header::SET_COOKIE,
                set_cookie(hub, CSRF_COOKIE, &csrf, "Strict"),
            );
            Ok(response)
        }
    }
}

pub(super) fn check_anonymous_csrf(
    hub: &Hub,
    headers: &HeaderMap,
    form: &FormData,
) -> Result<(), PageError> {
    check_origin(hub, headers)?;
    match console_cookie(hub, headers, CSRF_COOKIE) {
        Some(csrf) if crate::domain::admin_credential::constant_time_eq(csrf, form.get("csrf")) => {
            Ok(())
        }
        _ => Err(PageError::Csrf),
    }
}

pub(super) async fn sign_in_page(
    State(hub): State<Arc<Hub>>,
    headers: HeaderMap,
) -> Result<Response, PageError> {
    let first_user = !hub.has_console_users()?;
    anonymous(&hub, &headers, |csrf| {
        page(&SignInPage {
            frame: anonymous_frame("Sign in", csrf),
            email: String::new(),
            errors: Errors::default(),
            first_user,
        })
    })
}

/// Signs in: the session cookie (its forms' CSRF token derives from it), and the sign-in's
/// CSRF cookie replaced, so a token seen before sign-in is worth nothing after.
pub(super) fn signed_in(hub: &Hub, token: &str, to: &str) -> Response {
    let mut response = Redirect::to(to).into_response();
    let headers = response.headers_mut();
    headers.append(
        header::SET_COOKIE,
        set_cookie(hub, SESSION_COOKIE, token, "Lax"),
    );
    headers.append(
        header::SET_COOKIE,
        set_cookie(hub, CSRF_COOKIE, &new_csrf(hub), "Strict"),
    );
    response
}

pub(super) async fn sign_in(
    State(hub): State<Arc<Hub>>,
    ClientAddress(client): ClientAddress,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, PageError> {
    let form = FormData::parse(&body);
    check_anonymous_csrf(&hub, &headers, &form)?;
    let (email, password) = (
        form.get("email").to_owned(),
        form.get("password").to_owned(),
    );
    let attempt = {
        let email = email.clone();
        let turn = hub.password_turn().await?;
        blocking(&hub, move |hub| {
            let _turn = turn;
            hub.console_sign_in(&email, &password, client)
        })
        .await
    };
    match attempt {
        Ok(login) => Ok(signed_in(&hub, &login.token, home_of(&login.user))),
        Err(HubError::Denied { message, .. }) => {
            let csrf = form.get("csrf").to_owned();
            Ok(page(&SignInPage {
                frame: anonymous_frame("Sign in", &csrf),
                email,
                errors: Errors::one("password", message),
                first_user: false,
            })?
            .into_response())
        }
        Err(other) => Err(other.into()),
    }
}

pub(super) async fn sign_out(
    State(hub): State<Arc<Hub>>,
    headers: HeaderMap,
    Signed(staff): Signed,
    body: Bytes,
) -> Result<Response, PageError> {
    staff.check(&FormData::parse(&body))?;
    if let Some(token) = console_cookie(&hub, &headers, SESSION_COOKIE) {
        hub.console_sign_out(token)?;
    }
    let mut response = Redirect::to("/console/sign-in").into_response();
    response.headers_mut().append(
        header::SET_COOKIE,
        set_cookie(&hub, SESSION_COOKIE, "", "Lax"),
    );
    Ok(response)
}

#[derive(Template)]
#[template(path = "console/setup.html")]
struct SetupPage {
    frame: Frame,
    email: String,
    errors: Errors,
}

pub(super) async fn setup_page(
    State(hub): State<Arc<Hub>>,
    headers: HeaderMap,
) -> Result<Response, PageError> {
    anonymous(&hub, &headers, |csrf| {
        page(&SetupPage {
            frame: anonymous_frame("Create a console user", csrf),
            email: String::new(),
            errors: Errors::default(),
        })
    })
}

pub(super) async fn setup(
    State(hub): State<Arc<Hub>>,
    ClientAddress(client): ClientAddress,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, PageError> {
    let form = FormData::parse(&body);
    check_anonymous_csrf(&hub, &headers, &form)?;
    let (token, email, password) = (
        form.get("adminToken").to_owned(),
        form.get("email").to_owned(),
        form.get("password").to_owned(),
    );
    let created = {
        let (email, password) = (email.clone(), password.clone());
        let turn = hub.password_turn().await?;
        blocking(&hub, move |hub| {
            let _turn = turn;
            hub.bootstrap_console_user(&token, &email, &password, client)?;
            hub.console_sign_in(&email, &password, client)
        })
        .await
    };
    match created {
        Ok(login) => Ok(signed_in(&hub, &login.token, "/console/projects")),
        Err(error) => {
            let errors = Errors::from_hub(error, &["adminToken", "email", "password"], "email")?;
            Ok(page(&SetupPage {
                frame: anonymous_frame("Create a console user", form.get("csrf")),
                email,
                errors,
            })?
            .into_response())
        }
    }
}

#[derive(Template)]
#[template(path = "console/projects.html")]
struct ProjectsPage {
    frame: Frame,
    projects: Vec<ProjectView>,
    form: FormData,
    errors: Errors,
}

pub(super) async fn projects_page(
    State(hub): State<Arc<Hub>>,
    staff: Staff,
) -> Result<Page, PageError> {
    let projects = hub
        .console_projects(&staff.user)?
        .iter()
        .map(|p| p.view(hub.public_url()))
        .collect();
    page(&ProjectsPage {
        frame: Frame::plain(&staff, "Your projects"),
        projects,
        form: FormData::default(),
        errors: Errors::default(),
    })
}

/// The ACQP public key of a form: the uploaded file when there is one, else the pasted text.
fn public_key_of(upload: &Upload) -> String {
    match upload.file("acqpPublicKeyFile") {
        Some((_, bytes)) => String::from_utf8_lossy(bytes).into_owned(),
        None => upload.form.get("acqpPublicKey").to_owned(),
    }
}

/// A list field: items separated by commas, spaces or new lines.
fn list(text: &str) -> Vec<String> {
    text.split([',', '\n', '\r', ' ', ';'])
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

fn schedule(text: &str) -> Result<Option<Vec<u64>>, HubError> {
    let items = list(text);
    if items.is_empty() {
        return Ok(None);
    }
    items
        .iter()
        .map(|item| {
            item.trim_end_matches('s').parse::<u64>().map_err(|_| {
                HubError::invalid(
                    "notifyRetrySchedule",
                    format!("{item:?} is not a number of seconds; write e.g. 0, 4, 30, 60"),
                )
            })
        })
        .collect::<Result<Vec<_>, _>>()
        .map(Some)
}

const PROJECT_FIELDS: [&str; 11] = [
    "name",
    "clientId",
    "acqpPublicKey",
    "notifyUrl",
    "userInitiatedPayUrl",
    "authNotifyUrl",
    "entryCodeDomains",
    "privateCodeDomains",
    "notifyRetrySchedule",
    "requestLogDays",
    "products",
];

/// The request log's retention as typed: empty keeps the current one (the default when
/// creating); otherwise a whole number of days, which the hub checks is in range.
fn log_days(text: &str) -> Result<Option<u32>, HubError> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(None);
    }
    text.parse().map(Some).map_err(|_| {
        HubError::invalid(
            "requestLogDays",
            format!("{text:?} is not a whole number of days: give 1 to 3650"),
        )
    })
}

pub(super) async fn create_project(
    State(hub): State<Arc<Hub>>,
    staff: Staff,
    multipart: Multipart,
) -> Result<Response, PageError> {
    let upload = Upload::read(multipart).await?;
    staff.check(&upload.form)?;
    let form = &upload.form;
    let new = schedule(form.get("notifyRetrySchedule")).map(|notify_retry_schedule| NewProject {
        name: form.get("name").to_owned(),
        client_id: form.get("clientId").to_owned(),
        acqp_public_key: public_key_of(&upload),
        notify_url: form.optional("notifyUrl"),
        user_initiated_pay_url: form.optional("userInitiatedPayUrl"),
        auth_notify_url: form.optional("authNotifyUrl"),
        entry_code_domains: list(form.get("entryCodeDomains")),
        private_code_domains: list(form.get("privateCodeDomains")),
        notify_retry_schedule,
        request_log_days: None,
        products: Vec::new(),
    });
    let new = new.and_then(|new| {
        Ok(NewProject {
            request_log_days: log_days(form.get("requestLogDays"))?,
            ..new
        })
    });
    let user = staff.user.clone();
    let created = match new {
        Ok(new) => blocking(&hub, move |hub| hub.create_project_as(&user, new)).await,
        Err(error) => Err(error),
    };
    match created {
        Ok(project) => Ok(Redirect::to(&format!(
            "/console/projects/{}/settings?created=1",
            project.id
        ))
        .into_response()),
        Err(error) => {
            let errors = Errors::from_hub(error, &PROJECT_FIELDS, "clientId")?;
            let projects = hub
                .console_projects(&staff.user)?
                .iter()
                .map(|p| p.view(hub.public_url()))
                .collect();
            let mut form = upload.form.clone();
            form.0
                .push(("acqpPublicKey".to_owned(), public_key_of(&upload)));
            Ok(page(&ProjectsPage {
                frame: Frame::plain(&staff, "Your projects"),
                projects,
                form,
                errors,
            })?
            .into_response())
        }
    }
}

pub(super) async fn project_home(
    State(hub): State<Arc<Hub>>,
    staff: Staff,
    Path(id): Path<String>,
) -> Result<Redirect, PageError> {
    staff.project(&hub, &id)?;
    Ok(Redirect::to(&format!("/console/projects/{id}/test-data")))
}

#[derive(Template)]
#[template(path = "console/settings.html")]
struct SettingsPage {
    frame: Frame,
    view: ProjectView,
    form: FormData,
    errors: Errors,
    check: Option<NotificationCheck>,
    members: Vec<crate::domain::console_users::ConsoleUser>,
    member_errors: Errors,
    /// What is shown of the project's API token, if it has one.
    token: Option<ProjectToken>,
    /// A token just created or rotated: shown this once.
    fresh_token: String,
}

impl SettingsPage {
    /// The product checkboxes: code, name, ticked.
    fn product_boxes(&self) -> Vec<(&'static str, &'static str, bool)> {
        let ticked = self.form.all("products");
        crate::domain::merchants::PRODUCTS
            .iter()
            .map(|code| {
                let name = linker_cases::Product::from_code(code).map_or(*code, |p| p.name());
                (*code, name, ticked.iter().any(|t| t == code))
            })
            .collect()
    }

    fn token_created(&self) -> String {
        self.token
            .as_ref()
            .map(|t| super::when(&t.created_at))
            .unwrap_or_default()
    }

    fn check_headers(&self) -> String {
        self.check
            .as_ref()
            .map(|c| {
                c.request_headers
                    .iter()
                    .map(|(n, v)| format!("{n}: {v}"))
                    .collect::<Vec<_>>()
                    .join("\n")
            })
            .unwrap_or_default()
    }
}

fn settings_form(view: &ProjectView) -> FormData {
    let mut fields = vec![
        ("name".to_owned(), view.name.clone()),
        ("acqpPublicKey".to_owned(), view.acqp_public_key.clone()),
        (
            "notifyUrl".to_owned(),
            view.notify_url.clone().unwrap_or_default(),
        ),
        (
            "userInitiatedPayUrl".to_owned(),
            view.user_initiated_pay_url.clone().unwrap_or_default(),
        ),
        (
            "authNotifyUrl".to_owned(),
            view.auth_notify_url.clone().unwrap_or_default(),
        ),
        (
            "entryCodeDomains".to_owned(),
            view.entry_code_domains.join(", "),
        ),
        (
            "privateCodeDomains".to_owned(),
            view.private_code_domains.join(", "),
        ),
        (
            "notifyRetrySchedule".to_owned(),
            view.notify_retry_schedule
                .iter()
                .map(u64::to_string)
                .collect::<Vec<_>>()
                .join(", "),
        ),
        (
            "requestLogDays".to_owned(),
            view.request_log_days.to_string(),
        ),
    ];
    fields.extend(
        view.products
            .iter()
            .map(|p| ("products".to_owned(), p.clone())),
    );
    FormData(fields)
}

fn settings_page_of(
    hub: &Hub,
    staff: &Staff,
    project: &Project,
    notice: &str,
) -> Result<SettingsPage, PageError> {
    let view = project.view(hub.public_url());
    Ok(SettingsPage {
        frame: Frame::project(staff, project, "settings", "Project settings").notice(notice),
        form: settings_form(&view),
        view,
        errors: Errors::default(),
        check: None,
        members: hub.console_members(&project.id)?,
        member_errors: Errors::default(),
        token: hub.project_token(&project.id)?,
        fresh_token: String::new(),
    })
}

pub(super) async fn settings_page(
    State(hub): State<Arc<Hub>>,
    staff: Staff,
    Path(id): Path<String>,
    axum::extract::RawQuery(query): axum::extract::RawQuery,
) -> Result<Page, PageError> {
    let project = staff.project(&hub, &id)?;
    let notice = match query.as_deref() {
        Some("created=1") => {
            "Project created. Give your ACQP backend the gateway URL, the Client-Id and the hub's public key below."
        }
        Some("saved=1") => "Settings saved.",
        _ => "",
    };
    page(&settings_page_of(&hub, &staff, &project, notice)?)
}

pub(super) async fn save_settings(
    State(hub): State<Arc<Hub>>,
    staff: Staff,
    Path(id): Path<String>,
    multipart: Multipart,
) -> Result<Response, PageError> {
    let project = staff.project(&hub, &id)?;
    let upload = Upload::read(multipart).await?;
    staff.check(&upload.form)?;
    let form = &upload.form;
    let update = schedule(form.get("notifyRetrySchedule")).map(|schedule| ProjectUpdate {
        name: Some(form.get("name").to_owned()),
        acqp_public_key: Some(public_key_of(&upload)),
        notify_url: Some(form.get("notifyUrl").trim().to_owned()),
        user_initiated_pay_url: Some(form.get("userInitiatedPayUrl").trim().to_owned()),
        auth_notify_url: Some(form.get("authNotifyUrl").trim().to_owned()),
        entry_code_domains: Some(list(form.get("entryCodeDomains"))),
        private_code_domains: Some(list(form.get("privateCodeDomains"))),
        notify_retry_schedule: Some(schedule.unwrap_or_default()),
        request_log_days: None,
        tsp_mode: None,
        // Checkboxes: none ticked sends none, which selects no product.
        products: Some(form.all("products")),
    });
    let update = update.and_then(|update| {
        Ok(ProjectUpdate {
            request_log_days: log_days(form.get("requestLogDays"))?,
            ..update
        })
    });
    let saved = match update {
        Ok(update) => {
            let id = id.clone();
            blocking(&hub, move |hub| hub.update_project(&id, update)).await
        }
        Err(error) => Err(error),
    };
    match saved {
        Ok(_) => {
            Ok(Redirect::to(&format!("/console/projects/{id}/settings?saved=1")).into_response())
        }
        Err(error) => {
            let errors = Errors::from_hub(error, &PROJECT_FIELDS, "name")?;
            let mut settings = settings_page_of(&hub, &staff, &project, "")?;
            let mut form = upload.form.clone();
            form.0.retain(|(n, _)| n != "acqpPublicKey");
            form.0
                .push(("acqpPublicKey".to_owned(), public_key_of(&upload)));
            settings.form = form;
            settings.errors = errors;
            Ok(page(&settings)?.into_response())
        }
    }
}

pub(super) async fn check_setup(
    State(hub): State<Arc<Hub>>,
    staff: Staff,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Page, PageError> {
    let project = staff.project(&hub, &id)?;
    staff.check(&FormData::parse(&body))?;
    let mut settings = settings_page_of(&hub, &staff, &project, "")?;
    match hub
        .send_test_notification(
            &id,
            TestNotification {
                success: true,
                ..TestNotification::default()
            },
        )
        .await
    {
        Ok(check) => settings.check = Some(check),
        Err(error) => settings.errors = Errors::from_hub(error, &[], "check")?,
    }
    page(&settings)
}

pub(super) async fn add_member(
    State(hub): State<Arc<Hub>>,
    staff: Staff,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, PageError> {
    let project = staff.project(&hub, &id)?;
    let form = FormData::parse(&body);
    staff.check(&form)?;
    let (email, password) = (
        form.get("memberEmail").to_owned(),
        form.optional("memberPassword"),
    );
    let added = {
        let id = id.clone();
        let email = email.clone();
        blocking(&hub, move |hub| {
            hub.add_console_member(&id, &email, password.as_deref())
        })
        .await
    };
    match added {
        Ok(user) => Ok(page(&settings_page_of(
            &hub,
            &staff,
            &project,
            &format!("{} can now open this project.", user.email),
        )?)?
        .into_response()),
        Err(error) => {
            let mut settings = settings_page_of(&hub, &staff, &project, "")?;
            settings.member_errors = match error {
                HubError::Invalid { field, message } => Errors::one(
                    if field == "password" {
                        "memberPassword"
                    } else {
                        "memberEmail"
                    },
                    message,
                ),
                other => return Err(other.into()),
            };
            Ok(page(&settings)?.into_response())
        }
    }
}

pub(super) async fn remove_member(
    State(hub): State<Arc<Hub>>,
    staff: Staff,
    Path((id, user)): Path<(String, String)>,
    body: Bytes,
) -> Result<Response, PageError> {
    let project = staff.project(&hub, &id)?;
    staff.check(&FormData::parse(&body))?;
    match hub.remove_console_member(&staff.user, &id, &user) {
        Ok(removed) if removed.id == staff.user.id => {
            Ok(Redirect::to("/console/projects").into_response())
        }
        Ok(removed) => Ok(page(&settings_page_of(
            &hub,
            &staff,
            &project,
            &format!("{} can no longer open this project.", removed.email),
        )?)?
        .into_response()),
        Err(HubError::Conflict(message)) => {
            let mut settings = settings_page_of(&hub, &staff, &project, "")?;
            settings.member_errors = Errors::one("remove", message);
            Ok((axum::http::StatusCode::CONFLICT, page(&settings)?).into_response())
        }
        Err(other) => Err(other.into()),
    }
}

/// Creates the project's API token, or replaces it: the new one is shown once.
pub(super) async fn rotate_token(
    State(hub): State<Arc<Hub>>,
    staff: Staff,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Page, PageError> {
    let project = staff.project(&hub, &id)?;
    staff.check(&FormData::parse(&body))?;
    let replaced = hub.project_token(&id)?.is_some();
    let created = hub.rotate_project_token(&staff.user, &id)?;
    let notice = if replaced {
        "A new API token replaces the old one, which no longer works. Copy it now: it is shown only once."
    } else {
        "API token created. Copy it now: it is shown only once."
    };
    let mut settings = settings_page_of(&hub, &staff, &project, notice)?;
    settings.fresh_token = created.token;
    page(&settings)
}

/// Revokes the project's API token.
pub(super) async fn revoke_token(
    State(hub): State<Arc<Hub>>,
    staff: Staff,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Page, PageError> {
    let project = staff.project(&hub, &id)?;
    staff.check(&FormData::parse(&body))?;
    let notice = if hub.revoke_project_token(&staff.user, &id)? {
        "The API token is revoked: it no longer works."
    } else {
        "This project has no API token."
    };
    page(&settings_page_of(&hub, &staff, &project, notice)?)
}

/// Gives the project a new sandbox Agent-Token; the old one stops working at once.
pub(super) async fn rotate_agent_token(
    State(hub): State<Arc<Hub>>,
    staff: Staff,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Page, PageError> {
    staff.project(&hub, &id)?;
    staff.check(&FormData::parse(&body))?;
    let project = hub.rotate_agent_token(&id)?;
    let notice = "A new Agent-Token replaces the old one, which no longer works: give your ACQP backend the new one.";
    page(&settings_page_of(&hub, &staff, &project, notice)?)
}

/// Turns TSP mode on (`tspMode=on`) or off (`tspMode=off`).
pub(super) async fn set_tsp_mode(
    State(hub): State<Arc<Hub>>,
    staff: Staff,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Page, PageError> {
    staff.project(&hub, &id)?;
    let form = FormData::parse(&body);
    staff.check(&form)?;
    let on = match form.get("tspMode") {
        "on" => true,
        "off" => false,
        _ => {
            return Err(HubError::invalid("tspMode", "send on or off").into());
        }
    };
    let update = ProjectUpdate {
        tsp_mode: Some(on),
        ..ProjectUpdate::default()
    };
    let project = hub.update_project(&id, update)?;
    let notice = if on {
        "TSP mode is on: every Alipay+ call must now carry this project's Agent-Token in the Agent-Token header."
    } else {
        "TSP mode is off: the Agent-Token header is no longer required."
    };
    page(&settings_page_of(&hub, &staff, &project, notice)?)
}

/// Signs out every session of the signed-in user, this one included.
pub(super) async fn sign_out_everywhere(
    State(hub): State<Arc<Hub>>,
    Signed(staff): Signed,
    body: Bytes,
) -> Result<Response, PageError> {
    staff.check(&FormData::parse(&body))?;
    hub.console_sign_out_everywhere(&staff.user)?;
    let mut response = Redirect::to("/console/sign-in").into_response();
    response.headers_mut().append(
        header::SET_COOKIE,
        set_cookie(&hub, SESSION_COOKIE, "", "Lax"),
    );
    Ok(response)
}

/// The console's routes for sign-in, setup, projects, settings, members, the API token, the
/// Agent-Token and TSP mode.
pub(super) fn routes() -> Router<Arc<Hub>> {
    Router::new()
        .route("/", get(home))
        .route("/setup", get(setup_page).post(setup))
        .route("/sign-in", get(sign_in_page).post(sign_in))
        .route("/sign-out", post(sign_out))
        .route("/sign-out/everywhere", post(sign_out_everywhere))
        .route("/projects", get(projects_page).post(create_project))
        .route("/projects/{id}", get(project_home))
        .route(
            "/projects/{id}/settings",
            get(settings_page).post(save_settings),
        )
        .route("/projects/{id}/settings/check", post(check_setup))
        .route("/projects/{id}/members", post(add_member))
        .route("/projects/{id}/members/{user}/remove", post(remove_member))
        .route("/projects/{id}/token", post(rotate_token))
        .route("/projects/{id}/token/revoke", post(revoke_token))
        .route("/projects/{id}/agent-token", post(rotate_agent_token))
        .route("/projects/{id}/tsp-mode", post(set_tsp_mode))
}
