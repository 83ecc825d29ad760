import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { RangeList4, RangeList6 } from '../../src/target/range-list.js';
import { wordsToIPv6 } from '../../src/target/ipv6.js';

const U = 300; // size of the small universe the slow reference models

/** Slow reference: a membership bitmap over [base, base + U). */
function bitmap(ranges: [number, number][]): Uint8Array {
  const m = new Uint8Array(U);
  for (const [b, e] of ranges) for (let x = b; x <= e; x++) m[x] = 1;
  return m;
}

const rangeArb = fc
  .tuple(fc.integer({ min: 0, max: U - 1 }), fc.integer({ min: 0, max: U - 1 }), fc.boolean())
  .map(([x, y, swap]): [number, number] => (swap ? [y, x] : [Math.min(x, y), Math.max(x, y)]));
const rangesArb = fc.array(rangeArb, { maxLength: 25 });

for (const base of [0, 2 ** 32 - U, 0x7fffff00]) {
  test(`RangeList4 merge/count/pick/contains vs bitmap (base ${base})`, () => {
    fc.assert(
      fc.property(rangesArb, (rs) => {
        const l = new RangeList4(2);
        for (const [b, e] of rs) l.add(base + b, base + e);
        const bm = bitmap(rs.filter(([b, e]) => e >= b));
        const members: number[] = [];
        for (let x = 0; x < U; x++) if (bm[x]) members.push(base + x);
        assert.equal(l.count(), members.length);
        for (let k = 0; k < members.length; k++) assert.equal(l.pick(k), members[k]);
        for (let x = 0; x < U; x++) assert.equal(l.contains(base + x), bm[x] === 1);
        const got = l.ranges();
        for (let i = 0; i < got.length; i++) {
          assert.ok(got[i].begin <= got[i].end);
          if (i > 0) assert.ok(got[i].begin > got[i - 1].end + 1, 'merged ranges are not adjacent');
        }
        assert.deepEqual(RangeList4.fromRanges(got).ranges(), got);
      }),
      { numRuns: 300 },
    );
  });

  test(`RangeList4 exclude vs bitmap (base ${base})`, () => {
    fc.assert(
      fc.property(rangesArb, rangesArb, (inc, exc) => {
        const a = new RangeList4();
        const x = new RangeList4();
        for (const [b, e] of inc) a.add(base + b, base + e);
        for (const [b, e] of exc) x.add(base + b, base + e);
        const r = a.exclude(x);
        const bi = bitmap(inc.filter(([b, e]) => e >= b));
        const bx = bitmap(exc.filter(([b, e]) => e >= b));
        const members: number[] = [];
        for (let k = 0; k < U; k++) if (bi[k] && !bx[k]) members.push(base + k);
        assert.equal(r.count(), members.length);
        for (let k = 0; k < members.length; k++) assert.equal(r.pick(k), members[k]);
        assert.equal(a.count(), bi.reduce((s, v) => s + v, 0), 'exclude leaves its inputs alone');
      }),
      { numRuns: 300 },
    );
  });
}

test('RangeList4: whole space, end < begin, extremes', () => {
  const l = new RangeList4();
  l.add(0, 0xffffffff);
  l.add(5, 3); // nothing
  assert.equal(l.count(), 2 ** 32);
  assert.equal(l.pick(0), 0);
  assert.equal(l.pick(2 ** 32 - 1), 0xffffffff);
  const ex = RangeList4.fromRanges([{ begin: 0xffffffff, end: 0xffffffff }]);
  const r = l.exclude(ex);
  assert.deepEqual(r.ranges(), [{ begin: 0, end: 0xfffffffe }]);
  assert.equal(new RangeList4().count(), 0);
  assert.equal(new RangeList4().contains(0), false);
});

test('RangeList4: large merge (200k random addresses) matches a bitmap', () => {
  const N = 1 << 20;
  const bm = new Uint8Array(N);
  const l = new RangeList4();
  let s = 12345;
  for (let i = 0; i < 200_000; i++) {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    const x = s & (N - 1);
    bm[x] = 1;
    l.add(x, x);
  }
  const t0 = performance.now();
  l.merge();
  const dt = performance.now() - t0;
  let n = 0;
  for (let x = 0; x < N; x++) n += bm[x];
  assert.equal(l.count(), n);
  let k = 0;
  for (let x = 0; x < N; x += 97) if (bm[x]) assert.ok(l.contains(x));
  for (let x = 0; x < N && k < 1000; x++) if (bm[x]) assert.equal(l.pick(k++), x);
  assert.ok(dt < 2000, `merge took ${dt} ms`);
});

// ---------------------------------------------------------------------------------------------

const V6_BASES = [0n, (1n << 32n) - 150n, (1n << 64n) - 150n, (1n << 96n) - 150n, (1n << 128n) - BigInt(U)];

for (const base of V6_BASES) {
  test(`RangeList6 count/pickBig/pickWords/contains/exclude vs bitmap (base ${base})`, () => {
    const words = new Uint32Array(4);
    fc.assert(
      fc.property(rangesArb, rangesArb, (inc, exc) => {
        const a = new RangeList6();
        const x = new RangeList6();
        for (const [b, e] of inc) a.add(base + BigInt(b), base + BigInt(e));
        for (const [b, e] of exc) x.add(base + BigInt(b), base + BigInt(e));
        const bi = bitmap(inc.filter(([b, e]) => e >= b));
        const bx = bitmap(exc.filter(([b, e]) => e >= b));
        const mi: bigint[] = [];
        const mr: bigint[] = [];
        for (let k = 0; k < U; k++) {
          if (bi[k]) mi.push(base + BigInt(k));
          if (bi[k] && !bx[k]) mr.push(base + BigInt(k));
        }
        assert.equal(a.count(), BigInt(mi.length));
        for (let k = 0; k < mi.length; k++) {
          assert.equal(a.pickBig(BigInt(k)), mi[k]);
          a.pickWords(k, words);
          assert.equal(wordsToIPv6(words), mi[k]);
        }
        for (let k = 0; k < U; k += 7) assert.equal(a.contains(base + BigInt(k)), bi[k] === 1);
        const r = a.exclude(x);
        assert.equal(r.count(), BigInt(mr.length));
        for (let k = 0; k < mr.length; k++) assert.equal(r.pickBig(BigInt(k)), mr[k]);
        const rr = r.ranges();
        for (let i = 1; i < rr.length; i++) assert.ok(rr[i].begin > rr[i - 1].end + 1n);
      }),
      { numRuns: 150 },
    );
  });
}

test('RangeList6: pickWords carries across all four words; big counts', () => {
  const l = new RangeList6();
  const b = (1n << 96n) - 3n;
  l.add(b, b + (1n << 40n));
  const w = new Uint32Array(4);
  for (const k of [0, 1, 2, 3, 2 ** 32 + 7, 2 ** 40]) {
    l.pickWords(k, w);
    assert.equal(wordsToIPv6(w), b + BigInt(k));
  }
  const all = new RangeList6();
  all.add(0n, (1n << 128n) - 1n);
  assert.equal(all.count(), 1n << 128n);
  assert.equal(all.pickBig((1n << 128n) - 1n), (1n << 128n) - 1n);
  all.add(7n, 3n);
  assert.equal(all.rangeCount(), 1);
});
