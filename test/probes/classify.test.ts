/**
 * The receive classifier is a pure function of a frame: replies built with the wire reprs
 * (scan-sim.ts) are classified, forged ones refused, and arbitrary bytes never throw.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { classify, classifyContext, classifyFrame, classifyPartial, ranges4Words, ranges6Words } from '../../src/probes/classify.js';
import { inRanges4, inRanges6, Verdict, RecStatus, ICMP_TIMESTAMP_PORT, OPROTO_PORT_BASE } from '../../src/probes/reply.js';
import { oprotoReportable } from '../../src/probes/ip-proto.js';
import { UdpEcho, udpReplyEchoes } from '../../src/probes/udp.js';
import { UdpPacket, emitUdp } from '../../src/wire/udp.js';
import { cookie4, cookie6, ICMP_ECHO_PORT } from '../../src/crypto/cookie.js';
import { Decoded, decodeFrame } from '../../src/wire/decode.js';
import { TcpFlags } from '../../src/wire/tcp.js';
import { SimNet, ip4, tcpReply, icmpUnreachable } from '../engine/scan-sim.js';
import { IpProtocol } from '../../src/wire/ip.js';
import { KEY, ME, SPORT, SETUP, CTX, CTX_WIDE, probe4, probe6, verdictOf, answer, T1, TARGET6, ME6W, SETUP_O, CTX_O, CTX_80, words6Bytes, ipv4Frame, ipv6Frame, icmp4, icmp6Frame, datagram, verdictAny, guarded, NET, STRANGER, UDP, SETUP_80, SETUP_U, CTX_U, udpFrame4, forgedQuote, udpCookie, snmpResponse, forgedReply, SCTP } from './replies.js';

test('SYN-ACK with ack = cookie + 1 is open and asks for a RST; RST-ACK is closed', () => {
  const sim = new SimNet({ tcpOpen: ['10.0.0.5:80'] });
  const v = verdictOf(answer(sim, probe4(ip4('10.0.0.5'), 80)))!;
  assert.equal(v.status, RecStatus.OPEN);
  assert.equal(v.port, 80);
  assert.equal(v.ip[0], ip4('10.0.0.5'));
  assert.equal(v.reason, 0x12);
  assert.equal(v.rst, true);
  assert.equal(v.rstSeq >>> 0, (cookie4(KEY, ip4('10.0.0.5'), 80, ME, SPORT) + 1) >>> 0);
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
  assert.equal(v.rstSeq >>> 0, (cookie6(KEY, dst, 0, me, 0, 443, SPORT) + 1) >>> 0);
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
