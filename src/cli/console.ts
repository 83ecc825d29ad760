/**
 * What a scan prints on stderr (reference masscan-compat.md §8): the start lines, the status
 * line (strings from status.ts), the interrupt messages. Discovered-port lines on stdout are
 * the interactive output format's (src/output/interactive.ts), not ours.
 *
 * Text is built by pure functions (tested); `Console` only writes it, so a test can capture
 * everything by passing its own writer. The engine prints nothing: run-scan.ts turns its
 * events (engine/sink.ts) into these lines.
 */
import type { ScanKind } from '../engine/sink.js';
import { TIDESCAN_URL, TIDESCAN_VERSION } from '../engine/version.js';
import {
  STATUS_CLEAR, ndjsonInfinite, ndjsonRunning, ndjsonWaiting, statusInfinite, statusRunning, statusWaiting,
} from '../engine/status.js';

/** `2026-11-21 21:17:29 GMT` (masscan's "%Y-%m-%d %H:%M:%S GMT" of the start time). */
export function formatGmt(unixMs: number): string {
  const d = new Date(unixMs);
  const p = (n: number): string => (n < 10 ? '0' + n : String(n));
  return `${d.getUTCFullYear()}-${p(d.getUTCMonth() + 1)}-${p(d.getUTCDate())} ` +
    `${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())} GMT`;
}


/**
 * The start lines, each ending in "\n":
 *   Starting tidescan 0.1.0 (https://...) at 2026-11-21 21:17:29 GMT
 *   Initiating SYN Stealth Scan            (ICMP Echo Scan for ping-only, ARP Scan for --arp)
 *   Scanning N hosts [M ports/host]        (`port/host` when M = 1; no bracket for ping-only)
 */
export function startLines(unixMs: number, kind: ScanKind, hosts: number | bigint, portsPerHost: number): string {
  let s = `Starting tidescan ${TIDESCAN_VERSION} (${TIDESCAN_URL}) at ${formatGmt(unixMs)}\n`;
  if (kind === 'icmp') {
    s += 'Initiating ICMP Echo Scan\n';
    s += `Scanning ${hosts} hosts\n`;
  } else if (kind === 'arp') {
    s += 'Initiating ARP Scan\n';
    s += `Scanning ${hosts} hosts\n`;
  } else {
    s += 'Initiating SYN Stealth Scan\n';
    s += `Scanning ${hosts} hosts [${portsPerHost} ${portsPerHost === 1 ? 'port' : 'ports'}/host]\n`;
  }
  return s;
}

/** The first Ctrl-C (masscan's text, 44 spaces wide). */
export const MSG_WAITING_TO_EXIT = 'waiting several seconds to exit...' + ' '.repeat(44) + '\n';
export const MSG_SAVING_RESUME = ' '.repeat(70) + '\rsaving resume file to: paused.conf\n';
export const MSG_FORCED_EXIT = '[-] Passed the wait window but still running, forcing exit...\n';

/** Where stderr text goes; tests capture it. */
export type TextWriter = (text: string) => void;

/** The numbers one status tick prints. */
export interface StatusSample {
  /** Measured packets per second. */
  readonly pps: number;
  /** 0..100. */
  readonly percent: number;
  readonly etaSeconds: number;
  /** Loop indices done and total (ndjson's syn.sent / syn.total). */
  readonly sent: number;
  readonly total: number;
  readonly found: number;
  /** Seconds left of --wait when waiting; undefined while sending. */
  readonly waitLeft: number | undefined;
  /**
   * --infinite: masscan's other status line. synps = probes/s, ackps = valid replies/s; no banner
   * connections here, so tcbps and tcbs are 0.
   */
  readonly infinite?: { readonly synps: number; readonly ackps: number } | undefined;
}

/** The text of one status tick: masscan's `\r` line, or one --ndjson-status line. */
export function statusText(s: StatusSample, ndjson: boolean): string {
  if (s.infinite !== undefined && s.waitLeft === undefined) {
    return ndjson
      ? ndjsonInfinite(s.pps, s.infinite.synps, s.infinite.ackps, 0, 0, s.sent)
      : statusInfinite(s.pps / 1000, s.infinite.synps, s.infinite.ackps, 0, 0);
  }
  if (ndjson) {
    return s.waitLeft === undefined
      ? ndjsonRunning(s.pps, s.percent, s.etaSeconds, s.sent, s.total, s.found)
      : ndjsonWaiting(s.pps, s.percent, s.waitLeft, s.sent, s.total, s.found);
  }
  return s.waitLeft === undefined
    ? statusRunning(s.pps / 1000, s.percent, s.etaSeconds, s.found)
    : statusWaiting(s.pps / 1000, s.percent, s.waitLeft, s.found);
}

export class Console {
  private statusShown = false;
  constructor(private readonly err: TextWriter, private readonly ndjson: boolean, private readonly enabled: boolean) {}

  /** A line that is not the status line (start lines, messages). */
  line(text: string): void {
    this.err(text);
  }

  status(s: StatusSample): void {
    if (!this.enabled) return;
    this.err(statusText(s, this.ndjson));
    this.statusShown = !this.ndjson;
  }

  /** Clears the `\r` status line at the end (77 spaces + `\r`), once, if one was shown. */
  clearStatus(): void {
    if (this.statusShown) this.err(STATUS_CLEAR);
    this.statusShown = false;
  }
}
