/**
 * TCP segments (RFC 9293) and their options.
 *
 *   0      2      4     8     12        13    14     16     18      20
 *   | sport| dport| seq | ack |off|rsv|NS|flags| window| cksum| urgent| options ... | data
 */
import { getU16, getU32, regionOk, setU16, setU32 } from './bytes.js';
import { foldChecksum, pseudoHeaderSum, sumWords, type IpPair } from './checksum.js';
import { IpProtocol } from './ip.js';
import type { WireError } from './wire-error.js';
import { ScanError } from '../error.js';

export const TCP_HEADER_LEN = 20;
export const TCP_MAX_HEADER_LEN = 60;

export const TcpField = {
  SRC_PORT: 0,
  DST_PORT: 2,
  SEQ: 4,
  ACK: 8,
  DATA_OFF: 12,
  FLAGS: 13,
  WINDOW: 14,
  CHECKSUM: 16,
  URGENT: 18,
  OPTIONS: 20,
} as const;

/** Flag bits as `TcpPacket.flags()` returns them (NS is bit 8, from the data-offset byte). */
export const TcpFlags = {
  FIN: 0x01,
  SYN: 0x02,
  RST: 0x04,
  PSH: 0x08,
  ACK: 0x10,
  URG: 0x20,
  ECE: 0x40,
  CWR: 0x80,
  NS: 0x100,
} as const;

export const TcpOptionKind = {
  EOL: 0,
  NOP: 1,
  MSS: 2,
  WINDOW_SCALE: 3,
  SACK_PERMITTED: 4,
  SACK: 5,
  TIMESTAMP: 8,
} as const;

export class TcpPacket {
  constructor(
    readonly buf: Uint8Array,
    readonly off = 0,
    readonly len = buf.length - off,
  ) {}

  /**
   * After `null`: the header and its options lie inside the view; the payload is the rest of
   * the view. Option contents are checked by `parseTcpOptions`, not here.
   */
  checkLen(): WireError | null {
    if (!regionOk(this.buf, this.off, this.len)) return 'truncated';
    if (this.len < TCP_HEADER_LEN) return 'truncated';
    const hl = this.headerLen();
    if (hl < TCP_HEADER_LEN) return 'malformed';
    if (hl > this.len) return 'truncated';
    return null;
  }

  srcPort(): number {
    return getU16(this.buf, this.off + TcpField.SRC_PORT);
  }
  dstPort(): number {
    return getU16(this.buf, this.off + TcpField.DST_PORT);
  }
  seq(): number {
    return getU32(this.buf, this.off + TcpField.SEQ);
  }
  ack(): number {
    return getU32(this.buf, this.off + TcpField.ACK);
  }
  headerLen(): number {
    return (this.buf[this.off + TcpField.DATA_OFF] >>> 4) * 4;
  }
  /** The nine flag bits, TcpFlags. */
  flags(): number {
    return ((this.buf[this.off + TcpField.DATA_OFF] & 1) << 8) | this.buf[this.off + TcpField.FLAGS];
  }
  window(): number {
    return getU16(this.buf, this.off + TcpField.WINDOW);
  }
  checksum(): number {
    return getU16(this.buf, this.off + TcpField.CHECKSUM);
  }
  urgent(): number {
    return getU16(this.buf, this.off + TcpField.URGENT);
  }
  optionsOff(): number {
    return this.off + TCP_HEADER_LEN;
  }
  optionsLen(): number {
    return this.headerLen() - TCP_HEADER_LEN;
  }
  payloadOff(): number {
    return this.off + this.headerLen();
  }
  payloadLen(): number {
    return this.len - this.headerLen();
  }
  /**
   * True when the checksum verifies, given the running sum of the pseudo-header
   * (`pseudoHeaderSum4(src, dst, 6, len)`). NOTE: frames captured on the sending host (lo, veth
   * with offload) carry only the pseudo-header sum here, not a checksum.
   */
  verifyChecksum(pseudoSum: number): boolean {
    return foldChecksum(sumWords(this.buf, this.off, this.len, pseudoSum)) === 0;
  }

  setSrcPort(v: number): void {
    setU16(this.buf, this.off + TcpField.SRC_PORT, v);
  }
  setDstPort(v: number): void {
    setU16(this.buf, this.off + TcpField.DST_PORT, v);
  }
  setSeq(v: number): void {
    setU32(this.buf, this.off + TcpField.SEQ, v);
  }
  setAck(v: number): void {
    setU32(this.buf, this.off + TcpField.ACK, v);
  }
  /** Writes the data offset, the reserved bits as 0, and NS (flag bit 8). */
  setHeaderLenAndFlags(headerLen: number, flags: number): void {
    this.buf[this.off + TcpField.DATA_OFF] = ((headerLen >>> 2) << 4) | ((flags >>> 8) & 1);
    this.buf[this.off + TcpField.FLAGS] = flags;
  }
  setWindow(v: number): void {
    setU16(this.buf, this.off + TcpField.WINDOW, v);
  }
  setChecksum(v: number): void {
    setU16(this.buf, this.off + TcpField.CHECKSUM, v);
  }
  setUrgent(v: number): void {
    setU16(this.buf, this.off + TcpField.URGENT, v);
  }
  /** Compute and store the checksum over the whole view (header + payload). */
  fillChecksum(pseudoSum: number): void {
    this.setChecksum(0);
    this.setChecksum(foldChecksum(sumWords(this.buf, this.off, this.len, pseudoSum)));
  }
}

