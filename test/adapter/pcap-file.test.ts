import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { openPcapFile, PcapWriter, readPcap, LINKTYPE_ETHERNET } from '../../src/adapter/pcap-file.js';
import { isScanError } from '../../src/error.js';

/** A 60-byte Ethernet/IPv4/TCP SYN-ACK 10.250.0.2:80 -> 10.250.0.1:40000 (checksums zero). */
function synAck(seq: number): Uint8Array {
  const f = new Uint8Array(60);
  f.set([0x02, 0x50, 0, 0, 0, 1, 0x02, 0x50, 0, 0, 0, 2, 0x08, 0x00], 0);
  f.set([0x45, 0, 0, 40, 0, 0, 0x40, 0, 64, 6, 0, 0, 10, 250, 0, 2, 10, 250, 0, 1], 14);
  f.set([0, 80, 0x9c, 0x40, (seq >>> 24) & 0xff, (seq >>> 16) & 0xff, (seq >>> 8) & 0xff, seq & 0xff, 0, 0, 0, 1, 0x50, 0x12, 0xff, 0xff], 34);
  return f;
}

function capture(frames: Uint8Array[], opts: { snaplen?: number; nanosecond?: boolean; bufferBytes?: number } = {}): Uint8Array {
  const chunks: Uint8Array[] = [];
  const w = new PcapWriter((c) => chunks.push(c.slice()), opts);
  frames.forEach((f, i) => w.writeFrame(f, 0, f.length, 1_700_000_000 + i, 123_456_789));
  w.close();
  return new Uint8Array(Buffer.concat(chunks));
}

test('writer output: global header bytes and one record', () => {
  const bytes = capture([synAck(1)]);
  assert.equal(bytes.length, 24 + 16 + 60);
  assert.deepEqual(Array.from(bytes.subarray(0, 24)), [
    0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0, 0, 1, 0, 0, 0,
  ]);
  const r = readPcap(bytes);
  assert.equal(r.linktype, LINKTYPE_ETHERNET);
  assert.equal(r.snaplen, 65535);
  assert.equal(r.nanosecond, false);
  assert.equal(r.records.length, 1);
  assert.equal(r.records[0].tsSec, 1_700_000_000);
  assert.equal(r.records[0].tsNsec, 123_456_000); // microsecond file
  assert.equal(r.records[0].origLen, 60);
  assert.deepEqual(r.records[0].data, synAck(1));
});

test('round trip: many frames across buffer flushes, nanosecond and snaplen cut', () => {
  const frames = Array.from({ length: 500 }, (_, i) => synAck(i));
  const r = readPcap(capture(frames, { snaplen: 100, bufferBytes: 16 + 100 + 200 }));
  assert.equal(r.records.length, 500);
  r.records.forEach((rec, i) => assert.deepEqual(rec.data, frames[i]));
  const n = readPcap(capture(frames.slice(0, 3), { nanosecond: true, snaplen: 54 }));
  assert.equal(n.nanosecond, true);
  assert.equal(n.records[2].tsNsec, 123_456_789);
  assert.equal(n.records[0].data.length, 54);
  assert.equal(n.records[0].origLen, 60);
});

