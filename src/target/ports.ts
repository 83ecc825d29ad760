/**
 * Ports: the port-list grammar, the merged PortList used by the picker, the --echo form, and
 * --top-ports, over masscan's internal port encoding (core/ports.ts).
 */
import { ScanError } from '../error.js';
import { quoteInput } from './parse.js';
import { prefixCounts } from './range-list.js';
import { NMAP_TOP_TCP_BY_FREQUENCY, NMAP_TOP_UDP_BY_FREQUENCY } from './top-ports-data.js';

import {
  PORT_ARP,
  PORT_TCP_BASE,
  PORT_ICMP_BASE,
  PORT_OPROTO_BASE,
  PORT_SCTP_BASE,
  PORT_UDP_BASE,
  type PortProto,
  type Proto,
} from '../core/ports.js';
import type { PortRange } from '../core/range.js';

export {
  PORT_ARP,
  PORT_ICMP_BASE,
  PORT_ICMP_ECHO,
  PORT_ICMP_TIMESTAMP,
  PORT_OPROTO_BASE,
  PORT_SCTP_BASE,
  PORT_TCP_BASE,
  PORT_UDP_BASE,
} from '../core/ports.js';
export type { PortProto, PortRange };
/** One past the largest internal value (`I:65535`). */
const PORT_INTERNAL_LIMIT = 196608 + 65536;

export type DefaultProto = Proto;

/** The protocol an internal port value stands for. */
export function portProto(internal: number): PortProto {
  if (internal < PORT_UDP_BASE) return 'tcp';
  if (internal < PORT_SCTP_BASE) return 'udp';
  if (internal < PORT_ICMP_BASE) return 'sctp';
  if (internal === PORT_ARP) return 'arp';
  if (internal >= PORT_OPROTO_BASE && internal < PORT_OPROTO_BASE + 256) return 'oproto';
  return 'icmp';
}

/**
 * The number on the wire: the TCP/UDP/SCTP port, the ICMP selector (0 echo, 1 timestamp), the
 * IP protocol number for 'oproto', 0 for ARP.
 */
export function plainPort(internal: number): number {
  if (internal < PORT_ICMP_BASE) return internal & 0xffff;
  if (internal === PORT_ARP) return 0;
  if (internal >= PORT_OPROTO_BASE && internal < PORT_OPROTO_BASE + 256) {
    return internal - PORT_OPROTO_BASE;
  }
  return internal - PORT_ICMP_BASE;
}

/** Start of the protocol region an internal value is in (for merging and echo). */
function regionBase(v: number): number {
  return v < PORT_UDP_BASE ? 0 : v < PORT_SCTP_BASE ? PORT_UDP_BASE : v < PORT_ICMP_BASE ? PORT_SCTP_BASE : PORT_ICMP_BASE;
}

// ---------------------------------------------------------------------------------------------
// Grammar (reference §2.3; masscan 1.3.2's numbers and range forms, but strict):
//   list    := ws* item (ws* ',' ws* item)* ws* [comment]
//   item    := [prefix] (num | num '-' [num] | '-' [num])
//   prefix  := letter ':'  (T U S O I, any case; sticky for the items that follow)
//   comment := '#' ... to the end, where the '#' starts the text or follows whitespace
// - numbers are C strtoul base 0 as in masscan (0x50 = 80, 010 = 8), and must end where the
//   item or the range's `-` does (`08`, `80x`, `0x` are errors, not 0 / 80 / 0);
// - a blank text (or only a comment) is the empty list (`ports = ` in --echo and paused.conf);
// - `-M` is 1..M, `N-` is N..max, `-` is 1..max (max 65535, 255 for O:);
// - every other text is an error naming the item: masscan stops silently at the first token
//   that does not fit (`80,abc` scans 80, `5- 6` scans 5-65535, `4294967376` scans 80),
//   tidescan refuses (`80,x` is `bad target port "x" in "80,x": ...`). Also refused: an
//   empty item (`80,,90`, `80,`), a prefix without a port (`U:`), an unknown
//   prefix, a number above max, end < begin.
// ---------------------------------------------------------------------------------------------

function isDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x39;
}
function hexVal(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x61 && c <= 0x66) return c - 0x57;
  if (c >= 0x41 && c <= 0x46) return c - 0x37;
  return 99;
}
function isSpace(c: number): boolean {
  return c === 0x20 || (c >= 0x09 && c <= 0x0d);
}

