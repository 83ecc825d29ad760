/**
 * The receive side (reference masscan-compat.md §7; DESIGN.md §1): every frame the RX ring
 * hands us is decoded into one reused `Decoded`, classified by a pure function of its bytes
 * and the scan's constants (`classify`), deduplicated, and turned into a numeric record in
 * the record ring; frames we must send in answer (RSTs after SYN-ACKs, ARP/NDP replies for a
 * spoofed source) go into the frame ring for a transmit worker.
 *
 * What is reported. A reply counts only when it answers a probe of this scan: it is addressed
 * to one of our source IPs (and ports), it comes from a target of the plan (the address in the
 * target ranges, the port or query among the scanned ones: `ClassifyContext`'s target ranges
 * and per-protocol port bitmaps), and it carries the probe's cookie wherever the probe has one
 * that the reply echoes. masscan reports any datagram to its source port, from anyone; a
 * forged or stray packet from a host we did not scan gives no record here.
 *  - TCP to one of our source ports: SYN-ACK -> open, any RST -> closed; both only when
 *    ack - 1 == cookie(them, their port, us, our port) (the SYN cookie, §6.1), or with
 *    --data-length ack - 1 - dataLength == cookie (a reply that acks the SYN's data). A valid
 *    SYN-ACK is answered with a RST unless --noreset (every one, duplicates included: a
 *    retransmitted SYN-ACK means the target did not get our RST).
 *  - UDP to one of our source ports, from a scanned UDP port of a target -> open udp <their
 *    port>. Where the probe's payload carries the cookie in a field the reply echoes
 *    (udp-payloads.ts: a DNS/NetBIOS/memcached id, an RPC xid, an SNMP request-id, ...), the
 *    reply must echo it (`udpReplyEchoes`); other ports rest on the target check.
 *    Deduplicated (masscan is not).
 *  - ICMP/ICMPv6 echo reply whose identifier:sequence equals the cookie -> open icmp 0.
 *  - ICMP timestamp reply (RFC 792 type 14, code 0) whose identifier:sequence equals the
 *    cookie of internal port 196609 -> open icmp 1 (the `I:1` that asked for it). masscan
 *    sends the request but reports no reply (its ICMP handler knows only echo replies and
 *    port unreachables): the record is ours, shaped like the echo one. IPv6 has no timestamp
 *    message; masscan's ICMPv6 "type 13" probe is never answered (template.ts).
 *  - ICMP destination unreachable, port unreachable (v4 type 3 code 3, v6 type 1 code 4),
 *    quoting a packet from our address and source port to a target (address in the ranges,
 *    port among the scanned ones of that protocol) -> closed <quoted proto/port>; a quoted
 *    TCP segment must also carry our cookie as its sequence number, a quoted SCTP INIT the
 *    verification tag 0 of an INIT and, when the quote reaches it, our cookie as its
 *    Initiate Tag. A quoted UDP datagram has only the target check.
 *  - SCTP to our port with verification tag == cookie: INIT ACK -> open, ABORT -> closed.
 *  - ARP reply (--arp only) from an address we scanned, to our address -> up arp 0 + MAC.
 *  - Other IP protocols (`O:n`, internal port 196864 + n). masscan 1.3.2 sends no such probe
 *    and HEAD's receive handler for them is empty, so masscan reports nothing; we follow
 *    nmap's protocol scan (-sO), which users know, with masscan's record shape (ip_proto n,
 *    port n, internal port 196864 + n):
 *      - ICMP protocol unreachable (type 3 code 2; RFC 792: "the designated transport
 *        protocol module ... is not active") or ICMPv6 parameter problem code 1
 *        ("unrecognized Next Header type", RFC 4443 §3.4, pointing at our header's next
 *        header field) quoting our probe -> closed;
 *      - ICMP port unreachable quoting our probe (the protocol's module exists and found no
 *        listener, e.g. GRE without a matching tunnel) -> open;
 *      - any packet of protocol n from a scanned address to us, when n is scanned -> open.
 *    The quoted probe must carry our cookie: its IPv4 identification or its IPv6 flow label
 *    (template.ts); the "any packet" rule has no cookie to check (we cannot parse every
 *    protocol), so it needs n among the scanned protocols and the sender among the targets.
 *    Protocols 0, 1, 6, 17, 58 and 132 are never reported this way: a record's ip_proto is
 *    the only protocol field the output formats have, and these numbers mean ARP, ICMP,
 *    TCP, UDP, ICMPv6 and SCTP there (a Linux target drops their empty probes anyway, except
 *    SCTP without the sctp module: protocol unreachable, seen in the lab).
 *    NOTE: a middlebox that rewrites the IPv4 identification (some NATs and scrubbing
 *    firewalls do) hides the closed/open verdicts that rest on a quote.
 * Everything is deduplicated on (their address, internal port, status): a target reported
 * once per status, however many replies and retries.
 *
 * Frames the decoder cannot model all the way still answer these probes: a packet of an IP
 * protocol it does not know ('unsupported'), and an ICMP error quoting an O: probe, which
 * carries 0 or 4 bytes after its IP header where the decoder wants 8 ('truncated'). The
 * receiver hands those to `classifyPartial`, which reads the quote itself, bounds-checked.
 *
 * The per-frame path allocates nothing (ARP/NDP answers excepted, see responder.ts).
 */
