//! Code formats and the classifier, end to end.

use linker_aplus::code::emvco::{CrcCheck, EmvcoDataObject, EmvcoPayload};
use linker_aplus::code::{
    CodeKind, DomainRegistry, MpmCode, MpmDataObject, OrderCode, PaymentCode, ScannedCode, classify,
};

/// The example payload of the EMVCo merchant-presented QR specification (with Chinese text in
/// the language template; lengths count characters, the CRC covers UTF-8 bytes).
const EMVCO_SPEC_EXAMPLE: &str = "00020101021229300012D156000000000510A93FO3230Q31280012D15600000001030812345678520441115802CN5914BEST TRANSPORT6007BEIJING64200002ZH0104最佳运输0202北京540523.7253031565502016233030412340603***0708A60086670902ME91320016A0112233449988770708123456786304A13A";

fn hub_registry() -> DomainRegistry {
    DomainRegistry {
        alipay_domains: vec!["127.0.0.1:7070".into()],
        private_order_code_domains: vec!["pay.acqp.example".into()],
        entry_code_domains: vec!["shop.acqp.example".into(), "127.0.0.1:9000".into()],
    }
}

#[test]
fn emvco_spec_example_parses_with_valid_crc() {
    let payload = EmvcoPayload::parse(EMVCO_SPEC_EXAMPLE).expect("the spec's example is valid");
    assert_eq!(payload.crc, CrcCheck::Valid);
    assert_eq!(payload.get("59").expect("59").value, "BEST TRANSPORT");
    let lang = payload.get("64").expect("64");
    assert_eq!(
        lang.children[1].value, "最佳运输",
        "nested alternate-language name"
    );
    assert_eq!(lang.children[1].name, "Merchant Name - Alternate Language");
    let c = classify(EMVCO_SPEC_EXAMPLE, &DomainRegistry::default());
    assert_eq!(c.kind(), CodeKind::EmvcoCode, "{}", c.summary);
    let currency = c
        .lines
        .iter()
        .find(|l| l.label.starts_with("53"))
        .expect("currency line");
    assert!(currency.explanation.contains("CNY"), "{currency:?}");
}

#[test]
fn emvco_with_bad_crc_is_shown_with_a_warning() {
    let damaged = EMVCO_SPEC_EXAMPLE.replace("6304A13A", "63040000");
    let c = classify(&damaged, &DomainRegistry::default());
    assert_eq!(c.kind(), CodeKind::EmvcoCode);
    assert!(c.summary.contains("CRC"), "{}", c.summary);
    let crc = c
        .lines
        .iter()
        .find(|l| l.label == "CRC check")
        .expect("CRC line");
    assert!(crc.explanation.contains("A13A"), "{crc:?}");
}

#[test]
fn classifier_explains_each_kind() {
    let r = hub_registry();
    let code = PaymentCode::test_wallet(7);
    let c = classify(&code.digits, &r);
    assert_eq!(c.kind(), CodeKind::PaymentCode);
    assert!(
        c.summary.contains("not something a wallet scans"),
        "{}",
        c.summary
    );

    let order = OrderCode::build("127.0.0.1:7070", "002", "0093", "LFH2t2mq1jjJ8zSetyv31VU")
        .expect("build");
    let c = classify(&order.url, &r);
    assert_eq!(
        c.kind(),
        CodeKind::AlipayOrderCode,
        "hub host is an Alipay+ domain"
    );
    assert!(
        c.lines
            .iter()
            .any(|l| l.label == "Acquirer" && l.value == "002"),
        "{:?}",
        c.lines
    );

    let private = OrderCode::build("pay.acqp.example", "002", "0093", "x1").expect("build");
    let c = classify(&private.url, &r);
    assert_eq!(c.kind(), CodeKind::PrivateOrderCode);
    assert!(c.summary.contains("userInitiatedPay"), "{}", c.summary);

    let c = classify("http://127.0.0.1:9000/entry?store=S01", &r);
    assert_eq!(
        c.kind(),
        CodeKind::EntryCode,
        "HTTP on loopback is accepted: {}",
        c.summary
    );
    let ScannedCode::EntryCode(url) = &c.code else {
        panic!("entry code detail")
    };
    assert_eq!(url.path, "/entry");

    let mpm = MpmCode::build(
        "qr.alipayplus.example",
        &[MpmDataObject {
            id: "MRNM".into(),
            value: "Linker Cafe".into(),
        }],
    )
    .expect("build");
    let c = classify(&mpm, &r);
    assert_eq!(c.kind(), CodeKind::MpmCode);
    assert!(
        c.lines.iter().any(|l| l.value == "Linker Cafe"),
        "{:?}",
        c.lines
    );

    let c = classify("https://evil.example/2810020400931abc", &r);
    assert_eq!(c.kind(), CodeKind::NotAlipayPlus);
    assert!(
        c.lines
            .iter()
            .any(|l| l.explanation.contains("looks like an order code")),
        "a near miss says why: {:?}",
        c.lines
    );
    let c = classify("1234", &r);
    assert_eq!(c.kind(), CodeKind::NotAlipayPlus);
    assert!(
        c.lines.iter().any(|l| l.explanation.contains("17 to 32")),
        "{:?}",
        c.lines
    );
}

#[test]
fn classification_json_is_stable() {
    let c = classify(
        "https://global.alipay.com/2810020400931LFH2t2mq1jjJ8zSetyv31VU",
        &DomainRegistry::default(),
    );
    let json = serde_json::to_value(&c).expect("json");
    assert_eq!(json["kind"], "alipayOrderCode", "{json}");
    assert_eq!(json["detail"]["acquirerDigits"], "002", "{json}");
    assert!(json["lines"][0]["label"].is_string(), "{json}");
    assert!(json["summary"].is_string(), "{json}");
}

#[test]
fn emvco_builder_output_classifies() {
    let text = EmvcoPayload::build(&[
        EmvcoDataObject::new("00", "01"),
        EmvcoDataObject::new("01", "11"),
        EmvcoDataObject::new("53", "392"),
        EmvcoDataObject::new("58", "JP"),
        EmvcoDataObject::new("59", "LINKER"),
    ])
    .expect("build");
    let c = classify(&text, &DomainRegistry::default());
    assert_eq!(c.kind(), CodeKind::EmvcoCode);
    assert!(
        c.lines.iter().any(|l| l.explanation.contains("static")),
        "point of initiation explained: {:?}",
        c.lines
    );
}
