/**
 * The offline probe generator: how many SYN probes per second the transmit loop can build
 * without sending them (DESIGN.md §3: a prototype made 4.0-4.8 M/s on this kind of machine;
 * the goal is >= 4 M/s on one thread).
 *
 * Per probe, exactly what a transmit worker does: x = blackrock(i) (two-lane shuffleBatch over
 * a batch of indexes), (ip, port) = picker.pickScan(x), cookie = SipHash(...), the SYN
 * template patched into the next of 1024 slots (ProbeSet4.fillTarget: slot-kind check, cookie,
 * 18 bytes, two checksums), and its length stored for the send call.
 *
 * Targets: 198.18.0.0/15 (RFC 2544) x 64 ports (the first 64 of masscan's --top-ports table,
 * which is 40 separate ranges: a realistic port pick). One pass over the whole index space
 * (8,388,608 probes) per run, best of several runs; then the same split over 2 worker threads
 * (indexSlice), timed from a shared start signal. Then each piece alone, in ns per call.
 *
 * Run: `node dist/bench/probe.js [--quick]`; writes bench/results/probe.json.
 * Profile: `node --cpu-prof --cpu-prof-dir=/tmp/prof dist/bench/probe.js --single`.
 */
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import { fileURLToPath } from 'node:url';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import { Blackrock } from '../src/target/blackrock.js';
import { Picker, Target } from '../src/target/picker.js';
import { buildPlan, type ScanPlan } from '../src/target/plan.js';
import { RangeList4, RangeList6 } from '../src/target/range-list.js';
import { PortList, topPorts } from '../src/target/ports.js';
import { indexSlice } from '../src/target/shard.js';
import { CookieKey, cookie4 } from '../src/crypto/cookie.js';
import { ProbeSet4 } from '../src/probes/probe-set.js';
import { TcpTemplate4 } from '../src/probes/tcp-syn.js';
import { SourceChooser } from '../src/link/source.js';
import { writeResult, fmtPps } from './lib/results.js';

const SEED = 0x5eed_1234_abcdn;
const SLOTS = 1024;
const SLOT_SIZE = 64;
const SRC_IP = 0x0afa0001; // 10.250.0.1, the lab's scanner address
const SRC_PORT = 40000;
const MAC_US = Uint8Array.of(0x02, 0x50, 0, 0, 0, 1);
const MAC_ROUTER = Uint8Array.of(0x02, 0x50, 0, 0, 0, 2);

function makePlan(): ScanPlan {
  const t4 = RangeList4.fromRanges([{ begin: 0xc6120000, end: 0xc613ffff }]); // 198.18.0.0/15
  const ports = new PortList(topPorts(64).map((p) => ({ begin: p, end: p })));
  return buildPlan({
    include4: t4, include6: new RangeList6(), exclude4: new RangeList4(), exclude6: new RangeList6(),
    ports, excludePorts: new PortList(), hasExclude4: false,
  });
}

let sink = 0;

/** The generator loop over i = start, start+step, ... < end. Returns probes made. */
function generate(plan: ScanPlan, start: number, end: number, step: number): number {
  const br = new Blackrock(plan.range, SEED, 14);
  const picker = new Picker(plan);
  const key = new CookieKey(SEED);
  const set = new ProbeSet4({ srcMac: MAC_US, dstMac: MAC_ROUTER, srcIp: SRC_IP }, key, SLOTS);
  const frames = new Uint8Array(SLOTS * SLOT_SIZE);
  const lens = new Uint16Array(SLOTS);
  const idx = new Float64Array(SLOTS);
  const xs = new Float64Array(SLOTS);
  const t = new Target();
  const src = new SourceChooser(key, { begin: SRC_IP, end: SRC_IP }, { begin: SRC_PORT, end: SRC_PORT });
  let made = 0;
  for (let i = start; i < end;) {
    // One batch: the indexes, their shuffles, then one probe per slot.
    let n = 0;
    for (; n < SLOTS && i < end; n++, i += step) idx[n] = i;
    br.shuffleBatch(idx, xs, n);
    for (let k = 0; k < n; k++) {
      picker.pickScan(xs[k], t);
      lens[k] = set.fillTarget(frames, k * SLOT_SIZE, k, t, src);
    }
    // "Send": touch the batch so nothing is optimised away.
    sink = (sink + lens[n - 1] + frames[(n - 1) * SLOT_SIZE + 41]) | 0;
    made += n;
  }
  return made;
}

