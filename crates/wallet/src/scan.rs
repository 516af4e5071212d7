//! Scanning: from text, an image file, image bytes or a raw camera frame. The image is decoded
//! by linker-scan, the text classified by linker-aplus, and, in a run, resolved by the hub
//! (`/runs/{run}/scan`; `/open-url` for the payment page an entry code or a checkout leads to).
//!
//! A payment code is refused with [`WalletError::PaymentCodeScanned`] (a wallet shows one, a POS
//! scans it); a text that is no Alipay+ code with [`WalletError::NotAlipayCode`], saying what
//! was read. An order code the hub knows answers what the confirmation page shows.

use std::path::Path;

use linker_aplus::Amount;
use linker_aplus::code::classify::{Classification, CodeKind, DomainRegistry, classify};
use reqwest::Method;
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::client::Body;
use crate::runs::path_part;
use crate::{Wallet, WalletError};

/// What to scan.
#[derive(Debug, Clone, Copy)]
pub enum ScanInput<'a> {
    /// Text already read (typed, pasted, or from the platform's own scanner).
    Text(&'a str),
    /// A PNG or JPEG file.
    ImageFile(&'a Path),
    /// PNG or JPEG bytes.
    ImageBytes(&'a [u8]),
    /// A raw RGBA camera frame (4 bytes a pixel, row-major, no padding).
    RgbaFrame {
        /// Width in pixels.
        width: u32,
        /// Height in pixels.
        height: u32,
        /// The pixels.
        pixels: &'a [u8],
    },
    /// A raw 8-bit greyscale frame (1 byte a pixel, row-major, no padding).
    LumaFrame {
        /// Width in pixels.
        width: u32,
        /// Height in pixels.
        height: u32,
        /// The pixels.
        pixels: &'a [u8],
    },
}

/// What kind of code was scanned.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum ScanKind {
    /// A UPM payment code.
    PaymentCode,
    /// An Alipay+ order code.
    AlipayOrderCode,
    /// An ACQP's private order code.
    PrivateOrderCode,
    /// An ACQP's entry code.
    EntryCode,
    /// An Alipay+ MPM standard code.
    MpmCode,
    /// An EMVCo merchant QR.
    EmvcoCode,
    /// A payment page URL (entry-code redirect, cashier checkout).
    PaymentPage,
    /// An Auto Debit authorization page (`authUrl` from the ACQP's `prepare`).
    AuthorizationPage,
    /// Not an Alipay+ code.
    NotAlipayPlus,
}

impl ScanKind {
    fn from_code_kind(kind: CodeKind) -> ScanKind {
        match kind {
            CodeKind::PaymentCode => ScanKind::PaymentCode,
            CodeKind::AlipayOrderCode => ScanKind::AlipayOrderCode,
            CodeKind::PrivateOrderCode => ScanKind::PrivateOrderCode,
            CodeKind::EntryCode => ScanKind::EntryCode,
            CodeKind::MpmCode => ScanKind::MpmCode,
            CodeKind::EmvcoCode => ScanKind::EmvcoCode,
            CodeKind::NotAlipayPlus => ScanKind::NotAlipayPlus,
        }
    }

    fn from_name(name: &str) -> ScanKind {
        match name {
            "paymentCode" => ScanKind::PaymentCode,
            "alipayOrderCode" => ScanKind::AlipayOrderCode,
            "privateOrderCode" => ScanKind::PrivateOrderCode,
            "entryCode" => ScanKind::EntryCode,
            "mpmCode" => ScanKind::MpmCode,
            "emvcoCode" => ScanKind::EmvcoCode,
            _ => ScanKind::NotAlipayPlus,
        }
    }
}

/// One field of a code: its label, value and meaning.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ScanLine {
    /// The field, e.g. `Merchant Name`.
    pub label: String,
    /// Its value.
    pub value: String,
    /// What it means.
    #[serde(default)]
    pub explanation: String,
}

/// What the app does next.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase", tag = "action")]
pub enum ScanNext {
    /// Show the payment confirmation (merchant, amount, exchange rate): Pay Now / Cancel.
    Confirm,
    /// The code has expired: ask the cashier for a new one.
    Expired,
    /// Open the merchant's page in the web view with this User-Agent; when it leads to a
    /// payment page, pass that URL to [`Wallet::open_payment_url`].
    OpenPage {
        /// The page.
        url: String,
        /// The web view's User-Agent (contains `AlipayConnect`).
        user_agent: String,
    },
    /// Nothing to pay: show the code's fields (MPM standard code, EMVCo QR).
    ShowFields,
    /// An Auto Debit authorization: show who asks and for what (`inspect_authorization`), then
    /// Authorize or Decline.
    Authorize {
        /// The authorization URL.
        url: String,
    },
    /// The hub does not know the code (or its order is no longer open): say so.
    UnknownCode,
}

