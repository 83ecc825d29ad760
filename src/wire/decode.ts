/**
 * The receive path's decoder: one frame in, numbers and offsets out, into a `Decoded` that the
 * caller allocates once and reuses (gopacket's DecodingLayerParser, masscan's
 * PreprocessedInfo; DESIGN.md §4.3).
 *
 * Guarantees of `decodeFrame`, for ANY bytes, offset and length:
 * - it never throws and allocates nothing (no objects, closures, strings built, BigInt);
 *   NOTE: u32 fields are read as int32 (`getI32(..) >>> 0` at the store), because a u32 above
 *   2^31 returned from a helper that V8 chose not to inline is boxed on the heap;
 * - it reads only inside `buf[off .. off+len)` (the fuzz tests check this with a guard proxy);
 * - it returns a reason from a closed set; 'ok' means every field of the layers present was
 *   filled from bytes that lie inside the frame and inside the IP datagram's own length
 *   (Ethernet padding is never taken for payload);
 * - on any other result, the fields of the layers decoded before the failure are valid and
 *   the rest hold their reset values (-1 for offsets and unknown numbers).
 *
 * Checksums: the IPv4 header checksum is always verified (the kernel always computes it).
 * Transport checksums (TCP, UDP, ICMP, ICMPv6, SCTP) are verified only when
 * `verifyTransportChecksums` is set. NOTE: frames captured on a host that offloads checksums
 * (lo, veth, most NICs' TX side) carry only the pseudo-header sum there, so a scanner that
 * receives its own lab's replies over a veth must leave it off; replies from real networks
 * carry real checksums.
 */
import { getI32, getU16 } from './bytes.js';
import { foldChecksum, internetChecksum, pseudoHeaderSum4, pseudoHeaderSum6, sumWords } from './checksum.js';
import { EtherType, isVlanTpid } from './ethernet.js';
import { findNdpLinkAddr, Icmpv6Type, NdpOptionType } from './icmpv6.js';
import { Icmpv4Type } from './icmpv4.js';
import { IpProtocol } from './ip.js';
import { Ipv6Upper, skipIpv6Extensions } from './ipv6.js';
import { sctpChecksumMatches, SctpChunkType } from './sctp.js';

/** Why a frame was (not) decoded. Counted per reason by the receive loop. */
export type DecodeResult =
  | 'ok'
  | 'truncated' // ends before a header or a length field says it should
  | 'malformed' // an impossible field (IP version, IHL < 5, TCP offset < 5, UDP length < 8, ...)
  | 'bad-checksum'
  | 'unsupported' // well formed but not modelled: an unknown EtherType or IP protocol, non-Ethernet ARP
  | 'fragment'; // a non-first IP fragment: no transport header to read

/** Four stores: cheaper per frame than a call to TypedArray.prototype.fill (measured). */
function zero4(a: Uint32Array): void {
  a[0] = 0;
  a[1] = 0;
  a[2] = 0;
  a[3] = 0;
}

/** pcap LINKTYPE_* values of the link layers the decoder understands. */
export const LinkType = {
  /** BSD loopback: 4-byte address family in host byte order. */
  NULL: 0,
  ETHERNET: 1,
  /** Raw IP, version from the first nibble (LINKTYPE_RAW; DLT_RAW is 12 or 14 on some systems). */
  RAW: 101,
  /** Linux "cooked" capture v1: 16-byte header, protocol at offset 14. */
  LINUX_SLL: 113,
} as const;

/** At most this many VLAN tags are skipped (802.1ad QinQ = 2). */
export const MAX_VLAN_TAGS = 2;

/**
 * Everything the engine reads from a received frame, as numbers and offsets into the buffer
 * that was decoded. Allocate one per receive thread; `decodeFrame` overwrites every field
 * below "results" on each call. Offsets are absolute indices into that buffer, -1 when absent.
 */
export class Decoded {
  // --- configuration (kept across calls) ---
  /** LinkType of the frames to decode. */
  linkType: number;
  /** Verify TCP/UDP/ICMP/ICMPv6/SCTP checksums (see the module comment). */
  verifyTransportChecksums: boolean;
  /** Verify the IPv4 header checksum (on by default; the printer turns it off). */
  verifyIpChecksum = true;

