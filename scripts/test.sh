#!/usr/bin/env bash
# The whole test suite, from a fresh Debian/Ubuntu machine: installs what is missing, checks
# formatting and lints, then runs every test of every crate, the app's end-to-end WebDriver tests
# included (they start their own Xvfb, tauri-driver and WebKitWebDriver).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup.sh
linker_setup

say "cargo fmt --check"
cargo fmt --all -- --check

say "cargo clippy (warnings are errors)"
cargo clippy --workspace --all-targets --locked -- -D warnings

say "doc tests"
cargo test --workspace --doc --locked --quiet

# Last, so its summary line is the suite's closing line.
say "cargo nextest run --workspace"
cargo nextest run --workspace --locked --no-fail-fast "$@"
