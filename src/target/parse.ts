/**
 * Target lists: command-line values (`--range`, positional targets, `--exclude`) and
 * include/exclude files (`-iL`, `--excludefile`). Reference §2.1, §2.2, §2.5.
 *
 * One item is one of:
 *   a.b.c.d            a.b.c.d/n (0..32)          a.b.c.d-e.f.g.h
 *   v6                 v6/n (0..128)              v6-v6
 * where v6 is any form parseIPv6 accepts, brackets included (`[1::1]/126`, `[1::1]-[2::3]`).
 * CIDR host bits are silently masked (`10.1.2.3/24` = 10.1.2.0/24); a range whose end is below
 * its begin adds nothing (masscan does the same) unless TargetParseOptions say `error`.
 * Besides `-`, ranges may use the Unicode dashes U+2010..U+2015 and, in files, the Windows-1252 en dash 0x96.
 *
 * Divergences from masscan 1.3.2, on purpose (all are inputs masscan mangles):
 * - `a.b.c.d/` (empty prefix) is an error; masscan reads it as /0, the whole Internet.
 * - `1..2.3` (empty octet) is an error; masscan reads 1.0.2.3.
 * - `[::1` (unbalanced bracket) is an error; masscan accepts it.
 * - IPv4-tail IPv6 forms (`::ffff:1.2.3.4`) are accepted; masscan refuses them.
 * - A v6 range whose end is below its start adds nothing (as a v4 one does in masscan); masscan
 *   wraps it into a request for 2^128 addresses. With `reversed: 'error'` (the command line)
 *   any reversed range is an error naming it: masscan adds nothing and then says "target list
 *   empty".
 */
import { ScanError } from '../error.js';
import { parseIPv4, prefixMask4 } from './ipv4.js';
import { parseIPv6, prefixMask6, IPV6_MAX } from './ipv6.js';
import type { RangeList4, RangeList6 } from './range-list.js';

function isSepCode(c: number): boolean {
  // whitespace (space, \t \n \v \f \r) and comma
  return c === 0x20 || c === 0x2c || (c >= 0x09 && c <= 0x0d);
}

function isUnicodeDash(c: number): boolean {
  return c >= 0x2010 && c <= 0x2015;
}

/** Decimal prefix length: one or more digits (leading zeros allowed), value <= max; else -1. */
function parsePrefix(s: string, max: number): number {
  if (s.length === 0) return -1;
  let v = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x30 || c > 0x39) return -1;
    v = v * 10 + (c - 0x30);
    if (v > max) return -1;
  }
  return v;
}

/** Index of the range dash in `s` (ASCII `-` or U+2010..U+2015), or -1. */
function findDash(s: string): number {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 0x2d || isUnicodeDash(c)) return i;
  }
  return -1;
}

/** addItem's results: the item was added, is not an address/range/CIDR, or is a range a-b with b < a. */
const ITEM_OK = 0;
const ITEM_BAD = 1;
const ITEM_REVERSED = 2;
type ItemResult = typeof ITEM_OK | typeof ITEM_BAD | typeof ITEM_REVERSED;

/** Why a reversed range is refused, after the item. */
const REVERSED_WHY = 'the range ends below its start';

/**
 * What a range whose end is below its start does: `skip` adds nothing (masscan's rule,
 * reference §2.1, the default here and checked by the selftest); `error` refuses it with an
 * error naming it (the command line's choice: otherwise a typo ends in "target list empty").
 */
export interface TargetParseOptions {
  readonly reversed?: 'skip' | 'error';
}

