#!/usr/bin/env bash
# Set up everything tidescan needs on a Debian machine: the lab's Debian packages, the npm
# dependencies, the native addon (node-gyp, built from source) and the TypeScript build.
# Idempotent: packages already installed are not fetched again.
set -euo pipefail
cd "$(dirname "$0")/.."

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else
    echo "[-] setup: run as root (the lab needs network namespaces; apt-get needs root)" >&2
    exit 1
  fi
fi

# Debian packages: the lab (iproute2, iptables, nftables, tcpdump), the reference scanner
# (masscan), checkers for our outputs (libxml2-utils: xmllint; xsltproc; nmap: nmap.dtd and
# nmap.xsl; jq), a C toolchain for the native addon, and the banner lab's real servers
# (nginx-light, openssh-server; openssl makes their certificates; for the conversation
# protocols vsftpd, opensmtpd, dovecot-imapd, dovecot-pop3d, tigervnc-standalone-server,
# inetutils-telnetd under socat, memcached, redis-server). Their services are not started
# here: the lab runs them in the foreground in its own namespaces.
PKGS=(iproute2 iptables nftables tcpdump masscan libxml2-utils xsltproc nmap jq
      make g++ python3 util-linux procps time
      nginx-light openssh-server openssl
      vsftpd opensmtpd dovecot-imapd dovecot-pop3d tigervnc-standalone-server inetutils-telnetd socat
      memcached redis-server)
# Banners II real servers of test/lab/banners3.test.ts: SMB, RDP, MySQL, DNS over TCP, Sun RPC, X11
BANNERS3_PKGS=(samba xrdp mariadb-server dnsmasq-base rpcbind tigervnc-standalone-server)
PKGS+=("${BANNERS3_PKGS[@]}")
# Result stores: a throw-away PostgreSQL server for test/lab/store.test.ts (initdb + pg_ctl as
# the postgres user, test/lab/postgres.ts); it brings psql (postgresql-client-NN) for the checks
STORE_PKGS=(postgresql)
PKGS+=("${STORE_PKGS[@]}")
# The HTML report's browser test (test/lab/report.test.ts): Debian's headless Chromium, driven
# by playwright-core (an npm dev dependency) through /usr/bin/chromium.
REPORT_PKGS=(chromium)
PKGS+=("${REPORT_PKGS[@]}")
# UDP banners of test/lab/banners-udp*.test.ts: NTP (ntpsec), CoAP (libcoap's coap-server),
# IKE (strongSwan's charon, swanctl), SNMP (snmpd); NetBIOS is samba's nmbd (above).
UDP_BANNER_PKGS=(ntpsec libcoap3-bin strongswan-charon strongswan-swanctl snmpd)
PKGS+=("${UDP_BANNER_PKGS[@]}")
missing=()
for p in "${PKGS[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "[+] setup: installing Debian packages: ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# node-gyp builds against the headers of the running Node when they are installed with it
# (no download); fall back to node-gyp's own resolution otherwise.
node_prefix="$(dirname "$(dirname "$(command -v node)")")"
if [ -z "${npm_config_nodedir:-}" ] && [ -f "$node_prefix/include/node/node_api.h" ]; then
  export npm_config_nodedir="$node_prefix"
fi

major="$(node -p 'process.versions.node.split(".")[0]')"
if [ "$major" -lt 20 ]; then
  echo "[-] setup: Node.js >= 20 is required (found $(node --version))" >&2
  exit 1
fi

echo "[+] setup: npm ci (dependencies, native addon, TypeScript build)"
npm ci --no-audit --no-fund --loglevel=error
test -f build/Release/tidescan_native.node || { echo "[-] setup: native addon was not built" >&2; exit 1; }
echo "[+] setup: done"
