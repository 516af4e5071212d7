//! The case catalogue: TOML files under `catalogue/`, one per product group, validated at load.
//!
//! A case marked `required = true` is required in sandbox acceptance testing of its product
//! ([`Catalogue::required_cases`]).
//!
//! A file holds `[[case]]` tables. Every key is known (`deny_unknown_fields`), every sandbox
//! behaviour and check name must exist, ids are unique across files: a mistake is a
//! [`LoadError`] naming the file, the case and the key, never silently ignored.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use linker_aplus::wallets::{WalletProduct, WalletUnderTest};
use serde::de::Error as _;
use serde::{Deserialize, Deserializer, Serialize};

use crate::check::Check;
use crate::progress::StepEvent;
use crate::sandbox::{Sandbox, reject_extra_keys};

/// The built-in catalogue files, embedded at build time.
pub const BUILTIN_FILES: &[(&str, &str)] = &[
    ("upm.toml", include_str!("../catalogue/upm.toml")),
    (
        "order-code.toml",
        include_str!("../catalogue/order-code.toml"),
    ),
    (
        "private-order-code.toml",
        include_str!("../catalogue/private-order-code.toml"),
    ),
    (
        "entry-code.toml",
        include_str!("../catalogue/entry-code.toml"),
    ),
    ("refund.toml", include_str!("../catalogue/refund.toml")),
    ("cancel.toml", include_str!("../catalogue/cancel.toml")),
    (
        "notification.toml",
        include_str!("../catalogue/notification.toml"),
    ),
    ("cashier.toml", include_str!("../catalogue/cashier.toml")),
    (
        "auto-debit.toml",
        include_str!("../catalogue/auto-debit.toml"),
    ),
];

/// The products a case belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Product {
    /// User-presented Mode: the POS scans the wallet's payment code.
    Upm,
    /// Merchant-presented Mode, Alipay+ order code.
    OrderCode,
    /// Merchant-presented Mode, the ACQP's private order code.
    PrivateOrderCode,
    /// Merchant-presented Mode, entry code.
    EntryCode,
    /// Cashier (online) payment.
    Cashier,
    /// Auto Debit.
    AutoDebit,
    /// Any product (refund, cancel and notification cases).
    Any,
}

impl Product {
    /// Every product, in declaration order.
    pub const ALL: [Product; 7] = [
        Product::Upm,
        Product::OrderCode,
        Product::PrivateOrderCode,
        Product::EntryCode,
        Product::Cashier,
        Product::AutoDebit,
        Product::Any,
    ];

    /// The product as the catalogue, the hub's JSON and machine-read exports write it
    /// (`ORDER_CODE`).
    pub fn code(self) -> &'static str {
        match self {
            Product::Upm => "UPM",
            Product::OrderCode => "ORDER_CODE",
            Product::PrivateOrderCode => "PRIVATE_ORDER_CODE",
            Product::EntryCode => "ENTRY_CODE",
            Product::Cashier => "CASHIER",
            Product::AutoDebit => "AUTO_DEBIT",
            Product::Any => "ANY",
        }
    }

    /// The product's English name as Alipay+ writes it (`Order Code`), for people: the console
    /// and reports. The wallet app's names, English and Chinese, are in `ui/i18n.js`.
    pub fn name(self) -> &'static str {
        match self {
            Product::Upm => "User-presented Mode",
            Product::OrderCode => "Order Code",
            Product::PrivateOrderCode => "Private Order Code",
            Product::EntryCode => "Entry Code",
            Product::Cashier => "Cashier Payment",
            Product::AutoDebit => "Auto Debit",
            Product::Any => "Any product",
        }
    }

    /// The product whose [`code`](Product::code) is `code` (`ORDER_CODE`), if any.
    pub fn from_code(code: &str) -> Option<Product> {
        Product::ALL.into_iter().find(|p| p.code() == code)
    }
}

/// Who presents the code in a run: what the customer does, and the tool the wallet opens with.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Mode {
    /// The customer shows the wallet's payment code and the POS scans it.
    #[default]
    UserPresented,
    /// The merchant shows a code (order code, entry code) and the customer scans it.
    MerchantPresented,
}

