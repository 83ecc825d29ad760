/**
 * Result stores: a scan's records into SQLite (`--output-format sqlite`, `-oQ FILE`) or
 * PostgreSQL (`--output-format postgres --output-filename postgres://…`), behind one
 * interface (ResultStore) over one schema (schema.ts).
 *
 * How a scan row is created or resumed
 * ------------------------------------
 * A store holds one `scan` row per run of a scan, or per shard of a sharded scan. A row is
 * found by its key (ScanKey): the seed, the shard (index 1-based as in `--shards 1/4`, and
 * count), and `configHash` (scanKey() below: a SHA-256 over what fixes the scan's index space:
 * targets, ports, seed, blackrock rounds, retries and the shard count; NOT the rate, the shard
 * index or the resume index, so a retried or slower pod of the same shard finds its row).
 *
 *   const store = await openStore('postgres', 'postgres://u@host/db');
 *   const info = scanInfoFrom(config, { version, commandLine, unixMs: Date.now() });
 *   const row = await store.claimScan(info);   // find-or-create, see below
 *   if (row.status === 'done') { ...nothing left to do... }
 *   else run the scan with --resume-index row.resumeIndex, records into new StoreSink(store, row)
 *
 * - createScan(info): always a new row (status `running`, resume_index = info.resumeIndex).
 *   The command line does this: every `tidescan … -oQ db` run is a row of its own.
 * - findScan(key): the newest row with that key, or undefined.
 * - claimScan(info): findScan; a row that is not `done` is taken over (status `running`,
 *   attempts + 1) and returned with `resumed: true` and its resume_index, from which the
 *   caller resumes (`--resume-index`); a `done` row is returned as it is (nothing to do); with
 *   no row, createScan. In PostgreSQL the find-and-take runs in one transaction with the row
 *   locked (FOR UPDATE) under an advisory lock on the key, so two pods of one shard cannot
 *   both create or take it.
 * - The command line's way to do all of this: `--store-resume` (store/resume.ts, used by
 *   src/cli/run-scan.ts) claims the one store's row, exits 0 when it is done, else scans
 *   from its resume index (tested with a killed and retried shard in test/lab/store.test.ts;
 *   a throw-away server for such tests: test/lab/postgres.ts startPostgres()).
 *
 * The resume index in the row: StoreSink persists, with each committed batch, the engine's
 * resume index (a safe lower bound of the probes done) as it was `lagMs` earlier (default:
 * --wait, at most 10 s), so replies to the probes below it had time to arrive and be
 * committed. A SIGKILL then loses nothing below the stored index; a resume repeats at most
 * `lagMs` of probes (their rows are upserts: nothing is doubled in port_result; banners of
 * those probes may appear twice). After a graceful stop (`paused`) the exact index is stored.
 *
 * Consistency: records go in batches, each one transaction together with the scan row's
 * progress (resume index and counts). SQLite runs in WAL mode with synchronous=NORMAL: a killed
 * process leaves every committed batch and nothing of the next. PostgreSQL: the same per
 * transaction.
 *
 * Sync writes, async commits: RecordSink.write is synchronous. SQLite commits synchronously
 * (a batch when BATCH records are pending, and on every flush(), which the engine calls about
 * five times a second). PostgreSQL queues each batch and commits the batches one after the
 * other, in order; settle() resolves when every queued batch is committed and rejects with
 * the first failure, which write() also throws from then on (failing the scan). The queue is
 * not bounded during a scan (found ports come far slower than a local server commits, about
 * 50 k records/s: bench/sinks.ts); --readscan settles after each 1 MiB chunk of input.
 */
import { createHash } from 'node:crypto';
import { ScanError } from '../../error.js';
import { ipv4ToString, ipv6ToString } from '../../core/address.js';
import type { ScanConfig } from '../../core/config.js';
import type { BannerRecord, ScanRecord, ServiceRecord } from '../../core/record.js';
import { formatPortsForEcho } from '../../target/ports.js';
import { clipInput } from '../../target/parse.js';
import type { ScanStatus } from './schema.js';

