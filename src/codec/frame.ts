/**
 * Small shared pieces of the binary banner modules (SMB, RDP, MySQL and the hello table's
 * protocols): little/big-endian readers that check bounds (a read past the end gives -1, never
 * undefined arithmetic), and `Framer`, which gathers one length-prefixed message at a time so
 * a parser sees whole messages whatever the split points of the stream were.
 */

/** buf[i] as a number, or -1 past `end`. */
export function u8(b: Uint8Array, i: number, end: number): number {
  return i >= 0 && i < end ? b[i]! : -1;
}

/** Little-endian u16 at i, or -1 when it does not fit before `end`. */
export function le16(b: Uint8Array, i: number, end: number): number {
  return i >= 0 && i + 2 <= end ? b[i]! | (b[i + 1]! << 8) : -1;
}

/** Little-endian u32 at i, or -1 when it does not fit before `end`. */
export function le32(b: Uint8Array, i: number, end: number): number {
  return i >= 0 && i + 4 <= end ? (b[i]! | (b[i + 1]! << 8) | (b[i + 2]! << 16) | (b[i + 3]! << 24)) >>> 0 : -1;
}

/** Big-endian u16 at i, or -1. */
export function be16(b: Uint8Array, i: number, end: number): number {
  return i >= 0 && i + 2 <= end ? (b[i]! << 8) | b[i + 1]! : -1;
}

/** Big-endian u32 at i, or -1. */
export function be32(b: Uint8Array, i: number, end: number): number {
  return i >= 0 && i + 4 <= end ? ((b[i]! << 24) | (b[i + 1]! << 16) | (b[i + 2]! << 8) | b[i + 3]!) >>> 0 : -1;
}

/** Latin-1 text of b[i, i + n), clipped to `end`. */
export function latin1At(b: Uint8Array, i: number, n: number, end: number): string {
  let s = '';
  const e = Math.min(end, i + n);
  for (let k = Math.max(0, i); k < e; k++) s += String.fromCharCode(b[k]!);
  return s;
}

/** UTF-16LE text of b[i, i + n) (n bytes), clipped to `end`; a lone odd byte is dropped. */
export function utf16At(b: Uint8Array, i: number, n: number, end: number): string {
  let s = '';
  const e = Math.min(end, i + n);
  for (let k = Math.max(0, i); k + 1 < e; k += 2) s += String.fromCharCode(b[k]! | (b[k + 1]! << 8));
  return s;
}

/** Text safe to put in a one-line banner: control characters become `.`, at most `max` characters. */
export function clean(s: string, max = 256): string {
  let o = '';
  for (let k = 0; k < s.length && o.length < max; k++) {
    const c = s.charCodeAt(k);
    o += c < 0x20 || c === 0x7f ? '.' : s[k];
  }
  return o;
}

/** Hex of b[i, i + n) clipped to `end`. */
export function hexAt(b: Uint8Array, i: number, n: number, end: number): string {
  let s = '';
  const e = Math.min(end, i + n);
  for (let k = Math.max(0, i); k < e; k++) s += (b[k]! < 16 ? '0' : '') + b[k]!.toString(16);
  return s;
}

/**
 * Gathers a stream into messages: `headLen` bytes of header, from which `total(head)` gives the
 * whole message's length (header included), or -1 when the header is not one we read. A
 * message over `max` bytes is refused the same way. Bytes are copied, so the caller's buffer
 * is only read inside [off, off + len).
 */
export class Framer {
  private buf: Uint8Array;
  private have = 0;
  private need: number;
  /** The framing broke (bad header or over the cap): no more messages. */
  broken = false;

  constructor(
    private readonly headLen: number,
    private readonly total: (head: Uint8Array) => number,
    private readonly max: number,
  ) {
    this.buf = new Uint8Array(Math.max(headLen, 256));
    this.need = headLen;
  }

  /** Bytes of the current, incomplete message (for an `unknown` fallback). */
  pending(): Uint8Array {
    return this.buf.subarray(0, this.have);
  }

  /**
   * Feeds bytes; calls `onMessage(msg, len)` for each complete message (msg valid only during
   * the call). Stops when `onMessage` returns false or the framing breaks. Returns the index in
   * `b` after the last byte taken (end, unless it stopped).
   */
  push(b: Uint8Array, off: number, len: number, onMessage: (msg: Uint8Array, len: number) => boolean): number {
    let i = off;
    const end = off + len;
    while (i < end && !this.broken) {
      const n = Math.min(end - i, this.need - this.have);
      if (this.have + n > this.buf.length) {
        const g = new Uint8Array(Math.min(this.max, Math.max(this.have + n, this.buf.length * 2)));
        g.set(this.buf.subarray(0, this.have));
        this.buf = g;
      }
      for (let k = 0; k < n; k++) this.buf[this.have + k] = b[i + k]!;
      this.have += n;
      i += n;
      if (this.have < this.need) return i;
      if (this.need === this.headLen) {
        const t = this.total(this.buf.subarray(0, this.headLen));
        if (t < this.headLen || t > this.max) {
          this.broken = true;
          return i;
        }
        this.need = t;
        if (t > this.headLen) continue;
      }
      const msgLen = this.have;
      this.have = 0;
      this.need = this.headLen;
      if (!onMessage(this.buf, msgLen)) {
        this.broken = true;
        return i;
      }
    }
    return i;
  }
}
