/**
 * HTTP banners (reference masscan-compat §9.3, §9.4, §9.5): the request we send when the
 * server stays silent, and a streaming parser of the response.
 *
 * Request: masscan's default is `GET / HTTP/1.0`, a User-Agent naming the product, and
 * `Accept: *\/*`. Ours names tidescan instead (`User-Agent: tidescan/<version>`): a server
 * operator reading the log should see who asked. Every --http-* edit of §9.5 is applied once
 * per scan; `{ip}`, `{port}` and `{name}` in the Host value (and in the URL and other field
 * values) are replaced per target, which masscan cannot do (its issues #155, #355).
 *
 * Response: `http` = the status line and the header fields up to and including the blank line
 * (CR/LF kept, as masscan); `http.server` = the first Server field's value; `title` = the text
 * after the first `<title…>` of the body up to the next `<` (case-insensitive, found across
 * any split); `html` = the body, only with --capture html. Everything is a byte-at-a-time
 * state machine: nothing of the response is buffered beyond the per-banner caps, and the
 * result is the same whatever the split points.
 */
import type { AppName, BannerModule, BannerOut, BannerParser, Conversation, TargetInfo } from './module.js';
import { BANNER_CAPS } from './caps.js';

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
  /** The request text (latin1) with `{ip}`/`{port}`/`{name}` unreplaced. */
  readonly template: string;
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
    s += '\r\n' + body;
    this.template = s;
    PLACEHOLDER.lastIndex = 0;
    this.fixed = PLACEHOLDER.test(s) ? null : latin1(s);
    PLACEHOLDER.lastIndex = 0;
  }

  /** The request bytes for one target. */
  render(t: TargetInfo): Uint8Array {
    return this.fixed ?? latin1(substitute(this.template, t));
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
const SERVER = latin1('server:');
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

/**
 * One response. Header state: `lineLen` counts bytes of the current line before its CR/LF
 * (a line with none ends the header), `sMatch` how much of `server:` the line starts with
 * (-1 once it cannot), and `sPhase`: 0 looking, 1 skipping spaces before the value, 2 in the
 * value, 3 done (first Server field only). Trailing spaces of the value are held in `sSpaces`
 * until a non-space byte shows they were inside it.
 */
class HttpParser implements BannerParser {
  private state = S.Prefix;
  private readonly pre = new Uint8Array(5);
  private preLen = 0;
  private headerBytes = 0;
  private lineLen = 0;
  private sMatch = 0;
  private sPhase = 0;
  private sSpaces = 0;
  private tState = T.Search;
  private tMatch = 0;
  private titleLen = 0;
  private bodyBytes = 0;
  private unknownBytes = 0;
  private readonly one = new Uint8Array(1);

  constructor(private readonly out: BannerOut, private readonly conv: Conversation, private readonly html: boolean) {}

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
            this.unknown(this.pre, 0, this.preLen);
          } else if (this.preLen === HTTP_SLASH.length) {
            this.state = S.Header;
            this.headerBytes = 0;
            this.lineLen = 0;
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
          const n = Math.min(end - i, BANNER_CAPS.unknown - this.unknownBytes);
          this.unknown(buf, i, n);
          i += n;
          break;
        }
      }
    }
  }

  /** Unrecognised bytes, up to the `unknown` cap; at the cap we close. */
  private unknown(buf: Uint8Array, off: number, n: number): void {
    this.out.append('unknown', buf, off, n);
    this.unknownBytes += n;
    if (this.unknownBytes >= BANNER_CAPS.unknown) this.finish();
  }

  end(): void {
    if (this.state === S.Prefix && this.preLen > 0) this.out.append('unknown', this.pre, 0, this.preLen);
    this.flushServerSpaces(false);
    this.state = S.Done;
  }

  private finish(): void {
    this.flushServerSpaces(false);
    this.state = S.Done;
    this.conv.close();
  }

  private flushServerSpaces(keep: boolean): void {
    if (keep) for (let k = 0; k < this.sSpaces; k++) this.out.appendText('http.server', ' ');
    this.sSpaces = 0;
  }

  /** Header bytes [i, end): returns where it stopped (the header's end, or end). */
  private header(buf: Uint8Array, i: number, end: number): number {
    const start = i;
    while (i < end) {
      const b = buf[i++]!;
      this.headerBytes++;
      if (b === 0x0a) {
        if (this.sPhase === 2) { this.sPhase = 3; this.sSpaces = 0; }
        else if (this.sPhase === 1) this.sPhase = 0;
        if (this.lineLen === 0) {
          // the blank line: the header ends here, the blank line included
          this.out.append('http', buf, start, i - start);
          this.state = S.Body;
          return i;
        }
        this.lineLen = 0;
        this.sMatch = 0;
        continue;
      }
      if (b === 0x0d) {
        if (this.sPhase === 2) { this.sPhase = 3; this.sSpaces = 0; }
        continue; // a CR never counts towards the line's length: `\r\n\r\n` and `\n\n` both end the header
      }
      this.lineLen++;
      if (this.sPhase === 0 && this.sMatch >= 0) {
        if (this.sMatch === this.lineLen - 1 && lower(b) === SERVER[this.sMatch]) {
          this.sMatch++;
          if (this.sMatch === SERVER.length) this.sPhase = 1;
        } else {
          this.sMatch = -1;
        }
      } else if (this.sPhase === 1) {
        if (b !== 0x20 && b !== 0x09) { this.sPhase = 2; this.serverByte(b); }
      } else if (this.sPhase === 2) {
        this.serverByte(b);
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

  private serverByte(b: number): void {
    if (b === 0x20 || b === 0x09) {
      this.sSpaces++;
      return;
    }
    this.flushServerSpaces(true);
    this.one[0] = b;
    this.out.append('http.server', this.one, 0, 1);
  }

  /** Body bytes [i, end): title search and html capture. */
  private body(buf: Uint8Array, i: number, end: number): number {
    const limit = this.html ? HTTP_LIMITS.html : HTTP_LIMITS.bodyScan;
    const n = Math.min(end - i, limit - this.bodyBytes);
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
    if (this.bodyBytes >= limit || (this.tState === T.Done && !this.html)) {
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
  return {
    name: 'http',
    hello: (t) => req.render(t),
    open: (_t, out, conv) => new HttpParser(out, conv, captureHtml),
  };
}

/** The AppNames this module produces. */
export const HTTP_APPS: readonly AppName[] = ['http', 'http.server', 'title', 'html', 'unknown'];
