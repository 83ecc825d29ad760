/**
 * IPv4 headers (RFC 791), options kept as raw bytes.
 *
 *   0        1     2        4       6            8    9      10     12    16    20
 *   |ver|ihl | tos | length | ident |flags|frag  | ttl| proto| cksum| src | dst | options
 */
import { getU16, getU32, regionOk, setU16, setU32 } from './bytes.js';
import { internetChecksum } from './checksum.js';
import type { WireError } from './wire-error.js';

export const IPV4_HEADER_LEN = 20;
/** IHL is 4 bits of 32-bit words. */
export const IPV4_MAX_HEADER_LEN = 60;

export const Ipv4Field = {
  VER_IHL: 0,
  TOS: 1,
  LENGTH: 2,
  IDENT: 4,
  FLAGS_FRAG: 6,
  TTL: 8,
  PROTOCOL: 9,
  CHECKSUM: 10,
  SRC: 12,
  DST: 16,
  OPTIONS: 20,
} as const;

/** Bits of the 16-bit flags + fragment offset word. */
export const Ipv4Flags = { DONT_FRAG: 0x4000, MORE_FRAGS: 0x2000, OFFSET_MASK: 0x1fff } as const;

export class Ipv4Packet {
  constructor(
    readonly buf: Uint8Array,
    readonly off = 0,
    readonly len = buf.length - off,
  ) {}

  /**
   * After `null`: the header, its options and `totalLen()` bytes lie inside the view. Bytes past
   * `totalLen()` (Ethernet padding) are allowed and ignored. Does not check the version or the
   * checksum: `parseIpv4` does.
   */
  checkLen(): WireError | null {
    if (!regionOk(this.buf, this.off, this.len)) return 'truncated';
    if (this.len < IPV4_HEADER_LEN) return 'truncated';
    const hl = this.headerLen();
    if (hl < IPV4_HEADER_LEN) return 'malformed';
    if (hl > this.len) return 'truncated';
    const total = this.totalLen();
    if (total < hl) return 'malformed';
    if (total > this.len) return 'truncated';
    return null;
  }

  version(): number {
    return this.buf[this.off] >>> 4;
  }
  headerLen(): number {
    return (this.buf[this.off] & 0x0f) * 4;
  }
  tos(): number {
    return this.buf[this.off + Ipv4Field.TOS];
  }
  totalLen(): number {
    return getU16(this.buf, this.off + Ipv4Field.LENGTH);
  }
  ident(): number {
    return getU16(this.buf, this.off + Ipv4Field.IDENT);
  }
  dontFrag(): boolean {
    return (getU16(this.buf, this.off + Ipv4Field.FLAGS_FRAG) & Ipv4Flags.DONT_FRAG) !== 0;
  }
  moreFrags(): boolean {
    return (getU16(this.buf, this.off + Ipv4Field.FLAGS_FRAG) & Ipv4Flags.MORE_FRAGS) !== 0;
  }
  /** Fragment offset in bytes (the field counts 8-byte units). */
  fragOffset(): number {
    return (getU16(this.buf, this.off + Ipv4Field.FLAGS_FRAG) & Ipv4Flags.OFFSET_MASK) * 8;
  }
  /** The reserved ("evil") bit, kept so a parse/emit round trip is exact. */
  reservedFlag(): boolean {
    return (getU16(this.buf, this.off + Ipv4Field.FLAGS_FRAG) & 0x8000) !== 0;
  }
  ttl(): number {
    return this.buf[this.off + Ipv4Field.TTL];
  }
  protocol(): number {
    return this.buf[this.off + Ipv4Field.PROTOCOL];
  }
  checksum(): number {
    return getU16(this.buf, this.off + Ipv4Field.CHECKSUM);
  }
  src(): number {
    return getU32(this.buf, this.off + Ipv4Field.SRC);
  }
  dst(): number {
    return getU32(this.buf, this.off + Ipv4Field.DST);
  }
  /** True when the header checksum verifies (call after checkLen). */
  verifyChecksum(): boolean {
    return internetChecksum(this.buf, this.off, this.headerLen()) === 0;
  }
  payloadOff(): number {
    return this.off + this.headerLen();
  }
  payloadLen(): number {
    return this.totalLen() - this.headerLen();
  }

