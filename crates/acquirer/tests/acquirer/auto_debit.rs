//! Auto Debit on the shop's account against the real hub: link (prepare, the customer grants in
//! the wallet, authNotify, applyToken), Charge now, refresh of an expired token, unlink
//! (cancelToken), a revocation in the wallet (TOKEN_CANCELED), F INVALID_ACCESS_TOKEN on a debit,
//! and the faults skip-apply-token, retry-revoked-token and unlink-locally.

use std::time::Duration;

use linker_acquirer::Fault;
use linker_pos_driver::{AmountRequest, DisplayState, ErrorCode, RunRequest};
use serde_json::Value;

use crate::support::{
    Pos, Wallet, World, body, eventually, hkd, request_id, response, wait_display,
};

const WAIT: Duration = Duration::from_secs(15);

fn run(case: &str) -> RunRequest {
    RunRequest {
        run_id: "run_test".into(),
        case_id: case.into(),
    }
}

fn debit(value: &str) -> AmountRequest {
    AmountRequest {
        run_id: "run_test".into(),
        case_id: "ADB-01".into(),
        amount: hkd(value),
    }
}

/// Waits until the account shows `linked`; returns its text.
async fn wait_linked(pos: &Pos, linked: bool) -> String {
    eventually(
        &format!("the account shows linked = {linked}"),
        WAIT,
        || async {
            let account = pos.driver.account().await.map_err(|e| e.to_string())?;
            if account.linked == linked {
                Ok(account.text)
            } else {
                Err(format!("{account:?}"))
            }
        },
    )
    .await
}

/// Links the customer's wallet: bind, grant in the wallet, wait for the link. Returns the hub's
/// grant answer (`id`, `authCode`).
async fn link(world: &World, pos: &Pos, wallet: &Wallet) -> Value {
    let bound = pos.driver.bind(&run("ADB-01")).await.unwrap();
    let granted = wallet.grant(world, &bound.auth_url).await;
    assert_eq!(
        granted["notified"], true,
        "the acquirer acked authNotify: {granted}"
    );
    wait_linked(pos, true).await;
    granted
}

/// The pays sent with this access token (`paymentMethod.paymentMethodId`).
async fn pays_with(world: &World, token: &str) -> Vec<Value> {
    world
        .exchanges("pay")
        .await
        .into_iter()
        .filter(|e| body(e)["paymentMethod"]["paymentMethodId"] == token)
        .collect()
}

