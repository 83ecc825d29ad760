import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  crc32c,
  foldChecksum,
  internetChecksum,
  pseudoHeaderSum4,
  pseudoHeaderSum6,
  sumWords,
  updateChecksum16,
  updateChecksum32,
  udpChecksumOnWire,
  pseudoHeaderSum,
} from '../../src/wire/checksum.js';
import { fromHex, getU16, getU32, setU16, setU32, ipv6FromText } from '../../src/wire/bytes.js';

/** Textbook RFC 1071, bit by bit, as the oracle. */
function naive(buf: Uint8Array): number {
  let sum = 0;
  for (let i = 0; i < buf.length; i += 2) {
    sum += (buf[i] << 8) + (i + 1 < buf.length ? buf[i + 1] : 0);
    while (sum > 0xffff) sum = (sum & 0xffff) + Math.floor(sum / 0x10000);
  }
  return ~sum & 0xffff;
}

test('RFC 1071 §3 example: words 0001 f203 f4f5 f6f7 sum to ddf2', () => {
  const b = fromHex('0001f203f4f5f6f7');
  assert.equal(sumWords(b, 0, 8, 0) % 0xffff, 0xddf2 % 0xffff);
  assert.equal(foldChecksum(sumWords(b, 0, 8, 0)), ~0xddf2 & 0xffff);
});

test('a real IPv4 header verifies to 0 and its checksum recomputes', () => {
  // masscan-compat §6.2 template: 45 00 002c dd5c 0000 ff 06 123c c0000232 0a000001
  const h = fromHex('4500002cdd5c0000ff06123cc00002320a000001');
  assert.equal(internetChecksum(h, 0, 20), 0);
  setU16(h, 10, 0);
  assert.equal(internetChecksum(h, 0, 20), 0x123c);
});

test('sumWords matches the naive sum for any bytes, offsets and odd lengths', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 300 }), fc.nat(300), (bytes, a) => {
      const off = bytes.length ? a % bytes.length : 0;
      const sub = bytes.subarray(off);
      assert.equal(foldChecksum(sumWords(bytes, off, sub.length, 0)), naive(sub));
    }),
    { numRuns: 500 },
  );
});

test('sumWords stays below 2^31 on long all-0xff inputs and with a large initial', () => {
  const b = new Uint8Array(1 << 20).fill(0xff);
  const s = sumWords(b, 0, b.length, 0xffffffff);
  assert.ok(s >= 0 && s < 2 ** 31);
  // 0xffffffff = 0xffff * 0x10001 is 0 mod 0xffff: the checksum is unchanged
  assert.equal(foldChecksum(s), naive(b));
  assert.equal(foldChecksum(sumWords(b, 0, b.length, 0)), naive(b));
});

test('running sums chain over even pieces', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 200 }), fc.nat(100), (bytes, k) => {
      const cut = Math.min(bytes.length, 2 * k) & ~1;
      const s = sumWords(bytes, cut, bytes.length - cut, sumWords(bytes, 0, cut, 0));
      assert.equal(foldChecksum(s), naive(bytes));
    }),
    { numRuns: 300 },
  );
});

test('pseudoHeaderSum4 equals the checksum over the explicit 12-byte pseudo-header', () => {
  fc.assert(
    fc.property(fc.nat(0xffffffff), fc.nat(0xffffffff), fc.nat(255), fc.nat(0xffff), (s, d, p, l) => {
      const ph = new Uint8Array(12);
      setU32(ph, 0, s);
      setU32(ph, 4, d);
      ph[9] = p;
      setU16(ph, 10, l);
      assert.equal(foldChecksum(pseudoHeaderSum4(s, d, p, l)), naive(ph));
      assert.equal(foldChecksum(pseudoHeaderSum({ version: 4, src: s, dst: d }, p, l)), naive(ph));
    }),
  );
});

test('pseudoHeaderSum6 equals the checksum over the explicit 40-byte pseudo-header', () => {
  fc.assert(
    fc.property(fc.uint8Array({ minLength: 40, maxLength: 40 }), fc.nat(255), fc.nat(0xfffff), (addrs, p, l) => {
      const ph = new Uint8Array(40);
      ph.set(addrs.subarray(0, 32));
      setU32(ph, 32, l);
      ph[39] = p;
      assert.equal(foldChecksum(pseudoHeaderSum6(addrs, 0, 16, p, l)), naive(ph));
      const ip = { version: 6 as const, src: addrs.slice(0, 16), dst: addrs.slice(16, 32) };
      assert.equal(foldChecksum(pseudoHeaderSum(ip, p, l)), naive(ph));
    }),
  );
});

