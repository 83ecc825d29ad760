/**
 * Lock-free single-producer single-consumer rings over SharedArrayBuffer (DESIGN.md §1): how
 * the receive worker hands records to the main thread and frames to a transmit worker,
 * without a postMessage per packet.
 *
 * Protocol (both rings):
 *  - A control block of Int32 words at the start of the buffer: HEAD (advanced only by the
 *    consumer), TAIL (advanced only by the producer), each on its own 64-byte line, plus two
 *    "someone is sleeping" flags for Atomics.wait/notify.
 *  - Positions are free-running u32 counters (items for RecordRing, bytes for FrameRing); the
 *    used amount is (tail - head) mod 2^32, so the capacity must stay below 2^31.
 *  - The producer writes slot contents with plain stores and then publishes with
 *    Atomics.store(TAIL); the consumer reads TAIL with Atomics.load before reading slots, and
 *    releases them with Atomics.store(HEAD). Atomics are sequentially consistent, so slot
 *    bytes written before the TAIL store are visible after the TAIL load (ECMAScript memory
 *    model: the atomic store synchronises-with the atomic load that reads it).
 *  - Each side caches the other side's counter and re-reads it only when the cache says
 *    full/empty, and publishes once per batch: one atomic store per batch, not per item.
 * Exactly one thread may produce and one consume; a ring object is per thread (attach to the
 * same SharedArrayBuffer on the other side with the constructor).
 *
 * No allocation per item: records are read and written in place in a Uint32Array; frames are
 * copied byte by byte.
 */

const HEAD = 0; // Int32 index of the consumer position
const TAIL = 16; // producer position (64 bytes apart: no false sharing)
const CONS_WAIT = 32; // consumer sleeps on TAIL when set
const PROD_WAIT = 48; // producer sleeps on HEAD when set
const CAPACITY = 56; // ring geometry, written by create(), read by attach
const PARAM = 57;
const CONTROL_BYTES = 256;

function isPow2(n: number): boolean {
  return n >= 2 && n <= 0x40000000 && (n & (n - 1)) === 0;
}

/** Atomics.waitAsync where the runtime has it (Node >= 16); typed here since lib is ES2022. */
type WaitAsync = (a: Int32Array, i: number, v: number, t: number) => { async: boolean; value: Promise<string> | string };
const waitAsync = (Atomics as unknown as { waitAsync?: WaitAsync }).waitAsync;

/** Shared part: control block, waits. */
abstract class SpscBase {
  readonly sab: SharedArrayBuffer;
  protected readonly ctl: Int32Array;

  protected constructor(sab: SharedArrayBuffer) {
    this.sab = sab;
    this.ctl = new Int32Array(sab, 0, CONTROL_BYTES / 4);
  }

  /**
   * Consumer: block (worker threads; allowed on Node's main thread too but it stalls the
   * event loop) until something is published or `timeoutMs` passes. Returns true if data is
   * ready.
   */
  waitForData(timeoutMs: number): boolean {
    const c = this.ctl;
    const t = Atomics.load(c, TAIL);
    if (t !== Atomics.load(c, HEAD)) return true;
    Atomics.store(c, CONS_WAIT, 1);
    // Re-check after raising the flag: a publish in between would otherwise not notify.
    if (Atomics.load(c, TAIL) === t) Atomics.wait(c, TAIL, t, timeoutMs);
    Atomics.store(c, CONS_WAIT, 0);
    return Atomics.load(c, TAIL) !== Atomics.load(c, HEAD);
  }

