#!/usr/bin/env bash
# tidescan demo: build the namespace lab (shared/LAB.md), scan it for real (IPv4 + IPv6 TCP
# listeners), print what was found next to the lab's ground truth, tear the lab down.
#
# Packets go only to the lab: the scanner runs in its own network namespace with NO default
# route (checked before scanning), towards 198.18.0.0/15 and 2001:db8::/32, which a second
# namespace owns. Everything started here is killed by PID and both namespaces are deleted
# on exit, even on failure or Ctrl-C. Needs root (network namespaces).
#
#   sudo bash scripts/demo.sh            # the real scan
#   RATE=1000000 bash scripts/demo.sh    # another --rate (default 100000)
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "$(id -u)" -ne 0 ]; then
  echo "[-] demo: needs root (it creates network namespaces); run: sudo bash scripts/demo.sh" >&2
  exit 1
fi
if [ ! -f dist/test/lab/lab.js ] || [ ! -f dist/src/cli/main.js ]; then
  echo "[+] demo: building (npx tsc -p .)"
  npx tsc -p . >/dev/null || true
fi

P="td$$"                      # unique per run
RATE="${RATE:-100000}"
OUT="$(mktemp -d /tmp/tidescan-demo.XXXXXX)"
SVC_PID=""
SCAN_NS="$P-scan"
SINK_NS="$P-sink"

cleanup() {
  [ -n "$SVC_PID" ] && kill "$SVC_PID" 2>/dev/null || true
  node dist/test/lab/lab.js down "$P" >/dev/null 2>&1 || true
  rm -rf "$OUT"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

echo "[+] demo: building the lab $P (netns $SCAN_NS -> veth -> netns $SINK_NS)"
node dist/test/lab/lab.js up "$P" >/dev/null

# Ground truth: real listeners in the sink, one filtered port, everything else closed.
TRUTH=(
  "198.18.0.10 80" "198.18.0.10 443" "198.18.1.7 22" "198.18.2.200 8080"
  "2001:db8::10 80" "2001:db8::ab 22" "2001:db8::ff 8080"
)
spec='{"tcp":['
sep=''
for t in "${TRUTH[@]}"; do
  set -- $t
  spec+="$sep{\"host\":\"$1\",\"port\":$2}"
  sep=','
done
spec+='],"udp":[],"lifetimeMs":120000,"watchStdin":false}'
ip netns exec "$SINK_NS" node dist/test/lab/sink-server.js "$(printf '%s' "$spec" | base64 -w0)" \
  >"$OUT/services.log" 2>&1 </dev/null &
SVC_PID=$!
for _ in $(seq 1 100); do
  grep -q READY "$OUT/services.log" 2>/dev/null && break
  if grep -q ERROR "$OUT/services.log" 2>/dev/null; then cat "$OUT/services.log" >&2; exit 1; fi
  sleep 0.05
done
grep -q READY "$OUT/services.log" || { echo "[-] demo: lab services did not start" >&2; exit 1; }
ip netns exec "$SINK_NS" iptables -w 5 -A INPUT -d 198.18.0.20 -p tcp --dport 80 -j DROP

# The rule: no default route in the scanner namespace, for IPv4 and IPv6.
if [ -n "$(ip -n "$SCAN_NS" route show default)" ] || [ -n "$(ip -n "$SCAN_NS" -6 route show default)" ]; then
  echo "[-] demo: REFUSING to scan: $SCAN_NS has a default route" >&2
  exit 1
fi

TARGETS=(198.18.0.0/22 --range 2001:db8::/120)
PORTS="-p22,80,443,8080"
CMD=(node bin/tidescan.js -e "$P-s" --router-mac 02:50:00:00:00:02 "${TARGETS[@]}" "$PORTS"
     --rate "$RATE" --wait 1 -oL "$OUT/scan.txt" --interactive)
echo "[+] demo: ip netns exec $SCAN_NS ${CMD[*]}"
echo
set +e
ip netns exec "$SCAN_NS" timeout -k 5 -s INT 120 "${CMD[@]}"
rc=$?
set -e
echo

if [ "$rc" -ne 0 ] || [ ! -f "$OUT/scan.txt" ]; then
  echo "[-] demo: the scan failed (exit $rc); here is the plan tidescan would follow (-sL, first 10):"
  ip netns exec "$SCAN_NS" node bin/tidescan.js "${TARGETS[@]}" "$PORTS" -sL 2>/dev/null | head -10 || true
  exit 1
fi

echo "[+] demo: -oL file ($OUT/scan.txt):"
sed 's/^/    /' "$OUT/scan.txt"
echo
echo "[+] demo: compared with the lab's ground truth (1024 + 256 hosts x 4 ports = 5120 probes):"
found=$(awk '$1=="open" && $2=="tcp" {print $4" "$3}' "$OUT/scan.txt" | sort -u)
missing=0
for t in "${TRUTH[@]}"; do
  if grep -qxF "$t" <<<"$found"; then
    printf '    found    %-16s port %s (listener)\n' ${t}
  else
    printf '    MISSED   %-16s port %s (listener)\n' ${t}
    missing=$((missing + 1))
  fi
done
extra=0
while read -r line; do
  [ -z "$line" ] && continue
  printf '%s\n' "${TRUTH[@]}" | grep -qxF "$line" && continue
  printf '    EXTRA    %-16s port %s (not a listener)\n' $line
  extra=$((extra + 1))
done <<<"$found"
echo "    198.18.0.20 port 80 is filtered (dropped) and every other port answers RST: not open."
echo
if [ "$missing" -eq 0 ] && [ "$extra" -eq 0 ]; then
  echo "[+] demo: tidescan found exactly the ${#TRUTH[@]} listeners and nothing else."
else
  echo "[-] demo: $missing missed, $extra extra."
  exit 1
fi
