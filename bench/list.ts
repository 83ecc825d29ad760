/**
 * -sL speed, tidescan against masscan in the same run: `-sL 10.0.0.0/8 -p80,443 --seed 1`
 * (33.5 M lines) to /dev/null, each as a child process, alternating, best of N runs (the
 * figure is what each program can do, not what a busy machine let it do). Prints both times
 * (wall and CPU) and the ratios masscan/tidescan (> 1: tidescan is faster), and writes
 * bench/results/list.json.
 *
 * Run after a build: `node dist/bench/list.js [--runs N] [--args "..."]`.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { availableParallelism, loadavg } from 'node:os';
import { writeResult, BENCH_REPO_ROOT } from './lib/results.js';

const bin = join(BENCH_REPO_ROOT, 'bin', 'tidescan.js');
const MASSCAN = '/usr/bin/masscan';

function argValue(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

const runs = Number(argValue('--runs') ?? '3');
const args = (argValue('--args') ?? '-sL 10.0.0.0/8 -p80,443 --seed 1').split(/\s+/);

interface Timing { wall: number; cpu: number }

/** Wall time and CPU time (user + sys, all threads) of one run, stdout to /dev/null. */
function timeOnce(cmd: string, argv: string[]): Timing {
  // bash's `time` reports the child's CPU time; the program's own stderr is discarded.
  const script = 'TIMEFORMAT="%3U %3S"; time ("$0" "$@" >/dev/null 2>/dev/null)';
  const t0 = process.hrtime.bigint();
  const r = spawnSync('bash', ['-c', script, cmd, ...argv], { encoding: 'utf8', timeout: 600_000 });
  const wall = Number(process.hrtime.bigint() - t0) / 1e9;
  if (r.status !== 0) throw new Error(`${cmd} ${argv.join(' ')} exited with ${r.status ?? r.signal}: ${r.stderr}`);
  const m = /([0-9.]+) ([0-9.]+)\s*$/.exec(r.stderr);
  const cpu = m === null ? NaN : Number(m[1]) + Number(m[2]);
  return { wall, cpu };
}

if (!existsSync(MASSCAN)) {
  console.error(`[-] bench/list: ${MASSCAN} not found (apt-get install masscan)`);
  process.exit(1);
}
const tide: Timing[] = [];
const mass: Timing[] = [];
for (let r = 0; r < runs; r++) {
  mass.push(timeOnce(MASSCAN, args));
  tide.push(timeOnce(process.execPath, [bin, ...args]));
}
const best = (xs: Timing[], k: keyof Timing): number => Math.min(...xs.map((x) => x[k]));
const result = {
  args: args.join(' '),
  runs,
  cores: availableParallelism(),
  loadavg1: loadavg()[0],
  tidescanSeconds: best(tide, 'wall'),
  masscanSeconds: best(mass, 'wall'),
  tidescanCpuSeconds: best(tide, 'cpu'),
  masscanCpuSeconds: best(mass, 'cpu'),
  ratio: best(mass, 'wall') / best(tide, 'wall'),
  cpuRatio: best(mass, 'cpu') / best(tide, 'cpu'),
  tidescanAll: tide,
  masscanAll: mass,
};
const fmt = (w: number, c: number): string => `${w.toFixed(2)} s wall, ${c.toFixed(2)} s CPU`;
console.log(`tidescan ${args.join(' ')}: ${fmt(result.tidescanSeconds, result.tidescanCpuSeconds)} (best of ${runs})`);
console.log(`masscan  ${args.join(' ')}: ${fmt(result.masscanSeconds, result.masscanCpuSeconds)} (best of ${runs})`);
console.log(`ratio masscan/tidescan: ${result.ratio.toFixed(2)}x wall (${result.ratio >= 1 ? 'tidescan faster' : 'masscan faster'}), `
  + `${result.cpuRatio.toFixed(2)}x CPU; load average ${result.loadavg1.toFixed(2)} on ${result.cores} cores`);
console.log(`results: ${await writeResult('list', result)}`);
