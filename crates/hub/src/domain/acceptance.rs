//! Sandbox acceptance testing (TSP mode): the project's selected products, the required cases
//! of those products (`linker_cases::Catalogue::required_cases`), and the acceptance runs, which
//! are the TSP's own.
//!
//! Each project may have one *acceptance account*: a merchant row flagged as the TSP's
//! (`merchants.acceptance`), made on first use, never listed with the merchants (so neither the
//! Merchants page, Test Data nor its exports show it or its runs) and neither invited nor
//! revoked. Its runs are the acceptance runs: the same wallet core, evidence and verdicts as a
//! merchant's. Only the TSP opens it: a single-use sign-in ticket, valid for
//! [`TICKET_VALIDITY`], minted by a project member in the console or with the admin or project
//! token ([`Hub::acceptance_ticket`]), and exchanged by the wallet for a session
//! ([`Hub::sign_in_with_ticket`]).
//!
//! The status ([`Hub::acceptance`]): `NOT_STARTED` while no required case has an acceptance run
//! (or no product is selected), `PASSED` only when the *latest* acceptance run of every required
//! case passed (a later failed run of a case that had passed takes the pass back),
//! `IN_PROGRESS` otherwise.

use chrono::{DateTime, Duration, Utc};
use linker_cases::Product;
use serde::{Deserialize, Serialize};

use crate::Hub;
use crate::domain::admin_credential::token_hash;
use crate::domain::merchants::{Merchant, Session};
use crate::domain::runs::catalogue;
use crate::error::HubError;
use crate::store::StoreError;
use crate::store::merchants::{MerchantRow, MerchantStatus};
use crate::store::runs::RunStatus;

/// How long a sign-in ticket for the acceptance account stays valid.
pub const TICKET_VALIDITY: Duration = Duration::minutes(10);

/// The most live sign-in tickets an acceptance account holds: minting another withdraws the
/// oldest (the console's button always works; a link older than the last ten no longer does).
pub const MAX_LIVE_TICKETS: u32 = 10;

/// The acceptance account's MID when the TSP chooses none.
pub const DEFAULT_ACCEPTANCE_MID: &str = "TSP-ACCEPTANCE";

/// Why acceptance cannot run or pass while the project is not in TSP mode.
pub const TSP_MODE_NEEDED: &str = "acceptance runs with the Agent-Token on every Alipay+ call: \
    turn TSP mode on (Settings, Sandbox resources) and send the Agent-Token, then run the \
    required cases";

/// Where a project's sandbox acceptance testing stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum AcceptanceStatus {
    /// No acceptance run of a required case yet, or no product selected.
    NotStarted,
    /// Some required case has not passed in its latest acceptance run.
    InProgress,
    /// Every required case passed in its latest acceptance run.
    Passed,
}

impl AcceptanceStatus {
    /// `NOT_STARTED`, `IN_PROGRESS` or `PASSED`.
    pub fn as_str(self) -> &'static str {
        match self {
            AcceptanceStatus::NotStarted => "NOT_STARTED",
            AcceptanceStatus::InProgress => "IN_PROGRESS",
            AcceptanceStatus::Passed => "PASSED",
        }
    }

    /// For people: `Not started`, `In progress`, `Passed`.
    pub fn label(self) -> &'static str {
        match self {
            AcceptanceStatus::NotStarted => "Not started",
            AcceptanceStatus::InProgress => "In progress",
            AcceptanceStatus::Passed => "Passed",
        }
    }
}

/// The latest acceptance run of a required case.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AcceptanceRun {
    /// The run (`run_...`).
    pub run_id: String,
    /// `open`, `passed`, `failed`, `broken` or `skipped`.
    pub status: RunStatus,
    /// When it started.
    pub started_at: DateTime<Utc>,
    /// When it was decided.
    pub ended_at: Option<DateTime<Utc>>,
    /// The verdict's sentence, once decided.
    pub summary: Option<String>,
    /// The console page with its evidence.
    pub url: String,
}

/// One required case and its latest acceptance run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AcceptanceCase {
    /// E.g. `UPM-01`.
    pub case_id: String,
    /// Its product code (`UPM`, `ANY`, ...).
    pub product: String,
    /// Its title.
    pub title: String,
    /// Its latest acceptance run, if any.
    pub latest: Option<AcceptanceRun>,
}

/// A project's sandbox acceptance testing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Acceptance {
    /// The project.
    pub project_id: String,
    /// The products its application selected.
    pub products: Vec<String>,
    /// Where it stands.
    pub status: AcceptanceStatus,
    /// What it means and what to do next, for people.
    pub message: String,
    /// How many required cases passed in their latest acceptance run.
    pub passed: usize,
    /// The required cases, in catalogue order, each with its latest acceptance run.
    pub cases: Vec<AcceptanceCase>,
    /// The acceptance account's MID, once it exists.
    pub account_mid: Option<String>,
}

