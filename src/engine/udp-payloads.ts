/**
 * UDP probe payloads per destination port (reference masscan-compat.md §10.1), and where the
 * SYN cookie goes in each, so replies can be matched (§6.1).
 *
 * Built in so far: DNS version.bind (53), NetBIOS node status (137), SNMPv1 GET public (161).
 * Every other port gets an empty datagram (8-byte UDP header only). `--nmap-payloads` /
 * `--pcap-payloads` entries are added with `UdpPayloadTable.set` (last one wins, as masscan).
 *
 * The payloads are written here from the protocol specifications (RFC 1035, RFC 1002,
 * RFC 1157), not copied from masscan.
 */

/** Where the cookie goes in a payload. */
export type CookieField =
  | 'none'
  | 'id16' // 16-bit big-endian at cookieOffset = cookie & 0xffff (DNS id, NetBIOS id)
  | 'int31'; // 32-bit big-endian at cookieOffset = cookie & 0x7fffffff (SNMP request-id)

export interface UdpPayload {
  /** Destination port (plain UDP port). */
  readonly port: number;
  /** Payload bytes with the cookie field zero. */
  readonly bytes: Uint8Array;
  readonly cookie: CookieField;
  /** Byte offset of the cookie field in `bytes` (0 when cookie is 'none'). */
  readonly cookieOffset: number;
  /** What it is, for --help and logs. */
  readonly description: string;
}

function ascii(s: string): number[] {
  return Array.from(s, (c) => c.charCodeAt(0));
}

/** DNS name in wire form (RFC 1035 §3.1): length-prefixed labels, then the root (0). */
function dnsName(name: string): number[] {
  const out: number[] = [];
  for (const label of name.split('.')) out.push(label.length, ...ascii(label));
  out.push(0);
  return out;
}

/**
 * DNS query (RFC 1035 §4.1): id (cookie), flags 0x0120 (RD + AD, as masscan sends), one
 * question `version.bind` TXT (16) CHAOS (3): the BIND version query. 30 bytes.
 */
const DNS_VERSION_BIND = Uint8Array.from([
  0x00, 0x00, 0x01, 0x20, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
  ...dnsName('version.bind'),
  0x00, 0x10, 0x00, 0x03,
]);

/**
 * NetBIOS name service NODE STATUS REQUEST (RFC 1002 §4.2.17) for the wildcard name `*`:
 * id (cookie), flags 0, one question; the name is `*` padded with 15 NULs, first-level
 * encoded (each nibble + 'A') to 32 characters; type NBSTAT (0x21), class IN. 50 bytes.
 */
const NETBIOS_NBSTAT = Uint8Array.from([
  0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
  0x20,
  ...[0x2a, ...new Array<number>(15).fill(0)].flatMap((b) => [0x41 + (b >>> 4), 0x41 + (b & 15)]),
  0x00,
  0x00, 0x21, 0x00, 0x01,
]);

/** BER tag-length-value with a short-form length (< 128). */
function tlv(tag: number, content: number[]): number[] {
  return [tag, content.length, ...content];
}

/** An OID's BER content (X.690 §8.19): first two arcs as 40*a+b, then base-128 arcs. */
function oid(arcs: number[]): number[] {
  const out = [40 * arcs[0]! + arcs[1]!];
  for (const a of arcs.slice(2)) {
    const bytes = [a & 0x7f];
    for (let v = a >>> 7; v > 0; v >>>= 7) bytes.unshift(0x80 | (v & 0x7f));
    out.push(...bytes);
  }
  return out;
}

/**
 * SNMPv1 GetRequest (RFC 1157 §4.1.2): version 0, community "public", request-id as a
 * 4-byte INTEGER (the cookie's low 31 bits, so always positive), error-status 0,
 * error-index 0, variable bindings sysName.0 and sysDescr.0 with NULL values. 57 bytes.
 * NOTE: the request-id is always 4 content bytes, so the cookie can be patched in place;
 * a value below 2^23 is then not minimally encoded, which agents accept (masscan does the
 * same).
 */
