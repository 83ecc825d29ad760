/** Reference frames for the probe template tests, built field by field with the wire reprs. */
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { type TcpOptions } from '../../src/probes/tcp-syn.js';
import { ECHO_DATA } from '../../src/probes/icmp.js';
import { sctpInitRepr } from '../../src/probes/sctp.js';
import { emitLink, linkHeaderLen, type LinkOptions } from '../../src/probes/frame.js';
import { UdpPayloadTable, writePayloadCookie } from '../../src/probes/udp-payloads.js';
import { EtherType } from '../../src/wire/ethernet.js';
import { IpProtocol } from '../../src/wire/ip.js';
import type { ProbeSet4 } from '../../src/probes/probe-set.js';
import { Target } from '../../src/target/picker.js';
import { gcsDuring } from '../engine/gc-count.js';
import { Ipv4Packet, emitIpv4 } from '../../src/wire/ipv4.js';
import { Ipv6Packet, emitIpv6 } from '../../src/wire/ipv6.js';
import { TcpPacket, emitTcp, tcpBufferLen, type TcpRepr } from '../../src/wire/tcp.js';
import { UdpPacket, emitUdp } from '../../src/wire/udp.js';
import { Icmpv4Packet, emitIcmpv4 } from '../../src/wire/icmpv4.js';
import { Icmpv6Packet, emitIcmpv6 } from '../../src/wire/icmpv6.js';
import { SctpPacket, emitSctp } from '../../src/wire/sctp.js';
import { ArpPacket, emitArp } from '../../src/wire/arp.js';
import { hexDump } from '../../src/wire/bytes.js';

// ---------- reference frames, built field by field with the wire reprs ----------

export function pad(o: LinkOptions, n: number): number {
  return o.raw === true ? n : Math.max(60, n);
}

export function ip6Bytes(w: Uint32Array, off = 0): Uint8Array {
  const b = new Uint8Array(16);
  for (let i = 0; i < 4; i++) {
    const v = w[off + i]!;
    b[4 * i] = v >>> 24; b[4 * i + 1] = v >>> 16; b[4 * i + 2] = v >>> 8; b[4 * i + 3] = v;
  }
  return b;
}

/** IPv4 frame: link, IPv4 header, then `emitL4(buf, l4Off, l4Len)`. */
export function frame4(o: LinkOptions, ttl: number, src: number, dst: number, proto: number, ident: number, l4Len: number,
  emitL4: (b: Uint8Array, off: number) => void): Uint8Array {
  const l2 = linkHeaderLen(o);
  const b = new Uint8Array(pad(o, l2 + 20 + l4Len));
  emitLink(o, EtherType.IPV4, b);
  emitIpv4({ src, dst, protocol: proto, payloadLen: l4Len, ttl, tos: 0, ident, dontFrag: false, moreFrags: false, fragOffset: 0, options: new Uint8Array(0) },
    new Ipv4Packet(b, l2, 20 + l4Len));
  emitL4(b, l2 + 20);
  return b;
}

export function frame6(o: LinkOptions, hop: number, src: Uint8Array, dst: Uint8Array, proto: number, l4Len: number,
  emitL4: (b: Uint8Array, off: number) => void, flowLabel = 0): Uint8Array {
  const l2 = linkHeaderLen(o);
  const b = new Uint8Array(pad(o, l2 + 40 + l4Len));
  emitLink(o, EtherType.IPV6, b);
  emitIpv6({ src, dst, nextHeader: proto, payloadLen: l4Len, hopLimit: hop, trafficClass: 0, flowLabel }, new Ipv6Packet(b, l2, 40 + l4Len));
  emitL4(b, l2 + 40);
  return b;
}

export function tcpRepr(kind: 'syn' | 'rst', sport: number, dport: number, seq: number, tcp: TcpOptions): TcpRepr {
  return {
    srcPort: sport, dstPort: dport, seq, ack: 0, flags: kind === 'rst' ? 0x04 : 0x02,
    window: tcp.window ?? (kind === 'rst' ? 1200 : 1025), urgent: 0,
    options: (tcp.options ?? [{ kind: 'mss', mss: 1460 }]).slice(), payload: new Uint8Array(0),
  };
}

export function expectTcp4(o: LinkOptions, ttl: number, tcp: TcpOptions, src: number, dst: number, dport: number, sport: number, seq: number): Uint8Array {
  const r = tcpRepr(tcp.kind ?? 'syn', sport, dport, seq, tcp);
  const len = tcpBufferLen(r);
  return frame4(o, ttl, src, dst, IpProtocol.TCP, (dst ^ dport ^ seq) & 0xffff, len,
    (b, off) => emitTcp(r, new TcpPacket(b, off, len), { version: 4, src, dst }));
}

