import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { dirname, resolve } from 'node:path';
import { benchmarkItems, formatRow, measure, runBenchmark, runBenchmarkResults } from '../../src/commands/benchmark.js';

/** The repository root (this file runs as dist/test/commands/benchmark.test.js). */
const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');

const NAMES = [
  'blackrock.shuffle', 'blackrock.shuffleBatch', 'siphash.cookie4', 'siphash.cookie6', 'template.syn4',
  'template.udp4', 'template.syn6', 'decode.synack', 'receive.classify', 'offline.transmit',
];

/** Rows of the table: name, ops/s, ns/op. */
function rows(lines: readonly string[]): Map<string, { ops: number; ns: number }> {
  const m = new Map<string, { ops: number; ns: number }>();
  for (const l of lines) {
    const f = /^(\S+)\s+(\d+)\s+(\d+\.\d)$/.exec(l);
    if (f !== null) m.set(f[1]!, { ops: Number(f[2]), ns: Number(f[3]) });
  }
  return m;
}

test('the item list covers the permutation, cookies, templates, decode, classify and the offline path', () => {
  assert.deepEqual(benchmarkItems.map((i) => i.name), NAMES);
});

test('measure: at least one timed call, ops and best rate from the injected clock', () => {
  let t = 0;
  const now = (): number => t;
  // Every call of n operations takes n/1000 ms on this fake clock: 1 M ops/s.
  const run = (n: number): number => { t += n / 1000; return n; };
  const r = measure(run, 40, now);
  // The clock moves only inside `run`, 1 µs per op: the timed calls' ops are exactly their
  // seconds x 1e6 (warm-up calls excluded), over at least the 3/4 of the budget timed.
  assert.ok(Math.abs(r.ops - r.seconds * 1e6) < 1e-6, `${r.ops} ops in ${r.seconds} s`);
  assert.ok(r.seconds >= 0.03 - 1e-9, `${r.seconds}`);
  assert.ok(Math.abs(r.best - 1e6) < 1, `${r.best}`);
  // A zero budget still times one call.
  let calls = 0;
  const r0 = measure((n) => { calls++; t += 1; return n; }, 0, now);
  assert.ok(calls >= 2 && r0.ops > 0);
});

test('runBenchmark (short budget): every row printed with a positive rate, exit code 0', async () => {
  const lines: string[] = [];
  const results = await runBenchmarkResults(undefined, { budgetMs: 400, out: (l) => lines.push(l) });
  assert.deepEqual(results.map((r) => r.name), NAMES);
  for (const r of results) {
    assert.ok(Number.isFinite(r.opsPerSec) && r.opsPerSec > 0, `${r.name}: ${r.opsPerSec}`);
    assert.ok(Math.abs(r.nsPerOp * r.opsPerSec - 1e9) < 1, r.name);
    assert.ok(r.ops > 0 && r.seconds > 0, r.name);
  }
  assert.equal(lines.length, 2 + NAMES.length);
  assert.match(lines[0]!, /benchmark: node v\d+.*no network/);
  assert.deepEqual([...rows(lines).keys()], NAMES);
  assert.equal(lines[2], formatRow(results[0]!));
  assert.equal(await runBenchmark(undefined, { budgetMs: 20, out: () => undefined, only: ['siphash.cookie4'] }), 0);
});

test('--blackrock-rounds is honoured, "only" filters', async () => {
  const lines: string[] = [];
  const r = await runBenchmarkResults({ blackrockRounds: 4 } as Parameters<typeof runBenchmarkResults>[0],
    { budgetMs: 40, out: (l) => lines.push(l), only: ['blackrock.shuffle', 'offline.transmit'] });
  assert.deepEqual(r.map((x) => x.name), ['blackrock.shuffle', 'offline.transmit']);
  assert.match(lines[0]!, /blackrock rounds 4$/);
});

test('node bin/tidescan.js --benchmark: a row per item with a positive rate, exit 0', () => {
  const r = spawnSync(process.execPath, ['bin/tidescan.js', '--benchmark'], {
    cwd: ROOT, encoding: 'utf8', timeout: 60_000, env: { ...process.env, TIDESCAN_BENCHMARK_MS: '500' },
  });
  assert.equal(r.error, undefined);
  assert.equal(r.status, 0, `stderr: ${r.stderr}`);
  const table = rows(r.stdout.split('\n'));
  assert.deepEqual([...table.keys()], NAMES, r.stdout);
  for (const [name, v] of table) {
    assert.ok(v.ops > 0, `${name}: ${v.ops} ops/s`);
    assert.ok(v.ns > 0, `${name}: ${v.ns} ns/op`);
  }
  assert.match(r.stdout, /0\.5 s/);
});

test('node bin/tidescan.js --benchmark | head -1: stops early, exit 0, no EPIPE crash', async () => {
  const { spawn } = await import('node:child_process');
  const child = spawn(process.execPath, ['bin/tidescan.js', '--benchmark'], {
    cwd: ROOT, env: { ...process.env, TIDESCAN_BENCHMARK_MS: '3000' }, stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (c: Buffer) => { stderr += c.toString(); });
  const killer = setTimeout(() => child.kill('SIGKILL'), 20_000);
  const t0 = performance.now();
  // Like `head -1`: read the first chunk, then close our end of the pipe.
  await new Promise<void>((res) => child.stdout.once('data', () => { child.stdout.destroy(); res(); }));
  const code = await new Promise<number | null>((res) => child.on('close', (c) => res(c)));
  clearTimeout(killer);
  assert.equal(code, 0, stderr);
  assert.doesNotMatch(stderr, /EPIPE|Error/);
  assert.ok(performance.now() - t0 < 2500, 'it stopped instead of running the whole 3 s budget');
});
