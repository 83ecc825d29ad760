/**
 * HTTP banners (reference masscan-compat §9.3, §9.4, §9.5): the request we send when the
 * server stays silent, and a streaming parser of the response.
 *
 * Request: masscan's default is `GET / HTTP/1.0`, a User-Agent naming the product, and
 * `Accept: *\/*`. Ours names tidescan instead (`User-Agent: tidescan/<version>`): a server
 * operator reading the log should see who asked. Every --http-* edit of §9.5 is applied once
 * per scan; `{ip}`, `{port}` and `{name}` in the request line and the header fields (the Host
 * value above all) are replaced per target, which masscan cannot do (its issues #155, #355).
 * The payload is sent as given (its Content-Length is fixed once).
 *
 * Response: `http` = the status line and the header fields up to and including the blank line
 * (CR/LF kept, as masscan); `http.server` = the first Server field's value; `title` = the text
 * after the first `<title…>` of the body up to the next `<` (case-insensitive, found across
 * any split); `html` = the body, only with --capture html. Everything is a byte-at-a-time
 * state machine: nothing of the response is buffered beyond the per-banner caps, and the
 * result is the same whatever the split points.
 */
import type { AppName, BannerModule, BannerOut, BannerParser, Conversation, TargetInfo } from './module.js';
import { BANNER_CAPS, UnknownKeeper } from './caps.js';

/** The request edits of §9.5 (all optional: absent = masscan's default request). */
export interface HttpRequestConfig {
  /** --http-method (default GET). */
  readonly method?: string | undefined;
  /** --http-url (default /). */
  readonly url?: string | undefined;
  /** --http-version (default HTTP/1.0). */
  readonly version?: string | undefined;
  /** --http-host: sets or replaces `Host:`; `{ip}`, `{port}`, `{name}` are per target. */
  readonly host?: string | undefined;
  /** --http-user-agent: replaces the User-Agent value. */
  readonly userAgent?: string | undefined;
  /** --http-header Name:Value, in order: each replaces the field of that name or is added. */
  readonly headers?: readonly (readonly [string, string])[] | undefined;
  /** --http-field-remove Name: drop every field of that name (applied last). */
  readonly removeHeaders?: readonly string[] | undefined;
  /** --http-cookie: each adds another `Cookie:` field. */
  readonly cookies?: readonly string[] | undefined;
  /** --http-payload: the body; adds (or replaces) Content-Length. */
  readonly payload?: string | undefined;
}

/** Caps of what one response may put in each banner, and how far we read. */
export const HTTP_LIMITS = {
  /** Header bytes (status line included) we read before giving up and closing. */
  header: 16384,
  /** Title bytes kept. */
  title: 1024,
  /** Body bytes scanned for the title when html is not captured, then we close. */
  bodyScan: 65536,
  /** Body bytes kept in `html` (--capture html), then we close. */
  html: 65536,
} as const;

function latin1(s: string): Uint8Array {
  return Uint8Array.from(Buffer.from(s, 'latin1'));
}

/** The address as a URI host: IPv6 literals go in brackets (RFC 3986 §3.2.2 IP-literal). */
function uriHost(ip: string): string {
  return ip.includes(':') ? `[${ip}]` : ip;
}

const PLACEHOLDER = /\{(ip|port|name)\}/g;

function substitute(s: string, t: TargetInfo): string {
  return s.replace(PLACEHOLDER, (_m, k: string) =>
    k === 'ip' ? uriHost(t.ip) : k === 'port' ? String(t.port) : (t.name ?? uriHost(t.ip)));
}

/** The HTTP request of a scan, with its per-target parts left as placeholders. */
export class HttpRequest {
  /** The request line and header fields (latin1) with `{ip}`/`{port}`/`{name}` unreplaced. */
  readonly template: string;
  /** The payload (--http-payload), sent as given. */
  readonly body: string;
  /** The bytes when the template has no placeholder (the same for every target). */
  private readonly fixed: Uint8Array | null;