function now(): number {
  return Number(process.hrtime.bigint()) / 1e9;
}

/**
 * CPU seconds of the calling thread (user + system) from /proc/thread-self/stat, so figures
 * hold on a machine shared with other work; NaN where /proc is missing. Resolution: 10 ms.
 */
function threadCpu(): number {
  try {
    const stat = readFileSync('/proc/thread-self/stat', 'latin1');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) / 100; // utime, stime in clock ticks (USER_HZ 100)
  } catch {
    return NaN;
  }
}

/** ns per call of each piece alone, over `n` calls with scan-like inputs. */
function pieces(plan: ScanPlan, n: number): Record<string, number> {
  const br = new Blackrock(plan.range, SEED, 14);
  const picker = new Picker(plan);
  const key = new CookieKey(SEED);
  const tpl = new TcpTemplate4({ srcMac: MAC_US, dstMac: MAC_ROUTER, srcIp: SRC_IP });
  const set = new ProbeSet4({ srcMac: MAC_US, dstMac: MAC_ROUTER, srcIp: SRC_IP }, key, SLOTS);
  const frames = new Uint8Array(SLOTS * SLOT_SIZE);
  for (let k = 0; k < SLOTS; k++) tpl.writeBase(frames, k * SLOT_SIZE);
  const range = plan.range;
  const t = new Target();
  const idx = new Float64Array(SLOTS);
  const xs = new Float64Array(SLOTS);
  const out: Record<string, number> = {};
  const time = (name: string, f: () => void): void => {
    f(); // warm-up
    let best = Infinity;
    for (let r = 0; r < 3; r++) {
      const t0 = now();
      f();
      best = Math.min(best, now() - t0);
    }
    out[name] = (best * 1e9) / n;
  };
  time('shuffle', () => { for (let i = 0; i < n; i++) sink += br.shuffle(i % range); });
  time('shuffleBatch', () => {
    for (let i = 0; i < n; i += SLOTS) {
      for (let k = 0; k < SLOTS; k++) idx[k] = (i + k) % range;
      br.shuffleBatch(idx, xs, SLOTS);
      sink += xs[7];
    }
  });
  // Spread x over the whole space as shuffled indexes are.
  const stride = 2654435761 % range;
  time('pick', () => { for (let i = 0, x = 0; i < n; i++) { picker.pickScan(x, t); sink += t.port; x += stride; if (x >= range) x -= range; } });
  time('cookie', () => { for (let i = 0; i < n; i++) sink += cookie4(key, 0xc6120000 + (i & 0x1ffff), i & 63, SRC_IP, SRC_PORT); });
  time('patch', () => {
    for (let i = 0; i < n; i++) {
      const k = i & (SLOTS - 1);
      sink += tpl.patch(frames, k * SLOT_SIZE, SRC_IP, 0xc6120000 + (i & 0x1ffff), i & 63, SRC_PORT, Math.imul(i, 0x9e3779b1));
    }
  });
  const src = new SourceChooser(key, { begin: SRC_IP, end: SRC_IP }, { begin: SRC_PORT, end: SRC_PORT });
  time('fillTarget (cookie + patch)', () => {
    for (let i = 0; i < n; i++) {
      const k = i & (SLOTS - 1);
      t.ip4 = 0xc6120000 + (i & 0x1ffff);
      t.port = i & 63;
      sink += set.fillTarget(frames, k * SLOT_SIZE, k, t, src);
    }
  });
  return out;
}

interface WorkerJob { thread: number; threads: number; go: SharedArrayBuffer }

function workerMain(): void {
  const job = workerData as WorkerJob;
  const plan = makePlan();
  const s = indexSlice({ range: plan.range, shardOne: 1, shardOf: 1, resumeIndex: 0, resumeCount: 0, threads: job.threads, thread: job.thread });
  // Warm up on a small prefix, then wait for the common start.
  generate(plan, s.start, Math.min(s.end, s.start + s.step * 300_000), s.step);
  const go = new Int32Array(job.go);
  Atomics.add(go, 1, 1);
  Atomics.notify(go, 1);
  while (Atomics.load(go, 0) === 0) Atomics.wait(go, 0, 0, 50);
  const t0 = now();
  const c0 = threadCpu();
  const made = generate(plan, s.start, s.end, s.step);
  parentPort!.postMessage({ made, seconds: now() - t0, cpu: threadCpu() - c0, sink });
}

