/**
 * Reading JSON and NDJSON scan files (output/text-reader.ts): what our -oJ / -oD write reads
 * back to the same records, masscan's layouts (HEAD's and the older trailing-comma one with
 * `{finished: 1}`), a one-line array, any chunking; bad lines are skipped and reported in one
 * line naming the file and the first bad line; an overlong line ends the file (bounded).
 * Also --readscan and --report over such files, and the binary/text sniffing.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import fc from 'fast-check';
import { OutputSet } from '../../src/output/outputs.js';
import { MAX_LINE, TextScanReader, sniffScanFile } from '../../src/output/text-reader.js';
import { reasonFlags, reasonString } from '../../src/output/format.js';
import type { ScanRecord } from '../../src/core/record.js';
import { ScanError } from '../../src/error.js';
import { GOLDEN_DIR, META, SAMPLE, options, ourReadscan, rmDir, testIo, tmpDir } from './helpers.js';
import { runCli } from '../cli/helpers.js';

/** Reads bytes in the given chunk sizes (cycled); returns records and the end() error, if any. */
function readText(bytes: Uint8Array, name = 'f.json', chunks: readonly number[] = [bytes.length || 1]): { records: ScanRecord[]; appIds: number[]; error: string | undefined } {
  const r = new TextScanReader(name);
  const records: ScanRecord[] = [];
  const appIds: number[] = [];
  const on = (x: ScanRecord, id: number): void => { records.push(x); appIds.push(id); };
  let error: string | undefined;
  try {
    let pos = 0;
    for (let i = 0; pos < bytes.length; i++) {
      const n = chunks[i % chunks.length]!;
      r.push(bytes.subarray(pos, pos + n), on);
      pos += n;
    }
    r.end(on);
  } catch (e) {
    if (!(e instanceof ScanError)) throw e;
    error = e.message;
  }
  return { records, appIds, error };
}

/**
 * SAMPLE as JSON and NDJSON lose only what those formats do not carry: a banner's TTL, and
 * the number of an IP protocol they print as `err` (read back as 255).
 */
function asJsonKeeps(r: ScanRecord): ScanRecord {
  if (r.kind === 'status') return r.ipProto === 99 ? { ...r, ipProto: 255 } : r;
  if (r.kind === 'service') return r;
  return { ...r, ttl: 0, fields: undefined };
}

function written(format: string): Buffer {
  const dir = tmpDir('txt');
  try {
    const f = path.join(dir, 'out');
    const set = OutputSet.open(options({ outputs: [{ format, filename: f }] }), META, testIo());
    for (const r of SAMPLE) set.write(r);
    set.closeAll();
    return fs.readFileSync(f);
  } finally {
    rmDir(dir);
  }
}

for (const format of ['json', 'ndjson'] as const) {
  test(`${format}: our file reads back to the records written, at any chunking`, () => {
    const bytes = written(format);
    const want = SAMPLE.map(asJsonKeeps);
    const whole = readText(bytes);
    assert.equal(whole.error, undefined);
    assert.deepEqual(whole.records, want);
    // A banner's app id is its HEAD id (http 4, ssh 3, snmp 7, X509 15, title 17).
    assert.deepEqual(whole.appIds.filter((id) => id !== -1), [4, 3, 7, 15, 17]);
    fc.assert(fc.property(fc.array(fc.integer({ min: 1, max: 97 }), { minLength: 1, maxLength: 8 }), (chunks) => {
      const got = readText(bytes, 'f', chunks);
      assert.equal(got.error, undefined);
      assert.deepEqual(got.records, want);
    }), { numRuns: 60 });
  });
}

test('golden JSON and NDJSON files read to the same records', () => {
  const a = readText(fs.readFileSync(path.join(GOLDEN_DIR, 'json.json')));
  const b = readText(fs.readFileSync(path.join(GOLDEN_DIR, 'ndjson.ndjson')));
  assert.equal(a.error, undefined);
  assert.equal(b.error, undefined);
  assert.deepEqual(a.records, b.records);
  assert.equal(a.records.length, SAMPLE.length);
});

