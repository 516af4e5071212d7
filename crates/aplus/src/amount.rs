//! Amounts: `{"currency": "<ISO 4217 alpha-3>", "value": "<integer in minor units>"}`.
//!
//! `JPY 100` travels as `"100"` (no minor unit), `HKD 500.00` as `"50000"`, `BHD 1.234` as
//! `"1234"`. The number of minor digits per currency follows ISO 4217 (so IDR has 2).

use std::cmp::Ordering;
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Why an amount or currency is not acceptable.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AmountError {
    /// The currency is not a known ISO 4217 alpha-3 code.
    #[error("unknown currency {0:?}: expected an ISO 4217 alpha-3 code such as \"HKD\"")]
    UnknownCurrency(String),
    /// The value is not a plain non-negative integer string.
    #[error("value {value:?} is not an integer in minor units: {reason}")]
    InvalidValue {
        /// The value as received.
        value: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// A major-unit amount (e.g. `500.00`) has the wrong number of decimals for its currency.
    #[error("{currency} has {expected} decimal places, {text:?} does not")]
    WrongDecimals {
        /// The currency code.
        currency: &'static str,
        /// The number of minor digits the currency has.
        expected: u8,
        /// The text as received.
        text: String,
    },
    /// Two amounts in different currencies were compared or combined.
    #[error("currency mismatch: {0} and {1}")]
    CurrencyMismatch(&'static str, &'static str),
    /// An addition overflowed or a subtraction went below zero.
    #[error("amount out of range: {0}")]
    OutOfRange(&'static str),
}

/// The largest accepted value in minor units (fits a signed 64-bit integer, so it stores anywhere).
pub const MAX_MINOR_UNITS: u64 = i64::MAX as u64;

/// An ISO 4217 currency known to Linker, with its number of minor digits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Currency {
    code: &'static str,
    minor_digits: u8,
}

/// ISO 4217 currencies and their minor digits (the currencies Alipay+ wallets and acquirers use,
/// and their neighbours).
#[rustfmt::skip]
const CURRENCIES: &[(&str, u8)] = &[
    // No minor unit.
    ("BIF", 0), ("CLP", 0), ("DJF", 0), ("GNF", 0), ("ISK", 0), ("JPY", 0), ("KMF", 0),
    ("KRW", 0), ("PYG", 0), ("RWF", 0), ("UGX", 0), ("UYI", 0), ("VND", 0), ("VUV", 0),
    ("XAF", 0), ("XOF", 0), ("XPF", 0),
    // Three minor digits.
    ("BHD", 3), ("IQD", 3), ("JOD", 3), ("KWD", 3), ("LYD", 3), ("OMR", 3), ("TND", 3),
    // Four.
    ("CLF", 4), ("UYW", 4),
    // Two.
    ("AED", 2), ("ARS", 2), ("AUD", 2), ("BDT", 2), ("BGN", 2), ("BND", 2), ("BRL", 2),
    ("CAD", 2), ("CHF", 2), ("CNY", 2), ("COP", 2), ("CZK", 2), ("DKK", 2), ("EGP", 2),
    ("EUR", 2), ("GBP", 2), ("GHS", 2), ("HKD", 2), ("HUF", 2), ("IDR", 2), ("ILS", 2),
    ("INR", 2), ("KES", 2), ("KHR", 2), ("KZT", 2), ("LAK", 2), ("LKR", 2), ("MAD", 2),
    ("MMK", 2), ("MNT", 2), ("MOP", 2), ("MXN", 2), ("MYR", 2), ("NGN", 2), ("NOK", 2),
    ("NPR", 2), ("NZD", 2), ("PEN", 2), ("PHP", 2), ("PKR", 2), ("PLN", 2), ("QAR", 2),
    ("RON", 2), ("RUB", 2), ("SAR", 2), ("SEK", 2), ("SGD", 2), ("THB", 2), ("TRY", 2),
    ("TWD", 2), ("UAH", 2), ("USD", 2), ("ZAR", 2),
];

impl Currency {
    /// Looks up a currency by its alpha-3 code (exact, uppercase).
    pub fn from_code(code: &str) -> Result<Currency, AmountError> {
        CURRENCIES
            .iter()
            .find(|(c, _)| *c == code)
            .map(|&(code, minor_digits)| Currency { code, minor_digits })
            .ok_or_else(|| AmountError::UnknownCurrency(code.to_owned()))
    }

    /// Every known currency.
    pub fn all() -> impl Iterator<Item = Currency> {
        CURRENCIES
            .iter()
            .map(|&(code, minor_digits)| Currency { code, minor_digits })
    }

    /// The alpha-3 code, e.g. `"HKD"`.
    pub fn code(self) -> &'static str {
        self.code
    }

    /// Number of digits after the decimal point: 0 for JPY, 2 for HKD, 3 for BHD.
    pub fn minor_digits(self) -> u8 {
        self.minor_digits
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code)
    }
}

