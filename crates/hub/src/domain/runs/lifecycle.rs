//! Starting and reading runs: the case a merchant may run, a new run (ending the merchant's open
//! one as skipped), a run's record and view, and what the gateway asks of open runs.

use linker_cases::{CaseDef, Event, RunRecord, Verdict};

use linker_aplus::wallets::{self, WalletUnderTest};

use super::{RunOptions, RunStatus, RunView, catalogue};
use crate::Hub;
use crate::domain::merchants::Merchant;
use crate::domain::payments::played_wallet;
use crate::error::HubError;
use crate::store::runs::{NewRun, RunRow};

/// The wallet under test a run is started with: TEST_WALLET when none is named, and an
/// `INVALID_INPUT` refusal naming the known wallets for a name that is none of them.
pub fn wallet_named(name: Option<&str>) -> Result<&'static WalletUnderTest, HubError> {
    match name {
        None => Ok(wallets::test_wallet()),
        Some(name) => wallets::find(name).ok_or_else(|| {
            HubError::invalid(
                "wallet",
                format!(
                    "{name:?} is not a wallet Linker plays; choose one of {}",
                    wallets::names()
                ),
            )
        }),
    }
}

impl Hub {
    /// The case a merchant may run: it exists, can be run, and is for one of its products.
    pub fn case_for(
        &self,
        merchant: &Merchant,
        case_id: &str,
    ) -> Result<&'static CaseDef, HubError> {
        let case = catalogue()?
            .case(case_id)
            .ok_or_else(|| HubError::NotFound(format!("case {case_id}")))?;
        if !case.implemented {
            return Err(HubError::Conflict(format!(
                "{case_id} cannot be run yet on this hub"
            )));
        }
        let product = serde_json::to_value(case.product)
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default();
        if product != "ANY" && !merchant.products.contains(&product) {
            return Err(HubError::Conflict(format!(
                "{case_id} tests {product}, which is not among this merchant's products ({})",
                merchant.products.join(", ")
            )));
        }
        if let Some(assigned) = self.custom_assignment(&merchant.id)?
            && !assigned.iter().any(|id| id == case_id)
        {
            return Err(HubError::Conflict(format!(
                "{case_id} is not among the cases assigned to this merchant"
            )));
        }
        Ok(case)
    }

    /// Starts a run of a case for a merchant; an open run of the same merchant ends as skipped.
    pub fn start_run(&self, merchant: &Merchant, case_id: &str) -> Result<RunView, HubError> {
        self.start_run_with(merchant, case_id, RunOptions::default())
    }

    /// [`Hub::start_run`] with per-run settings.
    pub fn start_run_with(
        &self,
        merchant: &Merchant,
        case_id: &str,
        options: RunOptions,
    ) -> Result<RunView, HubError> {
        if options.slow_answer_secs.is_some_and(|secs| secs > 60) {
            return Err(HubError::invalid("slowAnswerSecs", "at most 60 seconds"));
        }
        let wallet = wallet_named(options.wallet.as_deref())?;
        let case = self.case_for(merchant, case_id)?;
        self.check_acceptance_run(&merchant.id, &merchant.project_id)?;
        if let Some(why) = case.not_runnable_with(wallet) {
            return Err(HubError::WalletLacksProduct(why));
        }
        // One start at a time: ending the merchant's open run and inserting the new one is
        // what keeps a merchant at one open run, whatever a client sends at once.
        let _one_at_a_time = self
            .run_starts
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let now = self.clock.now();
        let id = self.ids.alphanumeric("run_", 14);
        let open = self
            .store
            .db(|db| db.runs().open_of_merchant(&merchant.id))?;
        for previous in open {
            let checks = self.current_checks(&previous).unwrap_or_default();
            let verdict =
                Verdict::skipped(format!("another case ({}) was started", case.id), checks);
            self.store_verdict(&previous, &verdict)?;
        }
        self.store.db(|db| {
            db.runs().insert(&NewRun {
                id: &id,
                project_id: &merchant.project_id,
                merchant_id: &merchant.id,
                case_id: &case.id,
                started_at: now,
                slow_answer_secs: options
                    .slow_answer_secs
                    .and_then(|secs| i64::try_from(secs).ok()),
                wallet: wallet.name,
            })
        })?;
        self.run_view(&id)
    }

    /// The stored run, or not found.
    pub(crate) fn run_row(&self, run_id: &str) -> Result<RunRow, HubError> {
        self.store
            .db(|db| db.runs().get(run_id))?
            .ok_or_else(|| HubError::NotFound(format!("run {run_id}")))
    }

    /// The latest run of each (merchant, case) of a project, newest first, as stored (one row
    /// per pair: the cost does not grow with the project's older runs). The acceptance runs, the TSP's
    /// own (`domain/acceptance.rs`), are not the merchants' Test Data: they are left out.
    pub fn latest_project_runs(&self, project_id: &str) -> Result<Vec<RunRow>, HubError> {
        let (runs, acceptance) = self.store.db(|db| {
            Ok::<_, crate::store::StoreError>((
                db.runs().latest_of_project(project_id)?,
                db.merchants().acceptance_of(project_id)?,
            ))
        })?;
        Ok(match acceptance {
            Some(account) => runs
                .into_iter()
                .filter(|run| run.merchant_id != account.id)
                .collect(),
            None => runs,
        })
    }

    /// A project's runs, newest first, as stored (open ones not judged again).
    pub fn project_runs(&self, project_id: &str) -> Result<Vec<RunRow>, HubError> {
        Ok(self.store.db(|db| db.runs().of_project(project_id))?)
    }

    /// The project a run belongs to.
    pub fn run_project(&self, run_id: &str) -> Result<String, HubError> {
        Ok(self.run_row(run_id)?.project_id)
    }

    /// Not found unless the run is this merchant's (checked before a request's body is read).
    pub fn check_run_owner(&self, merchant: &Merchant, run_id: &str) -> Result<(), HubError> {
        match self.store.db(|db| db.runs().get(run_id))? {
            Some(row) if row.merchant_id == merchant.id => Ok(()),
            _ => Err(HubError::NotFound(format!("run {run_id}"))),
        }
    }

    /// A run of this merchant (another merchant's run is not found).
    pub fn merchant_run(&self, merchant: &Merchant, run_id: &str) -> Result<RunView, HubError> {
        let row = self.run_row(run_id)?;
        if row.merchant_id != merchant.id {
            return Err(HubError::NotFound(format!("run {run_id}")));
        }
        self.judge_run(run_id)
    }

    /// The merchant's runs, newest first.
    pub fn merchant_runs(&self, merchant: &Merchant) -> Result<Vec<RunView>, HubError> {
        let ids = self.store.db(|db| db.runs().of_merchant(&merchant.id))?;
        ids.iter().map(|id| self.judge_run(id)).collect()
    }

    /// The run's record: its events in order.
    pub fn run_record(&self, run_id: &str) -> Result<RunRecord, HubError> {
        let row = self.run_row(run_id)?;
        let events = self.store.db(|db| db.runs().events(run_id))?;
        let events = events
            .iter()
            .map(|text| serde_json::from_str::<Event>(text))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| HubError::Internal(format!("run {run_id}: stored event: {e}")))?;
        Ok(RunRecord {
            run_id: row.id,
            case_id: row.case_id,
            started_at: row.started_at,
            events,
        })
    }

    /// A run of this project, judged now (another project's run is not found).
    pub fn project_run(&self, project_id: &str, run_id: &str) -> Result<RunView, HubError> {
        if self.run_project(run_id)? != project_id {
            return Err(HubError::NotFound(format!("run {run_id}")));
        }
        self.judge_run(run_id)
    }

    /// The run as shown, as it stands (not judged now).
    pub(crate) fn run_view(&self, run_id: &str) -> Result<RunView, HubError> {
        let row = self.run_row(run_id)?;
        let record = self.run_record(run_id)?;
        let verdict: Option<Verdict> = row
            .verdict
            .as_deref()
            .map(serde_json::from_str)
            .transpose()
            .map_err(|e| HubError::Internal(format!("run {run_id}: stored verdict: {e}")))?;
        let checks = match &verdict {
            Some(verdict) => verdict.checks.clone(),
            None => self.current_checks(run_id)?,
        };
        Ok(RunView {
            id: row.id,
            case_id: row.case_id,
            merchant_id: row.merchant_id,
            wallet: played_wallet(row.wallet.as_deref()).name.to_owned(),
            status: row.status,
            started_at: row.started_at,
            ended_at: row.ended_at,
            verdict,
            checks,
            events: record.events,
        })
    }

    /// True while an open run's case may hold a `pay` answer (UPM-06 answers late on purpose):
    /// the gateway then answers `pay` on the blocking pool rather than on an async worker. When
    /// in doubt (a store error), true.
    pub fn pay_may_be_held(&self) -> bool {
        let Ok(catalogue) = catalogue() else {
            return true;
        };
        match self.store.db(|db| db.runs().open_cases()) {
            Ok(cases) => cases.iter().any(|id| {
                catalogue.case(id).is_none_or(|case| {
                    matches!(
                        case.sandbox.pay,
                        linker_cases::PayBehaviour::SlowAnswer { .. }
                    )
                })
            }),
            Err(_) => true,
        }
    }

    /// True when the run exists and is still open.
    pub fn run_is_open(&self, run_id: &str) -> bool {
        self.run_row(run_id)
            .is_ok_and(|row| row.status == RunStatus::Open)
    }

    /// The sandbox script of an open run, with the run's own settings applied.
    pub fn run_sandbox(&self, run_id: &str) -> Option<linker_cases::Sandbox> {
        let case = self.open_run_case(run_id)?;
        let slow = self
            .store
            .db(|db| db.runs().slow_answer_secs(run_id))
            .ok()
            .flatten();
        Some(match slow.and_then(|secs| u64::try_from(secs).ok()) {
            Some(secs) => case.sandbox.clone().with_slow_answer_secs(secs),
            None => case.sandbox.clone(),
        })
    }

    /// The wallet under test the hub plays in a run: the one the run was started with, and
    /// TEST_WALLET for no run, an unknown one or one started without a choice.
    pub fn run_wallet(&self, run_id: Option<&str>) -> &'static WalletUnderTest {
        let name = run_id.and_then(|run| self.store.db(|db| db.runs().wallet(run)).ok().flatten());
        played_wallet(name.as_deref())
    }

    /// The stored wallet of the open run of the project's merchant whose MID is `mid`, if it
    /// has one.
    pub(crate) fn merchant_open_wallet(&self, project_id: &str, mid: &str) -> Option<String> {
        self.store
            .db(|db| {
                let Some(merchant) = db.merchants().by_mid(project_id, mid)? else {
                    return Ok(None);
                };
                match db.runs().open_of_merchant(&merchant.id)?.first() {
                    Some(run) => db.runs().wallet(run),
                    None => Ok(None),
                }
            })
            .ok()
            .flatten()
    }

    /// The case of an open run.
    pub fn open_run_case(&self, run_id: &str) -> Option<&'static CaseDef> {
        let row = self
            .run_row(run_id)
            .ok()
            .filter(|row| row.status == RunStatus::Open)?;
        catalogue().ok()?.case(&row.case_id)
    }
}
