/**
 * ICMP queries (echo `I:0`, timestamp `I:1`) over IPv4 and ICMPv6: the templates, and the
 * classifier of the replies and of the ICMP errors that quote our probes.
 * See frame.ts for how templates are patched.
 */
import { Ipv4Field } from '../wire/ipv4.js';
import { SctpChunkField, SctpField, SctpChunkType } from '../wire/sctp.js';
import { Icmpv4Field, ICMPV4_HEADER_LEN, Icmpv4Packet, emitIcmpv4 } from '../wire/icmpv4.js';
import { CookieKey, ICMP_ECHO_PORT, cookie4, cookie6 } from '../crypto/cookie.js';
import { Decoded } from '../wire/decode.js';
import { IpProtocol } from '../wire/ip.js';
import { getI32, getU16, setU16, setU32 } from '../wire/bytes.js';
import { foldChecksum, sumWords } from '../wire/checksum.js';
import { Ipv6Field } from '../wire/ipv6.js';
import { ICMPV6_HEADER_LEN, Icmpv6Field, Icmpv6Packet, emitIcmpv6 } from '../wire/icmpv6.js';
import { Ipv4Options, Ipv6Options, PROBE_FIELDS, checkLink4, checkLink6, ip6Words, buildBase4, buildBase6 , setDst6 } from './frame.js';
import { oprotoFromQuote } from './ip-proto.js';
import { ClassifyContext, ICMP_TIMESTAMP_PORT, RecStatus, RecordKind, SCTP_BASE, UDP_BASE, Verdict, fromTarget, hasPort, inRanges4, inRanges6, isOurIp4, isOurIp6, isOurPort, setTheirs4, setTheirs6 } from './reply.js';

/** Slots of the probe-field array (frame.ts ProbeField), as module constants: V8 folds these, not imported bindings. */
const PF_SRC_IP = 0, PF_DST_IP = 1, PF_SEQ = 4, PF_DST6 = 5;

/** ICMP echo data: 48 bytes 0x08..0x37 (the classic ping pattern after a timestamp). */
export const ECHO_DATA: Uint8Array = Uint8Array.from({ length: 48 }, (_, i) => 0x08 + i);

// ---------------------------------------------------------------------------------------
// ICMP queries: echo (ping, I:0) and timestamp (I:1).
// ---------------------------------------------------------------------------------------

/** Which ICMP query a template sends: echo (`I:0`, --ping) or timestamp (`I:1`). */
export type IcmpQuery = 'echo' | 'timestamp';

/** ICMP type of a timestamp request (RFC 792) and of the reply it asks for. */
export const ICMP_TIMESTAMP_REQUEST = 13;
export const ICMP_TIMESTAMP_REPLY = 14;
/**
 * The 12 bytes after a timestamp request's identifier and sequence: originate, receive and
 * transmit timestamps, all zero as masscan sends them (the receiver fills in the last two).
 */
export const TIMESTAMP_DATA: Uint8Array = new Uint8Array(12);

/**
 * An ICMP query over IPv4 with identifier:sequence = cookie.
 *  - 'echo' (default): type 8, 48 data bytes 0x08..0x37 (IP total length 76);
 *  - 'timestamp': RFC 792 timestamp request, type 13 code 0, three zero timestamps
 *    (IP total length 40, the frame masscan 1.3.2 sends, checked in the lab).
 * The IP identification is (ip_them ^ port_them ^ cookie) & 0xffff as for every probe, with
 * the internal port 196608 / 196609 (low 16 bits 0 / 1). One class for both queries, so the
 * probe set's call sites and this class's property loads stay monomorphic.
 */
export class EchoTemplate4 {
  readonly frameLen: number;
  readonly maxFrameLen: number;
  readonly query: IcmpQuery;
  /** Per-probe values for patch() -> patchFields() (see ProbeField). */
  private readonly f: Int32Array = new Int32Array(PROBE_FIELDS);
  readonly base: Uint8Array;
  /** Low 16 bits of the internal port, xored into the IP identification. */
  private readonly idPort: number;
  private readonly oId: number;
  private readonly oIpCk: number;
  private readonly oSrc: number;
  private readonly oDst: number;
  private readonly oIdent: number;
  private readonly oIcmpCk: number;
  private readonly ipSum0: number;
  private readonly icmpSum0: number;