/// What the headless runner (`linker run`) does for a case: the customer's side through the
/// wallet and the merchant's through the POS driver. Each name is one script of the runner.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Headless {
    /// The POS charges the wallet's payment code.
    Charge,
    /// The POS charges the payment code and the wallet confirms it after a moment (UPM-02).
    ChargeThenConfirm,
    /// The POS shows an order code; the wallet scans it and pays.
    OrderCodePay,
    /// The wallet scans the order code, then backs out without paying.
    OrderCodeBackOut,
    /// The wallet scans the order code only after it expired.
    OrderCodeExpired,
    /// The POS shows a private order code; the wallet scans it and pays.
    PrivateCodePay,
    /// The wallet scans a private order code the ACQP never issued.
    PrivateCodeUnknown,
    /// The wallet opens the merchant's entry-code page and pays there.
    EntryCode,
    /// A paid sale, refunded in full.
    RefundWhole,
    /// A paid sale, refunded in parts (30 %, 30 %, then 50 %: one too many).
    RefundInParts,
    /// A paid sale, voided at the POS.
    VoidPaidSale,
    /// A paid sale (the notification is what is tested).
    PaidSale,
    /// The site starts a cashier checkout; the wallet opens its payment page, pays, and returns.
    CashierPay,
    /// The site starts a cashier checkout; the wallet opens its page and leaves without paying.
    CashierBackOut,
    /// The site links the wallet (Auto Debit); the wallet authorizes; the site debits.
    AuthorizeAndDebit,
    /// The site links the wallet; the wallet authorizes, then revokes; the site debits again.
    UnbindInWallet,
    /// The site links the wallet; the wallet authorizes; the site unlinks it.
    MerchantUnbinds,
}

/// One step for the merchant at their POS.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Step {
    /// What to do.
    pub instruction: String,
    /// What should happen.
    pub expected: String,
    /// The event that completes the step in a run (`done_when = "payment-succeeded"`): the
    /// app's checklist ticks the step exactly when it is in the run's record. A step without
    /// one is ticked by nothing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub done_when: Option<StepEvent>,
}

/// A yes/no answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Answer {
    /// Yes.
    Yes,
    /// No.
    No,
}

impl Answer {
    /// `true` for yes.
    pub fn as_bool(self) -> bool {
        self == Answer::Yes
    }

    /// `"yes"` or `"no"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Answer::Yes => "yes",
            Answer::No => "no",
        }
    }
}

/// A question the merchant answers in the app (what the hub cannot see: the POS screen).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ManualQuestion {
    /// Unique within the case, kebab-case, e.g. `pos-shows-success`.
    pub id: String,
    /// The question as shown.
    pub question: String,
    /// The answer a correct integration gives.
    pub expected: Answer,
}

/// One case of the catalogue.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CaseDef {
    /// E.g. `UPM-04`.
    pub id: String,
    /// The product it tests.
    pub product: Product,
    /// A short title.
    pub title: String,
    /// Who presents the code: the customer (the default) or the merchant.
    #[serde(default)]
    pub mode: Mode,
    /// What is being tested and why.
    pub summary: String,
    /// What the merchant does, step by step.
    pub steps: Vec<Step>,
    /// The hub's scripted behaviour.
    #[serde(default)]
    pub sandbox: Sandbox,
    /// The checks on the ACQP, besides the protocol checks every run applies.
    #[serde(default, deserialize_with = "check_list")]
    pub checks: Vec<Check>,
    /// Questions the merchant answers.
    #[serde(default)]
    pub manual: Vec<ManualQuestion>,
    /// How long a run may take, in seconds, from its start.
    #[serde(rename = "timeout")]
    pub timeout_secs: u64,
    /// False for cases listed but not yet runnable.
    pub implemented: bool,
    /// True when the case is required in sandbox acceptance testing of its product (TSP mode):
    /// a case of any product (refund, cancel, notification) marked so is required of every
    /// selection. Only an implemented case the headless runner can run may be required.
    #[serde(default)]
    pub required: bool,
    /// What the headless runner does for this case (every implemented case names one). Not
    /// sent to wallets: it is the runner's, not the merchant's.
    #[serde(default, skip_serializing)]
    pub headless: Option<Headless>,
    /// The catalogue file the case came from.
    #[serde(skip_deserializing, default)]
    pub file: String,
}

