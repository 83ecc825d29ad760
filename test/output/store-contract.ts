/**
 * What every result store must do (src/output/store/store.ts), as tests that run against a
 * real store: SQLite in test/output/sqlite.test.ts, PostgreSQL in test/lab/store.test.ts.
 * Each dialect gives a Reader that reads the tables back with its own driver (a second
 * connection: what is read is what was committed).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ScanRecord } from '../../src/core/record.js';
import { ipToString } from '../../src/core/address.js';
import { protoName, reasonString } from '../../src/output/format.js';
import { addrBlobOf, addrText } from '../../src/output/store/schema.js';
import { StoreSink, type ResultStore, type ScanInfo } from '../../src/output/store/store.js';
import { SAMPLE, status } from './helpers.js';

export interface PortRow {
  addr: string; proto: string; port: number; status: string; reason: string; ttl: number; mac: string | null;
  first: number; last: number;
}
export interface BannerRow { addr: string; proto: string; port: number; service: string; ttl: number; raw: Buffer; fields: unknown; seen: number }
export interface ScanRowRead {
  status: string; resumeIndex: number; attempts: number; sent: number; replies: number; found: number;
  portResults: number; banners: number; seed: string; shardIndex: number; shardCount: number; config: unknown; ended: boolean;
}

/** A second connection to the same database. */
export interface Reader {
  ports(scanId: number): Promise<PortRow[]>;
  banners(scanId: number): Promise<BannerRow[]>;
  scan(scanId: number): Promise<ScanRowRead>;
  /** `addr` of port_result rows from `lo` to `hi` (inclusive; text addresses), sorted. */
  range(lo: string, hi: string): Promise<string[]>;
  /** port_latest rows of one (addr, proto, port): [scan_id, status]. */
  latest(addr: string, proto: string, port: number): Promise<[number, string][]>;
  close(): Promise<void>;
}

export interface StoreUnderTest {
  store: ResultStore;
  reader: Reader;
}

/** Normalised address text (v4 dotted, v6 as 8 full groups), whatever the dialect printed. */
export function canon(addr: string): string {
  const b = addrBlobOf(addr.replace(/\/(32|128)$/, ''));
  if (b === undefined) throw new Error(`bad address text ${addr}`);
  return addrText(b);
}

let infoSeq = 0;
export function info(over: Partial<ScanInfo> = {}): ScanInfo {
  infoSeq++;
  return {
    seed: 42n, shardIndex: 1, shardCount: 1, configHash: 'h' + 'a'.repeat(63), version: '0.1.0',
    commandLine: `tidescan test ${infoSeq}`, rate: 1000, ports: '80,443,U:53', config: { ports: '80,443,U:53', n: infoSeq },
    startedAt: 1700000000_000, resumeIndex: 0, ...over,
  };
}

function expectedPort(r: ScanRecord & { kind: 'status' }): PortRow {
  return {
    addr: canon(ipToString(r.ip)), proto: protoName(r.ipProto), port: r.port, status: r.status, reason: reasonString(r.reason),
    ttl: r.ttl, mac: r.mac ?? null, first: r.timestamp, last: r.timestamp,
  };
}

function sortRows<T extends { addr: string; proto: string; port: number }>(rows: T[]): T[] {
  return rows.sort((a, b) => a.addr.localeCompare(b.addr) || a.proto.localeCompare(b.proto) || a.port - b.port);
}

