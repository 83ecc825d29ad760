/**
 * The command line's side of target selection: accumulates the addresses, excludes and ports
 * named by options (in order), then applies excludes once at the end. All parsing and range
 * arithmetic is src/target's; this file only adapts it to the options table.
 */
import { ScanError } from '../error.js';
import { RangeList4, RangeList6 } from '../target/range-list.js';
import {
  parseTargetSpec, parseTargetFile, clipInput, quoteInput, type TargetParseOptions,
} from '../target/parse.js';
import { parsePorts, topPorts, PortList, PORT_TCP_BASE } from '../target/ports.js';
import type { Range4, Range6, PortRange, Operation } from '../core/config.js';
import { buildPlan } from '../target/plan.js';
import type { Proto } from './draft.js';

/**
 * A reversed range (`10.0.0.5-10.0.0.1`) is an error naming it here, where masscan (and
 * src/target's default) adds nothing and the scan then stops with "target list empty".
 */
const STRICT: TargetParseOptions = { reversed: 'error' };

export class TargetDraft {
  include4 = new RangeList4();
  include6 = new RangeList6();
  readonly exclude4 = new RangeList4();
  readonly exclude6 = new RangeList6();
  readonly ports: PortRange[] = [];
  readonly excludePorts: PortRange[] = [];
  hasExclude4 = false;
  /**
   * What was given, as the user wrote it and cut to QUOTE_MAX (`--range 10.0.0.5`,
   * `include file "t.txt"`), for the
   * messages of an empty target or port list: they name the input instead of only saying
   * "empty".
   */
  readonly given = { include: [] as string[], exclude: [] as string[], ports: [] as string[], excludePorts: [] as string[] };

  /** Adds a target list (`10.0.0.0/8,1.2.3.4-1.2.3.9 ::1`). */
  addText(what: string, text: string): void {
    this.given.include.push(what === 'target' ? clipInput(text) : `${what} ${clipInput(text)}`);
    withWhat(what, () => parseTargetSpec(text, this.include4, this.include6, STRICT));
  }

  addFile(buf: Uint8Array, filename: string): void {
    const n = parseTargetFile(buf, filename, this.include4, this.include6, STRICT);
    this.given.include.push(`include file ${quoteInput(filename)}${n === 0 ? ' (no addresses in it)' : ''}`);
  }

  excludeText(what: string, text: string): void {
    this.given.exclude.push(`${what} ${clipInput(text)}`);
    const before = this.exclude4.rangeCount();
    withWhat(what, () => parseTargetSpec(text, this.exclude4, this.exclude6, STRICT));
    if (this.exclude4.rangeCount() !== before) this.hasExclude4 = true;
  }

  /** Returns how many ranges the file added (after merging). */
  excludeFile(buf: Uint8Array, filename: string): number {
    this.given.exclude.push(`exclude file ${quoteInput(filename)}`);
    const before4 = this.exclude4.rangeCount();
    const before = before4 + this.exclude6.rangeCount();
    parseTargetFile(buf, filename, this.exclude4, this.exclude6, STRICT);
    if (this.exclude4.rangeCount() !== before4) this.hasExclude4 = true;
    return this.exclude4.rangeCount() + this.exclude6.rangeCount() - before;
  }

  addPorts(what: string, spec: string, proto: Proto): void {
    this.given.ports.push(`${what} ${shownPorts(spec)}`);
    for (const r of parsePortsNamed(what, spec, proto)) this.ports.push(r);
  }

  excludePortSpec(what: string, spec: string, proto: Proto): void {
    this.given.excludePorts.push(`${what} ${shownPorts(spec)}`);
    for (const r of parsePortsNamed(what, spec, proto)) this.excludePorts.push(r);
  }

  addPortRanges(list: readonly PortRange[]): void {
    if (list.length > 0) this.given.ports.push('--top-ports');
    for (const r of list) this.ports.push(r);
  }
}

/** A port list as the "empty" messages show it: bare, cut to QUOTE_MAX; a blank one quoted. */
function shownPorts(spec: string): string {
  return /^\s*(#|$)/.test(spec) ? quoteInput(spec) : clipInput(spec);
}

/** Up to three of the inputs (each already cut to QUOTE_MAX): `--range 10.0.0.5, include file "t" and 2 more`. */
function listGiven(items: readonly string[]): string {
  const shown = items.slice(0, 3);
  const more = items.length - shown.length;
  return `${shown.join(', ')}${more > 0 ? ` and ${more} more` : ''}`;
}

/**
 * buildPlan's "empty" errors, naming what was given: the targets (or the file that held none)
 * and the excludes that removed them; the ports and the port excludes.
 */
function explainEmpty(e: ScanError, t: TargetDraft): ScanError {
  const g = t.given;
  if (e.code === 'ERR_EMPTY_TARGETS') {
    if (g.include.length === 0) return e;
    if (t.include4.count() === 0 && t.include6.count() === 0n) {
      return new ScanError(e.code, `target IP address list empty: ${listGiven(g.include)} gave no addresses`);
    }
    return new ScanError(e.code, `target IP address list empty: every address of ${listGiven(g.include)} ` +
      `was removed by ${listGiven(g.exclude)}`);
  }
  if (e.code === 'ERR_NO_PORTS' && g.ports.length > 0) {
    if (t.ports.length === 0) return new ScanError(e.code, `no ports: ${listGiven(g.ports)} gave none`);
    if (g.excludePorts.length > 0) {
      return new ScanError(e.code, `no ports left: every port of ${listGiven(g.ports)} was removed by ${listGiven(g.excludePorts)}`);
    }
  }
  return e;
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
  // src/target/ports.ts names the bad item and the list, each quoted and cut.
  let out: PortRange[] = [];
  withWhat(what, () => { out = parsePorts(spec, proto); });
  // A blank list adds nothing (`ports = ` is how --echo and paused.conf write no ports, as
  // masscan's do); a scan left with no ports then names it ("no ports: -p "" gave none").
  return out;
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
  // --k8s-job plans the scan its pods run: the same rules as a scan.
  if (operation === 'scan' || operation === 'list' || operation === 'k8s-job') {
    const pseudo = operation === 'list' && ports.exclude(excludePorts).isEmpty();
    const plan = explained(t, () => buildPlan({
      include4: t.include4,
      include6: t.include6,
      exclude4: t.exclude4,
      exclude6: t.exclude6,
      ports: pseudo ? new PortList([{ begin: 80, end: 80 }]) : ports,
      excludePorts: pseudo ? new PortList() : excludePorts,
      hasExclude4: operation === 'list' ? true : t.hasExclude4,
    }));
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

function explained<T>(t: TargetDraft, f: () => T): T {
  try {
    return f();
  } catch (e) {
    if (e instanceof ScanError) throw explainEmpty(e, t);
    throw e;
  }
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

