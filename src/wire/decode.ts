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
import { ARP_ETH_IPV4_LEN, ARP_HEADER_LEN, ArpField } from './arp.js';
import { getI32, getU16 } from './bytes.js';
import { foldChecksum, internetChecksum, pseudoHeaderSum4, pseudoHeaderSum6, sumWords } from './checksum.js';
import { ETHERNET_HEADER_LEN, EtherType, EthernetField, isVlanTpid, MAC_LEN, VLAN_TAG_LEN } from './ethernet.js';
import {
  findNdpLinkAddr, ICMPV6_HEADER_LEN, Icmpv6Field, Icmpv6Type, NDP_NS_NA_LEN, NDP_RA_LEN, NdpOptionType,
} from './icmpv6.js';
import { ICMPV4_HEADER_LEN, Icmpv4Field, Icmpv4Type } from './icmpv4.js';
import { IpProtocol } from './ip.js';
import { IPV4_HEADER_LEN, Ipv4Field, Ipv4Flags } from './ipv4.js';
import { IPV6_HEADER_LEN, Ipv6Field, Ipv6Upper, skipIpv6Extensions } from './ipv6.js';
import {
  SCTP_CHUNK_HEADER_LEN, SCTP_HEADER_LEN, SCTP_INIT_LEN, SctpChunkField, SctpChunkType, SctpField, sctpChecksumMatches,
} from './sctp.js';
import { TCP_HEADER_LEN, TcpField } from './tcp.js';
import { UDP_HEADER_LEN, UdpField } from './udp.js';

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

/** Linux cooked capture v1 (LINKTYPE_LINUX_SLL): 16 bytes, the EtherType at 14. */
const SLL_HEADER_LEN = 16;
const SLL_PROTOCOL = 14;
/** BSD loopback (LINKTYPE_NULL): a 4-byte address family. */
const NULL_HEADER_LEN = 4;
/** ARP hardware type of Ethernet. */
const ARP_HTYPE_ETHERNET = 1;
/**
 * What an ICMP error must quote of the offending packet's transport header: RFC 792's "first
 * 64 bits of the original datagram's data" (the ports, then the TCP sequence number).
 */
const QUOTED_TRANSPORT_LEN = 8;

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
      if (len < ETHERNET_HEADER_LEN) return 'truncated';
      out.dstMacOff = off + EthernetField.DST;
      out.srcMacOff = off + EthernetField.SRC;
      et = getU16(buf, off + EthernetField.ETHERTYPE);
      p = off + ETHERNET_HEADER_LEN;
      for (let tags = 0; isVlanTpid(et); tags++) {
        if (tags === MAX_VLAN_TAGS) return 'unsupported';
        // p is at the tag's TCI; the inner EtherType follows it.
        if (p + VLAN_TAG_LEN > end) return 'truncated';
        if (tags === 0) out.vlan = getU16(buf, p) & 0x0fff;
        et = getU16(buf, p + VLAN_TAG_LEN - 2);
        p += VLAN_TAG_LEN;
      }
      out.etherType = et;
      break;
    }
    case LinkType.RAW:
      if (len < 1) return 'truncated';
      et = buf[off] >>> 4 === 6 ? EtherType.IPV6 : EtherType.IPV4;
      break;
    case LinkType.NULL: {
      if (len < NULL_HEADER_LEN) return 'truncated';
      // Host byte order of the capturing machine: accept both.
      let fam = (buf[off] | (buf[off + 1] << 8) | (buf[off + 2] << 16) | (buf[off + 3] << 24)) >>> 0;
      if (fam > 0xffff) fam = getI32(buf, off) >>> 0;
      if (fam === 2) et = EtherType.IPV4;
      else if (fam === 10 || fam === 24 || fam === 28 || fam === 30) et = EtherType.IPV6;
      else return 'unsupported';
      p = off + NULL_HEADER_LEN;
      break;
    }
    case LinkType.LINUX_SLL:
      if (len < SLL_HEADER_LEN) return 'truncated';
      et = getU16(buf, off + SLL_PROTOCOL);
      out.etherType = et;
      p = off + SLL_HEADER_LEN;
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
  if (p + ARP_HEADER_LEN > end) return 'truncated';
  if (
    getU16(buf, p + ArpField.HTYPE) !== ARP_HTYPE_ETHERNET || getU16(buf, p + ArpField.PTYPE) !== EtherType.IPV4 ||
    buf[p + ArpField.HLEN] !== MAC_LEN || buf[p + ArpField.PLEN] !== 4
  ) {
    return 'unsupported';
  }
  if (p + ARP_ETH_IPV4_LEN > end) return 'truncated';
  out.arpOp = getU16(buf, p + ArpField.OPER);
  out.arpSenderMacOff = p + ArpField.SHA;
  out.arpSenderIp = getI32(buf, p + ArpField.SPA) >>> 0;
  out.arpTargetMacOff = p + ArpField.THA;
  out.arpTargetIp = getI32(buf, p + ArpField.TPA) >>> 0;
  return 'ok';
}

