//! UPM payment codes: what the wallet shows and the POS scans (digits only, 17 to 32 long).
//!
//! The mainstream form is 24 digits: a 6-digit code issuer id, a 2-digit business type (`02` =
//! payment code) and a 16-digit user number. 24-digit codes that start `25`-`30` carry a routing
//! number naming the wallet after the first three digits (`28` + `1` + routing + 18 digits).
//! Older accepted forms are 17 to 19 digits starting `28`. Linker's `TEST_WALLET` codes are 24
//! digits: `281` + routing `999` + 18 digits; when the hub plays another wallet, its codes carry
//! the routing number Linker assigned to that wallet ([`crate::wallets`]: `101` to `107`, Linker's
//! own, not the real issuers').

use serde::Serialize;

use crate::wallets::{self, WalletUnderTest};

/// Shortest payment code.
pub const MIN_LEN: usize = 17;
/// Longest payment code.
pub const MAX_LEN: usize = 32;
/// Prefix of every `TEST_WALLET` code: `281` + routing `999`.
pub const TEST_WALLET_PREFIX: &str = "281999";
/// The routing number of `TEST_WALLET`.
pub const TEST_WALLET_ROUTING: &str = "999";

/// Why a string is not a payment code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PaymentCodeError {
    /// Something other than digits 0-9.
    #[error("a payment code has digits only")]
    NotDigits,
    /// Fewer than 17 or more than 32 digits.
    #[error("a payment code has 17 to 32 digits, this has {0}")]
    WrongLength(usize),
}

/// Which known layout a payment code follows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase", tag = "form")]
pub enum PaymentCodeForm {
    /// Linker's `TEST_WALLET`: `281` + `999` + 18 digits.
    #[serde(rename_all = "camelCase")]
    TestWallet {
        /// The 18 digits after the prefix.
        serial: String,
    },
    /// 24 digits starting `25`-`30`, with a wallet routing number in digits 4-6.
    #[serde(rename_all = "camelCase")]
    Routed {
        /// The 3-digit routing number.
        routing: String,
    },
    /// 24 digits: issuer id, business type `02`, user number.
    #[serde(rename_all = "camelCase")]
    Mainstream {
        /// The 6-digit code issuer id.
        issuer_id: String,
        /// The 2-digit business type (`02` = payment code).
        business_type: String,
        /// The 16-digit user number.
        user_number: String,
    },
    /// An older 17-, 18- or 19-digit form starting `28`.
    #[serde(rename_all = "camelCase")]
    Legacy {
        /// The pattern it matches, e.g. `28\d{15}`.
        pattern: &'static str,
    },
    /// Digits of an accepted length that follow no known layout.
    Unrecognised,
}

/// A payment code and the layout it follows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PaymentCode {
    /// The digits.
    pub digits: String,
    /// The layout.
    #[serde(flatten)]
    pub form: PaymentCodeForm,
}

impl PaymentCode {
    /// Reads a payment code: digits only, 17 to 32 of them.
    pub fn parse(text: &str) -> Result<PaymentCode, PaymentCodeError> {
        if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
            return Err(PaymentCodeError::NotDigits);
        }
        let len = text.len();
        if !(MIN_LEN..=MAX_LEN).contains(&len) {
            return Err(PaymentCodeError::WrongLength(len));
        }
        Ok(PaymentCode {
            digits: text.to_owned(),
            form: recognise(text),
        })
    }

    /// A `TEST_WALLET` code for a serial (reduced to 18 digits). The caller supplies the
    /// randomness, e.g. from a seeded generator.
    pub fn test_wallet(serial: u64) -> PaymentCode {
        PaymentCode::for_wallet(wallets::test_wallet(), serial)
    }

    /// A code of `wallet` for a serial (reduced to 18 digits): `281` + the wallet's routing
    /// number + the serial.
    pub fn for_wallet(wallet: &WalletUnderTest, serial: u64) -> PaymentCode {
        let serial = format!("{:018}", serial % 1_000_000_000_000_000_000);
        let digits = format!("281{}{serial}", wallet.routing);
        PaymentCode {
            form: recognise(&digits),
            digits,
        }
    }

    /// The wallet a Linker routing number names (`281` + routing + 18 digits), if the code has
    /// one: `TEST_WALLET` for `999`, the wallets Linker plays for `101` to `107`.
    pub fn linker_wallet(&self) -> Option<&'static WalletUnderTest> {
        match &self.form {
            PaymentCodeForm::TestWallet { .. } => Some(wallets::test_wallet()),
            PaymentCodeForm::Routed { routing } if self.digits.starts_with("281") => {
                wallets::by_routing(routing)
            }
            _ => None,
        }
    }

    /// True for a `TEST_WALLET` code.
    pub fn is_test_wallet(&self) -> bool {
        matches!(self.form, PaymentCodeForm::TestWallet { .. })
    }

    /// A one-line description of the layout.
    pub fn describe(&self) -> String {
        match &self.form {
            PaymentCodeForm::TestWallet { .. } => {
                "TEST_WALLET code: 281 + routing 999 + 18 digits".to_owned()
            }
            PaymentCodeForm::Routed { routing } => match self.linker_wallet() {
                Some(wallet) => format!(
                    "{} code: 281 + routing {routing} + 18 digits (Linker's routing number for \
                     {}, not the real issuer's)",
                    wallet.name, wallet.name
                ),
                None => format!("24-digit code with wallet routing number {routing}"),
            },
            PaymentCodeForm::Mainstream { .. } => {
                "24-digit code: issuer id, business type 02, user number".to_owned()
            }
            PaymentCodeForm::Legacy { pattern } => format!("older form {pattern}"),
            PaymentCodeForm::Unrecognised => {
                format!("{} digits in no known layout", self.digits.len())
            }
        }
    }
}

