/**
 * scan(): a scan as an object a program holds. The engine (engine/scan.ts) runs behind the
 * same seams as the command line (engine/sink.ts): its records go to a sink that fills a
 * bounded queue, its events become DOM events on the job, and stopping is an AbortSignal.
 *
 *  - `for await (const r of job)` takes records from the queue. The network cannot wait, so
 *    when the consumer falls `bufferSize` records behind, new records are counted in
 *    `dropped` instead of kept.
 *  - `break` (or `job.stop()`) stops sending at an exact index and ends without waiting for
 *    late replies; the user's `signal` stops sending the same way and then waits `wait`
 *    seconds for late replies (the command line's first Ctrl-C). Either way every worker
 *    thread and native handle is released before `done` resolves, and `resumeIndex` resumes
 *    the scan (`resume: { index }`).
 *  - Events: 'start', 'progress' (about once a second), 'note', 'warning', 'stopping',
 *    'paused', 'end', each a CustomEvent whose `detail` is typed (ScanJobEventMap).
 *  - Errors: bad options throw from scan() itself (ScanError, with `code`, the command line's
 *    message); a failure while running (no permission, no such interface) rejects `done`
 *    and is thrown by the iterator after the records before it. `done` never causes an
 *    unhandled rejection by itself.
 */
import { ScanError } from '../error.js';
import type { ScanConfig } from '../core/config.js';
import type { ScanRecord as CoreRecord } from '../core/record.js';
import { isStopNow, type RecordSink, type ScanEvent, type ScanKind } from '../engine/sink.js';
import type { ScanOptions as EngineOptions } from '../engine/scan.js';
import { apiParseIo, configFromOptions, libraryOptions, type ScanOptions } from './options.js';
import { toApiRecord, type ScanRecord } from './records.js';
import { loadUdpPayloadFiles } from '../cli/payload-files.js';

/** 'progress' detail: one sample, about once a second. */
export interface ScanProgress {
  /** Probes done of this scan's slice, 0..100. */
  readonly percent: number;
  /** Milliseconds of sending left at the measured (else the configured) rate. */
  readonly etaMs: number;
  /** Packets per second, measured. */
  readonly pps: number;
  /** Probes sent, and planned for this slice. */
  readonly sent: number;
  readonly total: number;
  /** Valid replies received. */
  readonly replies: number;
  /** Open/up records found (after de-duplication). */
  readonly found: number;
  /** Frames the kernel dropped before they were read. */
  readonly kernelDrops: number;
  /** Where a resume would start if the scan stopped now (a safe lower bound). */
  readonly resumeIndex: number;
  /** Milliseconds of `wait` left once sending is over; undefined while sending. */
  readonly waitLeftMs: number | undefined;
  /**
   * Records lost so far: the ones the queue (`bufferSize`) could not hold while the consumer
   * was behind, plus the ones the engine's record ring could not hold (receive worker to the
   * main thread, full for 20 ms).
   */
  readonly dropped: number;
}

/** 'start' detail: the link is resolved and probes go out now. */
export interface ScanStartInfo {
  readonly time: Date;
  readonly scan: ScanKind;
  readonly hosts: number;
  readonly portsPerHost: number;
}

/** What `done` resolves to (also the 'end' event's detail). */
export interface ScanSummary {
  /** Probes sent. */
  readonly sent: number;
  /** Valid replies received. */
  readonly replies: number;
  /** Open/up records found (after de-duplication). */
  readonly found: number;
  readonly kernelDrops: number;
  /** Stopped before its end (signal, break, stop()). */
  readonly aborted: boolean;
  /** Where to resume (`resume: { index }`) when the scan stopped before its end; else undefined. */
  readonly resumeIndex: number | undefined;
  /**
   * Records found and lost: the ones that did not fit the queue (`bufferSize`) while the
   * consumer was behind, plus the ones the engine's record ring could not hold. Every record
   * found is either yielded or counted here.
   */
  readonly dropped: number;
}

export interface ScanJobEventMap {
  start: CustomEvent<ScanStartInfo>;
  progress: CustomEvent<ScanProgress>;
  /** Detail a user asks for with -v on the command line. */
  note: CustomEvent<string>;
  warning: CustomEvent<string>;
  /** A stop was taken: sending stops. */
  stopping: CustomEvent<null>;
  /** The scan stopped before its end; resume from `resumeIndex`. */
  paused: CustomEvent<{ readonly resumeIndex: number }>;
  end: CustomEvent<ScanSummary>;
}

type Listener<E> = ((event: E) => void) | { handleEvent(event: E): void };
type AddOptions = Parameters<EventTarget['addEventListener']>[2];
type RemoveOptions = Parameters<EventTarget['removeEventListener']>[2];
type AnyListener = Parameters<EventTarget['addEventListener']>[1];

/** How a job runs the engine: the real one, or (tests) one over a simulated link. */
export type ScanRunner = (config: ScanConfig, options: EngineOptions) => Promise<number>;

