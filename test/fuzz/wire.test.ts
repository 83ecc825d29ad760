/**
 * Fuzzing of everything in src/wire that reads untrusted bytes (fast-check, bounded runs).
 *
 * Every decoder and parser runs over a guard proxy of the input buffer that throws on any read
 * outside the frame/view it was given (or of anything that is not a typed-array property, such
 * as `buf[NaN]`), so "never reads out of bounds" is checked, not assumed. Inputs are random
 * bytes, and real vectors truncated and mutated at random.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Decoded, decodeFrame, LinkType, type DecodeResult } from '../../src/wire/decode.js';
import { formatFrame } from '../../src/wire/pretty.js';
import { EthernetFrame, emitEthernet, ethernetHeaderLen, parseEthernet } from '../../src/wire/ethernet.js';
import { ArpPacket, arpBufferLen, emitArp, parseArp } from '../../src/wire/arp.js';
import { emitIpv4, ipv4HeaderLen, Ipv4Packet, parseIpv4 } from '../../src/wire/ipv4.js';
import { emitIpv6, Ipv6Packet, Ipv6Upper, parseIpv6, skipIpv6Extensions } from '../../src/wire/ipv6.js';
import { emitTcp, findTcpOption, parseTcp, parseTcpOptions, tcpBufferLen, TcpPacket } from '../../src/wire/tcp.js';
import { emitUdp, parseUdp, udpBufferLen, UdpPacket } from '../../src/wire/udp.js';
import { emitIcmpv4, icmpv4BufferLen, Icmpv4Packet, parseIcmpv4 } from '../../src/wire/icmpv4.js';
import { emitIcmpv6, findNdpLinkAddr, icmpv6BufferLen, Icmpv6Packet, parseIcmpv6 } from '../../src/wire/icmpv6.js';
import { emitSctp, parseSctp, sctpBufferLen, SctpPacket } from '../../src/wire/sctp.js';
import { internetChecksum, sumWords, type IpPair } from '../../src/wire/checksum.js';
import { ipv6FromText } from '../../src/wire/bytes.js';
import { loadVectors } from '../vectors/vectors.js';
import { guarded } from './guard.js';

/** Bounded by default; raise with TIDESCAN_FUZZ_RUNS for a longer soak. */
const RUNS = Number(process.env.TIDESCAN_FUZZ_RUNS ?? 1500);
const REASONS: readonly DecodeResult[] = ['ok', 'truncated', 'malformed', 'bad-checksum', 'unsupported', 'fragment'];
const V4: IpPair = { version: 4, src: 0xc0000232, dst: 0x0a000001 };
const V6: IpPair = { version: 6, src: ipv6FromText('2001:db8::2'), dst: ipv6FromText('2001:db8::1') };


/** A frame of random bytes placed at a random offset inside a larger random buffer. */
const framed = fc
  .tuple(fc.uint8Array({ maxLength: 160 }), fc.nat(24), fc.nat(24))
  .map(([frame, before, after]) => {
    const buf = new Uint8Array(before + frame.length + after).fill(0xee);
    buf.set(frame, before);
    return { buf, off: before, len: frame.length };
  });

const VECTORS = loadVectors();

/** A real vector, truncated and with a few bytes changed, at a random offset. */
const mutated = fc
  .tuple(
    fc.nat(VECTORS.length - 1),
    fc.array(fc.tuple(fc.nat(), fc.nat(255)), { maxLength: 6 }),
    fc.nat(),
    fc.boolean(),
    fc.nat(8),
  )
  .map(([vi, edits, cut, doCut, before]) => {
    const f = VECTORS[vi].bytes.slice();
    for (const [pos, val] of edits) f[pos % f.length] = val;
    const len = doCut ? cut % (f.length + 1) : f.length;
    const buf = new Uint8Array(before + f.length + 8).fill(0xee);
    buf.set(f, before);
    return { buf, off: before, len };
  });

const linkTypes = fc.constantFrom(LinkType.ETHERNET, LinkType.ETHERNET, LinkType.RAW, LinkType.NULL, LinkType.LINUX_SLL);

