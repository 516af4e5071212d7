//! The schema walker: a small JSON Schema check of real answers against the documented
//! responses, and [`Conformance`], which records what a walk checked.

use std::collections::BTreeSet;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;
use serde_json::{Value, json};
use tower::ServiceExt;

use super::{document, documented_operations};
use crate::support::TestHub;

pub fn resolve<'a>(doc: &'a Value, target: &str) -> Option<&'a Value> {
    doc.pointer(target.strip_prefix('#')?)
}

/// A small JSON Schema check: `$ref`, `oneOf`, `const`, `enum`, `type`, `properties`,
/// `required`, `additionalProperties`, `items` and `format: date-time`, which is all the
/// document uses.
pub fn conforms(doc: &Value, schema: &Value, value: &Value, at: &str, problems: &mut Vec<String>) {
    if let Some(target) = schema["$ref"].as_str() {
        let resolved = resolve(doc, target).unwrap_or_else(|| panic!("{target}"));
        return conforms(doc, resolved, value, at, problems);
    }
    if let Some(alternatives) = schema["oneOf"].as_array() {
        let mut reports = Vec::new();
        let matching = alternatives
            .iter()
            .filter(|alternative| {
                let mut found = Vec::new();
                conforms(doc, alternative, value, at, &mut found);
                let ok = found.is_empty();
                reports.push(found.join("; "));
                ok
            })
            .count();
        if matching != 1 {
            problems.push(format!(
                "{at}: {matching} alternatives of oneOf match {value} ({})",
                reports.join(" | ")
            ));
        }
        return;
    }
    if let Some(expected) = schema.get("const")
        && expected != value
    {
        problems.push(format!("{at}: {value} is not {expected}"));
    }
    if let Some(allowed) = schema["enum"].as_array()
        && !allowed.contains(value)
    {
        problems.push(format!(
            "{at}: {value} is not one of {schema}",
            schema = schema["enum"]
        ));
    }
    if let Some(types) = match &schema["type"] {
        Value::String(one) => Some(vec![one.as_str()]),
        Value::Array(many) => Some(many.iter().filter_map(Value::as_str).collect()),
        _ => None,
    } {
        let kind = match value {
            Value::Null => "null",
            Value::Bool(_) => "boolean",
            Value::Number(n) if n.is_i64() || n.is_u64() => "integer",
            Value::Number(_) => "number",
            Value::String(_) => "string",
            Value::Array(_) => "array",
            Value::Object(_) => "object",
        };
        let fits = types.contains(&kind) || (kind == "integer" && types.contains(&"number"));
        if !fits {
            problems.push(format!("{at}: {value} is a {kind}, not {types:?}"));
            return;
        }
    }
    if schema["format"] == "date-time"
        && let Some(text) = value.as_str()
        && chrono::DateTime::parse_from_rfc3339(text).is_err()
    {
        problems.push(format!("{at}: {text:?} is not an RFC 3339 date-time"));
    }
    if let Value::Object(fields) = value {
        for name in schema["required"].as_array().into_iter().flatten() {
            let name = name.as_str().unwrap();
            if !fields.contains_key(name) {
                problems.push(format!("{at}: missing {name}"));
            }
        }
        for (name, field) in fields {
            match schema["properties"].get(name) {
                Some(property) => conforms(doc, property, field, &format!("{at}.{name}"), problems),
                None => match &schema["additionalProperties"] {
                    Value::Bool(false) => {
                        problems.push(format!("{at}: {name} is not documented"));
                    }
                    extra @ Value::Object(_) => {
                        conforms(doc, extra, field, &format!("{at}.{name}"), problems);
                    }
                    _ => {}
                },
            }
        }
    }
    if let (Value::Array(items), Some(item_schema)) = (value, schema.get("items")) {
        for (index, item) in items.iter().enumerate() {
            conforms(doc, item_schema, item, &format!("{at}[{index}]"), problems);
        }
    }
}

/// Checks real answers against the documented responses, by operation.
pub struct Conformance {
    pub doc: Value,
    seen: BTreeSet<String>,
    problems: Vec<String>,
}

impl Conformance {
    pub fn new() -> Conformance {
        Conformance {
            doc: document(),
            seen: BTreeSet::new(),
            problems: Vec::new(),
        }
    }