test('tcpdump reads the file we write', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tidescan-pcap-'));
  try {
    const path = join(dir, 'x.pcap');
    const w = openPcapFile(path);
    for (let i = 0; i < 3; i++) w.writeFrame(synAck(i), 0, 60, 1_700_000_000, 5000);
    w.close();
    assert.equal(readPcap(readFileSync(path)).records.length, 3);
    const out = execFileSync('tcpdump', ['-nn', '-r', path], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 10_000 });
    const lines = out.trim().split('\n');
    assert.equal(lines.length, 3);
    assert.match(lines[0], /IP 10\.250\.0\.2\.80 > 10\.250\.0\.1\.40000: Flags \[S\.\]/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('openPcapFile: unwritable path is ERR_FILE naming the path', () => {
  assert.throws(() => openPcapFile('/nonexistent-dir/x.pcap'), (e: unknown) => isScanError(e) && e.code === 'ERR_FILE' && e.message.includes('/nonexistent-dir/x.pcap'));
});

test('reader accepts big-endian files', () => {
  const le = capture([synAck(7)]);
  const be = new Uint8Array(le);
  const swap = (at: number, n: number): void => {
    be.set(le.subarray(at, at + n).slice().reverse(), at);
  };
  swap(0, 4); swap(4, 2); swap(6, 2); swap(8, 4); swap(12, 4); swap(16, 4); swap(20, 4);
  for (const at of [24, 28, 32, 36]) swap(at, 4);
  const r = readPcap(be);
  assert.equal(r.bigEndian, true);
  assert.deepEqual(r.records[0].data, synAck(7));
});

test('reader is strict: each inconsistency is ERR_CORRUPT with its offset', () => {
  const good = capture([synAck(1), synAck(2)]);
  const bad = (mut: (b: Uint8Array) => Uint8Array, re: RegExp): void => {
    assert.throws(() => readPcap(mut(new Uint8Array(good))), (e: unknown) => isScanError(e) && e.code === 'ERR_CORRUPT' && re.test(e.message));
  };
  bad((b) => b.subarray(0, 10), /too short/);
  bad((b) => { b[0] = 0; return b; }, /unknown magic/);
  bad((b) => { b[4] = 3; return b; }, /version 3\.4/);
  bad((b) => { b[18] = 0x10; return b; }, /snaplen/);
  bad((b) => b.subarray(0, 24 + 10), /truncated record header/);
  bad((b) => b.subarray(0, b.length - 1), /runs past the end/);
  bad((b) => { b[24 + 4] = 0xff; b[24 + 5] = 0xff; b[24 + 6] = 0xff; return b; }, /sub-second/);
  bad((b) => { b[24 + 8] = 61; return b; }, /exceeds original length/);
  bad((b) => { b[24 + 10] = 1; b[24 + 14] = 2; return b; }, /exceeds snaplen/);
  assert.throws(() => readPcap(good, { maxRecords: 1 }), (e: unknown) => isScanError(e) && /more than 1 records/.test(e.message));
  assert.equal(readPcap(good.subarray(0, 24)).records.length, 0);
});

test('fuzz: random and mutated inputs either parse within bounds or throw ScanError', () => {
  const good = capture([synAck(1), synAck(2), synAck(3)]);
  // Record boundaries of `good` (24-byte file header, 16 + 60 per record): most random cuts
  // fall inside a record, so half the cuts are taken here, and the parses that succeed are
  // counted: the bounds checks above must be reached, not only the corrupt-file exits.
  const boundaries = [24, 100, 176, 252];
  assert.equal(good.length, boundaries[3]);
  let parsed = 0;
  const check = (b: Uint8Array): void => {
    try {
      const r = readPcap(b, { maxRecords: 1000 });
      parsed++;
      let total = 24;
      for (const rec of r.records) {
        assert.ok(rec.data.length <= rec.origLen);
        total += 16 + rec.data.length;
      }
      assert.equal(total, b.length);
    } catch (e) {
      if (!isScanError(e) || e.code !== 'ERR_CORRUPT') throw e;
    }
  };
  fc.assert(fc.property(fc.uint8Array({ maxLength: 300 }), (b) => check(b)), { numRuns: 500 });
  fc.assert(
    fc.property(
      fc.array(fc.record({ at: fc.nat({ max: good.length - 1 }), v: fc.integer({ min: 0, max: 255 }) }), { maxLength: 8 }),
      fc.oneof(fc.constantFrom(...boundaries), fc.nat({ max: good.length })),
      (muts, cut) => {
        const b = new Uint8Array(good);
        for (const m of muts) b[m.at] = m.v;
        check(b.subarray(0, cut));
      },
    ),
    { numRuns: 1000 },
  );
  assert.ok(parsed >= 100, `only ${parsed} of 1500 inputs parsed`);
});
