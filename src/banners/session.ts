/**
 * One banner connection, between the TCP stack's host and the banner modules (reference
 * masscan-compat §9.1): wait `helloTimeoutMs` for the server to speak; if it does, detect its
 * protocol from the first bytes (§9.2) and parse; if it does not, send the port's hello
 * (§9.3) and parse the answer with that hello's module. Unrecognised data is kept as an
 * `unknown` banner, up to a cap.
 *
 * The session knows nothing of TCP: the host calls `opened` when the connection is
 * established (and arms a timer for the deadline it returns), `helloTimeout` when that timer
 * fires, `data` with in-order bytes, `end` when the connection is gone. What the modules send
 * or close goes through the Conversation the host gives.
 *
 * Service identification on any port (LZR's finding: most HTTP and TLS services run on
 * ports that are not theirs): on a port with no hello, a server that stays silent for the
 * hello timeout gets the handshakes of IDENTIFY_ORDER, one connection each, until one is
 * answered in a way detection reads. The first connection sends IDENTIFY_ORDER[0]; when the
 * answer is not one detection reads (unknown bytes, a TLS alert or record to an HTTP request,
 * nginx's "plain HTTP request was sent to HTTPS port" page), or nothing comes within the hello
 * timeout or before the connection ends, the session asks the host to reconnect with the next
 * attempt, which sends its handshake at once. An answer is read when it starts with one of
 * the step's IDENTIFY_REPLIES (that module parses it) or matches a §9.2 greeting rule. So a
 * service costs at most IDENTIFY_ORDER.length handshakes (IDENTIFY_MAX); the answer to the
 * last one is kept whatever it is (`unknown` when nothing reads it).
 *
 * With identification on, a session that a module's parser read, and which wrote a banner
 * of that protocol, names its service (`identified`: the module's name and the handshakes
 * spent); the host reports it as the port's service.
 *
 * `BannerCollector` is a BannerOut that keeps one connection's banners, capped per AppName
 * (caps.ts), and lists them at the end in the order they were first written.
 */
import type { AppName, BannerModule, BannerOut, BannerParser, Conversation, TargetInfo } from './module.js';
import { DETECT_MAX, type Banners, type Detected } from './registry.js';
import { BANNER_CAPS, UnknownKeeper, capOf } from './caps.js';

/**
 * The handshakes tried, in order, on a port without a hello whose server stays silent: HTTP,
 * then TLS (LZR, USENIX Security 2021: most services on unexpected ports are one or the
 * other); then, in an order of our own (not taken from LZR), the probes of the other silent
 * services tidescan reads, those answered by a line first: Redis INFO, memcached stats, SMB
 * negotiate, RDP X.224. Services that greet (SSH, FTP, SMTP, POP3, IMAP, VNC, MySQL, telnet)
 * are read from their greeting without a probe.
 */
export const IDENTIFY_ORDER: readonly string[] = ['http', 'ssl', 'redis', 'memcached', 'smb', 'rdp'];

/** At most this many connections (handshakes) are spent identifying one port. */
export const IDENTIFY_MAX = IDENTIFY_ORDER.length;

/**
 * The first bytes of an answer to each identification step's probe that its module reads
 * (besides the §9.2 greeting rules, which are always tried): RESP bulk string or error
 * (Redis), `STAT ` (memcached), a NetBIOS session message (SMB over TCP, RFC 1002 §4.3.1:
 * type 0 or a negative/positive response), a TPKT header (RDP, RFC 1006: version 3).
 */
export const IDENTIFY_REPLIES: Readonly<Record<string, readonly string[]>> = {
  http: ['HTTP/'],
  ssl: ['\x16\x03', '\x15\x03'],
  redis: ['$', '-NOAUTH', '-DENIED', '-ERR'],
  memcached: ['STAT '],
  smb: ['\x00\x00', '\x00\x01', '\x82', '\x83'],
  rdp: ['\x03\x00'],
};