import type { PortRange, Range4 } from '../core/config.js';
import type { FrameRing, RecordRing } from './ring.js';
import { R } from './ring.js';
import { CookieKey, ICMP_ECHO_PORT, cookie4, cookie6 } from '../crypto/cookie.js';
import { DedupTable } from './dedup.js';
import { Responder } from '../link/responder.js';
import { ICMP_TIMESTAMP_REPLY, TcpTemplate4, TcpTemplate6, ipv6Bytes, ipv6Words, synPayload } from './template.js';
import { PORT_ARP, PORT_ICMP_TIMESTAMP, PORT_OPROTO_BASE, PORT_SCTP_BASE, PORT_UDP_BASE } from '../target/ports.js';
import { Decoded, decodeFrame, type DecodeResult } from '../wire/decode.js';
import { IpProtocol } from '../wire/ip.js';
import { TcpFlags, type TcpOption } from '../wire/tcp.js';
import { SctpChunkType } from '../wire/sctp.js';
import { getI32, getU16, getU32 } from '../wire/bytes.js';
import type { Range6 } from '../core/config.js';
import { buildPayloadTable, type UdpPayloadEntry } from './udp-payloads.js';
import { ipv6ToWords } from '../target/ipv6.js';
import { RangeList4, RangeList6 } from '../target/range-list.js';
import { BannerEngine, type BannerFound, type BannerSetup } from './banner-engine.js';
import { SegmentBuilder4, SegmentBuilder6 } from './segment.js';

/** Record ring: kinds (word R.KIND). */
export const RecordKind = { STATUS: 1 } as const;
/** Record ring: statuses (word R.STATUS). */
export const RecStatus = { OPEN: 1, CLOSED: 2, UP: 3 } as const;

/** Internal port bases (target/ports.ts encoding). */
const UDP_BASE = PORT_UDP_BASE;
const SCTP_BASE = PORT_SCTP_BASE;
const ARP_PORT = PORT_ARP;
/** ICMP timestamp (`I:1`) and the first other-protocol port (`O:0`). */
export const ICMP_TIMESTAMP_PORT = PORT_ICMP_TIMESTAMP;
export const OPROTO_PORT_BASE = PORT_OPROTO_BASE;

const ARP_REPLY = 2;
const ICMP4_ECHO_REPLY = 0;
const ICMP4_UNREACH = 3;
const ICMP4_PROTO_UNREACH = 2;
const ICMP4_PORT_UNREACH = 3;
const ICMP6_ECHO_REPLY = 129;
const ICMP6_UNREACH = 1;
const ICMP6_PORT_UNREACH = 4;
const ICMP6_PARAM_PROBLEM = 4;
const ICMP6_UNRECOGNIZED_NEXT_HEADER = 1;
/** Offset of the next-header field in an IPv6 header: a parameter problem's pointer for us. */
const IP6_NEXT_HEADER_OFF = 6;
const IP4_HEADER = 20;
const IP6_HEADER = 40;

/** The scan's constants the classifier needs. Plain data: posted to the receive worker. */
export interface ClassifyContext {
  /** Our IPv4 source range (inclusive), or undefined when the scan has no IPv4 source. */
  readonly ip4Begin: number;
  readonly ip4End: number;
  readonly has4: boolean;
  /** Our IPv6 source address as four words (most significant first). */
  readonly ip6: Uint32Array;
  readonly has6: boolean;
  /** Our source ports (inclusive). */
  readonly portBegin: number;
  readonly portEnd: number;
  /** --arp: report ARP replies from scanned addresses. */
  readonly arpscan: boolean;
  /**
   * --data-length: bytes of data our SYNs carry. A reply may acknowledge them too (the SYN
   * takes one sequence number, each data byte one more): ack = cookie + 1 + this, or only
   * the SYN: ack = cookie + 1.
   */
  readonly dataLength: number;
  /**
   * Sorted, merged inclusive IPv4 target ranges as [begin0, end0, begin1, end1, ...]: replies
   * count only from these (ICMP errors only about these).
   */
  readonly targets4: Uint32Array;
  /** Scanned other IP protocols (`O:n`): oprotos[n] === 1; nothing about n counts otherwise. */
  readonly oprotos: Uint8Array;
  /**
   * Sorted, merged inclusive IPv6 target ranges, 8 words per range (begin then end, four
   * words each, most significant first). Empty: no IPv6 reply counts.
   */
  readonly targets6: Uint32Array;
  /**
   * The scanned TCP, UDP and SCTP ports as bitmaps (bit p of word p >>> 5; 2,048 words each):
   * a reply counts only from a port that was probed, over that protocol.
   */
  readonly tcpPorts: Uint32Array;
  readonly udpPorts: Uint32Array;
  readonly sctpPorts: Uint32Array;
  /** `I:0` (echo) and `I:1` (timestamp) are scanned. */
  readonly icmpEcho: boolean;
  readonly icmpTimestamp: boolean;
  /**
   * UDP ports whose probe carries the cookie in a field the reply echoes, ascending, with
   * how the reply echoes it (`UdpEcho`) and the field's offset in the reply's payload.
   */
  readonly udpEchoPorts: Int32Array;
  readonly udpEchoRule: Uint8Array;
  readonly udpEchoOff: Int32Array;
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

const SNMP_PORT = 161;
const L2TP_PORT = 1701;

function hasPort(bits: Uint32Array, p: number): boolean {
  return (bits[p >>> 5] & (1 << (p & 31))) !== 0;
}

/** Is the sender of the decoded packet a target of the plan (its address only)? */
function fromTarget(c: ClassifyContext, d: Decoded, v4: boolean): boolean {
  return v4 ? inRanges4(c.targets4, d.src) : inRanges6(c.targets6, d.src6);
}

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

/** What `classify` concluded; one instance reused per receive thread. */
export class Verdict {
  /** 0 nothing to report; 1 a status record. */
  kind = 0;
  version = 4;
  /** Their address: IPv4 in ip[0], IPv6 in ip[0..3]. */
  readonly ip = new Uint32Array(4);
  /** IP protocol of the record (6, 17, 132, 1, 58, 0 for ARP). */
  proto = 0;
  /** Plain port (0 for ICMP/ARP) and masscan's internal port (dedup key). */
  port = 0;
  internalPort = 0;
  status = 0;
  /** TCP flags of the reply (0 otherwise). */
  reason = 0;
  ttl = 0;
  /** ARP: offset of the sender MAC in the frame; -1 otherwise. */
  macOff = -1;
  /** A valid SYN-ACK: send a RST (unless --noreset) with these fields. */
  rst = false;
  /** Our address (v4) and port the reply came to; the RST's sequence number (their ack). */
  myIp = 0;
  myPort = 0;
  rstSeq = 0;
}

function isOurPort(c: ClassifyContext, p: number): boolean {
  return p >= c.portBegin && p <= c.portEnd;
}

function isOurIp4(c: ClassifyContext, ip: number): boolean {
  return c.has4 && ((ip - c.ip4Begin) >>> 0) <= ((c.ip4End - c.ip4Begin) >>> 0);
}

function isOurIp6(c: ClassifyContext, w: Uint32Array): boolean {
  const m = c.ip6;
  return c.has6 && w[0] === m[0] && w[1] === m[1] && w[2] === m[2] && w[3] === m[3];
}

/** Compare the address r[o..o+3] with w[0..3] (u32 words, most significant first): -1, 0, 1. */
function cmp6(r: Uint32Array, o: number, w: Uint32Array): number {
  for (let i = 0; i < 4; i++) {
    const a = r[o + i], b = w[i];
    if (a !== b) return a < b ? -1 : 1;
  }
  return 0;
}

/** Is the IPv6 address w (four words) inside one of the ranges of `r` (8 words per range, sorted, disjoint)? */
export function inRanges6(r: Uint32Array, w: Uint32Array): boolean {
  let lo = 0;
  let hi = (r.length >>> 3) - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    if (cmp6(r, 8 * mid, w) > 0) hi = mid - 1;
    else if (cmp6(r, 8 * mid + 4, w) < 0) lo = mid + 1;
    else return true;
  }
  return false;
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

/** Branch-light binary search: is ip inside one of the [begin, end] pairs? */
export function inRanges4(r: Uint32Array, ip: number): boolean {
  let lo = 0;
  let hi = (r.length >>> 1) - 1;
  const x = ip >>> 0;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    if (x < r[2 * mid]) hi = mid - 1;
    else if (x > r[2 * mid + 1]) lo = mid + 1;
    else return true;
  }
  return false;
}

