/**
 * The receive classifier is a pure function of a frame: replies built with the wire reprs
 * (scan-sim.ts) are classified, forged ones refused, and arbitrary bytes never throw.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { gcsDuring } from './gc-count.js';
import fc from 'fast-check';
import { classify, classifyContext, classifyFrame, classifyPartial, ranges4Words, ranges6Words } from '../../src/probes/classify.js';
import { receiveDebugLines, buildReceiver, type ReceiveSetup } from '../../src/engine/receive.js';
import { inRanges4, inRanges6, Verdict, RecStatus, ICMP_TIMESTAMP_PORT, OPROTO_PORT_BASE } from '../../src/probes/reply.js';
import { oprotoReportable } from '../../src/probes/ip-proto.js';
import { UdpEcho, udpReplyEchoes } from '../../src/probes/udp.js';
import { UdpPacket, emitUdp } from '../../src/wire/udp.js';
import { CookieKey, cookie4, cookie6, ICMP_ECHO_PORT } from '../../src/crypto/cookie.js';
import { Decoded, decodeFrame } from '../../src/wire/decode.js';
import { TcpFlags } from '../../src/wire/tcp.js';
import { ProbeSet4, ProbeSet6 } from '../../src/probes/probe-set.js';
import { FrameRing, RecordRing, RecordWord } from '../../src/engine/ring.js';
import { SimNet, SCANNER_MAC, ROUTER_MAC, ip4, tcpReply, icmpUnreachable } from './scan-sim.js';
import { EtherType, EthernetFrame, emitEthernet } from '../../src/wire/ethernet.js';
import { Ipv4Packet, emitIpv4 } from '../../src/wire/ipv4.js';
import { Ipv6Packet, emitIpv6 } from '../../src/wire/ipv6.js';
import { Icmpv4Packet, emitIcmpv4 } from '../../src/wire/icmpv4.js';
import { Icmpv6Packet, emitIcmpv6 } from '../../src/wire/icmpv6.js';
import { IpProtocol } from '../../src/wire/ip.js';
import { setU32 } from '../../src/wire/bytes.js';

const SEED = 42n;
const KEY = new CookieKey(SEED);
const ME = ip4('10.250.0.1');
const ME6 = 0xfd000250000000000000000000000001n;
const SPORT = 40000;

/** Every port of every kind (TCP, UDP, SCTP, I:0, I:1, ARP, O:0-255), in the internal encoding. */
const ALL_PORTS = [{ begin: 0, end: OPROTO_PORT_BASE + 255 }];
const NET6 = 0x20010db8n << 96n;
/** A scan of 10.0.0.0/24 and 2001:db8::/32 on every port: the tests of cookies and shapes. */
const SETUP: ReceiveSetup = {
  seed: SEED, src4: { begin: ME, end: ME }, src6: ME6, srcPort: { begin: SPORT, end: SPORT },
  srcMac: SCANNER_MAC, routerMac4: ROUTER_MAC, routerMac6: ROUTER_MAC, vlan: undefined, ttl: 255,
  answer4: false, answer6: false, noreset: false, arpscan: false, targets4: [{ begin: ip4('10.0.0.0'), end: ip4('10.0.0.255') }],
  targets6: [{ begin: NET6, end: NET6 + (1n << 96n) - 1n }], ports: ALL_PORTS,
};
const CTX = classifyContext(SETUP);
/** The same over every IPv4 address: for properties over random addresses. */
const CTX_WIDE = classifyContext({ ...SETUP, targets4: [{ begin: 0, end: 0xffffffff }] });

function me6bytes(): Uint8Array {
  const b = new Uint8Array(16);
  for (let k = 0; k < 16; k++) b[k] = Number((ME6 >> BigInt(8 * (15 - k))) & 0xffn);
  return b;
}

/** A probe frame exactly as the transmit side builds it. */
function probe4(dst: number, port: number): Uint8Array {
  const set = new ProbeSet4({ srcMac: SCANNER_MAC, dstMac: ROUTER_MAC, srcIp: ME }, KEY, 1);
  const buf = new Uint8Array(1600);
  const n = set.fill(buf, 0, 0, ME, dst, port, SPORT);
  return buf.slice(0, n);
}

function probe6(dst: Uint32Array, port: number): Uint8Array {
  const set = new ProbeSet6({ srcMac: SCANNER_MAC, dstMac: ROUTER_MAC, srcIp: me6bytes() }, KEY, 1);
  const buf = new Uint8Array(1600);
  const n = set.fill(buf, 0, 0, dst, 0, port, SPORT);
  return buf.slice(0, n);
}

/** Classify a frame; returns the verdict (a fresh one) or null for "nothing". */
function verdictOf(frame: Uint8Array, ctx = CTX): Verdict | null {
  const d = new Decoded();
  if (decodeFrame(frame, 0, frame.length, d) !== 'ok') return null;
  const v = new Verdict();
  return classify(frame, d, ctx, KEY, v) === 0 ? null : v;
}

function answer(sim: SimNet, probe: Uint8Array): Uint8Array {
  const r = sim.respond(probe);
  assert.equal(r.length, 1);
  return r[0];
}

test('SYN-ACK with ack = cookie + 1 is open and asks for a RST; RST-ACK is closed', () => {
  const sim = new SimNet({ tcpOpen: ['10.0.0.5:80'] });
  const v = verdictOf(answer(sim, probe4(ip4('10.0.0.5'), 80)))!;
  assert.equal(v.status, RecStatus.OPEN);
  assert.equal(v.port, 80);
  assert.equal(v.ip[0], ip4('10.0.0.5'));
  assert.equal(v.reason, 0x12);
  assert.equal(v.rst, true);
  assert.equal(v.rstSeq, (cookie4(KEY, ip4('10.0.0.5'), 80, ME, SPORT) + 1) >>> 0);
  const c = verdictOf(answer(sim, probe4(ip4('10.0.0.6'), 443)))!;
  assert.equal(c.status, RecStatus.CLOSED);
  assert.equal(c.reason, 0x14);
  assert.equal(c.rst, false);
});

test('forged TCP replies are refused: wrong ack, wrong destination port or address', () => {
  const d = new Decoded();
  const p = probe4(ip4('10.0.0.5'), 80);
  decodeFrame(p, 0, p.length, d);
  const good = cookie4(KEY, ip4('10.0.0.5'), 80, ME, SPORT);
  assert.notEqual(verdictOf(tcpReply(d, TcpFlags.SYN | TcpFlags.ACK, 1, (good + 1) >>> 0)), null);
  assert.equal(verdictOf(tcpReply(d, TcpFlags.SYN | TcpFlags.ACK, 1, (good + 2) >>> 0)), null);
  assert.equal(verdictOf(tcpReply(d, TcpFlags.SYN | TcpFlags.ACK, 1, good)), null);
  assert.equal(verdictOf(tcpReply(d, TcpFlags.RST | TcpFlags.ACK, 1, 0)), null);
  // A reply to another port of ours, or to another address, is not ours.
  d.srcPort = SPORT + 1;
  assert.equal(verdictOf(tcpReply(d, TcpFlags.SYN | TcpFlags.ACK, 1, (good + 1) >>> 0)), null);
  d.srcPort = SPORT;
  d.src = ME + 1;
  assert.equal(verdictOf(tcpReply(d, TcpFlags.SYN | TcpFlags.ACK, 1, (good + 1) >>> 0)), null);
  // A bare ACK or SYN without ACK is no answer.
  d.src = ME;
  assert.equal(verdictOf(tcpReply(d, TcpFlags.ACK, 1, (good + 1) >>> 0)), null);
  assert.equal(verdictOf(tcpReply(d, TcpFlags.SYN, 1, (good + 1) >>> 0)), null);
});

test('property: a reply is accepted iff its ack is cookie + 1', () => {
  const d = new Decoded();
  fc.assert(fc.property(fc.nat(0xffffffff), fc.integer({ min: 1, max: 65535 }), fc.nat(0xffffffff), (ip, port, ack) => {
    const p = probe4(ip, port);
    decodeFrame(p, 0, p.length, d);
    const good = (cookie4(KEY, ip >>> 0, port, ME, SPORT) + 1) >>> 0;
    const v = verdictOf(tcpReply(d, TcpFlags.SYN | TcpFlags.ACK, 7, ack >>> 0), CTX_WIDE);
    return (v !== null) === ((ack >>> 0) === good);
  }), { numRuns: 300 });
});