/// An exchange rate between the order's currency and the customer's: the hub's quote for the
/// payment (the same one it gives the ACQP as `paymentQuote` and `customerPayAmount`), at
/// Linker's fixed test rates.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ExchangeRate {
    /// The order's currency.
    pub from: String,
    /// The customer's currency.
    pub to: String,
    /// Units of `to` per unit of `from`, as text.
    pub rate: String,
    /// What the customer pays, for people, when given (labelled as a Linker test rate).
    #[serde(default)]
    pub converted: Option<String>,
    /// What the customer pays, in their currency.
    #[serde(default)]
    pub customer_amount: Option<Amount>,
    /// The hub's quote id (`paymentQuote.quoteId` in its answers to the ACQP).
    #[serde(default)]
    pub quote_id: Option<String>,
}

/// What the payment confirmation page shows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PaymentConfirmation {
    /// The hub's payment id.
    pub payment_id: String,
    /// The merchant's name, as the ACQP sent it.
    #[serde(default)]
    pub merchant_name: Option<String>,
    /// What is being bought.
    #[serde(default)]
    pub order_description: Option<String>,
    /// The amount.
    pub amount: Amount,
    /// The amount for people, e.g. `HKD 42.00`.
    pub amount_text: String,
    /// The exchange rate, when the customer's currency differs from the order's.
    #[serde(default)]
    pub exchange_rate: Option<ExchangeRate>,
    /// The ACQP's `productCode`, e.g. `CASHIER_PAYMENT`.
    #[serde(default)]
    pub product_code: Option<String>,
    /// Where Done (or leaving) returns the customer: a cashier payment's `paymentRedirectUrl`.
    #[serde(default)]
    pub redirect_url: Option<String>,
}

impl PaymentConfirmation {
    /// The question the page asks, e.g. `Pay HKD 42.00 to Linker Cafe?`.
    pub fn question(&self) -> String {
        format!(
            "Pay {} to {}?",
            self.amount_text,
            self.merchant_name.as_deref().unwrap_or("the merchant")
        )
    }
}

/// The result of a scan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ScanOutcome {
    /// The text read.
    pub read: String,
    /// `qr` or `code128` when read from an image.
    pub symbology: Option<String>,
    /// How many other codes the image held (the first one was used).
    pub other_codes: usize,
    /// What kind of code it is.
    pub kind: ScanKind,
    /// One sentence: what this is.
    pub summary: String,
    /// Field-by-field explanation.
    pub lines: Vec<ScanLine>,
    /// What to do next.
    pub next: ScanNext,
    /// One sentence for the person holding the wallet.
    pub message: String,
    /// The payment to confirm, when there is one.
    pub payment: Option<PaymentConfirmation>,
    /// The run the scan was recorded in (none when decided on the device alone).
    pub run_id: Option<String>,
}

#[derive(Deserialize)]
struct HubClassification {
    summary: String,
    #[serde(default)]
    lines: Vec<ScanLine>,
    kind: String,
}

#[derive(Deserialize)]
struct HubScan {
    classification: HubClassification,
    next: String,
    message: String,
    payment: Option<PaymentConfirmation>,
}

/// A code the hub made for the wallet to scan.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct CodeToScan {
    code_value: String,
}

fn lines_of(classification: &Classification) -> Vec<ScanLine> {
    classification
        .lines
        .iter()
        .map(|l| ScanLine {
            label: l.label.clone(),
            value: l.value.clone(),
            explanation: l.explanation.clone(),
        })
        .collect()
}

/// "What it is" for [`WalletError::NotAlipayCode`]: the hints after the `Read` line.
fn what_it_is(summary: &str, lines: &[ScanLine], read: &str) -> String {
    let hints: Vec<String> = lines
        .iter()
        .filter(|l| l.label != "Read")
        .map(|l| format!("{} ({} {})", l.explanation, l.label.to_lowercase(), l.value))
        .collect();
    if !hints.is_empty() {
        hints.join("; ")
    } else if read.trim().is_empty() {
        summary.trim_end_matches('.').to_owned()
    } else {
        format!("{} characters of text", read.chars().count())
    }
}

fn host_of(url: &str) -> String {
    url.split_once("://")
        .map_or(url, |(_, rest)| rest)
        .split('/')
        .next()
        .unwrap_or_default()
        .to_ascii_lowercase()
}

/// Runs a decode on tokio's blocking threads; a decoder that panics there is a decoder fault.
async fn off_worker(
    decode: impl FnOnce() -> Result<Vec<linker_scan::Decoded>, linker_scan::ScanError> + Send + 'static,
) -> Result<Vec<linker_scan::Decoded>, WalletError> {
    let decoded = tokio::task::spawn_blocking(decode)
        .await
        .map_err(|error| linker_scan::ScanError::DecoderFault(error.to_string()))??;
    Ok(decoded)
}

