/**
 * `--merge FILES -oB OUT`: per-shard binary files combined into one. The shard files are
 * written by tidescan's own binary writer; the merged file is read back by the binary reader.
 * What is checked: the union of the inputs, nothing lost, duplicates (across files and within
 * one) dropped; the same records as --readscan of all the files when nothing repeats; a file
 * cut short (a shard killed mid-write) keeps every record before the cut, exit 1; an output
 * that is also an input, or no output, is refused before anything is opened.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import fc from 'fast-check';
import { runMerge } from '../../src/commands/merge.js';
import { recordKey, recordText } from '../../src/output/readscan.js';
import { BinaryReader } from '../../src/output/binary.js';
import { OutputSet } from '../../src/output/outputs.js';
import type { ScanRecord } from '../../src/core/record.js';
import { META, SAMPLE, banner, options, rmDir, status, testIo as outIo, tmpDir } from '../output/helpers.js';
import { parse, runCli, testIo } from '../cli/helpers.js';

function writeBin(file: string, records: readonly ScanRecord[]): void {
  const out = OutputSet.open(options({ outputs: [{ format: 'binary', filename: file }], services: undefined }), META, outIo());
  for (const r of records) out.write(r);
  out.closeAll();
  assert.deepEqual(out.errors, []);
}

function readBin(file: string): ScanRecord[] {
  const got: ScanRecord[] = [];
  const reader = new BinaryReader({ fileName: file, numbering: 'head' });
  reader.push(fs.readFileSync(file), (r) => { got.push(r); });
  reader.end();
  return got;
}

/** Records as comparable keys (what the binary format keeps), sorted. */
function keys(rs: readonly ScanRecord[]): string[] {
  return rs.map((r) => `${recordText(r)} t${r.timestamp} ttl${r.ttl}`).sort();
}

async function merge(argv: string[]): Promise<{ rc: number; stderr: string }> {
  let stderr = '';
  const rc = await runMerge(parse(argv, testIo()), { stderr: (s) => { stderr += s; }, handleSignals: false });
  return { rc, stderr };
}

test('three shard files merge into one binary file holding exactly their union', async () => {
  const dir = tmpDir('merge');
  try {
    const shards = [SAMPLE.slice(0, 4), SAMPLE.slice(4, 8), SAMPLE.slice(8)];
    const files = shards.map((rs, i) => {
      const f = path.join(dir, `shard-${i + 1}-of-3.bin`);
      writeBin(f, rs);
      return f;
    });
    const out = path.join(dir, 'all.bin');
    const r = await merge(['--merge', ...files, '-oB', out]);
    assert.equal(r.rc, 0, r.stderr);
    const back = readBin(out);
    // SAMPLE holds every kind of record (IPv4/IPv6, UDP/SCTP/ICMP/ARP/other, banners).
    assert.deepEqual(keys(back), keys(readBin(files[0]!).concat(readBin(files[1]!), readBin(files[2]!))));
    assert.equal(back.length, SAMPLE.length);
    assert.equal(r.stderr, `${files.map((f) => `[+] --merge ${f}\n`).join('')}` +
      `[+] --merge: 3 file(s), ${SAMPLE.length} record(s) read, ${SAMPLE.length} written, 0 duplicate(s) dropped\n`);
  } finally {
    rmDir(dir);
  }
});

test('a record found by two shards (or twice in one) is written once; the first one is kept', async () => {
  const dir = tmpDir('mergedup');
  try {
    const a = [status('10.0.0.1', 6, 80, 'open', 0x12, 64, 1000), banner('10.0.0.1', 6, 80, 'http', 'HTTP/1.0 200 OK', 64, 1001)];
    const b = [
      status('10.0.0.1', 6, 80, 'open', 0x12, 60, 2000), // same port, later, other TTL: a duplicate
      banner('10.0.0.1', 6, 80, 'http', 'HTTP/1.0 200 OK', 60, 2001), // same banner
      banner('10.0.0.1', 6, 80, 'http', 'HTTP/1.0 404 Not Found', 60, 2002), // another banner: kept
      status('10.0.0.1', 6, 80, 'closed', 0x14, 60, 2003), // another status: kept
      status('10.0.0.2', 17, 80, 'open', 0, 60, 2004), // UDP 80 is another port
      status('10.0.0.2', 17, 80, 'open', 0, 60, 2005), // twice in one file
    ];
    const fa = path.join(dir, 'a.bin');
    const fb = path.join(dir, 'b.bin');
    writeBin(fa, a);
    writeBin(fb, b);
    const out = path.join(dir, 'all.bin');
    const r = await merge(['--merge', fa, fb, '--output-format', 'binary', '--output-filename', out]);
    assert.equal(r.rc, 0, r.stderr);
    const back = readBin(out);
    assert.deepEqual(keys(back), keys([a[0]!, a[1]!, b[2]!, b[3]!, b[4]!]));
    assert.match(r.stderr, /8 record\(s\) read, 5 written, 3 duplicate\(s\) dropped/);
  } finally {
    rmDir(dir);
  }
});

