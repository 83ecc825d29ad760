/**
 * The banner part of a receive worker's set-up, from the scan's options (reference
 * masscan-compat.md §1.6, §9.1).
 */
import type { ScanConfig } from '../cli/config.js';
import { bannerConfigFromOptions } from '../banners/registry.js';
import type { BannerSetup } from './banner-engine.js';
import { TIDESCAN_VERSION } from './version.js';

/** masscan's --connection-timeout default (seconds). */
const CONNECTION_TIMEOUT_S = 30;
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

export function bannerSetup(c: ScanConfig): BannerSetup {
  const config = bannerConfigFromOptions(c.raw, c.capture, TIDESCAN_VERSION);
  const secs = Number(c.raw.get('connection-timeout')?.at(-1) ?? CONNECTION_TIMEOUT_S);
  return {
    helloTimeoutMs: config.helloTimeoutMs,
    connectionTimeoutMs: Number.isFinite(secs) && secs > 0 ? Math.round(secs * 1000) : CONNECTION_TIMEOUT_S * 1000,
    capacity: connectionCapacity(c.rate, config.helloTimeoutMs),
    config,
  };
}
