/**
 * A scan as the command line runs it: the engine's seams (engine/sink.ts) wired to the
 * process. Output files (OutputSet) are the record sink, the console (stderr: start lines,
 * -v notes, the status line, the interrupt messages) is the event listener, paused.conf is
 * written when the engine reports a resume point, and SIGINT/SIGTERM become stop requests:
 * the first SIGINT stops sending and waits, a second one (or SIGTERM) stops at once
 * (masscan's behaviour, reference masscan-compat.md §8).
 */
import type { ScanConfig } from '../core/config.js';
import { writePausedConf } from './echo.js';
import { OutputSet, outputOptionsFrom } from '../output/outputs.js';
import type { OutputIo } from '../output/sink.js';
import type { ScanRecord } from '../core/record.js';
import { Console, MSG_FORCED_EXIT, MSG_SAVING_RESUME, MSG_WAITING_TO_EXIT, startLines, type TextWriter } from './console.js';
import { TIDESCAN_VERSION } from '../engine/version.js';
import { ScanStopController, type RecordSink, type ScanEvent, type ScanListener, type ScanStart } from '../engine/sink.js';
import { fileOutputs, isStoreKind, openStore, scanInfoFrom, StoreSink } from '../output/store/store.js';
import { openScanRow, resumeFromRow } from '../output/store/resume.js';
import { loadUdpPayloadFiles } from './payload-files.js';

/** OutputSet as a RecordSink; close() reports the files that failed on `err`. */
export class OutputSink implements RecordSink {
  constructor(private readonly outputs: OutputSet, private readonly err: TextWriter) {}

  static open(config: ScanConfig, start: ScanStart, commandLine: string, err: TextWriter, io?: OutputIo): OutputSink {
    const outputs = OutputSet.open(
      outputOptionsFrom(config),
      { startTime: Math.floor(start.unixMs / 1000), version: TIDESCAN_VERSION, portsScanned: config.ports, commandLine },
      io,
    );
    return new OutputSink(outputs, err);
  }

  write(records: readonly ScanRecord[]): void {
    this.outputs.writeBatch(records);
  }

  flush(): void {
    this.outputs.flush();
  }

  close(): void {
    this.outputs.closeAll();
    for (const e of this.outputs.errors) this.err(`[-] FAIL: ${e.message}\n`);
  }
}

/**
 * The console as a scan listener: masscan's stderr text for each event. `savePaused` writes
 * the resume file (paused.conf); a failure there is reported, not thrown (the scan goes on).
 */
export function consoleListener(config: ScanConfig, err: TextWriter, savePaused: (resumeIndex: number) => void): ScanListener {
  const con = new Console(err, config.ndjsonStatus, config.status);
  const verbose = config.verbosity > 0;
  return (e: ScanEvent): void => {
    switch (e.type) {
      case 'start':
        con.line(startLines(e.unixMs, e.scan, e.hosts, e.portsPerHost));
        return;
      case 'note':
        if (verbose) con.line(`[+] ${e.text}\n`);
        return;
      case 'warning':
        con.line(`[-] ${e.text}\n`);
        return;
      case 'progress': {
        const p = e.progress;
        con.status({
          pps: p.pps, percent: p.percent, etaSeconds: p.etaSeconds, sent: p.sent, total: p.total, found: p.found,
          waitLeft: p.waitLeftSeconds, infinite: p.infinite,
        });
        return;
      }
      case 'stopping':
        con.clearStatus();
        con.line(MSG_WAITING_TO_EXIT);
        return;
      case 'paused':
        con.line(MSG_SAVING_RESUME);
        try {
          savePaused(e.resumeIndex);
        } catch (x) {
          con.line(`[-] FAIL: saving resume file: ${x instanceof Error ? x.message : String(x)}\n`);
        }
        return;
      case 'forced-exit':
        con.line(MSG_FORCED_EXIT);
        return;
      case 'end':
        con.clearStatus();
        return;
    }
  };
}

/** Where SIGINT and SIGTERM come from (the process; tests emit their own). */
export interface SignalSource {
  on(signal: 'SIGINT' | 'SIGTERM', listener: () => void): unknown;
  off(signal: 'SIGINT' | 'SIGTERM', listener: () => void): unknown;
}

/**
 * Maps SIGINT (each one a stop request: graceful, then forced) and SIGTERM (stop at once)
 * onto a ScanStopController, from `attach()` to `release()`.
 */
export class SignalStop {
  readonly stop = new ScanStopController();
  private attached = false;
  private readonly onInt = (): void => this.stop.stop();
  private readonly onTerm = (): void => this.stop.stopNow();
  constructor(private readonly source: SignalSource) {}

  attach(): void {
    if (this.attached) return;
    this.attached = true;
    this.source.on('SIGINT', this.onInt);
    this.source.on('SIGTERM', this.onTerm);
  }

