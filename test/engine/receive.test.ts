/**
 * The receive classifier is a pure function of a frame: replies built with the wire reprs
 * (scan-sim.ts) are classified, forged ones refused, and arbitrary bytes never throw.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { gcsDuring } from './gc-count.js';
import fc from 'fast-check';
import {
  classify, classifyContext, classifyFrame, classifyPartial, buildReceiver, inRanges4, inRanges6, ranges4Words, ranges6Words, oprotoReportable,
  Verdict, RecStatus, ICMP_TIMESTAMP_PORT, OPROTO_PORT_BASE, type ReceiveSetup,
} from '../../src/engine/receive.js';
import { CookieKey, cookie4, cookie6, ICMP_ECHO_PORT } from '../../src/engine/cookie.js';
import { Decoded, decodeFrame } from '../../src/wire/decode.js';
import { TcpFlags } from '../../src/wire/tcp.js';
import { ProbeSet4, ProbeSet6 } from '../../src/engine/template.js';
import { FrameRing, RecordRing, R } from '../../src/engine/ring.js';
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

const SETUP: ReceiveSetup = {
  seed: SEED, src4: { begin: ME, end: ME }, src6: ME6, srcPort: { begin: SPORT, end: SPORT },
  srcMac: SCANNER_MAC, routerMac4: ROUTER_MAC, routerMac6: ROUTER_MAC, vlan: undefined, ttl: 255,
  answer4: false, answer6: false, noreset: false, arpscan: false, targets4: [{ begin: ip4('10.0.0.0'), end: ip4('10.0.0.255') }],
};
const CTX = classifyContext(SETUP);

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
function verdictOf(frame: Uint8Array): Verdict | null {
  const d = new Decoded();
  if (decodeFrame(frame, 0, frame.length, d) !== 'ok') return null;
  const v = new Verdict();
  return classify(frame, d, CTX, KEY, v) === 0 ? null : v;
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
    const v = verdictOf(tcpReply(d, TcpFlags.SYN | TcpFlags.ACK, 7, ack >>> 0));
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
  records.drain((w, o) => { got.push([w[o + R.STATUS], w[o + R.IP0], w[o + R.PORT], w[o + R.TIME]]); });
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
/** SETUP plus what scan.ts passes for an O: scan: the ports (O:47, O:50) and the IPv6 targets. */
const SETUP_O: ReceiveSetup = {
  ...SETUP,
  ports: [{ begin: 80, end: 80 }, { begin: OPROTO_PORT_BASE + 47, end: OPROTO_PORT_BASE + 47 }, { begin: OPROTO_PORT_BASE + 50, end: OPROTO_PORT_BASE + 50 }],
  targets6: [{ begin: TARGET6_BIG - 5n, end: TARGET6_BIG + 10n }],
};
const CTX_O = classifyContext(SETUP_O);

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
    const v = verdictOf(ipv4Frame(them >>> 0, ME, IpProtocol.ICMP, icmp4(14, 0, sent, new Uint8Array(12))));
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
    // The same without the context's O: list: the quote carries the cookie, so it still counts.
    assert.notEqual(verdictAny(reply, CTX), null);
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
  assert.equal(verdictAny(gre, CTX), null, 'setup without ports: the rule is off');
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
  assert.equal(verdictAny(esp, classifyContext({ ...SETUP_O, targets6: undefined })), null, 'no IPv6 targets given');
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
  records.drain((w, o) => { got.push([w[o + R.STATUS]!, w[o + R.PROTO]!, w[o + R.PORT]!, w[o + R.IP0]!, w[o + R.TIME]!]); });
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

test('the Receiver allocates nothing per frame (SYN-ACK, RST, ICMP unreachable, garbage; no GC over 1e6 frames)', async () => {
  const records = RecordRing.create(1 << 12);
  const frames = FrameRing.create(1 << 20, 1514);
  const r = buildReceiver(SETUP, records, frames, () => 1234, null);
  const open = Array.from({ length: 64 }, (_, k) => `10.0.0.${k}:80`);
  const sim = new SimNet({ tcpOpen: open });
  const replies: Uint8Array[] = [];
  for (let k = 0; k < 256; k++) replies.push(answer(sim, probe4(ip4(`10.0.0.${k}`), k < 128 ? 80 : 443)));
  for (let k = 0; k < 64; k++) replies.push(answer(new SimNet(), probe4(ip4(`10.0.0.${k}`), 0x10000 + 53)));
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
  assert.ok(gcs <= 3, `${gcs} garbage collections over 1e6 frames`);
});
