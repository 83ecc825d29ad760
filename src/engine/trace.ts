/**
 * --packet-trace output (masscan's SENT/RCVD lines, wire/pretty.ts formatTraceLine), limited
 * to TRACE_LINES_PER_SECOND lines a second per thread. Why a limit: the lines go to stdout,
 * and a thread that writes a line per packet at scan rates would be throttled by the terminal
 * (or fill memory: a worker's stdout is forwarded through the main thread). masscan 1.3.2 in
 * the lab printed every packet (12,860 lines for an 8,192-address scan at 100 kpps, no
 * slowdown); we print at most the limit and count the rest, which the thread reports on
 * stderr when it ends. Time is passed in (seconds since the thread started tracing).
 */
import { formatTraceLine } from '../wire/pretty.js';

export const TRACE_LINES_PER_SECOND = 1000;

export class PacketTracer {
  /** Lines not printed because of the limit. */
  skipped = 0;
  private tokens = TRACE_LINES_PER_SECOND;
  private last = 0;

  constructor(private readonly write: (line: string) => void, private readonly limit = TRACE_LINES_PER_SECOND) {
    this.tokens = limit;
  }

  /** Trace one frame at `secs` (monotonic, seconds since the scan started). */
  frame(dir: 'SENT' | 'RCVD', secs: number, buf: Uint8Array, off: number, len: number): void {
    this.tokens = Math.min(this.limit, this.tokens + (secs - this.last) * this.limit);
    this.last = secs;
    if (this.tokens < 1) {
      this.skipped++;
      return;
    }
    this.tokens -= 1;
    const line = formatTraceLine(dir, secs, buf, off, len);
    if (line !== '') this.write(`${line}\n`);
  }

  /** The stderr note when lines were skipped, or ''. */
  summary(): string {
    return this.skipped === 0 ? '' : `[+] --packet-trace: ${this.skipped} packets not traced (at most ${this.limit} lines a second per thread)\n`;
  }
}