/// A fresh sign-in ticket for the acceptance account (the secret is shown once).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AcceptanceTicket {
    /// The single-use secret: `POST /wallet/v1/sign-in/ticket` exchanges it for a session.
    pub ticket: String,
    /// When it stops working.
    pub expires_at: DateTime<Utc>,
    /// The web wallet's path that signs in with it (`/app/ticket/<ticket>`).
    pub web_wallet_path: String,
    /// The acceptance account.
    pub merchant: Merchant,
    /// The required cases it runs.
    pub case_ids: Vec<String>,
}

/// The products of a project as catalogue products.
fn catalogue_products(codes: &[String]) -> Vec<Product> {
    codes.iter().filter_map(|c| Product::from_code(c)).collect()
}

impl Hub {
    /// The id of the project's acceptance account, if it has one.
    pub fn acceptance_account_id(&self, project_id: &str) -> Result<Option<String>, HubError> {
        Ok(self
            .store
            .db(|db| db.merchants().acceptance_of(project_id))?
            .map(|row| row.id))
    }

    /// True when the merchant is a project's acceptance account (the TSP's own, not listed).
    pub fn is_acceptance_account(&self, merchant_id: &str) -> Result<bool, HubError> {
        Ok(self
            .store
            .db(|db| db.merchants().is_acceptance(merchant_id))?)
    }

    /// A single-use sign-in ticket for the project's acceptance account, made (with `mid`, or
    /// [`DEFAULT_ACCEPTANCE_MID`]) on first use. The account's products and assigned cases are
    /// set to the project's products and their required cases; `mid` renames it when given.
    /// Refused while the project has no products.
    pub fn acceptance_ticket(
        &self,
        project_id: &str,
        mid: Option<&str>,
    ) -> Result<AcceptanceTicket, HubError> {
        let project = self.project(project_id)?;
        if project.products.is_empty() {
            return Err(HubError::Conflict(
                "choose the application's products in Settings first: acceptance runs their \
                 required cases"
                    .to_owned(),
            ));
        }
        if !project.tsp_mode {
            return Err(HubError::Conflict(TSP_MODE_NEEDED.to_owned()));
        }
        let mid = mid
            .map(|m| crate::domain::projects::required_text("mid", m, 64))
            .transpose()?;
        let required: Vec<String> = catalogue()?
            .required_cases(&catalogue_products(&project.products))
            .iter()
            .map(|case| case.id.clone())
            .collect();
        let now = self.clock.now();
        let ticket = self.ids.secret();
        let expires_at = now + TICKET_VALIDITY;
        let merchant_id = self.store.transaction(|db| {
            let id = self.acceptance_account(db, &project, mid.as_deref(), now)?;
            let merchants = db.merchants();
            merchants.set_products(&id, &project.products)?;
            db.assignments().set(&id, &required, now)?;
            db.sign_in_tickets().insert(
                &token_hash(&ticket),
                &id,
                expires_at,
                now,
                MAX_LIVE_TICKETS,
            )?;
            Ok::<_, HubError>(id)
        })?;
        Ok(AcceptanceTicket {
            web_wallet_path: format!("/app/ticket/{ticket}"),
            ticket,
            expires_at,
            merchant: self.merchant(&merchant_id)?,
            case_ids: required,
        })
    }

