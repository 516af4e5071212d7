//! One test per fault switch: the faulty acquirer fails the case on the check the switch is
//! named after, and the evidence says why.

use linker_acquirer::Fault;
use linker_cases::Outcome;

use crate::support::{describe, failure_of, only, run};

/// Runs `case` against an acquirer with `fault`; returns why `check` failed. (That the correct
/// acquirer passes the same case is `every_case`'s test.)
async fn fails_on(fault: Fault, case: &str, check: &str) -> String {
    let faulty = run(&[fault], &[case]).await;
    let failed = only(&faulty, case);
    assert_eq!(
        failed.outcome,
        Outcome::Failed,
        "{} fails {case}: {}",
        fault.name(),
        describe(failed)
    );
    failure_of(failed, check).unwrap_or_else(|| {
        panic!(
            "{} must fail {case} on {check}: {}",
            fault.name(),
            describe(failed)
        )
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn skip_signature_verification_fails_ntf_01_on_the_forged_notification() {
    let reason = fails_on(
        Fault::SkipSignatureVerification,
        "NTF-01",
        "forged-notify-rejected",
    )
    .await;
    assert!(reason.to_lowercase().contains("forged"), "{reason}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unsigned_notify_ack_fails_moc_01_on_the_ack() {
    let reason = fails_on(Fault::UnsignedNotifyAck, "MOC-01", "notify-acked").await;
    assert!(reason.to_lowercase().contains("sign"), "{reason}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn poll_too_fast_fails_upm_02_on_the_polling_interval() {
    let reason = fails_on(Fault::PollTooFast, "UPM-02", "polls-no-faster-than").await;
    assert!(
        reason.contains("apart") || reason.contains("interval") || reason.contains(" s"),
        "{reason}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn never_cancel_fails_upm_04_on_the_missing_cancel() {
    let reason = fails_on(Fault::NeverCancel, "UPM-04", "cancels-within").await;
    assert!(reason.contains("cancelPayment"), "{reason}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retry_with_changed_body_fails_upm_05_on_the_repeat() {
    let reason = fails_on(
        Fault::RetryWithChangedBody,
        "UPM-05",
        "resolves-unknown-result",
    )
    .await;
    assert!(
        reason.to_lowercase().contains("body") || reason.contains("changed"),
        "{reason}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lose_user_initiated_pay_idempotency_fails_mpc_01_on_the_repeated_code() {
    let reason = fails_on(
        Fault::LoseUserInitiatedPayIdempotency,
        "MPC-01",
        "uip-idempotent",
    )
    .await;
    assert!(
        reason.to_lowercase().contains("order") || reason.contains("same"),
        "{reason}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_redirect_url_fails_csh_01_on_the_cashier_fields() {
    let reason = fails_on(Fault::NoRedirectUrl, "CSH-01", "cashier-pay-fields").await;
    assert!(reason.contains("paymentRedirectUrl"), "{reason}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn trust_redirect_fails_csh_02_when_the_site_shows_an_abandoned_order_paid() {
    let reason = fails_on(Fault::TrustRedirect, "CSH-02", "manual:site-shows-not-paid").await;
    assert!(reason.contains("answered no"), "{reason}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn skip_consult_fails_csh_03_on_the_missing_consult() {
    let reason = fails_on(Fault::SkipConsult, "CSH-03", "consults-before-pay").await;
    assert!(
        reason.contains("without a successful consultPayment"),
        "{reason}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn skip_apply_token_fails_adb_01_on_the_debit_without_a_token() {
    let reason = fails_on(Fault::SkipApplyToken, "ADB-01", "agreement-pay-fields").await;
    assert!(reason.contains("applyToken"), "{reason}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retry_revoked_token_fails_adb_02_on_the_second_debit() {
    let reason = fails_on(
        Fault::RetryRevokedToken,
        "ADB-02",
        "stops-using-revoked-token",
    )
    .await;
    assert!(reason.contains("debited again"), "{reason}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unlink_locally_fails_adb_03_on_the_missing_cancel_token() {
    let reason = fails_on(
        Fault::UnlinkLocally,
        "ADB-03",
        "cancels-token-before-unlinked",
    )
    .await;
    assert!(reason.contains("never called cancelToken"), "{reason}");
}