    /// `template` is the documented path (`/admin/v1/projects/{id}`).
    pub fn check(&mut self, method: &str, template: &str, status: StatusCode, body: &Value) {
        let what = format!("{method} {template} → {}", status.as_u16());
        let Some(operation) = self.doc["paths"][template].get(method.to_lowercase()) else {
            self.problems.push(format!("{what}: not documented"));
            return;
        };
        let Some(mut response) = operation["responses"].get(status.as_str()).cloned() else {
            self.problems
                .push(format!("{what}: this status is not documented"));
            return;
        };
        if let Some(target) = response["$ref"].as_str() {
            response = resolve(&self.doc, target).unwrap().clone();
        }
        self.seen.insert(format!("{method} {template}"));
        match response["content"]["application/json"].get("schema") {
            Some(schema) => {
                let schema = schema.clone();
                let doc = self.doc.clone();
                conforms(&doc, &schema, body, &what, &mut self.problems);
            }
            None if body.is_null() => {}
            None => self.problems.push(format!(
                "{what}: a JSON body where none is documented: {body}"
            )),
        }
    }

    /// Reads a decided run's whole event stream and checks every frame's data.
    pub async fn check_event_stream(&mut self, hub: &TestHub, token: &str, run: &str) {
        let template = "/wallet/v1/runs/{run}/events";
        let documented = &self.doc["paths"][template]["get"]["responses"]["200"]["content"];
        assert!(
            documented.get("text/event-stream").is_some(),
            "{template}: the stream is not documented"
        );
        self.seen.insert(format!("GET {template}"));
        let request = Request::builder()
            .uri(format!("/wallet/v1/runs/{run}/events"))
            .header("authorization", format!("Bearer {token}"))
            .body(Body::empty())
            .unwrap();
        let response = hub.router().oneshot(request).await.unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        let bytes = tokio::time::timeout(
            std::time::Duration::from_secs(10),
            response.into_body().collect(),
        )
        .await
        .expect("a decided run's stream ends after the verdict")
        .unwrap()
        .to_bytes();
        let text = String::from_utf8(bytes.to_vec()).unwrap();
        let mut kinds = Vec::new();
        for frame in text.split("\n\n").filter(|f| !f.trim().is_empty()) {
            let mut event = None;
            let mut data = String::new();
            for line in frame.lines() {
                if let Some(value) = line.strip_prefix("event:") {
                    event = Some(value.trim().to_owned());
                } else if let Some(value) = line.strip_prefix("data:") {
                    data.push_str(value.strip_prefix(' ').unwrap_or(value));
                }
            }
            let Some(event) = event else { continue };
            let schema = match event.as_str() {
                "run-event" => "#/components/schemas/Event",
                "verdict" => "#/components/schemas/Verdict",
                other => {
                    self.problems
                        .push(format!("{template}: undocumented SSE event {other:?}"));
                    continue;
                }
            };
            let value: Value = serde_json::from_str(&data).unwrap();
            let doc = self.doc.clone();
            conforms(
                &doc,
                &json!({"$ref": schema}),
                &value,
                &format!("GET {template} ({event})"),
                &mut self.problems,
            );
            kinds.push(event);
        }
        assert_eq!(kinds.last().map(String::as_str), Some("verdict"), "{text}");
        assert!(kinds.len() > 2, "{text}");
    }

    /// Fails unless every documented operation under `surface` (`/admin/`, `/wallet/`) was
    /// checked, then unless every checked answer matched its schema.
    pub fn finish(self, surface: &str) {
        let untested: Vec<String> = documented_operations(&self.doc)
            .into_iter()
            .filter(|(path, _)| path.starts_with(surface))
            .flat_map(|(path, ops)| {
                ops.into_iter()
                    .map(move |m| format!("{} {path}", m.to_uppercase()))
            })
            .filter(|op| !self.seen.contains(op))
            .collect();
        assert!(untested.is_empty(), "add these to the walk: {untested:?}");
        assert!(
            self.problems.is_empty(),
            "real answers differ from api/openapi.json:\n{}",
            self.problems.join("\n")
        );
    }
}

pub async fn raw(hub: &TestHub, request: Request<Body>) -> (StatusCode, Value) {
    let response = hub.router().oneshot(request).await.unwrap();
    let status = response.status();
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    (
        status,
        serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    )
}