const SNMP_REQUEST_ID_AT = 17;
const SNMP_GET_PUBLIC = Uint8Array.from(
  tlv(0x30, [
    ...tlv(0x02, [0x00]),
    ...tlv(0x04, ascii('public')),
    ...tlv(0xa0, [
      ...tlv(0x02, [0, 0, 0, 0]),
      ...tlv(0x02, [0x00]),
      ...tlv(0x02, [0x00]),
      ...tlv(0x30, [
        ...tlv(0x30, [...tlv(0x06, oid([1, 3, 6, 1, 2, 1, 1, 5, 0])), 0x05, 0x00]),
        ...tlv(0x30, [...tlv(0x06, oid([1, 3, 6, 1, 2, 1, 1, 1, 0])), 0x05, 0x00]),
      ]),
    ]),
  ]),
);

/** The built-in payloads: one registry array (DESIGN.md §4.4). */
export const BUILTIN_UDP_PAYLOADS: readonly UdpPayload[] = [
  { port: 53, bytes: DNS_VERSION_BIND, cookie: 'id16', cookieOffset: 0, description: 'DNS version.bind TXT CHAOS' },
  { port: 137, bytes: NETBIOS_NBSTAT, cookie: 'id16', cookieOffset: 0, description: 'NetBIOS node status *' },
  { port: 161, bytes: SNMP_GET_PUBLIC, cookie: 'int31', cookieOffset: SNMP_REQUEST_ID_AT, description: 'SNMPv1 GET public sysName.0 sysDescr.0' },
];

/** The value written into a payload's cookie field for a given 32-bit cookie. */
export function cookieFieldValue(kind: CookieField, cookie: number): number {
  return kind === 'id16' ? cookie & 0xffff : kind === 'int31' ? (cookie & 0x7fffffff) >>> 0 : 0;
}

/**
 * Write the cookie into a copy of the payload at buf[off..] (off = where the payload starts).
 * Not the hot path (templates patch through precomputed offsets); for tests and the receive
 * side's checks.
 */
export function writePayloadCookie(p: UdpPayload, buf: Uint8Array, off: number, cookie: number): void {
  const o = off + p.cookieOffset;
  if (p.cookie === 'id16') {
    const v = cookie & 0xffff;
    buf[o] = v >>> 8; buf[o + 1] = v;
  } else if (p.cookie === 'int31') {
    const v = cookie & 0x7fffffff;
    buf[o] = v >>> 24; buf[o + 1] = v >>> 16; buf[o + 2] = v >>> 8; buf[o + 3] = v;
  }
}

/** Largest UDP payload a template accepts (fits a 1514-byte frame with IPv6 and a VLAN tag). */
export const MAX_UDP_PAYLOAD = 1514 - 14 - 4 - 40 - 8;

/** Payloads by port: built-ins, then overrides (last set wins). */
export class UdpPayloadTable {
  private readonly byPort = new Map<number, UdpPayload>();

  constructor(withBuiltins = true) {
    if (withBuiltins) for (const p of BUILTIN_UDP_PAYLOADS) this.byPort.set(p.port, p);
  }

  /** Add or replace the payload of `port` (from --nmap-payloads / --pcap-payloads). */
  set(port: number, bytes: Uint8Array, cookie: CookieField = 'none', cookieOffset = 0, description = 'user payload'): void {
    if (!(Number.isInteger(port) && port >= 0 && port <= 0xffff)) throw new RangeError(`UDP payload port ${port}`);
    if (bytes.length > MAX_UDP_PAYLOAD) throw new RangeError(`UDP payload for port ${port}: ${bytes.length} bytes, at most ${MAX_UDP_PAYLOAD}`);
    const width = cookie === 'id16' ? 2 : cookie === 'int31' ? 4 : 0;
    if (cookieOffset < 0 || cookieOffset + width > bytes.length) throw new RangeError(`UDP payload for port ${port}: cookie field outside the payload`);
    // The cookie field is kept zero in the stored bytes (templates sum the constant bytes).
    const copy = bytes.slice();
    copy.fill(0, cookieOffset, cookieOffset + width);
    this.byPort.set(port, { port, bytes: copy, cookie, cookieOffset: width === 0 ? 0 : cookieOffset, description });
  }

  /** The payload for `port`, or undefined (empty datagram). */
  get(port: number): UdpPayload | undefined {
    return this.byPort.get(port);
  }

  /** All entries, by port. */
  entries(): UdpPayload[] {
    return [...this.byPort.values()].sort((a, b) => a.port - b.port);
  }
}
