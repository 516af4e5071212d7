//! Settings: the hub URL, the wallet under test, the language and the payment code's refresh
//! interval, persisted in the local store.

use rusqlite::{OptionalExtension, params};
use serde::{Deserialize, Serialize};

use crate::{Wallet, WalletError};

/// The wallets the merchant can test against, and one of them: the list lives in linker-aplus
/// (`linker_aplus::wallets`), which the hub plays from too, so both always agree.
pub use linker_aplus::wallets::{WALLETS, WalletUnderTest};

/// The app's language.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum Language {
    /// English.
    #[default]
    #[serde(rename = "en")]
    En,
    /// Simplified Chinese.
    #[serde(rename = "zh-CN")]
    ZhCn,
}

impl Language {
    /// The tag, `en` or `zh-CN`.
    pub fn tag(self) -> &'static str {
        match self {
            Language::En => "en",
            Language::ZhCn => "zh-CN",
        }
    }

    /// Reads a tag (case-insensitive; `zh`, `zh_CN` and `zh-Hans` mean Simplified Chinese).
    pub fn parse(tag: &str) -> Option<Language> {
        match tag.trim().to_ascii_lowercase().replace('_', "-").as_str() {
            "en" | "en-us" | "en-gb" => Some(Language::En),
            "zh-cn" | "zh" | "zh-hans" => Some(Language::ZhCn),
            _ => None,
        }
    }
}

/// The shortest payment-code refresh interval accepted, in seconds.
pub const MIN_REFRESH_SECS: u32 = 10;
/// The longest: a TEST_WALLET code is accepted by the hub for 60 s.
pub const MAX_REFRESH_SECS: u32 = 60;

/// The wallet's settings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Settings {
    /// The hub's URL, e.g. `http://127.0.0.1:8480`.
    pub hub_url: String,
    /// The wallet under test (a name of [`WALLETS`]).
    pub wallet: WalletUnderTest,
    /// The app's language.
    pub language: Language,
    /// Seconds between payment codes (10 to 60; 60 by default).
    pub code_refresh_secs: u32,
}

/// A change of settings: each field given is checked and stored.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SettingsUpdate {
    /// A new hub URL (`http://` or `https://`); signing in again is needed after a change.
    pub hub_url: Option<String>,
    /// A wallet name from [`WALLETS`] (case-insensitive).
    pub wallet: Option<String>,
    /// `en` or `zh-CN`.
    pub language: Option<String>,
    /// Seconds between payment codes.
    pub code_refresh_secs: Option<u32>,
}

fn check_hub_url(url: &str) -> Result<String, WalletError> {
    let url = url.trim().trim_end_matches('/');
    let rest = url
        .strip_prefix("http://")
        .or_else(|| url.strip_prefix("https://"));
    match rest {
        Some(rest) if !rest.is_empty() && !rest.contains(char::is_whitespace) => Ok(url.to_owned()),
        _ => Err(WalletError::InvalidSetting {
            name: "hubUrl".to_owned(),
            message: format!("{url:?} is not an http:// or https:// URL"),
        }),
    }
}

impl Wallet {
    fn setting(&self, key: &str) -> Result<Option<String>, WalletError> {
        self.store().with(|c| {
            c.query_row("SELECT value FROM settings WHERE key = ?1", [key], |row| {
                row.get(0)
            })
            .optional()
        })
    }

    /// The current settings (defaults for what was never set).
    pub fn settings(&self) -> Result<Settings, WalletError> {
        let hub_url = self
            .setting("hub_url")?
            .unwrap_or_else(|| self.inner.options.default_hub_url.clone());
        let wallet = self
            .setting("wallet")?
            .and_then(|name| WALLETS.iter().find(|w| w.name == name).copied())
            .unwrap_or(WALLETS[0]);
        let language = self
            .setting("language")?
            .and_then(|tag| Language::parse(&tag))
            .unwrap_or_default();
        let code_refresh_secs = self
            .setting("code_refresh_secs")?
            .and_then(|text| text.parse().ok())
            .filter(|secs| (MIN_REFRESH_SECS..=MAX_REFRESH_SECS).contains(secs))
            .unwrap_or(MAX_REFRESH_SECS);
        Ok(Settings {
            hub_url,
            wallet,
            language,
            code_refresh_secs,
        })
    }

    /// Checks and stores the settings given; nothing is stored when one is wrong. Changing the
    /// hub URL ends the session (it belonged to the other hub); switching the wallet under test
    /// takes effect at once (no restart).
    pub fn update_settings(&self, update: SettingsUpdate) -> Result<Settings, WalletError> {
        let mut values: Vec<(&str, String)> = Vec::new();
        if let Some(url) = &update.hub_url {
            if self.inner.options.hub_url_fixed {
                return Err(WalletError::HubUrlFixed);
            }
            values.push(("hub_url", check_hub_url(url)?));
        }
        if let Some(name) = &update.wallet {
            let found = WALLETS
                .iter()
                .find(|w| w.name.eq_ignore_ascii_case(name.trim()))
                .ok_or_else(|| WalletError::InvalidSetting {
                    name: "wallet".to_owned(),
                    message: format!(
                        "{name:?} is not a wallet; choose one of {}",
                        linker_aplus::wallets::names()
                    ),
                })?;
            values.push(("wallet", found.name.to_owned()));
        }
        if let Some(tag) = &update.language {
            let language = Language::parse(tag).ok_or_else(|| WalletError::InvalidSetting {
                name: "language".to_owned(),
                message: format!("{tag:?} is not a language; use en or zh-CN"),
            })?;
            values.push(("language", language.tag().to_owned()));
        }
        if let Some(secs) = update.code_refresh_secs {
            if !(MIN_REFRESH_SECS..=MAX_REFRESH_SECS).contains(&secs) {
                return Err(WalletError::InvalidSetting {
                    name: "codeRefreshSecs".to_owned(),
                    message: format!(
                        "{secs} s is out of range: a payment code refreshes every \
                         {MIN_REFRESH_SECS} to {MAX_REFRESH_SECS} s (the hub accepts a code for 60 s)"
                    ),
                });
            }
            values.push(("code_refresh_secs", secs.to_string()));
        }
        let before = self.settings()?;
        self.store().with(|c| {
            let transaction = c.transaction()?;
            for (key, value) in &values {
                transaction.execute(
                    "INSERT INTO settings (key, value) VALUES (?1, ?2) \
                     ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                    params![key, value],
                )?;
            }
            transaction.commit()
        })?;
        let after = self.settings()?;
        if after.hub_url != before.hub_url {
            self.end_session_locally("the hub URL changed")?;
        }
        Ok(after)
    }

    /// The User-Agent the wallet's web view sends to entry-code and cashier pages: `AlipayConnect`
    /// is how an ACQP's page recognises an Alipay+ wallet.
    pub fn web_view_user_agent(&self) -> Result<String, WalletError> {
        Ok(format!(
            "Mozilla/5.0 AlipayConnect LinkerWallet/{} {}",
            env!("CARGO_PKG_VERSION"),
            self.settings()?.wallet.name
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn languages_and_urls_are_read_tolerantly_and_checked() {
        assert_eq!(Language::parse("zh_CN"), Some(Language::ZhCn));
        assert_eq!(Language::parse("EN"), Some(Language::En));
        assert_eq!(Language::parse("fr"), None);
        assert_eq!(
            check_hub_url(" http://127.0.0.1:8480/ ").unwrap(),
            "http://127.0.0.1:8480"
        );
        assert!(check_hub_url("ftp://x").is_err());
        assert!(check_hub_url("http://").is_err());
    }
}