  constructor(cfg: HttpRequestConfig, productVersion: string) {
    const fields: [string, string][] = [
      ['User-Agent', `tidescan/${productVersion}`],
      ['Accept', '*/*'],
    ];
    const set = (name: string, value: string): void => {
      const i = fields.findIndex(([n]) => n.toLowerCase() === name.toLowerCase());
      if (i >= 0) fields[i] = [name, value]; // under the name as given
      else fields.push([name, value]);
    };
    if (cfg.userAgent !== undefined) set('User-Agent', cfg.userAgent);
    if (cfg.host !== undefined) set('Host', cfg.host);
    for (const [n, v] of cfg.headers ?? []) set(n, v);
    for (const c of cfg.cookies ?? []) fields.push(['Cookie', c]);
    const body = cfg.payload ?? '';
    if (cfg.payload !== undefined) set('Content-Length', String(Buffer.byteLength(body, 'latin1')));
    const drop = new Set((cfg.removeHeaders ?? []).map((n) => n.toLowerCase()));
    let s = `${cfg.method ?? 'GET'} ${cfg.url ?? '/'} ${cfg.version ?? 'HTTP/1.0'}\r\n`;
    for (const [n, v] of fields) if (!drop.has(n.toLowerCase())) s += `${n}: ${v}\r\n`;
    s += '\r\n';
    this.template = s;
    this.body = body;
    PLACEHOLDER.lastIndex = 0;
    this.fixed = PLACEHOLDER.test(s) ? null : latin1(s + body);
    PLACEHOLDER.lastIndex = 0;
  }

  /** The request bytes for one target. */
  render(t: TargetInfo): Uint8Array {
    return this.fixed ?? latin1(substitute(this.template, t) + this.body);
  }
}

const enum S {
  /** Checking that the response starts with `HTTP/` (held in `pre`). */
  Prefix,
  /** Status line and header fields. */
  Header,
  /** The body. */
  Body,
  /** Not HTTP: everything goes to `unknown`. */
  NotHttp,
  /** Finished; later bytes are ignored. */
  Done,
}

const HTTP_SLASH = latin1('HTTP/');
const TITLE = latin1('<title');

function lower(b: number): number {
  return b >= 0x41 && b <= 0x5a ? b | 0x20 : b;
}

function isSpace(b: number): boolean {
  return b === 0x20 || b === 0x09 || b === 0x0d || b === 0x0a;
}

/** Title search states. */
const enum T {
  /** Matching `<title` (index in `tMatch`). */
  Search,
  /** After `<title`, inside the tag until `>`. */
  Attrs,
  /** Title text until `<`. */
  Text,
  /** Title done (or never looked for again). */
  Done,
}

/** Header fields the parser reads (lower case, colon included). */
const FIELDS = [latin1('server:'), latin1('content-length:'), latin1('transfer-encoding:')];
const F_SERVER = 0;
const F_LENGTH = 1;
const F_TRANSFER = 2;
const ALL_FIELDS = 0b111;
/** Content-Length: none given, or not usable (malformed, or two that differ). */
const LEN_NONE = -1;
const LEN_BAD = -2;

/**
 * One response. The header is read a byte at a time; per line: `lineLen` counts its bytes
 * other than CR/LF (a line with none ends the header), `alive` which field names the line
 * may still start with, `field` the one it does (-1: none), `inValue` whether the value's
 * leading spaces are behind us. Trailing spaces of the Server value are held in `sSpaces`
 * until a non-space byte shows they were inside it; its bytes are gathered in `sBuf` and
 * appended at the line's end (or when `sBuf` is full). We close when we have what we want:
 * the title (without --capture html), the body's end (Content-Length), no body at all
 * (HEAD, 1xx, 204, 304), or a cap.
 */
class HttpParser implements BannerParser {
  private state = S.Prefix;
  private readonly pre = new Uint8Array(5);
  private preLen = 0;
  private headerBytes = 0;
  private lineLen = 0;
  private firstLine = true;
  /** Status code: 0 before the space, 1 in the digits, 2 done. */
  private statusPhase = 0;
  private statusDigits = 0;
  private status = 0;
  private alive = ALL_FIELDS;
  private field = -1;
  private inValue = false;
  private serverBytes = 0;
  private serverDone = false;
  private sSpaces = 0;
  private lenValue = 0;
  private lenDigits = 0;
  /** 0: in the digits; 1: spaces after them; 2: malformed. */
  private lenPhase = 0;
  private contentLength = LEN_NONE;
  private chunked = false;
  private bodyLen = LEN_NONE;
  private tState = T.Search;
  private tMatch = 0;
  private titleLen = 0;
  private bodyBytes = 0;
  private readonly unknownKept = new UnknownKeeper();
  /** The Server value is gathered here and appended a run at a time (made on first use). */
  private sBuf: Uint8Array | null = null;
  private sLen = 0;

  constructor(
    private readonly out: BannerOut,
    private readonly conv: Conversation,
    private readonly html: boolean,
    private readonly headOnly: boolean,
  ) {}

