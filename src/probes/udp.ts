/**
 * UDP probes: the template over IPv4 and IPv6 (payload per destination port from
 * udp-payloads.ts, the cookie in its id field), and the classifier of the replies.
 * See frame.ts for how templates are patched.
 */
import { CookieKey, cookie4, cookie6 } from '../crypto/cookie.js';
import { Decoded } from '../wire/decode.js';
import { IpProtocol } from '../wire/ip.js';
import { getI32, getU16, setU16, setU32 } from '../wire/bytes.js';
import { foldChecksum, pseudoHeaderSum4, sumWords, udpChecksumOnWire } from '../wire/checksum.js';
import { IPV4_HEADER_LEN, Ipv4Field } from '../wire/ipv4.js';
import { IPV6_HEADER_LEN, Ipv6Field } from '../wire/ipv6.js';
import { UDP_HEADER_LEN, UdpField, UdpPacket, emitUdp } from '../wire/udp.js';
import { UdpPayloadTable } from './udp-payloads.js';
import { Ipv4Options, Ipv6Options, PROBE_FIELDS, checkLink4, checkLink6, ip6Words, linkHeaderLen, buildBase4, buildBase6 , setDst6 } from './frame.js';
import { ClassifyContext, RecStatus, RecordKind, UDP_BASE, Verdict, fromTarget, hasPort, isOurPort, setTheirs4, setTheirs6 } from './reply.js';

/** Slots of the probe-field array (frame.ts ProbeField), as module constants: V8 folds these, not imported bindings. */
const PF_SRC_IP = 0, PF_DST_IP = 1, PF_DST_PORT = 2, PF_SRC_PORT = 3, PF_SEQ = 4, PF_DST6 = 5;

// ---------------------------------------------------------------------------------------
// UDP: one base frame per payload variant; patch writes the whole variant (payloads differ
// by port, so a slot cannot keep one base).
// ---------------------------------------------------------------------------------------

const COOKIE_NONE = 0, COOKIE_ID16 = 1, COOKIE_INT31 = 2;

/**
 * The checksum contribution of a `width`-byte big-endian field holding `v`, at an even
 * (odd = false) or odd offset from the start of the checksummed data. At an odd offset the
 * bytes pair with their neighbours the other way round: RFC 1071 §2(B) byte-order
 * independence gives the byte-swapped sum.
 */
function fieldSum(v: number, width: number, odd: boolean): number {
  if (width === 2) return odd ? ((v & 0xff) << 8) | ((v >>> 8) & 0xff) : v & 0xffff;
  const hi = v >>> 16, lo = v & 0xffff;
  return odd ? (((hi & 0xff) << 8) | (hi >>> 8)) + (((lo & 0xff) << 8) | (lo >>> 8)) : hi + lo;
}

/** Per-variant constants, in parallel arrays (monomorphic element kinds). */
interface UdpVariants {
  base: Uint8Array[];
  len: Int32Array;
  ipSum0: Int32Array;
  udpSum0: Int32Array;
  cookieKind: Uint8Array;
  cookieOff: Int32Array; // absolute offset in the frame
  cookieOdd: Uint8Array; // 1 when at an odd offset from the UDP header
}

function buildUdpVariants(
  payloads: UdpPayloadTable,
  make: (payload: Uint8Array) => { frame: Uint8Array; len: number; ipSum0: number; udpSum0: number; udpOff: number },
): { v: UdpVariants; portVariant: Int32Array; maxLen: number } {
  // One variant per distinct (bytes, cookie field): nmap's payload file maps ~33,000 ports to
  // a few dozen payloads. Variant 0 is the empty datagram of ports with no payload.
  const entries = payloads.entries();
  const keyOf = (bytes: Uint8Array, cookie: string, off: number): string => {
    let k = `${cookie}:${off}:`;
    for (let i = 0; i < bytes.length; i++) k += String.fromCharCode(bytes[i]);
    return k;
  };
  const variantOf = new Map<string, number>([[keyOf(new Uint8Array(0), 'none', 0), 0]]);
  const distinct: (typeof entries)[number][] = [];
  // Int32: with a payload on every port there are 65,537 variants at most.
  const portVariant = new Int32Array(65536);
  for (const e of entries) {
    const key = keyOf(e.bytes, e.cookie, e.cookieOffset);
    let i = variantOf.get(key);
    if (i === undefined) {
      i = distinct.length + 1;
      variantOf.set(key, i);
      distinct.push(e);
    }
    portVariant[e.port] = i;
  }
  const n = distinct.length + 1;
  const v: UdpVariants = {
    base: [], len: new Int32Array(n), ipSum0: new Int32Array(n), udpSum0: new Int32Array(n),
    cookieKind: new Uint8Array(n), cookieOff: new Int32Array(n), cookieOdd: new Uint8Array(n),
  };
  let maxLen = 0;
  for (let i = 0; i < n; i++) {
    const e = i === 0 ? undefined : distinct[i - 1];
    const m = make(e === undefined ? new Uint8Array(0) : e.bytes);
    v.base.push(m.frame);
    v.len[i] = m.len;
    v.ipSum0[i] = m.ipSum0;
    v.udpSum0[i] = m.udpSum0;
    if (m.len > maxLen) maxLen = m.len;
    if (e !== undefined) {
      v.cookieKind[i] = e.cookie === 'id16' ? COOKIE_ID16 : e.cookie === 'int31' ? COOKIE_INT31 : COOKIE_NONE;
      v.cookieOff[i] = m.udpOff + UDP_HEADER_LEN + e.cookieOffset;
      v.cookieOdd[i] = (UDP_HEADER_LEN + e.cookieOffset) & 1;
    }
  }
  return { v, portVariant, maxLen };
}

