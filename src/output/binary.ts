/**
 * masscan's binary format `-oB` (reference §4.8): writer (a format) and reader (--readscan).
 *
 * Layout, all integers big-endian:
 *   header  99 bytes: `masscan/1.1\ns:<scan start>\n`, zero-padded
 *   record  TYPE (varint) LENGTH (varint) then LENGTH bytes of body; varints are base-128,
 *           high bit = more bytes follow
 *   trailer 99 bytes: `masscan/1.1`, zero-padded (it parses as a record of type 'm', 0x6d,
 *           length 0x61, which readers skip; so concatenated files also read as one)
 * Record types and bodies (offset:size):
 *   1/2   open/closed, obsolete   ts:4 ip4:4 port:2 reason:1 ttl:1 (protocol guessed by port)
 *   3     banner, obsolete        ts:4 ip4:4 port:2 app:2 data (TCP, ttl 0)
 *   4     banner, obsolete        as 5, but the record is LENGTH+1 bytes long (masscan reads
 *                                 one byte more than LENGTH for this type; we do the same)
 *   5     banner, obsolete        ts:4 ip4:4 proto:1 port:2 app:2 data (ttl 0)
 *   6/7/8 open/closed/arp v4      ts:4 ip4:4 proto:1 port:2 reason:1 ttl:1        (LENGTH 13)
 *   9     banner v4               ts:4 ip4:4 proto:1 port:2 app:2 ttl:1 data      (14+n)
 *   10/11/12 open/closed/arp v6   ts:4 proto:1 port:2 reason:1 ttl:1 ipver:1 ip6:16 (26)
 *   13    banner v6               ts:4 proto:1 port:2 app:2 ttl:1 ipver:1 ip6:16 data (27+n)
 *
 * Writer: types 6..13 only, app ids in HEAD numbering unless told 1.3.2. LENGTH is 1 byte
 * below 128, 2 bytes below 16384, else 3 bytes (masscan 1.3.2's reader accepts 3-byte lengths;
 * masscan's writer instead silently drops banners of 16 KiB and more). Banners are cut so a
 * record stays within the readers' 1 MiB limit. The header is written lazily, but always
 * (with the trailer) at close, so even an empty scan leaves a file --readscan accepts.
 * Unlike masscan, ARP records (8/12) are also read back.
 *
 * Reader: a pure, incremental parser over chunks. It checks every length before reading,
 * never throws anything but ScanError('ERR_CORRUPT', "<file>: corrupt record at offset N: …")
 * (N = file offset of the damaged record, or 0 for the header), and delivers every record
 * before the damage. Fixed-size records must have exactly their size; banners at least their
 * fixed part; LENGTH at most 1 MiB. A 0-byte file (what masscan leaves when it found nothing)
 * is read as an empty scan.
 */
import { appProtoId, appProtoName, toHeadId } from './app-proto.js';
import type { AppNumbering } from './app-proto.js';
import { BINARY_HEADER_LEN, BINARY_MAGIC, binaryAppendScan } from './append-scan.js';
import { ScanError } from '../error.js';
import type { AppendState, FormatOptions, FormatState, OutputFormat, ScanMeta } from './format.js';
import type { BannerRecord, IpAddress, ScanRecord, StatusRecord } from '../core/record.js';
import type { Sink } from './sink.js';

/** Largest record LENGTH accepted (masscan's reader limit). */
const MAX_RECORD = 1 << 20;
const TRAILER_TYPE = 0x6d;

export const REC = {
  OPEN_OLD: 1, CLOSED_OLD: 2, BANNER3: 3, BANNER4: 4, BANNER5: 5,
  OPEN: 6, CLOSED: 7, ARP: 8, BANNER: 9, OPEN6: 10, CLOSED6: 11, ARP6: 12, BANNER6: 13,
} as const;

// ---------------------------------------------------------------- writer

function headerBytes(start: number): Uint8Array {
  const b = new Uint8Array(BINARY_HEADER_LEN);
  const s = `${BINARY_MAGIC}\ns:${start}\n`;
  for (let i = 0; i < s.length && i < BINARY_HEADER_LEN; i++) b[i] = s.charCodeAt(i);
  return b;
}

