/**
 * UDP probe payloads per destination port (reference masscan-compat.md §10.1), and where the
 * SYN cookie goes in each, so replies can be matched (§6.1).
 *
 * Every port of §10.1 has a built-in payload; every other port gets an empty datagram (the
 * 8-byte UDP header only). `--nmap-payloads` / `--pcap-payloads` entries (payload-files.ts)
 * are added on top with `buildPayloadTable` (last one wins, as masscan).
 *
 * Each payload is written here from its protocol specification (cited above its builder),
 * with small builder functions; none is copied from masscan.
 *
 * Cookie placement. The template (udp.ts) writes the probe's 32-bit cookie into one field
 * per payload, of one of two kinds, at any offset:
 *   - 'id16':  the low 16 bits, big-endian (DNS/NetBIOS/memcached id, CoAP message id, L2TP
 *              assigned tunnel id);
 *   - 'int31': the low 31 bits as a big-endian u32 (SNMP request-id, ONC RPC xid, the first
 *              half of the ISAKMP initiator cookie, the low half of the DTLS record sequence).
 * Every transaction id of §10.1 that a reply echoes fits one of these two, so no new kind (and
 * no change to udp.ts) is needed. 31 rather than 32 bits keeps BER INTEGERs positive;
 * for the other fields it costs one bit of the match and keeps one code path. A 64-bit ISAKMP
 * cookie would need the transmitter to carry the full 64-bit hash per probe: not worth it.
 * Contract with the template: the stored bytes hold zero in the cookie field (it sums the
 * constant bytes once), and `writePayloadCookie` / `cookieFieldValue` say what goes there.
 *
 * Payloads with no echoed id (echo, TFTP, NTP mode 7, NetBIOS datagram, RIP, RADIUS, SSDP,
 * SIP, ZeroAccess, Quake 3) are sent as they are: masscan reports any datagram to one of our
 * source ports as open before parsing it (§6.1).
 */
import { ScanError } from '../error.js';

/** Where the cookie goes in a payload (see the module comment). */
export type CookieField =
  | 'none'
  | 'id16' // 16-bit big-endian at cookieOffset = cookie & 0xffff
  | 'int31'; // 32-bit big-endian at cookieOffset = cookie & 0x7fffffff

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
  /**
   * Where the reply echoes the cookie field, when not at cookieOffset (the NTP client request:
   * its transmit timestamp comes back as the reply's origin timestamp).
   */
  readonly echoOffset?: number;
}

/**
 * A user payload as loaded from --nmap-payloads / --pcap-payloads: plain data, so it crosses
 * to worker threads by structured clone (several entries may share one `bytes`).
 */
export interface UdpPayloadEntry {
  readonly port: number;
  readonly bytes: Uint8Array;
  /**
   * A built-in alternative of the port's probe chosen by name (NTP_PROBES: --ntp-probe),
   * with its own cookie field; `bytes` is then its bytes.
   */
  readonly builtin?: string;
}

/** Width in bytes of a cookie field. */
export function cookieFieldWidth(kind: CookieField): number {
  return kind === 'id16' ? 2 : kind === 'int31' ? 4 : 0;
}

// ---------------------------------------------------------------------------------------
// Builders. Payloads are built once at load time as number[] and frozen into Uint8Arrays;
// none of this runs per probe.
// ---------------------------------------------------------------------------------------

type Bytes = number[];

