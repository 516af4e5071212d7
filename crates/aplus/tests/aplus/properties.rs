//! Properties: round trips, and no panics on any input.

use std::sync::OnceLock;

use linker_aplus::code::emvco::{CrcCheck, EmvcoDataObject, EmvcoPayload};
use linker_aplus::code::{DomainRegistry, classify};
use linker_aplus::message::PayRequest;
use linker_aplus::signature::{SignedContent, Signer, Verifier};
use linker_aplus::validate::parse_request;
use linker_aplus::{Amount, Currency, KeyPair, PrivateKey, SignatureHeader};
use proptest::prelude::*;

fn currency() -> impl Strategy<Value = Currency> {
    let all: Vec<Currency> = Currency::all().collect();
    proptest::sample::select(all)
}

proptest! {
    #[test]
    fn amount_display_and_wire_round_trip(c in currency(), v in 0u64..=i64::MAX as u64) {
        let a = Amount::new(c, v).expect("in range");
        let shown = a.to_string();
        prop_assert_eq!(shown.parse::<Amount>(), Ok(a), "display {}", shown);
        prop_assert_eq!(Amount::parse(c.code(), &a.wire_value()), Ok(a));
        let json = serde_json::to_string(&a).expect("json");
        prop_assert_eq!(serde_json::from_str::<Amount>(&json).expect("back"), a);
    }

    #[test]
    fn amount_sub_then_add_is_identity(c in currency(), a in 0u64..1_000_000_000, b in 0u64..1_000_000_000) {
        let (big, small) = (a.max(b), a.min(b));
        let big = Amount::new(c, big).expect("amount");
        let small = Amount::new(c, small).expect("amount");
        let diff = big.checked_sub(&small).expect("non-negative");
        prop_assert_eq!(diff.checked_add(&small), Ok(big));
    }

    #[test]
    fn header_format_parse_round_trip(bytes in proptest::collection::vec(any::<u8>(), 1..300), kv in 1u32..100) {
        let mut h = SignatureHeader::from_signature_bytes(&bytes);
        h.key_version = kv.to_string();
        prop_assert_eq!(SignatureHeader::parse(&h.format()), Ok(h.clone()));
        prop_assert_eq!(h.signature_bytes().expect("base64"), bytes);
    }

    #[test]
    fn header_parser_never_panics(s in "\\PC*") {
        let _ = SignatureHeader::parse(&s);
    }

    #[test]
    fn emvco_build_parse_round_trip(
        fields in proptest::collection::vec(("[0-9]{2}", "[A-Za-z0-9 .*-]{0,40}"), 0..8),
        nested in proptest::collection::vec("[A-Za-z0-9]{1,20}", 1..4),
    ) {
        let mut objects = vec![EmvcoDataObject::new("00", "01")];
        for (id, value) in fields {
            let n: u8 = id.parse().expect("digits");
            // Templates would re-parse their values; keep primitive ids for primitive values,
            // and never 63 (the builder owns the CRC).
            if (26..=51).contains(&n) || n == 62 || n == 64 || n >= 80 || n == 63 || n == 0 {
                continue;
            }
            objects.push(EmvcoDataObject::new(&id, &value));
        }
        let children = nested
            .iter()
            .enumerate()
            .map(|(i, v)| EmvcoDataObject::new(&format!("{:02}", i + 1), v))
            .collect();
        objects.push(EmvcoDataObject::template("62", children).expect("template"));
        let text = EmvcoPayload::build(&objects).expect("build");
        let parsed = EmvcoPayload::parse(&text).expect("parse");
        prop_assert_eq!(&parsed.crc, &CrcCheck::Valid);
        prop_assert_eq!(&parsed.objects[..parsed.objects.len() - 1], &objects[..]);
    }

    #[test]
    fn classifier_never_panics_on_strings(s in "\\PC*") {
        let c = classify(&s, &DomainRegistry::default());
        prop_assert!(!c.summary.is_empty());
    }

    #[test]
    fn classifier_never_panics_on_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
        let s = String::from_utf8_lossy(&bytes);
        let _ = classify(&s, &DomainRegistry::default());
        let _ = EmvcoPayload::parse_lenient(&format!("000201{s}"));
        let _ = classify(&format!("https://global.alipay.com/281002040093{s}"), &DomainRegistry::default());
        let _ = classify(&format!("https://x/MPM/3/{s}"), &DomainRegistry::default());
    }

    #[test]
    fn parse_request_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
        let _ = parse_request::<PayRequest>(&bytes);
    }

    #[test]
    fn parse_request_never_panics_on_json_like(s in "[{}\\[\\]\":,a-z0-9 ]{0,120}") {
        let _ = parse_request::<PayRequest>(s.as_bytes());
    }
}

fn test_key() -> &'static str {
    static KEY: OnceLock<String> = OnceLock::new();
    KEY.get_or_init(|| KeyPair::generate().expect("generate").private.to_base64())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(16))]

    #[test]
    fn sign_then_verify(body in "\\PC{0,200}", time in "[0-9]{13}", path in "/[a-z/]{0,30}") {
        let key = PrivateKey::from_base64_or_pem(test_key()).expect("key");
        let verifier = Verifier::new(key.public_key().expect("public"));
        let signer = Signer::new("CLIENT", key);
        let header = signer.sign("POST", &path, &time, body.as_bytes()).expect("sign");
        let content = SignedContent { method: "POST", path: &path, client_id: "CLIENT", time: &time, body: body.as_bytes() };
        prop_assert!(verifier.verify_header(&content, &header.format()).is_ok());
        let other = format!("{body}x");
        let changed = SignedContent { body: other.as_bytes(), ..content };
        prop_assert!(verifier.verify_header(&changed, &header.format()).is_err());
    }
}