impl CaseDef {
    /// The product a wallet must support to take part in this case: the case's own product, and
    /// for a case of any product the one its customer uses (a payment code when the customer
    /// presents, a scanned code when the merchant does).
    pub fn wallet_product(&self) -> WalletProduct {
        match self.product {
            Product::Upm => WalletProduct::Upm,
            Product::OrderCode | Product::PrivateOrderCode | Product::EntryCode => {
                WalletProduct::Mpm
            }
            Product::Cashier => WalletProduct::Cashier,
            Product::AutoDebit => WalletProduct::AutoDebit,
            Product::Any => match self.mode {
                Mode::UserPresented => WalletProduct::Upm,
                Mode::MerchantPresented => WalletProduct::Mpm,
            },
        }
    }

    /// Why this case cannot run with `wallet` as the wallet under test (a product it lacks, spec
    /// §2's capability table), naming the wallet and the product; `None` when it can.
    pub fn not_runnable_with(&self, wallet: &WalletUnderTest) -> Option<String> {
        let product = self.wallet_product();
        if wallet.supports(product) {
            return None;
        }
        let how = if self.product == Product::Any {
            format!("{} pays with {}", self.id, product.name())
        } else {
            format!("{} tests {}", self.id, product.name())
        };
        Some(format!(
            "{how}, which {} does not support: choose another wallet under test (TEST_WALLET \
             supports every case)",
            wallet.name
        ))
    }
}

/// Reads `checks = ["name", { check = "name", param = 1 }]`, naming unknown checks.
fn check_list<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Vec<Check>, D::Error> {
    let values = Vec::<toml::Value>::deserialize(deserializer)?;
    values
        .into_iter()
        .enumerate()
        .map(|(i, value)| {
            let value = match value {
                toml::Value::String(name) => {
                    let mut table = toml::Table::new();
                    table.insert("check".to_owned(), toml::Value::String(name));
                    toml::Value::Table(table)
                }
                other => other,
            };
            let name = value
                .get("check")
                .and_then(toml::Value::as_str)
                .ok_or_else(|| {
                    D::Error::custom(format!(
                        "[{i}]: a check is a name or a table with a `check` name"
                    ))
                })?
                .to_owned();
            if !Check::NAMES.contains(&name.as_str()) {
                return Err(D::Error::custom(format!("[{i}]: unknown check {name:?}")));
            }
            let check: Check = value.clone().try_into().map_err(|e: toml::de::Error| {
                D::Error::custom(format!("[{i}]: check {name:?}: {}", e.message()))
            })?;
            reject_extra_keys(&value, &check).map_err(|key| {
                D::Error::custom(format!("[{i}]: check {name:?}: unknown field `{key}`"))
            })?;
            Ok(check)
        })
        .collect()
}

/// Why a catalogue did not load.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file}: {}{}{message}", case.as_ref().map(|c| format!("case {c}: ")).unwrap_or_default(), key.as_ref().map(|k| format!("{k}: ")).unwrap_or_default())]
pub struct LoadError {
    /// The file, e.g. `upm.toml`.
    pub file: String,
    /// The case id (or `#3` when it has none), when the error is in a case.
    pub case: Option<String>,
    /// The key path, e.g. `steps[0].expected`, when known.
    pub key: Option<String>,
    /// What is wrong.
    pub message: String,
}

/// The loaded, validated catalogue.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Catalogue {
    cases: Vec<CaseDef>,
}

static BUILTIN: OnceLock<Result<Catalogue, LoadError>> = OnceLock::new();

