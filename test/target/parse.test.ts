import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { parseTargetSpec, parseTargetFile, quoteInput, clipInput, QUOTE_MAX } from '../../src/target/parse.js';
import { RangeList4, RangeList6 } from '../../src/target/range-list.js';
import { formatIPv4 } from '../../src/target/ipv4.js';
import { formatIPv6 } from '../../src/target/ipv6.js';
import { ScanError } from '../../src/error.js';

function show(v4: RangeList4, v6: RangeList6): string[] {
  const out: string[] = [];
  for (const r of v4.ranges()) out.push(r.begin === r.end ? formatIPv4(r.begin) : `${formatIPv4(r.begin)}-${formatIPv4(r.end)}`);
  for (const r of v6.ranges()) out.push(r.begin === r.end ? formatIPv6(r.begin) : `${formatIPv6(r.begin)}-${formatIPv6(r.end)}`);
  return out;
}

function spec(text: string): string[] {
  const v4 = new RangeList4();
  const v6 = new RangeList6();
  parseTargetSpec(text, v4, v6);
  return show(v4, v6);
}

function file(text: string | Buffer): string[] {
  const v4 = new RangeList4();
  const v6 = new RangeList6();
  parseTargetFile(typeof text === 'string' ? Buffer.from(text, 'latin1') : text, 'inc.txt', v4, v6);
  return show(v4, v6);
}

test('parseTargetSpec: IPv4 forms (masscan 1.3.2 results)', () => {
  assert.deepEqual(spec('010.001.1.1'), ['10.1.1.1']);
  assert.deepEqual(spec('10.1.2.3/24'), ['10.1.2.0-10.1.2.255']);
  assert.deepEqual(spec('1.2.3.4/0'), ['0.0.0.0-255.255.255.255']);
  assert.deepEqual(spec('1.2.3.4/08'), ['1.0.0.0-1.255.255.255']);
  assert.deepEqual(spec('1.2.3.4/024'), ['1.2.3.0-1.2.3.255']);
  assert.deepEqual(spec('1.2.3.4/32'), ['1.2.3.4']);
  assert.deepEqual(spec('10.0.0.5-10.0.0.1'), [], 'end < begin: nothing, no error (the command line asks for an error)');
  assert.deepEqual(spec('10.0.0.5-10.0.0.5'), ['10.0.0.5'], 'a one-address range');
  assert.deepEqual(spec('10.0.0.1,10.0.0.3'), ['10.0.0.1', '10.0.0.3']);
  assert.deepEqual(spec('10.0.0.1 10.0.0.3\t10.0.0.5\n10.0.0.7'), ['10.0.0.1', '10.0.0.3', '10.0.0.5', '10.0.0.7']);
  assert.deepEqual(spec('10.0.0.1-10.0.0.3,10.0.0.2/31'), ['10.0.0.1-10.0.0.3']);
  assert.deepEqual(spec(' , 0.0.0.0 ,, 255.255.255.255 '), ['0.0.0.0', '255.255.255.255']);
  assert.deepEqual(spec('10.0.0.1\u201310.0.0.4'), ['10.0.0.1-10.0.0.4'], 'en dash');
  assert.deepEqual(spec(''), []);
});

test('parseTargetSpec: IPv6 forms', () => {
  assert.deepEqual(spec('2001:db8::1'), ['2001:db8::1']);
  assert.deepEqual(spec('[2001:db8::1]'), ['2001:db8::1']);
  assert.deepEqual(spec('2001:db8::/126'), ['2001:db8::-2001:db8::3']);
  assert.deepEqual(spec('[1::1]/126'), ['1::-1::3']);
  assert.deepEqual(spec('1::1-2::3'), ['1::1-2::3']);
  assert.deepEqual(spec('[1::1]-[2::3]'), ['1::1-2::3']);
  assert.deepEqual(spec('::1/128'), ['::1']);
  assert.deepEqual(spec('1::/0'), ['::-ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff']);
  assert.deepEqual(spec('2::3-1::1'), [], 'end < begin: nothing');
  assert.deepEqual(spec('2::3-2::3'), ['2::3'], 'a one-address range');
  assert.deepEqual(spec('1::1,2::2 10.0.0.1'), ['10.0.0.1', '1::1', '2::2']);
  assert.deepEqual(spec('::ffff:1.2.3.4'), ['::ffff:102:304']);
});