  release(): void {
    if (!this.attached) return;
    this.attached = false;
    this.source.off('SIGINT', this.onInt);
    this.source.off('SIGTERM', this.onTerm);
  }
}

/**
 * Several sinks as one: the output files and the result stores. close() closes every one and
 * awaits the stores' last commits; the first failure is thrown after all are closed.
 */
export class FanoutSink implements RecordSink {
  constructor(private readonly sinks: readonly RecordSink[]) {}

  write(records: readonly ScanRecord[]): void {
    for (const s of this.sinks) s.write(records);
  }

  flush(): void {
    for (const s of this.sinks) s.flush?.();
  }

  async close(): Promise<void> {
    let first: unknown;
    for (const s of this.sinks) {
      try {
        await s.close();
      } catch (e) {
        first ??= e;
      }
    }
    if (first !== undefined) throw first;
  }
}

/**
 * The result stores named by the outputs (-oQ, --output-format sqlite|postgres), opened
 * before the scan starts (a bad URL or a missing driver fails before any packet), each with a
 * new scan row. On a failure, those already opened are closed (their rows marked failed).
 */
export async function openStoreSinks(config: ScanConfig, commandLine: string, unixMs: number): Promise<StoreSink[]> {
  const sinks: StoreSink[] = [];
  // Replies to the probes below a stored resume index had --wait (at most 10 s) to arrive.
  const lagMs = Math.min(Number.isFinite(config.wait) ? config.wait : 10, 10) * 1000;
  try {
    for (const o of config.outputs) {
      if (!isStoreKind(o.format)) continue;
      const store = await openStore(o.format, o.filename);
      try {
        const info = scanInfoFrom(config, { version: TIDESCAN_VERSION, commandLine, unixMs });
        // --store-resume: this shard's row, taken over where it stopped (a retried pod).
        const row = await openScanRow(config, store, info);
        sinks.push(new StoreSink(store, row, lagMs));
      } catch (e) {
        await store.close().catch(() => undefined);
        throw e;
      }
    }
  } catch (e) {
    for (const s of sinks) await s.finish(false).catch(() => undefined);
    throw e;
  }
  return sinks;
}

/** `tidescan <targets> -p...`: the scan, with files, console and signals of this process. */
export async function runScanCommand(asked: ScanConfig): Promise<number> {
  const err: TextWriter = (t) => void process.stderr.write(t);
  const commandLine = process.argv.slice(2).join(' ');
  // Payload files are read here, as -iL files are, before anything is opened: a bad file
  // fails the scan at once; the engine gets their entries as data.
  const udpPayloads = await loadUdpPayloadFiles(asked);
  const stores = await openStoreSinks(asked, commandLine, Date.now());
  const resumed = stores.length === 0 ? asked : resumeFromRow(asked, stores[0]!.store.where, stores[0]!.row, err);
  if (resumed === undefined) {
    // The row stays as it is (done, with its counts).
    for (const s of stores) await s.store.close();
    return 0;
  }
  const config = resumed;
  const signals = new SignalStop(process);
  const print = consoleListener(config, err, (i) => writePausedConf(config, i));
  // The files (and stdout) are every output but the stores; with only stores, nothing goes to
  // stdout unless --interactive.
  const files = fileOutputs(config.outputs, config.interactive);
  const fileConfig: ScanConfig = stores.length === 0 || files === undefined ? config : { ...config, outputs: files };
  let ok = false;
  let code = 1;
  try {
    const engine: typeof import('../engine/scan.js') = await import('../engine/scan.js');
    code = await engine.runScan(config, {
      udpPayloads,
      sink: (start) => {
        const sinks: RecordSink[] = [...stores];
        if (files !== undefined) sinks.unshift(OutputSink.open(fileConfig, start, commandLine, err));
        return sinks.length === 1 ? sinks[0]! : new FanoutSink(sinks);
      },
      onEvent: (e) => {
        // Signals become stop requests once the scan starts (the link is resolved); before
        // that, Ctrl-C ends the program as it always did.
        if (e.type === 'start') signals.attach();
        if (e.type === 'progress') {
          const p = e.progress;
          for (const s of stores) s.progress({ resumeIndex: p.resumeIndex, sent: p.sent, replies: p.replies, found: p.found });
        } else if (e.type === 'paused') {
          for (const s of stores) s.paused(e.resumeIndex);
        }
        print(e);
      },
      signal: signals.stop.signal,
      force: signals.stop.force,
    });
    ok = code === 0;
  } finally {
    signals.release();
    // Each store's scan row gets its end (paused, done or failed) and the store is closed.
    for (const s of stores) {
      try {
        await s.finish(ok);
      } catch (e) {
        err(`[-] FAIL: ${e instanceof Error ? e.message : String(e)}\n`);
        code = 1;
      }
    }
  }
  return code;
}
