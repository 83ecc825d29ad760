import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createMemoryLink } from '../../src/adapter/memory.js';
import { isScanError } from '../../src/error.js';

function fill(tx: { frames: Uint8Array; lens: Uint16Array; slotBase: number; slotSize: number }, n: number, tag: number): void {
  for (let k = 0; k < n; k++) {
    const off = tx.slotBase + k * tx.slotSize;
    tx.frames.fill(tag + k, off, off + 20 + k);
    tx.lens[k] = 20 + k;
  }
}

test('memory link copies sent frames into the sent queue', () => {
  const link = createMemoryLink({ batch: 8, slotSize: 64 });
  fill(link.tx, 3, 10);
  assert.equal(link.tx.send(3), 3);
  // Overwrite the slots: the queue holds copies.
  fill(link.tx, 3, 99);
  const sent = link.takeSent();
  assert.equal(sent.length, 3);
  assert.deepEqual(Array.from(sent[1]), new Array(21).fill(11));
  assert.equal(link.sent.length, 0);
  assert.deepEqual(link.tx.stats(), { sent: 3, ringFull: 0 });
});

test('responder replies reach the rx channel with the injected clock', () => {
  let now = 1_700_000_000_123.456;
  const link = createMemoryLink({
    batch: 4,
    slotSize: 64,
    now: () => now,
    responder: (f) => (f[0] === 1 ? [Uint8Array.of(0xaa, f.length)] : undefined),
  });
  fill(link.tx, 2, 1); // frame 0 starts with 1, frame 1 with 2
  link.tx.send(2);
  assert.equal(link.pending(), 1);
  const got: [number[], number, number][] = [];
  const n = link.rx.poll(0, (buf, off, len, sec, nsec) => got.push([Array.from(buf.subarray(off, off + len)), sec, nsec]));
  assert.equal(n, 1);
  assert.deepEqual(got[0][0], [0xaa, 20]);
  assert.equal(got[0][1], 1_700_000_000);
  assert.ok(Math.abs(got[0][2] - 123_456_000) < 1000);
  now += 1000;
  assert.equal(link.rx.poll(0, () => undefined), 0);
  assert.deepEqual(link.rx.stats(), { received: 1, kernelDrops: 0 });
});

test('loopback, inject, bounded queue and acceptLimit', () => {
  const link = createMemoryLink({ batch: 8, slotSize: 64, loopback: true, maxQueue: 5, acceptLimit: 3 });
  fill(link.tx, 8, 0);
  assert.equal(link.tx.send(8), 3); // a "full ring"
  assert.deepEqual(link.tx.stats(), { sent: 3, ringFull: 1 });
  assert.equal(link.inject(Uint8Array.of(1, 2, 3)), true);
  assert.equal(link.inject(Uint8Array.of(4)), true);
  assert.equal(link.inject(Uint8Array.of(5)), false); // 6th frame: dropped
  let frames = 0;
  assert.equal(link.rx.poll(0, () => { frames++; }), 5);
  assert.equal(frames, 5);
  assert.deepEqual(link.rx.stats(), { received: 5, kernelDrops: 1 });
});

test('frames queued during a poll wait for the next one (each poll is bounded)', () => {
  const link = createMemoryLink({ batch: 1, slotSize: 64 });
  link.inject(Uint8Array.of(1));
  let n = 0;
  const handler = (): void => {
    n++;
    link.inject(Uint8Array.of(2));
  };
  assert.equal(link.rx.poll(0, handler), 1);
  assert.equal(link.rx.poll(0, handler), 1);
  assert.equal(n, 2);
});

test('memory tx checks counts and frame lengths', () => {
  const link = createMemoryLink({ batch: 2, slotSize: 32 });
  assert.throws(() => link.tx.send(3), (e: unknown) => isScanError(e));
  link.tx.lens[0] = 33;
  assert.throws(() => link.tx.send(1), (e: unknown) => isScanError(e) && /exceeds/.test(e.message));
  link.tx.close();
  link.tx.lens[0] = 10;
  assert.throws(() => link.tx.send(1), (e: unknown) => isScanError(e));
});
