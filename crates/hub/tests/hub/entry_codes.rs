//! Entry codes: the wallet scans the merchant's static code, opens its page (the ACQP's), the
//! page's backend calls pay (EntryCode), the wallet opens the returned paymentUrl and pays.

use chrono::Duration;
use linker_hub::Clock;
use serde_json::{Value, json};

use crate::support::Wallet;
use crate::support::summary;
use crate::support::{Ack, NotifyEndpoint};
use crate::support::{PAY, TestHub};

fn entry_pay(id: &str, user_agent: &str, with_store: bool) -> Value {
    let mut body = json!({
        "productCode": "IN_STORE_PAYMENT",
        "paymentRequestId": id,
        "order": {
            "referenceOrderId": format!("order-{id}"),
            "orderDescription": "Flowers",
            "orderAmount": {"currency": "HKD", "value": "15000"},
            "merchant": {
                "referenceMerchantId": "M0001", "merchantMCC": "5992", "merchantName": "Flower Stall",
                "store": {"referenceStoreId": "S01", "storeName": "Market", "storeMCC": "5992"}
            },
            "env": {"userAgent": user_agent}
        },
        "paymentAmount": {"currency": "HKD", "value": "15000"},
        "paymentMethod": {"paymentMethodType": "CONNECT_WALLET"},
        "paymentFactor": {"isInStorePayment": "true", "inStorePaymentScenario": "EntryCode"}
    });
    if !with_store {
        body["order"]["merchant"]
            .as_object_mut()
            .unwrap()
            .remove("store");
    }
    body
}

#[tokio::test]
async fn mec_01_an_entry_page_payment_joins_the_run_and_passes_when_notified() {
    let hub = TestHub::new();
    let acqp = hub.acqp().await;
    let endpoint = NotifyEndpoint::start(&acqp, Ack::Signed).await;
    hub.admin(
        "PATCH",
        &format!("/projects/{}", acqp.project.id),
        Some(json!({"notifyUrl": endpoint.url, "entryCodeDomains": ["shop.acqp.example"]})),
    )
    .await;
    let wallet = Wallet::sign_in(&hub, &acqp, "M1").await;
    let run = wallet.start(&hub, "MEC-01").await;

    let (_, scanned) = wallet
        .send(
            &hub,
            "POST",
            &format!("/runs/{run}/scan"),
            Some(json!({"codeValue": "https://shop.acqp.example/pay/stall-7"})),
        )
        .await;
    assert_eq!(scanned["next"], "openPage", "{scanned}");
    assert!(
        scanned["message"]
            .as_str()
            .unwrap()
            .contains("AlipayConnect"),
        "{scanned}"
    );

    // The page's backend recognised the wallet and calls pay.
    let ua = linker_hub::domain::scanning::WALLET_USER_AGENT;
    let reply = acqp.call(&hub, PAY, &entry_pay("mec-1", ua, true)).await;
    assert_eq!(reply.code(), "PAYMENT_IN_PROCESS", "{}", reply.raw);
    let url = reply.body["paymentUrl"].as_str().unwrap().to_owned();

    let (_, opened) = wallet
        .send(
            &hub,
            "POST",
            &format!("/runs/{run}/open-url"),
            Some(json!({"url": url})),
        )
        .await;
    assert_eq!(opened["next"], "confirm", "{opened}");
    assert_eq!(opened["payment"]["amountText"], "HKD 150.00");
    wallet
        .send(&hub, "POST", &format!("/runs/{run}/confirm"), None)
        .await;
    hub.hub.deliver_due().await.unwrap();
    assert_eq!(endpoint.count(), 1);
    let view = wallet
        .answer(&hub, &run, "w1", "merchant-records-payment", true)
        .await;
    assert_eq!(view["status"], "passed", "{}", summary(&view));
}

#[tokio::test]
async fn mec_01_fails_a_pay_without_the_store() {
    let hub = TestHub::new();
    let acqp = hub.acqp().await;
    hub.admin(
        "PATCH",
        &format!("/projects/{}", acqp.project.id),
        Some(json!({"entryCodeDomains": ["shop.acqp.example"]})),
    )
    .await;
    let wallet = Wallet::sign_in(&hub, &acqp, "M1").await;
    let run = wallet.start(&hub, "MEC-01").await;
    wallet
        .send(
            &hub,
            "POST",
            &format!("/runs/{run}/scan"),
            Some(json!({"codeValue": "https://shop.acqp.example/pay/stall-7"})),
        )
        .await;
    let reply = acqp
        .call(
            &hub,
            PAY,
            &entry_pay(
                "mec-2",
                linker_hub::domain::scanning::WALLET_USER_AGENT,
                false,
            ),
        )
        .await;
    assert_eq!(reply.code(), "PARAM_ILLEGAL", "{}", reply.raw);
    wallet
        .answer(&hub, &run, "w1", "merchant-records-payment", true)
        .await;
    hub.clock.advance(Duration::seconds(301));
    let view = wallet.run(&hub, &run).await;
    assert_eq!(view["status"], "failed", "{view}");
    assert!(
        view.to_string().contains("order.merchant.store"),
        "the evidence names the field: {}",
        summary(&view)
    );
}

#[tokio::test]
async fn an_entry_code_pay_joins_the_run_of_the_merchant_it_names_never_another_merchants() {
    let hub = TestHub::new();
    let acqp = hub.acqp().await;
    hub.admin(
        "PATCH",
        &format!("/projects/{}", acqp.project.id),
        Some(json!({"entryCodeDomains": ["shop.acqp.example"]})),
    )
    .await;
    let a = Wallet::sign_in(&hub, &acqp, "MA").await;
    let b = Wallet::sign_in(&hub, &acqp, "MB").await;
    let run_b = b.start(&hub, "MEC-01").await;
    let run_a = a.start(&hub, "MEC-01").await;
    // Both wallets open entry pages; A's last, so "the latest open entry run" would be A's.
    for (wallet, run, page) in [(&b, &run_b, "stall-b"), (&a, &run_a, "stall-a")] {
        wallet
            .send(
                &hub,
                "POST",
                &format!("/runs/{run}/scan"),
                Some(json!({"codeValue": format!("https://shop.acqp.example/pay/{page}")})),
            )
            .await;
    }
    let ua = linker_hub::domain::scanning::WALLET_USER_AGENT;
    let mut body = entry_pay("mec-b", ua, true);
    body["order"]["merchant"]["referenceMerchantId"] = json!("MB");
    let reply = acqp.call(&hub, PAY, &body).await;
    assert_eq!(reply.code(), "PAYMENT_IN_PROCESS", "{}", reply.raw);

    let apis = |view: &Value| -> Vec<String> {
        view["events"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|e| e["api"].as_str().map(str::to_owned))
            .collect()
    };
    assert_eq!(
        apis(&b.run(&hub, &run_b).await),
        ["pay"],
        "merchant B's pay is in B's run"
    );
    assert!(
        apis(&a.run(&hub, &run_a).await).is_empty(),
        "and not in A's, though A opened its page last"
    );
}