impl Catalogue {
    /// The built-in catalogue, parsed once. An error means a broken build (the tests load it).
    pub fn builtin() -> Result<&'static Catalogue, LoadError> {
        BUILTIN
            .get_or_init(|| Catalogue::parse_files(BUILTIN_FILES))
            .as_ref()
            .map_err(Clone::clone)
    }

    /// Parses one file's text (`name` is used in errors).
    pub fn parse(name: &str, text: &str) -> Result<Catalogue, LoadError> {
        Catalogue::parse_files(&[(name, text)])
    }

    /// Parses several files as one catalogue; ids must be unique across them.
    pub fn parse_files(files: &[(&str, &str)]) -> Result<Catalogue, LoadError> {
        let mut cases: Vec<CaseDef> = Vec::new();
        let mut seen: BTreeMap<String, String> = BTreeMap::new();
        for (name, text) in files {
            for case in parse_file(name, text)? {
                if let Some(other) = seen.get(&case.id) {
                    return Err(LoadError {
                        file: (*name).to_owned(),
                        case: Some(case.id.clone()),
                        key: Some("id".to_owned()),
                        message: format!("duplicate id (also in {other})"),
                    });
                }
                seen.insert(case.id.clone(), (*name).to_owned());
                cases.push(case);
            }
        }
        Ok(Catalogue { cases })
    }

    /// The case `id`, e.g. `UPM-01`.
    pub fn case(&self, id: &str) -> Option<&CaseDef> {
        self.cases.iter().find(|c| c.id == id)
    }

    /// Every case, in file order.
    pub fn cases(&self) -> &[CaseDef] {
        &self.cases
    }

    /// The cases of one product, in file order.
    pub fn by_product(&self, product: Product) -> impl Iterator<Item = &CaseDef> {
        self.cases.iter().filter(move |c| c.product == product)
    }

    /// The cases sandbox acceptance testing requires of an application that selected
    /// `products`, in catalogue order: the required cases of those products, and the required
    /// cases of any product (refund, cancel, notification) as soon as one product is selected.
    /// No product selected: none.
    pub fn required_cases(&self, products: &[Product]) -> Vec<&CaseDef> {
        if products.is_empty() {
            return Vec::new();
        }
        self.cases
            .iter()
            .filter(|c| c.required && (c.product == Product::Any || products.contains(&c.product)))
            .collect()
    }

    /// The products that have cases, in declaration order.
    pub fn products(&self) -> Vec<Product> {
        let mut products: Vec<Product> = self.cases.iter().map(|c| c.product).collect();
        products.sort();
        products.dedup();
        products
    }
}

fn parse_file(name: &str, text: &str) -> Result<Vec<CaseDef>, LoadError> {
    let error = |case: Option<String>, key: Option<String>, message: String| LoadError {
        file: name.to_owned(),
        case,
        key,
        message,
    };
    let table: toml::Table =
        toml::from_str(text).map_err(|e| error(None, None, e.to_string().trim().to_owned()))?;
    let mut cases = Vec::new();
    for (key, value) in table {
        if key != "case" {
            return Err(error(
                None,
                Some(key),
                "unknown key (a catalogue file holds [[case]] tables only)".to_owned(),
            ));
        }
        let toml::Value::Array(items) = value else {
            return Err(error(
                None,
                Some(key),
                "must be an array of tables ([[case]])".to_owned(),
            ));
        };
        for (i, item) in items.into_iter().enumerate() {
            let label = item
                .get("id")
                .and_then(toml::Value::as_str)
                .map(str::to_owned)
                .unwrap_or_else(|| format!("#{}", i + 1));
            let mut case: CaseDef = serde_path_to_error::deserialize(item).map_err(|e| {
                let path = e.path().to_string();
                let message = e.inner().message().to_owned();
                // A list reader reports the element as `[i]: ...`; fold it into the key.
                let (path, message) = match message
                    .strip_prefix('[')
                    .and_then(|m| m.split_once("]: "))
                    .filter(|(i, _)| i.parse::<usize>().is_ok())
                {
                    Some((i, rest)) => (format!("{path}[{i}]"), rest.to_owned()),
                    None => (path, message),
                };
                let key = (path != ".").then_some(path);
                error(Some(label.clone()), key, message)
            })?;
            case.file = name.to_owned();
            validate(&case)
                .map_err(|(key, message)| error(Some(label.clone()), Some(key), message))?;
            cases.push(case);
        }
    }
    Ok(cases)
}

