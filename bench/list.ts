/**
 * -sL speed, tidescan against masscan in the same run: `-sL 10.0.0.0/8 -p80,443 --seed 1`
 * (33.5 M lines) to /dev/null, each as a child process, alternating, best of N runs (the
 * figure is what each program can do, not what a busy machine let it do). Prints both times
 * and the ratio masscan/tidescan (> 1: tidescan is faster) and writes
 * bench/results/list.json.
 *
 * Run after a build: `node dist/bench/list.js [--runs N] [--args "..."]`.
 */
import { spawnSync } from 'node:child_process';
import { openSync, closeSync, mkdirSync, writeFileSync, existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import { availableParallelism, loadavg } from 'node:os';

const here = dirname(fileURLToPath(import.meta.url));
const repo = join(here, '..', '..');
const bin = join(repo, 'bin', 'tidescan.js');
const MASSCAN = '/usr/bin/masscan';

function argValue(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

const runs = Number(argValue('--runs') ?? '3');
const args = (argValue('--args') ?? '-sL 10.0.0.0/8 -p80,443 --seed 1').split(/\s+/);

function timeOnce(cmd: string, argv: string[]): number {
  const out = openSync('/dev/null', 'w');
  try {
    const t0 = process.hrtime.bigint();
    const r = spawnSync(cmd, argv, { stdio: ['ignore', out, 'ignore'], timeout: 600_000 });
    const secs = Number(process.hrtime.bigint() - t0) / 1e9;
    if (r.status !== 0) throw new Error(`${cmd} ${argv.join(' ')} exited with ${r.status ?? r.signal}`);
    return secs;
  } finally {
    closeSync(out);
  }
}

if (!existsSync(MASSCAN)) {
  console.error(`[-] bench/list: ${MASSCAN} not found (apt-get install masscan)`);
  process.exit(1);
}
const tide: number[] = [];
const mass: number[] = [];
for (let r = 0; r < runs; r++) {
  mass.push(timeOnce(MASSCAN, args));
  tide.push(timeOnce(process.execPath, [bin, ...args]));
}
const best = (xs: number[]): number => Math.min(...xs);
const result = {
  bench: 'list',
  args: args.join(' '),
  runs,
  cores: availableParallelism(),
  loadavg1: loadavg()[0],
  tidescanSeconds: best(tide),
  masscanSeconds: best(mass),
  tidescanAll: tide,
  masscanAll: mass,
  ratio: best(mass) / best(tide),
  date: new Date().toISOString(),
};
console.log(`tidescan ${args.join(' ')}: ${result.tidescanSeconds.toFixed(2)} s (best of ${runs})`);
console.log(`masscan  ${args.join(' ')}: ${result.masscanSeconds.toFixed(2)} s (best of ${runs})`);
console.log(`ratio masscan/tidescan: ${result.ratio.toFixed(2)}x (${result.ratio >= 1 ? 'tidescan faster' : 'masscan faster'})`);
mkdirSync(join(repo, 'bench', 'results'), { recursive: true });
writeFileSync(join(repo, 'bench', 'results', 'list.json'), `${JSON.stringify(result, null, 2)}\n`);
