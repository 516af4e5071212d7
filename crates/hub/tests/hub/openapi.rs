//! The OpenAPI document (`crates/hub/api/openapi.json`) stays in step with the code: every route
//! of `src/http.rs` is documented with the same methods and nothing else is; every `$ref`
//! resolves; and real answers of the router, driven through a whole run, match the documented
//! response schemas (no undocumented field, no missing one, the right types and enum values).

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;
use linker_aplus::message::Api;
use serde_json::{Value, json};
use tower::ServiceExt;

use crate::support::{ADMIN_TOKEN, PAY, TestHub, order_code_pay, upm_pay};
use crate::support::{Ack, NotifyEndpoint, Wallet};

const METHODS: [&str; 9] = [
    "get", "put", "post", "delete", "options", "head", "patch", "trace", "any",
];

fn crate_file(relative: &str) -> String {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(relative);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn document() -> Value {
    let text = crate_file("api/openapi.json");
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("api/openapi.json is not JSON: {e}"))
}

/// The text inside the parentheses that open at `open` (the index of `(`).
fn balanced(text: &str, open: usize) -> &str {
    let mut depth = 0usize;
    let mut in_string = false;
    let bytes = text.as_bytes();
    for (i, &b) in bytes.iter().enumerate().skip(open) {
        match b {
            b'"' if i == 0 || bytes[i - 1] != b'\\' => in_string = !in_string,
            b'(' if !in_string => depth += 1,
            b')' if !in_string => {
                depth -= 1;
                if depth == 0 {
                    return &text[open + 1..i];
                }
            }
            _ => {}
        }
    }
    panic!("unbalanced parentheses in src/http.rs after byte {open}")
}

fn first_string(text: &str) -> &str {
    let start = text.find('"').expect("a string literal") + 1;
    let end = start + text[start..].find('"').expect("a closing quote");
    &text[start..end]
}

/// The method routers a `.route(...)` call uses: `get(a).post(b)` → {get, post}.
fn methods_in(args: &str) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    for method in METHODS {
        let needle = format!("{method}(");
        for (at, _) in args.match_indices(&needle) {
            let before = args[..at].chars().next_back();
            if !before.is_some_and(|c| c.is_ascii_alphanumeric() || c == '_') {
                found.insert(method.to_owned());
            }
        }
    }
    found
}

/// Every route `router()` in src/http.rs registers, with the nest prefixes applied: path →
/// methods (`any` for a method router that takes every method).
fn router_routes() -> BTreeMap<String, BTreeSet<String>> {
    let source = crate_file("src/http.rs");
    let start = source
        .find("pub fn router(")
        .expect("src/http.rs has pub fn router(");
    let body_start = start + source[start..].find('{').expect("the function body");
    let body_end = body_start + source[body_start..].find("\n}\n").expect("the body's end");
    // Without line comments, which may hold `;` or `.route(` in prose.
    let body: String = source[body_start + 1..body_end]
        .lines()
        .map(|line| {
            let mut quoted = false;
            let mut previous = ' ';
            for (at, c) in line.char_indices() {
                match c {
                    '"' if previous != '\\' => quoted = !quoted,
                    '/' if previous == '/' && !quoted => return &line[..at - 1],
                    _ => {}
                }
                previous = c;
            }
            line
        })
        .collect::<Vec<_>>()
        .join("\n");
    let body = body.as_str();
    for unsupported in [".merge(", ".nest_service(", ".route_service("] {
        assert!(
            !body.contains(unsupported),
            "router() uses {unsupported}: teach tests/hub/openapi.rs to read it"
        );
    }
    // Statements: `let admin = Router::new()...;` and the final expression (the root router).
    let mut routes: Vec<(String, String, BTreeSet<String>)> = Vec::new();
    let mut nests: BTreeMap<String, (String, String)> = BTreeMap::new();
    for statement in body.split(';') {
        let statement = statement.trim();
        if statement.is_empty() {
            continue;
        }
        let owner = statement
            .strip_prefix("let ")
            .map(|rest| rest.split([' ', '=']).next().unwrap_or_default().to_owned())
            .unwrap_or_default();
        for (at, _) in statement.match_indices(".route(") {
            let args = balanced(statement, at + ".route".len());
            let path = first_string(args).to_owned();
            let after = &args[args.find(&format!("\"{path}\"")).unwrap() + path.len() + 2..];
            let methods = methods_in(after);
            assert!(!methods.is_empty(), "no method router for {path}: {args}");
            routes.push((owner.clone(), path, methods));
        }
        for (at, _) in statement.match_indices(".nest(") {
            let args = balanced(statement, at + ".nest".len());
            let prefix = first_string(args).to_owned();
            let child = args
                .rsplit(',')
                .next()
                .unwrap_or_default()
                .trim()
                .to_owned();
            nests.insert(child, (owner.clone(), prefix));
        }
    }
    fn prefix_of(router: &str, nests: &BTreeMap<String, (String, String)>) -> String {
        if router.is_empty() {
            return String::new();
        }
        let (parent, prefix) = nests
            .get(router)
            .unwrap_or_else(|| panic!("router `{router}` is built but never nested"));
        format!("{}{prefix}", prefix_of(parent, nests))
    }
    let mut out: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (owner, path, methods) in routes {
        let full = format!("{}{path}", prefix_of(&owner, &nests));
        out.entry(full).or_default().extend(methods);
    }
    assert!(
        out.len() > 10,
        "the scan of src/http.rs found too few routes: {out:?}"
    );
    out
}

