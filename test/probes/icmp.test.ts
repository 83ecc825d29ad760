import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { EchoTemplate4, EchoTemplate6 } from '../../src/probes/icmp.js';
import { ProbeSet4, ProbeSet6 } from '../../src/probes/probe-set.js';
import { CookieKey, cookie4, cookie6 } from '../../src/crypto/cookie.js';
import { ip6Bytes, expectEcho4, expectEcho6, expectTimestamp4, expectTimestamp6, same, u32, link, ttl, addr6, slotOff, RUNS, garbageSlot, me6Words } from './frames.js';

test('EchoTemplate4/6 (ICMP echo, id:seq = cookie) equal the repr-built frames', () => {
  fc.assert(fc.property(link, ttl, u32, fc.array(fc.tuple(u32, u32, u32), { minLength: 1, maxLength: 3 }), slotOff,
    (l, t, base, probes, off) => {
      const tpl = new EchoTemplate4({ ...l, srcIp: base, ttl: t });
      const slot = garbageSlot();
      tpl.writeBase(slot, off);
      for (const [src, dst, cookie] of probes) {
        const len = tpl.patch(slot, off, src, dst, cookie);
        same(slot, off, len, expectEcho4(l, t, src, dst, cookie), 'icmp4');
      }
    }), RUNS);
  fc.assert(fc.property(link, ttl, addr6, fc.array(fc.tuple(addr6, u32), { minLength: 1, maxLength: 3 }), slotOff,
    (l, t, src, probes, off) => {
      const srcB = ip6Bytes(src);
      const tpl = new EchoTemplate6({ ...l, srcIp: srcB, hopLimit: t });
      const slot = garbageSlot();
      tpl.writeBase(slot, off);
      for (const [dst, cookie] of probes) {
        const len = tpl.patch(slot, off, dst, 0, cookie);
        same(slot, off, len, expectEcho6(l, t, srcB, ip6Bytes(dst), cookie), 'icmp6');
      }
    }), RUNS);
});

test('EchoTemplate4/6 timestamp query (ICMP type 13, id:seq = cookie) equal the repr-built frames', () => {
  fc.assert(fc.property(link, ttl, u32, fc.array(fc.tuple(u32, u32, u32), { minLength: 1, maxLength: 3 }), slotOff,
    (l, t, base, probes, off) => {
      const tpl = new EchoTemplate4({ ...l, srcIp: base, ttl: t }, 'timestamp');
      const slot = garbageSlot();
      tpl.writeBase(slot, off);
      for (const [src, dst, cookie] of probes) {
        const len = tpl.patch(slot, off, src, dst, cookie);
        same(slot, off, len, expectTimestamp4(l, t, src, dst, cookie), 'timestamp4');
        assert.equal(len, l.raw === true ? 40 : 60);
      }
    }), RUNS);
  fc.assert(fc.property(link, ttl, addr6, fc.array(fc.tuple(addr6, u32), { minLength: 1, maxLength: 3 }), slotOff,
    (l, t, src, probes, off) => {
      const srcB = ip6Bytes(src);
      const tpl = new EchoTemplate6({ ...l, srcIp: srcB, hopLimit: t }, 'timestamp');
      const slot = garbageSlot();
      tpl.writeBase(slot, off);
      for (const [dst, cookie] of probes) {
        const len = tpl.patch(slot, off, dst, 0, cookie);
        same(slot, off, len, expectTimestamp6(l, t, srcB, ip6Bytes(dst), cookie), 'timestamp6');
      }
    }), RUNS);
});

test('timestamp vectors: the frames masscan 1.3.2 sent in the lab (seed 1, I:1)', () => {
  // Captured with tcpdump in the lab's sink: masscan 1.3.2 --seed 1 -p I:1, from 10.250.0.1 to
  // 198.18.0.5 and from fd00:250::1 to 2001:db8::5 (MACs 02:50:00:00:00:01 -> :02).
  const key = new CookieKey(1n);
  const hex = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s.replace(/\s+/g, ''), 'hex'));
  const us = hex('025000000001'), router = hex('025000000002');
  const v4 = hex('0250 0000 0002 0250 0000 0001 0800 4500 0028 8cdd 0000 ff01 5de5 0afa 0001 c612' +
    '0005 0d00 4e3e 58c6 4bfb 0000 0000 0000 0000 0000 0000');
  const set4 = new ProbeSet4({ srcMac: us, dstMac: router, srcIp: 0x0afa0001 }, key, 1);
  const buf = new Uint8Array(128);
  const n4 = set4.fill(buf, 0, 0, 0x0afa0001, 0xc6120005, 196609, 40000);
  assert.equal(n4, 60, 'padded to 60 (masscan sends 54 and lets the driver pad)');
  const got4 = buf.slice(0, 54);
  // Everything but the IP identification (masscan derives it from another cookie) and hence
  // the IP checksum is masscan's; the ICMP message is identical, id:seq 0x58c64bfb.
  for (const i of [18, 19, 24, 25]) { got4[i] = 0; v4[i] = 0; }
  assert.equal(Buffer.from(got4).toString('hex'), Buffer.from(v4).toString('hex'));
  assert.equal(cookie4(key, 0xc6120005, 196609, 0x0afa0001, 0), 0x58c64bfb);
  const v6 = hex('0250 0000 0002 0250 0000 0001 86dd 6000 0000 0014 3aff fd00 0250 0000 0000 0000' +
    '0000 0000 0001 2001 0db8 0000 0000 0000 0000 0000 0005 0d00 cb16 f223 0867 0000' +
    '0000 0000 0000 0000 0000');
  const me6 = hex('fd000250000000000000000000000001');
  const set6 = new ProbeSet6({ srcMac: us, dstMac: router, srcIp: me6 }, key, 1);
  const them6 = Uint32Array.of(0x20010db8, 0, 0, 5);
  const n6 = set6.fill(buf, 0, 0, them6, 0, 196609, 40000);
  assert.equal(n6, v6.length);
  // The same frame but for id:seq and the ICMPv6 checksum: masscan forms its IPv6 cookie's
  // last word as (port_them << 16 | port_me) in 32 bits, so the internal port 196609 hashes
  // like 1 there; cookie.ts keeps the high bits (engine-wide, owned elsewhere). Equal frames
  // once cookie6 truncates as masscan does.
  const got6 = buf.slice(0, n6);
  for (const i of [56, 57, 58, 59, 60, 61]) { got6[i] = 0; v6[i] = 0; }
  assert.equal(Buffer.from(got6).toString('hex'), Buffer.from(v6).toString('hex'));
  assert.equal(cookie6(key, them6, 0, me6Words(), 0, 1, 0), 0xf2230867, "masscan's IPv6 id:seq");
});
