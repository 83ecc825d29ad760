/**
 * A child process writing every format is killed mid-way (SIGTERM, SIGINT) or dies of a fatal
 * error; every file must still parse: JSON with jq, NDJSON line by line, XML against nmap.dtd,
 * binary with our reader and masscan's, list/unicornscan with their footer.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { readBinary } from './binfile.js';
import { jqValid, requireTool, rmDir, run, tmpDir, xmlValid } from './helpers.js';

const CHILD = path.resolve(import.meta.dirname, 'kill-child.js');

async function runChild(dir: string, mode: string, signal: NodeJS.Signals | undefined): Promise<number | null> {
  const child = spawn(process.execPath, [CHILD, dir, mode], { stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  child.stderr.on('data', (d: Buffer) => { err += d.toString(); });
  const exited = new Promise<number | null>((res) => child.on('exit', (code) => res(code)));
  const timer = setTimeout(() => child.kill('SIGKILL'), 30000);
  try {
    if (signal !== undefined) {
      await new Promise<void>((res, rej) => {
        child.stdout.on('data', (d: Buffer) => { if (d.toString().includes('ready')) res(); });
        child.on('exit', () => rej(new Error(`child exited before ready: ${err}`)));
      });
      await new Promise((r) => setTimeout(r, 30));
      child.kill(signal);
    }
    return await exited;
  } finally {
    clearTimeout(timer);
  }
}

function checkFiles(dir: string): void {
  const json = path.join(dir, 'out.json');
  assert.equal(jqValid(json), '');
  const records = (JSON.parse(fs.readFileSync(json, 'latin1')) as unknown[]).length;
  assert.ok(records >= 50000, `json records ${records}`);
  const nd = fs.readFileSync(path.join(dir, 'out.ndjson'), 'latin1');
  assert.ok(nd.endsWith('\n'));
  const ndLines = nd.split('\n').filter((l) => l !== '');
  for (const l of ndLines) JSON.parse(l);
  assert.equal(ndLines.length, records);
  assert.equal(jqValid(path.join(dir, 'out.ndjson'), true), '');
  assert.equal(xmlValid(path.join(dir, 'out.xml')), '');
  const bin = fs.readFileSync(path.join(dir, 'out.bin'));
  const p = readBinary(bin);
  assert.equal(p.error, undefined);
  assert.equal(p.records.length, records);
  const m = run('masscan', ['--readscan', path.join(dir, 'out.bin'), '-oH', '-']);
  assert.equal(m.status, 0);
  assert.equal(m.stderr.includes('corrupt'), false, m.stderr);
  for (const f of ['out.txt', 'out.u']) assert.ok(fs.readFileSync(path.join(dir, f), 'latin1').endsWith('# end\n'), f);
  assert.match(fs.readFileSync(path.join(dir, 'out.gnmap'), 'latin1'), /# tidescan done at .*\n$/);
  assert.equal(fs.readFileSync(path.join(dir, 'out.h'), 'latin1').split('\n').length - 1, records);
}

for (const [mode, signal, code] of [['signal', 'SIGTERM', 143], ['signal', 'SIGINT', 130], ['fatal', undefined, 1]] as const) {
  test(`kill: ${signal ?? 'fatal error'} mid-way leaves every output complete and valid`, async () => {
    requireTool('jq');
    requireTool('xmllint');
    requireTool('masscan');
    const dir = tmpDir('kill');
    try {
      const rc = await runChild(dir, mode, signal);
      assert.equal(rc, code);
      checkFiles(dir);
    } finally {
      rmDir(dir);
    }
  });
}