  // --- results: link layer ---
  /** VLAN id of the first 802.1Q/802.1ad tag, -1 if untagged. */
  declare vlan: number;
  /** EtherType of the payload (after tags), -1 for link types without one. */
  declare etherType: number;
  declare dstMacOff: number;
  declare srcMacOff: number;

  // --- network layer ---
  /** 4, 6, or 0 when the frame holds no IP packet (ARP, unknown). */
  declare ipVersion: number;
  declare ipOff: number;
  /** IPv4 header length, or 40 + extension headers for IPv6. */
  declare ipHeaderLen: number;
  /** Offset just past the IP datagram (its own length, not the frame's). */
  declare ipEnd: number;
  /** IPv4 source/destination as u32 (0 for IPv6). */
  declare src: number;
  declare dst: number;
  /** IPv6 source/destination: offsets, and the addresses as 4 big-endian u32 words each. */
  declare src6Off: number;
  declare dst6Off: number;
  readonly src6 = new Uint32Array(4);
  readonly dst6 = new Uint32Array(4);
  /** TTL (IPv4) or hop limit (IPv6). */
  declare ttl: number;
  /** IPv4 identification (-1 for IPv6). */
  declare ipId: number;
  /** True for any fragment (MF set or a non-zero offset); transport checksums are then skipped. */
  declare fragmented: boolean;
  /** Transport protocol (after IPv6 extension headers), -1 if none. */
  declare proto: number;
  declare transportOff: number;
  /** Bytes from transportOff to ipEnd. */
  declare transportLen: number;

  // --- TCP / UDP / SCTP ---
  declare srcPort: number;
  declare dstPort: number;
  declare tcpSeq: number;
  declare tcpAck: number;
  /** Nine TcpFlags bits. */
  declare tcpFlags: number;
  declare tcpWindow: number;
  declare tcpHeaderLen: number;
  /** Application payload (TCP/UDP) or the ICMP data after the 8-byte header. */
  declare payloadOff: number;
  declare payloadLen: number;

  // --- ICMP / ICMPv6 ---
  declare icmpType: number;
  declare icmpCode: number;
  /** Echo identifier and sequence. */
  declare icmpId: number;
  declare icmpSeq: number;
  /** The datagram quoted by an ICMP error (unreachable, time exceeded, ...); -1/0 if none. */
  declare innerIpVersion: number;
  declare innerProto: number;
  declare innerSrc: number;
  declare innerDst: number;
  declare innerSrc6Off: number;
  declare innerDst6Off: number;
  readonly innerSrc6 = new Uint32Array(4);
  readonly innerDst6 = new Uint32Array(4);
  /** The first 4 bytes of the quoted transport header: ports for TCP/UDP/SCTP. */
  declare innerSrcPort: number;
  declare innerDstPort: number;
  /** Bytes 4..8 of the quoted transport header: the TCP seq, the SCTP vtag, ICMP id+seq. */
  declare innerSeq: number;
  /** NDP: the NS/NA target address offset, and the link-layer address option's MAC offset. */
  declare ndpTargetOff: number;
  declare ndpLinkAddrOff: number;

  // --- ARP (Ethernet/IPv4 only) ---
  declare arpOp: number;
  declare arpSenderMacOff: number;
  declare arpSenderIp: number;
  declare arpTargetMacOff: number;
  declare arpTargetIp: number;

  // --- SCTP ---
  declare sctpVtag: number;
  /** Type and flags of the first chunk. */
  declare sctpChunkType: number;
  declare sctpChunkFlags: number;
  /** The initiate tag of a first INIT or INIT ACK chunk. */
  declare sctpInitiateTag: number;

  /** Scratch for the IPv6 extension walk (reused). */
  readonly upper = new Ipv6Upper();

  constructor(linkType: number = LinkType.ETHERNET, verifyTransportChecksums = false) {
    this.linkType = linkType;
    this.verifyTransportChecksums = verifyTransportChecksums;
    this.reset();
  }

