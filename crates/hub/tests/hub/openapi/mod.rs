//! The OpenAPI document (`crates/hub/api/openapi.json`) stays in step with the code: every route
//! of `src/api/mod.rs` is documented with the same methods and nothing else is; every `$ref`
//! resolves; and real answers of the router match the documented response schemas (no
//! undocumented field, no missing one, the right types and enum values), one walk per surface:
//! the admin API (`admin_api.rs`) and the wallet API (`wallet_api.rs`), both checked by the
//! schema walker of `schema.rs`.

mod admin_api;
mod schema;
mod wallet_api;

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use axum::http::StatusCode;
use linker_aplus::message::Api;
use serde_json::{Value, json};

use crate::support::{Acqp, PAY, TestHub, Wallet, upm_pay};
use schema::{Conformance, resolve};

const METHODS: [&str; 9] = [
    "get", "put", "post", "delete", "options", "head", "patch", "trace", "any",
];

pub(crate) fn crate_file(relative: &str) -> String {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(relative);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

pub(crate) fn document() -> Value {
    let text = crate_file("api/openapi.json");
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("api/openapi.json is not JSON: {e}"))
}

/// The text inside the parentheses that open at `open` (the index of `(`).
pub(crate) fn balanced(text: &str, open: usize) -> &str {
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
    panic!("unbalanced parentheses in src/api/mod.rs after byte {open}")
}

pub(crate) fn first_string(text: &str) -> &str {
    let start = text.find('"').expect("a string literal") + 1;
    let end = start + text[start..].find('"').expect("a closing quote");
    &text[start..end]
}

/// The method routers a `.route(...)` call uses: `get(a).post(b)` → {get, post}.
pub(crate) fn methods_in(args: &str) -> BTreeSet<String> {
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

/// Every route `router()` in src/api/mod.rs registers, with the nest prefixes applied: path →
/// methods (`any` for a method router that takes every method).
fn router_routes() -> BTreeMap<String, BTreeSet<String>> {
    let source = crate_file("src/api/mod.rs");
    let start = source
        .find("pub fn router(")
        .expect("src/api/mod.rs has pub fn router(");
    let body_start = start + source[start..].find('{').expect("the function body");
    let body_end = body_start + source[body_start..].find("\n}\n").expect("the body's end");
    // `fn admin_routes() -> Router<Arc<Hub>> { Router::new()... }` beside router() reads as the
    // statement `let admin_routes() = Router::new()...;`, which `.nest(.., admin_routes())` names.
    let mut helpers = String::new();
    for (at, _) in source.match_indices("\nfn ") {
        let header = &source[at + "\nfn ".len()..];
        let Some(name) = header.split("()").next().filter(|n| n.ends_with("_routes")) else {
            continue;
        };
        let open = at + source[at..].find('{').expect("the helper's body");
        let close = open + source[open..].find("\n}\n").expect("the helper's end");
        helpers.push_str(&format!(";\nlet {name}() = {};", &source[open + 1..close]));
    }
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
        .join("\n")
        + &helpers;
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
        "the scan of src/api/mod.rs found too few routes: {out:?}"
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
        "api/openapi.json is behind src/api/mod.rs:\n{}",
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
            let expected: &[&str] = if path.starts_with("/admin/v1/projects/{id}") {
                &["adminToken", "projectToken"]
            } else if path.starts_with("/admin/v1/") {
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
            .chain(&linker_hub::error::REFUSED_CODES)
            .chain(&linker_hub::error::LIMITED_CODES)
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

#[test]
fn the_documented_step_events_are_the_catalogues() {
    let doc = document();
    let documented: Vec<String> =
        doc["components"]["schemas"]["Step"]["properties"]["done_when"]["enum"]
            .as_array()
            .expect("Step.done_when enum")
            .iter()
            .map(|c| c.as_str().unwrap_or_default().to_owned())
            .collect();
    let known: Vec<String> = linker_cases::StepEvent::ALL
        .iter()
        .map(|e| e.name())
        .collect();
    assert_eq!(
        documented, known,
        "Step.done_when in api/openapi.json lists linker_cases::StepEvent::ALL, in order"
    );
}

/// Two UPM-02 runs on `wallet`, one confirmed and one declined, every answer checked; returns
/// the last run's id.
async fn upm_02_confirmed_and_declined(
    c: &mut Conformance,
    hub: &TestHub,
    acqp: &Acqp,
    wallet: &Wallet,
) -> String {
    let mut last = String::new();
    for (action, request_id) in [("confirm", "docs-2"), ("decline", "docs-3")] {
        let (status, run) = wallet
            .send(hub, "POST", "/runs", Some(json!({"caseId": "UPM-02"})))
            .await;
        c.check("POST", "/wallet/v1/runs", status, &run);
        let run = run["id"].as_str().unwrap().to_owned();
        let (_, issued) = wallet
            .send(hub, "POST", &format!("/runs/{run}/payment-code"), None)
            .await;
        acqp.call(
            hub,
            PAY,
            &upm_pay(request_id, issued["code"].as_str().unwrap(), "500"),
        )
        .await;
        let (status, body) = wallet
            .send(hub, "POST", &format!("/runs/{run}/{action}"), None)
            .await;
        assert_eq!(status, StatusCode::OK, "{action}: {body}");
        c.check(
            "POST",
            &format!("/wallet/v1/runs/{{run}}/{action}"),
            status,
            &body,
        );
        last = run;
    }
    last
}
