/**
 * VNC banners (reference masscan-compat §9.2-9.4; RFC 6143, the RFB protocol).
 *
 * The server speaks first with its ProtocolVersion, `RFB xxx.yyy\n` (§7.1.1): that line,
 * without its LF, is the `vnc` banner. We answer with the highest version both know (3.8,
 * 3.7 or 3.3), read the security types the server offers (§7.1.2; a 3.3 server decides
 * alone), and when None (1) is among them choose it, read the SecurityResult (§7.1.3; 3.8
 * only, for None), send ClientInit with shared-flag 1 (§7.3.1) and read ServerInit (§7.3.2).
 *
 * The `vnc-info` banner (tidescan's text, not masscan's): `security=1,2` (the types offered,
 * in decimal), then ` width=W height=H depth=D name=NAME` from ServerInit, or
 * ` reason=TEXT` when the server refused (zero types, or a failed SecurityResult).
 *
 * Bounds: a reason or name is kept up to VNC_LIMITS.text bytes; we close once the name (or
 * reason) has come, or at the first thing that is not RFB.
 */
import type { AppName, BannerModule, BannerOut, BannerParser, Conversation, TargetInfo } from './module.js';

export const VNC_LIMITS = {
  /** Bytes of a desktop name or failure reason kept. */
  text: 1024,
} as const;

const enum S {
  Version,
  /** 3.3: the U32 security-type the server chose. */
  Type33,
  /** 3.7/3.8: number-of-security-types. */
  NTypes,
  Types,
  Result,
  ReasonLen,
  Reason,
  ServerInit,
  Name,
  Done,
}

/** RFC 6143 §7.1.2: "1 None", "2 VNC Authentication". */
const SEC_NONE = 1;

class VncParser implements BannerParser {
  private s = S.Version;
  /** Fixed-size fields accumulate here (the longest: ServerInit's 24 bytes). */
  private readonly acc = new Uint8Array(24);
  private accLen = 0;
  private need = 12;
  /** Negotiated minor version: 3, 7 or 8. */
  private minor = 3;
  private typesLeft = 0;
  private noneOffered = false;
  private firstType = true;
  /** Bytes of the reason/name still to come, and of them still to keep. */
  private textLeft = 0;
  private keepLeft = 0;

  constructor(private readonly out: BannerOut, private readonly conv: Conversation) {}

  data(buf: Uint8Array, off: number, len: number): void {
    if (off < 0 || len <= 0 || off + len > buf.length) return;
    let i = off;
    const end = off + len;
    while (i < end && this.s !== S.Done) {
      if (this.s === S.Types) {
        this.type(buf[i++]!);
        continue;
      }
      if (this.s === S.Reason || this.s === S.Name) {
        const n = Math.min(end - i, this.textLeft);
        const k = Math.min(n, this.keepLeft);
        if (k > 0) this.out.append('vnc-info', buf, i, k);
        this.keepLeft -= k;
        this.textLeft -= n;
        i += n;
        if (this.textLeft === 0) this.finish();
        continue;
      }
      const n = Math.min(end - i, this.need - this.accLen);
      for (let k = 0; k < n; k++) this.acc[this.accLen + k] = buf[i + k]!;
      this.accLen += n;
      i += n;
      if (this.accLen === this.need) {
        this.accLen = 0;
        this.field();
      }
    }
  }

  end(): void {
    this.s = S.Done;
  }

  private finish(): void {
    this.s = S.Done;
    this.conv.close();
  }

  private expect(s: S, need: number): void {
    this.s = s;
    this.need = need;
    this.accLen = 0;
  }

  private u32(): number {
    const a = this.acc;
    return ((a[0]! << 24) | (a[1]! << 16) | (a[2]! << 8) | a[3]!) >>> 0;
  }

  private text(prefix: string, n: number): void {
    this.out.appendText('vnc-info', prefix);
    this.textLeft = n;
    this.keepLeft = Math.min(n, VNC_LIMITS.text);
    if (n === 0) this.finish();
  }

