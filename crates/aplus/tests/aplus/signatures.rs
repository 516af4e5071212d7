//! Signing, verifying, Request-Time forms and diagnosing failed verifications.

use std::sync::OnceLock;

use linker_aplus::signature::{
    DiagnosisKind, SignedContent, Signer, Verifier, diagnose, diagnose_with_hosts, path_for_signing,
};
use linker_aplus::time::RequestTime;
use linker_aplus::{PrivateKey, PublicKey, SignatureError, SignatureHeader};

use super::vector::load_vector;

const PATH: &str = "/aps/api/v1/payments/pay";
const CLIENT: &str = "TEST_5X00000000000000";
const BODY: &str = r#"{"paymentRequestId":"p1","paymentAmount":{"currency":"JPY","value":"100"}}"#;

fn keys() -> &'static (String, PublicKey) {
    static KEYS: OnceLock<(String, PublicKey)> = OnceLock::new();
    KEYS.get_or_init(|| {
        let v = load_vector();
        let private = v["privateKeyPkcs8Base64"].as_str().expect("key").to_owned();
        let public = PublicKey::from_base64_or_pem(v["publicKeySpkiBase64"].as_str().expect("pub"))
            .expect("public key");
        (private, public)
    })
}

fn signer() -> Signer {
    Signer::new(
        CLIENT,
        PrivateKey::from_base64_or_pem(&keys().0).expect("private key"),
    )
}

fn content<'a>(path: &'a str, time: &'a str, body: &'a str) -> SignedContent<'a> {
    SignedContent {
        method: "POST",
        path,
        client_id: CLIENT,
        time,
        body: body.as_bytes(),
    }
}

#[test]
fn both_request_time_forms_sign_and_verify_as_sent() {
    let verifier = Verifier::new(keys().1.clone());
    for time in ["2019-05-28T12:12:12+08:00", "1559016732000"] {
        let header = signer()
            .sign("POST", PATH, time, BODY.as_bytes())
            .expect("sign");
        verifier
            .verify_header(&content(PATH, time, BODY), &header.format())
            .unwrap_or_else(|e| panic!("{time}: {e}"));
        assert!(RequestTime::parse(time).is_ok(), "{time} parses");
    }
    let iso = RequestTime::parse("2019-05-28T12:12:12+08:00").expect("iso");
    let ms = RequestTime::parse("1559016732000").expect("ms");
    assert_eq!(iso.instant, ms.instant, "same instant in both forms");
}

#[test]
fn verify_rejects_wrong_algorithm_and_garbage() {
    let verifier = Verifier::new(keys().1.clone());
    let header = signer()
        .sign("POST", PATH, "1", BODY.as_bytes())
        .expect("sign");
    let c = content(PATH, "1", BODY);
    let mut other = header.clone();
    other.algorithm = "RSA512".into();
    assert!(matches!(
        verifier.verify(&c, &other),
        Err(SignatureError::UnsupportedAlgorithm(_))
    ));
    assert!(matches!(
        verifier.verify_header(&c, "algorithm=RSA256,keyVersion=1,signature=%%%"),
        Err(SignatureError::NotBase64(_))
    ));
    assert!(matches!(
        verifier.verify_header(&c, "keyVersion=1"),
        Err(SignatureError::MalformedHeader(_))
    ));
}

#[test]
fn header_parse_tolerates_real_world_spellings() {
    let header = signer()
        .sign("POST", PATH, "1", BODY.as_bytes())
        .expect("sign");
    let encoded = header.encoded_signature();
    let variants = [
        format!("algorithm=RSA256, keyVersion=1, signature={encoded}"),
        format!("signature={encoded},keyVersion=1,algorithm=RSA256"),
        format!(
            "algorithm=RSA256,keyVersion=1,signature={}",
            header.signature
        ),
        format!("algorithm=RSA256,keyVersion=1,foo=bar,signature={encoded}"),
    ];
    let verifier = Verifier::new(keys().1.clone());
    for v in &variants[..2] {
        assert_eq!(SignatureHeader::parse(v).expect("parse"), header, "{v}");
    }
    // Lowercase percent-escapes decode to the same signature.
    let lower_escapes = format!(
        "algorithm=RSA256,keyVersion=1,signature={}",
        encoded
            .replace("%2B", "%2b")
            .replace("%2F", "%2f")
            .replace("%3D", "%3d")
    );
    assert_eq!(
        SignatureHeader::parse(&lower_escapes).expect("parse"),
        header
    );
    for v in [&variants[2], &variants[3], &lower_escapes] {
        verifier
            .verify_header(&content(PATH, "1", BODY), v)
            .unwrap_or_else(|e| panic!("{v}: {e}"));
    }
}

