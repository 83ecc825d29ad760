/**
 * `isakmp`: the answer to tidescan's IKEv1 main-mode SA proposal on UDP port 500
 * (udp-payloads.ts), read as RFC 2408 lays it out:
 *  - header (§3.1, 28 octets): initiator cookie (8; ours, checked by the receive side),
 *    responder cookie (8), next payload, version (major.minor nibbles), exchange type, flags,
 *    message ID, length;
 *  - a chain of payloads, each with the generic header (§3.2: next payload, reserved, length
 *    including the header);
 *  - SA (§3.4: DOI, situation, then a proposal payload, §3.5, whose transform payloads, §3.6,
 *    carry the data attributes, §3.3, TV when the AF bit is set, else TLV): the transform the
 *    responder chose, with RFC 2409 Appendix A's names;
 *  - Notification (§3.14: DOI, protocol, SPI size, notify message type, §3.14.1 names);
 *  - Vendor ID (§3.16): its hash in hex, named where an RFC defines it (RFC 3706 §7 DPD,
 *    RFC 3947 §3 NAT-T, the MD5 of "RFC 3947").
 * An IKEv2 responder's header has version 2.0 (RFC 7296 §3.1) and its Notify payload no DOI
 * (§3.10); both are read.
 *
 * The banner: `IKEv<v> <exchange> rcookie=<hex>`, then per payload `SA enc=… hash=… auth=…
 * group=… life=…s`, `notify=<NAME>(<n>)`, `vid=<hex>[(<name>)]`, or the payload's name, all
 * separated by one space. E.g. strongSwan with no matching connection answers
 * `IKEv1 informational rcookie=63856a3cf1d221fe notify=NO-PROPOSAL-CHOSEN(14)`.
 * Null when it is not an ISAKMP message. Every read is checked first; nothing here throws.
 */
import { be32, hexAt } from '../codec/frame.js';
import { inBounds, u16 } from './udp-read.js';

const HEADER = 28;
/** Payloads walked at most. */
const MAX_PAYLOADS = 32;
/** Transforms / attributes read at most in one SA. */
const MAX_ITEMS = 64;

/** RFC 2408 §3.1 exchange types, RFC 2409 §5.5/§5.6 quick mode and new group; RFC 7296 §3.1. */
const EXCHANGES: Readonly<Record<number, string>> = {
  1: 'base', 2: 'main-mode', 3: 'auth-only', 4: 'aggressive', 5: 'informational',
  32: 'quick-mode', 33: 'new-group',
  34: 'IKE_SA_INIT', 35: 'IKE_AUTH', 36: 'CREATE_CHILD_SA', 37: 'INFORMATIONAL',
};

/** Payload names: RFC 2408 §3.1 (IKEv1), RFC 3947 §3.2 NAT-D (20), RFC 7296 §3.2 (IKEv2). */
const PAYLOADS: Readonly<Record<number, string>> = {
  1: 'SA', 2: 'P', 3: 'T', 4: 'KE', 5: 'ID', 6: 'CERT', 7: 'CR', 8: 'HASH', 9: 'SIG', 10: 'NONCE',
  11: 'N', 12: 'D', 13: 'VID', 20: 'NAT-D',
  33: 'SA', 34: 'KE', 35: 'IDi', 36: 'IDr', 37: 'CERT', 38: 'CERTREQ', 39: 'AUTH', 40: 'NONCE',
  41: 'N', 42: 'D', 43: 'VID', 44: 'TSi', 45: 'TSr', 46: 'SK', 47: 'CP', 48: 'EAP',
};

/** RFC 2408 §3.14.1 notify message types (errors). */
const NOTIFY_V1: readonly string[] = [
  '', 'INVALID-PAYLOAD-TYPE', 'DOI-NOT-SUPPORTED', 'SITUATION-NOT-SUPPORTED', 'INVALID-COOKIE',
  'INVALID-MAJOR-VERSION', 'INVALID-MINOR-VERSION', 'INVALID-EXCHANGE-TYPE', 'INVALID-FLAGS',
  'INVALID-MESSAGE-ID', 'INVALID-PROTOCOL-ID', 'INVALID-SPI', 'INVALID-TRANSFORM-ID',
  'ATTRIBUTES-NOT-SUPPORTED', 'NO-PROPOSAL-CHOSEN', 'BAD-PROPOSAL-SYNTAX', 'PAYLOAD-MALFORMED',
  'INVALID-KEY-INFORMATION', 'INVALID-ID-INFORMATION', 'INVALID-CERT-ENCODING',
  'INVALID-CERTIFICATE', 'CERT-TYPE-UNSUPPORTED', 'INVALID-CERT-AUTHORITY',
  'INVALID-HASH-INFORMATION', 'AUTHENTICATION-FAILED', 'INVALID-SIGNATURE',
  'ADDRESS-NOTIFICATION', 'NOTIFY-SA-LIFETIME', 'CERTIFICATE-UNAVAILABLE',
  'UNSUPPORTED-EXCHANGE-TYPE', 'UNEQUAL-PAYLOAD-LENGTHS',
];

/** RFC 7296 §3.10.1 notify message types (the ones a responder sends to a stranger). */
const NOTIFY_V2: Readonly<Record<number, string>> = {
  1: 'UNSUPPORTED_CRITICAL_PAYLOAD', 4: 'INVALID_IKE_SPI', 5: 'INVALID_MAJOR_VERSION',
  7: 'INVALID_SYNTAX', 9: 'INVALID_MESSAGE_ID', 14: 'NO_PROPOSAL_CHOSEN',
  17: 'INVALID_KE_PAYLOAD', 24: 'AUTHENTICATION_FAILED', 16390: 'COOKIE',
};

