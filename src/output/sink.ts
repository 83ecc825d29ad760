/**
 * Buffered, synchronous byte sink over one file descriptor.
 *
 * Formats write into an in-memory buffer; the buffer goes to the file with fs.writeSync in
 * large chunks (FLUSH_AT bytes, or on flush()/close()), never one syscall per record. Every
 * operation is synchronous, so a close from a signal handler or an exit path finishes before
 * the process ends, and nothing is half-written by an interrupted async write.
 *
 * NOTE: a write error (disk full, EPIPE on a closed stdout pipe) marks the sink broken: later
 * writes are dropped and the error is kept in `error` for the caller to report once, so one
 * bad output never stops the others or the scan.
 */
import * as nodeFs from 'node:fs';
import { writeEscaped } from './escape.js';

/** The file operations an output set needs; tests inject fakes or wrappers. */
export interface OutputFs {
  openSync(path: string, flags: string, mode?: number): number;
  writeSync(fd: number, buf: Uint8Array, off: number, len: number): number;
  readSync(fd: number, buf: Uint8Array, off: number, len: number, pos: number): number;
  fstatSync(fd: number): { size: number; isFile(): boolean };
  ftruncateSync(fd: number, len: number): void;
  closeSync(fd: number): void;
  renameSync(from: string, to: string): void;
  existsSync(path: string): boolean;
  mkdirSync(path: string, opts: { recursive: true }): unknown;
}

export interface OutputIo {
  fs: OutputFs;
  /** Wall clock in milliseconds (Date.now by default). */
  now(): number;
  /** Descriptor used for `-` and interactive lines (1 by default). */
  stdoutFd: number;
}

export const realFs: OutputFs = {
  openSync: (p, f, m) => nodeFs.openSync(p, f, m),
  writeSync: (fd, b, o, l) => nodeFs.writeSync(fd, b, o, l),
  readSync: (fd, b, o, l, p) => nodeFs.readSync(fd, b, o, l, p),
  fstatSync: (fd) => nodeFs.fstatSync(fd),
  ftruncateSync: (fd, l) => nodeFs.ftruncateSync(fd, l),
  closeSync: (fd) => nodeFs.closeSync(fd),
  renameSync: (a, b) => nodeFs.renameSync(a, b),
  existsSync: (p) => nodeFs.existsSync(p),
  mkdirSync: (p, o) => nodeFs.mkdirSync(p, o),
};

export function defaultIo(): OutputIo {
  return { fs: realFs, now: () => Date.now(), stdoutFd: 1 };
}

/** Buffer size at which a sink writes to its file. */
const FLUSH_AT = 1 << 20;

const SLEEP = new Int32Array(new SharedArrayBuffer(4));

/**
 * Buffer's own UTF-8 encoder without the argument juggling of Buffer#write (a third of the
 * cost of a short line). Present on every Buffer since Node 0.x, not in the typings.
 */
interface Utf8Writer {
  utf8Write(s: string, offset: number, length: number): number;
}

export class Sink {
  buf: Buffer;
  pos = 0;
  /** Bytes already handed to the file since it was opened (excludes `pos`). */
  flushed = 0;
  broken = false;
  error: Error | undefined;

  constructor(
    readonly fd: number,
    readonly name: string,
    private readonly fs: OutputFs,
  ) {
    this.buf = Buffer.allocUnsafe(FLUSH_AT + 65536);
  }

  /** Bytes written to this file so far, buffered ones included. */
  get size(): number {
    return this.flushed + this.pos;
  }

  /** Appends text (UTF-8). */
  text(s: string): void {
    const max = s.length * 3;
    if (this.pos + max > this.buf.length) this.makeRoom(max);
    this.pos += (this.buf as unknown as Utf8Writer).utf8Write(s, this.pos, this.buf.length - this.pos);
    if (this.pos >= FLUSH_AT) this.flush();
  }

  /** Appends bytes. */
  bytes(b: Uint8Array): void {
    if (this.pos + b.length > this.buf.length) this.makeRoom(b.length);
    this.buf.set(b, this.pos);
    this.pos += b.length;
    if (this.pos >= FLUSH_AT) this.flush();
  }

  /** Appends a banner in masscan's `\xNN` escaping (reference §4.1), with no copy. */
  escaped(banner: Uint8Array): void {
    const max = banner.length * 4;
    if (this.pos + max > this.buf.length) this.makeRoom(max);
    this.pos = writeEscaped(banner, this.buf, this.pos);
    if (this.pos >= FLUSH_AT) this.flush();
  }

  /**
   * Reserves n bytes at the end of the buffer and returns their offset in `buf`; the caller
   * fills them right away, then calls commit().
   */
  reserve(n: number): number {
    if (this.pos + n > this.buf.length) this.makeRoom(n);
    const p = this.pos;
    this.pos += n;
    return p;
  }

  /** Gives back the unused tail of the last reservation (end = the offset actually reached). */
  commit(end: number): void {
    this.pos = end;
    if (this.pos >= FLUSH_AT) this.flush();
  }

  private makeRoom(n: number): void {
    this.flush();
    if (n > this.buf.length) this.buf = Buffer.allocUnsafe(n + 65536);
  }

  /** Writes everything buffered to the file (synchronously). */
  flush(): void {
    if (this.pos === 0) return;
    const len = this.pos;
    this.pos = 0;
    if (this.broken) return;
    let off = 0;
    let spins = 0;
    while (off < len) {
      try {
        off += this.fs.writeSync(this.fd, this.buf, off, len - off);
        spins = 0;
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        // A non-blocking stdout pipe: wait a little for the reader instead of losing output.
        if (code === 'EAGAIN' && spins < 5000) {
          spins++;
          Atomics.wait(SLEEP, 0, 0, 1);
          continue;
        }
        this.broken = true;
        this.error = e instanceof Error ? e : new Error(String(e));
        return;
      }
    }
    this.flushed += len;
  }
}
