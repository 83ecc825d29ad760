/**
 * The reply classifier of a scan: `classifyFrame` hands a decoded frame to the classifier of
 * its probe kind (tcp-syn, udp, sctp, icmp, ip-proto, arp); `classifyContext` builds the
 * scan's constants they read. Pure and allocation-free per frame.
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
 *    message; masscan's ICMPv6 "type 13" probe is never answered (icmp.ts).
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
 *    (ip-proto.ts); the "any packet" rule has no cookie to check (we cannot parse every
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
 */
import type { PortRange, Range4, Range6 } from '../core/config.js';
import { CookieKey, ICMP_ECHO_PORT } from '../crypto/cookie.js';
import { Decoded, type DecodeResult } from '../wire/decode.js';
import { IpProtocol } from '../wire/ip.js';
import { ipv6ToWords } from '../target/ipv6.js';
import { RangeList4, RangeList6 } from '../target/range-list.js';
import { classifyArp } from './arp.js';
import { ipv6Words } from './frame.js';
import { classifyIcmp } from './icmp.js';
import { classifyOproto } from './ip-proto.js';
import { ClassifyContext, ICMP_TIMESTAMP_PORT, OPROTO_PORT_BASE, SCTP_BASE, UDP_BASE, Verdict, hasPort, isOurIp4, isOurIp6 } from './reply.js';
import { classifySctp } from './sctp.js';
import { classifyTcp } from './tcp-syn.js';
import { buildPayloadTable, type UdpPayloadEntry } from './udp-payloads.js';
import { UdpEcho, classifyUdp, L2TP_PORT, SNMP_PORT } from './udp.js';

/**
 * Classify a frame already decoded 'ok' into `d` (buf is the frame's buffer). A pure function
 * of (bytes, context, key): writes `v` and returns v.kind.
 */
export function classify(buf: Uint8Array, d: Decoded, c: ClassifyContext, key: CookieKey, v: Verdict): number {
  v.kind = 0;
  v.rst = false;
  v.macOff = -1;
  v.reason = 0;
  if (d.ipVersion === 0) return classifyArp(d, c, v);
  const v4 = d.ipVersion === 4;
  if (v4 ? !isOurIp4(c, d.dst) : !isOurIp6(c, d.dst6)) return 0;
  v.ttl = d.ttl;
  switch (d.proto) {
    case IpProtocol.TCP:
      return classifyTcp(buf, d, c, key, v, v4);
    case IpProtocol.UDP:
      return classifyUdp(buf, d, c, key, v, v4);
    case IpProtocol.SCTP:
      return classifySctp(buf, d, c, key, v, v4);
    case IpProtocol.ICMP:
    case IpProtocol.ICMPV6:
      return classifyIcmp(buf, d, c, key, v, v4, true);
    default:
      return 0;
  }
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
  return r === 'unsupported' ? classifyOproto(d, c, v, v4) : 0;
}

/** classify for a frame decoded 'ok', classifyPartial for the rest: what the Receiver runs. */
export function classifyFrame(buf: Uint8Array, r: DecodeResult, d: Decoded, c: ClassifyContext, key: CookieKey, v: Verdict): number {
  return r === 'ok' ? classify(buf, d, c, key, v) : classifyPartial(buf, r, d, c, key, v);
}

/** What the classifiers of a scan depend on (plain, structured-cloneable; engine's ReceiveSetup extends it). */
export interface ClassifySetup {
  readonly src4: Range4 | undefined;
  readonly src6: bigint | undefined;
  readonly srcPort: PortRange;
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
  /** --data-length of the SYNs (their replies acknowledge it). Absent: 0. */
  readonly dataLength?: number | undefined;
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

export function classifyContext(s: ClassifySetup): ClassifyContext {
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

