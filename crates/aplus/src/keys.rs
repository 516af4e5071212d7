//! RSA keys as Alipay+ exchanges them: private keys as base64 PKCS#8 DER, public keys as base64
//! X.509 SubjectPublicKeyInfo DER; PEM accepted for both.

use std::fmt;

use aws_lc_rs::encoding::AsDer;
use aws_lc_rs::rsa::{self, KeySize};
use aws_lc_rs::signature::{self as lc_signature, KeyPair as _};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

/// Why a key could not be loaded, generated or used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyError {
    /// The text is not base64 (or PEM around base64).
    #[error("key is not valid base64: {0}")]
    Base64(String),
    /// The DER is not a key of the expected kind.
    #[error("not an RSA {expected} key: {reason}")]
    Rejected {
        /// `PKCS#8 private` or `SubjectPublicKeyInfo public`.
        expected: &'static str,
        /// The library's reason.
        reason: String,
    },
    /// Key generation or export failed inside the crypto library.
    #[error("key operation failed: {0}")]
    Crypto(&'static str),
}

/// Reads base64 DER, or PEM (`-----BEGIN ...-----` lines are dropped), ignoring whitespace.
fn decode_key_text(text: &str) -> Result<Vec<u8>, KeyError> {
    let body: String = text
        .lines()
        .filter(|line| !line.trim_start().starts_with("-----"))
        .flat_map(|line| line.chars())
        .filter(|c| !c.is_whitespace())
        .collect();
    STANDARD
        .decode(body.as_bytes())
        .map_err(|e| KeyError::Base64(e.to_string()))
}

/// An RSA private key for signing (PKCS#1 v1.5, SHA-256).
pub struct PrivateKey {
    pair: rsa::KeyPair,
    pkcs8: Vec<u8>,
}

impl fmt::Debug for PrivateKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PrivateKey").finish_non_exhaustive()
    }
}

impl PrivateKey {
    /// Loads a PKCS#8 DER private key.
    pub fn from_pkcs8_der(der: &[u8]) -> Result<PrivateKey, KeyError> {
        let pair = rsa::KeyPair::from_pkcs8(der).map_err(|e| KeyError::Rejected {
            expected: "PKCS#8 private",
            reason: e.to_string(),
        })?;
        Ok(PrivateKey {
            pair,
            pkcs8: der.to_vec(),
        })
    }

    /// Loads base64 PKCS#8 DER, or PEM.
    pub fn from_base64_or_pem(text: &str) -> Result<PrivateKey, KeyError> {
        PrivateKey::from_pkcs8_der(&decode_key_text(text)?)
    }

    /// The key as base64 PKCS#8 DER, the form Alipay+ tools exchange.
    pub fn to_base64(&self) -> String {
        STANDARD.encode(&self.pkcs8)
    }

    /// The key as PEM (`-----BEGIN PRIVATE KEY-----`).
    pub fn to_pem(&self) -> String {
        to_pem("PRIVATE KEY", &self.to_base64())
    }

    /// The matching public key.
    pub fn public_key(&self) -> Result<PublicKey, KeyError> {
        let der = self
            .pair
            .public_key()
            .as_der()
            .map_err(|_| KeyError::Crypto("exporting the public key"))?;
        PublicKey::from_spki_der(der.as_ref())
    }

    /// Signs `message` with RSASSA-PKCS1-v1_5 SHA-256; returns the raw signature bytes.
    pub fn sign(&self, message: &[u8]) -> Result<Vec<u8>, KeyError> {
        let mut signature = vec![0u8; self.pair.public_modulus_len()];
        let rng = aws_lc_rs::rand::SystemRandom::new();
        self.pair
            .sign(
                &lc_signature::RSA_PKCS1_SHA256,
                &rng,
                message,
                &mut signature,
            )
            .map_err(|_| KeyError::Crypto("signing"))?;
        Ok(signature)
    }
}

/// An RSA public key for verifying signatures (2048 to 8192 bits).
#[derive(Clone, PartialEq, Eq)]
pub struct PublicKey {
    spki: Vec<u8>,
}

impl fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PublicKey({})", self.to_base64())
    }
}

