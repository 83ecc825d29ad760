/**
 * Benchmark results as JSON under bench/results/, with what is needed to compare runs: when,
 * on what machine (cores, kernel, node), at which commit. Figures are only ever compared
 * within one file (same run), as ratios against masscan.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { spawnSync } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** Repository root (this file runs from dist/bench/lib/). */
export const BENCH_REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

export interface BenchEnvironment {
  readonly date: string;
  readonly host: { readonly cpus: number; readonly cpuModel: string; readonly kernel: string; readonly node: string };
  readonly commit: string;
  readonly masscan: string;
}

/** A command's stdout, whatever its exit status (`masscan --version` exits 1), or 'unknown'. */
function tryRun(cmd: string, args: string[]): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: 10_000, stdio: ['ignore', 'pipe', 'pipe'] });
  return r.error === undefined && r.stdout.trim() !== '' ? r.stdout.trim() : 'unknown';
}

export function environment(): BenchEnvironment {
  const cpus = os.cpus();
  const mv = tryRun('masscan', ['--version']);
  return {
    date: new Date().toISOString(),
    host: { cpus: cpus.length, cpuModel: cpus[0]?.model ?? 'unknown', kernel: os.release(), node: process.version },
    commit: tryRun('git', ['-C', BENCH_REPO_ROOT, 'rev-parse', '--short', 'HEAD']),
    masscan: /version (\S+)/.exec(mv)?.[1] ?? 'unknown',
  };
}

/** Write `bench/results/<name>.json` (pretty-printed, with the environment) and return its path. */
export async function writeResult(name: string, data: object): Promise<string> {
  const dir = path.join(BENCH_REPO_ROOT, 'bench', 'results');
  await mkdir(dir, { recursive: true });
  const file = path.join(dir, `${name}.json`);
  await writeFile(file, `${JSON.stringify({ benchmark: name, environment: environment(), ...data }, null, 2)}\n`);
  return file;
}

export function fmtPps(pps: number): string {
  return pps >= 1e6 ? `${(pps / 1e6).toFixed(2)} M/s` : `${(pps / 1e3).toFixed(1)} k/s`;
}
