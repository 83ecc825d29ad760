/**
 * OutputSet: every output of one scan (or one --readscan conversion) behind one object.
 *
 * - Records pass the status filter (--open-only / --show / --noshow: `open` needs showOpen,
 *   `closed` needs showClosed, ARP `up` is never filtered, banners always pass), then go to
 *   every format, each writing into its own in-memory Sink (sink.ts); a Sink reaches its file
 *   with fs.writeSync in 1 MiB chunks, on flush(), on rotation and on close.
 * - With no output given, records go to stdout as interactive lines; with outputs and
 *   `interactive`, they go to both. Outputs named `-` share the one stdout sink.
 * - Headers: masscan's lazy header (written with the first record) for the line formats, so
 *   an empty scan leaves a 0-byte file; JSON, XML and binary are always complete documents
 *   (`[]`, an empty nmaprun, header+trailer) — see OutputFormat.alwaysComplete.
 * - closeAll() is synchronous and idempotent: it writes every footer (`]`, `</nmaprun>`, the
 *   binary trailer), flushes, and closes. Its callers (the engine's scan and --readscan) call
 *   it on normal end, from their SIGINT/SIGTERM handlers and on a fatal error; since Node runs
 *   signal handlers on the main thread between tasks, it never interleaves with a write() in
 *   progress, and since it does only synchronous I/O, everything is on disk when it returns.
 * - --append-output continues JSON, XML and binary documents (append-scan.ts); other formats
 *   are appended to as masscan does.
 * - --rotate: the file is closed (complete), moved into rotateDir as `YYMMDD-HHMMSS-NAME`
 *   (local time of when that file was started), and a new file is started under the original
 *   name, at period boundaries aligned to multiples of rotateSeconds shifted by rotateOffset;
 *   --rotate-size: the same when a file reaches rotateSize bytes, moved as `BASE-NNNNN.EXT`
 *   (counter from 00000, existing names skipped). With both, whichever comes first; names by
 *   time. Outputs to stdout never rotate.
 */
import * as path from 'node:path';
import { ScanError } from '../error.js';
import { AppendError } from './append-scan.js';
import type { AppendState, FormatState, OutputFormat, ScanMeta } from './format.js';
import { pad2 } from './format.js';
import type { ScanRecord } from '../core/record.js';
import { getFormat } from './registry.js';
import type { ServiceNames } from './services.js';
import { systemServiceNames } from './services.js';
import { defaultIo, Sink } from './sink.js';
import type { OutputIo } from './sink.js';

export interface OutputTarget {
  /** A format name of registry.ts (`greppable` accepted). */
  readonly format: string;
  /** A path, or `-` for stdout. */
  readonly filename: string;
}

export interface OutputOptions {
  readonly outputs: readonly OutputTarget[];
  /** --append-output. */
  readonly append: boolean;
  readonly showOpen: boolean;
  readonly showClosed: boolean;
  /** Also print interactive lines to stdout when writing files. */
  readonly interactive: boolean;
  /** --rotate period in seconds, 0 = off. */
  readonly rotateSeconds: number;
  /** --rotate-offset in seconds. */
  readonly rotateOffset: number;
  /** --rotate-size in bytes, 0 = off. */
  readonly rotateSize: number;
  /** --rotate-dir ('.' by default). */
  readonly rotateDir: string;
  /** XML stylesheet URL, or undefined. */
  readonly stylesheet: string | undefined;
  /** App-proto numbering of binary records written (default HEAD). */
  readonly binaryNumbering?: 'head' | '1.3.2';
  /** Service-name tables for grepable/unicornscan (default: /etc/services, /etc/protocols). */
  readonly services?: ServiceNames;
}

/** The ScanConfig fields OutputOptions come from (ScanConfig satisfies it as is). */
export interface OutputConfigFields {
  readonly outputs: readonly { readonly format: string; readonly filename: string }[];
  readonly outputAppend: boolean;
  readonly showOpen: boolean;
  readonly showClosed: boolean;
  readonly interactive: boolean;
  readonly rotateSeconds: number;
  readonly rotateOffset: number;
  readonly rotateSize: number;
  readonly rotateDir: string;
  readonly stylesheet: string | undefined;
}

