#!/usr/bin/env bash
# Decoding against zbar and ZXing-C++, in one run: generates the hard set (a few hundred damaged
# 1280x720 camera frames, into target/decode-hard), decodes every picture with Linker's engine
# (release build of linker-scan's measure_hard_set example), ZXing-C++ (PyPI zxing-cpp) and zbar
# (zbarimg), and prints the per-category table of crates/scan/tests/decode-set/BENCH.md.
#
#   scripts/bench-decode.sh [--json FILE] [--misses] [ENGINE...]
#
# ENGINE: Linker engines to measure (names as in linker_scan::Engine::as_str); the first is the
# one compared with the other two; default: `default` (the engine linker_scan::decode uses).
# `frames` adds the camera stream (linker_scan::FrameScanner: each picture as consecutive frames,
# CPU ms per frame).
# zbar-tools, zxing-cpp and Pillow are installed here if missing: they serve this benchmark only,
# never the build or the tests.
set -euo pipefail
cd "$(dirname "$0")/.."

py_args=()
engines=()
while [ $# -gt 0 ]; do
  case "$1" in
    --json) py_args+=(--json "$2"); shift 2 ;;
    --misses) py_args+=(--misses); shift ;;
    *) engines+=("$1"); shift ;;
  esac
done
[ "${#engines[@]}" -gt 0 ] || engines=(default)

if ! command -v zbarimg >/dev/null; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq zbar-tools >/dev/null
fi
python3 -c 'import zxingcpp, PIL' 2>/dev/null || python3 -m pip install -q zxing-cpp pillow

target="${CARGO_TARGET_DIR:-$(cargo metadata --format-version 1 --no-deps |
  python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')}"
set_dir="$target/decode-hard"
cargo build -q --release -p linker-scan --example gen_hard_set --example measure_hard_set
"$target/release/examples/gen_hard_set" "$set_dir" >&2
"$target/release/examples/measure_hard_set" "$set_dir" "${engines[@]}" >"$set_dir/linker.jsonl"
python3 scripts/bench_decode.py "$set_dir" "$set_dir/linker.jsonl" "${py_args[@]}"
