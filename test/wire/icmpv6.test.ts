import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  emitIcmpv6,
  findNdpLinkAddr,
  icmpv6BufferLen,
  Icmpv6Packet,
  Icmpv6Type,
  NdpNaFlags,
  NdpOptionType,
  parseIcmpv6,
  type Icmpv6Repr,
} from '../../src/wire/icmpv6.js';
import { fromHex, ipv6FromText, macFromText } from '../../src/wire/bytes.js';
import { pseudoHeaderSum, type IpPair } from '../../src/wire/checksum.js';
import { IpProtocol } from '../../src/wire/ip.js';
import { assertBytes, filled, vec } from './helpers.js';

const LO6: IpPair = { version: 6, src: ipv6FromText('::1'), dst: ipv6FromText('::1') };
const ip = (s: string, d: string): IpPair => ({ version: 6, src: ipv6FromText(s), dst: ipv6FromText(d) });
const body = (file: string, i: number): Uint8Array => vec(file, i).bytes.slice(54);

// IP6 ::1 > ::1: ICMP6, echo request, id 29811, seq 2, length 16
const ECHO = body('lo-ipv6.txt', 4);
const REPLY = body('lo-ipv6.txt', 5);
// IP6 ::1 > ::1: ICMP6, destination unreachable, unreachable port, ::1 udp port 47085, length 59
const UNREACH = body('lo-ipv6.txt', 3);
// IP6 fd00:9::1 > ff02::1:ff00:2: ICMP6, neighbor solicitation, who has fd00:9::2, length 32
const NS = body('veth-ethernet.txt', 6);
const NS_IP = ip('fd00:9::1', 'ff02::1:ff00:2');
// IP6 fd00:9::2 > fd00:9::1: ICMP6, neighbor advertisement, tgt is fd00:9::2, length 32
const NA = body('veth-ethernet.txt', 7);
const NA_IP = ip('fd00:9::2', 'fd00:9::1');
// IP6 :: > ff02::1:ff00:901: ICMP6, neighbor solicitation (DAD: no link-layer option)
const DAD = body('veth-ethernet.txt', 11);
const DAD_IP = ip('::', 'ff02::1:ff00:901');

const NS_REPR: Icmpv6Repr = {
  kind: 'neighbor-solicit',
  target: ipv6FromText('fd00:9::2'),
  lladdr: macFromText('02:50:00:00:09:01'),
  otherOptions: new Uint8Array(0),
};

test('icmpv6: deconstruct real echo, unreachable, NS and NA', () => {
  const e = new Icmpv6Packet(ECHO);
  assert.equal(e.checkLen(), null);
  assert.equal(e.msgType(), Icmpv6Type.ECHO_REQUEST);
  assert.equal(e.ident(), 29811);
  assert.equal(e.seq(), 2);
  assert.equal(e.verifyChecksum(pseudoHeaderSum(LO6, IpProtocol.ICMPV6, ECHO.length)), true);
  const u = new Icmpv6Packet(UNREACH);
  assert.equal(u.msgType(), Icmpv6Type.DST_UNREACHABLE);
  assert.equal(u.code(), 4);
  assert.equal(UNREACH[u.dataOff() + 6], IpProtocol.UDP); // quoted IPv6 next header
  const ns = new Icmpv6Packet(NS);
  assert.equal(ns.msgType(), Icmpv6Type.NEIGHBOR_SOLICIT);
  assert.deepEqual(NS.slice(ns.targetOff(), ns.targetOff() + 16), ipv6FromText('fd00:9::2'));
  assert.equal(findNdpLinkAddr(NS, 24, NS.length, NdpOptionType.SOURCE_LL_ADDR), 26);
  assert.equal(ns.verifyChecksum(pseudoHeaderSum(NS_IP, IpProtocol.ICMPV6, NS.length)), true);
  const na = parseIcmpv6(new Icmpv6Packet(NA), NA_IP);
  assert.ok(typeof na !== 'string' && na.kind === 'neighbor-advert');
  assert.equal(na.flags, NdpNaFlags.SOLICITED | NdpNaFlags.OVERRIDE);
  assert.deepEqual(na.lladdr, macFromText('02:50:00:00:09:02'));
  const dad = parseIcmpv6(new Icmpv6Packet(DAD), DAD_IP);
  assert.ok(typeof dad !== 'string' && dad.kind === 'neighbor-solicit');
  assert.equal(dad.lladdr, undefined);
  assert.equal(dad.otherOptions[0], 14); // the DAD nonce option (RFC 7527), kept raw
});

test('icmpv6: construct an NS into a 0xa5 buffer', () => {
  const b = filled(icmpv6BufferLen(NS_REPR));
  emitIcmpv6(NS_REPR, new Icmpv6Packet(b), NS_IP);
  assertBytes(b, NS);
});