/** What identification found on a port: the service (module name) and the handshakes spent. */
export interface Identified {
  readonly service: string;
  readonly handshakes: number;
}

/** nginx's answer to plain HTTP on a TLS port (its 497 page, sent with status 400). */
const HTTPS_PORT_TITLE = 'The plain HTTP request was sent to HTTPS port';
/** How much of a title is watched for it. */
const TITLE_WATCH = 128;

const enum S {
  /** Established; the server has not spoken and we have sent nothing. */
  Waiting,
  /** We sent a hello; the server has not answered yet. */
  HelloSent,
  /** Holding the first bytes until detection decides. */
  Detecting,
  /** A module's parser reads everything. */
  Parsing,
  /** No module: bytes go to `unknown`. */
  Unknown,
  /** Ended. */
  Done,
}

export class BannerSession {
  private state = S.Waiting;
  private parser: BannerParser | null = null;
  /** The module of the hello we sent (null: none, or a --hello-string on a port without one). */
  private helloModule: BannerModule | null = null;
  private pre: Uint8Array | null = null;
  private preLen = 0;
  private readonly unknownKept = new UnknownKeeper();
  /** Bytes received on this connection. */
  private received = 0;
  /** IDENTIFY_ORDER index of the handshake this connection sent; -1: not identifying. */
  private identifying = -1;
  /** The next identification attempt was asked for: this connection's banners are moot. */
  private superseded = false;
  private readonly out: BannerOut;
  /** The start of the title, while identifying (nginx's HTTPS-port page). */
  private title = '';
  /** The module whose parser reads this connection (null: none yet, or unknown bytes). */
  private reading: BannerModule | null = null;
  /** Whether that parser wrote banner bytes (its `unknown` too: MySQL's only banner; see watchTitle). */
  private wrote = false;
  /**
   * While identifying: the answer's first bytes (what detection held), kept until the module
   * that reads them writes text, and the fields it set before that (a TLS parse error's
   * `tls-error`). A module that writes no text at all did not read the answer: the next
   * handshake is tried, and after the last one the bytes are `unknown` (no empty record).
   */
  private firstBytes: Uint8Array | null = null;
  private pendingFields: [AppName, string, string][] | null = null;
  private readonly rawOut: BannerOut;

  /**
   * `attempt` > 0: a reconnect for identification handshake IDENTIFY_ORDER[attempt], sent as
   * soon as the connection opens.
   */
  constructor(
    private readonly b: Banners,
    private readonly t: TargetInfo,
    out: BannerOut,
    private readonly conv: Conversation,
    private readonly attempt = 0,
  ) {
    this.rawOut = out;
    this.out = this.watchTitle(out);
  }

  /** Whether this session's banners should be dropped (a later attempt identifies the service). */
  get moot(): boolean {
    return this.superseded;
  }

  private canIdentify(): boolean {
    return this.b.config.identify !== false && this.conv.reconnect !== undefined;
  }

  /**
   * With identification on: the service a module read on this connection (which wrote a
   * banner of its own), and the handshakes (connections) spent on the port; else null.
   */
  get identified(): Identified | null {
    if (this.b.config.identify === false || this.superseded || this.reading === null || !this.wrote) return null;
    return { service: this.reading.name, handshakes: this.attempt + 1 };
  }

  /**
   * The connection is established. Returns when the host must call helloTimeout (now +
   * --hello-timeout; now for a reconnect), or undefined when this port has no hello and
   * identification is off: then we only wait for the server (the connection timeout ends it).
   */
  opened(now: number): number | undefined {
    if (this.attempt > 0) return now;
    const hasHello = this.b.forPort(this.t.port) !== null || this.b.config.helloStrings.has(this.t.port);
    return hasHello || this.canIdentify() ? now + this.b.config.helloTimeoutMs : undefined;
  }

