/**
 * The ground truth of the end-to-end tests: which lab addresses/ports are open, closed,
 * filtered, rejected, answering; and what a correct scan of a given target set must report.
 * Everything a test asserts is computed from this file, never from a scanner's output.
 */
import type { Lab, Services } from './lab.js';

export type Proto = 'tcp' | 'udp' | 'icmp';
export interface Endpoint {
  readonly ip: string;
  readonly port: number;
}

/** Real TCP listeners in the sink (IPv4). */
export const TCP4_OPEN: readonly Endpoint[] = [
  { ip: '198.18.0.1', port: 443 },
  { ip: '198.18.0.10', port: 80 },
  { ip: '198.18.0.10', port: 443 },
  { ip: '198.18.1.7', port: 22 },
  { ip: '198.18.2.200', port: 8080 },
  { ip: '198.18.3.255', port: 80 },
  // Outside every e2e target set: must never be reported.
  { ip: '198.18.4.1', port: 80 },
];
/** TCP probes silently dropped in the sink (no answer at all). `port` 0 = every port. */
export const TCP4_FILTERED: readonly Endpoint[] = [
  { ip: '198.18.0.20', port: 80 },
  { ip: '198.18.0.21', port: 0 },
];
/** Real TCP listeners in the sink (IPv6). */
export const TCP6_OPEN: readonly Endpoint[] = [
  { ip: '2001:db8::10', port: 80 },
  { ip: '2001:db8::10', port: 443 },
  { ip: '2001:db8::ab', port: 22 },
  { ip: '2001:db8::ff', port: 8080 },
  { ip: '2001:db8::1:1', port: 80 }, // outside 2001:db8::/120
];
export const TCP6_FILTERED: readonly Endpoint[] = [{ ip: '2001:db8::20', port: 80 }];

/** UDP services that answer every datagram. */
export const UDP4_OPEN: readonly Endpoint[] = [{ ip: '198.18.0.30', port: 7777 }];
export const UDP6_OPEN: readonly Endpoint[] = [{ ip: '2001:db8::30', port: 7777 }];
/** UDP rejected explicitly by iptables REJECT (ICMP port unreachable, like a closed port). */
export const UDP4_REJECTED: readonly Endpoint[] = [{ ip: '198.18.0.32', port: 7777 }];
/** UDP dropped (no answer). */
export const UDP4_FILTERED: readonly Endpoint[] = [{ ip: '198.18.0.33', port: 0 }];
/** Hosts whose ICMP echo requests are dropped (every other sink address answers). */
export const ICMP4_FILTERED: readonly string[] = ['198.18.0.5'];
export const ICMP6_FILTERED: readonly string[] = ['2001:db8::5'];

/** The e2e target sets. */
export const TCP4_TARGET = { range: '198.18.0.0/22', first: '198.18.0.0', count: 1024 };
export const TCP6_TARGET = { range: '2001:db8::/120', prefix: '2001:db8::', count: 256 };
export const TCP_PORTS: readonly number[] = [22, 80, 443, 8080];

/** Bring up the scenario's services and filters in a lab. */
export async function startScenario(lab: Lab, opts: { trickle?: boolean } = {}): Promise<Services> {
  const svc = await lab.startServices({
    tcp: [...TCP4_OPEN, ...(lab.ipv6 ? TCP6_OPEN : [])].map((e) => ({ host: e.ip, port: e.port })),
    udp: [...UDP4_OPEN, ...(lab.ipv6 ? UDP6_OPEN : [])].map((e) => ({ host: e.ip, port: e.port })),
    trickle: opts.trickle ?? false,
  });
  for (const f of TCP4_FILTERED) await lab.filter({ ip: f.ip, proto: 'tcp', ...(f.port ? { port: f.port } : {}) });
  if (lab.ipv6) for (const f of TCP6_FILTERED) await lab.filter({ ip: f.ip, proto: 'tcp', port: f.port });
  for (const r of UDP4_REJECTED) await lab.reject({ ip: r.ip, proto: 'udp', port: r.port });
  for (const f of UDP4_FILTERED) await lab.filter({ ip: f.ip, proto: 'udp' });
  for (const ip of ICMP4_FILTERED) await lab.filter({ ip, proto: 'icmp' });
  if (lab.ipv6) for (const ip of ICMP6_FILTERED) await lab.filter({ ip, proto: 'icmp' });
  return svc;
}

