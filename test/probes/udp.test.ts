import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { UdpTemplate4, UdpTemplate6 } from '../../src/probes/udp.js';
import { UdpPayloadTable } from '../../src/probes/udp-payloads.js';
import { ip6Bytes, expectUdp4, expectUdp6, same, u32, u16, link, ttl, addr6, slotOff, RUNS, garbageSlot, udpPort } from './frames.js';

test('UdpTemplate4/6 patched frames (payloads with cookies) equal the repr-built frames', () => {
  const table = new UdpPayloadTable();
  table.set(7, Uint8Array.of(1, 2, 3)); // odd-length payload
  table.set(9, new Uint8Array(11).fill(0x5a), 'id16', 3); // cookie at an odd offset
  table.set(11, new Uint8Array(9).fill(0x11), 'int31', 5); // 4-byte cookie at an odd offset
  const port = fc.oneof(udpPort, fc.constantFrom(7, 9, 11));
  fc.assert(fc.property(link, ttl, u32, fc.array(fc.tuple(u32, u32, port, u16, u32), { minLength: 1, maxLength: 4 }), slotOff,
    (l, t, base, probes, off) => {
      const tpl = new UdpTemplate4({ ...l, srcIp: base, ttl: t }, table);
      const slot = garbageSlot();
      for (const [src, dst, dport, sport, cookie] of probes) {
        const len = tpl.patch(slot, off, src, dst, dport, sport, cookie);
        assert.equal(len, tpl.frameLenFor(dport));
        same(slot, off, len, expectUdp4(l, t, table, src, dst, dport, sport, cookie), 'udp4');
      }
    }), RUNS);
  fc.assert(fc.property(link, ttl, addr6, fc.array(fc.tuple(addr6, port, u16, u32), { minLength: 1, maxLength: 4 }), slotOff,
    (l, t, src, probes, off) => {
      const srcB = ip6Bytes(src);
      const tpl = new UdpTemplate6({ ...l, srcIp: srcB, hopLimit: t }, table);
      const slot = garbageSlot();
      for (const [dst, dport, sport, cookie] of probes) {
        const len = tpl.patch(slot, off, dst, 0, dport, sport, cookie);
        same(slot, off, len, expectUdp6(l, t, table, srcB, ip6Bytes(dst), dport, sport, cookie), 'udp6');
      }
    }), RUNS);
});

test('UDP checksum that computes to 0 is sent as 0xffff (RFC 768)', () => {
  // Search a source port whose checksum folds to 0 and check the frame says 0xffff.
  const o = { srcMac: new Uint8Array(6), dstMac: new Uint8Array(6), srcIp: 0x0a000001 };
  const tpl = new UdpTemplate4(o, new UdpPayloadTable(false));
  const slot = new Uint8Array(64);
  let found = false;
  for (let sport = 0; sport < 65536 && !found; sport++) {
    tpl.patch(slot, 0, 0x0a000001, 0x0a000002, 1234, sport, 0);
    const ck = (slot[40]! << 8) | slot[41]!;
    const want = expectUdp4(o, 255, new UdpPayloadTable(false), 0x0a000001, 0x0a000002, 1234, sport, 0);
    same(slot, 0, 60, want, 'udp zero checksum');
    if (ck === 0xffff) found = true;
  }
  assert.ok(found);
});

test('a payload on every one of the 65536 UDP ports: each port gets its own, identical payloads share one frame', () => {
  const table = new UdpPayloadTable(false);
  // Long enough that no frame is padded to Ethernet's 60-byte minimum.
  const even = new Uint8Array(20).fill(0x78), odd = new Uint8Array(21).fill(0x79), last = new Uint8Array(30).fill(5);
  for (let p = 0; p <= 0xffff; p++) table.set(p, p % 2 === 0 ? even : odd);
  table.set(65535, last);
  const o = { srcMac: new Uint8Array(6), dstMac: new Uint8Array(6), srcIp: 0x0a000001 };
  const t0 = performance.now();
  const tpl = new UdpTemplate4(o, table);
  const ms = performance.now() - t0;
  assert.equal(tpl.frameLenFor(0), 14 + 20 + 8 + 20);
  assert.equal(tpl.frameLenFor(1), 14 + 20 + 8 + 21);
  assert.equal(tpl.frameLenFor(65534), 14 + 20 + 8 + 20);
  assert.equal(tpl.frameLenFor(65535), 14 + 20 + 8 + 30, 'the last port is not sent empty');
  const slot = new Uint8Array(2048);
  for (const [dport, cookie] of [[65535, 7], [4, 9], [65533, 11]] as const) {
    const len = tpl.patch(slot, 0, 0x0a000001, 0x0a000002, dport, 40000, cookie);
    same(slot, 0, len, expectUdp4(o, 255, table, 0x0a000001, 0x0a000002, dport, 40000, cookie), `port ${dport}`);
  }
  // Three distinct payloads: building it must not cost one frame per port. The template's
  // frames (private: read through a cast) are the empty datagram's and one per payload.
  assert.equal((tpl as unknown as { v: { base: readonly Uint8Array[] } }).v.base.length, 1 + 3, 'one frame per distinct payload');
  assert.ok(ms < 2000, `${ms.toFixed(0)} ms to build`);
});
