/**
 * The output format interface. Every format is a plain object in registry.ts; per file it
 * creates one state object (a class instance, so the record methods stay monomorphic) that
 * serialises typed records into a Sink. Formats never see the engine, the config or the
 * file system: OutputSet (outputs.ts) opens files, applies filters, decides when headers and
 * footers are written, appends and rotates.
 */
import type { FormatName } from '../core/config.js';
import type { PortRange } from '../core/range.js';
import type { BannerRecord, ScanRecord, ServiceRecord, StatusRecord } from '../core/record.js';
import type { ServiceNames } from './services.js';
import type { Sink } from './sink.js';

export type { FormatName };
/** A port range in masscan's internal encoding (TCP p, UDP 65536+p, SCTP 131072+p, ...). */
export type MetaPortRange = PortRange;

/** What a format may print about the scan as a whole. */
export interface ScanMeta {
  /** Scan start, unix seconds. */
  readonly startTime: number;
  /** tidescan's version string. */
  readonly version: string;
  /** Ports scanned, internal encoding (grepable `# Ports scanned`, XML scaninfo). */
  readonly portsScanned: readonly MetaPortRange[];
  /** The command line as typed (XML `args`, grepable header). */
  readonly commandLine: string;
  /**
   * True when converting files (--readscan): like masscan, the grepable "scan initiated" time
   * and the binary header's start time are then the first record's timestamp.
   */
  readonly readscan?: boolean;
}

/** Per-file settings a format may use. */
export interface FormatOptions {
  /** XML stylesheet URL (--stylesheet / --webxml), or undefined for none. */
  readonly stylesheet: string | undefined;
  /** Service names for grepable/unicornscan. */
  readonly services: ServiceNames;
  /** App-proto numbering for binary records written (default HEAD). */
  readonly binaryNumbering: 'head' | '1.3.2';
}

/**
 * What an existing file's tail says when appending (see outputs.ts): how many bytes of the
 * file to keep, and what the format state must know to continue the document.
 */
export interface AppendState {
  /** Keep bytes [0, keep) of the file; the rest (a closing `]`, an XML footer, a binary
   * trailer) is cut before new records are appended. */
  readonly keep: number;
  /** The kept part already holds a header (the new run must not write another). */
  readonly hasHeader: boolean;
  /** The kept part already holds at least one record (JSON: a `,` line comes first). */
  readonly hasRecords: boolean;
  /** XML: counters of the previous runs' <hosts> line, added to this run's. */
  readonly up?: number;
  readonly down?: number;
}

/** Reads `len` bytes at `pos` of the existing file (fewer at its end). */
export type TailReader = (pos: number, len: number) => Uint8Array;

export interface FormatState {
  /** The header; `first` is the record about to be written (undefined for an empty file). */
  header(w: Sink, first: ScanRecord | undefined): void;
  status(w: Sink, r: StatusRecord): void;
  banner(w: Sink, r: BannerRecord): void;
  /**
   * The service identification found on a port (ServiceRecord): formats whose port record
   * has a service field write it; without this method the record is left out.
   */
  service?(w: Sink, r: ServiceRecord): void;
  /** The footer; `nowMs` is the wall clock at close. */
  footer(w: Sink, nowMs: number): void;
  /** Continue a document found in the file (append mode). */
  resume(s: AppendState): void;
}

export interface OutputFormat {
  readonly name: FormatName;
  /** One line for --help and listings. */
  readonly description: string;
  /** Conventional file extension (for rotation names and docs). */
  readonly extension: string;
  /**
   * True: the file always holds a complete document, written even when no record came
   * (JSON `[]`, an empty nmaprun, a binary header and trailer). False: masscan's lazy header,
   * so a scan with no results leaves a 0-byte file.
   */
  readonly alwaysComplete: boolean;
  /** The format has a header/footer that appending must continue (else plain append). */
  readonly appendScan?: (size: number, read: TailReader) => AppendState;
  create(meta: ScanMeta, opts: FormatOptions): FormatState;
}

