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
