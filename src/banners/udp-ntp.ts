/**
 * `ntp`: the banner of a reply from UDP port 123, whichever of the three NTP probes asked
 * (udp-payloads.ts NTP_PROBES, --ntp-probe). The mode of the reply's first octet says which:
 *  - mode 4 (server), the answer to the mode-3 client request (RFC 5905 §7.3 packet header):
 *    `NTPv4 server leap=0 stratum=2 refid=192.0.2.1 precision=-24 poll=6 rootdelay=0.001
 *    rootdisp=0.020 time=2026-12-03T22:47:45Z`. A stratum-0 reply is a kiss-o'-death
 *    (RFC 5905 §7.4): its reference ID is the kiss code, shown as `kiss=RATE` (when it is
 *    ASCII; chrony's unsynchronised replies carry zero there: `refid=0.0.0.0`); a stratum-1
 *    reference ID is ASCII (`refid=GPS`); above that an IPv4 address (or, from an IPv6
 *    server, the first four octets of an address hash: shown dotted all the same).
 *  - mode 6 (control), the answer to READVAR (RFC 9327 §2): `readvar <the variables>`, the
 *    data of the first fragment with its line breaks made spaces; an error response (E bit)
 *    `Response was NTP Error Code <n>` (the status word's high octet, RFC 9327 §2.1).
 *  - mode 7 (ntpd's private mode, the answer to masscan's monlist; the layout is ntpd's
 *    ntp_request.h, there is no RFC): `monlist items=<n> itemsize=<s>` and the first
 *    addresses of the list (`addr=…`, at offset 16 of every item in both the old
 *    info_monitor and the info_monitor_1 layouts); an error `Response was NTP Error Code <n>`.
 * Null for anything else (a request, a short or inconsistent packet). Every read is checked
 * against [off, off + len) first; nothing here throws.
 */
import { be32 } from '../codec/frame.js';
import { inBounds, ipv4At, latin1, u16 } from './udp-read.js';

/** NTP header (RFC 5905 §7.3: 48 octets without extension fields or MAC). */
const NTP_HEADER = 48;
/** Control message header (RFC 9327 §2: 12 octets before the data). */
const CONTROL_HEADER = 12;
/** Mode-7 header (ntp_request.h struct resp_pkt: 8 octets before the data). */
const MODE7_HEADER = 8;
/** Addresses of a monlist reply shown at most. */
const MONLIST_ADDRS = 8;
/** Readvar text kept at most (a fragment carries up to 468 octets of data, RFC 9327 §2). */
const READVAR_MAX = 500;
/** Seconds from the NTP prime epoch (1900) to the Unix epoch (RFC 5905 §6, Figure 4). */
const NTP_UNIX_OFFSET = 2_208_988_800;

/** NTP short format (RFC 5905 §6: 16-bit seconds, 16-bit fraction) as seconds, 6 decimals. */
function shortFormat(v: number): string {
  return (v / 65536).toFixed(6);
}

/** A signed octet (poll and precision are log2 seconds, RFC 5905 §7.3). */
function s8(v: number): number {
  return v >= 128 ? v - 256 : v;
}

/** A reference ID of printable ASCII (kiss code, stratum-1 source), NULs at its end cut; else null. */
function asciiRefid(b: Uint8Array, i: number): string | null {
  let n = 4;
  while (n > 0 && b[i + n - 1] === 0) n--;
  if (n === 0) return null;
  for (let k = 0; k < n; k++) {
    const c = b[i + k]!;
    if (c < 0x20 || c > 0x7e) return null;
  }
  return latin1(b, i, i + n);
}

/**
 * An NTP timestamp's seconds (RFC 5905 §6) as UTC text; era 0 before 2036, and a value below
 * 2^31 is read as era 1 (after 2036-02-07), as RFC 4330 §3 does. Zero: `0` (not set).
 */
function timestampText(sec: number): string {
  if (sec === 0) return '0';
  const unix = sec >= 0x80000000 ? sec - NTP_UNIX_OFFSET : sec + 0x100000000 - NTP_UNIX_OFFSET;
  return new Date(unix * 1000).toISOString().replace('.000Z', 'Z');
}