function setTheirs4(v: Verdict, ip: number): void {
  v.version = 4;
  v.ip[0] = ip; v.ip[1] = 0; v.ip[2] = 0; v.ip[3] = 0;
}

function setTheirs6(v: Verdict, w: Uint32Array): void {
  v.version = 6;
  v.ip[0] = w[0]; v.ip[1] = w[1]; v.ip[2] = w[2]; v.ip[3] = w[3];
}

/**
 * Classify a frame already decoded 'ok' into `d` (buf is the frame's buffer). A pure function
 * of (bytes, context, key): writes `v` and returns v.kind.
 */
export function classify(buf: Uint8Array, d: Decoded, c: ClassifyContext, key: CookieKey, v: Verdict): number {
  v.kind = 0;
  v.rst = false;
  v.macOff = -1;
  v.reason = 0;
  if (d.ipVersion === 0) {
    // ARP: only replies, only in --arp mode, only to our address, only from a target.
    if (c.arpscan && d.arpOp === ARP_REPLY && isOurIp4(c, d.arpTargetIp) && inRanges4(c.targets4, d.arpSenderIp)) {
      setTheirs4(v, d.arpSenderIp);
      v.proto = 0; v.port = 0; v.internalPort = ARP_PORT; v.status = RecStatus.UP; v.ttl = 0;
      v.macOff = d.arpSenderMacOff;
      v.kind = RecordKind.STATUS;
    }
    return v.kind;
  }
  const v4 = d.ipVersion === 4;
  if (v4 ? !isOurIp4(c, d.dst) : !isOurIp6(c, d.dst6)) return 0;
  v.ttl = d.ttl;
  switch (d.proto) {
    case IpProtocol.TCP: {
      if (!isOurPort(c, d.dstPort)) return 0;
      const f = d.tcpFlags;
      const synAck = (f & (TcpFlags.SYN | TcpFlags.ACK | TcpFlags.RST)) === (TcpFlags.SYN | TcpFlags.ACK);
      const rst = (f & TcpFlags.RST) !== 0;
      if (!synAck && !rst) return 0;
      if (!hasPort(c.tcpPorts, d.srcPort) || !fromTarget(c, d, v4)) return 0;
      const ck = v4
        ? cookie4(key, d.src, d.srcPort, d.dst, d.dstPort)
        : cookie6(key, d.src6, 0, d.dst6, 0, d.srcPort, d.dstPort);
      // With --data-length the SYN carries data. RFC 9293 §3.10.7.2: a SYN's data may be
      // queued "for processing after the ESTABLISHED state has been reached", so a listener
      // may ack only the SYN (Linux without TCP Fast Open: ack = cookie + 1) or the data too
      // (a RST from a closed port acks it all: ack = cookie + 1 + data length). Both count.
      const over = (d.tcpAck - 1 - ck) >>> 0;
      if (over !== 0 && over !== c.dataLength) return 0;
      if (v4) setTheirs4(v, d.src); else setTheirs6(v, d.src6);
      v.proto = IpProtocol.TCP; v.port = d.srcPort; v.internalPort = d.srcPort;
      v.status = synAck ? RecStatus.OPEN : RecStatus.CLOSED;
      v.reason = f & 0xff;
      if (synAck) {
        v.rst = true;
        v.myIp = d.dst; v.myPort = d.dstPort; v.rstSeq = d.tcpAck;
      }
      v.kind = RecordKind.STATUS;
      return v.kind;
    }
    case IpProtocol.UDP: {
      if (!isOurPort(c, d.dstPort)) return 0;
      if (!hasPort(c.udpPorts, d.srcPort) || !fromTarget(c, d, v4)) return 0;
      const e = udpEchoIndex(c, d.srcPort);
      if (e >= 0) {
        const ck = v4
          ? cookie4(key, d.src, UDP_BASE + d.srcPort, d.dst, d.dstPort)
          : cookie6(key, d.src6, 0, d.dst6, 0, UDP_BASE + d.srcPort, d.dstPort);
        if (!udpReplyEchoes(buf, d.payloadOff, d.payloadLen, c.udpEchoRule[e], c.udpEchoOff[e], ck)) return 0;
      }
      if (v4) setTheirs4(v, d.src); else setTheirs6(v, d.src6);
      v.proto = IpProtocol.UDP; v.port = d.srcPort; v.internalPort = UDP_BASE + d.srcPort;
      v.status = RecStatus.OPEN;
      v.kind = RecordKind.STATUS;
      return v.kind;
    }
    case IpProtocol.SCTP: {
      if (!isOurPort(c, d.dstPort)) return 0;
      const t = d.sctpChunkType;
      if (t !== SctpChunkType.INIT_ACK && t !== SctpChunkType.ABORT) return 0;
      if (!hasPort(c.sctpPorts, d.srcPort) || !fromTarget(c, d, v4)) return 0;
      const internal = SCTP_BASE + d.srcPort;
      const ck = v4
        ? cookie4(key, d.src, internal, d.dst, d.dstPort)
        : cookie6(key, d.src6, 0, d.dst6, 0, internal, d.dstPort);
      if ((d.sctpVtag >>> 0) !== ck) return 0;
      if (v4) setTheirs4(v, d.src); else setTheirs6(v, d.src6);
      v.proto = IpProtocol.SCTP; v.port = d.srcPort; v.internalPort = internal;
      v.status = t === SctpChunkType.INIT_ACK ? RecStatus.OPEN : RecStatus.CLOSED;
      v.kind = RecordKind.STATUS;
      return v.kind;
    }
    case IpProtocol.ICMP:
    case IpProtocol.ICMPV6:
      return classifyIcmp(buf, d, c, key, v, v4, true);
    default:
      return 0;
  }
}

