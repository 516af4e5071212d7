//! Signing in with an invitation, then with the password; the invitation errors; session
//! expiry; settings; the store's schema guard.

use linker_wallet::{SettingsUpdate, Wallet, WalletError, WalletOptions};

use crate::support::{Acqp, HubProcess, PASSWORD, Setup, wallet};

#[tokio::test]
async fn an_invitation_signs_in_once_then_the_password_does() {
    let hub_dir = tempfile::tempdir().unwrap();
    let wallet_dir = tempfile::tempdir().unwrap();
    let hub = HubProcess::start(hub_dir.path()).await;
    let acqp = Acqp::create(&hub).await;
    let code = acqp.invite(&hub, "M200").await;
    let (wallet, _clock) = wallet(wallet_dir.path(), &hub.url);

    let error = wallet
        .sign_in_with_invitation("AAAA-BBBB-CCCC", PASSWORD)
        .await
        .unwrap_err();
    assert_eq!(
        error.code(),
        "INVITATION_INVALID",
        "a made-up code: {error}"
    );

    let session = wallet
        .sign_in_with_invitation(&code, PASSWORD)
        .await
        .unwrap();
    assert!(session.active, "{session:?}");
    assert_eq!(session.merchant.mid, "M200");
    assert_eq!(session.hub_url, hub.url);

    let error = wallet
        .sign_in_with_invitation(&code, PASSWORD)
        .await
        .unwrap_err();
    assert_eq!(
        error.code(),
        "INVITATION_USED",
        "the same code again: {error}"
    );
    assert!(
        error.to_string().contains("MID or email"),
        "says how to sign in instead: {error}"
    );

    wallet.sign_out().await.unwrap();
    let stored = wallet
        .session()
        .unwrap()
        .expect("who was signed in is kept");
    assert!(!stored.active, "signed out: {stored:?}");
    let error = wallet.cases().await.unwrap_err();
    assert_eq!(error.code(), "NOT_SIGNED_IN", "{error}");

    let error = wallet
        .sign_in("M200", "not the password", None)
        .await
        .unwrap_err();
    assert_eq!(error.code(), "WRONG_CREDENTIALS", "{error}");
    let session = wallet.sign_in("M200", PASSWORD, None).await.unwrap();
    assert!(
        session.active && session.merchant.mid == "M200",
        "{session:?}"
    );
    wallet.sign_out().await.unwrap();
    let session = wallet
        .sign_in("m200@shop.example", PASSWORD, None)
        .await
        .unwrap();
    assert!(session.active, "email works too: {session:?}");

    // The session survives a restart of the app.
    drop(wallet);
    let (reopened, _clock) = crate::support::wallet(wallet_dir.path(), &hub.url);
    let session = reopened.session().unwrap().expect("persisted");
    assert!(session.active, "{session:?}");
    assert_eq!(reopened.me().await.unwrap().mid, "M200");
}

#[tokio::test]
async fn an_expired_invitation_says_so() {
    let hub_dir = tempfile::tempdir().unwrap();
    let wallet_dir = tempfile::tempdir().unwrap();
    let hub = HubProcess::start(hub_dir.path()).await;
    let acqp = Acqp::create(&hub).await;
    let code = acqp.invite(&hub, "M201").await;
    hub.advance(15 * 24 * 3600).await;
    let (wallet, _clock) = wallet(wallet_dir.path(), &hub.url);
    let error = wallet
        .sign_in_with_invitation(&code, PASSWORD)
        .await
        .unwrap_err();
    assert_eq!(error.code(), "INVITATION_EXPIRED", "{error}");
    assert!(error.to_string().contains("new one"), "{error}");
}

#[tokio::test]
async fn a_session_the_hub_let_expire_gives_session_expired() {
    let setup = Setup::new().await;
    setup.wallet.cases().await.expect("signed in");
    setup.hub.advance(31 * 60).await;
    let error = setup.wallet.cases().await.unwrap_err();
    assert_eq!(error.code(), "SESSION_EXPIRED", "{error}");
    assert!(
        error.to_string().contains("30 minutes") && error.to_string().contains("sign in again"),
        "plain words with the hub's reason: {error}"
    );
    let session = setup.wallet.session().unwrap().unwrap();
    assert!(!session.active, "the wallet forgot the token: {session:?}");
    // Without asking the hub again.
    let error = setup
        .wallet
        .start_run("UPM-01", Default::default())
        .await
        .unwrap_err();
    assert!(
        matches!(error, WalletError::SessionExpired { .. }),
        "{error}"
    );

    let session = setup
        .wallet
        .sign_in(&setup.mid, PASSWORD, None)
        .await
        .unwrap();
    assert!(session.active, "signing in again works: {session:?}");
    setup
        .wallet
        .cases()
        .await
        .expect("and the wallet works again");
}

