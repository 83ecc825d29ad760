/** Shared scan set-up, probe builders and frame makers of the reply-classifier and receiver tests. */
import assert from 'node:assert/strict';
import { classify, classifyContext, classifyFrame } from '../../src/probes/classify.js';
import { type ReceiveSetup } from '../../src/engine/receive.js';
import { Verdict, ICMP_TIMESTAMP_PORT, OPROTO_PORT_BASE } from '../../src/probes/reply.js';
import { UdpPacket, emitUdp } from '../../src/wire/udp.js';
import { CookieKey, cookie4, ICMP_ECHO_PORT } from '../../src/crypto/cookie.js';
import { Decoded, decodeFrame } from '../../src/wire/decode.js';
import { TcpFlags } from '../../src/wire/tcp.js';
import { ProbeSet4, ProbeSet6 } from '../../src/probes/probe-set.js';
import { SimNet, SCANNER_MAC, ROUTER_MAC, ip4, tcpReply } from '../engine/scan-sim.js';
import { EtherType, EthernetFrame, emitEthernet } from '../../src/wire/ethernet.js';
import { Ipv4Packet, emitIpv4 } from '../../src/wire/ipv4.js';
import { Ipv6Packet, emitIpv6 } from '../../src/wire/ipv6.js';
import { Icmpv4Packet, emitIcmpv4 } from '../../src/wire/icmpv4.js';
import { Icmpv6Packet, emitIcmpv6 } from '../../src/wire/icmpv6.js';
import { IpProtocol } from '../../src/wire/ip.js';
import { setU32 } from '../../src/wire/bytes.js';
export const SEED = 42n;
export const KEY = new CookieKey(SEED);
export const ME = ip4('10.250.0.1');
export const ME6 = 0xfd000250000000000000000000000001n;
export const SPORT = 40000;

/** Every port of every kind (TCP, UDP, SCTP, I:0, I:1, ARP, O:0-255), in the internal encoding. */
export const ALL_PORTS = [{ begin: 0, end: OPROTO_PORT_BASE + 255 }];
export const NET6 = 0x20010db8n << 96n;
/** A scan of 10.0.0.0/24 and 2001:db8::/32 on every port: the tests of cookies and shapes. */
export const SETUP: ReceiveSetup = {
  seed: SEED, src4: { begin: ME, end: ME }, src6: ME6, srcPort: { begin: SPORT, end: SPORT },
  srcMac: SCANNER_MAC, routerMac4: ROUTER_MAC, routerMac6: ROUTER_MAC, vlan: undefined, ttl: 255,
  answer4: false, answer6: false, noreset: false, arpscan: false, targets4: [{ begin: ip4('10.0.0.0'), end: ip4('10.0.0.255') }],
  targets6: [{ begin: NET6, end: NET6 + (1n << 96n) - 1n }], ports: ALL_PORTS,
};
export const CTX = classifyContext(SETUP);
/** The same over every IPv4 address: for properties over random addresses. */
export const CTX_WIDE = classifyContext({ ...SETUP, targets4: [{ begin: 0, end: 0xffffffff }] });

export function me6bytes(): Uint8Array {
  const b = new Uint8Array(16);
  for (let k = 0; k < 16; k++) b[k] = Number((ME6 >> BigInt(8 * (15 - k))) & 0xffn);
  return b;
}

/** A probe frame exactly as the transmit side builds it. */
export function probe4(dst: number, port: number): Uint8Array {
  const set = new ProbeSet4({ srcMac: SCANNER_MAC, dstMac: ROUTER_MAC, srcIp: ME }, KEY, 1);
  const buf = new Uint8Array(1600);
  const n = set.fill(buf, 0, 0, ME, dst, port, SPORT);
  return buf.slice(0, n);
}

export function probe6(dst: Uint32Array, port: number): Uint8Array {
  const set = new ProbeSet6({ srcMac: SCANNER_MAC, dstMac: ROUTER_MAC, srcIp: me6bytes() }, KEY, 1);
  const buf = new Uint8Array(1600);
  const n = set.fill(buf, 0, 0, dst, 0, port, SPORT);
  return buf.slice(0, n);
}