impl PublicKey {
    /// Loads an X.509 SubjectPublicKeyInfo DER public key.
    pub fn from_spki_der(der: &[u8]) -> Result<PublicKey, KeyError> {
        let parsed = rsa::PublicKey::from_der(der).map_err(|e| KeyError::Rejected {
            expected: "SubjectPublicKeyInfo public",
            reason: e.to_string(),
        })?;
        // Normalise to SPKI whichever of the two encodings came in.
        let spki = parsed
            .as_der()
            .map_err(|_| KeyError::Crypto("encoding the public key"))?;
        Ok(PublicKey {
            spki: spki.as_ref().to_vec(),
        })
    }

    /// Loads base64 SPKI DER, or PEM.
    pub fn from_base64_or_pem(text: &str) -> Result<PublicKey, KeyError> {
        PublicKey::from_spki_der(&decode_key_text(text)?)
    }

    /// The key as base64 SPKI DER.
    pub fn to_base64(&self) -> String {
        STANDARD.encode(&self.spki)
    }

    /// The key as PEM (`-----BEGIN PUBLIC KEY-----`).
    pub fn to_pem(&self) -> String {
        to_pem("PUBLIC KEY", &self.to_base64())
    }

    /// The SPKI DER bytes.
    pub fn spki_der(&self) -> &[u8] {
        &self.spki
    }

    /// The key's fingerprint: the SHA-256 of its SPKI DER, lowercase hex (64 digits).
    pub fn fingerprint(&self) -> String {
        aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, &self.spki)
            .as_ref()
            .iter()
            .map(|byte| format!("{byte:02x}"))
            .collect()
    }

    /// True when `signature` is a valid RSASSA-PKCS1-v1_5 SHA-256 signature of `message`.
    pub fn verify(&self, message: &[u8], signature: &[u8]) -> bool {
        lc_signature::UnparsedPublicKey::new(&lc_signature::RSA_PKCS1_2048_8192_SHA256, &self.spki)
            .verify(message, signature)
            .is_ok()
    }
}

/// A freshly generated RSA-2048 key pair.
#[derive(Debug)]
pub struct KeyPair {
    /// The private key.
    pub private: PrivateKey,
    /// The public key.
    pub public: PublicKey,
}

impl KeyPair {
    /// Generates an RSA-2048 key pair (about 50 ms in release).
    pub fn generate() -> Result<KeyPair, KeyError> {
        let pair = rsa::KeyPair::generate(KeySize::Rsa2048)
            .map_err(|_| KeyError::Crypto("generating an RSA-2048 key"))?;
        let pkcs8 = pair
            .as_der()
            .map_err(|_| KeyError::Crypto("exporting the private key"))?;
        let private = PrivateKey::from_pkcs8_der(pkcs8.as_ref())?;
        let public = private.public_key()?;
        Ok(KeyPair { private, public })
    }
}

/// Wraps base64 DER as PEM with the given label (e.g. `PRIVATE KEY`, `PUBLIC KEY`).
pub fn to_pem(label: &str, base64_der: &str) -> String {
    let mut pem = format!("-----BEGIN {label}-----\n");
    for chunk in base64_der.as_bytes().chunks(64) {
        pem.push_str(&String::from_utf8_lossy(chunk));
        pem.push('\n');
    }
    pem.push_str(&format!("-----END {label}-----\n"));
    pem
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_pair_exports_and_reloads() {
        let pair = KeyPair::generate().unwrap();
        let private = PrivateKey::from_base64_or_pem(&pair.private.to_pem()).unwrap();
        assert_eq!(
            private.to_base64(),
            pair.private.to_base64(),
            "PEM round trip"
        );
        let public =
            PublicKey::from_base64_or_pem(&to_pem("PUBLIC KEY", &pair.public.to_base64())).unwrap();
        assert_eq!(public, pair.public, "PEM and base64 load the same key");
        let sig = private.sign(b"hello").unwrap();
        assert_eq!(sig.len(), 256, "RSA-2048 signature is 256 bytes");
        assert!(public.verify(b"hello", &sig));
        assert!(!public.verify(b"hellp", &sig), "changed message must fail");
    }

    #[test]
    fn rejects_garbage_keys() {
        assert!(matches!(
            PrivateKey::from_base64_or_pem("not base64!"),
            Err(KeyError::Base64(_))
        ));
        assert!(matches!(
            PublicKey::from_base64_or_pem("AAAA"),
            Err(KeyError::Rejected { .. })
        ));
    }
}
