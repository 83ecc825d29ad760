/**
 * The `ssl` banner module: our ClientHello (with SNI), then the server's flight read as a
 * stream up to its Certificate, for TLS 1.0-1.2 in the clear and for TLS 1.3 through the key
 * schedule and AEAD decryption of src/codec/tls13.ts (one X25519 key per scan).
 *
 * Banners, in masscan's text (reference masscan-compat §9.4):
 * - `ssl`: `TLS/1.2 cipher:0xc02f, <CN>, <SAN>, ...` (the version token, the suite in hex, then
 *   `, name` for the leaf's subject CN and each DNS subjectAltName), alerts as ` ALERT(0xLLDD) `;
 * - `X509`: base64 DER of the leaf; `X509CA`: base64 DER of each further certificate, one
 *   record each (endRecord after each, as masscan HEAD ends the record); only with `captureCert`. Never cut short here, whatever the size.
 * After the Certificate the connection is closed (conv.close()).
 *
 * HelloRetryRequest: supported in the same connection (RFC 8446 §4.1.4). A server that wants
 * secp256r1 or secp384r1 gets a second ClientHello with the scan's P-256 / P-384 key share (and
 * its cookie echoed), and the transcript starts with the message_hash of the first ClientHello.
 * A retry we cannot honour (a group we have no key for, a second retry) is recorded as the
 * `tls-error` field and ends the parse.
 *
 * Per connection we keep no copy of the ClientHello: its random and session id are a keyed
 * hash of the target (the key drawn once per scan from the injected random source), so the
 * parser rebuilds the same bytes at ServerHello time for the transcript hash.
 */
import { createHash, createHmac, X509Certificate, type Hash } from 'node:crypto';
import { buildHeartbeatRequest, buildSsl3ClientHello, HeartbeatMessageType, HeartbeatReader, type HeartbeatSink } from '../codec/tls-vuln.js';
import type { VulnCheck } from '../core/config.js';
import type { AppName, BannerModule, BannerOut, BannerParser, Conversation, TargetInfo } from './module.js';
import {
  buildClientHello,
  type ClientHelloParams,
  parseCertificate,
  parseServerHello,
  tlsVersionToken,
  TlsContentType,
  TlsGroup,
  TlsHandshakeReader,
  TlsHandshakeType,
  TlsRecordReader,
  TlsVersion,
  TLS_RECORD_HEADER_LEN,
  type ServerHello,
  type TlsHandshakeSink,
  type TlsRecordSink,
} from '../codec/tls.js';
import { messageHashMessage, serverHandshakeKeys, tls13Suite, Tls13RecordDecrypter, type Tls13Suite, type TlsScanKeys } from '../codec/tls13.js';

export interface TlsModuleOptions {
  /** server_name for every target (`--tls-sni`); else the target's name, else none. */
  readonly sni?: string | undefined;
  /** Emit `X509`/`X509CA` (masscan's default; `--nocapture cert` turns it off). */
  readonly captureCert: boolean;
  /** The scan's key pairs, prepared once. */
  readonly keys: TlsScanKeys;
  /** Randomness (the scan's source): read once, 32 bytes, to key the per-target hello values. */
  readonly random: (n: number) => Uint8Array;
  /**
   * --heartbleed / --ticketbleed (--vuln X): the check this scan runs on every TLS
   * connection (see VULN below); undefined: none.
   */
  readonly vuln?: TlsVulnCheck | undefined;
  /** --capture heartbleed: the leaked bytes as a base64 `heartbleed` banner. */
  readonly captureHeartbleed?: boolean | undefined;
  /** --capture ticketbleed: the leaked session-id bytes as a base64 `ticketbleed` banner. */
  readonly captureTicketbleed?: boolean | undefined;
}

/** The TLS vulnerability checks (core's VulnCheck, the type of ScanConfig.vulnCheck). */
export type TlsVulnCheck = VulnCheck;

