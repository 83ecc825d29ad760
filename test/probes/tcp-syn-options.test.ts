/**
 * The packet-template options (--tcp-mss, --tcp-wscale, --tcp-tsecho, --tcp-sackok,
 * --min-packet, --data-length, --badsum; reference masscan-compat.md §1.7, §6.2): each frame
 * equals the frame built field by field with the wire reprs, the default is masscan HEAD's
 * bytes, and replies to data-carrying probes still pass the cookie check.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { assertFillAllocatesNothing } from './frames.js';
import { TcpTemplate4, TcpTemplate6, DEFAULT_TEMPLATE, synPayload, tcpOptionsFor, templateSetup, type TcpOptions } from '../../src/probes/tcp-syn.js';
import { UdpTemplate4 } from '../../src/probes/udp.js';
import { ProbeSet4 } from '../../src/probes/probe-set.js';
import { emitLink, linkHeaderLen, type LinkOptions } from '../../src/probes/frame.js';
import { CookieKey, cookie4 } from '../../src/crypto/cookie.js';
import { UdpPayloadTable } from '../../src/probes/udp-payloads.js';
import { classify, classifyContext } from '../../src/probes/classify.js';
import { Verdict, RecStatus } from '../../src/probes/reply.js';
import { type ReceiveSetup } from '../../src/engine/receive.js';
import { EtherType } from '../../src/wire/ethernet.js';
import { IpProtocol } from '../../src/wire/ip.js';
import { Ipv4Packet, emitIpv4, parseIpv4 } from '../../src/wire/ipv4.js';
import { TcpFlags, TcpPacket, emitTcp, parseTcp, tcpBufferLen, type TcpRepr } from '../../src/wire/tcp.js';
import { UdpPacket, parseUdp } from '../../src/wire/udp.js';
import { Decoded, decodeFrame } from '../../src/wire/decode.js';
import { SCANNER_MAC, ROUTER_MAC, tcpReply } from '../engine/scan-sim.js';
import { rawOptionFields } from '../../src/cli/typed-options.js';

/** The template of options kept as the CLI keeps them (raw), through the CLI's typed fields. */
const templateOf = (raw: ReadonlyMap<string, readonly string[]>): ReturnType<typeof templateSetup> => templateSetup(rawOptionFields(raw).template);

const mac = (s: string): Uint8Array => Uint8Array.from(s.split(':').map((h) => parseInt(h, 16)));
const US = mac('02:00:00:00:00:01'), ROUTER = mac('66:55:44:33:22:11');
const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const raw = (o: Record<string, string>): Map<string, string[]> => new Map(Object.entries(o).map(([k, v]) => [k, [v]]));

/** The frame the reprs build: link, IPv4 (id rule of §6.2), TCP with options and payload, padding. */
function expected4(o: LinkOptions, minFrame: number, tcp: TcpOptions, src: number, dst: number, dport: number, sport: number, seq: number): Uint8Array {
  const r: TcpRepr = {
    srcPort: sport, dstPort: dport, seq, ack: 0, flags: TcpFlags.SYN, window: 1025, urgent: 0,
    options: (tcp.options ?? [{ kind: 'mss', mss: 1460 }]).slice(), payload: tcp.payload ?? new Uint8Array(0),
  };
  const len = tcpBufferLen(r);
  const l2 = linkHeaderLen(o);
  const b = new Uint8Array(o.raw === true ? l2 + 20 + len : Math.max(60, minFrame, l2 + 20 + len));
  emitLink(o, EtherType.IPV4, b);
  emitIpv4({ src, dst, protocol: IpProtocol.TCP, payloadLen: len, ttl: 255, tos: 0, ident: (dst ^ dport ^ seq) & 0xffff,
    dontFrag: false, moreFrags: false, fragOffset: 0, options: new Uint8Array(0) }, new Ipv4Packet(b, l2, 20 + len));
  emitTcp(r, new TcpPacket(b, l2 + 20, len), { version: 4, src, dst });
  return b;
}

test('no template option: the SYN is masscan HEAD\'s §6.2 frame (seed 1), MSS 1460 only', () => {
  const tp = templateOf(new Map());
  assert.deepEqual(tp, { ...DEFAULT_TEMPLATE, tcpOptions: [{ kind: 'mss', mss: 1460 }] });
  const t = new TcpTemplate4({ srcMac: US, dstMac: ROUTER, srcIp: 0xc0000232, minFrame: tp.minFrame },
    { options: tp.tcpOptions, payload: synPayload(1n, tp.dataLength), badsum: tp.badsum });
  const slot = new Uint8Array(64);
  t.writeBase(slot, 0);
  const seq = cookie4(new CookieKey(1n), 0x0a000001, 80, 0xc0000232, 40000);
  assert.equal(t.patch(slot, 0, 0xc0000232, 0x0a000001, 80, 40000, seq), 60);
  assert.equal(hex(slot.subarray(0, 60)),
    '665544332211020000000001' + '0800' + '4500002cdd5c0000ff06123cc00002320a000001' +
    '9c40005009eedd0d0000000060020401446600000' + '20405b4' + '0000');
});

