/**
 * runReadscan: conversion, filters (targets, ports raw and internal, --banner-type), damaged
 * and missing files (clear message naming file and offset, records before the damage kept,
 * exit code 1, the next file still read), and the numbering warning.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import fc from 'fast-check';
import { ScanError } from '../../src/error.js';
import type { ScanRecord } from '../../src/core/record.js';
import { everyTypeFile, rec, be, HEADER } from './binfile.js';
import { jqValid, ourReadscan, requireTool, rmDir, tmpDir, v4, xmlValid } from './helpers.js';

/** Records that pass the default filter (open, up and banners; closed needs --show closed). */
function shownByDefault(records: readonly ScanRecord[]): number {
  return records.filter((r) => r.kind !== 'status' || r.status !== 'closed').length;
}

function lines(f: string): string[] {
  return fs.readFileSync(f, 'latin1').split('\n').filter((l) => l !== '' && !l.startsWith('#'));
}

test('readscan: converts, announces each file on stderr, exit 0', async () => {
  const dir = tmpDir('rs');
  try {
    const bin = path.join(dir, 'a.bin');
    fs.writeFileSync(bin, everyTypeFile().bytes);
    const out = path.join(dir, 'out.txt');
    const r = await ourReadscan([bin, bin], { outputs: [{ format: 'list', filename: out }], showClosed: true });
    assert.equal(r.rc, 0, r.stderr);
    assert.equal(r.stderr, `[+] --readscan ${bin}\n[+] --readscan ${bin}\n`);
    assert.equal(lines(out).length, 2 * everyTypeFile().expect.length);
    assert.ok(lines(out).includes('up arp 0 10.0.0.6 1700000009'), 'ARP records are read');
  } finally {
    rmDir(dir);
  }
});

test('readscan: a damaged file is reported with file and offset, earlier records kept, next file read, rc 1', async () => {
  requireTool('jq');
  requireTool('xmllint');
  const dir = tmpDir('rsbad');
  try {
    const good = everyTypeFile().bytes;
    const bad = path.join(dir, 'bad.bin');
    // three good records, then garbage type 0x55
    const body = Buffer.concat([HEADER,
      rec(6, be([1, 4], [0x01020304, 4], [6, 1], [80, 2], [0x12, 1], [64, 1])),
      rec(6, be([2, 4], [0x01020305, 4], [6, 1], [81, 2], [0x12, 1], [64, 1])),
      rec(6, be([3, 4], [0x01020306, 4], [6, 1], [82, 2], [0x12, 1], [64, 1])),
      Buffer.from([0x55, 3, 1, 2, 3])]);
    fs.writeFileSync(bad, body);
    const ok = path.join(dir, 'ok.bin');
    fs.writeFileSync(ok, good);
    const out = path.join(dir, 'out.json');
    const xml = path.join(dir, 'out.xml');
    const r = await ourReadscan([bad, ok], { outputs: [{ format: 'json', filename: out }, { format: 'xml', filename: xml }] });
    assert.equal(r.rc, 1);
    assert.match(r.stderr, new RegExp(`\\[-\\] ${bad.replace(/[.]/g, '\\.')}: corrupt record at offset ${99 + 3 * 15}: unknown record type 85\\n`));
    assert.match(r.stderr, new RegExp(`\\[\\+\\] --readscan ${ok.replace(/[.]/g, '\\.')}`));
    assert.equal(jqValid(out), '');
    assert.equal(xmlValid(xml), '');
    const arr = JSON.parse(fs.readFileSync(out, 'latin1')) as { ip: string }[];
    assert.deepEqual(arr.slice(0, 3).map((x) => x.ip), ['1.2.3.4', '1.2.3.5', '1.2.3.6']);
    assert.equal(arr.length, 3 + shownByDefault(everyTypeFile().expect));
  } finally {
    rmDir(dir);
  }
});

test('readscan: every truncation of a file writes all complete records and fails only mid-record', async () => {
  const dir = tmpDir('rscut');
  try {
    const { bytes } = everyTypeFile();
    const full = path.join(dir, 'full.txt');
    const src = path.join(dir, 'full.bin');
    fs.writeFileSync(src, bytes);
    await ourReadscan([src], { outputs: [{ format: 'list', filename: full }], showClosed: true });
    const all = lines(full);
    await fc.assert(fc.asyncProperty(fc.nat(bytes.length), fc.integer({ min: 1, max: 4096 }), async (cut, chunk) => {
      const f = path.join(dir, 'cut.bin');
      fs.writeFileSync(f, bytes.subarray(0, cut));
      const out = path.join(dir, 'cut.txt');
      const r = await ourReadscan([f], { outputs: [{ format: 'list', filename: out }], showClosed: true }, { chunkSize: chunk });
      const got = lines(out);
      assert.deepEqual(got, all.slice(0, got.length));
      if (r.rc !== 0) assert.match(r.stderr, /cut\.bin: corrupt record at offset \d+: truncated/);
    }), { numRuns: 60 });
  } finally {
    rmDir(dir);
  }
});

