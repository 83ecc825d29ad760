/**
 * An in-memory link for unit tests (smoltcp's Loopback device): a TxChannel and an RxChannel
 * with no kernel in between.
 *
 * - Every frame sent is copied into `link.sent` (a queue the test reads or drains).
 * - A `responder` sees each sent frame and may return reply frames; they are queued for the
 *   RxChannel, as if they had arrived on the wire. `loopback: true` queues the sent frames
 *   themselves too. `link.inject()` queues any frame.
 * - `acceptLimit` makes send() take at most that many frames per call (a full ring, for
 *   tests of the caller's retry path).
 * - Timestamps come from the injected clock `now()` (milliseconds), never from Date.now().
 * Both queues are bounded (`maxQueue`); frames beyond it count as kernel drops, as a full
 * RX ring would.
 */
import { ScanError } from '../error.js';
import { checkSendCount, checkTxSlots } from './slots.js';
import type { FrameHandler, RxChannel, RxStats, TxChannel, TxStats } from './adapter.js';

export interface MemoryLinkOptions {
  /** Frames per send(). */
  readonly batch: number;
  /** Largest frame a slot holds (default 1514). */
  readonly slotSize?: number;
  /** Replies to a sent frame (the frame is a copy the responder may keep). */
  readonly responder?: (frame: Uint8Array) => Iterable<Uint8Array> | undefined | void;
  /** Deliver every sent frame to the RxChannel too. */
  readonly loopback?: boolean;
  /** At most this many frames taken per send() (default: all). */
  readonly acceptLimit?: number;
  /** Bound of each queue (default 65536 frames). */
  readonly maxQueue?: number;
  /** Clock in milliseconds for receive timestamps (default: always 0). */
  readonly now?: () => number;
  /**
   * Rotate the batch through this many regions of `frames`, as the TX ring does (default 1:
   * slots stay in place, as with sendmmsg). With regions > 1, send() takes every frame.
   */
  readonly regions?: number;
}

export interface QueuedFrame {
  readonly data: Uint8Array;
  readonly tsSec: number;
  readonly tsNsec: number;
}

export interface MemoryLink {
  readonly tx: TxChannel;
  readonly rx: RxChannel;
  /** Copies of the frames sent, oldest first (bounded by maxQueue; drain with takeSent()). */
  readonly sent: Uint8Array[];
  takeSent(): Uint8Array[];
  /** Queues a frame for the RxChannel. Returns false if the queue was full. */
  inject(frame: Uint8Array): boolean;
  /** Frames waiting for the RxChannel. */
  pending(): number;
}

class MemoryRx implements RxChannel {
  readonly queue: QueuedFrame[] = [];
  head = 0;
  received = 0;
  drops = 0;
  closed = false;
  constructor(private readonly maxQueue: number) {}
  push(f: QueuedFrame): boolean {
    if (this.closed || this.queue.length - this.head >= this.maxQueue) {
      this.drops++;
      return false;
    }
    this.queue.push(f);
    return true;
  }
  pending(): number {
    return this.queue.length - this.head;
  }
  poll(_timeoutMs: number, onFrame: FrameHandler): number {
    // Never blocks: everything queued is ready now. Frames queued by onFrame itself (a
    // responder reacting to our reaction) wait for the next poll, so one call is bounded.
    const end = this.queue.length;
    let n = 0;
    while (this.head < end) {
      const f = this.queue[this.head++];
      n++;
      onFrame(f.data, 0, f.data.length, f.tsSec, f.tsNsec);
    }
    if (this.head === this.queue.length) {
      this.queue.length = 0;
      this.head = 0;
    }
    this.received += n;
    return n;
  }
  stats(): RxStats {
    return { received: this.received, kernelDrops: this.drops };
  }
  close(): void {
    this.closed = true;
    this.queue.length = 0;
    this.head = 0;
  }
}

class MemoryTx implements TxChannel {
  readonly frames: Uint8Array;
  readonly lens: Uint16Array;
  readonly slotSize: number;
  readonly capacity: number;
  readonly maxFrameLen: number;
  slotBase = 0;
  readonly regions: number;
  region = 0;
  sentCount = 0;
  ringFull = 0;
  closed = false;
  constructor(
    capacity: number,
    maxFrame: number,
    private readonly onFrame: (f: Uint8Array) => void,
    private readonly limit: number,
    regions: number,
  ) {
    this.capacity = capacity;
    this.slotSize = maxFrame;
    this.maxFrameLen = maxFrame;
    this.regions = regions;
    this.frames = new Uint8Array(capacity * maxFrame * regions);
    this.lens = new Uint16Array(capacity);
  }
  send(count: number): number {
    checkSendCount(count, this.capacity);
    if (this.closed) throw new ScanError('ERR_INTERNAL', 'send() on a closed memory channel');
    const n = this.regions > 1 ? count : Math.min(count, this.limit);
    for (let k = 0; k < n; k++) {
      const off = this.slotBase + k * this.slotSize;
      const len = this.lens[k];
      if (len > this.slotSize || off + len > this.frames.length) {
        throw new ScanError('ERR_INTERNAL', `slot ${k}: frame length ${len} exceeds the slot`);
      }
      this.onFrame(this.frames.slice(off, off + len));
    }
    this.sentCount += n;
    if (n < count) this.ringFull++;
    if (this.regions > 1 && n > 0) {
      this.region = this.region + 1 === this.regions ? 0 : this.region + 1;
      this.slotBase = this.region * this.capacity * this.slotSize;
    }
    return n;
  }
  stats(): TxStats {
    return { sent: this.sentCount, ringFull: this.ringFull };
  }
  close(): void {
    this.closed = true;
  }
}

export function createMemoryLink(opts: MemoryLinkOptions): MemoryLink {
  const maxFrame = opts.slotSize ?? 1514;
  const maxQueue = opts.maxQueue ?? 65536;
  checkTxSlots(opts.batch, maxFrame, 65536);
  const limit = opts.acceptLimit ?? opts.batch;
  const now = opts.now ?? ((): number => 0);
  const rx = new MemoryRx(maxQueue);
  const sent: Uint8Array[] = [];
  const stamp = (data: Uint8Array): QueuedFrame => {
    const ms = now();
    const sec = Math.floor(ms / 1000);
    return { data, tsSec: sec, tsNsec: Math.min(999_999_999, Math.round((ms - sec * 1000) * 1e6)) };
  };
  const onSent = (f: Uint8Array): void => {
    if (sent.length < maxQueue) sent.push(f);
    if (opts.loopback === true) rx.push(stamp(f.slice()));
    if (opts.responder !== undefined) {
      const replies = opts.responder(f.slice());
      if (replies) for (const r of replies) rx.push(stamp(r));
    }
  };
  const regions = opts.regions ?? 1;
  if (!Number.isInteger(regions) || regions < 1 || regions > 64) {
    throw new ScanError('ERR_BAD_OPTION', `transmit regions ${regions} out of range (1..64)`);
  }
  const tx = new MemoryTx(opts.batch, maxFrame, onSent, limit, regions);
  return {
    tx,
    rx,
    sent,
    takeSent: () => sent.splice(0, sent.length),
    inject: (frame) => rx.push(stamp(frame)),
    pending: () => rx.pending(),
  };
}
