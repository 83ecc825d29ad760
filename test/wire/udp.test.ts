import { test } from 'node:test';
import assert from 'node:assert/strict';
import { emitUdp, parseUdp, udpBufferLen, UdpPacket, type UdpRepr } from '../../src/wire/udp.js';
import { ipv6FromText } from '../../src/wire/bytes.js';
import { pseudoHeaderSum, type IpPair } from '../../src/wire/checksum.js';
import { IpProtocol } from '../../src/wire/ip.js';
import { assertBytes, filled, vec } from './helpers.js';

const LO4: IpPair = { version: 4, src: 0x7f000001, dst: 0x7f000001 };
const V6: IpPair = { version: 6, src: ipv6FromText('fd00:9::1'), dst: ipv6FromText('fd00:9::2') };

// IP 127.0.0.1.47003 > 127.0.0.1.47082: UDP, length 8 ("tidescan"), checksum made real
const DGRAM = vec('lo-udp.txt', 0).bytes.slice(34);
new UdpPacket(DGRAM).fillChecksum(pseudoHeaderSum(LO4, IpProtocol.UDP, DGRAM.length));
// IP6 fd00:9::1.47006 > fd00:9::2.47087: UDP, length 6 ("arp me" is the v4 one; this is "ndp me")
const DGRAM6 = vec('veth-ethernet.txt', 8).bytes.slice(54);
new UdpPacket(DGRAM6).fillChecksum(pseudoHeaderSum(V6, IpProtocol.UDP, DGRAM6.length));

const REPR: UdpRepr = { srcPort: 47003, dstPort: 47082, payload: new TextEncoder().encode('tidescan') };

test('udp: deconstruct a real datagram', () => {
  const p = new UdpPacket(DGRAM);
  assert.equal(p.checkLen(), null);
  assert.equal(p.srcPort(), 47003);
  assert.equal(p.dstPort(), 47082);
  assert.equal(p.length(), 16);
  assert.equal(p.payloadOff(), 8);
  assert.equal(p.payloadLen(), 8);
  assert.equal(p.verifyChecksum(pseudoHeaderSum(LO4, IpProtocol.UDP, 16)), true);
});

test('udp: construct into a 0xa5 buffer', () => {
  const b = filled(udpBufferLen(REPR));
  emitUdp(REPR, new UdpPacket(b), LO4);
  assertBytes(b, DGRAM);
});

test('udp: parse then emit gives the same bytes (IPv4 and IPv6)', () => {
  for (const [bytes, ip] of [
    [DGRAM, LO4],
    [DGRAM6, V6],
  ] as const) {
    const r = parseUdp(new UdpPacket(bytes), ip);
    assert.ok(typeof r !== 'string', String(r));
    const b = filled(udpBufferLen(r));
    emitUdp(r, new UdpPacket(b), ip);
    assertBytes(b, bytes);
  }
  const r = parseUdp(new UdpPacket(DGRAM6), V6);
  assert.ok(typeof r !== 'string');
  assert.equal(new TextDecoder().decode(r.payload), 'ndp me');
});

test('udp: zero checksum means none on IPv4, and is refused on IPv6 (RFC 8200 §8.1)', () => {
  const b = DGRAM.slice();
  b[6] = 0;
  b[7] = 0;
  assert.notEqual(typeof parseUdp(new UdpPacket(b), LO4), 'string');
  assert.equal(parseUdp(new UdpPacket(b), V6), 'bad-checksum');
  // a computed checksum of 0 is sent as 0xffff (RFC 768)
  const empty = filled(8);
  const zeroRepr: UdpRepr = { srcPort: 0, dstPort: 0, payload: new Uint8Array(0) };
  // pick ports so that the datagram's sum folds to 0xffff: sum = pseudo + 8 (length) + ports
  const ip: IpPair = { version: 4, src: 0, dst: 0 };
  const base = 17 + 8 + 8; // proto + pseudo length + UDP length
  emitUdp({ ...zeroRepr, srcPort: 0xffff - base }, new UdpPacket(empty), ip);
  assert.equal(new UdpPacket(empty).checksum(), 0xffff);
  assert.notEqual(typeof parseUdp(new UdpPacket(empty), ip), 'string');
});

test('udp: lengths', () => {
  for (let n = 0; n < 8; n++) assert.equal(parseUdp(new UdpPacket(DGRAM.subarray(0, n)), null), 'truncated');
  assert.equal(parseUdp(new UdpPacket(DGRAM.subarray(0, 15)), null), 'truncated');
  const short = DGRAM.slice();
  short[5] = 7;
  assert.equal(parseUdp(new UdpPacket(short), null), 'malformed');
  // a length field below the view: the rest is not payload
  const within = DGRAM.slice();
  within[5] = 10;
  const r = parseUdp(new UdpPacket(within), null);
  assert.ok(typeof r !== 'string');
  assert.equal(r.payload.length, 2);
  const bad = DGRAM.slice();
  bad[9] ^= 0x20;
  assert.equal(parseUdp(new UdpPacket(bad), LO4), 'bad-checksum');
});
