/**
 * TLS records and handshake messages (RFC 8446 for 1.3, RFC 5246 for 1.2 and earlier): what a
 * banner grabber needs to reach a server's certificate, and nothing more.
 *
 * - `buildClientHello`: our ClientHello as one record (TLS 1.3 capable, broad enough for 1.0-1.2
 *   servers too).
 * - `TlsRecordReader`: record framing over a byte stream split anywhere; a record's fragment is
 *   passed on in pieces as it arrives (no record buffer here).
 * - `TlsHandshakeReader`: handshake messages reassembled across records (and across pieces);
 *   only the messages the caller wants are kept, the others are skipped byte by byte.
 * - `parseServerHello`, `parseCertificate`, `parseAlert`: parsers of one message body.
 *
 * Every reader of untrusted bytes checks a length before it reads; none throws on bad input:
 * they return a `TlsError` (the fuzz tests run them over a proxy that throws on any read out of
 * bounds). This module imports nothing from the rest of the project (codec sits beside wire).
 */

/**
 * Why bytes were refused:
 * - `truncated`: a length field points past the end of its container;
 * - `malformed`: a field is impossible (unknown record type, a zero-length certificate, ...);
 * - `unsupported`: well formed but outside what we model (SSLv2, a message above our cap).
 */
export type TlsError = 'truncated' | 'malformed' | 'unsupported';

export const TlsContentType = {
  CHANGE_CIPHER_SPEC: 20,
  ALERT: 21,
  HANDSHAKE: 22,
  APPLICATION_DATA: 23,
  HEARTBEAT: 24,
} as const;

export const TlsHandshakeType = {
  CLIENT_HELLO: 1,
  SERVER_HELLO: 2,
  NEW_SESSION_TICKET: 4,
  END_OF_EARLY_DATA: 5,
  ENCRYPTED_EXTENSIONS: 8,
  CERTIFICATE: 11,
  SERVER_KEY_EXCHANGE: 12,
  CERTIFICATE_REQUEST: 13,
  SERVER_HELLO_DONE: 14,
  CERTIFICATE_VERIFY: 15,
  FINISHED: 20,
  /** RFC 8446 §4.4.1: the synthetic message that replaces ClientHello1 after a retry. */
  MESSAGE_HASH: 254,
} as const;

export const TlsExtension = {
  SERVER_NAME: 0,
  SUPPORTED_GROUPS: 10,
  EC_POINT_FORMATS: 11,
  SIGNATURE_ALGORITHMS: 13,
  /** RFC 6520 §2: heartbeat; one byte, the HeartbeatMode. */
  HEARTBEAT: 15,
  /** RFC 5077 §3.2: SessionTicket TLS extension (a ticket to resume with, or empty). */
  SESSION_TICKET: 35,
  SUPPORTED_VERSIONS: 43,
  COOKIE: 44,
  PSK_KEY_EXCHANGE_MODES: 45,
  KEY_SHARE: 51,
} as const;

export const TlsGroup = {
  SECP256R1: 0x0017,
  SECP384R1: 0x0018,
  X25519: 0x001d,
} as const;

export const TlsVersion = {
  SSL3: 0x0300,
  TLS10: 0x0301,
  TLS11: 0x0302,
  TLS12: 0x0303,
  TLS13: 0x0304,
} as const;

export const TLS_RECORD_HEADER_LEN = 5;
export const TLS_HANDSHAKE_HEADER_LEN = 4;
/**
 * RFC 5246 §6.2.3: "The length (in bytes) of the following TLSCiphertext.fragment. The length
 * MUST NOT exceed 2^14 + 2048." (RFC 8446 §5.2 lowers it to 2^14 + 256 for 1.3; the reader
 * takes the larger bound, since it does not know the version when it frames a record.)
 */
export const TLS_MAX_RECORD_LEN = 16384 + 2048;
/** The largest handshake body the protocol can express (a uint24 length). */
export const TLS_MAX_HANDSHAKE_LEN = 0xffffff;

/** TLS 1.3's three AEAD suites (RFC 8446 §B.4), in our order of preference. */
export const TLS13_CIPHER_SUITES: readonly number[] = [0x1301, 0x1302, 0x1303];

/**
 * The TLS 1.0-1.2 suites we offer: ECDHE with AES-GCM and ChaCha20 first, then ECDHE-CBC, then
 * static RSA and DHE, so that old servers still find something they speak.
 */
