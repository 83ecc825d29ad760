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
import { parseIPv6 } from '../target/ipv6.js';

/** The raw keys that carry an adapter index. */
export const ADAPTER_INDEXED = ['adapter', 'adapter-ip', 'adapter-mac', 'router-ip', 'router-mac-ipv4', 'router-mac-ipv6'] as const;

function last(raw: ReadonlyMap<string, readonly string[]>, k: string): string | undefined {
  const v = raw.get(k);
  return v === undefined || v.length === 0 ? undefined : v[v.length - 1];
}

/** An `adapter-ip` value as the table checked it: IPv4, IPv4 a-b or a/n, or IPv6. */
export function adapterIpValue(text: string): { v4: Range4 } | { v6: bigint } | undefined {
  const v = text.trim();
  if (v.includes(':')) {
    const six = parseIPv6(v.replace(/^\[(.*)\]$/, '$1'));
    return six === null ? undefined : { v6: six };
  }
  const cidr = /^([0-9.]+)\/([0-9]{1,2})$/.exec(v);
  if (cidr !== null) {
    const a = parseIPv4(cidr[1]!);
    const bits = Number(cidr[2]);
    if (a === null || bits > 32) return undefined;
    const size = 2 ** (32 - bits);
    const begin = a - (a % size);
    return { v4: { begin, end: begin + size - 1 } };
  }
  const dash = /^([0-9.]+)\s*-\s*([0-9.]+)$/.exec(v);
  if (dash !== null) {
    const b = parseIPv4(dash[1]!), e = parseIPv4(dash[2]!);
    return b === null || e === null ? undefined : { v4: { begin: b, end: e } };
  }
  const one = parseIPv4(v);
  return one === null ? undefined : { v4: { begin: one, end: one } };
}

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
      const ip = adapterIpValue(v);
      if (ip !== undefined && 'v4' in ip) ip4 = Object.freeze(ip.v4);
      else if (ip !== undefined) ip6 = ip.v6;
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
