/**
 * `nbtstat`: the NetBIOS name table of a NODE STATUS RESPONSE (RFC 1002 §4.2.18), the answer
 * to the node status query for `*` that tidescan sends to UDP port 137 (udp-payloads.ts).
 *
 * The response: the name service header (§4.2.1.1: NAME_TRN_ID, then R | OPCODE | NM_FLAGS |
 * RCODE, QDCOUNT, ANCOUNT, NSCOUNT, ARCOUNT), one resource record (RR_NAME as the query's,
 * RR_TYPE NBSTAT 0x0021, RR_CLASS IN, TTL, RDLENGTH), and its RDATA: NUM_NAMES (one octet),
 * NUM_NAMES NODE_NAME entries of 18 octets (the 16-octet NetBIOS name: 15 characters padded
 * with spaces, then the suffix octet; then NAME_FLAGS, whose G bit 0x8000 marks a group
 * name), then STATISTICS, which begin with the 6-octet UNIT_ID (the MAC address; Samba sends
 * zeros).
 *
 * The banner: every name as `NAME<xx>` (trailing spaces cut, the suffix in hex), `/group` after
 * a group name, then `mac=xx:xx:xx:xx:xx:xx` when the statistics are there, all separated by
 * one space. E.g. `HOST<00> HOST<20> WORKGROUP<00>/group mac=00:00:00:00:00:00`. Null when it
 * is not a positive node status response. Every read is checked first; nothing here throws.
 */
import { hexAt } from '../codec/frame.js';
import { dnsAnswerStart, inBounds, latin1, skipDnsName, u16 } from './udp-read.js';

/** RFC 1002 §4.2.18: RR_TYPE NBSTAT. */
const NBSTAT = 0x0021;
/** Octets of one NODE_NAME entry: 16-octet name, 2-octet NAME_FLAGS. */
const ENTRY = 18;
/** NAME_FLAGS: "G 0 RESERVED Group Name Flag" (RFC 1002 §4.2.18). */
const GROUP = 0x8000;

/** The `nbtstat` banner of a reply from port 137, or null. */
export function parseNbtstat(buf: Uint8Array, off: number, len: number): string | null {
  if (!inBounds(buf, off, len) || len < 12) return null;
  const end = off + len;
  const flags = u16(buf, off + 2);
  // R = 1 (a response), OPCODE 0 (query), RCODE 0 (no error).
  if ((flags & 0x8000) === 0 || ((flags >>> 11) & 0xf) !== 0 || (flags & 0xf) !== 0) return null;
  const an = u16(buf, off + 6);
  if (an === 0) return null;
  let i = dnsAnswerStart(buf, off, end);
  if (i < 0) return null;
  i = skipDnsName(buf, i, end);
  if (i < 0 || i + 10 > end) return null;
  if (u16(buf, i) !== NBSTAT) return null;
  const rdlen = u16(buf, i + 8);
  const rd = i + 10;
  const rdEnd = rd + rdlen;
  if (rdlen < 1 || rdEnd > end) return null;
  const n = buf[rd]!;
  if (rd + 1 + n * ENTRY > rdEnd) return null;
  const parts: string[] = [];
  for (let k = 0; k < n; k++) {
    const e = rd + 1 + k * ENTRY;
    let last = e + 15;
    while (last > e && buf[last - 1] === 0x20) last--;
    const name = `${latin1(buf, e, last)}<${hexAt(buf, e + 15, 1, end)}>`;
    parts.push((u16(buf, e + 16) & GROUP) !== 0 ? `${name}/group` : name);
  }
  const stats = rd + 1 + n * ENTRY;
  if (stats + 6 <= rdEnd) {
    const mac: string[] = [];
    for (let k = 0; k < 6; k++) mac.push(hexAt(buf, stats + k, 1, end));
    parts.push(`mac=${mac.join(':')}`);
  }
  return parts.length > 0 ? parts.join(' ') : null;
}
