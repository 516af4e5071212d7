//! `TEST_WALLET`: the wallet Linker plays (spec: "TEST_WALLET (ours)"), as the hub names it in
//! its answers and callbacks and the wallet app lists it among the wallets under test. Its
//! payment codes are in [`crate::code`] (`281` + routing `999`).

/// The wallet's name: `walletBrandName`, `customerBelongsTo`, a `paymentMethodType`.
pub const TEST_WALLET: &str = "TEST_WALLET";

/// `TEST_WALLET`'s `pspId`.
pub const TEST_WALLET_PSP_ID: &str = "1022999000000000001";