test('IPv6 SYN-ACK is open with the IPv6 cookie', () => {
  const dst = new Uint32Array([0x20010db8, 0, 0, 0x10]);
  const big = 0x20010db8000000000000000000000010n;
  const sim = new SimNet({ tcpOpen: [`${big}:443`] });
  const v = verdictOf(answer(sim, probe6(dst, 443)))!;
  assert.equal(v.version, 6);
  assert.deepEqual([...v.ip], [...dst]);
  assert.equal(v.status, RecStatus.OPEN);
  const me = new Uint32Array([0xfd000250, 0, 0, 1]);
  assert.equal(v.rstSeq, (cookie6(KEY, dst, 0, me, 0, 443, SPORT) + 1) >>> 0);
});

test('ICMP: echo reply with the cookie is open icmp 0; port unreachable quoting our UDP probe is closed', () => {
  const sim = new SimNet({ ping: ['10.0.0.9'] });
  const e = verdictOf(answer(sim, probe4(ip4('10.0.0.9'), ICMP_ECHO_PORT)))!;
  assert.equal(e.status, RecStatus.OPEN);
  assert.equal(e.proto, 1);
  assert.equal(e.port, 0);
  const u = verdictOf(answer(sim, probe4(ip4('10.0.0.9'), 65536 + 161)))!;
  assert.equal(u.status, RecStatus.CLOSED);
  assert.equal(u.proto, 17);
  assert.equal(u.port, 161);
  assert.equal(u.ip[0], ip4('10.0.0.9'));
});

test('ICMP port unreachable quoting a TCP segment needs our cookie as its sequence', () => {
  const p = probe4(ip4('10.0.0.9'), 8080);
  const d = new Decoded();
  decodeFrame(p, 0, p.length, d);
  const reply = icmpUnreachable(p, d);
  const v = verdictOf(reply)!;
  assert.equal(v.status, RecStatus.CLOSED);
  assert.equal(v.proto, 6);
  assert.equal(v.port, 8080);
  // Change the quoted sequence number: refused.
  reply[42 + 20 + 4] ^= 0xff;
  assert.equal(verdictOf(reply), null);
});

test('SCTP: INIT-ACK / ABORT with the initiate tag as verification tag', () => {
  const sim = new SimNet({ sctpOpen: ['10.0.0.3:80'] });
  const o = verdictOf(answer(sim, probe4(ip4('10.0.0.3'), 131072 + 80)))!;
  assert.equal(o.status, RecStatus.OPEN);
  assert.equal(o.proto, 132);
  const c = verdictOf(answer(sim, probe4(ip4('10.0.0.4'), 131072 + 80)))!;
  assert.equal(c.status, RecStatus.CLOSED);
  const forged = answer(sim, probe4(ip4('10.0.0.4'), 131072 + 80));
  forged[34 + 4] ^= 1;
  assert.equal(verdictOf(forged), null);
});

test('UDP reply to our port is open; ARP replies count only in --arp mode and from targets', () => {
  const sim = new SimNet({ udpOpen: ['10.0.0.1:53'], arp: new Map([['10.0.0.7', new Uint8Array([2, 2, 2, 2, 2, 2])], ['10.9.9.9', new Uint8Array(6)]]) });
  const u = verdictOf(answer(sim, probe4(ip4('10.0.0.1'), 65536 + 53)))!;
  assert.equal(u.status, RecStatus.OPEN);
  assert.equal(u.port, 53);
  const arpProbe = probe4(ip4('10.0.0.7'), 196610);
  const reply = answer(sim, arpProbe);
  assert.equal(verdictOf(reply), null, 'not in --arp mode');
  const ctx = classifyContext({ ...SETUP, arpscan: true });
  const d = new Decoded();
  decodeFrame(reply, 0, reply.length, d);
  const v = new Verdict();
  assert.equal(classify(reply, d, ctx, KEY, v), 1);
  assert.equal(v.status, RecStatus.UP);
  assert.equal(v.macOff, d.arpSenderMacOff);
  const other = answer(sim, probe4(ip4('10.9.9.9'), 196610));
  decodeFrame(other, 0, other.length, d);
  assert.equal(classify(other, d, ctx, KEY, v), 0, 'not a target');
});

test('inRanges4 is a correct membership test', () => {
  fc.assert(fc.property(fc.array(fc.tuple(fc.nat(0xffffffff), fc.nat(1000)), { maxLength: 20 }), fc.nat(0xffffffff), (rs, x) => {
    // Build sorted disjoint ranges.
    const sorted = rs.map(([b, l]) => [b, Math.min(0xffffffff, b + l)] as const).sort((a, b) => a[0] - b[0]);
    const merged: [number, number][] = [];
    for (const [b, e] of sorted) {
      const last = merged[merged.length - 1];
      if (last !== undefined && b <= last[1] + 1) last[1] = Math.max(last[1], e);
      else merged.push([b, e]);
    }
    const arr = new Uint32Array(merged.flat());
    const want = merged.some(([b, e]) => x >= b && x <= e);
    return inRanges4(arr, x) === want;
  }), { numRuns: 500 });
});

test('ranges4Words merges overlapping, unsorted ranges so inRanges4 finds every member', () => {
  // Sorted but unmerged, the binary search would miss 80 (it is only in the first range).
  const w = ranges4Words([{ begin: 50, end: 60 }, { begin: 0, end: 100 }, { begin: 10, end: 20 }]);
  assert.deepEqual([...w], [0, 100]);
  assert.equal(inRanges4(w, 80), true);
  assert.equal(inRanges4(classifyContext({ ...SETUP, targets4: [{ begin: 50, end: 60 }, { begin: 0, end: 100 }, { begin: 10, end: 20 }] }).targets4, 80), true);
  fc.assert(fc.property(fc.array(fc.tuple(fc.nat(0xffffffff), fc.nat(1000)), { maxLength: 20 }), fc.nat(20), fc.nat(0xffffffff),
    (rs, near, x) => {
      const ranges = rs.map(([b, l]) => ({ begin: b, end: Math.min(0xffffffff, b + l) }));
      const probe = ranges.length > 0 && near < 10 ? ranges[near % ranges.length]!.begin + near - 5 : x;
      if (probe < 0 || probe > 0xffffffff) return true;
      return inRanges4(ranges4Words(ranges), probe) === ranges.some((r) => probe >= r.begin && probe <= r.end);
    }), { numRuns: 500 });
});

test('the Receiver dedups, records in the ring, and queues one RST per SYN-ACK', () => {
  const records = RecordRing.create(64);
  const frames = FrameRing.create(1 << 16, 1514);
  const r = buildReceiver(SETUP, records, frames, () => 1234, null);
  const sim = new SimNet({ tcpOpen: ['10.0.0.5:80'] });
  const reply = answer(sim, probe4(ip4('10.0.0.5'), 80));
  for (let k = 0; k < 3; k++) r.handle(reply, 0, reply.length, 0, 0);
  r.flush();
  assert.equal(r.counters.valid, 3);
  assert.equal(r.counters.duplicates, 2);
  assert.equal(r.counters.records, 1);
  assert.equal(r.counters.rstQueued, 3);
  const got: number[][] = [];
  records.drain((w, o) => { got.push([w[o + RecordWord.STATUS], w[o + RecordWord.IP0], w[o + RecordWord.PORT], w[o + RecordWord.TIME]]); });
  assert.deepEqual(got, [[RecStatus.OPEN, ip4('10.0.0.5'), 80, 1234]]);
  // The RST: from us, to the target, seq = their ack, flags RST only.
  const out = new Uint8Array(2048);
  const n = frames.pop(out, 0);
  const d = new Decoded();
  assert.equal(decodeFrame(out, 0, n, d), 'ok');
  assert.equal(d.src, ME);
  assert.equal(d.dst, ip4('10.0.0.5'));
  assert.equal(d.dstPort, 80);
  assert.equal(d.srcPort, SPORT);
  assert.equal(d.tcpFlags, TcpFlags.RST);
  assert.equal(d.tcpSeq, (cookie4(KEY, ip4('10.0.0.5'), 80, ME, SPORT) + 1) >>> 0);
});