export type { ScanStatus } from './schema.js';

export type StoreKind = 'sqlite' | 'postgres';
export const STORE_KINDS: readonly StoreKind[] = ['sqlite', 'postgres'];

export function isStoreKind(format: string): format is StoreKind {
  return (STORE_KINDS as readonly string[]).includes(format);
}

/**
 * The outputs that are not stores (files and stdout, for OutputSet), or undefined when stores
 * were asked for and nothing else: then nothing goes to stdout, unless --interactive.
 */
export function fileOutputs<O extends { readonly format: string }>(outputs: readonly O[], interactive: boolean): O[] | undefined {
  const files = outputs.filter((o) => !isStoreKind(o.format));
  return files.length > 0 || outputs.length === 0 || interactive ? files : undefined;
}

export type JsonValue = string | number | boolean | null | readonly JsonValue[] | { readonly [k: string]: JsonValue };

/** What a shard's row is found by. */
export interface ScanKey {
  readonly seed: bigint;
  /** 1-based, as `--shards 2/4`. */
  readonly shardIndex: number;
  readonly shardCount: number;
  /** scanKey(): SHA-256 hex over what fixes the index space. */
  readonly configHash: string;
}

/** A scan row's fixed fields. */
export interface ScanInfo extends ScanKey {
  readonly version: string;
  readonly commandLine: string;
  readonly rate: number;
  /** The echo form of the ports (`80,443,U:53`). */
  readonly ports: string;
  readonly config: { readonly [k: string]: JsonValue };
  /** Unix milliseconds. */
  readonly startedAt: number;
  /** The index this run starts from (--resume-index). */
  readonly resumeIndex: number;
}

export interface ScanRow {
  readonly id: number;
  readonly status: ScanStatus;
  /** Where a resumed run starts (--resume-index). */
  readonly resumeIndex: number;
  /** Runs of this row (1 for a new one). */
  readonly attempts: number;
  /** True when claimScan took over an existing row that was not done. */
  readonly resumed: boolean;
}

/** Progress stored with the next committed batch. */
export interface ScanProgressUpdate {
  readonly resumeIndex: number;
  readonly sent: number;
  readonly replies: number;
  readonly found: number;
}

/** One store (one database); every method of a closed store throws. */
export interface ResultStore {
  readonly kind: StoreKind;
  /** The file, or the URL without its password: for messages. */
  readonly where: string;
  createScan(info: ScanInfo): Promise<ScanRow>;
  findScan(key: ScanKey): Promise<ScanRow | undefined>;
  claimScan(info: ScanInfo): Promise<ScanRow>;
  /** Queues records of scan `scanId` (synchronous; throws the store's first failure). */
  write(scanId: number, records: readonly ScanRecord[]): void;
  /** Progress of `scanId`, stored with the next batch (even an empty one, at the next flush). */
  progress(scanId: number, p: ScanProgressUpdate): void;
  /** Ends the current batch: SQLite commits it now, PostgreSQL queues it. */
  flush(): void;
  /** Resolves when everything flushed so far is committed; rejects with the first failure. */
  settle(): Promise<void>;
  /** Flushes, then sets the row's status, ended_at, resume index, counts. */
  endScan(scanId: number, status: ScanStatus, p?: ScanProgressUpdate): Promise<void>;
  /** Settles and closes; idempotent. */
  close(): Promise<void>;
}

export interface StoreOptions {
  /** Records per batch before a commit without waiting for flush() (default 10000). */
  readonly batch?: number;
}

/**
 * Opens (and creates the schema of) a store: `target` is a file for sqlite, a
 * `postgres://` / `postgresql://` URL for postgres. One-line ScanError on failure.
 */
