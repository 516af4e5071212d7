//! Every screen of the web wallet on a phone (390 x 844): written to
//! `target/web-screenshots/phone-<screen>.png`, no wider than the phone, and every control on it
//! big enough for a finger (44 x 44 CSS px), with no icon drawn from a symbol font (SVG only).
//! The runs on them are real: the demo's reference
//! acquirer charges the payment code and shows the order code, through its POS driver.

use fantoccini::Client;
use linker_demo::{Demo, DemoOptions};
use serde_json::json;

use crate::browser::{
    assert_fits_the_phone, driver, element, phone_with, run_id, scroll_to, shot, tap, type_into,
    wait_for,
};
use crate::support::Pos;

/// The visible controls a finger must hit that are smaller than 44 x 44 CSS px: buttons, links,
/// inputs, selects, text areas, disclosure summaries and labels that wrap a control, each as
/// `tag#id.class "text" W x H`. Controls below the fold count (the page scrolls to them); those
/// in a closed disclosure do not (they count once it is opened).
pub async fn small_touch_targets(client: &Client) -> Vec<String> {
    let found = client
        .execute(
            r##"const small = [];
            for (const el of document.querySelectorAll("button, a[href], input, select, textarea, summary, label")) {
              if (el.tagName === "LABEL" && !el.querySelector("input, select, textarea")) continue;
              // Not hidden, transparent, nor inside a closed <details> (laid out, never drawn).
              if (!el.checkVisibility({ opacityProperty: true, visibilityProperty: true, contentVisibilityAuto: true })) continue;
              const r = el.getBoundingClientRect();
              if (r.width === 0 || r.height === 0) continue;
              if (Math.round(r.width) < 44 || Math.round(r.height) < 44) {
                const text = (el.textContent || el.value || el.placeholder || "").trim().replace(/\s+/g, " ").slice(0, 40);
                const id = el.id ? "#" + el.id : "";
                const classes = el.className ? "." + String(el.className).trim().split(/\s+/).join(".") : "";
                small.push(`${el.tagName.toLowerCase()}${id}${classes} "${text}" ${Math.round(r.width)}x${Math.round(r.height)}`);
              }
            }
            return small;"##,
            vec![],
        )
        .await
        .unwrap();
    serde_json::from_value(found).unwrap()
}

/// The visible text that needs a symbol font to draw (arrows, shapes, dingbats, emoji): on a
/// fresh Linux machine such a glyph is an empty box, so icons are SVG (`ui/lib/icons.js`).
pub async fn symbol_glyphs(client: &Client) -> Vec<String> {
    let found = client
        .execute(
            r##"const found = [];
            const symbol = /[\u2190-\u21FF\u2300-\u27BF\u2B00-\u2BFF\u{1F000}-\u{1FAFF}]/u;
            const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
            for (let node = walker.nextNode(); node; node = walker.nextNode()) {
              const el = node.parentElement;
              if (!el || !symbol.test(node.textContent)) continue;
              if (!el.checkVisibility({ opacityProperty: true, visibilityProperty: true })) continue;
              found.push(`${el.tagName.toLowerCase()}.${el.className} "${node.textContent.trim().slice(0, 40)}"`);
            }
            return found;"##,
            vec![],
        )
        .await
        .unwrap();
    serde_json::from_value(found).unwrap()
}

/// The screens looked at, the controls too small on each, and the glyphs that need a symbol font.
#[derive(Default)]
struct Survey {
    small: Vec<String>,
    glyphs: Vec<String>,
}

