/**
 * The per-segment path allocates nothing: millions of segments (in-order data delivered and
 * ACKed, pure ACKs, out-of-order data held and delivered, our data sent and ACKed), with
 * sequence numbers above 2^31 (heap numbers if they crossed a call as u32), run without a
 * single garbage collection. Any allocation per segment (a view, a closure, a boxed number)
 * of even 16 bytes would make ~50 MB here, and several scavenges.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PerformanceObserver } from 'node:perf_hooks';
import type { StackHost } from '../../src/stack/api.js';
import { TcpStack } from '../../src/stack/tcp.js';
import { gcsDuring } from '../engine/gc-count.js';

test('stack: segments through established connections cause no garbage collection', async () => {
  let sink = 0;
  const host: StackHost = {
    output: (_c, _f, seq, ack, _w, _b, _o, len) => void (sink = (sink + seq + ack + len) | 0),
    opened: () => {},
    received: (_c, _b, _o, len) => void (sink = (sink + len) | 0),
    peerClosed: () => {},
    appTimer: () => {},
    closed: () => {},
  };
  const N = 1000;
  const s = new TcpStack(
    { capacity: N, chunkSize: 256, maxChunks: 4 * N, connectionTimeoutMs: 0x3fffffff, rtoMs: 1000, maxRetries: 3, window: 65535, mss: 1460, maxHeld: 2 },
    host,
  );
  const THEIR = 0x9e3779b9;
  const OUR = 0xc2b2ae35;
  // Addresses as int32 (the u32 bits), as the engine passes them: see TcpStack.segment4.
  const ip = (i: number) => (0xc0000000 + i) | 0;
  for (let i = 0; i < N; i++) s.synAck4(0, ip(i), 80, 0xc6336401, 40000, THEIR, OUR, 65535, 1460);
  const rseq = new Int32Array(N).fill(THEIR + 1);
  const sent = new Int32Array(N).fill(OUR);
  const payload = new Uint8Array(200).fill(7);
  const hello = new Uint8Array(50).fill(9);
  const loop = (rounds: number, now: number) => {
    for (let r = 0; r < rounds; r++) {
      for (let i = 0; i < N; i++) {
        const a = ip(i);
        const q = rseq[i];
        // out of order, then the gap: both delivered
        s.segment4(now, a, 80, 0xc6336401, 40000, q + 100, sent[i], 0x18, 65535, payload, 0, 100);
        s.segment4(now, a, 80, 0xc6336401, 40000, q, sent[i], 0x18, 65535, payload, 0, 100);
        // our data, then the peer's ACK of it (a pure ACK)
        s.send(i, hello, 0, 50, now);
        sent[i] = (sent[i] + 50) | 0;
        s.segment4(now, a, 80, 0xc6336401, 40000, q + 200, sent[i], 0x10, 65535, payload, 0, 0);
        rseq[i] = (q + 200) | 0;
      }
      s.poll(now);
    }
  };
  loop(50, 1); // warm up: compile and optimise first
  let gcs = 0;
  const obs = new PerformanceObserver((l) => void (gcs += l.getEntries().length));
  obs.observe({ entryTypes: ['gc'] });
  loop(500, 2); // 2 M segments, 500 k sends
  await new Promise((r) => setTimeout(r, 20)); // let the observer report
  obs.disconnect();
  assert.equal(s.counters.active, N);
  assert.equal(s.counters.outOfOrder, 550 * N);
  assert.equal(s.pool.inUse, 0);
  assert.ok(gcs <= 1, `${gcs} garbage collections during the measured loop (sink ${sink})`);
});

test('stack: connections opened and aborted (hash, unhash, RST) cause no garbage collection', async () => {
  let sink = 0;
  const host: StackHost = {
    output: (_c, _f, seq, ack, _w, _b, _o, len) => void (sink = (sink + seq + ack + len) | 0),
    opened: () => {},
    received: () => {},
    peerClosed: () => {},
    appTimer: () => {},
    closed: () => {},
  };
  const s = new TcpStack(
    { capacity: 1000, chunkSize: 256, maxChunks: 4000, connectionTimeoutMs: 0x3fffffff, rtoMs: 1000, maxRetries: 3, window: 65535, mss: 1460, maxHeld: 2 },
    host,
  );
  // Both addresses above 2^31 (as int32 bits, as the engine passes them).
  const ip = (i: number) => (0xc0000000 + (i & 0xffff)) | 0;
  const us = 0xc6336401 | 0;
  const run = (n: number): void => {
    for (let i = 0; i < n; i++) {
      const c = s.synAck4(1, ip(i), 80, us, 40000, 0x9e3779b9 | 0, 0xc2b2ae35 | 0, 65535, 1460);
      if (c >= 0) s.abort(c, 1);
    }
  };
  const gcs = await gcsDuring(run, 200_000, 2_000_000);
  assert.equal(s.counters.active, 0);
  assert.equal(s.counters.opened, 2_200_000);
  assert.ok(gcs <= 3, `${gcs} garbage collections over 2e6 connections (sink ${sink})`);
});