/**
 * The texts of the vulnerability checks (reference masscan-compat §9.4: masscan's `vuln`
 * texts; the `safe` ones follow its `poodle[no-SSLv3] ` form, for the verdicts masscan
 * leaves unsaid).
 *
 * Heartbleed (CVE-2014-0160), masscan's way: the ClientHello offers the heartbeat extension;
 * on a TLS <= 1.2 ServerHello we send at once a heartbeat request whose payload_length
 * (0x4000) is larger than its payload (none), then an honest request (4 bytes of payload, 16 of
 * padding). A vulnerable server answers the first with 16 KiB of its memory; a fixed one drops
 * it (RFC 6520 §4) and answers only the second, which gives a verdict without waiting for a
 * timeout. masscan's rule: a response whose payload_length is 16 or more is a bleed.
 * NOTE: masscan also sends a warning alert (level 1, description 0x80) just before its
 * heartbeat request; we do not: a vulnerable server answers the heartbeat without it.
 *
 * Ticketbleed (CVE-2016-9244): the ClientHello carries a session ticket and a 1-byte session
 * id. A vulnerable server that resumes on the ticket echoes a 32-byte session id: our byte,
 * then 31 bytes of its memory. A leak is reported when the ServerHello's session id is longer
 * than ours, starts with our byte, and the server resumes (ChangeCipherSpec follows, no
 * Certificate); a full handshake with a new session id is not one.
 * NOTE: the ticket is our own bytes, not one the server issued, so only a server that resumes
 * on any ticket is caught; reaching a real one needs a full handshake first (not done).
 *
 * POODLE (CVE-2014-3566), masscan's way (--vuln poodle / sslv3): the ClientHello is an SSL 3.0
 * one (codec buildSsl3ClientHello, with TLS_FALLBACK_SCSV). A ServerHello means the server
 * speaks SSL 3.0: `vuln` gets ` POODLE ` (after `SSL[v3] `, which every SSL 3.0 ServerHello
 * gets, as in masscan). A fatal alert is the verdict `safe`: inappropriate_fallback (86)
 * `poodle[TLS_FALLBACK_SCSV] `; handshake_failure (40) `poodle[no-SSLv3] `; any other
 * `poodle[no-SSLv3] ` with the alert in the `ssl` record as usual (masscan writes no ALERT text
 * for 86 and 40 under this check).
 */
export const VULN = {
  HEARTBEAT: 'SSL[heartbeat] ',
  HEARTBLEED: 'SSL[HEARTBLEED] ',
  TICKETBLEED: 'SSL[ticketbleed] ',
  NO_HEARTBEAT: 'heartbleed[no-heartbeat] ',
  PATCHED: 'heartbleed[patched] ',
  REFUSED: 'heartbleed[refused] ',
  NO_LEAK: 'ticketbleed[no-leak] ',
  SSL3: 'SSL[v3] ',
  POODLE: ' POODLE ',
  NO_SSL3: 'poodle[no-SSLv3] ',
  FALLBACK_SCSV: 'poodle[TLS_FALLBACK_SCSV] ',
} as const;

/** The payload_length of our Heartbleed probe (masscan's: 0x4000). */
export const HEARTBLEED_LENGTH = 0x4000;
/** masscan's rule: a heartbeat response this long or longer is a bleed. */
export const HEARTBLEED_MIN = 16;
/** The honest request's payload: a response of this length is the fixed server's answer. */
const HEARTBEAT_PAYLOAD = Uint8Array.from(Buffer.from('tide', 'latin1'));

/** Why a TLS parse ended early, as the `tls-error` field of the `ssl` record. */
export type TlsBannerError =
  | 'record-truncated' | 'record-malformed' | 'record-unsupported'
  | 'handshake-truncated' | 'handshake-malformed' | 'handshake-unsupported'
  | 'server-hello' | 'certificate' | 'key-share' | 'cipher-suite' | 'decrypt' | 'hello-retry'
  | 'unexpected-message';

const SSL: AppName = 'ssl';

/**
 * The largest handshake message kept (a Certificate with its chain). NOTE: the protocol allows
 * 16 MiB; real chains stay far below 100 KB. A larger one is refused whole (the
 * `handshake-unsupported` error), never cut short, so that one hostile server cannot make a
 * connection hold more than this.
 */
export const TLS_MAX_CERTIFICATE_MESSAGE = 1 << 20;

