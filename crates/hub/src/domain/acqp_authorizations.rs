//! The ACQP's authorization of a TSP's application, as the Alipay+ TSP quick start has it.
//!
//! Once the project's sandbox acceptance has passed (the one gate,
//! [`Hub::acceptance_passed_products`]), a TSP member generates an **authorization URL**
//! (`/console/authorize/{token}`): the products offered (a subset of the passed ones) and the
//! ACQP named by organisation and the email of the person who will authorize. The token is
//! random, stored as its SHA-256, used once, and expires [`AUTHORIZATION_URL_LIFETIME`] after it
//! was made (on the injected clock); the TSP may revoke it before. Only an ACQP's console user
//! with the URL's email may use it ([`Hub::authorization_offer_for`]); Authorize makes an
//! **authorization** (Active) with its own Agent-Token (`agt_...`) and consumes the URL. The
//! ACQP who authorized may cancel it (Inactive) or change its scope within the products the URL
//! offered; another user gets "not found". The project's members are mailed on each change (the
//! authorization mail outbox, sent by the mail layer like the invitation mail), the ACQP when the
//! TSP asks for the URL to be mailed. [`Hub::active_authorization_token`] is what the gateway's
//! Agent-Token check asks about an authorization's token.
//!
//! What one client can make the hub hold or send is bounded (on the injected clock): a project's
//! pending URLs ([`MAX_PENDING_URLS`]), URLs generated a day ([`MAX_URLS_PER_DAY`]) and mailed
//! an hour and a day ([`MAX_URL_MAIL`]), and the change notices one authorization mails an hour
//! ([`MAX_CHANGE_NOTICES_PER_HOUR`]; a change past them is applied, unmailed).

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use crate::Hub;
use crate::domain::admin_credential::token_hash;
use crate::domain::console_users::{ConsoleRole, ConsoleUser};
use crate::domain::merchants::MAIL_LEASE;
use crate::error::HubError;
use crate::store::Db;
use crate::store::StoreError;
use crate::store::acqp_authorizations::{
    AcqpAuthorizationRow, AuthorizationMailRow, AuthorizationUrlRow,
};
use crate::store::invitation_mail::{MailChannel, MailStatus};

/// How long an authorization URL works once generated.
pub const AUTHORIZATION_URL_LIFETIME: Duration = Duration::days(7);

/// The terms the ACQP accepts when it authorizes (a fixed text: this is a sandbox).
pub const AUTHORIZATION_TERMS: &str = "By authorizing, the ACQP allows this TSP to call the \
    Alipay+ API on its behalf for the products in scope, with the Agent-Token issued for this \
    authorization, until the ACQP cancels it. The ACQP may change the scope or cancel at any time \
    on its Authorizations page; the TSP is told of every change. This is Linker's sandbox: no \
    real contract or money is involved.";

/// The longest ACQP organisation name accepted.
const MAX_NAME: usize = 100;

/// The most entries a list of products may have (the catalogue has fewer products).
const MAX_PRODUCT_ENTRIES: usize = 20;

/// The longest search the ACQP's Authorizations page looks for (longer is cut).
pub const MAX_SEARCH: usize = 100;

/// How long an unused authorization URL (revoked or expired) and a sent authorization mail are
/// kept after they were made.
pub const AUTHORIZATION_KEPT: Duration = Duration::days(30);

/// The most pending (unused, unrevoked, unexpired) authorization URLs a project holds.
pub const MAX_PENDING_URLS: u32 = 20;

/// The most authorization URLs a project generates in 24 hours.
pub const MAX_URLS_PER_DAY: usize = 100;

/// The most authorization URLs a project mails in an hour, and in 24 hours.
pub const MAX_URL_MAIL: [(usize, Duration); 2] =
    [(10, Duration::hours(1)), (50, Duration::days(1))];

/// The most change notices (each mailed to every member of the project) one authorization
/// sends in an hour; a change past them is applied all the same, without mail.
pub const MAX_CHANGE_NOTICES_PER_HOUR: u32 = 5;

/// What a TSP member asks for: an authorization URL for an ACQP.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NewAuthorizationUrl {
    /// The products offered (product codes, e.g. `UPM`): a subset of the passed products.
    pub products: Vec<String>,
    /// The ACQP's organisation.
    pub acqp_name: String,
    /// The email of the ACQP's person who will authorize.
    pub acqp_email: String,
    /// Mail the URL to that email (SMTP or the outbox); default false.
    #[serde(default)]
    pub mail: bool,
}

