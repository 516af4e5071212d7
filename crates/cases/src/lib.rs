//! linker-cases: Linker's case catalogue, the sandbox's scripted behaviour, and verdicts.
//!
//! Pure logic, no I/O: the hub (linker-hub) owns the HTTP, the clock and the storage, and asks
//! this crate two questions about a run:
//!
//! 1. How should the sandbox behave? [`CaseDef::sandbox`] is a [`Sandbox`] whose methods turn
//!    each of the hub's decisions into a lookup ([`Sandbox::pay_answer`],
//!    [`Sandbox::inquiry_answer`], [`Sandbox::cancel_answer`], [`Sandbox::refund_answer`],
//!    [`Sandbox::customer_outcome`], [`Sandbox::notify_plan`]).
//! 2. What is the verdict? The hub records every exchange as an [`Event`] in a [`RunRecord`]
//!    and calls [`judge`] with its clock's `now`; the [`Judgement`] is open until every check is
//!    decided or the case's timeout passes.
//!
//! ```
//! use linker_cases::sandbox::{PayAttempt, PaymentEffect};
//! use linker_cases::testing::RecordBuilder;
//! use linker_cases::{Catalogue, Outcome, judge};
//!
//! let case = Catalogue::builtin().expect("built-in catalogue").case("UPM-04").expect("UPM-04");
//! // A `pay` arrives for this run: ask the sandbox how to answer it.
//! let decision = case.sandbox.pay_answer(&PayAttempt { earlier: None, code_expired: false });
//! assert_eq!(decision.result.result_code.as_str(), "PAYMENT_IN_PROCESS");
//! assert_eq!(decision.effect, PaymentEffect::StayOpen);
//! // The hub records the exchange and judges the record with its clock's `now`.
//! let record = RecordBuilder::new("UPM-04").pay(0.0, "pay-1", "U", "PAYMENT_IN_PROCESS").build();
//! assert!(!judge(case, &record, RecordBuilder::at(60.0)).is_decided());
//! let judgement = judge(case, &record, RecordBuilder::at(300.0));
//! let verdict = judgement.verdict().expect("decided at the timeout");
//! assert_eq!(verdict.outcome, Outcome::Failed);
//! assert!(verdict.summary.starts_with("cancels-within failed: no cancelPayment within 90 s of pay"));
//! ```
//!
//! - [`catalogue`]: the cases, as TOML under `catalogue/`, validated at load ([`Catalogue`]).
//! - [`sandbox`]: scripted behaviours and the hub's lookups.
//! - [`record`]: the run record the hub fills.
//! - [`check`]: the protocol checks and the named case checks.
//! - [`progress`]: what completes each step of a case ([`StepEvent`]), for the app's checklist.
//! - [`verdict`]: [`judge`], [`Judgement`], [`Verdict`].
//! - [`report`]: reports of runs: JUnit XML, JSON, one self-contained HTML page.
//! - [`testing`]: a builder of run records, for tests here and in the hub.
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used))]

pub mod catalogue;
pub mod check;
pub mod progress;
pub mod record;
pub mod report;
pub mod sandbox;
pub mod testing;
pub mod verdict;

pub use catalogue::{
    Answer, CaseDef, Catalogue, Headless, LoadError, ManualQuestion, Mode, Product, Step,
};
pub use check::{Check, CheckOutcome, CheckResult};
pub use progress::StepEvent;
pub use record::{
    AcqpCall, CallbackKind, Event, EventKind, HubCallback, ManualAnswer, PaymentState,
    PaymentStateChange, RunRecord, SignatureVerdict, WalletActionKind,
};
pub use sandbox::{
    CancelBehaviour, CustomerBehaviour, NotifyBehaviour, PayBehaviour, Prelude, RefundBehaviour,
    Sandbox, UserInitiatedPayBehaviour,
};
pub use verdict::{Judgement, JudgementState, Outcome, Verdict, judge};