const Phase = {
  HELLO: 0, // waiting for ServerHello (or the ServerHello after a HelloRetryRequest)
  CLEAR: 1, // TLS <= 1.2: the rest of the flight in the clear
  PROTECTED: 2, // TLS 1.3: handshake records under the server handshake key
  DONE: 3,
} as const;
type Phase = (typeof Phase)[keyof typeof Phase];

/** One scan's TLS module. Exposed as a class for tests and the benchmark; `tlsModule` is the API. */
export class TlsModule implements BannerModule {
  readonly name = 'ssl';
  private readonly key: Uint8Array;

  constructor(readonly opts: TlsModuleOptions) {
    this.key = opts.random(32).slice(0, 32);
    if (this.key.length !== 32) throw new RangeError('random(32) gave fewer than 32 bytes');
  }

  /** The server_name we send to `t`, if any. */
  serverName(t: TargetInfo): string | undefined {
    return this.opts.sni ?? t.name;
  }

  /** ClientHello.random and legacy_session_id for `t`: HMAC-SHA-512(scan key, target). */
  helloValues(t: TargetInfo): { random: Uint8Array; sessionId: Uint8Array } {
    const h = createHmac('sha512', this.key).update(`${t.ip} ${t.port} ${this.serverName(t) ?? ''}`).digest();
    return { random: h.subarray(0, 32), sessionId: h.subarray(32, 64) };
  }

  /** The legacy_session_id sent, of helloValues's `id`: its first byte for the Ticketbleed check. */
  sentSessionId(id: Uint8Array): Uint8Array {
    return this.opts.vuln === 'ticketbleed' ? id.subarray(0, 1) : id;
  }

  /** The session ticket of the Ticketbleed check to `t` (64 bytes, keyed like the hello values). */
  private ticket(t: TargetInfo): Uint8Array {
    return createHmac('sha512', this.key).update(`ticket ${t.ip} ${t.port}`).digest();
  }

  /**
   * The ClientHello fields for `t` besides the key shares: random, session id (1 byte for the
   * Ticketbleed check), server name, and the check's extension.
   */
  helloParams(t: TargetInfo): Omit<ClientHelloParams, 'keyShares'> {
    const v = this.helloValues(t);
    const vuln = this.opts.vuln;
    return {
      random: v.random,
      sessionId: this.sentSessionId(v.sessionId),
      serverName: this.serverName(t),
      heartbeat: vuln === 'heartbleed',
      sessionTicket: vuln === 'ticketbleed' ? this.ticket(t) : undefined,
    };
  }

  /** The first ClientHello to `t`, as a record (deterministic for a given target). */
  clientHello(t: TargetInfo): Uint8Array {
    if (this.opts.vuln === 'poodle') return buildSsl3ClientHello(this.helloValues(t).random);
    const x = this.opts.keys.publicKey(TlsGroup.X25519) as Uint8Array;
    return buildClientHello({ ...this.helloParams(t), keyShares: [{ group: TlsGroup.X25519, key: x }] });
  }

  hello(t: TargetInfo): Uint8Array {
    return this.clientHello(t);
  }

  open(t: TargetInfo, out: BannerOut, conv: Conversation): BannerParser {
    return new TlsConnection(this, t, out, conv);
  }
}

export function tlsModule(opts: TlsModuleOptions): BannerModule {
  return new TlsModule(opts);
}

/** Where a vulnerability check stands on one connection. */
const Check = {
  NONE: 0, // no check, or no verdict possible yet
  HB_WAIT: 1, // heartbeat requests sent, waiting for a response
  HB_BLEED: 2, // reading a bleeding response
  HB_HONEST: 3, // reading the answer to the honest request
  TB_RESUME: 4, // a longer session id starting with ours: does the server resume?
  DONE: 5,
} as const;
type Check = (typeof Check)[keyof typeof Check];

/** The most leaked bytes kept per connection (one bleeding response). */
const LEAK_CAP = HEARTBLEED_LENGTH;

