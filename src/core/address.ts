/**
 * Address text as masscan prints it in every format: the one copy used by target/, wire/,
 * output/ and the engine.
 *
 * IPv4: dotted quad. IPv6: masscan's own rule (reference §14), which differs from RFC 5952:
 * the FIRST run of zero groups is compressed to `::`, even a single group
 * (`2001:0:1:0:0:0:0:1` -> `2001::1:0:0:0:0:1`), a trailing run prints as `1::`, and
 * IPv4-mapped addresses get no dotted tail (`::ffff:102:304`). Every text form produced here
 * parses back to the same address with any RFC 4291 parser.
 */
import type { IpAddress } from './record.js';

/** Decimal text of 0..255 followed by nothing / a dot (no number-to-string per octet). */
const DEC: string[] = [];
const DEC_DOT: string[] = [];
for (let i = 0; i < 256; i++) {
  DEC.push(String(i));
  DEC_DOT.push(i + '.');
}

export function ipv4ToString(v: number): string {
  return DEC_DOT[(v >>> 24) & 255]! + DEC_DOT[(v >>> 16) & 255]! + DEC_DOT[(v >>> 8) & 255]! + DEC[v & 255]!;
}

/** Groups of an IPv6 address (bigint < 2^128) into the caller's 8-slot array. */
function groups6(v: bigint, out: number[]): void {
  // Four 32-bit words: each fits a double exactly.
  const w0 = Number((v >> 96n) & 0xffffffffn);
  const w1 = Number((v >> 64n) & 0xffffffffn);
  const w2 = Number((v >> 32n) & 0xffffffffn);
  const w3 = Number(v & 0xffffffffn);
  out[0] = w0 >>> 16; out[1] = w0 & 0xffff;
  out[2] = w1 >>> 16; out[3] = w1 & 0xffff;
  out[4] = w2 >>> 16; out[5] = w2 & 0xffff;
  out[6] = w3 >>> 16; out[7] = w3 & 0xffff;
}

const G: number[] = [0, 0, 0, 0, 0, 0, 0, 0];

export function ipv6ToString(v: bigint): string {
  groups6(v, G);
  let s = '';
  let i = 0;
  // Print groups up to the first zero group.
  while (i < 8 && G[i] !== 0) {
    s += (i === 0 ? '' : ':') + G[i]!.toString(16);
    i++;
  }
  if (i === 8) return s;
  // Compress the first zero run, however short.
  while (i < 8 && G[i] === 0) i++;
  s += '::';
  let first = true;
  while (i < 8) {
    s += (first ? '' : ':') + G[i]!.toString(16);
    first = false;
    i++;
  }
  return s;
}

export function ipToString(ip: IpAddress): string {
  return ip.version === 4 ? ipv4ToString(ip.v4) : ipv6ToString(ip.v6);
}

/** An IPv6 address as the 16 bytes (network order) the IPv6 templates take. Setup only (BigInt). */
export function ipv6Bytes(v: bigint): Uint8Array {
  const out = new Uint8Array(16);
  for (let k = 0; k < 16; k++) out[k] = Number((v >> BigInt(8 * (15 - k))) & 0xffn);
  return out;
}
