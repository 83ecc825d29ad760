/**
 * IPv4 addresses as unsigned 32-bit numbers.
 *
 * Text form accepted (masscan-compatible, reference §2.1): four decimal octets separated by
 * dots. Leading zeros are ignored and do NOT mean octal (`010.001.1.1` is 10.1.1.1, unlike
 * inet_aton). Every octet must have at least one digit and be <= 255; three-octet, hex and
 * integer forms are refused.
 *
 * NOTE: masscan 1.3.2 accepts an empty octet as 0 (`1..2.3` -> 1.0.2.3); we refuse it, since
 * it is far more likely a typo than an intent.
 */

/** Parses `a.b.c.d` (decimal octets) into a u32; returns null if `text` is anything else. */
export function parseIPv4(text: string): number | null {
  const n = text.length;
  let value = 0;
  let octet = 0;
  let digits = 0;
  let dots = 0;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c >= 0x30 && c <= 0x39) {
      octet = octet * 10 + (c - 0x30);
      if (octet > 255) return null;
      digits++;
    } else if (c === 0x2e) {
      if (digits === 0 || dots === 3) return null;
      value = value * 256 + octet;
      octet = 0;
      digits = 0;
      dots++;
    } else {
      return null;
    }
  }
  if (digits === 0 || dots !== 3) return null;
  return value * 256 + octet;
}

/** Formats a u32 as dotted decimal (core/address.ts). Values are taken modulo 2^32. */
export { ipv4ToString as formatIPv4 } from '../core/address.js';

/** The netmask of a /prefix (0..32) as a u32: 0 for /0, 0xffffffff for /32. */
export function prefixMask4(prefix: number): number {
  return prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
}
