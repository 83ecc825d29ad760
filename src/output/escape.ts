/**
 * masscan's banner escaping (reference §4.1).
 *
 * Kept as-is: printable ASCII 0x20..0x7E except `< > & \ " '`. Every other byte becomes
 * `\xNN` (lowercase hex) in list, grepable, XML, unicornscan and interactive output, so the
 * escaped text is pure ASCII and needs no further quoting in an XML attribute. JSON and NDJSON
 * keep the same set and escape the rest as `\u00NN`: we get there by giving JSON.stringify a
 * string whose characters are the banner bytes (U+0000..U+00FF, one per byte) and then
 * rewriting, inside the stringified record only, the characters JSON.stringify leaves
 * literal or escapes differently (see jsonMasscanEscapes). The parsed JSON value is the
 * banner's bytes as code points either way; the rewrite only makes the bytes on disk equal
 * masscan's and keeps the output pure ASCII.
 */

/** 1 when byte b is kept verbatim. */
const KEEP = new Uint8Array(256);
for (let b = 0x20; b <= 0x7e; b++) KEEP[b] = 1;
for (const c of '<>&\\"\'') KEEP[c.charCodeAt(0)] = 0;

const HEX = '0123456789abcdef';
const HEXB = new Uint8Array(16);
for (let i = 0; i < 16; i++) HEXB[i] = HEX.charCodeAt(i);

/** Length in bytes of the `\xNN`-escaped form of `bytes`. */
export function escapedLength(bytes: Uint8Array): number {
  let n = 0;
  for (let i = 0; i < bytes.length; i++) n += KEEP[bytes[i]!] === 1 ? 1 : 4;
  return n;
}

/**
 * Writes the `\xNN`-escaped form of `bytes` into `out` at `pos` and returns the new
 * position. The caller guarantees `out` has escapedLength(bytes) (at most 4 * length) bytes
 * free.
 */
export function writeEscaped(bytes: Uint8Array, out: Uint8Array, pos: number): number {
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i]!;
    if (KEEP[b] === 1) {
      out[pos++] = b;
    } else {
      out[pos++] = 0x5c; // '\'
      out[pos++] = 0x78; // 'x'
      out[pos++] = HEXB[b >>> 4]!;
      out[pos++] = HEXB[b & 15]!;
    }
  }
  return pos;
}

let scratch = Buffer.allocUnsafe(4096);

/** The `\xNN`-escaped banner as a string (pure ASCII). */
export function escapeBanner(bytes: Uint8Array): string {
  const need = bytes.length * 4;
  if (scratch.length < need) scratch = Buffer.allocUnsafe(Math.max(need, scratch.length * 2));
  const end = writeEscaped(bytes, scratch, 0);
  return scratch.toString('latin1', 0, end);
}

/** The banner's bytes as a string of U+0000..U+00FF characters, one per byte. */
export function bytesToLatin1(bytes: Uint8Array): string {
  if (bytes.length === 0) return '';
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString('latin1');
}

const SHORT_ESC: Record<string, string> = {
  '\\': '\\u005c',
  '"': '\\u0022',
  b: '\\u0008',
  f: '\\u000c',
  n: '\\u000a',
  r: '\\u000d',
  t: '\\u0009',
};

// Matches either a two-character escape JSON.stringify emits (`\\`, `\"`, `\n`, ...) or one
// character outside masscan's kept set that JSON.stringify leaves literal. Escapes are matched
// as whole tokens from left to right, so `\\n` (an escaped backslash then `n`) is never read
// as `\n`. `\uXXXX` escapes from JSON.stringify are left alone (they already are `\u00NN`
// for the control characters this can meet, in lowercase hex like masscan's).
const JSON_FIX = /\\(["\\bfnrt])|[<>&'\u007f-\uffff]/g;

function fixOne(m: string, short: string | undefined): string {
  if (short !== undefined) return SHORT_ESC[short]!;
  const c = m.charCodeAt(0);
  return '\\u' + HEX[(c >>> 12) & 15]! + HEX[(c >>> 8) & 15]! + HEX[(c >>> 4) & 15]! + HEX[c & 15]!;
}

/**
 * Rewrites a JSON.stringify result so that every string character outside masscan's kept set
 * is a `\u00NN` escape (pure-ASCII output, byte-equal to masscan's banners). Only valid on the
 * output of JSON.stringify: outside strings it emits none of the matched characters, and
 * inside strings each replacement is an equivalent JSON escape, so the parsed value is
 * unchanged.
 */
export function jsonMasscanEscapes(json: string): string {
  return json.replace(JSON_FIX, fixOne);
}

/** Escapes text for an XML attribute value in double quotes (names, URLs, arguments). */
export function xmlAttr(s: string): string {
  // Control characters other than tab/LF/CR are not allowed in XML 1.0 at all: print them as
  // masscan prints banner bytes.
  return s.replace(/[&<>"'\u0000-\u001f\u007f]/g, (c) => {
    switch (c) {
      case '&': return '&amp;';
      case '<': return '&lt;';
      case '>': return '&gt;';
      case '"': return '&quot;';
      case "'": return '&apos;';
      default: {
        const n = c.charCodeAt(0);
        return '\\x' + HEX[n >>> 4]! + HEX[n & 15]!;
      }
    }
  });
}