/** Write the cookie field of variant i at slot[off + cookieOff]; returns its checksum contribution. */
function writeUdpCookie(v: UdpVariants, i: number, slot: Uint8Array, off: number, cookie: number): number {
  const kind = v.cookieKind[i];
  if (kind === COOKIE_NONE) return 0;
  const o = off + v.cookieOff[i];
  if (kind === COOKIE_ID16) {
    const c = cookie & 0xffff;
    setU16(slot, o, c);
    return fieldSum(c, 2, v.cookieOdd[i] === 1);
  }
  const c = cookie & 0x7fffffff;
  setU32(slot, o, c);
  return fieldSum(c, 4, v.cookieOdd[i] === 1);
}

/**
 * --badsum for UDP: flip the low bit of the checksum on the wire, except that a result of 0
 * would mean "no checksum" (RFC 768: "An all zero transmitted checksum value means that the
 * transmitter generated no checksum"), which receivers accept: 0xfffd is sent instead (not
 * the right 0x0001 nor its other form 0xfffe).
 */
function badUdpSum(wire: number, xor: number): number {
  const w = wire ^ xor;
  return w === 0 ? 0xfffd : w;
}

/** UDP probes over IPv4, payload chosen by destination port. */
export class UdpTemplate4 {
  readonly maxFrameLen: number;
  /** Per-probe values for patch() -> patchFields() (see ProbeField). */
  private readonly f: Int32Array = new Int32Array(PROBE_FIELDS);
  readonly ttl: number;
  private readonly v: UdpVariants;
  private readonly portVariant: Int32Array;
  private readonly oId: number;
  private readonly oIpCk: number;
  private readonly oSrc: number;
  private readonly oDst: number;
  private readonly oSport: number;
  private readonly oDport: number;
  private readonly oUdpCk: number;

  /** 1 with --badsum, else 0 (see badUdpSum). */
  private readonly ckXor: number;

  constructor(link: Ipv4Options, payloads: UdpPayloadTable = new UdpPayloadTable(), badsum = false) {
    this.ckXor = badsum ? 1 : 0;
    const ttl = (this.ttl = checkLink4(link));
    const l2 = linkHeaderLen(link);
    const l4 = l2 + IPV4_HEADER_LEN;
    const built = buildUdpVariants(payloads, (payload) => {
      const udpLen = UDP_HEADER_LEN + payload.length;
      const { frame: b, len, sum: ipSum0 } = buildBase4(link, ttl, IpProtocol.UDP, udpLen);
      emitUdp({ srcPort: 0, dstPort: 0, payload }, new UdpPacket(b, l4, udpLen), null);
      // Payload cookie fields are zero in the table's bytes, so they add nothing here.
      const udpSum0 = sumWords(b, l4, udpLen, pseudoHeaderSum4(0, 0, IpProtocol.UDP, udpLen));
      return { frame: b, len, ipSum0, udpSum0, udpOff: l4 };
    });
    this.v = built.v;
    this.portVariant = built.portVariant;
    this.maxFrameLen = built.maxLen;
    this.oId = l2 + Ipv4Field.IDENT;
    this.oIpCk = l2 + Ipv4Field.CHECKSUM;
    this.oSrc = l2 + Ipv4Field.SRC;
    this.oDst = l2 + Ipv4Field.DST;
    this.oSport = l4 + UdpField.SRC_PORT;
    this.oDport = l4 + UdpField.DST_PORT;
    this.oUdpCk = l4 + UdpField.CHECKSUM;
  }

