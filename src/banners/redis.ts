/**
 * Redis banners (reference masscan-compat §9.3: HEAD sends `*1\r\n$4\r\ninfo\r\n` to port
 * 6379; RESP, the Redis serialization protocol).
 *
 * NOTE: masscan has no Redis parser: HEAD sends the probe and prints the reply as `unknown`.
 * tidescan reads it and names the banner `redis` (a name of its own: it has no masscan
 * binary id, §9.6). The banner is:
 * - for the INFO bulk string (`$<n>\r\n` then n bytes of `# Section` and `key:value` lines):
 *   the `# Server` section as `key=value` pairs separated by one space (`redis_version=7.0.15
 *   redis_mode=standalone os=Linux ...`);
 * - for an error or simple reply (`-NOAUTH Authentication required.`, `-DENIED ...`, `+...`):
 *   that line as it came, without CR LF;
 * - anything else: its first line.
 * We close after the bulk string (or the line), or after REDIS_LIMITS.lines lines.
 */
import type { AppName, BannerModule, BannerOut, BannerParser, Conversation, TargetInfo } from './module.js';
import { LineBuffer } from './lines.js';

export const REDIS_LIMITS = {
  /** Bytes of a line kept. */
  line: 512,
  /** Lines read before we close. */
  lines: 512,
} as const;

const INFO = Uint8Array.from(Buffer.from('*1\r\n$4\r\ninfo\r\n', 'latin1'));

class RedisParser implements BannerParser {
  private readonly line = new LineBuffer(REDIS_LIMITS.line);
  private lines = 0;
  /** Bytes of the bulk string still to come (-1: reading its header line). */
  private bulkLeft = -1;
  private section = '';
  private first = true;
  private done = false;

  constructor(private readonly out: BannerOut, private readonly conv: Conversation) {}

  data(buf: Uint8Array, off: number, len: number): void {
    if (off < 0 || len <= 0 || off + len > buf.length) return;
    for (let i = off; i < off + len && !this.done; i++) {
      const b = buf[i]!;
      if (this.bulkLeft > 0) this.bulkLeft--;
      if (b === 0x0a) this.lineEnd();
      else this.line.push(b);
      if (!this.done && this.bulkLeft === 0) this.finish();
    }
  }

  end(): void {
    if (!this.done && this.line.pending) this.lineEnd();
    this.done = true;
  }

  private finish(): void {
    this.done = true;
    this.conv.close();
  }

  private item(s: string): void {
    if (s.length === 0) return;
    this.out.appendText('redis', this.first ? s : ` ${s}`);
    this.first = false;
  }

  private lineEnd(): void {
    const s = this.line.take();
    if (this.lines++ === 0) {
      const m = /^\$(\d{1,9})$/.exec(s);
      if (m !== null) {
        // the INFO text follows; its CR LF after the n bytes is not counted
        this.bulkLeft = Number(m[1]);
        if (this.bulkLeft === 0) this.finish();
        return;
      }
      this.item(s); // an error, a simple string, or not Redis
      return this.finish();
    }
    if (s.startsWith('# ')) this.section = s.slice(2);
    else if (this.section === 'Server') {
      const c = s.indexOf(':');
      if (c > 0) this.item(`${s.slice(0, c)}=${s.slice(c + 1)}`);
    }
    if (this.lines >= REDIS_LIMITS.lines) this.finish();
  }
}

/** The `redis` module. */
export function redisModule(): BannerModule {
  return {
    name: 'redis',
    hello: (_t: TargetInfo) => INFO,
    open: (_t, out, conv) => new RedisParser(out, conv),
  };
}

export const REDIS_APPS: readonly AppName[] = ['redis'];