/** Parses one item (see file header) into the lists. */
function addItem(item: string, v4: RangeList4, v6: RangeList6): ItemResult {
  if (item.indexOf(':') >= 0 || item.charCodeAt(0) === 0x5b /* [ */) {
    const dash = findDash(item);
    if (dash >= 0) {
      const b = parseIPv6(item.slice(0, dash));
      const e = parseIPv6(item.slice(dash + 1));
      if (b === null || e === null) return ITEM_BAD;
      if (e < b) return ITEM_REVERSED;
      v6.add(b, e);
      return ITEM_OK;
    }
    const slash = item.lastIndexOf('/');
    if (slash >= 0) {
      const a = parseIPv6(item.slice(0, slash));
      const p = parsePrefix(item.slice(slash + 1), 128);
      if (a === null || p < 0) return ITEM_BAD;
      const mask = prefixMask6(p);
      const b = a & mask;
      v6.add(b, b | (~mask & IPV6_MAX));
      return ITEM_OK;
    }
    const a = parseIPv6(item);
    if (a === null) return ITEM_BAD;
    v6.add(a, a);
    return ITEM_OK;
  }
  const dash = findDash(item);
  if (dash >= 0) {
    const b = parseIPv4(item.slice(0, dash));
    const e = parseIPv4(item.slice(dash + 1));
    if (b === null || e === null) return ITEM_BAD;
    if (e < b) return ITEM_REVERSED;
    v4.add(b, e);
    return ITEM_OK;
  }
  const slash = item.indexOf('/');
  if (slash >= 0) {
    const a = parseIPv4(item.slice(0, slash));
    const p = parsePrefix(item.slice(slash + 1), 32);
    if (a === null || p < 0) return ITEM_BAD;
    const mask = prefixMask4(p);
    const b = (a & mask) >>> 0;
    v4.add(b, (b | ~mask) >>> 0);
    return ITEM_OK;
  }
  const a = parseIPv4(item);
  if (a === null) return ITEM_BAD;
  v4.add(a, a);
  return ITEM_OK;
}

/**
 * How much of a bad value an error message quotes: enough to recognise it, never a whole
 * file (a mutated config file once gave a 22 KB error line).
 */
export const QUOTE_MAX = 80;

/**
 * Untrusted text cut for a one-line message: at most `max` UTF-16 units (never half a
 * surrogate pair), with `...` when something was cut. No quoting or escaping (ScanError
 * escapes control characters): for names and values shown bare (`unknown option: NAME`).
 */
export function clipInput(s: string, max = QUOTE_MAX): string {
  if (s.length <= max) return s;
  let n = max;
  const c = s.charCodeAt(n - 1);
  if (c >= 0xd800 && c <= 0xdbff) n--;
  return `${s.slice(0, n)}...`;
}

/**
 * Untrusted text quoted for a one-line message, the one helper every error that names a bad
 * value uses (src/target and src/cli): `"` and `\` escaped, line breaks and tabs as `\n`
 * `\r` `\t`, other control characters as `\xNN` / `\uNNNN`, printable text kept, cut at
 * QUOTE_MAX units with `...` inside the quotes. `bytes`: the text is a file's bytes one per
 * unit, so everything above 0x7e is shown as `\xNN` (not as Latin-1 letters).
 */
export function quoteInput(s: string, max = QUOTE_MAX, bytes = false): string {
  const long = s.length > max;
  const cut = long ? clipInput(s, max).slice(0, -3) : s;
  let out = '';
  for (let i = 0; i < cut.length; i++) {
    const c = cut.charCodeAt(i);
    if (c === 0x22 || c === 0x5c) out += '\\' + cut[i];
    else if (c === 0x0a) out += '\\n';
    else if (c === 0x0d) out += '\\r';
    else if (c === 0x09) out += '\\t';
    else if (c < 0x20 || (c >= 0x7f && (c <= 0x9f || bytes))) out += '\\x' + c.toString(16).padStart(2, '0');
    else if (c === 0x2028 || c === 0x2029) out += '\\u' + c.toString(16);
    else out += cut[i];
  }
  return `"${out}${long ? '...' : ''}"`;
}



/**
 * Adds every item of a command-line value (items separated by commas and/or whitespace).
 * On the first bad item throws ScanError('ERR_BAD_RANGE', 'bad IP address/range: "X"', with
 * ': the range ends below its start' for a reversed range with `reversed: 'error'`); items
 * before it have already been added (masscan: the rest of that value is ignored).
 */
