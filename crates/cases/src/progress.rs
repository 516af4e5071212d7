//! A case's steps as a checklist: each step names the event that completes it (`done_when` in
//! the catalogue, a [`StepEvent`]), and a step is done in a run exactly when that event is in
//! the run's record. A step without one is ticked by nothing: a checklist never guesses (the
//! verdict says how the run ended).

use linker_aplus::message::Api;
use serde::{Deserialize, Serialize};

use crate::catalogue::Step;
use crate::record::{CallbackKind, Event, EventKind, PaymentState, WalletActionKind};

/// An event the hub records in a run, by the name a catalogue step gives it in `done_when`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum StepEvent {
    /// The wallet showed a payment code (a `show_payment_code` wallet action).
    PaymentCodeShown,
    /// The wallet scanned a code (a `scan` wallet action).
    CodeScanned,
    /// The customer confirmed a payment in the wallet (Pay Now).
    PaymentConfirmed,
    /// The customer declined a payment in the wallet (Cancel).
    PaymentDeclined,
    /// The customer left a payment page without paying.
    BackedOut,
    /// The wallet opened an entry-code page.
    EntryCodeOpened,
    /// The wallet opened a cashier `paymentUrl`.
    PaymentUrlOpened,
    /// The wallet was sent back to the merchant (`paymentRedirectUrl`).
    RedirectedToMerchant,
    /// The customer authorized Auto Debit in the wallet.
    Authorized,
    /// The customer revoked an Auto Debit authorization in the wallet.
    AuthorizationRevoked,
    /// The ACQP called `pay`.
    PayCalled,
    /// The ACQP called `inquiryPayment`.
    InquiryCalled,
    /// The ACQP called `cancelPayment`.
    CancelCalled,
    /// The ACQP called `refund`.
    RefundCalled,
    /// The ACQP called `refund` and was refused (`F`).
    RefundRefused,
    /// The ACQP called `consultPayment`.
    ConsultCalled,
    /// The ACQP called `applyToken`.
    ApplyTokenCalled,
    /// The ACQP called `cancelToken`.
    CancelTokenCalled,
    /// The ACQP answered the hub's `userInitiatedPay` over HTTP (with an order or a refusal).
    UserInitiatedPayAnswered,
    /// The ACQP acknowledged a `notifyPayment` with a signed `S` ack.
    NotifyAcked,
    /// The hub's payment is waiting (for the customer, or for the wallet's confirmation).
    PaymentInProcess,
    /// The hub's payment succeeded.
    PaymentSucceeded,
    /// The hub's payment failed (declined, expired code, closed).
    PaymentFailed,
    /// The hub's payment was cancelled by the ACQP.
    PaymentCancelled,
    /// The hub's payment was refunded in part.
    PaymentPartiallyRefunded,
    /// The hub's payment was refunded in full.
    PaymentRefunded,
    /// The hub's payment reached any final state (succeeded, failed, cancelled, refunded).
    PaymentFinal,
}

impl StepEvent {
    /// Every event a step can name.
    pub const ALL: [StepEvent; 27] = [
        StepEvent::PaymentCodeShown,
        StepEvent::CodeScanned,
        StepEvent::PaymentConfirmed,
        StepEvent::PaymentDeclined,
        StepEvent::BackedOut,
        StepEvent::EntryCodeOpened,
        StepEvent::PaymentUrlOpened,
        StepEvent::RedirectedToMerchant,
        StepEvent::Authorized,
        StepEvent::AuthorizationRevoked,
        StepEvent::PayCalled,
        StepEvent::InquiryCalled,
        StepEvent::CancelCalled,
        StepEvent::RefundCalled,
        StepEvent::RefundRefused,
        StepEvent::ConsultCalled,
        StepEvent::ApplyTokenCalled,
        StepEvent::CancelTokenCalled,
        StepEvent::UserInitiatedPayAnswered,
        StepEvent::NotifyAcked,
        StepEvent::PaymentInProcess,
        StepEvent::PaymentSucceeded,
        StepEvent::PaymentFailed,
        StepEvent::PaymentCancelled,
        StepEvent::PaymentPartiallyRefunded,
        StepEvent::PaymentRefunded,
        StepEvent::PaymentFinal,
    ];

    /// The name the catalogue writes (`payment-succeeded`).
    pub fn name(self) -> String {
        serde_json::to_value(self)
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default()
    }

    /// The event named `name`, if there is one.
    pub fn parse(name: &str) -> Option<StepEvent> {
        StepEvent::ALL.into_iter().find(|e| e.name() == name)
    }

    /// True when `kind` is this event.
    pub fn matches(self, kind: &EventKind) -> bool {
        match kind {
            EventKind::WalletAction { action } => self.matches_action(action),
            EventKind::AcqpCall(call) => match self {
                StepEvent::RefundRefused => call.api == Api::Refund && call.result_status == "F",
                _ => self.called_api() == Some(call.api),
            },
            EventKind::HubCallback(callback) => match (self, callback.callback) {
                (StepEvent::UserInitiatedPayAnswered, CallbackKind::UserInitiatedPay) => {
                    callback.answered()
                }
                (StepEvent::NotifyAcked, CallbackKind::NotifyPayment) => {
                    !callback.forged && callback.is_signed_ack()
                }
                _ => false,
            },
            EventKind::PaymentState(change) => match self {
                StepEvent::PaymentFinal => change.state.is_final(),
                _ => self.payment_state() == Some(change.state),
            },
            EventKind::ManualAnswer(_) => false,
        }
    }

