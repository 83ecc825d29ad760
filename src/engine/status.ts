/**
 * The status line (reference masscan-compat.md §8): pure formatting of numbers the caller
 * measured, plus the moving averages behind "kpps" and the ETA. Time is passed in.
 *
 * Text forms return exactly what is written to stderr, trailing "\r" included; NDJSON forms
 * return one line with its "\n".
 *
 * NOTE (divergence): masscan prints the NDJSON numbers with printf "%.2f" ("kpps":0.00); we
 * serialise with JSON.stringify (DESIGN.md §4.8) after rounding to 2 decimals, so the same
 * value prints as 0 or 18.8. Parsers see the same numbers.
 */

/**
 * C printf "%.<digits>f" of a finite number: like toFixed, but an exact tie rounds to even
 * as glibc does (0.125 -> "0.12", 2.5 -> "2"), not away from zero. Negative zero prints "-0.00"
 * in C; we never format negatives here (values are clamped by the callers).
 */
export function cFixed(x: number, digits: number): string {
  if (!Number.isFinite(x)) return x > 0 ? 'inf' : x < 0 ? '-inf' : 'nan';
  const s = x.toFixed(digits);
  // toFixed is exact (it rounds the binary value, half away from zero); a tie is only
  // possible when the exact expansion ends in 5 right after the last digit kept.
  const longer = x.toFixed(Math.min(100, digits + 30));
  const cut = longer.length - 30;
  if (longer[cut] !== '5' || !/^5?0*$/.test(longer.slice(cut))) return s;
  // Tie: toFixed rounded away from zero; round to even instead if that made the last digit odd.
  const lastKept = longer[cut - 1] === '.' ? longer[cut - 2]! : longer[cut - 1]!;
  if ((lastKept.charCodeAt(0) - 48) % 2 === 0) {
    // The truncated value is already even: keep it (drop the trailing 5).
    return digits === 0 ? longer.slice(0, cut - 1) : longer.slice(0, cut);
  }
  return s;
}

/** printf "%<width>s"-style right alignment. */
function padLeft(s: string, width: number): string {
  return s.length >= width ? s : ' '.repeat(width - s.length) + s;
}

function two(n: number): string {
  return n < 10 ? '0' + n : String(n);
}

/** Hours, minutes, seconds of a non-negative duration (truncated to whole seconds). */
export function splitHms(seconds: number): { hours: number; mins: number; seconds: number } {
  const t = seconds > 0 && Number.isFinite(seconds) ? Math.floor(seconds) : 0;
  return { hours: Math.floor(t / 3600), mins: Math.floor(t / 60) % 60, seconds: t % 60 };
}

const TAIL = '       '; // 7 spaces, as masscan pads the line

/**
 * `rate:%6.2f-kpps, %5.2f%% done,%4u:%02u:%02u remaining, found=%llu       \r`
 * e.g. "rate:  0.05-kpps,  0.01% done,  18:39:11 remaining, found=0       \r".
 */
export function statusRunning(kpps: number, percent: number, etaSeconds: number, found: number): string {
  const { hours, mins, seconds } = splitHms(etaSeconds);
  return `rate:${padLeft(cFixed(clamp0(kpps), 2), 6)}-kpps, ${padLeft(cFixed(clamp0(percent), 2), 5)}% done,` +
    `${padLeft(String(hours), 4)}:${two(mins)}:${two(seconds)} remaining, found=${found}${TAIL}\r`;
}

/**
 * `rate:%6.2f-kpps, %5.2f%% done, waiting %d-secs, found=%llu       \r`
 * e.g. "rate:  0.00-kpps, 100.00% done, waiting 1-secs, found=0       \r". waitSeconds is the
 * countdown (masscan shows negative numbers when a scan overruns its wait).
 */
export function statusWaiting(kpps: number, percent: number, waitSeconds: number, found: number): string {
  return `rate:${padLeft(cFixed(clamp0(kpps), 2), 6)}-kpps, ${padLeft(cFixed(clamp0(percent), 2), 5)}% done, ` +
    `waiting ${Math.trunc(waitSeconds)}-secs, found=${found}${TAIL}\r`;
}

/** `rate:%6.2f-kpps, syn/s=%.0f ack/s=%.0f tcb-rate=%.0f, %llu-tcbs,         \r` (--infinite). */
export function statusInfinite(kpps: number, synps: number, ackps: number, tcbps: number, tcbs: number): string {
  return `rate:${padLeft(cFixed(clamp0(kpps), 2), 6)}-kpps, syn/s=${cFixed(clamp0(synps), 0)} ack/s=${cFixed(clamp0(ackps), 0)} ` +
    `tcb-rate=${cFixed(clamp0(tcbps), 0)}, ${tcbs}-tcbs,         \r`;
}