fn recognise(d: &str) -> PaymentCodeForm {
    let len = d.len();
    let head2: u8 = d[..2].parse().unwrap_or(0);
    match len {
        24 if d.starts_with(TEST_WALLET_PREFIX) => PaymentCodeForm::TestWallet {
            serial: d[6..].to_owned(),
        },
        24 if (25..=30).contains(&head2) => PaymentCodeForm::Routed {
            routing: d[3..6].to_owned(),
        },
        24 if &d[6..8] == "02" => PaymentCodeForm::Mainstream {
            issuer_id: d[..6].to_owned(),
            business_type: d[6..8].to_owned(),
            user_number: d[8..].to_owned(),
        },
        17 if d.starts_with("28") => PaymentCodeForm::Legacy {
            pattern: r"28\d{15}",
        },
        18 if d.starts_with("28") => PaymentCodeForm::Legacy {
            pattern: r"28\d{16}",
        },
        19 if d.starts_with("28") => {
            let third = d.as_bytes()[2];
            let pattern = if third != b'9' {
                r"28[0-8]\d{16}"
            } else if d.as_bytes()[13] == b'6' {
                r"289\d{10}6\d{5}"
            } else {
                r"289\d{10}[0-57-9]\d{5}"
            };
            PaymentCodeForm::Legacy { pattern }
        }
        _ => PaymentCodeForm::Unrecognised,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_wallet_codes_are_24_digits_and_recognised() {
        let code = PaymentCode::test_wallet(42);
        assert_eq!(code.digits, "281999000000000000000042");
        assert_eq!(PaymentCode::parse(&code.digits), Ok(code.clone()));
        assert!(code.is_test_wallet());
        let big = PaymentCode::test_wallet(u64::MAX);
        assert_eq!(big.digits.len(), 24, "{}", big.digits);
    }

    #[test]
    fn a_wallets_code_carries_its_linker_routing_number_and_names_it() {
        let gcash = wallets::find("GCASH").unwrap();
        let code = PaymentCode::for_wallet(gcash, 7);
        assert_eq!(code.digits, "281105000000000000000007");
        assert_eq!(PaymentCode::parse(&code.digits), Ok(code.clone()));
        assert_eq!(
            code.form,
            PaymentCodeForm::Routed {
                routing: "105".into()
            }
        );
        assert_eq!(code.linker_wallet().map(|w| w.name), Some("GCASH"));
        assert!(
            !code.is_test_wallet(),
            "a GCASH code is no TEST_WALLET code"
        );
        assert!(
            code.describe().contains("GCASH") && code.describe().contains("not the real"),
            "{}",
            code.describe()
        );
        let test = PaymentCode::test_wallet(7);
        assert_eq!(test.linker_wallet().map(|w| w.name), Some("TEST_WALLET"));
        let foreign = PaymentCode::parse("281123456789012345678901").unwrap();
        assert_eq!(
            foreign.linker_wallet(),
            None,
            "routing 123 is no Linker wallet's"
        );
        let other_head = PaymentCode::parse("251105000000000000000007").unwrap();
        assert_eq!(other_head.linker_wallet(), None, "Linker's codes start 281");
    }

    #[test]
    fn recognises_forms() {
        let routed = PaymentCode::parse("281123456789012345678901").unwrap();
        assert_eq!(
            routed.form,
            PaymentCodeForm::Routed {
                routing: "123".into()
            }
        );
        let main = PaymentCode::parse("123456021234567890123456").unwrap();
        assert!(
            matches!(main.form, PaymentCodeForm::Mainstream { .. }),
            "{main:?}"
        );
        let legacy = PaymentCode::parse("28123456789012345").unwrap();
        assert_eq!(
            legacy.form,
            PaymentCodeForm::Legacy {
                pattern: r"28\d{15}"
            }
        );
        let l19 = PaymentCode::parse("2891234567890612345").unwrap();
        assert_eq!(
            l19.form,
            PaymentCodeForm::Legacy {
                pattern: r"289\d{10}6\d{5}"
            }
        );
        assert_eq!(
            PaymentCode::parse("12345678901234567890").unwrap().form,
            PaymentCodeForm::Unrecognised
        );
    }

    #[test]
    fn rejects_non_codes() {
        assert_eq!(
            PaymentCode::parse("1234"),
            Err(PaymentCodeError::WrongLength(4))
        );
        assert_eq!(
            PaymentCode::parse(&"1".repeat(33)),
            Err(PaymentCodeError::WrongLength(33))
        );
        assert_eq!(
            PaymentCode::parse("28123456789012345a"),
            Err(PaymentCodeError::NotDigits)
        );
        assert_eq!(PaymentCode::parse(""), Err(PaymentCodeError::NotDigits));
    }
}
