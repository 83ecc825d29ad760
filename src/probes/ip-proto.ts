/**
 * Other IP protocols (`O:n`): bare IP headers of protocol n, their templates, and the
 * classifier of what answers them. See frame.ts for how templates are patched.
 */
import { IPV4_HEADER_LEN, Ipv4Field } from '../wire/ipv4.js';
import { IPV6_HEADER_LEN, Ipv6Field } from '../wire/ipv6.js';
import { Icmpv4Field } from '../wire/icmpv4.js';
import { Icmpv6Field } from '../wire/icmpv6.js';
import { getI32, getU16, setU16, setU32 } from '../wire/bytes.js';
import { CookieKey, cookie4, cookie6 } from '../crypto/cookie.js';
import { Decoded } from '../wire/decode.js';
import { IpProtocol } from '../wire/ip.js';
import { foldChecksum } from '../wire/checksum.js';
import { Ipv4Options, Ipv6Options, PROBE_FIELDS, checkLink4, checkLink6, ip6Words, paddedLen, buildBase4, buildBase6 , setDst6 } from './frame.js';
import { ClassifyContext, OPROTO_PORT_BASE, RecStatus, RecordKind, Verdict, fromTarget, inRanges4, inRanges6, isOurIp4, setTheirs4, setTheirs6 } from './reply.js';

/** Slots of the probe-field array (frame.ts ProbeField), as module constants: V8 folds these, not imported bindings. */
const PF_SRC_IP = 0, PF_DST_IP = 1, PF_DST_PORT = 2, PF_SEQ = 4, PF_DST6 = 5;

// ---------------------------------------------------------------------------------------
// Other IP protocols (`O:n`, masscan's "IP protocol scan", internal port 196864 + n).
// ---------------------------------------------------------------------------------------

/** GRE's protocol number: its probes carry 4 zero bytes (reference §10.1). */
export const IPPROTO_GRE = 47;
/** The most bytes an other-protocol probe carries after the IP header. */
export const OPROTO_MAX_PAYLOAD = 4;

/**
 * Bytes after the IP header of a probe for protocol `proto` (all of them zero): masscan's
 * payloads are empty except GRE's 4 zero bytes, a GRE header with no flags, version 0 and
 * protocol type 0 (reference §10.1), which a GRE endpoint can parse.
 */
export function oprotoPayloadLen(proto: number): number {
  return proto === IPPROTO_GRE ? 4 : 0;
}

/**
 * A bare IPv4 header with protocol = n, followed by the payload of oprotoPayloadLen(n) (zero
 * bytes). Patched per probe: total length, identification, protocol, addresses, checksum.
 *
 * The IP identification is (ip_them ^ n ^ cookie) & 0xffff with cookie = cookie4(key,
 * ip_them, 196864 + n, ip_me, 0), the rule of every other probe: it is the only field of
 * ours that an ICMP protocol-unreachable quotes back (the probe has no ports, no sequence
 * number), so the receiver checks it to accept a "closed" statelessly (oprotoFromQuote).
 * NOTE: masscan 1.3.2 accepts `O:n` and counts the probes but sends nothing (seen in the
 * lab); HEAD's fact sheet gives the payloads used here.
 */
export class OprotoTemplate4 {
  readonly maxFrameLen: number;
  /** Per-probe values for patch() -> patchFields() (see ProbeField). */
  private readonly f: Int32Array = new Int32Array(PROBE_FIELDS);
  /** Link header, IPv4 header (protocol and length zero), 4 zero bytes, padding. */
  readonly base: Uint8Array;
  /** Bytes from the frame start to the end of the IP header. */
  private readonly l3End: number;
  /** Smallest frame length (60 on Ethernet: the zero padding is part of the base). */
  private readonly minLen: number;
  private readonly oLen: number;
  private readonly oId: number;
  private readonly oProto: number;
  private readonly oIpCk: number;
  private readonly oSrc: number;
  private readonly oDst: number;
  private readonly ipSum0: number;

