/**
 * src/cli/targets.ts: every way a port list reaches the parser refuses a malformed one with
 * one error naming the option and the bad item (`-p 80,x` once scanned port 80 alone).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ScanError } from '../../src/error.js';
import { parse, parseText, testIo } from './helpers.js';

const BASE = ['10.0.0.0/24', '--seed', '7'];

function refused(f: () => unknown, what: string): ScanError {
  try {
    f();
  } catch (e) {
    assert.ok(e instanceof ScanError, `${what}: ${String(e)}`);
    return e;
  }
  assert.fail(`${what} was accepted`);
}

test('a malformed port list is an error naming the option and the bad item, on every path', () => {
  const cases: [string[], RegExp][] = [
    [['-p', '80,x'], /^-p: bad target port "x" in "80,x": not a port/],
    [['-p80,x'], /^-p: bad target port "x" in "80,x"/],
    [['--ports', '80,x'], /^--ports: bad target port "x" in "80,x"/],
    [['--ports=80 443'], /^--ports: bad target port "443" in "80 443": expected a comma/],
    [['-p', '80,'], /^-p: bad target port "" in "80,": empty item after a comma/],
    [['-p', '5- 6'], /^-p: bad target port "6" in "5- 6"/],
    [['-p', '4294967376'], /^-p: bad target port "4294967376": above 65535/],
    [['-p', 'U:53,x'], /^-p: bad target port "x" in "U:53,x"/],
    [['-p', 'T:80,U:'], /^-p: bad target port "U:" in "T:80,U:": no port after U:/],
    [['-p', 'S:1,O:300'], /^-p: bad target port "O:300" in "S:1,O:300": above 255/],
    [['-p', 'Q:5'], /^-p: bad target port "Q:5": unknown protocol prefix Q:/],
    [['-pU:53x'], /^-p: bad target port "U:53x"/],
    [['-p80', '--exclude-ports', '81,x'], /^--exclude-ports: bad target port "x" in "81,x"/],
    [['--udp-ports', '53;54'], /^--udp-ports: bad target port "53;54"/],
    [['--tcp-ports', '22-'], /^$/],
    [['--oproto', '6,x'], /^--oproto: bad target port "x" in "O:6,x"/],
  ];
  for (const [argv, re] of cases) {
    if (re.source === '^$') {
      parse([...BASE, ...argv]); // accepted: `22-` is 22-65535
      continue;
    }
    const e = refused(() => parse([...BASE, ...argv]), argv.join(' '));
    assert.equal(e.code, 'ERR_BAD_PORT', e.message);
    assert.match(e.message, re, argv.join(' '));
  }
  // a well-formed list still parses to what it says (comment after whitespace included)
  const c = parse([...BASE, '-p', ' 0x50, U:53-54,T:443 # web']);
  assert.deepEqual(c.ports, [{ begin: 80, end: 80 }, { begin: 443, end: 443 }, { begin: 65536 + 53, end: 65536 + 54 }]);
});

test('config file: `ports =` is held to the same grammar, and a long bad value is cut', () => {
  const e = refused(() => parseText('range = 10.0.0.0/24\nports = 80,x\n'), 'ports = 80,x');
  assert.equal(e.code, 'ERR_BAD_PORT');
  assert.match(e.message, /bad target port "x" in "80,x"/);
  const ok = parseText('range = 10.0.0.0/24\nports = 80 # comment\n');
  assert.deepEqual(ok.ports, [{ begin: 80, end: 80 }]);
  const long = refused(() => parseText(`range = 10.0.0.0/24\nports = 80,${'7'.repeat(22_000)}\n`), '22 KB ports');
  assert.ok(long.message.length < 300, `${long.message.length} characters`);
  assert.match(long.message, /bad target port "7{80}\.\.\." in "80,7{37}\.\.\.": above 65535/);
});

test('no option cuts trailing text: a value with junk appended is refused or means something else', async () => {
  // The class of `-p 80,x` (scanned 80): walk the options table, and for every value that
  // parses, append junk; the result must be an error or a different configuration, never the
  // configuration of the value without the junk.
  const { OPTIONS } = await import('../../src/cli/options.js');
  const ser = (c: unknown): string => JSON.stringify(c, (_k, v: unknown) =>
    (typeof v === 'bigint' ? String(v) : v instanceof Map ? [...v] : v instanceof Set ? [...v] : v));
  const goods = ['7', '10.0.0.9', '00:11:22:33:44:55', '1.5', '10s', '40000-40001', '80,443', 'U:53', '1/2', '10.0.0.0/30'];
  const junk = ['x', ' x', ',x', '#x', '.5', ':'];
  let checked = 0;
  for (const o of OPTIONS) {
    if (o.kind === 'flag') continue;
    for (const good of goods) {
      let a: string;
      try { a = ser(parse([...BASE, '-p80', `--${o.name}`, good])); } catch { continue; }
      for (const j of junk) {
        let b: string;
        try { b = ser(parse([...BASE, '-p80', `--${o.name}`, good + j])); } catch { checked++; continue; }
        checked++;
        assert.notEqual(b, a, `--${o.name} ${JSON.stringify(good + j)} is read as ${JSON.stringify(good)}`);
      }
    }
  }
  assert.ok(checked > 200, `${checked} pairs checked`);
});

test('issue 11 item 8: a reversed range names itself on every path; "empty" names its cause; quotes are cut', () => {
  const io = testIo({ 'rev.txt': '10.0.0.1\n10.0.0.9-10.0.0.3\n', 'none.txt': '# nothing\n' });
  const cases: [() => unknown, string, RegExp][] = [
    [() => parse(['10.0.0.5-10.0.0.1', '-p80']), 'ERR_BAD_RANGE', /^bad IP address\/range: "10\.0\.0\.5-10\.0\.0\.1": the range ends below its start$/],
    [() => parse(['10.0.0.1', '-p80', '--exclude', '10.0.0.5-10.0.0.1']), 'ERR_BAD_RANGE', /^--exclude: .*"10\.0\.0\.5-10\.0\.0\.1": the range ends below/],
    [() => parseText('range = 10.0.0.5-10.0.0.1\nports = 80\n'), 'ERR_BAD_RANGE', /^test\.conf:1: range: bad IP address\/range: "10\.0\.0\.5-10\.0\.0\.1": the range ends below/],
    [() => parseText('range = 10.0.0.1\nports = 80\nexclude = 10.0.0.5-10.0.0.1\n'), 'ERR_BAD_RANGE', /^test\.conf:3: exclude: .*"10\.0\.0\.5-10\.0\.0\.1"/],
    [() => parse(['10.0.0.1', '-p80', '--excludefile', 'rev.txt'], io), 'ERR_BAD_RANGE', /rev\.txt:2:1: bad range on line #2: "10\.0\.0\.9-10\.0\.0\.3"/],
    [() => parse(['-iL', 'none.txt', '-p80'], io), 'ERR_EMPTY_TARGETS', /include file "none\.txt" \(no addresses in it\) gave no addresses$/],
    [() => parse(['10.0.0.1', '-p80', '--exclude', '10.0.0.0/8']), 'ERR_EMPTY_TARGETS', /every address of 10\.0\.0\.1 was removed by --exclude 10\.0\.0\.0\/8$/],
    [() => parse(['10.0.0.1', '--top-ports', '0']), 'ERR_NO_PORTS', /^no ports: --top-ports 0 gave none$/],
    [() => parse(['10.0.0.1', '-p', '80', '--exclude-ports', '1-100']), 'ERR_NO_PORTS', /^no ports left: every port of -p 80 was removed by --exclude-ports 1-100$/],
    [() => parse(['10.0.0.1']), 'ERR_NO_PORTS', /^no ports were specified: use -p/],
    [() => parse(['10.0.0.1', '-p', '']), 'ERR_NO_PORTS', /^no ports: -p "" gave none$/],
    [() => parse(['10.0.0.1', '-p', ' # nothing']), 'ERR_NO_PORTS', /^no ports: -p " # nothing" gave none$/],
    [() => parseText('range = 10.0.0.1\nports = \n'), 'ERR_NO_PORTS', /^no ports: .*ports "" gave none$/],
    [() => parse(['-p80']), 'ERR_EMPTY_TARGETS', /^target IP address list empty: give targets/],
  ];
  for (const [f, code, re] of cases) {
    const e = refused(f, re.source);
    assert.equal(e.code, code, e.message);
    assert.match(e.message, re);
  }
  // a config file's 22 KB value is quoted cut to ~80 characters, whichever option holds it
  for (const line of [`range = 10.0.0.1-${'9'.repeat(22_000)}`, `exclude = ${'1'.repeat(22_000)}`,
    `ports = 80,${'x'.repeat(22_000)}`, `adapter-mac = ${'z'.repeat(22_000)}`, `rate = 5${'q'.repeat(22_000)}`,
    `source-port = 4${'0'.repeat(22_000)}`]) {
    const text = `range = 10.0.0.1\nports = 80\n${line}\n`;
    const e = refused(() => parseText(text), line.slice(0, 20));
    assert.ok(e.message.length < 300, `${line.slice(0, 20)}: ${e.message.length} characters`);
    assert.match(e.message, /\.\.\./, line.slice(0, 20));
  }
});
