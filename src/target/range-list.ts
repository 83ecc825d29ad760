/**
 * Sorted, merged lists of inclusive address ranges, and the k-th-address lookup that maps a
 * scan index to a target (reference §5.2).
 *
 * Lifecycle: `add()` appends ranges in any order (cheap, no sorting); `merge()` sorts, joins
 * overlapping and adjacent ranges, and builds the prefix counts. Every query (`count`, `pick`,
 * `contains`, `ranges`, `exclude`) merges first if needed, so a list is never queried in an
 * unmerged state. After merging, ranges are disjoint, non-adjacent and ascending.
 *
 * `pick(k)` returns the k-th address in ascending order (0 <= k < count()). It is a
 * fixed-shape binary search over the prefix counts: no allocation, and the only data-dependent
 * choice is a select that compiles to a conditional move. Its result for k outside
 * [0, count()) is unspecified (but never throws).
 */
import { ipv6ToWords } from './ipv6.js';

import type { Range4, Range6 } from '../core/range.js';

export type { Range4, Range6 };

const TWO32 = 4294967296;

/**
 * Prefix counts of n inclusive ranges (sorted, merged): p[i] = sizes of ranges 0..i-1, p[n] =
 * the total. Float64 because a total reaches 2^32 (the IPv4 space).
 */
export function prefixCounts(b: Uint32Array | Int32Array, e: Uint32Array | Int32Array, n: number): Float64Array {
  const p = new Float64Array(n + 1);
  let acc = 0;
  for (let i = 0; i < n; i++) {
    p[i] = acc;
    acc += e[i] - b[i] + 1;
  }
  p[n] = acc;
  return p;
}

/** Lower-bound search shared by the pickers: largest i in [0, n) with p[i] <= k (p[0] = 0). */
function searchPrefix(p: Float64Array, n: number, k: number): number {
  let lo = 0;
  let len = n;
  while (len > 1) {
    const half = len >>> 1;
    lo = p[lo + half] <= k ? lo + half : lo;
    len -= half;
  }
  return lo;
}

/**
 * LSD radix sort of (begin, end) pairs by begin, two passes of 16 bits. Stable and O(n): a
 * 10-million-line target file sorts in well under a second, where a comparison sort of
 * index arrays takes several.
 */
function radixSortPairs(b: Uint32Array, e: Uint32Array, n: number): void {
  const tb = new Uint32Array(n);
  const te = new Uint32Array(n);
  const cnt = new Uint32Array(65536);
  // pass 1: low 16 bits, b/e -> tb/te
  for (let i = 0; i < n; i++) cnt[b[i] & 0xffff]++;
  let sum = 0;
  for (let d = 0; d < 65536; d++) {
    const c = cnt[d];
    cnt[d] = sum;
    sum += c;
  }
  for (let i = 0; i < n; i++) {
    const pos = cnt[b[i] & 0xffff]++;
    tb[pos] = b[i];
    te[pos] = e[i];
  }
  // pass 2: high 16 bits, tb/te -> b/e
  cnt.fill(0);
  for (let i = 0; i < n; i++) cnt[tb[i] >>> 16]++;
  sum = 0;
  for (let d = 0; d < 65536; d++) {
    const c = cnt[d];
    cnt[d] = sum;
    sum += c;
  }
  for (let i = 0; i < n; i++) {
    const pos = cnt[tb[i] >>> 16]++;
    b[pos] = tb[i];
    e[pos] = te[i];
  }
}

export class RangeList4 {
  private b: Uint32Array;
  private e: Uint32Array;
  private n = 0;
  private prefix: Float64Array = new Float64Array(1);
  private dirty = false;

  constructor(capacity = 16) {
    const cap = Math.max(4, capacity | 0);
    this.b = new Uint32Array(cap);
    this.e = new Uint32Array(cap);
  }

  static fromRanges(ranges: readonly Range4[]): RangeList4 {
    const l = new RangeList4(ranges.length);
    for (const r of ranges) l.add(r.begin, r.end);
    l.merge();
    return l;
  }

  /** Appends [begin, end] (u32s, inclusive). end < begin adds nothing (masscan: no error). */
  add(begin: number, end: number): void {
    if (!(end >= begin)) return;
    if (this.n === this.b.length) this.grow();
    this.b[this.n] = begin;
    this.e[this.n] = end;
    this.n++;
    this.dirty = true;
  }

  private grow(): void {
    const cap = this.b.length * 2;
    const nb = new Uint32Array(cap);
    const ne = new Uint32Array(cap);
    nb.set(this.b);
    ne.set(this.e);
    this.b = nb;
    this.e = ne;
  }