/** Classify a frame; returns the verdict (a fresh one) or null for "nothing". */
export function verdictOf(frame: Uint8Array, ctx = CTX): Verdict | null {
  const d = new Decoded();
  if (decodeFrame(frame, 0, frame.length, d) !== 'ok') return null;
  const v = new Verdict();
  return classify(frame, d, ctx, KEY, v) === 0 ? null : v;
}

export function answer(sim: SimNet, probe: Uint8Array): Uint8Array {
  const r = sim.respond(probe);
  assert.equal(r.length, 1);
  return r[0];
}

// ---------------------------------------------------------------------------------------
// ICMP timestamp replies and other IP protocols (O:n). Replies built with the wire reprs.
// ---------------------------------------------------------------------------------------

export const T1 = ip4('10.0.0.5');
export const TARGET6 = Uint32Array.of(0x20010db8, 0, 0, 5);
export const TARGET6_BIG = 0x20010db8000000000000000000000005n;
export const ME6W = Uint32Array.of(0xfd000250, 0, 0, 1);
/** An O: scan: port 80, I:1, O:4, O:41, O:47, O:50, O:253, and a few IPv6 targets. */
export const SETUP_O: ReceiveSetup = {
  ...SETUP,
  ports: [{ begin: 80, end: 80 }, { begin: ICMP_TIMESTAMP_PORT, end: ICMP_TIMESTAMP_PORT },
    ...[4, 41, 47, 50, 253].map((n) => ({ begin: OPROTO_PORT_BASE + n, end: OPROTO_PORT_BASE + n }))],
  targets6: [{ begin: TARGET6_BIG - 5n, end: TARGET6_BIG + 10n }],
};
export const CTX_O = classifyContext(SETUP_O);
/** The same targets, port 80 only. */
export const CTX_80 = classifyContext({ ...SETUP_O, ports: [{ begin: 80, end: 80 }] });

export function words6Bytes(w: Uint32Array): Uint8Array {
  const b = new Uint8Array(16);
  for (let i = 0; i < 4; i++) setU32(b, 4 * i, w[i]!);
  return b;
}

/** Ethernet + IPv4 (src -> dst, protocol) + payload. */
export function ipv4Frame(src: number, dst: number, proto: number, payload: Uint8Array, ttl = 57): Uint8Array {
  const out = new Uint8Array(14 + 20 + payload.length);
  emitEthernet({ dst: SCANNER_MAC, src: ROUTER_MAC, etherType: EtherType.IPV4, vlanTci: undefined }, new EthernetFrame(out, 0, out.length));
  emitIpv4({ src, dst, protocol: proto, payloadLen: payload.length, ttl, tos: 0, ident: 77, dontFrag: false, moreFrags: false,
    fragOffset: 0, options: new Uint8Array(0) }, new Ipv4Packet(out, 14, 20 + payload.length));
  out.set(payload, 34);
  return out;
}

/** Ethernet + IPv6 (src -> dst, next header) + payload. */
export function ipv6Frame(src: Uint32Array, dst: Uint32Array, next: number, payload: Uint8Array): Uint8Array {
  const out = new Uint8Array(14 + 40 + payload.length);
  emitEthernet({ dst: SCANNER_MAC, src: ROUTER_MAC, etherType: EtherType.IPV6, vlanTci: undefined }, new EthernetFrame(out, 0, out.length));
  emitIpv6({ src: words6Bytes(src), dst: words6Bytes(dst), nextHeader: next, payloadLen: payload.length, hopLimit: 64, trafficClass: 0, flowLabel: 0 },
    new Ipv6Packet(out, 14, 40 + payload.length));
  out.set(payload, 54);
  return out;
}

/** An ICMPv4 message (type, code, rest of header, data) with its checksum. */
export function icmp4(type: number, code: number, rest: number, data: Uint8Array): Uint8Array {
  const b = new Uint8Array(8 + data.length);
  emitIcmpv4({ kind: 'other', type, code, restOfHeader: rest, data }, new Icmpv4Packet(b, 0, b.length));
  return b;
}

