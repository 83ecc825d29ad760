import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  emitIcmpv4,
  icmpv4BufferLen,
  Icmpv4Packet,
  Icmpv4Type,
  Icmpv4Unreachable,
  parseIcmpv4,
  type Icmpv4Repr,
} from '../../src/wire/icmpv4.js';
import { Ipv4Packet, parseIpv4 } from '../../src/wire/ipv4.js';
import { UdpPacket } from '../../src/wire/udp.js';
import { IpProtocol } from '../../src/wire/ip.js';
import { assertBytes, filled, vec } from './helpers.js';

// IP 127.0.0.1 > 127.0.0.1: ICMP echo request, id 29811, seq 1, length 56 (masscan --ping payload)
const ECHO = vec('lo-icmp-echo.txt', 0).bytes.slice(34);
const REPLY = vec('lo-icmp-echo.txt', 1).bytes.slice(34);
// IP 127.0.0.1 > 127.0.0.1: ICMP 127.0.0.1 udp port 47083 unreachable, length 43
const UNREACH = vec('lo-udp.txt', 2).bytes.slice(34);

const PING_PAYLOAD = Uint8Array.from({ length: 48 }, (_, i) => 0x08 + i);
const ECHO_REPR: Icmpv4Repr = { kind: 'echo-request', ident: 29811, seq: 1, data: PING_PAYLOAD };

test('icmpv4: deconstruct a real echo request and a port unreachable', () => {
  const p = new Icmpv4Packet(ECHO);
  assert.equal(p.checkLen(), null);
  assert.equal(p.msgType(), Icmpv4Type.ECHO_REQUEST);
  assert.equal(p.code(), 0);
  assert.equal(p.ident(), 29811);
  assert.equal(p.seq(), 1);
  assert.equal(p.dataLen(), 48);
  assert.equal(p.verifyChecksum(), true);
  const u = new Icmpv4Packet(UNREACH);
  assert.equal(u.msgType(), Icmpv4Type.DST_UNREACHABLE);
  assert.equal(u.code(), Icmpv4Unreachable.PORT);
  assert.equal(u.verifyChecksum(), true);
  // the quoted datagram: our UDP probe's IP header and UDP header
  const q = new Ipv4Packet(UNREACH, u.dataOff(), u.dataLen());
  assert.equal(q.checkLen(), null);
  assert.equal(q.protocol(), IpProtocol.UDP);
  const inner = new UdpPacket(UNREACH, q.payloadOff(), q.payloadLen());
  assert.equal(inner.srcPort(), 47003);
  assert.equal(inner.dstPort(), 47083);
});

test('icmpv4: construct an echo request into a 0xa5 buffer', () => {
  const b = filled(icmpv4BufferLen(ECHO_REPR));
  emitIcmpv4(ECHO_REPR, new Icmpv4Packet(b));
  assertBytes(b, ECHO);
});

test('icmpv4: parse then emit gives the same bytes', () => {
  for (const bytes of [ECHO, REPLY, UNREACH]) {
    const r = parseIcmpv4(new Icmpv4Packet(bytes));
    assert.ok(typeof r !== 'string', String(r));
    const b = filled(icmpv4BufferLen(r));
    emitIcmpv4(r, new Icmpv4Packet(b));
    assertBytes(b, bytes);
  }
  const u = parseIcmpv4(new Icmpv4Packet(UNREACH));
  assert.ok(typeof u !== 'string' && u.kind === 'dst-unreachable');
  assert.equal(u.code, 3);
  const quoted = parseIpv4(new Ipv4Packet(u.quoted));
  assert.ok(typeof quoted !== 'string');
  assert.equal(quoted.protocol, IpProtocol.UDP);
  const reply = parseIcmpv4(new Icmpv4Packet(REPLY));
  assert.ok(typeof reply !== 'string' && reply.kind === 'echo-reply');
});

test('icmpv4: other types keep their numbers and bytes', () => {
  const repr: Icmpv4Repr = { kind: 'other', type: 11, code: 0, restOfHeader: 0, data: UNREACH.subarray(8) };
  const b = filled(icmpv4BufferLen(repr));
  emitIcmpv4(repr, new Icmpv4Packet(b));
  assert.deepEqual(parseIcmpv4(new Icmpv4Packet(b)), repr);
  // an echo with a non-zero code is not an echo
  const odd = ECHO.slice();
  odd[1] = 1;
  new Icmpv4Packet(odd).fillChecksum();
  const r = parseIcmpv4(new Icmpv4Packet(odd));
  assert.ok(typeof r !== 'string' && r.kind === 'other');
});

test('icmpv4: truncated and bad checksum', () => {
  for (let n = 0; n < 8; n++) assert.equal(parseIcmpv4(new Icmpv4Packet(ECHO.subarray(0, n))), 'truncated');
  const bad = ECHO.slice();
  bad[20] ^= 1;
  assert.equal(parseIcmpv4(new Icmpv4Packet(bad)), 'bad-checksum');
  assert.notEqual(typeof parseIcmpv4(new Icmpv4Packet(bad), false), 'string');
});