/// `/aps/{*rest}` → `Some("/aps/")`.
fn wildcard_prefix(path: &str) -> Option<&str> {
    path.find("{*").map(|at| &path[..at])
}

fn documented_operations(doc: &Value) -> BTreeMap<String, BTreeSet<String>> {
    doc["paths"]
        .as_object()
        .expect("paths")
        .iter()
        .map(|(path, item)| {
            let methods = item
                .as_object()
                .expect("a path item")
                .keys()
                .filter(|k| METHODS.contains(&k.as_str()))
                .cloned()
                .collect();
            (path.clone(), methods)
        })
        .collect()
}

#[test]
fn the_document_is_openapi_3_1_json() {
    let doc = document();
    let version = doc["openapi"].as_str().expect("an openapi field");
    assert!(version.starts_with("3.1."), "openapi {version}");
    assert!(doc["info"]["title"].is_string() && doc["info"]["version"].is_string());
    assert!(
        doc["info"]["description"]
            .as_str()
            .unwrap_or_default()
            .contains("AUTHCODE_CREATED"),
        "info.description explains the Auto Debit flow"
    );
}

#[test]
fn every_route_of_the_router_is_documented_with_its_methods() {
    let doc = document();
    let documented = documented_operations(&doc);
    let routes = router_routes();
    let mut problems = Vec::new();
    for (path, methods) in &routes {
        if let Some(prefix) = wildcard_prefix(path) {
            let under: Vec<&String> = documented
                .keys()
                .filter(|p| p.starts_with(prefix))
                .collect();
            if under.is_empty() {
                problems.push(format!("{path}: no documented path under {prefix}"));
            }
            continue;
        }
        match documented.get(path) {
            None => problems.push(format!("{path} ({methods:?}) is not documented")),
            Some(ops) if ops != methods => problems.push(format!(
                "{path}: the router has {methods:?}, the document {ops:?}"
            )),
            Some(_) => {}
        }
    }
    assert!(
        problems.is_empty(),
        "api/openapi.json is behind src/http.rs:\n{}",
        problems.join("\n")
    );
}

