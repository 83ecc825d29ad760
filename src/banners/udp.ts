/**
 * Banners of UDP replies (reference masscan-compat §9.4, §10.1): one datagram answers the
 * probe of the port's built-in payload, so each parser here is a pure function of that one
 * datagram's payload buf[off, off + len): the banner text, or null when the datagram is not
 * the answer it expects. Bounds are checked before every read; nothing here throws.
 *  - 53 `dns-ver`: the TXT answer to our `version.bind` CHAOS query (RFC 1035 §4.1);
 *  - 161 `snmp`: the varbinds of the GetResponse to our sysName.0/sysDescr.0 GET, as
 *    `sysName:<text> sysDescr:<text>` (RFC 1157 §4.1; BER as X.690);
 *  - 11211 `memcached`: the `stats` answer after the 8-byte UDP frame header (memcached
 *    protocol.txt "UDP protocol"), as `name=value` items separated by one space;
 *  - 123 `ntp` (udp-ntp.ts), 137 `nbtstat` (udp-nbtstat.ts), 500 `isakmp` (udp-isakmp.ts),
 *    5683 `coap` (udp-coap.ts);
 *  - anything else, or a reply the parser does not read: `unknown`, its first 64 bytes
 *    (the output escapes them).
 * With --rawudp every reply also gets an `unknown` banner of its whole payload (`rawUdpBanner`).
 */
import { berAt, type Tlv } from '../codec/ber.js';
import type { AppName } from './module.js';
import { dnsAnswerStart, inBounds, latin1, skipDnsName, u16 } from './udp-read.js';
import { parseNtp } from './udp-ntp.js';
import { parseNbtstat } from './udp-nbtstat.js';
import { parseIsakmp } from './udp-isakmp.js';
import { parseCoap } from './udp-coap.js';

/** Bytes of an unrecognised reply kept as its `unknown` banner. */
export const UDP_UNKNOWN_BYTES = 64;

/**
 * `dns-ver`: the character-strings of the first TXT answer of a DNS response, joined by a
 * space; null when it is not a response, has no TXT answer, or does not fit.
 */
export function parseDnsVersion(buf: Uint8Array, off: number, len: number): string | null {
  if (!inBounds(buf, off, len) || len < 12) return null;
  const end = off + len;
  // RFC 1035 §4.1.1: "QR  A one bit field that specifies whether this message is a query (0), or a response (1)."
  if ((buf[off + 2]! & 0x80) === 0) return null;
  const an = u16(buf, off + 6);
  if (an === 0) return null;
  let i = dnsAnswerStart(buf, off, end);
  if (i < 0) return null;
  for (let a = 0; a < an; a++) {
    i = skipDnsName(buf, i, end);
    if (i < 0 || i + 10 > end) return null;
    const type = u16(buf, i);
    const rdlen = u16(buf, i + 8);
    i += 10;
    if (i + rdlen > end) return null;
    if (type === 16) {
      // RFC 1035 §3.3.14: TXT-DATA is "One or more <character-string>s" (a length octet, then that many octets).
      const parts: string[] = [];
      let k = i;
      const rend = i + rdlen;
      while (k < rend) {
        const n = buf[k]!;
        if (k + 1 + n > rend) return null;
        parts.push(latin1(buf, k + 1, k + 1 + n));
        k += 1 + n;
      }
      return parts.join(' ');
    }
    i += rdlen;
  }
  return null;
}

/** Names of the OIDs our GET asks for (RFC 1213 system group). */
const SNMP_NAMES: Readonly<Record<string, string>> = {
  '1.3.6.1.2.1.1.1.0': 'sysDescr',
  '1.3.6.1.2.1.1.5.0': 'sysName',
};

/** Dotted text of the OBJECT IDENTIFIER contents b[t.start, t.end) (X.690 §8.19), or null. */
function oidText(b: Uint8Array, t: Tlv): string | null {
  if (t.tag !== 0x06 || t.end <= t.start || t.end - t.start > 128) return null;
  const arcs: number[] = [];
  let v = 0;
  let first = true;
  for (let i = t.start; i < t.end; i++) {
    const o = b[i]!;
    v = v * 128 + (o & 0x7f);
    if (v > 0xffffffff) return null;
    if ((o & 0x80) === 0) {
      if (first) {
        // X.690 §8.19.4: the first subidentifier is (X*40)+Y.
        const x = v < 40 ? 0 : v < 80 ? 1 : 2;
        arcs.push(x, v - x * 40);
        first = false;
      } else arcs.push(v);
      v = 0;
    }
  }
  if ((b[t.end - 1]! & 0x80) !== 0) return null;
  return arcs.join('.');
}

