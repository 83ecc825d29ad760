/**
 * Which source IP and port a probe uses (reference masscan-compat.md §6.3), allocation-free.
 *
 * - A source range (`--source-ip a-b`, `--source-port p-q`) must hold a power of two of
 *   values. When either holds more than one value, each probe's pair is chosen from a keyed
 *   hash of its loop index and target index:
 *     ck   = SipHash-2-4(seed||seed, LE32[i_lo, i_hi, x_lo, x_hi])   (64 bits)
 *     port = portBase + (ck & (portCount - 1))
 *     ip   = ipBase + ((ck >> 16) & (ipCount - 1))
 *   so a retry (another i) of the same target may leave from another port.
 * - Otherwise the single configured (or default) address and port.
 * - IPv6 probes always use the base port and the one IPv6 source address (masscan does too).
 *
 * Default port (when no --source-port): ONE port P = 40000 + (unix_time % 20000), as masscan
 * 1.3.2 did; the caller passes P in (time is injected). NOTE (divergence): masscan HEAD
 * reserves P..P+16 and its mask of 16 makes probes use only P or P+16, with the 15 ports
 * between meant for the banner stack's reconnects. We keep one port for probes and leave
 * that window to the banner stack to claim explicitly.
 * NOTE (divergence): masscan spreads only when the port mask is > 1, so a 2-port range uses
 * one port; we spread over every port of any range of 2 or more.
 */
import { readFileSync } from 'node:fs';
import { ScanError } from '../error.js';
import { CookieKey } from '../crypto/cookie.js';
import { sip16 } from '../crypto/siphash.js';

/** masscan's default source port for a scan started at `unixSeconds`: 40000..59999. */
export function defaultSourcePort(unixSeconds: number): number {
  const t = Math.floor(unixSeconds);
  return 40000 + (((t % 20000) + 20000) % 20000);
}

function pow2Count(begin: number, end: number, what: string, max: number): number {
  if (!Number.isInteger(begin) || !Number.isInteger(end) || begin < 0 || end > max || end < begin) {
    throw new ScanError('ERR_BAD_OPTION', `${what} range ${begin}-${end}: expected a range within 0-${max}`);
  }
  const n = end - begin + 1;
  if ((n & (n - 1)) !== 0 && n !== 2 ** 32) {
    throw new ScanError('ERR_BAD_OPTION', `${what} range ${begin}-${end}: range must be even power of two (${n} values)`);
  }
  return n;
}

export class SourceChooser {
  readonly ipBase: number;
  readonly ipCount: number;
  readonly portBase: number;
  readonly portCount: number;
  /** True when choose4 hashes (more than one IP or port to choose from). */
  readonly spreads: boolean;
  private readonly key: CookieKey;
  private readonly ipMask: number;
  private readonly portMask: number;
  /**
   * Result of the last choose4(): source IPv4 address (u32) and port.
   * NOTE: initialised here (a number, not `undefined`), so V8 gives the fields a numeric
   * representation and stores of addresses above 2^30 do not allocate.
   */
  ip = 0;
  port = 0;

  /**
   * ip4: inclusive u32 range of source IPv4 addresses (one address: begin === end).
   * port: inclusive source port range (one port: begin === end).
   * Throws ScanError when a range is not a power of two in size.
   */
  constructor(key: CookieKey, ip4: { begin: number; end: number }, port: { begin: number; end: number }) {
    this.key = key;
    this.ipBase = ip4.begin >>> 0;
    this.ipCount = pow2Count(ip4.begin, ip4.end, 'source IP', 0xffffffff);
    this.portBase = port.begin;
    this.portCount = pow2Count(port.begin, port.end, 'source port', 0xffff);
    this.ipMask = (this.ipCount - 1) >>> 0;
    this.portMask = this.portCount - 1;
    this.spreads = this.ipCount > 1 || this.portCount > 1;
    this.ip = this.ipBase;
    this.port = this.portBase;
  }

