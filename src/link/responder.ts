/**
 * ARP and NDP for the scanner's own addresses (reference masscan-compat.md §7).
 *
 * - Answering: when the source IPv4/IPv6 is one the host's kernel does not own (a spoofed
 *   --source-ip), nobody else answers the router's "who has" for it, so replies (SYN-ACKs)
 *   would never come back. The receive worker hands every decoded ARP request / neighbour
 *   solicitation to `Responder.answer`, which writes the reply frame; the frame goes out
 *   through the frame ring and a transmit worker.
 * - Asking: resolve.ts sends our own ARP request / neighbour solicitation for the router
 *   (or an on-link target) and reads the reply with `arpReplyFrom` / `ndpAdvertFrom`.
 *
 * Frames are written with the wire views into a caller's buffer; nothing here sends. The
 * per-frame path allocates nothing except the view objects of a frame that is answered (an
 * ARP request for us is rare).
 */
import { ArpOperation, ArpPacket, ARP_ETH_IPV4_LEN } from '../wire/arp.js';
import { getU32, setU32 } from '../wire/bytes.js';
import { pseudoHeaderSum6 } from '../wire/checksum.js';
import type { Decoded } from '../wire/decode.js';
import { EtherType, EthernetFrame, MAC_LEN, emitEthernet, ethernetHeaderLen } from '../wire/ethernet.js';
import { Icmpv6Field, Icmpv6Packet, Icmpv6Type, NdpNaFlags, NdpOptionType, NDP_NS_NA_LEN } from '../wire/icmpv6.js';
import { IpProtocol } from '../wire/ip.js';
import { IPV6_HEADER_LEN, Ipv6Packet } from '../wire/ipv6.js';

const BROADCAST = new Uint8Array([0xff, 0xff, 0xff, 0xff, 0xff, 0xff]);
const ZERO_MAC = new Uint8Array(6);

/** RFC 4861 §7.1.1/§7.1.2: NDP messages are sent (and must arrive) with hop limit 255. */
const NDP_HOP_LIMIT = 255;

/** Writes the Ethernet header (802.1Q tag when vlan is a number); returns its length. */
export function writeEthernet(out: Uint8Array, dst: Uint8Array, src: Uint8Array, etherType: number, vlan: number | undefined): number {
  const repr = { dst, src, etherType, vlanTci: vlan === undefined ? undefined : vlan & 0x0fff };
  emitEthernet(repr, new EthernetFrame(out, 0, out.length));
  return ethernetHeaderLen(repr);
}

/** An ARP message in an Ethernet frame; returns the frame length (42, or 46 tagged). */
export function buildArp(
  out: Uint8Array, op: number,
  ethDst: Uint8Array, senderMac: Uint8Array, senderIp: number,
  targetMac: Uint8Array, targetIp: number, vlan: number | undefined,
): number {
  const h = writeEthernet(out, ethDst, senderMac, EtherType.ARP, vlan);
  const a = new ArpPacket(out, h, ARP_ETH_IPV4_LEN);
  a.setHeader(1, EtherType.IPV4, MAC_LEN, 4, op);
  a.setSenderMac(senderMac);
  a.setSenderIp(senderIp);
  a.setTargetMac(targetMac);
  a.setTargetIp(targetIp);
  return h + ARP_ETH_IPV4_LEN;
}

/** Broadcast "who has targetIp, tell senderIp". */
export function buildArpRequest(out: Uint8Array, senderMac: Uint8Array, senderIp: number, targetIp: number, vlan: number | undefined): number {
  return buildArp(out, ArpOperation.REQUEST, BROADCAST, senderMac, senderIp, ZERO_MAC, targetIp, vlan);
}

/** The solicited-node multicast address ff02::1:ffXX:XXXX of `target` (RFC 4291 §2.7.1), into out[off..+16). */
export function solicitedNode(target: Uint8Array, targetOff: number, out: Uint8Array, off: number): void {
  out.fill(0, off, off + 16);
  out[off] = 0xff; out[off + 1] = 0x02;
  out[off + 11] = 0x01; out[off + 12] = 0xff;
  out[off + 13] = target[targetOff + 13]; out[off + 14] = target[targetOff + 14]; out[off + 15] = target[targetOff + 15];
}

