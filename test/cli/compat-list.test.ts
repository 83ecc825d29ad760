/**
 * Compatibility: `tidescan -sL` prints byte for byte what Debian's `masscan -sL` (1.3.2,
 * /usr/bin/masscan) prints, on randomised argument sets: IPv4 and IPv6 ranges, CIDR blocks
 * and single addresses, excludes, TCP/UDP/SCTP ports or none, 64-bit seeds, shards and
 * resume-index/count. Only stdout is compared (masscan writes status lines to stderr).
 *
 * The generator is seeded (TIDESCAN_COMPAT_SEED overrides the default) and prints its seed,
 * so a failure can be replayed.
 *
 * Cases left out on purpose (masscan 1.3.2 behaviour we do not copy, see README):
 * - `--retries` with -sL: masscan walks indexes past the range and can hang; we ignore it.
 * - IPv6 ranges whose end is below their begin: masscan wraps around to 2^128 addresses.
 * - IPv4 forms masscan mangles (`1..2.3`, `a.b.c.d/`): we refuse them.
 * None of these is generated below.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { parse, BIN } from './helpers.js';
import { listPlan } from '../../src/commands/list.js';
import { prng as rng } from '../fuzz/prng.js';

const MASSCAN = '/usr/bin/masscan';
const SEED = Number(process.env['TIDESCAN_COMPAT_SEED'] ?? '20250611');
const CASES = 40;
const MAX_LINES = 150_000;


function gen(r: () => number): string[] {
  const int = (lo: number, hi: number): number => lo + Math.floor(r() * (hi - lo + 1));
  const pick = <T>(xs: readonly T[]): T => xs[int(0, xs.length - 1)]!;
  const ip4 = (): string => [int(1, 223), int(0, 255), int(0, 255), int(0, 255)].join('.');
  const ip4n = (n: number): string => [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
  const group = (): string => (r() < 0.35 ? '0' : int(0, 0xffff).toString(16));
  const ip6 = (): string => ['2001', 'db8', group(), group(), group(), group(), group(), group()].join(':');
  const argv: string[] = ['-sL'];
  const v4 = int(0, 3);
  for (let k = 0; k < v4; k++) {
    const base = int(0x01000000, 0xdfffffff);
    switch (int(0, 2)) {
      case 0: argv.push(`${ip4()}/${int(20, 32)}`); break;
      case 1: argv.push(`${ip4n(base)}-${ip4n(base + int(0, 3000))}`); break;
      default: argv.push(ip4());
    }
  }
  const v6 = r() < 0.5 ? int(1, 2) : 0;
  for (let k = 0; k < v6; k++) {
    if (r() < 0.5) argv.push('--range', `${ip6()}/${int(112, 128)}`);
    else {
      const a = ip6();
      const lastGroup = a.split(':').pop()!;
      const end = a.replace(/[0-9a-f]+$/, (Math.min(0xffff, parseInt(lastGroup, 16) + int(0, 500))).toString(16));
      argv.push('--range', `${a}-${end}`);
    }
  }
  if (v4 === 0 && v6 === 0) argv.push(ip4());
  if (r() < 0.5) {
    // exclude part of a target (or something unrelated)
    const targets = argv.filter((a) => /^[0-9]/.test(a) || a.startsWith('2001'));
    const t = pick(targets);
    const base = t.split(/[/-]/)[0]!;
    argv.push('--exclude', r() < 0.7 ? base : ip4());
    if (r() < 0.3) argv.push('--exclude', `${ip4()}/${int(8, 16)}`);
  }
  if (r() < 0.8) {
    const items: string[] = [];
    const n = int(1, 4);
    for (let k = 0; k < n; k++) {
      const p = int(0, 65535);
      const pre = pick(['', '', '', 'U:', 'T:', 'S:']);
      items.push(r() < 0.3 ? `${pre}${p}-${Math.min(65535, p + int(0, 20))}` : `${pre}${p}`);
    }
    argv.push('-p', items.join(','));
  }
  argv.push('--seed', (BigInt(int(0, 0xffffffff)) * 4294967296n + BigInt(int(0, 0xffffffff))).toString());
  if (r() < 0.4) {
    const of = int(2, 5);
    argv.push('--shard', `${int(1, of)}/${of}`);
  }
  if (r() < 0.35) argv.push('--resume-index', String(int(0, 3000)));
  if (r() < 0.35) argv.push('--resume-count', String(int(1, 5000)));
  return argv;
}

/** Generates one argument set that parses and lists at most MAX_LINES lines. */
function nextCase(r: () => number): string[] {
  for (;;) {
    const argv = gen(r);
    try {
      const plan = listPlan(parse(argv));
      if (plan.end - plan.start > MAX_LINES * plan.step) continue;
      return argv;
    } catch {
      continue; // e.g. everything excluded
    }
  }
}

test(`-sL matches masscan 1.3.2 byte for byte on ${CASES} random argument sets (seed ${SEED})`, () => {
  assert.ok(existsSync(MASSCAN), 'masscan 1.3.2 must be installed (scripts/setup.sh installs it)');
  console.log(`# compat-list seed ${SEED} (set TIDESCAN_COMPAT_SEED to replay)`);
  const r = rng(SEED);
  let withV6 = 0;
  let withShard = 0;
  let withResume = 0;
  let withExclude = 0;
  let withUdp = 0;
  for (let k = 0; k < CASES; k++) {
    const argv = nextCase(r);
    const line = argv.join(' ');
    if (line.includes('2001:')) withV6++;
    if (line.includes('--shard')) withShard++;
    if (line.includes('--resume')) withResume++;
    if (line.includes('--exclude')) withExclude++;
    if (line.includes('U:')) withUdp++;
    const m = spawnSync(MASSCAN, argv, { maxBuffer: 64 << 20, timeout: 60_000 });
    assert.equal(m.status, 0, `masscan ${line}: ${String(m.stderr)}`);
    const t = spawnSync(process.execPath, [BIN, ...argv], {
      maxBuffer: 64 << 20, timeout: 60_000, env: { ...process.env, TIDESCAN_NO_DEFAULT_CONFIG: '1' },
    });
    assert.equal(t.status, 0, `tidescan ${line}: ${String(t.stderr)}`);
    if (!Buffer.from(t.stdout).equals(Buffer.from(m.stdout))) {
      const a = String(m.stdout).split('\n');
      const b = String(t.stdout).split('\n');
      let i = 0;
      while (i < a.length && a[i] === b[i]) i++;
      assert.fail(`case ${k} differs at line ${i + 1}: masscan ${JSON.stringify(a[i])} tidescan ${JSON.stringify(b[i])}\n  args: ${line}`);
    }
  }
  // the generator must actually cover what it claims
  assert.ok(withV6 >= 5 && withShard >= 5 && withResume >= 5 && withExclude >= 5 && withUdp >= 5,
    `coverage v6=${withV6} shard=${withShard} resume=${withResume} exclude=${withExclude} udp=${withUdp}`);
});
