/**
 * libpcap capture files ("pcap", not pcapng) for --pcap, and a strict reader for tests and
 * replay.
 *
 * Layout (https://www.tcpdump.org/manpages/pcap-savefile.5.html, and the IETF draft
 * draft-ietf-opsawg-pcap): a 24-byte global header
 *   magic u32 (0xa1b2c3d4 = microsecond, 0xa1b23c4d = nanosecond timestamps; its byte order
 *   is the file's byte order), version 2.4 (u16, u16), thiszone i32 (0), sigfigs u32 (0),
 *   snaplen u32, linktype u32 (1 = LINKTYPE_ETHERNET / DLT_EN10MB)
 * then per record a 16-byte header
 *   ts_sec u32, ts_frac u32 (usec or nsec), caplen u32 (bytes stored), origlen u32 (bytes on
 *   the wire)
 * followed by caplen bytes. The writer uses little-endian and microseconds (what every tool
 * reads), or nanoseconds on request.
 *
 * The writer copies frames into one reusable buffer (no allocation per frame) and hands full
 * chunks to a sink. The reader never reads past the input and throws ScanError('ERR_CORRUPT')
 * naming the offset of the first inconsistency.
 */
import { closeSync, openSync, writeSync } from 'node:fs';
import { ScanError } from '../error.js';

export const LINKTYPE_ETHERNET = 1;
export const PCAP_MAGIC_USEC = 0xa1b2c3d4;
export const PCAP_MAGIC_NSEC = 0xa1b23c4d;
/** tcpdump's MAXIMUM_SNAPLEN: no sane capture stores more per record. */
export const PCAP_MAX_SNAPLEN = 262144;
const GLOBAL_LEN = 24;
const RECORD_LEN = 16;

export interface PcapWriterOptions {
  /** Bytes kept per frame (default 65535). */
  readonly snaplen?: number;
  /** Nanosecond timestamps (magic 0xa1b23c4d). Default false: microseconds. */
  readonly nanosecond?: boolean;
  /** Size of the write buffer (default 1 MiB). */
  readonly bufferBytes?: number;
  /** Link type (default LINKTYPE_ETHERNET). */
  readonly linktype?: number;
}

// The per-frame path writes header words byte by byte (no DataView on a per-packet path).
function putU32le(b: Uint8Array, at: number, v: number): void {
  b[at] = v & 0xff;
  b[at + 1] = (v >>> 8) & 0xff;
  b[at + 2] = (v >>> 16) & 0xff;
  b[at + 3] = (v >>> 24) & 0xff;
}

/**
 * Writes a capture through `sink`. The global header is written at construction (it reaches
 * the sink with the first flush); writeFrame() allocates nothing.
 */
export class PcapWriter {
  private readonly buf: Uint8Array;
  private used = 0;
  private closed = false;
  private readonly snaplen: number;
  private readonly nano: boolean;
  /** Frames written so far. */
  frames = 0;

  /** `sink` receives each full chunk; it must consume (copy or write) it before returning. */
  constructor(
    private readonly sink: (chunk: Uint8Array) => void,
    opts: PcapWriterOptions = {},
  ) {
    this.snaplen = opts.snaplen ?? 65535;
    this.nano = opts.nanosecond ?? false;
    const size = opts.bufferBytes ?? 1 << 20;
    if (!Number.isInteger(this.snaplen) || this.snaplen < 1 || this.snaplen > PCAP_MAX_SNAPLEN) {
      throw new ScanError('ERR_BAD_OPTION', `pcap snaplen ${this.snaplen} out of range (1..${PCAP_MAX_SNAPLEN})`);
    }
    if (!Number.isInteger(size) || size < RECORD_LEN + this.snaplen) {
      throw new ScanError('ERR_BAD_OPTION', `pcap buffer ${size} smaller than one record`);
    }
    this.buf = new Uint8Array(size);
    const dv = new DataView(this.buf.buffer);
    dv.setUint32(0, this.nano ? PCAP_MAGIC_NSEC : PCAP_MAGIC_USEC, true);
    dv.setUint16(4, 2, true);
    dv.setUint16(6, 4, true);
    dv.setInt32(8, 0, true);
    dv.setUint32(12, 0, true);
    dv.setUint32(16, this.snaplen, true);
    dv.setUint32(20, opts.linktype ?? LINKTYPE_ETHERNET, true);
    this.used = GLOBAL_LEN;
  }

  /** Appends one frame (bytes buf[off .. off+len)), cut to snaplen. */
  writeFrame(buf: Uint8Array, off: number, len: number, tsSec: number, tsNsec: number): void {
    if (this.closed) throw new ScanError('ERR_INTERNAL', 'pcap writer is closed');
    const cap = len < this.snaplen ? len : this.snaplen;
    if (this.used + RECORD_LEN + cap > this.buf.length) this.flush();
    const at = this.used;
    const b = this.buf;
    putU32le(b, at, tsSec);
    putU32le(b, at + 4, this.nano ? tsNsec : Math.floor(tsNsec / 1000));
    putU32le(b, at + 8, cap);
    putU32le(b, at + 12, len);
    const dst = at + RECORD_LEN;
    if (cap <= 256) {
      for (let i = 0; i < cap; i++) b[dst + i] = buf[off + i];
    } else {
      b.set(buf.subarray(off, off + cap), dst); // one view object per large frame only
    }
    this.used = at + RECORD_LEN + cap;
    this.frames++;
  }