function serverReply(b: Uint8Array, off: number, len: number): string | null {
  if (len < NTP_HEADER) return null;
  const end = off + len;
  const first = b[off]!;
  const leap = first >>> 6;
  const vn = (first >>> 3) & 7;
  const stratum = b[off + 1]!;
  const parts = [`NTPv${vn} server`, `leap=${leap}`, `stratum=${stratum}`];
  const refAt = off + 12;
  if (stratum === 0) {
    // RFC 5905 §7.4: "If the Stratum field is 0, which implies unspecified or invalid, the
    // Reference Identifier field can be used to convey messages useful for status reporting
    // and access control. These are called Kiss-o'-Death (KoD) packets and the ASCII
    // messages they convey are called kiss codes."
    // chrony, unsynchronised, sends stratum 0 with a zero reference ID: no kiss code.
    const kiss = asciiRefid(b, refAt);
    parts.push(kiss !== null ? `kiss=${kiss}` : `refid=${ipv4At(b, refAt)}`);
  } else if (stratum === 1) {
    parts.push(`refid=${asciiRefid(b, refAt) ?? ipv4At(b, refAt)}`);
  } else {
    parts.push(`refid=${ipv4At(b, refAt)}`);
  }
  parts.push(
    `precision=${s8(b[off + 3]!)}`, `poll=${s8(b[off + 2]!)}`,
    `rootdelay=${shortFormat(be32(b, off + 4, end))}`, `rootdisp=${shortFormat(be32(b, off + 8, end))}`,
    // The transmit timestamp: the server's clock when it answered.
    `time=${timestampText(be32(b, off + 40, end))}`,
  );
  return parts.join(' ');
}

function controlReply(b: Uint8Array, off: number, len: number): string | null {
  if (len < CONTROL_HEADER) return null;
  const rem = b[off + 1]!;
  // RFC 9327 §2: "Response Bit (R): Set to zero for commands, one for responses."
  if ((rem & 0x80) === 0) return null;
  // "Error Bit (E): Set to zero for normal response, one for error response."
  if ((rem & 0x40) !== 0) return `Response was NTP Error Code ${b[off + 4]!}`;
  const count = u16(b, off + 10);
  if (CONTROL_HEADER + count > len) return null;
  const start = off + CONTROL_HEADER;
  const end = start + Math.min(count, READVAR_MAX);
  let text = '';
  let space = false;
  for (let i = start; i < end; i++) {
    const c = b[i]!;
    if (c === 0x0d || c === 0x0a) { space = text.length > 0; continue; }
    if (c === 0) continue;
    if (space) { text += ' '; space = false; }
    text += String.fromCharCode(c);
  }
  return text.length > 0 ? `readvar ${text}` : null;
}

function privateReply(b: Uint8Array, off: number, len: number): string | null {
  if (len < MODE7_HEADER) return null;
  // ntp_request.h: "R: response bit"; a request is not an answer.
  if ((b[off]! & 0x80) === 0) return null;
  const err = b[off + 4]! >>> 4;
  if (err !== 0) return `Response was NTP Error Code ${err}`;
  const req = b[off + 3]!;
  const items = u16(b, off + 4) & 0x0fff;
  const size = u16(b, off + 6) & 0x0fff;
  // MON_GETLIST (20) and MON_GETLIST_1 (42): the monitor list.
  if (req !== 20 && req !== 42) return `mode7 impl=${b[off + 2]!} req=${req} items=${items} itemsize=${size}`;
  const parts = [`monlist items=${items} itemsize=${size}`];
  if (size >= 20) {
    for (let k = 0; k < items && k < MONLIST_ADDRS; k++) {
      const at = MODE7_HEADER + k * size + 16;
      if (at + 4 > len) break;
      parts.push(`addr=${ipv4At(b, off + at)}`);
    }
  }
  return parts.join(' ');
}

/** The `ntp` banner of a reply from port 123 (see the module comment), or null. */
export function parseNtp(buf: Uint8Array, off: number, len: number): string | null {
  if (!inBounds(buf, off, len) || len < 1) return null;
  switch (buf[off]! & 7) {
    case 4: return serverReply(buf, off, len);
    case 6: return controlReply(buf, off, len);
    case 7: return privateReply(buf, off, len);
    default: return null;
  }
}
