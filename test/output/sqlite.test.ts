/**
 * The SQLite result store against real SQLite files: the store contract (store-contract.ts),
 * WAL and batching (a second connection sees a batch only once it is committed), the 16-byte
 * address encoding (round trip and order, property-tested), schema version refusal, bad paths,
 * --readscan into a database, and the command line's -oQ / --output-format sqlite.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import Database from 'better-sqlite3';
import fc from 'fast-check';
import { isScanError } from '../../src/error.js';
import { addrBlob, addrBlobOf, addrText } from '../../src/output/store/schema.js';
import { openSqliteStore } from '../../src/output/store/sqlite.js';
import { openStore } from '../../src/output/store/store.js';
import { parseCommandLine } from '../../src/cli/parse.js';
import { everyTypeFile } from './binfile.js';
import { readscanConfig, rmDir, tmpDir, status } from './helpers.js';
import { runReadscan } from '../../src/output/readscan.js';
import { storeContract, canon, info, type Reader } from './store-contract.js';

function sqliteReader(file: string): Reader {
  const db = new Database(file, { readonly: true });
  return {
    ports: (id) => Promise.resolve((db.prepare('SELECT * FROM port_result WHERE scan_id = ?').all(id) as {
      addr: Buffer; proto: string; port: number; status: string; reason: string; ttl: number; mac: string | null; first_seen: number; last_seen: number;
    }[]).map((r) => ({ addr: addrText(r.addr), proto: r.proto, port: r.port, status: r.status, reason: r.reason, ttl: r.ttl, mac: r.mac, first: r.first_seen, last: r.last_seen }))),
    banners: (id) => Promise.resolve((db.prepare('SELECT * FROM banner WHERE scan_id = ?').all(id) as {
      addr: Buffer; proto: string; port: number; service: string; ttl: number; raw: Buffer; fields: string | null; seen: number;
    }[]).map((r) => ({ addr: addrText(r.addr), proto: r.proto, port: r.port, service: r.service, ttl: r.ttl, raw: r.raw,
      fields: r.fields === null ? null : JSON.parse(r.fields) as unknown, seen: r.seen }))),
    scan: (id) => {
      const r = db.prepare('SELECT * FROM scan WHERE id = ?').get(id) as Record<string, number | string | null>;
      return Promise.resolve({
        status: r.status as string, resumeIndex: r.resume_index as number, attempts: r.attempts as number, sent: r.sent as number,
        replies: r.replies as number, found: r.found as number, portResults: r.port_results as number, banners: r.banners as number,
        seed: r.seed as string, shardIndex: r.shard_index as number, shardCount: r.shard_count as number,
        config: JSON.parse(r.config as string) as unknown, ended: r.ended_at !== null,
      });
    },
    range: (lo, hi) => Promise.resolve((db.prepare('SELECT addr FROM port_result WHERE addr BETWEEN ? AND ? ORDER BY addr')
      .all(addrBlobOf(lo), addrBlobOf(hi)) as { addr: Buffer }[]).map((r) => addrText(r.addr))),
    latest: (addr, proto, port) => Promise.resolve((db.prepare('SELECT scan_id, status FROM port_latest WHERE addr = ? AND proto = ? AND port = ?')
      .all(addrBlobOf(addr), proto, port) as { scan_id: number; status: string }[]).map((r) => [r.scan_id, r.status] as [number, string])),
    close: () => { db.close(); return Promise.resolve(); },
  };
}

const dirs: string[] = [];
process.on('exit', () => { for (const d of dirs) rmDir(d); });

storeContract('sqlite', async () => {
  const dir = tmpDir('sqlite');
  dirs.push(dir);
  const file = path.join(dir, 'scan.db');
  const store = await openStore('sqlite', file);
  return { store, reader: sqliteReader(file) };
});

test('sqlite: the file is in WAL mode, and a batch is visible to another connection only once committed', async () => {
  const dir = tmpDir('sqlite-wal');
  try {
    const file = path.join(dir, 'scan.db');
    const store = await openSqliteStore(file, { batch: 3 });
    const other = new Database(file, { readonly: true });
    try {
      assert.equal(other.pragma('journal_mode', { simple: true }), 'wal');
      const row = await store.createScan(info());
      const count = (): number => (other.prepare('SELECT count(*) AS n FROM port_result').get() as { n: number }).n;
      store.write(row.id, [status('10.0.0.1', 6, 1, 'open', 0x12, 64, 1), status('10.0.0.1', 6, 2, 'open', 0x12, 64, 1)]);
      assert.equal(count(), 0, 'two records of a batch of three: not committed yet');
      store.write(row.id, [status('10.0.0.1', 6, 3, 'open', 0x12, 64, 1)]);
      assert.equal(count(), 3, 'the third fills the batch: committed without a flush');
      store.write(row.id, [status('10.0.0.1', 6, 4, 'open', 0x12, 64, 1)]);
      assert.equal(count(), 3);
      store.flush();
      assert.equal(count(), 4, 'flush commits');
      assert.equal(other.pragma('integrity_check', { simple: true }), 'ok');
    } finally {
      other.close();
      await store.close();
    }
  } finally {
    rmDir(dir);
  }
});

test('sqlite: 16-byte addresses round-trip and sort as the numbers they are (IPv4 as ::ffff:a.b.c.d)', () => {
  assert.equal(Buffer.from(addrBlob({ version: 4, v4: 0x0a000001 })).toString('hex'), '00000000000000000000ffff0a000001');
  assert.equal(addrText(addrBlobOf('::ffff:10.0.0.1'.replace('10.0.0.1', 'a00:1'))!), '10.0.0.1');
  assert.equal(addrBlobOf('10.0.0.256'), undefined);
  assert.equal(addrBlobOf('1::2::3'), undefined);
  assert.equal(addrBlobOf('1:2:3:4:5:6:7'), undefined);
  fc.assert(fc.property(fc.bigInt({ min: 0n, max: (1n << 128n) - 1n }), fc.bigInt({ min: 0n, max: (1n << 128n) - 1n }), (a, b) => {
    const ba = Buffer.from(addrBlob({ version: 6, v6: a }));
    const bb = Buffer.from(addrBlob({ version: 6, v6: b }));
    assert.equal(Math.sign(Buffer.compare(ba, bb)), a < b ? -1 : a > b ? 1 : 0);
    assert.deepEqual(addrBlobOf(addrText(ba)), new Uint8Array(ba));
  }));
  fc.assert(fc.property(fc.integer({ min: 0, max: 0xffffffff }), (v) => {
    const b = addrBlob({ version: 4, v4: v });
    assert.equal(canon(addrText(b)), addrText(b));
    assert.equal(addrText(b), `${v >>> 24}.${(v >>> 16) & 255}.${(v >>> 8) & 255}.${v & 255}`);
  }));
});

test('sqlite: a database of another schema version, or a file that is not a database, is refused in one line', async () => {
  const dir = tmpDir('sqlite-bad');
  try {
    const file = path.join(dir, 'scan.db');
    await (await openStore('sqlite', file)).close();
    const db = new Database(file);
    db.prepare("UPDATE tidescan_meta SET value = '999' WHERE key = 'schema_version'").run();
    db.close();
    await assert.rejects(openStore('sqlite', file), (e: unknown) =>
      isScanError(e) && e.code === 'ERR_FILE' && e.message.includes('schema version 999') && !e.message.includes('\n'));
    const junk = path.join(dir, 'junk.db');
    fs.writeFileSync(junk, 'not a database at all, just text '.repeat(200));
    await assert.rejects(openStore('sqlite', junk), (e: unknown) => isScanError(e) && e.message.startsWith(`${junk}: `));
    await assert.rejects(openStore('sqlite', path.join(dir, 'no', 'such', 'dir', 'x.db')), (e: unknown) =>
      isScanError(e) && e.code === 'ERR_FILE' && e.message.includes('cannot open SQLite database'));
  } finally {
    rmDir(dir);
  }
});

test('sqlite: --readscan loads a binary file into the database (every record type), one scan row marked done', async () => {
  const dir = tmpDir('sqlite-rs');
  try {
    const bin = path.join(dir, 'a.bin');
    const f = everyTypeFile();
    fs.writeFileSync(bin, f.bytes);
    const db = path.join(dir, 'out.db');
    const err: string[] = [];
    const rc = await runReadscan(readscanConfig([bin], { outputs: [{ format: 'sqlite', filename: db }], showClosed: true }),
      { stderr: (s) => err.push(s), handleSignals: false, storeCommandLine: '--readscan a.bin -oQ out.db' });
    assert.equal(rc, 0, err.join(''));
    const r = sqliteReader(db);
    try {
      const d = new Database(db, { readonly: true });
      const scans = d.prepare('SELECT id, status, command_line, port_results, banners FROM scan').all() as { id: number; status: string; command_line: string; port_results: number; banners: number }[];
      d.close();
      assert.equal(scans.length, 1);
      assert.equal(scans[0]!.status, 'done');
      assert.equal(scans[0]!.command_line, '--readscan a.bin -oQ out.db');
      const statuses = f.expect.filter((x) => x.kind === 'status');
      const keys = new Set(statuses.map((x) => `${x.ip.version === 4 ? x.ip.v4 : x.ip.v6}|${x.ipProto}|${x.port}`));
      assert.equal((await r.ports(scans[0]!.id)).length, keys.size);
      assert.equal(scans[0]!.port_results, keys.size);
      assert.equal((await r.banners(scans[0]!.id)).length, f.expect.length - statuses.length);
      const arp = (await r.ports(scans[0]!.id)).find((p) => p.proto === 'arp' && p.addr === '10.0.0.6');
      assert.ok(arp !== undefined && arp.status === 'up', 'the ARP record is a port_result row');
    } finally {
      await r.close();
    }
  } finally {
    rmDir(dir);
  }
});

test('cli: -oQ FILE and --output-format sqlite|postgres --output-filename name a store output; -oQ is no nmap or masscan letter', () => {
  const io = { readFile: () => Buffer.alloc(0), env: {}, cwd: '/', now: () => 0, randomSeed: () => 1n, warn: () => undefined };
  const base = ['10.0.0.0/30', '-p80'];
  assert.deepEqual(parseCommandLine([...base, '-oQ', 'x.db'], io).outputs, [{ format: 'sqlite', filename: 'x.db' }]);
  assert.deepEqual(parseCommandLine([...base, '-oQy.db'], io).outputs, [{ format: 'sqlite', filename: 'y.db' }]);
  assert.deepEqual(parseCommandLine([...base, '--output-format', 'sqlite', '--output-filename', 'z.db'], io).outputs,
    [{ format: 'sqlite', filename: 'z.db' }]);
  assert.deepEqual(parseCommandLine([...base, '--output-format', 'postgres', '--output-filename', 'postgres://u@h/db', '-oB', 'a.bin'], io).outputs,
    [{ format: 'postgres', filename: 'postgres://u@h/db' }, { format: 'binary', filename: 'a.bin' }]);
  assert.throws(() => parseCommandLine([...base, '-oQ'], io), /missing output filename|-oQ/);
  assert.throws(() => parseCommandLine([...base, '-oS', 'x'], io), /unsupported output format/);
});

test('sqlite: the store is the sink of a --readscan of many records: batches of 10000 commit, the counts add up', async () => {
  const dir = tmpDir('sqlite-many');
  try {
    const file = path.join(dir, 'm.db');
    const store = await openSqliteStore(file);
    const row = await store.createScan(info());
    const n = 25_000;
    const batch = [];
    for (let i = 0; i < n; i++) batch.push(status(`10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`, 6, 80, 'open', 0x12, 64, 1700000000));
    for (let i = 0; i < n; i += 4096) store.write(row.id, batch.slice(i, i + 4096));
    await store.endScan(row.id, 'done');
    await store.close();
    const d = new Database(file, { readonly: true });
    assert.equal((d.prepare('SELECT port_results FROM scan WHERE id = ?').get(row.id) as { port_results: number }).port_results, n);
    assert.equal(d.pragma('integrity_check', { simple: true }), 'ok');
    d.close();
  } finally {
    rmDir(dir);
  }
});

test('sqlite: without better-sqlite3 installed, -oQ fails in one line naming the package, before any output is made', async () => {
  const { spawnSync } = await import('node:child_process');
  const dir = tmpDir('sqlite-missing');
  try {
    const bin = path.join(dir, 'a.bin');
    fs.writeFileSync(bin, everyTypeFile().bytes);
    // A resolve hook that makes better-sqlite3 not found, as on a machine without it.
    const hook = 'export async function resolve(s, c, next) { if (s === "better-sqlite3") { const e = new Error("Cannot find package better-sqlite3"); e.code = "ERR_MODULE_NOT_FOUND"; throw e; } return next(s, c); }';
    const register = `import { register } from "node:module"; register(${JSON.stringify(`data:text/javascript,${encodeURIComponent(hook)}`)});`;
    const tidescan = path.resolve(import.meta.dirname, '../../../bin/tidescan.js');
    const r = spawnSync(process.execPath, ['--import', `data:text/javascript,${encodeURIComponent(register)}`, tidescan,
      '--readscan', bin, '-oQ', path.join(dir, 'x.db'), '-oL', path.join(dir, 'x.txt')],
      // Without the test runner's preload (scripts/node-overlay.mjs under Node 22/24 resolves
      // better-sqlite3 itself, ahead of this hook): the child sees only the hook above.
      { encoding: 'utf8', timeout: 60_000, env: { ...process.env, NODE_OPTIONS: '', TIDESCAN_NODE_OVERLAY: '' } });
    assert.equal(r.status, 1, r.stderr);
    const lines = r.stderr.split('\n').filter((l) => l.startsWith('[-]'));
    assert.deepEqual(lines, ['[-] FAIL: sqlite output needs the optional package better-sqlite3 (npm install better-sqlite3) (ERR_MODULE_NOT_FOUND)']);
    assert.equal(fs.existsSync(path.join(dir, 'x.db')), false);
    assert.equal(fs.existsSync(path.join(dir, 'x.txt')), false, 'no other output was started');
  } finally {
    rmDir(dir);
  }
});

test('store messages: a postgres URL is shown without its password and clipped; a long file name is clipped', async () => {
  const { redactUrl } = await import('../../src/output/store/postgres.js');
  assert.equal(redactUrl('postgres://scan:hunter2@db.example:5432/scans'), 'postgres://scan:***@db.example:5432/scans');
  assert.equal(redactUrl('postgresql://scan@db/scans'), 'postgresql://scan@db/scans');
  assert.ok(redactUrl(`postgres://u:p@h/${'x'.repeat(500)}`).length <= 83);
  const long = path.join(tmpDir('sqlite-long'), 'n'.repeat(200), 'x.db');
  dirs.push(path.dirname(path.dirname(long)));
  await assert.rejects(openStore('sqlite', long), (e: unknown) => isScanError(e) && e.message.length < 300 && !e.message.includes('n'.repeat(100)));
});
