/**
 * Argument checks shared by every TxChannel (afpacket.ts, offline.ts, memory.ts), so each
 * back end refuses the same bad batch, slot size and send() count with the same message.
 */
import { ScanError } from '../error.js';

/** Frames per send() in 1..maxBatch, largest frame in 14 (an Ethernet header)..65535. */
export function checkTxSlots(batch: number, maxFrame: number, maxBatch: number): void {
  if (!Number.isInteger(batch) || batch < 1 || batch > maxBatch) {
    throw new ScanError('ERR_BAD_OPTION', `transmit batch ${batch} out of range (1..${maxBatch})`);
  }
  if (!Number.isInteger(maxFrame) || maxFrame < 14 || maxFrame > 65535) {
    throw new ScanError('ERR_BAD_OPTION', `transmit slot size ${maxFrame} out of range (14..65535)`);
  }
}

/** send(count): count is an integer in 0..capacity (anything else is a caller bug). */
export function checkSendCount(count: number, capacity: number): void {
  if (!Number.isInteger(count) || count < 0 || count > capacity) {
    throw new ScanError('ERR_INTERNAL', `send(${count}): count must be an integer in 0..${capacity}`);
  }
}
