/**
 * One-line, tcpdump-style descriptions of frames (`tcpdump -n -S` without -v), for
 * --packet-trace, test failures and fuzzing. Not for the hot path: it allocates strings.
 *
 *   IP 10.0.0.1.40000 > 10.0.0.2.80: Flags [S], seq 123, win 1025, options [mss 1460], length 0
 *   ARP, Request who-has 10.0.0.2 tell 10.0.0.1, length 28
 *   IP6 ::1 > ::1: ICMP6, echo request, id 1, seq 2, length 16
 *
 * Guarantees: never throws, for any bytes/offset/length (fuzzed), and reads only inside the
 * frame. Sequence numbers are absolute (like `tcpdump -S`). A frame the decoder refuses is
 * still described as far as it decoded, followed by a bracketed reason, e.g. `[|tcp]`.
 */
import { formatIpv4, formatIpv6, formatMac, getU16, getU32, toHex } from './bytes.js';
import { Decoded, decodeFrame, LinkType, type DecodeResult } from './decode.js';
import { EtherType } from './ethernet.js';
import { Icmpv6Type, Icmpv6Unreachable } from './icmpv6.js';
import { Icmpv4Type, Icmpv4Unreachable } from './icmpv4.js';
import { IpProtocol, ipProtocolName } from './ip.js';
import { nextSctpChunk, SctpChunkType } from './sctp.js';
import { nextTcpOption, TcpFlags, TcpOptionKind } from './tcp.js';

/** Describe the frame at `buf[off .. off+len)` in one line. */
export function formatFrame(buf: Uint8Array, off = 0, len = buf.length - off, linkType: number = LinkType.ETHERNET): string {
  const d = new Decoded(linkType, false);
  d.verifyIpChecksum = false;
  const r = decodeFrame(buf, off, len, d);
  try {
    return describe(buf, off, len, d, r);
  } catch {
    // NOTE: describe() only reads inside what decodeFrame validated; this is a last resort so
    // that a printing bug can never take the receive thread down.
    return `[undecodable frame, ${len} bytes]`;
  }
}

function describe(buf: Uint8Array, off: number, len: number, d: Decoded, r: DecodeResult): string {
  // NOTE: like tcpdump without -e, a VLAN tag is not printed (d.vlan has it).
  if (d.ipVersion === 4) return describeIp(buf, d, r, 'IP', formatIpv4(d.src), formatIpv4(d.dst));
  if (d.ipVersion === 6) return describeIp(buf, d, r, 'IP6', formatIpv6(buf, d.src6Off), formatIpv6(buf, d.dst6Off));
  if (d.arpOp >= 0) return describeArp(buf, d, off + len - (d.arpSenderMacOff - 8));
  if (r === 'truncated' && d.etherType < 0) return `[|ether] ${len} bytes`;
  if (d.etherType === EtherType.ARP) return `ARP, ${r === 'truncated' ? '[|arp]' : 'unsupported hardware/protocol'}`;
  if (d.etherType === EtherType.IPV4) return `IP [|ip] (${r})`;
  if (d.etherType === EtherType.IPV6) return `IP6 [|ip6] (${r})`;
  if (d.etherType >= 0 && d.srcMacOff >= 0) {
    const et = d.etherType.toString(16).padStart(4, '0');
    return `${formatMac(buf, d.srcMacOff)} > ${formatMac(buf, d.dstMacOff)}, ethertype Unknown (0x${et}), length ${len}: `;
  }
  return `[${r}] ${len} bytes`;
}

/** `length`: bytes from the ARP header to the end of the frame (padding included, as tcpdump). */
function describeArp(buf: Uint8Array, d: Decoded, length: number): string {
  const tpa = formatIpv4(d.arpTargetIp);
  const spa = formatIpv4(d.arpSenderIp);
  if (d.arpOp === 1) {
    let tha = '';
    for (let i = 0; i < 6; i++) {
      if (buf[d.arpTargetMacOff + i] !== 0) {
        tha = ` (${formatMac(buf, d.arpTargetMacOff)})`;
        break;
      }
    }
    return `ARP, Request who-has ${tpa}${tha} tell ${spa}, length ${length}`;
  }
  if (d.arpOp === 2) return `ARP, Reply ${spa} is-at ${formatMac(buf, d.arpSenderMacOff)}, length ${length}`;
  return `ARP, Unknown opcode (${d.arpOp}), length ${length}`;
}

