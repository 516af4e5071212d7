//! A small JSON Schema (2020-12) validator for the subset the generated schemas use: `type`,
//! `properties`, `required`, `additionalProperties`, `items`, `enum`, `const`, `oneOf`, `anyOf`,
//! `$ref` to `#/$defs/...`, and `pattern` for the two patterns the schemas carry.

use serde_json::Value;

/// Validates `value` against `schema` (whose `$defs` resolve `$ref`s); returns every problem.
pub fn validate(schema: &Value, value: &Value) -> Vec<String> {
    let mut problems = Vec::new();
    check(schema, schema, value, "$", &mut problems);
    problems
}

fn type_matches(name: &str, value: &Value) -> bool {
    match name {
        "object" => value.is_object(),
        "array" => value.is_array(),
        "string" => value.is_string(),
        "boolean" => value.is_boolean(),
        "null" => value.is_null(),
        "integer" => value.is_i64() || value.is_u64(),
        "number" => value.is_number(),
        _ => false,
    }
}

fn pattern_matches(pattern: &str, text: &str) -> Result<bool, String> {
    match pattern {
        "^[A-Z]{3}$" => Ok(text.len() == 3 && text.bytes().all(|b| b.is_ascii_uppercase())),
        "^[0-9]+$" => Ok(!text.is_empty() && text.bytes().all(|b| b.is_ascii_digit())),
        other => Err(format!("the test validator does not know pattern {other}")),
    }
}

fn check(root: &Value, schema: &Value, value: &Value, at: &str, problems: &mut Vec<String>) {
    if schema == &Value::Bool(true) {
        return;
    }
    if let Some(reference) = schema.get("$ref").and_then(Value::as_str) {
        let target = reference
            .strip_prefix("#/$defs/")
            .and_then(|name| root.get("$defs")?.get(name));
        match target {
            Some(target) => check(root, target, value, at, problems),
            None => problems.push(format!("{at}: unresolved $ref {reference}")),
        }
    }
    if let Some(types) = schema.get("type") {
        let ok = match types {
            Value::String(name) => type_matches(name, value),
            Value::Array(names) => names
                .iter()
                .filter_map(Value::as_str)
                .any(|n| type_matches(n, value)),
            _ => false,
        };
        if !ok {
            problems.push(format!("{at}: {value} is not of type {types}"));
            return;
        }
    }
    if let Some(options) = schema.get("enum").and_then(Value::as_array)
        && !options.contains(value)
    {
        problems.push(format!("{at}: {value} not in {options:?}"));
    }
    if let Some(constant) = schema.get("const")
        && constant != value
    {
        problems.push(format!("{at}: {value} is not {constant}"));
    }
    for key in ["oneOf", "anyOf"] {
        if let Some(branches) = schema.get(key).and_then(Value::as_array) {
            let passing = branches
                .iter()
                .filter(|branch| {
                    let mut inner = Vec::new();
                    check(root, branch, value, at, &mut inner);
                    inner.is_empty()
                })
                .count();
            let ok = if key == "oneOf" {
                passing == 1
            } else {
                passing >= 1
            };
            if !ok {
                problems.push(format!("{at}: {value} matches {passing} branches of {key}"));
            }
        }
    }
    if let (Some(pattern), Some(text)) = (
        schema.get("pattern").and_then(Value::as_str),
        value.as_str(),
    ) {
        match pattern_matches(pattern, text) {
            Ok(true) => {}
            Ok(false) => problems.push(format!("{at}: {text:?} does not match {pattern}")),
            Err(e) => problems.push(e),
        }
    }
    if let Some(object) = value.as_object() {
        let properties = schema.get("properties").and_then(Value::as_object);
        if let Some(required) = schema.get("required").and_then(Value::as_array) {
            for name in required.iter().filter_map(Value::as_str) {
                if !object.contains_key(name) {
                    problems.push(format!("{at}: missing required {name}"));
                }
            }
        }
        for (name, item) in object {
            match properties.and_then(|p| p.get(name)) {
                Some(property) => check(root, property, item, &format!("{at}.{name}"), problems),
                None => {
                    if schema.get("additionalProperties") == Some(&Value::Bool(false)) {
                        problems.push(format!("{at}: unknown property {name}"));
                    }
                }
            }
        }
    }
    if let (Some(items), Some(array)) = (schema.get("items"), value.as_array()) {
        for (i, item) in array.iter().enumerate() {
            check(root, items, item, &format!("{at}[{i}]"), problems);
        }
    }
}

#[test]
fn the_validator_catches_what_it_should() {
    let schema = serde_json::json!({
        "type": "object",
        "properties": {"a": {"type": "string", "pattern": "^[0-9]+$"}, "b": {"$ref": "#/$defs/B"}},
        "required": ["a"],
        "additionalProperties": false,
        "$defs": {"B": {"type": "string", "enum": ["x", "y"]}}
    });
    assert!(validate(&schema, &serde_json::json!({"a": "12", "b": "x"})).is_empty());
    let problems = validate(&schema, &serde_json::json!({"a": "1x", "b": "z", "c": 1}));
    assert_eq!(
        problems.len(),
        3,
        "pattern, enum and unknown property: {problems:?}"
    );
    let problems = validate(&schema, &serde_json::json!({}));
    assert_eq!(problems, vec!["$: missing required a".to_owned()]);
}
