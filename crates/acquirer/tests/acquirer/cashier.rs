//! The online shop's checkout (Cashier Payment) against the real hub: consultPayment, a complete
//! CASHIER_PAYMENT pay, the customer's return that is never trusted alone, the poll and cancel of
//! an abandoned order, and the faults no-redirect-url, trust-redirect and skip-consult.

use std::time::Duration;

use linker_acquirer::Fault;
use linker_pos_driver::{AmountRequest, DisplayState, ErrorCode};
use serde_json::{Value, json};

use crate::support::{Pos, World, body, hkd, request_id, response, wait_display};

const WAIT: Duration = Duration::from_secs(15);

/// A driver `cashier` request.
fn cashier(value: &str) -> AmountRequest {
    AmountRequest {
        run_id: "run_test".into(),
        case_id: "CSH-01".into(),
        amount: hkd(value),
    }
}

/// POSTs JSON to the acquirer; status and body.
async fn post(pos: &Pos, path: &str, payload: Value) -> (u16, Value) {
    let answer = reqwest::Client::new()
        .post(format!("{}{path}", pos.acquirer.base_url()))
        .header("user-agent", "Mozilla/5.0 (iPhone) ShopTest")
        .json(&payload)
        .send()
        .await
        .unwrap();
    let status = answer.status().as_u16();
    (status, answer.json().await.unwrap_or(Value::Null))
}

/// GETs a page of the acquirer; status and text.
async fn page(pos: &Pos, path: &str) -> (u16, String) {
    let answer = reqwest::get(format!("{}{path}", pos.acquirer.base_url()))
        .await
        .unwrap();
    let status = answer.status().as_u16();
    (status, answer.text().await.unwrap())
}

/// An acquirer whose online orders stay payable for 20 s (the tests' default is 3 s).
async fn patient_pos(world: &World, faults: &[Fault]) -> Pos {
    let mut timing = crate::support::timing();
    timing.order_validity = Duration::from_secs(20);
    world
        .pos_with(tempfile::tempdir().unwrap(), faults, timing)
        .await
}