test('TCP option bytes: --tcp-mss N / false, --tcp-wscale, --tcp-sackok, --tcp-tsecho (defaults of §1.7)', () => {
  const bytes = (mss?: string, ws?: string, sack?: string, ts?: string): string => {
    const t = new TcpTemplate4({ srcMac: US, dstMac: ROUTER, srcIp: 1 }, { options: tcpOptionsFor(mss, ws, sack, ts) });
    const hl = (t.base[14 + 20 + 12]! >>> 4) * 4;
    return hex(t.base.subarray(14 + 20 + 20, 14 + 20 + hl));
  };
  assert.equal(bytes(), '020405b4');
  assert.equal(bytes('enable'), '020405b4');
  assert.equal(bytes('1200'), '020404b0');
  assert.equal(bytes('disable'), ''); // masscan 1.3.2's option-less header (data offset 5)
  assert.equal(bytes(undefined, 'enable'), '020405b4' + '01030303');
  assert.equal(bytes(undefined, '7'), '020405b4' + '01030307');
  assert.equal(bytes(undefined, undefined, 'enable'), '020405b4' + '01010402');
  assert.equal(bytes(undefined, undefined, 'disable'), '020405b4');
  assert.equal(bytes(undefined, undefined, undefined, 'enable'), '020405b4' + '0101080a' + '12345678' + '00000000');
  assert.equal(bytes(undefined, undefined, undefined, '200'), '020405b4' + '0101080a' + '000000c8' + '00000000');
  assert.equal(bytes('disable', '2', 'enable', 'enable'), '01030302' + '01010402' + '0101080a1234567800000000');
  assert.equal(bytes('1400', '14', 'enable', '4294967295'), '02040578' + '0103030e' + '01010402' + '0101080affffffff00000000');
  // The options come from the configuration's raw keys, the last value winning.
  assert.deepEqual(templateOf(new Map([['tcp-wscale', ['9', 'disable']], ['tcp-mss', ['536']]])).tcpOptions, [{ kind: 'mss', mss: 536 }]);
  assert.deepEqual(templateOf(raw({ 'data-length': '20', 'min-packet': '100', badsum: 'true' })),
    { tcpOptions: [{ kind: 'mss', mss: 1460 }], dataLength: 20, minFrame: 100, badsum: true });
  assert.equal(templateOf(raw({ 'min-packet': '40' })).minFrame, 60);
});

test('property: SYNs with any template options equal the repr-built frames and verify', () => {
  const optArb = fc.record({
    mss: fc.option(fc.oneof(fc.constantFrom('enable', 'disable'), fc.integer({ min: 0, max: 65535 }).map(String)), { nil: undefined }),
    ws: fc.option(fc.oneof(fc.constantFrom('enable', 'disable'), fc.integer({ min: 0, max: 254 }).map(String)), { nil: undefined }),
    sack: fc.option(fc.constantFrom('enable', 'disable'), { nil: undefined }),
    ts: fc.option(fc.oneof(fc.constantFrom('enable', 'disable'), fc.nat(0xffffffff).map(String)), { nil: undefined }),
  });
  const u32 = fc.nat(0xffffffff);
  fc.assert(fc.property(optArb, fc.integer({ min: 0, max: 1459 }), fc.integer({ min: 0, max: 1514 }), fc.boolean(), fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }),
    u32, u32, fc.integer({ min: 0, max: 65535 }), fc.integer({ min: 0, max: 65535 }), u32, fc.integer({ min: 0, max: 100 }),
    (o, dataLen, minFrame, vlan, seed, src, dst, dport, sport, seq, off) => {
      const link: LinkOptions = { srcMac: US, dstMac: ROUTER, vlan: vlan ? 5 : undefined, minFrame };
      const tcp: TcpOptions = { options: tcpOptionsFor(o.mss, o.ws, o.sack, o.ts), payload: synPayload(seed, dataLen) };
      const t = new TcpTemplate4({ ...link, srcIp: 0 }, tcp);
      const slot = new Uint8Array(1700).fill(0xa5);
      t.writeBase(slot, off);
      const n = t.patch(slot, off, src, dst, dport, sport, seq);
      const want = expected4(link, minFrame, tcp, src, dst, dport, sport, seq);
      assert.equal(n, want.length);
      assert.equal(hex(slot.subarray(off, off + n)), hex(want));
      const l3 = off + linkHeaderLen(link);
      const tcpLen = ((slot[l3 + 2]! << 8) | slot[l3 + 3]!) - 20; // from the IP total length: padding excluded
      const seg = parseTcp(new TcpPacket(slot, l3 + 20, tcpLen), { version: 4, src, dst });
      assert.equal(typeof seg, 'object', 'checksum verifies');
      assert.equal(hex((seg as TcpRepr).payload), hex(tcp.payload!));
    }), { numRuns: 300 });
});

