//! The wallets (MPPs) a merchant can test against, as the hub plays them and the wallet app lists
//! them: each one's `pspId` (spec §2), brand name, home currency, the products it supports (the
//! public MPP capability list: DANA has neither in-store product), and what Linker makes up for
//! it because the real values are not public.
//!
//! Linker's own (not the real issuers'):
//! - **Routing numbers** in payment codes (`281` + routing + 18 digits): `999` TEST_WALLET (spec
//!   §4), `101` ALIPAY_CN, `102` ALIPAY_HK, `103` TRUEMONEY, `104` TNG, `105` GCASH, `106` DANA,
//!   `107` KAKAOPAY. The real issuers' routing numbers are not public; these only name the wallet
//!   inside Linker.
//! - **Customer ids**: 16 digits, a 4-digit prefix per wallet and 12 random digits: `2188`
//!   TEST_WALLET (as before), then `2101` to `2107` in the order of the routing numbers.
//! - **Brand names** (`walletBrandName`): TEST_WALLET keeps its name; the others use their public
//!   brand, e.g. `GCash`, `Touch 'n Go eWallet`.

use serde::Serialize;

use crate::test_wallet::{TEST_WALLET, TEST_WALLET_PSP_ID};

/// A product a wallet may support (spec §2's capability table).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum WalletProduct {
    /// User-presented Mode: the wallet shows a payment code.
    Upm,
    /// Merchant-presented Mode: the wallet scans an order code or an entry code.
    Mpm,
    /// Cashier Payment (online checkout).
    Cashier,
    /// Auto Debit.
    AutoDebit,
}

impl WalletProduct {
    /// The product for people, e.g. `User-presented Mode (UPM)`.
    pub fn name(self) -> &'static str {
        match self {
            WalletProduct::Upm => "User-presented Mode (UPM)",
            WalletProduct::Mpm => "Merchant-presented Mode (MPM)",
            WalletProduct::Cashier => "Cashier Payment",
            WalletProduct::AutoDebit => "Auto Debit",
        }
    }
}

/// What a wallet supports: one flag per product.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct WalletProducts {
    /// User-presented Mode.
    pub upm: bool,
    /// Merchant-presented Mode.
    pub mpm: bool,
    /// Cashier Payment.
    pub cashier: bool,
    /// Auto Debit.
    pub auto_debit: bool,
}

const EVERY_PRODUCT: WalletProducts = WalletProducts {
    upm: true,
    mpm: true,
    cashier: true,
    auto_debit: true,
};

/// A wallet the merchant can test against (`pspId`, also called `counterParticipantId`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct WalletUnderTest {
    /// The name, e.g. `GCASH`.
    pub name: &'static str,
    /// Its pspId.
    pub psp_id: &'static str,
    /// Its `walletBrandName`, e.g. `GCash`.
    pub brand_name: &'static str,
    /// The currency its customers hold (`None`: they pay in the order's currency, as
    /// `TEST_WALLET` does).
    pub currency: Option<&'static str>,
    /// The routing number of its payment codes (Linker's own, see the module's documentation).
    pub routing: &'static str,
    /// The first digits of its customer ids (Linker's own).
    pub customer_prefix: &'static str,
    /// The products it supports.
    pub products: WalletProducts,
}

const fn wallet(
    name: &'static str,
    psp_id: &'static str,
    brand_name: &'static str,
    currency: &'static str,
    routing: &'static str,
    customer_prefix: &'static str,
) -> WalletUnderTest {
    WalletUnderTest {
        name,
        psp_id,
        brand_name,
        currency: Some(currency),
        routing,
        customer_prefix,
        products: EVERY_PRODUCT,
    }
}