  /**
   * Set every result field to its "absent" value. Called by the constructor and decodeFrame:
   * the result fields above are `declare`d, so this is the one place their values are written.
   */
  reset(): void {
    this.vlan = -1;
    this.etherType = -1;
    this.dstMacOff = -1;
    this.srcMacOff = -1;
    this.ipVersion = 0;
    this.ipOff = -1;
    this.ipHeaderLen = 0;
    this.ipEnd = -1;
    this.src = 0;
    this.dst = 0;
    this.src6Off = -1;
    this.dst6Off = -1;
    zero4(this.src6);
    zero4(this.dst6);
    this.ttl = -1;
    this.ipId = -1;
    this.fragmented = false;
    this.proto = -1;
    this.transportOff = -1;
    this.transportLen = 0;
    this.srcPort = -1;
    this.dstPort = -1;
    this.tcpSeq = 0;
    this.tcpAck = 0;
    this.tcpFlags = 0;
    this.tcpWindow = 0;
    this.tcpHeaderLen = 0;
    this.payloadOff = -1;
    this.payloadLen = 0;
    this.icmpType = -1;
    this.icmpCode = -1;
    this.icmpId = -1;
    this.icmpSeq = -1;
    this.innerIpVersion = 0;
    this.innerProto = -1;
    this.innerSrc = 0;
    this.innerDst = 0;
    this.innerSrc6Off = -1;
    this.innerDst6Off = -1;
    zero4(this.innerSrc6);
    zero4(this.innerDst6);
    this.innerSrcPort = -1;
    this.innerDstPort = -1;
    this.innerSeq = 0;
    this.ndpTargetOff = -1;
    this.ndpLinkAddrOff = -1;
    this.arpOp = -1;
    this.arpSenderMacOff = -1;
    this.arpSenderIp = 0;
    this.arpTargetMacOff = -1;
    this.arpTargetIp = 0;
    this.sctpVtag = 0;
    this.sctpChunkType = -1;
    this.sctpChunkFlags = -1;
    this.sctpInitiateTag = 0;
  }
}

/**
 * Decode the frame at `buf[off .. off+len)` into `out` (see the module comment for what is
 * guaranteed). `out.linkType` says what the frame starts with.
 */
export function decodeFrame(buf: Uint8Array, off: number, len: number, out: Decoded): DecodeResult {
  out.reset();
  if ((off | 0) !== off || (len | 0) !== len || off < 0 || len < 0 || off + len > buf.length) return 'truncated';
  const end = off + len;
  let p = off;
  let et: number;
  switch (out.linkType) {
    case LinkType.ETHERNET: {
      if (len < 14) return 'truncated';
      out.dstMacOff = off;
      out.srcMacOff = off + 6;
      et = getU16(buf, off + 12);
      p = off + 14;
      for (let tags = 0; isVlanTpid(et); tags++) {
        if (tags === MAX_VLAN_TAGS) return 'unsupported';
        if (p + 4 > end) return 'truncated';
        if (tags === 0) out.vlan = getU16(buf, p) & 0x0fff;
        et = getU16(buf, p + 2);
        p += 4;
      }
      out.etherType = et;
      break;
    }
    case LinkType.RAW:
      if (len < 1) return 'truncated';
      et = buf[off] >>> 4 === 6 ? EtherType.IPV6 : EtherType.IPV4;
      break;
    case LinkType.NULL: {
      if (len < 4) return 'truncated';
      // Host byte order of the capturing machine: accept both.
      let fam = (buf[off] | (buf[off + 1] << 8) | (buf[off + 2] << 16) | (buf[off + 3] << 24)) >>> 0;
      if (fam > 0xffff) fam = getI32(buf, off) >>> 0;
      if (fam === 2) et = EtherType.IPV4;
      else if (fam === 10 || fam === 24 || fam === 28 || fam === 30) et = EtherType.IPV6;
      else return 'unsupported';
      p = off + 4;
      break;
    }
    case LinkType.LINUX_SLL:
      if (len < 16) return 'truncated';
      et = getU16(buf, off + 14);
      out.etherType = et;
      p = off + 16;
      break;
    default:
      return 'unsupported';
  }
  if (et === EtherType.IPV4) return decodeIpv4(buf, p, end, out);
  if (et === EtherType.IPV6) return decodeIpv6(buf, p, end, out);
  if (et === EtherType.ARP) return decodeArp(buf, p, end, out);
  return 'unsupported';
}

