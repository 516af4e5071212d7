//! Each fault switch changes exactly the behaviour it names, against the same hub script.

use std::time::Duration;

use chrono::DateTime;
use linker_acquirer::Fault;
use linker_pos_driver::{AmountRequest, DisplayState};
use serde_json::{Value, json};

use crate::callbacks::paid_run;
use crate::support::{World, body, charge, eventually, hkd, request_id, response};

const WAIT: Duration = Duration::from_secs(15);

fn at(exchange: &Value) -> DateTime<chrono::FixedOffset> {
    DateTime::parse_from_rfc3339(exchange["at"].as_str().unwrap()).unwrap()
}

fn shortest_gap_ms(exchanges: &[Value]) -> i64 {
    exchanges
        .windows(2)
        .map(|w| (at(&w[1]) - at(&w[0])).num_milliseconds())
        .min()
        .unwrap_or(i64::MAX)
}

/// A UPM payment the hub keeps answering U for; returns its paymentRequestId once the POS gave up.
async fn never_confirmed(world: &World, faults: &[Fault]) -> (crate::support::Pos, String, String) {
    let pos = world.pos(faults).await;
    world.force("pay", "PAYMENT_IN_PROCESS").await;
    world.force("inquiryPayment", "PAYMENT_IN_PROCESS").await;
    let code = world.payment_code().await;
    let started = pos.driver.charge(&charge(&code, "5000")).await.unwrap();
    let id = started.pos_payment_id.clone();
    let prid = request_id(&pos, &id);
    eventually("the POS gives up", WAIT, || async {
        let shown = pos.driver.display(&id).await.map_err(|e| e.to_string())?;
        if shown.state == DisplayState::Waiting {
            Err(format!("{shown:?}"))
        } else {
            Ok(())
        }
    })
    .await;
    (pos, id, prid)
}

#[tokio::test]
async fn poll_too_fast_and_never_cancel_change_the_polling_and_the_cancel() {
    let correct = World::new().await;
    let (pos, id, prid) = never_confirmed(&correct, &[]).await;
    let inquiries = correct.exchanges_for("inquiryPayment", &prid).await;
    assert!(inquiries.len() >= 2, "it polled: {}", inquiries.len());
    let gap = shortest_gap_ms(&inquiries);
    assert!(
        gap >= 300,
        "a correct POS polls no faster than its interval (400 ms): {gap} ms"
    );
    let cancels = correct.exchanges_for("cancelPayment", &prid).await;
    assert!(
        !cancels.is_empty(),
        "a correct POS cancels what it gives up on"
    );
    let shown = pos.driver.display(&id).await.unwrap();
    assert_eq!(shown.state, DisplayState::Cancelled, "{shown:?}");

    let faulty = World::new().await;
    let (pos, id, prid) = never_confirmed(&faulty, &[Fault::PollTooFast, Fault::NeverCancel]).await;
    let inquiries = faulty.exchanges_for("inquiryPayment", &prid).await;
    let gap = shortest_gap_ms(&inquiries);
    assert!(
        gap < 200,
        "poll-too-fast polls every ~50 ms here: shortest gap {gap} ms"
    );
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(
        faulty
            .exchanges_for("cancelPayment", &prid)
            .await
            .is_empty(),
        "never-cancel sends no cancelPayment"
    );
    let shown = pos.driver.display(&id).await.unwrap();
    assert_eq!(
        shown.state,
        DisplayState::Failed,
        "gave up without cancelling: {shown:?}"
    );
}

#[tokio::test]
async fn retry_with_changed_body_repeats_pay_with_a_different_body() {
    for (faults, expected) in [(vec![], 1usize), (vec![Fault::RetryWithChangedBody], 2)] {
        let world = World::new().await;
        let pos = world.pos(&faults).await;
        let forced = world.force("pay", "UNKNOWN_EXCEPTION").await;
        let code = world.payment_code().await;
        let started = pos.driver.charge(&charge(&code, "3000")).await.unwrap();
        let prid = request_id(&pos, &started.pos_payment_id);
        world
            .wait_for_exchanges(
                "an inquiry after the unknown result",
                "inquiryPayment",
                &prid,
                1,
                WAIT,
            )
            .await;
        world.unforce(&forced).await;
        let pays = world.exchanges_for("pay", &prid).await;
        assert_eq!(pays.len(), expected, "faults {faults:?}: pays {pays:?}");
        if expected == 2 {
            assert_ne!(body(&pays[0]), body(&pays[1]), "the repeat's body differs");
        }
    }
}