impl FromStr for Currency {
    type Err = AmountError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Currency::from_code(s)
    }
}

impl Serialize for Currency {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.code)
    }
}

impl<'de> Deserialize<'de> for Currency {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let code = String::deserialize(deserializer)?;
        Currency::from_code(&code).map_err(serde::de::Error::custom)
    }
}

/// Parses a wire value: a non-empty string of ASCII digits (no sign, no decimal point) that fits
/// [`MAX_MINOR_UNITS`].
pub fn parse_minor_units(value: &str) -> Result<u64, AmountError> {
    let invalid = |reason| AmountError::InvalidValue {
        value: value.to_owned(),
        reason,
    };
    if value.is_empty() {
        return Err(invalid("empty"));
    }
    if value.starts_with('+') || value.starts_with('-') {
        return Err(invalid("no sign allowed"));
    }
    if value.contains('.') || value.contains(',') {
        return Err(invalid("minor units are an integer, no decimal point"));
    }
    if !value.bytes().all(|b| b.is_ascii_digit()) {
        return Err(invalid("only digits 0-9 allowed"));
    }
    match value.parse::<u64>() {
        Ok(n) if n <= MAX_MINOR_UNITS => Ok(n),
        _ => Err(invalid("too large")),
    }
}

/// A non-negative amount of money in a known currency, held in minor units.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Amount {
    currency: Currency,
    value: u64,
}

impl Amount {
    /// An amount of `value` minor units of `currency`.
    pub fn new(currency: Currency, value: u64) -> Result<Amount, AmountError> {
        if value > MAX_MINOR_UNITS {
            return Err(AmountError::OutOfRange("above the largest accepted value"));
        }
        Ok(Amount { currency, value })
    }

    /// Parses the two wire strings, e.g. `("HKD", "50000")`.
    pub fn parse(currency: &str, value: &str) -> Result<Amount, AmountError> {
        let currency = Currency::from_code(currency)?;
        let value = parse_minor_units(value)?;
        Ok(Amount { currency, value })
    }

    /// Parses a major-unit amount as people write it, e.g. `("HKD", "500.00")` or `("JPY", "100")`.
    /// The number of decimals must match the currency exactly.
    pub fn from_major(currency: &str, text: &str) -> Result<Amount, AmountError> {
        let currency = Currency::from_code(currency)?;
        let wrong = || AmountError::WrongDecimals {
            currency: currency.code,
            expected: currency.minor_digits,
            text: text.to_owned(),
        };
        let (whole, fraction) = match text.split_once('.') {
            Some((whole, fraction)) => (whole, fraction),
            None => (text, ""),
        };
        if fraction.len() != usize::from(currency.minor_digits) || whole.is_empty() {
            return Err(wrong());
        }
        if !fraction.bytes().all(|b| b.is_ascii_digit()) {
            return Err(wrong());
        }
        let joined = format!("{whole}{fraction}");
        let value = parse_minor_units(&joined)?;
        Ok(Amount { currency, value })
    }

    /// The currency.
    pub fn currency(&self) -> Currency {
        self.currency
    }

    /// The value in minor units.
    pub fn value(&self) -> u64 {
        self.value
    }

    /// The value as it travels on the wire, e.g. `"50000"`.
    pub fn wire_value(&self) -> String {
        self.value.to_string()
    }

    /// True when the value is zero.
    pub fn is_zero(&self) -> bool {
        self.value == 0
    }

    /// Compares two amounts of the same currency; an error if the currencies differ.
    pub fn checked_cmp(&self, other: &Amount) -> Result<Ordering, AmountError> {
        self.same_currency(other)?;
        Ok(self.value.cmp(&other.value))
    }

    /// Adds two amounts of the same currency.
    pub fn checked_add(&self, other: &Amount) -> Result<Amount, AmountError> {
        self.same_currency(other)?;
        let value = self
            .value
            .checked_add(other.value)
            .filter(|v| *v <= MAX_MINOR_UNITS)
            .ok_or(AmountError::OutOfRange("sum too large"))?;
        Ok(Amount { value, ..*self })
    }

    /// Subtracts `other` from `self` (same currency); an error if the result would be negative.
    pub fn checked_sub(&self, other: &Amount) -> Result<Amount, AmountError> {
        self.same_currency(other)?;
        let value = self
            .value
            .checked_sub(other.value)
            .ok_or(AmountError::OutOfRange("difference below zero"))?;
        Ok(Amount { value, ..*self })
    }

    fn same_currency(&self, other: &Amount) -> Result<(), AmountError> {
        if self.currency == other.currency {
            Ok(())
        } else {
            Err(AmountError::CurrencyMismatch(
                self.currency.code,
                other.currency.code,
            ))
        }
    }
}

impl PartialOrd for Amount {
    /// Amounts in different currencies are not comparable (`None`).
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        self.checked_cmp(other).ok()
    }
}

