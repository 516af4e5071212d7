//! Code formats: what the wallet shows and what it scans.
//!
//! - [`payment_code`]: UPM payment codes (digits, shown as barcode and QR).
//! - [`order_code`]: order-code URLs (Alipay+ and ACQP private order codes).
//! - [`mpm`]: Alipay+ MPM standard codes, `HTTPS://<DOMAIN>/MPM/3/<base64 payload>`.
//! - [`emvco`]: EMVCo merchant-presented QR payloads (`000201...`, CRC-16 in tag 63).
//! - [`classify`]: deciding what a scanned code is, with an explanation for people.
//! - [`url`]: the small HTTP(S) URL reader these share.

pub mod classify;
pub mod emvco;
pub mod mpm;
pub mod order_code;
pub mod payment_code;
pub mod url;

pub use classify::{
    Classification, CodeKind, DomainRegistry, ExplanationLine, ScannedCode, classify,
};
pub use emvco::{CrcCheck, EmvcoDataObject, EmvcoError, EmvcoPayload};
pub use mpm::{MpmCode, MpmDataObject, MpmError};
pub use order_code::{OrderCode, OrderCodeError};
pub use payment_code::{PaymentCode, PaymentCodeError, PaymentCodeForm};
pub use url::{HttpUrl, UrlError};