function checkDecode(buf: Uint8Array, off: number, len: number, link: number, verify: boolean): void {
  const d = new Decoded(link, verify);
  const g = guarded(buf, off, off + len);
  const r = decodeFrame(g, off, len, d);
  assert.ok(REASONS.includes(r), r);
  // offsets reported are inside the frame, and the datagram inside it
  for (const o of [d.dstMacOff, d.srcMacOff, d.ipOff, d.transportOff, d.payloadOff, d.src6Off, d.ndpTargetOff, d.ndpLinkAddrOff, d.arpSenderMacOff]) {
    assert.ok(o === -1 || (o >= off && o <= off + len), `offset ${o} outside [${off}, ${off + len}]`);
  }
  if (d.ipEnd !== -1) assert.ok(d.ipEnd <= off + len);
  if (r === 'ok' && d.payloadOff >= 0) assert.ok(d.payloadOff + d.payloadLen <= off + len);
  const s = formatFrame(g, off, len, link);
  assert.equal(typeof s, 'string');
  assert.ok(!s.includes('undecodable'), s);
}

test('fuzz: decodeFrame and formatFrame on random bytes', () => {
  fc.assert(
    fc.property(framed, linkTypes, fc.boolean(), ({ buf, off, len }, link, verify) => {
      checkDecode(buf, off, len, link, verify);
    }),
    { numRuns: RUNS },
  );
});

test('fuzz: decodeFrame and formatFrame on truncated and mutated real vectors', () => {
  fc.assert(
    fc.property(mutated, fc.boolean(), ({ buf, off, len }, verify) => {
      checkDecode(buf, off, len, LinkType.ETHERNET, verify);
    }),
    { numRuns: RUNS * 2 },
  );
});

test('fuzz: decodeFrame with bad offsets and lengths', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 64 }), fc.integer({ min: -100, max: 200 }), fc.integer({ min: -100, max: 200 }), (b, off, len) => {
      const r = decodeFrame(guarded(b, Math.max(0, off), Math.min(b.length, off + len)), off, len, new Decoded());
      assert.ok(REASONS.includes(r));
    }),
    { numRuns: RUNS },
  );
});

/** Every view's checkLen and every parser on `buf[off .. off+len)`, guarded. */
function checkParsers(buf: Uint8Array, off: number, len: number): void {
  const g = guarded(buf, off, off + len);
  const e = new EthernetFrame(g, off, len);
  e.checkLen();
  parseEthernet(e);
  parseArp(new ArpPacket(g, off, len));
  parseIpv4(new Ipv4Packet(g, off, len));
  parseIpv4(new Ipv4Packet(g, off, len), false);
  parseIpv6(new Ipv6Packet(g, off, len));
  parseTcp(new TcpPacket(g, off, len), null);
  parseTcp(new TcpPacket(g, off, len), V4);
  parseUdp(new UdpPacket(g, off, len), null);
  parseUdp(new UdpPacket(g, off, len), V6);
  parseIcmpv4(new Icmpv4Packet(g, off, len));
  parseIcmpv4(new Icmpv4Packet(g, off, len), false);
  parseIcmpv6(new Icmpv6Packet(g, off, len), null);
  parseIcmpv6(new Icmpv6Packet(g, off, len), V6);
  parseSctp(new SctpPacket(g, off, len));
  parseSctp(new SctpPacket(g, off, len), false);
  parseTcpOptions(g, off, len);
  findTcpOption(g, off, len, 2);
  skipIpv6Extensions(g, off, off + len, buf[off] ?? 0, new Ipv6Upper());
  findNdpLinkAddr(g, off, off + len, 1);
  sumWords(g, off, len, 0);
  internetChecksum(g, off, len);
}

test('fuzz: every checkLen and parse on random bytes', () => {
  fc.assert(
    fc.property(framed, ({ buf, off, len }) => checkParsers(buf, off, len)),
    { numRuns: RUNS },
  );
});

test('fuzz: every parse on the layers of mutated real vectors', () => {
  fc.assert(
    fc.property(mutated, fc.nat(60), ({ buf, off, len }, skip) => {
      // start the view at a header boundary of the frame (14, 34, 54, ...) or anywhere
      const starts = [0, 14, 34, 54, skip];
      for (const s of starts) if (s <= len) checkParsers(buf, off + s, len - s);
    }),
    { numRuns: RUNS },
  );
});

