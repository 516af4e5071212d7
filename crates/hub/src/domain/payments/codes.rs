//! Payment codes the hub issues for a wallet to show (UPM): valid 60 s, single use, carrying the
//! routing number Linker assigns to the run's wallet under test (`281` + routing + 18 digits:
//! `999` TEST_WALLET, `101`-`107` the wallets Linker plays) and a customer id with that wallet's
//! prefix, so a code maps back to its wallet (by its digits) and to its run (by the store).

use linker_aplus::code::payment_code::PaymentCode;
use linker_aplus::wallets::{WalletProduct, WalletUnderTest};

use super::{IssuedPaymentCode, PAYMENT_CODE_VALIDITY};
use crate::Hub;
use crate::error::HubError;
use crate::store::payments::NewPaymentCode;

impl Hub {
    /// A new customer id of `wallet`: its prefix (Linker's own, `2188` for TEST_WALLET) and 12
    /// random digits.
    pub(crate) fn customer_id(&self, wallet: &WalletUnderTest) -> String {
        format!("{}{}", wallet.customer_prefix, self.ids.digits(12))
    }

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

    /// Issues a payment code for a wallet to show: valid for 60 s, single use, of the run's
    /// wallet under test (TEST_WALLET without a run); refused for a wallet without UPM.
    pub fn issue_payment_code(
        &self,
        project_id: &str,
        run_id: Option<&str>,
    ) -> Result<IssuedPaymentCode, HubError> {
        self.project(project_id)?;
        let wallet = self.run_wallet(run_id);
        if !wallet.supports(WalletProduct::Upm) {
            return Err(HubError::WalletLacksProduct(format!(
                "{} does not support {}: it shows no payment code",
                wallet.name,
                WalletProduct::Upm.name()
            )));
        }
        let now = self.clock.now();
        let serial: u64 = self.ids.digits(18).parse().unwrap_or(0);
        let issued = IssuedPaymentCode {
            code: PaymentCode::for_wallet(wallet, serial).digits,
            customer_id: self.customer_id(wallet),
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