/** Registers the contract tests; `open()` gives a fresh, empty store and its reader. */
export function storeContract(name: string, open: () => Promise<StoreUnderTest>): void {
  async function withStore(fn: (s: StoreUnderTest) => Promise<void>): Promise<void> {
    const s = await open();
    try {
      await fn(s);
    } finally {
      await s.store.close();
      await s.reader.close();
    }
  }

  test(`${name}: every record comes back whole (IPv4, IPv6, ARP MAC, UDP/ICMP/SCTP/other, banner bytes)`, () => withStore(async ({ store, reader }) => {
    const row = await store.createScan(info());
    assert.equal(row.resumed, false);
    assert.equal(row.attempts, 1);
    const withFields: ScanRecord = { ...(SAMPLE[6] as ScanRecord & { kind: 'banner' }), fields: { hassh: 'abc', hasshAlgorithms: 'x;y' } };
    store.write(row.id, [...SAMPLE, withFields]);
    await store.settle();
    const want = sortRows(SAMPLE.filter((r): r is ScanRecord & { kind: 'status' } => r.kind === 'status').map(expectedPort));
    assert.deepEqual(sortRows(await reader.ports(row.id)), want);
    const banners = await reader.banners(row.id);
    const wantBanners = [...SAMPLE.filter((r) => r.kind === 'banner'), withFields];
    assert.equal(banners.length, wantBanners.length);
    for (const w of wantBanners) {
      if (w.kind !== 'banner') continue;
      const got = banners.find((b) => b.addr === canon(ipToString(w.ip)) && b.port === w.port && b.service === w.service &&
        Buffer.compare(b.raw, Buffer.from(w.banner)) === 0 && (w.fields === undefined ? b.fields === null : b.fields !== null));
      assert.ok(got !== undefined, `banner ${w.service} on ${ipToString(w.ip)}:${w.port}`);
      assert.equal(got.ttl, w.ttl);
      assert.equal(got.seen, w.timestamp);
      assert.equal(got.proto, protoName(w.ipProto));
      if (w.fields !== undefined) assert.deepEqual(got.fields, w.fields);
    }
    await store.endScan(row.id, 'done', { resumeIndex: 99, sent: 10, replies: 9, found: 8 });
    const s = await reader.scan(row.id);
    assert.equal(s.status, 'done');
    assert.equal(s.ended, true);
    assert.deepEqual([s.resumeIndex, s.sent, s.replies, s.found], [99, 10, 9, 8]);
    assert.equal(s.portResults, want.length);
    assert.equal(s.banners, wantBanners.length);
    assert.deepEqual([s.seed, s.shardIndex, s.shardCount], ['42', 1, 1]);
    assert.equal((s.config as { ports: string }).ports, '80,443,U:53');
  }));

  test(`${name}: a port seen again is one row (first_seen earliest, last_seen latest, newest status), also within one batch`, () => withStore(async ({ store, reader }) => {
    const row = await store.createScan(info());
    store.write(row.id, [status('10.1.0.1', 6, 80, 'closed', 0x14, 60, 1700000005), status('10.1.0.1', 6, 80, 'open', 0x12, 61, 1700000003)]);
    store.flush();
    store.write(row.id, [status('10.1.0.1', 6, 80, 'open', 0x12, 62, 1700000009)]);
    await store.settle();
    const rows = await reader.ports(row.id);
    assert.deepEqual(rows, [{ addr: '10.1.0.1', proto: 'tcp', port: 80, status: 'open', reason: 'syn-ack', ttl: 62, mac: null, first: 1700000003, last: 1700000009 }]);
  }));

  test(`${name}: addresses sort as numbers: an IPv4 range and an IPv6 range query return exactly their rows`, () => withStore(async ({ store, reader }) => {
    const row = await store.createScan(info());
    const addrs = ['10.0.0.1', '10.0.0.255', '10.0.1.0', '9.255.255.255', '10.0.0.128', '11.0.0.0', '2001:db8::1', '2001:db8:ffff::9', '2001:db9::', '::1'];
    store.write(row.id, addrs.map((a, i) => status(a, 6, 443, 'open', 0x12, 64, 1700000000 + i)));
    await store.settle();
    assert.deepEqual(await reader.range('10.0.0.0', '10.0.0.255'), ['10.0.0.1', '10.0.0.128', '10.0.0.255']);
    assert.deepEqual(await reader.range('2001:db8::', '2001:db8:ffff:ffff:ffff:ffff:ffff:ffff'), [canon('2001:db8::1'), canon('2001:db8:ffff::9')]);
  }));

  test(`${name}: claimScan takes over an unfinished row of the same key with its resume index, leaves a done one, makes a new one otherwise`, () => withStore(async ({ store, reader }) => {
    const key = { seed: 18446744073709551615n, shardIndex: 2, shardCount: 4, configHash: 'c'.repeat(64) };
    assert.equal(await store.findScan(key), undefined);
    const a = await store.claimScan(info({ ...key, resumeIndex: 0 }));
    assert.deepEqual([a.resumed, a.attempts, a.status, a.resumeIndex], [false, 1, 'running', 0]);
    store.progress(a.id, { resumeIndex: 5000, sent: 5000, replies: 10, found: 3 });
    store.write(a.id, [status('10.2.0.1', 6, 22, 'open', 0x12, 64, 1700000000)]);
    await store.settle();
    // The pod dies here (no endScan): the row stays `running` with its last committed index.
    const b = await store.claimScan(info({ ...key, rate: 250 }));
    assert.deepEqual([b.id, b.resumed, b.attempts, b.status, b.resumeIndex], [a.id, true, 2, 'running', 5000]);
    await store.endScan(b.id, 'done', { resumeIndex: 10000, sent: 10000, replies: 20, found: 6 });
    const c = await store.claimScan(info(key));
    assert.deepEqual([c.id, c.resumed, c.status], [a.id, false, 'done']);
    assert.equal((await reader.scan(a.id)).attempts, 2);
    assert.equal((await store.findScan(key))?.id, a.id);
    const other = await store.claimScan(info({ ...key, shardIndex: 3 }));
    assert.notEqual(other.id, a.id);
    assert.equal(other.resumed, false);
    const otherConfig = await store.claimScan(info({ ...key, configHash: 'd'.repeat(64) }));
    assert.ok(otherConfig.id !== a.id && otherConfig.id !== other.id);
    // createScan always makes a row; findScan then returns the newest.
    const fresh = await store.createScan(info(key));
    assert.equal((await store.findScan(key))?.id, fresh.id);
    assert.equal((await reader.scan(fresh.id)).seed, '18446744073709551615');
  }));

  test(`${name}: port_latest shows each port as the scan that saw it last saw it`, () => withStore(async ({ store, reader }) => {
    const s1 = await store.createScan(info());
    const s2 = await store.createScan(info());
    store.write(s1.id, [status('10.3.0.1', 6, 80, 'open', 0x12, 64, 1700000100), status('10.3.0.2', 6, 80, 'open', 0x12, 64, 1700000100)]);
    store.write(s2.id, [status('10.3.0.1', 6, 80, 'closed', 0x14, 64, 1700000200)]);
    await store.settle();
    assert.deepEqual(await reader.latest('10.3.0.1', 'tcp', 80), [[s2.id, 'closed']]);
    assert.deepEqual(await reader.latest('10.3.0.2', 'tcp', 80), [[s1.id, 'open']]);
  }));

  test(`${name}: progress is committed with the next batch; StoreSink stores the resume index of lagMs ago, the exact one when paused`, () => withStore(async ({ store, reader }) => {
    const row = await store.createScan(info({ resumeIndex: 100 }));
    const clock = { ms: 0 };
    const sink = new StoreSink(store, row, 3000, () => clock.ms);
    for (let t = 0; t <= 5; t++) {
      clock.ms = t * 1000;
      sink.progress({ resumeIndex: 100 + t * 1000, sent: t * 1000, replies: t, found: t });
      sink.write([status('10.4.0.1', 6, 1000 + t, 'open', 0x12, 64, 1700000000 + t)]);
      sink.flush();
    }
    await sink.close();
    const s = await reader.scan(row.id);
    // At t=5 s the newest sample at least 3 s old is t=2 s's.
    assert.equal(s.resumeIndex, 2100);
    assert.equal(s.sent, 5000);
    assert.equal(s.status, 'running');
    assert.equal((await reader.ports(row.id)).length, 6);
    const row2 = await store.createScan(info());
    const sink2 = new StoreSink(store, row2, 3000, () => clock.ms);
    sink2.progress({ resumeIndex: 700, sent: 700, replies: 0, found: 0 });
    sink2.paused(777);
    await sink2.close();
    await sink2.finish(true);
    const s2 = await reader.scan(row2.id);
    assert.deepEqual([s2.status, s2.resumeIndex], ['paused', 777]);
  }));
}
