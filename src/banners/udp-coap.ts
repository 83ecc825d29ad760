/**
 * `coap`: the answer to tidescan's CoAP `GET /.well-known/core` on UDP port 5683
 * (udp-payloads.ts), read as RFC 7252 §3 lays a message out:
 *   Ver (2 bits, 1) | T (2: CON, NON, ACK, RST) | TKL (4: token length 0-8; "Lengths 9-15 are
 *   reserved, MUST NOT be sent, and MUST be processed as a message format error")
 *   Code (8: class 3 bits . detail 5 bits) | Message ID (16) | Token (TKL octets)
 *   Options (§3.1: delta and length nibbles; 13 adds one octet minus 13, 14 two octets minus
 *   269, 15 is reserved but for the 0xFF payload marker) | 0xFF | Payload.
 * The banner: `CoAP <type> <c.dd> <reason>`, then `format=<n>` for a Content-Format option
 * (number 12; 40 is application/link-format, RFC 6690), then the payload (the resource list of
 * /.well-known/core), cut at PAYLOAD_MAX octets: e.g. `CoAP ACK 2.05 Content format=40
 * </>;title="General Info";ct=0,...`. A request (class 0 with a method code) is not an answer:
 * null, as is anything malformed. Every read is checked first; nothing here throws.
 */
import { inBounds, latin1, u16 } from './udp-read.js';

/** Payload octets kept at most. */
const PAYLOAD_MAX = 1024;
/** Options read at most (a message carries a handful). */
const MAX_OPTIONS = 64;
/** RFC 7252 §5.10: Content-Format. */
const CONTENT_FORMAT = 12;

const TYPES = ['CON', 'NON', 'ACK', 'RST'] as const;

/** RFC 7252 §12.1.2 "CoAP Response Codes". */
const REASONS: Readonly<Record<string, string>> = {
  '2.01': 'Created', '2.02': 'Deleted', '2.03': 'Valid', '2.04': 'Changed', '2.05': 'Content',
  '4.00': 'Bad Request', '4.01': 'Unauthorized', '4.02': 'Bad Option', '4.03': 'Forbidden',
  '4.04': 'Not Found', '4.05': 'Method Not Allowed', '4.06': 'Not Acceptable',
  '4.12': 'Precondition Failed', '4.13': 'Request Entity Too Large',
  '4.15': 'Unsupported Content-Format', '5.00': 'Internal Server Error', '5.01': 'Not Implemented',
  '5.02': 'Bad Gateway', '5.03': 'Service Unavailable', '5.04': 'Gateway Timeout',
  '5.05': 'Proxying Not Supported',
};

/**
 * An option's extended delta or length (RFC 7252 §3.1): the nibble itself below 13; 13: one
 * more octet + 13; 14: two more octets + 269. Sets `at[0]` past what it read; -1 if reserved
 * (15) or cut.
 */
function extended(b: Uint8Array, nibble: number, i: number, end: number, at: number[]): number {
  if (nibble < 13) { at[0] = i; return nibble; }
  if (nibble === 13) {
    if (i + 1 > end) return -1;
    at[0] = i + 1;
    return b[i]! + 13;
  }
  if (nibble === 14) {
    if (i + 2 > end) return -1;
    at[0] = i + 2;
    return u16(b, i) + 269;
  }
  return -1;
}

/** The `coap` banner of a reply from port 5683, or null. */
export function parseCoap(buf: Uint8Array, off: number, len: number): string | null {
  if (!inBounds(buf, off, len) || len < 4) return null;
  const end = off + len;
  const first = buf[off]!;
  if (first >>> 6 !== 1) return null;
  const type = TYPES[(first >>> 4) & 3]!;
  const tkl = first & 0x0f;
  if (tkl > 8) return null;
  const code = buf[off + 1]!;
  const cls = code >>> 5;
  const detail = code & 0x1f;
  // Class 0 with a non-zero detail is a request method (GET 0.01 ...): not an answer.
  if (cls === 0 && detail !== 0) return null;
  const codeText = `${cls}.${String(detail).padStart(2, '0')}`;
  let i = off + 4 + tkl;
  if (i > end) return null;
  const parts = [`CoAP ${type} ${codeText}`];
  const reason = REASONS[codeText];
  if (reason !== undefined) parts.push(reason);
  const at = [0];
  let number = 0;
  let payload = -1;
  for (let k = 0; i < end; k++) {
    if (k >= MAX_OPTIONS) return null;
    const o = buf[i]!;
    if (o === 0xff) {
      payload = i + 1;
      break;
    }
    const delta = extended(buf, o >>> 4, i + 1, end, at);
    if (delta < 0) return null;
    const olen = extended(buf, o & 0x0f, at[0]!, end, at);
    if (olen < 0) return null;
    const v = at[0]!;
    if (v + olen > end) return null;
    number += delta;
    if (number === CONTENT_FORMAT && olen <= 2) {
      parts.push(`format=${olen === 0 ? 0 : olen === 1 ? buf[v]! : u16(buf, v)}`);
    }
    i = v + olen;
  }
  if (payload >= 0 && payload < end) parts.push(latin1(buf, payload, Math.min(end, payload + PAYLOAD_MAX)));
  return parts.join(' ');
}
