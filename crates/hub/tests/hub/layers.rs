//! The hub's source keeps its layers (ARCHITECTURE.md, "linker-hub"): storage code only in
//! `store/`, every `crate::` import pointing down (or to a sibling inside the same layer
//! folder), and no circle of files importing each other. Read from the source, like the
//! OpenAPI test reads the router.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// The layers, lowest first: a module may import from its own layer folder and lower layers.
const LAYERS: &[&[&str]] = &[
    &["clock", "ids", "store"],
    &["error"],
    &["domain"],
    &["callbacks", "gateway", "import", "mail"],
    &["api", "console"],
    &["server"],
];

/// What the crate root re-exports, by the layer it comes from (`Hub` itself is the shared
/// state every layer's operations hang off, so any layer may name it).
const ROOT_ITEMS: &[(&str, &str)] = &[
    ("Clock", "clock"),
    ("FixedClock", "clock"),
    ("SystemClock", "clock"),
    ("TestClock", "clock"),
    ("Ids", "ids"),
    ("Store", "store"),
    ("StoreError", "store"),
    ("HubError", "error"),
    ("NewProject", "domain"),
    ("Project", "domain"),
    ("ProjectUpdate", "domain"),
    ("ProjectView", "domain"),
];

fn source_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// Every source file, as (path relative to src/, text without `#[cfg(test)]` modules).
fn sources() -> Vec<(String, String)> {
    let root = source_root();
    let mut files = Vec::new();
    rust_files(&root, &mut files);
    files.sort();
    files
        .into_iter()
        .map(|path| {
            let relative = path
                .strip_prefix(&root)
                .unwrap()
                .to_string_lossy()
                .replace('\\', "/");
            let text = std::fs::read_to_string(&path).unwrap();
            let production = match text.find("#[cfg(test)]\nmod tests") {
                Some(at) => text[..at].to_owned(),
                None => text,
            };
            (relative, production)
        })
        .collect()
}

/// The top-level module a file belongs to: `domain/payments/mod.rs` → `domain`.
fn top_module(relative: &str) -> String {
    relative
        .split('/')
        .next()
        .unwrap_or_default()
        .trim_end_matches(".rs")
        .to_owned()
}

fn layer_of(module: &str) -> Option<usize> {
    LAYERS.iter().position(|layer| layer.contains(&module))
}

/// Every `crate::a::b` path a file names, as its module path below the crate (`a::b`), and
/// root items (`crate::Hub`) as themselves.
fn crate_paths(text: &str) -> BTreeSet<String> {
    let mut paths = BTreeSet::new();
    for (at, _) in text.match_indices("crate::") {
        let before = text[..at].chars().next_back();
        if before.is_some_and(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':') {
            continue;
        }
        let rest = &text[at + "crate::".len()..];
        let end = rest
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == ':'))
            .unwrap_or(rest.len());
        let path = rest[..end].trim_end_matches(':');
        if !path.is_empty() {
            paths.insert(path.to_owned());
        }
        // `use crate::{a, b::c}`: each item of the group.
        if rest[end..].starts_with('{') && path.is_empty() {
            let group = &rest[end + 1..rest[end..].find('}').map_or(rest.len(), |e| end + e)];
            for item in group.split(',') {
                let item = item.trim();
                if !item.is_empty() {
                    paths.insert(item.to_owned());
                }
            }
        }
    }
    paths
}

#[test]
fn only_the_store_names_sqlite_or_writes_sql() {
    let mut offenders = Vec::new();
    for (file, text) in sources() {
        if file.starts_with("store/") {
            continue;
        }
        for needle in [
            "rusqlite",
            "params!",
            "prepare_cached(",
            "store.with(",
            "SELECT ",
            "INSERT INTO",
            "DELETE FROM",
        ] {
            if text.contains(needle) {
                offenders.push(format!("{file}: {needle}"));
            }
        }
    }
    assert!(
        offenders.is_empty(),
        "storage code outside crates/hub/src/store/:\n{}",
        offenders.join("\n")
    );
}

#[test]
fn every_import_points_down_the_layers() {
    let roots: BTreeMap<&str, &str> = ROOT_ITEMS.iter().copied().collect();
    let mut offenders = Vec::new();
    for (file, text) in sources() {
        let module = top_module(&file);
        let Some(own) = layer_of(&module) else {
            assert!(
                module == "lib",
                "{file} is in no layer: add its folder to LAYERS here and to ARCHITECTURE.md"
            );
            continue;
        };
        for path in crate_paths(&text) {
            let first = path.split("::").next().unwrap_or_default();
            if first == "Hub" || first == module {
                continue;
            }
            let target = roots.get(first).copied().unwrap_or(first);
            let Some(layer) = layer_of(target) else {
                offenders.push(format!("{file}: crate::{path} is in no known layer"));
                continue;
            };
            if layer >= own {
                offenders.push(format!(
                    "{file} (layer {own}, {module}) imports crate::{path} (layer {layer}, {target})"
                ));
            }
        }
    }
    assert!(
        offenders.is_empty(),
        "imports that run up (or across) the hub's layers:\n{}",
        offenders.join("\n")
    );
}

/// The module a `crate::` path names, as a file of the crate: the longest prefix of the path
/// that is a module file.
fn file_of(path: &str, modules: &BTreeMap<String, String>) -> Option<String> {
    let parts: Vec<&str> = path.split("::").collect();
    (1..=parts.len())
        .rev()
        .find_map(|n| modules.get(&parts[..n].join("::")).cloned())
}

#[test]
fn no_circle_of_files_imports_each_other() {
    let sources = sources();
    // Module path → file: `domain::payments` → `domain/payments/mod.rs`.
    let modules: BTreeMap<String, String> = sources
        .iter()
        .filter(|(file, _)| file != "lib.rs")
        .map(|(file, _)| {
            let module = file
                .trim_end_matches(".rs")
                .trim_end_matches("/mod")
                .replace('/', "::");
            (module, file.clone())
        })
        .collect();
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (file, text) in &sources {
        let edges = graph.entry(file.clone()).or_default();
        for path in crate_paths(text) {
            if let Some(target) = file_of(&path, &modules)
                && &target != file
            {
                edges.insert(target);
            }
        }
    }
    // A depth-first walk that reports the first circle it finds.
    fn visit(
        node: &str,
        graph: &BTreeMap<String, BTreeSet<String>>,
        stack: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) -> Option<Vec<String>> {
        if let Some(at) = stack.iter().position(|n| n == node) {
            let mut circle = stack[at..].to_vec();
            circle.push(node.to_owned());
            return Some(circle);
        }
        if done.contains(node) {
            return None;
        }
        stack.push(node.to_owned());
        for next in graph.get(node).into_iter().flatten() {
            if let Some(circle) = visit(next, graph, stack, done) {
                return Some(circle);
            }
        }
        stack.pop();
        done.insert(node.to_owned());
        None
    }
    let mut done = BTreeSet::new();
    for node in graph.keys() {
        let circle = visit(node, &graph, &mut Vec::new(), &mut done);
        assert!(
            circle.is_none(),
            "a circle of hub files importing each other: {}",
            circle.unwrap_or_default().join(" → ")
        );
    }
}