impl Wallet {
    /// Decodes what the camera or a file shows: the first code's text, its symbology, and how
    /// many others there were. Images get the full cascade of passes; camera frames go to the
    /// wallet's one [`linker_scan::FrameScanner`], which spreads the cascade over consecutive
    /// frames to keep each one cheap. The decoding runs on a blocking thread, off the async
    /// workers.
    async fn read_input(
        &self,
        input: ScanInput<'_>,
    ) -> Result<(String, Option<String>, usize), WalletError> {
        let decoded = match input {
            ScanInput::Text(text) => return Ok((text.trim().to_owned(), None, 0)),
            ScanInput::ImageFile(path) => {
                let bytes = std::fs::read(path).map_err(|error| {
                    WalletError::invalid(
                        "image",
                        format!("cannot read {}: {error}", path.display()),
                    )
                })?;
                off_worker(move || linker_scan::decode(&bytes)).await?
            }
            ScanInput::ImageBytes(bytes) => {
                let bytes = bytes.to_vec();
                off_worker(move || linker_scan::decode(&bytes)).await?
            }
            ScanInput::RgbaFrame {
                width,
                height,
                pixels,
            } => {
                let (pixels, inner) = (pixels.to_vec(), self.inner.clone());
                off_worker(move || inner.frame_scanner().scan_rgba(width, height, &pixels)).await?
            }
            ScanInput::LumaFrame {
                width,
                height,
                pixels,
            } => {
                let (pixels, inner) = (pixels.to_vec(), self.inner.clone());
                off_worker(move || inner.frame_scanner().scan_luma(width, height, &pixels)).await?
            }
        };
        let mut codes = decoded.into_iter();
        let first = codes.next().ok_or(WalletError::NoCodeFound)?;
        Ok((
            first.text.trim().to_owned(),
            Some(first.symbology.as_str().to_owned()),
            codes.count(),
        ))
    }

    /// Scans a code: decode (images), classify, and resolve it through the hub in the open run.
    pub async fn scan(&self, input: ScanInput<'_>) -> Result<ScanOutcome, WalletError> {
        let (read, symbology, other_codes) = self.read_input(input).await?;
        if read.is_empty() {
            return Err(WalletError::NotAlipayCode {
                what: "nothing was read".to_owned(),
                read,
            });
        }
        let hub_url = self.settings()?.hub_url;
        let registry = DomainRegistry {
            alipay_domains: vec![host_of(&hub_url)],
            ..DomainRegistry::default()
        };
        let local = classify(&read, &registry);
        let local_kind = ScanKind::from_code_kind(local.kind());
        if local_kind == ScanKind::PaymentCode {
            return Err(WalletError::PaymentCodeScanned { digits: read });
        }
        let outcome =
            |kind, summary: String, lines, next, message: String, payment, run_id| ScanOutcome {
                read: read.clone(),
                symbology: symbology.clone(),
                other_codes,
                kind,
                summary,
                lines,
                next,
                message,
                payment,
                run_id,
            };
        let on_device = |reason: Option<String>| -> Result<ScanOutcome, WalletError> {
            match local_kind {
                ScanKind::MpmCode | ScanKind::EmvcoCode => Ok(outcome(
                    local_kind,
                    local.summary.clone(),
                    lines_of(&local),
                    ScanNext::ShowFields,
                    match reason {
                        Some(reason) => {
                            format!("{} (not recorded in a run: {reason})", local.summary)
                        }
                        None => local.summary.clone(),
                    },
                    None,
                    None,
                )),
                _ => Err(WalletError::NotAlipayCode {
                    what: what_it_is(&local.summary, &lines_of(&local), &read),
                    read: read.clone(),
                }),
            }
        };
        let run_id = match self.resolve_run(None).await {
            Ok(id) => id,
            Err(WalletError::NoOpenRun) => {
                return match local_kind {
                    ScanKind::MpmCode | ScanKind::EmvcoCode | ScanKind::NotAlipayPlus => {
                        on_device(None)
                    }
                    _ => Err(WalletError::NoOpenRun),
                };
            }
            Err(other) => return Err(other),
        };
        if read.len() > 512 {
            // Longer than any Alipay+ code value: the hub would refuse it.
            return on_device(None);
        }
        let result: Result<HubScan, WalletError> = self
            .call(
                Method::POST,
                &format!("/runs/{}/scan", path_part(&run_id)),
                Body::Json(json!({"codeValue": read})),
            )
            .await;
        let answer = match result {
            Ok(answer) => answer,
            Err(error @ WalletError::HubUnreachable { .. }) => {
                // Fields of a code need no hub; what a link means on this project does.
                return match local_kind {
                    ScanKind::MpmCode | ScanKind::EmvcoCode => on_device(Some(error.to_string())),
                    ScanKind::NotAlipayPlus if !read.contains("://") => on_device(None),
                    _ => Err(error),
                };
            }
            Err(WalletError::NotFound(what)) if what.starts_with("open run") => {
                return Err(WalletError::NoOpenRun);
            }
            Err(other) => return Err(other),
        };
        // The hub's own pages (a cashier checkout's paymentUrl, an authorization's authUrl)
        // are no code the classifier knows; the hub says what to do with them.
        let kind = match (
            answer.next.as_str(),
            ScanKind::from_name(&answer.classification.kind),
        ) {
            ("confirm", ScanKind::NotAlipayPlus) => ScanKind::PaymentPage,
            ("authorize", _) => ScanKind::AuthorizationPage,
            (_, kind) => kind,
        };
        match kind {
            ScanKind::PaymentCode => return Err(WalletError::PaymentCodeScanned { digits: read }),
            ScanKind::NotAlipayPlus => {
                return Err(WalletError::NotAlipayCode {
                    what: what_it_is(
                        &answer.classification.summary,
                        &answer.classification.lines,
                        &read,
                    ),
                    read,
                });
            }
            _ => {}
        }
        let next = self.next_step(&answer.next, &read)?;
        Ok(outcome(
            kind,
            answer.classification.summary,
            answer.classification.lines,
            next,
            answer.message,
            answer.payment,
            Some(run_id),
        ))
    }