  setVersionAndHeaderLen(headerLen: number): void {
    this.buf[this.off] = 0x40 | ((headerLen >>> 2) & 0x0f);
  }
  setTos(v: number): void {
    this.buf[this.off + Ipv4Field.TOS] = v;
  }
  setTotalLen(v: number): void {
    setU16(this.buf, this.off + Ipv4Field.LENGTH, v);
  }
  setIdent(v: number): void {
    setU16(this.buf, this.off + Ipv4Field.IDENT, v);
  }
  /** `fragOffset` in bytes, a multiple of 8. */
  setFlagsAndFrag(dontFrag: boolean, moreFrags: boolean, fragOffset: number, reserved = false): void {
    const w =
      (reserved ? 0x8000 : 0) |
      (dontFrag ? Ipv4Flags.DONT_FRAG : 0) |
      (moreFrags ? Ipv4Flags.MORE_FRAGS : 0) |
      ((fragOffset >>> 3) & Ipv4Flags.OFFSET_MASK);
    setU16(this.buf, this.off + Ipv4Field.FLAGS_FRAG, w);
  }
  setTtl(v: number): void {
    this.buf[this.off + Ipv4Field.TTL] = v;
  }
  setProtocol(v: number): void {
    this.buf[this.off + Ipv4Field.PROTOCOL] = v;
  }
  setChecksum(v: number): void {
    setU16(this.buf, this.off + Ipv4Field.CHECKSUM, v);
  }
  setSrc(v: number): void {
    setU32(this.buf, this.off + Ipv4Field.SRC, v);
  }
  setDst(v: number): void {
    setU32(this.buf, this.off + Ipv4Field.DST, v);
  }
  /** Compute and store the header checksum over `headerLen()` bytes. */
  fillChecksum(): void {
    this.setChecksum(0);
    this.setChecksum(internetChecksum(this.buf, this.off, this.headerLen()));
  }
}

export interface Ipv4Repr {
  src: number;
  dst: number;
  /** IpProtocol value, or any other number. */
  protocol: number;
  /** Bytes after the header (total length - header length). */
  payloadLen: number;
  ttl: number;
  tos: number;
  ident: number;
  dontFrag: boolean;
  moreFrags: boolean;
  /** In bytes, a multiple of 8. */
  fragOffset: number;
  /** Raw option bytes, a multiple of 4 long (0 .. 40). */
  options: Uint8Array;
}

/**
 * Parse and check a header. `verifyChecksum` = false skips the checksum check (for headers
 * quoted in ICMP errors, which routers may have changed).
 */
export function parseIpv4(pkt: Ipv4Packet, verifyChecksum = true): Ipv4Repr | WireError {
  const e = pkt.checkLen();
  if (e !== null) return e;
  if (pkt.version() !== 4) return 'malformed';
  if (verifyChecksum && !pkt.verifyChecksum()) return 'bad-checksum';
  const optOff = pkt.off + IPV4_HEADER_LEN;
  return {
    src: pkt.src(),
    dst: pkt.dst(),
    protocol: pkt.protocol(),
    payloadLen: pkt.payloadLen(),
    ttl: pkt.ttl(),
    tos: pkt.tos(),
    ident: pkt.ident(),
    dontFrag: pkt.dontFrag(),
    moreFrags: pkt.moreFrags(),
    fragOffset: pkt.fragOffset(),
    options: pkt.buf.slice(optOff, pkt.off + pkt.headerLen()),
  };
}

export function ipv4HeaderLen(repr: Ipv4Repr): number {
  return IPV4_HEADER_LEN + ((repr.options.length + 3) & ~3);
}

/**
 * Write the header (options zero-padded to 32 bits) and its checksum at `pkt.off`. The caller
 * supplies `ipv4HeaderLen(repr)` bytes and writes the payload after them.
 */
export function emitIpv4(repr: Ipv4Repr, pkt: Ipv4Packet): void {
  const hl = ipv4HeaderLen(repr);
  pkt.setVersionAndHeaderLen(hl);
  pkt.setTos(repr.tos);
  pkt.setTotalLen(hl + repr.payloadLen);
  pkt.setIdent(repr.ident);
  pkt.setFlagsAndFrag(repr.dontFrag, repr.moreFrags, repr.fragOffset);
  pkt.setTtl(repr.ttl);
  pkt.setProtocol(repr.protocol);
  pkt.setSrc(repr.src);
  pkt.setDst(repr.dst);
  pkt.buf.fill(0, pkt.off + IPV4_HEADER_LEN, pkt.off + hl);
  pkt.buf.set(repr.options, pkt.off + IPV4_HEADER_LEN);
  pkt.fillChecksum();
}
