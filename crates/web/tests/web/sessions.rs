//! Each browser gets its own wallet: two merchants signed in at once see only their own cases
//! and runs, a session's folder goes at sign-out, and what a browser must not do is refused.

use serde_json::json;

use crate::support::{Browser, PASSWORD, Site};

fn case_ids(cases: &serde_json::Value) -> Vec<String> {
    let mut ids: Vec<String> = cases["groups"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|group| group["cases"].as_array().cloned().unwrap_or_default())
        .filter_map(|case| case["id"].as_str().map(str::to_owned))
        .collect();
    ids.sort();
    ids
}

#[tokio::test]
async fn two_merchants_in_two_browsers_see_only_their_own_wallet() {
    let dir = tempfile::tempdir().unwrap();
    let site = Site::start(dir.path()).await;
    let upm = site.invite("W100", &["UPM"]).await;
    let mpm = site.invite("W200", &["ORDER_CODE"]).await;
    let mut first = Browser::new(&site);
    let mut second = Browser::new(&site);

    let (status, session) = first
        .call(
            "sign_in_with_invitation",
            json!({"code": upm, "password": PASSWORD}),
        )
        .await;
    assert_eq!(status, 200, "{session}");
    assert_eq!(session["merchant"]["mid"], "W100", "{session}");
    let (status, session) = second
        .call(
            "sign_in_with_invitation",
            json!({"code": mpm, "password": PASSWORD}),
        )
        .await;
    assert_eq!(status, 200, "{session}");
    assert_eq!(session["merchant"]["mid"], "W200", "{session}");
    assert_ne!(
        first.cookie, second.cookie,
        "each browser has its own session"
    );
    assert_eq!(site.shell.sessions().count(), 2);

    let (_, first_cases) = first.call("cases", json!({})).await;
    let (_, second_cases) = second.call("cases", json!({})).await;
    let first_ids = case_ids(&first_cases);
    let second_ids = case_ids(&second_cases);
    assert!(
        first_ids.iter().any(|id| id == "UPM-01")
            && !first_ids.iter().any(|id| id.starts_with("MOC-")),
        "the UPM merchant sees its UPM cases and no order-code case: {first_ids:?}"
    );
    assert!(
        second_ids.iter().any(|id| id == "MOC-01")
            && !second_ids.iter().any(|id| id.starts_with("UPM-")),
        "the order-code merchant sees its MOC cases and no UPM case: {second_ids:?}"
    );

    let (status, run) = first.call("start_run", json!({"caseId": "UPM-01"})).await;
    assert_eq!(status, 200, "{run}");
    let run_id = run["id"].as_str().unwrap().to_owned();
    let (status, refused) = second.call("run", json!({"runId": run_id})).await;
    assert!(
        status >= 400 && refused["code"].is_string(),
        "another merchant's run is not shown to this browser: {status} {refused}"
    );
    let (status, code) = second.call("payment_code", json!({"runId": run_id})).await;
    assert!(
        status >= 400,
        "nor can this browser show a payment code for it: {status} {code}"
    );
    let (_, history) = second.call("history", json!({})).await;
    assert_eq!(
        history,
        json!([]),
        "the second merchant has no runs: {history}"
    );

    let (status, _) = first.call("sign_out", json!({})).await;
    assert_eq!(status, 200);
    assert_eq!(
        site.shell.sessions().count(),
        1,
        "signing out ends the browser's session"
    );
    let folders = std::fs::read_dir(dir.path().join("web-sessions"))
        .unwrap()
        .count();
    assert_eq!(folders, 1, "and removes its wallet's folder");
    let (_, session) = first.call("session", json!({})).await;
    assert_eq!(
        session,
        serde_json::Value::Null,
        "a new, empty wallet after sign-out"
    );
}

