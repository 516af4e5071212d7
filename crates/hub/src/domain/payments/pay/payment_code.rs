//! `pay` with a payment code (UPM): the code must be one this project's wallet showed, unused and
//! within its 60 s; a run's script may decide otherwise, or hold the answer (UPM-06).

use chrono::{DateTime, Utc};
use linker_aplus::ResultCode;
use linker_aplus::message::PayResponse;
use linker_cases::sandbox::{PayAttempt, PaymentEffect};

use super::Script;
use crate::Hub;
use crate::domain::payments::{Payment, PaymentKey, PaymentStatus};
use crate::domain::projects::Project;
use crate::error::HubError;
use crate::store::payments::PaymentCodeRow;
use crate::store::{Db, StoreError};

/// What the presented code is: shown by a wallet of the project, used already, expired.
struct CodeState {
    issued: Option<PaymentCodeRow>,
    used: bool,
    expired: bool,
}

/// Pays with the presented code (inside the pay's transaction); a run the code was shown for
/// scripts the answer.
pub(super) fn pay_with_code(
    db: Db<'_>,
    payment: &mut Payment,
    code: &str,
    code_run: Option<&(String, linker_cases::Sandbox)>,
    now: DateTime<Utc>,
) -> Result<Script, StoreError> {
    payment.code_value = Some(code.to_owned());
    let issued = db.payments().code(&payment.project_id, code)?;
    // The run was looked up before the transaction (the store is not re-entrant).
    let run_case = issued
        .as_ref()
        .and_then(|issued| issued.run_id.as_deref())
        .and_then(|run| code_run.filter(|(id, _)| id == run));
    let state = CodeState {
        used: issued.as_ref().is_some_and(|i| i.used_at.is_some()),
        expired: issued.as_ref().is_some_and(|i| now >= i.expires_at),
        issued,
    };
    let mut effect = match (&state.issued, state.used, state.expired) {
        (None, _, _) => PaymentEffect::Fail(ResultCode::InvalidCode),
        (Some(_), true, _) => PaymentEffect::Fail(ResultCode::InvalidCode),
        (Some(_), false, true) => PaymentEffect::Fail(ResultCode::ExpiredCode),
        (Some(_), false, false) => PaymentEffect::Succeed,
    };
    let mut script = Script::default();
    if let Some((run_id, sandbox)) = run_case {
        // The run's script decides, as the real wallet's user would.
        payment.run_id = Some(run_id.clone());
        let decision = sandbox.pay_answer(&PayAttempt {
            earlier: None,
            code_expired: state.expired || state.used,
        });
        effect = decision.effect.clone();
        if decision.delay_secs > 0 && effect == PaymentEffect::Succeed {
            // UPM-06: in process while the answer is held; it succeeds when the answer goes
            // out, unless the ACQP cancels it meanwhile.
            effect = PaymentEffect::StayOpen;
            script.hold = Some(decision.delay_secs);
        }
        script.answer = Some((decision.result.clone(), decision.forced));
    }
    apply_effect(db, payment, effect, &state, now)?;
    Ok(script)
}

/// Applies what happens to the payment: it fails, succeeds, or waits for the wallet (the code is
/// used in both latter cases).
fn apply_effect(
    db: Db<'_>,
    payment: &mut Payment,
    effect: PaymentEffect,
    state: &CodeState,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let customer = state.issued.as_ref().map(|i| i.customer_id.clone());
    let code = payment.code_value.clone().unwrap_or_default();
    match effect {
        PaymentEffect::Fail(result) => {
            let message = failure_message(&result, &code, state);
            payment.fail(result, message, now);
        }
        PaymentEffect::Succeed => {
            db.payments().use_code(&code, now, &payment.payment_id)?;
            payment.succeed(customer, now);
        }
        PaymentEffect::AwaitWallet
        | PaymentEffect::StayOpen
        | PaymentEffect::AwaitCustomer
        | PaymentEffect::None => {
            db.payments().use_code(&code, now, &payment.payment_id)?;
            payment.customer_id = customer;
            payment.result_message = "waiting for the customer to confirm in the wallet".to_owned();
        }
    }
    Ok(())
}

/// Why a payment code does not pay, for people.
fn failure_message(result: &ResultCode, code: &str, state: &CodeState) -> String {
    match result {
        ResultCode::InvalidCode if state.issued.is_none() => {
            format!("payment code {code} was not shown by a wallet of this project")
        }
        ResultCode::InvalidCode if state.used => {
            format!("payment code {code} was already used: a code pays once")
        }
        ResultCode::ExpiredCode => {
            format!("payment code {code} is past its 60 s validity: ask the customer to refresh it")
        }
        _ => result.default_message().to_owned(),
    }
}

impl Hub {
    /// Blocks for `delay` of real time; on a test clock it also ends once that clock has moved
    /// `delay` past its start (looking every 25 ms), so moving the clock skips the rest.
    fn hold(&self, delay: std::time::Duration) {
        let end = chrono::Duration::from_std(delay)
            .ok()
            .filter(|_| self.has_test_clock())
            .and_then(|delay| self.clock.now().checked_add_signed(delay));
        let Some(end) = end else {
            std::thread::sleep(delay);
            return;
        };
        let started = std::time::Instant::now();
        while let Some(left) = delay
            .checked_sub(started.elapsed())
            .filter(|left| !left.is_zero())
            && self.clock.now() < end
        {
            std::thread::sleep(left.min(std::time::Duration::from_millis(25)));
        }
    }

    /// UPM-06: holds the answer `delay` seconds of real time (the protocol's client timeout is
    /// real time), then succeeds the payment unless it was cancelled meanwhile, and answers with
    /// its state. On a test clock the hold ends when that clock has moved `delay` past its
    /// start, so moving the clock skips it (the demo's acquirer times out on the same clock).
    pub(super) fn held_answer(
        &self,
        project: &Project,
        payment: &Payment,
        delay: u64,
    ) -> Result<PayResponse, HubError> {
        self.hold(std::time::Duration::from_secs(delay));
        let now = self.clock.now();
        self.store.db(|db| {
            db.payments()
                .succeed_if_in_process(&payment.payment_id, now)
        })?;
        let current = self
            .payment(&project.id, PaymentKey::PaymentId(&payment.payment_id))?
            .ok_or_else(|| {
                HubError::Internal(format!("payment {} vanished", payment.payment_id))
            })?;
        if current.status == PaymentStatus::Success {
            self.record_payment_state(&current);
        }
        Ok(current.pay_response(project))
    }
}
