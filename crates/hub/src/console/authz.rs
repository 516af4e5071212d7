//! The ACQP's authorization in the console: the TSP's **Authorization** tab (generate a URL,
//! pending URLs, each ACQP's authorization and its Agent-Token, the mail sent), the
//! authorization URL the ACQP opens (`/console/authorize/{token}`: sign in, or create an ACQP
//! account there, review, accept the terms, Authorize or Skip) and the ACQP's
//! **Authorizations** page (search, cancel, change of scope). Only `Hub` methods of
//! `domain/acqp_authorizations.rs`.

use std::sync::Arc;

use askama::Template;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};

use super::pages::{anonymous, anonymous_frame, check_anonymous_csrf, signed_in};
use super::{
    AcqpUser, Errors, FormData, Frame, Page, PageError, SESSION_COOKIE, Signed, Staff, blocking,
    console_cookie, page, product_label, product_labels, session_csrf, when,
};
use crate::Hub;
use crate::domain::acqp_authorizations::{
    AUTHORIZATION_TERMS, AcqpAuthorization, AuthorizationOffer, MAX_CHANGE_NOTICES_PER_HOUR,
    MAX_SEARCH, NewAuthorizationUrl,
};
use crate::domain::projects::Project;
use crate::domain::throttle::ClientAddress;
use crate::error::HubError;

/// An ACQP's authorization as the TSP's tab shows it.
struct TspRow {
    id: String,
    acqp_name: String,
    acqp_email: String,
    products: String,
    status: &'static str,
    status_class: &'static str,
    changed: String,
    agent_token: String,
}

/// An authorization URL as the TSP's tab shows it.
struct UrlRow {
    id: String,
    acqp_name: String,
    acqp_email: String,
    products: String,
    status: &'static str,
    status_class: &'static str,
    expires: String,
    created_by: String,
    pending: bool,
}

#[derive(Template)]
#[template(path = "console/authorization.html")]
struct AuthorizationTab {
    frame: Frame,
    authorizations: Vec<TspRow>,
    urls: Vec<UrlRow>,
    /// The products that passed acceptance as (code, label), `None` while it has not passed.
    passed: Option<Vec<(String, String)>>,
    form: FormData,
    errors: Errors,
    fresh_url: String,
    fresh_for: String,
    fresh_expires: String,
    /// (when, to, subject, status, error).
    mail: Vec<(String, String, String, String, String)>,
    mail_channel: &'static str,
}

fn status_of(active: bool) -> (&'static str, &'static str) {
    if active {
        ("Active", "active")
    } else {
        ("Inactive", "inactive")
    }
}

fn tab_of(
    hub: &Hub,
    staff: &Staff,
    project: &Project,
    notice: &str,
) -> Result<AuthorizationTab, PageError> {
    let listed = hub.project_authorizations(&project.id)?;
    let authorizations = listed
        .authorizations
        .into_iter()
        .map(|a| {
            let (status, status_class) = status_of(a.is_active());
            TspRow {
                products: product_labels(&a.products),
                changed: when(&a.changed_at),
                id: a.id,
                acqp_name: a.acqp_name,
                acqp_email: a.acqp_email,
                status,
                status_class,
                agent_token: a.agent_token,
            }
        })
        .collect();
    let urls = listed
        .urls
        .into_iter()
        .map(|u| {
            let (status, status_class) = match u.status {
                "PENDING" => ("Pending", "pending"),
                "USED" => ("Used", "active"),
                "EXPIRED" => ("Expired", "inactive"),
                _ => ("Revoked", "inactive"),
            };
            UrlRow {
                products: product_labels(&u.products),
                expires: when(&u.expires_at),
                pending: u.status == "PENDING",
                id: u.id,
                acqp_name: u.acqp_name,
                acqp_email: u.acqp_email,
                status,
                status_class,
                created_by: u.created_by,
            }
        })
        .collect();
    let passed = hub.acceptance_passed_products(&project.id)?.map(|codes| {
        codes
            .into_iter()
            .map(|code| {
                let label = product_label(&code);
                (code, label)
            })
            .collect()
    });
    let mail = hub
        .authorization_mail(&project.id)?
        .into_iter()
        .take(20)
        .map(|m| {
            let error = m.error.unwrap_or_default();
            (when(&m.created_at), m.recipient, m.subject, m.status, error)
        })
        .collect();
    Ok(AuthorizationTab {
        frame: Frame::project(staff, project, "authorization", "ACQP authorization").notice(notice),
        authorizations,
        urls,
        passed,
        form: FormData::default(),
        errors: Errors::default(),
        fresh_url: String::new(),
        fresh_for: String::new(),
        fresh_expires: String::new(),
        mail,
        mail_channel: if hub.mail_relay().is_some() {
            "by SMTP"
        } else {
            "into the outbox below: no SMTP server is configured"
        },
    })
}

