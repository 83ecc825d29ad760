import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Worker } from 'node:worker_threads';
import fc from 'fast-check';
import { RecordRing, FrameRing, RECORD_WORDS } from '../../src/engine/ring.js';

const workerUrl = new URL('./ring-worker.js', import.meta.url);

function runWorker(data: object): Promise<{ ok: boolean; count: number; error?: string }> {
  return new Promise((resolve, reject) => {
    const w = new Worker(workerUrl, { workerData: data });
    const timer = setTimeout(() => { void w.terminate(); reject(new Error('worker timed out')); }, 30_000);
    w.once('message', (m) => { clearTimeout(timer); resolve(m as { ok: boolean; count: number; error?: string }); void w.terminate(); });
    w.once('error', (e) => { clearTimeout(timer); reject(e); });
  });
}

test('record ring: 10^6 records across two workers, no loss, no reordering', async () => {
  const ring = RecordRing.create(1024);
  const count = 1_000_000;
  const [p, c] = await Promise.all([
    runWorker({ sab: ring.sab, kind: 'record', role: 'producer', count }),
    runWorker({ sab: ring.sab, kind: 'record', role: 'consumer', count }),
  ]);
  assert.deepEqual(p, { ok: true, count });
  assert.deepEqual(c, { ok: true, count });
});

test('frame ring: 10^6 variable-length frames across two workers, no loss, no reordering', async () => {
  const ring = FrameRing.create(1 << 16, 1514);
  const count = 1_000_000;
  const [p, c] = await Promise.all([
    runWorker({ sab: ring.sab, kind: 'frame', role: 'producer', count }),
    runWorker({ sab: ring.sab, kind: 'frame', role: 'consumer', count }),
  ]);
  assert.deepEqual(p, { ok: true, count });
  assert.deepEqual(c, { ok: true, count });
});

test('record ring model: random interleaving of reserve/publish/drain in one thread', () => {
  fc.assert(fc.property(fc.array(fc.tuple(fc.constantFrom('push', 'publish', 'drain'), fc.integer({ min: 1, max: 10 })), { maxLength: 200 }), (ops) => {
    const ring = RecordRing.create(8, 3);
    let produced = 0, published = 0, consumed = 0;
    for (const [op, n] of ops) {
      if (op === 'push') {
        for (let k = 0; k < n; k++) {
          const off = ring.reserve();
          // Full exactly when 8 records are reserved but not consumed.
          assert.equal(off < 0, produced - consumed >= 8);
          if (off < 0) break;
          ring.data[off] = produced; ring.data[off + 1] = produced * 3; ring.data[off + 2] = 7;
          produced++;
        }
      } else if (op === 'publish') {
        ring.publish(); published = produced;
      } else {
        const got = ring.drain((d, off) => {
          assert.equal(d[off], consumed); assert.equal(d[off + 1], consumed * 3); assert.equal(d[off + 2], 7);
          consumed++;
        }, n);
        assert.ok(got <= n);
        assert.equal(consumed, Math.min(published, consumed - got + n));
      }
    }
  }), { numRuns: 300 });
  assert.equal(RecordRing.create(4).words, RECORD_WORDS);
  assert.throws(() => RecordRing.create(1000));
});

test('frame ring model: wrap-around keeps frames whole; full ring refuses; oversize refused', () => {
  fc.assert(fc.property(fc.array(fc.tuple(fc.boolean(), fc.integer({ min: 1, max: 300 })), { maxLength: 300 }), (ops) => {
    const ring = FrameRing.create(4096, 300);
    const queue: number[] = [];
    const src = new Uint8Array(400), into = new Uint8Array(400);
    let seq = 0;
    for (const [isPush, len] of ops) {
      if (isPush) {
        for (let i = 0; i < len; i++) src[i] = (seq + i) & 0xff;
        if (ring.push(src, 0, len)) { queue.push(len * 65536 + (seq & 0xff)); seq++; }
        else assert.ok(ring.used() + 4 + len > 4096 - 304, `refused with ${ring.used()} used`);
      } else {
        const n = ring.pop(into, 0);
        if (queue.length === 0) { assert.equal(n, -1); continue; }
        const e = queue.shift()!;
        assert.equal(n, Math.floor(e / 65536));
        for (let i = 0; i < n; i++) assert.equal(into[i], ((e & 0xff) + i) & 0xff);
      }
    }
    assert.equal(ring.pending(), queue.length > 0);
  }), { numRuns: 300 });
  const r = FrameRing.create(4096, 300);
  assert.equal(r.push(new Uint8Array(400), 0, 301), false);
  assert.equal(r.push(new Uint8Array(400), 0, 0), false);
});

test('waitForDataAsync resolves when a record is published', async () => {
  const ring = RecordRing.create(16);
  assert.equal(await ring.waitForDataAsync(1), false);
  setTimeout(() => { ring.reserve(); ring.publish(); }, 5);
  assert.equal(await ring.waitForDataAsync(2000), true);
});