/// An authorization URL as the TSP sees it (the URL itself only when generated).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AuthorizationUrl {
    /// The hub's id (`azu_...`).
    pub id: String,
    /// The products offered.
    pub products: Vec<String>,
    /// The ACQP's organisation.
    pub acqp_name: String,
    /// The ACQP's person's email.
    pub acqp_email: String,
    /// Who generated it.
    pub created_by: String,
    /// When it was generated.
    pub created_at: DateTime<Utc>,
    /// When it stops working.
    pub expires_at: DateTime<Utc>,
    /// `PENDING`, `USED`, `EXPIRED` or `REVOKED`.
    pub status: &'static str,
}

/// A URL just generated: the only time the URL is shown.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct GeneratedUrl {
    /// The URL to give the ACQP.
    pub url: String,
    /// When it stops working.
    pub expires_at: DateTime<Utc>,
    /// The URL as listed.
    pub authorization_url: AuthorizationUrl,
    /// The mail queued with it, if it was to be mailed.
    #[serde(skip)]
    pub mail_ids: Vec<String>,
}

/// An ACQP's authorization of a project.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AcqpAuthorization {
    /// The hub's id (`aza_...`).
    pub id: String,
    /// The TSP's project.
    pub project_id: String,
    /// The project's name.
    pub project_name: String,
    /// The ACQP's organisation.
    pub acqp_name: String,
    /// The ACQP's person who authorized.
    pub acqp_email: String,
    /// The products the URL offered (the scope may change within them).
    pub offered_products: Vec<String>,
    /// The products authorized now.
    pub products: Vec<String>,
    /// `ACTIVE` or `INACTIVE` (cancelled by the ACQP).
    pub status: &'static str,
    /// The Agent-Token the TSP sends with calls under this authorization.
    pub agent_token: String,
    /// When it was authorized.
    pub created_at: DateTime<Utc>,
    /// When it last changed.
    pub changed_at: DateTime<Utc>,
}

impl AcqpAuthorization {
    /// True while Active.
    pub fn is_active(&self) -> bool {
        self.status == "ACTIVE"
    }
}

/// A project's authorizations and its authorization URLs, newest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ProjectAuthorizations {
    /// Each ACQP's authorization.
    pub authorizations: Vec<AcqpAuthorization>,
    /// The URLs generated.
    pub urls: Vec<AuthorizationUrl>,
}

/// What an authorization URL offers, as the ACQP sees it before authorizing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthorizationOffer {
    /// The URL's id.
    pub url_id: String,
    /// The TSP's project (its name is the TSP's application as the ACQP sees it).
    pub project_id: String,
    /// The project's name.
    pub project_name: String,
    /// The application's Client-Id.
    pub client_id: String,
    /// The products offered.
    pub products: Vec<String>,
    /// The ACQP's organisation.
    pub acqp_name: String,
    /// The email of the ACQP's person who may use it.
    pub acqp_email: String,
    /// When it stops working.
    pub expires_at: DateTime<Utc>,
}

/// An authorization mail, as the TSP's Authorization tab lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AuthorizationMail {
    /// The mail's id.
    pub id: String,
    /// Where it goes.
    pub recipient: String,
    /// Its subject.
    pub subject: String,
    /// Its text.
    pub body: String,
    /// `queued`, `sent`, `outbox` or `failed`.
    pub status: String,
    /// Why delivery failed.
    pub error: Option<String>,
    /// When it was written.
    pub created_at: DateTime<Utc>,
}

fn url_view(row: &AuthorizationUrlRow, now: DateTime<Utc>) -> AuthorizationUrl {
    let status = if row.used_at.is_some() {
        "USED"
    } else if row.revoked_at.is_some() {
        "REVOKED"
    } else if now >= row.expires_at {
        "EXPIRED"
    } else {
        "PENDING"
    };
    AuthorizationUrl {
        id: row.id.clone(),
        products: row.products.clone(),
        acqp_name: row.acqp_name.clone(),
        acqp_email: row.acqp_email.clone(),
        created_by: row.created_by.clone(),
        created_at: row.created_at,
        expires_at: row.expires_at,
        status,
    }
}

