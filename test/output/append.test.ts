/**
 * --append-output keeps JSON, XML and binary files ONE valid document across runs (the
 * closing `]`, the XML footer, the binary trailer are cut and written again at the end).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ScanError } from '../../src/error.js';
import { OutputSet } from '../../src/output/outputs.js';
import type { ScanRecord } from '../../src/core/record.js';
import { readBinary } from './binfile.js';
import { META, SAMPLE, jqValid, options, requireTool, rmDir, run, testIo, tmpDir, xmlValid } from './helpers.js';

function runOnce(format: string, file: string, records: readonly ScanRecord[], append: boolean): void {
  const set = OutputSet.open(options({ outputs: [{ format, filename: file }], append }), META, testIo());
  for (const r of records) set.write(r);
  set.closeAll();
  assert.deepEqual(set.errors, []);
}

test('append: JSON stays one valid array over several runs (empty runs included)', () => {
  requireTool('jq');
  const dir = tmpDir('appjson');
  try {
    const f = path.join(dir, 'a.json');
    runOnce('json', f, SAMPLE.slice(0, 3), true); // append to a missing file = fresh
    runOnce('json', f, SAMPLE.slice(3, 7), true);
    runOnce('json', f, [], true);
    runOnce('json', f, SAMPLE.slice(7), true);
    assert.equal(jqValid(f), '');
    const arr = JSON.parse(fs.readFileSync(f, 'latin1')) as unknown[];
    assert.equal(arr.length, SAMPLE.length);
    // masscan's layout is kept: `,` lines between records, one `]` at the end
    const text = fs.readFileSync(f, 'latin1');
    assert.equal(text.match(/^\]$/gm)?.length, 1);
    assert.equal(text.match(/^,$/gm)?.length, SAMPLE.length - 1);
  } finally {
    rmDir(dir);
  }
});

test('append: JSON after an empty-scan file and after a killed writer (no closing bracket)', () => {
  const dir = tmpDir('appjson2');
  try {
    const f = path.join(dir, 'a.json');
    runOnce('json', f, [], false);
    assert.equal(fs.readFileSync(f, 'latin1'), '[\n]\n');
    runOnce('json', f, SAMPLE.slice(0, 2), true);
    assert.equal((JSON.parse(fs.readFileSync(f, 'latin1')) as unknown[]).length, 2);
    // a writer killed without its footer
    fs.writeFileSync(f, fs.readFileSync(f, 'latin1').replace(/\]\n$/, ''));
    runOnce('json', f, SAMPLE.slice(2, 4), true);
    assert.equal((JSON.parse(fs.readFileSync(f, 'latin1')) as unknown[]).length, 4);
    // a trailing comma line (killed between separator and record)
    fs.writeFileSync(f, fs.readFileSync(f, 'latin1').replace(/\]\n$/, ',\n'));
    runOnce('json', f, SAMPLE.slice(4, 5), true);
    assert.equal((JSON.parse(fs.readFileSync(f, 'latin1')) as unknown[]).length, 5);
  } finally {
    rmDir(dir);
  }
});

test('append: refuses to continue a file that is not a JSON array, and leaves it untouched', () => {
  const dir = tmpDir('appjson3');
  try {
    const f = path.join(dir, 'a.json');
    fs.writeFileSync(f, '#masscan\nopen tcp 80 1.2.3.4 5\n');
    assert.throws(
      () => OutputSet.open(options({ outputs: [{ format: 'json', filename: f }], append: true }), META, testIo()),
      (e: unknown) => e instanceof ScanError && e.code === 'ERR_FILE' && e.message.startsWith(`${f}: cannot append json output: not a JSON array`),
    );
    assert.equal(fs.readFileSync(f, 'latin1'), '#masscan\nopen tcp 80 1.2.3.4 5\n');
  } finally {
    rmDir(dir);
  }
});

test('append: XML stays one nmap.dtd-valid document; <hosts> counts add up', () => {
  requireTool('xmllint');
  const dir = tmpDir('appxml');
  try {
    const f = path.join(dir, 'a.xml');
    runOnce('xml', f, SAMPLE.slice(0, 5), true);
    runOnce('xml', f, SAMPLE.slice(5), true);
    runOnce('xml', f, [], true);
    assert.equal(xmlValid(f), '');
    const text = fs.readFileSync(f, 'latin1');
    assert.equal(text.match(/<host /g)?.length, SAMPLE.length);
    assert.equal(text.match(/<nmaprun /g)?.length, 1);
    assert.equal(text.match(/<\/nmaprun>/g)?.length, 1);
    const one = path.join(dir, 'one.xml');
    runOnce('xml', one, SAMPLE, false);
    const hosts = (s: string): string => /<hosts [^>]*>/.exec(s)![0];
    assert.equal(hosts(text), hosts(fs.readFileSync(one, 'latin1')));
    // a writer killed before its footer: continued after the last complete line
    fs.writeFileSync(f, text.slice(0, text.indexOf('<runstats>')) + '<host endtime="1"><sta');
    runOnce('xml', f, SAMPLE.slice(0, 1), true);
    assert.equal(xmlValid(f), '');
  } finally {
    rmDir(dir);
  }
});

test('append: binary keeps one header and one trailer; our reader and masscan read every record', () => {
  requireTool('masscan');
  const dir = tmpDir('appbin');
  try {
    const f = path.join(dir, 'a.bin');
    const noArp = SAMPLE.filter((r) => r.ipProto !== 0);
    runOnce('binary', f, noArp.slice(0, 4), true);
    runOnce('binary', f, noArp.slice(4), true);
    const bytes = fs.readFileSync(f);
    const p = readBinary(bytes);
    assert.equal(p.error, undefined);
    assert.equal(p.records.length, noArp.length);
    assert.equal(bytes.toString('latin1').split('masscan/1.1').length - 1, 2); // header + trailer
    const m = run('masscan', ['--readscan', f, '--show', 'closed', '-oL', '-']);
    assert.equal(m.stdout.split('\n').filter((l) => l !== '' && !l.startsWith('#')).length, noArp.length);
  } finally {
    rmDir(dir);
  }
});

test('append: line formats append as masscan does', () => {
  const dir = tmpDir('applist');
  try {
    const f = path.join(dir, 'a.txt');
    runOnce('list', f, SAMPLE.slice(0, 2), true);
    runOnce('list', f, SAMPLE.slice(2, 3), true);
    assert.equal(fs.readFileSync(f, 'latin1'),
      '#masscan\nopen tcp 80 10.0.0.1 1700000000\nclosed tcp 443 10.0.0.2 1700000001\n# end\n' +
      '#masscan\nopen udp 53 10.0.0.3 1700000002\n# end\n');
  } finally {
    rmDir(dir);
  }
});