/**
 * A number at s[i] (a digit), C strtoul base 0: `0x..` hex, `0..` octal, else decimal.
 * `value` saturates at 2^32 (anything that large is above every max); `next` is past the
 * last digit of the base.
 */
function readNumber(s: string, i: number): { value: number; next: number } {
  let base = 10;
  if (s.charCodeAt(i) === 0x30) {
    const x = s.charCodeAt(i + 1);
    if ((x === 0x78 || x === 0x58) && hexVal(s.charCodeAt(i + 2)) < 16) {
      base = 16;
      i += 2;
    } else {
      base = 8;
    }
  }
  let v = 0;
  for (; i < s.length; i++) {
    const d = hexVal(s.charCodeAt(i));
    if (d >= base) break;
    v = Math.min(v * base + d, 0x100000000);
  }
  return { value: v, next: i };
}

const PREFIX_BASE: Record<string, number> = { t: 0, u: 65536, s: 131072, i: 196608, o: 196864 };

function protoBase(p: DefaultProto): number {
  return p === 'udp' ? PORT_UDP_BASE : p === 'sctp' ? PORT_SCTP_BASE : PORT_TCP_BASE;
}

const PORT_HELP = 'ports are 0..65535: N, N-M, -M, N-, each with an optional T: U: S: O: I:';

/**
 * Parses a port list (`-p`, `--ports`, `--exclude-ports`, config `ports =`, the library's
 * `ports`) into internal-value ranges in the order given (not merged). `defaultProto`
 * applies until the first prefix. Either the whole text is a list of the grammar above and
 * the result is exactly what it says, or it throws ScanError('ERR_BAD_PORT') naming the bad
 * item and the list (each quoted, at most QUOTE_MAX characters).
 */
export function parsePorts(spec: string, defaultProto: DefaultProto = 'tcp'): PortRange[] {
  const out: PortRange[] = [];
  const n = spec.length;
  let base = protoBase(defaultProto);
  let max = 65535;
  let i = 0;
  const bad = (from: number, why: string): ScanError => {
    let to = spec.indexOf(',', from);
    if (to < 0) to = n;
    const item = spec.slice(from, to).trim();
    // the list is context: a shorter quote, so that the line stays short with a long item
    const where = item === spec.trim() ? '' : ` in ${quoteInput(spec, 40)}`;
    return new ScanError('ERR_BAD_PORT', `bad target port ${quoteInput(item)}${where}: ${why} (${PORT_HELP})`);
  };
  // '#' at i starts a comment when it starts the text or follows whitespace.
  const comment = (at: number): boolean =>
    spec.charCodeAt(at) === 0x23 && (at === 0 || isSpace(spec.charCodeAt(at - 1)));
  for (;;) {
    while (i < n && isSpace(spec.charCodeAt(i))) i++;
    const itemStart = i;
    if (i >= n || comment(i)) {
      if (out.length === 0) return out; // empty, blank or only a comment: no ports (the callers decide)
      throw bad(itemStart, 'empty item after a comma');
    }
    let c = spec.charCodeAt(i);
    if (c === 0x2c) throw bad(itemStart, 'empty item');
    const lower = c | 0x20;
    let itemBase = base;
    let itemMax = max;
    if (lower >= 0x61 && lower <= 0x7a && spec.charCodeAt(i + 1) === 0x3a /* : */) {
      const b = PREFIX_BASE[String.fromCharCode(lower)];
      if (b === undefined) throw bad(itemStart, `unknown protocol prefix ${spec[i]}:`);
      itemBase = b;
      itemMax = b === PORT_OPROTO_BASE ? 255 : 65535;
      i += 2;
      c = spec.charCodeAt(i);
      if (!isDigit(c) && c !== 0x2d) throw bad(itemStart, `no port after ${spec[itemStart]}:`);
    }
    // `a`, `a-b`, `a-` (to max), `-b` (from 1), `-` (1 to max)
    let begin: number;
    if (isDigit(c)) {
      const r = readNumber(spec, i);
      begin = r.value;
      i = r.next;
    } else if (c === 0x2d /* - */) {
      begin = 1;
    } else {
      throw bad(itemStart, 'not a port');
    }
    let end = begin;
    if (spec.charCodeAt(i) === 0x2d) {
      i++;
      if (isDigit(spec.charCodeAt(i))) {
        const r = readNumber(spec, i);
        end = r.value;
        i = r.next;
      } else {
        end = itemMax;
      }
    }
    const stop = spec.charCodeAt(i);
    if (i < n && stop !== 0x2c && !isSpace(stop)) throw bad(itemStart, 'not a port');
    if (begin > itemMax || end > itemMax) throw bad(itemStart, `above ${itemMax}`);
    if (end < begin) throw bad(itemStart, 'range end is below its start');
    base = itemBase;
    max = itemMax;
    out.push({ begin: base + begin, end: base + end });
    while (i < n && isSpace(spec.charCodeAt(i))) i++;
    if (i >= n || comment(i)) break;
    if (spec.charCodeAt(i) !== 0x2c /* , */) throw bad(i, 'expected a comma before it');
    i++;
  }
  return out;
}

