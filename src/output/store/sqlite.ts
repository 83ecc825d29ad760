/**
 * The SQLite result store (store.ts has the interface and how scan rows are made; schema.ts
 * the tables). better-sqlite3 is an optional dependency, imported only when a store is opened,
 * with one line when it is missing. WAL, synchronous=NORMAL, one transaction per batch.
 */
import type BetterSqlite3 from 'better-sqlite3';
import { ScanError } from '../../error.js';
import type { ScanRecord } from '../../core/record.js';
import { protoName, reasonString } from '../format.js';
import { addrBlob, SCHEMA_VERSION, SQLITE_SCHEMA, type ScanStatus } from './schema.js';
import { bannerRow, scanRowOf, storeError, type ResultStore, type ScanRowData, type ScanInfo, type ScanKey, type ScanProgressUpdate, type ScanRow, type StoreOptions } from './store.js';

type Database = BetterSqlite3.Database;
type DatabaseCtor = typeof BetterSqlite3;

export const MISSING_SQLITE = 'sqlite output needs the optional package better-sqlite3 (npm install better-sqlite3)';

async function loadDriver(): Promise<DatabaseCtor> {
  try {
    const m = await import('better-sqlite3');
    return m.default;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new ScanError('ERR_FILE', `${MISSING_SQLITE}${code !== undefined ? ` (${code})` : ''}`);
  }
}

export async function openSqliteStore(file: string, opts: StoreOptions = {}, driver?: DatabaseCtor): Promise<SqliteStore> {
  const Db = driver ?? await loadDriver();
  let db: Database;
  try {
    db = new Db(file);
  } catch (e) {
    throw storeError(file, 'cannot open SQLite database', e);
  }
  try {
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.pragma('foreign_keys = ON');
    db.pragma('busy_timeout = 5000');
    db.exec(SQLITE_SCHEMA);
    const v = db.prepare("SELECT value FROM tidescan_meta WHERE key = 'schema_version'").get() as { value: string } | undefined;
    if (v === undefined) db.prepare("INSERT INTO tidescan_meta (key, value) VALUES ('schema_version', ?)").run(String(SCHEMA_VERSION));
    else if (v.value !== String(SCHEMA_VERSION)) throw new Error(`schema version ${v.value}, this tidescan writes ${SCHEMA_VERSION}`);
  } catch (e) {
    db.close();
    throw storeError(file, 'not a tidescan SQLite store', e);
  }
  return new SqliteStore(db, file, opts.batch ?? 10_000);
}

export class SqliteStore implements ResultStore {
  readonly kind = 'sqlite' as const;
  private pending: { scanId: number; r: ScanRecord }[] = [];
  private readonly progressOf = new Map<number, ScanProgressUpdate>();
  private closed = false;
  private readonly addr = new Uint8Array(16);
  private readonly insPort: BetterSqlite3.Statement;
  private readonly insBanner: BetterSqlite3.Statement;
  private readonly updProgress: BetterSqlite3.Statement;
  private readonly commitTx: () => void;

  constructor(readonly db: Database, readonly where: string, private readonly batch: number) {
    this.insPort = db.prepare(`INSERT INTO port_result (scan_id, addr, proto, port, status, reason, ttl, mac, first_seen, last_seen)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
      ON CONFLICT (scan_id, addr, proto, port) DO UPDATE SET status = excluded.status, reason = excluded.reason,
        ttl = excluded.ttl, mac = coalesce(excluded.mac, port_result.mac),
        first_seen = min(port_result.first_seen, excluded.first_seen), last_seen = max(port_result.last_seen, excluded.last_seen)`);
    this.insBanner = db.prepare(`INSERT INTO banner (scan_id, addr, proto, port, service, ttl, raw, fields, seen)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`);
    this.updProgress = db.prepare('UPDATE scan SET resume_index = ?, sent = ?, replies = ?, found = ? WHERE id = ?');
    this.commitTx = db.transaction(() => this.writePending());
  }

  private check(): void {
    if (this.closed) throw new ScanError('ERR_INTERNAL', `${this.where}: store used after close`);
  }

  private insertScan(info: ScanInfo): ScanRowData {
    const r = this.db.prepare(`INSERT INTO scan (version, command_line, seed, shard_index, shard_count, rate, ports, config,
      config_hash, started_at, status, resume_index) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'running', ?)
      RETURNING id, status, resume_index, attempts`).get(
      info.version, info.commandLine, info.seed.toString(), info.shardIndex, info.shardCount, info.rate, info.ports,
      JSON.stringify(info.config), info.configHash, Math.floor(info.startedAt / 1000), info.resumeIndex) as ScanRowData;
    return r;
  }