/** Vendor IDs that RFCs define. */
const VENDOR_IDS: Readonly<Record<string, string>> = {
  afcad71368a1f1c96b8696fc77570100: 'DPD', // RFC 3706 §7
  '4a131c81070358455c5728f20e95452f': 'NAT-T', // RFC 3947 §3
};

/** RFC 2409 Appendix A attribute values; AES-CBC from RFC 3602 §5.1, SHA-2 from RFC 4868 §4. */
const ENC: readonly string[] = ['', 'DES-CBC', 'IDEA-CBC', 'Blowfish-CBC', 'RC5-R16-B64-CBC', '3DES-CBC', 'CAST-CBC', 'AES-CBC'];
const HASH: readonly string[] = ['', 'MD5', 'SHA', 'Tiger', 'SHA2-256', 'SHA2-384', 'SHA2-512'];
const AUTH: readonly string[] = ['', 'PSK', 'DSS', 'RSA-sig', 'RSA-enc', 'RSA-rev-enc'];

function named(table: readonly string[], v: number): string {
  const n = table[v];
  return n !== undefined && n !== '' ? n : String(v);
}

/** The attributes of one transform payload body b[i, end) as `name=value` text. */
function attributes(b: Uint8Array, i: number, end: number): string[] {
  const out: string[] = [];
  let enc = '';
  let keyLen = 0;
  let lifeSeconds = false;
  for (let k = 0; k < MAX_ITEMS && i + 4 <= end; k++) {
    const t = u16(b, i);
    const tv = (t & 0x8000) !== 0;
    const type = t & 0x7fff;
    let v: number;
    if (tv) {
      v = u16(b, i + 2);
      i += 4;
    } else {
      const n = u16(b, i + 2);
      if (i + 4 + n > end) break;
      v = -1;
      if (n >= 1 && n <= 4) {
        v = 0;
        for (let j = i + 4; j < i + 4 + n; j++) v = v * 256 + b[j]!;
      }
      i += 4 + n;
      if (v < 0) continue;
    }
    switch (type) {
      case 1: enc = named(ENC, v); break;
      case 2: out.push(`hash=${named(HASH, v)}`); break;
      case 3: out.push(`auth=${named(AUTH, v)}`); break;
      case 4: out.push(`group=${v}`); break;
      case 11: lifeSeconds = v === 1; break;
      case 12: out.push(`life=${v}${lifeSeconds ? 's' : 'kB'}`); break;
      case 14: keyLen = v; break;
      default: break;
    }
  }
  if (enc !== '') out.unshift(`enc=${enc}${keyLen > 0 ? `-${keyLen}` : ''}`);
  return out;
}

/** An IKEv1 SA payload body b[i, end): `SA` and the first proposal's first transform. */
function saText(b: Uint8Array, i: number, end: number): string {
  // DOI (4), situation (4), then the proposal payload.
  const p = i + 8;
  if (p + 8 > end) return 'SA';
  const pEnd = Math.min(end, p + u16(b, p + 2));
  const spi = b[p + 6]!;
  const t = p + 8 + spi;
  // The transform payload: generic header, transform #, transform ID, 2 reserved, attributes.
  if (t + 8 > pEnd) return 'SA';
  const tEnd = Math.min(pEnd, t + u16(b, t + 2));
  const attrs = attributes(b, t + 8, tEnd);
  return attrs.length > 0 ? `SA ${attrs.join(' ')}` : 'SA';
}

/** The `isakmp` banner of a reply from port 500, or null. */
export function parseIsakmp(buf: Uint8Array, off: number, len: number): string | null {
  if (!inBounds(buf, off, len) || len < HEADER) return null;
  const major = buf[off + 17]! >>> 4;
  if (major !== 1 && major !== 2) return null;
  const total = be32(buf, off + 24, off + len);
  if (total < HEADER) return null;
  const end = off + Math.min(len, total);
  const ex = buf[off + 18]!;
  const parts = [`IKEv${major} ${EXCHANGES[ex] ?? `exchange=${ex}`}`, `rcookie=${hexAt(buf, off + 8, 8, end)}`];
  let next = buf[off + 16]!;
  let i = off + HEADER;
  for (let k = 0; next !== 0 && k < MAX_PAYLOADS; k++) {
    if (i + 4 > end) break;
    const plen = u16(buf, i + 2);
    if (plen < 4 || i + plen > end) break;
    const body = i + 4;
    const pEnd = i + plen;
    if (next === 1) parts.push(saText(buf, body, pEnd));
    else if (next === 11 && body + 8 <= pEnd) {
      const type = u16(buf, body + 6);
      parts.push(`notify=${named(NOTIFY_V1, type)}(${type})`);
    } else if (next === 41 && body + 4 <= pEnd) {
      const type = u16(buf, body + 2);
      parts.push(`notify=${NOTIFY_V2[type] ?? String(type)}(${type})`);
    } else if (next === 13 || next === 43) {
      const h = hexAt(buf, body, 32, pEnd);
      const name = VENDOR_IDS[h];
      parts.push(name !== undefined ? `vid=${h}(${name})` : `vid=${h}`);
    } else parts.push(PAYLOADS[next] ?? `payload=${next}`);
    next = buf[i]!;
    i = pEnd;
  }
  return parts.join(' ');
}
