/**
 * Big-endian field access on `Uint8Array`, plus the text helpers (hex, addresses) that tests,
 * `pretty.ts` and error messages need.
 *
 * The accessors are the only way `src/wire` reads multi-byte fields. They are monomorphic
 * (always `Uint8Array`, always small-integer offsets), allocate nothing, and use no `DataView`
 * (DESIGN.md §3). They do NOT check bounds: a caller reading untrusted bytes proves the range
 * first (`checkLen()` on a view, explicit length tests in `decode.ts`).
 *
 * NOTE: an out-of-range index on a typed array reads `undefined`, which these functions turn
 * into 0 silently. That is why every reader of untrusted input checks lengths first, and why
 * the fuzz tests run the parsers over a proxy that throws on any read outside the frame.
 */
import { ScanError } from '../error.js';

/** Read a big-endian 16-bit unsigned integer. */
export function getU16(buf: Uint8Array, off: number): number {
  return (buf[off] << 8) | buf[off + 1];
}

/** Write the low 16 bits of `v` big-endian. */
export function setU16(buf: Uint8Array, off: number, v: number): void {
  buf[off] = v >>> 8;
  buf[off + 1] = v;
}

/** Read a big-endian 32-bit unsigned integer (0 .. 2^32-1, never negative). */
export function getU32(buf: Uint8Array, off: number): number {
  return ((buf[off] << 24) | (buf[off + 1] << 16) | (buf[off + 2] << 8) | buf[off + 3]) >>> 0;
}

/**
 * Read a big-endian 32-bit field as a SIGNED int32. For the hot path: an int32 is always a small
 * integer to V8, so it never needs a heap box when it crosses a call that was not inlined,
 * whereas a u32 above 2^31 returned from such a call is boxed (16 bytes per call). Callers
 * convert with `>>> 0` where they store the value.
 */
export function getI32(buf: Uint8Array, off: number): number {
  return (buf[off] << 24) | (buf[off + 1] << 16) | (buf[off + 2] << 8) | buf[off + 3];
}

/** Write the low 32 bits of `v` big-endian (`v` may be signed or unsigned). */
export function setU32(buf: Uint8Array, off: number, v: number): void {
  buf[off] = v >>> 24;
  buf[off + 1] = v >>> 16;
  buf[off + 2] = v >>> 8;
  buf[off + 3] = v;
}

// --- text helpers (not for the hot path: they allocate strings) ---

const HEX = '0123456789abcdef';

/** Lower-case hex of `buf[off .. off+len)`, no separators. */
export function toHex(buf: Uint8Array, off = 0, len = buf.length - off): string {
  let s = '';
  const end = Math.min(buf.length, off + len);
  for (let i = off; i < end; i++) s += HEX[buf[i] >>> 4] + HEX[buf[i] & 15];
  return s;
}

/**
 * Bytes from hex text. Whitespace, ':' and '-' between digits are ignored, so tcpdump hex
 * columns, MAC-style and plain strings all work. Throws ScanError('ERR_CORRUPT') on an odd
 * number of digits or a non-hex character.
 */
