/**
 * --offline (masscan's --offline / --notransmit / --nosend / --dry-run): the whole transmit
 * path runs, frames are built into slots as usual, and send() accepts and discards them,
 * counting. The receive side never delivers anything.
 */
import { checkSendCount, checkTxSlots } from './slots.js';
import type { FrameHandler, RxChannel, RxStats, TxChannel, TxStats } from './adapter.js';

export interface OfflineTxOptions {
  /** Frames per send() (1..65536). */
  readonly batch: number;
  /** Largest frame a slot holds (default 1514); the stride is this rounded up to 64. */
  readonly slotSize?: number;
}

class OfflineTx implements TxChannel {
  readonly frames: Uint8Array;
  readonly lens: Uint16Array;
  readonly slotSize: number;
  readonly capacity: number;
  readonly maxFrameLen: number;
  slotBase = 0;
  private sent = 0;
  private bytes = 0;
  constructor(capacity: number, maxFrame: number) {
    this.capacity = capacity;
    this.slotSize = (maxFrame + 63) & ~63;
    this.maxFrameLen = this.slotSize;
    this.frames = new Uint8Array(capacity * this.slotSize);
    this.lens = new Uint16Array(capacity);
  }
  send(count: number): number {
    checkSendCount(count, this.capacity);
    for (let k = 0; k < count; k++) this.bytes += this.lens[k];
    this.sent += count;
    return count;
  }
  /** Bytes "sent" so far (sum of lens), for tests and --offline summaries. */
  sentBytes(): number {
    return this.bytes;
  }
  stats(): TxStats {
    return { sent: this.sent, ringFull: 0 };
  }
  close(): void {
    // Nothing to release.
  }
}

class OfflineRx implements RxChannel {
  poll(_timeoutMs: number, _onFrame: FrameHandler): number {
    // Never waits: an offline scan has nothing to wait for, and the engine bounds its loop.
    return 0;
  }
  stats(): RxStats {
    return { received: 0, kernelDrops: 0 };
  }
  close(): void {
    // Nothing to release.
  }
}

export function openOfflineTx(opts: OfflineTxOptions): TxChannel & { sentBytes(): number } {
  const maxFrame = opts.slotSize ?? 1514;
  checkTxSlots(opts.batch, maxFrame, 65536);
  return new OfflineTx(opts.batch, maxFrame);
}

export function openOfflineRx(): RxChannel {
  return new OfflineRx();
}