test('parseTargetSpec: errors name the bad item; earlier items stay added', () => {
  const bad = ['1.2.3.4/33', '1.2.3', '1.2.3.256', '1.2.3.4/24x', '1.2.3.4x', '1.2.3.4-', '1.2.3.4/',
    '1.2.3.4/-1', '-', '01234.1.1.1', '1.2.3.4:80', 'junk', '1.2.3.4-5', '10.0.0.0/8-11.0.0.0', '1..2.3',
    '::1/129', '1::2::3', '12345::1', '1:2:3:4:5:6:7:8:9', 'fe80::1%eth0', '[::1', '::1]', '1.2.3.4-::1',
    '::1-1.2.3.4', '[::1]/', '1::1-', 'ab\u0000c'];
  for (const b of bad) {
    assert.throws(
      () => spec(b),
      (e: unknown) => e instanceof ScanError && e.code === 'ERR_BAD_RANGE' && e.message.startsWith('bad IP address/range: "'),
      b,
    );
  }
  const v4 = new RangeList4();
  const v6 = new RangeList6();
  assert.throws(() => parseTargetSpec('1.2.3.4/32,junk,5.5.5.5', v4, v6), /bad IP address\/range: "junk"/);
  assert.deepEqual(show(v4, v6), ['1.2.3.4']);
  assert.throws(() => spec('a\u0001b'), /"a\\x01b"/, 'control characters are escaped in the message');
});

test('parseTargetFile: masscan file rules (1.3.2 results)', () => {
  assert.deepEqual(file('10.0.0.1\n10.0.0.3\n'), ['10.0.0.1', '10.0.0.3']);
  assert.deepEqual(file('  # c\n;x\n/x\n-x\n10.0.0.1 # c\n'), ['10.0.0.1']);
  assert.deepEqual(file('10.0.0.1,10.0.0.5 10.0.0.7\t10.0.0.9\r\n10.0.1.0/30\r\n'),
    ['10.0.0.1', '10.0.0.5', '10.0.0.7', '10.0.0.9', '10.0.1.0-10.0.1.3']);
  assert.deepEqual(file('10.0.0.1 - 10.0.0.4\n'), ['10.0.0.1'], '" - ..." after an item is a comment');
  assert.deepEqual(file('10.0.0.1-10.0.0.4\n'), ['10.0.0.1-10.0.0.4']);
  assert.deepEqual(file('10.0.0.1\x9610.0.0.4\n'), ['10.0.0.1-10.0.0.4'], 'Windows-1252 dash');
  assert.deepEqual(file(Buffer.from('10.0.0.1\u201310.0.0.4\n', 'utf8')), ['10.0.0.1-10.0.0.4'], 'UTF-8 dash');
  assert.deepEqual(file('2001:db8::1\n[2001:db8::2]\n2001:db8::10-2001:db8::12\n'),
    ['2001:db8::1-2001:db8::2', '2001:db8::10-2001:db8::12']);
  assert.deepEqual(file('10.0.0.1/24\n'), ['10.0.0.0-10.0.0.255']);
  assert.deepEqual(file('10.0.0.5-10.0.0.1\n'), []);
  assert.deepEqual(file('\n\n\n10.0.0.1'), ['10.0.0.1']);
  assert.deepEqual(file('10.0.0.1 ;c\n10.0.0.2 /c\n'), ['10.0.0.1-10.0.0.2']);
  assert.deepEqual(file('10.0.0.1#c\n'), ['10.0.0.1'], 'accepted here (1.3.2: error)');
  assert.deepEqual(file('2001:db8::1\u2013'.replace('\u2013', '\x96') + '2001:db8::3'), ['2001:db8::1-2001:db8::3']);
  assert.deepEqual(file(''), []);
  const v4 = new RangeList4();
  assert.equal(parseTargetFile(Buffer.from('1.1.1.1 2.2.2.2\n# x\n::1\n'), 'f', v4, new RangeList6()), 3);
});

