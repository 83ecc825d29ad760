/**
 * Fuzz: random segments (random flags, sequence and acknowledgement numbers near the
 * connection's or anywhere, random lengths and windows) to random connections, mixed with
 * random application calls and polls. Nothing may throw; every range handed to the host lies
 * inside its buffer; the invariants hold after every step (counters consistent, every pool
 * chunk accounted for, timers and hash index in order); the bytes delivered are exactly the
 * server's stream in order (each segment carries the stream's bytes at its sequence
 * numbers); every data segment we send carries exactly the bytes the application queued at
 * that sequence number; and when everything is aborted nothing is left.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { CloseReason, StackHost } from '../../src/stack/api.js';
import { TcpStack } from '../../src/stack/tcp.js';
import { OPTS } from './helpers.js';

const streamByte = (c: number, i: number) => (Math.imul(i, 31) + c * 7) & 255;
const appByte = (c: number, i: number) => (Math.imul(i, 17) + c * 3 + 1) & 255;

type Op =
  | { k: 'open'; port: number; seq: number; ack: number; win: number; mss: number }
  | { k: 'seg'; port: number; near: boolean; dseq: number; dack: number; flags: number; win: number; len: number; bad: boolean }
  | { k: 'send'; port: number; len: number }
  | { k: 'close' | 'abort'; port: number }
  | { k: 'timer'; port: number; dt: number }
  | { k: 'poll'; dt: number };

const port = fc.integer({ min: 0, max: 5 });
const op: fc.Arbitrary<Op> = fc.oneof(
  { weight: 2, arbitrary: fc.record({ k: fc.constant('open' as const), port, seq: fc.nat({ max: 0xffffffff }), ack: fc.nat({ max: 0xffffffff }), win: fc.nat({ max: 65535 }), mss: fc.nat({ max: 1500 }) }) },
  {
    weight: 10,
    arbitrary: fc.record({
      k: fc.constant('seg' as const), port, near: fc.boolean(), dseq: fc.oneof(fc.integer({ min: -20, max: 0 }), fc.integer({ min: 1, max: 100 }), fc.integer({ min: -3000, max: 12000 })),
      dack: fc.integer({ min: -300, max: 300 }), flags: fc.oneof(fc.constantFrom(0x10, 0x18, 0x19, 0x11), fc.nat({ max: 0x1ff })), win: fc.nat({ max: 65535 }),
      len: fc.oneof(fc.nat({ max: 60 }), fc.nat({ max: 1600 })), bad: fc.boolean(),
    }),
  },
  { weight: 3, arbitrary: fc.record({ k: fc.constant('send' as const), port, len: fc.nat({ max: 700 }) }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constantFrom('close' as const, 'abort' as const), port }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('timer' as const), port, dt: fc.nat({ max: 3000 }) }) },
  { weight: 3, arbitrary: fc.record({ k: fc.constant('poll' as const), dt: fc.nat({ max: 2000 }) }) },
);

const THEM = 0xc0000202;
const US = 0xc6336402;

test('stack fuzz: random segments and calls never throw, stay in bounds and keep the invariants', () => {
  fc.assert(
    fc.property(fc.array(op, { minLength: 1, maxLength: 200, size: 'max' }), fc.boolean(), (ops, reentrant) => {
      // Per connection id: the peer's ISN, bytes delivered, our ISN and bytes the app queued.
      const irs = new Map<number, number>();
      const got = new Map<number, number>();
      const iss = new Map<number, number>();
      const queued = new Map<number, number>();
      const closed = new Map<number, CloseReason>();
      let s!: TcpStack;
      let now = 0;
      const check = (c: number, flags: number, seq: number, buf: Uint8Array, off: number, len: number) => {
        assert.ok(off >= 0 && len >= 0 && off + len <= buf.length, 'output range out of bounds');
        assert.ok(len <= OPTS.mss);
        const base = iss.get(c)!;
        for (let i = 0; i < len; i++) {
          const at = (seq - base + i) >>> 0;
          assert.ok(at < queued.get(c)!, `byte ${at} never queued`);
          assert.equal(buf[off + i], appByte(c, at), 'sent byte differs from the queued one');
        }
        void flags;
      };
      const host: StackHost = {
        output: (c, flags, seq, _ack, _win, buf, off, len) => check(c, flags, seq, buf, off, len),
        opened: (c) => {
          got.set(c, 0);
          queued.set(c, 0);
          closed.delete(c);
        },
        received: (c, buf, off, len) => {
          assert.ok(off >= 0 && len > 0 && off + len <= buf.length, 'received range out of bounds');
          let g = got.get(c)!;
          for (let i = 0; i < len; i++, g++) assert.equal(buf[off + i], streamByte(c, g), `byte ${g} delivered wrong`);
          got.set(c, g);
          if (reentrant && g % 7 === 3) s.abort(c, now);
        },
        peerClosed: (c) => {
          if (reentrant) s.close(c, now);
        },
        appTimer: (c) => {
          if (reentrant) s.setAppTimer(c, now + 100);
        },
        closed: (c, r) => {
          assert.equal(closed.has(c), false, 'closed twice');
          closed.set(c, r);
        },
      };
      s = new TcpStack({ ...OPTS, capacity: 4, maxChunks: 24, chunkSize: 32, maxHeld: 3 }, host);
      const ids = new Map<number, number>();
      const big = new Uint8Array(4000);
      for (const o of ops) {
        const c = ids.get('port' in o ? o.port : -1) ?? -1;
        const live = c >= 0 && s.stateName(c) !== 'FREE' && s.ourPort(c) === 40000 + (o as { port: number }).port;
        switch (o.k) {
          case 'open': {
            const x = s.synAck4(now, THEM, 80, US, 40000 + o.port, o.seq, o.ack, o.win, o.mss);
            if (x >= 0 && !(live && x === c)) {
              ids.set(o.port, x);
              irs.set(x, o.seq);
              iss.set(x, o.ack);
            }
            break;
          }
          case 'seg': {
            const base = live ? irs.get(c)! : 0;
            // Sequence numbers relative to the peer's stream: near RCV.NXT, or anywhere.
            const rel = o.near && live ? got.get(c)! + o.dseq : o.dseq * 977;
            const seq = (base + 1 + rel) >>> 0;
            const ack = live ? (iss.get(c)! + Math.max(0, Math.min(queued.get(c)!, queued.get(c)! + o.dack))) >>> 0 : o.dack >>> 0;
            const off = 3;
            for (let i = 0; i < o.len; i++) big[off + i] = streamByte(c, (rel + i) >>> 0);
            // bad: a length that runs past the buffer (must not be read).
            const len = o.bad ? big.length : o.len;
            s.segment4(now, THEM, 80, US, 40000 + o.port, seq, ack, o.flags, o.win, big, off, len);
            break;
          }
          case 'send': {
            if (!live) {
              s.send(Math.max(0, c), big, 0, 0, now);
              break;
            }
            const q = queued.get(c)!;
            const data = Uint8Array.from({ length: o.len }, (_, i) => appByte(c, q + i));
            queued.set(c, q + o.len); // before the call: the stack sends from inside it
            if (!s.send(c, data, 0, data.length, now)) queued.set(c, q);
            break;
          }
          case 'close':
            if (live) s.close(c, now);
            break;
          case 'abort':
            if (live) s.abort(c, now);
            break;
          case 'timer':
            if (live) s.setAppTimer(c, now + o.dt);
            break;
          case 'poll':
            now += o.dt;
            s.poll(now);
            break;
        }
        assert.equal(s.checkInvariants(), null);
      }
      // The end: everything goes, nothing is left behind.
      for (let c = 0; c < 4; c++) if (s.stateName(c) !== 'FREE') s.abort(c, now);
      assert.equal(s.counters.active, 0);
      assert.equal(s.pool.inUse, 0);
      assert.equal(s.checkInvariants(), null);
    }),
    { numRuns: Number(process.env.FUZZ_RUNS ?? 400), reporter: (r) => { if (r.failed) throw new Error(`${String(r.errorInstance)}\n${fc.defaultReportMessage(r)}`); } },
  );
});
