/**
 * IPv6 addresses as 128-bit `bigint`s (planner side) and as four u32 words, most significant
 * first (hot-path side).
 *
 * Text accepted (RFC 4291 §2.2): eight groups of 1-4 hex digits separated by `:`, at most one
 * `::` standing for one or more zero groups, an optional dotted-quad IPv4 tail in the last 32
 * bits (`::ffff:1.2.3.4`), and optional surrounding brackets (`[2001:db8::1]`). Zone ids
 * (`%eth0`) are refused: a scan target is a global address.
 *
 * NOTE: masscan 1.3.2 refuses the IPv4-tail forms; accepting them is a superset.
 *
 * Formatting follows masscan, not RFC 5952 (reference §3.2): lowercase, no leading zeros, and
 * the FIRST run of one or more zero groups becomes `::`, even a single group and even when a
 * longer run follows (`2001:0:0:1:0:0:0:1` -> `2001::1:0:0:0:1`). Every output format prints
 * IPv6 this way, so results compare byte for byte with masscan's.
 */
import { parseIPv4 } from './ipv4.js';

export const IPV6_MAX = (1n << 128n) - 1n;

function parseGroups(str: string, out: number[], allowV4Tail: boolean): boolean {
  if (str.length === 0) return true;
  const parts = str.split(':');
  for (let i = 0; i < parts.length; i++) {
    const p = parts[i];
    if (allowV4Tail && i === parts.length - 1 && p.indexOf('.') >= 0) {
      const v4 = parseIPv4(p);
      if (v4 === null) return false;
      out.push(v4 >>> 16, v4 & 0xffff);
      continue;
    }
    if (p.length === 0 || p.length > 4) return false;
    let g = 0;
    for (let k = 0; k < p.length; k++) {
      const c = p.charCodeAt(k);
      let d: number;
      if (c >= 0x30 && c <= 0x39) d = c - 0x30;
      else if (c >= 0x61 && c <= 0x66) d = c - 0x57;
      else if (c >= 0x41 && c <= 0x46) d = c - 0x37;
      else return false;
      g = g * 16 + d;
    }
    out.push(g);
  }
  return true;
}

/** Parses any textual IPv6 form (see file header); null if `text` is not exactly one address. */
export function parseIPv6(text: string): bigint | null {
  let s = text;
  if (s.charCodeAt(0) === 0x5b /* [ */) {
    if (s.charCodeAt(s.length - 1) !== 0x5d /* ] */) return null;
    s = s.slice(1, -1);
  }
  // The longest valid form is 8 groups with an IPv4 tail: 45 characters.
  if (s.length < 2 || s.length > 45) return null;
  const head: number[] = [];
  const tail: number[] = [];
  const dc = s.indexOf('::');
  if (dc >= 0) {
    if (s.indexOf('::', dc + 1) >= 0) return null; // two `::` (or `:::`)
    if (!parseGroups(s.slice(0, dc), head, false)) return null;
    if (!parseGroups(s.slice(dc + 2), tail, true)) return null;
    if (head.length + tail.length > 7) return null; // `::` stands for at least one group
  } else {
    if (!parseGroups(s, head, true)) return null;
    if (head.length !== 8) return null;
  }
  let v = 0n;
  for (const g of head) v = (v << 16n) | BigInt(g);
  for (let i = head.length + tail.length; i < 8; i++) v <<= 16n;
  for (const g of tail) v = (v << 16n) | BigInt(g);
  return v;
}

/** masscan-style text (core/address.ts). `v` is taken modulo 2^128. */
export { ipv6ToString as formatIPv6 } from '../core/address.js';
import { ipv6ToString as formatIPv6 } from '../core/address.js';

/** Writes `v` as four u32 words, most significant first, into out[off..off+3]. */
export function ipv6ToWords(v: bigint, out: Uint32Array, off: number): void {
  const x = v & IPV6_MAX;
  out[off] = Number(x >> 96n);
  out[off + 1] = Number((x >> 64n) & 0xffffffffn);
  out[off + 2] = Number((x >> 32n) & 0xffffffffn);
  out[off + 3] = Number(x & 0xffffffffn);
}

/** The inverse of ipv6ToWords. */
export function wordsToIPv6(words: Uint32Array, off = 0): bigint {
  return (
    (BigInt(words[off]) << 96n) |
    (BigInt(words[off + 1]) << 64n) |
    (BigInt(words[off + 2]) << 32n) |
    BigInt(words[off + 3])
  );
}

/** Formats four u32 words (as written by ipv6ToWords) without the caller building a bigint. */
export function formatIPv6Words(words: Uint32Array, off = 0): string {
  return formatIPv6(wordsToIPv6(words, off));
}

/** The netmask of a /prefix (0..128) as a bigint. */
export function prefixMask6(prefix: number): bigint {
  return prefix === 0 ? 0n : (IPV6_MAX << BigInt(128 - prefix)) & IPV6_MAX;
}
