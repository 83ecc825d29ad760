/**
 * The command line's side of target selection: accumulates the addresses, excludes and ports
 * named by options (in order), then applies excludes once at the end. All parsing and range
 * arithmetic is src/target's; this file only adapts it to the options table.
 */
import { ScanError } from '../error.js';
import { RangeList4, RangeList6 } from '../target/range-list.js';
import { parseTargetSpec, parseTargetFile } from '../target/parse.js';
import { parsePorts, topPorts, PortList, PORT_TCP_BASE } from '../target/ports.js';
import type { Range4, Range6, PortRange, Operation } from './config.js';
import { buildPlan } from '../target/plan.js';
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
  readonly targets4: Range4[];
  readonly targets6: Range6[];
  readonly ports: PortRange[];
}

/**
 * Merges everything and applies the excludes (addresses and ports). For a scan or a list the
 * result goes through src/target's buildPlan, which refuses an empty target list, no ports,
 * more than 1e9 IPv4 addresses without an exclude, and 2^53 or more probes. A list (-sL)
 * needs no ports (it lists addresses alone, masscan's pseudo-port) and, as in masscan, is not
 * held to the 1e9 rule.
 */
export function finishTargets(t: TargetDraft, operation: Operation): FinishedTargets {
  const ports = new PortList(t.ports);
  const excludePorts = new PortList(t.excludePorts);
  if (operation === 'scan' || operation === 'list') {
    const pseudo = operation === 'list' && ports.exclude(excludePorts).isEmpty();
    const plan = buildPlan({
      include4: t.include4,
      include6: t.include6,
      exclude4: t.exclude4,
      exclude6: t.exclude6,
      ports: pseudo ? new PortList([{ begin: 80, end: 80 }]) : ports,
      excludePorts: pseudo ? new PortList() : excludePorts,
      hasExclude4: operation === 'list' ? true : t.hasExclude4,
    });
    return {
      targets4: copy4(plan.targets4.ranges()),
      targets6: copy6(plan.targets6.ranges()),
      ports: pseudo ? [] : copyPorts(plan.ports.ranges()),
    };
  }
  return {
    targets4: copy4(t.include4.exclude(t.exclude4).ranges()),
    targets6: copy6(t.include6.exclude(t.exclude6).ranges()),
    ports: copyPorts(ports.exclude(excludePorts).ranges()),
  };
}

function copy4(r: readonly Range4[]): Range4[] {
  return r.map((x) => ({ begin: x.begin, end: x.end }));
}
function copy6(r: readonly Range6[]): Range6[] {
  return r.map((x) => ({ begin: x.begin, end: x.end }));
}
function copyPorts(r: readonly PortRange[]): PortRange[] {
  return r.map((x) => ({ begin: x.begin, end: x.end }));
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