test("masscan's layouts: HEAD's spacing, the older trailing commas and {finished: 1}, a one-line array", () => {
  const head = '[\n{   "ip": "10.0.0.1",   "timestamp": "1700000000", "ports": [ {"port": 80, "proto": "tcp", "status": "open", "reason": "syn-ack", "ttl": 64} ] }\n,\n' +
    '{   "ip": "10.0.0.1",   "timestamp": "1700000003", "ports": [ {"port": 80, "proto": "tcp", "service": {"name": "http", "banner": "HTTP/1.0 200 OK\\u000d\\u000a"} } ] }\n]\n';
  const old = '{ "ip": "10.0.0.1", "timestamp": "1700000000", "ports": [ {"port": 80, "proto": "tcp", "status": "open", "reason": "syn-ack", "ttl": 64} ] },\n' +
    '{ "ip": "10.0.0.1", "timestamp": "1700000003", "ports": [ {"port": 80, "proto": "tcp", "service": {"name": "http", "banner": "HTTP/1.0 200 OK\\u000d\\u000a"} } ] },\n{finished: 1}\n';
  const oneLine = JSON.stringify(JSON.parse(head));
  const pretty = JSON.stringify(JSON.parse(head), null, 2); // what `jq .` writes
  const prettyLines = JSON.parse(head).map((r: unknown) => JSON.stringify(r, null, 2)).join('\n'); // `jq '.[]'`
  const want: ScanRecord[] = [
    { kind: 'status', timestamp: 1700000000, ip: { version: 4, v4: 0x0a000001 }, ipProto: 6, port: 80, status: 'open', reason: 0x12, ttl: 64 },
    { kind: 'banner', timestamp: 1700000003, ip: { version: 4, v4: 0x0a000001 }, ipProto: 6, port: 80, service: 'http', ttl: 0, banner: new Uint8Array(Buffer.from('HTTP/1.0 200 OK\r\n')), fields: undefined },
  ];
  for (const text of [head, old, oneLine, pretty, prettyLines, '\ufeff' + head.replace(/\n/g, '\r\n')]) {
    const got = readText(Buffer.from(text));
    assert.equal(got.error, undefined, text);
    assert.deepEqual(got.records, want, text);
  }
});

test('bad lines are skipped and reported once, naming the file and the first bad line; good ones are kept', () => {
  const lines = [
    '{"ip":"10.0.0.1","timestamp":"5","port":80,"proto":"tcp","rec_type":"status","data":{"status":"open","reason":"syn-ack","ttl":64}}',
    'not json at all',
    '{"ip":"10.0.0.999","timestamp":"5","port":80,"proto":"tcp","rec_type":"status","data":{"status":"open"}}',
    '{"ip":"10.0.0.2","timestamp":"5","port":70000,"proto":"tcp","rec_type":"status","data":{"status":"open"}}',
    '{"ip":"10.0.0.2","timestamp":"5","port":80,"proto":"tcp","rec_type":"status","data":{"status":"filtered"}}',
    '{"hello":"world"}',
    '{"ip":"10.0.0.3","timestamp":"6","port":22,"proto":"tcp","rec_type":"banner","data":{"service_name":"ssh","banner":"SSH-2.0-x","hassh":"abc"}}',
  ];
  const got = readText(Buffer.from(lines.join('\n')), 'scan.ndjson');
  assert.equal(got.records.length, 2);
  assert.deepEqual(got.records[1], {
    kind: 'banner', timestamp: 6, ip: { version: 4, v4: 0x0a000003 }, ipProto: 6, port: 22, service: 'ssh', ttl: 0,
    banner: new Uint8Array(Buffer.from('SSH-2.0-x')), fields: { hassh: 'abc' },
  });
  assert.match(got.error ?? '', /^scan\.ndjson: line 2: not JSON \(.*\) \(and 4 more bad lines\)$/);
  assert.ok(!got.error!.includes('\n'), 'one line');
  // Each reason the others were refused.
  for (const [line, why] of [[2, /bad address "10\.0\.0\.999"/], [3, /bad "port"/], [4, /bad "status" "filtered"/], [5, /not a scan record/]] as const) {
    assert.match(readText(Buffer.from(lines[line]!), 'x').error ?? '', why);
  }
});

