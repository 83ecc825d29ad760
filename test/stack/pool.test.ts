import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ChunkPool } from '../../src/stack/pool.js';

test('pool: hands out every chunk up to the cap, then -1; released chunks come back LIFO', () => {
  const p = new ChunkPool(16, 4);
  const ids = [p.alloc(), p.alloc(), p.alloc(), p.alloc()];
  assert.deepEqual(ids, [0, 1, 2, 3]);
  assert.equal(p.alloc(), -1);
  assert.equal(p.inUse, 4);
  assert.equal(p.available, 0);
  p.release(2);
  p.release(0);
  assert.equal(p.countFree(), 2);
  assert.equal(p.alloc(), 0);
  assert.equal(p.alloc(), 2);
  assert.equal(p.alloc(), -1);
});

test('pool: a chain is released whole; counts stay consistent', () => {
  const p = new ChunkPool(8, 10);
  const a = p.alloc();
  const b = p.alloc();
  const c = p.alloc();
  p.next[a] = b;
  p.next[b] = c;
  assert.equal(p.next[c], -1);
  assert.equal(p.releaseChain(a), 3);
  assert.equal(p.inUse, 0);
  assert.equal(p.countFree() + p.inUse, p.max);
  assert.equal(p.releaseChain(-1), 0);
});

test('pool: bad sizes are refused', () => {
  assert.throws(() => new ChunkPool(0, 1), RangeError);
  assert.throws(() => new ChunkPool(65536, 1), RangeError);
  assert.throws(() => new ChunkPool(16, 0), RangeError);
  assert.throws(() => new ChunkPool(65535, 2 ** 20), RangeError);
});