class TlsConnection implements BannerParser, TlsRecordSink, TlsHandshakeSink, HeartbeatSink {
  private check: Check = Check.NONE;
  private heartbeats: HeartbeatReader | null = null;
  /** Leaked bytes gathered (heartbleed capture; the ticketbleed session id). */
  private leak: Uint8Array | null = null;
  private leakLen = 0;
  private phase: Phase = Phase.HELLO;
  /** Made at the first byte from the server: a connection that stays silent holds only this object. */
  private records: TlsRecordReader | null = null;
  private hs: TlsHandshakeReader | null = null;
  /** Content type of the record being read. */
  private recType = 0;
  /** Alert bytes of the current record (0..2 gathered). */
  private alertFill = 0;
  private alertLevel = 0;
  /** TLS 1.3: the protected record being gathered (header + body), and the decrypter. */
  private rec: Uint8Array | null = null;
  private recFill = 0;
  private dec: Tls13RecordDecrypter | null = null;
  /** After a HelloRetryRequest: the running transcript, the suite and group asked for. */
  private retry: { transcript: Hash; suite: Tls13Suite; group: number } | null = null;
  /** True while handshake bytes from a record in the clear are being read. */
  private plain = false;

  constructor(
    private readonly mod: TlsModule,
    private readonly t: TargetInfo,
    private readonly out: BannerOut,
    private readonly conv: Conversation,
  ) {}

  data(buf: Uint8Array, off: number, len: number): void {
    if (this.phase === Phase.DONE) return;
    const r = (this.records ??= new TlsRecordReader());
    if (!r.push(buf, off, len, this) && r.error !== null && !this.isDone()) {
      this.fail(`record-${r.error}`);
    }
  }

  end(): void {
    // Everything is written as it is parsed; nothing is pending.
    this.phase = Phase.DONE;
  }

  // --- records ---

  recordStart(type: number, version: number, length: number): boolean {
    if (this.phase === Phase.DONE) return false;
    this.recType = type;
    this.alertFill = 0;
    if (type === TlsContentType.HEARTBEAT) this.heartbeats?.recordStart();
    if (type === TlsContentType.CHANGE_CIPHER_SPEC && this.check === Check.TB_RESUME) {
      // RFC 5246 §7.3: an abbreviated handshake: ServerHello, then ChangeCipherSpec. The server
      // resumed on our ticket with the session id it echoed: the leak is real.
      this.ticketbleed();
      return false;
    }
    if (type === TlsContentType.APPLICATION_DATA && this.phase === Phase.PROTECTED) {
      // The whole record is needed: its tag is at the end. The header as received is the
      // additional data (RFC 8446 §5.2), so a server that wrote another legacy_record_version
      // fails the tag check, as it should.
      const r = new Uint8Array(TLS_RECORD_HEADER_LEN + length);
      r[0] = type;
      r[1] = version >>> 8;
      r[2] = version & 0xff;
      r[3] = length >>> 8;
      r[4] = length & 0xff;
      this.rec = r;
      this.recFill = TLS_RECORD_HEADER_LEN;
    }
    return true;
  }

  recordData(buf: Uint8Array, off: number, len: number): void {
    if (this.phase === Phase.DONE) return;
    switch (this.recType) {
      case TlsContentType.HANDSHAKE:
        if (this.phase === Phase.PROTECTED) {
          // RFC 8446 §5: after ServerHello every handshake message is protected.
          this.fail('unexpected-message');
          return;
        }
        this.plain = true;
        this.handshakeBytes(buf, off, len);
        this.plain = false;
        return;
      case TlsContentType.ALERT:
        for (let i = 0; i < len && this.alertFill < 2; i++, this.alertFill++) {
          if (this.alertFill === 0) this.alertLevel = buf[off + i];
          else this.alert(this.alertLevel, buf[off + i]);
        }
        return;
      case TlsContentType.APPLICATION_DATA:
        if (this.rec !== null) {
          this.rec.set(buf.subarray(off, off + len), this.recFill);
          this.recFill += len;
        }
        return;
      case TlsContentType.HEARTBEAT:
        if (this.heartbeats !== null && this.phase === Phase.CLEAR) {
          if (!this.heartbeats.push(buf, off, len, this)) this.heartbeats = null;
        }
        return;
      default:
        // change_cipher_spec (RFC 8446 §5: sent for middlebox compatibility; ignored).
        return;
    }
  }