export function expectTcp6(o: LinkOptions, hop: number, tcp: TcpOptions, src: Uint8Array, dst: Uint8Array, dport: number, sport: number, seq: number): Uint8Array {
  const r = tcpRepr(tcp.kind ?? 'syn', sport, dport, seq, tcp);
  const len = tcpBufferLen(r);
  return frame6(o, hop, src, dst, IpProtocol.TCP, len, (b, off) => emitTcp(r, new TcpPacket(b, off, len), { version: 6, src, dst }));
}

export function udpPayloadFor(table: UdpPayloadTable, port: number, cookie: number): Uint8Array {
  const p = table.get(port);
  if (p === undefined) return new Uint8Array(0);
  const b = p.bytes.slice();
  writePayloadCookie(p, b, 0, cookie);
  return b;
}

export function expectUdp4(o: LinkOptions, ttl: number, table: UdpPayloadTable, src: number, dst: number, dport: number, sport: number, cookie: number): Uint8Array {
  const payload = udpPayloadFor(table, dport, cookie);
  const len = 8 + payload.length;
  return frame4(o, ttl, src, dst, IpProtocol.UDP, (dst ^ dport ^ cookie) & 0xffff, len,
    (b, off) => emitUdp({ srcPort: sport, dstPort: dport, payload }, new UdpPacket(b, off, len), { version: 4, src, dst }));
}

export function expectUdp6(o: LinkOptions, hop: number, table: UdpPayloadTable, src: Uint8Array, dst: Uint8Array, dport: number, sport: number, cookie: number): Uint8Array {
  const payload = udpPayloadFor(table, dport, cookie);
  const len = 8 + payload.length;
  return frame6(o, hop, src, dst, IpProtocol.UDP, len,
    (b, off) => emitUdp({ srcPort: sport, dstPort: dport, payload }, new UdpPacket(b, off, len), { version: 6, src, dst }));
}

export function expectEcho4(o: LinkOptions, ttl: number, src: number, dst: number, cookie: number): Uint8Array {
  return frame4(o, ttl, src, dst, IpProtocol.ICMP, (dst ^ cookie) & 0xffff, 56,
    (b, off) => emitIcmpv4({ kind: 'echo-request', ident: cookie >>> 16, seq: cookie & 0xffff, data: ECHO_DATA }, new Icmpv4Packet(b, off, 56)));
}

export function expectEcho6(o: LinkOptions, hop: number, src: Uint8Array, dst: Uint8Array, cookie: number): Uint8Array {
  return frame6(o, hop, src, dst, IpProtocol.ICMPV6, 56,
    (b, off) => emitIcmpv6({ kind: 'echo-request', ident: cookie >>> 16, seq: cookie & 0xffff, data: ECHO_DATA }, new Icmpv6Packet(b, off, 56), { version: 6, src, dst }));
}

/** RFC 792 timestamp request: type 13, id:seq = cookie, three zero timestamps; IP id low bits from port 196609. */
export function expectTimestamp4(o: LinkOptions, ttl: number, src: number, dst: number, cookie: number): Uint8Array {
  return frame4(o, ttl, src, dst, IpProtocol.ICMP, (dst ^ 1 ^ cookie) & 0xffff, 20,
    (b, off) => emitIcmpv4({ kind: 'other', type: 13, code: 0, restOfHeader: cookie, data: new Uint8Array(12) }, new Icmpv4Packet(b, off, 20)));
}

/** masscan's IPv6 "timestamp": ICMPv6 type 13, id:seq = cookie, 12 zero bytes, real checksum. */
export function expectTimestamp6(o: LinkOptions, hop: number, src: Uint8Array, dst: Uint8Array, cookie: number): Uint8Array {
  const body = new Uint8Array(16);
  body[0] = cookie >>> 24; body[1] = cookie >>> 16; body[2] = cookie >>> 8; body[3] = cookie;
  return frame6(o, hop, src, dst, IpProtocol.ICMPV6, 20,
    (b, off) => emitIcmpv6({ kind: 'other', type: 13, code: 0, body }, new Icmpv6Packet(b, off, 20), { version: 6, src, dst }));
}

/** Bare IPv4 header, protocol = proto, id = dst ^ proto ^ cookie, then 4 zero bytes for GRE only. */
export function expectOproto4(o: LinkOptions, ttl: number, src: number, dst: number, proto: number, cookie: number): Uint8Array {
  return frame4(o, ttl, src, dst, proto, (dst ^ proto ^ cookie) & 0xffff, proto === 47 ? 4 : 0, () => undefined);
}