/**
 * A sorted, merged list of internal port ranges. Ranges never straddle a protocol boundary
 * (65536, 131072, 196608), so each range is one protocol; merging joins overlaps and adjacent
 * ranges within a protocol. Queries merge first if needed.
 */
export class PortList {
  private b: Int32Array = new Int32Array(8);
  private e: Int32Array = new Int32Array(8);
  private n = 0;
  private prefix: Float64Array = new Float64Array(1);
  private dirty = false;

  constructor(ranges?: readonly PortRange[]) {
    if (ranges) for (const r of ranges) this.add(r.begin, r.end);
    this.merge();
  }

  /** Adds internal values [begin, end]; split at protocol boundaries; end < begin adds nothing. */
  add(begin: number, end: number): void {
    if (!(end >= begin)) return;
    if (begin < 0 || end >= PORT_INTERNAL_LIMIT) {
      throw new RangeError(`internal port out of range: ${begin}-${end}`);
    }
    while (regionBase(begin) !== regionBase(end)) {
      const next = begin < PORT_UDP_BASE ? PORT_UDP_BASE : begin < PORT_SCTP_BASE ? PORT_SCTP_BASE : PORT_ICMP_BASE;
      this.push(begin, next - 1);
      begin = next;
    }
    this.push(begin, end);
    this.dirty = true;
  }

  private push(begin: number, end: number): void {
    if (this.n === this.b.length) {
      const nb = new Int32Array(this.n * 2);
      const ne = new Int32Array(this.n * 2);
      nb.set(this.b);
      ne.set(this.e);
      this.b = nb;
      this.e = ne;
    }
    this.b[this.n] = begin;
    this.e[this.n] = end;
    this.n++;
  }

  merge(): void {
    if (!this.dirty) return;
    const n = this.n;
    const idx = Array.from({ length: n }, (_, i) => i);
    const b0 = this.b.slice(0, n);
    const e0 = this.e.slice(0, n);
    idx.sort((x, y) => b0[x] - b0[y]);
    let w = 0;
    if (n > 0) {
      let cb = b0[idx[0]];
      let ce = e0[idx[0]];
      for (let k = 1; k < n; k++) {
        const nb = b0[idx[k]];
        const ne = e0[idx[k]];
        if (nb <= ce + 1 && regionBase(nb) === regionBase(cb)) {
          if (ne > ce) ce = ne;
        } else {
          this.b[w] = cb;
          this.e[w] = ce;
          w++;
          cb = nb;
          ce = ne;
        }
      }
      this.b[w] = cb;
      this.e[w] = ce;
      w++;
    }
    this.n = w;
    this.finish();
  }

  private finish(): void {
    this.prefix = prefixCounts(this.b, this.e, this.n);
    this.dirty = false;
  }

  count(): number {
    if (this.dirty) this.merge();
    return this.prefix[this.n];
  }

  isEmpty(): boolean {
    return this.count() === 0;
  }

  /** The k-th internal port in ascending order, 0 <= k < count(). Hot path, no allocation. */
  pick(k: number): number {
    if (this.dirty) this.merge();
    // NOTE: the search is range-list.ts's searchPrefix written out: calling it measured ~2%
    // slower per pick here (PortList.pick over 1000 ports, 14.8 vs 15.1 ns).
    const p = this.prefix;
    let lo = 0;
    let len = this.n;
    while (len > 1) {
      const half = len >>> 1;
      lo = p[lo + half] <= k ? lo + half : lo;
      len -= half;
    }
    return this.b[lo] + (k - p[lo]);
  }

