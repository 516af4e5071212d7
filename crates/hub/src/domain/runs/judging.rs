//! Judging runs: an open run is judged by linker-cases whenever it is read and by the background
//! sweep; its verdict is stored once decided, and the run's status follows the verdict.

use linker_cases::{CheckResult, Outcome, Verdict, judge};

use super::{RunStatus, RunView, catalogue};
use crate::Hub;
use crate::error::HubError;

/// The status a run ends with for a verdict's outcome.
fn outcome_status(outcome: Outcome) -> RunStatus {
    match outcome {
        Outcome::Passed => RunStatus::Passed,
        Outcome::Failed => RunStatus::Failed,
        Outcome::Broken => RunStatus::Broken,
        Outcome::Skipped => RunStatus::Skipped,
    }
}

impl Hub {
    /// Every check of a run as it stands now.
    pub(crate) fn current_checks(&self, run_id: &str) -> Result<Vec<CheckResult>, HubError> {
        let record = self.run_record(run_id)?;
        let case = catalogue()?.case(&record.case_id).ok_or_else(|| {
            HubError::Internal(format!("case {} left the catalogue", record.case_id))
        })?;
        Ok(judge(case, &record, self.clock.now()).checks)
    }

    /// Stores an open run's verdict (a decided run keeps its own) and signals the change.
    pub(crate) fn store_verdict(&self, run_id: &str, verdict: &Verdict) -> Result<(), HubError> {
        let now = self.clock.now();
        let status = outcome_status(verdict.outcome);
        let text = serde_json::to_string(verdict).unwrap_or_default();
        self.store
            .db(|db| db.runs().decide(run_id, status, now, &text))?;
        self.signal(run_id);
        Ok(())
    }

    /// Judges an open run now (storing the verdict once decided) and returns it.
    pub fn judge_run(&self, run_id: &str) -> Result<RunView, HubError> {
        let row = self.run_row(run_id)?;
        if row.status == RunStatus::Open {
            let record = self.run_record(run_id)?;
            let case = catalogue()?.case(&record.case_id).ok_or_else(|| {
                HubError::Internal(format!("case {} left the catalogue", record.case_id))
            })?;
            let judgement = judge(case, &record, self.clock.now());
            if let Some(verdict) = judgement.verdict() {
                let verdict = self.with_rejected_calls(&row, verdict.clone());
                self.store_verdict(run_id, &verdict)?;
            }
        }
        self.run_view(run_id)
    }

    /// A run broken for want of the ACQP's calls says so when the hub rejected calls from its
    /// Client-Id meanwhile (they count for no run: anyone could have sent them, or, in TSP
    /// mode, they lacked the project's Agent-Token).
    fn with_rejected_calls(
        &self,
        row: &crate::store::runs::RunRow,
        mut verdict: Verdict,
    ) -> Verdict {
        if verdict.outcome != Outcome::Broken {
            return verdict;
        }
        // Refused calls are not logged one by one: the last few of the Client-Id are kept.
        let samples = self.refused_samples(&row.project_id).unwrap_or_default();
        let since: Vec<_> = samples.iter().filter(|s| s.at >= row.started_at).collect();
        let unsigned = since
            .iter()
            .filter(|s| {
                matches!(
                    s.signature_verdict,
                    crate::store::exchanges::LoggedSignature::Checked(_)
                ) && !s.signature_verdict.verdict().is_valid()
            })
            .count();
        // Signed, yet refused: TSP mode wanted the project's Agent-Token.
        let without_token = since
            .iter()
            .filter(|s| {
                s.signature_verdict.verdict().is_valid() && s.result_code == "ACCESS_DENIED"
            })
            .count();
        let at_least = |count: usize| {
            if count >= crate::store::rejected::SAMPLES_PER_CLIENT as usize {
                "at least "
            } else {
                ""
            }
        };
        if unsigned > 0 {
            verdict.summary = format!(
                "{} The hub rejected {}{unsigned} call(s) from this project's Client-Id since the run began because their signature did not verify: they count for no run; see the request log.",
                verdict.summary,
                at_least(unsigned)
            );
        }
        if without_token > 0 {
            verdict.summary = format!(
                "{} The hub refused {}{without_token} call(s) from this project's Client-Id since the run began because the project is in TSP mode and they lacked its current Agent-Token: they count for no run; see the request log.",
                verdict.summary,
                at_least(without_token)
            );
        }
        verdict
    }

    /// Judges every open run (the background sweep): decides those past their deadline.
    pub fn sweep_runs(&self) -> Result<usize, HubError> {
        let open = self.store.db(|db| db.runs().open())?;
        let mut decided = 0;
        for id in open {
            if self.judge_run(&id)?.status != RunStatus::Open {
                decided += 1;
            }
        }
        Ok(decided)
    }
}
