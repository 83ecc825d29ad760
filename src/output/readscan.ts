/**
 * --readscan FILES…: convert scan files to any output format: masscan binary files (ours or
 * masscan's), and JSON or NDJSON files (text-reader.ts; the first bytes decide). --report OUT
 * FILES… is the same conversion into the HTML report format.
 *
 * As masscan: each file is announced on stderr (`[+] --readscan F`); targets and ports given
 * on the command line act as filters; --banner-type keeps only banners of those types and
 * hides status records; the default output is interactive lines on stdout. Differences:
 * - Ports match either the raw port number (masscan's rule, so `-p53` matches UDP 53 too) or
 *   the record's internal port (so `-pU:53` matches UDP 53, which never matches in masscan).
 * - A damaged file gives one `[-] F: corrupt record at offset N: …` line; every record before
 *   the damage is written, the next file is read, and the exit code is 1. A missing file is
 *   reported the same way. ARP records (types 8 and 12) are read.
 * - App-proto numbering: HEAD by default (current masscan and tidescan itself write it);
 *   `numbering: '1.3.2'` (the cli's --readscan-numbering 1.3.2) for files from masscan 1.3.2.
 *   The header does not say which; a warning suggests the other numbering when a file holds
 *   ids that only make sense in it.
 */
import * as nodeFs from 'node:fs';
import { ScanError } from '../error.js';
import { quoteInput } from '../target/parse.js';
import { PORT_ARP, PORT_ICMP_BASE, PORT_OPROTO_BASE, PORT_SCTP_BASE, PORT_UDP_BASE } from '../core/ports.js';
import type { AppNumbering } from './app-proto.js';
import { BANNER_TYPE_IDS } from './app-proto.js';
import { BinaryReader } from './binary.js';
import type { RecordHandler } from './binary.js';
import { sniffScanFile, TextScanReader } from './text-reader.js';
import type { ScanMeta } from './format.js';
import { OutputSet, outputOptionsFrom } from './outputs.js';
import type { OutputConfigFields, OutputOptions } from './outputs.js';
import type { IpAddress, ScanRecord } from '../core/record.js';
import type { PortRange, Range4, Range6 } from '../core/range.js';
import type { OutputIo } from './sink.js';
import { fileOutputs, isStoreKind, openStore, readscanInfo, type ResultStore, type ScanRow } from './store/store.js';

/** BinaryReader and TextScanReader: chunks in, records out, then end(). */
interface ScanFileReader {
  readonly records: number;
  push(chunk: Uint8Array, onRecord: RecordHandler): void;
  end(onRecord: RecordHandler): void;
}

/** Range4, Range6 or PortRange (core/range.ts), for the generic lookups below. */
interface Span<T> { readonly begin: T; readonly end: T }

/**
 * The ScanConfig fields --readscan reads (ScanConfig satisfies it as is, so output/ need not
 * import cli/).
 */
export interface ReadscanConfig extends OutputConfigFields {
  readonly targets4: readonly Range4[];
  readonly targets6: readonly Range6[];
  /** Internal port encoding (UDP 65536 + p, ...). */
  readonly ports: readonly PortRange[];
  readonly bannerTypes: readonly string[];
  /** --readscan-numbering (undefined: HEAD). */
  readonly readscanNumbering?: AppNumbering | undefined;
  readonly readscanFiles: readonly string[];
}

export interface ReadscanOptions {
  /** App-proto numbering of the input files (default: config.readscanNumbering, else HEAD). */
  readonly numbering?: AppNumbering;
  /** Filter by config.targets4/6 (default: when either list is non-empty). */
  readonly filterTargets?: boolean;
  /** Filter by config.ports (default: when the list is non-empty). */
  readonly filterPorts?: boolean;
  /** Output I/O (tests). */
  readonly io?: OutputIo;
  /** Overrides of the output options built from the config (tests, services tables). */
  readonly outputOptions?: Partial<OutputOptions>;
  /** stderr writer (default process.stderr). */
  readonly stderr?: (s: string) => void;
  readonly version?: string;
  readonly commandLine?: string;
  /** The command line recorded in a store's scan row (default: commandLine). */
  readonly storeCommandLine?: string;
  /** Read size (default 1 MiB). */
  readonly chunkSize?: number;
  /** Install SIGINT/SIGTERM handlers that stop and close the outputs (default true). */
  readonly handleSignals?: boolean;
  /**
   * --merge: drop a record equal to one already written (same address, protocol, port and
   * status; for a banner, also the same service and bytes), across all files; default false.
   */
  readonly unique?: boolean;
  /** The option named in the `[+] <label> FILE` lines (default `--readscan`). */
  readonly label?: string;
  /** Receives the counts once every file is read (--merge reports them). */
  readonly onDone?: (counts: ReadscanCounts) => void;
}

