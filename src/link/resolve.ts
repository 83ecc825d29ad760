/**
 * Link set-up for a scan (masscan-compat.md §1.4): which interface, which source addresses,
 * port and MAC, and which MAC the probes go to (the router's, found by our own ARP / NDP, or
 * the target's own when it is on-link).
 *
 * Everything that touches the system (route tables, interface list, packet I/O, time) comes in
 * through `LinkDeps`, so the decisions are tested without root and without sending.
 *
 * Rules (tidescan):
 *  - interface: --adapter, else the interface of the route to the first target (so a host with
 *    no default route, like the lab's scanner namespace, still finds its way), else the
 *    default-route interface;
 *  - source IPv4/IPv6: --adapter-ip, else the interface's first address (IPv6: first global,
 *    not fe80::/10); a source the interface does not own turns on the ARP/NDP responder
 *    (responder.ts), because nobody else will answer for it;
 *  - source port: --adapter-port, else 40000 + (unix time % 20000) (a single port);
 *  - source MAC: --adapter-mac, else the interface's;
 *  - router MAC: --router-mac(-ipv4/-ipv6); --offline forces 66:55:44:33:22:11; --arp needs
 *    none (broadcast); else ARP (NDP) for --router-ip, else the route's gateway, else the
 *    target itself when the route says it is on-link. Nothing answering within ~2 s is a
 *    ScanError naming the address asked for.
 */
import { ScanError } from '../error.js';
import type { InterfaceInfo, RxChannel, TxChannel } from '../adapter/adapter.js';
import { lookupRoute, type Ipv4Route } from '../adapter/interfaces.js';
import type { ScanConfig } from '../core/config.js';
import { formatIPv4 } from '../target/ipv4.js';
import { formatIPv6 } from '../target/ipv6.js';
import { formatMac } from '../wire/bytes.js';
import { Decoded, decodeFrame } from '../wire/decode.js';
import { bannerSourcePorts, defaultSourcePort, readProcLocalPortRange } from './source.js';
import { arpReplyFrom, buildArpRequest, buildNeighborSolicit, ndpAdvertFrom } from './responder.js';
import { ipv6Bytes } from '../core/address.js';

// ---------------------------------------------------------------------------------------
// What the scan resolved.
// ---------------------------------------------------------------------------------------

/** The link a scan sends on, every field decided. */
export interface ResolvedLink {
  /** Interface name; undefined with --offline. */
  readonly ifname: string | undefined;
  readonly srcMac: Uint8Array;
  /** Our IPv4 source range (one address: begin === end); undefined when not scanning IPv4. */
  readonly src4: { readonly begin: number; readonly end: number } | undefined;
  readonly src6: bigint | undefined;
  readonly srcPort: { readonly begin: number; readonly end: number };
  /** Next-hop MACs (zero when that family is not scanned). */
  readonly routerMac4: Uint8Array;
  readonly routerMac6: Uint8Array;
  /** Answer ARP / NDP for the source address ourselves (the host does not own it). */
  readonly answer4: boolean;
  readonly answer6: boolean;
  /** What was asked and who answered, for -v. */
  readonly notes: readonly string[];
}

/** A routing-table entry as this module needs it (adapter/interfaces.ts's Ipv6Route fits). */
export interface Route6Like {
  readonly ifname: string;
  readonly dest: bigint;
  readonly prefix: number;
  readonly gateway?: bigint;
  readonly metric: number;
}

/** Longest-prefix match (then lowest metric) for IPv6; loopback routes excluded. */
export function lookupRoute6(routes: readonly Route6Like[], addr: bigint): Route6Like | undefined {
  let best: Route6Like | undefined;
  for (const r of routes) {
    if (r.ifname === 'lo' || r.prefix < 0 || r.prefix > 128) continue;
    const shift = BigInt(128 - r.prefix);
    if (r.prefix > 0 && (addr >> shift) !== (r.dest >> shift)) continue;
    if (best === undefined || r.prefix > best.prefix || (r.prefix === best.prefix && r.metric < best.metric)) best = r;
  }
  return best;
}

/** The system as resolve needs it; tests pass fakes. */
export interface ResolveDeps {
  listInterfaces(): readonly InterfaceInfo[];
  routes4(): readonly Ipv4Route[];
  routes6(): readonly Route6Like[];
  /** Unix seconds (for the default source port). */
  unixTime(): number;
  /** The text of /proc/sys/net/ipv4/ip_local_port_range (banner scans avoid that range). */
  localPortRange?: () => string;
  /** Monotonic milliseconds (for the ARP/NDP time limit). */
  nowMs(): number;
  /** A short-lived channel pair on `ifname` for our own ARP/NDP; frames to `ours` only. */
  openProbeLink(ifname: string, ours: { ipv4: readonly number[]; ipv6: readonly bigint[] }): { tx: TxChannel; rx: RxChannel };
}

