//! The exchange rate a payment confirmation shows when the customer's wallet holds another
//! currency than the order's (an ALIPAY_CN customer paying a HKD order sees the CNY amount).
//!
//! Linker's rates are fixed test rates, the same on every machine, so screenshots and tests are
//! reproducible; they are labelled as such wherever they are shown.

use linker_aplus::Amount;
use linker_aplus::amount::Currency;

use crate::scan::ExchangeRate;

/// Units of each currency per US dollar (Linker's fixed test rates).
const PER_USD: [(&str, f64); 13] = [
    ("USD", 1.0),
    ("HKD", 7.8),
    ("CNY", 7.1),
    ("THB", 35.5),
    ("MYR", 4.7),
    ("PHP", 56.0),
    ("IDR", 15_600.0),
    ("KRW", 1_330.0),
    ("SGD", 1.35),
    ("EUR", 0.92),
    ("GBP", 0.79),
    ("JPY", 150.0),
    ("MOP", 8.05),
];

fn per_usd(code: &str) -> Option<f64> {
    PER_USD
        .iter()
        .find(|(c, _)| *c == code)
        .map(|(_, rate)| *rate)
}

/// The rate from `amount`'s currency to `wallet_currency`, with the converted amount; `None`
/// when they are the same or a rate is unknown.
pub fn quote(amount: &Amount, wallet_currency: &str) -> Option<ExchangeRate> {
    let from = amount.currency().code();
    if from == wallet_currency {
        return None;
    }
    let to = Currency::from_code(wallet_currency).ok()?;
    let rate = per_usd(wallet_currency)? / per_usd(from)?;
    let major = amount.value() as f64 / 10f64.powi(i32::from(amount.currency().minor_digits()));
    let converted_minor = (major * rate * 10f64.powi(i32::from(to.minor_digits()))).round();
    let converted = Amount::new(to, converted_minor as u64).ok()?;
    Some(ExchangeRate {
        from: from.to_owned(),
        to: wallet_currency.to_owned(),
        rate: format!("{rate:.4}"),
        converted: Some(format!("{converted} (Linker test rate)")),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cny_wallet_paying_hkd_sees_the_cny_amount() {
        let amount = Amount::parse("HKD", "7800").unwrap();
        let quote = quote(&amount, "CNY").unwrap();
        assert_eq!(quote.from, "HKD");
        assert_eq!(quote.to, "CNY");
        assert_eq!(quote.rate, "0.9103");
        assert_eq!(
            quote.converted.as_deref(),
            Some("CNY 71.00 (Linker test rate)")
        );
    }

    #[test]
    fn no_quote_in_the_same_currency_or_an_unknown_one() {
        let amount = Amount::parse("HKD", "1234").unwrap();
        assert_eq!(quote(&amount, "HKD"), None);
        assert_eq!(quote(&amount, "XYZ"), None);
    }

    #[test]
    fn currencies_without_minor_units_round_to_whole_units() {
        let amount = Amount::parse("HKD", "1234").unwrap();
        let quote = quote(&amount, "KRW").unwrap();
        assert_eq!(
            quote.converted.as_deref(),
            Some("KRW 2104 (Linker test rate)")
        );
    }
}
