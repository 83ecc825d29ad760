#!/usr/bin/env bash
# Bring the namespace lab (test/lab/lab.ts, shared/LAB.md) up or down by hand. Needs root.
#   bash scripts/lab.sh up [PREFIX] [--ifb] [--no-ipv6] [--drop-ingress]
#   bash scripts/lab.sh status PREFIX
#   bash scripts/lab.sh down PREFIX
# A lab brought up by hand stays until `down` (the tests' labs clean up by themselves).
set -euo pipefail
cd "$(dirname "$0")/.."
[ -f dist/test/lab/lab.js ] || npx tsc -p . >/dev/null || true
exec node dist/test/lab/lab.js "$@"