test('icmpv6: parse then emit gives the same bytes', () => {
  const cases: [Uint8Array, IpPair][] = [
    [ECHO, LO6],
    [REPLY, LO6],
    [UNREACH, LO6],
    [NS, NS_IP],
    [NA, NA_IP],
    [DAD, DAD_IP],
    [body('veth-ethernet.txt', 9), NA_IP],
  ];
  for (const [bytes, pair] of cases) {
    const r = parseIcmpv6(new Icmpv6Packet(bytes), pair);
    assert.ok(typeof r !== 'string', String(r));
    const b = filled(icmpv6BufferLen(r));
    emitIcmpv6(r, new Icmpv6Packet(b), pair);
    assertBytes(b, bytes);
  }
});

test('icmpv6: router advertisement (minimal) construct and round trip', () => {
  const ra: Icmpv6Repr = {
    kind: 'router-advert',
    hopLimit: 64,
    flags: 0x80,
    routerLifetime: 1800,
    reachableTime: 30000,
    retransTime: 1000,
    lladdr: macFromText('02:50:00:00:00:02'),
    otherOptions: new Uint8Array(0),
  };
  const pair = ip('fe80::1', 'ff02::1');
  const b = filled(icmpv6BufferLen(ra));
  emitIcmpv6(ra, new Icmpv6Packet(b), pair);
  const expect = fromHex('8600 0000 4080 0708 00007530 000003e8 0101 025000000002');
  expect.set([0, 0], 2);
  const copy = b.slice();
  copy[2] = 0;
  copy[3] = 0;
  assertBytes(copy, expect);
  assert.deepEqual(parseIcmpv6(new Icmpv6Packet(b), pair), ra);
  // an RA with an unknown option before the link-layer one: the option is skipped
  const withPrefix = fromHex('8600 0000 4000 0708 00000000 00000000 0304' + '00'.repeat(30) + '0101 025000000002');
  const r = parseIcmpv6(new Icmpv6Packet(withPrefix), null);
  assert.ok(typeof r !== 'string' && r.kind === 'router-advert');
  assert.deepEqual(r.lladdr, macFromText('02:50:00:00:00:02'));
  assert.equal(r.otherOptions.length, 32);
  assert.equal(r.otherOptions[0], NdpOptionType.PREFIX_INFO);
  // emitted back: link-layer option first, then the prefix option
  const out = new Uint8Array(icmpv6BufferLen(r));
  emitIcmpv6(r, new Icmpv6Packet(out), null);
  assert.deepEqual(out.subarray(16, 24), withPrefix.subarray(48, 56));
  assert.deepEqual(out.subarray(24), withPrefix.subarray(16, 48));
});

test('icmpv6: NDP validation (RFC 4861 §7.1): code 0, length >= 24, no zero-length option', () => {
  const code1 = NS.slice();
  code1[1] = 1;
  assert.equal(parseIcmpv6(new Icmpv6Packet(code1), null), 'malformed');
  assert.equal(parseIcmpv6(new Icmpv6Packet(NS.subarray(0, 23)), null), 'truncated');
  const zeroLen = NS.slice();
  zeroLen[25] = 0;
  assert.equal(parseIcmpv6(new Icmpv6Packet(zeroLen), null), 'malformed');
  const past = NS.slice();
  past[25] = 2; // 16 bytes, only 8 there
  assert.equal(parseIcmpv6(new Icmpv6Packet(past), null), 'malformed');
  assert.equal(parseIcmpv6(new Icmpv6Packet(NS.subarray(0, 25)), null), 'malformed'); // half an option
  // many 8-byte unknown options: the walk is bounded
  const many = new Uint8Array(24 + 8 * 20);
  many[0] = Icmpv6Type.NEIGHBOR_SOLICIT;
  for (let p = 24; p < many.length; p += 8) {
    many[p] = 99;
    many[p + 1] = 1;
  }
  assert.equal(parseIcmpv6(new Icmpv6Packet(many), null), 'unsupported');
});

test('icmpv6: truncated, bad checksum, other types', () => {
  for (let n = 0; n < 8; n++) assert.equal(parseIcmpv6(new Icmpv6Packet(ECHO.subarray(0, n)), null), 'truncated');
  const bad = ECHO.slice();
  bad[9] ^= 4;
  assert.equal(parseIcmpv6(new Icmpv6Packet(bad), LO6), 'bad-checksum');
  const rs = fromHex('8500 0000 00000000');
  const r = parseIcmpv6(new Icmpv6Packet(rs), null);
  assert.deepEqual(r, { kind: 'other', type: 133, code: 0, body: fromHex('00000000') });
});
