/**
 * The connection table: a struct of arrays of typed arrays, one index per connection (its id),
 * a free list of slots, and a chained hash index on the 4-tuple (DESIGN.md §3, "Banner stack").
 *
 * Bytes per connection (see `bytesPerConnection`): addresses 8, ports 4, sequence state 24
 * (snd.una, snd.nxt, snd.wnd, snd.wl1, snd.wl2, rcv.nxt), MSS 2, state/flags/retries/backoff/
 * held-count 5, deadlines 12, timer links and deadline 12, hash chain 4 + index 4, buffer
 * handles 18 (send head/tail/offset/length, out-of-order head): 93 bytes. IPv6
 * connections use a side table of 8 words per slot (32 bytes), allocated on the first IPv6
 * connection only; for them the IPv4 fields hold a fold of the address words (a quick
 * pre-check in lookups).
 */
import { NEVER } from './timer-wheel.js';

export const enum State {
  FREE = 0,
  ESTABLISHED = 1,
  FIN_WAIT_1 = 2,
  FIN_WAIT_2 = 3,
  CLOSING = 4,
  TIME_WAIT = 5,
  CLOSE_WAIT = 6,
  LAST_ACK = 7,
}

export const STATE_NAMES = [
  'FREE', 'ESTABLISHED', 'FIN-WAIT-1', 'FIN-WAIT-2', 'CLOSING', 'TIME-WAIT', 'CLOSE-WAIT', 'LAST-ACK',
] as const;

/** Bits of ConnTable.flags. */
export const Flag = {
  V6: 1,
  /** close() was called: a FIN goes out after the queued data. */
  FIN_QUEUED: 2,
  /** Our FIN has been sent (it is at snd.nxt - 1). */
  FIN_SENT: 4,
} as const;

/**
 * Mix a 4-tuple to 32 bits (murmur3's finaliser over the words), as int32 bits: a u32 above
 * 2^31 returned from a call V8 does not inline is a heap number (measured: Node 22 did not
 * inline it, and each lookup allocated). Callers only mask it.
 */
export function tupleHash4(theirIp: number, theirPort: number, ourIp: number, ourPort: number): number {
  let h = Math.imul(theirIp ^ 0x9e3779b9, 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13) ^ ourIp, 0xc2b2ae35);
  h = Math.imul(h ^ (h >>> 16) ^ ((theirPort << 16) | ourPort), 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return h ^ (h >>> 16);
}

/** The fold of an IPv6 address kept in the IPv4 field of an IPv6 connection (int32 bits, as tupleHash4). */
export function fold6(w: Uint32Array): number {
  return w[0] ^ Math.imul(w[1], 0x01000193) ^ Math.imul(w[2], 0x9e3779b1) ^ Math.imul(w[3], 0x85ebca6b);
}

export class ConnTable {
  readonly capacity: number;
  readonly state: Uint8Array;
  readonly flags: Uint8Array;
  /** Retransmissions of the current earliest segment. */
  readonly retries: Uint8Array;
  /** Zero-window probe back-off exponent. */
  readonly backoff: Uint8Array;
  /** Out-of-order segments held (chunks on the ooo list). */
  readonly held: Uint8Array;
  /**
   * The addresses as int32 bits (an IPv6 connection's fold6): what tupleHash4 is called with
   * on every open, close and lookup, and a Uint32Array load above 2^31 passed to a call V8
   * does not inline is a heap number (measured: 32 bytes per connection opened and aborted).
   */
  readonly theirIp: Int32Array;
  readonly ourIp: Int32Array;
  readonly theirPort: Uint16Array;
  readonly ourPort: Uint16Array;
  readonly sndUna: Int32Array;
  readonly sndNxt: Int32Array;
  readonly sndWnd: Uint32Array;
  readonly sndWl1: Int32Array;
  readonly sndWl2: Int32Array;
  readonly rcvNxt: Int32Array;
  // NOTE: sequence numbers are kept as int32 (the u32's bits): values above 2^31 would be heap
  // numbers when passed between functions, an allocation per call.
  /** Our segment size on this connection: min(options.mss, the peer's MSS). */
  readonly mss: Uint16Array;
  /** Deadlines (ms from the stack's epoch, NEVER: none): retransmission/probe/TIME-WAIT, application, connection. */
  readonly rtxAt: Int32Array;
  readonly appAt: Int32Array;
  readonly deadAt: Int32Array;
  /** Send queue: chunk chain from snd.una's byte (at sndOff in sndHead) to the last queued byte. */
  readonly sndHead: Int32Array;
  readonly sndTail: Int32Array;
  readonly sndOff: Uint16Array;
  /** Bytes queued from snd.una (sent and not acknowledged, then not yet sent). */
  readonly sndBuf: Int32Array;
  /** Held out-of-order segments: chunk list sorted by sequence number. */
  readonly oooHead: Int32Array;
  /** Hash chain link; also the free list's link for free slots. */
  readonly hashNext: Int32Array;
  private readonly index: Int32Array;
  private readonly indexMask: number;
  /** IPv6 addresses, 8 words a slot (theirs then ours), allocated on first use. */
  ip6: Uint32Array | null = null;
  private freeHead: number;

