/**
 * The contract between the user-mode TCP stack (src/stack) and the engine that hosts it
 * (DESIGN.md §3, "Banner stack"). The stack lives on the receive side, which owns the
 * connection table; it never touches sockets, clocks or frames itself:
 *  - time comes in as `now` (milliseconds, any monotonic origin) on every call;
 *  - segments go out through `StackHost.output`, which builds the frame (the host knows the
 *    link and the template) from the connection's addresses (`TcpStack` accessors);
 *  - in-order bytes from the server go to `StackHost.received`; the application (a banner
 *    session) answers through `TcpStack.send` / `close` / `abort`.
 * Connection ids are slot numbers 0..capacity-1, reused after `closed` returns.
 */

/** Why a connection ended (StackHost.closed). */
export type CloseReason =
  | 'fin' // both sides closed in order (or the server's FIN after ours)
  | 'rst' // the server reset it
  | 'timeout' // --connection-timeout reached (we sent a RST)
  | 'retries' // our data was never acknowledged (we sent a RST)
  | 'local'; // abort() by the application (we sent a RST)

/** What the stack needs from its host. Called synchronously from TcpStack's methods. */
export interface StackHost {
  /**
   * Send one segment of connection `c`: TCP `flags` (wire TcpFlags bits), sequence and
   * acknowledgement numbers (the u32's 32 bits as an int32, so that no call allocates a heap
   * number: `seq >>> 0` is the u32; byte-wise writes such as `seq >>> 24` work on either),
   * our receive `window`, and the payload bytes
   * buf[off, off + len) (len 0: none). The host builds and queues the frame; the bytes are
   * only valid during the call.
   */
  output(c: number, flags: number, seq: number, ack: number, window: number, buf: Uint8Array, off: number, len: number): void;
  /** Connection `c` is established (our ACK of the SYN-ACK has gone out). */
  opened(c: number, now: number): void;
  /** In-order bytes from the server on `c` (each byte delivered exactly once). */
  received(c: number, buf: Uint8Array, off: number, len: number, now: number): void;
  /** The server sent FIN: no more bytes will come (the stack has ACKed it). */
  peerClosed(c: number, now: number): void;
  /** The application timer set with TcpStack.setAppTimer fired. */
  appTimer(c: number, now: number): void;
  /** `c` is gone; after this returns the slot may be reused. */
  closed(c: number, reason: CloseReason, now: number): void;
}

export interface StackOptions {
  /** Connection slots (the table's capacity). */
  readonly capacity: number;
  /** Receive/send buffer pool: chunk size in bytes and the global cap in chunks. */
  readonly chunkSize: number;
  readonly maxChunks: number;
  /** --connection-timeout in ms: a connection older than this is reset (default 30000). */
  readonly connectionTimeoutMs: number;
  /** First retransmission timeout in ms (doubles per retry). */
  readonly rtoMs: number;
  /** Retransmissions of one segment before giving up with a RST ('retries'). */
  readonly maxRetries: number;
  /** Our receive window (at most 65535). */
  readonly window: number;
  /**
   * The window-scale shift our SYNs offer (--tcp-wscale, 0..14); absent: none offered. When
   * the peer's SYN-ACK carries a window scale too (RFC 7323 §2.2), its window fields are
   * shifted left by its shift and ours are `window` shifted right by this one.
   */
  readonly wscale?: number | undefined;
  /** Largest payload we put in one segment (min of this and the peer's MSS). */
  readonly mss: number;
  /** TIME-WAIT duration in ms (default 1000; 0: closed as soon as it is entered). */
  readonly timeWaitMs?: number;
  /** Out-of-order segments held per connection, one pool chunk each (default 4; 0: none). */
  readonly maxHeld?: number;
  /** Out-of-order segments are held only while more than this many chunks are free (default maxChunks / 16). */
  readonly reserveChunks?: number;
  /** Timer wheel: slots (a power of two, default 8192) and tick in ms (default 8). */
  readonly wheelSlots?: number;
  readonly tickMs?: number;
}

/** Counters for the status line, tests and benchmarks. */
export interface StackCounters {
  active: number;
  opened: number;
  /** SYN-ACKs refused because the table or the buffer pool was full. */
  refused: number;
  closedFin: number;
  closedRst: number;
  timeouts: number;
  /** Connections reset because our data was never acknowledged ('retries'). */
  gaveUp: number;
  /** Connections reset by abort() ('local'). */
  aborted: number;
  retransmits: number;
  /** Segments that matched no connection. */
  strays: number;
  /** Segments beyond RCV.NXT: held out of order, or beyond the window. */
  outOfOrder: number;
  /** Segments with octets already received (whole or in part), and repeated SYN-ACKs/SYNs. */
  duplicates: number;
}