test('readscan: a missing file is reported and the others are read', async () => {
  const dir = tmpDir('rsmiss');
  try {
    const ok = path.join(dir, 'ok.bin');
    fs.writeFileSync(ok, everyTypeFile().bytes);
    const out = path.join(dir, 'o.txt');
    const r = await ourReadscan([path.join(dir, 'nope.bin'), ok], { outputs: [{ format: 'list', filename: out }] });
    assert.equal(r.rc, 1);
    assert.match(r.stderr, /nope\.bin: cannot read \(ENOENT\)/);
    assert.equal(lines(out).length, shownByDefault(everyTypeFile().expect));
  } finally {
    rmDir(dir);
  }
});

test('readscan filters: targets, ports (raw number or internal), --banner-type', async () => {
  const dir = tmpDir('rsfilter');
  try {
    const bin = path.join(dir, 'a.bin');
    fs.writeFileSync(bin, everyTypeFile().bytes);
    const out = path.join(dir, 'o.txt');
    const conv = async (over: object): Promise<string[]> => {
      const r = await ourReadscan([bin], { outputs: [{ format: 'list', filename: out }], showClosed: true, ...over });
      assert.equal(r.rc, 0, r.stderr);
      return lines(out);
    };
    const t = v4('10.0.0.5').v4;
    const byIp = await conv({ targets4: [{ begin: t, end: t }] });
    assert.ok(byIp.length === 6 && byIp.every((l) => l.includes(' 10.0.0.5 ')), byIp.join('\n'));
    const v6only = await conv({ targets6: [{ begin: 0x20010db8n << 96n, end: (0x20010db8n << 96n) + 0xffffn }] });
    assert.ok(v6only.length === 4 && v6only.every((l) => l.includes('2001:db8::1')));
    // -p53: raw number, matches UDP 53 like masscan; -pU:53 (65589) also matches (masscan: never)
    assert.deepEqual(await conv({ ports: [{ begin: 53, end: 53 }] }), ['open udp 53 10.0.0.5 1700000007']);
    assert.deepEqual(await conv({ ports: [{ begin: 65536 + 53, end: 65536 + 53 }] }), ['open udp 53 10.0.0.5 1700000007']);
    assert.deepEqual(await conv({ ports: [{ begin: 131072 + 36412, end: 131072 + 36412 }] }), ['open sctp 36412 10.0.0.5 1700000007']);
    // banner types: status records hidden, only those banners
    assert.deepEqual(await conv({ bannerTypes: ['http'] }), ['banner tcp 80 10.0.0.1 1700000003 http HTTP/1.0 200 OK\\x0d\\x0a']);
    assert.equal((await conv({ bannerTypes: ['ssh'] })).length, 3);
    assert.equal((await conv({ bannerTypes: ['ssh2'] })).length, 3);
    assert.equal((await conv({ bannerTypes: ['ssh1'] })).length, 0);
    await assert.rejects(conv({ bannerTypes: ['gopher'] }), (e: unknown) => e instanceof ScanError && /unknown banner type: "gopher"/.test(e.message));
    // a long one (a mutated config file) is quoted cut to 80 characters
    await assert.rejects(conv({ bannerTypes: ['g'.repeat(22_000)] }), (e: unknown) => e instanceof ScanError &&
      /unknown banner type: "g{80}\.\.\." \(known: /.test(e.message) && e.message.length < 1000);
  } finally {
    rmDir(dir);
  }
});

test('readscan: numbering 1.3.2 renames ids 16..30; a warning suggests the other numbering', async () => {
  const dir = tmpDir('rsnum');
  try {
    const bin = path.join(dir, 'a.bin');
    fs.writeFileSync(bin, Buffer.concat([HEADER,
      rec(9, Buffer.concat([be([1, 4], [0x0a000001, 4], [6, 1], [80, 2], [16, 2], [64, 1]), Buffer.from('A page title')])),
      rec(9, Buffer.concat([be([1, 4], [0x0a000001, 4], [6, 1], [80, 2], [30, 2], [64, 1]), Buffer.from('nginx')]))]));
    const out = path.join(dir, 'o.txt');
    const head = await ourReadscan([bin], { outputs: [{ format: 'list', filename: out }] });
    assert.deepEqual(lines(out).map((l) => l.split(' ')[5]), ['X509CA', 'rdp']);
    assert.match(head.stderr, /app id 16 are not certificates: the file may come from masscan 1\.3\.2/);
    const old = await ourReadscan([bin], { outputs: [{ format: 'list', filename: out }] }, { numbering: '1.3.2' });
    assert.deepEqual(lines(out).map((l) => l.split(' ')[5]), ['title', 'http.server']);
    assert.doesNotMatch(old.stderr, /may come from/);
    const viaRaw = await ourReadscan([bin], { outputs: [{ format: 'list', filename: out }], readscanNumbering: '1.3.2' });
    assert.equal(viaRaw.rc, 0);
    assert.deepEqual(lines(out).map((l) => l.split(' ')[5]), ['title', 'http.server']);
  } finally {
    rmDir(dir);
  }
});
