import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { SegmentBuilder4, SegmentBuilder6 } from '../../src/engine/segment.js';
import { Decoded, LinkType, decodeFrame } from '../../src/wire/decode.js';
import { TcpFlags } from '../../src/wire/tcp.js';

const link = { srcMac: Uint8Array.of(2, 0x50, 0, 0, 0, 1), dstMac: Uint8Array.of(2, 0x50, 0, 0, 0, 2) };

function decode(buf: Uint8Array, len: number): Decoded {
  const d = new Decoded(LinkType.ETHERNET, true);
  assert.equal(decodeFrame(buf, 0, len, d), 'ok');
  return d;
}

test('IPv4 segments decode with valid checksums and every field as written', () => {
  fc.assert(fc.property(
    fc.integer({ min: 0, max: 0xffffffff }), fc.integer({ min: 0, max: 0xffffffff }),
    fc.integer({ min: 0, max: 0xffff }), fc.integer({ min: 0, max: 0xffff }),
    fc.integer({ min: 0, max: 0x1ff }), fc.integer({ min: 0, max: 0xffffffff }), fc.integer({ min: 0, max: 0xffffffff }),
    fc.integer({ min: 0, max: 0xffff }), fc.uint8Array({ maxLength: 1460 }), fc.option(fc.integer({ min: 0, max: 4095 }), { nil: undefined }),
    (src, dst, sp, dp, flags, seq, ack, win, payload, vlan) => {
      const b = new SegmentBuilder4({ ...link, vlan }, 64);
      const buf = new Uint8Array(1600).fill(0xee);
      const n = b.write(buf, 0, src, dst, sp, dp, flags, seq, ack, win, payload, 0, payload.length);
      assert.ok(n >= 60 && n <= b.frameLen(payload.length));
      const d = decode(buf, n);
      assert.equal(d.src, src); assert.equal(d.dst, dst);
      assert.equal(d.srcPort, sp); assert.equal(d.dstPort, dp);
      assert.equal(d.tcpFlags, flags); assert.equal(d.tcpSeq, seq); assert.equal(d.tcpAck, ack);
      assert.equal(d.tcpWindow, win); assert.equal(d.ttl, 64);
      assert.equal(d.vlan, vlan ?? -1);
      assert.deepEqual(buf.subarray(d.payloadOff, d.payloadOff + d.payloadLen), payload);
    }), { numRuns: 300 });
});

test('IPv6 segments decode with valid checksums and every field as written', () => {
  fc.assert(fc.property(
    fc.uint32Array({ minLength: 4, maxLength: 4 }), fc.uint32Array({ minLength: 4, maxLength: 4 }),
    fc.integer({ min: 0, max: 0xffff }), fc.integer({ min: 0, max: 0xffffffff }), fc.uint8Array({ maxLength: 1400 }),
    (src, dst, dp, seq, payload) => {
      const b = new SegmentBuilder6(link, 255);
      const buf = new Uint8Array(1600);
      const n = b.write(buf, 0, src, dst, 40000, dp, TcpFlags.ACK | TcpFlags.PSH, seq, 7, 1024, payload, 0, payload.length);
      const d = decode(buf, n);
      assert.deepEqual([...d.src6], [...src]); assert.deepEqual([...d.dst6], [...dst]);
      assert.equal(d.dstPort, dp); assert.equal(d.tcpSeq, seq); assert.equal(d.tcpAck, 7);
      assert.equal(d.tcpFlags, TcpFlags.ACK | TcpFlags.PSH);
      assert.equal(d.payloadLen, payload.length);
      assert.deepEqual(buf.subarray(d.payloadOff, d.payloadOff + d.payloadLen), payload);
    }), { numRuns: 200 });
});

test('short segments are padded with zeros to 60 bytes; a payload slice is taken from its offset', () => {
  const b = new SegmentBuilder4(link, 64);
  const buf = new Uint8Array(100).fill(0xaa);
  const n = b.write(buf, 0, 1, 2, 3, 4, TcpFlags.ACK, 5, 6, 7, new Uint8Array(0), 0, 0);
  assert.equal(n, 60);
  assert.ok(buf.subarray(54, 60).every((x) => x === 0));
  const m = b.write(buf, 0, 1, 2, 3, 4, TcpFlags.ACK, 5, 6, 7, Uint8Array.of(9, 8, 7, 6), 1, 2);
  const d = decode(buf, m);
  assert.deepEqual([...buf.subarray(d.payloadOff, d.payloadOff + d.payloadLen)], [8, 7]);
});