/** Bare IPv6 header, next header = proto, flow label = low 20 bits of the cookie, 4 zero bytes for GRE only. */
export function expectOproto6(o: LinkOptions, hop: number, src: Uint8Array, dst: Uint8Array, proto: number, cookie: number): Uint8Array {
  return frame6(o, hop, src, dst, proto, proto === 47 ? 4 : 0, () => undefined, cookie & 0xfffff);
}

export function expectSctp4(o: LinkOptions, ttl: number, src: number, dst: number, dport: number, sport: number, cookie: number): Uint8Array {
  return frame4(o, ttl, src, dst, IpProtocol.SCTP, (dst ^ dport ^ cookie) & 0xffff, 32,
    (b, off) => emitSctp(sctpInitRepr(sport, dport, cookie), new SctpPacket(b, off, 32)));
}

export function expectSctp6(o: LinkOptions, hop: number, src: Uint8Array, dst: Uint8Array, dport: number, sport: number, cookie: number): Uint8Array {
  return frame6(o, hop, src, dst, IpProtocol.SCTP, 32, (b, off) => emitSctp(sctpInitRepr(sport, dport, cookie), new SctpPacket(b, off, 32)));
}

export function expectArp(o: LinkOptions, src: number, dst: number): Uint8Array {
  const bl: LinkOptions = { srcMac: o.srcMac, dstMac: new Uint8Array(6).fill(0xff), vlan: o.vlan };
  const l2 = linkHeaderLen(o);
  const b = new Uint8Array(pad(o, l2 + 28));
  emitLink(bl, EtherType.ARP, b);
  emitArp({ operation: 1, senderMac: o.srcMac, senderIp: src, targetMac: new Uint8Array(6), targetIp: dst }, new ArpPacket(b, l2, 28));
  return b;
}

/** Compare slot[off .. off+len) with `want`, with a hex dump on failure. */
export function same(slot: Uint8Array, off: number, len: number, want: Uint8Array, what: string): void {
  const got = slot.subarray(off, off + len);
  if (len !== want.length || !Buffer.from(got).equals(Buffer.from(want))) {
    assert.fail(`${what}: patched frame differs\n got (${len}):\n${hexDump(got)}\n want (${want.length}):\n${hexDump(want)}`);
  }
}

// ---------- generators ----------

export const u32 = fc.integer({ min: 0, max: 0xffffffff });
export const u16 = fc.integer({ min: 0, max: 0xffff });
export const mac = fc.uint8Array({ minLength: 6, maxLength: 6 });
export const link = fc.record({
  srcMac: mac, dstMac: mac,
  vlan: fc.option(fc.integer({ min: 0, max: 4095 }), { nil: undefined }),
  raw: fc.boolean(),
});
export const ttl = fc.integer({ min: 0, max: 255 });
export const addr6 = fc.tuple(u32, u32, u32, u32).map((w) => Uint32Array.from(w));
export const tcpOpts = fc.record({
  kind: fc.constantFrom<'syn' | 'rst'>('syn', 'rst'),
  window: fc.option(u16, { nil: undefined }),
  options: fc.option(fc.constantFrom<TcpOptions['options']>([], [{ kind: 'mss', mss: 1460 }], [{ kind: 'mss', mss: 1400 }, { kind: 'sack-permitted' }, { kind: 'window-scale', shift: 3 }]), { nil: undefined }),
});
/** Slot offsets: not always aligned, and the slot starts full of garbage. */
export const slotOff = fc.integer({ min: 0, max: 37 });
export const RUNS = { numRuns: 300 };

export function garbageSlot(): Uint8Array {
  return new Uint8Array(2200).fill(0xa5);
}

export const udpPort = fc.oneof(fc.constantFrom(53, 137, 161), u16);

export function me6Words(): Uint32Array {
  return Uint32Array.of(0xfd000250, 0, 0, 1);
}

/**
 * `set.fillTarget` over 2e6 IPv4 targets (198.18.x.x, port `portOf(i)`, 1024 slots of `stride`
 * bytes) once optimised: at most 3 garbage collections, i.e. nothing allocated per probe.
 */
export async function assertFillAllocatesNothing(set: ProbeSet4, stride: number, portOf: (i: number) => number): Promise<void> {
  const buf = new Uint8Array(1024 * stride);
  const tg = new Target();
  const src = { ip: 0xc0000232, port: 40000 };
  let acc = 0;
  const run = (n: number): void => {
    for (let i = 0; i < n; i++) {
      tg.ip4 = (0xc6120000 + (i & 0x1ffff)) >>> 0;
      tg.port = portOf(i);
      acc = (acc + set.fillTarget(buf, (i & 1023) * stride, i & 1023, tg, src)) | 0;
    }
  };
  const gcs = await gcsDuring(run, 300_000, 2_000_000);
  assert.ok(gcs <= 3, `${gcs} garbage collections (acc ${acc})`);
}
