/**
 * Network interfaces and routes, as Linux shows them to this process's network namespace:
 * /sys/class/net/<if>/{ifindex,address,mtu,flags,operstate}, os.networkInterfaces() for the
 * addresses, /proc/net/route and /proc/net/ipv6_route for routes. Used by --iflist, and by
 * the engine to pick the adapter, source address and gateway when they are not given.
 *
 * The parsers take the file text as an argument (pure, unit-tested); the wrappers read the
 * files. Nothing here sends a packet.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { endianness, networkInterfaces } from 'node:os';
import type { InterfaceInfo } from './adapter.js';
import { formatIpv6 as formatWireIpv6, formatMac } from '../wire/bytes.js';
import { formatIPv4, parseIPv4 } from '../target/ipv4.js';
import { parseIPv6 } from '../target/ipv6.js';

const SYS_NET = '/sys/class/net';
const IFF_UP = 0x1;
const RTF_UP = 0x0001;
const RTF_GATEWAY = 0x0002;
const RTF_REJECT = 0x0200;

function readSys(name: string, attr: string): string | undefined {
  try {
    return readFileSync(`${SYS_NET}/${name}/${attr}`, 'utf8').trim();
  } catch {
    return undefined;
  }
}

/** RFC 5952 canonical text (lowercase, longest zero run of >= 2 groups shortened). */
export function formatIpv6(v: bigint): string {
  const b = new Uint8Array(16);
  for (let i = 15; i >= 0; i--) {
    b[i] = Number(v & 0xffn);
    v >>= 8n;
  }
  return formatWireIpv6(b, 0);
}

/** "aa:bb:cc:dd:ee:ff" -> 6 bytes; anything else (tunnels, no address) -> all zero. */
export function parseMac(s: string | undefined): Uint8Array {
  const out = new Uint8Array(6);
  if (s === undefined) return out;
  const parts = s.split(':');
  if (parts.length !== 6 || !parts.every((p) => /^[0-9a-fA-F]{2}$/.test(p))) return out;
  for (let i = 0; i < 6; i++) out[i] = parseInt(parts[i], 16);
  return out;
}

type NetIfs = ReturnType<typeof networkInterfaces>;

/**
 * Every interface of this namespace, ordered by index. `addrs` is injectable for tests
 * (default os.networkInterfaces()).
 */
export function listInterfaces(addrs: NetIfs = networkInterfaces()): InterfaceInfo[] {
  let names: string[];
  try {
    names = readdirSync(SYS_NET);
  } catch {
    names = Object.keys(addrs);
  }
  const out: InterfaceInfo[] = [];
  for (const name of names) {
    const index = Number(readSys(name, 'ifindex') ?? NaN);
    if (!Number.isInteger(index)) continue;
    const flags = parseInt(readSys(name, 'flags') ?? '0', 16);
    const ipv4: { address: number; prefix: number }[] = [];
    const ipv6: { address: bigint; prefix: number }[] = [];
    for (const a of addrs[name] ?? []) {
      const prefix = Number((a.cidr ?? '').split('/')[1] ?? NaN);
      if (a.family === 'IPv4') {
        const v = parseIPv4(a.address);
        if (v !== null) ipv4.push({ address: v, prefix: Number.isInteger(prefix) ? prefix : 32 });
      } else {
        // A link-local address may carry a "%zone"; the address is what precedes it.
        const v = parseIPv6(a.address.split('%')[0]);
        if (v !== null) ipv6.push({ address: v, prefix: Number.isInteger(prefix) ? prefix : 128 });
      }
    }
    out.push({
      name,
      index,
      mac: parseMac(readSys(name, 'address')),
      mtu: Number(readSys(name, 'mtu') ?? 0) || 0,
      up: (flags & IFF_UP) !== 0,
      ipv4,
      ipv6,
    });
  }
  out.sort((a, b) => a.index - b.index);
  return out;
}

// ---------------------------------------------------------------------------------- routes

export interface Ipv4Route {
  readonly ifname: string;
  /** u32 network and mask. */
  readonly dest: number;
  readonly mask: number;
  readonly prefix: number;
  /** u32 next hop, when the route goes through a gateway. */
  readonly gateway?: number;
  readonly metric: number;
}

export interface Ipv6Route {
  readonly ifname: string;
  readonly dest: bigint;
  readonly prefix: number;
  readonly gateway?: bigint;
  readonly metric: number;
}

/** /proc/net/route stores addresses as the kernel's u32 in host byte order, in hex. */
function procHexToU32(hex: string, littleEndian: boolean): number | undefined {
  if (!/^[0-9A-Fa-f]{8}$/.test(hex)) return undefined;
  const v = parseInt(hex, 16) >>> 0;
  if (!littleEndian) return v;
  return (((v & 0xff) << 24) | (((v >>> 8) & 0xff) << 16) | (((v >>> 16) & 0xff) << 8) | (v >>> 24)) >>> 0;
}

function popcount32(v: number): number {
  let n = 0;
  for (let x = v >>> 0; x !== 0; x = (x & (x - 1)) >>> 0) n++;
  return n;
}

/** Parses /proc/net/route text; lines that do not parse, and routes not up, are skipped. */
export function parseProcRoute(text: string, littleEndian = endianness() === 'LE'): Ipv4Route[] {
  const out: Ipv4Route[] = [];
  for (const line of text.split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f.length < 8) continue;
    const dest = procHexToU32(f[1], littleEndian);
    const gw = procHexToU32(f[2], littleEndian);
    const mask = procHexToU32(f[7], littleEndian);
    const flags = parseInt(f[3], 16);
    const metric = parseInt(f[6], 10);
    if (dest === undefined || gw === undefined || mask === undefined || !Number.isFinite(flags)) continue;
    if ((flags & RTF_UP) === 0 || (flags & RTF_REJECT) !== 0) continue;
    out.push({
      ifname: f[0],
      dest,
      mask,
      prefix: popcount32(mask),
      gateway: (flags & RTF_GATEWAY) !== 0 ? gw : undefined,
      metric: Number.isFinite(metric) ? metric : 0,
    });
  }
  return out;
}