test('recordKey: the numeric key of an IPv4 status record is one-to-one with its text key', () => {
  fc.assert(fc.property(
    fc.record({ a: fc.integer({ min: 0, max: 0xffffffff }), p: fc.constantFrom(6, 17, 132, 1, 58, 0, 99), port: fc.integer({ min: 0, max: 65535 }),
      st: fc.constantFrom('open' as const, 'closed' as const, 'up' as const) }),
    fc.record({ a: fc.integer({ min: 0, max: 0xffffffff }), p: fc.constantFrom(6, 17, 132, 1, 58, 0, 99), port: fc.integer({ min: 0, max: 65535 }),
      st: fc.constantFrom('open' as const, 'closed' as const, 'up' as const) }),
    (x, y) => {
      const rec = (v: typeof x): ScanRecord => ({ kind: 'status', timestamp: 1, ip: { version: 4, v4: v.a }, ipProto: v.p, port: v.port, status: v.st, reason: 0, ttl: 64 });
      const kx = recordKey(rec(x));
      assert.ok(typeof kx === 'string' || Number.isSafeInteger(kx));
      assert.equal(kx === recordKey(rec(y)), recordText(rec(x)) === recordText(rec(y)));
    }), { numRuns: 2000 });
  // Boundaries: the highest address, port and code still fit 53 bits.
  const top: ScanRecord = { kind: 'status', timestamp: 1, ip: { version: 4, v4: 0xffffffff }, ipProto: 0, port: 65535, status: 'up', reason: 0, ttl: 1 };
  assert.ok(Number.isSafeInteger(recordKey(top)));
});

test('property: any split of records over files, with repeats, merges to the set of distinct records', async () => {
  const rec = fc.record({
    ip: fc.integer({ min: 0, max: 7 }),
    proto: fc.constantFrom(6, 17),
    port: fc.integer({ min: 1, max: 4 }),
    open: fc.boolean(),
    t: fc.integer({ min: 1_700_000_000, max: 1_700_000_100 }),
  });
  const dir = tmpDir('mergeprop');
  try {
    await fc.assert(fc.asyncProperty(fc.array(fc.array(rec, { maxLength: 20 }), { minLength: 1, maxLength: 4 }), async (parts) => {
      const files = parts.map((p, i) => {
        const f = path.join(dir, `p${i}.bin`);
        writeBin(f, p.map((x) => status(`10.0.0.${x.ip}`, x.proto, x.port, x.open ? 'open' : 'closed', x.open ? 0x12 : 0x14, 64, x.t)));
        return f;
      });
      const out = path.join(dir, 'out.bin');
      const r = await merge(['--merge', ...files, '--show', 'closed', '-oB', out]);
      assert.equal(r.rc, 0, r.stderr);
      const distinct = new Set(parts.flat().map((x) => `${x.ip} ${x.proto} ${x.port} ${x.open}`));
      const back = readBin(out);
      assert.equal(back.length, distinct.size);
      assert.equal(new Set(back.map(recordKey)).size, back.length, 'no record twice');
    }), { numRuns: 40 });
  } finally {
    rmDir(dir);
  }
});

test('the CLI: --merge writes what --readscan of the same files writes (-oL), when no record repeats', () => {
  const dir = tmpDir('mergecli');
  try {
    const files = [SAMPLE.slice(0, 5), SAMPLE.slice(5)].map((rs, i) => {
      const f = path.join(dir, `s${i}.bin`);
      writeBin(f, rs);
      return f;
    });
    const m = runCli(['--merge', ...files, '--show', 'closed', '-oL', path.join(dir, 'm.txt')]);
    const r = runCli(['--readscan', ...files, '--show', 'closed', '-oL', path.join(dir, 'r.txt')]);
    assert.equal(m.status, 0, m.stderr);
    assert.equal(r.status, 0, r.stderr);
    const body = (f: string): string[] => fs.readFileSync(path.join(dir, f), 'latin1').split('\n').filter((l) => l !== '' && !l.startsWith('#')).sort();
    assert.deepEqual(body('m.txt'), body('r.txt'));
    assert.equal(body('m.txt').length, SAMPLE.length, 'one line per record');
  } finally {
    rmDir(dir);
  }
});