    fn next_step(&self, next: &str, read: &str) -> Result<ScanNext, WalletError> {
        Ok(match next {
            "confirm" => ScanNext::Confirm,
            "expired" => ScanNext::Expired,
            "openPage" => ScanNext::OpenPage {
                url: read.to_owned(),
                user_agent: self.web_view_user_agent()?,
            },
            "notForWallet" => ScanNext::ShowFields,
            "authorize" => ScanNext::Authorize {
                url: read.to_owned(),
            },
            _ => ScanNext::UnknownCode,
        })
    }

    /// For a run whose customer scans a private order code the merchant never issued (MPC-02):
    /// the hub makes one on the project's registered private order-code domain, and the wallet
    /// scans it like any code, so the hub asks the ACQP with userInitiatedPay just as in the
    /// headless runner's run.
    pub async fn scan_unissued_code(
        &self,
        run_id: Option<&str>,
    ) -> Result<ScanOutcome, WalletError> {
        let run_id = self.resolve_run(run_id).await?;
        let made: Result<CodeToScan, WalletError> = self
            .call(
                Method::POST,
                &format!("/runs/{}/unissued-code", path_part(&run_id)),
                Body::Empty,
            )
            .await;
        let made = match made {
            Ok(made) => made,
            Err(WalletError::NotFound(what)) if what.starts_with("open run") => {
                return Err(WalletError::NoOpenRun);
            }
            Err(other) => return Err(other),
        };
        self.scan(ScanInput::Text(&made.code_value)).await
    }

    /// The web view reached a payment page (an entry-code page redirected to its `paymentUrl`,
    /// or a cashier checkout): the hub binds the payment to the run and says what to confirm.
    pub async fn open_payment_url(
        &self,
        run_id: Option<&str>,
        url: &str,
    ) -> Result<ScanOutcome, WalletError> {
        let run_id = self.resolve_run(run_id).await?;
        let answer: HubScan = self
            .call(
                Method::POST,
                &format!("/runs/{}/open-url", path_part(&run_id)),
                Body::Json(json!({"url": url.trim()})),
            )
            .await?;
        let next = self.next_step(&answer.next, url.trim())?;
        Ok(ScanOutcome {
            read: url.trim().to_owned(),
            symbology: None,
            other_codes: 0,
            kind: ScanKind::PaymentPage,
            summary: answer.classification.summary,
            lines: answer.classification.lines,
            next,
            message: answer.message,
            payment: answer.payment,
            run_id: Some(run_id),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_a_text_is_names_the_hints_or_the_length() {
        let lines = vec![
            ScanLine {
                label: "Read".into(),
                value: "https://example.com/x".into(),
                explanation: "21 characters".into(),
            },
            ScanLine {
                label: "Domain".into(),
                value: "example.com".into(),
                explanation: "a web link on a domain not registered".into(),
            },
        ];
        assert_eq!(
            what_it_is(
                "This is not an Alipay+ code.",
                &lines,
                "https://example.com/x"
            ),
            "a web link on a domain not registered (domain example.com)"
        );
        assert_eq!(
            what_it_is("x", &lines[..1], "hello"),
            "5 characters of text"
        );
    }

    #[test]
    fn a_hub_url_names_its_host() {
        assert_eq!(host_of("http://127.0.0.1:8480"), "127.0.0.1:8480");
        assert_eq!(host_of("https://Hub.example/x"), "hub.example");
    }
}
