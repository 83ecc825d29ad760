/**
 * Binary format: writer/reader round trip, hand-built masscan files (every record type 1..13
 * and the trailer), split invariance, and the corruption contract: every prefix truncation
 * and random byte flips never crash, the error names the file and the byte offset, and every
 * record before the damage is delivered.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import fc from 'fast-check';
import { ScanError } from '../../src/error.js';
import { BinaryReader } from '../../src/output/binary.js';
import { OutputSet } from '../../src/output/outputs.js';
import type { ScanRecord } from '../../src/core/record.js';
import { META, SAMPLE, banner, options, rmDir, status, testIo, tmpDir } from './helpers.js';
import { HEADER, be, everyTypeFile, readBinary, rec } from './binfile.js';

/** Writes records with our binary writer and returns the file's bytes. */
export function writeBinary(records: readonly ScanRecord[], numbering: 'head' | '1.3.2' = 'head'): Buffer {
  const dir = tmpDir('bin');
  try {
    const f = path.join(dir, 'x.bin');
    const set = OutputSet.open(options({ outputs: [{ format: 'binary', filename: f }], binaryNumbering: numbering }), META, testIo());
    for (const r of records) set.write(r);
    set.closeAll();
    return fs.readFileSync(f);
  } finally {
    rmDir(dir);
  }
}

/** What a record looks like after a trip through the binary format (no MAC stored). */
function viaBinary(r: ScanRecord): ScanRecord {
  if (r.kind === 'status') {
    const { mac: _mac, ...rest } = r;
    return rest;
  }
  return r;
}

test('binary: writer -> reader round trip of the sample records (ARP included)', () => {
  const bytes = writeBinary(SAMPLE);
  const p = readBinary(bytes);
  assert.equal(p.error, undefined);
  assert.deepEqual(p.records, SAMPLE.map(viaBinary));
});

test('binary: round trip with 1.3.2 numbering keeps service names', () => {
  const recs = [banner('10.1.1.1', 6, 80, 'title', 't', 1, 5), banner('10.1.1.1', 6, 80, 'http.server', 's', 1, 5),
    banner('10.1.1.1', 6, 443, 'X509', 'c', 1, 5)];
  const p = readBinary(writeBinary(recs, '1.3.2'), [], '1.3.2');
  assert.deepEqual(p.records, recs);
  // the same bytes read with HEAD numbering shift: 1.3.2's title (16) is HEAD's X509CA
  const h = readBinary(writeBinary(recs, '1.3.2'), [], 'head');
  assert.equal((h.records[0] as { service: string }).service, 'X509CA');
});

test('binary: header, 99-byte trailer, varint lengths 1/2/3 bytes', () => {
  const recs = [banner('10.0.0.1', 6, 80, 'http', 'a'.repeat(100), 64, 7), banner('10.0.0.1', 6, 80, 'http', 'b'.repeat(20000), 64, 7)];
  const bytes = writeBinary(recs);
  assert.equal(bytes.subarray(0, 26).toString('latin1'), 'masscan/1.1\ns:1700000000\n\0');
  assert.equal(bytes.subarray(bytes.length - 99, bytes.length - 88).toString('latin1'), 'masscan/1.1');
  // first banner: length 114 -> 2 bytes (0x80|0, 114)? no: 114 < 128 -> 1 byte
  assert.equal(bytes[99], 9);
  assert.equal(bytes[100], 114);
  const second = 99 + 2 + 114;
  assert.equal(bytes[second], 9);
  const len = 20014;
  assert.deepEqual([...bytes.subarray(second + 1, second + 4)], [0x80 | (len >>> 14), 0x80 | ((len >>> 7) & 0x7f), len & 0x7f]);
  assert.deepEqual(readBinary(bytes).records, recs);
});

test('binary: reads every record type 1..13 and skips the trailer', () => {
  const { bytes, expect } = everyTypeFile();
  const p = readBinary(bytes);
  assert.equal(p.error, undefined);
  assert.deepEqual(p.records, expect);
});

test('binary: whole, byte by byte and at random split points give the same records', () => {
  const { bytes, expect } = everyTypeFile();
  const byByte = readBinary(bytes, Array.from({ length: bytes.length }, (_, i) => i));
  assert.deepEqual(byByte.records, expect);
  assert.equal(byByte.error, undefined);
  fc.assert(fc.property(fc.array(fc.nat(bytes.length), { maxLength: 20 }), (cuts) => {
    const p = readBinary(bytes, cuts);
    assert.equal(p.error, undefined);
    assert.deepEqual(p.records, expect);
  }), { numRuns: 200 });
});

test('binary: concatenated files read as one (the trailer parses as a skipped record)', () => {
  const { bytes, expect } = everyTypeFile();
  const p = readBinary(Buffer.concat([bytes, bytes]));
  assert.equal(p.error, undefined);
  assert.deepEqual(p.records, [...expect, ...expect]);
});

test('binary: a 0-byte file is an empty scan; a short or foreign header is an error at offset 0', () => {
  assert.deepEqual(readBinary(new Uint8Array(0)), { records: [], ids: [], error: undefined, offsets: [] });
  const short = readBinary(HEADER.subarray(0, 50), [], 'head', 'short.bin');
  assert.equal(short.error?.code, 'ERR_CORRUPT');
  assert.match(short.error!.message, /^short\.bin: corrupt record at offset 0: truncated header/);
  const foreign = readBinary(Buffer.from('{"ip": "1.2.3.4"}\n'), [], 'head', 'x.json');
  assert.match(foreign.error!.message, /^x\.json: corrupt record at offset 0: not a masscan binary file/);
});

