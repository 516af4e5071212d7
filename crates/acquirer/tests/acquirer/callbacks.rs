//! Callbacks from the hub: notifications (forged, genuine, duplicate) and userInitiatedPay.

use std::time::Duration;

use linker_aplus::signature::SignedContent;
use linker_aplus::{KeyPair, PublicKey, Signer, Verifier};
use linker_pos_driver::{AmountRequest, DisplayState};
use serde_json::{Value, json};

use crate::support::{
    Pos, Wallet, World, charge, eventually, hkd, request_id, response, wait_display,
};

const WAIT: Duration = Duration::from_secs(15);

/// Runs a case whose prelude is a paid UPM payment, charged through the POS driver.
pub async fn paid_run(world: &World, pos: &Pos, wallet: &Wallet, case: &str) -> (String, String) {
    let run = wallet.start(world, case).await;
    let code = wallet.code(world, &run).await;
    let mut request = charge(&code, "1200");
    request.run_id = run.clone();
    request.case_id = case.into();
    let started = pos.driver.charge(&request).await.unwrap();
    wait_display(pos, &started.pos_payment_id, DisplayState::Paid, WAIT).await;
    (run, started.pos_payment_id)
}

#[tokio::test]
async fn a_forged_notification_is_rejected_and_the_genuine_one_acked_signed() {
    let world = World::new().await;
    let pos = world.pos(&[]).await;
    let wallet = world.wallet("M1").await;
    let (run, _) = paid_run(&world, &pos, &wallet, "NTF-01").await;
    let deliveries = eventually("forged then delivered", WAIT, || async {
        let all = world.deliveries().await;
        let forged = all.iter().any(|d| d["status"] == "sentForged");
        let delivered = all.iter().any(|d| d["status"] == "delivered");
        if forged && delivered {
            Ok(all)
        } else {
            Err(format!("{all:?}"))
        }
    })
    .await;
    let forged = deliveries
        .iter()
        .find(|d| d["status"] == "sentForged")
        .unwrap();
    assert!(
        forged["lastError"].is_string(),
        "the forged one was not acked: {forged}"
    );
    let (outcome, reason) = wallet.check(&world, &run, "forged-notify-rejected").await;
    assert_eq!(outcome, "passed", "{reason}");
    let (outcome, reason) = wallet.check(&world, &run, "notify-acked").await;
    assert_eq!(outcome, "passed", "{reason}");
}

#[tokio::test]
async fn a_duplicate_notification_is_acked_twice_and_recorded_once() {
    let world = World::new().await;
    let pos = world.pos(&[]).await;
    let wallet = world.wallet("M1").await;
    let (run, id) = paid_run(&world, &pos, &wallet, "NTF-02").await;
    let prid = request_id(&pos, &id);
    eventually("both copies delivered", WAIT, || async {
        let all = world.deliveries().await;
        let delivered = all.iter().filter(|d| d["status"] == "delivered").count();
        if delivered >= 2 {
            Ok(())
        } else {
            Err(format!("{all:?}"))
        }
    })
    .await;
    assert_eq!(
        pos.acquirer.notification_count(&prid).unwrap(),
        1,
        "the same notification is recorded once"
    );
    let (outcome, reason) = wallet.check(&world, &run, "duplicate-notify-acked").await;
    assert_eq!(outcome, "passed", "{reason}");
    assert_eq!(
        pos.driver.display(&id).await.unwrap().state,
        DisplayState::Paid
    );
}