async function threaded(threads: number): Promise<{ probes: number; seconds: number; pps: number; cpuPps: number }> {
  const go = new SharedArrayBuffer(8);
  const g = new Int32Array(go);
  const self = fileURLToPath(import.meta.url);
  const workers = Array.from({ length: threads }, (_, thread) => new Worker(self, { workerData: { thread, threads, go } satisfies WorkerJob }));
  const results = workers.map((w) => new Promise<{ made: number; seconds: number; cpu: number }>((resolve, reject) => {
    w.once('message', (m: { made: number; seconds: number; cpu: number }) => resolve(m));
    w.once('error', reject);
  }));
  // Wait (bounded) for every worker to be warm, then start them together.
  const deadline = Date.now() + 60_000;
  while (Atomics.load(g, 1) < threads && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
  const t0 = now();
  Atomics.store(g, 0, 1);
  Atomics.notify(g, 0);
  const done = await Promise.all(results);
  const wall = now() - t0;
  await Promise.all(workers.map((w) => w.terminate()));
  const probes = done.reduce((a, r) => a + r.made, 0);
  const seconds = Math.max(wall, ...done.map((r) => r.seconds));
  // CPU-time view: each thread's own rate, summed (what the threads would do on idle cores).
  const cpuPps = done.reduce((a, r) => a + r.made / r.cpu, 0);
  return { probes, seconds, pps: probes / seconds, cpuPps };
}

async function main(): Promise<void> {
  const quick = process.argv.includes('--quick');
  const singleOnly = process.argv.includes('--single');
  const plan = makePlan();
  console.log(`probe generator: 198.18.0.0/15 x ${plan.nports} ports = ${plan.range} probes per pass, ${SLOTS} slots of ${SLOT_SIZE} B`);
  generate(plan, 0, Math.min(plan.range, 500_000), 1); // warm-up
  const runs: number[] = [];
  const cpuRuns: number[] = [];
  for (let r = 0; r < (quick ? 2 : 4); r++) {
    const t0 = now();
    const c0 = threadCpu();
    const made = generate(plan, 0, plan.range, 1);
    const s = now() - t0;
    const c = threadCpu() - c0;
    runs.push(made / s);
    cpuRuns.push(made / c);
    console.log(`  1 thread, run ${r + 1}: ${fmtPps(made / s)} wall (${(s * 1e9 / made).toFixed(1)} ns/probe), ${fmtPps(made / c)} per CPU-second`);
  }
  const single = Math.max(...runs);
  const singleCpu = Math.max(...cpuRuns.filter((x) => Number.isFinite(x)));
  if (singleOnly) return;
  const two = await threaded(2);
  console.log(`  2 threads: ${fmtPps(two.pps)} wall (${two.probes} probes in ${two.seconds.toFixed(3)} s), ${fmtPps(two.cpuPps)} by CPU time`);
  const per = pieces(plan, quick ? 1_000_000 : 4_000_000);
  console.log('  pieces alone (ns per call):');
  for (const [k, v] of Object.entries(per)) console.log(`    ${k.padEnd(22)} ${v.toFixed(1)}`);
  const file = await writeResult('probe', {
    targets: '198.18.0.0/15', ports: plan.nports, probesPerPass: plan.range, slots: SLOTS,
    singleThread: {
      probesPerSec: Math.round(single), nsPerProbe: 1e9 / single, runs: runs.map(Math.round),
      probesPerCpuSec: Math.round(singleCpu), cpuRuns: cpuRuns.map(Math.round),
    },
    twoThreads: { probesPerSec: Math.round(two.pps), probes: two.probes, seconds: two.seconds, probesPerCpuSec: Math.round(two.cpuPps) },
    loadAverage: os.loadavg(),
    nsPerPiece: per,
    goal: { probesPerSec: 4_000_000, met: single >= 4_000_000 },
    sink,
  });
  console.log(`wrote ${file}`);
}

if (isMainThread) {
  main().catch((e: unknown) => {
    console.error(e);
    process.exitCode = 1;
  });
} else {
  workerMain();
}