const defaultRunner: ScanRunner = async (config, options) => {
  // Payload files are read here, as the command line reads them (cli/run-scan.ts).
  const udpPayloads = options.udpPayloads ?? await loadUdpPayloadFiles(config);
  const engine: typeof import('../engine/scan.js') = await import('../engine/scan.js');
  return engine.runScan(config, { ...options, udpPayloads });
};

/** After `break`/stop(): force the end if no exact pause point came within this time. */
const BREAK_FORCE_MS = 250;

/** A fixed ring of engine records between the sink (producer) and the iterator (consumer). */
class RecordQueue {
  private readonly ring: (CoreRecord | undefined)[];
  private head = 0;
  private size = 0;
  dropped = 0;
  closed = false;

  constructor(readonly capacity: number) {
    this.ring = new Array<CoreRecord | undefined>(capacity);
  }

  get length(): number {
    return this.size;
  }

  push(r: CoreRecord): void {
    if (this.closed) return;
    if (this.size === this.capacity) { this.dropped++; return; }
    let i = this.head + this.size;
    if (i >= this.capacity) i -= this.capacity;
    this.ring[i] = r;
    this.size++;
  }

  shift(): CoreRecord | undefined {
    if (this.size === 0) return undefined;
    const r = this.ring[this.head];
    this.ring[this.head] = undefined;
    this.head = this.head + 1 === this.capacity ? 0 : this.head + 1;
    this.size--;
    return r;
  }

  /** No more records are taken; the held ones are released. */
  close(): void {
    this.closed = true;
    this.ring.fill(undefined);
    this.head = 0;
    this.size = 0;
  }
}

export class ScanJob extends EventTarget implements AsyncIterable<ScanRecord> {
  /** Resolves when the scan is over and every thread and handle is released. */
  readonly done: Promise<ScanSummary>;
  private readonly queue: RecordQueue;
  private readonly graceful = new AbortController();
  private readonly force = new AbortController();
  private wake: (() => void) | undefined;
  private finished = false;
  private failure: unknown;
  private iterating = false;
  private broke = false;
  private resumeIndex: number | undefined;
  private forceTimer: NodeJS.Timeout | undefined;
  private lastProgressIndex: number | undefined;

  /** @internal Use scan(). */
  constructor(config: ScanConfig, userSignal: AbortSignal | undefined, bufferSize: number, warnings: readonly string[],
    runner: ScanRunner) {
    super();
    this.queue = new RecordQueue(bufferSize);
    this.done = this.run(config, userSignal, warnings, runner);
    // An ignored `done` must not take the process down; users who await it still see the error.
    this.done.catch(() => undefined);
  }

  override addEventListener<K extends keyof ScanJobEventMap>(type: K, listener: Listener<ScanJobEventMap[K]> | null, options?: AddOptions): void;
  override addEventListener(type: string, listener: AnyListener | null, options?: AddOptions): void;
  override addEventListener(type: string, listener: AnyListener | null, options?: AddOptions): void {
    super.addEventListener(type, listener as AnyListener, options);
  }

  override removeEventListener<K extends keyof ScanJobEventMap>(type: K, listener: Listener<ScanJobEventMap[K]> | null, options?: RemoveOptions): void;
  override removeEventListener(type: string, listener: AnyListener | null, options?: RemoveOptions): void;
  override removeEventListener(type: string, listener: AnyListener | null, options?: RemoveOptions): void {
    super.removeEventListener(type, listener as AnyListener, options);
  }

  /** Records waiting in the queue. */
  get buffered(): number {
    return this.queue.length;
  }

  /**
   * Stops the scan as `break` does: sending stops at an exact index, late replies are not
   * awaited, records not yet taken are discarded. `done` then resolves with `resumeIndex`.
   */
  stop(): void {
    if (this.finished || this.broke) return;
    this.broke = true;
    this.queue.close();
    this.graceful.abort();
    this.forceTimer = setTimeout(() => this.force.abort(), BREAK_FORCE_MS);
    this.notify();
  }

  private emit<K extends keyof ScanJobEventMap>(type: K, detail: ScanJobEventMap[K]['detail']): void {
    this.dispatchEvent(new CustomEvent(type, { detail }));
  }

  private settle(): void {
    clearTimeout(this.forceTimer);
    this.finished = true;
    this.notify();
  }

  private notify(): void {
    const w = this.wake;
    this.wake = undefined;
    w?.();
  }

