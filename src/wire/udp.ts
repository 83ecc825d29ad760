/**
 * UDP datagrams (RFC 768).
 *
 *   0      2      4        6         8
 *   | sport| dport| length | checksum| data
 */
import { getU16, regionOk, setU16 } from './bytes.js';
import { foldChecksum, pseudoHeaderSum, sumWords, udpChecksumOnWire, type IpPair } from './checksum.js';
import { IpProtocol } from './ip.js';
import type { WireError } from './wire-error.js';

export const UDP_HEADER_LEN = 8;

export const UdpField = { SRC_PORT: 0, DST_PORT: 2, LENGTH: 4, CHECKSUM: 6 } as const;

export class UdpPacket {
  constructor(
    readonly buf: Uint8Array,
    readonly off = 0,
    readonly len = buf.length - off,
  ) {}

  /** After `null`: 8 <= length field <= the view; the datagram is `length()` bytes. */
  checkLen(): WireError | null {
    if (!regionOk(this.buf, this.off, this.len)) return 'truncated';
    if (this.len < UDP_HEADER_LEN) return 'truncated';
    const l = this.length();
    if (l < UDP_HEADER_LEN) return 'malformed';
    if (l > this.len) return 'truncated';
    return null;
  }

  srcPort(): number {
    return getU16(this.buf, this.off + UdpField.SRC_PORT);
  }
  dstPort(): number {
    return getU16(this.buf, this.off + UdpField.DST_PORT);
  }
  /** The length field: header + data. */
  length(): number {
    return getU16(this.buf, this.off + UdpField.LENGTH);
  }
  checksum(): number {
    return getU16(this.buf, this.off + UdpField.CHECKSUM);
  }
  payloadOff(): number {
    return this.off + UDP_HEADER_LEN;
  }
  payloadLen(): number {
    return this.length() - UDP_HEADER_LEN;
  }
  /**
   * True when the checksum verifies over `length()` bytes, given the pseudo-header running sum.
   * A zero field (no checksum; IPv4 only) is the caller's case to decide.
   */
  verifyChecksum(pseudoSum: number): boolean {
    return foldChecksum(sumWords(this.buf, this.off, this.length(), pseudoSum)) === 0;
  }

  setSrcPort(v: number): void {
    setU16(this.buf, this.off + UdpField.SRC_PORT, v);
  }
  setDstPort(v: number): void {
    setU16(this.buf, this.off + UdpField.DST_PORT, v);
  }
  setLength(v: number): void {
    setU16(this.buf, this.off + UdpField.LENGTH, v);
  }
  setChecksum(v: number): void {
    setU16(this.buf, this.off + UdpField.CHECKSUM, v);
  }
  /** Compute and store the checksum over `length()` bytes (0 becomes 0xffff, RFC 768). */
  fillChecksum(pseudoSum: number): void {
    this.setChecksum(0);
    this.setChecksum(udpChecksumOnWire(foldChecksum(sumWords(this.buf, this.off, this.length(), pseudoSum))));
  }
}

export interface UdpRepr {
  srcPort: number;
  dstPort: number;
  /** A view of the data (not a copy) after parse; copied by emit. */
  payload: Uint8Array;
}

/**
 * Parse a datagram. With `ip`, a non-zero checksum is verified; a zero checksum is accepted
 * for IPv4 ("no checksum", RFC 768) and refused for IPv6 (RFC 8200 §8.1: "IPv6 receivers must
 * discard UDP packets containing a zero checksum").
 */
export function parseUdp(pkt: UdpPacket, ip: IpPair | null): UdpRepr | WireError {
  const e = pkt.checkLen();
  if (e !== null) return e;
  if (ip !== null) {
    if (pkt.checksum() === 0) {
      if (ip.version === 6) return 'bad-checksum';
    } else if (!pkt.verifyChecksum(pseudoHeaderSum(ip, IpProtocol.UDP, pkt.length()))) {
      return 'bad-checksum';
    }
  }
  return {
    srcPort: pkt.srcPort(),
    dstPort: pkt.dstPort(),
    payload: pkt.buf.subarray(pkt.payloadOff(), pkt.off + pkt.length()),
  };
}

export function udpBufferLen(repr: UdpRepr): number {
  return UDP_HEADER_LEN + repr.payload.length;
}

/** Write the datagram at `pkt.off`, with its checksum when `ip` is given (else 0: none). */
export function emitUdp(repr: UdpRepr, pkt: UdpPacket, ip: IpPair | null): void {
  const total = UDP_HEADER_LEN + repr.payload.length;
  pkt.setSrcPort(repr.srcPort);
  pkt.setDstPort(repr.dstPort);
  pkt.setLength(total);
  pkt.setChecksum(0);
  pkt.buf.set(repr.payload, pkt.off + UDP_HEADER_LEN);
  if (ip !== null) {
    const sum = sumWords(pkt.buf, pkt.off, total, pseudoHeaderSum(ip, IpProtocol.UDP, total));
    pkt.setChecksum(udpChecksumOnWire(foldChecksum(sum)));
  }
}
