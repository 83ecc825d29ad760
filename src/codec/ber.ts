/**
 * The little of BER/DER (X.690) that the LDAP and Kerberos hellos need: a DER writer of
 * definite-length TLVs and a bounds-checked reader of one TLV header.
 */

/** DER length octets (X.690 §8.1.3: short form below 128, else long form). */
export function derLength(n: number): number[] {
  if (n < 0x80) return [n];
  const out: number[] = [];
  for (let v = n; v > 0; v = Math.floor(v / 256)) out.unshift(v & 0xff);
  return [0x80 | out.length, ...out];
}

/** One TLV: `tag` (one octet), the body's length, the body. */
export function der(tag: number, body: readonly number[]): number[] {
  return [tag, ...derLength(body.length), ...body];
}

/**
 * One TLV with its length in the long form on `width` octets whatever the length (X.690
 * §8.1.3.5 allows it in BER, not in DER): some probes are written so, and are sent byte for byte.
 */
export function berWide(tag: number, body: readonly number[], width: number): number[] {
  const len: number[] = [];
  for (let k = width - 1, v = body.length; k >= 0; k--) len[k] = v & 0xff, v = Math.floor(v / 256);
  return [tag, 0x80 | width, ...len, ...body];
}

/** DER INTEGER of a non-negative number (X.690 §8.3: two's complement, minimal octets). */
export function derInt(v: number): number[] {
  const out: number[] = [];
  let x = v;
  do { out.unshift(x & 0xff); x = Math.floor(x / 256); } while (x > 0);
  if (out[0]! & 0x80) out.unshift(0);
  return der(0x02, out);
}

/** An OCTET STRING (or any string type `tag`) of latin1 text. */
export function derStr(tag: number, s: string): number[] {
  return der(tag, Array.from(Buffer.from(s, 'latin1')));
}

/** A TLV header read: the tag, where the contents start and end. */
export interface Tlv {
  readonly tag: number;
  readonly start: number;
  readonly end: number;
}

/**
 * The TLV at b[i, limit): null when its header or contents do not fit, when the length is
 * indefinite (DER forbids it; we read none) or longer than 4 octets. Tags are one octet (the
 * low-tag-number form, X.690 §8.1.2.2), which is every tag LDAP and Kerberos use here.
 */
export function berAt(b: Uint8Array, i: number, limit: number): Tlv | null {
  if (i < 0 || i + 2 > limit || limit > b.length) return null;
  const tag = b[i]!;
  if ((tag & 0x1f) === 0x1f) return null;
  const l0 = b[i + 1]!;
  let start = i + 2;
  let len = l0;
  if (l0 & 0x80) {
    const n = l0 & 0x7f;
    if (n === 0 || n > 4 || start + n > limit) return null;
    len = 0;
    for (let k = 0; k < n; k++) len = len * 256 + b[start + k]!;
    start += n;
  }
  if (len > limit - start) return null;
  return { tag, start, end: start + len };
}

/**
 * The total length (header + contents) of the TLV starting at b[0, have), once its header is
 * complete: -1 while more header bytes are needed, -2 when it is not a definite-length TLV.
 */
export function berTotal(b: Uint8Array, have: number): number {
  if (have < 2) return -1;
  if ((b[0]! & 0x1f) === 0x1f) return -2;
  const l0 = b[1]!;
  if ((l0 & 0x80) === 0) return 2 + l0;
  const n = l0 & 0x7f;
  if (n === 0 || n > 4) return -2;
  if (have < 2 + n) return -1;
  let len = 0;
  for (let k = 0; k < n; k++) len = len * 256 + b[2 + k]!;
  return 2 + n + len;
}

/** An INTEGER's value (up to 6 octets, two's complement), or null. */
export function berInt(b: Uint8Array, t: Tlv): number | null {
  const n = t.end - t.start;
  if (t.tag !== 0x02 || n < 1 || n > 6) return null;
  let v = b[t.start]! & 0x80 ? -1 : 0;
  for (let k = t.start; k < t.end; k++) v = v * 256 + b[k]!;
  return v;
}