#[tokio::test]
async fn the_checkout_consults_pays_with_cashier_fields_and_shows_paid_only_once_alipay_says_so() {
    let world = World::new().await;
    let pos = patient_pos(&world, &[]).await;
    let (status, shop) = page(&pos, "/shop").await;
    assert_eq!(status, 200);
    assert!(
        shop.contains("Pay with Alipay+") && shop.contains("api('options'"),
        "the checkout page: {shop}"
    );
    let (_, pos_page) = page(&pos, "/pos").await;
    assert!(pos_page.contains("href=\"/shop\""), "linked from the POS");

    let basket = json!({"items": {"flat-white": 2, "croissant": 1}});
    let (status, options) = post(&pos, "/shop/api/options", basket.clone()).await;
    assert_eq!(status, 200, "{options}");
    assert_eq!(options["total"]["value"], "10200", "2 × 38 + 26: {options}");
    assert_eq!(options["consulted"]["asked"], true, "{options}");
    let offered: Vec<(&str, bool)> = options["consulted"]["options"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| (o["name"].as_str().unwrap(), o["enabled"].as_bool().unwrap()))
        .collect();
    assert!(
        offered.contains(&("Alipay+", true)) && offered.contains(&("Linker test wallet", true)),
        "the page lists each wallet consultPayment answered: {offered:?}"
    );
    let consults = world.exchanges("consultPayment").await;
    assert_eq!(consults.len(), 1, "{consults:?}");
    let consult = body(&consults[0]);
    assert_eq!(consult["productCode"], "CASHIER_PAYMENT", "{consult}");
    assert_eq!(consult["paymentAmount"]["value"], "10200", "{consult}");
    assert_eq!(
        consult["merchant"]["referenceMerchantId"], "M0001",
        "{consult}"
    );
    assert_eq!(
        consult["paymentFactor"]["isCashierPayment"], "true",
        "{consult}"
    );

    let mut basket = basket;
    basket["consultId"] = options["consulted"]["consultId"].clone();
    let (status, checkout) = post(&pos, "/shop/api/checkout", basket).await;
    assert_eq!(status, 200, "{checkout}");
    let id = checkout["posPaymentId"].as_str().unwrap().to_owned();
    let prid = request_id(&pos, &id);
    assert_eq!(
        world.exchanges("consultPayment").await.len(),
        1,
        "Pay relies on the consultPayment the page showed for the same basket"
    );
    let pays = world.exchanges_for("pay", &prid).await;
    assert_eq!(pays.len(), 1, "{pays:?}");
    let pay = &pays[0];
    assert_eq!(pay["signatureVerdict"], "valid", "{pay}");
    let sent = body(pay);
    assert_eq!(sent["productCode"], "CASHIER_PAYMENT", "{sent}");
    assert_eq!(sent["paymentFactor"]["isCashierPayment"], "true", "{sent}");
    assert_eq!(sent["order"]["env"]["terminalType"], "WEB", "{sent}");
    assert_eq!(
        sent["order"]["env"]["userAgent"], "Mozilla/5.0 (iPhone) ShopTest",
        "the customer's browser: {sent}"
    );
    assert_eq!(
        sent["order"]["merchant"]["merchantName"], "Linker Cafe",
        "{sent}"
    );
    assert_eq!(
        sent["order"]["orderDescription"], "1 × Almond croissant, 2 × Flat white",
        "{sent}"
    );
    assert_eq!(sent["paymentAmount"]["value"], "10200", "{sent}");
    assert_eq!(
        sent["paymentNotifyUrl"],
        pos.acquirer.notify_url().as_str(),
        "{sent}"
    );
    let return_url = format!("{}/shop/return/{id}", pos.acquirer.base_url());
    assert_eq!(
        sent["paymentRedirectUrl"],
        return_url.as_str(),
        "back to the order's page: {sent}"
    );
    assert!(sent["paymentExpiryTime"].is_string(), "{sent}");
    let answered = response(pay);
    assert_eq!(answered["result"]["resultStatus"], "U", "{answered}");
    assert_eq!(
        answered["result"]["resultCode"], "PAYMENT_IN_PROCESS",
        "{answered}"
    );
    let payment_url = answered["paymentUrl"].as_str().unwrap().to_owned();
    assert_eq!(checkout["paymentUrl"], payment_url.as_str(), "{checkout}");
    assert!(
        payment_url.starts_with(&format!("{}/checkout/", world.hub_url)),
        "{payment_url}"
    );
    let shown = pos.driver.display(&id).await.unwrap();
    assert_eq!(
        shown.state,
        DisplayState::Waiting,
        "waiting for the customer: {shown:?}"
    );

    // The customer comes back before paying: the page asks Alipay+ and still waits.
    let (status, returned) = page(&pos, &format!("/shop/return/{id}")).await;
    assert_eq!(status, 200);
    assert!(returned.contains("/shop/api/orders/"), "{returned}");
    world
        .wait_for_exchanges(
            "the return page's inquiry",
            "inquiryPayment",
            &prid,
            1,
            WAIT,
        )
        .await;
    let shown = pos.driver.display(&id).await.unwrap();
    assert_eq!(
        shown.state,
        DisplayState::Waiting,
        "the way back proves nothing: {shown:?}"
    );

    world.customer_pays(&payment_url);
    let (_, again) = page(&pos, &format!("/shop/return/{id}")).await;
    assert!(again.contains("Your order"));
    let shown = wait_display(&pos, &id, DisplayState::Paid, WAIT).await;
    assert!(shown.text.contains("HKD 102.00"), "{shown:?}");
    let inquired_paid = world
        .exchanges_for("inquiryPayment", &prid)
        .await
        .iter()
        .any(|e| response(e)["paymentResult"]["resultStatus"] == "S");
    let notified = pos.acquirer.notification_count(&prid).unwrap() > 0;
    assert!(
        inquired_paid || notified,
        "paid only once Alipay+ said so (inquiry S: {inquired_paid}, notification: {notified})"
    );
    let order: Value = reqwest::get(format!("{}/shop/api/orders/{id}", pos.acquirer.base_url()))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(order["display"]["state"], "paid", "{order}");
    assert!(
        world.exchanges_for("cancelPayment", &prid).await.is_empty(),
        "a paid order is not cancelled"
    );
}