impl Survey {
    /// Screenshots the screen as `phone-<name>`, checks it fits the phone, and notes its
    /// controls too small for a finger.
    async fn screen(&mut self, client: &Client, name: &str) {
        shot(client, &format!("phone-{name}")).await;
        assert_fits_the_phone(client, name).await;
        for control in small_touch_targets(client).await {
            self.small.push(format!("{name}: {control}"));
        }
        for glyph in symbol_glyphs(client).await {
            self.glyphs.push(format!("{name}: {glyph}"));
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_web_wallet_screen_fits_a_phone_and_its_controls_fit_a_finger() {
    let demo = Demo::start(DemoOptions {
        timing: DemoOptions::quick_timing(),
        ..DemoOptions::default()
    })
    .await
    .expect("the demo starts");
    let public = demo.public_url().to_owned();
    let pos = Pos::new(demo.pos_driver_url());
    let currency = pos.get("/pos/v1/capabilities").await["currencies"][0]
        .as_str()
        .expect("the POS sells in a currency")
        .to_owned();
    let amount = json!({"currency": currency, "value": "1234"});
    let driver = driver().await;
    let phone = phone_with(&driver, &[]).await;
    let mut survey = Survey::default();

    // Signed out: the first screen, the invitation and the password forms.
    phone.goto(&format!("{public}/app/")).await.unwrap();
    element(&phone, "#sign-in").await;
    survey.screen(&phone, "welcome").await;
    tap(&phone, "#sign-in").await;
    type_into(&phone, "#invitation-code", &demo.merchant().invitation_code).await;
    survey.screen(&phone, "invitation").await;
    tap(&phone, "#mode-password").await;
    type_into(&phone, "#login", &demo.merchant().mid).await;
    survey.screen(&phone, "sign-in").await;

    // Signed in (the demo's link): the cases.
    let link = demo.web_wallet_link().await.expect("a signed-in link");
    phone.goto(&link).await.unwrap();
    element(&phone, "#case-UPM-01").await;
    survey.screen(&phone, "cases").await;

    // UPM-01: the payment code; the POS charges it; the question; the verdict.
    tap(&phone, "#case-UPM-01").await;
    tap(&phone, "#start-run").await;
    let upm_run = run_id(&phone, "UPM-01").await;
    let digits = wait_for(
        &phone,
        "const d = document.querySelector('#pay-digits'); return d && d.dataset.digits;",
        30,
        "UPM-01 shows a payment code",
    )
    .await;
    survey.screen(&phone, "pay").await;
    let charged = pos
        .post(
            "/pos/v1/charge",
            json!({"runId": upm_run, "caseId": "UPM-01", "amount": amount, "paymentCode": digits})
                .to_string()
                .into(),
            "application/json",
        )
        .await;
    let sale = charged["posPaymentId"].as_str().expect("the POS's sale id");
    pos.wait_until_paid(&format!("/pos/v1/display?posPaymentId={sale}"), |a| a)
        .await;
    element(&phone, "#answer-yes-pos-shows-success").await;
    scroll_to(&phone, "#checks").await;
    survey.screen(&phone, "questions").await;
    tap(&phone, "#answer-yes-pos-shows-success").await;
    wait_for(
        &phone,
        "const v = document.querySelector('#verdict'); return v && v.dataset.outcome;",
        60,
        "UPM-01's verdict is shown",
    )
    .await;
    scroll_to(&phone, "#verdict").await;
    survey.screen(&phone, "verdict").await;
    // A check opened: the evidence it was judged on.
    tap(
        &phone,
        "#verdict details.check[data-check='pay-received'] summary",
    )
    .await;
    element(&phone, "#verdict details.check[open] details.evidence").await;
    scroll_to(&phone, "#verdict details.check[open]").await;
    survey.screen(&phone, "verdict-evidence").await;

    // MOC-01: the scan tools; the POS's order code, typed in; the payment to confirm.
    tap(&phone, "#run-back").await;
    tap(&phone, "#case-MOC-01").await;
    tap(&phone, "#start-run").await;
    let moc_run = run_id(&phone, "MOC-01").await;
    element(&phone, "#scan-camera").await;
    survey.screen(&phone, "scan").await;
    let order = pos
        .post(
            "/pos/v1/order-code",
            json!({"runId": moc_run, "caseId": "MOC-01", "amount": amount})
                .to_string()
                .into(),
            "application/json",
        )
        .await;
    let code = order["codeValue"].as_str().expect("an order code");
    type_into(&phone, "#scan-text", code).await;
    tap(&phone, "#scan-go").await;
    element(&phone, "#confirm-merchant").await;
    survey.screen(&phone, "confirm").await;
    tap(&phone, "#pay-now").await;

    // The tabs: history, generate, settings.
    tap(&phone, "#tab-history").await;
    element(&phone, ".history-row").await;
    survey.screen(&phone, "history").await;
    tap(&phone, "#tab-generate").await;
    type_into(&phone, "#generate-text", "https://pos.example/receipt/42").await;
    tap(&phone, "#generate-go").await;
    element(&phone, "#generate-image").await;
    survey.screen(&phone, "generate").await;
    tap(&phone, "#tab-settings").await;
    element(&phone, "#sign-out").await;
    survey.screen(&phone, "settings").await;

    // In Chinese: the settings, the cases, UPM-01's verdict from the history.
    tap(&phone, "#lang-zh-CN").await;
    wait_for(
        &phone,
        "return document.documentElement.lang === 'zh-CN' && document.querySelector('#sign-out');",
        30,
        "the settings switch to Chinese",
    )
    .await;
    survey.screen(&phone, "settings-zh").await;
    tap(&phone, "#tab-cases").await;
    element(&phone, "#case-UPM-01").await;
    survey.screen(&phone, "cases-zh").await;
    tap(&phone, "#tab-history").await;
    tap(&phone, &format!(".history-row[data-run='{upm_run}']")).await;
    element(&phone, "#verdict").await;
    scroll_to(&phone, "#verdict").await;
    let heading = element(&phone, "#verdict h2").await.text().await.unwrap();
    assert!(
        !heading.is_ascii(),
        "the verdict's heading is in Chinese: {heading:?}"
    );
    survey.screen(&phone, "verdict-zh").await;

    assert!(
        survey.small.is_empty(),
        "every control on every screen is at least 44 x 44 CSS px for a finger; these are not:\n{}",
        survey.small.join("\n")
    );
    assert!(
        survey.glyphs.is_empty(),
        "no screen draws an icon with a glyph that needs a symbol font (an empty box on a fresh \
         machine); these do:\n{}",
        survey.glyphs.join("\n")
    );
    phone.close().await.ok();
    drop(driver);
    demo.shutdown().await;
}
