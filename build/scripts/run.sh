#!/usr/bin/env bash
# The README's first command ends here: build the desktop binary when its system libraries are (or can be)
# installed and open the window; otherwise build the plain binary, which serves the same UI to a browser.
# Either binary serves the UI on http://127.0.0.1:PORT when there is no display.
set -euo pipefail
cd "$(dirname "$0")/../.."
ldflags="-X github.com/sphera/atrium/backend/api.Version=$(git describe --tags --always --dirty 2>/dev/null || echo dev)"
if bash build/scripts/deps.sh desktop; then
  CGO_ENABLED=1 go build -tags desktop,production,webkit2_41 -ldflags "$ldflags" -o build/bin/atrium .
  exec ./build/bin/atrium "$@"
fi
echo "run: building without the desktop window; the UI opens in your browser instead." >&2
go build -ldflags "$ldflags" -o atrium .
exec ./atrium web --addr 127.0.0.1:0 "$@"