  constructor(capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1 || capacity > 0x3fffffff) {
      throw new RangeError(`connection capacity ${capacity} not in 1..2^30`);
    }
    this.capacity = capacity;
    this.state = new Uint8Array(capacity);
    this.flags = new Uint8Array(capacity);
    this.retries = new Uint8Array(capacity);
    this.backoff = new Uint8Array(capacity);
    this.held = new Uint8Array(capacity);
    this.theirIp = new Int32Array(capacity);
    this.ourIp = new Int32Array(capacity);
    this.theirPort = new Uint16Array(capacity);
    this.ourPort = new Uint16Array(capacity);
    this.sndUna = new Int32Array(capacity);
    this.sndNxt = new Int32Array(capacity);
    this.sndWnd = new Uint32Array(capacity);
    this.sndWl1 = new Int32Array(capacity);
    this.sndWl2 = new Int32Array(capacity);
    this.rcvNxt = new Int32Array(capacity);
    this.mss = new Uint16Array(capacity);
    this.rtxAt = new Int32Array(capacity).fill(NEVER);
    this.appAt = new Int32Array(capacity).fill(NEVER);
    this.deadAt = new Int32Array(capacity).fill(NEVER);
    this.sndHead = new Int32Array(capacity).fill(-1);
    this.sndTail = new Int32Array(capacity).fill(-1);
    this.sndOff = new Uint16Array(capacity);
    this.sndBuf = new Int32Array(capacity);
    this.oooHead = new Int32Array(capacity).fill(-1);
    this.hashNext = new Int32Array(capacity);
    let size = 1;
    while (size < capacity) size *= 2;
    this.index = new Int32Array(size).fill(-1);
    this.indexMask = size - 1;
    // The free list hands out low slots first (a fresh table touches its pages in order).
    for (let i = 0; i < capacity - 1; i++) this.hashNext[i] = i + 1;
    this.hashNext[capacity - 1] = -1;
    this.freeHead = 0;
  }

  /** Bytes of typed arrays per connection slot (the IPv6 side table not counted). */
  static bytesPerConnection(): number {
    const u8 = 5; // state, flags, retries, backoff, held
    const addr = 2 * 4 + 2 * 2; // addresses, ports
    const seq = 6 * 4 + 2; // snd.una, snd.nxt, snd.wnd, snd.wl1, snd.wl2, rcv.nxt; mss
    const deadlines = 3 * 4;
    const buffers = 4 + 4 + 2 + 4 + 4; // send head, tail, offset, length; ooo head
    const hash = 4 + 4; // chain link, index head (the index has >= 1 head per slot)
    const timer = 3 * 4; // wheel next, prev, deadline
    return u8 + addr + seq + deadlines + buffers + hash + timer;
  }

  /** Take a free slot (-1: the table is full). The slot's fields are reset by the caller. */
  take(): number {
    const c = this.freeHead;
    if (c >= 0) this.freeHead = this.hashNext[c];
    return c;
  }

  /** Return a slot to the free list (after unhash). */
  release(c: number): void {
    this.hashNext[c] = this.freeHead;
    this.freeHead = c;
  }

  hash4(c: number): void {
    this.link(c, tupleHash4(this.theirIp[c], this.theirPort[c], this.ourIp[c], this.ourPort[c]));
  }

  /** Store IPv6 addresses of slot c (allocating the side table on first use) and hash it. */
  set6(c: number, theirIp: Uint32Array, ourIp: Uint32Array): void {
    let t = this.ip6;
    if (t === null) t = this.ip6 = new Uint32Array(this.capacity * 8);
    const b = c * 8;
    t[b] = theirIp[0]; t[b + 1] = theirIp[1]; t[b + 2] = theirIp[2]; t[b + 3] = theirIp[3];
    t[b + 4] = ourIp[0]; t[b + 5] = ourIp[1]; t[b + 6] = ourIp[2]; t[b + 7] = ourIp[3];
    this.theirIp[c] = fold6(theirIp);
    this.ourIp[c] = fold6(ourIp);
  }

  hash6(c: number): void {
    this.link(c, tupleHash4(this.theirIp[c], this.theirPort[c], this.ourIp[c], this.ourPort[c]) ^ 0x6);
  }

  private link(c: number, h: number): void {
    const b = h & this.indexMask;
    this.hashNext[c] = this.index[b];
    this.index[b] = c;
  }

  unhash(c: number): void {
    const v6 = (this.flags[c] & Flag.V6) !== 0;
    let h = tupleHash4(this.theirIp[c], this.theirPort[c], this.ourIp[c], this.ourPort[c]);
    if (v6) h ^= 0x6;
    const b = h & this.indexMask;
    let p = -1;
    for (let x = this.index[b]; x >= 0; p = x, x = this.hashNext[x]) {
      if (x === c) {
        if (p < 0) this.index[b] = this.hashNext[x];
        else this.hashNext[p] = this.hashNext[x];
        return;
      }
    }
  }

  find4(theirIp: number, theirPort: number, ourIp: number, ourPort: number): number {
    const b = tupleHash4(theirIp, theirPort, ourIp, ourPort) & this.indexMask;
    for (let x = this.index[b]; x >= 0; x = this.hashNext[x]) {
      if (
        this.theirIp[x] === (theirIp | 0) && this.theirPort[x] === theirPort && this.ourIp[x] === (ourIp | 0) &&
        this.ourPort[x] === ourPort && (this.flags[x] & Flag.V6) === 0
      ) return x;
    }
    return -1;
  }

  find6(theirIp: Uint32Array, theirPort: number, ourIp: Uint32Array, ourPort: number): number {
    const t = this.ip6;
    if (t === null) return -1;
    const ft = fold6(theirIp);
    const fo = fold6(ourIp);
    const b = (tupleHash4(ft, theirPort, fo, ourPort) ^ 0x6) & this.indexMask;
    for (let x = this.index[b]; x >= 0; x = this.hashNext[x]) {
      if (
        this.theirIp[x] === ft && this.theirPort[x] === theirPort && this.ourIp[x] === fo &&
        this.ourPort[x] === ourPort && (this.flags[x] & Flag.V6) !== 0
      ) {
        const k = x * 8;
        if (
          t[k] === theirIp[0] >>> 0 && t[k + 1] === theirIp[1] >>> 0 && t[k + 2] === theirIp[2] >>> 0 &&
          t[k + 3] === theirIp[3] >>> 0 && t[k + 4] === ourIp[0] >>> 0 && t[k + 5] === ourIp[1] >>> 0 &&
          t[k + 6] === ourIp[2] >>> 0 && t[k + 7] === ourIp[3] >>> 0
        ) return x;
      }
    }
    return -1;
  }

  /** The hash bucket of slot c's tuple (tests: colliding tuples). */
  bucketOf4(theirIp: number, theirPort: number, ourIp: number, ourPort: number): number {
    return tupleHash4(theirIp, theirPort, ourIp, ourPort) & this.indexMask;
  }
}