  constructor(link: Ipv4Options, query: IcmpQuery = 'echo') {
    const ttl = checkLink4(link);
    this.query = query;
    const ts = query === 'timestamp';
    this.idPort = ts ? 1 : 0;
    const icmpLen = ICMPV4_HEADER_LEN + (ts ? TIMESTAMP_DATA.length : ECHO_DATA.length);
    const { frame: b, len, l2, l4, sum } = buildBase4(link, ttl, IpProtocol.ICMP, icmpLen);
    this.frameLen = len;
    this.maxFrameLen = len;
    this.ipSum0 = sum;
    emitIcmpv4(
      ts
        ? { kind: 'other', type: ICMP_TIMESTAMP_REQUEST, code: 0, restOfHeader: 0, data: TIMESTAMP_DATA }
        : { kind: 'echo-request', ident: 0, seq: 0, data: ECHO_DATA },
      new Icmpv4Packet(b, l4, icmpLen),
    );
    setU16(b, l4 + Icmpv4Field.CHECKSUM, 0);
    this.icmpSum0 = sumWords(b, l4, icmpLen, 0);
    this.base = b;
    this.oId = l2 + Ipv4Field.IDENT;
    this.oIpCk = l2 + Ipv4Field.CHECKSUM;
    this.oSrc = l2 + Ipv4Field.SRC;
    this.oDst = l2 + Ipv4Field.DST;
    this.oIdent = l4 + Icmpv4Field.IDENT;
    this.oIcmpCk = l4 + Icmpv4Field.CHECKSUM;
  }

  writeBase(slot: Uint8Array, off: number): void {
    slot.set(this.base, off);
  }

  /** cookie: cookie4(key, dstIp, 196608 (echo) or 196609 (timestamp), srcIp, 0). */
  patch(slot: Uint8Array, off: number, srcIp: number, dstIp: number, cookie: number): number {
    const f = this.f;
    f[PF_SRC_IP] = srcIp; f[PF_DST_IP] = dstIp; f[PF_SEQ] = cookie;
    return this.patchFields(slot, off, f);
  }

  /** patch() with the per-probe values in `f` (see ProbeField): allocation-free even when not inlined. */
  patchFields(slot: Uint8Array, off: number, f: Int32Array): number {
    const srcIp = f[PF_SRC_IP], dstIp = f[PF_DST_IP], cookie = f[PF_SEQ];
    const id = (dstIp ^ this.idPort ^ cookie) & 0xffff;
    const addr = (srcIp >>> 16) + (srcIp & 0xffff) + (dstIp >>> 16) + (dstIp & 0xffff);
    setU16(slot, off + this.oId, id);
    setU32(slot, off + this.oSrc, srcIp);
    setU32(slot, off + this.oDst, dstIp);
    setU16(slot, off + this.oIpCk, foldChecksum(this.ipSum0 + addr + id));
    setU32(slot, off + this.oIdent, cookie); // identifier (high 16) then sequence (low 16)
    setU16(slot, off + this.oIcmpCk, foldChecksum(this.icmpSum0 + (cookie >>> 16) + (cookie & 0xffff)));
    return this.frameLen;
  }
}

/**
 * An ICMPv6 query with identifier:sequence = cookie.
 *  - 'echo' (default): echo request, type 128, the same 48 data bytes.
 *  - 'timestamp': IPv6 has no timestamp message (RFC 4443 defines none). masscan builds its
 *    IPv6 probes by moving the IPv4 template behind an IPv6 header and only turns type 8
 *    into 128, so for `I:1` it sends an ICMPv6 message of type 13 (an unassigned error type)
 *    with the cookie and 12 zero bytes: 20 bytes, valid checksum (seen from masscan 1.3.2 in
 *    the lab). We send exactly that, so a scan's traffic is masscan's; NOTE: nothing answers
 *    it (RFC 4443 §2.4 (b): an unknown error message is passed up and never answered; Linux
 *    drops it), so IPv6 timestamp probes never produce a record, as with masscan.
 */
export class EchoTemplate6 {
  readonly frameLen: number;
  readonly maxFrameLen: number;
  readonly query: IcmpQuery;
  /** Per-probe values for patch() -> patchFields() (see ProbeField). */
  private readonly f: Int32Array = new Int32Array(PROBE_FIELDS);
  readonly base: Uint8Array;
  readonly srcWords: Uint32Array;
  private readonly oDst: number;
  private readonly oIdent: number;
  private readonly oIcmpCk: number;
  private readonly icmpSum0: number;