fn authorization_view(row: AcqpAuthorizationRow, project_name: String) -> AcqpAuthorization {
    AcqpAuthorization {
        id: row.id,
        project_id: row.project_id,
        project_name,
        acqp_name: row.acqp_name,
        acqp_email: row.acqp_email,
        offered_products: row.offered,
        products: row.products,
        status: if row.active { "ACTIVE" } else { "INACTIVE" },
        agent_token: row.agent_token,
        created_at: row.created_at,
        changed_at: row.changed_at,
    }
}

/// The products asked for, checked against those allowed: known codes, at least one, each
/// allowed, in the allowed list's order, once each.
fn scope(asked: &[String], allowed: &[String], field: &str) -> Result<Vec<String>, HubError> {
    if asked.len() > MAX_PRODUCT_ENTRIES {
        return Err(HubError::invalid(
            field,
            format!("at most {MAX_PRODUCT_ENTRIES} products, each once"),
        ));
    }
    let asked: Vec<String> = asked
        .iter()
        .map(|code| code.trim().to_ascii_uppercase())
        .filter(|code| !code.is_empty())
        .collect();
    if asked.is_empty() {
        return Err(HubError::invalid(field, "choose at least one product"));
    }
    if let Some(stray) = asked.iter().find(|code| !allowed.contains(code)) {
        return Err(HubError::invalid(
            field,
            format!(
                "{stray:?} cannot be authorized here: choose among {}",
                allowed.join(", ")
            ),
        ));
    }
    Ok(allowed
        .iter()
        .filter(|code| asked.contains(code))
        .cloned()
        .collect())
}

/// Refuses a new authorization URL past the project's bounds: [`MAX_PENDING_URLS`] pending,
/// [`MAX_URLS_PER_DAY`] generated, and (when it is to be mailed) [`MAX_URL_MAIL`] mailed.
fn url_allowance(
    db: Db<'_>,
    project_id: &str,
    mail: bool,
    now: DateTime<Utc>,
) -> Result<(), HubError> {
    let urls = db.authorization_urls();
    if urls.pending(project_id, now)? >= MAX_PENDING_URLS {
        return Err(refused(
            "TOO_MANY_PENDING_URLS",
            &format!(
                "this project already has {MAX_PENDING_URLS} pending authorization URLs (neither \
                 used, revoked nor expired): revoke one first on the Authorization tab"
            ),
        ));
    }
    let made = urls.made_since(project_id, now - Duration::days(1))?;
    // The allowance has room again once the oldest counted URL leaves its window.
    let retry_after = |times: &[DateTime<Utc>], window: Duration| {
        times
            .first()
            .map_or(1, |oldest| (*oldest + window - now).num_seconds().max(1))
    };
    let times: Vec<DateTime<Utc>> = made.iter().map(|(at, _)| *at).collect();
    if times.len() >= MAX_URLS_PER_DAY {
        return Err(HubError::Limited {
            code: "AUTHORIZATION_URL_LIMIT",
            message: format!(
                "this project generated {MAX_URLS_PER_DAY} authorization URLs in the last 24 \
                 hours, the most it may: try again in {} minutes",
                minutes(retry_after(&times, Duration::days(1)))
            ),
            retry_after: retry_after(&times, Duration::days(1)),
        });
    }
    if mail {
        for (most, window) in MAX_URL_MAIL {
            let mailed: Vec<DateTime<Utc>> = made
                .iter()
                .filter(|(at, mailed)| *mailed && *at > now - window)
                .map(|(at, _)| *at)
                .collect();
            if mailed.len() >= most {
                let wait = retry_after(&mailed, window);
                return Err(HubError::Limited {
                    code: "AUTHORIZATION_MAIL_LIMIT",
                    message: format!(
                        "this project mailed {most} authorization URLs in the last {}, the most \
                         it may: generate the URL without mailing it and send it yourself, or \
                         try again in {} minutes",
                        if window == Duration::hours(1) {
                            "hour"
                        } else {
                            "24 hours"
                        },
                        minutes(wait)
                    ),
                    retry_after: wait,
                });
            }
        }
    }
    Ok(())
}

/// Seconds as whole minutes, rounded up.
fn minutes(seconds: i64) -> i64 {
    (seconds + 59) / 60
}

/// Why an authorization URL is refused, by its stable code.
fn refused(code: &'static str, message: &str) -> HubError {
    HubError::refused(code, message)
}

