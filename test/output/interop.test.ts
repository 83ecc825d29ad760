/**
 * Interoperability with Debian's masscan 1.3.2 (/usr/bin/masscan):
 * - masscan --readscan reads our -oB files and prints the same records we print (its
 *   app-proto numbering maps names; ARP records are excluded since masscan cannot read them);
 * - our --readscan of masscan-written -oB files prints what masscan prints from them, in every
 *   text format (JSON compared parsed; grepable without its comment lines);
 * - every extra file in test/output/fixtures/*.bin (e.g. from masscan scanning the lab) is
 *   compared the same way.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { appProtoId, appProtoName } from '../../src/output/app-proto.js';
import { OutputSet } from '../../src/output/outputs.js';
import type { ScanRecord } from '../../src/core/record.js';
import { everyTypeFile } from './binfile.js';
import { FIXTURES_DIR, META, SAMPLE, options, ourReadscan, requireTool, rmDir, run, testIo, tmpDir } from './helpers.js';

const MASSCAN_FLAGS: Record<string, string> = {
  list: '-oL', json: '-oJ', ndjson: '-oD', grepable: '-oG', unicornscan: '-oU', hostonly: '-oH',
};

function masscanConvert(file: string, flag: string | undefined, showClosed = true): string {
  const args = ['--readscan', file];
  if (showClosed) args.push('--show', 'closed');
  if (flag !== undefined) args.push(flag, '-');
  const r = run('masscan', args);
  return r.stdout;
}

/** Normalises one format's text for comparison with masscan's. */
function normalise(format: string, text: string): unknown {
  if (format === 'json') return text.trim() === '' ? [] : JSON.parse(text);
  if (format === 'grepable') return text.split('\n').filter((l) => !l.startsWith('#'));
  return text;
}

async function oursConvert(dir: string, files: string[], format: string, numbering: 'head' | '1.3.2', showClosed = true): Promise<string> {
  const out = path.join(dir, `ours.${format}`);
  const { rc, stderr } = await ourReadscan(files, { outputs: [{ format, filename: out }], showClosed }, { numbering });
  assert.equal(rc, 0, stderr);
  return fs.readFileSync(out, 'latin1');
}

function writeOurs(file: string, records: readonly ScanRecord[], numbering: 'head' | '1.3.2'): void {
  const set = OutputSet.open(options({ outputs: [{ format: 'binary', filename: file }], binaryNumbering: numbering }), META, testIo());
  for (const r of records) set.write(r);
  set.closeAll();
}

/** Records masscan 1.3.2 can read: no ARP (types 8/12), no ICMPv6 (1.3.2 prints it as err). */
const READABLE = SAMPLE.filter((r) => r.ipProto !== 0 && r.ipProto !== 58);

test('interop: masscan 1.3.2 reads our -oB files (HEAD numbering) and prints the same records', async () => {
  requireTool('masscan');
  const dir = tmpDir('interop1');
  try {
    const bin = path.join(dir, 'ours.bin');
    writeOurs(bin, READABLE, 'head');
    const theirs = masscanConvert(bin, '-oL').split('\n').filter((l) => l !== '' && !l.startsWith('#'));
    const ours = (await oursConvert(dir, [bin], 'list', 'head')).split('\n').filter((l) => l !== '' && !l.startsWith('#'));
    // 1.3.2 names ids from 16 up one lower than HEAD: map our names to what 1.3.2 prints.
    const mapped = ours.map((l) => {
      const f = l.split(' ');
      if (f[0] !== 'banner') return l;
      f[5] = appProtoName(appProtoId(f[5]!, 'head'), '1.3.2');
      return f.join(' ');
    });
    assert.deepEqual([...theirs].sort(), [...mapped].sort());
    assert.ok(theirs.some((l) => / html Welcome/.test(l)), 'HEAD title (17) prints as html in 1.3.2');
  } finally {
    rmDir(dir);
  }
});