test('parseTargetFile: errors say FILE:LINE:CHAR like masscan', () => {
  const cases: [string, string][] = [
    ['10.0.0.1\n1.2.3\n', 'inc.txt:2:6: invalid IP address on line #2'],
    ['10.0.0.1\n  junk\n', 'inc.txt:2:3: invalid IP address on line #2'],
    ['10.0.0.1;c\n', 'inc.txt:1:9: invalid IP address on line #1'],
    ['10.0.0.1\n10.0.0.2 x\n', 'inc.txt:2:10: invalid IP address on line #2'],
    ['10.0.0.1/33\n', 'inc.txt:1:11: invalid IP address on line #1'],
    ['\r\n\r\n  1::2::3', 'inc.txt:3:3: invalid IP address on line #3'],
  ];
  for (const [text, want] of cases) {
    assert.throws(
      () => file(text),
      (e: unknown) => e instanceof ScanError && e.code === 'ERR_BAD_RANGE' && e.message.startsWith(want),
      JSON.stringify(text),
    );
  }
});

test('parseTargetFile agrees with parseTargetSpec on generated lists (property)', () => {
  const octet = fc.integer({ min: 0, max: 255 });
  const ip = fc.tuple(octet, octet, octet, octet).map((o) => o.join('.'));
  const item = fc.oneof(
    ip,
    fc.tuple(ip, fc.integer({ min: 0, max: 32 })).map(([a, p]) => `${a}/${p}`),
    fc.tuple(ip, ip).map(([a, b]) => `${a}-${b}`),
    fc.bigInt({ min: 0n, max: (1n << 128n) - 1n }).map((v) => formatIPv6(v)),
    fc.tuple(fc.bigInt({ min: 0n, max: (1n << 128n) - 1n }), fc.integer({ min: 96, max: 128 }))
      .map(([v, p]) => `[${formatIPv6(v)}]/${p}`),
  );
  const sep = fc.constantFrom(',', ' ', '\n', '\r\n', '\t', ', ');
  fc.assert(
    fc.property(fc.array(fc.tuple(item, sep), { maxLength: 20 }), (items) => {
      const text = items.map(([i, s]) => i + s).join('');
      assert.deepEqual(file(text), spec(text));
    }),
    { numRuns: 300 },
  );
});

test('fuzz: parseTargetSpec and parseTargetFile only ever throw ScanError', () => {
  const alphabet = fc.constantFrom(...'0123456789.:/-[],# \t\r\nabcdefABCDEFx;%\u2013\u0096\u00ff'.split(''));
  const text = fc.oneof(fc.string({ maxLength: 60 }), fc.array(alphabet, { maxLength: 60 }).map((a) => a.join('')));
  const check = (f: () => void): void => {
    try {
      f();
    } catch (e) {
      if (!(e instanceof ScanError)) throw e;
      assert.equal(e.code, 'ERR_BAD_RANGE');
      assert.ok(!e.message.includes('\n'), 'one-line message');
    }
  };
  fc.assert(
    fc.property(text, (s) => {
      check(() => spec(s));
      check(() => file(Buffer.from(s, 'latin1')));
    }),
    { numRuns: 3000 },
  );
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
      check(() => file(Buffer.from(bytes)));
    }),
    { numRuns: 2000 },
  );
});

test('parseTargetFile: 1M-line file loads in well under the budget', () => {
  const lines: string[] = [];
  let s = 99;
  for (let i = 0; i < 1_000_000; i++) {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    lines.push(i % 1000 === 0 ? `${formatIPv4(s & 0xffffff00)}/24` : formatIPv4(s));
  }
  const buf = Buffer.from(lines.join('\n') + '\n');
  const v4 = new RangeList4();
  const t0 = performance.now();
  const n = parseTargetFile(buf, 'big.txt', v4, new RangeList6());
  v4.merge();
  const dt = performance.now() - t0;
  assert.equal(n, 1_000_000);
  assert.ok(v4.count() > 900_000);
  assert.ok(dt < 5000, `1M lines took ${dt.toFixed(0)} ms`);
});

test('parseTargetFile: a huge token fails fast with a short message', () => {
  for (const fill of ['1', ':', 'a']) {
    const buf = Buffer.alloc(20_000_000, fill);
    const t0 = performance.now();
    assert.throws(
      () => parseTargetFile(buf, 'huge.txt', new RangeList4(), new RangeList6()),
      (e: unknown) => e instanceof ScanError && e.message.length < 200,
    );
    assert.ok(performance.now() - t0 < 3000);
  }
});