impl Hub {
    /// Generates an authorization URL for a project whose acceptance has passed; `by` names who
    /// (a console user's email, or `admin API`). Mailed to the ACQP when asked (queued here,
    /// sent by [`Hub::deliver_authorization_mail`] or the mail sweep).
    pub fn generate_authorization_url(
        &self,
        project_id: &str,
        by: &str,
        new: &NewAuthorizationUrl,
    ) -> Result<GeneratedUrl, HubError> {
        let project = self.project(project_id)?;
        let Some(passed) = self.acceptance_passed_products(project_id)? else {
            return Err(HubError::refused(
                "ACCEPTANCE_NOT_PASSED",
                "sandbox acceptance testing has not passed yet: pass every required case of the \
                 project's products on the Acceptance page before inviting an ACQP to authorize",
            ));
        };
        let products = scope(&new.products, &passed, "products")?;
        let acqp_name = new.acqp_name.trim().to_owned();
        if acqp_name.is_empty()
            || acqp_name.chars().count() > MAX_NAME
            || acqp_name.contains(char::is_control)
        {
            return Err(HubError::invalid(
                "acqpName",
                format!(
                    "give the ACQP's organisation name (1 to {MAX_NAME} characters, on one line)"
                ),
            ));
        }
        let acqp_email = crate::domain::merchants::check_email(&new.acqp_email)
            .map_err(|_| HubError::invalid("acqpEmail", "give the email of the ACQP's person"))?;
        let existing = self
            .store
            .db(|db| db.console_users().role_by_email(&acqp_email))?;
        if let Some((_, ConsoleRole::Tsp)) = existing {
            return Err(HubError::invalid(
                "acqpEmail",
                format!(
                    "{acqp_email} is a TSP staff account on this hub: the ACQP's person \
                     authorizes with an ACQP account, under an email of its own"
                ),
            ));
        }
        let token = self.ids.secret();
        let now = self.clock.now();
        let row = AuthorizationUrlRow {
            id: self.ids.alphanumeric("azu_", 12),
            token_hash: token_hash(&token),
            project_id: project_id.to_owned(),
            products,
            acqp_name,
            acqp_email,
            created_by: by.to_owned(),
            created_at: now,
            expires_at: now + AUTHORIZATION_URL_LIFETIME,
            used_at: None,
            revoked_at: None,
            mailed: new.mail,
        };
        let url = format!("{}/console/authorize/{token}", self.public_url());
        let mail = new.mail.then(|| {
            let (subject, body) = url_mail(&project.name, &row, &url);
            self.authorization_mail_row(project_id, &row.acqp_email, subject, body, now)
        });
        self.store.transaction(|db| {
            url_allowance(db, project_id, new.mail, now)?;
            db.authorization_urls().insert(&row)?;
            if let Some(mail) = &mail {
                db.authorization_mail().insert(mail)?;
            }
            Ok::<_, HubError>(())
        })?;
        Ok(GeneratedUrl {
            url,
            expires_at: row.expires_at,
            authorization_url: url_view(&row, now),
            mail_ids: mail.into_iter().map(|m| m.id).collect(),
        })
    }

    /// A project's authorizations and URLs, newest first.
    pub fn project_authorizations(
        &self,
        project_id: &str,
    ) -> Result<ProjectAuthorizations, HubError> {
        let project = self.project(project_id)?;
        let now = self.clock.now();
        let (authorizations, urls) = self.store.db(|db| {
            Ok::<_, StoreError>((
                db.acqp_authorizations().of_project(project_id)?,
                db.authorization_urls().of_project(project_id)?,
            ))
        })?;
        Ok(ProjectAuthorizations {
            authorizations: authorizations
                .into_iter()
                .map(|row| authorization_view(row, project.name.clone()))
                .collect(),
            urls: urls.iter().map(|row| url_view(row, now)).collect(),
        })
    }

    /// Revokes a project's pending authorization URL (not found when it has none such).
    pub fn revoke_authorization_url(&self, project_id: &str, url_id: &str) -> Result<(), HubError> {
        let now = self.clock.now();
        if self
            .store
            .db(|db| db.authorization_urls().revoke(project_id, url_id, now))?
        {
            Ok(())
        } else {
            Err(HubError::NotFound(format!(
                "pending authorization URL {url_id}"
            )))
        }
    }