/** What a run read and wrote. */
export interface ReadscanCounts {
  readonly files: number;
  readonly records: number;
  readonly written: number;
  readonly duplicates: number;
}

/** Small codes of the common IP protocols and of the statuses, for the numeric keys. */
const PROTO_CODE: ReadonlyMap<number, number> = new Map([[6, 0], [17, 1], [132, 2], [1, 3], [58, 4], [0, 5]]);
const STATUS_CODE = { open: 0, closed: 1, up: 2 } as const;

/**
 * The identity of a record for --merge (timestamps and TTLs left out): a number for an IPv4
 * status record of a common protocol (address, protocol, port and status packed into 53
 * bits; most records of a scan, kept without a string each), else a string.
 */
export function recordKey(r: ScanRecord): number | string {
  if (r.kind === 'status' && r.ip.version === 4) {
    const proto = PROTO_CODE.get(r.ipProto);
    if (proto !== undefined) return r.ip.v4 * 0x200000 + ((proto << 18) | (r.port << 2) | STATUS_CODE[r.status]);
  }
  return recordText(r);
}

/** recordKey's string form, for any record. */
export function recordText(r: ScanRecord): string {
  const ip = r.ip.version === 4 ? `4:${r.ip.v4}` : `6:${r.ip.v6}`;
  if (r.kind === 'status') return `s ${ip} ${r.ipProto} ${r.port} ${r.status}`;
  if (r.kind === 'service') return `v ${ip} ${r.ipProto} ${r.port} ${r.service}`;
  return `b ${ip} ${r.ipProto} ${r.port} ${r.service} ${Buffer.from(r.banner.buffer, r.banner.byteOffset, r.banner.byteLength).toString('base64')}`;
}


/** The record's port in masscan's internal encoding. */
export function internalPort(ipProto: number, port: number): number {
  switch (ipProto) {
    case 6: return port;
    case 17: return PORT_UDP_BASE + port;
    case 132: return PORT_SCTP_BASE + port;
    case 1:
    case 58: return PORT_ICMP_BASE + port;
    case 0: return PORT_ARP;
    default: return PORT_OPROTO_BASE + ipProto;
  }
}

function inSpans<T extends number | bigint>(spans: readonly Span<T>[], v: T): boolean {
  let lo = 0;
  let hi = spans.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    const s = spans[mid]!;
    if (v < s.begin) hi = mid - 1;
    else if (v > s.end) lo = mid + 1;
    else return true;
  }
  return false;
}

function sorted<T extends number | bigint>(spans: readonly Span<T>[]): Span<T>[] {
  return [...spans].sort((a, b) => (a.begin < b.begin ? -1 : a.begin > b.begin ? 1 : 0));
}

/** A record filter built from the config (targets, ports, banner types). */
class ReadscanFilter {
  private readonly t4: Span<number>[];
  private readonly t6: Span<bigint>[];
  private readonly ports: Span<number>[];
  private readonly bannerIds: Set<number> | undefined;

  constructor(
    config: Pick<ReadscanConfig, 'targets4' | 'targets6' | 'ports' | 'bannerTypes'>,
    private readonly byTargets: boolean,
    private readonly byPorts: boolean,
  ) {
    this.t4 = sorted(config.targets4);
    this.t6 = sorted(config.targets6);
    this.ports = sorted(config.ports);
    if (config.bannerTypes.length > 0) {
      this.bannerIds = new Set();
      for (const t of config.bannerTypes) {
        const ids = BANNER_TYPE_IDS.get(t);
        if (ids === undefined) {
          throw new ScanError('ERR_BAD_OPTION', `--banner-type: unknown banner type: ${quoteInput(t)} ` +
            `(known: ${[...BANNER_TYPE_IDS.keys()].join(' ')})`);
        }
        for (const id of ids) this.bannerIds.add(id);
      }
    }
  }

