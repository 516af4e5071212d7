#!/usr/bin/env bash
# Runs the Linker wallet app, from a fresh Debian/Ubuntu machine: installs what is missing,
# builds, and opens the app's window. Without a display (a server, an SSH session), it runs under
# Xvfb and saves a screenshot instead, so you can still see that it works.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup.sh
linker_setup

say "building the wallet app"
cargo build --locked -p linker-app

if [ -n "${DISPLAY:-}" ] || [ -n "${WAYLAND_DISPLAY:-}" ]; then
  say "starting the Linker wallet"
  exec target/debug/linker-app "$@"
fi

shot="target/linker-app-headless.png"
say "no display: running under Xvfb for 15 s and saving a screenshot to $shot"
xvfb-run -a -s "-screen 0 1280x800x24" bash -c '
  target/debug/linker-app & app=$!
  sleep 12
  import -window root "$0" 2>/dev/null || echo "(install imagemagick for the screenshot)" >&2
  kill $app' "$shot"
