/**
 * The shared part of the line-based conversations of reference masscan-compat §9.3 (FTP,
 * SMTP, POP3, IMAP4): a streaming reader of the server's text lines, which keeps them as the
 * protocol's banner and hands each complete line to the protocol's step, and the STARTTLS
 * hand-off: once the server agrees to TLS, our ClientHello goes out and every further byte is
 * read by the registry's `ssl` module, which records `ssl`/`X509`/`X509CA` as on port 443.
 *
 * Bounds: a line is kept up to LINES_LIMITS.line bytes (the rest of it is dropped, and its end
 * still counts); after LINES_LIMITS.lines lines or LINES_LIMITS.text bytes of text the
 * conversation is closed with what came. Nothing here throws.
 */
import type { AppName, BannerModule, BannerOut, BannerParser, Conversation, TargetInfo } from './module.js';

/** How a module reaches another module of the scan (the registry's, by name; e.g. 'ssl'). */
export type ModuleLookup = (name: string) => BannerModule | null;

export const LINES_LIMITS = {
  /** Bytes of one line kept (CR/LF included); longer lines are cut and end in CR LF. */
  line: 1024,
  /** Lines read before we give up. */
  lines: 512,
  /** Bytes of text read before we give up. */
  text: 65536,
} as const;

/** A complete line as a step sees it: its first bytes (up to LINES_LIMITS.line), CR/LF stripped. */
export class Line {
  constructor(readonly buf: Uint8Array, readonly len: number) {}

  /** Byte k of the line, or -1 past its end. */
  at(k: number): number {
    return k >= 0 && k < this.len ? this.buf[k]! : -1;
  }

  /** Whether the line starts with `prefix` (ASCII letters in either case). */
  startsWith(prefix: string): boolean {
    if (prefix.length > this.len) return false;
    for (let k = 0; k < prefix.length; k++) {
      const a = this.buf[k]!;
      const b = prefix.charCodeAt(k);
      if (a !== b && lower(a) !== lower(b)) return false;
    }
    return true;
  }

  /** Whether `word` occurs anywhere in the kept line (either case). */
  includes(word: string): boolean {
    outer: for (let i = 0; i + word.length <= this.len; i++) {
      for (let k = 0; k < word.length; k++) {
        const a = this.buf[i + k]!;
        if (a !== word.charCodeAt(k) && lower(a) !== lower(word.charCodeAt(k))) continue outer;
      }
      return true;
    }
    return false;
  }

  /**
   * The reply code of an FTP/SMTP line (RFC 959 §4.2, RFC 5321 §4.2): three digits, or -1.
   */
  code(): number {
    if (this.len < 3) return -1;
    let v = 0;
    for (let k = 0; k < 3; k++) {
      const d = this.buf[k]! - 0x30;
      if (d < 0 || d > 9) return -1;
      v = v * 10 + d;
    }
    return v;
  }

  /**
   * Whether this is the last line of an FTP/SMTP reply: the code followed by a space (or by
   * nothing). RFC 959 §4.2: "the last line will begin with the same code, followed
   * immediately by Space"; continuation lines have a hyphen there.
   */
  lastOfReply(): boolean {
    return this.code() >= 0 && (this.len === 3 || this.buf[3] === 0x20);
  }
}

function lower(b: number): number {
  return b >= 0x41 && b <= 0x5a ? b | 0x20 : b;
}

const CRLF = Uint8Array.of(0x0d, 0x0a);

/**
 * A line-based conversation: subclasses give the banner name and a step per complete line.
 * A step may `say` a command, `close`, or `startTls`.
 */
export abstract class LineParser implements BannerParser {
  private readonly line = new Uint8Array(LINES_LIMITS.line);
  /** Bytes of the current line kept in `line` (CR/LF included), and whether some were cut. */
  private lineLen = 0;
  private cut = false;
  private lines = 0;
  private text = 0;
  private done = false;
  /** Held lines (while the banner's name is undecided), appended by `release`. */
  private held: Uint8Array[] | null = null;
  private heldBytes = 0;
  private tls: BannerParser | null = null;

  constructor(
    protected app: AppName,
    protected readonly t: TargetInfo,
    protected readonly out: BannerOut,
    protected readonly conv: Conversation,
    private readonly lookup: ModuleLookup,
  ) {}

  /** A complete line of the server (CR/LF stripped). */
  protected abstract step(l: Line): void;