  /**
   * The server stayed silent: send the port's hello, or the next identification handshake.
   * Ignored once the server spoke. Returns when to be called again (an identification
   * handshake waits that long for its answer), or undefined.
   */
  helloTimeout(now: number): number | undefined {
    if (this.identifying >= 0) {
      // the handshake drew no answer within the hello timeout: try the next one; an answer
      // still undecided (fewer bytes than a rule needs) is decided on what came
      if (this.state === S.HelloSent && this.received === 0) this.next();
      else if (this.state === S.Detecting) this.settle();
      return undefined;
    }
    if (this.state !== S.Waiting) return undefined;
    const h = this.attempt > 0 ? null : this.b.helloFor(this.t);
    if (h !== null) {
      this.helloModule = h.module;
      this.state = S.HelloSent;
      this.conv.send(h.bytes);
      return undefined;
    }
    if (!this.canIdentify() || this.attempt >= IDENTIFY_ORDER.length) return undefined;
    const m = this.b.module(IDENTIFY_ORDER[this.attempt]!);
    const bytes = m?.hello(this.t) ?? null;
    if (m === null || bytes === null) return undefined;
    this.identifying = this.attempt;
    // The answer goes through detection (a TLS server may answer an HTTP request with an
    // alert, a Redis server a memcached probe with an error): see detecting().
    this.helloModule = null;
    this.state = S.HelloSent;
    this.conv.send(bytes);
    return now + this.b.config.helloTimeoutMs;
  }

  /** Ask for the next identification handshake on a new connection and close this one. */
  private next(): void {
    if (this.superseded || this.identifying < 0) return;
    const n = this.identifying + 1;
    if (n >= IDENTIFY_ORDER.length) return;
    this.superseded = true;
    this.conv.reconnect?.(n);
    this.conv.close();
  }

  /** A BannerOut that also notices nginx's "plain HTTP to an HTTPS port" title. */
  private watchTitle(out: BannerOut): BannerOut {
    const seen = (app: AppName, text: string): void => {
      if (app !== 'title' || this.identifying < 0 || this.title.length >= TITLE_WATCH) return;
      // The title may come in pieces (split points): match on what has come so far.
      this.title += text.slice(0, TITLE_WATCH - this.title.length);
      if (this.title.includes(HTTPS_PORT_TITLE)) this.next();
    };
    // a module read the connection and wrote (its `unknown` too: MySQL's only name)
    const wrote = (_app: AppName, n: number): void => {
      if (n > 0 && this.reading !== null && !this.wrote) {
        this.wrote = true;
        const f = this.pendingFields;
        this.pendingFields = null;
        if (f !== null) for (const [a, k, v] of f) out.field(a, k, v);
      }
    };
    return {
      append: (app, buf, off, len) => {
        if (app === 'title') seen(app, Buffer.from(buf.buffer, buf.byteOffset + off, Math.min(len, TITLE_WATCH)).toString('latin1'));
        wrote(app, len);
        out.append(app, buf, off, len);
      },
      appendText: (app, text) => {
        seen(app, text);
        wrote(app, text.length);
        out.appendText(app, text);
      },
      field: (app, name, value) => {
        if (this.firstBytes !== null && !this.wrote) (this.pendingFields ??= []).push([app, name, value]);
        else out.field(app, name, value);
      },
      endRecord: (app) => out.endRecord(app),
    };
  }

  /** In-order bytes from the server. */
  data(buf: Uint8Array, off: number, len: number, _now: number): void {
    if (off < 0 || len <= 0 || off + len > buf.length) return;
    this.received += len;
    if (this.superseded) return;
    switch (this.state) {
      case S.Waiting:
      case S.HelloSent:
        if (this.helloModule !== null) {
          this.startParser(this.helloModule);
          this.parser!.data(buf, off, len);
          return;
        }
        this.state = S.Detecting;
        this.pre = new Uint8Array(DETECT_MAX);
        this.preLen = 0;
        this.detecting(buf, off, len);
        return;
      case S.Detecting:
        this.detecting(buf, off, len);
        return;
      case S.Parsing:
        this.parser!.data(buf, off, len);
        return;
      case S.Unknown:
        this.unknown(buf, off, len);
        return;
      case S.Done:
        return;
    }
  }

