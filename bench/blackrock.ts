/**
 * Blackrock throughput: shuffles per second for realistic scan sizes (a /8 x 1 port, the IPv4
 * Internet x 1 port, the Internet x 100 ports, ranges near 2^48 and 2^53), for the one-at-a-time
 * `shuffle` and the two-lane `shuffleBatch`.
 *
 * Timing uses this process's user CPU time and keeps the best of 5 runs, so a busy machine
 * (other processes sharing the cores) does not lower the figure much; wall time is printed too.
 * Run: `node dist/bench/blackrock.js [--json]`.
 */
import { Blackrock } from '../src/target/blackrock.js';

interface Result {
  name: string;
  range: number;
  shuffleMPerSec: number;
  batchMPerSec: number;
  shuffleWallMPerSec: number;
}

function cpuSeconds(): number {
  return process.cpuUsage().user / 1e6;
}

let sink = 0;

function bench(name: string, range: number, seed: bigint, n: number): Result {
  const br = new Blackrock(range, seed);
  const step = Math.max(1, Math.floor(range / n));
  for (let i = 0; i < 200_000; i++) sink += br.shuffle(i % range); // warm-up
  let best = Infinity;
  let bestWall = Infinity;
  for (let rep = 0; rep < 5; rep++) {
    const w0 = process.hrtime.bigint();
    const t0 = cpuSeconds();
    for (let i = 0, x = rep; i < n; i++, x += step) {
      if (x >= range) x -= range;
      sink += br.shuffle(x);
    }
    best = Math.min(best, cpuSeconds() - t0);
    bestWall = Math.min(bestWall, Number(process.hrtime.bigint() - w0) / 1e9);
  }
  const inp = new Float64Array(1024);
  const out = new Float64Array(1024);
  let bestBatch = Infinity;
  for (let rep = 0; rep < 5; rep++) {
    const t0 = cpuSeconds();
    let x = rep;
    for (let i = 0; i < n; i += 1024) {
      for (let k = 0; k < 1024; k++) {
        inp[k] = x;
        x += step;
        if (x >= range) x -= range;
      }
      br.shuffleBatch(inp, out, 1024);
      sink += out[7];
    }
    bestBatch = Math.min(bestBatch, cpuSeconds() - t0);
  }
  return {
    name,
    range,
    shuffleMPerSec: n / best / 1e6,
    batchMPerSec: n / bestBatch / 1e6,
    shuffleWallMPerSec: n / bestWall / 1e6,
  };
}

const json = process.argv.includes('--json');
const n = 2_000_000;
const results: Result[] = [
  bench('10.0.0.0/8 x 1 port', 2 ** 24, 0x1234n, n),
  bench('0.0.0.0/0 x 1 port', 2 ** 32, 1n, n),
  bench('0.0.0.0/0 x 100 ports', 2 ** 32 * 100, 12345678901234567890n, n),
  bench('range 2^48 - 12345', 2 ** 48 - 12345, 7n, n),
  bench('range 2^53 - 1', 2 ** 53 - 1, 0xdeadbeefcafebaben, n),
];
if (sink === -1) console.log('');
if (json) {
  console.log(JSON.stringify({ bench: 'blackrock', rounds: 14, results }, null, 2));
} else {
  for (const r of results) {
    console.log(
      `${r.name.padEnd(24)} shuffle ${r.shuffleMPerSec.toFixed(2)} M shuffles/s` +
        ` (wall ${r.shuffleWallMPerSec.toFixed(2)}), shuffleBatch ${r.batchMPerSec.toFixed(2)} M shuffles/s`,
    );
  }
}
