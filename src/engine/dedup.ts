/**
 * The reply deduplication table of a receive worker (reference masscan-compat.md §7): a
 * target that answers a probe twice (SYN-ACK retransmits, retries) is reported once.
 *
 * Layout: 2^bucketBits buckets (default 65536) of WAYS = 4 entries each, in flat typed arrays
 * allocated once; no allocation per call. Each bucket is kept in recency order, entry 0 the
 * most recently seen:
 *  - hit: the entry moves to the front (the ones before it slide back one place); report dup;
 *  - miss: entries 0..2 slide back, the last (the least recently seen) falls out, the new key
 *    goes in front.
 * So a bucket always holds its 4 most recently seen distinct keys (true LRU per bucket).
 * NOTE: masscan's shift drops the previous first entry instead of the oldest (§7); this one
 * does not.
 *
 * Keys are stored in full and compared in full, so a "duplicate" is never a hash collision:
 *  - IPv4: (ip_them, port_them, ip_me, port_me), four u32;
 *  - IPv6: the two addresses (4 words each) and the two ports, ten u32. The bucket comes from
 *    an FNV-1a-style hash of the words. The IPv6 table is allocated on first use (a scan
 *    without IPv6 does not pay its 10 MiB).
 * Ports are masscan's internal ports (TCP p, UDP 65536+p, ...) or plain ones: the caller
 * chooses, consistently. ICMP/ARP replies use port 0 and so dedupe by address.
 */

export const WAYS = 4;
const W4 = 4; // u32 words per IPv4 entry
const W6 = 10; // u32 words per IPv6 entry

export class DedupTable {
  readonly bucketBits: number;
  private readonly mask: number;
  private readonly keys4: Uint32Array;
  private readonly used4: Uint8Array; // entries in use per bucket, 0..WAYS
  private keys6: Uint32Array;
  private used6: Uint8Array;
  /** Counters, for --stats and tests. */
  hits = 0;
  misses = 0;

  constructor(bucketBits = 16) {
    if (!(bucketBits >= 1 && bucketBits <= 24) || (bucketBits | 0) !== bucketBits) {
      throw new RangeError(`dedup bucketBits ${bucketBits}: expected an integer 1..24`);
    }
    this.bucketBits = bucketBits;
    this.mask = (1 << bucketBits) - 1;
    this.keys4 = new Uint32Array((1 << bucketBits) * WAYS * W4);
    this.used4 = new Uint8Array(1 << bucketBits);
    this.keys6 = new Uint32Array(0);
    this.used6 = new Uint8Array(0);
  }

  /** Forget everything (a new scan pass). */
  clear(): void {
    this.used4.fill(0);
    this.used6.fill(0);
    this.hits = 0;
    this.misses = 0;
  }

  /**
   * IPv4: true if (ipThem, portThem, ipMe, portMe) was seen recently (and refreshes it);
   * false if not, in which case it is now recorded.
   */
  seen4(ipThem: number, portThem: number, ipMe: number, portMe: number): boolean {
    ipThem >>>= 0; portThem >>>= 0; ipMe >>>= 0; portMe >>>= 0;
    const h = hash4(ipThem, portThem, ipMe, portMe) & this.mask;
    const k = this.keys4;
    const base = h * (WAYS * W4);
    const used = this.used4[h];
    for (let e = 0; e < used; e++) {
      const o = base + e * W4;
      if (k[o] === ipThem && k[o + 1] === portThem && k[o + 2] === ipMe && k[o + 3] === portMe) {
        // Hit: move entry e to the front.
        if (e > 0) {
          k.copyWithin(base + W4, base, o);
          k[base] = ipThem; k[base + 1] = portThem; k[base + 2] = ipMe; k[base + 3] = portMe;
        }
        this.hits++;
        return true;
      }
    }
    // Miss: slide 0..used-1 back by one (the oldest falls out when full), insert in front.
    const keep = used < WAYS ? used : WAYS - 1;
    if (keep > 0) k.copyWithin(base + W4, base, base + keep * W4);
    k[base] = ipThem; k[base + 1] = portThem; k[base + 2] = ipMe; k[base + 3] = portMe;
    this.used4[h] = keep + 1;
    this.misses++;
    return false;
  }