function trailerBytes(): Uint8Array {
  const b = new Uint8Array(BINARY_HEADER_LEN);
  for (let i = 0; i < BINARY_MAGIC.length; i++) b[i] = BINARY_MAGIC.charCodeAt(i);
  return b;
}
const TRAILER = trailerBytes();

function put32(b: Uint8Array, p: number, v: number): void {
  b[p] = v >>> 24; b[p + 1] = v >>> 16; b[p + 2] = v >>> 8; b[p + 3] = v;
}

function put6(b: Uint8Array, p: number, v: bigint): void {
  put32(b, p, Number((v >> 96n) & 0xffffffffn));
  put32(b, p + 4, Number((v >> 64n) & 0xffffffffn));
  put32(b, p + 8, Number((v >> 32n) & 0xffffffffn));
  put32(b, p + 12, Number(v & 0xffffffffn));
}

/** Writes TYPE and LENGTH at p; returns the body's offset. */
function putTypeLen(b: Uint8Array, p: number, type: number, len: number): number {
  b[p++] = type;
  if (len < 0x80) {
    b[p++] = len;
  } else if (len < 0x4000) {
    b[p++] = 0x80 | (len >>> 7);
    b[p++] = len & 0x7f;
  } else {
    b[p++] = 0x80 | (len >>> 14);
    b[p++] = 0x80 | ((len >>> 7) & 0x7f);
    b[p++] = len & 0x7f;
  }
  return p;
}

function u32ts(t: number): number {
  return t > 0xffffffff ? 0xffffffff : t < 0 ? 0 : t >>> 0;
}

class BinaryState implements FormatState {
  constructor(
    private readonly meta: ScanMeta,
    private readonly numbering: AppNumbering,
  ) {}

  header(w: Sink, first: ScanRecord | undefined): void {
    const t = this.meta.readscan === true && first !== undefined ? first.timestamp : this.meta.startTime;
    w.bytes(headerBytes(t));
  }

  status(w: Sink, r: StatusRecord): void {
    const code = r.status === 'open' ? 0 : r.status === 'closed' ? 1 : 2;
    const start = w.reserve(28);
    const b = w.buf;
    if (r.ip.version === 4) {
      let p = putTypeLen(b, start, REC.OPEN + code, 13);
      put32(b, p, u32ts(r.timestamp)); put32(b, p + 4, r.ip.v4);
      b[p + 8] = r.ipProto; b[p + 9] = r.port >>> 8; b[p + 10] = r.port;
      b[p + 11] = r.reason; b[p + 12] = r.ttl;
      p += 13;
      w.commit(p);
    } else {
      let p = putTypeLen(b, start, REC.OPEN6 + code, 26);
      put32(b, p, u32ts(r.timestamp));
      b[p + 4] = r.ipProto; b[p + 5] = r.port >>> 8; b[p + 6] = r.port;
      b[p + 7] = r.reason; b[p + 8] = r.ttl; b[p + 9] = 6;
      put6(b, p + 10, r.ip.v6);
      p += 26;
      w.commit(p);
    }
  }

  banner(w: Sink, r: BannerRecord): void {
    let app = appProtoId(r.service, this.numbering);
    if (app < 0) app = 0;
    const v4 = r.ip.version === 4;
    const fixed = v4 ? 14 : 27;
    const n = Math.min(r.banner.length, MAX_RECORD - fixed);
    const len = fixed + n;
    const start = w.reserve(4 + len);
    const b = w.buf;
    let p = putTypeLen(b, start, v4 ? REC.BANNER : REC.BANNER6, len);
    put32(b, p, u32ts(r.timestamp));
    if (r.ip.version === 4) {
      put32(b, p + 4, r.ip.v4);
      b[p + 8] = r.ipProto; b[p + 9] = r.port >>> 8; b[p + 10] = r.port;
      b[p + 11] = app >>> 8; b[p + 12] = app; b[p + 13] = r.ttl;
    } else {
      b[p + 4] = r.ipProto; b[p + 5] = r.port >>> 8; b[p + 6] = r.port;
      b[p + 7] = app >>> 8; b[p + 8] = app; b[p + 9] = r.ttl; b[p + 10] = 6;
      put6(b, p + 11, r.ip.v6);
    }
    p += fixed;
    b.set(n === r.banner.length ? r.banner : r.banner.subarray(0, n), p);
    w.commit(p + n);
  }

