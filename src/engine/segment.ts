/**
 * Frames for the user-mode TCP stack's segments (ACKs, data, FIN, RST of banner
 * connections). Unlike probes, every field may change from one segment to the next (flags,
 * both sequence numbers, window, payload), so the IP and TCP headers are written whole and
 * their checksums summed over the frame; only the link header is constant (written once per
 * builder into `base`). Allocation-free: the caller's buffer is written in place and the
 * payload is copied byte by byte (no subarray views).
 */
import { setU16, setU32 } from '../wire/bytes.js';
import { foldChecksum, pseudoHeaderSum4, sumWords } from '../wire/checksum.js';
import { EtherType } from '../wire/ethernet.js';
import { IpProtocol } from '../wire/ip.js';
import { IPV4_HEADER_LEN, Ipv4Field, Ipv4Flags } from '../wire/ipv4.js';
import { IPV6_HEADER_LEN, Ipv6Field } from '../wire/ipv6.js';
import { TCP_HEADER_LEN, TcpField } from '../wire/tcp.js';
import { emitLink, linkHeaderLen, type LinkOptions } from '../probes/frame.js';

/** Ethernet's minimum frame without the FCS (the NIC adds it). */
const MIN_FRAME = 60;

/** Copy src[off, off + len) to dst at pos without making a view. */
function copyBytes(dst: Uint8Array, pos: number, src: Uint8Array, off: number, len: number): void {
  for (let i = 0; i < len; i++) dst[pos + i] = src[off + i]!;
}

/** Zero the padding between `from` and `to`. */
function pad(buf: Uint8Array, off: number, from: number, to: number): void {
  for (let i = from; i < to; i++) buf[off + i] = 0;
}

abstract class SegmentBuilderBase {
  protected readonly base: Uint8Array;
  protected readonly l2: number;
  protected readonly raw: boolean;

  protected constructor(link: LinkOptions, etherType: number) {
    this.l2 = linkHeaderLen(link);
    this.raw = link.raw === true;
    this.base = new Uint8Array(this.l2);
    emitLink(link, etherType, this.base);
  }

  /** The TCP header and payload at t; returns the TCP length. The checksum field is left 0. */
  protected tcp(
    buf: Uint8Array, t: number, srcPort: number, dstPort: number, flags: number, seq: number, ack: number,
    window: number, payload: Uint8Array, pOff: number, pLen: number,
  ): number {
    setU16(buf, t + TcpField.SRC_PORT, srcPort);
    setU16(buf, t + TcpField.DST_PORT, dstPort);
    setU32(buf, t + TcpField.SEQ, seq);
    setU32(buf, t + TcpField.ACK, ack);
    buf[t + TcpField.DATA_OFF] = ((TCP_HEADER_LEN >>> 2) << 4) | ((flags >>> 8) & 1);
    buf[t + TcpField.FLAGS] = flags & 0xff;
    setU16(buf, t + TcpField.WINDOW, window > 0xffff ? 0xffff : window);
    setU16(buf, t + TcpField.CHECKSUM, 0);
    setU16(buf, t + TcpField.URGENT, 0);
    copyBytes(buf, t + TCP_HEADER_LEN, payload, pOff, pLen);
    return TCP_HEADER_LEN + pLen;
  }

  /** Padded frame length for `len` bytes from the link header on. */
  protected finish(buf: Uint8Array, off: number, len: number): number {
    if (this.raw || len >= MIN_FRAME) return len;
    pad(buf, off, len, MIN_FRAME);
    return MIN_FRAME;
  }
}

/** TCP segments over IPv4 from one link (source MAC, router MAC, VLAN) and TTL. */
export class SegmentBuilder4 extends SegmentBuilderBase {
  private ident = 0;

  constructor(link: LinkOptions, private readonly ttl: number) {
    super(link, EtherType.IPV4);
  }

  /** Largest frame write() makes for `payloadLen` payload bytes. */
  frameLen(payloadLen: number): number {
    const n = this.l2 + IPV4_HEADER_LEN + TCP_HEADER_LEN + payloadLen;
    return this.raw || n >= MIN_FRAME ? n : MIN_FRAME;
  }

