/** The Receiver (engine/receive.ts): the per-frame loop over the probes' classifiers: dedup, records, RSTs, no allocation. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { gcsDuring } from './gc-count.js';
import fc from 'fast-check';
import { receiveDebugLines, buildReceiver } from '../../src/engine/receive.js';
import { RecStatus, ICMP_TIMESTAMP_PORT, OPROTO_PORT_BASE } from '../../src/probes/reply.js';
import { cookie4, ICMP_ECHO_PORT } from '../../src/crypto/cookie.js';
import { Decoded, decodeFrame } from '../../src/wire/decode.js';
import { TcpFlags, TcpOptionKind, findTcpOption } from '../../src/wire/tcp.js';
import { tcpOptionsFor } from '../../src/probes/tcp-syn.js';
import { FrameRing, RecordRing, RecordWord } from '../../src/engine/ring.js';
import { SimNet, ROUTER_MAC, SCANNER_MAC, ip4, tcpReply } from './scan-sim.js';
import { ProbeSet4 } from '../../src/probes/probe-set.js';
import { EtherType, EthernetFrame, emitEthernet } from '../../src/wire/ethernet.js';
import { IpProtocol } from '../../src/wire/ip.js';
import { setU32 } from '../../src/wire/bytes.js';
import { KEY, ME, SPORT, SETUP, probe4, answer, T1, SETUP_O, ipv4Frame, icmp4, datagram } from '../probes/replies.js';

/**
 * Garbage collections while `r` handles the replies round-robin, 1e6 frames after 3e5 of
 * warm-up, the record and frame rings drained every 256 frames.
 */
async function gcsOverFrames(r: ReturnType<typeof buildReceiver>, records: RecordRing, frames: FrameRing, replies: readonly Uint8Array[]): Promise<number> {
  const out = new Uint8Array(2048);
  const run = (n: number): void => {
    for (let i = 0; i < n; i++) {
      const f = replies[i % replies.length]!;
      r.handle(f, 0, f.length, 0, 0);
      if ((i & 255) === 255) {
        r.flush();
        records.drain(() => { /* discard */ }, 1 << 12);
        while (frames.pop(out, 0) >= 0) { /* discard */ }
      }
    }
  };
  return gcsDuring(run, 300_000, 1_000_000);
}

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