  /** Consumer on an event loop: resolves when data may be ready or after timeoutMs. */
  async waitForDataAsync(timeoutMs: number): Promise<boolean> {
    const c = this.ctl;
    const t = Atomics.load(c, TAIL);
    if (t !== Atomics.load(c, HEAD)) return true;
    if (waitAsync === undefined) {
      await new Promise<void>((resolve) => setTimeout(resolve, Math.min(timeoutMs, 10)));
    } else {
      Atomics.store(c, CONS_WAIT, 1);
      if (Atomics.load(c, TAIL) === t) {
        const r = waitAsync(c, TAIL, t, timeoutMs);
        if (r.async) {
          // NOTE: a pending waitAsync does not keep Node's event loop alive; a timer does.
          let timer: NodeJS.Timeout | undefined;
          await Promise.race([r.value, new Promise<void>((resolve) => { timer = setTimeout(resolve, timeoutMs); })]);
          clearTimeout(timer);
        }
      }
      Atomics.store(c, CONS_WAIT, 0);
    }
    return Atomics.load(c, TAIL) !== Atomics.load(c, HEAD);
  }

  /** Producer: block until the consumer frees space or `timeoutMs` passes. */
  waitForSpace(timeoutMs: number): void {
    const c = this.ctl;
    const h = Atomics.load(c, HEAD);
    Atomics.store(c, PROD_WAIT, 1);
    if (!this.hasSpace(h)) Atomics.wait(c, HEAD, h, timeoutMs);
    Atomics.store(c, PROD_WAIT, 0);
  }

  protected abstract hasSpace(head: number): boolean;

  protected publishTail(tail: number): void {
    Atomics.store(this.ctl, TAIL, tail | 0);
    if (Atomics.load(this.ctl, CONS_WAIT) !== 0) Atomics.notify(this.ctl, TAIL);
  }

  protected publishHead(head: number): void {
    Atomics.store(this.ctl, HEAD, head | 0);
    if (Atomics.load(this.ctl, PROD_WAIT) !== 0) Atomics.notify(this.ctl, HEAD);
  }

  /** Items (records) or bytes (frames) published and not yet consumed. */
  used(): number {
    return (Atomics.load(this.ctl, TAIL) - Atomics.load(this.ctl, HEAD)) >>> 0;
  }
}

/** Default words per record: see `RecordWord` for the suggested layout. */
export const RECORD_WORDS = 16;

/**
 * A suggested layout of a 16-word status/event record (the orchestration code owns the
 * meaning; these names keep producer and consumer agreed).
 */
export const RecordWord = {
  KIND: 0, // what the record is (status, banner chunk, counter, log line id...)
  TIME: 1, // unix seconds
  VERSION: 2, // 4 or 6
  IP0: 3, IP1: 4, IP2: 5, IP3: 6, // IPv4 in IP0; IPv6 as four words, most significant first
  PROTO: 7, // IP protocol number
  PORT: 8, // plain port
  STATUS: 9,
  REASON: 10, // TCP flags
  TTL: 11,
  MAC_HI: 12, // first 2 bytes of a MAC (ARP)
  MAC_LO: 13, // last 4 bytes
  AUX0: 14, AUX1: 15,
} as const;

export class RecordRing extends SpscBase {
  readonly capacity: number;
  readonly words: number;
  /** The slots: record at position p starts at ((p & mask) * words). */
  readonly data: Uint32Array;
  private readonly mask: number;
  // Producer-side state, then consumer-side. Initialised at the declaration so V8 keeps
  // them numeric fields (u32 counters above 2^30 would otherwise be boxed on every store).
  private ptail = 0;
  private pheadCache = 0;
  private chead = 0;

  /** Bytes of SharedArrayBuffer needed for `capacity` records of `words` u32. */
  static bytesFor(capacity: number, words = RECORD_WORDS): number {
    return CONTROL_BYTES + capacity * words * 4;
  }

  /** A new ring. capacity: a power of two (2 .. 2^30) records; words per record >= 1. */
  static create(capacity: number, words = RECORD_WORDS): RecordRing {
    if (!isPow2(capacity) || !(words >= 1 && words <= 1024 && (words | 0) === words)) {
      throw new RangeError(`record ring: capacity ${capacity} must be a power of two, words ${words} in 1..1024`);
    }
    const sab = new SharedArrayBuffer(RecordRing.bytesFor(capacity, words));
    const ctl = new Int32Array(sab, 0, CONTROL_BYTES / 4);
    ctl[CAPACITY] = capacity;
    ctl[PARAM] = words;
    return new RecordRing(sab);
  }