  footer(w: Sink): void {
    w.bytes(TRAILER);
  }

  resume(_s: AppendState): void {}
}

export const binaryFormat: OutputFormat = {
  name: 'binary',
  description: "masscan's binary format, for --readscan (-oB)",
  extension: '.bin',
  alwaysComplete: true,
  appendScan: binaryAppendScan,
  create: (meta: ScanMeta, opts: FormatOptions) => new BinaryState(meta, opts.binaryNumbering),
};

// ---------------------------------------------------------------- reader

/** Called for each record read; appId is the banner's app-proto id in HEAD numbering (-1 for status). */
export type RecordHandler = (r: ScanRecord, appId: number) => void;

export interface BinaryReaderOptions {
  /** Named in every error message. */
  readonly fileName: string;
  /** App-proto numbering of the file (default HEAD). */
  readonly numbering?: AppNumbering;
}

const EMPTY = new Uint8Array(0);

/**
 * A copy of b[start, end) as a plain Uint8Array. NOTE: never `b.slice()`: on a Buffer (what
 * fs reads return) slice() is a view of memory the caller reuses for the next chunk.
 */
function copyOf(b: Uint8Array, start: number, end: number): Uint8Array {
  const out = new Uint8Array(end - start);
  out.set(b.subarray(start, end));
  return out;
}

function get32(b: Uint8Array, p: number): number {
  return ((b[p]! << 24) | (b[p + 1]! << 16) | (b[p + 2]! << 8) | b[p + 3]!) >>> 0;
}
function get16(b: Uint8Array, p: number): number {
  return (b[p]! << 8) | b[p + 1]!;
}
function get6(b: Uint8Array, p: number): bigint {
  return (BigInt(get32(b, p)) << 96n) | (BigInt(get32(b, p + 4)) << 64n) |
    (BigInt(get32(b, p + 8)) << 32n) | BigInt(get32(b, p + 12));
}

/** masscan's protocol guess for the obsolete type 1/2 records. */
function guessProto(port: number): number {
  if (port === 53 || port === 123 || port === 137 || port === 161) return 17;
  if (port === 36422 || port === 36412 || port === 2905) return 132;
  return 6;
}

/** Fixed body size of each type (exact for status records, minimum for banners). */
const MIN_LEN = [0, 12, 12, 12, 13, 13, 13, 13, 13, 14, 26, 26, 26, 27];
const EXACT = [false, false, false, false, false, false, true, true, true, false, true, true, true, false];

export class BinaryReader {
  readonly fileName: string;
  readonly numbering: AppNumbering;
  /** The `s:` start time of the header, when present. */
  startTime: number | undefined;
  /** Records delivered so far. */
  records = 0;
  private pending: Uint8Array = EMPTY;
  /** File offset of pending[0]. */
  private base = 0;
  private headerDone = false;
  private failed: ScanError | undefined;

  constructor(opts: BinaryReaderOptions) {
    this.fileName = opts.fileName;
    this.numbering = opts.numbering ?? 'head';
  }

  /** File offset up to which every record has been parsed. */
  get offset(): number {
    return this.base;
  }

  private corrupt(offset: number, why: string): ScanError {
    this.failed = new ScanError('ERR_CORRUPT', `${this.fileName}: corrupt record at offset ${offset}: ${why}`);
    return this.failed;
  }

