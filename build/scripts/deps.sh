#!/usr/bin/env bash
# Makes sure the Debian/Ubuntu packages a task needs are installed: installs them with apt-get when run as root,
# otherwise prints the exact command to run and exits 3.
#   deps.sh desktop   GTK 3 + WebKit2GTK 4.1 headers, to build the desktop window
#   deps.sh test      the above + Xvfb, ImageMagick, D-Bus and Chromium, for the browser and desktop tests, and
#                     PostgreSQL (the tests start their own servers from its binaries; none is configured here)
#   deps.sh postgres  PostgreSQL alone, for the Go tests (task test:go)
set -euo pipefail

desktop=(pkg-config libgtk-3-dev libwebkit2gtk-4.1-dev)
case "${1:-}" in
  desktop) want=("${desktop[@]}") ;;
  test) want=("${desktop[@]}" xvfb xauth imagemagick dbus-x11 chromium fonts-dejavu-core postgresql) ;;
  postgres) want=(postgresql) ;;
  *) echo "usage: $0 desktop|test|postgres" >&2; exit 2 ;;
esac

if ! command -v dpkg-query >/dev/null 2>&1; then
  echo "deps: not a Debian/Ubuntu system; install the equivalents of: ${want[*]}" >&2
  exit 3
fi
missing=()
for p in "${want[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "deps: installing ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  exit 0
fi
echo "deps: missing Debian packages: ${missing[*]}" >&2
echo "deps: run: sudo apt-get update && sudo apt-get install -y --no-install-recommends ${missing[*]}" >&2
exit 3
