import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConnTable, Flag, fold6, tupleHash4 } from '../../src/stack/table.js';

test('table: slots come out low first, go back to the free list, and run out', () => {
  const t = new ConnTable(3);
  assert.deepEqual([t.take(), t.take(), t.take(), t.take()], [0, 1, 2, -1]);
  t.release(1);
  assert.equal(t.take(), 1);
});

test('table: hash index finds, tells colliding tuples apart, and forgets on unhash', () => {
  const t = new ConnTable(4);
  const put = (ip: number, port: number) => {
    const c = t.take();
    t.flags[c] = 0;
    t.theirIp[c] = ip;
    t.theirPort[c] = 80;
    t.ourIp[c] = 1;
    t.ourPort[c] = port;
    t.hash4(c);
    return c;
  };
  // Four slots, four buckets: find tuples that share one.
  const b = t.bucketOf4(0x0a000001, 80, 1, 1000);
  const ports = [];
  for (let p = 1000; ports.length < 4; p++) if (t.bucketOf4(0x0a000001, 80, 1, p) === b) ports.push(p);
  const ids = ports.map((p) => put(0x0a000001, p));
  ports.forEach((p, i) => assert.equal(t.find4(0x0a000001, 80, 1, p), ids[i]));
  t.unhash(ids[1]);
  assert.equal(t.find4(0x0a000001, 80, 1, ports[1]), -1);
  assert.equal(t.find4(0x0a000001, 80, 1, ports[2]), ids[2]);
  assert.equal(t.find4(0x0a000001, 80, 1, 9), -1);
  // A signed address finds the same connection as its unsigned form.
  const c = t.take();
  t.theirIp[c] = 0xc0000201;
  t.theirPort[c] = 80;
  t.ourIp[c] = 1;
  t.ourPort[c] = 5;
  t.flags[c] = 0;
  t.hash4(c);
  assert.equal(t.find4(0xc0000201 | 0, 80, 1, 5), c);
  assert.equal(t.find4(0xc0000201, 80, 1, 5), c);
});

test('table: IPv6 tuples are compared on all words, not on the fold', () => {
  const t = new ConnTable(2);
  const a = Uint32Array.of(1, 2, 3, 4);
  const us = Uint32Array.of(9, 9, 9, 9);
  const c = t.take();
  t.flags[c] = Flag.V6;
  t.set6(c, a, us);
  t.theirPort[c] = 443;
  t.ourPort[c] = 4000;
  t.hash6(c);
  assert.equal(t.find6(a, 443, us, 4000), c);
  // Another address with the same fold: w3 is mixed by an odd multiplier, a bijection, so
  // solve for the w3 that gives b the fold of a.
  const K = 0x85ebca6b;
  let inv = K;
  for (let i = 0; i < 5; i++) inv = Math.imul(inv, 2 - Math.imul(K, inv));
  const b = Uint32Array.of(a[0] ^ 1, a[1], a[2], 0);
  const rest = fold6(b); // with w3 = 0
  b[3] = Math.imul((fold6(a) ^ rest) >>> 0, inv) >>> 0;
  assert.equal(fold6(b), fold6(a));
  assert.equal(t.find6(b, 443, us, 4000), -1);
  assert.equal(t.find4(fold6(a), 443, fold6(us), 4000), -1, 'an IPv4 lookup never returns an IPv6 connection');
  assert.ok(tupleHash4(1, 2, 3, 4) !== tupleHash4(1, 2, 3, 5));
});
