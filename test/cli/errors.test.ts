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
const emptyInclude = join(dir, 'empty-targets.txt');
writeFileSync(emptyInclude, '# nothing here yet\n');
const hugeConf = join(dir, 'huge.conf');
// a mutated config file: one value of 22 KB
writeFileSync(hugeConf, `range = 10.0.0.1\nports = 80\nrate = 5${'x'.repeat(22_000)}\n`);
const hugeName = join(dir, 'huge-name.conf');
writeFileSync(hugeName, `range = 10.0.0.1\n${'q'.repeat(22_000)} = 1\n`);
const hugeInclude = join(dir, 'huge-targets.txt');
writeFileSync(hugeInclude, `10.0.0.1\n10.0.0.2${'z'.repeat(22_000)}\n`);
const reversedInclude = join(dir, 'reversed.txt');
writeFileSync(reversedInclude, '10.0.0.1\n10.0.0.9-10.0.0.3\n');

const CASES: [string, string[], RegExp][] = [
  ['unknown option', ['--bogus', '1'], /unknown option: --bogus/],
  ['unknown single-dash option', ['-Z'], /unknown option: -Z/],
  ['unknown positional', ['foo'], /unknown command-line parameter "foo"/],
  ['bad address', ['10.0.0.300', '-p80'], /bad IP address\/range: "10\.0\.0\.300"/],
  ['bad CIDR', ['10.0.0.0/33', '-p80'], /bad IP address\/range: "10\.0\.0\.0\/33"/],
  ['bad range option', ['--range', '1.2.3', '-p80'], /--range: bad IP address\/range: "1\.2\.3"/],
  ['bad exclude', ['10.0.0.0/8', '-p80', '--exclude', 'x.y'], /--exclude: bad IP address\/range: "x\.y"/],
  ['bad port', ['10.0.0.1', '-p', '65536'], /-p: bad target port "65536": above 65535/],
  ['port list with trailing garbage', ['10.0.0.1', '-p', '80,x'], /-p: bad target port "x" in "80,x": not a port/],
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
    /^\[-\] FAIL: target IP address list empty: every address of 10\.0\.0\.0\/24 was removed by --exclude 10\.0\.0\.0\/16$/],
  ['empty after excludes, several inputs', ['10.0.0.0/24', '--range', '10.0.1.1', '-p80', '--exclude', '10.0.0.0/16', '--exclude', '10.0.1.1'],
    /every address of 10\.0\.0\.0\/24, --range 10\.0\.1\.1 was removed by --exclude 10\.0\.0\.0\/16, --exclude 10\.0\.1\.1$/],
  ['reversed range', ['10.0.0.5-10.0.0.1', '-p80'],
    /^\[-\] FAIL: bad IP address\/range: "10\.0\.0\.5-10\.0\.0\.1": the range ends below its start$/],
  ['reversed range option', ['--range', '10.0.0.9,10.0.0.5-10.0.0.1', '-p80'],
    /^\[-\] FAIL: --range: bad IP address\/range: "10\.0\.0\.5-10\.0\.0\.1": the range ends below its start$/],
  ['reversed IPv6 range', ['2001:db8::9-2001:db8::1', '-p80'], /"2001:db8::9-2001:db8::1": the range ends below its start$/],
  ['reversed exclude', ['10.0.0.0/24', '-p80', '--exclude', '10.0.0.9-10.0.0.1'],
    /--exclude: bad IP address\/range: "10\.0\.0\.9-10\.0\.0\.1": the range ends below its start$/],
  ['reversed range in -iL file', ['-iL', reversedInclude, '-p80'],
    /reversed\.txt:2:1: bad range on line #2: "10\.0\.0\.9-10\.0\.0\.3": the range ends below its start$/],
  ['empty -iL file', ['-iL', emptyInclude, '-p80'],
    /target IP address list empty: include file ".*empty-targets\.txt" \(no addresses in it\) gave no addresses$/],
  ['all ports excluded', ['10.0.0.1', '-p80,443', '--exclude-ports', '1-1000'],
    /no ports left: every port of -p 80,443 was removed by --exclude-ports 1-1000$/],
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

/** Errors that quote a 22 KB value: cut to 80 characters and "...", the same in every path. */
const LONG_CASES: [string, string[], RegExp][] = [
  ['22 KB config value', ['-c', hugeConf], new RegExp(`huge\\.conf:3: rate "5${'x'.repeat(79)}\\.\\.\\.": `)],
  ['22 KB config name', ['-c', hugeName], new RegExp(`huge-name\\.conf:2: unknown config option: ${'q'.repeat(80)}\\.\\.\\. = 1$`)],
  ['22 KB token in -iL file', ['-iL', hugeInclude, '-p80'], new RegExp(`"10\\.0\\.0\\.2${'z'.repeat(72)}\\.\\.\\."$`)],
  ['22 KB option value', ['10.0.0.1', '-p80', '--rate', 'x'.repeat(22_000)], new RegExp(`--rate "${'x'.repeat(80)}\\.\\.\\.": `)],
  ['22 KB target', [`10.0.0.1${'y'.repeat(22_000)}`, '-p80'], /bad IP address\/range: "10\.0\.0\.1y+\.\.\."$/],
  ['22 KB port list', ['10.0.0.1', '-p', `80,${'9'.repeat(22_000)}`], /-p: bad target port "9{80}\.\.\." in "80,9{37}\.\.\.": above 65535/],
  ['22 KB unknown option', [`--${'b'.repeat(22_000)}`], /unknown option: --b+\.\.\. \(try --help/],
  ['22 KB positional', [`${'w'.repeat(22_000)}`], /unknown command-line parameter "w+\.\.\."/],
  ['22 KB range excluded to nothing', ['10.0.0.1', `--range=10.0.0.1,${' '.repeat(22_000)}10.0.0.1`, '-p80', '--exclude', '10.0.0.1'],
    /every address of 10\.0\.0\.1, --range 10\.0\.0\.1, +\.\.\. was removed/],
];

for (const [name, args, re] of LONG_CASES) {
  test(`error: ${name} is cut`, () => {
    const r = runCli(args);
    assert.equal(r.status, 1, r.stderr.slice(0, 300));
    const lines = r.stderr.split('\n').filter((l) => l !== '');
    assert.equal(lines.length, 1);
    assert.ok(lines[0]!.length < 300, `${lines[0]!.length} characters: ${lines[0]!.slice(0, 300)}`);
    assert.match(lines[0]!, re);
  });
}

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