  /** Sorts, merges overlapping/adjacent ranges and builds prefix counts. Idempotent. */
  merge(): void {
    if (!this.dirty) return;
    const b = this.b;
    const e = this.e;
    const n = this.n;
    let sorted = true;
    for (let i = 1; i < n; i++) {
      if (b[i] < b[i - 1]) {
        sorted = false;
        break;
      }
    }
    if (!sorted) radixSortPairs(b, e, n);
    let w = 0;
    if (n > 0) {
      let cb = b[0];
      let ce = e[0];
      for (let i = 1; i < n; i++) {
        const nb = b[i];
        if (nb <= ce + 1) {
          if (e[i] > ce) ce = e[i];
        } else {
          b[w] = cb;
          e[w] = ce;
          w++;
          cb = nb;
          ce = e[i];
        }
      }
      b[w] = cb;
      e[w] = ce;
      w++;
    }
    this.n = w;
    this.finish();
  }

  /** Builds prefix counts over ranges already sorted and merged. */
  private finish(): void {
    this.prefix = prefixCounts(this.b, this.e, this.n);
    this.dirty = false;
  }

  /** Number of addresses (at most 2^32). */
  count(): number {
    if (this.dirty) this.merge();
    return this.prefix[this.n];
  }

  /** Number of merged ranges. */
  rangeCount(): number {
    if (this.dirty) this.merge();
    return this.n;
  }

  isEmpty(): boolean {
    return this.count() === 0;
  }

  /** The k-th address in ascending order, 0 <= k < count(). Hot path: allocates nothing. */
  pick(k: number): number {
    if (this.dirty) this.merge();
    const i = searchPrefix(this.prefix, this.n, k);
    return this.b[i] + (k - this.prefix[i]);
  }

  contains(ip: number): boolean {
    if (this.dirty) this.merge();
    const b = this.b;
    let lo = 0;
    let hi = this.n; // find the last range with begin <= ip
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (b[mid] <= ip) lo = mid + 1;
      else hi = mid;
    }
    return lo > 0 && ip <= this.e[lo - 1];
  }

  /** This list minus `other`, as a new merged list. O(n + m). */
  exclude(other: RangeList4): RangeList4 {
    this.merge();
    other.merge();
    const out = new RangeList4(this.n + other.n + 1);
    const ob = other.b;
    const oe = other.e;
    const m = other.n;
    let j = 0;
    for (let i = 0; i < this.n; i++) {
      const e = this.e[i];
      let cur = this.b[i];
      while (j < m && oe[j] < cur) j++;
      while (j < m && ob[j] <= e) {
        if (ob[j] > cur) out.push(cur, ob[j] - 1);
        if (oe[j] >= e) {
          cur = e + 1;
          break;
        }
        cur = oe[j] + 1;
        j++;
      }
      if (cur <= e) out.push(cur, e);
    }
    out.finish();
    return out;
  }

  /** Appends without marking dirty: only for producers that emit sorted, merged output. */
  private push(begin: number, end: number): void {
    if (this.n === this.b.length) this.grow();
    this.b[this.n] = begin;
    this.e[this.n] = end;
    this.n++;
  }

  /** A copy of the merged ranges (allocates; not for the hot path). */
  ranges(): Range4[] {
    if (this.dirty) this.merge();
    const out: Range4[] = new Array<Range4>(this.n);
    for (let i = 0; i < this.n; i++) out[i] = { begin: this.b[i], end: this.e[i] };
    return out;
  }

  beginAt(i: number): number {
    if (this.dirty) this.merge();
    return this.b[i];
  }

  endAt(i: number): number {
    if (this.dirty) this.merge();
    return this.e[i];
  }
}

export class RangeList6 {
  private b: bigint[] = [];
  private e: bigint[] = [];
  private prefixBig: bigint[] = [0n];
  /** Prefix counts as doubles: exact while count() < 2^53, which pickWords requires. */
  private prefix: Float64Array = new Float64Array(1);
  /** Begin addresses as 4 u32 words each, most significant first. */
  private words: Uint32Array = new Uint32Array(0);
  private dirty = false;

  static fromRanges(ranges: readonly Range6[]): RangeList6 {
    const l = new RangeList6();
    for (const r of ranges) l.add(r.begin, r.end);
    l.merge();
    return l;
  }

  /** Appends [begin, end] (128-bit, inclusive). end < begin adds nothing. */
  add(begin: bigint, end: bigint): void {
    if (end < begin) return;
    this.b.push(begin);
    this.e.push(end);
    this.dirty = true;
  }