function reasonSuffix(r: DecodeResult, proto: string): string {
  switch (r) {
    case 'ok':
      return '';
    case 'truncated':
      return ` [|${proto}]`;
    default:
      return ` [${r}]`;
  }
}

/**
 * tcpdump's words for the IPv6 extension headers between the fixed header and the upper layer
 * ("HBH ", "DSTOPT ", "frag (offset|length) "), read again within the bounds decodeFrame checked.
 */
function ipv6ExtensionPrefix(buf: Uint8Array, d: Decoded): string {
  let s = '';
  let nh = buf[d.ipOff + 6];
  let p = d.ipOff + 40;
  const stop = d.transportOff >= 0 ? d.transportOff : d.ipOff + d.ipHeaderLen;
  for (let n = 0; n < 8 && p < stop && p + 8 <= d.ipEnd; n++) {
    let len: number;
    if (nh === IpProtocol.HOP_BY_HOP) {
      s += 'HBH ';
      len = (buf[p + 1] + 1) * 8;
    } else if (nh === IpProtocol.IPV6_DEST_OPTS) {
      s += 'DSTOPT ';
      len = (buf[p + 1] + 1) * 8;
    } else if (nh === IpProtocol.IPV6_ROUTING) {
      s += `srcrt (len=${buf[p + 1]}, type=${buf[p + 2]}, segleft=${buf[p + 3]}) `;
      len = (buf[p + 1] + 1) * 8;
    } else if (nh === IpProtocol.IPV6_FRAGMENT) {
      s += `frag (${getU16(buf, p + 2) & 0xfff8}|${d.ipEnd - p - 8}) `;
      len = 8;
    } else if (nh === IpProtocol.AH) {
      s += 'AH ';
      len = (buf[p + 1] + 2) * 4;
    } else {
      break;
    }
    nh = buf[p];
    p += len;
  }
  return s;
}

