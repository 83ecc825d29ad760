/**
 * Scans in a row through scan() leave the process as they found it: the open file
 * descriptors (/proc/self/fd) and the resident memory stay flat.
 *  - 100 scans over the simulated network (the engine inline, test/engine/scan-sim.ts):
 *    the API's own resources (queue, listeners, timers, abort listeners) with records.
 *  - 30 real ones (the real runner: transmit worker threads) in --offline mode: probes are
 *    built and discarded, nothing is sent. A real scan costs about half a second here,
 *    almost all of it starting the worker thread, so 100 of them would not fit a fast test.
 * Half of each end by `break` (the stop path), half run to the end. The lab test
 * (test/lab/api.test.ts) does the same with AF_PACKET sockets in a namespace.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { scan, scanWith, type ScanRunner } from '../../src/api/scan.js';
import { createMemoryLink } from '../../src/adapter/memory.js';
import { runScanWith } from '../../src/engine/scan.js';
import { SimNet, simLink } from '../engine/scan-sim.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

function fds(): number {
  return readdirSync('/proc/self/fd').length;
}

async function settle(): Promise<void> {
  for (let i = 0; i < 3; i++) {
    gc();
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function oneScan(i: number): Promise<void> {
  const job = scan({ targets: '10.77.0.0/26', ports: [80, 443], rate: 2_000_000, seed: BigInt(i), offline: true, wait: 0 });
  let offline = false;
  job.addEventListener('note', (e) => { if (e.detail.includes('(offline)')) offline = true; });
  if (i % 2 === 0) {
    for await (const _ of job) break;
  }
  const s = await job.done;
  assert.equal(offline, true, 'the scan ran offline');
  if (i % 2 === 1) assert.equal(s.sent, 128);
}

const SIM_OPEN = ['10.77.0.1:80', '10.77.0.9:443', '10.77.0.33:80'];

function simRunner(sim: SimNet): ScanRunner {
  return (config, options) => {
    const link = createMemoryLink({ batch: 64, responder: sim.respond, maxQueue: 1 << 16 });
    return runScanWith({ ...config, txThreads: 1 }, options, {
      nowMs: () => performance.now(), unixMs: () => Date.now(), cores: 1,
      inline: { link: simLink(), openTx: () => link.tx, rx: link.rx },
    });
  };
}

async function oneSimScan(i: number): Promise<void> {
  const job = scanWith({ targets: '10.77.0.0/26', ports: [80, 443], rate: 2_000_000, seed: BigInt(i), wait: 0 },
    simRunner(new SimNet({ tcpOpen: SIM_OPEN })));
  let n = 0;
  for await (const _ of job) if (++n === 10 && i % 2 === 0) break;
  const s = await job.done;
  if (i % 2 === 1) assert.equal(n, 128);
  assert.equal(s.aborted, i % 2 === 0);
}

interface Measured { fd0: number; fd1: number; rss0: number; rssMid: number; rss1: number; heap0: number; heap1: number }

/**
 * Runs `warm` scans, then `n` measured ones. The warm-up matters for RSS: the first scans
 * grow it to a plateau (malloc keeps the rings' freed pages for reuse), while the JS heap and
 * array buffers stay where they were from the first scan on.
 */
async function measure(what: string, warm: number, n: number, one: (i: number) => Promise<void>): Promise<Measured> {
  for (let i = 0; i < warm; i++) await one(i);
  await settle();
  const fd0 = fds();
  const rss0 = process.memoryUsage().rss;
  const heap0 = process.memoryUsage().heapUsed + process.memoryUsage().arrayBuffers;
  const t0 = performance.now();
  let rssMid = 0;
  for (let i = 0; i < n; i++) {
    await one(i);
    if (i === Math.floor(n / 2)) {
      await settle();
      rssMid = process.memoryUsage().rss;
    }
  }
  await settle();
  const fd1 = fds();
  const rss1 = process.memoryUsage().rss;
  const heap1 = process.memoryUsage().heapUsed + process.memoryUsage().arrayBuffers;
  const mib = (b: number): string => (b / 2 ** 20).toFixed(1);
  console.log(`# ${n} ${what} in ${(performance.now() - t0).toFixed(0)} ms: fds ${fd0} -> ${fd1}, ` +
    `RSS ${mib(rss0)} -> ${mib(rssMid)} -> ${mib(rss1)} MiB, JS heap + buffers ${mib(heap0)} -> ${mib(heap1)} MiB`);
  return { fd0, fd1, rss0, rssMid, rss1, heap0, heap1 };
}

test('100 scans in a row (simulated network): /proc/self/fd and RSS stay flat', { timeout: 60_000 }, async () => {
  const m = await measure('simulated scans', 40, 100, oneSimScan);
  assert.ok(m.fd1 <= m.fd0, `file descriptors ${m.fd0} -> ${m.fd1}`);
  assert.ok(m.heap1 - m.heap0 < 4 * 2 ** 20, `JS heap grew ${((m.heap1 - m.heap0) / 2 ** 20).toFixed(1)} MiB over 100 scans`);
  // RSS: malloc keeps freed ring pages for reuse, so it reaches a plateau rather than staying
  // exactly still; a leak would keep growing through the second half as through the first.
  // The plateau depends on the Node version (measured: Node 20 about 5-30 MiB, Node 22 56.6).
  assert.ok(m.rss1 - m.rss0 < 96 * 2 ** 20, `RSS grew ${((m.rss1 - m.rss0) / 2 ** 20).toFixed(1)} MiB over 100 scans`);
  assert.ok(m.rss1 - m.rssMid < 16 * 2 ** 20, `RSS grew ${((m.rss1 - m.rssMid) / 2 ** 20).toFixed(1)} MiB over the last 50 scans`);
});

test('30 real offline scans in a row (worker threads): /proc/self/fd and RSS stay flat', { timeout: 60_000 }, async () => {
  const m = await measure('offline scans', 5, 30, oneScan);
  assert.ok(m.fd1 <= m.fd0, `file descriptors ${m.fd0} -> ${m.fd1}`);
  assert.ok(m.heap1 - m.heap0 < 4 * 2 ** 20, `JS heap grew ${((m.heap1 - m.heap0) / 2 ** 20).toFixed(1)} MiB over 30 scans`);
  assert.ok(m.rss1 - m.rss0 < 24 * 2 ** 20, `RSS grew ${((m.rss1 - m.rss0) / 2 ** 20).toFixed(1)} MiB over 30 scans`);
});
