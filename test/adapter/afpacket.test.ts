/**
 * afpacket.ts without the kernel: the TPACKET_V3 block walker over a synthetic ring (and a
 * stand-in for the addon), error mapping, and option checks that fail before any syscall.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { AfPacketRx, openRx, openTx, toScanError, type NativeAddon } from '../../src/adapter/afpacket.js';
import { isScanError } from '../../src/error.js';

const BS = 4096;

function fakeNative(calls: { poll: number; close: number }): NativeAddon {
  const no = (): never => {
    throw new Error('not in this test');
  };
  return {
    openTx: no, sendBatch: no, txRingSend: no, txRingFlush: no, openRx: no,
    poll: () => { calls.poll++; return 0; },
    stats: (_fd, out) => { out[0] = 10; out[1] = 2; out[2] = 0; },
    close: () => { calls.close++; },
    TX_DATA_OFFSET: 32,
  };
}

/** Writes a block of frames (tpacket3 layout) at block index b; returns nothing. */
function writeBlock(ring: ArrayBuffer, b: number, frames: { data: number[]; sec: number; nsec: number }[]): void {
  const u8 = new Uint8Array(ring, b * BS, BS);
  const dv = new DataView(ring, b * BS, BS);
  let off = 48;
  dv.setUint32(12, frames.length, true);
  dv.setUint32(16, off, true);
  frames.forEach((f, i) => {
    const mac = 48 + 2; // tp_mac as the kernel would set it (header + alignment)
    const size = (mac + f.data.length + 15) & ~15;
    dv.setUint32(off, i + 1 < frames.length ? size : 0, true);
    dv.setUint32(off + 4, f.sec, true);
    dv.setUint32(off + 8, f.nsec, true);
    dv.setUint32(off + 12, f.data.length, true);
    dv.setUint32(off + 16, f.data.length, true);
    dv.setUint16(off + 24, mac, true);
    u8.set(f.data, off + mac);
    off += size;
  });
  dv.setUint32(20, off, true);
  dv.setUint32(8, 1, true); // TP_STATUS_USER: handed to user space
}

test('block walker delivers every frame of ready blocks in order and releases them', () => {
  const calls = { poll: 0, close: 0 };
  const ring = new ArrayBuffer(BS * 4);
  writeBlock(ring, 0, [
    { data: [1, 2, 3], sec: 100, nsec: 5 },
    { data: Array.from({ length: 60 }, (_, i) => i), sec: 101, nsec: 6 },
    { data: [9], sec: 102, nsec: 7 },
  ]);
  writeBlock(ring, 1, [{ data: [7, 7], sec: 200, nsec: 8 }]);
  const rx = new AfPacketRx(fakeNative(calls), 3, 'x0', ring, BS, 4);
  const got: [number[], number, number][] = [];
  const n = rx.poll(0, (buf, off, len, sec, nsec) => got.push([Array.from(buf.subarray(off, off + len)), sec, nsec]));
  assert.equal(n, 4);
  assert.deepEqual(got.map((g) => g[0].length), [3, 60, 1, 2]);
  assert.deepEqual(got[0], [[1, 2, 3], 100, 5]);
  assert.deepEqual(got[3], [[7, 7], 200, 8]);
  const st = new Uint32Array(ring);
  assert.equal(st[(0 * BS + 8) >> 2], 0);
  assert.equal(st[(1 * BS + 8) >> 2], 0);
  // Block 2 is the kernel's: timeout 0 returns at once, a timeout waits in the addon's poll.
  assert.equal(rx.poll(0, () => assert.fail()), 0);
  assert.equal(calls.poll, 0);
  assert.equal(rx.poll(5, () => assert.fail()), 0);
  assert.equal(calls.poll, 1);
  // The ring wraps: blocks 2, 3, 0 in turn.
  writeBlock(ring, 2, [{ data: [2], sec: 1, nsec: 1 }]);
  writeBlock(ring, 3, [{ data: [3], sec: 1, nsec: 1 }]);
  writeBlock(ring, 0, [{ data: [4], sec: 1, nsec: 1 }]);
  const order: number[] = [];
  assert.equal(rx.poll(0, (buf, off) => order.push(buf[off])), 3);
  assert.deepEqual(order, [2, 3, 4]);
  assert.deepEqual(rx.stats(), { received: 7, kernelDrops: 2 });
  rx.close();
  rx.close();
  assert.equal(calls.close, 1);
  assert.equal(rx.poll(10, () => assert.fail()), 0);
});

test('a throwing handler still releases the block (no endless re-delivery)', () => {
  const ring = new ArrayBuffer(BS * 2);
  writeBlock(ring, 0, [{ data: [1], sec: 0, nsec: 0 }, { data: [2], sec: 0, nsec: 0 }]);
  const rx = new AfPacketRx(fakeNative({ poll: 0, close: 0 }), 3, 'x0', ring, BS, 2);
  assert.throws(() => rx.poll(0, () => { throw new Error('boom'); }), /boom/);
  assert.equal(new Uint32Array(ring)[2], 0);
  assert.equal(rx.poll(0, () => assert.fail()), 0);
});

