/**
 * How much one connection may put in its banners. masscan caps rendered banner text at about
 * 8 KiB (list, XML, grepable) and 64 KiB (JSON) (reference §4.1) and cuts X.509 at 4 KiB,
 * which its users complain of (issue 9). Ours: 64 KiB of raw bytes per banner, which covers
 * what the JSON renderer keeps; X509/X509CA have a cap no certificate can reach, so they are
 * never cut short.
 */
import type { AppName, BannerOut } from './module.js';

export const BANNER_CAPS = {
  /** Bytes kept per banner (per AppName per connection). */
  perApp: 65536,
  /**
   * X509 and X509CA: the base64 length of the largest certificate a TLS Certificate message
   * can carry (a 3-byte length: at most 2^24 - 1 bytes of DER), so no certificate is cut.
   */
  x509: 4 * Math.ceil((2 ** 24 - 1) / 3),
  /** Unrecognised data kept as `unknown` before we close the connection. */
  unknown: 4096,
} as const;

/** The cap of one AppName's banner. */
export function capOf(app: AppName): number {
  return app === 'X509' || app === 'X509CA' ? BANNER_CAPS.x509 : BANNER_CAPS.perApp;
}

/**
 * Keeps a connection's unrecognised bytes as its `unknown` banner, up to BANNER_CAPS.unknown
 * in all. keep() returns true once the cap is reached: nothing more will be kept, and the
 * caller closes the connection.
 */
export class UnknownKeeper {
  private kept = 0;

  /** Bytes that still fit. */
  get room(): number {
    return BANNER_CAPS.unknown - this.kept;
  }

  keep(out: BannerOut, buf: Uint8Array, off: number, len: number): boolean {
    const n = Math.min(len, this.room);
    if (n > 0) out.append('unknown', buf, off, n);
    this.kept += Math.max(0, n);
    return this.kept >= BANNER_CAPS.unknown;
  }
}
