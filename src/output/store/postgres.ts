/**
 * The PostgreSQL result store (store.ts has the interface and how scan rows are made;
 * schema.ts the tables), over `pg`. One connection; each batch is one transaction of two
 * statements over unnest()ed arrays (port_result upserted with ON CONFLICT, banners
 * inserted) plus the scan row's progress. Batches are queued by the synchronous write()/
 * flush() and committed one after the other in order; settle() awaits the queue.
 */
import pg from 'pg';
import { ScanError } from '../../error.js';
import { ipv4ToString } from '../../core/address.js';
import { clipInput } from '../../target/parse.js';
import type { IpAddress, ScanRecord } from '../../core/record.js';
import { protoName, reasonString } from '../format.js';
import { POSTGRES_SCHEMA, SCHEMA_VERSION, type ScanStatus } from './schema.js';
import { bannerRow, scanRowOf, storeError, type ResultStore, type ScanRowData, type ScanInfo, type ScanKey, type ScanProgressUpdate, type ScanRow, type StoreOptions } from './store.js';

/** An advisory lock id for schema creation (any constant; "tidescan" in ASCII). */
const SCHEMA_LOCK = '7596472474411623790';

/** The URL without its password, for messages (clipped to the usual quote length). */
export function redactUrl(url: string): string {
  return clipInput(url.replace(/^([a-z]+:\/\/[^:/@?#]*):[^@/?#]*@/i, '$1:***@'));
}

/** Full 8-group IPv6 text (any form parses in PostgreSQL; this one is cheap). */
function ipText(ip: IpAddress): string {
  if (ip.version === 4) return ipv4ToString(ip.v4);
  const h = ip.v6.toString(16).padStart(32, '0');
  return `${h.slice(0, 4)}:${h.slice(4, 8)}:${h.slice(8, 12)}:${h.slice(12, 16)}:${h.slice(16, 20)}:${h.slice(20, 24)}:${h.slice(24, 28)}:${h.slice(28, 32)}`;
}

export async function openPostgresStore(url: string, opts: StoreOptions = {}): Promise<PostgresStore> {
  const where = redactUrl(url);
  if (!/^postgres(ql)?:\/\//i.test(url)) {
    throw new ScanError('ERR_BAD_OPTION', `${where}: expected a postgres:// or postgresql:// URL`);
  }
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 15_000 });
  // An error on an idle connection (server gone) must not crash the process: it is kept and
  // reported by the next operation.
  let idleError: Error | undefined;
  client.on('error', (e) => { idleError = e; });
  try {
    await client.connect();
  } catch (e) {
    await client.end().catch(() => undefined);
    throw storeError(where, 'cannot connect to PostgreSQL', e);
  }
  try {
    await client.query('BEGIN');
    await client.query(`SELECT pg_advisory_xact_lock(${SCHEMA_LOCK})`);
    await client.query(POSTGRES_SCHEMA);
    const v = await client.query<{ value: string }>("SELECT value FROM tidescan_meta WHERE key = 'schema_version'");
    if (v.rows.length === 0) await client.query("INSERT INTO tidescan_meta (key, value) VALUES ('schema_version', $1)", [String(SCHEMA_VERSION)]);
    else if (v.rows[0]!.value !== String(SCHEMA_VERSION)) throw new Error(`schema version ${v.rows[0]!.value}, this tidescan writes ${SCHEMA_VERSION}`);
    await client.query('COMMIT');
  } catch (e) {
    await client.query('ROLLBACK').catch(() => undefined);
    await client.end().catch(() => undefined);
    throw storeError(where, 'cannot set up the tidescan schema', e);
  }
  const store = new PostgresStore(client, where, opts.batch ?? 10_000);
  store.idle = () => idleError;
  return store;
}

/** One batch as columns. Ports are merged by key (ON CONFLICT may touch a row once per statement). */
class Batch {
  readonly ports = new Map<string, { scanId: number; addr: string; proto: string; port: number; status: string; reason: string; ttl: number; mac: string | null; first: number; last: number }>();
  readonly banners: { scanId: number; addr: string; proto: string; port: number; service: string; ttl: number; raw: Buffer; fields: string | null; seen: number }[] = [];
  readonly progress = new Map<number, ScanProgressUpdate>();
  size = 0;

  add(scanId: number, r: ScanRecord): void {
    this.size++;
    const addr = ipText(r.ip);
    const proto = protoName(r.ipProto);
    if (r.kind !== 'status') {
      const b = bannerRow(r);
      this.banners.push({
        scanId, addr, proto, port: r.port, service: r.service, ttl: r.ttl,
        raw: Buffer.from(b.raw.buffer, b.raw.byteOffset, b.raw.byteLength), fields: b.fields, seen: r.timestamp,
      });
      return;
    }
    const key = `${scanId}|${addr}|${proto}|${r.port}`;
    const old = this.ports.get(key);
    if (old === undefined) {
      this.ports.set(key, {
        scanId, addr, proto, port: r.port, status: r.status, reason: reasonString(r.reason), ttl: r.ttl,
        mac: r.mac ?? null, first: r.timestamp, last: r.timestamp,
      });
    } else {
      old.status = r.status;
      old.reason = reasonString(r.reason);
      old.ttl = r.ttl;
      if (r.mac !== undefined) old.mac = r.mac;
      old.first = Math.min(old.first, r.timestamp);
      old.last = Math.max(old.last, r.timestamp);
    }
  }
}

const INSERT_PORTS = `INSERT INTO port_result (scan_id, addr, proto, port, status, reason, ttl, mac, first_seen, last_seen)
  SELECT s, a, p, n, st, re, t, m, to_timestamp(f), to_timestamp(l)
  FROM unnest($1::bigint[], $2::inet[], $3::text[], $4::int[], $5::text[], $6::text[], $7::smallint[], $8::macaddr[],
    $9::float8[], $10::float8[]) AS u(s, a, p, n, st, re, t, m, f, l)
  ON CONFLICT (scan_id, addr, proto, port) DO UPDATE SET status = EXCLUDED.status, reason = EXCLUDED.reason,
    ttl = EXCLUDED.ttl, mac = COALESCE(EXCLUDED.mac, port_result.mac),
    first_seen = LEAST(port_result.first_seen, EXCLUDED.first_seen),
    last_seen = GREATEST(port_result.last_seen, EXCLUDED.last_seen)`;

const INSERT_BANNERS = `INSERT INTO banner (scan_id, addr, proto, port, service, ttl, raw, fields, seen)
  SELECT s, a, p, n, sv, t, r, f::jsonb, to_timestamp(w)
  FROM unnest($1::bigint[], $2::inet[], $3::text[], $4::int[], $5::text[], $6::smallint[], $7::bytea[], $8::text[],
    $9::float8[]) AS u(s, a, p, n, sv, t, r, f, w)`;

const UPDATE_PROGRESS = 'UPDATE scan SET resume_index = $1, sent = $2, replies = $3, found = $4 WHERE id = $5';

export class PostgresStore implements ResultStore {
  readonly kind = 'postgres' as const;
  private current = new Batch();
  private chain: Promise<void> = Promise.resolve();
  private failure: ScanError | undefined;
  private closed = false;
  /** Batches queued and not yet committed. */
  queued = 0;
  /** The error of an idle connection, if one came. */
  idle: () => Error | undefined = () => undefined;

  constructor(readonly client: pg.Client, readonly where: string, private readonly batch: number) {}

  private check(): void {
    if (this.closed) throw new ScanError('ERR_INTERNAL', `${this.where}: store used after close`);
    if (this.failure !== undefined) throw this.failure;
    const idle = this.idle();
    if (idle !== undefined) throw (this.failure = storeError(this.where, 'connection lost', idle));
  }

  /** Runs `fn` after every queued batch (so rows and batches keep their order). */
  private queue<T>(fn: () => Promise<T>): Promise<T> {
    const p = this.chain.then(fn);
    this.chain = p.then(() => undefined, () => undefined);
    return p;
  }

  private async tx<T>(fn: () => Promise<T>): Promise<T> {
    await this.client.query('BEGIN');
    try {
      const r = await fn();
      await this.client.query('COMMIT');
      return r;
    } catch (e) {
      await this.client.query('ROLLBACK').catch(() => undefined);
      throw e;
    }
  }

  private async insertScan(info: ScanInfo): Promise<ScanRowData> {
    const r = await this.client.query<ScanRowData>(`INSERT INTO scan (version, command_line, seed, shard_index, shard_count, rate, ports,
      config, config_hash, started_at, status, resume_index)
      VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, to_timestamp($10), 'running', $11)
      RETURNING id, status, resume_index, attempts`, [
      info.version, info.commandLine, info.seed.toString(), info.shardIndex, info.shardCount, info.rate, info.ports,
      JSON.stringify(info.config), info.configHash, info.startedAt / 1000, info.resumeIndex]);
    return r.rows[0]!;
  }

  private async find(key: ScanKey, lock: boolean): Promise<ScanRowData | undefined> {
    const r = await this.client.query<ScanRowData>(`SELECT id, status, resume_index, attempts FROM scan
      WHERE seed = $1 AND shard_index = $2 AND shard_count = $3 AND config_hash = $4 ORDER BY id DESC LIMIT 1
      ${lock ? 'FOR UPDATE' : ''}`, [key.seed.toString(), key.shardIndex, key.shardCount, key.configHash]);
    return r.rows[0];
  }

  createScan(info: ScanInfo): Promise<ScanRow> {
    this.check();
    return this.queue(async () => scanRowOf(await this.insertScan(info), false))
      .catch((e: unknown) => { throw storeError(this.where, 'cannot create the scan row', e); });
  }

  findScan(key: ScanKey): Promise<ScanRow | undefined> {
    this.check();
    return this.queue(async () => {
      const r = await this.find(key, false);
      return r === undefined ? undefined : scanRowOf(r, false);
    }).catch((e: unknown) => { throw storeError(this.where, 'cannot read the scan rows', e); });
  }

  claimScan(info: ScanInfo): Promise<ScanRow> {
    this.check();
    return this.queue(() => this.tx(async () => {
      // One claimant per key at a time: the lock covers "no row yet" too, which FOR UPDATE cannot.
      await this.client.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 0))',
        [`${info.seed}|${info.shardIndex}|${info.shardCount}|${info.configHash}`]);
      const r = await this.find(info, true);
      if (r === undefined) return scanRowOf(await this.insertScan(info), false);
      if (r.status === 'done') return scanRowOf(r, false);
      const u = await this.client.query<ScanRowData>(`UPDATE scan SET status = 'running', attempts = attempts + 1, ended_at = NULL,
        rate = $1, command_line = $2 WHERE id = $3 RETURNING id, status, resume_index, attempts`, [info.rate, info.commandLine, r.id]);
      return scanRowOf(u.rows[0]!, true);
    })).catch((e: unknown) => { throw storeError(this.where, 'cannot claim the scan row', e); });
  }

  write(scanId: number, records: readonly ScanRecord[]): void {
    this.check();
    const b = this.current;
    for (let i = 0; i < records.length; i++) b.add(scanId, records[i]!);
    if (b.size >= this.batch) this.flush();
  }

  progress(scanId: number, p: ScanProgressUpdate): void {
    this.check();
    this.current.progress.set(scanId, p);
  }

  private async commit(b: Batch): Promise<void> {
    await this.tx(async () => {
      if (b.ports.size > 0) {
        const s: number[] = [], a: string[] = [], p: string[] = [], n: number[] = [], st: string[] = [], re: string[] = [];
        const t: number[] = [], m: (string | null)[] = [], f: number[] = [], l: number[] = [];
        for (const x of b.ports.values()) {
          s.push(x.scanId); a.push(x.addr); p.push(x.proto); n.push(x.port); st.push(x.status); re.push(x.reason);
          t.push(x.ttl); m.push(x.mac); f.push(x.first); l.push(x.last);
        }
        await this.client.query(INSERT_PORTS, [s, a, p, n, st, re, t, m, f, l]);
      }
      if (b.banners.length > 0) {
        const bs = b.banners;
        await this.client.query(INSERT_BANNERS, [
          bs.map((x) => x.scanId), bs.map((x) => x.addr), bs.map((x) => x.proto), bs.map((x) => x.port),
          bs.map((x) => x.service), bs.map((x) => x.ttl), bs.map((x) => x.raw), bs.map((x) => x.fields), bs.map((x) => x.seen),
        ]);
      }
      for (const [id, q] of b.progress) await this.client.query(UPDATE_PROGRESS, [q.resumeIndex, q.sent, q.replies, q.found, id]);
    });
  }

  flush(): void {
    if (this.closed || this.failure !== undefined) return;
    const b = this.current;
    if (b.size === 0 && b.progress.size === 0) return;
    this.current = new Batch();
    this.queued++;
    void this.queue(async () => {
      if (this.failure !== undefined) return;
      try {
        await this.commit(b);
      } catch (e) {
        this.failure ??= storeError(this.where, 'cannot commit a batch', e);
      } finally {
        this.queued--;
      }
    });
  }

  async settle(): Promise<void> {
    this.flush();
    await this.chain;
    if (this.failure !== undefined) throw this.failure;
  }

  async endScan(scanId: number, status: ScanStatus, p?: ScanProgressUpdate): Promise<void> {
    this.check();
    await this.settle();
    try {
      await this.queue(() => this.tx(async () => {
        if (p !== undefined) await this.client.query(UPDATE_PROGRESS, [p.resumeIndex, p.sent, p.replies, p.found, scanId]);
        await this.client.query(`UPDATE scan SET status = $1, ended_at = now(),
          port_results = (SELECT count(*) FROM port_result WHERE scan_id = $2),
          banners = (SELECT count(*) FROM banner WHERE scan_id = $2) WHERE id = $2`, [status, scanId]);
      }));
    } catch (e) {
      throw storeError(this.where, 'cannot end the scan row', e);
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    try {
      await this.settle();
    } finally {
      this.closed = true;
      await this.client.end().catch(() => undefined);
    }
  }
}
