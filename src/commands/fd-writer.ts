/**
 * The one synchronous writer of the commands (-sL, --selftest, --benchmark, --echo, help
 * texts): whole buffers to a file descriptor with writeSync.
 *
 * NOTE: not process.stdout/stderr.write: on a closed pipe those emit an 'error' event that
 * would end the process with a stack trace, and they buffer without bound when the reader is
 * slow. Here a reader that went away (EPIPE, `| head`) or a closed descriptor (EBADF) ends
 * the output quietly, and a full non-blocking pipe is waited for.
 */
import { writeSync } from 'node:fs';

const PAUSE = new Int32Array(new SharedArrayBuffer(4));

/** Sleeps ~1 ms without timers (the descriptor may be a non-blocking pipe that is full). */
function pause1ms(): void {
  Atomics.wait(PAUSE, 0, 0, 1);
}

/**
 * Writes all of buf[0..len) to fd. Returns false when the reader went away (EPIPE) or the
 * descriptor is closed (EBADF); other errors throw.
 */
export function writeAll(fd: number, buf: Uint8Array, len = buf.length): boolean {
  let off = 0;
  while (off < len) {
    try {
      off += writeSync(fd, buf, off, len - off);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'EPIPE' || code === 'EBADF') return false;
      if (code === 'EAGAIN') { pause1ms(); continue; }
      throw e;
    }
  }
  return true;
}

/** Writes UTF-8 text to fd; false when the reader is gone. Never throws. */
export function writeText(fd: number, text: string): boolean {
  try {
    return writeAll(fd, Buffer.from(text, 'utf8'));
  } catch {
    return false;
  }
}

/** Writes `line` and a newline to fd; false when the reader is gone. Never throws. */
export function writeLineSync(fd: number, line: string): boolean {
  return writeText(fd, `${line}\n`);
}
