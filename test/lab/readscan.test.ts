/**
 * masscan's -oB files read by tidescan: masscan 1.3.2 scans the lab into binary files (in a
 * temp dir), then `masscan --readscan` and `tidescan --readscan` must print the same -oL
 * records, byte for byte (timestamps included); and tidescan's -oB rewrite of such a file must
 * read back identically in masscan. Needs root: fails (never skips) without it.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { readFile } from 'node:fs/promises';
import { createLab, requireRoot, type Lab } from './lab.js';
import { runMasscan, runTidescan, withTempDir, describeRun } from './harness.js';
import { startScenario, TCP4_TARGET, TCP6_TARGET, TCP_PORTS } from './scenario.js';

let lab: Lab;

before(async () => {
  requireRoot();
  lab = await createLab();
  await startScenario(lab, { trickle: true });
});

after(async () => {
  await lab?.destroy();
});

/** Status/banner lines of an -oL file, sorted (header/footer dropped). */
async function listLines(file: string): Promise<string[]> {
  const text = await readFile(file, 'utf8').catch(() => '');
  return text.split('\n').filter((l) => l !== '' && !l.startsWith('#')).sort();
}

const SCANS: Record<string, string[]> = {
  'IPv4 TCP open+closed': [TCP4_TARGET.range, `-p${TCP_PORTS.join(',')}`, '--rate', '10000'],
  'IPv6 TCP open+closed': [TCP6_TARGET.range, `-p${TCP_PORTS.join(',')}`, '--rate', '1000'],
  'UDP open+closed': ['198.18.0.30-198.18.0.33', '-pU:7777,U:7778', '--rate', '1000'],
  'ICMP echo': ['198.18.0.0/28', '--ping', '--rate', '1000'],
};

for (const [what, args] of Object.entries(SCANS)) {
  test(`readscan: masscan 1.3.2 -oB (${what}): masscan --readscan == tidescan --readscan; tidescan -oB re-reads equal`, async () => {
    await withTempDir(async (dir) => {
      const bin = path.join(dir, 'masscan.bin');
      const m = await runMasscan(lab, [...args, '--show', 'closed', '--wait', '3', '-oB', bin], { cwd: dir, maxSeconds: 60 });
      assert.equal(m.code, 0, describeRun(m));
      const theirs = path.join(dir, 'masscan.txt');
      const ours = path.join(dir, 'tidescan.txt');
      const mr = await lab.execScanner('masscan', ['--readscan', bin, '--show', 'closed', '-oL', theirs], { cwd: dir });
      assert.equal(mr.code, 0, describeRun(mr));
      const expected = await listLines(theirs);
      assert.ok(expected.length > 0, `masscan wrote no records: ${describeRun(m)}`);
      const tr = await runTidescan(lab, ['--readscan', bin, '--show', 'closed', '-oL', ours], { cwd: dir });
      assert.equal(tr.code, 0, describeRun(tr));
      assert.deepEqual(await listLines(ours), expected, 'tidescan --readscan differs from masscan --readscan');
      // Round trip through tidescan's binary writer, read back by masscan.
      const rebin = path.join(dir, 'tidescan.bin');
      const back = path.join(dir, 'back.txt');
      const tw = await runTidescan(lab, ['--readscan', bin, '--show', 'closed', '-oB', rebin], { cwd: dir });
      assert.equal(tw.code, 0, describeRun(tw));
      const mb = await lab.execScanner('masscan', ['--readscan', rebin, '--show', 'closed', '-oL', back], { cwd: dir });
      assert.equal(mb.code, 0, describeRun(mb));
      assert.deepEqual(await listLines(back), expected, 'masscan reading tidescan -oB differs');
    });
  });
}