  /** Frame length of a probe to `dstPort`. */
  frameLenFor(dstPort: number): number {
    return this.v.len[this.portVariant[dstPort & 0xffff]];
  }

  /**
   * Write a whole UDP probe (no writeBase needed). dstPort: the plain UDP port; cookie: the
   * cookie of (dstIp, 65536 + dstPort, srcIp, srcPort). Returns the frame length.
   */
  patch(slot: Uint8Array, off: number, srcIp: number, dstIp: number, dstPort: number, srcPort: number, cookie: number): number {
    const f = this.f;
    f[PF_SRC_IP] = srcIp; f[PF_DST_IP] = dstIp; f[PF_DST_PORT] = dstPort; f[PF_SRC_PORT] = srcPort; f[PF_SEQ] = cookie;
    return this.patchFields(slot, off, f);
  }

  /** patch() with the per-probe values in `f` (see ProbeField): allocation-free even when not inlined. */
  patchFields(slot: Uint8Array, off: number, f: Int32Array): number {
    const srcIp = f[PF_SRC_IP], dstIp = f[PF_DST_IP], dstPort = f[PF_DST_PORT], srcPort = f[PF_SRC_PORT], cookie = f[PF_SEQ];
    const v = this.v;
    const i = this.portVariant[dstPort & 0xffff];
    slot.set(v.base[i], off);
    const id = (dstIp ^ dstPort ^ cookie) & 0xffff;
    const addr = (srcIp >>> 16) + (srcIp & 0xffff) + (dstIp >>> 16) + (dstIp & 0xffff);
    setU16(slot, off + this.oId, id);
    setU32(slot, off + this.oSrc, srcIp);
    setU32(slot, off + this.oDst, dstIp);
    setU16(slot, off + this.oIpCk, foldChecksum(v.ipSum0[i] + addr + id));
    setU16(slot, off + this.oSport, srcPort);
    setU16(slot, off + this.oDport, dstPort);
    const ck = writeUdpCookie(v, i, slot, off, cookie);
    setU16(slot, off + this.oUdpCk, badUdpSum(udpChecksumOnWire(foldChecksum(v.udpSum0[i] + addr + srcPort + dstPort + ck)), this.ckXor));
    return v.len[i];
  }
}

/** UDP probes over IPv6. */
export class UdpTemplate6 {
  readonly maxFrameLen: number;
  /** Per-probe values for patch() -> patchFields() (see ProbeField). */
  private readonly f: Int32Array = new Int32Array(PROBE_FIELDS);
  readonly hopLimit: number;
  readonly srcWords: Uint32Array;
  private readonly v: UdpVariants;
  private readonly portVariant: Int32Array;
  private readonly oDst: number;
  private readonly oSport: number;
  private readonly oDport: number;
  private readonly oUdpCk: number;

  private readonly ckXor: number;

  constructor(link: Ipv6Options, payloads: UdpPayloadTable = new UdpPayloadTable(), badsum = false) {
    this.ckXor = badsum ? 1 : 0;
    const hop = (this.hopLimit = checkLink6(link));
    this.srcWords = ip6Words(link.srcIp);
    const l2 = linkHeaderLen(link);
    const l4 = l2 + IPV6_HEADER_LEN;
    const built = buildUdpVariants(payloads, (payload) => {
      const udpLen = UDP_HEADER_LEN + payload.length;
      const { frame: b, len, sum: pseudo } = buildBase6(link, hop, IpProtocol.UDP, udpLen);
      emitUdp({ srcPort: 0, dstPort: 0, payload }, new UdpPacket(b, l4, udpLen), null);
      return { frame: b, len, ipSum0: 0, udpSum0: sumWords(b, l4, udpLen, pseudo), udpOff: l4 };
    });
    this.v = built.v;
    this.portVariant = built.portVariant;
    this.maxFrameLen = built.maxLen;
    this.oDst = l2 + Ipv6Field.DST;
    this.oSport = l4 + UdpField.SRC_PORT;
    this.oDport = l4 + UdpField.DST_PORT;
    this.oUdpCk = l4 + UdpField.CHECKSUM;
  }

  frameLenFor(dstPort: number): number {
    return this.v.len[this.portVariant[dstPort & 0xffff]];
  }