test("reversed: 'error': a reversed range is an error that names it, not an empty list (spec and file, v4 and v6)", () => {
  const strictSpec = (text: string): void => parseTargetSpec(text, new RangeList4(), new RangeList6(), { reversed: 'error' });
  const strictFile = (text: string): number =>
    parseTargetFile(Buffer.from(text, 'latin1'), 'inc.txt', new RangeList4(), new RangeList6(), { reversed: 'error' });
  const cases: [string, string][] = [
    ['10.0.0.5-10.0.0.1', '"10.0.0.5-10.0.0.1"'],
    ['255.255.255.255-0.0.0.0', '"255.255.255.255-0.0.0.0"'],
    ['2::3-1::1', '"2::3-1::1"'],
    ['[2::3]-[1::1]', '"[2::3]-[1::1]"'],
    ['10.0.0.5\u201310.0.0.1', '"10.0.0.5\u201310.0.0.1"'],
  ];
  for (const [item, quoted] of cases) {
    assert.deepEqual(spec(`10.9.9.9, ${item}`), ['10.9.9.9'], `${item}: skipped by default (masscan)`);
    assert.throws(() => strictSpec(`10.9.9.9, ${item}`),
      (e: unknown) => e instanceof ScanError && e.code === 'ERR_BAD_RANGE'
        && e.message === `bad IP address/range: ${quoted}: the range ends below its start`, item);
    const inFile = item.replace('\u2013', '-');
    assert.throws(() => strictFile(`10.9.9.9\n  ${inFile} # x\n`),
      (e: unknown) => e instanceof ScanError && e.code === 'ERR_BAD_RANGE'
        && e.message === `inc.txt:2:3: bad range on line #2: "${inFile}": the range ends below its start`, inFile);
  }
  // one address (begin = end) is a range, not an error
  assert.equal(strictFile('10.0.0.5-10.0.0.5\n2::3-2::3\n'), 2);
  strictSpec('10.0.0.5-10.0.0.5 [2::3]-[2::3]');
});

test('errors quote at most QUOTE_MAX characters of the bad value, cut with "..."', () => {
  assert.equal(QUOTE_MAX, 80);
  const long = `1.2.3.4x${'y'.repeat(22_000)}`;
  assert.throws(() => spec(long), (e: unknown) => e instanceof ScanError
    && e.message === `bad IP address/range: "${long.slice(0, 80)}..."`);
  assert.throws(() => file(`10.0.0.1\n${long}\n`), (e: unknown) => e instanceof ScanError
    && e.message.endsWith(`"${long.slice(0, 80)}..."`) && e.message.length < 200);
  assert.throws(() => spec(`${'9'.repeat(30)}.1.1.1-1.1.1.1${'\u00e9'.repeat(100)}`), (e: unknown) => e instanceof ScanError
    && e.message.length < 120);
  // the shared helpers
  assert.equal(quoteInput('abc'), '"abc"');
  assert.equal(quoteInput('a"b\\c\nd\re\tf\u0001g\u2028'), '"a\\"b\\\\c\\nd\\re\\tf\\x01g\\u2028"');
  assert.equal(quoteInput('x'.repeat(80)), `"${'x'.repeat(80)}"`);
  assert.equal(quoteInput('x'.repeat(81)), `"${'x'.repeat(80)}..."`);
  assert.equal(quoteInput('\u00ff', 80, true), '"\\xff"', 'file bytes above 0x7e are shown as \\xNN');
  assert.equal(quoteInput('\u00e9'), '"\u00e9"', 'printable text is kept');
  assert.equal(clipInput('x'.repeat(81)), `${'x'.repeat(80)}...`);
  assert.equal(clipInput('short'), 'short');
  // never half a surrogate pair
  const emoji = `${'x'.repeat(79)}\u{1f600}tail`;
  assert.equal(clipInput(emoji), `${'x'.repeat(79)}...`);
  fc.assert(fc.property(fc.string({ maxLength: 300, unit: 'binary' }), (t) => {
    const q = quoteInput(t);
    assert.ok(q.length <= 2 + 80 * 6 + 3);
    assert.ok(!/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/.test(q));
    assert.ok(clipInput(t).length <= 83);
  }), { numRuns: 300 });
});