/** A varbind value as text: strings as they are, INTEGER-like types in decimal, else null. */
function snmpValue(b: Uint8Array, t: Tlv): string | null {
  switch (t.tag) {
    case 0x04: // OCTET STRING
      return latin1(b, t.start, t.end);
    case 0x02: // INTEGER
    case 0x41: // Counter32
    case 0x42: // Gauge32
    case 0x43: { // TimeTicks
      const n = t.end - t.start;
      if (n < 1 || n > 6) return null;
      let v = t.tag === 0x02 && (b[t.start]! & 0x80) !== 0 ? -1 : 0;
      for (let i = t.start; i < t.end; i++) v = v * 256 + b[i]!;
      return String(v);
    }
    case 0x06:
      return oidText(b, t);
    default:
      return null;
  }
}

/**
 * `snmp`: `name:value` for each varbind of an SNMP GetResponse (v1 or v2c), separated by one
 * space; the name is sysName/sysDescr for those OIDs, else the dotted OID. Varbinds with no
 * value (noSuchObject, NULL) are left out. Null when it is not a GetResponse with one.
 */
export function parseSnmp(buf: Uint8Array, off: number, len: number): string | null {
  if (!inBounds(buf, off, len)) return null;
  const end = off + len;
  const msg = berAt(buf, off, end);
  if (msg === null || msg.tag !== 0x30) return null;
  const ver = berAt(buf, msg.start, msg.end);
  if (ver === null || ver.tag !== 0x02) return null;
  const community = berAt(buf, ver.end, msg.end);
  if (community === null || community.tag !== 0x04) return null;
  const pdu = berAt(buf, community.end, msg.end);
  // RFC 1157 §4.1.4: GetResponse-PDU ::= [2] IMPLICIT PDU.
  if (pdu === null || pdu.tag !== 0xa2) return null;
  const reqId = berAt(buf, pdu.start, pdu.end);
  const err = reqId === null ? null : berAt(buf, reqId.end, pdu.end);
  const idx = err === null ? null : berAt(buf, err.end, pdu.end);
  const list = idx === null ? null : berAt(buf, idx.end, pdu.end);
  if (list === null || list.tag !== 0x30) return null;
  const out: string[] = [];
  let i = list.start;
  while (i < list.end && out.length < 32) {
    const vb = berAt(buf, i, list.end);
    if (vb === null || vb.tag !== 0x30) return null;
    i = vb.end;
    const name = berAt(buf, vb.start, vb.end);
    if (name === null) return null;
    const oid = oidText(buf, name);
    const val = berAt(buf, name.end, vb.end);
    if (oid === null || val === null) return null;
    const text = snmpValue(buf, val);
    if (text === null) continue;
    out.push(`${SNMP_NAMES[oid] ?? oid}:${text}`);
  }
  return out.length > 0 ? out.join(' ') : null;
}

/** Lines of a memcached reply read at most. */
const MEMCACHED_MAX_LINES = 256;

/**
 * `memcached` over UDP: after the frame header (request id, sequence number, datagram count,
 * reserved: four 16-bit fields), the `STAT <name> <value>` lines as `name=value`; other lines
 * as they are; `END` ends it. Null when the header or text is missing.
 * NOTE: a `stats` answer spans several datagrams; each is read on its own (the first one
 * carries pid, uptime, time and version), and a line cut at its end is left out.
 */
export function parseMemcachedUdp(buf: Uint8Array, off: number, len: number): string | null {
  if (!inBounds(buf, off, len) || len <= 8) return null;
  // Reserved field: "must be 0" (protocol.txt, "UDP protocol").
  if (buf[off + 6] !== 0 || buf[off + 7] !== 0) return null;
  const end = off + len;
  // Not the last datagram of the reply (sequence number < count - 1): its last line goes on
  // in the next one, so a line without its LF is cut and left out.
  const more = u16(buf, off + 2) + 1 < u16(buf, off + 4);
  const items: string[] = [];
  let s = off + 8;
  let lines = 0;
  while (s < end && lines < MEMCACHED_MAX_LINES) {
    let e = s;
    while (e < end && buf[e] !== 0x0a) e++;
    if (e === end && more) break;
    let t = e;
    if (t > s && buf[t - 1] === 0x0d) t--;
    const line = latin1(buf, s, t);
    lines++;
    s = e + 1;
    if (line === 'END') break;
    if (line.length === 0) continue;
    const m = /^STAT (\S+) ?(.*)$/s.exec(line);
    items.push(m !== null ? `${m[1]}=${m[2]}` : line);
  }
  return items.length > 0 ? items.join(' ') : null;
}

