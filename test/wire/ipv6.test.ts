import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  emitIpv6,
  IPV6_MAX_EXTENSION_HEADERS,
  Ipv6Packet,
  Ipv6Upper,
  parseIpv6,
  skipIpv6Extensions,
  type Ipv6Repr,
} from '../../src/wire/ipv6.js';
import { fromHex, ipv6FromText } from '../../src/wire/bytes.js';
import { IpProtocol } from '../../src/wire/ip.js';
import { assertBytes, filled, vec } from './helpers.js';

// IP6 ::1.47004 > ::1.47084: Flags [S], ... (lo-ipv6.txt #0): 40 + 40 bytes.
const SYN = vec('lo-ipv6.txt', 0).bytes.subarray(14);
// IP6 fd00:9::1 > ff02::1:ff00:2: ICMP6, neighbor solicitation, who has fd00:9::2 (veth-ethernet.txt #6)
const NS = vec('veth-ethernet.txt', 6).bytes.subarray(14);

const NS_REPR: Ipv6Repr = {
  src: ipv6FromText('fd00:9::1'),
  dst: ipv6FromText('ff02::1:ff00:2'),
  nextHeader: IpProtocol.ICMPV6,
  payloadLen: 32,
  hopLimit: 255,
  trafficClass: 0,
  flowLabel: 0,
};

test('ipv6: deconstruct a real header', () => {
  const p = new Ipv6Packet(SYN);
  assert.equal(p.checkLen(), null);
  assert.equal(p.version(), 6);
  assert.equal(p.payloadLen(), 40);
  assert.equal(p.nextHeader(), IpProtocol.TCP);
  assert.equal(p.hopLimit(), 64);
  assert.deepEqual(p.src(), ipv6FromText('::1'));
  assert.deepEqual(p.dst(), ipv6FromText('::1'));
  assert.equal(p.payloadOff(), 40);
  const ns = new Ipv6Packet(NS);
  assert.equal(ns.hopLimit(), 255);
  assert.equal(ns.trafficClass(), 0);
});

test('ipv6: construct into a 0xa5 buffer', () => {
  const b = filled(40);
  emitIpv6(NS_REPR, new Ipv6Packet(b));
  assertBytes(b, NS.subarray(0, 40));
});

test('ipv6: parse then emit gives the same bytes, traffic class and flow label included', () => {
  const withFlow = SYN.slice();
  withFlow.set(fromHex('6ab12345'), 0); // class 0xab, flow label 0x12345
  for (const bytes of [SYN, NS, withFlow]) {
    const r = parseIpv6(new Ipv6Packet(bytes));
    assert.ok(typeof r !== 'string');
    const b = filled(40);
    emitIpv6(r, new Ipv6Packet(b));
    assertBytes(b, bytes.subarray(0, 40));
  }
  const r = parseIpv6(new Ipv6Packet(withFlow));
  assert.ok(typeof r !== 'string');
  assert.equal(r.trafficClass, 0xab);
  assert.equal(r.flowLabel, 0x12345);
});

test('ipv6: truncated and bad version', () => {
  for (let n = 0; n < 40; n++) assert.equal(parseIpv6(new Ipv6Packet(SYN.subarray(0, n))), 'truncated');
  assert.equal(parseIpv6(new Ipv6Packet(SYN.subarray(0, 79))), 'truncated'); // payload length 40
  const v4 = SYN.slice();
  v4[0] = 0x45;
  assert.equal(parseIpv6(new Ipv6Packet(v4)), 'malformed');
});

/** hop-by-hop (8) -> routing (24) -> fragment (8, first) -> dest-opts (16) -> UDP */
const CHAIN = fromHex(
  '2b00 0000 0000 0000' + // hop-by-hop: next routing, len 0 (8 bytes), PadN
    '2c02 0000 0000 0000' + '0000 0000 0000 0000' + '0000 0000 0000 0000' + // routing, len 2 (24)
    '3c00 0001 1234 5678' + // fragment: next dest-opts, offset 0, M=1
    '1101 0000 0000 0000' + '0000 0000 0000 0000' + // dest opts: next UDP, len 1 (16)
    'aaaa bbbb 0008 0000', // UDP header
);

test('ipv6: extension headers are skipped to the upper layer', () => {
  const up = new Ipv6Upper();
  assert.equal(skipIpv6Extensions(CHAIN, 0, CHAIN.length, IpProtocol.HOP_BY_HOP, up), null);
  assert.equal(up.proto, IpProtocol.UDP);
  assert.equal(up.offset, 56);
  assert.equal(up.count, 4);
  assert.equal(up.fragmented, true);
  assert.equal(up.moreFrags, true);
  assert.equal(up.fragOffset, 0);
  // no extension headers at all
  assert.equal(skipIpv6Extensions(CHAIN, 56, CHAIN.length, IpProtocol.UDP, up), null);
  assert.equal(up.offset, 56);
  assert.equal(up.count, 0);
  assert.equal(up.fragmented, false);
});

test('ipv6: a non-first fragment stops the walk', () => {
  const frag = fromHex('1100 05a8 0000 0001' + 'deadbeef');
  const up = new Ipv6Upper();
  assert.equal(skipIpv6Extensions(frag, 0, frag.length, IpProtocol.IPV6_FRAGMENT, up), null);
  assert.equal(up.fragOffset, 0x05a8);
  assert.equal(up.proto, IpProtocol.UDP);
  assert.equal(up.offset, 8);
});

test('ipv6: extension walk is bounded and refuses truncation', () => {
  const up = new Ipv6Upper();
  for (let end = 0; end < 56; end++) {
    const r = skipIpv6Extensions(CHAIN, 0, end, IpProtocol.HOP_BY_HOP, up);
    assert.equal(r, 'truncated', `end ${end}`);
  }
  // A chain of hop-by-hop headers longer than the bound.
  const n = IPV6_MAX_EXTENSION_HEADERS + 1;
  const loop = new Uint8Array(8 * n + 8); // every header says next = 0 (hop-by-hop), len 0
  assert.equal(skipIpv6Extensions(loop, 0, loop.length, IpProtocol.HOP_BY_HOP, up), 'unsupported');
  const ok = new Uint8Array(8 * IPV6_MAX_EXTENSION_HEADERS);
  ok[ok.length - 8] = IpProtocol.IPV6_NO_NEXT;
  assert.equal(skipIpv6Extensions(ok, 0, ok.length, IpProtocol.HOP_BY_HOP, up), null);
  assert.equal(up.proto, IpProtocol.IPV6_NO_NEXT);
  // AH: length in 4-byte units minus 2
  const ah = fromHex('0601 0000 0000 0000 0000 0000');
  assert.equal(skipIpv6Extensions(ah, 0, ah.length, IpProtocol.AH, up), null);
  assert.equal(up.offset, 12);
  assert.equal(up.proto, IpProtocol.TCP);
});
