import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { ArpTemplate } from '../../src/probes/arp.js';
import { isScanError } from '../../src/error.js';
import { expectArp, same, u32, link, slotOff, RUNS, garbageSlot } from './frames.js';

test('ArpTemplate: broadcast who-has equals the repr-built frame; raw links refused', () => {
  const eth = link.map((l) => ({ ...l, raw: false }));
  fc.assert(fc.property(eth, u32, fc.array(fc.tuple(u32, u32), { minLength: 1, maxLength: 3 }), slotOff, (l, base, probes, off) => {
    const tpl = new ArpTemplate({ ...l, srcIp: base });
    const slot = garbageSlot();
    tpl.writeBase(slot, off);
    for (const [src, dst] of probes) {
      const len = tpl.patch(slot, off, src, dst);
      same(slot, off, len, expectArp(l, src, dst), 'arp');
    }
  }), RUNS);
  assert.throws(() => new ArpTemplate({ srcMac: new Uint8Array(6), dstMac: new Uint8Array(6), srcIp: 1, raw: true }), isScanError);
});