async fn authorization_tab(
    State(hub): State<Arc<Hub>>,
    staff: Staff,
    Path(id): Path<String>,
) -> Result<Page, PageError> {
    let project = staff.project(&hub, &id)?;
    page(&tab_of(&hub, &staff, &project, "")?)
}

async fn generate(
    State(hub): State<Arc<Hub>>,
    staff: Staff,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, PageError> {
    let project = staff.project(&hub, &id)?;
    let form = FormData::parse(&body);
    staff.check(&form)?;
    let new = NewAuthorizationUrl {
        products: form.all("products"),
        acqp_name: form.get("acqpName").to_owned(),
        acqp_email: form.get("acqpEmail").to_owned(),
        mail: form.get("mail") == "yes",
    };
    match hub.generate_authorization_url(&id, &staff.user.email, &new) {
        Ok(generated) => {
            hub.deliver_authorization_mail(&generated.mail_ids).await?;
            let notice = if new.mail {
                "Authorization URL generated and mailed to the ACQP."
            } else {
                "Authorization URL generated: copy it to the ACQP."
            };
            let mut tab = tab_of(&hub, &staff, &project, notice)?;
            tab.fresh_for = format!(
                "{} ({})",
                generated.authorization_url.acqp_name, generated.authorization_url.acqp_email
            );
            tab.fresh_expires = when(&generated.expires_at);
            tab.fresh_url = generated.url;
            Ok(page(&tab)?.into_response())
        }
        Err(error) => {
            // A bound reached is said on the form, kept as typed, with its own status.
            let (status, error) = match error {
                HubError::Refused {
                    code: "TOO_MANY_PENDING_URLS",
                    message,
                } => (StatusCode::CONFLICT, HubError::Conflict(message)),
                HubError::Limited { message, .. } => {
                    (StatusCode::TOO_MANY_REQUESTS, HubError::Conflict(message))
                }
                other => (StatusCode::UNPROCESSABLE_ENTITY, other),
            };
            let fields = ["products", "acqpName", "acqpEmail"];
            let errors = Errors::from_hub(error, &fields, "products")?;
            let mut tab = tab_of(&hub, &staff, &project, "")?;
            tab.form = form;
            tab.errors = errors;
            Ok((status, page(&tab)?).into_response())
        }
    }
}

async fn revoke_url(
    State(hub): State<Arc<Hub>>,
    staff: Staff,
    Path((id, url)): Path<(String, String)>,
    body: Bytes,
) -> Result<Page, PageError> {
    let project = staff.project(&hub, &id)?;
    staff.check(&FormData::parse(&body))?;
    hub.revoke_authorization_url(&id, &url)?;
    page(&tab_of(
        &hub,
        &staff,
        &project,
        "The authorization URL is revoked: it no longer works.",
    )?)
}

#[derive(Template)]
#[template(path = "console/authorize.html")]
struct AuthorizePage {
    frame: Frame,
    offer: AuthorizationOffer,
    token: String,
    scope: String,
    expires: String,
    /// `review` (signed in as the right ACQP), `sign-in` or `create` (no account yet).
    mode: &'static str,
    terms: &'static str,
    errors: Errors,
    /// Authorized: the result page.
    done: bool,
}

fn authorize_page_of(
    frame: Frame,
    offer: AuthorizationOffer,
    token: &str,
    mode: &'static str,
    errors: Errors,
) -> AuthorizePage {
    AuthorizePage {
        frame,
        scope: product_labels(&offer.products),
        expires: when(&offer.expires_at),
        offer,
        token: token.to_owned(),
        mode,
        terms: AUTHORIZATION_TERMS,
        errors,
        done: false,
    }
}

/// The page of someone not signed in: sign in, or create the ACQP account of the URL's email.
fn signed_out_page(
    hub: &Hub,
    headers: &HeaderMap,
    offer: AuthorizationOffer,
    token: &str,
    errors: Errors,
) -> Result<Response, PageError> {
    let mode = if hub.console_account_exists(&offer.acqp_email)? {
        "sign-in"
    } else {
        "create"
    };
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let mut response = anonymous(hub, headers, |csrf| {
        page(&authorize_page_of(
            anonymous_frame("Authorize", csrf),
            offer,
            token,
            mode,
            errors,
        ))
    })?;
    *response.status_mut() = status;
    Ok(response)
}

async fn authorize_page(
    State(hub): State<Arc<Hub>>,
    headers: HeaderMap,
    Path(token): Path<String>,
) -> Result<Response, PageError> {
    let offer = hub.authorization_offer(&token)?;
    let session = console_cookie(&hub, &headers, SESSION_COOKIE)
        .and_then(|t| hub.console_user(t).ok().map(|user| (user, session_csrf(t))));
    match session {
        Some((user, csrf)) => {
            let offer = hub.authorization_offer_for(&token, &user)?;
            let staff = Staff { user, csrf };
            let frame = Frame::plain(&staff, "Authorize");
            Ok(page(&authorize_page_of(
                frame,
                offer,
                &token,
                "review",
                Errors::default(),
            ))?
            .into_response())
        }
        None => signed_out_page(&hub, &headers, offer, &token, Errors::default()),
    }
}

/// Signs in (or creates the ACQP account of the URL's email, then signs in) and comes back to
/// the URL.
async fn authorize_sign_in(
    hub: Arc<Hub>,
    client: Option<std::net::IpAddr>,
    headers: HeaderMap,
    token: String,
    body: Bytes,
    create: bool,
) -> Result<Response, PageError> {
    let form = FormData::parse(&body);
    check_anonymous_csrf(&hub, &headers, &form)?;
    let offer = hub.authorization_offer(&token)?;
    let (email, password) = (offer.acqp_email.clone(), form.get("password").to_owned());
    let turn = hub.password_turn().await?;
    let attempt = blocking(&hub, move |hub| {
        let _turn = turn;
        if create {
            hub.create_acqp_user(&email, &password)?;
        }
        hub.console_sign_in(&email, &password, client)
    })
    .await;
    match attempt {
        Ok(login) => Ok(signed_in(
            &hub,
            &login.token,
            &format!("/console/authorize/{token}"),
        )),
        Err(HubError::Denied { message, .. }) => signed_out_page(
            &hub,
            &headers,
            offer,
            &token,
            Errors::one("password", message),
        ),
        Err(HubError::Invalid { message, .. }) => signed_out_page(
            &hub,
            &headers,
            offer,
            &token,
            Errors::one("password", message),
        ),
        Err(other) => Err(other.into()),
    }
}

async fn sign_in_here(
    State(hub): State<Arc<Hub>>,
    ClientAddress(client): ClientAddress,
    headers: HeaderMap,
    Path(token): Path<String>,
    body: Bytes,
) -> Result<Response, PageError> {
    authorize_sign_in(hub, client, headers, token, body, false).await
}

async fn create_account_here(
    State(hub): State<Arc<Hub>>,
    ClientAddress(client): ClientAddress,
    headers: HeaderMap,
    Path(token): Path<String>,
    body: Bytes,
) -> Result<Response, PageError> {
    authorize_sign_in(hub, client, headers, token, body, true).await
}

/// Authorize (with the terms accepted) or Skip (come back later by the same URL).
async fn decide(
    State(hub): State<Arc<Hub>>,
    Signed(staff): Signed,
    Path(token): Path<String>,
    body: Bytes,
) -> Result<Response, PageError> {
    let form = FormData::parse(&body);
    staff.check(&form)?;
    if form.get("action") == "skip" {
        hub.authorization_offer_for(&token, &staff.user)?;
        return Ok(Redirect::to("/console/authorizations?skipped=1").into_response());
    }
    let frame = Frame::plain(&staff, "Authorize");
    match hub.authorize(&token, &staff.user, form.get("terms") == "accept") {
        Ok((authorization, mail_ids)) => {
            hub.deliver_authorization_mail(&mail_ids).await?;
            let offer = AuthorizationOffer {
                url_id: String::new(),
                project_id: authorization.project_id.clone(),
                project_name: authorization.project_name.clone(),
                client_id: hub.project(&authorization.project_id)?.client_id,
                products: authorization.products.clone(),
                acqp_name: authorization.acqp_name.clone(),
                acqp_email: authorization.acqp_email.clone(),
                expires_at: authorization.created_at,
            };
            let mut done = authorize_page_of(frame, offer, &token, "review", Errors::default());
            done.done = true;
            done.frame.title = "Authorized".to_owned();
            Ok(page(&done)?.into_response())
        }
        Err(HubError::Invalid { field, message }) if field == "terms" => {
            let offer = hub.authorization_offer_for(&token, &staff.user)?;
            let errors = Errors::one("terms", message);
            let again = authorize_page_of(frame, offer, &token, "review", errors);
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page(&again)?).into_response())
        }
        Err(other) => Err(other.into()),
    }
}