/// The access token the last S applyToken gave.
async fn access_token(world: &World) -> String {
    let applied = world.exchanges("applyToken").await;
    let last = applied
        .iter()
        .rev()
        .find(|e| e["resultStatus"] == "S")
        .unwrap_or_else(|| panic!("no S applyToken: {applied:?}"));
    response(last)["accessToken"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn linking_exchanges_the_code_for_tokens_and_charge_now_debits_with_the_access_token() {
    let world = World::new().await;
    let pos = world.pos(&[]).await;
    let wallet = world.wallet("M1").await;
    let account = pos.driver.account().await.unwrap();
    assert!(
        !account.linked && account.text == "Not linked",
        "{account:?}"
    );

    let bound = pos.driver.bind(&run("ADB-01")).await.unwrap();
    let prepares = world.exchanges("prepare").await;
    assert_eq!(prepares.len(), 1, "{prepares:?}");
    let prepared = body(&prepares[0]);
    assert_eq!(prepared["scopes"], serde_json::json!(["AGREEMENT_PAY"]));
    assert_eq!(
        prepared["authRedirectUrl"],
        format!("{}/shop/account/return", pos.acquirer.base_url()).as_str(),
        "{prepared}"
    );
    assert!(
        prepared["authState"].as_str().is_some_and(|s| s.len() > 8),
        "{prepared}"
    );
    assert_eq!(
        response(&prepares[0])["authUrl"],
        bound.auth_url.as_str(),
        "bind answers prepare's authUrl"
    );
    let waiting = pos.driver.account().await.unwrap();
    assert!(
        !waiting.linked && waiting.text.contains("waiting for the customer"),
        "{waiting:?}"
    );

    let granted = wallet.grant(&world, &bound.auth_url).await;
    assert_eq!(granted["notified"], true, "{granted}");
    let text = wait_linked(&pos, true).await;
    assert!(text.starts_with("Linked"), "{text}");
    let applied = world.exchanges("applyToken").await;
    assert_eq!(applied.len(), 1, "{applied:?}");
    assert_eq!(body(&applied[0])["grantType"], "AUTHORIZATION_CODE");
    assert_eq!(
        body(&applied[0])["authCode"],
        granted["authCode"],
        "the code of authNotify"
    );
    let token = access_token(&world).await;

    // The wallet sends the customer back with authCode and authState: the page shows only what
    // the backend knows.
    let back = reqwest::get(format!(
        "{}/shop/account/return?authCode=forged&authState=forged",
        pos.acquirer.base_url()
    ))
    .await
    .unwrap();
    assert_eq!(back.status().as_u16(), 200);
    let back = back.text().await.unwrap();
    assert!(
        back.contains("fetch('/shop/api/'") && !back.contains("forged"),
        "the return page reads the backend, not the redirect: {back}"
    );
    let state: Value = reqwest::get(format!("{}/shop/api/account", pos.acquirer.base_url()))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(state["account"]["linked"], true, "{state}");

    let charged = pos.driver.debit(&debit("1000")).await.unwrap();
    let shown = wait_display(&pos, &charged.pos_payment_id, DisplayState::Paid, WAIT).await;
    assert!(shown.text.contains("HKD 10.00"), "{shown:?}");
    let pays = world
        .exchanges_for("pay", &request_id(&pos, &charged.pos_payment_id))
        .await;
    assert_eq!(pays.len(), 1, "{pays:?}");
    let sent = body(&pays[0]);
    assert_eq!(sent["productCode"], "AGREEMENT_PAYMENT", "{sent}");
    assert_eq!(
        sent["paymentMethod"]["paymentMethodId"],
        token.as_str(),
        "debits with the access token: {sent}"
    );
    assert_eq!(
        sent["paymentFactor"]["isAgreementPayment"], "true",
        "{sent}"
    );
    assert_eq!(pays[0]["resultStatus"], "S", "{pays:?}");
}

#[tokio::test]
async fn an_expired_access_token_is_refreshed_before_the_debit() {
    let world = World::with_test_clock().await;
    let pos = world.pos(&[]).await;
    let wallet = world.wallet("M1").await;
    link(&world, &pos, &wallet).await;
    let first = world.exchanges("applyToken").await;
    let refresh = response(&first[0])["refreshToken"]
        .as_str()
        .unwrap()
        .to_owned();
    let old = access_token(&world).await;

    // 31 days later: the access token (30 days) expired, the refresh token (60) did not.
    assert!(world.hub.advance_clock(chrono::Duration::days(31)));
    let charged = pos.driver.debit(&debit("700")).await.unwrap();
    wait_display(&pos, &charged.pos_payment_id, DisplayState::Paid, WAIT).await;
    let applied = world.exchanges("applyToken").await;
    assert_eq!(applied.len(), 2, "one refresh: {applied:?}");
    let asked = body(&applied[1]);
    assert_eq!(asked["grantType"], "REFRESH_TOKEN", "{asked}");
    assert_eq!(asked["refreshToken"], refresh.as_str(), "{asked}");
    let fresh = access_token(&world).await;
    assert_ne!(fresh, old, "a new access token");
    let pays = world
        .exchanges_for("pay", &request_id(&pos, &charged.pos_payment_id))
        .await;
    assert_eq!(
        body(&pays[0])["paymentMethod"]["paymentMethodId"],
        fresh.as_str(),
        "the debit used the refreshed token"
    );
    assert!(
        pays_with(&world, &old).await.is_empty(),
        "the expired token was never sent"
    );
}

#[tokio::test]
async fn unlink_cancels_the_token_and_unlink_locally_only_forgets_it() {
    // Correct: cancelToken with the access token, then not linked; a debit sends no pay.
    let world = World::new().await;
    let pos = world.pos(&[]).await;
    let wallet = world.wallet("M1").await;
    link(&world, &pos, &wallet).await;
    let token = access_token(&world).await;
    pos.driver.unbind(&run("ADB-03")).await.unwrap();
    let text = wait_linked(&pos, false).await;
    assert!(text.contains("unlinked by the shop"), "{text}");
    let cancels = world.exchanges("cancelToken").await;
    assert_eq!(cancels.len(), 1, "{cancels:?}");
    assert_eq!(body(&cancels[0])["accessToken"], token.as_str());
    assert_eq!(cancels[0]["resultStatus"], "S", "{cancels:?}");
    let refused = pos.driver.debit(&debit("500")).await.unwrap();
    let shown = pos.driver.display(&refused.pos_payment_id).await.unwrap();
    assert_eq!(shown.state, DisplayState::Failed, "{shown:?}");
    assert_eq!(shown.reason.as_deref(), Some("NOT_LINKED"), "{shown:?}");
    assert!(
        world.exchanges("pay").await.is_empty(),
        "no pay after the unlink"
    );

    // unlink-locally: not linked on the site, but Alipay+ was never told.
    let world = World::new().await;
    let pos = world.pos(&[Fault::UnlinkLocally]).await;
    let wallet = world.wallet("M1").await;
    link(&world, &pos, &wallet).await;
    pos.driver.unbind(&run("ADB-03")).await.unwrap();
    let account = pos.driver.account().await.unwrap();
    assert!(!account.linked, "{account:?}");
    assert!(
        world.exchanges("cancelToken").await.is_empty(),
        "unlink-locally sends no cancelToken"
    );
}

#[tokio::test]
async fn a_revocation_in_the_wallet_unlinks_and_retry_revoked_token_keeps_using_the_token() {
    // Correct: TOKEN_CANCELED ends the link; the token is never sent again.
    let world = World::new().await;
    let pos = world.pos(&[]).await;
    let wallet = world.wallet("M1").await;
    let granted = link(&world, &pos, &wallet).await;
    let token = access_token(&world).await;
    let revoked = wallet.revoke(&world, granted["id"].as_str().unwrap()).await;
    assert_eq!(revoked["notified"], true, "TOKEN_CANCELED acked: {revoked}");
    let text = wait_linked(&pos, false).await;
    assert!(text.contains("revoked"), "{text}");
    let refused = pos.driver.debit(&debit("800")).await.unwrap();
    let shown = pos.driver.display(&refused.pos_payment_id).await.unwrap();
    assert_eq!(
        (shown.state, shown.reason.as_deref()),
        (DisplayState::Failed, Some("NOT_LINKED")),
        "{shown:?}"
    );
    assert!(shown.text.contains("revoked"), "{shown:?}");
    assert!(
        pays_with(&world, &token).await.is_empty(),
        "the revoked token is never used"
    );

    // retry-revoked-token: still linked, debits, gets F and repeats the same pay once.
    let world = World::new().await;
    let pos = world.pos(&[Fault::RetryRevokedToken]).await;
    let wallet = world.wallet("M1").await;
    let granted = link(&world, &pos, &wallet).await;
    wallet.revoke(&world, granted["id"].as_str().unwrap()).await;
    let account = pos.driver.account().await.unwrap();
    assert!(
        account.linked,
        "the fault ignores TOKEN_CANCELED: {account:?}"
    );
    let charged = pos.driver.debit(&debit("800")).await.unwrap();
    let shown = wait_display(&pos, &charged.pos_payment_id, DisplayState::Failed, WAIT).await;
    assert_eq!(
        shown.reason.as_deref(),
        Some("INVALID_ACCESS_TOKEN"),
        "{shown:?}"
    );
    let prid = request_id(&pos, &charged.pos_payment_id);
    let pays = world.exchanges_for("pay", &prid).await;
    assert_eq!(
        pays.len(),
        2,
        "the refused pay is repeated with the same paymentRequestId: {pays:?}"
    );
    assert!(pays.iter().all(|p| p["resultStatus"] == "F"), "{pays:?}");
    assert!(
        pos.driver.account().await.unwrap().linked,
        "still shown linked"
    );
}

#[tokio::test]
async fn invalid_access_token_on_a_debit_unlinks_the_wallet() {
    let world = World::new().await;
    let pos = world.pos(&[]).await;
    let wallet = world.wallet("M1").await;
    link(&world, &pos, &wallet).await;
    let forced = world.force("pay", "INVALID_ACCESS_TOKEN").await;
    let charged = pos.driver.debit(&debit("300")).await.unwrap();
    let shown = wait_display(&pos, &charged.pos_payment_id, DisplayState::Failed, WAIT).await;
    assert_eq!(
        shown.reason.as_deref(),
        Some("INVALID_ACCESS_TOKEN"),
        "{shown:?}"
    );
    let text = wait_linked(&pos, false).await;
    assert!(text.contains("INVALID_ACCESS_TOKEN"), "{text}");
    world.unforce(&forced).await;
    let prid = request_id(&pos, &charged.pos_payment_id);
    assert_eq!(
        world.exchanges_for("pay", &prid).await.len(),
        1,
        "F is final: not repeated"
    );
    let again = pos.driver.debit(&debit("300")).await.unwrap();
    let shown = pos.driver.display(&again.pos_payment_id).await.unwrap();
    assert_eq!(shown.reason.as_deref(), Some("NOT_LINKED"), "{shown:?}");
    assert_eq!(
        world.exchanges("pay").await.len(),
        1,
        "the refused token is not sent again"
    );
}

#[tokio::test]
async fn skip_apply_token_debits_with_the_auth_code() {
    for faults in [vec![], vec![Fault::SkipApplyToken]] {
        let world = World::new().await;
        let pos = world.pos(&faults).await;
        let wallet = world.wallet("M1").await;
        let granted = link(&world, &pos, &wallet).await;
        let code = granted["authCode"].as_str().unwrap().to_owned();
        let charged = pos.driver.debit(&debit("200")).await.unwrap();
        let prid = request_id(&pos, &charged.pos_payment_id);
        if faults.is_empty() {
            wait_display(&pos, &charged.pos_payment_id, DisplayState::Paid, WAIT).await;
            assert_eq!(world.exchanges("applyToken").await.len(), 1);
            assert!(pays_with(&world, &code).await.is_empty(), "not the code");
        } else {
            let shown =
                wait_display(&pos, &charged.pos_payment_id, DisplayState::Failed, WAIT).await;
            assert_eq!(
                shown.reason.as_deref(),
                Some("INVALID_ACCESS_TOKEN"),
                "the code is no token: {shown:?}"
            );
            assert!(
                world.exchanges("applyToken").await.is_empty(),
                "skip-apply-token never calls applyToken"
            );
            let pays = world.exchanges_for("pay", &prid).await;
            assert_eq!(
                body(&pays[0])["paymentMethod"]["paymentMethodId"],
                code.as_str(),
                "debited with the authCode"
            );
        }
    }
}

#[tokio::test]
async fn a_new_bind_replaces_a_pending_one_and_a_debit_never_linked_is_a_bad_request() {
    let world = World::new().await;
    let pos = world.pos(&[]).await;
    let wallet = world.wallet("M1").await;
    let error = pos.driver.debit(&debit("100")).await.unwrap_err();
    assert_eq!(error.code(), Some(ErrorCode::BadRequest), "{error}");
    let first = pos.driver.bind(&run("ADB-01")).await.unwrap();
    let second = pos.driver.bind(&run("ADB-01")).await.unwrap();
    assert_ne!(first.auth_url, second.auth_url);
    // The customer authorizes the first, replaced one: the shop does not link it.
    let granted = wallet.grant(&world, &first.auth_url).await;
    assert_eq!(granted["notified"], true, "acked all the same: {granted}");
    let account = pos.driver.account().await.unwrap();
    assert!(!account.linked, "{account:?}");
    assert!(
        world.exchanges("applyToken").await.is_empty(),
        "no token for a replaced authorization"
    );
    wallet.grant(&world, &second.auth_url).await;
    wait_linked(&pos, true).await;
    let page = reqwest::get(format!("{}/shop/account", pos.acquirer.base_url()))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("Link an Alipay+ wallet") && page.contains("Charge now"),
        "{page}"
    );
}

#[tokio::test]
async fn a_link_survives_a_restart() {
    let world = World::new().await;
    let pos = world.pos(&[]).await;
    let wallet = world.wallet("M1").await;
    link(&world, &pos, &wallet).await;
    let token = access_token(&world).await;
    let dir = pos.dir;
    pos.acquirer.shutdown().await;
    let again = world.pos_in(dir, &[]).await;
    let account = again.driver.account().await.unwrap();
    assert!(
        account.linked,
        "the tokens were kept in SQLite: {account:?}"
    );
    let charged = again.driver.debit(&debit("400")).await.unwrap();
    wait_display(&again, &charged.pos_payment_id, DisplayState::Paid, WAIT).await;
    assert_eq!(
        pays_with(&world, &token).await.len(),
        1,
        "debited with the kept token"
    );
}