export function parseTargetSpec(text: string, v4: RangeList4, v6: RangeList6, opts: TargetParseOptions = {}): void {
  const strict = opts.reversed === 'error';
  const n = text.length;
  let i = 0;
  while (i < n) {
    while (i < n && isSepCode(text.charCodeAt(i))) i++;
    if (i >= n) break;
    const start = i;
    while (i < n && !isSepCode(text.charCodeAt(i))) i++;
    const item = text.slice(start, i);
    const r = addItem(item, v4, v6);
    if (r === ITEM_BAD) throw new ScanError('ERR_BAD_RANGE', `bad IP address/range: ${quoteInput(item)}`);
    if (r === ITEM_REVERSED && strict) {
      throw new ScanError('ERR_BAD_RANGE', `bad IP address/range: ${quoteInput(item)}: ${REVERSED_WHY}`);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Files. Loading 10 million lines must take seconds, so IPv4 items are parsed straight from the
// bytes (no per-line strings, no regex); only items with ':' or '[' go through strings.
// File rules (reference §2.5): items are separated by whitespace, commas and newlines; an item
// position whose first character is # ; / or - starts a comment running to the end of the line
// (so `10.0.0.1 # note` and `10.0.0.1 ; note` are fine). A `#` directly after an item also
// starts a comment (masscan 1.3.2 calls `10.0.0.1#x` an error; we accept it).
// ---------------------------------------------------------------------------------------------

/** Results of the byte-level IPv4 item parser, kept in module scratch to avoid allocation. */
let scratchAddr = 0;
let scratchBegin = 0;
let scratchEnd = 0;

/** Reads a.b.c.d at p (< e). Returns the index after it, or ~index of the first bad byte. */
function readAddr4(buf: Uint8Array, p: number, e: number): number {
  let v = 0;
  for (let oct = 0; oct < 4; oct++) {
    if (oct > 0) {
      if (p >= e || buf[p] !== 0x2e) return ~p;
      p++;
    }
    let x = 0;
    const d0 = p;
    while (p < e) {
      const c = buf[p];
      if (c < 0x30 || c > 0x39) break;
      x = x * 10 + (c - 0x30);
      if (x > 255) return ~p;
      p++;
    }
    if (p === d0) return ~p;
    v = v * 256 + x;
  }
  scratchAddr = v;
  return p;
}

/** Length of a range dash at p: `-`, 0x96 (Windows-1252), or UTF-8 U+2010..U+2015; else 0. */
function dashLen(buf: Uint8Array, p: number, e: number): number {
  const c = buf[p];
  if (c === 0x2d || c === 0x96) return 1;
  if (c === 0xe2 && p + 2 < e && buf[p + 1] === 0x80 && buf[p + 2] >= 0x90 && buf[p + 2] <= 0x95) return 3;
  return 0;
}

/**
 * Parses an IPv4 item in buf[s, e) into scratchBegin/scratchEnd (end < begin possible).
 * Returns -1 on success, else the index of the byte where parsing failed.
 */
function parseItem4Bytes(buf: Uint8Array, s: number, e: number): number {
  let p = readAddr4(buf, s, e);
  if (p < 0) return ~p;
  const a = scratchAddr;
  if (p === e) {
    scratchBegin = a;
    scratchEnd = a;
    return -1;
  }
  const c = buf[p];
  if (c === 0x2f /* / */) {
    p++;
    if (p === e) return p;
    let n = 0;
    while (p < e) {
      const d = buf[p];
      if (d < 0x30 || d > 0x39) return p;
      n = n * 10 + (d - 0x30);
      if (n > 32) return p;
      p++;
    }
    const mask = prefixMask4(n);
    scratchBegin = (a & mask) >>> 0;
    scratchEnd = (scratchBegin | ~mask) >>> 0;
    return -1;
  }
  const dl = dashLen(buf, p, e);
  if (dl === 0) return p;
  p = readAddr4(buf, p + dl, e);
  if (p < 0) return ~p;
  if (p !== e) return p;
  scratchBegin = a;
  scratchEnd = scratchAddr;
  return -1;
}

/** A token's bytes as a string, with the file-only dashes turned into `-`. */
function tokenText(buf: Uint8Array, s: number, e: number): string {
  let out = '';
  for (let p = s; p < e; p++) {
    const dl = dashLen(buf, p, e);
    if (dl > 0) {
      out += '-';
      p += dl - 1;
    } else {
      out += String.fromCharCode(buf[p]);
    }
  }
  return out;
}

/**
 * Adds every item of an include/exclude file. Returns the number of items added.
 * A bad item throws ScanError('ERR_BAD_RANGE',
 * 'FILE:LINE:CHAR: invalid IP address on line #LINE: "item"') (masscan's message plus the item);
 * LINE and CHAR are 1-based, CHAR counts bytes from the start of the line to where parsing
 * failed. Items before the bad one have been added. With `reversed: 'error'`, a reversed range
 * throws 'FILE:LINE:CHAR: bad range on line #LINE: "item": the range ends below its start'.
 */
export function parseTargetFile(data: Uint8Array, filename: string, v4: RangeList4, v6: RangeList6,
  opts: TargetParseOptions = {}): number {
  const strict = opts.reversed === 'error';
  const n = data.length;
  let i = 0;
  let line = 1;
  let lineStart = 0;
  let count = 0;
  while (i < n) {
    const c = data[i];
    if (c === 0x0a) {
      i++;
      line++;
      lineStart = i;
      continue;
    }
    if (c === 0x20 || c === 0x2c || (c >= 0x09 && c <= 0x0d)) {
      i++;
      continue;
    }
    if (c === 0x23 /* # */ || c === 0x3b /* ; */ || c === 0x2f /* / */ || c === 0x2d /* - */) {
      while (i < n && data[i] !== 0x0a) i++;
      continue;
    }
    const start = i;
    while (i < n) {
      const d = data[i];
      if (d === 0x20 || d === 0x2c || (d >= 0x09 && d <= 0x0d) || d === 0x23) break;
      i++;
    }
    const err = parseItem4Bytes(data, start, i);
    if (err < 0) {
      if (scratchEnd < scratchBegin && strict) throw reversedInFile(data, filename, line, start - lineStart + 1, start, i);
      v4.add(scratchBegin, scratchEnd);
      count++;
      continue;
    }
    let isV6 = false;
    for (let p = start; p < i; p++) {
      const d = data[p];
      if (d === 0x3a || d === 0x5b) {
        isV6 = true;
        break;
      }
    }
    let errAt = err;
    // The longest valid IPv6 item is two bracketed 45-char addresses and a dash: 95 bytes.
    if (isV6 && i - start <= 128) {
      const text = tokenText(data, start, i);
      const r = addItem(text, v4, v6);
      if (r === ITEM_OK || (r === ITEM_REVERSED && !strict)) {
        count++;
        continue;
      }
      if (r === ITEM_REVERSED) throw reversedInFile(data, filename, line, start - lineStart + 1, start, i);
      errAt = start;
    }
    const col = errAt - lineStart + 1;
    throw new ScanError(
      'ERR_BAD_RANGE',
      `${filename}:${line}:${col}: invalid IP address on line #${line}: ` +
        quoteInput(tokenText(data, start, Math.min(i, start + QUOTE_MAX + 1)), QUOTE_MAX, true),
    );
  }
  return count;
}

function reversedInFile(data: Uint8Array, filename: string, line: number, col: number, start: number, end: number): ScanError {
  const item = quoteInput(tokenText(data, start, Math.min(end, start + QUOTE_MAX + 1)), QUOTE_MAX, true);
  return new ScanError('ERR_BAD_RANGE', `${filename}:${line}:${col}: bad range on line #${line}: ${item}: ${REVERSED_WHY}`);
}
