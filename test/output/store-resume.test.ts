/**
 * --store-resume (src/output/store/resume.ts) against a real SQLite file: a first run makes
 * the shard's row; a run killed before its end leaves the row `running` with the resume index
 * of its last committed batch; the next run of the same shard takes that row over (attempt 2)
 * and starts at that index; once the row is done, a further run sends nothing. Without the
 * option every run is a new row from the start. (The same through PostgreSQL and real
 * scans: test/lab/fleet.test.ts.)
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { openStore, scanInfoFrom } from '../../src/output/store/store.js';
import { openScanRow, resumeFromRow } from '../../src/output/store/resume.js';
import { parse } from '../cli/helpers.js';
import { rmDir, tmpDir } from './helpers.js';

const RUN = { version: '0.1.0', commandLine: 'test', unixMs: 1_700_000_000_000 };

test('--store-resume: new row, then the killed run\'s row taken over at its index, then nothing once done', async () => {
  const dir = tmpDir('resume');
  try {
    const db = path.join(dir, 'scan.db');
    const argv = (shard: string, rate: string): string[] => ['198.18.0.0/24', '-p80,443', '--seed', '9', '--shards', shard,
      '--rate', rate, '--store-resume', '-oQ', db];
    const notes: string[] = [];
    const note = (l: string): void => { notes.push(l); };

    // Run 1 of shard 2/3: a new row, the configuration as asked.
    const c1 = parse(argv('2/3', '100'));
    assert.equal(c1.storeResume, true);
    let store = await openStore('sqlite', db);
    const r1 = await openScanRow(c1, store, scanInfoFrom(c1, RUN));
    assert.equal(r1.resumed, false);
    assert.equal(resumeFromRow(c1, store.where, r1, note), c1);
    // It commits progress up to index 57, then dies (no endScan: the row stays running).
    store.progress(r1.id, { resumeIndex: 57, sent: 57, replies: 3, found: 1 });
    store.flush();
    await store.close();

    // Shard 1/3 of the same scan is another row; so is another seed.
    store = await openStore('sqlite', db);
    const other = await openScanRow(parse(argv('1/3', '100')), store, scanInfoFrom(parse(argv('1/3', '100')), RUN));
    assert.equal(other.resumed, false);
    assert.notEqual(other.id, r1.id);

    // Run 2 of shard 2/3 (a retried pod; another rate does not matter): row 1, from 57.
    const c2 = parse(argv('2/3', '50'));
    const r2 = await openScanRow(c2, store, scanInfoFrom(c2, RUN));
    assert.equal(r2.id, r1.id);
    assert.equal(r2.resumed, true);
    assert.equal(r2.attempts, 2);
    const run2 = resumeFromRow(c2, store.where, r2, note);
    assert.ok(run2 !== undefined);
    assert.equal(run2.resumeIndex, 57);
    assert.equal(run2.rate, 50);
    assert.match(notes.at(-1)!, /resuming shard 2\/3 from its scan row \d+ at index 57 \(attempt 2\)/);
    await store.endScan(r2.id, 'done', { resumeIndex: 85, sent: 28, replies: 2, found: 1 });

    // Run 3: the row is done, nothing to send.
    const r3 = await openScanRow(c2, store, scanInfoFrom(c2, RUN));
    assert.equal(r3.status, 'done');
    assert.equal(resumeFromRow(c2, store.where, r3, note), undefined);
    assert.match(notes.at(-1)!, /shard 2\/3 of this scan is done .*nothing to send/);

    // Without --store-resume: always a new row from the start.
    const plain = parse(argv('2/3', '100').filter((a) => a !== '--store-resume'));
    assert.equal(plain.storeResume, false);
    const r4 = await openScanRow(plain, store, scanInfoFrom(plain, RUN));
    assert.equal(r4.resumed, false);
    assert.ok(r4.id > r1.id);
    assert.equal(resumeFromRow(plain, store.where, r4, note), plain);
    await store.close();
  } finally {
    rmDir(dir);
  }
});

test('--store-resume needs exactly one store output', () => {
  assert.throws(() => parse(['198.18.0.0/24', '-p80', '--store-resume']), /--store-resume: needs exactly one PostgreSQL or SQLite output/);
  assert.throws(() => parse(['198.18.0.0/24', '-p80', '--store-resume', '-oB', 'x.bin']), /--store-resume: needs exactly one/);
  assert.throws(() => parse(['198.18.0.0/24', '-p80', '--store-resume', '-oQ', 'a.db', '-oQ', 'b.db']), /--store-resume: needs exactly one/);
  assert.equal(parse(['198.18.0.0/24', '-p80', '--store-resume', '-oQ', 'a.db', '-oB', 'x.bin']).storeResume, true);
});
