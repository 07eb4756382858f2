#!/usr/bin/env bash
# Checks the Go and Node.js versions Atrium builds with, and says what to install when they are too old.
set -euo pipefail
fail=0
gov=$(go env GOVERSION 2>/dev/null || echo none)
case "$gov" in
  go1.2[6-9]*|go1.[3-9]*) ;;
  *) echo "check-tools: Go 1.26 or newer is needed (found $gov)" >&2; fail=1 ;;
esac
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  echo "check-tools: Node.js 20.19+ (or 22.12+) with npm is needed to build the UI; none found" >&2
  fail=1
else
  nv=$(node -p 'process.versions.node')
  node -e 'const [a,b]=process.versions.node.split(".").map(Number); process.exit((a==20&&b>=19)||(a==22&&b>=12)||a>=24||a==23?0:1)' ||
    { echo "check-tools: Node.js 20.19+ or 22.12+ is needed (found $nv)" >&2; fail=1; }
fi
exit $fail