test('the RST carries the SYN template\'s options (masscan builds it from the same template): MSS alone by default', () => {
  const rstOf = (tcpOptions: ReturnType<typeof tcpOptionsFor> | undefined): { d: Decoded; out: Uint8Array } => {
    const frames = FrameRing.create(1 << 16, 1514);
    const r = buildReceiver({ ...SETUP, tcpOptions }, RecordRing.create(64), frames, () => 1234, null);
    const reply = answer(new SimNet({ tcpOpen: ['10.0.0.5:80'] }), probe4(ip4('10.0.0.5'), 80));
    r.handle(reply, 0, reply.length, 0, 0);
    r.flush();
    const out = new Uint8Array(2048);
    const n = frames.pop(out, 0);
    const d = new Decoded();
    assert.equal(decodeFrame(out, 0, n, d), 'ok');
    assert.equal(d.tcpFlags, TcpFlags.RST);
    assert.equal(d.payloadLen, 0, 'no data in the RST (--data-length is for SYNs)');
    return { d, out };
  };
  const opt = (x: { d: Decoded; out: Uint8Array }, kind: number): number =>
    findTcpOption(x.out, x.d.transportOff + 20, x.d.tcpHeaderLen - 20, kind);
  const plain = rstOf(undefined);
  assert.equal(plain.d.tcpHeaderLen, 24, 'default: MSS 1460 only');
  const mss0 = opt(plain, TcpOptionKind.MSS);
  assert.ok(mss0 >= 0, 'an MSS option');
  assert.equal((plain.out[mss0 + 2]! << 8) | plain.out[mss0 + 3]!, 1460);
  assert.equal(opt(plain, TcpOptionKind.WINDOW_SCALE), -1);
  const all = rstOf(tcpOptionsFor('1200', '7', 'enable', 'enable'));
  assert.equal(all.d.tcpHeaderLen, 20 + 4 + 4 + 4 + 12, 'MSS, NOP WS, NOP NOP SACKOK, NOP NOP TS');
  const mss = opt(all, TcpOptionKind.MSS);
  assert.equal((all.out[mss + 2]! << 8) | all.out[mss + 3]!, 1200);
  assert.equal(all.out[opt(all, TcpOptionKind.WINDOW_SCALE) + 2], 7);
  assert.ok(opt(all, TcpOptionKind.SACK_PERMITTED) >= 0);
  assert.ok(opt(all, TcpOptionKind.TIMESTAMP) >= 0);
  assert.equal(all.d.tcpWindow, 1200);
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
  const gcs = await gcsOverFrames(r, records, frames, replies);
  assert.ok(r.counters.valid > 0 && r.counters.rstQueued > 0);
  assert.equal(r.counters.records, 256 + 64 + 64, 'every TCP reply, UDP unreachable and UDP answer once (the UDP answers pass their cookie check)');
  assert.ok(gcs <= 3, `${gcs} garbage collections over 1e6 frames`);
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

test('the Receiver allocates nothing per frame with addresses above 2^31 (198.18.x.x: SYN-ACK and its RST, RST, UDP answers and unreachables, ICMP echo)', async () => {
  const me = ip4('198.18.255.1');
  const setup = { ...SETUP, src4: { begin: me, end: me }, targets4: [{ begin: ip4('198.18.0.0'), end: ip4('198.18.0.255') }] };
  const records = RecordRing.create(1 << 12);
  const frames = FrameRing.create(1 << 20, 1514);
  const r = buildReceiver(setup, records, frames, () => 1234, null);
  const set = new ProbeSet4({ srcMac: SCANNER_MAC, dstMac: ROUTER_MAC, srcIp: me }, KEY, 1);
  const sim = new SimNet({ tcpOpen: Array.from({ length: 128 }, (_, k) => `198.18.0.${k}:80`) });
  const replies: Uint8Array[] = [];
  const pb = new Uint8Array(1600);
  for (let k = 0; k < 256; k++) {
    const n = set.fill(pb, 0, 0, me, ip4(`198.18.0.${k}`), 80, SPORT);
    replies.push(answer(sim, pb.slice(0, n)));
  }
  const probe = (dst: string, port: number): Uint8Array => pb.slice(0, set.fill(pb, 0, 0, me, ip4(dst), port, SPORT));
  // UDP: port unreachable quoting our probe (64), DNS and SNMP answers with their cookies (2 x 32); ICMP echo replies (32)
  for (let k = 0; k < 64; k++) replies.push(answer(new SimNet(), probe(`198.18.0.${k}`, 0x10000 + 53)));
  for (let k = 0; k < 32; k++) {
    for (const port of [53, 161]) replies.push(answer(new SimNet({ udpOpen: [`198.18.0.${k}:${port}`] }), probe(`198.18.0.${k}`, 0x10000 + port)));
    replies.push(answer(new SimNet({ ping: [`198.18.0.${k}`] }), probe(`198.18.0.${k}`, ICMP_ECHO_PORT)));
  }
  const gcs = await gcsOverFrames(r, records, frames, replies);
  assert.equal(r.counters.records, 256 + 64 + 64 + 32, 'once each: 128 TCP open, 128 closed, 64 UDP closed, 64 UDP open, 32 echo replies');
  // one RST per SYN-ACK handled: 128 of each pass over the replies, 1.3 M frames in all
  assert.ok(r.counters.rstQueued >= Math.floor(1_300_000 / replies.length) * 128, `RSTs queued: ${r.counters.rstQueued}`);
  assert.ok(gcs <= 3, `${gcs} garbage collections over 1e6 frames`);
});
