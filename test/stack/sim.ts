/**
 * A model TCP server and a simulated link for the stack's tests: the stack against the server through a link that loses, delays (so
 * reorders) and duplicates segments with a seeded PRNG, as smoltcp's tests do. The server
 * sends a greeting in random-sized segments, answers our request once it has all of it, then
 * sends FIN; it retransmits go-back-N on its own RTO, may start with a zero window that opens
 * later, and may lose our ACK of its SYN-ACK (then it repeats the SYN-ACK).
 * Properties: whatever the link does, the host receives exactly a prefix of what the server
 * sent, in order, each byte once, and the server a prefix of what we sent; when the
 * connection ends by 'fin' both are whole; without loss it always ends by 'fin'; nothing
 * throws and nothing leaks (no connection left, every pool chunk back).
 */
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { CloseReason, StackOptions } from '../../src/stack/api.js';
import { TcpStack } from '../../src/stack/tcp.js';
import { F, Rec, THEM, US } from './helpers.js';
import { prng } from '../fuzz/prng.js';


interface Pkt {
  toStack: boolean;
  at: number;
  n: number; // insertion order, for stable delivery
  flags: number;
  seq: number;
  ack: number;
  window: number;
  data: Uint8Array;
}

export class Link {
  private q: Pkt[] = [];
  private n = 0;
  constructor(private rnd: () => number, private loss: number, private dup: number, private jitter: number) {}
  send(p: Omit<Pkt, 'at' | 'n'>, now: number): void {
    if (this.rnd() < this.loss) return;
    const copies = this.rnd() < this.dup ? 2 : 1;
    for (let i = 0; i < copies; i++) {
      const at = now + 2 + Math.floor(this.rnd() * this.jitter);
      // Keep the queue sorted by delivery time, ties in sending order.
      let lo = 0;
      let hi = this.q.length;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (this.q[mid].at <= at) lo = mid + 1;
        else hi = mid;
      }
      this.q.splice(lo, 0, { ...p, at, n: this.n++ });
    }
  }
  due(now: number): Pkt[] {
    let k = 0;
    while (k < this.q.length && this.q[k].at <= now) k++;
    return this.q.splice(0, k);
  }
  get empty(): boolean {
    return this.q.length === 0;
  }
}

const u32 = (x: number) => x >>> 0;
const lt = (a: number, b: number) => ((a - b) | 0) < 0;

/** The model server: a plain, simple TCP (go-back-N, cumulative ACKs, in-order receive only). */
export class Server {
  state: 'SYN_RCVD' | 'EST' | 'CLOSED' = 'SYN_RCVD';
  readonly iss: number;
  sndUna: number;
  sndNxt: number;
  sndMax: number;
  rcvNxt: number;
  ourWnd = 0; // the stack's advertised window
  out: number[] = []; // everything the server will send, from iss + 1
  finQueued = false;
  finSeq = -1;
  finAcked = false;
  gotFin = false;
  reset = false;
  received: number[] = [];
  rtxAt = Infinity;
  rto = 100;
  zeroUntil: number;
  answered = false;
  dupAcks = 0;

  constructor(
    private rnd: () => number,
    private link: Link,
    private readonly greeting: Uint8Array,
    private readonly reqLen: number,
    private readonly answer: Uint8Array,
    private readonly wnd: number,
    private readonly maxSeg: number,
    zeroUntil: number,
    readonly iStack: number,
  ) {
    this.iss = Math.floor(rnd() * 2 ** 32);
    this.sndUna = this.sndNxt = this.sndMax = u32(this.iss + 1);
    this.rcvNxt = u32(iStack + 1);
    this.zeroUntil = zeroUntil;
    this.out.push(...greeting);
  }

  window(now: number): number {
    return now < this.zeroUntil ? 0 : this.wnd;
  }

  private emit(now: number, flags: number, seq: number, data: Uint8Array): void {
    this.link.send({ toStack: true, flags, seq, ack: this.rcvNxt, window: this.window(now), data }, now);
  }

  synAck(now: number): void {
    this.emit(now, F.SYN | F.ACK, this.iss, new Uint8Array(0));
    this.rtxAt = now + this.rto;
  }