  private ipOk(ip: IpAddress): boolean {
    return ip.version === 4 ? inSpans(this.t4, ip.v4) : inSpans(this.t6, ip.v6);
  }

  /** True when the record passes; appId is the banner's HEAD app id (-1 for status). */
  accepts(r: ScanRecord, appId: number): boolean {
    if (this.bannerIds !== undefined) {
      if (r.kind !== 'banner' || !this.bannerIds.has(appId)) return false;
    }
    if (this.byTargets && !this.ipOk(r.ip)) return false;
    if (this.byPorts && !inSpans(this.ports, r.port) && !inSpans(this.ports, internalPort(r.ipProto, r.port))) {
      return false;
    }
    return true;
  }
}

function looksBase64(b: Uint8Array): boolean {
  for (let i = 0; i < b.length; i++) {
    const c = b[i]!;
    const ok = (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || (c >= 0x30 && c <= 0x39) ||
      c === 0x2b || c === 0x2f || c === 0x3d;
    if (!ok) return false;
  }
  return true;
}

function numberingFrom(config: ReadscanConfig, opts: ReadscanOptions): AppNumbering {
  if (opts.numbering !== undefined) return opts.numbering;
  return config.readscanNumbering ?? 'head';
}

/** Runs --readscan; resolves to the process exit code (0, or 1 after any bad file). */
export async function runReadscan(config: ReadscanConfig, opts: ReadscanOptions = {}): Promise<number> {
  const stderr = opts.stderr ?? ((s: string) => { process.stderr.write(s); });
  const numbering = numberingFrom(config, opts);
  const filter = new ReadscanFilter(
    config,
    opts.filterTargets ?? (config.targets4.length > 0 || config.targets6.length > 0),
    opts.filterPorts ?? config.ports.length > 0,
  );
  const io = opts.io;
  const meta: ScanMeta = {
    startTime: Math.floor((io?.now() ?? Date.now()) / 1000),
    version: opts.version ?? '0.1.0',
    portsScanned: config.ports,
    commandLine: opts.commandLine ?? '',
    readscan: true,
  };
  const outOpts: OutputOptions = { ...outputOptionsFrom(config), ...opts.outputOptions };
  // Stores (-oQ, --output-format sqlite|postgres) are opened first (a bad URL fails before a
  // file is made); the files and stdout go through OutputSet, unless only stores were asked.
  const storeTargets = outOpts.outputs.filter((o) => isStoreKind(o.format));
  const fileTargets = fileOutputs(outOpts.outputs, outOpts.interactive);
  const stores: { store: ResultStore; row: ScanRow }[] = [];
  try {
    for (const t of storeTargets) {
      const store = await openStore(t.format as 'sqlite' | 'postgres', t.filename);
      stores.push({ store, row: await store.createScan(readscanInfo(config.readscanFiles, { version: meta.version, commandLine: opts.storeCommandLine ?? meta.commandLine, unixMs: io?.now() ?? Date.now() })) });
    }
  } catch (e) {
    for (const s of stores) await s.store.close().catch(() => undefined);
    throw e;
  }
  const out = fileTargets === undefined ? undefined : OutputSet.open({ ...outOpts, outputs: fileTargets }, meta, io);
  const pending: ScanRecord[] = [];
  /** The records taken since the last call, to every store as one batch. */
  const writePending = (): void => {
    if (pending.length === 0) return;
    for (const s of stores) s.store.write(s.row.id, pending);
    pending.length = 0;
  };

  let stop = false;
  const onSignal = (): void => { stop = true; };
  const handle = opts.handleSignals ?? true;
  if (handle) {
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  }
  let rc = 0;
  const seen = opts.unique === true ? new Set<number | string>() : undefined;
  const label = opts.label ?? '--readscan';
  let files = 0;
  let records = 0;
  let written = 0;
  let duplicates = 0;
  const chunk = Buffer.allocUnsafe(opts.chunkSize ?? 1 << 20);
  const progress = process.stderr.isTTY === true && opts.stderr === undefined;
  try {
    for (const file of config.readscanFiles) {
      if (stop) break;
      stderr(`[+] ${label} ${file}\n`);
      files++;
      // Binary (masscan's header) or JSON/NDJSON text: decided by the file's first bytes.
      let reader: ScanFileReader | undefined;
      const binaryReader = (): BinaryReader => new BinaryReader({ fileName: file, numbering });
      let suspect = 0;
      const onRecord = (r: ScanRecord, appId: number): void => {
        if (r.kind === 'banner' && appId !== -1) {
          // HEAD id 16 is X509CA (base64); in a 1.3.2 file id 16 is a page title.
          if (numbering === 'head' && appId === 16 && !looksBase64(r.banner)) suspect++;
          if (numbering === '1.3.2' && r.service.startsWith('(')) suspect++;
        }
        records++;
        if (progress && reader !== undefined && (reader.records & 0xffff) === 0) stderr(`[+] ${file}: ${reader.records}\r`);
        if (!filter.accepts(r, appId)) return;
        if (seen !== undefined) {
          const k = recordKey(r);
          if (seen.has(k)) {
            duplicates++;
            return;
          }
          seen.add(k);
        }
        written++;
        out?.write(r);
        if (stores.length > 0) pending.push(r);
      };
      let fd: number | undefined;
      try {
        try {
          fd = nodeFs.openSync(file, 'r');
        } catch (e) {
          throw new ScanError('ERR_FILE', `${file}: cannot read (${(e as NodeJS.ErrnoException).code ?? String(e)})`);
        }
        let pos = 0;
        for (;;) {
          let n: number;
          try {
            n = nodeFs.readSync(fd, chunk, 0, chunk.length, pos);
          } catch (e) {
            // A directory (EISDIR) or an I/O error: the file is reported like a missing one.
            throw new ScanError('ERR_FILE', `${file}: cannot read (${(e as NodeJS.ErrnoException).code ?? String(e)})`);
          }
          if (n === 0) break;
          pos += n;
          reader ??= sniffScanFile(chunk.subarray(0, n)) === 'text' ? new TextScanReader(file) : binaryReader();
          reader.push(chunk.subarray(0, n), onRecord);
          // One store batch per chunk, committed before the next chunk is read (PostgreSQL's
          // queue never grows past one chunk).
          writePending();
          for (const s of stores) await s.store.settle();
          if (stop) break;
          // Let signals and other events in between chunks.
          await new Promise<void>((res) => setImmediate(res));
        }
        if (!stop) (reader ?? binaryReader()).end(onRecord);
      } catch (e) {
        if (!(e instanceof ScanError)) throw e;
        stderr(`[-] ${e.message}\n`);
        rc = 1;
      } finally {
        if (fd !== undefined) nodeFs.closeSync(fd);
      }
      // The records read before the end of the file (or before its damage).
      writePending();
      if (suspect > 0) {
        stderr(numbering === 'head'
          ? `[-] ${file}: ${suspect} banner(s) with app id 16 are not certificates: the file may come from masscan 1.3.2 (try --readscan-numbering 1.3.2)\n`
          : `[-] ${file}: ${suspect} banner(s) with app ids unknown to masscan 1.3.2: the file may come from a newer masscan (try --readscan-numbering head)\n`);
      }
    }
  } finally {
    if (handle) {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    }
    out?.closeAll();
    for (const s of stores) {
      try {
        await s.store.endScan(s.row.id, stop ? 'failed' : 'done');
      } catch (e) {
        stderr(`[-] ${e instanceof Error ? e.message : String(e)}\n`);
        rc = 1;
      }
      await s.store.close().catch((e: unknown) => {
        stderr(`[-] ${e instanceof Error ? e.message : String(e)}\n`);
        rc = 1;
      });
    }
  }
  for (const e of out?.errors ?? []) {
    stderr(`[-] ${e.message}\n`);
    rc = 1;
  }
  opts.onDone?.({ files, records, written, duplicates });
  if (stop) rc = rc === 0 ? 130 : rc;
  return rc;
}