  patch(slot: Uint8Array, off: number, dst: Uint32Array, dstOff: number, dstPort: number, srcPort: number, cookie: number): number {
    const f = this.f;
    setDst6(f, dst, dstOff);
    f[PF_DST_PORT] = dstPort; f[PF_SRC_PORT] = srcPort; f[PF_SEQ] = cookie;
    return this.patchFields(slot, off, f);
  }

  /** patch() with the per-probe values in `f` (see ProbeField): allocation-free even when not inlined. */
  patchFields(slot: Uint8Array, off: number, f: Int32Array): number {
    const dstPort = f[PF_DST_PORT], srcPort = f[PF_SRC_PORT], cookie = f[PF_SEQ];
    const v = this.v;
    const i = this.portVariant[dstPort & 0xffff];
    slot.set(v.base[i], off);
    const w0 = f[PF_DST6], w1 = f[PF_DST6 + 1], w2 = f[PF_DST6 + 2], w3 = f[PF_DST6 + 3];
    const o = off + this.oDst;
    setU32(slot, o, w0); setU32(slot, o + 4, w1); setU32(slot, o + 8, w2); setU32(slot, o + 12, w3);
    setU16(slot, off + this.oSport, srcPort);
    setU16(slot, off + this.oDport, dstPort);
    const ck = writeUdpCookie(v, i, slot, off, cookie);
    const addr = (w0 >>> 16) + (w0 & 0xffff) + (w1 >>> 16) + (w1 & 0xffff) + (w2 >>> 16) + (w2 & 0xffff) + (w3 >>> 16) + (w3 & 0xffff);
    setU16(slot, off + this.oUdpCk, badUdpSum(udpChecksumOnWire(foldChecksum(v.udpSum0[i] + addr + srcPort + dstPort + ck)), this.ckXor));
    return v.len[i];
  }
}

/**
 * Where a UDP reply echoes the cookie of our probe (udp-payloads.ts puts it in the probe):
 * - ID16_AT / INT31_AT: the same field as the probe's, at the same offset (or at the payload's
 *   echoOffset: an NTP reply's origin timestamp repeats our transmit timestamp) (a DNS, NetBIOS,
 *   memcached id, a CoAP message id; an ONC RPC xid, the ISAKMP initiator cookie, the DTLS
 *   record sequence number, which a HelloVerifyRequest copies, RFC 6347 §4.2.1);
 * - SNMP: the response PDU's request-id (RFC 1157 §4.1.4: "identical to the request-id
 *   field of the received message"), found by walking the BER, since the agent re-encodes it;
 * - L2TP: the control header's Tunnel ID (RFC 2661 §3.1: "the Tunnel ID in each message is
 *   that of the intended recipient", which is the Assigned Tunnel ID we sent).
 */
export const UdpEcho = { ID16_AT: 1, INT31_AT: 2, SNMP: 3, L2TP: 4 } as const;

export const SNMP_PORT = 161;
export const L2TP_PORT = 1701;

/** Index of `port` in c.udpEchoPorts, or -1 (binary search; a handful of ports). */
function udpEchoIndex(c: ClassifyContext, port: number): number {
  const a = c.udpEchoPorts;
  let lo = 0, hi = a.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    const x = a[mid];
    if (x < port) lo = mid + 1;
    else if (x > port) hi = mid - 1;
    else return mid;
  }
  return -1;
}

/**
 * A BER length at buf[p] (X.690 §8.1.3: short form, or long form with 1 or 2 length bytes),
 * inside [p, end): returns the content's length and sets berAt[0] to where the content
 * starts; -1 when malformed or when the content would pass `end`.
 */
const berAt = new Int32Array(1);
function berLength(buf: Uint8Array, p: number, end: number): number {
  if (p >= end) return -1;
  const b = buf[p];
  let len: number, q: number;
  if (b < 0x80) { len = b; q = p + 1; }
  else if (b === 0x81) { if (p + 2 > end) return -1; len = buf[p + 1]; q = p + 2; }
  else if (b === 0x82) { if (p + 3 > end) return -1; len = (buf[p + 1] << 8) | buf[p + 2]; q = p + 3; }
  else return -1;
  if (q + len > end) return -1;
  berAt[0] = q;
  return len;
}

/**
 * Does the SNMP message at buf[off, off + len) carry request-id `want`? Message (RFC 1157
 * §4.1): SEQUENCE { version INTEGER, community OCTET STRING, PDU [context n] { request-id
 * INTEGER, ... } }. Every read is inside the message; any other shape is "no".
 */