#[test]
fn every_documented_path_exists_in_the_router() {
    let doc = document();
    let routes = router_routes();
    let mut problems = Vec::new();
    for (path, ops) in documented_operations(&doc) {
        if let Some(methods) = routes.get(&path) {
            if methods.contains("any") || ops.is_subset(methods) {
                continue;
            }
            problems.push(format!(
                "{path}: documents {ops:?}, the router has {methods:?}"
            ));
            continue;
        }
        let wildcard = routes.iter().find(|(route, _)| {
            wildcard_prefix(route).is_some_and(|prefix| path.starts_with(prefix))
        });
        match wildcard {
            Some((_, methods)) if methods.contains("any") || ops.is_subset(methods) => {}
            Some((route, methods)) => problems.push(format!(
                "{path} (under {route}): documents {ops:?}, the router has {methods:?}"
            )),
            None => problems.push(format!("{path} is documented but not routed")),
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn the_documented_gateway_is_exactly_the_apis_the_hub_serves() {
    let doc = document();
    let documented: BTreeSet<String> = documented_operations(&doc)
        .into_iter()
        .filter(|(path, _)| path.starts_with("/aps/"))
        .map(|(path, ops)| {
            assert_eq!(ops, BTreeSet::from(["post".to_owned()]), "{path}");
            path
        })
        .collect();
    let served: BTreeSet<String> = Api::HUB_SERVED
        .iter()
        .filter_map(|api| api.hub_path())
        .map(str::to_owned)
        .collect();
    assert_eq!(documented, served);
}

#[test]
fn operations_are_described_secured_and_their_parameters_declared() {
    let doc = document();
    let mut ids = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        let mut in_path: BTreeSet<String> = path
            .split('{')
            .skip(1)
            .map(|rest| rest.split('}').next().unwrap_or_default().to_owned())
            .collect();
        in_path.retain(|name| !name.is_empty());
        for (method, operation) in item.as_object().unwrap() {
            if !METHODS.contains(&method.as_str()) {
                continue;
            }
            let what = format!("{} {path}", method.to_uppercase());
            for field in ["operationId", "summary", "description"] {
                assert!(
                    !operation[field].as_str().unwrap_or_default().is_empty(),
                    "{what}: no {field}"
                );
            }
            assert!(
                ids.insert(operation["operationId"].as_str().unwrap().to_owned()),
                "{what}: duplicate operationId"
            );
            assert!(
                operation["responses"]
                    .as_object()
                    .is_some_and(|r| !r.is_empty()),
                "{what}: no responses"
            );
            let declared: BTreeSet<String> = item["parameters"]
                .as_array()
                .into_iter()
                .chain(operation["parameters"].as_array())
                .flatten()
                .filter(|p| p["in"] == "path")
                .map(|p| {
                    assert_eq!(p["required"], true, "{what}: path parameter {p}");
                    p["name"].as_str().unwrap().to_owned()
                })
                .collect();
            assert_eq!(declared, in_path, "{what}: path parameters");
            let schemes: Vec<String> = operation["security"]
                .as_array()
                .unwrap_or_else(|| panic!("{what}: say its security, [] for none"))
                .iter()
                .flat_map(|s| s.as_object().unwrap().keys().cloned())
                .collect();
            let expected: &[&str] = if path.starts_with("/admin/v1/") {
                &["adminToken"]
            } else if path.starts_with("/wallet/v1/sign-in")
                || path == "/health"
                || path == "/openapi.json"
            {
                &[]
            } else if path.starts_with("/wallet/v1/") {
                &["walletSession"]
            } else {
                &["alipayPlusSignature"]
            };
            assert_eq!(schemes, expected, "{what}: security");
        }
    }
}

#[test]
fn every_ref_resolves_and_the_error_codes_are_the_hubs() {
    let doc = document();
    fn refs<'a>(value: &'a Value, out: &mut Vec<&'a str>) {
        match value {
            Value::Object(map) => {
                if let Some(Value::String(target)) = map.get("$ref") {
                    out.push(target);
                }
                map.values().for_each(|v| refs(v, out));
            }
            Value::Array(items) => items.iter().for_each(|v| refs(v, out)),
            _ => {}
        }
    }
    let mut targets = Vec::new();
    refs(&doc, &mut targets);
    assert!(!targets.is_empty());
    for target in targets {
        assert!(resolve(&doc, target).is_some(), "{target} does not resolve");
    }
    // The codes HubError::code() answers, read from src/error.rs.
    let source = crate_file("src/error.rs");
    let code_fn = &source[source.find("pub fn code(").expect("HubError::code")..];
    let code_fn = &code_fn[..code_fn.find("\n    }\n").expect("its end")];
    let mut codes: BTreeSet<String> = code_fn
        .split("=> \"")
        .skip(1)
        .map(|rest| rest.split('"').next().unwrap_or_default().to_owned())
        .collect();
    codes.extend(
        linker_hub::error::DENIED_CODES
            .iter()
            .map(|c| (*c).to_owned()),
    );
    let documented: BTreeSet<String> = doc["components"]["schemas"]["Error"]["properties"]["code"]
        ["enum"]
        .as_array()
        .expect("Error.code enum")
        .iter()
        .map(|c| c.as_str().unwrap().to_owned())
        .collect();
    assert_eq!(documented, codes);
}

fn resolve<'a>(doc: &'a Value, target: &str) -> Option<&'a Value> {
    doc.pointer(target.strip_prefix('#')?)
}