  /**
   * Choose the source for loop index `i` and shuffled target index `x` (integers below 2^53):
   * sets `this.ip` and `this.port`. Without a range, leaves the base values.
   */
  choose4(i: number, x: number): void {
    if (!this.spreads) return;
    sip16(this.key, i >>> 0, (i / 4294967296) >>> 0, x >>> 0, (x / 4294967296) >>> 0);
    const lo = this.key.out[0];
    const hi = this.key.out[1];
    this.port = this.portBase + (lo & this.portMask);
    // (ck >> 16) over 64 bits, low 32 bits of it.
    this.ip = (this.ipBase + ((((lo >>> 16) | (hi << 16)) & this.ipMask) >>> 0)) >>> 0;
  }

  /** Whether a reply's destination port is one of ours. */
  isOurPort(p: number): boolean {
    return ((p - this.portBase) >>> 0) < this.portCount;
  }

  /** Whether a reply's destination IPv4 address is one of ours. */
  isOurIp4(ip: number): boolean {
    return (((ip >>> 0) - this.ipBase) >>> 0) < this.ipCount;
  }
}

/** Linux's default `net.ipv4.ip_local_port_range` (used when the file cannot be read). */
export const LINUX_LOCAL_PORT_RANGE = { begin: 32768, end: 60999 } as const;

/**
 * Parse /proc/sys/net/ipv4/ip_local_port_range ("32768\t60999\n"). Returns undefined for
 * anything else (missing file, other text, an inverted or out-of-range pair).
 */
export function parseLocalPortRange(text: string): { begin: number; end: number } | undefined {
  const m = /^\s*(\d{1,5})\s+(\d{1,5})\s*$/.exec(text);
  if (!m) return undefined;
  const begin = Number(m[1]);
  const end = Number(m[2]);
  if (begin > end || end > 65535) return undefined;
  return { begin, end };
}

/**
 * Default source-port range for a banner scan (no --source-port given): `count` ports (a
 * power of two, default 16) that lie OUTSIDE the host's ephemeral range
 * (`ip_local_port_range`, read through `readLocalRange`), so that:
 * - the kernel never picks one of them for a connection of its own, which the firewall
 *   guard's drop rule (src/adapter/firewall.ts) would then break;
 * - no local socket owns them, so nothing else sees our SYN-ACKs.
 * masscan's default (40000 + time % 20000, `defaultSourcePort`) lies inside Linux's default
 * 32768-60999; it stays the default for scans without banners (-sL and --echo compatibility).
 *
 * The block is placed above the range when it fits (61000-65535 on a default host), else
 * below it (never under 1024); like masscan's default it moves with `unixSeconds`, by whole
 * blocks, so consecutive scans do not meet the TIME_WAIT state of the previous one at the
 * targets. `overlapsLocal` is true only when the host's range leaves no room at all (then the
 * top block is returned and the caller should warn).
 */
export function bannerSourcePorts(
  readLocalRange: () => string,
  unixSeconds: number,
  count = 16,
): { begin: number; end: number; overlapsLocal: boolean } {
  if (!Number.isInteger(count) || count < 1 || count > 16384 || (count & (count - 1)) !== 0) {
    throw new ScanError('ERR_BAD_OPTION', `banner source ports: count ${count} must be a power of two, 1-16384`);
  }
  let text = '';
  try {
    text = readLocalRange();
  } catch {
    /* unreadable: assume Linux's default */
  }
  const local = parseLocalPortRange(text) ?? LINUX_LOCAL_PORT_RANGE;
  const t = Math.floor(unixSeconds);
  const pick = (lo: number, hi: number): number => {
    // Whole blocks between lo and hi inclusive; the block index moves with time.
    const blocks = Math.floor((hi - lo + 1) / count);
    const k = ((t % blocks) + blocks) % blocks;
    return lo + k * count;
  };
  // Never below 1024: the well-known ports are other services' (and a firewall's) business.
  const above = Math.max(local.end + 1, 1024);
  if (65536 - above >= count) {
    const begin = pick(above, 65535);
    return { begin, end: begin + count - 1, overlapsLocal: false };
  }
  if (local.begin - 1024 >= count) {
    const begin = pick(1024, local.begin - 1);
    return { begin, end: begin + count - 1, overlapsLocal: false };
  }
  return { begin: 65536 - count, end: 65535, overlapsLocal: true };
}

/** Reads the host's ip_local_port_range (for `bannerSourcePorts`). */
export function readProcLocalPortRange(): string {
  return readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8');
}