/** masscan's --offline router MAC. */
export const OFFLINE_ROUTER_MAC = new Uint8Array([0x66, 0x55, 0x44, 0x33, 0x22, 0x11]);
/** How long our ARP / NDP waits for an answer, and how often it asks again. */
export const RESOLVE_TIMEOUT_MS = 2000;
const RESOLVE_RETRY_MS = 500;

function macFromText(text: string, what: string): Uint8Array {
  const parts = text.split(/[:-]/);
  if (parts.length !== 6 || !parts.every((p) => /^[0-9a-fA-F]{1,2}$/.test(p))) {
    throw new ScanError('ERR_BAD_OPTION', `${what}=${text}: not a MAC address (expected aa:bb:cc:dd:ee:ff)`);
  }
  return Uint8Array.from(parts.map((p) => parseInt(p, 16)));
}

function isLinkLocal6(a: bigint): boolean {
  return (a >> 118n) === 0x3fan; // fe80::/10
}

/**
 * The links of a scan: adapter 0 from the config's own fields, then one per `adapter[n]`
 * (config.extraAdapters), each resolved by the same rules on its own interface, source
 * addresses and router; all share adapter 0's source port. An error about adapter n >= 1
 * names it: `adapter[1] eth9: no such interface ...`.
 */
export function resolveLinks(config: ScanConfig, deps: ResolveDeps, need4: boolean, need6: boolean): ResolvedLink[] {
  // Every named interface must exist before anything is sent (our ARP/NDP) on any of them.
  if (!config.offline && config.extraAdapters.length > 0) {
    const have = deps.listInterfaces();
    const named = [[0, config.adapter] as const, ...config.extraAdapters.map((a) => [a.index, a.adapter] as const)];
    for (const [n, ifname] of named) {
      if (ifname === undefined) continue;
      const iface = have.find((i) => i.name === ifname);
      const label = n === 0 ? ifname : `adapter[${n}] ${ifname}`;
      if (iface === undefined) throw new ScanError('ERR_ADAPTER', `${label}: no such interface (--iflist lists them)`);
      if (!iface.up) throw new ScanError('ERR_ADAPTER', `${label}: interface is down (ip link set ${ifname} up)`);
    }
  }
  const first = resolveLink(config, deps, need4, need6);
  const links = [first];
  for (const a of config.extraAdapters) {
    const view: ScanConfig = {
      ...config,
      adapter: a.adapter, adapterIp4: a.adapterIp4, adapterIp6: a.adapterIp6, adapterMac: a.adapterMac,
      routerMac4: a.routerMac4, routerMac6: a.routerMac6, routerIp: a.routerIp, adapterPort: first.srcPort,
    };
    try {
      links.push(resolveLink(view, deps, need4, need6));
    } catch (e) {
      if (e instanceof ScanError) throw new ScanError(e.code, `adapter[${a.index}] ${e.message}`);
      throw e;
    }
  }
  return links;
}

/**
 * Decide the link of a scan. `need4`/`need6`: whether IPv4 / IPv6 targets exist (their
 * source and router MAC are then required). Throws ScanError with one clear line.
 */