test('fuzz: the receiver never throws on arbitrary frames and on mutated replies', () => {
  const records = RecordRing.create(1 << 12);
  const frames = FrameRing.create(1 << 16, 1514);
  const r = buildReceiver({ ...SETUP, answer4: true, answer6: true, arpscan: true }, records, frames, () => 1, null);
  const sim = new SimNet({ tcpOpen: ['10.0.0.5:80'], ping: ['10.0.0.5'] });
  const seeds = [
    answer(sim, probe4(ip4('10.0.0.5'), 80)),
    answer(sim, probe4(ip4('10.0.0.6'), 65536 + 53)),
    answer(sim, probe4(ip4('10.0.0.5'), ICMP_ECHO_PORT)),
  ];
  const sink = new Uint8Array(4096);
  fc.assert(fc.property(
    fc.oneof(
      fc.uint8Array({ maxLength: 200 }),
      fc.tuple(fc.constantFrom(...seeds), fc.array(fc.tuple(fc.nat(200), fc.nat(255)), { maxLength: 8 }), fc.nat(120)).map(([s, muts, cut]) => {
        const f = s.slice(0, Math.max(0, s.length - cut));
        for (const [i, b] of muts) if (i < f.length) f[i] = b;
        return f;
      }),
    ),
    (f) => {
      r.handle(f, 0, f.length, 0, 0);
      r.flush();
      records.drain(() => {});
      while (frames.pop(sink, 0) >= 0) { /* empty */ }
      return true;
    },
  ), { numRuns: 2000 });
});

// ---------------------------------------------------------------------------------------
// ICMP timestamp replies and other IP protocols (O:n). Replies built with the wire reprs.
// ---------------------------------------------------------------------------------------

const T1 = ip4('10.0.0.5');
const TARGET6 = Uint32Array.of(0x20010db8, 0, 0, 5);
const TARGET6_BIG = 0x20010db8000000000000000000000005n;
const ME6W = Uint32Array.of(0xfd000250, 0, 0, 1);
/** An O: scan: port 80, I:1, O:4, O:41, O:47, O:50, O:253, and a few IPv6 targets. */
const SETUP_O: ReceiveSetup = {
  ...SETUP,
  ports: [{ begin: 80, end: 80 }, { begin: ICMP_TIMESTAMP_PORT, end: ICMP_TIMESTAMP_PORT },
    ...[4, 41, 47, 50, 253].map((n) => ({ begin: OPROTO_PORT_BASE + n, end: OPROTO_PORT_BASE + n }))],
  targets6: [{ begin: TARGET6_BIG - 5n, end: TARGET6_BIG + 10n }],
};
const CTX_O = classifyContext(SETUP_O);
/** The same targets, port 80 only. */
const CTX_80 = classifyContext({ ...SETUP_O, ports: [{ begin: 80, end: 80 }] });

function words6Bytes(w: Uint32Array): Uint8Array {
  const b = new Uint8Array(16);
  for (let i = 0; i < 4; i++) setU32(b, 4 * i, w[i]!);
  return b;
}

/** Ethernet + IPv4 (src -> dst, protocol) + payload. */
function ipv4Frame(src: number, dst: number, proto: number, payload: Uint8Array, ttl = 57): Uint8Array {
  const out = new Uint8Array(14 + 20 + payload.length);
  emitEthernet({ dst: SCANNER_MAC, src: ROUTER_MAC, etherType: EtherType.IPV4, vlanTci: undefined }, new EthernetFrame(out, 0, out.length));
  emitIpv4({ src, dst, protocol: proto, payloadLen: payload.length, ttl, tos: 0, ident: 77, dontFrag: false, moreFrags: false,
    fragOffset: 0, options: new Uint8Array(0) }, new Ipv4Packet(out, 14, 20 + payload.length));
  out.set(payload, 34);
  return out;
}

/** Ethernet + IPv6 (src -> dst, next header) + payload. */
function ipv6Frame(src: Uint32Array, dst: Uint32Array, next: number, payload: Uint8Array): Uint8Array {
  const out = new Uint8Array(14 + 40 + payload.length);
  emitEthernet({ dst: SCANNER_MAC, src: ROUTER_MAC, etherType: EtherType.IPV6, vlanTci: undefined }, new EthernetFrame(out, 0, out.length));
  emitIpv6({ src: words6Bytes(src), dst: words6Bytes(dst), nextHeader: next, payloadLen: payload.length, hopLimit: 64, trafficClass: 0, flowLabel: 0 },
    new Ipv6Packet(out, 14, 40 + payload.length));
  out.set(payload, 54);
  return out;
}

/** An ICMPv4 message (type, code, rest of header, data) with its checksum. */
function icmp4(type: number, code: number, rest: number, data: Uint8Array): Uint8Array {
  const b = new Uint8Array(8 + data.length);
  emitIcmpv4({ kind: 'other', type, code, restOfHeader: rest, data }, new Icmpv4Packet(b, 0, b.length));
  return b;
}

/** An ICMPv6 message from `src` to us, its checksum over the pseudo-header. */
function icmp6Frame(src: Uint32Array, type: number, code: number, rest: number, data: Uint8Array): Uint8Array {
  const body = new Uint8Array(4 + data.length);
  setU32(body, 0, rest);
  body.set(data, 4);
  const msg = new Uint8Array(4 + body.length);
  emitIcmpv6({ kind: 'other', type, code, body }, new Icmpv6Packet(msg, 0, msg.length), { version: 6, src: words6Bytes(src), dst: words6Bytes(ME6W) });
  return ipv6Frame(src, ME6W, IpProtocol.ICMPV6, msg);
}

/** The IP datagram of a probe frame (what a host quotes: all of it, as Linux does for short probes). */
function datagram(frame: Uint8Array): Uint8Array {
  const d = new Decoded();
  decodeFrame(frame, 0, frame.length, d);
  return frame.slice(d.ipOff, d.ipEnd);
}

/** classifyFrame over the decoder's result, whatever it is; a fresh Verdict or null. */
function verdictAny(frame: Uint8Array, ctx = CTX_O): Verdict | null {
  const d = new Decoded();
  const r = decodeFrame(frame, 0, frame.length, d);
  const v = new Verdict();
  return classifyFrame(frame, r, d, ctx, KEY, v) === 0 ? null : v;
}

test('ICMP timestamp reply (type 14) with the I:1 cookie is open icmp 1; forged or other cookies are refused', () => {
  const probe = probe4(T1, ICMP_TIMESTAMP_PORT);
  const d = new Decoded();
  assert.equal(decodeFrame(probe, 0, probe.length, d), 'ok');
  assert.equal(d.icmpType, 13);
  const idSeq = cookie4(KEY, T1, ICMP_TIMESTAMP_PORT, ME, 0);
  // The probe carries the cookie where masscan puts it: identifier:sequence.
  assert.equal(((probe[38]! << 24) | (probe[39]! << 16) | (probe[40]! << 8) | probe[41]!) >>> 0, idSeq);
  const stamps = Uint8Array.of(0, 0, 0, 0, 0, 0x27, 0xa9, 0x63, 0, 0x27, 0xa9, 0x63); // as Linux fills them
  const reply = ipv4Frame(T1, ME, IpProtocol.ICMP, icmp4(14, 0, idSeq, stamps));
  const v = verdictOf(reply)!;
  assert.equal(v.status, RecStatus.OPEN);
  assert.equal(v.proto, 1);
  assert.equal(v.port, 1);
  assert.equal(v.internalPort, ICMP_TIMESTAMP_PORT);
  assert.equal(v.ip[0], T1);
  assert.equal(v.ttl, 57);
  // Wrong cookie (one bit, or the echo cookie), wrong code, not to us, an echo reply with the timestamp cookie.
  assert.equal(verdictOf(ipv4Frame(T1, ME, IpProtocol.ICMP, icmp4(14, 0, (idSeq ^ 1) >>> 0, stamps))), null);
  assert.equal(verdictOf(ipv4Frame(T1, ME, IpProtocol.ICMP, icmp4(14, 0, cookie4(KEY, T1, ICMP_ECHO_PORT, ME, 0), stamps))), null);
  assert.equal(verdictOf(ipv4Frame(T1, ME, IpProtocol.ICMP, icmp4(14, 1, idSeq, stamps))), null);
  assert.equal(verdictOf(ipv4Frame(T1, ME + 1, IpProtocol.ICMP, icmp4(14, 0, idSeq, stamps))), null);
  assert.equal(verdictOf(ipv4Frame(T1 + 1, ME, IpProtocol.ICMP, icmp4(14, 0, idSeq, stamps))), null, 'cookie of another target');
  assert.equal(verdictOf(ipv4Frame(T1, ME, IpProtocol.ICMP, icmp4(0, 0, idSeq, stamps))), null, 'echo reply with the timestamp cookie');
  // The 8-byte header is enough (the cookie proves it); a timestamp *request* is no answer.
  assert.notEqual(verdictOf(ipv4Frame(T1, ME, IpProtocol.ICMP, icmp4(14, 0, idSeq, new Uint8Array(0)))), null);
  assert.equal(verdictOf(ipv4Frame(T1, ME, IpProtocol.ICMP, icmp4(13, 0, idSeq, stamps))), null);
});