/** One option, in the order it appears. Unknown kinds keep their bytes. */
export type TcpOption =
  | { kind: 'eol' }
  | { kind: 'nop' }
  | { kind: 'mss'; mss: number }
  | { kind: 'window-scale'; shift: number }
  | { kind: 'sack-permitted' }
  | { kind: 'sack'; blocks: number[] } // left, right, left, right, ... (u32)
  | { kind: 'timestamp'; tsval: number; tsecr: number }
  | { kind: 'unknown'; type: number; data: Uint8Array };

/** The length that each known kind must have (RFC 9293 §3.2, RFC 7323, RFC 2018). */
function expectedLen(type: number, len: number): boolean {
  switch (type) {
    case TcpOptionKind.MSS:
      return len === 4;
    case TcpOptionKind.WINDOW_SCALE:
      return len === 3;
    case TcpOptionKind.SACK_PERMITTED:
      return len === 2;
    case TcpOptionKind.TIMESTAMP:
      return len === 10;
    case TcpOptionKind.SACK:
      return len >= 10 && (len - 2) % 8 === 0;
    default:
      return len >= 2;
  }
}

/**
 * Step over the option at `buf[p]` inside `[p, end)`: returns the offset of the next option,
 * `end` after an EOL (the rest is padding), or -1 when the length byte is missing, below 2, past
 * `end`, or wrong for a known kind. Allocation-free; reads only inside `[p, end)`.
 */
export function nextTcpOption(buf: Uint8Array, p: number, end: number): number {
  const type = buf[p];
  if (type === TcpOptionKind.EOL) return end;
  if (type === TcpOptionKind.NOP) return p + 1;
  if (p + 2 > end) return -1;
  const len = buf[p + 1];
  if (!expectedLen(type, len) || p + len > end) return -1;
  return p + len;
}

/**
 * Offset of the first option of `kind` in `[off, off+len)`, -1 if absent, -2 if the options are
 * malformed before it is found. Allocation-free: for the receive path (e.g. the MSS of a SYN-ACK).
 */
export function findTcpOption(buf: Uint8Array, off: number, len: number, kind: number): number {
  const end = off + len;
  for (let p = off; p < end; ) {
    if (buf[p] === kind) return p;
    if (buf[p] === TcpOptionKind.EOL) return -1;
    const next = nextTcpOption(buf, p, end);
    if (next < 0) return -2;
    p = next;
  }
  return -1;
}

/** The options in `buf[off .. off+len)`, or 'malformed' (RFC 9293 §3.2: bad lengths). */
export function parseTcpOptions(buf: Uint8Array, off: number, len: number): TcpOption[] | WireError {
  const out: TcpOption[] = [];
  const end = off + len;
  for (let p = off; p < end; ) {
    const type = buf[p];
    const next = nextTcpOption(buf, p, end);
    if (next < 0) return 'malformed';
    switch (type) {
      case TcpOptionKind.EOL:
        out.push({ kind: 'eol' });
        break;
      case TcpOptionKind.NOP:
        out.push({ kind: 'nop' });
        break;
      case TcpOptionKind.MSS:
        out.push({ kind: 'mss', mss: getU16(buf, p + 2) });
        break;
      case TcpOptionKind.WINDOW_SCALE:
        out.push({ kind: 'window-scale', shift: buf[p + 2] });
        break;
      case TcpOptionKind.SACK_PERMITTED:
        out.push({ kind: 'sack-permitted' });
        break;
      case TcpOptionKind.SACK: {
        const blocks: number[] = [];
        for (let q = p + 2; q < next; q += 4) blocks.push(getU32(buf, q));
        out.push({ kind: 'sack', blocks });
        break;
      }
      case TcpOptionKind.TIMESTAMP:
        out.push({ kind: 'timestamp', tsval: getU32(buf, p + 2), tsecr: getU32(buf, p + 6) });
        break;
      default:
        out.push({ kind: 'unknown', type, data: buf.slice(p + 2, next) });
    }
    p = next;
  }
  return out;
}

/** Bytes the options take before padding. */
export function tcpOptionsLen(options: readonly TcpOption[]): number {
  let n = 0;
  for (const o of options) {
    switch (o.kind) {
      case 'eol':
      case 'nop':
        n += 1;
        break;
      case 'mss':
        n += 4;
        break;
      case 'window-scale':
        n += 3;
        break;
      case 'sack-permitted':
        n += 2;
        break;
      case 'sack':
        n += 2 + 4 * o.blocks.length;
        break;
      case 'timestamp':
        n += 10;
        break;
      case 'unknown':
        n += 2 + o.data.length;
        break;
    }
  }
  return n;
}