  constructor(link: Ipv4Options) {
    const ttl = checkLink4(link);
    const { frame: b, len, l2, l4, sum } = buildBase4(link, ttl, 0, 0, OPROTO_MAX_PAYLOAD);
    this.l3End = l4;
    this.maxFrameLen = len;
    this.minLen = paddedLen(link, l4);
    // Total length and protocol are per probe too: the constant sum covers neither. Protocol 0
    // adds nothing; the length word (IPV4_HEADER_LEN with no payload) is taken back out.
    this.ipSum0 = sum - IPV4_HEADER_LEN;
    setU16(b, l2 + Ipv4Field.LENGTH, 0);
    this.base = b;
    this.oLen = l2 + Ipv4Field.LENGTH;
    this.oId = l2 + Ipv4Field.IDENT;
    this.oProto = l2 + Ipv4Field.PROTOCOL;
    this.oIpCk = l2 + Ipv4Field.CHECKSUM;
    this.oSrc = l2 + Ipv4Field.SRC;
    this.oDst = l2 + Ipv4Field.DST;
  }

  writeBase(slot: Uint8Array, off: number): void {
    slot.set(this.base, off);
  }

  /** proto 0..255; cookie: cookie4(key, dstIp, 196864 + proto, srcIp, 0). */
  patch(slot: Uint8Array, off: number, srcIp: number, dstIp: number, proto: number, cookie: number): number {
    const f = this.f;
    f[PF_SRC_IP] = srcIp; f[PF_DST_IP] = dstIp; f[PF_DST_PORT] = proto; f[PF_SEQ] = cookie;
    return this.patchFields(slot, off, f);
  }

  /** patch() with the per-probe values in `f` (DST_PORT = protocol): allocation-free even when not inlined. */
  patchFields(slot: Uint8Array, off: number, f: Int32Array): number {
    const srcIp = f[PF_SRC_IP], dstIp = f[PF_DST_IP], proto = f[PF_DST_PORT] & 0xff, cookie = f[PF_SEQ];
    const total = IPV4_HEADER_LEN + (proto === IPPROTO_GRE ? 4 : 0);
    const id = (dstIp ^ proto ^ cookie) & 0xffff;
    const addr = (srcIp >>> 16) + (srcIp & 0xffff) + (dstIp >>> 16) + (dstIp & 0xffff);
    setU16(slot, off + this.oLen, total);
    setU16(slot, off + this.oId, id);
    slot[off + this.oProto] = proto; // low byte of the TTL/protocol word
    setU32(slot, off + this.oSrc, srcIp);
    setU32(slot, off + this.oDst, dstIp);
    setU16(slot, off + this.oIpCk, foldChecksum(this.ipSum0 + addr + id + total + proto));
    const len = this.l3End - IPV4_HEADER_LEN + total;
    return len < this.minLen ? this.minLen : len;
  }
}

/**
 * A bare IPv6 header with next header = n, followed by oprotoPayloadLen(n) zero bytes.
 * Patched per probe: flow label, payload length, next header, destination (IPv6 has no
 * header checksum).
 *
 * The flow label carries the low 20 bits of cookie6(key, them, 196864 + n, me, 0): an ICMPv6
 * parameter problem quotes our header back, and the flow label is the one field of it we
 * may choose freely (RFC 6437 §3 asks sources for labels that look uniformly random, which a
 * keyed hash is), so the receiver checks a "closed" statelessly. masscan sends flow label 0.
 * NOTE: n may be an extension-header type (0, 43, 44, 60, ...): the probe then ends where
 * that header should start, as masscan's would; a target answers with a parameter problem
 * about that header (code 0), which is not a verdict on the protocol.
 */