test('property: a timestamp reply is accepted iff its id:seq is the cookie of (them, 196609, us, 0)', () => {
  fc.assert(fc.property(fc.nat(0xffffffff), fc.nat(0xffffffff), fc.boolean(), (them, idSeq, useGood) => {
    const good = cookie4(KEY, them >>> 0, ICMP_TIMESTAMP_PORT, ME, 0);
    const sent = useGood ? good : idSeq >>> 0;
    const v = verdictOf(ipv4Frame(them >>> 0, ME, IpProtocol.ICMP, icmp4(14, 0, sent, new Uint8Array(12))), CTX_WIDE);
    return (v !== null) === (sent === good) && (v === null || (v.port === 1 && v.ip[0] === them >>> 0));
  }), { numRuns: 300 });
});

test('O: IPv4 protocol unreachable quoting our probe (IP header + 0/4 bytes, as Linux sends it) is closed <n>', () => {
  for (const n of [47, 50, 4, 41, 253]) {
    const probe = probe4(T1, OPROTO_PORT_BASE + n);
    const q = datagram(probe);
    assert.equal(q.length, n === 47 ? 24 : 20);
    const reply = ipv4Frame(T1, ME, IpProtocol.ICMP, icmp4(3, 2, 0, q));
    const d = new Decoded();
    assert.equal(decodeFrame(reply, 0, reply.length, d), 'truncated', 'the decoder wants 8 quoted bytes');
    const v = verdictAny(reply)!;
    assert.ok(v !== null, `proto ${n}`);
    assert.equal(v.status, RecStatus.CLOSED);
    assert.equal(v.proto, n);
    assert.equal(v.port, n);
    assert.equal(v.internalPort, OPROTO_PORT_BASE + n);
    assert.equal(v.ip[0], T1);
    // The same when O:n is not scanned: nothing, cookie or not.
    assert.equal(verdictAny(reply, CTX_80), null);
    // ICMP port unreachable about the same probe: the protocol's module exists -> open.
    const pu = verdictAny(ipv4Frame(T1, ME, IpProtocol.ICMP, icmp4(3, 3, 0, q)))!;
    assert.equal(pu.status, RecStatus.OPEN);
    assert.equal(pu.proto, n);
    // Other unreachable codes (filtered, in nmap's words) and other types say nothing.
    for (const [type, code] of [[3, 0], [3, 1], [3, 13], [11, 0], [12, 0]] as const) {
      assert.equal(verdictAny(ipv4Frame(T1, ME, IpProtocol.ICMP, icmp4(type, code, 0, q))), null, `${type}/${code}`);
    }
    // A longer quote (the decoder says 'ok') gives the same verdict through classify.
    const long = new Uint8Array(q.length + 12); long.set(q);
    const lr = ipv4Frame(T1, ME, IpProtocol.ICMP, icmp4(3, 2, 0, long));
    assert.equal(decodeFrame(lr, 0, lr.length, d), 'ok');
    assert.equal(verdictAny(lr)!.status, RecStatus.CLOSED);
  }
});

test('O: a forged or foreign quote is refused: IP id (cookie), our address, reportable protocols', () => {
  const q = datagram(probe4(T1, OPROTO_PORT_BASE + 47));
  const with_ = (f: (b: Uint8Array) => void): Verdict | null => {
    const b = q.slice(); f(b);
    return verdictAny(ipv4Frame(T1, ME, IpProtocol.ICMP, icmp4(3, 2, 0, b)));
  };
  assert.notEqual(with_(() => undefined), null);
  assert.equal(with_((b) => { b[4] ^= 0x01; }), null, 'identification is not the cookie');
  assert.equal(with_((b) => { b[15] ^= 0x01; }), null, 'not from our address');
  assert.equal(with_((b) => { b[19] ^= 0x01; }), null, 'another destination: another cookie');
  assert.equal(with_((b) => { b[9] = 50; }), null, 'another protocol: another cookie');
  assert.equal(with_((b) => { b[0] = 0x65; }), null, 'not IPv4');
  assert.equal(with_((b) => { b[0] = 0x44; }), null, 'IHL < 5');
  // Quotes shorter than an IP header, or no quote: nothing.
  for (let cut = 0; cut < 20; cut++) {
    assert.equal(verdictAny(ipv4Frame(T1, ME, IpProtocol.ICMP, icmp4(3, 2, 0, q.slice(0, cut)))), null, `cut ${cut}`);
  }
  // Protocols whose record numbers mean something else are never reported as O: records.
  for (const n of [0, 1, 6, 17, 58, 132]) {
    assert.equal(oprotoReportable(n), false);
    const p = datagram(probe4(T1, OPROTO_PORT_BASE + n));
    assert.equal(verdictAny(ipv4Frame(T1, ME, IpProtocol.ICMP, icmp4(3, 2, 0, p))), null, `proto ${n}`);
  }
  assert.equal(oprotoReportable(47), true);
  assert.equal(oprotoReportable(255), true);
  assert.equal(oprotoReportable(256), false);
});

test('O: a packet of a scanned protocol from a target is open; unscanned protocol, non-target, or no port list: nothing', () => {
  const gre = ipv4Frame(T1, ME, 47, new Uint8Array(4));
  const d = new Decoded();
  assert.equal(decodeFrame(gre, 0, gre.length, d), 'unsupported');
  const v = verdictAny(gre)!;
  assert.equal(v.status, RecStatus.OPEN);
  assert.equal(v.proto, 47);
  assert.equal(v.port, 47);
  assert.equal(v.ip[0], T1);
  assert.equal(verdictAny(ipv4Frame(T1, ME, 51, new Uint8Array(12))), null, 'AH not scanned');
  assert.equal(verdictAny(ipv4Frame(ip4('10.9.9.9'), ME, 47, new Uint8Array(4))), null, 'not a target');
  assert.equal(verdictAny(ipv4Frame(T1, ME + 1, 47, new Uint8Array(4))), null, 'not to us');
  assert.equal(verdictAny(gre, CTX_80), null, 'O:47 not scanned');
  // TCP/UDP/ICMP frames the decoder refused never become O: records.
  const ctxAll = classifyContext({ ...SETUP_O, ports: [{ begin: OPROTO_PORT_BASE, end: OPROTO_PORT_BASE + 255 }] });
  assert.equal(verdictAny(ipv4Frame(T1, ME, IpProtocol.TCP, new Uint8Array(8)), ctxAll), null);
  assert.equal(verdictAny(ipv4Frame(T1, ME, IpProtocol.UDP, new Uint8Array(4)), ctxAll), null);
  assert.equal(verdictAny(ipv4Frame(T1, ME, IpProtocol.ICMPV6, new Uint8Array(8)), ctxAll), null);
  assert.notEqual(verdictAny(ipv4Frame(T1, ME, 2, new Uint8Array(8)), ctxAll), null, 'IGMP when scanned');
  // IPv6: ESP from an IPv6 target.
  const esp = ipv6Frame(TARGET6, ME6W, 50, new Uint8Array(16));
  const v6 = verdictAny(esp)!;
  assert.equal(v6.version, 6);
  assert.deepEqual([...v6.ip], [...TARGET6]);
  assert.equal(v6.proto, 50);
  assert.equal(verdictAny(ipv6Frame(Uint32Array.of(0x20010db8, 0, 1, 5), ME6W, 50, new Uint8Array(16))), null, 'not a v6 target');
  assert.equal(verdictAny(esp, classifyContext({ ...SETUP_O, targets6: [] })), null, 'no IPv6 targets');
});

