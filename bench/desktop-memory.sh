#!/usr/bin/env bash
# Idle memory of the desktop window in local mode: launches the Wails binary under Xvfb on an empty data
# directory, waits for the first catalog rows (ui.ready), leaves it idle for SECONDS (default 600), then reads
#   - the Go process (the window's UI process, which also links GTK and WebKit): VmRSS split into anonymous and
#     file-backed (its binary and shared libraries), PSS, the live heap after the last garbage collection
#     (GODEBUG=gctrace=1, which any build prints: a baseline without profiles is measured the same way) and, from
#     builds that serve profiles ($ATRIUM_PPROF), the Go runtime's own figures, its heap profile kept as heap.pb.gz;
#   - WebKit's web and network processes (its children): RSS and PSS;
#   - the whole app: the sum of PSS (shared pages counted once across the processes).
# Writes everything to OUTDIR (default bench/out/memory) and prints a summary line.
#
# usage: bench/desktop-memory.sh [BINARY] [SECONDS] [OUTDIR]   (build the binary with task build:desktop)
set -euo pipefail
bin=${1:-build/bin/atrium}
secs=${2:-600}
out=${3:-bench/out/memory}
mkdir -p "$out"
# Xvfb, D-Bus and the GTK/WebKit libraries: installed when run as root, else the command to install them is printed.
bash "$(dirname "$0")/../build/scripts/deps.sh" test
command -v curl >/dev/null || { echo "desktop-memory: curl missing" >&2; exit 1; }
data=$(mktemp -d)
disp=93
while [ -e "/tmp/.X11-unix/X$disp" ] || [ -e "/tmp/.X$disp-lock" ]; do disp=$((disp + 1)); done
Xvfb ":$disp" -screen 0 1440x920x24 -nolisten tcp >"$out/xvfb.log" 2>&1 &
xvfb=$!
app=""
cleanup() {
  # Stopping the window ends its session bus (dbus-run-session exits with its child).
  [ -n "$app" ] && kill "$app" 2>/dev/null || true
  [ -n "${session:-}" ] && wait "$session" 2>/dev/null || true
  kill "$xvfb" 2>/dev/null || true
  rm -rf "$data"
}
trap cleanup EXIT
for _ in $(seq 50); do [ -e "/tmp/.X11-unix/X$disp" ] && break; sleep 0.1; done
export DISPLAY=":$disp"
port=$((20000 + RANDOM % 20000))
export ATRIUM_PPROF="127.0.0.1:$port"
export GODEBUG=gctrace=1

log="$out/app.log"
# A private session bus (dbus-run-session) for the window; the window is its child, WebKit's processes are the
# window's. No accessibility bus (NO_AT_BRIDGE): GTK would start one that outlives the window.
export NO_AT_BRIDGE=1
dbus-run-session -- "$bin" --data "$data" >"$log" 2>&1 &
session=$!
app=""
for _ in $(seq 100); do app=$(pgrep -P "$session" -x "$(basename "$bin" | cut -c1-15)" || true); [ -n "$app" ] && break; sleep 0.05; done
[ -n "$app" ] || { echo "desktop-memory: the window did not start" >&2; exit 1; }
for _ in $(seq 600); do
  grep -q 'kind=ui.ready' "$log" && break
  kill -0 "$app" 2>/dev/null || { echo "desktop-memory: the app exited; its log:" >&2; cat "$log" >&2; exit 1; }
  sleep 0.1
done
grep -q 'kind=ui.ready' "$log" || { echo "desktop-memory: no ui.ready within 60 s" >&2; cat "$log" >&2; exit 1; }
echo "desktop-memory: ready; idle for $secs s"
sleep "$secs"

kb() { awk -v k="$2:" '$1 == k {print $2}' "/proc/$1/status"; }
pss() { awk '/^Pss:/ {print $2}' "/proc/$1/smaps_rollup"; }
# The last collection's line: "gc N @Ts P%: ... before->after->live MB, goal MB, ..." (live = marked heap).
lastgc=$(grep -E '^gc [0-9]+ @' "$log" | tail -n1 || true)
: >"$out/memstats.txt"
if curl -sf "http://$ATRIUM_PPROF/debug/pprof/heap?debug=1" -o "$out/heap.txt"; then
  grep -E '^# (HeapInuse|HeapAlloc|HeapSys|HeapReleased|Sys|Stack|NumGC) ' "$out/heap.txt" >"$out/memstats.txt" || true
  curl -sf "http://$ATRIUM_PPROF/debug/pprof/heap" -o "$out/heap.pb.gz" || true
else
  echo "# (this build serves no profiles: the gctrace line only)" >"$out/memstats.txt"
fi
# Where the window's resident pages are, by mapping (its binary, each shared library, anonymous memory).
cp "/proc/$app/smaps" "$out/go-process-smaps.txt"
# The binary's resident pages by ELF section (text, rodata, pclntab, data), from the kernel's page map.
if [ -r "/proc/$app/pagemap" ] && command -v python3 >/dev/null; then
  python3 "$(dirname "$0")/resident-sections.py" "$app" "$(readlink -f "/proc/$app/exe")" >"$out/binary-sections.txt" 2>&1 || true
fi
awk '/^[0-9a-f]+-[0-9a-f]+ /{name=($6 == "" ? "[anon]" : $6)} /^Rss:/{rss[name]+=$2} END{for (n in rss) if (rss[n] >= 1024) printf "%8d kB  %s\n", rss[n], n}' \
  "/proc/$app/smaps" | sort -rn >"$out/go-process-mappings.txt"
{
  echo "go process $app: rss $(kb "$app" VmRSS) kB (anon $(kb "$app" RssAnon), file $(kb "$app" RssFile)), pss $(pss "$app") kB"
  echo "  last gc: $lastgc"
  sed 's/^# /  go runtime /' "$out/memstats.txt"
  total=$(pss "$app")
  for child in $(pgrep -P "$app" || true); do
    name=$(cat "/proc/$child/comm")
    echo "$name $child: rss $(kb "$child" VmRSS) kB, pss $(pss "$child") kB"
    total=$((total + $(pss "$child")))
  done
  echo "whole app: pss $total kB"
} | tee "$out/summary.txt"