function describeIp(buf: Uint8Array, d: Decoded, r: DecodeResult, ip: string, src: string, dst: string): string {
  const t = d.transportOff;
  const tlen = d.transportLen;
  const ext = ip === 'IP6' && d.ipHeaderLen > 40 ? ipv6ExtensionPrefix(buf, d) : '';
  if (r === 'fragment') {
    // tcpdump without -v: the protocol of a non-first IPv4 fragment, the frag header for IPv6.
    return ip === 'IP' ? `${ip} ${src} > ${dst}: ip-proto-${d.proto}` : `${ip} ${src} > ${dst}: ${ext.trimEnd()}`;
  }
  if (t < 0) return `${ip} ${src} > ${dst}: [|${ip === 'IP' ? 'ip' : 'ip6'}]${r === 'truncated' ? '' : ` [${r}]`}`;
  // After extension headers tcpdump names the ports only: "HBH frag (0|12) 40000 > 40001: UDP"
  const ends = (sport: number, dport: number): string =>
    ext === '' ? `${ip} ${src}.${sport} > ${dst}.${dport}:` : `${ip} ${src} > ${dst}: ${ext}${sport} > ${dport}:`;
  const host = `${ip} ${src} > ${dst}: ${ext}`;
  switch (d.proto) {
    case IpProtocol.TCP: {
      if (tlen < 4) return `${host} [|tcp]`;
      const e = ends(getU16(buf, t), getU16(buf, t + 2));
      if (tlen < 20) return `${e}  [|tcp]`;
      const hl = (buf[t + 12] >>> 4) * 4;
      const flags = `Flags [${tcpFlagsString(((buf[t + 12] & 1) << 8) | buf[t + 13])}]`;
      if (hl < 20) return `${e} ${flags} [bad hdr length ${hl} - too short, < 20]`;
      if (hl > tlen) return `${e} ${flags} [bad hdr length ${hl} - too long, > ${tlen}]`;
      return `${e} ${describeTcp(buf, d)}${reasonSuffix(r, 'tcp')}`;
    }
    case IpProtocol.UDP: {
      if (tlen < 8) return `${tlen >= 4 ? ends(getU16(buf, t), getU16(buf, t + 2)) : host} [|udp]`;
      const e = ends(getU16(buf, t), getU16(buf, t + 2));
      const ulen = getU16(buf, t + 4);
      if (ulen < 8) return `${e} truncated-udplength ${ulen}`;
      if (ulen > tlen) return `${e} UDP, bad length ${ulen} > ${tlen}`;
      return `${e} UDP, length ${d.payloadLen}${reasonSuffix(r, 'udp')}`;
    }
    case IpProtocol.ICMP:
      if (d.icmpType < 0) return `${host}ICMP${reasonSuffix(r, 'icmp')}`;
      return `${host}ICMP ${describeIcmpv4(buf, d)}, length ${tlen}${reasonSuffix(r, 'icmp')}`;
    case IpProtocol.ICMPV6:
      if (d.icmpType < 0) return `${host}ICMP6${reasonSuffix(r, 'icmp6')}`;
      return `${host}ICMP6, ${describeIcmpv6(buf, d)}, length ${tlen}${reasonSuffix(r, 'icmp6')}`;
    case IpProtocol.SCTP:
      if (tlen < 4) return `${host}sctp [|sctp]`;
      return `${ends(getU16(buf, t), getU16(buf, t + 2))} sctp${describeSctp(buf, d)}${reasonSuffix(r, 'sctp')}`;
    default:
      return `${ip} ${src} > ${dst}: ${ext} ip-proto-${d.proto} ${tlen}`; // sic: tcpdump's two spaces
  }
}

/** tcpdump's flag letters, in its order. */
const FLAG_LETTERS: readonly [number, string][] = [
  [TcpFlags.FIN, 'F'],
  [TcpFlags.SYN, 'S'],
  [TcpFlags.RST, 'R'],
  [TcpFlags.PSH, 'P'],
  [TcpFlags.ACK, '.'],
  [TcpFlags.URG, 'U'],
  [TcpFlags.ECE, 'E'],
  [TcpFlags.CWR, 'W'],
];

export function tcpFlagsString(flags: number): string {
  let s = '';
  for (const [bit, letter] of FLAG_LETTERS) if (flags & bit) s += letter;
  return s === '' ? 'none' : s;
}

function describeTcp(buf: Uint8Array, d: Decoded): string {
  const f = d.tcpFlags;
  let s = `Flags [${tcpFlagsString(f)}]`;
  if (d.payloadLen > 0) s += `, seq ${d.tcpSeq}:${(d.tcpSeq + d.payloadLen) >>> 0}`;
  else if (f & (TcpFlags.SYN | TcpFlags.FIN | TcpFlags.RST)) s += `, seq ${d.tcpSeq}`;
  if (f & TcpFlags.ACK) s += `, ack ${d.tcpAck}`;
  s += `, win ${d.tcpWindow}`;
  const t = d.transportOff;
  if (f & TcpFlags.URG) s += `, urg ${getU16(buf, t + 18)}`;
  if (d.tcpHeaderLen > 20) s += `, options [${describeTcpOptions(buf, t + 20, t + d.tcpHeaderLen)}]`;
  return s + `, length ${d.payloadLen}`;
}

