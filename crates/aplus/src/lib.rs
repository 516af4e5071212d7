//! linker-aplus: the Alipay+ wire protocol, with no I/O.
//!
//! What travels between an acquirer (ACQP), the Alipay+ hub and a wallet, as plain data and pure
//! functions, so the hub, the wallet, the reference acquirer and the command line all share one
//! definition of the protocol:
//!
//! - [`amount`]: amounts in ISO 4217 minor units ([`Amount`], [`Currency`]).
//! - [`result`]: result codes and the `result` object of every answer ([`ResultCode`], [`ApiResult`]).
//! - [`wire`]: the "every value is a string" convention ([`wire::WireBool`]).
//! - [`message`]: serde types for every request, response and callback.
//! - [`validate`]: parsing request bodies and checking them, with errors that name the field.
//! - [`keys`] and [`signature`]: RSA keys, content to sign, the `Signature` header, signing,
//!   verifying and diagnosing a failed verification.
//! - [`time`]: `Request-Time` / `Response-Time` in both forms seen in the wild, and Beijing time
//!   (UTC+8), the offset Alipay+ writes its times in.
//! - [`test_wallet`]: the name and `pspId` of `TEST_WALLET`, the wallet Linker plays by default.
//! - [`wallets`]: every wallet Linker can play (pspId, brand, currency, products, and Linker's own
//!   routing numbers and customer-id prefixes).
//! - [`fx`]: Linker's fixed test exchange rates and the quotes made from them.
//! - [`callback_url`]: the URLs the hub calls back, read by the parser its HTTP client dials with.
//! - [`code`]: payment codes, order codes, Alipay+ MPM and EMVCo payloads, and deciding what a
//!   scanned code is.
//!
//! An HTTP handler on the hub reads, verifies and validates a request like this:
//!
//! ```
//! use linker_aplus::message::{PayRequest, PayResponse};
//! use linker_aplus::signature::{SignedContent, Verifier, path_for_signing};
//! use linker_aplus::validate::{Validate, parse_request};
//! use linker_aplus::{ApiResult, KeyPair, ResultCode, Signer};
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let acqp = KeyPair::generate()?;
//! let body = br#"{"paymentRequestId":"p1"}"#;
//! let header = Signer::new("CLIENT", acqp.private).sign("POST", "/aps/api/v1/payments/pay", "1559016732000", body)?;
//!
//! // In the handler: method, request target, headers and body bytes as received.
//! let content = SignedContent {
//!     method: "POST",
//!     path: path_for_signing("http://127.0.0.1:7070/aps/api/v1/payments/pay"),
//!     client_id: "CLIENT",
//!     time: "1559016732000",
//!     body,
//! };
//! let answer = match Verifier::new(acqp.public).verify_header(&content, &header.format()) {
//!     Err(e) => ApiResult::failure(ResultCode::InvalidSignature, e.to_string()),
//!     Ok(()) => match parse_request::<PayRequest>(body).and_then(|p| p.validate().map(|()| p)) {
//!         Err(e) => e.to_api_result(), // F PARAM_ILLEGAL "productCode: missing"
//!         Ok(_pay) => ApiResult::success(),
//!     },
//! };
//! assert_eq!(answer.result_message, "productCode: missing");
//! let _response = PayResponse::from_result(answer);
//! # Ok(())
//! # }
//! ```
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used))]

pub mod amount;
pub mod callback_url;
pub mod code;
pub mod fx;
pub mod keys;
pub mod message;
pub mod result;
pub mod signature;
pub mod test_wallet;
pub mod time;
pub mod validate;
pub mod wallets;
pub mod wire;

pub use amount::{Amount, AmountError, Currency};
pub use keys::{KeyError, KeyPair, PrivateKey, PublicKey};
pub use result::{ApiResult, ResultCode, ResultStatus};
pub use signature::{SignatureError, SignatureHeader, SignedContent, Signer, Verifier};
pub use validate::{Validate, ValidationError, parse_request};