test('O: IPv6 parameter problem (code 1, pointer 6) quoting our probe is closed; the flow label is the cookie', () => {
  for (const n of [47, 50, 253]) {
    const probe = probe6(TARGET6, OPROTO_PORT_BASE + n);
    const q = datagram(probe);
    const flow = ((q[1]! & 0x0f) << 16) | (q[2]! << 8) | q[3]!;
    assert.equal(flow, cookie6(KEY, TARGET6, 0, ME6W, 0, OPROTO_PORT_BASE + n, 0) & 0xfffff);
    // Linux answers from its link address, not from the target.
    const from = Uint32Array.of(0xfd000250, 0, 0, 2);
    const v = verdictAny(icmp6Frame(from, 4, 1, 6, q))!;
    assert.ok(v !== null, `proto ${n}`);
    assert.equal(v.version, 6);
    assert.deepEqual([...v.ip], [...TARGET6]);
    assert.equal(v.status, RecStatus.CLOSED);
    assert.equal(v.proto, n);
    assert.equal(v.internalPort, OPROTO_PORT_BASE + n);
    assert.equal(verdictAny(icmp6Frame(from, 4, 1, 40, q)), null, 'pointer elsewhere');
    assert.equal(verdictAny(icmp6Frame(from, 4, 0, 6, q)), null, 'code 0: erroneous header field');
    assert.equal(verdictAny(icmp6Frame(from, 1, 4, 0, q))!.status, RecStatus.OPEN, 'port unreachable: open');
    assert.equal(verdictAny(icmp6Frame(from, 1, 1, 0, q)), null, 'administratively prohibited: nothing');
    const bad = q.slice(); bad[3] ^= 1;
    assert.equal(verdictAny(icmp6Frame(from, 4, 1, 6, bad)), null, 'flow label is not the cookie');
    const other = q.slice(); other[23] ^= 1;
    assert.equal(verdictAny(icmp6Frame(from, 4, 1, 6, other)), null, 'not from our address');
    assert.equal(verdictAny(icmp6Frame(from, 4, 1, 6, q.slice(0, 39))), null, 'quote shorter than a header');
  }
});

test('inRanges6 and ranges6Words: membership over merged, sorted ranges', () => {
  const big = fc.bigInt({ min: 0n, max: (1n << 128n) - 1n });
  fc.assert(fc.property(fc.array(fc.tuple(big, fc.bigInt({ min: 0n, max: 1000n })), { maxLength: 12 }), big, fc.nat(20),
    (rs, x, near) => {
      const ranges = rs.map(([b, l]) => ({ begin: b, end: b + l > (1n << 128n) - 1n ? (1n << 128n) - 1n : b + l }));
      const w = ranges6Words(ranges);
      const probe = ranges.length > 0 && near < 10 ? ranges[near % ranges.length]!.begin + BigInt(near) - 5n : x;
      if (probe < 0n || probe >= 1n << 128n) return true;
      const pw = Uint32Array.of(Number((probe >> 96n) & 0xffffffffn), Number((probe >> 64n) & 0xffffffffn), Number((probe >> 32n) & 0xffffffffn), Number(probe & 0xffffffffn));
      return inRanges6(w, pw) === ranges.some((r) => probe >= r.begin && probe <= r.end);
    }), { numRuns: 400 });
});

test('the Receiver records O: verdicts from frames the decoder could not finish, once per status', () => {
  const records = RecordRing.create(64);
  const r = buildReceiver(SETUP_O, records, null, () => 99, null);
  const q = datagram(probe4(T1, OPROTO_PORT_BASE + 47));
  const unreach = ipv4Frame(T1, ME, IpProtocol.ICMP, icmp4(3, 2, 0, q));
  for (let k = 0; k < 3; k++) r.handle(unreach, 0, unreach.length, 0, 0);
  const ts = ipv4Frame(T1, ME, IpProtocol.ICMP, icmp4(14, 0, cookie4(KEY, T1, ICMP_TIMESTAMP_PORT, ME, 0), new Uint8Array(12)));
  r.handle(ts, 0, ts.length, 1700000000, 0);
  const gre = ipv4Frame(T1, ME, 47, new Uint8Array(4));
  r.handle(gre, 0, gre.length, 0, 0);
  const junk = ipv4Frame(T1, ME, 99, new Uint8Array(4)); // not scanned
  r.handle(junk, 0, junk.length, 0, 0);
  r.flush();
  assert.equal(r.counters.valid, 5);
  assert.equal(r.counters.duplicates, 2);
  assert.equal(r.counters.records, 3);
  assert.equal(r.counters.undecodable, 1);
  assert.equal(r.counters.found, 2, 'closed does not count toward found=');
  const got: number[][] = [];
  records.drain((w, o) => { got.push([w[o + RecordWord.STATUS]!, w[o + RecordWord.PROTO]!, w[o + RecordWord.PORT]!, w[o + RecordWord.IP0]!, w[o + RecordWord.TIME]!]); });
  assert.deepEqual(got, [
    [RecStatus.CLOSED, 47, 47, T1, 99],
    [RecStatus.OPEN, 1, 1, T1, 1700000000],
    [RecStatus.OPEN, 47, 47, T1, 99],
  ]);
});

/** `buf` wrapped so that any index read outside [lo, hi) throws (reads past the frame). */
function guarded(buf: Uint8Array, lo: number, hi: number): Uint8Array {
  return new Proxy(buf, {
    get(t, k) {
      if (typeof k === 'string' && k.length > 0 && k.length < 10 && k.charCodeAt(0) >= 48 && k.charCodeAt(0) <= 57) {
        const i = Number(k);
        if (Number.isInteger(i) && (i < lo || i >= hi)) throw new Error(`read of byte ${i} outside [${lo}, ${hi})`);
      }
      const val = Reflect.get(t, k, t) as unknown;
      return typeof val === 'function' ? (val as (...a: unknown[]) => unknown).bind(t) : val;
    },
  });
}

test('fuzz: timestamp / O: replies mutated and cut never throw, never read outside the frame, never misreport', () => {
  const q47 = datagram(probe4(T1, OPROTO_PORT_BASE + 47));
  const q50v6 = datagram(probe6(TARGET6, OPROTO_PORT_BASE + 50));
  const seeds = [
    ipv4Frame(T1, ME, IpProtocol.ICMP, icmp4(3, 2, 0, q47)),
    ipv4Frame(T1, ME, IpProtocol.ICMP, icmp4(3, 3, 0, q47)),
    ipv4Frame(T1, ME, IpProtocol.ICMP, icmp4(14, 0, cookie4(KEY, T1, ICMP_TIMESTAMP_PORT, ME, 0), new Uint8Array(12))),
    ipv4Frame(T1, ME, 47, new Uint8Array(4)),
    icmp6Frame(Uint32Array.of(0xfd000250, 0, 0, 2), 4, 1, 6, q50v6),
    ipv6Frame(TARGET6, ME6W, 50, new Uint8Array(8)),
  ];
  const d = new Decoded();
  const v = new Verdict();
  const PAD = 9;
  fc.assert(fc.property(
    fc.constantFrom(...seeds),
    fc.array(fc.tuple(fc.nat(140), fc.nat(255)), { maxLength: 6 }),
    fc.nat(100),
    (seed, muts, cut) => {
      const f = seed.slice(0, Math.max(0, seed.length - cut));
      for (const [i, b] of muts) if (i < f.length) f[i] = b;
      // The frame sits inside a larger buffer; reads must stay inside the frame.
      const big = new Uint8Array(f.length + 2 * PAD).fill(0xee);
      big.set(f, PAD);
      const g = guarded(big, PAD, PAD + f.length);
      const r = decodeFrame(g, PAD, f.length, d);
      const k = classifyFrame(g, r, d, CTX_O, KEY, v);
      if (k !== 0) {
        // Whatever got through names a target we probed (never a reserved record protocol).
        assert.ok(v.proto === 1 ? v.port <= 1 : oprotoReportable(v.proto) || v.proto === 6 || v.proto === 17 || v.proto === 132);
      }
      // classifyPartial on an 'ok' result is always 0 (the receiver never asks it).
      if (r === 'ok') assert.equal(classifyPartial(g, r, d, CTX_O, KEY, v), 0);
      return true;
    },
  ), { numRuns: 3000 });
});