export class OprotoTemplate6 {
  readonly maxFrameLen: number;
  /** Per-probe values for patch() -> patchFields() (see ProbeField). */
  private readonly f: Int32Array = new Int32Array(PROBE_FIELDS);
  readonly base: Uint8Array;
  readonly srcWords: Uint32Array;
  private readonly l3End: number;
  private readonly minLen: number;
  private readonly oVtf: number;
  private readonly oPayloadLen: number;
  private readonly oNext: number;
  private readonly oDst: number;

  constructor(link: Ipv6Options) {
    const hop = checkLink6(link);
    this.srcWords = ip6Words(link.srcIp);
    const { frame: b, len, l2, l4 } = buildBase6(link, hop, 0, 0, OPROTO_MAX_PAYLOAD);
    this.l3End = l4;
    this.maxFrameLen = len;
    this.minLen = paddedLen(link, l4);
    this.base = b;
    this.oVtf = l2 + Ipv6Field.VER_TC_FLOW;
    this.oPayloadLen = l2 + Ipv6Field.PAYLOAD_LEN;
    this.oNext = l2 + Ipv6Field.NEXT_HEADER;
    this.oDst = l2 + Ipv6Field.DST;
  }

  writeBase(slot: Uint8Array, off: number): void {
    slot.set(this.base, off);
  }

  /** dst[dstOff..+3]: the target as four words; cookie: cookie6(key, dst, me, 196864 + proto, 0). */
  patch(slot: Uint8Array, off: number, dst: Uint32Array, dstOff: number, proto: number, cookie: number): number {
    const f = this.f;
    setDst6(f, dst, dstOff);
    f[PF_DST_PORT] = proto; f[PF_SEQ] = cookie;
    return this.patchFields(slot, off, f);
  }

  /** patch() with the per-probe values in `f` (DST_PORT = protocol): allocation-free even when not inlined. */
  patchFields(slot: Uint8Array, off: number, f: Int32Array): number {
    const proto = f[PF_DST_PORT] & 0xff, cookie = f[PF_SEQ];
    const plen = proto === IPPROTO_GRE ? 4 : 0;
    // Version 6, traffic class 0, flow label = low 20 bits of the cookie.
    setU32(slot, off + this.oVtf, (0x60000000 | (cookie & 0xfffff)) >>> 0);
    setU16(slot, off + this.oPayloadLen, plen);
    slot[off + this.oNext] = proto;
    const o = off + this.oDst;
    setU32(slot, o, f[PF_DST6]); setU32(slot, o + 4, f[PF_DST6 + 1]);
    setU32(slot, o + 8, f[PF_DST6 + 2]); setU32(slot, o + 12, f[PF_DST6 + 3]);
    const len = this.l3End + plen;
    return len < this.minLen ? this.minLen : len;
  }
}

/**
 * Whether protocol n can be reported as an other-protocol record: not 0 (ARP in records, and
 * IPv6 hop-by-hop), 1 (ICMP), 6 (TCP), 17 (UDP), 58 (ICMPv6), 132 (SCTP), whose numbers
 * the output formats read as those protocols.
 */
export function oprotoReportable(n: number): boolean {
  return n > 0 && n < 256 && n !== IpProtocol.ICMP && n !== IpProtocol.TCP && n !== IpProtocol.UDP &&
    n !== IpProtocol.ICMPV6 && n !== IpProtocol.SCTP;
}

/**
 * An ICMP(v6) error at d.transportOff quoting one of our other-protocol probes -> `status`
 * for that protocol at the quoted destination. Reads the quote from `buf` inside
 * [transportOff + 8, ipEnd), every read bounds-checked first (the decoder may have stopped
 * short of it). The quote must be an IP header from our address to a target, of a scanned
 * and reportable protocol, whose IPv4 identification / IPv6 flow label holds the probe's cookie.
 */
