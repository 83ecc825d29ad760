/**
 * -sL: print the targets in scan order without sending anything (reference §5.5), byte for
 * byte as masscan 1.3.2 prints them (test/cli/compat-list.test.ts runs both).
 *
 * Index space: range = (N4 + N6) x P (P = 1 pseudo-port when no ports are given). Index i
 * goes from resume-index + (shard - 1) in steps of the shard count, stopping at range or after
 * resume-count indexes; each i prints target(shuffle(i)) (no `+rate` offset, unlike a scan).
 * Values below N4 x P are IPv4 (IP fast-varying: ip = x mod N4, port = x div N4), the rest
 * IPv6 (the opposite of the transmit loop's family order; identical for one family).
 * Lines: `ip` when there is at most one port, else `ip:port` / `[ipv6]:port` with the
 * internal port value (UDP 53 prints as 65589). --retries has no effect here (masscan's -sL
 * with retries can hang: we list each target once).
 *
 * Output is built in a large buffer and written with few write(2) calls; a closed pipe
 * (EPIPE, e.g. `| head`) ends the listing quietly.
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { ScanConfig } from '../core/config.js';
import { RangeList4, RangeList6 } from '../target/range-list.js';
import { PortList } from '../target/ports.js';
import { Blackrock } from '../target/blackrock.js';
import { formatIPv6Words } from '../target/ipv6.js';
import { count4, count6, countPorts } from '../core/range.js';
import { writeAll } from './fd-writer.js';

/** Octet -> [length, digits...] in 4-byte slots. */
const OCTETS = (() => {
  const t = new Uint8Array(256 * 4);
  for (let o = 0; o < 256; o++) {
    const s = String(o);
    t[o * 4] = s.length;
    for (let k = 0; k < s.length; k++) t[o * 4 + 1 + k] = s.charCodeAt(k);
  }
  return t;
})();

/** Room a single line may need (IPv6 in brackets + `:` + 6 digits + newline). */
export const MAX_LINE = 64;

export interface ListPlan {
  /** IPv4 and IPv6 target counts, and port count (1 pseudo-port when no ports are given). */
  readonly n4: number;
  readonly n6: number;
  readonly ports: number;
  readonly range: number;
  readonly start: number;
  readonly end: number;
  readonly step: number;
}

/** masscan 1.3.2's -sL loop bounds: shard offset and resume index, then resume count. */
export function listPlan(c: ScanConfig): ListPlan {
  const n4 = count4(c.targets4);
  const n6 = Number(count6(c.targets6));
  const ports = Math.max(1, countPorts(c.ports));
  const range = (n4 + n6) * ports;
  const start = c.resumeIndex + (c.shard.one - 1);
  let end = range;
  if (c.resumeCount !== 0 && end > start + c.resumeCount) end = start + c.resumeCount;
  return { n4, n6, ports, range, start, end, step: c.shard.of };
}

/** Renders list lines for a span of indexes into a byte buffer. */
export class ListRenderer {
  private readonly br: Blackrock;
  private readonly v4: RangeList4;
  private readonly v6: RangeList6;
  private readonly n4: number;
  private readonly n6: number;
  private readonly block4: number;
  /**
   * Per port index: the line tail (`:port\n`, or `\n` when printing IPs only) in a fixed
   * 8-byte slot (`:` + at most 6 digits + newline), and its length.
   */
  private readonly tail8: Uint8Array;
  private readonly tailLen: Uint8Array;
  private readonly words = new Uint32Array(4);
  /** Exclusive end of the indexes render() covers (plan.end unless a chunk sets it). */
  private end: number;

  constructor(c: ScanConfig, readonly plan: ListPlan = listPlan(c)) {
    this.end = plan.end;
    this.br = new Blackrock(plan.range, c.seed, c.blackrockRounds);
    this.v4 = RangeList4.fromRanges(c.targets4);
    this.v6 = RangeList6.fromRanges(c.targets6);
    this.n4 = plan.n4;
    this.n6 = plan.n6;
    const np = plan.ports;
    this.block4 = this.n4 * np;
    const ipOnly = np === 1;
    const ports = new PortList(c.ports);
    this.tail8 = new Uint8Array(np * 8);
    this.tailLen = new Uint8Array(np);
    for (let k = 0; k < np; k++) {
      const p = ipOnly ? '\n' : `:${ports.pick(k)}\n`;
      this.tailLen[k] = p.length;
      for (let j = 0; j < p.length; j++) this.tail8[k * 8 + j] = p.charCodeAt(j);
    }
  }

  /** Makes render() stop before `end` (a worker's chunk), never past plan.end. */
  setEnd(end: number): void {
    this.end = Math.min(end, this.plan.end);
  }

