#!/usr/bin/env bash
# Desktop smoke test: starts the Wails binary (built with -tags desktop,production,webkit2_41) in local mode under
# Xvfb and proves the window rendered the catalog:
#   1. the UI, running inside WebKitGTK, reports through the local API that it rendered N catalog rows
#      (the app logs `msg="ui event" kind=ui.ready ... count=N`), with N >= 60 demo services;
#   2. a screenshot of the display is not blank (many colours, visible contrast).
# usage: desktop-smoke.sh [BINARY] [OUTDIR]
set -euo pipefail
bin=${1:-build/bin/atrium}
out=${2:-build/smoke}
mkdir -p "$out"
data=$(mktemp -d)
log="$out/app.log"
shot="$out/desktop.png"
rm -f "$log" "$shot"

for t in Xvfb import convert dbus-run-session; do
  command -v "$t" >/dev/null || { echo "desktop-smoke: $t missing (build/scripts/deps.sh test installs it)" >&2; exit 1; }
done

# A free display number.
disp=90
while [ -e "/tmp/.X11-unix/X$disp" ] || [ -e "/tmp/.X$disp-lock" ]; do disp=$((disp + 1)); done
Xvfb ":$disp" -screen 0 1440x920x24 -nolisten tcp >"$out/xvfb.log" 2>&1 &
xvfb=$!
app=""
cleanup() {
  [ -n "$app" ] && kill "$app" 2>/dev/null || true
  kill "$xvfb" 2>/dev/null || true
  rm -rf "$data"
}
trap cleanup EXIT
for _ in $(seq 50); do [ -e "/tmp/.X11-unix/X$disp" ] && break; sleep 0.1; done
export DISPLAY=":$disp"

dbus-run-session -- "$bin" --data "$data" >"$log" 2>&1 &
app=$!

count=""
for _ in $(seq 600); do
  if ! kill -0 "$app" 2>/dev/null; then
    echo "desktop-smoke: the app exited early; its log:" >&2; cat "$log" >&2; exit 1
  fi
  count=$(sed -n 's/.*msg="ui event" kind=ui.ready.* count=\([0-9]*\).*/\1/p' "$log" | head -n1)
  [ -n "$count" ] && break
  sleep 0.1
done
if [ -z "$count" ]; then
  echo "desktop-smoke: the UI never reported ui.ready within 60 s; app log:" >&2; cat "$log" >&2; exit 1
fi
if [ "$count" -lt 60 ]; then
  echo "desktop-smoke: the window rendered $count services, expected the demo catalog (>= 60)" >&2; exit 1
fi
grep -q 'msg="desktop window started"' "$log" || { echo "desktop-smoke: not a desktop window (fell back to web?)" >&2; cat "$log" >&2; exit 1; }
grep -q 'msg="ui event" kind=ui.ready.* client=desktop' "$log" || { echo "desktop-smoke: the UI that reported ready was not the window's" >&2; cat "$log" >&2; exit 1; }

sleep 1 # let the first frame with the rows reach the X server
import -window root "$shot"
colours=$(convert "$shot" -format '%k' info:)
stddev=$(convert "$shot" -colorspace Gray -format '%[fx:standard_deviation]' info:)
echo "desktop-smoke: window rendered $count services; screenshot $shot has $colours colours, contrast $stddev"
if [ "$colours" -lt 64 ] || awk "BEGIN{exit !($stddev < 0.05)}"; then
  echo "desktop-smoke: the screenshot looks blank" >&2; exit 1
fi
echo "desktop-smoke: ok"
