/**
 * Out-of-order data of the TCP stack (tcp.ts): segments inside the window that arrive ahead
 * of RCV.NXT are copied into pool chunks, one chunk each, on a per-connection list sorted by
 * sequence number, and delivered when the gap fills. At most `maxHeld` per connection (the
 * part of a segment beyond one chunk is dropped); when the connection is full, the furthest
 * held segment makes way for a nearer one; when no more than `reserveChunks` chunks are free,
 * the segment is dropped (the peer retransmits it; send queues and new connections keep
 * priority over a peer's reordering).
 */
import type { StackCounters, StackHost } from './api.js';
import type { ChunkPool } from './pool.js';
import { State, type ConnTable } from './table.js';
import { copy, seqGt } from './seq.js';

export class ReorderQueue {
  constructor(
    private readonly table: ConnTable,
    private readonly pool: ChunkPool,
    private readonly counters: StackCounters,
    private readonly host: StackHost,
    readonly maxHeld: number,
    private readonly reserveChunks: number,
  ) {}

  /** Copy an out-of-order segment into a chunk on c's sorted list (or drop it: see header). */
  hold(c: number, seq: number, buf: Uint8Array, off: number, len: number, fin: boolean): void {
    const t = this.table;
    const p = this.pool;
    if (this.maxHeld === 0) return;
    let n = len;
    if (n > p.size) {
      n = p.size;
      fin = false;
    }
    // Find the place in the sorted list (and whether this is held already).
    let prev = -1;
    let x = t.oooHead[c];
    while (x >= 0 && !seqGt(p.seq[x], seq)) {
      if (p.seq[x] === seq && p.len[x] >= n && (p.fin[x] === 1 || !fin)) {
        this.counters.duplicates++;
        return;
      }
      prev = x;
      x = p.next[x];
    }
    if (t.held[c] >= this.maxHeld) {
      // Full: the segment nearest RCV.NXT is the most useful one to keep (it fills the gap
      // first), so a new one that goes before the furthest held one replaces it.
      if (x < 0) return; // it would be the furthest itself
      let lp = prev;
      let last = x;
      while (p.next[last] >= 0) {
        lp = last;
        last = p.next[last];
      }
      if (lp < 0) t.oooHead[c] = -1;
      else p.next[lp] = -1;
      if (last === x) x = -1;
      p.release(last);
      t.held[c]--;
    } else if (p.available <= this.reserveChunks) return;
    const k = p.alloc();
    if (k < 0) return;
    copy(buf, off, p.bytes, k * p.size, n);
    p.seq[k] = seq;
    p.len[k] = n;
    p.fin[k] = fin ? 1 : 0;
    p.next[k] = x;
    if (prev < 0) t.oooHead[c] = k;
    else p.next[prev] = k;
    t.held[c]++;
  }

  /**
   * Deliver held segments that RCV.NXT has reached. Returns true when a held FIN became the
   * next thing in order (the caller processes it); the caller re-checks that c still exists.
   */
  drain(c: number, now: number): boolean {
    const t = this.table;
    const p = this.pool;
    let x: number;
    while ((x = t.oooHead[c]) >= 0) {
      const s = p.seq[x];
      const rcvNxt = t.rcvNxt[c];
      if (seqGt(s, rcvNxt)) return false;
      t.oooHead[c] = p.next[x];
      t.held[c]--;
      const n = p.len[x];
      const skip = (rcvNxt - s) | 0;
      const fin = p.fin[x] === 1 && skip <= n;
      if (skip < n) {
        t.rcvNxt[c] = (s + n) | 0;
        // The chunk is off the list, so an abort() inside the callback cannot free it under us.
        this.host.received(c, p.bytes, x * p.size + skip, n - skip, now);
      } else if (skip > 0 || n > 0) {
        this.counters.duplicates++;
      }
      p.release(x);
      if (t.state[c] === State.FREE) return false;
      if (fin) return true;
    }
    return false;
  }

  free(c: number): void {
    const t = this.table;
    if (t.oooHead[c] >= 0) this.pool.releaseChain(t.oooHead[c]);
    t.oooHead[c] = -1;
    t.held[c] = 0;
  }
}