/** An ICMPv6 message from `src` to us, its checksum over the pseudo-header. */
export function icmp6Frame(src: Uint32Array, type: number, code: number, rest: number, data: Uint8Array): Uint8Array {
  const body = new Uint8Array(4 + data.length);
  setU32(body, 0, rest);
  body.set(data, 4);
  const msg = new Uint8Array(4 + body.length);
  emitIcmpv6({ kind: 'other', type, code, body }, new Icmpv6Packet(msg, 0, msg.length), { version: 6, src: words6Bytes(src), dst: words6Bytes(ME6W) });
  return ipv6Frame(src, ME6W, IpProtocol.ICMPV6, msg);
}

/** The IP datagram of a probe frame (what a host quotes: all of it, as Linux does for short probes). */
export function datagram(frame: Uint8Array): Uint8Array {
  const d = new Decoded();
  decodeFrame(frame, 0, frame.length, d);
  return frame.slice(d.ipOff, d.ipEnd);
}

/** classifyFrame over the decoder's result, whatever it is; a fresh Verdict or null. */
export function verdictAny(frame: Uint8Array, ctx = CTX_O): Verdict | null {
  const d = new Decoded();
  const r = decodeFrame(frame, 0, frame.length, d);
  const v = new Verdict();
  return classifyFrame(frame, r, d, ctx, KEY, v) === 0 ? null : v;
}

/** `buf` wrapped so that any index read outside [lo, hi) throws (reads past the frame). */
export function guarded(buf: Uint8Array, lo: number, hi: number): Uint8Array {
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

// ---------------------------------------------------------------------------------------
// Only replies to this scan: from a target of the plan, carrying the probe's cookie where it
// has one that the reply echoes. masscan reports any datagram to its port.
// ---------------------------------------------------------------------------------------

export const NET = ip4('198.18.0.0');
export const STRANGER = ip4('203.0.113.9');
export const UDP = 0x10000, SCTP = 0x20000;
/** `198.18.0.0/24 -p80`: the scan of the hostile probe that found both defects. */
export const SETUP_80: ReceiveSetup = { ...SETUP, targets4: [{ begin: NET, end: NET + 255 }], targets6: [], ports: [{ begin: 80, end: 80 }] };
/** The same hosts, with TCP 80, UDP 7 (echo: no cookie), 53 (DNS id), 161 (SNMP), 1701 (L2TP), SCTP 9999, I:0. */
export const PLAN_U = [80, UDP + 7, UDP + 53, UDP + 161, UDP + 1701, SCTP + 9999, ICMP_ECHO_PORT];
export const SETUP_U: ReceiveSetup = { ...SETUP_80, targets6: [{ begin: NET6, end: NET6 + 255n }], ports: PLAN_U.map((p) => ({ begin: p, end: p })) };
export const CTX_U = classifyContext(SETUP_U);

/** A UDP datagram src:sport -> dst:dport over IPv4, checksummed. */
export function udpFrame4(src: number, sport: number, dst: number, dport: number, payload: Uint8Array): Uint8Array {
  const l4 = new Uint8Array(8 + payload.length);
  emitUdp({ srcPort: sport, dstPort: dport, payload }, new UdpPacket(l4, 0, l4.length), { version: 4, src, dst });
  return ipv4Frame(src, dst, IpProtocol.UDP, l4);
}

/** A forged quote: an IPv4 header from `src` to `dst` of `proto`, then 8 bytes: ports and `word`. */
export function forgedQuote(src: number, dst: number, proto: number, sport: number, dport: number, word = 0): Uint8Array {
  const q = new Uint8Array(28);
  emitIpv4({ src, dst, protocol: proto, payloadLen: 8, ttl: 64, tos: 0, ident: 1, dontFrag: false, moreFrags: false, fragOffset: 0, options: new Uint8Array(0) },
    new Ipv4Packet(q, 0, 28));
  q[20] = sport >>> 8; q[21] = sport & 0xff; q[22] = dport >>> 8; q[23] = dport & 0xff;
  setU32(q, 24, word >>> 0);
  return q;
}

export function udpCookie(them: number, port: number): number {
  return cookie4(KEY, them, UDP + port, ME, SPORT);
}

/** An SNMPv1 GetResponse (RFC 1157) with request-id `rid`, minimally encoded; `long`: 0x82 lengths. */
export function snmpResponse(rid: number, long = false): Uint8Array {
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

/** A reply of kind k (0..5) from `them`, each carrying exactly the cookie a probe to them would have had. */
export function forgedReply(k: number, them: number, n: number): Uint8Array {
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