/// An authorization as the ACQP's page shows it.
struct AcqpRow {
    id: String,
    project_name: String,
    products: String,
    status: &'static str,
    status_class: &'static str,
    since: String,
    active: bool,
    /// (code, label, in scope now) of each product the URL offered.
    offered: Vec<(String, String, bool)>,
}

fn acqp_row(a: AcqpAuthorization) -> AcqpRow {
    let (status, status_class) = status_of(a.is_active());
    AcqpRow {
        products: product_labels(&a.products),
        since: when(&a.changed_at),
        active: a.is_active(),
        offered: a
            .offered_products
            .iter()
            .map(|code| (code.clone(), product_label(code), a.products.contains(code)))
            .collect(),
        id: a.id,
        project_name: a.project_name,
        status,
        status_class,
    }
}

#[derive(Template)]
#[template(path = "console/authorizations.html")]
struct AuthorizationsPage {
    frame: Frame,
    rows: Vec<AcqpRow>,
    search: String,
    problem: String,
}

fn authorizations_of(
    hub: &Hub,
    staff: &Staff,
    search: &str,
    notice: &str,
    problem: &str,
) -> Result<AuthorizationsPage, PageError> {
    let rows = hub
        .acqp_authorizations(&staff.user, search)?
        .into_iter()
        .map(acqp_row)
        .collect();
    Ok(AuthorizationsPage {
        frame: Frame::plain(staff, "Your authorizations").notice(notice),
        rows,
        search: search.trim().chars().take(MAX_SEARCH).collect(),
        problem: problem.to_owned(),
    })
}

