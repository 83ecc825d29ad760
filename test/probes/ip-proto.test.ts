import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { OprotoTemplate4, OprotoTemplate6, oprotoPayloadLen } from '../../src/probes/ip-proto.js';
import { ip6Bytes, expectOproto4, expectOproto6, same, u32, link, ttl, addr6, slotOff, RUNS, garbageSlot } from './frames.js';

test('OprotoTemplate4/6 (bare IP header, protocol n, GRE 4 zero bytes) equal the repr-built frames', () => {
  const proto = fc.oneof(fc.constantFrom(0, 4, 41, 47, 50, 51, 132, 253, 255), fc.integer({ min: 0, max: 255 }));
  assert.equal(oprotoPayloadLen(47), 4);
  assert.equal(oprotoPayloadLen(50), 0);
  fc.assert(fc.property(link, ttl, u32, fc.array(fc.tuple(u32, u32, proto, u32), { minLength: 1, maxLength: 5 }), slotOff,
    (l, t, base, probes, off) => {
      const tpl = new OprotoTemplate4({ ...l, srcIp: base, ttl: t });
      const slot = garbageSlot();
      tpl.writeBase(slot, off);
      for (const [src, dst, p, cookie] of probes) {
        const len = tpl.patch(slot, off, src, dst, p, cookie);
        same(slot, off, len, expectOproto4(l, t, src, dst, p, cookie), `oproto4 ${p}`);
        assert.ok(len <= tpl.maxFrameLen);
      }
    }), RUNS);
  fc.assert(fc.property(link, ttl, addr6, fc.array(fc.tuple(addr6, proto, u32), { minLength: 1, maxLength: 5 }), slotOff,
    (l, t, src, probes, off) => {
      const srcB = ip6Bytes(src);
      const tpl = new OprotoTemplate6({ ...l, srcIp: srcB, hopLimit: t });
      const slot = garbageSlot();
      tpl.writeBase(slot, off);
      for (const [dst, p, cookie] of probes) {
        const len = tpl.patch(slot, off, dst, 0, p, cookie);
        same(slot, off, len, expectOproto6(l, t, srcB, ip6Bytes(dst), p, cookie), `oproto6 ${p}`);
        assert.ok(len <= tpl.maxFrameLen);
      }
    }), RUNS);
});
