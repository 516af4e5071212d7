//! The payment code the wallet shows for a UPM run: issued by the hub for the run, replaced
//! every refresh interval (a setting, 60 s by default) on the wallet's clock, single use (a code
//! the run's record shows charged is replaced at once), drawn by linker-scan as a Code 128
//! barcode and a QR code, with its digits and the seconds it has left.

use chrono::{DateTime, Duration, Utc};
use linker_cases::EventKind;
use reqwest::Method;
use rusqlite::{OptionalExtension, params};
use serde::{Deserialize, Serialize};

use crate::client::Body;
use crate::runs::path_part;
use crate::store::{parse_time, time_text};
use crate::{Wallet, WalletError};

/// Which images of a code to draw.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum ImageFormat {
    /// No image (digits and time only).
    None,
    /// SVG text (what a web view shows best).
    #[default]
    Svg,
    /// PNG bytes.
    Png,
    /// Both.
    Both,
}

/// One drawn code.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CodeImage {
    /// PNG bytes, when asked for.
    pub png: Option<Vec<u8>>,
    /// SVG text, when asked for.
    pub svg: Option<String>,
    /// Width in pixels.
    pub width_px: u32,
    /// Height in pixels.
    pub height_px: u32,
}

/// The code to show now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PaymentCodeView {
    /// The digits (what the POS reads).
    pub digits: String,
    /// The digits in groups of four, for people.
    pub digits_grouped: String,
    /// The run it was issued for.
    pub run_id: String,
    /// When the wallet started showing it (wallet time).
    pub shown_at: DateTime<Utc>,
    /// When the wallet replaces it (wallet time).
    pub refresh_at: DateTime<Utc>,
    /// Whole seconds until then.
    pub seconds_left: i64,
    /// When the hub stops accepting it (hub time).
    pub hub_expires_at: DateTime<Utc>,
    /// The Code 128 barcode.
    pub barcode: Option<CodeImage>,
    /// The QR code.
    pub qr: Option<CodeImage>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Issued {
    code: String,
    expires_at: DateTime<Utc>,
}

fn draw(code: &linker_scan::RenderedCode, format: ImageFormat) -> Result<CodeImage, WalletError> {
    let png = match format {
        ImageFormat::Png | ImageFormat::Both => Some(code.to_png()?),
        _ => None,
    };
    let svg = matches!(format, ImageFormat::Svg | ImageFormat::Both).then(|| code.to_svg());
    Ok(CodeImage {
        png,
        svg,
        width_px: code.width_px(),
        height_px: code.height_px(),
    })
}

fn grouped(digits: &str) -> String {
    digits
        .as_bytes()
        .chunks(4)
        .map(|chunk| String::from_utf8_lossy(chunk).into_owned())
        .collect::<Vec<_>>()
        .join(" ")
}

impl Wallet {
    /// The payment code to show for a run (the open run when `run_id` is `None`): the one being
    /// shown while it is fresh and unused, else a new one from the hub. Call it when the screen
    /// opens and whenever `seconds_left` reaches 0 or the run's events show a `pay`.
    pub async fn payment_code(
        &self,
        run_id: Option<&str>,
        format: ImageFormat,
    ) -> Result<PaymentCodeView, WalletError> {
        let run_id = self.resolve_run(run_id).await?;
        let refresh = Duration::seconds(i64::from(self.settings()?.code_refresh_secs));
        let now = self.now();
        let current: Option<(String, DateTime<Utc>, DateTime<Utc>)> = self.store().with(|c| {
            c.query_row(
                "SELECT code, shown_at, hub_expires_at FROM payment_codes \
                 WHERE run_id = ?1 AND retired_at IS NULL ORDER BY shown_at DESC, rowid DESC LIMIT 1",
                [&run_id],
                |row| {
                    Ok((
                        row.get(0)?,
                        parse_time(1, &row.get::<_, String>(1)?)?,
                        parse_time(2, &row.get::<_, String>(2)?)?,
                    ))
                },
            )
            .optional()
        })?;
        if let Some((code, shown_at, hub_expires_at)) = current {
            let retire = if now - shown_at >= refresh {
                Some("refreshed")
            } else if self.code_was_charged(&run_id, &code)? {
                Some("used")
            } else {
                None
            };
            match retire {
                None => {
                    return self.code_view(
                        &run_id,
                        code,
                        shown_at,
                        hub_expires_at,
                        refresh,
                        format,
                    );
                }
                Some(reason) => self.retire_code(&code, reason)?,
            }
        }
        self.new_payment_code(Some(&run_id), format).await
    }