export function fromHex(text: string): Uint8Array {
  const clean = text.replace(/[\s:-]/g, '');
  if (clean.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(clean)) {
    throw new ScanError('ERR_CORRUPT', `bad hex string: ${JSON.stringify(text.slice(0, 40))}`);
  }
  const out = new Uint8Array(clean.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(clean.substr(i * 2, 2), 16);
  return out;
}

/**
 * A `tcpdump -xx`-style dump: one line per 16 bytes, `\t0x0000:  4500 003c ...`.
 * For failure messages and vector files.
 */
export function hexDump(buf: Uint8Array, off = 0, len = buf.length - off): string {
  const lines: string[] = [];
  const end = Math.min(buf.length, off + len);
  for (let row = off; row < end; row += 16) {
    let words = '';
    for (let i = row; i < Math.min(end, row + 16); i += 2) {
      words += ' ' + toHex(buf, i, Math.min(2, end - i));
    }
    lines.push(`\t0x${(row - off).toString(16).padStart(4, '0')}: ${words}`);
  }
  return lines.join('\n');
}

/** `aa:bb:cc:dd:ee:ff` of the 6 bytes at `off`. */
export function formatMac(buf: Uint8Array, off = 0): string {
  let s = '';
  for (let i = 0; i < 6; i++) s += (i ? ':' : '') + toHex(buf, off + i, 1);
  return s;
}

/** Dotted quad of a u32 IPv4 address (core/address.ts). */
export { ipv4ToString as formatIpv4 } from '../core/address.js';
import { ipv4ToString as formatIpv4 } from '../core/address.js';

/**
 * RFC 5952 text of the 16 bytes at `off`: lower case, the longest run (first if tied) of two
 * or more zero groups compressed to `::`, and the IPv4-mapped form `::ffff:a.b.c.d`.
 */
export function formatIpv6(buf: Uint8Array, off = 0): string {
  const g: number[] = [];
  for (let i = 0; i < 8; i++) g.push(getU16(buf, off + 2 * i));
  if (g[0] === 0 && g[1] === 0 && g[2] === 0 && g[3] === 0 && g[4] === 0 && g[5] === 0xffff) {
    return '::ffff:' + formatIpv4(getU32(buf, off + 12));
  }
  let bestStart = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (g[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = (a: number, b: number): string =>
    g
      .slice(a, b)
      .map((x) => x.toString(16))
      .join(':');
  if (bestStart < 0) return hex(0, 8);
  return hex(0, bestStart) + '::' + hex(bestStart + bestLen, 8);
}

/** u32 of a dotted quad; throws ScanError('ERR_BAD_RANGE') naming the text. */
export function ipv4FromText(text: string): number {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(text);
  if (m === null) throw new ScanError('ERR_BAD_RANGE', `bad IPv4 address: ${JSON.stringify(text)}`);
  let v = 0;
  for (let i = 1; i <= 4; i++) {
    const o = Number(m[i]);
    if (o > 255) throw new ScanError('ERR_BAD_RANGE', `bad IPv4 address: ${JSON.stringify(text)}`);
    v = v * 256 + o;
  }
  return v;
}

/** 6 bytes of `aa:bb:cc:dd:ee:ff` (or `-` separated); throws ScanError('ERR_BAD_OPTION'). */
export function macFromText(text: string): Uint8Array {
  if (!/^[0-9a-fA-F]{2}([:-][0-9a-fA-F]{2}){5}$/.test(text)) {
    throw new ScanError('ERR_BAD_OPTION', `bad MAC address: ${JSON.stringify(text)}`);
  }
  return fromHex(text);
}

/** 16 bytes of an IPv6 address in text form (with `::` and a trailing dotted quad). */
export function ipv6FromText(text: string): Uint8Array {
  const bad = (): ScanError => new ScanError('ERR_BAD_RANGE', `bad IPv6 address: ${JSON.stringify(text)}`);
  let body = text;
  const words: number[] = [];
  const v4 = /(\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3})$/.exec(body);
  let tail: number[] = [];
  if (v4 !== null) {
    const a = ipv4FromText(v4[1]);
    tail = [a >>> 16, a & 0xffff];
    body = body.slice(0, body.length - v4[1].length);
    if (body.endsWith(':') && !body.endsWith('::')) body = body.slice(0, -1);
  }
  const halves = body.split('::');
  if (halves.length > 2) throw bad();
  const parseHalf = (h: string): number[] => {
    if (h === '') return [];
    return h.split(':').map((w) => {
      if (!/^[0-9a-fA-F]{1,4}$/.test(w)) throw bad();
      return parseInt(w, 16);
    });
  };
  const head = parseHalf(halves[0]);
  const rest = halves.length === 2 ? parseHalf(halves[1]) : [];
  const known = head.length + rest.length + tail.length;
  if (halves.length === 1 ? known !== 8 : known > 7) throw bad();
  words.push(...head);
  if (halves.length === 2) for (let i = known; i < 8; i++) words.push(0);
  words.push(...rest, ...tail);
  const out = new Uint8Array(16);
  for (let i = 0; i < 8; i++) setU16(out, 2 * i, words[i]);
  return out;
}

/**
 * True when `[off, off+len)` is a valid region of `buf` (integers, not negative, inside). Views
 * call it from `checkLen()`, so a view built with a bad offset or length refuses to read.
 */
export function regionOk(buf: Uint8Array, off: number, len: number): boolean {
  return (off | 0) === off && (len | 0) === len && off >= 0 && len >= 0 && off + len <= buf.length;
}