export function resolveLink(config: ScanConfig, deps: ResolveDeps, need4: boolean, need6: boolean): ResolvedLink {
  const notes: string[] = [];
  const srcPort = config.adapterPort ?? (() => {
    if (config.banners) {
      // Banner connections must not share ports with the host's own connections, whose
      // kernel state would take our segments (and which the RST guard would cut off).
      const b = bannerSourcePorts(deps.localPortRange ?? readProcLocalPortRange, deps.unixTime());
      if (b.overlapsLocal) notes.push(`source ports ${b.begin}-${b.end} overlap the host's ip_local_port_range`);
      return { begin: b.begin, end: b.end };
    }
    const p = defaultSourcePort(deps.unixTime());
    return { begin: p, end: p };
  })();
  const zero = new Uint8Array(6);

  if (config.offline) {
    // Nothing is sent: no interface needed. Use what was given, else harmless placeholders.
    const src4 = config.adapterIp4 ?? (need4 ? { begin: 0x0a000001, end: 0x0a000001 } : undefined);
    const src6 = config.adapterIp6 ?? (need6 ? 0xfd000000000000000000000000000001n : undefined);
    return {
      ifname: undefined,
      srcMac: config.adapterMac !== undefined ? macFromText(config.adapterMac, 'adapter-mac') : new Uint8Array([0x02, 0, 0, 0, 0, 1]),
      src4, src6, srcPort,
      routerMac4: OFFLINE_ROUTER_MAC, routerMac6: OFFLINE_ROUTER_MAC,
      answer4: false, answer6: false, notes,
    };
  }

  // --- the interface ---
  const routes4 = deps.routes4();
  const routes6 = deps.routes6();
  const first4 = config.targets4.length > 0 ? config.targets4[0].begin >>> 0 : undefined;
  const first6 = config.targets6.length > 0 ? config.targets6[0].begin : undefined;
  const r4 = first4 !== undefined ? lookupRoute(routes4, first4) : undefined;
  const r6 = first6 !== undefined ? lookupRoute6(routes6, first6) : undefined;
  let ifname = config.adapter;
  if (ifname === undefined) {
    ifname = r4?.ifname ?? r6?.ifname ?? routes4.find((r) => r.prefix === 0)?.ifname ?? routes6.find((r) => r.prefix === 0 && r.ifname !== 'lo')?.ifname;
    if (ifname === undefined) {
      const what = first4 !== undefined ? formatIPv4(first4) : first6 !== undefined ? formatIPv6(first6) : 'the targets';
      throw new ScanError('ERR_ADAPTER', `no route to ${what} and no default route: name the interface with --adapter (see --iflist)`);
    }
  }
  const iface = deps.listInterfaces().find((i) => i.name === ifname);
  if (iface === undefined) throw new ScanError('ERR_ADAPTER', `${ifname}: no such interface (--iflist lists them)`);
  if (!iface.up) throw new ScanError('ERR_ADAPTER', `${ifname}: interface is down (ip link set ${ifname} up)`);

  // --- source addresses and MAC ---
  const srcMac = config.adapterMac !== undefined ? macFromText(config.adapterMac, 'adapter-mac') : iface.mac;
  if (srcMac.every((b) => b === 0) && (need4 || need6)) {
    throw new ScanError('ERR_ADAPTER', `${ifname}: the interface has no MAC address; give one with --adapter-mac`);
  }
  let src4 = config.adapterIp4;
  if (src4 === undefined && (need4 || config.arpscan)) {
    const a = iface.ipv4[0];
    if (a === undefined) throw new ScanError('ERR_ADAPTER', `${ifname}: the interface has no IPv4 address; give one with --source-ip`);
    src4 = { begin: a.address >>> 0, end: a.address >>> 0 };
  }
  let src6 = config.adapterIp6;
  if (src6 === undefined && need6) {
    const a = iface.ipv6.find((x) => !isLinkLocal6(x.address)) ?? iface.ipv6[0];
    if (a === undefined) throw new ScanError('ERR_ADAPTER', `${ifname}: the interface has no IPv6 address; give one with --source-ip`);
    src6 = a.address;
  }
  const owns4 = src4 !== undefined && src4.begin === src4.end && iface.ipv4.some((a) => (a.address >>> 0) === src4!.begin);
  const owns6 = src6 !== undefined && iface.ipv6.some((a) => a.address === src6);
  const answer4 = src4 !== undefined && !owns4;
  const answer6 = src6 !== undefined && !owns6;
  if (answer4) notes.push(`answering ARP for ${formatIPv4(src4!.begin)} (not an address of ${ifname})`);
  if (answer6) notes.push(`answering NDP for ${formatIPv6(src6!)} (not an address of ${ifname})`);

  // --- next hops ---
  let routerMac4: Uint8Array = zero;
  let routerMac6: Uint8Array = zero;
  const fixed4 = config.routerMac4 !== undefined ? macFromText(config.routerMac4, 'router-mac') : undefined;
  const fixed6 = config.routerMac6 !== undefined ? macFromText(config.routerMac6, 'router-mac-ipv6') : undefined;
  let ask4: number | undefined;
  let ask6: bigint | undefined;
  if (need4 && !config.arpscan) {
    if (fixed4 !== undefined) routerMac4 = fixed4;
    else {
      ask4 = config.routerIp ??
        (r4 !== undefined && r4.ifname === ifname && r4.gateway !== undefined ? r4.gateway
          : r4 !== undefined && r4.ifname === ifname ? first4
            : routes4.find((r) => r.prefix === 0 && r.ifname === ifname && r.gateway !== undefined)?.gateway);
      if (ask4 === undefined) {
        throw new ScanError('ERR_ADAPTER', `no gateway on ${ifname} for ${formatIPv4(first4 ?? 0)}: give --router-ip or --router-mac`);
      }
    }
  }
  if (need6) {
    if (fixed6 !== undefined) routerMac6 = fixed6;
    else {
      ask6 = r6 !== undefined && r6.ifname === ifname && r6.gateway !== undefined ? r6.gateway
        : r6 !== undefined && r6.ifname === ifname ? first6
          : routes6.find((r) => r.prefix === 0 && r.ifname === ifname && r.gateway !== undefined)?.gateway;
      if (ask6 === undefined) {
        throw new ScanError('ERR_ADAPTER', `no IPv6 gateway on ${ifname} for ${formatIPv6(first6 ?? 0n)}: give --router-mac-ipv6`);
      }
    }
  }
  if (ask4 !== undefined || ask6 !== undefined) {
    const got = askNeighbours(deps, ifname, srcMac, config.vlan, src4?.begin, src6, ask4, ask6);
    if (ask4 !== undefined) {
      routerMac4 = got.mac4!;
      notes.push(`router ${formatIPv4(ask4)} is at ${formatMac(routerMac4)}`);
    }
    if (ask6 !== undefined) {
      routerMac6 = got.mac6!;
      notes.push(`router ${formatIPv6(ask6)} is at ${formatMac(routerMac6)}`);
    }
  }
  return { ifname, srcMac, src4, src6, srcPort, routerMac4, routerMac6, answer4, answer6, notes };
}