test('--data-length: bytes from the seed, the same for a seed, different between seeds', () => {
  assert.deepEqual(synPayload(7n, 20), synPayload(7n, 20));
  assert.notDeepEqual(synPayload(7n, 20), synPayload(8n, 20));
  assert.equal(synPayload(7n, 0).length, 0);
  // Not all zero, and not one repeated byte.
  const p = synPayload(1n, 64);
  assert.ok(new Set(p).size > 16);
  const t = new TcpTemplate4({ srcMac: US, dstMac: ROUTER, srcIp: 1 }, { payload: p });
  assert.equal(t.frameLen, 14 + 20 + 24 + 64);
  assert.equal(hex(t.base.subarray(58)), hex(p));
});

test('--min-packet pads every probe kind with zeros; raw-IP links are not padded', () => {
  const set = new ProbeSet4({ srcMac: US, dstMac: ROUTER, srcIp: 0x0a000001, minFrame: 128 }, new CookieKey(3n), 4);
  const buf = new Uint8Array(4 * 256).fill(0xee);
  for (const [k, port] of [[0, 80], [1, 65536 + 9], [2, 196608], [3, 131072 + 1]] as const) {
    const n = set.fill(buf, k * 256, k, 0x0a000001, 0x0a000002, port, 40000);
    assert.equal(n, 128, `port ${port}`);
    const ipLen = (buf[k * 256 + 16]! << 8) | buf[k * 256 + 17]!;
    assert.ok(buf.subarray(k * 256 + 14 + ipLen, k * 256 + 128).every((x) => x === 0), `padding of ${port}`);
  }
  assert.equal(new TcpTemplate4({ srcMac: US, dstMac: ROUTER, srcIp: 1, minFrame: 30 }).frameLen, 60);
  assert.equal(new TcpTemplate4({ srcMac: US, dstMac: ROUTER, srcIp: 1, minFrame: 200 }, { payload: new Uint8Array(300) }).frameLen, 14 + 20 + 24 + 300);
  assert.equal(new TcpTemplate4({ srcMac: new Uint8Array(0), dstMac: new Uint8Array(0), srcIp: 1, raw: true, minFrame: 200 }).frameLen, 44);
  assert.equal(new TcpTemplate6({ srcMac: US, dstMac: ROUTER, srcIp: new Uint8Array(16), minFrame: 150 }).frameLen, 150);
});

test('--badsum: the TCP and UDP checksums are wrong (never the right value nor its other zero); the IP header checksum is right', () => {
  fc.assert(fc.property(fc.nat(0xffffffff), fc.nat(0xffffffff), fc.integer({ min: 0, max: 65535 }), fc.nat(0xffffffff), (src, dst, port, seq) => {
    const good = new TcpTemplate4({ srcMac: US, dstMac: ROUTER, srcIp: 0 });
    const bad = new TcpTemplate4({ srcMac: US, dstMac: ROUTER, srcIp: 0 }, { badsum: true });
    const a = new Uint8Array(64), b = new Uint8Array(64);
    good.writeBase(a, 0); bad.writeBase(b, 0);
    good.patch(a, 0, src, dst, port, 40000, seq); bad.patch(b, 0, src, dst, port, 40000, seq);
    const ck = (x: Uint8Array): number => (x[50]! << 8) | x[51]!;
    assert.equal(ck(b), ck(a) ^ 1);
    assert.deepEqual(a.subarray(0, 50), b.subarray(0, 50));
    assert.equal(typeof parseIpv4(new Ipv4Packet(b, 14, 44)), 'object');
    assert.notEqual(typeof parseTcp(new TcpPacket(b, 34, 24), { version: 4, src, dst }), 'object');
  }), { numRuns: 300 });
  // UDP: probes on random ports (the built-in payloads where there are some); a result of 0 ("no checksum") is never sent.
  const table = new UdpPayloadTable();
  const good = new UdpTemplate4({ srcMac: US, dstMac: ROUTER, srcIp: 0 }, table);
  const bad = new UdpTemplate4({ srcMac: US, dstMac: ROUTER, srcIp: 0 }, table, true);
  fc.assert(fc.property(fc.nat(0xffffffff), fc.nat(0xffffffff), fc.integer({ min: 1, max: 65535 }), (src, dst, port) => {
    const a = new Uint8Array(1600), b = new Uint8Array(1600);
    good.patch(a, 0, src, dst, port, 40000, 0); bad.patch(b, 0, src, dst, port, 40000, 0);
    const ck = (x: Uint8Array): number => (x[40]! << 8) | x[41]!;
    assert.notEqual(ck(b), 0);
    assert.notEqual(ck(b), ck(a));
    const udpLen = ((a[16]! << 8) | a[17]!) - 20; // built-in payloads on some ports
    assert.equal(typeof parseUdp(new UdpPacket(a, 34, udpLen), { version: 4, src, dst }), 'object');
    assert.notEqual(typeof parseUdp(new UdpPacket(b, 34, udpLen), { version: 4, src, dst }), 'object');
  }), { numRuns: 300 });
});