    /// What an authorization URL's token offers, while it can still be used: refused as
    /// `AUTHORIZATION_URL_INVALID` (unknown or revoked), `AUTHORIZATION_URL_USED` or
    /// `AUTHORIZATION_URL_EXPIRED`.
    pub fn authorization_offer(&self, token: &str) -> Result<AuthorizationOffer, HubError> {
        // Only the hub's own shape (64 hex digits) is looked up, so a URL that names a token
        // is always the one generated.
        let well_formed = token.len() == 64 && token.bytes().all(|b| b.is_ascii_hexdigit());
        let found = if well_formed {
            let hash = token_hash(token);
            self.store
                .db(|db| db.authorization_urls().by_token_hash(&hash))?
        } else {
            None
        };
        let Some(row) = found else {
            return Err(refused(
                "AUTHORIZATION_URL_INVALID",
                "this authorization URL is not known: check that it was copied whole",
            ));
        };
        if row.used_at.is_some() {
            return Err(refused(
                "AUTHORIZATION_URL_USED",
                "this authorization URL was already used: an authorization URL works once. \
                 Open your Authorizations page to see what you authorized",
            ));
        }
        if row.revoked_at.is_some() {
            return Err(refused(
                "AUTHORIZATION_URL_INVALID",
                "this authorization URL was revoked by the TSP: ask it for a new one",
            ));
        }
        if self.clock.now() >= row.expires_at {
            return Err(refused(
                "AUTHORIZATION_URL_EXPIRED",
                "this authorization URL expired: ask the TSP for a new one",
            ));
        }
        let project = self.project(&row.project_id)?;
        Ok(AuthorizationOffer {
            url_id: row.id,
            project_id: row.project_id,
            project_name: project.name,
            client_id: project.client_id,
            products: row.products,
            acqp_name: row.acqp_name,
            acqp_email: row.acqp_email,
            expires_at: row.expires_at,
        })
    }

    /// What the URL offers to this user: refused (403) to TSP staff and to an ACQP's user other
    /// than the one it names.
    pub fn authorization_offer_for(
        &self,
        token: &str,
        user: &ConsoleUser,
    ) -> Result<AuthorizationOffer, HubError> {
        let offer = self.authorization_offer(token)?;
        if !user.is_acqp() {
            return Err(HubError::Forbidden(format!(
                "this authorization URL is for the ACQP {} ({}): TSP staff cannot use it. Send it \
                 to the ACQP; its person signs in with an ACQP account (sign out first to do so \
                 in this browser)",
                offer.acqp_name, offer.acqp_email
            )));
        }
        if user.email != offer.acqp_email {
            return Err(HubError::Forbidden(format!(
                "this authorization URL was sent to {}, and you are signed in as {}: only {} can \
                 use it",
                offer.acqp_email, user.email, offer.acqp_email
            )));
        }
        Ok(offer)
    }

    /// The ACQP authorizes what the URL offers: an Active authorization with its own
    /// Agent-Token; the URL is used up. The project's members are mailed (queued; the mail ids
    /// are returned for the caller to send at once).
    pub fn authorize(
        &self,
        token: &str,
        user: &ConsoleUser,
        accepted_terms: bool,
    ) -> Result<(AcqpAuthorization, Vec<String>), HubError> {
        let offer = self.authorization_offer_for(token, user)?;
        if !accepted_terms {
            return Err(HubError::invalid(
                "terms",
                "accept the terms to authorize (tick \"I accept the terms\")",
            ));
        }
        let now = self.clock.now();
        let agent_token = self.ids.alphanumeric("agt_", 32);
        let row = AcqpAuthorizationRow {
            id: self.ids.alphanumeric("aza_", 12),
            project_id: offer.project_id.clone(),
            url_id: offer.url_id.clone(),
            user_id: user.id.clone(),
            acqp_name: offer.acqp_name.clone(),
            acqp_email: user.email.clone(),
            offered: offer.products.clone(),
            products: offer.products.clone(),
            agent_token_hash: token_hash(&agent_token),
            agent_token,
            active: true,
            created_at: now,
            changed_at: now,
        };
        let change = format!("authorized {}", offer.products.join(", "));
        let mail_ids = self.store.transaction(|db| {
            if !db.authorization_urls().mark_used(&offer.url_id, now)? {
                return Err(refused(
                    "AUTHORIZATION_URL_USED",
                    "this authorization URL was already used (an authorization URL works once), \
                     revoked or expired meanwhile",
                ));
            }
            db.acqp_authorizations().insert(&row)?;
            self.queue_change_mail(db, &offer.project_name, &row, &change, now)
        })?;
        Ok((authorization_view(row, offer.project_name), mail_ids))
    }