  recordEnd(): boolean {
    if (this.phase === Phase.DONE) return false;
    if (this.recType === TlsContentType.HANDSHAKE && this.phase === Phase.PROTECTED && this.hs !== null && !this.hs.idle) {
      // RFC 8446 §5.1: "Handshake messages MUST NOT span key changes."
      this.fail('unexpected-message');
      return false;
    }
    const rec = this.rec;
    if (rec !== null) {
      this.rec = null;
      this.protectedRecord(rec);
    }
    return !this.isDone();
  }

  private protectedRecord(rec: Uint8Array): void {
    const r = (this.dec as Tls13RecordDecrypter).decrypt(rec);
    if (typeof r === 'string') {
      this.fail(r === 'bad-tag' ? 'decrypt' : `record-${r}`);
      return;
    }
    const c = r.content;
    if (r.type === TlsContentType.HANDSHAKE) {
      this.handshakeBytes(c, 0, c.length);
    } else if (r.type === TlsContentType.ALERT) {
      if (c.length >= 2) this.alert(c[0], c[1]);
    }
  }

  private handshakeBytes(buf: Uint8Array, off: number, len: number): void {
    const hs = (this.hs ??= new TlsHandshakeReader(TLS_MAX_CERTIFICATE_MESSAGE));
    if (!hs.push(buf, off, len, this) && hs.error !== null && !this.isDone()) {
      this.fail(`handshake-${hs.error}`);
    }
  }

  private alert(level: number, description: number): void {
    if (this.mod.opts.vuln === 'poodle' && level === 2 && this.check === Check.NONE) {
      // RFC 7507 §3: inappropriate_fallback(86); RFC 5246 §7.2.2: handshake_failure(40)
      this.safe(description === 86 ? VULN.FALLBACK_SCSV : VULN.NO_SSL3);
      if (description === 86 || description === 40) {
        this.finish();
        return;
      }
    }
    this.out.appendText(SSL, ` ALERT(0x${hex2(level)}${hex2(description)}) `);
    // RFC 8446 §6: a fatal alert (level 2) closes the connection; a warning may be followed by
    // more (a 1.2 server's unrecognized_name warning, for instance).
    if (level === 2) {
      if (this.check === Check.HB_WAIT) this.safe(VULN.REFUSED);
      if (this.check === Check.TB_RESUME) this.safe(VULN.NO_LEAK);
      this.finish();
    }
  }

  // --- handshake messages ---

  handshakeWanted(type: number, _length: number): boolean {
    // A message in the clear after a 1.3 ServerHello (in the rest of its record) is refused
    // in handshakeMessage.
    if (this.plain && this.phase === Phase.PROTECTED) return true;
    switch (this.phase) {
      case Phase.HELLO:
        return type === TlsHandshakeType.SERVER_HELLO;
      case Phase.CLEAR:
        return type === TlsHandshakeType.CERTIFICATE || type === TlsHandshakeType.SERVER_HELLO_DONE;
      case Phase.PROTECTED:
        return type === TlsHandshakeType.CERTIFICATE || type === TlsHandshakeType.FINISHED;
      default:
        return false;
    }
  }

  handshakeMessage(type: number, body: Uint8Array): boolean {
    if (this.phase === Phase.DONE) return false;
    // RFC 8446 §5: after the ServerHello every handshake message is protected.
    if (this.plain && this.phase === Phase.PROTECTED) return this.fail('unexpected-message');
    if (type === TlsHandshakeType.SERVER_HELLO) {
      const sh = parseServerHello(body);
      if (typeof sh === 'string') return this.fail('server-hello');
      if (sh.helloRetry) return this.helloRetry(sh, body);
      return this.serverHello(sh, body);
    }
    if (this.check === Check.TB_RESUME) {
      // A full handshake: the session id was a new one, not our byte and memory.
      this.safe(VULN.NO_LEAK);
    }
    if (type === TlsHandshakeType.CERTIFICATE) {
      const certs = parseCertificate(body, this.phase === Phase.PROTECTED);
      if (typeof certs === 'string') return this.fail('certificate');
      this.certificates(certs);
      return this.waiting() ? true : this.finish();
    }
    // ServerHelloDone / Finished without a Certificate first: nothing more to learn.
    return this.waiting() ? true : this.finish();
  }

