/**
 * The --selftest harness: a unit, the failure it throws, and the checks units are written
 * with (each failure says what differed, in one line).
 */
import { toHex } from '../../wire/bytes.js';
import { isScanError } from '../../error.js';


/** One self-test unit (masscan's `xxx_selftest()`). */
export interface SelftestUnit {
  /** Printed on failure: `[-] selftest: <name>: <why>`. */
  readonly name: string;
  /** What it covers (one line, for readers and --help-like listings). */
  readonly what: string;
  /** Throws on failure (a SelftestFailure says why; anything else is reported too). */
  run(): void | Promise<void>;
}

/** A check that did not hold; the message is the one-line reason printed. */
export class SelftestFailure extends Error {
  constructor(why: string) {
    super(why);
    this.name = 'SelftestFailure';
  }
}

/** masscan's last line on success (stderr). */
export const SELFTEST_SUCCESS = 'regression test: success!';
/** masscan's last line on failure (stderr; the trailing space is masscan's). */
export const SELFTEST_FAILED = 'regression test: failed :( ';

export function fail(why: string): never {
  throw new SelftestFailure(why);
}

export function check(cond: boolean, why: string): asserts cond {
  if (!cond) fail(why);
}

export function show(v: unknown): string {
  if (typeof v === 'bigint') return `${v}n`;
  if (typeof v === 'string') return JSON.stringify(v);
  if (v instanceof Uint8Array) return toHex(v);
  if (Array.isArray(v)) return `[${v.map(show).join(',')}]`;
  // Cookies, checksums and addresses read better in hex.
  if (typeof v === 'number' && Number.isInteger(v) && v >= 0x10000) return `${v} (0x${v.toString(16)})`;
  return String(v);
}

export function eq(actual: unknown, expected: unknown, what: string): void {
  if (actual !== expected) fail(`${what}: got ${show(actual)}, expected ${show(expected)}`);
}

export function eqList(actual: readonly unknown[], expected: readonly unknown[], what: string): void {
  const n = Math.max(actual.length, expected.length);
  for (let i = 0; i < n; i++) {
    if (actual[i] !== expected[i]) fail(`${what}: got ${show(actual)}, expected ${show(expected)}`);
  }
}

export function eqBytes(actual: Uint8Array, expected: Uint8Array, what: string): void {
  const n = Math.max(actual.length, expected.length);
  for (let i = 0; i < n; i++) {
    if (actual[i] !== expected[i]) {
      fail(`${what}: differs at byte ${i} of ${actual.length} (expected ${expected.length}): ` +
        `got ${toHex(actual, i, 8)}, expected ${toHex(expected, i, 8)}`);
    }
  }
}

/** Expects `f` to throw a ScanError with this code. */
export function throwsScan(f: () => unknown, code: string, what: string): void {
  try {
    f();
  } catch (e) {
    if (isScanError(e) && e.code === code) return;
    fail(`${what}: threw ${e instanceof Error ? e.message : String(e)}, expected ScanError ${code}`);
  }
  fail(`${what}: accepted, expected ScanError ${code}`);
}

/** A deterministic PRNG (xorshift32) for varied but reproducible inputs. */
export class Xorshift {
  private s: number;
  constructor(seed: number) {
    this.s = seed >>> 0 || 1;
  }
  u32(): number {
    let x = this.s;
    x ^= x << 13; x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5; x >>>= 0;
    this.s = x;
    return x;
  }
  below(n: number): number {
    return this.u32() % n;
  }
}
