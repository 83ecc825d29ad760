/**
 * The result stores against real servers: the store contract (test/output/store-contract.ts)
 * on a throw-away PostgreSQL (postgres.ts); --readscan into PostgreSQL and SQLite; a lab scan
 * into both; and a SIGKILL mid-scan: both databases stay consistent up to their last committed
 * batch (integrity, whole rows, the progress of the scan row), and a second run from the
 * stored resume index completes the scan (the union in port_latest is exactly the full scan).
 * Needs root (namespaces; the server runs as the postgres user): fails, never skips, without.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import { createLab, requireRoot, type Lab, type LabProcess } from './lab.js';
import { startPostgres, type ThrowawayPostgres } from './postgres.js';
import { describeRun, linkArgs, readList, runTidescan, TIDESCAN_BIN, withTempDir } from './harness.js';
import { expectTcp, key, range4, startScenario, TCP_PORTS } from './scenario.js';
import { storeContract, canon, type Reader } from '../output/store-contract.js';
import { everyTypeFile } from '../output/binfile.js';
import { openStore } from '../../src/output/store/store.js';
import { addrText } from '../../src/output/store/schema.js';
import { fileURLToPath } from 'node:url';

const CLAIM_CHILD = fileURLToPath(new URL('./claim-child.js', import.meta.url));

let lab: Lab;
let server: ThrowawayPostgres;
let dbSeq = 0;

before(async () => {
  requireRoot();
  server = await startPostgres();
  lab = await createLab({ prefix: `hs${process.pid}`.slice(0, 9) });
  await startScenario(lab);
});

after(async () => {
  await lab?.destroy();
  await server?.stop();
});

async function client(url: string): Promise<pg.Client> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  return c;
}

/**
 * Poll `ready` (a throw counts as not yet: the tables may not exist) every `everyMs` until it
 * holds, `p` exits or `ms` pass; whether `p` is still running, to be signalled mid-scan.
 */
async function runningWhen(p: LabProcess, ready: () => Promise<boolean> | boolean, ms: number, everyMs: number): Promise<boolean> {
  let exited = false;
  void p.done.then(() => (exited = true));
  const t0 = Date.now();
  while (!exited && Date.now() - t0 < ms) {
    if (await Promise.resolve().then(ready).catch(() => false)) break;
    await new Promise((res) => setTimeout(res, everyMs));
  }
  return !exited;
}

function pgReader(c: pg.Client): Reader {
  const num = (v: unknown): number => Number(v);
  return {
    ports: async (id) => (await c.query(`SELECT host(addr) AS addr, proto, port, status, reason, ttl, mac::text AS mac,
      extract(epoch FROM first_seen)::float8 AS first, extract(epoch FROM last_seen)::float8 AS last FROM port_result WHERE scan_id = $1`, [id]))
      .rows.map((r: Record<string, unknown>) => ({
        addr: canon(r.addr as string), proto: r.proto as string, port: r.port as number, status: r.status as string, reason: r.reason as string,
        ttl: r.ttl as number, mac: r.mac as string | null, first: num(r.first), last: num(r.last),
      })),
    banners: async (id) => (await c.query(`SELECT host(addr) AS addr, proto, port, service, ttl, raw, fields,
      extract(epoch FROM seen)::float8 AS seen FROM banner WHERE scan_id = $1`, [id]))
      .rows.map((r: Record<string, unknown>) => ({
        addr: canon(r.addr as string), proto: r.proto as string, port: r.port as number, service: r.service as string, ttl: r.ttl as number,
        raw: r.raw as Buffer, fields: r.fields ?? null, seen: num(r.seen),
      })),
    scan: async (id) => {
      const r = (await c.query('SELECT * FROM scan WHERE id = $1', [id])).rows[0] as Record<string, unknown>;
      return {
        status: r.status as string, resumeIndex: num(r.resume_index), attempts: r.attempts as number, sent: num(r.sent),
        replies: num(r.replies), found: num(r.found), portResults: num(r.port_results), banners: num(r.banners), seed: r.seed as string,
        shardIndex: r.shard_index as number, shardCount: r.shard_count as number, config: r.config, ended: r.ended_at !== null,
      };
    },
    range: async (lo, hi) => (await c.query('SELECT host(addr) AS a FROM port_result WHERE addr BETWEEN $1::inet AND $2::inet ORDER BY addr', [lo, hi]))
      .rows.map((r: { a: string }) => canon(r.a)),
    latest: async (addr, proto, port) => (await c.query('SELECT scan_id, status FROM port_latest WHERE addr = $1::inet AND proto = $2 AND port = $3', [addr, proto, port]))
      .rows.map((r: { scan_id: string; status: string }) => [Number(r.scan_id), r.status] as [number, string]),
    close: () => c.end(),
  };
}

