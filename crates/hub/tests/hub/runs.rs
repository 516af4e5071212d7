//! Runs of UPM cases end to end: the wallet (this test) shows codes and answers questions, a
//! test ACQP written from the spec calls the hub, and the verdict is checked both ways: a correct
//! integration passes and a broken one fails with the evidence naming why.

use axum::body::Body;
use axum::http::{Request, StatusCode};
use chrono::Duration;
use linker_hub::Clock;
use serde_json::json;

use crate::support::{Ack, Wallet, notify_to};
use crate::support::{CANCEL, INQUIRY, PAY, TestHub, upm_pay};
use crate::support::{summary, wallet_call as call};

#[tokio::test]
async fn upm_01_passes_a_correct_pos_and_fails_one_whose_pos_shows_no_success() {
    let hub = TestHub::new();
    let acqp = hub.acqp().await;
    let wallet = Wallet::sign_in(&hub, &acqp, "M1").await;

    let run = wallet.start(&hub, "UPM-01").await;
    let code = wallet.code(&hub, &run).await;
    let reply = acqp
        .call(&hub, PAY, &upm_pay("upm01-a", &code, "1000"))
        .await;
    assert_eq!(reply.code(), "SUCCESS", "{}", reply.raw);
    assert_eq!(
        wallet.run(&hub, &run).await["status"],
        "open",
        "waiting for the manual answer"
    );
    let view = wallet
        .answer(&hub, &run, "w-1", "pos-shows-success", true)
        .await;
    assert_eq!(view["status"], "passed", "{}", summary(&view));

    let run = wallet.start(&hub, "UPM-01").await;
    let code = wallet.code(&hub, &run).await;
    acqp.call(&hub, PAY, &upm_pay("upm01-b", &code, "1000"))
        .await;
    let view = wallet
        .answer(&hub, &run, "w-2", "pos-shows-success", false)
        .await;
    assert_eq!(view["status"], "failed", "{view}");
    assert!(
        summary(&view).contains("pos-shows-success"),
        "names the question: {}",
        summary(&view)
    );

    // The same write again (its acknowledgement was lost) changes nothing; a new answer to the
    // decided run is refused, so the wallet can say it came too late.
    let again = wallet
        .answer(&hub, &run, "w-2", "pos-shows-success", false)
        .await;
    assert_eq!(again["status"], "failed", "{again}");
    let (status, late) = wallet
        .send(
            &hub,
            "POST",
            &format!("/runs/{run}/manual-answers"),
            Some(json!({"writeId": "w-3", "questionId": "pos-shows-success", "answer": true})),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{late}");
    assert_eq!(late["code"], "RUN_OVER", "{late}");
    assert_eq!(
        wallet.run(&hub, &run).await["status"],
        "failed",
        "the verdict stands"
    );
}

#[tokio::test]
async fn upm_01_fails_a_pay_without_the_store_and_an_unsigned_one_counts_for_nothing() {
    let hub = TestHub::new();
    let acqp = hub.acqp().await;
    let wallet = Wallet::sign_in(&hub, &acqp, "M1").await;

    let run = wallet.start(&hub, "UPM-01").await;
    let code = wallet.code(&hub, &run).await;
    let mut body = upm_pay("upm01-c", &code, "1000");
    body["order"]["merchant"]
        .as_object_mut()
        .unwrap()
        .remove("store");
    let reply = acqp.call(&hub, PAY, &body).await;
    assert_eq!(reply.code(), "PARAM_ILLEGAL", "{}", reply.raw);
    wallet
        .answer(&hub, &run, "w-1", "pos-shows-success", true)
        .await;
    hub.clock.advance(Duration::seconds(301));
    let view = wallet.run(&hub, &run).await;
    assert_eq!(view["status"], "failed", "{view}");
    let failing: Vec<String> = view["checks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| {
            c["outcome"]["status"] == "failed"
                || c["outcome"].get("failed").is_some()
                || c.to_string().contains("\"failed\"")
        })
        .map(|c| c.to_string())
        .collect();
    assert!(
        failing.iter().any(|c| c.contains("order.merchant.store")),
        "the evidence names the missing field: {failing:?}"
    );

    // The same pay, unsigned.
    let run = wallet.start(&hub, "UPM-01").await;
    let code = wallet.code(&hub, &run).await;
    let body = upm_pay("upm01-d", &code, "1000").to_string();
    let request = Request::builder()
        .method("POST")
        .uri(PAY)
        .header("content-type", "application/json")
        .header("client-id", &acqp.client_id)
        .header("request-time", crate::support::REQUEST_TIME)
        .body(Body::from(body))
        .unwrap();
    let reply = acqp.send(&hub, request, PAY).await;
    assert_eq!(reply.code(), "INVALID_SIGNATURE");
    wallet
        .answer(&hub, &run, "w-2", "pos-shows-success", true)
        .await;
    hub.clock.advance(Duration::seconds(301));
    let view = wallet.run(&hub, &run).await;
    // An unsigned call counts for no run (anyone knowing the Client-Id could send one), so the
    // run never heard the ACQP: broken, saying why.
    assert_eq!(view["status"], "broken", "{view}");
    assert!(
        summary(&view).contains("rejected 1 call(s)") && summary(&view).contains("signature"),
        "the verdict names the rejected call: {}",
        summary(&view)
    );
    let pays = view["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["api"] == "pay")
        .count();
    assert_eq!(pays, 0, "the unsigned pay is no evidence in the run");
}

#[tokio::test]
async fn upm_03_passes_a_handled_decline_and_fails_a_retry_with_the_same_id() {
    let hub = TestHub::new();
    let acqp = hub.acqp().await;
    let wallet = Wallet::sign_in(&hub, &acqp, "M1").await;

    let run = wallet.start(&hub, "UPM-03").await;
    let code = wallet.code(&hub, &run).await;
    let reply = acqp
        .call(&hub, PAY, &upm_pay("upm03-a", &code, "1000"))
        .await;
    assert_eq!(
        (reply.status(), reply.code()),
        ("F", "USER_BALANCE_NOT_ENOUGH"),
        "{}",
        reply.raw
    );
    wallet
        .answer(&hub, &run, "w-1", "pos-shows-failure", true)
        .await;
    hub.clock.advance(Duration::seconds(11));
    let view = wallet.run(&hub, &run).await;
    assert_eq!(
        view["status"],
        "passed",
        "a declined payment handled correctly passes: {}",
        summary(&view)
    );

    let run = wallet.start(&hub, "UPM-03").await;
    let code = wallet.code(&hub, &run).await;
    acqp.call(&hub, PAY, &upm_pay("upm03-b", &code, "1000"))
        .await;
    let again = acqp
        .call(&hub, PAY, &upm_pay("upm03-b", &code, "1000"))
        .await;
    assert_eq!(
        again.code(),
        "USER_BALANCE_NOT_ENOUGH",
        "the same final answer: {}",
        again.raw
    );
    wallet
        .answer(&hub, &run, "w-2", "pos-shows-failure", true)
        .await;
    hub.clock.advance(Duration::seconds(11));
    let view = wallet.run(&hub, &run).await;
    assert_eq!(view["status"], "failed", "{view}");
    assert!(
        summary(&view).contains("no-retry-after-failure"),
        "{}",
        summary(&view)
    );
}

#[tokio::test]
async fn upm_04_passes_an_acqp_that_polls_then_cancels_and_fails_one_that_never_cancels() {
    let hub = TestHub::new();
    let acqp = hub.acqp().await;
    let wallet = Wallet::sign_in(&hub, &acqp, "M1").await;

    let run = wallet.start(&hub, "UPM-04").await;
    let code = wallet.code(&hub, &run).await;
    let reply = acqp
        .call(&hub, PAY, &upm_pay("upm04-a", &code, "1000"))
        .await;
    assert_eq!(
        (reply.status(), reply.code()),
        ("U", "PAYMENT_IN_PROCESS"),
        "{}",
        reply.raw
    );
    for _ in 0..20 {
        hub.clock.advance(Duration::seconds(3));
        let inquiry = acqp
            .call(&hub, INQUIRY, &json!({"paymentRequestId": "upm04-a"}))
            .await;
        assert_eq!(
            inquiry.body["paymentResult"]["resultStatus"], "U",
            "{}",
            inquiry.raw
        );
    }
    let cancel = acqp
        .call(&hub, CANCEL, &json!({"paymentRequestId": "upm04-a"}))
        .await;
    assert_eq!(cancel.code(), "SUCCESS", "{}", cancel.raw);
    let view = wallet
        .answer(&hub, &run, "w-1", "pos-shows-not-paid", true)
        .await;
    assert_eq!(view["status"], "passed", "{}", summary(&view));

    let run = wallet.start(&hub, "UPM-04").await;
    let code = wallet.code(&hub, &run).await;
    acqp.call(&hub, PAY, &upm_pay("upm04-b", &code, "1000"))
        .await;
    for _ in 0..5 {
        hub.clock.advance(Duration::seconds(3));
        acqp.call(&hub, INQUIRY, &json!({"paymentRequestId": "upm04-b"}))
            .await;
    }
    wallet
        .answer(&hub, &run, "w-2", "pos-shows-not-paid", true)
        .await;
    hub.clock.advance(Duration::seconds(300));
    assert_eq!(
        hub.hub.sweep_runs().unwrap(),
        1,
        "the sweep decides the run at its timeout"
    );
    let view = wallet.run(&hub, &run).await;
    assert_eq!(view["status"], "failed", "{view}");
    assert!(
        summary(&view).contains("no cancelPayment within 90 s of pay"),
        "the evidence names the missing cancel: {}",
        summary(&view)
    );
}

#[tokio::test]
async fn upm_02_succeeds_after_the_wallet_confirms_and_needs_the_notify_acked() {
    let hub = TestHub::new();
    let acqp = hub.acqp().await;
    let endpoint = notify_to(&hub, &acqp, Ack::Signed).await;
    let wallet = Wallet::sign_in(&hub, &acqp, "M1").await;

    let run = wallet.start(&hub, "UPM-02").await;
    let code = wallet.code(&hub, &run).await;
    let reply = acqp
        .call(&hub, PAY, &upm_pay("upm02-a", &code, "90000"))
        .await;
    assert_eq!(reply.code(), "PAYMENT_IN_PROCESS", "{}", reply.raw);
    hub.clock.advance(Duration::seconds(3));
    acqp.call(&hub, INQUIRY, &json!({"paymentRequestId": "upm02-a"}))
        .await;
    let (status, view) = wallet
        .send(&hub, "POST", &format!("/runs/{run}/confirm"), None)
        .await;
    assert_eq!(status, StatusCode::OK, "{view}");
    hub.hub.deliver_due().await.unwrap();
    assert_eq!(
        endpoint.count(),
        1,
        "the notify went out after the confirmation"
    );
    hub.clock.advance(Duration::seconds(3));
    let inquiry = acqp
        .call(&hub, INQUIRY, &json!({"paymentRequestId": "upm02-a"}))
        .await;
    assert_eq!(
        inquiry.body["paymentResult"]["resultCode"], "SUCCESS",
        "{}",
        inquiry.raw
    );
    let view = wallet
        .answer(&hub, &run, "w-1", "pos-shows-success", true)
        .await;
    assert_eq!(view["status"], "passed", "{}", summary(&view));
}

#[tokio::test]
async fn upm_02_fails_an_acqp_that_polls_every_half_second() {
    let hub = TestHub::new();
    let acqp = hub.acqp().await;
    let _endpoint = notify_to(&hub, &acqp, Ack::Signed).await;
    let wallet = Wallet::sign_in(&hub, &acqp, "M1").await;
    let run = wallet.start(&hub, "UPM-02").await;
    let code = wallet.code(&hub, &run).await;
    acqp.call(&hub, PAY, &upm_pay("upm02-b", &code, "90000"))
        .await;
    for _ in 0..4 {
        hub.clock.advance(Duration::milliseconds(500));
        acqp.call(&hub, INQUIRY, &json!({"paymentRequestId": "upm02-b"}))
            .await;
    }
    wallet
        .send(&hub, "POST", &format!("/runs/{run}/confirm"), None)
        .await;
    hub.hub.deliver_due().await.unwrap();
    let view = wallet
        .answer(&hub, &run, "w-1", "pos-shows-success", true)
        .await;
    assert_eq!(view["status"], "failed", "{view}");
    assert!(
        summary(&view).contains("polls-no-faster-than"),
        "{}",
        summary(&view)
    );
}

#[tokio::test]
async fn a_merchant_sees_and_writes_only_its_own_runs() {
    let hub = TestHub::new();
    let acqp = hub.acqp().await;
    let mine = Wallet::sign_in(&hub, &acqp, "M1").await;
    let theirs = Wallet::sign_in(&hub, &acqp, "M2").await;
    let run = mine.start(&hub, "UPM-01").await;
    for (method, path) in [
        ("GET", format!("/runs/{run}")),
        ("POST", format!("/runs/{run}/payment-code")),
        ("POST", format!("/runs/{run}/confirm")),
    ] {
        let (status, body) = theirs.send(&hub, method, &path, None).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{method} {path}: {body}");
    }
    let (status, _) = theirs
        .send(
            &hub,
            "POST",
            &format!("/runs/{run}/manual-answers"),
            Some(json!({"writeId": "x", "questionId": "pos-shows-success", "answer": true})),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (_, runs) = theirs.send(&hub, "GET", "/runs", None).await;
    assert_eq!(runs, json!([]), "no foreign runs listed");
    let (status, _) = call(&hub, "GET", "/runs", None, None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn a_manual_answer_sent_twice_counts_once_and_a_new_run_skips_the_open_one() {
    let hub = TestHub::new();
    let acqp = hub.acqp().await;
    let wallet = Wallet::sign_in(&hub, &acqp, "M1").await;
    let first = wallet.start(&hub, "UPM-04").await;
    wallet
        .answer(&hub, &first, "write-1", "pos-shows-not-paid", true)
        .await;
    let view = wallet
        .answer(&hub, &first, "write-1", "pos-shows-not-paid", true)
        .await;
    let answers = view["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"] == "manual_answer")
        .count();
    assert_eq!(answers, 1, "the same write id is one answer: {view}");

    let (status, error) = wallet
        .send(
            &hub,
            "POST",
            &format!("/runs/{first}/manual-answers"),
            Some(json!({"writeId": "w", "questionId": "teleported", "answer": true})),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{error}");

    let second = wallet.start(&hub, "UPM-01").await;
    let view = wallet.run(&hub, &first).await;
    assert_eq!(view["status"], "skipped", "{view}");
    assert!(summary(&view).contains("UPM-01"), "{}", summary(&view));
    assert_eq!(wallet.run(&hub, &second).await["status"], "open");

    let (status, error) = wallet
        .send(&hub, "POST", "/runs", Some(json!({"caseId": "CSH-01"})))
        .await;
    assert!(status == StatusCode::CONFLICT, "{status} {error}");
    let (status, _) = wallet
        .send(&hub, "POST", "/runs", Some(json!({"caseId": "XYZ-99"})))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let _ = hub.clock.now();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn upm_06_a_held_answer_passes_an_acqp_that_inquires_meanwhile_and_fails_one_that_only_waits()
{
    let hub = TestHub::new();
    let acqp = hub.acqp().await;
    let wallet = Wallet::sign_in(&hub, &acqp, "M1").await;
    for (id, inquires) in [("upm06-a", true), ("upm06-b", false)] {
        // The pay answer is held 1 s of real time (30 s by default): the run shortens it.
        let (status, run) = wallet
            .send(
                &hub,
                "POST",
                "/runs",
                Some(json!({"caseId": "UPM-06", "slowAnswerSecs": 1})),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{run}");
        let run = run["id"].as_str().unwrap().to_owned();
        let code = wallet.code(&hub, &run).await;
        let body = upm_pay(id, &code, "1000");
        let pay = acqp.call(&hub, PAY, &body);
        if inquires {
            // A client whose timeout fired inquires while the answer is still held.
            let inquiry = async {
                tokio::time::sleep(std::time::Duration::from_millis(300)).await;
                acqp.call(&hub, INQUIRY, &json!({"paymentRequestId": id}))
                    .await
            };
            let (paid, inquiry) = tokio::join!(pay, inquiry);
            assert_eq!(
                inquiry.body["paymentResult"]["resultStatus"], "U",
                "in process while held: {}",
                inquiry.raw
            );
            assert_eq!(paid.code(), "SUCCESS", "{}", paid.raw);
        } else {
            assert_eq!(pay.await.code(), "SUCCESS");
        }
        wallet
            .answer(&hub, &run, "w1", "pos-no-double-charge", true)
            .await;
        hub.clock.advance(Duration::seconds(301));
        let view = wallet.run(&hub, &run).await;
        if inquires {
            assert_eq!(view["status"], "passed", "{}", summary(&view));
        } else {
            assert_eq!(view["status"], "failed", "{view}");
            assert!(
                summary(&view).contains("inquires-or-cancels"),
                "{}",
                summary(&view)
            );
        }
    }
}

#[tokio::test]
async fn upm_05_passes_an_identical_repeat_or_an_inquiry_and_fails_a_changed_repeat() {
    let hub = TestHub::new();
    let acqp = hub.acqp().await;
    let wallet = Wallet::sign_in(&hub, &acqp, "M1").await;
    for (id, how) in [
        ("upm05-a", "repeat"),
        ("upm05-b", "inquire"),
        ("upm05-c", "changed"),
    ] {
        let run = wallet.start(&hub, "UPM-05").await;
        let code = wallet.code(&hub, &run).await;
        let first = acqp.call(&hub, PAY, &upm_pay(id, &code, "1000")).await;
        assert_eq!(
            (first.status(), first.code()),
            ("U", "UNKNOWN_EXCEPTION"),
            "{}",
            first.raw
        );
        hub.clock.advance(Duration::seconds(3));
        match how {
            "repeat" => {
                let again = acqp.call(&hub, PAY, &upm_pay(id, &code, "1000")).await;
                assert_eq!(
                    again.code(),
                    "SUCCESS",
                    "the payment did succeed: {}",
                    again.raw
                );
            }
            "inquire" => {
                let inquiry = acqp
                    .call(&hub, INQUIRY, &json!({"paymentRequestId": id}))
                    .await;
                assert_eq!(
                    inquiry.body["paymentResult"]["resultCode"], "SUCCESS",
                    "{}",
                    inquiry.raw
                );
            }
            _ => {
                let changed = acqp.call(&hub, PAY, &upm_pay(id, &code, "1100")).await;
                assert_eq!(changed.code(), "REPEAT_REQ_INCONSISTENT", "{}", changed.raw);
            }
        }
        wallet
            .answer(&hub, &run, "w1", "pos-shows-success", true)
            .await;
        hub.clock.advance(Duration::seconds(301));
        let view = wallet.run(&hub, &run).await;
        if how == "changed" {
            assert_eq!(view["status"], "failed", "{view}");
            assert!(
                view.to_string().contains("resolves-unknown-result"),
                "{}",
                summary(&view)
            );
        } else {
            assert_eq!(view["status"], "passed", "{how}: {}", summary(&view));
        }
    }
}

#[tokio::test]
async fn upm_07_passes_a_pos_that_asks_for_a_new_code_and_fails_one_that_retries_the_dead_one() {
    let hub = TestHub::new();
    let acqp = hub.acqp().await;
    let wallet = Wallet::sign_in(&hub, &acqp, "M1").await;
    for (id, retries) in [("upm07-a", false), ("upm07-b", true)] {
        let run = wallet.start(&hub, "UPM-07").await;
        let code = wallet.code(&hub, &run).await;
        let first = acqp.call(&hub, PAY, &upm_pay(id, &code, "1000")).await;
        assert_eq!(
            (first.status(), first.code()),
            ("F", "EXPIRED_CODE"),
            "{}",
            first.raw
        );
        if retries {
            acqp.call(&hub, PAY, &upm_pay(id, &code, "1000")).await;
        }
        wallet
            .answer(&hub, &run, "w1", "pos-asks-for-new-code", true)
            .await;
        hub.clock.advance(Duration::seconds(11));
        let view = wallet.run(&hub, &run).await;
        if retries {
            assert_eq!(view["status"], "failed", "{view}");
            assert!(
                summary(&view).contains("no-retry-after-failure"),
                "{}",
                summary(&view)
            );
        } else {
            assert_eq!(view["status"], "passed", "{}", summary(&view));
        }
    }
}

#[tokio::test]
async fn pay_is_answered_on_the_blocking_pool_only_while_a_run_may_hold_it() {
    let hub = TestHub::new();
    let acqp = hub.acqp().await;
    let wallet = Wallet::sign_in(&hub, &acqp, "H1").await;
    assert!(!hub.hub.pay_may_be_held(), "no run is open");
    wallet.start(&hub, "UPM-01").await;
    assert!(
        !hub.hub.pay_may_be_held(),
        "UPM-01 answers at once: pay stays on the async worker"
    );
    wallet.start(&hub, "UPM-06").await;
    assert!(
        hub.hub.pay_may_be_held(),
        "an open UPM-06 run holds its pay answer: the blocking pool"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_merchant_has_at_most_one_open_run_however_many_it_starts_at_once() {
    let hub = std::sync::Arc::new(TestHub::new());
    let acqp = hub.acqp().await;
    let wallet = Wallet::sign_in(&hub, &acqp, "M1").await;
    let token = wallet.token().to_owned();
    let starts = (0..24).map(|i| {
        let (hub, token) = (hub.clone(), token.clone());
        let case = if i % 2 == 0 { "UPM-01" } else { "UPM-04" };
        tokio::spawn(async move {
            call(
                &hub,
                "POST",
                "/runs",
                Some(&token),
                Some(json!({"caseId": case})),
            )
            .await
        })
    });
    for start in starts.collect::<Vec<_>>() {
        let (status, run) = start.await.unwrap();
        assert_eq!(
            status,
            StatusCode::CREATED,
            "every start is answered: {run}"
        );
    }
    let (_, runs) = wallet.send(&hub, "GET", "/runs", None).await;
    let runs = runs.as_array().cloned().unwrap_or_default();
    let open: Vec<_> = runs.iter().filter(|run| run["status"] == "open").collect();
    assert_eq!(runs.len(), 24, "24 runs were started: {runs:?}");
    assert_eq!(
        open.len(),
        1,
        "one run is open and the other 23 were skipped by the starts after them: {open:?}"
    );
}