/// Every wallet of the spec's list, `TEST_WALLET` (Linker's own, every product) first.
pub const WALLETS: [WalletUnderTest; 8] = [
    WalletUnderTest {
        name: TEST_WALLET,
        psp_id: TEST_WALLET_PSP_ID,
        brand_name: TEST_WALLET,
        currency: None,
        routing: "999",
        customer_prefix: "2188",
        products: EVERY_PRODUCT,
    },
    wallet(
        "ALIPAY_CN",
        "1022088000000000001",
        "Alipay",
        "CNY",
        "101",
        "2101",
    ),
    wallet(
        "ALIPAY_HK",
        "1022160000000000000",
        "AlipayHK",
        "HKD",
        "102",
        "2102",
    ),
    wallet(
        "TRUEMONEY",
        "1022167000000000001",
        "TrueMoney",
        "THB",
        "103",
        "2103",
    ),
    wallet(
        "TNG",
        "1022171000000000001",
        "Touch 'n Go eWallet",
        "MYR",
        "104",
        "2104",
    ),
    wallet(
        "GCASH",
        "1022170000000000000",
        "GCash",
        "PHP",
        "105",
        "2105",
    ),
    WalletUnderTest {
        products: WalletProducts {
            upm: false,
            mpm: false,
            cashier: true,
            auto_debit: true,
        },
        ..wallet("DANA", "1022166000000000001", "DANA", "IDR", "106", "2106")
    },
    wallet(
        "KAKAOPAY",
        "1022172000000000001",
        "KakaoPay",
        "KRW",
        "107",
        "2107",
    ),
];

/// `TEST_WALLET`, the wallet Linker plays unless another is chosen.
pub fn test_wallet() -> &'static WalletUnderTest {
    &WALLETS[0]
}

/// The wallet with this name (case-insensitive, surrounding spaces ignored).
pub fn find(name: &str) -> Option<&'static WalletUnderTest> {
    WALLETS
        .iter()
        .find(|w| w.name.eq_ignore_ascii_case(name.trim()))
}

/// The wallet whose payment codes carry this routing number.
pub fn by_routing(routing: &str) -> Option<&'static WalletUnderTest> {
    WALLETS.iter().find(|w| w.routing == routing)
}

/// Every wallet's name, comma-separated, for messages.
pub fn names() -> String {
    WALLETS.map(|w| w.name).join(", ")
}

impl WalletUnderTest {
    /// True when the wallet supports `product`.
    pub fn supports(&self, product: WalletProduct) -> bool {
        match product {
            WalletProduct::Upm => self.products.upm,
            WalletProduct::Mpm => self.products.mpm,
            WalletProduct::Cashier => self.products.cashier,
            WalletProduct::AutoDebit => self.products.auto_debit,
        }
    }

    /// True for `TEST_WALLET`.
    pub fn is_test_wallet(&self) -> bool {
        self.name == TEST_WALLET
    }

    /// The currency its customers pay in for an order in `order_currency`.
    pub fn customer_currency<'a>(&self, order_currency: &'a str) -> &'a str {
        self.currency.unwrap_or(order_currency)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_routing_numbers_psp_ids_and_customer_prefixes_are_unique() {
        for (i, a) in WALLETS.iter().enumerate() {
            for b in &WALLETS[i + 1..] {
                assert_ne!(a.name, b.name);
                assert_ne!(a.psp_id, b.psp_id, "{} and {}", a.name, b.name);
                assert_ne!(a.routing, b.routing, "{} and {}", a.name, b.name);
                assert_ne!(
                    a.customer_prefix, b.customer_prefix,
                    "{} and {}",
                    a.name, b.name
                );
            }
            assert_eq!(a.routing.len(), 3, "{}", a.name);
            assert_eq!(a.customer_prefix.len(), 4, "{}", a.name);
        }
    }

    #[test]
    fn dana_lacks_the_in_store_products_and_the_others_have_them() {
        let dana = find("dana").unwrap();
        assert!(!dana.supports(WalletProduct::Upm));
        assert!(!dana.supports(WalletProduct::Mpm));
        assert!(dana.supports(WalletProduct::Cashier));
        assert!(dana.supports(WalletProduct::AutoDebit));
        let gcash = find(" GCASH ").unwrap();
        assert!(gcash.supports(WalletProduct::Upm) && gcash.supports(WalletProduct::Mpm));
        assert_eq!(by_routing("105").map(|w| w.name), Some("GCASH"));
        assert_eq!(by_routing("999").map(|w| w.name), Some(TEST_WALLET));
        assert_eq!(by_routing("123"), None);
        assert_eq!(find("PAYPAL"), None);
        assert!(test_wallet().is_test_wallet());
        assert_eq!(test_wallet().customer_currency("JPY"), "JPY");
        assert_eq!(gcash.customer_currency("HKD"), "PHP");
    }
}