function decodeArp(buf: Uint8Array, p: number, end: number, out: Decoded): DecodeResult {
  if (p + 8 > end) return 'truncated';
  if (getU16(buf, p) !== 1 || getU16(buf, p + 2) !== EtherType.IPV4 || buf[p + 4] !== 6 || buf[p + 5] !== 4) {
    return 'unsupported';
  }
  if (p + 28 > end) return 'truncated';
  out.arpOp = getU16(buf, p + 6);
  out.arpSenderMacOff = p + 8;
  out.arpSenderIp = getI32(buf, p + 14) >>> 0;
  out.arpTargetMacOff = p + 18;
  out.arpTargetIp = getI32(buf, p + 24) >>> 0;
  return 'ok';
}

function decodeIpv4(buf: Uint8Array, p: number, end: number, out: Decoded): DecodeResult {
  if (p + 20 > end) return 'truncated';
  const vihl = buf[p];
  if (vihl >>> 4 !== 4) return 'malformed';
  const hl = (vihl & 0x0f) << 2;
  if (hl < 20) return 'malformed';
  if (p + hl > end) return 'truncated';
  const total = getU16(buf, p + 2);
  if (total < hl) return 'malformed';
  if (p + total > end) return 'truncated';
  out.ipVersion = 4;
  out.ipOff = p;
  out.ipHeaderLen = hl;
  out.ipEnd = p + total;
  out.ipId = getU16(buf, p + 4);
  out.ttl = buf[p + 8];
  out.proto = buf[p + 9];
  out.src = getI32(buf, p + 12) >>> 0;
  out.dst = getI32(buf, p + 16) >>> 0;
  if (out.verifyIpChecksum && internetChecksum(buf, p, hl) !== 0) return 'bad-checksum';
  const frag = getU16(buf, p + 6);
  if ((frag & 0x3fff) !== 0) out.fragmented = true;
  if ((frag & 0x1fff) !== 0) return 'fragment';
  return decodeTransport(buf, p + hl, p + total, out);
}

function decodeIpv6(buf: Uint8Array, p: number, end: number, out: Decoded): DecodeResult {
  if (p + 40 > end) return 'truncated';
  if (buf[p] >>> 4 !== 6) return 'malformed';
  const ipEnd = p + 40 + getU16(buf, p + 4);
  if (ipEnd > end) return 'truncated';
  out.ipVersion = 6;
  out.ipOff = p;
  out.ipEnd = ipEnd;
  out.ttl = buf[p + 7];
  out.src6Off = p + 8;
  out.dst6Off = p + 24;
  for (let i = 0; i < 4; i++) {
    out.src6[i] = getI32(buf, p + 8 + 4 * i) >>> 0;
    out.dst6[i] = getI32(buf, p + 24 + 4 * i) >>> 0;
  }
  const up = out.upper;
  const err = skipIpv6Extensions(buf, p + 40, ipEnd, buf[p + 6], up);
  if (err !== null) return err;
  out.proto = up.proto;
  out.ipHeaderLen = up.offset - p;
  if (up.fragmented) out.fragmented = true;
  if (up.fragOffset !== 0) return 'fragment';
  return decodeTransport(buf, up.offset, ipEnd, out);
}

/** Running sum of the pseudo-header of the decoded IP packet, for `proto` and `length`. */
function pseudo(buf: Uint8Array, out: Decoded, proto: number, length: number): number {
  return out.ipVersion === 4
    ? pseudoHeaderSum4(out.src | 0, out.dst | 0, proto, length) // int32: never boxed across the call
    : pseudoHeaderSum6(buf, out.src6Off, out.dst6Off, proto, length);
}

