import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import {
  defaultRouteInterface, formatInterfaceList, formatIpv6, listInterfaces, lookupRoute,
  parseIpv6Route, parseMac, parseProcRoute, pickDefaultRoute, printInterfaceList, routeFor,
} from '../../src/adapter/interfaces.js';
import type { InterfaceInfo } from '../../src/adapter/adapter.js';
import { formatIPv4 as formatIpv4, parseIPv4 as parseIpv4 } from '../../src/target/ipv4.js';
import { parseIPv6 as parseIpv6 } from '../../src/target/ipv6.js';
import type { NetworkInterfaceInfo } from 'node:os';

const ROUTE = `Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT
eth0\t00000000\t010200C0\t0003\t0\t0\t100\t00000000\t0\t0\t0
eth0\t000200C0\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0
wg0\t0000000A\t00000000\t0001\t0\t0\t0\t000000FF\t0\t0\t0
wg1\t0000000A\t00000000\t0001\t0\t0\t0\t0000FFFF\t0\t0\t0
bad line
`;
const ROUTE6 = `fd000000000000000000000000000000 40 00000000000000000000000000000000 00 00000000000000000000000000000000 00000100 00000001 00000000 00000001     eth0
00000000000000000000000000000000 00 00000000000000000000000000000000 00 fd000000000000000000000000000001 00000400 00000002 00000000 00000003     eth1
00000000000000000000000000000000 00 00000000000000000000000000000000 00 00000000000000000000000000000000 ffffffff 00000001 00000000 00200200       lo
`;

test('IPv4 and IPv6 text round trips (the target parsers listInterfaces uses, our RFC 5952 text)', () => {
  assert.equal(parseIpv4('10.250.0.1'), 0x0afa0001);
  assert.equal(parseIpv4('256.0.0.1'), null);
  assert.equal(parseIpv4('1.2.3'), null);
  assert.equal(parseIpv6('::1'), 1n);
  assert.equal(parseIpv6('::ffff:1.2.3.4'), 0xffff01020304n);
  assert.equal(parseIpv6('1::2::3'), null);
  assert.equal(parseIpv6('1:2:3:4:5:6:7:8:9'), null);
  assert.equal(parseIpv6('12345::'), null);
  assert.equal(formatIpv6(0xfd000250000000000000000000000001n), 'fd00:250::1');
  assert.equal(formatIpv6(0n), '::');
  assert.equal(formatIpv6(0x20010db8000000010000000000000001n), '2001:db8:0:1::1');
  fc.assert(fc.property(fc.bigInt({ min: 0n, max: (1n << 128n) - 1n }), (v) => parseIpv6(formatIpv6(v)) === v), { numRuns: 500 });
  fc.assert(fc.property(fc.nat({ max: 0xffffffff }), (v) => parseIpv4(formatIpv4(v)) === v), { numRuns: 500 });
});

test('listInterfaces: addresses from os.networkInterfaces(), a "%zone" on a link-local address ignored', () => {
  const addrs: Record<string, NetworkInterfaceInfo[]> = {
    lo: [
      { family: 'IPv4', address: '127.0.0.1', cidr: '127.0.0.1/8', netmask: '255.0.0.0', mac: '00:00:00:00:00:00', internal: true },
      { family: 'IPv6', address: 'fe80::fc:ff:fe00:1%eth0', cidr: 'fe80::fc:ff:fe00:1/64', netmask: 'ffff:ffff:ffff:ffff::', mac: '00:00:00:00:00:00', internal: true, scopeid: 1 },
      { family: 'IPv4', address: 'bogus', cidr: null, netmask: '', mac: '', internal: true },
    ],
  };
  const lo = listInterfaces(addrs).find((i) => i.name === 'lo');
  assert.ok(lo !== undefined);
  assert.deepEqual(lo.ipv4, [{ address: 0x7f000001, prefix: 8 }]);
  assert.deepEqual(lo.ipv6, [{ address: 0xfe8000000000000000fc00fffe000001n, prefix: 64 }]);
});

test('MAC parsing: six octets or all zero', () => {
  assert.deepEqual(Array.from(parseMac('02:50:00:00:00:0a')), [2, 0x50, 0, 0, 0, 10]);
  assert.deepEqual(Array.from(parseMac('00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00')), [0, 0, 0, 0, 0, 0]);
  assert.deepEqual(Array.from(parseMac(undefined)), [0, 0, 0, 0, 0, 0]);
});