test('a shard file cut short mid-record: every record before the cut is merged, the other files too, exit 1', async () => {
  const dir = tmpDir('mergecut');
  try {
    // s(k): the size of a file of the first k records = header (99 bytes) + records + trailer.
    const size = (k: number): number => {
      const f = path.join(dir, `k${k}.bin`);
      writeBin(f, SAMPLE.slice(0, k));
      return fs.statSync(f).size;
    };
    const trailer = size(0) - 99;
    size(6);
    const six = fs.readFileSync(path.join(dir, 'k6.bin'));
    // The header, five records, and half of the sixth: what a writer killed mid-record leaves.
    const at = size(5) - trailer + Math.floor((six.length - size(5)) / 2);
    const cut = path.join(dir, 'cut.bin');
    fs.writeFileSync(cut, six.subarray(0, at));
    const other = path.join(dir, 'other.bin');
    writeBin(other, SAMPLE.slice(6));
    const out = path.join(dir, 'all.bin');
    const r = await merge(['--merge', cut, other, '--show', 'closed', '-oB', out]);
    assert.equal(r.rc, 1);
    assert.match(r.stderr, /\[-\] .*cut\.bin/);
    assert.deepEqual(keys(readBin(out)), keys([...readBin(path.join(dir, 'k5.bin')), ...readBin(other)]));
  } finally {
    rmDir(dir);
  }
});

test('refused before anything is opened: no output, or an output that is also an input', () => {
  const dir = tmpDir('mergebad');
  try {
    const a = path.join(dir, 'a.bin');
    writeBin(a, SAMPLE.slice(0, 3));
    const before = fs.readFileSync(a);
    const cases: [string[], RegExp][] = [
      [['--merge', a], /--merge: name the merged file, e\.g\. -oB all\.bin/],
      [['--merge', a, '-oB', a], /--merge: the output .*a\.bin is also an input/],
      [['--merge', a, '-oB', path.join(dir, '.', 'a.bin')], /is also an input/],
      [['--merge', '-oB', path.join(dir, 'x.bin')], /--merge: no files given|missing/],
    ];
    for (const [argv, re] of cases) {
      const r = runCli(argv);
      assert.equal(r.status, 1, argv.join(' '));
      assert.match(r.stderr.trim(), re);
      assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    }
    assert.deepEqual(fs.readFileSync(a), before, 'the input is untouched');
    // A missing input is reported and the merge goes on with the rest, exit 1.
    const out = path.join(dir, 'o.bin');
    const r = runCli(['--merge', path.join(dir, 'missing.bin'), a, '-oB', out]);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /missing\.bin: cannot read \(ENOENT\)/);
    assert.equal(readBin(out).length, 3);
    // So is a directory, in one line (no internal error).
    const d = runCli(['--merge', dir, a, '-oB', out]);
    assert.equal(d.status, 1);
    assert.match(d.stderr, new RegExp(`\\[-\\] ${dir}: cannot read \\(EISDIR\\)`));
    assert.doesNotMatch(d.stderr, /internal error/);
    assert.equal(readBin(out).length, 3);
  } finally {
    rmDir(dir);
  }
});

test('--merge into a SQLite store: one scan row, each port and each banner once', async () => {
  const dir = tmpDir('mergedb');
  try {
    const a = [status('10.0.0.1', 6, 80, 'open', 0x12, 64, 1000), banner('10.0.0.1', 6, 80, 'http', 'HTTP/1.0 200 OK', 64, 1001)];
    const b = [status('10.0.0.1', 6, 80, 'open', 0x12, 60, 2000), banner('10.0.0.1', 6, 80, 'http', 'HTTP/1.0 200 OK', 60, 2001),
      status('10.0.0.2', 6, 22, 'closed', 0x14, 60, 2002)];
    const fa = path.join(dir, 'a.bin');
    const fb = path.join(dir, 'b.bin');
    writeBin(fa, a);
    writeBin(fb, b);
    const db = path.join(dir, 'all.db');
    const r = await merge(['--merge', fa, fb, '-oQ', db]);
    assert.equal(r.rc, 0, r.stderr);
    const { default: Database } = await import('better-sqlite3');
    const conn = new Database(db, { readonly: true });
    try {
      const count = (sql: string): number => (conn.prepare(sql).get() as { n: number }).n;
      assert.equal(count('SELECT count(*) AS n FROM scan'), 1);
      assert.equal(count('SELECT count(*) AS n FROM port_result'), 2, 'closed ports are merged too');
      assert.equal(count('SELECT count(*) AS n FROM banner'), 1, 'the banner seen in both files once');
      assert.equal(count("SELECT count(*) AS n FROM scan WHERE status = 'done'"), 1);
    } finally {
      conn.close();
    }
  } finally {
    rmDir(dir);
  }
});