export const TLS12_CIPHER_SUITES: readonly number[] = [
  0xc02b, 0xc02f, 0xc02c, 0xc030, 0xcca9, 0xcca8, // ECDHE-{ECDSA,RSA} AES-GCM, ChaCha20
  0xc023, 0xc027, 0xc024, 0xc028, // ECDHE CBC SHA-256/384
  0xc009, 0xc013, 0xc00a, 0xc014, // ECDHE CBC SHA-1
  0x009e, 0x009f, 0x0067, 0x006b, 0x0033, 0x0039, // DHE-RSA
  0x009c, 0x009d, 0x003c, 0x003d, 0x002f, 0x0035, // RSA
  0xc012, 0x0016, 0x000a, // 3DES
  0x00ff, // TLS_EMPTY_RENEGOTIATION_INFO_SCSV (RFC 5746 §3.3)
];

export const CLIENT_CIPHER_SUITES: readonly number[] = [...TLS13_CIPHER_SUITES, ...TLS12_CIPHER_SUITES];

/** Signature schemes we claim to verify (we verify none; a broad list keeps servers talking). */
const SIGNATURE_SCHEMES: readonly number[] = [
  0x0403, 0x0503, 0x0603, // ecdsa_secp{256,384,521}r1_sha{256,384,512}
  0x0807, 0x0808, // ed25519, ed448
  0x0804, 0x0805, 0x0806, // rsa_pss_rsae_sha{256,384,512}
  0x0809, 0x080a, 0x080b, // rsa_pss_pss_sha{256,384,512}
  0x0401, 0x0501, 0x0601, // rsa_pkcs1_sha{256,384,512}
  0x0203, 0x0201, 0x0402, 0x0502, 0x0602, 0x0202, // SHA-1 and DSA forms, for old 1.2 servers
];

const SUPPORTED_GROUPS: readonly number[] = [TlsGroup.X25519, TlsGroup.SECP256R1, TlsGroup.SECP384R1];
const SUPPORTED_VERSIONS: readonly number[] = [TlsVersion.TLS13, TlsVersion.TLS12, TlsVersion.TLS11, TlsVersion.TLS10];

/**
 * RFC 8446 §4.1.3: a HelloRetryRequest is a ServerHello whose Random is SHA-256 of
 * "HelloRetryRequest".
 */
export const HELLO_RETRY_RANDOM = Uint8Array.from([
  0xcf, 0x21, 0xad, 0x74, 0xe5, 0x9a, 0x61, 0x11, 0xbe, 0x1d, 0x8c, 0x02, 0x1e, 0x65, 0xb8, 0x91,
  0xc2, 0xa2, 0x11, 0x16, 0x7a, 0xbb, 0x8c, 0x5e, 0x07, 0x9e, 0x09, 0xe2, 0xc8, 0xa8, 0x33, 0x9c,
]);

// --- small big-endian helpers (codec does not import wire; callers prove ranges first) ---

function u16(b: Uint8Array, o: number): number {
  return (b[o] << 8) | b[o + 1];
}
function u24(b: Uint8Array, o: number): number {
  return (b[o] << 16) | (b[o + 1] << 8) | b[o + 2];
}

// ---------------------------------------------------------------------------------------------
// ClientHello

export interface TlsKeyShare {
  readonly group: number;
  /** The public value as sent: 32 bytes for X25519, an uncompressed point for the NIST curves. */
  readonly key: Uint8Array;
}

