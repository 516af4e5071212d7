//! The merchant's assigned cases, grouped by product with progress (the last verdict of each
//! case), their full definitions kept locally so the app can show them offline.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use linker_cases::{CustomerBehaviour, ManualQuestion, Mode, Outcome, Product, Step, StepEvent};
use reqwest::Method;
use rusqlite::{OptionalExtension, params};
use serde::{Deserialize, Serialize};

use crate::client::Body;
use crate::store::{json_text, parse_json, parse_time, time_text};
use crate::{Wallet, WalletError};

/// One assigned case.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CaseEntry {
    /// E.g. `UPM-01`.
    pub id: String,
    /// Its product.
    pub product: Product,
    /// Short title.
    pub title: String,
    /// Who presents the code in a run (the tool the app opens with).
    pub mode: Mode,
    /// What is tested and why.
    pub summary: String,
    /// What the merchant does, step by step.
    pub steps: Vec<Step>,
    /// The questions the merchant answers in the app.
    pub manual: Vec<ManualQuestion>,
    /// How long a run may take, in seconds.
    pub timeout_secs: u64,
    /// Whether the hub can run it (with the wallet under test of the settings).
    pub runnable: bool,
    /// Why not, when it cannot: not implemented yet, or a product the wallet under test lacks
    /// (e.g. `DANA does not support User-presented Mode (UPM), which UPM-01 needs`).
    pub not_runnable_reason: Option<String>,
    /// True when the customer scans a code the merchant never issued (the case's sandbox says
    /// `customer = "scans-unknown-code"`, MPC-02): the scan screen offers to make one
    /// ([`Wallet::scan_unissued_code`]).
    pub scans_unissued_code: bool,
    /// The full definition as the hub sent it (sandbox script and checks included).
    pub definition: serde_json::Value,
    /// The last run of this case, if any.
    pub last: Option<LastResult>,
}

/// The last run of a case: its status and when it started.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LastResult {
    /// The run.
    pub run_id: String,
    /// `open`, `passed`, `failed`, `broken` or `skipped`.
    pub status: String,
    /// The verdict's sentence, once decided.
    pub summary: Option<String>,
    /// When it started.
    pub started_at: DateTime<Utc>,
}

/// The cases of one product, with progress.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ProductGroup {
    /// The product.
    pub product: Product,
    /// Its cases, in catalogue order.
    pub cases: Vec<CaseEntry>,
    /// How many of them passed on their last run.
    pub passed: usize,
    /// How many failed or broke on their last run.
    pub failed: usize,
    /// How many were never decided.
    pub not_run: usize,
}

/// The assigned cases, by product.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CaseList {
    /// One group per product, in the catalogue's product order.
    pub groups: Vec<ProductGroup>,
    /// When the list came from the hub (wallet time).
    pub fetched_at: DateTime<Utc>,
    /// True when the hub could not be asked and this is the stored list.
    pub from_cache: bool,
    /// Why the hub could not be asked, when it could not.
    pub offline_reason: Option<String>,
}

/// A case as the hub's `/cases` lists it (the rest of the definition is kept as JSON).
#[derive(Deserialize)]
struct HubCase {
    id: String,
    product: Product,
    title: String,
    // Absent from hubs older than the field: the customer presents.
    #[serde(default)]
    mode: Mode,
    #[serde(default)]
    summary: String,
    #[serde(default)]
    steps: Vec<HubStep>,
    #[serde(default)]
    manual: Vec<ManualQuestion>,
    #[serde(default, rename = "timeout")]
    timeout_secs: u64,
    #[serde(default)]
    runnable: bool,
    #[serde(default, rename = "notRunnableReason")]
    not_runnable_reason: Option<String>,
}

/// A step as the hub sends it. Read leniently, so that a newer hub's fields and events do not
/// hide the case: an event this wallet does not know ticks nothing.
#[derive(Deserialize)]
struct HubStep {
    instruction: String,
    expected: String,
    #[serde(default)]
    done_when: Option<String>,
}

impl From<HubStep> for Step {
    fn from(step: HubStep) -> Step {
        Step {
            instruction: step.instruction,
            expected: step.expected,
            done_when: step.done_when.as_deref().and_then(StepEvent::parse),
        }
    }
}

/// The entry of a case definition as the hub sent it, if it reads as a case.
fn entry_of(definition: serde_json::Value) -> Option<CaseEntry> {
    let case: HubCase = serde_json::from_value(definition.clone()).ok()?;
    let customer = definition
        .get("sandbox")
        .and_then(|sandbox| sandbox.get("customer"))
        .cloned()
        .map(serde_json::from_value::<CustomerBehaviour>);
    Some(CaseEntry {
        scans_unissued_code: matches!(customer, Some(Ok(CustomerBehaviour::ScansUnknownCode))),
        id: case.id,
        product: case.product,
        title: case.title,
        mode: case.mode,
        summary: case.summary,
        steps: case.steps.into_iter().map(Step::from).collect(),
        manual: case.manual,
        timeout_secs: case.timeout_secs,
        runnable: case.runnable,
        not_runnable_reason: case.not_runnable_reason,
        definition,
        last: None,
    })
}

