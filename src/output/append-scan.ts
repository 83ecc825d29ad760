/**
 * Reading the tail of an existing output file so that --append-output continues ONE valid
 * document instead of concatenating two (masscan simply appends, which leaves `]` / `</nmaprun>`
 * in the middle). Each function returns the AppendState to continue from, or throws an
 * AppendError saying why the file cannot be continued (OutputSet turns it into a ScanError
 * naming the file; the file is left untouched).
 *
 * Approach, per format:
 * - JSON: the closing `]` (and whatever follows it) is cut; the next record is then written
 *   after a `,` line. A file cut short by a crash (ending in `}` or `,`) is continued too.
 * - XML: everything from the last `<runstats>` on is cut; new <host> lines follow and a new
 *   <runstats> closes the document, its <hosts> counters being the sums of all runs.
 *   A file with no footer (crash) is continued after its last complete line.
 * - binary: the 99-byte `masscan/1.1` trailer is cut; records follow; a new trailer ends it.
 */
import type { AppendState, TailReader } from './format.js';

/** Why an existing file cannot be continued. */
export class AppendError extends Error {}

function fail(why: string): never {
  throw new AppendError(why);
}

const FRESH: AppendState = { keep: 0, hasHeader: false, hasRecords: false };

function isWs(c: number): boolean {
  return c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;
}

/** Position of the last non-whitespace byte before `end`, or -1. */
function lastNonWs(end: number, read: TailReader): number {
  let hi = end;
  while (hi > 0) {
    const lo = Math.max(0, hi - 4096);
    const b = read(lo, hi - lo);
    for (let i = b.length - 1; i >= 0; i--) if (!isWs(b[i]!)) return lo + i;
    hi = lo;
  }
  return -1;
}

function firstNonWs(size: number, read: TailReader): number {
  let pos = 0;
  while (pos < size) {
    const b = read(pos, Math.min(4096, size - pos));
    if (b.length === 0) break;
    for (let i = 0; i < b.length; i++) if (!isWs(b[i]!)) return b[i]!;
    pos += b.length;
  }
  return -1;
}

export function jsonAppendScan(size: number, read: TailReader): AppendState {
  if (size === 0) return FRESH;
  const first = firstNonWs(size, read);
  if (first === -1) return FRESH;
  if (first !== 0x5b) return fail('not a JSON array (does not start with "[")');
  const i = lastNonWs(size, read);
  const c = read(i, 1)[0]!;
  if (c === 0x5d /* ] */) {
    const j = lastNonWs(i, read);
    const prev = read(j, 1)[0]!;
    if (prev === 0x5b) return { keep: j + 1, hasHeader: true, hasRecords: false };
    if (prev === 0x2c /* , */) return { keep: j, hasHeader: true, hasRecords: true };
    return { keep: i, hasHeader: true, hasRecords: true };
  }
  if (c === 0x7d /* } */) return { keep: i + 1, hasHeader: true, hasRecords: true };
  if (c === 0x2c) return { keep: i, hasHeader: true, hasRecords: true };
  if (c === 0x5b) return { keep: i + 1, hasHeader: true, hasRecords: false };
  return fail('the JSON array ends inside a record (damaged file)');
}

function indexOfLast(hay: Uint8Array, needle: string): number {
  const n = Buffer.from(needle, 'latin1');
  return Buffer.from(hay.buffer, hay.byteOffset, hay.length).lastIndexOf(n);
}

export function xmlAppendScan(size: number, read: TailReader): AppendState {
  if (size === 0) return FRESH;
  const head = Buffer.from(read(0, Math.min(size, 4096))).toString('latin1');
  if (!head.startsWith('<?xml') || !head.includes('<nmaprun')) {
    return fail('not an nmaprun XML document');
  }
  const tailStart = Math.max(0, size - 65536);
  const tail = read(tailStart, size - tailStart);
  const at = indexOfLast(tail, '<runstats>');
  if (at >= 0) {
    const rest = Buffer.from(tail.subarray(at)).toString('latin1');
    const m = /<hosts\s+up="(\d+)"\s+down="(\d+)"/.exec(rest);
    return {
      keep: tailStart + at,
      hasHeader: true,
      hasRecords: true,
      up: m !== null ? Number(m[1]) : 0,
      down: m !== null ? Number(m[2]) : 0,
    };
  }
  if (indexOfLast(tail, '</nmaprun>') >= 0) return fail('nmaprun document has no <runstats> footer');
  // No footer: the writer died. Keep every complete line.
  const nl = tail.lastIndexOf(0x0a);
  if (nl < 0) return fail('no complete line in the last 64 KiB');
  return { keep: tailStart + nl + 1, hasHeader: true, hasRecords: true, up: 0, down: 0 };
}

export const BINARY_MAGIC = 'masscan/1.1';
export const BINARY_HEADER_LEN = 99;

export function binaryAppendScan(size: number, read: TailReader): AppendState {
  if (size === 0) return FRESH;
  const head = Buffer.from(read(0, Math.min(size, BINARY_MAGIC.length))).toString('latin1');
  if (head !== BINARY_MAGIC || size < BINARY_HEADER_LEN) return fail('not a masscan binary file');
  if (size >= 2 * BINARY_HEADER_LEN) {
    const t = read(size - BINARY_HEADER_LEN, BINARY_HEADER_LEN);
    let trailer = t.length === BINARY_HEADER_LEN;
    for (let i = 0; trailer && i < BINARY_HEADER_LEN; i++) {
      const want = i < BINARY_MAGIC.length ? BINARY_MAGIC.charCodeAt(i) : 0;
      if (t[i] !== want) trailer = false;
    }
    if (trailer) return { keep: size - BINARY_HEADER_LEN, hasHeader: true, hasRecords: true };
  }
  return { keep: size, hasHeader: true, hasRecords: true };
}