function u8(v: number): Bytes {
  return [v & 0xff];
}
function u16(v: number): Bytes {
  return [(v >>> 8) & 0xff, v & 0xff];
}
function u24(v: number): Bytes {
  return [(v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff];
}
function u32(v: number): Bytes {
  return [(v >>> 24) & 0xff, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff];
}
function u16le(v: number): Bytes {
  return [v & 0xff, (v >>> 8) & 0xff];
}
function u32le(v: number): Bytes {
  return [v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, (v >>> 24) & 0xff];
}
function zeros(n: number): Bytes {
  return new Array<number>(n).fill(0);
}
function ascii(s: string): Bytes {
  return Array.from(s, (c) => c.charCodeAt(0) & 0xff);
}
/** ASCII text, NUL-terminated (C string). */
function cstr(s: string): Bytes {
  return [...ascii(s), 0];
}
function cat(...parts: Bytes[]): Bytes {
  const out: Bytes = [];
  for (const p of parts) for (const b of p) out.push(b);
  return out;
}
function freeze(b: Bytes): Uint8Array {
  return Uint8Array.from(b);
}

/** The text every "send something, see it come back" service gets (masscan's, §10.1). */
const TEST_TEXT = 'masscan-test';

// ---------------------------------------------------------------------------------------
// 7, 17, 19: echo (RFC 862), quote of the day (RFC 865), character generator (RFC 864)
// ---------------------------------------------------------------------------------------

/**
 * RFC 862: "When a datagram is received, the data from it is sent back in an answering
 * datagram." RFC 865 / RFC 864 answer any datagram (its data is thrown away) with a quote or a
 * line of characters. So any bytes do; the same 12 ASCII bytes as masscan, so an echoed
 * banner reads the same.
 */
const ECHO_TEXT = freeze(ascii(TEST_TEXT));

// ---------------------------------------------------------------------------------------
// 53: DNS (RFC 1035)
// ---------------------------------------------------------------------------------------

/** DNS name in wire form (RFC 1035 §3.1): length-prefixed labels, then the root (0). */
function dnsName(name: string): Bytes {
  const out: Bytes = [];
  for (const label of name.split('.')) out.push(label.length, ...ascii(label));
  out.push(0);
  return out;
}

/**
 * DNS query (RFC 1035 §4.1): id (cookie), flags 0x0120 (RD + AD, as masscan sends), one
 * question `version.bind` TXT (16) CHAOS (3): the BIND version query. 30 bytes.
 * NOTE: §10.1 counts 31 bytes for masscan's; a question of this name is 30 bytes on the wire.
 */
const DNS_VERSION_BIND = freeze(cat(
  u16(0), // id: the cookie
  u16(0x0120), u16(1), u16(0), u16(0), u16(0), // flags, QDCOUNT 1, AN/NS/AR 0
  dnsName('version.bind'), u16(16), u16(3),
));

// ---------------------------------------------------------------------------------------
// 69: TFTP (RFC 1350)
// ---------------------------------------------------------------------------------------

/**
 * RFC 1350 §5: RRQ = opcode 1 (2 bytes), filename, 0, mode, 0; mode "netascii". A server
 * answers with DATA or (mostly) ERROR "file not found".
 * NOTE: RFC 1350 §4 has the server answer from a new port (its TID), not from 69.
 */
const TFTP_RRQ = freeze(cat(u16(1), cstr(TEST_TEXT), cstr('netascii')));

// ---------------------------------------------------------------------------------------
// 111, 2049: ONC RPC (RFC 5531) NULL calls
// ---------------------------------------------------------------------------------------

/**
 * An ONC RPC v2 CALL of procedure 0 (NULL, every program has it and it takes no arguments)
 * with AUTH_NONE credentials and verifier (RFC 5531 §9 rpc_msg/call_body, §8.1 opaque_auth):
 * xid, msg_type CALL (0), rpcvers 2, prog, vers, proc 0, cred {flavor 0, length 0},
 * verf {0, 0}. 40 bytes. The reply carries the same xid (RFC 5531 §9: "the reply message
 * ... xid of the reply message always matches that of the initiating call"), so the xid is
 * the cookie (int31 at 0).
 */
function rpcNullCall(prog: number, vers: number): Uint8Array {
  return freeze(cat(u32(0), u32(0), u32(2), u32(prog), u32(vers), u32(0), u32(0), u32(0), u32(0), u32(0)));
}
/** RFC 1833 §3: portmapper, program 100000 version 2, PMAPPROC_NULL. */
const PORTMAP_NULL = rpcNullCall(100000, 2);
/**
 * RFC 1813 §3.3.0: NFS version 3 NFSPROC3_NULL (program 100003). A server without v3 still
 * answers PROG_MISMATCH, which is a reply.
 */
const NFS_NULL = rpcNullCall(100003, 3);

// ---------------------------------------------------------------------------------------
// 123: NTP (RFC 5905). Three probes; the client request is the default (see NTP_PROBES).
// ---------------------------------------------------------------------------------------

/**
 * NTP client request (RFC 5905 §7.3 packet header, mode 3 "client", version 4: first octet
 * LI 0 | VN 4 | Mode 3 = 0x23), every field zero but the transmit timestamp, as the NTP data
 * minimization draft (draft-ietf-ntp-data-minimization) has a client send it. RFC 5905 §8: a
 * server copies the request's transmit timestamp into its reply's origin timestamp (reply
 * offset 24), so the cookie goes into the transmit timestamp's seconds (int31 at 40, echoed at
 * 24); its fraction holds "tide". 48 bytes. Every NTP server answers it (ntpsec, chrony,
 * ntpd, w32time), with the default access rules of each.
 */
const NTP_CLIENT_COOKIE_AT = 40;
const NTP_CLIENT_ECHO_AT = 24;
const NTP_CLIENT = freeze(cat([0x23, 0, 0, 0], zeros(36), u32(0), ascii('tide')));

/**
 * NTP control message READVAR (RFC 9327 §2: mode 6; first octet LI 0 | VN 2 | Mode 6 = 0x16;
 * R|E|M|OpCode = 0x02 "read variables"; sequence = the cookie, id16 at 2, which the response
 * repeats; status 0; association ID 0 = the system variables; offset 0; count 0: no data).
 * 12 bytes. ntpd and ntpsec answer it (version, system, stratum, ...) unless `restrict ...
 * noquery` (Debian's default ntp.conf has it); chrony has no mode 6.
 */
const NTP_READVAR_SEQ_AT = 2;
const NTP_READVAR = freeze(cat([0x16, 0x02], u16(0), u16(0), u16(0), u16(0), u16(0)));

/**
 * ntpd's mode-7 request header (ntpdc's wire format): R|M|VN(3)|Mode(3) = 0x17 (a request,
 * version 2, mode 7); A|Sequence(7) = 0; implementation 3 (IMPL_XNTPD); request code 42
 * (MON_GETLIST_1, "monlist"); Err(4)|Nitems(12) = 0; MBZ(4)|Itemsize(12) = 0; then a zeroed
 * data area up to 48 bytes. This is the request §10.1 describes: it finds the servers that
 * still answer monlist (the amplifiers). No field of the reply echoes ours: no cookie.
 * ntpsec and chrony have no mode 7 and never answer it.
 */
const NTP_MONLIST = freeze(cat([0x17, 0x00, 0x03, 0x2a], u16(0), u16(0), zeros(40)));

// ---------------------------------------------------------------------------------------
// 137, 138: NetBIOS (RFC 1001 / RFC 1002)
// ---------------------------------------------------------------------------------------

/**
 * A NetBIOS name in its RFC 1002 §4.1 wire form: the 16-byte name (15 characters, padded,
 * then the suffix byte) "first-level encoded" (RFC 1001 §14.1: each half-byte + 'A') to 32
 * characters, as one label: 0x20, 32 bytes, then the empty scope (0). 34 bytes.
 */
function netbiosName(name: string, pad: number, suffix: number): Bytes {
  const raw = [...ascii(name.slice(0, 15))];
  while (raw.length < 15) raw.push(pad);
  raw.push(suffix);
  return [0x20, ...raw.flatMap((b) => [0x41 + (b >>> 4), 0x41 + (b & 15)]), 0x00];
}

/**
 * NetBIOS name service NODE STATUS REQUEST (RFC 1002 §4.2.17) for the wildcard name `*`
 * (padded with NULs, RFC 1002 §4.2.18): id (cookie), flags 0, one question; type NBSTAT
 * (0x21), class IN. 50 bytes. The response carries the request's NAME_TRN_ID.
 */
const NETBIOS_NBSTAT = freeze(cat(
  u16(0), u16(0), u16(1), u16(0), u16(0), u16(0),
  netbiosName('*', 0, 0),
  u16(0x21), u16(1),
));

/**
 * The BROWSER protocol's HostAnnouncement frame ([MS-BRWS] §2.2.1): opcode 1, update count,
 * periodicity (ms, little-endian), server name (16 bytes, NUL padded), OS version major/minor,
 * server type (LE; 1 = SV_TYPE_WORKSTATION), browser version 15.1, signature 0xAA55 (LE), and
 * an empty NUL-terminated comment. 33 bytes.
 */
function hostAnnouncement(server: string): Bytes {
  const name = ascii(server.slice(0, 15));
  return cat(
    u8(1), u8(0), u32le(720000),
    name, zeros(16 - name.length),
    u8(6), u8(1), u32le(0x00000001),
    u8(15), u8(1), u16le(0xaa55),
    u8(0),
  );
}

/**
 * An SMB_COM_TRANSACTION request carrying a class-2 mailslot write ([MS-CIFS] §2.2.3.1 header,
 * §2.2.4.33.1 request; [MS-MAIL] §2.2.1 setup words: opcode 1 = write, priority 1, class 2).
 * Offsets count from the start of the SMB header; there are no parameter bytes, so the data
 * starts right after the NUL-terminated mailslot name.
 */
function smbMailslotWrite(mailslot: string, data: Bytes): Bytes {
  const header = cat([0xff, 0x53, 0x4d, 0x42], u8(0x25), zeros(4), u8(0), u16le(0), u16le(0), zeros(8), zeros(2), u16le(0), u16le(0), u16le(0), u16le(0));
  const setup = [1, 1, 2];
  const wordCount = 14 + setup.length;
  const name = cstr(mailslot);
  const dataOffset = header.length + 1 + 2 * wordCount + 2 + name.length;
  const words = cat(
    u16le(0), u16le(data.length), // total parameter / data count
    u16le(0), u16le(0), u8(0), u8(0), // max parameter / data count, max setup count, reserved
    u16le(0), u32le(0), u16le(0), // flags, timeout, reserved
    u16le(0), u16le(dataOffset), // parameter count, offset
    u16le(data.length), u16le(dataOffset), // data count, offset
    u8(setup.length), u8(0),
    ...setup.map(u16le),
  );
  return cat(header, u8(wordCount), words, u16le(name.length + data.length), name, data);
}

/**
 * NetBIOS DIRECT_GROUP DATAGRAM (RFC 1002 §4.4.2, MSG_TYPE 0x11; FLAGS 0x02 = first fragment,
 * B node) from MASSCAN-TEST<00> to the browser group WORKGROUP<1D>, carrying a browser host
 * announcement to \MAILSLOT\BROWSE (§10.1). SOURCE_IP is left 0.0.0.0 (the template does not
 * know it when the payload is built), SOURCE_PORT 138; DGM_LENGTH counts the two names and the
 * user data. 201 bytes. No id to echo: no cookie.
 */
const NETBIOS_BROWSER = ((): Uint8Array => {
  const body = cat(
    netbiosName('MASSCAN-TEST', 0x20, 0x00),
    netbiosName('WORKGROUP', 0x20, 0x1d),
    smbMailslotWrite('\\MAILSLOT\\BROWSE', hostAnnouncement('MASSCAN-TEST')),
  );
  return freeze(cat(u8(0x11), u8(0x02), u16(0), u32(0), u16(138), u16(body.length), u16(0), body));
})();

// ---------------------------------------------------------------------------------------
// 161: SNMPv1 (RFC 1157, BER X.690)
// ---------------------------------------------------------------------------------------

/** BER tag-length-value with a short-form length (< 128). */
function tlv(tag: number, content: Bytes): Bytes {
  return [tag, content.length, ...content];
}

/** An OID's BER content (X.690 §8.19): first two arcs as 40*a+b, then base-128 arcs. */
function oid(arcs: number[]): Bytes {
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
const SNMP_GET_PUBLIC = freeze(
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

// ---------------------------------------------------------------------------------------
// 443: DTLS ClientHello (RFC 6347 over RFC 5246)
// ---------------------------------------------------------------------------------------

/** A TLS extension (RFC 5246 §7.4.1.4): type, then its data with a 16-bit length. */
function tlsExt(type: number, data: Bytes): Bytes {
  return cat(u16(type), u16(data.length), data);
}

/**
 * DTLS record (RFC 6347 §4.1: type, version, epoch, 48-bit sequence_number, length) holding
 * one unfragmented handshake message (§4.2.2: msg_type, length, message_seq, fragment_offset,
 * fragment_length), a ClientHello (RFC 5246 §7.4.1.2 with the DTLS cookie field, RFC 6347
 * §4.2.1):
 *   - record version DTLS 1.0 (0xfeff) for old servers, client_version DTLS 1.2 (0xfefd);
 *   - a fixed random, no session id, an empty cookie;
 *   - ECDHE/RSA AES-GCM/CBC suites, the CoAP PSK/ECDSA CCM_8 suites (RFC 7252 §9.1.3), and
 *     the mandatory TLS_RSA_WITH_AES_128_CBC_SHA;
 *   - null compression; extensions supported_groups, ec_point_formats,
 *     signature_algorithms (RFC 8422, RFC 5246 §7.4.1.4.1), extended_master_secret
 *     (RFC 7627), renegotiation_info (RFC 5746).
 * A server answers with a HelloVerifyRequest (or a ServerHello). RFC 6347 §4.2.1: "the server
 * MUST use the record sequence number in the ClientHello as the record sequence number in the
 * HelloVerifyRequest", so the low 32 bits of the sequence number (offset 7) carry the cookie.
 */
const DTLS_SEQ_LOW_AT = 7;
const DTLS_CLIENT_HELLO = ((): Uint8Array => {
  const suites = [
    0xc02b, 0xc02f, 0xc02c, 0xc030, // ECDHE-{ECDSA,RSA}-AES{128,256}-GCM
    0xc009, 0xc013, 0xc00a, 0xc014, // ECDHE-{ECDSA,RSA}-AES{128,256}-CBC-SHA
    0xc0ae, 0xc0a8, // ECDHE-ECDSA-AES128-CCM8, PSK-AES128-CCM8 (CoAP)
    0x009c, 0x009d, 0x002f, 0x0035, // RSA-AES{128,256}-GCM, RSA-AES{128,256}-CBC-SHA
  ];
  const random = Array.from({ length: 32 }, (_, i) => (0x5a + 37 * i) & 0xff);
  const hello = cat(
    u16(0xfefd), random,
    u8(0), // session_id <0..32>
    u8(0), // cookie <0..2^8-1>
    u16(2 * suites.length), ...suites.map(u16),
    u8(1), u8(0), // compression_methods: null
  );
  const exts = cat(
    tlsExt(10, cat(u16(6), u16(0x001d), u16(0x0017), u16(0x0018))), // x25519, P-256, P-384
    tlsExt(11, cat(u8(1), u8(0))), // uncompressed points
    tlsExt(13, cat(u16(14), u16(0x0403), u16(0x0804), u16(0x0401), u16(0x0503), u16(0x0501), u16(0x0203), u16(0x0201))),
    tlsExt(23, []),
    tlsExt(0xff01, [0]),
  );
  const body = cat(hello, u16(exts.length), exts);
  const handshake = cat(u8(1), u24(body.length), u16(0), u24(0), u24(body.length), body);
  return freeze(cat(u8(22), u16(0xfeff), u16(0), u16(0), u32(0), u16(handshake.length), handshake));
})();

// ---------------------------------------------------------------------------------------
// 500: ISAKMP / IKEv1 main mode (RFC 2408, RFC 2409, IPsec DOI RFC 2407)
// ---------------------------------------------------------------------------------------

/** RFC 2408 §3.2 generic payload header: next payload, reserved, length (header included). */
function isakmpPayload(next: number, body: Bytes): Bytes {
  return cat(u8(next), u8(0), u16(4 + body.length), body);
}

/** RFC 2408 §3.3 data attribute in TV form (AF = 1): type | 0x8000, 16-bit value. */
function attr(type: number, value: number): Bytes {
  return cat(u16(0x8000 | type), u16(value));
}

/** IKE phase-1 attribute classes and values (RFC 2409 Appendix A). */
const IKE = {
  ENC: 1, HASH: 2, AUTH: 3, GROUP: 4, LIFE_TYPE: 11, LIFE_DURATION: 12, KEY_LENGTH: 14,
  DES: 1, TDES: 5, AES: 7, // AES-CBC: RFC 3602 §5.1
  MD5: 1, SHA: 2, SHA256: 4, // SHA2-256: RFC 4868 §4 / IANA
  PSK: 1, SECONDS: 1,
} as const;

/**
 * RFC 2408 §3.6 transform payload: transform #, Transform-Id KEY_IKE (1, RFC 2407 §4.4.2),
 * reserved, then attributes: encryption (with key length for AES), hash, pre-shared key
 * authentication, Oakley group (1, 2: RFC 2409 §6; 14: RFC 3526 §3), lifetime 28800 seconds.
 */
function ikeTransform(n: number, last: boolean, enc: number, keyBits: number, hash: number, group: number): Bytes {
  return isakmpPayload(last ? 0 : 3, cat(
    u8(n), u8(1), u16(0),
    attr(IKE.ENC, enc), keyBits > 0 ? attr(IKE.KEY_LENGTH, keyBits) : [],
    attr(IKE.HASH, hash), attr(IKE.AUTH, IKE.PSK), attr(IKE.GROUP, group),
    attr(IKE.LIFE_TYPE, IKE.SECONDS), attr(IKE.LIFE_DURATION, 28800),
  ));
}

/**
 * The first main-mode message (RFC 2409 §5: HDR, SA): header (RFC 2408 §3.1) with initiator
 * cookie (cookie in its first 4 bytes, "tide" in the last 4 so the 8 bytes are never all
 * zero), responder cookie 0, next payload SA (1), version 1.0, exchange type 2 (Identity
 * Protection = main mode), flags 0, message id 0, total length; one SA payload (§3.4: DOI 1
 * IPsec, situation SIT_IDENTITY_ONLY) with one proposal (§3.5: #1, PROTO_ISAKMP, no SPI)
 * offering eight transforms from AES-256/SHA-256/MODP-2048 down to DES/MD5/MODP-768, so old and
 * new gateways find one they accept. 320 bytes. A responder's header repeats the initiator
 * cookie.
 */
const ISAKMP_MAIN_MODE = ((): Uint8Array => {
  const t = [
    ikeTransform(1, false, IKE.AES, 256, IKE.SHA256, 14),
    ikeTransform(2, false, IKE.AES, 128, IKE.SHA256, 14),
    ikeTransform(3, false, IKE.AES, 256, IKE.SHA, 2),
    ikeTransform(4, false, IKE.AES, 128, IKE.SHA, 2),
    ikeTransform(5, false, IKE.TDES, 0, IKE.SHA, 2),
    ikeTransform(6, false, IKE.TDES, 0, IKE.MD5, 2),
    ikeTransform(7, false, IKE.DES, 0, IKE.SHA, 2),
    ikeTransform(8, true, IKE.DES, 0, IKE.MD5, 1),
  ];
  const proposal = isakmpPayload(0, cat(u8(1), u8(1), u8(0), u8(t.length), ...t));
  const sa = isakmpPayload(0, cat(u32(1), u32(1), proposal));
  const len = 28 + sa.length;
  return freeze(cat(u32(0), ascii('tide'), zeros(8), u8(1), u8(0x10), u8(2), u8(0), u32(0), u32(len), sa));
})();

// ---------------------------------------------------------------------------------------
// 520: RIPv1 (RFC 1058)
// ---------------------------------------------------------------------------------------

/**
 * RFC 1058 §3.4.1: "If there is exactly one entry in the request, with an address family
 * identifier of zero and a metric of infinity (i.e., 16), then this is a request to send the
 * entire routing table." Header (§3.1): command 1 (request), version 1, zero; entry: AFI 0,
 * zero, address 0, zero, zero, metric 16. 24 bytes.
 */
const RIP_REQUEST = freeze(cat(u8(1), u8(1), u16(0), u16(0), u16(0), u32(0), u32(0), u32(0), u32(16)));

// ---------------------------------------------------------------------------------------
// 1645, 1646, 1812, 1813: RADIUS (RFC 2865, RFC 2866)
// ---------------------------------------------------------------------------------------

/**
 * A bare RADIUS packet (RFC 2865 §3): code, identifier 0, length 20, a 16-byte authenticator,
 * no attributes. Access-Request (1) for the authentication ports 1812 and the old 1645,
 * Accounting-Request (4, RFC 2866 §3) for 1813 and the old 1646. 20 bytes (§10.1).
 * NOTE: RFC 2865 §3: a request "from a client for which the RADIUS server does not have a
 * shared secret MUST be silently discarded", so only misconfigured servers answer; the
 * response authenticator is keyed with that secret, so no cookie.
 */
function radius(code: number): Uint8Array {
  const authenticator = Array.from({ length: 16 }, (_, i) => (0x74 + 29 * i) & 0xff);
  return freeze(cat(u8(code), u8(0), u16(20), authenticator));
}
const RADIUS_ACCESS = radius(1);
const RADIUS_ACCOUNTING = radius(4);

// ---------------------------------------------------------------------------------------
// 1701: L2TP (RFC 2661)
// ---------------------------------------------------------------------------------------

/** RFC 2661 §4.1 AVP: M bit, length (6-byte header included, 10 bits), vendor 0, type, value. */
function l2tpAvp(type: number, value: Bytes): Bytes {
  return cat(u16(0x8000 | (6 + value.length)), u16(0), u16(type), value);
}

/**
 * Start-Control-Connection-Request (RFC 2661 §6.1). Control header (§3.1): T, L, S set, version
 * 2 (0xc802), length, tunnel id 0, session id 0, Ns 0, Nr 0. AVPs (§4.4), all mandatory:
 * Message Type 1 (SCCRQ; §4.1 "MUST be the first AVP"), Protocol Version 1.0, Framing
 * Capabilities (sync + async), Host Name "tidescan", Assigned Tunnel ID.
 * The peer's SCCRP carries our Assigned Tunnel ID in its header's Tunnel ID (§3.1: "the
 * Tunnel ID in each message is that of the intended recipient"), so it holds the cookie.
 * NOTE: §4.4.3 wants a non-zero Assigned Tunnel ID; a probe whose cookie's low 16 bits are 0
 * (1 in 65536) is refused by the peer, which still answers (StopCCN).
 */
const L2TP_TUNNEL_ID_AT = 12 + 8 + 8 + 10 + 14 + 6;
const L2TP_SCCRQ = ((): Uint8Array => {
  const avps = cat(
    l2tpAvp(0, u16(1)), // Message Type: SCCRQ (8 bytes)
    l2tpAvp(2, [1, 0]), // Protocol Version 1, revision 0 (8)
    l2tpAvp(3, u32(0x00000003)), // Framing Capabilities: A + S (10)
    l2tpAvp(7, ascii('tidescan')), // Host Name (14)
    l2tpAvp(9, u16(0)), // Assigned Tunnel ID: the cookie (value at +6)
    l2tpAvp(10, u16(4)), // Receive Window Size (optional)
  );
  return freeze(cat(u16(0xc802), u16(12 + avps.length), u16(0), u16(0), u16(0), u16(0), avps));
})();

// ---------------------------------------------------------------------------------------
// 1900: SSDP (UPnP Device Architecture 1.1 §1.3.2)
// ---------------------------------------------------------------------------------------

/**
 * An M-SEARCH request for every device and service (ST: ssdp:all). UDA 1.1 §1.3.2: the
 * request line "M-SEARCH * HTTP/1.1", HOST the SSDP multicast address and port, MAN
 * "ssdp:discover" (quoted), MX the maximum wait in seconds, ST the search target, USER-AGENT
 * "OS/version UPnP/1.1 product/version"; CRLF line ends, an empty line at the end.
 */
const SSDP_MSEARCH = freeze(ascii(
  'M-SEARCH * HTTP/1.1\r\n' +
  'HOST: 239.255.255.250:1900\r\n' +
  'MAN: "ssdp:discover"\r\n' +
  'MX: 1\r\n' +
  'ST: ssdp:all\r\n' +
  'USER-AGENT: unix/1.0 UPnP/1.1 tidescan/1.0\r\n' +
  '\r\n',
));

// ---------------------------------------------------------------------------------------
// 5060: SIP OPTIONS (RFC 3261)
// ---------------------------------------------------------------------------------------

/**
 * RFC 3261 §11.1 OPTIONS request with the headers §8.1.1 requires (To, From, CSeq, Call-ID,
 * Max-Forwards, Via), plus Contact, Accept and Content-Length 0. The Via branch starts with the
 * magic cookie "z9hG4bK" (§8.1.1.7: "The branch ID inserted by an element compliant with this
 * specification MUST always begin with the characters z9hG4bK"). `rport` (RFC 3581 §4) makes the
 * server answer to the source port of the request instead of the port in Via. The hosts are
 * in the reserved .invalid domain (RFC 2606): we do not know the target's name.
 */
const SIP_OPTIONS = freeze(ascii(
  'OPTIONS sip:nobody@tidescan.invalid SIP/2.0\r\n' +
  'Via: SIP/2.0/UDP tidescan.invalid;branch=z9hG4bK-tidescan;rport\r\n' +
  'Max-Forwards: 70\r\n' +
  'From: <sip:tidescan@tidescan.invalid>;tag=tidescan\r\n' +
  'To: <sip:nobody@tidescan.invalid>\r\n' +
  'Call-ID: tidescan-options@tidescan.invalid\r\n' +
  'CSeq: 1 OPTIONS\r\n' +
  'Contact: <sip:tidescan@tidescan.invalid>\r\n' +
  'Accept: application/sdp\r\n' +
  'Content-Length: 0\r\n' +
  '\r\n',
));

// ---------------------------------------------------------------------------------------
// 5683: CoAP (RFC 7252)
// ---------------------------------------------------------------------------------------

/** RFC 7252 §3.1 option header for deltas and lengths below 13 (one byte, no extensions). */
function coapOption(delta: number, value: Bytes): Bytes {
  return cat(u8((delta << 4) | value.length), value);
}

/**
 * CoAP GET /.well-known/core (RFC 6690 §4: the resource directory). Header (RFC 7252 §3):
 * Ver 1, T 0 (Confirmable), TKL 0 -> 0x40; Code 0.01 GET; Message ID (cookie, id16 at 2).
 * Options: Uri-Path (11) ".well-known", Uri-Path "core" (delta 0). No payload. 21 bytes.
 * RFC 7252 §4.2: "The Acknowledgement message MUST echo the Message ID of the Confirmable
 * message".
 */
const COAP_MSGID_AT = 2;
const COAP_WELL_KNOWN_CORE = freeze(cat(
  u8(0x40), u8(0x01), u16(0),
  coapOption(11, ascii('.well-known')), coapOption(0, ascii('core')),
));

// ---------------------------------------------------------------------------------------
// 11211: memcached over UDP (memcached protocol.txt, "UDP protocol")
// ---------------------------------------------------------------------------------------

/**
 * memcached's UDP frame header: request id (echoed in every datagram of the response: the
 * cookie, id16 at 0), sequence number 0, total datagrams 1, reserved 0 (all 16-bit big-endian);
 * then the ASCII command `stats\r\n`. 15 bytes.
 */
const MEMCACHED_STATS = freeze(cat(u16(0), u16(0), u16(1), u16(0), ascii('stats\r\n')));

// ---------------------------------------------------------------------------------------
// 16464, 16465, 16470, 16471: ZeroAccess P2P "getL"
// ---------------------------------------------------------------------------------------

/** CRC-32 (IEEE 802.3, reflected, poly 0xEDB88320), bitwise: payload build only. */
export function crc32(b: ArrayLike<number>): number {
  let c = 0xffffffff;
  for (let i = 0; i < b.length; i++) {
    c ^= b[i]! & 0xff;
    for (let k = 0; k < 8; k++) c = (c >>> 1) ^ (0xedb88320 & -(c & 1));
  }
  return (c ^ 0xffffffff) >>> 0;
}

/** ZeroAccess's packet key: "ftp2" as a 32-bit constant (0x66747032). */
export const ZEROACCESS_KEY = 0x66747032;

/**
 * ZeroAccess (2012+ UDP P2P network; Sophos, "The ZeroAccess Botnet", Wyke 2012) peer-list
 * request "getL", 16 bytes as four little-endian 32-bit words: CRC-32 of the plain packet with
 * this word zero, the command 'getL' (0x6765744c), flags 0, and the sender's id ("tide").
 * The packet is then XORed word by word with the key, which is rotated left by one bit after
 * each word. (The published IDS signature for this request, 16 bytes with 28 94 8d ab at
 * offset 4, is exactly the command word encrypted this way.) An infected peer answers "retL".
 */
const ZEROACCESS_GETL = ((): Uint8Array => {
  const plain = cat(u32le(0), u32le(0x6765744c), u32le(0), ascii('tide'));
  const crc = crc32(plain);
  plain.splice(0, 4, ...u32le(crc));
  const out: Bytes = [];
  let key = ZEROACCESS_KEY;
  for (let w = 0; w < 16; w += 4) {
    const v = (plain[w]! | (plain[w + 1]! << 8) | (plain[w + 2]! << 16) | (plain[w + 3]! << 24)) ^ key;
    out.push(...u32le(v));
    key = ((key << 1) | (key >>> 31)) >>> 0;
  }
  return freeze(out);
})();

// ---------------------------------------------------------------------------------------
// 27960: Quake 3 arena "getstatus"
// ---------------------------------------------------------------------------------------

/**
 * Quake 3 connectionless packet: four 0xff bytes (sequence -1 = out of band), then a text
 * command; "getstatus" is answered with "statusResponse" (server info and players). The
 * command line ends at a newline; the server's tokeniser treats every byte <= 0x20 as a
 * separator. 14 bytes.
 */
const QUAKE3_GETSTATUS = freeze(cat([0xff, 0xff, 0xff, 0xff], ascii('getstatus\n')));

// ---------------------------------------------------------------------------------------
// The registry
// ---------------------------------------------------------------------------------------

function entry(port: number, bytes: Uint8Array, description: string, cookie: CookieField = 'none', cookieOffset = 0, echoOffset?: number): UdpPayload {
  return echoOffset === undefined ? { port, bytes, cookie, cookieOffset, description } : { port, bytes, cookie, cookieOffset, description, echoOffset };
}

/**
 * The NTP probes of port 123 by name (--ntp-probe): `client` (mode 3, the default: current
 * servers answer only this one), `readvar` (mode 6 READVAR: the server's version text) and
 * `monlist` (mode 7: masscan's probe, which finds the old ntpd amplifiers).
 */
export const NTP_PROBES: Readonly<Record<'client' | 'readvar' | 'monlist', UdpPayload>> = {
  client: entry(123, NTP_CLIENT, 'NTP mode 3 client request', 'int31', NTP_CLIENT_COOKIE_AT, NTP_CLIENT_ECHO_AT),
  readvar: entry(123, NTP_READVAR, 'NTP mode 6 READVAR', 'id16', NTP_READVAR_SEQ_AT),
  monlist: entry(123, NTP_MONLIST, 'NTP mode 7 monlist request'),
};
export type NtpProbeName = keyof typeof NTP_PROBES;

/** The built-in alternatives by the name a UdpPayloadEntry's `builtin` gives. */
const BUILTIN_ALTERNATIVES: ReadonlyMap<string, UdpPayload> = new Map(
  (Object.keys(NTP_PROBES) as NtpProbeName[]).map((k) => [`ntp-${k}`, NTP_PROBES[k]]));

/** The --ntp-probe entry for a scan's payload list (before the payload files: they win). */
export function ntpProbeEntry(name: NtpProbeName): UdpPayloadEntry {
  return { port: 123, bytes: NTP_PROBES[name].bytes, builtin: `ntp-${name}` };
}

/** The built-in payloads, by port: one registry array (DESIGN.md §4.4). */
export const BUILTIN_UDP_PAYLOADS: readonly UdpPayload[] = [
  entry(7, ECHO_TEXT, 'echo'),
  entry(17, ECHO_TEXT, 'quote of the day'),
  entry(19, ECHO_TEXT, 'chargen'),
  entry(53, DNS_VERSION_BIND, 'DNS version.bind TXT CHAOS', 'id16', 0),
  entry(69, TFTP_RRQ, 'TFTP read request'),
  entry(111, PORTMAP_NULL, 'portmap NULL call', 'int31', 0),
  NTP_PROBES.client,
  entry(137, NETBIOS_NBSTAT, 'NetBIOS node status *', 'id16', 0),
  entry(138, NETBIOS_BROWSER, 'NetBIOS datagram browser host announcement'),
  entry(161, SNMP_GET_PUBLIC, 'SNMPv1 GET public sysName.0 sysDescr.0', 'int31', SNMP_REQUEST_ID_AT),
  entry(443, DTLS_CLIENT_HELLO, 'DTLS ClientHello', 'int31', DTLS_SEQ_LOW_AT),
  entry(500, ISAKMP_MAIN_MODE, 'ISAKMP main mode SA proposal', 'int31', 0),
  entry(520, RIP_REQUEST, 'RIPv1 whole-table request'),
  entry(1645, RADIUS_ACCESS, 'RADIUS Access-Request'),
  entry(1646, RADIUS_ACCOUNTING, 'RADIUS Accounting-Request'),
  entry(1701, L2TP_SCCRQ, 'L2TP SCCRQ', 'id16', L2TP_TUNNEL_ID_AT),
  entry(1812, RADIUS_ACCESS, 'RADIUS Access-Request'),
  entry(1813, RADIUS_ACCOUNTING, 'RADIUS Accounting-Request'),
  entry(1900, SSDP_MSEARCH, 'SSDP M-SEARCH ssdp:all'),
  entry(2049, NFS_NULL, 'NFSv3 NULL call', 'int31', 0),
  entry(5060, SIP_OPTIONS, 'SIP OPTIONS'),
  entry(5683, COAP_WELL_KNOWN_CORE, 'CoAP GET /.well-known/core', 'id16', COAP_MSGID_AT),
  entry(11211, MEMCACHED_STATS, 'memcached stats', 'id16', 0),
  entry(16464, ZEROACCESS_GETL, 'ZeroAccess getL'),
  entry(16465, ZEROACCESS_GETL, 'ZeroAccess getL'),
  entry(16470, ZEROACCESS_GETL, 'ZeroAccess getL'),
  entry(16471, ZEROACCESS_GETL, 'ZeroAccess getL'),
  entry(27960, QUAKE3_GETSTATUS, 'Quake 3 getstatus'),
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
  set(port: number, bytes: Uint8Array, cookie: CookieField = 'none', cookieOffset = 0, description = 'user payload', echoOffset?: number): void {
    if (!(Number.isInteger(port) && port >= 0 && port <= 0xffff)) throw new RangeError(`UDP payload port ${port}`);
    if (bytes.length > MAX_UDP_PAYLOAD) throw new RangeError(`UDP payload for port ${port}: ${bytes.length} bytes, at most ${MAX_UDP_PAYLOAD}`);
    const width = cookieFieldWidth(cookie);
    if (cookieOffset < 0 || cookieOffset + width > bytes.length) throw new RangeError(`UDP payload for port ${port}: cookie field outside the payload`);
    // The cookie field is kept zero in the stored bytes (templates sum the constant bytes).
    const copy = bytes.slice();
    copy.fill(0, cookieOffset, cookieOffset + width);
    const off = width === 0 ? 0 : cookieOffset;
    this.byPort.set(port, echoOffset === undefined || width === 0
      ? { port, bytes: copy, cookie, cookieOffset: off, description }
      : { port, bytes: copy, cookie, cookieOffset: off, description, echoOffset });
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

/**
 * The table a scan uses: the built-ins, then `entries` in order (a later entry for a port
 * replaces an earlier one and the built-in). User payloads are sent exactly as given: no cookie
 * is written into them (masscan does the same for file payloads); an entry that names a built-in
 * alternative (`builtin`: --ntp-probe) is that probe, cookie field included. An entry that is not a port
 * 0..65535 with at most MAX_UDP_PAYLOAD bytes (the loaders never make one) is a ScanError.
 */
export function buildPayloadTable(entries: readonly UdpPayloadEntry[] = []): UdpPayloadTable {
  const t = new UdpPayloadTable();
  for (const e of entries) {
    if (!(Number.isInteger(e.port) && e.port >= 0 && e.port <= 0xffff) || !(e.bytes instanceof Uint8Array) || e.bytes.length > MAX_UDP_PAYLOAD) {
      throw new ScanError('ERR_BAD_OPTION', `UDP payload for port ${String(e.port)}: not a port with at most ${MAX_UDP_PAYLOAD} bytes`);
    }
    const alt = e.builtin === undefined ? undefined : BUILTIN_ALTERNATIVES.get(e.builtin);
    if (alt !== undefined) t.set(alt.port, alt.bytes, alt.cookie, alt.cookieOffset, alt.description, alt.echoOffset);
    else t.set(e.port, e.bytes, 'none', 0, 'user payload');
  }
  return t;
}
