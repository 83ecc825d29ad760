import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { parseConfigText } from '../../src/cli/config-file.js';
import { echoConfig, pausedConfText, writePausedConf } from '../../src/cli/echo.js';
import { DEFAULT_CONFIG_PATH } from '../../src/cli/parse.js';
import { testIo, parse, parseText } from './helpers.js';

/** The paused.conf of reference §3.3, verbatim (masscan HEAD, interrupted offline scan). */
const PAUSED = `
# resume information
resume-index = 71
seed = 12345
rate = 50        
shard = 1/1
banners = true
retries = 1
offline = true
nocapture = servername
nocapture = servername

output-filename = scan.xml
output-format = xml

adapter-ip = 192.0.2.50
adapter-port = 40000-40015
# TARGET SELECTION (IP, PORTS, EXCLUDES)
ports = 80,443,U:53
range = 10.0.0.0-10.0.4.255
range = 10.0.6.0-10.0.255.255
`;

test('grammar: name = value, punctuation and =-less lines skipped, both sides trimmed', () => {
  const text = '# comment\n; other\n[section]\n  rate  =  5  \nno equals here\n\nports=80\r\nhello-string[80] = aGk=\n=x\n';
  assert.deepEqual(parseConfigText(text), [
    { name: 'rate', value: '5', line: 4 },
    { name: 'ports', value: '80', line: 7 },
    { name: 'hello-string[80]', value: 'aGk=', line: 8 },
  ]);
});

test('grammar never throws and finds only name=value lines (fuzz)', () => {
  fc.assert(fc.property(fc.string({ maxLength: 400 }), (s) => {
    for (const e of parseConfigText(s)) {
      assert.ok(e.name.length > 0 && !e.name.includes('=') && !e.name.includes('\n'));
      assert.equal(e.name, e.name.trim());
    }
  }), { numRuns: 500 });
});

test('repeated keys accumulate for list options; the last wins for single values', () => {
  const c = parseText('range = 10.0.0.1\nrange = 10.0.0.3\nports = 80\nports = U:53\nrate = 5\nrate = 7\nexclude = 10.0.0.3\n');
  assert.deepEqual(c.targets4, [{ begin: 0x0a000001, end: 0x0a000001 }]);
  assert.deepEqual(c.ports, [{ begin: 80, end: 80 }, { begin: 65536 + 53, end: 65536 + 53 }]);
  assert.equal(c.rate, 7);
  assert.equal(c.hasExclude4, true);
});

test('unknown option in a config file names file and line', () => {
  assert.throws(() => parseText('rate = 5\nbogus = 1\n'), /: test\.conf:2: unknown config option: bogus = 1$/);
  assert.throws(() => parseText('rate = fast\n'), /: test\.conf:1: rate "fast": /);
});

test('masscan paused.conf (reference §3.3) parses', () => {
  const c = parseText(PAUSED);
  assert.equal(c.resumeIndex, 71);
  assert.equal(c.seed, 12345n);
  assert.equal(c.rate, 50);
  assert.deepEqual(c.shard, { one: 1, of: 1 });
  assert.equal(c.banners, true);
  assert.equal(c.retries, 1);
  assert.equal(c.offline, true);
  assert.deepEqual(c.capture, ['cert']);
  assert.deepEqual(c.outputs, [{ format: 'xml', filename: 'scan.xml' }]);
  assert.deepEqual(c.adapterIp4, { begin: 0xc0000232, end: 0xc0000232 });
  assert.deepEqual(c.adapterPort, { begin: 40000, end: 40015 });
  assert.deepEqual(c.ports, [{ begin: 80, end: 80 }, { begin: 443, end: 443 }, { begin: 65536 + 53, end: 65536 + 53 }]);
  assert.deepEqual(c.targets4, [{ begin: 0x0a000000, end: 0x0a0004ff }, { begin: 0x0a000600, end: 0x0a00ffff }]);
  // and our paused.conf for it reads back the same
  assert.deepStrictEqual(parseText(pausedConfText(c, 71)), c);
});