#[tokio::test]
async fn unsigned_notify_ack_leaves_the_notification_unacknowledged() {
    let world = World::new().await;
    let pos = world.pos(&[Fault::UnsignedNotifyAck]).await;
    let wallet = world.wallet("M1").await;
    let (run, _) = paid_run(&world, &pos, &wallet, "NTF-02").await;
    let deliveries = eventually("attempts made", WAIT, || async {
        let all = world.deliveries().await;
        let tried = all
            .iter()
            .filter(|d| d["attempts"].as_u64().unwrap_or(0) >= 1)
            .count();
        if tried >= 1 {
            Ok(all)
        } else {
            Err(format!("{all:?}"))
        }
    })
    .await;
    assert!(
        deliveries.iter().all(|d| d["status"] != "delivered"),
        "an unsigned ack does not count: {deliveries:?}"
    );
    let reasons: Vec<&str> = deliveries
        .iter()
        .filter_map(|d| d["lastError"].as_str())
        .collect();
    assert!(
        reasons.iter().any(|r| r.to_lowercase().contains("sign")),
        "{reasons:?}"
    );
    let (outcome, _) = wallet.check(&world, &run, "duplicate-notify-acked").await;
    assert_ne!(outcome, "passed", "the check does not pass");
}

#[tokio::test]
async fn skip_signature_verification_acks_the_forged_notification() {
    let world = World::new().await;
    let pos = world.pos(&[Fault::SkipSignatureVerification]).await;
    let wallet = world.wallet("M1").await;
    let (run, _) = paid_run(&world, &pos, &wallet, "NTF-01").await;
    eventually("forged-notify-rejected decided", WAIT, || async {
        let (outcome, reason) = wallet.check(&world, &run, "forged-notify-rejected").await;
        if outcome == "failed" {
            Ok(())
        } else {
            Err(format!("{outcome}: {reason}"))
        }
    })
    .await;
}

#[tokio::test]
async fn lose_user_initiated_pay_idempotency_gives_a_repeated_code_a_new_order() {
    let world = World::new().await;
    let pos = world.pos(&[Fault::LoseUserInitiatedPayIdempotency]).await;
    let wallet = world.wallet("M1").await;
    let run = wallet.start(&world, "MPC-01").await;
    let shown = pos
        .driver
        .private_order_code(&AmountRequest {
            run_id: run.clone(),
            case_id: "MPC-01".into(),
            amount: hkd("880"),
        })
        .await
        .unwrap();
    wallet
        .send(
            &world,
            "POST",
            &format!("/runs/{run}/scan"),
            Some(json!({"codeValue": shown.code_value})),
        )
        .await;
    let uips = world.exchanges("userInitiatedPay").await;
    assert_eq!(uips.len(), 2, "{uips:?}");
    assert_ne!(
        response(&uips[0])["paymentRequestId"],
        response(&uips[1])["paymentRequestId"],
        "a new order for the same code"
    );
    let (outcome, reason) = wallet.check(&world, &run, "uip-idempotent").await;
    assert_eq!(outcome, "failed", "{reason}");
}

#[test]
fn faults_parse_from_their_kebab_case_names() {
    for fault in Fault::ALL {
        assert_eq!(fault.name().parse::<Fault>().unwrap(), fault);
        assert!(!fault.description().is_empty());
    }
    let set = linker_acquirer::parse_faults("poll-too-fast, never-cancel").unwrap();
    assert_eq!(set.len(), 2);
    let error = "fly-away".parse::<Fault>().unwrap_err().to_string();
    assert!(
        error.contains("poll-too-fast"),
        "names the known faults: {error}"
    );
}
