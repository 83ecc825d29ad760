import { test } from 'node:test';
import assert from 'node:assert/strict';
import { gcsDuring } from '../engine/gc-count.js';
import fc from 'fast-check';
import { TcpTemplate4, TcpTemplate6 } from '../../src/probes/tcp-syn.js';
import { ProbeSet4, ProbeSet6 } from '../../src/probes/probe-set.js';
import { CookieKey, cookie4, cookie6 } from '../../src/crypto/cookie.js';
import { UdpPayloadTable } from '../../src/probes/udp-payloads.js';
import { isScanError } from '../../src/error.js';
import { Target } from '../../src/target/picker.js';
import { ip6Bytes, expectTcp4, expectTcp6, expectUdp4, expectUdp6, expectEcho4, expectEcho6, expectTimestamp4, expectTimestamp6, expectOproto4, expectOproto6, expectSctp4, expectSctp6, expectArp, same, u32, u16, link, ttl, addr6, RUNS, udpPort, assertFillAllocatesNothing } from './frames.js';

test('ProbeSet4/6: mixed kinds in the same slots, cookies per §6.1, equal the repr-built frames', () => {
  const portGen = fc.oneof(
    u16, // tcp
    udpPort.map((p) => 65536 + p),
    u16.map((p) => 131072 + p),
    fc.constant(196608), // icmp echo
    fc.constant(196610), // arp
    fc.constant(196609), // icmp timestamp
    fc.oneof(fc.constant(196864 + 47), fc.integer({ min: 196864, max: 196864 + 255 })), // other protocols
    fc.integer({ min: 196611, max: 196863 }), // I:3..I:255: no probe
  );
  fc.assert(fc.property(link, ttl, fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }), fc.array(fc.tuple(fc.integer({ min: 0, max: 3 }), u32, u32, portGen, u16), { minLength: 1, maxLength: 12 }),
    (l, t, seed, probes) => {
      const key = new CookieKey(seed);
      const table = new UdpPayloadTable();
      const set = new ProbeSet4({ ...l, srcIp: 0x0afa0001, ttl: t }, key, 4);
      const buf = new Uint8Array(4 * 2048).fill(0x5a);
      for (const [slot, src, dst, port, sport] of probes) {
        const off = slot * 2048;
        // Alternate the two entry points: numeric arguments, and Target + source object.
        let len: number;
        if ((port & 1) === 0) len = set.fill(buf, off, slot, src, dst, port, sport);
        else {
          const tg = new Target(); tg.version = 4; tg.ip4 = dst; tg.port = port;
          len = set.fillTarget(buf, off, slot, tg, { ip: src, port: sport });
        }
        let want: Uint8Array | null;
        if (port < 65536) want = expectTcp4(l, t, {}, src, dst, port, sport, cookie4(key, dst, port, src, sport));
        else if (port < 131072) want = expectUdp4(l, t, table, src, dst, port - 65536, sport, cookie4(key, dst, port, src, sport));
        else if (port < 196608) want = expectSctp4(l, t, src, dst, port - 131072, sport, cookie4(key, dst, port, src, sport));
        else if (port === 196608) want = expectEcho4(l, t, src, dst, cookie4(key, dst, 196608, src, 0));
        else if (port === 196609) want = expectTimestamp4(l, t, src, dst, cookie4(key, dst, 196609, src, 0));
        else if (port >= 196864) want = expectOproto4(l, t, src, dst, port - 196864, cookie4(key, dst, port, src, 0));
        else if (port === 196610 && l.raw !== true) want = expectArp(l, src, dst);
        else want = null;
        if (want === null) assert.equal(len, 0);
        else same(buf, off, len, want, `probeset4 port ${port}`);
        assert.ok(len <= set.maxFrameLen);
      }
    }), RUNS);
  fc.assert(fc.property(link, ttl, fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }), addr6, fc.array(fc.tuple(fc.integer({ min: 0, max: 3 }), addr6, portGen, u16), { minLength: 1, maxLength: 12 }),
    (l, t, seed, src, probes) => {
      const key = new CookieKey(seed);
      const table = new UdpPayloadTable();
      const srcB = ip6Bytes(src);
      const set = new ProbeSet6({ ...l, srcIp: srcB, hopLimit: t }, key, 4);
      const buf = new Uint8Array(4 * 2048).fill(0x5a);
      for (const [slot, dst, port, sport] of probes) {
        const off = slot * 2048;
        let len: number;
        if ((port & 1) === 0) len = set.fill(buf, off, slot, dst, 0, port, sport);
        else {
          const tg = new Target(); tg.version = 6; tg.ip6.set(dst); tg.port = port;
          len = set.fillTarget(buf, off, slot, tg, { ip: 0, port: sport });
        }
        const d = ip6Bytes(dst);
        let want: Uint8Array | null;
        if (port < 65536) want = expectTcp6(l, t, {}, srcB, d, port, sport, cookie6(key, dst, 0, src, 0, port, sport));
        else if (port < 131072) want = expectUdp6(l, t, table, srcB, d, port - 65536, sport, cookie6(key, dst, 0, src, 0, port, sport));
        else if (port < 196608) want = expectSctp6(l, t, srcB, d, port - 131072, sport, cookie6(key, dst, 0, src, 0, port, sport));
        else if (port === 196608) want = expectEcho6(l, t, srcB, d, cookie6(key, dst, 0, src, 0, 196608, 0));
        else if (port === 196609) want = expectTimestamp6(l, t, srcB, d, cookie6(key, dst, 0, src, 0, 196609, 0));
        else if (port >= 196864) want = expectOproto6(l, t, srcB, d, port - 196864, cookie6(key, dst, 0, src, 0, port, 0));
        else want = null;
        if (want === null) assert.equal(len, 0);
        else same(buf, off, len, want, `probeset6 port ${port}`);
      }
    }), RUNS);
});