/**
 * The ICMP/ICMPv6 part of classify. `complete`: the decoder said 'ok' (echo fields and the
 * quoted ports are valid); false: it said 'truncated' (only type and code are, and only a
 * quote of an other-protocol probe can still be judged, from the bytes).
 */
function classifyIcmp(buf: Uint8Array, d: Decoded, c: ClassifyContext, key: CookieKey, v: Verdict, v4: boolean, complete: boolean): number {
  const type = d.icmpType, code = d.icmpCode;
  if (type < 0) return 0;
  if (complete) {
    const echoReply = v4 ? type === ICMP4_ECHO_REPLY : type === ICMP6_ECHO_REPLY;
    if (echoReply) {
      if (code !== 0 || d.icmpId < 0 || !c.icmpEcho || !fromTarget(c, d, v4)) return 0;
      const ck = v4
        ? cookie4(key, d.src, ICMP_ECHO_PORT, d.dst, 0)
        : cookie6(key, d.src6, 0, d.dst6, 0, ICMP_ECHO_PORT, 0);
      if ((((d.icmpId << 16) | d.icmpSeq) >>> 0) !== ck) return 0;
      if (v4) setTheirs4(v, d.src); else setTheirs6(v, d.src6);
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
      const ck = cookie4(key, d.src, ICMP_TIMESTAMP_PORT, d.dst, 0);
      if (((getU16(buf, t + 4) << 16) | getU16(buf, t + 6)) !== (ck | 0)) return 0;
      setTheirs4(v, d.src);
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
      ? cookie4(key, d.innerDst, internal, d.innerSrc, d.innerSrcPort)
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
    // (template.ts), 16 bytes into the SCTP packet: checked when the quote reaches it (Linux
    // and RFC 1812 routers quote far more than RFC 792's 8 bytes).
    if (d.innerSeq !== 0) return 0;
    const it = v4 ? d.transportOff + 8 + ((buf[d.transportOff + 8] & 0x0f) << 2) : d.upper.offset;
    if (it + 20 <= d.ipEnd && d.ipEnd <= buf.length && buf[it + 12] === SctpChunkType.INIT) {
      const ck = v4
        ? cookie4(key, d.innerDst, internal, d.innerSrc, d.innerSrcPort)
        : cookie6(key, d.innerDst6, 0, d.innerSrc6, 0, internal, d.innerSrcPort);
      if ((getI32(buf, it + 16) >>> 0) !== ck) return 0;
    }
  }
  if (v4) setTheirs4(v, d.innerDst); else setTheirs6(v, d.innerDst6);
  v.proto = ip; v.port = d.innerDstPort; v.internalPort = internal;
  v.status = RecStatus.CLOSED;
  v.kind = RecordKind.STATUS;
  return v.kind;
}

/**
 * An ICMP(v6) error at d.transportOff quoting one of our other-protocol probes -> `status`
 * for that protocol at the quoted destination. Reads the quote from `buf` inside
 * [transportOff + 8, ipEnd), every read bounds-checked first (the decoder may have stopped
 * short of it). The quote must be an IP header from our address to a target, of a scanned
 * and reportable protocol, whose IPv4 identification / IPv6 flow label holds the probe's cookie.
 */
function oprotoFromQuote(buf: Uint8Array, d: Decoded, c: ClassifyContext, key: CookieKey, v: Verdict, status: number): number {
  const t = d.transportOff;
  const end = d.ipEnd;
  if (t < 0 || end > buf.length) return 0;
  const q = t + 8;
  let n: number;
  if (d.ipVersion === 4) {
    if (q + IP4_HEADER > end) return 0;
    if (buf[q] >>> 4 !== 4 || (buf[q] & 0x0f) < 5) return 0;
    n = buf[q + 9];
    if (!oprotoReportable(n)) return 0;
    const me = getI32(buf, q + 12) >>> 0;
    if (!isOurIp4(c, me)) return 0;
    const them = getI32(buf, q + 16) >>> 0;
    if (c.oprotos[n] !== 1 || !inRanges4(c.targets4, them)) return 0;
    const ck = cookie4(key, them, OPROTO_PORT_BASE + n, me, 0);
    if (((them ^ n ^ ck) & 0xffff) !== getU16(buf, q + 4)) return 0;
    setTheirs4(v, them);
  } else {
    if (q + IP6_HEADER > end || !c.has6) return 0;
    if (buf[q] >>> 4 !== 6) return 0;
    // RFC 4443 §3.4: "Pointer: Identifies the octet offset within the invoking packet where
    // the error was detected": our probes have no extension headers, so it must name the
    // fixed header's next-header field, else the complaint is about something else.
    if (status === RecStatus.CLOSED && (getU16(buf, t + 4) !== 0 || getU16(buf, t + 6) !== IP6_NEXT_HEADER_OFF)) return 0;
    n = buf[q + 6];
    if (!oprotoReportable(n)) return 0;
    const me = c.ip6;
    for (let i = 0; i < 4; i++) if (getI32(buf, q + 8 + 4 * i) !== (me[i] | 0)) return 0;
    const them = v.ip;
    for (let i = 0; i < 4; i++) them[i] = getI32(buf, q + 24 + 4 * i);
    if (c.oprotos[n] !== 1 || !inRanges6(c.targets6, them)) return 0;
    const ck = cookie6(key, them, 0, me, 0, OPROTO_PORT_BASE + n, 0);
    const flow = ((buf[q + 1] & 0x0f) << 16) | getU16(buf, q + 2);
    if (flow !== (ck & 0xfffff)) return 0;
    v.version = 6;
  }
  v.proto = n; v.port = n; v.internalPort = OPROTO_PORT_BASE + n;
  v.status = status;
  v.kind = RecordKind.STATUS;
  return v.kind;
}

/**
 * Classify a frame the decoder did not finish (`r` is its result, `d` what it filled before
 * stopping): 'unsupported' (an IP protocol it does not model: an other-protocol answer
 * when that protocol is scanned and the sender is a target) or 'truncated' (an ICMP error
 * whose quote is shorter than IP header + 8 bytes: our O: probes). Anything else -> 0.
 * Pure, allocation-free, never throws, reads only inside the decoded IP datagram.
 */
export function classifyPartial(buf: Uint8Array, r: DecodeResult, d: Decoded, c: ClassifyContext, key: CookieKey, v: Verdict): number {
  v.kind = 0;
  v.rst = false;
  v.macOff = -1;
  v.reason = 0;
  if (r !== 'unsupported' && r !== 'truncated') return 0;
  const ver = d.ipVersion;
  if (ver !== 4 && ver !== 6) return 0;
  const v4 = ver === 4;
  if (v4 ? !isOurIp4(c, d.dst) : !isOurIp6(c, d.dst6)) return 0;
  v.ttl = d.ttl;
  const n = d.proto;
  if (n === (v4 ? IpProtocol.ICMP : IpProtocol.ICMPV6)) {
    return r === 'truncated' ? classifyIcmp(buf, d, c, key, v, v4, false) : 0;
  }
  if (r !== 'unsupported' || d.transportOff < 0 || !oprotoReportable(n)) return 0;
  if (c.oprotos[n] !== 1 || !fromTarget(c, d, v4)) return 0;
  if (v4) setTheirs4(v, d.src); else setTheirs6(v, d.src6);
  v.proto = n; v.port = n; v.internalPort = OPROTO_PORT_BASE + n;
  v.status = RecStatus.OPEN;
  v.kind = RecordKind.STATUS;
  return v.kind;
}

/** classify for a frame decoded 'ok', classifyPartial for the rest: what the Receiver runs. */
export function classifyFrame(buf: Uint8Array, r: DecodeResult, d: Decoded, c: ClassifyContext, key: CookieKey, v: Verdict): number {
  return r === 'ok' ? classify(buf, d, c, key, v) : classifyPartial(buf, r, d, c, key, v);
}

// ---------------------------------------------------------------------------------------
// The stateful receiver: decode -> answer ARP/NDP -> classify -> dedup -> record / RST.
// ---------------------------------------------------------------------------------------

/** Counters of a receiver, published to the main thread for the status line and tests. */
export class ReceiveCounters {
  frames = 0;
  undecodable = 0;
  /** Valid replies (before dedup). */
  valid = 0;
  duplicates = 0;
  records = 0;
  /** Records lost because the record ring stayed full. */
  recordDrops = 0;
  /** Open/up records (after dedup): the status line's found=. */
  found = 0;
  rstQueued = 0;
  answersQueued = 0;
  /** Frames for the transmit side lost because the frame ring stayed full. */
  frameDrops = 0;
  /** Decoded frames that are no reply to us (classify: address, port, target or cookie check failed). */
  refused = 0;
  /** Segments of banner connections (--banners), handed to the TCP stack. */
  segments = 0;
}

/**
 * -d / --debug-level: what the receive side did with the frames the kernel gave it, with
 * counts (printed on stderr when the receive thread ends). Every frame lands in exactly one
 * of replies, refused, undecodable, answered and segments.
 */
export function receiveDebugLines(c: ReceiveCounters, kernelDrops: number): string {
  return `[debug] receive: ${c.frames} frames: ${c.valid} replies (${c.duplicates} duplicates, ${c.records} records), ` +
    `${c.refused} refused (not to our address/port, not from a target or scanned port, or a wrong cookie), ` +
    `${c.undecodable} undecodable, ${c.answersQueued} ARP/NDP answered, ${c.segments} banner-connection segments\n` +
    `[debug] receive: lost: ${kernelDrops} frames in the kernel ring, ${c.recordDrops} records (record ring full), ` +
    `${c.frameDrops} frames to send (frame ring full); ${c.rstQueued} RSTs queued\n`;
}

/** Something that keeps received frames (--pcap). */
export interface FrameSink {
  writeFrame(buf: Uint8Array, off: number, len: number, tsSec: number, tsNsec: number): void;
}

export interface ReceiverParts {
  readonly ctx: ClassifyContext;
  readonly key: CookieKey;
  readonly records: RecordRing;
  /** Where RSTs and ARP/NDP answers go; null: nothing is sent back (--offline). */
  readonly frames: FrameRing | null;
  readonly responder: Responder | null;
  /** RST builders (null with --noreset or without that family). */
  readonly rst4: TcpTemplate4 | null;
  readonly rst6: TcpTemplate6 | null;
  /** Unix seconds, for records of frames without a kernel timestamp. */
  readonly wallClock: () => number;
  readonly pcap: FrameSink | null;
  /** --banners: the TCP stack's host, which opens a connection on each valid SYN-ACK. */
  readonly banners: BannerEngine | null;
  /** Monotonic milliseconds (the TCP stack's clock). */
  readonly nowMs: () => number;
}

export class Receiver {
  readonly counters = new ReceiveCounters();
  private readonly d = new Decoded();
  private readonly v = new Verdict();
  private readonly dedup = new DedupTable();
  private readonly scratch = new Uint8Array(2048);
  private pendingPublish = false;
  /** Bound onFrame, created once (RxChannel.poll takes a callback). */
  readonly onFrame: (buf: Uint8Array, off: number, len: number, tsSec: number, tsNsec: number) => void;

  constructor(private readonly p: ReceiverParts) {
    this.onFrame = (buf, off, len, tsSec, tsNsec) => this.handle(buf, off, len, tsSec, tsNsec);
  }

  /** Handle one frame. */
  handle(buf: Uint8Array, off: number, len: number, tsSec: number, tsNsec: number): void {
    const c = this.counters;
    c.frames++;
    const p = this.p;
    const d = this.d;
    const v = this.v;
    const r = decodeFrame(buf, off, len, d);
    if (r !== 'ok') {
      // Not modelled all the way, yet possibly an answer to an O: probe (classifyPartial).
      if (classifyPartial(buf, r, d, p.ctx, p.key, v) === 0) {
        c.undecodable++;
        return;
      }
    } else {
      if (p.responder !== null && p.frames !== null) {
        const n = p.responder.answer(buf, d, this.scratch);
        if (n > 0) {
          if (p.frames.push(this.scratch, 0, n)) c.answersQueued++;
          else c.frameDrops++;
          return;
        }
      }
      // A segment of a banner connection (data, ACK, FIN, RST) goes to the TCP stack.
      if (p.banners !== null && d.proto === IpProtocol.TCP && p.banners.segment(buf, d, p.nowMs())) {
        c.segments++;
        if (p.pcap !== null) p.pcap.writeFrame(buf, off, len, tsSec, tsNsec);
        return;
      }
      if (classify(buf, d, p.ctx, p.key, v) === 0) {
        c.refused++;
        return;
      }
    }
    c.valid++;
    // --pcap keeps the replies: what passed the checks above (as masscan writes the frames
    // it records), not the ARP/NDP we answer nor the strays the filter let through.
    if (p.pcap !== null) p.pcap.writeFrame(buf, off, len, tsSec, tsNsec);
    if (v.rst) {
      // A valid SYN-ACK: with --banners the stack completes the connection (duplicates are
      // re-ACKed); else it is reset, as masscan does.
      if (p.banners !== null) p.banners.synAck(buf, d, p.nowMs());
      else if (p.frames !== null) this.queueRst(v);
    }
    const dup = v.version === 4
      ? this.dedup.seen4(v.ip[0], v.internalPort, v.status, 0)
      : this.dedup.seen6(v.ip, 0, v.internalPort, v.ip, 0, v.status);
    if (dup) {
      c.duplicates++;
      return;
    }
    this.push(buf, tsSec);
    // --banners: a UDP reply's payload is its banner (the first reply of each port; an ICMP
    // error quoting our datagram has d.proto ICMP and no payload of theirs).
    if (p.banners !== null && r === 'ok' && d.proto === IpProtocol.UDP && v.proto === IpProtocol.UDP) p.banners.udpReply(buf, d);
  }

  private queueRst(v: Verdict): void {
    const p = this.p;
    const s = this.scratch;
    let n = 0;
    if (v.version === 4) {
      if (p.rst4 === null) return;
      p.rst4.writeBase(s, 0);
      n = p.rst4.patch(s, 0, v.myIp, v.ip[0], v.port, v.myPort, v.rstSeq);
    } else {
      if (p.rst6 === null) return;
      p.rst6.writeBase(s, 0);
      n = p.rst6.patch(s, 0, v.ip, 0, v.port, v.myPort, v.rstSeq);
    }
    if (p.frames !== null && p.frames.push(s, 0, n)) this.counters.rstQueued++;
    else this.counters.frameDrops++;
  }

  private push(buf: Uint8Array, tsSec: number): void {
    const ring = this.p.records;
    let off = ring.reserve();
    if (off < 0) {
      // Let the main thread drain: publish what we have, wait a little, try once more.
      ring.publish();
      ring.waitForSpace(20);
      off = ring.reserve();
      if (off < 0) {
        this.counters.recordDrops++;
        return;
      }
    }
    const v = this.v;
    const w = ring.data;
    w[off + R.KIND] = RecordKind.STATUS;
    w[off + R.TIME] = tsSec > 0 ? tsSec : this.p.wallClock();
    w[off + R.VERSION] = v.version;
    w[off + R.IP0] = v.ip[0]; w[off + R.IP1] = v.ip[1]; w[off + R.IP2] = v.ip[2]; w[off + R.IP3] = v.ip[3];
    w[off + R.PROTO] = v.proto;
    w[off + R.PORT] = v.port;
    w[off + R.STATUS] = v.status;
    w[off + R.REASON] = v.reason;
    w[off + R.TTL] = v.ttl;
    if (v.macOff >= 0) {
      w[off + R.MAC_HI] = getU16(buf, v.macOff);
      w[off + R.MAC_LO] = getU32(buf, v.macOff + 2);
      w[off + R.AUX0] = 1;
    } else {
      w[off + R.MAC_HI] = 0; w[off + R.MAC_LO] = 0; w[off + R.AUX0] = 0;
    }
    this.counters.records++;
    if (v.status !== RecStatus.CLOSED) this.counters.found++;
    this.pendingPublish = true;
  }

  /** Run the TCP stack's timers (hello timeouts, retransmissions, connection timeouts). */
  tick(): void {
    const b = this.p.banners;
    if (b !== null) b.poll(this.p.nowMs());
  }

  /** The scan is over: end every banner connection, so its banners are emitted. */
  closeConnections(): void {
    const b = this.p.banners;
    if (b !== null) b.closeAll(this.p.nowMs());
  }

  /** Make the records of this poll visible (once per poll, not per record). */
  flush(): void {
    if (this.pendingPublish) {
      this.p.records.publish();
      this.pendingPublish = false;
    }
  }
}

// ---------------------------------------------------------------------------------------
// Set-up shared by the receive worker and the in-process (test) engine.
// ---------------------------------------------------------------------------------------

/** Everything a receive worker needs (plain, structured-cloneable). */
export interface ReceiveSetup {
  readonly seed: bigint;
  readonly src4: Range4 | undefined;
  readonly src6: bigint | undefined;
  readonly srcPort: PortRange;
  readonly srcMac: Uint8Array;
  readonly routerMac4: Uint8Array;
  readonly routerMac6: Uint8Array;
  readonly vlan: number | undefined;
  readonly ttl: number;
  /** Answer ARP / NDP for our source addresses (spoofed). */
  readonly answer4: boolean;
  readonly answer6: boolean;
  readonly noreset: boolean;
  readonly arpscan: boolean;
  /** IPv4 targets: replies count only from these (and quotes only about these). */
  readonly targets4: readonly Range4[];
  /** IPv6 targets, likewise. */
  readonly targets6: readonly Range6[];
  /**
   * The scan's ports (internal encoding, target/ports.ts): a reply counts only from a
   * scanned port of its protocol (and an ICMP query or an `O:n` only when scanned).
   */
  readonly ports: readonly PortRange[];
  /**
   * The --nmap-payloads / --pcap-payloads entries the transmitters were given: they replace
   * built-in payloads (and their cookies) on their ports. Absent: none (the built-ins).
   */
  readonly udpPayloads?: readonly UdpPayloadEntry[] | undefined;
  /** --banners: complete connections and grab banners. Absent: SYN-ACKs are reset. */
  readonly banners?: BannerSetup | undefined;
  /** --data-length of the SYNs (their replies acknowledge it). Absent: 0. */
  readonly dataLength?: number | undefined;
  /**
   * The TCP options of the scan's SYNs (--tcp-mss, --tcp-wscale, --tcp-sackok, --tcp-tsecho).
   * Our RSTs carry them too, as masscan's RST is built from the SYN's template (reference
   * §6.2: "same options"), and so do the banner stack's reconnect SYNs (with the SYN's data).
   * Absent: the default template's (MSS 1460).
   */
  readonly tcpOptions?: readonly TcpOption[] | undefined;
  /** --bpf: a tcpdump expression frames must also match (rx-worker compiles it). */
  readonly bpf?: string | undefined;
  /** --packet-trace: the receive worker prints a RCVD line per accepted reply. */
  readonly packetTrace?: boolean | undefined;
  /** -d / --debug-level: above 0, the receive worker prints receiveDebugLines when it ends. */
  readonly debug?: number | undefined;
}

/** A 65,536-bit bitmap of the plain ports in [base, base + 65535] among `ports`. */
function portBitmap(ports: readonly PortRange[], base: number): Uint32Array {
  const bits = new Uint32Array(2048);
  for (const r of ports) {
    const b = Math.max(r.begin, base), e = Math.min(r.end, base + 0xffff);
    for (let p = b; p <= e; p++) bits[(p - base) >>> 5] |= 1 << ((p - base) & 31);
  }
  return bits;
}

function scans(ports: readonly PortRange[], p: number): boolean {
  return ports.some((r) => r.begin <= p && p <= r.end);
}

/** IPv6 ranges -> sorted, merged (RangeList6 does both), 8 words per range (see ClassifyContext.targets6). */
export function ranges6Words(rs: readonly Range6[]): Uint32Array {
  const merged = RangeList6.fromRanges(rs).ranges();
  const out = new Uint32Array(8 * merged.length);
  merged.forEach((r, k) => { ipv6ToWords(r.begin, out, 8 * k); ipv6ToWords(r.end, out, 8 * k + 4); });
  return out;
}

/**
 * IPv4 ranges -> sorted, merged (RangeList4 does both), [begin, end] per range (see
 * ClassifyContext.targets4). inRanges4's binary search needs them merged: sorted alone,
 * 10.0.0.80 would be missed in [10.0.0.0-10.0.0.100, 10.0.0.10-10.0.0.20, 10.0.0.50-10.0.0.60].
 */
export function ranges4Words(rs: readonly Range4[]): Uint32Array {
  const merged = RangeList4.fromRanges(rs).ranges();
  const out = new Uint32Array(2 * merged.length);
  merged.forEach((r, k) => { out[2 * k] = r.begin; out[2 * k + 1] = r.end; });
  return out;
}

export function classifyContext(s: ReceiveSetup): ClassifyContext {
  const oprotos = new Uint8Array(256);
  for (const r of s.ports) {
    const b = Math.max(r.begin, OPROTO_PORT_BASE), e = Math.min(r.end, OPROTO_PORT_BASE + 255);
    for (let p = b; p <= e; p++) oprotos[p - OPROTO_PORT_BASE] = 1;
  }
  const udpPorts = portBitmap(s.ports, UDP_BASE);
  // The payload table the transmitters use: which scanned UDP ports carry a cookie, and where.
  const table = buildPayloadTable(s.udpPayloads ?? []);
  const echo = table.entries().filter((e) => e.cookie !== 'none' && hasPort(udpPorts, e.port));
  const udpEchoPorts = Int32Array.from(echo, (e) => e.port);
  const udpEchoRule = Uint8Array.from(echo, (e) =>
    e.port === SNMP_PORT ? UdpEcho.SNMP : e.port === L2TP_PORT ? UdpEcho.L2TP : e.cookie === 'id16' ? UdpEcho.ID16_AT : UdpEcho.INT31_AT);
  const udpEchoOff = Int32Array.from(echo, (e) => e.echoOffset ?? e.cookieOffset);
  return {
    oprotos,
    targets6: ranges6Words(s.targets6),
    tcpPorts: portBitmap(s.ports, 0),
    udpPorts,
    sctpPorts: portBitmap(s.ports, SCTP_BASE),
    icmpEcho: scans(s.ports, ICMP_ECHO_PORT),
    icmpTimestamp: scans(s.ports, ICMP_TIMESTAMP_PORT),
    udpEchoPorts, udpEchoRule, udpEchoOff,
    ip4Begin: s.src4?.begin ?? 0,
    ip4End: s.src4?.end ?? 0,
    has4: s.src4 !== undefined,
    ip6: s.src6 !== undefined ? ipv6Words(s.src6) : new Uint32Array(4),
    has6: s.src6 !== undefined,
    portBegin: s.srcPort.begin,
    portEnd: s.srcPort.end,
    arpscan: s.arpscan,
    dataLength: s.dataLength ?? 0,
    targets4: ranges4Words(s.targets4),
  };
}

/**
 * A Receiver for `s`. `frames` null: nothing is sent back (no RSTs, no ARP answers).
 * `wallClock`: unix seconds for records of frames without a kernel timestamp.
 */
export function buildReceiver(
  s: ReceiveSetup, records: RecordRing, frames: FrameRing | null, wallClock: () => number, pcap: FrameSink | null,
  emitBanner: (b: BannerFound) => void = () => undefined, nowMs: () => number = () => performance.now(),
): Receiver {
  const ctx = classifyContext(s);
  const zeroMac = (m: Uint8Array): boolean => m.every((b) => b === 0);
  const rstTcp = { kind: 'rst' as const, options: s.tcpOptions };
  const rst4 = !s.noreset && frames !== null && s.src4 !== undefined && !zeroMac(s.routerMac4)
    ? new TcpTemplate4({ srcMac: s.srcMac, dstMac: s.routerMac4, vlan: s.vlan, srcIp: s.src4.begin, ttl: s.ttl }, rstTcp)
    : null;
  const rst6 = !s.noreset && frames !== null && s.src6 !== undefined && !zeroMac(s.routerMac6)
    ? new TcpTemplate6({ srcMac: s.srcMac, dstMac: s.routerMac6, vlan: s.vlan, srcIp: ipv6Bytes(s.src6), hopLimit: s.ttl }, rstTcp)
    : null;
  const responder = frames !== null && (s.answer4 || s.answer6)
    ? new Responder({
      mac: s.srcMac, ip4: s.src4, ip6: s.src6 !== undefined ? ipv6Words(s.src6) : undefined,
      answer4: s.answer4, answer6: s.answer6, vlan: s.vlan,
    })
    : null;
  const key = new CookieKey(s.seed);
  const bs = s.banners;
  // The reconnect SYNs are the probes' SYNs: the same options and data.
  const synTcp = { options: s.tcpOptions, payload: (s.dataLength ?? 0) > 0 ? synPayload(s.seed, s.dataLength ?? 0) : undefined };
  const banners = bs !== undefined
    ? new BannerEngine(
      bs,
      s.src4 !== undefined && !zeroMac(s.routerMac4) ? new SegmentBuilder4({ srcMac: s.srcMac, dstMac: s.routerMac4, vlan: s.vlan }, s.ttl) : null,
      s.src6 !== undefined && !zeroMac(s.routerMac6) ? new SegmentBuilder6({ srcMac: s.srcMac, dstMac: s.routerMac6, vlan: s.vlan }, s.ttl) : null,
      frames, emitBanner, wallClock,
      {
        key,
        syn4: s.src4 !== undefined && !zeroMac(s.routerMac4)
          ? new TcpTemplate4({ srcMac: s.srcMac, dstMac: s.routerMac4, vlan: s.vlan, srcIp: s.src4.begin, ttl: s.ttl }, synTcp)
          : null,
        syn6: s.src6 !== undefined && !zeroMac(s.routerMac6)
          ? new TcpTemplate6({ srcMac: s.srcMac, dstMac: s.routerMac6, vlan: s.vlan, srcIp: ipv6Bytes(s.src6), hopLimit: s.ttl }, synTcp)
          : null,
        portBegin: s.srcPort.begin,
        portEnd: s.srcPort.end,
      },
    )
    : null;
  return new Receiver({ ctx, key, records, frames, responder, rst4, rst6, wallClock, pcap, banners, nowMs });
}