function describeTcpOptions(buf: Uint8Array, start: number, end: number): string {
  const parts: string[] = [];
  for (let p = start; p < end; ) {
    const type = buf[p];
    const next = nextTcpOption(buf, p, end);
    if (next < 0) {
      parts.push('bad opt');
      break;
    }
    switch (type) {
      case TcpOptionKind.EOL:
        parts.push('eol');
        break;
      case TcpOptionKind.NOP:
        parts.push('nop');
        break;
      case TcpOptionKind.MSS:
        parts.push(`mss ${getU16(buf, p + 2)}`);
        break;
      case TcpOptionKind.WINDOW_SCALE:
        parts.push(`wscale ${buf[p + 2]}`);
        break;
      case TcpOptionKind.SACK_PERMITTED:
        parts.push('sackOK');
        break;
      case TcpOptionKind.SACK: {
        let sack = `sack ${(next - p - 2) >>> 3} `;
        for (let q = p + 2; q + 8 <= next; q += 8) sack += `{${getU32(buf, q)}:${getU32(buf, q + 4)}}`;
        parts.push(sack);
        break;
      }
      case TcpOptionKind.TIMESTAMP:
        parts.push(`TS val ${getU32(buf, p + 2)} ecr ${getU32(buf, p + 6)}`);
        break;
      case 253:
      case 254: // RFC 6994 experimental options: tcpdump shows the 16-bit ExID
        parts.push(next - p >= 4 ? `exp-${toHex(buf, p + 2, 2)}` : 'exp');
        break;
      default:
        parts.push(next - p > 2 ? `unknown-${type} 0x${toHex(buf, p + 2, next - p - 2)}` : `unknown-${type}`);
    }
    p = next;
  }
  return parts.join(',');
}

function innerEndpoint(buf: Uint8Array, d: Decoded): string {
  return d.innerIpVersion === 4 ? formatIpv4(d.innerDst) : formatIpv6(buf, d.innerDst6Off);
}

function innerProtoName(p: number): string {
  return ipProtocolName(p) ?? `ip-proto-${p}`;
}

function describeIcmpv4(buf: Uint8Array, d: Decoded): string {
  const t = d.transportOff;
  switch (d.icmpType) {
    case Icmpv4Type.ECHO_REQUEST:
      return `echo request, id ${d.icmpId}, seq ${d.icmpSeq}`;
    case Icmpv4Type.ECHO_REPLY:
      return `echo reply, id ${d.icmpId}, seq ${d.icmpSeq}`;
    case Icmpv4Type.DST_UNREACHABLE: {
      if (d.innerIpVersion !== 4) return `type-#3 code ${d.icmpCode}`;
      const host = formatIpv4(d.innerDst);
      switch (d.icmpCode) {
        case Icmpv4Unreachable.NET:
          return `net ${host} unreachable`;
        case Icmpv4Unreachable.HOST:
          return `host ${host} unreachable`;
        case Icmpv4Unreachable.PROTOCOL:
          return `${host} protocol ${d.innerProto} unreachable`;
        case Icmpv4Unreachable.PORT:
          return `${host} ${innerProtoName(d.innerProto)} port ${d.innerDstPort} unreachable`;
        case Icmpv4Unreachable.FRAG_NEEDED:
          return `${host} unreachable - need to frag (mtu ${getU16(buf, t + 6)})`;
        case Icmpv4Unreachable.NET_PROHIBITED:
          return `net ${host} unreachable - admin prohibited`;
        case Icmpv4Unreachable.HOST_PROHIBITED:
          return `host ${host} unreachable - admin prohibited`;
        case Icmpv4Unreachable.ADMIN_PROHIBITED:
          return `host ${host} unreachable - admin prohibited filter`;
        default:
          return `${host} unreachable - #${d.icmpCode}`;
      }
    }
    case Icmpv4Type.TIME_EXCEEDED:
      return d.icmpCode === 0 ? 'time exceeded in-transit' : 'ip reassembly time exceeded';
    default:
      return `type-#${d.icmpType}`;
  }
}