function snmpRequestIdIs(buf: Uint8Array, off: number, len: number, want: number): boolean {
  const end = off + len;
  if (len < 2 || buf[off] !== 0x30) return false;
  let n = berLength(buf, off + 1, end);
  if (n < 0) return false;
  let p = berAt[0];
  const msgEnd = p + n;
  // version (INTEGER), then community (OCTET STRING): skipped.
  for (let k = 0; k < 2; k++) {
    if (p >= msgEnd || buf[p] !== (k === 0 ? 0x02 : 0x04)) return false;
    n = berLength(buf, p + 1, msgEnd);
    if (n < 0) return false;
    p = berAt[0] + n;
  }
  // The PDU: context-specific, constructed (0xa0 GetRequest .. 0xa2 GetResponse ..).
  if (p >= msgEnd || (buf[p] & 0xe0) !== 0xa0) return false;
  n = berLength(buf, p + 1, msgEnd);
  if (n < 0) return false;
  p = berAt[0];
  const pduEnd = p + n;
  if (p >= pduEnd || buf[p] !== 0x02) return false;
  n = berLength(buf, p + 1, pduEnd);
  // Our request-id is below 2^31: 1 to 4 content bytes, or 5 with a leading zero.
  if (n < 1 || n > 5) return false;
  p = berAt[0];
  if (n === 5 && buf[p] !== 0) return false;
  if ((buf[p] & 0x80) !== 0) return false; // negative: never ours
  let x = 0;
  for (let i = 0; i < n; i++) x = x * 256 + buf[p + i];
  return x === want;
}

/**
 * Does the UDP payload buf[off, off + len) echo `cookie` the way `rule` (UdpEcho) says, with
 * the field at `fieldOff`? Pure, allocation-free, reads only inside the payload.
 */
export function udpReplyEchoes(buf: Uint8Array, off: number, len: number, rule: number, fieldOff: number, cookie: number): boolean {
  if (off < 0 || len < 0 || off + len > buf.length) return false;
  switch (rule) {
    case UdpEcho.ID16_AT:
      return fieldOff >= 0 && fieldOff + 2 <= len && getU16(buf, off + fieldOff) === (cookie & 0xffff);
    case UdpEcho.INT31_AT:
      return fieldOff >= 0 && fieldOff + 4 <= len && (getI32(buf, off + fieldOff) >>> 0) === ((cookie & 0x7fffffff) >>> 0);
    case UdpEcho.SNMP:
      return snmpRequestIdIs(buf, off, len, (cookie & 0x7fffffff) >>> 0);
    case UdpEcho.L2TP: {
      // RFC 2661 §3.1: T (0x8000) set for a control message; L (0x4000) adds the Length
      // field before the Tunnel ID.
      if (len < 6) return false;
      const flags = getU16(buf, off);
      if ((flags & 0x8000) === 0) return false;
      const at = (flags & 0x4000) !== 0 ? 4 : 2;
      return at + 2 <= len && getU16(buf, off + at) === (cookie & 0xffff);
    }
    default:
      return true;
  }
}

/**
 * A UDP datagram to one of our source ports (decoded 'ok', addressed to us) from a scanned UDP
 * port of a target -> open, when it echoes the probe's cookie wherever the payload has one.
 */
export function classifyUdp(buf: Uint8Array, d: Decoded, c: ClassifyContext, key: CookieKey, v: Verdict, v4: boolean): number {
  if (!isOurPort(c, d.dstPort)) return 0;
  if (!hasPort(c.udpPorts, d.srcPort) || !fromTarget(c, d, v4)) return 0;
  const e = udpEchoIndex(c, d.srcPort);
  if (e >= 0) {
    const ck = v4
      ? cookie4(key, d.src | 0, UDP_BASE + d.srcPort, d.dst | 0, d.dstPort)
      : cookie6(key, d.src6, 0, d.dst6, 0, UDP_BASE + d.srcPort, d.dstPort);
    if (!udpReplyEchoes(buf, d.payloadOff, d.payloadLen, c.udpEchoRule[e], c.udpEchoOff[e], ck)) return 0;
  }
  if (v4) setTheirs4(v, d.src | 0); else setTheirs6(v, d.src6);
  v.proto = IpProtocol.UDP; v.port = d.srcPort; v.internalPort = UDP_BASE + d.srcPort;
  v.status = RecStatus.OPEN;
  v.kind = RecordKind.STATUS;
  return v.kind;
}
