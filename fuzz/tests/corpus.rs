//! The short fuzz run of every test run: each seed (`corpus/<target>/`) and each crash found and
//! fixed (`regressions/<target>/`) goes through its target, which must not panic.

use std::path::{Path, PathBuf};

use linker_fuzz::TARGETS;

fn files_in(folder: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(folder) else {
        return Vec::new();
    };
    let mut files: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    files
}

fn replay(kind: &str) -> Vec<(&'static str, usize)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join(kind);
    TARGETS
        .iter()
        .map(|(name, target)| {
            let files = files_in(&root.join(name));
            for file in &files {
                let bytes = std::fs::read(file)
                    .unwrap_or_else(|e| panic!("{} cannot be read: {e}", file.display()));
                let outcome = std::panic::catch_unwind(|| target(&bytes));
                assert!(
                    outcome.is_ok(),
                    "{name} panicked on {} ({} bytes)",
                    file.display(),
                    bytes.len()
                );
            }
            (*name, files.len())
        })
        .collect()
}

#[test]
fn every_seed_goes_through_its_target() {
    let counts = replay("corpus");
    assert!(
        counts.iter().all(|(_, n)| *n > 0),
        "every target has seeds: {counts:?}"
    );
}

#[test]
fn every_fixed_crash_stays_fixed() {
    let counts = replay("regressions");
    println!("regression inputs replayed: {counts:?}");
}

#[test]
fn every_target_takes_empty_and_junk_input() {
    for (name, target) in TARGETS {
        for input in [
            &b""[..],
            b"\xff\xfe\x00",
            b"PK\x03\x04",
            b"{}",
            b"[]",
            b"null",
        ] {
            let outcome = std::panic::catch_unwind(|| target(input));
            assert!(outcome.is_ok(), "{name} panicked on {input:?}");
        }
    }
}