  /**
   * Parses the next chunk of the file; calls `onRecord` for every complete record in order.
   * Throws ScanError ERR_CORRUPT at the first damaged record (the records before it have
   * been delivered), and again on any later call. The chunk is not kept (it may be reused).
   */
  push(chunk: Uint8Array, onRecord: RecordHandler): void {
    if (this.failed !== undefined) throw this.failed;
    let b: Uint8Array;
    if (this.pending.length === 0) {
      b = chunk;
    } else {
      b = new Uint8Array(this.pending.length + chunk.length);
      b.set(this.pending, 0);
      b.set(chunk, this.pending.length);
    }
    let p = 0;
    if (!this.headerDone) {
      const have = Math.min(b.length, BINARY_MAGIC.length);
      for (let i = 0; i < have; i++) {
        if (b[i] !== BINARY_MAGIC.charCodeAt(i)) {
          throw this.corrupt(0, `not a masscan binary file (expected "${BINARY_MAGIC}" header)`);
        }
      }
      if (b.length < BINARY_HEADER_LEN) {
        this.pending = b === chunk ? copyOf(chunk, 0, chunk.length) : b;
        return;
      }
      this.parseHeader(b);
      this.headerDone = true;
      p = BINARY_HEADER_LEN;
    }
    const n = b.length;
    while (p < n) {
      const at = p;
      // TYPE varint (at most 3 bytes).
      let type = 0;
      let q = p;
      let more = true;
      for (let k = 0; more; k++) {
        if (q >= n) break;
        if (k === 3) throw this.corrupt(this.base + at, 'record type field too long');
        const c = b[q++]!;
        type = (type << 7) | (c & 0x7f);
        more = (c & 0x80) !== 0;
      }
      if (more) break; // incomplete
      if (type !== TRAILER_TYPE && (type < 1 || type > 13)) {
        throw this.corrupt(this.base + at, `unknown record type ${type}`);
      }
      // LENGTH varint (at most 3 bytes).
      let len = 0;
      more = true;
      for (let k = 0; more; k++) {
        if (q >= n) break;
        if (k === 3) throw this.corrupt(this.base + at, 'record length field too long');
        const c = b[q++]!;
        len = (len << 7) | (c & 0x7f);
        more = (c & 0x80) !== 0;
      }
      if (more) break;
      if (len > MAX_RECORD) throw this.corrupt(this.base + at, `record length ${len} exceeds ${MAX_RECORD}`);
      if (type !== TRAILER_TYPE) {
        const min = MIN_LEN[type]!;
        if (len < min || (EXACT[type] === true && len !== min)) {
          throw this.corrupt(this.base + at, `record type ${type} has length ${len}, expected ${EXACT[type] === true ? '' : 'at least '}${min}`);
        }
      }
      const bodyLen = type === REC.BANNER4 ? len + 1 : len;
      if (n - q < bodyLen) break;
      if (type !== TRAILER_TYPE) this.decode(b, q, len, type, at, onRecord);
      p = q + bodyLen;
    }
    this.base += p;
    this.pending = p === n ? EMPTY : b === chunk ? copyOf(chunk, p, n) : b.subarray(p);
  }

  /** End of file: throws ERR_CORRUPT if it ends inside the header or a record. */
  end(): void {
    if (this.failed !== undefined) throw this.failed;
    if (!this.headerDone) {
      if (this.pending.length === 0) return; // 0-byte file: an empty scan
      throw this.corrupt(0, `truncated header (${this.pending.length} of ${BINARY_HEADER_LEN} bytes)`);
    }
    if (this.pending.length > 0) {
      throw this.corrupt(this.base, `truncated record (file ends ${this.pending.length} bytes into it)`);
    }
  }

  private parseHeader(b: Uint8Array): void {
    // `masscan/1.1\ns:<digits>\n`; only informative, masscan's reader ignores it too.
    let p = BINARY_MAGIC.length;
    while (p < BINARY_HEADER_LEN && b[p] !== 0x0a && b[p] !== 0) p++; // `.<n>` variants
    if (b[p] === 0x0a && b[p + 1] === 0x73 && b[p + 2] === 0x3a) {
      let v = 0;
      let digits = 0;
      for (let i = p + 3; i < BINARY_HEADER_LEN && b[i]! >= 0x30 && b[i]! <= 0x39 && digits < 15; i++, digits++) {
        v = v * 10 + (b[i]! - 0x30);
      }
      if (digits > 0) this.startTime = v;
    }
  }

