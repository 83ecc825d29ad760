import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createMemoryLink } from '../../src/adapter/memory.js';
import type { InterfaceInfo } from '../../src/adapter/adapter.js';
import type { Ipv4Route } from '../../src/adapter/interfaces.js';
import { parseCommandLine, type ParseIo } from '../../src/cli/parse.js';
import type { ScanConfig } from '../../src/core/config.js';
import { lookupRoute6, resolveLink, resolveLinks, OFFLINE_ROUTER_MAC, type ResolveDeps, type Route6Like } from '../../src/link/resolve.js';
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

/** A second lab pair: lab-s2 10.250.1.1/30, MAC 02:50:00:00:01:01. */
const SCAN_IF2: InterfaceInfo = {
  name: 'lab-s2', index: 3, mac: new Uint8Array([2, 0x50, 0, 0, 1, 1]), mtu: 1500, up: true,
  ipv4: [{ address: 0x0afa0101, prefix: 30 }], ipv6: [],
};

test('resolveLinks: adapter[n] gets its own interface, source, MAC and router; all share one source port', () => {
  const asked: number[] = [];
  const d = { ...deps(new Map([[0x0afa0002, GW_MAC], [0x0afa0102, GW_MAC]]), asked), listInterfaces: () => [SCAN_IF, SCAN_IF2] };
  const ls = resolveLinks(config('198.18.0.0/24 -p80 -e lab-s --adapter[1] lab-s2 --adapter-ip[1] 10.250.1.3 --router-ip[1] 10.250.1.2'), d, true, false);
  assert.equal(ls.length, 2);
  assert.equal(ls[0]!.ifname, 'lab-s');
  assert.equal(ls[1]!.ifname, 'lab-s2');
  assert.deepEqual(ls[1]!.src4, { begin: 0x0afa0103, end: 0x0afa0103 });
  assert.deepEqual([...ls[1]!.srcMac], [2, 0x50, 0, 0, 1, 1]);
  assert.equal(ls[1]!.answer4, true, 'a source lab-s2 does not own is answered for');
  assert.deepEqual(ls[1]!.srcPort, ls[0]!.srcPort);
  assert.deepEqual(asked, [0x0afa0002, 0x0afa0102]);
  const m = resolveLinks(config('198.18.0.0/24 -p80 -e lab-s --router-mac 02:00:00:00:00:0a --adapter[1] lab-s2 --router-mac[1] 02:00:00:00:00:0b'), d, true, false);
  assert.deepEqual([...m[1]!.routerMac4], [2, 0, 0, 0, 0, 0x0b]);
  assert.deepEqual([...m[0]!.routerMac4], [2, 0, 0, 0, 0, 0x0a]);
});

test('resolveLinks: an unknown or down interface at any index is an error naming it, before anything is sent', () => {
  const asked: number[] = [];
  const d = { ...deps(new Map([[0x0afa0002, GW_MAC]]), asked), listInterfaces: () => [SCAN_IF, { ...SCAN_IF2, up: false }] };
  assert.throws(() => resolveLinks(config('198.18.0.0/24 -p80 -e lab-s --adapter[1] lab-s2 --adapter[2] eth9 --router-mac[2] 02:00:00:00:00:01'), d, true, false),
    (e: unknown) => e instanceof ScanError && e.message === 'adapter[1] lab-s2: interface is down (ip link set lab-s2 up)');
  assert.throws(() => resolveLinks(config('198.18.0.0/24 -p80 -e lab-s --adapter[1] eth9'), d, true, false),
    (e: unknown) => e instanceof ScanError && e.message === 'adapter[1] eth9: no such interface (--iflist lists them)');
  assert.throws(() => resolveLinks(config('198.18.0.0/24 -p80 -e eth8 --adapter[1] lab-s'), d, true, false),
    (e: unknown) => e instanceof ScanError && e.message === 'eth8: no such interface (--iflist lists them)');
  assert.deepEqual(asked, [], 'no ARP went out on any adapter');
});
