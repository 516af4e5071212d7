//! The committed schemas and examples under `protocol/` stay in step with the types.
//!
//! Regenerate the schemas after changing a type with
//! `LINKER_REGENERATE_SCHEMAS=1 cargo nextest run -p linker-pos-driver`.

use std::path::{Path, PathBuf};

use linker_pos_driver::{
    ACTIONS, AccountAnswer, AmountRequest, BindAnswer, CancelRequest, Capabilities, CashierAnswer,
    ChargeRequest, DisplayAnswer, EmptyAnswer, EntryCodeAnswer, ErrorBody, OrderCodeAnswer,
    PaymentAnswer, PrivateOrderCodeAnswer, RefundAnswer, RefundRequest, RunRequest, schemas,
};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::validator::validate;

fn protocol_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("protocol")
}

fn schema_text(schema: &Value) -> String {
    format!("{}\n", serde_json::to_string_pretty(schema).unwrap())
}

#[test]
fn committed_schemas_equal_the_generated_ones() {
    let dir = protocol_dir().join("schema");
    let regenerate = std::env::var_os("LINKER_REGENERATE_SCHEMAS").is_some();
    let generated = schemas();
    let mut stale = Vec::new();
    for (name, schema) in &generated {
        let path = dir.join(format!("{name}.schema.json"));
        let want = schema_text(schema);
        if regenerate {
            std::fs::create_dir_all(&dir).unwrap();
            std::fs::write(&path, &want).unwrap();
        } else if std::fs::read_to_string(&path).ok().as_deref() != Some(want.as_str()) {
            stale.push(path.display().to_string());
        }
    }
    let mut on_disk: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .collect();
    on_disk.sort();
    let mut expected: Vec<String> = generated
        .iter()
        .map(|(n, _)| format!("{n}.schema.json"))
        .collect();
    expected.sort();
    assert_eq!(on_disk, expected, "exactly one schema file per message");
    assert!(
        stale.is_empty(),
        "schemas differ from the types: {stale:?}; regenerate with LINKER_REGENERATE_SCHEMAS=1 cargo nextest run -p linker-pos-driver"
    );
}

fn schema_named(name: &str) -> Value {
    schemas()
        .into_iter()
        .find(|(n, _)| *n == name)
        .unwrap_or_else(|| panic!("no schema {name}"))
        .1
}

/// Parses `value` as `T`, checks it round-trips, and validates it against the named schema.
fn conforms<T: DeserializeOwned + Serialize>(schema: &str, value: &Value, context: &str) {
    let parsed: T = serde_json::from_value(value.clone())
        .unwrap_or_else(|e| panic!("{context}: does not parse as the type: {e}: {value}"));
    let again = serde_json::to_value(&parsed).unwrap();
    assert_eq!(
        &again, value,
        "{context}: the example round-trips through the type"
    );
    let problems = validate(&schema_named(schema), value);
    assert!(
        problems.is_empty(),
        "{context}: schema {schema}: {problems:?}"
    );
}

fn check_message(schema: &str, value: &Value, context: &str) {
    match schema {
        "capabilities" => conforms::<Capabilities>(schema, value, context),
        "charge-request" => conforms::<ChargeRequest>(schema, value, context),
        "payment-answer" => conforms::<PaymentAnswer>(schema, value, context),
        "amount-request" => conforms::<AmountRequest>(schema, value, context),
        "run-request" => conforms::<RunRequest>(schema, value, context),
        "order-code-answer" => conforms::<OrderCodeAnswer>(schema, value, context),
        "private-order-code-answer" => conforms::<PrivateOrderCodeAnswer>(schema, value, context),
        "entry-code-answer" => conforms::<EntryCodeAnswer>(schema, value, context),
        "cashier-answer" => conforms::<CashierAnswer>(schema, value, context),
        "bind-answer" => conforms::<BindAnswer>(schema, value, context),
        "account-answer" => conforms::<AccountAnswer>(schema, value, context),
        "refund-request" => conforms::<RefundRequest>(schema, value, context),
        "refund-answer" => conforms::<RefundAnswer>(schema, value, context),
        "cancel-request" => conforms::<CancelRequest>(schema, value, context),
        "empty-answer" => conforms::<EmptyAnswer>(schema, value, context),
        "display-answer" => conforms::<DisplayAnswer>(schema, value, context),
        "error" => conforms::<ErrorBody>(schema, value, context),
        other => panic!("{context}: no type for schema {other}"),
    }
}

#[test]
fn every_action_has_an_example_that_parses_and_validates() {
    let dir = protocol_dir().join("examples");
    for action in ACTIONS {
        let path = dir.join(format!("{}.json", action.name));
        let text =
            std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let example: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(example["action"], action.name, "{}", path.display());
        match action.request {
            Some(schema) => check_message(
                schema,
                &example["request"],
                &format!("{} request", action.name),
            ),
            None => assert!(
                example["request"].is_null(),
                "{}: GET has no body",
                action.name
            ),
        }
        check_message(
            action.answer,
            &example["answer"],
            &format!("{} answer", action.name),
        );
    }
    let error: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("error.json")).unwrap()).unwrap();
    check_message("error", &error["answer"], "error example");
}

#[test]
fn the_schemas_refuse_what_the_types_refuse() {
    let bad_amount = serde_json::json!({"runId": "r", "caseId": "c", "amount": {"currency": "HKD", "value": 12}});
    assert!(
        !validate(&schema_named("amount-request"), &bad_amount).is_empty(),
        "a numeric value is not the Alipay+ amount shape"
    );
    assert!(serde_json::from_value::<AmountRequest>(bad_amount).is_err());
    let bad_state = serde_json::json!({"state": "done", "reason": null, "text": "x"});
    assert!(!validate(&schema_named("display-answer"), &bad_state).is_empty());
    assert!(serde_json::from_value::<DisplayAnswer>(bad_state).is_err());
}

#[test]
fn the_readme_names_every_action_and_schema() {
    let readme = std::fs::read_to_string(protocol_dir().join("README.md")).unwrap();
    for action in ACTIONS {
        assert!(
            readme.contains(action.path),
            "README documents {}",
            action.path
        );
    }
    for (name, _) in schemas() {
        assert!(
            readme.contains(&format!("{name}.schema.json")),
            "README names {name}.schema.json"
        );
    }
}