/**
 * An NDP message (NS or NA) with one link-layer address option, in an Ethernet frame.
 * `src`/`dst` are IPv6 addresses (16 bytes each), `target` the NS/NA target. Returns the
 * frame length.
 */
function buildNdp(
  out: Uint8Array, ethDst: Uint8Array, srcMac: Uint8Array,
  src: Uint8Array, dst: Uint8Array, type: number, flags: number, target: Uint8Array, targetOff: number,
  vlan: number | undefined,
): number {
  const h = writeEthernet(out, ethDst, srcMac, EtherType.IPV6, vlan);
  const icmpLen = NDP_NS_NA_LEN + 8;
  const ip = new Ipv6Packet(out, h, IPV6_HEADER_LEN + icmpLen);
  ip.setVersionClassFlow(0, 0);
  ip.setPayloadLen(icmpLen);
  ip.setNextHeader(IpProtocol.ICMPV6);
  ip.setHopLimit(NDP_HOP_LIMIT);
  ip.setSrc(src);
  ip.setDst(dst);
  const t = h + IPV6_HEADER_LEN;
  const m = new Icmpv6Packet(out, t, icmpLen);
  m.setMsgType(type);
  m.setCode(0);
  m.setRestOfHeader(0);
  out[t + Icmpv6Field.NA_FLAGS] = flags;
  out.set(target.subarray(targetOff, targetOff + 16), t + Icmpv6Field.TARGET);
  const o = t + NDP_NS_NA_LEN;
  out[o] = type === Icmpv6Type.NEIGHBOR_SOLICIT ? NdpOptionType.SOURCE_LL_ADDR : NdpOptionType.TARGET_LL_ADDR;
  out[o + 1] = 1; // length in units of 8 bytes
  out.set(srcMac.subarray(0, MAC_LEN), o + 2);
  m.fillChecksum(pseudoHeaderSum6(out, ip.srcOff(), ip.dstOff(), IpProtocol.ICMPV6, icmpLen));
  return t + icmpLen;
}

/** A neighbour solicitation for `target` (16 bytes) from `src` (16 bytes), to its solicited-node group. */
export function buildNeighborSolicit(out: Uint8Array, srcMac: Uint8Array, src: Uint8Array, target: Uint8Array, vlan: number | undefined): number {
  const dst = new Uint8Array(16);
  solicitedNode(target, 0, dst, 0);
  // RFC 2464 §7: IPv6 multicast to 33:33 + the last four bytes of the group.
  const mac = new Uint8Array([0x33, 0x33, dst[12], dst[13], dst[14], dst[15]]);
  return buildNdp(out, mac, srcMac, src, dst, Icmpv6Type.NEIGHBOR_SOLICIT, 0, target, 0, vlan);
}

/** IPv4 u32 or IPv6 four words as 16 bytes. */
export function words6ToBytes(w: Uint32Array, off: number, out: Uint8Array, outOff: number): void {
  for (let i = 0; i < 4; i++) setU32(out, outOff + 4 * i, w[off + i]);
}

export interface ResponderOptions {
  readonly mac: Uint8Array;
  /** Our IPv4 source range (answered when answer4). */
  readonly ip4: { readonly begin: number; readonly end: number } | undefined;
  /** Our IPv6 source address as four words (answered when answer6). */
  readonly ip6: Uint32Array | undefined;
  readonly answer4: boolean;
  readonly answer6: boolean;
  readonly vlan: number | undefined;
}

/**
 * Answers ARP requests and neighbour solicitations for our (spoofed) addresses.
 * Verdicts are pure functions of the decoded frame and the options.
 */
export class Responder {
  private readonly ip6Bytes = new Uint8Array(16);
  /** Counters. */
  arpAnswered = 0;
  ndpAnswered = 0;

  constructor(private readonly o: ResponderOptions) {
    if (o.ip6 !== undefined) words6ToBytes(o.ip6, 0, this.ip6Bytes, 0);
  }