  /**
   * Writes lines for indexes i = from, from + step, ... < the end (plan.end unless setEnd
   * moved it) into out, stopping early when out is nearly full. Returns the next index to
   * render; `filled[0]` gets the length.
   */
  render(from: number, out: Uint8Array, filled: Int32Array): number {
    const end = this.end;
    const step = this.plan.step;
    const br = this.br;
    const v4 = this.v4;
    const n4 = this.n4;
    const block4 = this.block4;
    const tail8 = this.tail8;
    const tailLen = this.tailLen;
    const oct = OCTETS;
    const limit = out.length - MAX_LINE;
    let pos = 0;
    let i = from;
    for (; i < end && pos < limit; i += step) {
      let x = br.shuffle(i);
      if (x < block4) {
        const pk = Math.floor(x / n4);
        const ip = v4.pick(x - pk * n4);
        // Each octet writes three digit bytes unconditionally and advances by its length:
        // the extra bytes are overwritten by what follows (MAX_LINE leaves room at the end).
        let o = (ip >>> 22) & 0x3fc;
        out[pos] = oct[o + 1]!; out[pos + 1] = oct[o + 2]!; out[pos + 2] = oct[o + 3]!;
        pos += oct[o]!; out[pos++] = 0x2e;
        o = (ip >>> 14) & 0x3fc;
        out[pos] = oct[o + 1]!; out[pos + 1] = oct[o + 2]!; out[pos + 2] = oct[o + 3]!;
        pos += oct[o]!; out[pos++] = 0x2e;
        o = (ip >>> 6) & 0x3fc;
        out[pos] = oct[o + 1]!; out[pos + 1] = oct[o + 2]!; out[pos + 2] = oct[o + 3]!;
        pos += oct[o]!; out[pos++] = 0x2e;
        o = (ip << 2) & 0x3fc;
        out[pos] = oct[o + 1]!; out[pos + 1] = oct[o + 2]!; out[pos + 2] = oct[o + 3]!;
        pos += oct[o]!;
        const t = pk << 3;
        out[pos] = tail8[t]!; out[pos + 1] = tail8[t + 1]!; out[pos + 2] = tail8[t + 2]!; out[pos + 3] = tail8[t + 3]!;
        out[pos + 4] = tail8[t + 4]!; out[pos + 5] = tail8[t + 5]!; out[pos + 6] = tail8[t + 6]!; out[pos + 7] = tail8[t + 7]!;
        pos += tailLen[pk]!;
      } else {
        x -= block4;
        const n6 = this.n6;
        const pk = Math.floor(x / n6);
        this.v6.pickWords(x - pk * n6, this.words);
        const text = formatIPv6Words(this.words);
        const t = pk << 3;
        const len = tailLen[pk]!;
        const bracket = len > 1;
        if (bracket) out[pos++] = 0x5b;
        for (let k = 0; k < text.length; k++) out[pos++] = text.charCodeAt(k);
        if (bracket) out[pos++] = 0x5d;
        for (let k = 0; k < len; k++) out[pos++] = tail8[t + k]!;
      }
    }
    filled[0] = pos;
    return i;
  }
}

/** Runs -sL on this thread, writing to `fd`. Returns the exit code. */
export function runListSerial(c: ScanConfig, fd = 1): number {
  const r = new ListRenderer(c);
  const buf = new Uint8Array(4 << 20);
  const filled = new Int32Array(1);
  let i = r.plan.start;
  while (i < r.plan.end) {
    i = r.render(i, buf, filled);
    if (filled[0]! > 0 && !writeAll(fd, buf, filled[0]!)) return 0;
  }
  return 0;
}

/** Indexes per chunk a worker renders in one piece. */
export const LIST_CHUNK = 1 << 16;
/** Chunks a worker may have rendered ahead of the writer (bounds memory on a slow reader). */
const CREDITS = 4;
/** Below this many lines, starting workers costs more than it saves. */
const PARALLEL_MIN_LINES = 1 << 20;

export interface ListWorkerData {
  readonly config: ScanConfig;
  readonly worker: number;
  readonly workers: number;
  readonly credits: Int32Array;
}

export interface ListChunkMessage {
  readonly chunk: number;
  readonly bytes: Uint8Array;
}

/** The indexes of chunk `k`: [from, to) in steps of plan.step. */
export function chunkSpan(plan: ListPlan, k: number): { from: number; to: number } {
  const width = LIST_CHUNK * plan.step;
  const from = plan.start + k * width;
  return { from, to: Math.min(plan.end, from + width) };
}

export function chunkCount(plan: ListPlan): number {
  if (plan.end <= plan.start) return 0;
  return Math.ceil((plan.end - plan.start) / (LIST_CHUNK * plan.step));
}

/**
 * Runs -sL. Large listings are rendered by worker threads (the permutation is the cost:
 * one worker per core), chunk by chunk, and written here in order, so the output is the
 * same as the serial one. Returns the exit code.
 */
export async function runList(c: ScanConfig, fd = 1): Promise<number> {
  const plan = listPlan(c);
  const lines = plan.end > plan.start ? Math.ceil((plan.end - plan.start) / plan.step) : 0;
  const cores = availableParallelism();
  if (lines < PARALLEL_MIN_LINES || cores < 2) return runListSerial(c, fd);
  const workers = Math.min(cores, 8);
  const chunks = chunkCount(plan);
  const credits = new Int32Array(new SharedArrayBuffer(4 * workers));
  credits.fill(CREDITS);
  const pool: Worker[] = [];
  const pending = new Map<number, Uint8Array>();
  let nextChunk = 0;
  return await new Promise<number>((resolve, reject) => {
    let done = false;
    const finish = (code: number, err?: unknown): void => {
      if (done) return;
      done = true;
      for (const w of pool) void w.terminate();
      if (err !== undefined) reject(err);
      else resolve(code);
    };
    const drain = (): void => {
      for (;;) {
        const bytes = pending.get(nextChunk);
        if (bytes === undefined) break;
        pending.delete(nextChunk);
        const w = nextChunk % workers;
        nextChunk++;
        try {
          if (!writeAll(fd, bytes, bytes.length)) { finish(0); return; }
        } catch (e) {
          finish(1, e);
          return;
        }
        Atomics.add(credits, w, 1);
        Atomics.notify(credits, w);
      }
      if (nextChunk >= chunks) finish(0);
    };
    for (let w = 0; w < workers; w++) {
      const data: ListWorkerData = { config: c, worker: w, workers, credits };
      const worker = new Worker(new URL('./list-worker.js', import.meta.url), { workerData: data });
      worker.on('message', (m: ListChunkMessage) => {
        pending.set(m.chunk, m.bytes);
        drain();
      });
      worker.on('error', (e) => finish(1, e));
      pool.push(worker);
    }
  });
}
