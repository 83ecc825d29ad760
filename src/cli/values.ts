/**
 * Value parsers shared by the options table: booleans, integers, seeds, rates, times, sizes,
 * MAC addresses. Each returns a value or throws one ScanError whose message names the input
 * (`what` is the option as the user wrote it, e.g. `--rate` or `scan.conf:3: rate`).
 */
import { ScanError, type ErrorCode } from '../error.js';
import { quoteInput } from '../target/parse.js';

/**
 * masscan's boolean rule (reference §1.1): a value is true unless it starts with `0`, `d`/`D`
 * (disable), `f`/`F`, `n`/`N`, or `of`/`OF` (off). The empty value is true.
 */
export function parseBool(value: string): boolean {
  const v = value.trim();
  if (v === '') return true;
  const c = v[0]!;
  if (c === '0' || c === 'd' || c === 'D' || c === 'f' || c === 'F' || c === 'n' || c === 'N') return false;
  if (v.length >= 2 && (c === 'o' || c === 'O') && (v[1] === 'f' || v[1] === 'F')) return false;
  return true;
}

const BOOL_WORDS = new Set([
  '0', '1', 'enable', 'enabled', 'disable', 'disabled', 'true', 'false', 'on', 'off', 'yes', 'no',
]);

/** Words a "numable" option accepts as its next argument besides digits (reference §1.1). */
export function isBoolWord(value: string): boolean {
  return BOOL_WORDS.has(value.toLowerCase());
}

export function isAllDigits(value: string): boolean {
  return /^[0-9]+$/.test(value);
}

/**
 * `table[key]` for a key from the user, or undefined: only the table's own entries count, so
 * `__proto__`, `constructor` or `toString` never find something of Object.prototype.
 */
export function lookup<T>(table: Readonly<Record<string, T>>, key: string): T | undefined {
  return Object.hasOwn(table, key) ? table[key] : undefined;
}

/** One error naming the option and (at most QUOTE_MAX characters of) the bad value. */
export function fail(code: ErrorCode, what: string, value: string, why: string): never {
  throw new ScanError(code, `${what} ${quoteInput(value)}: ${why}`);
}

/**
 * paused.conf and --echo write one `name = value` line per option: a line break inside a
 * (trimmed) value or an `[index]` could not be read back, so both are refused.
 */
export function refuseLineBreak(what: string, value: string): void {
  if (/[\r\n]/.test(value.trim())) fail('ERR_BAD_OPTION', what, value, 'a value cannot hold a line break');
}

/**
 * An unsigned integer in C `strtoul` base-0 syntax (decimal, `0x` hex, leading-0 octal), the
 * whole string, no larger than `max` (at most 2^53 - 1).
 */
export function parseUintBase0(what: string, value: string, max: number, code: ErrorCode = 'ERR_BAD_OPTION'): number {
  const v = value.trim();
  let n: number;
  if (/^0[xX][0-9a-fA-F]+$/.test(v)) n = Number.parseInt(v.slice(2), 16);
  else if (/^0[0-7]+$/.test(v)) n = Number.parseInt(v.slice(1), 8);
  else if (/^[0-9]+$/.test(v)) n = Number(v);
  else fail(code, what, value, 'not a number');
  if (!Number.isSafeInteger(n) || n > max) fail(code, what, value, `must be at most ${max}`);
  return n;
}

/** A plain decimal unsigned integer no larger than `max`. */
export function parseUintDec(what: string, value: string, max: number, code: ErrorCode = 'ERR_BAD_OPTION'): number {
  const v = value.trim();
  if (!/^[0-9]+$/.test(v)) fail(code, what, value, 'not a decimal number');
  const n = Number(v);
  if (!Number.isSafeInteger(n) || n > max) fail(code, what, value, `must be at most ${max}`);
  return n;
}

const U64_MAX = (1n << 64n) - 1n;

/** A 64-bit unsigned seed: decimal or `0x` hex. */
export function parseU64(what: string, value: string, code: ErrorCode): bigint {
  const v = value.trim();
  let n: bigint;
  if (/^0[xX][0-9a-fA-F]+$/.test(v)) n = BigInt(v);
  else if (/^[0-9]+$/.test(v)) n = BigInt(v);
  else fail(code, what, value, 'expected an unsigned 64-bit integer (decimal or 0x hex) or "time"');
  if (n > U64_MAX) fail(code, what, value, 'larger than 2^64-1');
  return n;
}

/**
 * A packet rate: a decimal number, optionally with a fraction or exponent (`100000`, `0.5`,
 * `1e5`). masscan ignores a rate it cannot read and keeps going; we refuse it.
 */
export function parseRate(what: string, value: string): number {
  const v = value.trim();
  if (!/^(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?$/.test(v)) {
    fail('ERR_BAD_RATE', what, value, 'expected a number of packets/second, e.g. 10000 or 0.5');
  }
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0) fail('ERR_BAD_RATE', what, value, 'rate must be greater than 0');
  if (n > 1e12) fail('ERR_BAD_RATE', what, value, 'rate must be at most 1e12 packets/second');
  return n;
}