function decodeIpv4(buf: Uint8Array, p: number, end: number, out: Decoded): DecodeResult {
  if (p + IPV4_HEADER_LEN > end) return 'truncated';
  const vihl = buf[p + Ipv4Field.VER_IHL];
  if (vihl >>> 4 !== 4) return 'malformed';
  const hl = (vihl & 0x0f) << 2;
  if (hl < IPV4_HEADER_LEN) return 'malformed';
  if (p + hl > end) return 'truncated';
  const total = getU16(buf, p + Ipv4Field.LENGTH);
  if (total < hl) return 'malformed';
  if (p + total > end) return 'truncated';
  out.ipVersion = 4;
  out.ipOff = p;
  out.ipHeaderLen = hl;
  out.ipEnd = p + total;
  out.ipId = getU16(buf, p + Ipv4Field.IDENT);
  out.ttl = buf[p + Ipv4Field.TTL];
  out.proto = buf[p + Ipv4Field.PROTOCOL];
  out.src = getI32(buf, p + Ipv4Field.SRC) >>> 0;
  out.dst = getI32(buf, p + Ipv4Field.DST) >>> 0;
  if (out.verifyIpChecksum && internetChecksum(buf, p, hl) !== 0) return 'bad-checksum';
  const frag = getU16(buf, p + Ipv4Field.FLAGS_FRAG);
  if ((frag & (Ipv4Flags.MORE_FRAGS | Ipv4Flags.OFFSET_MASK)) !== 0) out.fragmented = true;
  if ((frag & Ipv4Flags.OFFSET_MASK) !== 0) return 'fragment';
  return decodeTransport(buf, p + hl, p + total, out);
}

function decodeIpv6(buf: Uint8Array, p: number, end: number, out: Decoded): DecodeResult {
  if (p + IPV6_HEADER_LEN > end) return 'truncated';
  if (buf[p + Ipv6Field.VER_TC_FLOW] >>> 4 !== 6) return 'malformed';
  const ipEnd = p + IPV6_HEADER_LEN + getU16(buf, p + Ipv6Field.PAYLOAD_LEN);
  if (ipEnd > end) return 'truncated';
  out.ipVersion = 6;
  out.ipOff = p;
  out.ipEnd = ipEnd;
  out.ttl = buf[p + Ipv6Field.HOP_LIMIT];
  out.src6Off = p + Ipv6Field.SRC;
  out.dst6Off = p + Ipv6Field.DST;
  for (let i = 0; i < 4; i++) {
    out.src6[i] = getI32(buf, p + Ipv6Field.SRC + 4 * i) >>> 0;
    out.dst6[i] = getI32(buf, p + Ipv6Field.DST + 4 * i) >>> 0;
  }
  const up = out.upper;
  const err = skipIpv6Extensions(buf, p + IPV6_HEADER_LEN, ipEnd, buf[p + Ipv6Field.NEXT_HEADER], up);
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
      if (tlen < TCP_HEADER_LEN) return 'truncated';
      const hl = (buf[t + TcpField.DATA_OFF] >>> 4) << 2;
      if (hl < TCP_HEADER_LEN) return 'malformed';
      if (hl > tlen) return 'truncated';
      out.srcPort = getU16(buf, t + TcpField.SRC_PORT);
      out.dstPort = getU16(buf, t + TcpField.DST_PORT);
      out.tcpSeq = getI32(buf, t + TcpField.SEQ) >>> 0;
      out.tcpAck = getI32(buf, t + TcpField.ACK) >>> 0;
      // The NS bit is the low bit of the data-offset byte.
      out.tcpFlags = ((buf[t + TcpField.DATA_OFF] & 1) << 8) | buf[t + TcpField.FLAGS];
      out.tcpWindow = getU16(buf, t + TcpField.WINDOW);
      out.tcpHeaderLen = hl;
      out.payloadOff = t + hl;
      out.payloadLen = tlen - hl;
      if (verify && foldChecksum(sumWords(buf, t, tlen, pseudo(buf, out, IpProtocol.TCP, tlen))) !== 0) {
        return 'bad-checksum';
      }
      return 'ok';
    }
    case IpProtocol.UDP: {
      if (tlen < UDP_HEADER_LEN) return 'truncated';
      const ulen = getU16(buf, t + UdpField.LENGTH);
      if (ulen < UDP_HEADER_LEN) return 'malformed';
      if (ulen > tlen) return 'truncated';
      out.srcPort = getU16(buf, t + UdpField.SRC_PORT);
      out.dstPort = getU16(buf, t + UdpField.DST_PORT);
      out.payloadOff = t + UDP_HEADER_LEN;
      out.payloadLen = ulen - UDP_HEADER_LEN;
      if (verify) {
        if (getU16(buf, t + UdpField.CHECKSUM) === 0) {
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
      if (tlen < SCTP_HEADER_LEN + SCTP_CHUNK_HEADER_LEN) return 'truncated';
      out.srcPort = getU16(buf, t + SctpField.SRC_PORT);
      out.dstPort = getU16(buf, t + SctpField.DST_PORT);
      out.sctpVtag = getI32(buf, t + SctpField.VTAG) >>> 0;
      const c = t + SctpField.CHUNKS;
      const clen = getU16(buf, c + SctpChunkField.LENGTH);
      if (clen < SCTP_CHUNK_HEADER_LEN) return 'malformed';
      if (c + clen > ipEnd) return 'truncated';
      const ctype = buf[c + SctpChunkField.TYPE];
      out.sctpChunkType = ctype;
      out.sctpChunkFlags = buf[c + SctpChunkField.FLAGS];
      if (ctype === SctpChunkType.INIT || ctype === SctpChunkType.INIT_ACK) {
        if (clen < SCTP_INIT_LEN) return 'malformed';
        out.sctpInitiateTag = getI32(buf, c + SctpChunkField.INITIATE_TAG) >>> 0;
      }
      if (verify && !sctpChecksumMatches(buf, t, tlen)) return 'bad-checksum';
      return 'ok';
    }
    default:
      return 'unsupported';
  }
}