  private find(key: ScanKey): ScanRowData | undefined {
    return this.db.prepare(`SELECT id, status, resume_index, attempts FROM scan
      WHERE seed = ? AND shard_index = ? AND shard_count = ? AND config_hash = ? ORDER BY id DESC LIMIT 1`).get(
      key.seed.toString(), key.shardIndex, key.shardCount, key.configHash) as ScanRowData | undefined;
  }

  createScan(info: ScanInfo): Promise<ScanRow> {
    this.check();
    try {
      return Promise.resolve(scanRowOf(this.insertScan(info), false));
    } catch (e) {
      return Promise.reject(storeError(this.where, 'cannot create the scan row', e));
    }
  }

  findScan(key: ScanKey): Promise<ScanRow | undefined> {
    this.check();
    const r = this.find(key);
    return Promise.resolve(r === undefined ? undefined : scanRowOf(r, false));
  }

  claimScan(info: ScanInfo): Promise<ScanRow> {
    this.check();
    try {
      const row = this.db.transaction((): ScanRow => {
        const r = this.find(info);
        if (r === undefined) return scanRowOf(this.insertScan(info), false);
        if (r.status === 'done') return scanRowOf(r, false);
        const u = this.db.prepare(`UPDATE scan SET status = 'running', attempts = attempts + 1, ended_at = NULL, rate = ?,
          command_line = ? WHERE id = ? RETURNING id, status, resume_index, attempts`).get(info.rate, info.commandLine, r.id) as ScanRowData;
        return scanRowOf(u, true);
      }).immediate();
      return Promise.resolve(row);
    } catch (e) {
      return Promise.reject(storeError(this.where, 'cannot claim the scan row', e));
    }
  }

  write(scanId: number, records: readonly ScanRecord[]): void {
    this.check();
    for (let i = 0; i < records.length; i++) this.pending.push({ scanId, r: records[i]! });
    if (this.pending.length >= this.batch) this.flush();
  }

  progress(scanId: number, p: ScanProgressUpdate): void {
    this.check();
    this.progressOf.set(scanId, p);
  }

  private writePending(): void {
    const a = this.addr;
    for (const { scanId, r } of this.pending) {
      addrBlob(r.ip, a);
      if (r.kind === 'status') {
        this.insPort.run(scanId, a, protoName(r.ipProto), r.port, r.status, reasonString(r.reason), r.ttl, r.mac ?? null,
          r.timestamp, r.timestamp);
      } else {
        const b = bannerRow(r);
        this.insBanner.run(scanId, a, protoName(r.ipProto), r.port, r.service, r.ttl, b.raw, b.fields, r.timestamp);
      }
    }
    for (const [id, p] of this.progressOf) this.updProgress.run(p.resumeIndex, p.sent, p.replies, p.found, id);
  }

  flush(): void {
    if (this.closed || (this.pending.length === 0 && this.progressOf.size === 0)) return;
    try {
      this.commitTx();
    } catch (e) {
      throw storeError(this.where, 'cannot commit a batch', e);
    } finally {
      this.pending = [];
      this.progressOf.clear();
    }
  }

  settle(): Promise<void> {
    try {
      this.flush();
      return Promise.resolve();
    } catch (e) {
      return Promise.reject(e as Error);
    }
  }

  endScan(scanId: number, status: ScanStatus, p?: ScanProgressUpdate): Promise<void> {
    this.check();
    try {
      this.flush();
      this.db.transaction(() => {
        if (p !== undefined) this.updProgress.run(p.resumeIndex, p.sent, p.replies, p.found, scanId);
        this.db.prepare(`UPDATE scan SET status = ?, ended_at = ?,
          port_results = (SELECT count(*) FROM port_result WHERE scan_id = ?),
          banners = (SELECT count(*) FROM banner WHERE scan_id = ?) WHERE id = ?`).run(
          status, Math.floor(Date.now() / 1000), scanId, scanId, scanId);
      })();
      return Promise.resolve();
    } catch (e) {
      return Promise.reject(storeError(this.where, 'cannot end the scan row', e));
    }
  }

  close(): Promise<void> {
    if (this.closed) return Promise.resolve();
    try {
      this.flush();
    } catch (e) {
      this.closed = true;
      this.db.close();
      return Promise.reject(e as Error);
    }
    this.closed = true;
    this.db.close();
    return Promise.resolve();
  }
}