function describeIcmpv6(buf: Uint8Array, d: Decoded): string {
  switch (d.icmpType) {
    case Icmpv6Type.ECHO_REQUEST:
      return `echo request, id ${d.icmpId}, seq ${d.icmpSeq}`;
    case Icmpv6Type.ECHO_REPLY:
      return `echo reply, id ${d.icmpId}, seq ${d.icmpSeq}`;
    case Icmpv6Type.DST_UNREACHABLE: {
      if (d.innerIpVersion !== 6) return `destination unreachable, code ${d.icmpCode}`;
      const host = innerEndpoint(buf, d);
      switch (d.icmpCode) {
        case Icmpv6Unreachable.NO_ROUTE:
          return `destination unreachable, unreachable route ${host}`;
        case Icmpv6Unreachable.ADMIN_PROHIBITED:
          return `destination unreachable,  unreachable prohibited ${host}`; // sic: tcpdump's two spaces
        case Icmpv6Unreachable.BEYOND_SCOPE:
          return `destination unreachable, beyond scope ${host}`;
        case Icmpv6Unreachable.ADDRESS:
          return `destination unreachable, unreachable address ${host}`;
        case Icmpv6Unreachable.PORT:
          return `destination unreachable, unreachable port, ${host} ${innerProtoName(d.innerProto)} port ${d.innerDstPort}`;
        default:
          return `destination unreachable, code ${d.icmpCode}`;
      }
    }
    case Icmpv6Type.PACKET_TOO_BIG:
      return `packet too big, mtu ${getU32(buf, d.transportOff + 4)}`;
    case Icmpv6Type.TIME_EXCEEDED:
      return 'time exceeded in-transit';
    case Icmpv6Type.PARAM_PROBLEM:
      return 'parameter problem';
    case Icmpv6Type.ROUTER_SOLICIT:
      return 'router solicitation';
    case Icmpv6Type.ROUTER_ADVERT:
      return 'router advertisement';
    // ndpTargetOff is -1 when the message failed RFC 4861's checks (code, length).
    case Icmpv6Type.NEIGHBOR_SOLICIT:
      return d.ndpTargetOff < 0 ? 'neighbor solicitation' : `neighbor solicitation, who has ${formatIpv6(buf, d.ndpTargetOff)}`;
    case Icmpv6Type.NEIGHBOR_ADVERT:
      return d.ndpTargetOff < 0 ? 'neighbor advertisement' : `neighbor advertisement, tgt is ${formatIpv6(buf, d.ndpTargetOff)}`;
    default:
      return `type-#${d.icmpType}`;
  }
}

const SCTP_NAMES: Record<number, string> = {
  [SctpChunkType.DATA]: 'DATA',
  [SctpChunkType.INIT]: 'INIT',
  [SctpChunkType.INIT_ACK]: 'INIT ACK',
  [SctpChunkType.SACK]: 'SACK',
  [SctpChunkType.HEARTBEAT]: 'HB REQ',
  [SctpChunkType.HEARTBEAT_ACK]: 'HB ACK',
  [SctpChunkType.ABORT]: 'ABORT',
  [SctpChunkType.SHUTDOWN]: 'SHUTDOWN',
  [SctpChunkType.SHUTDOWN_ACK]: 'SHUTDOWN ACK',
  [SctpChunkType.ERROR]: 'OP ERR',
  [SctpChunkType.COOKIE_ECHO]: 'COOKIE ECHO',
  [SctpChunkType.COOKIE_ACK]: 'COOKIE ACK',
  [SctpChunkType.SHUTDOWN_COMPLETE]: 'SHUTDOWN COMPLETE',
};

/** tcpdump's chunk list: " (1) [INIT] [init tag: ...] ... " (each bracket followed by a space). */
function describeSctp(buf: Uint8Array, d: Decoded): string {
  let s = '';
  const end = d.ipEnd;
  let p = d.transportOff + 12;
  for (let n = 1; p < end && n <= 16; n++) {
    const next = nextSctpChunk(buf, p, end);
    if (next < 0) return s + ' [bad chunk]';
    const type = buf[p];
    s += `${n > 1 ? ',' : ''} (${n}) [${SCTP_NAMES[type] ?? `Unknown chunk type: ${type}`}] `;
    if ((type === SctpChunkType.INIT || type === SctpChunkType.INIT_ACK) && getU16(buf, p + 2) >= 20) {
      s +=
        `[init tag: ${getU32(buf, p + 4)}] [rwnd: ${getU32(buf, p + 8)}] [OS: ${getU16(buf, p + 12)}] ` +
        `[MIS: ${getU16(buf, p + 14)}] [init TSN: ${getU32(buf, p + 16)}] `;
    }
    p = next;
  }
  return s;
}