/** `unknown`: the first UDP_UNKNOWN_BYTES bytes of the payload (null when it is empty). */
export function parseUnknownUdp(buf: Uint8Array, off: number, len: number): string | null {
  if (!inBounds(buf, off, len) || len === 0) return null;
  return latin1(buf, off, off + Math.min(len, UDP_UNKNOWN_BYTES));
}

/** A UDP reply's banner: its app and text. */
export interface UdpBanner {
  readonly app: AppName;
  readonly text: string;
}

/**
 * Identification of a UDP reply on a port that has no parser of its own (a service on a port
 * that is not its usual one, probed with a payload of --nmap-payloads / --pcap-payloads): the
 * parsers whose replies carry a structure that random bytes rarely have, most demanding first
 * (an SNMP GetResponse with our OIDs; a DNS response with a TXT answer; memcached's frame
 * header and a first `STAT ` line; a NetBIOS node status response; an ISAKMP header; an NTP reply).
 * CoAP is not tried: a 4-byte header reads too much.
 */
const UDP_IDENTIFY: readonly [AppName, (buf: Uint8Array, off: number, len: number) => string | null][] = [
  ['snmp', parseSnmp],
  ['dns-ver', parseDnsVersion],
  ['memcached', (b, o, n) => (n >= 13 && latin1(b, o + 8, o + 13) === 'STAT ' ? parseMemcachedUdp(b, o, n) : null)],
  ['nbtstat', parseNbtstat],
  ['isakmp', parseIsakmp],
  ['ntp', (b, o, n) => (n >= 48 && ((b[o]! >>> 3) & 7) >= 2 && ((b[o]! >>> 3) & 7) <= 4 ? parseNtp(b, o, n) : null)],
];

/**
 * The banner of a reply from UDP port `port` (payload buf[off, off + len)): the port's own
 * parser, else (with `identify`, on a port without a parser) the first of UDP_IDENTIFY that
 * reads it, else `unknown`; null for an empty payload.
 */
export function udpBanner(port: number, buf: Uint8Array, off: number, len: number, identify = false): UdpBanner | null {
  let app: AppName | null = null;
  let text: string | null = null;
  if (port === 53) { app = 'dns-ver'; text = parseDnsVersion(buf, off, len); }
  else if (port === 161) { app = 'snmp'; text = parseSnmp(buf, off, len); }
  else if (port === 11211) { app = 'memcached'; text = parseMemcachedUdp(buf, off, len); }
  else if (port === 123) { app = 'ntp'; text = parseNtp(buf, off, len); }
  else if (port === 137) { app = 'nbtstat'; text = parseNbtstat(buf, off, len); }
  else if (port === 500) { app = 'isakmp'; text = parseIsakmp(buf, off, len); }
  else if (port === 5683) { app = 'coap'; text = parseCoap(buf, off, len); }
  if (app !== null && text !== null) return { app, text };
  // the guesses read their first octets before their parsers check the range: check it here
  if (app === null && identify && inBounds(buf, off, len)) {
    for (const [a, parse] of UDP_IDENTIFY) {
      const t = parse(buf, off, len);
      if (t !== null) return { app: a, text: t };
    }
  }
  const u = parseUnknownUdp(buf, off, len);
  return u === null ? null : { app: 'unknown', text: u };
}

/**
 * --rawudp (reference masscan-compat §1.6, §7): the whole payload as an `unknown` banner, besides
 * the port's own banner; null for an empty payload or when `first` (the reply's banner from
 * udpBanner) is already exactly that.
 */
export function rawUdpBanner(first: UdpBanner | null, buf: Uint8Array, off: number, len: number): UdpBanner | null {
  if (!inBounds(buf, off, len) || len === 0) return null;
  const text = latin1(buf, off, off + len);
  return first !== null && first.app === 'unknown' && first.text === text ? null : { app: 'unknown', text };
}