  /** True if the frame (decoded 'ok') asks for one of our addresses and we answer it. */
  wants(buf: Uint8Array, d: Decoded): boolean {
    const o = this.o;
    if (d.arpOp === ArpOperation.REQUEST) {
      return o.answer4 && o.ip4 !== undefined && ((d.arpTargetIp - o.ip4.begin) >>> 0) <= ((o.ip4.end - o.ip4.begin) >>> 0);
    }
    if (d.ipVersion === 6 && d.proto === IpProtocol.ICMPV6 && d.icmpType === Icmpv6Type.NEIGHBOR_SOLICIT && d.ndpTargetOff >= 0) {
      // RFC 4861 §7.1.1: "The IP Hop Limit field has a value of 255" else the NS is discarded.
      if (!o.answer6 || o.ip6 === undefined || d.ttl !== NDP_HOP_LIMIT) return false;
      const t = d.ndpTargetOff;
      return getU32(buf, t) === o.ip6[0] && getU32(buf, t + 4) === o.ip6[1] &&
        getU32(buf, t + 8) === o.ip6[2] && getU32(buf, t + 12) === o.ip6[3];
    }
    return false;
  }

  /**
   * If `wants(buf, d)`, write the reply frame into `out` (>= 90 bytes) and return its length;
   * else 0.
   */
  answer(buf: Uint8Array, d: Decoded, out: Uint8Array): number {
    if (!this.wants(buf, d)) return 0;
    const o = this.o;
    if (d.arpOp === ArpOperation.REQUEST) {
      this.arpAnswered++;
      const senderMac = buf.subarray(d.arpSenderMacOff, d.arpSenderMacOff + MAC_LEN);
      return buildArp(out, ArpOperation.REPLY, senderMac, o.mac, d.arpTargetIp, senderMac, d.arpSenderIp, o.vlan);
    }
    // NA to the solicitation's source. RFC 4861 §7.2.4: if the source is the unspecified
    // address, the advertisement goes to all-nodes with Solicited clear.
    this.ndpAnswered++;
    let unspecified = true;
    for (let i = 0; i < 16; i++) if (buf[d.src6Off + i] !== 0) { unspecified = false; break; }
    const ethDst = d.ndpLinkAddrOff >= 0
      ? buf.subarray(d.ndpLinkAddrOff, d.ndpLinkAddrOff + MAC_LEN)
      : buf.subarray(d.srcMacOff, d.srcMacOff + MAC_LEN);
    if (unspecified) {
      const allNodes = new Uint8Array(16);
      allNodes[0] = 0xff; allNodes[1] = 0x02; allNodes[15] = 1;
      const mac = new Uint8Array([0x33, 0x33, 0, 0, 0, 1]);
      return buildNdp(out, mac, o.mac, this.ip6Bytes, allNodes, Icmpv6Type.NEIGHBOR_ADVERT,
        NdpNaFlags.OVERRIDE, this.ip6Bytes, 0, o.vlan);
    }
    return buildNdp(out, ethDst, o.mac, this.ip6Bytes, buf.subarray(d.src6Off, d.src6Off + 16),
      Icmpv6Type.NEIGHBOR_ADVERT, NdpNaFlags.SOLICITED | NdpNaFlags.OVERRIDE, this.ip6Bytes, 0, o.vlan);
  }
}

/** resolve.ts: if the decoded frame is an ARP reply from `ip`, the offset of its sender MAC; else -1. */
export function arpReplyFrom(d: Decoded, ip: number): number {
  return d.arpOp === ArpOperation.REPLY && d.arpSenderIp === (ip >>> 0) ? d.arpSenderMacOff : -1;
}

/** resolve.ts: if the decoded frame is a neighbour advertisement for `target` (16 bytes), the offset of its MAC; else -1. */
export function ndpAdvertFrom(buf: Uint8Array, d: Decoded, target: Uint8Array): number {
  if (d.ipVersion !== 6 || d.proto !== IpProtocol.ICMPV6 || d.icmpType !== Icmpv6Type.NEIGHBOR_ADVERT || d.ndpTargetOff < 0) return -1;
  for (let i = 0; i < 16; i++) if (buf[d.ndpTargetOff + i] !== target[i]) return -1;
  // An NA without the target link-layer option (allowed for solicited unicast NAs) is
  // answered from the frame's own source MAC.
  return d.ndpLinkAddrOff >= 0 ? d.ndpLinkAddrOff : d.srcMacOff;
}

/** The solicited-node multicast group of an IPv6 address, as a bigint (ff02::1:ffXX:XXXX). */
export function solicitedNodeAddress(a: bigint): bigint {
  return (0xff02n << 112n) | (0x1ffn << 24n) | (a & 0xffffffn);
}