  /** Write one segment at buf[off]; returns the frame length. Addresses as u32 or int32 bits (the same octets). */
  write(
    buf: Uint8Array, off: number, srcIp: number, dstIp: number, srcPort: number, dstPort: number,
    flags: number, seq: number, ack: number, window: number, payload: Uint8Array, pOff: number, pLen: number,
  ): number {
    const l2 = this.l2;
    for (let i = 0; i < l2; i++) buf[off + i] = this.base[i]!;
    const ip = off + l2;
    const t = ip + IPV4_HEADER_LEN;
    const tcpLen = this.tcp(buf, t, srcPort, dstPort, flags, seq, ack, window, payload, pOff, pLen);
    buf[ip + Ipv4Field.VER_IHL] = 0x45;
    buf[ip + Ipv4Field.TOS] = 0;
    setU16(buf, ip + Ipv4Field.LENGTH, IPV4_HEADER_LEN + tcpLen);
    this.ident = (this.ident + 1) & 0xffff;
    setU16(buf, ip + Ipv4Field.IDENT, this.ident);
    setU16(buf, ip + Ipv4Field.FLAGS_FRAG, Ipv4Flags.DONT_FRAG);
    buf[ip + Ipv4Field.TTL] = this.ttl;
    buf[ip + Ipv4Field.PROTOCOL] = IpProtocol.TCP;
    setU16(buf, ip + Ipv4Field.CHECKSUM, 0);
    setU32(buf, ip + Ipv4Field.SRC, srcIp);
    setU32(buf, ip + Ipv4Field.DST, dstIp);
    setU16(buf, ip + Ipv4Field.CHECKSUM, foldChecksum(sumWords(buf, ip, IPV4_HEADER_LEN, 0)));
    const ps = pseudoHeaderSum4(srcIp | 0, dstIp | 0, IpProtocol.TCP, tcpLen);
    setU16(buf, t + TcpField.CHECKSUM, foldChecksum(sumWords(buf, t, tcpLen, ps)));
    return this.finish(buf, off, l2 + IPV4_HEADER_LEN + tcpLen);
  }
}

/** TCP segments over IPv6 from one link and hop limit. Addresses are four u32 words each. */
export class SegmentBuilder6 extends SegmentBuilderBase {
  constructor(link: LinkOptions, private readonly hopLimit: number) {
    super(link, EtherType.IPV6);
  }

  frameLen(payloadLen: number): number {
    const n = this.l2 + IPV6_HEADER_LEN + TCP_HEADER_LEN + payloadLen;
    return this.raw || n >= MIN_FRAME ? n : MIN_FRAME;
  }

  write(
    buf: Uint8Array, off: number, src: Uint32Array, dst: Uint32Array, srcPort: number, dstPort: number,
    flags: number, seq: number, ack: number, window: number, payload: Uint8Array, pOff: number, pLen: number,
  ): number {
    const l2 = this.l2;
    for (let i = 0; i < l2; i++) buf[off + i] = this.base[i]!;
    const ip = off + l2;
    const t = ip + IPV6_HEADER_LEN;
    const tcpLen = this.tcp(buf, t, srcPort, dstPort, flags, seq, ack, window, payload, pOff, pLen);
    setU32(buf, ip + Ipv6Field.VER_TC_FLOW, 0x60000000);
    setU16(buf, ip + Ipv6Field.PAYLOAD_LEN, tcpLen);
    buf[ip + Ipv6Field.NEXT_HEADER] = IpProtocol.TCP;
    buf[ip + Ipv6Field.HOP_LIMIT] = this.hopLimit;
    for (let i = 0; i < 4; i++) {
      setU32(buf, ip + Ipv6Field.SRC + 4 * i, src[i]!);
      setU32(buf, ip + Ipv6Field.DST + 4 * i, dst[i]!);
    }
    // RFC 8200 §8.1: the pseudo-header is both addresses, the upper-layer length, and the
    // next header; summed here over the header bytes just written.
    const ps = sumWords(buf, ip + Ipv6Field.SRC, 32, 0) + (tcpLen >>> 16) + (tcpLen & 0xffff) + IpProtocol.TCP;
    setU16(buf, t + TcpField.CHECKSUM, foldChecksum(sumWords(buf, t, tcpLen, ps)));
    return this.finish(buf, off, l2 + IPV6_HEADER_LEN + tcpLen);
  }
}