/** What clears the status line at the end: 77 spaces and "\r". */
export const STATUS_CLEAR = ' '.repeat(77) + '\r';

function clamp0(x: number): number {
  return x > 0 ? x : 0;
}

function r2(x: number): number {
  return Math.round(clamp0(x) * 100) / 100;
}

/**
 * --ndjson-status while sending:
 * {"state":"running","rate":{"kpps":..,"pps":..},"progress":{"percent":..,"eta":{"hours":..,
 * "mins":..,"seconds":..},"syn":{"sent":..,"total":..,"remaining":..},"found":..}}
 * `sent` is the loop index (masscan's meaning), not a packet count.
 */
export function ndjsonRunning(pps: number, percent: number, etaSeconds: number, sent: number, total: number, found: number): string {
  const eta = splitHms(etaSeconds);
  return JSON.stringify({
    state: 'running',
    rate: { kpps: r2(pps / 1000), pps: r2(pps) },
    progress: {
      percent: r2(percent),
      eta: { hours: eta.hours, mins: eta.mins, seconds: eta.seconds },
      syn: { sent, total, remaining: Math.max(0, total - sent) },
      found,
    },
  }) + '\n';
}

/**
 * --ndjson-status while waiting:
 * {"state":"waiting","rate":{..},"progress":{"percent":..,"seconds":..,"found":..,"syn":{..}}}
 */
export function ndjsonWaiting(pps: number, percent: number, waitSeconds: number, sent: number, total: number, found: number): string {
  return JSON.stringify({
    state: 'waiting',
    rate: { kpps: r2(pps / 1000), pps: r2(pps) },
    progress: {
      percent: r2(percent),
      seconds: Math.trunc(waitSeconds),
      found,
      syn: { sent, total, remaining: Math.max(0, total - sent) },
    },
  }) + '\n';
}

/** --ndjson-status with --infinite: {"state":"*","rate":{"kpps","pps","synps","ackps","tcbps"},"tcb":N,"syn":N}. */
export function ndjsonInfinite(pps: number, synps: number, ackps: number, tcbps: number, tcbs: number, syn: number): string {
  return JSON.stringify({
    state: '*',
    rate: { kpps: r2(pps / 1000), pps: r2(pps), synps: r2(synps), ackps: r2(ackps), tcbps: r2(tcbps) },
    tcb: tcbs,
    syn,
  }) + '\n';
}

/**
 * A moving average of a counter's rate over the last SAMPLES samples (masscan: 8 for the
 * ETA): feed (time, counter) each status tick; rate() = (newest - oldest) / elapsed.
 * Used twice: packets sent -> kpps, index progress -> ETA.
 */
export class MovingRate {
  static readonly SAMPLES = 8;
  private readonly t = new Float64Array(MovingRate.SAMPLES);
  private readonly v = new Float64Array(MovingRate.SAMPLES);
  private n = 0; // samples taken (saturates at SAMPLES for indexing purposes via modulo)
  private next = 0;

  /** Record counter value `value` at time `now` (seconds, monotonic). */
  sample(now: number, value: number): void {
    this.t[this.next] = now;
    this.v[this.next] = value;
    this.next = (this.next + 1) % MovingRate.SAMPLES;
    if (this.n < MovingRate.SAMPLES) this.n++;
  }

  /** Units per second over the window; 0 until two samples at different times exist. */
  rate(): number {
    if (this.n < 2) return 0;
    const newest = (this.next + MovingRate.SAMPLES - 1) % MovingRate.SAMPLES;
    const oldest = this.n < MovingRate.SAMPLES ? 0 : this.next;
    const dt = this.t[newest] - this.t[oldest];
    if (!(dt > 0)) return 0;
    const r = (this.v[newest] - this.v[oldest]) / dt;
    return r > 0 ? r : 0;
  }

  /** Seconds until `total` at the current rate; `fallbackRate` (> 0) when none is measured. */
  eta(current: number, total: number, fallbackRate: number): number {
    const left = total - current;
    if (!(left > 0)) return 0;
    const r = this.rate() > 0 ? this.rate() : fallbackRate;
    return r > 0 ? left / r : 0;
  }

  reset(): void {
    this.n = 0;
    this.next = 0;
  }
}

/** "% done": masscan's min-over-workers index / (range * probes per target), as a percent. */
export function percentDone(minIndex: number, total: number): number {
  if (!(total > 0)) return 100;
  const p = (minIndex / total) * 100;
  return p < 0 ? 0 : p > 100 ? 100 : p;
}
