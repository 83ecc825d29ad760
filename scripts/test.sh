#!/usr/bin/env bash
# Run every test of tidescan: set up (idempotent), type-check and build from clean, then the
# unit/property/fuzz/compat tests, then the namespace lab's end-to-end tests (need root).
set -uo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup.sh || exit 1

echo "[+] test: clean build with type checking"
rm -rf dist
if ! npx tsc -p .; then
  echo "[-] test: TypeScript errors" >&2
  exit 1
fi

mapfile -t unit < <(find dist/test -name '*.test.js' -not -path 'dist/test/lab/*' | sort)
mapfile -t lab < <(find dist/test/lab -name '*.test.js' 2>/dev/null | sort)

rc=0
echo "[+] test: ${#unit[@]} unit/property/compat test files"
node --test --test-concurrency=2 "${unit[@]}" || rc=1

if [ "${#lab[@]}" -gt 0 ]; then
  echo "[+] test: ${#lab[@]} namespace-lab test files (root, one at a time)"
  node --test --test-concurrency=1 "${lab[@]}" || rc=1
fi

if [ "$rc" -ne 0 ]; then echo "[-] test: FAILED" >&2; else echo "[+] test: all passed"; fi
exit "$rc"
