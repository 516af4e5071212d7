//! The known-answer vector in `spec/signature-vector.json` (the project's copy of the shared
//! spec's vector), reproduced byte for byte.

use std::path::PathBuf;

use linker_aplus::signature::{
    SignatureHeader, SignedContent, Signer, Verifier, content_to_sign, url_encode,
};
use linker_aplus::{PrivateKey, PublicKey};
use serde_json::Value;

fn vector_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../spec/signature-vector.json")
}

pub fn load_vector() -> Value {
    let path = vector_path();
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "the signature vector must exist at {} (spec/ at the repository's top): {e}",
            path.display()
        )
    });
    serde_json::from_str(&text).expect("signature-vector.json is JSON")
}

fn s<'a>(v: &'a Value, key: &str) -> &'a str {
    v[key]
        .as_str()
        .unwrap_or_else(|| panic!("vector field {key} must be a string"))
}

#[test]
fn request_and_response_reproduce_byte_for_byte() {
    let v = load_vector();
    let key = PrivateKey::from_base64_or_pem(s(&v, "privateKeyPkcs8Base64")).expect("vector key");
    let public =
        PublicKey::from_base64_or_pem(s(&v, "publicKeySpkiBase64")).expect("vector public key");
    assert_eq!(
        key.public_key().expect("derive public").to_base64(),
        s(&v, "publicKeySpkiBase64"),
        "the private key's public half exports as the vector's SPKI"
    );
    let req = &v["request"];
    let method = s(req, "httpMethod");
    let path = s(req, "path");
    let client_id = s(req, "clientId");
    let signer = Signer::new(client_id, key);
    let verifier = Verifier::new(public);

    for (name, msg, time) in [
        ("request", req, s(req, "requestTime")),
        (
            "response",
            &v["response"],
            s(&v["response"], "responseTime"),
        ),
    ] {
        let body = s(msg, "body");
        assert_eq!(
            content_to_sign(method, path, client_id, time, body),
            s(msg, "contentToSign"),
            "{name}: contentToSign"
        );
        let header = signer
            .sign(method, path, time, body.as_bytes())
            .expect("signing works");
        assert_eq!(
            header.signature,
            s(msg, "signatureBase64"),
            "{name}: signatureBase64"
        );
        if let Some(encoded) = msg["signatureUrlEncoded"].as_str() {
            assert_eq!(
                url_encode(&header.signature),
                encoded,
                "{name}: signatureUrlEncoded"
            );
            assert_eq!(
                header.encoded_signature(),
                encoded,
                "{name}: encoded_signature"
            );
        }
        assert_eq!(
            header.format(),
            s(msg, "signatureHeader"),
            "{name}: signatureHeader"
        );

        let content = SignedContent {
            method,
            path,
            client_id,
            time,
            body: body.as_bytes(),
        };
        verifier
            .verify_header(&content, s(msg, "signatureHeader"))
            .unwrap_or_else(|e| panic!("{name}: the vector's header verifies: {e}"));
        let parsed = SignatureHeader::parse(s(msg, "signatureHeader")).expect("parse");
        assert_eq!(parsed, header, "{name}: parse(format(h)) == h");

        let mut tampered = body.as_bytes().to_vec();
        let last = tampered.len() - 2;
        tampered[last] ^= 0x01;
        let tampered_content = SignedContent {
            body: &tampered,
            ..content
        };
        assert!(
            verifier
                .verify_header(&tampered_content, s(msg, "signatureHeader"))
                .is_err(),
            "{name}: a one-byte body change must fail verification"
        );
    }
}