export interface ClientHelloParams {
  /** ClientHello.random: 32 bytes. */
  readonly random: Uint8Array;
  /**
   * legacy_session_id: 32 bytes. RFC 8446 §D.4: a client in middlebox compatibility mode sends
   * a non-empty session id, which is also what servers that compare with 1.2 clients expect.
   */
  readonly sessionId: Uint8Array;
  /** A DNS host name for server_name (RFC 6066 §3); an IP literal or empty: no extension. */
  readonly serverName?: string | undefined;
  readonly keyShares: readonly TlsKeyShare[];
  /** RFC 8446 §4.2.2: the cookie a HelloRetryRequest gave, echoed in the second ClientHello. */
  readonly cookie?: Uint8Array | undefined;
  /**
   * The record's legacy_record_version. RFC 8446 §5.1: "MUST be set to 0x0303 for all records
   * generated by a TLS 1.3 implementation other than an initial ClientHello (i.e., one not
   * generated after a HelloRetryRequest), where it MAY also be 0x0301". Default 0x0301.
   */
  readonly recordVersion?: number | undefined;
  /**
   * RFC 6520 §2: offer the heartbeat extension with mode peer_allowed_to_send (1), as the
   * Heartbleed check does (a TLS <= 1.2 server that answers heartbeats says so with its own).
   */
  readonly heartbeat?: boolean | undefined;
  /**
   * RFC 5077 §3.2: a SessionTicket extension carrying these bytes (the Ticketbleed check
   * sends one with a 1-byte session id, CVE-2016-9244).
   */
  readonly sessionTicket?: Uint8Array | undefined;
}

/** The server_name to send for `name`, or null when none may be sent. */
export function sniHostName(name: string | undefined): string | null {
  if (name === undefined) return null;
  let n = name.endsWith('.') ? name.slice(0, -1) : name;
  // RFC 6066 §3: "Literal IPv4 and IPv6 addresses are not permitted in "HostName"."
  if (n === '' || n.includes(':') || /^[0-9.]+$/.test(n)) return null;
  // NOTE: a name outside printable ASCII (an IDN) is not converted here: callers give A-labels.
  if (!/^[\x21-\x7e]+$/.test(n) || n.length > 255) return null;
  n = n.toLowerCase();
  return n;
}

/** A bounded big-endian writer of handshake bytes (the hellos here and in tls-vuln.ts). */
export class Writer {
  readonly b: Uint8Array;
  p = 0;
  constructor(n: number) {
    this.b = new Uint8Array(n);
  }
  u8(v: number): void {
    this.b[this.p++] = v;
  }
  u16(v: number): void {
    this.b[this.p++] = v >>> 8;
    this.b[this.p++] = v;
  }
  u24(v: number): void {
    this.b[this.p++] = v >>> 16;
    this.b[this.p++] = v >>> 8;
    this.b[this.p++] = v;
  }
  bytes(v: Uint8Array): void {
    this.b.set(v, this.p);
    this.p += v.length;
  }
  /** Patch a 16-bit length at `at` to cover `at + 2 .. p`. */
  len16(at: number): void {
    const n = this.p - at - 2;
    this.b[at] = n >>> 8;
    this.b[at + 1] = n;
  }
}

/**
 * Our ClientHello as one record: record header (type 22, version `recordVersion`), then the
 * handshake message. The handshake message alone (for the transcript hash) is
 * `record.subarray(TLS_RECORD_HEADER_LEN)`.
 */
