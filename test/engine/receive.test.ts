/**
 * The receive classifier is a pure function of a frame: replies built with the wire reprs
 * (scan-sim.ts) are classified, forged ones refused, and arbitrary bytes never throw.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { classify, classifyContext, buildReceiver, inRanges4, Verdict, RecStatus, type ReceiveSetup } from '../../src/engine/receive.js';
import { CookieKey, cookie4, cookie6, ICMP_ECHO_PORT } from '../../src/engine/cookie.js';
import { Decoded, decodeFrame } from '../../src/wire/decode.js';
import { TcpFlags } from '../../src/wire/tcp.js';
import { ProbeSet4, ProbeSet6 } from '../../src/engine/template.js';
import { FrameRing, RecordRing, R } from '../../src/engine/ring.js';
import { SimNet, SCANNER_MAC, ROUTER_MAC, ip4, tcpReply, icmpUnreachable } from './scan-sim.js';

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