export function oprotoFromQuote(buf: Uint8Array, d: Decoded, c: ClassifyContext, key: CookieKey, v: Verdict, status: number): number {
  const t = d.transportOff;
  const end = d.ipEnd;
  if (t < 0 || end > buf.length) return 0;
  let n: number;
  if (d.ipVersion === 4) {
    // The quoted IPv4 header (RFC 792: "Internet Header + 64 bits of Original Data Datagram").
    const q = t + Icmpv4Field.DATA;
    if (q + IPV4_HEADER_LEN > end) return 0;
    const verIhl = buf[q + Ipv4Field.VER_IHL];
    if (verIhl >>> 4 !== 4 || (verIhl & 0x0f) < 5) return 0;
    n = buf[q + Ipv4Field.PROTOCOL];
    if (!oprotoReportable(n)) return 0;
    const me = getI32(buf, q + Ipv4Field.SRC) >>> 0;
    if (!isOurIp4(c, me)) return 0;
    const them = getI32(buf, q + Ipv4Field.DST) >>> 0;
    if (c.oprotos[n] !== 1 || !inRanges4(c.targets4, them)) return 0;
    const ck = cookie4(key, them, OPROTO_PORT_BASE + n, me, 0);
    if (((them ^ n ^ ck) & 0xffff) !== getU16(buf, q + Ipv4Field.IDENT)) return 0;
    setTheirs4(v, them);
  } else {
    // The quoted IPv6 header (RFC 4443 §2.4 (c): as much of the invoking packet as fits).
    const q = t + Icmpv6Field.INVOKING;
    if (q + IPV6_HEADER_LEN > end || !c.has6) return 0;
    if (buf[q + Ipv6Field.VER_TC_FLOW] >>> 4 !== 6) return 0;
    // RFC 4443 §3.4: "Pointer: Identifies the octet offset within the invoking packet where
    // the error was detected": our probes have no extension headers, so it must name the
    // fixed header's next-header field, else the complaint is about something else.
    if (status === RecStatus.CLOSED && getI32(buf, t + Icmpv6Field.POINTER) !== Ipv6Field.NEXT_HEADER) return 0;
    n = buf[q + Ipv6Field.NEXT_HEADER];
    if (!oprotoReportable(n)) return 0;
    const me = c.ip6;
    for (let i = 0; i < 4; i++) if (getI32(buf, q + Ipv6Field.SRC + 4 * i) !== (me[i] | 0)) return 0;
    const them = v.ip;
    for (let i = 0; i < 4; i++) them[i] = getI32(buf, q + Ipv6Field.DST + 4 * i);
    if (c.oprotos[n] !== 1 || !inRanges6(c.targets6, them)) return 0;
    const ck = cookie6(key, them, 0, me, 0, OPROTO_PORT_BASE + n, 0);
    const flow = getI32(buf, q + Ipv6Field.VER_TC_FLOW) & 0xfffff;
    if (flow !== (ck & 0xfffff)) return 0;
    v.version = 6;
  }
  v.proto = n; v.port = n; v.internalPort = OPROTO_PORT_BASE + n;
  v.status = status;
  v.kind = RecordKind.STATUS;
  return v.kind;
}

/**
 * A packet of an IP protocol the decoder does not model ('unsupported'), addressed to us:
 * open for protocol n when n is scanned and reportable and the sender is a target (there is
 * no cookie to check: we cannot parse every protocol).
 */
export function classifyOproto(d: Decoded, c: ClassifyContext, v: Verdict, v4: boolean): number {
  const n = d.proto;
  if (d.transportOff < 0 || !oprotoReportable(n)) return 0;
  if (c.oprotos[n] !== 1 || !fromTarget(c, d, v4)) return 0;
  if (v4) setTheirs4(v, d.src | 0); else setTheirs6(v, d.src6);
  v.proto = n; v.port = n; v.internalPort = OPROTO_PORT_BASE + n;
  v.status = RecStatus.OPEN;
  v.kind = RecordKind.STATUS;
  return v.kind;
}
