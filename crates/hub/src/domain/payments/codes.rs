//! Payment codes the hub issues for a wallet to show (UPM): valid 60 s, single use.

use super::{IssuedPaymentCode, PAYMENT_CODE_VALIDITY};
use crate::Hub;
use crate::error::HubError;
use crate::store::payments::NewPaymentCode;

impl Hub {
    /// The open run a payment code was shown for, with its sandbox script (per-run settings
    /// applied).
    pub(super) fn code_run(
        &self,
        project_id: &str,
        code: &str,
    ) -> Option<(String, linker_cases::Sandbox)> {
        let run = self.code_run_id(project_id, code)?;
        let sandbox = self.run_sandbox(&run)?;
        Some((run, sandbox))
    }

    /// Issues a payment code for a wallet to show: valid for 60 s, single use.
    pub fn issue_payment_code(
        &self,
        project_id: &str,
        run_id: Option<&str>,
    ) -> Result<IssuedPaymentCode, HubError> {
        self.project(project_id)?;
        let now = self.clock.now();
        let serial: u64 = self.ids.digits(18).parse().unwrap_or(0);
        let issued = IssuedPaymentCode {
            code: linker_aplus::code::payment_code::PaymentCode::test_wallet(serial).digits,
            customer_id: format!("2188{}", self.ids.digits(12)),
            run_id: run_id.map(str::to_owned),
            expires_at: now + PAYMENT_CODE_VALIDITY,
        };
        self.store.db(|db| {
            db.payments().insert_code(&NewPaymentCode {
                code: &issued.code,
                project_id,
                run_id: issued.run_id.as_deref(),
                customer_id: &issued.customer_id,
                issued_at: now,
                expires_at: issued.expires_at,
            })
        })?;
        Ok(issued)
    }
}