  /** Attach to a ring made by create() (in this or another thread). */
  constructor(sab: SharedArrayBuffer) {
    super(sab);
    this.capacity = this.ctl[CAPACITY];
    this.words = this.ctl[PARAM];
    if (!isPow2(this.capacity) || sab.byteLength < RecordRing.bytesFor(this.capacity, this.words)) {
      throw new RangeError('record ring: buffer is not a record ring');
    }
    this.mask = this.capacity - 1;
    this.data = new Uint32Array(sab, CONTROL_BYTES, this.capacity * this.words);
    this.ptail = Atomics.load(this.ctl, TAIL) >>> 0;
    this.pheadCache = Atomics.load(this.ctl, HEAD) >>> 0;
    this.chead = Atomics.load(this.ctl, HEAD) >>> 0;
  }

  protected hasSpace(head: number): boolean {
    return ((this.ptail - head) >>> 0) < this.capacity;
  }

  /**
   * Producer: the word offset in `data` of a free record slot, or -1 if the ring is full.
   * Write the record there, then call publish() (once per batch is enough). Slots reserved
   * and not yet published are invisible to the consumer.
   */
  reserve(): number {
    if (((this.ptail - this.pheadCache) >>> 0) >= this.capacity) {
      this.pheadCache = Atomics.load(this.ctl, HEAD) >>> 0;
      if (((this.ptail - this.pheadCache) >>> 0) >= this.capacity) return -1;
    }
    const off = (this.ptail & this.mask) * this.words;
    this.ptail = (this.ptail + 1) >>> 0;
    return off;
  }

  /** Producer: make every reserved record visible to the consumer. */
  publish(): void {
    this.publishTail(this.ptail);
  }

  /** Producer convenience: copy `words` u32 from src[srcOff..] and publish. False if full. */
  tryPush(src: Uint32Array, srcOff: number): boolean {
    const off = this.reserve();
    if (off < 0) return false;
    const d = this.data, w = this.words;
    for (let k = 0; k < w; k++) d[off + k] = src[srcOff + k];
    this.publish();
    return true;
  }

  /**
   * Consumer: call handler(data, wordOffset) for each published record, oldest first, at most
   * `max`; then release them all at once. Returns the number handled. The handler must copy
   * what it keeps (the slot is reused after drain returns) and must not throw.
   */
  drain(handler: (data: Uint32Array, off: number) => void, max = 0x7fffffff): number {
    const tail = Atomics.load(this.ctl, TAIL) >>> 0;
    let n = (tail - this.chead) >>> 0;
    if (n === 0) return 0;
    if (n > max) n = max;
    const d = this.data, w = this.words, mask = this.mask;
    let h = this.chead;
    for (let k = 0; k < n; k++) {
      handler(d, (h & mask) * w);
      h = (h + 1) >>> 0;
    }
    this.chead = h;
    this.publishHead(h);
    return n;
  }
}

/** Frame header value that means "the rest of the buffer is unused; continue at 0". */
const WRAP = 0xffffffff;

/**
 * Variable-length frames (receive -> transmit: RSTs, ARP/NDP replies, stack segments).
 * Each entry is a u32 length (native byte order; both sides are one process) followed by the
 * bytes, padded to 4; an entry never wraps around the end of the buffer (a WRAP marker skips
 * the tail instead), so the consumer copies one contiguous run.
 */
export class FrameRing extends SpscBase {
  /** Buffer size in bytes (a power of two). */
  readonly capacity: number;
  /** Largest frame push() accepts. */
  readonly maxFrame: number;
  private readonly bytes: Uint8Array;
  private readonly lens: Uint32Array;
  private readonly mask: number;
  private ptail = 0; // numeric from the start: see RecordRing
  private pheadCache = 0;
  private chead = 0;

  static bytesFor(capacity: number): number {
    return CONTROL_BYTES + capacity;
  }

