/**
 * Reading JSON (-oJ) and NDJSON (-oD) scan files back into records, for --readscan and
 * --report: ours, masscan's (HEAD's layout and the older one with a `,` after each record
 * and a `{finished: 1}` line), a JSON array on one line (what `jq -c` leaves), and records
 * pretty-printed over several lines (what `jq .` leaves).
 *
 * Bounded and tolerant:
 * - the file is read in chunks and split into lines; a line may be at most MAX_LINE bytes
 *   (a 1 MiB banner escaped as `\u00NN` is 6 MiB): a longer one ends the file with an error;
 * - a line that is not a record (bad JSON, a field of the wrong type, an address that does
 *   not parse) is skipped and counted; every good record is delivered, and end() then
 *   throws one ScanError naming the file, the first bad line and how many more there were;
 * - a record spread over lines is gathered until it parses, up to MAX_LINE bytes.
 * Banner strings hold one character per byte (code points up to U+00FF, as our JSON and
 * masscan's write them); any other character is taken as UTF-8.
 */
import { ScanError } from '../error.js';
import type { IpAddress, PortStatus, ScanRecord } from '../core/record.js';
import { parseIPv4 } from '../target/ipv4.js';
import { parseIPv6 } from '../target/ipv6.js';
import { appProtoId } from './app-proto.js';
import type { RecordHandler } from './binary.js';
import { reasonFlags } from './format.js';

/** The longest line read (bytes). */
export const MAX_LINE = 64 << 20;

const PROTOS: Readonly<Record<string, number>> = { tcp: 6, udp: 17, sctp: 132, icmp: 1, arp: 0, err: 255 };

class BadLine extends Error {}

function bad(why: string): never {
  throw new BadLine(why);
}

function clip(s: string): string {
  return s.length > 40 ? JSON.stringify(s.slice(0, 40)) + '…' : JSON.stringify(s);
}

function ipOf(v: unknown): IpAddress {
  if (typeof v !== 'string') bad('"ip" is not a string');
  const a = parseIPv4(v);
  if (a !== null) return { version: 4, v4: a };
  const b = v.includes(':') ? parseIPv6(v) : null;
  if (b !== null) return { version: 6, v6: b };
  return bad(`bad address ${clip(v)}`);
}

function timeOf(v: unknown): number {
  const n = typeof v === 'string' && /^\d{1,12}$/.test(v) ? Number(v) : v;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 0 || n > 0xffffffff) bad('bad "timestamp"');
  return n;
}

function intOf(v: unknown, what: string, max: number, dflt?: number): number {
  if (v === undefined && dflt !== undefined) return dflt;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > max) bad(`bad "${what}"`);
  return v;
}

function protoNumber(v: unknown): number {
  const p = typeof v === 'string' ? PROTOS[v] : undefined;
  if (p === undefined) bad(`bad "proto" ${typeof v === 'string' ? clip(v) : ''}`.trimEnd());
  return p;
}

function statusOf(v: unknown): PortStatus {
  if (v === 'open' || v === 'closed' || v === 'up') return v;
  return bad(`bad "status" ${typeof v === 'string' ? clip(v) : ''}`.trimEnd());
}

function bannerBytes(s: string): Uint8Array {
  // eslint-disable-next-line no-control-regex
  return new Uint8Array(/^[\u0000-\u00ff]*$/.test(s) ? Buffer.from(s, 'latin1') : Buffer.from(s, 'utf8'));
}

