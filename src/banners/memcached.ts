/**
 * memcached banners (reference masscan-compat §9.3, §9.4; memcached's protocol.txt, "General-
 * purpose statistics").
 *
 * The hello (port 11211): `stats\r\n`. The answer is lines `STAT <name> <value>\r\n` ended by
 * `END\r\n`; the `memcached` banner is `name=value` for each, separated by one space (e.g.
 * `pid=1234 uptime=5 time=... version=1.6.18 ...`). `ERROR`/`CLIENT_ERROR`/`SERVER_ERROR`
 * lines, and anything else, are kept as they are. We close at `END`, or after
 * MEMCACHED_LIMITS.lines lines.
 */
import type { AppName, BannerModule, BannerOut, BannerParser, Conversation, TargetInfo } from './module.js';
import { LineBuffer } from './lines.js';

export const MEMCACHED_LIMITS = {
  /** Bytes of a line kept. */
  line: 512,
  /** Lines read before we close. */
  lines: 256,
} as const;

const STATS = Uint8Array.from(Buffer.from('stats\r\n', 'latin1'));

class MemcachedParser implements BannerParser {
  private readonly line = new LineBuffer(MEMCACHED_LIMITS.line);
  private lines = 0;
  private first = true;
  private done = false;

  constructor(private readonly out: BannerOut, private readonly conv: Conversation) {}

  data(buf: Uint8Array, off: number, len: number): void {
    if (off < 0 || len <= 0 || off + len > buf.length) return;
    for (let i = off; i < off + len && !this.done; i++) {
      const b = buf[i]!;
      if (b === 0x0a) this.lineEnd();
      else this.line.push(b);
    }
  }

  end(): void {
    if (!this.done && this.line.pending) this.lineEnd();
    this.done = true;
  }

  private lineEnd(): void {
    this.lines++;
    const s = this.line.take();
    if (s === 'END') {
      this.done = true;
      this.conv.close();
      return;
    }
    const m = /^STAT (\S+) ?(.*)$/.exec(s);
    const item = m !== null ? `${m[1]}=${m[2]}` : s;
    if (item.length > 0) {
      this.out.appendText('memcached', this.first ? item : ` ${item}`);
      this.first = false;
    }
    if (this.lines >= MEMCACHED_LIMITS.lines) {
      this.done = true;
      this.conv.close();
    }
  }
}

/** The `memcached` module. */
export function memcachedModule(): BannerModule {
  return {
    name: 'memcached',
    hello: (_t: TargetInfo) => STATS,
    open: (_t, out, conv) => new MemcachedParser(out, conv),
  };
}

export const MEMCACHED_APPS: readonly AppName[] = ['memcached'];
