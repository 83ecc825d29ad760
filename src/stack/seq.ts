/**
 * Sequence-number arithmetic of the TCP stack (modulo 2^32 on int32 bits, RFC 9293 §3.4) and
 * the byte copy it uses.
 */

export function copy(src: Uint8Array, so: number, dst: Uint8Array, d: number, n: number): void {
  for (let i = 0; i < n; i++) dst[d + i] = src[so + i];
}

/** Sequence-space comparisons (RFC 9293 §3.4: arithmetic modulo 2^32). */
export function seqLt(a: number, b: number): boolean {
  return ((a - b) | 0) < 0;
}
export function seqGt(a: number, b: number): boolean {
  return ((a - b) | 0) > 0;
}