/** OutputOptions from a ScanConfig. */
export function outputOptionsFrom(c: OutputConfigFields): OutputOptions {
  return {
    outputs: c.outputs,
    append: c.outputAppend,
    showOpen: c.showOpen,
    showClosed: c.showClosed,
    interactive: c.interactive,
    rotateSeconds: c.rotateSeconds,
    rotateOffset: c.rotateOffset,
    rotateSize: c.rotateSize,
    rotateDir: c.rotateDir,
    stylesheet: c.stylesheet,
  };
}

/** One output file (or stdout stream) and the format writing it. */
class Slot {
  state: FormatState;
  headerDone = false;
  closed = false;
  /** Unix seconds when the current file was started. */
  openedAt: number;
  /** Next time-rotation boundary (unix seconds), Infinity when off. */
  nextRotate = Infinity;
  sizeCounter = 0;

  constructor(
    readonly format: OutputFormat,
    public sink: Sink,
    readonly path: string,
    readonly isStdout: boolean,
    state: FormatState,
    openedAt: number,
  ) {
    this.state = state;
    this.openedAt = openedAt;
  }
}

/** `YYMMDD-HHMMSS` in local time. */
export function rotateStamp(unixSeconds: number): string {
  const d = new Date(unixSeconds * 1000);
  return `${pad2(d.getFullYear() % 100)}${pad2(d.getMonth() + 1)}${pad2(d.getDate())}-` +
    `${pad2(d.getHours())}${pad2(d.getMinutes())}${pad2(d.getSeconds())}`;
}

/** The first period boundary after `now`: multiples of `period` shifted by `offset`. */
export function nextBoundary(now: number, period: number, offset: number): number {
  return Math.floor((now - offset) / period) * period + offset + period;
}

export class OutputSet {
  private readonly slots: Slot[] = [];
  private readonly stdoutSink: Sink;
  private closed = false;
  private readonly errs: Error[] = [];
  private readonly reported = new Set<Sink>();
  /** Records that passed the filters. */
  written = 0;

  private constructor(
    private readonly opts: OutputOptions,
    private readonly meta: ScanMeta,
    private readonly io: OutputIo,
    private readonly services: ServiceNames,
  ) {
    this.stdoutSink = new Sink(io.stdoutFd, '<stdout>', io.fs);
  }

  /**
   * Opens (creates/truncates, or continues with `append`) every output. Throws ScanError
   * (ERR_BAD_OPTION for an unknown format, ERR_FILE naming the file that cannot be opened or
   * continued); nothing stays open when it throws.
   */
  static open(opts: OutputOptions, meta: ScanMeta, io: OutputIo = defaultIo()): OutputSet {
    const set = new OutputSet(opts, meta, io, opts.services ?? systemServiceNames());
    try {
      const targets: OutputTarget[] = [...opts.outputs];
      const formats = targets.map((t) => getFormat(t.format));
      if (targets.length === 0) {
        targets.push({ format: 'interactive', filename: '-' });
        formats.push(getFormat('interactive'));
      } else if (opts.interactive && !targets.some((t) => t.filename === '-' && getFormat(t.format).name === 'interactive')) {
        targets.push({ format: 'interactive', filename: '-' });
        formats.push(getFormat('interactive'));
      }
      const rotating = opts.rotateSeconds > 0 || opts.rotateSize > 0;
      if (rotating && targets.some((t) => t.filename !== '-')) {
        try {
          io.fs.mkdirSync(opts.rotateDir, { recursive: true });
        } catch (e) {
          throw new ScanError('ERR_FILE', `${opts.rotateDir}: cannot create rotate directory (${errText(e)})`);
        }
      }
      for (let i = 0; i < targets.length; i++) set.openSlot(formats[i]!, targets[i]!.filename);
    } catch (e) {
      for (const s of set.slots) if (!s.isStdout) safeClose(io, s.sink.fd);
      throw e;
    }
    return set;
  }

  private nowSec(): number {
    return Math.floor(this.io.now() / 1000);
  }

