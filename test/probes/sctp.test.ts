import { test } from 'node:test';
import fc from 'fast-check';
import { SctpTemplate4, SctpTemplate6 } from '../../src/probes/sctp.js';
import { ip6Bytes, expectSctp4, expectSctp6, same, u32, u16, link, ttl, addr6, slotOff, RUNS, garbageSlot } from './frames.js';

test('SctpTemplate4/6 (INIT, tag = cookie, CRC32c) equal the repr-built frames', () => {
  fc.assert(fc.property(link, ttl, u32, fc.array(fc.tuple(u32, u32, u16, u16, u32), { minLength: 1, maxLength: 3 }), slotOff,
    (l, t, base, probes, off) => {
      const tpl = new SctpTemplate4({ ...l, srcIp: base, ttl: t });
      const slot = garbageSlot();
      tpl.writeBase(slot, off);
      for (const [src, dst, dport, sport, cookie] of probes) {
        const len = tpl.patch(slot, off, src, dst, dport, sport, cookie);
        same(slot, off, len, expectSctp4(l, t, src, dst, dport, sport, cookie), 'sctp4');
      }
    }), RUNS);
  fc.assert(fc.property(link, ttl, addr6, fc.array(fc.tuple(addr6, u16, u16, u32), { minLength: 1, maxLength: 3 }), slotOff,
    (l, t, src, probes, off) => {
      const srcB = ip6Bytes(src);
      const tpl = new SctpTemplate6({ ...l, srcIp: srcB, hopLimit: t });
      const slot = garbageSlot();
      tpl.writeBase(slot, off);
      for (const [dst, dport, sport, cookie] of probes) {
        const len = tpl.patch(slot, off, dst, 0, dport, sport, cookie);
        same(slot, off, len, expectSctp6(l, t, srcB, ip6Bytes(dst), dport, sport, cookie), 'sctp6');
      }
    }), RUNS);
});