    /// True when this event is in `events`.
    pub fn happened(self, events: &[Event]) -> bool {
        events.iter().any(|event| self.matches(&event.kind))
    }

    fn matches_action(self, action: &WalletActionKind) -> bool {
        matches!(
            (self, action),
            (
                StepEvent::PaymentCodeShown,
                WalletActionKind::ShowPaymentCode { .. }
            ) | (StepEvent::CodeScanned, WalletActionKind::Scan { .. })
                | (
                    StepEvent::PaymentConfirmed,
                    WalletActionKind::ConfirmPayment
                )
                | (StepEvent::PaymentDeclined, WalletActionKind::DeclinePayment)
                | (StepEvent::BackedOut, WalletActionKind::BackOut)
                | (
                    StepEvent::EntryCodeOpened,
                    WalletActionKind::OpenEntryCode { .. }
                )
                | (
                    StepEvent::PaymentUrlOpened,
                    WalletActionKind::OpenPaymentUrl { .. }
                )
                | (
                    StepEvent::RedirectedToMerchant,
                    WalletActionKind::Redirected { .. }
                )
                | (StepEvent::Authorized, WalletActionKind::Authorize)
                | (
                    StepEvent::AuthorizationRevoked,
                    WalletActionKind::RevokeAuthorization
                )
        )
    }

    fn called_api(self) -> Option<Api> {
        Some(match self {
            StepEvent::PayCalled => Api::Pay,
            StepEvent::InquiryCalled => Api::InquiryPayment,
            StepEvent::CancelCalled => Api::CancelPayment,
            StepEvent::RefundCalled => Api::Refund,
            StepEvent::ConsultCalled => Api::ConsultPayment,
            StepEvent::ApplyTokenCalled => Api::ApplyToken,
            StepEvent::CancelTokenCalled => Api::CancelToken,
            _ => return None,
        })
    }

    fn payment_state(self) -> Option<PaymentState> {
        Some(match self {
            StepEvent::PaymentInProcess => PaymentState::InProcess,
            StepEvent::PaymentSucceeded => PaymentState::Succeeded,
            StepEvent::PaymentFailed => PaymentState::Failed,
            StepEvent::PaymentCancelled => PaymentState::Cancelled,
            StepEvent::PaymentPartiallyRefunded => PaymentState::PartiallyRefunded,
            StepEvent::PaymentRefunded => PaymentState::Refunded,
            _ => return None,
        })
    }
}

impl Step {
    /// True when the event that completes this step is in `events`; a step that names none is
    /// never done.
    pub fn is_done(&self, events: &[Event]) -> bool {
        self.done_when.is_some_and(|event| event.happened(events))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::RecordBuilder;

    #[test]
    fn every_name_reads_back_and_unknown_names_are_none() {
        for event in StepEvent::ALL {
            let name = event.name();
            assert!(
                !name.is_empty() && name.chars().all(|c| c.is_ascii_lowercase() || c == '-'),
                "{event:?} has a kebab-case name: {name:?}"
            );
            assert_eq!(StepEvent::parse(&name), Some(event), "{name}");
        }
        assert_eq!(StepEvent::parse("payment-paid"), None);
    }

    #[test]
    fn a_refund_step_is_not_done_by_the_sales_payment_and_is_by_the_refund() {
        let step = |event| Step {
            instruction: "On the POS, refund the whole sale.".to_owned(),
            expected: "The POS shows the sale as refunded.".to_owned(),
            done_when: Some(event),
        };
        let sale = RecordBuilder::new("RFD-01")
            .pay(0.0, "pay-1", "S", "SUCCESS")
            .payment(1.0, PaymentState::Succeeded)
            .build();
        assert!(
            step(StepEvent::PaymentSucceeded).is_done(&sale.events),
            "the sale's step is done by the sale's payment: {:?}",
            sale.events
        );
        assert!(
            !step(StepEvent::PaymentRefunded).is_done(&sale.events),
            "the refund's step is not done by the sale's payment alone: {:?}",
            sale.events
        );
        let refunded = RecordBuilder::new("RFD-01")
            .pay(0.0, "pay-1", "S", "SUCCESS")
            .payment(1.0, PaymentState::Succeeded)
            .payment(2.0, PaymentState::Refunded)
            .build();
        assert!(
            step(StepEvent::PaymentRefunded).is_done(&refunded.events),
            "the refund's step is done once the payment is refunded: {:?}",
            refunded.events
        );
        assert!(
            StepEvent::PaymentFinal.happened(&sale.events),
            "a success is final"
        );
        let without = Step {
            done_when: None,
            ..step(StepEvent::PaymentRefunded)
        };
        assert!(
            !without.is_done(&refunded.events),
            "a step that names no event is ticked by nothing"
        );
    }
}
