import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openOfflineRx, openOfflineTx } from '../../src/adapter/offline.js';
import { isScanError } from '../../src/error.js';

test('offline tx accepts and discards whole batches, counting frames and bytes', () => {
  const tx = openOfflineTx({ batch: 256, slotSize: 60 });
  assert.equal(tx.capacity, 256);
  assert.equal(tx.slotSize, 64);
  assert.equal(tx.frames.length, 256 * 64);
  assert.equal(tx.slotBase, 0);
  for (let k = 0; k < 256; k++) tx.lens[k] = 60;
  assert.equal(tx.send(256), 256);
  assert.equal(tx.send(10), 10);
  assert.equal(tx.send(0), 0);
  assert.deepEqual(tx.stats(), { sent: 266, ringFull: 0 });
  assert.equal(tx.sentBytes(), 266 * 60);
  tx.close();
});

test('offline tx refuses a count outside 0..capacity and bad options', () => {
  const tx = openOfflineTx({ batch: 4 });
  for (const bad of [-1, 5, 1.5, NaN]) {
    assert.throws(() => tx.send(bad), (e: unknown) => isScanError(e) && e.code === 'ERR_INTERNAL');
  }
  assert.throws(() => openOfflineTx({ batch: 0 }), (e: unknown) => isScanError(e) && e.code === 'ERR_BAD_OPTION');
  assert.throws(() => openOfflineTx({ batch: 8, slotSize: 10 }), (e: unknown) => isScanError(e) && e.code === 'ERR_BAD_OPTION');
});

test('offline rx never delivers and never waits', () => {
  const rx = openOfflineRx();
  let calls = 0;
  const t0 = process.hrtime.bigint();
  assert.equal(rx.poll(1000, () => { calls++; }), 0);
  assert.ok(process.hrtime.bigint() - t0 < 100_000_000n);
  assert.equal(calls, 0);
  assert.deepEqual(rx.stats(), { received: 0, kernelDrops: 0 });
  rx.close();
});
