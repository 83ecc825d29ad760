/**
 * Adapters 1..7 (`adapter[n] IF`, `adapter-ip[n]`, `adapter-mac[n]`, `router-ip[n]`,
 * `router-mac[n]`, `router-mac-ipv4[n]`, `router-mac-ipv6[n]`; masscan-compat.md §1.4): the
 * options table keeps them in raw under `name[n]` (as --echo prints them, each value checked
 * when it was parsed); this gives them their typed ScanConfig field, `extraAdapters`.
 *
 * Rules: `adapter[n]` makes n+1 adapters (masscan's nic_count = highest index + 1); every
 * index between 1 and n needs its own `adapter[k]` (masscan would pick the default interface
 * for a gap, which would send that share of the scan out of an interface nobody named); a
 * per-index option without its `adapter[n]` is an error rather than ignored.
 */
import type { AdapterConfig, Range4 } from '../core/config.js';
import { MAX_ADAPTERS } from '../core/config.js';
import { ScanError } from '../error.js';
import { parseIPv4 } from '../target/ipv4.js';
import { parseAdapterIp } from './options.js';
import { lastRaw as last } from './typed-options.js';

/** The raw keys that carry an adapter index. */
export const ADAPTER_INDEXED = ['adapter', 'adapter-ip', 'adapter-mac', 'router-ip', 'router-mac-ipv4', 'router-mac-ipv6'] as const;

export function extraAdapters(raw: ReadonlyMap<string, readonly string[]>): readonly AdapterConfig[] {
  let count = 1;
  for (let n = 1; n < MAX_ADAPTERS; n++) if (raw.has(`adapter[${n}]`)) count = n + 1;
  for (let n = 1; n < MAX_ADAPTERS; n++) {
    for (const base of ADAPTER_INDEXED) {
      if (base === 'adapter' || !raw.has(`${base}[${n}]`)) continue;
      if (!raw.has(`adapter[${n}]`)) {
        throw new ScanError('ERR_USAGE', `${base}[${n}]: no adapter[${n}] names the interface it is for`);
      }
    }
  }
  const out: AdapterConfig[] = [];
  for (let n = 1; n < count; n++) {
    const ifname = last(raw, `adapter[${n}]`);
    if (ifname === undefined) {
      throw new ScanError('ERR_USAGE', `adapter[${n}]: missing (adapter[${count - 1}] is given; name every adapter from 1 up)`);
    }
    let ip4: Range4 | undefined;
    let ip6: bigint | undefined;
    for (const v of raw.get(`adapter-ip[${n}]`) ?? []) {
      // checked when the option was applied (options.ts); parsed again here for its type
      const ip = parseAdapterIp(`adapter-ip[${n}]`, v);
      if ('v4' in ip) ip4 = Object.freeze(ip.v4);
      else ip6 = ip.v6;
    }
    const rip = last(raw, `router-ip[${n}]`);
    out.push(Object.freeze({
      index: n,
      adapter: ifname,
      adapterIp4: ip4,
      adapterIp6: ip6,
      adapterMac: last(raw, `adapter-mac[${n}]`),
      routerMac4: last(raw, `router-mac-ipv4[${n}]`),
      routerMac6: last(raw, `router-mac-ipv6[${n}]`),
      routerIp: rip === undefined ? undefined : (parseIPv4(rip.trim()) ?? undefined),
    }));
  }
  return Object.freeze(out);
}
