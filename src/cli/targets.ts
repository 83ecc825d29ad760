/**
 * The command line's side of target selection: accumulates the addresses, excludes and ports
 * named by options (in order), then applies excludes once at the end. All parsing and range
 * arithmetic is src/target's; this file only adapts it to the options table.
 */
import { ScanError } from '../error.js';
import { RangeList4, RangeList6 } from '../target/range-list.js';
import { parseTargetSpec, parseTargetFile } from '../target/parse.js';
import { parsePorts, formatPortsForEcho, topPorts, PortList, PORT_TCP_BASE } from '../target/ports.js';
import type { Range4, Range6, PortRange } from './config.js';
import type { Proto } from './draft.js';

export class TargetDraft {
  include4 = new RangeList4();
  include6 = new RangeList6();
  readonly exclude4 = new RangeList4();
  readonly exclude6 = new RangeList6();
  readonly ports: PortRange[] = [];
  readonly excludePorts: PortRange[] = [];
  hasExclude4 = false;

  /** Adds a target list (`10.0.0.0/8,1.2.3.4-1.2.3.9 ::1`). */
  addText(what: string, text: string): void {
    withWhat(what, () => parseTargetSpec(text, this.include4, this.include6));
  }

  addFile(buf: Uint8Array, filename: string): void {
    parseTargetFile(buf, filename, this.include4, this.include6);
  }

  excludeText(what: string, text: string): void {
    const before = this.exclude4.rangeCount();
    withWhat(what, () => parseTargetSpec(text, this.exclude4, this.exclude6));
    if (this.exclude4.rangeCount() !== before) this.hasExclude4 = true;
  }

  /** Returns how many ranges the file added (after merging). */
  excludeFile(buf: Uint8Array, filename: string): number {
    const before4 = this.exclude4.rangeCount();
    const before = before4 + this.exclude6.rangeCount();
    parseTargetFile(buf, filename, this.exclude4, this.exclude6);
    if (this.exclude4.rangeCount() !== before4) this.hasExclude4 = true;
    return this.exclude4.rangeCount() + this.exclude6.rangeCount() - before;
  }

  addPorts(what: string, spec: string, proto: Proto): void {
    for (const r of parsePortsNamed(what, spec, proto)) this.ports.push(r);
  }

  excludePortSpec(what: string, spec: string, proto: Proto): void {
    for (const r of parsePortsNamed(what, spec, proto)) this.excludePorts.push(r);
  }

  addPortRanges(list: readonly PortRange[]): void {
    for (const r of list) this.ports.push(r);
  }
}

/** Prefixes an error from src/target with the option that carried the value. */
function withWhat(what: string, f: () => void): void {
  try {
    f();
  } catch (e) {
    if (e instanceof ScanError && what !== 'target') throw new ScanError(e.code, `${what}: ${e.message}`);
    throw e;
  }
}

function parsePortsNamed(what: string, spec: string, proto: Proto): PortRange[] {
  try {
    return parsePorts(spec, proto);
  } catch (e) {
    if (e instanceof ScanError) throw new ScanError(e.code, `${what}: ${e.message}`);
    throw e;
  }
}

/** The first `n` entries of the built-in top-ports list for `proto`, as ranges. */
export function topPortRanges(n: number, proto: 'tcp' | 'udp'): PortRange[] {
  // src/target follows masscan 1.3.2: the list is nmap's TCP list and is added as TCP.
  return topPorts(n, proto).map((p) => ({ begin: PORT_TCP_BASE + p, end: PORT_TCP_BASE + p }));
}

export interface FinishedTargets {
  /** Whether any address was named before excludes were applied (for the error hint). */
  readonly hadTargets: boolean;
  readonly targets4: Range4[];
  readonly targets6: Range6[];
  readonly ports: PortRange[];
}

/** Merges everything and applies the excludes (addresses and ports). */
export function finishTargets(t: TargetDraft): FinishedTargets {
  const hadTargets = !t.include4.isEmpty() || !t.include6.isEmpty();
  const inc4 = t.exclude4.isEmpty() ? t.include4 : t.include4.exclude(t.exclude4);
  const inc6 = t.exclude6.isEmpty() ? t.include6 : t.include6.exclude(t.exclude6);
  let ports = new PortList(t.ports);
  if (t.excludePorts.length > 0) ports = ports.exclude(new PortList(t.excludePorts));
  return {
    hadTargets,
    targets4: inc4.ranges().map((r) => ({ begin: r.begin, end: r.end })),
    targets6: inc6.ranges().map((r) => ({ begin: r.begin, end: r.end })),
    ports: ports.ranges().map((r) => ({ begin: r.begin, end: r.end })),
  };
}

export function formatPorts(ports: readonly PortRange[]): string {
  return formatPortsForEcho(ports);
}

export function countPorts(ports: readonly PortRange[]): number {
  let n = 0;
  for (const p of ports) n += p.end - p.begin + 1;
  return n;
}

export function count4(r: readonly Range4[]): number {
  let n = 0;
  for (const x of r) n += x.end - x.begin + 1;
  return n;
}

export function count6(r: readonly Range6[]): bigint {
  let n = 0n;
  for (const x of r) n += x.end - x.begin + 1n;
  return n;
}

/** Largest number of probes (addresses x ports) a scan may have: indexes are exact doubles. */
export const MAX_SCAN_SIZE = 2 ** 53;
/** masscan's safety rule: more IPv4 addresses than this need an explicit --exclude. */
export const CONFIRM_IPV4_COUNT = 1_000_000_000;

/**
 * The checks before a scan or a list: something to scan, ports for a scan, and a size the
 * index space can hold. A list (-sL) without ports lists addresses alone (one pseudo-port).
 */
export function checkTargets(operation: 'scan' | 'list', t: FinishedTargets, hasExclude4: boolean): void {
  const n4 = count4(t.targets4);
  const n6 = count6(t.targets6);
  if (n4 === 0 && n6 === 0n) {
    throw new ScanError('ERR_EMPTY_TARGETS', t.hadTargets
      ? 'target IP address list empty: all addresses were removed by exclusion ranges'
      : 'target IP address list empty: give targets, e.g. 10.0.0.0/8, --range 192.168.0.100-192.168.0.200 or -iL file');
  }
  const np = countPorts(t.ports);
  if (operation === 'scan' && np === 0) {
    throw new ScanError('ERR_NO_PORTS', 'no ports were specified: use e.g. -p80,443, -p U:53 or --top-ports 100');
  }
  const total = (BigInt(n4) + n6) * BigInt(Math.max(np, 1));
  if (total > BigInt(MAX_SCAN_SIZE)) {
    throw new ScanError('ERR_TOO_BIG', `scan too large: ${BigInt(n4) + n6} addresses x ${Math.max(np, 1)} ports = ${total} probes, more than 2^53 (an IPv6 range must be /75 or smaller per port)`);
  }
  if (operation === 'scan' && n4 > CONFIRM_IPV4_COUNT && !hasExclude4) {
    throw new ScanError('ERR_TOO_BIG', `range too big, need confirmation: ${n4} IPv4 addresses; add an exclude (e.g. --exclude 255.255.255.255) to confirm`);
  }
}
