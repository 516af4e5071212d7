#!/usr/bin/env bash
# Runs the Linker wallet app, from a fresh Debian/Ubuntu machine: installs what is missing,
# builds, and opens the app in demo mode: a hub, a demo merchant and the reference acquirer start
# inside the app, the wallet signs in, and the acquirer's POS opens in a second window, so every
# implemented case can be run by hand. `scripts/run.sh --no-demo` opens the plain first screen.
# Without a display (a server, an SSH session), it runs under Xvfb and saves a screenshot instead,
# so you can still see that it works.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup.sh
linker_setup

say "building the wallet app"
cargo build --locked -p linker-app

mode=(--demo)
args=()
for arg in "$@"; do
  if [ "$arg" = "--no-demo" ]; then mode=(); else args+=("$arg"); fi
done

if [ -n "${DISPLAY:-}" ] || [ -n "${WAYLAND_DISPLAY:-}" ]; then
  say "starting the Linker wallet"
  exec target/debug/linker-app "${mode[@]}" "${args[@]}"
fi

shot="target/linker-app-headless.png"
say "no display: running under Xvfb for 20 s and saving a screenshot to $shot"
xvfb-run -a -s "-screen 0 1280x860x24" bash -c '
  target/debug/linker-app "${@:1}" & app=$!
  sleep 18
  import -window root "$0" 2>/dev/null || echo "(install imagemagick for the screenshot)" >&2
  kill $app' "$shot" "${mode[@]}" "${args[@]}"