test('fuzz: arbitrary bytes through classifyFrame never throw (bounded)', () => {
  const d = new Decoded();
  const v = new Verdict();
  fc.assert(fc.property(fc.uint8Array({ maxLength: 160 }), fc.constantFrom(0x0800, 0x86dd), (body, et) => {
    const f = new Uint8Array(14 + body.length);
    f[12] = et >>> 8; f[13] = et & 0xff;
    f.set(body, 14);
    if (body.length > 0) f[14] = (et === 0x0800 ? 0x45 : 0x60) | (body[0]! & 0x0f);
    const r = decodeFrame(f, 0, f.length, d);
    classifyFrame(f, r, d, CTX_O, KEY, v);
    return true;
  }), { numRuns: 3000 });
});

test('the Receiver allocates nothing per frame (SYN-ACK, RST, ICMP unreachable, UDP with cookies, garbage; no GC over 1e6 frames)', async () => {
  const records = RecordRing.create(1 << 12);
  const frames = FrameRing.create(1 << 20, 1514);
  const r = buildReceiver(SETUP, records, frames, () => 1234, null);
  const open = Array.from({ length: 64 }, (_, k) => `10.0.0.${k}:80`);
  const sim = new SimNet({ tcpOpen: open });
  const replies: Uint8Array[] = [];
  for (let k = 0; k < 256; k++) replies.push(answer(sim, probe4(ip4(`10.0.0.${k}`), k < 128 ? 80 : 443)));
  for (let k = 0; k < 64; k++) replies.push(answer(new SimNet(), probe4(ip4(`10.0.0.${k}`), 0x10000 + 53)));
  // UDP answers whose cookie is checked: DNS id (same offset) and SNMP request-id (BER walk).
  for (let k = 0; k < 32; k++) {
    for (const port of [53, 161]) replies.push(answer(new SimNet({ udpOpen: [`10.0.0.${k}:${port}`] }), probe4(ip4(`10.0.0.${k}`), 0x10000 + port)));
  }
  replies.push(new Uint8Array(60).fill(0xee), new Uint8Array(14));
  const out = new Uint8Array(2048);
  const drainAll = (): void => {
    records.drain(() => { /* discard */ }, 1 << 12);
    while (frames.pop(out, 0) >= 0) { /* discard */ }
  };
  const run = (n: number): void => {
    for (let i = 0; i < n; i++) {
      const f = replies[i % replies.length];
      r.handle(f, 0, f.length, 0, 0);
      if ((i & 255) === 255) { r.flush(); drainAll(); }
    }
  };
  const gcs = await gcsDuring(run, 300_000, 1_000_000);
  assert.ok(r.counters.valid > 0 && r.counters.rstQueued > 0);
  assert.equal(r.counters.records, 256 + 64 + 64, 'every TCP reply, UDP unreachable and UDP answer once (the UDP answers pass their cookie check)');
  assert.ok(gcs <= 3, `${gcs} garbage collections over 1e6 frames`);
});

// ---------------------------------------------------------------------------------------
// Only replies to this scan: from a target of the plan, carrying the probe's cookie where it
// has one that the reply echoes. masscan reports any datagram to its port.
// ---------------------------------------------------------------------------------------

const NET = ip4('198.18.0.0');
const STRANGER = ip4('203.0.113.9');
const UDP = 0x10000, SCTP = 0x20000;
/** `198.18.0.0/24 -p80`: the scan of the hostile probe that found both defects. */
const SETUP_80: ReceiveSetup = { ...SETUP, targets4: [{ begin: NET, end: NET + 255 }], targets6: [], ports: [{ begin: 80, end: 80 }] };
/** The same hosts, with TCP 80, UDP 7 (echo: no cookie), 53 (DNS id), 161 (SNMP), 1701 (L2TP), SCTP 9999, I:0. */
const PLAN_U = [80, UDP + 7, UDP + 53, UDP + 161, UDP + 1701, SCTP + 9999, ICMP_ECHO_PORT];
const SETUP_U: ReceiveSetup = { ...SETUP_80, targets6: [{ begin: NET6, end: NET6 + 255n }], ports: PLAN_U.map((p) => ({ begin: p, end: p })) };
const CTX_U = classifyContext(SETUP_U);

/** A UDP datagram src:sport -> dst:dport over IPv4, checksummed. */
function udpFrame4(src: number, sport: number, dst: number, dport: number, payload: Uint8Array): Uint8Array {
  const l4 = new Uint8Array(8 + payload.length);
  emitUdp({ srcPort: sport, dstPort: dport, payload }, new UdpPacket(l4, 0, l4.length), { version: 4, src, dst });
  return ipv4Frame(src, dst, IpProtocol.UDP, l4);
}

/** A forged quote: an IPv4 header from `src` to `dst` of `proto`, then 8 bytes: ports and `word`. */
function forgedQuote(src: number, dst: number, proto: number, sport: number, dport: number, word = 0): Uint8Array {
  const q = new Uint8Array(28);
  emitIpv4({ src, dst, protocol: proto, payloadLen: 8, ttl: 64, tos: 0, ident: 1, dontFrag: false, moreFrags: false, fragOffset: 0, options: new Uint8Array(0) },
    new Ipv4Packet(q, 0, 28));
  q[20] = sport >>> 8; q[21] = sport & 0xff; q[22] = dport >>> 8; q[23] = dport & 0xff;
  setU32(q, 24, word >>> 0);
  return q;
}

function udpCookie(them: number, port: number): number {
  return cookie4(KEY, them, UDP + port, ME, SPORT);
}

test('defect 1: a UDP datagram to our source port from a host that is not a target, or when no UDP probe was sent, gives no record', () => {
  // Scanning 198.18.0.0/24 -p80 reported "203.0.113.9 udp/53 open".
  const answer = Uint8Array.of(0x12, 0x34, 0x81, 0x80, 0, 1, 0, 1, 0, 0, 0, 0);
  assert.equal(verdictOf(udpFrame4(STRANGER, 53, ME, SPORT, answer), classifyContext(SETUP_80)), null, '203.0.113.9 udp/53, no UDP probe sent');
  assert.equal(verdictOf(udpFrame4(NET + 9, 53, ME, SPORT, answer), classifyContext(SETUP_80)), null, 'a target, but no UDP probe sent');
  // With UDP scanned: still nothing from a stranger, even with the cookie it would have had.
  const id = udpCookie(STRANGER, 53) & 0xffff;
  assert.equal(verdictOf(udpFrame4(STRANGER, 53, ME, SPORT, Uint8Array.of(id >>> 8, id & 0xff, 0x81, 0x80)), CTX_U), null);
  assert.equal(verdictOf(udpFrame4(STRANGER, 7, ME, SPORT, answer), CTX_U), null, 'echo port (no cookie) from a stranger');
  assert.equal(verdictOf(udpFrame4(NET + 9, 54, ME, SPORT, answer), CTX_U), null, 'a target, from a port not scanned');
  // IPv6: a stranger outside the v6 targets.
  const u6 = new Uint8Array(12);
  const stranger6 = Uint32Array.of(0x20010db9, 0, 0, 1);
  emitUdp({ srcPort: 7, dstPort: SPORT, payload: new Uint8Array(4) }, new UdpPacket(u6, 0, 12), { version: 6, src: words6Bytes(stranger6), dst: words6Bytes(ME6W) });
  assert.equal(verdictOf(ipv6Frame(stranger6, ME6W, IpProtocol.UDP, u6), CTX_U), null, 'IPv6 stranger');
  const target6 = Uint32Array.of(0x20010db8, 0, 0, 9);
  emitUdp({ srcPort: 7, dstPort: SPORT, payload: new Uint8Array(4) }, new UdpPacket(u6, 0, 12), { version: 6, src: words6Bytes(target6), dst: words6Bytes(ME6W) });
  assert.notEqual(verdictOf(ipv6Frame(target6, ME6W, IpProtocol.UDP, u6), CTX_U), null, 'IPv6 target, echo port');
});