test('masscan --echo text (reference §3.2, both versions) parses', () => {
  const head = 'seed = 14027658035776423165\nrate = 100       \nshard = 1/1\nnocapture = servername\nnocapture = servername\n\n\n'
    + '# TARGET SELECTION (IP, PORTS, EXCLUDES)\nports = 80,8000-8100\nrange = 10.0.0.0/8\n';
  const c = parseText(head);
  assert.equal(c.seed, 14027658035776423165n);
  assert.equal(c.ports.length, 2);
});

test('-c files apply at their position in argv', () => {
  const io = testIo({ 'a.conf': 'rate = 7\nrange = 10.0.0.1\nports = 80\n' });
  assert.equal(parse(['--rate', '5', '-c', 'a.conf'], io).rate, 7);
  assert.equal(parse(['-c', 'a.conf', '--rate', '5'], io).rate, 5);
  assert.equal(parse(['--conf', 'a.conf'], io).rate, 7);
  assert.equal(parse(['--config=a.conf'], io).rate, 7);
});

test('--resume reads the file and forces output-append', () => {
  // a refused option in it is an error naming the file and line
  assert.throws(() => parse(['--resume', 'paused.conf'], testIo({ 'paused.conf': PAUSED.replace('banners = true', 'script = x.lua') })),
    (e: Error) => e.message === 'paused.conf:7: script: not supported yet');
  const io = testIo({ 'paused.conf': PAUSED });
  const c = parse(['--resume', 'paused.conf'], io);
  assert.equal(c.resumeIndex, 71);
  assert.equal(c.outputAppend, true);
});

test('a config file that includes itself stops with an error', () => {
  const io = testIo({ 'loop.conf': 'conf = loop.conf\n' });
  assert.throws(() => parse(['-c', 'loop.conf']), /cannot read configuration file "loop.conf": ENOENT/);
  assert.throws(() => parse(['-c', 'loop.conf'], io), /nested too deep/);
});

test('the default config is read first, unless --readscan, --report of files, --no-default-config or the env variable', () => {
  const files = { [DEFAULT_CONFIG_PATH]: 'rate = 9\nadapter = eth7\n' };
  assert.equal(parse(['10.0.0.1', '-p1'], testIo(files)).rate, 9);
  assert.equal(parse(['10.0.0.1', '-p1', '--rate', '3'], testIo(files)).rate, 3);
  assert.equal(parse(['10.0.0.1', '-p1', '--no-default-config'], testIo(files)).rate, 100);
  assert.equal(parse(['10.0.0.1', '-p1', '--no_default.config'], testIo(files)).rate, 100);
  assert.equal(parse(['10.0.0.1', '-p1'], testIo(files, { TIDESCAN_NO_DEFAULT_CONFIG: '1' })).rate, 100);
  assert.equal(parse(['--readscan', 'x.bin'], testIo(files)).adapter, undefined);
  assert.equal(parse(['--report', 'r.html', 'x.bin'], testIo(files)).adapter, undefined, '--report of files is a conversion');
  assert.equal(parse(['--report=r.html', 'x.bin'], testIo(files)).adapter, undefined);
  assert.equal(parse(['10.0.0.1', '-p1', '--report', 'r.html'], testIo(files)).rate, 9, '--report of a scan reads it');
  assert.equal(parse(['10.0.0.1', '-p1'], testIo()).rate, 100, 'missing default config is fine');
  assert.throws(() => parse(['10.0.0.1', '-p1'], testIo({ [DEFAULT_CONFIG_PATH]: 'bogus = 1\n' })),
    /tidescan\.conf:1: unknown config option/);
});

test('echo matches masscan 1.3.2 for a plain scan (apart from its trailing empty line)', () => {
  const c = parse(['-p80,8000-8100', '10.0.0.0/8', '--seed', '1394084479385832127']);
  const expected = 'seed = 1394084479385832127\nrate = 100       \nshard = 1/1\nnocapture = servername\n\n\n'
    + '# TARGET SELECTION (IP, PORTS, EXCLUDES)\nports = 80,8000-8100\nrange = 10.0.0.0/8\n';
  assert.equal(echoConfig(c), expected);
});

