/**
 * SCTP packets (RFC 9260): the common header and the chunks a port scan meets, INIT (what
 * we send), INIT ACK (open) and ABORT (closed). Other chunks are kept as type + bytes.
 *
 *   common header: 0 sport | 2 dport | 4 verification tag | 8 checksum (CRC32c, little-endian)
 *   chunk:         0 type | 1 flags | 2 length (header + value, unpadded) | 4 value | pad to 4
 *   INIT/INIT ACK value: initiate tag | a_rwnd | out streams (2) | in streams (2) | initial TSN | params
 */
import { getU16, getU32, regionOk, setU16, setU32 } from './bytes.js';
import { crc32cUpdateI32 } from './checksum.js';
import type { WireError } from './wire-error.js';

export const SCTP_HEADER_LEN = 12;
export const SCTP_CHUNK_HEADER_LEN = 4;
/** INIT and INIT ACK: chunk header + 16 bytes of fixed fields. */
export const SCTP_INIT_LEN = 20;
/** At most this many chunks are parsed; more is 'unsupported' (bounds the walk). */
export const SCTP_MAX_CHUNKS = 64;

export const SctpField = {
  SRC_PORT: 0,
  DST_PORT: 2,
  VTAG: 4,
  CHECKSUM: 8,
  CHUNKS: 12,
} as const;

/** Offsets inside a chunk. */
export const SctpChunkField = {
  TYPE: 0,
  FLAGS: 1,
  LENGTH: 2,
  VALUE: 4,
  INITIATE_TAG: 4,
  A_RWND: 8,
  OUT_STREAMS: 12,
  IN_STREAMS: 14,
  INITIAL_TSN: 16,
  PARAMS: 20,
} as const;

export const SctpChunkType = {
  DATA: 0,
  INIT: 1,
  INIT_ACK: 2,
  SACK: 3,
  HEARTBEAT: 4,
  HEARTBEAT_ACK: 5,
  ABORT: 6,
  SHUTDOWN: 7,
  SHUTDOWN_ACK: 8,
  ERROR: 9,
  COOKIE_ECHO: 10,
  COOKIE_ACK: 11,
  SHUTDOWN_COMPLETE: 14,
} as const;

const ZERO4 = new Uint8Array(4);

/**
 * CRC32c of an SCTP packet at `buf[off .. off+len)` with its checksum field counted as zero
 * (RFC 9260 §6.8), without writing to the buffer. Allocation-free. Needs len >= 12.
 */
export function sctpChecksum(buf: Uint8Array, off: number, len: number): number {
  return ~sctpCrcRegister(buf, off, len) >>> 0;
}

/** The CRC register (int32) over the packet with the checksum field as zero. */
function sctpCrcRegister(buf: Uint8Array, off: number, len: number): number {
  let c = crc32cUpdateI32(-1, buf, off, SctpField.CHECKSUM);
  c = crc32cUpdateI32(c, ZERO4, 0, 4);
  return crc32cUpdateI32(c, buf, off + SCTP_HEADER_LEN, len - SCTP_HEADER_LEN);
}

/**
 * True when the stored checksum of the SCTP packet at `buf[off .. off+len)` is right
 * (len >= 12). Allocation-free: compares int32s, so nothing is boxed (for the receive path).
 */
export function sctpChecksumMatches(buf: Uint8Array, off: number, len: number): boolean {
  const stored = buf[off + 8] | (buf[off + 9] << 8) | (buf[off + 10] << 16) | (buf[off + 11] << 24);
  return ~sctpCrcRegister(buf, off, len) === stored;
}

/** The checksum field, read least-significant byte first as SCTP stores it. */
function getU32Le(buf: Uint8Array, off: number): number {
  return (buf[off] | (buf[off + 1] << 8) | (buf[off + 2] << 16) | (buf[off + 3] << 24)) >>> 0;
}

function setU32Le(buf: Uint8Array, off: number, v: number): void {
  buf[off] = v;
  buf[off + 1] = v >>> 8;
  buf[off + 2] = v >>> 16;
  buf[off + 3] = v >>> 24;
}