  constructor(link: Ipv6Options, query: IcmpQuery = 'echo') {
    const hop = checkLink6(link);
    this.query = query;
    const ts = query === 'timestamp';
    this.srcWords = ip6Words(link.srcIp);
    const icmpLen = ICMPV6_HEADER_LEN + (ts ? TIMESTAMP_DATA.length : ECHO_DATA.length);
    const { frame: b, len, l2, l4, sum: pseudo } = buildBase6(link, hop, IpProtocol.ICMPV6, icmpLen);
    this.frameLen = len;
    this.maxFrameLen = len;
    emitIcmpv6(
      ts
        ? { kind: 'other', type: ICMP_TIMESTAMP_REQUEST, code: 0, body: new Uint8Array(4 + TIMESTAMP_DATA.length) }
        : { kind: 'echo-request', ident: 0, seq: 0, data: ECHO_DATA },
      new Icmpv6Packet(b, l4, icmpLen),
      null,
    );
    this.icmpSum0 = sumWords(b, l4, icmpLen, pseudo);
    this.base = b;
    this.oDst = l2 + Ipv6Field.DST;
    this.oIdent = l4 + Icmpv6Field.IDENT;
    this.oIcmpCk = l4 + Icmpv6Field.CHECKSUM;
  }

  writeBase(slot: Uint8Array, off: number): void {
    slot.set(this.base, off);
  }

  /** cookie: cookie6(key, dst, me, 196608 (echo) or 196609 (timestamp), 0). */
  patch(slot: Uint8Array, off: number, dst: Uint32Array, dstOff: number, cookie: number): number {
    const f = this.f;
    setDst6(f, dst, dstOff);
    f[PF_SEQ] = cookie;
    return this.patchFields(slot, off, f);
  }

  /** patch() with the per-probe values in `f` (see ProbeField): allocation-free even when not inlined. */
  patchFields(slot: Uint8Array, off: number, f: Int32Array): number {
    const cookie = f[PF_SEQ];
    const w0 = f[PF_DST6], w1 = f[PF_DST6 + 1], w2 = f[PF_DST6 + 2], w3 = f[PF_DST6 + 3];
    const o = off + this.oDst;
    setU32(slot, o, w0); setU32(slot, o + 4, w1); setU32(slot, o + 8, w2); setU32(slot, o + 12, w3);
    setU32(slot, off + this.oIdent, cookie);
    const addr = (w0 >>> 16) + (w0 & 0xffff) + (w1 >>> 16) + (w1 & 0xffff) + (w2 >>> 16) + (w2 & 0xffff) + (w3 >>> 16) + (w3 & 0xffff);
    setU16(slot, off + this.oIcmpCk, foldChecksum(this.icmpSum0 + addr + (cookie >>> 16) + (cookie & 0xffff)));
    return this.frameLen;
  }
}

const ICMP4_ECHO_REPLY = 0;
const ICMP4_UNREACH = 3;
const ICMP4_PROTO_UNREACH = 2;
const ICMP4_PORT_UNREACH = 3;
const ICMP6_ECHO_REPLY = 129;
const ICMP6_UNREACH = 1;
const ICMP6_PORT_UNREACH = 4;
const ICMP6_PARAM_PROBLEM = 4;
const ICMP6_UNRECOGNIZED_NEXT_HEADER = 1;

/**
 * The ICMP/ICMPv6 part of classify. `complete`: the decoder said 'ok' (echo fields and the
 * quoted ports are valid); false: it said 'truncated' (only type and code are, and only a
 * quote of an other-protocol probe can still be judged, from the bytes).
 */
