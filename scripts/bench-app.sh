#!/usr/bin/env bash
# The wallet app's start, against the floor WebKit sets: builds `linker-app` and a minimal Tauri
# app (bench/minimal-app: one static page, same Tauri, features, window size and release profile)
# in release, launches each N times (default 10) under an Xvfb of its own, and prints, side by
# side with the ratios: the wallet, the minimal app, the minimal app painting on the CPU as the
# wallet does by itself (WEBKIT_SKIA_ENABLE_CPU_RENDERING=1, see `paint_on_cpu` in
# src-tauri/src/lib.rs: the fair floor), and the minimal app with WebKit's accelerated
# compositing and WebGL off (LINKER_MINIMAL_LIGHT=1: the floor without them):
#   - the median time from launch to the first screen drawn: the script notes the time just
#     before it execs the app; the page, after its `load` event and two animation frames, emits
#     `first-screen-drawn`, and the app (LINKER_FIRST_SCREEN=1) prints the time it got it on
#     stderr (`linker-first-screen <unix ns>`);
#   - the median memory of the app and its WebKit processes (web and network), PSS and RSS from
#     /proc/<pid>/smaps_rollup, one second after the first screen. PSS splits shared pages among
#     the processes that share them, so the sum is the group's real footprint; RSS counts each
#     shared library once per process.
# With --timeline it also prints the median time of each step of the start, from launch: the
# app's own marks (`linker-mark <name> <unix ns>`: run, setup, wallet opened, first command, see
# src-tauri/src/timeline.rs) and the page's (`page:`: navigation, HTML received, DOM ready, load,
# drawn, and the wallet's first commands answered, see ui/early.js).
# Every launch is a new user's first: fresh XDG data, cache and config folders (the wallet opens
# on its welcome screen). Launches alternate between the apps, after one warm-up launch of
# each (not counted) whose screen is saved to <target>/bench-app/<app>.png to check by eye.
#
#   scripts/bench-app.sh [--launches N] [--settle-ms MS] [--timeline] [--json] [--no-build]
# (LINKER_APP_BIN and MINIMAL_APP_BIN, with --no-build, measure binaries copied elsewhere.)
set -euo pipefail
cd "$(dirname "$0")/.."

launches=10
settle_ms=1000
json=0
build=1
timeline=0
while [ $# -gt 0 ]; do
  case "$1" in
    --launches) launches="$2"; shift 2 ;;
    --settle-ms) settle_ms="$2"; shift 2 ;;
    --json) json=1; shift ;;
    --timeline) timeline=1; shift ;;
    --no-build) build=0; shift ;;
    *) echo "bench-app: unknown argument $1 (see the script's header)" >&2; exit 2 ;;
  esac
done

say() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }

target_dir="${CARGO_TARGET_DIR:-$(cargo metadata --format-version 1 --no-deps |
  sed -n 's/.*"target_directory":"\([^"]*\)".*/\1/p')}"
if [ "$build" = 1 ]; then
  say "building linker-app and the minimal app in release (target: $target_dir)"
  cargo build --release --locked -p linker-app --features custom-protocol >&2
  cargo build --release --locked --manifest-path bench/minimal-app/Cargo.toml \
    --features custom-protocol --target-dir "$target_dir" >&2
fi