  private serverHello(sh: ServerHello, body: Uint8Array): boolean {
    this.out.appendText(SSL, `${tlsVersionToken(sh.version)}cipher:0x${sh.cipherSuite.toString(16)}`);
    // masscan: every SSL 3.0 ServerHello is a `vuln` of its own
    if (sh.version === TlsVersion.SSL3) this.out.appendText('vuln', VULN.SSL3);
    this.vulnHello(sh);
    if (sh.version !== TlsVersion.TLS13) {
      if (this.retry !== null) return this.fail('hello-retry');
      this.phase = Phase.CLEAR;
      return true;
    }
    const suite = tls13Suite(sh.cipherSuite);
    if (suite === null) return this.fail('cipher-suite');
    const keys = this.mod.opts.keys;
    let transcript: Hash;
    if (this.retry !== null) {
      // RFC 8446 §4.1.4: "the client MUST check that the cipher suite supplied in the
      // ServerHello is the same as that in the HelloRetryRequest"; the key share must be in the
      // group asked for.
      if (suite !== this.retry.suite) return this.fail('cipher-suite');
      if (this.retry.group >= 0 && sh.keyShareGroup !== this.retry.group) return this.fail('key-share');
      transcript = this.retry.transcript;
      this.retry = null;
    } else {
      transcript = createHash(suite.hash).update(this.mod.clientHello(this.t).subarray(TLS_RECORD_HEADER_LEN));
    }
    if (sh.keyShare === null) return this.fail('key-share');
    const shared = keys.sharedSecret(sh.keyShareGroup, sh.keyShare);
    if (shared === null) return this.fail('key-share');
    transcript.update(handshakeHeader(TlsHandshakeType.SERVER_HELLO, body.length));
    transcript.update(body);
    const k = serverHandshakeKeys(suite, shared, transcript.digest());
    this.dec = new Tls13RecordDecrypter(suite, k.key, k.iv);
    this.phase = Phase.PROTECTED;
    return true;
  }

  /** RFC 8446 §4.1.4: answer a HelloRetryRequest with a second ClientHello. */
  private helloRetry(hrr: ServerHello, body: Uint8Array): boolean {
    // "If a client receives a second HelloRetryRequest in the same connection (i.e., where the
    // ClientHello was itself in response to a HelloRetryRequest), it MUST abort the handshake".
    if (this.retry !== null) return this.retryRefused(hrr);
    const suite = tls13Suite(hrr.cipherSuite);
    if (suite === null || hrr.version !== TlsVersion.TLS13) return this.retryRefused(hrr);
    const keys = this.mod.opts.keys;
    let share = { group: TlsGroup.X25519 as number, key: keys.publicKey(TlsGroup.X25519) as Uint8Array };
    if (hrr.keyShareGroup >= 0) {
      // "the client MUST verify that (1) the selected_group field corresponds to a group which
      // was provided in the "supported_groups" extension in the original ClientHello and (2)
      // the selected_group field does not correspond to a group which was provided in the
      // "key_share" extension in the original ClientHello."
      const key = keys.publicKey(hrr.keyShareGroup);
      if (key === null || hrr.keyShareGroup === TlsGroup.X25519) return this.retryRefused(hrr);
      share = { group: hrr.keyShareGroup, key };
    } else if (hrr.cookie === null) {
      // "Clients MUST abort the handshake with an "illegal_parameter" alert if the
      // HelloRetryRequest would not result in any change in the ClientHello."
      return this.retryRefused(hrr);
    }
    const ch1 = this.mod.clientHello(this.t).subarray(TLS_RECORD_HEADER_LEN);
    const ch2 = buildClientHello({
      ...this.mod.helloParams(this.t),
      keyShares: [share],
      cookie: hrr.cookie ?? undefined,
      recordVersion: TlsVersion.TLS12,
    });
    const transcript = createHash(suite.hash)
      .update(messageHashMessage(suite.hash, ch1))
      .update(handshakeHeader(TlsHandshakeType.SERVER_HELLO, body.length))
      .update(body)
      .update(ch2.subarray(TLS_RECORD_HEADER_LEN));
    this.retry = { transcript, suite, group: hrr.keyShareGroup };
    this.conv.send(ch2);
    return true;
  }