  /**
   * IPv6: `them[themOff..+3]`, `me[meOff..+3]` are addresses as four u32 words (most
   * significant first). Same contract as seen4.
   */
  seen6(them: Uint32Array, themOff: number, portThem: number, me: Uint32Array, meOff: number, portMe: number): boolean {
    if (this.keys6.length === 0) {
      // One allocation for the life of the table, on the first IPv6 reply.
      this.keys6 = new Uint32Array((1 << this.bucketBits) * WAYS * W6);
      this.used6 = new Uint8Array(1 << this.bucketBits);
    }
    const t0 = them[themOff] >>> 0, t1 = them[themOff + 1] >>> 0, t2 = them[themOff + 2] >>> 0, t3 = them[themOff + 3] >>> 0;
    const m0 = me[meOff] >>> 0, m1 = me[meOff + 1] >>> 0, m2 = me[meOff + 2] >>> 0, m3 = me[meOff + 3] >>> 0;
    portThem >>>= 0; portMe >>>= 0;
    const h = hash6(t0, t1, t2, t3, portThem, m0, m1, m2, m3, portMe) & this.mask;
    const k = this.keys6;
    const base = h * (WAYS * W6);
    const used = this.used6[h];
    for (let e = 0; e < used; e++) {
      const o = base + e * W6;
      if (k[o] === t0 && k[o + 1] === t1 && k[o + 2] === t2 && k[o + 3] === t3 && k[o + 4] === portThem &&
          k[o + 5] === m0 && k[o + 6] === m1 && k[o + 7] === m2 && k[o + 8] === m3 && k[o + 9] === portMe) {
        if (e > 0) {
          k.copyWithin(base + W6, base, o);
          this.put6(base, t0, t1, t2, t3, portThem, m0, m1, m2, m3, portMe);
        }
        this.hits++;
        return true;
      }
    }
    const keep = used < WAYS ? used : WAYS - 1;
    if (keep > 0) k.copyWithin(base + W6, base, base + keep * W6);
    this.put6(base, t0, t1, t2, t3, portThem, m0, m1, m2, m3, portMe);
    this.used6[h] = keep + 1;
    this.misses++;
    return false;
  }

  private put6(o: number, t0: number, t1: number, t2: number, t3: number, pt: number,
    m0: number, m1: number, m2: number, m3: number, pm: number): void {
    const k = this.keys6;
    k[o] = t0; k[o + 1] = t1; k[o + 2] = t2; k[o + 3] = t3; k[o + 4] = pt;
    k[o + 5] = m0; k[o + 6] = m1; k[o + 7] = m2; k[o + 8] = m3; k[o + 9] = pm;
  }

  /** The bucket seen4 uses for a key (for tests that need keys sharing a bucket). */
  bucket4(ipThem: number, portThem: number, ipMe: number, portMe: number): number {
    return hash4(ipThem >>> 0, portThem >>> 0, ipMe >>> 0, portMe >>> 0) & this.mask;
  }

  /** The bucket seen6 uses for a key. */
  bucket6(them: Uint32Array, themOff: number, portThem: number, me: Uint32Array, meOff: number, portMe: number): number {
    return hash6(them[themOff] >>> 0, them[themOff + 1] >>> 0, them[themOff + 2] >>> 0, them[themOff + 3] >>> 0, portThem >>> 0,
      me[meOff] >>> 0, me[meOff + 1] >>> 0, me[meOff + 2] >>> 0, me[meOff + 3] >>> 0, portMe >>> 0) & this.mask;
  }
}

/** A multiplicative mix of the IPv4 key (not masscan's bucket formula: that one clusters). */
function hash4(ipThem: number, portThem: number, ipMe: number, portMe: number): number {
  let h = Math.imul(ipThem ^ Math.imul(portThem, 0x9e3779b1), 0x85ebca6b);
  h ^= Math.imul(ipMe ^ Math.imul(portMe, 0x27d4eb2f), 0xc2b2ae35);
  h = Math.imul(h ^ (h >>> 15), 0x2c1b3c6d);
  return h ^ (h >>> 16);
}

/** FNV-1a over the ten words of the IPv6 key (word at a time), then a final avalanche. */
function hash6(t0: number, t1: number, t2: number, t3: number, pt: number,
  m0: number, m1: number, m2: number, m3: number, pm: number): number {
  let h = 0x811c9dc5 | 0;
  h = Math.imul(h ^ t0, 0x01000193); h = Math.imul(h ^ t1, 0x01000193);
  h = Math.imul(h ^ t2, 0x01000193); h = Math.imul(h ^ t3, 0x01000193);
  h = Math.imul(h ^ pt, 0x01000193);
  h = Math.imul(h ^ m0, 0x01000193); h = Math.imul(h ^ m1, 0x01000193);
  h = Math.imul(h ^ m2, 0x01000193); h = Math.imul(h ^ m3, 0x01000193);
  h = Math.imul(h ^ pm, 0x01000193);
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  return h ^ (h >>> 13);
}