export function classifyIcmp(buf: Uint8Array, d: Decoded, c: ClassifyContext, key: CookieKey, v: Verdict, v4: boolean, complete: boolean): number {
  const type = d.icmpType, code = d.icmpCode;
  if (type < 0) return 0;
  if (complete) {
    const echoReply = v4 ? type === ICMP4_ECHO_REPLY : type === ICMP6_ECHO_REPLY;
    if (echoReply) {
      if (code !== 0 || d.icmpId < 0 || !c.icmpEcho || !fromTarget(c, d, v4)) return 0;
      const ck = v4
        ? cookie4(key, d.src | 0, ICMP_ECHO_PORT, d.dst | 0, 0)
        : cookie6(key, d.src6, 0, d.dst6, 0, ICMP_ECHO_PORT, 0);
      if ((((d.icmpId << 16) | d.icmpSeq) >>> 0) !== ck) return 0;
      if (v4) setTheirs4(v, d.src | 0); else setTheirs6(v, d.src6);
      v.proto = d.proto; v.port = 0; v.internalPort = ICMP_ECHO_PORT;
      v.status = RecStatus.OPEN;
      v.kind = RecordKind.STATUS;
      return v.kind;
    }
    if (v4 && type === ICMP_TIMESTAMP_REPLY) {
      // RFC 792: "Type 14 for timestamp reply message", "Code 0", identifier and sequence
      // number echoed from the request. decodeFrame's 'ok' guarantees the 8-byte header; the
      // three timestamps are not needed (the cookie is what proves the reply is ours).
      if (code !== 0 || !c.icmpTimestamp || !inRanges4(c.targets4, d.src)) return 0;
      const t = d.transportOff;
      const ck = cookie4(key, d.src | 0, ICMP_TIMESTAMP_PORT, d.dst | 0, 0);
      if (((getU16(buf, t + Icmpv4Field.IDENT) << 16) | getU16(buf, t + Icmpv4Field.SEQ)) !== (ck | 0)) return 0;
      setTheirs4(v, d.src | 0);
      v.proto = IpProtocol.ICMP; v.port = 1; v.internalPort = ICMP_TIMESTAMP_PORT;
      v.status = RecStatus.OPEN;
      v.kind = RecordKind.STATUS;
      return v.kind;
    }
  }
  // "Protocol not supported" answers to an O: probe.
  if (v4 ? type === ICMP4_UNREACH && code === ICMP4_PROTO_UNREACH : type === ICMP6_PARAM_PROBLEM && code === ICMP6_UNRECOGNIZED_NEXT_HEADER) {
    return oprotoFromQuote(buf, d, c, key, v, RecStatus.CLOSED);
  }
  const unreach = v4
    ? type === ICMP4_UNREACH && code === ICMP4_PORT_UNREACH
    : type === ICMP6_UNREACH && code === ICMP6_PORT_UNREACH;
  if (!unreach) return 0;
  const ip = d.innerProto;
  if (!complete || (ip !== IpProtocol.TCP && ip !== IpProtocol.UDP && ip !== IpProtocol.SCTP)) {
    // Port unreachable about an O: probe: the protocol's module exists (nmap: open).
    return oprotoFromQuote(buf, d, c, key, v, RecStatus.OPEN);
  }
  if (d.innerSrcPort < 0) return 0;
  // The quoted packet must be one of ours: from our address and source port.
  if (v4 ? (d.innerIpVersion !== 4 || !isOurIp4(c, d.innerSrc)) : (d.innerIpVersion !== 6 || !isOurIp6(c, d.innerSrc6))) return 0;
  if (!isOurPort(c, d.innerSrcPort)) return 0;
  // ... to a target: the quoted destination address in the ranges, its port scanned.
  if (!(v4 ? inRanges4(c.targets4, d.innerDst) : inRanges6(c.targets6, d.innerDst6))) return 0;
  const dport = d.innerDstPort;
  let internal: number;
  if (ip === IpProtocol.TCP) {
    if (!hasPort(c.tcpPorts, dport)) return 0;
    internal = dport;
    const ck = v4
      ? cookie4(key, d.innerDst | 0, internal, d.innerSrc | 0, d.innerSrcPort)
      : cookie6(key, d.innerDst6, 0, d.innerSrc6, 0, internal, d.innerSrcPort);
    if ((d.innerSeq >>> 0) !== ck) return 0;
  } else if (ip === IpProtocol.UDP) {
    if (!hasPort(c.udpPorts, dport)) return 0;
    internal = UDP_BASE + dport;
  } else {
    if (!hasPort(c.sctpPorts, dport)) return 0;
    internal = SCTP_BASE + dport;
    // RFC 4960 §8.5.1: "When sending an INIT, the endpoint MUST set the Verification Tag of the
    // common header to 0": the quoted 8 bytes hold it. Our cookie is the INIT's Initiate Tag
    // (sctp.ts), 16 bytes into the SCTP packet: checked when the quote reaches it (Linux
    // and RFC 1812 routers quote far more than RFC 792's 8 bytes).
    if (d.innerSeq !== 0) return 0;
    // The quoted SCTP packet: after the quoted IPv4 header (its IHL), or where the decoder
    // found the quoted IPv6 header's upper layer; its first chunk after the common header.
    const quote = d.transportOff + Icmpv4Field.DATA;
    const sctp = v4 ? quote + ((buf[quote + Ipv4Field.VER_IHL] & 0x0f) << 2) : d.upper.offset;
    const chunk = sctp + SctpField.CHUNKS;
    if (chunk + SctpChunkField.INITIATE_TAG + 4 <= d.ipEnd && d.ipEnd <= buf.length && buf[chunk + SctpChunkField.TYPE] === SctpChunkType.INIT) {
      const ck = v4
        ? cookie4(key, d.innerDst | 0, internal, d.innerSrc | 0, d.innerSrcPort)
        : cookie6(key, d.innerDst6, 0, d.innerSrc6, 0, internal, d.innerSrcPort);
      if ((getI32(buf, chunk + SctpChunkField.INITIATE_TAG) >>> 0) !== ck) return 0;
    }
  }
  if (v4) setTheirs4(v, d.innerDst | 0); else setTheirs6(v, d.innerDst6);
  v.proto = ip; v.port = d.innerDstPort; v.internalPort = internal;
  v.status = RecStatus.CLOSED;
  v.kind = RecordKind.STATUS;
  return v.kind;
}