  /** A retry we cannot honour: say what the server chose, and why we stopped. */
  private retryRefused(hrr: ServerHello): boolean {
    this.out.appendText(SSL, `${tlsVersionToken(hrr.version)}cipher:0x${hrr.cipherSuite.toString(16)}`);
    return this.fail('hello-retry');
  }

  private certificates(certs: Uint8Array[]): void {
    if (certs.length === 0) return;
    const leaf = certs[0];
    for (const name of certificateNames(leaf)) this.out.appendText(SSL, `, ${name}`);
    if (!this.mod.opts.captureCert) return;
    this.out.appendText('X509', Buffer.from(leaf.buffer, leaf.byteOffset, leaf.length).toString('base64'));
    for (let i = 1; i < certs.length; i++) {
      const c = certs[i];
      this.out.appendText('X509CA', Buffer.from(c.buffer, c.byteOffset, c.length).toString('base64'));
      this.out.endRecord('X509CA'); // one record per chain certificate
    }
  }

  // --- vulnerability checks (VULN) ---

  /** The check's first step, on the ServerHello. */
  private vulnHello(sh: ServerHello): void {
    const vuln = this.mod.opts.vuln;
    if (vuln === undefined || this.check !== Check.NONE) return;
    const legacy = sh.version < TlsVersion.TLS13;
    if (vuln === 'poodle') {
      // masscan appends it on any ServerHello to its SSL 3.0 hello
      this.out.appendText('vuln', VULN.POODLE);
      this.check = Check.DONE;
      return;
    }
    if (vuln === 'heartbleed') {
      // masscan: any non-zero mode byte is reported
      if (sh.heartbeatMode > 0) this.out.appendText('vuln', VULN.HEARTBEAT);
      // RFC 8446 has no heartbeat; a server without the extension does not answer heartbeats.
      if (!legacy || sh.heartbeatMode < 0) {
        this.safe(VULN.NO_HEARTBEAT);
        return;
      }
      this.check = Check.HB_WAIT;
      this.heartbeats = new HeartbeatReader();
      const v = sh.version;
      const bleed = buildHeartbeatRequest(v, HEARTBLEED_LENGTH, new Uint8Array(0));
      const honest = buildHeartbeatRequest(v, HEARTBEAT_PAYLOAD.length, HEARTBEAT_PAYLOAD);
      const both = new Uint8Array(bleed.length + honest.length);
      both.set(bleed, 0);
      both.set(honest, bleed.length);
      this.conv.send(both);
      return;
    }
    // ticketbleed: RFC 8446 §4.1.3 echoes legacy_session_id as sent, so a 1.3 server is safe
    const ours = this.mod.sentSessionId(this.mod.helloValues(this.t).sessionId);
    const sid = sh.sessionId;
    if (legacy && sid.length > ours.length && sid[0] === ours[0]) {
      this.leak = sid.slice(ours.length);
      this.leakLen = this.leak.length;
      this.check = Check.TB_RESUME;
      return;
    }
    this.safe(VULN.NO_LEAK);
  }

  /** Whether the connection stays open for the check's answer after the certificate. */
  private waiting(): boolean {
    return this.check === Check.HB_WAIT || this.check === Check.HB_BLEED || this.check === Check.HB_HONEST;
  }

  private safe(text: string): void {
    this.out.appendText('safe', text);
    this.check = Check.DONE;
  }

  private ticketbleed(): void {
    this.out.appendText('vuln', VULN.TICKETBLEED);
    const leak = this.leak;
    if (leak !== null && this.mod.opts.captureTicketbleed === true) {
      this.out.appendText('ticketbleed', Buffer.from(leak.buffer, leak.byteOffset, this.leakLen).toString('base64'));
    }
    this.leak = null;
    this.check = Check.DONE;
    this.finish();
  }

