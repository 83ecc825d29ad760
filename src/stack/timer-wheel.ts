/**
 * A hashed timer wheel with intrusive links (DESIGN.md §3, "Banner stack"): one timer per
 * connection, kept in the slot of its deadline's tick, in Int32Array doubly linked lists.
 * Deadlines further away than one turn stay in their slot and are passed over (re-checked)
 * each turn; the stack re-checks what a connection is due for when it fires, so a deadline
 * that moved later needs no relinking ("lazy"), and only an earlier one relinks.
 *
 * Times are integer milliseconds relative to the stack's epoch (Int32: about 24 days).
 * Nothing here allocates after construction.
 */
export const NEVER = 0x7fffffff;

export class TimerWheel {
  readonly slots: number;
  readonly tickMs: number;
  private readonly mask: number;
  /** Heads of the slot lists; index `slots` is the list being fired (see take/pop). */
  private readonly heads: Int32Array;
  /** Per connection: the deadline it is linked at (NEVER: not linked). */
  readonly at: Int32Array;
  private readonly next: Int32Array;
  /** Previous entry, or -(list + 2) for the head of `list`. */
  private readonly prev: Int32Array;
  /** The next tick to fire: every tick below it has been fired. */
  tick = 0;

  constructor(capacity: number, slots = 8192, tickMs = 8) {
    if (slots < 2 || (slots & (slots - 1)) !== 0) throw new RangeError(`wheel slots ${slots} must be a power of two`);
    this.slots = slots;
    this.tickMs = tickMs;
    this.mask = slots - 1;
    this.heads = new Int32Array(slots + 1).fill(-1);
    this.at = new Int32Array(capacity).fill(NEVER);
    this.next = new Int32Array(capacity).fill(-1);
    this.prev = new Int32Array(capacity).fill(-1);
  }

  linked(c: number): boolean {
    return this.at[c] !== NEVER;
  }

  /** Link `c` at deadline `at` (ms); a deadline in an already fired tick goes in the next tick. */
  set(c: number, at: number): void {
    if (this.at[c] !== NEVER) this.unlink(c);
    if (at === NEVER) return;
    let t = Math.floor(at / this.tickMs);
    if (t < this.tick) t = this.tick;
    this.push(t & this.mask, c);
    this.at[c] = at;
  }

  /** Make sure `c` fires no later than `at`: relinks only when `at` is earlier than its timer. */
  ensure(c: number, at: number): void {
    if (at < this.at[c]) this.set(c, at);
  }

  unlink(c: number): void {
    if (this.at[c] === NEVER) return;
    const p = this.prev[c];
    const n = this.next[c];
    if (p >= 0) this.next[p] = n;
    else this.heads[-p - 2] = n;
    if (n >= 0) this.prev[n] = p;
    this.next[c] = -1;
    this.prev[c] = -1;
    this.at[c] = NEVER;
  }

  /** Move the list of tick `t`'s slot to the firing list and mark ticks up to `t` fired. */
  take(t: number): void {
    const s = t & this.mask;
    const h = this.heads[s];
    this.heads[s] = -1;
    this.heads[this.slots] = h;
    if (h >= 0) this.prev[h] = -(this.slots + 2);
    this.tick = t + 1;
  }

  /**
   * Unlink and return the next entry of the firing list (-1: empty). Entries unlinked by a
   * callback meanwhile are simply gone from it, so callbacks may touch any connection.
   */
  pop(): number {
    const c = this.heads[this.slots];
    if (c >= 0) this.unlink(c);
    return c;
  }

  private push(s: number, c: number): void {
    const h = this.heads[s];
    this.next[c] = h;
    this.prev[c] = -(s + 2);
    if (h >= 0) this.prev[h] = c;
    this.heads[s] = c;
  }
}