export function buildClientHello(p: ClientHelloParams): Uint8Array {
  if (p.random.length !== 32) throw new RangeError('ClientHello.random must be 32 bytes');
  if (p.sessionId.length > 32) throw new RangeError('legacy_session_id is at most 32 bytes');
  const sni = sniHostName(p.serverName);
  const sniBytes = sni === null ? null : Buffer.from(sni, 'latin1');
  let shareLen = 0;
  for (const s of p.keyShares) shareLen += 4 + s.key.length;
  const cookieLen = p.cookie === undefined ? 0 : 6 + p.cookie.length;
  if (p.sessionTicket !== undefined && p.sessionTicket.length > 0xffff) throw new RangeError('session ticket above 65535 bytes');
  const vulnLen = (p.heartbeat === true ? 5 : 0) + (p.sessionTicket === undefined ? 0 : 4 + p.sessionTicket.length);
  const extLen = vulnLen +
    (sniBytes === null ? 0 : 9 + sniBytes.length) +
    (4 + 2 + 2 * SUPPORTED_GROUPS.length) +
    (4 + 2) + // ec_point_formats: one format
    (4 + 2 + 2 * SIGNATURE_SCHEMES.length) +
    (4 + 1 + 2 * SUPPORTED_VERSIONS.length) +
    (4 + 2 + shareLen) +
    (4 + 2) + // psk_key_exchange_modes: psk_dhe_ke
    cookieLen;
  const bodyLen = 2 + 32 + 1 + p.sessionId.length + 2 + 2 * CLIENT_CIPHER_SUITES.length + 2 + 2 + extLen;
  const w = new Writer(TLS_RECORD_HEADER_LEN + TLS_HANDSHAKE_HEADER_LEN + bodyLen);
  w.u8(TlsContentType.HANDSHAKE);
  w.u16(p.recordVersion ?? TlsVersion.TLS10);
  w.u16(TLS_HANDSHAKE_HEADER_LEN + bodyLen);
  w.u8(TlsHandshakeType.CLIENT_HELLO);
  w.u24(bodyLen);
  // RFC 8446 §4.1.2: "legacy_version: ... In TLS 1.3, the client indicates its version
  // preferences in the "supported_versions" extension ... and the legacy_version field MUST be
  // set to 0x0303".
  w.u16(TlsVersion.TLS12);
  w.bytes(p.random);
  w.u8(p.sessionId.length);
  w.bytes(p.sessionId);
  w.u16(2 * CLIENT_CIPHER_SUITES.length);
  for (const c of CLIENT_CIPHER_SUITES) w.u16(c);
  w.u8(1); // compression methods: null only (RFC 8446 §4.1.2: "MUST contain exactly one byte, 0")
  w.u8(0);
  w.u16(extLen);
  if (sniBytes !== null) {
    w.u16(TlsExtension.SERVER_NAME);
    w.u16(5 + sniBytes.length);
    w.u16(3 + sniBytes.length); // server_name_list
    w.u8(0); // host_name
    w.u16(sniBytes.length);
    w.bytes(sniBytes);
  }
  w.u16(TlsExtension.SUPPORTED_GROUPS);
  w.u16(2 + 2 * SUPPORTED_GROUPS.length);
  w.u16(2 * SUPPORTED_GROUPS.length);
  for (const g of SUPPORTED_GROUPS) w.u16(g);
  w.u16(TlsExtension.EC_POINT_FORMATS);
  w.u16(2);
  w.u8(1);
  w.u8(0); // uncompressed
  w.u16(TlsExtension.SIGNATURE_ALGORITHMS);
  w.u16(2 + 2 * SIGNATURE_SCHEMES.length);
  w.u16(2 * SIGNATURE_SCHEMES.length);
  for (const s of SIGNATURE_SCHEMES) w.u16(s);
  w.u16(TlsExtension.SUPPORTED_VERSIONS);
  w.u16(1 + 2 * SUPPORTED_VERSIONS.length);
  w.u8(2 * SUPPORTED_VERSIONS.length);
  for (const v of SUPPORTED_VERSIONS) w.u16(v);
  w.u16(TlsExtension.KEY_SHARE);
  w.u16(2 + shareLen);
  w.u16(shareLen);
  for (const s of p.keyShares) {
    w.u16(s.group);
    w.u16(s.key.length);
    w.bytes(s.key);
  }
  w.u16(TlsExtension.PSK_KEY_EXCHANGE_MODES);
  w.u16(2);
  w.u8(1);
  w.u8(1); // psk_dhe_ke
  if (p.cookie !== undefined) {
    // RFC 8446 §4.2.2: struct { opaque cookie<1..2^16-1>; } Cookie;
    w.u16(TlsExtension.COOKIE);
    w.u16(2 + p.cookie.length);
    w.u16(p.cookie.length);
    w.bytes(p.cookie);
  }
  if (p.sessionTicket !== undefined) {
    w.u16(TlsExtension.SESSION_TICKET);
    w.u16(p.sessionTicket.length);
    w.bytes(p.sessionTicket);
  }
  if (p.heartbeat === true) {
    w.u16(TlsExtension.HEARTBEAT);
    w.u16(1);
    w.u8(HeartbeatMode.PEER_ALLOWED_TO_SEND);
  }
  if (w.p !== w.b.length) throw new Error(`ClientHello size mismatch: wrote ${w.p} of ${w.b.length}`);
  return w.b;
}

// ---------------------------------------------------------------------------------------------
// Record framing

/** Where `TlsRecordReader` delivers records. */
export interface TlsRecordSink {
  /** A record starts. Return false to stop reading (nothing more is delivered). */
  recordStart(type: number, version: number, length: number): boolean;
  /** The next piece of the current record's fragment (a view of the caller's input). */
  recordData(buf: Uint8Array, off: number, len: number): void;
  /** The current record's fragment is complete. Return false to stop reading. */
  recordEnd(): boolean;
}