async fn authorizations_page(
    State(hub): State<Arc<Hub>>,
    AcqpUser(staff): AcqpUser,
    RawQuery(query): RawQuery,
) -> Result<Page, PageError> {
    let query = FormData::parse(query.unwrap_or_default().as_bytes());
    let notice = if query.get("skipped") == "1" {
        "Skipped: nothing was authorized. The authorization link still works until it is used or expires: open it again to decide."
    } else {
        ""
    };
    page(&authorizations_of(
        &hub,
        &staff,
        query.get("q"),
        notice,
        "",
    )?)
}

/// The outcome of a change on the ACQP's page: the page with a notice, or with the refusal.
async fn after_change(
    hub: &Hub,
    staff: &Staff,
    changed: Result<(AcqpAuthorization, Vec<String>), HubError>,
    notice: impl FnOnce(&AcqpAuthorization) -> String,
) -> Result<Response, PageError> {
    match changed {
        Ok((authorization, mail_ids)) => {
            hub.deliver_authorization_mail(&mail_ids).await?;
            let told = if mail_ids.is_empty() {
                format!(
                    "the TSP sees it on its Authorization tab, but was not mailed: at most \
                     {MAX_CHANGE_NOTICES_PER_HOUR} changes of an authorization are mailed an hour."
                )
            } else {
                "the TSP was told.".to_owned()
            };
            let text = format!("{} {told}", notice(&authorization));
            Ok(page(&authorizations_of(hub, staff, "", &text, "")?)?.into_response())
        }
        Err(HubError::Invalid { message, .. }) => {
            let again = authorizations_of(hub, staff, "", "", &message)?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page(&again)?).into_response())
        }
        Err(HubError::Conflict(message)) => {
            let again = authorizations_of(hub, staff, "", "", &message)?;
            Ok((StatusCode::CONFLICT, page(&again)?).into_response())
        }
        Err(other) => Err(other.into()),
    }
}

async fn cancel(
    State(hub): State<Arc<Hub>>,
    AcqpUser(staff): AcqpUser,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, PageError> {
    staff.check(&FormData::parse(&body))?;
    let changed = hub.cancel_acqp_authorization(&staff.user, &id);
    after_change(&hub, &staff, changed, |a| {
        format!(
            "The authorization of {} is cancelled (Inactive):",
            a.project_name
        )
    })
    .await
}

async fn change_scope(
    State(hub): State<Arc<Hub>>,
    AcqpUser(staff): AcqpUser,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, PageError> {
    let form = FormData::parse(&body);
    staff.check(&form)?;
    let changed = hub.change_authorization_scope(&staff.user, &id, &form.all("products"));
    after_change(&hub, &staff, changed, |a| {
        format!(
            "The scope of {}'s authorization is now {}:",
            a.project_name,
            product_labels(&a.products)
        )
    })
    .await
}

/// The routes of the TSP's Authorization tab, the authorization URL and the ACQP's page.
pub(super) fn routes() -> Router<Arc<Hub>> {
    Router::new()
        .route(
            "/projects/{id}/authorization",
            get(authorization_tab).post(generate),
        )
        .route(
            "/projects/{id}/authorization/urls/{url}/revoke",
            post(revoke_url),
        )
        .route("/authorize/{token}", get(authorize_page).post(decide))
        .route("/authorize/{token}/sign-in", post(sign_in_here))
        .route("/authorize/{token}/account", post(create_account_here))
        .route("/authorizations", get(authorizations_page))
        .route("/authorizations/{id}/cancel", post(cancel))
        .route("/authorizations/{id}/scope", post(change_scope))
}