  input(p: Pkt, now: number): void {
    if (this.state === 'CLOSED') return;
    if (p.flags & F.RST) {
      this.reset = true;
      this.state = 'CLOSED';
      return;
    }
    if (!(p.flags & F.ACK)) return;
    if (this.state === 'SYN_RCVD') {
      if (p.ack !== u32(this.iss + 1)) return;
      this.state = 'EST';
      this.rtxAt = Infinity;
      this.rto = 100;
    }
    if (p.ack === this.sndUna && this.sndUna !== this.sndMax && p.data.length === 0 && !(p.flags & F.FIN)) {
      // Fast retransmit on the third duplicate ACK (RFC 5681), go-back-N from there.
      if (++this.dupAcks === 3) this.sndNxt = this.sndUna;
    }
    if (lt(this.sndUna, p.ack) && !lt(this.sndMax, p.ack)) {
      this.dupAcks = 0;
      this.sndUna = p.ack;
      if (lt(this.sndNxt, p.ack)) this.sndNxt = p.ack;
      if (this.finSeq >= 0 && p.ack === u32(this.finSeq + 1)) this.finAcked = true;
      this.rto = 100;
      this.rtxAt = this.sndUna === this.sndMax ? Infinity : now + this.rto;
    }
    this.ourWnd = p.window;
    let ackIt = false;
    if (p.data.length > 0 || p.flags & F.FIN) {
      ackIt = true;
      if (p.seq === this.rcvNxt && !this.gotFin) {
        const n = Math.min(p.data.length, this.window(now));
        for (let i = 0; i < n; i++) this.received.push(p.data[i]);
        this.rcvNxt = u32(this.rcvNxt + n);
        // The FIN is taken in order even into a zero window, as common stacks do.
        if (p.flags & F.FIN && n === p.data.length) {
          this.rcvNxt = u32(this.rcvNxt + 1);
          this.gotFin = true;
        }
      }
    }
    if (!this.answered && this.received.length >= this.reqLen) {
      this.answered = true;
      this.out.push(...this.answer);
      this.finQueued = true;
    }
    const sent = this.trySend(now);
    if (ackIt && !sent) this.emit(now, F.ACK, this.sndNxt, new Uint8Array(0));
  }

  private trySend(now: number): boolean {
    if (this.state !== 'EST') return false;
    let sent = false;
    for (;;) {
      const off = u32(this.sndNxt - this.iss - 1);
      const unsent = this.out.length - off;
      // In flight: the stack's window, and at most 10 segments (a congestion window, as
      // real servers have: without it, go-back-N of 1-byte segments floods the link).
      const room = Math.min(this.ourWnd, 10 * this.maxSeg) - u32(this.sndNxt - this.sndUna);
      if (unsent > 0 && room > 0) {
        const n = Math.min(unsent, room, 1 + Math.floor(this.rnd() * this.maxSeg));
        this.emit(now, F.ACK | F.PSH, this.sndNxt, Uint8Array.from(this.out.slice(off, off + n)));
        this.sndNxt = u32(this.sndNxt + n);
        sent = true;
      } else if (unsent <= 0 && this.finQueued && this.sndNxt === u32(this.iss + 1 + this.out.length)) {
        this.finSeq = this.sndNxt;
        this.emit(now, F.FIN | F.ACK, this.sndNxt, new Uint8Array(0));
        this.sndNxt = u32(this.sndNxt + 1);
        sent = true;
        break;
      } else break;
    }
    if (lt(this.sndMax, this.sndNxt)) this.sndMax = this.sndNxt;
    if (sent && this.rtxAt === Infinity) this.rtxAt = now + this.rto;
    return sent;
  }

  poll(now: number): void {
    if (this.state === 'CLOSED') return;
    if (this.zeroUntil !== -1 && now >= this.zeroUntil) {
      this.zeroUntil = -1; // the window opens: tell the stack (this update may be lost)
      if (this.state === 'EST') this.emit(now, F.ACK, this.sndNxt, new Uint8Array(0));
    }
    if (now < this.rtxAt) return;
    this.rto = Math.min(this.rto * 2, 3000);
    this.rtxAt = now + this.rto;
    if (this.state === 'SYN_RCVD') {
      this.emit(now, F.SYN | F.ACK, this.iss, new Uint8Array(0));
      return;
    }
    if (this.sndUna === this.sndMax) {
      this.rtxAt = Infinity;
      return;
    }
    this.sndNxt = this.sndUna; // go-back-N
    this.trySend(now);
  }
}

export interface Scenario {
  seed: number;
  loss: number;
  dup: number;
  jitter: number;
  greet: number;
  req: number;
  answer: number;
  peerWnd: number;
  peerMss: number;
  maxSeg: number;
  zeroMs: number;
  closeFirst: boolean;
  maxHeld: number;
}

export interface Outcome {
  reason: CloseReason | undefined;
  hostRx: number[];
  expectRx: number[];
  serverRx: number[];
  request: number[];
  stack: TcpStack;
}