test('UDP: a reply from a target counts when it echoes the cookie where the payload put it (DNS id, SNMP request-id, L2TP tunnel id)', () => {
  const them = NET + 9;
  // echo (7): no cookie in the probe, the target check alone.
  const e = verdictOf(udpFrame4(them, 7, ME, SPORT, Uint8Array.of(1, 2, 3)), CTX_U)!;
  assert.equal(`${e.status} ${e.proto} ${e.port} ${e.ip[0]}`, `${RecStatus.OPEN} 17 7 ${them}`);
  // DNS (53): the id is the cookie's low 16 bits.
  const ck = udpCookie(them, 53);
  const dns = (id: number): Uint8Array => udpFrame4(them, 53, ME, SPORT, Uint8Array.of(id >>> 8, id & 0xff, 0x81, 0x80, 0, 1, 0, 1, 0, 0, 0, 0));
  assert.notEqual(verdictOf(dns(ck & 0xffff), CTX_U), null);
  assert.equal(verdictOf(dns((ck ^ 0x100) & 0xffff), CTX_U), null, 'another id');
  assert.equal(verdictOf(udpFrame4(them, 53, ME, SPORT, Uint8Array.of(ck >>> 8 & 0xff)), CTX_U), null, 'too short for the id');
  // The probe is what a SimNet echo answers: the same id, so open.
  const sim = new SimNet({ udpOpen: [`198.18.0.9:53`, `198.18.0.9:161`] });
  const probe = probe4(them, UDP + 53);
  assert.notEqual(verdictOf(answer(sim, probe), CTX_U), null);
  // SNMP (161): an agent's GetResponse re-encodes the request-id (minimal INTEGER, long-form lengths).
  const sck = (udpCookie(them, 161) & 0x7fffffff) >>> 0;
  assert.notEqual(verdictOf(answer(sim, probe4(them, UDP + 161)), CTX_U), null, 'an echo of our GetRequest');
  assert.notEqual(verdictOf(udpFrame4(them, 161, ME, SPORT, snmpResponse(sck)), CTX_U), null, 'GetResponse');
  assert.notEqual(verdictOf(udpFrame4(them, 161, ME, SPORT, snmpResponse(sck, true)), CTX_U), null, 'GetResponse, long-form lengths');
  assert.equal(verdictOf(udpFrame4(them, 161, ME, SPORT, snmpResponse((sck ^ 1) >>> 0)), CTX_U), null, 'another request-id');
  // L2TP (1701): the SCCRP's header Tunnel ID is the Assigned Tunnel ID we sent.
  const lck = udpCookie(them, 1701) & 0xffff;
  const sccrp = (tid: number, flags = 0xc802): Uint8Array => Uint8Array.of(flags >>> 8, flags & 0xff, 0, 20, tid >>> 8, tid & 0xff, 0, 0, 0, 0, 0, 1, 0x80, 8, 0, 0, 0, 0, 0, 2);
  assert.notEqual(verdictOf(udpFrame4(them, 1701, ME, SPORT, sccrp(lck)), CTX_U), null);
  assert.equal(verdictOf(udpFrame4(them, 1701, ME, SPORT, sccrp(lck ^ 1)), CTX_U), null, 'another tunnel');
  assert.equal(verdictOf(udpFrame4(them, 1701, ME, SPORT, sccrp(lck, 0x0802)), CTX_U), null, 'a data message');
  // IPv6: the DNS id of the IPv6 cookie.
  const t6 = Uint32Array.of(0x20010db8, 0, 0, 0x53);
  const sim6 = new SimNet({ udpOpen: [`${0x20010db8000000000000000000000053n}:53`] });
  const r6 = answer(sim6, probe6(t6, UDP + 53));
  const v6 = verdictOf(r6, CTX)!;
  assert.equal(`${v6.version} ${v6.status} ${v6.port}`, `6 ${RecStatus.OPEN} 53`);
  const bad6 = r6.slice(); bad6[14 + 40 + 8] ^= 1; // the id's high byte (no UDP checksum check in verdictOf's decoder)
  assert.equal(verdictOf(bad6, CTX), null, 'IPv6 DNS answer with another id');
  // A user payload on 53 (--nmap-payloads) carries no cookie: the target check alone.
  const user = classifyContext({ ...SETUP_U, udpPayloads: [{ port: 53, bytes: Uint8Array.of(9, 9, 9, 9) }] });
  assert.notEqual(verdictOf(dns((ck ^ 0x100) & 0xffff), user), null);
});

/** An SNMPv1 GetResponse (RFC 1157) with request-id `rid`, minimally encoded; `long`: 0x82 lengths. */
function snmpResponse(rid: number, long = false): Uint8Array {
  const len = (n: number): number[] => (long ? [0x82, n >>> 8, n & 0xff] : [n]);
  const tlv = (tag: number, c: number[]): number[] => [tag, ...len(c.length), ...c];
  const int = (x: number): number[] => {
    const b: number[] = [];
    do { b.unshift(x & 0xff); x = Math.floor(x / 256); } while (x > 0);
    if (b[0]! & 0x80) b.unshift(0);
    return b;
  };
  const vb = tlv(0x30, [...tlv(0x06, [0x2b, 6, 1, 2, 1, 1, 5, 0]), ...tlv(0x04, [...Buffer.from('sink')])]);
  return Uint8Array.from(tlv(0x30, [
    ...tlv(0x02, [0]), ...tlv(0x04, [...Buffer.from('public')]),
    ...tlv(0xa2, [...tlv(0x02, int(rid)), ...tlv(0x02, [0]), ...tlv(0x02, [0]), ...tlv(0x30, vb)]),
  ]));
}

test('defect 2: an ICMP port unreachable quoting a forged UDP or SCTP packet "from" us about a host that is not a target gives no record', () => {
  // It gave "203.0.113.7 sctp/9999 closed" (and likewise for UDP).
  const stranger = ip4('203.0.113.7');
  for (const proto of [IpProtocol.UDP, IpProtocol.SCTP]) {
    const q = forgedQuote(ME, stranger, proto, SPORT, 9999);
    assert.equal(verdictAny(ipv4Frame(stranger, ME, IpProtocol.ICMP, icmp4(3, 3, 0, q)), CTX_U), null, `proto ${proto}`);
    assert.equal(verdictAny(ipv4Frame(stranger, ME, IpProtocol.ICMP, icmp4(3, 3, 0, q)), classifyContext(SETUP_80)), null, `proto ${proto}, -p80`);
  }
  // About a target, but a port (or protocol) not scanned: nothing either.
  assert.equal(verdictAny(ipv4Frame(NET + 7, ME, IpProtocol.ICMP, icmp4(3, 3, 0, forgedQuote(ME, NET + 7, IpProtocol.UDP, SPORT, 9999))), CTX_U), null, 'udp/9999 not scanned');
  assert.equal(verdictAny(ipv4Frame(NET + 7, ME, IpProtocol.ICMP, icmp4(3, 3, 0, forgedQuote(ME, NET + 7, IpProtocol.SCTP, SPORT, 9999))), classifyContext(SETUP_80)), null, 'no SCTP scanned');
});

test('ICMP port unreachable quoting our real UDP / SCTP probe to a target is closed; the SCTP quote needs tag 0 and, when quoted, our Initiate Tag', () => {
  const them = NET + 7;
  for (const [port, proto] of [[UDP + 53, 17], [SCTP + 9999, 132]] as const) {
    const q = datagram(probe4(them, port));
    for (const quote of [q.slice(0, 28), q]) { // RFC 792's 8 bytes, and all of it (Linux)
      const v = verdictAny(ipv4Frame(them, ME, IpProtocol.ICMP, icmp4(3, 3, 0, quote)), CTX_U)!;
      assert.ok(v !== null, `${proto} quote of ${quote.length}`);
      assert.equal(`${v.status} ${v.proto} ${v.port} ${v.ip[0]}`, `${RecStatus.CLOSED} ${proto} ${port & 0xffff} ${them}`);
    }
  }
  const q = datagram(probe4(them, SCTP + 9999));
  const tagged = q.slice(); tagged[24] ^= 1; // common header verification tag: an INIT has 0
  assert.equal(verdictAny(ipv4Frame(them, ME, IpProtocol.ICMP, icmp4(3, 3, 0, tagged)), CTX_U), null, 'quoted vtag not 0');
  const other = q.slice(); other[20 + 16] ^= 1; // the Initiate Tag: the cookie
  assert.equal(verdictAny(ipv4Frame(them, ME, IpProtocol.ICMP, icmp4(3, 3, 0, other)), CTX_U), null, 'Initiate Tag is not the cookie');
  assert.notEqual(verdictAny(ipv4Frame(them, ME, IpProtocol.ICMP, icmp4(3, 3, 0, other.slice(0, 28))), CTX_U), null, '8 bytes: the target check alone');
});