    /// The ACQP user's authorizations, newest first, those whose project name or products match
    /// `search` (case-insensitive, its first [`MAX_SEARCH`] characters; empty matches all).
    pub fn acqp_authorizations(
        &self,
        user: &ConsoleUser,
        search: &str,
    ) -> Result<Vec<AcqpAuthorization>, HubError> {
        let rows = self
            .store
            .db(|db| db.acqp_authorizations().of_user(&user.id))?;
        let needle: String = search.trim().chars().take(MAX_SEARCH).collect();
        let needle = needle.to_lowercase();
        let mut found = Vec::new();
        for row in rows {
            let project = self.project(&row.project_id)?;
            let view = authorization_view(row, project.name);
            let haystack = format!(
                "{} {} {}",
                view.project_name,
                view.products.join(" "),
                view.products
                    .iter()
                    .map(|code| linker_cases::Product::from_code(code).map_or("", |p| p.name()))
                    .collect::<Vec<_>>()
                    .join(" ")
            )
            .to_lowercase();
            if needle.is_empty() || haystack.contains(&needle) {
                found.push(view);
            }
        }
        Ok(found)
    }

    /// The ACQP cancels its authorization (Inactive); the project's members are mailed.
    pub fn cancel_acqp_authorization(
        &self,
        user: &ConsoleUser,
        id: &str,
    ) -> Result<(AcqpAuthorization, Vec<String>), HubError> {
        self.change_authorization(user, id, |row| {
            if !row.active {
                return Err(HubError::Conflict(
                    "this authorization is already cancelled".to_owned(),
                ));
            }
            Ok((
                false,
                row.products.clone(),
                "cancelled the authorization".to_owned(),
            ))
        })
    }

    /// The ACQP changes its authorization's scope: at least one of the products the URL
    /// offered; the project's members are mailed.
    pub fn change_authorization_scope(
        &self,
        user: &ConsoleUser,
        id: &str,
        products: &[String],
    ) -> Result<(AcqpAuthorization, Vec<String>), HubError> {
        self.change_authorization(user, id, |row| {
            if !row.active {
                return Err(HubError::Conflict(
                    "this authorization is cancelled: its scope no longer changes".to_owned(),
                ));
            }
            let products = scope(products, &row.offered, "products")?;
            let change = format!(
                "changed the scope from {} to {}",
                row.products.join(", "),
                products.join(", ")
            );
            Ok((true, products, change))
        })
    }

    /// One change of an authorization by the ACQP user who made it (anyone else: not found).
    /// The project's members are mailed about at most [`MAX_CHANGE_NOTICES_PER_HOUR`] changes of
    /// it an hour; past that the mail ids returned are empty.
    fn change_authorization(
        &self,
        user: &ConsoleUser,
        id: &str,
        change: impl FnOnce(&AcqpAuthorizationRow) -> Result<(bool, Vec<String>, String), HubError>,
    ) -> Result<(AcqpAuthorization, Vec<String>), HubError> {
        let now = self.clock.now();
        let (row, mail_ids) = self.store.transaction(|db| {
            let found = db.acqp_authorizations().get(id)?;
            let Some(row) = found.filter(|row| row.user_id == user.id && user.is_acqp()) else {
                return Err(HubError::NotFound(format!("authorization {id}")));
            };
            let (active, products, what) = change(&row)?;
            db.acqp_authorizations()
                .update(&row.id, active, &products, now)?;
            let row = AcqpAuthorizationRow {
                active,
                products,
                changed_at: now,
                ..row
            };
            let project = db
                .projects()
                .get(&row.project_id)?
                .map(|p| p.name)
                .unwrap_or_default();
            // The change is applied whatever; its notice is mailed only within the allowance.
            let mail_ids = if db.acqp_authorizations().take_notice(
                &row.id,
                now,
                MAX_CHANGE_NOTICES_PER_HOUR,
            )? {
                self.queue_change_mail(db, &project, &row, &what, now)?
            } else {
                Vec::new()
            };
            Ok::<_, HubError>((row, mail_ids))
        })?;
        let project = self.project(&row.project_id)?;
        Ok((authorization_view(row, project.name), mail_ids))
    }

