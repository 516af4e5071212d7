//! `code inspect` from text and from a picture.

use predicates::prelude::*;

use crate::linker;

#[test]
fn a_payment_code_is_named_as_such() {
    linker()
        .args(["code", "inspect", "281999123456789012345678"])
        .assert()
        .success()
        .stdout(predicate::str::contains("payment code"));
}

#[test]
fn an_order_code_on_a_registered_private_domain_is_a_private_order_code() {
    let output = linker()
        .args([
            "code",
            "inspect",
            "--json",
            "--private-domain",
            "pay.acqp.example",
        ])
        .arg("https://pay.acqp.example/281002040093ABCdef123")
        .output()
        .unwrap();
    assert!(output.status.success(), "{output:?}");
    let answer: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(answer[0]["kind"], "privateOrderCode", "{answer}");
}

#[test]
fn text_that_is_no_alipay_code_says_what_was_read() {
    linker()
        .args(["code", "inspect", "hello world"])
        .assert()
        .success()
        .stdout(predicate::str::contains("hello world"));
}

#[test]
fn codes_are_read_from_a_picture() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("code.png");
    let qr = linker_scan::text_qr(
        "https://global.alipay.com/281002040093LFH2t2mq1jjJ8zSetyv31VU",
        &linker_scan::QrOptions::default(),
    )
    .unwrap();
    std::fs::write(&path, qr.to_png().unwrap()).unwrap();
    let output = linker()
        .args(["code", "inspect", "--json", "--image"])
        .arg(&path)
        .output()
        .unwrap();
    assert!(output.status.success(), "{output:?}");
    let answer: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(answer[0]["kind"], "alipayOrderCode", "{answer}");
}

#[test]
fn a_picture_that_is_not_an_image_is_exit_code_2() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("not.png");
    std::fs::write(&path, "plain text").unwrap();
    let output = linker()
        .args(["code", "inspect", "--image"])
        .arg(&path)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2), "{output:?}");
}
