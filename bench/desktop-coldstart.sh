#!/usr/bin/env bash
# Cold start of the desktop window: from launching the Wails binary (local mode) under Xvfb to the first catalog
# rows painted — the UI reports ui.ready once they are (after the frame), and the app logs it with its time.
# "cold" runs start on an empty data directory (local mode seeds the demo portal and syncs the replica first);
# "warm" runs reopen one that was used before. Prints each run and the median, in ms.
#
# usage: bench/desktop-coldstart.sh [BINARY] [RUNS]   (default build/bin/atrium, 5; build it with task build:desktop)
set -euo pipefail
bin=${1:-build/bin/atrium}
runs=${2:-5}
# Xvfb, D-Bus and the GTK/WebKit libraries: installed when run as root, else the command to install them is printed.
bash "$(dirname "$0")/../build/scripts/deps.sh" test
work=$(mktemp -d)
disp=91
while [ -e "/tmp/.X11-unix/X$disp" ] || [ -e "/tmp/.X$disp-lock" ]; do disp=$((disp + 1)); done
Xvfb ":$disp" -screen 0 1440x920x24 -nolisten tcp >"$work/xvfb.log" 2>&1 &
xvfb=$!
app=""
cleanup() {
  [ -n "$app" ] && kill "$app" 2>/dev/null || true
  kill "$xvfb" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
for _ in $(seq 50); do [ -e "/tmp/.X11-unix/X$disp" ] && break; sleep 0.1; done
export DISPLAY=":$disp"

# No accessibility bus (NO_AT_BRIDGE): GTK would start one per window that outlives it.
export NO_AT_BRIDGE=1

# one DATA LOG: launches the window, waits for ui.ready, prints the ms from launch to it, stops the window (its
# session bus, dbus-run-session, exits with it).
one() {
  local data=$1 log=$2 start ready session
  : >"$log"
  start=$(date +%s%N)
  dbus-run-session -- "$bin" --data "$data" >"$log" 2>&1 &
  session=$!
  app=$session
  for _ in $(seq 600); do
    ready=$(sed -n 's/^time=\([^ ]*\) .*msg="ui event" kind=ui.ready.*/\1/p' "$log" | head -n1)
    [ -n "$ready" ] && break
    kill -0 "$app" 2>/dev/null || { echo "desktop-coldstart: the app exited; its log:" >&2; cat "$log" >&2; exit 1; }
    sleep 0.02
  done
  [ -n "$ready" ] || { echo "desktop-coldstart: no ui.ready within 12 s; log:" >&2; cat "$log" >&2; exit 1; }
  # The window, not the session's dbus-daemon (also a child of dbus-run-session).
  app=$(pgrep -P "$session" -x "$(basename "$bin" | cut -c1-15)")
  kill "$app"
  wait "$session" 2>/dev/null || true
  app=""
  echo $(( ($(date -d "$ready" +%s%N) - start) / 1000000 ))
}

median() { sort -n | awk '{a[NR]=$1} END{print (NR%2 ? a[(NR+1)/2] : int((a[NR/2]+a[NR/2+1])/2))}'; }

cold=() warm=()
for i in $(seq "$runs"); do
  cold+=("$(one "$work/cold-$i" "$work/cold-$i.log")")
  warm+=("$(one "$work/cold-$i" "$work/warm-$i.log")")
done
echo "cold (empty data directory): ${cold[*]} ms; median $(printf '%s\n' "${cold[@]}" | median) ms"
echo "warm (data directory used before): ${warm[*]} ms; median $(printf '%s\n' "${warm[@]}" | median) ms"