# Copies of the binaries: another build in the same target folder may replace them meanwhile.
work="$(mktemp -d)"
xvfb_pid=""
cleanup() {
  [ -n "$xvfb_pid" ] && kill "$xvfb_pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
cp "${LINKER_APP_BIN:-$target_dir/release/linker-app}" "$work/linker-app"
cp "${MINIMAL_APP_BIN:-$target_dir/release/linker-minimal-app}" "$work/minimal-app"
shots="$target_dir/bench-app"
mkdir -p "$shots"

exec 3< <(Xvfb -displayfd 1 -screen 0 1280x800x24 -nolisten tcp 2>/dev/null & echo "pid $!")
read -r _ xvfb_pid <&3
read -r display_number <&3
display=":$display_number"
load_before="$(cut -d' ' -f1-3 /proc/loadavg)"

# The pid and every descendant of it, one a line.
tree() {
  local pid="$1" child
  echo "$pid"
  for child in $(cat /proc/"$pid"/task/*/children 2>/dev/null); do tree "$child"; done
}

# `<kind> <pss kB> <rss kB>` for each process of the tree (kind: app, web, network, other).
memory() {
  local pid comm kind pss rss
  for pid in $(tree "$1"); do
    comm="$(cat /proc/"$pid"/comm 2>/dev/null)" || continue
    case "$comm" in
      WebKitWebProces*) kind=web ;;
      WebKitNetworkPr*) kind=network ;;
      linker-app | minimal-app) kind=app ;;
      *) kind=other ;;
    esac
    pss="$(awk '/^Pss:/ {print $2}' /proc/"$pid"/smaps_rollup 2>/dev/null)" || continue
    rss="$(awk '/^Rss:/ {print $2}' /proc/"$pid"/smaps_rollup 2>/dev/null)" || continue
    [ -n "$pss" ] && echo "$kind $pss $rss"
  done
}

# One launch of `$1` (linker-app, minimal-app, minimal-cpu: the minimal app painting on the CPU,
# or minimal-light: the minimal app without compositing) as a new user; prints
# `<ms to first screen> <pss total> <rss total> <app pss> <app rss> <web pss> <web rss> <net pss> <net rss>`
# (memory in kB); `$2`, when given, is where to save a screenshot.
launch() {
  local app="$1" shot="${2:-}" home log start drawn pid deadline binary="$1" light=0 cpu=""
  [ "$app" = minimal-light ] && binary=minimal-app light=1
  [ "$app" = minimal-cpu ] && binary=minimal-app cpu=1
  home="$(mktemp -d "$work/home.XXXX")"
  log="$home/stderr"
  (
    export DISPLAY="$display" XDG_DATA_HOME="$home/data" XDG_CACHE_HOME="$home/cache" \
      XDG_CONFIG_HOME="$home/config" LINKER_FIRST_SCREEN=1 LINKER_MINIMAL_LIGHT="$light"
    unset LINKER_WALLET_DATA LINKER_HUB_URL LINKER_DEMO WEBKIT_SKIA_ENABLE_CPU_RENDERING
    [ -n "$cpu" ] && export WEBKIT_SKIA_ENABLE_CPU_RENDERING=1
    echo "${EPOCHREALTIME/./}" >"$home/start"
    exec "$work/$binary" 2>"$log"
  ) &
  pid=$!
  deadline=$((SECONDS + 60))
  until grep -q '^linker-first-screen ' "$log" 2>/dev/null; do
    if [ "$SECONDS" -ge "$deadline" ] || ! kill -0 "$pid" 2>/dev/null; then
      echo "bench-app: $app showed no first screen within 60 s; its stderr:" >&2
      cat "$log" >&2 || true
      exit 1
    fi
    sleep 0.01
  done
  [ -n "$shot" ] && import -display "$display" -window root "$shot" 2>/dev/null
  sleep "$(awk -v ms="$settle_ms" 'BEGIN {print ms / 1000}')"
  start="$(cat "$home/start")"
  drawn="$(awk '/^linker-first-screen / {print $2; exit}' "$log")"
  # The timeline's marks, `<name> <ms from launch>` (warm-up launches are not counted).
  [ -z "$shot" ] && awk -v start_us="$start" '
    /^linker-mark / { printf "%s %.1f\n", $2, ($3 / 1000 - start_us) / 1000 }
    /^linker-first-screen / { printf "first-screen-heard %.1f\n", ($2 / 1000 - start_us) / 1000 }
    /^linker-page-marks / {
      body = $0; sub(/^linker-page-marks \{/, "", body); sub(/\}[^}]*$/, "", body)
      n = split(body, pairs, ",")
      for (k = 1; k <= n; k++) {
        split(pairs[k], kv, ":"); name = kv[1]; gsub(/"/, "", name)
        if (kv[2] + 0 > 0) printf "page:%s %.1f\n", name, (kv[2] * 1000 - start_us) / 1000
      }
    }' "$log" >>"$work/$app.marks"
  memory "$pid" | awk -v start_us="$start" -v drawn_ns="$drawn" '
    { pss[$1] += $2; rss[$1] += $3; tp += $2; tr += $3 }
    END {
      printf "%.1f %d %d %d %d %d %d %d %d\n", (drawn_ns / 1000 - start_us) / 1000, tp, tr,
        pss["app"], rss["app"], pss["web"], rss["web"], pss["network"], rss["network"]
    }'
  local pids
  pids="$(tree "$pid")"
  kill $pids 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  sleep 0.2
  kill -KILL $pids 2>/dev/null || true
  rm -rf "$home"
}

apps=(linker-app minimal-app minimal-cpu minimal-light)
say "warm-up launches (screenshots in $shots)"
for app in "${apps[@]}"; do launch "$app" "$shots/$app.png" >/dev/null; done
for i in $(seq "$launches"); do
  say "launch $i of $launches"
  for app in "${apps[@]}"; do launch "$app" >>"$work/$app.txt"; done
done
load_after="$(cut -d' ' -f1-3 /proc/loadavg)"

# The median of column `$2` of file `$1`.
median() {
  awk -v c="$2" '{print $c}' "$1" | sort -g | awk '{v[NR] = $1}
    END { if (NR % 2) print v[(NR + 1) / 2]; else printf "%.1f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

names=(first_screen_ms pss_total_kb rss_total_kb app_pss_kb app_rss_kb web_pss_kb web_rss_kb
  network_pss_kb network_rss_kb)
declare -A med
for app in "${apps[@]}"; do
  for column in "${!names[@]}"; do
    med[$app.${names[$column]}]="$(median "$work/$app.txt" $((column + 1)))"
  done
done
# linker-app's median over `$2`'s, for the measure `$1`.
ratio() {
  awk -v a="${med[linker-app.$1]}" -v b="${med[$2.$1]}" \
    'BEGIN {if (b > 0) printf "%.2f", a / b; else printf "null"}'
}

# `<name> <median ms> <count>` of each mark of `$1`'s timeline, earliest first.
timeline_of() {
  [ -f "$work/$1.marks" ] || return 0
  sort -k1,1 -k2,2g "$work/$1.marks" | awk '
    function flush() { if (n) printf "%s %.1f %d\n", name, (n % 2 ? v[(n + 1) / 2] : (v[n / 2] + v[n / 2 + 1]) / 2), n }
    $1 != name { flush(); name = $1; n = 0 }
    { v[++n] = $2 }
    END { flush() }' | sort -k2,2g
}

if [ "$json" = 1 ]; then
  printf '{"launches": %d, "settle_ms": %d, "load_before": "%s", "load_after": "%s"' \
    "$launches" "$settle_ms" "$load_before" "$load_after"
  for app in "${apps[@]}"; do
    printf ',\n "%s": {"median": {' "$app"
    sep=""
    for name in "${names[@]}"; do printf '%s"%s": %s' "$sep" "$name" "${med[$app.$name]}"; sep=", "; done
    printf '}, "timeline_ms": {%s}' "$(timeline_of "$app" |
      awk '{printf "%s\"%s\": %s", (NR > 1 ? ", " : ""), $1, $2}')"
    printf ', "runs": [%s]}' "$(awk '{gsub(" ", ","); printf "%s[%s]", (NR > 1 ? "," : ""), $0}' \
      "$work/$app.txt")"
  done
  for floor in minimal-app minimal-cpu minimal-light; do
    printf ',\n "ratio_to_%s": {"first_screen": %s, "pss_total": %s, "rss_total": %s}' "$floor" \
      "$(ratio first_screen_ms "$floor")" "$(ratio pss_total_kb "$floor")" \
      "$(ratio rss_total_kb "$floor")"
  done
  printf '}\n'
  exit 0
fi

mb() { awk -v kb="$1" 'BEGIN {printf "%.1f", kb / 1024}'; }
printf '\nMedians of %d launches each (release, Xvfb 1280x800, memory %d ms after the first screen)\n' \
  "$launches" "$settle_ms"
printf 'load average: %s before, %s after\n' "$load_before" "$load_after"
printf 'minimal: one static page, default WebKit settings; minimal-cpu: the same painting on the\n'
printf 'CPU, as the wallet does by itself (the fair floor); minimal-light: the same with the\n'
printf "accelerated compositing and WebGL off. ratio: linker-app / that column.\n\n"
row() { printf '%-34s %10s %10s %6s %11s %6s %13s %6s\n' "$@"; }
row "" "linker-app" "minimal" "ratio" "minimal-cpu" "ratio" "minimal-light" "ratio"
row "launch to first screen (ms)" "${med[linker-app.first_screen_ms]}" \
  "${med[minimal-app.first_screen_ms]}" "$(ratio first_screen_ms minimal-app)" \
  "${med[minimal-cpu.first_screen_ms]}" "$(ratio first_screen_ms minimal-cpu)" \
  "${med[minimal-light.first_screen_ms]}" "$(ratio first_screen_ms minimal-light)"
for line in "pss_total_kb:PSS, app + WebKit (MB)" "rss_total_kb:RSS, app + WebKit (MB)" \
  "app_pss_kb:  PSS app (MB)" "web_pss_kb:  PSS WebKitWebProcess (MB)" \
  "network_pss_kb:  PSS WebKitNetworkProcess (MB)" "app_rss_kb:  RSS app (MB)" \
  "web_rss_kb:  RSS WebKitWebProcess (MB)" "network_rss_kb:  RSS WebKitNetworkProcess (MB)"; do
  key="${line%%:*}"
  row "${line#*:}" "$(mb "${med[linker-app.$key]}")" "$(mb "${med[minimal-app.$key]}")" \
    "$(ratio "$key" minimal-app)" "$(mb "${med[minimal-cpu.$key]}")" "$(ratio "$key" minimal-cpu)" \
    "$(mb "${med[minimal-light.$key]}")" "$(ratio "$key" minimal-light)"
done
if [ "$timeline" = 1 ]; then
  printf '\nThe start, step by step: median ms from launch (page: the page'"'"'s own steps)\n'
  for app in "${apps[@]}"; do
    printf '\n%s\n' "$app"
    timeline_of "$app" | awk '{printf "  %-28s %8.1f\n", $1, $2}'
  done
fi