  contains(internal: number): boolean {
    if (this.dirty) this.merge();
    for (let i = 0; i < this.n; i++) {
      if (internal >= this.b[i] && internal <= this.e[i]) return true;
    }
    return false;
  }

  /** This list minus `other`, as a new list. */
  exclude(other: PortList): PortList {
    this.merge();
    other.merge();
    const out = new PortList();
    let j = 0;
    for (let i = 0; i < this.n; i++) {
      const e = this.e[i];
      let cur = this.b[i];
      while (j < other.n && other.e[j] < cur) j++;
      while (j < other.n && other.b[j] <= e) {
        if (other.b[j] > cur) out.push(cur, other.b[j] - 1);
        if (other.e[j] >= e) {
          cur = e + 1;
          break;
        }
        cur = other.e[j] + 1;
        j++;
      }
      if (cur <= e) out.push(cur, e);
    }
    out.finish();
    return out;
  }

  ranges(): PortRange[] {
    if (this.dirty) this.merge();
    const out: PortRange[] = [];
    for (let i = 0; i < this.n; i++) out.push({ begin: this.b[i], end: this.e[i] });
    return out;
  }
}

/**
 * masscan's `ports = ...` echo form: merged ranges ascending, TCP bare, then `U:`, `S:`, and
 * `I:` for everything from 196608 up (so ping is `I:0`, ARP `I:2`, and other-proto n is
 * `I:<256+n>`, masscan's form). Example: `80,8000-8100,U:53,I:0`.
 */
export function formatPortsForEcho(list: PortList | readonly PortRange[]): string {
  const pl = list instanceof PortList ? list : new PortList(list);
  const parts: string[] = [];
  for (const r of pl.ranges()) {
    const base = regionBase(r.begin);
    const pre = base === PORT_UDP_BASE ? 'U:' : base === PORT_SCTP_BASE ? 'S:' : base === PORT_ICMP_BASE ? 'I:' : '';
    const b = r.begin - base;
    const e = r.end - base;
    parts.push(b === e ? `${pre}${b}` : `${pre}${b}-${e}`);
  }
  return parts.join(',');
}

// ---------------------------------------------------------------------------------------------
// --top-ports
// ---------------------------------------------------------------------------------------------

/** nmap's 1000 most-open TCP ports in ascending numeric order: masscan 1.3.2's table. */
const TOP_TCP_ASCENDING: readonly number[] = Object.freeze(
  [...NMAP_TOP_TCP_BY_FREQUENCY].sort((x, y) => x - y),
);

/**
 * `--top-ports N` as masscan 1.3.2 does it (checked against `masscan --top-ports N --echo`
 * for N = 1, 5, 10, 20, 100, 1000, 5000, and with -sU): its table is nmap's top 1000 TCP
 * ports sorted by port NUMBER, and it takes the first N entries of that table (so
 * `--top-ports 5` is 1,3,4,6,7, not the five most popular ports). N > 1000 gives all 1000;
 * N <= 0 gives none. 1.3.2 uses this TCP table even with -sU and adds the ports as TCP;
 * `proto` is accepted for the interface and does not change the result.
 * Returns plain port numbers (the caller encodes them).
 */
export function topPorts(n: number, proto: 'tcp' | 'udp' = 'tcp'): number[] {
  void proto;
  const k = Math.max(0, Math.min(TOP_TCP_ASCENDING.length, Math.floor(n)));
  return TOP_TCP_ASCENDING.slice(0, k);
}

/**
 * The N most frequently open ports of `proto` by nmap's frequency ranking (nmap's own
 * --top-ports meaning), for an opt-in mode; at most 1000. Plain port numbers.
 */
export function topPortsByFrequency(n: number, proto: 'tcp' | 'udp'): number[] {
  const src = proto === 'udp' ? NMAP_TOP_UDP_BY_FREQUENCY : NMAP_TOP_TCP_BY_FREQUENCY;
  const k = Math.max(0, Math.min(src.length, Math.floor(n)));
  return src.slice(0, k);
}