/** Write `options` at `buf[off]`; returns the offset after them (no padding). */
export function emitTcpOptions(options: readonly TcpOption[], buf: Uint8Array, off: number): number {
  let p = off;
  for (const o of options) {
    switch (o.kind) {
      case 'eol':
        buf[p++] = TcpOptionKind.EOL;
        break;
      case 'nop':
        buf[p++] = TcpOptionKind.NOP;
        break;
      case 'mss':
        buf[p] = TcpOptionKind.MSS;
        buf[p + 1] = 4;
        setU16(buf, p + 2, o.mss);
        p += 4;
        break;
      case 'window-scale':
        buf[p] = TcpOptionKind.WINDOW_SCALE;
        buf[p + 1] = 3;
        buf[p + 2] = o.shift;
        p += 3;
        break;
      case 'sack-permitted':
        buf[p] = TcpOptionKind.SACK_PERMITTED;
        buf[p + 1] = 2;
        p += 2;
        break;
      case 'sack':
        buf[p] = TcpOptionKind.SACK;
        buf[p + 1] = 2 + 4 * o.blocks.length;
        p += 2;
        for (const b of o.blocks) {
          setU32(buf, p, b);
          p += 4;
        }
        break;
      case 'timestamp':
        buf[p] = TcpOptionKind.TIMESTAMP;
        buf[p + 1] = 10;
        setU32(buf, p + 2, o.tsval);
        setU32(buf, p + 6, o.tsecr);
        p += 10;
        break;
      case 'unknown':
        buf[p] = o.type;
        buf[p + 1] = 2 + o.data.length;
        buf.set(o.data, p + 2);
        p += 2 + o.data.length;
        break;
    }
  }
  return p;
}

export interface TcpRepr {
  srcPort: number;
  dstPort: number;
  seq: number;
  ack: number;
  /** TcpFlags bits. */
  flags: number;
  window: number;
  urgent: number;
  options: TcpOption[];
  /** A view of the payload bytes (not a copy) after parse; copied by emit. */
  payload: Uint8Array;
}

/**
 * Parse a segment. With `ip`, the checksum is verified ('bad-checksum'); with null it is not
 * (frames captured on the sending host carry no real checksum).
 */
export function parseTcp(pkt: TcpPacket, ip: IpPair | null): TcpRepr | WireError {
  const e = pkt.checkLen();
  if (e !== null) return e;
  const options = parseTcpOptions(pkt.buf, pkt.optionsOff(), pkt.optionsLen());
  if (typeof options === 'string') return options;
  if (ip !== null && !pkt.verifyChecksum(pseudoHeaderSum(ip, IpProtocol.TCP, pkt.len))) return 'bad-checksum';
  return {
    srcPort: pkt.srcPort(),
    dstPort: pkt.dstPort(),
    seq: pkt.seq(),
    ack: pkt.ack(),
    flags: pkt.flags(),
    window: pkt.window(),
    urgent: pkt.urgent(),
    options,
    payload: pkt.buf.subarray(pkt.payloadOff(), pkt.off + pkt.len),
  };
}

/** Header length: 20 + options padded to 32 bits. */
export function tcpHeaderLen(repr: TcpRepr): number {
  return TCP_HEADER_LEN + ((tcpOptionsLen(repr.options) + 3) & ~3);
}

export function tcpBufferLen(repr: TcpRepr): number {
  return tcpHeaderLen(repr) + repr.payload.length;
}

/**
 * Write the segment at `pkt.off` (the caller supplies `tcpBufferLen(repr)` bytes): header,
 * options padded with zero bytes (EOL), payload, and the checksum when `ip` is given (else 0).
 * Throws ScanError('ERR_INTERNAL') if the options exceed 40 bytes: a program error.
 */
export function emitTcp(repr: TcpRepr, pkt: TcpPacket, ip: IpPair | null): void {
  const hl = tcpHeaderLen(repr);
  if (hl > TCP_MAX_HEADER_LEN) throw new ScanError('ERR_INTERNAL', `TCP options too long: ${hl - 20} bytes`);
  const b = pkt.buf;
  pkt.setSrcPort(repr.srcPort);
  pkt.setDstPort(repr.dstPort);
  pkt.setSeq(repr.seq);
  pkt.setAck(repr.ack);
  pkt.setHeaderLenAndFlags(hl, repr.flags);
  pkt.setWindow(repr.window);
  pkt.setChecksum(0);
  pkt.setUrgent(repr.urgent);
  const end = emitTcpOptions(repr.options, b, pkt.off + TCP_HEADER_LEN);
  b.fill(0, end, pkt.off + hl);
  b.set(repr.payload, pkt.off + hl);
  if (ip !== null) {
    const total = hl + repr.payload.length;
    const sum = sumWords(b, pkt.off, total, pseudoHeaderSum(ip, IpProtocol.TCP, total));
    pkt.setChecksum(foldChecksum(sum));
  }
}