/** A reply of kind k (0..5) from `them`, each carrying exactly the cookie a probe to them would have had. */
function forgedReply(k: number, them: number, n: number): Uint8Array {
  const port = [80, 7, 53, 161, 1701, 9999][n % 6]!;
  switch (k) {
    case 0: { // SYN-ACK with the right ack
      const p = probe4(them, 80);
      const d = new Decoded(); decodeFrame(p, 0, p.length, d);
      return tcpReply(d, TcpFlags.SYN | TcpFlags.ACK, 1, (cookie4(KEY, them, 80, ME, SPORT) + 1) >>> 0);
    }
    case 1: { // UDP with the DNS id of that host
      const id = udpCookie(them, 53) & 0xffff;
      return udpFrame4(them, port === 9999 ? 53 : port, ME, SPORT, Uint8Array.of(id >>> 8, id & 0xff, 0x81, 0x80, 0, 0, 0, 0));
    }
    case 2: { // SCTP ABORT with the right vtag
      const sim = new SimNet();
      return answer(sim, probe4(them, SCTP + 9999));
    }
    case 3: { // echo reply with the right id:seq
      const ck = cookie4(KEY, them, ICMP_ECHO_PORT, ME, 0);
      return ipv4Frame(them, ME, IpProtocol.ICMP, icmp4(0, 0, ck, new Uint8Array(8)));
    }
    case 4: // port unreachable quoting a real probe of ours to that host (as a full quote)
      return ipv4Frame(them, ME, IpProtocol.ICMP, icmp4(3, 3, 0, datagram(probe4(them, [80, UDP + 53, SCTP + 9999][n % 3]!))));
    default: // port unreachable quoting a forged datagram from us to that host
      return ipv4Frame(them, ME, IpProtocol.ICMP, icmp4(3, 3, 0, forgedQuote(ME, them, n % 2 === 0 ? 17 : 132, SPORT, port)));
  }
}

test('property: replies from hosts that are not targets never yield records, even with the cookies they would carry', () => {
  fc.assert(fc.property(fc.nat(0xffffffff), fc.nat(5), fc.nat(1000), (x, k, n) => {
    const them = x >>> 0;
    if (them >= NET && them <= NET + 255) return true;
    return verdictAny(forgedReply(k, them, n), CTX_U) === null;
  }), { numRuns: 600 });
});

test('property: genuine replies to planned probes still yield records (every kind, any target of the plan)', () => {
  fc.assert(fc.property(fc.nat(255), fc.nat(4), (h, k) => {
    const them = NET + h;
    const sim = new SimNet({ tcpOpen: [`198.18.0.${h}:80`], udpOpen: [`198.18.0.${h}:53`, `198.18.0.${h}:161`], sctpOpen: [`198.18.0.${h}:9999`], ping: [`198.18.0.${h}`] });
    const port = [80, UDP + 53, UDP + 161, SCTP + 9999, ICMP_ECHO_PORT][k]!;
    const v = verdictAny(answer(sim, probe4(them, port)), CTX_U);
    // and the closed side: a host that answers nothing but port unreachables (UDP) / RST / ABORT.
    const closed = verdictAny(answer(new SimNet(), probe4(them, [80, UDP + 7, UDP + 53, SCTP + 9999][k % 4]!)), CTX_U);
    return v !== null && v.status === RecStatus.OPEN && v.ip[0] === them && closed !== null && closed.status === RecStatus.CLOSED && closed.ip[0] === them;
  }), { numRuns: 300 });
});

test('fuzz: udpReplyEchoes never throws and reads only inside the payload', () => {
  const PAD = 5;
  fc.assert(fc.property(fc.uint8Array({ maxLength: 80 }), fc.nat(5), fc.integer({ min: -2, max: 90 }), fc.nat(0xffffffff), fc.boolean(),
    (bytes, rule, fieldOff, ck, snmp) => {
      // Half the time a real GetResponse cut and mutated, so the BER walk goes deep.
      let b = bytes;
      if (snmp) {
        const r = snmpResponse(ck & 0x7fffffff, (ck & 1) === 1);
        b = r.slice(0, Math.min(r.length, bytes.length + 10));
        for (let i = 0; i < bytes.length; i += 7) if (i < b.length) b[i] = bytes[i]!;
      }
      const big = new Uint8Array(b.length + 2 * PAD).fill(0x30);
      big.set(b, PAD);
      const g = guarded(big, PAD, PAD + b.length);
      udpReplyEchoes(g, PAD, b.length, snmp ? UdpEcho.SNMP : rule, fieldOff, ck);
      return true;
    }), { numRuns: 3000 });
  // A whole response matches, every strict prefix of it does not.
  const r = snmpResponse(0x12345678);
  assert.equal(udpReplyEchoes(r, 0, r.length, UdpEcho.SNMP, 0, 0x12345678), true);
  for (let cut = 0; cut < 40; cut++) assert.equal(udpReplyEchoes(r, 0, cut, UdpEcho.SNMP, 0, 0x12345678), false, `cut ${cut}`);
});

test('--pcap keeps exactly the replies the receiver accepted (not forged ones, ARP requests or garbage)', () => {
  const kept: string[] = [];
  const sink = { writeFrame: (b: Uint8Array, o: number, l: number, s: number): void => { kept.push(`${s}:${Buffer.from(b.subarray(o, o + l)).toString('hex')}`); } };
  const r = buildReceiver({ ...SETUP, answer4: true }, RecordRing.create(64), FrameRing.create(1 << 16, 1514), () => 1, sink);
  const sim = new SimNet({ tcpOpen: ['10.0.0.5:80'] });
  const good = answer(sim, probe4(ip4('10.0.0.5'), 80));
  const d = new Decoded();
  const p = probe4(ip4('10.0.0.6'), 80);
  decodeFrame(p, 0, p.length, d);
  const forged = tcpReply(d, TcpFlags.SYN | TcpFlags.ACK, 1, 12345);
  const arp = new Uint8Array(42);
  emitEthernet({ dst: new Uint8Array(6).fill(0xff), src: ROUTER_MAC, etherType: EtherType.ARP, vlanTci: undefined }, new EthernetFrame(arp, 0, 42));
  arp.set([0, 1, 8, 0, 6, 4, 0, 1], 14);
  setU32(arp, 14 + 24, ME); // who-has our address: answered, not kept
  for (const [f, t] of [[good, 7], [forged, 8], [arp, 9], [Uint8Array.of(1, 2, 3), 10], [good, 11]] as const) r.handle(f, 0, f.length, t, 0);
  const hex = Buffer.from(good).toString('hex');
  assert.deepEqual(kept, [`7:${hex}`, `11:${hex}`]);
  assert.equal(r.counters.answersQueued, 1, 'the ARP request was seen (and answered)');
  // -d: every frame in exactly one bucket, with its count.
  const c = r.counters;
  assert.deepEqual([c.frames, c.valid, c.refused, c.undecodable, c.answersQueued, c.segments], [5, 2, 1, 1, 1, 0]);
  assert.equal(c.valid + c.refused + c.undecodable + c.answersQueued + c.segments, c.frames);
  assert.equal(receiveDebugLines(c, 4),
    '[debug] receive: 5 frames: 2 replies (1 duplicates, 1 records), 1 refused (not to our address/port, not from a target or scanned port, or a wrong cookie), ' +
    '1 undecodable, 1 ARP/NDP answered, 0 banner-connection segments\n' +
    '[debug] receive: lost: 4 frames in the kernel ring, 0 records (record ring full), 0 frames to send (frame ring full); 2 RSTs queued\n');
});