#[tokio::test]
async fn a_browser_cannot_move_the_wallet_off_its_hub_or_reach_desktop_commands() {
    let dir = tempfile::tempdir().unwrap();
    let site = Site::start(dir.path()).await;
    let mut browser = Browser::new(&site);

    let (status, error) = browser
        .call(
            "update_settings",
            json!({"update": {"hubUrl": "http://10.0.0.1:80"}}),
        )
        .await;
    assert_eq!(status, 400, "{error}");
    assert_eq!(error["code"], "NOT_IN_BROWSER", "{error}");
    let (status, settings) = browser
        .call("update_settings", json!({"update": {"language": "zh-CN"}}))
        .await;
    assert_eq!(status, 200, "other settings change: {settings}");

    for command in [
        "scan_file",
        "codes_on_screen",
        "save_qr",
        "start_demo",
        "follow_nothing",
    ] {
        let (status, error) = browser.call(command, json!({"path": "/etc/passwd"})).await;
        assert_eq!(status, 400, "{command}: {error}");
        assert_eq!(error["code"], "UNKNOWN_COMMAND", "{command}: {error}");
    }
    let (status, error) = browser.call("run", json!({})).await;
    assert_eq!(
        (status, error["code"].as_str()),
        (400, Some("INVALID_INPUT")),
        "{error}"
    );

    let (status, info) = browser.call("app_info", json!({})).await;
    assert_eq!(status, 200);
    assert_eq!(info["shell"], "web", "{info}");
}

#[tokio::test]
async fn the_screens_are_served_at_app_with_their_types() {
    let dir = tempfile::tempdir().unwrap();
    let site = Site::start(dir.path()).await;
    let browser = Browser::new(&site);
    let (status, kind, page) = browser.get("/app/").await;
    assert_eq!(status, 200);
    assert!(kind.starts_with("text/html"), "{kind}");
    assert!(
        page.contains("main.js"),
        "the wallet's first screen: {page}"
    );
    let (status, kind, _) = browser.get("/app/lib/shell.js").await;
    assert_eq!(status, 200);
    assert!(
        kind.starts_with("text/javascript"),
        "modules load as JavaScript: {kind}"
    );
    let (status, _, _) = browser.get("/app/../Cargo.toml").await;
    assert_eq!(status, 404, "nothing outside the screens is served");
    let (status, _, _) = browser.get("/app/nope.js").await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn an_idle_session_ends_with_its_folder_and_the_browser_starts_afresh() {
    let dir = tempfile::tempdir().unwrap();
    let site = Site::start(dir.path()).await;
    let code = site.invite("W300", &["UPM"]).await;
    let mut browser = Browser::new(&site);
    let (status, _) = browser
        .call(
            "sign_in_with_invitation",
            json!({"code": code, "password": PASSWORD}),
        )
        .await;
    assert_eq!(status, 200);
    let cookie = browser.cookie.clone();

    site.advance(29 * 60).await;
    let (_, session) = browser.call("session", json!({})).await;
    assert_eq!(
        session["merchant"]["mid"], "W300",
        "29 minutes idle: still signed in"
    );
    assert_eq!(browser.cookie, cookie, "the same session");

    site.advance(31 * 60).await;
    assert_eq!(
        site.shell.sessions().sweep(),
        1,
        "31 minutes idle: the session ends"
    );
    let folders = std::fs::read_dir(dir.path().join("web-sessions"))
        .unwrap()
        .count();
    assert_eq!(folders, 0, "with its wallet's folder");
    let (_, session) = browser.call("session", json!({})).await;
    assert_eq!(
        session,
        serde_json::Value::Null,
        "the browser gets a new, empty wallet"
    );
    assert_ne!(browser.cookie, cookie, "under a new cookie");
}

#[tokio::test]
async fn a_sign_in_link_opens_a_signed_in_wallet_of_its_own_each_time_and_a_made_up_one_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let site = Site::start(dir.path()).await;
    let code = site.invite("W400", &["UPM"]).await;
    let mut first = Browser::new(&site);
    let (status, _) = first
        .call(
            "sign_in_with_invitation",
            json!({"code": code, "password": PASSWORD}),
        )
        .await;
    assert_eq!(status, 200);
    let path = site.shell.sign_in_link("W400", PASSWORD, None);
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();

    let mut cookies = Vec::new();
    for opening in 1..=2 {
        let response = http
            .get(format!("{}{path}", site.url))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status().as_u16(), 303, "opening {opening}");
        assert_eq!(response.headers()["location"], "/app/");
        let set = response.headers()["set-cookie"]
            .to_str()
            .unwrap()
            .to_owned();
        assert!(
            set.contains("HttpOnly") && set.contains("SameSite=Strict"),
            "{set}"
        );
        let mut browser = Browser::new(&site);
        browser.cookie = Some(set.split(';').next().unwrap().to_owned());
        let (_, session) = browser.call("session", json!({})).await;
        assert_eq!(
            session["merchant"]["mid"], "W400",
            "opening {opening} of the link is signed in: {session}"
        );
        cookies.push(browser.cookie.clone());
    }
    assert_ne!(
        cookies[0], cookies[1],
        "each opening is a session of its own"
    );

    for made_up in [
        "/app/open/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA".to_owned(),
        "/app/open/short".to_owned(),
        format!("{path}x"),
    ] {
        let response = http
            .get(format!("{}{made_up}", site.url))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status().as_u16(), 303, "{made_up}");
        assert!(
            response.headers().get("set-cookie").is_none(),
            "{made_up} opens the plain sign-in, with no session"
        );
    }
}

