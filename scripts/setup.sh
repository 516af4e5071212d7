#!/usr/bin/env bash
# Installs what Linker needs on a Debian/Ubuntu machine, and nothing twice: system packages for
# WebKitGTK, Xvfb and WebKitWebDriver, cmake, tauri-driver, and cargo-nextest. Sourced by run.sh
# and test.sh; safe to run on its own. Fast when everything is already there.
set -euo pipefail

LINKER_APT_PACKAGES=(
  # building the Tauri app
  libwebkit2gtk-4.1-dev build-essential curl wget file libxdo-dev libssl-dev
  libayatana-appindicator3-dev librsvg2-dev pkg-config
  # running it headless and driving it over WebDriver
  xvfb xauth webkit2gtk-driver
  # screenshots of a headless run, and the console's browser tests
  imagemagick
  chromium chromium-driver
  # a font with Chinese in it, so the web wallet's Chinese screens are words in its screenshots
  fonts-wqy-microhei
  libxml2-utils # xmllint: the JUnit report tests validate against their schema
  cmake # builds ZXing-C++, linker-scan's decoder, from the zxing-cpp crate's bundled sources
)
TAURI_DRIVER_VERSION=2.1.0

say() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else
    echo "setup: need root (or sudo) to run: $*" >&2
    return 1
  fi
}

ensure_apt_packages() {
  local missing=()
  for package in "${LINKER_APT_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" ||
      missing+=("$package")
  done
  if [ "${#missing[@]}" -gt 0 ]; then
    say "installing system packages: ${missing[*]}"
    as_root apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
      "${missing[@]}" >/dev/null
  fi
}

ensure_cargo_tools() {
  export PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"
  if ! command -v cargo >/dev/null; then
    echo "setup: cargo is not installed; install Rust with rustup first (https://rustup.rs)" >&2
    return 1
  fi
  if ! tauri-driver --help >/dev/null 2>&1; then
    say "installing tauri-driver $TAURI_DRIVER_VERSION"
    cargo install --locked --quiet "tauri-driver@$TAURI_DRIVER_VERSION"
  fi
  if ! cargo nextest --version >/dev/null 2>&1; then
    say "installing cargo-nextest"
    cargo install --locked --quiet cargo-nextest
  fi
}

linker_setup() {
  ensure_apt_packages
  ensure_cargo_tools
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
  linker_setup
  say "setup complete"
fi
