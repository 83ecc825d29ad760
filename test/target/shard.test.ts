import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { indexSlice, sliceLength, pauseIndex, type IndexSlice } from '../../src/target/shard.js';
import { ScanError } from '../../src/error.js';

function visit(s: IndexSlice): number[] {
  const out: number[] = [];
  for (let i = s.start; i < s.end; i += s.step) out.push(i);
  return out;
}

const base = { range: 8, shardOne: 1, shardOf: 1, resumeIndex: 0, resumeCount: 0, threads: 1, thread: 0 };

test('masscan examples: -sL --shard 2/3 and --resume-index 3 --resume-count 2 on 8 targets', () => {
  assert.deepEqual(visit(indexSlice({ ...base, shardOne: 2, shardOf: 3 })), [1, 4, 7]);
  assert.deepEqual(visit(indexSlice({ ...base, resumeIndex: 3, resumeCount: 2 })), [3, 4]);
  assert.deepEqual(visit(indexSlice(base)), [0, 1, 2, 3, 4, 5, 6, 7]);
  assert.deepEqual(visit(indexSlice({ ...base, resumeIndex: 100 })), []);
});

test('threads split a shard lattice; shard sets do not depend on the thread count', () => {
  const s = { ...base, range: 30, shardOne: 2, shardOf: 3 };
  const one = visit(indexSlice(s));
  const t0 = visit(indexSlice({ ...s, threads: 2, thread: 0 }));
  const t1 = visit(indexSlice({ ...s, threads: 2, thread: 1 }));
  assert.deepEqual(one, [1, 4, 7, 10, 13, 16, 19, 22, 25, 28]);
  assert.deepEqual(t0, [1, 7, 13, 19, 25]);
  assert.deepEqual(t1, [4, 10, 16, 22, 28]);
});

test('shards x threads partition any resume window exactly (property)', () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 0, max: 400 }),
      fc.integer({ min: 1, max: 7 }),
      fc.integer({ min: 1, max: 4 }),
      fc.integer({ min: 0, max: 450 }),
      fc.integer({ min: 0, max: 450 }),
      (range, shardOf, threads, resumeIndex, resumeCount) => {
        const hits = new Uint8Array(range);
        for (let shardOne = 1; shardOne <= shardOf; shardOne++) {
          for (let thread = 0; thread < threads; thread++) {
            const s = indexSlice({ range, shardOne, shardOf, resumeIndex, resumeCount, threads, thread });
            const v = visit(s);
            assert.equal(sliceLength(s), v.length);
            for (const i of v) {
              assert.equal(i % shardOf, shardOne - 1, 'stays on its shard lattice');
              hits[i]++;
            }
          }
        }
        const lo = Math.min(resumeIndex, range);
        const hi = resumeCount > 0 ? Math.min(range, resumeIndex + resumeCount) : range;
        for (let i = 0; i < range; i++) assert.equal(hits[i], i >= lo && i < hi ? 1 : 0, `index ${i}`);
      },
    ),
    { numRuns: 400 },
  );
});

test('resume-index/count slices join up to the whole (property)', () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 1, max: 300 }),
      fc.integer({ min: 1, max: 5 }),
      fc.array(fc.integer({ min: 1, max: 80 }), { maxLength: 10 }),
      (range, shardOf, counts) => {
        for (let shardOne = 1; shardOne <= shardOf; shardOne++) {
          const got: number[] = [];
          let at = 0;
          for (const c of counts) {
            got.push(...visit(indexSlice({ ...base, range, shardOne, shardOf, resumeIndex: at, resumeCount: c })));
            at += c;
          }
          got.push(...visit(indexSlice({ ...base, range, shardOne, shardOf, resumeIndex: at })));
          assert.deepEqual(got, visit(indexSlice({ ...base, range, shardOne, shardOf })));
        }
      },
    ),
    { numRuns: 200 },
  );
});

test('pause and resume of a sharded, threaded scan misses nothing and stays on the lattice (property)', () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 1, max: 300 }),
      fc.integer({ min: 1, max: 5 }),
      fc.integer({ min: 1, max: 4 }),
      fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: 4, maxLength: 4 }),
      fc.nat(),
      (range, shardOf, threads, progress, pick) => {
        const shardOne = (pick % shardOf) + 1;
        const common = { range, shardOne, shardOf, resumeCount: 0, threads };
        const done = new Set<number>();
        const next: number[] = [];
        for (let thread = 0; thread < threads; thread++) {
          const v = visit(indexSlice({ ...common, resumeIndex: 0, thread }));
          const k = Math.floor(progress[thread] * v.length);
          for (const i of v.slice(0, k)) done.add(i);
          next.push(k < v.length ? v[k] : range);
        }
        const resumeIndex = pauseIndex(next);
        let redone = 0;
        for (let thread = 0; thread < threads; thread++) {
          for (const i of visit(indexSlice({ ...common, resumeIndex, thread }))) {
            assert.equal(i % shardOf, shardOne - 1);
            if (done.has(i)) redone++;
            done.add(i);
          }
        }
        const lattice = visit(indexSlice({ ...common, resumeIndex: 0, threads: 1, thread: 0 }));
        assert.deepEqual([...done].sort((x, y) => x - y), lattice);
        assert.ok(redone <= lattice.length);
      },
    ),
    { numRuns: 300 },
  );
});

test('indexSlice: bad shard and thread values', () => {
  const isShard = (e: unknown) => e instanceof ScanError && e.code === 'ERR_BAD_SHARD';
  assert.throws(() => indexSlice({ ...base, shardOne: 0 }), isShard);
  assert.throws(() => indexSlice({ ...base, shardOne: 3, shardOf: 2 }), isShard);
  assert.throws(() => indexSlice({ ...base, shardOf: 0 }), isShard);
  assert.throws(() => indexSlice({ ...base, thread: 1 }), ScanError);
  assert.throws(() => indexSlice({ ...base, resumeIndex: -1 }), ScanError);
  const big = indexSlice({ ...base, range: 2 ** 53 - 1, resumeIndex: 2 ** 53 - 10, shardOne: 3, shardOf: 7 });
  assert.equal((big.start - 2) % 7, 0);
  assert.ok(big.start >= 2 ** 53 - 10);
});