/** The string fields of a banner object besides the named ones (hassh, ...). */
function extraFields(o: Record<string, unknown>, skip: readonly string[]): Record<string, string> | undefined {
  let out: Record<string, string> | undefined;
  for (const [k, v] of Object.entries(o)) {
    if (skip.includes(k) || typeof v !== 'string') continue;
    (out ??= {})[k] = v;
  }
  return out;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

// One record from the object that holds its fields: -oD's `data`, or an -oJ `ports` entry
// (status fields), its `service` (banner and service fields; the name is `name` there,
// `service_name` in `data`).

function statusRecord(timestamp: number, ip: IpAddress, ipProto: number, port: number, o: Record<string, unknown>): ScanRecord {
  const r: ScanRecord = {
    kind: 'status', timestamp, ip, ipProto, port, status: statusOf(o['status']),
    reason: typeof o['reason'] === 'string' ? reasonFlags(o['reason']) : 0, ttl: intOf(o['ttl'], 'ttl', 255, 0),
  };
  return typeof o['mac'] === 'string' ? { ...r, mac: o['mac'] } : r;
}

/** `o['banner']` is a string (checked by the caller); `nameKey` is left out of the extra fields. */
function bannerRecord(timestamp: number, ip: IpAddress, ipProto: number, port: number, service: string,
  o: Record<string, unknown>, nameKey: string): ScanRecord {
  return {
    kind: 'banner', timestamp, ip, ipProto, port, service, ttl: 0, banner: bannerBytes(o['banner'] as string),
    fields: extraFields(o, [nameKey, 'banner']),
  };
}

function serviceRecord(timestamp: number, ip: IpAddress, ipProto: number, port: number, service: string,
  o: Record<string, unknown>): ScanRecord {
  return { kind: 'service', timestamp, ip, ipProto, port, ttl: 0, service, handshakes: intOf(o['handshakes'], 'handshakes', 255, 0) };
}

/** The records of one parsed JSON value (an -oJ record, an -oD line, or an array of them). */
function recordsOf(v: unknown, out: ScanRecord[]): void {
  if (Array.isArray(v)) {
    for (const e of v) recordsOf(e, out);
    return;
  }
  if (!isObject(v)) bad('not a JSON object');
  if (v['rec_type'] === undefined && v['ports'] === undefined) bad('neither "ports" nor "rec_type": not a scan record');
  const ip = ipOf(v['ip']);
  // ICMPv6 prints as `icmp` (as masscan 1.3.9 prints it): an IPv6 address tells them apart.
  const protoOf = (x: unknown): number => {
    const p = protoNumber(x);
    return p === 1 && ip.version === 6 ? 58 : p;
  };
  const timestamp = timeOf(v['timestamp']);
  if (v['rec_type'] !== undefined) {
    const data = v['data'];
    if (!isObject(data)) bad('"data" is not an object');
    const ipProto = protoOf(v['proto']);
    const port = intOf(v['port'], 'port', 65535);
    if (v['rec_type'] === 'status') {
      out.push(statusRecord(timestamp, ip, ipProto, port, data));
    } else if (v['rec_type'] === 'banner') {
      const service = data['service_name'];
      if (typeof service !== 'string' || typeof data['banner'] !== 'string') bad('banner without "service_name" and "banner" strings');
      out.push(bannerRecord(timestamp, ip, ipProto, port, service, data, 'service_name'));
    } else if (v['rec_type'] === 'service') {
      const service = data['service_name'];
      if (typeof service !== 'string') bad('service without a "service_name" string');
      out.push(serviceRecord(timestamp, ip, ipProto, port, service, data));
    } else {
      bad(`unknown "rec_type" ${clip(String(v['rec_type']))}`);
    }
    return;
  }
  const ports = v['ports'];
  if (!Array.isArray(ports)) bad('neither "ports" nor "rec_type": not a scan record');
  for (const p of ports) {
    if (!isObject(p)) bad('a "ports" entry is not an object');
    const ipProto = protoOf(p['proto']);
    const port = intOf(p['port'], 'port', 65535);
    const svc = p['service'];
    if (isObject(svc) && typeof svc['name'] === 'string' && svc['banner'] === undefined && svc['handshakes'] !== undefined) {
      // Identification's port record: the service and the handshakes spent (no banner).
      out.push(serviceRecord(timestamp, ip, ipProto, port, svc['name'], svc));
    } else if (svc !== undefined) {
      if (!isObject(svc) || typeof svc['name'] !== 'string' || typeof svc['banner'] !== 'string') bad('bad "service"');
      out.push(bannerRecord(timestamp, ip, ipProto, port, svc['name'], svc, 'name'));
    } else {
      out.push(statusRecord(timestamp, ip, ipProto, port, p));
    }
  }
}

/** Lines that hold no record: array brackets, the comma lines, masscan's old footer. */
const SKIP = /^(?:\[|\]|,|\{\s*finished\s*:\s*1\s*\}\s*,?)?$/;

/**
 * An incremental reader of JSON or NDJSON scan text, with BinaryReader's interface
 * (push chunks, then end()).
 */
export class TextScanReader {
  records = 0;
  private line = 0;
  private parts: Buffer[] = [];
  private partLen = 0;
  private badLines = 0;
  private firstBad: string | undefined;
  private failed: ScanError | undefined;
  private readonly batch: ScanRecord[] = [];
  /** A pretty-printed record being gathered, and its first line. */
  private multi: string | undefined;
  private multiStart = 0;

  constructor(readonly fileName: string) {}

  push(chunk: Uint8Array, onRecord: RecordHandler): void {
    if (this.failed !== undefined) throw this.failed;
    const b = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.length);
    let start = 0;
    for (;;) {
      const nl = b.indexOf(0x0a, start);
      if (nl < 0) break;
      this.take(b.subarray(start, nl), onRecord);
      start = nl + 1;
    }
    if (start < b.length) {
      if (this.partLen + b.length - start > MAX_LINE) {
        this.tooLong();
      }
      // A copy: the caller reuses its chunk.
      this.parts.push(Buffer.from(b.subarray(start)));
      this.partLen += b.length - start;
    }
  }

  /** A line past MAX_LINE ends the file: this error, now and on every later call. */
  private tooLong(): never {
    this.failed = new ScanError('ERR_CORRUPT', `${this.fileName}: line ${this.line + 1}: longer than ${MAX_LINE >> 20} MiB`);
    throw this.failed;
  }

  private take(tail: Buffer, onRecord: RecordHandler): void {
    let text: string;
    if (this.parts.length > 0) {
      if (this.partLen + tail.length > MAX_LINE) {
        this.tooLong();
      }
      text = Buffer.concat([...this.parts, tail]).toString('utf8');
      this.parts = [];
      this.partLen = 0;
    } else {
      text = tail.toString('utf8');
    }
    this.line++;
    let s = text.trim();
    if (this.line === 1 && s.charCodeAt(0) === 0xfeff) s = s.slice(1).trim();
    if (this.multi !== undefined) {
      // Inside a record spread over lines (pretty-printed JSON): add lines until it parses.
      this.multi += '\n' + s;
      s = this.multi;
      if (s.endsWith(',')) s = s.slice(0, -1).trimEnd();
      if (!s.endsWith('}') || !this.tryParse(s, onRecord, true)) {
        if (this.multi.length > MAX_LINE) {
          this.multi = undefined;
          this.badLine(`line ${this.multiStart}: a record of more than ${MAX_LINE >> 20} MiB`);
        }
        return;
      }
      this.multi = undefined;
      return;
    }
    if (SKIP.test(s)) return;
    if (s.startsWith(',')) s = s.slice(1).trimStart();
    if (s.endsWith(',')) s = s.slice(0, -1).trimEnd();
    // An object left open at the end of its line starts a pretty-printed record (`jq .`).
    if (s === '{' || (s.startsWith('{') && /[[{:]$/.test(s))) {
      this.multi = s;
      this.multiStart = this.line;
      return;
    }
    this.tryParse(s, onRecord, false);
  }

  private badLine(what: string): void {
    this.badLines++;
    this.firstBad ??= what;
  }

  /**
   * Parses one record's text and delivers its records. A bad record is counted (unless
   * `quiet`, for a pretty-printed record that may just be incomplete); false when it failed.
   */
  private tryParse(s: string, onRecord: RecordHandler, quiet: boolean): boolean {
    const out = this.batch;
    out.length = 0;
    try {
      let v: unknown;
      try {
        v = JSON.parse(s);
      } catch (e) {
        if (quiet) return false;
        bad(`not JSON (${e instanceof Error ? e.message.slice(0, 80) : 'parse error'})`);
      }
      recordsOf(v, out);
    } catch (e) {
      if (!(e instanceof BadLine)) throw e;
      this.badLine(`line ${quiet ? this.multiStart : this.line}: ${e.message}`);
      return true;
    }
    for (const r of out) {
      this.records++;
      onRecord(r, r.kind === 'banner' ? appProtoId(r.service) : -1);
    }
    return true;
  }

  /** The last line (without a newline), then one error for all the bad lines, if any. */
  end(onRecord?: RecordHandler): void {
    if (this.failed !== undefined) throw this.failed;
    if (this.parts.length > 0) this.take(Buffer.alloc(0), onRecord ?? (() => undefined));
    if (this.multi !== undefined) {
      this.multi = undefined;
      this.badLine(`line ${this.multiStart}: a record that never ends`);
    }
    if (this.badLines > 0) {
      const more = this.badLines > 1 ? ` (and ${this.badLines - 1} more bad line${this.badLines > 2 ? 's' : ''})` : '';
      this.failed = new ScanError('ERR_CORRUPT', `${this.fileName}: ${this.firstBad}${more}`);
      throw this.failed;
    }
  }
}

/** What a scan file holds, from its first bytes: masscan's binary header, else JSON text. */
export function sniffScanFile(first: Uint8Array): 'binary' | 'text' {
  let i = 0;
  if (first[0] === 0xef && first[1] === 0xbb && first[2] === 0xbf) i = 3;
  while (i < first.length && (first[i] === 0x20 || first[i] === 0x0a || first[i] === 0x0d || first[i] === 0x09)) i++;
  return first[i] === 0x7b /* { */ || first[i] === 0x5b /* [ */ ? 'text' : 'binary';
}
