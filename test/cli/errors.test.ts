/**
 * Every bad input: the built program exits 1 with exactly one stderr line
 * `[-] FAIL: <message>` that names the input, and no stack trace.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'tidescan-errors-'));
const badInclude = join(dir, 'bad-targets.txt');
writeFileSync(badInclude, '10.0.0.1\n10.0.0.300\n');
const unreadable = join(dir); // a directory: EISDIR

const CASES: [string, string[], RegExp][] = [
  ['unknown option', ['--bogus', '1'], /unknown option: --bogus/],
  ['unknown single-dash option', ['-Z'], /unknown option: -Z/],
  ['unknown positional', ['foo'], /unknown command-line parameter "foo"/],
  ['bad address', ['10.0.0.300', '-p80'], /bad IP address\/range: "10\.0\.0\.300"/],
  ['bad CIDR', ['10.0.0.0/33', '-p80'], /bad IP address\/range: "10\.0\.0\.0\/33"/],
  ['bad range option', ['--range', '1.2.3', '-p80'], /--range: bad IP address\/range: "1\.2\.3"/],
  ['bad exclude', ['10.0.0.0/8', '-p80', '--exclude', 'x.y'], /--exclude: bad IP address\/range: "x\.y"/],
  ['bad port', ['10.0.0.1', '-p', '65536'], /-p: bad target port: 65536/],
  ['bad port prefix', ['10.0.0.1', '-p', 'X:5'], /-p: bad target port/],
  ['bad shard', ['10.0.0.1', '-p80', '--shard', '5/4'], /--shard "5\/4"/],
  ['bad shard syntax', ['10.0.0.1', '-p80', '--shard', 'half'], /--shard "half"/],
  ['bad rate', ['10.0.0.1', '-p80', '--rate', '1e6x'], /--rate "1e6x"/],
  ['bad seed', ['10.0.0.1', '-p80', '--seed', 'random'], /--seed "random"/],
  ['missing -c file', ['-c', join(dir, 'nope.conf')], /-c: cannot read configuration file ".*nope\.conf": ENOENT/],
  ['unreadable -c file', ['-c', unreadable], /-c: cannot read configuration file ".*": EISDIR/],
  ['missing -iL file', ['-iL', join(dir, 'nope.txt'), '-p80'], /-iL: cannot read include file ".*nope\.txt": ENOENT/],
  ['bad line in -iL file', ['-iL', badInclude, '-p80'], /bad-targets\.txt:2/],
  ['missing --excludefile', ['10.0.0.0/8', '-p80', '--excludefile', join(dir, 'nope.txt')],
    /--excludefile: cannot read exclude file ".*nope\.txt": ENOENT/],
  ['empty after excludes', ['10.0.0.0/24', '-p80', '--exclude', '10.0.0.0/16'],
    /target IP address list empty: all addresses were removed by exclusion ranges/],
  ['no targets', ['-p80'], /target IP address list empty/],
  ['no ports', ['10.0.0.1'], /no ports were specified/],
  ['1e9 rule', ['0.0.0.0/1', '-p80'], /range too big, need confirmation: 2147483648 IPv4 addresses/],
  ['2^53 rule', ['2001:db8::/64', '-p80'], /scan range too large, max is 53-bits/],
  ['2^53 rule for -sL', ['-sL', '2001:db8::/70', '-p1-100'], /scan range too large/],
  ['missing value', ['10.0.0.1', '-p80', '--rate'], /--rate: missing value/],
  ['nmap option', ['-sA', '10.0.0.1', '-p80'], /nmap\(-sA\): /],
  ['nmap output', ['-oA', 'x', '10.0.0.1', '-p80'], /nmap\(-oA\): unsupported output format/],
  ['arp and ports', ['--arp', '10.0.0.0/24', '-p80'], /cannot arpscan and portscan at the same time/],
];

for (const [name, args, re] of CASES) {
  test(`error: ${name}`, () => {
    const r = runCli(args);
    assert.equal(r.status, 1, `exit code for ${args.join(' ')}; stderr: ${r.stderr}`);
    const lines = r.stderr.split('\n').filter((l) => l !== '');
    assert.equal(lines.length, 1, `one stderr line: ${r.stderr}`);
    assert.match(lines[0]!, /^\[-\] FAIL: /);
    assert.match(lines[0]!, re);
    assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
    assert.equal(r.stdout, '');
  });
}

test('help, usage, version and --nmap exit 1 like masscan; --echo exits 0', () => {
  for (const args of [['--help'], ['-h'], [], ['--version'], ['-V'], ['--nmap']]) {
    const r = runCli(args);
    assert.equal(r.status, 1, args.join(' '));
    assert.notEqual(r.stdout, '');
    assert.equal(r.stderr, '');
  }
  const e = runCli(['10.0.0.1', '-p80', '--echo', '--seed', '1']);
  assert.equal(e.status, 0);
  assert.match(e.stdout, /^seed = 1\n/);
});

test('--help lists every option of the table that has help', async () => {
  const { OPTIONS } = await import('../../src/cli/options.js');
  const r = runCli(['--help']);
  for (const def of OPTIONS) if (def.help !== '') assert.ok(r.stdout.includes(`--${def.name}`), def.name);
});

test('warnings go to stderr and do not stop the program', () => {
  const r = runCli(['10.0.0.1', '-p80', '--echo', '--send-eth', '-sT', '--shard', '1/2']);
  assert.equal(r.status, 0);
  assert.match(r.stderr, /nmap\(send-eth\): /);
  assert.match(r.stderr, /--seed <num> is not specified/);
});

test('a warning that quotes a file name with a line break stays one stderr line', () => {
  const f = join(dir, 'ex\nclude.txt');
  writeFileSync(f, '10.0.0.7\n');
  const r = runCli(['10.0.0.0/24', '-p80', '--echo', '--seed', '1', '--excludefile', f]);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stderr, `${dir}/ex\\nclude.txt: excluding 1 ranges from file\n`);
});

test('--echo-cidr and --readrange print the targets', () => {
  const c = runCli(['--echo-cidr', '10.0.0.1-10.0.0.6', '2001:db8::/127']);
  assert.equal(c.status, 0);
  assert.equal(c.stdout, '10.0.0.1/32\n10.0.0.2/31\n10.0.0.4/31\n10.0.0.6/32\n2001:db8::/127\n');
  // The whole space is one block in each family (not masscan's `0.0.0.0-255.255.255.255` range text).
  const all = runCli(['--echo-cidr', '0.0.0.0/0', '::/0']);
  assert.equal(all.status, 0);
  assert.equal(all.stdout, '0.0.0.0/0\n::/0\n');
  const r = runCli(['--readrange', '10.0.0.0/8', '2.0.0.0-2.0.0.1', '--exclude', '10.1.0.0/16']);
  assert.equal(r.status, 0);
  assert.equal(r.stdout, '2.0.0.0/31\n10.0.0.0/16\n10.2.0.0-10.255.255.255\n');
});

after(() => {
  rmSync(dir, { recursive: true, force: true });
});
