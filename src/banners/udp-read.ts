/**
 * Bounds-checked reads shared by the UDP reply parsers (udp*.ts). Callers check lengths with
 * `inBounds` / explicit limits before each read; these helpers never read past what they are
 * told. The general bounded readers (be32, hexAt, ...) are codec/frame.ts's.
 */

/** Is [off, off + len) a range of buf (integers, not negative)? */
export function inBounds(buf: Uint8Array, off: number, len: number): boolean {
  return Number.isInteger(off) && Number.isInteger(len) && off >= 0 && len >= 0 && off + len <= buf.length;
}

/** The bytes buf[start, end) as latin1 text (one char per byte). */
export function latin1(buf: Uint8Array, start: number, end: number): string {
  let s = '';
  for (let i = start; i < end; i++) s += String.fromCharCode(buf[i]!);
  return s;
}

/** Big-endian u16 at i (the caller checked i + 2 <= end). */
export function u16(b: Uint8Array, i: number): number {
  return (b[i]! << 8) | b[i + 1]!;
}

/** Dotted IPv4 text of the u32 at i (the caller checked i + 4 <= end). */
export function ipv4At(b: Uint8Array, i: number): string {
  return `${b[i]!}.${b[i + 1]!}.${b[i + 2]!}.${b[i + 3]!}`;
}

/** Labels walked in one DNS name (a name has at most 127 labels; pointers count too). */
const DNS_MAX_STEPS = 128;

/**
 * The offset just past the DNS name at `i` (message b[off, end)), or -1. A compression
 * pointer (two octets, top bits 11, RFC 1035 §4.1.4) ends the name where it stands.
 */
export function skipDnsName(b: Uint8Array, i: number, end: number): number {
  for (let steps = 0; steps < DNS_MAX_STEPS; steps++) {
    if (i >= end) return -1;
    const l = b[i]!;
    if (l === 0) return i + 1;
    if ((l & 0xc0) === 0xc0) return i + 2 <= end ? i + 2 : -1;
    // 01 and 10 label types are reserved (RFC 1035 §4.1.4; RFC 6891 retired 01).
    if ((l & 0xc0) !== 0) return -1;
    i += 1 + l;
  }
  return -1;
}

/**
 * The offset of the first answer of the DNS message b[off, end): past the 12-octet header
 * (the caller checked off + 12 <= end) and the QDCOUNT questions (a name, then type and
 * class, RFC 1035 §4.1.2); -1 when a question does not fit.
 */
export function dnsAnswerStart(b: Uint8Array, off: number, end: number): number {
  const qd = u16(b, off + 4);
  let i = off + 12;
  for (let q = 0; q < qd; q++) {
    i = skipDnsName(b, i, end);
    if (i < 0 || i + 4 > end) return -1;
    i += 4;
  }
  return i;
}