  private onEngineEvent(e: ScanEvent): ScanSummary | undefined {
    switch (e.type) {
      case 'start':
        this.emit('start', { time: new Date(e.unixMs), scan: e.scan, hosts: e.hosts, portsPerHost: e.portsPerHost });
        return undefined;
      case 'note':
        this.emit('note', e.text);
        return undefined;
      case 'warning':
        this.emit('warning', e.text);
        return undefined;
      case 'progress': {
        const p = e.progress;
        this.lastProgressIndex = p.resumeIndex;
        this.emit('progress', {
          percent: p.percent, etaMs: p.etaSeconds * 1000, pps: p.pps, sent: p.sent, total: p.total, replies: p.replies,
          found: p.found, kernelDrops: p.kernelDrops, resumeIndex: p.resumeIndex,
          waitLeftMs: p.waitLeftSeconds === undefined ? undefined : p.waitLeftSeconds * 1000,
          dropped: this.queue.dropped + p.recordDrops,
        });
        return undefined;
      }
      case 'stopping':
        this.emit('stopping', null);
        return undefined;
      case 'paused':
        this.resumeIndex = e.resumeIndex;
        // After break/stop() the exact pause point is all that was awaited: end now.
        if (this.broke) this.force.abort();
        this.emit('paused', { resumeIndex: e.resumeIndex });
        return undefined;
      case 'forced-exit':
        this.emit('warning', 'the scan workers did not exit in time and were terminated');
        return undefined;
      case 'end':
        return {
          sent: e.sent, replies: e.replies, found: e.found, kernelDrops: e.kernelDrops,
          aborted: this.graceful.signal.aborted, resumeIndex: this.resumeIndex, dropped: this.queue.dropped + e.recordDrops,
        };
    }
  }

  private async run(config: ScanConfig, userSignal: AbortSignal | undefined, warnings: readonly string[],
    runner: ScanRunner): Promise<ScanSummary> {
    // Listeners are attached after scan() returns: everything starts from here on.
    await Promise.resolve();
    for (const w of warnings) this.emit('warning', w);
    const onAbort = (): void => { if (!this.graceful.signal.aborted) this.graceful.abort(userSignal?.reason); };
    let end: ScanSummary | undefined;
    const queue = this.queue;
    const sink: RecordSink = {
      write: (records) => {
        for (const r of records) queue.push(r);
        this.notify();
      },
      close: () => undefined,
    };
    try {
      if (userSignal?.aborted === true) {
        // Aborted before it began: nothing is opened, nothing is sent.
        end = { sent: 0, replies: 0, found: 0, kernelDrops: 0, aborted: true, resumeIndex: config.resumeIndex, dropped: 0 };
      } else {
        userSignal?.addEventListener('abort', onAbort, { once: true });
        await runner(config, {
          sink,
          onEvent: (e) => {
            const s = this.onEngineEvent(e);
            if (s !== undefined) end = s;
          },
          signal: this.graceful.signal,
          force: this.force.signal,
        });
        end ??= { sent: 0, replies: 0, found: 0, kernelDrops: 0, aborted: this.graceful.signal.aborted, resumeIndex: undefined, dropped: queue.dropped };
        // A stop at once ({ now: true }) reports no pause point; the last progress sample's lower bound is safe.
        if (end.aborted && end.resumeIndex === undefined && isStopNow(this.graceful.signal.reason)) {
          end = { ...end, resumeIndex: this.lastProgressIndex ?? config.resumeIndex };
        }
      }
      this.settle();
      this.emit('end', end);
      return end;
    } catch (e) {
      this.failure = e;
      throw e;
    } finally {
      userSignal?.removeEventListener('abort', onAbort);
      this.settle();
    }
  }

  /** The records, in arrival order. One iteration per job. */
  [Symbol.asyncIterator](): AsyncIterator<ScanRecord, undefined> {
    if (this.iterating) throw new ScanError('ERR_USAGE', 'a scan job is iterated once (its records are not kept)');
    this.iterating = true;
    const next = async (): Promise<IteratorResult<ScanRecord, undefined>> => {
      for (;;) {
        const r = this.queue.shift();
        if (r !== undefined) return { done: false, value: toApiRecord(r) };
        if (this.finished || this.broke) {
          if (this.failure !== undefined && !this.broke) throw this.failure;
          return { done: true, value: undefined };
        }
        await new Promise<void>((resolve) => { this.wake = resolve; });
      }
    };
    const stop = async (): Promise<IteratorResult<ScanRecord, undefined>> => {
      this.stop();
      // The loop's `break` waits here until the scan has let go of everything.
      await this.done.catch(() => undefined);
      return { done: true, value: undefined };
    };
    return { next, return: stop };
  }
}

/** A scan with the given runner (tests run the engine over a simulated link). */
export function scanWith(options: ScanOptions, runner: ScanRunner): ScanJob {
  const warnings: string[] = [];
  const config = configFromOptions(options, 'scan', apiParseIo(warnings));
  const { signal, bufferSize } = libraryOptions(options);
  if (config.operation !== 'scan') throw new ScanError('ERR_USAGE', `not a scan: ${config.operation}`);
  return new ScanJob(config, signal, bufferSize, warnings, runner);
}

/**
 * Starts a scan. Throws a ScanError (with `code`) at once for bad options; the returned job
 * is an EventTarget, an async iterable of records, and has `done`.
 */
export function scan(options: ScanOptions): ScanJob {
  return scanWith(options, defaultRunner);
}