test('binary: corrupt records name the file and offset', () => {
  const base = Buffer.concat([HEADER, rec(6, be([1, 4], [2, 4], [6, 1], [80, 2], [0x12, 1], [64, 1]))]);
  const cases: [Buffer, RegExp][] = [
    [Buffer.concat([base, Buffer.from([15, 0])]), /offset 114: unknown record type 15/],
    [Buffer.concat([base, rec(6, Buffer.alloc(14))]), /offset 114: record type 6 has length 14, expected 13/],
    [Buffer.concat([base, rec(9, Buffer.alloc(13))]), /offset 114: record type 9 has length 13, expected at least 14/],
    [Buffer.concat([base, rec(10, Buffer.alloc(26))]), /offset 114: IPv6 record with IP version 0/],
    [Buffer.concat([base, Buffer.from([9, 0xff, 0xff, 0x7f])]), /offset 114: record length \d+ exceeds/],
    [Buffer.concat([base, Buffer.from([9, 0xff, 0xff, 0xff, 1])]), /offset 114: record length field too long/],
    [Buffer.concat([base, rec(9, Buffer.alloc(20)).subarray(0, 10)]), /offset 114: truncated record/],
  ];
  for (const [bytes, re] of cases) {
    const p = readBinary(bytes, [], 'head', 'bad.bin');
    assert.equal(p.records.length, 1, String(re));
    assert.equal(p.error?.code, 'ERR_CORRUPT');
    assert.match(p.error!.message, /^bad\.bin: corrupt record at offset/);
    assert.match(p.error!.message, re);
  }
});

/** Start offsets of the records of a valid file (header excluded, trailer included). */
function recordStarts(bytes: Buffer): number[] {
  const starts: number[] = [];
  let p = 99;
  while (p < bytes.length) {
    starts.push(p);
    const type = bytes[p]!;
    let q = p + 1;
    let len = 0;
    for (;;) {
      const c = bytes[q++]!;
      len = (len << 7) | (c & 0x7f);
      if ((c & 0x80) === 0) break;
    }
    p = q + len + (type === 4 ? 1 : 0);
  }
  return starts;
}

test('binary: every prefix truncation delivers the complete records before the cut, then a precise error', () => {
  const { bytes, expect } = everyTypeFile();
  const starts = recordStarts(bytes);
  for (let cut = 0; cut <= bytes.length; cut++) {
    const p = readBinary(bytes.subarray(0, cut), [], 'head', 'cut.bin');
    // records wholly inside the prefix
    const complete = starts.filter((s, i) => (starts[i + 1] ?? bytes.length) <= cut && s >= 99).length;
    const wanted = expect.slice(0, Math.min(complete, expect.length));
    assert.deepEqual(p.records, wanted, `cut ${cut}`);
    const atBoundary = cut === 0 || cut === 99 || starts.includes(cut) || cut === bytes.length;
    if (atBoundary) {
      assert.equal(p.error, undefined, `cut ${cut}`);
    } else {
      assert.equal(p.error?.code, 'ERR_CORRUPT', `cut ${cut}`);
      const off = cut < 99 ? 0 : starts.filter((s) => s < cut).at(-1)!;
      assert.match(p.error!.message, new RegExp(`^cut\\.bin: corrupt record at offset ${off}: `), `cut ${cut}`);
    }
  }
});

test('binary fuzz: random byte flips never crash; records before the damaged one are intact', () => {
  const { bytes, expect } = everyTypeFile();
  const starts = recordStarts(bytes);
  fc.assert(fc.property(
    fc.array(fc.tuple(fc.nat(bytes.length - 1), fc.integer({ min: 1, max: 255 })), { minLength: 1, maxLength: 4 }),
    fc.array(fc.nat(bytes.length), { maxLength: 5 }),
    (flips, cuts) => {
      const b = Buffer.from(bytes);
      for (const [at, x] of flips) b[at] = b[at]! ^ x;
      const first = Math.min(...flips.map(([at]) => at));
      const p = readBinary(b, cuts, 'head', 'flip.bin');
      if (p.error !== undefined) {
        assert.equal(p.error.code, 'ERR_CORRUPT');
        assert.match(p.error.message, /^flip\.bin: corrupt record at offset \d+: /);
        const off = Number(/offset (\d+)/.exec(p.error.message)![1]);
        assert.ok(off <= b.length);
      }
      // every record that ends before the first flipped byte is delivered unchanged
      const intact = first < 99 ? 0 : starts.filter((s, i) => (starts[i + 1] ?? bytes.length) <= first).length;
      const n = Math.min(intact, expect.length);
      if (first >= 11) assert.deepEqual(p.records.slice(0, n), expect.slice(0, n));
    },
  ), { numRuns: 2000 });
});

test('binary fuzz: arbitrary bytes after a valid header never throw anything but ScanError', () => {
  fc.assert(fc.property(fc.uint8Array({ maxLength: 600 }), fc.array(fc.nat(700), { maxLength: 6 }), (junk, cuts) => {
    const p = readBinary(Buffer.concat([HEADER, junk]), cuts, 'head', 'junk.bin');
    if (p.error !== undefined) assert.match(p.error.message, /^junk\.bin: corrupt record at offset \d+: /);
  }), { numRuns: 3000 });
});
