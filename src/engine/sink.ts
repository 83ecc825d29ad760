/**
 * The seam between a scan and whoever runs it (issue 8 item 2): records go to a RecordSink in
 * batches, progress and notices go to one event listener, and stopping is an AbortSignal.
 * The engine writes no file, prints nothing and listens to no process signal itself; the
 * command line wires output files (one sink), the console line (one listener) and
 * SIGINT/SIGTERM (a ScanStopController) onto it (src/cli/run-scan.ts).
 *
 * NOTE: only types and the stop controller live here, so that the record types' future home
 * (src/core) can take them without pulling in the engine.
 */
import type { ScanRecord } from '../core/record.js';

/** Where a scan's records go. Called on the main thread only, never re-entered. */
export interface RecordSink {
  /** One batch, in arrival order. A throw fails the scan (the sink is still closed). */
  write(records: readonly ScanRecord[]): void;
  /** About five times a second while the scan runs: make what was written visible. */
  flush?(): void;
  /**
   * Once, at the end of the scan on every path (errors included), after the last write. A sink
   * whose writes complete asynchronously (a database) returns a promise: the scan awaits it
   * before it resolves, so its records are committed when the scan is over; a rejection fails
   * the scan (unless it already failed: the first error wins).
   */
  close(): void | Promise<void>;
}

/** What a sink factory learns when the scan opens its sink (after the link is resolved). */
export interface ScanStart {
  /** Wall clock of the start, unix milliseconds (the start lines and file headers use it). */
  readonly unixMs: number;
}

/** The kind of scan, as the start lines name it. */
export type ScanKind = 'syn' | 'icmp' | 'arp';

/** One progress sample, about once a second while the scan runs. */
export interface ScanProgress {
  /** Packets (probes and other frames) per second, measured. */
  readonly pps: number;
  /** Probes done of this scan's slice, 0..100. */
  readonly percent: number;
  /** Seconds left of sending at the measured (else the configured) rate. */
  readonly etaSeconds: number;
  /** Probes sent and planned. */
  readonly sent: number;
  readonly total: number;
  /** Valid replies received (answers to our probes). */
  readonly replies: number;
  /** Records found (after de-duplication). */
  readonly found: number;
  /** Frames the kernel dropped before the receiver read them. */
  readonly kernelDrops: number;
  /**
   * Records lost because the record ring (receive worker to the thread that writes the sink)
   * was full for 20 ms: found, then dropped before any sink saw them.
   */
  readonly recordDrops: number;
  /** The index a resume would start from if the scan stopped now (safe lower bound). */
  readonly resumeIndex: number;
  /** Seconds left of --wait while waiting for late replies; undefined while sending. */
  readonly waitLeftSeconds: number | undefined;
  /** --infinite: probes/s and valid replies/s. */
  readonly infinite?: { readonly synps: number; readonly ackps: number } | undefined;
}

/**
 * Everything a scan reports besides records. `note` is detail a user asks for with -v;
 * `warning` and `error` are always worth showing.
 */
export type ScanEvent =
  | { readonly type: 'start'; readonly unixMs: number; readonly scan: ScanKind; readonly hosts: number; readonly portsPerHost: number }
  | { readonly type: 'note'; readonly text: string }
  | { readonly type: 'warning'; readonly text: string }
  | { readonly type: 'progress'; readonly progress: ScanProgress }
  /** The first stop request was taken: sending stops, late replies are still awaited. */
  | { readonly type: 'stopping' }
  /** The scan stopped before its end: it can be resumed from this index (sent once). */
  | { readonly type: 'paused'; readonly resumeIndex: number }
  /** The workers did not exit in time and were terminated. */
  | { readonly type: 'forced-exit' }
  /**
   * Sending and waiting are over; only the sink's close follows. The final counts: probes
   * sent, valid replies, records found (open/up, after de-duplication), kernel drops, and
   * records lost to a full record ring (ScanProgress.recordDrops).
   */
  | {
    readonly type: 'end'; readonly sent: number; readonly replies: number; readonly found: number;
    readonly kernelDrops: number; readonly recordDrops: number;
  };

export type ScanListener = (event: ScanEvent) => void;

/** The abort reason that means "stop at once" (masscan's SIGTERM). */
export interface StopNow {
  readonly now: true;
}

export function isStopNow(reason: unknown): reason is StopNow {
  return typeof reason === 'object' && reason !== null && (reason as { now?: unknown }).now === true;
}

/**
 * How a scan is stopped: two AbortSignals.
 *  - `signal` aborted: stop sending exactly, report `paused`, wait --wait for late replies
 *    (masscan's first Ctrl-C). Aborted with a `{ now: true }` reason: stop at once, no
 *    resume point unless a stop was already under way (masscan's SIGTERM).
 *  - `force` aborted (after or instead of `signal`): stop at once, with a resume point when
 *    sending had not finished (masscan's second Ctrl-C). A `{ now: true }` reason is SIGTERM.
 * A library user with one AbortController passes only `signal`.
 */
export interface ScanStopSignals {
  readonly signal?: AbortSignal | undefined;
  readonly force?: AbortSignal | undefined;
}

/** Escalating stop requests over the two signals: what the command line maps signals onto. */
export class ScanStopController implements ScanStopSignals {
  private readonly first = new AbortController();
  private readonly second = new AbortController();
  /** Own fields (not getters), so `{ ...controller }` passes both. */
  readonly signal: AbortSignal = this.first.signal;
  readonly force: AbortSignal = this.second.signal;

  /** A stop request: the first is graceful, the next one forces. */
  stop(): void {
    if (!this.first.signal.aborted) this.first.abort();
    else if (!this.second.signal.aborted) this.second.abort();
  }

  /** Stop at once (SIGTERM). */
  stopNow(): void {
    const now: StopNow = { now: true };
    if (!this.first.signal.aborted) this.first.abort(now);
    else if (!this.second.signal.aborted) this.second.abort(now);
  }
}

/** A sink that keeps every record in memory (tests, small library scans). */
export class CollectingSink implements RecordSink {
  readonly records: ScanRecord[] = [];
  batches = 0;
  closed = false;
  write(records: readonly ScanRecord[]): void {
    if (this.closed) throw new Error('write after close');
    this.batches++;
    for (const r of records) this.records.push(r);
  }
  close(): void {
    this.closed = true;
  }
}
