/** The operation table (src/commands/index.ts), the fd writer, and the small modes. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { COMMANDS } from '../../src/commands/index.js';
import { TEXT_COMMANDS } from '../../src/cli/text-commands.js';
import { writeAll, writeLineSync, writeText } from '../../src/commands/fd-writer.js';
import { echoCidrText, readrangeText } from '../../src/cli/echo.js';
import { runIflist } from '../../src/commands/iflist.js';
import { parse } from '../cli/helpers.js';

test('the two tables have one handler for every operation but the scan, with no overlap', () => {
  const text = ['usage', 'help', 'nmap-help', 'version', 'echo', 'echo-cidr', 'readrange', 'k8s-job'];
  const ops = ['list', 'readscan', 'iflist', 'selftest', 'benchmark', 'merge'];
  assert.deepEqual(Object.keys(TEXT_COMMANDS).sort(), [...text].sort());
  assert.deepEqual(Object.keys(COMMANDS).sort(), [...ops].sort());
  for (const op of ops) assert.equal(typeof COMMANDS[op as keyof typeof COMMANDS], 'function');
  for (const op of text) assert.equal(typeof TEXT_COMMANDS[op as keyof typeof TEXT_COMMANDS], 'function');
  assert.equal('scan' in COMMANDS || 'scan' in TEXT_COMMANDS, false);
});

test('fd writer: whole text to a file; a closed descriptor is false, not a throw', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tidescan-fd-'));
  try {
    const p = join(dir, 'out');
    const fd = openSync(p, 'w');
    const big = 'x'.repeat(3 << 20);
    assert.equal(writeText(fd, big), true);
    assert.equal(writeLineSync(fd, 'end'), true);
    assert.equal(writeAll(fd, Uint8Array.of(0x41, 0x42, 0x43), 2), true);
    closeSync(fd);
    assert.equal(readFileSync(p, 'utf8'), `${big}end\nAB`);
    assert.equal(writeLineSync(fd, 'after close'), false);
    assert.equal(writeAll(fd, Uint8Array.of(1)), false);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('--echo-cidr and --readrange texts', () => {
  const c = parse(['10.0.0.1-10.0.0.6', '2001:db8::/127', '-p80']);
  assert.equal(echoCidrText(c), '10.0.0.1/32\n10.0.0.2/31\n10.0.0.4/31\n10.0.0.6/32\n2001:db8::/127\n');
  assert.equal(readrangeText(c), '10.0.0.1-10.0.0.6\n2001:db8::/127\n');
});

test('--iflist prints the adapter list (lo included) to its writer and exits 0', async () => {
  let out = '';
  assert.equal(await runIflist((t) => { out += t; }), 0);
  assert.match(out, /^Available adapters:\n/);
  assert.match(out, / lo /);
});