  /** The connection is gone (FIN, RST or timeout): flush. */
  end(_now: number): void {
    // An identification handshake that drew nothing at all: try the next one.
    if (this.identifying >= 0 && this.received === 0) this.next();
    if (this.state === S.Detecting) this.settle();
    this.parser?.end();
    const first = this.firstBytes;
    if (first !== null && !this.wrote && !this.superseded && this.reading !== null) {
      // the step's module read nothing it could write (a TLS record that does not parse)
      this.firstBytes = null;
      this.pendingFields = null;
      if (this.identifying + 1 < IDENTIFY_ORDER.length) this.next();
      else {
        this.reading = null;
        this.unknownKept.keep(this.rawOut, first, 0, first.length);
      }
    }
    this.parser = null;
    this.pre = null;
    this.state = S.Done;
  }

  /** No more bytes are awaited for detection: decide on what came. */
  private settle(): void {
    const pre = this.pre!;
    const own = this.identifying >= 0 ? this.stepReply(pre, this.preLen) : null;
    const m = own !== null && own !== 'more' ? own : this.b.detect(pre, 0, this.preLen, this.t.port);
    if (m === null && this.identifying >= 0 && this.identifying + 1 < IDENTIFY_ORDER.length) {
      this.next();
      return;
    }
    this.decide(m, pre);
  }

  /** Detection decided on the held first bytes `pre`: module `m` reads them (null: they are `unknown`). */
  private decide(m: BannerModule | null, pre: Uint8Array): void {
    this.pre = null;
    if (m === null) {
      this.state = S.Unknown;
      this.unknown(pre, 0, this.preLen);
      return;
    }
    if (this.identifying >= 0) this.firstBytes = pre.slice(0, this.preLen);
    this.startParser(m);
    this.parser!.data(pre, 0, this.preLen);
  }

  private startParser(m: BannerModule): void {
    this.reading = m;
    this.parser = m.open(this.t, this.out, this.conv);
    this.state = S.Parsing;
  }

  /** While identifying: the module of this step whose reply prefix `pre` starts with, or 'more'/null. */
  private stepReply(pre: Uint8Array, n: number): BannerModule | 'more' | null {
    const name = IDENTIFY_ORDER[this.identifying];
    if (name === undefined) return null;
    const d = this.b.detectReply(name, IDENTIFY_REPLIES[name] ?? [], pre, 0, n);
    return d === 'unknown' ? null : d;
  }

  private detecting(buf: Uint8Array, off: number, len: number): void {
    const pre = this.pre!;
    const n = Math.min(len, pre.length - this.preLen);
    for (let k = 0; k < n; k++) pre[this.preLen + k] = buf[off + k]!;
    this.preLen += n;
    let d: Detected = 'unknown';
    if (this.identifying >= 0) {
      // the step's own answer: its module reads it
      const own = this.stepReply(pre, this.preLen);
      if (own === 'more' && this.preLen < pre.length) return;
      if (own !== null && own !== 'more') d = own;
      // RFC 8446 §5.1: a record starts with its content type (21 alert, 22 handshake) and a
      // legacy version whose major byte is 3: a TLS server answering our identification
      // handshake in its own protocol. The next handshake speaks it (after the last one there
      // is none: the answer is read as any other, below).
      else if (this.preLen >= 2 && (pre[0] === 21 || pre[0] === 22) && pre[1] === 3 && IDENTIFY_ORDER[this.identifying] !== 'ssl'
        && this.identifying + 1 < IDENTIFY_ORDER.length) {
        this.next();
        return;
      }
    }
    if (d === 'unknown') d = this.b.detectPrefix(pre, 0, this.preLen, this.t.port);
    if (d === 'more' && this.preLen < pre.length) return;
    if (typeof d === 'string' && this.identifying >= 0 && this.identifying + 1 < IDENTIFY_ORDER.length) {
      // nothing reads this answer: the next handshake may
      this.next();
      return;
    }
    this.decide(typeof d === 'string' ? null : d, pre);
    // the bytes of this chunk past what detection held
    if (len > n) {
      if (this.state === S.Unknown) this.unknown(buf, off + n, len - n);
      else if (this.state === S.Parsing) this.parser!.data(buf, off + n, len - n);
    }
  }