/// Rules beyond the types: id form, non-empty texts, unique question ids.
fn validate(case: &CaseDef) -> Result<(), (String, String)> {
    let id_ok = {
        let b = case.id.as_bytes();
        b.len() == 6
            && b[..3].iter().all(u8::is_ascii_uppercase)
            && b[3] == b'-'
            && b[4..].iter().all(u8::is_ascii_digit)
    };
    if !id_ok {
        return Err((
            "id".into(),
            format!("{:?} is not of the form ABC-01", case.id),
        ));
    }
    for (key, text) in [("title", &case.title), ("summary", &case.summary)] {
        if text.trim().is_empty() {
            return Err((key.into(), "empty".into()));
        }
    }
    if case.steps.is_empty() {
        return Err(("steps".into(), "a case needs at least one step".into()));
    }
    for (i, step) in case.steps.iter().enumerate() {
        if step.instruction.trim().is_empty() || step.expected.trim().is_empty() {
            return Err((
                format!("steps[{i}]"),
                "instruction and expected must not be empty".into(),
            ));
        }
    }
    if case.timeout_secs == 0 {
        return Err(("timeout".into(), "must be at least 1 second".into()));
    }
    if case.implemented && case.headless.is_none() {
        return Err((
            "headless".into(),
            "an implemented case names what the headless runner does".into(),
        ));
    }
    if case.required && (!case.implemented || case.headless.is_none()) {
        return Err((
            "required".into(),
            "a required case must be implemented and name what the headless runner does".into(),
        ));
    }
    if case.implemented && case.checks.is_empty() && case.manual.is_empty() {
        return Err(("checks".into(), "an implemented case needs checks".into()));
    }
    let mut ids = Vec::new();
    for (i, q) in case.manual.iter().enumerate() {
        if q.id.trim().is_empty() || q.question.trim().is_empty() {
            return Err((
                format!("manual[{i}]"),
                "id and question must not be empty".into(),
            ));
        }
        if ids.contains(&&q.id) {
            return Err((
                format!("manual[{i}].id"),
                format!("duplicate question id {:?}", q.id),
            ));
        }
        ids.push(&q.id);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    #[test]
    fn dana_cannot_run_in_store_cases_and_says_why_while_other_wallets_can() {
        let catalogue = Catalogue::builtin().unwrap();
        let dana = linker_aplus::wallets::find("DANA").unwrap();
        let gcash = linker_aplus::wallets::find("GCASH").unwrap();
        let upm = catalogue.case("UPM-01").unwrap();
        let why = upm.not_runnable_with(dana).unwrap_or_default();
        assert!(
            why.contains("DANA") && why.contains("User-presented Mode") && why.contains("UPM-01"),
            "names the wallet, the product and the case: {why}"
        );
        assert_eq!(upm.not_runnable_with(gcash), None, "GCash has UPM");
        let refund = catalogue.case("RFD-01").unwrap();
        let why = refund.not_runnable_with(dana).unwrap_or_default();
        assert!(
            why.contains("pays with User-presented Mode"),
            "a case of any product needs the product its customer uses: {why}"
        );
        for id in ["MOC-01", "MPC-01", "MEC-01"] {
            let case = catalogue.case(id).unwrap();
            assert!(
                case.not_runnable_with(dana)
                    .is_some_and(|why| why.contains("Merchant-presented Mode")),
                "{id} needs MPM"
            );
        }
        for id in ["CSH-01", "ADB-01"] {
            let case = catalogue.case(id).unwrap();
            assert_eq!(
                case.not_runnable_with(dana),
                None,
                "DANA has {id}'s product"
            );
        }
        for case in catalogue.cases() {
            assert_eq!(
                case.not_runnable_with(linker_aplus::wallets::test_wallet()),
                None,
                "TEST_WALLET runs {}",
                case.id
            );
        }
    }

    const MINIMAL: &str = r#"
[[case]]
id = "UPM-09"
product = "UPM"
title = "T"
summary = "S"
timeout = 60
implemented = true
headless = "charge"
checks = ["pay-received"]
[[case.steps]]
instruction = "Do it."
expected = "It works."
"#;

    fn error(text: &str) -> String {
        Catalogue::parse("upm.toml", text).unwrap_err().to_string()
    }

    #[test]
    fn every_implemented_case_names_its_headless_script_and_a_missing_or_unknown_one_is_refused() {
        for case in Catalogue::builtin().unwrap().cases() {
            assert_eq!(
                case.headless.is_some(),
                case.implemented,
                "{}: an implemented case, and only one, names what `linker run` does",
                case.id
            );
        }
        let missing = error(&MINIMAL.replace("headless = \"charge\"\n", ""));
        assert!(
            missing.contains("headless") && missing.contains("UPM-09"),
            "a case without its script is refused, naming the key and the case: {missing}"
        );
        let unknown = error(&MINIMAL.replace("\"charge\"", "\"wave-at-the-pos\""));
        assert!(
            unknown.contains("wave-at-the-pos"),
            "an unknown script is refused, naming it: {unknown}"
        );
        let json = serde_json::to_value(&Catalogue::parse("upm.toml", MINIMAL).unwrap().cases()[0])
            .unwrap();
        assert!(
            json.get("headless").is_none(),
            "the runner's script is not sent to wallets: {json}"
        );
    }

    #[test]
    fn every_implemented_step_names_the_event_that_completes_it_and_an_unknown_one_is_refused() {
        // cashier.toml and auto-debit.toml are being written elsewhere; their cases may name
        // none yet (the field is optional, so they load).
        let others = ["cashier.toml", "auto-debit.toml"];
        for case in Catalogue::builtin().unwrap().cases() {
            if !case.implemented || others.contains(&case.file.as_str()) {
                continue;
            }
            for (i, step) in case.steps.iter().enumerate() {
                assert!(
                    step.done_when.is_some(),
                    "{} ({}) steps[{i}] {:?} names no done_when event",
                    case.id,
                    case.file,
                    step.instruction
                );
            }
        }
        let named = MINIMAL.replace(
            "expected = \"It works.\"",
            "expected = \"It works.\"\ndone_when = \"payment-succeeded\"",
        );
        let catalogue = Catalogue::parse("upm.toml", &named).unwrap();
        assert_eq!(
            catalogue.cases()[0].steps[0].done_when,
            Some(StepEvent::PaymentSucceeded),
            "a known event loads"
        );
        let unknown = error(&named.replace("payment-succeeded", "payment-paid"));
        assert!(
            unknown.starts_with("upm.toml: case UPM-09: steps[0].done_when: ")
                && unknown.contains("payment-paid"),
            "an unknown event is refused, naming the file, the case, the key and the name: {unknown}"
        );
        assert_eq!(
            Catalogue::parse("upm.toml", MINIMAL).unwrap().cases()[0].steps[0].done_when,
            None,
            "the field is optional"
        );
    }

    #[test]
    fn the_merchant_presents_exactly_in_the_order_code_and_entry_code_cases() {
        for case in Catalogue::builtin().unwrap().cases() {
            let merchant_presents = matches!(
                case.product,
                Product::OrderCode
                    | Product::PrivateOrderCode
                    | Product::EntryCode
                    | Product::Cashier
                    | Product::AutoDebit
            );
            let expected = if merchant_presents {
                Mode::MerchantPresented
            } else {
                Mode::UserPresented
            };
            assert_eq!(case.mode, expected, "{} mode", case.id);
        }
        assert_eq!(
            Catalogue::parse("upm.toml", MINIMAL).unwrap().cases()[0].mode,
            Mode::UserPresented
        );
    }

    #[test]
    fn builtin_catalogue_loads_every_case_of_the_spec_table() {
        let catalogue = Catalogue::builtin().unwrap();
        let ids: Vec<&str> = catalogue.cases().iter().map(|c| c.id.as_str()).collect();
        let expected = [
            "UPM-01", "UPM-02", "UPM-03", "UPM-04", "UPM-05", "UPM-06", "UPM-07", "MOC-01",
            "MOC-02", "MOC-03", "MOC-04", "MOC-05", "MPC-01", "MPC-02", "MEC-01", "RFD-01",
            "RFD-02", "RFD-03", "CAN-01", "CAN-02", "NTF-01", "NTF-02", "CSH-01", "CSH-02",
            "CSH-03", "ADB-01", "ADB-02", "ADB-03",
        ];
        assert_eq!(ids, expected, "catalogue ids");
        for case in catalogue.cases() {
            assert!(case.implemented, "{} implemented: every case runs", case.id);
            assert!(!case.file.is_empty(), "{} file", case.id);
        }
        assert_eq!(catalogue.by_product(Product::Upm).count(), 7);
        assert_eq!(catalogue.by_product(Product::Any).count(), 7);
        assert_eq!(catalogue.products().len(), 7);
        assert_eq!(
            catalogue.case("UPM-04").unwrap().title,
            "User never confirms"
        );
        assert!(catalogue.case("UPM-99").is_none());
    }

    #[test]
    fn each_product_requires_its_happy_path_and_key_failures_plus_refund_cancel_and_notification() {
        let catalogue = Catalogue::builtin().unwrap();
        let any = ["RFD-01", "CAN-01", "NTF-01"];
        let expected: [(Product, &[&str]); 6] = [
            (Product::Upm, &["UPM-01", "UPM-03", "UPM-05"]),
            (Product::OrderCode, &["MOC-01", "MOC-03", "MOC-05"]),
            (Product::PrivateOrderCode, &["MPC-01", "MPC-02"]),
            (Product::EntryCode, &["MEC-01"]),
            (Product::Cashier, &["CSH-01", "CSH-02"]),
            (Product::AutoDebit, &["ADB-01", "ADB-02"]),
        ];
        for (product, own) in expected {
            let ids: Vec<&str> = catalogue
                .required_cases(&[product])
                .iter()
                .map(|c| c.id.as_str())
                .collect();
            // Catalogue order: the online products' files come after refund, cancel and
            // notification.
            let online = matches!(product, Product::Cashier | Product::AutoDebit);
            let want: Vec<&str> = if online {
                any.iter().chain(own).copied().collect()
            } else {
                own.iter().chain(&any).copied().collect()
            };
            assert_eq!(ids, want, "required cases of {}", product.code());
        }
        let both: Vec<&str> = catalogue
            .required_cases(&[Product::OrderCode, Product::Upm])
            .iter()
            .map(|c| c.id.as_str())
            .collect();
        assert_eq!(
            both,
            [
                "UPM-01", "UPM-03", "UPM-05", "MOC-01", "MOC-03", "MOC-05", "RFD-01", "CAN-01",
                "NTF-01"
            ],
            "two products: both sets once, in catalogue order"
        );
        assert!(
            catalogue.required_cases(&[]).is_empty(),
            "no product selected: nothing is required"
        );
    }

    #[test]
    fn every_required_case_is_implemented_and_runnable_headless_and_a_case_that_is_not_is_refused()
    {
        for case in Catalogue::builtin().unwrap().cases() {
            if case.required {
                assert!(
                    case.implemented && case.headless.is_some(),
                    "{}: a required case runs in `linker run --acceptance`",
                    case.id
                );
            }
        }
        let text = MINIMAL
            .replace("implemented = true", "implemented = false\nrequired = true")
            .replace("headless = \"charge\"\n", "");
        let e = error(&text);
        assert!(
            e.contains("UPM-09") && e.contains("required"),
            "an unimplemented required case is refused: {e}"
        );
    }

    #[test]
    fn a_minimal_case_loads_with_defaults() {
        let catalogue = Catalogue::parse("upm.toml", MINIMAL).unwrap();
        let case = catalogue.case("UPM-09").unwrap();
        assert_eq!(case.sandbox, Sandbox::default());
        assert_eq!(case.checks, vec![Check::PayReceived]);
        assert_eq!(case.file, "upm.toml");
    }

    #[test]
    fn check_parameters_have_defaults_and_are_typed() {
        let text = MINIMAL.replace(
            r#"checks = ["pay-received"]"#,
            r#"checks = ["polls-no-faster-than", { check = "cancels-within", secs = 30 }, { check = "calls-api", api = "applyToken" }]"#,
        );
        let catalogue = Catalogue::parse("upm.toml", &text).unwrap();
        assert_eq!(
            catalogue.case("UPM-09").unwrap().checks,
            vec![
                Check::PollsNoFasterThan {
                    min_interval_secs: 2
                },
                Check::CancelsWithin { secs: 30 },
                Check::CallsApi {
                    api: linker_aplus::message::Api::ApplyToken
                },
            ]
        );
    }

    #[test]
    fn unknown_check_names_the_file_case_and_check() {
        let text = MINIMAL.replace(
            r#"checks = ["pay-received"]"#,
            r#"checks = ["pay-received", "polls-slowly"]"#,
        );
        assert_eq!(
            error(&text),
            r#"upm.toml: case UPM-09: checks[1]: unknown check "polls-slowly""#
        );
    }

    #[test]
    fn unknown_check_parameter_is_an_error() {
        let text = MINIMAL.replace(
            r#"checks = ["pay-received"]"#,
            r#"checks = [{ check = "cancels-within", seconds = 30 }]"#,
        );
        let e = error(&text);
        assert_eq!(
            e,
            r#"upm.toml: case UPM-09: checks[0]: check "cancels-within": unknown field `seconds`, expected `secs`"#
        );
        let text = MINIMAL.replace(
            r#"checks = ["pay-received"]"#,
            r#"checks = [{ check = "pay-received", secs = 30 }]"#,
        );
        let e = error(&text);
        assert!(e.contains("checks[0]") && e.contains("secs"), "{e}");
    }

    #[test]
    fn unknown_key_names_the_key() {
        let e = error(&MINIMAL.replace("timeout = 60", "timeout = 60\ntimout = 3"));
        assert!(e.starts_with("upm.toml: case UPM-09: "), "{e}");
        assert!(e.contains("unknown field `timout`"), "{e}");
        let e = error(&MINIMAL.replace(
            "expected = \"It works.\"",
            "expected = \"It works.\"\nexpect = \"x\"",
        ));
        assert!(e.contains("steps[0]") && e.contains("`expect`"), "{e}");
        let e = error(&format!("title = \"x\"\n{MINIMAL}"));
        assert!(e.contains("upm.toml: title: unknown key"), "{e}");
    }

    #[test]
    fn unknown_behaviour_names_the_case() {
        let e = error(&MINIMAL.replace(
            "timeout = 60",
            "timeout = 60\nsandbox = { pay = \"succeeds\" }",
        ));
        assert!(e.starts_with("upm.toml: case UPM-09: sandbox"), "{e}");
        assert!(e.contains(r#"unknown pay behaviour "succeeds""#), "{e}");
    }

    #[test]
    fn missing_keys_and_bad_values_are_errors() {
        let e = error(&MINIMAL.replace("timeout = 60\n", ""));
        assert!(e.contains("missing field `timeout`"), "{e}");
        let e = error(&MINIMAL.replace("\"UPM\"", "\"UPMX\""));
        assert!(e.contains("product") && e.contains("UPMX"), "{e}");
        let e = error(&MINIMAL.replace("\"UPM-09\"", "\"upm9\""));
        assert!(e.contains("case upm9: id:"), "{e}");
        let e = error(&MINIMAL.replace("timeout = 60", "timeout = 0"));
        assert!(e.contains("timeout: must be at least"), "{e}");
        let e = error("[[case]\n");
        assert!(e.starts_with("upm.toml: "), "{e}");
    }

    #[test]
    fn duplicate_ids_are_rejected_within_and_across_files() {
        let e = error(&format!("{MINIMAL}\n{MINIMAL}"));
        assert_eq!(
            e, "upm.toml: case UPM-09: id: duplicate id (also in upm.toml)",
            "{e}"
        );
        let e = Catalogue::parse_files(&[("a.toml", MINIMAL), ("b.toml", MINIMAL)])
            .unwrap_err()
            .to_string();
        assert_eq!(e, "b.toml: case UPM-09: id: duplicate id (also in a.toml)");
    }

    #[test]
    fn duplicate_manual_question_ids_are_rejected() {
        let q = "\n[[case.manual]]\nid = \"q\"\nquestion = \"Q?\"\nexpected = \"yes\"\n";
        let e = error(&format!("{MINIMAL}{q}{q}"));
        assert!(e.contains("manual[1].id: duplicate question id"), "{e}");
        let e = error(&format!(
            "{MINIMAL}\n[[case.manual]]\nid = \"q\"\nquestion = \"Q?\"\nexpected = \"maybe\"\n"
        ));
        assert!(e.contains("maybe"), "{e}");
    }

    #[test]
    fn every_check_name_parses() {
        for name in Check::NAMES {
            let entry = if *name == "calls-api" {
                r#"{ check = "calls-api", api = "pay" }"#.to_owned()
            } else if *name == "cancels-token-before-unlinked" {
                r#"{ check = "cancels-token-before-unlinked", question = "q" }"#.to_owned()
            } else {
                format!("{name:?}")
            };
            let text = MINIMAL.replace(
                r#"checks = ["pay-received"]"#,
                &format!("checks = [{entry}]"),
            );
            let catalogue =
                Catalogue::parse("x.toml", &text).unwrap_or_else(|e| panic!("{name}: {e}"));
            assert_eq!(catalogue.cases()[0].checks[0].name(), *name);
        }
    }
}