  private openSlot(format: OutputFormat, filename: string): void {
    const fmtOpts = {
      stylesheet: this.opts.stylesheet,
      services: this.services,
      binaryNumbering: this.opts.binaryNumbering ?? 'head',
    };
    const now = this.nowSec();
    if (filename === '-') {
      this.slots.push(new Slot(format, this.stdoutSink, '-', true, format.create(this.meta, fmtOpts), now));
      return;
    }
    const fs = this.io.fs;
    let fd: number;
    let resume: AppendState | undefined;
    if (this.opts.append && format.appendScan !== undefined) {
      fd = openOrThrow(this.io, filename, 'a+');
      try {
        const size = fs.fstatSync(fd).size;
        resume = format.appendScan(size, (pos, len) => {
          const b = Buffer.alloc(len);
          const n = fs.readSync(fd, b, 0, len, pos);
          return b.subarray(0, n);
        });
        if (resume.keep < size) fs.ftruncateSync(fd, resume.keep);
      } catch (e) {
        safeClose(this.io, fd);
        if (e instanceof AppendError) {
          throw new ScanError('ERR_FILE', `${filename}: cannot append ${format.name} output: ${e.message}`);
        }
        throw new ScanError('ERR_FILE', `${filename}: cannot append (${errText(e)})`);
      }
    } else {
      fd = openOrThrow(this.io, filename, this.opts.append ? 'a' : 'w');
    }
    const sink = new Sink(fd, filename, fs);
    const slot = new Slot(format, sink, filename, false, format.create(this.meta, fmtOpts), now);
    if (resume !== undefined && resume.hasHeader) {
      slot.headerDone = true;
      slot.state.resume(resume);
    }
    if (this.opts.rotateSeconds > 0) slot.nextRotate = nextBoundary(now, this.opts.rotateSeconds, this.opts.rotateOffset);
    this.slots.push(slot);
  }

  /** Filters and writes one record to every output. */
  write(r: ScanRecord): void {
    if (this.closed) return;
    // a format without a service field leaves the record out (and gets no header for it)
    if (r.kind === 'service' && this.slots.every((s) => s.state.service === undefined)) return;
    if (r.kind === 'status') {
      if (r.status === 'open' ? !this.opts.showOpen : r.status === 'closed' ? !this.opts.showClosed : false) return;
    }
    this.written++;
    // A due time rotation happens before the record, so it lands in the new period's file.
    if (this.opts.rotateSeconds > 0) this.checkRotate(false);
    const slots = this.slots;
    for (let i = 0; i < slots.length; i++) {
      const s = slots[i]!;
      if (s.closed) continue; // only after a failed reopen on rotation (error reported)
      if (r.kind === 'service' && s.state.service === undefined) continue;
      if (!s.headerDone) {
        s.state.header(s.sink, r);
        s.headerDone = true;
      }
      if (r.kind === 'status') s.state.status(s.sink, r);
      else if (r.kind === 'banner') s.state.banner(s.sink, r);
      else s.state.service?.(s.sink, r);
    }
    // A file that reached its size is rotated right after the record that filled it.
    if (this.opts.rotateSize > 0) this.checkRotate(true);
  }

  writeBatch(rs: readonly ScanRecord[]): void {
    for (let i = 0; i < rs.length; i++) this.write(rs[i]!);
  }

  /** Writes everything buffered to the files; also performs a due time rotation. */
  flush(): void {
    if (this.closed) return;
    if (this.opts.rotateSeconds > 0) this.checkRotate(false);
    for (const s of this.slots) s.sink.flush();
    this.collectErrors();
  }

  private checkRotate(bySize: boolean): void {
    const now = this.nowSec();
    for (const s of this.slots) {
      if (s.isStdout || s.closed) continue;
      if (bySize ? s.sink.size >= this.opts.rotateSize : now >= s.nextRotate) this.rotate(s, now);
    }
  }