test('the cookie check takes --data-length: a reply acks cookie + 1 + data length, or cookie + 1', () => {
  const ME = 0x0afa0001, T = 0x0a000005;
  const setup: ReceiveSetup = {
    seed: 42n, src4: { begin: ME, end: ME }, src6: undefined, srcPort: { begin: 40000, end: 40000 },
    srcMac: SCANNER_MAC, routerMac4: ROUTER_MAC, routerMac6: new Uint8Array(6), vlan: undefined, ttl: 255,
    answer4: false, answer6: false, noreset: false, arpscan: false, targets4: [{ begin: T, end: T }],
    targets6: [], ports: [{ begin: 80, end: 80 }], dataLength: 20,
  };
  const key = new CookieKey(42n);
  const set = new ProbeSet4({ srcMac: SCANNER_MAC, dstMac: ROUTER_MAC, srcIp: ME, tcp: { payload: synPayload(42n, 20) } }, key, 1);
  const probe = new Uint8Array(200);
  const n = set.fill(probe, 0, 0, ME, T, 80, 40000);
  const d = new Decoded();
  assert.equal(decodeFrame(probe, 0, n, d), 'ok');
  const ck = cookie4(key, T, 80, ME, 40000);
  const verdict = (ctxLen: number, ack: number, flags = TcpFlags.SYN | TcpFlags.ACK): Verdict | null => {
    const ctx = classifyContext({ ...setup, dataLength: ctxLen });
    const reply = tcpReply(d, flags, 9, ack >>> 0);
    const rd = new Decoded();
    assert.equal(decodeFrame(reply, 0, reply.length, rd), 'ok');
    const v = new Verdict();
    return classify(reply, rd, ctx, key, v) === 0 ? null : v;
  };
  const open = verdict(20, ck + 21)!;
  assert.equal(open.status, RecStatus.OPEN);
  assert.equal(open.rstSeq >>> 0, (ck + 21) >>> 0); // int32 bits (Verdict.rstSeq)
  assert.equal(verdict(20, ck + 21, TcpFlags.RST | TcpFlags.ACK)!.status, RecStatus.CLOSED);
  // A listener that queues the SYN's data acks only the SYN (Linux without Fast Open).
  assert.equal(verdict(20, ck + 1)!.status, RecStatus.OPEN);
  for (const wrong of [ck, ck + 2, ck + 20, ck + 22, ck + 21 + 65536]) assert.equal(verdict(20, wrong), null, `ack ${wrong}`);
  assert.equal(verdict(0, ck + 21), null);
  assert.equal(verdict(0, ck + 1)!.status, RecStatus.OPEN);
});

test('ProbeSet4.fillTarget with every template option allocates nothing (no GC over 2e6 probes once optimised)', async () => {
  const tp = templateOf(raw({ 'tcp-wscale': 'enable', 'tcp-sackok': 'enable', 'tcp-tsecho': 'enable', 'data-length': '32', 'min-packet': '128', badsum: 'true' }));
  const set = new ProbeSet4({ srcMac: US, dstMac: ROUTER, srcIp: 0xc0000232, minFrame: tp.minFrame, badsum: tp.badsum,
    tcp: { options: tp.tcpOptions, payload: synPayload(9n, tp.dataLength), badsum: tp.badsum } }, new CookieKey(9n), 1024);
  await assertFillAllocatesNothing(set, 160, (i) => ((i & 1) === 0 ? i & 1023 : 65536 + (i & 1023)));
});

// IPv6 keeps the same options (one shared TcpOptions): the frame grows by the options and data.
test('TcpTemplate6 carries the same options and data', () => {
  const opts = tcpOptionsFor(undefined, 'enable', 'enable', 'enable');
  const t = new TcpTemplate6({ srcMac: US, dstMac: ROUTER, srcIp: new Uint8Array(16) }, { options: opts, payload: new Uint8Array(5).fill(7) });
  assert.equal(t.frameLen, 14 + 40 + 20 + 24 + 5);
  assert.equal(hex(t.base.subarray(14 + 40 + 20, 14 + 40 + 44)), '020405b4' + '01030303' + '01010402' + '0101080a1234567800000000');
});