#[tokio::test]
async fn an_abandoned_checkout_is_polled_then_cancelled_after_its_expiry() {
    let world = World::new().await;
    let pos = world.pos(&[]).await;
    let started = pos.driver.cashier(&cashier("4500")).await.unwrap();
    let prid = request_id(&pos, &started.pos_payment_id);
    let consults = world.exchanges("consultPayment").await;
    let pays = world.exchanges_for("pay", &prid).await;
    assert_eq!(consults.len(), 1, "the driver's checkout consults too");
    assert!(
        consults[0]["at"].as_str() <= pays[0]["at"].as_str(),
        "consultPayment before pay: {} vs {}",
        consults[0]["at"],
        pays[0]["at"]
    );
    assert_eq!(
        response(&pays[0])["paymentUrl"],
        started.payment_url.as_str()
    );
    let expire = body(&pays[0])["paymentExpiryTime"]
        .as_str()
        .unwrap()
        .to_owned();

    let shown = wait_display(&pos, &started.pos_payment_id, DisplayState::Cancelled, WAIT).await;
    assert_eq!(shown.reason.as_deref(), Some("EXPIRED"), "{shown:?}");
    let inquiries = world.exchanges_for("inquiryPayment", &prid).await;
    assert!(
        inquiries.len() >= 2,
        "it polled while the customer could pay: {}",
        inquiries.len()
    );
    let gaps: Vec<i64> = inquiries
        .windows(2)
        .map(|w| {
            let at = |e: &Value| chrono::DateTime::parse_from_rfc3339(e["at"].as_str().unwrap());
            (at(&w[1]).unwrap() - at(&w[0]).unwrap()).num_milliseconds()
        })
        .collect();
    assert!(
        gaps.iter().all(|gap| *gap >= 300),
        "no faster than the poll interval (400 ms): {gaps:?}"
    );
    let cancels = world.exchanges_for("cancelPayment", &prid).await;
    assert_eq!(cancels.len(), 1, "one cancel closes it: {cancels:?}");
    assert_eq!(
        cancels[0]["resultStatus"],
        "S",
        "{:?}",
        response(&cancels[0])
    );
    let expire = chrono::DateTime::parse_from_rfc3339(&expire).unwrap();
    let cancelled =
        chrono::DateTime::parse_from_rfc3339(cancels[0]["at"].as_str().unwrap()).unwrap();
    assert!(
        cancelled >= expire,
        "cancelled after the expiry it sent ({cancelled} >= {expire})"
    );
}

#[tokio::test]
async fn poll_too_fast_and_never_cancel_apply_to_a_waiting_checkout() {
    let world = World::new().await;
    let pos = world.pos(&[Fault::PollTooFast, Fault::NeverCancel]).await;
    let started = pos.driver.cashier(&cashier("4500")).await.unwrap();
    let prid = request_id(&pos, &started.pos_payment_id);
    let shown = wait_display(&pos, &started.pos_payment_id, DisplayState::Failed, WAIT).await;
    assert!(shown.text.contains("not cancelled"), "{shown:?}");
    let inquiries = world.exchanges_for("inquiryPayment", &prid).await;
    assert!(
        inquiries.len() >= 10,
        "polled every ~50 ms for 3 s: {} inquiries",
        inquiries.len()
    );
    assert!(
        world.exchanges_for("cancelPayment", &prid).await.is_empty(),
        "never-cancel gives the order up without cancelPayment"
    );
}

#[tokio::test]
async fn no_redirect_url_sends_the_cashier_pay_without_the_way_back() {
    for faults in [vec![], vec![Fault::NoRedirectUrl]] {
        let world = World::new().await;
        let pos = world.pos(&faults).await;
        let answer = pos.driver.cashier(&cashier("1800")).await;
        let pays = world.exchanges("pay").await;
        assert_eq!(pays.len(), 1, "{faults:?}: {pays:?}");
        let sent = body(&pays[0]);
        if faults.is_empty() {
            let started = answer.unwrap();
            assert_eq!(
                sent["paymentRedirectUrl"],
                format!(
                    "{}/shop/return/{}",
                    pos.acquirer.base_url(),
                    started.pos_payment_id
                )
                .as_str(),
                "{sent}"
            );
        } else {
            assert!(
                sent.get("paymentRedirectUrl").is_none(),
                "no-redirect-url leaves it out: {sent}"
            );
            let refused = response(&pays[0]);
            assert_eq!(
                refused["result"]["resultCode"], "PARAM_ILLEGAL",
                "the hub refuses a cashier pay without it: {refused}"
            );
            let error = answer.unwrap_err();
            assert_eq!(error.code(), Some(ErrorCode::BackendError), "{error}");
            assert!(error.to_string().contains("PARAM_ILLEGAL"), "{error}");
        }
    }
}

