import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, openSync, closeSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runList, runListSerial, listPlan } from '../../src/commands/list.js';
import { parse, runCli, BIN } from '../cli/helpers.js';

function list(args: string): string {
  const r = runCli(['-sL', ...args.split(' ')]);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stderr, '');
  return r.stdout;
}

// Expected outputs below were printed by masscan 1.3.2 for the same arguments.
test('-sL: ip:port lines in blackrock order', () => {
  assert.equal(list('10.0.0.0/30 -p80,443 --seed 1'),
    '10.0.0.1:80\n10.0.0.2:80\n10.0.0.3:80\n10.0.0.2:443\n10.0.0.0:80\n10.0.0.3:443\n10.0.0.0:443\n10.0.0.1:443\n');
});

test('-sL: one port or no port prints addresses alone', () => {
  const expected = '10.0.0.1\n10.0.0.2\n10.0.0.3\n10.0.0.6\n10.0.0.0\n10.0.0.7\n10.0.0.4\n10.0.0.5\n';
  assert.equal(list('10.0.0.0/29 -p80 --seed 1'), expected);
  assert.equal(list('10.0.0.0/29 --seed 1'), expected);
});

test('-sL: UDP ports print as internal values', () => {
  assert.equal(list('10.0.0.0/30 -pU:53,80 --seed 1'),
    '10.0.0.1:65589\n10.0.0.2:65589\n10.0.0.3:65589\n10.0.0.2:65616\n10.0.0.0:65589\n10.0.0.3:65616\n10.0.0.0:65616\n10.0.0.1:65616\n');
});

test('-sL: IPv4 block first, then IPv6 in brackets', () => {
  assert.equal(list('10.0.0.0/30 1::/127 -p80,81 --seed 1'),
    '[1::]:81\n[1::1]:81\n[1::1]:80\n10.0.0.0:80\n10.0.0.1:80\n10.0.0.2:80\n10.0.0.3:80\n'
    + '10.0.0.0:81\n10.0.0.1:81\n10.0.0.2:81\n10.0.0.3:81\n[1::]:80\n');
});

test('-sL: shards and resume index/count', () => {
  assert.equal(list('10.0.0.0/29 -p80 --seed 1 --shard 2/3'), '10.0.0.2\n10.0.0.0\n10.0.0.5\n');
  assert.equal(list('10.0.0.0/29 -p80 --seed 1 --resume-index 3 --resume-count 2'), '10.0.0.6\n10.0.0.0\n');
  assert.equal(list('10.0.0.0/29 -p80 --seed 1 --resume-index 8'), '');
});

test('-sL: the parallel renderer writes exactly what the serial one writes', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tidescan-list-'));
  try {
    for (const argv of [
      ['-sL', '10.0.0.0/12', '-p80,U:53', '--seed', '99'],
      ['-sL', '10.0.0.0/10', '2001:db8::/108', '--seed', '5', '--shard', '2/3', '--resume-index', '7', '--resume-count', '4000000'],
    ]) {
      const c = parse(argv);
      const plan = listPlan(c);
      assert.ok((plan.end - plan.start) / plan.step > 1 << 20, 'large enough for workers');
      const a = join(dir, 'serial.txt');
      const b = join(dir, 'parallel.txt');
      let fd = openSync(a, 'w');
      runListSerial(c, fd);
      closeSync(fd);
      fd = openSync(b, 'w');
      assert.equal(await runList(c, fd), 0);
      closeSync(fd);
      const sa = readFileSync(a);
      const sb = readFileSync(b);
      assert.ok(sa.length > 0);
      assert.ok(sa.equals(sb), argv.join(' '));
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('-sL: a reader that goes away (| head) ends the listing quietly with exit 0', async () => {
  const child = spawn(process.execPath, [BIN, '-sL', '10.0.0.0/8', '-p80,443', '--seed', '1'], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, TIDESCAN_NO_DEFAULT_CONFIG: '1' },
  });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
  const first = await new Promise<string>((resolve) => {
    child.stdout.once('data', (d: Buffer) => { resolve(d.toString().split('\n')[0]!); child.stdout.destroy(); });
  });
  const code = await new Promise<number | null>((resolve) => {
    const timer = setTimeout(() => { child.kill('SIGKILL'); resolve(-1); }, 30_000);
    child.on('exit', (c) => { clearTimeout(timer); resolve(c); });
  });
  assert.match(first, /^10\.\d+\.\d+\.\d+:(80|443)$/);
  assert.equal(code, 0);
  assert.equal(stderr, '');
});