#[test]
fn full_url_request_target_signs_over_path() {
    assert_eq!(
        path_for_signing("http://127.0.0.1:8080/aps/api/v1/payments/pay"),
        PATH
    );
}

#[test]
fn diagnose_names_the_likely_mistake() {
    let public = &keys().1;
    let iso = "2019-05-28T12:12:12+08:00";
    let pretty = serde_json::to_string_pretty(
        &serde_json::from_str::<serde_json::Value>(BODY).expect("json"),
    )
    .expect("pretty");

    // Verified as given.
    let h = signer()
        .sign("POST", PATH, iso, BODY.as_bytes())
        .expect("sign")
        .format();
    let d = diagnose(public, &content(PATH, iso, BODY), &h);
    assert_eq!(d.kind, DiagnosisKind::Verified, "{d:?}");

    // Signed compact, sent pretty.
    let d = diagnose(public, &content(PATH, iso, &pretty), &h);
    assert_eq!(d.kind, DiagnosisKind::BodyWhitespace, "{d:?}");
    assert!(d.explanation.contains("compact"), "{}", d.explanation);

    // Signed with the host in the path.
    let full = format!("http://127.0.0.1:8080{PATH}");
    let h_full = signer()
        .sign("POST", &full, iso, BODY.as_bytes())
        .expect("sign")
        .format();
    let d = diagnose_with_hosts(
        public,
        &content(PATH, iso, BODY),
        &h_full,
        &["127.0.0.1:8080"],
    );
    assert_eq!(d.kind, DiagnosisKind::PathHost, "{d:?}");
    // ...and the reverse: the verifier was handed the full URL.
    let d = diagnose(public, &content(&full, iso, BODY), &h);
    assert_eq!(d.kind, DiagnosisKind::PathHost, "{d:?}");

    // Signed epoch ms, sent ISO (same instant).
    let h_ms = signer()
        .sign("POST", PATH, "1559016732000", BODY.as_bytes())
        .expect("sign")
        .format();
    let d = diagnose(public, &content(PATH, iso, BODY), &h_ms);
    assert_eq!(d.kind, DiagnosisKind::TimeFormat, "{d:?}");
    // Signed ISO in +08:00, sent epoch ms.
    let d = diagnose(public, &content(PATH, "1559016732000", BODY), &h);
    assert_eq!(d.kind, DiagnosisKind::TimeFormat, "{d:?}");

    // Double URL-encoded signature.
    let header = signer()
        .sign("POST", PATH, iso, BODY.as_bytes())
        .expect("sign");
    let double = format!(
        "algorithm=RSA256,keyVersion=1,signature={}",
        header.encoded_signature().replace('%', "%25")
    );
    let d = diagnose(public, &content(PATH, iso, BODY), &double);
    assert_eq!(d.kind, DiagnosisKind::SignatureEncoding, "{d:?}");
    // '+' turned into spaces.
    let spaced = format!(
        "algorithm=RSA256,keyVersion=1,signature={}",
        header.signature.replace('+', " ")
    );
    if header.signature.contains('+') {
        let d = diagnose(public, &content(PATH, iso, BODY), &spaced);
        assert_eq!(d.kind, DiagnosisKind::SignatureEncoding, "{d:?}");
    }

    // Another key signed it.
    let other = linker_aplus::KeyPair::generate().expect("generate");
    let h_other = Signer::new(CLIENT, other.private)
        .sign("POST", PATH, iso, BODY.as_bytes())
        .expect("sign")
        .format();
    let d = diagnose(public, &content(PATH, iso, BODY), &h_other);
    assert_eq!(d.kind, DiagnosisKind::WrongKeyOrContent, "{d:?}");
    assert!(
        d.explanation.contains("different private key"),
        "{}",
        d.explanation
    );

    // Unreadable header.
    let d = diagnose(public, &content(PATH, iso, BODY), "nonsense");
    assert_eq!(d.kind, DiagnosisKind::MalformedHeader, "{d:?}");
}
