import { test } from 'node:test';
import assert from 'node:assert/strict';
import { performance } from 'node:perf_hooks';
import { Throttle, perWorkerRate, MAX_WAIT_MS } from '../../src/engine/throttle.js';
import { isScanError } from '../../src/error.js';
import { prng } from '../fuzz/prng.js';

/** A fake monotonic clock in seconds. */
class FakeClock {
  t = 1000;
  now = (): number => this.t;
}


/**
 * Simulate a sender for `seconds` of fake time: ask for `batch`, "send" what it gets (each
 * probe costs `costPerProbe` s), then sleep waitHint() when it got nothing.
 */
function simulate(rate: number, batch: number, seconds: number, costPerProbe: number, seed: number): { sent: number; times: number[] } {
  const clk = new FakeClock();
  const th = new Throttle(rate, clk.now);
  const rnd = prng(seed);
  const end = clk.t + seconds;
  let sent = 0;
  const times: number[] = [];
  let guard = 0;
  while (clk.t < end && guard++ < 50_000_000) {
    const n = th.next(batch);
    if (n > 0) {
      sent += n;
      if (times.length < 1000) times.push(clk.t);
      clk.t += n * costPerProbe + rnd() * 20e-6; // syscall jitter
    } else {
      const ms = th.waitHint();
      assert.ok(ms >= 0 && ms <= MAX_WAIT_MS);
      clk.t += Math.max(ms / 1000, 1e-6) * (1 + rnd() * 0.1); // oversleep up to 10%
    }
  }
  return { sent, times };
}

for (const [rate, batch, cost] of [
  [0.5, 1024, 1e-7], [10, 1024, 1e-7], [1000, 256, 1e-7], [100_000, 1024, 2e-7],
  [1_000_000, 1024, 2e-7], [3_000_000, 1024, 1e-7], [10_000_000, 1024, 5e-8],
] as const) {
  test(`fake clock: rate ${rate} pps, batch ${batch}, within 5% over 10 s`, () => {
    const { sent } = simulate(rate, batch, 10, cost, rate | 0);
    const want = rate * 10;
    assert.ok(Math.abs(sent - want) <= Math.max(1, want * 0.05), `sent ${sent}, want ${want}`);
  });
}

test('0.1 pps: one probe every 10 s, evenly', () => {
  const { sent, times } = simulate(0.1, 1024, 100.5, 1e-7, 1);
  // First probe at once, then every 10 s (within the oversleep of the last wait).
  assert.equal(sent, 11);
  for (let k = 1; k < times.length; k++) {
    const gap = times[k]! - times[k - 1]!;
    assert.ok(gap >= 10 - 1e-9 && gap < 10.011, `gap ${gap}`);
  }
});

test('10 M pps with large batches: full batches, no starvation', () => {
  const clk = new FakeClock();
  const th = new Throttle(10_000_000, clk.now);
  let full = 0, calls = 0, sent = 0;
  for (let k = 0; k < 10_000; k++) {
    clk.t += 1024 / 10_000_000; // exactly one batch worth of time per call
    const n = th.next(1024);
    sent += n; calls++;
    if (n === 1024) full++;
  }
  assert.ok(full >= calls - 2, `full batches ${full} of ${calls}`);
  assert.ok(Math.abs(sent - 10_240_000) <= 1024);
});

test('a stalled sender catches up at most the burst, and a stopped clock earns nothing', () => {
  const clk = new FakeClock();
  const th = new Throttle(1000, clk.now);
  assert.equal(th.next(10), 1); // the initial token
  assert.equal(th.next(10), 0);
  clk.t += 60; // a minute of stall
  const n = th.next(1_000_000);
  assert.ok(n <= 1000 * 0.05 + 1 && n >= 1, `burst ${n}`);
  assert.equal(th.next(10), 0);
  clk.t -= 5; // clock steps back
  assert.equal(th.next(10), 0);
  assert.ok(th.waitHint() > 0);
});

test('refund keeps the rate exact; setRate applies', () => {
  const clk = new FakeClock();
  const th = new Throttle(100, clk.now);
  th.next(1);
  clk.t += 0.05;
  const n = th.next(100);
  assert.equal(n, 5);
  th.refund(3);
  assert.equal(th.next(100), 3);
  assert.equal(th.granted, 6);
  th.setRate(1e6);
  assert.equal(th.getRate(), 1e6);
  clk.t += 0.001;
  assert.equal(th.next(5000), 1000);
});

test('unlimited rate and bad rates', () => {
  const th = new Throttle(Infinity, () => 0);
  assert.equal(th.next(1024), 1024);
  assert.equal(th.waitHint(), 0);
  for (const bad of [0, -1, NaN]) {
    assert.throws(() => new Throttle(bad, () => 0), (e: unknown) => isScanError(e) && e.code === 'ERR_BAD_RATE');
  }
  assert.equal(perWorkerRate(1000, 4), 250);
  assert.equal(perWorkerRate(1000, 0), 1000);
});

test('real clock: 2 s at 200 kpps within 5%', () => {
  const now = (): number => performance.now() / 1000;
  const th = new Throttle(200_000, now);
  const sleeper = new Int32Array(new SharedArrayBuffer(4));
  const t0 = now();
  let sent = 0;
  let guard = 0;
  while (now() - t0 < 2 && guard++ < 10_000_000) {
    const n = th.next(512);
    if (n > 0) sent += n;
    else Atomics.wait(sleeper, 0, 0, th.waitHint());
  }
  const elapsed = now() - t0;
  const want = 200_000 * elapsed;
  assert.ok(Math.abs(sent - want) <= want * 0.05, `sent ${sent} in ${elapsed.toFixed(3)} s, want ${want.toFixed(0)}`);
});
