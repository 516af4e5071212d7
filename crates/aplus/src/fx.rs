//! Linker's fixed test exchange rates: what a customer whose wallet holds another currency than
//! the order's pays (a GCash customer paying a HKD order pays in PHP). The hub quotes them in its
//! answers and the wallet shows the same quote on its confirmation, so both always agree.
//!
//! The rates are fixed, the same on every machine, so screenshots and tests are reproducible;
//! they are not market rates and are labelled as such ([`TEST_RATE_LABEL`]) wherever they are
//! shown. A quote's price has [`PRICE_DECIMALS`] decimals, and the customer's amount is the
//! order's amount times that price, rounded to the customer currency's minor unit, so anyone can
//! check it from the quote alone.

use crate::amount::{Amount, Currency};

/// How a Linker rate is labelled wherever it is shown.
pub const TEST_RATE_LABEL: &str = "Linker test rate";

/// The number of decimals of a quote's price.
pub const PRICE_DECIMALS: u32 = 4;

const SCALE: u128 = 10_000;

/// Units of each currency per US dollar, in ten-thousandths (Linker's fixed test rates).
const PER_USD: [(&str, u128); 13] = [
    ("USD", 10_000),
    ("HKD", 78_000),
    ("CNY", 71_000),
    ("THB", 355_000),
    ("MYR", 47_000),
    ("PHP", 560_000),
    ("IDR", 156_000_000),
    ("KRW", 13_300_000),
    ("SGD", 13_500),
    ("EUR", 9_200),
    ("GBP", 7_900),
    ("JPY", 1_500_000),
    ("MOP", 80_500),
];

fn per_usd(code: &str) -> Option<u128> {
    PER_USD.iter().find(|(c, _)| *c == code).map(|(_, r)| *r)
}

/// `numerator / denominator`, rounded half up.
fn rounded_div(numerator: u128, denominator: u128) -> u128 {
    (numerator * 2 + denominator) / (denominator * 2)
}

/// A Linker test rate from one currency to another.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TestRate {
    /// The order's currency (sold by the customer's side).
    pub from: Currency,
    /// The customer's currency.
    pub to: Currency,
    /// Units of `to` per unit of `from`, in ten-thousandths.
    pub price_e4: u64,
}

impl TestRate {
    /// The rate from `from` to `to`; `None` when they are the same currency or one is not in
    /// Linker's table.
    pub fn between(from: &str, to: &str) -> Option<TestRate> {
        if from == to {
            return None;
        }
        let (from_rate, to_rate) = (per_usd(from)?, per_usd(to)?);
        let price = rounded_div(to_rate * SCALE, from_rate);
        Some(TestRate {
            from: Currency::from_code(from).ok()?,
            to: Currency::from_code(to).ok()?,
            price_e4: u64::try_from(price).ok()?,
        })
    }

    /// The price as text, e.g. `0.9103`.
    pub fn price(&self) -> String {
        let whole = self.price_e4 / 10_000;
        let fraction = self.price_e4 % 10_000;
        format!("{whole}.{fraction:04}")
    }

    /// The currency pair as Alipay+ writes it, e.g. `HKD/CNY`.
    pub fn currency_pair(&self) -> String {
        format!("{}/{}", self.from.code(), self.to.code())
    }

    /// `amount` (in `from`) in the customer's currency; `None` for another currency or an
    /// amount out of range.
    pub fn convert(&self, amount: &Amount) -> Option<Amount> {
        if amount.currency() != self.from {
            return None;
        }
        let from_unit = 10u128.pow(u32::from(self.from.minor_digits()));
        let to_unit = 10u128.pow(u32::from(self.to.minor_digits()));
        let numerator = u128::from(amount.value())
            .checked_mul(u128::from(self.price_e4))?
            .checked_mul(to_unit)?;
        let value = rounded_div(numerator, from_unit * SCALE);
        Amount::new(self.to, u64::try_from(value).ok()?).ok()
    }
}

/// What a customer holding `customer_currency` pays for `amount`, at Linker's test rate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FxQuote {
    /// The rate applied.
    pub rate: TestRate,
    /// The order's amount.
    pub order_amount: Amount,
    /// What the customer pays, in their currency.
    pub customer_amount: Amount,
}

/// The quote for a customer paying `amount` from a wallet holding `customer_currency`; `None`
/// when no conversion happens (the same currency) or a rate is unknown.
pub fn quote(amount: &Amount, customer_currency: &str) -> Option<FxQuote> {
    let rate = TestRate::between(amount.currency().code(), customer_currency)?;
    Some(FxQuote {
        rate,
        order_amount: *amount,
        customer_amount: rate.convert(amount)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cny_wallet_paying_hkd_pays_the_cny_amount_at_the_quoted_price() {
        let amount = Amount::parse("HKD", "7800").unwrap();
        let quote = quote(&amount, "CNY").unwrap();
        assert_eq!(quote.rate.currency_pair(), "HKD/CNY");
        assert_eq!(quote.rate.price(), "0.9103");
        assert_eq!(quote.customer_amount.to_string(), "CNY 71.00");
    }

    #[test]
    fn a_php_wallet_paying_hkd_pays_the_order_times_the_price() {
        let amount = Amount::parse("HKD", "10000").unwrap();
        let quote = quote(&amount, "PHP").unwrap();
        assert_eq!(quote.rate.price(), "7.1795", "56 / 7.8 rounded");
        assert_eq!(
            quote.customer_amount.to_string(),
            "PHP 717.95",
            "HKD 100.00 × 7.1795"
        );
    }

    #[test]
    fn no_quote_in_the_same_currency_or_an_unknown_one() {
        let amount = Amount::parse("HKD", "1234").unwrap();
        assert_eq!(quote(&amount, "HKD"), None);
        assert_eq!(quote(&amount, "XYZ"), None);
        assert_eq!(quote(&Amount::parse("BHD", "1234").unwrap(), "HKD"), None);
    }

    #[test]
    fn currencies_without_minor_units_round_to_whole_units() {
        let amount = Amount::parse("HKD", "1234").unwrap();
        let quote = quote(&amount, "KRW").unwrap();
        assert_eq!(quote.customer_amount.to_string(), "KRW 2104");
        let yen = Amount::parse("JPY", "1000").unwrap();
        let quote = super::quote(&yen, "HKD").unwrap();
        assert_eq!(quote.rate.price(), "0.0520");
        assert_eq!(quote.customer_amount.to_string(), "HKD 52.00");
    }

    #[test]
    fn a_rate_converts_only_its_own_currency() {
        let rate = TestRate::between("HKD", "PHP").unwrap();
        assert_eq!(rate.convert(&Amount::parse("CNY", "100").unwrap()), None);
        assert!(
            rate.convert(&Amount::parse("HKD", "100").unwrap())
                .is_some()
        );
    }
}
