//! Offline first: writes made while the hub is down are kept, counted and explained, and reach
//! the hub once each when it is back; a write the hub refuses is failed with its reason.

use chrono::Duration;
use linker_wallet::Clock;
use linker_wallet::{EventKind, ManualAnswerInput, WriteKind, WriteState};

use crate::support::{Setup, photo, stored_token};

fn manual_answers(events: &[linker_wallet::Event]) -> usize {
    events
        .iter()
        .filter(|e| matches!(e.kind, EventKind::ManualAnswer(_)))
        .count()
}

#[tokio::test]
async fn writes_made_offline_reach_the_hub_once_when_it_is_back() {
    let mut setup = Setup::new().await;
    let wallet = setup.wallet.clone();
    wallet.cases().await.unwrap();
    let run = wallet
        .start_run("UPM-01", Default::default())
        .await
        .unwrap();
    let hub_url = setup.hub.url.clone();

    setup.hub.stop().await;
    let photo_bytes = photo();
    let attached = wallet.attach_photo(None, &photo_bytes).await.unwrap();
    assert_eq!(attached.state, WriteState::Pending, "queued: {attached:?}");
    assert_eq!(attached.kind, WriteKind::Attachment);
    assert!(
        attached
            .error
            .as_deref()
            .is_some_and(|e| e.contains(&hub_url)),
        "says why: {:?}",
        attached.error
    );
    let answered = wallet
        .answer_manual(
            None,
            ManualAnswerInput::yes("pos-shows-success")
                .with_note("POS printed the receipt")
                .with_attachment(&attached.write_id),
        )
        .await
        .unwrap();
    assert_eq!(answered.state, WriteState::Pending, "queued: {answered:?}");
    assert_eq!(answered.run_id, run.id, "the open run, found offline");

    let status = wallet.sync_status().unwrap();
    assert_eq!(status.pending, 2, "{status:?}");
    assert_eq!(status.failed, 0, "{status:?}");
    assert_eq!(status.last_success_at, None, "{status:?}");
    let last_error = status.last_error.clone().unwrap_or_default();
    assert!(
        last_error.contains("cannot be reached") && last_error.contains(&hub_url),
        "plain words with the URL: {last_error}"
    );
    let detail = wallet.run(&run.id).await.unwrap();
    assert!(detail.from_cache, "the run is kept offline");
    assert_eq!(detail.unsent_writes.len(), 2, "{:?}", detail.unsent_writes);

    // A background step respects the backoff; the wallet's clock decides, nobody sleeps.
    let step = wallet.sync_step().await.unwrap();
    assert_eq!(step.attempted, 0, "not due yet: {step:?}");
    // Two tries so far (at attach, at answer): the next is due 10 s after the second.
    setup.clock.advance(Duration::seconds(10));
    let step = wallet.sync_step().await.unwrap();
    assert_eq!(
        (step.attempted, step.sent, step.pending),
        (1, 0, 2),
        "one try, stopped at the first write: {step:?}"
    );
    let photo_entry = wallet
        .outbox()
        .unwrap()
        .into_iter()
        .find(|e| e.write_id == attached.write_id)
        .unwrap();
    assert_eq!(
        photo_entry.attempts, 3,
        "tried at attach, at answer, and by the step"
    );
    assert_eq!(
        photo_entry.next_attempt_at,
        wallet.now() + Duration::seconds(20),
        "backoff doubles: 5, 10, 20 s"
    );

    setup.hub.restart().await;
    assert_eq!(setup.hub.url, hub_url, "same port");
    let report = wallet.sync_now().await.unwrap();
    assert_eq!(
        (
            report.sent,
            report.failed,
            report.pending,
            report.error.as_deref()
        ),
        (2, 0, 0, None),
        "{report:?}"
    );
    let status = wallet.sync_status().unwrap();
    assert_eq!(
        (status.pending, status.last_error.as_deref()),
        (0, None),
        "{status:?}"
    );
    assert_eq!(status.last_success_at, Some(wallet.now()));

    // On the hub: one answer, naming the photo, whose bytes arrived intact.
    let view = wallet.run(&run.id).await.unwrap();
    assert!(!view.from_cache);
    assert_eq!(manual_answers(&view.run.events), 1, "{:?}", view.run.events);
    let answer = view
        .run
        .events
        .iter()
        .find_map(|e| match &e.kind {
            EventKind::ManualAnswer(answer) => Some(answer.clone()),
            _ => None,
        })
        .unwrap();
    assert_eq!(
        answer.attachment.as_deref(),
        Some(attached.write_id.as_str())
    );
    assert_eq!(answer.note.as_deref(), Some("POS printed the receipt"));
    let token = stored_token(setup.wallet_dir());
    let (status, bytes) = setup
        .hub
        .wallet_get(
            &token,
            &format!("/runs/{}/attachments/{}", run.id, attached.write_id),
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(bytes, photo_bytes, "the photo's bytes");

    // Syncing again changes nothing.
    let again = wallet.sync_now().await.unwrap();
    assert_eq!((again.attempted, again.sent), (0, 0), "{again:?}");

    // A crash after sending but before the acknowledgement was stored: the writes go out
    // again with the same ids, and the hub still holds each once.
    rusqlite::Connection::open(linker_wallet::database_path(setup.wallet_dir()))
        .unwrap()
        .execute("UPDATE outbox SET state = 'pending'", [])
        .unwrap();
    let resent = wallet.sync_now().await.unwrap();
    assert_eq!((resent.sent, resent.failed), (2, 0), "{resent:?}");
    let view = wallet.run(&run.id).await.unwrap();
    assert_eq!(
        manual_answers(&view.run.events),
        1,
        "the hub deduplicated the answer by its write id: {:?}",
        view.run.events
    );
}

#[tokio::test]
async fn a_write_the_hub_refuses_is_failed_with_the_reason_and_not_retried() {
    let setup = Setup::new().await;
    let wallet = &setup.wallet;
    // The case definitions are not on the device yet, so the hub is the one to refuse.
    let run = wallet
        .start_run("UPM-01", Default::default())
        .await
        .unwrap();
    let receipt = wallet
        .answer_manual(Some(&run.id), ManualAnswerInput::yes("no-such-question"))
        .await
        .unwrap();
    assert_eq!(receipt.state, WriteState::Failed, "{receipt:?}");
    let reason = receipt.error.unwrap_or_default();
    assert!(
        reason.contains("questionId") && reason.contains("no-such-question"),
        "the hub's reason: {reason}"
    );
    let status = wallet.sync_status().unwrap();
    assert_eq!((status.pending, status.failed), (0, 1), "{status:?}");
    assert_eq!(status.last_error.as_deref(), Some(reason.as_str()));
    setup.clock.advance(Duration::hours(1));
    let step = wallet.sync_step().await.unwrap();
    assert_eq!(
        step.attempted, 0,
        "a refused write is not retried: {step:?}"
    );

    // With the definitions on the device, the wallet refuses it before it is queued.
    wallet.cases().await.unwrap();
    let error = wallet
        .answer_manual(Some(&run.id), ManualAnswerInput::yes("no-such-question"))
        .await
        .unwrap_err();
    assert_eq!(error.code(), "INVALID_INPUT", "{error}");
    assert!(
        error.to_string().contains("pos-shows-success"),
        "lists the questions: {error}"
    );

    let error = wallet
        .attach_photo(Some(&run.id), b"GIF89a...")
        .await
        .unwrap_err();
    assert_eq!(error.code(), "NOT_A_PHOTO", "{error}");
}

#[tokio::test]
async fn a_follower_retries_a_bounded_number_of_times_then_says_why() {
    let mut setup = Setup::new().await;
    let run = setup
        .wallet
        .start_run("UPM-01", Default::default())
        .await
        .unwrap();
    // One event on record (the code shown), for the follower to find after the restart.
    setup
        .wallet
        .payment_code(Some(&run.id), linker_wallet::ImageFormat::None)
        .await
        .unwrap();
    setup.hub.stop().await;
    let mut follower = setup.wallet.follow_run(&run.id);
    let mut attempts = Vec::new();
    let error = loop {
        match follower.next().await {
            Some(Ok(linker_wallet::RunUpdate::Reconnecting { attempt, reason })) => {
                assert!(reason.contains("cannot be reached"), "{reason}");
                attempts.push(attempt);
            }
            Some(Ok(other)) => panic!("nothing can arrive from a stopped hub: {other:?}"),
            Some(Err(error)) => break error,
            None => panic!("the follower must say why it stopped"),
        }
    };
    assert_eq!(
        attempts,
        [1, 2, 3, 4, 5],
        "bounded: the default is 5 reconnects"
    );
    assert_eq!(error.code(), "HUB_UNREACHABLE", "{error}");
    assert!(follower.next().await.is_none(), "then it ends");

    setup.hub.restart().await;
    let mut follower = setup.wallet.follow_run(&run.id);
    let first = follower.next().await.unwrap().unwrap();
    assert!(
        matches!(&first, linker_wallet::RunUpdate::Event { event } if event.seq == 1),
        "a new follower starts from the first event: {first:?}"
    );
}
