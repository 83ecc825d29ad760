import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { parseIPv4, formatIPv4, prefixMask4 } from '../../src/target/ipv4.js';

test('parseIPv4: decimal octets, leading zeros are not octal', () => {
  assert.equal(parseIPv4('10.0.0.1'), 0x0a000001);
  assert.equal(parseIPv4('010.001.1.1'), 0x0a010101);
  assert.equal(parseIPv4('0.0.0.0'), 0);
  assert.equal(parseIPv4('255.255.255.255'), 0xffffffff);
  assert.equal(parseIPv4('0000000010.1.1.1'), 0x0a010101);
});

test('parseIPv4: refuses everything else', () => {
  for (const bad of ['', '1.2.3', '1.2.3.256', '01234.1.1.1', '1..2.3', '1.2.3.4.', '.1.2.3', '1.2.3.4 ',
    ' 1.2.3.4', '0x1.2.3.4', '1.2.3.-4', '1.2.3.4/24', '16909060', '1.2.3.4.5', 'a.b.c.d', '１.2.3.4']) {
    assert.equal(parseIPv4(bad), null, bad);
  }
});

test('formatIPv4 round-trips every u32 (property)', () => {
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 0xffffffff }), (v) => {
      assert.equal(parseIPv4(formatIPv4(v)), v);
    }),
    { numRuns: 2000 },
  );
  assert.equal(formatIPv4(0xcfbd6efa), '207.189.110.250');
});

test('prefixMask4', () => {
  assert.equal(prefixMask4(0), 0);
  assert.equal(prefixMask4(8), 0xff000000);
  assert.equal(prefixMask4(32), 0xffffffff);
});