    /// The project's acceptance account, made (with `mid`, or [`DEFAULT_ACCEPTANCE_MID`]) when
    /// it has none, renamed to `mid` when given; its id.
    fn acceptance_account(
        &self,
        db: crate::store::Db<'_>,
        project: &crate::domain::projects::Project,
        mid: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<String, HubError> {
        let project_id = project.id.as_str();
        let merchants = db.merchants();
        Ok(match merchants.acceptance_of(project_id)? {
            Some(row) => {
                if let Some(mid) = mid.filter(|m| *m != row.mid) {
                    if merchants
                        .clash(project_id, mid, &row.email)?
                        .is_some_and(|clash| matches!(clash, crate::store::merchants::Clash::Mid))
                    {
                        return Err(HubError::invalid(
                            "mid",
                            format!("MID {mid} is a merchant's of this project"),
                        ));
                    }
                    merchants.set_mid(&row.id, mid)?;
                }
                row.id
            }
            None => {
                let mid = mid.unwrap_or(DEFAULT_ACCEPTANCE_MID);
                let email = format!("acceptance@{}.invalid", project_id.to_ascii_lowercase());
                if merchants.clash(project_id, mid, &email)?.is_some() {
                    return Err(HubError::invalid(
                        "mid",
                        format!("MID {mid} is a merchant's of this project: choose another"),
                    ));
                }
                let row = MerchantRow {
                    id: self.ids.alphanumeric("mer_", 12),
                    project_id: project_id.to_owned(),
                    name: format!("{} (acceptance)", project.name),
                    mid: mid.to_owned(),
                    email,
                    products: project.products.clone(),
                    status: MerchantStatus::Active,
                    remark: None,
                    created_at: now,
                    last_active_at: None,
                };
                merchants.insert_acceptance(&row)?;
                row.id
            }
        })
    }

    /// Exchanges an acceptance sign-in ticket for a wallet session (once, before it expires).
    pub fn sign_in_with_ticket(&self, ticket: &str) -> Result<Session, HubError> {
        let refused = || {
            HubError::denied(
                "TICKET_INVALID",
                "that sign-in link is unknown, used or expired: open a new one from the \
                 project's Acceptance page",
            )
        };
        let plausible = !ticket.is_empty() && ticket.len() <= 128;
        if !plausible {
            return Err(refused());
        }
        let now = self.clock.now();
        let hash = token_hash(ticket);
        let used = self.store.transaction(|db| {
            let tickets = db.sign_in_tickets();
            let Some(found) = tickets.get(&hash)? else {
                return Ok::<_, StoreError>(None);
            };
            if found.used || now >= found.expires_at || !tickets.use_once(&hash, now)? {
                return Ok(None);
            }
            Ok(Some(found.merchant_id))
        })?;
        let merchant_id = used.ok_or_else(refused)?;
        self.open_session(&merchant_id)
    }

    /// The project's sandbox acceptance testing: its required cases, each with its latest
    /// acceptance run (open runs judged now), and the status (see the module's header).
    pub fn acceptance(&self, project_id: &str) -> Result<Acceptance, HubError> {
        let project = self.project(project_id)?;
        let account = self
            .store
            .db(|db| db.merchants().acceptance_of(project_id))?;
        // One row per (merchant, case): the account's latest run of each case.
        let latest: Vec<crate::store::runs::RunRow> = match &account {
            Some(account) => self
                .store
                .db(|db| db.runs().latest_of_project(project_id))?
                .into_iter()
                .filter(|run| run.merchant_id == account.id)
                .collect(),
            None => Vec::new(),
        };
        let mut cases = Vec::new();
        for case in catalogue()?.required_cases(&catalogue_products(&project.products)) {
            let run = match latest.iter().find(|run| run.case_id == case.id) {
                Some(run) => Some(self.acceptance_run(project_id, &run.id)?),
                None => None,
            };
            cases.push(AcceptanceCase {
                case_id: case.id.clone(),
                product: case.product.code().to_owned(),
                title: case.title.clone(),
                latest: run,
            });
        }
        let passed = cases
            .iter()
            .filter(|c| {
                c.latest
                    .as_ref()
                    .is_some_and(|r| r.status == RunStatus::Passed)
            })
            .count();
        let ran = cases.iter().any(|c| c.latest.is_some());
        let (status, message) = if project.products.is_empty() {
            (
                AcceptanceStatus::NotStarted,
                "Choose the application's products in Settings: acceptance runs the required \
                 cases of each."
                    .to_owned(),
            )
        } else if !ran {
            (
                AcceptanceStatus::NotStarted,
                format!(
                    "No acceptance run yet: run the {} required cases as the TSP.",
                    cases.len()
                ),
            )
        } else if passed == cases.len() && !project.tsp_mode {
            (
                AcceptanceStatus::InProgress,
                format!("Every required case passed, but {TSP_MODE_NEEDED}"),
            )
        } else if passed == cases.len() {
            (
                AcceptanceStatus::Passed,
                "Every required case passed in its latest acceptance run.".to_owned(),
            )
        } else {
            (
                AcceptanceStatus::InProgress,
                format!(
                    "{passed} of {} required cases passed in their latest acceptance run.",
                    cases.len()
                ),
            )
        };
        Ok(Acceptance {
            project_id: project.id,
            products: project.products,
            status,
            message,
            passed,
            cases,
            account_mid: account.map(|a| a.mid),
        })
    }

    /// Refuses to start a run of the project's acceptance account while the project is not in
    /// TSP mode: acceptance tests the integration as it will run, with the Agent-Token on every
    /// Alipay+ call, which only TSP mode enforces. Other merchants' runs are not concerned.
    pub(crate) fn check_acceptance_run(
        &self,
        merchant_id: &str,
        project_id: &str,
    ) -> Result<(), HubError> {
        let account = self
            .store
            .db(|db| db.merchants().acceptance_of(project_id))?;
        if account.is_some_and(|account| account.id == merchant_id)
            && !self.project(project_id)?.tsp_mode
        {
            return Err(HubError::Conflict(TSP_MODE_NEEDED.to_owned()));
        }
        Ok(())
    }

    /// `Some(products)` when the project's sandbox acceptance has passed: its products, which
    /// the TSP may ask an ACQP to authorize (`domain/acqp_authorizations.rs`); `None` while it
    /// has not.
    pub fn acceptance_passed_products(
        &self,
        project_id: &str,
    ) -> Result<Option<Vec<String>>, HubError> {
        let acceptance = self.acceptance(project_id)?;
        Ok((acceptance.status == AcceptanceStatus::Passed).then_some(acceptance.products))
    }

    fn acceptance_run(&self, project_id: &str, run_id: &str) -> Result<AcceptanceRun, HubError> {
        let view = self.judge_run(run_id)?;
        Ok(AcceptanceRun {
            url: format!("/console/projects/{project_id}/runs/{}", view.id),
            run_id: view.id,
            status: view.status,
            started_at: view.started_at,
            ended_at: view.ended_at,
            summary: view.verdict.map(|v| v.summary),
        })
    }
}