// ------------------------------------------------------------------ --packet-trace lines

/** TCP flag names in bit order (FIN 0x01 .. CWR 0x80), joined by '-' as masscan prints them. */
const TRACE_TCP_FLAGS = ['FIN', 'SYN', 'RST', 'PSH', 'ACK', 'URG', 'ECE', 'CWR'];

/** `[ip]:port`, left-aligned in 21 columns (masscan's endpoint column). */
function traceEndpoint(ip: string, port: number): string {
  return `[${ip}]:${port}`.padEnd(21);
}

/**
 * One --packet-trace line in masscan's format, recorded from `masscan --packet-trace` (1.3.2)
 * in the lab (test/wire/pretty.test.ts holds those lines as vectors):
 *
 *   SENT (0.2711) TCP  [10.250.0.1]:52072    > [198.18.0.61]:8080    SYN
 *   RCVD (0.2716) TCP  [198.18.0.61]:8080    > [10.250.0.1]:52072    SYN-ACK
 *   SENT (0.3187) ICMP [10.250.0.1]:8        > [198.18.0.61]:0
 *
 * `dir` SENT or RCVD, `secs` the time since the scan started (4 decimals), the protocol in 4
 * columns, each endpoint `[ip]:port` in 21, then the TCP flags (none for UDP). ICMP prints
 * type and code where the ports would be; SCTP its first chunk type; other protocols (and
 * ARP, which masscan does not trace) print tcpdump's one-line description instead of
 * endpoints. Returns '' for a frame that is not IP at all and not ARP.
 */
export function formatTraceLine(dir: 'SENT' | 'RCVD', secs: number, buf: Uint8Array, off: number, len: number): string {
  const d = new Decoded(LinkType.ETHERNET, false);
  d.verifyIpChecksum = false;
  const r = decodeFrame(buf, off, len, d);
  const head = `${dir} (${secs.toFixed(4)}) `;
  if (d.ipVersion !== 4 && d.ipVersion !== 6) return d.arpOp >= 0 || r === 'ok' ? `${head}${formatFrame(buf, off, len)}` : '';
  const src = d.ipVersion === 4 ? formatIpv4(d.src) : formatIpv6(buf, d.src6Off);
  const dst = d.ipVersion === 4 ? formatIpv4(d.dst) : formatIpv6(buf, d.dst6Off);
  let proto: string, sp: number, dp: number, tail = '';
  if (d.proto === IpProtocol.TCP && d.srcPort >= 0) {
    proto = 'TCP'; sp = d.srcPort; dp = d.dstPort;
    const names: string[] = [];
    for (let i = 0; i < 8; i++) if ((d.tcpFlags & (1 << i)) !== 0) names.push(TRACE_TCP_FLAGS[i]!);
    tail = names.join('-');
  } else if (d.proto === IpProtocol.UDP && d.srcPort >= 0) {
    proto = 'UDP'; sp = d.srcPort; dp = d.dstPort;
  } else if ((d.proto === IpProtocol.ICMP || d.proto === IpProtocol.ICMPV6) && d.icmpType >= 0) {
    proto = d.proto === IpProtocol.ICMP ? 'ICMP' : 'ICMP6'; sp = d.icmpType; dp = d.icmpCode;
  } else if (d.proto === IpProtocol.SCTP && d.srcPort >= 0) {
    proto = 'SCTP'; sp = d.srcPort; dp = d.dstPort;
    tail = d.sctpChunkType === 1 ? 'INIT' : d.sctpChunkType === 2 ? 'INIT-ACK' : d.sctpChunkType === 6 ? 'ABORT' : d.sctpChunkType >= 0 ? `chunk ${d.sctpChunkType}` : '';
  } else {
    return `${head}${formatFrame(buf, off, len)}`;
  }
  return `${head}${proto.padEnd(4)} ${traceEndpoint(src, sp)} > ${traceEndpoint(dst, dp)} ${tail}`;
}