export class SctpPacket {
  constructor(
    readonly buf: Uint8Array,
    readonly off = 0,
    readonly len = buf.length - off,
  ) {}

  /**
   * After `null`: the common header and the first chunk's header lie inside the view. Chunk
   * lengths are checked by `parseSctp` / `nextSctpChunk`.
   */
  checkLen(): WireError | null {
    if (!regionOk(this.buf, this.off, this.len)) return 'truncated';
    if (this.len < SCTP_HEADER_LEN + SCTP_CHUNK_HEADER_LEN) return 'truncated';
    return null;
  }

  srcPort(): number {
    return getU16(this.buf, this.off + SctpField.SRC_PORT);
  }
  dstPort(): number {
    return getU16(this.buf, this.off + SctpField.DST_PORT);
  }
  verificationTag(): number {
    return getU32(this.buf, this.off + SctpField.VTAG);
  }
  /** The stored CRC32c value (the field is little-endian, see checksum.ts). */
  checksum(): number {
    return getU32Le(this.buf, this.off + SctpField.CHECKSUM);
  }
  verifyChecksum(): boolean {
    return sctpChecksumMatches(this.buf, this.off, this.len);
  }
  firstChunkOff(): number {
    return this.off + SCTP_HEADER_LEN;
  }
  chunkType(): number {
    return this.buf[this.off + SCTP_HEADER_LEN + SctpChunkField.TYPE];
  }

  setSrcPort(v: number): void {
    setU16(this.buf, this.off + SctpField.SRC_PORT, v);
  }
  setDstPort(v: number): void {
    setU16(this.buf, this.off + SctpField.DST_PORT, v);
  }
  setVerificationTag(v: number): void {
    setU32(this.buf, this.off + SctpField.VTAG, v);
  }
  setChecksum(v: number): void {
    setU32Le(this.buf, this.off + SctpField.CHECKSUM, v);
  }
  fillChecksum(): void {
    this.setChecksum(sctpChecksum(this.buf, this.off, this.len));
  }
}

/**
 * Step over the chunk at `buf[p]` inside `[p, end)`: the offset of the next chunk (the length
 * rounded up to 4, clamped to `end` for a last chunk without padding), or -1 when the header is
 * cut, the length is below 4, or the chunk runs past `end`. Allocation-free.
 */
export function nextSctpChunk(buf: Uint8Array, p: number, end: number): number {
  if (p + SCTP_CHUNK_HEADER_LEN > end) return -1;
  const len = getU16(buf, p + SctpChunkField.LENGTH);
  if (len < SCTP_CHUNK_HEADER_LEN || p + len > end) return -1;
  return Math.min(end, p + ((len + 3) & ~3));
}

export type SctpChunk =
  | {
      kind: 'init' | 'init-ack';
      flags: number;
      initiateTag: number;
      aRwnd: number;
      outStreams: number;
      inStreams: number;
      initialTsn: number;
      /** Optional/variable parameters, raw (INIT ACK carries the state cookie here). */
      params: Uint8Array;
    }
  /** flags bit 0 is T (RFC 9260 §3.3.7); causes are raw. */
  | { kind: 'abort'; flags: number; causes: Uint8Array }
  | { kind: 'other'; type: number; flags: number; value: Uint8Array };

export interface SctpRepr {
  srcPort: number;
  dstPort: number;
  verificationTag: number;
  chunks: SctpChunk[];
}