test('pretty-printed records: a bad one is reported at its first line, one that never ends too', () => {
  const good = JSON.stringify({ ip: '10.0.0.1', timestamp: '1', port: 80, proto: 'tcp', rec_type: 'status', data: { status: 'open' } }, null, 2);
  const badIp = good.replace('10.0.0.1', '10.0.0.300');
  const text = [good, badIp, good, '{', '  "ip": "10.0.0.2",'].join('\n');
  const got = readText(Buffer.from(text), 'p.json');
  assert.equal(got.records.length, 2);
  const lines = good.split('\n').length;
  assert.equal(got.error, `p.json: line ${lines + 1}: bad address "10.0.0.300" (and 1 more bad line)`);
  assert.equal(readText(Buffer.from('{\n"ip": "1.2.3.4",\n'), 'q.json').error, 'q.json: line 1: a record that never ends');
});

test('bounded: a line longer than MAX_LINE ends the file with an error, without holding more than that', () => {
  const r = new TextScanReader('big.json');
  const chunk = Buffer.alloc(1 << 20, 0x20);
  chunk[0] = 0x7b; // '{'
  let err: unknown;
  let pushed = 0;
  try {
    for (; pushed <= MAX_LINE + (2 << 20); pushed += chunk.length) r.push(chunk, () => undefined);
  } catch (e) {
    err = e;
  }
  assert.ok(err instanceof ScanError);
  assert.equal(err.message, `big.json: line 1: longer than ${MAX_LINE >> 20} MiB`);
  assert.ok(pushed <= MAX_LINE, 'stops at the limit');
});

test('any input ends in records and at most one ScanError, never a crash', () => {
  const pieces = ['{', '}', '[', ']', ',', '\n', '"ip":', '"10.0.0.1"', '"ports":', '"rec_type":"status"', '"data":{}', ':', '1', 'null', '{finished: 1}', ' '];
  fc.assert(fc.property(
    fc.oneof(fc.uint8Array({ maxLength: 300 }), fc.array(fc.constantFrom(...pieces), { maxLength: 60 }).map((a) => new Uint8Array(Buffer.from(a.join(''))))),
    fc.array(fc.integer({ min: 1, max: 40 }), { minLength: 1, maxLength: 4 }),
    (bytes, chunks) => {
      const got = readText(bytes, 'fuzz.json', chunks);
      if (got.error !== undefined) assert.ok(got.error.startsWith('fuzz.json: ') && !got.error.includes('\n'), got.error);
    },
  ), { numRuns: 400 });
});

test('reasonFlags inverts reasonString for every flags byte', () => {
  for (let f = 0; f < 256; f++) assert.equal(reasonFlags(reasonString(f)), f);
});

test('sniffing: binary header vs JSON text', () => {
  assert.equal(sniffScanFile(Buffer.from('masscan/1.1\ns:1\n')), 'binary');
  assert.equal(sniffScanFile(Buffer.from('  \n[\n')), 'text');
  assert.equal(sniffScanFile(Buffer.from('\ufeff{"ip"')), 'text');
  assert.equal(sniffScanFile(new Uint8Array(0)), 'binary');
});

test('--readscan converts JSON and NDJSON files like binary ones; a bad file gives one line and exit 1', async () => {
  const dir = tmpDir('rs-text');
  try {
    const json = path.join(dir, 'a.json');
    const nd = path.join(dir, 'b.ndjson');
    const bad = path.join(dir, 'c.json');
    fs.copyFileSync(path.join(GOLDEN_DIR, 'json.json'), json);
    fs.copyFileSync(path.join(GOLDEN_DIR, 'ndjson.ndjson'), nd);
    fs.writeFileSync(bad, '[\n{"ip":"1.2.3.4","timestamp":"1","ports":[{"port":1,"proto":"tcp","status":"open"}]}\n,\n{oops\n]\n');
    const out = path.join(dir, 'out.txt');
    const r = await ourReadscan([json, nd, bad], { outputs: [{ format: 'list', filename: out }], showClosed: true });
    assert.equal(r.rc, 1);
    assert.match(r.stderr, new RegExp(`^\\[-\\] ${bad.replace(/[.]/g, '\\.')}: line 4: not JSON`, 'm'));
    const listed = fs.readFileSync(out, 'latin1').split('\n').filter((l) => l !== '' && !l.startsWith('#'));
    assert.equal(listed.length, 2 * SAMPLE.length + 1);
    assert.ok(listed.includes('open tcp 1 1.2.3.4 1'), 'the good record before the bad line is kept');
  } finally {
    rmDir(dir);
  }
});