/**
 * Record framing over a stream split anywhere. Holds the header bytes seen so far as numbers,
 * so its state is a few small integers.
 */
export class TlsRecordReader {
  /** Header bytes gathered (0..5); 5 while inside a record's fragment. */
  private hdrFill = 0;
  private type = 0;
  private version = 0;
  private length = 0;
  /** Fragment bytes still to come in the current record. */
  private left = 0;
  private stopped = false;
  /** Why reading stopped on bad bytes (null: it did not, or the sink asked). */
  error: TlsError | null = null;

  get done(): boolean {
    return this.stopped;
  }

  /** Feed bytes; returns false once reading has stopped (by the sink or on an error). */
  push(buf: Uint8Array, off: number, len: number, sink: TlsRecordSink): boolean {
    const end = off + len;
    let p = off;
    while (!this.stopped && p < end) {
      if (this.hdrFill < TLS_RECORD_HEADER_LEN) {
        const b = buf[p++];
        switch (this.hdrFill++) {
          case 0:
            this.type = b;
            break;
          case 1:
          case 2:
            this.version = ((this.version << 8) | b) & 0xffff;
            break;
          case 3:
            this.length = b << 8;
            break;
          default:
            this.length |= b;
            if (!this.headerOk()) return false;
            this.left = this.length;
            if (!sink.recordStart(this.type, this.version, this.length)) return this.stop();
            if (this.left === 0 && !this.finishRecord(sink)) return false;
        }
        continue;
      }
      const n = Math.min(this.left, end - p);
      sink.recordData(buf, p, n);
      p += n;
      this.left -= n;
      if (this.left === 0 && !this.finishRecord(sink)) return false;
    }
    return !this.stopped;
  }

  private headerOk(): boolean {
    if (this.type < TlsContentType.CHANGE_CIPHER_SPEC || this.type > TlsContentType.HEARTBEAT) {
      // An SSLv2 record (high bit set in the first byte) lands here too.
      this.error = (this.type & 0x80) !== 0 ? 'unsupported' : 'malformed';
      this.stopped = true;
      return false;
    }
    if (this.version >>> 8 !== 3) {
      this.error = 'unsupported';
      this.stopped = true;
      return false;
    }
    if (this.length > TLS_MAX_RECORD_LEN) {
      this.error = 'malformed';
      this.stopped = true;
      return false;
    }
    return true;
  }

  private finishRecord(sink: TlsRecordSink): boolean {
    this.hdrFill = 0;
    this.version = 0;
    if (!sink.recordEnd()) return this.stop();
    return true;
  }

  private stop(): boolean {
    this.stopped = true;
    return false;
  }
}

// ---------------------------------------------------------------------------------------------
// Handshake message reassembly

/** Where `TlsHandshakeReader` delivers messages. */
export interface TlsHandshakeSink {
  /** A message of `type` with a body of `length` bytes starts: keep it (true) or skip it. */
  handshakeWanted(type: number, length: number): boolean;
  /**
   * A kept message, whole: `body` is the message body without its 4-byte header, a view valid
   * only during the call. Return false to stop reading.
   */
  handshakeMessage(type: number, body: Uint8Array): boolean;
}

/**
 * Handshake messages reassembled from the handshake bytes of successive records (RFC 8446
 * §5.1: "Handshake messages MAY be coalesced into a single TLSPlaintext record or fragmented
 * across several records"). A kept message grows its buffer as its bytes arrive (doubling), so
 * a length field alone never makes it allocate much.
 */
export class TlsHandshakeReader {
  private hdrFill = 0;
  private type = 0;
  private length = 0;
  private left = 0;
  private keep = false;
  private body: Uint8Array | null = null;
  private fill = 0;
  private stopped = false;
  error: TlsError | null = null;

  /** `maxLength`: the largest body kept; a larger wanted message is an 'unsupported' error. */
  constructor(private readonly maxLength: number = TLS_MAX_HANDSHAKE_LEN) {}

  get done(): boolean {
    return this.stopped;
  }

  /** True between messages (no partial header or body held). */
  get idle(): boolean {
    return this.hdrFill === 0;
  }