test('echo: ranges print as a, a/n or a-b, excludes pre-applied, the whole space as a range', () => {
  const c = parse(['1.2.3.4/31', '1.2.3.8/30', '1.2.3.16-1.2.3.20', '1.2.3.99', '-p80', '--exclude', '1.2.3.18', '--seed', '1']);
  const lines = echoConfig(c).split('\n').filter((l) => l.startsWith('range') || l.startsWith('exclude'));
  assert.deepEqual(lines, ['range = 1.2.3.4/31', 'range = 1.2.3.8/30', 'range = 1.2.3.16/31', 'range = 1.2.3.19-1.2.3.20',
    'range = 1.2.3.99', 'exclude = 0.0.0.0']);
  const all = parse(['0.0.0.0/0', '-p80', '--seed', '1', '--echo']);
  assert.match(echoConfig(all), /\nrange = 0\.0\.0\.0-255\.255\.255\.255\n/);
});

const MASSCAN = '/usr/bin/masscan';

test('masscan 1.3.2 reads our echo and echoes the same', () => {
  assert.ok(existsSync(MASSCAN), 'masscan 1.3.2 must be installed (scripts/setup.sh)');
  const dir = mkdtempSync(join(tmpdir(), 'tidescan-echo-'));
  try {
    for (const argv of [
      ['-p80,8000-8100,U:53', '10.0.0.0/8', '--exclude', '10.1.0.0/16', '--seed', '5', '--rate', '1000'],
      ['-p1-5', '2001:db8::/120', '10.0.0.1', '--seed', '9', '--shard', '2/3', '--banners', '--retries', '2',
        '--output-filename', 'x.json', '--output-format', 'json', '--adapter', 'eth0', '--adapter-ip', '192.0.2.1',
        '--router-mac', '00:11:22:33:44:55', '--resume-index', '17'],
    ]) {
      const ours = echoConfig(parse(argv));
      const f = join(dir, 'echo.conf');
      // masscan 1.3.2 cannot read `nocapture` (its own echo writes it): leave that line out
      writeFileSync(f, ours.replace('nocapture = servername\n', ''));
      const r = spawnSync(MASSCAN, ['-c', f, '--echo'], { encoding: 'utf8' });
      assert.equal(r.status, 0, r.stderr);
      // masscan 1.3.2 ends its echo with an empty line and prints IPv6 blocks as a-b
      const theirs = r.stdout.replace(/\n\n$/, '\n').replace('range = 2001:db8::-2001:db8::ff', 'range = 2001:db8::/120');
      const oursNoExtras = ours.replace(/\n\nexclude = [0-9.]+\n$/, '\n');
      assert.equal(theirs, oursNoExtras);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('paused.conf keeps the end of a --resume-count window where it was', () => {
  const c = parse(['10.0.0.0/24', '-p80', '--seed', '3', '--resume-index', '10', '--resume-count', '100']);
  const back = parseText(pausedConfText(c, 60));
  assert.equal(back.resumeIndex, 60);
  assert.equal(back.resumeCount, 50);
  assert.equal(back.resumeIndex + back.resumeCount, c.resumeIndex + c.resumeCount);
  // without a window, resume-count stays 0 (= to the end)
  assert.equal(parseText(pausedConfText(parse(['10.0.0.0/24', '-p80', '--seed', '3']), 60)).resumeCount, 0);
});

test('writePausedConf writes the echo with the resume index', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tidescan-paused-'));
  try {
    const c = parse(['10.0.0.0/24', '-p80', '--seed', '3', '-oX', 'scan.xml']);
    const f = join(dir, 'paused.conf');
    writePausedConf(c, 42, f);
    const text = readFileSync(f, 'utf8');
    assert.match(text, /^\n# resume information\nresume-index = 42\nseed = 3\n/);
    const back = parseText(text);
    assert.equal(back.resumeIndex, 42);
    assert.deepStrictEqual({ ...back, resumeIndex: 0 }, c);
    assert.throws(() => writePausedConf(c, 1, join(dir, 'no', 'such', 'dir', 'paused.conf')), /saving resume file .*ENOENT/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