#[tokio::test]
async fn an_unreachable_hub_is_named_with_its_url() {
    let wallet_dir = tempfile::tempdir().unwrap();
    // A port nobody listens on.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let url = format!("http://127.0.0.1:{port}");
    let (wallet, _clock) = wallet(wallet_dir.path(), &url);
    let error = wallet
        .sign_in_with_invitation("AAAA-BBBB-CCCC", PASSWORD)
        .await
        .unwrap_err();
    assert_eq!(error.code(), "HUB_UNREACHABLE", "{error}");
    assert!(error.to_string().contains(&url), "names the URL: {error}");
    let view = error.view();
    assert_eq!(view.code, "HUB_UNREACHABLE");
    assert_eq!(
        serde_json::to_value(&error).unwrap(),
        serde_json::json!({"code": view.code, "message": view.message}),
        "the app gets {{code, message}}"
    );
}

#[tokio::test]
async fn settings_are_checked_and_persisted() {
    let dir = tempfile::tempdir().unwrap();
    let (wallet, _clock) = wallet(dir.path(), "http://127.0.0.1:8480");
    let settings = wallet.settings().unwrap();
    assert_eq!(settings.wallet.name, "TEST_WALLET", "the default");
    assert_eq!(settings.code_refresh_secs, 60, "the default");
    let error = wallet
        .update_settings(SettingsUpdate {
            wallet: Some("NOPAY".into()),
            ..Default::default()
        })
        .unwrap_err();
    assert_eq!(error.code(), "INVALID_SETTING", "{error}");
    assert!(
        error.to_string().contains("GCASH"),
        "lists the choices: {error}"
    );
    let error = wallet
        .update_settings(SettingsUpdate {
            code_refresh_secs: Some(600),
            ..Default::default()
        })
        .unwrap_err();
    assert_eq!(error.code(), "INVALID_SETTING", "{error}");
    wallet
        .update_settings(SettingsUpdate {
            hub_url: Some("http://127.0.0.1:9999/".into()),
            wallet: Some("gcash".into()),
            language: Some("zh-CN".into()),
            code_refresh_secs: Some(30),
        })
        .unwrap();
    drop(wallet);
    let (wallet, _clock) = crate::support::wallet(dir.path(), "http://127.0.0.1:8480");
    let settings = wallet.settings().unwrap();
    assert_eq!(settings.hub_url, "http://127.0.0.1:9999");
    assert_eq!(settings.wallet.name, "GCASH");
    assert_eq!(settings.wallet.psp_id, "1022170000000000000");
    assert_eq!(settings.language.tag(), "zh-CN");
    assert_eq!(settings.code_refresh_secs, 30);
    assert!(
        wallet
            .web_view_user_agent()
            .unwrap()
            .contains("AlipayConnect")
            && wallet.web_view_user_agent().unwrap().ends_with("GCASH"),
        "{}",
        wallet.web_view_user_agent().unwrap()
    );
}

#[tokio::test]
async fn a_database_from_a_newer_build_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    rusqlite::Connection::open(linker_wallet::database_path(dir.path()))
        .unwrap()
        .pragma_update(None, "user_version", 99)
        .unwrap();
    let error = Wallet::open(dir.path(), WalletOptions::default()).unwrap_err();
    assert_eq!(error.code(), "NEWER_SCHEMA", "{error}");
}

#[tokio::test]
async fn writes_made_while_the_session_is_over_wait_for_the_next_sign_in() {
    let setup = Setup::new().await;
    let run = setup
        .wallet
        .start_run("UPM-01", Default::default())
        .await
        .unwrap();
    // The session is revoked on the hub (signed out from elsewhere); the run stays open.
    let token = crate::support::stored_token(setup.wallet_dir());
    let (status, _) = setup.hub.wallet_post(&token, "/sign-out").await;
    assert_eq!(status, 204);
    let receipt = setup
        .wallet
        .answer_manual(
            Some(&run.id),
            linker_wallet::ManualAnswerInput::yes("pos-shows-success"),
        )
        .await
        .unwrap();
    assert_eq!(
        receipt.state,
        linker_wallet::WriteState::Pending,
        "kept: {receipt:?}"
    );
    assert!(
        receipt
            .error
            .as_deref()
            .is_some_and(|e| e.contains("sign in again")),
        "says what to do: {:?}",
        receipt.error
    );
    assert_eq!(setup.wallet.sync_status().unwrap().pending, 1);
    let report = setup.wallet.sync_now().await.unwrap();
    assert!(
        report.attempted == 0
            && report
                .error
                .as_deref()
                .is_some_and(|e| e.contains("sign in")),
        "nothing is sent without a session: {report:?}"
    );

    setup
        .wallet
        .sign_in(&setup.mid, PASSWORD, None)
        .await
        .unwrap();
    let report = setup.wallet.sync_now().await.unwrap();
    assert_eq!((report.sent, report.pending), (1, 0), "{report:?}");
    let view = setup.wallet.run(&run.id).await.unwrap();
    assert!(
        view.run
            .events
            .iter()
            .any(|e| matches!(e.kind, linker_wallet::EventKind::ManualAnswer(_))),
        "the answer reached the hub: {:?}",
        view.run.events
    );
}