export async function openStore(kind: StoreKind, target: string, opts: StoreOptions = {}): Promise<ResultStore> {
  if (kind === 'sqlite') {
    const m: typeof import('./sqlite.js') = await import('./sqlite.js');
    return m.openSqliteStore(target, opts);
  }
  const m: typeof import('./postgres.js') = await import('./postgres.js');
  return m.openPostgresStore(target, opts);
}

/** The parts of ScanConfig a scan row is made from. */
export type ScanInfoConfig = Pick<ScanConfig,
  'targets4' | 'targets6' | 'ports' | 'seed' | 'blackrockRounds' | 'shard' | 'retries' | 'rate' | 'resumeIndex' |
  'resumeCount' | 'banners' | 'wait' | 'infinite' | 'ttl'>;

function rangesJson(c: ScanInfoConfig): { targets4: string[]; targets6: string[] } {
  return {
    targets4: c.targets4.map((r) => r.begin === r.end ? ipv4ToString(r.begin) : `${ipv4ToString(r.begin)}-${ipv4ToString(r.end)}`),
    targets6: c.targets6.map((r) => r.begin === r.end ? ipv6ToString(r.begin) : `${ipv6ToString(r.begin)}-${ipv6ToString(r.end)}`),
  };
}

/**
 * The key hash of a scan's shard: SHA-256 hex of the canonical JSON of targets, ports, seed,
 * blackrock rounds, retries, the shard count and --infinite: the scan's index space. Every pod
 * of one sharded scan (whatever its rate) computes the same hash.
 */
export function scanKey(c: ScanInfoConfig): string {
  const { targets4, targets6 } = rangesJson(c);
  const canon = JSON.stringify({
    targets4, targets6, ports: formatPortsForEcho(c.ports), seed: c.seed.toString(),
    rounds: c.blackrockRounds, retries: c.retries, shards: c.shard.of, infinite: c.infinite,
  });
  return createHash('sha256').update(canon).digest('hex');
}

/** A scan row's fields from a config. */
export function scanInfoFrom(c: ScanInfoConfig, run: { readonly version: string; readonly commandLine: string; readonly unixMs: number }): ScanInfo {
  const ports = formatPortsForEcho(c.ports);
  const { targets4, targets6 } = rangesJson(c);
  return {
    seed: c.seed,
    shardIndex: c.shard.one,
    shardCount: c.shard.of,
    configHash: scanKey(c),
    version: run.version,
    commandLine: run.commandLine,
    rate: c.rate,
    ports,
    config: {
      targets4, targets6, ports, seed: c.seed.toString(), rounds: c.blackrockRounds,
      shard: { index: c.shard.one, count: c.shard.of }, retries: c.retries, rate: c.rate,
      resumeIndex: c.resumeIndex, resumeCount: c.resumeCount, banners: c.banners,
      wait: Number.isFinite(c.wait) ? c.wait : 'forever', infinite: c.infinite, ttl: c.ttl,
    },
    startedAt: run.unixMs,
    resumeIndex: c.resumeIndex,
  };
}

/** A scan row for a --readscan load (no probes: seed 0, shard 1/1). */
export function readscanInfo(files: readonly string[], run: { readonly version: string; readonly commandLine: string; readonly unixMs: number }): ScanInfo {
  const config = { readscan: files.slice() };
  return {
    seed: 0n, shardIndex: 1, shardCount: 1,
    configHash: createHash('sha256').update(JSON.stringify(config)).digest('hex'),
    version: run.version, commandLine: run.commandLine, rate: 0, ports: '', config,
    startedAt: run.unixMs, resumeIndex: 0,
  };
}

/**
 * A store as a scan's record sink (the shape of engine/sink.ts's RecordSink, which output/
 * may not import): write/flush go to the store; progress()/paused() are fed from the scan's
 * events; close() awaits the last commit (the records are then consistent); finish() sets the
 * row's final status and closes the store.
 */
