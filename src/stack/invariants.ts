/**
 * The TCP stack's table invariants (tcp.ts checkInvariants): every live slot's send queue,
 * held segments, timer and hash entry agree with its counters, and the pool and the
 * counters add up. O(capacity + chunks); for tests and fuzzing, never on the hot path.
 */
import type { StackCounters } from './api.js';
import type { ChunkPool } from './pool.js';
import { Flag, State, type ConnTable } from './table.js';
import type { TimerWheel } from './timer-wheel.js';

/** The first broken invariant, described, or null. `earliest(c)`: c's earliest deadline. */
export function checkInvariants(t: ConnTable, p: ChunkPool, wheel: TimerWheel, k: StackCounters, maxHeld: number, earliest: (c: number) => number): string | null {
  let live = 0;
  let chunks = 0;
  for (let c = 0; c < t.capacity; c++) {
    const st = t.state[c];
    if (st === State.FREE) continue;
    live++;
    if (st > State.LAST_ACK) return `slot ${c}: bad state ${st}`;
    const inflight = (t.sndNxt[c] - t.sndUna[c]) >>> 0;
    const fin = t.flags[c] & Flag.FIN_SENT ? 1 : 0;
    if (inflight - fin > t.sndBuf[c]) return `slot ${c}: ${inflight} in flight, ${t.sndBuf[c]} queued`;
    let n = 0;
    for (let x = t.sndHead[c]; x >= 0 && n <= p.max; x = p.next[x]) n++;
    const want = t.sndBuf[c] > 0 ? Math.ceil((t.sndOff[c] + t.sndBuf[c]) / p.size) : 0;
    if (n !== want) return `slot ${c}: ${n} send chunks, expected ${want}`;
    chunks += n;
    let h = 0;
    for (let x = t.oooHead[c]; x >= 0 && h <= p.max; x = p.next[x]) h++;
    if (h !== t.held[c]) return `slot ${c}: ${h} held chunks, count says ${t.held[c]}`;
    if (h > maxHeld) return `slot ${c}: ${h} held chunks > ${maxHeld}`;
    chunks += h;
    if (!wheel.linked(c)) return `slot ${c}: no timer`;
    if (wheel.at[c] > earliest(c)) return `slot ${c}: timer later than its earliest deadline`;
    const found = t.flags[c] & Flag.V6 ? -2 : t.find4(t.theirIp[c], t.theirPort[c], t.ourIp[c], t.ourPort[c]);
    if (found !== -2 && found !== c) return `slot ${c}: hash lookup gives ${found}`;
  }
  if (live !== k.active) return `${live} live slots, counters.active ${k.active}`;
  if (chunks !== p.inUse) return `${chunks} chunks held by connections, pool says ${p.inUse}`;
  if (p.countFree() + p.inUse !== p.max) return `pool: ${p.countFree()} free + ${p.inUse} used != ${p.max}`;
  const ended = k.closedFin + k.closedRst + k.timeouts + k.gaveUp + k.aborted;
  if (k.opened !== k.active + ended) return `opened ${k.opened} != active ${k.active} + ended ${ended}`;
  return null;
}
