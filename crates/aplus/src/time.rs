//! Times on the wire.
//!
//! Body times are ISO 8601 with an offset (`2020-01-01T12:01:01+08:00`). The `Request-Time` and
//! `Response-Time` headers come in two forms in the wild: ISO 8601 (Python SDK) and epoch
//! milliseconds (Java and Go SDKs). Signatures cover the header exactly as sent; these helpers only
//! read the instant, for freshness checks.

use chrono::{DateTime, FixedOffset, SecondsFormat, TimeZone, Utc};

/// Why a time string could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TimeError {
    /// Neither ISO 8601 with an offset nor epoch milliseconds.
    #[error(
        "{0:?} is neither ISO 8601 with an offset (2020-01-01T12:01:01+08:00) nor epoch milliseconds"
    )]
    Unrecognised(String),
}

/// Which of the two header forms a `Request-Time` used.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub enum RequestTimeForm {
    /// `2019-05-28T12:12:12+08:00`.
    Iso8601,
    /// `1559016732000`.
    EpochMillis,
}

/// A parsed `Request-Time` / `Response-Time` header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestTime {
    /// The instant, with the offset it was written in (UTC for epoch milliseconds).
    pub instant: DateTime<FixedOffset>,
    /// The form it was written in.
    pub form: RequestTimeForm,
}

impl RequestTime {
    /// Reads either form. Epoch values are read as milliseconds.
    pub fn parse(text: &str) -> Result<RequestTime, TimeError> {
        let text = text.trim();
        if !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()) {
            let millis: i64 = text
                .parse()
                .map_err(|_| TimeError::Unrecognised(text.to_owned()))?;
            let instant = Utc
                .timestamp_millis_opt(millis)
                .single()
                .ok_or_else(|| TimeError::Unrecognised(text.to_owned()))?;
            return Ok(RequestTime {
                instant: instant.fixed_offset(),
                form: RequestTimeForm::EpochMillis,
            });
        }
        let instant = parse_wire_time(text)?;
        Ok(RequestTime {
            instant,
            form: RequestTimeForm::Iso8601,
        })
    }
}

/// Parses an ISO 8601 time with an offset, as used in bodies.
pub fn parse_wire_time(text: &str) -> Result<DateTime<FixedOffset>, TimeError> {
    DateTime::parse_from_rfc3339(text).map_err(|_| TimeError::Unrecognised(text.to_owned()))
}

/// Formats a time the way the wire wants it: seconds precision, `+08:00` style offset.
pub fn format_wire_time<Tz: TimeZone>(time: &DateTime<Tz>) -> String
where
    Tz::Offset: std::fmt::Display,
{
    time.fixed_offset()
        .to_rfc3339_opts(SecondsFormat::Secs, false)
}

/// UTC+8 (Beijing time), the offset Alipay+ writes its times in.
pub const BEIJING: FixedOffset = match FixedOffset::east_opt(8 * 3600) {
    Some(offset) => offset,
    None => panic!("UTC+8 is a valid offset"),
};

/// UTC+8 (Beijing time), the offset Alipay+ writes its times in, e.g. for
/// `now.with_timezone(&beijing())`.
pub fn beijing() -> FixedOffset {
    BEIJING
}

/// Formats a time as epoch milliseconds, the Java/Go SDK header form.
pub fn format_epoch_millis<Tz: TimeZone>(time: &DateTime<Tz>) -> String {
    time.timestamp_millis().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_forms_give_the_same_instant() {
        let iso = RequestTime::parse("2019-05-28T12:12:12+08:00").unwrap();
        let ms = RequestTime::parse("1559016732000").unwrap();
        assert_eq!(iso.instant, ms.instant, "ISO and epoch ms name one instant");
        assert_eq!(iso.form, RequestTimeForm::Iso8601);
        assert_eq!(ms.form, RequestTimeForm::EpochMillis);
        assert_eq!(format_wire_time(&iso.instant), "2019-05-28T12:12:12+08:00");
        assert_eq!(format_epoch_millis(&iso.instant), "1559016732000");
    }

    #[test]
    fn beijing_time_is_utc_plus_8() {
        let utc = Utc.timestamp_millis_opt(1559016732000).unwrap();
        assert_eq!(
            format_wire_time(&utc.with_timezone(&beijing())),
            "2019-05-28T12:12:12+08:00"
        );
    }

    #[test]
    fn rejects_garbage() {
        for bad in ["", "yesterday", "2019-05-28 12:12:12", "12.5", "-5"] {
            assert!(RequestTime::parse(bad).is_err(), "{bad:?} must be rejected");
        }
    }
}
