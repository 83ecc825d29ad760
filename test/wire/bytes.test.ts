import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  formatIpv4,
  formatIpv6,
  formatMac,
  fromHex,
  getU16,
  getU32,
  hexDump,
  ipv4FromText,
  ipv6FromText,
  macFromText,
  regionOk,
  setU16,
  setU32,
  toHex,
} from '../../src/wire/bytes.js';
import { isScanError } from '../../src/error.js';

test('big-endian 16/32-bit accessors', () => {
  const b = fromHex('0102 0304 fffe fdfc');
  assert.equal(getU16(b, 0), 0x0102);
  assert.equal(getU32(b, 0), 0x01020304);
  assert.equal(getU32(b, 4), 0xfffefdfc); // never negative
  setU16(b, 0, 0xabcd);
  setU32(b, 2, -1);
  assert.equal(toHex(b), 'abcdfffffffffdfc');
  setU32(b, 4, 0x80000000);
  assert.equal(getU32(b, 4), 0x80000000);
});

test('get/set round trip for any value and offset', () => {
  fc.assert(
    fc.property(fc.nat(0xffffffff), fc.nat(8), (v, o) => {
      const b = new Uint8Array(12);
      setU32(b, o, v);
      assert.equal(getU32(b, o), v);
      setU16(b, o, v);
      assert.equal(getU16(b, o), v & 0xffff);
    }),
  );
});

test('hex helpers', () => {
  assert.deepEqual(fromHex('00:0a-ff 10'), new Uint8Array([0, 10, 255, 16]));
  assert.throws(() => fromHex('abc'), isScanError);
  assert.throws(() => fromHex('zz'), isScanError);
  assert.equal(hexDump(fromHex('4500003c')), '\t0x0000:  4500 003c');
  assert.equal(hexDump(new Uint8Array(17)).split('\n')[1], '\t0x0010:  00');
});

test('address text', () => {
  assert.equal(formatIpv4(0x7f000001), '127.0.0.1');
  assert.equal(formatIpv4(0xffffffff), '255.255.255.255');
  assert.equal(ipv4FromText('10.250.9.2'), 0x0afa0902);
  assert.throws(() => ipv4FromText('1.2.3.256'), isScanError);
  assert.throws(() => ipv4FromText('1.2.3'), isScanError);
  assert.equal(formatMac(macFromText('02:50:00:00:09:01')), '02:50:00:00:09:01');
  assert.throws(() => macFromText('02:50:00:00:09'), isScanError);
});

test('IPv6 text follows RFC 5952', () => {
  const cases: [string, string][] = [
    ['::1', '::1'],
    ['::', '::'],
    ['2001:DB8:0:0:0:0:2:1', '2001:db8::2:1'],
    ['2001:db8:0:1:1:1:1:1', '2001:db8:0:1:1:1:1:1'], // a single zero group is not compressed
    ['2001:0:0:1:0:0:0:1', '2001:0:0:1::1'], // the longest run
    ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'], // the first of equal runs
    ['fe80::50:ff:fe00:901', 'fe80::50:ff:fe00:901'],
    ['ff02::1:ff00:2', 'ff02::1:ff00:2'],
    ['::ffff:192.0.2.1', '::ffff:192.0.2.1'],
    ['fd00:9::2', 'fd00:9::2'],
  ];
  for (const [input, text] of cases) assert.equal(formatIpv6(ipv6FromText(input)), text, input);
  for (const bad of ['1::2::3', '1:2:3:4:5:6:7', '12345::', 'g::', '1:2:3:4:5:6:7:8:9']) {
    assert.throws(() => ipv6FromText(bad), isScanError, bad);
  }
});

test('IPv6 text round trip for any address', () => {
  fc.assert(
    fc.property(fc.uint8Array({ minLength: 16, maxLength: 16 }), (a) => {
      assert.deepEqual(ipv6FromText(formatIpv6(a)), a);
    }),
  );
});

test('regionOk refuses negative, fractional and out-of-range regions', () => {
  const b = new Uint8Array(10);
  assert.ok(regionOk(b, 0, 10));
  assert.ok(regionOk(b, 10, 0));
  assert.ok(!regionOk(b, 1, 10));
  assert.ok(!regionOk(b, -1, 2));
  assert.ok(!regionOk(b, 0.5, 2));
  assert.ok(!regionOk(b, 0, -1));
});
