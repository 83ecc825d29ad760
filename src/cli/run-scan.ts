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

/** `tidescan <targets> -p...`: the scan, with files, console and signals of this process. */
export async function runScanCommand(config: ScanConfig): Promise<number> {
  const err: TextWriter = (t) => void process.stderr.write(t);
  const signals = new SignalStop(process);
  const print = consoleListener(config, err, (i) => writePausedConf(config, i));
  try {
    const engine: typeof import('../engine/scan.js') = await import('../engine/scan.js');
    const commandLine = process.argv.slice(2).join(' ');
    return await engine.runScan(config, {
      sink: (start) => OutputSink.open(config, start, commandLine, err),
      onEvent: (e) => {
        // Signals become stop requests once the scan starts (the link is resolved); before
        // that, Ctrl-C ends the program as it always did.
        if (e.type === 'start') signals.attach();
        print(e);
      },
      signal: signals.stop.signal,
      force: signals.stop.force,
    });
  } finally {
    signals.release();
  }
}
