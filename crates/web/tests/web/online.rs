//! Cashier Payment and Auto Debit from a phone's browser, against the demo's reference acquirer
//! and its online shop, as a customer does them: the shop's checkout in the browser, its payment
//! link tapped (the hub's `/checkout/<id>` opens the web wallet in the merchant's run), Pay Now,
//! Done back to the shop's return page; the shop's account page linking the wallet, its
//! authorization link pasted into the Scan screen, Authorize, Done back to the account page, the
//! shop charging; and ADB-02 opened as a link with no run open, then unbound in the Authorizations
//! screen, in Chinese. Every case ends Passed. Screenshots: `target/web-screenshots/shop-*.png`
//! and `phone-cashier-*`, `phone-authorize*`, `phone-authorizations*`.

use std::time::{Duration, Instant};

use fantoccini::Client;
use fantoccini::wd::WindowHandle;
use linker_demo::{Demo, DemoOptions};
use serde_json::{Value, json};

use crate::browser::{
    assert_fits_the_phone, driver, element, phone_with, run_id, scroll_to, shot, tap, text_of,
    type_into, wait_for,
};
use crate::screens::small_touch_targets;
use crate::support::Pos;

/// Taps `css` once it is scrolled to the middle of the screen (the tab bar covers the bottom).
async fn press(client: &Client, css: &str) {
    scroll_to(client, css).await;
    tap(client, css).await;
}

/// Screenshots a wallet screen from its top, and checks it fits the phone and every control fits
/// a finger.
async fn wallet_screen(client: &Client, name: &str) {
    client
        .execute("window.scrollTo(0, 0);", vec![])
        .await
        .unwrap();
    shot(client, name).await;
    assert_fits_the_phone(client, name).await;
    let small = small_touch_targets(client).await;
    assert!(
        small.is_empty(),
        "{name}: every control is at least 44 x 44 CSS px for a finger; these are not: {small:?}"
    );
}

/// Waits for the tab the page just opened (`known` are the tabs before) and switches to it.
async fn switch_to_new_tab(client: &Client, known: &[WindowHandle], what: &str) -> WindowHandle {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let now = client.windows().await.unwrap();
        if let Some(new) = now.into_iter().find(|w| !known.contains(w)) {
            client.switch_to_window(new.clone()).await.unwrap();
            return new;
        }
        assert!(
            Instant::now() < deadline,
            "{what} opens a new tab within 20 s"
        );
        tokio::time::sleep(Duration::from_millis(150)).await;
    }
}

/// Waits until the image `css` has loaded (a QR code the page asked the POS for).
async fn image_loaded(client: &Client, css: &str) {
    wait_for(
        client,
        &format!(
            "const i = document.querySelector({}); return i && i.complete && i.naturalWidth > 0;",
            json!(css)
        ),
        30,
        &format!("the picture {css} loads"),
    )
    .await;
}

/// Waits for the verdict on the run screen; fails unless it is `expected`, with its words.
async fn verdict(client: &Client, expected: &str, seconds: u64) {
    let found = wait_for(
        client,
        "const v = document.querySelector('#verdict'); return v && [v.dataset.outcome, v.innerText];",
        seconds,
        "the run's verdict is shown",
    )
    .await;
    assert_eq!(
        found[0], expected,
        "the verdict is {expected}; the screen says {}",
        found[1]
    );
}