  merge(): void {
    if (!this.dirty) return;
    const n = this.b.length;
    const idx: number[] = new Array<number>(n);
    for (let i = 0; i < n; i++) idx[i] = i;
    const b0 = this.b;
    const e0 = this.e;
    idx.sort((x, y) => (b0[x] < b0[y] ? -1 : b0[x] > b0[y] ? 1 : 0));
    const b: bigint[] = [];
    const e: bigint[] = [];
    if (n > 0) {
      let cb = b0[idx[0]];
      let ce = e0[idx[0]];
      for (let k = 1; k < n; k++) {
        const i = idx[k];
        if (b0[i] <= ce + 1n) {
          if (e0[i] > ce) ce = e0[i];
        } else {
          b.push(cb);
          e.push(ce);
          cb = b0[i];
          ce = e0[i];
        }
      }
      b.push(cb);
      e.push(ce);
    }
    this.b = b;
    this.e = e;
    this.finish();
  }

  private finish(): void {
    const n = this.b.length;
    const pb: bigint[] = new Array<bigint>(n + 1);
    const pf = new Float64Array(n + 1);
    const w = new Uint32Array(4 * n);
    let acc = 0n;
    for (let i = 0; i < n; i++) {
      pb[i] = acc;
      pf[i] = Number(acc);
      const v = this.b[i];
      ipv6ToWords(v, w, 4 * i);
      acc += this.e[i] - v + 1n;
    }
    pb[n] = acc;
    pf[n] = Number(acc);
    this.prefixBig = pb;
    this.prefix = pf;
    this.words = w;
    this.dirty = false;
  }

  /** Number of addresses (up to 2^128). */
  count(): bigint {
    if (this.dirty) this.merge();
    return this.prefixBig[this.b.length];
  }

  rangeCount(): number {
    if (this.dirty) this.merge();
    return this.b.length;
  }

  isEmpty(): boolean {
    return this.count() === 0n;
  }

  /** The k-th address in ascending order, 0n <= k < count(). Planner side (BigInt). */
  pickBig(k: bigint): bigint {
    if (this.dirty) this.merge();
    const p = this.prefixBig;
    let lo = 0;
    let hi = this.b.length; // last i with p[i] <= k
    while (hi - lo > 1) {
      const mid = (lo + hi) >>> 1;
      if (p[mid] <= k) lo = mid;
      else hi = mid;
    }
    return this.b[lo] + (k - p[lo]);
  }

  /**
   * Hot path: writes the k-th address as 4 u32 words (most significant first) into out[0..3].
   * Requires count() < 2^53 and 0 <= k < count() (the plan guarantees both). No BigInt, no
   * allocation; the 128-bit add is done in 32-bit limbs with branch-free carries.
   */
  pickWords(k: number, out: Uint32Array): void {
    if (this.dirty) this.merge();
    const i = searchPrefix(this.prefix, this.b.length, k);
    const off = k - this.prefix[i];
    const offHi = Math.floor(off / TWO32);
    const offLo = off - offHi * TWO32;
    const w = this.words;
    const o = 4 * i;
    let s = w[o + 3] + offLo;
    let c = Math.floor(s / TWO32);
    out[3] = s; // Uint32Array stores reduce modulo 2^32
    s = w[o + 2] + offHi + c;
    c = Math.floor(s / TWO32);
    out[2] = s;
    s = w[o + 1] + c;
    c = Math.floor(s / TWO32);
    out[1] = s;
    out[0] = w[o] + c;
  }

  contains(ip: bigint): boolean {
    if (this.dirty) this.merge();
    const b = this.b;
    let lo = 0;
    let hi = b.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (b[mid] <= ip) lo = mid + 1;
      else hi = mid;
    }
    return lo > 0 && ip <= this.e[lo - 1];
  }

  exclude(other: RangeList6): RangeList6 {
    this.merge();
    other.merge();
    const out = new RangeList6();
    const ob = other.b;
    const oe = other.e;
    const m = ob.length;
    let j = 0;
    for (let i = 0; i < this.b.length; i++) {
      const e = this.e[i];
      let cur = this.b[i];
      while (j < m && oe[j] < cur) j++;
      while (j < m && ob[j] <= e) {
        if (ob[j] > cur) {
          out.b.push(cur);
          out.e.push(ob[j] - 1n);
        }
        if (oe[j] >= e) {
          cur = e + 1n;
          break;
        }
        cur = oe[j] + 1n;
        j++;
      }
      if (cur <= e) {
        out.b.push(cur);
        out.e.push(e);
      }
    }
    out.finish();
    return out;
  }

  ranges(): Range6[] {
    if (this.dirty) this.merge();
    const out: Range6[] = new Array<Range6>(this.b.length);
    for (let i = 0; i < this.b.length; i++) out[i] = { begin: this.b[i], end: this.e[i] };
    return out;
  }
}
