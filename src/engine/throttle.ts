/**
 * Rate limiting at batch granularity (DESIGN.md §3: "Rate limiting is per worker, at batch
 * granularity"). A token bucket in floating point:
 *
 *  - tokens accrue at `rate` per second of the injected monotonic clock;
 *  - `next(wanted)` hands out floor(tokens) probes, at most `wanted`, and spends them;
 *  - the bucket holds at most `burst` tokens = max(1, rate * BURST_SECONDS), so a sender that
 *    stalled (kernel queue full, GC) catches up at most BURST_SECONDS of probes at once, and a
 *    slow rate gives small, evenly spaced batches rather than bursts.
 *
 * Guarantees (tested): over any span T much longer than BURST_SECONDS in which the caller asks
 * often enough, the number of probes granted is rate*T (+1 for the first token) within
 * floating-point error; at 0.1 pps one probe is granted every 10 s; at 10 M pps batches of
 * 1024 are granted as fast as the caller returns.
 *
 * Each transmit worker owns one Throttle with rate / workers (`perWorkerRate`).
 * The clock is injected (seconds, monotonic): pass `() => performance.now() / 1000` in
 * production and a fake clock in tests.
 */
import { ScanError } from '../error.js';

/** How many seconds of probes may be sent at once after a stall. */
export const BURST_SECONDS = 0.05;
/** Upper bound on waitHint(), so a sleeping worker re-checks stop flags this often (masscan: 0.1 s). */
export const MAX_WAIT_MS = 100;

export class Throttle {
  // Initialised at the declaration: numeric fields from the start (no boxing per store).
  private rate = 1;
  private burst = 1;
  private tokens = 0;
  private last = 0;
  private readonly now: () => number;
  /** The `wanted` of the last next() call, for waitHint(). */
  private lastWanted = 1;
  /** Total probes granted since construction. */
  granted = 0;

  /**
   * rate: probes per second for THIS throttle, > 0 (Infinity = unlimited).
   * now: monotonic clock in seconds.
   */
  constructor(rate: number, now: () => number) {
    this.now = now;
    this.setRate(rate);
    // One token at start: the first probe goes at once, the next after 1/rate.
    this.tokens = 1;
    this.last = now();
  }

  /** Change the rate; tokens already earned are kept (capped to the new burst). */
  setRate(rate: number): void {
    if (!(rate > 0) || Number.isNaN(rate)) {
      throw new ScanError('ERR_BAD_RATE', `rate=${rate}: expected a rate above 0 packets/second`);
    }
    this.rate = rate;
    this.burst = rate === Infinity ? Infinity : Math.max(1, rate * BURST_SECONDS);
    if (this.tokens > this.burst) this.tokens = this.burst;
  }

  getRate(): number {
    return this.rate;
  }

  /**
   * How many probes may be sent now, 0 <= n <= wanted (wanted >= 1). The caller must send
   * (or count as sent) exactly n; to give some back (the kernel took fewer), call refund().
   */
  next(wanted: number): number {
    this.lastWanted = wanted;
    if (this.rate === Infinity) {
      this.granted += wanted;
      return wanted;
    }
    const t = this.now();
    const dt = t - this.last;
    // A clock that stands still or steps back earns nothing (never negative tokens).
    if (dt > 0) {
      this.last = t;
      let tk = this.tokens + dt * this.rate;
      if (tk > this.burst) tk = this.burst;
      this.tokens = tk;
    }
    // The epsilon absorbs clock-subtraction rounding (1000.05 - 1000 = 0.04999...), so a
    // whole token earned is never held back; the tiny debt it may leave is repaid later.
    let n = Math.floor(this.tokens + 1e-6);
    if (n > wanted) n = wanted;
    if (n <= 0) return 0;
    this.tokens -= n;
    this.granted += n;
    return n;
  }

  /** Give back probes granted but not sent (n >= 0), so the rate stays exact. */
  refund(n: number): void {
    this.tokens += n;
    this.granted -= n;
  }

  /**
   * Milliseconds until the last `wanted` (capped to the burst) is available, at most
   * MAX_WAIT_MS; 0 when it is available now. Fractional values are meaningful at high rates
   * (Atomics.wait takes fractional ms).
   */
  waitHint(): number {
    if (this.rate === Infinity) return 0;
    let target = this.lastWanted < this.burst ? this.lastWanted : this.burst;
    if (target < 1) target = 1;
    // Tokens the caller will have earned by now (next() has not been called since).
    let tk = this.tokens + (this.now() - this.last) * this.rate;
    if (tk > this.burst) tk = this.burst;
    if (tk >= target) return 0;
    const ms = ((target - tk) / this.rate) * 1000;
    return ms < MAX_WAIT_MS ? ms : MAX_WAIT_MS;
  }
}

/** The share of `rate` for one of `workers` transmit workers (masscan splits per adapter). */
export function perWorkerRate(rate: number, workers: number): number {
  return rate / (workers > 0 ? workers : 1);
}