  data(buf: Uint8Array, off: number, len: number): void {
    if (off < 0 || len <= 0 || off + len > buf.length) return;
    let i = off;
    const end = off + len;
    while (i < end && this.state !== S.Done) {
      switch (this.state) {
        case S.Prefix: {
          const b = buf[i++]!;
          this.pre[this.preLen++] = b;
          if (lower(b) !== lower(HTTP_SLASH[this.preLen - 1]!)) {
            // NOTE: not an HTTP response (HTTP/0.9 or another protocol on this port):
            // masscan closes on such data; we keep its first bytes as `unknown`, then close.
            this.state = S.NotHttp;
            if (this.unknownKept.keep(this.out, this.pre, 0, this.preLen)) this.finish();
          } else if (this.preLen === HTTP_SLASH.length) {
            this.state = S.Header;
            this.header(this.pre, 0, this.preLen);
          }
          break;
        }
        case S.Header:
          i = this.header(buf, i, end);
          break;
        case S.Body:
          i = this.body(buf, i, end);
          break;
        case S.NotHttp: {
          const n = Math.min(end - i, this.unknownKept.room);
          if (this.unknownKept.keep(this.out, buf, i, n)) this.finish();
          i += n;
          break;
        }
      }
    }
  }


  end(): void {
    if (this.state === S.Prefix && this.preLen > 0) this.out.append('unknown', this.pre, 0, this.preLen);
    this.flushServer();
    this.state = S.Done;
  }

  private finish(): void {
    this.flushServer();
    this.state = S.Done;
    this.conv.close();
  }

  /** Header bytes [i, end): returns where it stopped (the header's end, or end). */
  private header(buf: Uint8Array, i: number, end: number): number {
    const start = i;
    while (i < end) {
      const b = buf[i++]!;
      this.headerBytes++;
      if (b === 0x0a) {
        if (this.lineLen === 0) {
          // the blank line: the header ends here, the blank line included
          this.out.append('http', buf, start, i - start);
          return this.headerDone(i, end);
        }
        this.lineDone();
      } else if (b !== 0x0d) {
        // a CR never counts towards the line's length: `\r\n\r\n` and `\n\n` both end the header
        this.lineLen++;
        if (this.firstLine) this.statusByte(b);
        else if (this.field >= 0) this.valueByte(b);
        else if (this.alive !== 0) this.nameByte(b);
      }
      if (this.headerBytes >= HTTP_LIMITS.header) {
        this.out.append('http', buf, start, i - start);
        this.finish();
        return end;
      }
    }
    this.out.append('http', buf, start, i - start);
    return i;
  }

  /** `HTTP/1.1 200 OK`: the three digits after the first space. */
  private statusByte(b: number): void {
    if (this.statusPhase === 0) {
      if (b === 0x20) this.statusPhase = 1;
    } else if (this.statusPhase === 1) {
      if (b >= 0x30 && b <= 0x39 && this.statusDigits < 3) {
        this.status = this.status * 10 + (b - 0x30);
        this.statusDigits++;
      } else {
        this.statusPhase = 2;
      }
    }
  }

  private nameByte(b: number): void {
    const k = this.lineLen - 1;
    const c = lower(b);
    for (let f = 0; f < FIELDS.length; f++) {
      if ((this.alive & (1 << f)) === 0) continue;
      const name = FIELDS[f]!;
      if (name[k] !== c) {
        this.alive &= ~(1 << f);
      } else if (k === name.length - 1) {
        this.field = f;
        this.alive = 0;
        this.inValue = false;
        return;
      }
    }
  }

  private valueByte(b: number): void {
    const space = b === 0x20 || b === 0x09;
    if (!this.inValue) {
      if (space) return; // leading whitespace is not part of the value
      this.inValue = true;
    }
    switch (this.field) {
      case F_SERVER:
        if (!this.serverDone) this.serverByte(b);
        break;
      case F_LENGTH:
        if (b >= 0x30 && b <= 0x39 && this.lenPhase === 0) {
          this.lenValue = Math.min(this.lenValue * 10 + (b - 0x30), Number.MAX_SAFE_INTEGER);
          this.lenDigits++;
        } else if (space && this.lenPhase !== 2) {
          this.lenPhase = 1;
        } else {
          this.lenPhase = 2;
        }
        break;
      case F_TRANSFER:
        this.chunked = true; // any transfer coding: the length is not Content-Length's
        break;
    }
  }

  private lineDone(): void {
    if (this.field === F_SERVER && this.serverBytes > 0) this.serverDone = true; // the first Server field only
    this.flushServer();
    if (this.field === F_LENGTH) {
      const ok = this.lenPhase !== 2 && this.lenDigits > 0;
      // RFC 9112 §6.3: differing Content-Length values make the length unusable
      if (!ok || (this.contentLength !== LEN_NONE && this.contentLength !== this.lenValue)) this.contentLength = LEN_BAD;
      else this.contentLength = this.lenValue;
    }
    this.sSpaces = 0;
    this.lineLen = 0;
    this.firstLine = false;
    this.alive = ALL_FIELDS;
    this.field = -1;
    this.inValue = false;
    this.lenValue = 0;
    this.lenDigits = 0;
    this.lenPhase = 0;
  }

