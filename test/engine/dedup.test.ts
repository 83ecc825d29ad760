import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { DedupTable, WAYS } from '../../src/engine/dedup.js';

/** Reference: per bucket, an array of key strings, most recent first, at most WAYS long. */
class RefLru {
  private readonly buckets = new Map<number, string[]>();
  seen(bucket: number, key: string): boolean {
    const list = this.buckets.get(bucket) ?? [];
    const at = list.indexOf(key);
    if (at >= 0) list.splice(at, 1);
    list.unshift(key);
    if (list.length > WAYS) list.pop();
    this.buckets.set(bucket, list);
    return at >= 0;
  }
}

test('first sighting is new, second is a duplicate; any field change is new', () => {
  const d = new DedupTable();
  assert.equal(d.seen4(0x0a000001, 80, 0xc0000232, 40000), false);
  assert.equal(d.seen4(0x0a000001, 80, 0xc0000232, 40000), true);
  assert.equal(d.seen4(0x0a000002, 80, 0xc0000232, 40000), false);
  assert.equal(d.seen4(0x0a000001, 81, 0xc0000232, 40000), false);
  assert.equal(d.seen4(0x0a000001, 80, 0xc0000233, 40000), false);
  assert.equal(d.seen4(0x0a000001, 80, 0xc0000232, 40016), false);
  assert.equal(d.seen4(0xffffffff, 196608 + 0, 0xffffffff, 65535), false);
  assert.equal(d.seen4(0xffffffff, 196608 + 0, 0xffffffff, 65535), true);
  assert.equal(d.hits, 2);
  d.clear();
  assert.equal(d.seen4(0x0a000001, 80, 0xc0000232, 40000), false);
});

test('LRU per bucket: the least recently seen of 5 colliding keys is the one evicted', () => {
  const d = new DedupTable(16);
  // Find 5 keys in one bucket.
  const target = d.bucket4(1, 80, 2, 3);
  const keys: number[] = [1];
  for (let ip = 2; keys.length < 5 && ip < 50_000_000; ip++) if (d.bucket4(ip, 80, 2, 3) === target) keys.push(ip);
  assert.equal(keys.length, 5);
  const [a, b, c, e, f] = keys as [number, number, number, number, number];
  for (const k of [a, b, c, e]) assert.equal(d.seen4(k, 80, 2, 3), false);
  assert.equal(d.seen4(a, 80, 2, 3), true); // a refreshed: order a e c b
  assert.equal(d.seen4(f, 80, 2, 3), false); // evicts b (oldest), not a (masscan would drop a)
  assert.equal(d.seen4(a, 80, 2, 3), true);
  assert.equal(d.seen4(c, 80, 2, 3), true);
  assert.equal(d.seen4(e, 80, 2, 3), true);
  assert.equal(d.seen4(f, 80, 2, 3), true);
  assert.equal(d.seen4(b, 80, 2, 3), false);
});

test('seen4 equals a reference LRU model on random sequences (small table, many collisions)', () => {
  fc.assert(fc.property(
    fc.array(fc.tuple(fc.integer({ min: 0, max: 40 }), fc.integer({ min: 0, max: 3 }), fc.integer({ min: 0, max: 1 }), fc.integer({ min: 0, max: 2 })), { maxLength: 400 }),
    (ops) => {
      const d = new DedupTable(2);
      const ref = new RefLru();
      for (const [ip, port, me, pm] of ops) {
        const ipT = (0xc6120000 + ip) >>> 0, pT = [80, 443, 65536 + 53, 196608][port]!, ipM = 0x0afa0001 + me, pM = 40000 + 16 * pm;
        const want = ref.seen(d.bucket4(ipT, pT, ipM, pM), `${ipT},${pT},${ipM},${pM}`);
        assert.equal(d.seen4(ipT, pT, ipM, pM), want);
      }
    }), { numRuns: 300 });
});

test('seen6 equals a reference LRU model; IPv4 and IPv6 tables are separate', () => {
  const words = fc.integer({ min: 0, max: 3 }).map((x) => [0x20010db8, 0, x >>> 1, 0xffff0000 + (x & 1)]);
  fc.assert(fc.property(
    fc.array(fc.tuple(words, fc.integer({ min: 0, max: 3 }), fc.integer({ min: 0, max: 1 }), fc.integer({ min: 0, max: 1 })), { maxLength: 300 }),
    (ops) => {
      const d = new DedupTable(2);
      const ref = new RefLru();
      const them = new Uint32Array(5), me = new Uint32Array(4);
      for (const [w, port, meLow, pm] of ops) {
        them.set(w, 1);
        me.set([0xfd000000, 0, 0, 1 + meLow]);
        const pT = 80 + port, pM = 40000 + pm;
        const want = ref.seen(d.bucket6(them, 1, pT, me, 0, pM), `${w.join(':')},${pT},${meLow},${pM}`);
        assert.equal(d.seen6(them, 1, pT, me, 0, pM), want);
      }
      assert.equal(d.seen4(0x20010db8, 80, 0xfd000000, 40000), false);
    }), { numRuns: 300 });
});

test('65536 x 4 default table remembers a full /16 of replies', () => {
  const d = new DedupTable();
  let dups = 0;
  for (let i = 0; i < 65536; i++) if (d.seen4(0xc6120000 + i, 80, 0x0afa0001, 40000)) dups++;
  assert.equal(dups, 0);
  let again = 0;
  for (let i = 0; i < 65536; i++) if (d.seen4(0xc6120000 + i, 80, 0x0afa0001, 40000)) again++;
  // 64K keys over 64K buckets is Poisson(1) per bucket; a bucket with k > 4 keys replayed in
  // the same order misses all k (LRU), so an ideal hash remembers 1 - P(K >= 4) = 98.1%.
  assert.ok(again > 65536 * 0.975, `remembered ${again}`);
});