  push(buf: Uint8Array, off: number, len: number, sink: TlsHandshakeSink): boolean {
    const end = off + len;
    let p = off;
    while (!this.stopped && p < end) {
      if (this.hdrFill < TLS_HANDSHAKE_HEADER_LEN) {
        const b = buf[p++];
        if (this.hdrFill++ === 0) {
          this.type = b;
          this.length = 0;
        } else {
          this.length = (this.length << 8) | b;
        }
        if (this.hdrFill === TLS_HANDSHAKE_HEADER_LEN && !this.begin(sink)) return false;
        continue;
      }
      const n = Math.min(this.left, end - p);
      if (this.keep) this.append(buf, p, n);
      p += n;
      this.left -= n;
      if (this.left === 0 && !this.finish(sink)) return false;
    }
    return !this.stopped;
  }

  private begin(sink: TlsHandshakeSink): boolean {
    this.left = this.length;
    this.keep = sink.handshakeWanted(this.type, this.length);
    if (this.keep) {
      if (this.length > this.maxLength) {
        this.error = 'unsupported';
        this.stopped = true;
        return false;
      }
      this.body = new Uint8Array(Math.min(this.length, 4096));
      this.fill = 0;
    }
    if (this.left === 0) return this.finish(sink);
    return true;
  }

  private append(buf: Uint8Array, p: number, n: number): void {
    let body = this.body as Uint8Array;
    if (this.fill + n > body.length) {
      const grown = new Uint8Array(Math.min(this.length, Math.max(body.length * 2, this.fill + n)));
      grown.set(body.subarray(0, this.fill));
      body = grown;
      this.body = grown;
    }
    body.set(buf.subarray(p, p + n), this.fill);
    this.fill += n;
  }

  private finish(sink: TlsHandshakeSink): boolean {
    this.hdrFill = 0;
    if (!this.keep) return true;
    const body = this.body as Uint8Array;
    this.body = null;
    this.keep = false;
    if (!sink.handshakeMessage(this.type, body.subarray(0, this.fill))) {
      this.stopped = true;
      return false;
    }
    return true;
  }
}

// ---------------------------------------------------------------------------------------------
// Message parsers

export interface ServerHello {
  /** ServerHello.legacy_version (server_version before 1.3). */
  readonly legacyVersion: number;
  /** The version agreed: supported_versions' selected_version when present, else legacyVersion. */
  readonly version: number;
  readonly random: Uint8Array;
  readonly sessionId: Uint8Array;
  readonly cipherSuite: number;
  readonly compression: number;
  /** True when this is a HelloRetryRequest (its random is `HELLO_RETRY_RANDOM`). */
  readonly helloRetry: boolean;
  /** key_share: the server's group (ServerHello) or the group it asks for (HRR); -1 none. */
  readonly keyShareGroup: number;
  /** key_share: the server's public value (ServerHello only), else null. */
  readonly keyShare: Uint8Array | null;
  /** cookie (HRR): the cookie's bytes, to echo; null when absent. */
  readonly cookie: Uint8Array | null;
  /** RFC 6520 §2: the server's HeartbeatMode byte; -1 when the extension is absent. */
  readonly heartbeatMode: number;
}