function decodeTransport(buf: Uint8Array, t: number, ipEnd: number, out: Decoded): DecodeResult {
  out.transportOff = t;
  const tlen = ipEnd - t;
  out.transportLen = tlen;
  const verify = out.verifyTransportChecksums && !out.fragmented;
  switch (out.proto) {
    case IpProtocol.TCP: {
      if (tlen < 20) return 'truncated';
      const hl = (buf[t + 12] >>> 4) << 2;
      if (hl < 20) return 'malformed';
      if (hl > tlen) return 'truncated';
      out.srcPort = getU16(buf, t);
      out.dstPort = getU16(buf, t + 2);
      out.tcpSeq = getI32(buf, t + 4) >>> 0;
      out.tcpAck = getI32(buf, t + 8) >>> 0;
      out.tcpFlags = ((buf[t + 12] & 1) << 8) | buf[t + 13];
      out.tcpWindow = getU16(buf, t + 14);
      out.tcpHeaderLen = hl;
      out.payloadOff = t + hl;
      out.payloadLen = tlen - hl;
      if (verify && foldChecksum(sumWords(buf, t, tlen, pseudo(buf, out, IpProtocol.TCP, tlen))) !== 0) {
        return 'bad-checksum';
      }
      return 'ok';
    }
    case IpProtocol.UDP: {
      if (tlen < 8) return 'truncated';
      const ulen = getU16(buf, t + 4);
      if (ulen < 8) return 'malformed';
      if (ulen > tlen) return 'truncated';
      out.srcPort = getU16(buf, t);
      out.dstPort = getU16(buf, t + 2);
      out.payloadOff = t + 8;
      out.payloadLen = ulen - 8;
      if (verify) {
        if (getU16(buf, t + 6) === 0) {
          // RFC 8200 §8.1: "IPv6 receivers must discard UDP packets containing a zero checksum".
          if (out.ipVersion === 6) return 'bad-checksum';
        } else if (foldChecksum(sumWords(buf, t, ulen, pseudo(buf, out, IpProtocol.UDP, ulen))) !== 0) {
          return 'bad-checksum';
        }
      }
      return 'ok';
    }
    case IpProtocol.ICMP:
      if (out.ipVersion !== 4) return 'unsupported';
      return decodeIcmpv4(buf, t, ipEnd, out, verify);
    case IpProtocol.ICMPV6:
      if (out.ipVersion !== 6) return 'unsupported';
      return decodeIcmpv6(buf, t, ipEnd, out, verify);
    case IpProtocol.SCTP: {
      if (tlen < 16) return 'truncated';
      out.srcPort = getU16(buf, t);
      out.dstPort = getU16(buf, t + 2);
      out.sctpVtag = getI32(buf, t + 4) >>> 0;
      const c = t + 12;
      const clen = getU16(buf, c + 2);
      if (clen < 4) return 'malformed';
      if (c + clen > ipEnd) return 'truncated';
      out.sctpChunkType = buf[c];
      out.sctpChunkFlags = buf[c + 1];
      if (buf[c] === SctpChunkType.INIT || buf[c] === SctpChunkType.INIT_ACK) {
        if (clen < 20) return 'malformed';
        out.sctpInitiateTag = getI32(buf, c + 4) >>> 0;
      }
      if (verify && !sctpChecksumMatches(buf, t, tlen)) return 'bad-checksum';
      return 'ok';
    }
    default:
      return 'unsupported';
  }
}

function decodeIcmpv4(buf: Uint8Array, t: number, ipEnd: number, out: Decoded, verify: boolean): DecodeResult {
  if (t + 8 > ipEnd) return 'truncated';
  const type = buf[t];
  out.icmpType = type;
  out.icmpCode = buf[t + 1];
  out.payloadOff = t + 8;
  out.payloadLen = ipEnd - t - 8;
  if (verify && internetChecksum(buf, t, ipEnd - t) !== 0) return 'bad-checksum';
  switch (type) {
    case Icmpv4Type.ECHO_REPLY:
    case Icmpv4Type.ECHO_REQUEST:
      out.icmpId = getU16(buf, t + 4);
      out.icmpSeq = getU16(buf, t + 6);
      return 'ok';
    case Icmpv4Type.DST_UNREACHABLE:
    case 4: // source quench (deprecated, still quotes)
    case Icmpv4Type.REDIRECT:
    case Icmpv4Type.TIME_EXCEEDED:
    case Icmpv4Type.PARAM_PROBLEM: {
      // RFC 792: the error quotes "the internet header plus the first 64 bits of the
      // original datagram's data"; without them we cannot say which probe it answers.
      const q = t + 8;
      if (q + 20 > ipEnd) return 'truncated';
      if (buf[q] >>> 4 !== 4) return 'malformed';
      const ihl = (buf[q] & 0x0f) << 2;
      if (ihl < 20) return 'malformed';
      if (q + ihl + 8 > ipEnd) return 'truncated';
      out.innerIpVersion = 4;
      out.innerProto = buf[q + 9];
      out.innerSrc = getI32(buf, q + 12) >>> 0;
      out.innerDst = getI32(buf, q + 16) >>> 0;
      const it = q + ihl;
      out.innerSrcPort = getU16(buf, it);
      out.innerDstPort = getU16(buf, it + 2);
      out.innerSeq = getI32(buf, it + 4) >>> 0;
      return 'ok';
    }
    default:
      return 'ok';
  }
}