test('interop: our -oB with 1.3.2 numbering converts identically with masscan 1.3.2 (-oL, -oJ)', async () => {
  requireTool('masscan');
  const dir = tmpDir('interop2');
  try {
    const bin = path.join(dir, 'ours132.bin');
    writeOurs(bin, READABLE, '1.3.2');
    for (const format of ['list', 'json']) {
      const theirs = masscanConvert(bin, MASSCAN_FLAGS[format]);
      const ours = await oursConvert(dir, [bin], format, '1.3.2');
      assert.deepEqual(normalise(format, ours), normalise(format, theirs), format);
    }
  } finally {
    rmDir(dir);
  }
});

/** Converts `bin` with both tools in every text format and compares. */
async function compareAllFormats(dir: string, bin: string, numbering: 'head' | '1.3.2'): Promise<void> {
  for (const format of [...Object.keys(MASSCAN_FLAGS), 'interactive']) {
    const theirs = masscanConvert(bin, MASSCAN_FLAGS[format]);
    assert.ok(theirs.length > 0, `masscan printed nothing for ${format}`);
    const ours = await oursConvert(dir, [bin], format, numbering);
    assert.deepEqual(normalise(format, ours), normalise(format, theirs), `${path.basename(bin)} ${format}`);
  }
}

test('interop: our --readscan of masscan-written -oB equals masscan\'s own conversion, every format', async () => {
  requireTool('masscan');
  const dir = tmpDir('interop3');
  try {
    // Hand-built file with every type masscan reads (it stops at ARP types 8/12), re-emitted by
    // masscan itself as -oB: a file masscan wrote.
    const { bytes } = everyTypeFile();
    const hand = path.join(dir, 'hand.bin');
    fs.writeFileSync(hand, stripTypes(bytes, [8, 12]));
    const theirsBin = path.join(dir, 'masscan.bin');
    const r = run('masscan', ['--readscan', hand, '--show', 'closed', '-oB', theirsBin]);
    assert.equal(r.status, 0, r.stderr);
    assert.ok(fs.statSync(theirsBin).size > 198);
    await compareAllFormats(dir, theirsBin, '1.3.2');
    // and the hand-built file itself (obsolete types 1..5 included)
    await compareAllFormats(dir, hand, '1.3.2');
  } finally {
    rmDir(dir);
  }
});

test('interop: extra masscan files in test/output/fixtures/*.bin convert like masscan', async () => {
  requireTool('masscan');
  const files = fs.existsSync(FIXTURES_DIR) ? fs.readdirSync(FIXTURES_DIR).filter((f) => f.endsWith('.bin')) : [];
  // masscan132-rewrite.bin is written by masscan 1.3.2 itself; an empty set would prove nothing.
  assert.ok(files.includes('masscan132-rewrite.bin'), `no masscan-written fixture in ${FIXTURES_DIR}`);
  const dir = tmpDir('fixtures');
  try {
    for (const f of files) {
      // Files written by Debian's masscan use 1.3.2 numbering unless named *.head.bin.
      await compareAllFormats(dir, path.join(FIXTURES_DIR, f), f.endsWith('.head.bin') ? 'head' : '1.3.2');
    }
  } finally {
    rmDir(dir);
  }
});

/** Removes records of the given types from a valid file. */
function stripTypes(bytes: Buffer, types: number[]): Buffer {
  const parts: Buffer[] = [bytes.subarray(0, 99)];
  let p = 99;
  while (p < bytes.length) {
    const type = bytes[p]!;
    let q = p + 1;
    let len = 0;
    for (;;) {
      const c = bytes[q++]!;
      len = (len << 7) | (c & 0x7f);
      if ((c & 0x80) === 0) break;
    }
    const end = q + len + (type === 4 ? 1 : 0);
    if (!types.includes(type)) parts.push(bytes.subarray(p, end));
    p = end;
  }
  return Buffer.concat(parts);
}
