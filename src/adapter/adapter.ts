/**
 * Packet I/O, as the engine sees it. Implementations: afpacket.ts (Linux raw sockets through
 * native/), offline.ts (--offline: accepts and discards), memory.ts (tests: frames loop back
 * in process). pcap-file.ts is not a channel: it writes received frames to a file for --pcap
 * and reads pcap files (--pcap-payloads, tests).
 *
 * Frames cross this interface in batches, never one call per frame (DESIGN.md §1, §3).
 */

/** Which kernel transmit path an AF_PACKET channel uses. */
export type TxBackend = 'sendmmsg' | 'txring';

export interface TxStats {
  /** Frames the kernel accepted. */
  sent: number;
  /** Times a batch could not be queued whole (ring full / ENOBUFS / EAGAIN). */
  ringFull: number;
}

export interface RxStats {
  /** Frames handed to the caller. */
  received: number;
  /** Frames the kernel dropped because the ring was full (PACKET_STATISTICS tp_drops). */
  kernelDrops: number;
}

/**
 * A transmit channel owns a batch of fixed-size slots. The caller writes frame k at
 * `frames[slotOffset(k) ...]`, sets `lens[k]`, and calls `send(count)` for slots 0..count-1.
 *
 * NOTE: for the sendmmsg back end slot k is at a fixed place (k * slotSize), so constant
 * template bytes written once stay there. For the TX ring back end slots rotate through the
 * ring; `slotBase` is updated by send() and the ring holds a whole number of batches, so slot
 * k of every batch again lands on a frame that last held slot k of an earlier batch.
 */
export interface TxChannel {
  readonly frames: Uint8Array;
  readonly lens: Uint16Array;
  readonly slotSize: number;
  /** Maximum frames per send(). */
  readonly capacity: number;
  /**
   * Longest frame a slot holds (absent: `slotSize`). For the TX ring it is smaller than the
   * stride, because each ring frame starts with a 32-byte kernel header.
   */
  readonly maxFrameLen?: number;
  /**
   * How many places in `frames` slot k takes in turn (the TX ring's batches; absent: 1), and
   * which of them the next batch uses (0..regions-1). Bytes written to slot k stay at that
   * place only: a writer that keeps constant bytes per slot keeps them per (region, slot).
   */
  readonly regions?: number;
  readonly region?: number;
  /** Offset in `frames` of slot 0 of the next batch; slot k is at slotBase + k * slotSize. */
  slotBase: number;
  /** Send slots 0..count-1. Returns how many the kernel took (the rest should be retried). */
  send(count: number): number;
  stats(): TxStats;
  close(): void;
}

/**
 * Called once per received frame. `buf` is reused (a view of the RX ring or a scratch buffer):
 * the handler must copy anything it keeps. Timestamps come from the kernel.
 */
export type FrameHandler = (buf: Uint8Array, offset: number, length: number, tsSec: number, tsNsec: number) => void;

export interface RxChannel {
  /**
   * Wait at most `timeoutMs` for frames, then deliver every frame that is ready through
   * `onFrame`. Returns the number delivered (0 on timeout).
   */
  poll(timeoutMs: number, onFrame: FrameHandler): number;
  stats(): RxStats;
  close(): void;
}

/** What the engine needs to know of an interface (from `--iflist`, or detection). */
export interface InterfaceInfo {
  readonly name: string;
  readonly index: number;
  /** 6 bytes, or all zero for interfaces without a MAC. */
  readonly mac: Uint8Array;
  readonly mtu: number;
  readonly up: boolean;
  readonly ipv4: readonly { readonly address: number; readonly prefix: number }[];
  readonly ipv6: readonly { readonly address: bigint; readonly prefix: number }[];
}