/** Parses /proc/net/ipv6_route text (up, non-reject routes only). */
export function parseIpv6Route(text: string): Ipv6Route[] {
  const out: Ipv6Route[] = [];
  for (const line of text.split('\n')) {
    const f = line.trim().split(/\s+/);
    if (f.length < 10 || !/^[0-9a-f]{32}$/i.test(f[0]) || !/^[0-9a-f]{32}$/i.test(f[4])) continue;
    const flags = parseInt(f[8], 16);
    if (!Number.isFinite(flags) || (flags & RTF_UP) === 0 || (flags & RTF_REJECT) !== 0) continue;
    const gw = BigInt(`0x${f[4]}`);
    out.push({
      ifname: f[9],
      dest: BigInt(`0x${f[0]}`),
      prefix: parseInt(f[1], 16),
      gateway: (flags & RTF_GATEWAY) !== 0 && gw !== 0n ? gw : undefined,
      metric: parseInt(f[5], 16),
    });
  }
  return out;
}

function readText(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}

export interface DefaultRoute {
  readonly ifname: string;
  /** u32 IPv4 gateway of the default route, if any. */
  readonly gateway4?: number;
  /** IPv6 gateway of the IPv6 default route, if any. */
  readonly gateway6?: bigint;
  /** Interface of the IPv6 default route, when it differs or there is no IPv4 default. */
  readonly ifname6?: string;
}

/** Picks the default routes out of parsed tables (lowest metric wins). */
export function pickDefaultRoute(v4: readonly Ipv4Route[], v6: readonly Ipv6Route[]): DefaultRoute | undefined {
  const d4 = v4.filter((r) => r.prefix === 0).sort((a, b) => a.metric - b.metric)[0];
  const d6 = v6.filter((r) => r.prefix === 0 && r.ifname !== 'lo').sort((a, b) => a.metric - b.metric)[0];
  if (d4 === undefined && d6 === undefined) return undefined;
  const ifname = d4?.ifname ?? d6!.ifname;
  return {
    ifname,
    ...(d4?.gateway !== undefined ? { gateway4: d4.gateway } : {}),
    ...(d6?.gateway !== undefined ? { gateway6: d6.gateway } : {}),
    ...(d6 !== undefined ? { ifname6: d6.ifname } : {}),
  };
}

/** The interface of the default route (IPv4 first, else IPv6), with gateways. */
export function defaultRouteInterface(): DefaultRoute | undefined {
  return pickDefaultRoute(parseProcRoute(readText('/proc/net/route')), parseIpv6Route(readText('/proc/net/ipv6_route')));
}

/** Longest-prefix match in a parsed IPv4 table (then lowest metric). */
export function lookupRoute(table: readonly Ipv4Route[], ip: number): Ipv4Route | undefined {
  let best: Ipv4Route | undefined;
  for (const r of table) {
    if (((ip & r.mask) >>> 0) !== r.dest) continue;
    if (best === undefined || r.prefix > best.prefix || (r.prefix === best.prefix && r.metric < best.metric)) best = r;
  }
  return best;
}

/** The route the kernel of this namespace would use for IPv4 `ip` (main table only). */
export function routeFor(ip: number): Ipv4Route | undefined {
  return lookupRoute(parseProcRoute(readText('/proc/net/route')), ip >>> 0);
}

// --------------------------------------------------------------------------------- --iflist

/** The --iflist text: one line per interface; the default-route interface is marked. */
export function formatInterfaceList(list: readonly InterfaceInfo[], def: DefaultRoute | undefined): string {
  const lines = ['Available adapters:'];
  const width = Math.max(4, ...list.map((i) => i.name.length));
  for (const i of list) {
    const addrs = [
      ...i.ipv4.map((a) => `${formatIPv4(a.address)}/${a.prefix}`),
      ...i.ipv6.map((a) => `${formatIpv6(a.address)}/${a.prefix}`),
    ];
    const marks: string[] = [];
    if (def !== undefined && def.ifname === i.name) {
      marks.push(def.gateway4 !== undefined ? `default route via ${formatIPv4(def.gateway4)}` : 'default route');
    }
    if (def?.ifname6 !== undefined && def.ifname6 === i.name) {
      marks.push(def.gateway6 !== undefined ? `IPv6 default via ${formatIpv6(def.gateway6)}` : 'IPv6 default route');
    }
    lines.push(
      `${String(i.index).padStart(4)}  ${i.name.padEnd(width)}  ${formatMac(i.mac)}  ${(i.up ? 'up' : 'down').padEnd(4)}  mtu ${String(i.mtu).padEnd(5)}` +
        (addrs.length > 0 ? `  ${addrs.join(' ')}` : '') +
        (marks.length > 0 ? `  [${marks.join('; ')}]` : ''),
    );
  }
  if (list.length === 0) lines.push('  (none)');
  return `${lines.join('\n')}\n`;
}

/** Prints the interface list to `write` (default stdout). */
export function printInterfaceList(write: (s: string) => void = (s) => void process.stdout.write(s)): void {
  write(formatInterfaceList(listInterfaces(), defaultRouteInterface()));
}

