import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Blackrock, blackrockAB } from '../../src/target/blackrock.js';
import { BlackrockRef } from './blackrock-ref.js';

// Reference §5.1 test vectors (verified there against real masscan -sL output).
const VECTORS: { range: number; seed: bigint; rounds: number; a: number; b: number; out: number[] }[] = [
  { range: 8, seed: 1n, rounds: 14, a: 3, b: 3, out: [1, 2, 3, 6, 0, 7, 4, 5] },
  { range: 4, seed: 42n, rounds: 14, a: 2, b: 3, out: [1, 2, 0, 3] },
  { range: 6, seed: 7n, rounds: 14, a: 2, b: 4, out: [1, 0, 3, 2, 4, 5] },
  { range: 1000, seed: 0n, rounds: 14, a: 29, b: 35, out: [700, 605, 271, 597, 84, 752, 26, 698] },
  {
    range: 262144, seed: 12345678901234567890n, rounds: 14, a: 510, b: 515,
    out: [43337, 231049, 8299, 225866, 138422, 203983, 20501, 8722],
  },
  {
    range: 4294967296, seed: 1n, rounds: 14, a: 65534, b: 65539,
    out: [3485298426, 1936647200, 1481647361, 3898614378, 2196131589, 539621692, 757957635, 1029318539],
  },
  { range: 1000, seed: 0n, rounds: 4, a: 29, b: 35, out: [788, 445, 646, 524, 517, 407, 822, 867, 223, 100] },
];

test('blackrock: reference test vectors (fast, batch and BigInt reference)', () => {
  for (const v of VECTORS) {
    const br = new Blackrock(v.range, v.seed, v.rounds);
    const ref = new BlackrockRef(BigInt(v.range), v.seed, v.rounds);
    assert.equal(br.a, v.a);
    assert.equal(br.b, v.b);
    const got = v.out.map((_, i) => br.shuffle(i));
    assert.deepEqual(got, v.out, `range ${v.range} seed ${v.seed} rounds ${v.rounds}`);
    assert.deepEqual(v.out.map((_, i) => Number(ref.shuffle(BigInt(i)))), v.out);
    const inp = Float64Array.from(v.out.map((_, i) => i));
    const out = new Float64Array(inp.length);
    br.shuffleBatch(inp, out, inp.length);
    assert.deepEqual([...out], v.out);
    for (let i = 0; i < v.out.length; i++) assert.equal(br.unshuffle(v.out[i]), i);
  }
  // masscan -sL 0.0.0.0/0 -p80 --seed 1 starts 207.189.110.250, 115.110.228.32, 88.80.37.1, 232.96.34.106
  const br = new Blackrock(2 ** 32, 1n);
  assert.deepEqual([0, 1, 2, 3].map((i) => br.shuffle(i)), [0xcfbd6efa, 0x736ee420, 0x58502501, 0xe860226a]);
});

test('blackrockAB: special cases and the a*b > range rule', () => {
  assert.deepEqual(blackrockAB(0), { a: 0, b: 0 });
  assert.deepEqual(blackrockAB(1), { a: 1, b: 2 });
  assert.deepEqual(blackrockAB(2), { a: 1, b: 3 });
  assert.deepEqual(blackrockAB(3), { a: 2, b: 2 });
  for (let r = 1; r < 5000; r++) {
    const { a, b } = blackrockAB(r);
    assert.ok(a * b > r && a >= 1, String(r));
  }
  for (const r of [2 ** 48 - 12345, 2 ** 53 - 1, 2 ** 53]) {
    const { a, b } = blackrockAB(r);
    assert.ok(BigInt(a) * BigInt(b) > BigInt(r));
    assert.ok(BigInt(a) * BigInt(b - 1) <= BigInt(r));
  }
});