export function run(sc: Scenario): Outcome {
  const rnd = prng(sc.seed);
  const link = new Link(rnd, sc.loss, sc.dup, sc.jitter);
  const bytes = (n: number) => Uint8Array.from({ length: n }, () => Math.floor(rnd() * 256));
  const greeting = bytes(sc.greet);
  const request = bytes(sc.req);
  const answer = bytes(sc.answer);
  const o: StackOptions = {
    capacity: 4, chunkSize: 128, maxChunks: 64, connectionTimeoutMs: 120_000, rtoMs: 100, maxRetries: 7,
    window: 4096, mss: 536, timeWaitMs: 300, maxHeld: sc.maxHeld, reserveChunks: 0, wheelSlots: 256, tickMs: 4,
  };
  const rec = new Rec();
  const s = new TcpStack(o, rec);
  const iStack = Math.floor(rnd() * 2 ** 32);
  const srv = new Server(rnd, link, greeting, sc.req, answer, sc.peerWnd, sc.maxSeg, sc.zeroMs > 0 ? sc.zeroMs : -1, iStack);
  const port = 40000;
  let requested = false;
  let reason: CloseReason | undefined;
  let closedAt = Infinity;
  const sendRequest = (c: number, now: number) => {
    if (requested) return;
    requested = true;
    assert.equal(s.send(c, request, 0, request.length, now), true);
  };
  rec.onOpened = (c, now) => s.setAppTimer(c, now + 500); // the hello timeout
  rec.onAppTimer = (c, now) => sendRequest(c, now);
  rec.onReceived = (c, now) => {
    const got = rec.rx.get(c)!.length;
    if (got >= greeting.length) sendRequest(c, now);
    if (sc.closeFirst && got === greeting.length + answer.length) s.close(c, now);
  };
  rec.onPeerClosed = (c, now) => s.close(c, now);
  rec.onClosed = (_c, r, now) => {
    assert.equal(reason, undefined, 'closed twice');
    reason = r;
    closedAt = now;
  };
  rec.output = (c, flags, seq, ack, window, buf, off, len) => {
    assert.equal(c, 0);
    assert.ok(len <= Math.min(o.mss, sc.peerMss));
    link.send({ toStack: false, flags, seq: seq >>> 0, ack: ack >>> 0, window, data: buf.slice(off, off + len) }, now);
  };
  let now = 0;
  srv.synAck(now);
  while (now < 400_000) {
    for (const p of link.due(now)) {
      if (!p.toStack) srv.input(p, now);
      else if (p.flags & F.SYN) s.synAck4(now, THEM, 80, US, port, p.seq, p.ack, p.window, sc.peerMss);
      else s.segment4(now, THEM, 80, US, port, p.seq, p.ack, p.flags, p.window, p.data, 0, p.data.length);
    }
    s.poll(now);
    srv.poll(now);
    if (reason !== undefined && now > closedAt + 5000) break;
    if (srv.state === 'CLOSED' && reason !== undefined && link.empty) break;
    now += 1 + Math.floor(rnd() * 4);
  }
  return { reason, hostRx: rec.rx.get(0) ?? [], expectRx: [...greeting, ...answer], serverRx: srv.received, request: [...request], stack: s };
}

function isPrefix(a: number[], b: number[]): boolean {
  if (a.length > b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

export function checkSafe(r: Outcome): void {
  assert.ok(r.reason !== undefined, 'the connection never ended');
  assert.ok(r.reason === 'fin' || r.reason === 'retries' || r.reason === 'timeout', `ended by ${r.reason}`);
  assert.ok(isPrefix(r.hostRx, r.expectRx), 'host bytes are not a prefix of what the server sent');
  assert.ok(isPrefix(r.serverRx, r.request), 'server bytes are not a prefix of what we sent');
  if (r.reason === 'fin') {
    assert.deepEqual(r.hostRx, r.expectRx);
    assert.deepEqual(r.serverRx, r.request);
  }
  assert.equal(r.stack.counters.active, 0);
  assert.equal(r.stack.pool.inUse, 0);
  assert.equal(r.stack.checkInvariants(), null);
}

/**
 * Scenarios; `tiny` lets segments, windows and MSS go down to 1 byte (then a lossless link
 * may still need longer than the connection timeout: neither side has SACK, and we have no
 * fast retransmit), otherwise they stay at sizes real servers use.
 */
export const scenario = (loss: fc.Arbitrary<number>, tiny: boolean) =>
  fc.record({
    seed: fc.integer({ min: 0, max: 2 ** 31 - 1 }),
    loss,
    dup: fc.double({ min: 0, max: 0.3, noNaN: true }),
    jitter: fc.integer({ min: 0, max: 80 }),
    greet: fc.integer({ min: 0, max: 3000 }),
    req: fc.integer({ min: 1, max: 1500 }),
    answer: fc.integer({ min: 0, max: 5000 }),
    peerWnd: fc.integer({ min: tiny ? 1 : 256, max: 3000 }),
    peerMss: fc.integer({ min: tiny ? 1 : 64, max: 1460 }),
    maxSeg: fc.integer({ min: tiny ? 1 : 32, max: 1000 }),
    zeroMs: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 3000 })),
    closeFirst: fc.boolean(),
    maxHeld: fc.integer({ min: 0, max: 6 }),
  });