  /** Hands everything buffered to the sink. */
  flush(): void {
    if (this.used === 0) return;
    this.sink(this.buf.subarray(0, this.used));
    this.used = 0;
  }

  close(): void {
    if (this.closed) return;
    this.flush();
    this.closed = true;
  }
}

/** A PcapWriter onto a file (created or truncated). Throws ScanError('ERR_FILE'). */
export function openPcapFile(path: string, opts: PcapWriterOptions = {}): PcapWriter & { close(): void } {
  let fd: number;
  try {
    fd = openSync(path, 'w');
  } catch (e) {
    throw new ScanError('ERR_FILE', `${path}: cannot create pcap file: ${(e as Error).message}`);
  }
  const sink = (chunk: Uint8Array): void => {
    let done = 0;
    try {
      while (done < chunk.length) done += writeSync(fd, chunk, done, chunk.length - done);
    } catch (e) {
      throw new ScanError('ERR_FILE', `${path}: write failed: ${(e as Error).message}`);
    }
  };
  const w = new PcapWriter(sink, opts);
  const close = w.close.bind(w);
  let fdOpen = true;
  w.close = (): void => {
    try {
      close();
    } finally {
      if (fdOpen) {
        fdOpen = false;
        closeSync(fd);
      }
    }
  };
  return w;
}

// --------------------------------------------------------------------------------- reader

export interface PcapRecord {
  readonly tsSec: number;
  /** Sub-second part in nanoseconds (microsecond files are scaled). */
  readonly tsNsec: number;
  readonly origLen: number;
  /** The stored bytes (a view into the input). */
  readonly data: Uint8Array;
}

export interface PcapCapture {
  readonly linktype: number;
  readonly snaplen: number;
  readonly nanosecond: boolean;
  readonly bigEndian: boolean;
  readonly records: PcapRecord[];
}

export interface PcapReadOptions {
  /** Refuse files with more records than this (default 10 million). */
  readonly maxRecords?: number;
}

function corrupt(at: number, what: string): ScanError {
  return new ScanError('ERR_CORRUPT', `pcap: ${what} at byte ${at}`);
}

/**
 * Parses a whole capture. Strict: a known magic, version 2.4, snaplen <= 262144, every
 * record header complete, sub-second field in range, caplen <= snaplen (when snaplen is
 * set), caplen <= origlen, and record data inside the input. A file that ends inside a
 * record is refused, not silently cut.
 */
export function readPcap(bytes: Uint8Array, opts: PcapReadOptions = {}): PcapCapture {
  const maxRecords = opts.maxRecords ?? 10_000_000;
  if (bytes.length < GLOBAL_LEN) throw corrupt(0, `file too short for the global header (${bytes.length} bytes)`);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const magicLe = dv.getUint32(0, true);
  let le: boolean;
  let nano: boolean;
  if (magicLe === PCAP_MAGIC_USEC || magicLe === PCAP_MAGIC_NSEC) {
    le = true;
    nano = magicLe === PCAP_MAGIC_NSEC;
  } else {
    const magicBe = dv.getUint32(0, false);
    if (magicBe !== PCAP_MAGIC_USEC && magicBe !== PCAP_MAGIC_NSEC) {
      throw corrupt(0, `unknown magic 0x${magicBe.toString(16).padStart(8, '0')} (not a pcap file)`);
    }
    le = false;
    nano = magicBe === PCAP_MAGIC_NSEC;
  }
  const major = dv.getUint16(4, le);
  const minor = dv.getUint16(6, le);
  if (major !== 2 || minor !== 4) throw corrupt(4, `unsupported version ${major}.${minor}`);
  const snaplen = dv.getUint32(16, le);
  if (snaplen > PCAP_MAX_SNAPLEN) throw corrupt(16, `snaplen ${snaplen} too large`);
  const linktype = dv.getUint32(20, le);
  const limit = snaplen === 0 ? PCAP_MAX_SNAPLEN : snaplen;
  const records: PcapRecord[] = [];
  let at = GLOBAL_LEN;
  while (at < bytes.length) {
    if (records.length >= maxRecords) throw corrupt(at, `more than ${maxRecords} records`);
    if (bytes.length - at < RECORD_LEN) throw corrupt(at, 'truncated record header');
    const tsSec = dv.getUint32(at, le);
    const frac = dv.getUint32(at + 4, le);
    const caplen = dv.getUint32(at + 8, le);
    const origLen = dv.getUint32(at + 12, le);
    if (frac >= (nano ? 1_000_000_000 : 1_000_000)) throw corrupt(at + 4, `sub-second timestamp ${frac} out of range`);
    if (caplen > limit) throw corrupt(at + 8, `caplen ${caplen} exceeds snaplen ${limit}`);
    if (caplen > origLen) throw corrupt(at + 8, `caplen ${caplen} exceeds original length ${origLen}`);
    const start = at + RECORD_LEN;
    if (bytes.length - start < caplen) throw corrupt(at, `record of ${caplen} bytes runs past the end of the file`);
    records.push({ tsSec, tsNsec: nano ? frac : frac * 1000, origLen, data: bytes.subarray(start, start + caplen) });
    at = start + caplen;
  }
  return { linktype, snaplen, nanosecond: nano, bigEndian: !le, records };
}