  heartbeatStart(type: number, payloadLength: number): void {
    if (type !== HeartbeatMessageType.RESPONSE || this.check !== Check.HB_WAIT) return;
    if (payloadLength >= HEARTBLEED_MIN) {
      this.out.appendText('vuln', VULN.HEARTBLEED);
      this.check = Check.HB_BLEED;
      if (this.mod.opts.captureHeartbleed === true) {
        this.leak = new Uint8Array(Math.min(payloadLength, LEAK_CAP));
        this.leakLen = 0;
      }
    } else {
      this.check = Check.HB_HONEST;
    }
  }

  heartbeatPayload(buf: Uint8Array, off: number, len: number): void {
    const leak = this.leak;
    if (this.check !== Check.HB_BLEED || leak === null) return;
    const n = Math.min(len, leak.length - this.leakLen);
    if (n <= 0) return;
    leak.set(buf.subarray(off, off + n), this.leakLen);
    this.leakLen += n;
  }

  heartbeatEnd(): void {
    if (this.check === Check.HB_HONEST) {
      this.safe(VULN.PATCHED);
      this.finish();
      return;
    }
    if (this.check !== Check.HB_BLEED) return;
    const leak = this.leak;
    if (leak !== null) {
      this.out.appendText('heartbleed', Buffer.from(leak.buffer, leak.byteOffset, this.leakLen).toString('base64'));
    }
    this.leak = null;
    this.check = Check.DONE;
    this.finish();
  }

  private finish(): boolean {
    if (!this.isDone()) {
      this.phase = Phase.DONE;
      this.rec = null;
      this.retry = null;
      this.conv.close();
    }
    return false;
  }

  /** A method, not an inline compare: callbacks change the phase behind the compiler's back. */
  private isDone(): boolean {
    return this.phase === Phase.DONE;
  }

  private fail(why: TlsBannerError): boolean {
    if (this.isDone()) return false;
    this.out.field(SSL, 'tls-error', why);
    return this.finish();
  }
}

function hex2(v: number): string {
  return (v < 16 ? '0' : '') + v.toString(16);
}

function handshakeHeader(type: number, len: number): Uint8Array {
  return Uint8Array.of(type, len >>> 16, (len >>> 8) & 0xff, len & 0xff);
}

/**
 * The names masscan prints from a certificate: the subject's CN(s), then each DNS
 * subjectAltName, in certificate order. A certificate node:crypto cannot parse gives none.
 */
export function certificateNames(der: Uint8Array): string[] {
  let x: X509Certificate;
  try {
    x = new X509Certificate(der);
  } catch {
    return [];
  }
  const names: string[] = [];
  for (const line of x.subject.split('\n')) {
    if (line.startsWith('CN=')) names.push(line.slice(3));
  }
  const san = x.subjectAltName;
  if (san !== undefined) {
    for (const entry of splitAltNames(san)) {
      if (entry.startsWith('DNS:')) names.push(entry.slice(4));
    }
  }
  return names;
}

/**
 * node's subjectAltName text: entries separated by ", "; a value with a special character is
 * given as a JSON string (`DNS:"a, b"`), which is unquoted here.
 */
function splitAltNames(s: string): string[] {
  const out: string[] = [];
  let i = 0;
  while (i < s.length) {
    const colon = s.indexOf(':', i);
    if (colon < 0) break;
    const kind = s.slice(i, colon + 1);
    let j = colon + 1;
    let value: string;
    if (s[j] === '"') {
      let k = j + 1;
      while (k < s.length && s[k] !== '"') k += s[k] === '\\' ? 2 : 1;
      try {
        value = JSON.parse(s.slice(j, k + 1)) as string;
      } catch {
        value = s.slice(j + 1, k);
      }
      j = k + 1;
    } else {
      const comma = s.indexOf(', ', j);
      const e = comma < 0 ? s.length : comma;
      value = s.slice(j, e);
      j = e;
    }
    out.push(kind + value);
    i = s.startsWith(', ', j) ? j + 2 : j + 1;
  }
  return out;
}

/** The banners the TLS module produces. */
export const TLS_APPS: readonly AppName[] = ['ssl', 'X509', 'X509CA', 'vuln', 'safe', 'heartbleed', 'ticketbleed'];