test('blackrock matches the BigInt reference on random ranges, seeds, rounds (property)', () => {
  const range = fc.oneof(
    fc.integer({ min: 1, max: 2000 }),
    fc.integer({ min: 1, max: 2 ** 32 }),
    fc.integer({ min: 2 ** 47, max: 2 ** 48 + 1000 }),
    fc.integer({ min: 2 ** 53 - 2 ** 30, max: 2 ** 53 }),
    fc.integer({ min: 1, max: 2 ** 53 }),
  );
  fc.assert(
    fc.property(
      range,
      fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }),
      fc.constantFrom(14, 14, 14, 1, 2, 3, 4, 7, 15, 63, 64, 65),
      fc.double({ min: 0, max: 1, noNaN: true, maxExcluded: true }),
      (r, seed, rounds, frac) => {
        const br = new Blackrock(r, seed, rounds);
        const ref = new BlackrockRef(BigInt(r), seed, rounds);
        for (const m of [Math.floor(frac * r), 0, r - 1]) {
          const c = br.shuffle(m);
          assert.equal(BigInt(c), ref.shuffle(BigInt(m)), `range ${r} seed ${seed} rounds ${rounds} m ${m}`);
          assert.ok(c >= 0 && c < r && Number.isInteger(c));
          assert.equal(br.unshuffle(c), m);
        }
      },
    ),
    { numRuns: 400 },
  );
});

test('blackrock is a bijection on random ranges 1..10^6 with random seeds (property)', () => {
  fc.assert(
    fc.property(
      fc.oneof(fc.integer({ min: 1, max: 300 }), fc.integer({ min: 1, max: 1_000_000 })),
      fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }),
      (r, seed) => {
        const br = new Blackrock(r, seed);
        const seen = new Uint8Array(r);
        const inp = new Float64Array(r);
        for (let m = 0; m < r; m++) inp[m] = m;
        const out = new Float64Array(r);
        br.shuffleBatch(inp, out, r);
        for (let m = 0; m < r; m++) {
          const c = out[m];
          assert.ok(c >= 0 && c < r && seen[c] === 0, `range ${r} seed ${seed}: ${m} -> ${c}`);
          seen[c] = 1;
          if (m % 64 === 0) {
            assert.equal(br.shuffle(m), c);
            assert.equal(br.unshuffle(c), m);
          }
        }
      },
    ),
    { numRuns: 40 },
  );
});

test('unshuffle(shuffle(i)) == i near 2^48 and 2^53 (property)', () => {
  fc.assert(
    fc.property(
      fc.oneof(fc.integer({ min: 2 ** 48 - 5000, max: 2 ** 48 + 5000 }), fc.integer({ min: 2 ** 52, max: 2 ** 53 })),
      fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }),
      fc.array(fc.double({ min: 0, max: 1, noNaN: true, maxExcluded: true }), { minLength: 1, maxLength: 20 }),
      (r, seed, fracs) => {
        const br = new Blackrock(r, seed);
        const inp = Float64Array.from(fracs.map((f) => Math.floor(f * r)));
        const out = new Float64Array(inp.length);
        br.shuffleBatch(inp, out, inp.length);
        for (let k = 0; k < inp.length; k++) {
          assert.equal(br.shuffle(inp[k]), out[k]);
          assert.ok(out[k] < r);
          assert.equal(br.unshuffle(out[k]), inp[k]);
        }
      },
    ),
    { numRuns: 300 },
  );
});

test('blackrock: trivial and invalid ranges', () => {
  assert.equal(new Blackrock(1, 5n).shuffle(0), 0);
  assert.equal(new Blackrock(0, 5n).range, 0);
  const two = new Blackrock(2, 9n);
  assert.deepEqual([two.shuffle(0), two.shuffle(1)].sort(), [0, 1]);
  assert.throws(() => new Blackrock(2 ** 53 + 2, 1n), RangeError);
  assert.throws(() => new Blackrock(-1, 1n), RangeError);
  assert.throws(() => new Blackrock(1.5, 1n), RangeError);
});
