/**
 * RDP banners (reference masscan-compat §9.3 "3389", §9.4 `rdp`; MS-RDPBCGR §2.2.1.1 and
 * §2.2.1.2): a TPKT (RFC 1006) X.224 Connection Request with the cookie `Cookie:
 * mstshash=tidescan` and an RDP_NEG_REQ asking for TLS and CredSSP (PROTOCOL_SSL |
 * PROTOCOL_HYBRID); the server's Connection Confirm tells what it chose, or why it refuses.
 *
 * The `rdp` banner: `X.224 CC` then, from RDP_NEG_RSP, ` proto=<selected>` and its ` flags=…`,
 * then one of
 * - ` NLA-supported`: the server chose CredSSP (PROTOCOL_HYBRID or HYBRID_EX);
 * - ` NLA-unused`: it supports RDP negotiation but chose TLS or standard RDP security;
 * - ` NLA-unsupported`: no RDP_NEG_RSP at all (a server older than negotiation);
 * - ` failure <code name>` from RDP_NEG_FAILURE (§2.2.1.2.2).
 * A Disconnect Request is ` X.224 DR`. Bytes that are not TPKT become `unknown`. Then we close.
 */
import type { AppName, BannerModule, BannerOut, BannerParser, Conversation, TargetInfo } from './module.js';
import { Framer, be16, le16, le32 } from '../codec/frame.js';
import { BANNER_CAPS, UnknownKeeper } from './caps.js';

export const RDP_APPS: readonly AppName[] = ['rdp'];

const PROTOCOL_SSL = 0x1;
const PROTOCOL_HYBRID = 0x2;

/** The X.224 Connection Request (MS-RDPBCGR §2.2.1.1) with `cookie` and RDP_NEG_REQ. */
export function rdpConnectionRequest(cookie: string): Uint8Array {
  const c = Buffer.from(`Cookie: mstshash=${cookie}\r\n`, 'latin1');
  // RDP_NEG_REQ (§2.2.1.1.1): type 0x01, flags 0, length 8, requestedProtocols (LE)
  const neg = [0x01, 0, 8, 0, PROTOCOL_SSL | PROTOCOL_HYBRID, 0, 0, 0];
  // X.224 CR TPDU (X.224 §13.3): LI, CR code 0xE0, DST-REF 0, SRC-REF 0, class 0
  const li = 6 + c.length + neg.length;
  const total = 4 + 1 + li;
  return Uint8Array.from([3, 0, total >> 8, total & 0xff, li, 0xe0, 0, 0, 0, 0, 0, ...c, ...neg]);
}

const PROTOCOLS: readonly [number, string][] = [[0x1, 'SSL'], [0x2, 'HYBRID'], [0x4, 'RDSTLS'], [0x8, 'HYBRID_EX'], [0x10, 'RDSAAD']];
const NEG_FLAGS: readonly [number, string][] = [
  [0x01, 'EXTENDED_CLIENT_DATA'], [0x02, 'DYNVC_GFX'], [0x04, 'RESERVED'], [0x08, 'RESTRICTED_ADMIN'], [0x10, 'REDIRECTED_AUTH'],
];
/** RDP_NEG_FAILURE failureCode names (§2.2.1.2.2). */
export const RDP_FAILURES: Readonly<Record<number, string>> = {
  1: 'SSL_REQUIRED_BY_SERVER',
  2: 'SSL_NOT_ALLOWED_BY_SERVER',
  3: 'SSL_CERT_NOT_ON_SERVER',
  4: 'INCONSISTENT_FLAGS',
  5: 'HYBRID_REQUIRED_BY_SERVER',
  6: 'SSL_WITH_USER_AUTH_REQUIRED_BY_SERVER',
};

function names(v: number, table: readonly [number, string][]): string {
  const out: string[] = [];
  let rest = v;
  for (const [bit, n] of table) if ((v & bit) !== 0) { out.push(n); rest &= ~bit; }
  if (rest !== 0) out.push(`0x${(rest >>> 0).toString(16)}`);
  return out.length === 0 ? 'none' : out.join(',');
}

const enum S { Reading, Unknown, Done }

class RdpParser implements BannerParser {
  private state = S.Reading;
  private readonly unknownKept = new UnknownKeeper();
  // RFC 1006 §6: TPKT version 3, reserved 0, 16-bit length (header included)
  private readonly framer = new Framer(4, (h) => (h[0] === 3 && h[1] === 0 ? be16(h, 2, 4) : -1), 65535);

  constructor(private readonly out: BannerOut, private readonly conv: Conversation) {}

  data(buf: Uint8Array, off: number, len: number): void {
    if (off < 0 || len <= 0 || off + len > buf.length) return;
    if (this.state === S.Unknown) { this.unknown(buf, off, len); return; }
    if (this.state !== S.Reading) return;
    const at = this.framer.push(buf, off, len, (m, n) => { this.tpdu(m, n); return false; });
    if (this.state === S.Reading && this.framer.broken) {
      this.state = S.Unknown;
      const p = this.framer.pending();
      this.unknown(p, 0, p.length);
      if (this.state === S.Unknown && at < off + len) this.unknown(buf, at, off + len - at);
    }
  }

  end(): void {
    this.state = S.Done;
  }

  private unknown(b: Uint8Array, off: number, len: number): void {
    if (this.unknownKept.keep(this.out, b, off, len)) this.finish();
  }

  private finish(): void {
    if (this.state === S.Done) return;
    this.state = S.Done;
    this.conv.close();
  }

  /** The first TPKT m[0, n). */
  private tpdu(m: Uint8Array, n: number): void {
    const li = n > 4 ? m[4]! : 0;
    const code = n > 5 ? m[5]! & 0xf0 : -1;
    if (code === 0x80) {
      this.out.appendText('rdp', 'X.224 DR');
      this.finish();
      return;
    }
    if (code !== 0xd0) {
      this.out.appendText('rdp', code < 0 ? 'X.224 short' : `X.224 code=0x${code.toString(16)}`);
      this.finish();
      return;
    }
    let s = 'X.224 CC';
    // the negotiation structure follows the 7 bytes of the fixed CC header (LI counts them from the code)
    const at = 4 + 7;
    const end = Math.min(n, 4 + 1 + li);
    const type = at < end ? m[at]! : -1;
    const flags = at + 1 < end ? m[at + 1]! : 0;
    const value = le32(m, at + 4, end);
    if (type === 0x02 && value >= 0 && le16(m, at + 2, end) === 8) {
      s += ` proto=${value === 0 ? 'RDP' : names(value, PROTOCOLS)} flags=${names(flags, NEG_FLAGS)}`;
      s += (value & (PROTOCOL_HYBRID | 0x8)) !== 0 ? ' NLA-supported' : ' NLA-unused';
    } else if (type === 0x03 && value >= 0) {
      s += ` failure ${RDP_FAILURES[value] ?? `code=${value}`}`;
    } else {
      s += ' NLA-unsupported';
    }
    this.out.appendText('rdp', s);
    this.finish();
  }
}

/** The `rdp` module for one scan. */
export function rdpModule(cookie = 'tidescan'): BannerModule {
  const hello = rdpConnectionRequest(cookie);
  return {
    name: 'rdp',
    hello: (_t: TargetInfo) => hello,
    open: (_t, out, conv) => new RdpParser(out, conv),
  };
}