test('bad template options are refused with ScanError', () => {
  const ok = { srcMac: new Uint8Array(6), dstMac: new Uint8Array(6), srcIp: 1 };
  assert.throws(() => new TcpTemplate4({ ...ok, ttl: 256 }), isScanError);
  assert.throws(() => new TcpTemplate4({ ...ok, vlan: 4096 }), isScanError);
  assert.throws(() => new TcpTemplate4({ ...ok, srcMac: new Uint8Array(5) }), isScanError);
  assert.throws(() => new TcpTemplate6({ ...ok, srcIp: new Uint8Array(4) }), isScanError);
  // Raw links need no MACs.
  assert.equal(new TcpTemplate4({ srcMac: new Uint8Array(0), dstMac: new Uint8Array(0), srcIp: 1, raw: true }).frameLen, 44);
});

test('ProbeSet4.fillTarget allocates nothing (no GC over 2e6 probes once optimised)', async () => {
  const set = new ProbeSet4({ srcMac: new Uint8Array(6), dstMac: new Uint8Array(6), srcIp: 0xc0000232 }, new CookieKey(9n), 1024);
  await assertFillAllocatesNothing(set, 64, (i) => i & 1023);
});

test('ProbeSet4/6.fillTarget for timestamp and O: probes allocates nothing (no GC over 2e6 probes once optimised)', async () => {
  const key = new CookieKey(9n);
  const set4 = new ProbeSet4({ srcMac: new Uint8Array(6), dstMac: new Uint8Array(6), srcIp: 0xc0000232 }, key, 1024);
  const set6 = new ProbeSet6({ srcMac: new Uint8Array(6), dstMac: new Uint8Array(6), srcIp: new Uint8Array(16).fill(1) }, key, 1024);
  const buf = new Uint8Array(1024 * 128);
  const t4 = new Target();
  t4.version = 4;
  const t6 = new Target();
  t6.version = 6;
  t6.ip6.set([0x20010db8, 0, 0, 0]);
  const src = { ip: 0xc0000232, port: 40000 };
  let acc = 0;
  const run = (n: number): void => {
    for (let i = 0; i < n; i++) {
      const port = (i & 7) === 0 ? 196609 : 196864 + (i & 255);
      t4.ip4 = (0xc6120000 + (i & 0x1ffff)) >>> 0;
      t4.port = port;
      acc = (acc + set4.fillTarget(buf, (i & 1023) * 128, i & 1023, t4, src)) | 0;
      t6.ip6[3] = i;
      t6.port = port;
      acc = (acc + set6.fillTarget(buf, (i & 1023) * 128, i & 1023, t6, src)) | 0;
    }
  };
  const gcs = await gcsDuring(run, 300_000, 1_000_000);
  assert.ok(gcs <= 3, `${gcs} garbage collections (acc ${acc})`);
});

test('template patch speed (informative)', () => {
  const t = new TcpTemplate4({ srcMac: new Uint8Array(6), dstMac: new Uint8Array(6), srcIp: 0x0afa0001 });
  const buf = new Uint8Array(1024 * 64);
  for (let k = 0; k < 1024; k++) t.writeBase(buf, k * 64);
  let acc = 0;
  const n = 4_000_000;
  for (let i = 0; i < 200_000; i++) acc += t.patch(buf, (i & 1023) * 64, 0x0afa0001, 0xc6120000 + i, 80, 40000, i * 7);
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < n; i++) acc += t.patch(buf, (i & 1023) * 64, 0x0afa0001, 0xc6120000 + (i & 0x1ffff), 80, 40000, Math.imul(i, 0x9e3779b1) >>> 0);
  const ns = Number(process.hrtime.bigint() - t0) / n;
  console.log(`# TcpTemplate4.patch: ${ns.toFixed(1)} ns/probe (${acc})`);
  assert.ok(ns < 5000);
});
