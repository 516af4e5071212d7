//! The screens' words against the catalogue, without running JavaScript: `ui/i18n.js` read as
//! text. Every product has a name in both languages, and every button a step tells the
//! merchant to tap is one the app shows.

use std::collections::BTreeMap;

use linker_cases::{Catalogue, Product};

/// The string tables of `ui/i18n.js`: language → key → text.
fn strings() -> BTreeMap<String, BTreeMap<String, String>> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../ui/i18n.js");
    let source = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let mut tables: BTreeMap<String, BTreeMap<String, String>> = BTreeMap::new();
    let mut language: Option<String> = None;
    for line in source.lines() {
        let trimmed = line.trim();
        if let Some(name) = trimmed.strip_suffix(": {") {
            // `en: {` or `"zh-CN": {` opens a language's table.
            language = Some(name.trim_matches('"').to_owned());
            continue;
        }
        if trimmed == "}," || trimmed == "};" {
            language = None;
            continue;
        }
        let (Some(language), true) = (&language, trimmed.starts_with('"')) else {
            continue;
        };
        // `"key": "text",` is a JSON member once wrapped in braces.
        let member = format!("{{{}}}", trimmed.trim_end_matches(','));
        let parsed: BTreeMap<String, String> = serde_json::from_str(&member)
            .unwrap_or_else(|e| panic!("{path}: cannot read the line {trimmed:?}: {e}"));
        tables.entry(language.clone()).or_default().extend(parsed);
    }
    assert!(
        tables.contains_key("en") && tables.contains_key("zh-CN"),
        "{path} holds an English and a Chinese table: {:?}",
        tables.keys().collect::<Vec<_>>()
    );
    tables
}

#[test]
fn every_product_of_the_catalogue_has_an_english_and_a_chinese_name_in_the_ui() {
    let strings = strings();
    let catalogue = Catalogue::builtin().expect("the built-in catalogue loads");
    for product in catalogue.products() {
        let key = format!("product.{}", product.code());
        for language in ["en", "zh-CN"] {
            let name = strings[language].get(&key);
            assert!(
                name.is_some_and(|n| !n.trim().is_empty() && n != product.code()),
                "{product:?} needs a name under {key:?} in ui/i18n.js's {language} table, not its \
                 enum (found {name:?})"
            );
        }
        assert_eq!(
            strings["en"].get(&key).map(String::as_str),
            Some(product.name()),
            "the app's English name of {product:?} is the console's (Product::name)"
        );
    }
    assert_eq!(
        catalogue.products().len(),
        Product::ALL.len(),
        "every product has cases (so the loop above saw them all)"
    );
}

/// Words that may follow a quoted button in a step ("tap Pay Now in the wallet", "tap Start this
/// case, then ..."): a label ends at punctuation or at one of these.
const AFTER_A_LABEL: [&str; 12] = [
    "then", "and", "in", "on", "to", "again", "at", "when", "once", "or", "until", "for",
];

/// The button a step quotes at `rest` (the text after `tap `), when it is one of `labels`: the
/// longest label `rest` starts with that ends there (punctuation, the end, or a word of
/// [`AFTER_A_LABEL`]).
fn quoted_label<'a>(rest: &str, labels: &'a [String]) -> Option<&'a str> {
    labels
        .iter()
        .filter(|label| {
            rest.strip_prefix(label.as_str()).is_some_and(|after| {
                let after = after.trim_start();
                after.is_empty()
                    || after.starts_with(|c: char| ".,;:()!?".contains(c))
                    || AFTER_A_LABEL.iter().any(|word| {
                        after
                            .strip_prefix(word)
                            .is_some_and(|tail| !tail.starts_with(char::is_alphanumeric))
                    })
            })
        })
        .max_by_key(|label| label.len())
        .map(String::as_str)
}

#[test]
fn every_button_a_step_tells_the_merchant_to_tap_is_one_the_app_shows() {
    let strings = strings();
    let labels: Vec<String> = strings["en"].values().cloned().collect();
    let catalogue = Catalogue::builtin().expect("the built-in catalogue loads");
    let mut wrong = Vec::new();
    let mut quoted = 0;
    // Cases not implemented yet (cashier, Auto Debit) have no screens to quote: they are
    // checked once they can run.
    for case in catalogue.cases().iter().filter(|c| c.implemented) {
        for (i, step) in case.steps.iter().enumerate() {
            let text = &step.instruction;
            for verb in ["tap ", "Tap ", "press ", "Press "] {
                for (at, _) in text.match_indices(verb) {
                    if at > 0 && !text[..at].ends_with(|c: char| !c.is_alphanumeric()) {
                        continue; // inside a word ("untap ")
                    }
                    let rest = &text[at + verb.len()..];
                    if !rest.starts_with(char::is_uppercase) {
                        continue; // "tap the card": no button named
                    }
                    quoted += 1;
                    if quoted_label(rest, &labels).is_none() {
                        let shown: String = rest
                            .split(|c: char| ".,;:(".contains(c))
                            .next()
                            .unwrap_or(rest)
                            .trim()
                            .to_owned();
                        wrong.push(format!(
                            "{} step {} ({}): \"{verb}{shown}\" names no button of the app; \
                             the step: {text:?}",
                            case.id,
                            i + 1,
                            case.file,
                        ));
                    }
                }
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "steps quote buttons the app does not have (its English labels are in ui/i18n.js):\n{}",
        wrong.join("\n")
    );
    assert!(
        quoted >= 5,
        "the catalogue's steps quote buttons ({quoted} found): the check looked at them"
    );
}

#[test]
fn a_quoted_label_ends_where_the_button_does() {
    let labels: Vec<String> = ["Pay Now", "Back", "Leave without paying", "Scan"]
        .map(str::to_owned)
        .to_vec();
    for (rest, expected) in [
        ("Pay Now in the Linker wallet.", Some("Pay Now")),
        ("Pay Now, then Done.", Some("Pay Now")),
        (
            "Leave without paying. Leave the POS alone.",
            Some("Leave without paying"),
        ),
        ("Back without paying.", None),
        ("Scan unknown code (the wallet makes one up).", None),
        ("Pay.", None),
        ("Scan", Some("Scan")),
    ] {
        assert_eq!(
            quoted_label(rest, &labels),
            expected,
            "the button quoted in \"tap {rest}\""
        );
    }
}
