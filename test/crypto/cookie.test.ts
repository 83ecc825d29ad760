import { test } from 'node:test';
import assert from 'node:assert/strict';
import { gcsDuring } from '../engine/gc-count.js';
import fc from 'fast-check';
import { SipKey, sip16, sip40 } from '../../src/crypto/siphash.js';
import { CookieKey, cookie4, cookie6, tcpAckMatches4, cookieId16, cookieSnmp, ICMP_ECHO_PORT } from '../../src/crypto/cookie.js';

// --- A slow, obviously-correct BigInt SipHash-2-4 over bytes, the reference. ---
const M64 = (1n << 64n) - 1n;
const rotl = (x: bigint, b: bigint): bigint => ((x << b) | (x >> (64n - b))) & M64;
function refSipHash(key: Uint8Array, msg: Uint8Array): bigint {
  const rd = (b: Uint8Array, o: number): bigint => {
    let v = 0n;
    for (let i = 7; i >= 0; i--) v = (v << 8n) | BigInt(b[o + i]);
    return v;
  };
  const k0 = rd(key, 0), k1 = rd(key, 8);
  let v0 = k0 ^ 0x736f6d6570736575n, v1 = k1 ^ 0x646f72616e646f6dn;
  let v2 = k0 ^ 0x6c7967656e657261n, v3 = k1 ^ 0x7465646279746573n;
  const round = (): void => {
    v0 = (v0 + v1) & M64; v1 = rotl(v1, 13n); v1 ^= v0; v0 = rotl(v0, 32n);
    v2 = (v2 + v3) & M64; v3 = rotl(v3, 16n); v3 ^= v2;
    v0 = (v0 + v3) & M64; v3 = rotl(v3, 21n); v3 ^= v0;
    v2 = (v2 + v1) & M64; v1 = rotl(v1, 17n); v1 ^= v2; v2 = rotl(v2, 32n);
  };
  const full = msg.length - (msg.length % 8);
  for (let i = 0; i < full; i += 8) {
    const m = rd(msg, i);
    v3 ^= m; round(); round(); v0 ^= m;
  }
  let b = BigInt(msg.length & 0xff) << 56n;
  for (let i = 0; i < msg.length % 8; i++) b |= BigInt(msg[full + i]) << BigInt(8 * i);
  v3 ^= b; round(); round(); v0 ^= b;
  v2 ^= 0xffn; round(); round(); round(); round();
  return (v0 ^ v1 ^ v2 ^ v3) & M64;
}

function le32(words: number[]): Uint8Array {
  const out = new Uint8Array(words.length * 4);
  words.forEach((w, i) => { out[4 * i] = w & 0xff; out[4 * i + 1] = (w >>> 8) & 0xff; out[4 * i + 2] = (w >>> 16) & 0xff; out[4 * i + 3] = (w >>> 24) & 0xff; });
  return out;
}
function le64(values: bigint[]): Uint8Array {
  const out = new Uint8Array(values.length * 8);
  values.forEach((v, i) => { for (let j = 0; j < 8; j++) out[8 * i + j] = Number((v >> BigInt(8 * j)) & 0xffn); });
  return out;
}

test('reference SipHash matches the paper vectors (key 00..0f)', () => {
  const key = Uint8Array.from({ length: 16 }, (_, i) => i);
  assert.equal(refSipHash(key, new Uint8Array(0)), 0x726fdb47dd0e0e31n);
  assert.equal(refSipHash(key, Uint8Array.from({ length: 15 }, (_, i) => i)), 0xa129ca6149be45e5n);
});

test('sip16 / sip40 match the paper key on 16- and 40-byte messages', () => {
  const kb = Uint8Array.from({ length: 16 }, (_, i) => i);
  const k = new SipKey(0x0706050403020100n, 0x0f0e0d0c0b0a0908n);
  const m16 = Uint8Array.from({ length: 16 }, (_, i) => i);
  const r16 = refSipHash(kb, m16);
  // Paper test vector for the 16-byte message 00..0f.
  assert.equal(r16, 0x3f2acc7f57c29bdbn);
  sip16(k, 0x03020100, 0x07060504, 0x0b0a0908, 0x0f0e0d0c);
  assert.equal(k.out[0], Number(r16 & 0xffffffffn));
  assert.equal(k.high, Number(r16 >> 32n));
  const w40 = new Uint32Array(10);
  const m40 = Uint8Array.from({ length: 40 }, (_, i) => i);
  for (let i = 0; i < 10; i++) w40[i] = (m40[4 * i]! | (m40[4 * i + 1]! << 8) | (m40[4 * i + 2]! << 16) | (m40[4 * i + 3]! << 24)) >>> 0;
  const r40 = refSipHash(kb, m40);
  sip40(k, w40, 0);
  assert.equal(k.out[0], Number(r40 & 0xffffffffn));
  assert.equal(k.high, Number(r40 >> 32n));
});