#[tokio::test]
async fn trust_redirect_marks_the_order_paid_when_the_customer_backs_out_and_comes_back() {
    // Correct: the customer backs out of the payment page and comes back unpaid; the shop asks
    // Alipay+, keeps waiting, and cancels the order once it expired.
    let world = World::new().await;
    let pos = world.pos(&[]).await;
    let started = pos.driver.cashier(&cashier("2600")).await.unwrap();
    let id = started.pos_payment_id.clone();
    let prid = request_id(&pos, &id);
    page(&pos, &format!("/shop/return/{id}")).await;
    world
        .wait_for_exchanges("the inquiry on return", "inquiryPayment", &prid, 1, WAIT)
        .await;
    let shown = pos.driver.display(&id).await.unwrap();
    assert_eq!(shown.state, DisplayState::Waiting, "{shown:?}");
    wait_display(&pos, &id, DisplayState::Cancelled, WAIT).await;
    assert_eq!(
        world.exchanges_for("cancelPayment", &prid).await.len(),
        1,
        "the abandoned order is cancelled"
    );

    // trust-redirect: the same return shows the order paid, though Alipay+ never said so.
    let world = World::new().await;
    let pos = world.pos(&[Fault::TrustRedirect]).await;
    let started = pos.driver.cashier(&cashier("2600")).await.unwrap();
    let id = started.pos_payment_id.clone();
    let prid = request_id(&pos, &id);
    page(&pos, &format!("/shop/return/{id}")).await;
    let shown = pos.driver.display(&id).await.unwrap();
    assert_eq!(
        shown.state,
        DisplayState::Paid,
        "trust-redirect believes the way back: {shown:?}"
    );
    assert!(
        world
            .exchanges_for("inquiryPayment", &prid)
            .await
            .iter()
            .all(|e| response(e)["paymentResult"]["resultStatus"] != "S"),
        "no inquiry said S"
    );
    assert_eq!(
        pos.acquirer.notification_count(&prid).unwrap(),
        0,
        "no notification said paid"
    );
}

#[tokio::test]
async fn skip_consult_checks_out_without_consult_payment() {
    for faults in [vec![], vec![Fault::SkipConsult]] {
        let world = World::new().await;
        let pos = world.pos(&faults).await;
        let (status, options) =
            post(&pos, "/shop/api/options", json!({"items": {"beans": 1}})).await;
        assert_eq!(status, 200, "{options}");
        let started = pos.driver.cashier(&cashier("3000")).await.unwrap();
        let consults = world.exchanges("consultPayment").await;
        let pays = world
            .exchanges_for("pay", &request_id(&pos, &started.pos_payment_id))
            .await;
        assert_eq!(pays.len(), 1, "the order is paid for either way");
        if faults.is_empty() {
            assert_eq!(options["consulted"]["asked"], true, "{options}");
            assert_eq!(
                consults.len(),
                2,
                "the page's consult (HKD 120.00) and the driver's (HKD 30.00): {consults:?}"
            );
        } else {
            assert_eq!(
                options["consulted"]["asked"], false,
                "the page shows no options: {options}"
            );
            assert!(consults.is_empty(), "skip-consult never asks: {consults:?}");
        }
    }
}

#[tokio::test]
async fn a_basket_the_shop_cannot_sell_is_refused() {
    let world = World::new().await;
    let pos = world.pos(&[]).await;
    for basket in [
        json!({"items": {}}),
        json!({"items": {"caviar": 1}}),
        json!({"items": {"beans": 500}}),
    ] {
        let (status, refused) = post(&pos, "/shop/api/checkout", basket.clone()).await;
        assert_eq!(status, 400, "{basket}: {refused}");
        assert_eq!(refused["error"]["code"], "BAD_REQUEST", "{refused}");
    }
    assert!(world.exchanges("pay").await.is_empty(), "nothing was sent");
    let (status, missing) = page(&pos, "/shop/return/pos_nope").await;
    assert_eq!(status, 404, "an order the shop does not know: {missing}");
    assert!(
        world.exchanges("inquiryPayment").await.is_empty(),
        "no inquiry for an order the shop does not know"
    );
}