fn product_name(product: Product) -> String {
    serde_json::to_value(product)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

impl Wallet {
    /// The assigned cases grouped by product with progress: from the hub when it can be
    /// reached (and then stored), from the store otherwise.
    pub async fn cases(&self) -> Result<CaseList, WalletError> {
        let merchant = self.merchant_id()?;
        // The hub says which cases the wallet under test can run.
        let wallet = self.settings()?.wallet;
        let fetched: Result<Vec<serde_json::Value>, WalletError> = self
            .call(
                Method::GET,
                &format!("/cases?wallet={}", wallet.name),
                Body::Empty,
            )
            .await;
        let offline_reason = match fetched {
            Ok(cases) => {
                self.keep_cases(&merchant, &cases)?;
                // Progress comes from the runs; refresh them too (best effort).
                if let Err(error) = self.history().await {
                    tracing::info!(%error, "case progress from stored runs only");
                }
                None
            }
            Err(error @ WalletError::HubUnreachable { .. }) => Some(error),
            Err(other) => return Err(other),
        };
        let (entries, fetched_at) = self.stored_cases(&merchant)?;
        if entries.is_empty()
            && let Some(error) = &offline_reason
        {
            return Err(WalletError::NotCached {
                what: "the list of your cases".to_owned(),
                reason: error.to_string(),
            });
        }
        let runs = self.stored_runs(&merchant)?;
        let mut groups: BTreeMap<Product, ProductGroup> = BTreeMap::new();
        for mut entry in entries {
            entry.last = runs
                .iter()
                .find(|r| r.case_id == entry.id)
                .map(|r| LastResult {
                    run_id: r.id.clone(),
                    status: r.status.clone(),
                    summary: r.verdict.as_ref().map(|v| v.summary.clone()),
                    started_at: r.started_at,
                });
            let group = groups.entry(entry.product).or_insert_with(|| ProductGroup {
                product: entry.product,
                cases: Vec::new(),
                passed: 0,
                failed: 0,
                not_run: 0,
            });
            let decided = runs
                .iter()
                .find(|r| r.case_id == entry.id && r.verdict.is_some())
                .and_then(|r| r.verdict.as_ref().map(|v| v.outcome));
            match decided {
                Some(Outcome::Passed) => group.passed += 1,
                Some(Outcome::Failed | Outcome::Broken) => group.failed += 1,
                _ => group.not_run += 1,
            }
            group.cases.push(entry);
        }
        Ok(CaseList {
            groups: groups.into_values().collect(),
            fetched_at: fetched_at.unwrap_or_else(|| self.now()),
            from_cache: offline_reason.is_some(),
            offline_reason: offline_reason.map(|e| e.to_string()),
        })
    }

    fn keep_cases(&self, merchant: &str, cases: &[serde_json::Value]) -> Result<(), WalletError> {
        let now = time_text(self.now());
        let parsed: Vec<(HubCase, &serde_json::Value)> = cases
            .iter()
            .map(|value| {
                serde_json::from_value::<HubCase>(value.clone())
                    .map(|case| (case, value))
                    .map_err(|e| WalletError::Hub {
                        status: 200,
                        code: "BAD_ANSWER".to_owned(),
                        message: format!("a case in the hub's list could not be read: {e}"),
                    })
            })
            .collect::<Result<_, _>>()?;
        self.store().with(|c| {
            let transaction = c.transaction()?;
            transaction.execute("DELETE FROM cases WHERE merchant_id = ?1", [merchant])?;
            for (position, (case, value)) in parsed.iter().enumerate() {
                transaction.execute(
                    "INSERT INTO cases (merchant_id, case_id, position, product, runnable, definition, fetched_at) \
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                    params![
                        merchant,
                        case.id,
                        i64::try_from(position).unwrap_or(i64::MAX),
                        product_name(case.product),
                        case.runnable,
                        json_text(value),
                        now
                    ],
                )?;
            }
            transaction.commit()
        })
    }

    fn stored_cases(
        &self,
        merchant: &str,
    ) -> Result<(Vec<CaseEntry>, Option<DateTime<Utc>>), WalletError> {
        let rows: Vec<(serde_json::Value, DateTime<Utc>)> = self.store().with(|c| {
            let mut statement = c.prepare(
                "SELECT definition, fetched_at FROM cases WHERE merchant_id = ?1 ORDER BY position",
            )?;
            let rows = statement.query_map([merchant], |row| {
                Ok((
                    parse_json(0, &row.get::<_, String>(0)?)?,
                    parse_time(1, &row.get::<_, String>(1)?)?,
                ))
            })?;
            rows.collect()
        })?;
        let fetched_at = rows.first().map(|(_, at)| *at);
        let entries = rows
            .into_iter()
            .filter_map(|(definition, _)| entry_of(definition))
            .collect();
        Ok((entries, fetched_at))
    }

    /// One case's full definition, from the store (offline) or, when not stored yet, the hub.
    pub async fn case(&self, case_id: &str) -> Result<CaseEntry, WalletError> {
        if let Some(case) = self.stored_case(case_id)? {
            return Ok(case);
        }
        self.cases().await?;
        self.stored_case(case_id)?
            .ok_or_else(|| WalletError::NotFound(format!("case {case_id}")))
    }

    /// One stored case of the signed-in merchant.
    pub(crate) fn stored_case(&self, case_id: &str) -> Result<Option<CaseEntry>, WalletError> {
        let merchant = self.merchant_id()?;
        let definition: Option<serde_json::Value> = self.store().with(|c| {
            c.query_row(
                "SELECT definition FROM cases WHERE merchant_id = ?1 AND case_id = ?2",
                params![merchant, case_id.trim()],
                |row| parse_json(0, &row.get::<_, String>(0)?),
            )
            .optional()
        })?;
        Ok(definition.and_then(entry_of))
    }
}
