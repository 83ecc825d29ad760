import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { parseIPv6, formatIPv6, ipv6ToWords, wordsToIPv6, formatIPv6Words } from '../../src/target/ipv6.js';

const P = (s: string): bigint => {
  const v = parseIPv6(s);
  assert.notEqual(v, null, s);
  return v as bigint;
};

test('parseIPv6: textual forms', () => {
  assert.equal(P('::'), 0n);
  assert.equal(P('::1'), 1n);
  assert.equal(P('1::'), 1n << 112n);
  assert.equal(P('2001:db8::1'), 0x20010db8000000000000000000000001n);
  assert.equal(P('[2001:db8::1]'), 0x20010db8000000000000000000000001n);
  assert.equal(P('ABCD::EF'), 0xabcd00000000000000000000000000efn);
  assert.equal(P('1:2:3:4:5:6:7:8'), 0x00010002000300040005000600070008n);
  assert.equal(P('1:2:3:4:5:6:7::'), 0x00010002000300040005000600070000n);
  assert.equal(P('::2:3:4:5:6:7:8'), 0x00000002000300040005000600070008n);
  assert.equal(P('::ffff:1.2.3.4'), 0xffff01020304n);
  assert.equal(P('::1.2.3.4'), 0x01020304n);
  assert.equal(P('1:2:3:4:5:6:1.2.3.4'), 0x00010002000300040005000601020304n);
  assert.equal(P('0001:0002::0003'), 0x00010002000000000000000000000003n);
});

test('parseIPv6: refuses malformed text', () => {
  for (const bad of ['', ':', ':::', '1::2::3', '12345::1', '1:2:3:4:5:6:7:8:9', '1:2:3:4::5:6:7:8',
    '1:2:3:4:5:6:7', 'fe80::1%eth0', '[::1', '::1]', '[]', '::g', '1:2:3:4:5:6:7:1.2.3.4',
    '::1.2.3', '::1.2.3.4:5', '1.2.3.4', ':1::', '1::2:', '[[::1]]', '::1/64']) {
    assert.equal(parseIPv6(bad), null, bad);
  }
});

test('formatIPv6: masscan style (first zero run, even a single group)', () => {
  const cases: [string, string][] = [
    ['2001:0:0:1:0:0:0:1', '2001::1:0:0:0:1'],
    ['1:0:2:0:0:0:0:3', '1::2:0:0:0:0:3'],
    ['1:2:3:4:5:6:7:0', '1:2:3:4:5:6:7::'],
    ['::ffff:1.2.3.4', '::ffff:102:304'],
    ['0:0:0:0:0:0:0:0', '::'],
    ['1:0:0:0:0:0:0:0', '1::'],
    ['0:1:2:3:4:5:6:7', '::1:2:3:4:5:6:7'],
    ['2001:DB8::1', '2001:db8::1'],
    ['1:2:3:4:5:6:7:8', '1:2:3:4:5:6:7:8'],
    ['00ab:0cd:1:2:3:4:5:6', 'ab:cd:1:2:3:4:5:6'],
  ];
  for (const [input, want] of cases) assert.equal(formatIPv6(P(input)), want, input);
});

const big128 = fc.bigInt({ min: 0n, max: (1n << 128n) - 1n });
// Addresses with many zero groups exercise the `::` logic.
const sparse128 = fc
  .array(fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 0xffff })), { minLength: 8, maxLength: 8 })
  .map((g) => g.reduce((acc, x) => (acc << 16n) | BigInt(x), 0n));

test('formatIPv6 / parseIPv6 round trip (property)', () => {
  fc.assert(
    fc.property(fc.oneof(big128, sparse128), (v) => {
      const s = formatIPv6(v);
      assert.equal(parseIPv6(s), v);
      assert.equal(parseIPv6(`[${s}]`), v);
      assert.ok(!/[A-F]/.test(s) && !/(^|:)0[0-9a-f]/.test(s), s);
    }),
    { numRuns: 3000 },
  );
});

test('ipv6ToWords / wordsToIPv6 (property)', () => {
  const w = new Uint32Array(6);
  fc.assert(
    fc.property(big128, (v) => {
      ipv6ToWords(v, w, 1);
      assert.equal(wordsToIPv6(w, 1), v);
      assert.equal(formatIPv6Words(w, 1), formatIPv6(v));
    }),
    { numRuns: 1000 },
  );
  ipv6ToWords(0x20010db8000000000000000000000001n, w, 0);
  assert.deepEqual([...w.subarray(0, 4)], [0x20010db8, 0, 0, 1]);
});
