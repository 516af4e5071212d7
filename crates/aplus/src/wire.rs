//! The Alipay+ wire convention: every field value is a string, numbers and booleans included.
//!
//! A boolean travels as `"true"` or `"false"`; a JSON `true` is a protocol error. Fields that are
//! booleans on the wire use [`WireBool`], so the rule lives here once.

use std::fmt;

use serde::de::{self, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A boolean that travels as the string `"true"` or `"false"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct WireBool(pub bool);

impl WireBool {
    /// The wire string: `"true"` or `"false"`.
    pub fn as_wire_str(self) -> &'static str {
        if self.0 { "true" } else { "false" }
    }
}

impl From<bool> for WireBool {
    fn from(value: bool) -> Self {
        WireBool(value)
    }
}

impl From<WireBool> for bool {
    fn from(value: WireBool) -> Self {
        value.0
    }
}

impl fmt::Display for WireBool {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_wire_str())
    }
}

impl Serialize for WireBool {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_wire_str())
    }
}

impl<'de> Deserialize<'de> for WireBool {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct WireBoolVisitor;

        impl Visitor<'_> for WireBoolVisitor {
            type Value = WireBool;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("the string \"true\" or \"false\"")
            }

            fn visit_str<E: de::Error>(self, v: &str) -> Result<WireBool, E> {
                match v {
                    "true" => Ok(WireBool(true)),
                    "false" => Ok(WireBool(false)),
                    other => Err(E::invalid_value(de::Unexpected::Str(other), &self)),
                }
            }

            fn visit_bool<E: de::Error>(self, v: bool) -> Result<WireBool, E> {
                Err(E::custom(format!(
                    "boolean {v} sent as a JSON boolean; Alipay+ sends booleans as strings: \"{v}\""
                )))
            }
        }

        deserializer.deserialize_any(WireBoolVisitor)
    }
}

/// Where the wire convention is broken in a JSON value: a number or boolean where every scalar
/// must be a string, or an empty string where an absent field must be omitted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WireViolation {
    /// JSON path of the offending value, e.g. `paymentFactor.isInStorePayment`.
    pub field: String,
    /// What is wrong, in a sentence fragment.
    pub reason: String,
}

/// Checks that every scalar in `value` is a string (or null) and no string is empty.
pub fn check_string_convention(value: &serde_json::Value) -> Result<(), WireViolation> {
    check_at(value, &mut String::new())
}

fn check_at(value: &serde_json::Value, path: &mut String) -> Result<(), WireViolation> {
    use serde_json::Value;
    let violation = |reason: String, path: &str| WireViolation {
        field: path.to_owned(),
        reason,
    };
    match value {
        Value::Null => Ok(()),
        Value::Bool(b) => Err(violation(
            format!("must be the string \"{b}\", not the JSON boolean {b}"),
            path,
        )),
        Value::Number(n) => Err(violation(
            format!("must be the string \"{n}\", not the JSON number {n}"),
            path,
        )),
        Value::String(s) if s.is_empty() => Err(violation(
            "empty string; omit an absent field instead of sending \"\"".to_owned(),
            path,
        )),
        Value::String(_) => Ok(()),
        Value::Array(items) => {
            for (index, item) in items.iter().enumerate() {
                let len = path.len();
                path.push_str(&format!("[{index}]"));
                check_at(item, path)?;
                path.truncate(len);
            }
            Ok(())
        }
        Value::Object(map) => {
            for (key, item) in map {
                let len = path.len();
                if !path.is_empty() {
                    path.push('.');
                }
                path.push_str(key);
                check_at(item, path)?;
                path.truncate(len);
            }
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn wire_bool_round_trips_as_string() {
        let json = serde_json::to_string(&WireBool(true)).unwrap();
        assert_eq!(
            json, "\"true\"",
            "WireBool(true) must serialise as a string"
        );
        let back: WireBool = serde_json::from_str("\"false\"").unwrap();
        assert_eq!(back, WireBool(false));
    }

    #[test]
    fn wire_bool_rejects_json_boolean_and_other_strings() {
        let err = serde_json::from_str::<WireBool>("true")
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("\"true\""),
            "error should show the string form: {err}"
        );
        assert!(
            serde_json::from_str::<WireBool>("\"TRUE\"").is_err(),
            "only lowercase"
        );
        assert!(
            serde_json::from_str::<WireBool>("\"1\"").is_err(),
            "\"1\" is not a boolean"
        );
    }

    #[test]
    fn convention_names_the_offending_path() {
        let value = json!({"a": {"b": [{"c": "x"}, {"c": 5}]}});
        let v = check_string_convention(&value).unwrap_err();
        assert_eq!(v.field, "a.b[1].c", "path of the number: {v:?}");
        let value = json!({"paymentFactor": {"isInStorePayment": true}});
        let v = check_string_convention(&value).unwrap_err();
        assert_eq!(v.field, "paymentFactor.isInStorePayment");
        assert!(v.reason.contains("\"true\""), "{v:?}");
        let value = json!({"x": ""});
        assert_eq!(check_string_convention(&value).unwrap_err().field, "x");
        assert!(check_string_convention(&json!({"x": null, "y": ["a"]})).is_ok());
    }
}
