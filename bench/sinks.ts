/**
 * Sink benchmark: the same N records (default 1 M; `node dist/bench/sinks.js N`) into the
 * `-oB` binary file (the baseline), the SQLite store and the PostgreSQL store, as a scan
 * hands them over (batches of 4096, a flush every 50 000 records: the engine flushes about
 * five times a second), timed from the first write to the end of close() (the last commit).
 * Records/s per sink and each one's ratio to the baseline; JSON in bench/results/sinks.json.
 *
 * Records: every one a distinct (address, port) (a scan finds each port once): 90% status
 * (TCP open/closed, some UDP, 1 in 16 IPv6), 10% banners of 40..90 bytes. PostgreSQL is a
 * throw-away server (test/lab/postgres.ts; needs root), on its unix socket, fsync off (as the
 * SQLite store runs synchronous=NORMAL: neither waits for the disk at each commit).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { ScanRecord } from '../src/core/record.js';
import { OutputSet } from '../src/output/outputs.js';
import { builtinServiceNames } from '../src/output/services.js';
import { openStore, type ResultStore, type ScanInfo } from '../src/output/store/store.js';
import { startPostgres } from '../test/lab/postgres.js';
import { writeResult } from './lib/results.js';

const N = Number(process.argv[2] ?? 1_000_000);
const BATCH = 4096;
const FLUSH_EVERY = 50_000;
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tidescan-bench-sinks-'));

function records(): ScanRecord[] {
  const out: ScanRecord[] = [];
  const text = Buffer.from('HTTP/1.1 200 OK\r\nServer: nginx/1.18.0 (Ubuntu)\r\nContent-Type: text/html\r\n', 'latin1');
  for (let i = 0; i < N; i++) {
    const ip = i % 16 === 15
      ? { version: 6 as const, v6: (0x20010db8n << 96n) | BigInt(i) }
      : { version: 4 as const, v4: (0x0a000000 + i) >>> 0 };
    const ts = 1700000000 + (i >>> 12);
    if (i % 10 === 9) {
      out.push({ kind: 'banner', timestamp: ts, ip, ipProto: 6, port: 80, service: 'http', ttl: 64, banner: new Uint8Array(text.subarray(0, 40 + (i % 50))) });
    } else if (i % 10 === 8) {
      out.push({ kind: 'status', timestamp: ts, ip, ipProto: 17, port: 53, status: 'open', reason: 0, ttl: 64 });
    } else {
      out.push({ kind: 'status', timestamp: ts, ip, ipProto: 6, port: 80, status: i % 3 === 0 ? 'closed' : 'open', reason: i % 3 === 0 ? 0x14 : 0x12, ttl: 64 });
    }
  }
  return out;
}

interface Figure {
  readonly sink: string;
  readonly seconds: number;
  readonly cpuSeconds: number;
  readonly recordsPerSecond: number;
  readonly ofBaseline: number;
  readonly bytes: number;
}

/** Hands `rs` over as a scan does; `flush` every FLUSH_EVERY records, then `close`. */
async function feed(rs: readonly ScanRecord[], write: (b: readonly ScanRecord[]) => void, flush: () => void, close: () => Promise<void>): Promise<{ seconds: number; cpu: number }> {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  let since = 0;
  for (let i = 0; i < rs.length; i += BATCH) {
    const b = rs.slice(i, i + BATCH);
    write(b);
    since += b.length;
    if (since >= FLUSH_EVERY) {
      since = 0;
      flush();
      // The engine's loop yields between drains: let the PostgreSQL queue run.
      await new Promise((res) => setImmediate(res));
    }
  }
  await close();
  const c = process.cpuUsage(c0);
  return { seconds: (performance.now() - t0) / 1000, cpu: (c.user + c.system) / 1e6 };
}

function scanInfo(): ScanInfo {
  return {
    seed: 1n, shardIndex: 1, shardCount: 1, configHash: '0'.repeat(64), version: '0.1.0', commandLine: 'bench/sinks',
    rate: 0, ports: '80,U:53', config: {}, startedAt: Date.now(), resumeIndex: 0,
  };
}

async function intoStore(rs: readonly ScanRecord[], store: ResultStore): Promise<{ seconds: number; cpu: number }> {
  const row = await store.createScan(scanInfo());
  return feed(rs, (b) => store.write(row.id, b), () => store.flush(), async () => {
    await store.endScan(row.id, 'done');
    await store.close();
  });
}

function sizeOf(p: string): number {
  let n = 0;
  for (const f of [p, `${p}-wal`, `${p}-shm`]) if (fs.existsSync(f)) n += fs.statSync(f).size;
  return n;
}

async function main(): Promise<void> {
  const rs = records();
  const figures: { sink: string; seconds: number; cpu: number; bytes: number }[] = [];
  try {
    const bin = path.join(dir, 'out.bin');
    const set = OutputSet.open({
      outputs: [{ format: 'binary', filename: bin }], append: false, showOpen: true, showClosed: true, interactive: false,
      rotateSeconds: 0, rotateOffset: 0, rotateSize: 0, rotateDir: '.', stylesheet: undefined, services: builtinServiceNames(),
    }, { startTime: 1700000000, version: '0.1.0', portsScanned: [{ begin: 80, end: 80 }], commandLine: 'bench/sinks' });
    const b = await feed(rs, (x) => set.writeBatch(x), () => set.flush(), () => { set.closeAll(); return Promise.resolve(); });
    figures.push({ sink: '-oB binary file', ...b, bytes: sizeOf(bin) });

    const db = path.join(dir, 'out.db');
    const s = await intoStore(rs, await openStore('sqlite', db));
    figures.push({ sink: 'sqlite (-oQ)', ...s, bytes: sizeOf(db) });

    const server = await startPostgres();
    try {
      const url = server.createDatabase('bench');
      const p = await intoStore(rs, await openStore('postgres', url));
      const bytes = Number(server.psql("SELECT pg_database_size('bench')").trim());
      figures.push({ sink: 'postgres', ...p, bytes });
    } finally {
      await server.stop();
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  const base = N / figures[0]!.seconds;
  const out: Figure[] = figures.map((f) => ({
    sink: f.sink, seconds: +f.seconds.toFixed(3), cpuSeconds: +f.cpu.toFixed(3), recordsPerSecond: Math.round(N / f.seconds),
    ofBaseline: +((N / f.seconds) / base).toFixed(4), bytes: f.bytes,
  }));
  for (const f of out) {
    console.log(`${f.sink.padEnd(16)} ${(f.recordsPerSecond / 1e3).toFixed(1).padStart(8)} k records/s  ` +
      `(${(f.ofBaseline * 100).toFixed(1)}% of -oB; ${f.seconds} s wall, ${f.cpuSeconds} s cpu in this process, ${(f.bytes / 1e6).toFixed(1)} MB)`);
  }
  console.log(`results: ${await writeResult('sinks', { records: N, batch: BATCH, flushEvery: FLUSH_EVERY, figures: out })}`);
}

await main();