    /// A new payment code for a run now, whatever the one being shown (the customer tapped
    /// "refresh").
    pub async fn new_payment_code(
        &self,
        run_id: Option<&str>,
        format: ImageFormat,
    ) -> Result<PaymentCodeView, WalletError> {
        let run_id = self.resolve_run(run_id).await?;
        let refresh = Duration::seconds(i64::from(self.settings()?.code_refresh_secs));
        let result: Result<Issued, WalletError> = self
            .call(
                Method::POST,
                &format!("/runs/{}/payment-code", path_part(&run_id)),
                Body::Empty,
            )
            .await;
        let issued = self.over_if_decided(&run_id, result)?;
        let now = self.now();
        self.store().with(|c| {
            let transaction = c.transaction()?;
            transaction.execute(
                "UPDATE payment_codes SET retired_at = ?2, retired_reason = 'replaced' \
                 WHERE run_id = ?1 AND retired_at IS NULL",
                params![run_id, time_text(now)],
            )?;
            transaction.execute(
                "INSERT INTO payment_codes (code, run_id, shown_at, hub_expires_at) VALUES (?1, ?2, ?3, ?4) \
                 ON CONFLICT (code) DO NOTHING",
                params![issued.code, run_id, time_text(now), time_text(issued.expires_at)],
            )?;
            transaction.commit()
        })?;
        self.code_view(
            &run_id,
            issued.code,
            now,
            issued.expires_at,
            refresh,
            format,
        )
    }

    fn retire_code(&self, code: &str, reason: &str) -> Result<(), WalletError> {
        let now = time_text(self.now());
        self.store().with(|c| {
            c.execute(
                "UPDATE payment_codes SET retired_at = ?2, retired_reason = ?3 WHERE code = ?1",
                params![code, now, reason],
            )
        })?;
        Ok(())
    }

    /// True when the stored run shows a `pay` that carried this code (the hub took it).
    fn code_was_charged(&self, run_id: &str, code: &str) -> Result<bool, WalletError> {
        let Some((run, _)) = self.cached_run(run_id)? else {
            return Ok(false);
        };
        Ok(run.events.iter().any(|event| match &event.kind {
            EventKind::AcqpCall(call) => {
                call.api == linker_aplus::message::Api::Pay
                    && serde_json::from_str::<serde_json::Value>(&call.request_body)
                        .ok()
                        .is_some_and(|body| body["paymentMethod"]["paymentMethodId"] == code)
            }
            _ => false,
        }))
    }

    /// Why the codes of a run were retired, newest first: `(code, reason)`.
    pub fn retired_codes(&self, run_id: &str) -> Result<Vec<(String, String)>, WalletError> {
        self.store().with(|c| {
            let mut statement = c.prepare(
                "SELECT code, retired_reason FROM payment_codes WHERE run_id = ?1 \
                 AND retired_at IS NOT NULL ORDER BY retired_at DESC, rowid DESC",
            )?;
            let rows = statement.query_map([run_id], |row| Ok((row.get(0)?, row.get(1)?)))?;
            rows.collect()
        })
    }

    fn code_view(
        &self,
        run_id: &str,
        digits: String,
        shown_at: DateTime<Utc>,
        hub_expires_at: DateTime<Utc>,
        refresh: Duration,
        format: ImageFormat,
    ) -> Result<PaymentCodeView, WalletError> {
        let refresh_at = shown_at + refresh;
        let seconds_left = (refresh_at - self.now()).num_seconds().max(0);
        let (barcode, qr) = if format == ImageFormat::None {
            (None, None)
        } else {
            let barcode = linker_scan::payment_code_barcode(&digits, &Default::default())?;
            let qr = linker_scan::payment_code_qr(&digits, &Default::default())?;
            (Some(draw(&barcode, format)?), Some(draw(&qr, format)?))
        };
        Ok(PaymentCodeView {
            digits_grouped: grouped(&digits),
            digits,
            run_id: run_id.to_owned(),
            shown_at,
            refresh_at,
            seconds_left,
            hub_expires_at,
            barcode,
            qr,
        })
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn digits_are_grouped_by_four() {
        assert_eq!(
            super::grouped("281999123456789012345678"),
            "2819 9912 3456 7890 1234 5678"
        );
        assert_eq!(super::grouped("12345"), "1234 5");
    }
}