/** Parse the packet; `verifyChecksum` false skips the CRC32c check. Byte fields are views. */
export function parseSctp(pkt: SctpPacket, verifyChecksum = true): SctpRepr | WireError {
  const e = pkt.checkLen();
  if (e !== null) return e;
  if (verifyChecksum && !pkt.verifyChecksum()) return 'bad-checksum';
  const b = pkt.buf;
  const end = pkt.off + pkt.len;
  const chunks: SctpChunk[] = [];
  for (let p = pkt.firstChunkOff(), n = 0; p < end; n++) {
    if (n === SCTP_MAX_CHUNKS) return 'unsupported';
    const next = nextSctpChunk(b, p, end);
    if (next < 0) return p + SCTP_CHUNK_HEADER_LEN > end ? 'truncated' : 'malformed';
    const type = b[p];
    const flags = b[p + SctpChunkField.FLAGS];
    const cend = p + getU16(b, p + SctpChunkField.LENGTH);
    if (type === SctpChunkType.INIT || type === SctpChunkType.INIT_ACK) {
      if (cend - p < SCTP_INIT_LEN) return 'malformed';
      chunks.push({
        kind: type === SctpChunkType.INIT ? 'init' : 'init-ack',
        flags,
        initiateTag: getU32(b, p + SctpChunkField.INITIATE_TAG),
        aRwnd: getU32(b, p + SctpChunkField.A_RWND),
        outStreams: getU16(b, p + SctpChunkField.OUT_STREAMS),
        inStreams: getU16(b, p + SctpChunkField.IN_STREAMS),
        initialTsn: getU32(b, p + SctpChunkField.INITIAL_TSN),
        params: b.subarray(p + SctpChunkField.PARAMS, cend),
      });
    } else if (type === SctpChunkType.ABORT) {
      chunks.push({ kind: 'abort', flags, causes: b.subarray(p + SctpChunkField.VALUE, cend) });
    } else {
      chunks.push({ kind: 'other', type, flags, value: b.subarray(p + SctpChunkField.VALUE, cend) });
    }
    p = next;
  }
  return { srcPort: pkt.srcPort(), dstPort: pkt.dstPort(), verificationTag: pkt.verificationTag(), chunks };
}

function chunkValueLen(c: SctpChunk): number {
  switch (c.kind) {
    case 'init':
    case 'init-ack':
      return SCTP_INIT_LEN - SCTP_CHUNK_HEADER_LEN + c.params.length;
    case 'abort':
      return c.causes.length;
    case 'other':
      return c.value.length;
  }
}

export function sctpBufferLen(repr: SctpRepr): number {
  let n = SCTP_HEADER_LEN;
  for (const c of repr.chunks) n += (SCTP_CHUNK_HEADER_LEN + chunkValueLen(c) + 3) & ~3;
  return n;
}

/**
 * Write the packet at `pkt.off` (the caller supplies `sctpBufferLen(repr)` bytes): chunks padded
 * with zero bytes to 4, and the CRC32c.
 */
export function emitSctp(repr: SctpRepr, pkt: SctpPacket): void {
  const b = pkt.buf;
  pkt.setSrcPort(repr.srcPort);
  pkt.setDstPort(repr.dstPort);
  pkt.setVerificationTag(repr.verificationTag);
  pkt.setChecksum(0);
  let p = pkt.off + SCTP_HEADER_LEN;
  for (const c of repr.chunks) {
    const len = SCTP_CHUNK_HEADER_LEN + chunkValueLen(c);
    setU16(b, p + SctpChunkField.LENGTH, len);
    b[p + SctpChunkField.FLAGS] = c.flags;
    switch (c.kind) {
      case 'init':
      case 'init-ack':
        b[p] = c.kind === 'init' ? SctpChunkType.INIT : SctpChunkType.INIT_ACK;
        setU32(b, p + SctpChunkField.INITIATE_TAG, c.initiateTag);
        setU32(b, p + SctpChunkField.A_RWND, c.aRwnd);
        setU16(b, p + SctpChunkField.OUT_STREAMS, c.outStreams);
        setU16(b, p + SctpChunkField.IN_STREAMS, c.inStreams);
        setU32(b, p + SctpChunkField.INITIAL_TSN, c.initialTsn);
        b.set(c.params, p + SctpChunkField.PARAMS);
        break;
      case 'abort':
        b[p] = SctpChunkType.ABORT;
        b.set(c.causes, p + SctpChunkField.VALUE);
        break;
      case 'other':
        b[p] = c.type;
        b.set(c.value, p + SctpChunkField.VALUE);
        break;
    }
    const padded = (len + 3) & ~3;
    b.fill(0, p + len, p + padded);
    p += padded;
  }
  new SctpPacket(b, pkt.off, p - pkt.off).fillChecksum();
}
