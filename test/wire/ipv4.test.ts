import { test } from 'node:test';
import assert from 'node:assert/strict';
import { emitIpv4, ipv4HeaderLen, Ipv4Packet, parseIpv4, type Ipv4Repr } from '../../src/wire/ipv4.js';
import { fromHex, ipv4FromText } from '../../src/wire/bytes.js';
import { IpProtocol } from '../../src/wire/ip.js';
import { assertBytes, filled, vec } from './helpers.js';

// IP 127.0.0.1.47001 > 127.0.0.1.47080: Flags [S], ... (lo-tcp-open.txt #0): 20-byte header.
const SYN = vec('lo-tcp-open.txt', 0).bytes.subarray(14);
// masscan's SYN template header (masscan-compat §6.2): no DF, TTL 255.
const MASSCAN = fromHex('4500002cdd5c0000ff06123cc00002320a000001');
// A header with options: IHL 6, a 4-byte Router Alert option (RFC 2113), an IGMP-like payload.
const WITH_OPTIONS = fromHex('46000020000100000102 0000 0a000001e0000016 94040000 1122334455667788');
new Ipv4Packet(WITH_OPTIONS).fillChecksum();
/** The template header followed by its 24-byte TCP segment (zeros here): total length 44. */
const MASSCAN_DGRAM = new Uint8Array(44);
MASSCAN_DGRAM.set(MASSCAN);

test('ipv4: deconstruct a real header', () => {
  const p = new Ipv4Packet(SYN);
  assert.equal(p.checkLen(), null);
  assert.equal(p.version(), 4);
  assert.equal(p.headerLen(), 20);
  assert.equal(p.tos(), 0);
  assert.equal(p.totalLen(), 60);
  assert.equal(p.dontFrag(), true);
  assert.equal(p.moreFrags(), false);
  assert.equal(p.fragOffset(), 0);
  assert.equal(p.ttl(), 64);
  assert.equal(p.protocol(), IpProtocol.TCP);
  assert.equal(p.src(), 0x7f000001);
  assert.equal(p.dst(), 0x7f000001);
  assert.equal(p.verifyChecksum(), true);
  assert.equal(p.payloadOff(), 20);
  assert.equal(p.payloadLen(), 40);
});

const MASSCAN_REPR: Ipv4Repr = {
  src: ipv4FromText('192.0.2.50'),
  dst: ipv4FromText('10.0.0.1'),
  protocol: IpProtocol.TCP,
  payloadLen: 24,
  ttl: 255,
  tos: 0,
  ident: 0xdd5c,
  dontFrag: false,
  moreFrags: false,
  fragOffset: 0,
  options: new Uint8Array(0),
};

test('ipv4: construct masscan\'s template header into a 0xa5 buffer, checksum included', () => {
  const b = filled(ipv4HeaderLen(MASSCAN_REPR));
  emitIpv4(MASSCAN_REPR, new Ipv4Packet(b));
  assertBytes(b, MASSCAN);
});

test('ipv4: parse then emit gives the same bytes (real, template, with options)', () => {
  for (const bytes of [SYN, MASSCAN_DGRAM, WITH_OPTIONS]) {
    const r = parseIpv4(new Ipv4Packet(bytes));
    assert.ok(typeof r !== 'string', String(r));
    const hl = ipv4HeaderLen(r);
    const b = filled(hl);
    emitIpv4(r, new Ipv4Packet(b));
    assertBytes(b, bytes.subarray(0, hl));
  }
  const r = parseIpv4(new Ipv4Packet(WITH_OPTIONS));
  assert.ok(typeof r !== 'string');
  assert.deepEqual(r.options, fromHex('94040000'));
  assert.equal(r.payloadLen, 8);
});

test('ipv4: options are padded to 32 bits on emit', () => {
  const repr = { ...MASSCAN_REPR, options: fromHex('01') }; // one NOP
  assert.equal(ipv4HeaderLen(repr), 24);
  const b = filled(24);
  emitIpv4(repr, new Ipv4Packet(b));
  assert.equal(b[0], 0x46);
  assertBytes(b.subarray(20), fromHex('01000000'));
  assert.equal(new Ipv4Packet(b).verifyChecksum(), true);
});

test('ipv4: fragments', () => {
  const b = filled(20);
  emitIpv4({ ...MASSCAN_REPR, moreFrags: true, fragOffset: 1480 }, new Ipv4Packet(b));
  const p = new Ipv4Packet(b);
  assert.equal(p.moreFrags(), true);
  assert.equal(p.fragOffset(), 1480);
  assert.equal(p.dontFrag(), false);
});

test('ipv4: impossible and truncated lengths, bad version, bad checksum', () => {
  for (let n = 0; n < 20; n++) assert.equal(new Ipv4Packet(SYN.subarray(0, n)).checkLen(), 'truncated');
  const short = SYN.subarray(0, 59); // total length says 60
  assert.equal(new Ipv4Packet(short).checkLen(), 'truncated');
  const ihl4 = SYN.slice();
  ihl4[0] = 0x44;
  assert.equal(parseIpv4(new Ipv4Packet(ihl4)), 'malformed');
  assert.equal(parseIpv4(new Ipv4Packet(MASSCAN)), 'truncated'); // header alone, total length 44
  const ihl15 = MASSCAN.slice();
  ihl15[0] = 0x4f; // 60-byte header in a 20-byte buffer
  assert.equal(parseIpv4(new Ipv4Packet(ihl15)), 'truncated');
  const totalBelowHeader = SYN.slice();
  totalBelowHeader[2] = 0;
  totalBelowHeader[3] = 19;
  assert.equal(parseIpv4(new Ipv4Packet(totalBelowHeader)), 'malformed');
  const v6 = SYN.slice();
  v6[0] = 0x65;
  assert.equal(parseIpv4(new Ipv4Packet(v6)), 'malformed');
  const bad = SYN.slice();
  bad[8] = 63; // TTL changed, checksum not
  assert.equal(parseIpv4(new Ipv4Packet(bad)), 'bad-checksum');
  assert.notEqual(typeof parseIpv4(new Ipv4Packet(bad), false), 'string');
});

test('ipv4: Ethernet padding after the datagram is ignored', () => {
  const padded = new Uint8Array(46);
  padded.set(MASSCAN);
  const r = parseIpv4(new Ipv4Packet(padded.subarray(0, 44)));
  assert.ok(typeof r !== 'string');
  assert.equal(r.payloadLen, 24);
});