/**
 * A decimal string for a positive finite number that parses back to exactly that number and
 * never uses exponent notation (masscan's config reader does not take exponents).
 */
export function plainDecimal(x: number): string {
  const s = String(x);
  if (!/[eE]/.test(s)) return s;
  // toFixed(100) is the exact binary value in decimal: always reads back as x.
  const t = x.toFixed(100);
  return t.replace(/0+$/, '').replace(/\.$/, '');
}

/** masscan prints the rate as `%-10.0f` when integral, else `%f`. */
export function formatRate(rate: number): string {
  if (Number.isInteger(rate)) return String(rate).padEnd(10, ' ');
  const six = rate.toFixed(6);
  if (Number(six) === rate) return six;
  return plainDecimal(rate);
}

/** Seconds: a non-negative decimal number (fractions allowed). */
export function parseSeconds(what: string, value: string, max = 1e9): number {
  const v = value.trim();
  if (!/^(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)$/.test(v)) fail('ERR_BAD_OPTION', what, value, 'expected a number of seconds');
  const n = Number(v);
  if (n > max) fail('ERR_BAD_OPTION', what, value, `must be at most ${max} seconds`);
  return n;
}

const UNIT_SECONDS: Record<string, number> = {
  '': 1, s: 1, sec: 1, secs: 1, second: 1, seconds: 1,
  m: 60, min: 60, mins: 60, minute: 60, minutes: 60,
  h: 3600, hr: 3600, hour: 3600, hours: 3600,
  d: 86400, day: 86400, days: 86400,
  w: 604800, week: 604800, weeks: 604800,
};

const PERIOD_WORDS: Record<string, number> = {
  hourly: 3600, daily: 86400, weekly: 604800, minutely: 60,
};

/** A rotation period: seconds, `<n><unit>` (`5min`, `1h`, `2d`), or `hourly`/`daily`/`weekly`/`minutely`. */
export function parsePeriod(what: string, value: string): number {
  const v = value.trim().toLowerCase();
  const word = lookup(PERIOD_WORDS, v);
  if (word !== undefined) return word;
  const m = /^([0-9]+)\s*([a-z]*)$/.exec(v);
  const unit = m === null ? undefined : lookup(UNIT_SECONDS, m[2]!);
  if (m === null || unit === undefined) {
    fail('ERR_BAD_OPTION', what, value, 'expected seconds, <n>s/min/h/d, or hourly/daily/weekly');
  }
  const n = Number(m[1]) * unit;
  if (!Number.isSafeInteger(n) || n > 366 * 86400) fail('ERR_BAD_OPTION', what, value, 'period too long');
  return n;
}

/** A rotation offset (< 1 day); a leading `-` means one day minus the value (masscan). */
export function parseOffset(what: string, value: string): number {
  const v = value.trim();
  const neg = v.startsWith('-');
  const n = parsePeriod(what, neg ? v.slice(1) : v);
  if (n >= 86400) fail('ERR_BAD_OPTION', what, value, 'offset must be less than one day');
  return neg ? (86400 - n) % 86400 : n;
}

const SIZE_UNITS: Record<string, number> = { '': 1, k: 2 ** 10, m: 2 ** 20, g: 2 ** 30, t: 2 ** 40, p: 2 ** 50 };

/** A size in bytes with an optional k/m/g/t/p suffix (powers of 1024), as masscan. */
export function parseSize(what: string, value: string): number {
  const m = /^([0-9]+)\s*([a-zA-Z]?)[bB]?$/.exec(value.trim());
  const unit = m === null ? undefined : lookup(SIZE_UNITS, m[2]!.toLowerCase());
  if (m === null || unit === undefined) fail('ERR_BAD_OPTION', what, value, 'expected bytes, optionally with k/m/g/t/p');
  const n = Number(m[1]) * unit;
  if (!Number.isSafeInteger(n)) fail('ERR_BAD_OPTION', what, value, 'size too large');
  return n;
}

/** A MAC address with `:` or `-` separators (or none); returned as `aa:bb:cc:dd:ee:ff`. */
export function parseMac(what: string, value: string): string {
  const v = value.trim();
  const m = /^([0-9a-fA-F]{2})[:-]?([0-9a-fA-F]{2})[:-]?([0-9a-fA-F]{2})[:-]?([0-9a-fA-F]{2})[:-]?([0-9a-fA-F]{2})[:-]?([0-9a-fA-F]{2})$/.exec(v);
  if (m === null) fail('ERR_BAD_OPTION', what, value, 'expected a MAC address like 00:11:22:33:44:55');
  return m.slice(1, 7).join(':').toLowerCase();
}

/** masscan prints MAC addresses with dashes. */
export function formatMacDashes(mac: string): string {
  return mac.replace(/:/g, '-');
}