/**
 * Our own ARP (IPv4) and NDP (IPv6): ask every RESOLVE_RETRY_MS until both are answered or
 * RESOLVE_TIMEOUT_MS has passed. Bounded in time and in frames sent (5 per address).
 */
function askNeighbours(
  deps: ResolveDeps, ifname: string, srcMac: Uint8Array, vlan: number | undefined,
  src4: number | undefined, src6: bigint | undefined, ask4: number | undefined, ask6: bigint | undefined,
): { mac4?: Uint8Array; mac6?: Uint8Array } {
  const ours = { ipv4: src4 !== undefined ? [src4] : [], ipv6: src6 !== undefined ? [src6] : [] };
  const { tx, rx } = deps.openProbeLink(ifname, ours);
  const d = new Decoded();
  const target6 = ask6 !== undefined ? ipv6Bytes(ask6) : undefined;
  const src6b = src6 !== undefined ? ipv6Bytes(src6) : undefined;
  let mac4: Uint8Array | undefined;
  let mac6: Uint8Array | undefined;
  const onFrame = (buf: Uint8Array, off: number, len: number): void => {
    if (decodeFrame(buf, off, len, d) !== 'ok') return;
    if (ask4 !== undefined && mac4 === undefined) {
      const m = arpReplyFrom(d, ask4);
      if (m >= 0) mac4 = buf.slice(m, m + 6);
    }
    if (target6 !== undefined && mac6 === undefined) {
      const m = ndpAdvertFrom(buf, d, target6);
      if (m >= 0) mac6 = buf.slice(m, m + 6);
    }
  };
  try {
    const start = deps.nowMs();
    let lastAsk = -Infinity;
    for (;;) {
      const now = deps.nowMs();
      const done4 = ask4 === undefined || mac4 !== undefined;
      const done6 = ask6 === undefined || mac6 !== undefined;
      if (done4 && done6) break;
      if (now - start >= RESOLVE_TIMEOUT_MS) {
        const who = !done4
          ? `no ARP reply from ${formatIPv4(ask4!)} (the router, or the target when on-link)`
          : `no NDP reply from ${formatIPv6(ask6!)} (the IPv6 router, or the target when on-link)`;
        throw new ScanError('ERR_ADAPTER', `${ifname}: ${who} within ${RESOLVE_TIMEOUT_MS / 1000} s: give --router-mac`);
      }
      if (now - lastAsk >= RESOLVE_RETRY_MS) {
        lastAsk = now;
        let k = 0;
        if (!done4) {
          tx.lens[k] = buildArpRequest(tx.frames.subarray(tx.slotBase + k * tx.slotSize), srcMac, src4!, ask4!, vlan);
          k++;
        }
        if (!done6) {
          tx.lens[k] = buildNeighborSolicit(tx.frames.subarray(tx.slotBase + k * tx.slotSize), srcMac, src6b!, target6!, vlan);
          k++;
        }
        tx.send(k);
      }
      rx.poll(50, onFrame);
    }
  } finally {
    tx.close();
    rx.close();
  }
  return { mac4, mac6 };
}