test('pseudoHeaderSum6: ::1 to ::1, TCP, length 40', () => {
  const a = ipv6FromText('::1');
  const both = new Uint8Array(32);
  both.set(a, 0);
  both.set(a, 16);
  assert.equal(pseudoHeaderSum6(both, 0, 16, 6, 40) % 0xffff, (1 + 1 + 40 + 6) % 0xffff);
});

/** Data with at least one non-zero word that stays non-zero (see updateChecksum16's NOTE). */
const dataArb = fc
  .uint8Array({ minLength: 4, maxLength: 64 })
  .map((b) => {
    const c = b.length % 2 ? b.subarray(0, b.length - 1) : b;
    c[0] |= 0x40; // like an IPv4 version nibble: the data is never all zero
    return c;
  });

test('updateChecksum16 (RFC 1624 eqn. 3) equals a full recomputation', () => {
  fc.assert(
    fc.property(dataArb, fc.nat(), fc.nat(0xffff), (data, w, nw) => {
      const words = data.length / 2;
      const at = 2 * (1 + (w % (words - 1)));
      const old = internetChecksum(data, 0, data.length);
      const oldWord = getU16(data, at);
      setU16(data, at, nw);
      assert.equal(updateChecksum16(old, oldWord, nw), internetChecksum(data, 0, data.length));
    }),
    { numRuns: 2000 },
  );
});

test('updateChecksum32 equals a full recomputation', () => {
  fc.assert(
    fc.property(dataArb.filter((d) => d.length >= 8), fc.nat(), fc.nat(0xffffffff), (data, w, nv) => {
      const at = 2 * (1 + (w % (data.length / 2 - 2)));
      const old = internetChecksum(data, 0, data.length);
      const oldV = getU32(data, at);
      setU32(data, at, nv);
      assert.equal(updateChecksum32(old, oldV, nv), internetChecksum(data, 0, data.length));
    }),
    { numRuns: 2000 },
  );
});

test('incremental update corner cases: results 0x0000, old checksum 0x0000, 0xffff words', () => {
  // Data whose sum folds to 0xffff: checksum 0x0000. Change a word so that it does, and away.
  const d = fromHex('4000bfff0000');
  assert.equal(internetChecksum(d, 0, 6), 0x0000);
  // from checksum 0x0000, change word 2 from 0x0000 to 0x1234
  const after = fromHex('4000bfff1234');
  assert.equal(updateChecksum16(0x0000, 0x0000, 0x1234), internetChecksum(after, 0, 6));
  // and back to a sum of 0xffff: the result is 0x0000, never 0xffff
  assert.equal(updateChecksum16(internetChecksum(after, 0, 6), 0x1234, 0x0000), 0x0000);
  // 0x0000 <-> 0xffff words are the same value in one's complement: the checksum must not move
  // for a full recomputation, and the incremental update agrees.
  const e = fromHex('4500ffff0001');
  const ce = internetChecksum(e, 0, 6);
  setU16(e, 2, 0);
  assert.equal(internetChecksum(e, 0, 6), ce);
  assert.equal(updateChecksum16(ce, 0xffff, 0x0000), ce);
  assert.equal(updateChecksum16(ce, 0x0000, 0xffff), ce);
  // eqn. 3 never yields 0xffff for non-zero data
  for (let hc = 0; hc <= 0xffff; hc += 0x0fff) {
    for (const m of [0, 1, 0x7fff, 0xfffe, 0xffff]) {
      for (const m2 of [0, 1, 0x8000, 0xffff]) {
        assert.notEqual(updateChecksum16(hc, m, m2), 0xffff);
      }
    }
  }
  assert.equal(udpChecksumOnWire(0), 0xffff);
  assert.equal(udpChecksumOnWire(0x1234), 0x1234);
});

test('crc32c check value and RFC 3720 B.4 vectors', () => {
  const ascii = new TextEncoder().encode('123456789');
  assert.equal(crc32c(ascii, 0, 9), 0xe3069283);
  assert.equal(crc32c(new Uint8Array(32), 0, 32), 0x8a9136aa);
  assert.equal(crc32c(new Uint8Array(32).fill(0xff), 0, 32), 0x62a8ab43);
  const inc = new Uint8Array(32).map((_, i) => i);
  assert.equal(crc32c(inc, 0, 32), 0x46dd794e);
  assert.equal(crc32c(inc, 4, 0), 0);
});