/** parse(emit(parse(x))) equals parse(x) for every layer that parses. */
test('fuzz: parsed reprs emit and parse back to themselves', () => {
  // Counts the round trips each layer made, so no layer's check goes unexercised.
  const made = { eth: 0, arp: 0, ip4: 0, ip6: 0, tcp: 0, udp: 0, icmp: 0, icmp6: 0, sctp: 0 };
  const roundTrips = (b: Uint8Array): void => {
    const eth = parseEthernet(new EthernetFrame(b));
    if (typeof eth !== 'string') {
      const out = new Uint8Array(ethernetHeaderLen(eth));
      emitEthernet(eth, new EthernetFrame(out));
      assert.deepEqual(parseEthernet(new EthernetFrame(out)), eth);
      made.eth++;
    }
    const arp = parseArp(new ArpPacket(b));
    if (typeof arp !== 'string') {
      const out = new Uint8Array(arpBufferLen(arp));
      emitArp(arp, new ArpPacket(out));
      assert.deepEqual(parseArp(new ArpPacket(out)), arp);
      made.arp++;
    }
    const ip4 = parseIpv4(new Ipv4Packet(b), false);
    if (typeof ip4 !== 'string') {
      const out = new Uint8Array(ipv4HeaderLen(ip4) + ip4.payloadLen);
      emitIpv4(ip4, new Ipv4Packet(out));
      assert.deepEqual(parseIpv4(new Ipv4Packet(out)), ip4);
      made.ip4++;
    }
    const ip6 = parseIpv6(new Ipv6Packet(b));
    if (typeof ip6 !== 'string') {
      const out = new Uint8Array(40 + ip6.payloadLen);
      emitIpv6(ip6, new Ipv6Packet(out));
      assert.deepEqual(parseIpv6(new Ipv6Packet(out)), ip6);
      made.ip6++;
    }
    const tcp = parseTcp(new TcpPacket(b), null);
    if (typeof tcp !== 'string') {
      const out = new Uint8Array(tcpBufferLen(tcp));
      emitTcp(tcp, new TcpPacket(out), V4);
      assert.deepEqual(parseTcp(new TcpPacket(out), V4), tcp);
      made.tcp++;
    }
    const udp = parseUdp(new UdpPacket(b), null);
    if (typeof udp !== 'string') {
      const out = new Uint8Array(udpBufferLen(udp));
      emitUdp(udp, new UdpPacket(out), V6);
      assert.deepEqual(parseUdp(new UdpPacket(out), V6), udp);
      made.udp++;
    }
    const icmp = parseIcmpv4(new Icmpv4Packet(b), false);
    if (typeof icmp !== 'string') {
      const out = new Uint8Array(icmpv4BufferLen(icmp));
      emitIcmpv4(icmp, new Icmpv4Packet(out));
      assert.deepEqual(parseIcmpv4(new Icmpv4Packet(out)), icmp);
      made.icmp++;
    }
    const icmp6 = parseIcmpv6(new Icmpv6Packet(b), null);
    if (typeof icmp6 !== 'string') {
      const out = new Uint8Array(icmpv6BufferLen(icmp6));
      emitIcmpv6(icmp6, new Icmpv6Packet(out), V6);
      assert.deepEqual(parseIcmpv6(new Icmpv6Packet(out), V6), icmp6);
      made.icmp6++;
    }
    const sctp = parseSctp(new SctpPacket(b), false);
    if (typeof sctp !== 'string') {
      const out = new Uint8Array(sctpBufferLen(sctp));
      emitSctp(sctp, new SctpPacket(out));
      assert.deepEqual(parseSctp(new SctpPacket(out)), sctp);
      made.sctp++;
    }
  };
  // Every real vector unmutated first, at each layer start: each layer's round trip is then
  // made whatever the random runs below happen to draw.
  for (const v of VECTORS) for (const s of [0, 14, 34, 54]) if (s <= v.bytes.length) roundTrips(v.bytes.slice(s));
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 120 }), (b) => roundTrips(b)),
    { numRuns: RUNS },
  );
  fc.assert(
    fc.property(mutated, fc.constantFrom(0, 14, 34, 54), ({ buf, off, len }, s) => {
      if (s <= len) roundTrips(buf.slice(off + s, off + len));
    }),
    { numRuns: RUNS },
  );
  for (const [layer, n] of Object.entries(made)) assert.ok(n > 0, `no ${layer} round trip was made`);
});