export class StoreSink {
  private readonly samples: { atMs: number; p: ScanProgressUpdate }[] = [];
  private last: ScanProgressUpdate | undefined;
  private pausedAt: number | undefined;
  private finished = false;

  /**
   * `lagMs`: how old a progress sample must be before its resume index is stored (replies to
   * the probes below it had that long to come back). `nowMs`: a monotonic clock.
   */
  constructor(
    readonly store: ResultStore,
    readonly row: ScanRow,
    private readonly lagMs = 10_000,
    private readonly nowMs: () => number = () => performance.now(),
  ) {}

  write(records: readonly ScanRecord[]): void {
    this.store.write(this.row.id, records);
  }

  flush(): void {
    this.store.flush();
  }

  /** One progress sample of the scan (about once a second). */
  progress(p: ScanProgressUpdate): void {
    const now = this.nowMs();
    this.last = p;
    this.samples.push({ atMs: now, p });
    let pick: ScanProgressUpdate | undefined;
    while (this.samples.length > 0 && now - this.samples[0]!.atMs >= this.lagMs) pick = this.samples.shift()!.p;
    if (pick !== undefined) this.store.progress(this.row.id, { ...p, resumeIndex: Math.max(this.row.resumeIndex, pick.resumeIndex) });
  }

  /** The scan stopped gracefully at this exact index. */
  paused(resumeIndex: number): void {
    this.pausedAt = resumeIndex;
  }

  /** Awaits the commit of everything written (the engine awaits this at the end of a scan). */
  async close(): Promise<void> {
    this.store.flush();
    await this.store.settle();
  }

  /**
   * The row's end: `paused` (with the exact index) after a graceful stop, else `done` when
   * the scan ended normally, `failed` otherwise (its resume index stays the last stored one).
   * Then the store is closed. Idempotent.
   */
  async finish(ok: boolean): Promise<void> {
    if (this.finished) return;
    this.finished = true;
    try {
      const last = this.last ?? { resumeIndex: this.row.resumeIndex, sent: 0, replies: 0, found: 0 };
      if (this.pausedAt !== undefined) await this.store.endScan(this.row.id, 'paused', { ...last, resumeIndex: this.pausedAt });
      else if (ok) await this.store.endScan(this.row.id, 'done', last);
      else await this.store.endScan(this.row.id, 'failed');
    } finally {
      await this.store.close();
    }
  }
}

/** The scan columns a store reads back (`RETURNING id, status, resume_index, attempts`); pg returns BIGINTs as strings. */
export interface ScanRowData {
  readonly id: number | string;
  readonly status: ScanStatus;
  readonly resume_index: number | string;
  readonly attempts: number;
}

/** A scan row as the stores return it. */
export function scanRowOf(r: ScanRowData, resumed: boolean): ScanRow {
  return { id: Number(r.id), status: r.status, resumeIndex: Number(r.resume_index), attempts: r.attempts, resumed };
}

/** A one-line store error naming the store. */
export function storeError(where: string, what: string, e: unknown): ScanError {
  const why = e instanceof Error ? e.message : String(e);
  return new ScanError('ERR_FILE', `${clipInput(where)}: ${what}: ${clipInput(why, 200)}`);
}

/**
 * A banner row of a banner or service record. A service record (identification on any port:
 * the service a port speaks, found in `handshakes` connections) is a row with that service,
 * no raw bytes, and fields `{"identified": "<handshakes>"}`, so `SELECT service FROM banner`
 * names every identified port.
 */
export function bannerRow(r: BannerRecord | ServiceRecord): { readonly raw: Uint8Array; readonly fields: string | null } {
  if (r.kind === 'service') return { raw: new Uint8Array(0), fields: JSON.stringify({ identified: String(r.handshakes) }) };
  return { raw: r.banner, fields: r.fields === undefined ? null : JSON.stringify(r.fields) };
}