test('--report OUT FILES: one page from binary, JSON and NDJSON files together', async () => {
  const dir = tmpDir('rs-report');
  try {
    const out = path.join(dir, 'r.html');
    const files = ['binary.bin', 'json.json', 'ndjson.ndjson'].map((f) => path.join(GOLDEN_DIR, f));
    const r = await ourReadscan(files, { outputs: [{ format: 'report', filename: out }], showClosed: true });
    assert.equal(r.rc, 0, r.stderr);
    const html = fs.readFileSync(out, 'utf8');
    // The three files hold the same scan: each port and banner once.
    const portRows = /<table id="ports-table"[\s\S]*?<\/table>/.exec(html)![0].match(/<tr>/g)!.length - 1;
    assert.equal(portRows, SAMPLE.filter((x) => x.kind === 'status' && x.ipProto !== 0).length);
    assert.match(html, /<dt>Scan started<\/dt><dd>2023-11-14 22:13:20Z<\/dd>/, 'a report of files starts at its first record');
  } finally {
    rmDir(dir);
  }
});

test('the command line: tidescan --report OUT FILES… with a missing, a damaged and a good file; bad output paths', () => {
  const dir = tmpDir('cli-report');
  try {
    const out = path.join(dir, 'r.html');
    const missing = path.join(dir, 'missing.json');
    const bad = path.join(dir, 'bad.ndjson');
    fs.writeFileSync(bad, '{"ip":"1.2.3.4","timestamp":"1","port":1,"proto":"tcp","rec_type":"status","data":{"status":"open"}}\n{"ip": 7, "ports": []}\n');
    const good = path.join(GOLDEN_DIR, 'binary.bin');
    const r = runCli(['--report', out, missing, bad, good]);
    assert.equal(r.status, 1);
    assert.equal(r.stderr,
      `[+] --readscan ${missing}\n[-] ${missing}: cannot read (ENOENT)\n` +
      `[+] --readscan ${bad}\n[-] ${bad}: line 2: "ip" is not a string\n` +
      `[+] --readscan ${good}\n`);
    const html = fs.readFileSync(out, 'utf8');
    assert.match(html, /<td data-k="401020304">1\.2\.3\.4<\/td>/, 'the good record of the damaged file is in the page');
    assert.match(html, /<\/html>\n$/);
    const noDir = runCli(['--report', path.join(dir, 'no', 'r.html'), good]);
    assert.equal(noDir.status, 1);
    assert.match(noDir.stderr, /^\[-\] FAIL: .*no\/r\.html: cannot open for writing \(ENOENT\)\n$/m);
    assert.match(runCli(['--report']).stderr, /--report: no files given/);
  } finally {
    rmDir(dir);
  }
});

test('identification records (service name, handshakes) read back from JSON and NDJSON', () => {
  const json = Buffer.from('[\n{"ip":"10.0.0.7","timestamp":"1700000003","ports":[{"port":7000,"proto":"tcp","service":{"name":"redis","handshakes":3}}]}\n]\n');
  const nd = Buffer.from('{"ip":"10.0.0.7","timestamp":"1700000003","port":7000,"proto":"tcp","rec_type":"service","data":{"service_name":"redis","handshakes":3}}\n');
  const want: ScanRecord = { kind: 'service', timestamp: 1700000003, ip: { version: 4, v4: 0x0a000007 }, ipProto: 6, port: 7000, ttl: 0, service: 'redis', handshakes: 3 };
  for (const [bytes, name] of [[json, 'f.json'], [nd, 'f.ndjson']] as const) {
    for (const chunks of [[bytes.length], [1], [7, 3]]) {
      const r = readText(bytes, name, chunks);
      assert.equal(r.error, undefined, name);
      assert.deepEqual(r.records, [want], `${name} in chunks of ${chunks.join(',')}`);
    }
  }
  // A service entry with neither a banner nor handshakes is still a bad line.
  assert.match(readText(Buffer.from('{"ip":"10.0.0.7","timestamp":"1","ports":[{"port":1,"proto":"tcp","service":{"name":"x"}}]}\n')).error ?? '', /bad "service"/);
});