test('/proc/net/route parsing, default route and longest-prefix match', () => {
  const t = parseProcRoute(ROUTE, true);
  assert.equal(t.length, 4);
  assert.deepEqual(t[0], { ifname: 'eth0', dest: 0, mask: 0, prefix: 0, gateway: 0xc0000201, metric: 100 });
  assert.equal(t[1].dest, 0xc0000200);
  assert.equal(t[1].prefix, 24);
  assert.equal(lookupRoute(t, 0x0a000005)?.ifname, 'wg1'); // /16 beats /8
  assert.equal(lookupRoute(t, 0x0a010005)?.ifname, 'wg0');
  assert.equal(lookupRoute(t, 0xc0000263)?.gateway, undefined);
  assert.equal(lookupRoute(t, 0x08080808)?.gateway, 0xc0000201);
  assert.equal(lookupRoute([], 1), undefined);
  // Big-endian hosts store the address in network order.
  assert.equal(parseProcRoute(ROUTE.replace('010200C0', 'C0000201'), false)[0].gateway, 0xc0000201);
});

test('/proc/net/ipv6_route parsing skips reject routes; pickDefaultRoute', () => {
  const t6 = parseIpv6Route(ROUTE6);
  assert.equal(t6.length, 2);
  assert.equal(t6[1].gateway, 0xfd000000000000000000000000000001n);
  const d = pickDefaultRoute(parseProcRoute(ROUTE, true), t6);
  assert.deepEqual(d, { ifname: 'eth0', gateway4: 0xc0000201, gateway6: 0xfd000000000000000000000000000001n, ifname6: 'eth1' });
  assert.deepEqual(pickDefaultRoute([], t6), { ifname: 'eth1', gateway6: 0xfd000000000000000000000000000001n, ifname6: 'eth1' });
  assert.equal(pickDefaultRoute([], []), undefined);
});

test('--iflist text marks the default-route interface', () => {
  const list: InterfaceInfo[] = [
    { name: 'lo', index: 1, mac: new Uint8Array(6), mtu: 65536, up: true, ipv4: [{ address: 0x7f000001, prefix: 8 }], ipv6: [{ address: 1n, prefix: 128 }] },
    { name: 'eth0', index: 2, mac: parseMac('02:fc:00:00:00:01'), mtu: 1500, up: false, ipv4: [], ipv6: [] },
  ];
  const text = formatInterfaceList(list, { ifname: 'eth0', gateway4: 0xc0000201 });
  assert.equal(
    text,
    'Available adapters:\n' +
      '   1  lo    00:00:00:00:00:00  up    mtu 65536  127.0.0.1/8 ::1/128\n' +
      '   2  eth0  02:fc:00:00:00:01  down  mtu 1500   [default route via 192.0.2.1]\n',
  );
});

test('the live system: lo is listed, up, with 127.0.0.1; printInterfaceList prints it', () => {
  const list = listInterfaces();
  const lo = list.find((i) => i.name === 'lo');
  assert.ok(lo !== undefined);
  assert.equal(lo.up, true);
  assert.ok(lo.index >= 1);
  assert.ok(lo.ipv4.some((a) => a.address === 0x7f000001 && a.prefix === 8));
  for (let i = 1; i < list.length; i++) assert.ok(list[i - 1].index < list[i].index);
  let out = '';
  printInterfaceList((s) => { out += s; });
  assert.match(out, /^Available adapters:\n/);
  assert.match(out, / lo /);
  // The live lookups read this namespace's own tables: same answers as the parsers give on them.
  const v4 = parseProcRoute(readFileSync('/proc/net/route', 'utf8'));
  const def = defaultRouteInterface();
  assert.deepEqual(def, pickDefaultRoute(v4, parseIpv6Route(readFileSync('/proc/net/ipv6_route', 'utf8'))));
  if (def !== undefined) assert.ok(list.some((i) => i.name === def.ifname));
  for (const addr of [0x7f000001, 0x08080808, 0x0a000001, 0xc0a80001]) assert.deepEqual(routeFor(addr), lookupRoute(v4, addr));
});
