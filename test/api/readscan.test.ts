/**
 * readScan(): every record type of a binary scan file, as the library's records; a damaged
 * file yields the records before the damage, then throws ERR_CORRUPT; a missing one ERR_FILE.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { readScan } from '../../src/api/readscan.js';
import { toApiRecord, type ScanRecord } from '../../src/api/records.js';
import { ScanError } from '../../src/error.js';
import { TRAILER, everyTypeFile } from '../output/binfile.js';

test('readScan() reads every record type; damage and missing files throw with a code', async (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'tidescan-api-readscan-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const { bytes, expect } = everyTypeFile();
  const file = path.join(dir, 'every.bin');
  writeFileSync(file, bytes);
  const got: ScanRecord[] = [];
  for await (const r of readScan(file)) got.push(r);
  assert.deepEqual(got, expect.map(toApiRecord));
  const kinds = new Set(got.map((r) => r.kind));
  assert.deepEqual([...kinds].sort(), ['banner', 'host', 'port']);
  const banner = got.find((r) => r.kind === 'banner' && r.service === 'http');
  assert.ok(banner?.kind === 'banner');
  assert.equal(banner.banner, 'HTTP/1.0 200 OK\\x0d\\x0a', 'escaped as the outputs escape it');
  assert.equal(Buffer.from(banner.bytes).toString('latin1'), 'HTTP/1.0 200 OK\r\n');

  // Cut the file inside its last record (before the 99-byte trailer): everything before it, then ERR_CORRUPT.
  const cut = path.join(dir, 'cut.bin');
  writeFileSync(cut, bytes.subarray(0, bytes.length - TRAILER.length - 2));
  const before: ScanRecord[] = [];
  await assert.rejects(async () => { for await (const r of readScan(cut)) before.push(r); },
    (e: unknown) => e instanceof ScanError && e.code === 'ERR_CORRUPT');
  assert.deepEqual(before, expect.slice(0, -1).map(toApiRecord));
  await assert.rejects(async () => { for await (const _ of readScan(path.join(dir, 'nope.bin'))) { /* none */ } },
    (e: unknown) => e instanceof ScanError && e.code === 'ERR_FILE' && e.message.includes('nope.bin'));
  // break closes the file (no handle is left: the fd count is back where it was).
  const fds = (): number => readdirSync('/proc/self/fd').length;
  const n0 = fds();
  for (let i = 0; i < 50; i++) for await (const _ of readScan(file)) break;
  assert.equal(fds(), n0);
});
