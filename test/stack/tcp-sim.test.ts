/**
 * The stack against a model TCP server through a lossy, reordering, duplicating link
 * (sim.ts has the model and the properties).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { checkSafe, run, scenario, type Scenario } from './sim.js';

test('stack sim: without loss (duplication and reordering only) every exchange completes by FIN', () => {
  fc.assert(
    fc.property(scenario(fc.constant(0), false), (sc) => {
      const r = run(sc);
      checkSafe(r);
      assert.equal(r.reason, 'fin');
    }),
    { numRuns: 100 },
  );
});

test('stack sim: with loss up to 50%, bytes are exact prefixes, complete on FIN, and nothing leaks', () => {
  fc.assert(
    fc.property(scenario(fc.double({ min: 0, max: 0.5, noNaN: true }), true), (sc) => checkSafe(run(sc))),
    { numRuns: 100 },
  );
});

test('stack sim: with 10% loss, 100 fixed seeds all complete by FIN; with 70% loss none hangs', () => {
  const base: Scenario = {
    seed: 0, loss: 0.1, dup: 0.05, jitter: 40, greet: 700, req: 300, answer: 2500, peerWnd: 1000,
    peerMss: 400, maxSeg: 300, zeroMs: 0, closeFirst: false, maxHeld: 4,
  };
  const reasons = new Map<string, number>();
  for (let seed = 1; seed <= 100; seed++) {
    const r = run({ ...base, seed, closeFirst: seed % 2 === 0, zeroMs: seed % 3 === 0 ? 800 : 0 });
    checkSafe(r);
    assert.equal(r.reason, 'fin', `seed ${seed}`);
  }
  for (let seed = 1; seed <= 30; seed++) {
    const r = run({ ...base, seed, loss: 0.7 });
    checkSafe(r);
    reasons.set(r.reason!, (reasons.get(r.reason!) ?? 0) + 1);
  }
  assert.ok((reasons.get('retries') ?? 0) + (reasons.get('timeout') ?? 0) > 0, JSON.stringify([...reasons]));
});
