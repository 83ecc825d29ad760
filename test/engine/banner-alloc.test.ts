/**
 * BannerEngine.output (the stack's StackHost.output): every segment our side sends is written
 * into a frame here, with the connection's addresses read from the stack's table. The
 * addresses (198.18.x.x, above 2^31 as u32) and sequence numbers cross calls on this path; a
 * u32 above 2^31 crossing a call that is not inlined becomes a heap number, an allocation per
 * segment. 2 M segments must run without a garbage collection.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BannerEngine } from '../../src/engine/banner-engine.js';
import { bannerSetup } from '../../src/engine/banner-setup.js';
import { SegmentBuilder4 } from '../../src/engine/segment.js';
import { FrameRing } from '../../src/engine/ring.js';
import { Decoded, decodeFrame } from '../../src/wire/decode.js';
import { SCANNER_MAC, ROUTER_MAC, ip4, simConfig } from './scan-sim.js';
import { gcsDuring } from './gc-count.js';

test('banner engine: writing our segments into frames (IPv4 addresses above 2^31) causes no garbage collection', async () => {
  const N = 1000;
  const frames = FrameRing.create(1 << 16, 1514);
  const setup = bannerSetup(simConfig('198.18.0.0/22 -p80 --banners'));
  const engine = new BannerEngine(setup, new SegmentBuilder4({ srcMac: SCANNER_MAC, dstMac: ROUTER_MAC }, 64), null, frames,
    () => undefined, () => 0);
  const us = ip4('198.18.255.1') | 0;
  const conns = new Int32Array(N);
  for (let i = 0; i < N; i++) {
    conns[i] = engine.stack.synAck4(0, (ip4('198.18.0.0') + i) | 0, 80, us, 40000 + (i & 0x3fff), 0x9e3779b9 | 0, 0xc2b2ae35 | 0, 65535, 1460, -1);
    assert.ok(conns[i]! >= 0);
  }
  const payload = new Uint8Array(100).fill(0x41);
  const buf = new Uint8Array(2048);
  let seq = 0xc0000000 | 0;
  const run = (rounds: number): void => {
    for (let r = 0; r < rounds; r++) {
      for (let i = 0; i < N; i++) {
        engine.output(conns[i]!, 0x18, seq, (seq + 7) | 0, 65535, payload, 0, 100);
        seq = (seq + 100) | 0;
        frames.pop(buf, 0);
      }
    }
  };
  // the handshake's ACKs went out at open: drain them
  while (frames.pop(buf, 0) >= 0) { /* discard */ }
  // the frame is what the connection's table holds: its addresses and ports
  run(1);
  engine.output(conns[5]!, 0x18, seq, 1, 65535, payload, 0, 100);
  const n = frames.pop(buf, 0);
  const d = new Decoded();
  assert.equal(decodeFrame(buf, 0, n, d), 'ok');
  assert.deepEqual([d.src >>> 0, d.dst >>> 0, d.srcPort, d.dstPort, d.tcpSeq | 0, d.payloadLen], [us >>> 0, ip4('198.18.0.5'), 40005, 80, seq, 100]);
  const gcs = await gcsDuring(run, 200, 2000);
  assert.equal(engine.frameDrops, 0);
  // gc-count.ts: a stray one or two from warm-up garbage (Node 22 shows 2 whatever the count; 18 before ourIp4Bits)
  assert.ok(gcs <= 3, `${gcs} garbage collections while writing 2 M segments`);
});