  private rotate(s: Slot, now: number): void {
    this.finish(s);
    const dir = this.opts.rotateDir;
    const base = path.basename(s.path);
    let dest: string;
    if (this.opts.rotateSeconds > 0) {
      dest = path.join(dir, `${rotateStamp(s.openedAt)}-${base}`);
      for (let k = 1; this.io.fs.existsSync(dest); k++) dest = path.join(dir, `${rotateStamp(s.openedAt)}-${base}.${k}`);
    } else {
      const ext = path.extname(base);
      const stem = base.slice(0, base.length - ext.length);
      do {
        dest = path.join(dir, `${stem}-${String(s.sizeCounter++).padStart(5, '0')}${ext}`);
      } while (this.io.fs.existsSync(dest));
    }
    try {
      this.io.fs.renameSync(s.path, dest);
    } catch (e) {
      this.errs.push(new ScanError('ERR_FILE', `${s.path}: cannot rotate to ${dest} (${errText(e)})`));
    }
    let fd: number;
    try {
      fd = this.io.fs.openSync(s.path, 'w', 0o644);
    } catch (e) {
      this.errs.push(new ScanError('ERR_FILE', `${s.path}: cannot reopen after rotation (${errText(e)})`));
      return; // the slot stays closed: its records are dropped, the error is reported
    }
    s.sink = new Sink(fd, s.path, this.io.fs);
    s.state = s.format.create(this.meta, {
      stylesheet: this.opts.stylesheet,
      services: this.services,
      binaryNumbering: this.opts.binaryNumbering ?? 'head',
    });
    s.headerDone = false;
    s.closed = false;
    s.openedAt = now;
    if (this.opts.rotateSeconds > 0) s.nextRotate = nextBoundary(now, this.opts.rotateSeconds, this.opts.rotateOffset);
  }

  /** Footer (or the whole empty document), flush, close. Never throws. */
  private finish(s: Slot): void {
    if (s.closed) return;
    s.closed = true;
    try {
      if (!s.headerDone && s.format.alwaysComplete) {
        s.state.header(s.sink, undefined);
        s.headerDone = true;
      }
      if (s.headerDone) s.state.footer(s.sink, this.io.now());
    } catch (e) {
      this.errs.push(e instanceof Error ? e : new Error(String(e)));
    }
    s.sink.flush();
    if (!s.isStdout) {
      if (s.sink.error === undefined) {
        try {
          this.io.fs.closeSync(s.sink.fd);
        } catch (e) {
          s.sink.error = e instanceof Error ? e : new Error(String(e));
        }
      } else {
        safeClose(this.io, s.sink.fd);
      }
    }
    this.collectErrors();
  }

  /**
   * Closes every output: footers, flush, close. Synchronous, idempotent and safe from a
   * signal handler or an exit path; later write()/flush() calls do nothing.
   */
  closeAll(): void {
    if (this.closed) return;
    this.closed = true;
    for (const s of this.slots) this.finish(s);
    this.stdoutSink.flush();
    this.collectErrors();
  }

  private collectErrors(): void {
    for (const s of this.slots) {
      const sink = s.sink;
      if (sink.error !== undefined && !this.reported.has(sink)) {
        this.reported.add(sink);
        this.errs.push(new ScanError('ERR_FILE', `${sink.name}: write failed (${errText(sink.error)})`));
      }
    }
  }

  /** Errors met while writing (one per failing output), for the caller to report. */
  get errors(): readonly Error[] {
    return this.errs;
  }

  /** The files (or `-`) being written, in order. */
  get paths(): readonly string[] {
    return this.slots.map((s) => s.path);
  }
}

function errText(e: unknown): string {
  const code = (e as NodeJS.ErrnoException | undefined)?.code;
  if (typeof code === 'string') return code;
  return e instanceof Error ? e.message : String(e);
}

function openOrThrow(io: OutputIo, filename: string, flags: string): number {
  try {
    return io.fs.openSync(filename, flags, 0o644);
  } catch (e) {
    throw new ScanError('ERR_FILE', `${filename}: cannot open for writing (${errText(e)})`);
  }
}

function safeClose(io: OutputIo, fd: number): void {
  try {
    io.fs.closeSync(fd);
  } catch {
    // already reported or irrelevant
  }
}