/// How many of the run's steps the screen shows ticked, and how many there are.
async fn steps_ticked(client: &Client) -> Value {
    client
        .execute(
            "const s = [...document.querySelectorAll('#steps li')]; \
             return [s.filter((li) => li.dataset.done === 'true').length, s.length];",
            vec![],
        )
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cashier_and_auto_debit_cases_pass_from_a_phone_with_the_shops_pages() {
    let demo = Demo::start(DemoOptions {
        timing: DemoOptions::quick_timing(),
        ..DemoOptions::default()
    })
    .await
    .expect("the demo starts");
    let public = demo.public_url().to_owned();
    let shop = demo.pos_driver_url().trim_end_matches('/').to_owned();
    let pos = Pos::new(demo.pos_driver_url());
    let driver = driver().await;
    let phone = phone_with(&driver, &[]).await;
    let link = demo.web_wallet_link().await.expect("a signed-in link");
    phone.goto(&link).await.unwrap();
    element(&phone, "#case-CSH-01").await;
    let wallet_tab = phone.window().await.unwrap();
    // The wallet under test holds yuan: the HKD checkout shows an exchange rate.
    press(&phone, "#tab-settings").await;
    element(&phone, "#setting-wallet")
        .await
        .select_by_value("ALIPAY_CN")
        .await
        .unwrap();
    wait_for(
        &phone,
        "const s = document.querySelector('#settings-status'); return s && !s.hidden;",
        30,
        "the wallet under test is saved",
    )
    .await;
    press(&phone, "#tab-cases").await;

    // CSH-01: the run, then the shop's checkout in the same browser; its payment link tapped.
    press(&phone, "#case-CSH-01").await;
    press(&phone, "#start-run").await;
    let cashier_run = run_id(&phone, "CSH-01").await;
    phone.goto(&format!("{shop}/shop")).await.unwrap();
    element(&phone, "#options .opt").await;
    let total = text_of(&phone, "#total").await;
    press(&phone, "#pay").await;
    image_loaded(&phone, "#payQr").await;
    scroll_to(&phone, "#payCard").await;
    shot(&phone, "shop-checkout").await;
    let payment_url = text_of(&phone, "#payLink").await;
    assert!(
        payment_url.starts_with(&format!("{public}/checkout/")),
        "the checkout's paymentUrl is the hub's page: {payment_url}"
    );
    press(&phone, "#payLink").await;
    element(&phone, "#cashier[data-phase='confirm']").await;
    assert_eq!(
        run_id(&phone, "CSH-01").await,
        cashier_run,
        "the tapped link opened in the merchant's open run"
    );
    let amount = text_of(&phone, "#confirm-amount").await;
    assert_eq!(
        amount, total,
        "the wallet asks for the amount the shop's basket totals"
    );
    assert!(
        !text_of(&phone, "#confirm-merchant").await.trim().is_empty(),
        "the wallet names the merchant"
    );
    let rate = text_of(&phone, "#confirm-rate").await;
    assert!(
        rate.starts_with("1 HKD = ") && rate.ends_with(" CNY"),
        "a yuan wallet paying in HKD shows the exchange rate: {rate:?}"
    );
    assert!(
        text_of(&phone, "#confirm-converted")
            .await
            .starts_with("CNY"),
        "and what the customer pays in yuan"
    );
    let buttons = text_of(&phone, "#cashier .stack").await;
    assert!(
        buttons.contains("Leave without paying") && buttons.contains("Pay Now"),
        "a cashier page offers Pay Now or Leave without paying: {buttons:?}"
    );
    wallet_screen(&phone, "phone-cashier-confirm").await;
    press(&phone, "#pay-now").await;
    element(&phone, "#cashier-outcome[data-outcome='paid']").await;
    wallet_screen(&phone, "phone-cashier-paid").await;
    let tabs = phone.windows().await.unwrap();
    press(&phone, "#cashier-done").await;
    let return_tab = switch_to_new_tab(&phone, &tabs, "Done").await;
    let state = wait_for(
        &phone,
        "const s = document.querySelector('#state'); return s && s.classList.contains('paid') && location.pathname;",
        30,
        "Done opens the shop's return page, which shows the order as paid",
    )
    .await;
    assert!(
        state
            .as_str()
            .is_some_and(|p| p.starts_with("/shop/return/")),
        "Done returned to the paymentRedirectUrl: {state}"
    );
    shot(&phone, "shop-return").await;
    phone.close_window().await.unwrap();
    assert_ne!(return_tab, wallet_tab);
    let tabs = phone.windows().await.unwrap();
    phone.switch_to_window(tabs[0].clone()).await.unwrap();
    let wallet_tab = tabs[0].clone();
    element(&phone, "#cashier-returned[data-opened='true']").await;
    press(&phone, "#answer-yes-site-shows-paid").await;
    verdict(&phone, "passed", 60).await;
    assert_eq!(
        steps_ticked(&phone).await,
        json!([2, 2]),
        "both steps of CSH-01 are ticked: the link opened, the return"
    );
    scroll_to(&phone, "#verdict").await;
    shot(&phone, "phone-cashier-passed").await;

    // CSH-02's way out: Leave without paying sends the customer back at once, and the run
    // records both (its verdict waits for the shop to cancel the abandoned order: not here).
    press(&phone, "#run-back").await;
    press(&phone, "#case-CSH-02").await;
    press(&phone, "#start-run").await;
    let abandoned_run = run_id(&phone, "CSH-02").await;
    phone.goto(&format!("{shop}/shop")).await.unwrap();
    element(&phone, "#options .opt").await;
    press(&phone, "#pay").await;
    element(&phone, "#payLink[href]").await;
    press(&phone, "#payLink").await;
    element(&phone, "#cashier[data-phase='confirm']").await;
    let tabs = phone.windows().await.unwrap();
    press(&phone, "#back-out").await;
    switch_to_new_tab(&phone, &tabs, "Leave without paying").await;
    let state = wait_for(
        &phone,
        "const s = document.querySelector('#state'); return location.pathname.startsWith('/shop/return/') && s && s.className;",
        30,
        "leaving opens the shop's return page",
    )
    .await;
    assert!(
        !state.as_str().unwrap_or_default().contains("paid"),
        "the shop does not believe the return: the order is not paid ({state})"
    );
    phone.close_window().await.unwrap();
    phone.switch_to_window(wallet_tab.clone()).await.unwrap();
    element(&phone, "#cashier-outcome[data-outcome='left']").await;
    element(&phone, "#cashier-returned[data-opened='true']").await;
    wallet_screen(&phone, "phone-cashier-left").await;
    let recorded = wait_for(
        &phone,
        "const l = [...document.querySelectorAll('#live li[data-kind=wallet_action]')].map((li) => li.textContent).join(' | '); \
         return l.includes('back out') && l.includes('redirected') && l;",
        30,
        "the run records leaving and the return",
    )
    .await;
    assert_eq!(
        run_id(&phone, "CSH-02").await,
        abandoned_run,
        "recorded in CSH-02's run: {recorded}"
    );

    // ADB-01: the shop's account page links a wallet in another tab; the wallet's Scan screen
    // takes its link, pasted.
    press(&phone, "#run-back").await;
    press(&phone, "#case-ADB-01").await;
    press(&phone, "#start-run").await;
    let debit_run = run_id(&phone, "ADB-01").await;
    let shop_tab = phone.new_window(true).await.unwrap().handle;
    phone.switch_to_window(shop_tab.clone()).await.unwrap();
    phone.goto(&format!("{shop}/shop/account")).await.unwrap();
    press(&phone, "#linkButton").await;
    image_loaded(&phone, "#authQr").await;
    let auth_url = text_of(&phone, "#authLink").await;
    shot(&phone, "shop-account-link").await;
    phone.switch_to_window(wallet_tab.clone()).await.unwrap();
    type_into(&phone, "#scan-text", &auth_url).await;
    press(&phone, "#scan-go").await;
    element(&phone, "#authorization[data-phase='ask']").await;
    let scope = text_of(
        &phone,
        "#authorization-scopes li[data-scope='AGREEMENT_PAY']",
    )
    .await;
    assert!(
        scope.contains("Charge this wallet without asking each time"),
        "the scope asked is said in words: {scope:?}"
    );
    assert!(
        !text_of(&phone, "#authorization-client").await.is_empty()
            && !text_of(&phone, "#authorization-acquirer").await.is_empty(),
        "the wallet says who asks: the merchant's client id and its acquirer"
    );
    wallet_screen(&phone, "phone-authorize").await;
    press(&phone, "#authorize").await;
    element(&phone, "#authorization-outcome[data-outcome='authorized']").await;
    assert_eq!(
        text_of(&phone, "#authorization-notified").await,
        "The merchant was told.",
        "the reference acquirer acknowledged the authNotify"
    );
    wallet_screen(&phone, "phone-authorized").await;
    let tabs = phone.windows().await.unwrap();
    press(&phone, "#authorization-done").await;
    switch_to_new_tab(&phone, &tabs, "Done after Authorize").await;
    wait_for(
        &phone,
        "const s = document.querySelector('#state'); return location.pathname === '/shop/account/return' && s && s.textContent === 'Linked';",
        30,
        "Done opens the shop's account page, which shows the wallet as linked",
    )
    .await;
    type_into(&phone, "#amount", "12.50").await;
    press(&phone, "#chargeCard button").await;
    wait_for(
        &phone,
        "return document.querySelector('#list .row .paid');",
        30,
        "the shop's charge is paid",
    )
    .await;
    shot(&phone, "shop-account-linked").await;
    phone.close_window().await.unwrap();
    phone.switch_to_window(wallet_tab.clone()).await.unwrap();
    press(&phone, "#answer-yes-site-shows-paid").await;
    verdict(&phone, "passed", 60).await;
    assert_eq!(
        steps_ticked(&phone).await,
        json!([2, 2]),
        "both steps of ADB-01 are ticked: authorized, the debit paid"
    );
    shot(&phone, "phone-authorize-passed").await;
    // The Authorizations screen, from the settings: the merchant just authorized, active.
    press(&phone, "#tab-settings").await;
    press(&phone, "#settings-authorizations").await;
    element(&phone, "[data-authorization] .unbind").await;
    let listed = text_of(&phone, "#authorizations-list").await;
    assert!(
        listed.contains(&debit_run) && listed.contains("Active"),
        "the authorization granted in {debit_run} is listed as Active: {listed:?}"
    );
    wallet_screen(&phone, "phone-authorizations").await;

    // ADB-02, in Chinese: the shop links again; its link opened with no run open asks which
    // case to start; then Unbind in the Authorizations screen.
    press(&phone, "#authorizations-back").await;
    press(&phone, "#lang-zh-CN").await;
    wait_for(
        &phone,
        "return document.documentElement.lang === 'zh-CN' && document.querySelector('#settings-authorizations');",
        30,
        "the settings switch to Chinese",
    )
    .await;
    phone.switch_to_window(shop_tab.clone()).await.unwrap();
    press(&phone, "#linkButton").await;
    let second_auth = wait_for(
        &phone,
        &format!(
            "const a = document.querySelector('#authLink'); return a && a.textContent && a.textContent !== {} && a.textContent;",
            json!(auth_url)
        ),
        30,
        "the shop asks for a second authorization",
    )
    .await;
    let second_auth = second_auth.as_str().unwrap().to_owned();
    phone.switch_to_window(wallet_tab.clone()).await.unwrap();
    phone.goto(&second_auth).await.unwrap();
    element(&phone, "#open-in-ADB-02").await;
    wallet_screen(&phone, "phone-open-link-zh").await;
    press(&phone, "#open-in-ADB-02").await;
    element(&phone, "#authorization[data-phase='ask']").await;
    let unbind_run = run_id(&phone, "ADB-02").await;
    let scope = text_of(
        &phone,
        "#authorization-scopes li[data-scope='AGREEMENT_PAY']",
    )
    .await;
    assert!(
        scope.contains("无需每次确认即可从此钱包扣款"),
        "the scope in Chinese: {scope:?}"
    );
    wallet_screen(&phone, "phone-authorize-zh").await;
    press(&phone, "#authorize").await;
    let tabs = phone.windows().await.unwrap();
    press(&phone, "#authorization-done").await;
    switch_to_new_tab(&phone, &tabs, "Done after Authorize (ADB-02)").await;
    phone.close_window().await.unwrap();
    phone.switch_to_window(wallet_tab.clone()).await.unwrap();
    // The site takes its token before the customer unbinds.
    let deadline = Instant::now() + Duration::from_secs(30);
    while pos.get("/pos/v1/account").await["linked"] != json!(true) {
        assert!(
            Instant::now() < deadline,
            "the shop shows the wallet linked after ADB-02's Authorize"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    // Authorizations from the case's screen; the row of ADB-02's authorization names its run.
    press(&phone, "#open-authorizations").await;
    let id = wait_for(
        &phone,
        &format!(
            "const r = [...document.querySelectorAll('[data-authorization][data-status=active]')].find((r) => r.innerText.includes({})); return r && r.dataset.authorization;",
            json!(unbind_run)
        ),
        30,
        "the Authorizations screen lists ADB-02's authorization",
    )
    .await;
    let row = format!("[data-authorization='{}']", id.as_str().unwrap());
    press(&phone, &format!("{row} .unbind")).await;
    element(&phone, &format!("{row} .confirm-unbind")).await;
    wallet_screen(&phone, "phone-unbind-confirm-zh").await;
    press(&phone, &format!("{row} .confirm-unbind")).await;
    let told = wait_for(
        &phone,
        "const s = document.querySelector('#authorizations-status'); return s && !s.hidden && s.dataset.notified;",
        30,
        "the screen says whether the merchant was told",
    )
    .await;
    assert_eq!(
        told,
        json!("true"),
        "the reference acquirer acknowledged TOKEN_CANCELED"
    );
    element(&phone, &format!("{row}[data-status='revoked']")).await;
    wallet_screen(&phone, "phone-authorizations-zh").await;
    // The site tries to charge again: it knows the wallet is no longer linked.
    phone.switch_to_window(shop_tab.clone()).await.unwrap();
    wait_for(
        &phone,
        "const s = document.querySelector('#state'); return s && s.classList.contains('unlinked');",
        30,
        "the shop's account page shows the wallet unlinked",
    )
    .await;
    press(&phone, "#chargeCard button").await;
    wait_for(
        &phone,
        "return document.querySelector('#list .row .failed');",
        30,
        "the shop's charge of an unlinked wallet fails",
    )
    .await;
    shot(&phone, "shop-account-unlinked").await;
    phone.switch_to_window(wallet_tab.clone()).await.unwrap();
    press(&phone, "#authorizations-back").await;
    assert_eq!(
        run_id(&phone, "ADB-02").await,
        unbind_run,
        "back from Authorizations is the run it was opened from"
    );
    press(&phone, "#answer-yes-site-shows-unlinked").await;
    verdict(&phone, "passed", 90).await;
    assert_eq!(
        steps_ticked(&phone).await,
        json!([2, 2]),
        "both steps of ADB-02 are ticked: authorized, revoked"
    );
    phone.close().await.ok();
    drop(driver);
    demo.shutdown().await;
}