storeContract('postgres', async () => {
  const url = server.createDatabase(`contract${++dbSeq}`);
  const store = await openStore('postgres', url);
  return { store, reader: pgReader(await client(url)) };
});

test('postgres: a bad URL, an unreachable server and a missing database each fail in one line naming the store', async () => {
  await assert.rejects(openStore('postgres', 'mysql://x@y/z'), /expected a postgres:\/\/ or postgresql:\/\/ URL/);
  await assert.rejects(openStore('postgres', `postgresql://postgres:secret@/nodb?host=${encodeURIComponent(server.dir)}&port=${server.port}`),
    (e: unknown) => e instanceof Error && /cannot connect to PostgreSQL/.test(e.message) && e.message.includes('nodb') &&
      !e.message.includes('secret') && !e.message.includes('\n'));
  const dir = fs.mkdtempSync('/tmp/hs-nosock-');
  try {
    await assert.rejects(openStore('postgres', `postgresql://postgres@/postgres?host=${encodeURIComponent(dir)}&port=1`), /cannot connect to PostgreSQL/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('--readscan: one binary file into PostgreSQL and into SQLite gives the same rows', async () => {
  await withTempDir(async (dir) => {
    const bin = path.join(dir, 'a.bin');
    fs.writeFileSync(bin, everyTypeFile().bytes);
    const url = server.createDatabase(`readscan${++dbSeq}`);
    const db = path.join(dir, 'a.db');
    const r = await lab.exec('scan', process.execPath, [TIDESCAN_BIN, '--readscan', bin, '--show', 'closed',
      '--output-format', 'postgres', '--output-filename', url, '-oQ', db], { timeoutMs: 60_000 });
    assert.equal(r.code, 0, describeRun(r));
    const c = await client(url);
    try {
      const rows = (await c.query("SELECT host(addr) || ' ' || proto || ' ' || port || ' ' || status || ' ' || reason || ' ' || ttl AS k FROM port_result")).rows
        .map((x: { k: string }) => x.k).sort();
      const d = new Database(db, { readonly: true });
      const lite = (d.prepare('SELECT addr, proto, port, status, reason, ttl FROM port_result').all() as { addr: Buffer; proto: string; port: number; status: string; reason: string; ttl: number }[])
        .map((x) => `${addrText(x.addr)} ${x.proto} ${x.port} ${x.status} ${x.reason} ${x.ttl}`).sort();
      const liteBanners = (d.prepare('SELECT count(*) AS n FROM banner').get() as { n: number }).n;
      d.close();
      assert.deepEqual(rows.map((k) => k.replace(/^(\S+)/, (a) => canon(a))).sort(), lite.map((k) => k.replace(/^(\S+)/, (a) => canon(a))).sort());
      // one row per status record (each a distinct address, protocol and port)
      const statuses = everyTypeFile().expect.filter((x) => x.kind === 'status');
      assert.equal(rows.length, statuses.length, `${rows.length} port rows:\n${rows.join('\n')}`);
      const banners = Number((await c.query('SELECT count(*) AS n FROM banner')).rows[0].n);
      assert.equal(banners, liteBanners);
      assert.equal(banners, everyTypeFile().expect.filter((x) => x.kind === 'banner').length);
      assert.equal((await c.query('SELECT status FROM scan')).rows[0].status, 'done');
    } finally {
      await c.end();
    }
  });
});

/** port_result of a store as list-file keys (`closed tcp 80 198.18.0.1`). */
async function pgKeys(c: pg.Client, where = ''): Promise<string[]> {
  return (await c.query(`SELECT status, proto, port, host(addr) AS a FROM port_result ${where}`)).rows
    .map((r: { status: string; proto: string; port: number; a: string }) => key(r.status, r.proto as 'tcp', r.port, r.a));
}
function sqliteKeys(d: Database.Database, table = 'port_result'): string[] {
  return (d.prepare(`SELECT status, proto, port, addr FROM ${table}`).all() as { status: string; proto: string; port: number; addr: Buffer }[])
    .map((r) => key(r.status, r.proto as 'tcp', r.port, addrText(r.addr)));
}

test('a lab scan into SQLite and PostgreSQL at once: both hold exactly the scan (as its -oL file), the row is done', async () => {
  await withTempDir(async (dir) => {
    const url = server.createDatabase(`scan${++dbSeq}`);
    const db = path.join(dir, 'scan.db');
    const out = path.join(dir, 'out.txt');
    const ips = range4('198.18.0.0', 1024);
    const expected = expectTcp(ips, TCP_PORTS, true);
    const r = await runTidescan(lab, [...linkArgs(lab), '198.18.0.0/22', `-p${TCP_PORTS.join(',')}`, '--show', 'closed', '--rate', '20000',
      '--wait', '1', '--seed', '21', '--output-format', 'postgres', '--output-filename', url, '-oQ', db, '-oL', out], { cwd: dir, timeoutMs: 90_000 });
    assert.equal(r.code, 0, describeRun(r));
    const list = new Set((await readList(out)).records);
    assert.deepEqual(list, expected);
    const c = await client(url);
    const d = new Database(db, { readonly: true });
    try {
      assert.deepEqual(new Set(await pgKeys(c)), expected);
      assert.deepEqual(new Set(sqliteKeys(d)), expected);
      const row = (await c.query('SELECT status, port_results, sent, shard_index, shard_count, seed, ended_at FROM scan')).rows[0];
      assert.equal(row.status, 'done');
      assert.equal(Number(row.port_results), expected.size);
      assert.equal(row.seed, '21');
      assert.ok(row.ended_at !== null);
      const lrow = d.prepare('SELECT status, port_results, config_hash FROM scan').get() as { status: string; port_results: number; config_hash: string };
      assert.equal(lrow.status, 'done');
      assert.equal(lrow.port_results, expected.size);
      assert.equal(lrow.config_hash, (await c.query('SELECT config_hash FROM scan')).rows[0].config_hash, 'one key in both stores');
    } finally {
      d.close();
      await c.end();
    }
  });
});

test('SIGKILL mid-scan: both databases are consistent up to their last batch, and a run from the stored resume index completes the scan', async () => {
  await withTempDir(async (dir) => {
    const url = server.createDatabase(`kill${++dbSeq}`);
    const db = path.join(dir, 'kill.db');
    const ips = range4('198.18.0.0', 16384);
    const expected = expectTcp(ips, TCP_PORTS, true); // 65536 records, ~6.5 s at 10000 pps
    const scanArgs = [...linkArgs(lab), '198.18.0.0/18', `-p${TCP_PORTS.join(',')}`, '--show', 'closed', '--rate', '10000',
      '--wait', '1', '--seed', '22'];
    const p = await lab.spawnScanner(process.execPath, [TIDESCAN_BIN, ...scanArgs, '--output-format', 'postgres', '--output-filename', url, '-oQ', db],
      { cwd: dir, timeoutMs: 90_000 });
    const c = await client(url);
    c.on('error', () => undefined);
    try {
      // Kill once the stored resume index moved (progress was committed) and rows are there.
      let seen = { rows: 0, resume: 0 };
      const running = await runningWhen(p, async () => {
        const s = (await c.query('SELECT resume_index, (SELECT count(*) FROM port_result) AS n FROM scan')).rows[0] as { resume_index: string; n: string } | undefined;
        if (s !== undefined) seen = { rows: Number(s.n), resume: Number(s.resume_index) };
        return seen.resume > 0 && seen.rows >= 5000;
      }, 30_000, 50);
      assert.ok(running, `the scan ended before the kill (${JSON.stringify(seen)})`);
      p.kill('SIGKILL');
      const r = await p.done;
      assert.equal(r.signal, 'SIGKILL', describeRun(r));

      // PostgreSQL: the scan row is still running, with progress; every row whole and in the scan.
      const row = (await c.query('SELECT id, status, resume_index, sent, ended_at FROM scan')).rows[0] as { id: string; status: string; resume_index: string; sent: string; ended_at: Date | null };
      assert.equal(row.status, 'running');
      assert.equal(row.ended_at, null);
      const pgResume = Number(row.resume_index);
      assert.ok(pgResume > 0 && Number(row.sent) > 0, JSON.stringify(row));
      const pgRows = await pgKeys(c);
      assert.ok(pgRows.length > 0 && pgRows.length < expected.size, `${pgRows.length} rows after the kill`);
      for (const k of pgRows) assert.ok(expected.has(k), `row not of the scan: ${k}`);
      const bad = (await c.query(`SELECT count(*) AS n FROM port_result WHERE NOT (addr << '198.18.0.0/18') OR reason NOT IN ('syn-ack', 'rst-ack')
        OR ttl <= 0 OR first_seen > last_seen OR mac IS NOT NULL`)).rows[0].n;
      assert.equal(Number(bad), 0);

      // SQLite: the file opens, passes the integrity check (WAL replayed), rows are whole.
      const d = new Database(db);
      let liteResume: number;
      try {
        assert.equal(d.pragma('integrity_check', { simple: true }), 'ok');
        assert.equal((d.pragma('foreign_key_check') as unknown[]).length, 0);
        const lrow = d.prepare('SELECT status, resume_index, sent FROM scan').get() as { status: string; resume_index: number; sent: number };
        assert.equal(lrow.status, 'running');
        liteResume = lrow.resume_index;
        assert.ok(liteResume > 0 && lrow.sent > 0, JSON.stringify(lrow));
        const liteRows = sqliteKeys(d);
        assert.ok(liteRows.length > 0 && liteRows.length < expected.size, `${liteRows.length} rows after the kill`);
        for (const k of liteRows) assert.ok(expected.has(k), `row not of the scan: ${k}`);
        assert.equal((d.prepare("SELECT count(*) AS n FROM port_result WHERE length(addr) != 16 OR reason NOT IN ('syn-ack', 'rst-ack') OR first_seen > last_seen").get() as { n: number }).n, 0);
      } finally {
        d.close();
      }

      // A second run from each store's resume index, into the same store: the union of the two
      // scans (port_latest) is exactly the full scan, so nothing below the stored index was lost.
      const reruns: [string, number, string[]][] = [['postgres', pgResume, ['--output-format', 'postgres', '--output-filename', url]],
        ['sqlite', liteResume, ['-oQ', db]]];
      for (const [what, resume, out] of reruns) {
        const r2 = await runTidescan(lab, [...scanArgs, '--resume-index', String(resume), ...out], { cwd: dir, timeoutMs: 90_000 });
        assert.equal(r2.code, 0, `${what}: ${describeRun(r2)}`);
      }
      {
        const latest = (await c.query('SELECT status, proto, port, host(addr) AS a FROM port_latest')).rows
          .map((x: { status: string; proto: string; port: number; a: string }) => key(x.status, 'tcp', x.port, x.a));
        assert.deepEqual(new Set(latest), expected, 'postgres: port_latest = the full scan');
        assert.equal(latest.length, expected.size);
        const statuses = (await c.query('SELECT status FROM scan ORDER BY id')).rows.map((x: { status: string }) => x.status);
        assert.deepEqual(statuses, ['running', 'done']);
      }
    } finally {
      await c.end();
    }
    const d2 = new Database(db, { readonly: true });
    try {
      const latest = sqliteKeys(d2, 'port_latest');
      assert.deepEqual(new Set(latest), expected, 'sqlite: port_latest = the full scan');
      assert.equal(latest.length, expected.size);
    } finally {
      d2.close();
    }
  });
});

test('a sharded scan into PostgreSQL, resumed from the store: a killed shard resumes from its row, a done shard is not rescanned, the union is the scan', async () => {
  await withTempDir(async (dir) => {
    const url = server.createDatabase(`claim${++dbSeq}`);
    const expected = expectTcp(range4('198.18.0.0', 16384), TCP_PORTS, true);
    const shardArgs = (n: number): string[] => [...linkArgs(lab), '198.18.0.0/18', `-p${TCP_PORTS.join(',')}`, '--show', 'closed',
      '--rate', '8000', '--wait', '1', '--seed', '23', '--shards', `${n}/2`, '--output-format', 'postgres', '--output-filename', url];
    const c = await client(url);
    c.on('error', () => undefined);
    try {
      // Shard 2, killed once it has committed progress.
      const p = await lab.spawnScanner(process.execPath, [CLAIM_CHILD, ...shardArgs(2)], { cwd: dir, timeoutMs: 90_000 });
      let resume = 0;
      const running = await runningWhen(p, async () => {
        resume = Number((await c.query('SELECT resume_index FROM scan')).rows[0]?.resume_index ?? 0);
        return resume > 0;
      }, 30_000, 50);
      assert.ok(running && resume > 0, `shard 2 ended before the kill (resume index ${resume})`);
      p.kill('SIGKILL');
      await p.done;
      const killed = (await c.query('SELECT id, status, resume_index, attempts FROM scan')).rows;
      assert.equal(killed.length, 1);
      assert.equal(killed[0].status, 'running');

      // The retried pod: same arguments; it takes the row over and starts from its index.
      const r2 = await lab.execScanner(process.execPath, [CLAIM_CHILD, ...shardArgs(2)], { cwd: dir, timeoutMs: 90_000 });
      assert.equal(r2.code, 0, describeRun(r2));
      assert.match(r2.stderr, new RegExp(`resuming shard \\d+/2 from its scan row ${killed[0].id} at index ${killed[0].resume_index} \\(attempt 2\\)`));
      const after2 = (await c.query('SELECT id, status, attempts, shard_index FROM scan')).rows;
      assert.deepEqual(after2.map((x: { id: string; status: string; attempts: number }) => [x.id, x.status, x.attempts]), [[killed[0].id, 'done', 2]]);

      // Shard 1 gets a row of its own; running shard 2 again finds it done and scans nothing.
      const r1 = await lab.execScanner(process.execPath, [CLAIM_CHILD, ...shardArgs(1)], { cwd: dir, timeoutMs: 90_000 });
      assert.equal(r1.code, 0, describeRun(r1));
      const r3 = await lab.execScanner(process.execPath, [CLAIM_CHILD, ...shardArgs(2)], { cwd: dir, timeoutMs: 60_000 });
      assert.equal(r3.code, 0, describeRun(r3));
      assert.match(r3.stderr, /of this scan is done \(scan row \d+\): nothing to send/);
      const rows = (await c.query('SELECT shard_index, status, config_hash FROM scan ORDER BY shard_index')).rows;
      assert.deepEqual(rows.map((x: { shard_index: number; status: string }) => [x.shard_index, x.status]), [[1, 'done'], [2, 'done']]);
      assert.equal(rows[0].config_hash, rows[1].config_hash, 'both shards share one key hash');
      const latest = (await c.query('SELECT status, port, host(addr) AS a FROM port_latest')).rows
        .map((x: { status: string; port: number; a: string }) => key(x.status, 'tcp', x.port, x.a));
      assert.equal(latest.length, expected.size);
      assert.deepEqual(new Set(latest), expected, 'the two shards, one of them killed and resumed, are the whole scan');
      // No port of shard 1 is in shard 2's rows and vice versa: the shards do not overlap.
      const overlap = (await c.query(`SELECT count(*) AS n FROM port_result a JOIN port_result b USING (addr, proto, port)
        WHERE a.scan_id < b.scan_id`)).rows[0].n;
      assert.equal(Number(overlap), 0);
    } finally {
      await c.end();
    }
  });
});

test('SIGINT mid-scan into SQLite: the row is paused at the exact index paused.conf gives, and the file output is unchanged beside it', async () => {
  await withTempDir(async (dir) => {
    const db = path.join(dir, 'int.db');
    const out = path.join(dir, 'int.txt');
    const p = await lab.spawnScanner(process.execPath, [TIDESCAN_BIN, ...linkArgs(lab), '198.18.0.0/18', `-p${TCP_PORTS.join(',')}`,
      '--show', 'closed', '--rate', '10000', '--wait', '1', '--seed', '24', '-oQ', db, '-oL', out], { cwd: dir, timeoutMs: 90_000 });
    assert.ok(await runningWhen(p, () => fs.statSync(out).size > 20_000, 20_000, 20), 'the scan ended before SIGINT');
    p.kill('SIGINT');
    const r = await p.done;
    assert.equal(r.code, 0, describeRun(r));
    const conf = fs.readFileSync(path.join(dir, 'paused.conf'), 'utf8');
    const idx = Number(/^resume-index = (\d+)$/m.exec(conf)?.[1]);
    assert.ok(idx > 0, conf);
    const d = new Database(db, { readonly: true });
    try {
      const row = d.prepare('SELECT status, resume_index, ended_at FROM scan').get() as { status: string; resume_index: number; ended_at: number | null };
      assert.deepEqual([row.status, row.resume_index], ['paused', idx]);
      assert.ok(row.ended_at !== null);
      const list = new Set((await readList(out)).records);
      assert.deepEqual(new Set(sqliteKeys(d)), list, 'the store holds what the -oL file holds');
    } finally {
      d.close();
    }
  });
});