    /// Queues the mail that tells each of the project's members what the ACQP did.
    fn queue_change_mail(
        &self,
        db: Db<'_>,
        project_name: &str,
        row: &AcqpAuthorizationRow,
        what: &str,
        now: DateTime<Utc>,
    ) -> Result<Vec<String>, HubError> {
        let subject = format!(
            "{} {} for {project_name}",
            row.acqp_name,
            what.split(" from ").next().unwrap_or(what)
        );
        let body = format!(
            "Hello,\r\n\r\n{acqp} ({email}) {what} for {project_name}.\r\n\r\nStatus: {status}\r\n\
             Products: {products}\r\n\r\nThe Agent-Token of this authorization is on the \
             project's Authorization tab in the Linker console.\r\n",
            acqp = row.acqp_name,
            email = row.acqp_email,
            status = if row.active { "Active" } else { "Inactive" },
            products = row.products.join(", "),
        );
        let mut ids = Vec::new();
        for (_, email) in db.console_members().list(&row.project_id)? {
            let mail = self.authorization_mail_row(
                &row.project_id,
                &email,
                subject.clone(),
                body.clone(),
                now,
            );
            db.authorization_mail().insert(&mail)?;
            ids.push(mail.id);
        }
        Ok(ids)
    }

    fn authorization_mail_row(
        &self,
        project_id: &str,
        recipient: &str,
        subject: String,
        body: String,
        now: DateTime<Utc>,
    ) -> AuthorizationMailRow {
        AuthorizationMailRow {
            id: self.ids.alphanumeric("mail_", 12),
            project_id: project_id.to_owned(),
            recipient: recipient.to_owned(),
            subject,
            body,
            channel: MailChannel::Outbox,
            status: MailStatus::Queued,
            error: None,
            created_at: now,
            lease_until: Some(now + MAIL_LEASE),
            attempts: 0,
        }
    }

    /// A project's authorization mail, newest first.
    pub fn authorization_mail(&self, project_id: &str) -> Result<Vec<AuthorizationMail>, HubError> {
        let rows = self
            .store
            .db(|db| db.authorization_mail().of_project(project_id))?;
        Ok(rows
            .into_iter()
            .map(|row| AuthorizationMail {
                id: row.id,
                recipient: row.recipient,
                subject: row.subject,
                body: row.body,
                status: row.status.as_str().to_owned(),
                error: row.error,
                created_at: row.created_at,
            })
            .collect())
    }

    /// Deletes what the Authorization tab no longer needs once [`AUTHORIZATION_KEPT`] old: URLs
    /// never used (revoked or expired) and mail no longer queued. Run by the periodic sweep, so
    /// what a project generates and mails is held for a bounded time. How many rows went.
    pub fn sweep_authorizations(&self) -> Result<usize, HubError> {
        let now = self.clock.now();
        let cutoff = now - AUTHORIZATION_KEPT;
        Ok(self.store.transaction(|db| {
            Ok::<_, StoreError>(
                db.authorization_urls().delete_stale(cutoff, now)?
                    + db.authorization_mail().delete_settled(cutoff)?,
            )
        })?)
    }

    /// True when `token` is the Agent-Token of an Active ACQP authorization of the project
    /// (found by its SHA-256, so no comparison of the token itself leaks its time).
    pub fn active_authorization_token(
        &self,
        project_id: &str,
        token: &str,
    ) -> Result<bool, HubError> {
        let hash = token_hash(token);
        Ok(self
            .store
            .db(|db| db.acqp_authorizations().active_token(project_id, &hash))?)
    }
}

/// The mail that gives the ACQP its authorization URL.
fn url_mail(project_name: &str, row: &AuthorizationUrlRow, url: &str) -> (String, String) {
    let subject = format!(
        "{project_name} asks {} to authorize its application",
        row.acqp_name
    );
    let body = format!(
        "Hello,\r\n\r\n{project_name} integrates Alipay+ on behalf of {acqp} and asks you to \
         authorize its application for: {products}.\r\n\r\nOpen this link, sign in (or create \
         your ACQP account with this email, {email}), review the scope and authorize:\r\n\r\n\
         \x20 {url}\r\n\r\nThe link works once, until {expires}.\r\n",
        acqp = row.acqp_name,
        products = row.products.join(", "),
        email = row.acqp_email,
        expires = row.expires_at.format("%Y-%m-%d %H:%M UTC"),
    );
    (subject, body)
}