// ---- helpers shared by the text formats ----

const PROTO_NAMES: string[] = [];
for (let i = 0; i < 256; i++) PROTO_NAMES.push('err');
PROTO_NAMES[6] = 'tcp';
PROTO_NAMES[17] = 'udp';
PROTO_NAMES[1] = 'icmp';
PROTO_NAMES[58] = 'icmp';
PROTO_NAMES[132] = 'sctp';
PROTO_NAMES[0] = 'arp';

/** masscan's protocol word: tcp udp icmp sctp arp, anything else `err` (reference §4.1). */
export function protoName(ipProto: number): string {
  return PROTO_NAMES[ipProto & 255]!;
}

const FLAG_NAMES = ['fin', 'syn', 'rst', 'psh', 'ack', 'urg', 'ece', 'cwr'];
const REASONS: string[] = [];
for (let f = 0; f < 256; f++) {
  const parts: string[] = [];
  for (let b = 0; b < 8; b++) if ((f >> b) & 1) parts.push(FLAG_NAMES[b]!);
  REASONS.push(parts.length === 0 ? 'none' : parts.join('-'));
}

/** TCP flag names joined by `-` in bit order; `none` when no flag is set. */
export function reasonString(flags: number): string {
  return REASONS[flags & 255]!;
}

/** reasonString's inverse: a reason (`syn-ack`, `rst`, `none`) back to its flags byte; unknown words count 0. */
export function reasonFlags(s: string): number {
  let f = 0;
  for (const w of s.split('-')) {
    const b = FLAG_NAMES.indexOf(w);
    if (b >= 0) f |= 1 << b;
  }
  return f;
}

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** A number 0..99 as two digits (dates and times). */
export function pad2(n: number): string {
  return n < 10 ? '0' + n : String(n);
}

/** C's `%c` of gmtime() in the C locale: `Tue Nov 14 22:13:20 2023`. */
export function gmtimeC(unixSeconds: number): string {
  const d = new Date(unixSeconds * 1000);
  const day = d.getUTCDate();
  return `${DAYS[d.getUTCDay()]} ${MONTHS[d.getUTCMonth()]} ${day < 10 ? ' ' + day : day} ` +
    `${pad2(d.getUTCHours())}:${pad2(d.getUTCMinutes())}:${pad2(d.getUTCSeconds())} ${d.getUTCFullYear()}`;
}

/** `YYYY-MM-DD HH:MM:SS` in local time (masscan's XML timestr). */
export function localTimestr(unixSeconds: number): string {
  const d = new Date(unixSeconds * 1000);
  return `${d.getFullYear()}-${pad2(d.getMonth() + 1)}-${pad2(d.getDate())} ` +
    `${pad2(d.getHours())}:${pad2(d.getMinutes())}:${pad2(d.getSeconds())}`;
}

/** Internal port-encoding classes used by headers. */
export const PORT_CLASSES = [
  { label: 'TCP', base: 0, end: 65535, proto: 'tcp', scan: 'syn' },
  { label: 'UDP', base: 65536, end: 131071, proto: 'udp', scan: 'udp' },
  { label: 'SCTP', base: 131072, end: 196607, proto: 'sctp', scan: 'sctpinit' },
  { label: 'PROTOCOLS', base: 196864, end: 196864 + 255, proto: 'ip', scan: 'ipproto' },
] as const;

/** The ranges of one class, clipped to it, in the order given. */
export function classRanges(
  ranges: readonly MetaPortRange[],
  base: number,
  end: number,
): MetaPortRange[] {
  const out: MetaPortRange[] = [];
  for (const r of ranges) {
    const b = Math.max(r.begin, base);
    const e = Math.min(r.end, end);
    if (b <= e) out.push({ begin: b, end: e });
  }
  return out;
}