  /** After the blank line: how long the body is, and whether there is one at all. */
  private headerDone(i: number, end: number): number {
    // RFC 9112 §6.3: responses to HEAD, 1xx, 204 and 304 have no body; a Transfer-Encoding
    // overrides Content-Length.
    const s = this.status;
    const noBody = this.headOnly || (s >= 100 && s < 200) || s === 204 || s === 304;
    this.bodyLen = this.chunked ? LEN_NONE : this.contentLength === LEN_BAD ? LEN_NONE : this.contentLength;
    if (noBody || this.bodyLen === 0) {
      this.finish();
      return end;
    }
    this.state = S.Body;
    return i;
  }

  private serverByte(b: number): void {
    if (b === 0x20 || b === 0x09) {
      this.sSpaces++;
      return;
    }
    for (; this.sSpaces > 0; this.sSpaces--) this.serverPut(0x20);
    this.serverPut(b);
    this.serverBytes++;
  }

  private serverPut(b: number): void {
    const sb = (this.sBuf ??= new Uint8Array(128));
    if (this.sLen === sb.length) this.flushServer();
    sb[this.sLen++] = b;
  }

  /** Appends the gathered Server bytes; spaces still pending are trailing ones and dropped. */
  private flushServer(): void {
    this.sSpaces = 0;
    if (this.sLen > 0) this.out.append('http.server', this.sBuf!, 0, this.sLen);
    this.sLen = 0;
  }

  /** Body bytes [i, end): title search and html capture. */
  private body(buf: Uint8Array, i: number, end: number): number {
    const limit = this.html ? HTTP_LIMITS.html : HTTP_LIMITS.bodyScan;
    const left = this.bodyLen >= 0 ? this.bodyLen - this.bodyBytes : Infinity;
    const n = Math.min(end - i, limit - this.bodyBytes, left);
    if (this.html) this.out.append('html', buf, i, n);
    const stop = i + n;
    let textStart = -1;
    for (let k = i; k < stop && this.tState !== T.Done; k++) {
      const b = buf[k]!;
      switch (this.tState) {
        case T.Search:
          if (lower(b) === TITLE[this.tMatch]) {
            this.tMatch++;
            if (this.tMatch === TITLE.length) { this.tState = T.Attrs; this.tMatch = 0; }
          } else {
            this.tMatch = b === 0x3c ? 1 : 0;
          }
          break;
        case T.Attrs:
          // `<title>` or `<title attr=...>`; `<titles>` is another tag
          if (this.tMatch === 0 && b !== 0x3e && !isSpace(b) && b !== 0x2f) {
            this.tState = T.Search;
            this.tMatch = b === 0x3c ? 1 : 0;
          } else if (b === 0x3e) {
            this.tState = T.Text;
            textStart = k + 1;
          } else {
            this.tMatch = 1; // inside the tag's attributes
          }
          break;
        case T.Text:
          if (textStart < 0) textStart = k;
          if (b === 0x3c) {
            this.titleText(buf, textStart, k);
            this.tState = T.Done;
          }
          break;
      }
    }
    if (this.tState === T.Text && textStart >= 0) this.titleText(buf, textStart, stop);
    this.bodyBytes += n;
    if (this.bodyBytes >= limit || (this.tState === T.Done && !this.html) || this.bodyBytes === this.bodyLen) {
      this.finish();
      return end;
    }
    return stop;
  }

  private titleText(buf: Uint8Array, from: number, to: number): void {
    const n = Math.min(to - from, HTTP_LIMITS.title - this.titleLen);
    if (n > 0) {
      this.out.append('title', buf, from, n);
      this.titleLen += n;
    }
  }
}

/** The `http` module for one scan. */
export function httpModule(request: HttpRequestConfig, productVersion: string, captureHtml: boolean): BannerModule {
  const req = new HttpRequest(request, productVersion);
  const headOnly = (request.method ?? 'GET').toUpperCase() === 'HEAD';
  return {
    name: 'http',
    hello: (t) => req.render(t),
    open: (_t, out, conv) => new HttpParser(out, conv, captureHtml, headOnly),
  };
}

/** The AppNames this module produces. */
export const HTTP_APPS: readonly AppName[] = ['http', 'http.server', 'title', 'html', 'unknown'];
