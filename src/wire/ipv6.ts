/**
 * IPv6 fixed headers (RFC 8200 §3) and a bounded walk over extension headers (§4).
 *
 *   0                    4            6     7     8       24      40
 *   |ver|class|flow label| payload len| next| hops| src     | dst   |
 */
import { getU16, getU32, regionOk, setU16, setU32 } from './bytes.js';
import { IpProtocol } from './ip.js';
import type { WireError } from './wire-error.js';

export const IPV6_HEADER_LEN = 40;
export const IPV6_ADDR_LEN = 16;
/**
 * At most this many extension headers are skipped; more is called `unsupported`. RFC 8200 §4.1
 * recommends no more than one of each (with Destination Options at most twice).
 */
export const IPV6_MAX_EXTENSION_HEADERS = 8;

export const Ipv6Field = {
  VER_TC_FLOW: 0,
  PAYLOAD_LEN: 4,
  NEXT_HEADER: 6,
  HOP_LIMIT: 7,
  SRC: 8,
  DST: 24,
} as const;

export class Ipv6Packet {
  constructor(
    readonly buf: Uint8Array,
    readonly off = 0,
    readonly len = buf.length - off,
  ) {}

  /**
   * After `null`: the fixed header and `payloadLen()` bytes after it lie inside the view (bytes
   * beyond are padding). Jumbograms (payload length 0 with a hop-by-hop jumbo option) are seen
   * as an empty payload.
   */
  checkLen(): WireError | null {
    if (!regionOk(this.buf, this.off, this.len)) return 'truncated';
    if (this.len < IPV6_HEADER_LEN) return 'truncated';
    if (IPV6_HEADER_LEN + this.payloadLen() > this.len) return 'truncated';
    return null;
  }

  version(): number {
    return this.buf[this.off] >>> 4;
  }
  trafficClass(): number {
    return (getU16(this.buf, this.off) >>> 4) & 0xff;
  }
  flowLabel(): number {
    return getU32(this.buf, this.off) & 0xfffff;
  }
  payloadLen(): number {
    return getU16(this.buf, this.off + Ipv6Field.PAYLOAD_LEN);
  }
  nextHeader(): number {
    return this.buf[this.off + Ipv6Field.NEXT_HEADER];
  }
  hopLimit(): number {
    return this.buf[this.off + Ipv6Field.HOP_LIMIT];
  }
  srcOff(): number {
    return this.off + Ipv6Field.SRC;
  }
  dstOff(): number {
    return this.off + Ipv6Field.DST;
  }
  src(): Uint8Array {
    return this.buf.slice(this.srcOff(), this.srcOff() + IPV6_ADDR_LEN);
  }
  dst(): Uint8Array {
    return this.buf.slice(this.dstOff(), this.dstOff() + IPV6_ADDR_LEN);
  }
  payloadOff(): number {
    return this.off + IPV6_HEADER_LEN;
  }

  setVersionClassFlow(trafficClass: number, flowLabel: number): void {
    setU32(this.buf, this.off, ((6 << 28) | ((trafficClass & 0xff) << 20) | (flowLabel & 0xfffff)) >>> 0);
  }
  setPayloadLen(v: number): void {
    setU16(this.buf, this.off + Ipv6Field.PAYLOAD_LEN, v);
  }
  setNextHeader(v: number): void {
    this.buf[this.off + Ipv6Field.NEXT_HEADER] = v;
  }
  setHopLimit(v: number): void {
    this.buf[this.off + Ipv6Field.HOP_LIMIT] = v;
  }
  setSrc(addr: Uint8Array): void {
    this.buf.set(addr.subarray(0, IPV6_ADDR_LEN), this.srcOff());
  }
  setDst(addr: Uint8Array): void {
    this.buf.set(addr.subarray(0, IPV6_ADDR_LEN), this.dstOff());
  }
}

export interface Ipv6Repr {
  src: Uint8Array;
  dst: Uint8Array;
  /** The fixed header's next header (an extension header or the upper layer). */
  nextHeader: number;
  payloadLen: number;
  hopLimit: number;
  trafficClass: number;
  flowLabel: number;
}

