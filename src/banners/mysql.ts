/**
 * MySQL and MariaDB (they speak first): the server's Initial Handshake Packet, protocol
 * version 10 (MySQL client/server protocol, "Protocol::HandshakeV10"), or an ERR packet (e.g.
 * "Host '…' is not allowed to connect").
 *
 * NOTE on the name: masscan has no app-protocol name for MySQL (§9.6), and a new one would
 * need a new id in the binary output that masscan cannot read. The banner is therefore an
 * `unknown` record, as masscan keeps it, but with readable text instead of raw bytes:
 *   `mysql protocol=10 version=10.11.6-MariaDB-0+deb12u1 id=3 plugin=mysql_native_password`
 *   `mysql error=1130 Host '…' is not allowed to connect to this MariaDB server`
 * and the record's fields `service: mysql` (and `version`) say what it is.
 *
 * Framing: a 3-byte little-endian payload length and a sequence id; one packet is read (at
 * most 16 KiB), then we close. A first packet that is neither is kept raw as `unknown`.
 */
import type { BannerModule, BannerOut, BannerParser, Conversation, TargetInfo } from './module.js';
import { Framer, clean, le16, le32 } from '../codec/frame.js';

const MAX_PACKET = 16384;

/** The banner text and fields of one MySQL packet payload p[4, n), or null when it is neither handshake nor error. */
export function mysqlGreeting(p: Uint8Array, n: number): { text: string; version: string | null } | null {
  const i0 = 4;
  if (n <= i0) return null;
  const kind = p[i0]!;
  if (kind === 0x0a) {
    let i = i0 + 1;
    let v = '';
    while (i < n && p[i] !== 0 && v.length < 128) v += String.fromCharCode(p[i++]!);
    if (i >= n || p[i] !== 0) return null; // the version must be NUL-terminated
    i++;
    const id = le32(p, i, n);
    i += 4 + 8 + 1; // connection id, auth-plugin-data-part-1, filler
    const capLo = le16(p, i, n);
    const capHi = le16(p, i + 5, n);
    let s = `mysql protocol=10 version=${clean(v)}`;
    if (id >= 0) s += ` id=${id}`;
    if (capLo >= 0 && capHi >= 0) {
      const caps = (capLo | (capHi << 16)) >>> 0;
      s += ` caps=0x${caps.toString(16)}`;
      // CLIENT_PLUGIN_AUTH (0x80000): auth-plugin-data-part-2 (max(13, len - 8) bytes), then the plugin name
      const adl = p[i + 7] ?? 0;
      let j = i + 7 + 1 + 10 + Math.max(13, adl - 8);
      if ((caps & 0x80000) !== 0 && j < n) {
        let name = '';
        while (j < n && p[j] !== 0 && name.length < 64) name += String.fromCharCode(p[j++]!);
        if (name !== '') s += ` plugin=${clean(name)}`;
      }
    }
    return { text: s, version: clean(v) };
  }
  if (kind === 0xff) {
    const code = le16(p, i0 + 1, n);
    if (code < 0) return null;
    let i = i0 + 3;
    if (p[i] === 0x23) i += 6; // '#' and a 5-character SQL state
    let msg = '';
    while (i < n && msg.length < 256) msg += String.fromCharCode(p[i++]!);
    return { text: `mysql error=${code} ${clean(msg)}`, version: null };
  }
  return null;
}

class MysqlParser implements BannerParser {
  private done = false;
  private readonly framer = new Framer(4, (h) => 4 + (h[0]! | (h[1]! << 8) | (h[2]! << 16)), MAX_PACKET);

  constructor(private readonly out: BannerOut, private readonly conv: Conversation) {}

  data(buf: Uint8Array, off: number, len: number): void {
    if (this.done || off < 0 || len <= 0 || off + len > buf.length) return;
    this.framer.push(buf, off, len, (m, n) => {
      const g = mysqlGreeting(m, n);
      if (g === null) this.out.append('unknown', m, 0, Math.min(n, 4096));
      else {
        this.out.appendText('unknown', g.text);
        this.out.field('unknown', 'service', 'mysql');
        if (g.version !== null) this.out.field('unknown', 'version', g.version);
      }
      return false;
    });
    if (this.framer.broken) {
      const p = this.framer.pending();
      if (p.length > 0) this.out.append('unknown', p, 0, p.length); // over the cap: its header
      this.done = true;
      this.conv.close();
    }
  }

  end(): void {
    if (!this.done) {
      const p = this.framer.pending();
      if (p.length > 0) this.out.append('unknown', p, 0, Math.min(p.length, 4096));
    }
    this.done = true;
  }
}

/** The `mysql` module (no hello: the server speaks first; detection sends its greeting here). */
export function mysqlModule(): BannerModule {
  return {
    name: 'mysql',
    hello: (_t: TargetInfo) => null,
    open: (_t, out, conv) => new MysqlParser(out, conv),
  };
}