  data(buf: Uint8Array, off: number, len: number): void {
    if (off < 0 || len <= 0 || off + len > buf.length) return;
    if (this.tls !== null) {
      this.tls.data(buf, off, len);
      return;
    }
    const end = off + len;
    for (let i = off; i < end; i++) {
      if (this.done) return;
      const tls = this.tlsParser();
      if (tls !== null) {
        // the server's first TLS bytes came in the same segment as its go-ahead
        tls.data(buf, i, end - i);
        return;
      }
      const b = buf[i]!;
      this.text++;
      if (this.lineLen < this.line.length) this.line[this.lineLen++] = b;
      else this.cut = true;
      if (b === 0x0a) this.lineEnd();
      else if (this.text >= LINES_LIMITS.text) {
        this.keep(this.line, this.lineLen);
        this.close();
      }
    }
  }

  end(): void {
    if (this.tls !== null) {
      this.tls.end();
      this.tls = null;
      return;
    }
    if (!this.done && this.lineLen > 0) this.keep(this.line, this.lineLen); // a last line without LF
    this.lineLen = 0;
    this.release();
    this.done = true;
  }

  private lineEnd(): void {
    let n = this.lineLen;
    if (this.cut) {
      // keep the first bytes and end the line as it would have ended
      n = this.line.length - 2;
      this.line.set(CRLF, n);
      this.lineLen = this.line.length;
    }
    this.keep(this.line, this.lineLen);
    // the step sees the line without its CR/LF
    let m = this.cut ? n : n - 1;
    if (m > 0 && this.line[m - 1] === 0x0d) m--;
    this.lineLen = 0;
    this.cut = false;
    this.lines++;
    this.step(new Line(this.line, m));
    if (!this.done && this.tls === null && this.lines >= LINES_LIMITS.lines) this.close();
  }

  private keep(buf: Uint8Array, len: number): void {
    if (len <= 0) return;
    if (this.held !== null) {
      if (this.heldBytes + len <= LINES_LIMITS.text) {
        this.held.push(buf.slice(0, len));
        this.heldBytes += len;
      }
      return;
    }
    this.out.append(this.app, buf, 0, len);
  }

  /** Hold the lines from now on: the banner's name is decided later (`release`). */
  protected hold(): void {
    this.held ??= [];
  }

  /** Append the held lines to `app` (the banner from now on). */
  protected release(app: AppName = this.app): void {
    this.app = app;
    const h = this.held;
    this.held = null;
    this.heldBytes = 0;
    if (h !== null) for (const l of h) this.out.append(app, l, 0, l.length);
  }

  /** Send a command line (CR LF added). */
  protected say(cmd: string): void {
    this.conv.send(Uint8Array.from(Buffer.from(`${cmd}\r\n`, 'latin1')));
  }

  protected close(): void {
    if (this.done) return;
    this.release();
    this.done = true;
    this.conv.close();
  }

  /**
   * The server agreed to TLS: send the `ssl` module's ClientHello and let its parser read the
   * rest. Without an `ssl` module we close.
   */
  protected startTls(): void {
    this.release();
    const m = this.lookup('ssl');
    const hello = m?.hello(this.t) ?? null;
    if (m === null || hello === null) {
      this.close();
      return;
    }
    this.conv.send(hello);
    this.tls = m.open(this.t, this.out, this.conv);
  }

  private tlsParser(): BannerParser | null {
    return this.tls;
  }

  /** Whether TLS was started (tests). */
  get inTls(): boolean {
    return this.tls !== null;
  }
}

/**
 * One text line being read: bytes up to LF, the first `cap` of them kept. take() gives the
 * line as latin1 text without its CR and starts the next one.
 */
export class LineBuffer {
  private readonly buf: Uint8Array;
  private len = 0;

  constructor(cap: number) {
    this.buf = new Uint8Array(cap);
  }

  /** A byte of the line (not its LF); bytes past the cap are dropped. */
  push(b: number): void {
    if (this.len < this.buf.length) this.buf[this.len++] = b;
  }

  /** Whether a line has begun. */
  get pending(): boolean {
    return this.len > 0;
  }

  take(): string {
    let n = this.len;
    if (n > 0 && this.buf[n - 1] === 0x0d) n--;
    this.len = 0;
    return Buffer.from(this.buf.buffer, this.buf.byteOffset, n).toString('latin1');
  }
}