/// Posts a notifyPayment signed with `key` straight to the acquirer; returns the reply, its
/// headers and whether its signature verifies with `acqp`.
async fn post_notification(pos: &Pos, key: &KeyPair, acqp: &PublicKey) -> (Value, bool) {
    let url = pos.acquirer.notify_url();
    let path = "/aplus/notifyPayment";
    let body = json!({
        "acquirerId": "102218800000000001", "pspId": "1022999000000000001",
        "paymentResult": {"resultCode": "SUCCESS", "resultStatus": "S", "resultMessage": "success"},
        "paymentRequestId": "unknown-payment", "paymentId": "p1",
        "paymentAmount": {"currency": "HKD", "value": "100"}
    })
    .to_string();
    let time = "2026-11-25T10:00:00+08:00";
    let signature = Signer::new(
        "HUB",
        linker_aplus::PrivateKey::from_base64_or_pem(&key.private.to_base64()).unwrap(),
    )
    .sign("POST", path, time, body.as_bytes())
    .unwrap()
    .format();
    let answer = reqwest::Client::new()
        .post(url)
        .header("content-type", "application/json; charset=UTF-8")
        .header("client-id", "HUB")
        .header("request-time", time)
        .header("signature", signature)
        .body(body)
        .send()
        .await
        .unwrap();
    let headers = answer.headers().clone();
    let text = answer.text().await.unwrap();
    let signed = match (
        headers.get("signature"),
        headers.get("response-time"),
        headers.get("client-id"),
    ) {
        (Some(s), Some(t), Some(c)) => Verifier::new(acqp.clone())
            .verify_header(
                &SignedContent {
                    method: "POST",
                    path,
                    client_id: c.to_str().unwrap(),
                    time: t.to_str().unwrap(),
                    body: text.as_bytes(),
                },
                s.to_str().unwrap(),
            )
            .is_ok(),
        _ => false,
    };
    (serde_json::from_str(&text).unwrap(), signed)
}

#[tokio::test]
async fn a_notification_signed_with_another_key_gets_a_signed_refusal() {
    let world = World::new().await;
    let pos = world.pos(&[]).await;
    let acqp = PublicKey::from_base64_or_pem(pos.acquirer.public_key_pem()).unwrap();
    let stranger = KeyPair::generate().unwrap();
    let (reply, signed) = post_notification(&pos, &stranger, &acqp).await;
    assert_ne!(
        reply["result"]["resultStatus"], "S",
        "a forged notification is not acked: {reply}"
    );
    assert_eq!(
        reply["result"]["resultCode"], "INVALID_SIGNATURE",
        "{reply}"
    );
    assert!(signed, "even the refusal is signed");

    let trusting = World::new().await;
    let faulty = trusting
        .pos(&[linker_acquirer::Fault::SkipSignatureVerification])
        .await;
    let acqp = PublicKey::from_base64_or_pem(faulty.acquirer.public_key_pem()).unwrap();
    let (reply, _) = post_notification(&faulty, &stranger, &acqp).await;
    assert_eq!(
        reply["result"]["resultStatus"], "S",
        "skip-signature-verification acks it: {reply}"
    );
}

#[tokio::test]
async fn a_private_order_code_gets_the_same_order_twice_and_an_unknown_code_order_not_exist() {
    let world = World::new().await;
    let pos = world.pos(&[]).await;
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
    let parsed = linker_aplus::code::order_code::OrderCode::parse(&shown.code_value).unwrap();
    assert_eq!(
        parsed.domain,
        pos.acquirer.private_code_domain(),
        "{shown:?}"
    );
    let (status, scan) = wallet
        .send(
            &world,
            "POST",
            &format!("/runs/{run}/scan"),
            Some(json!({"codeValue": shown.code_value})),
        )
        .await;
    assert_eq!(status, 200, "{scan}");
    let uips = world.exchanges("userInitiatedPay").await;
    assert_eq!(uips.len(), 2, "MPC-01 asks twice: {uips:?}");
    let ids: Vec<Value> = uips
        .iter()
        .map(|e| response(e)["paymentRequestId"].clone())
        .collect();
    assert_eq!(ids[0], ids[1], "the same order for the same code");
    assert_eq!(ids[0], request_id(&pos, &shown.pos_payment_id).as_str());
    let (outcome, reason) = wallet.check(&world, &run, "uip-idempotent").await;
    assert_eq!(outcome, "passed", "{reason}");
    let (outcome, reason) = wallet.check(&world, &run, "uip-reply-valid").await;
    assert_eq!(outcome, "passed", "{reason}");

    let run = wallet.start(&world, "MPC-02").await;
    let never = format!(
        "https://{}/281888041234NeverIssued",
        pos.acquirer.private_code_domain()
    );
    wallet
        .send(
            &world,
            "POST",
            &format!("/runs/{run}/scan"),
            Some(json!({"codeValue": never})),
        )
        .await;
    let last = world.exchanges("userInitiatedPay").await.pop().unwrap();
    assert_eq!(
        response(&last)["result"]["resultCode"],
        "ORDER_NOT_EXIST",
        "{last}"
    );
    let (outcome, reason) = wallet
        .check(&world, &run, "uip-unknown-code-rejected")
        .await;
    assert_eq!(outcome, "passed", "{reason}");
}