/// A small JSON Schema check: `$ref`, `oneOf`, `const`, `enum`, `type`, `properties`,
/// `required`, `additionalProperties`, `items` and `format: date-time`, which is all the
/// document uses.
fn conforms(doc: &Value, schema: &Value, value: &Value, at: &str, problems: &mut Vec<String>) {
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
struct Conformance {
    doc: Value,
    seen: BTreeSet<String>,
    problems: Vec<String>,
}

impl Conformance {
    fn new() -> Conformance {
        Conformance {
            doc: document(),
            seen: BTreeSet::new(),
            problems: Vec::new(),
        }
    }

    /// `template` is the documented path (`/admin/v1/projects/{id}`).
    fn check(&mut self, method: &str, template: &str, status: StatusCode, body: &Value) {
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
    async fn check_event_stream(&mut self, hub: &TestHub, token: &str, run: &str) {
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

    fn finish(self) {
        assert!(
            self.problems.is_empty(),
            "real answers differ from api/openapi.json:\n{}",
            self.problems.join("\n")
        );
    }
}

async fn raw(hub: &TestHub, request: Request<Body>) -> (StatusCode, Value) {
    let response = hub.router().oneshot(request).await.unwrap();
    let status = response.status();
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    (
        status,
        serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    )
}

async fn wallet_call(
    hub: &TestHub,
    method: &str,
    path: &str,
    token: &str,
    body: Option<Value>,
) -> (StatusCode, Value) {
    let request = Request::builder()
        .method(method)
        .uri(format!("/wallet/v1{path}"))
        .header("authorization", format!("Bearer {token}"))
        .body(body.map_or_else(Body::empty, |b| Body::from(b.to_string())))
        .unwrap();
    raw(hub, request).await
}

#[tokio::test]
async fn real_answers_match_the_documented_schemas() {
    let hub = TestHub::new();
    let mut c = Conformance::new();

    // Admin: projects, clock, errors.
    let key = linker_aplus::KeyPair::generate().unwrap();
    let (status, created) = hub
        .admin(
            "POST",
            "/projects",
            Some(json!({"name": "Docs", "clientId": "DOCS_1", "acqpPublicKey": key.public.to_base64(), "entryCodeDomains": ["pay.example"]})),
        )
        .await;
    c.check("POST", "/admin/v1/projects", status, &created);
    let docs_project = created["id"].as_str().unwrap().to_owned();
    let (status, body) = hub
        .admin("POST", "/projects", Some(json!({"name": "Docs", "clientId": "DOCS_1", "acqpPublicKey": key.public.to_base64()})))
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
    c.check("POST", "/admin/v1/projects", status, &body);
    let (status, body) = hub
        .admin("POST", "/projects", Some(json!({"name": ""})))
        .await;
    c.check("POST", "/admin/v1/projects", status, &body);

    let acqp = hub.acqp().await;
    let project = acqp.project.id.clone();
    let (status, body) = hub.admin("GET", "/projects", None).await;
    c.check("GET", "/admin/v1/projects", status, &body);
    let (status, body) = hub
        .admin("GET", &format!("/projects/{project}"), None)
        .await;
    c.check("GET", "/admin/v1/projects/{id}", status, &body);
    let (status, body) = hub.admin("GET", "/projects/prj_nope", None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    c.check("GET", "/admin/v1/projects/{id}", status, &body);
    let (status, body) = hub
        .admin(
            "PATCH",
            &format!("/projects/{docs_project}"),
            Some(json!({"notifyUrl": "https://acqp.example/n", "name": "Docs 2"})),
        )
        .await;
    c.check("PATCH", "/admin/v1/projects/{id}", status, &body);
    let (status, body) = hub.admin("GET", "/clock", None).await;
    c.check("GET", "/admin/v1/clock", status, &body);
    let (status, body) = hub
        .admin("POST", "/clock/advance", Some(json!({"seconds": 5})))
        .await;
    c.check("POST", "/admin/v1/clock/advance", status, &body);
    let request = Request::builder()
        .uri("/admin/v1/projects")
        .body(Body::empty())
        .unwrap();
    let (status, body) = raw(&hub, request).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    c.check("GET", "/admin/v1/projects", status, &body);

    // Admin: merchants.
    let (status, invited) = hub
        .admin(
            "POST",
            &format!("/projects/{project}/merchants"),
            Some(json!({"name": "Cafe", "mid": "D1", "email": "d1@shop.example", "products": ["UPM"]})),
        )
        .await;
    c.check(
        "POST",
        "/admin/v1/projects/{id}/merchants",
        status,
        &invited,
    );
    let merchant = invited["merchant"]["id"].as_str().unwrap().to_owned();
    let (status, body) = hub
        .admin("GET", &format!("/projects/{project}/merchants"), None)
        .await;
    c.check("GET", "/admin/v1/projects/{id}/merchants", status, &body);

    let forced_path = format!("/projects/{project}/forced-results");
    let (status, body) = hub
        .admin("POST", &forced_path, Some(json!({"api": "refund", "resultCode": "REFUND_IN_PROCESS", "when": {"field": "refundRequestId", "value": "x"}})))
        .await;
    c.check(
        "POST",
        "/admin/v1/projects/{id}/forced-results",
        status,
        &body,
    );
    let forced_id = body["id"].as_str().unwrap_or_default().to_owned();
    let (status, body) = hub
        .admin(
            "POST",
            &forced_path,
            Some(json!({"api": "nope", "resultCode": "SUCCESS"})),
        )
        .await;
    c.check(
        "POST",
        "/admin/v1/projects/{id}/forced-results",
        status,
        &body,
    );
    let (status, body) = hub.admin("GET", &forced_path, None).await;
    c.check(
        "GET",
        "/admin/v1/projects/{id}/forced-results",
        status,
        &body,
    );
    for id in [forced_id.as_str(), "frc_nope"] {
        let (status, body) = hub
            .admin("DELETE", &format!("{forced_path}/{id}"), None)
            .await;
        c.check(
            "DELETE",
            "/admin/v1/projects/{id}/forced-results/{forced}",
            status,
            &body,
        );
    }
    let (status, body) = hub
        .admin(
            "POST",
            &format!("/projects/{project}/merchants/{merchant}/resend"),
            None,
        )
        .await;
    c.check(
        "POST",
        "/admin/v1/projects/{id}/merchants/{merchant}/resend",
        status,
        &body,
    );
    let request = Request::builder()
        .method("POST")
        .uri(format!("/admin/v1/projects/{project}/merchants/import"))
        .header("authorization", format!("Bearer {ADMIN_TOKEN}"))
        .header("content-type", "text/csv")
        .body(Body::from(
            "name,mid,email,products\nCafe Two,D2,d2@shop.example,MPM\nCafe Bad,D3,nope,UPM\n",
        ))
        .unwrap();
    let (status, body) = raw(&hub, request).await;
    c.check(
        "POST",
        "/admin/v1/projects/{id}/merchants/import",
        status,
        &body,
    );
    let (status, body) = hub
        .admin("POST", &format!("/projects/{project}/payment-codes"), None)
        .await;
    c.check(
        "POST",
        "/admin/v1/projects/{id}/payment-codes",
        status,
        &body,
    );

    // Wallet: sign in, cases, runs of UPM-01 (manual answer) and UPM-02 (confirm, decline).
    let code = invited["invitation"]["code"].as_str().unwrap();
    let request = Request::builder()
        .method("POST")
        .uri("/wallet/v1/sign-in/invitation")
        .body(Body::from(
            json!({"invitationCode": code, "password": "long enough"}).to_string(),
        ))
        .unwrap();
    let (status, body) = raw(&hub, request).await;
    assert_eq!(
        status,
        StatusCode::UNAUTHORIZED,
        "the resend replaced the code: {body}"
    );
    c.check("POST", "/wallet/v1/sign-in/invitation", status, &body);
    let request = Request::builder()
        .method("POST")
        .uri("/wallet/v1/sign-in")
        .body(Body::from(
            json!({"login": "D1", "password": "long enough"}).to_string(),
        ))
        .unwrap();
    let (status, body) = raw(&hub, request).await;
    c.check("POST", "/wallet/v1/sign-in", status, &body);

    let wallet = Wallet::sign_in(&hub, &acqp, "D9").await;
    let (status, body) = wallet.send(&hub, "GET", "/me", None).await;
    c.check("GET", "/wallet/v1/me", status, &body);
    let (status, cases) = wallet.send(&hub, "GET", "/cases", None).await;
    c.check("GET", "/wallet/v1/cases", status, &cases);
    let (status, body) = wallet
        .send(&hub, "POST", "/runs", Some(json!({"caseId": "NOPE-99"})))
        .await;
    c.check("POST", "/wallet/v1/runs", status, &body);

    let (status, run) = wallet
        .send(&hub, "POST", "/runs", Some(json!({"caseId": "UPM-01"})))
        .await;
    c.check("POST", "/wallet/v1/runs", status, &run);
    let run = run["id"].as_str().unwrap().to_owned();
    let (status, issued) = wallet
        .send(&hub, "POST", &format!("/runs/{run}/payment-code"), None)
        .await;
    c.check(
        "POST",
        "/wallet/v1/runs/{run}/payment-code",
        status,
        &issued,
    );
    let reply = acqp
        .call(
            &hub,
            PAY,
            &upm_pay("docs-1", issued["code"].as_str().unwrap(), "1000"),
        )
        .await;
    assert_eq!(reply.code(), "SUCCESS", "{}", reply.raw);
    hub.hub.deliver_due().await.unwrap();
    let (status, body) = wallet
        .send(&hub, "POST", &format!("/runs/{run}/confirm"), None)
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "nothing waits: {body}");
    c.check("POST", "/wallet/v1/runs/{run}/confirm", status, &body);
    let (status, body) = wallet
        .send(
            &hub,
            "POST",
            &format!("/runs/{run}/manual-answers"),
            Some(json!({"writeId": "w-1", "questionId": "pos-shows-success", "answer": true, "note": "ok"})),
        )
        .await;
    c.check(
        "POST",
        "/wallet/v1/runs/{run}/manual-answers",
        status,
        &body,
    );
    let (status, body) = wallet
        .send(&hub, "GET", &format!("/runs/{run}"), None)
        .await;
    assert_ne!(body["verdict"], Value::Null, "decided: {body}");
    c.check("GET", "/wallet/v1/runs/{run}", status, &body);
    c.check_event_stream(&hub, wallet.token(), &run).await;
    let (status, body) = wallet
        .send(&hub, "GET", "/runs/run_nope/events", None)
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    c.check("GET", "/wallet/v1/runs/{run}/events", status, &body);

    // An order code: the wallet scans it, then leaves without paying.
    let (status, run) = wallet
        .send(&hub, "POST", "/runs", Some(json!({"caseId": "MOC-01"})))
        .await;
    c.check("POST", "/wallet/v1/runs", status, &run);
    let run = run["id"].as_str().unwrap().to_owned();
    let reply = acqp
        .call(&hub, PAY, &order_code_pay("docs-4", "4200"))
        .await;
    let order = reply.body["orderCodeForm"]["codeDetails"][0]["codeValue"]
        .as_str()
        .unwrap_or_else(|| panic!("an order code: {}", reply.raw))
        .to_owned();
    for text in [order.as_str(), "hello", ""] {
        let (status, body) = wallet
            .send(
                &hub,
                "POST",
                &format!("/runs/{run}/scan"),
                Some(json!({"codeValue": text})),
            )
            .await;
        c.check("POST", "/wallet/v1/runs/{run}/scan", status, &body);
        if text == order {
            assert_eq!(body["next"], "confirm", "{body}");
        }
    }
    let (status, body) = wallet
        .send(&hub, "POST", &format!("/runs/{run}/back-out"), None)
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    c.check("POST", "/wallet/v1/runs/{run}/back-out", status, &body);
    for (id, bytes) in [
        ("docs-photo", crate::support::wallet::PNG),
        ("docs-photo", &b"\xFF\xD8\xFF other"[..]),
        ("docs-bad", &b"GIF89a"[..]),
    ] {
        let (status, body) = crate::support::wallet::put(
            &hub,
            wallet.token(),
            &format!("/runs/{run}/attachments/{id}"),
            bytes,
        )
        .await;
        c.check(
            "PUT",
            "/wallet/v1/runs/{run}/attachments/{attachment}",
            status,
            &body,
        );
    }
    for id in ["docs-photo", "none"] {
        let (status, body) = wallet
            .send(&hub, "GET", &format!("/runs/{run}/attachments/{id}"), None)
            .await;
        c.check(
            "GET",
            "/wallet/v1/runs/{run}/attachments/{attachment}",
            status,
            &body,
        );
    }
    let (status, body) = wallet
        .send(
            &hub,
            "POST",
            "/authorizations",
            Some(json!({"authUrl": "http://127.0.0.1:8480/authorize/auth_none"})),
        )
        .await;
    c.check("POST", "/wallet/v1/authorizations", status, &body);
    let prepared = acqp
        .call(&hub, "/aps/api/v1/authorizations/prepare", &json!({
            "customerBelongsTo": "TEST_WALLET", "authClientId": "M1", "authRedirectUrl": "https://acqp.example/back",
            "scopes": ["AGREEMENT_PAY"], "authState": "s"
        }))
        .await;
    let (status, body) = wallet
        .send(
            &hub,
            "POST",
            "/authorizations",
            Some(json!({"authUrl": prepared.body["authUrl"]})),
        )
        .await;
    c.check("POST", "/wallet/v1/authorizations", status, &body);
    for id in [body["id"].as_str().unwrap_or("auth_none"), "auth_none"] {
        let (status, body) = wallet
            .send(&hub, "POST", &format!("/authorizations/{id}/revoke"), None)
            .await;
        c.check(
            "POST",
            "/wallet/v1/authorizations/{authorization}/revoke",
            status,
            &body,
        );
    }
    for url in ["http://127.0.0.1:8480/checkout/none", ""] {
        let (status, body) = wallet
            .send(
                &hub,
                "POST",
                &format!("/runs/{run}/open-url"),
                Some(json!({"url": url})),
            )
            .await;
        c.check("POST", "/wallet/v1/runs/{run}/open-url", status, &body);
    }

    for (action, request_id) in [("confirm", "docs-2"), ("decline", "docs-3")] {
        let (status, run) = wallet
            .send(&hub, "POST", "/runs", Some(json!({"caseId": "UPM-02"})))
            .await;
        c.check("POST", "/wallet/v1/runs", status, &run);
        let run = run["id"].as_str().unwrap().to_owned();
        let (_, issued) = wallet
            .send(&hub, "POST", &format!("/runs/{run}/payment-code"), None)
            .await;
        acqp.call(
            &hub,
            PAY,
            &upm_pay(request_id, issued["code"].as_str().unwrap(), "500"),
        )
        .await;
        let (status, body) = wallet
            .send(&hub, "POST", &format!("/runs/{run}/{action}"), None)
            .await;
        assert_eq!(status, StatusCode::OK, "{action}: {body}");
        c.check(
            "POST",
            &format!("/wallet/v1/runs/{{run}}/{action}"),
            status,
            &body,
        );
    }
    let (status, body) = wallet.send(&hub, "GET", "/runs", None).await;
    c.check("GET", "/wallet/v1/runs", status, &body);

    // Admin: the log and the deliveries the runs produced.
    let (status, body) = hub
        .admin(
            "GET",
            &format!("/projects/{project}/exchanges?limit=50"),
            None,
        )
        .await;
    assert!(body.as_array().is_some_and(|a| !a.is_empty()), "{body}");
    c.check("GET", "/admin/v1/projects/{id}/exchanges", status, &body);
    let (status, body) = hub
        .admin("GET", &format!("/projects/{project}/deliveries"), None)
        .await;
    assert!(body.as_array().is_some_and(|a| !a.is_empty()), "{body}");
    c.check("GET", "/admin/v1/projects/{id}/deliveries", status, &body);

    // Admin: a run as CI reads it, assignments, revocation, a test notification.
    for id in [run.as_str(), "run_nope"] {
        let (status, body) = hub
            .admin("GET", &format!("/projects/{project}/runs/{id}"), None)
            .await;
        c.check("GET", "/admin/v1/projects/{id}/runs/{run}", status, &body);
    }
    let assignment = format!("/projects/{project}/merchants/{merchant}/assignment");
    let (status, body) = hub.admin("GET", &assignment, None).await;
    c.check(
        "GET",
        "/admin/v1/projects/{id}/merchants/{merchant}/assignment",
        status,
        &body,
    );
    for update in [
        json!({"caseIds": ["UPM-01", "UPM-02"]}),
        json!({"caseIds": ["NOPE-1"]}),
        json!({"caseIds": null}),
    ] {
        let (status, body) = hub.admin("PUT", &assignment, Some(update)).await;
        c.check(
            "PUT",
            "/admin/v1/projects/{id}/merchants/{merchant}/assignment",
            status,
            &body,
        );
    }
    let (status, body) = hub
        .admin(
            "POST",
            &format!("/projects/{project}/merchants/{merchant}/revoke"),
            None,
        )
        .await;
    c.check(
        "POST",
        "/admin/v1/projects/{id}/merchants/{merchant}/revoke",
        status,
        &body,
    );
    let endpoint = NotifyEndpoint::start(&acqp, Ack::Signed).await;
    for request in [
        json!({"url": endpoint.url, "success": false, "amount": {"currency": "HKD", "value": "990"}}),
        json!({"url": "ftp://acqp.example/notify"}),
    ] {
        let (status, body) = hub
            .admin(
                "POST",
                &format!("/projects/{project}/test-notifications"),
                Some(request),
            )
            .await;
        c.check(
            "POST",
            "/admin/v1/projects/{id}/test-notifications",
            status,
            &body,
        );
    }

    // Sign-in once more to sign out, then the token is refused.
    let (status, session) = wallet_call(
        &hub,
        "POST",
        "/sign-in",
        "",
        Some(json!({"login": "D9", "password": "long enough"})),
    )
    .await;
    c.check("POST", "/wallet/v1/sign-in", status, &session);
    let token = session["token"].as_str().unwrap().to_owned();
    let (status, body) = wallet_call(&hub, "POST", "/sign-out", &token, None).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    c.check("POST", "/wallet/v1/sign-out", status, &body);
    let (status, body) = wallet_call(&hub, "GET", "/me", &token, None).await;
    c.check("GET", "/wallet/v1/me", status, &body);

    let untested: Vec<String> = documented_operations(&c.doc)
        .into_iter()
        .filter(|(path, _)| path.starts_with("/admin/") || path.starts_with("/wallet/"))
        .flat_map(|(path, ops)| {
            ops.into_iter()
                .map(move |m| format!("{} {path}", m.to_uppercase()))
        })
        .filter(|op| !c.seen.contains(op))
        .collect();
    assert!(untested.is_empty(), "add these to the walk: {untested:?}");
    c.finish();
}
