/**
 * A pair of network namespaces joined by a veth, made and destroyed by the adapter tests and
 * the transmit benchmark (LAB.md): names carry a per-run prefix, fixed MACs, addresses in
 * 10.250.0.0/30 and fd00:250::/64, no default route (checked before anything is sent), and
 * destroy() deletes both namespaces by name even after a partial set-up.
 */
import { execFileSync } from 'node:child_process';

export interface VethPair {
  readonly nsA: string;
  readonly nsB: string;
  readonly ifA: string;
  readonly ifB: string;
  readonly macA: Uint8Array;
  readonly macB: Uint8Array;
  /** u32 addresses. */
  readonly ipA: number;
  readonly ipB: number;
  readonly ip6A: string;
  readonly ip6B: string;
  destroy(): void;
}

export function ip(args: readonly string[]): string {
  return execFileSync('ip', args, { encoding: 'utf8', timeout: 10_000, stdio: ['ignore', 'pipe', 'pipe'] });
}

/** Deletes the namespace if it exists (ignores "not found"). */
export function deleteNetns(name: string): void {
  try {
    execFileSync('ip', ['netns', 'del', name], { stdio: 'ignore', timeout: 10_000 });
  } catch {
    // Already gone.
  }
}

/** Refuses to go on if `ns` has a default route (IPv4 or IPv6): LAB.md's rule. */
export function assertNoDefaultRoute(ns: string): void {
  const v4 = ip(['-n', ns, 'route', 'show', 'default']).trim();
  const v6 = ip(['-n', ns, '-6', 'route', 'show', 'default']).trim();
  if (v4 !== '' || v6 !== '') throw new Error(`namespace ${ns} has a default route; refusing to send`);
}

function macStr(m: Uint8Array): string {
  return Array.from(m, (b) => b.toString(16).padStart(2, '0')).join(':');
}

/**
 * Creates `<prefix>a` and `<prefix>b` (namespaces and interfaces share the names). `third` is
 * the third octet of 10.250.<third>.0/30 so concurrent pairs of one run stay distinct.
 */
export function createVethPair(prefix: string, third = 0): VethPair {
  if (!/^[a-z0-9]{1,12}$/.test(prefix)) throw new Error(`bad namespace prefix ${prefix}`);
  const nsA = `${prefix}a`;
  const nsB = `${prefix}b`;
  const macA = Uint8Array.of(0x02, 0x50, 0x00, 0x00, third, 0x01);
  const macB = Uint8Array.of(0x02, 0x50, 0x00, 0x00, third, 0x02);
  const ipA = ((10 << 24) | (250 << 16) | (third << 8) | 1) >>> 0;
  const ipB = ((10 << 24) | (250 << 16) | (third << 8) | 2) >>> 0;
  const ip6A = `fd00:250:0:${third}::1`;
  const ip6B = `fd00:250:0:${third}::2`;
  const destroy = (): void => {
    deleteNetns(nsA);
    deleteNetns(nsB);
  };
  try {
    ip(['netns', 'add', nsA]);
    ip(['netns', 'add', nsB]);
    ip(['link', 'add', nsA, 'netns', nsA, 'type', 'veth', 'peer', 'name', nsB, 'netns', nsB]);
    for (const [ns, ifn, mac, a4, a6] of [
      [nsA, nsA, macA, `10.250.${third}.1/30`, `${ip6A}/64`],
      [nsB, nsB, macB, `10.250.${third}.2/30`, `${ip6B}/64`],
    ] as const) {
      ip(['-n', ns, 'link', 'set', 'lo', 'up']);
      ip(['-n', ns, 'link', 'set', ifn, 'address', macStr(mac)]);
      ip(['-n', ns, 'addr', 'add', a4, 'dev', ifn]);
      ip(['-n', ns, '-6', 'addr', 'add', a6, 'dev', ifn, 'nodad']);
      ip(['-n', ns, 'link', 'set', ifn, 'up']);
    }
    assertNoDefaultRoute(nsA);
    assertNoDefaultRoute(nsB);
  } catch (e) {
    destroy();
    throw e;
  }
  return { nsA, nsB, ifA: nsA, ifB: nsB, macA, macB, ipA, ipB, ip6A, ip6B, destroy };
}