function decodeIcmpv6(buf: Uint8Array, t: number, ipEnd: number, out: Decoded, verify: boolean): DecodeResult {
  const mlen = ipEnd - t;
  if (mlen < 8) return 'truncated';
  const type = buf[t];
  out.icmpType = type;
  out.icmpCode = buf[t + 1];
  out.payloadOff = t + 8;
  out.payloadLen = mlen - 8;
  if (verify && foldChecksum(sumWords(buf, t, mlen, pseudo(buf, out, IpProtocol.ICMPV6, mlen))) !== 0) {
    return 'bad-checksum';
  }
  switch (type) {
    case Icmpv6Type.ECHO_REQUEST:
    case Icmpv6Type.ECHO_REPLY:
      out.icmpId = getU16(buf, t + 4);
      out.icmpSeq = getU16(buf, t + 6);
      return 'ok';
    case Icmpv6Type.DST_UNREACHABLE:
    case Icmpv6Type.PACKET_TOO_BIG:
    case Icmpv6Type.TIME_EXCEEDED:
    case Icmpv6Type.PARAM_PROBLEM: {
      const q = t + 8;
      if (q + 40 > ipEnd) return 'truncated';
      if (buf[q] >>> 4 !== 6) return 'malformed';
      out.innerIpVersion = 6;
      out.innerSrc6Off = q + 8;
      out.innerDst6Off = q + 24;
      for (let i = 0; i < 4; i++) {
        out.innerSrc6[i] = getI32(buf, q + 8 + 4 * i) >>> 0;
        out.innerDst6[i] = getI32(buf, q + 24 + 4 * i) >>> 0;
      }
      // The quoted packet is cut short by design (RFC 4443 §2.4 (c)): bound by the ICMP message.
      const up = out.upper;
      const err = skipIpv6Extensions(buf, q + 40, ipEnd, buf[q + 6], up);
      if (err !== null) return err;
      out.innerProto = up.proto;
      if (up.fragOffset !== 0) return 'ok';
      if (up.offset + 8 > ipEnd) return 'truncated';
      out.innerSrcPort = getU16(buf, up.offset);
      out.innerDstPort = getU16(buf, up.offset + 2);
      out.innerSeq = getI32(buf, up.offset + 4) >>> 0;
      return 'ok';
    }
    case Icmpv6Type.NEIGHBOR_SOLICIT:
    case Icmpv6Type.NEIGHBOR_ADVERT: {
      // RFC 4861 §7.1.1/§7.1.2: "ICMP Code is 0", "ICMP length ... is 24 or more octets".
      if (buf[t + 1] !== 0) return 'malformed';
      if (mlen < 24) return 'truncated';
      out.ndpTargetOff = t + 8;
      const ll = findNdpLinkAddr(
        buf,
        t + 24,
        ipEnd,
        type === Icmpv6Type.NEIGHBOR_SOLICIT ? NdpOptionType.SOURCE_LL_ADDR : NdpOptionType.TARGET_LL_ADDR,
      );
      if (typeof ll === 'string') return ll;
      out.ndpLinkAddrOff = ll;
      return 'ok';
    }
    case Icmpv6Type.ROUTER_ADVERT: {
      if (buf[t + 1] !== 0) return 'malformed';
      if (mlen < 16) return 'truncated';
      const ll = findNdpLinkAddr(buf, t + 16, ipEnd, NdpOptionType.SOURCE_LL_ADDR);
      if (typeof ll === 'string') return ll;
      out.ndpLinkAddrOff = ll;
      return 'ok';
    }
    default:
      return 'ok';
  }
}
