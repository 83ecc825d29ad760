/**
 * The banner part of a receive worker's set-up, from the scan's options (reference
 * masscan-compat.md §1.6, §9.1).
 */
import { tcpOptionsFor } from '../probes/tcp-syn.js';
import type { ScanConfig } from '../core/config.js';
import type { BannerConfig } from '../banners/registry.js';
import type { BannerSetup } from './banner-engine.js';
import { TIDESCAN_VERSION } from './version.js';

/**
 * Connection table bounds. masscan sizes its table max_rate / 5; but a connection lives at
 * least the hello timeout (the server may speak first) plus a round trip or two, so at
 * `rate` new connections a second about rate x (hello timeout + 3 s) are open at once. A
 * full table refuses SYN-ACKs (the server retransmits them, so they are delayed, not lost).
 */
const MIN_CONNECTIONS = 1024;
const MAX_CONNECTIONS = 1 << 20;
/** Seconds a connection is expected to live beyond the hello timeout. */
const EXCHANGE_S = 3;

/** Slots for a scan at `rate` packets/s: rate x (hello timeout + 3 s), a power of two, bounded. */
export function connectionCapacity(rate: number, helloTimeoutMs: number): number {
  let n = MIN_CONNECTIONS;
  const want = rate * (helloTimeoutMs / 1000 + EXCHANGE_S);
  while (n < want && n < MAX_CONNECTIONS) n *= 2;
  return n;
}

/** The banner modules' settings from the scan's typed options (the cli checked each value). */
export function bannerConfig(c: BannerFields, productVersion: string): BannerConfig {
  return {
    productVersion,
    http: {
      method: c.httpMethod,
      url: c.httpUrl,
      version: c.httpVersion,
      host: c.httpHost,
      userAgent: c.httpUserAgent,
      headers: c.httpHeaders.map(([name, value]) => [name, value] as [string, string]),
      removeHeaders: c.httpFieldRemove,
      cookies: c.httpCookies,
      payload: c.httpPayload,
    },
    captureHtml: c.capture.includes('html'),
    captureCert: c.capture.includes('cert'),
    hello: c.hello,
    helloStrings: c.helloStrings,
    tlsSni: c.tlsSni,
    identify: c.identify,
    vuln: c.vulnCheck,
    captureHeartbleed: c.capture.includes('heartbleed'),
    captureTicketbleed: c.capture.includes('ticketbleed'),
    helloTimeoutMs: Math.round(c.helloTimeout * 1000),
  };
}

/** The ScanConfig fields the banner modules read. */
export type BannerFields = Pick<
  ScanConfig,
  | 'capture' | 'hello' | 'helloStrings' | 'helloTimeout' | 'tlsSni' | 'identify' | 'vulnCheck'
  | 'httpMethod' | 'httpUrl' | 'httpVersion' | 'httpHost' | 'httpUserAgent'
  | 'httpHeaders' | 'httpFieldRemove' | 'httpCookies' | 'httpPayload'
>;

export function bannerSetup(c: ScanConfig): BannerSetup {
  const config = bannerConfig(c, TIDESCAN_VERSION);
  return {
    helloTimeoutMs: config.helloTimeoutMs,
    connectionTimeoutMs: Math.round(c.connectionTimeout * 1000),
    capacity: connectionCapacity(c.rate, config.helloTimeoutMs),
    config,
    rawUdp: c.rawUdp,
    wscale: synWscale(c),
  };
}

/** The window-scale shift of our SYNs (--tcp-wscale), undefined when they offer none. */
function synWscale(c: ScanConfig): number | undefined {
  const t = c.template;
  for (const o of tcpOptionsFor(t.tcpMss, t.tcpWscale, t.tcpSackok, t.tcpTsecho)) {
    if (o.kind === 'window-scale') return o.shift > 14 ? 14 : o.shift;
  }
  return undefined;
}