  private field(): void {
    const a = this.acc;
    switch (this.s) {
      case S.Version: {
        // RFC 6143 §7.1.1: "RFB 003.008\n" - 12 bytes, the version as two 3-digit numbers
        if (!isVersion(a)) {
          this.out.append('vnc', a, 0, this.need);
          return this.finish();
        }
        this.out.append('vnc', a, 0, 11);
        const major = (a[4]! - 48) * 100 + (a[5]! - 48) * 10 + (a[6]! - 48);
        const minor = (a[8]! - 48) * 100 + (a[9]! - 48) * 10 + (a[10]! - 48);
        // "the client ... replies with a ProtocolVersion message ... which must be no greater
        // than the server's"; 3.3, 3.7 and 3.8 are the published ones
        this.minor = major > 3 || minor >= 8 ? 8 : minor >= 7 ? 7 : 3;
        this.conv.send(Uint8Array.from(Buffer.from(`RFB 003.00${this.minor}\n`, 'latin1')));
        if (this.minor === 3) this.expect(S.Type33, 4);
        else this.expect(S.NTypes, 1);
        return;
      }
      case S.Type33: {
        const t = this.u32();
        this.out.appendText('vnc-info', `security=${t}`);
        if (t === 0) return this.expect(S.ReasonLen, 4);
        if (t === SEC_NONE) return this.clientInit(); // no SecurityResult for None in 3.3
        return this.finish();
      }
      case S.NTypes: {
        const n = a[0]!;
        if (n === 0) {
          // "If number-of-security-types is zero, then for some reason the connection failed"
          this.out.appendText('vnc-info', 'security=');
          return this.expect(S.ReasonLen, 4);
        }
        this.typesLeft = n;
        this.s = S.Types;
        return;
      }
      case S.Result: {
        if (this.u32() === 0) return this.clientInit();
        // 3.8: a failure is followed by a reason string
        return this.expect(S.ReasonLen, 4);
      }
      case S.ReasonLen:
        this.s = S.Reason;
        return this.text(' reason=', this.u32());
      case S.ServerInit: {
        const w = (a[0]! << 8) | a[1]!;
        const h = (a[2]! << 8) | a[3]!;
        const depth = a[5]!;
        const n = ((a[20]! << 24) | (a[21]! << 16) | (a[22]! << 8) | a[23]!) >>> 0;
        this.s = S.Name;
        return this.text(` width=${w} height=${h} depth=${depth} name=`, n);
      }
      default:
        return;
    }
  }

  private type(t: number): void {
    this.out.appendText('vnc-info', `${this.firstType ? 'security=' : ','}${t}`);
    this.firstType = false;
    if (t === SEC_NONE) this.noneOffered = true;
    if (--this.typesLeft > 0) return;
    if (!this.noneOffered) return this.finish(); // we have no password to offer
    this.conv.send(Uint8Array.of(SEC_NONE));
    // RFC 6143 §7.1.3 / Appendix A: version 3.7 sends no SecurityResult for None
    if (this.minor === 8) this.expect(S.Result, 4);
    else this.clientInit();
  }

  private clientInit(): void {
    // §7.3.1: shared-flag non-zero: leave other clients connected
    this.conv.send(Uint8Array.of(1));
    this.expect(S.ServerInit, 24);
  }
}

function isVersion(a: Uint8Array): boolean {
  const pat = 'RFB ddd.ddd\n';
  for (let k = 0; k < 12; k++) {
    const c = pat.charCodeAt(k);
    const b = a[k]!;
    if (c === 0x64 ? b < 0x30 || b > 0x39 : b !== c) return false;
  }
  return true;
}

/** The `vnc` module. */
export function vncModule(): BannerModule {
  return {
    name: 'vnc',
    hello: (_t: TargetInfo) => null, // the server speaks first
    open: (_t, out, conv) => new VncParser(out, conv),
  };
}

export const VNC_APPS: readonly AppName[] = ['vnc', 'vnc-info'];