function decodeIcmpv4(buf: Uint8Array, t: number, ipEnd: number, out: Decoded, verify: boolean): DecodeResult {
  if (t + ICMPV4_HEADER_LEN > ipEnd) return 'truncated';
  const type = buf[t + Icmpv4Field.TYPE];
  out.icmpType = type;
  out.icmpCode = buf[t + Icmpv4Field.CODE];
  out.payloadOff = t + ICMPV4_HEADER_LEN;
  out.payloadLen = ipEnd - t - ICMPV4_HEADER_LEN;
  if (verify && internetChecksum(buf, t, ipEnd - t) !== 0) return 'bad-checksum';
  switch (type) {
    case Icmpv4Type.ECHO_REPLY:
    case Icmpv4Type.ECHO_REQUEST:
      out.icmpId = getU16(buf, t + Icmpv4Field.IDENT);
      out.icmpSeq = getU16(buf, t + Icmpv4Field.SEQ);
      return 'ok';
    case Icmpv4Type.DST_UNREACHABLE:
    case 4: // source quench (deprecated, still quotes)
    case Icmpv4Type.REDIRECT:
    case Icmpv4Type.TIME_EXCEEDED:
    case Icmpv4Type.PARAM_PROBLEM: {
      // RFC 792: the error quotes "the internet header plus the first 64 bits of the
      // original datagram's data"; without them we cannot say which probe it answers.
      const q = t + Icmpv4Field.DATA;
      if (q + IPV4_HEADER_LEN > ipEnd) return 'truncated';
      const qvihl = buf[q + Ipv4Field.VER_IHL];
      if (qvihl >>> 4 !== 4) return 'malformed';
      const ihl = (qvihl & 0x0f) << 2;
      if (ihl < IPV4_HEADER_LEN) return 'malformed';
      if (q + ihl + QUOTED_TRANSPORT_LEN > ipEnd) return 'truncated';
      out.innerIpVersion = 4;
      out.innerProto = buf[q + Ipv4Field.PROTOCOL];
      out.innerSrc = getI32(buf, q + Ipv4Field.SRC) >>> 0;
      out.innerDst = getI32(buf, q + Ipv4Field.DST) >>> 0;
      const it = q + ihl;
      // The first 8 bytes of TCP, UDP and SCTP: the two ports, then the TCP sequence number
      // (the SCTP verification tag; UDP's length and checksum).
      out.innerSrcPort = getU16(buf, it + TcpField.SRC_PORT);
      out.innerDstPort = getU16(buf, it + TcpField.DST_PORT);
      out.innerSeq = getI32(buf, it + TcpField.SEQ) >>> 0;
      return 'ok';
    }
    default:
      return 'ok';
  }
}