// --- address helpers ------------------------------------------------------------------------

export function ip4ToInt(s: string): number {
  const p = s.split('.').map(Number);
  return ((p[0]! << 24) | (p[1]! << 16) | (p[2]! << 8) | p[3]!) >>> 0;
}
export function intToIp4(n: number): string {
  return `${n >>> 24}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;
}
/** Canonical (RFC 5952) text of an IPv6 address given as text. */
export function canon6(s: string): string {
  const u = new URL(`http://[${s}]/`);
  return u.hostname.slice(1, -1);
}

/** An address as written in records and in the lists above: IPv6 canonical, IPv4 as is. */
export function canonIp(ip: string): string {
  return ip.includes(':') ? canon6(ip) : ip;
}

/** A record as compared in tests: `<status> <proto> <port> <ip>` (timestamps dropped). */
export function key(status: string, proto: Proto, port: number, ip: string): string {
  return `${status} ${proto} ${port} ${canonIp(ip)}`;
}

function isIn(list: readonly Endpoint[], ip: string, port: number): boolean {
  return list.some((e) => e.ip === ip && (e.port === 0 || e.port === port));
}

/**
 * What a correct TCP scan of `ips` x `ports` reports. Open = listeners; closed = every other
 * probe that is not filtered (only when `showClosed`).
 */
export function expectTcp(ips: readonly string[], ports: readonly number[], showClosed: boolean): Set<string> {
  return expectPorts('tcp', [...TCP4_OPEN, ...TCP6_OPEN], [...TCP4_FILTERED, ...TCP6_FILTERED], ips, ports, showClosed);
}

/** The same for UDP: open = UDP listeners, filtered = UDP4_FILTERED. */
export function expectUdp(ips: readonly string[], ports: readonly number[], showClosed: boolean): Set<string> {
  return expectPorts('udp', [...UDP4_OPEN, ...UDP6_OPEN], UDP4_FILTERED, ips, ports, showClosed);
}

function expectPorts(
  proto: Proto,
  open: readonly Endpoint[],
  filtered: readonly Endpoint[],
  ips: readonly string[],
  ports: readonly number[],
  showClosed: boolean,
): Set<string> {
  const out = new Set<string>();
  for (const ip0 of ips) {
    const ip = canonIp(ip0);
    for (const port of ports) {
      if (isIn(open, ip, port)) out.add(key('open', proto, port, ip));
      else if (showClosed && !isIn(filtered, ip, port)) out.add(key('closed', proto, port, ip));
    }
  }
  return out;
}

export function expectPing(ips: readonly string[]): Set<string> {
  const out = new Set<string>();
  for (const ip0 of ips) {
    const ip = canonIp(ip0);
    if (!ICMP4_FILTERED.includes(ip) && !ICMP6_FILTERED.includes(ip)) out.add(key('open', 'icmp', 0, ip));
  }
  return out;
}

export function range4(first: string, count: number): string[] {
  const b = ip4ToInt(first);
  return Array.from({ length: count }, (_, i) => intToIp4((b + i) >>> 0));
}

/** `count` addresses from an IPv6 prefix ending in `::` (count <= 65536). */
export function range6(prefix: string, count: number): string[] {
  const base = prefix.replace(/::$/, '');
  return Array.from({ length: count }, (_, i) => canon6(`${base}::${i.toString(16)}`));
}

/** 64 TCP ports: the e2e ports plus 60 more (the benchmark's and the big resume test's set). */
export const PORTS64: readonly number[] = [...TCP_PORTS, ...Array.from({ length: 60 }, (_, i) => 1000 + i)];