  /** A new ring of `capacity` bytes (power of two, >= 4096); frames up to maxFrame bytes. */
  static create(capacity: number, maxFrame = 2048): FrameRing {
    if (!isPow2(capacity) || capacity < 4096 || !(maxFrame >= 1 && maxFrame + 8 <= capacity / 4)) {
      throw new RangeError(`frame ring: capacity ${capacity} must be a power of two >= 4096 and >= 4 * (maxFrame + 8)`);
    }
    const sab = new SharedArrayBuffer(FrameRing.bytesFor(capacity));
    const ctl = new Int32Array(sab, 0, CONTROL_BYTES / 4);
    ctl[CAPACITY] = capacity;
    ctl[PARAM] = maxFrame;
    return new FrameRing(sab);
  }

  constructor(sab: SharedArrayBuffer) {
    super(sab);
    this.capacity = this.ctl[CAPACITY];
    this.maxFrame = this.ctl[PARAM];
    if (!isPow2(this.capacity) || sab.byteLength < FrameRing.bytesFor(this.capacity)) {
      throw new RangeError('frame ring: buffer is not a frame ring');
    }
    this.mask = this.capacity - 1;
    this.bytes = new Uint8Array(sab, CONTROL_BYTES, this.capacity);
    this.lens = new Uint32Array(sab, CONTROL_BYTES, this.capacity / 4);
    this.ptail = Atomics.load(this.ctl, TAIL) >>> 0;
    this.pheadCache = Atomics.load(this.ctl, HEAD) >>> 0;
    this.chead = Atomics.load(this.ctl, HEAD) >>> 0;
  }

  protected hasSpace(head: number): boolean {
    // "Space" for a waiting producer: room for the largest frame plus a wrap.
    return this.capacity - ((this.ptail - head) >>> 0) >= 2 * (this.maxFrame + 8);
  }

  /**
   * Producer: append src[off .. off+len) (1 <= len <= maxFrame) and publish it. Returns false
   * (nothing written) if the ring lacks room: the caller drops or retries.
   */
  push(src: Uint8Array, off: number, len: number): boolean {
    if (!(len >= 1 && len <= this.maxFrame)) return false;
    const need = 4 + ((len + 3) & ~3);
    let pos = this.ptail & this.mask;
    const toEnd = this.capacity - pos;
    // Entries stay contiguous: if this one does not fit before the end, skip to 0.
    const total = need <= toEnd ? need : toEnd + need;
    if (this.capacity - ((this.ptail - this.pheadCache) >>> 0) < total) {
      this.pheadCache = Atomics.load(this.ctl, HEAD) >>> 0;
      if (this.capacity - ((this.ptail - this.pheadCache) >>> 0) < total) return false;
    }
    if (need > toEnd) {
      this.lens[pos >>> 2] = WRAP;
      pos = 0;
    }
    this.lens[pos >>> 2] = len;
    const b = this.bytes;
    const dst = pos + 4;
    for (let i = 0; i < len; i++) b[dst + i] = src[off + i];
    this.ptail = (this.ptail + total) >>> 0;
    this.publishTail(this.ptail);
    return true;
  }

  /** Consumer: true if a frame is waiting (one atomic load). */
  pending(): boolean {
    return (Atomics.load(this.ctl, TAIL) >>> 0) !== this.chead;
  }

  /**
   * Consumer: copy the oldest frame to into[intoOff..] and release it. Returns its length, or
   * -1 if the ring is empty. `into` must have room for maxFrame bytes at intoOff.
   */
  pop(into: Uint8Array, intoOff: number): number {
    const tail = Atomics.load(this.ctl, TAIL) >>> 0;
    if (tail === this.chead) return -1;
    let pos = this.chead & this.mask;
    let len = this.lens[pos >>> 2];
    let skipped = 0;
    if (len === WRAP) {
      skipped = this.capacity - pos;
      pos = 0;
      len = this.lens[0];
    }
    const b = this.bytes;
    const src = pos + 4;
    for (let i = 0; i < len; i++) into[intoOff + i] = b[src + i];
    this.chead = (this.chead + skipped + 4 + ((len + 3) & ~3)) >>> 0;
    this.publishHead(this.chead);
    return len;
  }
}