  private decode(b: Uint8Array, p: number, len: number, type: number, at: number, onRecord: RecordHandler): void {
    switch (type) {
      case REC.OPEN_OLD:
      case REC.CLOSED_OLD: {
        const port = get16(b, p + 8);
        this.emitStatus(onRecord, get32(b, p), { version: 4, v4: get32(b, p + 4) }, guessProto(port), port,
          type === REC.OPEN_OLD ? 'open' : 'closed', b[p + 10]!, b[p + 11]!);
        return;
      }
      case REC.OPEN:
      case REC.CLOSED:
      case REC.ARP:
        this.emitStatus(onRecord, get32(b, p), { version: 4, v4: get32(b, p + 4) }, b[p + 8]!, get16(b, p + 9),
          type === REC.OPEN ? 'open' : type === REC.CLOSED ? 'closed' : 'up', b[p + 11]!, b[p + 12]!);
        return;
      case REC.OPEN6:
      case REC.CLOSED6:
      case REC.ARP6:
        if (b[p + 9] !== 6) throw this.corrupt(this.base + at, `IPv6 record with IP version ${b[p + 9]}`);
        this.emitStatus(onRecord, get32(b, p), { version: 6, v6: get6(b, p + 10) }, b[p + 4]!, get16(b, p + 5),
          type === REC.OPEN6 ? 'open' : type === REC.CLOSED6 ? 'closed' : 'up', b[p + 7]!, b[p + 8]!);
        return;
      case REC.BANNER3:
        this.emitBanner(onRecord, get32(b, p), { version: 4, v4: get32(b, p + 4) }, 6, get16(b, p + 8),
          get16(b, p + 10), 0, copyOf(b, p + 12, p + len));
        return;
      case REC.BANNER4:
      case REC.BANNER5:
        // Type 4 is one byte longer than LENGTH says (masscan's reader); its data runs to the end.
        this.emitBanner(onRecord, get32(b, p), { version: 4, v4: get32(b, p + 4) }, b[p + 8]!, get16(b, p + 9),
          get16(b, p + 11), 0, copyOf(b, p + 13, p + (type === REC.BANNER4 ? len + 1 : len)));
        return;
      case REC.BANNER:
        this.emitBanner(onRecord, get32(b, p), { version: 4, v4: get32(b, p + 4) }, b[p + 8]!, get16(b, p + 9),
          get16(b, p + 11), b[p + 13]!, copyOf(b, p + 14, p + len));
        return;
      case REC.BANNER6:
        if (b[p + 10] !== 6) throw this.corrupt(this.base + at, `IPv6 record with IP version ${b[p + 10]}`);
        this.emitBanner(onRecord, get32(b, p), { version: 6, v6: get6(b, p + 11) }, b[p + 4]!, get16(b, p + 5),
          get16(b, p + 7), b[p + 9]!, copyOf(b, p + 27, p + len));
        return;
      default:
        throw this.corrupt(this.base + at, `unknown record type ${type}`);
    }
  }

  private emitStatus(
    onRecord: RecordHandler, ts: number, ip: IpAddress, ipProto: number, port: number,
    status: StatusRecord['status'], reason: number, ttl: number,
  ): void {
    const r: StatusRecord = { kind: 'status', timestamp: ts, ip, ipProto, port, status, reason, ttl };
    this.records++;
    onRecord(r, -1);
  }

  private emitBanner(
    onRecord: RecordHandler, ts: number, ip: IpAddress, ipProto: number, port: number,
    app: number, ttl: number, banner: Uint8Array,
  ): void {
    const r: BannerRecord = {
      kind: 'banner', timestamp: ts, ip, ipProto, port,
      service: appProtoName(app, this.numbering), ttl, banner,
    };
    this.records++;
    onRecord(r, toHeadId(app, this.numbering));
  }
}
