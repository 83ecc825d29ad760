import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_ARBITER_POLICY, describeDecision, TxArbiter, TxMode, type TxModeValue } from '../../src/engine/tx-arbiter.js';

/**
 * A simulated pair of workers: probes/ms depends on the mode in force. Drives the arbiter
 * with a fake clock in 1 ms steps and returns the modes seen and the decisions.
 */
function simulate(rate: (mode: TxModeValue, ms: number) => number, ms: number): { arb: TxArbiter; modeAt: TxModeValue[] } {
  let mode: TxModeValue = TxMode.PARALLEL;
  const arb = new TxArbiter((m) => (mode = m), 0);
  let total = 0;
  const modeAt: TxModeValue[] = [];
  for (let t = 1; t <= ms; t++) {
    total += rate(mode, t);
    arb.tick(t, total);
    modeAt.push(mode);
  }
  return { arb, modeAt };
}

test('the arbiter keeps parallel sending when it is the faster (lockless device)', () => {
  const { arb, modeAt } = simulate((m) => (m === TxMode.PARALLEL ? 2700 : 1700), 20_000);
  assert.ok(arb.decisions.length >= 3, 'it compares again while the scan runs');
  for (const d of arb.decisions) assert.equal(d.kept, TxMode.PARALLEL);
  assert.equal(arb.current(), TxMode.PARALLEL);
  // Time spent trying SERIAL shrinks as the hold doubles: under 10% of the run.
  const serialMs = modeAt.filter((m) => m === TxMode.SERIAL).length;
  assert.ok(serialMs < 2000, `serial for ${serialMs} ms`);
  assert.ok(serialMs > 0);
});

test('the arbiter moves to serial sending when parallel sending contends', () => {
  const { arb, modeAt } = simulate((m) => (m === TxMode.PARALLEL ? 2400 : 4600), 10_000);
  assert.equal(arb.decisions[0]!.kept, TxMode.SERIAL);
  assert.equal(arb.current(), TxMode.SERIAL);
  const parallelMs = modeAt.filter((m, i) => i > 1000 && m === TxMode.PARALLEL).length;
  assert.ok(parallelMs < 1000, `parallel for ${parallelMs} ms after the first decision`);
});

test('the arbiter follows a device that changes behaviour mid-scan', () => {
  // Parallel contends for the first 3 s (slow), then stops contending (fast).
  const { arb } = simulate((m, t) => (m === TxMode.SERIAL ? 4200 : t < 3000 ? 2300 : 5200), 30_000);
  assert.equal(arb.decisions[0]!.kept, TxMode.SERIAL);
  assert.equal(arb.current(), TxMode.PARALLEL);
});

test('equal rates (a throttled scan) never leave parallel sending', () => {
  const { arb, modeAt } = simulate(() => 100, 30_000);
  assert.ok(arb.decisions.length >= 3, 'it kept comparing');
  for (const d of arb.decisions) assert.equal(d.kept, TxMode.PARALLEL);
  assert.equal(modeAt[modeAt.length - 1], TxMode.PARALLEL);
});

test('the policy defaults are sane', () => {
  const p = DEFAULT_ARBITER_POLICY;
  assert.ok(p.sampleMs > p.settleMs && p.holdMs > p.sampleMs && p.maxHoldMs >= p.holdMs && p.margin > 0);
});

test('decisions read as one line for -v', () => {
  const { arb } = simulate((m) => (m === TxMode.PARALLEL ? 2400 : 4600), 1000);
  const line = describeDecision(arb.decisions[0]!);
  assert.match(line, /^send mode at 0\.\d\d s: serial \(serial 4\.60 M\/s, parallel 2\.40 M\/s\)$/);
});

test('contention that sets in during a hold is caught at the next watch sample, not the end of the hold', () => {
  // Parallel is fast for the first 1.5 s, then contends (slow) for good.
  const { arb } = simulate((m, t) => (m === TxMode.SERIAL ? 4300 : t < 1500 ? 5200 : 2400), 6000);
  assert.equal(arb.decisions[0]!.kept, TxMode.PARALLEL);
  assert.equal(arb.current(), TxMode.SERIAL);
  const switched = arb.decisions.find((d) => d.kept === TxMode.SERIAL)!;
  assert.ok(switched.atMs < 1500 + 2 * DEFAULT_ARBITER_POLICY.sampleMs + 2 * DEFAULT_ARBITER_POLICY.settleMs + 50, `switched at ${switched.atMs} ms`);
});