/** Parse a ServerHello (or HelloRetryRequest) body. Views into `body`; copies nothing. */
export function parseServerHello(body: Uint8Array): ServerHello | TlsError {
  const n = body.length;
  if (n < 2 + 32 + 1) return 'truncated';
  const legacyVersion = u16(body, 0);
  const random = body.subarray(2, 34);
  const sidLen = body[34];
  if (sidLen > 32) return 'malformed';
  let p = 35 + sidLen;
  if (p + 3 > n) return 'truncated';
  const sessionId = body.subarray(35, p);
  const cipherSuite = u16(body, p);
  const compression = body[p + 2];
  p += 3;
  let helloRetry = true;
  for (let i = 0; i < 32; i++) {
    if (random[i] !== HELLO_RETRY_RANDOM[i]) {
      helloRetry = false;
      break;
    }
  }
  let version = legacyVersion;
  let keyShareGroup = -1;
  let keyShare: Uint8Array | null = null;
  let cookie: Uint8Array | null = null;
  let heartbeatMode = -1;
  // RFC 5246 §7.4.1.3: extensions may be absent altogether in a 1.2 (and older) ServerHello.
  if (p < n) {
    if (p + 2 > n) return 'truncated';
    const extEnd = p + 2 + u16(body, p);
    if (extEnd > n) return 'truncated';
    p += 2;
    while (p < extEnd) {
      if (p + 4 > extEnd) return 'truncated';
      const type = u16(body, p);
      const len = u16(body, p + 2);
      p += 4;
      if (p + len > extEnd) return 'truncated';
      switch (type) {
        case TlsExtension.SUPPORTED_VERSIONS:
          if (len !== 2) return 'malformed';
          version = u16(body, p);
          break;
        case TlsExtension.KEY_SHARE:
          if (helloRetry) {
            if (len !== 2) return 'malformed';
            keyShareGroup = u16(body, p);
          } else {
            if (len < 4) return 'truncated';
            const kl = u16(body, p + 2);
            if (4 + kl !== len) return 'malformed';
            keyShareGroup = u16(body, p);
            keyShare = body.subarray(p + 4, p + 4 + kl);
          }
          break;
        case TlsExtension.COOKIE: {
          if (len < 2) return 'truncated';
          const cl = u16(body, p);
          if (2 + cl !== len || cl === 0) return 'malformed';
          cookie = body.subarray(p + 2, p + 2 + cl);
          break;
        }
        case TlsExtension.HEARTBEAT:
          // RFC 6520 §2: struct { HeartbeatMode mode; } HeartbeatExtension;
          if (len !== 1) return 'malformed';
          heartbeatMode = body[p];
          break;
        default:
          break;
      }
      p += len;
    }
  }
  return { legacyVersion, version, random, sessionId, cipherSuite, compression, helloRetry, keyShareGroup, keyShare, cookie, heartbeatMode };
}

/**
 * Parse a Certificate message body into the DER of each certificate, leaf first (views into
 * `body`). `tls13`: the RFC 8446 §4.4.2 form (a request context, then per-entry extensions);
 * otherwise the RFC 5246 §7.4.2 form. An empty list is valid (a server with no certificate).
 */
export function parseCertificate(body: Uint8Array, tls13: boolean): Uint8Array[] | TlsError {
  const n = body.length;
  let p = 0;
  if (tls13) {
    if (n < 1) return 'truncated';
    p = 1 + body[0];
    if (p > n) return 'truncated';
  }
  if (p + 3 > n) return 'truncated';
  const listEnd = p + 3 + u24(body, p);
  if (listEnd > n) return 'truncated';
  p += 3;
  const certs: Uint8Array[] = [];
  while (p < listEnd) {
    if (p + 3 > listEnd) return 'truncated';
    const cl = u24(body, p);
    p += 3;
    // RFC 8446 §4.4.2 / RFC 5246 §7.4.2: opaque cert_data<1..2^24-1>, ASN.1Cert<1..2^24-1>.
    if (cl === 0) return 'malformed';
    if (p + cl > listEnd) return 'truncated';
    certs.push(body.subarray(p, p + cl));
    p += cl;
    if (tls13) {
      if (p + 2 > listEnd) return 'truncated';
      const el = u16(body, p);
      p += 2 + el;
      if (p > listEnd) return 'truncated';
    }
  }
  return certs;
}

export interface TlsAlert {
  readonly level: number;
  readonly description: number;
}

/** An alert record's two bytes. */
export function parseAlert(buf: Uint8Array, off: number, len: number): TlsAlert | TlsError {
  if (len < 2 || off < 0 || off + 2 > buf.length) return 'truncated';
  return { level: buf[off], description: buf[off + 1] };
}

/** RFC 6520 §2: the heartbeat extension's mode (offered in the ClientHello for --heartbleed). */
export const HeartbeatMode = {
  PEER_ALLOWED_TO_SEND: 1,
  PEER_NOT_ALLOWED_TO_SEND: 2,
} as const;

/** masscan's version token for a ServerHello version (reference masscan-compat §9.4). */
export function tlsVersionToken(v: number): string {
  switch (v) {
    case TlsVersion.SSL3:
      return 'SSLv3 ';
    case TlsVersion.TLS10:
      return 'TLS/1.0 ';
    case TlsVersion.TLS11:
      return 'TLS/1.1 ';
    case TlsVersion.TLS12:
      return 'TLS/1.2 ';
    case TlsVersion.TLS13:
      return 'TLS/1.3 ';
    default:
      return `SSLver[${v >>> 8},${v & 0xff}] `;
  }
}
