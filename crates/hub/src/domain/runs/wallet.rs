//! The wallet's actions on its merchant's open run: show a payment code, answer a manual
//! question, confirm or decline the payment waiting for the customer. Each is recorded as an
//! event of the run.

use linker_cases::{EventKind, ManualAnswer, WalletActionKind};

use super::{RunStatus, RunView, catalogue};
use crate::Hub;
use crate::domain::merchants::Merchant;
use crate::domain::payments::IssuedPaymentCode;
use crate::error::HubError;
use crate::store::runs::RunRow;

/// The longest note a manual answer may carry.
pub const MAX_NOTE_CHARS: usize = 2000;

impl Hub {
    /// The wallet shows a payment code for its open run (valid 60 s, single use).
    pub fn show_payment_code(
        &self,
        merchant: &Merchant,
        run_id: &str,
    ) -> Result<IssuedPaymentCode, HubError> {
        self.open_run_of(merchant, run_id)?;
        let issued = self.issue_payment_code(&merchant.project_id, Some(run_id))?;
        self.append_event(
            run_id,
            self.clock.now(),
            EventKind::WalletAction {
                action: WalletActionKind::ShowPaymentCode {
                    code: issued.code.clone(),
                },
            },
            None,
        )?;
        Ok(issued)
    }

    /// The merchant's run, refused when it is over.
    fn open_run_of(&self, merchant: &Merchant, run_id: &str) -> Result<RunRow, HubError> {
        let row = self.run_row(run_id)?;
        if row.merchant_id != merchant.id {
            return Err(HubError::NotFound(format!("run {run_id}")));
        }
        if row.status != RunStatus::Open {
            return Err(HubError::RunOver(format!(
                "run {run_id} is over ({})",
                row.status
            )));
        }
        Ok(row)
    }

    /// Records the merchant's answer to a manual question; the same `write_id` twice counts once.
    pub fn answer_manual(
        &self,
        merchant: &Merchant,
        run_id: &str,
        write_id: &str,
        answer: ManualAnswer,
    ) -> Result<RunView, HubError> {
        let row = self.run_row(run_id)?;
        if row.merchant_id != merchant.id {
            return Err(HubError::NotFound(format!("run {run_id}")));
        }
        self.check_manual_answer(merchant, &row, write_id, &answer)?;
        if row.status != RunStatus::Open {
            // The same write sent again (its acknowledgement was lost) changes nothing; a new
            // answer to a decided run is refused, so the wallet can say it came too late.
            let seen = self
                .store
                .db(|db| db.runs().event_of_write(run_id, write_id))?
                .is_some();
            if seen {
                return self.run_view(run_id);
            }
            return Err(HubError::RunOver(format!(
                "run {run_id} was decided ({}) before this answer arrived",
                row.status
            )));
        }
        self.append_event(
            run_id,
            self.clock.now(),
            EventKind::ManualAnswer(answer),
            Some(write_id),
        )?;
        self.judge_run(run_id)
    }

    /// Refuses an answer to a question the case does not ask, a photo not attached to the run
    /// and a missing or overlong write id.
    fn check_manual_answer(
        &self,
        merchant: &Merchant,
        row: &RunRow,
        write_id: &str,
        answer: &ManualAnswer,
    ) -> Result<(), HubError> {
        let case = catalogue()?.case(&row.case_id).ok_or_else(|| {
            HubError::Internal(format!("case {} left the catalogue", row.case_id))
        })?;
        if !case.manual.iter().any(|q| q.id == answer.question_id) {
            return Err(HubError::invalid(
                "questionId",
                format!("{} has no question {:?}", case.id, answer.question_id),
            ));
        }
        if let Some(photo) = &answer.attachment
            && !self.has_attachment(merchant, &row.id, photo)?
        {
            return Err(HubError::invalid(
                "attachment",
                format!("no photo {photo} was attached to this run: upload it first"),
            ));
        }
        if answer
            .note
            .as_deref()
            .is_some_and(|note| note.chars().count() > MAX_NOTE_CHARS)
        {
            return Err(HubError::invalid(
                "note",
                format!("a note holds at most {MAX_NOTE_CHARS} characters"),
            ));
        }
        if write_id.trim().is_empty() || write_id.len() > 64 {
            return Err(HubError::invalid(
                "writeId",
                "give the write a unique id of 1 to 64 characters",
            ));
        }
        Ok(())
    }

    /// The customer confirms (or declines) the payment waiting in the wallet for its run.
    pub fn wallet_decides(
        &self,
        merchant: &Merchant,
        run_id: &str,
        confirm: bool,
    ) -> Result<RunView, HubError> {
        use crate::domain::payments::{PaymentStatus, Settlement};
        self.open_run_of(merchant, run_id)?;
        let case = self
            .open_run_case(run_id)
            .ok_or_else(|| HubError::RunOver(format!("run {run_id} is over")))?;
        let waiting = self.store.db(|db| db.runs().waiting_payment(run_id))?;
        let Some(payment_id) = waiting else {
            return Err(HubError::Conflict(
                "no payment of this run is waiting for the customer: the POS has not charged the code yet".to_owned(),
            ));
        };
        let action = if confirm {
            WalletActionKind::ConfirmPayment
        } else {
            WalletActionKind::DeclinePayment
        };
        self.append_event(
            run_id,
            self.clock.now(),
            EventKind::WalletAction { action },
            None,
        )?;
        let project = self.project(&merchant.project_id)?;
        let settlement = if !confirm {
            Settlement::Declined {
                code: linker_aplus::ResultCode::UserPaymentVerificationFailed,
                message: "the customer declined the payment in the wallet".to_owned(),
            }
        } else {
            match case.sandbox.customer_outcome() {
                linker_cases::sandbox::PaymentEffect::Fail(code) => {
                    let message = code.default_message().to_owned();
                    Settlement::Declined { code, message }
                }
                _ => Settlement::Paid {
                    customer_id: self.customer_id(self.run_wallet(Some(run_id))),
                },
            }
        };
        let payment = self.settle_payment(&project, &payment_id, settlement)?;
        debug_assert!(payment.status != PaymentStatus::InProcess);
        self.judge_run(run_id)
    }
}
