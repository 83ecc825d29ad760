import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { NEVER, TimerWheel } from '../../src/stack/timer-wheel.js';

/** Fire everything due up to `now` (as TcpStack.poll does); not-yet-due entries go back. */
function fireUpTo(w: TimerWheel, now: number, want?: Map<number, number>): number[] {
  const fired: number[] = [];
  const target = Math.floor(now / w.tickMs);
  let t = w.tick;
  if (target - t >= w.slots) t = target - w.slots + 1;
  for (; t <= target; t++) {
    w.take(t);
    const back: number[] = [];
    let c: number;
    while ((c = w.pop()) >= 0) {
      // A deadline a turn (or more) away sits in the same slot: it goes back (the stack does this).
      if (want !== undefined && want.get(c)! > now) back.push(c);
      else fired.push(c);
    }
    for (const x of back) w.set(x, want!.get(x)!);
  }
  return fired;
}

test('wheel: set, ensure only moves earlier, unlink', () => {
  const w = new TimerWheel(4, 8, 10);
  w.set(0, 55);
  assert.equal(w.at[0], 55);
  w.ensure(0, 80); // later: lazy, stays
  assert.equal(w.at[0], 55);
  w.ensure(0, 25);
  assert.equal(w.at[0], 25);
  w.set(1, 25);
  w.set(2, 25);
  w.unlink(1);
  assert.equal(w.linked(1), false);
  assert.equal(w.at[1], NEVER);
  assert.deepEqual(fireUpTo(w, 19), []);
  assert.deepEqual(fireUpTo(w, 29).sort(), [0, 2]);
  w.set(3, NEVER);
  assert.equal(w.linked(3), false);
});

test('wheel: an entry set in an already fired tick goes to the next tick', () => {
  const w = new TimerWheel(2, 8, 10);
  fireUpTo(w, 100);
  w.set(0, 5);
  assert.deepEqual(fireUpTo(w, 109), []);
  assert.deepEqual(fireUpTo(w, 110), [0]);
});

test('wheel: entries stay linked exactly once, whatever the operations', () => {
  fc.assert(
    fc.property(
      fc.array(fc.tuple(fc.nat({ max: 7 }), fc.nat({ max: 3 }), fc.nat({ max: 500 })), { maxLength: 200, size: 'max' }),
      (ops) => {
        const w = new TimerWheel(8, 4, 5);
        let now = 0;
        const want = new Map<number, number>();
        for (const [c, k, x] of ops) {
          if (k === 0) {
            w.set(c, now + x);
            want.set(c, now + x);
          } else if (k === 1) {
            w.unlink(c);
            want.delete(c);
          } else {
            now += x;
            for (const f of fireUpTo(w, now, want)) {
              assert.ok(want.get(f)! <= now, 'fired before its deadline');
              want.delete(f);
            }
            // Nothing due is left behind: an entry fires at most one tick (5 ms) late (one set
            // into an already fired tick waits for the next).
            for (const [, at] of want) assert.ok(at > now - 5, 'a due entry did not fire');
          }
          for (let i = 0; i < 8; i++) assert.equal(w.linked(i), want.has(i));
        }
      },
    ),
  );
});