test('cookie vectors from masscan-compat §6.1 (seed 1, 10.0.0.1 <- 192.0.2.50:40000)', () => {
  const key = new CookieKey(1n);
  const them = 0x0a000001, me = 0xc0000232;
  const c = cookie4(key, them, 80, me, 40000);
  assert.equal(c, 0x09eedd0d);
  assert.equal(key.high, 0xb310a4b2);
  const dns = cookie4(key, them, 65536 + 53, me, 40000);
  assert.equal(dns, 0xe1c2d35a);
  assert.equal(cookieId16(dns), 0xd35a);
  assert.equal(cookieSnmp(cookie4(key, them, 65536 + 161, me, 40000)), 0x3d7aaaa7);
  assert.equal(cookie4(key, them, 65536 + 161, me, 40000), 0xbd7aaaa7);
  assert.equal(cookie4(key, them, ICMP_ECHO_PORT, me, 0), 0x62f9b9db);
  assert.equal(tcpAckMatches4(key, (0x09eedd0d + 1) >>> 0, them, 80, me, 40000), true);
  assert.equal(tcpAckMatches4(key, 0x09eedd0d, them, 80, me, 40000), false);
  // ack wraps: cookie 0xffffffff -> ack 0
});

test('seed is reduced mod 2^64 and keyed as seed||seed', () => {
  assert.equal(new CookieKey(-1n).seed, M64);
  assert.equal(new CookieKey((1n << 64n) + 1n).seed, 1n);
  const k = new CookieKey(0x0123456789abcdefn);
  const kb = SipKey.bytesOf(0x0123456789abcdefn, 0x0123456789abcdefn);
  const r = refSipHash(kb, le32([1, 2, 3, 4]));
  assert.equal(cookie4(k, 1, 2, 3, 4), Number(r & 0xffffffffn));
});

const u32 = fc.integer({ min: 0, max: 0xffffffff });
const u64 = fc.bigInt({ min: 0n, max: M64 });

test('cookie4 equals the BigInt reference on random inputs', () => {
  fc.assert(fc.property(u64, u32, fc.integer({ min: 0, max: 196608 }), u32, fc.integer({ min: 0, max: 65535 }), (seed, ipT, pT, ipM, pM) => {
    const key = new CookieKey(seed);
    const ref = refSipHash(SipKey.bytesOf(seed, seed), le32([ipT, pT, ipM, pM]));
    assert.equal(cookie4(key, ipT, pT, ipM, pM), Number(ref & 0xffffffffn));
    assert.equal(key.high, Number(ref >> 32n));
  }), { numRuns: 2000 });
});

test('cookie6 equals the BigInt reference (40-byte §6.1 layout) on random inputs', () => {
  const addr = fc.tuple(u32, u32, u32, u32);
  fc.assert(fc.property(u64, addr, addr, fc.integer({ min: 0, max: 196608 }), fc.integer({ min: 0, max: 65535 }), (seed, t, m, pT, pM) => {
    const key = new CookieKey(seed);
    const big = (w: number[]): bigint => w.reduce((a, x) => (a << 32n) | BigInt(x), 0n);
    const themBig = big(t), meBig = big(m);
    const msg = le64([themBig >> 64n, themBig & M64, meBig >> 64n, meBig & M64, BigInt(((pT << 16) | pM) >>> 0)]);
    const ref = refSipHash(SipKey.bytesOf(seed, seed), msg);
    const ta = new Uint32Array([7, ...t]), ma = new Uint32Array([...m, 9]);
    assert.equal(cookie6(key, ta, 1, ma, 0, pT, pM), Number(ref & 0xffffffffn));
    assert.equal(key.high, Number(ref >> 32n));
  }), { numRuns: 1000 });
});

test('cookie4 allocates nothing (no GC over 2e6 cookies once optimised)', async () => {
  const key = new CookieKey(0xfeedn);
  let acc = 0;
  const run = (n: number): void => { for (let i = 0; i < n; i++) acc = (acc + cookie4(key, 0xc6120000 + i, 80, 0xc0000232, 40000)) | 0; };
  const gcs = await gcsDuring(run, 300_000, 2_000_000);
  // One 16-byte HeapNumber per call would mean dozens of scavenges here; allow a stray one or two
  // from earlier tests' garbage.
  assert.ok(gcs <= 3, `${gcs} garbage collections (acc ${acc})`);
});

test('cookie4 speed (informative; asserts only a loose bound)', () => {
  const key = new CookieKey(0x1234n);
  let acc = 0;
  for (let i = 0; i < 200_000; i++) acc ^= cookie4(key, i, 80, 0xc0000232, 40000);
  const n = 2_000_000;
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < n; i++) acc ^= cookie4(key, i, 80, 0xc0000232, 40000);
  const ns = Number(process.hrtime.bigint() - t0) / n;
  console.log(`# cookie4: ${ns.toFixed(1)} ns/cookie (acc ${acc})`);
  assert.ok(ns < 2000);
});