#[tokio::test]
async fn a_revoked_merchant_is_out_of_its_open_web_wallet_and_cannot_sign_back_in() {
    let dir = tempfile::tempdir().unwrap();
    let site = Site::start(dir.path()).await;
    let code = site.invite("W500", &["UPM"]).await;
    let mut browser = Browser::new(&site);
    let (status, _) = browser
        .call(
            "sign_in_with_invitation",
            json!({"code": code, "password": PASSWORD}),
        )
        .await;
    assert_eq!(status, 200);
    site.revoke("W500").await;
    let (status, answer) = browser.call("cases", json!({})).await;
    assert_eq!(status, 401, "the phone's open session ends: {answer}");
    assert!(
        answer["message"]
            .as_str()
            .is_some_and(|m| m.contains("revoked this account")),
        "and says why: {answer}"
    );
    let (status, answer) = browser
        .call("sign_in", json!({"login": "W500", "password": PASSWORD}))
        .await;
    assert_eq!(status, 401, "{answer}");
    assert_eq!(answer["code"], "ACCESS_REVOKED", "{answer}");
}

#[tokio::test]
async fn wrong_sign_ins_from_one_phone_wait_after_five_and_other_phones_do_not() {
    let dir = tempfile::tempdir().unwrap();
    let site = Site::start(dir.path()).await;
    let code = site.invite("W300", &["UPM"]).await;
    let mut phone = Browser::new(&site);
    phone.forwarded_for = Some("198.51.100.7".to_owned());
    // Each guess at another MID: the hub's per-login limit never starts; only the address does.
    for n in 1..=5 {
        let (status, error) = phone
            .call(
                "sign_in",
                json!({"login": format!("W9{n:02}"), "password": "guess"}),
            )
            .await;
        assert_eq!(
            (status, error["code"].as_str()),
            (401, Some("WRONG_CREDENTIALS")),
            "guess {n} from the phone is answered: {error}"
        );
    }
    let (status, error) = phone
        .call("sign_in", json!({"login": "W999", "password": "guess"}))
        .await;
    assert_eq!(
        (status, error["code"].as_str()),
        (429, Some("TOO_MANY_ATTEMPTS")),
        "the sixth guess from the same phone waits: {error}"
    );
    assert!(
        error["message"]
            .as_str()
            .unwrap_or_default()
            .contains("try again in 30 s"),
        "it says how long: {error}"
    );
    let (status, error) = phone
        .call(
            "sign_in_with_invitation",
            json!({"code": code, "password": PASSWORD}),
        )
        .await;
    assert_eq!(
        status, 429,
        "an invitation code from that phone waits as well: {error}"
    );

    let mut other = Browser::new(&site);
    other.forwarded_for = Some("198.51.100.8".to_owned());
    let (status, session) = other
        .call(
            "sign_in_with_invitation",
            json!({"code": code, "password": PASSWORD}),
        )
        .await;
    assert_eq!(status, 200, "another phone signs in at once: {session}");
}
