import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createMemoryLink } from '../../src/adapter/memory.js';
import type { InterfaceInfo } from '../../src/adapter/adapter.js';
import type { Ipv4Route } from '../../src/adapter/interfaces.js';
import { parseCommandLine, type ParseIo } from '../../src/cli/parse.js';
import type { ScanConfig } from '../../src/core/config.js';
import { lookupRoute6, resolveLink, OFFLINE_ROUTER_MAC, type ResolveDeps, type Route6Like } from '../../src/link/resolve.js';
import { Decoded, decodeFrame } from '../../src/wire/decode.js';
import { buildArp } from '../../src/link/responder.js';
import { ScanError } from '../../src/error.js';

const io: ParseIo = {
  readFile: (p) => readFileSync(p), env: {}, cwd: '/', now: () => 0, randomSeed: () => 1n, warn: () => {},
};
function config(args: string): ScanConfig {
  return parseCommandLine(args.split(/\s+/), io);
}

const MAC = new Uint8Array([2, 0x50, 0, 0, 0, 1]);
const GW_MAC = new Uint8Array([2, 0x50, 0, 0, 0, 2]);
const SCAN_IF: InterfaceInfo = {
  name: 'lab-s', index: 2, mac: MAC, mtu: 1500, up: true,
  ipv4: [{ address: 0x0afa0001, prefix: 30 }],
  ipv6: [{ address: 0xfe800000000000000000000000000001n, prefix: 64 }, { address: 0xfd000250000000000000000000000001n, prefix: 64 }],
};
const ROUTES4: Ipv4Route[] = [
  { ifname: 'lab-s', dest: 0x0afa0000, mask: 0xfffffffc, prefix: 30, metric: 0 },
  { ifname: 'lab-s', dest: 0xc6120000, mask: 0xfffe0000, prefix: 15, gateway: 0x0afa0002, metric: 0 },
];
const ROUTES6: Route6Like[] = [
  { ifname: 'lab-s', dest: 0xfd000250000000000000000000000000n, prefix: 64, metric: 256 },
  { ifname: 'lab-s', dest: 0x20010db8000000000000000000000000n, prefix: 32, gateway: 0xfd000250000000000000000000000002n, metric: 1024 },
  { ifname: 'lo', dest: 0n, prefix: 0, metric: 0 },
];

/** Deps whose probe link answers ARP for `answers` (u32 -> MAC); counts what was asked. */
function deps(answers: Map<number, Uint8Array>, asked: number[] = []): ResolveDeps {
  let now = 0;
  return {
    listInterfaces: () => [SCAN_IF],
    routes4: () => ROUTES4,
    routes6: () => ROUTES6,
    unixTime: () => 1_700_000_123,
    nowMs: () => (now += 10),
    openProbeLink: () => {
      const d = new Decoded();
      const link = createMemoryLink({
        batch: 4,
        responder: (f) => {
          if (decodeFrame(f, 0, f.length, d) !== 'ok' || d.arpOp !== 1) return [];
          asked.push(d.arpTargetIp);
          const mac = answers.get(d.arpTargetIp);
          if (mac === undefined) return [];
          const out = new Uint8Array(42);
          buildArp(out, 2, MAC, mac, d.arpTargetIp, MAC, d.arpSenderIp, undefined);
          return [out];
        },
      });
      return { tx: link.tx, rx: link.rx };
    },
  };
}

test('the interface comes from the route to the first target; the router MAC from our own ARP', () => {
  const asked: number[] = [];
  const l = resolveLink(config('198.18.0.0/24 -p80'), deps(new Map([[0x0afa0002, GW_MAC]]), asked), true, false);
  assert.equal(l.ifname, 'lab-s');
  assert.deepEqual(l.src4, { begin: 0x0afa0001, end: 0x0afa0001 });
  assert.deepEqual([...l.routerMac4], [...GW_MAC]);
  assert.equal(l.answer4, false);
  assert.deepEqual(asked, [0x0afa0002]);
  // Default source port: 40000 + unix time % 20000.
  assert.deepEqual(l.srcPort, { begin: 40000 + (1_700_000_123 % 20000), end: 40000 + (1_700_000_123 % 20000) });
});

test('an on-link target is asked for itself; a spoofed source turns the responder on', () => {
  const asked: number[] = [];
  const l = resolveLink(config('10.250.0.2 -p80 --source-ip 10.250.0.3'), deps(new Map([[0x0afa0002, GW_MAC]]), asked), true, false);
  assert.deepEqual(asked, [0x0afa0002]);
  assert.equal(l.answer4, true);
  assert.deepEqual(l.src4, { begin: 0x0afa0003, end: 0x0afa0003 });
});

test('--router-mac skips ARP; --router-ip chooses whom to ask', () => {
  const asked: number[] = [];
  const l = resolveLink(config('198.18.0.0/24 -p80 --router-mac 00:11:22:33:44:55'), deps(new Map(), asked), true, false);
  assert.deepEqual(asked, []);
  assert.deepEqual([...l.routerMac4], [0, 0x11, 0x22, 0x33, 0x44, 0x55]);
  resolveLink(config('198.18.0.0/24 -p80 --router-ip 10.250.0.1'), deps(new Map([[0x0afa0001, GW_MAC]]), asked), true, false);
  assert.deepEqual(asked.slice(-1), [0x0afa0001]);
});

test('nobody answering ARP is a clear error within the time limit', () => {
  const asked: number[] = [];
  assert.throws(() => resolveLink(config('198.18.0.0/24 -p80'), deps(new Map(), asked), true, false),
    (e: unknown) => e instanceof ScanError && e.code === 'ERR_ADAPTER' && /no ARP reply from 10\.250\.0\.2/.test(e.message));
  assert.ok(asked.length >= 2 && asked.length <= 5, `asked ${asked.length} times`);
});

test('no route and no --adapter names the target; an unknown --adapter is refused', () => {
  assert.throws(() => resolveLink(config('192.0.2.1 -p80'), deps(new Map()), true, false), /no route to 192\.0\.2\.1/);
  assert.throws(() => resolveLink(config('198.18.0.1 -p80 -e nosuch0'), deps(new Map()), true, false), /nosuch0: no such interface/);
});

test('IPv6: the global address is the source; the route picks the gateway (NDP is asked)', () => {
  const d = deps(new Map());
  // No NDP answer in this fake: the error names the IPv6 gateway.
  assert.throws(() => resolveLink(config('2001:db8::1 -p80'), d, false, true), /no NDP reply from fd00:250::2/);
  const l = resolveLink(config('2001:db8::1 -p80 --router-mac-ipv6 02:50:00:00:00:02'), d, false, true);
  assert.equal(l.src6, 0xfd000250000000000000000000000001n);
  assert.equal(l.answer6, false);
});

test('--offline needs no interface and uses masscan\'s router MAC', () => {
  const l = resolveLink(config('10.0.0.0/8 -p80 --offline'), deps(new Map()), true, false);
  assert.equal(l.ifname, undefined);
  assert.deepEqual([...l.routerMac4], [...OFFLINE_ROUTER_MAC]);
});

test('lookupRoute6: longest prefix, loopback excluded', () => {
  assert.equal(lookupRoute6(ROUTES6, 0x20010db8000000000000000000000005n)?.prefix, 32);
  assert.equal(lookupRoute6(ROUTES6, 0xfd000250000000000000000000000009n)?.prefix, 64);
  assert.equal(lookupRoute6(ROUTES6, 0x30000000000000000000000000000000n), undefined);
});
