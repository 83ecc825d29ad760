#!/usr/bin/env bash
# tidescan demo: build the namespace lab (shared/LAB.md), start the ground truth in the sink
# (TCP listeners over IPv4 and IPv6, a filtered port, real nginx with HTTP, TLS 1.2 and TLS 1.3,
# real OpenSSH), scan it for real with `tidescan --banners` from the scanner namespace, print
# the -oL file, compare the open ports with the ground truth, show the banners, and tear the
# lab down (test/lab/demo.ts).
#
# Packets go only to the lab: the scanner runs in its own network namespace with NO default
# route (checked before scanning), towards 198.18.0.0/15 and 2001:db8::/32, which a second
# namespace owns. Everything started is killed by PID and both namespaces are deleted on
# exit, even on failure or Ctrl-C. Needs root (network namespaces).
#
#   sudo bash scripts/demo.sh            # the real scan
#   RATE=1000000 bash scripts/demo.sh    # another --rate (default 100000)
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "$(id -u)" -ne 0 ]; then
  echo "[-] demo: needs root (it creates network namespaces); run: sudo bash scripts/demo.sh" >&2
  exit 1
fi
if [ ! -f dist/test/lab/demo.js ] || [ ! -f dist/src/cli/main.js ]; then
  echo "[+] demo: building (npx tsc -p .)"
  npx tsc -p . >/dev/null
fi
exec node dist/test/lab/demo.js
