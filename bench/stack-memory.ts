/**
 * RSS of the TCP stack holding 1,000,000 concurrent connections whose servers stay silent
 * (issue 9's goal: < 1 GiB). The measurement runs in a child process (a fresh heap): RSS before
 * the stack exists, after the table is built, after 1 M SYN-ACKs (each connection ACKed, with
 * its application timer set, as the hello timeout does), and after each connection has queued
 * a 100-byte hello that the (silent) servers never acknowledge.
 * Run: `node dist/bench/stack-memory.js [--json] [--count N]` (`--json` also writes
 * bench/results/stack-memory.json).
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { CloseReason, StackHost } from '../src/stack/api.js';
import { TcpStack } from '../src/stack/tcp.js';
import { ConnTable } from '../src/stack/table.js';
import { writeResult } from './lib/results.js';

const MiB = 1024 * 1024;

interface Figures {
  connections: number;
  bytesPerSlot: number;
  rssBaseMiB: number;
  rssTableMiB: number;
  rssOpenMiB: number;
  rssHelloMiB: number;
  heapUsedMiB: number;
  openSeconds: number;
  segmentsOut: number;
  active: number;
  refused: number;
}

function gc(): void {
  (globalThis as { gc?: () => void }).gc?.();
}

function child(n: number): Figures {
  gc();
  const base = process.memoryUsage().rss;
  let out = 0;
  let closed = 0;
  const host: StackHost = {
    output: () => void out++,
    opened: () => {},
    received: () => {},
    peerClosed: () => {},
    appTimer: () => {},
    closed: (_c: number, _r: CloseReason) => void closed++,
  };
  const s = new TcpStack(
    {
      capacity: n, chunkSize: 128, maxChunks: n + 1024, connectionTimeoutMs: 30_000, rtoMs: 1000, maxRetries: 3,
      window: 65535, mss: 1460,
    },
    host,
  );
  gc();
  const table = process.memoryUsage().rss;
  const t0 = process.hrtime.bigint();
  const ourIp = 0xc6336401;
  let now = 0;
  for (let i = 0; i < n; i++) {
    // Targets spread over a /12 (192.0.0.0 + i): the tuples are all distinct.
    const c = s.synAck4(now, (0xc0000000 + (i >>> 2)) >>> 0, 80, ourIp, 40000 + (i & 3), Math.imul(i, 2654435761) >>> 0, (i * 7) >>> 0, 29200, 1460);
    s.setAppTimer(c, now + 2000);
    if ((i & 4095) === 0) now += 1; // 1 M connections opened over ~250 ms of stack time
  }
  const openSeconds = Number(process.hrtime.bigint() - t0) / 1e9;
  gc();
  const open = process.memoryUsage().rss;
  const hello = new Uint8Array(100).fill(0x41);
  for (let c = 0; c < n; c++) s.send(c, hello, 0, 100, now);
  gc();
  const withHello = process.memoryUsage().rss;
  const m = process.memoryUsage();
  if (closed !== 0) throw new Error(`${closed} connections closed`);
  return {
    connections: n,
    bytesPerSlot: ConnTable.bytesPerConnection(),
    rssBaseMiB: +(base / MiB).toFixed(1),
    rssTableMiB: +(table / MiB).toFixed(1),
    rssOpenMiB: +(open / MiB).toFixed(1),
    rssHelloMiB: +(withHello / MiB).toFixed(1),
    heapUsedMiB: +(m.heapUsed / MiB).toFixed(1),
    openSeconds: +openSeconds.toFixed(2),
    segmentsOut: out,
    active: s.counters.active,
    refused: s.counters.refused,
  };
}

const arg = (name: string): string | undefined => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
};
const count = Number(arg('--count') ?? 1_000_000);

if (process.argv.includes('--child')) {
  process.stdout.write(JSON.stringify(child(count)));
} else {
  const r = spawnSync(process.execPath, ['--expose-gc', fileURLToPath(import.meta.url), '--child', '--count', String(count)], {
    encoding: 'utf8',
    maxBuffer: 1 << 20,
  });
  if (r.status !== 0) throw new Error(`child failed: ${r.stderr}`);
  const f = JSON.parse(r.stdout) as Figures;
  const total = f.rssHelloMiB;
  console.log(`connections          ${f.connections} (table ${f.bytesPerSlot} B/slot)`);
  console.log(`RSS before / table   ${f.rssBaseMiB} / ${f.rssTableMiB} MiB`);
  console.log(`RSS 1 M open, silent ${f.rssOpenMiB} MiB (+${(f.rssOpenMiB - f.rssBaseMiB).toFixed(1)} MiB), opened in ${f.openSeconds} s`);
  console.log(`RSS + 100 B hello    ${total} MiB (+${(total - f.rssBaseMiB).toFixed(1)} MiB)   goal < 1024 MiB: ${total < 1024 ? 'met' : 'NOT met'}`);
  if (process.argv.includes('--json')) console.log(await writeResult('stack-memory', f));
}