test('fuzz: a corrupt block never makes the walker read outside it', () => {
  // Random bytes alone almost never hold a plausible first offset, so the frame chain is laid
  // out over them from small random fields: offsets near and past the block's end, aligned or
  // not, tp_mac below and above the header; the walk must reach frames and stay inside.
  const frameHdr = fc.record({ next: fc.nat({ max: 160 }), snap: fc.nat({ max: 400 }), mac: fc.integer({ min: 40, max: 120 }) });
  let runsWithFrames = 0;
  let runsWithThree = 0;
  fc.assert(
    fc.property(
      fc.uint8Array({ minLength: BS, maxLength: BS }),
      fc.nat({ max: 64 }),
      fc.oneof(fc.integer({ min: 12, max: 100 }).map((w) => w * 4), fc.nat({ max: 600 })),
      fc.oneof(fc.integer({ min: BS - 64, max: BS + 64 }), fc.nat({ max: BS })),
      fc.array(frameHdr, { maxLength: 24 }),
      (bytes, nPkts, first, blkLen, chain) => {
        const ring = new ArrayBuffer(BS * 2);
        new Uint8Array(ring).set(bytes);
        const dv = new DataView(ring);
        let off = first;
        for (const f of chain) {
          if (off + 28 > BS) break;
          dv.setUint32(off, f.next * 4, true);
          dv.setUint32(off + 12, f.snap, true);
          dv.setUint16(off + 24, f.mac, true);
          off += f.next * 4;
        }
        // The descriptor last: a chain that starts inside it must not hide the status word.
        dv.setUint32(8, 1, true);
        dv.setUint32(12, nPkts, true);
        dv.setUint32(16, first, true);
        dv.setUint32(20, blkLen, true);
        const rx = new AfPacketRx(fakeNative({ poll: 0, close: 0 }), 3, 'x0', ring, BS, 2);
        let frames = 0;
        const n = rx.poll(0, (_buf, o, len) => {
          frames++;
          assert.ok(o >= 0 && len >= 0 && o + len <= BS, `frame ${o}+${len} outside block 0`);
        });
        assert.equal(n, frames);
        assert.ok(frames <= nPkts);
        assert.equal(new Uint32Array(ring)[2], 0, 'block 0 handed back to the kernel');
        if (frames > 0) runsWithFrames++;
        if (frames >= 3) runsWithThree++;
      },
    ),
    { numRuns: 300 },
  );
  // The property above must have reached its bounds check, not only the early exits.
  assert.ok(runsWithFrames >= 50, `only ${runsWithFrames} of 300 runs delivered a frame`);
  assert.ok(runsWithThree >= 20, `only ${runsWithThree} of 300 runs delivered three frames`);
});

test('toScanError: errno codes become one-line ScanErrors naming the interface', () => {
  const err = (code: string, message = 'x'): Error => Object.assign(new Error(message), { code });
  assert.deepEqual([toScanError(err('EPERM'), 'eth0').code, toScanError(err('EACCES'), 'eth0').code], ['ERR_PERMISSION', 'ERR_PERMISSION']);
  assert.equal(toScanError(err('ENODEV'), 'eth9').message, 'eth9: no such interface (--iflist lists them)');
  assert.equal(toScanError(err('ENETDOWN'), 'eth1').message, 'eth1: interface is down (ip link set eth1 up)');
  const other = toScanError(err('ESYS', 'eth1: setting up PACKET_RX_RING: Cannot allocate memory'), 'eth1');
  assert.equal(other.code, 'ERR_ADAPTER');
  assert.equal(other.message, 'eth1: setting up PACKET_RX_RING: Cannot allocate memory');
  assert.equal(toScanError('weird', 'eth1').message, 'eth1: weird');
});

test('bad options fail before any syscall', () => {
  const bad = (f: () => unknown, code: string): void => {
    assert.throws(f, (e: unknown) => isScanError(e) && e.code === code && !e.message.includes('\n'));
  };
  bad(() => openTx({ ifname: '', backend: 'sendmmsg', batch: 256 }), 'ERR_ADAPTER');
  bad(() => openTx({ ifname: 'a'.repeat(16), backend: 'sendmmsg', batch: 256 }), 'ERR_ADAPTER');
  bad(() => openTx({ ifname: 'eth0', backend: 'sendmmsg', batch: 0 }), 'ERR_BAD_OPTION');
  bad(() => openTx({ ifname: 'eth0', backend: 'txring', batch: 5000 }), 'ERR_BAD_OPTION');
  bad(() => openTx({ ifname: 'eth0', backend: 'sendmmsg', batch: 8, slotSize: 10 }), 'ERR_BAD_OPTION');
  bad(() => openRx({ ifname: 'eth0', ringBytes: 1000 }), 'ERR_BAD_OPTION');
  bad(() => openRx({ ifname: 'eth0', blockBytes: 5000 }), 'ERR_BAD_OPTION');
  bad(() => openRx({ ifname: 'eth0', retireMs: 0 }), 'ERR_BAD_OPTION');
  bad(() => openRx({ ifname: 'a/b' }), 'ERR_ADAPTER');
});