  /** Unrecognised bytes: kept up to the cap, then we close (nothing more will be kept). */
  private unknown(buf: Uint8Array, off: number, len: number): void {
    if (this.unknownKept.keep(this.out, buf, off, len)) {
      this.state = S.Done;
      this.conv.close();
    }
  }
}

/** One banner of a connection, as the collector yields it. */
export interface BannerItem {
  readonly app: AppName;
  readonly bytes: Uint8Array;
  readonly fields?: Record<string, string>;
}

interface Entry {
  readonly app: AppName;
  buf: Uint8Array;
  len: number;
  fields: Record<string, string> | undefined;
}

/** A BannerOut that keeps one connection's banners, each capped (caps.ts). */
export class BannerCollector implements BannerOut {
  /** Every record, in the order first written. */
  private readonly entries: Entry[] = [];
  /** The record of each app that is still taking bytes (endRecord closes it). */
  private readonly open = new Map<AppName, Entry>();
  private readonly capFor: (app: AppName) => number;

  /** `capFor` overrides the caps of caps.ts (tests). */
  constructor(capFor: (app: AppName) => number = capOf) {
    this.capFor = capFor;
  }

  private entry(app: AppName): Entry {
    let e = this.open.get(app);
    if (e === undefined) {
      e = { app, buf: new Uint8Array(0), len: 0, fields: undefined };
      this.open.set(app, e);
      this.entries.push(e);
    }
    return e;
  }

  /** Room for `n` more bytes (at most up to the cap); returns how many fit. */
  private reserve(app: AppName, e: Entry, n: number): number {
    const fit = Math.max(0, Math.min(n, this.capFor(app) - e.len));
    const need = e.len + fit;
    if (need > e.buf.length) {
      const grown = new Uint8Array(Math.min(this.capFor(app), Math.max(need, 256, e.buf.length * 2)));
      grown.set(e.buf.subarray(0, e.len));
      e.buf = grown;
    }
    return fit;
  }

  append(app: AppName, buf: Uint8Array, off: number, len: number): void {
    if (off < 0 || len <= 0 || off + len > buf.length) return;
    const e = this.entry(app);
    const n = this.reserve(app, e, len);
    const dst = e.buf;
    const at = e.len;
    if (n < 64) for (let k = 0; k < n; k++) dst[at + k] = buf[off + k]!;
    else dst.set(buf.subarray(off, off + n), at);
    e.len += n;
  }

  appendText(app: AppName, text: string): void {
    if (text.length === 0) return;
    const e = this.entry(app);
    const n = this.reserve(app, e, text.length);
    for (let k = 0; k < n; k++) e.buf[e.len + k] = text.charCodeAt(k) & 0xff;
    e.len += n;
  }

  field(app: AppName, name: string, value: string): void {
    const e = this.entry(app);
    (e.fields ??= {})[name] = value;
  }

  endRecord(app: AppName): void {
    this.open.delete(app);
  }

  /** The banners, in the order first written; empty ones without fields are left out. */
  items(): BannerItem[] {
    const out: BannerItem[] = [];
    for (const e of this.entries) {
      if (e.len === 0 && e.fields === undefined) continue;
      const bytes = e.buf.slice(0, e.len);
      out.push(e.fields === undefined ? { app: e.app, bytes } : { app: e.app, bytes, fields: { ...e.fields } });
    }
    return out;
  }
}
