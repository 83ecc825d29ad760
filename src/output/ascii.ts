/**
 * Writing ASCII fields straight into a byte buffer, for the per-record hot path of the line
 * formats: no string is built for a record, so nothing is allocated per record. Every helper
 * writes at `p` and returns the new position; the caller reserved enough room (decimal
 * numbers below 2^53 take at most 16 bytes, an IPv4 address 15).
 */
import { ipv6ToString } from '../core/address.js';
import type { IpAddress } from '../core/record.js';

/** The bytes of an ASCII string, computed once. */
export function asciiOf(s: string): Uint8Array {
  const b = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) b[i] = s.charCodeAt(i) & 0x7f;
  return b;
}

export function putBytes(b: Uint8Array, p: number, src: Uint8Array): number {
  for (let i = 0; i < src.length; i++) b[p + i] = src[i]!;
  return p + src.length;
}

/** Non-negative integer below 2^53 in decimal. */
export function putDec(b: Uint8Array, p: number, n: number): number {
  if (n < 10) {
    b[p] = 0x30 + n;
    return p + 1;
  }
  let digits = 1;
  for (let t = n; t >= 10; t = Math.floor(t / 10)) digits++;
  let q = p + digits;
  let v = n;
  while (q > p) {
    const d = v % 10;
    b[--q] = 0x30 + d;
    v = (v - d) / 10;
  }
  return p + digits;
}

function putIpv4(b: Uint8Array, p: number, v: number): number {
  p = putDec(b, p, (v >>> 24) & 255);
  b[p++] = 0x2e;
  p = putDec(b, p, (v >>> 16) & 255);
  b[p++] = 0x2e;
  p = putDec(b, p, (v >>> 8) & 255);
  b[p++] = 0x2e;
  return putDec(b, p, v & 255);
}

/** An address as ipToString prints it (IPv6 at most 39 bytes). */
export function putIp(b: Uint8Array, p: number, ip: IpAddress): number {
  if (ip.version === 4) return putIpv4(b, p, ip.v4);
  const s = ipv6ToString(ip.v6);
  for (let i = 0; i < s.length; i++) b[p + i] = s.charCodeAt(i);
  return p + s.length;
}
