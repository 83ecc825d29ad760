import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { SourceChooser, defaultSourcePort } from '../../src/link/source.js';
import { CookieKey } from '../../src/crypto/cookie.js';
import { sip16 } from '../../src/crypto/siphash.js';
import { isScanError } from '../../src/error.js';

test('default source port is 40000 + time % 20000', () => {
  assert.equal(defaultSourcePort(0), 40000);
  assert.equal(defaultSourcePort(19999), 59999);
  assert.equal(defaultSourcePort(20000), 40000);
  assert.equal(defaultSourcePort(1700000000.9), 40000 + (1700000000 % 20000));
});

test('single IP and port: no hashing, base values', () => {
  const s = new SourceChooser(new CookieKey(1n), { begin: 0xc0000232, end: 0xc0000232 }, { begin: 40000, end: 40000 });
  assert.equal(s.spreads, false);
  s.choose4(12345, 678);
  assert.equal(s.ip, 0xc0000232);
  assert.equal(s.port, 40000);
  assert.equal(s.isOurPort(40000), true);
  assert.equal(s.isOurPort(40001), false);
  assert.equal(s.isOurPort(39999), false);
  assert.equal(s.isOurIp4(0xc0000232), true);
  assert.equal(s.isOurIp4(0xc0000233), false);
});

test('ranges: port = base + (ck & mask), ip = base + ((ck >> 16) & mask), ck = SipHash(i, x)', () => {
  const key = new CookieKey(0xdeadbeefcafebaben);
  const s = new SourceChooser(key, { begin: 0x0afa0000, end: 0x0afa00ff }, { begin: 40000, end: 40015 });
  assert.equal(s.spreads, true);
  fc.assert(fc.property(fc.integer({ min: 0, max: 2 ** 53 - 1 }), fc.integer({ min: 0, max: 2 ** 53 - 1 }), (i, x) => {
    s.choose4(i, x);
    const bi = BigInt(i), bx = BigInt(x);
    sip16(key, Number(bi & 0xffffffffn), Number(bi >> 32n), Number(bx & 0xffffffffn), Number(bx >> 32n));
    const lo = key.out[0]!;
    const ck = (BigInt(key.high) << 32n) | BigInt(lo);
    assert.equal(s.port, 40000 + Number(ck & 15n));
    assert.equal(s.ip, 0x0afa0000 + Number((ck >> 16n) & 255n));
    assert.ok(s.isOurPort(s.port) && s.isOurIp4(s.ip));
  }), { numRuns: 500 });
  // All 16 ports and all 256 addresses get used.
  const ports = new Set<number>(), ips = new Set<number>();
  for (let i = 0; i < 5000; i++) { s.choose4(i, 7); ports.add(s.port); ips.add(s.ip); }
  assert.equal(ports.size, 16);
  assert.equal(ips.size, 256);
});

test('a 2-port range spreads over both ports; wide source-IP ranges use high hash bits', () => {
  const s = new SourceChooser(new CookieKey(5n), { begin: 0, end: 0xffffffff }, { begin: 50000, end: 50001 });
  const ports = new Set<number>();
  let maxIp = 0;
  for (let i = 0; i < 200; i++) { s.choose4(i, i * 3); ports.add(s.port); maxIp = Math.max(maxIp, s.ip); }
  assert.deepEqual([...ports].sort(), [50000, 50001]);
  assert.ok(maxIp > 2 ** 31);
  assert.equal(s.isOurIp4(0xffffffff), true);
});

test('ranges that are not a power of two are refused with a clear error', () => {
  const k = new CookieKey(1n);
  for (const [ip, port] of [[[1, 3], [40000, 40000]], [[1, 1], [40000, 40002]], [[5, 4], [1, 1]], [[1, 1], [65535, 65536]]] as const) {
    assert.throws(() => new SourceChooser(k, { begin: ip[0], end: ip[1] }, { begin: port[0], end: port[1] }),
      (e: unknown) => isScanError(e) && e.code === 'ERR_BAD_OPTION' && /range/.test(e.message));
  }
});
