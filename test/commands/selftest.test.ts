import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { dirname, resolve } from 'node:path';
import {
  runSelftest, runUnits, selftestUnits, SelftestFailure, SELFTEST_SUCCESS, SELFTEST_FAILED, type SelftestUnit,
} from '../../src/commands/selftest.js';
import { Blackrock } from '../../src/target/blackrock.js';
import { DedupTable } from '../../src/engine/dedup.js';

/** The repository root (this file runs as dist/test/commands/selftest.test.js). */
const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');

function unit(name: string): SelftestUnit {
  const u = selftestUnits.find((x) => x.name === name);
  assert.ok(u, `unit ${name} exists`);
  return u;
}

test('runSelftest passes and prints only masscan\'s success line; every unit runs once, in order', async () => {
  const lines: string[] = [];
  const code = await runSelftest((l) => lines.push(l));
  assert.equal(code, 0, lines.join('\n'));
  assert.deepEqual(lines, ['regression test: success!']);
  assert.equal(SELFTEST_SUCCESS, 'regression test: success!');
  const ran: string[] = [];
  const counted = selftestUnits.map((u) => ({ ...u, run: async () => { ran.push(u.name); await u.run(); } }));
  assert.equal(await runUnits(counted, () => undefined), 0);
  assert.deepEqual(ran, selftestUnits.map((u) => u.name));
});

test('selftest is deterministic: two runs print the same thing', async () => {
  const a: string[] = [];
  const b: string[] = [];
  await runSelftest((l) => a.push(l));
  await runSelftest((l) => b.push(l));
  assert.deepEqual(a, b);
});

test('units have unique, non-empty names and descriptions', () => {
  const names = selftestUnits.map((u) => u.name);
  assert.equal(new Set(names).size, names.length);
  for (const u of selftestUnits) {
    assert.match(u.name, /^[a-z0-9_]+$/);
    assert.ok(u.what.length > 0, u.name);
  }
  // The areas the brief and masscan §11 call for.
  for (const n of ['blackrock', 'siphash24', 'syncookie', 'checksum', 'ipv4address', 'ipv6address', 'ports', 'ranges',
    'template', 'receive', 'templ_payloads', 'dedup', 'output_binary']) unit(n);
});

test('a broken unit is reported by name and reason, the others still run, exit 1 with masscan\'s failure line', async () => {
  const ran: string[] = [];
  const units: SelftestUnit[] = [
    { name: 'first', what: 'passes', run: () => { ran.push('first'); } },
    { name: 'broken', what: 'fails a check', run: () => { throw new SelftestFailure('deliberately broken: got 1, expected 2'); } },
    { name: 'crash', what: 'throws something unexpected', run: () => { throw new TypeError('x is not a function\nsecond line'); } },
    { name: 'async_broken', what: 'rejects', run: async () => { await Promise.resolve(); throw new SelftestFailure('later'); } },
    { name: 'last', what: 'passes', run: () => { ran.push('last'); } },
  ];
  const lines: string[] = [];
  const code = await runUnits(units, (l) => lines.push(l));
  assert.equal(code, 1);
  assert.deepEqual(ran, ['first', 'last']);
  assert.deepEqual(lines, [
    '[-] selftest: broken: deliberately broken: got 1, expected 2',
    '[-] selftest: crash: unexpected TypeError: x is not a function\\nsecond line',
    '[-] selftest: async_broken: later',
    'regression test: failed :( ',
  ]);
  assert.equal(SELFTEST_FAILED, 'regression test: failed :( ');
});

test('a real unit catches a broken permutation (shuffle patched to swap two outputs)', async () => {
  const orig = Blackrock.prototype.shuffle;
  Blackrock.prototype.shuffle = function (this: Blackrock, m: number): number {
    const x = orig.call(this, m);
    return this.range === 8 && x === 4 ? 5 : this.range === 8 && x === 5 ? 4 : x;
  };
  try {
    const lines: string[] = [];
    assert.equal(await runUnits([unit('blackrock')], (l) => lines.push(l)), 1);
    assert.equal(lines.length, 2);
    assert.match(lines[0]!, /^\[-\] selftest: blackrock: shuffle\(0\.\.7\) range 8 seed 1 rounds 14: got \[1,2,3,6,0,7,5,4\]/);
  } finally {
    Blackrock.prototype.shuffle = orig;
  }
  assert.equal(await runUnits([unit('blackrock')], () => undefined), 0);
});

test('a real unit catches a dedup table that forgets everything', async () => {
  const orig = DedupTable.prototype.seen4;
  DedupTable.prototype.seen4 = function (): boolean { return false; };
  try {
    const lines: string[] = [];
    assert.equal(await runUnits([unit('dedup')], (l) => lines.push(l)), 1);
    assert.match(lines[0]!, /^\[-\] selftest: dedup: repeat: got false, expected true$/);
  } finally {
    DedupTable.prototype.seen4 = orig;
  }
});

for (const flag of ['--selftest', '--self-test', '--regress']) {
  test(`node bin/tidescan.js ${flag}: success line on stderr, exit 0`, () => {
    const r = spawnSync(process.execPath, ['bin/tidescan.js', flag], { cwd: ROOT, encoding: 'utf8', timeout: 30_000 });
    assert.equal(r.error, undefined);
    assert.equal(r.status, 0, `stderr: ${r.stderr}`);
    assert.equal(r.stderr, 'regression test: success!\n');
    assert.equal(r.stdout, '');
  });
}
