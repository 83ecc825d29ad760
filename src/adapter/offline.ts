/**
 * --offline (masscan's --offline / --notransmit / --nosend / --dry-run): the whole transmit
 * path runs, frames are built into slots as usual, and send() accepts and discards them,
 * counting. The receive side never delivers anything.
 */
import { ScanError } from '../error.js';
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
    if (!Number.isInteger(count) || count < 0 || count > this.capacity) {
      throw new ScanError('ERR_INTERNAL', `send(${count}): count must be an integer in 0..${this.capacity}`);
    }
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
  if (!Number.isInteger(opts.batch) || opts.batch < 1 || opts.batch > 65536) {
    throw new ScanError('ERR_BAD_OPTION', `transmit batch ${opts.batch} out of range (1..65536)`);
  }
  if (!Number.isInteger(maxFrame) || maxFrame < 14 || maxFrame > 65535) {
    throw new ScanError('ERR_BAD_OPTION', `transmit slot size ${maxFrame} out of range (14..65535)`);
  }
  return new OfflineTx(opts.batch, maxFrame);
}

export function openOfflineRx(): RxChannel {
  return new OfflineRx();
}