function decodeIcmpv6(buf: Uint8Array, t: number, ipEnd: number, out: Decoded, verify: boolean): DecodeResult {
  const mlen = ipEnd - t;
  if (mlen < ICMPV6_HEADER_LEN) return 'truncated';
  const type = buf[t + Icmpv6Field.TYPE];
  out.icmpType = type;
  out.icmpCode = buf[t + Icmpv6Field.CODE];
  out.payloadOff = t + ICMPV6_HEADER_LEN;
  out.payloadLen = mlen - ICMPV6_HEADER_LEN;
  if (verify && foldChecksum(sumWords(buf, t, mlen, pseudo(buf, out, IpProtocol.ICMPV6, mlen))) !== 0) {
    return 'bad-checksum';
  }
  switch (type) {
    case Icmpv6Type.ECHO_REQUEST:
    case Icmpv6Type.ECHO_REPLY:
      out.icmpId = getU16(buf, t + Icmpv6Field.IDENT);
      out.icmpSeq = getU16(buf, t + Icmpv6Field.SEQ);
      return 'ok';
    case Icmpv6Type.DST_UNREACHABLE:
    case Icmpv6Type.PACKET_TOO_BIG:
    case Icmpv6Type.TIME_EXCEEDED:
    case Icmpv6Type.PARAM_PROBLEM: {
      const q = t + ICMPV6_HEADER_LEN;
      if (q + IPV6_HEADER_LEN > ipEnd) return 'truncated';
      if (buf[q + Ipv6Field.VER_TC_FLOW] >>> 4 !== 6) return 'malformed';
      out.innerIpVersion = 6;
      out.innerSrc6Off = q + Ipv6Field.SRC;
      out.innerDst6Off = q + Ipv6Field.DST;
      for (let i = 0; i < 4; i++) {
        out.innerSrc6[i] = getI32(buf, q + Ipv6Field.SRC + 4 * i) >>> 0;
        out.innerDst6[i] = getI32(buf, q + Ipv6Field.DST + 4 * i) >>> 0;
      }
      // The quoted packet is cut short by design (RFC 4443 §2.4 (c)): bound by the ICMP message.
      const up = out.upper;
      const err = skipIpv6Extensions(buf, q + IPV6_HEADER_LEN, ipEnd, buf[q + Ipv6Field.NEXT_HEADER], up);
      if (err !== null) return err;
      out.innerProto = up.proto;
      if (up.fragOffset !== 0) return 'ok';
      if (up.offset + QUOTED_TRANSPORT_LEN > ipEnd) return 'truncated';
      out.innerSrcPort = getU16(buf, up.offset + TcpField.SRC_PORT);
      out.innerDstPort = getU16(buf, up.offset + TcpField.DST_PORT);
      out.innerSeq = getI32(buf, up.offset + TcpField.SEQ) >>> 0;
      return 'ok';
    }
    case Icmpv6Type.NEIGHBOR_SOLICIT:
    case Icmpv6Type.NEIGHBOR_ADVERT: {
      // RFC 4861 §7.1.1/§7.1.2: "ICMP Code is 0", "ICMP length ... is 24 or more octets".
      if (buf[t + Icmpv6Field.CODE] !== 0) return 'malformed';
      if (mlen < NDP_NS_NA_LEN) return 'truncated';
      out.ndpTargetOff = t + Icmpv6Field.TARGET;
      const ll = findNdpLinkAddr(
        buf,
        t + NDP_NS_NA_LEN,
        ipEnd,
        type === Icmpv6Type.NEIGHBOR_SOLICIT ? NdpOptionType.SOURCE_LL_ADDR : NdpOptionType.TARGET_LL_ADDR,
      );
      if (typeof ll === 'string') return ll;
      out.ndpLinkAddrOff = ll;
      return 'ok';
    }
    case Icmpv6Type.ROUTER_ADVERT: {
      if (buf[t + Icmpv6Field.CODE] !== 0) return 'malformed';
      if (mlen < NDP_RA_LEN) return 'truncated';
      const ll = findNdpLinkAddr(buf, t + NDP_RA_LEN, ipEnd, NdpOptionType.SOURCE_LL_ADDR);
      if (typeof ll === 'string') return ll;
      out.ndpLinkAddrOff = ll;
      return 'ok';
    }
    default:
      return 'ok';
  }
}