export function parseIpv6(pkt: Ipv6Packet): Ipv6Repr | WireError {
  const e = pkt.checkLen();
  if (e !== null) return e;
  if (pkt.version() !== 6) return 'malformed';
  return {
    src: pkt.src(),
    dst: pkt.dst(),
    nextHeader: pkt.nextHeader(),
    payloadLen: pkt.payloadLen(),
    hopLimit: pkt.hopLimit(),
    trafficClass: pkt.trafficClass(),
    flowLabel: pkt.flowLabel(),
  };
}

export function emitIpv6(repr: Ipv6Repr, pkt: Ipv6Packet): void {
  pkt.setVersionClassFlow(repr.trafficClass, repr.flowLabel);
  pkt.setPayloadLen(repr.payloadLen);
  pkt.setNextHeader(repr.nextHeader);
  pkt.setHopLimit(repr.hopLimit);
  pkt.setSrc(repr.src);
  pkt.setDst(repr.dst);
}

/** Where the upper layer starts: the result of `skipIpv6Extensions` (reused, no allocation). */
export class Ipv6Upper {
  /** Upper-layer protocol (the last next-header value). */
  proto = 0;
  /** Offset in the buffer of the upper-layer header. */
  offset = 0;
  /** True when a fragment header was seen. */
  fragmented = false;
  /** Fragment offset in bytes (0 for the first fragment or no fragment header). */
  fragOffset = 0;
  /** True when the fragment header's M flag is set. */
  moreFrags = false;
  /** Extension headers skipped. */
  count = 0;
}

/**
 * Walk the extension headers that start at `buf[start]` with next-header `nextHeader`, inside
 * `[start, end)`, and fill `out` with the upper-layer protocol and offset. Skips hop-by-hop (0),
 * routing (43), fragment (44), destination options (60) and AH (51). Stops at a non-first
 * fragment (its upper-layer header is elsewhere) with `out.proto` the fragment's next header.
 *
 * Guarantees: reads only inside `[start, end)`, at most IPV6_MAX_EXTENSION_HEADERS headers
 * (else 'unsupported'), allocates nothing, never throws.
 */
export function skipIpv6Extensions(
  buf: Uint8Array,
  start: number,
  end: number,
  nextHeader: number,
  out: Ipv6Upper,
): WireError | null {
  let nh = nextHeader;
  let p = start;
  out.fragmented = false;
  out.fragOffset = 0;
  out.moreFrags = false;
  out.count = 0;
  for (let n = 0; n <= IPV6_MAX_EXTENSION_HEADERS; n++) {
    let hdrLen: number;
    switch (nh) {
      case IpProtocol.HOP_BY_HOP:
      case IpProtocol.IPV6_ROUTING:
      case IpProtocol.IPV6_DEST_OPTS:
        if (p + 8 > end) return 'truncated';
        hdrLen = (buf[p + 1] + 1) * 8;
        break;
      case IpProtocol.AH:
        if (p + 8 > end) return 'truncated';
        hdrLen = (buf[p + 1] + 2) * 4;
        break;
      case IpProtocol.IPV6_FRAGMENT: {
        if (p + 8 > end) return 'truncated';
        const w = getU16(buf, p + 2);
        out.fragmented = true;
        out.fragOffset = w & 0xfff8;
        out.moreFrags = (w & 1) !== 0;
        hdrLen = 8;
        break;
      }
      default:
        out.proto = nh;
        out.offset = p;
        return null;
    }
    if (n === IPV6_MAX_EXTENSION_HEADERS) return 'unsupported';
    if (p + hdrLen > end) return 'truncated';
    nh = buf[p];
    p += hdrLen;
    out.count = n + 1;
    if (out.fragOffset !== 0) {
      // A non-first fragment: what follows is the middle of the upper-layer data.
      out.proto = nh;
      out.offset = p;
      return null;
    }
  }
  return 'unsupported';
}