impl fmt::Display for Amount {
    /// Major units with the currency's decimals: `HKD 500.00`, `JPY 100`, `BHD 1.234`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let digits = u32::from(self.currency.minor_digits);
        if digits == 0 {
            return write!(f, "{} {}", self.currency.code, self.value);
        }
        let scale = 10u64.pow(digits);
        write!(
            f,
            "{} {}.{:0width$}",
            self.currency.code,
            self.value / scale,
            self.value % scale,
            width = digits as usize
        )
    }
}

impl FromStr for Amount {
    type Err = AmountError;
    /// Parses the [`Display`](fmt::Display) form, e.g. `HKD 500.00`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (currency, text) = s
            .trim()
            .split_once(' ')
            .ok_or_else(|| AmountError::UnknownCurrency(s.to_owned()))?;
        Amount::from_major(currency, text.trim())
    }
}

#[derive(Serialize, Deserialize)]
struct AmountWire {
    currency: Currency,
    value: MinorUnits,
}

/// The `value` string of an amount, validated while deserialising so errors name the field.
struct MinorUnits(u64);

impl Serialize for MinorUnits {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0.to_string())
    }
}

impl<'de> Deserialize<'de> for MinorUnits {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        parse_minor_units(&text)
            .map(MinorUnits)
            .map_err(serde::de::Error::custom)
    }
}

impl Serialize for Amount {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        AmountWire {
            currency: self.currency,
            value: MinorUnits(self.value),
        }
        .serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for Amount {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let wire = AmountWire::deserialize(deserializer)?;
        Ok(Amount {
            currency: wire.currency,
            value: wire.value.0,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn amount(c: &str, v: &str) -> Amount {
        Amount::parse(c, v).expect("valid amount")
    }

    #[test]
    fn display_uses_currency_decimals() {
        assert_eq!(amount("HKD", "50000").to_string(), "HKD 500.00");
        assert_eq!(amount("JPY", "100").to_string(), "JPY 100");
        assert_eq!(amount("BHD", "1234").to_string(), "BHD 1.234");
        assert_eq!(amount("USD", "5").to_string(), "USD 0.05");
        assert_eq!(
            amount("IDR", "100").to_string(),
            "IDR 1.00",
            "IDR has 2 per ISO 4217"
        );
    }

    #[test]
    fn rejects_bad_values_with_reasons() {
        for bad in [
            "12.5",
            "-1",
            "+1",
            "",
            "1e3",
            " 1",
            "١٢",
            "99999999999999999999",
        ] {
            let err = Amount::parse("HKD", bad);
            assert!(
                matches!(err, Err(AmountError::InvalidValue { .. })),
                "{bad:?} must be rejected, got {err:?}"
            );
        }
        assert!(matches!(
            Amount::parse("XYZ", "1"),
            Err(AmountError::UnknownCurrency(_))
        ));
        assert!(Amount::parse("hkd", "1").is_err(), "codes are uppercase");
    }

    #[test]
    fn from_major_and_from_str() {
        assert_eq!(
            Amount::from_major("HKD", "500.00"),
            Ok(amount("HKD", "50000"))
        );
        assert!(
            Amount::from_major("HKD", "500.0").is_err(),
            "one decimal for HKD"
        );
        assert!(
            Amount::from_major("JPY", "100.00").is_err(),
            "JPY has no decimals"
        );
        assert_eq!("JPY 100".parse::<Amount>(), Ok(amount("JPY", "100")));
        assert_eq!("KWD 0.001".parse::<Amount>(), Ok(amount("KWD", "1")));
    }

    #[test]
    fn compare_and_arithmetic_need_same_currency() {
        let a = amount("HKD", "100");
        let b = amount("HKD", "30");
        let j = amount("JPY", "100");
        assert!(a > b);
        assert_eq!(a.partial_cmp(&j), None, "HKD and JPY do not compare");
        assert_eq!(a.checked_sub(&b), Ok(amount("HKD", "70")));
        assert_eq!(a.checked_add(&b), Ok(amount("HKD", "130")));
        assert!(matches!(b.checked_sub(&a), Err(AmountError::OutOfRange(_))));
        assert!(matches!(
            a.checked_add(&j),
            Err(AmountError::CurrencyMismatch(..))
        ));
    }

    #[test]
    fn serde_is_string_typed() {
        let a = amount("JPY", "100");
        assert_eq!(
            serde_json::to_string(&a).unwrap(),
            r#"{"currency":"JPY","value":"100"}"#
        );
        let err = serde_json::from_str::<Amount>(r#"{"currency":"JPY","value":100}"#);
        assert!(err.is_err(), "a JSON number value must be rejected");
        let err = serde_json::from_str::<Amount>(r#"{"currency":"JPY","value":"12.5"}"#)
            .unwrap_err()
            .to_string();
        assert!(err.contains("decimal point"), "{err}");
    }
}
