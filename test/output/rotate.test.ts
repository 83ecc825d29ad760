/** --rotate (time, aligned, with offset), --rotate-size, --rotate-dir, with an injected clock. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { OutputSet, nextBoundary, rotateStamp } from '../../src/output/outputs.js';
import { META, SAMPLE, options, rmDir, testIo, tmpDir, xmlValid } from './helpers.js';

test('rotate: period boundaries are aligned and shifted by the offset', () => {
  assert.equal(nextBoundary(1700000010, 60, 0), 1700000040);
  assert.equal(nextBoundary(1700000040, 60, 0), 1700000100);
  assert.equal(nextBoundary(1700000010, 3600, 0), 1700002800);
  assert.equal(nextBoundary(1700000010, 3600, 600), 1700003400);
  assert.equal(nextBoundary(1699999700, 3600, 600), 1699999800);
  assert.equal(nextBoundary(1700000010, 86400, 0), 1700006400);
  assert.equal(rotateStamp(1700000010), '231114-221330');
  // The stamp is local time (helpers.ts pins TZ=UTC): 5:30 ahead it is already the next day.
  process.env.TZ = 'Asia/Kolkata';
  try {
    assert.equal(rotateStamp(1700000010), '231115-034330');
  } finally {
    process.env.TZ = 'UTC';
  }
});

test('rotate: time based; finished files move to rotate-dir as YYMMDD-HHMMSS-NAME, each complete', () => {
  const dir = tmpDir('rot');
  try {
    const clock = { ms: 1700000010_000 };
    const out = path.join(dir, 'scan.json');
    const xml = path.join(dir, 'scan.xml');
    const rdir = path.join(dir, 'old');
    const set = OutputSet.open(options({
      outputs: [{ format: 'json', filename: out }, { format: 'xml', filename: xml }],
      rotateSeconds: 60, rotateDir: rdir,
    }), META, testIo(clock));
    set.write(SAMPLE[0]!);
    set.write(SAMPLE[1]!);
    clock.ms = 1700000041_000; // past the :40 boundary
    set.write(SAMPLE[2]!);
    clock.ms = 1700000170_000; // two boundaries later, rotated on flush with no record
    set.flush();
    set.write(SAMPLE[3]!);
    set.closeAll();
    const moved = fs.readdirSync(rdir).sort();
    assert.deepEqual(moved, [
      '231114-221330-scan.json', '231114-221330-scan.xml',
      '231114-221401-scan.json', '231114-221401-scan.xml',
    ]);
    const count = (f: string): number => (JSON.parse(fs.readFileSync(f, 'latin1')) as unknown[]).length;
    assert.equal(count(path.join(rdir, moved[0]!)), 2);
    assert.equal(count(path.join(rdir, moved[2]!)), 1);
    assert.equal(count(out), 1);
    for (const f of [path.join(rdir, moved[1]!), path.join(rdir, moved[3]!), xml]) assert.equal(xmlValid(f), '');
  } finally {
    rmDir(dir);
  }
});

test('rotate: size based; BASE-NNNNN.EXT, no record lost, every file complete', () => {
  const dir = tmpDir('rotsize');
  try {
    const out = path.join(dir, 'scan.json');
    const set = OutputSet.open(options({
      outputs: [{ format: 'json', filename: out }], rotateSize: 400, rotateDir: dir,
    }), META, testIo());
    const n = 40;
    for (let i = 0; i < n; i++) set.write(SAMPLE[i % 4]!);
    set.closeAll();
    const files = fs.readdirSync(dir).filter((f) => /^scan-\d{5}\.json$/.test(f)).sort();
    assert.ok(files.length >= 5, files.join(' '));
    assert.equal(files[0], 'scan-00000.json');
    let total = 0;
    for (const f of [...files.map((x) => path.join(dir, x)), out]) {
      const arr = JSON.parse(fs.readFileSync(f, 'latin1')) as unknown[];
      total += arr.length;
    }
    assert.equal(total, n);
  } finally {
    rmDir(dir);
  }
});

test('rotate: outputs to stdout never rotate', () => {
  const dir = tmpDir('rotstdout');
  try {
    const cap = path.join(dir, 'stdout.txt');
    const fd = fs.openSync(cap, 'w');
    const clock = { ms: 1700000010_000 };
    const set = OutputSet.open(options({ outputs: [{ format: 'list', filename: '-' }], rotateSeconds: 1, rotateDir: dir }),
      META, { ...testIo(clock), stdoutFd: fd });
    set.write(SAMPLE[0]!);
    clock.ms += 5000;
    set.write(SAMPLE[1]!);
    set.closeAll();
    fs.closeSync(fd);
    assert.equal(fs.readFileSync(cap, 'latin1').split('\n').filter((l) => !l.startsWith('#') && l !== '').length, 2);
    assert.deepEqual(fs.readdirSync(dir), ['stdout.txt']);
  } finally {
    rmDir(dir);
  }
});
